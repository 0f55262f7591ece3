"""A figure's table as CSV or XLSX, the same numbers as the chart and the HTML table."""

from __future__ import annotations

import io
from collections.abc import Iterator

from openpyxl import Workbook
from openpyxl.styles import Font

from studienav.core.spreadsheets import SpreadsheetCsvWriter, spreadsheet_cell, spreadsheet_row
from studienav.stats.framework import Figure, Filters, Table

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_rows(table: Table) -> Iterator[list[str | int]]:
    yield [str(table.dimension_label), *[str(year) for year in table.columns]]
    for row in table.rows:
        yield [row.label, *row.values]
    if table.total is not None:
        yield [table.total.label, *table.total.values]


def table_csv(table: Table) -> str:
    out = io.StringIO()
    writer = SpreadsheetCsvWriter(out)
    for row in table_rows(table):
        writer.writerow(row)
    return out.getvalue()


def table_xlsx(figure: Figure, filters: Filters, table: Table, *, query: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = figure.slug[:31]
    sheet.append([str(figure.title)])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([str(figure.definition.text)])
    sheet.append([spreadsheet_cell(query) if query else "-"])  # the address: anyone writes it
    sheet.append([])
    for index, row in enumerate(table_rows(table)):
        sheet.append(spreadsheet_row(row))
        if index == 0:
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 40
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
