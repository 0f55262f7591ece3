"""The FHIR R5 facade (`/fhir/`): published studies as ResearchStudy, sites as Location and
Organization, read and searched, every resource validated with the fhir.resources models.

Identifier systems (ResearchStudy.identifier.system, and the `identifier` search parameter):

- NCT number (ClinicalTrials.gov): `https://clinicaltrials.gov`
- EU CT number (CTIS): `https://euclinicaltrials.eu`
- EudraCT number: `https://www.clinicaltrialsregister.eu`
- Swedish Ethical Review Authority case number: `https://etikprovningsmyndigheten.se/diarienummer`
- ISRCTN: `https://www.isrctn.com`
- our own study id: `urn:studienav:study`

Recruitment status maps to ResearchStudy.progressStatus.state in
`http://hl7.org/fhir/research-study-status` (recruiting, not-yet-recruiting,
enrolling-by-invitation, active-but-not-recruiting, temporarily-closed-to-accrual,
terminated, completed, withdrawn); the record's publication state to ResearchStudy.status.

A ResearchStudy search is the search of the portal and the API (`studienav.search`): Swedish
and English words, inflections, condition synonyms and typos; the best matches come first.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from fhir.resources.bundle import Bundle
from fhir.resources.capabilitystatement import CapabilityStatement
from fhir.resources.location import Location
from fhir.resources.operationoutcome import OperationOutcome
from fhir.resources.organization import Organization
from fhir.resources.researchstudy import ResearchStudy

from studienav.api.schemas import IDENTIFIER_SYSTEMS
from studienav.api.selectors import (
    STUDY_PREFETCH,
    region_by_code_or_name,
    study_public_by_key,
)
from studienav.core.errors import ValidationFailed
from studienav.core.models import Organisation, OrganisationType, Region
from studienav.registry.identifiers import IdentifierLookup, identifier_lookups
from studienav.registry.models import (
    IdentifierScheme,
    OverallStatus,
    Phase,
    Study,
    StudyState,
)
from studienav.search.params import MAX_ID, SearchParams
from studienav.search.services import study_search

FHIR_JSON = "application/fhir+json"
FHIR_VERSION = "5.0.0"
OUR_SYSTEM = "urn:studienav:study"
ICD10_SYSTEM = "http://hl7.org/fhir/sid/icd-10"
STATUS_SYSTEM = "http://hl7.org/fhir/research-study-status"
PHASE_SYSTEM = "http://terminology.hl7.org/CodeSystem/research-study-phase"
DEFAULT_COUNT = 20
MAX_COUNT = 1000

STATUS_CODES = {
    OverallStatus.NOT_YET_RECRUITING: "not-yet-recruiting",
    OverallStatus.RECRUITING: "recruiting",
    OverallStatus.ENROLLING_BY_INVITATION: "enrolling-by-invitation",
    OverallStatus.ACTIVE_NOT_RECRUITING: "active-but-not-recruiting",
    OverallStatus.SUSPENDED: "temporarily-closed-to-accrual",
    OverallStatus.TERMINATED: "terminated",
    OverallStatus.COMPLETED: "completed",
    OverallStatus.WITHDRAWN: "withdrawn",
}
PHASE_CODES = {
    Phase.EARLY_1: "early-phase-1",
    Phase.PHASE_1: "phase-1",
    Phase.PHASE_1_2: "phase-1-phase-2",
    Phase.PHASE_2: "phase-2",
    Phase.PHASE_2_3: "phase-2-phase-3",
    Phase.PHASE_3: "phase-3",
    Phase.PHASE_4: "phase-4",
    Phase.NOT_APPLICABLE: "n-a",
}
SEARCH_PARAMETERS = {
    "title": (
        "string",
        "Words of the public title (Swedish or English) or the acronym; inflected forms, "
        "condition synonyms and one typo a word are found too.",
    ),
    "condition": (
        "token",
        "A condition's name in Swedish or English, any of its synonyms, or its ICD-10 code "
        "([system|]C50); comma for either.",
    ),
    "status": (
        "token",
        "Recruitment status: " + ", ".join(STATUS_CODES.values()) + "; comma for either.",
    ),
    "phase": ("token", "Phase: " + ", ".join(PHASE_CODES.values()) + "; comma for either."),
    "identifier": (
        "token",
        "[system|]value: NCT, EU CT, EudraCT, ethics case, ISRCTN or local number, in any "
        "case and spacing (nct 02552212, Dnr 2019-01234); comma for either.",
    ),
    "site": ("string", "A site's city, or a region by code (03) or name (Uppsala)."),
    "_count": ("number", f"Studies per page, 1 to {MAX_COUNT} (default {DEFAULT_COUNT})."),
    "_cursor": ("string", "Opaque paging cursor from a Bundle's next link."),
}
_SCHEME_BY_SYSTEM = {uri: scheme for scheme, uri in IDENTIFIER_SYSTEMS.items()}


class FhirError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        self.status, self.code, self.message = status, code, message
        super().__init__(message)


class _NoStudy(Exception):
    """A search parameter that no study can meet: an identifier of another system, a city
    without sites."""


def _respond(resource: Any, status: int = 200) -> HttpResponse:
    body = resource.model_dump_json(exclude_none=True)
    return HttpResponse(body, status=status, content_type=FHIR_JSON)


def outcome(status: int, code: str, message: str) -> HttpResponse:
    resource = OperationOutcome.model_validate(
        {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": code, "diagnostics": message}],
        }
    )
    return _respond(resource, status)


def _fhir_view(view: Any) -> Any:
    """Answer Http404, FhirError and ValidationFailed as an OperationOutcome."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        texts = [*kwargs.values(), *(v for _k, vs in request.GET.lists() for v in vs)]
        if any("\x00" in str(text) for text in texts):
            return outcome(400, "invalid", _("A value holds a NUL character."))
        try:
            response: HttpResponse = view(request, *args, **kwargs)
        except Http404:
            return outcome(404, "not-found", _("There is no published resource with this id."))
        except FhirError as error:
            return outcome(error.status, error.code, error.message)
        except ValidationFailed as error:
            return outcome(400, "invalid", f"{error.field}: {error.message}")
        return response

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return require_safe(wrapped)


