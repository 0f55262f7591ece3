"""Study requests from sponsors, their parts per region, recipients, answers and reminders."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studienav.core.models import Language, Organisation, Region, StoredFile, User
from studienav.registry.models import Phase, Study, StudyType, TherapeuticArea


class RequestKind(models.TextChoices):
    COUNTRY = "country", _("Country feasibility")
    SITE = "site", _("Site feasibility")


class RequestState(models.TextChoices):
    RECEIVED = "received", _("Received")
    CLARIFICATION = "clarification", _("Waiting for the sponsor's clarification")
    FORWARDED = "forwarded", _("Forwarded to the regions")
    ANSWERED = "answered", _("Answer sent to the sponsor")
    NOT_FORWARDED = "not_forwarded", _("Not forwarded")


# States in which the request still waits for the node.
OPEN_STATES = (RequestState.RECEIVED, RequestState.CLARIFICATION, RequestState.FORWARDED)


class RequestChannel(models.TextChoices):
    SITE = "site", _("Submitted through studienav")
    EMAIL = "email", _("Received by e-mail")
    NATIONAL = "national", _("From the national portal")


class Confidentiality(models.TextChoices):
    OPEN = "open", _("May be shared with clinics as it is")
    CONFIDENTIAL = "confidential", _("Confidential: only behind sign-in or the personal link")


class Outcome(models.TextChoices):
    NONE = "", _("Not known yet")
    SITE_SELECTED = "site_selected", _("Sites selected")
    STUDY_STARTED = "study_started", _("Study started")
    NOT_PLACED = "not_placed", _("The study was not placed here")


class StudyRequest(models.Model):
    """A sponsor's question whether the node's regions can run a planned study."""

    reference = models.CharField(_("reference"), max_length=30, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=RequestKind.choices)
    state = models.CharField(
        _("state"), max_length=20, choices=RequestState.choices, default=RequestState.RECEIVED
    )
    channel = models.CharField(_("received through"), max_length=10, choices=RequestChannel.choices)
    sponsor_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("sponsor"),
        on_delete=models.PROTECT,
        related_name="study_requests",
    )
    contact_name = models.CharField(_("contact person"), max_length=200)
    contact_email = models.EmailField(_("contact e-mail"))
    submitted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    title = models.CharField(_("title of the planned study"), max_length=300)
    therapeutic_area = models.CharField(
        _("therapeutic area"), max_length=6, choices=TherapeuticArea.choices
    )
    indication = models.CharField(_("indication"), max_length=300)
    study_type = models.CharField(_("study type"), max_length=30, choices=StudyType.choices)
    phase = models.CharField(_("phase"), max_length=10, choices=Phase.choices)
    intervention = models.CharField(_("intervention or product"), max_length=300, blank=True)
    ce_marked = models.BooleanField(_("CE-marked (devices)"), null=True, blank=True)
    inclusion_criteria = models.TextField(_("key inclusion criteria"))
    exclusion_criteria = models.TextField(_("key exclusion criteria"), blank=True)
    sites_wanted = models.PositiveSmallIntegerField(
        _("desired number of sites"), null=True, blank=True, validators=[MaxValueValidator(500)]
    )
    patients_wanted = models.PositiveIntegerField(
        _("desired number of patients"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(1_000_000)],
    )
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    recruitment_months = models.PositiveSmallIntegerField(
        _("recruitment period in months"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
    )
    suggested_sites = models.TextField(_("suggested clinics or investigators"), blank=True)
    answer_deadline = models.DateField(_("answer deadline"))
    confidentiality = models.CharField(
        _("confidentiality"),
        max_length=15,
        choices=Confidentiality.choices,
        default=Confidentiality.CONFIDENTIAL,
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    forwarded_at = models.DateTimeField(_("forwarded"), null=True, blank=True)
    not_forwarded_reason = models.TextField(_("why not forwarded"), blank=True)
    compiled_answer = models.TextField(_("answer to the sponsor"), blank=True)
    answer_sent_at = models.DateTimeField(_("answer sent"), null=True, blank=True)
    late_reason = models.TextField(_("why sent without every region"), blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=Outcome.choices, default=Outcome.NONE, blank=True
    )
    outcome_study = models.ForeignKey(
        Study,
        verbose_name=_("study in the registry"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="feasibility_requests",
    )
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["state", "received_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(state__in=["forwarded", "answered"])
                | models.Q(forwarded_at__isnull=False),
                name="feasibility_forwarded_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="answered") | models.Q(answer_sent_at__isnull=False),
                name="feasibility_answered_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"[:200]

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("feasibility:detail", args=[self.pk])


class ClarificationPause(models.Model):
    """The node asked the sponsor to clarify: the clock stops until the answer comes."""

    request = models.ForeignKey(StudyRequest, on_delete=models.CASCADE, related_name="pauses")
    question = models.TextField(_("question to the sponsor"))
    asked_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(default=timezone.now)
    clarification = models.TextField(_("clarification"), blank=True)
    resumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["asked_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["request"],
                condition=models.Q(resumed_at__isnull=True),
                name="feasibility_one_open_pause",
            )
        ]

    def __str__(self) -> str:
        return self.question[:80]


class Attachment(StoredFile):
    """A protocol synopsis (PDF), stored under a random name outside the web root."""

    request = models.ForeignKey(StudyRequest, on_delete=models.CASCADE, related_name="attachments")


class RegionPart(models.Model):
    """The request as forwarded to one region: its coordinators select and compile."""

    request = models.ForeignKey(StudyRequest, on_delete=models.CASCADE, related_name="parts")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    forwarded_at = models.DateTimeField(default=timezone.now)
    forwarded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    summary = models.TextField(_("summary for the region"), blank=True)
    compiled_at = models.DateTimeField(null=True, blank=True)
    compiled_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # When the region's answer reached the sponsor: with the answer, or later as a supplement.
    sent_at = models.DateTimeField(_("sent to the sponsor"), null=True, blank=True)
    supplement = models.TextField(_("supplement to the answer"), blank=True)
    # Clinic answers collected outside this node (imported with a compiled answer): shown,
    # exported again, but not counted in this node's figures, so nothing is counted twice.
    asked_elsewhere = models.PositiveIntegerField(default=0)
    answers_elsewhere = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["region__code"]
        constraints = [
            models.UniqueConstraint(fields=["request", "region"], name="feasibility_part_unique"),
            models.CheckConstraint(
                condition=models.Q(sent_at__isnull=True) | models.Q(compiled_at__isnull=False),
                name="feasibility_part_sent_is_compiled",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request.reference} {self.region.short_name}"

    @property
    def is_compiled(self) -> bool:
        return self.compiled_at is not None

    @property
    def is_open(self) -> bool:
        """Recipients answer and coordinators compile until the region's answer is sent."""
        state = self.request.state
        return state == RequestState.FORWARDED or (
            state == RequestState.ANSWERED and self.sent_at is None
        )

    @property
    def is_late(self) -> bool:
        """The answer went to the sponsor without this region: "no answer by the deadline"."""
        sent = self.request.answer_sent_at
        return sent is not None and (self.sent_at is None or self.sent_at > sent)


