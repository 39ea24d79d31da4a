"""Residents' questions: the public form and private follow page, and the secretaries' queue.

The form is open to anyone, so it defends itself without a third-party captcha: a rate limit
per address, a trap field, a signed stamp (a post back within seconds is refused only if it
also carries a link: a resident who pastes and sends is not a robot), a refusal of link farms
and of the same text sent again. The queue's actions answer JSON to the console's
script (``Accept: application/json``) and redirect with a message otherwise.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError

from dialogue.auth.access import public, role_required
from dialogue.auth.models import Role
from dialogue.conferences.models import Conference
from dialogue.core.database import begin_writing, reads_first
from dialogue.core.forms import show_error
from dialogue.core.locale import current_locale
from dialogue.core.responses import PRIVATE_HEADERS, wants_json
from dialogue.core.scoping import get_scoped_or_404
from dialogue.core.urls import is_safe_next
from dialogue.errors import DialogueError
from dialogue.extensions import csrf, db, limiter
from dialogue.feedback import support as supports
from dialogue.feedback.device import (
    current_device,
    feedback_limits,
    known_device_key,
    posted_from_another_site,
)
from dialogue.followup.listing import ward_today
from dialogue.live.models import Turn
from dialogue.minutes.compose import turn_numbers
from dialogue.public import referrals
from dialogue.public.views import _public_conference_or_404, _ward_or_404, when
from dialogue.questions import operations
from dialogue.questions.forms import (
    AskForm,
    DecisionForm,
    MergeForm,
    RejectForm,
    hasty_message,
    issue_stamp,
    read_stamp,
)
from dialogue.questions.models import ResidentQuestion

bp = Blueprint("questions", __name__)

STAFF_PREFIX = "/conferences/<int:conference_id>/questions"
PUBLIC_LIST = "/p/<ward_slug>/hoi-nghi/<int:conference_id>/cau-hoi"
# How often the queue and the console ask for the counts of supports (they are not live
# events: a hall of phones pressing at once must not queue up behind the secretaries' saves).
SUPPORT_REFRESH_SECONDS = 15
# A device that pressed "Tôi cũng quan tâm" again without a script is offered to withdraw.
WITHDRAW_OFFER_KEY = "supports.withdraw_offer"
MODERATOR_ROLES = (Role.ORGANISER, Role.SECRETARY)


def _questions_limit() -> str:
    return current_app.config["RATELIMIT_QUESTIONS"]


def _question_posts_limit() -> str:
    return current_app.config["RATELIMIT_QUESTION_POSTS"]


def _question_taken(response) -> bool:
    """Only a question taken counts against the limit: a resident putting right what the form
    refused (too short, the same twice, sent too soon) is not flooding it."""
    return response.status_code == 302  # the way to the question's own page


def _private(response, status: int = 200):
    if isinstance(response, str):
        response = current_app.make_response((response, status))
    response.headers.update(PRIVATE_HEADERS)
    return response


# -- the residents' form ---------------------------------------------------------------------


def _ask_form(conference: Conference, **kwargs) -> AskForm:
    ward = conference.ward
    return AskForm(
        groups=ward.residential_groups,
        areas=[area for area in ward.procedure_areas if area.is_active],
        locale=current_locale(),
        **kwargs,
    )


def _render_ask(conference: Conference, form: AskForm | None, *, status: int = 200, kept=""):
    return render_template(
        "questions/ask.html",
        ward=conference.ward,
        conference=conference,
        when=when(conference),
        form=form,
        closed=None
        if operations.accepts_questions(conference)
        else operations.closed_message(conference),
        kept_question=kept,
        max_length=operations.MAX_QUESTION_LENGTH,
    ), status


def _refresh_stamp(form: AskForm, conference: Conference) -> None:
    """Give the form back a valid stamp, keeping its key when the old one was genuine."""
    stamp = read_stamp(form.stamp.data, conference.id)
    if not stamp.reusable:
        form.stamp.data = issue_stamp(conference.id)
    # Whatever a person's browser put in the trap box goes; a robot fills it again.
    form.website.data = ""


@bp.before_request
def _prepare_rate_limit_message():
    if request.endpoint == "questions.ask":

        def handler(message):
            ward = _ward_or_404(request.view_args["ward_slug"])
            conference = _public_conference_or_404(ward, request.view_args["conference_id"])
            form = _ask_form(conference)
            _refresh_stamp(form, conference)
            form.form_errors.append(
                _(
                    "Too many questions were sent from your connection in a short time. "
                    "Wait a few minutes, then press Send again: your question is kept below."
                )
            )
            return _render_ask(conference, form, status=429)

        g.rate_limit_handler = handler
    elif request.endpoint == "questions.support":

        def handler(message):
            ward = _ward_or_404(request.view_args["ward_slug"])
            conference = _public_conference_or_404(ward, request.view_args["conference_id"])
            return _support_refused(
                conference,
                _(
                    "Too many presses from your phone or your connection in a short time: "
                    "nothing was counted. Wait a few minutes, then press again."
                ),
                status=429,
                question_id=request.view_args["question_id"],
            )

        g.rate_limit_handler = handler


@bp.route("/p/<ward_slug>/hoi-nghi/<int:conference_id>/gui-cau-hoi", methods=["GET", "POST"])
@public
@limiter.limit(_questions_limit, methods=["POST"], deduct_when=_question_taken)
# Every post counts here, refused ones too: far above what correcting a question takes, it stops
# a script sending refused posts without end.
@limiter.limit(_question_posts_limit, methods=["POST"])
def ask(ward_slug: str, conference_id: int):
    ward = _ward_or_404(ward_slug)
    conference = _public_conference_or_404(ward, conference_id)
    if not operations.accepts_questions(conference):
        # What was typed before the form closed is shown, so it can be copied elsewhere.
        kept = request.form.get("question", "") if request.method == "POST" else ""
        return _render_ask(conference, None, status=409 if kept else 200, kept=kept)
    if request.method == "GET":
        return _render_ask(conference, _ask_form(conference, stamp=issue_stamp(conference.id)))
    form = _ask_form(conference)
    valid = form.validate_on_submit()
    stamp = read_stamp(form.stamp.data, conference.id)
    if form.website.data:
        form.form_errors.append(_("Your question was not sent. Press Send again."))
    elif stamp.problem:
        form.form_errors.append(stamp.problem)
    elif stamp.hasty and form.looks_automated():
        form.form_errors.append(hasty_message())
    if not valid or form.form_errors:
        _refresh_stamp(form, conference)
        return _render_ask(conference, form, status=400)
    try:
        received = operations.receive_question(conference, form.to_data(), form_key=stamp.key)
    except DialogueError as error:
        show_error(form, error)
        _refresh_stamp(form, conference)
        return _render_ask(conference, form, status=409 if _closed(error) else 400)
    db.session.commit()
    # The page after sending is the private page itself, with a word of thanks on top.
    return redirect(
        url_for(
            ".follow",
            ward_slug=ward.slug,
            token=received.question.follow_token,
            sent=1,
        )
    )


def _closed(error: DialogueError) -> bool:
    return isinstance(error, operations.QuestionsClosed)


@bp.route("/p/<ward_slug>/cau-hoi/<token>")
@public
def follow(ward_slug: str, token: str):
    ward = _ward_or_404(ward_slug)
    question = operations.find_by_token(token)
    if question is None or question.conference.ward_id != ward.id:
        abort(404)
    conference = question.conference
    fate = operations.fate_of(question)
    page = render_template(
        "questions/follow.html",
        ward=ward,
        conference=conference,
        when=when(conference),
        question=question,
        fate=fate,
        # The turn's number as the minutes and the public pages give it (withdrawn ones left out).
        turn_number=turn_numbers([conference.id]).get(fate.turn.id, fate.turn.position)
        if fate.turn
        else None,
        # Where the written answer stands, once the question was referred to a unit.
        followup=referrals.of_turn(fate.turn, today=ward_today(ward)),
        just_sent=request.args.get("sent") == "1",
        follow_url=url_for(".follow", ward_slug=ward.slug, token=token, _external=True),
    )
    return _private(page)


# -- the public list of shown questions, and their supports ---------------------------------


def supports_text(count: int, shown: str | None = None) -> str:
    """ "12 người quan tâm"; ``shown`` stands in for the number ("{count}" for the scripts)."""
    return ngettext(
        "%(count)s person interested",
        "%(count)s people interested",
        count,
        count=shown if shown is not None else format_decimal(count),
    )


def _render_public_list(
    conference: Conference, *, problem: dict | None = None, status: int = 200, offer=None
):
    """The list as every visitor sees it: no per-visitor token, so it can be kept whole."""
    is_open = supports.takes_supports(conference)
    return render_template(
        "questions/public_list.html",
        ward=conference.ward,
        conference=conference,
        when=when(conference),
        is_open=is_open,
        closed=None if is_open else supports.closed_message(conference),
        accepts_questions=operations.accepts_questions(conference),
        questions=supports.public_list(conference, locale=current_locale()) if is_open else [],
        problem=problem,
        withdraw_offer=offer,
        supports_text=supports_text,
    ), status


@bp.route(PUBLIC_LIST)
@public
def public_list(ward_slug: str, conference_id: int):
    ward = _ward_or_404(ward_slug)
    conference = _public_conference_or_404(ward, conference_id)
    # Only after a press without a script, when a message waits too (such a page is not kept).
    offer = session.pop(WITHDRAW_OFFER_KEY, None) if WITHDRAW_OFFER_KEY in session else None
    return _render_public_list(conference, offer=offer)


@bp.route(f"{PUBLIC_LIST}/da-quan-tam")
@public
def my_supports(ward_slug: str, conference_id: int):
    """Which of the list's questions this device supports, and the counts as they are now."""
    ward = _ward_or_404(ward_slug)
    conference = _public_conference_or_404(ward, conference_id)
    is_open = supports.takes_supports(conference)
    response = jsonify(
        open=is_open,
        supported=supports.supported_by(conference, known_device_key()) if is_open else [],
        counts={str(k): v for k, v in supports.support_counts(conference).items()}
        if is_open
        else {},
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _support_refused(
    conference: Conference, message: str, *, status: int, question_id: int | None = None
):
    """Say why a press was not counted: in JSON to the script, or on the list itself."""
    if wants_json():
        response = jsonify(ok=False, message=message, question=question_id)
        response.status_code = status
        response.headers["Cache-Control"] = "no-store"
        return response
    page, _status = _render_public_list(
        conference, problem={"id": question_id, "message": message}, status=status
    )
    return _private(page, status)


def _listed_question(conference: Conference, question_id: int) -> ResidentQuestion | None:
    question = db.session.get(ResidentQuestion, question_id)
    if question is None or question.conference_id != conference.id:
        return None
    return question if supports.is_listed(question) else None


def _supported_message(result: supports.Supported) -> str:
    if result.is_supported:
        if result.changed:
            return _("Your interest has been noted.")
        return _("You are already interested in this question.")
    if result.changed:
        return _("You are no longer listed as interested in this question.")
    return _("You had not said you were interested in this question.")


@bp.route(f"{PUBLIC_LIST}/<int:question_id>/quan-tam", methods=["POST"])
@public
@csrf.exempt
@feedback_limits
def support(ward_slug: str, conference_id: int, question_id: int):
    """ "Tôi cũng quan tâm", or its withdrawal (``intent=withdraw``): one per device."""
    reads_first()
    ward = _ward_or_404(ward_slug)
    conference = _public_conference_or_404(ward, conference_id)
    if posted_from_another_site():
        return _support_refused(
            conference,
            _(
                "This press came from another website and was not counted. "
                "Open the list of questions on the ward's site and press there."
            ),
            status=403,
        )
    question = _listed_question(conference, question_id)
    if question is None:
        return _support_refused(
            conference,
            _("This question is not on the public list (any more)."),
            status=404,
            question_id=question_id,
        )
    intent = request.form.get("intent", "support")
    if intent not in {"support", "withdraw"}:
        return _support_refused(
            conference,
            _("Press the button again."),
            status=400,
            question_id=question_id,
        )
    device = current_device()
    if device.is_forged:
        # A new mark is set with this answer: pressing again counts.
        return _support_refused(
            conference,
            _(
                "Your phone's mark for this site could not be checked, so nothing was counted. "
                "It has been renewed: press the button again."
            ),
            status=400,
            question_id=question_id,
        )
    operation = supports.support_question if intent == "support" else supports.withdraw_support
    begin_writing()
    try:
        result = operation(question, device.key)
    except DialogueError as error:
        db.session.rollback()
        return _support_refused(conference, error.message, status=409, question_id=question_id)
    db.session.commit()
    message = _supported_message(result)
    if wants_json():
        response = jsonify(
            ok=True,
            message=message,
            question=result.question_id,
            supported=result.is_supported,
            changed=result.changed,
            count=result.count,
            count_text=supports_text(result.count),
        )
        response.headers["Cache-Control"] = "no-store"
        return response
    flash(message, "success" if result.changed else "info")
    if result.is_supported and not result.changed:
        session[WITHDRAW_OFFER_KEY] = result.question_id
    return redirect(
        url_for(".public_list", ward_slug=ward.slug, conference_id=conference.id)
        + f"#cau-hoi-{result.question_id}"
    )


# -- the moderation queue --------------------------------------------------------------------


def _conference(conference_id: int) -> Conference:
    return get_scoped_or_404(Conference, conference_id)


def _question(conference: Conference, question_id: int) -> ResidentQuestion:
    question = get_scoped_or_404(ResidentQuestion, question_id)
    if question.conference_id != conference.id:
        abort(404)
    return question


def _authorise(conference: Conference) -> None:
    if operations.can_moderate(conference, current_user):
        return
    if wants_json():
        message = _("Only the conference's secretaries and organisers moderate its questions.")
        abort(make_response(jsonify(ok=False, message=message, field=None), 403))
    abort(403)


def _optional_url(endpoint: str, **values) -> str:
    """A URL of another feature's page, or "" while that feature is not there."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return ""


@bp.app_template_global("question_summary")
def question_summary(conference: Conference) -> dict:
    """What the conference page's questions panel shows, to those who may moderate."""
    visible = (
        current_user.is_authenticated
        and current_user.has_role(*MODERATOR_ROLES)
        and conference.is_public
    )
    counts = operations.count_questions(conference) if visible else {}
    return {
        "visible": visible,
        "open": operations.accepts_questions(conference),
        "waiting": counts.get("waiting", 0),
        "total": counts.get("total", 0),
    }


@bp.app_template_global("moderation_panel")
def moderation_panel(conference: Conference) -> dict:
    """What the console's queue panel (``questions/_moderation.html``) shows."""
    return {
        "questions": operations.queue_payload(conference),
        "turns": operations.merge_turns(conference),
        "can_moderate": operations.can_moderate(conference, current_user),
        "can_accept": conference.can_log_questions(current_user),
        "base_url": url_for("questions.queue", conference_id=conference.id).rstrip("/"),
        "queue_url": url_for("questions.queue", conference_id=conference.id),
        "snippet": operations.snippet,
        "can_show": operations.accepts_questions(conference),
        "refresh_seconds": SUPPORT_REFRESH_SECONDS,
        "supports_text": supports_text,
    }


def _render_queue(conference: Conference, *, problem: dict | None = None, status: int = 200):
    return render_template(
        "questions/queue.html",
        conference=conference,
        recent=operations.recent_decisions(conference),
        problem=problem,
        stream_url=_optional_url("feed.staff_stream", conference_id=conference.id),
        snapshot_url=_optional_url("feed.staff_snapshot", conference_id=conference.id),
        console_url=_optional_url("live.console", conference_id=conference.id),
    ), status


@bp.route(f"{STAFF_PREFIX}/")
@role_required(*MODERATOR_ROLES)
def queue(conference_id: int):
    conference = _conference(conference_id)
    if wants_json():
        return jsonify(
            ok=True,
            questions=operations.queue_payload(conference),
            turns=operations.merge_turns(conference),
            recent=[
                operations.question_payload(question)
                for question in operations.recent_decisions(conference)
            ],
        )
    return _render_queue(conference)


def _decided(conference: Conference, question: ResidentQuestion, message: str, form):
    if wants_json():
        return jsonify(ok=True, message=message, question=operations.question_payload(question))
    flash(message, "success")
    target = form.next.data
    return redirect(
        target if is_safe_next(target) else url_for(".queue", conference_id=conference.id)
    )


def _refused(
    conference: Conference,
    question: ResidentQuestion,
    message: str,
    *,
    field: str | None,
    status: int,
    form,
):
    """Say why the decision was not taken: in JSON, or on the queue with what was typed kept."""
    if wants_json():
        return jsonify(ok=False, message=message, field=field), status
    problem = {
        "id": question.id,
        "message": message,
        "field": field,
        "reason": form.reason.data if "reason" in form else "",
        "target": form.target.data if "target" in form else "",
        "next": form.next.data if is_safe_next(form.next.data) else "",
    }
    return _render_queue(conference, problem=problem, status=status)


def _operation_refused(conference, question: ResidentQuestion, error: DialogueError, form):
    """Undo what the refused decision began, and say why, as :func:`_refused` does."""
    db.session.rollback()
    return _refused(
        conference, question, error.message, field=error.field, status=_status_of(error), form=form
    )


def _status_of(error: DialogueError) -> int:
    """409 when the conference's stage or another secretary came first, 400 for bad input."""
    from dialogue.live.operations import SessionNotOpen

    if isinstance(error, SessionNotOpen | operations.QuestionsClosed | operations.AlreadyModerated):
        return 409
    return 400


def _form_problem(form) -> tuple[str, str | None]:
    for name, errors in form.errors.items():
        if errors:
            return " ".join(str(e) for e in errors), name
    return _("The form has expired: reload the page."), None


def _moderate(conference_id: int, question_id: int, form, operate, message):
    """Load, authorise, validate ``form``, ``operate`` on the question, commit, say ``message``.

    ``message`` is the text to show, or a function of the question decided that returns it.
    """
    conference = _conference(conference_id)
    question = _question(conference, question_id)
    _authorise(conference)
    if not form.validate_on_submit():
        problem, field = _form_problem(form)
        return _refused(conference, question, problem, field=field, status=400, form=form)
    try:
        question = operate(question, form)
    except DialogueError as error:
        return _operation_refused(conference, question, error, form)
    db.session.commit()
    text = message(question) if callable(message) else message
    return _decided(conference, question, text, form)


@bp.route(f"{STAFF_PREFIX}/<int:question_id>/accept", methods=["POST"])
@role_required(*MODERATOR_ROLES)
def accept(conference_id: int, question_id: int):
    return _moderate(
        conference_id,
        question_id,
        DecisionForm(),
        lambda question, form: operations.accept_question(question, by=current_user),
        lambda question: _(
            "Question accepted as turn %(position)s.", position=question.turn.position
        ),
    )


@bp.route(f"{STAFF_PREFIX}/<int:question_id>/merge", methods=["POST"])
@role_required(*MODERATOR_ROLES)
def merge(conference_id: int, question_id: int):
    conference = _conference(conference_id)
    question = _question(conference, question_id)
    _authorise(conference)
    form = MergeForm()
    if not form.validate_on_submit():
        message, field = _form_problem(form)
        return _refused(conference, question, message, field=field, status=400, form=form)
    target = form.parsed_target()
    into_question = into_turn = None
    if target is not None:
        kind, ident = target
        model = ResidentQuestion if kind == "question" else Turn
        found = db.session.get(model, ident)
        if found is not None and found.conference_id == conference.id:
            into_question, into_turn = (found, None) if kind == "question" else (None, found)
    if into_question is None and into_turn is None:
        return _refused(
            conference,
            question,
            _("This question or turn is not one of this conference's."),
            field="target",
            status=400,
            form=form,
        )
    try:
        question = operations.merge_question(
            question, into_question=into_question, into_turn=into_turn, by=current_user
        )
    except DialogueError as error:
        return _operation_refused(conference, question, error, form)
    db.session.commit()
    return _decided(conference, question, _("Question merged."), form)


@bp.route(f"{STAFF_PREFIX}/<int:question_id>/reject", methods=["POST"])
@role_required(*MODERATOR_ROLES)
def reject(conference_id: int, question_id: int):
    return _moderate(
        conference_id,
        question_id,
        RejectForm(),
        lambda question, form: operations.reject_question(
            question, form.reason.data, by=current_user
        ),
        _("Question turned down."),
    )


@bp.route(f"{STAFF_PREFIX}/<int:question_id>/show", methods=["POST"])
@role_required(*MODERATOR_ROLES)
def show(conference_id: int, question_id: int):
    """ "Cho hiển thị công khai": residents may read the question, without its sender, and support it."""
    return _moderate(
        conference_id,
        question_id,
        DecisionForm(),
        lambda question, form: operations.show_question(question, by=current_user),
        _("The question is shown on the public list, without its sender."),
    )


@bp.route(f"{STAFF_PREFIX}/<int:question_id>/hide", methods=["POST"])
@role_required(*MODERATOR_ROLES)
def hide(conference_id: int, question_id: int):
    """ "Thôi hiển thị": off the public list; its supports are kept."""
    return _moderate(
        conference_id,
        question_id,
        DecisionForm(),
        lambda question, form: operations.hide_question(question, by=current_user),
        _("The question is no longer on the public list."),
    )
