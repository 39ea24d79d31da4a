"""A resident rates answers on a 360 px phone: on the live page while the meeting runs (and
changes the rating, which stays marked), on the follow-up page of a written answer, below the
published minutes and on their private link; without the script too. Staff read the results."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from dialogue.auth.models import Role
from dialogue.conferences.models import ConferenceStatus
from dialogue.extensions import db
from dialogue.feedback import ratings
from dialogue.feedback.device import asker_key
from dialogue.feedback.models import AnswerKind, AnswerRating, RatingLevel
from dialogue.live import operations as live_operations
from dialogue.live.models import TurnOutcome
from dialogue.live.operations import TurnData
from dialogue.questions.models import QuestionStatus, ResidentQuestion
from dialogue.wards.models import ResidentialGroup, Unit
from tests.browser.support import sign_in
from tests.test_archive import publish
from tests.test_followup_public import answer, refer

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("DIALOGUE_SCREENSHOTS", "/tmp/ratings-shots")
ANSWER = (
    "Người dân mang tờ khai, giấy chứng sinh và giấy tờ tùy thân đến Trung tâm Phục vụ hành "
    "chính công phường; hồ sơ được giải quyết trong ngày."
)


def _shot(tab, name: str) -> None:
    os.makedirs(SHOTS, exist_ok=True)
    tab.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def _watch_console(tab) -> list[str]:
    problems: list[str] = []

    def on_console(message):
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    tab.on("console", on_console)
    tab.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def _fits(tab) -> bool:
    return tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _ratings() -> list[AnswerRating]:
    # A new transaction: the server's commits are seen.
    db.session.commit()
    return list(db.session.scalars(sa.select(AnswerRating).order_by(AnswerRating.id)))


@pytest.fixture
def hall(ward, make_conference, make_user):
    group = ResidentialGroup(ward=ward, number=9, name="Tổ dân phố số 9")
    db.session.add(group)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    conference = make_conference(
        status=ConferenceStatus.IN_PROGRESS,
        announced_dt=start - timedelta(days=10),
        start_dt=start,
        planned_end_dt=start + timedelta(hours=3),
        title="Hội nghị đối thoại với Nhân dân về cải cách thủ tục hành chính",
    )
    secretary = make_user(Role.SECRETARY)
    conference.secretaries.append(secretary)
    db.session.commit()
    return conference, secretary, group


def _log(conference, secretary, question, **values):
    turn = live_operations.log_turn(
        conference, TurnData(question=question, **values), by=secretary
    ).turn
    db.session.commit()
    return turn


def _live(base, conference) -> str:
    return f"{base}/p/{conference.ward.slug}/hoi-nghi/{conference.id}/truc-tiep"


def test_a_phone_rates_an_answer_live_changes_it_and_finds_it_marked(live_server, phone, hall):
    conference, secretary, group = hall
    problems = _watch_console(phone)
    _log(conference, secretary, "Câu hỏi đang chờ trả lời", speaker_group_id=group.id)
    answered = _log(
        conference,
        secretary,
        "Thủ tục đăng ký khai sinh cho con cần những giấy tờ gì?",
        speaker_group_id=group.id,
        outcome=TurnOutcome.ANSWERED,
        answerer_name="Ông Nguyễn Văn A - Chủ tịch UBND phường",
        answer=ANSWER,
    )
    phone.goto(_live(live_server, conference))
    expect(phone.locator("#feed-indicator")).to_have_attribute("data-state", "live")
    card = phone.locator(f'#feed-turns .turn[data-turn-id="{answered.id}"]')
    form = card.locator("form.rate")
    expect(form).to_be_visible()
    # Only the answered turn has buttons.
    expect(phone.locator("#feed-turns form.rate")).to_have_count(1)
    # With the script the comment box is in place.
    expect(form.locator("summary")).to_have_text("Thêm ý kiến ngắn")
    expect(form.locator(".rate-comment-link")).to_be_hidden()
    _shot(phone, "live-before.png")

    form.get_by_role("button", name="Hài lòng", exact=True).click()
    status = form.locator(".rate-status")
    expect(status).to_contain_text("Bạn đã đánh giá: Hài lòng.")
    expect(form.get_by_role("button", name="Hài lòng", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    [rating] = _ratings()
    assert (rating.level, rating.kind) == (RatingLevel.SATISFIED, AnswerKind.SPOKEN)

    # A comment being typed when the next turn arrives stays, and so does the mark.
    form.locator("summary").click()
    box = form.locator("textarea")
    box.fill("Cần ghi rõ thời hạn trả kết quả")
    box.focus()
    _log(conference, secretary, "Câu hỏi mới về đất đai", speaker_group_id=group.id)
    expect(phone.locator("#feed-turns .turn")).to_have_count(3)
    form = phone.locator(f'#feed-turns .turn[data-turn-id="{answered.id}"] form.rate')
    expect(form.locator("textarea")).to_have_value("Cần ghi rõ thời hạn trả kết quả")
    expect(form.locator("textarea")).to_be_focused()
    expect(form.get_by_role("button", name="Hài lòng", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )

    # Changing the rating, with the comment.
    form.get_by_role("button", name="Rất hài lòng").click()
    expect(form.locator(".rate-status")).to_contain_text("Bạn đã đánh giá: Rất hài lòng.")
    expect(form.get_by_role("button", name="Hài lòng", exact=True)).to_have_attribute(
        "aria-pressed", "false"
    )
    [rating] = _ratings()
    assert rating.level is RatingLevel.VERY_SATISFIED
    assert rating.comment == "Cần ghi rõ thời hạn trả kết quả"
    _shot(phone, "live-rated.png")
    assert _fits(phone)

    # An answer recorded after the page was drawn gets its buttons, the same way.
    later = _log(
        conference,
        secretary,
        "Bao giờ có kết quả cấp đổi giấy phép lái xe?",
        outcome=TurnOutcome.ANSWERED,
        answerer_name="Bà Trần Thị B - Công chức Tư pháp - Hộ tịch",
        answer="Trong 5 ngày làm việc.",
    )
    later_form = phone.locator(f'#feed-turns .turn[data-turn-id="{later.id}"] form.rate')
    expect(later_form).to_be_visible()
    later_form.get_by_role("button", name="Không hài lòng").click()
    expect(later_form.locator(".rate-status")).to_contain_text("Bạn đã đánh giá: Không hài lòng.")

    # Back later, on a page kept for everyone: its choices are marked again.
    phone.reload()
    form = phone.locator(f'#feed-turns .turn[data-turn-id="{answered.id}"] form.rate')
    expect(form.get_by_role("button", name="Rất hài lòng")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(form.locator(".rate-status")).to_contain_text("Bạn đã đánh giá: Rất hài lòng.")
    expect(form.locator("textarea")).to_have_value("Cần ghi rõ thời hạn trả kết quả")
    assert len(_ratings()) == 2
    assert problems == []


def test_without_the_script_a_phone_rates_and_gets_a_message(live_server, browser, hall):
    conference, secretary, _group = hall
    _log(
        conference,
        secretary,
        "Thủ tục chứng thực bản sao mất bao lâu?",
        outcome=TurnOutcome.ANSWERED,
        answerer_name="Bà Trần Thị B - Công chức Tư pháp - Hộ tịch",
        answer="Trong ngày.",
    )
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, java_script_enabled=False
    )
    tab = context.new_page()
    try:
        tab.goto(_live(live_server, conference))
        tab.get_by_role("button", name="Không hài lòng").click()
        expect(tab.locator(".flash-success")).to_contain_text(
            "Cảm ơn bạn. Bạn đã đánh giá câu trả lời của lượt 1: Không hài lòng."
        )
        # The comment goes on the answer's own page, which does not reload itself.
        tab.get_by_role("link", name="Thêm ý kiến ngắn").click()
        _shot(tab, "rating-page-no-script.png")
        tab.get_by_label("Ý kiến của bạn (không bắt buộc)").fill("Nên niêm yết thời hạn")
        tab.get_by_role("button", name="Gửi ý kiến").click()
        expect(tab.locator(".flash-success")).to_be_visible()
        assert tab.url.endswith("/truc-tiep")
        _shot(tab, "live-no-script.png")
    finally:
        context.close()
    [rating] = _ratings()
    assert (rating.level, rating.comment) == (RatingLevel.DISSATISFIED, "Nên niêm yết thời hạn")


@pytest.fixture
def held(ward, make_conference):
    """The conference of 30/6/2020 with an answer on the spot and a published written answer."""
    start = datetime(2020, 6, 30, 1, 0, tzinfo=UTC)
    conference = make_conference(
        title="Hội nghị đối thoại 6 tháng đầu năm 2020",
        start_dt=start,
        planned_end_dt=start + timedelta(hours=3),
        status=ConferenceStatus.CLOSED,
        announced_dt=start - timedelta(days=10),
    )
    unit = Unit(ward=ward, name="Công chức Địa chính - Xây dựng")
    db.session.add(unit)
    from dialogue.live.models import Turn

    spoken = Turn(
        conference=conference,
        position=1,
        question="Thủ tục đăng ký khai sinh cho con cần những giấy tờ gì?",
        outcome=TurnOutcome.ANSWERED,
        answerer_name="Ông Nguyễn Văn A - Chủ tịch UBND phường",
        answer=ANSWER,
    )
    db.session.add(spoken)
    db.session.commit()
    referral = refer(
        conference,
        "Đề nghị hướng dẫn thủ tục cấp giấy chứng nhận quyền sử dụng đất cho hộ gia đình.",
        position=2,
        unit=unit,
        due=date(2020, 7, 10),
    )
    answer(referral, on=date(2020, 7, 8))
    return conference, spoken, referral


def test_a_phone_rates_the_written_answer_on_its_follow_up_page(live_server, phone, held):
    conference, _spoken, referral = held
    problems = _watch_console(phone)
    phone.goto(f"{live_server}/p/{conference.ward.slug}/kien-nghi/{referral.id}")
    section = phone.locator("#danh-gia-cau-tra-loi")
    expect(section).to_contain_text("Đánh giá câu trả lời bằng văn bản")
    section.get_by_role("button", name="Hài lòng", exact=True).click()
    expect(section.locator(".rate-status")).to_contain_text("Bạn đã đánh giá: Hài lòng.")
    section.locator("summary").click()
    section.locator("textarea").fill("<b>Rõ ràng</b>, xem thêm http://example.com")
    section.get_by_role("button", name="Gửi ý kiến").click()
    expect(section.locator(".rate-status")).to_contain_text("Bạn đã đánh giá: Hài lòng.")
    [rating] = _ratings()
    assert (rating.kind, rating.level) == (AnswerKind.WRITTEN, RatingLevel.SATISFIED)
    assert rating.comment == "<b>Rõ ràng</b>, xem thêm http://example.com"
    # The results, once the conference's are published: above the ward's minimum only.
    conference.status = ConferenceStatus.PUBLISHED
    db.session.commit()
    phone.reload()
    expect(section).to_contain_text("Chưa đủ 3 lượt đánh giá để công bố kết quả.")
    expect(section.get_by_role("button", name="Hài lòng", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    for n in range(2):
        ratings.rate_answer(
            referral.turn, AnswerKind.WRITTEN, RatingLevel.VERY_SATISFIED, "", f"d{n}"
        )
    db.session.commit()
    phone.reload()
    expect(section).to_contain_text("100,0% hài lòng (3 lượt đánh giá)")
    _shot(phone, "referral.png")
    assert _fits(phone)
    assert problems == []


def test_the_minutes_page_and_the_askers_link_on_a_phone(live_server, phone, held):
    conference, spoken, _referral = held
    problems = _watch_console(phone)
    document = publish(conference, pdf=b"%PDF-1.7 ratings")
    conference.status = ConferenceStatus.PUBLISHED
    for n, level in enumerate(("very_satisfied", "satisfied", "satisfied", "dissatisfied")):
        ratings.rate_answer(spoken, AnswerKind.SPOKEN, RatingLevel(level), "", f"d{n}")
    question = ResidentQuestion(
        conference=conference,
        question=spoken.question,
        asker_name="Phạm Thị Riêng Tư",
        status=QuestionStatus.ACCEPTED,
        turn=spoken,
    )
    db.session.add(question)
    db.session.commit()

    phone.goto(f"{live_server}/p/{conference.ward.slug}/bien-ban/{document.public_code}")
    section = phone.locator("#danh-gia-cau-tra-loi")
    expect(section).to_contain_text("Đánh giá câu trả lời")
    expect(section).to_contain_text("75,0% hài lòng (4 lượt đánh giá)")
    first = section.locator(".rate-item").first
    first.get_by_role("button", name="Rất hài lòng").click()
    expect(first.locator(".rate-status")).to_contain_text("Bạn đã đánh giá: Rất hài lòng.")
    section.scroll_into_view_if_needed()
    _shot(phone, "minutes.png")
    assert _fits(phone)

    phone.goto(f"{live_server}/p/{conference.ward.slug}/cau-hoi/{question.follow_token}")
    asked = phone.locator(".rate-asker")
    expect(asked).to_contain_text("Câu hỏi của bạn đã được trả lời")
    asked.get_by_role("button", name="Không hài lòng").click()
    expect(asked.locator(".rate-status")).to_contain_text("Bạn đã đánh giá: Không hài lòng.")
    _shot(phone, "asker.png")
    assert _fits(phone)
    mine = [r for r in _ratings() if r.is_asker]
    assert [(r.device_key, r.level) for r in mine] == [
        (asker_key(question.id), RatingLevel.DISSATISFIED)
    ]
    assert problems == []


def test_staff_read_the_results_on_a_phone(live_server, phone, held, make_user):
    conference, spoken, referral = held
    for n, level in enumerate(("very_satisfied", "very_satisfied", "satisfied", "dissatisfied")):
        ratings.rate_answer(
            spoken,
            AnswerKind.SPOKEN,
            RatingLevel(level),
            "Giải thích dễ hiểu <a href='http://x'>link</a>" if n == 0 else "",
            f"d{n}",
        )
    ratings.rate_answer(referral.turn, AnswerKind.WRITTEN, RatingLevel.SATISFIED, "", "d0")
    db.session.commit()
    chair = make_user(Role.CHAIR)
    sign_in(phone, live_server, chair)
    phone.goto(f"{live_server}/conferences/{conference.id}")
    phone.get_by_role("link", name="Xem kết quả").click()
    expect(phone.locator("h1")).to_have_text("Kết quả đánh giá câu trả lời")
    expect(phone.locator("main")).to_contain_text("75,0%")
    expect(phone.locator(".rate-comment-text")).to_have_text(
        "Giải thích dễ hiểu <a href='http://x'>link</a>"
    )
    expect(phone.locator(".rate-comment a")).to_have_count(0)
    _shot(phone, "results-phone.png")
    assert _fits(phone)