# -- resources ---------------------------------------------------------------------------------


def _identifier(scheme: str, value: str, primary: bool) -> dict[str, Any]:
    item: dict[str, Any] = {"value": value, "use": "official" if primary else "secondary"}
    system = IDENTIFIER_SYSTEMS.get(scheme)
    if system:
        item["system"] = system
    else:
        item["type"] = {"text": str(IdentifierScheme(scheme).label)}
    return item


def research_study(study: Study) -> ResearchStudy:
    """One published study as a validated R5 ResearchStudy (identifiers, conditions,
    interventions and sites prefetched)."""
    identifiers = [
        {"system": OUR_SYSTEM, "value": str(study.pk), "use": "usual"},
        *(_identifier(i.scheme, i.value, i.is_primary) for i in study.identifiers.all()),
    ]
    labels = [
        {
            "type": {"coding": [{"system": "http://hl7.org/fhir/title-type", "code": code}]},
            "value": v,
        }
        for code, v in (
            ("plain-language", study.public_title_en),
            ("scientific", study.scientific_title),
            ("acronym", study.acronym),
        )
        if v
    ]
    conditions = []
    for condition in study.conditions.all():
        concept: dict[str, Any] = {"text": condition.name}
        if condition.icd10:
            concept["coding"] = [{"system": ICD10_SYSTEM, "code": condition.icd10}]
        conditions.append(concept)
    data: dict[str, Any] = {
        "resourceType": "ResearchStudy",
        "id": str(study.pk),
        "meta": {"lastUpdated": study.updated_at.isoformat()},
        "language": "sv",
        "identifier": identifiers,
        "title": study.public_title,
        "label": labels or None,
        "status": "active",
        "phase": {
            "coding": [{"system": PHASE_SYSTEM, "code": PHASE_CODES[Phase(study.phase)]}],
            "text": str(Phase(study.phase).label),
        },
        "condition": conditions or None,
        "keyword": [{"text": str(k)} for k in study.keywords] or None,
        "descriptionSummary": study.summary_sv or study.summary_en or None,
        "description": study.description or None,
        "focus": [{"concept": {"text": i.name}} for i in study.interventions.all()] or None,
        "site": [
            {"reference": f"Location/{s.organisation_id}", "display": s.organisation.name}
            for s in study.sites.all()
        ]
        or None,
        "recruitment": _recruitment(study),
        "associatedParty": _sponsor(study),
        "progressStatus": _progress(study),
        "region": [{"coding": [{"system": "urn:iso:std:iso:3166", "code": "SE"}]}],
    }
    start = study.actual_start_date or study.planned_start_date
    end = study.actual_end_date or study.planned_end_date
    if start or end:
        data["period"] = {
            key: value.isoformat() for key, value in (("start", start), ("end", end)) if value
        }
    if study.state == StudyState.COMPLETED:
        data["status"] = "retired"
    return ResearchStudy.model_validate({k: v for k, v in data.items() if v is not None})


def _recruitment(study: Study) -> dict[str, Any] | None:
    recruitment = {
        key: value
        for key, value in (
            ("targetNumber", study.target_enrolment),
            ("actualNumber", study.actual_enrolment),
        )
        if value is not None
    }
    return recruitment or None


