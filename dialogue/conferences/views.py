"""Conferences: the list, the organiser's hub, planning, the agenda and the changes of state."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from dialogue.auth.access import login_required, role_required
from dialogue.auth.models import Role, User
from dialogue.conferences import operations
from dialogue.conferences.forms import (
    AgendaItemForm,
    AnnounceForm,
    CancelForm,
    ConferenceForm,
    MoveAgendaItemForm,
    RecordForm,
    ReorderAgendaForm,
    StartForm,
)
from dialogue.conferences.models import NOTICE_DAYS, AgendaItem, Conference, ConferenceStatus
from dialogue.core.forms import show_error
from dialogue.core.ids import MAX_ID
from dialogue.core.locale import current_locale
from dialogue.core.scoping import current_ward, get_scoped_or_404, scoped_select
from dialogue.core.search import search_condition
from dialogue.core.text import fold
from dialogue.errors import DialogueError, InvalidTransition
from dialogue.extensions import db
from dialogue.live import closing
from dialogue.live.closing_forms import BLANK_ROWS, CloseForm, ConclusionForm
from dialogue.people.models import Person
from dialogue.wards.models import DelegateCategory, Unit

bp = Blueprint("conferences", __name__, url_prefix="/conferences")

# The people a chair, co-chair or reporter usually is: offered first, and without JavaScript.
LEADER_CATEGORY_CODES = ("DANG_UY", "TT_HDND", "UBND", "MTTQ")
SEARCH_LIMIT = 20


def _can_plan() -> bool:
    return current_user.has_role(Role.ORGANISER)


# -- choices for the pickers --------------------------------------------------------------------
# The ward is the one of the conference being planned (an administrator may plan in any
# ward), or the working ward for a new conference; both come out of the scoping module.


def _int_values(*values) -> list[int]:
    ids = []
    for value in values:
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if 0 < number <= MAX_ID:  # a larger one is no one, and no database takes it
            ids.append(number)
    return ids


def _posted_person_ids() -> list[int]:
    """People named in the submitted form: those found by search are not among the leaders."""
    if request.method != "POST":
        return []
    return _int_values(
        request.form.get("chair_id"),
        request.form.get("reporter_id"),
        *request.form.getlist("cochair_ids"),
    )


def _picker_people(ward, chosen_ids) -> list[Person]:
    """The leaders of the ward (UBND, TT_HDND, MTTQ, Đảng ủy), then anyone already chosen."""
    leaders = db.session.scalars(
        sa.select(Person)
        .join(Person.delegate_category)
        .where(Person.ward_id == ward.id, DelegateCategory.code.in_(LEADER_CATEGORY_CODES))
        .order_by(DelegateCategory.position, Person.search_text, Person.id)
    ).all()
    known = {person.id for person in leaders}
    extra = [person_id for person_id in chosen_ids if person_id not in known]
    others = []
    if extra:
        others = db.session.scalars(
            sa.select(Person)
            .where(Person.ward_id == ward.id, Person.id.in_(extra))
            .order_by(Person.search_text, Person.id)
        ).all()
    return [*leaders, *others]


def _secretary_candidates(ward, conference: Conference | None) -> list[User]:
    staff = db.session.scalars(
        sa.select(User)
        .where(
            User.ward_id == ward.id,
            User.is_active,
            User.role.in_(operations.SECRETARY_ROLES),
        )
        .order_by(User.display_name, User.id)
    ).all()
    # Keep those already assigned, even if their account changed since: the form shows them.
    assigned = [
        user for user in (conference.secretaries if conference else []) if user not in staff
    ]
    return [*staff, *assigned]


def _plan_form(ward, conference: Conference | None = None, *, held: bool = False) -> ConferenceForm:
    """The plan's form; for a conference held already (``held``), with its end and paper dates."""
    form_class = RecordForm if held else ConferenceForm
    chosen = _posted_person_ids()
    if conference is not None:
        chosen += _int_values(
            conference.chair_id,
            conference.reporter_id,
            *(person.id for person in conference.cochairs),
        )
    initial = (
        form_class.initial_data(conference)
        if conference is not None and request.method == "GET"
        else None
    )
    return form_class(
        data=initial,
        people=_picker_people(ward, chosen),
        staff=_secretary_candidates(ward, conference),
    )


