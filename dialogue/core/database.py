"""Binding the database: SQLite pragmas and write transactions, the migration directory."""

from __future__ import annotations

import contextvars

from flask import Flask, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from dialogue.config import PROJECT_ROOT
from dialogue.extensions import db, migrate

SQLITE_BUSY_TIMEOUT_MS = 15_000
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_writer: contextvars.ContextVar[bool] = contextvars.ContextVar("sqlite_writer", default=False)


def begin_immediately(enabled: bool = True) -> None:
    """Make this context's transactions take SQLite's write lock up front (CLI commands)."""
    _writer.set(enabled)


def _wants_write_lock() -> bool:
    if _writer.get():
        return True
    if not has_request_context() or request.method in _READ_METHODS:
        return False
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
        # A request that may write takes the write lock up front, so a read-then-write
        # never fails half-way with "database is locked"; pages that only read do not.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _wants_write_lock() else "BEGIN")


def init_app(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
        options.setdefault("connect_args", {})["timeout"] = SQLITE_BUSY_TIMEOUT_MS / 1000
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    # Import every model so the metadata is complete before migrations compare it.
    from dialogue import models  # noqa: F401

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    if uri.startswith("sqlite"):
        with app.app_context():
            _configure_sqlite(db.engine)
