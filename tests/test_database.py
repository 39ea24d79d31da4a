"""The connection pool of a server database: idle connections checked, busy ones trusted."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from dialogue.core import database
from dialogue.extensions import db


@pytest.fixture
def server_engine(app):
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite has no server connection to lose; CI runs this on PostgreSQL")
    return db.engine


@pytest.fixture
def pings(server_engine, monkeypatch):
    """Count the round trips the pool spends checking connections."""
    counted = []
    real_ping = server_engine.dialect.do_ping

    def counting_ping(dbapi_connection):
        counted.append(dbapi_connection)
        return real_ping(dbapi_connection)

    monkeypatch.setattr(server_engine.dialect, "do_ping", counting_ping)
    return counted


def backend_pid() -> int:
    with db.engine.connect() as connection:
        return connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()


def test_a_connection_handed_back_moments_ago_is_not_checked(server_engine, pings):
    first = backend_pid()
    assert backend_pid() == first
    assert pings == []


def test_an_idle_connection_the_server_closed_is_replaced_without_an_error(
    server_engine, pings, monkeypatch
):
    closed = backend_pid()
    # The server ends the pooled connection (a restart, an idle timeout, a firewall).
    killer = sa.create_engine(server_engine.url, poolclass=NullPool)
    try:
        with killer.connect() as connection:
            assert connection.execute(
                sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": closed}
            ).scalar_one()
    finally:
        killer.dispose()

    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
    replacement = backend_pid()
    assert replacement != closed
    assert len(pings) == 1


def test_server_connections_are_recycled_hourly(server_engine):
    assert server_engine.pool._recycle == database.POOL_RECYCLE_SECONDS
