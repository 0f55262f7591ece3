"""The search index: one row per published study with folded text and its facet fields.

Written only by `studienav.search.index`. On SQLite FTS5 trigram tables index the text
(`search_fts`, rowid = study id, over `document`) and the places (`search_places`); on
PostgreSQL pg_trgm GIN indexes and a tsvector column (Swedish and English configurations) on
`search_searchtext` are added by the migrations, and the word index (`search.words`): the
vocabulary `SearchWord` and each entry's `words`, in GIN and trigram indexes that only
PostgreSQL has (SQLite leaves both empty).
`SearchCondition` holds the keys (`studienav.search.conditions`) that matching people to
studies looks up.
"""

from __future__ import annotations

from django.db import models

from studienav.registry.models import Study


class SearchEntry(models.Model):
    """A published study as search sees it: folded text and denormalised facet fields."""

    study = models.OneToOneField(
        Study, on_delete=models.CASCADE, primary_key=True, related_name="search_entry"
    )
    title = models.TextField(blank=True)
    status = models.CharField(max_length=30, db_index=True)
    is_recruiting = models.BooleanField(default=False)
    phase = models.CharField(max_length=10, db_index=True)
    study_type = models.CharField(max_length=30, db_index=True)
    sponsor_type = models.CharField(max_length=20, db_index=True)
    therapeutic_area = models.CharField(max_length=5, blank=True, db_index=True)
    in_hospital_care = models.BooleanField(default=False)
    in_primary_care = models.BooleanField(default=False)
    in_dental_care = models.BooleanField(default=False)
    min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(null=True, blank=True)
    sex = models.CharField(max_length=10)
    healthy_volunteers = models.BooleanField(default=False)
    updated_at = models.DateTimeField(db_index=True)
    # Start date (actual, else planned); studies without one sort last.
    start_on = models.DateField()
    region_codes = models.CharField(max_length=200, blank=True)
    # PostgreSQL: the codes of the words of the entry's document and places and of its status
    # and its sites' regions, space-separated, in a GIN index (`search.words`); empty on SQLite.
    words = models.TextField(blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["is_recruiting", "study"]),
            # What the filters and the facet counts read of a matching entry, without its row.
            models.Index(
                fields=[
                    "study",
                    "status",
                    "is_recruiting",
                    "phase",
                    "study_type",
                    "sponsor_type",
                    "therapeutic_area",
                    "sex",
                    "healthy_volunteers",
                    "in_hospital_care",
                    "in_primary_care",
                    "in_dental_care",
                    "min_age",
                    "max_age",
                ],
                name="searchentry_facets",
            ),
        ]

    def __str__(self) -> str:
        return f"search entry {self.study_id}"


class SearchText(models.Model):
    """The folded text of an entry, in its own table so facet scans read narrow rows."""

    entry = models.OneToOneField(
        SearchEntry, on_delete=models.CASCADE, primary_key=True, related_name="text"
    )
    document = models.TextField(blank=True)
    # The sites' organisations, towns and regions: matched from a word's start only.
    places = models.TextField(blank=True)
    conditions = models.TextField(blank=True)
    # The entry's status and regions as tags (`search.index.fts_tags`), which SQLite's text
    # index holds beside the document.
    tags = models.TextField(blank=True, default="")

    def __str__(self) -> str:
        return f"search text {self.entry_id}"


class SearchWord(models.Model):
    """PostgreSQL: a distinct folded word of the indexed texts, whose id codes it in the
    entries' `SearchEntry.words` (`search.words`); a trigram index finds the words a LIKE
    pattern matches, a hash index a given word. Empty on SQLite."""

    word = models.TextField()

    def __str__(self) -> str:
        return self.word


class SearchMatch(models.Model):
    """PostgreSQL: one entry that the running search matches, with what its page and its
    counts read, in a temporary table of the connection (`search.services._matches_kept`)
    that the database itself never holds: the page and the counts then read no entry again."""

    study_id = models.BigIntegerField(primary_key=True)
    title = models.TextField()
    status = models.CharField(max_length=30)
    is_recruiting = models.BooleanField()
    phase = models.CharField(max_length=10)
    study_type = models.CharField(max_length=30)
    sponsor_type = models.CharField(max_length=20)
    therapeutic_area = models.CharField(max_length=5)
    in_hospital_care = models.BooleanField()
    in_primary_care = models.BooleanField()
    in_dental_care = models.BooleanField()
    sex = models.CharField(max_length=10)
    healthy_volunteers = models.BooleanField()
    updated_at = models.DateTimeField()
    start_on = models.DateField()

    class Meta:
        managed = False
        db_table = "search_matches"

    def __str__(self) -> str:
        return f"search match {self.study_id}"


class SearchSite(models.Model):
    """A study's site as search sees it: region, organisation, place, recruiting or not."""

    # Indexed by `entry_region_organisation` below, which holds what the region filter and
    # the region and site facets read of a matching entry's sites, without the rows.
    entry = models.ForeignKey(
        SearchEntry, on_delete=models.CASCADE, related_name="sites", db_index=False
    )
    organisation_id = models.BigIntegerField(db_index=True)
    region_code = models.CharField(max_length=2, blank=True, db_index=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    is_recruiting = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["latitude", "longitude"]),
            models.Index(
                fields=["entry", "region_code", "organisation_id"],
                name="searchsite_entry_region_org",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} at {self.organisation_id}"


class SearchCondition(models.Model):
    """One key a study's condition or keyword stands for: what matching looks people up by.

    Keys are folded text with a one-letter kind in front (see `search.conditions`), so a
    prefix is a range of the (key, entry) index; PostgreSQL compares them bytewise ("C").
    The entry's recruitment, ages and sex are repeated here (written with the entry, always
    together) and kept in the index, so finding the studies that have a key and admit a
    person reads the index alone: a join to the entries cost a row lookup per key found.
    """

    entry = models.ForeignKey(SearchEntry, on_delete=models.CASCADE, related_name="condition_keys")
    key = models.TextField()
    is_recruiting = models.BooleanField(default=False)
    min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(null=True, blank=True)
    sex = models.CharField(max_length=10, default="")

    class Meta:
        indexes = [
            models.Index(
                fields=["key", "entry", "is_recruiting", "min_age", "max_age", "sex"],
                name="searchcondition_key_fits",
            )
        ]

    def __str__(self) -> str:
        return f"{self.entry_id}: {self.key}"
