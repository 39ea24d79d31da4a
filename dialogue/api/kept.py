"""Answers of the API kept in memory while what they show has not changed.

An answer depends on one ward's public record (or on the list of wards); a stamp of that
record — the newest change of its conferences, turns, referrals, documents and reference
names, their counts, and the ward's today — is read in one statement, and an answer made for
one stamp is sent again, bytes and ETag, as long as the stamp is the same. The stamp is read
the way the kept public pages read theirs (``core.database.read_first``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import wraps

import sqlalchemy as sa
from flask import Response, request

from dialogue.api import http
from dialogue.archive.pagecache import page_cache
from dialogue.core.database import read_first
from dialogue.core.dates import to_local
from dialogue.core.db import utcnow

# Written out once: built anew each time, a statement costs more to prepare than to run.
# Turns and published documents are never deleted (a turn is withdrawn, a document corrected
# by a new version): their newest change, or newest row, covers every change. Conferences and
# referrals may go (a draft deleted, a referral undone): their counts are in the stamp too.
_WARD = """
    SELECT w.id, w.timezone, w.updated_dt,
        (SELECT max(updated_dt) FROM conferences WHERE ward_id = w.id),
        (SELECT count(*) FROM conferences WHERE ward_id = w.id),
        (SELECT max(t.updated_dt) FROM turns t JOIN conferences c ON c.id = t.conference_id
            WHERE c.ward_id = w.id),
        (SELECT max(updated_dt) FROM referrals WHERE ward_id = w.id),
        (SELECT count(*) FROM referrals WHERE ward_id = w.id),
        (SELECT max(p.id) FROM published_documents p JOIN conferences c
            ON c.id = p.conference_id WHERE c.ward_id = w.id),
        (SELECT max(updated_dt) FROM units WHERE ward_id = w.id),
        (SELECT max(updated_dt) FROM procedure_areas WHERE ward_id = w.id),
        (SELECT max(updated_dt) FROM residential_groups WHERE ward_id = w.id)
    FROM wards w WHERE w.is_active AND {match}
"""
_BY_SLUG = sa.text(_WARD.format(match="w.slug = :key"))
_BY_CONFERENCE = sa.text(
    _WARD.format(match="w.id = (SELECT ward_id FROM conferences WHERE id = :key)")
)
_WARDS = sa.text("SELECT count(*), max(updated_dt) FROM wards")


def ward_stamp(*, slug: str | None = None, conference_id: int | None = None) -> tuple | None:
    """The stamp of one ward's public record, by its slug or one of its conferences."""
    statement, key = (_BY_SLUG, slug) if slug is not None else (_BY_CONFERENCE, conference_id)
    row = read_first(statement, {"key": key})
    if row is None:
        return None
    # Referrals turn overdue with the ward's calendar.
    return (*row, to_local(utcnow(), row.timezone).date())


def wards_stamp() -> tuple:
    return tuple(read_first(_WARDS, {}))


@dataclass(frozen=True)
class KeptAnswer:
    body: bytes
    mimetype: str
    etag: str
    headers: tuple[tuple[str, str], ...]

    @property
    def nbytes(self) -> int:
        return len(self.body) + 200


# The headers of an answer that belong to it (the rest is added to every answer).
_OWN_HEADERS = ("Link", "Content-Disposition")


def kept(stamp_of):
    """Keep the view's answers under their address for the stamp ``stamp_of(**view_args)``.

    The view answers in full (200); whether the client already has it (a 304) is decided here,
    for a kept answer and a new one alike.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(**view_args):
            stamp = stamp_of(**view_args)
            key = ("api", request.full_path)
            found = page_cache().get(key, stamp) if stamp is not None else None
            if found is None:
                response = view(**view_args)
                if response.status_code != 200:
                    return response
                body = response.get_data()
                found = KeptAnswer(
                    body=body,
                    mimetype=response.mimetype,
                    etag=hashlib.sha256(body).hexdigest()[:32],
                    headers=tuple(
                        (name, response.headers[name])
                        for name in _OWN_HEADERS
                        if name in response.headers
                    ),
                )
                if stamp is not None:
                    page_cache().put(key, stamp, found)
            answer = Response(found.body, mimetype=found.mimetype)
            answer.headers.extend(found.headers)
            return http.conditional(answer, etag=found.etag)

        return wrapped

    return decorator
