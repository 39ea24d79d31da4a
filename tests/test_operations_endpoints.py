import os
import uuid

import pytest

from dialogue import create_app
from dialogue.extensions import db
from tests.conftest import require_service


def test_healthz_reports_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_reports_an_unreachable_database(app_config, tmp_path):
    # A PostgreSQL port nothing listens on.
    app_config["SQLALCHEMY_DATABASE_URI"] = (
        "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"
    )
    app = create_app(dict(app_config))
    with app.app_context():
        response = app.test_client().get("/healthz")
        db.session.remove()
    assert response.status_code == 503
    assert response.json["status"] != "ok"
    assert response.json["database"] == "unreachable"


@pytest.fixture
def redis_url():
    url = os.environ.get("DIALOGUE_TEST_REDIS_URL", "").strip() or "redis://127.0.0.1:6379/15"
    import redis

    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError as error:
        require_service(False, f"Redis at {url} is unreachable: {error}")
    return url


def test_login_rate_limit_is_shared_through_redis(app_config, _schema, redis_url):
    # Two application instances stand for two workers: the limit counts across both.
    prefix = f"dialogue-test-{uuid.uuid4().hex}"
    config = {
        **app_config,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_KEY_PREFIX": prefix,
        "RATELIMIT_LOGIN": "4 per minute",
    }
    first, second = create_app(dict(config)), create_app(dict(config))
    statuses = []
    for worker in (first, second, first, second, first):
        with worker.app_context():
            response = worker.test_client().post(
                "/auth/login", data={"username": "a", "password": "b"}
            )
            statuses.append(response.status_code)
            db.session.remove()
            db.engine.dispose()
    assert statuses == [200, 200, 200, 200, 429]


def test_the_per_account_limit_is_shared_through_redis(app_config, _schema, redis_url):
    # Guesses at one account spread over two workers and as many addresses: counted together.
    prefix = f"dialogue-test-{uuid.uuid4().hex}"
    config = {
        **app_config,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_KEY_PREFIX": prefix,
        "RATELIMIT_LOGIN_ACCOUNT": "3 per minute",
    }
    first, second = create_app(dict(config)), create_app(dict(config))
    statuses = []
    for n, worker in enumerate((first, second, first, second)):
        with worker.app_context():
            response = worker.test_client().post(
                "/auth/login",
                data={"username": "chutich", "password": f"doan {n}"},
                environ_base={"REMOTE_ADDR": f"198.51.100.{n}"},
            )
            statuses.append(response.status_code)
            db.session.remove()
            db.engine.dispose()
    assert statuses == [200, 200, 200, 429]
