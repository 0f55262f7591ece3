"""Regions, organisations, people, roles and the audit trail that every capability builds on."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from studienav.participation.fields import EncryptedTextField


class HealthcareRegion(models.Model):
    """One of Sweden's six healthcare regions (sjukvårdsregioner)."""

    slug = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name in English"), max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RegionalNode(models.Model):
    """A regional node of Kliniska Studier Sverige; one installation serves one node."""

    slug = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=100)
    healthcare_region = models.OneToOneField(HealthcareRegion, on_delete=models.PROTECT)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Region(models.Model):
    """A region (county council) with its official two-digit code."""

    code = models.CharField(
        _("code"), max_length=2, unique=True, validators=[RegexValidator(r"^\d{2}$")]
    )
    name = models.CharField(_("name"), max_length=100)
    short_name = models.CharField(_("short name"), max_length=60)
    name_en = models.CharField(_("name in English"), max_length=100)
    healthcare_regions = models.ManyToManyField(HealthcareRegion, related_name="regions")
    # Which node the region reports to is data: Halland lies in two healthcare regions.
    node = models.ForeignKey(RegionalNode, on_delete=models.PROTECT, related_name="regions")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name_en if get_language() == "en" else self.name


class Municipality(models.Model):
    """One of Sweden's 290 municipalities; the code starts with its region's code."""

    code = models.CharField(
        _("code"), max_length=4, unique=True, validators=[RegexValidator(r"^\d{4}$")]
    )
    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="municipalities")
    latitude = models.FloatField()
    longitude = models.FloatField()

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "municipalities"

    def __str__(self) -> str:
        return self.name


class Locality(models.Model):
    """A town or village (tätort) other than the municipality's own name."""

    name = models.CharField(_("name"), max_length=100)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="localities"
    )
    latitude = models.FloatField()
    longitude = models.FloatField()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "localities"
        constraints = [
            models.UniqueConstraint(fields=["name", "municipality"], name="locality_unique")
        ]

    def __str__(self) -> str:
        return self.name


class PlaceAlias(models.Model):
    """Another name people use for a place (Gothenburg for Göteborg)."""

    alias = models.CharField(max_length=100, unique=True)
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, null=True)
    locality = models.ForeignKey(Locality, on_delete=models.CASCADE, null=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(municipality__isnull=False, locality__isnull=True)
                | models.Q(municipality__isnull=True, locality__isnull=False),
                name="placealias_one_target",
            )
        ]

    def __str__(self) -> str:
        return self.alias


class OrganisationType(models.TextChoices):
    HOSPITAL = "hospital", _("Hospital")
    CLINIC = "clinic", _("Clinic or department")
    PRIMARY_CARE = "primary_care", _("Primary-care centre")
    DENTAL = "dental", _("Dental clinic")
    UNIVERSITY = "university", _("University")
    COMPANY = "company", _("Company")
    OTHER = "other", _("Other organisation")


