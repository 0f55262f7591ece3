"""Who may see which definitions, questions, answers, logs and budgets of patient counts."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from studienav.core.models import Region, Role, User
from studienav.core.selectors import AnyUser, has_role, is_node_office, node_regions, regions_where
from studienav.counts.models import (
    CohortDefinition,
    CountAgent,
    CountQuestion,
    FederatedQuestion,
    PrivacyMode,
    RegionAnswer,
)
from studienav.counts.protection import budget_spent, month_start, requester_label, rules_for
from studienav.feasibility.models import StudyRequest
from studienav.feasibility.selectors import is_sponsor_of, requests_visible_to


def can_build(user: AnyUser) -> bool:
    """Node office, node coordinators and researchers build definitions and ask the regions."""
    return has_role(
        user, Role.NODE_OFFICE, Role.ADMINISTRATOR, Role.NODE_COORDINATOR, Role.RESEARCHER
    )


def can_manage_agents(user: AnyUser) -> bool:
    return is_node_office(user)


def definitions_visible_to(user: AnyUser) -> QuerySet[CohortDefinition]:
    """Node office sees every definition; others the ones they own."""
    if not user.is_authenticated:
        return CohortDefinition.objects.none()
    definitions = CohortDefinition.objects.select_related("owner").prefetch_related("regions")
    if is_node_office(user):
        return definitions
    return definitions.filter(owner=user)


def questions_visible_to(user: AnyUser) -> QuerySet[FederatedQuestion]:
    """Node office all; the asker theirs; a study request's sponsor the questions it carries."""
    if not user.is_authenticated:
        return FederatedQuestion.objects.none()
    questions = FederatedQuestion.objects.select_related(
        "version__definition", "asked_by", "study_request"
    )
    if is_node_office(user):
        return questions
    visible_requests = requests_visible_to(user)
    return questions.filter(Q(asked_by=user) | Q(study_request__in=visible_requests))


def question_regions(definition: CohortDefinition) -> list[Region]:
    """The definition's regions, or every region of the node when it names none."""
    chosen = list(definition.regions.order_by("code"))
    return chosen or list(node_regions())


def officer_regions(user: AnyUser) -> QuerySet[Region]:
    """Regions whose question log the person reviews as data-disclosure officer."""
    return regions_where(user, Role.DISCLOSURE_OFFICER)


def question_log_visible_to(user: AnyUser, region: Region | None = None) -> QuerySet[CountQuestion]:
    """Every question asked of the officer's regions, newest first."""
    log = CountQuestion.objects.filter(region__in=officer_regions(user)).select_related(
        "region", "asked_by"
    )
    return log.filter(region=region) if region is not None else log


def study_request_answers(user: AnyUser, study_request: StudyRequest) -> list[FederatedQuestion]:
    """The count questions a study request carries, for its page: the sponsor, node office and
    the coordinators who see the request see each region's protected answer."""
    if not requests_visible_to(user).filter(pk=study_request.pk).exists():
        return []
    return list(
        study_request.count_questions.select_related("version__definition").prefetch_related(
            "answers__region"
        )
    )


def linkable_requests(user: AnyUser) -> QuerySet[StudyRequest]:
    """Study requests a count question may be attached to: those the person sees and works on
    (not as sponsor: sponsors see answers, they do not ask the regions)."""
    visible = requests_visible_to(user)
    if is_node_office(user):
        return visible
    return visible.filter(parts__region__in=regions_where(user, Role.NODE_COORDINATOR)).distinct()


def agents_visible_to(user: AnyUser) -> QuerySet[CountAgent]:
    if not can_manage_agents(user):
        return CountAgent.objects.none()
    return CountAgent.objects.select_related("region")


@dataclass(frozen=True)
class BudgetLine:
    """One region's differential-privacy budget for the person this month."""

    region: Region
    budget: float | None  # unknown for an agent's region: its rules stay with it
    spent: float | None
    left: float
    source: str  # "hub" (this installation's ledger) or "agent" (as the agent last said)


def budget_lines(user: User) -> list[BudgetLine]:
    """The person's budget in each region that answers under differential privacy: from this
    installation's ledger, and from the latest answer of each region's agent."""
    lines: list[BudgetLine] = []
    month = month_start(timezone.localdate())
    label = requester_label(user)
    for region in node_regions():
        rules = rules_for(region)
        latest = (
            RegionAnswer.objects.filter(
                question__asked_by=user,
                region=region,
                mode=PrivacyMode.DIFFERENTIAL,
                budget_left__isnull=False,
                answered_at__date__gte=month,
            )
            .order_by("-answered_at")
            .first()
        )
        if latest is not None and latest.budget_left is not None and latest.signature:
            lines.append(BudgetLine(region, None, None, latest.budget_left, "agent"))
        elif rules.mode == PrivacyMode.DIFFERENTIAL:
            spent = budget_spent(region=region, requester=label, month=month)
            budget = rules.dp_monthly_budget
            lines.append(BudgetLine(region, budget, spent, max(0.0, budget - spent), "hub"))
    return lines


def is_sponsor_of_question(user: AnyUser, question: FederatedQuestion) -> bool:
    return question.study_request is not None and is_sponsor_of(user, question.study_request)
