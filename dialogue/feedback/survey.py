"""The conference's satisfaction survey: its questions, when it takes answers, the answers
given online and typed in from paper, what they add up to, and the rows of its exports.

The survey opens when the conference starts and takes answers until the end of the day the
ward set (by default the day the results must be published, 10 days after the conference),
in the ward's own calendar. An online answer belongs to a device (``feedback.device``): the
device may change it, never add a second one. Paper forms are typed in by staff and count
the same way. Operations flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import gettext as _

from dialogue.auth.models import Role, User
from dialogue.conferences.models import PUBLICATION_DAYS, Conference, ConferenceStatus
from dialogue.content import wording
from dialogue.core.dates import to_local, vn_date, vn_datetime, vn_short_date
from dialogue.core.db import utcnow
from dialogue.documents.composed import Column, Kind, Properties, Rows
from dialogue.dossier.figures import format_count, format_rate, percentage
from dialogue.errors import DialogueError, PermissionDenied, ValidationFailed
from dialogue.extensions import db
from dialogue.feedback.models import (
    MAX_COMMENT_LENGTH,
    VISITS_CHOICES,
    LikertLevel,
    ResponseSource,
    Survey,
    SurveyElement,
    SurveyResponse,
)
from dialogue.feedback.results import Satisfaction, satisfaction

ELEMENTS = tuple(SurveyElement)
VISITS = "visits"
COMMENT = "comment"
QUESTION_CODES = (*(element.value for element in ELEMENTS), VISITS, COMMENT)
MAX_QUESTION_LENGTH = 500
SCORES = tuple(range(1, 6))
SATISFIED_LEVELS = frozenset({LikertLevel.VERY_SATISFIED, LikertLevel.SATISFIED})
# The last day may be moved, within reason: answers taken months later say little of the day.
MAX_OPEN_DAYS = 90
# What a tally line leaves blank.
BLANK = "-"
RECENT_PAPER_ENTRIES = 12


class SurveyClosed(DialogueError):
    """The survey takes no answers now (not yet, no longer, or never for this conference)."""


class PaperNotAccepted(DialogueError):
    """Paper forms cannot be typed in for this conference (yet)."""


class TallyError(ValidationFailed):
    """A tally line that is not five scores and a number of visits."""


# -- the questions ---------------------------------------------------------------------------


def default_questions(conference: Conference) -> dict[str, str]:
    """The Vietnamese a ward prints on its form, one question per SIPAS element."""
    office = f"Ủy ban nhân dân {conference.ward.full_name}"
    return {
        SurveyElement.ACCESS.value: (
            f"Ông/Bà đánh giá thế nào về việc tiếp cận dịch vụ hành chính công tại {office} "
            "(nơi tiếp nhận hồ sơ, chỗ ngồi chờ, trang thiết bị, thông tin niêm yết, hướng dẫn, "
            "nộp hồ sơ trực tuyến)?"
        ),
        SurveyElement.PROCEDURES.value: (
            "Ông/Bà đánh giá thế nào về thủ tục hành chính đã thực hiện (được niêm yết công "
            "khai, đầy đủ; thành phần hồ sơ, biểu mẫu, phí, lệ phí và thời hạn giải quyết đúng "
            "quy định)?"
        ),
        SurveyElement.OFFICIALS.value: (
            "Ông/Bà đánh giá thế nào về công chức trực tiếp hướng dẫn, tiếp nhận và giải quyết "
            "hồ sơ (thái độ giao tiếp, tinh thần trách nhiệm, hướng dẫn tận tình, dễ hiểu)?"
        ),
        SurveyElement.RESULTS.value: (
            "Ông/Bà đánh giá thế nào về kết quả giải quyết thủ tục hành chính (đúng hạn, đầy "
            "đủ, chính xác, đúng quy định)?"
        ),
        SurveyElement.FEEDBACK.value: (
            "Ông/Bà đánh giá thế nào về việc tiếp nhận, xử lý và trả lời ý kiến, kiến nghị của "
            "người dân, doanh nghiệp, trong đó có các ý kiến được trả lời tại Hội nghị đối "
            "thoại này?"
        ),
        VISITS: (
            "Số lần Ông/Bà phải đi lại cơ quan hành chính để bổ sung, hoàn thiện hồ sơ (không "
            "tính lần nộp hồ sơ và lần nhận kết quả)?"
        ),
        COMMENT: (
            f"Ông/Bà có ý kiến, kiến nghị gì để {office} nâng cao chất lượng phục vụ và tổ "
            "chức tốt hơn các hội nghị đối thoại?"
        ),
    }


def find_survey(conference: Conference) -> Survey | None:
    return db.session.scalar(sa.select(Survey).where(Survey.conference_id == conference.id))


def default_closes_on(conference: Conference) -> date:
    """The day the results must be published: the survey's default last day."""
    return conference.held_start_local.date() + timedelta(days=PUBLICATION_DAYS)


