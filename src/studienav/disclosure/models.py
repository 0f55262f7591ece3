"""Health-data disclosure requests, each region's case on them, and what the cases record."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studienav.core.models import Language, Organisation, Region, StoredFile, User
from studienav.registry.models import Study


class RequestState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class LegalBasis(models.TextChoices):
    PUBLIC_INTEREST = (
        "public_interest",
        _("Research in the public interest (GDPR art. 6.1 e and 9.2 j)"),
    )
    CONSENT = "consent", _("Consent of the people the data concern (GDPR art. 6.1 a and 9.2 a)")
    QUALITY_REGISTER = "quality_register", _("National quality register (Patient Data Act ch. 7)")
    OTHER = "other", _("Other legal basis (describe it)")


class DeliveryFormat(models.TextChoices):
    CSV = "csv", _("Text files (CSV)")
    STATISTICS = "statistics", _("Statistics package files (SAS, Stata, SPSS, R)")
    DICOM = "dicom", _("Images (DICOM)")
    OTHER = "other", _("Other format (describe it)")


class SecureChannel(models.TextChoices):
    SFTP = "sftp", _("Encrypted file transfer (SFTP)")
    RESEARCH_PLATFORM = "platform", _("Secure research environment")
    ENCRYPTED_MEDIA = "media", _("Encrypted storage medium sent by registered post")
    OTHER = "other", _("Other secure channel (describe it)")


class Condition(models.TextChoices):
    """The confidentiality conditions every requester accepts (the regions' harmonised set)."""

    NO_REIDENTIFICATION = "no_reidentification", _("I will not try to identify any person.")
    NO_PASSING_ON = (
        "no_passing_on",
        _("I will not pass the data on to anyone outside the project."),
    )
    SECURE_STORAGE = (
        "secure_storage",
        _("I will keep the data only in the secure environment named in the request."),
    )
    PURPOSE_ONLY = "purpose_only", _("I will use the data only for the stated purpose.")
    DELETE = "delete", _("I will delete the data as the retention and deletion plan says.")
    REPORT_BREACH = (
        "report_breach",
        _("I will report at once to the region any loss or unauthorised access."),
    )


class DisclosureRequest(models.Model):
    """One researcher's request for health data, to one or more regions of the node."""

    requester = models.ForeignKey(
        User, verbose_name=_("requester"), on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disclosure_requests",
    )
    state = models.CharField(
        _("state"), max_length=10, choices=RequestState.choices, default=RequestState.DRAFT
    )
    title = models.CharField(_("project title"), max_length=300)
    purpose = models.TextField(_("purpose of the project"), blank=True)
    legal_basis = models.CharField(
        _("legal basis"), max_length=20, choices=LegalBasis.choices, blank=True
    )
    legal_basis_details = models.TextField(_("legal basis, in more detail"), blank=True)
    is_pseudonymised = models.BooleanField(_("pseudonymised data"), null=True, blank=True)
    key_holder = models.CharField(_("who holds the code key"), max_length=300, blank=True)
    delivery_format = models.CharField(
        _("delivery format"), max_length=12, choices=DeliveryFormat.choices, blank=True
    )
    secure_channel = models.CharField(
        _("secure channel"), max_length=10, choices=SecureChannel.choices, blank=True
    )
    delivery_details = models.TextField(_("delivery, in more detail"), blank=True)
    retain_until = models.DateField(_("data kept until"), null=True, blank=True)
    deletion_plan = models.TextField(_("retention and deletion plan"), blank=True)
    accepted_conditions = models.JSONField(
        _("accepted confidentiality conditions"), default=list, blank=True
    )
    study = models.ForeignKey(
        Study,
        verbose_name=_("study in the registry"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="disclosure_requests",
    )
    decision_language = models.CharField(
        _("language of the decisions"),
        max_length=2,
        choices=Language.choices,
        default=Language.SWEDISH,
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(state="submitted") | models.Q(submitted_at__isnull=False),
                name="disclosure_submitted_has_time",
            )
        ]

    def __str__(self) -> str:
        return self.title[:200]

    def get_absolute_url(self) -> str:
        return reverse("disclosure:request", args=[self.pk])

    @property
    def is_draft(self) -> bool:
        return self.state == RequestState.DRAFT


class ApprovalKind(models.TextChoices):
    APPROVAL = "approval", _("Approval")
    AMENDMENT = "amendment", _("Approved amendment")


class EthicsApproval(models.Model):
    """An ethics approval (or approved amendment) the request rests on; its PDF is attached."""

    request = models.ForeignKey(
        DisclosureRequest, on_delete=models.CASCADE, related_name="ethics_approvals"
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=ApprovalKind.choices, default=ApprovalKind.APPROVAL
    )
    case_number = models.CharField(_("case number (dnr)"), max_length=40)
    decided_on = models.DateField(_("decision date"))
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["decided_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "case_number"], name="disclosure_ethics_once_per_request"
            )
        ]

    def __str__(self) -> str:
        return self.case_number


