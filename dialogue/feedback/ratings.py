"""Residents' ratings of the answers: taking one, and counting them.

A device rates an answer once; rating it again changes its rating (the row is rewritten), so
a double tap, a resent page or two posts racing each other count once. An answer exists to be
rated when the meeting answered the question on the spot (``AnswerKind.SPOKEN``), or when the
written answer to a referred question is published (``AnswerKind.WRITTEN``). A withdrawn turn
has no answer to rate, and its earlier ratings are never counted.

What one device said is nobody else's business: residents see counts, and only once the
conference's results are published and an answer has enough ratings for the ward to show them
(``Ward.rating_public_minimum``); the comments are read by the ward's staff.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.core.text import normalize_paragraphs
from dialogue.errors import DialogueError, ValidationFailed
from dialogue.extensions import db
from dialogue.feedback.models import MAX_COMMENT_LENGTH, AnswerKind, AnswerRating, RatingLevel
from dialogue.feedback.results import Satisfaction, satisfaction
from dialogue.followup.models import Referral, WrittenAnswer
from dialogue.live.models import Turn, TurnOutcome
from dialogue.minutes.compose import turn_numbers

# A question as lists of answers show it.
EXCERPT_LENGTH = 160
# No rating is taken before the conference is under way, nor for one that did not take place.
_CLOSED_STATUSES = frozenset({ConferenceStatus.DRAFT, ConferenceStatus.CANCELLED})


class AnswerNotRateable(DialogueError):
    """The turn has no answer of that kind to rate: withdrawn, unanswered, or not yet published."""


class RatingsClosed(DialogueError):
    """The conference is not one residents may rate the answers of."""


# -- what may be rated -----------------------------------------------------------------------


def has_spoken_answer(turn: Turn) -> bool:
    return turn.outcome is TurnOutcome.ANSWERED and bool(turn.answer.strip())


def published_written_answer(turn: Turn) -> WrittenAnswer | None:
    """The written answer residents read for a referred turn (its newest published version)."""
    referral = turn.referral
    return referral.published_answer if referral is not None else None


def has_answer(turn: Turn, kind: AnswerKind) -> bool:
    if kind is AnswerKind.SPOKEN:
        return has_spoken_answer(turn)
    return published_written_answer(turn) is not None


def accepts_ratings(conference: Conference) -> bool:
    """Residents may rate its answers: public, and neither a draft nor cancelled."""
    return conference.is_public and conference.status not in _CLOSED_STATUSES


def check_rateable(turn: Turn, kind: AnswerKind) -> None:
    """Raise the reason why ``turn``'s answer of ``kind`` cannot be rated, if it cannot."""
    if not accepts_ratings(turn.conference):
        raise RatingsClosed(_("The answers of this conference cannot be rated."))
    if turn.is_withdrawn:
        raise AnswerNotRateable(
            _(
                "This turn was withdrawn from the record of the conference: "
                "its answer can no longer be rated."
            )
        )
    if has_answer(turn, kind):
        return
    if kind is AnswerKind.WRITTEN:
        raise AnswerNotRateable(
            _(
                "The written answer to this question has not been published yet: "
                "it can be rated once it is."
            )
        )
    raise AnswerNotRateable(
        _("This question has not been answered at the conference: there is no answer to rate.")
    )


def rating_problem(turn: Turn, kind: AnswerKind) -> str | None:
    """Why ``turn``'s answer of ``kind`` cannot be rated, or None when it can."""
    try:
        check_rateable(turn, kind)
    except DialogueError as error:
        return error.message
    return None


# -- rating -----------------------------------------------------------------------------------


def clean_comment(comment: str | None) -> str:
    """The comment as it is kept: plain text, one paragraph a line, within the length allowed."""
    text = normalize_paragraphs(comment)
    if len(text) > MAX_COMMENT_LENGTH:
        raise ValidationFailed(
            _(
                "Your comment is %(length)s characters long: shorten it to %(max)s.",
                length=len(text),
                max=MAX_COMMENT_LENGTH,
            ),
            field="comment",
        )
    return text


def rating_of(turn: Turn, kind: AnswerKind, device_key: str | None) -> AnswerRating | None:
    """The rating ``device_key`` gave ``turn``'s answer of ``kind``, if any."""
    if not device_key:
        return None
    return db.session.scalar(
        sa.select(AnswerRating)
        .where(
            AnswerRating.turn_id == turn.id,
            AnswerRating.kind == kind,
            AnswerRating.device_key == device_key,
        )
        .execution_options(populate_existing=True)
    )


@dataclass(frozen=True)
class Rated:
    rating: AnswerRating
    # A first rating from this device, or one it changed (a resent post changes nothing).
    created: bool
    changed: bool


def _rewrite(rating: AnswerRating, level: RatingLevel, comment: str, is_asker: bool) -> bool:
    changed = (rating.level, rating.comment, rating.is_asker) != (level, comment, is_asker)
    rating.level = level
    rating.comment = comment
    rating.is_asker = is_asker
    return changed


