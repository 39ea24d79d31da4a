"""A composed official document and a table of rows: what the format writers take.

A feature composes (the minutes, later a written answer or a report) and hands one of these to
``dialogue.documents.docx``, ``.xlsx`` or ``.csv``; the writers know the Nghị định 30 page and
the formats, nothing of conferences. Everything here is plain text: no writer ever reads markup
or a field code out of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

# -- documents -------------------------------------------------------------------------------


class Style(StrEnum):
    """The paragraph styles of an official document."""

    BODY = "body"  # justified, first line indented
    PLAIN = "plain"  # no indent, no space after
    HEADING = "heading"  # a numbered section heading: bold
    SUBHEADING = "subheading"  # a heading inside a section: bold italic
    NOTE = "note"  # small italic lines, under a table


class Align(StrEnum):
    LEFT = "LEFT"
    CENTER = "CENTER"
    RIGHT = "RIGHT"


@dataclass(frozen=True)
class Run:
    """A stretch of text with one face; ``size`` in points, None for the paragraph's own."""

    text: str
    bold: bool = False
    italic: bool = False
    size: float | None = None


@dataclass(frozen=True)
class Paragraph:
    runs: tuple[Run, ...] = ()
    style: Style = Style.BODY
    keep_with_next: bool = False
    space_before: float | None = None  # points
    space_after: float | None = None

    @classmethod
    def of(cls, text: str, *, bold: bool = False, italic: bool = False, **options) -> Paragraph:
        """A paragraph of one run."""
        return cls((Run(text, bold=bold, italic=italic),), **options)


@dataclass(frozen=True)
class CellLine:
    """One paragraph of a table cell; ``indent_mm`` sets it in from the cell's left edge."""

    runs: tuple[Run, ...]
    indent_mm: float = 0

    @classmethod
    def of(cls, text: str, *, bold: bool = False, italic: bool = False) -> CellLine:
        return cls((Run(text, bold=bold, italic=italic),))


Cell = tuple[CellLine, ...]


def cell(text: str, *, bold: bool = False) -> Cell:
    """A cell of one line of text."""
    return (CellLine.of(text, bold=bold),)


@dataclass(frozen=True)
class TableColumn:
    header: str
    width_mm: float
    align: Align = Align.LEFT


@dataclass(frozen=True)
class Table:
    """A ruled table whose header row repeats on every page."""

    columns: tuple[TableColumn, ...]
    rows: tuple[tuple[Cell, ...], ...]
    caption: str = ""  # centred above the table
    note: str = ""  # small italic line under it
    space_after: float | None = None  # points of an empty line after the table


@dataclass(frozen=True)
class Signature:
    """A signature block: the capacity lines (upper case as printed) and the signer's name."""

    lines: tuple[str, ...]
    name: str = ""


@dataclass(frozen=True)
class Signatures:
    """Two signatures side by side, their titles on one level and their names on another."""

    left: Signature | None
    right: Signature | None


@dataclass(frozen=True)
class Recipients:
    """ "Nơi nhận": the lines without the "- " and ";" the layout adds."""

    lines: tuple[str, ...]
    heading: str = "Nơi nhận:"


@dataclass(frozen=True)
class RecipientsBesideSignature:
    """The recipients in the left column and the one signature in the right (a notice's end)."""

    recipients: Recipients
    signature: Signature | None
    left_share: float = 0.45


Block = Paragraph | Table | Signatures | Recipients | RecipientsBesideSignature


@dataclass(frozen=True)
class OfficialHeader:
    """The head of a Nghị định 30 document: issuing agency and number left, nation and date right."""

    agency_lines: tuple[str, ...]
    number_text: str
    nation: str
    motto: str
    parent_agency: str = ""
    place_date: str = ""


@dataclass(frozen=True)
class Properties:
    """What a file's document properties say: the metadata a search or an archive reads."""

    title: str
    subject: str = ""
    author: str = ""
    keywords: tuple[str, ...] = ()
    category: str = ""
    comments: str = ""
    language: str = "vi-VN"


@dataclass(frozen=True)
class ComposedDocument:
    """An official document ready to be written: header, title, body blocks, properties."""

    header: OfficialHeader
    title: str
    subject: str
    blocks: tuple[Block, ...]
    properties: Properties
    draft_mark: str = ""  # e.g. "DỰ THẢO", boxed in the top right corner; empty for none
    page_numbers: bool = True  # centred in the top margin from page 2


# -- tables of rows (spreadsheets, CSV) ------------------------------------------------------


class Kind(StrEnum):
    """How a column's values are written: text, or numbers and dates a spreadsheet can sort."""

    TEXT = "text"
    INTEGER = "integer"
    DATE = "date"
    DATETIME = "datetime"  # naive local time: spreadsheets have no time zones
    PERCENT = "percent"  # given in per cent (52.8 for 52,8%), None where nothing divides


Value = str | int | Decimal | date | datetime | None


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: float  # characters, as a spreadsheet counts a column's width
    wraps: bool = False
    kind: Kind = Kind.TEXT


@dataclass(frozen=True)
class Rows:
    """A sheet of rows: the columns, then one mapping (column key → value) a row.

    ``heading``, when given, is a line a workbook prints above the column headers (what the
    sheet holds, for which period); a CSV file has no room for it.
    """

    title: str
    columns: tuple[Column, ...]
    rows: Sequence[dict[str, Value]]
    properties: Properties = field(default_factory=lambda: Properties(title=""))
    heading: str = ""
