"""The ward's figures as files: the workbook and the report (BC), checked against the hand count."""

from __future__ import annotations

import io
import unicodedata
from datetime import date
from decimal import Decimal

import pdfplumber
import pytest
from openpyxl import load_workbook

from dialogue.auth.models import Role
from dialogue.documents.composed import Column, Kind, Properties, Rows
from dialogue.documents.xlsx import write_workbook
from dialogue.stats import export
from dialogue.stats.figures import Period, half_period, year_period
from tests.test_stats import TODAY, build_data

XLSX = export.XLSX_MIMETYPE


@pytest.fixture
def data(ward, other_ward, make_conference):
    ward.place_name = "Thạch Bàn"
    ward.name = "Thạch Bàn"
    ward.parent_agency = ""
    ward.province = "Thành phố Hà Nội"
    return build_data(ward, other_ward, make_conference)


def _workbook(content: bytes):
    return load_workbook(io.BytesIO(content))


def _table(sheet) -> tuple[list, list[list]]:
    """The header row and the rows under it (a heading line and a blank line come first)."""
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    return rows[2], rows[3:]


def _by_label(rows, column: int = 1) -> dict:
    return {row[column]: row for row in rows}


def _pdf_text(content: bytes) -> str:
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def _flat(text: str) -> str:
    """One line of NFC text with plain spaces: table cells and wrapped lines read as prose."""
    return " ".join(unicodedata.normalize("NFC", text).replace("\u00a0", " ").split())


# -- the workbook ---------------------------------------------------------------------------------


def test_the_workbook_writer_writes_several_sheets_with_percentages():
    percent = Column("share", "Tỷ lệ (%)", 10, kind=Kind.PERCENT)
    first = Rows(
        title="Một: [thử]/dài hơn ba mươi mốt ký tự nữa",
        heading="Tiêu đề",
        columns=(Column("n", "Số", 6, kind=Kind.INTEGER), percent),
        rows=[{"n": 1, "share": Decimal("52.8")}, {"n": 2, "share": None}],
    )
    second = Rows(title="Hai", columns=(percent,), rows=[{"share": Decimal("100.0")}])
    book = _workbook(
        write_workbook((first, second), properties=Properties(title="Sổ", author="UBND"))
    )
    one, two = book.worksheets
    assert one.title == "Một- -thử--dài hơn ba mươi mốt"  # 31 characters, the last a space
    assert one["A1"].value == "Tiêu đề" and one["A3"].value == "Số"
    assert one["B4"].value == pytest.approx(0.528) and one["B4"].number_format == "0.0%"
    assert one["B5"].value is None
    assert one.freeze_panes == "A4" and one.auto_filter.ref == "A3:B5"
    assert two["A1"].value == "Tỷ lệ (%)" and two["A2"].value == 1
    assert two.freeze_panes == "A2"
    assert book.properties.title == "Sổ" and book.properties.creator == "UBND"
    with pytest.raises(ValueError):
        write_workbook(())


def test_the_workbook_has_a_sheet_for_each_block_of_the_page(app, data):
    with app.test_request_context():
        book = _workbook(export.figures_xlsx(data["ward"], year_period(2024), today=TODAY))
    assert book.sheetnames == [
        "Hội nghị",
        "Theo tổ dân phố",
        "Theo thành phần",
        "Theo lĩnh vực",
        "Kiến nghị chuyển",
        "Hồ sơ TTHC",
        "Hồ sơ theo hội nghị",
        "Sự hài lòng",
        "Đánh giá câu trả lời",
    ]
    assert book.properties.title == "Số liệu đối thoại năm 2024 – Phường Thạch Bàn"
    for sheet in book.worksheets:
        assert sheet["A1"].value.endswith("Phường Thạch Bàn – Năm 2024")
        assert sheet["A1"].font.bold
        assert sheet.freeze_panes == "A4"

    header, rows = _table(book["Hội nghị"])
    assert header == ["STT", "Ngày tổ chức", "Hội nghị", "Trạng thái", "Ghi chú"]
    assert [(row[0], row[1].date(), row[2]) for row in rows] == [
        (1, date(2024, 1, 21), "Một"),
        (2, date(2024, 7, 1), "Hai"),  # the local day
    ]