def _previous_questions(conference: Conference) -> dict[str, str] | None:
    """The wording of the ward's latest other survey, the one its staff last worked on."""
    questions = db.session.scalar(
        sa.select(Survey.questions)
        .join(Conference, Conference.id == Survey.conference_id)
        .where(Conference.ward_id == conference.ward_id, Conference.id != conference.id)
        .order_by(Conference.start_dt.desc(), Survey.id.desc())
        .limit(1)
    )
    if not questions:
        return None
    defaults = default_questions(conference)
    return {code: questions.get(code) or defaults[code] for code in QUESTION_CODES}


def survey_of(conference: Conference) -> Survey:
    """The conference's survey; until it is first needed, an unsaved one with what it would get."""
    survey = find_survey(conference)
    if survey is not None:
        return survey
    # Not added to the session: made for reading only.
    return Survey(
        conference_id=conference.id,
        closes_on=default_closes_on(conference),
        questions=_previous_questions(conference) or default_questions(conference),
    )


def ensure_survey(conference: Conference) -> Survey:
    """The conference's survey row, made now when it has none."""
    survey = find_survey(conference)
    if survey is not None:
        return survey
    draft = survey_of(conference)
    survey = Survey(
        conference=conference, closes_on=draft.closes_on, questions=dict(draft.questions)
    )
    try:
        with db.session.begin_nested():
            db.session.add(survey)
            db.session.flush()
    except sa.exc.IntegrityError:
        # Another request made it a moment ago.
        survey = find_survey(conference)
        if survey is None:
            raise
    return survey


def is_saved(survey: Survey) -> bool:
    return survey.id is not None


# -- when it takes answers -------------------------------------------------------------------


class SurveyState(StrEnum):
    NOT_YET = "not_yet"
    OPEN = "open"
    CLOSED = "closed"
    # Cancelled, or recorded afterwards from its paper file: no online survey at all.
    NONE = "none"


@dataclass(frozen=True)
class Window:
    state: SurveyState
    opens_dt: datetime
    closes_on: date

    @property
    def is_open(self) -> bool:
        return self.state is SurveyState.OPEN


def opens_dt(conference: Conference) -> datetime:
    """When the survey opens: the conference's start, or its actual start if that was earlier."""
    if conference.started_dt is not None and conference.started_dt < conference.start_dt:
        return conference.started_dt
    return conference.start_dt


def survey_window(
    conference: Conference, survey: Survey | None = None, *, now: datetime | None = None
) -> Window:
    """Where the survey stands at ``now``: it closes at the end of its last day, ward's time."""
    survey = survey or survey_of(conference)
    now = now or utcnow()
    opens = opens_dt(conference)
    if conference.status in {ConferenceStatus.DRAFT, ConferenceStatus.CANCELLED} or (
        conference.is_recorded_afterwards
    ):
        state = SurveyState.NONE
    elif now < opens:
        state = SurveyState.NOT_YET
    elif to_local(now, conference.ward.timezone).date() > survey.closes_on:
        state = SurveyState.CLOSED
    else:
        state = SurveyState.OPEN
    return Window(state, opens, survey.closes_on)


def window_message(conference: Conference, window: Window) -> str:
    """What a resident reads when the survey takes no answers, with its dates."""
    tz = conference.ward.timezone
    if window.state is SurveyState.NOT_YET:
        return _(
            "The survey opens when the conference begins, at %(start)s, and takes answers "
            "until the end of %(last_day)s.",
            start=vn_datetime(window.opens_dt, tz),
            last_day=vn_date(window.closes_on),
        )
    if window.state is SurveyState.CLOSED:
        return _(
            "The survey is closed: it took answers until the end of %(last_day)s. "
            "Thank you for your interest.",
            last_day=vn_date(window.closes_on),
        )
    if conference.status is ConferenceStatus.CANCELLED:
        return _("The conference was cancelled: there is no survey.")
    return _("This conference was recorded after it took place: its survey was held on paper only.")


