"""The secretaries' console: record speaking turns live, several secretaries at once.

Every action works as a plain form (Post/Redirect/Get, the console without JavaScript) and as
the JSON API the console's script speaks: a JSON body (or ``Accept: application/json``) gets
``{"ok": true, "turn": ..., "seq": n}``, or ``{"ok": false, "message", "field"}`` with 400,
or 409 for a stale edit (both versions) and for a conference that is not in progress.
"""

from __future__ import annotations

import functools
from pathlib import Path

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import MultiDict
from werkzeug.routing import BuildError

from dialogue.auth.access import role_required
from dialogue.auth.models import Role, User
from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.core.locale import current_locale
from dialogue.core.responses import wants_json
from dialogue.core.scoping import scoped_or_404
from dialogue.errors import DialogueError
from dialogue.extensions import db
from dialogue.live import operations
from dialogue.live.forms import ConfirmSpeakerForm, MoveForm, TurnForm, WithdrawForm
from dialogue.live.models import SpeakerMatch, Turn

bp = Blueprint("live", __name__, url_prefix="/conferences/<int:conference_id>/live")

# The chair follows the record on the console; only secretaries and organisers write it.
READ_ROLES = (Role.SECRETARY, Role.ORGANISER, Role.CHAIR)
WRITE_ROLES = (Role.SECRETARY, Role.ORGANISER)
# Kept among the static files, served from the console's path (see ``service_worker``).
SERVICE_WORKER = "js/console/service-worker.js"


# -- loading and authorising --------------------------------------------------------------------


@functools.cache
def _conference_with_ward() -> sa.Select:
    # Built once: every save runs it (and building it cost more than running it).
    return (
        sa.select(Conference)
        .options(joinedload(Conference.ward))
        .where(Conference.id == sa.bindparam("ident"))
    )


def _conference(conference_id: int) -> Conference:
    # Its ward in the same statement: every save reads it (whether speakers are named).
    return scoped_or_404(
        db.session.scalars(_conference_with_ward(), {"ident": conference_id}).first()
    )


def _turn(conference: Conference, turn_id: int) -> Turn:
    turn = db.session.get(Turn, turn_id)
    if turn is None or turn.conference_id != conference.id:
        abort(404)
    return turn


def records_turns(conference: Conference, user: User) -> bool:
    """Tell whether ``user`` is one of those who record this conference's turns.

    The same people as :meth:`Conference.can_log_questions`, whatever the conference's stage:
    outside the session they are told why nothing can be saved, not that they may not.
    """
    return conference.is_recorded_by(user)


def _wants_json() -> bool:
    # The console's script sends JSON and reads JSON, whatever it accepts.
    return request.is_json or wants_json()


def _authorise_write(conference: Conference) -> None:
    if records_turns(conference, current_user):
        return
    if _wants_json():
        message = _("Only the conference's secretaries and organisers record turns.")
        abort(make_response(jsonify(ok=False, message=message, field=None), 403))
    abort(403)


# -- reading what was sent ----------------------------------------------------------------------


