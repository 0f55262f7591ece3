"""`protected_count`: the only way a count leaves a region. Applies the region's rules to the
engine's exact count (threshold, sticky noise or differential privacy, narrowness, lockout,
budget) and logs every question, answered or refused, for the disclosure officer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from studienav.core.errors import DomainError, PermissionDenied
from studienav.core.models import Region, User
from studienav.counts import privacy
from studienav.counts.definition import CohortDefinition, definition_fingerprint
from studienav.counts.engines import CountResult
from studienav.counts.models import (
    BudgetSpend,
    CountQuestion,
    PrivacyMode,
    QuestionStatus,
    RefusalRule,
    RegionPrivacy,
)

CountFn = Callable[..., CountResult]
Shown = str | int


@dataclass(frozen=True)
class ProtectedAnswer:
    """What may leave the region: shown values only ("<11" or a number), or a refusal."""

    region: str
    status: str
    rule: str = ""
    message: str = ""
    total: Shown = ""
    attrition: tuple[tuple[str, Shown], ...] = ()
    mode: str = PrivacyMode.NOISE
    epsilon_spent: float = 0.0
    budget_left: float | None = None
    is_exact: bool = False
    question_id: int | None = None
    fingerprint: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_answered(self) -> bool:
        return self.status == QuestionStatus.ANSWERED

    def as_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "status": self.status,
            "rule": self.rule,
            "message": self.message,
            "total": self.total,
            "attrition": [[name, shown] for name, shown in self.attrition],
            "mode": self.mode,
            "epsilon_spent": self.epsilon_spent,
            "budget_left": self.budget_left,
            "is_exact": self.is_exact,
            "fingerprint": self.fingerprint,
        }


class ExactRefused(PermissionDenied):
    default_code = "exact_only_in_test_mode"


def rules_for(region: Region) -> privacy.Rules:
    """The region's rules, or the defaults when it has set none."""
    stored = RegionPrivacy.objects.filter(region=region).first() or RegionPrivacy(region=region)
    return rules_of(stored)


def rules_of(stored: RegionPrivacy) -> privacy.Rules:
    return privacy.Rules(
        mode=stored.mode,
        threshold=stored.threshold,
        rounding=stored.rounding,
        noise_sigma=stored.noise_sigma,
        noise_clamp=stored.noise_clamp,
        dp_epsilon=stored.dp_epsilon,
        dp_monthly_budget=stored.dp_monthly_budget,
        min_age_span=stored.min_age_span,
        max_criteria=stored.max_criteria,
        lockout_questions=stored.lockout_questions,
        lockout_hours=stored.lockout_hours,
    )


def region_noise_key(region: Region) -> bytes:
    """The region's secret noise key: from COUNTS_NOISE_KEY, else derived from SECRET_KEY."""
    secret = (settings.COUNTS_NOISE_KEY or "counts:" + settings.SECRET_KEY).encode()
    return privacy.noise_key(secret, region.code)


def requester_label(requester: User | str | None) -> str:
    """How the log and the budget name the requester."""
    if isinstance(requester, User):
        return f"user:{requester.pk}"
    return (requester or "anonymous")[:200]


def month_start(day: date) -> date:
    return day.replace(day=1)


def budget_spent(*, region: Region, requester: str, month: date) -> float:
    total = BudgetSpend.objects.filter(region=region, requester=requester, month=month).aggregate(
        s=Sum("epsilon")
    )["s"]
    return float(total or 0.0)


def attrition_seeds(definition: CohortDefinition, rows: int) -> list[str]:
    """A noise seed per attrition row: the fingerprint of the definition cut after that row
    (index event, age, sex, inclusions, exclusions: the compiler's order), so a row gets the
    same noise as the same cut asked on its own; the last row is the whole definition."""
    base = definition.model_copy(
        update={"age": None, "sex": (), "inclusions": (), "exclusions": ()}
    )
    cuts = [base]
    current = base
    age = definition.age
    if age is not None and (age.min is not None or age.max is not None):
        current = current.model_copy(update={"age": age})
        cuts.append(current)
    if definition.sex and len(definition.sex) < 2:
        current = current.model_copy(update={"sex": definition.sex})
        cuts.append(current)
    for position in range(len(definition.inclusions)):
        current = current.model_copy(update={"inclusions": definition.inclusions[: position + 1]})
        cuts.append(current)
    for position in range(len(definition.exclusions)):
        current = current.model_copy(update={"exclusions": definition.exclusions[: position + 1]})
        cuts.append(current)
    if len(cuts) == rows:
        return [definition_fingerprint(cut) for cut in cuts]
    whole = definition_fingerprint(definition)
    return [f"{whole}:{row}" for row in range(rows - 1)] + [whole]


