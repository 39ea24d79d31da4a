"""What every form view shares."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.meta import DefaultMeta
from wtforms.validators import StopValidation
from wtforms.widgets import Input

from dialogue.core import ids, text
from dialogue.errors import DialogueError
from dialogue.extensions import db

# Input types whose value is one line: a line break sent there anyway becomes a space.
_ONE_LINE_INPUTS = frozenset({"text", "search", "email", "tel", "url"})


def _render_field(meta, field, render_kw):
    # A page often holds several forms (announce and cancel, one per row): their CSRF tokens
    # would all have id="csrf_token", and an id must be unique. Nothing refers to it.
    if field.type == "CSRFTokenField":
        render_kw = {"id": False, **render_kw}
    return DefaultMeta.render_field(meta, field, render_kw)


def _one_line(value):
    return text.clean_line(value) if isinstance(value, str) else value


def _storable_numbers(form, field):
    """Stop at a number no key can be, before any check asks the database about it."""
    values = field.data if isinstance(field.data, list | tuple) else [field.data]
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool) and not ids.is_storable(value):
            # A list's own word ("choose from the list") says it best, when it has one.
            raise StopValidation(None if field.errors else _l("This number is too large."))


def _bind_field(meta, form, unbound_field, options):
    # Every form: text is cleaned on the way in (see dialogue.web.CleanRequest); here a
    # one-line box drops line breaks and tabs, and a huge number is refused as such.
    field = DefaultMeta.bind_field(meta, form, unbound_field, options)
    if isinstance(field.widget, Input) and field.widget.input_type in _ONE_LINE_INPUTS:
        field.filters = (_one_line, *field.filters)
    field.validators = [_storable_numbers, *field.validators]
    return field


def install() -> None:
    """Give every form its shared behaviour: the checks above, CSRF tokens without an id."""
    FlaskForm.Meta.bind_field = _bind_field
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
