"""Country names in any form registries write them, to ISO 3166-1 alpha-2 codes and back.

Names come from ISO 3166 as pycountry keeps it (official, common and withdrawn names), CLDR as
Babel keeps it (English and Swedish), and `data/country_aliases.csv` for the forms registries
use that neither lists (`Former Serbia and Montenegro`, `Macedonia, The Former Yugoslav
Republic of`). `UNKNOWN` (ZZ, the code ISO leaves for an unknown country) stands for a
location whose country is missing or cannot be read.
"""

from __future__ import annotations

import csv
import gettext
import re
from functools import cache
from pathlib import Path

import pycountry
from babel import Locale
from django.utils import translation
from django.utils.translation import gettext as _

from studienav.core.places import fold

UNKNOWN = "ZZ"
_ALIASES = Path(__file__).parent / "data" / "country_aliases.csv"
# Words a registry puts before a country's name that do not change which country it is.
_LEADING = re.compile(r"^(?:the|former)\s+", re.IGNORECASE)


def _key(name: str) -> str:
    return fold(_LEADING.sub("", name.strip()))


def _withdrawn() -> dict[str, tuple[str, str]]:
    """Withdrawn codes no current country uses, with their latest name (ISO 3166-3)."""
    current = {country.alpha_2 for country in pycountry.countries}
    latest: dict[str, tuple[str, str]] = {}
    for country in pycountry.historic_countries:
        code = country.alpha_2
        if code in current:
            continue
        withdrawn = str(getattr(country, "withdrawal_date", ""))
        if code not in latest or withdrawn > latest[code][1]:
            latest[code] = (country.name, withdrawn)
    return {code: (name, date) for code, (name, date) in latest.items()}


@cache
def _names() -> dict[str, str]:
    names: dict[str, str] = {}

    def add(name: str, code: str) -> None:
        key = _key(name)
        if key:
            names.setdefault(key, code)

    for country in pycountry.countries:
        for attribute in ("name", "official_name", "common_name"):
            value = getattr(country, attribute, None)
            if value:
                add(value, country.alpha_2)
                add(value.split(",")[0], country.alpha_2)
    for language in ("en", "sv"):
        for code, name in Locale(language).territories.items():
            if len(code) == 2 and code.isalpha() and code != UNKNOWN:
                add(name, code)
    for code, (name, _withdrawn_on) in _withdrawn().items():
        add(name, code)
        add(name.split(",")[0], code)
    with _ALIASES.open(encoding="utf-8") as handle:
        rows = csv.DictReader(row for row in handle if not row.startswith("#"))
        for row in rows:
            names[_key(row["name"])] = row["code"]  # ours win: they settle ambiguous forms
    return names


@cache
def _codes() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries) | frozenset(_withdrawn())


def country_code(name: str) -> str | None:
    """The ISO code of a country's name or code in English or Swedish, or None if unknown."""
    raw = " ".join(name.split())
    if not raw:
        return None
    if len(raw) == 2 and raw.isalpha():
        code = raw.upper()
        return code if code in _codes() else None
    return _names().get(_key(raw))


def country_name(code: str, language: str) -> str:
    """A country's name in `language` (sv or en); withdrawn codes keep their last name."""
    if code == UNKNOWN:
        with translation.override(language):
            return str(_("unknown country"))
    territories = Locale("sv" if language.startswith("sv") else "en").territories
    if code in territories:
        return str(territories[code])
    withdrawn = _withdrawn().get(code)
    if withdrawn is None:
        return code
    name = withdrawn[0].split(",")[0]
    if language.startswith("sv"):
        swedish = gettext.translation("iso3166-3", pycountry.LOCALES_DIR, languages=["sv"])
        return swedish.gettext(withdrawn[0]).split(",")[0]
    return name
