"""Signing in and password changes."""

from __future__ import annotations

import sqlalchemy as sa

from dialogue.auth.models import Role, User, dummy_password_check
from dialogue.core.db import utcnow
from dialogue.errors import ValidationFailed
from dialogue.extensions import db


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


def change_password(user: User, new_password: str) -> None:
    """Set a new password; every other session of the account is signed out."""
    user.set_password(new_password)
    db.session.flush()


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
