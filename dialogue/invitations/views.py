"""The organiser's invitation list of a conference and its letters (giấy mời)."""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from dialogue.attendance.models import Attendee
from dialogue.auth.access import role_required
from dialogue.auth.models import Role
from dialogue.conferences.models import Conference
from dialogue.core.dates import to_local
from dialogue.core.forms import show_error
from dialogue.core.locale import current_locale
from dialogue.core.scoping import get_scoped_or_404
from dialogue.errors import DialogueError
from dialogue.extensions import db
from dialogue.invitations import letters, operations
from dialogue.invitations.forms import (
    InviteCategoryForm,
    InviteGroupForm,
    InvitePersonForm,
    PersonSearchForm,
)
from dialogue.invitations.operations import InviteResult
from dialogue.people.models import Person
from dialogue.wards.models import DelegateCategory, ResidentialGroup

bp = Blueprint("invitations", __name__, url_prefix="/conferences/<int:conference_id>/invitations")

PER_PAGE = 100
PDF_MIMETYPE = "application/pdf"


@bp.app_template_global()
def invitation_summary(conference: Conference) -> operations.InvitationSummary:
    """Counts for the invitation panel of the conference page."""
    return operations.invitation_summary(conference)


@bp.app_template_global()
def may_manage_invitations(user) -> bool:
    return user.is_authenticated and user.has_role(Role.ORGANISER)


def _categories(conference: Conference) -> list[DelegateCategory]:
    return [c for c in conference.ward.delegate_categories if c.is_active]


def _category_form(conference: Conference, **kwargs) -> InviteCategoryForm:
    return InviteCategoryForm(categories=_categories(conference), locale=current_locale(), **kwargs)


def _group_form(conference: Conference, **kwargs) -> InviteGroupForm:
    return InviteGroupForm(groups=conference.ward.residential_groups, **kwargs)


def _attendee_of(conference: Conference, attendee_id: int) -> Attendee:
    """Load an invitee of ``conference``; anything else answers 404."""
    attendee = get_scoped_or_404(Attendee, attendee_id)
    if attendee.conference_id != conference.id or not attendee.is_invited:
        abort(404)
    return attendee


def _render_index(conference: Conference, *, status: int = 200, **forms):
    search_form = PersonSearchForm(formdata=request.args)
    hits = (
        operations.search_people(conference, search_form.q.data)
        if request.args.get("q") and search_form.validate()
        else []
    )
    page = db.paginate(
        operations.invited_attendees_select(conference),
        per_page=PER_PAGE,
        max_per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "invitations/index.html",
        conference=conference,
        can_change=operations.can_change_invitations(conference),
        summary=operations.invitation_summary(conference),
        attendance=operations.expected_attendance(conference),
        page=page,
        category_form=forms.get("category_form") or _category_form(conference, formdata=None),
        group_form=forms.get("group_form") or _group_form(conference, formdata=None),
        person_form=forms.get("person_form"),
        search_form=search_form,
        hits=hits,
        search_limit=operations.SEARCH_LIMIT,
    ), status


def _flash_result(result: InviteResult, nobody: str) -> None:
    if result.total == 0:
        flash(nobody, "warning")
        return
    message = ngettext(
        "%(num)s person added to the invitation list.",
        "%(num)s people added to the invitation list.",
        result.added,
    )
    if result.already:
        message += " " + ngettext(
            "%(num)s was already invited.", "%(num)s were already invited.", result.already
        )
    flash(message, "success" if result.added else "info")


def _refused(conference: Conference, error: DialogueError):
    db.session.rollback()
    flash(error.message, "error")
    return redirect(url_for(".index", conference_id=conference.id))


@bp.route("/")
@role_required(Role.ORGANISER)
def index(conference_id: int):
    conference = get_scoped_or_404(Conference, conference_id)
    return _render_index(conference)


@bp.route("/search")
@role_required(Role.ORGANISER)
def search(conference_id: int):
    """The search results alone, for the search-as-you-type script."""
    conference = get_scoped_or_404(Conference, conference_id)
    form = PersonSearchForm(formdata=request.args)
    hits = operations.search_people(conference, form.q.data) if form.validate() else []
    return render_template(
        "invitations/_search_results.html",
        conference=conference,
        can_change=operations.can_change_invitations(conference),
        search_form=form,
        hits=hits,
        search_limit=operations.SEARCH_LIMIT,
    )


