"""The organiser's directory of people: list and search, add, change, delete, import."""

from __future__ import annotations

import io
import secrets
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm import selectinload

from dialogue.auth.access import role_required
from dialogue.auth.models import Role
from dialogue.core.db import utcnow
from dialogue.core.locale import current_locale
from dialogue.core.scoping import current_ward, get_scoped_or_404, scoped_select
from dialogue.core.search import search_condition
from dialogue.core.text import fold
from dialogue.errors import ValidationFailed
from dialogue.extensions import db
from dialogue.people import importing, operations
from dialogue.people.forms import ImportConfirmForm, ImportUploadForm, PeopleFilterForm, PersonForm
from dialogue.people.models import PendingImport, Person

bp = Blueprint("people", __name__, url_prefix="/people")

PER_PAGE = 50
IMPORT_SESSION_KEY = "people_import"
IMPORT_LIFETIME = timedelta(hours=1)
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _categories_for(ward, keep_id: int | None = None) -> list:
    """The ward's categories one may choose: the active ones, and the one already chosen."""
    return [c for c in ward.delegate_categories if c.is_active or c.id == keep_id]


# -- the directory ------------------------------------------------------------------------------


@bp.route("/")
@role_required(Role.ORGANISER)
def index():
    ward = current_ward()
    form = PeopleFilterForm(
        formdata=request.args,
        groups=ward.residential_groups,
        categories=ward.delegate_categories,
        locale=current_locale(),
    )
    stmt = scoped_select(Person).options(
        selectinload(Person.residential_group), selectinload(Person.delegate_category)
    )
    if form.validate():
        if fold(form.q.data):
            stmt = stmt.where(search_condition(Person, form.q.data))
        if form.group.data:
            stmt = stmt.where(Person.residential_group_id == form.group.data)
        if form.category.data:
            stmt = stmt.where(Person.delegate_category_id == form.category.data)
    else:
        stmt = stmt.where(sa.false())
    page = db.paginate(
        # The folded text starts with the name: "Đức" sorts among the d's, not after z.
        stmt.order_by(Person.search_text, Person.full_name, Person.id),
        per_page=PER_PAGE,
        max_per_page=PER_PAGE,
        error_out=False,
    )
    filters = {
        key: value
        for key, value in request.args.items()
        if key in {"q", "group", "category"} and value
    }
    return render_template("people/index.html", form=form, page=page, filters=filters)


# -- one person ---------------------------------------------------------------------------------


def _save_failed(form: PersonForm, error: ValidationFailed) -> None:
    db.session.rollback()
    target = getattr(form, error.field, None) if error.field else None
    if target is not None:
        target.errors.append(error.message)
    else:
        form.form_errors.append(error.message)


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def create():
    ward = current_ward()
    form = PersonForm(
        groups=ward.residential_groups, categories=_categories_for(ward), locale=current_locale()
    )
    if form.validate_on_submit():
        try:
            person = operations.create_person(ward, form.to_data())
        except ValidationFailed as error:
            _save_failed(form, error)
        else:
            db.session.commit()
            flash(_("%(name)s has been added to the directory.", name=person.full_name), "success")
            return redirect(url_for("people.index"))
    status = 400 if form.errors else 200
    return render_template("people/create.html", form=form), status


