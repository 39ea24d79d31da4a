"""Answers of the API kept in memory while what they show has not changed.

An answer depends on one ward's public record (or on the list of wards); a stamp of that
record — the ward's version, which every change to its conferences, turns, referrals,
documents and reference names raises (``api.models``), and the ward's today — is read in one
statement, and an answer made for one stamp is sent again, bytes and ETag, as long as the
stamp is the same. The stamp is read
the way the kept public pages read theirs (``core.database.read_first``), and kept in memory
until the ward changes (``core.ward_changes``).
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from datetime import date
from functools import wraps
from typing import NamedTuple

import sqlalchemy as sa
from flask import Response, g, request

from dialogue.api import http
from dialogue.archive.pagecache import page_cache
from dialogue.core.database import read_first
from dialogue.core.dates import to_local
from dialogue.core.db import utcnow
from dialogue.core.ward_changes import ANY_WARD, remembered

# Written out once: built anew each time, a statement costs more to prepare than to run. The
# ward's version (``api.models``) is raised by every change to its public record; the answer
# prepared for this address and version (``api.prepared``) comes in the same round trip.
_WARD = """
    SELECT w.id, w.timezone, coalesce(v.version, 0) AS version, a.day, a.etag, a.link, a.body
    FROM wards w LEFT JOIN ward_versions v ON v.ward_id = w.id
    LEFT JOIN api_prepared_answers a ON a.address = :address AND a.ward_id = w.id
        AND a.version = coalesce(v.version, 0)
    WHERE w.is_active AND {match}
"""
_COLUMNS = dict(
    id=sa.Integer,
    timezone=sa.String,
    version=sa.BigInteger,
    day=sa.Date,
    etag=sa.String,
    link=sa.String,
    body=sa.LargeBinary,
)
_BY_SLUG = sa.text(_WARD.format(match="w.slug = :key")).columns(**_COLUMNS)
_BY_CONFERENCE = sa.text(
    _WARD.format(match="w.id = (SELECT ward_id FROM conferences WHERE id = :key)")
).columns(**_COLUMNS)
_WARDS = sa.text("SELECT count(*), max(updated_dt) FROM wards")
_PREPARED = sa.text(
    "SELECT day, etag, link, body FROM api_prepared_answers "
    "WHERE address = :address AND ward_id = :ward_id AND version = :version"
).columns(day=sa.Date, etag=sa.String, link=sa.String, body=sa.LargeBinary)


class WardStamp(NamedTuple):
    """What every answer about one ward depends on."""

    ward_id: int
    timezone: str
    version: int
    # Referrals turn overdue with the ward's calendar.
    today: date


def ward_stamp(*, slug: str | None = None, conference_id: int | None = None) -> WardStamp | None:
    """The stamp of one ward's public record, by its slug or one of its conferences.

    The answer prepared in advance for this request's address under that stamp, if any, is
    left for :func:`kept` in ``g``.
    """
    statement, key = (_BY_SLUG, slug) if slug is not None else (_BY_CONFERENCE, conference_id)

    def read() -> tuple[int, str, int] | None:
        row = read_first(statement, {"key": key, "address": request.url})
        if row is None:
            return None
        g.api_prepared_read = True
        today = to_local(utcnow(), row.timezone).date()
        if row.body is not None and row.day == today:
            g.api_prepared = (request.url, row.etag, row.link, row.body)  # opened only if used
        return row.id, row.timezone, row.version

    # Kept in memory until the ward changes (``core.ward_changes``).
    found = remembered(("api.ward", slug, conference_id), read, ward_of=lambda found: found[0])
    if found is None:
        return None
    ward_id, timezone, version = found
    return WardStamp(ward_id, timezone, version, to_local(utcnow(), timezone).date())


def _prepared_answer(stamp: WardStamp) -> tuple | None:
    """The answer prepared for this address under ``stamp``, when the stamp came from memory."""
    row = read_first(
        _PREPARED, {"address": request.url, "ward_id": stamp.ward_id, "version": stamp.version}
    )
    if row is None or row.day != stamp.today:
        return None
    return (request.url, row.etag, row.link, row.body)


def wards_stamp() -> tuple:
    return remembered(("api.wards",), lambda: tuple(read_first(_WARDS, {})), ward_of=_any_ward)


def _any_ward(_stamp) -> object:
    return ANY_WARD


@dataclass(frozen=True)
class KeptAnswer:
    body: bytes
    mimetype: str
    etag: str
    headers: tuple[tuple[str, str], ...]

    @property
    def nbytes(self) -> int:
        return len(self.body) + 200

    @classmethod
    def of(cls, response: Response) -> KeptAnswer:
        """A view's full answer, as it is kept and sent again."""
        body = response.get_data()
        return cls(
            body=body,
            mimetype=response.mimetype,
            etag=hashlib.sha256(body).hexdigest()[:32],
            headers=tuple(
                (name, response.headers[name]) for name in _OWN_HEADERS if name in response.headers
            ),
        )


# The headers of an answer that belong to it (the rest is added to every answer).
_OWN_HEADERS = ("Link", "Content-Disposition")


def kept(stamp_of):
    """Keep the view's answers under their address for the stamp ``stamp_of(**view_args)``.

    An answer is looked for in this process's memory, then among those prepared in advance
    for the ward (``api.prepared``), and made last. The view answers in full (200); whether
    the client already has it (a 304) is decided here, for a kept answer and a new one alike.
    The view itself, without any of this, is ``fresh`` on the wrapper (to prepare answers).
    """

    def decorator(view):
        @wraps(view)
        def wrapped(**view_args):
            stamp = stamp_of(**view_args)
            # The address whole: the answer's links name the host it was asked at.
            key = ("api", request.url)
            found = page_cache().get(key, stamp) if stamp is not None else None
            prepared = g.pop("api_prepared", None)
            if (
                found is None
                and prepared is None
                and isinstance(stamp, WardStamp)
                and not g.pop("api_prepared_read", False)
            ):
                # The stamp came from memory, without the prepared answer read beside it.
                prepared = _prepared_answer(stamp)
            if found is None and prepared is not None and prepared[0] == request.url:
                _, etag, link, body = prepared
                headers = (("Link", link),) if link else ()
                found = KeptAnswer(zlib.decompress(body), "application/json", etag, headers)
                page_cache().put(key, stamp, found)
            if found is None:
                response = view(**view_args)
                if response.status_code != 200:
                    return response
                found = KeptAnswer.of(response)
                if stamp is not None:
                    page_cache().put(key, stamp, found)
            answer = Response(found.body, mimetype=found.mimetype)
            answer.headers.extend(found.headers)
            return http.conditional(answer, etag=found.etag)

        wrapped.fresh = view
        return wrapped

    return decorator
