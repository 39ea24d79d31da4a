"""The check-in desk at the door, its live counts, and the sign-in sheet.

Every action works as a plain form (Post/Redirect/Get with a flashed message) and, for the
desk's script, as JSON: a request that asks for ``application/json`` gets the same outcome as
``{"ok", "level", "message", ...}`` instead of a redirect.
"""

from __future__ import annotations

import hashlib
import json

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from dialogue.attendance import operations, sheets
from dialogue.attendance.forms import (
    CodeForm,
    ConfirmForm,
    MarkForm,
    SearchForm,
    TallyForm,
    WalkInForm,
)
from dialogue.attendance.models import AttendanceStatus, Attendee, CheckInMethod
from dialogue.auth.access import role_required
from dialogue.auth.models import Role
from dialogue.conferences.models import Conference
from dialogue.core.locale import current_locale
from dialogue.core.responses import wants_json
from dialogue.core.scoping import get_scoped_or_404
from dialogue.errors import DialogueError
from dialogue.extensions import db
from dialogue.people.models import Person

bp = Blueprint("attendance", __name__, url_prefix="/conferences/<int:conference_id>/attendance")

DESK_ROLES = (Role.ORGANISER, Role.SECRETARY)
LATEST_LIMIT = 15


def _conference(conference_id: int) -> Conference:
    return get_scoped_or_404(Conference, conference_id)


def _attendee(conference: Conference, attendee_id: int) -> Attendee:
    attendee = get_scoped_or_404(Attendee, attendee_id)
    if attendee.conference_id != conference.id:
        abort(404)
    return attendee


def _can_run_desk(user) -> bool:
    return user.is_authenticated and user.has_role(*DESK_ROLES)


@bp.app_template_global("attendance_summary")
def attendance_summary(conference: Conference) -> dict:
    """What the conference page's attendance panel shows."""
    counts = operations.count_attendance(conference, locale=current_locale())
    return {
        "total": counts.total,
        "desk_open": operations.desk_is_open(conference),
        "can_run_desk": _can_run_desk(current_user),
    }


# -- what the desk shows ------------------------------------------------------------------------


def _detail(attendee_or_person) -> str:
    group = attendee_or_person.residential_group
    parts = [attendee_or_person.title, attendee_or_person.organisation, group.name if group else ""]
    return " · ".join(part for part in parts if part)


def _attendee_json(conference: Conference, attendee: Attendee) -> dict:
    return {
        "id": attendee.id,
        "name": attendee.full_name,
        "detail": _detail(attendee),
        "status": attendee.status.value,
        "status_title": str(attendee.status.title),
        "time": operations.check_in_time(attendee),
        "by": attendee.checked_in_by.display_name if attendee.checked_in_by else "",
        "invited": attendee.is_invited,
        "mark_url": url_for(".mark", conference_id=conference.id, attendee_id=attendee.id),
        "undo_url": url_for(".undo", conference_id=conference.id, attendee_id=attendee.id),
        "undo_label": _("Undo") if attendee.is_invited else _("Remove"),
    }


def _person_json(conference: Conference, person: Person) -> dict:
    return {
        "id": person.id,
        "name": person.full_name,
        "detail": _detail(person),
        "check_in_url": url_for(
            ".check_in_person", conference_id=conference.id, person_id=person.id
        ),
    }


def _snapshot(conference: Conference) -> dict:
    counts = operations.count_attendance(conference, locale=current_locale())
    latest = operations.latest_check_ins(conference, limit=LATEST_LIMIT)
    return {
        "open": operations.desk_is_open(conference),
        "counts": counts.as_dict(),
        "latest": [_attendee_json(conference, attendee) for attendee in latest],
    }


def _render_desk(
    conference: Conference,
    *,
    code_form: CodeForm | None = None,
    walk_in_form: WalkInForm | None = None,
    duplicate: Attendee | None = None,
    status: int = 200,
):
    search_form = SearchForm(formdata=request.args)
    term = search_form.q.data if search_form.validate() else ""
    term = term or ""
    results = operations.search_list(conference, term) if term else []
    directory = operations.search_directory(conference, term) if term else []
    counts = operations.count_attendance(conference, locale=current_locale())
    return render_template(
        "attendance/desk.html",
        conference=conference,
        code_form=code_form or CodeForm(formdata=None),
        search_form=search_form,
        term=term,
        results=results,
        directory=directory,
        walk_in_form=walk_in_form or _walk_in_form(conference, formdata=None),
        duplicate=duplicate,
        latest=operations.latest_check_ins(conference, limit=LATEST_LIMIT),
        counts=counts,
        desk_open=operations.desk_is_open(conference),
        closed_reason=operations.closed_reason(conference),
        check_in_time=operations.check_in_time,
        detail=_detail,
    ), status


