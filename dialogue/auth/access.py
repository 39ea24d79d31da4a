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

ALL_STAFF = frozenset(Role)


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
    """Any signed-in staff member."""
    wrapped = _flask_login_required(view)
    wrapped.access = ALL_STAFF
    return wrapped


admin_required = role_required(Role.ADMINISTRATOR)
