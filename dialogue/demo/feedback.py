"""The residents' voice of the 2020 conference: survey forms on paper and online, ratings.

Made up, plausibly: a ward's dialogue draws mostly "hài lòng" with a tail of complaints about
the land procedures and about having to come back. Paper forms were handed out in the hall and
typed in by the office the next morning; online forms came through the QR code during the
meeting and the days after; answers were rated from the live page and the published minutes.
Everything is dated in 2020, as it happened; nothing says who answered.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from dialogue.auth.models import User
from dialogue.conferences.models import Conference
from dialogue.demo import data
from dialogue.extensions import db
from dialogue.feedback.device import key_of
from dialogue.feedback.models import (
    AnswerKind,
    AnswerRating,
    RatingLevel,
    ResponseSource,
    SurveyElement,
    SurveyResponse,
)
from dialogue.feedback.survey import ensure_survey
from dialogue.live.models import Turn

PAPER_FORMS = 58
ONLINE_FORMS = 19
# Weights of the scores 5 (Rất hài lòng) … 1 (Rất không hài lòng) for each element.
SCORE_WEIGHTS = {
    SurveyElement.ACCESS: (38, 48, 9, 4, 1),
    SurveyElement.PROCEDURES: (27, 49, 14, 8, 2),
    SurveyElement.OFFICIALS: (45, 45, 7, 2, 1),
    SurveyElement.RESULTS: (30, 50, 12, 6, 2),
    SurveyElement.FEEDBACK: (26, 48, 16, 7, 3),
}
# A paper form left this element blank, one in so many.
BLANK_ONE_IN = 25
VISITS_WEIGHTS = (68, 23, 9)
COMMENTS = (
    "Cán bộ Bộ phận Một cửa hướng dẫn tận tình, dễ hiểu.",
    "Đề nghị niêm yết công khai thời gian giải quyết từng thủ tục đất đai tại trụ sở phường.",
    "Hồ sơ cấp giấy chứng nhận còn phải bổ sung nhiều lần, mỗi lần một yêu cầu khác nhau.",
    "Mong phường tổ chức đối thoại vào buổi tối hoặc ngày nghỉ để người đi làm tham dự được.",
    "Thủ tục chứng thực nhanh, không phải chờ lâu.",
    "Nên có thêm máy lấy số thứ tự và ghế ngồi chờ ở Bộ phận Một cửa.",
    "Đề nghị hướng dẫn cách nộp hồ sơ trực tuyến cho người cao tuổi.",
    "Việc trả lời kiến nghị bằng văn bản cần đúng hẹn và gửi về tổ dân phố.",
    "Hài lòng với cách phường trả lời trực tiếp tại hội nghị.",
    "Đường dây nóng của phường nhiều lúc gọi không được.",
)
COMMENT_ONE_IN = 6
# Ratings of the answers given in the hall: how many devices rated each, and the levels'
# weights (very satisfied, satisfied, not satisfied).
SPOKEN_RATINGS = (5, 14)
SPOKEN_WEIGHTS = (34, 52, 14)
# What a rater wrote, now and then, by the level chosen.
RATING_COMMENTS = {
    RatingLevel.VERY_SATISFIED: (
        "Trả lời rõ ràng, cụ thể.",
        "Cảm ơn lãnh đạo phường đã giải đáp tận tình.",
    ),
    RatingLevel.SATISFIED: (
        "Đề nghị có văn bản hướng dẫn kèm theo.",
        "Mong phường sớm thực hiện như đã trả lời.",
    ),
    RatingLevel.DISSATISFIED: (
        "Chưa trả lời đúng trọng tâm câu hỏi.",
        "Chưa nói rõ thời hạn giải quyết.",
    ),
}
WRITTEN_RATINGS = ((RatingLevel.SATISFIED, 3), (RatingLevel.VERY_SATISFIED, 2))


def _score(rng: random.Random, element: SurveyElement, *, on_paper: bool) -> int | None:
    if on_paper and rng.randrange(BLANK_ONE_IN) == 0:
        return None
    return rng.choices((5, 4, 3, 2, 1), SCORE_WEIGHTS[element])[0]


def _response(rng: random.Random, conference: Conference, **fields) -> SurveyResponse:
    on_paper = fields["source"] is ResponseSource.PAPER
    comment = rng.choice(COMMENTS) if rng.randrange(COMMENT_ONE_IN) == 0 else ""
    return SurveyResponse(
        conference=conference,
        **{element.value: _score(rng, element, on_paper=on_paper) for element in SurveyElement},
        visits=rng.choices((0, 1, 2), VISITS_WEIGHTS)[0],
        comment=comment,
        **fields,
    )


def add_survey_2020(conference: Conference, clerk: User) -> None:
    """The 2020 survey's answers: forms typed in from paper, and answers sent online."""
    rng = random.Random(20200630)
    ensure_survey(conference)
    typed_at = data._local(2020, 7, 1, 8, 30)
    for number in range(1, PAPER_FORMS + 1):
        when = typed_at + timedelta(seconds=40 * number)
        db.session.add(
            _response(
                rng,
                conference,
                source=ResponseSource.PAPER,
                paper_number=number,
                entered_by=clerk,
                created_dt=when,
                updated_dt=when,
            )
        )
    start = conference.start_dt
    for number in range(1, ONLINE_FORMS + 1):
        # Most during the meeting, the rest over the following days.
        offset = (
            timedelta(minutes=rng.randrange(20, 170))
            if number <= 12
            else timedelta(days=rng.randrange(1, 8), hours=rng.randrange(0, 12))
        )
        when = start + offset
        db.session.add(
            _response(
                rng,
                conference,
                source=ResponseSource.ONLINE,
                device_key=key_of(f"demo-2020-survey-{number}"),
                created_dt=when,
                updated_dt=when,
            )
        )
    db.session.flush()


