"""The open JSON API, version 1 (`/api/v1/`): published studies, regions, organisations, sites.

Every error is `application/problem+json` (RFC 9457) naming the parameter and, where the
values are a closed list, the values that are valid.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any, Literal, get_args

from django.db.models import Q, QuerySet, prefetch_related_objects
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponsePermanentRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.utils.http import http_date
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Query, Schema
from ninja.errors import ValidationError

from studienav.api import schemas as out
from studienav.api.middleware import server_error
from studienav.api.queries import cursor_decode, cursor_encode
from studienav.api.selectors import (
    STUDY_PREFETCH,
    public_studies_last_change,
    region_by_code_or_name,
    region_choices,
    study_public_by_key,
)
from studienav.core.errors import ValidationFailed
from studienav.core.models import Organisation, OrganisationType, Region
from studienav.core.spreadsheets import spreadsheet_csv_lines
from studienav.core.timeouts import statement_timed_out, timed_out_response
from studienav.registry.models import (
    CareSetting,
    OverallStatus,
    Phase,
    Sex,
    Site,
    SiteStatus,
    SponsorType,
    Study,
    StudyType,
    StudyVersion,
    TherapeuticArea,
)
from studienav.registry.records import region_codes, study_to_record
from studienav.registry.selectors import sites_attached, studies_public
from studienav.search.params import SearchParams, updated_since_parse
from studienav.search.services import study_search

PROBLEM = "application/problem+json"
# The search's sorts the API offers.
Sort = Literal["relevance", "updated", "title", "distance"]
SORTS = list(get_args(Sort))
BULK_PAGE = 500
# The largest id the database holds (a 64-bit integer): anything larger is a bad parameter.
ID_MAX = 2**63 - 1

DESCRIPTION = """
Published clinical studies in Sweden's regions, as JSON, CSV, JSON Lines and FHIR R5.

* Only published and completed records are visible.
* Lists page with an opaque `cursor`: pass the `next_cursor` of one answer to get the next.
* Errors are `application/problem+json` (RFC 9457); `errors[]` names each parameter and,
  for a closed list, its `valid_values`. Unknown parameters are refused with 400.
* Answers carry `ETag` and `Last-Modified`; send `If-None-Match` or `If-Modified-Since`
  to get 304. CORS is open for reads. Each client may send `API_RATE_LIMIT` requests a
  minute (600 by default), counted together with the portal's Atom feed and CSV; beyond
  that the answer is 429 with `Retry-After`.
