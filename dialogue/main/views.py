"""The public home, the staff overview, language choice, the working ward, the health check."""

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from dialogue.auth.access import account_required, admin_required, public
from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.core.scoping import (
    current_ward,
    get_scoped_or_404,
    scoped_select,
    set_working_ward,
)
from dialogue.core.urls import is_safe_next
from dialogue.extensions import db
from dialogue.main import health
from dialogue.main.navigation import navigation_for, staff_menu
from dialogue.main.waiting import waiting_items
from dialogue.public import operations as public_operations
from dialogue.wards.models import Ward
from dialogue.web import LOCALE_KEY

bp = Blueprint("main", __name__)


@bp.app_context_processor
def _navigation():
    return {"navigation_for": navigation_for, "staff_menu": staff_menu}


@bp.route("/")
@public
def home():
    # The same page for every visitor (a GET search, no per-visitor token, no cookie), so
    # that it may be kept by any cache; signed-in staff find their overview in the menu.
    query = request.args.get("q", "").strip()[: public_operations.WARD_QUERY_MAX_CHARS]
    page = public_operations.find_wards(query, page=request.args.get("page", 1, type=int))
    return render_template(
        "main/home.html",
        query=query,
        page=page,
        coming=public_operations.next_conferences([ward.id for ward in page.items]),
    )


@bp.route("/overview")
@account_required
def index():
    if current_user.is_city_officer:
        # A city officer's overview is the comparison of the province's wards.
        return redirect(url_for("city.index"))
    conferences = db.session.scalars(
        scoped_select(Conference)
        .where(Conference.status != ConferenceStatus.CANCELLED)
        .order_by(Conference.start_dt.desc())
        .limit(10)
    ).all()
    return render_template(
        "main/index.html",
        waiting=waiting_items(current_user, current_ward()),
        conferences=conferences,
        publications=_publication_deadlines(),
    )


def _publication_deadlines() -> list:
    """The closed or published conferences of the ward, with their publication deadline."""
    from dialogue.minutes.operations import publication_deadlines

    recent = db.session.scalars(
        scoped_select(Conference)
        .where(Conference.status.in_([ConferenceStatus.CLOSED, ConferenceStatus.PUBLISHED]))
        .order_by(Conference.start_dt.desc())
        .limit(10)
    ).all()
    deadlines = publication_deadlines(recent)
    return [(conference, deadlines[conference.id]) for conference in recent]


@bp.route("/locale")
@public
def set_locale():
    # A GET: choosing a language is a preference, nothing a forged link could abuse; it keeps
    # the pages free of a per-visitor CSRF token, so public pages are the same for everyone.
    locale = request.args.get("locale", "")
    if locale in current_app.config["DIALOGUE_LOCALES"]:
        session[LOCALE_KEY] = locale
    target = request.args.get("next", "")
    return redirect(target if is_safe_next(target) else url_for("main.home"))


@bp.route("/working-ward", methods=["POST"])
@admin_required
def set_ward():
    ward_id = request.form.get("ward_id", type=int)
    if ward_id is None:
        abort(400)
    ward = get_scoped_or_404(Ward, ward_id)
    set_working_ward(current_user, ward)
    db.session.commit()
    target = request.form.get("next", "")
    return redirect(target if is_safe_next(target) else url_for("main.index"))


@bp.route("/healthz/live")
@public
def liveness():
    """The process answers: nothing is read, so a database outage does not restart workers."""
    return jsonify(status="ok")


@bp.route("/healthz")
@bp.route("/healthz/ready")
@public
def healthz():
    """Readiness: each dependency's state; 503 only when a required one (the database) is down."""
    state = health.readiness()
    return jsonify(state.as_json()), 200 if state.is_ready else 503


@bp.app_template_global()
def admin_wards():
    if not (current_user.is_authenticated and current_user.is_admin):
        return []
    return db.session.scalars(sa.select(Ward).order_by(Ward.name)).all()
