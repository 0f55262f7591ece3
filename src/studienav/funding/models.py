"""The research council's calls, applications, conflicts of interest, reviews, decisions and
yearly follow-up reports of granted projects."""

from __future__ import annotations

from datetime import date, datetime

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from studienav.core.models import Language, Organisation, Region, StoredFile, User
from studienav.registry.models import Study

SCORE_MIN, SCORE_MAX = 1, 7  # each review criterion
FEASIBILITY_MIN, FEASIBILITY_MAX = 1, 3  # the feasibility of the plan


class CallState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class CallPhase(models.TextChoices):
    """Where a published call is in time, derived from its dates."""

    DRAFT = "draft", _("Draft")
    COMING = "coming", _("Coming")
    OPEN = "open", _("Open for applications")
    REVIEW = "review", _("Closed: in review")
    DECIDED = "decided", _("Decided")


class Call(models.Model):
    """A research council call: dates, rules, form, criteria and its text in two languages."""

    reference = models.CharField(_("reference"), max_length=30, unique=True)
    title_sv = models.CharField(_("title in Swedish"), max_length=300)
    title_en = models.CharField(_("title in English"), max_length=300)
    text_sv = models.TextField(_("text of the call in Swedish"))
    text_en = models.TextField(_("text of the call in English"))
    opens_on = models.DateField(_("opens"))
    closes_at = models.DateTimeField(_("deadline"))
    decision_on = models.DateField(_("decision by"))
    min_regions = models.PositiveSmallIntegerField(
        _("minimum number of regions"), default=2, validators=[MinValueValidator(2)]
    )
    budget_per_year = models.PositiveIntegerField(
        _("budget ceiling per year (SEK)"), validators=[MinValueValidator(1)]
    )
    budget_total = models.PositiveIntegerField(
        _("budget ceiling in total (SEK)"), validators=[MinValueValidator(1)]
    )
    max_years = models.PositiveSmallIntegerField(
        _("longest project length (years)"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )
    first_year = models.PositiveSmallIntegerField(
        _("first project year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    # [{"key": "background", "title_sv": "...", "title_en": "...", "max_chars": 4000}]
    sections = models.JSONField(_("sections of the application form"), default=list, blank=True)
    # [{"key": "novelty", "title_sv": "...", "title_en": "...", "min": 1, "max": 7}]
    criteria = models.JSONField(_("review criteria"), default=list)
    # [{"key": "cv", "title_sv": "...", "title_en": "..."}]
    required_documents = models.JSONField(_("required documents"), default=list, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=CallState.choices, default=CallState.DRAFT
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opens_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(budget_per_year__lte=models.F("budget_total")),
                name="funding_call_year_within_total",
            ),
            models.CheckConstraint(
                condition=models.Q(decision_on__gte=models.F("opens_on")),
                name="funding_call_decision_after_opening",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("funding:call", args=[self.reference])

    @property
    def title(self) -> str:
        return self.title_en if get_language() == "en" else self.title_sv

    @property
    def text(self) -> str:
        return self.text_en if get_language() == "en" else self.text_sv

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.first_year + self.max_years))

    def is_open(self, now: datetime | None = None) -> bool:
        """Applicants may write and submit: published, opened, and before the deadline."""
        now = now or timezone.now()
        return (
            self.state == CallState.PUBLISHED
            and self.opens_on <= timezone.localdate(now)
            and now < self.closes_at
        )

    def phase(self, now: datetime | None = None) -> CallPhase:
        now = now or timezone.now()
        if self.state == CallState.DRAFT:
            return CallPhase.DRAFT
        if timezone.localdate(now) < self.opens_on:
            return CallPhase.COMING
        if now < self.closes_at:
            return CallPhase.OPEN
        if timezone.localdate(now) < self.decision_on:
            return CallPhase.REVIEW
        return CallPhase.DECIDED

    def localised(self, items: list[dict[str, object]]) -> list[dict[str, object]]:
        """Sections, criteria or documents with a `title` in the language of the page."""
        suffix = "en" if get_language() == "en" else "sv"
        return [{**item, "title": item.get(f"title_{suffix}") or item.get("key")} for item in items]

    @property
    def criteria_localised(self) -> list[dict[str, object]]:
        return self.localised(list(self.criteria))

    @property
    def sections_localised(self) -> list[dict[str, object]]:
        return self.localised(list(self.sections))

    @property
    def documents_localised(self) -> list[dict[str, object]]:
        return self.localised(list(self.required_documents))


class ApplicationState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    GRANTED = "granted", _("Granted")
    REJECTED = "rejected", _("Rejected")


class Application(models.Model):
    """An application to a call, by a main applicant with co-applicants from other regions."""

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="applications")
    reference = models.CharField(_("reference"), max_length=40, unique=True)
    main_applicant = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="funding_applications"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("main applicant's organisation"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("main applicant's region"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(_("project title"), max_length=300)
    description = models.TextField(_("project description"), blank=True)
    plan = models.TextField(_("project plan"), blank=True)
    section_texts = models.JSONField(default=dict, blank=True)
    language = models.CharField(
        _("language of the decision letter"),
        max_length=2,
        choices=Language.choices,
        default=Language.SWEDISH,
    )
    state = models.CharField(
        _("state"), max_length=10, choices=ApplicationState.choices, default=ApplicationState.DRAFT
    )
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["reference"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state="draft") | models.Q(submitted_at__isnull=False),
                name="funding_application_submitted_has_time",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"[:200]

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("funding:application", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        """Applicants change a draft only, and only while the call is open."""
        return self.state == ApplicationState.DRAFT and self.call.is_open()


class CoApplicant(models.Model):
    """A co-applicant invited by e-mail; they confirm through a signed personal link."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="co_applicants"
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail address"))
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    user = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="funding_co_applications",
    )
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.SWEDISH)
    invited_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # Changing the nonce revokes the link sent before.
    link_nonce = models.CharField(max_length=32)

    class Meta:
        ordering = ["invited_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "email"], name="funding_co_applicant_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.region.short_name})"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class BudgetLine(models.Model):
    """What one region's part of the project costs in one year."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="budget_lines"
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    amount = models.PositiveIntegerField(
        _("amount (SEK)"), validators=[MaxValueValidator(100_000_000)]
    )

    class Meta:
        ordering = ["year", "region__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "region", "year"], name="funding_budget_line_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.region.short_name} {self.year}: {self.amount}"


class Attachment(StoredFile):
    """A required document (PDF), stored under a random name outside the web root."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="attachments"
    )
    document_key = models.CharField(_("document"), max_length=40)

    class Meta(StoredFile.Meta):
        ordering = ["document_key", "uploaded_at"]


class ConflictKind(models.TextChoices):
    NONE = "", _("No conflict of interest")
    ORGANISATION = "organisation", _("Same organisation or department as an applicant")
    COLLABORATION = "collaboration", _("Recent or planned collaboration with an applicant")
    PERSONAL = "personal", _("Family or close personal relation")
    COMPETITION = "competition", _("Competing interest")
    OTHER = "other", _("Other reason")


class ConflictDeclaration(models.Model):
    """A committee member's declaration for one application, made before they may open it.
    A declared conflict is final: it is never withdrawn, so the lock-out cannot be undone."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="conflict_declarations"
    )
    member = models.ForeignKey(User, on_delete=models.PROTECT, related_name="funding_conflicts")
    has_conflict = models.BooleanField(_("I have a conflict of interest"))
    kind = models.CharField(
        _("kind of conflict"), max_length=20, choices=ConflictKind.choices, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    declared_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["declared_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "member"], name="funding_declaration_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(has_conflict=False, kind="")
                | (models.Q(has_conflict=True) & ~models.Q(kind="")),
                name="funding_conflict_has_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} / {self.application.reference}: {self.has_conflict}"


class ReviewAssignment(models.Model):
    """The chair asks a reviewer to review an application; one reviewer is its rapporteur."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="assignments"
    )
    reviewer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="funding_assignments")
    is_rapporteur = models.BooleanField(_("rapporteur"), default=False)
    assigned_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["application__reference", "-is_rapporteur", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "reviewer"], name="funding_assignment_unique"
            ),
            models.UniqueConstraint(
                fields=["application"],
                condition=models.Q(is_rapporteur=True),
                name="funding_one_rapporteur",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} → {self.application.reference}"


class Review(models.Model):
    """A reviewer's scores (1–7 per criterion, feasibility 1–3) and comments."""

    assignment = models.OneToOneField(
        ReviewAssignment, on_delete=models.CASCADE, related_name="review"
    )
    scores = models.JSONField(default=dict)  # {criterion key: score}
    feasibility = models.PositiveSmallIntegerField(
        _("feasibility"),
        validators=[MinValueValidator(FEASIBILITY_MIN), MaxValueValidator(FEASIBILITY_MAX)],
    )
    comments = models.TextField(_("comments"), blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["assignment__application__reference", "id"]

    def __str__(self) -> str:
        return f"{self.assignment}"

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None

    @property
    def criteria_mean(self) -> float | None:
        values = [int(v) for v in self.scores.values()]
        return sum(values) / len(values) if values else None


class DiscussionNote(models.Model):
    """What the committee said about an application at its meeting."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="discussion"
    )
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("note"))
    written_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["written_at", "id"]

    def __str__(self) -> str:
        return self.text[:80]


class DecisionOutcome(models.TextChoices):
    GRANTED = "granted", _("Granted")
    REJECTED = "rejected", _("Rejected")


class Decision(models.Model):
    """The committee's decision on an application, with reasons; its letter is a PDF."""

    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="decision"
    )
    outcome = models.CharField(_("decision"), max_length=10, choices=DecisionOutcome.choices)
    amount = models.PositiveIntegerField(_("amount granted (SEK)"), default=0)
    reasons = models.TextField(_("reasons"))
    letter_language = models.CharField(
        _("language of the letter"), max_length=2, choices=Language.choices
    )
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome="rejected", amount=0)
                | models.Q(outcome="granted", amount__gt=0),
                name="funding_decision_amount_matches",
            )
        ]

    def __str__(self) -> str:
        return f"{self.application.reference}: {self.outcome}"

    @property
    def is_granted(self) -> bool:
        return self.outcome == DecisionOutcome.GRANTED


class FollowUpReport(models.Model):
    """A granted project's yearly report: progress, publications, registered studies, money."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="reports")
    year = models.PositiveSmallIntegerField(_("year reported"))
    progress = models.TextField(_("progress"))
    publications = models.JSONField(_("publications (DOI)"), default=list, blank=True)
    studies = models.ManyToManyField(
        Study, verbose_name=_("studies registered"), blank=True, related_name="funding_reports"
    )
    further_funding = models.TextField(_("further funding received"), blank=True)
    further_funding_amount = models.PositiveIntegerField(
        _("further funding in total (SEK)"), default=0
    )
    submitted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["application__reference", "year"]
        constraints = [
            models.UniqueConstraint(fields=["application", "year"], name="funding_report_unique")
        ]

    def __str__(self) -> str:
        return f"{self.application.reference} {self.year}"


class ReportReminder(models.Model):
    """A reminder sent before a yearly report is due, once per threshold."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="report_reminders"
    )
    year = models.PositiveSmallIntegerField()
    days_before_due = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "year", "days_before_due"], name="funding_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application.reference} {self.year} −{self.days_before_due}d"


def report_due_on(year: int) -> date:
    """The report of a project year is due on 1 March of the following year."""
    return date(year + 1, 3, 1)