* The FHIR R5 facade lives at `/fhir/` (`/fhir/metadata`).
"""


class StudyApi(NinjaAPI):
    """NinjaAPI whose every error, expected or not, is problem+json (never a traceback, even
    with DEBUG on), and whose OpenAPI document states them for every operation."""

    def set_default_exception_handlers(self) -> None:
        super().set_default_exception_handlers()
        for error, handler in (
            (Exception, _unexpected),
            (ValidationError, _invalid_input),
            (ValidationFailed, _domain_invalid),
            (Http404, _not_found),
        ):
            self.exception_handler(error)(handler)

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        problem = {"$ref": "#/components/schemas/ProblemOut"}
        schema["components"]["schemas"]["ProblemOut"] = out.ProblemOut.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        for name, definition in (
            out.ProblemOut.model_json_schema(ref_template="#/components/schemas/{model}")
            .get("$defs", {})
            .items()
        ):
            schema["components"]["schemas"][name] = definition
        schema["components"]["schemas"]["ProblemOut"].pop("$defs", None)
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, text in (
                    ("400", "Bad parameter"),
                    ("404", "Not found"),
                    ("429", "Too many requests"),
                    ("500", "Server error"),
                ):
                    responses[status] = {
                        "description": text,
                        "content": {PROBLEM: {"schema": problem}},
                    }
                responses.setdefault("304", {"description": "Not modified"})
        return schema


# -- errors ----------------------------------------------------------------------------------


def problem(
    status: int, title: str, detail: str, errors: list[dict[str, Any]] | None = None
) -> HttpResponse:
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "errors": errors or [],
    }
    return HttpResponse(json.dumps(body), status=status, content_type=PROBLEM)


def _valid_values(request: HttpRequest, parameter: str) -> list[str] | None:
    if request.path.startswith("/api/v1/sites"):
        closed: dict[str, list[str]] = {"status": list(SiteStatus.values)}
    elif request.path.startswith("/api/v1/organisations"):
        closed = {"type": list(OrganisationType.values)}
    else:
        closed = {
            "status": list(OverallStatus.values),
            "phase": list(Phase.values),
            "study_type": list(StudyType.values),
            "sponsor_type": list(SponsorType.values),
            "care_setting": list(CareSetting.values),
            "therapeutic_area": list(TherapeuticArea.values),
            "sex": list(Sex.values),
            "sort": SORTS,
        }
    closed |= {"healthy_volunteers": ["true", "false"], "facets": ["true", "false"]}
    if parameter == "region":
        return region_choices()
    return closed.get(parameter)


def _parameter_error(request: HttpRequest, parameter: str, message: str) -> dict[str, Any]:
    return {
        "parameter": parameter,
        "message": message,
        "valid_values": _valid_values(request, parameter),
    }


def _message(item: dict[str, Any], given: str) -> str:
    """A validation error's message in the asker's language (pydantic's own are English);
    `given` is the parameter's value as sent."""
    kind = str(item.get("type", ""))
    context = item.get("ctx") or {}
    value = given[:40]
    if kind in ("enum", "literal_error"):
        return _("%(value)s is not one of the valid values.") % {"value": value}
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("Give a whole number.")
    if kind in ("float_parsing", "float_type"):
        return _("Give a number.")
    if kind in ("bool_parsing", "bool_type"):
        return _("Give true or false.")
    if kind in ("greater_than_equal", "greater_than"):
        return _("Give at least %(limit)s.") % {"limit": context.get("ge", context.get("gt"))}
    if kind in ("less_than_equal", "less_than"):
        return _("Give at most %(limit)s.") % {"limit": context.get("le", context.get("lt"))}
    if kind.startswith(("datetime_", "date_")):
        return _("Give a date, or a date and time, such as 2024-05-01 or 2024-05-01T12:00.")
    if kind == "string_too_long":
        return _("Give at most %(count)s characters.") % {"count": context.get("max_length")}
    return str(item.get("msg", ""))


def _invalid_input(request: HttpRequest, error: ValidationError) -> HttpResponse:
    errors = []
    for item in error.errors:
        location = [str(part) for part in item.get("loc", ()) if not isinstance(part, int)]
        parameter = location[-1] if len(location) > 1 else (location[0] if location else "")
        values = request.GET.getlist(parameter)
        positions = [part for part in item.get("loc", ()) if isinstance(part, int)]
        position = positions[-1] if positions else len(values) - 1
        given = values[position] if 0 <= position < len(values) else ""
        errors.append(_parameter_error(request, parameter, _message(item, given)))
    names = ", ".join(e["parameter"] for e in errors)
    return problem(
        400, _("Bad parameter"), _("Check the parameters: %(names)s.") % {"names": names}, errors
    )


def _domain_invalid(request: HttpRequest, error: ValidationFailed) -> HttpResponse:
    parameter = error.field or ""
    details = _parameter_error(request, parameter, error.message)
    if "valid_values" in error.params:
        details["valid_values"] = error.params["valid_values"]
    return problem(400, _("Bad parameter"), error.message, [details])


def _not_found(request: HttpRequest, error: Http404) -> HttpResponse:
    return problem(
        404, _("Not found"), _("There is no published study, organisation or site here.")
    )


def _unexpected(request: HttpRequest, error: Exception) -> HttpResponse:
    if statement_timed_out(error):  # the statement's time bound (core.timeouts): 503
        return timed_out_response(request)
    return server_error(request, error)


api = StudyApi(
    title="studienav open API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    docs_url=None,
)


def _reject_unknown(request: HttpRequest, allowed: type[Schema]) -> None:
    """Refuse parameters the operation does not know, and values no database can hold."""
    for name, values in request.GET.lists():
        if any("\x00" in value for value in values):
            raise ValidationFailed(
                code="nul_character",
                field=name,
                message=_("The value holds a NUL character, which no text may contain."),
            )
    unknown = sorted(set(request.GET) - set(allowed.model_fields))
    if unknown:
        raise ValidationFailed(
            code="unknown_parameter",
            field=unknown[0],
            message=_("Unknown parameter %(name)s; the parameters are: %(names)s.")
            % {"name": unknown[0], "names": ", ".join(allowed.model_fields)},
            valid_values=list(allowed.model_fields),
        )


def _region_codes_from(values: list[str]) -> list[str]:
    codes = []
    for value in values:
        region = region_by_code_or_name(value)
        if region is None:
            raise ValidationFailed(
                code="unknown_region",
                field="region",
                message=_("%(value)s is not a region: give its two-digit code or its name.")
                % {"value": value[:40]},
            )
        codes.append(region.code)
    return codes


# -- studies ---------------------------------------------------------------------------------


class StudyQuery(Schema):
    q: str | None = Field(
        None,
        max_length=500,
        description="Words to find, in Swedish or English, or a study's identifier "
        "(NCT02552212, 2023-501234-12-00, Dnr 2019-01234).",
    )
    condition: list[str] | None = Field(
        None, description="A condition name or ICD-10 code (C50); repeatable."
    )
    region: list[str] | None = Field(
        None,
        description="A region with a site: two-digit code (03) or name (Uppsala); repeatable.",
    )
    site: list[int] | None = Field(
        None, description="An organisation id (see /api/v1/organisations); repeatable."
    )
    status: list[OverallStatus] | None = Field(
        None, description="Recruitment status, ClinicalTrials.gov vocabulary; repeatable."
    )
    phase: list[Phase] | None = Field(None, description="Trial phase; repeatable.")
    study_type: list[StudyType] | None = Field(None, description="Study type; repeatable.")
    sponsor_type: list[SponsorType] | None = Field(None, description="Sponsor type; repeatable.")
    care_setting: list[CareSetting] | None = Field(None, description="Care setting; repeatable.")
    therapeutic_area: list[TherapeuticArea] | None = Field(
        None, description="ICD-10 chapter (I to XXII); repeatable."
    )
    age: int | None = Field(None, ge=0, le=120, description="A person's age in years.")
    sex: Sex | None = Field(None, description="Studies open to this sex.")
    healthy_volunteers: bool | None = Field(None, description="Accepts healthy volunteers.")
    near: str | None = Field(
        None,
        max_length=200,
        description="A municipality, locality, postcode, or latitude,longitude.",
    )
    radius_km: float | None = Field(None, gt=0, le=2000, description="Distance from `near`.")
    updated_since: str | None = Field(
        None, max_length=40, description="Changed on or after this date or date-time (ISO 8601)."
    )
    sort: Sort | None = Field(
        None, description="relevance (default), updated, title or distance (needs near)."
    )
    limit: int = Field(50, ge=1, le=1000, description="Studies per page, at most 1000.")
    cursor: str | None = Field(None, max_length=200, description="`next_cursor` of the last page.")
    facets: bool = Field(False, description="Add counts per value of each filter.")

    def search_params(self) -> SearchParams:
        """The search these validated parameters ask for, checked as the search needs
        (regions by name, a known place, a cursor of this sort, ...)."""
        return SearchParams.from_values(
            q=self.q or "",
            conditions=self.condition,
            regions=self.region,
            sites=self.site,
            statuses=self.status,
            phases=self.phase,
            study_types=self.study_type,
            sponsor_types=self.sponsor_type,
            care_settings=self.care_setting,
            therapeutic_areas=self.therapeutic_area,
            age=self.age,
            sex=self.sex,
            healthy_volunteers=self.healthy_volunteers,
            near=self.near or "",
            radius_km=self.radius_km,
            updated_since=updated_since_parse(self.updated_since or ""),
            sort=self.sort or "relevance",
            limit=self.limit,
            cursor=self.cursor,
            facets=self.facets,
        )


class BulkQuery(StudyQuery):
    pass


def _last_modified(response: HttpResponse, studies: list[Study] | None = None) -> None:
    if studies is None:
        latest = public_studies_last_change()
    else:
        latest = max((s.updated_at for s in studies), default=None)
    if latest is not None:
        response["Last-Modified"] = http_date(latest.timestamp())


@api.get(
    "/studies",
    response=out.StudyListOut,
    summary="Search published studies",
    tags=["studies"],
    operation_id="studies_search",
)
def studies_search(
    request: HttpRequest, response: HttpResponse, filters: Query[StudyQuery]
) -> dict[str, Any]:
    """Every search parameter of the portal; a page of studies, the total and the next cursor.
    An identifier in `q` (NCT02552212, 2023-501234-12-00, Dnr 2019-01234) finds its study."""
    _reject_unknown(request, StudyQuery)
    params = filters.search_params()
    result = study_search(params)
    prefetch_related_objects(result.studies, *STUDY_PREFETCH)
    regions = region_codes()
    _last_modified(response)
    body: dict[str, Any] = {
        "studies": [out.study_out(s, regions) for s in result.studies],
        "total": result.total,
        "next_cursor": result.next_cursor,
        "facets": None,
    }
    if params.facets:
        body["facets"] = {
            name: [{"value": v, "label": str(label), "count": n} for v, label, n in values]
            for name, values in result.facets.items()
        }
    return body


def _every_match(params: SearchParams) -> Iterator[Study]:
    """Every matching study, a page at a time from the first, so memory stays constant."""
    params = dataclasses.replace(params, limit=BULK_PAGE, facets=False, cursor=None)
    while True:
        result = study_search(params)
        yield from result.studies
        if not result.next_cursor:
            return
        params = dataclasses.replace(params, cursor=result.next_cursor)


def _streamed(content_type: str, description: str) -> dict[str, Any]:
    """The OpenAPI description of a bulk answer: a stream of text, not JSON."""
    return {
        "responses": {
            "200": {
                "description": description,
                "content": {content_type: {"schema": {"type": "string"}}},
            }
        }
    }


def _bulk(request: HttpRequest, filters: BulkQuery) -> Iterator[Study]:
    _reject_unknown(request, BulkQuery)
    studies = _every_match(filters.search_params())
    first = next(studies, None)  # validation errors surface here, as 400 not a broken stream

    def chain() -> Iterator[Study]:
        if first is not None:
            yield first
            yield from studies

    return chain()


@api.get(
    "/studies.jsonl",
    summary="Every matching study as JSON Lines",
    tags=["bulk"],
    operation_id="studies_jsonl",
    openapi_extra=_streamed(
        "application/x-ndjson", "One `studienav.study/1` exchange record a line."
    ),
)
def studies_jsonl(request: HttpRequest, filters: Query[BulkQuery]) -> HttpResponseBase:
    """The same filters as the search; streamed, one exchange record (format
    `studienav.study/1`) a line."""
    studies = _bulk(request, filters)

    def lines() -> Iterator[str]:
        for study in studies:
            yield study_to_record(study).model_dump_json(exclude={"state", "source"}) + "\n"

    response = StreamingHttpResponse(lines(), content_type="application/x-ndjson")
    response["Content-Disposition"] = 'attachment; filename="studies.jsonl"'
    return response


CSV_COLUMNS = (
    "id",
    "identifiers",
    "public_title",
    "public_title_en",
    "status",
    "phase",
    "study_type",
    "sponsor_type",
    "sponsor",
    "conditions",
    "icd10",
    "min_age_years",
    "max_age_years",
    "sex",
    "healthy_volunteers",
    "regions",
    "sites",
    "target_enrolment",
    "planned_start",
    "updated_at",
    "url",
)


def _csv_row(study: Study, regions: dict[int, str]) -> list[Any]:
    sites = list(study.sites.all())
    values = [
        study.pk,
        "; ".join(i.value for i in study.identifiers.all()),
        study.public_title,
        study.public_title_en,
        study.overall_status,
        study.phase,
        study.study_type,
        study.sponsor_type,
        study.primary_sponsor_name,
        "; ".join(c.name for c in study.conditions.all()),
        "; ".join(c.icd10 for c in study.conditions.all() if c.icd10),
        study.min_age_years,
        study.max_age_years,
        study.sex,
        "true" if study.healthy_volunteers else "false",
        "; ".join(sorted({regions[s.region_id] for s in sites if s.region_id})),
        "; ".join(f"{s.organisation.name} ({s.recruitment_status})" for s in sites),
        study.target_enrolment,
        study.planned_start_date,
        study.updated_at.isoformat(),
        f"/studies/{study.pk}/",
    ]
    return ["" if v is None else v for v in values]


@api.get(
    "/studies.csv",
    summary="Every matching study as CSV",
    tags=["bulk"],
    operation_id="studies_csv",
    description="The same filters as the search; streamed. Columns: "
    + ", ".join(CSV_COLUMNS)
    + ". Lists inside a cell are separated by '; '.",
    openapi_extra=_streamed("text/csv", "UTF-8 CSV with a header row."),
)
def studies_csv(request: HttpRequest, filters: Query[BulkQuery]) -> HttpResponseBase:
    studies = _bulk(request, filters)
    regions = region_codes()
    writer = spreadsheet_csv_lines()

    def rows() -> Iterator[str]:
        yield writer.writerow(CSV_COLUMNS)
        batch: list[Study] = []
        for study in studies:
            batch.append(study)
            if len(batch) == BULK_PAGE:
                yield from _csv_batch(batch, regions, writer)
                batch = []
        yield from _csv_batch(batch, regions, writer)

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="studies.csv"'
    return response


def _csv_batch(batch: list[Study], regions: dict[int, str], writer: Any) -> Iterator[str]:
    sites_attached(batch, "organisation")
    prefetch_related_objects(batch, *STUDY_PREFETCH)
    for study in batch:
        yield writer.writerow(_csv_row(study, regions))


class NoQuery(Schema):
    pass


@api.get(
    "/studies/{study_id}",
    response=out.StudyOut,
    summary="One published study",
    tags=["studies"],
    operation_id="study_read",
)
def study_read(request: HttpRequest, response: HttpResponse, study_id: str) -> Any:
    """`study_id` is our id or any identifier: NCT02552212, 2023-501234-12-00, 2023-01234-01.
    A duplicate merged into another study answers with a permanent redirect to it."""
    _reject_unknown(request, NoQuery)
    study, merged = study_public_by_key(study_id)
    if merged and study_id.strip().isdigit():
        return HttpResponsePermanentRedirect(f"/api/v1/studies/{study.pk}")
    prefetch_related_objects([study], *STUDY_PREFETCH)
    _last_modified(response, [study])
    return out.study_out(study, region_codes())


def _changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


@api.get(
    "/studies/{study_id}/history",
    response=out.HistoryOut,
    summary="The published versions of a study",
    tags=["studies"],
    operation_id="study_history",
)
def study_history(request: HttpRequest, response: HttpResponse, study_id: str) -> dict[str, Any]:
    """Every published version, oldest first, with the fields it changed."""
    _reject_unknown(request, NoQuery)
    study, _merged = study_public_by_key(study_id)
    versions = []
    previous: dict[str, Any] = {}
    for version in StudyVersion.objects.filter(study=study).order_by("number"):
        data = version.data if isinstance(version.data, dict) else {}
        versions.append(
            {
                "number": version.number,
                "published_at": version.published_at,
                "reason": version.reason,
                "changed_fields": _changed(previous, data),
                "data": data,
            }
        )
        previous = data
    _last_modified(response, [study])
    return {"study_id": study.pk, "versions": versions}


# -- regions, organisations, sites ------------------------------------------------------------


@api.get(
    "/regions",
    response=list[out.RegionOut],
    summary="Sweden's 21 regions",
    tags=["places"],
    operation_id="regions_list",
)
def regions_list(request: HttpRequest) -> list[dict[str, Any]]:
    _reject_unknown(request, NoQuery)
    return [out.region_out(r) for r in Region.objects.order_by("code")]


class OrganisationQuery(Schema):
    region: str | None = Field(None, description="Two-digit region code or region name.")
    type: OrganisationType | None = Field(None, description="Kind of organisation.")
    q: str | None = Field(None, max_length=200, description="Part of the name.")
    limit: int = Field(50, ge=1, le=1000, description="Organisations per page.")
    cursor: str | None = Field(None, max_length=200, description="`next_cursor` of the last page.")


def _keyset_page(rows: QuerySet[Any], limit: int, cursor: str | None) -> dict[str, Any]:
    """One page in id order after the cursor: {"rows", "total", "next_cursor"}."""
    after = cursor_decode(cursor) if cursor else 0
    page = list(rows.filter(pk__gt=after).order_by("pk")[: limit + 1])
    more = len(page) > limit
    return {
        "rows": page[:limit],
        "total": rows.count(),
        "next_cursor": cursor_encode(page[limit - 1].pk) if more else None,
    }


@api.get(
    "/organisations",
    response=out.OrganisationListOut,
    summary="Hospitals, clinics, care centres, universities and companies",
    tags=["places"],
    operation_id="organisations_list",
)
def organisations_list(request: HttpRequest, filters: Query[OrganisationQuery]) -> dict[str, Any]:
    _reject_unknown(request, OrganisationQuery)
    organisations = Organisation.objects.all()
    if filters.region:
        organisations = organisations.filter(region__code=_region_codes_from([filters.region])[0])
    if filters.type:
        organisations = organisations.filter(type=filters.type)
    if filters.q:
        organisations = organisations.filter(
            Q(name__icontains=filters.q) | Q(name_en__icontains=filters.q)
        )
    page = _keyset_page(organisations, filters.limit, filters.cursor)
    regions = region_codes()
    return {
        "organisations": [out.organisation_out(o, regions) for o in page.pop("rows")],
        **page,
    }


class SiteQuery(Schema):
    region: str | None = Field(None, description="Two-digit region code or region name.")
    status: SiteStatus | None = Field(None, description="The site's recruitment status.")
    organisation: int | None = Field(None, ge=1, le=ID_MAX, description="Organisation id.")
    limit: int = Field(50, ge=1, le=1000, description="Sites per page.")
    cursor: str | None = Field(None, max_length=200, description="`next_cursor` of the last page.")


@api.get(
    "/sites",
    response=out.SiteListOut,
    summary="Sites of published studies",
    tags=["places"],
    operation_id="sites_list",
)
def sites_list(request: HttpRequest, filters: Query[SiteQuery]) -> dict[str, Any]:
    _reject_unknown(request, SiteQuery)
    sites = Site.objects.filter(study__in=studies_public())
    if filters.region:
        sites = sites.filter(region__code=_region_codes_from([filters.region])[0])
    if filters.status:
        sites = sites.filter(recruitment_status=filters.status)
    if filters.organisation is not None:
        sites = sites.filter(organisation_id=filters.organisation)
    page = _keyset_page(sites.select_related("organisation"), filters.limit, filters.cursor)
    regions = region_codes()
    return {"sites": [out.site_out(s, regions) for s in page.pop("rows")], **page}


# -- documentation ---------------------------------------------------------------------------


def docs(request: HttpRequest) -> HttpResponse:
    """The API reference, rendered on the server from the OpenAPI document (no CDN, no JS)."""
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    operations = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            parameters = []
            for parameter in operation.get("parameters", []):
                spec = parameter.get("schema", {})
                values = _enum_values(spec, schema)
                parameters.append(
                    {
                        "name": parameter["name"],
                        "where": parameter.get("in", ""),
                        "required": parameter.get("required", False),
                        "description": parameter.get("description") or spec.get("description", ""),
                        "values": values,
                    }
                )
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "parameters": parameters,
                    "anchor": operation.get("operationId", path),
                }
            )
    examples = [
        "/api/v1/studies?q=diabetes&region=03&status=recruiting&facets=true",
        "/api/v1/studies?condition=C50&age=54&sex=female&limit=10",
        "/api/v1/studies/NCT02552212",
        "/api/v1/studies.csv?status=recruiting",
        "/fhir/ResearchStudy?status=recruiting&_count=20",
    ]
    return render(
        request,
        "api/docs.html",
        {"info": schema["info"], "operations": operations, "examples": examples},
    )


def _enum_values(spec: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    candidates = [spec, spec.get("items", {})]
    for option in spec.get("anyOf", []):
        candidates += [option, option.get("items", {})]
    for candidate in candidates:
        ref = candidate.get("$ref")
        if ref:
            candidate = schema["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {})
        if "enum" in candidate:
            return [str(v) for v in candidate["enum"]]
    return []


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other address under /api/: a problem, not an HTML page."""
    return problem(404, _("Not found"), _("There is no such address in the API; see /api/v1/docs."))
