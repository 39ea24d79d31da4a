"""Reading the public record for the API: wards, conferences, documents, turns, referrals, figures.

Everything reads; nothing writes. The rules of what is public are the residents' pages' own
(``public.operations.visible_conferences``, ``followup.listing.public_conference_ids``,
``Turn.public_speaker``); lists are read a page at a time by keyset (the cursor holds the last
row's sort key), so a page costs the same wherever it is in the list.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import fields
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import quote

import sqlalchemy as sa
from flask import request, url_for
from sqlalchemy.orm import joinedload, selectinload

from dialogue.api import schemas
from dialogue.api.http import ProblemError
from dialogue.archive import operations as archive
from dialogue.conferences.models import Conference
from dialogue.core.search import search_condition
from dialogue.extensions import db
from dialogue.followup.listing import public_conference_ids, ward_today
from dialogue.followup.models import Referral, Timeliness, WrittenAnswer
from dialogue.live.models import Turn
from dialogue.minutes.compose import turn_numbers
from dialogue.public.operations import visible_conferences
from dialogue.public.referrals import PublicReferral
from dialogue.stats import figures as stats
from dialogue.wards.models import ProcedureArea, Ward

# A ward's address name: what ``wards.operations`` accepts; anything else is no ward at all.
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,59}")


# An answer links every item to its pages: building each address with ``url_for`` was half of
# a list's time. Each route's address is built once (per host) with markers in place of its
# values, and the values are then put in its pattern. A marker is a number no record reaches
# and that every converter of these routes accepts.
_MARKER_BASE = 2_147_480_000
_patterns: dict[tuple, str] = {}


def _absolute(endpoint: str, **values) -> str:
    """The absolute address of ``endpoint`` with ``values``, as ``url_for`` makes it."""
    names = tuple(sorted(values))
    key = (request.host_url, endpoint, names)
    pattern = _patterns.get(key)
    if pattern is None:
        markers = {name: _MARKER_BASE + n for n, name in enumerate(names)}
        built = url_for(endpoint, _external=True, **markers)
        pattern = built.replace("{", "{{").replace("}", "}}")
        for name, marker in markers.items():
            pattern = pattern.replace(str(marker), "{" + name + "}")
        _patterns[key] = pattern
    return pattern.format(**{name: _part(value) for name, value in values.items()})


_PLAIN = re.compile(r"[A-Za-z0-9._~-]*")


def _part(value) -> str:
    """A value as a part of a path: numbers, slugs and codes as they are, anything else quoted."""
    text = str(value)
    return text if _PLAIN.fullmatch(text) else quote(text, safe="")


# -- wards ----------------------------------------------------------------------------------------


def ward_or_404(slug: str) -> Ward:
    ward = None
    if SLUG.fullmatch(slug):
        ward = db.session.scalar(sa.select(Ward).where(Ward.slug == slug, Ward.is_active))
    if ward is None:
        raise ProblemError(404, "There is no ward with this name.")
    return ward


def ward_out(ward: Ward) -> schemas.Ward:
    return schemas.Ward(
        id=ward.id,
        slug=ward.slug,
        name=ward.name,
        kind=ward.kind,
        display_name=ward.display_name,
        province=ward.province,
        links=schemas.Links(
            self=_absolute("api.ward", ward_slug=ward.slug),
            html=_absolute("public.ward_index", ward_slug=ward.slug),
            conferences=_absolute("api.conferences", ward_slug=ward.slug),
            referrals=_absolute("api.referrals", ward_slug=ward.slug),
            figures=_absolute("api.figures", ward_slug=ward.slug),
            datasets=_absolute("api.datasets", ward_slug=ward.slug),
        ),
    )


def ward_page(query: schemas.WardQuery, after: list | None) -> tuple[list[Ward], list | None]:
    stmt = sa.select(Ward).where(Ward.is_active)
    if query.q:
        stmt = stmt.where(search_condition(Ward, query.q))
    if after is not None:
        text, ident = _key(after, str, int)
        stmt = stmt.where(sa.tuple_(Ward.search_text, Ward.id) > sa.tuple_(text, ident))
    rows = list(db.session.scalars(stmt.order_by(Ward.search_text, Ward.id).limit(query.limit + 1)))
    return _split(rows, query.limit, lambda ward: [ward.search_text, ward.id])


def _key(key: list, *types) -> tuple:
    """The values of a cursor's key, each of its type; a cursor signed by us always fits."""
    if len(key) != len(types) or not all(isinstance(v, t) for v, t in zip(key, types, strict=True)):
        raise ProblemError(400, "This cursor does not fit this list: start again without it.")
    return tuple(key)


