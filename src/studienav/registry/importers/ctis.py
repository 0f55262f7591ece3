"""EU CTIS public portal export (JSON as the public search and download return it).

Accepted shapes: `{"data": [trial, ...], "pagination": {...}}` (a search page), a bare list
of trials, or one trial object. Streamed with ijson.

Fields read from each trial (all others are ignored):
- `ctNumber` (EU CT number, 2023-501234-12-00; noted when missing), `eudraCtNumber`,
  `nctNumber`
- `ctTitle` (full title), `shortTitle` or `title` (public title)
- `sponsor` (name), `sponsorType` (`Commercial` -> industry, `Non-commercial` -> academic)
- `ctStatus` / `trialStatus` / `overallRecruitmentStatus`: `Ongoing, recruiting`,
  `Authorised, not started`, `Ongoing, recruitment ended`, `Ended`, `Halted`, `Suspended`,
  `Withdrawn`, `Cancelled`, `Revoked`...
- `trialCountries` / `memberStatesConcerned`: `["Sweden:5", "Denmark"]` (country, optional
  site count) -> countries
- `conditions` (text, `;` or new line separated, or a list), `medicalCondition`
- `trialPhase`: `Therapeutic confirmatory (Phase III)`, `Phase I and Phase II (Integrated)`...
- `gender` (`Female`, `Male`, `Female, Male`), `startDateEU`/`startDate`, `endDateEU`/`endDate`
  (YYYY-MM-DD or DD/MM/YYYY), `decisionDate` (registration), `totalNumberEnrolled` (target),
  `primaryEndPoint`, `secondaryEndPoints`
- `trialSites`: `[{"organisationName", "city", "postcode", "country"}]` when the download holds
  them; each becomes its own site.
Every CTIS trial is a clinical trial of a medicinal product: study type `drug`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from studienav.registry.importers._common import (
    ImportFileError,
    Notes,
    ParsedRecord,
    as_dict,
    as_list,
    clip,
    line,
    parse_date,
    parse_int,
    site_country,
    text,
)
from studienav.registry.importers._json import json_items, parse_events
from studienav.registry.importers._limits import ImportLimits
from studienav.registry.importers._salvage import build

SOURCE = "ctis"

_ROMAN = {"I": "1", "II": "2", "III": "3", "IV": "4"}


def _phase(value: Any) -> str:
    found = re.findall(r"phase\s+(IV|III|II|I)\b", line(value), re.IGNORECASE)
    numbers = sorted({_ROMAN[f.upper()] for f in found})
    if not numbers:
        return "na"
    if len(numbers) == 2 and numbers in (["1", "2"], ["2", "3"]):
        return "_".join(numbers)
    return numbers[0] if len(numbers) == 1 else "na"


def _status(value: Any) -> str:
    raw = line(value).casefold()
    if not raw:
        return "unknown"
    if "withdrawn" in raw or "cancel" in raw or "not authorised" in raw:
        return "withdrawn"
    if "halted" in raw or "suspended" in raw:
        return "suspended"
    if "revoked" in raw or "terminated" in raw or "early" in raw:
        return "terminated"
    if "ended" in raw and "recruitment ended" not in raw:
        return "completed"
    if "recruitment ended" in raw or "not recruiting" in raw:
        return "active_not_recruiting"
    if "recruiting" in raw:
        return "recruiting"
    if "not started" in raw or "authorised" in raw or "under evaluation" in raw:
        return "not_yet_recruiting"
    if "ongoing" in raw:
        return "recruiting"
    return "unknown"


def _date(value: Any) -> Any:
    raw = line(value)
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", raw)
    if match:
        raw = f"{match.group(3)}-{match.group(2)}-{match.group(1)}"
    return parse_date(raw[:10] if re.match(r"\d{4}-\d{2}-\d{2}T", raw) else raw)


def _split(value: Any) -> list[str]:
    items = as_list(value)
    out: list[str] = []
    for item in items:
        out.extend(p.strip() for p in re.split(r"[;\n]", text(item)) if p.strip())
    return out


def trial_data(trial: dict[str, Any], notes: Notes | None = None) -> dict[str, Any]:
    """The fields of a `StudyRecord` from one CTIS trial; what cannot be read is noted."""
    notes = notes if notes is not None else Notes()
    number = line(trial.get("ctNumber"))
    identifiers: list[dict[str, Any]] = []
    if number:
        identifiers.append(
            {"scheme": "eu_ct", "value": number, "issuer": "CTIS", "is_primary": True}
        )
    else:
        notes.add(
            "identifiers",
            trial.get("ctNumber"),
            _("a CTIS trial needs its EU CT number (ctNumber, like 2023-501234-12-00)"),
        )
    for key, scheme in (("eudraCtNumber", "eudract"), ("nctNumber", "nct")):
        if line(trial.get(key)):
            identifiers.append({"scheme": scheme, "value": line(trial.get(key))})
    title = line(trial.get("ctTitle"))
    short = line(trial.get("shortTitle")) or line(trial.get("title"))
    countries: list[str] = []
    for entry in as_list(trial.get("trialCountries") or trial.get("memberStatesConcerned")):
        name = line(entry).split(":")[0]
        if not name:
            continue
        code, _as_given = site_country(name)
        if code not in countries:
            countries.append(code)
    sites = []
    for raw in as_list(trial.get("trialSites")):
        site = as_dict(raw)
        country, country_as_given = site_country(site.get("country"))
        sites.append(
            {
                "organisation": clip(
                    line(site.get("organisationName")) or line(site.get("city")) or "Site", 200
                ),
                "city": clip(line(site.get("city")), 100),
                "postal_code": clip(line(site.get("postcode")), 20),
                "country": country,
                "country_as_given": country_as_given,
            }
        )
    gender = line(trial.get("gender")).casefold()
    sponsor_kind = line(trial.get("sponsorType")).casefold()
    data: dict[str, Any] = {
        "source": SOURCE,
        "identifiers": identifiers,
        "public_title": short or title,
        "public_title_en": short or title,
        "scientific_title": title,
        "study_type": "drug",
        "phase": _phase(trial.get("trialPhase")),
        "sponsor_type": "industry"
        if sponsor_kind.startswith("commercial")
        else ("other_public" if "public" in sponsor_kind else "academic"),
        "primary_sponsor_name": clip(line(trial.get("sponsor")), 300),
        "overall_status": _status(
            trial.get("overallRecruitmentStatus")
            or trial.get("ctStatus")
            or trial.get("trialStatus")
        ),
        "countries": countries,
        "conditions": [
            {"name": clip(c, 300)}
            for c in _split(trial.get("conditions") or trial.get("medicalCondition"))
        ],
        "outcomes": [
            {"kind": "primary", "measure": m} for m in _split(trial.get("primaryEndPoint"))
        ]
        + [{"kind": "secondary", "measure": m} for m in _split(trial.get("secondaryEndPoints"))],
        "sex": "female" if gender == "female" else ("male" if gender == "male" else "all"),
        "target_enrolment": notes.parsed(
            "target_enrolment", parse_int, trial.get("totalNumberEnrolled")
        ),
        "sites": sites,
    }
    status = data["overall_status"]
    start = notes.parsed(
        "planned_start_date" if status == "not_yet_recruiting" else "actual_start_date",
        _date,
        trial.get("startDateEU") or trial.get("startDate"),
    )
    end = notes.parsed(
        "actual_end_date" if status in ("completed", "terminated") else "planned_end_date",
        _date,
        trial.get("endDateEU") or trial.get("endDate"),
    )
    if start is not None:
        data["planned_start_date" if status == "not_yet_recruiting" else "actual_start_date"] = (
            start
        )
    if end is not None:
        data["actual_end_date" if status in ("completed", "terminated") else "planned_end_date"] = (
            end
        )
    registered = notes.parsed("registered_on", _date, trial.get("decisionDate"))
    if registered is not None:
        data["registered_on"] = registered
    return data


def _prefix(path: Path, limits: ImportLimits) -> str:
    for prefix, event, value in parse_events(path, limits):
        if prefix == "" and event == "start_array":
            return "item"
        if prefix == "" and event == "map_key":
            if value == "data":
                return "data.item"
            if value not in ("pagination", "totalSize"):
                return ""
        if prefix == "" and event not in ("start_map", "map_key"):
            break
    raise ImportFileError(code="json_shape", message=_("not a CTIS export (trials with ctNumber)"))


def read(path: Path, *, limits: ImportLimits | None = None) -> Iterator[ParsedRecord]:
    limits = limits or ImportLimits.from_settings()
    trials = json_items(path, _prefix(path, limits), limits)
    for number, trial in enumerate(trials, start=1):
        yield build(number, partial(trial_data, as_dict(trial)))
