"""Server-side sessions: signing out ends them for every copy of the cookies."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from dialogue import create_app
from dialogue.auth import operations
from dialogue.auth.devices import describe_device
from dialogue.auth.models import Role, User, UserSession
from dialogue.core.db import utcnow
from dialogue.extensions import db
from dialogue.web import LOCALE_KEY
from tests.conftest import PASSWORD, FreshContextClient

SESSION_COOKIE = "dialogue_session"
REMEMBER_COOKIE = "remember_token"
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
FIREFOX_ANDROID = "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)


def _browser(app, *, user_agent=CHROME_WINDOWS, address="192.0.2.10"):
    client = app.test_client()
    client.environ_base.update({"HTTP_USER_AGENT": user_agent, "REMOTE_ADDR": address})
    return client


def _sign_in(app, user, *, remember=False, **browser):
    client = _browser(app, **browser)
    data = {"username": user.username, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    assert client.post("/auth/login", data=data).status_code == 302
    with client.session_transaction() as session:
        session[LOCALE_KEY] = "en"
    return client


def _is_signed_in(client) -> bool:
    response = client.get("/auth/password")
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    return False


def _cookies(client) -> dict[str, str]:
    return {
        name: cookie.value
        for name in (SESSION_COOKIE, REMEMBER_COOKIE)
        if (cookie := client.get_cookie(name)) is not None
    }


def _replay(app, cookies: dict[str, str]):
    """Another browser, given copies of the cookies."""
    client = _browser(app, address="203.0.113.66")
    for name, value in cookies.items():
        client.set_cookie(name, value)
    return client


def _sessions(user) -> list[UserSession]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id)
        )
    )


def _page(client, url="/auth/sessions") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


# -- signing out ends the session on the server ----------------------------------------------


def test_copied_cookies_stop_working_at_sign_out(app, make_user):
    user = make_user(Role.SECRETARY)
    browser = _sign_in(app, user, remember=True)
    cookies = _cookies(browser)
    assert set(cookies) == {SESSION_COOKIE, REMEMBER_COOKIE}
    # Before the sign-out each copy signs in: the session cookie, and the remember cookie alone.
    assert _is_signed_in(_replay(app, cookies))
    assert _is_signed_in(_replay(app, {REMEMBER_COOKIE: cookies[REMEMBER_COOKIE]}))

    assert browser.post("/auth/logout").status_code == 302

    assert not _is_signed_in(browser)
    assert not _is_signed_in(_replay(app, cookies))
    assert not _is_signed_in(_replay(app, {SESSION_COOKIE: cookies[SESSION_COOKIE]}))
    assert not _is_signed_in(_replay(app, {REMEMBER_COOKIE: cookies[REMEMBER_COOKIE]}))
    [ended] = _sessions(user)
    assert ended.revoked_dt is not None


def test_the_cookies_carry_the_session_token_stored_hashed(app, make_user):
    user = make_user()
    browser = _sign_in(app, user, remember=True)
    [user_session] = _sessions(user)
    token = browser.get_cookie(REMEMBER_COOKIE).value.split("|")[0]
    assert hashlib.sha256(token.encode()).hexdigest() == user_session.token_hash
    assert token not in {user_session.token_hash, user.login_token, str(user.id)}
    assert user_session.is_remembered
    assert user_session.expires_dt - user_session.created_dt == timedelta(days=14)


def test_a_session_without_remember_me_lasts_a_working_day(app, make_user):
    user = make_user()
    browser = _sign_in(app, user)
    assert REMEMBER_COOKIE not in _cookies(browser)
    [user_session] = _sessions(user)
    assert not user_session.is_remembered
    assert user_session.expires_dt - user_session.created_dt == timedelta(hours=12)


def test_an_expired_session_signs_nobody_in(app, make_user):
    user = make_user()
    browser = _sign_in(app, user, remember=True)
    cookies = _cookies(browser)
    db.session.execute(sa.update(UserSession).values(expires_dt=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert not _is_signed_in(browser)
    assert not _is_signed_in(_replay(app, {REMEMBER_COOKIE: cookies[REMEMBER_COOKIE]}))


def test_a_city_officer_signs_in_and_out_the_same_way(app, make_user):
    officer = make_user(Role.CITY)
    browser = _sign_in(app, officer, remember=True)
    cookies = _cookies(browser)
    assert "This device" in _page(browser)
    browser.post("/auth/logout")
    assert not _is_signed_in(_replay(app, cookies))


# -- the loader -------------------------------------------------------------------------------


@pytest.fixture
def statements(app):
    """The SQL statements run while the list is open."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    sa.event.remove(db.engine, "before_cursor_execute", record)


