"""The residents' notice: the page, the printable PDF and the calendar file, with no account."""

from __future__ import annotations

import html
import io
import re
import unicodedata
from datetime import UTC, date, datetime, timedelta

import pdfplumber
import pytest

from dialogue.conferences import operations
from dialogue.conferences.calendar import MAX_LINE_OCTETS, escape_text, fold_line
from dialogue.conferences.models import AgendaItem, ConferenceStatus
from dialogue.conferences.operations import AgendaItemData
from dialogue.extensions import db

# 30/6/2020 8:00–11:00 in Hà Nội is 01:00–04:00 UTC.
START = datetime(2020, 6, 30, 1, 0, tzinfo=UTC)
END = datetime(2020, 6, 30, 4, 0, tzinfo=UTC)
TITLE = "Hội nghị đối thoại giữa Chủ tịch UBND phường với Nhân dân, doanh nghiệp về cải cách TTHC"


@pytest.fixture
def app_config(app_config):
    # Messages are checked in English here; the Vietnamese catalogue has tests of its own.
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def announced(ward, make_conference, make_person):
    """The conference of 30/6/2020 as residents saw it, with people whose contacts are private."""
    ward.address = "Số 1 phố Thạch Bàn, quận Long Biên"
    chair = make_person(
        full_name="Nguyễn Văn A",
        title="Chủ tịch UBND phường",
        phone="0912 345 678",
        email="chutich@example.org",
        has_consent=True,
        note="Ghi chú nội bộ",
    )
    front = make_person(
        full_name="Trần Thị B",
        title="Chủ tịch UBMTTQ phường",
        phone="0987 654 321",
        has_consent=True,
    )
    conference = make_conference(
        title=TITLE,
        subject="Đối thoại về cải cách thủ tục hành chính",
        plan_number="39/KH-UBND",
        plan_date=date(2020, 2, 7),
        reporting_period="6 tháng đầu năm 2020",
        start_dt=START,
        planned_end_dt=END,
        venue="Hội trường UBND phường Thạch Bàn; tầng 2, số 1",
        chair=chair,
        cochairs=[front],
        status=ConferenceStatus.ANNOUNCED,
        announced_dt=datetime(2020, 6, 20, 2, 0, tzinfo=UTC),
    )
    for title, presenter in (
        ("Khai mạc, giới thiệu đại biểu", ""),
        ("Báo cáo kết quả giải quyết thủ tục hành chính", "Phó Chủ tịch UBND phường"),
        ("Đối thoại với Nhân dân, doanh nghiệp", ""),
    ):
        conference.agenda_items.append(AgendaItem(title=title, presenter=presenter))
    db.session.commit()
    return conference


def notice_url(conference, suffix: str = "") -> str:
    return f"/p/{conference.ward.slug}/hoi-nghi/{conference.id}{suffix}"


def visible_text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


# -- the page -----------------------------------------------------------------------------------


def test_the_notice_is_public_and_written_the_vietnamese_way(client, announced):
    response = client.get(notice_url(announced))
    assert response.status_code == 200
    page = response.text
    text = " ".join(visible_text(page).split())
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in page
    assert "ngày 30 tháng 6 năm 2020" in text
    assert "Thứ Ba" in text  # 30/6/2020 was a Tuesday
    assert "8 giờ 00 phút" in text and "11 giờ 00 phút" in text
    assert "Hội trường UBND phường Thạch Bàn; tầng 2, số 1" in text
    assert "Nguyễn Văn A - Chủ tịch UBND phường" in text
    assert "Trần Thị B - Chủ tịch UBMTTQ phường" in text
    assert "39/KH-UBND" in text
    agenda = re.search(r'<ol class="notice-agenda">.*?</ol>', page, re.S).group(0)
    positions = [agenda.index(t) for t in ("Khai mạc", "Báo cáo kết quả", "Đối thoại với")]
    assert positions == sorted(positions)
    # How to send a question in advance, at the ward office.
    assert "one-stop desk" in text
    assert "Số 1 phố Thạch Bàn, quận Long Biên" in text
    assert 'id="ask"' in page
    # Print and calendar links; no dead link to a form that does not exist yet.
    assert f'href="{notice_url(announced, "/thong-bao.pdf")}"' in page
    assert f'href="{notice_url(announced, "/lich.ics")}"' in page
    assert "<script>" not in page


