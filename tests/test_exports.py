"""Exports for staff: the turns as .xlsx and .csv, the minutes and the notice as .docx."""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from openpyxl import load_workbook

from dialogue.auth.models import Role
from dialogue.conferences.models import ConclusionTask, ConferenceStatus
from dialogue.core.dates import to_local
from dialogue.documents.models import DocumentType
from dialogue.documents.operations import allocate_number
from dialogue.dossier import operations as dossier_operations
from dialogue.dossier.figures import Counts
from dialogue.extensions import db
from dialogue.live.models import Turn, TurnOutcome
from dialogue.minutes import exports
from dialogue.minutes.models import DraftStatus, MinutesDraft, PublishedDocument
from dialogue.wards.models import ResidentialGroup, Unit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# 8:00 on 30 June 2020 in Hà Nội.
START = datetime(2020, 6, 30, 1, 0, tzinfo=UTC)
DANGEROUS = (
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    '+HYPERLINK("http://x.invalid")',
    "-2+3+cmd|' /C calc'!A0",
)
XSS = ('<script>alert("x")</script>', '<img src=x onerror="alert(1)">')
NAME_NFC = "Nguyễn Thị Hường"


@pytest.fixture
def staff(make_user):
    return {role: make_user(role) for role in Role}


@pytest.fixture
def records(app, ward, make_conference, make_person, staff):
    """The 30/6/2020 conference, closed: four turns (one withdrawn), a referral, two tasks."""
    chair = make_person(full_name="Nguyễn Văn A", title="Chủ tịch UBND phường")
    secretary = staff[Role.SECRETARY]
    unit = Unit(ward=ward, name="Công chức Địa chính - Xây dựng")
    group = ResidentialGroup(ward=ward, number=9, name="Tổ dân phố số 9")
    db.session.add_all([unit, group])
    conference = make_conference(
        title="Hội nghị đối thoại năm 2020",
        subject="Hội nghị đối thoại giữa Chủ tịch UBND phường với Nhân dân năm 2020",
        start_dt=START,
        planned_end_dt=START + timedelta(hours=3),
        end_dt=START + timedelta(hours=3),
        status=ConferenceStatus.CLOSED,
        chair=chair,
        secretaries=[secretary],
        conclusion="Chủ tịch UBND phường tiếp thu các ý kiến.\nGiao các đơn vị thực hiện.",
    )
    areas = {area.code: area for area in ward.procedure_areas}
    by = staff[Role.ORGANISER]

    def turn(position, question, **values):
        record = Turn(
            conference=conference,
            position=position,
            question=question,
            created_by=by,
            updated_by=by,
            **values,
        )
        db.session.add(record)
        return record

    turns = [
        turn(
            1,
            "Hồ sơ cấp giấy chứng nhận của gia đình tôi đang ở bước nào?",
            speaker_name="Đỗ Đức D",
            speaker_group=group,
            procedure_area=areas["DD"],
            outcome=TurnOutcome.ANSWERED,
            answerer_name="Hoàng Thị Q - Công chức Địa chính - Xây dựng",
            answer='Hồ sơ đã chuyển Văn phòng đăng ký đất đai, "đúng hạn", không phải bổ sung.',
        ),
        turn(
            2,
            "Câu hỏi đã rút lại.",
            speaker_name="Lê Văn R",
            withdrawn_dt=START + timedelta(minutes=30),
            withdrawn_reason="Hỏi trùng ý kiến 1",
        ),
        turn(
            3,
            "Diện tích thực tế chênh lệch với bản đồ địa chính,\nđề nghị kiểm tra.",
            speaker_name="Trần Văn X",
            speaker_group=group,
            procedure_area=areas["DD"],
            outcome=TurnOutcome.REFERRED,
            answerer_name="Nguyễn Văn A - Chủ tịch UBND phường",
            answer="Cần đối chiếu hồ sơ địa chính.",
            referral_unit=unit,
            referral_due_date=date(2020, 7, 10),
            referral_note="Phối hợp với tổ dân phố số 9",
        ),
        turn(
            4,
            "Thủ tục đăng ký khai sinh trực tuyến thế nào?",
            speaker_name="Công ty TNHH Bình Minh",
            speaker_organisation="Công ty TNHH Bình Minh",
            procedure_area=areas["HT"],
        ),
    ]
    db.session.add_all(
        [
            ConclusionTask(
                conference=conference,
                position=1,
                content="Rà soát hồ sơ đất đai còn tồn đọng.",
                unit=unit,
                deadline=date(2020, 8, 31),
            ),
            ConclusionTask(conference=conference, position=2, content="Niêm yết thủ tục."),
        ]
    )
    db.session.commit()
    return {"conference": conference, "turns": turns, "unit": unit, "group": group}


