"""A research council application from the call page to the decision letter, in Chromium."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from studienav.core.models import Role, User
from studienav.funding import services
from studienav.funding.models import Application, ApplicationState, Call
from tests.browser.conftest import assert_accessible, sign_in
from tests.factories import OrganisationFactory, RoleFactory, UserFactory
from tests.funding.conftest import call_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"https?://\S+/funding/confirm/\S+/")


def _page(browser: Browser, live_server: LiveServer, user: User | None) -> Page:
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    if user is not None:
        sign_in(page, live_server.url, user)
    return page


def _reviewer(email: str, name: str, organisation: Any = None) -> User:
    user = UserFactory.create(email=email, full_name=name, language="en")
    RoleFactory.create(user=user, role=Role.FUNDING_REVIEWER)
    if organisation is not None:
        RoleFactory.create(user=user, role=Role.RESEARCHER, organisation=organisation)
    return user


def _score(browser: Browser, live_server: LiveServer, who: User, app: Application) -> None:
    page = _page(browser, live_server, who)
    page.goto(live_server.url + "/en/funding/reviews/")
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("Declare conflicts of interest")).click()
    assert_accessible(page)
    page.get_by_label("No, I have no conflict of interest").check()
    page.get_by_role("button", name="Declare").click()
    expect(page.get_by_text("you may now open the application")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Score this application").click()
    page.get_by_label("Quality (1–7)").select_option("6")
    page.get_by_label("Relevance (1–7)").select_option("5")
    page.get_by_label("Feasibility (1–3)").select_option("3")
    page.get_by_label("Comments").fill(f"Sound plan, says {who.full_name}.")
    assert_accessible(page)
    page.get_by_role("button", name="Submit the review").click()
    expect(page.get_by_text("Your review is submitted.")).to_be_visible()
    page.context.close()


def test_researcher_applies_committee_reviews_and_decides_applicant_reads_letter(
    live_server: LiveServer,
    browser: Browser,
    anna: User,
    cecilia: User,
    orebro: Any,
    tmp_path: Path,
    settings: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = live_server.url
    now = timezone.now()
    call = services.call_create(
        by=cecilia,
        data=call_data(
            opens_on=timezone.localdate() - timedelta(days=5),
            closes_at=now + timedelta(days=20),
            decision_on=timezone.localdate() + timedelta(days=60),
            first_year=timezone.localdate().year + 1,
        ),
    )
    services.call_publish(by=cecilia, call=call)
    olle = UserFactory.create(email="olle@test.example", full_name="Olle Holm", language="en")
    orebro_hospital = OrganisationFactory.create(name="Universitetssjukhuset Örebro", region=orebro)
    RoleFactory.create(user=olle, role=Role.RESEARCHER, organisation=orebro_hospital)
    kim = UserFactory.create(email="kim@test.example", full_name="Kim Chair", language="en")
    RoleFactory.create(user=kim, role=Role.FUNDING_CHAIR)
    rita = _reviewer("rita@test.example", "Rita Rapporteur")
    rolf = _reviewer("rolf@test.example", "Rolf Reviewer")
    anna_hospital = anna.roles.get(role=Role.RESEARCHER).organisation
    conny = _reviewer("conny@test.example", "Conny Conflicted", anna_hospital)
    cv = tmp_path / "cv.pdf"
    cv.write_bytes(b"%PDF-1.7\n%%EOF\n")
    year = call.first_year

    # The public finds the call and the researcher applies.
    public = _page(browser, live_server, None)
    public.goto(live_server.url + "/en/funding/")
    assert_accessible(public)
    public.get_by_role("link", name="Research council call 2027").click()
    assert_accessible(public)
    public.context.close()

    page = _page(browser, live_server, anna)
    page.goto(live_server.url + f"/en/funding/calls/{call.reference}/")
    page.get_by_role("link", name="Apply").click()
    assert_accessible(page)
    page.get_by_label("Project title").fill("Early mobilisation after hip fracture")
    page.get_by_label("Your organisation").select_option(label="Akademiska sjukhuset")
    page.get_by_label("Language of the decision letter").select_option("en")
    page.get_by_role("button", name="Start the application").click()
    expect(page.get_by_text("Your draft application is started.")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Project description").fill("Mobilisation within 24 hours.")
    page.get_by_label("Project plan").fill("Year 1 recruit; year 2 follow up.")
    page.get_by_label("Patient involvement").fill("The patient council plans with us.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The application is saved.")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Co-applicants").click()
    assert_accessible(page)
    page.get_by_label("Name").fill("Olle Holm")
    page.get_by_label("E-mail address").fill("olle@test.example")
    page.get_by_label("Organisation").select_option(label="Universitetssjukhuset Örebro")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("Olle Holm is invited by e-mail to confirm.")).to_be_visible()

    link = next(LINK.search(str(m.body)).group(0) for m in mail.outbox if m.to == [olle.email])  # type: ignore[union-attr]
    partner = _page(browser, live_server, None)
    partner.goto(link)
    assert_accessible(partner)
    partner.get_by_role("button", name="I confirm that I take part").click()
    expect(partner.get_by_text("you are confirmed as co-applicant")).to_be_visible()
    partner.context.close()

    application = Application.objects.get()
    page.goto(live_server.url + f"/en/funding/applications/{application.pk}/budget/")
    assert_accessible(page)
    page.get_by_label(f"Uppsala, {year} (SEK)").fill("200000")
    page.get_by_label(f"Örebro län, {year} (SEK)").fill("150000")
    expect(page.locator("#budget-totals")).to_contain_text("350000")
    page.get_by_role("button", name="Save the budget").click()
    expect(page.get_by_text("The budget is saved.")).to_be_visible()

    page.get_by_role("link", name="Documents", exact=True).click()
    page.get_by_label("File (PDF)").set_input_files(cv)
    page.get_by_role("button", name="Attach").click()
    expect(page.get_by_text("cv.pdf is attached.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Back to the application").click()
    page.get_by_role("link", name="Check and submit").click()
    assert_accessible(page)
    page.get_by_role("button", name="Submit the application").click()
    expect(
        page.get_by_text(f"Your application {application.reference} is submitted.")
    ).to_be_visible()
    assert_accessible(page)

    # The deadline passes; the chair assigns three reviewers.
    Call.objects.filter(pk=call.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    application.refresh_from_db()
    chair = _page(browser, live_server, kim)
    chair.goto(live_server.url + f"/en/funding/calls/{call.reference}/assign/")
    assert_accessible(chair)
    for person in (rita, rolf, conny):
        chair.get_by_label(person.full_name, exact=True).check()
    chair.get_by_label("Rapporteur", exact=True).select_option(label=rita.full_name)
    chair.get_by_role("button", name=re.compile("Save the reviewers")).click()
    expect(chair.get_by_text(f"Reviewers of {application.reference} are saved.")).to_be_visible()
    assert_accessible(chair)

    # The third reviewer sees the likely conflict, declares it and cannot open the application.
    conflicted = _page(browser, live_server, conny)
    conflicted.goto(live_server.url + f"/en/funding/applications/{application.pk}/declare/")
    expect(conflicted.get_by_text("works in your department or organisation")).to_be_visible()
    assert_accessible(conflicted)
    conflicted.get_by_label("Yes, I have").check()
    conflicted.get_by_label("Kind of conflict").select_option("organisation")
    conflicted.get_by_role("button", name="Declare").click()
    expect(conflicted.get_by_text("you will not see this application again")).to_be_visible()
    assert_accessible(conflicted)
    response = conflicted.goto(live_server.url + f"/en/funding/applications/{application.pk}/")
    assert response is not None and response.status == 404
    conflicted.context.close()

    _score(browser, live_server, rita, application)
    _score(browser, live_server, rolf, application)

    # The committee ranks and the chair decides.
    chair.goto(live_server.url + f"/en/funding/calls/{call.reference}/committee/")
    assert_accessible(chair)
    expect(chair.get_by_role("cell", name="Conny Conflicted")).to_be_visible()
    expect(chair.get_by_role("cell", name="5.5", exact=True)).to_be_visible()
    chair.get_by_role("link", name=re.compile("Decide")).click()
    assert_accessible(chair)
    chair.get_by_label("Granted", exact=True).check()
    chair.get_by_label("Amount granted (SEK)", exact=False).fill("300000")
    chair.get_by_label("Reasons").fill("High quality and clear collaboration.")
    chair.get_by_role("button", name="Record the decision").click()
    expect(chair.get_by_text("The decision is recorded.")).to_be_visible()
    assert_accessible(chair)
    chair.context.close()

    # The applicant reads the decision and its letter.
    page.goto(live_server.url + f"/en/funding/applications/{application.pk}/")
    expect(page.get_by_text("High quality and clear collaboration.")).to_be_visible()
    assert_accessible(page)
    letter = page.request.get(
        live_server.url + f"/en/funding/applications/{application.pk}/letter.pdf"
    )
    assert letter.status == 200
    assert letter.body().startswith(b"%PDF-")
    application.refresh_from_db()
    assert application.state == ApplicationState.GRANTED
