"""The earlier conferences' referrals that the next conference reports, judged at its date."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from docx import Document
from flask import url_for

from dialogue.auth.models import Role
from dialogue.conferences.models import ConferenceStatus
from dialogue.documents.models import DocumentType
from dialogue.extensions import db
from dialogue.followup.carryover import earlier_referrals, shorten
from dialogue.followup.models import (
    AnswerStatus,
    ReferralRequest,
    ReferralStatus,
    RequestKind,
    RequestStatus,
    Timeliness,
    WrittenAnswer,
)
from dialogue.live.models import Turn, TurnOutcome
from dialogue.minutes import compose, exports, render
from dialogue.minutes.models import MinutesDraft
from dialogue.minutes.previews import fingerprint
from dialogue.wards.models import Unit
from tests.test_minutes_pdf import body_text, table_rows

LAND = "Công chức Địa chính - Xây dựng"
JUSTICE = "Công chức Tư pháp - Hộ tịch"


@pytest.fixture
def units(ward):
    found = {"land": Unit(ward=ward, name=LAND), "justice": Unit(ward=ward, name=JUSTICE)}
    db.session.add_all(found.values())
    db.session.commit()
    return found


@pytest.fixture
def held(make_conference):
    """A conference held at 8:00 (Hà Nội) on ``day``, closed unless told otherwise."""

    def factory(day: date, status=ConferenceStatus.CLOSED, **values):
        start = datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)
        values.setdefault("started_dt", start if status is not ConferenceStatus.DRAFT else None)
        return make_conference(
            title=f"Hội nghị đối thoại ngày {day:%d/%m/%Y}",
            start_dt=start,
            planned_end_dt=start + timedelta(hours=3),
            end_dt=start + timedelta(hours=3) if status is not ConferenceStatus.DRAFT else None,
            status=status,
            **values,
        )

    return factory


def refer(conference, question: str, unit, due: date, *, position: int):
    """A speaking turn referred for a written answer; its referral follows by itself."""
    turn = Turn(
        conference=conference,
        position=position,
        question=question,
        speaker_name="Công dân",
        outcome=TurnOutcome.REFERRED,
        referral_unit=unit,
        referral_due_date=due,
    )
    db.session.add(turn)
    db.session.commit()
    assert turn.referral is not None
    return turn.referral


def speak(conference, *, position: int, withdrawn: bool = False) -> Turn:
    """A turn answered on the spot (or withdrawn): it takes a number in the minutes, or not."""
    turn = Turn(
        conference=conference,
        position=position,
        question="Hỏi về thủ tục chứng thực.",
        speaker_name="Công dân",
        outcome=TurnOutcome.ANSWERED,
        answer="Đã trả lời tại hội nghị.",
        withdrawn_dt=datetime(2020, 1, 1, tzinfo=UTC) if withdrawn else None,
        withdrawn_reason="Nhập trùng" if withdrawn else "",
    )
    db.session.add(turn)
    db.session.commit()
    return turn


def answer(referral, day: date, *, letter_number: str = "", letter_date: date | None = None):
    """Publish the unit's answer on ``day`` (10:00 in Hà Nội), complete in one go."""
    db.session.add(
        WrittenAnswer(
            referral=referral,
            version=1,
            status=AnswerStatus.PUBLISHED,
            body="Ủy ban nhân dân phường trả lời như sau.",
            letter_number=letter_number,
            letter_date=letter_date,
            published_dt=datetime(day.year, day.month, day.day, 3, 0, tzinfo=UTC),
        )
    )
    referral.status = ReferralStatus.ANSWERED
    referral.answered_on = day
    referral.is_settled = True
    db.session.commit()


def outcomes(carried) -> list[tuple[str, Timeliness, int]]:
    return [(item.question, item.outcome, item.days_late) for item in carried.items]


def draft(conference, doc_type=DocumentType.MINUTES) -> MinutesDraft:
    return compose.draft_or_defaults(conference, doc_type)


def context(conference, doc_type=DocumentType.MINUTES) -> dict:
    return compose.document_context(conference, draft(conference, doc_type))


