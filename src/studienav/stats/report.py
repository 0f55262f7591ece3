"""The annual report: a typeset PDF (reportlab) with summary, key figures, vector charts, tables."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from studienav.core.selectors import current_node
from studienav.stats import definitions
from studienav.stats.definitions import FIRST_YEAR
from studienav.stats.framework import Filters
from studienav.stats.framework import Table as FigureTable
from studienav.stats.keyfigures import KEYS, RegionKeyFigures, key_figures, node_region_list
from studienav.stats.queries import participants_by_year, studies_by_year

BRAND = colors.HexColor("#0b4f6c")
WASH = colors.HexColor("#f3f5f6")
LINE = colors.HexColor("#c7ccd1")
PALETTE = [
    colors.HexColor(c)
    for c in ("#0b4f6c", "#c8553d", "#2a9d8f", "#e9a03b", "#6a4c93", "#1d6b3a", "#8d99ae")
]
WIDTH = A4[0] - 40 * mm


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle(
            "title",
            parent=base["Title"],
            fontSize=26,
            leading=31,
            textColor=BRAND,
            alignment=TA_LEFT,
        ),
        "subtitle": ParagraphStyle("subtitle", parent=base["Normal"], fontSize=13, leading=18),
        "h1": ParagraphStyle(
            "h1",
            parent=base["Heading1"],
            fontSize=17,
            textColor=BRAND,
            spaceBefore=10,
            spaceAfter=6,
        ),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontSize=12.5, spaceBefore=8),
        "body": ParagraphStyle("body", parent=base["BodyText"], fontSize=10, leading=14),
        "small": ParagraphStyle("small", parent=base["BodyText"], fontSize=8.5, leading=11),
        "figure": ParagraphStyle(
            "figure", parent=base["BodyText"], fontSize=24, leading=28, textColor=BRAND
        ),
    }


def _number_table(
    rows: list[list[Any]], *, col0: float = 55 * mm, total_row: bool = False
) -> Table:
    columns = len(rows[0])
    other = (WIDTH - col0) / max(columns - 1, 1)
    table = Table(rows, colWidths=[col0, *[other] * (columns - 1)], repeatRows=1)
    style = [
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8.5),
        ("FONT", (0, 1), (-1, -1), "Helvetica", 8.5),
        ("LINEBELOW", (0, 0), (-1, 0), 1, colors.black),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, LINE),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, WASH]),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if total_row:
        style += [
            ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 8.5),
            ("LINEABOVE", (0, -1), (-1, -1), 1, colors.black),
        ]
    table.setStyle(TableStyle(style))
    return table


def _figure_rows(table: FigureTable) -> list[list[Any]]:
    rows: list[list[Any]] = [[str(table.dimension_label), *[str(y) for y in table.columns]]]
    rows += [[row.label[:40], *row.values] for row in table.rows]
    if table.total is not None:
        rows.append([table.total.label, *table.total.values])
    return rows


def _bar_chart(
    table: FigureTable, *, title: str, stacked: bool = False, use_total: bool = False
) -> Drawing:
    height = 62 * mm
    drawing = Drawing(WIDTH, height + 18 * mm)
    series = [table.total] if use_total and table.total else table.rows
    series = [s for s in series if s is not None][: len(PALETTE)]
    chart = VerticalBarChart()
    chart.x, chart.y = 12 * mm, 16 * mm
    chart.width, chart.height = WIDTH - 16 * mm, height - 6 * mm
    chart.data = [row.values for row in series] or [[0] * len(table.columns)]
    chart.categoryAxis.categoryNames = [str(y) for y in table.columns]
    chart.categoryAxis.labels.fontName = "Helvetica"
    chart.categoryAxis.labels.fontSize = 7.5
    chart.valueAxis.labels.fontName = "Helvetica"
    chart.valueAxis.labels.fontSize = 7.5
    chart.valueAxis.valueMin = min(0, *[v for row in chart.data for v in row])
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = LINE
    chart.valueAxis.gridStrokeWidth = 0.3
    chart.barSpacing = 0.5
    chart.groupSpacing = 4
    if stacked:
        chart.categoryAxis.style = "stacked"
    for index in range(len(chart.data)):
        chart.bars[index].fillColor = PALETTE[index % len(PALETTE)]
        chart.bars[index].strokeColor = None
    drawing.add(chart)
    drawing.add(String(0, height + 12 * mm, title, fontName="Helvetica-Bold", fontSize=10))
    if len(series) > 1:
        legend = Legend()
        legend.x, legend.y = 12 * mm, 6 * mm
        legend.alignment = "right"
        legend.columnMaximum = 1
        legend.fontName = "Helvetica"
        legend.fontSize = 7.5
        legend.dx = legend.dy = 6
        legend.deltax = 10
        legend.colorNamePairs = [
            (PALETTE[i % len(PALETTE)], row.label[:22]) for i, row in enumerate(series)
        ]
        drawing.add(legend)
    return drawing


def _trend_rows(keys: list[RegionKeyFigures], key: str) -> list[list[Any]]:
    first = next(f for f in keys[0].figures if f.key == key)
    rows: list[list[Any]] = [[_("Region"), *[str(y) for y, _v in first.trend]]]
    for block in keys:
        figure = next(f for f in block.figures if f.key == key)
        rows.append([block.name, *["–" if v is None else v for _y, v in figure.trend]])
    return rows


def _key_figure_table(keys: list[RegionKeyFigures], styles: dict[str, ParagraphStyle]) -> Table:
    """One row per region, each key figure as actual / target, green where the target is met."""
    head = ParagraphStyle("head", parent=styles["small"], fontName="Helvetica-Bold")
    rows: list[list[Any]] = [
        [Paragraph(_("Region"), head)] + [Paragraph(str(label), head) for _k, label in KEYS]
    ]
    met: list[tuple[int, int]] = []
    for r, block in enumerate(keys, start=1):
        cells: list[Any] = [block.name]
        for c, kf in enumerate(block.figures, start=1):
            actual = "–" if kf.actual is None else str(kf.actual)
            target = "–" if kf.target is None else str(kf.target)
            change = "" if kf.change is None else f" ({kf.change:+d})"
            cells.append(f"{actual} / {target}{change}")
            if kf.met:
                met.append((c, r))
        rows.append(cells)
    table = Table(rows, colWidths=[40 * mm, *[(WIDTH - 40 * mm) / len(KEYS)] * len(KEYS)])
    style = [
        ("FONT", (0, 1), (-1, -1), "Helvetica", 8.5),
        ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 8.5),
        ("LINEBELOW", (0, 0), (-1, 0), 1, colors.black),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, LINE),
        ("LINEABOVE", (0, -1), (-1, -1), 1, colors.black),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -2), [colors.white, WASH]),
    ]
    style += [("TEXTCOLOR", cell, cell, colors.HexColor("#1d6b3a")) for cell in met]
    table.setStyle(TableStyle(style))
    return table


def _on_page(node_name: str, year: int) -> Any:
    def draw(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFillColor(BRAND)
        canvas.rect(0, A4[1] - 9 * mm, A4[0], 9 * mm, fill=1, stroke=0)
        canvas.setFillColor(colors.white)
        canvas.setFont("Helvetica-Bold", 9)
        canvas.drawString(20 * mm, A4[1] - 6 * mm, f"{node_name} · {_('Annual report')} {year}")
        canvas.setFillColor(colors.HexColor("#4a4f55"))
        canvas.setFont("Helvetica", 8)
        canvas.drawRightString(A4[0] - 20 * mm, 10 * mm, str(doc.page))
        canvas.drawString(20 * mm, 10 * mm, "studienav")
        canvas.restoreState()

    return draw


def annual_report_pdf(*, year: int, language: str = "sv", today: date | None = None) -> bytes:
    """The node's annual report for `year` as PDF bytes, in Swedish or English."""
    with translation.override(language):
        return _build(year=year, today=today or date.today())


