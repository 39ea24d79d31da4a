"""Which wards changed, heard from PostgreSQL: reads about one ward kept until it changes.

The public pages and the API answer from memory while the stamp of what they show is the
same, and reading that stamp was the one round trip left on every request. On PostgreSQL the
triggers that raise a ward's version (``api.models``) also send ``NOTIFY ward_versions`` with
the ward's id, at commit; each process LISTENs on one connection of its own (a thread, or a
greenlet under gevent) and keeps a read about a ward (``remembered``) until it hears that the
ward changed. Correctness before speed:

- A read is kept only while the channel is confirmed live: LISTEN established and the
  connection heard from (a notification, or an answered ping) within ``LIVE_FOR`` seconds.
  Until then — at start, after a fork, after the connection was lost, while it is being
  re-established — every read goes to the database as before.
- Every (re)connection, and every lapse of the confirmation, starts a new *epoch*: whatever
  was kept before it is read again on its next use (what changed while nobody listened is not
  known, so everything is assumed to have).
- The point after which a change is looked for is taken *before* the read, so a change
  committed while the read runs makes its result stale at once.
- A commit that wrote, made in this process, makes everything kept here stale as soon as the
  commit returns (``_watch_local_commits``): whoever saved something sees it on their next
  page, in every process's case the writer's own. Other processes keep serving what they had
  until the notification reaches them, a few milliseconds after the commit on one machine
  (the delivery delay of a PostgreSQL notification, no more).

SQLite has no notifications: there a read is kept while the database file's own counter of
changes stands still (``SqliteChanges``), which any commit by anyone moves at once.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from dialogue.extensions import db

log = logging.getLogger(__name__)

EXTENSION_KEY = "dialogue.ward_changes"
CHANNEL = "ward_versions"
# A read kept for "any ward": it is stale after any ward's change (the list of wards).
ANY_WARD = object()
# The listener waits this long for a notification, then pings its connection.
POLL_SECONDS = 1.0
# Kept reads are trusted this long after the connection was last heard from: a connection
# that died without a word (no reset, no error) stops serving from memory within this bound.
LIVE_FOR = 5.0
RECONNECT_FIRST_WAIT = 0.5
RECONNECT_LONGEST_WAIT = 15.0
# Reads kept per process (a stamp is a short tuple: a few hundred bytes each).
CAPACITY = 20_000
# Statements that do not write; any other statement in a committed transaction means it may
# have changed a ward (an UPDATE, an INSERT, a DELETE, a WITH that writes, DDL).
_READS = ("SELECT", "SHOW", "BEGIN", "SAVEPO", "RELEAS", "ROLLBA", "SET ", "LISTEN")
_WROTE = "dialogue_wrote"
_COMMITTED_WRITE = "dialogue_committed_write"
_starting = threading.Lock()


class WardChanges:
    """One process's knowledge of which wards changed, and the reads kept until they do."""

    def __init__(self, database_uri: str, *, capacity: int = CAPACITY):
        self.conninfo = (
            make_url(database_uri)
            .set(drivername="postgresql")
            .render_as_string(hide_password=False)
        )
        self.capacity = capacity
        self._reset()

    def _reset(self) -> None:
        # Also after a fork: nothing of the parent's thread, lock or knowledge is trusted.
        self.owner_pid = os.getpid()
        self._lock = threading.Lock()
        self._kept: OrderedDict[Hashable, tuple[Any, int, int, Any]] = OrderedDict()
        self._seq = 0  # changes heard (notifications and this process's commits)
        self._ward_changed: dict[int, int] = {}  # ward id -> seq of its last change
        self._any_changed = 0  # seq of the last change of any ward
        self._all_stale = 0  # seq of this process's last commit that wrote
        self._epoch = 0
        self._live_until = 0.0
        self._listening = False
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.connections = 0  # how many times LISTEN was established (for tests)

    # -- reading ---------------------------------------------------------------------------

    @property
    def is_live(self) -> bool:
        return self._listening and time.monotonic() < self._live_until

    def remembered(
        self, key: Hashable, read: Callable[[], Any], ward_of: Callable[[Any], Any]
    ) -> Any:
        """``read()``'s result, from memory if ``ward_of(result)`` has not changed since.

        ``ward_of`` names the ward a result depends on (an id, or ``ANY_WARD``). A result of
        None (nothing found) is not kept.
        """
        if self.owner_pid != os.getpid() or self._thread is None:
            self._start()
        with self._lock:
            live = self._listening and time.monotonic() < self._live_until
            if live:
                entry = self._kept.get(key)
                if entry is not None and self._still_valid(*entry[:3]):
                    self._kept.move_to_end(key)
                    return entry[3]
            epoch, seq = self._epoch, self._seq
        value = read()
        if live and value is not None:
            ward = ward_of(value)
            with self._lock:
                self._kept[key] = (ward, epoch, seq, value)
                self._kept.move_to_end(key)
                while len(self._kept) > self.capacity:
                    self._kept.popitem(last=False)
        return value

    def _still_valid(self, ward, epoch: int, seq: int) -> bool:
        if epoch != self._epoch or self._all_stale > seq:
            return False
        changed = self._any_changed if ward is ANY_WARD else self._ward_changed.get(ward, 0)
        return changed <= seq

    # -- hearing of changes ----------------------------------------------------------------

    def ward_changed(self, ward_id: int) -> None:
        with self._lock:
            self._seq += 1
            self._ward_changed[ward_id] = self._any_changed = self._seq

    def committed_here(self) -> None:
        """This process committed a write: nothing kept here is trusted any more."""
        with self._lock:
            self._seq += 1
            self._all_stale = self._any_changed = self._seq

    def _confirm(self) -> None:
        """The connection is listening and was just heard from."""
        now = time.monotonic()
        with self._lock:
            if now >= self._live_until:
                # Not confirmed for a while (just connected, or this thread was held up):
                # what was kept before is not trusted.
                self._epoch += 1
            self._live_until = now + LIVE_FOR

    def _lost(self) -> None:
        with self._lock:
            self._listening = False
            self._live_until = 0.0
            self._epoch += 1

    def _heard(self, payload: str) -> None:
        for part in payload.split():
            try:
                ward_id = int(part)
            except ValueError:
                # Not ours, or garbled: assume the worst.
                self.committed_here()
                continue
            self.ward_changed(ward_id)

    # -- the listener ----------------------------------------------------------------------

    def _start(self) -> None:
        with _starting:
            if self.owner_pid != os.getpid():
                self._reset()
            if self._thread is not None or self._stopping.is_set():
                return
            # A daemon thread (a greenlet where gevent patched threading): it waits on its
            # socket, cooperatively under gevent (psycopg then waits through select).
            self._thread = threading.Thread(
                target=self._listen, name="dialogue-ward-changes", daemon=True
            )
            self._thread.start()

    def _listen(self) -> None:
        import psycopg

        wait = RECONNECT_FIRST_WAIT
        while not self._stopping.is_set():
            try:
                with psycopg.connect(
                    self.conninfo,
                    autocommit=True,
                    connect_timeout=5,
                    application_name=f"dialogue-ward-changes-{os.getpid()}",
                    keepalives=1,
                    keepalives_idle=10,
                    keepalives_interval=5,
                    keepalives_count=2,
                ) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    with self._lock:
                        self._listening = True
                        self.connections += 1
                    self._confirm()
                    wait = RECONNECT_FIRST_WAIT
                    while not self._stopping.is_set():
                        for notification in connection.notifies(timeout=POLL_SECONDS):
                            self._heard(notification.payload)
                            self._confirm()
                        connection.execute("SELECT 1")
                        self._confirm()
            except (psycopg.Error, OSError) as error:
                self._lost()
                if self._stopping.is_set():
                    break
                log.warning(
                    "ward changes: not listening (%s); pages read their stamps until it is "
                    "back, retrying in %.1f s",
                    str(error).strip() or type(error).__name__,
                    wait,
                )
                self._stopping.wait(wait)
                wait = min(wait * 2, RECONNECT_LONGEST_WAIT)
            finally:
                self._lost()

    def close(self) -> None:
        self._stopping.set()
        self._lost()
        # Not waited for: the thread sees this within POLL_SECONDS and closes its connection.


