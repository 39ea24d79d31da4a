"""The administrator's pages for wards and for the reference lists of the working ward."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from dialogue.auth.access import admin_required
from dialogue.core.forms import show_error
from dialogue.core.scoping import current_ward, get_scoped_or_404, scoped_select
from dialogue.errors import DialogueError
from dialogue.extensions import db
from dialogue.people.models import Person
from dialogue.wards import operations
from dialogue.wards.forms import (
    CreateDelegateCategoryForm,
    CreateProcedureAreaForm,
    CreateUnitForm,
    CreateWardForm,
    EditDelegateCategoryForm,
    EditProcedureAreaForm,
    EditUnitForm,
    EditWardForm,
    GenerateResidentialGroupsForm,
    MoveUnitForm,
    ResidentialGroupForm,
)
from dialogue.wards.models import DelegateCategory, ProcedureArea, ResidentialGroup, Unit, Ward

bp = Blueprint("wards", __name__, url_prefix="/admin")


# Wards ------------------------------------------------------------------------------------


@bp.route("/wards")
@admin_required
def index():
    wards = db.session.scalars(sa.select(Ward).order_by(Ward.is_active.desc(), Ward.name)).all()
    return render_template("wards/index.html", wards=wards)


@bp.route("/wards/new", methods=["GET", "POST"])
@admin_required
def create():
    form = CreateWardForm()
    if form.validate_on_submit():
        try:
            ward = operations.create_ward(**form.values())
        except DialogueError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(
                _("Ward %(name)s created, with its own reference lists.", name=ward.display_name),
                "success",
            )
            return redirect(url_for(".index"))
    return render_template("wards/create.html", form=form)


@bp.route("/wards/<int:ward_id>/edit", methods=["GET", "POST"])
@admin_required
def edit(ward_id: int):
    ward = get_scoped_or_404(Ward, ward_id)
    form = EditWardForm(obj=ward)
    if form.validate_on_submit():
        try:
            operations.update_ward(ward, **form.values())
        except DialogueError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Ward %(name)s saved.", name=ward.display_name), "success")
            return redirect(url_for(".index"))
    return render_template("wards/edit.html", form=form, ward=ward)


# Reference lists of the working ward --------------------------------------------------------


def _count(model, *conditions) -> int:
    return db.session.scalar(scoped_select(model, sa.func.count(model.id)).where(*conditions))


@bp.route("/reference")
@admin_required
def reference():
    counts = {
        "groups": _count(ResidentialGroup),
        "units": _count(Unit, Unit.is_active),
        "areas": _count(ProcedureArea, ProcedureArea.is_active),
        "categories": _count(DelegateCategory, DelegateCategory.is_active),
    }
    return render_template("wards/reference.html", counts=counts)


# Residential groups


def _render_groups(generate_form: GenerateResidentialGroupsForm):
    rows = db.session.scalars(
        scoped_select(ResidentialGroup).order_by(ResidentialGroup.number)
    ).all()
    members = dict(
        db.session.execute(
            scoped_select(Person, Person.residential_group_id, sa.func.count(Person.id))
            .where(Person.residential_group_id.is_not(None))
            .group_by(Person.residential_group_id)
        ).all()
    )
    return render_template(
        "wards/groups.html",
        groups=rows,
        members=members,
        generate_form=generate_form,
    )


@bp.route("/reference/groups")
@admin_required
def groups():
    return _render_groups(GenerateResidentialGroupsForm())


@bp.route("/reference/groups/new", methods=["GET", "POST"])
@admin_required
def create_group():
    form = ResidentialGroupForm()
    if form.validate_on_submit():
        try:
            group = operations.create_residential_group(current_ward(), **form.values())
        except DialogueError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Residential group %(name)s created.", name=group.name), "success")
            return redirect(url_for(".groups"))
    return render_template("wards/create_group.html", form=form)


@bp.route("/reference/groups/generate", methods=["POST"])
@admin_required
def generate_groups():
    form = GenerateResidentialGroupsForm()
    if form.validate_on_submit():
        try:
            created, skipped = operations.generate_residential_groups(
                current_ward(), **form.values()
            )
        except DialogueError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(
                _(
                    "Residential groups created: %(created)s. Numbers that already existed, "
                    "skipped: %(skipped)s.",
                    created=len(created),
                    skipped=skipped,
                ),
                "success",
            )
            return redirect(url_for(".groups"))
    return _render_groups(form)


@bp.route("/reference/groups/<int:group_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_group(group_id: int):
    group = get_scoped_or_404(ResidentialGroup, group_id)
    form = ResidentialGroupForm(obj=group)
    if form.validate_on_submit():
        try:
            operations.update_residential_group(group, **form.values())
        except DialogueError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Residential group %(name)s saved.", name=group.name), "success")
            return redirect(url_for(".groups"))
    return render_template(
        "wards/edit_group.html",
        form=form,
        group=group,
        member_count=operations.count_group_members(group),
    )


@bp.route("/reference/groups/<int:group_id>/delete", methods=["POST"])
@admin_required
def delete_group(group_id: int):
    group = get_scoped_or_404(ResidentialGroup, group_id)
    name = group.name
    detached = operations.delete_residential_group(group)
    db.session.commit()
    if detached:
        message = _(
            "Residential group %(name)s deleted. People in the directory left without a "
            "residential group: %(count)s.",
            name=name,
            count=detached,
        )
    else:
        message = _(
            "Residential group %(name)s deleted. Nobody in the directory belonged to it.", name=name
        )
    flash(message, "success")
    return redirect(url_for(".groups"))


# Units


@bp.route("/reference/units")
@admin_required
def units():
    rows = db.session.scalars(scoped_select(Unit).order_by(Unit.is_active.desc(), Unit.name)).all()
    return render_template("wards/units.html", units=rows)


@bp.route("/reference/units/new", methods=["GET", "POST"])
@admin_required
def create_unit():
    form = CreateUnitForm()
    if form.validate_on_submit():
        try:
            unit = operations.create_unit(current_ward(), **form.values())
        except DialogueError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Unit %(name)s created.", name=unit.name), "success")
            return redirect(url_for(".units"))
    return render_template("wards/create_unit.html", form=form)


def _move_unit_form(unit: Unit, **kwargs) -> MoveUnitForm:
    wards = db.session.scalars(
        sa.select(Ward)
        .where(Ward.id != unit.ward_id)
        .order_by(Ward.is_active.desc(), Ward.search_text, Ward.id)
    ).all()
    return MoveUnitForm(wards=wards, **kwargs)


def _render_edit_unit(unit: Unit, *, form=None, move_form=None, status: int = 200):
    """The unit's page: its form, and moving or deleting it; the form not posted shows the unit."""
    if form is None:
        form = EditUnitForm(obj=unit, formdata=None)
    if move_form is None:
        move_form = _move_unit_form(unit, formdata=None)
    return render_template(
        "wards/edit_unit.html",
        unit=unit,
        form=form,
        move_form=move_form,
        uses=operations.describe_unit_uses(operations.unit_uses(unit)),
    ), status


