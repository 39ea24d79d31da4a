"""The administrator's pages for staff accounts."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from sqlalchemy.orm import selectinload

from dialogue.accounts import operations
from dialogue.accounts.forms import CreateAccountForm, EditAccountForm, ResetPasswordForm
from dialogue.auth.access import admin_required
from dialogue.auth.models import Role, User
from dialogue.city.models import Province
from dialogue.core.forms import show_error
from dialogue.core.scoping import current_ward, get_scoped_or_404, scoped_select
from dialogue.errors import DialogueError
from dialogue.extensions import db
from dialogue.wards.models import Unit, Ward

bp = Blueprint("accounts", __name__, url_prefix="/admin/accounts")


def _chosen_unit(form) -> Unit | None:
    return get_scoped_or_404(Unit, form.unit_id.data) if form.unit_id.data else None


def _chosen_province(form) -> Province | None:
    return db.get_or_404(Province, form.province_id.data) if form.province_id.data else None


def _provinces() -> list[Province]:
    return list(db.session.scalars(sa.select(Province).order_by(Province.name)))


def _extra_units(form) -> list[Unit]:
    ids = [unit_id for unit_id in form.extra_unit_ids.data or [] if unit_id]
    return list(db.session.scalars(sa.select(Unit).where(Unit.id.in_(ids)))) if ids else []


@bp.route("")
@admin_required
def index():
    users = db.session.scalars(
        scoped_select(User)
        .options(selectinload(User.unit))
        .order_by(User.is_active.desc(), User.username)
    ).all()
    # City officers belong to no ward: listed apart, with their province.
    city_users = db.session.scalars(
        sa.select(User)
        .where(User.role == Role.CITY)
        .options(selectinload(User.province))
        .order_by(User.is_active.desc(), User.username)
    ).all()
    return render_template("accounts/index.html", users=users, city_users=city_users)


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def create():
    working_ward = current_ward()
    wards = db.session.scalars(
        sa.select(Ward)
        .where(sa.or_(Ward.is_active, Ward.id == working_ward.id))
        .order_by(Ward.name)
    ).all()
    form = CreateAccountForm(wards=wards, default_ward=working_ward, provinces=_provinces())
    if form.show_units.data:
        # The administrator chose another ward: offer its units, keep everything typed.
        return render_template("accounts/create.html", form=form)
    if form.validate_on_submit():
        try:
            user = operations.create_account(
                ward=form.chosen_ward,
                province=_chosen_province(form),
                username=form.username.data,
                display_name=form.display_name.data,
                password=form.password.data,
                role=form.role.data,
                unit=_chosen_unit(form),
                extra_units=_extra_units(form),
                email=form.email.data or "",
            )
        except DialogueError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Account %(username)s created.", username=user.username), "success")
            return redirect(url_for(".index"))
    return render_template("accounts/create.html", form=form)


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@admin_required
def edit(user_id: int):
    user = get_scoped_or_404(User, user_id)
    form = EditAccountForm(user=user, provinces=_provinces())
    if form.validate_on_submit():
        was_active = user.is_active
        try:
            operations.update_account(
                user,
                actor=current_user,
                display_name=form.display_name.data,
                role=form.role.data,
                unit=_chosen_unit(form),
                is_active=form.is_active.data,
                extra_units=_extra_units(form),
                email=form.email.data or "",
                province=_chosen_province(form),
            )
        except DialogueError as error:
            show_error(form, error)
        else:
            db.session.commit()
            if was_active and not user.is_active:
                message = _(
                    "Account %(username)s deactivated and signed out on every device.",
                    username=user.username,
                )
            else:
                message = _("Account %(username)s saved.", username=user.username)
            flash(message, "success")
            return redirect(url_for(".index"))
    return render_template("accounts/edit.html", form=form, user=user)


@bp.route("/<int:user_id>/password", methods=["GET", "POST"])
@admin_required
def reset_password(user_id: int):
    user = get_scoped_or_404(User, user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        operations.reset_password(user, form.password.data)
        db.session.commit()
        if user.id == current_user.id:
            # The new login token signed this session out too: sign it in again.
            login_user(user)
        flash(
            _(
                "New password set for %(username)s; the account was signed out on every device.",
                username=user.username,
            ),
            "success",
        )
        return redirect(url_for(".edit", user_id=user.id))
    return render_template("accounts/reset_password.html", form=form, user=user)