def _split(rows: list, limit: int, key_of) -> tuple[list, list | None]:
    """The page and, when more rows follow, the key of its last row."""
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, key_of(rows[-1])
    return rows, None


# -- conferences and their documents ---------------------------------------------------------------


def conference_or_404(conference_id: int) -> Conference:
    conference = db.session.get(Conference, conference_id)
    if conference is None or not conference.is_public or not conference.ward.is_active:
        raise ProblemError(404, "There is no public conference with this number.")
    return conference


def conference_page(
    ward: Ward, query: schemas.ConferenceQuery, after: list | None
) -> tuple[list[Conference], list | None]:
    stmt = visible_conferences(Conference.ward_id == ward.id)
    if query.status is not None:
        stmt = stmt.where(Conference.status == query.status.value)
    if query.year is not None:
        low, high = stats.year_period(query.year).utc_bounds(ward.timezone)
        stmt = stmt.where(Conference.start_dt >= low, Conference.start_dt < high)
    if after is not None:
        start, ident = _key(after, str, int)
        try:
            start_dt = datetime.fromisoformat(start)
        except ValueError:
            raise ProblemError(400, "This cursor does not fit this list.") from None
        stmt = stmt.where(
            sa.or_(
                Conference.start_dt < start_dt,
                sa.and_(Conference.start_dt == start_dt, Conference.id < ident),
            )
        )
    stmt = stmt.order_by(Conference.start_dt.desc(), Conference.id.desc()).limit(query.limit + 1)
    rows = list(db.session.scalars(stmt))
    return _split(rows, query.limit, lambda c: [c.start_dt.isoformat(), c.id])


def _document_out(ward: Ward, document, *, is_current: bool) -> schemas.Document:
    return schemas.Document(
        code=document.public_code,
        type=document.doc_type,
        number=document.number_label,
        version=document.version,
        is_current=is_current,
        title=document.title,
        published=document.published_dt,
        correction_reason=document.correction_reason,
        pdf_sha256=document.pdf_sha256,
        pdf_size=document.pdf_size,
        html_sha256=document.html_sha256,
        links=schemas.Links(
            self=_absolute("archive.document", ward_slug=ward.slug, code=document.public_code),
            html=_absolute("archive.document", ward_slug=ward.slug, code=document.public_code),
            pdf=_absolute("archive.document_pdf", ward_slug=ward.slug, code=document.public_code),
        ),
    )


def conferences_out(ward: Ward, conferences: Sequence[Conference]) -> list[schemas.Conference]:
    """The conferences with every published version of their documents, in one more query."""
    groups = archive.document_groups_by_conference([c.id for c in conferences])
    found = []
    for conference in conferences:
        documents = [
            _document_out(ward, version, is_current=version is group.latest)
            for group in groups.get(conference.id, [])
            for version in reversed(group.versions)
        ]
        found.append(
            schemas.Conference(
                id=conference.id,
                ward=ward.slug,
                title=conference.title,
                status=conference.status,
                plan_number=conference.plan_number,
                plan_date=conference.plan_date,
                reporting_period=conference.reporting_period,
                start=conference.start_dt,
                end=conference.end_dt,
                venue=conference.venue,
                is_recorded_afterwards=conference.recorded_dt is not None,
                documents=documents,
                links=schemas.Links(
                    self=_absolute("api.conference", conference_id=conference.id),
                    html=_absolute(
                        "public.conference_notice",
                        ward_slug=ward.slug,
                        conference_id=conference.id,
                    ),
                    turns=_absolute("api.turns", conference_id=conference.id),
                ),
            )
        )
    return found


# -- turns ------------------------------------------------------------------------------------------


def _area_out(area: ProcedureArea | None) -> schemas.AreaRef | None:
    return schemas.AreaRef(code=area.code, name=area.name_vi) if area else None


