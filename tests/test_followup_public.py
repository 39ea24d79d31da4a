"""What residents see of referred questions: the ward's follow-up page, one referral's page, the
signed reply letter, the follow-up section of the published minutes and the sender's private page."""

from __future__ import annotations

import hashlib
import html
import io
import re
from datetime import UTC, date, datetime, time, timedelta

import pdfplumber
import pytest

from dialogue.conferences.models import ConferenceStatus
from dialogue.extensions import db
from dialogue.followup import listing
from dialogue.followup.models import (
    AnswerStatus,
    ReferralRequest,
    ReferralStatus,
    RequestKind,
    WrittenAnswer,
)
from dialogue.live.models import Turn, TurnOutcome
from dialogue.questions.models import QuestionStatus, ResidentQuestion
from dialogue.wards.models import ResidentialGroup, Unit
from tests.test_archive import page_text, pdf_of, publish, publish_rendered

# 30/6/2020 8:00 in Hà Nội.
START = datetime(2020, 6, 30, 1, 0, tzinfo=UTC)
TITLE = "Hội nghị đối thoại về cải cách thủ tục hành chính 6 tháng đầu năm 2020"
SPEAKER = "Phạm Thị Riêng Tư"
ASKER = "Lê Văn Người Gửi"
CONTACT = "0912 345 678"
SECRET_DRAFT = "Bản nháp chưa duyệt của đơn vị"
RETURN_REASON = "Lý do trả lại nội bộ của chủ tọa"
REQUEST_REASON = "Lý do xin gia hạn nội bộ của đơn vị"
LAND_QUESTION = (
    "Đề nghị hướng dẫn thủ tục cấp giấy chứng nhận quyền sử dụng đất đai cho hộ gia đình."
)
ROAD_QUESTION = "Đường ngõ 12 tổ dân phố số 5 xuống cấp, đề nghị phường sửa chữa."
SOCIAL_QUESTION = "Đề nghị xem xét hồ sơ trợ cấp xã hội của người cao tuổi."
ANSWER_BODY = (
    "Ủy ban nhân dân phường đã kiểm tra hồ sơ của hộ gia đình.\n"
    "Hồ sơ đủ điều kiện và sẽ được cấp giấy chứng nhận trong tháng 8 năm 2020."
)


@pytest.fixture
def units(ward):
    made = {
        "land": Unit(ward=ward, name="Công chức Địa chính - Xây dựng"),
        "social": Unit(ward=ward, name="Công chức Văn hóa - Xã hội"),
    }
    db.session.add_all(made.values())
    db.session.commit()
    return made


@pytest.fixture
def groups(ward):
    made = {
        5: ResidentialGroup(ward=ward, number=5, name="Tổ dân phố số 5"),
        9: ResidentialGroup(ward=ward, number=9, name="Tổ dân phố số 9"),
    }
    db.session.add_all(made.values())
    db.session.commit()
    return made


def area(ward, code: str):
    return next(a for a in ward.procedure_areas if a.code == code)


def held(make_conference, start=START, title=TITLE, **values):
    """A conference held at ``start``, closed (public: announced beforehand)."""
    values = {
        "title": title,
        "start_dt": start,
        "planned_end_dt": start + timedelta(hours=3),
        "status": ConferenceStatus.CLOSED,
        "announced_dt": start - timedelta(days=10),
        **values,
    }
    return make_conference(**values)


def refer(conference, question, *, position, unit, due, area=None, group=None, speaker=SPEAKER):
    """A turn referred to ``unit`` by ``due``: its referral follows (``_sync_referrals``)."""
    turn = Turn(
        conference=conference,
        position=position,
        question=question,
        procedure_area=area,
        speaker_name=speaker,
        speaker_group=group,
        outcome=TurnOutcome.REFERRED,
        referral_unit=unit,
        referral_due_date=due,
    )
    db.session.add(turn)
    db.session.commit()
    return turn.referral