@bp.route("/reference/units/<int:unit_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_unit(unit_id: int):
    unit = get_scoped_or_404(Unit, unit_id)
    form = EditUnitForm(obj=unit)
    if form.validate_on_submit():
        try:
            operations.update_unit(unit, **form.values())
        except DialogueError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Unit %(name)s saved.", name=unit.name), "success")
            return redirect(url_for(".units"))
    return _render_edit_unit(unit, form=form)


@bp.route("/reference/units/<int:unit_id>/move", methods=["POST"])
@admin_required
def move_unit(unit_id: int):
    unit = get_scoped_or_404(Unit, unit_id)
    form = _move_unit_form(unit)
    if form.validate_on_submit():
        ward = get_scoped_or_404(Ward, form.ward_id.data)
        try:
            operations.move_unit(unit, ward)
        except DialogueError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(
                _("Unit %(name)s moved to %(ward)s.", name=unit.name, ward=ward.full_name),
                "success",
            )
            return redirect(url_for(".units"))
    return _render_edit_unit(unit, move_form=form, status=400)


@bp.route("/reference/units/<int:unit_id>/delete", methods=["POST"])
@admin_required
def delete_unit(unit_id: int):
    unit = get_scoped_or_404(Unit, unit_id)
    name = unit.name
    try:
        operations.delete_unit(unit)
    except DialogueError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for(".edit_unit", unit_id=unit_id))
    db.session.commit()
    flash(_("Unit %(name)s deleted.", name=name), "success")
    return redirect(url_for(".units"))


# Procedure areas


@bp.route("/reference/areas")
@admin_required
def areas():
    rows = db.session.scalars(
        scoped_select(ProcedureArea).order_by(ProcedureArea.position, ProcedureArea.code)
    ).all()
    return render_template("wards/areas.html", areas=rows)


@bp.route("/reference/areas/new", methods=["GET", "POST"])
@admin_required
def create_area():
    form = CreateProcedureAreaForm()
    if form.validate_on_submit():
        try:
            area = operations.create_procedure_area(current_ward(), **form.values())
        except DialogueError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Procedure area %(name)s created.", name=area.name_vi), "success")
            return redirect(url_for(".areas"))
    return render_template("wards/create_area.html", form=form)


@bp.route("/reference/areas/<int:area_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_area(area_id: int):
    area = get_scoped_or_404(ProcedureArea, area_id)
    form = EditProcedureAreaForm(obj=area)
    if form.validate_on_submit():
        try:
            operations.update_procedure_area(area, **form.values())
        except DialogueError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Procedure area %(name)s saved.", name=area.name_vi), "success")
            return redirect(url_for(".areas"))
    return render_template("wards/edit_area.html", form=form, area=area)


# Delegate categories


@bp.route("/reference/categories")
@admin_required
def categories():
    rows = db.session.scalars(
        scoped_select(DelegateCategory).order_by(DelegateCategory.position, DelegateCategory.code)
    ).all()
    return render_template("wards/categories.html", categories=rows)


@bp.route("/reference/categories/new", methods=["GET", "POST"])
@admin_required
def create_category():
    form = CreateDelegateCategoryForm()
    if form.validate_on_submit():
        try:
            category = operations.create_delegate_category(current_ward(), **form.values())
        except DialogueError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Delegate category %(name)s created.", name=category.name_vi), "success")
            return redirect(url_for(".categories"))
    return render_template("wards/create_category.html", form=form)


@bp.route("/reference/categories/<int:category_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_category(category_id: int):
    category = get_scoped_or_404(DelegateCategory, category_id)
    form = EditDelegateCategoryForm(obj=category)
    if form.validate_on_submit():
        try:
            operations.update_delegate_category(category, **form.values())
        except DialogueError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Delegate category %(name)s saved.", name=category.name_vi), "success")
            return redirect(url_for(".categories"))
    return render_template("wards/edit_category.html", form=form, category=category)