@pytest.fixture
def thach_ban(held, units):
    """The 30/6/2020 conference with three referrals, and the next one on 22/7/2020.

    Answered on time, answered late (after the month's end), and one still open 12 days past
    its due date at the next conference; a turn answered on the spot and a withdrawn one
    between them, so that the minutes' numbers are not the positions.
    """
    previous = held(date(2020, 6, 30))
    speak(previous, position=1)
    on_time = refer(
        previous,
        "Đề nghị cho biết thời hạn cấp giấy chứng nhận quyền sử dụng đất lần đầu.",
        units["land"],
        date(2020, 7, 10),
        position=2,
    )
    speak(previous, position=3, withdrawn=True)
    late = refer(
        previous,
        "Thủ tục đăng ký lại khai sinh cho người đã có hồ sơ gốc.",
        units["justice"],
        date(2020, 6, 28),
        position=4,
    )
    still_open = refer(
        previous,
        "Hộ kinh doanh đề nghị hướng dẫn nộp hồ sơ trực tuyến.",
        units["land"],
        date(2020, 7, 10),
        position=5,
    )
    answer(on_time, date(2020, 7, 8), letter_number="Số: 125/UBND-ĐC", letter_date=date(2020, 7, 8))
    answer(late, date(2020, 7, 3))
    following = held(date(2020, 7, 22))
    return {
        "previous": previous,
        "following": following,
        "on_time": on_time,
        "late": late,
        "open": still_open,
    }


# -- which referrals are carried ----------------------------------------------------------------


def test_the_first_conference_reports_nothing(held, units):
    first = held(date(2020, 6, 30))
    refer(first, "Câu hỏi của chính hội nghị này.", units["land"], date(2020, 7, 10), position=1)
    carried = earlier_referrals(first)
    assert not carried and carried.total == 0 and carried.previous_date is None

    bb, tb = context(first), context(first, DocumentType.NOTICE)
    assert bb["carried"] is None and tb["carried"] is None
    assert "kỳ trước" not in render.render_document_html(bb)
    assert "kỳ trước" not in render.render_document_html(tb)
    assert not any("kỳ trước" in line for line in _docx_texts(exports.render_docx(bb)))


def test_the_previous_conference_and_what_older_ones_left_open(held, units, make_ward):
    land = units["land"]
    spring_2019 = held(date(2019, 6, 28))
    answered_in_time = refer(
        spring_2019, "A1 trả lời trước kỳ sau", land, date(2019, 7, 8), position=1
    )
    answered_since = refer(
        spring_2019, "A2 trả lời sau kỳ trước", land, date(2019, 7, 8), position=2
    )
    refer(spring_2019, "A3 chưa trả lời", land, date(2019, 7, 8), position=3)
    autumn_2019 = held(date(2019, 12, 20))
    settled = refer(autumn_2019, "B1 trả lời trước kỳ trước", land, date(2019, 12, 30), position=1)
    answered_on_that_day = refer(
        autumn_2019, "B2 trả lời đúng ngày kỳ trước", land, date(2019, 12, 30), position=2
    )
    previous = held(date(2020, 6, 30))
    refer(previous, "C1 chưa trả lời", land, date(2020, 7, 10), position=1)
    answered_now = refer(previous, "C2 đã trả lời", land, date(2020, 7, 10), position=2)
    this = held(date(2020, 12, 18), status=ConferenceStatus.ANNOUNCED, started_dt=None)
    refer(this, "D1 của chính hội nghị này", land, date(2020, 12, 28), position=1)
    later = held(date(2021, 6, 30))
    refer(later, "E1 của hội nghị sau", land, date(2021, 7, 10), position=1)
    # Never held: a cancelled conference and a draft, whatever their turns.
    cancelled = held(date(2020, 9, 1), status=ConferenceStatus.CANCELLED)
    refer(cancelled, "X1 hội nghị đã hủy", land, date(2020, 9, 11), position=1)
    draft_one = held(date(2020, 10, 1), status=ConferenceStatus.DRAFT)
    refer(draft_one, "X2 hội nghị dự thảo", land, date(2020, 10, 11), position=1)
    # Another ward's conference just before.
    elsewhere = held(date(2020, 11, 1), ward=make_ward())
    refer(elsewhere, "X3 phường khác", None, date(2020, 11, 11), position=1)

    answer(answered_in_time, date(2020, 1, 10))
    answer(answered_since, date(2020, 8, 1))
    answer(settled, date(2020, 6, 1))
    answer(answered_on_that_day, date(2020, 6, 30))
    answer(answered_now, date(2020, 7, 9))

    carried = earlier_referrals(this)
    assert carried.previous_date == date(2020, 6, 30)
    assert carried.as_of == date(2020, 12, 18)
    # The older ones that were still open at the previous conference, then the previous one's,
    # each conference in the order its turns were spoken.
    assert [item.question for item in carried.items] == [
        "A2 trả lời sau kỳ trước",
        "A3 chưa trả lời",
        "C1 chưa trả lời",
        "C2 đã trả lời",
    ]
    assert [item.is_from_older for item in carried.items] == [True, True, False, False]
    assert (carried.from_previous, carried.from_older) == (2, 2)
    assert [item.turn_number for item in carried.items] == [2, 3, 1, 2]
    assert [item.outcome for item in carried.items] == [
        Timeliness.LATE,
        Timeliness.OVERDUE,
        Timeliness.OVERDUE,
        Timeliness.ON_TIME,
    ]


