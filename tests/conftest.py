"""Fixtures: a fresh application per test on SQLite or PostgreSQL, and factories."""

from __future__ import annotations

import itertools
import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from dialogue import create_app
from dialogue.core.database import dispose_engines
from dialogue.extensions import db

TEST_DATABASE_URL = os.environ.get("DIALOGUE_TEST_DATABASE_URL", "").strip()
IN_CI = os.environ.get("CI", "").lower() == "true"
PASSWORD = "correct horse battery"


def require_service(available: bool, reason: str) -> None:
    """Skip a test whose service is missing on a laptop; in CI the same is a failure."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a missing service is a failure)")
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations():
    """Compile the catalogues when they are newer than their .mo (pytest run without make)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    from dialogue.config import PROJECT_ROOT

    for po_path in (PROJECT_ROOT / "dialogue" / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as source:
            catalog = read_po(source)
        with mo_path.open("wb") as target:
            write_mo(target, catalog)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    if TEST_DATABASE_URL:
        engine = sa.create_engine(TEST_DATABASE_URL)
        try:
            with engine.connect():
                pass
        except sa.exc.OperationalError as error:
            require_service(False, f"PostgreSQL at {TEST_DATABASE_URL} is unreachable: {error}")
        finally:
            engine.dispose()
        return TEST_DATABASE_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture
def empty_database_url(database_url, tmp_path):
    """A database with no tables, for migrations: a SQLite file, or a new PostgreSQL database."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    name = f"dialogue_migrations_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield sa.engine.make_url(database_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="session")
def is_postgres(database_url) -> bool:
    return database_url.startswith("postgresql")


@pytest.fixture(scope="session")
def _schema(database_url):
    """Create the tables once per run; each test then starts from empty tables."""
    from dialogue import models  # noqa: F401

    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
        else:
            db.metadata.drop_all(connection)
        db.metadata.create_all(connection)
    engine.dispose()
    yield


_SUPERUSER: dict[str, bool] = {}


def _may_skip_triggers(connection) -> bool:
    """Whether the suite's PostgreSQL role is a superuser (CI's is; a laptop's may not be)."""
    url = str(connection.engine.url)
    if url not in _SUPERUSER:
        _SUPERUSER[url] = bool(
            connection.exec_driver_sql(
                "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
            ).scalar()
        )
    return _SUPERUSER[url]


def _empty_tables() -> None:
    tables = [table.name for table in reversed(db.metadata.sorted_tables)]
    named = ", ".join(f'"{name}"' for name in tables)
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql" and _may_skip_triggers(connection):
            # DELETE with the triggers (foreign keys, published rows' guards) off for this
            # transaction, as only a superuser may: about 4 ms, where TRUNCATE's new files for
            # every table and index take 120-170 ms on a quiet machine and 0.8 s while another
            # suite runs beside, before each of the suite's tests. Rows then come back in no
            # particular order (deleted rows leave space for new ones), as in production: a
            # test that needs an order asks for it.
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
            # The lock TRUNCATE would take: a request of the test before, still writing in a
            # server's thread, finishes first, and its rows go with the others. DELETE alone
            # would pass over rows not yet committed, and they would stay for the next test.
            connection.exec_driver_sql(f"LOCK TABLE {named} IN ACCESS EXCLUSIVE MODE")
            connection.exec_driver_sql("; ".join(f'DELETE FROM "{name}"' for name in tables))
            # What TRUNCATE's RESTART IDENTITY does: the next id of every table is 1 again.
            connection.exec_driver_sql(
                "SELECT setval(s.oid::regclass, 1, false) FROM pg_class s "
                "JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid "
                "AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') "
                "JOIN pg_class t ON t.oid = d.refobjid "
                "WHERE s.relkind = 'S' AND t.relnamespace = 'public'::regnamespace"
            )
        elif connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"TRUNCATE {named} RESTART IDENTITY CASCADE")
        else:
            # Published rows may never be deleted: lift those triggers for this one transaction
            # (SQLite's DDL is transactional), as only a database's owner could.
            guards = connection.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master "
                "WHERE type = 'trigger' AND name LIKE '%\\_undeletable' ESCAPE '\\'"
            ).all()
            for name, _sql in guards:
                connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
            for name in tables:
                connection.exec_driver_sql(f'DELETE FROM "{name}"')
            for _name, sql in guards:
                connection.exec_driver_sql(sql)


