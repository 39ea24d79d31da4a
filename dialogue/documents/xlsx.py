"""Rows as an .xlsx workbook of one sheet or several: a bold frozen header, column widths,
wrapped text, A4 landscape.

Text cells stay text in Excel and LibreOffice, even when edited; numbers and dates are real
numbers and dates, so the sheet sorts and filters.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from decimal import Decimal

from dialogue.documents.cells import clean, is_formula_like, xml_safe
from dialogue.documents.composed import Column, Kind, Properties, Rows

MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FONT = "Calibri"
LINE_PT = 15
MAX_ROW_PT = 409  # Excel's limit
# Characters of Vietnamese text per unit of column width, a little generous: rows come out
# a little tall rather than cut off.
CHARS_PER_WIDTH = 1.1
DATE_FORMATS = {Kind.DATE: "dd/mm/yyyy", Kind.DATETIME: "dd/mm/yyyy hh:mm"}
# One decimal, as the figures are rounded; Excel shows the decimal mark of the reader's settings.
PERCENT_FORMAT = "0.0%"
MAX_SHEET_TITLE = 31  # Excel's limit


def _write_text(cell, text: str) -> None:
    """Write ``text`` as a string cell that Excel and LibreOffice keep as text, even on edit."""
    cell.value = xml_safe(text)
    # openpyxl reads a leading "=" as a formula; the cell is text, whatever it starts with.
    cell.data_type = "s"
    if is_formula_like(text):
        # Excel's own mark for "typed with a leading apostrophe": shown and kept as text.
        cell.quotePrefix = True
        cell.number_format = "@"


def _lines_needed(text: str, width: float) -> int:
    """Roughly how many lines ``text`` wraps to in a column ``width`` characters wide."""
    per_line = max(int(width * CHARS_PER_WIDTH), 1)
    return sum(max(math.ceil(len(part) / per_line), 1) for part in text.split("\n"))


def _row_height(texts: Sequence[tuple[str, Column]]) -> float:
    # Excel and LibreOffice do not grow a row for wrapped text written by openpyxl: set it.
    lines = max((_lines_needed(text, column.width) for text, column in texts), default=1)
    return min(lines * LINE_PT + 3, MAX_ROW_PT)


def _sheet_title(title: str) -> str:
    """A sheet name Excel accepts: none of ``[]:*?/\\``, at most 31 characters."""
    name = re.sub(r"[\[\]:*?/\\]", "-", clean(title))
    return name[:MAX_SHEET_TITLE].strip("' ") or "-"


def _write_sheet(sheet, sheet_rows: Rows) -> None:
    """Fill ``sheet`` with the heading (if any), the column headers and the rows."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    columns = sheet_rows.columns
    sheet.title = _sheet_title(sheet_rows.title)
    bold = Font(name=FONT, size=11, bold=True)
    plain = Font(name=FONT, size=11)

    header_row = 1
    if sheet_rows.heading:
        # The heading spans the table without merging cells: a merged cell breaks sorting.
        heading = sheet.cell(row=1, column=1)
        _write_text(heading, clean(sheet_rows.heading))
        heading.font = Font(name=FONT, size=13, bold=True)
        heading.alignment = Alignment(vertical="center")
        sheet.row_dimensions[1].height = LINE_PT + 9
        header_row = 3  # a blank line between the heading and the table

    header_alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=header_row, column=index)
        _write_text(cell, column.header)
        cell.font = bold
        cell.alignment = header_alignment
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.row_dimensions[header_row].height = _row_height([(c.header, c) for c in columns])

    wrapped = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    for row_index, row in enumerate(sheet_rows.rows, start=header_row + 1):
        texts = []
        for column_index, column in enumerate(columns, start=1):
            cell = sheet.cell(row=row_index, column=column_index)
            value = row.get(column.key)
            if value is None or value == "":
                pass
            elif column.kind is Kind.TEXT:
                text = clean(value)
                _write_text(cell, text)
                if column.wraps:
                    texts.append((text, column))
            elif column.kind is Kind.DATETIME:
                # Excel has no time zones: the local time the rows were given in.
                cell.value = value.replace(tzinfo=None)
                cell.number_format = DATE_FORMATS[column.kind]
            elif column.kind is Kind.PERCENT:
                # A fraction shown as a percentage: 52,8% reads as such and sums as 0.528.
                cell.value = Decimal(value) / 100
                cell.number_format = PERCENT_FORMAT
            else:
                cell.value = value
                if column.kind in DATE_FORMATS:
                    cell.number_format = DATE_FORMATS[column.kind]
            cell.font = plain
            cell.alignment = wrapped if column.wraps else top
        sheet.row_dimensions[row_index].height = _row_height(texts)

    sheet.freeze_panes = f"A{header_row + 1}"
    last = get_column_letter(len(columns))
    sheet.auto_filter.ref = f"A{header_row}:{last}{header_row + len(sheet_rows.rows)}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    # Printed, the sheet fits the page's width and runs on over as many pages as it needs.
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0


def write_workbook(sheets: Sequence[Rows], *, properties: Properties | None = None) -> bytes:
    """Write each of ``sheets`` as a sheet of one workbook, in order.

    The workbook's properties are ``properties``, or else the first sheet's.
    """
    from openpyxl import Workbook

    if not sheets:
        raise ValueError("a workbook needs at least one sheet")
    workbook = Workbook()
    _write_sheet(workbook.active, sheets[0])
    for sheet_rows in sheets[1:]:
        _write_sheet(workbook.create_sheet(), sheet_rows)

    properties = properties or sheets[0].properties
    book = workbook.properties
    book.title = clean(properties.title)[:255]
    book.subject = clean(properties.subject)[:255]
    book.creator = book.lastModifiedBy = clean(properties.author)
    book.language = properties.language
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_xlsx(sheet_rows: Rows) -> bytes:
    """Write ``sheet_rows`` as a one-sheet workbook named after its title."""
    return write_workbook((sheet_rows,))
