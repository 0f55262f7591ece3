"""Expressions of interest, the consent texts people agreed to, follow-up and referrals."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studienav.core.models import Language, Municipality, Region, User
from studienav.participation.fields import EncryptedTextField
from studienav.registry.models import Site, Study

# Fields that hold personal data in clear or encrypted form: never copied into the audit trail.
PERSONAL_FIELDS = (
    "name",
    "email",
    "phone",
    "identity_number",
    "free_text",
    "email_hash",
    "identity_hash",
    "year_of_birth",
    "sex",
    "municipality",
    "conditions",
)


class InterestKind(models.TextChoices):
    GENERAL = "general", _("General interest in research")
    STUDY = "study", _("Interest in one study")


class InterestStatus(models.TextChoices):
    NEW = "new", _("New")
    CONTACTED = "contacted", _("Contacted")
    INFORMATION_SENT = "information_sent", _("Information sent about a study")
    REFERRED = "referred", _("Referred")
    ENROLLED = "enrolled", _("Enrolled")
    NOT_ELIGIBLE = "not_eligible", _("Not eligible")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class PersonSex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")


class ConsentText(models.Model):
    """One version of a consent text in one language, exactly as people saw it. Never edited."""

    kind = models.CharField(_("kind"), max_length=10, choices=InterestKind.choices)
    version = models.PositiveIntegerField(_("version"))
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "language", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "language", "version"], name="consent_text_unique_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} v{self.version} ({self.language})"


class ExpressionOfInterest(models.Model):
    """A person's registration of interest in research in general or in one study."""

    kind = models.CharField(_("kind"), max_length=10, choices=InterestKind.choices)
    study = models.ForeignKey(
        Study, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    site = models.ForeignKey(
        Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The region whose coordinators follow the person up.
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    regions_of_interest = models.ManyToManyField(Region, blank=True, related_name="+")
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.SWEDISH)
    status = models.CharField(
        _("status"), max_length=20, choices=InterestStatus.choices, default=InterestStatus.NEW
    )

    name = EncryptedTextField(_("name"), blank=True)
    email = EncryptedTextField(_("e-mail address"), blank=True)
    phone = EncryptedTextField(_("phone"), blank=True)
    identity_number = EncryptedTextField(_("personal identity number"), blank=True)
    free_text = EncryptedTextField(_("message"), blank=True)
    email_hash = models.CharField(max_length=64, blank=True, db_index=True)
    identity_hash = models.CharField(max_length=64, blank=True, db_index=True)
    year_of_birth = models.PositiveSmallIntegerField(
        _("year of birth"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1900), MaxValueValidator(2100)],
    )
    sex = models.CharField(_("sex"), max_length=10, choices=PersonSex.choices, blank=True)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    conditions = models.JSONField(_("conditions"), default=list, blank=True)

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    first_contact_at = models.DateTimeField(null=True, blank=True)
    enrolled_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(default=timezone.now)
    expiry_warned_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # Set when a withdrawal erased the personal data; the row remains only for the figures.
    erased_at = models.DateTimeField(null=True, blank=True)

    audit_exclude = PERSONAL_FIELDS

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["region", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="study")
                | models.Q(erased_at__isnull=False)
                | models.Q(study__isnull=False),
                name="interest_study_kind_has_study",
            )
        ]

    def __str__(self) -> str:
        # A pseudonymous reference: never the person's name.
        return f"#{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None and self.withdrawn_at is None

    @property
    def reference(self) -> str:
        return f"#{self.pk}"


class Consent(models.Model):
    """What the person agreed to, with the exact consent text they saw."""

    interest = models.ForeignKey(
        ExpressionOfInterest, on_delete=models.CASCADE, related_name="consents"
    )
    text = models.ForeignKey(ConsentText, on_delete=models.PROTECT, related_name="consents")
    given_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    notify_new_studies = models.BooleanField(default=False)
    share_for_referral = models.BooleanField(default=False)

    class Meta:
        ordering = ["-given_at"]

    def __str__(self) -> str:
        return f"consent {self.pk} to {self.text}"

    @property
    def is_valid(self) -> bool:
        return self.confirmed_at is not None and self.withdrawn_at is None


class ContactChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    LETTER = "letter", _("Letter")
    MEETING = "meeting", _("Meeting")
    NOTE = "note", _("Note")


class ContactLogEntry(models.Model):
    """A contact with the person, or a note, in the follow-up."""

    interest = models.ForeignKey(
        ExpressionOfInterest, on_delete=models.CASCADE, related_name="contacts"
    )
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    channel = models.CharField(_("channel"), max_length=10, choices=ContactChannel.choices)
    note = EncryptedTextField(_("note"), blank=True)
    status_after = models.CharField(max_length=20, choices=InterestStatus.choices, blank=True)
    study = models.ForeignKey(
        Study, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    audit_exclude = ("note",)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"contact {self.pk}"


class FollowUpTask(models.Model):
    """Something a coordinator must do for the person by a date."""

    interest = models.ForeignKey(
        ExpressionOfInterest, on_delete=models.CASCADE, related_name="tasks"
    )
    due_on = models.DateField(_("due"))
    description = EncryptedTextField(_("task"))
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    audit_exclude = ("description",)

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return f"task {self.pk}"


class ReferralStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the receiving region")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class Referral(models.Model):
    """A person referred to a study site in another region (remittering)."""

    interest = models.ForeignKey(
        ExpressionOfInterest, on_delete=models.CASCADE, related_name="referrals"
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    from_region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    to_region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.PENDING
    )
    # Only what the person consented to share, as JSON, encrypted.
    shared_data = EncryptedTextField(blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    audit_exclude = ("shared_data",)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"referral {self.pk}"


class NewStudyNotice(models.Model):
    """A newly published study whose matching people are to hear of it, and how far that got.

    Written by the publish service, worked through by `studienav notify-new-studies`: people
    are taken in id order and `last_interest_id` moves with each e-mail in the same
    transaction, so a run that stops half-way resumes without e-mailing anyone twice.
    """

    study = models.OneToOneField(Study, on_delete=models.CASCADE, related_name="+")
    queued_at = models.DateTimeField(default=timezone.now)
    last_interest_id = models.BigIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    done_at = models.DateTimeField(null=True, blank=True, db_index=True)

    def __str__(self) -> str:
        return f"new study notice {self.pk} for study {self.study_id}"
