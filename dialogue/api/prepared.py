"""API answers prepared in advance: each ward's answers at the public address, built after a change.

A page of a list costs milliseconds to build (rows, models, links) against a fraction of one
to send once built; a client reading the whole open data — a newsroom's crawler, a city's
dashboard after a restart — asks for answers nobody asked for before. So the worker builds,
for every ward whose public record changed (its version, ``api.models``) or whose calendar
day turned, the answers such a client starts from: the ward, the first page of its
conferences and of its referrals, and each public conference with the first page of its
turns. They are built by the views themselves, at the address residents use
(``DIALOGUE_PUBLIC_URL``), and served only while the ward's version and day are those they
were built for (``api.kept``); anything else is built when asked, as before.
"""

from __future__ import annotations

import logging
import time
import zlib
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import Flask, current_app, request, url_for
from werkzeug.exceptions import HTTPException

from dialogue.api.kept import KeptAnswer
from dialogue.api.models import PreparedAnswer, WardVersion
from dialogue.conferences.models import Conference
from dialogue.core.database import write_lock
from dialogue.core.dates import to_local
from dialogue.core.db import utcnow
from dialogue.extensions import db
from dialogue.public.operations import visible_conferences
from dialogue.wards.models import Ward

log = logging.getLogger(__name__)

WARD_ENDPOINTS = ("api.ward", "api.conferences", "api.referrals")
CONFERENCE_ENDPOINTS = ("api.conference", "api.turns")
# The level compresses a list of 20 conferences about sevenfold; more buys little.
COMPRESSION_LEVEL = 6


@dataclass(frozen=True)
class StaleWard:
    id: int
    slug: str
    version: int
    today: date


@dataclass(frozen=True)
class Prepared:
    wards: int
    answers: int
    seconds: float


def stale_wards(slug: str | None = None) -> list[StaleWard]:
    """The active wards whose prepared answers are missing, or made for another version or day."""
    prepared = (
        sa.select(
            PreparedAnswer.ward_id,
            sa.func.min(PreparedAnswer.version).label("low"),
            sa.func.max(PreparedAnswer.version).label("high"),
            sa.func.min(PreparedAnswer.day).label("first_day"),
            sa.func.max(PreparedAnswer.day).label("last_day"),
        )
        .group_by(PreparedAnswer.ward_id)
        .subquery()
    )
    stmt = (
        sa.select(
            Ward.id,
            Ward.slug,
            Ward.timezone,
            sa.func.coalesce(WardVersion.version, 0),
            prepared.c.low,
            prepared.c.high,
            prepared.c.first_day,
            prepared.c.last_day,
        )
        .outerjoin(WardVersion, WardVersion.ward_id == Ward.id)
        .outerjoin(prepared, prepared.c.ward_id == Ward.id)
        .where(Ward.is_active)
        .order_by(Ward.id)
    )
    if slug is not None:
        stmt = stmt.where(Ward.slug == slug)
    now = utcnow()
    found = []
    for ward_id, ward_slug, timezone, version, low, high, first_day, last_day in db.session.execute(
        stmt
    ):
        today = to_local(now, timezone).date()
        if not (low == high == version and first_day == last_day == today):
            found.append(StaleWard(ward_id, ward_slug, version, today))
    return found


def _addresses(app: Flask, ward: StaleWard, base_url: str) -> list[str]:
    conference_ids = db.session.scalars(
        visible_conferences(Conference.ward_id == ward.id)
        .with_only_columns(Conference.id)
        .order_by(Conference.id)
    ).all()
    with app.test_request_context("/", base_url=base_url):
        return [url_for(endpoint, ward_slug=ward.slug) for endpoint in WARD_ENDPOINTS] + [
            url_for(endpoint, conference_id=conference_id)
            for conference_id in conference_ids
            for endpoint in CONFERENCE_ENDPOINTS
        ]


def _build(app: Flask, ward: StaleWard, path: str, base_url: str) -> PreparedAnswer | None:
    """The answer at ``path``, as its view makes it for a client at the public address."""
    with app.test_request_context(path, base_url=base_url):
        view = app.view_functions[request.url_rule.endpoint]
        try:
            response = view.fresh(**request.view_args)
        except HTTPException:
            return None  # not public (any more): built when asked, and refused then
        if response.status_code != 200:
            return None
        answer = KeptAnswer.of(response)
        return PreparedAnswer(
            address=request.url,
            ward_id=ward.id,
            version=ward.version,
            day=ward.today,
            etag=answer.etag,
            link=dict(answer.headers).get("Link", ""),
            body=zlib.compress(answer.body, COMPRESSION_LEVEL),
            built_dt=utcnow(),
        )


def prepare_ward(app: Flask, ward: StaleWard, base_url: str) -> int:
    """Build the ward's answers and put them in place of its old ones; how many were built.

    The version was read before building: a change made meanwhile leaves these answers for an
    older version, never served, and rebuilt next time.
    """
    with write_lock(False):
        answers = [
            answer
            for path in _addresses(app, ward, base_url)
            if (answer := _build(app, ward, path, base_url)) is not None
        ]
        db.session.rollback()  # the reads end, holding nothing
    with write_lock(True):
        db.session.execute(sa.delete(PreparedAnswer).where(PreparedAnswer.ward_id == ward.id))
        db.session.add_all(answers)
        try:
            db.session.commit()
        except sa.exc.IntegrityError:
            # Another worker stored this ward's answers first.
            db.session.rollback()
            return 0
    return len(answers)


def prepare(slug: str | None = None) -> Prepared | None:
    """Prepare the answers of every ward that needs it (or of one); None without a public address."""
    app = current_app._get_current_object()
    base_url = (app.config.get("DIALOGUE_PUBLIC_URL") or "").strip()
    if not base_url:
        return None
    started = time.perf_counter()
    with write_lock(False):
        stale = stale_wards(slug)
        db.session.rollback()
    answers = sum(prepare_ward(app, ward, base_url) for ward in stale)
    seconds = time.perf_counter() - started
    if stale:
        log.info("prepared %d API answers of %d wards in %.1f s", answers, len(stale), seconds)
    return Prepared(len(stale), answers, seconds)