def turn_page(
    conference: Conference, query: schemas.TurnQuery, after: list | None
) -> tuple[list[schemas.Turn], list | None]:
    """A page of the conference's turns residents see, numbered as in the minutes."""
    stmt = (
        sa.select(Turn)
        .where(Turn.conference_id == conference.id, Turn.withdrawn_dt.is_(None))
        .options(
            joinedload(Turn.speaker_group),
            joinedload(Turn.procedure_area),
            joinedload(Turn.referral_unit),
        )
    )
    if query.outcome is not None:
        stmt = stmt.where(Turn.outcome == query.outcome)
    if query.area:
        stmt = stmt.where(
            Turn.procedure_area_id.in_(
                sa.select(ProcedureArea.id).where(
                    ProcedureArea.ward_id == conference.ward_id, ProcedureArea.code == query.area
                )
            )
        )
    if after is not None:
        position, ident = _key(after, int, int)
        stmt = stmt.where(sa.tuple_(Turn.position, Turn.id) > sa.tuple_(position, ident))
    rows = list(
        db.session.scalars(stmt.order_by(Turn.position, Turn.id).limit(query.limit + 1)).unique()
    )
    rows, next_key = _split(rows, query.limit, lambda turn: [turn.position, turn.id])
    numbers = turn_numbers([conference.id])
    referral_ids = dict(
        db.session.execute(
            sa.select(Referral.turn_id, Referral.id).where(
                Referral.turn_id.in_([turn.id for turn in rows])
            )
        ).all()
    )
    return [_turn_out(turn, numbers, referral_ids) for turn in rows], next_key


def _turn_out(turn: Turn, numbers: dict[int, int], referral_ids: dict[int, int]) -> schemas.Turn:
    referral = None
    if turn.outcome.value == "referred":
        referral = schemas.TurnReferral(
            id=referral_ids.get(turn.id),
            unit=turn.referral_unit.name if turn.referral_unit else "",
            due_date=turn.referral_due_date,
        )
    return schemas.Turn(
        id=turn.id,
        conference_id=turn.conference_id,
        number=numbers.get(turn.id, 0),
        speaker=turn.public_speaker,
        group=turn.speaker_group.name if turn.speaker_group else "",
        organisation=turn.speaker_organisation,
        area=_area_out(turn.procedure_area),
        question=turn.question,
        outcome=turn.outcome,
        answerer=turn.answerer_name,
        answer=turn.answer,
        referral=referral,
    )


# -- referrals --------------------------------------------------------------------------------------


def _timeliness_condition(timeliness: Timeliness, today: date):
    answered, due = Referral.answered_on, Referral.due_date
    return {
        Timeliness.ON_TIME: sa.and_(answered.is_not(None), answered <= due),
        Timeliness.LATE: sa.and_(answered.is_not(None), answered > due),
        Timeliness.OPEN: sa.and_(answered.is_(None), due >= today),
        Timeliness.OVERDUE: sa.and_(answered.is_(None), due < today),
    }[timeliness]


def referral_page(
    ward: Ward, query: schemas.ReferralQuery, after: list | None
) -> tuple[list[schemas.Referral], list | None]:
    """A page of the ward's referrals residents may follow, the newest first."""
    today = ward_today(ward)
    stmt = (
        sa.select(Referral)
        .where(Referral.ward_id == ward.id, Referral.conference_id.in_(public_conference_ids(ward)))
        .options(
            joinedload(Referral.unit),
            joinedload(Referral.turn).joinedload(Turn.speaker_group),
            joinedload(Referral.turn).joinedload(Turn.procedure_area),
            selectinload(Referral.answers).defer(WrittenAnswer.attachment_pdf),
        )
    )
    if query.status is not None:
        stmt = stmt.where(Referral.status == query.status)
    if query.timeliness is not None:
        stmt = stmt.where(_timeliness_condition(query.timeliness, today))
    if query.conference_id is not None:
        stmt = stmt.where(Referral.conference_id == query.conference_id)
    if after is not None:
        (ident,) = _key(after, int)
        stmt = stmt.where(Referral.id < ident)
    rows = list(
        db.session.scalars(stmt.order_by(Referral.id.desc()).limit(query.limit + 1)).unique()
    )
    rows, next_key = _split(rows, query.limit, lambda referral: [referral.id])
    numbers = turn_numbers({referral.conference_id for referral in rows})
    return [_referral_out(ward, referral, numbers, today) for referral in rows], next_key


