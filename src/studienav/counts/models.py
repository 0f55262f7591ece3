"""Stored cohort definitions, each region's privacy rules, the question log, budgets, agents
and questions sent to the regions' agents with their answers per region."""

from __future__ import annotations

from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studienav.core.models import Region, User
from studienav.feasibility.models import StudyRequest


class CohortDefinition(models.Model):
    """A named cohort definition; every edit adds a version, none is overwritten."""

    title = models.CharField(_("title"), max_length=200)
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="cohort_definitions")
    # The regions it is meant for; empty means every region of the node.
    regions = models.ManyToManyField(
        Region, verbose_name=_("regions"), blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("counts:definition", args=[self.pk])

    @property
    def latest(self) -> CohortVersion | None:
        return self.versions.order_by("-number").first()


class CohortVersion(models.Model):
    """One version of a definition: its JSON as validated, and its fingerprint."""

    definition = models.ForeignKey(
        CohortDefinition, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField()
    content = models.JSONField(_("definition"))
    fingerprint = models.CharField(max_length=64)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["definition", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["definition", "number"], name="counts_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.definition.title} v{self.number}"


class PrivacyMode(models.TextChoices):
    NOISE = "noise", _("Threshold and bounded noise")
    DIFFERENTIAL = "dp", _("Differential privacy")


# The rules a region's disclosure officer sets (the form and the audited change both use them).
PRIVACY_FIELDS = (
    "mode",
    "threshold",
    "rounding",
    "noise_sigma",
    "noise_clamp",
    "dp_epsilon",
    "dp_monthly_budget",
    "min_age_span",
    "max_criteria",
    "lockout_questions",
    "lockout_hours",
)


class RegionPrivacy(models.Model):
    """A region's rules for every count that leaves it. A region without a row uses the
    defaults below (those of i2b2/SHRINE: fewer than 11 hidden, noise σ 1.33 clamped to ±3)."""

    region = models.OneToOneField(Region, on_delete=models.PROTECT, related_name="count_privacy")
    mode = models.CharField(
        _("protection"), max_length=10, choices=PrivacyMode.choices, default=PrivacyMode.NOISE
    )
    threshold = models.PositiveIntegerField(
        _("hide counts of at most"), default=10, validators=[MaxValueValidator(1000)]
    )
    rounding = models.PositiveIntegerField(
        _("round to a multiple of"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
    )
    noise_sigma = models.FloatField(
        _("noise standard deviation"),
        default=1.33,
        validators=[MinValueValidator(0.0), MaxValueValidator(100.0)],
    )
    noise_clamp = models.PositiveIntegerField(
        _("noise at most"), default=3, validators=[MaxValueValidator(100)]
    )
    dp_epsilon = models.FloatField(
        _("privacy loss (ε) per answer"),
        default=0.25,
        validators=[MinValueValidator(0.01), MaxValueValidator(10.0)],
    )
    dp_monthly_budget = models.FloatField(
        _("privacy budget (ε) per requester per month"),
        default=1.0,
        validators=[MinValueValidator(0.01), MaxValueValidator(1000.0)],
    )
    min_age_span = models.PositiveSmallIntegerField(
        _("narrowest age range in years"), default=5, validators=[MaxValueValidator(150)]
    )
    max_criteria = models.PositiveSmallIntegerField(
        _("most criteria in one definition"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(40)],
    )
    lockout_questions = models.PositiveSmallIntegerField(
        _("near-identical questions allowed"),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
    )
    lockout_hours = models.PositiveSmallIntegerField(
        _("in a window of hours"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 90)],
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name_plural = "region privacy rules"

    def __str__(self) -> str:
        return f"{self.region.short_name}: {self.get_mode_display()}"


class QuestionStatus(models.TextChoices):
    ANSWERED = "answered", _("Answered")
    REFUSED = "refused", _("Refused by a rule")


class RefusalRule(models.TextChoices):
    NONE = "", _("No rule")
    NARROW = "too_narrow", _("The definition is narrower than the region allows")
    LOCKOUT = "lockout", _("Too many near-identical questions")
    BUDGET = "budget", _("The requester's privacy budget is spent")
    NO_DATA = "no_data", _("The region has no data loaded")
    INVALID = "invalid", _("The definition is not valid")


class CountQuestion(models.Model):
    """One question asked of a region's data, answered or refused: the log the region's
    disclosure officer reviews. Only the answer as given is kept, never the exact count."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(default=timezone.now, db_index=True)
    asked_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Who asked, as the region knows them (a hub names its user); budgets and lockout use it.
    requester = models.CharField(_("requester"), max_length=200)
    channel = models.CharField(_("asked through"), max_length=20)
    fingerprint = models.CharField(max_length=64, db_index=True)
    content = models.JSONField(_("definition"))
    mode = models.CharField(max_length=10, choices=PrivacyMode.choices)
    status = models.CharField(max_length=10, choices=QuestionStatus.choices)
    rule = models.CharField(max_length=20, choices=RefusalRule.choices, blank=True, default="")
    answer = models.JSONField(_("answer as given"), default=dict, blank=True)
    epsilon_spent = models.FloatField(default=0.0)
    is_exact = models.BooleanField(default=False)

    class Meta:
        ordering = ["-asked_at", "-id"]
        indexes = [models.Index(fields=["region", "requester", "asked_at"])]

    def __str__(self) -> str:
        return f"{self.region.code} {self.fingerprint[:12]} {self.status}"

    @property
    def shown_total(self) -> str:
        return str(self.answer.get("total", "")) if self.answer else ""


class BudgetSpend(models.Model):
    """Privacy loss (ε) spent by one answer under differential privacy: the budget ledger."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    requester = models.CharField(max_length=200)
    month = models.DateField()  # the first day of the month the spend counts against
    epsilon = models.FloatField(validators=[MinValueValidator(0.0)])
    question = models.OneToOneField(CountQuestion, on_delete=models.PROTECT, related_name="spend")
    spent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-spent_at"]
        indexes = [models.Index(fields=["region", "requester", "month"])]

    def __str__(self) -> str:
        return f"{self.requester} ε{self.epsilon:.2f} {self.month:%Y-%m}"


class CountAgent(models.Model):
    """A region's count agent, as the hub knows it: where it listens and the public key its
    signed answers are checked with."""

    region = models.OneToOneField(Region, on_delete=models.PROTECT, related_name="count_agent")
    url = models.URLField(_("address"), max_length=300)
    public_key = models.CharField(_("public key (Ed25519, base64)"), max_length=64)
    is_active = models.BooleanField(_("active"), default=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    added_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["region__code"]

    def __str__(self) -> str:
        return f"{self.region.short_name}: {self.url}"


class FederatedQuestion(models.Model):
    """One version of a definition sent to the regions' agents, perhaps for a study request."""

    version = models.ForeignKey(CohortVersion, on_delete=models.PROTECT, related_name="questions")
    asked_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(default=timezone.now)
    study_request = models.ForeignKey(
        StudyRequest,
        verbose_name=_("study request"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="count_questions",
    )

    class Meta:
        ordering = ["-asked_at", "-id"]

    def __str__(self) -> str:
        return f"{self.version} {self.asked_at:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("counts:question", args=[self.pk])


class AnswerStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    ANSWERED = "answered", _("Answered")
    REFUSED = "refused", _("Refused by a rule")


class RegionAnswer(models.Model):
    """One region's answer to a federated question: protected, as its agent signed it."""

    question = models.ForeignKey(
        FederatedQuestion, on_delete=models.CASCADE, related_name="answers"
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    # Sent with the request; the agent's signed answer must name it (no answer reused).
    nonce = models.CharField(max_length=32)
    status = models.CharField(
        max_length=10, choices=AnswerStatus.choices, default=AnswerStatus.WAITING
    )
    rule = models.CharField(max_length=20, choices=RefusalRule.choices, blank=True, default="")
    # "<11" or a number, as the region's rules gave it; `value` is the number when shown.
    shown = models.CharField(max_length=20, blank=True)
    value = models.PositiveIntegerField(null=True, blank=True)
    attrition = models.JSONField(default=list, blank=True)
    mode = models.CharField(max_length=10, choices=PrivacyMode.choices, blank=True)
    epsilon_spent = models.FloatField(default=0.0)
    budget_left = models.FloatField(null=True, blank=True)
    signed_payload = models.TextField(blank=True)
    signature = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["region__code"]
        constraints = [
            models.UniqueConstraint(fields=["question", "region"], name="counts_answer_unique"),
            models.CheckConstraint(
                condition=~models.Q(status="answered") | models.Q(answered_at__isnull=False),
                name="counts_answered_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question_id} {self.region.code} {self.status}"

    def summary(self) -> dict[str, Any]:
        return {"region": self.region.code, "status": self.status, "shown": self.shown}
