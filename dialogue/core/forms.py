"""What every form view shares."""

from dialogue.errors import DialogueError
from dialogue.extensions import db


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