@bp.route("/people.json")
@role_required(Role.ORGANISER)
def people_search():
    """Find people of the directory for a picker, ignoring diacritics; leaders first."""
    term = request.args.get("q", "")[:100]
    if not fold(term):
        return jsonify(results=[])
    leader_first = sa.case((DelegateCategory.code.in_(LEADER_CATEGORY_CODES), 0), else_=1)
    rows = db.session.scalars(
        scoped_select(Person)
        .outerjoin(Person.delegate_category)
        .options(selectinload(Person.delegate_category), selectinload(Person.residential_group))
        .where(search_condition(Person, term))
        .order_by(leader_first, Person.search_text, Person.id)
        .limit(SEARCH_LIMIT)
    ).all()
    locale = current_locale()
    results = []
    for person in rows:
        detail = [person.organisation] if person.organisation else []
        if person.residential_group:
            detail.append(person.residential_group.name)
        if person.delegate_category:
            detail.append(person.delegate_category.name_for(locale))
        results.append({"id": person.id, "label": person.label, "detail": " · ".join(detail)})
    return jsonify(results=results)


# -- the list and the hub -----------------------------------------------------------------------


@bp.route("/")
@login_required
def index():
    status = request.args.get("status", "")
    stmt = scoped_select(Conference).order_by(Conference.start_dt.desc())
    if status in {s.value for s in ConferenceStatus}:
        stmt = stmt.where(Conference.status == ConferenceStatus(status))
    page = db.paginate(stmt, per_page=25, error_out=False)
    return render_template(
        "conferences/index.html",
        page=page,
        statuses=list(ConferenceStatus),
        status=status,
        can_plan=_can_plan(),
    )


@bp.route("/<int:conference_id>")
@login_required
def detail(conference_id: int):
    conference = get_scoped_or_404(Conference, conference_id)
    return render_template(
        "conferences/detail.html",
        conference=conference,
        can_plan=conference.can_plan(current_user),
        announce_form=AnnounceForm(formdata=None),
        cancel_form=CancelForm(formdata=None),
        notice_days=NOTICE_DAYS,
        can_undo_start=operations.can_undo_start(conference),
    )


# -- planning -----------------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def create():
    ward = current_ward()
    form = _plan_form(ward)
    if form.validate_on_submit():
        try:
            conference = operations.create_conference(ward, form.to_plan(ward))
        except DialogueError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(
                _(
                    "“%(title)s” has been planned as a draft. Add its agenda, then announce it.",
                    title=conference.title,
                ),
                "success",
            )
            return redirect(url_for(".detail", conference_id=conference.id))
    return render_template(
        "conferences/create.html", form=form, ward=ward
    ), 400 if form.errors else 200