def answer(
    referral,
    body=ANSWER_BODY,
    *,
    on: date,
    version: int = 1,
    letter_number: str = "",
    letter_date: date | None = None,
    pdf: bytes | None = None,
    reason: str = "",
    status: AnswerStatus = AnswerStatus.PUBLISHED,
):
    """A version of the answer, complete (a published one can never be updated)."""
    values = {}
    if pdf is not None:
        values = {
            "attachment_pdf": pdf,
            "attachment_sha256": hashlib.sha256(pdf).hexdigest(),
            "attachment_size": len(pdf),
            "attachment_filename": "Công văn trả lời.pdf",
        }
    if status is AnswerStatus.PUBLISHED:
        # 10:00 in Hà Nội on the day.
        values["published_dt"] = datetime.combine(on, time(3), tzinfo=UTC)
    with db.session.no_autoflush:
        written = WrittenAnswer(
            referral=referral,
            version=version,
            status=status,
            body=body,
            letter_number=letter_number,
            letter_date=letter_date,
            correction_reason=reason,
            **values,
        )
        db.session.add(written)
        if status is AnswerStatus.PUBLISHED:
            referral.status = ReferralStatus.ANSWERED
            referral.answered_on = referral.answered_on or on
        referral.is_settled = True
    db.session.commit()
    return written


def at(moment: datetime, monkeypatch) -> None:
    """Make ``moment`` (UTC) the present for the follow-up pages."""
    monkeypatch.setattr(listing, "utcnow", lambda: moment)


def text_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return page_text(response)


def items(client, url: str) -> list[str]:
    """The anchors of the referrals a page lists, in order."""
    return re.findall(r'<article class="referral" id="(kien-nghi-\d+)"', client.get(url).text)


def anchor(referral) -> str:
    return f"kien-nghi-{referral.id}"


@pytest.fixture
def followed(ward, make_conference, units, groups):
    """A conference of 30/6/2020 with three referrals: answered late, overdue, in progress.

    Among other turns, one withdrawn: in the minutes (and here) the referred ones are the
    2nd, 4th and 6th turns.
    """
    conference = held(make_conference)
    for position in (1, 2, 4, 6):
        db.session.add(
            Turn(
                conference=conference,
                position=position,
                question=f"Câu hỏi đã được trả lời tại hội nghị ({position}).",
                outcome=TurnOutcome.ANSWERED,
                answer="Đã trả lời tại hội nghị.",
                withdrawn_dt=START if position == 2 else None,
            )
        )
    land = refer(
        conference,
        LAND_QUESTION,
        position=3,
        unit=units["land"],
        due=date(2020, 7, 10),
        area=area(ward, "DD"),
        group=groups[9],
    )
    road = refer(
        conference,
        ROAD_QUESTION,
        position=5,
        unit=units["land"],
        due=date(2020, 7, 10),
        area=area(ward, "XD"),
        group=groups[5],
    )
    social = refer(
        conference,
        SOCIAL_QUESTION,
        position=7,
        unit=units["social"],
        due=date(2020, 7, 10),
        area=area(ward, "BTXH"),
    )
    answer(
        land,
        on=date(2020, 7, 13),
        letter_number="125/UBND-ĐC",
        letter_date=date(2020, 7, 13),
        pdf=pdf_of("Công văn số 125/UBND-ĐC"),
    )
    social.status = ReferralStatus.IN_PROGRESS
    db.session.commit()
    return conference, {"land": land, "road": road, "social": social}


# -- the ward's page ---------------------------------------------------------------------------