@bp.route("/<int:person_id>/edit", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def edit(person_id: int):
    person = get_scoped_or_404(Person, person_id)
    form = PersonForm(
        obj=person,
        groups=person.ward.residential_groups,
        categories=_categories_for(person.ward, person.delegate_category_id),
        locale=current_locale(),
    )
    if form.validate_on_submit():
        try:
            operations.update_person(person, form.to_data())
        except ValidationFailed as error:
            _save_failed(form, error)
        else:
            db.session.commit()
            flash(_("The changes to %(name)s have been saved.", name=person.full_name), "success")
            return redirect(url_for("people.index"))
    status = 400 if form.errors else 200
    return render_template("people/edit.html", form=form, person=person), status


@bp.route("/<int:person_id>/delete", methods=["POST"])
@role_required(Role.ORGANISER)
def delete(person_id: int):
    person = get_scoped_or_404(Person, person_id)
    name = person.full_name
    operations.delete_person(person)
    db.session.commit()
    flash(_("%(name)s has been removed from the directory.", name=name), "success")
    return redirect(url_for("people.index"))


# -- import -------------------------------------------------------------------------------------
# Between the preview and the confirmation the uploaded file waits in the database, named by
# a random token that only this user's session knows; the confirmation reads and checks it
# again, because the directory may have changed in between.


def _stored_import(token: str) -> PendingImport | None:
    """Return this user's waiting import ``token``, if it is still there."""
    expected = str(session.get(IMPORT_SESSION_KEY, ""))
    # Compared as bytes: a forged token with non-ASCII letters is simply wrong, not an error.
    if not token or not secrets.compare_digest(expected.encode(), token.encode()):
        return None
    return db.session.scalar(
        scoped_select(PendingImport)
        .where(
            PendingImport.token == token,
            PendingImport.user_id == current_user.id,
            PendingImport.created_dt >= utcnow() - IMPORT_LIFETIME,
        )
        .with_for_update()
    )


def _forget_import(pending: PendingImport) -> None:
    session.pop(IMPORT_SESSION_KEY, None)
    db.session.delete(pending)
    db.session.commit()


def _lookup(ward) -> importing.Lookup:
    existing = db.session.execute(
        scoped_select(Person, Person.full_name, Person.residential_group_id)
    ).all()
    return importing.make_lookup(ward.residential_groups, ward.delegate_categories, existing)


def _render_preview(preview: importing.Preview, filename: str, confirm_form=None):
    return render_template(
        "people/import_preview.html", preview=preview, filename=filename, confirm_form=confirm_form
    )


def _render_upload(form: ImportUploadForm, status: int):
    return render_template(
        "people/import_upload.html",
        form=form,
        max_mb=importing.MAX_FILE_BYTES // (1024 * 1024),
        max_rows=importing.MAX_ROWS,
    ), status


@bp.route("/import", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def import_upload():
    form = ImportUploadForm()
    if not form.validate_on_submit():
        return _render_upload(form, 400 if form.errors else 200)
    upload = form.file.data
    filename = Path(upload.filename or "").name
    data = upload.read(importing.MAX_FILE_BYTES + 1)
    try:
        extension = filename.rsplit(".", 1)[-1].lower()
        preview = importing.check_upload(data, extension, _lookup(current_ward()))
    except importing.UnreadableFile as error:
        form.file.errors.append(error.message)
        return _render_upload(form, 400)
    if not (preview.rows or preview.errors or preview.skipped):
        form.file.errors.append(_("The file has no rows below its header."))
        return _render_upload(form, 400)
    confirm_form = None
    if preview.can_apply:
        pending = operations.keep_pending_import(
            current_ward(),
            current_user,
            filename=filename,
            kind=importing.file_kind(data),
            content=data,
            lifetime=IMPORT_LIFETIME,
        )
        db.session.commit()
        session[IMPORT_SESSION_KEY] = pending.token
        confirm_form = ImportConfirmForm(formdata=None, token=pending.token)
    return _render_preview(preview, filename, confirm_form)


def _no_longer_waiting():
    flash(
        _(
            "This import is no longer waiting: it was applied or has expired. Upload the file again."
        ),
        "error",
    )
    return redirect(url_for("people.import_upload"))


@bp.route("/import/confirm", methods=["POST"])
@role_required(Role.ORGANISER)
def import_confirm():
    form = ImportConfirmForm()
    # The row is locked (a write transaction on SQLite): of two clicks on "Import", the
    # second waits, then finds it gone.
    pending = _stored_import(form.token.data) if form.validate_on_submit() else None
    if pending is None:
        return _no_longer_waiting()
    ward = current_ward()
    filename = pending.filename
    try:
        preview = importing.check_upload(pending.content, pending.kind, _lookup(ward))
    except importing.UnreadableFile as error:
        _forget_import(pending)
        flash(error.message, "error")
        return redirect(url_for("people.import_upload"))
    if not preview.can_apply:
        # The directory changed since the preview: show what is wrong now, apply nothing.
        _forget_import(pending)
        return _render_preview(preview, filename), 409
    try:
        # Applied and forgotten in one transaction: a failure leaves the file waiting.
        people = operations.import_people(ward, [row.to_person_data() for row in preview.rows])
        db.session.delete(pending)
        db.session.commit()
    except ValidationFailed as error:
        db.session.rollback()
        flash(_("Nothing was imported: %(reason)s", reason=error.message), "error")
        return redirect(url_for("people.import_upload"))
    session.pop(IMPORT_SESSION_KEY, None)
    message = ngettext(
        "%(num)s person has been imported.", "%(num)s people have been imported.", len(people)
    )
    if preview.skipped:
        message += " " + ngettext(
            "%(num)s row was skipped: already listed.",
            "%(num)s rows were skipped: already listed.",
            len(preview.skipped),
        )
    flash(message, "success")
    return redirect(url_for("people.index"))


@bp.route("/import/template.xlsx")
@role_required(Role.ORGANISER)
def import_template():
    ward = current_ward()
    groups = [(group.number, group.name) for group in ward.residential_groups]
    categories = [(category.code, category.name_vi) for category in _categories_for(ward)]
    content = importing.template_workbook(groups=groups, categories=categories)
    return send_file(
        io.BytesIO(content),
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name="mau-danh-ba.xlsx",
    )