class SqliteChanges:
    """SQLite's own counter of changes, read on a connection of this process's own.

    ``PRAGMA data_version`` on one connection changes whenever any other connection — another
    process's, or one of this process's pool — has committed to the database file since. The
    connection here never writes, so a kept read is valid while the counter has not moved: as
    exact as reading the stamp itself (no window at all), for a few microseconds instead of a
    query. Any change anywhere makes every kept read stale; SQLite deployments are small.
    """

    def __init__(self, path: str, *, capacity: int = CAPACITY):
        self.path = path
        self.capacity = capacity
        self._reset()

    def _reset(self) -> None:
        self.owner_pid = os.getpid()
        self._lock = threading.Lock()
        self._kept: OrderedDict[Hashable, tuple[int, Any]] = OrderedDict()
        self._connection: sqlite3.Connection | None = None

    def _data_version(self) -> int:
        if self._connection is None:
            self._connection = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None
            )
        return self._connection.execute("PRAGMA data_version").fetchone()[0]

    def remembered(
        self, key: Hashable, read: Callable[[], Any], ward_of: Callable[[Any], Any]
    ) -> Any:
        if self.owner_pid != os.getpid():
            with _starting:
                if self.owner_pid != os.getpid():
                    self._reset()
        with self._lock:
            try:
                version = self._data_version()
            except sqlite3.Error:
                # The file is being replaced, or locked for longer than a read may wait.
                self._close()
                return read()
            entry = self._kept.get(key)
            if entry is not None and entry[0] == version:
                self._kept.move_to_end(key)
                return entry[1]
        value = read()
        # A read in a transaction already open (a signed-in request has read its account) sees
        # the snapshot it began with, which may be older than the counter just read.
        if value is not None and not db.session().in_transaction():
            with self._lock:
                self._kept[key] = (version, value)
                self._kept.move_to_end(key)
                while len(self._kept) > self.capacity:
                    self._kept.popitem(last=False)
        return value

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def close(self) -> None:
        with self._lock:
            if self.owner_pid == os.getpid():
                self._close()


