"""The ward's figures over a period, for its staff: tables, charts and their export."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from dialogue.auth.access import role_required
from dialogue.auth.models import Role
from dialogue.core.locale import current_locale
from dialogue.core.scoping import current_ward
from dialogue.followup.listing import ward_today
from dialogue.stats import charts
from dialogue.stats.figures import WardFigures, ward_figures
from dialogue.stats.forms import PeriodForm

bp = Blueprint("stats", __name__, url_prefix="/stats")

READERS = (Role.ORGANISER, Role.CHAIR, Role.SECRETARY)
# The rates' names as the conference's dossier page writes them.
DOSSIER_RATE_LABELS = {
    "online_share": _l("Online share of new dossiers"),
    "on_time_resolved": _l("Resolved before or on the deadline, of all resolved"),
    "on_time_load": _l("Resolved in time or still within the deadline, of all to handle"),
    "overdue": _l("Resolved late or past the deadline, of all to handle"),
    "early": _l("Resolved early, by the ward's own measure"),
}
# The same, short enough for a chart's axis; the table beside it has the full names.
DOSSIER_CHART_LABELS = {
    "online_share": _l("Received online"),
    "on_time_resolved": _l("In time, of resolved"),
    "on_time_load": _l("In time or within the deadline, of all"),
    "overdue": _l("Late or overdue, of all"),
}


def _charts(figures: WardFigures, locale: str) -> dict[str, charts.Chart]:
    """The main blocks as charts; each block's table is the chart's text equivalent."""
    found = {}
    attendance = figures.attendance
    if attendance.total.present:
        found["groups"] = charts.bars(
            _("Present by residential group"),
            [row.label for row in attendance.by_group],
            [(_("Present"), [row.present for row in attendance.by_group])],
            locale=locale,
        )
        found["categories"] = charts.bars(
            _("Present by delegate category"),
            [row.label for row in attendance.by_category],
            [(_("Present"), [row.present for row in attendance.by_category])],
            locale=locale,
        )
    turns = figures.turns
    if turns.total.total:
        found["areas"] = charts.bars(
            _("Speaking turns by procedure area"),
            [row.label for row in turns.areas],
            [
                (_("Answered on the spot"), [row.answered for row in turns.areas]),
                (_("Referred for a written answer"), [row.referred for row in turns.areas]),
                (_("Waiting for the answer"), [row.pending for row in turns.areas]),
            ],
            stacked=True,
            locale=locale,
        )
    referrals = figures.referrals
    if referrals.total:
        rows = referrals.rows()
        found["referrals"] = charts.bars(
            _("Referred questions as they stand"),
            [str(outcome.title) for outcome, _count, _share in rows],
            [(_("Referred questions"), [count for _outcome, count, _share in rows])],
            locale=locale,
        )
    dossiers = figures.dossiers
    if dossiers.current.reports or dossiers.previous.reports:
        names = ("online_share", "on_time_resolved", "on_time_load", "overdue")
        found["dossiers"] = charts.rates(
            _("Dossier rates, this period and the one before"),
            [str(DOSSIER_CHART_LABELS[name]) for name in names],
            [
                (figures.period.label, [getattr(dossiers.current.rates, n) for n in names]),
                (
                    dossiers.previous_period.label,
                    [getattr(dossiers.previous.rates, n) for n in names],
                ),
            ],
            locale=locale,
        )
    if figures.survey.responses:
        found["survey"] = charts.rates(
            _("Satisfaction by element of the survey"),
            [str(element.title) for element, _result in figures.survey.elements]
            + [_("All five elements")],
            [
                (
                    _("Satisfied"),
                    [result.rate for _element, result in figures.survey.elements]
                    + [figures.survey.overall.rate],
                )
            ],
            locale=locale,
        )
    return found


@bp.route("/")
@role_required(*READERS)
def index():
    ward = current_ward()
    today = ward_today(ward)
    locale = current_locale()
    form = PeriodForm(formdata=request.args or None, today=today)
    if request.args and not form.validate():
        return render_template("stats/index.html", form=form, ward=ward, figures=None), 422
    figures = ward_figures(ward, form.period(), today=today, locale=locale)
    return render_template(
        "stats/index.html",
        form=form,
        ward=ward,
        figures=figures,
        charts=_charts(figures, locale),
        rate_labels=DOSSIER_RATE_LABELS,
    )
