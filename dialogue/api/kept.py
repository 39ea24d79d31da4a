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
import threading
import time
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from functools import cached_property, wraps
from typing import NamedTuple

import sqlalchemy as sa
from flask import Response, current_app, g, request

from dialogue.api import http
from dialogue.archive.pagecache import page_cache
from dialogue.core.database import read_all, read_first
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
_STAMP_COLUMNS = dict(id=sa.Integer, timezone=sa.String, version=sa.BigInteger)
_ANSWER_COLUMNS = dict(day=sa.Date, etag=sa.String, link=sa.String, body=sa.LargeBinary)
_BY_SLUG_MATCH = "w.slug = :key"
_BY_CONFERENCE_MATCH = "w.id = (SELECT ward_id FROM conferences WHERE id = :key)"


def _statement(template: str, match: str, **columns) -> sa.TextClause:
    return sa.text(template.format(match=match)).columns(**columns)


_COLUMNS = {**_STAMP_COLUMNS, **_ANSWER_COLUMNS}
_BY_SLUG = _statement(_WARD, _BY_SLUG_MATCH, **_COLUMNS)
_BY_CONFERENCE = _statement(_WARD, _BY_CONFERENCE_MATCH, **_COLUMNS)
_BY_ID = _statement(_WARD, "w.id = :key", **_COLUMNS)
# A ward this process holds nothing of yet: its stamp, every answer prepared for its version
# and its conferences (whose ward is then known without asking), in one round trip.
_WHOLE_WARD = """
    WITH ward AS (
        SELECT w.id, w.timezone, coalesce(v.version, 0) AS version
        FROM wards w LEFT JOIN ward_versions v ON v.ward_id = w.id
        WHERE w.is_active AND {match}
    )
    SELECT ward.id, ward.timezone, ward.version, a.address, a.day, a.etag, a.link, a.body,
        NULL AS conference_id
    FROM ward LEFT JOIN api_prepared_answers a
        ON a.ward_id = ward.id AND a.version = ward.version
    UNION ALL
    SELECT ward.id, ward.timezone, ward.version, NULL, NULL, NULL, NULL, NULL, c.id
    FROM ward JOIN conferences c ON c.ward_id = ward.id
"""
_ROWS_OF_A_WARD = dict(address=sa.String, **_ANSWER_COLUMNS, conference_id=sa.Integer)
_WHOLE_BY_SLUG = _statement(_WHOLE_WARD, _BY_SLUG_MATCH, **_STAMP_COLUMNS, **_ROWS_OF_A_WARD)
_WHOLE_BY_CONFERENCE = _statement(
    _WHOLE_WARD, _BY_CONFERENCE_MATCH, **_STAMP_COLUMNS, **_ROWS_OF_A_WARD
)
_WARDS = sa.text("SELECT count(*), max(updated_dt) FROM wards")
# Every answer prepared for one version of a ward and, in the same round trip, the ward's
# conferences (so that a conference asked for next names its ward without asking the database).
_ALL_PREPARED = sa.text(
    """
    SELECT a.address, a.day, a.etag, a.link, a.body, NULL AS conference_id
    FROM api_prepared_answers a WHERE a.ward_id = :ward_id AND a.version = :version
    UNION ALL
    SELECT NULL, NULL, NULL, NULL, NULL, c.id FROM conferences c WHERE c.ward_id = :ward_id
    """
).columns(**_ROWS_OF_A_WARD)


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
    memory = prepared_memory()
    if slug is not None:
        known = memory.ward_of_slug(slug)
        single, whole, key, remembered_as = _BY_SLUG, _WHOLE_BY_SLUG, slug, ("api.ward", slug)
    elif (known := memory.ward_of_conference(conference_id)) is not None:
        single, whole, key, remembered_as = _BY_ID, None, known, ("api.ward.id", known)
    else:
        single, whole, key = _BY_CONFERENCE, _WHOLE_BY_CONFERENCE, conference_id
        remembered_as = ("api.conference", conference_id)

    def read() -> tuple[int, str, int] | None:
        if whole is not None and (known is None or not memory.holds_ward(known)):
            # Nothing of this ward here yet: all of it at once, for the addresses asked next.
            rows = read_all(whole, {"key": key})
            if not rows:
                return None
            ward = rows[0]
            memory.store(ward.id, ward.version, rows, slug=slug)
            return ward.id, ward.timezone, ward.version
        row = read_first(single, {"key": key, "address": request.url})
        if row is None:
            return None
        g.api_prepared_read = True
        today = to_local(utcnow(), row.timezone).date()
        if row.body is not None and row.day == today:
            g.api_prepared = (request.url, row.etag, row.link, row.body)  # opened only if used
        if not memory.holds(row.id, row.version):
            # A new version of the ward: its prepared answers, all at once.
            memory.read_ward(row.id, row.version)
        return row.id, row.timezone, row.version

    # Kept in memory until the ward changes (``core.ward_changes``).
    found = remembered(remembered_as, read, ward_of=lambda found: found[0])
    if found is None:
        return None
    ward_id, timezone, version = found
    return WardStamp(ward_id, timezone, version, to_local(utcnow(), timezone).date())


