"""Route-level authorisation: who may call a view at all.

Every view declares its audience with one of these decorators; the access-matrix test reads
the declaration (``view.access``) and checks every route against every role.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user
from flask_login import login_required as _flask_login_required

from dialogue.auth.models import Role

# Every account; the staff of a ward are all but the city officers, who read the province's
# figures and no ward's pages.
ALL_ACCOUNTS = frozenset(Role)
ALL_STAFF = frozenset(role for role in Role if role.is_ward_staff)


def public(view: Callable) -> Callable:
    """Open to everyone, residents included."""
    view.access = None
    return view


def role_required(*roles: Role) -> Callable:
    """Let in signed-in users holding one of ``roles``; administrators hold them all."""
    allowed = frozenset(roles) | {Role.ADMINISTRATOR}

    def decorator(view):
        @wraps(view)
        @_flask_login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.access = allowed
        return wrapped

    return decorator


def login_required(view: Callable) -> Callable:
    """Any signed-in member of a ward's staff (an administrator included)."""

    @wraps(view)
    @_flask_login_required
    def wrapped(*args, **kwargs):
        if not current_user.role.is_ward_staff:
            abort(403)
        return view(*args, **kwargs)

    wrapped.access = ALL_STAFF
    return wrapped


def account_required(view: Callable) -> Callable:
    """Any signed-in account, a city officer's included: one's password, signing out."""
    wrapped = _flask_login_required(view)
    wrapped.access = ALL_ACCOUNTS
    return wrapped


admin_required = role_required(Role.ADMINISTRATOR)
