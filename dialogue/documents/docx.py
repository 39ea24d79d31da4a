"""A composed official document as a Word file (.docx), laid out as the PDF lays it out.

A4 with the margins of Nghị định 30, Times New Roman on every script so Vietnamese renders in
any Word, the header as a borderless two-column table with its rules, ruled tables whose header
row repeats on every page, the signatures level with each other, page numbers from page 2.

python-docx does most of it. What it has no API for is written as WordprocessingML elements
(ECMA-376 Part 1, the section named at each), put at their schema position by ``_put``.
"""

from __future__ import annotations

import io
import unicodedata

from dialogue.documents.cells import clean
from dialogue.documents.composed import (
    Align,
    CellLine,
    ComposedDocument,
    OfficialHeader,
    Paragraph,
    Recipients,
    RecipientsBesideSignature,
    Run,
    Signature,
    Signatures,
    Style,
    Table,
)

MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FONT = "Times New Roman"
BODY_PT = 14
TEXT_WIDTH_MM = 165  # 210 mm less the 30 mm left and 15 mm right margins
HEADER_COLUMNS_MM = (62, 103)
AGENCY_RULE_MM = 22
SUBJECT_RULE_MM = 40
SIGNATURE_SPACE_MM = 25
MOTTO_SLACK_MM = 4
SIGNATURE_GAP_MM = 6
_FONT_DIR = "fonts"
_BOLD_FONT = "LiberationSerif-Bold.ttf"

STYLE_NAMES = {
    Style.BODY: None,  # Normal
    Style.PLAIN: "Dialogue Plain",
    Style.HEADING: "Dialogue Heading",
    Style.SUBHEADING: "Dialogue Area",
    Style.NOTE: "Dialogue Table Note",
}


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# The schema order of the children of four property elements, for the ones python-docx does not
# place itself: pPr (§17.3.1.26), rPr (§17.3.2.28), tblPr (§17.4.60), trPr (§17.4.82).
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


def _set_font(rpr, size_pt: float | None = None) -> None:
    """Times New Roman on every script, and the size for complex scripts too.

    python-docx's ``font.name`` sets the Latin faces only; ``rFonts`` (§17.3.2.26) takes the
    East Asian and complex-script faces as well, which Word uses for some Vietnamese letters
    under some regional settings. ``szCs`` (§17.3.2.39) is the size of complex-script text.
    """
    _put(rpr, _element("rFonts", ascii=FONT, hAnsi=FONT, eastAsia=FONT, cs=FONT))
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