def _watch_local_commits(engine: Engine, changes: WardChanges) -> None:
    """Make a commit that wrote, in this process, stale everything kept here once it is done.

    The transaction's statements say whether it wrote; the connection going back to the pool,
    after the commit returned, is when it is done (a session hands its connection back at
    commit; ``engine.begin()`` at the end of its block).
    """

    @event.listens_for(engine, "before_cursor_execute")
    def _note(connection, cursor, statement, parameters, context, executemany):
        if not statement.lstrip()[:6].upper().startswith(_READS):
            connection.info[_WROTE] = True

    @event.listens_for(engine, "commit")
    def _commit(connection):
        if connection.info.pop(_WROTE, False):
            connection.info[_COMMITTED_WRITE] = True

    @event.listens_for(engine, "rollback")
    def _rollback(connection):
        connection.info.pop(_WROTE, None)

    @event.listens_for(engine, "checkin")
    def _checkin(dbapi_connection, connection_record):
        if connection_record is not None and connection_record.info.pop(_COMMITTED_WRITE, False):
            changes.committed_here()


def init_app(app: Flask, engine: Engine) -> None:
    """Keep reads about wards: on PostgreSQL until notified (the listener starts with the
    first read, in each process), on SQLite while its counter of changes stands still."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgresql"):
        changes = WardChanges(uri)
        app.extensions[EXTENSION_KEY] = changes
        _watch_local_commits(engine, changes)
    elif uri.startswith("sqlite"):
        path = make_url(uri).database
        if path and path != ":memory:" and not path.startswith("file:"):
            app.extensions[EXTENSION_KEY] = SqliteChanges(path)


def close(app: Flask) -> None:
    changes = app.extensions.get(EXTENSION_KEY)
    if changes is not None:
        changes.close()


def remembered(key: Hashable, read: Callable[[], Any], ward_of: Callable[[Any], Any]) -> Any:
    """``read()``, or what it returned before if its ward has not changed since (PostgreSQL)."""
    changes = current_app.extensions.get(EXTENSION_KEY)
    if changes is None:
        return read()
    return changes.remembered(key, read, ward_of)
