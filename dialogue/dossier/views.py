"""The dossier figures of a conference: read them, enter the totals, break them down."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from dialogue.auth.access import login_required, role_required
from dialogue.auth.models import Role
from dialogue.conferences.models import Conference
from dialogue.core.forms import show_error
from dialogue.core.locale import current_locale
from dialogue.core.scoping import get_scoped_or_404
from dialogue.dossier import operations
from dialogue.dossier.figures import figures_for, figures_of, format_count, format_rate
from dialogue.dossier.forms import DossierLineForm, DossierReportForm
from dialogue.dossier.models import DossierLine
from dialogue.errors import DialogueError
from dialogue.extensions import db
from dialogue.followup.carryover import earlier_referrals

bp = Blueprint("dossier", __name__)


@bp.app_template_global("dossier_figures")
def dossier_figures(conference):
    """The figures of ``conference`` for its page's panel, or None."""
    return figures_for(conference)


@bp.app_template_global("carried_referrals")
def carried_referrals(conference):
    """The earlier conferences' referrals ``conference`` reports, for the report's panel."""
    return earlier_referrals(conference)


bp.add_app_template_filter(format_count, "figure_count")
bp.add_app_template_filter(format_rate, "figure_rate")


@bp.app_template_global("can_edit_dossier")
def _can_edit(conference: Conference) -> bool:
    return (
        current_user.is_authenticated
        and current_user.has_role(Role.ORGANISER)
        and operations.figures_editable(conference)
    )


def _frozen(conference: Conference):
    flash(operations.frozen_message(conference), "error")
    return redirect(url_for(".show", conference_id=conference.id))


def _areas(conference: Conference, keep_id: int | None = None) -> list:
    """The areas one may choose: the ward's active ones, and the one already chosen."""
    return [a for a in conference.ward.procedure_areas if a.is_active or a.id == keep_id]


@bp.route("/conferences/<int:conference_id>/dossier")
@login_required
def show(conference_id: int):
    conference = get_scoped_or_404(Conference, conference_id)
    report = operations.report_of(conference)
    figures = figures_of(report) if report is not None else None
    lines = list(zip(report.ordered_lines, figures.lines, strict=True)) if report else []
    return render_template(
        "dossier/show.html",
        conference=conference,
        report=report,
        figures=figures,
        lines=lines,
        can_edit=_can_edit(conference),
    )


@bp.route("/conferences/<int:conference_id>/dossier/edit", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def edit(conference_id: int):
    conference = get_scoped_or_404(Conference, conference_id)
    if request.method == "GET" and not operations.figures_editable(conference):
        return _frozen(conference)
    report = operations.report_of(conference)
    form = DossierReportForm(obj=report)
    if form.validate_on_submit():
        try:
            operations.save_report(conference, form.to_data())
        except DialogueError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The dossier figures have been saved."), "success")
            return redirect(url_for(".show", conference_id=conference_id))
    status = 400 if form.errors else 200
    return render_template(
        "dossier/edit.html", conference=conference, form=form, is_new=report is None
    ), status


@bp.route("/conferences/<int:conference_id>/dossier/lines/new", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def create_line(conference_id: int):
    conference = get_scoped_or_404(Conference, conference_id)
    report = operations.report_of(conference)
    if report is None:
        flash(_("Enter the totals first; then break them down."), "info")
        return redirect(url_for(".edit", conference_id=conference_id))
    if request.method == "GET" and not operations.figures_editable(conference):
        return _frozen(conference)
    form = DossierLineForm(areas=_areas(conference), locale=current_locale())
    if form.validate_on_submit():
        try:
            operations.add_line(report, form.to_data())
        except DialogueError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The line has been added to the breakdown."), "success")
            return redirect(url_for(".show", conference_id=conference_id))
    status = 400 if form.errors else 200
    return render_template("dossier/create_line.html", conference=conference, form=form), status


@bp.route("/dossier/lines/<int:line_id>/edit", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def edit_line(line_id: int):
    line = get_scoped_or_404(DossierLine, line_id)
    conference = line.report.conference
    if request.method == "GET" and not operations.figures_editable(conference):
        return _frozen(conference)
    form = DossierLineForm(
        obj=line, areas=_areas(conference, line.procedure_area_id), locale=current_locale()
    )
    if form.validate_on_submit():
        try:
            operations.update_line(line, form.to_data())
        except DialogueError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The line has been saved."), "success")
            return redirect(url_for(".show", conference_id=conference.id))
    status = 400 if form.errors else 200
    return render_template(
        "dossier/edit_line.html", conference=conference, line=line, form=form
    ), status


@bp.route("/dossier/lines/<int:line_id>/delete", methods=["POST"])
@role_required(Role.ORGANISER)
def delete_line(line_id: int):
    line = get_scoped_or_404(DossierLine, line_id)
    conference = line.report.conference
    try:
        operations.delete_line(line)
    except DialogueError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("The line has been removed from the breakdown."), "success")
    return redirect(url_for(".show", conference_id=conference.id))
