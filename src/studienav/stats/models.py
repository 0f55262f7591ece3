"""Fact tables the statistics are read from, the node's targets, and imported national files."""

from __future__ import annotations

from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studienav.core.models import Region


class StudyFact(models.Model):
    """A counted study, once per region it has a site in, and once with no region (node total).

    Rebuilt from the registry by `stats_refresh`; never edited by hand. Only public studies that
    were not withdrawn before they started are here (see definitions.COUNTED_STUDIES).
    """

    study_id = models.IntegerField()
    region = models.ForeignKey(Region, on_delete=models.CASCADE, null=True, blank=True)
    start_date = models.DateField()
    start_year = models.PositiveSmallIntegerField()
    end_date = models.DateField(null=True, blank=True)
    # Last year the study counts as ongoing; NULL: still ongoing.
    end_year = models.PositiveSmallIntegerField(null=True, blank=True)
    is_completed = models.BooleanField(default=False)
    study_type = models.CharField(max_length=30)
    sponsor_type = models.CharField(max_length=20)
    phase = models.CharField(max_length=10)
    therapeutic_area = models.CharField(max_length=5, blank=True)
    overall_status = models.CharField(max_length=30)
    in_hospital_care = models.BooleanField(default=False)
    in_primary_care = models.BooleanField(default=False)
    in_dental_care = models.BooleanField(default=False)
    status_confirmed_at = models.DateTimeField(null=True, blank=True)
    # The dimensions above as one number (combos.py), for the charts with several filters.
    dims = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["study_id", "region"],
                name="studyfact_unique_region",
                condition=models.Q(region__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["study_id"],
                name="studyfact_unique_total",
                condition=models.Q(region__isnull=True),
            ),
        ]
        indexes = [
            # Covering the key figures: studies started per year and the status check share.
            models.Index(
                fields=[
                    "region",
                    "start_date",
                    "end_date",
                    "status_confirmed_at",
                    "start_year",
                    "sponsor_type",
                ],
                name="studyfact_key_figures",
            ),
            models.Index(fields=["region", "start_year", "end_year", "is_completed"]),
            models.Index(fields=["study_id"]),
            # Covering a filtered chart read from the facts: the combinations the filters
            # allow, then everything a count per year and breakdown needs (combos.py). No
            # range column right after (dims, region): SQLite 3.40 (Debian 12) seeks a long IN
            # list followed by a range wrongly and returns rows outside the range.
            models.Index(
                fields=[
                    "dims",
                    "region",
                    "study_id",
                    "start_year",
                    "end_year",
                    "is_completed",
                    "overall_status",
                ],
                name="studyfact_dims",
            ),
        ]

    def __str__(self) -> str:
        return f"study {self.study_id} in {self.region_id or 'node'}"


class EnrolmentFact(models.Model):
    """One reported enrolment value turned into an increment since the site's previous report.

    A correction downwards gives a negative increment, kept so that the sums stay true.
    """

    report_id = models.IntegerField(unique=True)
    site_id = models.IntegerField()
    # The site's organisation: the place that recruits, across all its studies.
    organisation_id = models.IntegerField(default=0)
    study_id = models.IntegerField()
    region = models.ForeignKey(Region, on_delete=models.CASCADE, null=True, blank=True)
    reported_on = models.DateField()
    year = models.PositiveSmallIntegerField()
    increment = models.IntegerField()
    study_type = models.CharField(max_length=30)
    sponsor_type = models.CharField(max_length=20)
    phase = models.CharField(max_length=10)
    therapeutic_area = models.CharField(max_length=5, blank=True)
    in_hospital_care = models.BooleanField(default=False)
    in_primary_care = models.BooleanField(default=False)
    in_dental_care = models.BooleanField(default=False)
    dims = models.IntegerField(default=0)  # as StudyFact.dims

    class Meta:
        indexes = [
            # Covering the sums per region and year, and per site over a range of years (the
            # sites that recruited most): read from the index alone.
            models.Index(
                fields=["region", "year", "reported_on", "organisation_id", "increment"],
                name="enrolmentfact_region_year",
            ),
            models.Index(fields=["study_id"]),
            # Covering a filtered chart read from the facts (as StudyFact's, and for the same
            # reason no range column right after (dims, region)).
            models.Index(
                fields=["dims", "region", "organisation_id", "year", "increment"],
                name="enrolmentfact_dims",
            ),
        ]

    def __str__(self) -> str:
        return f"site {self.site_id} {self.reported_on}: {self.increment:+d}"


