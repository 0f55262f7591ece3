"""The node's activity report for a year, in one document (PDF or XLSX): trainings, networks
and meetings, the library, and every other capability's figures as the statistics framework
gives them, with the definitions that say how each number is counted."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Avg, Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from studienav.core.pdf import Document as PdfDocument
from studienav.core.pdf import Grid, Heading, Text, pdf_render
from studienav.core.selectors import current_node
from studienav.core.spreadsheets import spreadsheet_row
from studienav.network import figures as network_figures
from studienav.network.models import (
    GCP_KINDS,
    Certificate,
    Course,
    Document,
    DocumentVersion,
    Evaluation,
    Network,
    RegistrationState,
    Topic,
    Visibility,
)
from studienav.stats.framework import Figure, Filters, figures_all

Cell = str | int | float


@dataclass(frozen=True)
class Section:
    title: str
    intro: str
    header: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    sheet: str = ""


@dataclass(frozen=True)
class ActivityReport:
    year: int
    language: str
    node: str
    sections: Sequence[Section]
    definitions: Sequence[tuple[str, str]] = field(default_factory=tuple)

    @property
    def title(self) -> str:
        with translation.override(self.language):
            return _("Activity report %(year)s") % {"year": self.year}


def _figure_total(figure: Figure, year: int) -> int:
    by = figure.breakdowns[0] if figure.breakdowns else "total"
    if "total" in figure.breakdowns:
        by = "total"
    table = figure.query(Filters(year_from=year, year_to=year, by=by))
    if table.total is not None:
        return int(table.total.values[0])
    if len(table.rows) == 1:
        return int(table.rows[0].values[0])
    return int(sum(row.values[0] for row in table.rows))


def _own(figure: Figure) -> bool:
    return figure.query.__module__ == network_figures.__name__


def _training_rows(year: int) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    courses = Course.objects.annotate(
        sessions_held=Count(
            "sessions",
            filter=Q(sessions__starts_at__year=year, sessions__is_cancelled=False),
            distinct=True,
        )
    ).filter(sessions_held__gt=0)
    for course in courses.order_by("kind", "name"):
        registrations = course.sessions.filter(
            starts_at__year=year, is_cancelled=False
        ).values_list("registrations__state", flat=True)
        states = [s for s in registrations if s]
        certificates = Certificate.objects.filter(
            registration__session__course=course,
            registration__session__starts_at__year=year,
            registration__session__is_cancelled=False,
            is_revoked=False,
        ).count()
        grade = Evaluation.objects.filter(
            registration__session__course=course, registration__session__starts_at__year=year
        ).aggregate(avg=Avg("overall"))["avg"]
        rows.append(
            [
                course.name_in(translation.get_language() or "sv"),
                course.sessions_held,
                len([s for s in states if s != RegistrationState.CANCELLED]),
                states.count(RegistrationState.ATTENDED),
                certificates,
                f"{grade:.1f}" if grade is not None else "–",
            ]
        )
    return rows


def _network_rows(year: int) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for network in Network.objects.order_by("name"):
        meetings = network.meetings.filter(starts_at__year=year)
        actions = network.meetings.filter(starts_at__year=year).aggregate(
            set=Count("actions"), done=Count("actions", filter=Q(actions__done_on__isnull=False))
        )
        rows.append(
            [
                network.local_name,
                network.members.filter(left_on__isnull=True).count(),
                meetings.count(),
                actions["set"],
                actions["done"],
            ]
        )
    return rows


def _library_rows(year: int, today: date) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for topic in Topic:
        documents = Document.objects.filter(topic=topic.value)
        if not documents.exists():
            continue
        rows.append(
            [
                str(topic.label),
                documents.count(),
                documents.filter(visibility=Visibility.PUBLIC).count(),
                DocumentVersion.objects.filter(
                    document__topic=topic.value, uploaded_at__year=year
                ).count(),
                documents.filter(review_on__lt=today).count(),
            ]
        )
    return rows


def activity_report(
    *, year: int, language: str = "sv", today: date | None = None
) -> ActivityReport:
    """Every section of the year's report, in `language`."""
    today = today or timezone.localdate()
    with translation.override(language):
        figures = figures_all()
        own = [f for f in figures if _own(f)]
        # A figure that repeats another's definition (the same count, cut differently) is left
        # out: the report gives each measure once.
        others: list[Figure] = []
        counted = {f.definition.slug for f in own}
        for figure in figures:
            if not _own(figure) and figure.definition.slug not in counted:
                counted.add(figure.definition.slug)
                others.append(figure)
        summary_rows: list[list[Cell]] = [[str(f.title), _figure_total(f, year)] for f in own]
        gcp = network_figures.participants_table(Filters(year_from=year, year_to=year))
        summary_rows.insert(
            2,
            [
                _("of them in GCP courses"),
                sum(row.values[0] for row in gcp.rows if row.key in GCP_KINDS),
            ],
        )
        summary_rows.append([_("Active networks"), Network.objects.filter(is_active=True).count()])
        summary_rows.append([_("Documents in the library"), Document.objects.count()])
        sections = [
            Section(
                title=_("Network activity in figures"),
                sheet=_("Summary"),
                intro=_(
                    "Trainings, networks and the library of the node during %(year)s. The "
                    "definitions at the end say how each figure is counted."
                )
                % {"year": year},
                header=(_("Measure"), str(year)),
                rows=summary_rows,
            ),
            Section(
                title=_("Trainings"),
                sheet=_("Trainings"),
                intro=_(
                    "Per course: sessions held, registrations (not cancelled), participants "
                    "marked present, certificates issued, and the average overall grade of the "
                    "evaluations (1–5)."
                ),
                header=(
                    _("Course"),
                    _("Sessions"),
                    _("Registrations"),
                    _("Participants"),
                    _("Certificates"),
                    _("Evaluation"),
                ),
                rows=_training_rows(year),
            ),
            Section(
                title=_("Networks and meetings"),
                sheet=_("Networks"),
                intro=_(
                    "Per network: current members, meetings held during the year, and the "
                    "actions those meetings set and completed."
                ),
                header=(
                    _("Network"),
                    _("Members"),
                    _("Meetings"),
                    _("Actions set"),
                    _("Actions done"),
                ),
                rows=_network_rows(year),
            ),
            Section(
                title=_("Templates and support documents"),
                sheet=_("Library"),
                intro=_(
                    "Per topic: documents in the library, of them public, versions added during "
                    "the year, and documents whose review date has passed."
                ),
                header=(
                    _("Topic"),
                    _("Documents"),
                    _("Public"),
                    _("New versions"),
                    _("Review overdue"),
                ),
                rows=_library_rows(year, today),
            ),
            Section(
                title=_("The node's other activity"),
                sheet=_("Other activity"),
                intro=_(
                    "Study requests, studies, patient interest, patient counts, disclosures and "
                    "funding, as each capability reports them in the statistics (node total for "
                    "the year). A capability without figures yet is not listed."
                ),
                header=(_("Measure"), str(year)),
                rows=[[str(f.title), _figure_total(f, year)] for f in others],
            ),
        ]
        seen: set[str] = set()
        definitions: list[tuple[str, str]] = []
        for figure in [*own, *others]:
            if figure.definition.slug in seen:
                continue
            seen.add(figure.definition.slug)
            definitions.append((str(figure.definition.term), str(figure.definition.text)))
        node = current_node()
        return ActivityReport(
            year=year,
            language=language,
            node=node.name if node else "studienav",
            sections=sections,
            definitions=definitions,
        )