def _sponsor(study: Study) -> list[dict[str, Any]] | None:
    if not study.primary_sponsor_name:
        return None
    return [
        {
            "name": study.primary_sponsor_name,
            "role": {
                "coding": [
                    {"system": "http://hl7.org/fhir/research-study-party-role", "code": "sponsor"}
                ]
            },
        }
    ]


def _progress(study: Study) -> list[dict[str, Any]] | None:
    code = STATUS_CODES.get(OverallStatus(study.overall_status))
    if code is None:
        return None
    state = {
        "state": {
            "coding": [{"system": STATUS_SYSTEM, "code": code}],
            "text": str(OverallStatus(study.overall_status).label),
        },
        "actual": True,
    }
    return [state]


def location(organisation: Organisation, region: Region | None) -> Location:
    address: dict[str, Any] = {"country": organisation.country}
    for key, value in (
        ("line", [organisation.street_address] if organisation.street_address else None),
        ("city", organisation.city),
        ("postalCode", organisation.postal_code),
        ("state", region.name if region else ""),
    ):
        if value:
            address[key] = value
    data: dict[str, Any] = {
        "resourceType": "Location",
        "id": str(organisation.pk),
        "name": organisation.name,
        "status": "active",
        "address": address,
        "managingOrganization": {
            "reference": f"Organization/{organisation.pk}",
            "display": organisation.name,
        },
    }
    if organisation.latitude is not None and organisation.longitude is not None:
        data["position"] = {"latitude": organisation.latitude, "longitude": organisation.longitude}
    return Location.model_validate(data)


def organization(organisation: Organisation) -> Organization:
    data: dict[str, Any] = {
        "resourceType": "Organization",
        "id": str(organisation.pk),
        "active": True,
        "name": organisation.name,
        "type": [{"text": str(OrganisationType(organisation.type).label)}],
    }
    if organisation.name_en:
        data["alias"] = [organisation.name_en]
    if organisation.parent_id:
        data["partOf"] = {"reference": f"Organization/{organisation.parent_id}"}
    return Organization.model_validate(data)


# -- views ------------------------------------------------------------------------------------


@_fhir_view
def metadata(request: HttpRequest) -> HttpResponse:
    """The CapabilityStatement: what this server reads and searches."""
    systems = "; ".join(f"{scheme}: {uri}" for scheme, uri in IDENTIFIER_SYSTEMS.items())
    statement = CapabilityStatement.model_validate(
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": timezone.now().date().isoformat(),
            "kind": "instance",
            "software": {"name": "studienav"},
            "implementation": {
                "description": "studienav FHIR R5 facade: published clinical studies",
                "url": request.build_absolute_uri("/fhir/"),
            },
            "fhirVersion": FHIR_VERSION,
            "format": ["json"],
            "rest": [
                {
                    "mode": "server",
                    "documentation": (
                        "Read-only. ResearchStudy ids are our study ids; any registry "
                        f"identifier also reads a study. Identifier systems: {systems}; "
                        f"our id: {OUR_SYSTEM}."
                    ),
                    "resource": [
                        {
                            "type": "ResearchStudy",
                            "interaction": [{"code": "read"}, {"code": "search-type"}],
                            "searchParam": [
                                {"name": name, "type": kind, "documentation": text}
                                for name, (kind, text) in SEARCH_PARAMETERS.items()
                            ],
                        },
                        {"type": "Location", "interaction": [{"code": "read"}]},
                        {"type": "Organization", "interaction": [{"code": "read"}]},
                    ],
                }
            ],
        }
    )
    return _respond(statement)


@_fhir_view
def research_study_read(request: HttpRequest, key: str) -> HttpResponse:
    """A study by our id or by any identifier (NCT02552212, 2023-501234-12-00, ...)."""
    study, _merged = study_public_by_key(key)
    prefetch_related_objects([study], *STUDY_PREFETCH)
    return _respond(research_study(study))