def rate_answer(
    turn: Turn,
    kind: AnswerKind,
    level: RatingLevel | None,
    comment: str | None,
    device_key: str,
    *,
    is_asker: bool = False,
) -> Rated:
    """Keep ``device_key``'s rating of ``turn``'s answer of ``kind``: the first, or a change.

    Without a level, the device's earlier level stays and only the comment changes (a comment
    sent after the choice); a device that has not chosen yet is asked to.
    """
    kind = AnswerKind(kind)
    check_rateable(turn, kind)
    comment = clean_comment(comment)
    existing = rating_of(turn, kind, device_key)
    if level is None:
        if existing is None:
            raise ValidationFailed(
                _("Choose one of the three answers: Very satisfied, Satisfied or Not satisfied."),
                field="level",
            )
        level = existing.level
    level = RatingLevel(level)
    if existing is not None:
        changed = _rewrite(existing, level, comment, is_asker)
        db.session.flush()
        return Rated(existing, created=False, changed=changed)
    rating = AnswerRating(
        conference_id=turn.conference_id,
        turn_id=turn.id,
        kind=kind,
        device_key=device_key,
        level=level,
        comment=comment,
        is_asker=is_asker,
    )
    try:
        with db.session.begin_nested():
            db.session.add(rating)
    except sa.exc.IntegrityError:
        # The same device's other post got there first (a double tap on a slow connection):
        # this one changes the row it made.
        existing = rating_of(turn, kind, device_key)
        if existing is None:
            raise
        changed = _rewrite(existing, level, comment, is_asker)
        db.session.flush()
        return Rated(existing, created=False, changed=changed)
    return Rated(rating, created=True, changed=True)


def device_ratings(conference: Conference, device_key: str | None) -> list[AnswerRating]:
    """What ``device_key`` rated in ``conference`` (the marks on its buttons)."""
    if not device_key:
        return []
    return list(
        db.session.scalars(
            sa.select(AnswerRating)
            .where(
                AnswerRating.conference_id == conference.id,
                AnswerRating.device_key == device_key,
            )
            .order_by(AnswerRating.turn_id, AnswerRating.kind)
        )
    )


def rating_payload(rating: AnswerRating) -> dict:
    """One device's rating as its own pages' script reads it."""
    return {
        "turn": rating.turn_id,
        "kind": rating.kind.value,
        "level": rating.level.value,
        "title": str(rating.level.title),
        "comment": rating.comment,
    }


# -- the answers of a conference ---------------------------------------------------------------