def activity_report_pdf(report: ActivityReport) -> bytes:
    """The report typeset as PDF."""
    with translation.override(report.language):
        blocks: list[Heading | Text | Grid] = []
        for section in report.sections:
            blocks.append(Heading(section.title))
            blocks.append(Text(section.intro))
            if section.rows:
                blocks.append(
                    Grid(
                        header=list(section.header),
                        rows=[[str(cell) for cell in row] for row in section.rows],
                    )
                )
            else:
                blocks.append(Text(_("Nothing recorded for the year.")))
        blocks.append(Heading(_("Definitions")))
        for term, text in report.definitions:
            blocks.append(Text(f"{term}: {text}"))
        document = PdfDocument(
            title=report.title,
            subtitle=report.node,
            language=report.language,
            blocks=blocks,
            footer=report.title,
        )
        return pdf_render(document)


def activity_report_xlsx(report: ActivityReport) -> bytes:
    """The report as a workbook: one sheet per section, and the definitions."""
    with translation.override(report.language):
        workbook = Workbook()
        first = workbook.active
        assert first is not None
        workbook.remove(first)
        for index, section in enumerate(report.sections, start=1):
            sheet = workbook.create_sheet(title=f"{index} {section.sheet or section.title}"[:31])
            sheet.append(spreadsheet_row([section.title]))
            sheet["A1"].font = Font(bold=True)
            sheet.append(spreadsheet_row([section.intro]))
            sheet.append([])
            sheet.append(spreadsheet_row(section.header))
            for cell in sheet[4]:
                cell.font = Font(bold=True)
            for row in section.rows:
                sheet.append(spreadsheet_row(row))
            sheet.column_dimensions["A"].width = 48
        sheet = workbook.create_sheet(title=_("Definitions")[:31])
        for term, text in report.definitions:
            sheet.append(spreadsheet_row([term, text]))
        sheet.column_dimensions["A"].width = 40
        sheet.column_dimensions["B"].width = 100
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
