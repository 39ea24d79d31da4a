"""Signing in and out, the sessions of an account, and password changes."""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import contains_eager

from dialogue.auth.models import Role, User, UserSession, dummy_password_check
from dialogue.core.db import UTCDateTime, utcnow
from dialogue.errors import ValidationFailed
from dialogue.extensions import db

# A session's last activity is written at most this often, not on every request.
SEEN_EVERY = timedelta(minutes=5)
# Ended and expired sessions stay this long (who signed in from where), then go.
ENDED_SESSIONS_KEPT = timedelta(days=30)
MAX_TOKEN_LENGTH = 100


def normalize_username(username: str) -> str:
    return username.strip().lower()


def authenticate(username: str, password: str) -> User | None:
    """Return the active account with these credentials, or None."""
    user = db.session.scalar(sa.select(User).where(User.username == normalize_username(username)))
    if user is None:
        dummy_password_check()
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    return user


def record_sign_in(user: User) -> None:
    user.last_login_dt = utcnow()
    db.session.flush()


def change_password(user: User, new_password: str, *, keep: UserSession | None = None) -> None:
    """Set a new password; every session of the account but ``keep`` is ended."""
    user.set_password(new_password)
    end_sessions(user, keep=keep)
    if keep is not None:
        # The new login token ended every session: this one goes on under it.
        keep.login_token = user.login_token
    db.session.flush()


# -- sessions ----------------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _lifetime(*, remembered: bool) -> timedelta:
    """How long a session lasts from its start: a browser's session, or "keep me signed in"."""
    config = current_app.config
    return config["REMEMBER_COOKIE_DURATION" if remembered else "PERMANENT_SESSION_LIFETIME"]


def start_session(
    user: User, *, remember: bool, device: str = "", address: str = ""
) -> tuple[UserSession, str]:
    """Open a session for ``user``; return it and the secret token its cookies will carry.

    Sessions ended or expired long ago are deleted on the way: sign-ins are few.
    """
    now = utcnow()
    prune_sessions(now)
    token = secrets.token_urlsafe(32)
    user_session = UserSession(
        user=user,
        token_hash=hash_token(token),
        login_token=user.login_token,
        device=device,
        ip_address=address[:45],
        is_remembered=remember,
        created_dt=now,
        last_seen_dt=now,
        expires_dt=now + _lifetime(remembered=remember),
    )
    db.session.add(user_session)
    db.session.flush()
    return user_session, token


def renew_session(user_session: UserSession) -> str:
    """Give a session a new secret token, under the account's current login token.

    For signing the same account in again in the same browser (after a new password): the
    session goes on, with its start and its end, and the old token no longer works.
    """
    token = secrets.token_urlsafe(32)
    user_session.token_hash = hash_token(token)
    user_session.login_token = user_session.user.login_token
    user_session.last_seen_dt = utcnow()
    db.session.flush()
    return token


@functools.cache
def _live_session_by_token() -> sa.Select:
    # Built once (on first use, when every model is mapped): every signed-in request runs it,
    # and building it cost more than running it.
    return (
        sa.select(UserSession)
        .join(UserSession.user)
        .options(contains_eager(UserSession.user))
        .where(
            UserSession.token_hash == sa.bindparam("token_hash"),
            UserSession.revoked_dt.is_(None),
            UserSession.expires_dt > sa.bindparam("now", type_=UTCDateTime()),
            UserSession.login_token == User.login_token,
            User.is_active.is_(True),
        )
    )


def find_live_session(token: str) -> UserSession | None:
    """Return the live session whose cookies carry ``token``, its account loaded, in one query.

    Live: not ended, not expired, begun under the account's current login token, of an
    active account.
    """
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return db.session.scalar(
        _live_session_by_token(), {"token_hash": hash_token(token), "now": utcnow()}
    )


def is_due_for_activity(user_session: UserSession, now: datetime | None = None) -> bool:
    """Tell whether the session's last activity is old enough to be written again."""
    return (now or utcnow()) - user_session.last_seen_dt >= SEEN_EVERY


def record_activity(session_id: int, *, address: str = "") -> None:
    """Write that session ``session_id`` was used now, from ``address``; it lasts on from now.

    One UPDATE of its own (nothing loaded, nothing flushed with it): the caller commits it.
    """
    now = utcnow()
    floor = sa.literal(now + _lifetime(remembered=False), UTCDateTime())
    values = {
        "last_seen_dt": now,
        "expires_dt": sa.case(
            (UserSession.expires_dt < floor, floor), else_=UserSession.expires_dt
        ),
    }
    if address:
        values["ip_address"] = address[:45]
    db.session.execute(
        sa.update(UserSession)
        .where(UserSession.id == session_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def _live(statement: sa.Select, now: datetime) -> sa.Select:
    return statement.join(UserSession.user).where(
        UserSession.revoked_dt.is_(None),
        UserSession.expires_dt > now,
        UserSession.login_token == User.login_token,
    )


def live_sessions(user: User) -> list[UserSession]:
    """The account's live sessions, the latest used first."""
    statement = _live(sa.select(UserSession), utcnow()).where(UserSession.user_id == user.id)
    return list(
        db.session.scalars(
            statement.order_by(UserSession.last_seen_dt.desc(), UserSession.id.desc())
        )
    )


def get_live_session(user: User, session_id: int) -> UserSession | None:
    """Return the live session ``session_id`` of ``user``; None for anyone else's."""
    statement = _live(sa.select(UserSession), utcnow()).where(
        UserSession.user_id == user.id, UserSession.id == session_id
    )
    return db.session.scalar(statement)


def end_session(user_session: UserSession) -> None:
    """End one session: its cookies, wherever they were copied, no longer sign anyone in."""
    if user_session.revoked_dt is None:
        user_session.revoked_dt = utcnow()
    db.session.flush()


def end_sessions(user: User, *, keep: UserSession | None = None) -> int:
    """End every live session of ``user`` but ``keep``; return how many were ended."""
    now = utcnow()
    statement = (
        sa.update(UserSession)
        .where(
            UserSession.user_id == user.id,
            UserSession.revoked_dt.is_(None),
            UserSession.expires_dt > now,
        )
        .values(revoked_dt=now)
        .execution_options(synchronize_session="fetch")
    )
    if keep is not None:
        statement = statement.where(UserSession.id != keep.id)
    return db.session.execute(statement).rowcount


def prune_sessions(now: datetime | None = None) -> int:
    """Delete the sessions ended or expired more than ENDED_SESSIONS_KEPT ago."""
    cutoff = (now or utcnow()) - ENDED_SESSIONS_KEPT
    statement = sa.delete(UserSession).where(
        sa.or_(UserSession.expires_dt < cutoff, UserSession.revoked_dt < cutoff)
    )
    return db.session.execute(statement.execution_options(synchronize_session=False)).rowcount


def create_user(
    *,
    ward=None,
    province=None,
    username: str,
    display_name: str,
    password: str,
    role: Role,
    unit=None,
    is_active: bool = True,
) -> User:
    """Create a staff account: in ``ward``, or for a city officer in ``province``."""
    username = normalize_username(username)
    if db.session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise ValidationFailed("username taken", field="username")
    user = User(
        ward=ward,
        province=province,
        username=username,
        display_name=display_name.strip(),
        role=role,
        unit=unit,
        is_active=is_active,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user