def test_the_ward_page_shows_each_referral_as_residents_may_see_it(
    client, ward, followed, monkeypatch
):
    conference, referrals = followed
    at(datetime(2020, 7, 20, 3, tzinfo=UTC), monkeypatch)
    document = publish(conference)
    url = f"/p/{ward.slug}/kien-nghi/"
    response = client.get(url)
    body = response.text
    text = page_text(response)

    assert "Theo dõi trả lời kiến nghị" in text
    # Open ones first, by due date; the answered one last.
    assert items(client, url) == [
        anchor(referrals["road"]),
        anchor(referrals["social"]),
        anchor(referrals["land"]),
    ]
    land = referrals["land"]
    assert f'id="kien-nghi-{land.id}"' in body
    assert f'href="/p/{ward.slug}/kien-nghi/{land.id}"' in body
    assert "Lượt phát biểu số 2 tại hội nghị ngày 30/06/2020" in text
    assert "Tổ dân phố số 9" in text and "Đất đai" in text
    assert "Công chức Địa chính - Xây dựng" in text
    assert "Hạn trả lời 10/07/2020" in text
    assert "Đã trả lời" in text and "Trả lời muộn 3 ngày" in text
    assert "Số: 125/UBND-ĐC, ngày 13/07/2020" in text
    assert "Hồ sơ đủ điều kiện và sẽ được cấp giấy chứng nhận" in text
    assert f'href="/p/{ward.slug}/kien-nghi/{land.id}/tra-loi-1.pdf"' in body
    # The conference leads to its published minutes.
    assert f'href="/p/{ward.slug}/bien-ban/{document.public_code}"' in body
    # Open ones: overdue by the days since the due date, or still being handled.
    assert "Quá hạn 10 ngày" in text
    assert "Đang xử lý" in text and "Chuyển trả lời bằng văn bản" in text
    assert text.count("Nội dung trả lời sẽ được đăng tại đây sau khi được công bố.") == 2

    # One referral has a page of its own.
    one = text_of(client, f"/p/{ward.slug}/kien-nghi/{land.id}")
    assert LAND_QUESTION in one and "Trả lời muộn 3 ngày" in one
    assert ROAD_QUESTION not in one
    assert f"?conference={conference.id}" in client.get(f"/p/{ward.slug}/kien-nghi/{land.id}").text


def test_an_answer_on_time_and_one_still_within_its_due_date(
    client, ward, make_conference, units, monkeypatch
):
    conference = held(make_conference)
    on_time = refer(
        conference, LAND_QUESTION, position=1, unit=units["land"], due=date(2020, 7, 10)
    )
    answer(on_time, on=date(2020, 7, 10), letter_number="130/UBND-ĐC")
    refer(conference, ROAD_QUESTION, position=2, unit=units["land"], due=date(2020, 7, 12))
    refer(conference, SOCIAL_QUESTION, position=3, unit=units["social"], due=date(2020, 7, 10))
    at(datetime(2020, 7, 10, 3, tzinfo=UTC), monkeypatch)
    response = client.get(f"/p/{ward.slug}/kien-nghi/")
    text = page_text(response)
    assert "Trả lời đúng hạn" in text and "Số: 130/UBND-ĐC" in text
    assert "Còn 2 ngày" in text
    assert "Hết hạn hôm nay" in text
    assert "referral-when-overdue" not in response.text


def test_days_overdue_count_across_a_month_end_in_the_wards_own_calendar(
    client, ward, make_ward, make_conference, units, monkeypatch
):
    refer(
        held(make_conference), ROAD_QUESTION, position=1, unit=units["land"], due=date(2020, 6, 30)
    )
    abroad = make_ward(name="Thử Nghiệm Múi Giờ", slug="mui-gio", place_name="Múi Giờ")
    abroad.timezone = "America/Los_Angeles"
    unit = Unit(ward=abroad, name="Công chức Tư pháp - Hộ tịch")
    db.session.add(unit)
    db.session.commit()
    refer(
        held(make_conference, ward=abroad),
        ROAD_QUESTION,
        position=1,
        unit=unit,
        due=date(2020, 6, 30),
    )
    # 2/7/2020 at 3:00 in Hà Nội is still 1/7/2020 in Los Angeles.
    at(datetime(2020, 7, 1, 20, tzinfo=UTC), monkeypatch)
    assert "Quá hạn 2 ngày" in text_of(client, f"/p/{ward.slug}/kien-nghi/")
    assert "Quá hạn 1 ngày" in text_of(client, "/p/mui-gio/kien-nghi/")
    # The due day itself is not overdue: 30/6 in Los Angeles, already 1/7 in Hà Nội.
    at(datetime(2020, 6, 30, 20, tzinfo=UTC), monkeypatch)
    assert "Quá hạn 1 ngày" in text_of(client, f"/p/{ward.slug}/kien-nghi/")
    late_there = text_of(client, "/p/mui-gio/kien-nghi/")
    assert "Hết hạn hôm nay" in late_there and "Quá hạn 1" not in late_there


