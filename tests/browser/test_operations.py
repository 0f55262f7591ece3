"""Node office finds a stuck e-mail in the outbox and sends it again; the jobs page reads."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from studienav.core.jobs import cron_run
from studienav.core.models import OutboxMessage, User
from studienav.core.outbox import outbox_enqueue
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@override_settings(EMAIL_OUTBOX_DELIVER_ON_COMMIT=False)  # as in production: the job sends
def test_node_office_sends_a_stuck_e_mail_again(
    live_server: LiveServer, page: Page, cecilia: User
) -> None:
    message = outbox_enqueue(
        to="eva.persson@test.example",
        subject="Bekräfta din intresseanmälan",
        body="Hej Eva",
        language="sv",
    )
    OutboxMessage.objects.filter(pk=message.pk).update(
        attempts=6,
        last_error="SMTPDataError: (451, b'4.3.0 Mail server busy')",
        next_attempt_at=timezone.now() + timedelta(hours=2),
    )
    cron_run(only=["outbox-deliver"])
    assert mail.outbox == []
    sign_in(page, live_server.url, cecilia, next_path="/en/staff/outbox/")
    expect(page.get_by_role("heading", name="E-mail outbox")).to_be_visible()
    expect(page.get_by_text("e…@test.example")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Try again now").click()
    expect(page.get_by_text("The e-mail will be sent within a minute.")).to_be_visible()
    cron_run(only=["outbox-deliver"], force=True)  # the next minute's cron run
    assert [m.to for m in mail.outbox] == [["eva.persson@test.example"]]
    page.goto(live_server.url + "/en/staff/jobs/")
    expect(page.get_by_role("heading", name="Scheduled jobs")).to_be_visible()
    expect(page.get_by_text("1 sent, 0 failed, 0 old messages deleted")).to_be_visible()
    assert_accessible(page)
