"""What every form view shares."""

from flask_wtf import FlaskForm
from wtforms.meta import DefaultMeta

from dialogue.errors import DialogueError
from dialogue.extensions import db


def _render_field(meta, field, render_kw):
    # A page often holds several forms (announce and cancel, one per row): their CSRF tokens
    # would all have id="csrf_token", and an id must be unique. Nothing refers to it.
    if field.type == "CSRFTokenField":
        render_kw = {"id": False, **render_kw}
    return DefaultMeta.render_field(meta, field, render_kw)


def install_rendering() -> None:
    """Render every form's CSRF token without an id."""
    FlaskForm.Meta.render_field = _render_field


def show_error(form, error: DialogueError) -> None:
    """Undo the failed operation; put its message beside its field, or above the form."""
    db.session.rollback()
    field = form._fields.get(error.field) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def strip(value):
    """A form filter: surrounding spaces off."""
    return value.strip() if isinstance(value, str) else value


def strip_lower(value):
    """A form filter: surrounding spaces off, lower case (codes, usernames)."""
    return value.strip().lower() if isinstance(value, str) else value