@pytest.fixture
def app_config(database_url, tmp_path) -> dict:
    """The test configuration; a test may change it before asking for ``app``."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": "localhost",
    }


class FreshContextClient(FlaskClient):
    """A test client whose every request gets its own application context, as in production.

    Without it, requests made while a test holds an app context share its ``g`` (and its
    database session), which hides bugs that depend on per-request state.
    """

    def open(self, *args, **kwargs):
        # The test's own unit of work ends before the "browser" speaks, as it would in life;
        # a transaction left open would hold an old SQLite snapshot across the request.
        db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def app(app_config, _schema):
    app = create_app(dict(app_config))
    app.test_client_class = FreshContextClient
    with app.app_context():
        _empty_tables()
        yield app
        db.session.remove()
    dispose_engines(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


_sequence = itertools.count(1)


@pytest.fixture
def make_ward(app):
    from dialogue.wards.operations import create_ward

    def factory(**overrides):
        n = next(_sequence)
        values = {
            "name": f"Thử Nghiệm {n}",
            "slug": f"thu-nghiem-{n}",
            "place_name": f"Thử Nghiệm {n}",
            "province": "Thành phố Hà Nội",
        }
        values.update(overrides)
        ward = create_ward(**values)
        db.session.commit()
        return ward

    return factory


@pytest.fixture
def ward(make_ward):
    return make_ward(name="Thạch Bàn", slug="thach-ban", place_name="Thạch Bàn")


@pytest.fixture
def other_ward(make_ward):
    return make_ward(name="Phúc Lợi", slug="phuc-loi", place_name="Phúc Lợi")


@pytest.fixture
def make_user(app, ward):
    from dialogue.auth.models import Role
    from dialogue.auth.operations import create_user

    def factory(role: Role | str = Role.ORGANISER, **overrides):
        role = Role(role)
        n = next(_sequence)
        values = {
            "ward": ward,
            "username": f"{role.value}{n}",
            "display_name": f"Nguyễn Văn {role.value.capitalize()} {n}",
            "password": PASSWORD,
            "role": role,
        }
        if role is Role.CITY:
            # A city officer of the province of ``ward`` (or of the one given), in no ward.
            from dialogue.city.operations import assign_province, get_or_create_province

            if "province" not in overrides:
                place = overrides.get("ward", ward)
                if place.province_record is None:
                    assign_province(place, get_or_create_province(place.province or "Tỉnh thử"))
                values["province"] = place.province_record
            values["ward"] = None
            overrides.pop("ward", None)
        values.update(overrides)
        user = create_user(**values)
        db.session.commit()
        return user

    return factory


@pytest.fixture
def make_person(app, ward):
    from dialogue.people.models import Person

    def factory(**overrides):
        n = next(_sequence)
        values = {"ward": ward, "full_name": f"Trần Thị B{n}"}
        values.update(overrides)
        person = Person(**values)
        db.session.add(person)
        db.session.commit()
        return person

    return factory


@pytest.fixture
def make_conference(app, ward):
    from dialogue.conferences.models import Conference

    def factory(**overrides):
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
        values = {
            "ward": ward,
            "title": "Hội nghị đối thoại về cải cách thủ tục hành chính",
            "start_dt": start,
            "planned_end_dt": start + timedelta(hours=3),
            "venue": "Hội trường UBND phường",
        }
        values.update(overrides)
        conference = Conference(**values)
        db.session.add(conference)
        db.session.commit()
        return conference

    return factory


@pytest.fixture
def login(client):
    def do_login(user, password: str = PASSWORD):
        response = client.post(
            "/auth/login", data={"username": user.username, "password": password}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    return do_login


# -- mail ------------------------------------------------------------------------------------


class Mailbox:
    """An SMTP server's handler that keeps what it accepted; a test decides how it answers.

    ``accepted`` holds the messages taken (``email.message.EmailMessage``, parsed with the
    default policy). ``rcpt_reply`` or ``data_reply`` ("451 …", "550 …") refuse instead.
    The next ``stalls`` DATA commands hang until ``release`` is set or ``stall_seconds`` pass,
    then answer 451: the server never took those messages.
    """

    def __init__(self):
        import threading

        self.accepted = []
        self.rcpt_reply: str | None = None
        self.data_reply: str | None = None
        self.stalls = 0
        self.stall_seconds = 30.0
        self.data_started = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        import asyncio
        import time
        from email import policy
        from email.parser import BytesParser

        self.data_started.set()
        if self.stalls:
            self.stalls -= 1
            deadline = time.monotonic() + self.stall_seconds
            while not self.release.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            return "451 4.4.2 Hết thời gian chờ"
        if self.data_reply:
            return self.data_reply
        parser = BytesParser(policy=policy.default)
        self.accepted.append(parser.parsebytes(envelope.original_content))
        return "250 Đã nhận"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(app):
    """A real SMTP server (aiosmtpd) on a free loopback port, where the application sends mail.

    Tests run jobs at once (``DIALOGUE_JOBS=immediate``): a message queued with
    ``dialogue.mail.operations.queue_mail`` is in ``smtp.accepted`` once the test commits.
    """
    from aiosmtpd.controller import Controller

    from dialogue import jobs

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_TIMEOUT=2)
    yield mailbox
    mailbox.release.set()
    controller.stop()
    jobs.close_jobs(app)