def _walk_in_form(conference: Conference, **kwargs) -> WalkInForm:
    ward = conference.ward
    categories = [category for category in ward.delegate_categories if category.is_active]
    residents = next((c for c in categories if c.code == operations.RESIDENTS_CODE), None)
    return WalkInForm(
        groups=ward.residential_groups,
        categories=categories,
        locale=current_locale(),
        delegate_category_id=residents.id if residents else 0,
        **kwargs,
    )


def _outcome(conference: Conference, message: str, level: str, *, attendee=None, status=200):
    """Answer an action: JSON for the desk's script, else flash and back to the desk."""
    if wants_json():
        payload = {"ok": level != "error", "level": level, "message": message}
        if attendee is not None:
            payload["attendee"] = _attendee_json(conference, attendee)
        return jsonify(payload), status
    flash(message, level)
    return redirect(url_for(".desk", conference_id=conference.id))


def _marked_message(marked: operations.Marked) -> tuple[str, str]:
    attendee = marked.attendee
    name = attendee.full_name
    if not marked.changed:
        time = operations.check_in_time(attendee)
        if attendee.status is AttendanceStatus.EXCUSED:
            return _("%(name)s was already marked excused at %(time)s.", name=name, time=time), (
                "info"
            )
        return _("%(name)s was already checked in at %(time)s.", name=name, time=time), "info"
    if attendee.status is AttendanceStatus.EXCUSED:
        return _("%(name)s is marked excused.", name=name), "success"
    if marked.added:
        return _("%(name)s was not on the list: added and checked in.", name=name), "success"
    return _("%(name)s is checked in.", name=name), "success"


# -- pages --------------------------------------------------------------------------------------


@bp.route("/")
@role_required(*DESK_ROLES)
def desk(conference_id: int):
    conference = _conference(conference_id)
    return _render_desk(conference)


@bp.route("/counts")
@role_required(*DESK_ROLES)
def counts(conference_id: int):
    conference = _conference(conference_id)
    return render_template(
        "attendance/counts.html",
        conference=conference,
        counts=operations.count_attendance(conference, locale=current_locale()),
    )


@bp.route("/tallies", methods=["GET", "POST"])
@role_required(*DESK_ROLES)
def tallies(conference_id: int):
    """Head counts from paper sign-in sheets, by group and by category (keyboard: Tab, Enter)."""
    conference = _conference(conference_id)
    ward = conference.ward
    groups = list(ward.residential_groups)
    categories = list(ward.delegate_categories)
    entered = {t.key: (t.invited, t.present) for t in operations.tallies_of(conference)}
    initial = None
    if request.method == "GET":
        initial = TallyForm.initial_data(
            [(g.id, *entered.get(("group", g.id), (0, 0))) for g in groups],
            [(c.id, *entered.get(("category", c.id), (0, 0))) for c in categories],
        )
    form = TallyForm(data=initial)
    status = 200
    if form.validate_on_submit():
        try:
            operations.set_tallies(conference, form.to_data())
        except DialogueError as error:
            db.session.rollback()
            flash(error.message, "error")
            status = 400
        else:
            db.session.commit()
            flash(_("The attendance counts have been saved."), "success")
            return redirect(url_for(".counts", conference_id=conference.id))
    elif form.errors:
        status = 400
    labels = {
        "groups": {g.id: g.name for g in groups},
        "categories": {c.id: c.name_for(current_locale()) for c in categories},
    }
    return render_template(
        "attendance/tallies.html",
        conference=conference,
        form=form,
        labels=labels,
        may_change=conference.status in operations.TALLY_STATES,
    ), status


@bp.route("/sign-in-sheet.pdf")
@role_required(*DESK_ROLES)
def sign_in_sheet(conference_id: int):
    conference = _conference(conference_id)
    content = sheets.render_sign_in_sheet(conference)
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'inline; filename="danh-sach-dai-bieu-{conference.id}.pdf"'
    )
    return response


# -- what the desk's script asks ----------------------------------------------------------------


@bp.route("/search.json")
@role_required(*DESK_ROLES)
def search(conference_id: int):
    conference = _conference(conference_id)
    form = SearchForm(formdata=request.args)
    term = (form.q.data or "") if form.validate() else ""
    return jsonify(
        query=term,
        attendees=[
            _attendee_json(conference, attendee)
            for attendee in operations.search_list(conference, term)
        ],
        people=[
            _person_json(conference, person)
            for person in operations.search_directory(conference, term)
        ],
    )