class BadRequestBody(Exception):
    """What was sent cannot be read as the fields of the action."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _as_text(value) -> str:
    if value is None or value is False:
        return ""
    if value is True:
        return "y"
    return str(value)


def _formdata() -> MultiDict:
    """The fields sent, from a form post or a JSON object, as the forms read them."""
    if not request.is_json:
        return request.form
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequestBody(_("What was sent is not a turn: reload the page and try again."))
    fields = MultiDict()
    for name, value in body.items():
        for item in value if isinstance(value, list) else [value]:
            fields.add(name, _as_text(item))
    return fields


def _sent_fields(formdata: MultiDict) -> dict:
    """What the secretary sent, to show beside the other version; the token left out."""
    return {name: value for name, value in formdata.items() if name != "csrf_token"}


def _turn_form(*, formdata=None, **kwargs) -> TurnForm:
    form = TurnForm(formdata=formdata, **kwargs)
    # Without JavaScript the browser's own suggestions offer the officials present.
    form.answerer_name.render_kw = {"list": "officials"}
    return form


def _offer_choices(form: TurnForm, conference: Conference, turn: Turn | None) -> None:
    """The ward's groups, areas and units in the form's lists, for showing it."""
    ward = conference.ward
    areas = [area for area in ward.procedure_areas if area.is_active]
    units = [unit for unit in ward.units if unit.is_active]
    if turn is not None:
        # A turn keeps the area or unit it was saved with, even one retired since.
        if turn.procedure_area is not None and turn.procedure_area not in areas:
            areas.append(turn.procedure_area)
        if turn.referral_unit is not None and turn.referral_unit not in units:
            units.append(turn.referral_unit)
    form.offer(
        groups=list(ward.residential_groups), areas=areas, units=units, locale=current_locale()
    )


def _initial(conference: Conference, turn: Turn | None) -> dict:
    if turn is None:
        return {"referral_due_date": operations.default_due_date(conference)}
    return {
        "version": turn.version,
        "client_key": turn.client_key or "",
        "speaker_attendee_id": turn.speaker_attendee_id,
        "speaker_name": turn.speaker_name,
        "speaker_group_id": turn.speaker_group_id or 0,
        "speaker_organisation": turn.speaker_organisation,
        "procedure_area_id": turn.procedure_area_id or 0,
        "question": turn.question,
        "outcome": turn.outcome.value,
        "answerer_attendee_id": turn.answerer_attendee_id,
        "answerer_name": turn.answerer_name,
        "answer": turn.answer,
        "referral_unit_id": turn.referral_unit_id or 0,
        "referral_due_date": turn.referral_due_date or operations.default_due_date(conference),
        "referral_note": turn.referral_note,
    }


# -- answers ------------------------------------------------------------------------------------


def _saved(
    conference: Conference,
    turn: Turn,
    message: str,
    *,
    created: bool | None = None,
    order: list[int] | None = None,
    shown: dict | None = None,
):
    """Answer a save: the turn as screens show it, or a flashed message and the console.

    ``order`` is the new speaking order when the save moved other turns; ``shown``, the turn
    as screens were just told it, when the operation made that already.
    """
    if _wants_json():
        payload = {
            "ok": True,
            "turn": shown if shown is not None else operations.turn_payload(turn),
            "seq": conference.live_sequence,
            "message": message,
        }
        if created is not None:
            payload["created"] = created
        if order is not None:
            payload["order"] = order
        db.session.commit()
        return jsonify(payload)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".console", conference_id=conference.id))


def _refused(conference: Conference, error: DialogueError, *, field: str | None = None):
    """Answer an operation's refusal with its message; 409 when the stage forbids it."""
    db.session.rollback()
    stale = operations.SessionNotOpen | operations.OrderChanged | operations.SpeakerSettled
    status = 409 if isinstance(error, stale) else 400
    if _wants_json():
        body = {"ok": False, "message": error.message, "field": field or error.field}
        if isinstance(error, operations.SessionNotOpen):
            body["closed"] = True
        if isinstance(error, operations.OrderChanged):
            body["order"] = [turn.id for turn in operations.list_turns(conference)]
        return jsonify(body), status
    flash(error.message, "error")
    return redirect(url_for(".console", conference_id=conference.id))


def _invalid_form(conference: Conference, form, *, turn: Turn | None = None, status: int = 400):
    """Answer a form that did not validate: each message beside its field, nothing lost."""
    if _wants_json():
        # Every field's messages, in the order of the form's fields.
        errors = {
            name: [str(message) for message in messages] for name, messages in form.errors.items()
        }
        field = next(iter(errors), None)
        messages = [message for each in errors.values() for message in each]
        return jsonify(
            ok=False,
            message=" ".join(messages) or _("Check the form."),
            field=field,
            errors=errors,
            # JSON objects are sent with their keys sorted: the form's order, said apart.
            fields=list(errors),
        ), status
    return _render_console(conference, form=form, editing=turn, status=status)


def _form_refused(conference: Conference, form: TurnForm, error: DialogueError, *, turn=None):
    """An operation refused the form's turn: say why beside the field, keep what was typed."""
    db.session.rollback()
    if isinstance(error, operations.SessionNotOpen):
        if _wants_json():
            return _refused(conference, error)
        # The form stays on the page, read only in effect, so its text can be copied.
        form.form_errors.append(error.message)
        return _render_console(conference, form=form, editing=turn, status=409)
    field = form.error_field(error.field)
    if _wants_json():
        return jsonify(ok=False, message=error.message, field=field), 400
    if field is not None:
        form[field].errors = [*form[field].errors, error.message]
    else:
        form.form_errors.append(error.message)
    return _render_console(conference, form=form, editing=turn, status=400)


@bp.errorhandler(BadRequestBody)
def _bad_body(error: BadRequestBody):
    return jsonify(ok=False, message=error.message, field=None), 400


