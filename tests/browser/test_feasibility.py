"""A study request from the sponsor's form to the node's answer, clicked through in Chromium."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from studienav.core.models import Region, Role, User
from studienav.feasibility import services
from studienav.feasibility.exchange import answer_to_document
from studienav.feasibility.models import Answer, RequestState, StudyRequest
from tests.browser.conftest import assert_accessible, sign_in
from tests.factories import RoleFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"https?://\S+/study-requests/answer/\S+/")


def _sign_in(browser: Browser, live_server: LiveServer, user: User) -> Page:
    """A fresh browser context, signed in through the real login form and TOTP."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server.url, user)
    expect(page.get_by_role("heading", name="What waits for you")).to_be_visible()
    return page


def _answer_through_link(browser: Browser, link: str, *, decline: bool) -> None:
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(link.replace("/study-requests/", "/en/study-requests/", 1))
    expect(page.get_by_role("heading", name=re.compile("Answer a study request"))).to_be_visible()
    assert_accessible(page)
    if decline:
        page.get_by_label("No, not this time").check()
        page.get_by_label("Main reason for declining").select_option("no_capacity")
        page.get_by_label("Comment").fill("Two studies recruit in this group now.")
    else:
        page.get_by_label("Yes, interested").check()
        page.get_by_label("Estimated eligible patients per year").fill("14")
        page.get_by_label("Capacity (staff, rooms, equipment)").fill("One research nurse")
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_text("Thank you, your answer is recorded.")).to_be_visible()
    assert_accessible(page)
    context.close()


