"""A service down is not a server error: Redis stopped and PostgreSQL restarted, for real.

Each test runs its own Redis server or PostgreSQL cluster (``tests/services.py``), never the
shared ones, and stops or restarts it between two requests. Without the programs the tests
are skipped, with the reason; in CI that is a failure.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import pytest
import redis
import sqlalchemy as sa

from dialogue import create_app
from dialogue.auth.models import Role
from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.core.database import dispose_engines
from dialogue.extensions import db
from dialogue.live.bus import close_bus
from dialogue.mail.models import MailReason, OutboxMessage
from dialogue.questions.forms import issue_stamp
from dialogue.questions.models import ResidentQuestion
from tests.conftest import PASSWORD, require_service
from tests.services import PostgresCluster, RedisServer, postgres_missing, redis_missing

# Tight enough to reach in a test, the per-address limit loose enough to stay out of the way.
ACCOUNT_LIMIT = 3
QUESTION_LIMIT = 2
FALLBACK_WARNING = "falling back to in-memory storage"
RECOVERY_WAIT_SECONDS = 40


@pytest.fixture
def redis_server():
    require_service(redis_missing() is None, redis_missing() or "")
    server = RedisServer()
    server.start()
    yield server
    server.remove()


@pytest.fixture
def app_config(app_config, redis_server):
    """The application with Redis configured as in production: limits, bus and health check."""
    return {
        **app_config,
        "ENVIRON": {
            "DIALOGUE_REDIS_URL": redis_server.url,
            "DIALOGUE_LOGIN_RATE_LIMIT": "1000 per minute",
            "DIALOGUE_LOGIN_ACCOUNT_RATE_LIMIT": f"{ACCOUNT_LIMIT} per minute",
            "DIALOGUE_QUESTION_RATE_LIMIT": f"{QUESTION_LIMIT} per minute",
        },
        "RATELIMIT_ENABLED": True,
        "BABEL_DEFAULT_LOCALE": "en",
    }


@pytest.fixture
def app(app):
    assert app.config["RATELIMIT_STORAGE_URI"].startswith("redis://")
    yield app
    close_bus(app)


def limit_keys(server: RedisServer) -> list[bytes]:
    client = redis.Redis.from_url(server.url)
    try:
        return client.keys("LIMITS*")
    finally:
        client.close()


def sign_in(client, username: str, password: str = PASSWORD):
    return client.post("/auth/login", data={"username": username, "password": password})


# -- Redis stopped -------------------------------------------------------------------------


def test_with_redis_down_the_right_password_signs_in_and_wrong_ones_are_still_limited(
    app, redis_server, make_user, caplog
):
    user = make_user()
    # While Redis runs, failed sign-ins are counted there.
    assert sign_in(app.test_client(), user.username, "wrong").status_code == 200
    assert limit_keys(redis_server)

    redis_server.stop()
    caplog.set_level(logging.WARNING)

    staff = app.test_client()
    response = sign_in(staff, user.username)
    assert response.status_code == 302
    assert staff.get("/overview").status_code == 200
    assert FALLBACK_WARNING in caplog.text

    # Counted in this process now: the same number of guesses, then the door closes.
    guesser = app.test_client()
    for _attempt in range(ACCOUNT_LIMIT):
        response = sign_in(guesser, user.username, "wrong")
        assert response.status_code == 200
        assert "The username or the password is wrong." in response.get_data(as_text=True)
    response = sign_in(guesser, user.username, "wrong")
    assert response.status_code == 429
    assert "Too many wrong passwords for this username" in response.get_data(as_text=True)
    assert sign_in(app.test_client(), user.username).status_code == 429


def test_once_redis_is_back_the_limits_are_counted_there_again(app, redis_server, make_user):
    user = make_user()
    redis_server.stop()
    client = app.test_client()
    assert sign_in(client, user.username).status_code == 302

    redis_server.start()
    # flask-limiter looks at Redis again after 1, 2, 4 … 32 s; each try is a new username,
    # so that no account's own limit is reached.
    deadline = time.monotonic() + RECOVERY_WAIT_SECONDS
    attempt = 0
    while not limit_keys(redis_server):
        assert time.monotonic() < deadline, "the limits never went back to Redis"
        attempt += 1
        assert sign_in(app.test_client(), f"nobody{attempt}", "wrong").status_code == 200
        time.sleep(0.5)


def test_a_new_application_counts_in_its_own_redis_at_once(app, app_config, redis_server):
    redis_server.stop()
    assert sign_in(app.test_client(), "nobody", "wrong").status_code == 200

    # The limiter is one object per process: the next application must not inherit the
    # memory fallback that this one fell into.
    other_server = RedisServer()
    other_server.start()
    environ = {**app_config["ENVIRON"], "DIALOGUE_REDIS_URL": other_server.url}
    other_app = create_app({**app_config, "ENVIRON": environ})
    try:
        assert sign_in(other_app.test_client(), "nobody", "wrong").status_code == 200
        assert limit_keys(other_server)
    finally:
        dispose_engines(other_app)
        other_server.remove()


@pytest.fixture
def announced(make_conference):
    return make_conference(status=ConferenceStatus.ANNOUNCED, announced_dt=datetime.now(UTC))


def ask(client, conference: Conference, text: str):
    return client.post(
        f"/p/{conference.ward.slug}/hoi-nghi/{conference.id}/gui-cau-hoi",
        data={
            "question": text,
            "residential_group_id": "0",
            "procedure_area_id": "0",
            "asker_name": "",
            "contact": "",
            "website": "",
            "stamp": issue_stamp(conference.id, now=datetime.now(UTC).timestamp() - 30),
        },
    )


def test_with_redis_down_a_residents_question_is_accepted_and_still_limited(
    app, redis_server, announced, caplog
):
    redis_server.stop()
    caplog.set_level(logging.WARNING)
    resident = app.test_client()

    response = ask(resident, announced, "Thủ tục cấp lại giấy khai sinh cần những giấy tờ gì?")
    assert response.status_code == 302
    assert "/cau-hoi/" in response.headers["Location"]
    assert resident.get(response.headers["Location"]).status_code == 200
    texts = db.session.scalars(sa.select(ResidentQuestion.question)).all()
    assert texts == ["Thủ tục cấp lại giấy khai sinh cần những giấy tờ gì?"]
    # The new question's live event could not go through Redis: logged, not a 500.
    assert "could not publish live event" in caplog.text

    assert ask(resident, announced, "Đăng ký tạm trú mất mấy ngày?").status_code == 302
    assert ask(resident, announced, "Phí chứng thực bản sao là bao nhiêu?").status_code == 429
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ResidentQuestion)) == 2


# -- the health checks ---------------------------------------------------------------------


def test_readiness_names_redis_and_liveness_stays_cheap(app, redis_server):
    client = app.test_client()
    ready = client.get("/healthz/ready")
    assert ready.status_code == 200
    assert ready.json == {"status": "ok", "database": "ok", "redis": "ok"}
    assert client.get("/healthz").json == ready.json

    redis_server.stop()
    for url in ("/healthz", "/healthz/ready"):
        response = client.get(url)
        # Redis down degrades the service; only a required dependency makes it unready.
        assert response.status_code == 200
        assert response.json == {"status": "degraded", "database": "ok", "redis": "unreachable"}
    live = client.get("/healthz/live")
    assert live.status_code == 200
    assert live.json == {"status": "ok"}

    redis_server.start()
    assert client.get("/healthz/ready").json["redis"] == "ok"


def queued_message(created_dt: datetime) -> OutboxMessage:
    message = OutboxMessage(
        to_address="don.vi@example.vn",
        subject="Câu hỏi chuyển đơn vị",
        text_body="Nội dung",
        html_body="<p>Nội dung</p>",
        reason=MailReason.TEST,
        message_id=f"<{created_dt.timestamp()}@dialogue.test>",
        created_dt=created_dt,
    )
    db.session.add(message)
    db.session.commit()
    return message


def test_readiness_says_when_the_mail_worker_is_behind(app, redis_server):
    # An SMTP host is set, so a worker is expected to empty the outbox.
    app.config["MAIL_SERVER"] = "127.0.0.1"
    client = app.test_client()
    assert client.get("/healthz/ready").json == {
        "status": "ok",
        "database": "ok",
        "redis": "ok",
        "mail_worker": "ok",
        "mail_outbox": {"waiting": 0, "oldest_due_seconds": 0},
    }

    queued_message(datetime.now(UTC) - timedelta(seconds=30))
    answer = client.get("/healthz/ready").json
    assert answer["mail_worker"] == "ok"
    assert answer["mail_outbox"]["waiting"] == 1
    assert 30 <= answer["mail_outbox"]["oldest_due_seconds"] < 300

    # Due for ten minutes and still there: no worker is sending.
    queued_message(datetime.now(UTC) - timedelta(minutes=10))
    response = client.get("/healthz/ready")
    assert response.status_code == 200
    assert response.json["status"] == "degraded"
    assert response.json["mail_worker"] == "behind"
    assert response.json["mail_outbox"]["waiting"] == 2
    assert response.json["mail_outbox"]["oldest_due_seconds"] >= 600


# -- PostgreSQL restarted ------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres():
    require_service(postgres_missing() is None, postgres_missing() or "")
    cluster = PostgresCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture
def postgres_app(postgres, tmp_path):
    from dialogue import models  # noqa: F401
    from dialogue.auth.operations import create_user
    from dialogue.wards.operations import create_ward

    engine = sa.create_engine(postgres.url)

    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
        db.metadata.create_all(connection)
    engine.dispose()
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": postgres.url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "BABEL_DEFAULT_LOCALE": "en",
        }
    )
    with app.app_context():
        ward = create_ward(
            name="Thạch Bàn", slug="thach-ban", place_name="Thạch Bàn", province="Hà Nội"
        )
        create_user(
            ward=ward,
            username="thuky",
            display_name="Nguyễn Thị Thư Ký",
            password=PASSWORD,
            role=Role.ORGANISER,
        )
        db.session.commit()
        db.session.remove()
    yield app
    dispose_engines(app)


def test_after_a_database_restart_the_next_requests_are_answered(postgres, postgres_app):
    client = postgres_app.test_client()
    assert sign_in(client, "thuky").status_code == 302
    assert "Nguyễn Thị Thư Ký" in client.get("/overview").get_data(as_text=True)
    assert client.get("/api/v1/wards").status_code == 200

    # Every pooled connection was handed back moments ago, so none is pinged by age.
    postgres.restart()
    overview = client.get("/overview")
    assert overview.status_code == 200
    assert "Nguyễn Thị Thư Ký" in overview.get_data(as_text=True)
    # The API checks what it keeps through the other pool (autocommit, outside the session).
    wards = client.get("/api/v1/wards")
    assert wards.status_code == 200
    assert "Thạch Bàn" in wards.get_data(as_text=True)

    postgres.restart()
    fresh = postgres_app.test_client()
    assert sign_in(fresh, "thuky").status_code == 302
    assert fresh.get("/healthz").json == {"status": "ok", "database": "ok"}


def test_while_the_database_is_down_readiness_fails_and_liveness_answers(postgres, postgres_app):
    postgres_app.config["MAIL_SERVER"] = "127.0.0.1"
    client = postgres_app.test_client()
    assert client.get("/healthz").status_code == 200
    postgres.stop()
    try:
        ready = client.get("/healthz/ready")
        assert ready.status_code == 503
        assert ready.json == {
            "status": "unavailable",
            "database": "unreachable",
            "mail_worker": "unknown",
        }
        assert client.get("/healthz/live").status_code == 200
    finally:
        postgres.start()
    assert client.get("/healthz/ready").status_code == 200


def test_while_the_database_is_down_pages_say_so_with_a_503(postgres, postgres_app):
    staff = postgres_app.test_client()
    assert sign_in(staff, "thuky").status_code == 302
    resident = postgres_app.test_client()
    postgres.stop()
    try:
        for client, path in (
            (resident, "/p/thach-ban/"),
            (staff, "/overview"),
            (staff, "/people/"),
        ):
            page = client.get(path)
            assert page.status_code == 503, path
            assert page.headers["Retry-After"] == "5"
            assert "The service cannot reach its database for a moment" in page.get_data(
                as_text=True
            )
        # A form sent meanwhile: the answer says nothing was saved (the browser keeps the form).
        posted = staff.post("/people/new", data={"full_name": "Lê Văn Mới"})
        assert posted.status_code == 503
        assert "What you sent was not saved" in posted.get_data(as_text=True)
        api = resident.get("/api/v1/wards")
        assert api.status_code == 503
        assert api.headers["Content-Type"] == "application/problem+json"
        assert api.json["status"] == 503
    finally:
        postgres.start()
    assert resident.get("/p/thach-ban/").status_code == 200
    assert staff.get("/overview").status_code == 200