def test_counts_by_status_with_the_other_filters_kept(client, ward, followed, monkeypatch):
    _, referrals = followed
    at(datetime(2020, 7, 20, 3, tzinfo=UTC), monkeypatch)
    counts = _counts(client.get(f"/p/{ward.slug}/kien-nghi/"))
    assert counts == {
        "all": 3,
        "referred": 1,
        "in_progress": 1,
        "awaiting_approval": 0,
        "answered": 1,
        "overdue": 2,
    }
    unit = referrals["social"].unit_id
    counts = _counts(client.get(f"/p/{ward.slug}/kien-nghi/?unit={unit}&status=answered"))
    assert counts["all"] == 1 and counts["in_progress"] == 1 and counts["answered"] == 0
    # Every count link keeps the other filters and sets its status.
    body = client.get(f"/p/{ward.slug}/kien-nghi/?unit={unit}").text
    assert f'href="/p/{ward.slug}/kien-nghi/?unit={unit}&amp;status=overdue"' in body


def _counts(response) -> dict[str, int]:
    nav = response.text.split('class="referral-counts"')[1].split("</nav>")[0]
    found = {}
    for href, count in re.findall(
        r'href="([^"]*)"[^>]*>[^<]*<span class="referral-count">(\d+)</span>', nav
    ):
        status = re.search(r"status=(\w+)", html.unescape(href))
        found[status.group(1) if status else "all"] = int(count)
    return found


def test_filters_by_conference_unit_area_and_status(
    client, ward, make_conference, followed, units, monkeypatch
):
    conference, referrals = followed
    other = held(make_conference, start=START + timedelta(days=180), title="Hội nghị cuối năm")
    later = refer(
        other, "Đề nghị cấp phép xây dựng.", position=1, unit=units["social"], due=date(2021, 1, 10)
    )
    at(datetime(2020, 7, 20, 3, tzinfo=UTC), monkeypatch)
    url = f"/p/{ward.slug}/kien-nghi/"
    ids = {name: anchor(r) for name, r in referrals.items()}
    assert len(items(client, url)) == 4
    assert set(items(client, f"{url}?conference={conference.id}")) == set(ids.values())
    assert items(client, f"{url}?conference={other.id}") == [anchor(later)]
    assert set(items(client, f"{url}?unit={units['land'].id}")) == {ids["land"], ids["road"]}
    assert items(client, f"{url}?area={area(ward, 'XD').id}") == [ids["road"]]
    assert items(client, f"{url}?status=answered") == [ids["land"]]
    assert items(client, f"{url}?status=in_progress") == [ids["social"]]
    assert items(client, f"{url}?status=awaiting_approval") == []
    assert set(items(client, f"{url}?status=overdue")) == {ids["road"], ids["social"]}
    assert items(client, f"{url}?unit={units['land'].id}&status=overdue") == [ids["road"]]
    # The form keeps what was chosen.
    body = client.get(f"{url}?unit={units['land'].id}&status=overdue&q=duong").text
    assert f'<option value="{units["land"].id}" selected>' in body
    assert '<option value="overdue" selected>' in body
    assert 'name="q" value="duong"' in body
    # A value the page does not offer is ignored, never an error.
    for odd in ("conference=999999", "unit=abc", "area=-1", "status=closed", "page=0", "page=x"):
        assert len(items(client, f"{url}?{odd}")) == 4, odd
    # Nothing found: said in Vietnamese, with a way back.
    text = text_of(client, f"{url}?q=khong+co+tu+nay")
    assert "Không có kiến nghị nào phù hợp với lựa chọn này." in text
    assert "Số kiến nghị tìm thấy" not in text


def test_search_ignores_diacritics(client, ward, followed):
    _, referrals = followed
    url = f"/p/{ward.slug}/kien-nghi/"
    assert items(client, f"{url}?q=dat+dai") == [anchor(referrals["land"])]
    assert items(client, f"{url}?q=duong") == [anchor(referrals["road"])]
    assert items(client, f"{url}?q=%C4%90%C6%AF%E1%BB%9CNG") == [anchor(referrals["road"])]
    # The unit's name and the words of the published answer count too.
    assert set(items(client, f"{url}?q=van+hoa+xa+hoi")) == {anchor(referrals["social"])}
    assert items(client, f"{url}?q=thang+8") == [anchor(referrals["land"])]
    # A hidden speaker's name is not searchable.
    assert items(client, f"{url}?q=rieng+tu") == []