def _rating(turn: Turn, kind: AnswerKind, n: int, level, comment: str, when: datetime):
    return AnswerRating(
        conference_id=turn.conference_id,
        turn=turn,
        kind=kind,
        device_key=key_of(f"demo-2020-rating-{kind.value}-{turn.id}-{n}"),
        level=level,
        comment=comment,
        created_dt=when,
        updated_dt=when,
    )


def add_ratings_2020(conference: Conference, turns) -> None:
    """Ratings of the answers given in the hall in 2020, and of the written answer."""
    rng = random.Random(2020)
    for turn in turns:
        if turn.is_withdrawn:
            continue
        if turn.answer and turn.outcome.value == "answered":
            for n in range(rng.randint(*SPOKEN_RATINGS)):
                level = rng.choices(list(RatingLevel), SPOKEN_WEIGHTS)[0]
                comment = rng.choice(RATING_COMMENTS[level]) if rng.randrange(8) == 0 else ""
                # From the live page during the meeting, or from the minutes in the evening.
                when = conference.start_dt + timedelta(minutes=rng.randrange(40, 720))
                db.session.add(_rating(turn, AnswerKind.SPOKEN, n, level, comment, when))
        referral = turn.referral
        answer = referral.published_answer if referral is not None else None
        if answer is not None:
            n = 0
            for level, count in WRITTEN_RATINGS:
                for _ in range(count):
                    when = answer.published_dt + timedelta(days=rng.randrange(1, 10))
                    db.session.add(_rating(turn, AnswerKind.WRITTEN, n, level, "", when))
                    n += 1
    db.session.flush()


# Questions residents sent for the next conference: (group, area code, text, shown publicly,
# devices that said "Tôi cũng quan tâm"). Nobody's name: the form does not need one.
ADVANCE_QUESTIONS = (
    (
        7,
        "DD",
        "Đề nghị phường cho biết kế hoạch cấp giấy chứng nhận quyền sử dụng đất cho các hộ "
        "ở ngõ 12 đường Thạch Bàn; hồ sơ đã nộp từ năm trước nhưng chưa có kết quả.",
        True,
        23,
    ),
    (
        3,
        "HT",
        "Tôi muốn đăng ký khai sinh cho con qua Cổng dịch vụ công nhưng không biết phải chụp "
        "những giấy tờ gì; phường có thể hướng dẫn trực tiếp tại tổ dân phố được không?",
        True,
        11,
    ),
    (
        12,
        "XD",
        "Thời gian cấp giấy phép sửa chữa nhà ở riêng lẻ hiện nay là bao lâu, và có phải "
        "xin ý kiến các hộ liền kề không?",
        True,
        6,
    ),
    (
        9,
        "BTXH",
        "Mẹ tôi 80 tuổi đã nộp hồ sơ hưởng trợ cấp xã hội hàng tháng, đề nghị phường cho biết "
        "khi nào được nhận.",
        False,
        0,
    ),
)


def add_advance_questions(conference: Conference, organiser: User) -> None:
    """Questions sent before the next conference, three shown publicly and supported."""
    from dialogue.feedback.models import QuestionSupport
    from dialogue.questions.models import ResidentQuestion
    from dialogue.questions.operations import show_question

    ward = conference.ward
    groups = {group.number: group for group in ward.residential_groups}
    areas = {area.code: area for area in ward.procedure_areas}
    for index, (group, area, text, shown, supporters) in enumerate(ADVANCE_QUESTIONS, start=1):
        question = ResidentQuestion(
            conference=conference,
            residential_group=groups.get(group),
            procedure_area=areas.get(area),
            question=text,
        )
        db.session.add(question)
        db.session.flush()
        if not shown:
            continue
        show_question(question, by=organiser)
        db.session.add_all(
            QuestionSupport(
                question_id=question.id,
                device_key=key_of(f"demo-next-support-{index}-{n}"),
            )
            for n in range(supporters)
        )
        question.support_count = supporters
    db.session.flush()
