"""How the public pages show a study: text in the page's language (or marked with its own),
facet groups for the filter form, identifiers linked to the public registries, sites by distance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.http import QueryDict
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from studienav.core.countries import country_name
from studienav.core.errors import ValidationFailed
from studienav.registry.models import IdentifierScheme, Site, Study
from studienav.search.conditions import condition_name
from studienav.search.places import near_resolve
from studienav.search.services import facet_value_labels, site_distances

# Facet name -> its query parameter (the same word, so the URL reads like the API's).
FACET_PARAMETERS = {
    "status": "status",
    "region": "region",
    "therapeutic_area": "therapeutic_area",
    "phase": "phase",
    "study_type": "study_type",
    "sponsor_type": "sponsor_type",
    "care_setting": "care_setting",
    "sex": "sex",
    "healthy_volunteers": "healthy_volunteers",
    "site": "site",
}
FACET_TITLES = {
    "status": gettext_lazy("Recruitment status"),
    "region": gettext_lazy("Region"),
    "therapeutic_area": gettext_lazy("Area of disease"),
    "phase": gettext_lazy("Phase"),
    "study_type": gettext_lazy("Type of study"),
    "sponsor_type": gettext_lazy("Sponsor"),
    "care_setting": gettext_lazy("Care setting"),
    "sex": gettext_lazy("Sex"),
    "healthy_volunteers": gettext_lazy("Healthy volunteers"),
    "site": gettext_lazy("Hospital or clinic"),
}
# One value at a time: radio buttons with an "any" choice.
SINGLE_CHOICE = {"sex", "healthy_volunteers"}

REGISTRY_LINKS = {
    IdentifierScheme.NCT: "https://clinicaltrials.gov/study/{value}",
    IdentifierScheme.EU_CT: "https://euclinicaltrials.eu/search-for-clinical-trials/?lang=en&EUCT={value}",
    IdentifierScheme.ISRCTN: "https://www.isrctn.com/{value}",
}


@dataclass(frozen=True)
class Shown:
    """A study's title and summary in the page's language when there is one; `*_lang` says
    the language of the text when it differs from the page's (for the `lang` attribute)."""

    study: Study
    title: str
    title_lang: str
    summary: str
    summary_lang: str
    # The language of the record's one-language texts (eligibility, conditions, interventions)
    # when it is not the page's.
    record_lang: str = ""
    language: str = "sv"  # the page's

    @property
    def pk(self) -> int:
        return self.study.pk

    @property
    def conditions(self) -> list[ShownCondition]:
        return conditions_shown(self.study, self.language, self.record_lang)

    @property
    def distance_km(self) -> float | None:
        return getattr(self.study, "distance_km", None)


def _pick(language: str, swedish: str, english: str) -> tuple[str, str]:
    """The text for the page's language, and its language if it is the other one."""
    if language == "en":
        return (english, "") if english else (swedish, "sv" if swedish else "")
    return (swedish, "") if swedish else (english, "en" if english else "")


# Registries whose records are written in English.
ENGLISH_SOURCES = frozenset({"ctgov", "ctis"})


# Short function words that tell Swedish from English text (none is a word in the other).
_SWEDISH_WORDS = frozenset(
    "och att som med för av på är eller inte har år ska kan vid efter till den det de".split()  # noqa: SIM905
)
_ENGLISH_WORDS = frozenset(
    "and the of with for or not have has years to be are who after during any must".split()  # noqa: SIM905
)
_WORD = re.compile(r"[^\W\d_]+")


def text_language(text: str) -> str:
    """ "sv" or "en" when the text's function words say so clearly, else ""."""
    swedish = english = 0
    for word in _WORD.findall(text[:4000].lower()):
        swedish += word in _SWEDISH_WORDS
        english += word in _ENGLISH_WORDS
    if swedish + english < 3 or swedish == english:
        return ""
    return "sv" if swedish > english else "en"


def record_language(study: Study) -> str:
    """The language of a record's texts that exist in one language only: the registry's, or
    what its eligibility criteria are written in, or the language of its only summary."""
    if study.source in ENGLISH_SOURCES:
        return "en"
    written = text_language(f"{study.inclusion_criteria}\n{study.exclusion_criteria}")
    if written:
        return written
    if study.summary_en and not study.summary_sv:
        return "en"
    return "sv"