def test_the_workbooks_figures_equal_the_hand_count(app, data):
    with app.test_request_context():
        book = _workbook(export.figures_xlsx(data["ward"], year_period(2024), today=TODAY))

    _header, rows = _table(book["Theo tổ dân phố"])
    groups = _by_label(rows)
    assert groups["Tổ dân phố số 901"][3] == 8 and groups["Tổ dân phố số 902"][3] == 1
    assert groups["Tổng cộng"][3] == 9 and groups["Tổng cộng"][0] is None
    _header, rows = _table(book["Theo thành phần"])
    categories = _by_label(rows)
    assert categories["Đại biểu thử"][3] == 7
    assert categories["Không thuộc thành phần nào"][3] == 2  # in Vietnamese, as documents are

    header, rows = _table(book["Theo lĩnh vực"])
    assert header[-1] == "Tỷ lệ trả lời tại hội nghị (%)"
    areas = _by_label(rows)
    assert areas["Lĩnh vực thử"][2:6] == [3, 2, 0, 5]
    assert areas["Chưa xác định lĩnh vực"][3] == 2
    total = areas["Tổng cộng"]
    assert total[2:6] == [3, 4, 0, 7]
    # A percentage is a number, shown as one: 3/7 = 42,9%.
    assert total[6] == pytest.approx(0.429)
    assert book["Theo lĩnh vực"].cell(row=len(rows) + 3, column=7).number_format == "0.0%"

    _header, rows = _table(book["Kiến nghị chuyển"])
    referrals = _by_label(rows)
    assert [referrals[label][2] for label in ("Trả lời đúng hạn", "Trả lời muộn")] == [1, 1]
    assert referrals["Chưa trả lời, còn hạn"][2] == 1 and referrals["Quá hạn"][2] == 1
    assert referrals["Trả lời đúng hạn"][3] == pytest.approx(0.25)
    assert referrals["Tổng cộng"][2] == 4
    assert "tính đến ngày 31/12/2024" in book["Kiến nghị chuyển"]["A1"].value

    header, rows = _table(book["Hồ sơ TTHC"])
    now, before = (dict(zip(header, row, strict=True)) for row in rows)
    assert (now["Kỳ"], now["Thời gian"], before["Thời gian"]) == (
        "Kỳ báo cáo",
        "Năm 2024",
        "Năm 2023",
    )
    assert now["Số báo cáo của các hội nghị"] == 2 and before["Số báo cáo của các hội nghị"] == 1
    assert now["Hồ sơ tiếp nhận trong kỳ"] == 600
    assert now["Tổng số hồ sơ phải giải quyết"] == 620
    assert now["Hồ sơ đã giải quyết"] == 590
    rate = "Tỷ lệ trước hạn, đúng hạn và trong hạn (trên tổng số phải giải quyết) (%)"
    assert now[rate] == pytest.approx(0.968)  # 600 / 620
    assert now["Tỷ lệ hồ sơ tiếp nhận trực tuyến (%)"] == pytest.approx(0.25)
    assert before["Tỷ lệ hồ sơ tiếp nhận trực tuyến (%)"] == pytest.approx(0.333)
    _header, rows = _table(book["Hồ sơ theo hội nghị"])
    assert [row[2] for row in rows] == ["Một", "Hai"]

    _header, rows = _table(book["Sự hài lòng"])
    survey = _by_label(rows)
    assert survey["Chung cả năm yếu tố"][2:] == [14, 11, pytest.approx(0.786)]
    assert survey["Tiếp cận dịch vụ"][4] == pytest.approx(1.0)
    assert survey["Công chức trực tiếp giải quyết công việc"][4] == pytest.approx(0.667)
    _header, rows = _table(book["Đánh giá câu trả lời"])
    ratings = _by_label(rows)
    assert ratings["Trả lời tại hội nghị"][2:] == [3, 2, pytest.approx(0.667)]
    assert ratings["Tổng cộng"][2] == 3


