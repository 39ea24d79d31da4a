"""The city's view: its wards compared, one ward's figures, and the provinces' administration.

City officers read, and only the wards of their own province; an administrator reads any
province's and keeps the provinces and their wards.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from dialogue.archive import pagecache
from dialogue.auth.access import admin_required, role_required
from dialogue.auth.models import Role
from dialogue.city import charts, operations
from dialogue.city.comparison import MEASURES, Comparison, compare_wards
from dialogue.city.forms import CompareForm, ProvinceForm, ProvinceWardsForm
from dialogue.city.models import Province
from dialogue.core.dates import to_local
from dialogue.core.db import utcnow
from dialogue.core.forms import show_error
from dialogue.core.locale import current_locale
from dialogue.core.scoping import current_ward
from dialogue.dossier.figures import format_count, format_rate
from dialogue.errors import DialogueError
from dialogue.extensions import db
from dialogue.followup.listing import ward_today
from dialogue.stats.charts import figure_charts
from dialogue.stats.figures import ward_figures
from dialogue.stats.forms import PeriodForm
from dialogue.stats.views import DOSSIER_RATE_LABELS
from dialogue.wards.models import Ward

bp = Blueprint("city", __name__, url_prefix="/city")
KEPT_SECONDS = 300


def _provinces() -> list[Province]:
    return list(db.session.scalars(sa.select(Province).order_by(Province.name)))


def _province_for_reader() -> Province | None:
    """The officer's own province; for an administrator, the one asked for or the working
    ward's (the first one when that has none)."""
    if current_user.is_city_officer:
        return current_user.province
    province_id = request.args.get("province", type=int)
    if province_id is not None:
        return db.get_or_404(Province, province_id)
    ward = current_ward()
    if ward is not None and ward.province_record is not None:
        return ward.province_record
    return db.session.scalar(sa.select(Province).order_by(Province.name).limit(1))


def _active_wards(province: Province) -> list[Ward]:
    return list(
        db.session.scalars(
            sa.select(Ward)
            .where(Ward.province_id == province.id, Ward.is_active)
            .order_by(Ward.name, Ward.id)
        )
    )


def get_ward_for_reader_or_404(ward_id: int) -> Ward:
    """A ward of the reader's province; any other (or none) answers 404."""
    ward = db.session.get(Ward, ward_id)
    if ward is None:
        abort(404)
    if current_user.is_city_officer and ward.province_id != current_user.province_id:
        abort(404)
    return ward


def _province_today(wards: list[Ward]) -> date:
    """Today on the province's calendar: its wards' (one time zone in practice)."""
    if wards:
        return ward_today(wards[0])
    return to_local(utcnow(), current_app.config["BABEL_DEFAULT_TIMEZONE"]).date()


def _sort_urls(province: Province) -> dict[str, str]:
    """The comparison ranked by each measure, for the same period."""
    arguments = request.args.to_dict()
    if current_user.is_admin:
        arguments["province"] = str(province.id)
    return {
        measure.key: url_for(".index", **{**arguments, "measure": measure.key}) + "#comparison"
        for measure in MEASURES
    }


