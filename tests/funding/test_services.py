"""Calls, applications, eligibility, the deadline lock, review and decisions, via services."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from studienav.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from studienav.core.models import AuditEvent, User
from studienav.funding import services
from studienav.funding.eligibility import eligibility_problems
from studienav.funding.models import (
    Application,
    ApplicationState,
    Call,
    FollowUpReport,
    ReportReminder,
)
from studienav.funding.selectors import (
    RankedApplication,
    applications_visible_to,
    conflict_suggestions,
    rank_rows,
    reviews_visible_to,
)
from tests.funding.conftest import (
    AFTER_DEADLINE,
    call_data,
    draft_application,
    organisation_of,
    pdf_upload,
    score,
)

pytestmark = pytest.mark.django_db


def test_only_node_office_creates_calls(anna: User) -> None:
    with pytest.raises(PermissionDenied):
        services.call_create(by=anna, data=call_data())


def test_call_needs_at_least_two_regions(cecilia: User) -> None:
    with pytest.raises(ValidationFailed) as error:
        services.call_create(by=cecilia, data=call_data(min_regions=1))
    assert error.value.field == "min_regions"


def test_call_deadline_must_follow_opening(cecilia: User) -> None:
    with pytest.raises(ValidationFailed) as error:
        services.call_create(by=cecilia, data=call_data(opens_on=AFTER_DEADLINE.date()))
    assert error.value.field == "closes_at"


def test_call_rules_freeze_once_opened(cecilia: User, open_call: Call) -> None:
    with pytest.raises(InvalidTransition) as error:
        services.call_update(by=cecilia, call=open_call, data={"budget_total": 2_000_000})
    assert error.value.code == "call_opened"


def test_call_creation_is_audited(cecilia: User, open_call: Call) -> None:
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"funding.call.create", "funding.call.publish"} <= actions


def test_complete_application_is_eligible(open_call: Call, anna: User, olle: User) -> None:
    application = draft_application(open_call, anna, olle)
    assert eligibility_problems(application) == []


def test_unconfirmed_co_applicant_does_not_count_as_a_region(
    open_call: Call, anna: User, olle: User, english: None
) -> None:
    application = draft_application(open_call, anna, olle, confirm=False)
    problems = {p.code: p for p in eligibility_problems(application)}
    assert problems["too_few_regions"].field == "co_applicants"
    assert "Olle Holm" in problems["too_few_regions"].message
    assert "budget_region_not_participating" in problems


def test_budget_over_the_yearly_ceiling_names_the_year(
    open_call: Call, anna: User, olle: User, english: None
) -> None:
    application = draft_application(open_call, anna, olle)
    services.budget_set(
        by=anna,
        application=application,
        entries=[services.BudgetEntry(region=application.region, year=2027, amount=600_000)],
    )
    problems = [p for p in eligibility_problems(application) if p.field == "budget"]
    assert [p.code for p in problems] == ["budget_year_ceiling"]
    assert "2027" in problems[0].message
    assert "500\u00a0000 kr" in problems[0].message


def test_budget_over_the_total_ceiling(open_call: Call, anna: User, olle: User) -> None:
    application = draft_application(open_call, anna, olle)
    services.budget_set(
        by=anna,
        application=application,
        entries=[
            services.BudgetEntry(region=application.region, year=2027, amount=500_000),
            services.BudgetEntry(region=application.region, year=2028, amount=500_000),
        ],
    )
    codes = [p.code for p in eligibility_problems(application)]
    assert codes == ["budget_total_ceiling"]


def test_missing_document_and_texts_are_named(
    open_call: Call, anna: User, olle: User, english: None
) -> None:
    application = services.application_start(
        by=anna, call=open_call, title="Bare", organisation=organisation_of(anna)
    )
    problems = {p.field: p.message for p in eligibility_problems(application)}
    assert problems["description"] == "Describe the project."
    assert problems["plan"] == "Write the project plan."
    assert problems["section_patients"] == "Fill in the section “Patient involvement”."
    assert problems["attachments"] == "Attach the document “CV” (PDF)."


def test_submitting_an_ineligible_application_fails_with_every_problem(
    open_call: Call, anna: User
) -> None:
    application = services.application_start(
        by=anna, call=open_call, title="Bare", organisation=organisation_of(anna)
    )
    with pytest.raises(services.NotEligible) as error:
        services.application_submit(by=anna, application=application)
    assert len(error.value.problems) >= 5
    application.refresh_from_db()
    assert application.state == ApplicationState.DRAFT


def test_submitting_locks_the_application(submitted: Application, anna: User) -> None:
    assert submitted.state == ApplicationState.SUBMITTED
    with pytest.raises(InvalidTransition) as error:
        services.application_update(by=anna, application=submitted, data={"plan": "changed"})
    assert error.value.code == "already_submitted"


def test_nothing_changes_after_the_deadline(
    open_call: Call, anna: User, olle: User, time_machine: Any
) -> None:
    application = draft_application(open_call, anna, olle)
    time_machine.move_to(AFTER_DEADLINE)
    attempts = [
        lambda: services.application_update(by=anna, application=application, data={"plan": "x"}),
        lambda: services.budget_set(by=anna, application=application, entries=[]),
        lambda: services.attachment_add(
            by=anna, application=application, document_key="cv", upload=pdf_upload()
        ),
        lambda: services.application_submit(by=anna, application=application),
    ]
    for attempt in attempts:
        with pytest.raises(InvalidTransition) as error:
            attempt()
        assert error.value.code == "deadline_passed"


def test_only_the_main_applicant_changes_the_draft(open_call: Call, anna: User, olle: User) -> None:
    application = draft_application(open_call, anna, olle)
    with pytest.raises(PermissionDenied):
        services.application_update(by=olle, application=application, data={"plan": "mine"})


def test_attachment_must_be_a_pdf(open_call: Call, anna: User, olle: User) -> None:
    application = draft_application(open_call, anna, olle)
    with pytest.raises(ValidationFailed) as error:
        services.attachment_add(
            by=anna,
            application=application,
            document_key="cv",
            upload=pdf_upload("cv.pdf", b"MZ not a pdf"),
        )
    assert error.value.code == "attachment_not_pdf"


def test_attachment_is_size_limited(open_call: Call, anna: User, olle: User, settings: Any) -> None:
    application = draft_application(open_call, anna, olle)
    settings.FUNDING_ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(ValidationFailed) as error:
        services.attachment_add(
            by=anna, application=application, document_key="cv", upload=pdf_upload()
        )
    assert error.value.code == "attachment_too_large"


def test_attachment_is_stored_outside_the_web_root(
    open_call: Call, anna: User, olle: User, settings: Any
) -> None:
    application = draft_application(open_call, anna, olle)
    stored = application.attachments.get()
    assert (services.attachment_dir() / stored.stored_name).read_bytes().startswith(b"%PDF-")
    assert str(services.attachment_dir()).startswith(str(settings.MEDIA_ROOT))
    assert stored.stored_name != "cv.pdf"


def test_co_applicant_confirms_through_the_signed_link(
    open_call: Call, anna: User, olle: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        application = draft_application(open_call, anna, olle, confirm=False)
    message = next(m for m in mail.outbox if m.to == [olle.email])
    link = next(w for w in message.body.split() if "/funding/confirm/" in w)
    token = link.rstrip("/").rsplit("/", 1)[1]
    co = services.co_applicant_by_link(token)
    assert co is not None and co.application == application
    services.co_applicant_confirm(co_applicant=co, by=None)
    co.refresh_from_db()
    assert co.is_confirmed and co.user == olle


def test_forged_link_finds_no_co_applicant() -> None:
    assert services.co_applicant_by_link("1:abc:forged") is None


def test_conflict_suggestions_name_the_shared_organisation(
    submitted: Application, conny: User, english: None
) -> None:
    suggestions = conflict_suggestions(conny, submitted)
    assert any("Akademiska sjukhuset" in s for s in suggestions)


def test_conflict_suggestions_find_earlier_co_applications(
    submitted: Application, olle: User, anna: User, english: None
) -> None:
    suggestions = conflict_suggestions(olle, submitted)
    assert "You are an applicant on this application." in suggestions


def test_conflicted_reviewer_loses_the_assignment(in_review: Application, conny: User) -> None:
    assert not in_review.assignments.filter(reviewer=conny).exists()
    assert not applications_visible_to(conny).filter(pk=in_review.pk).exists()


def test_conflicted_member_cannot_be_assigned_again(
    in_review: Application, kim: User, rita: User, conny: User
) -> None:
    with pytest.raises(ValidationFailed) as error:
        services.reviewers_assign(
            by=kim, application=in_review, reviewers=[rita, conny], rapporteur=rita
        )
    assert error.value.code == "reviewer_conflicted"


def test_applicant_cannot_review_own_application(
    submitted: Application, kim: User, olle: User, rita: User
) -> None:
    from studienav.core.models import Role
    from tests.factories import RoleFactory

    RoleFactory.create(user=olle, role=Role.FUNDING_REVIEWER)
    with pytest.raises(ValidationFailed) as error:
        services.reviewers_assign(
            by=kim, application=submitted, reviewers=[rita, olle], rapporteur=rita
        )
    assert error.value.code == "reviewer_is_applicant"


def test_one_rapporteur_per_application(
    in_review: Application, kim: User, rita: User, rolf: User
) -> None:
    services.reviewers_assign(
        by=kim, application=in_review, reviewers=[rita, rolf], rapporteur=rolf
    )
    assert list(
        in_review.assignments.filter(is_rapporteur=True).values_list("reviewer", flat=True)
    ) == [rolf.pk]


def test_reviewer_must_declare_before_scoring(
    submitted: Application, kim: User, rita: User, time_machine: Any
) -> None:
    time_machine.move_to(AFTER_DEADLINE)
    services.reviewers_assign(by=kim, application=submitted, reviewers=[rita], rapporteur=rita)
    assignment = submitted.assignments.get(reviewer=rita)
    with pytest.raises(PermissionDenied) as error:
        services.review_save(by=rita, assignment=assignment, scores={"quality": 5}, feasibility=2)
    assert error.value.code == "declare_first"


def test_scores_outside_the_scale_are_refused(in_review: Application, rita: User) -> None:
    with pytest.raises(ValidationFailed) as error:
        score(in_review, rita, 8, 5, 2)
    assert error.value.field == "score_quality"
    with pytest.raises(ValidationFailed) as error:
        score(in_review, rita, 5, 5, 4)
    assert error.value.field == "feasibility"


def test_reviewer_sees_others_scores_only_after_submitting(
    in_review: Application, rita: User, rolf: User
) -> None:
    score(in_review, rolf, 6, 6, 3)
    score(in_review, rita, 5, 4, 2, submit=False)
    assert [r.assignment.reviewer for r in reviews_visible_to(rita, in_review)] == [rita]
    score(in_review, rita, 5, 4, 2)
    assert {r.assignment.reviewer for r in reviews_visible_to(rita, in_review)} == {rita, rolf}


def test_submitted_review_is_final(in_review: Application, rita: User) -> None:
    score(in_review, rita, 5, 4, 2)
    with pytest.raises(InvalidTransition):
        score(in_review, rita, 7, 7, 3)


def test_applicants_see_no_reviews(in_review: Application, anna: User, rita: User) -> None:
    score(in_review, rita, 5, 4, 2)
    assert not reviews_visible_to(anna, in_review).exists()


def _row(ref: str, combined: float | None, feasibility: float, spread: float) -> RankedApplication:
    return RankedApplication(
        application=Application(reference=ref),
        combined=combined,
        feasibility=feasibility,
        spread=spread,
    )


def test_ties_are_broken_by_feasibility_then_spread() -> None:
    rows = rank_rows(
        [
            _row("A", 5.0, 2.0, 1.0),
            _row("B", 5.0, 3.0, 2.0),
            _row("C", 5.0, 3.0, 0.5),
            _row("D", 6.0, 1.0, 0.0),
        ]
    )
    assert [(r.application.reference, r.rank) for r in rows] == [
        ("D", 1),
        ("C", 2),
        ("B", 3),
        ("A", 4),
    ]


def test_full_ties_share_a_rank_and_are_marked() -> None:
    rows = rank_rows([_row("A", 5.0, 2.0, 1.0), _row("B", 5.0, 2.0, 1.0), _row("C", None, 0, 0)])
    assert [(r.rank, r.is_tied) for r in rows] == [(1, True), (1, True), (0, False)]


def test_decision_before_the_deadline_is_refused(submitted: Application, kim: User) -> None:
    with pytest.raises(InvalidTransition) as error:
        services.decision_record(
            by=kim, application=submitted, outcome="granted", amount=1000, reasons="Good"
        )
    assert error.value.code == "call_still_open"


def test_granted_amount_cannot_exceed_the_budget(in_review: Application, kim: User) -> None:
    with pytest.raises(ValidationFailed) as error:
        services.decision_record(
            by=kim, application=in_review, outcome="granted", amount=9_000_000, reasons="Good"
        )
    assert error.value.field == "amount"


def test_decision_grants_and_tells_the_applicant(
    in_review: Application, kim: User, anna: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        decision = services.decision_record(
            by=kim, application=in_review, outcome="granted", amount=500_000, reasons="Strong."
        )
    in_review.refresh_from_db()
    assert in_review.state == ApplicationState.GRANTED
    assert decision.letter_language == "en"
    assert any(m.to == [anna.email] and in_review.reference in m.subject for m in mail.outbox)


def test_only_the_chair_decides(in_review: Application, rita: User) -> None:
    with pytest.raises(PermissionDenied):
        services.decision_record(
            by=rita, application=in_review, outcome="rejected", amount=0, reasons="No"
        )


def test_conflicted_chair_cannot_decide(in_review: Application, kim: User) -> None:
    services.conflict_declare(by=kim, application=in_review, has_conflict=True, kind="personal")
    with pytest.raises(PermissionDenied):
        services.decision_record(
            by=kim, application=in_review, outcome="rejected", amount=0, reasons="No"
        )


def test_report_validates_dois(in_review: Application, kim: User, anna: User) -> None:
    services.decision_record(
        by=kim, application=in_review, outcome="granted", amount=500_000, reasons="Strong."
    )
    with pytest.raises(ValidationFailed) as error:
        services.report_submit(
            by=anna,
            application=in_review,
            year=2026,
            progress="Going well",
            publications=["not-a-doi"],
        )
    assert error.value.code == "doi_format"
    report = services.report_submit(
        by=anna,
        application=in_review,
        year=2026,
        progress="Going well",
        publications=["https://doi.org/10.1234/abc.1", "doi:10.1234/abc.1"],
    )
    assert report.publications == ["10.1234/abc.1"]


def test_reminders_before_a_report_is_due_are_sent_once(
    in_review: Application, kim: User, time_machine: Any
) -> None:
    from datetime import date

    services.decision_record(
        by=kim, application=in_review, outcome="granted", amount=500_000, reasons="Strong."
    )
    assert services.reminders_send(today=date(2027, 1, 20)) == 0
    assert services.reminders_send(today=date(2027, 2, 1)) == 1
    assert services.reminders_send(today=date(2027, 2, 2)) == 0
    assert services.reminders_send(today=date(2027, 2, 25)) == 1
    assert ReportReminder.objects.count() == 2
    assert not FollowUpReport.objects.exists()


def test_letter_is_a_pdf_in_the_applicants_language(in_review: Application, kim: User) -> None:
    from studienav.funding.letters import decision_letter_pdf

    decision = services.decision_record(
        by=kim,
        application=in_review,
        outcome="rejected",
        amount=0,
        reasons="Too small.",
        letter_language="sv",
    )
    data = decision_letter_pdf(decision)
    assert data.startswith(b"%PDF-")
    assert b"Beslut" in data or b"/Lang (sv)" in data
