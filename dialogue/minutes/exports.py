"""Exports for staff: the speaking turns as .xlsx and .csv, the minutes as .docx.

These are working files for the ward's office, not published documents. The turns name the
speaker as recorded (a staff download, personal data allowed), but carry no asker contacts.
Everything is written as text: a cell that a spreadsheet could read as a formula (=, +, -, @,
tab, carriage return first) is neutralised, and nothing typed ever becomes markup or a field.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote

from dialogue.conferences.models import Conference
from dialogue.core.dates import to_local, vn_short_date
from dialogue.core.text import fold
from dialogue.live.models import Turn, TurnOutcome
from dialogue.live.operations import list_turns

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"
DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# OWASP "CSV injection": a cell starting with one of these may be run as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# The exports are in Vietnamese whatever the interface language, like the documents.
OUTCOME_TITLES = {
    TurnOutcome.PENDING: "Chờ trả lời",
    TurnOutcome.ANSWERED: "Đã trả lời trực tiếp tại hội nghị",
    TurnOutcome.REFERRED: "Chuyển trả lời bằng văn bản",
}
STATUS_CURRENT = "Hiệu lực"
STATUS_WITHDRAWN = "Đã rút"
SHEET_TITLE = "Lượt phát biểu"
XLSX_FONT = "Calibri"
XLSX_LINE_PT = 15
XLSX_MAX_ROW_PT = 409  # Excel's limit
# Characters of Vietnamese text per unit of column width, a little generous: rows come out
# a little tall rather than cut off.
XLSX_CHARS_PER_WIDTH = 1.1

# Control characters that XML (xlsx, docx) cannot hold; tab, line feed and CR are allowed.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: float
    wraps: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("number", "STT", 6),
    Column("speaker", "Người phát biểu", 22, wraps=True),
    Column("group", "Tổ dân phố / cơ quan, đơn vị", 24, wraps=True),
    Column("area_code", "Mã lĩnh vực", 11),
    Column("area_name", "Lĩnh vực thủ tục hành chính", 26, wraps=True),
    Column("question", "Nội dung ý kiến, kiến nghị", 50, wraps=True),
    Column("outcome", "Kết quả", 20, wraps=True),
    Column("answerer", "Người trả lời", 26, wraps=True),
    Column("answer", "Nội dung trả lời", 50, wraps=True),
    Column("referral_unit", "Đơn vị trả lời bằng văn bản", 24, wraps=True),
    Column("due_date", "Hạn trả lời", 12),
    Column("note", "Ghi chú", 30, wraps=True),
    Column("updated_by", "Người sửa cuối", 22, wraps=True),
    Column("updated_at", "Thời điểm sửa cuối", 17),
)
STATUS_COLUMNS: tuple[Column, ...] = (
    Column("status", "Trạng thái", 11),
    Column("withdrawn_reason", "Lý do rút", 30, wraps=True),
)


@dataclass(frozen=True)
class TurnRow:
    """One turn as the exports write it; dates stay dates until each format writes them."""

    number: int | None
    speaker: str
    group: str
    area_code: str
    area_name: str
    question: str
    outcome: str
    answerer: str
    answer: str
    referral_unit: str
    due_date: date | None
    note: str
    updated_by: str
    updated_at: datetime
    status: str
    withdrawn_reason: str

    def value(self, key: str):
        return getattr(self, key)


def _text(value: str | None) -> str:
    return unicodedata.normalize("NFC", value or "")


def _group_or_organisation(turn: Turn) -> str:
    parts = [turn.speaker_group.name if turn.speaker_group else "", turn.speaker_organisation]
    return " - ".join(_text(part) for part in parts if part)


def turn_rows(conference: Conference, *, include_withdrawn: bool = False) -> list[TurnRow]:
    """The turns in speaking order, numbered as the console numbers them (withdrawn: none)."""
    rows: list[TurnRow] = []
    count = 0
    for turn in list_turns(conference):
        if turn.is_withdrawn and not include_withdrawn:
            continue
        number = None
        if not turn.is_withdrawn:
            count += 1
            number = count
        area = turn.procedure_area
        referred = turn.outcome is TurnOutcome.REFERRED
        rows.append(
            TurnRow(
                number=number,
                speaker=_text(turn.speaker_name),
                group=_group_or_organisation(turn),
                area_code=_text(area.code) if area else "",
                area_name=_text(area.name_vi) if area else "",
                question=_text(turn.question),
                outcome=OUTCOME_TITLES[turn.outcome],
                answerer=_text(turn.answerer_name),
                answer=_text(turn.answer),
                referral_unit=_text(turn.referral_unit.name)
                if referred and turn.referral_unit
                else "",
                due_date=turn.referral_due_date if referred else None,
                note=_text(turn.referral_note),
                updated_by=_text(turn.updated_by.display_name) if turn.updated_by else "",
                updated_at=to_local(turn.updated_dt, conference.ward.timezone),
                status=STATUS_WITHDRAWN if turn.is_withdrawn else STATUS_CURRENT,
                withdrawn_reason=_text(turn.withdrawn_reason) if turn.is_withdrawn else "",
            )
        )
    return rows


def columns_for(*, include_withdrawn: bool) -> tuple[Column, ...]:
    return COLUMNS + STATUS_COLUMNS if include_withdrawn else COLUMNS


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_PREFIXES)


def neutralise(text: str) -> str:
    """Prefix ``text`` with a quote when a spreadsheet would read it as a formula."""
    return "'" + text if is_formula_like(text) else text


# -- CSV ----------------------------------------------------------------------------------------


def _csv_value(row: TurnRow, key: str) -> str:
    value = row.value(key)
    if value is None:
        return ""
    if key == "number":
        return str(value)
    if key == "due_date":
        return vn_short_date(value)
    if key == "updated_at":
        return value.strftime("%d/%m/%Y %H:%M")
    return neutralise(value)


def turns_csv(conference: Conference, *, include_withdrawn: bool = False) -> bytes:
    """The turns as CSV: UTF-8 with a BOM (Excel), CRLF line ends, quoted where needed."""
    columns = columns_for(include_withdrawn=include_withdrawn)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([column.header for column in columns])
    for row in turn_rows(conference, include_withdrawn=include_withdrawn):
        writer.writerow([_csv_value(row, column.key) for column in columns])
    return buffer.getvalue().encode("utf-8-sig")


# -- XLSX ---------------------------------------------------------------------------------------


def _xml_safe(text: str) -> str:
    return _XML_ILLEGAL.sub("", text)


def _write_text(cell, text: str) -> None:
    """Write ``text`` as a string cell that Excel and LibreOffice keep as text, even on edit."""
    cell.value = _xml_safe(text)
    # openpyxl reads a leading "=" as a formula; the cell is text, whatever it starts with.
    cell.data_type = "s"
    if is_formula_like(text):
        # Excel's own mark for "typed with a leading apostrophe": shown and kept as text.
        cell.quotePrefix = True
        cell.number_format = "@"


def _lines_needed(text: str, width: float) -> int:
    """Roughly how many lines ``text`` wraps to in a column ``width`` characters wide."""
    per_line = max(int(width * XLSX_CHARS_PER_WIDTH), 1)
    return sum(max(math.ceil(len(part) / per_line), 1) for part in text.split("\n"))


def _row_height(texts: Sequence[tuple[str, Column]]) -> float:
    # Excel and LibreOffice do not grow a row for wrapped text written by openpyxl: set it.
    lines = max((_lines_needed(text, column.width) for text, column in texts), default=1)
    return min(lines * XLSX_LINE_PT + 3, XLSX_MAX_ROW_PT)


def turns_xlsx(conference: Conference, *, include_withdrawn: bool = False) -> bytes:
    """The turns as a workbook: bold frozen header, widths, wrapped text, Vietnamese titles."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    columns = columns_for(include_withdrawn=include_withdrawn)
    ward = conference.ward
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE

    bold = Font(name=XLSX_FONT, size=11, bold=True)
    plain = Font(name=XLSX_FONT, size=11)
    header_alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        _write_text(cell, column.header)
        cell.font = bold
        cell.alignment = header_alignment
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.row_dimensions[1].height = _row_height([(c.header, c) for c in columns])

    wrapped = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    rows = turn_rows(conference, include_withdrawn=include_withdrawn)
    for row_index, row in enumerate(rows, start=2):
        texts = []
        for column_index, column in enumerate(columns, start=1):
            cell = sheet.cell(row=row_index, column=column_index)
            value = row.value(column.key)
            if value is None or value == "":
                pass
            elif column.key == "number":
                cell.value = value
            elif column.key == "due_date":
                cell.value = value
                cell.number_format = "dd/mm/yyyy"
            elif column.key == "updated_at":
                # Excel has no time zones: the ward's local time, as staff read it.
                cell.value = value.replace(tzinfo=None)
                cell.number_format = "dd/mm/yyyy hh:mm"
            else:
                _write_text(cell, value)
                if column.wraps:
                    texts.append((value, column))
            cell.font = plain
            cell.alignment = wrapped if column.wraps else top
        sheet.row_dimensions[row_index].height = _row_height(texts)

    sheet.freeze_panes = "A2"
    last = get_column_letter(len(columns))
    sheet.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4

    agency = f"UBND {ward.full_name}"
    properties = workbook.properties
    properties.title = _xml_safe(f"{SHEET_TITLE} - {conference.title}")[:255]
    properties.subject = _xml_safe(conference.subject or conference.title)[:255]
    properties.creator = agency
    properties.lastModifiedBy = agency
    properties.language = "vi-VN"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# -- DOCX ---------------------------------------------------------------------------------------