def test_the_notice_shows_no_personal_data(client, announced):
    page = client.get(notice_url(announced)).text
    for private in (
        "0912 345 678",
        "0987 654 321",
        "chutich@example.org",
        "Ghi chú nội bộ",
        "tel:",
        "mailto:",
    ):
        assert private not in page
    for private in ("0912 345 678", "chutich@example.org"):
        assert private.encode() not in client.get(notice_url(announced, "/lich.ics")).data


def test_a_draft_is_not_public(client, make_conference, ward):
    draft = make_conference()
    assert client.get(notice_url(draft)).status_code == 404
    assert client.get(notice_url(draft, "/lich.ics")).status_code == 404
    assert client.get(notice_url(draft, "/thong-bao.pdf")).status_code == 404
    assert draft.title not in client.get(f"/p/{ward.slug}/").text


def test_a_conference_is_found_only_under_its_own_ward(client, announced, other_ward):
    assert client.get(f"/p/{other_ward.slug}/hoi-nghi/{announced.id}").status_code == 404
    assert client.get(f"/p/no-such-ward/hoi-nghi/{announced.id}").status_code == 404
    assert client.get(f"/p/{announced.ward.slug}/hoi-nghi/999999").status_code == 404


def test_an_inactive_ward_has_no_public_pages(client, announced):
    announced.ward.is_active = False
    db.session.commit()
    assert client.get(notice_url(announced)).status_code == 404
    assert client.get(f"/p/{announced.ward.slug}/").status_code == 404


def test_a_cancelled_notice_tells_residents_why(client, announced):
    operations.change_status(announced, ConferenceStatus.CANCELLED, reason="Bão số 3 đổ bộ")
    db.session.commit()
    response = client.get(notice_url(announced))
    assert response.status_code == 200
    text = visible_text(response.text)
    assert "cancelled" in text.lower() or "hủy" in text.lower()
    assert "Bão số 3 đổ bộ" in text
    assert "/thong-bao.pdf" not in response.text
    assert client.get(notice_url(announced, "/thong-bao.pdf")).status_code == 404
    assert b"STATUS:CANCELLED" in client.get(notice_url(announced, "/lich.ics")).data


def test_a_draft_cancelled_before_announcing_stays_unknown(client, make_conference):
    conference = make_conference()
    operations.change_status(conference, ConferenceStatus.CANCELLED, reason="Đổi kế hoạch")
    db.session.commit()
    assert client.get(notice_url(conference)).status_code == 404


def test_back_to_draft_takes_the_notice_offline(client, announced):
    operations.change_status(announced, ConferenceStatus.DRAFT)
    db.session.commit()
    assert client.get(notice_url(announced)).status_code == 404


def test_the_ward_page_lists_coming_conferences(client, ward, make_conference, announced):
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=12)
    coming = make_conference(
        title="Hội nghị đối thoại cuối năm",
        start_dt=start,
        planned_end_dt=start + timedelta(hours=2),
        status=ConferenceStatus.ANNOUNCED,
        announced_dt=datetime.now(UTC),
    )
    make_conference(title="Bản nháp chưa công bố")
    page = client.get(f"/p/{ward.slug}/").text
    assert "Hội nghị đối thoại cuối năm" in page
    assert f'href="{notice_url(coming)}"' in page
    assert "Bản nháp chưa công bố" not in page


# -- the printable notice -----------------------------------------------------------------------


def test_the_printable_notice_is_a_pdf_thong_bao(client, announced):
    response = client.get(notice_url(announced, "/thong-bao.pdf"))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    with pdfplumber.open(io.BytesIO(response.data)) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    text = " ".join(unicodedata.normalize("NFC", text).split())
    assert "THÔNG BÁO" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "ỦY BAN NHÂN DÂN" in text
    assert "/TB-UBND" in text
    assert "ngày 30 tháng 6 năm 2020" in text
    assert "8 giờ 00 phút" in text
    assert "Kế hoạch số 39/KH-UBND ngày 07/02/2020" in text
    assert "Thạch Bàn, ngày 20 tháng 6 năm 2020" in text  # the day it was announced
    assert "Báo cáo kết quả giải quyết thủ tục hành chính" in text
    assert "0912 345 678" not in text


