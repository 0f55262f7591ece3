"""Network activity data: courses and their sessions, registrations, certificates and
evaluations; networks, members, meetings and action items; the document library."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from studienav.core.models import Language, Region

# Trainings -----------------------------------------------------------------------------------


class CourseKind(models.TextChoices):
    GCP_BASIC = "gcp_basic", _("GCP basic course")
    GCP_REFRESHER = "gcp_refresher", _("GCP refresher")
    RESEARCH_NURSE = "research_nurse", _("Research nurse course")
    OTHER = "other", _("Other course")


GCP_KINDS = frozenset({CourseKind.GCP_BASIC, CourseKind.GCP_REFRESHER})


class Course(models.Model):
    """A course the node gives, in one or more sessions; GCP courses give a certificate that
    is valid for `validity_months`."""

    kind = models.CharField(_("kind"), max_length=20, choices=CourseKind.choices)
    name = models.CharField(_("name in Swedish"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200)
    description = models.TextField(_("description in Swedish"), blank=True)
    description_en = models.TextField(_("description in English"), blank=True)
    validity_months = models.PositiveSmallIntegerField(
        _("certificate valid for (months)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=_("GCP certificates only: how long the certificate is valid."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def __str__(self) -> str:
        return self.name

    @property
    def is_gcp(self) -> bool:
        return self.kind in GCP_KINDS

    def name_in(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name

    @property
    def local_name(self) -> str:
        return self.name_in(get_language() or "sv")

    @property
    def local_description(self) -> str:
        if (get_language() or "sv") == "en" and self.description_en:
            return self.description_en
        return self.description


class CourseSession(models.Model):
    """One occasion of a course: when, where (or online), in which language, for how many."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    is_online = models.BooleanField(_("online"), default=False)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("region")
    )
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.SWEDISH
    )
    seats = models.PositiveSmallIntegerField(
        _("seats"), validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    audience = models.CharField(_("audience"), max_length=200, blank=True)
    fee_sek = models.PositiveIntegerField(_("fee (SEK)"), null=True, blank=True)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_sessions",
        verbose_name=_("course leader"),
    )
    is_cancelled = models.BooleanField(_("cancelled"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("course session")
        verbose_name_plural = _("course sessions")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="network_session_ends_after"
            ),
            models.CheckConstraint(
                condition=Q(is_online=True) | ~Q(place=""), name="network_session_has_place"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course} {timezone.localtime(self.starts_at):%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("network:session", args=[self.pk])

    @property
    def has_started(self) -> bool:
        return self.starts_at <= timezone.now()


class RegistrationState(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    WAITING = "waiting", _("On the waiting list")
    CANCELLED = "cancelled", _("Cancelled")
    ATTENDED = "attended", _("Attended")
    ABSENT = "absent", _("Absent")


# States that hold (or wait for) a seat: one per e-mail address and session.
ACTIVE_STATES = (RegistrationState.CONFIRMED, RegistrationState.WAITING, RegistrationState.ATTENDED)
SEAT_STATES = (RegistrationState.CONFIRMED, RegistrationState.ATTENDED, RegistrationState.ABSENT)


class Registration(models.Model):
    """A person's place on a session (or on its waiting list), with or without an account."""

    session = models.ForeignKey(
        CourseSession, on_delete=models.PROTECT, related_name="registrations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="course_registrations",
    )
    full_name = models.CharField(_("full name"), max_length=200)
    email = models.EmailField(_("e-mail address"))
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.SWEDISH
    )
    state = models.CharField(_("state"), max_length=12, choices=RegistrationState.choices)
    # A secret of the cancel and evaluation links (signed with the site's key around it).
    link_key = models.CharField(max_length=32)
    registered_at = models.DateTimeField(default=timezone.now)
    moved_up_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    audit_exclude = ("link_key",)

    class Meta:
        ordering = ["registered_at", "id"]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        constraints = [
            models.UniqueConstraint(
                "session",
                models.functions.Lower("email"),
                condition=Q(state__in=["confirmed", "waiting", "attended"]),
                name="network_one_active_registration_per_email",
            )
        ]

    def __str__(self) -> str:
        return f"{self.full_name} – {self.session}"


class Certificate(models.Model):
    """Proof that a person attended a session; anyone can check it by its code."""

    registration = models.OneToOneField(
        Registration, on_delete=models.PROTECT, related_name="certificate"
    )
    code = models.CharField(_("verification code"), max_length=14, unique=True)
    full_name = models.CharField(_("full name"), max_length=200)
    issued_on = models.DateField(_("issued"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.SWEDISH
    )
    is_revoked = models.BooleanField(_("revoked"), default=False)
    expiry_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_on", "id"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        return reverse("network:certificate_verify", args=[self.code])

    def is_valid_on(self, day: object) -> bool:
        if self.is_revoked:
            return False
        return self.valid_until is None or self.valid_until >= day  # type: ignore[operator]


class Evaluation(models.Model):
    """A participant's answers after the course: grades 1–5 and free text."""

    registration = models.OneToOneField(
        Registration, on_delete=models.CASCADE, related_name="evaluation"
    )
    overall = models.PositiveSmallIntegerField(
        _("Overall, how good was the course?"),
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    relevance = models.PositiveSmallIntegerField(
        _("How useful is it for your work?"),
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    leader = models.PositiveSmallIntegerField(
        _("How good was the course leader?"),
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    would_recommend = models.BooleanField(_("Would you recommend the course to a colleague?"))
    comment = models.TextField(_("Anything else?"), blank=True, max_length=4000)
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")

    def __str__(self) -> str:
        return f"{_('Evaluation')} {self.registration_id}"


# Networks and meetings -------------------------------------------------------------------------


class Network(models.Model):
    """A standing group of the node (node coordinators, legal, biostatistics, ...)."""

    slug = models.SlugField(unique=True)
    name = models.CharField(_("name in Swedish"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200)
    purpose = models.TextField(_("purpose"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("network")
        verbose_name_plural = _("networks")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("network:network", args=[self.slug])

    @property
    def local_name(self) -> str:
        return self.name_en if (get_language() or "sv") == "en" and self.name_en else self.name


class MemberRole(models.TextChoices):
    CHAIR = "chair", _("Chair")
    SECRETARY = "secretary", _("Secretary")
    MEMBER = "member", _("Member")


class NetworkMember(models.Model):
    """A member of a network: a person with an account, or only a name and an e-mail address."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="network_memberships",
    )
    full_name = models.CharField(_("full name"), max_length=200)
    email = models.EmailField(_("e-mail address"))
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("region")
    )
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    role = models.CharField(
        _("role in the network"), max_length=10, choices=MemberRole.choices, default="member"
    )
    left_on = models.DateField(_("left"), null=True, blank=True)

    class Meta:
        ordering = ["full_name"]
        verbose_name = _("network member")
        verbose_name_plural = _("network members")
        constraints = [
            models.UniqueConstraint(
                "network", models.functions.Lower("email"), name="network_member_once"
            )
        ]

    def __str__(self) -> str:
        return self.full_name


class Meeting(models.Model):
    """A meeting of a network: agenda before, minutes and decisions after."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="meetings")
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts"))
    place = models.CharField(_("place or link"), max_length=300, blank=True)
    agenda = models.TextField(_("agenda"), blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    decisions = models.TextField(_("decisions"), blank=True)
    documents: models.ManyToManyField[Document, Any] = models.ManyToManyField(
        "Document", blank=True, related_name="meetings", verbose_name=_("documents")
    )

    class Meta:
        ordering = ["-starts_at", "id"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")

    def __str__(self) -> str:
        return f"{self.title} {timezone.localtime(self.starts_at):%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("network:meeting", args=[self.pk])


class ActionItem(models.Model):
    """Something a meeting decided someone does by a date."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="actions")
    text = models.CharField(_("action"), max_length=500)
    owner = models.ForeignKey(
        NetworkMember,
        on_delete=models.PROTECT,
        related_name="actions",
        verbose_name=_("owner"),
    )
    due_on = models.DateField(_("due"))
    done_on = models.DateField(_("done"), null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("action item")
        verbose_name_plural = _("action items")

    def __str__(self) -> str:
        return self.text


# Document library ----------------------------------------------------------------------------


class Topic(models.TextChoices):
    AGREEMENTS = "agreements", _("Agreements and contracts")
    ATMP = "atmp", _("Advanced therapies (ATMP)")
    GCP = "gcp", _("GCP and quality")
    DATA = "data", _("Health data and disclosure")
    STUDY_START = "study_start", _("Starting a study")
    OTHER = "other", _("Other")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    STAFF = "staff", _("Staff only")


class Document(models.Model):
    """A template or support document; its file lives in versions, the newest is current."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.SWEDISH
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_documents",
        verbose_name=_("owner"),
    )
    review_on = models.DateField(_("review by"))
    visibility = models.CharField(
        _("visibility"), max_length=6, choices=Visibility.choices, default=Visibility.STAFF
    )
    review_reminded_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["topic", "title"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("network:document", args=[self.pk])


class DocumentVersion(models.Model):
    """One uploaded file of a document; versions are never deleted."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    stored_name = models.CharField(max_length=100)
    file_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["document", "-number"]
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        constraints = [
            models.UniqueConstraint("document", "number", name="network_version_number_once")
        ]

    def __str__(self) -> str:
        return f"{self.document} v{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("network:document_file", args=[self.document_id, self.number])
