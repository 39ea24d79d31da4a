"""The ward's figures over a period, for its staff: tables, charts and their export."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_babel import lazy_gettext as _l

from dialogue.auth.access import role_required
from dialogue.auth.models import Role
from dialogue.core.locale import current_locale
from dialogue.core.scoping import current_ward
from dialogue.documents.downloads import content_disposition
from dialogue.followup.listing import ward_today
from dialogue.stats import charts, export
from dialogue.stats.figures import ward_figures
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


def _period_form(today) -> tuple[PeriodForm, bool]:
    """The period of the query string, and whether it is valid (none given: this year)."""
    form = PeriodForm(formdata=request.args or None, today=today)
    return form, not request.args or form.validate()


def _refused(form: PeriodForm, ward):
    # A bad period is answered as the page answers it: the form and its messages, in place.
    return render_template("stats/index.html", form=form, ward=ward, figures=None), 422


def _download(content: bytes, content_type: str, filename: str) -> Response:
    response = Response(content, content_type=content_type)
    response.headers["Content-Disposition"] = content_disposition(filename)
    # The ward's working figures: no shared cache keeps a copy.
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/")
@role_required(*READERS)
def index():
    ward = current_ward()
    today = ward_today(ward)
    locale = current_locale()
    form, valid = _period_form(today)
    if not valid:
        return _refused(form, ward)
    figures = ward_figures(ward, form.period(), today=today, locale=locale)
    return render_template(
        "stats/index.html",
        form=form,
        ward=ward,
        figures=figures,
        charts=charts.figure_charts(figures, locale),
        rate_labels=DOSSIER_RATE_LABELS,
        period_query=form.query(),
    )


@bp.route("/figures.xlsx")
@role_required(*READERS)
def figures_xlsx():
    return _export(export.figures_xlsx, export.XLSX_MIMETYPE, export.xlsx_filename)


@bp.route("/report.pdf")
@role_required(*READERS)
def report_pdf():
    return _export(export.report_pdf, export.PDF_MIMETYPE, export.report_filename)


def _export(make, mimetype: str, filename_of) -> Response:
    """The period's figures as a file made by ``make``; a bad period is the page, with why."""
    ward = current_ward()
    today = ward_today(ward)
    form, valid = _period_form(today)
    if not valid:
        return _refused(form, ward)
    period = form.period()
    content = make(ward, period, today=today)
    return _download(content, mimetype, filename_of(period, today))