# -- the calendar file --------------------------------------------------------------------------


def unfold(content: str) -> list[str]:
    """Undo RFC 5545 line folding: a CRLF followed by one space continues the line."""
    return content.replace("\r\n ", "").split("\r\n")


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def properties(lines: list[str]) -> dict[str, str]:
    found = {}
    for line in lines:
        name, _, value = line.partition(":")
        found.setdefault(name, value)
    return found


def test_the_calendar_file_parses_back_with_utc_times(client, announced):
    response = client.get(notice_url(announced, "/lich.ics"))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.data
    content = raw.decode("utf-8")
    # Every line ends with CRLF, and no physical line is longer than 75 octets.
    assert content.endswith("\r\n")
    physical = content.split("\r\n")[:-1]
    assert "\n" not in "".join(physical) and "\r" not in "".join(physical)
    assert all(len(line.encode("utf-8")) <= MAX_LINE_OCTETS for line in physical)
    assert any(line.startswith(" ") for line in physical), "the long description is folded"

    lines = unfold(content)
    assert lines[0] == "BEGIN:VCALENDAR"
    assert lines[-2] == "END:VCALENDAR" and lines[-1] == ""
    assert lines.index("BEGIN:VEVENT") < lines.index("END:VEVENT")
    event = properties(lines[lines.index("BEGIN:VEVENT") + 1 : lines.index("END:VEVENT")])
    assert event["DTSTART"] == "20200630T010000Z"
    assert event["DTEND"] == "20200630T040000Z"
    assert re.fullmatch(r"\d{8}T\d{6}Z", event["DTSTAMP"])
    assert event["UID"].startswith(f"conference-{announced.id}@")
    assert unescape(event["SUMMARY"]) == TITLE
    assert unescape(event["LOCATION"]) == "Hội trường UBND phường Thạch Bàn; tầng 2, số 1"
    assert event["LOCATION"] == "Hội trường UBND phường Thạch Bàn\\; tầng 2\\, số 1"
    description = unescape(event["DESCRIPTION"])
    assert "1. Khai mạc, giới thiệu đại biểu" in description.split("\n")
    assert event["STATUS"] == "CONFIRMED"
    assert event["URL"].endswith(notice_url(announced))
    assert properties(lines)["VERSION"] == "2.0"


def test_escaping_follows_rfc_5545():
    assert escape_text("a,b;c\\d\ne\r\nf") == "a\\,b\\;c\\\\d\\ne\\nf"


@pytest.mark.parametrize("text", ["x" * 200, "Hội nghị đối thoại " * 12, "ữ" * 80, "a" + "ữ" * 80])
def test_folding_never_splits_a_character_and_keeps_75_octets(text):
    folded = fold_line("DESCRIPTION:" + text)
    pieces = folded.split("\r\n")
    assert all(len(piece.encode("utf-8")) <= 75 for piece in pieces)
    assert all(piece.startswith(" ") for piece in pieces[1:])
    assert "".join([pieces[0], *(piece[1:] for piece in pieces[1:])]) == "DESCRIPTION:" + text
    # Each piece decodes on its own: no character was cut in two.
    for piece in pieces:
        piece.encode("utf-8").decode("utf-8")


def test_a_short_line_is_not_folded():
    assert fold_line("SUMMARY:Hội nghị") == "SUMMARY:Hội nghị"


def test_agenda_items_added_through_operations_reach_the_notice(client, ward, make_conference):
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)
    conference = make_conference(start_dt=start, planned_end_dt=start + timedelta(hours=2))
    operations.add_agenda_item(conference, AgendaItemData(title="Mục một"))
    operations.announce_conference(conference)
    db.session.commit()
    assert "Mục một" in client.get(notice_url(conference)).text