def _add_turn(records, question: str, **values) -> Turn:
    conference = records["conference"]
    position = max(turn.position for turn in records["turns"]) + 1
    turn = Turn(conference=conference, position=position, question=question, **values)
    db.session.add(turn)
    db.session.commit()
    records["turns"].append(turn)
    return turn


def _workbook(content: bytes):
    return load_workbook(io.BytesIO(content)).active


def _csv_rows(content: bytes) -> list[list[str]]:
    text = content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def _docx(content: bytes):
    return Document(io.BytesIO(content))


def _texts(document) -> list[str]:
    return [paragraph.text for paragraph in document.paragraphs]


def _cell_texts(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


# -- the turns: xlsx ----------------------------------------------------------------------------


def test_xlsx_has_one_row_per_current_turn_in_speaking_order(app, ward, records):
    sheet = _workbook(exports.turns_xlsx(records["conference"]))

    assert sheet.title == "Lượt phát biểu"
    header = [cell.value for cell in sheet[1]]
    assert header == [column.header for column in exports.COLUMNS]
    assert header[:3] == ["STT", "Người phát biểu", "Tổ dân phố / cơ quan, đơn vị"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert len(rows) == 3  # the withdrawn turn is left out
    first, referred, pending = rows
    assert first[:9] == [
        1,
        "Đỗ Đức D",
        "Tổ dân phố số 9",
        "DD",
        "Đất đai",
        "Hồ sơ cấp giấy chứng nhận của gia đình tôi đang ở bước nào?",
        "Đã trả lời trực tiếp tại hội nghị",
        "Hoàng Thị Q - Công chức Địa chính - Xây dựng",
        'Hồ sơ đã chuyển Văn phòng đăng ký đất đai, "đúng hạn", không phải bổ sung.',
    ]
    assert first[9:12] == [None, None, None]
    # Withdrawn turns have no number: the next one is 2, as on the console.
    assert referred[0] == 2
    assert referred[5] == "Diện tích thực tế chênh lệch với bản đồ địa chính,\nđề nghị kiểm tra."
    assert referred[6] == "Chuyển trả lời bằng văn bản"
    assert referred[9] == "Công chức Địa chính - Xây dựng"
    assert referred[10].date() == date(2020, 7, 10)
    assert sheet.cell(row=3, column=11).number_format == "dd/mm/yyyy"
    assert referred[11] == "Phối hợp với tổ dân phố số 9"
    assert pending[:3] == [3, "Công ty TNHH Bình Minh", "Công ty TNHH Bình Minh"]
    assert pending[6] == "Chờ trả lời"
    organiser = records["turns"][0].updated_by
    assert {row[12] for row in rows} == {organiser.display_name}
    # The ward's local time, without a zone (Excel has none).
    updated = to_local(records["turns"][0].updated_dt, ward.timezone).replace(tzinfo=None)
    assert abs(first[13] - updated) < timedelta(seconds=1)


def test_xlsx_layout_header_widths_wrap_frozen_properties(app, ward, records):
    content = exports.turns_xlsx(records["conference"])
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook.active

    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["F"].width == 50  # the question
    assert sheet.column_dimensions["A"].width == 6
    assert sheet.cell(row=2, column=6).alignment.wrap_text
    assert sheet.row_dimensions[2].height > 15
    assert sheet.auto_filter.ref == "A1:N4"
    assert workbook.properties.creator == "UBND phường Thạch Bàn"
    assert workbook.properties.title == "Lượt phát biểu - Hội nghị đối thoại năm 2020"
    assert workbook.properties.language == "vi-VN"


def test_xlsx_with_withdrawn_turns_adds_a_status(app, records):
    sheet = _workbook(exports.turns_xlsx(records["conference"], include_withdrawn=True))

    header = [cell.value for cell in sheet[1]]
    assert header[-2:] == ["Trạng thái", "Lý do rút"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert [(row[0], row[-2], row[-1]) for row in rows] == [
        (1, "Hiệu lực", None),
        (None, "Đã rút", "Hỏi trùng ý kiến 1"),
        (2, "Hiệu lực", None),
        (3, "Hiệu lực", None),
    ]


# -- the turns: csv -----------------------------------------------------------------------------


def test_csv_is_utf8_with_bom_crlf_and_quoted(app, records):
    content = exports.turns_csv(records["conference"])

    assert content.startswith(b"\xef\xbb\xbf")
    assert content.count(b"\r\n") >= 4
    # Every record ends in CRLF; a bare LF appears only inside a quoted field.
    assert content.endswith(b"\r\n")
    rows = _csv_rows(content)
    assert rows[0] == [column.header for column in exports.COLUMNS]
    assert len(rows) == 4
    first, referred, pending = rows[1:]
    assert first[0] == "1"
    assert first[8] == (
        'Hồ sơ đã chuyển Văn phòng đăng ký đất đai, "đúng hạn", không phải bổ sung.'
    )
    assert '"Hồ sơ đã chuyển Văn phòng đăng ký đất đai, ""đúng hạn"", không' in content.decode(
        "utf-8-sig"
    )
    assert referred[0] == "2"
    assert referred[5] == "Diện tích thực tế chênh lệch với bản đồ địa chính,\nđề nghị kiểm tra."
    assert referred[9:12] == [
        "Công chức Địa chính - Xây dựng",
        "10/07/2020",
        "Phối hợp với tổ dân phố số 9",
    ]
    assert pending[6] == "Chờ trả lời"
    assert len({len(row) for row in rows}) == 1


def test_csv_with_withdrawn_turns(app, records):
    rows = _csv_rows(exports.turns_csv(records["conference"], include_withdrawn=True))

    assert rows[0][-2:] == ["Trạng thái", "Lý do rút"]
    assert [(row[0], row[1], row[-2]) for row in rows[1:]] == [
        ("1", "Đỗ Đức D", "Hiệu lực"),
        ("", "Lê Văn R", "Đã rút"),
        ("2", "Trần Văn X", "Hiệu lực"),
        ("3", "Công ty TNHH Bình Minh", "Hiệu lực"),
    ]


# -- formula injection, markup, diacritics ------------------------------------------------------


@pytest.mark.parametrize("payload", DANGEROUS)
def test_formula_prefixes_are_neutralised_in_csv(app, records, payload):
    _add_turn(records, payload, speaker_name=payload, answer=payload, answerer_name="Ông B")

    row = _csv_rows(exports.turns_csv(records["conference"]))[-1]
    assert row[1] == "'" + payload  # speaker
    assert row[5] == "'" + payload  # question
    assert row[8] == "'" + payload  # answer
    assert row[7] == "Ông B"  # harmless text is left alone


@pytest.mark.parametrize("payload", DANGEROUS)
def test_formula_prefixes_stay_text_in_xlsx(app, records, payload):
    _add_turn(records, payload, speaker_name=payload, answer=payload, answerer_name="Ông B")

    content = exports.turns_xlsx(records["conference"])
    sheet = _workbook(content)
    last = sheet.max_row
    for column in (2, 6, 9):
        cell = sheet.cell(row=last, column=column)
        assert cell.data_type == "s"
        assert cell.quotePrefix is True
        assert cell.number_format == "@"
        assert cell.value == payload  # kept as typed: the cell is text, not a formula
    assert sheet.cell(row=last, column=8).quotePrefix is False
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml


@pytest.mark.parametrize("payload", XSS)
def test_markup_is_plain_text_in_every_format(app, records, staff, payload):
    _add_turn(records, payload, speaker_name=payload, answerer_name=payload, answer=payload)
    draft = MinutesDraft(
        conference=records["conference"],
        doc_type=DocumentType.MINUTES,
        opening=payload,
        report_summary="Báo cáo.",
        conclusion=payload,
        recipients=f"{payload}\nLưu: VT, Hồ sơ",
    )
    db.session.add(draft)
    db.session.commit()

    row = _csv_rows(exports.turns_csv(records["conference"]))[-1]
    assert row[5] == payload and row[8] == payload
    sheet = _workbook(exports.turns_xlsx(records["conference"]))
    assert sheet.cell(row=sheet.max_row, column=6).value == payload
    assert sheet.cell(row=sheet.max_row, column=6).data_type == "s"

    content = exports.minutes_docx(records["conference"], DocumentType.MINUTES)
    document = _docx(content)
    texts = _texts(document)
    assert payload in texts  # the opening paragraph, verbatim
    assert any(payload in text for text in texts if text.startswith("- "))  # a recipient
    assert any(text == payload for text in texts[texts.index(payload) + 1 :])  # the conclusion
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        body = archive.read("word/document.xml").decode()
    # Escaped as text inside w:t runs; no element of that name exists.
    assert "<script" not in body and "<img" not in body
    assert "&lt;script&gt;" in body or "&lt;img" in body


def test_vietnamese_is_written_in_nfc(app, records):
    decomposed = unicodedata.normalize("NFD", NAME_NFC)
    assert decomposed != NAME_NFC
    _add_turn(records, f"Câu hỏi của {decomposed}", speaker_name=decomposed)

    row = _csv_rows(exports.turns_csv(records["conference"]))[-1]
    assert row[1] == NAME_NFC
    assert row[5] == f"Câu hỏi của {NAME_NFC}"
    sheet = _workbook(exports.turns_xlsx(records["conference"]))
    assert sheet.cell(row=sheet.max_row, column=2).value == NAME_NFC
    document = _docx(exports.minutes_docx(records["conference"], DocumentType.MINUTES))
    assert f"Câu hỏi của {NAME_NFC}" in _texts(document)


# -- the minutes as docx ------------------------------------------------------------------------


def _add_dossier(conference) -> None:
    report = dossier_operations.save_report(
        conference,
        dossier_operations.ReportData(
            counts=Counts(
                received_online=568, received_desk=2117, resolved_on_time=2668, pending_within=17
            )
        ),
    )
    assert report is not None
    db.session.commit()


def _has_page_field(part) -> bool:
    instructions = part._element.findall(".//" + qn("w:instrText"))
    return any(instruction.text.strip() == "PAGE" for instruction in instructions)


def test_docx_page_setup_fonts_and_page_numbers(app, records):
    document = _docx(exports.minutes_docx(records["conference"], DocumentType.MINUTES))

    section = document.sections[0]
    assert abs(section.page_width.mm - 210) < 0.1
    assert abs(section.page_height.mm - 297) < 0.1
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert [round(margin.mm, 1) for margin in margins] == [20, 20, 30, 15]
    # Page numbers centred at the top from page 2; the first page has a header of its own, empty.
    assert section.different_first_page_header_footer is True
    assert _has_page_field(section.header)
    assert section.header.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert not section.first_page_header.is_linked_to_previous
    assert not _has_page_field(section.first_page_header)
    assert "".join(p.text for p in section.first_page_header.paragraphs) == ""

    normal = document.styles["Normal"]
    assert normal.font.size.pt == 14
    fonts = normal.element.rPr.find(qn("w:rFonts"))
    for script in ("ascii", "hAnsi", "eastAsia", "cs"):
        assert fonts.get(qn(f"w:{script}")) == "Times New Roman"
    defaults = document.styles.element.find(qn("w:docDefaults")).find(".//" + qn("w:rFonts"))
    assert defaults.get(qn("w:asciiTheme")) is None
    assert defaults.get(qn("w:eastAsia")) == "Times New Roman"
    body = normal.paragraph_format
    assert body.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
    assert round(body.first_line_indent.mm) == 10
    assert body.space_after.pt == 6

    core = document.core_properties
    assert core.author == "Ủy ban nhân dân phường Thạch Bàn"
    assert core.title.startswith("Biên bản Hội nghị đối thoại")
    assert core.language == "vi-VN"


def test_docx_minutes_follow_the_records(app, ward, records):
    _add_dossier(records["conference"])
    document = _docx(exports.minutes_docx(records["conference"], DocumentType.MINUTES))
    texts = _texts(document)

    header = _cell_texts(document.tables[0])
    assert header[0][0] == "ỦY BAN NHÂN DÂN\nPHƯỜNG THẠCH BÀN\n"  # and the rule under it
    assert header[0][1] == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"
    assert header[1] == ["Số: …/BB-UBND", "Thạch Bàn, ngày 30 tháng 6 năm 2020"]
    borders = document.tables[0]._tbl.tblPr.find(qn("w:tblBorders"))
    assert {side.get(qn("w:val")) for side in borders} == {"nil"}
    agency = document.tables[0].rows[0].cells[0].paragraphs
    assert all(run.bold for run in agency[0].runs)

    title = next(p for p in document.paragraphs if p.text == "BIÊN BẢN")
    assert title.style.name == "Dialogue Title"
    assert title.style.font.bold and title.style.paragraph_format.alignment == 1  # centred
    assert texts[texts.index("BIÊN BẢN") + 1] == records["conference"].subject
    assert "DỰ THẢO" in texts  # no number yet

    # Turns in speaking order by default (the minutes follow the course of the meeting), each
    # naming its area; speakers as the published BB shows them (this ward shows no names).
    speakers = [t for t in texts if t.startswith("Ý kiến ")]
    assert speakers == [
        "Ý kiến 1. Công dân tổ dân phố số 9, lĩnh vực Đất đai:",
        "Ý kiến 2. Công dân tổ dân phố số 9, lĩnh vực Đất đai:",
        "Ý kiến 3. Đại diện Công ty TNHH Bình Minh, lĩnh vực Hộ tịch:",
    ]
    assert texts[texts.index(speakers[0]) + 1] == records["turns"][0].question
    assert texts[texts.index(speakers[1]) + 1] == records["turns"][2].question
    assert "Chưa ghi nhận nội dung trả lời." in texts
    assert (
        "Hoàng Thị Q - Công chức Địa chính - Xây dựng trả lời: Hồ sơ đã chuyển Văn phòng đăng "
        'ký đất đai, "đúng hạn", không phải bổ sung.'
    ) in texts
    assert (
        "Chuyển Công chức Địa chính - Xây dựng trả lời bằng văn bản, hạn trả lời ngày 10/7/2020."
    ) in texts
    assert "Câu hỏi đã rút lại." not in texts
    assert "Đỗ Đức D" not in "\n".join(texts)  # the ward shows no names

    assert "Chủ tịch UBND phường tiếp thu các ý kiến." in texts
    assert "Hội nghị kết thúc vào 11 giờ 00 phút cùng ngày./." in texts

    # The dossier figures and the tasks: ruled tables whose header row repeats on every page.
    figures = next(t for t in document.tables if t.rows[0].cells[1].text == "Chỉ tiêu")
    tasks = next(t for t in document.tables if t.rows[0].cells[1].text == "Nội dung nhiệm vụ")
    for table in (figures, tasks):
        assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
        assert table.style.name == "Table Grid"
    assert ["2", "Hồ sơ tiếp nhận trong kỳ", "2.685"] in _cell_texts(figures)
    assert _cell_texts(tasks)[1:] == [
        ["1", "Rà soát hồ sơ đất đai còn tồn đọng.", "Công chức Địa chính - Xây dựng", "31/8/2020"],
        ["2", "Niêm yết thủ tục.", "", "Thường xuyên"],
    ]

    # Signatures: THƯ KÝ left, CHỦ TỌA right, names on one level; then the recipients.
    signatures = _cell_texts(document.tables[-1])
    assert signatures[0][0] == "THƯ KÝ"
    assert signatures[0][1].startswith("CHỦ TỌA")
    assert signatures[1] == [records["conference"].secretaries[0].display_name, "Nguyễn Văn A"]
    heading = next(p for p in document.paragraphs if p.text == "Nơi nhận:")
    assert heading.style.name == "Dialogue Recipients Heading"
    assert heading.style.font.size.pt == 12
    assert heading.runs[0].bold and heading.runs[0].italic
    recipients = texts[texts.index("Nơi nhận:") + 1 :]
    assert recipients[-1] == "- Lưu: VT, Hồ sơ."
    assert all(line.startswith("- ") and line.endswith(";") for line in recipients[:-1])
    assert document.styles["Dialogue Recipient"].font.size.pt == 11


def test_docx_notice_has_one_signature_and_the_referrals(app, records):
    document = _docx(exports.minutes_docx(records["conference"], DocumentType.NOTICE))
    texts = _texts(document)

    assert "THÔNG BÁO" in texts
    assert _cell_texts(document.tables[0])[1] == [
        "Số: …/TB-UBND",
        "Thạch Bàn, ngày … tháng … năm …",
    ]
    referrals = next(t for t in document.tables if t.rows[0].cells[-1].text == "Hạn trả lời")
    assert referrals.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    row = _cell_texts(referrals)[1]
    assert row[0] == "1" and row[2:] == ["Công chức Địa chính - Xây dựng", "10/7/2020"]
    assert "Diện tích thực tế chênh lệch với bản đồ địa chính" in row[1]
    recipients, signature = _cell_texts(document.tables[-1])[0]
    assert recipients.startswith("Nơi nhận:\n- ")
    assert recipients.endswith("- Lưu: VT, Hồ sơ.")
    assert signature.split("\n") == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Nguyễn Văn A"]


def test_docx_uses_the_draft_and_the_published_number(app, ward, records, staff):
    conference = records["conference"]
    draft = MinutesDraft(
        conference=conference,
        doc_type=DocumentType.NOTICE,
        status=DraftStatus.PUBLISHED,
        opening="Đoạn mở đầu do thư ký sửa.",
        conclusion="Kết luận đã sửa.",
        recipients="Các tổ dân phố\nLưu: VT",
    )
    db.session.add(draft)
    db.session.flush()
    number = allocate_number(ward, DocumentType.NOTICE, conference=conference, year=2020)
    published = datetime(2020, 7, 3, 3, 0, tzinfo=UTC)
    db.session.add(
        PublishedDocument(
            draft=draft,
            conference=conference,
            doc_type=DocumentType.NOTICE,
            version=1,
            number=number,
            number_label=number.label,
            html="<p>frozen</p>",
            pdf=b"%PDF-frozen",
            pdf_sha256="0" * 64,
            html_sha256="0" * 64,
            pdf_size=11,
            title="Thông báo",
            published_dt=published,
            published_by=staff[Role.CHAIR],
        )
    )
    db.session.commit()

    document = _docx(exports.minutes_docx(conference, DocumentType.NOTICE))
    texts = _texts(document)
    assert _cell_texts(document.tables[0])[1] == [
        f"Số: {number.label}",
        "Thạch Bàn, ngày 03 tháng 7 năm 2020",
    ]
    assert number.label == "01/TB-UBND"
    assert "Đoạn mở đầu do thư ký sửa." in texts
    assert "Kết luận đã sửa." in texts
    assert "DỰ THẢO" not in texts
    assert "bản chính thức" in document.core_properties.comments


# -- routes -------------------------------------------------------------------------------------


def _get(client, conference, name: str, **args):
    return client.get(f"/conferences/{conference.id}/exports/{name}", query_string=args)


@pytest.mark.parametrize(
    ("name", "mimetype", "filename"),
    [
        ("turns.xlsx", XLSX, "luot-phat-bieu-2020-06-30.xlsx"),
        ("turns.csv", "text/csv", "luot-phat-bieu-2020-06-30.csv"),
        ("bb.docx", DOCX, "bien-ban-2020-06-30.docx"),
        ("tb.docx", DOCX, "thong-bao-ket-luan-2020-06-30.docx"),
    ],
)
def test_downloads_are_attachments_with_dated_ascii_names(
    app, client, login, records, staff, name, mimetype, filename
):
    login(staff[Role.ORGANISER])

    response = _get(client, records["conference"], name)
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=\"{filename}\"; filename*=UTF-8''{filename}"
    )
    assert "no-store" in response.headers["Cache-Control"]
    assert len(response.data) > 100


def test_withdrawn_turns_are_included_on_request(app, client, login, records, staff):
    login(staff[Role.SECRETARY])

    default = _csv_rows(_get(client, records["conference"], "turns.csv").data)
    included = _csv_rows(_get(client, records["conference"], "turns.csv", withdrawn=1).data)
    assert len(default) == 4 and len(included) == 5
    sheet = _workbook(_get(client, records["conference"], "turns.xlsx", withdrawn="1").data)
    assert sheet.max_row == 5 and sheet.cell(row=1, column=15).value == "Trạng thái"


def test_an_unknown_document_type_is_not_found(app, client, login, records, staff):
    login(staff[Role.ORGANISER])

    for name in ("xx.docx", "BB.docx", "turns.docx", "kh.docx"):
        assert _get(client, records["conference"], name).status_code == 404


@pytest.mark.parametrize("role", [Role.ORGANISER, Role.SECRETARY, Role.CHAIR, Role.ADMINISTRATOR])
def test_staff_of_the_ward_may_export(app, client, login, records, staff, role):
    login(staff[role])

    for name in ("turns.xlsx", "turns.csv", "bb.docx"):
        assert _get(client, records["conference"], name).status_code == 200


def test_who_may_not_export(app, client, login, records, staff, make_user, other_ward):
    conference = records["conference"]
    for name in ("turns.xlsx", "turns.csv", "bb.docx", "tb.docx"):
        response = _get(client, conference, name)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login")

    login(staff[Role.RESPONDER])
    for name in ("turns.xlsx", "turns.csv", "bb.docx"):
        assert _get(client, conference, name).status_code == 403

    foreigner = make_user(Role.ORGANISER, ward=other_ward)
    client.post("/auth/logout")
    login(foreigner)
    for name in ("turns.xlsx", "turns.csv", "bb.docx", "tb.docx"):
        assert _get(client, conference, name).status_code == 404


def test_the_conference_page_links_the_exports_for_staff_only(app, client, login, records, staff):
    conference = records["conference"]
    login(staff[Role.CHAIR])
    page = client.get(f"/conferences/{conference.id}").get_data(as_text=True)
    for name in ("turns.xlsx", "turns.csv", "turns.xlsx?withdrawn=1", "bb.docx", "tb.docx"):
        assert f"/conferences/{conference.id}/exports/{name}" in page

    client.post("/auth/logout")
    login(staff[Role.RESPONDER])
    page = client.get(f"/conferences/{conference.id}").get_data(as_text=True)
    assert "/exports/" not in page


# -- for Vietnamese Excel ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "+84 912 345 678",
        "+84 912-345-678 (Zalo)",
        "- Đề nghị công khai: thời hạn giải quyết",
        "- Đề nghị hướng dẫn thủ tục (cấp phép xây dựng) tại Bộ phận Một cửa - tầng 1, tổ 5/9",
    ],
)
def test_ordinary_text_with_a_sign_is_written_as_typed(app, records, text):
    _add_turn(records, text, speaker_name=text)
    row = _csv_rows(exports.turns_csv(records["conference"]))[-1]
    assert row[1] == text and row[5] == text
    sheet = _workbook(exports.turns_xlsx(records["conference"]))
    cell = sheet.cell(row=sheet.max_row, column=6)
    assert cell.value == text and cell.data_type == "s" and not cell.quotePrefix


def test_a_semicolon_csv_for_excel_with_vietnamese_settings(app, client, login, records, staff):
    login(staff[Role.SECRETARY])
    response = _get(client, records["conference"], "turns.csv", sep="semicolon")
    # One charset in the header, whatever the separator.
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        "luot-phat-bieu-excel-tieng-viet-2020-06-30.csv" in response.headers["Content-Disposition"]
    )
    text = response.data.decode("utf-8-sig")
    header = text.split("\r\n", 1)[0]
    assert header.startswith("STT;Người phát biểu;")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows == _csv_rows(exports.turns_csv(records["conference"]))
    page = client.get(f"/conferences/{records['conference'].id}").text
    assert "sep=semicolon" in page


def test_the_workbook_prints_to_the_width_of_the_page(app, records):
    sheet = _workbook(exports.turns_xlsx(records["conference"]))
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
