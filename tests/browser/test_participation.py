"""A person registers interest, confirms, is matched and sent study information, then withdraws."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from studienav.core.models import Municipality, User
from studienav.participation.models import ExpressionOfInterest, InterestStatus
from studienav.registry.models import OverallStatus, Site, SiteStatus, Study, StudyCondition
from studienav.search.index import search_index_study
from tests.browser.conftest import assert_accessible, sign_in
from tests.factories import OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def _link(body: str, marker: str) -> str:
    return next(u for u in re.findall(r"https?://\S+", body) if marker in u)


def _recruiting_study_in_orebro() -> Study:
    study = Study.objects.create(
        public_title="Ny behandling vid typ 2-diabetes",
        public_title_en="New treatment for type 2 diabetes",
        summary_sv="En studie av en ny tablett.",
        summary_en="A study of a new tablet.",
        study_type="drug",
        sponsor_type="academic",
        state="published",
        overall_status=OverallStatus.RECRUITING,
        min_age_years=18,
        max_age_years=80,
    )
    StudyCondition.objects.create(study=study, name="Type 2 diabetes mellitus", icd10="E11")
    place = Municipality.objects.get(code="1880")
    organisation = OrganisationFactory.create(
        name="Universitetssjukhuset Örebro",
        region=place.region,
        municipality=place,
        latitude=place.latitude,
        longitude=place.longitude,
    )
    Site.objects.create(
        study=study,
        organisation=organisation,
        region=place.region,
        recruitment_status=SiteStatus.RECRUITING,
    )
    search_index_study(study.pk)  # as the registry's services do after every change
    return study


def test_person_registers_is_matched_informed_and_withdraws(
    live_server: LiveServer, page: Page, browser: Browser, bertil: User
) -> None:
    cache.clear()
    study = _recruiting_study_in_orebro()

    page.goto(live_server.url + "/en/participation/interest/")
    expect(page.get_by_role("heading", name="Register your interest in research")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Name", exact=True).fill("Eva Lind")
    page.get_by_role("textbox", name=re.compile("^E-mail address")).fill("eva@test.example")
    page.get_by_role("spinbutton", name=re.compile("^Year of birth")).fill("1970")
    page.get_by_label("Municipality you live in").fill("Örebro")
    page.get_by_role("textbox", name=re.compile("^Conditions or diagnoses")).fill("diabetes")
    page.get_by_label("I have read the consent text above and agree to it").check()
    page.get_by_role("button", name="Register my interest").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    assert_accessible(page)

    confirm = _link(str(mail.outbox[-1].body), "/participation/confirm/")
    page.goto(live_server.url + _path(confirm))
    assert_accessible(page)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Your registration is confirmed")).to_be_visible()
    assert_accessible(page)
    interest = ExpressionOfInterest.objects.get()
    assert interest.confirmed_at is not None

    staff = browser.new_context(locale="sv-SE", viewport={"width": 1280, "height": 900})
    coordinator = staff.new_page()
    coordinator.set_default_timeout(15_000)
    sign_in(coordinator, live_server.url, bertil, next_path="/en/participation/queue/")
    expect(coordinator.get_by_role("heading", name="Registrations of interest")).to_be_visible()
    assert_accessible(coordinator)
    coordinator.get_by_role("link", name=interest.reference).click()
    assert_accessible(coordinator)
    coordinator.get_by_label("Why do you open this person's data?").select_option("matching")
    coordinator.get_by_role("button", name="Open").click()
    expect(coordinator.get_by_text("Eva Lind")).to_be_visible()
    expect(coordinator.get_by_role("cell", name=study.public_title_en, exact=True)).to_be_visible()
    assert_accessible(coordinator)
    coordinator.get_by_role("button", name=re.compile("Send information about")).click()
    expect(coordinator.get_by_text("The study information is sent.")).to_be_visible()
    assert_accessible(coordinator)
    information = mail.outbox[-1]
    assert information.to == ["eva@test.example"]
    assert study.public_title_en in information.body  # the person's language
    interest.refresh_from_db()
    assert interest.status == InterestStatus.INFORMATION_SENT
    staff.close()

    withdraw = _link(str(information.body), "/participation/withdraw/")
    page.goto(live_server.url + _path(withdraw))
    assert_accessible(page)
    page.get_by_role("button", name="Withdraw and erase my data").click()
    expect(page.get_by_role("heading", name="Your consent is withdrawn")).to_be_visible()
    assert_accessible(page)

    interest.refresh_from_db()
    assert interest.status == InterestStatus.WITHDRAWN
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM participation_expressionofinterest")
        rows = str(cursor.fetchall())
        cursor.execute("SELECT * FROM participation_contactlogentry")
        rows += str(cursor.fetchall())
    assert "Eva" not in rows and "eva@test.example" not in rows and "diabetes" not in rows
    assert ExpressionOfInterest.objects.get().name == ""