def _ensure_open(conference: Conference, now: datetime | None = None) -> Survey:
    window = survey_window(conference, now=now)
    if not window.is_open:
        raise SurveyClosed(window_message(conference, window))
    return ensure_survey(conference)


# -- an answer -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerData:
    """One filled-in form: a score 1..5 per element (None: left blank), visits, comment."""

    scores: dict[SurveyElement, int | None]
    visits: int | None = None
    comment: str = ""

    @property
    def is_empty(self) -> bool:
        return (
            all(score is None for score in self.scores.values())
            and self.visits is None
            and not self.comment.strip()
        )

    def check(self) -> None:
        """Refuse what the database would: a score outside 1..5, visits outside 0..2."""
        for element, score in self.scores.items():
            if score is not None and score not in SCORES:
                raise ValidationFailed(score_message(), field=element.value)
        if self.visits is not None and self.visits not in VISITS_CHOICES:
            raise ValidationFailed(visits_message(), field=VISITS)
        if len(self.comment) > MAX_COMMENT_LENGTH:
            raise ValidationFailed(
                _("At most %(limit)s characters.", limit=MAX_COMMENT_LENGTH), field=COMMENT
            )
        if self.is_empty:
            raise ValidationFailed(empty_message())


def score_message() -> str:
    return _("Choose one of the five levels, from 5 (very satisfied) to 1 (very dissatisfied).")


def visits_message() -> str:
    return _("The number of visits is 0, 1 or 2 (2 means twice or more).")


def empty_message() -> str:
    return _("The form is empty: answer at least one question.")


def _apply(response: SurveyResponse, data: AnswerData) -> None:
    for element in ELEMENTS:
        setattr(response, element.value, data.scores.get(element))
    response.visits = data.visits
    response.comment = data.comment.strip()


def answer_of_device(conference: Conference, device_key: str | None) -> SurveyResponse | None:
    """The online answer ``device_key`` gave to the conference's survey, if any."""
    if not device_key:
        return None
    return db.session.scalar(
        sa.select(SurveyResponse).where(
            SurveyResponse.conference_id == conference.id,
            SurveyResponse.device_key == device_key,
        )
    )


@dataclass(frozen=True)
class Recorded:
    response: SurveyResponse
    # False when the device changed the answer it had given.
    created: bool


def record_online_answer(
    conference: Conference, data: AnswerData, device_key: str, *, now: datetime | None = None
) -> Recorded:
    """Keep ``device_key``'s answer: a new row the first time, the same row changed after."""
    data.check()
    _ensure_open(conference, now)
    existing = answer_of_device(conference, device_key)
    if existing is None:
        response = SurveyResponse(
            conference=conference, source=ResponseSource.ONLINE, device_key=device_key
        )
        _apply(response, data)
        try:
            with db.session.begin_nested():
                db.session.add(response)
                db.session.flush()
            return Recorded(response, created=True)
        except sa.exc.IntegrityError:
            # The same device sent twice at once (two tabs): the other request made the row.
            existing = answer_of_device(conference, device_key)
            if existing is None:
                raise
    _apply(existing, data)
    existing.updated_dt = utcnow()
    db.session.flush()
    return Recorded(existing, created=False)


# -- paper forms -----------------------------------------------------------------------------


def can_manage_survey(conference: Conference, user: User) -> bool:
    """Organisers and the chair set the survey's last day and its wording."""
    return user.has_role(Role.ORGANISER, Role.CHAIR) and (
        user.is_admin or user.ward_id == conference.ward_id
    )


def can_enter_paper(conference: Conference, user: User) -> bool:
    """Organisers and secretaries type in the paper forms."""
    return user.has_role(Role.ORGANISER, Role.SECRETARY) and (
        user.is_admin or user.ward_id == conference.ward_id
    )


def can_read_results(conference: Conference, user: User) -> bool:
    return user.has_role(Role.ORGANISER, Role.SECRETARY, Role.CHAIR) and (
        user.is_admin or user.ward_id == conference.ward_id
    )


