"""The referrals of earlier conferences that the next one reports: "kết quả giải quyết các kiến
nghị kỳ trước", for the organiser's preparation page, the biên bản and the thông báo kết luận.

What is carried, and as at when, is decided in ``earlier_referrals``; the wording of the
documents is composed from it in ``dialogue.minutes.compose``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.core.dates import to_local
from dialogue.core.text import normalize_text
from dialogue.extensions import db
from dialogue.followup.models import (
    Referral,
    ReferralRequest,
    RequestKind,
    RequestStatus,
    Timeliness,
    WrittenAnswer,
    judged,
)

# The conferences that took place: a draft, an announced one never started and a cancelled one
# referred nothing.
HELD_STATUSES = (ConferenceStatus.IN_PROGRESS, ConferenceStatus.CLOSED, ConferenceStatus.PUBLISHED)
# The question as a table cell or a list line shows it: at most five lines of its column.
QUESTION_LENGTH = 120
ANSWERED = (Timeliness.ON_TIME, Timeliness.LATE)
# "Số: 125/UBND-VP" as typed from the letter: the documents write "Văn bản số 125/UBND-VP".
_NUMBER_PREFIX = re.compile(r"^số\s*:?\s*", re.IGNORECASE)


def shorten(text: str | None, limit: int = QUESTION_LENGTH) -> str:
    """Cut ``text`` at a word before ``limit`` characters and mark the cut with "…"."""
    text = normalize_text(text)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-–") + "…"


@dataclass(frozen=True)
class CarriedReferral:
    """One earlier referral and what had become of it at the date of the conference reporting it."""

    referral_id: int
    conference_id: int
    conference_date: date
    # Its number in that conference's minutes; None for a turn since withdrawn.
    turn_number: int | None
    question: str
    unit: str
    # The due date in force at the date (later extensions left out).
    due_date: date
    outcome: Timeliness
    # Days past the due date: of the answer when late, until the date when overdue; else 0.
    days_late: int
    answered_on: date | None
    letter_number: str
    letter_date: date | None
    # From a conference before the previous one, carried over still unanswered.
    is_from_older: bool

    @property
    def is_answered(self) -> bool:
        return self.outcome in ANSWERED


@dataclass(frozen=True)
class CarriedReferrals:
    """The earlier referrals a conference reports, in the order of their conferences and turns."""

    as_of: date
    # The date of the last conference held before this one; None when this is the first.
    previous_date: date | None
    items: tuple[CarriedReferral, ...]

    def __bool__(self) -> bool:
        return bool(self.items)

    def _count(self, *outcomes: Timeliness) -> int:
        return sum(1 for item in self.items if item.outcome in outcomes)

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def from_previous(self) -> int:
        return sum(1 for item in self.items if not item.is_from_older)

    @property
    def from_older(self) -> int:
        return sum(1 for item in self.items if item.is_from_older)

    @property
    def on_time(self) -> int:
        return self._count(Timeliness.ON_TIME)

    @property
    def late(self) -> int:
        return self._count(Timeliness.LATE)

    @property
    def answered(self) -> int:
        return self._count(*ANSWERED)

    @property
    def unanswered(self) -> int:
        """Not answered at the date, within the due date or past it."""
        return self._count(Timeliness.OPEN, Timeliness.OVERDUE)

    @property
    def overdue(self) -> int:
        return self._count(Timeliness.OVERDUE)

    @property
    def still_open(self) -> tuple[CarriedReferral, ...]:
        return tuple(item for item in self.items if not item.is_answered)


def _local_date(conference: Conference) -> date:
    return conference.held_start_local.date()


def _earlier_conferences(conference: Conference) -> list[Conference]:
    """The ward's conferences held before ``conference``, the latest first."""
    candidates = db.session.scalars(
        sa.select(Conference).where(
            Conference.ward_id == conference.ward_id,
            Conference.id != conference.id,
            Conference.status.in_(HELD_STATUSES),
        )
    ).all()
    # A handful a year: compared here, by the time each was held, not by when it was entered.
    start = conference.held_start_dt
    earlier = [each for each in candidates if each.held_start_dt < start]
    return sorted(earlier, key=lambda each: (each.held_start_dt, each.id), reverse=True)


def _requests_after(referral: Referral, kind: RequestKind, as_of: date, tz: str):
    """The accepted requests of ``kind`` decided after ``as_of``, the first decided first."""
    later = [
        request
        for request in referral.requests
        if request.kind is kind
        and request.status is RequestStatus.ACCEPTED
        and request.decided_dt is not None
        and to_local(request.decided_dt, tz).date() > as_of
    ]
    return sorted(later, key=lambda request: (request.decided_dt, request.id))


def _due_date_at(referral: Referral, as_of: date, tz: str) -> date:
    """The due date in force at ``as_of``: a new due date granted afterwards did not count yet."""
    later = _requests_after(referral, RequestKind.EXTENSION, as_of, tz)
    return later[0].previous_due_date if later else referral.due_date


