"""The format writers on their own: a composed document or rows in, a file out, no conference."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook

from dialogue.documents.composed import (
    Align,
    CellLine,
    Column,
    ComposedDocument,
    Kind,
    OfficialHeader,
    Paragraph,
    Properties,
    Recipients,
    RecipientsBesideSignature,
    Rows,
    Run,
    Signature,
    Signatures,
    Style,
    Table,
    TableColumn,
    cell,
)
from dialogue.documents.csv import write_csv
from dialogue.documents.docx import write_docx
from dialogue.documents.downloads import content_disposition, dated_filename
from dialogue.documents.xlsx import write_xlsx

HEADER = OfficialHeader(
    agency_lines=("Ủy ban nhân dân", "Phường Mẫu"),
    number_text="Số: 12/BC-UBND",
    nation="CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    motto="Độc lập - Tự do - Hạnh phúc",
    parent_agency="UBND Thành phố Hà Nội",
    place_date="Mẫu, ngày 05 tháng 12 năm 2026",
)


def _composed(**overrides) -> ComposedDocument:
    values = dict(
        header=HEADER,
        title="BÁO CÁO",
        subject="Kết quả đối thoại năm 2026",
        blocks=(
            Paragraph.of("1. Tình hình chung", style=Style.HEADING),
            Paragraph((Run("Nhãn:", bold=True), Run(" nội dung =1+1"))),
            Table(
                (TableColumn("STT", 12, Align.CENTER), TableColumn("Chỉ tiêu", 100)),
                (
                    (
                        cell("1"),
                        (CellLine.of("Hồ sơ"), CellLine((Run("ghi chú", italic=True),), 6)),
                    ),
                    (cell(""), cell("Tổng cộng", bold=True)),
                ),
                caption="Bảng số liệu",
                note="Tỷ lệ làm tròn.",
                space_after=4,
            ),
            Signatures(Signature(("THƯ KÝ",), "Trần B"), Signature(("CHỦ TỌA",), "Nguyễn A")),
            Recipients(("Như trên", "Lưu: VT")),
        ),
        properties=Properties(title="Báo cáo", author="UBND phường Mẫu", keywords=("a", "b")),
    )
    values.update(overrides)
    return ComposedDocument(**values)


def _texts(document) -> list[str]:
    return [p.text for p in document.paragraphs]


def test_docx_writes_every_block_of_a_composed_document(app):
    with app.app_context():
        document = Document(io.BytesIO(write_docx(_composed(draft_mark="DỰ THẢO"))))
    texts = _texts(document)
    assert texts[0] == "DỰ THẢO"
    header = document.tables[0]
    assert header.rows[1].cells[0].text == "Số: 12/BC-UBND"
    assert header.rows[0].cells[0].paragraphs[0].text == "UBND THÀNH PHỐ HÀ NỘI"
    assert "BÁO CÁO" in texts and "Kết quả đối thoại năm 2026" in texts
    heading = next(p for p in document.paragraphs if p.text == "1. Tình hình chung")
    assert heading.style.name == "Dialogue Heading"
    assert "Nhãn: nội dung =1+1" in texts  # plain text, never a field or a formula
    table = document.tables[1]
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert [c.text for c in table.rows[1].cells] == ["1", "Hồ sơ\nghi chú"]
    assert round(table.rows[1].cells[1].paragraphs[1].paragraph_format.left_indent.mm) == 6
    assert table.rows[2].cells[1].paragraphs[0].runs[0].bold
    assert "Bảng số liệu" in texts and "Tỷ lệ làm tròn." in texts
    signatures = document.tables[2]
    assert [c.text for c in signatures.rows[0].cells] == ["THƯ KÝ", "CHỦ TỌA"]
    assert [c.text for c in signatures.rows[1].cells] == ["Trần B", "Nguyễn A"]
    assert texts[-3:] == ["Nơi nhận:", "- Như trên;", "- Lưu: VT."]
    assert document.core_properties.keywords == "a; b"


def test_docx_without_draft_mark_or_page_numbers(app):
    blocks = (
        RecipientsBesideSignature(
            Recipients(("Như trên",)), Signature(("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"), "Nguyễn A")
        ),
    )
    with app.app_context():
        document = Document(io.BytesIO(write_docx(_composed(blocks=blocks, page_numbers=False))))
    assert "DỰ THẢO" not in _texts(document)
    left, right = document.tables[-1].rows[0].cells
    assert left.text == "Nơi nhận:\n- Như trên."
    assert right.text.startswith("TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH")
    header = document.sections[0].header
    assert not header._element.findall(".//" + qn("w:fldChar"))


AT = datetime(2020, 6, 30, 8, 5, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
ROWS = Rows(
    title="Hàng",
    columns=(
        Column("n", "STT", 6, kind=Kind.INTEGER),
        Column("text", "Nội dung", 30, wraps=True),
        Column("day", "Ngày", 12, kind=Kind.DATE),
        Column("at", "Lúc", 16, kind=Kind.DATETIME),
    ),
    rows=[
        {
            "n": 1,
            "text": '=HYPERLINK("x")',
            "day": date(2020, 7, 10),
            "at": AT,
        },
        {"n": None, "text": "Tiếng Việt", "day": None, "at": None},
    ],
    properties=Properties(title="Tệp", author="UBND"),
)


def test_csv_writes_kinds_as_people_read_them_and_neutralises_formulas():
    content = write_csv(ROWS)
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert rows == [
        ["STT", "Nội dung", "Ngày", "Lúc"],
        ["1", '\'=HYPERLINK("x")', "10/07/2020", "30/06/2020 08:05"],
        ["", "Tiếng Việt", "", ""],
    ]


def test_xlsx_writes_numbers_and_dates_as_such_and_formulas_as_text():
    sheet = load_workbook(io.BytesIO(write_xlsx(ROWS))).active
    assert sheet.title == "Hàng"
    assert sheet["A2"].value == 1
    assert sheet["B2"].value == '=HYPERLINK("x")' and sheet["B2"].data_type == "s"
    assert (
        sheet["C2"].value.date() == date(2020, 7, 10) and sheet["C2"].number_format == "dd/mm/yyyy"
    )
    assert sheet["D2"].value == AT.replace(tzinfo=None)
    assert sheet["A3"].value is None
    assert sheet.freeze_panes == "A2"


def test_download_names_are_ascii_with_the_vietnamese_name_beside():
    name = dated_filename("Lượt phát biểu", date(2020, 6, 30), "xlsx")
    assert name == "luot-phat-bieu-2020-06-30.xlsx"
    header = content_disposition("biên bản.docx")
    assert header == (
        "attachment; filename=\"bien-ban.docx\"; filename*=UTF-8''bi%C3%AAn%20b%E1%BA%A3n.docx"
    )