@bp.route("/category", methods=["POST"])
@role_required(Role.ORGANISER)
def invite_category(conference_id: int):
    conference = get_scoped_or_404(Conference, conference_id)
    form = _category_form(conference)
    if form.validate_on_submit():
        category = get_scoped_or_404(DelegateCategory, form.category.data)
        try:
            result = operations.invite_category(conference, category)
        except DialogueError as error:
            if error.field is None:
                return _refused(conference, error)
            show_error(form, error)
        else:
            db.session.commit()
            _flash_result(
                result,
                _(
                    "No one in the directory is in the category %(name)s.",
                    name=category.name_for(current_locale()),
                ),
            )
            return redirect(url_for(".index", conference_id=conference.id))
    return _render_index(conference, status=400, category_form=form)


@bp.route("/group", methods=["POST"])
@role_required(Role.ORGANISER)
def invite_group(conference_id: int):
    conference = get_scoped_or_404(Conference, conference_id)
    form = _group_form(conference)
    if form.validate_on_submit():
        group = get_scoped_or_404(ResidentialGroup, form.group.data)
        try:
            result = operations.invite_group(conference, group)
        except DialogueError as error:
            if error.field is None:
                return _refused(conference, error)
            show_error(form, error)
        else:
            db.session.commit()
            _flash_result(result, _("No one in the directory is in %(name)s.", name=group.name))
            return redirect(url_for(".index", conference_id=conference.id))
    return _render_index(conference, status=400, group_form=form)


@bp.route("/person", methods=["POST"])
@role_required(Role.ORGANISER)
def invite_person(conference_id: int):
    conference = get_scoped_or_404(Conference, conference_id)
    form = InvitePersonForm()
    if not form.validate_on_submit():
        return _render_index(conference, status=400, person_form=form)
    person = get_scoped_or_404(Person, form.person_id.data)
    if person.ward_id != conference.ward_id:
        abort(404)
    try:
        result = operations.invite_person(conference, person)
    except DialogueError as error:
        return _refused(conference, error)
    db.session.commit()
    if result.added:
        flash(_("%(name)s has been invited.", name=person.full_name), "success")
    else:
        flash(_("%(name)s is already on the invitation list.", name=person.full_name), "info")
    # Back to the same search, ready for the next name.
    return redirect(
        url_for(".index", conference_id=conference.id, q=form.q.data or None, _anchor="find")
    )


@bp.route("/<int:attendee_id>/remove", methods=["POST"])
@role_required(Role.ORGANISER)
def remove(conference_id: int, attendee_id: int):
    conference = get_scoped_or_404(Conference, conference_id)
    attendee = _attendee_of(conference, attendee_id)
    name = attendee.full_name
    try:
        operations.remove_invitee(attendee)
    except DialogueError as error:
        return _refused(conference, error)
    db.session.commit()
    flash(_("%(name)s has been taken off the invitation list.", name=name), "success")
    return redirect(url_for(".index", conference_id=conference.id))


# Letters are POSTs: the first one takes a number from the register, a write that must hold
# the database's write lock from the start of the request.


def _send_letters(conference: Conference, load_attendees, filename: str):
    try:
        number = operations.issue_letters(conference, load_attendees())
    except DialogueError as error:
        return _refused(conference, error)
    db.session.commit()
    # Read everything the letters print, then end the transaction: rendering takes a while
    # and must not hold a lock that the check-in desks may be waiting for.
    issued_on = to_local(number.created_dt, conference.ward.timezone).date()
    document = letters.compose_letters(conference, load_attendees(), number, issued_on)
    db.session.commit()
    return send_file(
        io.BytesIO(letters.render_letters(document)),
        mimetype=PDF_MIMETYPE,
        as_attachment=True,
        download_name=filename,
    )


@bp.route("/letters.pdf", methods=["POST"])
@role_required(Role.ORGANISER)
def download_letters(conference_id: int):
    conference = get_scoped_or_404(Conference, conference_id)
    return _send_letters(
        conference,
        lambda: operations.invited_attendees(conference),
        f"giay-moi-{conference.id}.pdf",
    )


@bp.route("/<int:attendee_id>/letter.pdf", methods=["POST"])
@role_required(Role.ORGANISER)
def download_letter(conference_id: int, attendee_id: int):
    conference = get_scoped_or_404(Conference, conference_id)
    _attendee_of(conference, attendee_id)
    return _send_letters(
        conference,
        lambda: [_attendee_of(conference, attendee_id)],
        f"giay-moi-{conference.id}-{attendee_id}.pdf",
    )