class Organisation(models.Model):
    """A hospital, clinic, care centre, university or company; studies run at organisations."""

    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200, blank=True)
    type = models.CharField(_("type"), max_length=20, choices=OrganisationType.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="units",
    )
    country = models.CharField(
        _("country"), max_length=2, default="SE", validators=[RegexValidator(r"^[A-Z]{2}$")]
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
    )
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
    )
    street_address = models.CharField(_("street address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    latitude = models.FloatField(
        _("latitude"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.FloatField(
        _("longitude"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    website = models.URLField(_("website"), blank=True)
    aliases = models.JSONField(_("other names"), default=list, blank=True)
    # Created by an import from a name no known organisation had: a coordinator confirms or merges.
    needs_review = models.BooleanField(_("needs review"), default=False)
    # What an import could not understand about it (an unreadable country, a town it could not
    # place), kept as given for the coordinator, with the nearest place names it knows.
    review_note = models.CharField(_("to check"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["region", "type"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(country="SE")
                | models.Q(region__isnull=False)
                | models.Q(needs_review=True),
                name="organisation_swedish_has_region",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if get_language() == "en" and self.name_en:
            return self.name_en
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        # E-mail addresses are matched case-insensitively at login.
        return self.get(email__iexact=username or "")

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class Language(models.TextChoices):
    SWEDISH = "sv", _("Swedish")
    ENGLISH = "en", _("English")


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: staff of the regions, researchers, sponsors. Not the public."""

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200)
    phone = models.CharField(_("work phone"), max_length=40, blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.SWEDISH
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Only superusers reach Django's admin; everyone else works in the staff pages.
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.full_name or self.email


class Role(models.TextChoices):
    RESEARCHER = "researcher", _("Researcher")
    SITE_STAFF = "site_staff", _("Site staff")
    NODE_COORDINATOR = "node_coordinator", _("Node coordinator")
    NODE_OFFICE = "node_office", _("Node office")
    DISCLOSURE_OFFICER = "disclosure_officer", _("Data-disclosure officer")
    FUNDING_REVIEWER = "funding_reviewer", _("Funding reviewer")
    FUNDING_CHAIR = "funding_chair", _("Chair of the priority committee")
    COURSE_LEADER = "course_leader", _("Course leader")
    SPONSOR = "sponsor", _("Sponsor")
    ADMINISTRATOR = "administrator", _("Administrator")


# What each role is held for: a region, an organisation, or the whole node.
ROLES_PER_REGION = frozenset({Role.NODE_COORDINATOR, Role.DISCLOSURE_OFFICER})
ROLES_PER_ORGANISATION = frozenset({Role.SPONSOR, Role.SITE_STAFF})
ROLES_OPTIONAL_ORGANISATION = frozenset({Role.RESEARCHER})


class RoleAssignmentQuerySet(models.QuerySet["RoleAssignment"]):
    def active(self) -> RoleAssignmentQuerySet:
        return self.filter(revoked_at__isnull=True)


class RoleAssignment(models.Model):
    """A role a person holds, for a region, an organisation or the whole node."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, null=True, blank=True
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    granted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["role"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role__in=sorted(r.value for r in ROLES_PER_REGION))
                | models.Q(region__isnull=False),
                name="role_region_required",
            ),
            models.CheckConstraint(
                condition=~models.Q(role__in=sorted(r.value for r in ROLES_PER_ORGANISATION))
                | models.Q(organisation__isnull=False),
                name="role_organisation_required",
            ),
            # Coalesce so that two node-wide grants of one role count as the same.
            models.UniqueConstraint(
                "user",
                "role",
                Coalesce("region", models.Value(0)),
                Coalesce("organisation", models.Value(0)),
                condition=models.Q(revoked_at__isnull=True),
                name="role_assignment_unique_active",
            ),
        ]

    def __str__(self) -> str:
        scope = self.region or self.organisation
        label = str(self.get_role_display())
        return f"{label} ({scope})" if scope else label

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Invitation(models.Model):
    """An e-mailed, expiring invitation to create an account with one role."""

    email = models.EmailField(_("e-mail address"))
    full_name = models.CharField(_("full name"), max_length=200)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.SWEDISH
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, blank=True)
    # Only a hash of the token is stored; the token itself travels in the e-mail.
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.email

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()


class AuditEvent(models.Model):
    """One change to data: who, in which role, did what to which object, when and why.

    Append-only: no code path updates or deletes a row, and database triggers refuse it.
    Each row's hash covers its content and the previous row's hash (tamper evidence), keyed
    (HMAC) under the AUDIT_KEYS entry named by `key_id`, a key the database never holds.
    """

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    # No database constraint: the trail outlives the rows it speaks of.
    actor = models.ForeignKey(
        User,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_role = models.CharField(max_length=30, blank=True)
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64)
    object_label = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # Empty for events written before the trail was keyed: those carry a plain SHA-256.
    key_id = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id}"


class AccessLogEntry(models.Model):
    """A read of someone's personal data by staff (the patient-data law's access log).

    Append-only and chained like AuditEvent, in a chain of its own.
    """

    accessed_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    subject_type = models.CharField(max_length=80)
    subject_id = models.CharField(max_length=64)
    purpose = models.CharField(max_length=200, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    # All three empty for entries written before the log was chained.
    previous_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)
    key_id = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "access log entries"
        indexes = [models.Index(fields=["subject_type", "subject_id"])]

    def __str__(self) -> str:
        return f"{self.actor_id} read {self.subject_type}:{self.subject_id}"


class OutboxMessage(models.Model):
    """An e-mail written in the sender's transaction and delivered by the `outbox-deliver` job.

    Address, subject and text may be personal data (an interest registration's confirmation, a
    study suggested to someone): encrypted at rest, and the row is deleted a short while after
    delivery (EMAIL_OUTBOX_RETENTION_DAYS).
    """

    to = EncryptedTextField(_("recipient"))
    subject = EncryptedTextField(_("subject"))
    body = EncryptedTextField(_("text"))
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.SWEDISH
    )
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    # Unsent: when the next delivery is due (also while a delivery holds it); sent: None.
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    audit_exclude = ("to", "subject", "body", "last_error")

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(sent_at__isnull=True),
                name="outbox_due",
            ),
            models.Index(fields=["sent_at"], name="outbox_sent"),
        ]

    def __str__(self) -> str:
        return f"e-mail {self.pk}"


class ScheduledJob(models.Model):
    """One job of the schedule (core.jobs): when it last started and whether a run holds it."""

    name = models.CharField(max_length=60, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_started_at = models.DateTimeField(null=True, blank=True)
    # Set while a run holds the job; a run older than the job's timeout counts as abandoned.
    running_since = models.DateTimeField(null=True, blank=True)
    running_token = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class JobRun(models.Model):
    """One run of a scheduled job: when, how it ended and what it said."""

    job = models.ForeignKey(ScheduledJob, on_delete=models.CASCADE, related_name="runs")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(null=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["job", "-started_at"], name="jobrun_latest"),
            models.Index(fields=["started_at"], name="jobrun_started"),
        ]

    def __str__(self) -> str:
        return f"{self.job_id} {self.started_at:%Y-%m-%d %H:%M}"


class StoredFile(models.Model):
    """A file someone uploaded, kept under a random name outside the web root
    (`core/files.py`); each capability's attachment adds what it belongs to."""

    original_name = models.CharField(_("file name"), max_length=200)
    stored_name = models.CharField(max_length=64, unique=True)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name