def test_an_answer_published_after_the_conference_date_does_not_count(thach_ban, held):
    following = thach_ban["following"]
    answer(
        thach_ban["open"],
        date(2020, 7, 25),
        letter_number="130/UBND",
        letter_date=date(2020, 7, 25),
    )
    carried = earlier_referrals(following)
    item = carried.items[-1]
    assert item.outcome is Timeliness.OVERDUE and item.days_late == 12
    assert item.answered_on is None and item.letter_number == "" and item.letter_date is None
    rows = context(following)["carried"]["rows"]
    assert rows[-1]["result"] == "Chưa trả lời, quá hạn 12\u00a0ngày" and rows[-1]["detail"] == ""

    # The conference after that one sees it answered, 15 days late.
    autumn = held(date(2020, 12, 18))
    late_now = next(
        i for i in earlier_referrals(autumn).items if i.referral_id == thach_ban["open"].id
    )
    assert late_now.outcome is Timeliness.LATE and late_now.days_late == 15
    assert late_now.letter_number == "130/UBND"


def test_outcomes_and_counts_across_a_month_end(thach_ban):
    carried = earlier_referrals(thach_ban["following"])
    # Turn numbers as the minutes of 30/6/2020 give them: the withdrawn turn takes none.
    assert [item.turn_number for item in carried.items] == [2, 3, 4]
    assert [(item.outcome, item.days_late) for item in carried.items] == [
        (Timeliness.ON_TIME, 0),
        (Timeliness.LATE, 5),  # due 28/6, answered 3/7
        (Timeliness.OVERDUE, 12),  # due 10/7, not answered on 22/7
    ]
    assert (carried.total, carried.answered, carried.on_time, carried.late) == (3, 2, 1, 1)
    assert (carried.unanswered, carried.overdue) == (1, 1)
    assert carried.items[0].letter_number == "125/UBND-ĐC"  # without the "Số:" of the letter


def test_overdue_days_across_february_of_a_leap_year(held, units):
    previous = held(date(2020, 1, 21))
    refer(previous, "Hạn cuối tháng Giêng", units["land"], date(2020, 1, 31), position=1)
    refer(previous, "Hạn đầu tháng Ba", units["land"], date(2020, 3, 20), position=2)
    carried = earlier_referrals(held(date(2020, 3, 1)))
    assert outcomes(carried) == [
        ("Hạn cuối tháng Giêng", Timeliness.OVERDUE, 30),  # 29 days of February
        ("Hạn đầu tháng Ba", Timeliness.OPEN, 0),
    ]