def _prepared_answer(stamp: WardStamp) -> tuple | None:
    """The answer prepared for this address under ``stamp``, from the ward's answers in memory."""
    found = prepared_memory().answer(stamp.ward_id, stamp.version, stamp.today, request.url)
    if found is None:
        return None
    _, etag, link, body = found
    return (request.url, etag, link, body)


@dataclass(frozen=True)
class _WardAnswers:
    version: int
    read_at: float
    # address → (day, ETag, Link, compressed JSON)
    answers: dict[str, tuple]
    nbytes: int


class PreparedMemory:
    """A process's copy of the answers prepared for the wards it has been asked about.

    A client reading the open data goes through a ward's conferences, referrals and turns one
    address after another, most of them prepared in advance (``api.prepared``): the first of a
    ward reads them all in one round trip, the next ones are answered from here. They are kept
    compressed, the wards asked about least recently dropped first past ``budget`` bytes, and
    read again for a new version of the ward (the version is part of every look-up, so nothing
    here is ever served for a version it was not made for).
    """

    # The worker prepares a ward's answers within a minute of a change: an address the ward's
    # answers lacked is looked for again once they are this old.
    RECHECK_SECONDS = 60
    # Conferences whose ward is known; the whole map is dropped past this many.
    MAX_CONFERENCES = 500_000

    def __init__(self, budget: int):
        self.budget = budget
        self._wards: OrderedDict[int, _WardAnswers] = OrderedDict()
        self._nbytes = 0
        self._conference_ward: dict[int, int] = {}
        self._slug_ward: dict[str, int] = {}
        self._lock = threading.Lock()

    def ward_of_conference(self, conference_id: int | None) -> int | None:
        return self._conference_ward.get(conference_id)

    def ward_of_slug(self, slug: str) -> int | None:
        return self._slug_ward.get(slug)

    def holds_ward(self, ward_id: int) -> bool:
        return ward_id in self._wards

    def holds(self, ward_id: int, version: int) -> bool:
        entry = self._wards.get(ward_id)
        return entry is not None and entry.version == version

    def answer(self, ward_id: int, version: int, today: date, address: str) -> tuple | None:
        """The answer prepared for ``address`` under this version and day, or None."""
        with self._lock:
            entry = self._wards.get(ward_id)
            if entry is not None and entry.version == version:
                self._wards.move_to_end(ward_id)
                found = entry.answers.get(address)
                if found is not None and found[0] == today:
                    return found
                if time.monotonic() - entry.read_at < self.RECHECK_SECONDS:
                    return None
        found = self.read_ward(ward_id, version).answers.get(address)
        return found if found is not None and found[0] == today else None

    def read_ward(self, ward_id: int, version: int) -> _WardAnswers:
        """Read every answer prepared for this version of the ward, in one round trip."""
        return self.store(
            ward_id, version, read_all(_ALL_PREPARED, {"ward_id": ward_id, "version": version})
        )

    def store(self, ward_id: int, version: int, rows, *, slug: str | None = None) -> _WardAnswers:
        """Keep what was read of a ward: its answers and its conferences' ids (``rows``)."""
        answers = {
            row.address: (row.day, row.etag, row.link, row.body)
            for row in rows
            if row.address is not None
        }
        entry = _WardAnswers(
            version=version,
            read_at=time.monotonic(),
            answers=answers,
            nbytes=sum(len(address) + len(found[3]) + 200 for address, found in answers.items()),
        )
        with self._lock:
            replaced = self._wards.pop(ward_id, None)
            if replaced is not None:
                self._nbytes -= replaced.nbytes
            self._wards[ward_id] = entry
            self._nbytes += entry.nbytes
            while self._nbytes > self.budget and len(self._wards) > 1:
                _, dropped = self._wards.popitem(last=False)
                self._nbytes -= dropped.nbytes
            if len(self._conference_ward) > self.MAX_CONFERENCES:
                self._conference_ward.clear()
            if len(self._slug_ward) > self.MAX_CONFERENCES:
                self._slug_ward.clear()
            if slug is not None:
                self._slug_ward[slug] = ward_id
            for row in rows:
                if row.conference_id is not None:
                    self._conference_ward[row.conference_id] = ward_id
        return entry


_MEMORY_KEY = "dialogue.api.prepared_memory"


def prepared_memory() -> PreparedMemory:
    memory = current_app.extensions.get(_MEMORY_KEY)
    if memory is None:
        memory = current_app.extensions.setdefault(
            _MEMORY_KEY, PreparedMemory(current_app.config["API_PREPARED_MEMORY_BYTES"])
        )
    return memory


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

    @cached_property
    def all_headers(self) -> list:
        return http.kept_headers(self.mimetype, self.etag, self.headers)

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
            return http.send_kept(found.body, found.etag, found.all_headers)

        wrapped.fresh = view
        return wrapped

    return decorator