def excerpt(text: str, length: int = EXCERPT_LENGTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


# An answer recalled above the page that shows it in full.
ANSWER_EXCERPT_LENGTH = 320


def answer_excerpt(turn: Turn, kind: AnswerKind) -> str:
    """The beginning of ``turn``'s answer of ``kind``, as a reminder of what is rated."""
    if kind is AnswerKind.SPOKEN:
        return excerpt(turn.answer, ANSWER_EXCERPT_LENGTH)
    written = published_written_answer(turn)
    return excerpt(written.body, ANSWER_EXCERPT_LENGTH) if written is not None else ""


@dataclass
class RatedAnswer:
    """One answer of a conference that residents may rate, and what they made of it."""

    turn: Turn
    kind: AnswerKind
    # The turn's number in the minutes (withdrawn turns left out).
    number: int
    result: Satisfaction
    comments: list[AnswerRating] = field(default_factory=list)

    @property
    def question(self) -> str:
        return excerpt(self.turn.question)

    @property
    def anchor(self) -> str:
        return f"danh-gia-{self.kind.value}-{self.turn.id}"


def _answered_turns(conference: Conference) -> list[Turn]:
    return list(
        db.session.scalars(
            sa.select(Turn)
            .where(Turn.conference_id == conference.id, Turn.withdrawn_dt.is_(None))
            .options(selectinload(Turn.referral).selectinload(Referral.answers))
            .order_by(Turn.position, Turn.id)
        )
    )


def rating_counts(conference: Conference) -> dict[tuple[int, AnswerKind], dict]:
    """{(turn id, kind): {level: count}} of the conference's turns not withdrawn, in one query."""
    rows = db.session.execute(
        sa.select(AnswerRating.turn_id, AnswerRating.kind, AnswerRating.level, sa.func.count())
        .join(Turn, Turn.id == AnswerRating.turn_id)
        .where(AnswerRating.conference_id == conference.id, Turn.withdrawn_dt.is_(None))
        .group_by(AnswerRating.turn_id, AnswerRating.kind, AnswerRating.level)
    )
    counts: dict[tuple[int, AnswerKind], dict] = defaultdict(dict)
    for turn_id, kind, level, count in rows:
        counts[(turn_id, AnswerKind(kind))][RatingLevel(level)] = count
    return dict(counts)


def answer_satisfaction(counts: dict) -> Satisfaction:
    """Satisfaction over the three levels: (Rất hài lòng + Hài lòng) / ratings."""
    return satisfaction(counts, list(RatingLevel), is_satisfied=lambda level: level.is_satisfied)


def _comments(conference: Conference) -> dict[tuple[int, AnswerKind], list[AnswerRating]]:
    rows = db.session.scalars(
        sa.select(AnswerRating)
        .join(Turn, Turn.id == AnswerRating.turn_id)
        .where(
            AnswerRating.conference_id == conference.id,
            Turn.withdrawn_dt.is_(None),
            AnswerRating.comment != "",
        )
        # The asker's word first, then the others as they came.
        .order_by(AnswerRating.is_asker.desc(), AnswerRating.created_dt, AnswerRating.id)
    )
    found: dict[tuple[int, AnswerKind], list[AnswerRating]] = defaultdict(list)
    for rating in rows:
        found[(rating.turn_id, rating.kind)].append(rating)
    return found


@dataclass
class ConferenceRatings:
    """The rated answers of a conference in speaking order, and the totals of each kind."""

    conference: Conference
    answers: list[RatedAnswer]

    def overall(self, kind: AnswerKind) -> Satisfaction:
        totals: dict = defaultdict(int)
        for answer in self.answers:
            if answer.kind is kind:
                for level, count in answer.result.counts:
                    totals[level] += count
        return answer_satisfaction(totals)

    @property
    def kinds(self) -> list[AnswerKind]:
        """The kinds of answer the conference has, in the scale's order."""
        present = {answer.kind for answer in self.answers}
        return [kind for kind in AnswerKind if kind in present]

    @property
    def total(self) -> int:
        return sum(answer.result.responses for answer in self.answers)

    def __iter__(self):
        return iter(self.answers)

    def __len__(self) -> int:
        return len(self.answers)


def conference_ratings(conference: Conference, *, with_comments: bool = False) -> ConferenceRatings:
    """Every answer of ``conference`` residents may rate, or have rated, with its counts.

    An answer that was rated and has since gone (the turn was referred after all) is still
    listed, with its ratings; a withdrawn turn is not, and its ratings are not counted.
    """
    counts = rating_counts(conference)
    comments = _comments(conference) if with_comments else {}
    turns = _answered_turns(conference)
    numbers = turn_numbers([conference.id]) if turns else {}
    answers = []
    for turn in turns:
        for kind in AnswerKind:
            key = (turn.id, kind)
            if not has_answer(turn, kind) and key not in counts:
                continue
            answers.append(
                RatedAnswer(
                    turn=turn,
                    kind=kind,
                    number=numbers.get(turn.id, turn.position),
                    result=answer_satisfaction(counts.get(key, {})),
                    comments=comments.get(key, []),
                )
            )
    return ConferenceRatings(conference, answers)


def rateable_answers(conference: Conference) -> list[RatedAnswer]:
    """The answers of ``conference`` residents may rate now, in speaking order, with counts."""
    return [
        answer for answer in conference_ratings(conference) if has_answer(answer.turn, answer.kind)
    ]


def answer_result(turn: Turn, kind: AnswerKind) -> Satisfaction:
    """The counts of one answer (none, once its turn is withdrawn)."""
    if turn.is_withdrawn:
        return answer_satisfaction({})
    rows = db.session.execute(
        sa.select(AnswerRating.level, sa.func.count())
        .where(AnswerRating.turn_id == turn.id, AnswerRating.kind == kind)
        .group_by(AnswerRating.level)
    )
    return answer_satisfaction({RatingLevel(level): count for level, count in rows})


def count_ratings(conference: Conference) -> int:
    """How many ratings the answers of ``conference`` have (withdrawn turns' left out)."""
    return (
        db.session.scalar(
            sa.select(sa.func.count(AnswerRating.id))
            .join(Turn, Turn.id == AnswerRating.turn_id)
            .where(AnswerRating.conference_id == conference.id, Turn.withdrawn_dt.is_(None))
        )
        or 0
    )


# -- what the public sees -----------------------------------------------------------------------


def shows_results(conference: Conference) -> bool:
    """Residents see the ratings' results once the conference's results are published."""
    return conference.status is ConferenceStatus.PUBLISHED


@dataclass(frozen=True)
class PublicResult:
    """One answer's result as residents may see it, or why they may not yet."""

    result: Satisfaction
    # The results are published, and the answer has enough ratings to show.
    shown: bool
    # The results are published (below the minimum, the page says how many are needed).
    published: bool
    minimum: int


def public_result(conference: Conference, result: Satisfaction) -> PublicResult:
    minimum = conference.ward.rating_public_minimum
    published = shows_results(conference)
    return PublicResult(
        result=result,
        shown=published and result.responses >= minimum,
        published=published,
        minimum=minimum,
    )