class DataWanted(models.Model):
    """What the request wants from one region: registers, variables, period, population."""

    request = models.ForeignKey(
        DisclosureRequest, on_delete=models.CASCADE, related_name="data_wanted"
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    registers = models.TextField(_("registers and systems"))
    variables = models.TextField(_("variables"))
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    population = models.TextField(_("population criteria"))
    includes_images = models.BooleanField(_("images wanted"), default=False)
    images = models.TextField(_("images, which and how many"), blank=True)

    class Meta:
        ordering = ["region__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "region"], name="disclosure_data_once_per_region"
            ),
            models.CheckConstraint(
                condition=models.Q(period_start__lte=models.F("period_end")),
                name="disclosure_data_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.region_id}"

    def clean(self) -> None:
        if self.period_start and self.period_end and self.period_start > self.period_end:
            raise ValidationError({"period_end": _("The period ends before it starts.")})
        if self.includes_images and not self.images.strip():
            raise ValidationError({"images": _("Say which images are wanted and how many.")})


class AttachmentKind(models.TextChoices):
    ETHICS_DECISION = "ethics", _("Ethics decision")
    PROTOCOL = "protocol", _("Research plan or protocol")
    OTHER = "other", _("Other document")


class Attachment(StoredFile):
    """A PDF of the request, kept under a random name in the private directory."""

    request = models.ForeignKey(
        DisclosureRequest, on_delete=models.CASCADE, related_name="attachments"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=AttachmentKind.choices)
    ethics_approval = models.ForeignKey(
        EthicsApproval,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )
    sha256 = models.CharField(max_length=64)


class CaseState(models.TextChoices):
    RECEIVED = "received", _("Received")
    ASSIGNED = "assigned", _("Case handler assigned")
    ASSESSING = "assessing", _("Secrecy assessment")
    CLARIFICATION = "clarification", _("Waiting for the requester's clarification")
    DECIDED = "decided", _("Decided")
    DELIVERED = "delivered", _("Delivered")
    CLOSED = "closed", _("Closed")


# States in which the region still works on the case (the clock may be paused).
OPEN_CASE_STATES = (
    CaseState.RECEIVED,
    CaseState.ASSIGNED,
    CaseState.ASSESSING,
    CaseState.CLARIFICATION,
)


class RegionCase(models.Model):
    """One region's handling of a request: its own reference, handler, assessment, decision."""

    request = models.ForeignKey(DisclosureRequest, on_delete=models.CASCADE, related_name="cases")
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    reference = models.CharField(_("reference number"), max_length=30, unique=True)
    state = models.CharField(
        _("state"), max_length=15, choices=CaseState.choices, default=CaseState.RECEIVED
    )
    handler = models.ForeignKey(
        User,
        verbose_name=_("case handler"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # While waiting for the requester's clarification: since when (the clock is paused).
    paused_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["region__code"]
        indexes = [models.Index(fields=["region", "state"])]
        constraints = [
            models.UniqueConstraint(fields=["request", "region"], name="disclosure_case_unique"),
            models.CheckConstraint(
                condition=~models.Q(state="clarification") | models.Q(paused_since__isnull=False),
                name="disclosure_clarification_is_paused",
            ),
            models.CheckConstraint(
                condition=~models.Q(state__in=["decided", "delivered"])
                | models.Q(decided_at__isnull=False),
                name="disclosure_decided_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("disclosure:case", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_CASE_STATES


class HarmOutcome(models.TextChoices):
    NO_HARM = "no_harm", _("No harm: the data may be disclosed")
    CONDITIONS = "conditions", _("Harm can be averted with conditions (förbehåll)")
    IN_PART = "in_part", _("Harm for part of the data: disclose the rest")
    HARM = "harm", _("Harm: secrecy applies, the data may not be disclosed")


class SecrecyAssessment(models.Model):
    """The region's secrecy assessment under chapter 25 of the Public Access to Information and
    Secrecy Act. Internal to the region: only its disclosure officers read it."""

    case = models.ForeignKey(RegionCase, on_delete=models.CASCADE, related_name="assessments")
    data_concerned = models.TextField(_("which data the assessment concerns"))
    harm_test = models.TextField(_("harm test (ch. 25 sec. 1)"))
    outcome = models.CharField(_("outcome"), max_length=12, choices=HarmOutcome.choices)
    legal_basis_checked = models.BooleanField(_("legal basis checked"), default=False)
    ethics_covers = models.BooleanField(
        _("the ethics approval covers the data wanted"), default=False
    )
    minimisation = models.TextField(_("minimisation (what is left out and why)"), blank=True)
    internal_notes = models.TextField(_("internal notes"), blank=True)
    assessed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField(default=timezone.now)

    # The free texts stay inside the region: the trail records that they changed, not what.
    audit_exclude = ("data_concerned", "harm_test", "minimisation", "internal_notes")

    class Meta:
        ordering = ["assessed_at", "id"]

    def __str__(self) -> str:
        return f"{self.case} {self.outcome}"


class ClarificationMessage(models.Model):
    """One message in a case's clarification thread: the region asks, the requester answers."""

    case = models.ForeignKey(RegionCase, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    is_question = models.BooleanField(default=True)
    text = models.TextField(_("message"))
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sent_at", "id"]

    def __str__(self) -> str:
        return self.text[:80]


class DecisionKind(models.TextChoices):
    APPROVE = "approve", _("Approved")
    CONDITIONS = "conditions", _("Approved with conditions (förbehåll)")
    IN_PART = "in_part", _("Approved in part")
    REJECT = "reject", _("Rejected")


# Kinds that let data out, so that a delivery follows.
APPROVING_KINDS = (DecisionKind.APPROVE, DecisionKind.CONDITIONS, DecisionKind.IN_PART)


class Decision(models.Model):
    """A region's decision on its case; the PDF is generated once, when decided."""

    case = models.OneToOneField(RegionCase, on_delete=models.CASCADE, related_name="decision")
    kind = models.CharField(_("decision"), max_length=12, choices=DecisionKind.choices)
    scope = models.TextField(_("what is disclosed"), blank=True)
    conditions = models.TextField(_("conditions (förbehåll)"), blank=True)
    reasons = models.TextField(_("reasons"), blank=True)
    appeal = models.TextField(_("how to appeal"), blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.SWEDISH
    )
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)
    pdf_stored_name = models.CharField(max_length=64, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="conditions") | ~models.Q(conditions=""),
                name="disclosure_conditions_stated",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind__in=["reject", "in_part"]) | ~models.Q(reasons=""),
                name="disclosure_refusal_has_reasons",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="approve") | ~models.Q(appeal=""),
                name="disclosure_appealable_has_appeal_text",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.kind}"

    @property
    def is_approving(self) -> bool:
        return self.kind in APPROVING_KINDS


class Delivery(models.Model):
    """What the region delivered, when and how, with the files' checksums; never the data."""

    case = models.OneToOneField(RegionCase, on_delete=models.CASCADE, related_name="delivery")
    description = models.TextField(_("what was delivered"))
    delivered_on = models.DateField(_("delivered on"))
    channel = models.CharField(_("channel"), max_length=10, choices=SecureChannel.choices)
    manifest = models.JSONField(_("checksum manifest"), default=list)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.case} {self.delivered_on}"


class NoteKind(models.TextChoices):
    NOTE = "note", _("Common note")
    QUESTION = "question", _("Question to every region")
    ANSWER = "answer", _("Answer from a region")


class CommonNote(models.Model):
    """The node office's notes on a request and its questions to all of the request's regions,
    with the regions' answers: read by node office and the regions' officers, not the requester."""

    request = models.ForeignKey(
        DisclosureRequest, on_delete=models.CASCADE, related_name="common_notes"
    )
    kind = models.CharField(max_length=10, choices=NoteKind.choices)
    question = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="answers"
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True)
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("text"))
    written_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["written_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="answer")
                | models.Q(question__isnull=False, region__isnull=False),
                name="disclosure_answer_has_question_and_region",
            )
        ]

    def __str__(self) -> str:
        return self.text[:80]


class Step(models.TextChoices):
    """The steps that have a deadline (working days, from the settings)."""

    ASSIGN = "assign", _("Assign a case handler")
    DECIDE = "decide", _("Decide")
    CLARIFY = "clarify", _("Answer the clarification")
    DELIVER = "deliver", _("Deliver")


class DeadlineReminder(models.Model):
    """A reminder sent for one step's deadline of a case, once per step and deadline."""

    case = models.ForeignKey(RegionCase, on_delete=models.CASCADE, related_name="reminders")
    step = models.CharField(max_length=10, choices=Step.choices)
    due_on = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "step", "due_on"], name="disclosure_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.step} {self.due_on}"