#
# The same document as the PDF (templates/minutes/document_*.html), laid out for Word: A4, the
# margins of Nghị định 30, Times New Roman set on every script so Vietnamese renders, the
# header as a borderless table, tables with a repeated header row, page numbers from page 2.

FONT = "Times New Roman"
BODY_PT = 14
TEXT_WIDTH_MM = 165  # 210 mm less the 30 mm left and 15 mm right margins
HEADER_COLUMNS_MM = (62, 103)
AGENCY_RULE_MM = 22
SUBJECT_RULE_MM = 40
SIGNATURE_SPACE_MM = 25
MOTTO_SLACK_MM = 4
SIGNATURE_GAP_MM = 6
WORKING_COPY_NOTE = (
    "Bản làm việc xuất từ dự thảo hiện tại để hoàn thiện văn bản; không phải bản chính thức. "
    "Bản chính thức là bản PDF đã ban hành."
)
_FONT_DIR = "fonts"
_BOLD_FONT = "LiberationSerif-Bold.ttf"


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Schema order of the children we add to a few property elements (ECMA-376, part 1, §17).
_ORDER = {
    "pPr": _words(
        "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr "
        "suppressLineNumbers pBdr shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct "
        "topLinePunct autoSpaceDE autoSpaceDN bidi adjustRightInd snapToGrid spacing ind "
        "contextualSpacing mirrorIndents suppressOverlap jc textDirection textAlignment "
        "textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange"
    ),
    "rPr": _words(
        "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint "
        "noProof snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u "
        "effect bdr shd fitText vertAlign rtl cs em lang eastAsianLayout specVanish oMath"
    ),
    "tblPr": _words(
        "tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize tblW jc "
        "tblCellSpacing tblInd tblBorders shd tblLayout tblCellMar tblLook"
    ),
    "trPr": _words(
        "cnfStyle divId gridBefore gridAfter wBefore wAfter cantSplit trHeight tblHeader "
        "tblCellSpacing jc hidden"
    ),
}


