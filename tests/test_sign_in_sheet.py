"""The sign-in sheet: sections a clerk expects, Vietnamese text read back from the PDF."""

from __future__ import annotations

import io
import unicodedata
from datetime import UTC, datetime

import pdfplumber
import pytest

from dialogue.attendance import operations, sheets
from dialogue.attendance.models import AttendanceStatus, Attendee
from dialogue.auth.models import Role
from dialogue.conferences.models import ConferenceStatus
from dialogue.extensions import db
from dialogue.wards.models import ResidentialGroup


def _category(ward, code):
    return next(category for category in ward.delegate_categories if category.code == code)


@pytest.fixture
def groups(ward):
    groups = [
        ResidentialGroup(ward=ward, number=n, name=f"Tổ dân phố số {n}") for n in (1, 2, 9, 15)
    ]
    db.session.add_all(groups)
    db.session.commit()
    return {group.number: group for group in groups}


@pytest.fixture
def conference(make_conference):
    return make_conference(
        status=ConferenceStatus.IN_PROGRESS,
        title="Hội nghị đối thoại",
        subject="Đối thoại giữa Chủ tịch UBND phường với Nhân dân về cải cách thủ tục hành chính",
        # 8 giờ 00 phút, ngày 30 tháng 6 năm 2020 in Hà Nội.
        start_dt=datetime(2020, 6, 30, 1, 0, tzinfo=UTC),
        planned_end_dt=datetime(2020, 6, 30, 4, 0, tzinfo=UTC),
    )


def _add(conference, full_name, *, group=None, category=None, **values):
    values.setdefault("is_invited", True)
    attendee = Attendee(
        conference_id=conference.id,
        full_name=full_name,
        residential_group_id=group.id if group else None,
        delegate_category_id=category.id if category else None,
        **values,
    )
    db.session.add(attendee)
    return attendee


@pytest.fixture
def filled(conference, ward, groups):
    """A small list: delegates of three categories, residents of two groups, a walk-in."""
    front = _category(ward, "MTTQ")
    council = _category(ward, "TT_HDND")
    heads = _category(ward, "TO_TRUONG")
    residents = _category(ward, "NHAN_DAN")
    _add(conference, "Nguyễn Văn Đức", group=groups[9], category=heads, title="Tổ trưởng")
    _add(conference, "Trần Thị Bình", category=front, title="Chủ tịch UBMTTQ phường")
    _add(conference, "Lê Văn An", group=groups[2], category=heads, title="Tổ trưởng")
    _add(conference, "Phạm Thị Hồng", category=council, title="Phó Chủ tịch HĐND phường")
    _add(conference, "Đỗ Quang Vinh", group=groups[15], category=residents)
    _add(conference, "Hoàng Thị Ánh", group=groups[1], category=residents)
    _add(conference, "Bùi Văn Cường", group=groups[1], category=residents)
    _add(
        conference,
        "Vũ Thị Yến",
        group=groups[1],
        category=residents,
        status=AttendanceStatus.EXCUSED,
    )
    _add(
        conference,
        "Đặng Văn Khoa",
        organisation="Công ty TNHH Ánh Dương",
        category=_category(ward, "DOANH_NGHIEP"),
        is_invited=False,
        status=AttendanceStatus.PRESENT,
    )
    db.session.commit()
    return conference


def _render(app, conference) -> bytes:
    # A document is rendered in a request (the view) or by a command; render_template's
    # context processors (web.py) need a request context for now.
    with app.test_request_context("/"):
        return sheets.render_sign_in_sheet(conference)


