"""Who may see which call, application, review and note.

The conflict-of-interest rule lives in ONE place, `applications_visible_to`: a person who has
declared a conflict for an application never gets it from there, whatever their role, and
every page, export, search, letter and committee view starts from it.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from studienav.core.models import Organisation, Role, User
from studienav.core.selectors import AnyUser, active_roles, has_role, is_node_office
from studienav.funding.models import (
    Application,
    ApplicationState,
    Call,
    CallState,
    CoApplicant,
    ConflictDeclaration,
    DiscussionNote,
    Review,
    ReviewAssignment,
)

# Calls ---------------------------------------------------------------


def calls_public() -> QuerySet[Call]:
    """Published calls, for everyone."""
    return Call.objects.filter(state=CallState.PUBLISHED)


def calls_open_and_coming() -> list[Call]:
    """Published calls whose deadline has not passed: open first, then coming."""
    now = timezone.now()
    calls = calls_public().filter(closes_at__gt=now).order_by("opens_on", "closes_at")
    return sorted(calls, key=lambda c: (c.opens_on > timezone.localdate(now), c.closes_at))


def calls_visible_to(user: AnyUser) -> QuerySet[Call]:
    """Node office sees drafts too; everyone else the published calls."""
    if can_manage_calls(user):
        return Call.objects.all()
    return calls_public()


def can_manage_calls(user: AnyUser) -> bool:
    """Node office creates and publishes calls."""
    return is_node_office(user)


def is_chair(user: AnyUser) -> bool:
    """The committee chair (node office may act for a chair who is absent)."""
    return has_role(user, Role.FUNDING_CHAIR, Role.NODE_OFFICE, Role.ADMINISTRATOR)


def is_reviewer(user: AnyUser) -> bool:
    return has_role(user, Role.FUNDING_REVIEWER)


def reviewers_available() -> QuerySet[User]:
    """Committee members the chair can assign: reviewers and chairs."""
    return User.objects.filter(
        roles__role__in=[Role.FUNDING_REVIEWER, Role.FUNDING_CHAIR],
        roles__revoked_at__isnull=True,
        is_active=True,
    ).distinct()


# Applications: the one rule ---------------------------------------------------------------


def conflicted_application_ids(user: AnyUser) -> QuerySet[ConflictDeclaration, Any]:
    if not user.is_authenticated:
        return ConflictDeclaration.objects.none()
    return ConflictDeclaration.objects.filter(member=user, has_conflict=True).values("application")


def applications_visible_to(user: AnyUser) -> QuerySet[Application]:
    """Applications whose contents the person may see.

    Applicants: their own (main applicant, or co-applicant who confirmed). Node office and
    the chair: every submitted one. Reviewers: those assigned to them for which they have
    declared no conflict. Whoever declared a conflict for an application: never that one.
    """
    if not user.is_authenticated:
        return Application.objects.none()
    own = Q(main_applicant=user) | Q(
        pk__in=CoApplicant.objects.filter(user=user, confirmed_at__isnull=False).values(
            "application"
        )
    )
    visible = own
    if is_chair(user):
        visible |= ~Q(state=ApplicationState.DRAFT)
    declared_free = ConflictDeclaration.objects.filter(member=user, has_conflict=False).values(
        "application"
    )
    visible |= Q(
        pk__in=ReviewAssignment.objects.filter(reviewer=user, application__in=declared_free).values(
            "application"
        )
    ) & ~Q(state=ApplicationState.DRAFT)
    return (
        Application.objects.filter(visible)
        .exclude(pk__in=conflicted_application_ids(user))
        .select_related("call", "main_applicant", "organisation", "region")
    )


def applications_of_applicant(user: AnyUser) -> QuerySet[Application]:
    """The person's own applications (main or confirmed co-applicant), for their status page."""
    if not user.is_authenticated:
        return Application.objects.none()
    return (
        applications_visible_to(user)
        .filter(
            Q(main_applicant=user)
            | Q(co_applicants__user=user, co_applicants__confirmed_at__isnull=False)
        )
        .distinct()
    )


def applications_search(
    user: AnyUser, *, query: str = "", call: Call | None = None
) -> QuerySet[Application]:
    """Search by reference, title or applicant among what the person may see."""
    found = applications_visible_to(user)
    if call is not None:
        found = found.filter(call=call)
    for word in query.split()[:8]:
        found = found.filter(
            Q(reference__icontains=word)
            | Q(title__icontains=word)
            | Q(main_applicant__full_name__icontains=word)
        )
    return found


