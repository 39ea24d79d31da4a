"""The filters of the audit-log browser."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from dialogue.audit.models import AuditAction


class AuditFilterForm(FlaskForm):
    """Filters sent in the query string: no CSRF token, nothing is changed."""

    class Meta:
        csrf = False

    entity_type = SelectField(_l("Record type"), choices=[], default="")
    action = SelectField(_l("Action"), choices=[], default="")
    actor = StringField(_l("Changed by"), validators=[Optional(), Length(max=120)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])

    def __init__(self, *args, entity_types: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.entity_type.choices = [("", _l("All"))] + entity_types
        self.action.choices = [("", _l("All"))] + [
            (action.value, action.title) for action in AuditAction
        ]

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date comes before the start date."))