def test_fifty_a_page(client, ward, make_conference, units):
    conference = held(make_conference)
    for position in range(1, 52):
        db.session.add(
            Turn(
                conference=conference,
                position=position,
                question=f"Kiến nghị thứ {position}",
                outcome=TurnOutcome.REFERRED,
                referral_unit=units["land"],
                referral_due_date=date(2020, 7, 10),
            )
        )
    db.session.commit()
    url = f"/p/{ward.slug}/kien-nghi/"
    first = client.get(url + "?status=overdue")
    assert len(re.findall(r'<article class="referral"', first.text)) == 50
    assert "Trang 1/2" in page_text(first)
    assert 'href="/p/thach-ban/kien-nghi/?page=2&amp;status=overdue"' in first.text
    second = client.get(url + "?status=overdue&page=2")
    assert len(re.findall(r'<article class="referral"', second.text)) == 1
    beyond = text_of(client, url + "?page=9")
    assert "Trang này không có nội dung." in beyond and "Về trang đầu" in beyond


def test_empty_page_and_the_link_from_the_wards_page(client, ward):
    text = text_of(client, f"/p/{ward.slug}/kien-nghi/")
    assert "Chưa có câu hỏi nào được chuyển trả lời bằng văn bản." in text
    assert f'href="/p/{ward.slug}/kien-nghi/"' in client.get(f"/p/{ward.slug}/").text
    assert client.get(f"/p/{ward.slug}/kien-nghi").status_code == 308
    assert client.get("/p/khong-co/kien-nghi/").status_code == 404


def test_english_is_one_click_away(client, ward, followed, monkeypatch):
    at(datetime(2020, 7, 20, 3, tzinfo=UTC), monkeypatch)
    client.get("/locale", query_string={"locale": "en", "next": "/"})
    text = text_of(client, f"/p/{ward.slug}/kien-nghi/")
    assert "Follow-up of referred questions" in text
    assert "Answered 3 days late" in text and "Overdue by 10 days" in text
    assert "Being answered" in text and "Letter No. 125/UBND-ĐC, dated 13/07/2020" in text


# -- what public pages never show --------------------------------------------------------------


def test_no_personal_data_drafts_or_internal_requests_on_public_pages(
    client, ward, followed, monkeypatch
):
    conference, referrals = followed
    at(datetime(2020, 7, 20, 3, tzinfo=UTC), monkeypatch)
    road, social = referrals["road"], referrals["social"]
    db.session.add(
        ResidentQuestion(
            conference=conference,
            asker_name=ASKER,
            contact=CONTACT,
            has_contact_consent=True,
            question=ROAD_QUESTION,
            status=QuestionStatus.ACCEPTED,
            turn=road.turn,
        )
    )
    # One answer waits for the chair, another was sent back with a reason; a unit asked for time.
    answer(road, SECRET_DRAFT, on=date(2020, 7, 15), status=AnswerStatus.SUBMITTED)
    road.status = ReferralStatus.AWAITING_APPROVAL
    returned = answer(
        social, SECRET_DRAFT + " (2)", on=date(2020, 7, 15), status=AnswerStatus.RETURNED
    )
    returned.return_reason = RETURN_REASON
    db.session.add(
        ReferralRequest(
            referral=social,
            kind=RequestKind.EXTENSION,
            reason=REQUEST_REASON,
            previous_due_date=social.due_date,
            new_due_date=date(2020, 7, 30),
        )
    )
    db.session.commit()
    document = publish(conference)

    pages = [
        f"/p/{ward.slug}/kien-nghi/",
        f"/p/{ward.slug}/kien-nghi/?q=duong",
        f"/p/{ward.slug}/kien-nghi/{road.id}",
        f"/p/{ward.slug}/kien-nghi/{social.id}",
        f"/p/{ward.slug}/bien-ban/{document.public_code}",
    ]
    for url in pages:
        text = text_of(client, url)
        for secret in (SPEAKER, ASKER, CONTACT, SECRET_DRAFT, RETURN_REASON, REQUEST_REASON):
            assert secret not in text, (url, secret)
    road_page = text_of(client, f"/p/{ward.slug}/kien-nghi/{road.id}")
    assert "Chờ duyệt" in road_page
    assert "Công dân tổ dân phố số 5" in road_page
    # Unpublished versions are never served, nor found by their words.
    assert client.get(f"/p/{ward.slug}/kien-nghi/{road.id}/tra-loi-1.pdf").status_code == 404
    assert items(client, f"/p/{ward.slug}/kien-nghi/?q=ban+nhap") == []

    # A ward that shows speakers' names shows them here too; contacts never.
    ward.shows_speaker_names = True
    db.session.commit()
    road_page = text_of(client, f"/p/{ward.slug}/kien-nghi/{road.id}")
    assert SPEAKER in road_page and CONTACT not in road_page and ASKER not in road_page