def _unit_at(referral: Referral, as_of: date, tz: str) -> str:
    """The unit responsible at ``as_of``: a hand-over accepted afterwards had not happened yet."""
    later = _requests_after(referral, RequestKind.HANDOVER, as_of, tz)
    unit = later[0].from_unit if later else referral.unit
    return normalize_text(unit.name) if unit is not None else ""


def _answer_at(referral: Referral, as_of: date, tz: str) -> WrittenAnswer | None:
    """The newest answer published by ``as_of``: the letter residents had at that date."""
    published = [
        answer
        for answer in referral.published_answers
        if answer.published_dt is not None and to_local(answer.published_dt, tz).date() <= as_of
    ]
    return published[-1] if published else None


def _letter_number(answer: WrittenAnswer | None) -> str:
    """The reply letter's number without the "Số:" printed before it on the letter."""
    if answer is None:
        return ""
    return _NUMBER_PREFIX.sub("", normalize_text(answer.letter_number))


def judge(
    referral: Referral,
    *,
    as_of: date,
    tz: str,
    conference_date: date,
    turn_number: int | None,
    is_from_older: bool,
) -> CarriedReferral:
    """What had become of ``referral`` at ``as_of``: an answer published later does not count."""
    due = _due_date_at(referral, as_of, tz)
    answered_on = referral.answered_on
    if answered_on is not None and answered_on > as_of:
        answered_on = None
    outcome, days_late = judged(due, answered_on, as_of)
    answer = _answer_at(referral, as_of, tz) if answered_on is not None else None
    return CarriedReferral(
        referral_id=referral.id,
        conference_id=referral.conference_id,
        conference_date=conference_date,
        turn_number=turn_number,
        question=shorten(referral.turn.question if referral.turn is not None else ""),
        unit=_unit_at(referral, as_of, tz),
        due_date=due,
        outcome=outcome,
        days_late=days_late,
        answered_on=answered_on,
        letter_number=_letter_number(answer),
        letter_date=answer.letter_date if answer is not None else None,
        is_from_older=is_from_older,
    )


def _referrals_of(conference_ids: Iterable[int]) -> list[Referral]:
    return list(
        db.session.scalars(
            sa.select(Referral)
            .where(Referral.conference_id.in_(list(conference_ids)))
            .options(
                joinedload(Referral.turn),
                joinedload(Referral.unit),
                selectinload(Referral.answers).defer(WrittenAnswer.attachment_pdf),
                selectinload(Referral.requests).joinedload(ReferralRequest.from_unit),
            )
        )
    )


def earlier_referrals(conference: Conference) -> CarriedReferrals:
    """The referrals of the ward's earlier conferences that ``conference`` reports, as at its date.

    Earlier conferences are the ward's conferences that took place (in progress, closed or
    published; never a draft, an announced one not held, or a cancelled one) and were held
    before this one, compared by when each was held (the actual start, else the planned
    one): a conference entered afterwards from its paper file counts by the day it was held.

    Carried are:

    - every referral of the previous conference (the last one held before this), and
    - every referral of the conferences before that which had no answer yet at the previous
      conference's date: the ones that conference reported still open.

    So each referral is reported by the next conference, then again by each following one
    until one reports it answered. Each is judged as at this conference's date (the day it
    was held, in the ward's time zone), never today, so that a published document stays
    true: an answer published after that day counts as not yet given, and a new due date
    or a hand-over granted after it is left out. The items come in the order of their
    conferences, then of their turns.
    """
    from dialogue.minutes.compose import turn_numbers

    tz = conference.ward.timezone
    as_of = _local_date(conference)
    earlier = _earlier_conferences(conference)
    if not earlier:
        return CarriedReferrals(as_of=as_of, previous_date=None, items=())
    previous, older = earlier[0], earlier[1:]
    previous_date = _local_date(previous)
    dates = {each.id: _local_date(each) for each in earlier}
    starts = {each.id: (each.held_start_dt, each.id) for each in earlier}
    referrals = _referrals_of(dates)
    older_ids = {each.id for each in older}
    carried = [
        referral
        for referral in referrals
        if referral.conference_id == previous.id
        or referral.answered_on is None
        or referral.answered_on > previous_date
    ]
    numbers = turn_numbers({referral.conference_id for referral in carried})
    # In the order of their conferences, then in speaking order, as the minutes numbered them.
    carried.sort(
        key=lambda referral: (
            starts[referral.conference_id],
            referral.turn.position if referral.turn is not None else 0,
            referral.turn_id,
        )
    )
    items = tuple(
        judge(
            referral,
            as_of=as_of,
            tz=tz,
            conference_date=dates[referral.conference_id],
            turn_number=numbers.get(referral.turn_id),
            is_from_older=referral.conference_id in older_ids,
        )
        for referral in carried
    )
    return CarriedReferrals(as_of=as_of, previous_date=previous_date, items=items)