def test_a_new_due_date_granted_after_the_conference_date_is_left_out(thach_ban):
    following = thach_ban["following"]
    referral = thach_ban["open"]
    # Granted on 25/7, three days after the next conference: at that date it was overdue.
    db.session.add(
        ReferralRequest(
            referral=referral,
            kind=RequestKind.EXTENSION,
            status=RequestStatus.ACCEPTED,
            reason="Cần xác minh thêm.",
            previous_due_date=date(2020, 7, 10),
            new_due_date=date(2020, 8, 10),
            decided_dt=datetime(2020, 7, 25, 3, tzinfo=UTC),
        )
    )
    referral.due_date = date(2020, 8, 10)
    referral.is_settled = True
    db.session.commit()
    item = earlier_referrals(following).items[-1]
    assert (item.due_date, item.outcome, item.days_late) == (
        date(2020, 7, 10),
        Timeliness.OVERDUE,
        12,
    )


def test_a_conference_recorded_afterwards_counts_by_the_day_it_was_held(thach_ban, held, units):
    # Entered in December from its paper file, held on 15/7: between the two, it is the
    # previous one now, and the 30/6 referrals answered before it are no longer reported.
    recorded = held(
        date(2020, 7, 15),
        status=ConferenceStatus.PUBLISHED,
        recorded_dt=datetime(2020, 12, 1, 2, tzinfo=UTC),
    )
    refer(
        recorded, "Câu hỏi của hội nghị nhập sau", units["justice"], date(2020, 7, 25), position=1
    )
    carried = earlier_referrals(thach_ban["following"])
    assert carried.previous_date == date(2020, 7, 15)
    assert [item.question for item in carried.items] == [
        "Hộ kinh doanh đề nghị hướng dẫn nộp hồ sơ trực tuyến.",
        "Câu hỏi của hội nghị nhập sau",
    ]
    # Recorded afterwards, but held after the one being prepared: not an earlier conference.
    assert earlier_referrals(held(date(2020, 7, 10))).previous_date == date(2020, 6, 30)


def test_a_long_question_is_shortened_at_a_word():
    question = "Đề nghị hướng dẫn " + "thủ tục hành chính " * 20
    short = shorten(question)
    assert len(short) <= 120 and short.endswith("…") and not short.endswith(" …")
    assert question.startswith(short[:-1])
    assert shorten("  Ngắn   gọn. ") == "Ngắn gọn."


# -- the documents ------------------------------------------------------------------------------


# "12 ngày" never breaks across lines: a no-break space joins them.
SUMMARY = (
    "Tại Hội nghị đối thoại ngày 30/6/2020, có 03 kiến nghị được chuyển trả lời bằng văn bản; "
    "đến nay đã trả lời 02 kiến nghị (đúng hạn 01, muộn 01), còn 01 kiến nghị chưa trả lời "
    "(quá hạn 12\u00a0ngày)."
)