def _token(client) -> str:
    with client.session_transaction() as session:
        return session["_user_id"]


def _loads(app, token) -> int | None:
    """The id of the account Flask-Login's loader finds for ``token``."""
    from dialogue.web import _load_user

    with app.test_request_context("/"):
        user = _load_user(token)
        user_id = user.id if user is not None else None
        db.session.rollback()
    return user_id


def _data_statements(statements) -> list[str]:
    return [s for s in statements if not re.match(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT)", s)]


def test_the_loader_costs_one_query(app, make_user, statements):
    user_id = make_user().id
    token = _token(_sign_in(app, db.session.get(User, user_id)))
    db.session.commit()
    statements.clear()
    assert _loads(app, token) == user_id
    [query] = _data_statements(statements)
    assert query.startswith("SELECT") and "FROM user_sessions JOIN users" in query


def test_the_loader_refuses_what_is_not_a_live_session(app, make_user, statements):
    user = make_user()
    token = _token(_sign_in(app, user))
    assert _loads(app, user.login_token) is None
    assert _loads(app, str(user.id)) is None
    statements.clear()
    assert _loads(app, "x" * 10_000) is None
    assert _data_statements(statements) == []
    user = db.session.get(User, user.id)
    user.is_active = False
    db.session.commit()
    assert _loads(app, token) is None


def test_last_seen_is_written_every_few_minutes_not_on_every_request(app, make_user, statements):
    user = make_user()
    browser = _sign_in(app, user, address="192.0.2.10")
    [user_session] = _sessions(user)
    first_seen = user_session.last_seen_dt
    browser.get("/auth/password")
    assert _sessions(user)[0].last_seen_dt == first_seen

    long_ago = utcnow() - timedelta(minutes=6)
    soon = utcnow() + timedelta(hours=1)
    db.session.execute(sa.update(UserSession).values(last_seen_dt=long_ago, expires_dt=soon))
    db.session.commit()
    statements.clear()
    browser.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert _is_signed_in(browser)
    [seen] = _sessions(user)
    assert seen.last_seen_dt > long_ago + timedelta(minutes=5)
    assert seen.ip_address == "198.51.100.7"
    # A session in use lasts a working day from its last activity.
    assert seen.expires_dt > utcnow() + timedelta(hours=11)
    assert sum("UPDATE user_sessions" in s for s in statements) == 1
    statements.clear()
    assert _is_signed_in(browser)
    assert not any("UPDATE user_sessions" in s for s in statements)


def test_activity_never_shortens_a_kept_session(app, make_user):
    user = make_user()
    browser = _sign_in(app, user, remember=True)
    [user_session] = _sessions(user)
    expires_dt = user_session.expires_dt
    db.session.execute(sa.update(UserSession).values(last_seen_dt=utcnow() - timedelta(minutes=10)))
    db.session.commit()
    assert _is_signed_in(browser)
    [seen] = _sessions(user)
    assert seen.expires_dt == expires_dt and seen.last_seen_dt > utcnow() - timedelta(minutes=1)


def test_a_write_right_after_the_activity_is_written_still_works(app, make_user):
    # On SQLite the loader's own transaction ends with the activity: the request's writes
    # still take the write lock.
    user = make_user()
    browser = _sign_in(app, user)
    db.session.execute(sa.update(UserSession).values(last_seen_dt=utcnow() - timedelta(minutes=10)))
    db.session.commit()
    response = browser.post(
        "/auth/password",
        data={
            "current_password": PASSWORD,
            "new_password": "một mật khẩu mới dài",
            "confirm_password": "một mật khẩu mới dài",
        },
    )
    assert response.status_code == 302
    assert _is_signed_in(browser)


# -- passwords, deactivation -----------------------------------------------------------------


def test_a_new_password_ends_the_other_sessions_and_keeps_this_one(app, make_user):
    user = make_user()
    phone = _sign_in(app, user, remember=True, user_agent=SAFARI_IPHONE)
    desk = _sign_in(app, user, remember=True)
    desk_cookies = _cookies(desk)
    response = desk.post(
        "/auth/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a new long password",
            "confirm_password": "a new long password",
        },
    )
    assert response.status_code == 302
    assert not _is_signed_in(phone)
    assert _is_signed_in(desk)
    # This browser's "keep me signed in" goes on working too.
    assert _is_signed_in(_replay(app, {REMEMBER_COOKIE: desk_cookies[REMEMBER_COOKIE]}))
    ended, kept = _sessions(user)
    assert ended.revoked_dt is not None and kept.revoked_dt is None


