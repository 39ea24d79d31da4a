"""Staff accounts as the administrator manages them."""

from __future__ import annotations

import re
import secrets

import sqlalchemy as sa
from flask_babel import gettext as _

from dialogue.auth import operations as auth_operations
from dialogue.auth.models import Role, User
from dialogue.city.models import Province
from dialogue.errors import PermissionDenied, ValidationFailed
from dialogue.extensions import db
from dialogue.wards.models import Unit, Ward

USERNAME_PATTERN = re.compile(r"^[a-z0-9._-]+$")


def _check_unit(ward_id: int | None, unit: Unit | None) -> None:
    if unit is not None and unit.ward_id != ward_id:
        raise ValidationFailed(_("Choose a unit of the account's ward."), field="unit_id")


def _check_place(role: Role, ward: Ward | None, province: Province | None) -> None:
    """A city officer belongs to a province and no ward; everyone else to a ward."""
    if role.is_ward_staff and ward is None:
        raise ValidationFailed(_("Choose the account's ward."), field="ward_id")
    if not role.is_ward_staff and province is None:
        raise ValidationFailed(
            _("Choose the province of a city or province officer."), field="province_id"
        )


def create_account(
    *,
    ward: Ward | None,
    province: Province | None = None,
    username: str,
    display_name: str,
    password: str,
    role: Role,
    unit: Unit | None = None,
    extra_units: list[Unit] | None = None,
    email: str = "",
) -> User:
    """Create a staff account in ``ward``, or a city officer's account for ``province``."""
    username = auth_operations.normalize_username(username)
    if not USERNAME_PATTERN.fullmatch(username):
        raise ValidationFailed(
            _("Use only letters without accents, digits, dots, dashes and underscores."),
            field="username",
        )
    if db.session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise ValidationFailed(
            _("The username %(username)s is taken. Choose another.", username=username),
            field="username",
        )
    _check_place(role, ward, province)
    if not role.is_ward_staff:
        ward, unit, extra_units = None, None, []
    else:
        province = None
    ward_id = ward.id if ward is not None else None
    _check_unit(ward_id, unit)
    for extra in extra_units or []:
        _check_unit(ward_id, extra)
    user = auth_operations.create_user(
        ward=ward,
        province=province,
        username=username,
        display_name=display_name,
        password=password,
        role=role,
        unit=unit,
    )
    user.email = email.strip()
    user.extra_units = [extra for extra in extra_units or [] if extra != unit]
    db.session.flush()
    return user


def sign_out_everywhere(user: User) -> None:
    """End every session of ``user``: recorded as ended, and carrying the old login token."""
    auth_operations.end_sessions(user)
    user.login_token = secrets.token_urlsafe(24)


def update_account(
    user: User,
    *,
    actor: User,
    display_name: str,
    role: Role,
    unit: Unit | None,
    is_active: bool,
    extra_units: list[Unit] | None = None,
    email: str | None = None,
    province: Province | None = None,
) -> None:
    """Change an account; deactivating it signs it out everywhere.

    An administrator cannot lock themselves out: neither deactivate their own account
    nor give up their own administrator role. A ward's account stays in its ward and a city
    officer's in a province (the role does not cross): for the other, make a new account.
    """
    if role.is_ward_staff != user.role.is_ward_staff:
        raise ValidationFailed(
            _("A ward's account cannot become a city officer's, nor the other way round."),
            field="role",
        )
    if not role.is_ward_staff:
        _check_place(role, None, province)
        user.province = province
        unit, extra_units = None, []
    if user.id == actor.id:
        if not is_active:
            raise PermissionDenied(_("You cannot deactivate your own account."), field="is_active")
        if user.is_admin and role is not Role.ADMINISTRATOR:
            raise PermissionDenied(
                _("You cannot remove your own administrator role. Ask another administrator."),
                field="role",
            )
    _check_unit(user.ward_id, unit)
    was_active = user.is_active
    user.display_name = display_name.strip()
    user.role = role
    user.unit = unit
    if extra_units is not None:
        for extra in extra_units:
            _check_unit(user.ward_id, extra)
        user.extra_units = [extra for extra in extra_units if extra != unit]
    if email is not None:
        user.email = email.strip()
    user.is_active = is_active
    if was_active and not is_active:
        sign_out_everywhere(user)
    db.session.flush()


def reset_password(user: User, new_password: str) -> None:
    """Set a new password chosen by an administrator; the account is signed out everywhere."""
    user.set_password(new_password)
    db.session.flush()