class FigureCount(models.Model):
    """Studies counted (or participants summed) per year, pre-aggregated from the fact tables.

    Rebuilt with the facts by `facts_refresh`; the figures read these few rows instead of the
    facts. `level` says which dimensions a row keeps (see cube.LEVELS); a dimension it rolls up
    holds ALL. `regions` is the set of the node's regions (bit 1 << the region's code) in which the
    studies of the row count that year; 0 is the node's own total, which is never a sum of
    regions (definitions.REGION_RULE).
    """

    ALL = "*"
    ALL_CARE = -1

    level = models.PositiveSmallIntegerField()
    measure = models.CharField(max_length=12)
    year = models.PositiveSmallIntegerField()
    regions = models.BigIntegerField()
    study_type = models.CharField(max_length=30)
    sponsor_type = models.CharField(max_length=20)
    phase = models.CharField(max_length=10)
    therapeutic_area = models.CharField(max_length=5)
    overall_status = models.CharField(max_length=30)
    # Care settings as bits (1 hospital, 2 primary care, 4 dental care); ALL_CARE: rolled up.
    care = models.SmallIntegerField()
    # The recruiting organisation of a "site_participants" row; 0 in every other row.
    organisation = models.IntegerField(default=0)
    value = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(
                fields=[
                    "level",
                    "measure",
                    "study_type",
                    "sponsor_type",
                    "phase",
                    "therapeutic_area",
                    "overall_status",
                    "care",
                    "year",
                ],
                name="figurecount_lookup",
            )
        ]

    def __str__(self) -> str:
        return f"{self.measure} {self.year} level {self.level}: {self.value}"


class FactRefresh(models.Model):
    """When the fact tables were last rebuilt, so that the next run only redoes what changed."""

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    full = models.BooleanField(default=True)
    studies = models.PositiveIntegerField(default=0)
    # The last year FigureCount holds; later years are read from the facts.
    last_year = models.PositiveSmallIntegerField(null=True, blank=True)
    # This year's key figures as the refresh found them, under their cache key, so that every
    # worker's first dashboard after a refresh reads them (keyfigures._actuals_as_refreshed).
    actuals: models.JSONField[Any] = models.JSONField(default=dict)

    class Meta:
        # Latest first; runs started in the same instant by the order they were made.
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} ({self.studies})"


class Target(models.Model):
    """The node office's yearly targets for one region (the key figures)."""

    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2016), MaxValueValidator(2100)]
    )
    new_studies = models.PositiveIntegerField(_("new studies"), null=True, blank=True)
    industry_studies = models.PositiveIntegerField(
        _("new industry-sponsored studies"), null=True, blank=True
    )
    participants = models.PositiveIntegerField(_("participants recruited"), null=True, blank=True)
    status_check_share = models.PositiveSmallIntegerField(
        _("studies with a status check in the last six months (%)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["year", "region__code"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="target_unique_region_year")
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.year}"


class NationalFile(models.Model):
    """A node's signed export of one year's figures (ours or imported from another node)."""

    node = models.SlugField(_("node"))
    year = models.PositiveSmallIntegerField(_("year"))
    generated_at = models.DateTimeField(_("generated"))
    imported_at = models.DateTimeField(default=timezone.now)
    sha256 = models.CharField(max_length=64)
    payload: models.JSONField[Any] = models.JSONField()

    class Meta:
        ordering = ["year", "node"]
        constraints = [
            models.UniqueConstraint(fields=["node", "year"], name="nationalfile_unique_node_year")
        ]

    def __str__(self) -> str:
        return f"{self.node} {self.year}"
