"""Studies, their sites and identifiers, versions, pending changes: one record per study.

The study record holds the 24 items of the WHO Trial Registration Data Set (numbered in
comments as WHO n) and what the Swedish nodes need on top.
"""

from __future__ import annotations

from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from studienav.core.models import Organisation, Region, User


class StudyState(models.TextChoices):
    """Where the record is in the node's workflow (not whether it recruits)."""

    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for review")
    RETURNED = "returned", _("Returned with comments")
    PUBLISHED = "published", _("Published")
    COMPLETED = "completed", _("Completed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    ARCHIVED = "archived", _("Archived")


# States whose record the public sees.
PUBLIC_STATES = (StudyState.PUBLISHED, StudyState.COMPLETED)


class OverallStatus(models.TextChoices):
    """WHO 18, in ClinicalTrials.gov's vocabulary (lower case), so records compare directly."""

    NOT_YET_RECRUITING = "not_yet_recruiting", _("Not yet recruiting")
    RECRUITING = "recruiting", _("Recruiting")
    ENROLLING_BY_INVITATION = "enrolling_by_invitation", _("Enrolling by invitation")
    ACTIVE_NOT_RECRUITING = "active_not_recruiting", _("Active, not recruiting")
    SUSPENDED = "suspended", _("Suspended")
    TERMINATED = "terminated", _("Terminated")
    COMPLETED = "completed", _("Completed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    UNKNOWN = "unknown", _("Unknown")


RECRUITING_STATUSES = (OverallStatus.RECRUITING, OverallStatus.ENROLLING_BY_INVITATION)


class StudyType(models.TextChoices):
    DRUG = "drug", _("Drug trial")
    DEVICE = "device", _("Medical device investigation")
    OTHER_INTERVENTIONAL = "other_interventional", _("Other interventional study")
    OBSERVATIONAL = "observational", _("Observational study")


class Phase(models.TextChoices):
    EARLY_1 = "early_1", _("Early phase 1")
    PHASE_1 = "1", _("Phase 1")
    PHASE_1_2 = "1_2", _("Phase 1/2")
    PHASE_2 = "2", _("Phase 2")
    PHASE_2_3 = "2_3", _("Phase 2/3")
    PHASE_3 = "3", _("Phase 3")
    PHASE_4 = "4", _("Phase 4")
    NOT_APPLICABLE = "na", _("Not applicable")


class SponsorType(models.TextChoices):
    ACADEMIC = "academic", _("Academic")
    INDUSTRY = "industry", _("Industry")
    OTHER_PUBLIC = "other_public", _("Other public")


class CareSetting(models.TextChoices):
    HOSPITAL = "hospital", _("Hospital care")
    PRIMARY_CARE = "primary_care", _("Primary care")
    DENTAL_CARE = "dental_care", _("Dental care")


class Sex(models.TextChoices):
    ALL = "all", _("All")
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")


class EthicsStatus(models.TextChoices):
    """WHO 21."""

    APPROVED = "approved", _("Approved")
    PENDING = "pending", _("Not yet approved")
    NOT_REQUIRED = "not_required", _("Not required")
    NOT_APPROVED = "not_approved", _("Not approved")


class IpdSharing(models.TextChoices):
    """WHO 24."""

    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNDECIDED = "undecided", _("Undecided")


class TherapeuticArea(models.TextChoices):
    """ICD-10 chapters; derived from condition codes where they are given."""

    I = "I", _("Infections")  # noqa: E741
    II = "II", _("Cancer")
    III = "III", _("Blood and immune system")
    IV = "IV", _("Endocrine and metabolic diseases")
    V = "V", _("Mental health")
    VI = "VI", _("Nervous system")
    VII = "VII", _("Eye")
    VIII = "VIII", _("Ear")
    IX = "IX", _("Heart and circulation")
    X = "X", _("Respiratory system")
    XI = "XI", _("Digestive system")
    XII = "XII", _("Skin")
    XIII = "XIII", _("Musculoskeletal system")
    XIV = "XIV", _("Kidneys and urinary tract")
    XV = "XV", _("Pregnancy and childbirth")
    XVI = "XVI", _("Newborns")
    XVII = "XVII", _("Congenital conditions")
    XVIII = "XVIII", _("Symptoms and findings")
    XIX = "XIX", _("Injuries")
    XX = "XX", _("External causes")
    XXI = "XXI", _("Health services and prevention")
    XXII = "XXII", _("Special purposes")


class Study(models.Model):
    """One clinical study, with all its sites; never one record per site."""

    state = models.CharField(
        _("state"), max_length=20, choices=StudyState.choices, default=StudyState.DRAFT
    )
    # WHO 9 and 10: titles.
    public_title = models.CharField(_("public title"), max_length=500)
    public_title_en = models.CharField(_("public title in English"), max_length=500, blank=True)
    scientific_title = models.TextField(_("scientific title"), blank=True)
    acronym = models.CharField(_("acronym"), max_length=60, blank=True)
    # Plain-language summaries for the public pages.
    summary_sv = models.TextField(_("summary in Swedish"), blank=True)
    summary_en = models.TextField(_("summary in English"), blank=True)
    description = models.TextField(_("detailed description"), blank=True)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    # WHO 15: study type, and the Swedish classification.
    study_type = models.CharField(_("study type"), max_length=30, choices=StudyType.choices)
    phase = models.CharField(
        _("phase"), max_length=10, choices=Phase.choices, default=Phase.NOT_APPLICABLE
    )
    design = models.TextField(
        _("design"), blank=True, help_text=_("Allocation, masking, purpose, model.")
    )
    # WHO 5, 6 and 4: sponsors and funding.
    sponsor_type = models.CharField(_("sponsor type"), max_length=20, choices=SponsorType.choices)
    primary_sponsor = models.ForeignKey(
        Organisation,
        verbose_name=_("primary sponsor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sponsored_studies",
    )
    primary_sponsor_name = models.CharField(_("primary sponsor"), max_length=300, blank=True)
    secondary_sponsors = models.JSONField(_("secondary sponsors"), default=list, blank=True)
    funding_sources = models.JSONField(_("funding sources"), default=list, blank=True)
    # WHO 7 and 8: contacts (work contact details of professionals, published).
    public_contact_name = models.CharField(_("public contact"), max_length=200, blank=True)
    public_contact_email = models.EmailField(_("public contact e-mail"), blank=True)
    public_contact_phone = models.CharField(_("public contact phone"), max_length=40, blank=True)
    scientific_contact_name = models.CharField(_("scientific contact"), max_length=200, blank=True)
    scientific_contact_email = models.EmailField(_("scientific contact e-mail"), blank=True)
    scientific_contact_affiliation = models.CharField(
        _("scientific contact affiliation"), max_length=300, blank=True
    )
    # WHO 14: eligibility.
    inclusion_criteria = models.TextField(_("key inclusion criteria"), blank=True)
    exclusion_criteria = models.TextField(_("key exclusion criteria"), blank=True)
    min_age_years = models.PositiveSmallIntegerField(
        _("minimum age (years)"), null=True, blank=True, validators=[MaxValueValidator(120)]
    )
    max_age_years = models.PositiveSmallIntegerField(
        _("maximum age (years)"), null=True, blank=True, validators=[MaxValueValidator(120)]
    )
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices, default=Sex.ALL)
    healthy_volunteers = models.BooleanField(_("accepts healthy volunteers"), default=False)
    # Care settings and therapeutic area, for the nodes' statistics.
    in_hospital_care = models.BooleanField(_("hospital care"), default=True)
    in_primary_care = models.BooleanField(_("primary care"), default=False)
    in_dental_care = models.BooleanField(_("dental care"), default=False)
    therapeutic_area = models.CharField(
        _("therapeutic area"), max_length=5, choices=TherapeuticArea.choices, blank=True
    )
    # WHO 18: recruitment status; WHO 16, 22: dates.
    overall_status = models.CharField(
        _("recruitment status"),
        max_length=30,
        choices=OverallStatus.choices,
        default=OverallStatus.NOT_YET_RECRUITING,
    )
    planned_start_date = models.DateField(_("planned start"), null=True, blank=True)
    actual_start_date = models.DateField(_("actual start (first enrolment)"), null=True, blank=True)
    planned_end_date = models.DateField(_("planned end"), null=True, blank=True)
    actual_end_date = models.DateField(_("actual end (completion)"), null=True, blank=True)
    # WHO 17: sample size.
    target_enrolment = models.PositiveIntegerField(_("target enrolment"), null=True, blank=True)
    actual_enrolment = models.PositiveIntegerField(_("actual enrolment"), null=True, blank=True)
    # WHO 2: registration in a primary registry.
    registered_on = models.DateField(_("date of registration"), null=True, blank=True)
    # WHO 11: countries of recruitment beyond the sites'.
    countries = models.JSONField(_("countries of recruitment"), default=list, blank=True)
    # WHO 21: ethics review.
    ethics_status = models.CharField(
        _("ethics review"),
        max_length=20,
        choices=EthicsStatus.choices,
        default=EthicsStatus.PENDING,
    )
    ethics_approved_on = models.DateField(_("ethics approval date"), null=True, blank=True)
    ethics_committee = models.CharField(
        _("ethics committee"), max_length=300, blank=True, default="Etikprövningsmyndigheten"
    )
    # WHO 23 and 24: results and data sharing.
    results_summary = models.TextField(_("summary results"), blank=True)
    results_url = models.URLField(_("results link"), blank=True, max_length=500)
    ipd_sharing = models.CharField(
        _("sharing of individual participant data"),
        max_length=10,
        choices=IpdSharing.choices,
        default=IpdSharing.UNDECIDED,
    )
    ipd_sharing_statement = models.TextField(_("data-sharing statement"), blank=True)
    # Who keeps the record, and where it came from.
    lead_region = models.ForeignKey(
        Region,
        verbose_name=_("lead region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_studies",
        help_text=_("The region whose node coordinators review the record."),
    )
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    editors = models.ManyToManyField(User, blank=True, related_name="editable_studies")
    source = models.CharField(_("source"), max_length=40, blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_from"
    )
    review_comment = models.TextField(_("comment from the review"), blank=True)
    # What an import could not understand, kept for a coordinator (never public): a list of
    # {key, source, field, value, message} and, once handled, handled_at and handled_by.
    import_notes = models.JSONField(_("to check after import"), default=list, blank=True)
    # How many of them nobody has handled yet: the coordinators' attention list reads it.
    import_notes_open = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # When someone last confirmed that the status is current (the six-month check).
    status_confirmed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0)

    # Fields the public sees and the public history shows.
    PUBLIC_FIELDS = (
        "public_title",
        "public_title_en",
        "scientific_title",
        "acronym",
        "summary_sv",
        "summary_en",
        "description",
        "keywords",
        "study_type",
        "phase",
        "design",
        "sponsor_type",
        "primary_sponsor_name",
        "secondary_sponsors",
        "funding_sources",
        "public_contact_name",
        "public_contact_email",
        "public_contact_phone",
        "scientific_contact_name",
        "scientific_contact_email",
        "scientific_contact_affiliation",
        "inclusion_criteria",
        "exclusion_criteria",
        "min_age_years",
        "max_age_years",
        "sex",
        "healthy_volunteers",
        "in_hospital_care",
        "in_primary_care",
        "in_dental_care",
        "therapeutic_area",
        "overall_status",
        "planned_start_date",
        "actual_start_date",
        "planned_end_date",
        "actual_end_date",
        "target_enrolment",
        "actual_enrolment",
        "registered_on",
        "countries",
        "ethics_status",
        "ethics_approved_on",
        "ethics_committee",
        "results_summary",
        "results_url",
        "ipd_sharing",
        "ipd_sharing_statement",
    )

    class Meta:
        ordering = ["-updated_at"]
        verbose_name_plural = "studies"
        indexes = [
            models.Index(fields=["state", "overall_status"]),
            models.Index(fields=["lead_region", "state"]),
            # Narrows the candidates of the duplicate check.
            models.Index(fields=["study_type", "planned_start_date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_age_years__isnull=True)
                | models.Q(max_age_years__isnull=True)
                | models.Q(min_age_years__lte=models.F("max_age_years")),
                name="study_age_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.display_title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("registry:study", args=[self.pk])

    @property
    def display_title(self) -> str:
        if get_language() == "en" and self.public_title_en:
            return self.public_title_en
        return self.public_title

    @property
    def display_summary(self) -> str:
        if get_language() == "en" and self.summary_en:
            return self.summary_en
        return self.summary_sv or self.summary_en

    @property
    def is_public(self) -> bool:
        return self.state in PUBLIC_STATES

    @property
    def is_recruiting(self) -> bool:
        return self.overall_status in RECRUITING_STATUSES


class IdentifierScheme(models.TextChoices):
    NCT = "nct", _("ClinicalTrials.gov (NCT)")
    EU_CT = "eu_ct", _("EU CT number (CTIS)")
    EUDRACT = "eudract", _("EudraCT number")
    ETHICS = "ethics", _("Ethics review case number")
    ISRCTN = "isrctn", _("ISRCTN")
    LOCAL = "local", _("Local number in a region")
    OTHER = "other", _("Other identifier")


class StudyIdentifier(models.Model):
    """WHO 1 and 3: the primary and secondary identifiers, unique across the registry."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="identifiers")
    scheme = models.CharField(_("scheme"), max_length=10, choices=IdentifierScheme.choices)
    value = models.CharField(_("identifier"), max_length=80)
    # Local numbers are unique per region; other schemes across the registry.
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True)
    issuer = models.CharField(_("issued by"), max_length=200, blank=True)
    is_primary = models.BooleanField(_("primary identifier"), default=False)

    class Meta:
        ordering = ["-is_primary", "scheme", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "value"],
                condition=~models.Q(scheme__in=["local", "other"]),
                name="identifier_unique_per_scheme",
            ),
            models.UniqueConstraint(
                fields=["scheme", "region", "value"],
                condition=models.Q(scheme="local"),
                name="identifier_local_unique_per_region",
            ),
        ]
        indexes = [models.Index(fields=["value"])]

    def __str__(self) -> str:
        return self.value


class StudyCondition(models.Model):
    """WHO 12: a condition in free text, with an ICD-10 code when one is given."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="conditions")
    name = models.CharField(_("condition"), max_length=300)
    icd10 = models.CharField(_("ICD-10 code"), max_length=8, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.icd10})" if self.icd10 else self.name


class InterventionType(models.TextChoices):
    DRUG = "drug", _("Drug")
    DEVICE = "device", _("Device")
    BIOLOGICAL = "biological", _("Biological")
    PROCEDURE = "procedure", _("Procedure or surgery")
    RADIATION = "radiation", _("Radiation")
    BEHAVIOURAL = "behavioural", _("Behavioural")
    DIETARY = "dietary", _("Dietary supplement")
    DIAGNOSTIC = "diagnostic", _("Diagnostic test")
    OTHER = "other", _("Other")


class StudyIntervention(models.Model):
    """WHO 13."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="interventions")
    type = models.CharField(_("type"), max_length=20, choices=InterventionType.choices)
    name = models.CharField(_("intervention"), max_length=300)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class OutcomeKind(models.TextChoices):
    PRIMARY = "primary", _("Primary outcome")
    SECONDARY = "secondary", _("Key secondary outcome")


class StudyOutcome(models.Model):
    """WHO 19 and 20."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="outcomes")
    kind = models.CharField(_("kind"), max_length=10, choices=OutcomeKind.choices)
    measure = models.TextField(_("measure"))
    time_frame = models.CharField(_("time frame"), max_length=500, blank=True)

    class Meta:
        ordering = ["kind", "id"]

    def __str__(self) -> str:
        return self.measure[:80]


class SiteStatus(models.TextChoices):
    NOT_YET_RECRUITING = "not_yet_recruiting", _("Not yet recruiting")
    RECRUITING = "recruiting", _("Recruiting")
    BY_INVITATION = "enrolling_by_invitation", _("Recruiting by invitation")
    PAUSED = "suspended", _("Paused")
    CLOSED = "closed", _("Closed")


class Site(models.Model):
    """A study at one organisation: its own investigator, contact, status and enrolment."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="sites")
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("site"), on_delete=models.PROTECT, related_name="sites"
    )
    principal_investigator = models.CharField(
        _("principal investigator"), max_length=200, blank=True
    )
    contact_name = models.CharField(_("contact"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    recruitment_status = models.CharField(
        _("recruitment status"),
        max_length=30,
        choices=SiteStatus.choices,
        default=SiteStatus.NOT_YET_RECRUITING,
    )
    target_enrolment = models.PositiveIntegerField(_("target enrolment"), null=True, blank=True)
    actual_enrolment = models.PositiveIntegerField(_("actual enrolment"), null=True, blank=True)
    start_date = models.DateField(_("site opened"), null=True, blank=True)
    # Denormalised from the organisation for fast filtering; set by the services.
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="sites"
    )
    country = models.CharField(_("country"), max_length=2, default="SE")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    # What the study's editors describe of a site; recruitment status and enrolment are the
    # site staff's (site_set_recruitment), public at once.
    DETAIL_FIELDS = (
        "principal_investigator",
        "contact_name",
        "contact_email",
        "contact_phone",
        "target_enrolment",
        "start_date",
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["study", "organisation"], name="site_unique_per_study")
        ]
        indexes = [models.Index(fields=["region", "recruitment_status"])]

    def __str__(self) -> str:
        return str(self.organisation)

    @property
    def is_recruiting(self) -> bool:
        return self.recruitment_status in (SiteStatus.RECRUITING, SiteStatus.BY_INVITATION)


class EnrolmentReport(models.Model):
    """Actual enrolment at a site as reported on a date; statistics derive increments."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="enrolment_reports")
    reported_on = models.DateField()
    actual_enrolment = models.PositiveIntegerField(validators=[MinValueValidator(0)])
    reported_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["site", "reported_on", "id"]

    def __str__(self) -> str:
        return f"{self.site_id} {self.reported_on}: {self.actual_enrolment}"


class StudyVersion(models.Model):
    """A published version of the record, kept for ever: the record history."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True)
    data: models.JSONField[Any] = models.JSONField()
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["study", "number"]
        constraints = [
            models.UniqueConstraint(fields=["study", "number"], name="version_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.study_id} v{self.number}"


class ChangeStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class ChangeRequest(models.Model):
    """A researcher's change to a published record, waiting for the coordinator.

    `changes` holds the study's fields ({field: new value}) and, under the keys of the rows
    they replace or add to, conditions, interventions and outcomes (the whole new list),
    identifiers (those to add) and sites ({organisation id: {field: new value}}).
    """

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="change_requests")
    proposed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    changes: models.JSONField[Any] = models.JSONField(help_text="{field: new value}")
    note = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=ChangeStatus.choices, default=ChangeStatus.PENDING
    )
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-proposed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["study"],
                condition=models.Q(status="pending"),
                name="change_request_one_pending_per_study",
            )
        ]

    def __str__(self) -> str:
        return f"{self.study_id}: {', '.join(self.changes)}"


class Merge(models.Model):
    """A duplicate folded into another study; the duplicate's record is kept for review."""

    kept = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="merges_kept")
    duplicate = models.OneToOneField(Study, on_delete=models.PROTECT, related_name="merge")
    merged_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    merged_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField()
    duplicate_snapshot: models.JSONField[Any] = models.JSONField()

    def __str__(self) -> str:
        return f"{self.duplicate_id} -> {self.kept_id}"