def test_the_minutes_part_in_the_context(thach_ban):
    carried = context(thach_ban["following"])["carried"]
    assert carried["heading"] == "Kết quả giải quyết các kiến nghị kỳ trước"
    assert carried["summary"] == SUMMARY
    assert carried["counts"] == {
        "total": 3,
        "answered": 2,
        "on_time": 1,
        "late": 1,
        "unanswered": 1,
        "overdue": 1,
    }
    assert [
        (row["number"], row["source"], row["unit"], row["due"], row["result"], row["detail"])
        for row in carried["rows"]
    ] == [
        (
            1,
            "Hội nghị ngày 30/6/2020, ý kiến 2:",
            LAND,
            "10/7/2020",
            "Đã trả lời đúng hạn",
            "Văn bản số 125/UBND-ĐC ngày 08/7/2020",
        ),
        (
            2,
            "Hội nghị ngày 30/6/2020, ý kiến 3:",
            JUSTICE,
            "28/6/2020",
            "Đã trả lời muộn 05\u00a0ngày",
            "Trả lời ngày 03/7/2020",
        ),
        (
            3,
            "Hội nghị ngày 30/6/2020, ý kiến 4:",
            LAND,
            "10/7/2020",
            "Chưa trả lời, quá hạn 12\u00a0ngày",
            "",
        ),
    ]
    assert carried["open"]["lines"] == [
        "- Hộ kinh doanh đề nghị hướng dẫn nộp hồ sơ trực tuyến (ý kiến 4, Hội nghị ngày "
        "30/6/2020): Công chức Địa chính - Xây dựng, hạn trả lời ngày 10/7/2020, đã quá hạn "
        "12\u00a0ngày."
    ]
    assert carried["open"]["request"].endswith("trước ngày 01/8/2020.")


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (
            {"on_time": date(2020, 7, 8), "late": date(2020, 7, 3), "open": date(2020, 7, 9)},
            "Tại Hội nghị đối thoại ngày 30/6/2020, có 03 kiến nghị được chuyển trả lời bằng văn "
            "bản; đến nay đã trả lời đủ 03 kiến nghị (đúng hạn 02, muộn 01).",
        ),
        (
            {},
            "Tại Hội nghị đối thoại ngày 30/6/2020, có 03 kiến nghị được chuyển trả lời bằng văn "
            "bản; đến nay còn 03 kiến nghị chưa được trả lời (trong đó 02 kiến nghị đã quá hạn).",
        ),
    ],
)
def test_the_sentence_says_what_there_is(held, units, answers, expected):
    previous = held(date(2020, 6, 30))
    referrals = {
        "on_time": refer(previous, "Một", units["land"], date(2020, 7, 10), position=1),
        "late": refer(previous, "Hai", units["land"], date(2020, 6, 28), position=2),
        "open": refer(previous, "Ba", units["land"], date(2020, 7, 30), position=3),
    }
    for key, day in answers.items():
        answer(referrals[key], day)
    following = held(date(2020, 7, 22))
    assert context(following)["carried"]["summary"] == expected


def test_only_older_referrals_left_open(held, units):
    older = held(date(2019, 12, 20))
    refer(older, "Kiến nghị cũ", units["land"], date(2019, 12, 30), position=1)
    held(date(2020, 6, 30))  # referred nothing
    carried = context(held(date(2020, 12, 18)))["carried"]
    assert carried["summary"] == (
        "Tại Hội nghị đối thoại ngày 30/6/2020, không có kiến nghị chuyển trả lời bằng văn bản; "
        "các kỳ trước còn 01 kiến nghị chuyển sang; đến nay còn 01 kiến nghị chưa được trả lời "
        "(quá hạn 354\u00a0ngày)."
    )
    assert carried["rows"][0]["source"] == "Hội nghị ngày 20/12/2019, ý kiến 1:"


def test_the_minutes_pdf_has_the_part_after_the_report(thach_ban):
    content = render.render_document_pdf(context(thach_ban["following"]))
    text = body_text(content)
    heading = text.index("Kết quả giải quyết các kiến nghị kỳ trước")
    assert text.index("Báo cáo kết quả công tác cải cách thủ tục hành chính") < heading
    assert heading < text.index("Ý kiến phát biểu của đại biểu và trả lời tại hội nghị")
    assert " ".join(SUMMARY.split()) in text
    rows = table_rows(content, "Kết quả")
    assert [row[0] for row in rows] == ["1", "2", "3"]
    assert rows[0][2:] == [
        LAND,
        "10/7/2020",
        "Đã trả lời đúng hạn Văn bản số 125/UBND-ĐC ngày 08/7/2020",
    ]
    assert rows[1][4] == "Đã trả lời muộn 05 ngày Trả lời ngày 03/7/2020"
    assert rows[2][1].startswith("Hội nghị ngày 30/6/2020, ý kiến 4: Hộ kinh doanh")
    assert rows[2][4] == "Chưa trả lời, quá hạn 12 ngày"