class _Writer:
    """Lays out one composed document as a Word document."""

    def __init__(self, composed: ComposedDocument):
        import docx
        from docx.enum.style import WD_STYLE_TYPE
        from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
        from docx.shared import Mm, Pt

        self.composed = composed
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
        # The document's default run properties (docDefaults, §17.7.5.1) and their language
        # (lang, §17.3.2.20): python-docx reaches neither.
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

    def runs(self, paragraph, runs: tuple[Run, ...] | list[Run]):
        for part in runs:
            if not part.text:
                continue
            run = paragraph.add_run(clean(part.text))
            run.bold, run.italic = part.bold or None, part.italic or None
            if part.size:
                run.font.size = self.Pt(part.size)
        return paragraph

    def plain_runs(self, paragraph, *texts: tuple[str, bool, bool]):
        """Add ``(text, bold, italic)`` runs to ``paragraph``."""
        return self.runs(paragraph, [Run(text, bold, italic) for text, bold, italic in texts])

    def paragraph(self, block: Paragraph, container=None):
        container = container if container is not None else self.document
        paragraph = container.add_paragraph(style=STYLE_NAMES[block.style])
        self.runs(paragraph, block.runs)
        fmt = paragraph.paragraph_format
        if block.keep_with_next:
            fmt.keep_with_next = True
        if block.space_before is not None:
            fmt.space_before = self.Pt(block.space_before)
        if block.space_after is not None:
            fmt.space_after = self.Pt(block.space_after)
        return paragraph

    def styled(self, text: str, style: str, *, before=None, after=None):
        paragraph = self.document.add_paragraph(style=style)
        if text:
            paragraph.add_run(clean(text))
        fmt = paragraph.paragraph_format
        if before is not None:
            fmt.space_before = self.Pt(before)
        if after is not None:
            fmt.space_after = self.Pt(after)
        return paragraph

    def rule(self, container, width_mm: float, column_mm: float, *, before: float = 4):
        """A centred horizontal rule ``width_mm`` long: an empty paragraph's top border.

        Paragraph borders (pBdr, §17.3.1.24) have no python-docx API.
        """
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
        """A table of fixed column widths whose rows never split across pages.

        Not in python-docx: cell margins (tblCellMar, §17.4.42), borders off (tblBorders,
        §17.4.38), the table's width (tblW, §17.4.63) and rows that do not split (cantSplit,
        §17.4.6).
        """
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

    def grid_table(self, block: Table):
        """A ruled table whose header row repeats on every page (tblHeader, §17.4.49)."""
        widths = [column.width_mm for column in block.columns]
        table = self.table(widths, 1 + len(block.rows), grid=True)
        _put(table.rows[0]._tr.get_or_add_trPr(), _element("tblHeader"))
        for cell, column in zip(table.rows[0].cells, block.columns, strict=True):
            paragraph = self._first_paragraph(cell, "Dialogue Table Text")
            paragraph.alignment = self.ALIGN.CENTER
            self.plain_runs(paragraph, (column.header, True, False))
        for row, values in zip(table.rows[1:], block.rows, strict=True):
            for cell, column, lines in zip(row.cells, block.columns, values, strict=True):
                paragraph = self._first_paragraph(cell, "Dialogue Table Text")
                paragraph.alignment = getattr(self.ALIGN, Align(column.align).value)
                self._fill_cell(cell, paragraph, lines)
        return table

    def _fill_cell(self, cell, paragraph, lines: tuple[CellLine, ...]) -> None:
        for index, line in enumerate(lines):
            if index:
                paragraph = cell.add_paragraph(style="Dialogue Table Text")
            if line.indent_mm:
                paragraph.paragraph_format.left_indent = self.Mm(line.indent_mm)
            self.runs(paragraph, line.runs)

    # -- the parts of the document --

    def draft_mark(self) -> None:
        """The draft's mark, boxed (a run border, bdr, §17.3.2.4) in the top right corner."""
        if not self.composed.draft_mark:
            return
        paragraph = self.styled("", "Dialogue Plain", after=4)
        paragraph.alignment = self.ALIGN.RIGHT
        run = paragraph.add_run(clean(self.composed.draft_mark))
        run.bold = True
        run.font.size = self.Pt(12)
        _put(run._r.get_or_add_rPr(), _element("bdr", val="single", sz=8, space=2, color="000000"))

    def header(self, header: OfficialHeader) -> None:
        left_mm, right_mm = HEADER_COLUMNS_MM
        table = self.table(HEADER_COLUMNS_MM, 2, grid=False)
        agency, nation = table.rows[0].cells
        lines = []
        if header.parent_agency:
            lines.append((header.parent_agency, False))
        lines += [(line, True) for line in header.agency_lines]
        for index, (line, bold) in enumerate(lines):
            paragraph = (
                self._first_paragraph(agency, "Dialogue Header Line")
                if index == 0
                else agency.add_paragraph(style="Dialogue Header Line")
            )
            self.plain_runs(paragraph, (line.upper(), bold, False))
        self.rule(agency, AGENCY_RULE_MM, left_mm)

        paragraph = self._first_paragraph(nation, "Dialogue Header Line")
        self.plain_runs(paragraph, (header.nation, True, False))
        motto = nation.add_paragraph(style="Dialogue Header Line")
        run = motto.add_run(clean(header.motto))
        run.bold = True
        run.font.size = self.Pt(13.5)
        # The motto's rule is as long as the motto: a bottom border (pBdr, §17.3.1.24) on a
        # paragraph that wide. A little slack: Word and LibreOffice break a line that only
        # just fits.
        width = _text_width_mm(header.motto, 13.5) + MOTTO_SLACK_MM
        fmt = motto.paragraph_format
        fmt.left_indent = fmt.right_indent = self.Mm(max((right_mm - width) / 2, 0))
        borders = _element("pBdr")
        borders.append(_element("bottom", val="single", sz=5, space=1, color="000000"))
        _put(motto._p.get_or_add_pPr(), borders)

        number_cell, date_cell = table.rows[1].cells
        paragraph = self._first_paragraph(number_cell, "Dialogue Header Line")
        paragraph.paragraph_format.space_before = self.Pt(6)
        run = paragraph.add_run(clean(header.number_text))
        run.font.size = self.Pt(13)
        if header.place_date:
            paragraph = self._first_paragraph(date_cell, "Dialogue Header Line")
            paragraph.paragraph_format.space_before = self.Pt(6)
            run = paragraph.add_run(clean(header.place_date))
            run.italic = True
            run.font.size = self.Pt(13.5)

    def title(self) -> None:
        self.styled(self.composed.title, "Dialogue Title", before=12)
        self.styled(self.composed.subject, "Dialogue Title", before=3)
        self.rule(self.document, SUBJECT_RULE_MM, TEXT_WIDTH_MM)
        self.styled("", "Dialogue Plain", after=6).paragraph_format.line_spacing = 1.0

    def captioned_table(self, block: Table) -> None:
        if block.caption:
            self.styled(block.caption, "Dialogue Caption")
        table = self.grid_table(block)
        if block.note:
            # The note belongs to its table: the last row keeps with it across a page turn.
            for cell in table.rows[-1].cells:
                for paragraph in cell.paragraphs:
                    paragraph.paragraph_format.keep_with_next = True
            self.styled(block.note, "Dialogue Table Note", before=2)
        if block.space_after is not None:
            self.styled("", "Dialogue Plain", after=block.space_after)

    def signature_titles(self, cell, signature: Signature | None) -> None:
        for index, line in enumerate(signature.lines if signature else ()):
            paragraph = (
                self._first_paragraph(cell, "Dialogue Signature")
                if index == 0
                else cell.add_paragraph(style="Dialogue Signature")
            )
            if index == 0:
                paragraph.paragraph_format.space_before = self.Mm(SIGNATURE_GAP_MM)
            self.plain_runs(paragraph, (line.upper(), True, False))

    def signature_name(self, paragraph, signature: Signature | None) -> None:
        if not signature:
            return
        paragraph.style = "Dialogue Signature"
        paragraph.paragraph_format.space_before = self.Mm(SIGNATURE_SPACE_MM)
        self.plain_runs(paragraph, (signature.name, True, False))

    def signatures(self, block: Signatures) -> None:
        """Titles in one row, names in the next, so the two are level."""
        half = TEXT_WIDTH_MM / 2
        table = self.table((half, half), 2, grid=False)
        for column, signature in enumerate((block.left, block.right)):
            self.signature_titles(table.rows[0].cells[column], signature)
            self.signature_name(table.rows[1].cells[column].paragraphs[0], signature)

    def recipients(self, container, block: Recipients, *, first_in_cell: bool = False):
        if not block.lines:
            return
        if first_in_cell:
            heading = self._first_paragraph(container, "Dialogue Recipients Heading")
        else:
            heading = container.add_paragraph(style="Dialogue Recipients Heading")
            heading.paragraph_format.space_before = self.Mm(6)
        self.plain_runs(heading, (block.heading, True, True))
        for index, line in enumerate(block.lines):
            last = index == len(block.lines) - 1
            paragraph = container.add_paragraph(style="Dialogue Recipient")
            paragraph.paragraph_format.keep_with_next = not last
            self.plain_runs(paragraph, (f"- {line}{'.' if last else ';'}", False, False))

    def recipients_beside_signature(self, block: RecipientsBesideSignature) -> None:
        share = block.left_share
        table = self.table((TEXT_WIDTH_MM * share, TEXT_WIDTH_MM * (1 - share)), 1, grid=False)
        left, right = table.rows[0].cells
        self.recipients(left, block.recipients, first_in_cell=True)
        left.paragraphs[0].paragraph_format.space_before = self.Mm(SIGNATURE_GAP_MM)
        self.signature_titles(right, block.signature)
        self.signature_name(right.add_paragraph(), block.signature)

    def page_numbers(self) -> None:
        """Page numbers centred in the top margin, none on the first page.

        A PAGE field (fldChar §17.16.18, instrText §17.16.23): python-docx writes no fields.
        """
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

        properties = self.composed.properties
        core = self.document.core_properties
        core.title = clean(properties.title)[:255]
        core.subject = clean(properties.subject)[:255]
        core.author = core.last_modified_by = clean(properties.author)
        core.keywords = clean("; ".join(properties.keywords))
        core.language = properties.language
        core.category = clean(properties.category)
        core.comments = clean(properties.comments)
        now = utcnow().replace(microsecond=0)
        core.created = core.modified = now
        core.revision = 1

    def block(self, block) -> None:
        if isinstance(block, Paragraph):
            self.paragraph(block)
        elif isinstance(block, Table):
            self.captioned_table(block)
        elif isinstance(block, Signatures):
            self.signatures(block)
        elif isinstance(block, Recipients):
            self.recipients(self.document, block)
        elif isinstance(block, RecipientsBesideSignature):
            self.recipients_beside_signature(block)
        else:
            raise TypeError(f"not a document block: {block!r}")

    def render(self) -> bytes:
        self.draft_mark()
        self.header(self.composed.header)
        self.title()
        for block in self.composed.blocks:
            self.block(block)
        if self.composed.page_numbers:
            self.page_numbers()
        self.properties()
        buffer = io.BytesIO()
        self.document.save(buffer)
        return buffer.getvalue()


def write_docx(composed: ComposedDocument) -> bytes:
    """Lay out ``composed`` as a .docx; reads nothing but the bundled font's widths."""
    return _Writer(composed).render()
