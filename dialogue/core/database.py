"""Binding the database: SQLite pragmas and write transactions, the migration directory."""

from __future__ import annotations

import contextvars
import functools
import logging
import select
import time
from contextlib import contextmanager

import sqlalchemy as sa
from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import create_engine, event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.interfaces import MANYTOONE

from dialogue.audit.recording import record_created
from dialogue.config import PROJECT_ROOT
from dialogue.core import ward_changes
from dialogue.extensions import db, migrate

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 15_000
# A pooled server connection left unused this long is checked with one round trip before a
# request gets it, so a connection dropped by a firewall is replaced instead of failing the
# request. One handed back moments ago is not: checking every checkout (pool_pre_ping) cost
# every public page a round trip, which on a busy machine waits for the database process to be
# scheduled. A restart is seen sooner, at no cost: the server closes its connections, which
# the checkout sees on the socket (see _server_hung_up).
PING_AFTER_IDLE_SECONDS = 5.0
# Server connections are replaced after an hour, before anything between us and the server
# forgets them.
POOL_RECYCLE_SECONDS = 3600
AUTOCOMMIT_ENGINE_KEY = "dialogue.autocommit_engine"
# An execution option: this connection runs one read alone (``read_first``).
SINGLE_READ = "dialogue_single_read"
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_writer: contextvars.ContextVar[bool] = contextvars.ContextVar("sqlite_writer", default=False)


def begin_immediately(enabled: bool = True) -> None:
    """Make this context's transactions take SQLite's write lock up front (CLI commands)."""
    _writer.set(enabled)


@contextmanager
def write_lock(enabled: bool):
    """Within the block, this context's transactions take SQLite's write lock up front or not
    (a command that reads at length and then writes briefly)."""
    token = _writer.set(enabled)
    try:
        yield
    finally:
        _writer.reset(token)


def reads_first() -> None:
    """Let this request read without SQLite's write lock, until it calls :func:`begin_writing`.

    For the posts that come in floods (residents' ratings, supports, survey answers): what they
    read and check holds no lock that the secretaries' saves would wait for.
    """
    g._sqlite_write_lock_taken = True


def begin_writing() -> None:
    """End this request's reads and take SQLite's write lock for what it does next.

    A read transaction cannot become a write transaction under WAL once another connection has
    written (SQLite answers "database is locked" at once), so the reads end here, holding
    nothing written; the session reloads what it needs under the lock. Nothing on PostgreSQL.
    """
    if db.engine.dialect.name != "sqlite":
        return
    if db.session().in_transaction():
        db.session.commit()
    g._sqlite_write_now = True


def _wants_write_lock() -> bool:
    if _writer.get():
        return True
    if not has_request_context() or request.method in _READ_METHODS:
        return False
    if g.pop("_sqlite_write_now", False):
        return True
    # Only the request's first transaction: what a view reads after its commit (a JSON
    # answer, counts to show) must not queue behind, or hold up, the other writers.
    if g.get("_sqlite_write_lock_taken"):
        return False
    g._sqlite_write_lock_taken = True
    return True


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, connection_record):
        # Let SQLAlchemy, not the sqlite3 module, decide when a transaction begins.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if connection.get_execution_options().get(SINGLE_READ):
            # One statement alone needs no transaction around it: SQLite runs it in one of
            # its own (the driver is in autocommit), and the ROLLBACK after it is a no-op.
            return
        # A request that may write takes the write lock up front, so a read-then-write
        # never fails half-way with "database is locked"; pages that only read do not.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _wants_write_lock() else "BEGIN")


def _server_hung_up(dbapi_connection) -> bool:
    """Whether the server spoke on, or closed, this idle connection: seen without a round trip.

    A pooled connection waits for nothing, so anything to read on its socket is the server's
    goodbye ("terminating connection due to administrator command" from a restart or a
    shutdown, then the end of the stream), or at least a reason to ping before trusting it.
    """
    try:
        fileno = dbapi_connection.fileno()
    except AttributeError:
        return False
    except Exception:
        # The driver already knows the connection is closed.
        return True
    poller = select.poll()
    # Hang-ups and errors are reported whatever is asked.
    poller.register(fileno, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


def _ping_idle_connections(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_connection, connection_record):
        connection_record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, connection_record, connection_proxy):
        idle_since = connection_record.info.get("idle_since")
        if idle_since is None:
            return
        if time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS and not _server_hung_up(
            dbapi_connection
        ):
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error:
            alive = False
        if not alive:
            log.warning("database: a pooled connection no longer answers; reconnecting")
            # The pool discards this connection and retries the checkout once with a new one;
            # the others of the pool were most likely lost with it (a restarted server), so
            # each is replaced at its next checkout rather than failing a request.
            raise exc.InvalidatePoolError("a pooled connection no longer answers")

    @event.listens_for(engine, "handle_error")
    def _on_error(context):
        # A connection lost in the middle of a request (the server went away after the
        # checkout): SQLAlchemy invalidates the pool, so the next requests reconnect.
        if context.is_disconnect and not context.is_pre_ping:
            log.warning(
                "database: connection lost (%s); the pool is replaced", context.original_exception
            )