def test_an_empty_period_gives_a_workbook_of_empty_tables(app, data):
    with app.test_request_context():
        book = _workbook(export.figures_xlsx(data["ward"], year_period(2019), today=TODAY))
    assert "Đánh giá câu trả lời" not in book.sheetnames  # ratings only when there are some
    _header, rows = _table(book["Hội nghị"])
    assert rows == []
    _header, rows = _table(book["Theo lĩnh vực"])
    assert rows == [[None, "Tổng cộng", 0, 0, 0, 0, None]]  # no rate where nothing divides


# -- the report -----------------------------------------------------------------------------------


def test_the_report_has_the_official_header_and_the_figures(app, data):
    with app.test_request_context():
        content = export.report_pdf(data["ward"], year_period(2024), today=date(2026, 12, 6))
    assert content.startswith(b"%PDF")
    text = _flat(_pdf_text(content))
    # The header's two columns come out side by side, line by line.
    assert "ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "PHƯỜNG THẠCH BÀN Độc lập - Tự do - Hạnh phúc" in text
    assert "Số: /BC-UBND" in text  # the number left for the clerk
    assert "Thạch Bàn, ngày 06 tháng 12 năm 2026" in text
    assert "BÁO CÁO" in text
    assert (
        "Kết quả tổ chức hội nghị đối thoại giữa Chủ tịch UBND phường với Nhân dân, doanh "
        "nghiệp về cải cách thủ tục hành chính năm 2024" in text
    )
    assert "đã tổ chức 02 hội nghị đối thoại" in text
    assert "có mặt tại các hội nghị: 9 người" in text
    assert "Tại các hội nghị có 7 lượt ý kiến phát biểu" in text
    assert "3 ý kiến được trả lời trực tiếp tại hội nghị (đạt 42,9%)" in text
    assert "trong tổng số 4 kiến nghị" in text
    assert "Tỷ lệ trước hạn, đúng hạn và trong hạn" in text and "96,8%" in text
    assert "tỷ lệ hài lòng chung cả năm yếu tố đạt 78,6%" in text
    assert "Năm 2023" in text  # the previous period beside this one
    assert "TM. ỦY BAN NHÂN DÂN" in text and "CHỦ TỊCH" in text
    assert "Nơi nhận:" in text and "UBND thành phố Hà Nội (để báo cáo)" in text
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        assert pdf.metadata["Title"].startswith("Báo cáo kết quả tổ chức hội nghị đối thoại")
        # The charts are drawn in: vector paths beside the tables' rules.
        assert sum(len(page.rects) + len(page.curves) for page in pdf.pages) > 10


def test_the_report_names_a_half_year_and_a_custom_period(app, data):
    with app.test_request_context():
        half = _flat(_pdf_text(export.report_pdf(data["ward"], half_period(2024, 1), today=TODAY)))
        custom = _flat(
            _pdf_text(
                export.report_pdf(
                    data["ward"], Period(date(2024, 1, 1), date(2024, 2, 29)), today=TODAY
                )
            )
        )
    assert "cải cách thủ tục hành chính 6 tháng đầu năm 2024" in half
    assert "đã tổ chức 01 hội nghị đối thoại" in half
    assert "từ ngày 01/01/2024 đến ngày 29/02/2024" in custom
    assert "Từ ngày 01/01/2024 đến ngày 29/02/2024, Ủy ban nhân dân phường Thạch Bàn" in custom


def test_a_period_without_conferences_still_gives_a_report_that_says_so(app, data):
    with app.test_request_context():
        content = export.report_pdf(data["ward"], year_period(2019), today=TODAY)
    text = _flat(_pdf_text(content))
    assert "không tổ chức hội nghị đối thoại nào" in text
    assert "Thành phần tham dự" not in text
    assert "TM. ỦY BAN NHÂN DÂN" in text