def _clean(text) -> str:
    """NFC text without the control characters XML cannot hold."""
    return _xml_safe(unicodedata.normalize("NFC", str(text or "")))


def _element(tag: str, **attributes):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    element = OxmlElement(f"w:{tag}")
    for name, value in attributes.items():
        element.set(qn(f"w:{name}"), str(value))
    return element


def _put(parent, child) -> None:
    """Set ``child`` in ``parent`` at its schema position, replacing one of the same tag."""
    local = parent.tag.rsplit("}", 1)[-1]
    order = _ORDER[local]
    name = child.tag.rsplit("}", 1)[-1]
    for old in parent.findall(child.tag):
        parent.remove(old)
    later = {f"{{{child.nsmap['w']}}}{tag}" for tag in order[order.index(name) + 1 :]}
    for existing in parent:
        if existing.tag in later:
            existing.addprevious(child)
            return
    parent.append(child)


def _fonts_element():
    return _element("rFonts", ascii=FONT, hAnsi=FONT, eastAsia=FONT, cs=FONT)


def _set_font(rpr, size_pt: float | None = None) -> None:
    """Times New Roman on every script (Latin, East Asian, complex), and the size on both."""
    _put(rpr, _fonts_element())
    if size_pt is not None:
        half_points = round(size_pt * 2)
        _put(rpr, _element("sz", val=half_points))
        _put(rpr, _element("szCs", val=half_points))


def _text_width_mm(text: str, size_pt: float, font_file: str = _BOLD_FONT) -> float:
    """How wide ``text`` is in the bundled Times-metric font (Times New Roman's widths)."""
    from flask import current_app
    from fontTools.ttLib import TTFont

    path = f"{current_app.static_folder}/{_FONT_DIR}/{font_file}"
    with TTFont(path, lazy=True) as font:
        cmap = font.getBestCmap()
        metrics = font["hmtx"].metrics
        units = font["head"].unitsPerEm
        width = 0
        for char in unicodedata.normalize("NFC", text):
            glyph = cmap.get(ord(char))
            width += metrics[glyph][0] if glyph in metrics else units // 2
    return width / units * size_pt * 25.4 / 72


