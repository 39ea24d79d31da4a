"""Conferences: the list and one conference's page. Planning pages come with the workflow."""

from flask import Blueprint, render_template, request

from dialogue.auth.access import login_required
from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.core.scoping import get_scoped_or_404, scoped_select
from dialogue.extensions import db

bp = Blueprint("conferences", __name__, url_prefix="/conferences")


@bp.route("/")
@login_required
def index():
    status = request.args.get("status", "")
    stmt = scoped_select(Conference).order_by(Conference.start_dt.desc())
    if status in {s.value for s in ConferenceStatus}:
        stmt = stmt.where(Conference.status == ConferenceStatus(status))
    page = db.paginate(stmt, per_page=25, error_out=False)
    return render_template(
        "conferences/index.html", page=page, statuses=list(ConferenceStatus), status=status
    )


@bp.route("/<int:conference_id>")
@login_required
def detail(conference_id: int):
    conference = get_scoped_or_404(Conference, conference_id)
    return render_template("conferences/detail.html", conference=conference)
