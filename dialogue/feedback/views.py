"""The conference's satisfaction survey: residents' form, paper entry, results and exports.

Residents answer without an account, from the conference's start until the end of the last
day the ward set. Their form carries no per-visitor token: a post another site sends is
refused by its headers, a forged device cookie is refused (and replaced), and the rate limits
of residents' feedback apply. Staff set the survey up, type in the paper forms, read the
results and download the raw answers; the public reads the results once the minutes are out.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from dialogue.auth.access import public, role_required
from dialogue.auth.models import Role
from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.core.database import begin_writing, reads_first
from dialogue.core.dates import vn_date, vn_datetime, vn_short_date
from dialogue.core.forms import show_error
from dialogue.core.locale import current_locale
from dialogue.core.responses import wants_json
from dialogue.core.scoping import get_scoped_or_404
from dialogue.documents import csv as csv_writer
from dialogue.documents import xlsx as xlsx_writer
from dialogue.documents.downloads import content_disposition, dated_filename
from dialogue.dossier.figures import format_rate
from dialogue.errors import DialogueError, PermissionDenied
from dialogue.extensions import csrf, db
from dialogue.feedback import charts, survey
from dialogue.feedback.device import (
    current_device,
    feedback_limits,
    known_device_key,
    posted_from_another_site,
)
from dialogue.feedback.forms import PaperEntryForm, SurveyAnswerForm, SurveySettingsForm
from dialogue.feedback.models import VISITS_CHOICES, LikertLevel, SurveyResponse
from dialogue.public.views import _public_conference_or_404, _ward_or_404, when

bp = Blueprint("feedback", __name__)

STAFF_PREFIX = "/conferences/<int:conference_id>/survey"
PUBLIC_PREFIX = "/p/<ward_slug>/hoi-nghi/<int:conference_id>"
# Organisers and the chair set it up; organisers and secretaries type paper forms in (the chair
# may look); all three read the results.
SETTINGS_ROLES = (Role.ORGANISER, Role.CHAIR)
PAPER_ROLES = (Role.ORGANISER, Role.SECRETARY, Role.CHAIR)
ENTRY_ROLES = (Role.ORGANISER, Role.SECRETARY)
RESULTS_ROLES = (Role.ORGANISER, Role.SECRETARY, Role.CHAIR)
EXPORT_STEM = "phieu-khao-sat"
# The form shows this device's own answer: no cache may keep it or hand it to another.
PER_VISITOR_HEADERS = {"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex"}
LEVELS = tuple(LikertLevel)


def visits_title(visits: int | None) -> str:
    if visits is None:
        return _("Left blank")
    return {0: _("No extra visit"), 1: _("Once"), 2: _("Twice or more")}[visits]


# -- residents' form -------------------------------------------------------------------------


def _render_answer(
    conference: Conference,
    window: survey.Window,
    form: SurveyAnswerForm,
    *,
    status: int = 200,
    previous: SurveyResponse | None = None,
    sent: str = "",
):
    saved = survey.survey_of(conference)
    page = render_template(
        "feedback/survey_answer.html",
        ward=conference.ward,
        conference=conference,
        when=when(conference),
        questions=saved.questions,
        window=window,
        closed=None if window.is_open else survey.window_message(conference, window),
        last_day=vn_date(window.closes_on),
        form=form,
        previous=previous,
        previous_when=vn_datetime(previous.updated_dt, conference.ward.timezone)
        if previous is not None
        else "",
        sent=sent,
        levels=LEVELS,
        visits_choices=[(value, visits_title(value)) for value in VISITS_CHOICES],
        results_url=_public_results_url(conference),
        max_comment=survey.MAX_COMMENT_LENGTH,
    )
    response = make_response(page, status)
    response.headers.update(PER_VISITOR_HEADERS)
    return response


def _public_results_url(conference: Conference) -> str | None:
    if conference.status is not ConferenceStatus.PUBLISHED:
        return None
    return url_for(
        "feedback.public_results", ward_slug=conference.ward.slug, conference_id=conference.id
    )


def _refused(conference: Conference, window: survey.Window, message: str, status: int):
    """The posted form again, everything in it kept, with why it was not taken."""
    form = SurveyAnswerForm()
    form.validate()
    form.form_errors.insert(0, message)
    return _render_answer(conference, window, form, status=status)


@bp.before_request
def _prepare_rate_limit_message():
    if request.endpoint == "feedback.answer":

        def handler(message):
            ward = _ward_or_404(request.view_args["ward_slug"])
            conference = _public_conference_or_404(ward, request.view_args["conference_id"])
            return _refused(
                conference,
                survey.survey_window(conference),
                _(
                    "Too many answers were sent from your connection in a short time. Wait a "
                    "minute, then press Send again: your answers are kept below."
                ),
                429,
            )

        g.rate_limit_handler = handler


@bp.route(f"{PUBLIC_PREFIX}/khao-sat", methods=["GET", "POST"])
@csrf.exempt
@public
@feedback_limits
def answer(ward_slug: str, conference_id: int):
    reads_first()
    ward = _ward_or_404(ward_slug)
    conference = _public_conference_or_404(ward, conference_id)
    window = survey.survey_window(conference)
    if request.method == "GET":
        previous = survey.answer_of_device(conference, known_device_key())
        if previous is not None and window.is_open:
            form = SurveyAnswerForm.prefilled(previous)
        else:
            form = SurveyAnswerForm(formdata=None)
        sent = request.args.get("sent", "")
        return _render_answer(
            conference,
            window,
            form,
            previous=previous,
            sent=sent if sent in {"new", "changed"} else "",
        )
    if posted_from_another_site():
        message = _(
            "This answer was sent from a page of another site and was not taken. Check your "
            "answers below and press Send on this page."
        )
        return _refused(conference, window, message, 403)
    if not window.is_open:
        return _refused(conference, window, survey.window_message(conference, window), 409)
    device = current_device()
    if device.is_forged:
        message = _(
            "Your answer was not taken: the code your browser keeps for this site did not "
            "check out. It has been replaced; press Send again."
        )
        return _refused(conference, window, message, 400)
    form = SurveyAnswerForm()
    if not form.validate():
        return _render_answer(conference, window, form, status=422)
    begin_writing()
    try:
        recorded = survey.record_online_answer(conference, form.to_data(), device.key)
    except survey.SurveyClosed as error:
        db.session.rollback()
        return _refused(conference, survey.survey_window(conference), error.message, 409)
    except DialogueError as error:
        show_error(form, error)
        return _render_answer(conference, window, form, status=422)
    db.session.commit()
    return redirect(
        url_for(
            "feedback.answer",
            ward_slug=ward.slug,
            conference_id=conference.id,
            sent="new" if recorded.created else "changed",
            _anchor="survey-thanks",
        )
    )


# -- public results --------------------------------------------------------------------------


def _results_context(conference: Conference, *, with_comments: bool) -> dict:
    results = survey.survey_results(conference, with_comments=with_comments)
    locale = current_locale()
    return {
        "results": results,
        "bars": charts.survey_bars(results, locale=locale),
        "chart_height": charts.HEIGHT,
        "chart_width": charts.WIDTH,
        "levels": LEVELS,
        "visits": [
            (visits_title(value), count, format_rate(results.share(count), locale))
            for value, count in results.visits
        ],
        "locale": locale,
        "window": survey.survey_window(conference),
    }


@bp.route(f"{PUBLIC_PREFIX}/ket-qua-khao-sat")
@public
def public_results(ward_slug: str, conference_id: int):
    ward = _ward_or_404(ward_slug)
    conference = _public_conference_or_404(ward, conference_id)
    published = conference.status is ConferenceStatus.PUBLISHED
    # Residents' comments are not shown here: they may name people or give a phone number.
    context = _results_context(conference, with_comments=False) if published else {}
    return render_template(
        "feedback/survey_public_results.html",
        ward=ward,
        conference=conference,
        when=when(conference),
        published=published,
        **context,
    )


# -- staff pages -----------------------------------------------------------------------------


def _conference(conference_id: int) -> Conference:
    return get_scoped_or_404(Conference, conference_id)


def _staff_links(conference: Conference) -> dict:
    user = current_user
    return {
        "settings": url_for("feedback.settings", conference_id=conference.id)
        if survey.can_manage_survey(conference, user)
        else None,
        "paper": url_for("feedback.paper", conference_id=conference.id),
        "results": url_for("feedback.results", conference_id=conference.id),
    }


@bp.route(STAFF_PREFIX, methods=["GET", "POST"])
@role_required(*SETTINGS_ROLES)
def settings(conference_id: int):
    conference = _conference(conference_id)
    if not survey.can_manage_survey(conference, current_user):
        abort(403)
    locked = survey.has_answers(conference)
    status = 200
    if request.method == "POST":
        form = SurveySettingsForm(locked=locked)
        if form.validate_on_submit():
            try:
                survey.update_settings(conference, form.to_data())
            except DialogueError as error:
                show_error(form, error)
            else:
                db.session.commit()
                flash(_("The survey settings were saved."), "success")
                return redirect(url_for("feedback.settings", conference_id=conference.id))
        status = 422
    else:
        form = SurveySettingsForm.of(survey.survey_of(conference), locked=locked)
    address = survey.survey_address(conference)
    from dialogue.feed.operations import qr_image

    return render_template(
        "feedback/survey_settings.html",
        conference=conference,
        form=form,
        locked=locked,
        window=survey.survey_window(conference),
        tally=survey.tally_of(conference),
        address=address,
        qr_image=qr_image(address),
        default_close=vn_short_date(survey.default_closes_on(conference)),
        links=_staff_links(conference),
    ), status


def _paper_context(conference: Conference) -> dict:
    tally = survey.tally_of(conference)
    return {
        "conference": conference,
        "entries": survey.recent_paper_entries(conference),
        "tally": tally,
        "warning": survey.over_present_message(tally),
        "refusal": survey.paper_refusal(conference),
        "may_enter": survey.can_enter_paper(conference, current_user),
        "elements": survey.ELEMENTS,
        "tally_text": survey.tally_text,
        "can_undo": lambda entry: survey.can_undo(entry, current_user),
        "links": _staff_links(conference),
        "entries_limit": survey.RECENT_PAPER_ENTRIES,
        "max_comment": survey.MAX_COMMENT_LENGTH,
    }


def _paper_json(conference: Conference, *, message: str, entry: SurveyResponse | None = None):
    context = _paper_context(conference)
    return jsonify(
        ok=True,
        message=message,
        row=render_template("feedback/_survey_paper_row.html", entry=entry, **context)
        if entry is not None
        else None,
        summary=render_template("feedback/_survey_paper_summary.html", **context),
        next_number=survey.next_paper_number(conference),
    )


def _paper_errors_json(form: PaperEntryForm, status: int = 422):
    errors = {name: list(messages) for name, messages in form.errors.items() if name}
    general = list(form.form_errors)
    first = general[0] if general else next(iter(errors.values()))[0]
    field = None if general else next(iter(errors))
    return jsonify(ok=False, message=first, field=field, errors=errors), status


@bp.route(f"{STAFF_PREFIX}/paper", methods=["GET", "POST"])
@role_required(*PAPER_ROLES)
def paper(conference_id: int):
    conference = _conference(conference_id)
    if request.method == "GET":
        form = PaperEntryForm(formdata=None, paper_number=survey.next_paper_number(conference))
        return render_template(
            "feedback/survey_paper.html", form=form, **_paper_context(conference)
        )
    if not survey.can_enter_paper(conference, current_user):
        if wants_json():
            message = _("Only organisers and secretaries type in paper forms.")
            return jsonify(ok=False, message=message, field=None), 403
        abort(403)
    form = PaperEntryForm()
    if form.validate_on_submit():
        try:
            entry = survey.record_paper_answer(
                conference, form.to_data(), paper_number=form.paper_number.data, by=current_user
            )
        except DialogueError as error:
            show_error(form, error)
        else:
            db.session.commit()
            number = entry.paper_number
            message = (
                _(
                    "Form No. %(number)s saved: %(tally)s.",
                    number=number,
                    tally=survey.tally_text(entry),
                )
                if number
                else _("Form saved: %(tally)s.", tally=survey.tally_text(entry))
            )
            if wants_json():
                return _paper_json(conference, message=message, entry=entry)
            flash(message, "success")
            return redirect(url_for("feedback.paper", conference_id=conference.id))
    if wants_json():
        return _paper_errors_json(form)
    return render_template(
        "feedback/survey_paper.html", form=form, **_paper_context(conference)
    ), 422


@bp.route(f"{STAFF_PREFIX}/paper/<int:response_id>/delete", methods=["POST"])
@role_required(*ENTRY_ROLES)
def paper_delete(conference_id: int, response_id: int):
    conference = _conference(conference_id)
    entry = db.session.get(SurveyResponse, response_id)
    if entry is None or entry.conference_id != conference.id:
        abort(404)
    if not survey.can_enter_paper(conference, current_user):
        abort(403)
    label = (
        _("Form No. %(number)s", number=entry.paper_number)
        if entry.paper_number
        else survey.tally_text(entry)
    )
    try:
        survey.delete_paper_answer(entry, by=current_user)
    except PermissionDenied as error:
        db.session.rollback()
        if wants_json():
            return jsonify(ok=False, message=error.message, field=None), 403
        abort(403)
    db.session.commit()
    message = _("%(form)s was taken back: it no longer counts.", form=label)
    if wants_json():
        return _paper_json(conference, message=message)
    flash(message, "success")
    return redirect(url_for("feedback.paper", conference_id=conference.id))


@bp.route(f"{STAFF_PREFIX}/results")
@role_required(*RESULTS_ROLES)
def results(conference_id: int):
    conference = _conference(conference_id)
    if not survey.can_read_results(conference, current_user):
        abort(403)
    tally = survey.tally_of(conference)
    return render_template(
        "feedback/survey_results.html",
        conference=conference,
        tally=tally,
        warning=survey.over_present_message(tally),
        public_url=_public_results_url(conference),
        links=_staff_links(conference),
        **_results_context(conference, with_comments=True),
    )


def _download(content: bytes, content_type: str, conference: Conference, extension: str):
    response = Response(content, content_type=content_type)
    filename = dated_filename(EXPORT_STEM, conference.start_local.date(), extension)
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route(f"{STAFF_PREFIX}/responses.csv")
@role_required(*RESULTS_ROLES)
def responses_csv(conference_id: int):
    conference = _conference(conference_id)
    if not survey.can_read_results(conference, current_user):
        abort(403)
    # ?sep=semicolon: the form Excel opens by double-click with Vietnamese regional settings.
    delimiter = csv_writer.SEMICOLON if request.args.get("sep") == "semicolon" else csv_writer.COMMA
    content = csv_writer.write_csv(survey.responses_sheet(conference), delimiter=delimiter)
    return _download(content, csv_writer.MIMETYPE, conference, "csv")


@bp.route(f"{STAFF_PREFIX}/responses.xlsx")
@role_required(*RESULTS_ROLES)
def responses_xlsx(conference_id: int):
    conference = _conference(conference_id)
    if not survey.can_read_results(conference, current_user):
        abort(403)
    content = xlsx_writer.write_xlsx(survey.responses_sheet(conference))
    return _download(content, xlsx_writer.MIMETYPE, conference, "xlsx")


# -- what other pages show of the survey -----------------------------------------------------


@bp.app_template_global("survey_panel")
def survey_panel(conference: Conference) -> dict | None:
    """The conference page's survey panel, for those who read the results."""
    user = current_user
    if not user.is_authenticated or not survey.can_read_results(conference, user):
        return None
    if conference.status in {ConferenceStatus.DRAFT, ConferenceStatus.CANCELLED}:
        return None
    results = survey.survey_results(conference)
    return {
        "window": survey.survey_window(conference),
        "results": results,
        "links": _staff_links(conference),
        "may_enter": survey.can_enter_paper(conference, user),
        "answer_url": url_for(
            "feedback.answer", ward_slug=conference.ward.slug, conference_id=conference.id
        )
        if conference.is_public
        else None,
        "public_results_url": _public_results_url(conference),
        "locale": current_locale(),
    }


@bp.app_template_global("survey_links")
def survey_links(conference: Conference) -> dict:
    """Residents' ways to the survey from a public page: the form while open, the results."""
    window = survey.survey_window(conference)
    values = {"ward_slug": conference.ward.slug, "conference_id": conference.id}
    return {
        "answer": url_for("feedback.answer", **values) if window.is_open else None,
        "last_day": vn_date(window.closes_on),
        "results": _public_results_url(conference),
    }


@bp.app_template_global("survey_qr")
def survey_qr(conference: Conference) -> dict | None:
    """The projector's QR code of the survey, while the survey takes answers."""
    if not survey.survey_window(conference).is_open:
        return None
    from dialogue.feed.operations import qr_image

    address = survey.survey_address(conference)
    return {"image": qr_image(address), "address": address}
