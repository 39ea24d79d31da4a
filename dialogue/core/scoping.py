"""Ward scoping, decided in this one place: every query for ward data goes through it.

Staff work in their own ward. An administrator can see every ward and chooses the ward
they are working in (kept on their account, so it outlasts the session); lists show that
ward, single records of any ward are reachable. A city officer works in no ward: their
province's figures are read through ``dialogue.city``, never through these.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, g
from flask_login import current_user

from dialogue.extensions import db


def current_ward():
    """Return the ward the signed-in user is working in."""
    from dialogue.wards.models import Ward

    if "current_ward" in g:
        return g.current_ward
    ward = None
    if current_user.is_authenticated and current_user.ward_id is not None:
        ward_id = current_user.ward_id
        if current_user.is_admin and current_user.working_ward_id:
            ward_id = current_user.working_ward_id
        ward = db.session.get(Ward, ward_id)
        if ward is None:
            ward = db.session.get(Ward, current_user.ward_id)
    g.current_ward = ward
    return ward


def set_working_ward(user, ward) -> None:
    """Make ``ward`` the working ward of administrator ``user``, from now on and at every sign-in."""
    user.working_ward_id = ward.id
    db.session.flush()
    g.pop("current_ward", None)


def scoped_select(model, *columns) -> sa.Select:
    """Select rows of ``model`` (or ``columns`` of it) that belong to the working ward."""
    stmt = sa.select(*columns) if columns else sa.select(model)
    return stmt.where(model.ward_id == current_ward().id)


def visible_to_user(obj) -> bool:
    """Tell whether the signed-in user may see ``obj`` at all."""
    if not current_user.is_authenticated or obj is None:
        return False
    if current_user.is_admin:
        return True
    return current_user.ward_id is not None and obj.ward_id == current_user.ward_id


def get_scoped_or_404(model, ident):
    """Load one ward record; another ward's record answers 404, as if it did not exist."""
    return scoped_or_404(db.session.get(model, ident) if ident is not None else None)


def scoped_or_404(obj):
    """``obj``, a ward record loaded by the caller (None: not found); 404 unless the signed-in
    user may see it."""
    if not visible_to_user(obj):
        abort(404)
    return obj