def _referral_out(ward: Ward, referral: Referral, numbers, today: date) -> schemas.Referral:
    """The referral as the ward's follow-up page shows it (``PublicReferral``)."""
    shown = PublicReferral(referral, today)
    answers = [
        schemas.WrittenAnswer(
            version=answer.version,
            published=answer.published_dt,
            letter_number=answer.letter_number,
            letter_date=answer.letter_date,
            text=answer.body,
            correction_reason=answer.correction_reason,
            attachment_sha256=answer.attachment_sha256,
            attachment=_absolute(
                "public.referral_attachment",
                ward_slug=ward.slug,
                referral_id=referral.id,
                version=answer.version,
            )
            if answer.attachment_sha256
            else None,
        )
        for answer in shown.published
    ]
    return schemas.Referral(
        id=referral.id,
        conference_id=referral.conference_id,
        turn_number=numbers.get(shown.turn.id, 0),
        question=shown.turn.question,
        speaker=shown.speaker,
        area=_area_out(shown.area),
        unit=shown.unit.name if shown.unit else "",
        due_date=shown.due_date,
        original_due_date=shown.original_due_date,
        status=shown.status,
        timeliness=shown.timeliness,
        days_overdue=shown.days_overdue,
        answered_on=referral.answered_on,
        answers=answers,
        links=schemas.Links(
            self=_absolute("api.referral", ward_slug=ward.slug, referral_id=referral.id),
            html=_absolute("public.referral", ward_slug=ward.slug, referral_id=referral.id),
        ),
    )


def referral_or_404(ward: Ward, referral_id: int) -> schemas.Referral:
    referral = db.session.scalar(
        sa.select(Referral)
        .where(
            Referral.id == referral_id,
            Referral.ward_id == ward.id,
            Referral.conference_id.in_(public_conference_ids(ward)),
        )
        .options(selectinload(Referral.answers).defer(WrittenAnswer.attachment_pdf))
    )
    if referral is None:
        raise ProblemError(404, "There is no public referral with this number in this ward.")
    numbers = turn_numbers([referral.conference_id])
    return _referral_out(ward, referral, numbers, ward_today(ward))


# -- figures ----------------------------------------------------------------------------------------


def period_of(query: schemas.FiguresQuery, today: date) -> stats.Period:
    return stats.chosen_period(
        query.kind.value,
        year=query.year or today.year,
        half=query.half,
        start=query.start,
        end=query.end,
    )


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _period_out(period: stats.Period) -> schemas.PeriodOut:
    return schemas.PeriodOut(
        kind=period.kind, start=period.start, end=period.end, label=period.label
    )


def _dossier_out(dossier: stats.DossierPeriod) -> schemas.DossierOut:
    counts = dossier.counts
    return schemas.DossierOut(
        reports=dossier.reports,
        counts={f.name: getattr(counts, f.name) for f in fields(counts)},
        rates={f.name: _number(getattr(dossier.rates, f.name)) for f in fields(dossier.rates)},
    )


def _satisfaction_out(result) -> schemas.SatisfactionOut:
    return schemas.SatisfactionOut(responses=result.responses, rate=_number(result.rate))


def figures_out(ward: Ward, period: stats.Period) -> schemas.Figures:
    found = stats.ward_figures(ward, period, today=ward_today(ward), locale="vi")

    def area_row(row: stats.AreaRow) -> schemas.AreaRowOut:
        return schemas.AreaRowOut(
            label=row.label,
            answered=row.answered,
            referred=row.referred,
            pending=row.pending,
            total=row.total,
            answered_share=_number(row.answered_share),
        )

    def count_row(row) -> schemas.CountRowOut:
        return schemas.CountRowOut(label=row.label, invited=row.invited, present=row.present)

    referrals = found.referrals
    return schemas.Figures(
        ward=ward.slug,
        period=_period_out(period),
        conferences=[
            schemas.HeldConferenceOut(
                id=held.id,
                title=held.title,
                held_on=held.held_on,
                is_recorded_afterwards=held.is_recorded_afterwards,
            )
            for held in found.conferences
        ],
        attendance=schemas.AttendanceOut(
            invited=found.attendance.total.invited,
            present=found.attendance.total.present,
            by_group=[count_row(row) for row in found.attendance.by_group],
            by_category=[count_row(row) for row in found.attendance.by_category],
        ),
        turns=schemas.TurnsOut(
            total=area_row(found.turns.total), by_area=[area_row(r) for r in found.turns.areas]
        ),
        referrals=schemas.ReferralFiguresOut(
            as_of=referrals.as_of,
            on_time=referrals.on_time,
            late=referrals.late,
            open=referrals.open,
            overdue=referrals.overdue,
            on_time_share=_number(referrals.on_time_share),
        ),
        dossiers=schemas.DossiersOut(
            current=_dossier_out(found.dossiers.current),
            previous=_dossier_out(found.dossiers.previous),
            previous_period=_period_out(found.dossiers.previous_period),
        ),
        satisfaction=schemas.FeedbackOut(
            survey=_satisfaction_out(found.survey.overall),
            survey_elements={
                element.value: _satisfaction_out(result)
                for element, result in found.survey.elements
            },
            answer_ratings=_satisfaction_out(found.ratings.overall),
        ),
    )