def paper_refusal(conference: Conference, now: datetime | None = None) -> str | None:
    """Why paper forms cannot be typed in now; None when they can.

    Forms collected in the hall are typed in later, after the last day too: the close date
    governs residents' online answers, not the office's typing.
    """
    if conference.status in {ConferenceStatus.DRAFT, ConferenceStatus.CANCELLED}:
        return _("This conference has no survey: it was not held.")
    if (now or utcnow()) < opens_dt(conference) and not conference.is_recorded_afterwards:
        return _(
            "Paper forms are typed in once the conference has begun (%(start)s).",
            start=vn_datetime(opens_dt(conference), conference.ward.timezone),
        )
    return None


def parse_tally(text: str) -> tuple[dict[SurveyElement, int | None], int | None]:
    """Read "54453 1", "5 4 4 5 3 1" or "5-453": five scores, then the visits; "-" is blank.

    Spaces are ignored; the visits may be left off.
    """
    marks = "".join((text or "").split())
    if len(marks) > len(ELEMENTS) + 1:
        raise TallyError(
            _(
                "Too many marks: type five scores and the number of visits, "
                "%(count)s at most (you typed %(typed)s).",
                count=len(ELEMENTS) + 1,
                typed=len(marks),
            ),
            field="tally",
        )
    if marks and len(marks) < len(ELEMENTS):
        raise TallyError(
            _(
                "Only %(typed)s of the five scores: type one mark per element, "
                '"-" for a question left blank.',
                typed=len(marks),
            ),
            field="tally",
        )
    scores: dict[SurveyElement, int | None] = {element: None for element in ELEMENTS}
    for position, (element, mark) in enumerate(zip(ELEMENTS, marks, strict=False), start=1):
        if mark == BLANK:
            continue
        if mark not in "12345":
            raise TallyError(
                _(
                    "Mark %(position)s, “%(mark)s”, is not a score: type 1 to 5, "
                    'or "-" if the question was left blank.',
                    position=position,
                    mark=mark,
                ),
                field="tally",
            )
        scores[element] = int(mark)
    visits = None
    if len(marks) == len(ELEMENTS) + 1 and marks[-1] != BLANK:
        if marks[-1] not in "012":
            raise TallyError(
                _(
                    "The last mark, “%(mark)s”, is not a number of visits: type 0, 1 or 2 "
                    '(2 means twice or more), or "-".',
                    mark=marks[-1],
                ),
                field="tally",
            )
        visits = int(marks[-1])
    return scores, visits


def tally_text(response: SurveyResponse) -> str:
    """The marks of a response as they are typed: "54453 1"."""
    scores = "".join(
        str(score) if (score := response.score(element)) is not None else BLANK
        for element in ELEMENTS
    )
    visits = BLANK if response.visits is None else str(response.visits)
    return f"{scores} {visits}"


def next_paper_number(conference: Conference) -> int:
    highest = db.session.scalar(
        sa.select(sa.func.max(SurveyResponse.paper_number)).where(
            SurveyResponse.conference_id == conference.id
        )
    )
    return (highest or 0) + 1


def record_paper_answer(
    conference: Conference,
    data: AnswerData,
    *,
    paper_number: int | None,
    by: User,
    now: datetime | None = None,
) -> SurveyResponse:
    """Count one paper form, typed in by ``by``; its number, when written on it, only once."""
    refusal = paper_refusal(conference, now)
    if refusal:
        raise PaperNotAccepted(refusal)
    data.check()
    if paper_number is not None:
        taken = db.session.scalar(
            sa.select(SurveyResponse).where(
                SurveyResponse.conference_id == conference.id,
                SurveyResponse.paper_number == paper_number,
            )
        )
        if taken is not None:
            raise ValidationFailed(
                _(
                    "Form No. %(number)s was typed in already (%(tally)s). If this is another "
                    "form, correct its number.",
                    number=paper_number,
                    tally=tally_text(taken),
                ),
                field="paper_number",
            )
    ensure_survey(conference)
    response = SurveyResponse(
        conference=conference,
        source=ResponseSource.PAPER,
        entered_by=by,
        paper_number=paper_number,
    )
    _apply(response, data)
    db.session.add(response)
    db.session.flush()
    return response


def can_undo(response: SurveyResponse, user: User) -> bool:
    """Whoever typed a paper form may take it back; an organiser may take back any."""
    if response.source is not ResponseSource.PAPER:
        return False
    return response.entered_by_id == user.id or user.has_role(Role.ORGANISER)


