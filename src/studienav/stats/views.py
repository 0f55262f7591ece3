"""Public statistics, downloads, embeds, "how we count", the staff dashboard and key figures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET, require_http_methods

from studienav.core.access import role_required, staff_required
from studienav.core.errors import DomainError
from studienav.core.models import Role
from studienav.core.pdf import pdf_response
from studienav.core.selectors import is_node_office
from studienav.stats import definitions
from studienav.stats.downloads import XLSX_TYPE, table_csv, table_xlsx
from studienav.stats.forms import FilterForm, TargetForm, YearForm
from studienav.stats.framework import Figure, Filters, Table, figure_get, figures_all
from studienav.stats.keyfigures import key_figures
from studienav.stats.models import Target
from studienav.stats.national import national_figures
from studienav.stats.report import annual_report_pdf
from studienav.stats.selectors import dashboard_regions
from studienav.stats.services import TARGET_FIELDS, target_set


def _filters_for(figure: Figure, filters: Filters) -> Filters:
    if filters.by in figure.breakdowns or not figure.breakdowns:
        return filters
    return Filters(**{**filters.__dict__, "by": "total"})


def chart_data(figure: Figure, table: Table) -> dict[str, Any]:
    """What charts.js draws: the same numbers as the table."""
    series = table.rows or ([table.total] if table.total else [])
    return {
        "slug": figure.slug,
        "type": figure.chart.type,
        "measure": str(figure.chart.measure),
        "labels": [str(y) for y in table.columns],
        "datasets": [{"label": row.label, "data": row.values} for row in series],
        "total": table.total.values if table.total and table.rows else None,
        "totalLabel": table.total.label if table.total else "",
    }


def _panels(filters: Filters, figures: list[Figure]) -> list[dict[str, Any]]:
    panels = []
    for figure in figures:
        table = figure.query(_filters_for(figure, filters))
        panels.append({"figure": figure, "table": table, "chart": chart_data(figure, table)})
    return panels


def _form(request: HttpRequest) -> tuple[FilterForm, Filters | None]:
    form = FilterForm(request.GET)
    return form, form.filters() if form.is_valid() else None


@require_GET
def statistics(request: HttpRequest) -> HttpResponse:
    form, filters = _form(request)
    if filters is None:
        return render(request, "stats/statistics.html", {"form": form, "panels": []}, status=400)
    panels = _panels(filters, figures_all(public_only=True))
    context = {
        "form": form,
        "panels": panels,
        "charts": [p["chart"] for p in panels],
        "query": request.GET.urlencode(),
    }
    return render(request, "stats/statistics.html", context)


def _figure_or_404(slug: str) -> Figure:
    figure = figure_get(slug)
    if figure is None or not figure.public:
        raise Http404(_("No such figure."))
    return figure


@require_GET
def download(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    figure = _figure_or_404(slug)
    form, filters = _form(request)
    if filters is None:
        lines = [f"{name}: {' '.join(map(str, errs))}" for name, errs in form.errors.items()]
        return HttpResponse(
            "\n".join(lines),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    filters = _filters_for(figure, filters)
    table = figure.query(filters)
    name = f"{figure.slug}-{filters.year_from}-{filters.year_to}"
    if fmt == "csv":
        response = HttpResponse(table_csv(table), content_type="text/csv; charset=utf-8")
    else:
        body = table_xlsx(figure, filters, table, query=request.GET.urlencode())
        response = HttpResponse(body, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def framed_by_configured_origins(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Allow framing by STATS_EMBED_ORIGINS only: CSP frame-ancestors, read per request."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        origins = list(getattr(settings, "STATS_EMBED_ORIGINS", []))
        # django-csp reads this attribute, as its csp_replace decorator sets it.
        response._csp_replace = {"frame-ancestors": ["'self'", *origins]}  # type: ignore[attr-defined]
        return response

    return xframe_options_exempt(wrapped)


@require_GET
@framed_by_configured_origins
def embed(request: HttpRequest, slug: str) -> HttpResponse:
    figure = _figure_or_404(slug)
    form, filters = _form(request)
    if filters is None:
        return render(request, "stats/embed.html", {"form": form, "panels": []}, status=400)
    panels = _panels(filters, [figure])
    context = {"form": form, "panels": panels, "charts": [p["chart"] for p in panels]}
    return render(request, "stats/embed.html", context)


@require_GET
def how_we_count(request: HttpRequest) -> HttpResponse:
    context = {"definitions": definitions.ALL, "figures": figures_all(public_only=True)}
    return render(request, "stats/how_we_count.html", context)


def _year(request: HttpRequest) -> int:
    form = YearForm(request.GET or {"year": date.today().year})
    return form.cleaned_data["year"] if form.is_valid() else date.today().year


@require_GET
@staff_required
def staff_statistics(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    regions = dashboard_regions(request.user)
    figures = key_figures(year=year, today=date.today(), regions=regions)
    if not regions:
        figures = [f for f in figures if f.region is None]
    context = {
        "year": year,
        "years": list(range(definitions.FIRST_YEAR, date.today().year + 1)),
        "key_figures": figures,
        "is_node_office": is_node_office(request.user),
        "trend_years": [y for y, _v in figures[0].figures[0].trend] if figures else [],
    }
    return render(request, "stats/staff.html", context)


@require_http_methods(["GET", "POST"])
@role_required(Role.NODE_OFFICE)
def targets(request: HttpRequest) -> HttpResponse:
    form = TargetForm(request.POST or None, initial={"year": date.today().year})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            target_set(
                region=data["region"],
                year=data["year"],
                by=request.user,  # type: ignore[arg-type]
                **{name: data[name] for name in TARGET_FIELDS},
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("The targets are saved."))
            return redirect("stats:targets")
    context = {"form": form, "targets": Target.objects.select_related("region")}
    return render(request, "stats/targets.html", context, status=422 if form.errors else 200)


@require_GET
@staff_required
def annual_report(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    language = request.LANGUAGE_CODE if hasattr(request, "LANGUAGE_CODE") else "sv"
    pdf = annual_report_pdf(year=year, language=language)
    return pdf_response(pdf, f"annual-report-{year}.pdf")


@require_GET
@staff_required
def national(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    context = {"year": year, "national": national_figures(year=year)}
    return render(request, "stats/national.html", context)
