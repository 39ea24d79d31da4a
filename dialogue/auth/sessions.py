"""The server-side session behind each signed-in browser, as the web layer keeps it.

The Flask session and the "keep me signed in" cookie carry the session's secret token, never
anything of the account: signing out ends the session on the server, so a copy of either
cookie signs nobody in afterwards. Every ``login_user`` goes through :func:`_start_session`,
which opens (or renews) the session and stores its token where Flask-Login keeps the user's id.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import g, request, session
from flask_login import user_logged_in

from dialogue.auth import operations
from dialogue.auth.devices import describe_device
from dialogue.auth.models import User, UserSession
from dialogue.core.database import begin_writing
from dialogue.core.db import utcnow
from dialogue.extensions import db

log = logging.getLogger(__name__)

# Where Flask-Login keeps what its user loader is given, and how it asks for the remember cookie.
USER_ID_KEY = "_user_id"
REMEMBER_KEY = "_remember"
REMEMBER_SECONDS_KEY = "_remember_seconds"


def current_session() -> UserSession | None:
    """The session this request is signed in with, if any."""
    return g.get("user_session")


def load_user(token: str) -> User | None:
    """Flask-Login's user loader: the account of the live session ``token`` names, or None.

    One indexed query. Every few minutes the session's last activity is written as well, in a
    transaction of its own that holds nothing else, so a page that only reads stays so.
    """
    holds_nothing = not db.session().in_transaction() and not (
        db.session.new or db.session.dirty or db.session.deleted
    )
    user_session = operations.find_live_session(token)
    if user_session is None:
        return None
    user = user_session.user
    g.user_session = user_session
    if holds_nothing and operations.is_due_for_activity(user_session):
        _record_activity(user_session)
    return user


def _record_activity(user_session: UserSession) -> None:
    session_id = user_session.id
    # The loader's read ends first, holding nothing else: on SQLite a transaction that has
    # read cannot write once another connection has written.
    db.session.commit()
    try:
        operations.record_activity(session_id, address=request.remote_addr or "")
        db.session.commit()
    except sa.exc.OperationalError:
        # The database is too busy to wait for: the activity is written on a later request.
        db.session.rollback()
        log.warning("session %s: last activity not written this time", session_id)
        return
    # On SQLite a request that writes takes the write lock again for what it does next.
    begin_writing()


def _start_session(sender, user: User, **extra) -> None:
    """Open the server-side session of a sign-in and hand its token to Flask-Login.

    Committed at once: the cookie about to be sent must name a stored session. Signing the
    same account in again in this browser (after a new password) renews its session instead.
    """
    previous = g.pop("user_session", None)
    if previous is not None and previous.user_id == user.id:
        user_session, token = previous, operations.renew_session(previous)
        if previous.is_remembered:
            # The remember cookie carries the old token: send it again, ending when the session does.
            session[REMEMBER_KEY] = "set"
            remaining = previous.expires_dt - utcnow()
            session[REMEMBER_SECONDS_KEY] = max(int(remaining.total_seconds()), 0)
    else:
        if previous is not None:
            operations.end_session(previous)
        user_session, token = operations.start_session(
            user,
            remember=session.get(REMEMBER_KEY) == "set",
            device=describe_device(request.user_agent.string),
            address=request.remote_addr or "",
        )
    db.session.commit()
    session[USER_ID_KEY] = token
    g.user_session = user_session


def end_current_session() -> None:
    """End this request's session on the server (the view signs the browser out)."""
    user_session = current_session()
    if user_session is not None:
        operations.end_session(user_session)
        db.session.commit()
        g.pop("user_session", None)


user_logged_in.connect(_start_session)
