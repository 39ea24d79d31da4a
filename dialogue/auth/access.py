"""Route-level authorisation: who may call a view at all."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from dialogue.auth.models import Role


def role_required(*roles: Role) -> Callable:
    """Let in signed-in users holding one of ``roles``; administrators hold them all."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = frozenset(roles)
        return wrapped

    return decorator


admin_required = role_required(Role.ADMINISTRATOR)