class _DocxWriter:
    """Lays out one BB or TB context as a Word document."""

    def __init__(self, doc: dict):
        import docx
        from docx.enum.style import WD_STYLE_TYPE
        from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
        from docx.shared import Mm, Pt

        self.doc = doc
        self.Mm, self.Pt = Mm, Pt
        self.ALIGN = WD_ALIGN_PARAGRAPH
        self.EXACTLY = WD_LINE_SPACING.EXACTLY
        self.STYLE = WD_STYLE_TYPE
        self.document = docx.Document()
        self._set_up_page()
        self._set_up_styles()

    # -- page and styles --

    def _set_up_page(self) -> None:
        Mm = self.Mm
        section = self.document.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(20), Mm(20)
        section.left_margin, section.right_margin = Mm(30), Mm(15)
        section.header_distance, section.footer_distance = Mm(8), Mm(10)

    def _set_up_styles(self) -> None:
        from docx.oxml.ns import qn

        styles = self.document.styles
        defaults = styles.element.find(qn("w:docDefaults"))
        rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
        _set_font(rpr, BODY_PT)
        _put(rpr, _element("lang", val="vi-VN", eastAsia="vi-VN", bidi="ar-SA"))

        normal = styles["Normal"]
        _set_font(normal.element.get_or_add_rPr(), BODY_PT)
        fmt = normal.paragraph_format
        fmt.alignment = self.ALIGN.JUSTIFY
        fmt.first_line_indent = self.Mm(10)
        fmt.space_before, fmt.space_after = self.Pt(0), self.Pt(6)
        fmt.line_spacing = 1.15
        fmt.widow_control = True

        self._style("Dialogue Plain", indent=False, after=0)
        self._style("Dialogue Header Line", size=12.5, align="CENTER", indent=False, after=0)
        self._style("Dialogue Title", bold=True, align="CENTER", indent=False, after=0, keep=True)
        self._style("Dialogue Heading", bold=True, align="LEFT", keep=True)
        self._style("Dialogue Area", bold=True, italic=True, align="LEFT", keep=True)
        self._style("Dialogue Table Text", size=12, align="LEFT", indent=False, after=0)
        self._style(
            "Dialogue Caption",
            size=12,
            bold=True,
            italic=True,
            align="CENTER",
            indent=False,
            after=3,
            keep=True,
        )
        self._style("Dialogue Table Note", size=11, italic=True, align="LEFT", indent=False)
        self._style(
            "Dialogue Signature", bold=True, align="CENTER", indent=False, after=0, keep=True
        )
        self._style(
            "Dialogue Recipients Heading",
            size=12,
            bold=True,
            italic=True,
            align="LEFT",
            indent=False,
            after=0,
            keep=True,
        )
        self._style("Dialogue Recipient", size=11, align="LEFT", indent=False, after=0)
        header = styles["Header"]
        _set_font(header.element.get_or_add_rPr(), 13)
        header.paragraph_format.alignment = self.ALIGN.CENTER
        header.paragraph_format.first_line_indent = self.Mm(0)
        grid = styles["Table Grid"]
        _set_font(grid.element.get_or_add_rPr(), 12)

    def _style(
        self,
        name,
        *,
        size=None,
        bold=None,
        italic=None,
        align=None,
        indent=True,
        after=None,
        keep=False,
    ):
        style = self.document.styles.add_style(name, self.STYLE.PARAGRAPH)
        style.base_style = self.document.styles["Normal"]
        style.quick_style = True
        if size is not None:
            _set_font(style.element.get_or_add_rPr(), size)
        style.font.bold = bold
        style.font.italic = italic
        fmt = style.paragraph_format
        if align is not None:
            fmt.alignment = getattr(self.ALIGN, align)
        if not indent:
            fmt.first_line_indent = self.Mm(0)
        if after is not None:
            fmt.space_after = self.Pt(after)
        if keep:
            fmt.keep_with_next = True
        return style

    # -- building blocks --

    def para(
        self,
        text="",
        style=None,
        container=None,
        *,
        bold=None,
        italic=None,
        keep=None,
        before=None,
        after=None,
    ):
        container = container if container is not None else self.document
        paragraph = container.add_paragraph(style=style)
        if text:
            run = paragraph.add_run(_clean(text))
            run.bold, run.italic = bold, italic
        fmt = paragraph.paragraph_format
        if keep is not None:
            fmt.keep_with_next = keep
        if before is not None:
            fmt.space_before = self.Pt(before)
        if after is not None:
            fmt.space_after = self.Pt(after)
        return paragraph

    def runs(self, paragraph, *parts):
        """Add ``(text, bold, italic)`` runs to ``paragraph``."""
        for text, bold, italic in parts:
            if text:
                run = paragraph.add_run(_clean(text))
                run.bold, run.italic = bold or None, italic or None
        return paragraph

    def rule(self, container, width_mm: float, column_mm: float, *, before: float = 4):
        """A centred horizontal rule ``width_mm`` long: an empty paragraph's top border."""
        paragraph = container.add_paragraph(style="Dialogue Plain")
        fmt = paragraph.paragraph_format
        side = max((column_mm - width_mm) / 2, 0)
        fmt.left_indent = fmt.right_indent = self.Mm(side)
        fmt.space_before, fmt.space_after = self.Pt(before), self.Pt(0)
        fmt.line_spacing_rule = self.EXACTLY
        fmt.line_spacing = self.Pt(2)
        borders = _element("pBdr")
        borders.append(_element("top", val="single", sz=5, space=0, color="000000"))
        _put(paragraph._p.get_or_add_pPr(), borders)
        return paragraph

    def _first_paragraph(self, cell, style):
        paragraph = cell.paragraphs[0]
        paragraph.style = style
        return paragraph

    def table(self, widths_mm, rows: int, *, grid: bool):
        table = self.document.add_table(rows=rows, cols=len(widths_mm))
        table.autofit = False
        tbl_pr = table._tbl.tblPr
        if grid:
            table.style = self.document.styles["Table Grid"]
            margins = _element("tblCellMar")
            for side, value in (("top", 40), ("left", 80), ("bottom", 40), ("right", 80)):
                margins.append(_element(side, w=value, type="dxa"))
        else:
            borders = _element("tblBorders")
            for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
                borders.append(_element(side, val="nil"))
            _put(tbl_pr, borders)
            margins = _element("tblCellMar")
            for side in ("top", "left", "bottom", "right"):
                margins.append(_element(side, w=0, type="dxa"))
        _put(tbl_pr, margins)
        _put(tbl_pr, _element("tblW", w=round(sum(widths_mm) * 1440 / 25.4), type="dxa"))
        for index, width in enumerate(widths_mm):
            table.columns[index].width = self.Mm(width)
            for cell in table.columns[index].cells:
                cell.width = self.Mm(width)
        for row in table.rows:
            _put(row._tr.get_or_add_trPr(), _element("cantSplit"))
        return table

    def grid_table(
        self,
        widths_mm,
        header: Sequence[str],
        rows: Sequence[Sequence],
        *,
        aligns: Sequence[str] = (),
    ):
        """A ruled table whose header row repeats on every page; ``rows`` hold text or runs."""
        table = self.table(widths_mm, 1 + len(rows), grid=True)
        _put(table.rows[0]._tr.get_or_add_trPr(), _element("tblHeader"))
        for cell, text in zip(table.rows[0].cells, header, strict=True):
            paragraph = self._first_paragraph(cell, "Dialogue Table Text")
            paragraph.alignment = self.ALIGN.CENTER
            self.runs(paragraph, (text, True, False))
        for row, values in zip(table.rows[1:], rows, strict=True):
            for index, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
                paragraph = self._first_paragraph(cell, "Dialogue Table Text")
                align = aligns[index] if index < len(aligns) else "LEFT"
                paragraph.alignment = getattr(self.ALIGN, align)
                self._fill_cell(cell, paragraph, value)
        return table

    def _fill_cell(self, cell, paragraph, value) -> None:
        """``value``: text, or paragraphs, each a list of (text, bold, italic, size, indent)."""
        if isinstance(value, str):
            self.runs(paragraph, (value, False, False))
            return
        for index, parts in enumerate(value):
            if index:
                paragraph = cell.add_paragraph(style="Dialogue Table Text")
            for text, bold, italic, size, indent in parts:
                if indent:
                    paragraph.paragraph_format.left_indent = self.Mm(indent)
                if not text:
                    continue
                run = paragraph.add_run(_clean(text))
                run.bold, run.italic = bold or None, italic or None
                if size:
                    run.font.size = self.Pt(size)

    # -- the parts of the document --

    def draft_mark(self) -> None:
        if not self.doc.get("is_draft"):
            return
        paragraph = self.para(style="Dialogue Plain", after=4)
        paragraph.alignment = self.ALIGN.RIGHT
        run = paragraph.add_run("DỰ THẢO")
        run.bold = True
        run.font.size = self.Pt(12)
        _put(run._r.get_or_add_rPr(), _element("bdr", val="single", sz=8, space=2, color="000000"))

    def header(self) -> None:
        header = self.doc["header"]
        left_mm, right_mm = HEADER_COLUMNS_MM
        table = self.table(HEADER_COLUMNS_MM, 2, grid=False)
        agency, nation = table.rows[0].cells
        lines = []
        if header.get("parent_agency"):
            lines.append((header["parent_agency"], False))
        lines += [(line, True) for line in header["agency_lines"]]
        for index, (line, bold) in enumerate(lines):
            paragraph = (
                self._first_paragraph(agency, "Dialogue Header Line")
                if index == 0
                else agency.add_paragraph(style="Dialogue Header Line")
            )
            self.runs(paragraph, (line.upper(), bold, False))
        self.rule(agency, AGENCY_RULE_MM, left_mm)

        paragraph = self._first_paragraph(nation, "Dialogue Header Line")
        self.runs(paragraph, (header["nation"], True, False))
        motto = nation.add_paragraph(style="Dialogue Header Line")
        run = motto.add_run(_clean(header["motto"]))
        run.bold = True
        run.font.size = self.Pt(13.5)
        # The motto's rule is as long as the motto: a bottom border on a paragraph that wide.
        # A little slack: Word and LibreOffice break a line that only just fits.
        width = _text_width_mm(header["motto"], 13.5) + MOTTO_SLACK_MM
        fmt = motto.paragraph_format
        fmt.left_indent = fmt.right_indent = self.Mm(max((right_mm - width) / 2, 0))
        borders = _element("pBdr")
        borders.append(_element("bottom", val="single", sz=5, space=1, color="000000"))
        _put(motto._p.get_or_add_pPr(), borders)

        number_cell, date_cell = table.rows[1].cells
        paragraph = self._first_paragraph(number_cell, "Dialogue Header Line")
        paragraph.paragraph_format.space_before = self.Pt(6)
        run = paragraph.add_run(_clean(header["number_text"]))
        run.font.size = self.Pt(13)
        if header.get("place_date"):
            paragraph = self._first_paragraph(date_cell, "Dialogue Header Line")
            paragraph.paragraph_format.space_before = self.Pt(6)
            run = paragraph.add_run(_clean(header["place_date"]))
            run.italic = True
            run.font.size = self.Pt(13.5)

    def title(self) -> None:
        self.para(self.doc["title"], "Dialogue Title", before=12)
        self.para(self.doc["subject"], "Dialogue Title", before=3)
        self.rule(self.document, SUBJECT_RULE_MM, TEXT_WIDTH_MM)
        self.para(style="Dialogue Plain", after=6).paragraph_format.line_spacing = 1.0

    def paragraphs(self, lines: Sequence[str]) -> None:
        for line in lines:
            self.para(line)

    def item(self, label: str, text: str, *, keep: bool = False) -> None:
        paragraph = self.para(keep=keep or None)
        self.runs(paragraph, (label, True, False), (f" {text}" if text else "", False, False))

    def heading(self, number: int, text: str) -> None:
        self.para(f"{number}. {text}", "Dialogue Heading")

    def count_table(self, caption: str, first: str, rows: Sequence[dict], total=None) -> None:
        self.para(caption, "Dialogue Caption")
        body = [
            [str(index), row["label"], str(row["invited"]), str(row["present"])]
            for index, row in enumerate(rows, start=1)
        ]
        if total is not None:
            body.append(
                [
                    "",
                    [[("Tổng cộng", True, False, None, None)]],
                    [[(str(total["invited"]), True, False, None, None)]],
                    [[(str(total["present"]), True, False, None, None)]],
                ]
            )
        self.grid_table(
            (12, TEXT_WIDTH_MM - 60, 24, 24),
            ("STT", first, "Được mời", "Có mặt"),
            body,
            aligns=("CENTER", "LEFT", "RIGHT", "RIGHT"),
        )
        self.para(style="Dialogue Plain", after=4)

    def figures_table(self, figures: dict) -> None:
        self.para(figures["caption"], "Dialogue Caption")
        body = []
        for row in figures["rows"]:
            label = [[(row["label"], False, False, None, 6 if row["level"] else None)]]
            if row["note"]:
                label.append([(row["note"], False, True, 11, 6 if row["level"] else None)])
            body.append([row["number"], label, row["value"]])
        self.grid_table(
            (12, TEXT_WIDTH_MM - 42, 30),
            ("STT", "Chỉ tiêu", "Số liệu"),
            body,
            aligns=("CENTER", "LEFT", "RIGHT"),
        )
        self.para(figures["note"], "Dialogue Table Note", before=2)

    def turns(self) -> None:
        for group in self.doc["turn_groups"]:
            if group["title"]:
                self.para(group["title"], "Dialogue Area")
            for turn in group["turns"]:
                speaker = self.para(keep=True, after=2)
                self.runs(
                    speaker,
                    (f"Ý kiến {turn['number']}.", True, False),
                    (f" {turn['speaker']}", True, False),
                    (f" ({turn['affiliation']})" if turn["affiliation"] else "", False, False),
                    (
                        f", lĩnh vực {turn['area']}" if not group["title"] and turn["area"] else "",
                        False,
                        False,
                    ),
                    (":", False, False),
                )
                self.para(turn["question"])
                if turn["answer"]:
                    answer = self.para()
                    answerer = turn["answerer"] or "Lãnh đạo Ủy ban nhân dân"
                    self.runs(
                        answer, (f"{answerer} trả lời:", False, True), (f" {turn['answer']}", 0, 0)
                    )
                if turn["referral"]:
                    self.para(turn["referral"], italic=True)
                if turn["outcome"] == TurnOutcome.PENDING.value:
                    self.para("Chưa ghi nhận nội dung trả lời.", italic=True)

    def tasks_table(self, tasks: Sequence[dict]) -> None:
        self.grid_table(
            (12, TEXT_WIDTH_MM - 80, 42, 26),
            ("STT", "Nội dung nhiệm vụ", "Đơn vị chủ trì", "Thời hạn"),
            [[str(t["number"]), t["content"], t["unit"], t["deadline"]] for t in tasks],
            aligns=("CENTER", "LEFT", "LEFT", "CENTER"),
        )
        self.para(style="Dialogue Plain", after=4)

    def referrals_table(self, referrals: Sequence[dict]) -> None:
        rows = []
        for item in referrals:
            who = item["speaker"] + (f" (lĩnh vực {item['area']})" if item["area"] else "") + ":"
            content = [[(who, False, True, None, None), (f" {item['question']}", 0, 0, None, None)]]
            if item["note"]:
                content.append([(f"Yêu cầu: {item['note']}", False, True, 11, None)])
            rows.append([str(item["number"]), content, item["unit"], item["due"]])
        self.grid_table(
            (12, TEXT_WIDTH_MM - 80, 42, 26),
            ("STT", "Nội dung ý kiến, kiến nghị", "Đơn vị trả lời", "Hạn trả lời"),
            rows,
            aligns=("CENTER", "LEFT", "LEFT", "CENTER"),
        )

    def signature_titles(self, cell, block: dict | None) -> None:
        for index, line in enumerate(block["lines"] if block else ()):
            paragraph = (
                self._first_paragraph(cell, "Dialogue Signature")
                if index == 0
                else cell.add_paragraph(style="Dialogue Signature")
            )
            if index == 0:
                paragraph.paragraph_format.space_before = self.Mm(SIGNATURE_GAP_MM)
            self.runs(paragraph, (line.upper(), True, False))

    def signature_name(self, paragraph, block: dict | None) -> None:
        if not block:
            return
        paragraph.style = "Dialogue Signature"
        paragraph.paragraph_format.space_before = self.Mm(SIGNATURE_SPACE_MM)
        self.runs(paragraph, (block.get("name") or "", True, False))

    def signatures(self, left: dict | None, right: dict | None) -> None:
        """THƯ KÝ left, CHỦ TỌA right; titles in one row, names in the next, so they are level."""
        half = TEXT_WIDTH_MM / 2
        table = self.table((half, half), 2, grid=False)
        for column, block in enumerate((left, right)):
            self.signature_titles(table.rows[0].cells[column], block)
            self.signature_name(table.rows[1].cells[column].paragraphs[0], block)

    def recipients(self, container, lines: Sequence[str], *, first_in_cell: bool = False):
        if not lines:
            return
        if first_in_cell:
            heading = self._first_paragraph(container, "Dialogue Recipients Heading")
        else:
            heading = container.add_paragraph(style="Dialogue Recipients Heading")
            heading.paragraph_format.space_before = self.Mm(6)
        self.runs(heading, ("Nơi nhận:", True, True))
        for index, line in enumerate(lines):
            last = index == len(lines) - 1
            paragraph = container.add_paragraph(style="Dialogue Recipient")
            paragraph.paragraph_format.keep_with_next = not last
            self.runs(paragraph, (f"- {line}{'.' if last else ';'}", False, False))

    def page_numbers(self) -> None:
        """Page numbers centred in the top margin, none on the first page."""
        section = self.document.sections[0]
        section.different_first_page_header_footer = True
        section.first_page_header.is_linked_to_previous = False
        section.first_page_header.paragraphs[0].style = "Header"
        paragraph = section.header.paragraphs[0]
        paragraph.style = "Header"
        paragraph.alignment = self.ALIGN.CENTER
        for kind, text in (
            ("begin", None),
            ("instr", " PAGE "),
            ("separate", None),
            ("text", "2"),
            ("end", None),
        ):
            run = paragraph.add_run()
            if kind == "instr":
                instruction = _element("instrText")
                instruction.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
                instruction.text = text
                run._r.append(instruction)
            elif kind == "text":
                run.text = text
            else:
                run._r.append(_element("fldChar", fldCharType=kind))

    def properties(self) -> None:
        from dialogue.core.db import utcnow

        metadata = self.doc["metadata"]
        core = self.document.core_properties
        core.title = _clean(metadata["title"])[:255]
        core.subject = _clean(metadata["subject"])[:255]
        core.author = core.last_modified_by = _clean(metadata["author"])
        core.keywords = _clean("; ".join(metadata["keywords"]))
        core.language = "vi-VN"
        core.category = "Biên bản" if self.doc["doc_type"] == "BB" else "Thông báo"
        core.comments = WORKING_COPY_NOTE
        now = utcnow().replace(microsecond=0)
        core.created = core.modified = now
        core.revision = 1

    # -- the two documents --

    def minutes(self) -> None:
        doc = self.doc
        attendance = doc["attendance"]
        self.item("Thời gian bắt đầu:", f"{doc['start']}.")
        self.item("Địa điểm:", f"{doc['venue'] or '…'}.")
        self.item("Thành phần tham dự:", "", keep=True)
        for person in attendance["leaders"]:
            self.para(f"- {person['text']};")
        self.para(
            "- Đại biểu các thành phần, Nhân dân và doanh nghiệp trên địa bàn. "
            + attendance["summary"]
        )
        if attendance["by_category"]:
            self.count_table(
                "Số đại biểu theo thành phần", "Thành phần", attendance["by_category"], attendance
            )
        if attendance["by_group"]:
            self.count_table("Số người dự theo tổ dân phố", "Tổ dân phố", attendance["by_group"])
        chair = f"{doc['chair']['text']}, chủ tọa hội nghị" if doc["chair"] else "…"
        if doc["cochairs"]:
            chair += "; đồng chủ trì: " + ", ".join(
                p["text"][:1].lower() + p["text"][1:] for p in doc["cochairs"]
            )
        self.item("Chủ trì:", f"{chair}.")
        secretaries = ", ".join(doc["secretaries"]) if doc["secretaries"] else "…"
        self.item("Thư ký:", f"{secretaries}.")
        self.item("Nội dung:", "", keep=True)

        number = 0
        if doc["opening"]:
            number += 1
            self.heading(number, "Khai mạc hội nghị")
            self.paragraphs(doc["opening"])
        if doc["report_summary"] or doc["figures"]:
            number += 1
            self.heading(number, "Báo cáo kết quả công tác cải cách thủ tục hành chính")
            self.paragraphs(doc["report_summary"])
            if doc["figures"]:
                self.figures_table(doc["figures"])
        number += 1
        self.heading(number, "Ý kiến phát biểu của đại biểu và trả lời tại hội nghị")
        self.para(doc["turn_summary"])
        self.turns()
        number += 1
        self.heading(number, "Kết luận của chủ tọa hội nghị")
        self.paragraphs(doc["conclusion"])
        if doc["tasks"]:
            self.para("Các nhiệm vụ cụ thể:", keep=True)
            self.tasks_table(doc["tasks"])
        self.para(doc["closing"], keep=True)

        self.signatures(doc["signatures"]["left"], doc["signatures"]["right"])
        self.recipients(self.document, doc["recipients"])

    def notice(self) -> None:
        doc = self.doc
        self.paragraphs(doc["opening"])
        number = 0
        if doc["conclusion"]:
            number += 1
            self.heading(number, "Đánh giá chung")
            self.paragraphs(doc["conclusion"])
        if doc["tasks"]:
            number += 1
            self.heading(number, "Nhiệm vụ trọng tâm thời gian tới")
            self.tasks_table(doc["tasks"])
        if doc["referrals"]:
            number += 1
            self.heading(number, "Các ý kiến, kiến nghị chuyển trả lời bằng văn bản")
            self.referrals_table(doc["referrals"])
            self.para(
                "Các đơn vị được giao có trách nhiệm trả lời bằng văn bản cho tổ chức, công dân "
                "đúng thời hạn nêu trên.",
                before=6,
            )
        number += 1
        self.heading(number, "Công khai kết quả hội nghị")
        self.para(doc["publication"])
        self.para(doc["closing"], keep=True)

        table = self.table((TEXT_WIDTH_MM * 0.45, TEXT_WIDTH_MM * 0.55), 1, grid=False)
        left, right = table.rows[0].cells
        self.recipients(left, doc["recipients"], first_in_cell=True)
        left.paragraphs[0].paragraph_format.space_before = self.Mm(SIGNATURE_GAP_MM)
        block = doc["signatures"]["right"]
        self.signature_titles(right, block)
        self.signature_name(right.add_paragraph(), block)

    def render(self) -> bytes:
        self.draft_mark()
        self.header()
        self.title()
        if self.doc["doc_type"] == "BB":
            self.minutes()
        else:
            self.notice()
        self.page_numbers()
        self.properties()
        buffer = io.BytesIO()
        self.document.save(buffer)
        return buffer.getvalue()