def _tokens(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _one_of(parameter: str, values: list[str], codes: dict[Any, str]) -> list[str]:
    """FHIR codes (phase-2) or our own (2) -> our values; FhirError listing the valid ones."""
    ours = {code: str(value) for value, code in codes.items()} | {str(v): str(v) for v in codes}
    out = []
    for value in values:
        value = value.rsplit("|", 1)[-1]
        if value not in ours:
            raise FhirError(
                400,
                "invalid",
                _("%(parameter)s: %(value)s is not valid; valid values: %(valid)s")
                % {
                    "parameter": parameter,
                    "value": value[:40],
                    "valid": ", ".join(codes.values()),
                },
            )
        out.append(ours[value])
    return out


def _identified(value: str) -> tuple[list[IdentifierLookup], list[int]]:
    """The `identifier` parameter as lookups of registry identifiers and our own ids."""
    lookups: list[IdentifierLookup] = []
    ids: list[int] = []
    for token in _tokens(value):
        system, _bar, written = token.rpartition("|")
        if system == OUR_SYSTEM:
            if written.strip().isdigit() and int(written) <= MAX_ID:
                ids.append(int(written))
            continue
        found = identifier_lookups(written)
        if system:
            found = tuple(item for item in found if item.scheme == _SCHEME_BY_SYSTEM.get(system))
        lookups.extend(found)
    if not lookups and not ids:
        raise _NoStudy
    return lookups, ids


def _located(site: str) -> tuple[list[str], list[int]]:
    """The `site` parameter as a region (by code or name), else the organisations in a city."""
    region = region_by_code_or_name(site)
    if region is not None:
        return [region.code], []
    in_city = list(Organisation.objects.filter(city__iexact=site).values_list("pk", flat=True))
    if not in_city:
        raise _NoStudy
    return [], in_city


def _search_params(query: QueryDict, count: int) -> SearchParams:
    """The search the FHIR parameters ask for; _NoStudy when no study can meet them."""
    lookups, ids = _identified(identifier) if (identifier := query.get("identifier")) else ([], [])
    regions, sites = _located(site) if (site := query.get("site", "").strip()) else ([], [])
    return SearchParams.from_values(
        title=query.get("title", ""),
        conditions=[token.rsplit("|", 1)[-1] for token in _tokens(query.get("condition", ""))],
        statuses=_one_of("status", _tokens(query.get("status", "")), STATUS_CODES),
        phases=_one_of("phase", _tokens(query.get("phase", "")), PHASE_CODES),
        identifiers=lookups,
        study_ids=ids,
        regions=regions,
        sites=sites,
        limit=count,
        cursor=query.get("_cursor") or None,
    )


def _count(query: Any) -> int:
    text = query.get("_count", "")
    if not text:
        return DEFAULT_COUNT
    if not text.isdigit() or not 1 <= int(text) <= MAX_COUNT:
        raise FhirError(
            400,
            "invalid",
            _("_count must be a whole number from 1 to %(max)s.") % {"max": MAX_COUNT},
        )
    return int(text)


@_fhir_view
def research_study_search(request: HttpRequest) -> HttpResponse:
    """A searchset Bundle of published studies, the best matches first, with self and next
    links."""
    query = request.GET
    allowed = set(SEARCH_PARAMETERS) | {"_format"}
    unknown = sorted(set(query) - allowed)
    if unknown:
        raise FhirError(
            400,
            "not-supported",
            _("Unknown search parameter %(name)s; supported: %(names)s")
            % {"name": unknown[0], "names": ", ".join(SEARCH_PARAMETERS)},
        )
    count = _count(query)
    try:
        params = _search_params(query, count)
    except _NoStudy:
        studies: list[Study] = []
        total, next_cursor = 0, None
    else:
        result = study_search(params)
        studies, total, next_cursor = result.studies, result.total, result.next_cursor
        prefetch_related_objects(studies, *STUDY_PREFETCH)
    base = request.build_absolute_uri("/fhir/ResearchStudy")
    links = [{"relation": "self", "url": request.build_absolute_uri()}]
    if next_cursor:
        following = {k: v for k, v in query.items() if k != "_cursor"}
        following["_cursor"] = next_cursor
        links.append({"relation": "next", "url": f"{base}?{urlencode(following)}"})
    bundle = Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "timestamp": timezone.now().isoformat(),
            "total": total,
            "link": links,
            "entry": [
                {
                    "fullUrl": f"{base}/{study.pk}",
                    "resource": research_study(study),
                    "search": {"mode": "match"},
                }
                for study in studies
            ],
        }
    )
    return _respond(bundle)


def _organisation(key: str) -> Organisation:
    if not key.isdigit() or len(key) > 18:
        raise Http404(key)
    found = Organisation.objects.select_related("region").filter(pk=int(key)).first()
    if found is None:
        raise Http404(key)
    return found


@_fhir_view
def location_read(request: HttpRequest, key: str) -> HttpResponse:
    """The place of an organisation that runs sites."""
    organisation = _organisation(key)
    return _respond(location(organisation, organisation.region))


@_fhir_view
def organization_read(request: HttpRequest, key: str) -> HttpResponse:
    return _respond(organization(_organisation(key)))


@_fhir_view
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    raise FhirError(
        404, "not-supported", _("Supported: metadata, ResearchStudy, Location, Organization.")
    )
