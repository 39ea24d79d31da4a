"""Reads about a ward kept in memory until PostgreSQL says the ward changed (``core.ward_changes``).

On PostgreSQL: a change committed by another process reaches this one's pages within a bound;
a listener whose connection is lost falls back to reading every request; this process sees its
own writes at once, even without a notification. On SQLite a read is kept while the database
file's counter of changes (``PRAGMA data_version``) stands still.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from dialogue.core.database import AUTOCOMMIT_ENGINE_KEY
from dialogue.core.ward_changes import EXTENSION_KEY, WardChanges
from dialogue.extensions import db
from dialogue.photos import operations as photo_operations
from tests.test_archive import START_2020, jpeg, page_text, publish

# A change committed elsewhere must show within this (delivery takes milliseconds).
BOUND_SECONDS = 2.0


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def published(make_conference):
    from dialogue.conferences.models import ConferenceStatus

    conference = make_conference(
        title="Hội nghị đối thoại năm 2020",
        start_dt=START_2020,
        status=ConferenceStatus.CLOSED,
    )
    return conference, publish(conference)


@pytest.fixture
def postgres_only(is_postgres):
    if not is_postgres:
        pytest.skip("notifications are PostgreSQL's")


class Reads:
    """Counts the stamp reads that reach the database (they run on the autocommit engine)."""

    def __init__(self, engine):
        self.count = 0
        self.engine = engine
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args, **kwargs):
        self.count += 1

    def close(self):
        event.remove(self.engine, "before_cursor_execute", self._seen)


def wait_until(predicate, timeout: float = 10.0) -> float:
    """Seconds until ``predicate()`` held; fails after ``timeout``."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            pytest.fail(f"not within {timeout} s")
        time.sleep(0.01)
    return time.monotonic() - start


def live_changes(app, client, url) -> WardChanges:
    changes = app.extensions[EXTENSION_KEY]
    assert client.get(url).status_code == 200  # the first read starts the listener
    wait_until(lambda: changes.is_live)
    return changes


def commit_elsewhere(database_url: str, sql: str) -> None:
    """Run ``sql`` in another process, as another worker (or an administrator) would."""
    dsn = (
        sa.engine.make_url(database_url)
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, psycopg\nwith psycopg.connect(sys.argv[1]) as c: c.execute(sys.argv[2])",
            dsn,
            sql,
        ],
        check=True,
        timeout=30,
    )


def test_a_change_committed_by_another_process_shows_within_the_bound(
    app, client, ward, published, database_url, postgres_only
):
    conference, document = published
    url = f"/p/{ward.slug}/bien-ban/{document.public_code}"
    pdf_url = url + ".pdf"
    archive_url = f"/p/{ward.slug}/bien-ban/"
    changes = live_changes(app, client, url)
    reads = Reads(app.extensions[AUTOCOMMIT_ENGINE_KEY])
    try:
        for address in (url, pdf_url, archive_url, "/api/v1/wards", f"/api/v1/wards/{ward.slug}"):
            assert client.get(address).status_code == 200
        before = reads.count
        for address in (url, pdf_url, archive_url, "/api/v1/wards", f"/api/v1/wards/{ward.slug}"):
            assert client.get(address).status_code == 200
        # Served from memory: nothing changed, nothing read.
        assert reads.count == before

        commit_elsewhere(
            database_url,
            f"UPDATE conferences SET title = 'Tên đã sửa ở nơi khác', updated_dt = now() "
            f"WHERE id = {conference.id}",
        )
        took = wait_until(
            lambda: "Tên đã sửa ở nơi khác" in page_text(client.get(url)), BOUND_SECONDS
        )
        assert took < BOUND_SECONDS
        assert "Tên đã sửa ở nơi khác" in page_text(client.get(archive_url))
        assert reads.count > before

        commit_elsewhere(database_url, f"UPDATE wards SET is_active = false WHERE id = {ward.id}")
        wait_until(lambda: client.get(pdf_url).status_code == 404, BOUND_SECONDS)
        assert client.get(url).status_code == 404
        assert client.get(archive_url).status_code == 404
    finally:
        reads.close()
    assert changes.connections == 1


def test_a_photo_added_elsewhere_shows_without_raising_the_version(
    app, client, ward, published, database_url, postgres_only
):
    conference, document = published
    url = f"/p/{ward.slug}/bien-ban/{document.public_code}"
    live_changes(app, client, url)
    version = db.session.scalar(
        sa.text("SELECT version FROM ward_versions WHERE ward_id = :id"), {"id": ward.id}
    )
    assert "Ảnh chụp ở nơi khác" not in page_text(client.get(url))
    photo = photo_operations.add_photo(conference, jpeg(), caption="Ảnh", uploaded_by=None)
    db.session.commit()
    wait_until(lambda: "Ảnh" in page_text(client.get(url)), BOUND_SECONDS)
    commit_elsewhere(
        database_url,
        f"UPDATE photos SET caption = 'Ảnh chụp ở nơi khác', updated_dt = now() "
        f"WHERE id = {photo.id}",
    )
    wait_until(lambda: "Ảnh chụp ở nơi khác" in page_text(client.get(url)), BOUND_SECONDS)
    db.session.rollback()
    assert (
        db.session.scalar(
            sa.text("SELECT version FROM ward_versions WHERE ward_id = :id"), {"id": ward.id}
        )
        == version
    )