def present(study: Study, language: str | None) -> Shown:
    language = "en" if language == "en" else "sv"
    written_in = record_language(study)
    title, title_lang = _pick(language, study.public_title, study.public_title_en)
    if not title_lang and language == "sv" and written_in == "en":
        # An English registry's title stands in the Swedish title's place.
        title_lang = "en" if title == study.public_title_en or not study.summary_sv else ""
    summary, summary_lang = _pick(language, study.summary_sv, study.summary_en)
    record_lang = written_in if written_in != language else ""
    return Shown(study, title, title_lang, summary, summary_lang, record_lang, language)


@dataclass(frozen=True)
class ShownCondition:
    """A record's condition on a page: the vocabulary's name of it in the page's language when
    the record names it otherwise, and the record's own words, marked with their language when
    it is not the page's."""

    name: str  # empty when the record's words are shown alone
    original: str
    original_lang: str
    icd10: str


def conditions_shown(study: Study, language: str, record_lang: str) -> list[ShownCondition]:
    """The study's conditions as a page in `language` shows them (see `ShownCondition`)."""
    other = "en" if language == "sv" else "sv"
    shown = []
    for condition in study.conditions.all():
        # A code says which condition a record in the other language means; a record in the
        # page's language is named in its own words unless they are the other language's.
        code = condition.icd10 if record_lang else ""
        name = condition_name(condition.name, code, language)
        lang = other if name else record_lang
        shown.append(ShownCondition(name, condition.name, lang, condition.icd10))
    return shown


@dataclass(frozen=True)
class FacetOption:
    value: str
    label: str
    count: int
    checked: bool
    id: str


@dataclass(frozen=True)
class FacetGroup:
    name: str
    title: str
    options: list[FacetOption]
    single: bool

    @property
    def any_checked(self) -> bool:
        return any(option.checked for option in self.options)


def facet_groups(
    facets: dict[str, list[tuple[str, str, int]]], query: QueryDict
) -> list[FacetGroup]:
    """The filter form: each facet's values with counts; chosen values stay even at zero."""
    groups: list[FacetGroup] = []
    for name, parameter in FACET_PARAMETERS.items():
        rows = facets.get(name, [])
        chosen = query.getlist(parameter)
        options = [
            FacetOption(value, label, count, value in chosen, f"f-{name}-{value}")
            for value, label, count in rows
        ]
        known = {option.value for option in options}
        missing = [value for value in chosen if value not in known and value.isalnum()]
        labels = facet_value_labels(name, missing) if missing else {}
        options += [
            FacetOption(value, labels.get(value, value), 0, True, f"f-{name}-{value}")
            for value in missing
        ]
        if options:
            groups.append(FacetGroup(name, str(FACET_TITLES[name]), options, name in SINGLE_CHOICE))
    return groups


@dataclass(frozen=True)
class IdentifierLink:
    scheme: str
    value: str
    url: str | None


def identifier_links(study: Study) -> list[IdentifierLink]:
    out = []
    for identifier in study.identifiers.all():
        if identifier.scheme == IdentifierScheme.LOCAL:
            continue
        template = REGISTRY_LINKS.get(IdentifierScheme(identifier.scheme))
        url = template.format(value=identifier.value) if template else None
        out.append(IdentifierLink(identifier.get_scheme_display(), identifier.value, url))
    return out


@dataclass(frozen=True)
class ShownSite:
    site: Site
    distance_km: float | None

    @property
    def place(self) -> str:
        """Where the site is: its town and region in Sweden, its town and country abroad."""
        site = self.site
        if site.region is not None:
            where = site.region.display_name
        elif site.country == "SE":
            where = ""
        else:
            where = country_name(site.country, get_language() or "sv")
        return ", ".join(part for part in (site.organisation.city, where) if part)


def sites_in_order(study: Study, near: str) -> tuple[list[ShownSite], str]:
    """The study's sites, nearest first when a place is given; an error message for a place
    we do not know."""
    sites = list(study.sites.all())
    if not near:
        return [ShownSite(site, None) for site in sites], ""
    if near_resolve(near) is None:
        error = ValidationFailed(
            code="unknown_place",
            field="near",
            message=_(
                "We do not know the place %(value)s. Give a municipality or locality "
                "(Gävle), a postcode (751 85 or 751) or coordinates (59.86,17.64)."
            )
            % {"value": near[:60]},
        )
        return [ShownSite(site, None) for site in sites], error.message
    distances = site_distances(study, near)
    shown = [ShownSite(site, distances.get(site.pk)) for site in sites]
    far = float("inf")
    shown.sort(key=lambda s: (s.distance_km if s.distance_km is not None else far, s.site.pk))
    return shown, ""