def delete_paper_answer(response: SurveyResponse, *, by: User) -> None:
    if not can_undo(response, by):
        raise PermissionDenied(
            _("Only the person who typed in a paper form, or an organiser, can take it back.")
        )
    db.session.delete(response)
    db.session.flush()


def recent_paper_entries(
    conference: Conference, *, limit: int = RECENT_PAPER_ENTRIES
) -> list[SurveyResponse]:
    return list(
        db.session.scalars(
            sa.select(SurveyResponse)
            .where(
                SurveyResponse.conference_id == conference.id,
                SurveyResponse.source == ResponseSource.PAPER,
            )
            .order_by(SurveyResponse.id.desc())
            .limit(limit)
        )
    )


# -- counts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """How many forms came in, and how that compares with the people present."""

    online: int
    paper: int
    # Checked in at the desk, or counted from the paper sign-in sheets; 0 when not recorded.
    present: int

    @property
    def total(self) -> int:
        return self.online + self.paper

    @property
    def exceeds_present(self) -> bool:
        return self.present > 0 and self.total > self.present


def count_responses(conference: Conference) -> tuple[int, int]:
    """The online and paper forms of the conference."""
    rows = db.session.execute(
        sa.select(SurveyResponse.source, sa.func.count())
        .where(SurveyResponse.conference_id == conference.id)
        .group_by(SurveyResponse.source)
    )
    counts = {ResponseSource(source): number for source, number in rows}
    return counts.get(ResponseSource.ONLINE, 0), counts.get(ResponseSource.PAPER, 0)


def tally_of(conference: Conference) -> Tally:
    from dialogue.attendance.operations import count_attendance

    online, paper = count_responses(conference)
    return Tally(online=online, paper=paper, present=count_attendance(conference).total.present)


def over_present_message(tally: Tally) -> str | None:
    """The warning when there are more forms than people present (nothing is refused)."""
    if not tally.exceeds_present:
        return None
    return _(
        "There are %(total)s survey forms (%(online)s online, %(paper)s on paper) but "
        "%(present)s people present. Check that no paper form was typed in twice; online "
        "answers may also come from residents who did not attend.",
        total=tally.total,
        online=tally.online,
        paper=tally.paper,
        present=tally.present,
    )


def has_answers(conference: Conference) -> bool:
    return (
        db.session.scalar(
            sa.select(SurveyResponse.id)
            .where(SurveyResponse.conference_id == conference.id)
            .limit(1)
        )
        is not None
    )


# -- the settings ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SettingsData:
    closes_on: date
    # None: the wording is locked (answers exist) and stays as it is.
    questions: dict[str, str] | None = None


def first_possible_close(conference: Conference) -> date:
    return conference.held_start_local.date()


def last_possible_close(conference: Conference) -> date:
    return conference.held_start_local.date() + timedelta(days=MAX_OPEN_DAYS)


def update_settings(conference: Conference, data: SettingsData) -> Survey:
    """Set the survey's last day and, while no one has answered, its wording."""
    if not first_possible_close(conference) <= data.closes_on <= last_possible_close(conference):
        raise ValidationFailed(
            _(
                "Choose a day from the day of the conference (%(first)s) to %(last)s.",
                first=vn_short_date(first_possible_close(conference)),
                last=vn_short_date(last_possible_close(conference)),
            ),
            field="closes_on",
        )
    survey = ensure_survey(conference)
    survey.closes_on = data.closes_on
    if data.questions is not None:
        if has_answers(conference):
            raise ValidationFailed(wording_locked_message())
        questions = {code: data.questions[code].strip() for code in QUESTION_CODES}
        if questions != survey.questions:
            survey.questions = questions
    db.session.flush()
    return survey


def wording_locked_message() -> str:
    return _(
        "The questions can no longer be changed: residents have answered them. Every answer "
        "must be to the same question."
    )


# -- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comment:
    text: str
    source: ResponseSource
    saved_dt: datetime