def _engine_count(*, region: str, definition: CohortDefinition) -> CountResult:
    from studienav.counts.engines import count

    return count(region=region, definition=definition)


@dataclass(frozen=True)
class _Asked:
    """One question as the log records it."""

    region: Region
    rules: privacy.Rules
    label: str
    asked_by: User | None
    channel: str
    fingerprint: str
    content: dict[str, Any]


def _refuse(
    asked: _Asked, *, rule: str, message: str, budget_left: float | None = None
) -> ProtectedAnswer:
    region, rules, fingerprint, content = (
        asked.region,
        asked.rules,
        asked.fingerprint,
        asked.content,
    )
    question = CountQuestion.objects.create(
        region=region,
        asked_by=asked.asked_by,
        requester=asked.label,
        channel=asked.channel,
        fingerprint=fingerprint,
        content=content,
        mode=rules.mode,
        status=QuestionStatus.REFUSED,
        rule=rule,
        answer={"message": message, "shape": _shape_json(content)},
    )
    return ProtectedAnswer(
        region=region.code,
        status=QuestionStatus.REFUSED,
        rule=rule,
        message=message,
        mode=rules.mode,
        budget_left=budget_left,
        question_id=question.pk,
        fingerprint=asked.fingerprint,
    )


def _shape_json(content: dict[str, Any]) -> dict[str, Any]:
    from studienav.counts.definition import definition_parse

    try:
        return privacy.definition_shape(definition_parse(content)).as_json()
    except DomainError:
        return {}


def _near_identical_count(
    *, region: Region, label: str, rules: privacy.Rules, fingerprint: str, shape: privacy.Shape
) -> tuple[int, bool]:
    """How many distinct near-identical questions the requester asked in the window, and
    whether this very question was among them (a repeat gets its earlier answer)."""
    since = timezone.now() - timedelta(hours=rules.lockout_hours)
    earlier = CountQuestion.objects.filter(
        region=region, requester=label, asked_at__gte=since, status=QuestionStatus.ANSWERED
    ).values_list("fingerprint", "answer")
    shapes: list[tuple[str, privacy.Shape]] = []
    repeated = False
    for fp, answer in earlier:
        if fp == fingerprint:
            repeated = True
            continue
        stored = (answer or {}).get("shape")
        if stored:
            shapes.append((fp, privacy.Shape.from_json(stored)))
    return privacy.count_near_identical(shape, shapes, fingerprint), repeated


