"""Signing in and out, and changing one's password.

Failed sign-ins are limited twice, as well-kept login systems do: per username, tightly, so
that nobody guesses one account's password from anywhere; and per address, loosely, so that
the desks of one hall (one address for all) never lock each other out while a run over many
usernames from one address is still stopped. A successful sign-in counts against neither.
"""

import math
import time

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user

from dialogue.auth import operations, sessions
from dialogue.auth.access import account_required, public
from dialogue.auth.forms import ChangePasswordForm, EndSessionForm, LoginForm
from dialogue.core.urls import is_safe_next
from dialogue.extensions import db, limiter

bp = Blueprint("auth", __name__, url_prefix="/auth")


ACCOUNT_KEY_PREFIX = "account:"


def _address_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def _account_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN_ACCOUNT"]


def _account_key() -> str:
    """The account tried, as it is found; empty (so not counted) when no username was typed."""
    username = operations.normalize_username(request.form.get("username", ""))[:60]
    return f"{ACCOUNT_KEY_PREFIX}{username}" if username else ""


def _sign_in_failed(response) -> bool:
    return g.get("sign_in_failed", False)


def _limit_message() -> str:
    """Say which limit stopped the attempt and how long to wait, in whole minutes."""
    breached = limiter.current_limit
    minutes = 1
    if breached is not None:
        minutes = max(1, math.ceil((breached.window.reset_time - time.time()) / 60))
    if breached is not None and any(
        str(arg).startswith(ACCOUNT_KEY_PREFIX) for arg in breached.request_args
    ):
        return ngettext(
            "Too many wrong passwords for this username. Wait %(num)s minute, then try again, "
            "or ask an administrator to set a new password.",
            "Too many wrong passwords for this username. Wait %(num)s minutes, then try again, "
            "or ask an administrator to set a new password.",
            minutes,
        )
    return ngettext(
        "Too many failed sign-ins from this connection. Wait %(num)s minute, then try again.",
        "Too many failed sign-ins from this connection. Wait %(num)s minutes, then try again.",
        minutes,
    )


def _render_login(form: LoginForm, status: int = 200):
    return render_template("auth/login.html", form=form), status


@bp.before_request
def _prepare_rate_limit_message():
    if request.endpoint == "auth.login":

        def handler(message):
            form = LoginForm()
            form.password.data = ""
            form.form_errors.append(_limit_message())
            return _render_login(form, 429)

        g.rate_limit_handler = handler


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_address_limit, methods=["POST"], deduct_when=_sign_in_failed)
@limiter.limit(_account_limit, key_func=_account_key, methods=["POST"], deduct_when=_sign_in_failed)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = operations.authenticate(form.username.data, form.password.data)
        if user is None:
            g.sign_in_failed = True
            form.form_errors.append(_("The username or the password is wrong."))
            return _render_login(form)
        operations.record_sign_in(user)
        # Opens the server-side session and commits it with the sign-in (dialogue.auth.sessions).
        login_user(user, remember=form.remember.data)
        target = form.next.data
        return redirect(target if is_safe_next(target) else url_for("main.index"))
    return _render_login(form)


@bp.route("/logout", methods=["POST"])
@account_required
def logout():
    sessions.end_current_session()
    logout_user()
    flash(_("You have signed out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@account_required
def change_password():
    form = ChangePasswordForm(user=current_user)
    if form.validate_on_submit():
        operations.change_password(
            current_user, form.new_password.data, keep=sessions.current_session()
        )
        db.session.commit()
        flash(_("Your password has been changed. Other devices have been signed out."), "success")
        return redirect(url_for("main.index"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/sessions")
@account_required
def list_sessions():
    current = sessions.current_session()
    live = operations.live_sessions(current_user)
    # This browser first, then the latest used.
    live.sort(key=lambda user_session: user_session is not current)
    return render_template(
        "auth/sessions.html",
        sessions=live,
        current=current,
    )


@bp.route("/sessions/end", methods=["POST"])
@account_required
def end_session():
    form = EndSessionForm()
    user_session = None
    if form.validate_on_submit():
        user_session = operations.get_live_session(current_user, form.session_id.data)
    if user_session is None:
        flash(_("That session has already ended."), "info")
        return redirect(url_for(".list_sessions"))
    if user_session is sessions.current_session():
        return logout()
    operations.end_session(user_session)
    db.session.commit()
    flash(_("That device has been signed out."), "success")
    return redirect(url_for(".list_sessions"))


@bp.route("/sessions/end-others", methods=["POST"])
@account_required
def end_other_sessions():
    ended = operations.end_sessions(current_user, keep=sessions.current_session())
    db.session.commit()
    flash(_("Other devices signed out: %(num)s.", num=ended), "success")
    return redirect(url_for(".list_sessions"))