class Recipient(models.Model):
    """A clinic or investigator a coordinator asked to answer one request."""

    part = models.ForeignKey(RegionPart, on_delete=models.CASCADE, related_name="recipients")
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("clinic"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="feasibility_asked"
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail address"))
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.SWEDISH
    )
    selected_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    selected_at = models.DateTimeField(default=timezone.now)
    # Changing the nonce revokes every link sent to this recipient.
    link_nonce = models.CharField(max_length=32)
    link_opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["part", "email"], name="feasibility_recipient_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def request(self) -> StudyRequest:
        return self.part.request


class DeclineReason(models.TextChoices):
    NO_PATIENTS = "no_patients", _("Too few eligible patients")
    NO_CAPACITY = "no_capacity", _("No staff or time available")
    COMPETING = "competing", _("Competing study at the clinic")
    NOT_OUR_AREA = "not_our_area", _("Not our field")
    TIMELINE = "timeline", _("Start or recruitment period does not suit us")
    PROTOCOL = "protocol", _("Concerns about the protocol")
    OTHER = "other", _("Other reason")


class AnswerChannel(models.TextChoices):
    LINK = "link", _("Personal link")
    ACCOUNT = "account", _("Signed in")


class Answer(models.Model):
    """A recipient's answer: interested or not, patients, capacity, competing studies."""

    recipient = models.OneToOneField(Recipient, on_delete=models.CASCADE, related_name="answer")
    is_interested = models.BooleanField(_("interested"))
    eligible_patients_per_year = models.PositiveIntegerField(
        _("estimated eligible patients per year"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(1_000_000)],
    )
    capacity = models.TextField(_("capacity (staff, rooms, equipment)"), blank=True)
    competing_studies = models.TextField(_("competing studies"), blank=True)
    decline_reason = models.CharField(
        _("reason for declining"), max_length=20, choices=DeclineReason.choices, blank=True
    )
    comment = models.TextField(_("comment"), blank=True)
    channel = models.CharField(max_length=10, choices=AnswerChannel.choices)
    answered_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["answered_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_interested=True) | ~models.Q(decline_reason=""),
                name="feasibility_decline_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(is_interested=False) | models.Q(decline_reason=""),
                name="feasibility_interest_has_no_decline_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {'yes' if self.is_interested else 'no'}"


class Reminder(models.Model):
    """A reminder sent to a recipient who had not answered, one per threshold."""

    recipient = models.ForeignKey(Recipient, on_delete=models.CASCADE, related_name="reminders")
    days_before_deadline = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "days_before_deadline"], name="feasibility_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.recipient} −{self.days_before_deadline}d"
