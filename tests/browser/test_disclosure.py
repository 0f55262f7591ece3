"""A health-data request to all seven regions, each region deciding on its own, in Chromium."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from django.utils import translation
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from studienav.core.models import Region, Role, User
from studienav.core.selectors import node_regions
from studienav.disclosure import casework
from studienav.disclosure.models import (
    CaseState,
    Condition,
    DecisionKind,
    DisclosureRequest,
    HarmOutcome,
    RegionCase,
)
from tests.browser.conftest import assert_accessible, sign_in
from tests.factories import RoleFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(browser: Browser, live_server: LiveServer, user: User) -> Page:
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server.url, user)
    expect(page.get_by_role("heading", name="What waits for you")).to_be_visible()
    return page


def _officers() -> dict[str, User]:
    officers = {}
    for region in node_regions():
        user = UserFactory.create(
            email=f"officer.{region.code}@test.example", full_name=f"Officer {region.short_name}"
        )
        RoleFactory.create(user=user, role=Role.DISCLOSURE_OFFICER, region=region)
        officers[region.code] = user
    return officers


def _assess(case: RegionCase, officer: User) -> None:
    casework.case_assign(by=officer, case=case, handler=officer)
    casework.case_assess(
        by=officer,
        case=case,
        data_concerned="Röntgenbilder",
        harm_test="Pseudonymiserat; liten risk.",
        outcome=HarmOutcome.CONDITIONS,
        legal_basis_checked=True,
        ethics_covers=True,
        internal_notes=f"Intern anteckning {case.region.short_name}",
    )


def test_researcher_requests_from_seven_regions_and_follows_each_regions_decision(
    live_server: LiveServer,
    browser: Browser,
    anna: User,
    cecilia: User,
    tmp_path: Path,
    settings: object,
) -> None:
    settings.DISCLOSURE_PRIVATE_DIR = tmp_path / "private"  # type: ignore[attr-defined]
    settings.SITE_URL = live_server.url  # type: ignore[attr-defined]
    officers = _officers()
    decision_pdf = tmp_path / "etikbeslut.pdf"
    decision_pdf.write_bytes(b"%PDF-1.7\n%%EOF\n")

    # The researcher fills in the harmonised form and saves a draft.
    researcher = _sign_in(browser, live_server, anna)
    researcher.goto(live_server.url + "/en/disclosure/")
    assert_accessible(researcher)
    researcher.get_by_role("link", name="New health-data request").click()
    expect(researcher.get_by_role("heading", name="New health-data request")).to_be_visible()
    assert_accessible(researcher)
    researcher.get_by_label("Project title").fill("Patellafrakturer 2011–2023")
    researcher.get_by_label("Purpose of the project").fill(
        "Kohortstudie på 9000 patellafrakturer: demografi, resultat och reoperationer."
    )
    researcher.locator("#id_legal_basis").select_option("public_interest")
    researcher.get_by_label("Is the data to be pseudonymised?").select_option("yes")
    researcher.get_by_label("Who holds the code key").fill("Svenska Frakturregistret")
    researcher.get_by_label("Delivery format").select_option("dicom")
    researcher.get_by_label("Secure channel").select_option("sftp")
    researcher.get_by_label("Data kept until").fill("2036-12-31")
    researcher.get_by_role("textbox", name="Retention and deletion plan").fill(
        "Raderas tio år efter studien."
    )
    with translation.override("en"):
        labels = [str(condition.label) for condition in Condition]
    for label in labels:
        researcher.get_by_label(label).check()
    researcher.get_by_role("button", name="Save the draft").click()
    expect(researcher.get_by_text("The draft is saved.")).to_be_visible()
    assert_accessible(researcher)

    # The ethics approval with its decision, and the data wanted from all seven regions.
    researcher.get_by_text("Add an ethics approval").click()
    researcher.get_by_label("Case number (dnr)").fill("2023-01234-01")
    researcher.get_by_label("Decision date").fill("2023-06-01")
    researcher.get_by_label("The decision (PDF)").set_input_files(decision_pdf)
    researcher.get_by_role("button", name="Add the approval").click()
    expect(researcher.get_by_text("The ethics approval is added.")).to_be_visible()
    for box in researcher.locator("input[name=regions]").all():
        box.check()
    researcher.get_by_label("Registers and systems").fill("RIS/PACS, Svenska Frakturregistret")
    researcher.get_by_label("Variables").fill("Röntgenbilder av knä, ålder, kön, reoperation")
    researcher.get_by_label("Period from").fill("2011-01-01")
    researcher.get_by_label("Period to").fill("2023-12-31")
    researcher.get_by_label("Population criteria").fill("Patellafraktur (ICD-10 S82.0)")
    researcher.get_by_label("Images wanted").check()
    researcher.get_by_label("Images, which and how many").fill("Omkring 9000 röntgenbilder")
    researcher.get_by_role("button", name="Save for the regions ticked").click()
    expect(
        researcher.get_by_text("The data wanted is saved for the regions ticked.")
    ).to_be_visible()
    assert_accessible(researcher)

    # The check finds nothing missing; the request goes to all seven at once.
    researcher.get_by_role("link", name="Check and submit").click()
    assert_accessible(researcher)
    researcher.get_by_role("button", name="Submit to 7 regions").click()
    expect(researcher.get_by_text("The request is submitted to 7 regions.")).to_be_visible()
    request = DisclosureRequest.objects.get()
    cases = {c.region.code: c for c in request.cases.select_related("region")}
    assert len(cases) == 7

    # Uppsala's officer takes the case through the page: assign, assess, approve with conditions.
    uppsala = _sign_in(browser, live_server, officers["03"])
    uppsala.goto(live_server.url + "/en/disclosure/")
    assert_accessible(uppsala)
    uppsala.get_by_role("link", name=cases["03"].reference).click()
    assert_accessible(uppsala)
    uppsala.get_by_role("button", name="Assign").click()
    expect(uppsala.get_by_text("The case handler is assigned.")).to_be_visible()
    uppsala.get_by_label("Which data the assessment concerns").fill("Röntgenbilder av knä")
    uppsala.get_by_label("Harm test (ch. 25 sec. 1)").fill("Pseudonymiserat, liten risk.")
    uppsala.get_by_label("Harm can be averted with conditions (förbehåll)").check()
    uppsala.get_by_label("Legal basis checked").check()
    uppsala.get_by_label("The ethics approval covers the data wanted").check()
    uppsala.get_by_label("Internal notes (only your region's officers read them)").fill(
        "Uppsalas interna anteckning"
    )
    uppsala.get_by_role("button", name="Record the assessment").click()
    expect(uppsala.get_by_text("The secrecy assessment is recorded.")).to_be_visible()
    assert_accessible(uppsala)
    uppsala.get_by_label("Approved with conditions (förbehåll)").check()
    uppsala.get_by_role("textbox", name=re.compile(r"^Conditions \(förbehåll\)")).fill(
        "Bilderna får inte lämnas vidare och ska förvaras i säker miljö."
    )
    uppsala.get_by_role("button", name="Make the decision").click()
    expect(uppsala.get_by_text("The decision is made and its PDF generated.")).to_be_visible()
    assert_accessible(uppsala)
    expect(
        uppsala.get_by_role("link", name=f"Decision {cases['03'].reference} (PDF)")
    ).to_be_visible()

    # The other regions, through their services: Örebro approves with conditions, Dalarna
    # rejects with reasons, Sörmland asks for clarification, the rest are still assessing.
    for code in ("18", "20", "04", "17", "19", "21"):
        _assess(cases[code], officers[code])
    casework.case_decide(
        by=officers["18"],
        case=cases["18"],
        kind=DecisionKind.CONDITIONS,
        conditions="Uppgifterna får inte lämnas vidare.",
    )
    casework.case_decide(
        by=officers["20"],
        case=cases["20"],
        kind=DecisionKind.REJECT,
        reasons="Bilderna kan inte avidentifieras: risk för att enskilda identifieras.",
    )
    casework.case_clarification_ask(
        by=officers["04"], case=cases["04"], text="Vem förvarar kodnyckeln, och var?"
    )

    # The researcher answers Sörmland's question in the same thread.
    researcher.goto(live_server.url + f"/en/disclosure/{request.pk}/")
    assert_accessible(researcher)
    researcher.get_by_label("Your answer").fill("Frakturregistret förvarar nyckeln, åtskild.")
    researcher.get_by_role("button", name="Send the answer to Sörmland").click()
    expect(researcher.get_by_text("Thank you: your answer is sent to Sörmland.")).to_be_visible()
    assert_accessible(researcher)

    # One status view: every region's state with dates.
    status = researcher.get_by_role("table", name="Status per region")
    expect(status.get_by_text("Approved with conditions (förbehåll)")).to_have_count(2)
    expect(status.get_by_text(re.compile("^Rejected"))).to_have_count(1)
    expect(status.get_by_role("cell", name="Secrecy assessment", exact=True)).to_have_count(4)
    expect(researcher.get_by_text("Frakturregistret förvarar nyckeln, åtskild.")).to_be_visible()
    expect(researcher.get_by_text(date.today().isoformat()).first).to_be_visible()
    expect(researcher.get_by_text("Uppsalas interna anteckning")).to_have_count(0)
    states = {c.region.code: c.state for c in request.cases.select_related("region")}
    assert states == {
        "03": CaseState.DECIDED,
        "18": CaseState.DECIDED,
        "20": CaseState.DECIDED,
        "04": CaseState.ASSESSING,
        "17": CaseState.ASSESSING,
        "19": CaseState.ASSESSING,
        "21": CaseState.ASSESSING,
    }

    # The audit trail shows every step, with its reason; no region's internal notes.
    researcher.get_by_role("link", name="Audit trail").click()
    expect(researcher.get_by_role("heading", name="Audit trail")).to_be_visible()
    assert_accessible(researcher)
    for action in (
        "disclosure.request.submit",
        "disclosure.case.assign",
        "disclosure.decision.make",
        "disclosure.clarification.ask",
        "disclosure.clarification.answer",
        "disclosure.case.resume",
    ):
        expect(researcher.get_by_text(action, exact=True).first).to_be_visible()
    expect(
        researcher.get_by_text("Bilderna kan inte avidentifieras", exact=False)
    ).not_to_have_count(0)
    expect(researcher.get_by_text("disclosure.assessment.record")).to_have_count(0)

    # Node office: the overview of all regions, and no region's assessment.
    office = _sign_in(browser, live_server, cecilia)
    office.goto(live_server.url + "/en/disclosure/overview/")
    assert_accessible(office)
    office.goto(live_server.url + f"/en/disclosure/cases/{cases['03'].pk}/")
    assert_accessible(office)
    expect(office.get_by_text("Uppsalas interna anteckning")).to_have_count(0)
    expect(office.get_by_role("heading", name=re.compile("Decision"))).to_be_visible()
    assert Region.objects.filter(code__in=cases).count() == 7