def _pdf_text(content: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        return [unicodedata.normalize("NFC", page.extract_text() or "") for page in pdf.pages]


def test_sections_in_the_order_a_clerk_expects(app, filled, ward):
    sections = sheets.build_sections(filled, operations.sheet_attendees(filled))
    headings = [section.heading for section in sections]
    assert headings == [
        "I. Thường trực Hội đồng nhân dân",
        "II. Ủy ban Mặt trận Tổ quốc Việt Nam",
        "III. Tổ trưởng tổ dân phố",
        "IV. Doanh nghiệp, hợp tác xã, hộ kinh doanh",
        "V. Nhân dân tổ dân phố số 1",
        "VI. Nhân dân tổ dân phố số 15",
    ]
    heads = sections[2].rows
    # Within a section: by group number, then by given name.
    assert [(row.number, row.full_name, row.group) for row in heads] == [
        (1, "Lê Văn An", "2"),
        (2, "Nguyễn Văn Đức", "9"),
    ]
    group_one = sections[4].rows
    assert [row.full_name for row in group_one] == ["Hoàng Thị Ánh", "Bùi Văn Cường", "Vũ Thị Yến"]
    assert [row.is_excused for row in group_one] == [False, False, True]
    assert sections[3].rows[0].position == "Công ty TNHH Ánh Dương"
    assert not sections[3].rows[0].is_invited


def test_roman_numerals():
    assert [sheets.roman(n) for n in (1, 4, 9, 14, 40, 99)] == [
        "I",
        "IV",
        "IX",
        "XIV",
        "XL",
        "XCIX",
    ]


def test_sheet_reads_back_in_vietnamese(app, filled):
    pages = _pdf_text(_render(app, filled))
    text = "\n".join(pages)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert "ỦY BAN NHÂN DÂN" in text and "PHƯỜNG THẠCH BÀN" in text
    assert "Thạch Bàn, ngày 30 tháng 6 năm 2020" in text
    assert "DANH SÁCH ĐẠI BIỂU DỰ HỘI NGHỊ" in text
    assert "Đối thoại giữa Chủ tịch UBND phường với Nhân dân" in text
    assert "8 giờ 00 phút, ngày 30 tháng 6 năm 2020" in text
    for header in ("STT", "Họ và tên", "Chức vụ / Cơ quan", "Tổ dân phố", "Ký tên"):
        assert header in text
    for name in (
        "Nguyễn Văn Đức",
        "Trần Thị Bình",
        "Phạm Thị Hồng",
        "Đỗ Quang Vinh",
        "Hoàng Thị Ánh",
        "Bùi Văn Cường",
    ):
        assert name in text, name
    assert "Đặng Văn Khoa (*)" in text
    assert "(*) Đến dự, không có giấy mời." in text
    assert "Vắng có lý do" in text
    assert "I. Thường trực Hội đồng nhân dân" in text
    assert (
        "Tổng số: 9 người, trong đó 8 người được mời và 1 người đến dự không có giấy mời." in text
    )


def test_a_long_list_spans_pages_and_repeats_the_table_header(app, conference, ward, groups):
    residents = _category(ward, "NHAN_DAN")
    for n in range(1, 61):
        _add(conference, f"Nguyễn Thị Hương {n:02d}", group=groups[1], category=residents)
    db.session.commit()
    pages = _pdf_text(_render(app, conference))
    assert len(pages) >= 3
    for page in pages:
        assert "Họ và tên" in page and "Ký tên" in page and "Chức vụ / Cơ quan" in page
    text = "\n".join(pages)
    # Everyone is there, once, in order.
    positions = [text.index(f"Nguyễn Thị Hương {n:02d}") for n in range(1, 61)]
    assert positions == sorted(positions)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in pages[0]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" not in pages[1]


def test_an_empty_list_still_makes_a_sheet(app, conference):
    text = "\n".join(_pdf_text(_render(app, conference)))
    assert "DANH SÁCH ĐẠI BIỂU DỰ HỘI NGHỊ" in text
    assert "Danh sách chưa có đại biểu." in text


def test_names_are_text_not_markup(app, conference, ward):
    _add(conference, "<b>Nguyễn</b> & Con", organisation="<script>x</script>")
    db.session.commit()
    text = "\n".join(_pdf_text(_render(app, conference)))
    assert "<b>Nguyễn</b> & Con" in text


def test_the_view_sends_the_pdf(client, login, make_user, filled):
    login(make_user(Role.SECRETARY))
    response = client.get(f"/conferences/{filled.id}/attendance/sign-in-sheet.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert "danh-sach-dai-bieu" in response.headers["Content-Disposition"]
    assert "Nguyễn Văn Đức" in "\n".join(_pdf_text(response.data))
