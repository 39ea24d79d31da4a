"""Open data: every public speaking turn of a ward's year, as one JSON or CSV file, with its licence.

A year is the ward's calendar year of the conference's start. The rows are what the residents'
pages show of each turn (``Turn.public_speaker``: a name only where the ward shows names),
with what became of a referral; nothing else about anyone.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from dialogue.api import schemas
from dialogue.conferences.models import Conference
from dialogue.core.dates import to_local
from dialogue.documents.composed import Column, Kind, Properties, Rows
from dialogue.extensions import db
from dialogue.followup.models import Referral
from dialogue.live.models import Turn
from dialogue.minutes.compose import turn_numbers
from dialogue.public.operations import visible_conferences
from dialogue.wards.models import Ward


def licence() -> schemas.Licence:
    config = current_app.config
    return schemas.Licence(
        name=config["DIALOGUE_OPEN_DATA_LICENCE"], url=config["DIALOGUE_OPEN_DATA_LICENCE_URL"]
    )


def _conferences_by_year(ward: Ward) -> dict[int, list[Conference]]:
    found: dict[int, list[Conference]] = {}
    stmt = visible_conferences(Conference.ward_id == ward.id).order_by(
        Conference.start_dt, Conference.id
    )
    for conference in db.session.scalars(stmt):
        year = to_local(conference.start_dt, ward.timezone).year
        found.setdefault(year, []).append(conference)
    return found


@dataclass(frozen=True)
class YearCount:
    year: int
    conferences: int
    turns: int


def years(ward: Ward) -> list[YearCount]:
    """The years of the ward's public conferences, the newest first, with their turns counted."""
    by_year = _conferences_by_year(ward)
    ids = [conference.id for conferences in by_year.values() for conference in conferences]
    turns = Counter()
    if ids:
        turns.update(
            dict(
                db.session.execute(
                    sa.select(Turn.conference_id, sa.func.count())
                    .where(Turn.conference_id.in_(ids), Turn.withdrawn_dt.is_(None))
                    .group_by(Turn.conference_id)
                ).all()
            )
        )
    return [
        YearCount(year, len(conferences), sum(turns[c.id] for c in conferences))
        for year, conferences in sorted(by_year.items(), reverse=True)
    ]


def turns_of_year(ward: Ward, year: int) -> list[schemas.DatasetTurn] | None:
    """The year's public turns in speaking order, or None when the ward held nothing that year."""
    conferences = _conferences_by_year(ward).get(year)
    if not conferences:
        return None
    by_id = {conference.id: conference for conference in conferences}
    turns = db.session.scalars(
        sa.select(Turn)
        .where(Turn.conference_id.in_(list(by_id)), Turn.withdrawn_dt.is_(None))
        .options(
            joinedload(Turn.speaker_group),
            joinedload(Turn.procedure_area),
            joinedload(Turn.referral_unit),
        )
    ).all()
    referrals = {
        referral.turn_id: referral
        for referral in db.session.scalars(
            sa.select(Referral).where(Referral.conference_id.in_(list(by_id)))
        )
    }
    numbers = turn_numbers(list(by_id))
    order = {conference_id: n for n, conference_id in enumerate(by_id)}
    turns = sorted(turns, key=lambda turn: (order[turn.conference_id], numbers.get(turn.id, 0)))
    rows = []
    for turn in turns:
        conference = by_id[turn.conference_id]
        area = turn.procedure_area
        referral = referrals.get(turn.id)
        rows.append(
            schemas.DatasetTurn(
                conference_id=conference.id,
                conference_title=conference.title,
                conference_date=to_local(conference.start_dt, ward.timezone).date(),
                number=numbers.get(turn.id, 0),
                speaker=turn.public_speaker,
                group=turn.speaker_group.name if turn.speaker_group else "",
                organisation=turn.speaker_organisation,
                area_code=area.code if area else "",
                area=area.name_vi if area else "",
                question=turn.question,
                outcome=turn.outcome,
                answerer=turn.answerer_name,
                answer=turn.answer,
                referral_unit=turn.referral_unit.name if turn.referral_unit else "",
                referral_due_date=referral.due_date if referral else turn.referral_due_date,
                referral_status=referral.status if referral else None,
                referral_answered_on=referral.answered_on if referral else None,
            )
        )
    return rows


# The CSV's columns are the JSON's fields, named alike and written alike (ISO dates), so that
# one reader reads both.
_INTEGERS = {"conference_id", "number"}


def as_rows(ward: Ward, year: int, turns: list[schemas.DatasetTurn]) -> Rows:
    names = list(schemas.DatasetTurn.model_fields)
    return Rows(
        title=f"{ward.slug}-{year}",
        columns=tuple(
            Column(
                key=name,
                header=name,
                width=20,
                kind=Kind.INTEGER if name in _INTEGERS else Kind.TEXT,
            )
            for name in names
        ),
        rows=[
            {
                name: value if isinstance(value, int) else ("" if value is None else str(value))
                for name, value in turn.model_dump(mode="json").items()
            }
            for turn in turns
        ],
        properties=Properties(title=f"{ward.display_name} {year}"),
    )