def test_only_referrals_of_public_conferences_of_the_ward(
    client, ward, other_ward, make_conference, units
):
    draft = held(make_conference, status=ConferenceStatus.DRAFT, announced_dt=None)
    typed_in = held(make_conference, recorded_dt=START + timedelta(days=400))
    hidden = [
        refer(draft, LAND_QUESTION, position=1, unit=units["land"], due=date(2020, 7, 10)),
        refer(typed_in, ROAD_QUESTION, position=1, unit=units["land"], due=date(2020, 7, 10)),
    ]
    for referral in hidden:
        answer(referral, on=date(2020, 7, 9), pdf=pdf_of("Công văn"))
    assert items(client, f"/p/{ward.slug}/kien-nghi/") == []
    for referral in hidden:
        assert client.get(f"/p/{ward.slug}/kien-nghi/{referral.id}").status_code == 404
        assert (
            client.get(f"/p/{ward.slug}/kien-nghi/{referral.id}/tra-loi-1.pdf").status_code == 404
        )
    # Once the typed-in conference is published, residents follow it.
    typed_in.status = ConferenceStatus.PUBLISHED
    db.session.commit()
    assert items(client, f"/p/{ward.slug}/kien-nghi/") == [anchor(hidden[1])]
    assert client.get(f"/p/{ward.slug}/kien-nghi/{hidden[1].id}/tra-loi-1.pdf").status_code == 200
    # Another ward's address finds nothing of this one.
    assert client.get(f"/p/{other_ward.slug}/kien-nghi/{hidden[1].id}").status_code == 404
    assert (
        client.get(f"/p/{other_ward.slug}/kien-nghi/{hidden[1].id}/tra-loi-1.pdf").status_code
        == 404
    )
    assert client.get(f"/p/{ward.slug}/kien-nghi/999999").status_code == 404


# -- the signed reply letter -------------------------------------------------------------------


def test_the_signed_letter_is_served_for_a_published_answer_only(client, ward, followed):
    _, referrals = followed
    land = referrals["land"]
    url = f"/p/{ward.slug}/kien-nghi/{land.id}/tra-loi-1.pdf"
    response = client.get(url)
    expected = pdf_of("Công văn số 125/UBND-ĐC")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.data == expected
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f'filename="tra-loi-kien-nghi-{land.id}.pdf"' in disposition
    cache = response.headers["Cache-Control"]
    assert "public" in cache and "immutable" in cache
    assert int(re.search(r"max-age=(\d+)", cache).group(1)) >= 30 * 24 * 3600
    etag = response.headers["ETag"]
    assert hashlib.sha256(expected).hexdigest() in etag
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.data
    assert "Set-Cookie" not in response.headers
    # No such version, no file, or not published: not found.
    assert client.get(f"/p/{ward.slug}/kien-nghi/{land.id}/tra-loi-2.pdf").status_code == 404
    road = referrals["road"]
    assert client.get(f"/p/{ward.slug}/kien-nghi/{road.id}/tra-loi-1.pdf").status_code == 404
    answer(road, on=date(2020, 7, 15), pdf=pdf_of("Bản nháp"), status=AnswerStatus.DRAFT)
    assert client.get(f"/p/{ward.slug}/kien-nghi/{road.id}/tra-loi-1.pdf").status_code == 404