@bp.route("/live.json")
@role_required(*DESK_ROLES)
def live(conference_id: int):
    """The counts and the latest check-ins; 304 when nothing changed since the client's ETag.

    The ETag is a digest of the answer itself: a check-in committed by another desk a moment
    after a newer one still changes it, which a timestamp-based tag could miss.
    """
    conference = _conference(conference_id)
    snapshot = _snapshot(conference)
    body = json.dumps(snapshot, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    etag = hashlib.sha256(body.encode()).hexdigest()[:32]
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        response = Response(body, mimetype="application/json")
    response.set_etag(etag)
    return response


# -- actions ------------------------------------------------------------------------------------


@bp.route("/code", methods=["POST"])
@role_required(*DESK_ROLES)
def check_in_code(conference_id: int):
    conference = _conference(conference_id)
    form = CodeForm()
    status = 400
    if form.validate_on_submit():
        try:
            marked = operations.check_in_code(conference, form.token.data, by=current_user)
        except DialogueError as error:
            db.session.rollback()
            status = _status_of(error)
            form.token.errors = [*form.token.errors, error.message]
        else:
            # The answer is built from what is in memory, then the change is committed: the
            # queue at the door waits for neither a reload nor a second transaction.
            message, level = _marked_message(marked)
            response = _outcome(conference, message, level, attendee=marked.attendee)
            db.session.commit()
            return response
    if wants_json():
        return _outcome(conference, " ".join(form.token.errors), "error", status=status)
    # The box is emptied for the next scan; the message beside it says what was wrong.
    form.token.raw_data = []
    form.token.data = ""
    return _render_desk(conference, code_form=form, status=status)


def _status_of(error: DialogueError) -> int:
    """409 when the conference's stage forbids the action, 400 for bad input."""
    return 409 if isinstance(error, operations.CheckInClosed) else 400


@bp.route("/attendees/<int:attendee_id>/mark", methods=["POST"])
@role_required(*DESK_ROLES)
def mark(conference_id: int, attendee_id: int):
    conference = _conference(conference_id)
    attendee = _attendee(conference, attendee_id)
    form = MarkForm()
    if not form.validate_on_submit():
        return _outcome(conference, _("Choose present or excused."), "error", status=400)
    try:
        marked = operations.mark(
            conference,
            attendee,
            by=current_user,
            method=CheckInMethod.NAME,
            status=AttendanceStatus(form.status.data),
        )
    except DialogueError as error:
        db.session.rollback()
        return _outcome(conference, error.message, "error", status=_status_of(error))
    db.session.commit()
    message, level = _marked_message(marked)
    return _outcome(conference, message, level, attendee=marked.attendee)


@bp.route("/attendees/<int:attendee_id>/undo", methods=["POST"])
@role_required(*DESK_ROLES)
def undo(conference_id: int, attendee_id: int):
    conference = _conference(conference_id)
    attendee = _attendee(conference, attendee_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _outcome(
            conference, _("The form has expired: reload the page."), "error", status=400
        )
    try:
        undone = operations.undo(conference, attendee, by=current_user)
    except DialogueError as error:
        db.session.rollback()
        return _outcome(conference, error.message, "error", status=_status_of(error))
    db.session.commit()
    if undone.removed:
        return _outcome(
            conference,
            _("%(name)s has been removed from the list.", name=undone.full_name),
            "success",
        )
    if not undone.changed:
        return _outcome(
            conference, _("%(name)s was not checked in.", name=undone.full_name), "info"
        )
    return _outcome(
        conference, _("%(name)s is no longer checked in.", name=undone.full_name), "success"
    )


@bp.route("/people/<int:person_id>/check-in", methods=["POST"])
@role_required(*DESK_ROLES)
def check_in_person(conference_id: int, person_id: int):
    conference = _conference(conference_id)
    person = get_scoped_or_404(Person, person_id)
    if person.ward_id != conference.ward_id:
        abort(404)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _outcome(
            conference, _("The form has expired: reload the page."), "error", status=400
        )
    try:
        marked = operations.check_in_person(conference, person, by=current_user)
    except DialogueError as error:
        db.session.rollback()
        return _outcome(conference, error.message, "error", status=_status_of(error))
    db.session.commit()
    message, level = _marked_message(marked)
    return _outcome(conference, message, level, attendee=marked.attendee)


@bp.route("/walk-ins", methods=["POST"])
@role_required(*DESK_ROLES)
def walk_in(conference_id: int):
    conference = _conference(conference_id)
    form = _walk_in_form(conference)
    duplicate = None
    status = 400
    if form.validate_on_submit():
        try:
            attendee = operations.add_walk_in(conference, form.to_data(), by=current_user)
        except operations.DuplicateWalkIn as error:
            db.session.rollback()
            duplicate = error.existing
            form.full_name.errors = [*form.full_name.errors, error.message]
        except DialogueError as error:
            db.session.rollback()
            status = _status_of(error)
            target = form._fields.get(error.field) if error.field else None
            if target is not None:
                target.errors = [*target.errors, error.message]
            else:
                form.form_errors.append(error.message)
        else:
            db.session.commit()
            message = _(
                "%(name)s has been added as a walk-in and checked in.", name=attendee.full_name
            )
            return _outcome(conference, message, "success", attendee=attendee)
    if wants_json():
        return jsonify(
            ok=False,
            level="error",
            message=_("Please correct the fields marked below."),
            errors={name or "form": list(errors) for name, errors in form.errors.items()},
            duplicate=duplicate is not None,
        ), status
    return _render_desk(conference, walk_in_form=form, duplicate=duplicate, status=status)