@bp.errorhandler(CSRFError)
def _csrf_failed(error: CSRFError):
    if _wants_json():
        return jsonify(
            ok=False,
            expired=True,
            message=_("The page has expired or you were signed out: reload the page."),
            field=None,
        ), 400
    # The same page as everywhere else, with what was typed kept for sending again.
    kept = [
        (name, value)
        for name, values in request.form.lists()
        for value in values
        if name != "csrf_token" and "password" not in name
    ]
    return render_template(
        "errors/csrf.html", kept_fields=kept, action=request.full_path.rstrip("?")
    ), 400


# -- the console page ---------------------------------------------------------------------------


def _optional_url(endpoint: str, **values) -> str | None:
    """The URL of a part that may not be installed (the live feed), or None."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _numbers(turns) -> dict[int, int]:
    """The number each turn is read out with: withdrawn turns keep their place uncounted."""
    numbers, count = {}, 0
    for turn in turns:
        if not turn.is_withdrawn:
            count += 1
            numbers[turn.id] = count
    return numbers


def _candidate_json(candidate: operations.Candidate) -> dict:
    return {
        "attendee_id": candidate.attendee_id,
        "name": candidate.name,
        "title": candidate.title,
        "label": candidate.label,
        "group_id": candidate.group_id,
        "group": candidate.group_name,
        "organisation": candidate.organisation,
        "official": candidate.is_official,
    }


def _closed_reason(conference: Conference) -> str | None:
    try:
        operations.ensure_session_open(conference)
    except operations.SessionNotOpen as error:
        return error.message
    return None


def _render_console(
    conference: Conference,
    *,
    form: TurnForm | None = None,
    editing: Turn | None = None,
    conflict: dict | None = None,
    status: int = 200,
):
    if form is None:
        form = _turn_form(data=_initial(conference, editing))
    _offer_choices(form, conference, editing)
    turns = operations.list_turns(conference)
    to_confirm = [
        turn
        for turn in turns
        if turn.speaker_match is SpeakerMatch.TO_CONFIRM and not turn.is_withdrawn
    ]
    officials = operations.answerer_candidates(conference)
    can_write = conference.can_log_questions(current_user)
    # A form refused because the session closed is shown again with what was typed.
    shows_form = can_write or (form.errors and records_turns(conference, current_user))
    data = {
        "seq": conference.live_sequence,
        "turns": [operations.turn_payload(turn) for turn in turns],
        "officials": [_candidate_json(candidate) for candidate in officials],
        "default_due": operations.default_due_date(conference).isoformat(),
    }
    return render_template(
        "live/console.html",
        conference=conference,
        form=form,
        editing=editing,
        conflict=conflict,
        turns=turns,
        numbers=_numbers(turns),
        officials=officials,
        can_write=can_write,
        shows_form=shows_form,
        records_turns=records_turns(conference, current_user),
        closed_reason=_closed_reason(conference),
        console_data=data,
        candidates={turn.id: operations.speaker_candidates_of(turn) for turn in to_confirm},
        names_to_confirm=len(to_confirm),
        stream_url=_optional_url("feed.staff_stream", conference_id=conference.id),
        snapshot_url=_optional_url("feed.staff_snapshot", conference_id=conference.id),
        screens=screen_links(conference),
    ), status


@bp.route("/")
@role_required(*READ_ROLES)
def console(conference_id: int):
    conference = _conference(conference_id)
    return _render_console(conference)


@bp.route("/service-worker.js")
@role_required(*READ_ROLES)
def service_worker(conference_id: int):
    """Serve the console's service worker from the console's path: its scope is that console.

    The script is kept with the console's static files; served from there, its scope would be
    the static files instead.
    """
    conference = _conference(conference_id)
    script = Path(current_app.static_folder, SERVICE_WORKER).read_bytes()
    response = make_response(script)
    response.mimetype = "text/javascript"
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = url_for(".console", conference_id=conference.id)
    return response


@bp.route("/turns.json")
@role_required(*READ_ROLES)
def turns(conference_id: int):
    """Every turn as the console lists it, and the number of the last change it includes."""
    conference = _conference(conference_id)
    return jsonify(
        ok=True,
        seq=conference.live_sequence,
        turns=[operations.turn_payload(turn) for turn in operations.list_turns(conference)],
    )


@bp.route("/turns/<int:turn_id>")
@role_required(*READ_ROLES)
def turn(conference_id: int, turn_id: int):
    """One turn: as JSON, or the console with the turn in the form for editing."""
    conference = _conference(conference_id)
    turn = _turn(conference, turn_id)
    if _wants_json():
        return jsonify(ok=True, turn=operations.turn_payload(turn), seq=conference.live_sequence)
    return _render_console(conference, editing=turn)


@bp.route("/attendees.json")
@role_required(*READ_ROLES)
def attendees(conference_id: int):
    """People to pick as the speaker (checked in) or as the answerer (leaders first)."""
    conference = _conference(conference_id)
    term = (request.args.get("q") or "")[:100]
    if request.args.get("for") == "answerer":
        candidates = operations.answerer_candidates(conference, term)
    else:
        candidates = operations.speaker_candidates(conference, term)
    return jsonify(query=term, people=[_candidate_json(candidate) for candidate in candidates])


# -- saving turns -------------------------------------------------------------------------------


@bp.route("/turns", methods=["POST"])
@role_required(*WRITE_ROLES)
def create_turn(conference_id: int):
    conference = _conference(conference_id)
    _authorise_write(conference)
    form = _turn_form(formdata=_formdata())
    if not form.validate():
        return _invalid_form(conference, form)
    client_key = form.client_key.data or None
    try:
        logged = operations.log_turn(
            conference, form.to_data(), by=current_user, client_key=client_key
        )
    except DialogueError as error:
        return _form_refused(conference, form, error)
    except IntegrityError:
        # The same turn sent twice at the same moment: the other request saved it.
        db.session.rollback()
        existing = operations.find_by_client_key(conference, client_key)
        if existing is None:
            raise
        logged = operations.Logged(existing, created=False)
    message = (
        _("The turn has been saved.")
        if logged.created
        else _("This turn had already been saved; it was not added twice.")
    )
    return _saved(
        conference,
        logged.turn,
        message,
        created=logged.created,
        order=logged.order,
        shown=logged.payload,
    )


@bp.route("/turns/<int:turn_id>", methods=["POST"])
@role_required(*WRITE_ROLES)
def update_turn(conference_id: int, turn_id: int):
    conference = _conference(conference_id)
    turn = _turn(conference, turn_id)
    _authorise_write(conference)
    formdata = _formdata()
    form = _turn_form(formdata=formdata)
    if not form.validate():
        return _invalid_form(conference, form, turn=turn)
    if form.version.data is None:
        form.version.errors = [_("The form has no version number: reload the page.")]
        return _invalid_form(conference, form, turn=turn)
    try:
        turn = operations.update_turn(
            turn, form.to_data(), by=current_user, expected_version=form.version.data
        )
    except operations.TurnConflict as conflict:
        db.session.rollback()
        return _conflict(conference, form, formdata, conflict)
    except DialogueError as error:
        return _form_refused(conference, form, error, turn=turn)
    return _saved(conference, turn, _("The turn has been updated."))


def _conflict(conference, form: TurnForm, formdata, conflict: operations.TurnConflict):
    """Show both versions; the secretary's stays in the form, ready to be saved again."""
    theirs = operations.turn_payload(conflict.turn)
    if _wants_json():
        return jsonify(
            ok=False,
            conflict=True,
            message=conflict.message,
            mine=_sent_fields(formdata),
            theirs=theirs,
            field=None,
        ), 409
    # Saving the form again now keeps this version over theirs: it is based on theirs.
    form.version.data = conflict.turn.version
    form.version.raw_data = [str(conflict.turn.version)]
    form.form_errors.append(conflict.message)
    return _render_console(
        conference, form=form, editing=conflict.turn, conflict=theirs, status=409
    )


