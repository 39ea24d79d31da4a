"""Rows as CSV for spreadsheets: UTF-8 with a BOM, CRLF line ends, quoted where needed.

Every value is written as text a person reads ("30/06/2020", "30/06/2020 08:00"); a text that
a spreadsheet would run as a formula is neutralised.
"""

from __future__ import annotations

import csv
import io

from dialogue.core.dates import vn_short_date
from dialogue.documents.cells import neutralise, nfc
from dialogue.documents.composed import Kind, Rows, Value

MIMETYPE = "text/csv; charset=utf-8"


def _value(value: Value, kind: Kind) -> str:
    if value is None:
        return ""
    if kind in (Kind.INTEGER, Kind.PERCENT):
        # A percentage as its number of per cent ("52.8"): the column's header says "%".
        return str(value)
    if kind is Kind.DATE:
        return vn_short_date(value)
    if kind is Kind.DATETIME:
        return value.strftime("%d/%m/%Y %H:%M")
    return neutralise(nfc(value))


# Excel splits a double-clicked CSV on the list separator of the computer's regional settings:
# "," in English, ";" in Vietnamese (where "," is the decimal mark).
COMMA = ","
SEMICOLON = ";"


def write_csv(sheet: Rows, *, delimiter: str = COMMA) -> bytes:
    """Write ``sheet``: its column headers, then its rows, fields split by ``delimiter``."""
    if delimiter not in (COMMA, SEMICOLON):
        raise ValueError(f"not a CSV delimiter: {delimiter!r}")
    buffer = io.StringIO(newline="")
    writer = csv.writer(
        buffer, delimiter=delimiter, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL
    )
    writer.writerow([column.header for column in sheet.columns])
    for row in sheet.rows:
        writer.writerow([_value(row.get(column.key), column.kind) for column in sheet.columns])
    # The BOM tells Excel the file is UTF-8; without it Vietnamese comes out garbled.
    return buffer.getvalue().encode("utf-8-sig")