def is_applicant(user: AnyUser, application: Application) -> bool:
    if not user.is_authenticated:
        return False
    return (
        application.main_applicant_id == user.pk
        or application.co_applicants.filter(user=user, confirmed_at__isnull=False).exists()
    )


def can_edit(user: AnyUser, application: Application) -> bool:
    """Only the main applicant writes, and only a draft while the call is open."""
    return (
        user.is_authenticated
        and application.main_applicant_id == user.pk
        and application.is_editable
    )


# Review ---------------------------------------------------------------


def assignments_of(user: AnyUser) -> QuerySet[ReviewAssignment]:
    """A reviewer's assignments: the list shows only references until they declare."""
    if not user.is_authenticated:
        return ReviewAssignment.objects.none()
    return ReviewAssignment.objects.filter(
        reviewer=user, application__state__in=[s for s in ApplicationState if s != "draft"]
    ).select_related("application__call")


def declaration_of(user: AnyUser, application: Application) -> ConflictDeclaration | None:
    if not user.is_authenticated:
        return None
    return ConflictDeclaration.objects.filter(member=user, application=application).first()


def reviews_visible_to(user: AnyUser, application: Application) -> QuerySet[Review]:
    """Node office and the chair: submitted reviews. A reviewer: their own, and the others'
    submitted ones after they submitted their own. Applicants: none. Nothing at all for an
    application the person may not see."""
    if not applications_visible_to(user).filter(pk=application.pk).exists():
        return Review.objects.none()
    reviews = Review.objects.filter(assignment__application=application).select_related(
        "assignment__reviewer"
    )
    if is_chair(user):
        return reviews.filter(Q(submitted_at__isnull=False) | Q(assignment__reviewer=user.pk))
    own = reviews.filter(assignment__reviewer=user.pk)
    if not own.exists():
        return Review.objects.none()
    if own.filter(submitted_at__isnull=False).exists():
        return reviews.filter(Q(submitted_at__isnull=False) | Q(assignment__reviewer=user.pk))
    return own


def discussion_visible_to(user: AnyUser, application: Application) -> QuerySet[DiscussionNote]:
    """The committee's notes: for the chair, node office and the application's reviewers who
    submitted their review; never for applicants or for anyone conflicted."""
    if not applications_visible_to(user).filter(pk=application.pk).exists():
        return DiscussionNote.objects.none()
    notes = application.discussion.select_related("author")
    if is_chair(user):
        return notes
    submitted = Review.objects.filter(
        assignment__application=application,
        assignment__reviewer=user.pk,
        submitted_at__isnull=False,
    )
    return notes if submitted.exists() else notes.none()


# Conflict suggestions ---------------------------------------------------------------


def _top(organisation: Organisation) -> Organisation:
    seen = set()
    while organisation.parent_id and organisation.pk not in seen:
        seen.add(organisation.pk)
        assert organisation.parent is not None
        organisation = organisation.parent
    return organisation


def member_organisations(user: User) -> list[Organisation]:
    """Where a committee member works: their roles' organisations and those they applied from."""
    organisations = {ra.organisation for ra in active_roles(user) if ra.organisation is not None}
    organisations |= {a.organisation for a in Application.objects.filter(main_applicant=user)}
    organisations |= {
        c.organisation for c in CoApplicant.objects.filter(user=user).select_related("organisation")
    }
    return sorted(organisations, key=lambda o: o.pk)


def conflict_suggestions(member: User, application: Application) -> list[str]:
    """Likely conflicts studienav can see: an applicant in the member's organisation or
    department, and earlier applications the member wrote together with an applicant."""
    reasons: list[str] = []
    applicants = [(application.main_applicant.full_name, application.organisation)] + [
        (c.name, c.organisation) for c in application.co_applicants.select_related("organisation")
    ]
    mine = member_organisations(member)
    for name, organisation in applicants:
        for own in mine:
            if own.pk == organisation.pk:
                reasons.append(
                    _("%(name)s works in your department or organisation, %(org)s.")
                    % {"name": name, "org": organisation}
                )
            elif _top(own).pk == _top(organisation).pk:
                reasons.append(
                    _("%(name)s works in the same organisation as you, %(org)s.")
                    % {"name": name, "org": _top(organisation)}
                )
    applicant_ids = {application.main_applicant_id} | {
        c.user_id for c in application.co_applicants.all() if c.user_id
    }
    applicant_emails = {application.main_applicant.email.lower()} | {
        c.email.lower() for c in application.co_applicants.all()
    }
    if member.pk in applicant_ids or member.email.lower() in applicant_emails:
        reasons.append(_("You are an applicant on this application."))
    together = (
        Application.objects.exclude(pk=application.pk)
        .filter(
            Q(main_applicant=member) | Q(co_applicants__email__iexact=member.email),
        )
        .filter(
            Q(main_applicant__in=applicant_ids)
            | Q(co_applicants__email__in=applicant_emails)
            | Q(main_applicant__email__in=applicant_emails)
        )
        .distinct()
    )
    for earlier in together:
        reasons.append(
            _("You applied together with an applicant before: %(ref)s.")
            % {"ref": earlier.reference}
        )
    return list(dict.fromkeys(reasons))


