"""Signing in and out, and changing one's password."""

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from dialogue.auth import operations
from dialogue.auth.access import login_required, public
from dialogue.auth.forms import ChangePasswordForm, LoginForm
from dialogue.core.urls import is_safe_next
from dialogue.extensions import db, limiter

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def _render_login(form: LoginForm, status: int = 200):
    return render_template("auth/login.html", form=form), status


@bp.before_request
def _prepare_rate_limit_message():
    if request.endpoint == "auth.login":

        def handler(message):
            form = LoginForm()
            form.password.data = ""
            form.form_errors.append(message)
            return _render_login(form, 429)

        g.rate_limit_handler = handler


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = operations.authenticate(form.username.data, form.password.data)
        if user is None:
            form.form_errors.append(_("The username or the password is wrong."))
            return _render_login(form)
        login_user(user, remember=form.remember.data)
        operations.record_sign_in(user)
        db.session.commit()
        target = form.next.data
        return redirect(target if is_safe_next(target) else url_for("main.index"))
    return _render_login(form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash(_("You have signed out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm(user=current_user)
    if form.validate_on_submit():
        operations.change_password(current_user, form.new_password.data)
        db.session.commit()
        # The new login token signed every session out: sign this one in again.
        login_user(current_user._get_current_object())
        flash(_("Your password has been changed. Other devices have been signed out."), "success")
        return redirect(url_for("main.index"))
    return render_template("auth/change_password.html", form=form)