@bp.route("/turns/<int:turn_id>/speaker", methods=["POST"])
@role_required(*WRITE_ROLES)
def confirm_speaker(conference_id: int, turn_id: int):
    """Settle a speaker's name typed offline: one of the candidates, or the name as typed."""
    conference = _conference(conference_id)
    turn = _turn(conference, turn_id)
    _authorise_write(conference)
    form = ConfirmSpeakerForm(formdata=_formdata())
    if not form.validate():
        raise BadRequestBody(_("Choose the person, or keep the name as typed."))
    try:
        turn = operations.confirm_speaker(turn, form.chosen_attendee_id(), by=current_user)
    except DialogueError as error:
        return _refused(conference, error)
    message = (
        _("The name is kept as typed.")
        if turn.speaker_attendee_id is None
        else _("The speaker is %(name)s.", name=turn.speaker_name)
    )
    return _saved(conference, turn, message)


@bp.route("/turns/<int:turn_id>/withdraw", methods=["POST"])
@role_required(*WRITE_ROLES)
def withdraw_turn(conference_id: int, turn_id: int):
    conference = _conference(conference_id)
    turn = _turn(conference, turn_id)
    _authorise_write(conference)
    form = WithdrawForm(formdata=_formdata())
    if not form.validate():
        if _wants_json():
            return _invalid_form(conference, form)
        flash(" ".join(str(error) for error in form.reason.errors), "error")
        return redirect(url_for(".console", conference_id=conference.id))
    try:
        turn = operations.withdraw_turn(turn, form.reason.data, by=current_user)
    except DialogueError as error:
        return _refused(conference, error)
    return _saved(conference, turn, _("The turn has been withdrawn; it stays in the list."))


