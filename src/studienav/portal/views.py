"""Public pages: start, search results (with Atom and CSV), study pages. No sign-in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any

from django.db.models import Prefetch
from django.http import (
    HttpRequest,
    HttpResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from studienav.core.clients import open_data_rate_limited
from studienav.core.errors import ValidationFailed
from studienav.core.spreadsheets import spreadsheet_csv_lines
from studienav.portal.feeds import StudyFeed
from studienav.portal.kept import kept_for_the_public
from studienav.portal.paging import pager_build
from studienav.portal.presentation import (
    FACET_TITLES,
    facet_groups,
    identifier_links,
    present,
    sites_in_order,
)
from studienav.registry.models import RECRUITING_STATUSES, Site, Study
from studienav.registry.selectors import studies_public
from studienav.search.params import SORTS, SearchParams, page_parse
from studienav.search.services import SearchResult, study_search

PAGE_SIZE = 20
CSV_BATCH = 1000


def _params(
    query: QueryDict, *, limit: int = PAGE_SIZE, facets: bool = True, numbered: bool = False
) -> SearchParams:
    """The search the query asks for; its `page` is checked everywhere and, when `numbered`,
    is where the studies start (a cursor's searches go on from the cursor instead)."""
    params = SearchParams.from_query(query)
    if "limit" not in query:
        params.limit = limit
    params.facets = facets
    number = page_parse(query.get("page"))
    if numbered and not params.cursor:
        params.offset = (number - 1) * params.limit
    return params


def _without(query: QueryDict, *names: str) -> str:
    copy = query.copy()
    for name in names:
        copy.pop(name, None)
    return copy.urlencode()


@require_GET
@kept_for_the_public
def start(request: HttpRequest) -> HttpResponse:
    """The start page: a search box, recruiting studies by region and by area, how to take part."""
    recruiting = study_search(
        SearchParams(statuses=[s.value for s in RECRUITING_STATUSES], limit=1, facets=True)
    )
    return render(
        request,
        "portal/start.html",
        {
            "recruiting_total": recruiting.total,
            "by_region": recruiting.facets.get("region", []),
            "by_area": recruiting.facets.get("therapeutic_area", []),
            "recruiting_query": "&".join(f"status={s.value}" for s in RECRUITING_STATUSES),
        },
    )


@require_GET
@kept_for_the_public
def results(request: HttpRequest) -> HttpResponse:
    """Search results with facets, counts, numbered pages and sorting; the query lives in
    the URL. A cursor (of an older link) still pages on, with a link to the first page."""
    context: dict[str, Any] = {
        "query": request.GET,
        "sorts": [s for s in SORTS if s != "distance" or request.GET.get("near")],
        "facet_titles": FACET_TITLES,
    }
    status = 200
    try:
        params = _params(request.GET, numbered=True)
        result = study_search(params)
    except ValidationFailed as error:
        context.update(error=error, result=None, groups=[])
        status = 400
    else:
        groups = facet_groups(result.facets, request.GET)
        pager = None
        if not params.cursor:
            pager = pager_build(
                query=request.GET,
                number=params.offset // params.limit + 1,
                per_page=params.limit,
                total=result.total,
            )
        context.update(
            params=params,
            result=result,
            studies=[present(s, get_language()) for s in result.studies],
            groups=groups,
            chosen=sum(option.checked for group in groups for option in group.options),
            pager=pager,
            next_query=_next_query(request.GET, result) if params.cursor else None,
            first_query=_without(request.GET, "cursor", "page") if params.cursor else None,
            export_query=_without(request.GET, "cursor", "limit", "page"),
        )
    if request.headers.get("HX-Request"):
        # htmx swaps only successful answers: the error summary comes as a 200 fragment.
        return render(request, "portal/_results.html", context)
    return render(request, "portal/results.html", context, status=status)


def _next_query(query: QueryDict, result: SearchResult) -> str | None:
    if not result.next_cursor:
        return None
    copy = query.copy()
    copy.pop("page", None)
    copy["cursor"] = result.next_cursor
    return copy.urlencode()


def _bad_request(error: ValidationFailed) -> HttpResponse:
    text = f"{error.field}: {error.message}\n" if error.field else f"{error.message}\n"
    return HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")


Export = Callable[..., HttpResponse | StreamingHttpResponse]


def _open_data(view: Export) -> Export:
    """Counted in the client's budget of machine reads, the API's (`API_RATE_LIMIT` a
    minute); beyond it, 429 with Retry-After."""

    @wraps(view)
    def counted(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        retry_after = open_data_rate_limited(request)
        if retry_after is None:
            return view(request, *args, **kwargs)
        text = _("Too many requests from this address; try again in %(seconds)s seconds.") % {
            "seconds": retry_after
        }
        response = HttpResponse(text, status=429, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(retry_after)
        return response

    return counted


@require_GET
@_open_data
def results_feed(request: HttpRequest) -> HttpResponse:
    """An Atom feed of any search, newest change first."""
    query = request.GET.copy()
    query.setdefault("sort", "updated")
    try:
        result = study_search(_params(query, limit=50, facets=False))
    except ValidationFailed as error:
        return _bad_request(error)
    link = request.build_absolute_uri(
        reverse("portal:results") + "?" + _without(query, "cursor", "page")
    )
    feed = StudyFeed(
        title=_("Clinical studies: %(query)s") % {"query": request.GET.get("q") or _("all")},
        link=link,
        description=_("Studies in the public register matching a search."),
        language=get_language(),
        feed_url=request.build_absolute_uri(),
    )
    for study in result.studies:
        shown = present(study, get_language())
        url = request.build_absolute_uri(reverse("portal:study", args=[study.pk]))
        feed.add_item(
            title=shown.title,
            link=url,
            unique_id=url,
            description=shown.summary,
            updateddate=study.updated_at,
            pubdate=study.published_at or study.updated_at,
        )
    response = HttpResponse(content_type="application/atom+xml; charset=utf-8")
    feed.write(response, "utf-8")
    return response


_CSV_COLUMNS = (
    "id",
    "title",
    "title_en",
    "status",
    "phase",
    "study_type",
    "sponsor_type",
    "sponsor",
    "conditions",
    "regions",
    "sites",
    "min_age",
    "max_age",
    "sex",
    "identifiers",
    "updated_at",
    "url",
)


def _csv_rows(params: SearchParams, request: HttpRequest) -> Iterator[str]:
    writer = spreadsheet_csv_lines()
    yield writer.writerow(_CSV_COLUMNS)
    cursor: str | None = params.cursor
    while True:
        page = study_search(SearchParams(**{**params.__dict__, "cursor": cursor}))
        for study in page.studies:
            sites = list(study.sites.all())
            yield writer.writerow(
                [
                    study.pk,
                    study.public_title,
                    study.public_title_en,
                    study.overall_status,
                    study.phase,
                    study.study_type,
                    study.sponsor_type,
                    study.primary_sponsor_name,
                    "; ".join(str(c) for c in study.conditions.all()),
                    "; ".join(sorted({s.region.code for s in sites if s.region is not None})),
                    "; ".join(s.organisation.name for s in sites),
                    study.min_age_years if study.min_age_years is not None else "",
                    study.max_age_years if study.max_age_years is not None else "",
                    study.sex,
                    "; ".join(i.value for i in study.identifiers.all()),
                    study.updated_at.isoformat(),
                    request.build_absolute_uri(reverse("portal:study", args=[study.pk])),
                ]
            )
        if not (cursor := page.next_cursor):
            return


@require_GET
@_open_data
def results_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Every study matching a search as CSV, streamed a batch at a time."""
    try:
        params = _params(request.GET, limit=CSV_BATCH, facets=False)
    except ValidationFailed as error:
        return _bad_request(error)
    response = StreamingHttpResponse(
        _csv_rows(params, request), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="studies.csv"'
    return response


def _public_study(pk: int) -> Study:
    """A public study with what its page shows, and nothing more (each relation is a query)."""
    return get_object_or_404(
        studies_public().prefetch_related(
            "identifiers",
            "conditions",
            "interventions",
            Prefetch(
                "sites",
                Site.objects.select_related("organisation", "region").order_by(
                    "region__code", "organisation__name"
                ),
            ),
        ),
        pk=pk,
    )


@require_GET
@kept_for_the_public
def study(request: HttpRequest, pk: int) -> HttpResponse:
    """A study in plain language: what, who, what it involves, where, who runs it."""
    found = _public_study(pk)
    near = request.GET.get("near", "").strip()[:100]
    sites, near_error = sites_in_order(found, near)
    return render(
        request,
        "portal/study.html",
        {
            "study": found,
            "shown": present(found, get_language()),
            "sites": sites,
            "near": near,
            "near_error": near_error,
            "identifiers": identifier_links(found),
        },
        status=400 if near_error else 200,
    )