def read_first(statement, params: dict):
    """The first row of one read, in as few round trips as the database allows.

    The hottest pages are served from memory after reading one small row (a stamp of what they
    show). A request that has not read yet runs it outside the session, which it then never
    opens: on PostgreSQL on a connection kept in autocommit, alone (no BEGIN and no ROLLBACK
    around it, no switching the connection in and out of autocommit), on SQLite on a pooled
    connection without a BEGIN (the statement is its own transaction). A request already in a transaction (a signed-in one has read its account)
    reads in the session.
    """
    return _read(statement, params, lambda result: result.first())


def read_all(statement, params: dict) -> list:
    """Every row of one read, the way :func:`read_first` reads."""
    return _read(statement, params, lambda result: result.all())


def _read(statement, params: dict, rows):
    if db.session().in_transaction():
        return rows(db.session.execute(statement, params))
    # Not through the session: a request served from memory then never opens it (nor closes
    # it), which on SQLite is most of what reading the stamp costs.
    engine = (
        current_app.extensions[AUTOCOMMIT_ENGINE_KEY]
        if db.engine.dialect.name == "postgresql"
        else db.engine
    )
    with engine.connect() as connection:
        connection.execution_options(**{SINGLE_READ: True})
        return rows(connection.execute(statement, params))


@functools.cache
def _inserting(table: sa.Table) -> sa.Insert:
    # Built once: building the statement and its cache key cost more than running it.
    (key_column,) = table.primary_key.columns
    return sa.insert(table).returning(key_column)


def _column_value(obj, column: sa.Column):
    return getattr(obj, sa.inspect(obj).mapper.get_property_by_column(column).key)


def insert_loaded(model, values: dict):
    """Insert one row of ``model`` in one statement; return it as if it had been loaded.

    For a path that holds a lock while it writes (a secretary's save): no unit of work and no
    flush, so none of the session's flush listeners run either: the audit row of an audited
    model is written here, anything else they would have done is the caller's. ``values`` names
    columns and many-to-one relationships by their attributes; every other column takes its
    default as the flush would give it; a relationship from other rows to this one may be given
    as empty. The object is in the session, persistent, with nothing pending: reading any of
    its columns, or the relationships given, needs no query. A rollback removes it from the
    session, as it would a flushed one.
    """
    mapper = sa.inspect(model)
    table = mapper.local_table
    columns = {}
    for key, value in values.items():
        prop = mapper.attrs[key]
        if isinstance(prop, sa.orm.RelationshipProperty):
            if prop.direction is not MANYTOONE:
                # Known to be empty (nothing refers to a row not yet inserted): no query later.
                if value not in (None, []):
                    raise TypeError(f"{model.__name__}.{key}: a new row has nothing here yet")
                continue
            for local, remote in prop.local_remote_pairs:
                columns[local] = None if value is None else _column_value(value, remote)
        else:
            columns[prop.columns[0]] = value
    for column in table.columns:
        if column in columns or column.primary_key:
            continue
        default = column.default
        if default is None and column.server_default is not None:
            # Its value would be known only by reading the row back.
            raise TypeError(f"{table.name}.{column.name}: give it (the database has a default)")
        if default is None:
            columns[column] = None
        elif default.is_scalar:
            columns[column] = default.arg
        elif default.is_callable:
            columns[column] = default.arg(None)
        else:
            raise TypeError(f"{table.name}.{column.name}: a default this cannot compute")
    (key_column,) = mapper.primary_key
    ident = db.session.execute(
        _inserting(table), {column.key: value for column, value in columns.items()}
    ).scalar_one()
    obj = model(**values)
    for column, value in columns.items():
        setattr(obj, mapper.get_property_by_column(column).key, value)
    setattr(obj, mapper.get_property_by_column(key_column).key, ident)
    make_transient_to_detached(obj)
    session = db.session()
    session.add(obj)
    # Registered as the flush registers what it inserts (SQLAlchemy has no public call for
    # it): a rollback, a savepoint's too, takes the object out of the session again as it
    # takes the row out of the database, and a key used again later is no clash.
    session._transaction._new[sa.inspect(obj)] = True
    if getattr(model, "__audited__", False):
        # The one flush listener every audited model needs: its row, as the flush writes it.
        record_created(session, obj)
    return obj


def dispose_engines(app: Flask) -> None:
    """Close every pooled connection of ``app``'s engines, and its listener for ward changes."""
    ward_changes.close(app)
    with app.app_context():
        db.engine.dispose()
    engine = app.extensions.get(AUTOCOMMIT_ENGINE_KEY)
    if engine is not None:
        engine.dispose()


def _autocommit_engine(uri: str, options: dict) -> Engine:
    # Its connections are never in a transaction: nothing to roll back when one is handed back.
    engine = create_engine(uri, **options, isolation_level="AUTOCOMMIT", pool_reset_on_return=None)
    _ping_idle_connections(engine)
    return engine


def init_app(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
    if uri.startswith("sqlite"):
        options.setdefault("connect_args", {})["timeout"] = SQLITE_BUSY_TIMEOUT_MS / 1000
    else:
        options.setdefault("pool_recycle", POOL_RECYCLE_SECONDS)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    # Import every model so the metadata is complete before migrations compare it.
    from dialogue import models  # noqa: F401

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    with app.app_context():
        if uri.startswith("sqlite"):
            _configure_sqlite(db.engine)
        else:
            _ping_idle_connections(db.engine)
            app.extensions[AUTOCOMMIT_ENGINE_KEY] = _autocommit_engine(uri, options)
        ward_changes.init_app(app, db.engine)
