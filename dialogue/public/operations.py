"""Reading what residents see: the wards of the deployment, and a ward's coming and past conferences.

Everything here reads; nothing writes. Only active wards are public, and of their conferences
only those residents may see (``Conference.is_public``): announced or later, never a draft.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from dialogue.archive import operations as archive
from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.core.db import utcnow
from dialogue.core.search import search_condition
from dialogue.extensions import db
from dialogue.minutes.models import PublishedDocument
from dialogue.wards.models import Ward

WARDS_PER_PAGE = 50
WARD_QUERY_MAX_CHARS = 100
# Past conferences on a ward's page, newest first; the archive lists every published one.
PAST_LIMIT = 10
# A conference stays among the coming ones until half a day after its planned start.
COMING_GRACE = timedelta(hours=12)
_COMING_STATUSES = (ConferenceStatus.ANNOUNCED, ConferenceStatus.IN_PROGRESS)


def find_wards(query: str = "", *, page: int = 1):
    """A page of the active wards, by name; ``query`` matches name and province, accents or not."""
    stmt = sa.select(Ward).where(Ward.is_active).order_by(Ward.search_text, Ward.id)
    if query.strip():
        stmt = stmt.where(search_condition(Ward, query))
    return db.paginate(
        stmt, page=archive.clamp_page(page), per_page=WARDS_PER_PAGE, error_out=False, count=True
    )


def visible_conferences(*conditions) -> sa.Select:
    """Conferences residents may see: announced or later, or cancelled after being announced.

    One recorded afterwards only once its documents are published (``Conference.is_public``).
    """
    return sa.select(Conference).where(
        *conditions,
        sa.or_(
            Conference.recorded_dt.is_(None),
            Conference.status == ConferenceStatus.PUBLISHED,
        ),
        sa.or_(
            Conference.status.not_in([ConferenceStatus.DRAFT, ConferenceStatus.CANCELLED]),
            sa.and_(
                Conference.status == ConferenceStatus.CANCELLED,
                Conference.announced_dt.is_not(None),
            ),
        ),
    )


def _coming_since():
    return utcnow() - COMING_GRACE


def next_conferences(ward_ids: Sequence[int]) -> dict[int, Conference]:
    """For each of these wards that has one, its next announced (or running) conference."""
    if not ward_ids:
        return {}
    stmt = (
        sa.select(Conference)
        .where(
            Conference.ward_id.in_(ward_ids),
            Conference.status.in_(_COMING_STATUSES),
            Conference.start_dt >= _coming_since(),
        )
        .order_by(Conference.start_dt, Conference.id)
    )
    found: dict[int, Conference] = {}
    for conference in db.session.scalars(stmt):
        found.setdefault(conference.ward_id, conference)
    return found


def coming_conferences(ward: Ward) -> list[Conference]:
    """The ward's conferences still to come (or under way today), soonest first."""
    stmt = visible_conferences(
        Conference.ward_id == ward.id, Conference.start_dt >= _coming_since()
    )
    return list(db.session.scalars(stmt.order_by(Conference.start_dt, Conference.id)))


@dataclass
class PastConference:
    conference: Conference
    # The newest version of each published document, minutes first; none before publication.
    documents: list[PublishedDocument]


def past_conferences(ward: Ward, *, limit: int = PAST_LIMIT) -> list[PastConference]:
    """The ward's latest conferences already held (or cancelled), newest first, with documents."""
    stmt = (
        visible_conferences(Conference.ward_id == ward.id, Conference.start_dt < _coming_since())
        .order_by(Conference.start_dt.desc(), Conference.id.desc())
        .limit(limit)
    )
    conferences = list(db.session.scalars(stmt))
    documents = archive.latest_documents_by_conference([c.id for c in conferences])
    return [PastConference(c, documents.get(c.id, [])) for c in conferences]
