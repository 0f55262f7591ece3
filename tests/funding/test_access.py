"""Pages with the wrong person: a conflicted reviewer gets nothing of the application anywhere,
applicants see status and letter only, and nobody reaches another's draft."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from studienav.core.models import User
from studienav.funding import services
from studienav.funding.models import Application
from tests.funding.conftest import score

pytestmark = pytest.mark.django_db

SignIn = Callable[[Client, User], Client]


def _contents_pages(app: Application) -> list[str]:
    ref = app.call.reference
    return [
        reverse("funding:application", args=[app.pk]),
        reverse("funding:review", args=[app.pk]),
        reverse("funding:letter", args=[app.pk]),
        reverse("funding:attachment", args=[app.pk, app.attachments.get().pk]),
        reverse("funding:decide", args=[app.pk]),
        reverse("funding:declare", args=[app.pk]),
        reverse("funding:committee", args=[ref]),
        reverse("funding:committee_csv", args=[ref]),
        reverse("funding:reviews"),
        reverse("funding:manage") + "?q=mobilisation",
        reverse("funding:assign_list", args=[ref]),
    ]


def _leaks(body: bytes, app: Application) -> bool:
    return any(
        text.encode() in body
        for text in (app.title, "Secret description", app.reference, "Comments by")
    )


@pytest.fixture
def scored(in_review: Application, rita: User, rolf: User, kim: User) -> Application:
    score(in_review, rita, 6, 5, 3)
    score(in_review, rolf, 5, 5, 2)
    services.discussion_add(by=kim, application=in_review, text="Discussed at the meeting")
    return in_review


def test_conflicted_reviewer_sees_nothing_of_the_application_anywhere(
    client: Client, signed_in: SignIn, scored: Application, conny: User
) -> None:
    signed_in(client, conny)
    for url in _contents_pages(scored):
        response = client.get(url)
        assert response.status_code in (200, 403, 404), url
        assert not _leaks(response.content, scored), url


def test_conflicted_chair_sees_nothing_of_the_application_anywhere(
    client: Client, signed_in: SignIn, scored: Application, kim: User
) -> None:
    services.conflict_declare(by=kim, application=scored, has_conflict=True, kind="personal")
    signed_in(client, kim)
    for url in _contents_pages(scored):
        response = client.get(url)
        assert response.status_code in (200, 403, 404), url
        assert not _leaks(response.content, scored), url


def test_chair_sees_the_ranking_with_the_conflicted_member_absent(
    client: Client, signed_in: SignIn, scored: Application, kim: User
) -> None:
    signed_in(client, kim)
    response = client.get(reverse("funding:committee", args=[scored.call.reference]))
    assert response.status_code == 200
    assert scored.reference.encode() in response.content
    assert "Conny Jäv".encode() in response.content
    csv = client.get(reverse("funding:committee_csv", args=[scored.call.reference]))
    assert scored.reference.encode() in csv.content


def test_reviewer_who_has_not_declared_is_sent_to_the_declaration(
    client: Client,
    signed_in: SignIn,
    submitted: Application,
    kim: User,
    rita: User,
    time_machine: Any,
) -> None:
    from tests.funding.conftest import AFTER_DEADLINE

    time_machine.move_to(AFTER_DEADLINE)
    services.reviewers_assign(by=kim, application=submitted, reviewers=[rita], rapporteur=rita)
    signed_in(client, rita)
    assert client.get(reverse("funding:application", args=[submitted.pk])).status_code == 404
    response = client.get(reverse("funding:review", args=[submitted.pk]))
    assert response.status_code == 302
    assert response["Location"].endswith(reverse("funding:declare", args=[submitted.pk]))
    declare = client.get(reverse("funding:declare", args=[submitted.pk]))
    assert b"Secret description" not in declare.content


def test_reviewer_page_hides_other_scores_until_own_is_submitted(
    client: Client, signed_in: SignIn, in_review: Application, rita: User, rolf: User
) -> None:
    score(in_review, rolf, 6, 6, 3)
    signed_in(client, rita)
    page = client.get(reverse("funding:application", args=[in_review.pk]))
    assert b"Comments by Rolf" not in page.content
    committee = client.get(reverse("funding:committee", args=[in_review.call.reference]))
    assert b"6.0" not in committee.content
    score(in_review, rita, 5, 5, 2)
    page = client.get(reverse("funding:application", args=[in_review.pk]))
    assert b"Comments by Rolf" in page.content


def test_applicant_sees_status_but_not_reviews(
    client: Client, signed_in: SignIn, scored: Application, anna: User
) -> None:
    signed_in(client, anna)
    page = client.get(reverse("funding:application", args=[scored.pk]))
    assert page.status_code == 200
    assert b"Comments by" not in page.content
    assert b"Discussed at the meeting" not in page.content
    for url in (
        reverse("funding:committee", args=[scored.call.reference]),
        reverse("funding:committee_csv", args=[scored.call.reference]),
        reverse("funding:decide", args=[scored.pk]),
        reverse("funding:review", args=[scored.pk]),
    ):
        assert client.get(url).status_code in (403, 404), url


def test_another_researcher_cannot_open_a_draft(
    client: Client, signed_in: SignIn, open_call: Any, anna: User, olle: User, david: User
) -> None:
    from tests.funding.conftest import draft_application

    app = draft_application(open_call, anna, olle)
    signed_in(client, david)
    for name in ("application", "edit", "budget", "co_applicants", "documents", "submit"):
        assert client.get(reverse(f"funding:{name}", args=[app.pk])).status_code == 404, name
    signed_in(client, olle)
    assert client.get(reverse("funding:edit", args=[app.pk])).status_code == 404


def test_applicant_reads_the_decision_letter(
    client: Client, signed_in: SignIn, scored: Application, anna: User, kim: User
) -> None:
    services.decision_record(
        by=kim, application=scored, outcome="granted", amount=400_000, reasons="Strong."
    )
    signed_in(client, anna)
    response = client.get(reverse("funding:letter", args=[scored.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


def test_public_call_pages_in_both_languages(client: Client, open_call: Any) -> None:
    assert "Forskningsrådets utlysning 2027" in client.get("/funding/").content.decode()
    assert "Research council call 2027" in client.get("/en/funding/").content.decode()
    page = client.get(f"/en/funding/calls/{open_call.reference}/")
    assert page.status_code == 200
    assert b"Funds for research in at least two regions." in page.content


def test_draft_call_is_not_public(client: Client, cecilia: User) -> None:
    from tests.funding.conftest import call_data

    services.call_create(by=cecilia, data=call_data(reference="RFR-DRAFT"))
    assert client.get("/funding/calls/RFR-DRAFT/").status_code == 404


def test_submit_page_lists_each_problem(
    client: Client, signed_in: SignIn, open_call: Any, anna: User, english: None
) -> None:
    from tests.funding.conftest import organisation_of

    app = services.application_start(
        by=anna, call=open_call, title="Bare", organisation=organisation_of(anna)
    )
    signed_in(client, anna)
    response = client.post(f"/en/funding/applications/{app.pk}/submit/")
    assert response.status_code == 422
    assert b"Describe the project." in response.content
    assert "Attach the document “CV” (PDF).".encode() in response.content


def test_budget_totals_are_computed(
    client: Client, signed_in: SignIn, open_call: Any, anna: User, olle: User
) -> None:
    from tests.funding.conftest import draft_application

    app = draft_application(open_call, anna, olle)
    signed_in(client, anna)
    response = client.post(
        reverse("funding:budget_totals", args=[app.pk]),
        {"amount_03_2027": "100000", "amount_18_2027": "50000", "amount_03_2028": "25000"},
    )
    assert response.status_code == 200
    assert b"150000" in response.content
    assert b"175000" in response.content


def test_applicant_submits_the_yearly_report_with_a_registry_study(
    client: Client, signed_in: SignIn, scored: Application, anna: User, kim: User, english: None
) -> None:
    services.decision_record(
        by=kim, application=scored, outcome="granted", amount=400_000, reasons="Strong."
    )
    signed_in(client, anna)
    url = reverse("funding:report", args=[scored.pk, 2026])
    assert client.get(url).status_code == 200
    bad = client.post(url, {"progress": "On track", "publications": "nonsense"})
    assert bad.status_code == 422
    assert "“nonsense” is not a DOI (10.NNNN/…).".encode() in bad.content
    response = client.post(url, {"progress": "On track", "publications": "10.1234/x.1"})
    assert response.status_code == 302
    assert scored.reports.get(year=2026).publications == ["10.1234/x.1"]


def test_another_person_cannot_report_for_the_project(
    client: Client, signed_in: SignIn, scored: Application, david: User, kim: User
) -> None:
    services.decision_record(
        by=kim, application=scored, outcome="granted", amount=400_000, reasons="Strong."
    )
    signed_in(client, david)
    url = reverse("funding:report", args=[scored.pk, 2026])
    assert client.post(url, {"progress": "Mine now"}).status_code == 404


def test_conflicted_reviewer_cannot_post_to_the_application(
    client: Client, signed_in: SignIn, scored: Application, conny: User
) -> None:
    signed_in(client, conny)
    posts = {
        reverse("funding:review", args=[scored.pk]): {"feasibility": "3", "submit": "1"},
        reverse("funding:note", args=[scored.pk]): {"text": "I was here"},
        reverse("funding:decide", args=[scored.pk]): {"outcome": "rejected", "reasons": "x"},
        reverse("funding:assign", args=[scored.pk]): {f"a{scored.pk}-reviewers": [conny.pk]},
        reverse("funding:declare", args=[scored.pk]): {"has_conflict": "no"},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code in (403, 404), url
    assert not scored.discussion.filter(text="I was here").exists()
    assert not scored.assignments.filter(reviewer=conny).exists()
    assert not hasattr(Application.objects.get(pk=scored.pk), "decision")