@bp.route("/turns/<int:turn_id>/restore", methods=["POST"])
@role_required(*WRITE_ROLES)
def restore_turn(conference_id: int, turn_id: int):
    conference = _conference(conference_id)
    turn = _turn(conference, turn_id)
    _authorise_write(conference)
    try:
        turn = operations.restore_turn(turn, by=current_user)
    except DialogueError as error:
        return _refused(conference, error)
    return _saved(conference, turn, _("The turn is back in the record."))


@bp.route("/turns/order", methods=["POST"])
@role_required(*WRITE_ROLES)
def reorder_turns(conference_id: int):
    """A new speaking order: every turn's id in order (JSON ``order``), or one turn moved."""
    conference = _conference(conference_id)
    _authorise_write(conference)
    body = request.get_json(silent=True) if request.is_json else None
    try:
        if isinstance(body, dict) and isinstance(body.get("order"), list):
            try:
                ids = [int(ident) for ident in body["order"]]
            except (TypeError, ValueError):
                raise BadRequestBody(_("The new order is not a list of turns.")) from None
            ordered = operations.reorder_turns(conference, ids, by=current_user)
        else:
            form = MoveForm(formdata=_formdata())
            if not form.validate():
                raise BadRequestBody(_("Choose a turn and where to move it."))
            moved = _turn(conference, form.turn_id.data)
            offset = -1 if form.direction.data == "up" else 1
            ordered = operations.move_turn(moved, offset, by=current_user)
    except DialogueError as error:
        return _refused(conference, error)
    if _wants_json():
        payload = {
            "ok": True,
            "order": [turn.id for turn in ordered],
            "turns": [operations.turn_payload(turn) for turn in ordered],
            "seq": conference.live_sequence,
        }
        db.session.commit()
        return jsonify(payload)
    db.session.commit()
    flash(_("The speaking order has been changed."), "success")
    return redirect(url_for(".console", conference_id=conference.id))


@bp.app_template_global("console_link")
def console_link(conference: Conference) -> dict | None:
    """What the conference page says about the console, for those who may open it."""
    if not current_user.is_authenticated or not current_user.has_role(*READ_ROLES):
        return None
    if conference.status not in {
        ConferenceStatus.ANNOUNCED,
        ConferenceStatus.IN_PROGRESS,
        ConferenceStatus.CLOSED,
        ConferenceStatus.PUBLISHED,
    }:
        return None
    return {
        "url": url_for("live.console", conference_id=conference.id),
        "is_open": conference.status is ConferenceStatus.IN_PROGRESS,
        "can_write": conference.can_log_questions(current_user),
        "count": db.session.scalar(
            db.select(db.func.count(Turn.id)).where(
                Turn.conference_id == conference.id, Turn.withdrawn_dt.is_(None)
            )
        ),
    }


# States in which the hall's screens follow a conference (after closing: its conclusion).
SCREEN_STATUSES = frozenset(
    {ConferenceStatus.ANNOUNCED, ConferenceStatus.IN_PROGRESS, ConferenceStatus.CLOSED}
)


@bp.app_template_global("screen_links")
def screen_links(conference: Conference) -> dict | None:
    """The hall's screens of ``conference`` for staff: the projector, residents' live page."""
    if (
        conference.status not in SCREEN_STATUSES
        or not conference.is_public
        or conference.is_recorded_afterwards
    ):
        return None
    values = {"ward_slug": conference.ward.slug, "conference_id": conference.id}
    projector = _optional_url("feed.projector", **values)
    live_page = _optional_url("feed.live_page", **values)
    if projector is None or live_page is None:
        return None
    from dialogue.feed.operations import live_page_address

    return {
        "projector": projector,
        "live_page": live_page,
        "live_page_address": live_page_address(conference),
        "hall_qr": url_for("live.screens", conference_id=conference.id),
    }


@bp.route("/screens")
@role_required(*READ_ROLES)
def screens(conference_id: int):
    """The QR code of residents' live page, large, to show on the hall's screen or print."""
    conference = _conference(conference_id)
    links = screen_links(conference)
    if links is None:
        abort(404)
    from dialogue.feed.operations import qr_image

    return render_template(
        "live/screens.html",
        conference=conference,
        links=links,
        qr_image=qr_image(links["live_page_address"]),
    )