def test_deactivating_an_account_ends_its_sessions(app, client, login, make_user):
    admin = make_user(Role.ADMINISTRATOR)
    user = make_user(Role.SECRETARY)
    browser = _sign_in(app, user, remember=True)
    cookies = _cookies(browser)
    login(admin)
    response = client.post(
        f"/admin/accounts/{user.id}/edit",
        data={"display_name": user.display_name, "role": "secretary", "unit_id": ""},
    )
    assert response.status_code == 302
    assert not _is_signed_in(browser)
    assert not _is_signed_in(_replay(app, cookies))
    # Recorded as ended, not only dead by the changed token.
    db.session.rollback()
    ended = db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id)).all()
    assert ended and all(row.revoked_dt is not None for row in ended)
    client.post(
        f"/admin/accounts/{user.id}/edit",
        data={"display_name": user.display_name, "role": "secretary", "is_active": "y"},
    )
    assert not _is_signed_in(_replay(app, cookies))
    user = db.session.get(User, user.id)
    assert operations.live_sessions(user) == []


def test_an_administrator_resetting_their_own_password_renews_this_session(
    app, make_user, statements
):
    admin = make_user(Role.ADMINISTRATOR)
    browser = _sign_in(app, admin, remember=True)
    old_cookies = _cookies(browser)
    response = browser.post(
        f"/admin/accounts/{admin.id}/password",
        data={"password": "a new long password", "confirm_password": "a new long password"},
    )
    assert response.status_code == 302
    assert _is_signed_in(browser)
    assert not _is_signed_in(_replay(app, old_cookies))
    # The same session goes on with a new token, its remember cookie sent again.
    [renewed] = _sessions(admin)
    assert renewed.is_remembered and renewed.revoked_dt is None
    assert _is_signed_in(_replay(app, {REMEMBER_COOKIE: _cookies(browser)[REMEMBER_COOKIE]}))


# -- the list of one's sessions ----------------------------------------------------------------


def test_the_list_shows_ones_live_sessions(app, make_user):
    user = make_user()
    other = make_user()
    _sign_in(app, other, user_agent=SAFARI_IPHONE)
    phone = _sign_in(app, user, remember=True, user_agent=FIREFOX_ANDROID, address="198.51.100.20")
    ended = _sign_in(app, user, user_agent=SAFARI_IPHONE)
    ended.post("/auth/logout")
    desk = _sign_in(app, user)
    page = _page(desk)
    assert "Chrome · Windows" in page and "192.0.2.10" in page
    assert "Firefox · Android" in page and "198.51.100.20" in page
    assert "Safari" not in page  # ended, or someone else's
    assert page.count("This device") == 1
    assert page.index("Chrome · Windows") < page.index("This device") < page.index("Firefox")
    assert "Kept signed in until" in page
    assert "Sign out everywhere else" in page
    assert page.count('name="session_id"') == 2
    assert "This device" in _page(phone)
    assert "/auth/sessions" in _page(desk, "/auth/password")
    # Every staff page's menu leads to it, and marks it there.
    assert 'href="/auth/sessions"' in _page(desk, "/overview")
    assert 'href="/auth/sessions" aria-current="page"' in page