def test_a_correction_shows_the_newest_answer_and_the_versions_it_replaced(
    client, ward, followed, monkeypatch
):
    _, referrals = followed
    land = referrals["land"]
    answer(
        land,
        "Hồ sơ sẽ được cấp giấy chứng nhận trong tháng 9 năm 2020.",
        on=date(2020, 7, 20),
        version=2,
        letter_number="140/UBND-ĐC",
        letter_date=date(2020, 7, 20),
        pdf=pdf_of("Công văn số 140/UBND-ĐC"),
        reason="Đính chính thời hạn cấp giấy chứng nhận.",
    )
    response = client.get(f"/p/{ward.slug}/kien-nghi/{land.id}")
    text = page_text(response)
    newest, _, earlier = text.partition("phiên bản trước đã được thay thế")
    assert "Bản đính chính, phiên bản 2." in newest
    assert "Lý do đính chính: Đính chính thời hạn cấp giấy chứng nhận." in newest
    assert "tháng 9 năm 2020" in newest and "Số: 140/UBND-ĐC, ngày 20/07/2020" in newest
    assert "tháng 8 năm 2020" in earlier and "Số: 125/UBND-ĐC, ngày 13/07/2020" in earlier
    # Still late by the day the first answer was published.
    assert "Trả lời muộn 3 ngày" in text
    for version in (1, 2):
        assert f"/kien-nghi/{land.id}/tra-loi-{version}.pdf" in response.text
        assert (
            client.get(f"/p/{ward.slug}/kien-nghi/{land.id}/tra-loi-{version}.pdf").status_code
            == 200
        )


def test_an_extended_due_date_shows_the_first_one(client, ward, followed, monkeypatch):
    _, referrals = followed
    social = referrals["social"]
    social.due_date = date(2020, 7, 25)
    social.is_settled = True
    db.session.commit()
    at(datetime(2020, 7, 20, 3, tzinfo=UTC), monkeypatch)
    text = text_of(client, f"/p/{ward.slug}/kien-nghi/{social.id}")
    assert "25/07/2020 (đã gia hạn; hạn ban đầu 10/07/2020)" in text
    assert "Còn 5 ngày" in text and "Quá hạn" not in text


# -- the published minutes page ----------------------------------------------------------------


def test_the_minutes_page_carries_the_follow_up_of_its_referrals(
    client, ward, make_conference, followed
):
    conference, referrals = followed
    other = held(make_conference, start=START + timedelta(days=180), title="Hội nghị cuối năm")
    refer(other, "Kiến nghị của hội nghị khác.", position=1, unit=None, due=date(2021, 1, 10))
    document = publish(conference)
    url = f"/p/{ward.slug}/bien-ban/{document.public_code}"
    response = client.get(url)
    body, text = response.text, page_text(response)

    section = body.split('id="theo-doi-kien-nghi"')[1].split('class="archive-check')[0]
    assert '<h2 id="theo-doi-kien-nghi-title">Theo dõi trả lời kiến nghị</h2>' in body
    # In speaking order, each with its status and answer; nothing of the other conference.
    found = re.findall(r'id="(kien-nghi-\d+)"', section)
    assert found == [anchor(referrals[name]) for name in ("land", "road", "social")]
    assert "Kiến nghị của hội nghị khác." not in text
    assert "Trả lời muộn 3 ngày" in text and "Đang xử lý" in text
    assert "Số: 125/UBND-ĐC, ngày 13/07/2020" in text
    assert f'href="/p/{ward.slug}/kien-nghi/?conference={conference.id}"' in section
    # The top of the page points at it (the QR code of the paper copy lands there).
    top = body.split('id="document"')[0]
    assert 'href="#theo-doi-kien-nghi"' in top
    assert "3 kiến nghị, 1 đã trả lời" in page_text_of(top)