@transaction.atomic
def protected_count(
    *,
    region: Region,
    definition: CohortDefinition,
    exact: bool = False,
    requester: User | str | None = None,
    channel: str = "site",
    count_fn: CountFn | None = None,
) -> ProtectedAnswer:
    """Answer one definition from the region's data under the region's rules, and log it.

    Refusals (too narrow, locked out, budget spent, no data) are answers with a rule, logged
    like any other. `exact` gives the engine's numbers and only in test mode
    (COUNTS_TEST_MODE); otherwise it raises `ExactRefused`.
    """
    if exact and not settings.COUNTS_TEST_MODE:
        raise ExactRefused(
            field="exact",
            message=_("Exact counts are given only in test mode (COUNTS_TEST_MODE=1)."),
        )
    # One question at a time per region: the lockout and the budget read what earlier
    # questions wrote.
    stored, _created = RegionPrivacy.objects.select_for_update().get_or_create(region=region)
    rules = rules_of(stored)
    label = requester_label(requester)
    asked_by = requester if isinstance(requester, User) else None
    fingerprint = definition_fingerprint(definition)
    content = definition.model_dump(mode="json")
    shape = privacy.definition_shape(definition)
    common = _Asked(
        region=region,
        rules=rules,
        label=label,
        asked_by=asked_by,
        channel=channel,
        fingerprint=fingerprint,
        content=content,
    )

    narrow = privacy.narrowness(definition, rules)
    if narrow.reason and not exact:
        if narrow.reason == "age_span":
            message = _(
                "The age range spans %(span)s years; this region needs at least %(minimum)s."
            )
        else:
            message = _(
                "The definition has %(criteria)s criteria; this region allows at most %(maximum)s."
            )
        return _refuse(common, rule=RefusalRule.NARROW, message=message % narrow.params)

    similar, repeated = _near_identical_count(
        region=region, label=label, rules=rules, fingerprint=fingerprint, shape=shape
    )
    if not exact and not repeated and similar >= rules.lockout_questions:
        message = _(
            "You asked %(count)s near-identical questions in the last %(hours)s hours; "
            "this region answers no more of them for now."
        ) % {"count": similar, "hours": rules.lockout_hours}
        return _refuse(common, rule=RefusalRule.LOCKOUT, message=message)

    month = month_start(timezone.localdate())
    budget_left: float | None = None
    if rules.mode == PrivacyMode.DIFFERENTIAL and not exact:
        earlier = (
            CountQuestion.objects.filter(
                region=region,
                requester=label,
                fingerprint=fingerprint,
                mode=PrivacyMode.DIFFERENTIAL,
                status=QuestionStatus.ANSWERED,
                asked_at__date__gte=month,
                is_exact=False,
            )
            .order_by("-asked_at")
            .first()
        )
        spent = budget_spent(region=region, requester=label, month=month)
        budget_left = max(0.0, rules.dp_monthly_budget - spent)
        if earlier is not None:
            # Repeating a released answer is post-processing: it spends nothing.
            return _log_answer(
                common, answer=earlier.answer, epsilon=0.0, budget_left=budget_left, exact=False
            )
        if rules.dp_epsilon > budget_left + 1e-9:
            message = _(
                "Your privacy budget for this month in this region is spent (%(left).2f of "
                "%(budget).2f left; an answer costs %(cost).2f)."
            ) % {"left": budget_left, "budget": rules.dp_monthly_budget, "cost": rules.dp_epsilon}
            return _refuse(
                common, rule=RefusalRule.BUDGET, message=message, budget_left=budget_left
            )

    try:
        result = (count_fn or _engine_count)(region=region.code, definition=definition)
    except DomainError as error:
        return _refuse(common, rule=RefusalRule.NO_DATA, message=error.message)

    rows = result.attrition or (("total", result.total),)
    seeds = attrition_seeds(definition, len(rows))
    key = region_noise_key(region)
    epsilon = 0.0
    shown_rows: list[tuple[str, Shown]] = []
    if exact:
        shown_rows = [(name, int(value)) for name, value in rows]
    elif rules.mode == PrivacyMode.DIFFERENTIAL:
        epsilon = rules.dp_epsilon
        # Sequential composition: the rows of one answer share its ε.
        each = epsilon / len(rows)
        shown_rows = [
            (name, privacy.protect_dp(exact=int(value), rules=rules, epsilon=each))
            for name, value in rows
        ]
    else:
        shown_rows = [
            (name, privacy.protect_noise(exact=int(value), rules=rules, key=key, fingerprint=seed))
            for (name, value), seed in zip(rows, seeds, strict=True)
        ]
    answer = {
        "total": shown_rows[-1][1],
        "attrition": [[name, shown] for name, shown in shown_rows],
        "shape": shape.as_json(),
    }
    if budget_left is not None:
        budget_left = max(0.0, budget_left - epsilon)
    return _log_answer(common, answer=answer, epsilon=epsilon, budget_left=budget_left, exact=exact)


def _log_answer(
    asked: _Asked,
    *,
    answer: dict[str, Any],
    epsilon: float,
    budget_left: float | None,
    exact: bool,
) -> ProtectedAnswer:
    region, rules, label = asked.region, asked.rules, asked.label
    question = CountQuestion.objects.create(
        region=region,
        asked_by=asked.asked_by,
        requester=label,
        channel=asked.channel,
        fingerprint=asked.fingerprint,
        content=asked.content,
        mode=rules.mode,
        status=QuestionStatus.ANSWERED,
        answer=answer,
        epsilon_spent=epsilon,
        is_exact=exact,
    )
    if epsilon > 0:
        BudgetSpend.objects.create(
            region=region,
            requester=label,
            month=month_start(timezone.localdate()),
            epsilon=epsilon,
            question=question,
        )
    return ProtectedAnswer(
        region=region.code,
        status=QuestionStatus.ANSWERED,
        total=answer["total"],
        attrition=tuple((str(name), shown) for name, shown in answer["attrition"]),
        mode=rules.mode,
        epsilon_spent=epsilon,
        budget_left=budget_left,
        is_exact=exact,
        question_id=question.pk,
        fingerprint=asked.fingerprint,
    )