@bp.route("/")
@role_required(Role.CITY)
def index():
    province = _province_for_reader()
    if province is None:
        return render_template("city/index.html", province=None, form=None, comparison=None)
    wards = _active_wards(province)
    form = CompareForm(formdata=request.args or None, today=_province_today(wards))
    context = {
        "province": province,
        "provinces": _provinces() if current_user.is_admin else [],
        "form": form,
        "measures": MEASURES,
        "sort_urls": _sort_urls(province),
        # A ward's page is read for the same period.
        "period_args": {
            key: value for key, value in request.args.items() if key not in ("measure", "province")
        },
    }
    if request.args and not form.validate():
        return render_template("city/index.html", comparison=None, **context), 422
    # A province's comparison reads every turn, attendee and answer of the period (for a city,
    # hundreds of thousands of rows): it is counted at most once in each five minutes of the
    # clock for each reader and query, and the page says when.
    now = utcnow()
    locale = current_locale()
    key = ("city", province.id, request.query_string, locale)
    stamp = (int(now.timestamp()) // KEPT_SECONDS,)
    kept = pagecache.kept_own_page(key, stamp)
    if kept is not None:
        return Response(kept, mimetype="text/html")
    comparison = compare_wards(wards, form.period(), measure=form.measure.data, now=now)
    rows, totals = _cells(comparison, locale)
    html = render_template(
        "city/index.html",
        comparison=comparison,
        rows=rows,
        totals=totals,
        chart=charts.ranking(comparison, locale),
        counted_at=to_local(now, wards[0].timezone if wards else "Asia/Ho_Chi_Minh"),
        kept_minutes=KEPT_SECONDS // 60,
        **context,
    )
    return Response(pagecache.keep_own_page(key, stamp, html), mimetype="text/html")


def _cells(comparison: Comparison, locale) -> tuple[list, list]:
    """Each line's cells, written: (is the ranking's measure, text) per measure, and the total.

    A province's table has over a thousand cells and the same few values recur: each value
    is written once (by the figures' own formatters), not once per cell.
    """
    written: dict[tuple[bool, object], str] = {}

    def cells(line) -> list[tuple[bool, str]]:
        found = []
        for measure in MEASURES:
            value = line.value(measure.key)
            key = (measure.is_rate, value)
            if key not in written:
                writer = format_rate if measure.is_rate else format_count
                written[key] = writer(value, locale)
            found.append((measure.key == comparison.measure.key, written[key]))
        return found

    return [(line, cells(line)) for line in comparison.lines], cells(comparison.total)


@bp.route("/wards/<int:ward_id>")
@role_required(Role.CITY)
def ward(ward_id: int):
    ward = get_ward_for_reader_or_404(ward_id)
    today = ward_today(ward)
    locale = current_locale()
    form = PeriodForm(formdata=request.args or None, today=today)
    if request.args and not form.validate():
        return render_template("city/ward.html", form=form, ward=ward, figures=None), 422
    figures = ward_figures(ward, form.period(), today=today, locale=locale)
    return render_template(
        "city/ward.html",
        form=form,
        ward=ward,
        figures=figures,
        charts=figure_charts(figures, locale),
        rate_labels=DOSSIER_RATE_LABELS,
    )


# The administrator's pages ------------------------------------------------------------------


@bp.route("/provinces", methods=["GET", "POST"])
@admin_required
def provinces():
    form = ProvinceForm()
    if form.validate_on_submit():
        try:
            province = operations.create_province(form.name.data)
        except DialogueError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Province %(name)s created.", name=province.name), "success")
            return redirect(url_for(".edit_province", province_id=province.id))
    rows = db.session.scalars(
        sa.select(Province).options(selectinload(Province.wards)).order_by(Province.name)
    ).all()
    unassigned = db.session.scalar(
        sa.select(sa.func.count(Ward.id)).where(Ward.province_id.is_(None))
    )
    return render_template("city/provinces.html", provinces=rows, form=form, unassigned=unassigned)


@bp.route("/provinces/<int:province_id>", methods=["GET", "POST"])
@admin_required
def edit_province(province_id: int):
    province = db.get_or_404(Province, province_id)
    wards = db.session.scalars(
        sa.select(Ward).options(selectinload(Ward.province_record)).order_by(Ward.name, Ward.id)
    ).all()
    form = ProvinceWardsForm(province=province, wards=wards)
    if form.validate_on_submit():
        chosen = [ward for ward in wards if ward.id in set(form.ward_ids.data or [])]
        try:
            operations.rename_province(province, form.name.data)
            joined, left = operations.set_province_wards(province, chosen)
        except DialogueError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(
                _(
                    "Province %(name)s saved. Wards added: %(joined)s; removed: %(left)s.",
                    name=province.name,
                    joined=joined,
                    left=left,
                ),
                "success",
            )
            return redirect(url_for(".provinces"))
    return render_template("city/edit_province.html", form=form, province=province)
