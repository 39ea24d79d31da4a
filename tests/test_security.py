import re

import pytest

from dialogue import create_app
from dialogue.config import load_config
from dialogue.errors import ConfigurationError
from dialogue.extensions import db
from tests.conftest import PASSWORD


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(ConfigurationError, match="DIALOGUE_SECRET_KEY"):
        load_config(tmp_path, {"DIALOGUE_ENV": "production"})


def test_production_start_through_the_factory_refuses_too(tmp_path, monkeypatch):
    monkeypatch.delenv("DIALOGUE_SECRET_KEY", raising=False)
    monkeypatch.setenv("DIALOGUE_ENV", "production")
    monkeypatch.setenv("DIALOGUE_DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with pytest.raises(ConfigurationError):
        create_app()


def test_development_generates_and_keeps_a_secret_key(tmp_path):
    first = load_config(tmp_path, {"DIALOGUE_ENV": "development"})["SECRET_KEY"]
    second = load_config(tmp_path, {"DIALOGUE_ENV": "development"})["SECRET_KEY"]
    assert first == second and len(first) >= 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_cookies_are_secure(tmp_path):
    config = load_config(tmp_path, {"DIALOGUE_ENV": "production", "DIALOGUE_SECRET_KEY": "x" * 40})
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["SESSION_COOKIE_HTTPONLY"] and config["REMEMBER_COOKIE_HTTPONLY"]
    assert config["SESSION_COOKIE_SAMESITE"] == config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert config["REMEMBER_COOKIE_DURATION"].days <= 14


def test_security_headers(client):
    response = client.get("/auth/login")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_signed_in_pages_are_not_cached(client, login, make_user):
    login(make_user())
    assert "no-store" in client.get("/").headers["Cache-Control"]


def test_login_with_wrong_password_keeps_the_username(client, make_user):
    user = make_user()
    response = client.post("/auth/login", data={"username": user.username, "password": "nope"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'value="{user.username}"' in page
    assert "nope" not in page


def test_inactive_accounts_cannot_sign_in(client, make_user):
    user = make_user(is_active=False)
    response = client.post("/auth/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 200


def test_username_is_case_insensitive(client, make_user):
    user = make_user(username="thuky01")
    response = client.post("/auth/login", data={"username": " ThuKy01 ", "password": PASSWORD})
    assert response.status_code == 302 and user.last_login_dt is not None


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/conferences/", "/conferences/"),
        # Anything else: the staff overview.
        ("//evil.example/", "/overview"),
        ("https://evil.example/", "/overview"),
        ("/\\evil.example", "/overview"),
        ("javascript:alert(1)", "/overview"),
    ],
)
def test_next_redirects_stay_on_the_site(client, make_user, target, expected):
    user = make_user()
    response = client.post(
        "/auth/login", data={"username": user.username, "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/auth/login", "/auth/login"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_the_language_link_switches_and_stays_on_the_site(client, target, expected):
    response = client.get("/locale", query_string={"locale": "en", "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == expected
    page = client.get("/auth/login").get_data(as_text=True)
    assert '<html lang="en">' in page
    # The language in use is named, the other one is a link back to the same page.
    assert '<span class="locale-current" lang="en" aria-current="true">English</span>' in page
    assert 'href="/locale?locale=vi&amp;next=/auth/login"' in page


def test_an_unknown_language_changes_nothing(client):
    client.get("/locale", query_string={"locale": "fr"})
    assert '<html lang="vi">' in client.get("/auth/login").get_data(as_text=True)


def test_protected_page_sends_anonymous_users_to_sign_in(client):
    response = client.get("/conferences/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


def test_password_change_signs_out_other_sessions(app, login, make_user):
    user = make_user()
    other_device = app.test_client()
    other_device.post("/auth/login", data={"username": user.username, "password": PASSWORD})
    assert other_device.get("/conferences/").status_code == 200
    client = app.test_client()
    client.post("/auth/login", data={"username": user.username, "password": PASSWORD})
    response = client.post(
        "/auth/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a new long password",
            "confirm_password": "a new long password",
        },
    )
    assert response.status_code == 302
    assert client.get("/conferences/").status_code == 200
    assert other_device.get("/conferences/").status_code == 302
    db.session.refresh(user)
    assert user.check_password("a new long password")


def test_password_change_errors_are_shown_beside_the_fields(client, login, make_user):
    login(make_user())
    response = client.post(
        "/auth/password",
        data={"current_password": "wrong", "new_password": "short", "confirm_password": "other"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count('class="error"') == 3


@pytest.fixture
def csrf_app(app_config, _schema):
    app_config["WTF_CSRF_ENABLED"] = True
    app = create_app(dict(app_config))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_post_without_csrf_token_is_rejected_and_keeps_what_was_typed(csrf_app):
    client = csrf_app.test_client()
    response = client.post(
        "/auth/login", data={"username": "organiser", "password": "secret-not-echoed"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'name="username" value="organiser"' in page
    assert "secret-not-echoed" not in page
    assert re.search(r'name="csrf_token" value="[^"]+"', page)


def test_the_language_link_needs_no_token(csrf_app):
    client = csrf_app.test_client()
    assert client.get("/locale", query_string={"locale": "en"}).status_code == 302
    assert '<html lang="en">' in client.get("/auth/login").get_data(as_text=True)


def test_login_with_csrf_token_works(csrf_app):
    from dialogue.auth.models import Role
    from dialogue.auth.operations import create_user
    from dialogue.wards.operations import create_ward

    ward = create_ward(name="Cự Khối", slug="cu-khoi")
    create_user(
        ward=ward, username="chair", display_name="Chủ tọa", password=PASSWORD, role=Role.CHAIR
    )
    db.session.commit()
    client = csrf_app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/auth/login", data={"username": "chair", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


@pytest.fixture
def limited_app(app_config, _schema):
    app_config["RATELIMIT_ENABLED"] = True
    app_config["RATELIMIT_LOGIN"] = "3 per minute"
    app = create_app(dict(app_config))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_login_is_rate_limited_with_a_clear_message(limited_app):
    client = limited_app.test_client()
    for _ in range(3):
        assert (
            client.post("/auth/login", data={"username": "x", "password": "y"}).status_code == 200
        )
    response = client.post("/auth/login", data={"username": "someone", "password": "y"})
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert 'value="someone"' in page
    assert 'role="alert"' in page
    # Reading the page is not limited.
    assert client.get("/auth/login").status_code == 200


# -- sign-in limits: per account and per address --------------------------------------------


@pytest.fixture
def sign_in_limits(app_config):
    """The limits as deployed (their defaults), switched on."""
    app_config["RATELIMIT_ENABLED"] = True
    return app_config


def _sign_in(client, username, password, address="192.0.2.10"):
    return client.post(
        "/auth/login",
        data={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_the_desks_of_one_hall_do_not_lock_each_other_out(sign_in_limits, app, make_user):
    # Eight desks behind the hall's one address, each with a typo or two before signing in.
    desks = [make_user() for _ in range(8)]
    clients = [app.test_client() for _ in desks]
    for client, user in zip(clients, desks, strict=True):
        assert _sign_in(client, user.username, "sai mật khẩu").status_code == 200
        assert _sign_in(client, user.username.upper(), "sai nữa").status_code == 200
    for client, user in zip(clients, desks, strict=True):
        assert _sign_in(client, user.username, PASSWORD).status_code == 302
    # A successful sign-in counts against no limit: the whole morning may sign in and out.
    morning = app.test_client()
    for _ in range(30):
        assert _sign_in(morning, desks[0].username, PASSWORD).status_code == 302
        morning.post("/auth/logout")


def test_guessing_one_accounts_password_is_stopped_from_any_address(sign_in_limits, app, make_user):
    target, colleague = make_user(), make_user()
    client = app.test_client()
    for n in range(5):
        response = _sign_in(client, target.username, f"đoán {n}", address=f"198.51.100.{n}")
        assert response.status_code == 200
    # The sixth guess, from yet another address, is refused, and so is the right password now.
    response = _sign_in(client, f" {target.username.upper()} ", "đoán 6", address="203.0.113.9")
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert 'role="alert"' in page and target.username.upper() in page
    assert "Quá nhiều" in page or "quá nhiều" in page
    assert _sign_in(client, target.username, PASSWORD, address="203.0.113.9").status_code == 429
    # Another account behind the same address is not affected.
    assert _sign_in(client, colleague.username, PASSWORD, address="198.51.100.1").status_code == 302


def test_trying_many_accounts_from_one_address_is_stopped(sign_in_limits, app, make_user):
    desk = make_user()
    client = app.test_client()
    for n in range(20):
        assert _sign_in(client, f"nguoidung{n}", "mat khau").status_code == 200
    response = _sign_in(client, "nguoidung20", "mat khau")
    assert response.status_code == 429
    assert "kết nối này" in response.get_data(as_text=True)
    # From this address nobody signs in for now; from another one, everyone still does.
    assert _sign_in(client, desk.username, PASSWORD).status_code == 429
    assert _sign_in(client, desk.username, PASSWORD, address="192.0.2.99").status_code == 302


def test_the_limit_message_says_how_long_to_wait(sign_in_limits, app, make_user):
    app.config["RATELIMIT_LOGIN_ACCOUNT"] = "2 per hour"
    user = make_user()
    client = app.test_client()
    client.get("/locale", query_string={"locale": "en", "next": "/auth/login"})
    for _ in range(2):
        assert _sign_in(client, user.username, "sai").status_code == 200
    page = _sign_in(client, user.username, "sai").get_data(as_text=True)
    assert "Too many wrong passwords for this username. Wait " in page
    minutes = int(re.search(r"Wait (\d+) minutes?", page).group(1))
    assert 1 <= minutes <= 60