def test_signing_out_one_session_from_the_list(app, make_user):
    user = make_user()
    phone = _sign_in(app, user, user_agent=FIREFOX_ANDROID)
    desk = _sign_in(app, user)
    phone_session, desk_session = _sessions(user)
    response = desk.post("/auth/sessions/end", data={"session_id": phone_session.id})
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/sessions")
    assert "That device has been signed out." in _page(desk)
    assert not _is_signed_in(phone)
    assert _is_signed_in(desk)
    # Ending it again, or ending what is not one's own, changes nothing and says so.
    someone = make_user()
    _sign_in(app, someone)
    [theirs] = _sessions(someone)
    for session_id in (phone_session.id, theirs.id, 2**31, 2**63, "abc", ""):
        response = desk.post("/auth/sessions/end", data={"session_id": session_id})
        assert response.status_code == 302
        assert "That session has already ended." in _page(desk)
    assert _sessions(someone)[0].revoked_dt is None
    # Ending this browser's own session signs it out.
    response = desk.post("/auth/sessions/end", data={"session_id": desk_session.id})
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert not _is_signed_in(desk)


def test_signing_out_everywhere_else(app, make_user):
    user = make_user()
    others = [
        _sign_in(app, user, remember=True, user_agent=agent)
        for agent in (FIREFOX_ANDROID, SAFARI_IPHONE)
    ]
    copies = [_cookies(browser) for browser in others]
    desk = _sign_in(app, user)
    response = desk.post("/auth/sessions/end-others")
    assert response.status_code == 302
    assert "Other devices signed out: 2." in _page(desk)
    for browser, cookies in zip(others, copies, strict=True):
        assert not _is_signed_in(browser)
        assert not _is_signed_in(_replay(app, cookies))
    assert _is_signed_in(desk)
    page = _page(desk)
    assert page.count('name="session_id"') == 1 and "Sign out everywhere else" not in page


@pytest.fixture
def csrf_app(app_config, _schema):
    app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    app.test_client_class = FreshContextClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_the_session_forms_need_their_csrf_token(csrf_app, make_user):
    user = make_user()
    browsers = []
    for agent in (FIREFOX_ANDROID, CHROME_WINDOWS):
        browser = _browser(csrf_app, user_agent=agent)
        page = browser.get("/auth/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        data = {"username": user.username, "password": PASSWORD, "csrf_token": token}
        assert browser.post("/auth/login", data=data).status_code == 302
        browsers.append(browser)
    phone, desk = browsers
    phone_session = _sessions(user)[0]
    assert desk.post("/auth/sessions/end-others").status_code == 400
    response = desk.post("/auth/sessions/end", data={"session_id": phone_session.id})
    assert response.status_code == 400
    assert _is_signed_in(phone)
    page = _page(desk)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = desk.post("/auth/sessions/end-others", data={"csrf_token": token})
    assert response.status_code == 302
    assert not _is_signed_in(phone)


# -- keeping the table small -----------------------------------------------------------------


def test_sessions_ended_or_expired_long_ago_are_pruned_at_sign_in(app, make_user):
    user = make_user()
    now = utcnow()

    def stored(**values):
        defaults = {
            "user": user,
            "token_hash": hashlib.sha256(repr(values).encode()).hexdigest(),
            "login_token": user.login_token,
            "created_dt": now - timedelta(days=60),
            "last_seen_dt": now - timedelta(days=60),
            "expires_dt": now + timedelta(days=1),
        }
        row = UserSession(**{**defaults, **values})
        db.session.add(row)
        return row

    stored(expires_dt=now - timedelta(days=31))
    stored(revoked_dt=now - timedelta(days=31))
    recently_expired = stored(expires_dt=now - timedelta(days=2))
    recently_ended = stored(revoked_dt=now - timedelta(days=2))
    db.session.commit()
    kept_ids = {recently_expired.id, recently_ended.id}
    _sign_in(app, user)
    remaining = {row.id for row in _sessions(user)}
    assert kept_ids < remaining and len(remaining) == 3


# -- the device, told in a few words -------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [
        (CHROME_WINDOWS, "Chrome · Windows"),
        (FIREFOX_ANDROID, "Firefox · Android"),
        (SAFARI_IPHONE, "Safari · iPhone"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "coc_coc_browser/129.0.272 Chrome/129.0.6668.100 Safari/537.36",
            "Cốc Cốc · Windows",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
            "Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge · macOS",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) "
            "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
            "Samsung Internet · Android",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            "Firefox · Linux",
        ),
        ("curl/8.5.0", ""),
        ("", ""),
    ],
)
def test_describe_device(user_agent, expected):
    assert describe_device(user_agent) == expected