@dataclass(frozen=True)
class SurveyResults:
    online: int
    paper: int
    elements: tuple[tuple[SurveyElement, Satisfaction], ...]
    # The five elements' answers pooled: every answered question of every form.
    overall: Satisfaction
    # (0 | 1 | 2 | None, count): None counts the forms that left the question blank.
    visits: tuple[tuple[int | None, int], ...]
    comments: tuple[Comment, ...] = ()

    @property
    def responses(self) -> int:
        return self.online + self.paper

    def share(self, count: int) -> Decimal | None:
        return percentage(count, self.responses)

    @property
    def lowest(self) -> tuple[tuple[SurveyElement, Satisfaction], ...]:
        """The answered elements with the lowest satisfaction (several when they tie)."""
        rated = [(element, result) for element, result in self.elements if result.responses]
        if not rated:
            return ()
        lowest = min(result.rate for _element, result in rated)
        return tuple(item for item in rated if item[1].rate == lowest)


def likert_satisfaction(counts: dict[LikertLevel, int]) -> Satisfaction:
    """Satisfaction from answers on the five-level scale, by level: the two upper ones count."""
    return satisfaction(
        counts, tuple(LikertLevel), is_satisfied=lambda level: level in SATISFIED_LEVELS
    )


def _likert(counts: dict[int, int]) -> Satisfaction:
    return likert_satisfaction({LikertLevel(str(score)): n for score, n in counts.items()})


def survey_results(
    conference: Conference, *, as_of: datetime | None = None, with_comments: bool = False
) -> SurveyResults:
    """Count the conference's answers (those saved by ``as_of``, when given)."""
    columns = [getattr(SurveyResponse, element.value) for element in ELEMENTS]
    stmt = sa.select(SurveyResponse.source, *columns, SurveyResponse.visits).where(
        SurveyResponse.conference_id == conference.id
    )
    if as_of is not None:
        stmt = stmt.where(SurveyResponse.created_dt <= as_of)
    by_element: dict[SurveyElement, dict[int, int]] = {element: {} for element in ELEMENTS}
    pooled: dict[int, int] = {}
    visits: dict[int | None, int] = dict.fromkeys((*VISITS_CHOICES, None), 0)
    online = paper = 0
    for source, *scores, visit in db.session.execute(stmt):
        if ResponseSource(source) is ResponseSource.ONLINE:
            online += 1
        else:
            paper += 1
        for element, score in zip(ELEMENTS, scores, strict=True):
            if score is not None:
                by_element[element][score] = by_element[element].get(score, 0) + 1
                pooled[score] = pooled.get(score, 0) + 1
        visits[visit] = visits.get(visit, 0) + 1
    comments: tuple[Comment, ...] = ()
    if with_comments:
        rows = db.session.execute(
            sa.select(SurveyResponse.comment, SurveyResponse.source, SurveyResponse.updated_dt)
            .where(SurveyResponse.conference_id == conference.id, SurveyResponse.comment != "")
            .order_by(SurveyResponse.id)
        )
        comments = tuple(
            Comment(text, ResponseSource(source), saved) for text, source, saved in rows
        )
    return SurveyResults(
        online=online,
        paper=paper,
        elements=tuple((element, _likert(by_element[element])) for element in ELEMENTS),
        overall=_likert(pooled),
        visits=tuple(visits.items()),
        comments=comments,
    )


# -- the exports -----------------------------------------------------------------------------

# The exports are in Vietnamese whatever the interface language, like the documents.
SOURCE_TITLES = {ResponseSource.ONLINE: "Trực tuyến", ResponseSource.PAPER: "Phiếu giấy"}
ELEMENT_HEADERS = {
    SurveyElement.ACCESS: "Tiếp cận dịch vụ",
    SurveyElement.PROCEDURES: "Thủ tục hành chính",
    SurveyElement.OFFICIALS: "Công chức trực tiếp giải quyết công việc",
    SurveyElement.RESULTS: "Kết quả giải quyết",
    SurveyElement.FEEDBACK: "Tiếp nhận, xử lý góp ý, phản ánh, kiến nghị",
}
SHEET_TITLE = "Phiếu khảo sát"
EXPORT_COLUMNS: tuple[Column, ...] = (
    Column("number", "STT", 6, kind=Kind.INTEGER),
    Column("source", "Hình thức", 12),
    Column("paper_number", "Số phiếu giấy", 10, kind=Kind.INTEGER),
    *(
        Column(element.value, ELEMENT_HEADERS[element], 14, kind=Kind.INTEGER, wraps=True)
        for element in ELEMENTS
    ),
    Column("visits", "Số lần phải đi lại (2 = 2 lần trở lên)", 14, kind=Kind.INTEGER, wraps=True),
    Column("comment", "Ý kiến khác", 50, wraps=True),
    Column("saved_at", "Thời điểm ghi nhận", 17, kind=Kind.DATETIME),
)