# -- the routes -----------------------------------------------------------------------------------


def test_the_page_links_both_exports_for_its_period(client, login, make_user, data):
    login(make_user(Role.CHAIR))
    page = client.get("/stats/?kind=half&year=2024&half=2").get_data(as_text=True)
    assert 'href="/stats/figures.xlsx?kind=half&amp;year=2024&amp;half=2"' in page
    assert 'href="/stats/report.pdf?kind=half&amp;year=2024&amp;half=2"' in page
    page = client.get("/stats/?kind=custom&start=2024-03-01&end=2024-03-31").get_data(as_text=True)
    assert "/stats/report.pdf?kind=custom&amp;start=2024-03-01&amp;end=2024-03-31" in page


def test_the_downloads_are_dated_attachments(client, login, make_user, data):
    login(make_user(Role.ORGANISER))
    response = client.get("/stats/figures.xlsx?kind=year&year=2024")
    assert response.status_code == 200 and response.content_type == XLSX
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="so-lieu-doi-thoai-nam-2024-')
    assert response.headers["Cache-Control"] == "private, no-store"
    rows = _table(_workbook(response.data)["Theo lĩnh vực"])[1]
    assert _by_label(rows)["Tổng cộng"][5] == 7

    response = client.get("/stats/report.pdf?kind=half&year=2024&half=2")
    assert response.status_code == 200 and response.content_type == "application/pdf"
    assert (
        'filename="bao-cao-ket-qua-doi-thoai-6-thang-cuoi-nam-2024-'
        in (response.headers["Content-Disposition"])
    )
    assert "6 tháng cuối năm 2024" in _flat(_pdf_text(response.data))


def test_the_files_stay_vietnamese_in_the_english_interface(client, login, make_user, data):
    login(make_user(Role.SECRETARY))
    client.get("/locale?locale=en")
    page = client.get("/stats/?kind=year&year=2024").get_data(as_text=True)
    assert "Download these figures" in page and "Answered on time" in page
    text = _flat(_pdf_text(client.get("/stats/report.pdf?kind=year&year=2024").data))
    assert "Kết quả tổ chức hội nghị đối thoại" in text and "Trả lời đúng hạn" in text
    assert "Answered on time" not in text and "Total" not in text
    book = _workbook(client.get("/stats/figures.xlsx?kind=year&year=2024").data)
    assert "Không thuộc thành phần nào" in _by_label(_table(book["Theo thành phần"])[1])
    assert book["Hồ sơ TTHC"]["C3"].value  # headers and sheet names in Vietnamese


@pytest.mark.parametrize("name", ["figures.xlsx", "report.pdf"])
def test_a_bad_period_is_answered_in_place(client, login, make_user, data, name):
    login(make_user(Role.SECRETARY))
    response = client.get(f"/stats/{name}?kind=custom&start=2024-12-01&end=2024-01-01")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Ngày kết thúc đứng trước ngày bắt đầu" in page and 'class="error"' in page
    response = client.get(f"/stats/{name}?kind=year&year=abc")
    assert response.status_code == 422


@pytest.mark.parametrize("name", ["figures.xlsx", "report.pdf"])
@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.ORGANISER, 200),
        (Role.CHAIR, 200),
        (Role.SECRETARY, 200),
        (Role.ADMINISTRATOR, 200),
        (Role.RESPONDER, 403),
    ],
)
def test_who_may_download_the_figures(client, login, make_user, role, status, name):
    login(make_user(role))
    assert client.get(f"/stats/{name}").status_code == status


@pytest.mark.parametrize("name", ["figures.xlsx", "report.pdf"])
def test_signed_out_visitors_are_sent_to_sign_in(client, name):
    response = client.get(f"/stats/{name}?kind=year&year=2024")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