def test_a_lost_listener_falls_back_to_reading_every_request(
    app, client, ward, published, database_url, postgres_only
):
    conference, document = published
    url = f"/p/{ward.slug}/bien-ban/{document.public_code}"
    changes = live_changes(app, client, url)
    reads = Reads(app.extensions[AUTOCOMMIT_ENGINE_KEY])
    reachable = changes.conninfo
    # Its reconnections fail (nothing listens on port 1) until it is given the address back.
    changes.conninfo = "postgresql://postgres@127.0.0.1:1/nothing?connect_timeout=1"
    try:
        with db.engine.connect() as connection:
            killed = connection.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name LIKE 'dialogue-ward-changes-%' "
                    "AND datname = current_database()"
                )
            ).all()
        assert killed and all(ok for (ok,) in killed)
        wait_until(lambda: not changes.is_live, BOUND_SECONDS)

        # Not listening: a change nobody is told of shows at once, read on the request.
        commit_elsewhere(
            database_url,
            f"UPDATE conferences SET title = 'Sửa khi không nghe', updated_dt = now() "
            f"WHERE id = {conference.id}",
        )
        before = reads.count
        assert "Sửa khi không nghe" in page_text(client.get(url))
        assert "Sửa khi không nghe" in page_text(client.get(url))
        assert reads.count >= before + 2
    finally:
        changes.conninfo = reachable
    # Back, with nothing trusted from before: then from memory again, and told of changes.
    wait_until(lambda: changes.is_live, 20.0)
    assert changes.connections == 2
    client.get(url)
    before = reads.count
    assert "Sửa khi không nghe" in page_text(client.get(url))
    assert reads.count == before
    commit_elsewhere(
        database_url,
        f"UPDATE conferences SET title = 'Nghe lại', updated_dt = now() WHERE id = {conference.id}",
    )
    wait_until(lambda: "Nghe lại" in page_text(client.get(url)), BOUND_SECONDS)
    reads.close()


def test_this_process_sees_its_own_write_at_once_without_a_notification(
    app, client, ward, published, database_url, postgres_only
):
    conference, document = published
    url = f"/p/{ward.slug}/bien-ban/{document.public_code}"
    live_changes(app, client, url)
    client.get(url)

    # Triggers off for these transactions (replica role): no notification is sent, so only
    # the process's own knowledge of its commit can make its next page new.
    db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
    conference.title = "Sửa trong chính tiến trình này"
    db.session.commit()
    assert "Sửa trong chính tiến trình này" in page_text(client.get(url))

    # The same write made elsewhere, untold, is not seen here: the test can tell the two apart.
    commit_elsewhere(
        database_url,
        "SET session_replication_role = replica; "
        f"UPDATE conferences SET title = 'Không ai báo', updated_dt = now() "
        f"WHERE id = {conference.id}",
    )
    time.sleep(0.3)
    assert "Không ai báo" not in page_text(client.get(url))


def test_on_sqlite_a_read_is_kept_while_the_database_file_is_unchanged(
    app, client, ward, published, is_postgres
):
    if is_postgres:
        pytest.skip("SQLite's path")
    conference, document = published
    url = f"/p/{ward.slug}/bien-ban/{document.public_code}"
    reads = Reads(db.engine)
    try:
        client.get(url)
        before = reads.count
        assert client.get(url).status_code == 200
        assert reads.count == before  # the file's counter of changes stood still
        # Written by another connection, outside the application: seen on the next request.
        path = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
        with sqlite3.connect(path) as connection:
            connection.execute(
                "UPDATE conferences SET title = 'Sửa bằng kết nối khác', "
                "updated_dt = '2030-01-01 00:00:00.000000' WHERE id = ?",
                (conference.id,),
            )
        connection.close()
        assert "Sửa bằng kết nối khác" in page_text(client.get(url))
        assert reads.count > before
        # And by this process, through the application's own session.
        conference.title = "Sửa trong ứng dụng"
        db.session.commit()
        assert "Sửa trong ứng dụng" in page_text(client.get(url))
        assert client.get(f"/p/{ward.slug}/bien-ban/").status_code == 200
        ward.is_active = False
        db.session.commit()
        assert client.get(url).status_code == 404
        assert client.get(url + ".pdf").status_code == 404
        assert client.get(f"/p/{ward.slug}/bien-ban/").status_code == 404
    finally:
        reads.close()


_TRIGGERS = sa.text(
    "SELECT t.tgname, c.relname, p.prosrc FROM pg_trigger t "
    "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
    "WHERE t.tgname LIKE '%ward_version' ORDER BY t.tgname"
)


def test_the_migrations_make_the_triggers_the_models_make(
    app, app_config, empty_database_url, postgres_only
):
    """Revision fb0bf00b000b and ``api.models`` tell of the same changes, in the same words."""
    from flask_migrate import downgrade, upgrade

    from dialogue import create_app
    from dialogue.core.database import dispose_engines

    with db.engine.connect() as connection:
        from_models = connection.execute(_TRIGGERS).all()
    assert {table for _, table, _ in from_models} >= {"turns", "photos", "answer_ratings"}
    assert all("pg_notify('ward_versions'" in source for _, _, source in from_models)

    migrated = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    try:
        with migrated.app_context():
            upgrade()
            with db.engine.connect() as connection:
                assert connection.execute(_TRIGGERS).all() == from_models
            downgrade(revision="fa0af00a000a")
            with db.engine.connect() as connection:
                before = connection.execute(_TRIGGERS).all()
            assert {table for _, table, _ in before} == {table for _, table, _ in from_models} - {
                "photos",
                "answer_ratings",
            }
            assert not any("pg_notify" in source for _, _, source in before)
            db.session.remove()
    finally:
        dispose_engines(migrated)