def page_text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def test_the_kept_minutes_page_follows_the_referrals(client, ward, followed):
    conference, referrals = followed
    document = publish(conference)
    url = f"/p/{ward.slug}/bien-ban/{document.public_code}"
    road = referrals["road"]
    assert "Chờ duyệt" not in text_of(client, url)
    assert text_of(client, url) == text_of(client, url)  # the second from the cache
    road.status = ReferralStatus.AWAITING_APPROVAL
    db.session.commit()
    assert "Chờ duyệt" in text_of(client, url)
    answer(road, "Phường sẽ sửa chữa ngõ 12 trong quý III.", on=date(2020, 7, 30))
    text = text_of(client, url)
    assert "Phường sẽ sửa chữa ngõ 12 trong quý III." in text
    road.unit.name = "Công chức Giao thông - Xây dựng"
    db.session.commit()
    assert "Công chức Giao thông - Xây dựng" in text_of(client, url)
    road.turn.question = "Đường ngõ 12 xuống cấp nghiêm trọng."
    db.session.commit()
    assert "Đường ngõ 12 xuống cấp nghiêm trọng." in text_of(client, url)


def test_a_minutes_page_without_referrals_has_no_follow_up(client, ward, make_conference):
    document = publish(held(make_conference))
    body = client.get(f"/p/{ward.slug}/bien-ban/{document.public_code}").text
    assert "theo-doi-kien-nghi" not in body


def test_the_published_pdf_says_its_link_leads_to_the_follow_up(app, ward, make_conference, units):
    with_referral = held(make_conference)
    refer(with_referral, LAND_QUESTION, position=1, unit=units["land"], due=date(2020, 7, 10))
    without = held(make_conference, start=START + timedelta(days=180))
    db.session.add(
        Turn(conference=without, position=1, question="Hỏi.", outcome=TurnOutcome.PENDING)
    )
    db.session.commit()
    with app.test_request_context():
        texts = [_pdf_text(publish_rendered(c).pdf) for c in (with_referral, without)]
    assert "theo dõi kết quả trả lời các kiến nghị" in texts[0]
    assert "theo dõi kết quả trả lời" not in texts[1]
    assert "kiểm tra tính toàn vẹn của tệp PDF" in texts[1]


def _pdf_text(data: bytes) -> str:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return " ".join(" ".join((page.extract_text() or "").split()) for page in pdf.pages)


# -- the sender's private page -----------------------------------------------------------------


def test_the_senders_private_page_follows_the_referral_to_its_answer(
    client, ward, followed, monkeypatch
):
    conference, referrals = followed
    land, road = referrals["land"], referrals["road"]
    at(datetime(2020, 7, 20, 3, tzinfo=UTC), monkeypatch)
    accepted = ResidentQuestion(
        conference=conference,
        asker_name=ASKER,
        question=LAND_QUESTION,
        status=QuestionStatus.ACCEPTED,
        turn=land.turn,
    )
    merged = ResidentQuestion(
        conference=conference,
        asker_name=ASKER,
        question="Cấp sổ đỏ cho hộ gia đình tôi.",
        status=QuestionStatus.MERGED,
        merged_into=accepted,
    )
    waiting = ResidentQuestion(
        conference=conference,
        asker_name=ASKER,
        question=ROAD_QUESTION,
        status=QuestionStatus.ACCEPTED,
        turn=road.turn,
    )
    db.session.add_all([accepted, merged, waiting])
    db.session.commit()

    for question in (accepted, merged):
        response = client.get(f"/p/{ward.slug}/cau-hoi/{question.follow_token}")
        assert response.headers["Cache-Control"] == "no-store"
        text = page_text(response)
        assert "Đã trả lời" in text and "Trả lời muộn 3 ngày" in text
        # Numbered as in the minutes: the withdrawn turn before it is not counted.
        assert "lượt phát biểu số 2." in text
        assert "Công chức Địa chính - Xây dựng" in text and "10/07/2020" in text
        assert "Số: 125/UBND-ĐC, ngày 13/07/2020" in text
        assert "Hồ sơ đủ điều kiện" in text
        assert f"/p/{ward.slug}/kien-nghi/{land.id}/tra-loi-1.pdf" in response.text
        assert f'href="/p/{ward.slug}/kien-nghi/{land.id}"' in response.text

    text = text_of(client, f"/p/{ward.slug}/cau-hoi/{waiting.follow_token}")
    assert "Chuyển trả lời bằng văn bản" in text and "Quá hạn 10 ngày" in text
    assert "Nội dung trả lời sẽ được đăng tại đây sau khi được công bố." in text
