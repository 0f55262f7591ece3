"""Typeset letters, decisions and certificates as PDF: one small document model, one renderer.

Apps describe what a document says (blocks of headings, paragraphs, facts and tables) and
`pdf_render` lays it out on A4 with reportlab. Text is escaped here, so apps pass plain text.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Text:
    """A paragraph of plain text; blank lines in it start new paragraphs."""

    text: str


@dataclass(frozen=True)
class Facts:
    """Label–value pairs in two columns (reference number, dates, names)."""

    rows: Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Grid:
    """A table with a header row."""

    header: Sequence[str]
    rows: Sequence[Sequence[str]]


@dataclass(frozen=True)
class Picture:
    """A reportlab flowable drawn as is (a QR code, a chart)."""

    flowable: Flowable


Block = Heading | Text | Facts | Grid | Picture


@dataclass(frozen=True)
class Document:
    title: str
    language: str
    blocks: Sequence[Block]
    subtitle: str = ""
    author: str = "studienav"
    footer: str = ""
    keywords: Sequence[str] = field(default_factory=tuple)


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("title", parent=base["Title"], alignment=0, fontSize=18),
        "subtitle": ParagraphStyle("subtitle", parent=base["Normal"], fontSize=11, leading=15),
        "heading": ParagraphStyle("heading", parent=base["Heading2"], spaceBefore=10),
        "body": ParagraphStyle("body", parent=base["Normal"], fontSize=10, leading=14),
        "cell": ParagraphStyle("cell", parent=base["Normal"], fontSize=9, leading=12),
    }


def _paragraphs(text: str, style: ParagraphStyle) -> list[Flowable]:
    parts = [part.strip() for part in text.replace("\r\n", "\n").split("\n\n")]
    return [Paragraph(escape(part).replace("\n", "<br/>"), style) for part in parts if part] or [
        Spacer(1, 1)
    ]


def _table(rows: list[list[Any]], *, header: bool) -> Table:
    table = Table(rows, hAlign="LEFT", repeatRows=1 if header else 0)
    style = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.92, 0.94, 0.97)))
    table.setStyle(TableStyle(style))
    return table


def _flowables(block: Block, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    if isinstance(block, Heading):
        return [Paragraph(escape(block.text), styles["heading"])]
    if isinstance(block, Text):
        return _paragraphs(block.text, styles["body"])
    if isinstance(block, Facts):
        rows = [
            [Paragraph(f"<b>{escape(label)}</b>", styles["cell"]), _cell(value, styles)]
            for label, value in block.rows
        ]
        table = _table(rows, header=False) if rows else Spacer(1, 1)
        if isinstance(table, Table):
            table._argW = [55 * mm, 115 * mm]
        return [table]
    if isinstance(block, Grid):
        header = [Paragraph(f"<b>{escape(text)}</b>", styles["cell"]) for text in block.header]
        body = [[_cell(value, styles) for value in row] for row in block.rows]
        return [KeepTogether([_table([header, *body], header=True)])]
    return [block.flowable]


def _cell(value: str, styles: dict[str, ParagraphStyle]) -> Paragraph:
    return Paragraph(escape(str(value)).replace("\n", "<br/>"), styles["cell"])


def pdf_render(document: Document) -> bytes:
    """The document as PDF bytes, A4, with its title in the metadata and a footer per page."""
    styles = _styles()
    buffer = io.BytesIO()

    def on_page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.setFillColor(colors.grey)
        footer = f"{document.footer}  ·  {doc.page}" if document.footer else str(doc.page)
        canvas.drawString(20 * mm, 12 * mm, footer)
        canvas.restoreState()

    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=22 * mm,
        title=document.title,
        author=document.author,
        subject=document.subtitle,
        keywords=list(document.keywords),
        lang=document.language,
    )
    story: list[Flowable] = [Paragraph(escape(document.title), styles["title"])]
    if document.subtitle:
        story += [Paragraph(escape(document.subtitle), styles["subtitle"]), Spacer(1, 4 * mm)]
    for block in document.blocks:
        story += _flowables(block, styles)
        story.append(Spacer(1, 2 * mm))
    template.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


def pdf_response(content: bytes, filename: str, *, inline: bool = False) -> HttpResponse:
    """A PDF as an HTTP answer: downloaded (or shown, `inline`) under its file name."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = str(
        content_disposition_header(as_attachment=not inline, filename=filename)
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
