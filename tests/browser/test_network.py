"""A course from the waiting list to a verified certificate, clicked through in Chromium."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from studienav.core.models import OutboxMessage, Role
from studienav.network import services
from studienav.network.models import Certificate, Registration, RegistrationState
from tests.browser.conftest import assert_accessible, sign_in
from tests.factories import RoleFactory, UserFactory
from tests.network.factories import SessionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOW = datetime(2025, 3, 20, 7, 0, tzinfo=UTC)  # 08:00 in Stockholm, the course starts at 10


def _link(address: str, kind: str) -> str:
    """The last link of `kind` in the e-mails to `address`, as a path."""
    bodies = [m.body for m in OutboxMessage.objects.order_by("id") if m.to == address]
    links = re.findall(
        rf"https?://[^/\s]+(/\S*/courses/{kind}/\S+/|/courses/{kind}/\S+/)", "\n".join(bodies)
    )
    assert links, f"no {kind} link to {address}"
    return str(links[-1])


def _page(browser: Browser) -> Page:
    context = browser.new_context(locale="en-GB", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def test_waiting_list_to_certificate_verified_by_a_stranger(
    live_server: LiveServer, browser: Browser, settings: Any, time_machine: Any
) -> None:
    time_machine.move_to(NOW)
    settings.SITE_URL = live_server.url
    lena = UserFactory.create(email="lena@test.example", full_name="Lena Holm")
    RoleFactory.create(user=lena, role=Role.COURSE_LEADER)
    session = SessionFactory.create(
        leader=lena, seats=1, starts_at=NOW + timedelta(hours=2), ends_at=NOW + timedelta(hours=8)
    )
    services.registration_create(
        session=session, full_name="Olle Ek", email="olle@test.example", language="en"
    )

    # Eva finds the full course and lands on the waiting list.
    eva = _page(browser)
    eva.goto(live_server.url + "/en/courses/")
    expect(eva.get_by_role("heading", name="Courses", exact=True)).to_be_visible()
    assert_accessible(eva)
    eva.get_by_role("link", name="GCP basic course").click()
    expect(eva.get_by_text("The session is full.")).to_be_visible()
    assert_accessible(eva)
    eva.get_by_label("Full name").fill("Eva Lind")
    eva.get_by_label("E-mail address").fill("eva@test.example")
    eva.get_by_label("Organisation").fill("Region Gävleborg")
    eva.get_by_label("Language of e-mails and certificate").select_option("en")
    eva.get_by_role("button", name="Join the waiting list").click()
    expect(eva.get_by_role("heading", name="You are on the waiting list")).to_be_visible()
    expect(eva.get_by_text("You are number 1 on the waiting list.")).to_be_visible()
    assert_accessible(eva)

    # Olle cancels through his link; Eva moves up.
    olle = _page(browser)
    olle.goto(live_server.url + _link("olle@test.example", "cancel"))
    assert_accessible(olle)
    olle.get_by_role("button", name="Cancel my registration").click()
    expect(olle.get_by_text("Your registration is cancelled.")).to_be_visible()
    assert_accessible(olle)
    registration = Registration.objects.get(email="eva@test.example")
    assert registration.state == RegistrationState.CONFIRMED
    moved = [m for m in OutboxMessage.objects.order_by("id") if m.to == "eva@test.example"][-1]
    assert "You have a seat" in moved.subject

    # The course leader marks Eva present and issues the certificates.
    leader = _page(browser)
    sign_in(leader, live_server.url, lena)
    leader.goto(live_server.url + f"/en/network/sessions/{session.pk}/")
    assert_accessible(leader)
    leader.get_by_label("Eva Lind (eva@test.example)").check()
    leader.get_by_role("button", name="Save attendance").click()
    expect(leader.get_by_text("Attendance saved.")).to_be_visible()
    leader.get_by_role("button", name="Issue certificates").click()
    expect(leader.get_by_text("1 certificate issued.")).to_be_visible()
    assert_accessible(leader)
    certificate = Certificate.objects.get(registration=registration)

    # Eva downloads her certificate from the e-mail.
    download = eva.context.request.get(live_server.url + _link("eva@test.example", "certificate"))
    assert download.status == 200
    assert download.headers["content-type"] == "application/pdf"
    assert download.body().startswith(b"%PDF-")

    # A stranger checks it by its code.
    stranger = _page(browser)
    stranger.goto(live_server.url + "/en/certificates/")
    assert_accessible(stranger)
    stranger.get_by_label("Verification code").fill(certificate.code.replace("-", " ").lower())
    stranger.get_by_role("button", name="Check").click()
    expect(stranger.get_by_text("Valid", exact=True)).to_be_visible()
    expect(stranger.get_by_text("Eva Lind")).to_be_visible()
    assert_accessible(stranger)
    stranger.goto(live_server.url + "/en/certificates/ZZZZ-ZZZZ-ZZZZ/")
    expect(stranger.get_by_role("heading", name="No such certificate")).to_be_visible()
    assert_accessible(stranger)


def test_node_office_runs_a_network_and_a_member_sees_only_their_own(
    live_server: LiveServer, browser: Browser, settings: Any, tmp_path: Any
) -> None:
    from studienav.network import library
    from studienav.network.models import Network
    from tests.network.factories import MeetingFactory, MemberFactory, NetworkFactory

    settings.MEDIA_ROOT = tmp_path / "media"
    cecilia = UserFactory.create(email="cecilia@test.example", full_name="Cecilia Åberg")
    RoleFactory.create(user=cecilia, role=Role.NODE_OFFICE)
    anna = UserFactory.create(email="anna@test.example", full_name="Anna Berg")
    RoleFactory.create(user=anna, role=Role.RESEARCHER)
    legal = NetworkFactory.create(slug="legal", name="Juridiknätverket", name_en="Legal network")
    NetworkFactory.create(slug="monitoring", name="Monitorering", name_en="Monitoring network")
    MemberFactory.create(network=legal, user=anna, email=anna.email, full_name=anna.full_name)
    MeetingFactory.create(network=legal, title="Avtalsmallar")
    from django.core.files.uploadedfile import SimpleUploadedFile

    library.document_create(
        by=cecilia,
        data={
            "title": "Nationell avtalsmall",
            "topic": "agreements",
            "language": "sv",
            "owner": cecilia,
            "review_on": "2030-01-01",
            "visibility": "public",
        },
        upload=SimpleUploadedFile("mall.pdf", b"%PDF-1.7\n%%EOF\n"),
    )

    office = _page(browser)
    sign_in(office, live_server.url, cecilia)
    for path in ("/en/network/", "/en/network/networks/", "/en/network/documents/"):
        office.goto(live_server.url + path)
        assert_accessible(office)
    office.goto(live_server.url + "/en/network/networks/legal/")
    assert_accessible(office)
    office.get_by_role("link", name=re.compile("Avtalsmallar")).click()
    assert_accessible(office)
    office.get_by_role("textbox", name="Action").fill("Send the revised template to the regions")
    office.get_by_label("Owner").select_option(label="Anna Berg")
    office.get_by_label("Due").fill("2030-02-01")
    office.get_by_role("button", name="Add", exact=True).click()
    expect(
        office.get_by_role("cell", name="Send the revised template to the regions", exact=True)
    ).to_be_visible()
    assert_accessible(office)
    office.goto(live_server.url + "/en/network/report/?year=2025")
    expect(office.get_by_role("heading", name="Activity report 2025")).to_be_visible()
    assert_accessible(office)

    member = _page(browser)
    sign_in(member, live_server.url, anna)
    member.goto(live_server.url + "/en/network/networks/")
    expect(member.get_by_role("link", name="Legal network")).to_be_visible()
    expect(member.get_by_role("link", name="Monitoring network")).to_have_count(0)
    assert_accessible(member)
    response = member.goto(live_server.url + "/en/network/networks/monitoring/")
    assert response is not None and response.status == 404
    assert Network.objects.count() == 2

    public = _page(browser)
    public.goto(live_server.url + "/en/documents/")
    expect(public.get_by_role("link", name="Nationell avtalsmall")).to_be_visible()
    assert_accessible(public)