def response_rows(conference: Conference) -> list[dict]:
    """One row per form, scores 5 (Rất hài lòng) to 1 (Rất không hài lòng), blank if left blank.

    Nothing that identifies a device or a person: no device key, not who typed a paper form.
    """
    tz = conference.ward.timezone
    responses = db.session.scalars(
        sa.select(SurveyResponse)
        .where(SurveyResponse.conference_id == conference.id)
        .order_by(SurveyResponse.id)
    )
    rows = []
    for number, response in enumerate(responses, start=1):
        row = {
            "number": number,
            "source": SOURCE_TITLES[response.source],
            "paper_number": response.paper_number,
            "visits": response.visits,
            "comment": response.comment,
            # Spreadsheets have no time zones: the ward's local time, as staff read it.
            "saved_at": to_local(response.updated_dt, tz),
        }
        row.update({element.value: response.score(element) for element in ELEMENTS})
        rows.append(row)
    return rows


def responses_sheet(conference: Conference) -> Rows:
    agency = f"UBND {conference.ward.full_name}"
    return Rows(
        title=SHEET_TITLE,
        columns=EXPORT_COLUMNS,
        rows=response_rows(conference),
        properties=Properties(
            title=f"{SHEET_TITLE} - {conference.title}",
            subject=conference.subject or conference.title,
            author=agency,
        ),
    )


# -- where residents find it ------------------------------------------------------------------


def survey_address(conference: Conference) -> str:
    """The residents' form as a full address (QR codes, letters, the minutes)."""
    from dialogue.followup.notifications import absolute_url

    return absolute_url(
        "feedback.answer", ward_slug=conference.ward.slug, conference_id=conference.id
    )


def minutes_survey_link(conference: Conference, published_dt: datetime | None) -> dict | None:
    """The minutes' second QR code: the survey, when the ward runs one and it is still open
    on the day of publication (a code leading to a closed form would stay on the posted copy
    for months); its caption says until when.
    """
    if published_dt is None or find_survey(conference) is None:
        return None
    window = survey_window(conference, now=published_dt)
    if not window.is_open:
        return None
    return {"url": survey_address(conference), "until": document_date(window.closes_on)}


# -- the conclusion notice's paragraph --------------------------------------------------------


def _text(key: str, **values) -> str:
    return wording("minutes.vi")(f"satisfaction.{key}", **values)


def document_date(value: date) -> str:
    """A date inside a document's sentence, with the decree's zeros: "03/7/2020"."""
    day = f"{value.day:02d}" if value.day < 10 else str(value.day)
    month = f"{value.month:02d}" if value.month < 3 else str(value.month)
    return f"{day}/{month}/{value.year}"


def _count(value: int) -> str:
    return format_count(value, "vi")


def satisfaction_paragraph(conference: Conference, *, as_of: datetime) -> str | None:
    """The TB's sentence on what the survey found by ``as_of``; None when it says nothing."""
    if not conference.ward.notice_includes_satisfaction:
        return None
    results = survey_results(conference, as_of=as_of)
    if not results.responses:
        return None
    sources = []
    if results.online:
        sources.append(_text("online", count=_count(results.online)))
    if results.paper:
        sources.append(_text("paper", count=_count(results.paper)))
    window = survey_window(conference, now=as_of)
    as_of_text = ""
    if window.state in {SurveyState.OPEN, SurveyState.NOT_YET}:
        local_day = to_local(as_of, conference.ward.timezone).date()
        as_of_text = _text("as_of", date=document_date(local_day))
    parts = [
        _text(
            "count",
            as_of=as_of_text,
            count=_count(results.responses),
            sources=", ".join(sources),
        )
    ]
    if results.overall.responses:
        parts.append(_text("overall", rate=format_rate(results.overall.rate, "vi")))
        lowest = results.lowest
        if lowest and len(lowest) < len(ELEMENTS):
            names = [_text(f"elements.{element.value}") for element, _result in lowest]
            named = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " và " + names[-1]
            parts.append(
                _text(
                    "lowest" if len(lowest) == 1 else "lowest_several",
                    elements=named,
                    rate=format_rate(lowest[0][1].rate, "vi"),
                )
            )
    return "; ".join(parts) + "."
