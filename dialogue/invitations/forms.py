"""Forms of the invitation list: invite a category, a group or one person; search the directory."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SearchField, SelectField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

NO_CHOICE = 0


class InviteCategoryForm(FlaskForm):
    """Invite everyone of one delegate category, e.g. all heads of residential groups."""

    category = SelectField(
        _l("Delegate category"),
        coerce=int,
        default=NO_CHOICE,
        validators=[NumberRange(min=1, message=_l("Choose a delegate category."))],
    )

    def __init__(self, *args, categories, locale: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = [(NO_CHOICE, _l("Choose…"))] + [
            (category.id, category.name_for(locale)) for category in categories
        ]


class InviteGroupForm(FlaskForm):
    """Invite everyone of one residential group."""

    group = SelectField(
        _l("Residential group"),
        coerce=int,
        default=NO_CHOICE,
        validators=[NumberRange(min=1, message=_l("Choose a residential group."))],
    )

    def __init__(self, *args, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.group.choices = [(NO_CHOICE, _l("Choose…"))] + [
            (group.id, group.name) for group in groups
        ]


class InvitePersonForm(FlaskForm):
    """Invite one person found by the search; ``q`` brings the organiser back to their search."""

    person_id = IntegerField(
        _l("Person"), validators=[InputRequired(_l("Choose a person to invite."))]
    )
    q = HiddenField(validators=[Optional(), Length(max=100)])


class PersonSearchForm(FlaskForm):
    """The search box of the directory above the invitation list (a GET form)."""

    class Meta:
        csrf = False

    q = SearchField(
        _l("Find a person by name, title or organisation"),
        validators=[DataRequired(), Length(max=100)],
    )
