"""The guides of each staff role and the accessibility statement: content, open to everyone.

The texts live in ``templates/help/`` (English message ids, Vietnamese in the catalogue); the
views only choose the page. The guides are public: they hold nothing that is not on the
screens they describe, and a new official can read them before having an account.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template

from dialogue.auth.access import public
from dialogue.auth.models import Role
from dialogue.extensions import db
from dialogue.wards.models import Ward

bp = Blueprint("help", __name__)

# One plain address per guide; the endpoint is the role's value ("help.secretary").
GUIDE_PATHS = {
    Role.ADMINISTRATOR: "/huong-dan/quan-tri",
    Role.ORGANISER: "/huong-dan/can-bo-to-chuc",
    Role.SECRETARY: "/huong-dan/thu-ky",
    Role.CHAIR: "/huong-dan/chu-toa",
    Role.RESPONDER: "/huong-dan/don-vi-tra-loi",
    Role.CITY: "/huong-dan/can-bo-cap-tinh",
}


@bp.app_template_global()
def guide_endpoint(role: Role) -> str:
    """The endpoint of ``role``'s guide, for ``url_for``."""
    return f"help.{role.value}"


@bp.route("/huong-dan/")
@public
def index():
    return render_template("help/index.html", roles=list(GUIDE_PATHS))


def _guide(role: Role):
    @public
    def view():
        return render_template(f"help/{role.value}.html", role=role, roles=list(GUIDE_PATHS))

    view.__name__ = role.value
    view.__doc__ = f"The guide of the {role.value}."
    return view


for _role, _path in GUIDE_PATHS.items():
    bp.add_url_rule(_path, endpoint=_role.value, view_func=_guide(_role))


@bp.route("/kha-nang-tiep-can")
@public
def accessibility():
    # Problems are reported to the ward's People's Committee: each active ward with its office.
    wards = db.session.scalars(sa.select(Ward).where(Ward.is_active).order_by(Ward.name)).all()
    return render_template("help/accessibility.html", wards=wards)