# The committee meeting ---------------------------------------------------------------


@dataclass
class RankedApplication:
    """One application in the committee's ranking."""

    application: Application
    rank: int = 0
    combined: float | None = None
    feasibility: float | None = None
    spread: float | None = None
    scores: list[float] = field(default_factory=list)
    reviews_submitted: int = 0
    reviews_expected: int = 0
    absent: list[str] = field(default_factory=list)
    is_tied: bool = False


def applications_ranked(applications: list[Application]) -> list[RankedApplication]:
    """Every application with its scores from submitted reviews, ranked (`rank_rows`)."""
    rows = []
    for application in applications:
        reviews = list(
            Review.objects.filter(assignment__application=application, submitted_at__isnull=False)
        )
        means = [m for m in (r.criteria_mean for r in reviews) if m is not None]
        row = RankedApplication(
            application=application,
            scores=[round(m, 2) for m in means],
            reviews_submitted=len(reviews),
            reviews_expected=application.assignments.count(),
            absent=[
                str(d.member)
                for d in application.conflict_declarations.filter(has_conflict=True).select_related(
                    "member"
                )
            ],
        )
        if means:
            row.combined = round(statistics.fmean(means), 2)
            row.feasibility = round(statistics.fmean(r.feasibility for r in reviews), 2)
            row.spread = round(max(means) - min(means), 2)
        rows.append(row)
    return rank_rows(rows)


def rank_rows(rows: list[RankedApplication]) -> list[RankedApplication]:
    """Rank by combined score (highest first); ties broken by feasibility (highest first),
    then by the spread (lowest first: reviewers agree more). Rows still equal on all three
    share a rank and are marked tied: the committee decides between them. Rows without a
    submitted review come last, unranked."""

    def key(row: RankedApplication) -> tuple[float, float, float]:
        return (-(row.combined or 0), -(row.feasibility or 0), row.spread or 0)

    scored = sorted((r for r in rows if r.combined is not None), key=key)
    for index, row in enumerate(scored):
        previous = scored[index - 1] if index else None
        if previous is not None and key(previous) == key(row):
            row.rank = previous.rank
            row.is_tied = previous.is_tied = True
        else:
            row.rank = index + 1
    unscored = sorted(
        (r for r in rows if r.combined is None), key=lambda r: r.application.reference
    )
    return scored + unscored


@dataclass
class Meeting:
    """The committee view as one person may see it."""

    rows: list[RankedApplication]
    hidden: int  # applications of the call the person is kept out of


def committee_ranking(user: AnyUser, call: Call) -> Meeting:
    """The call's submitted applications ranked. Ranks are computed over all of them, then
    the person sees only the rows `applications_visible_to` gives them, renumbered, so that a
    conflicted member cannot read where their application ranked. Reviewers see an
    application's scores only once they submitted their own review for it."""
    submitted = list(
        call.applications.exclude(state=ApplicationState.DRAFT).select_related(
            "main_applicant", "region", "call"
        )
    )
    ranked = applications_ranked(submitted)
    visible = set(applications_visible_to(user).filter(call=call).values_list("pk", flat=True))
    rows = [r for r in ranked if r.application.pk in visible]
    if len(rows) != len(ranked):
        for position, row in enumerate(rows, start=1):
            row.rank = position if row.combined is not None else 0
            row.is_tied = False
    if not is_chair(user):
        own_submitted = set(
            Review.objects.filter(
                assignment__reviewer=user.pk, submitted_at__isnull=False
            ).values_list("assignment__application", flat=True)
        )
        for row in rows:
            if row.application.pk not in own_submitted:
                row.combined = row.feasibility = row.spread = None
                row.scores = []
                row.rank = 0
                row.is_tied = False
    return Meeting(rows=rows, hidden=len(ranked) - len(rows))


def can_see_committee(user: AnyUser, call: Call) -> bool:
    return is_chair(user) or (
        user.is_authenticated
        and ReviewAssignment.objects.filter(reviewer=user, application__call=call).exists()
    )