def test_sponsor_request_is_forwarded_answered_compiled_and_seen_by_the_sponsor(
    live_server: LiveServer,
    browser: Browser,
    david: User,
    cecilia: User,
    uppsala: Region,
    tmp_path: Path,
    settings: object,
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"  # type: ignore[attr-defined]
    settings.SITE_URL = live_server.url  # type: ignore[attr-defined]
    ulla = UserFactory.create(email="ulla@test.example", full_name="Ulla Lindqvist")
    RoleFactory.create(user=ulla, role=Role.NODE_COORDINATOR, region=uppsala)
    synopsis = tmp_path / "synopsis.pdf"
    synopsis.write_bytes(b"%PDF-1.7\n%%EOF\n")
    deadline = (timezone.localdate() + timedelta(days=21)).isoformat()

    # The sponsor submits.
    sponsor = _sign_in(browser, live_server, david)
    sponsor.goto(live_server.url + "/en/study-requests/new/")
    expect(sponsor.get_by_role("heading", name="New study request")).to_be_visible()
    assert_accessible(sponsor)
    sponsor.get_by_label("Kind").select_option("site")
    sponsor.get_by_label("Contact person").fill("David Strand")
    sponsor.get_by_label("Contact e-mail").fill("david@test.example")
    sponsor.get_by_label("Title of the planned study").fill("X-123 in heart failure")
    sponsor.get_by_label("Therapeutic area").select_option("IX")
    sponsor.get_by_label("Indication").fill("HFpEF")
    sponsor.get_by_label("Study type").select_option("drug")
    sponsor.get_by_label("Phase", exact=True).select_option("3")
    sponsor.get_by_label("Key inclusion criteria").fill("Adults with HFpEF")
    sponsor.get_by_label("Answer deadline").fill(deadline)
    sponsor.get_by_label("Protocol synopsis (PDF, at most 20 MB)").set_input_files(synopsis)
    sponsor.get_by_role("button", name="Submit the request").click()
    expect(
        sponsor.get_by_role("heading", name=re.compile("X-123 in heart failure"))
    ).to_be_visible()
    assert_accessible(sponsor)
    request = StudyRequest.objects.get()

    # Node office forwards it to Uppsala.
    office = _sign_in(browser, live_server, cecilia)
    office.goto(live_server.url + f"/en/study-requests/{request.pk}/")
    assert_accessible(office)
    office.get_by_label("Region Uppsala").check()
    office.get_by_role("button", name="Forward", exact=True).click()
    expect(office.get_by_text("The request is forwarded.")).to_be_visible()
    assert_accessible(office)

    # The coordinator asks two recipients.
    coordinator = _sign_in(browser, live_server, ulla)
    coordinator.goto(live_server.url + f"/en/study-requests/{request.pk}/")
    assert_accessible(coordinator)
    coordinator.get_by_role("link", name="Choose recipients in Uppsala").click()
    assert_accessible(coordinator)
    coordinator.get_by_label("Others to ask").fill(
        "Kardiologen Akademiska, kardio@test.example\nMedicin Enköping, medicin@test.example"
    )
    coordinator.get_by_role("button", name="Send the request to them").click()
    expect(coordinator.get_by_text("2 recipients are asked by e-mail.")).to_be_visible()

    links = {}
    for message in mail.outbox:
        found = LINK.search(str(message.body))
        if found:
            links[message.to[0]] = found.group(0)
    assert set(links) == {"kardio@test.example", "medicin@test.example"}
    assert all("X-123" not in m.body for m in mail.outbox)

    # Two recipients answer through their links; one declines with a reason.
    _answer_through_link(browser, links["kardio@test.example"], decline=False)
    _answer_through_link(browser, links["medicin@test.example"], decline=True)
    assert Answer.objects.filter(is_interested=False, decline_reason="no_capacity").count() == 1

    # The coordinator compiles; node office sends the answer.
    coordinator.goto(live_server.url + f"/en/study-requests/{request.pk}/")
    coordinator.get_by_role("link", name="Compile Uppsala").click()
    assert_accessible(coordinator)
    coordinator.get_by_label("Summary of the region's answers").fill(
        "One clinic interested, about 14 patients a year; one declined (no capacity)."
    )
    coordinator.get_by_role("button", name="Save the compiled answer").click()
    expect(coordinator.get_by_text("The region's answer is compiled.")).to_be_visible()

    office.goto(live_server.url + f"/en/study-requests/{request.pk}/")
    office.get_by_role("link", name="Write the answer to the sponsor").click()
    assert_accessible(office)
    office.get_by_role("button", name="Send the answer").click()
    expect(office.get_by_text("The answer is sent to the sponsor.")).to_be_visible()

    # The sponsor sees the answer and the status per region.
    sponsor.goto(live_server.url + f"/en/study-requests/{request.pk}/")
    expect(sponsor.get_by_role("heading", name="The node's answer")).to_be_visible()
    expect(sponsor.get_by_text("about 14 patients a year")).to_be_visible()
    expect(sponsor.get_by_role("cell", name="Compiled")).to_be_visible()
    # The clinics' individual answers stay with the node.
    expect(sponsor.get_by_text("Medicin Enköping")).to_have_count(0)
    assert_accessible(sponsor)
    request.refresh_from_db()
    assert request.state == RequestState.ANSWERED


def test_answer_goes_without_a_late_region_which_follows_as_a_supplement(
    live_server: LiveServer,
    browser: Browser,
    david: User,
    cecilia: User,
    bertil: User,
    uppsala: Region,
    orebro: Region,
    tmp_path: Path,
    settings: object,
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"  # type: ignore[attr-defined]
    settings.SITE_URL = live_server.url  # type: ignore[attr-defined]
    request = services.request_submit(
        by=david,
        organisation=david.roles.get(role=Role.SPONSOR).organisation,  # type: ignore[arg-type]
        data={
            "kind": "site",
            "contact_name": "David Strand",
            "contact_email": "david@test.example",
            "title": "X-123 in heart failure",
            "therapeutic_area": "IX",
            "indication": "HFpEF",
            "study_type": "drug",
            "phase": "3",
            "inclusion_criteria": "Adults with HFpEF",
            "answer_deadline": timezone.localdate() + timedelta(days=21),
        },
    )
    uppsala_part, orebro_part = services.request_forward(
        by=cecilia, request=request, regions=[uppsala, orebro]
    )
    services.region_compile(by=cecilia, part=uppsala_part, summary="Two clinics interested.")

    # Node office sends by the deadline without Örebro, saying why.
    office = _sign_in(browser, live_server, cecilia)
    office.goto(live_server.url + f"/en/study-requests/{request.pk}/send/")
    expect(office.get_by_text(re.compile("Not compiled yet: Örebro län"))).to_be_visible()
    assert_accessible(office)
    office.get_by_label("Why the answer goes without some regions").fill(
        "Örebro had not compiled by the deadline."
    )
    office.get_by_role("button", name="Send the answer").click()
    expect(office.get_by_text("The answer is sent to the sponsor.")).to_be_visible()

    # The sponsor sees Örebro marked as no answer by the deadline.
    sponsor = _sign_in(browser, live_server, david)
    sponsor.goto(live_server.url + f"/en/study-requests/{request.pk}/")
    expect(sponsor.get_by_text("Örebro län: no answer by the deadline.")).to_be_visible()
    expect(sponsor.get_by_role("cell", name="No answer by the deadline")).to_be_visible()
    assert_accessible(sponsor)

    # Örebro compiles later; node office sends it as a supplement.
    services.region_compile(by=bertil, part=orebro_part, summary="One clinic, 8 a year.")
    office.goto(live_server.url + f"/en/study-requests/{request.pk}/")
    assert_accessible(office)
    office.get_by_role("link", name="Send Örebro län as a supplement").click()
    assert_accessible(office)
    office.get_by_label("Supplement to the answer").fill("Örebro: one clinic, 8 a year.")
    office.get_by_role("button", name="Send the supplement").click()
    expect(office.get_by_text("The supplement is sent to the sponsor.")).to_be_visible()

    sponsor.goto(live_server.url + f"/en/study-requests/{request.pk}/")
    expect(sponsor.get_by_text("Örebro: one clinic, 8 a year.")).to_be_visible()
    assert_accessible(sponsor)

    # The compiled answer can be exported and uploaded again: nothing changes.
    request.refresh_from_db()
    document = tmp_path / "answer.json"
    document.write_text(answer_to_document(request).model_dump_json())
    office.goto(live_server.url + "/en/study-requests/import/")
    assert_accessible(office)
    office.get_by_label(
        "Request or compiled answer (JSON, format studienav.feasibility/1)"
    ).set_input_files(document)
    office.get_by_role("button", name="Import").click()
    expect(office.get_by_text(re.compile("Nothing changed"))).to_be_visible()