def _build(*, year: int, today: date) -> bytes:
    styles = _styles()
    node = current_node()
    node_name = node.name if node else "studienav"
    regions = node_region_list()
    first = max(FIRST_YEAR, year - 4)
    by_region = Filters(year_from=first, year_to=year, by="region")
    history = Filters(year_from=FIRST_YEAR, year_to=year, by="total")
    ongoing = studies_by_year(by_region, "ongoing")
    started = studies_by_year(by_region, "started")
    completed = studies_by_year(by_region, "completed")
    ongoing_history = studies_by_year(history, "ongoing")
    participants = participants_by_year(by_region)
    by_type = studies_by_year(Filters(year_from=first, year_to=year, by="study_type"), "ongoing")
    by_sponsor = studies_by_year(
        Filters(year_from=first, year_to=year, by="sponsor_type"), "started"
    )
    keys = key_figures(year=year, today=today, regions=regions)

    def last(table: FigureTable) -> int:
        return table.total.values[-1] if table.total else 0

    def before(table: FigureTable) -> int | None:
        return table.total.values[-2] if table.total and len(table.total.values) > 1 else None

    story: list[Any] = [
        Spacer(1, 18 * mm),
        Paragraph(_("Annual report %(year)s") % {"year": year}, styles["title"]),
        Paragraph(
            _("Clinical studies in %(node)s: studies, participants and key figures")
            % {"node": node_name},
            styles["subtitle"],
        ),
        Spacer(1, 4 * mm),
        Paragraph(
            _("Computed from the registry on %(date)s.") % {"date": date_format(today)},
            styles["small"],
        ),
        Spacer(1, 8 * mm),
        Paragraph(_("Summary"), styles["h1"]),
    ]
    headline = [
        (_("studies ongoing"), last(ongoing), before(ongoing)),
        (_("studies started"), last(started), before(started)),
        (_("studies completed"), last(completed), before(completed)),
        (_("participants recruited"), last(participants), before(participants)),
    ]
    cells = [
        [
            Paragraph(f"{value:,}".replace(",", "\u2009"), styles["figure"])
            for _l, value, _b in headline
        ],
        [Paragraph(str(label), styles["small"]) for label, _v, _b in headline],
        [
            Paragraph(
                (_("%(value)s the year before") % {"value": prior}) if prior is not None else "",
                styles["small"],
            )
            for _l, _v, prior in headline
        ],
    ]
    summary = Table(cells, colWidths=[WIDTH / 4] * 4)
    summary.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), WASH),
                ("LINEABOVE", (0, 0), (-1, 0), 2, BRAND),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    story += [
        summary,
        Spacer(1, 5 * mm),
        Paragraph(
            _(
                "In %(year)s, %(ongoing)s studies were ongoing in the node's regions; %(started)s "
                "started and %(completed)s completed during the year. Sites reported "
                "%(participants)s participants recruited. A study with sites in several regions "
                "counts once in each region and once in the node's total."
            )
            % {
                "year": year,
                "ongoing": last(ongoing),
                "started": last(started),
                "completed": last(completed),
                "participants": last(participants),
            },
            styles["body"],
        ),
        Spacer(1, 6 * mm),
        _bar_chart(
            ongoing_history,
            title=_("Studies ongoing per year since %(first)s") % {"first": FIRST_YEAR},
            use_total=True,
        ),
        PageBreak(),
        Paragraph(_("Key figures against targets"), styles["h1"]),
    ]
    story += [
        Paragraph(
            _(
                "Actual figures for %(year)s against the targets the node office set for each "
                "region. Figures that reached their target are in green; a dash means no target "
                "was set. The change since last month is in brackets."
            )
            % {"year": year},
            styles["body"],
        ),
        Spacer(1, 3 * mm),
        _key_figure_table(keys, styles),
        Spacer(1, 4 * mm),
        Paragraph(_("Trend: new studies per region and year (actual figures)"), styles["h2"]),
        _number_table(_trend_rows(keys, "new_studies"), total_row=True),
        Paragraph(_("Trend: participants recruited per region and year"), styles["h2"]),
        _number_table(_trend_rows(keys, "participants"), total_row=True),
    ]
    story += [
        PageBreak(),
        Paragraph(_("Studies per region"), styles["h1"]),
        _bar_chart(started, title=_("Studies started per region and year"), stacked=False),
        Spacer(1, 3 * mm),
    ]
    for title, table in (
        (_("Studies ongoing during the year"), ongoing),
        (_("Studies started during the year"), started),
        (_("Studies completed during the year"), completed),
    ):
        story.append(
            KeepTogether(
                [Paragraph(title, styles["h2"]), _number_table(_figure_rows(table), total_row=True)]
            )
        )
    story += [
        PageBreak(),
        Paragraph(_("Participants"), styles["h1"]),
        _bar_chart(participants, title=_("Participants recruited per region and year")),
        Paragraph(_("Participants recruited"), styles["h2"]),
        _number_table(_figure_rows(participants), total_row=True),
        Paragraph(_("Studies by type and sponsor"), styles["h1"]),
        Paragraph(_("Studies ongoing, by study type"), styles["h2"]),
        _number_table(_figure_rows(by_type), total_row=True),
        Paragraph(_("Studies started, by sponsor type"), styles["h2"]),
        _number_table(_figure_rows(by_sponsor), total_row=True),
        PageBreak(),
        Paragraph(_("How we count"), styles["h1"]),
    ]
    for definition in definitions.ALL:
        story += [
            Paragraph(str(definition.term), styles["h2"]),
            Paragraph(str(definition.text), styles["body"]),
        ]
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=_("Annual report %(year)s") % {"year": year},
        author=node_name,
        subject=_("Clinical studies in figures"),
    )
    page = _on_page(node_name, year)
    doc.build(story, onFirstPage=page, onLaterPages=page)
    return out.getvalue()