def render_docx(doc: dict) -> bytes:
    """Lay out a ``compose.document_context`` as a .docx; touches no database."""
    return _DocxWriter(doc).render()


def minutes_context(conference: Conference, doc_type) -> dict:
    """The document of the conference's current draft, or of the default texts when none.

    Once published, the draft keeps its number (and, for the notice, its date): the Word
    file is the current text with the number it was published under.
    """
    from dialogue.minutes.compose import document_context, draft_or_defaults
    from dialogue.minutes.operations import find_draft

    found = find_draft(conference, doc_type)
    draft = draft_or_defaults(conference, doc_type, found)
    latest = found.latest if found is not None else None
    return document_context(
        conference,
        draft,
        number_label=latest.number_label if latest else None,
        published_dt=latest.published_dt if latest else None,
    )


def minutes_docx(conference: Conference, doc_type) -> bytes:
    """The BB or TB of ``conference`` as a Word file to finish in the office."""
    return render_docx(minutes_context(conference, doc_type))


# -- file names ---------------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


def export_filename(stem: str, conference: Conference, extension: str) -> str:
    """``luot-phat-bieu-2020-06-30.xlsx``: the stem folded to ASCII and the conference's date."""
    day = conference.start_local.date().isoformat()
    return f"{_slug(stem)}-{day}.{extension}"


def content_disposition(filename: str) -> str:
    """An attachment header with both ``filename`` (ASCII) and ``filename*`` (RFC 5987)."""
    stem, _dot, extension = filename.rpartition(".")
    ascii_name = f"{_slug(stem)}.{_slug(extension)}"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