def test_the_notice_repeats_the_ones_still_open(thach_ban):
    text = body_text(
        render.render_document_pdf(context(thach_ban["following"], DocumentType.NOTICE))
    )
    assert "Các kiến nghị kỳ trước chưa được trả lời" in text
    assert (
        "Đến ngày tổ chức hội nghị, còn 01 kiến nghị của các kỳ trước chưa được trả lời bằng văn "
        "bản: - Hộ kinh doanh đề nghị hướng dẫn nộp hồ sơ trực tuyến (ý kiến 4, Hội nghị ngày "
        "30/6/2020): Công chức Địa chính - Xây dựng, hạn trả lời ngày 10/7/2020, đã quá hạn 12 "
        "ngày. Đề nghị các đơn vị nêu trên khẩn trương trả lời bằng văn bản cho tổ chức, công dân "
        "trước ngày 01/8/2020."
    ) in text
    # The answered ones are the minutes' business, not the notice's.
    assert "khai sinh" not in text


def test_the_notice_says_nothing_when_all_were_answered(thach_ban):
    answer(thach_ban["open"], date(2020, 7, 20))
    tb = context(thach_ban["following"], DocumentType.NOTICE)
    assert tb["carried"]["open"] is None
    assert "kỳ trước" not in render.render_document_html(tb)


def _docx_texts(content: bytes) -> list[str]:
    document = Document(io.BytesIO(content))
    return [paragraph.text for paragraph in document.paragraphs]


def test_the_word_files_have_the_part_too(thach_ban):
    following = thach_ban["following"]
    document = Document(io.BytesIO(exports.render_docx(context(following))))
    texts = [paragraph.text for paragraph in document.paragraphs]
    heading = next(
        index
        for index, text in enumerate(texts)
        if text.endswith(". Kết quả giải quyết các kiến nghị kỳ trước")
    )
    assert texts[heading + 1] == SUMMARY
    table = next(
        t for t in document.tables if t.rows[0].cells[0].text == "STT" and len(t.columns) == 5
    )
    assert [cell.text for cell in table.rows[0].cells] == [
        "STT",
        "Kiến nghị",
        "Đơn vị trả lời",
        "Hạn trả lời",
        "Kết quả",
    ]
    assert [cell.text for cell in table.rows[3].cells][2:] == [
        LAND,
        "10/7/2020",
        "Chưa trả lời, quá hạn 12\u00a0ngày",
    ]
    assert (
        table.rows[1].cells[4].text == "Đã trả lời đúng hạn\nVăn bản số 125/UBND-ĐC ngày 08/7/2020"
    )

    notice = _docx_texts(exports.render_docx(context(following, DocumentType.NOTICE)))
    assert any(text.endswith("Các kiến nghị kỳ trước chưa được trả lời") for text in notice)
    assert any(text.startswith("- Hộ kinh doanh đề nghị") for text in notice)


def test_an_answer_given_before_the_date_changes_the_preview(thach_ban):
    following = thach_ban["following"]
    before = fingerprint(context(following))
    answer(thach_ban["open"], date(2020, 7, 21))
    assert fingerprint(context(following)) != before


def test_an_answer_given_after_the_date_leaves_the_documents_as_they_were(thach_ban):
    following = thach_ban["following"]
    before = fingerprint(context(following))
    answer(thach_ban["open"], date(2020, 7, 23))
    assert fingerprint(context(following)) == before


# -- the organiser's preparation page -----------------------------------------------------------


def test_the_report_pages_show_the_part(thach_ban, client, login, make_user):
    login(make_user(Role.ORGANISER))
    following = thach_ban["following"]
    for url in (
        url_for("dossier.show", conference_id=following.id),
        url_for("conferences.detail", conference_id=following.id),
    ):
        page = client.get(url).get_data(as_text=True)
        assert "Kết quả giải quyết các kiến nghị kỳ trước" in page
        assert "Hộ kinh doanh đề nghị hướng dẫn nộp hồ sơ trực tuyến." in page
        assert "Chưa trả lời, quá hạn 12 ngày" in page
        assert "Số: 125/UBND-ĐC, ngày 08/07/2020" in page

    page = client.get(url_for("dossier.show", conference_id=thach_ban["previous"].id))
    assert "Không có kiến nghị nào của các hội nghị trước cần báo cáo" in page.get_data(
        as_text=True
    )