@bp.route("/record", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def record():
    """Type in a conference held already, from its paper file."""
    ward = current_ward()
    form = _plan_form(ward, held=True)
    if form.validate_on_submit():
        try:
            conference = operations.record_held_conference(
                ward, form.to_plan(ward), form.to_record()
            )
        except DialogueError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(
                _(
                    "“%(title)s” has been recorded. Enter its attendance and its turns, then "
                    "close it with the chair's conclusion.",
                    title=conference.title,
                ),
                "success",
            )
            return redirect(url_for(".detail", conference_id=conference.id))
    return render_template(
        "conferences/record.html", form=form, ward=ward
    ), 400 if form.errors else 200


def _typed_values(form) -> list[tuple[str, str]]:
    """What the user typed into ``form``, as label and text, choices shown by their names."""
    kept = []
    for field in form:
        if field.name == "csrf_token" or not field.raw_data:
            continue
        choices = getattr(field, "choices", None)
        names = {str(choice.value): choice.label for choice in choices} if choices else {}
        values = [value for value in field.raw_data if value and not (names and value == "0")]
        if values:
            kept.append((field.label.text, ", ".join(str(names.get(v, v)) for v in values)))
    return kept


def _locked_page(template: str, conference: Conference, typed=None, **context):
    """Say that the conference can no longer change; show what was typed, offer no form."""
    message = _(
        "This conference is “%(status)s”: its plan can no longer be changed.",
        status=conference.status.title,
    )
    kept = _typed_values(typed) if typed is not None and request.method == "POST" else []
    status = 409 if request.method == "POST" else 200
    return render_template(
        template, conference=conference, form=None, locked_message=message, kept=kept, **context
    ), status


@bp.route("/<int:conference_id>/edit", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def edit(conference_id: int):
    conference = get_scoped_or_404(Conference, conference_id)
    ward = conference.ward
    form = _plan_form(ward, conference, held=conference.is_recorded_afterwards)
    if not conference.is_editable:
        return _locked_page("conferences/edit.html", conference, form)
    if form.validate_on_submit():
        was_announced = conference.status is ConferenceStatus.ANNOUNCED
        try:
            changed = operations.update_conference(conference, form.to_plan(ward))
            if conference.is_recorded_afterwards:
                operations.update_held_dates(conference, form.to_record())
        except DialogueError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The plan has been saved."), "success")
            if was_announced and changed:
                flash(
                    _(
                        "The public notice now shows the new date, time or venue. "
                        "Tell the people already invited."
                    ),
                    "warning",
                )
            return redirect(url_for(".detail", conference_id=conference.id))
    return render_template(
        "conferences/edit.html",
        conference=conference,
        form=form,
        notice_days=NOTICE_DAYS,
    ), 400 if form.errors else 200


# -- the agenda ---------------------------------------------------------------------------------


def _get_item_or_404(conference: Conference, item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.conference_id != conference.id:
        abort(404)
    return item


def _agenda_url(conference: Conference, item: AgendaItem | None = None) -> str:
    anchor = f"item-{item.id}" if item is not None else "agenda"
    return url_for(".agenda", conference_id=conference.id, _anchor=anchor)


def _render_agenda(conference: Conference, form: AgendaItemForm):
    if not conference.is_editable:
        return _locked_page("conferences/agenda.html", conference, form)
    return render_template(
        "conferences/agenda.html", conference=conference, form=form, locked_message=None
    ), 400 if form.errors else 200


@bp.route("/<int:conference_id>/agenda", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def agenda(conference_id: int):
    conference = get_scoped_or_404(Conference, conference_id)
    form = AgendaItemForm()
    if conference.is_editable and form.validate_on_submit():
        try:
            item = operations.add_agenda_item(conference, form.to_data())
        except DialogueError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("“%(title)s” has been added to the agenda.", title=item.title), "success")
            return redirect(url_for(".agenda", conference_id=conference.id, _anchor="new-item"))
    return _render_agenda(conference, form)


@bp.route("/<int:conference_id>/agenda/<int:item_id>/edit", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def agenda_edit(conference_id: int, item_id: int):
    conference = get_scoped_or_404(Conference, conference_id)
    item = _get_item_or_404(conference, item_id)
    form = AgendaItemForm(obj=item if request.method == "GET" else None)
    if not conference.is_editable:
        return _locked_page("conferences/agenda_edit.html", conference, form, item=item)
    if form.validate_on_submit():
        try:
            operations.update_agenda_item(item, form.to_data())
        except DialogueError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The agenda item has been saved."), "success")
            return redirect(_agenda_url(conference, item))
    return render_template(
        "conferences/agenda_edit.html",
        conference=conference,
        item=item,
        form=form,
        locked_message=None,
    ), 400 if form.errors else 200


@bp.route("/<int:conference_id>/agenda/<int:item_id>/delete", methods=["POST"])
@role_required(Role.ORGANISER)
def agenda_delete(conference_id: int, item_id: int):
    conference = get_scoped_or_404(Conference, conference_id)
    item = _get_item_or_404(conference, item_id)
    title = item.title
    try:
        operations.remove_agenda_item(item)
    except DialogueError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("“%(title)s” has been removed from the agenda.", title=title), "success")
    return redirect(_agenda_url(conference))


@bp.route("/<int:conference_id>/agenda/<int:item_id>/move", methods=["POST"])
@role_required(Role.ORGANISER)
def agenda_move(conference_id: int, item_id: int):
    conference = get_scoped_or_404(Conference, conference_id)
    item = _get_item_or_404(conference, item_id)
    form = MoveAgendaItemForm()
    if not form.validate_on_submit():
        flash(_("Choose to move the item up or down."), "error")
        return redirect(_agenda_url(conference, item))
    try:
        moved = operations.move_agenda_item(item, form.step)
    except DialogueError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        if moved:
            flash(
                _(
                    "“%(title)s” is now item %(position)s.",
                    title=item.title,
                    position=item.position,
                ),
                "success",
            )
    return redirect(_agenda_url(conference, item))


@bp.route("/<int:conference_id>/agenda/order", methods=["POST"])
@role_required(Role.ORGANISER)
def agenda_reorder(conference_id: int):
    """Take the whole new order from the drag-and-drop script; answer in JSON."""
    conference = get_scoped_or_404(Conference, conference_id)
    form = ReorderAgendaForm()
    item_ids = form.item_ids() if form.validate_on_submit() else None
    if item_ids is None:
        return jsonify(ok=False, message=_("The new order could not be read.")), 400
    try:
        operations.reorder_agenda(conference, item_ids)
    except DialogueError as error:
        db.session.rollback()
        status = 409
        return jsonify(ok=False, message=error.message), status
    db.session.commit()
    return jsonify(
        ok=True,
        message=_("The new order has been saved."),
        order=[item.id for item in conference.agenda_items],
    )


# -- changes of state ---------------------------------------------------------------------------


def _back_to(conference: Conference):
    return redirect(url_for(".detail", conference_id=conference.id))


@bp.route("/<int:conference_id>/announce", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def announce(conference_id: int):
    conference = get_scoped_or_404(Conference, conference_id)
    form = AnnounceForm()
    status = 200
    if form.validate_on_submit():
        try:
            operations.announce_conference(
                conference,
                confirm_short_notice=form.confirm_short_notice.data,
                reason=form.short_notice_reason.data or "",
            )
        except DialogueError as error:
            show_error(form, error)
            status = 409 if isinstance(error, InvalidTransition) else 400
        else:
            db.session.commit()
            flash(_("The conference has been announced: its public notice is online."), "success")
            return _back_to(conference)
    elif form.errors:
        status = 400
    return render_template(
        "conferences/announce.html", conference=conference, form=form, notice_days=NOTICE_DAYS
    ), status


def _change_status(conference: Conference, target: ConferenceStatus, success: str):
    return _operate(conference, lambda: operations.change_status(conference, target), success)


def _operate(conference: Conference, operate, success: str):
    """Run ``operate``; commit and say ``success``, or undo and say why; back to the hub."""
    try:
        operate()
    except DialogueError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(success, "success")
    return _back_to(conference)


@bp.route("/<int:conference_id>/start", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def start(conference_id: int):
    """Start now; well before the planned time, the organiser confirms on this page first."""
    conference = get_scoped_or_404(Conference, conference_id)
    form = StartForm()
    status = 200
    if form.validate_on_submit():
        try:
            operations.start_conference(conference, confirm_early=form.confirm_early.data)
        except operations.EarlyStart as error:
            db.session.rollback()
            show_error(form, error)
        except DialogueError as error:
            db.session.rollback()
            flash(error.message, "error")
            return _back_to(conference)
        else:
            db.session.commit()
            flash(_("The conference has started."), "success")
            return _back_to(conference)
    elif form.errors:
        status = 400
    return render_template("conferences/start.html", conference=conference, form=form), status


@bp.route("/<int:conference_id>/undo-start", methods=["POST"])
@role_required(Role.ORGANISER)
def undo_start(conference_id: int):
    conference = get_scoped_or_404(Conference, conference_id)
    return _operate(
        conference,
        lambda: operations.undo_start(conference),
        _("The conference is announced again, as it was before it was started."),
    )


@bp.route("/<int:conference_id>/draft", methods=["POST"])
@role_required(Role.ORGANISER)
def back_to_draft(conference_id: int):
    conference = get_scoped_or_404(Conference, conference_id)
    return _change_status(
        conference,
        ConferenceStatus.DRAFT,
        _("The conference is a draft again: its public notice is offline."),
    )


@bp.route("/<int:conference_id>/cancel", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def cancel(conference_id: int):
    conference = get_scoped_or_404(Conference, conference_id)
    form = CancelForm()
    status = 200
    if form.validate_on_submit():
        try:
            operations.change_status(
                conference, ConferenceStatus.CANCELLED, reason=form.reason.data
            )
        except DialogueError as error:
            show_error(form, error)
            status = 409 if isinstance(error, InvalidTransition) else 400
        else:
            db.session.commit()
            flash(_("The conference has been cancelled."), "success")
            return _back_to(conference)
    elif form.errors:
        status = 400
    return render_template("conferences/cancel.html", conference=conference, form=form), status


# -- closing: the end, the chair's conclusion and its tasks -------------------------------------


def _task_units(conference: Conference) -> list[Unit]:
    """The ward's active units, and any unit a task already names (kept though retired)."""
    units = db.session.scalars(
        sa.select(Unit)
        .where(Unit.ward_id == conference.ward_id, Unit.is_active)
        .order_by(Unit.name, Unit.id)
    ).all()
    named = [
        task.unit
        for task in conference.conclusion_tasks
        if task.unit is not None and task.unit not in units
    ]
    return [*units, *named]


def _get_closable_or_404(conference_id: int) -> Conference:
    conference = get_scoped_or_404(Conference, conference_id)
    if not conference.can_close(current_user):
        abort(403)
    return conference


def _conclusion_page(template: str, conference: Conference, form, status: int, **context):
    console = "live.console" in current_app.view_functions
    return render_template(
        template,
        conference=conference,
        form=form,
        console_url=url_for("live.console", conference_id=conference.id) if console else None,
        **context,
    ), status


@bp.route("/<int:conference_id>/close", methods=["GET", "POST"])
@role_required(Role.ORGANISER, Role.CHAIR)
def close(conference_id: int):
    conference = _get_closable_or_404(conference_id)
    if request.method == "GET" and conference.has_editable_conclusion:
        return redirect(url_for(".conclusion", conference_id=conference.id))
    initial = (
        CloseForm.initial_data(conference, blank_rows=BLANK_ROWS)
        if request.method == "GET"
        else None
    )
    form = CloseForm(data=initial, units=_task_units(conference))
    status = 200
    if request.method == "POST" and form.change_rows(request.form):
        pass  # a row was added or removed: the same page again, nothing saved
    elif form.validate_on_submit():
        try:
            closing.close_conference(
                conference, form.to_data(conference), confirm_pending=form.confirm_pending.data
            )
        except DialogueError as error:
            form.show_error(error)
            status = 409 if isinstance(error, InvalidTransition) else 400
        else:
            db.session.commit()
            flash(
                _("The conference is closed. The screens in the hall show the conclusion."),
                "success",
            )
            return _back_to(conference)
    elif form.errors:
        status = 400
    in_progress = conference.status is ConferenceStatus.IN_PROGRESS
    pending = closing.pending_turns(conference) if in_progress else []
    return _conclusion_page("conferences/close.html", conference, form, status, pending=pending)


@bp.route("/<int:conference_id>/conclusion", methods=["GET", "POST"])
@role_required(Role.ORGANISER, Role.CHAIR)
def conclusion(conference_id: int):
    conference = _get_closable_or_404(conference_id)
    if request.method == "GET" and conference.status is ConferenceStatus.IN_PROGRESS:
        return redirect(url_for(".close", conference_id=conference.id))
    initial = ConclusionForm.initial_data(conference) if request.method == "GET" else None
    form = ConclusionForm(data=initial, units=_task_units(conference))
    status = 200
    if request.method == "POST" and form.change_rows(request.form):
        pass
    elif form.validate_on_submit():
        try:
            closing.update_conclusion(conference, form.to_data(conference))
        except DialogueError as error:
            form.show_error(error)
            status = 409 if isinstance(error, InvalidTransition) else 400
        else:
            db.session.commit()
            flash(_("The conclusion and its tasks have been saved."), "success")
            return redirect(url_for(".detail", conference_id=conference.id, _anchor="conclusion"))
    elif form.errors:
        status = 400
    return _conclusion_page("conferences/conclusion.html", conference, form, status)
