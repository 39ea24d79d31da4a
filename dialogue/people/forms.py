"""Forms of the people directory: search, one person, an import file, an import confirmation."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    SearchField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from dialogue.core.text import normalize_text
from dialogue.people import importing
from dialogue.people.operations import (
    PHONE_MAX_DIGITS,
    PHONE_MIN_DIGITS,
    PersonData,
    email_is_valid,
    phone_is_valid,
)

NO_CHOICE = 0


def _group_choices(groups, empty_label) -> list[tuple[int, str]]:
    return [(NO_CHOICE, empty_label)] + [(group.id, group.name) for group in groups]


def _category_choices(categories, empty_label, locale: str) -> list[tuple[int, str]]:
    return [(NO_CHOICE, empty_label)] + [
        (category.id, category.name_for(locale)) for category in categories
    ]


class PeopleFilterForm(FlaskForm):
    """The search box and filters above the directory (a GET form)."""

    class Meta:
        csrf = False

    q = SearchField(
        _l("Search by name, title or organisation"), validators=[Optional(), Length(max=100)]
    )
    group = SelectField(_l("Residential group"), coerce=int, default=NO_CHOICE)
    category = SelectField(_l("Delegate category"), coerce=int, default=NO_CHOICE)

    def __init__(self, *args, groups, categories, locale: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.group.choices = _group_choices(groups, _l("All groups"))
        self.category.choices = _category_choices(categories, _l("All categories"), locale)


class PersonForm(FlaskForm):
    full_name = StringField(
        _l("Full name"), validators=[DataRequired(), Length(max=120)], filters=[normalize_text]
    )
    title = StringField(_l("Title"), validators=[Length(max=200)], filters=[normalize_text])
    organisation = StringField(
        _l("Organisation"), validators=[Length(max=200)], filters=[normalize_text]
    )
    residential_group_id = SelectField(_l("Residential group"), coerce=int, default=NO_CHOICE)
    delegate_category_id = SelectField(_l("Delegate category"), coerce=int, default=NO_CHOICE)
    phone = TelField(_l("Phone"), validators=[Length(max=30)], filters=[normalize_text])
    email = EmailField(_l("E-mail"), validators=[Length(max=200)], filters=[normalize_text])
    has_consent = BooleanField(_l("The person agreed that the ward keeps their phone and e-mail"))
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])

    def __init__(self, *args, groups, categories, locale: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.residential_group_id.choices = _group_choices(groups, _l("None"))
        self.delegate_category_id.choices = _category_choices(categories, _l("None"), locale)

    def validate_phone(self, field):
        if field.data and not phone_is_valid(field.data):
            raise ValidationError(
                _l(
                    "Enter %(min)s to %(max)s digits; spaces and + . - ( ) are allowed.",
                    min=PHONE_MIN_DIGITS,
                    max=PHONE_MAX_DIGITS,
                )
            )

    def validate_email(self, field):
        if field.data and not email_is_valid(field.data):
            raise ValidationError(_l("This is not a valid e-mail address."))

    def validate_has_consent(self, field):
        if (self.phone.data or self.email.data) and not field.data:
            raise ValidationError(
                _l(
                    "A phone number or e-mail may be kept only with the person's consent: "
                    "tick this box, or leave both empty."
                )
            )

    def to_data(self) -> PersonData:
        return PersonData(
            full_name=self.full_name.data,
            title=self.title.data,
            organisation=self.organisation.data,
            residential_group_id=self.residential_group_id.data or None,
            delegate_category_id=self.delegate_category_id.data or None,
            phone=self.phone.data,
            email=self.email.data,
            has_consent=self.has_consent.data,
            note=(self.note.data or "").strip(),
        )


class ImportUploadForm(FlaskForm):
    file = FileField(
        _l("Spreadsheet file (.xlsx or .csv)"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(
                importing.EXTENSIONS,
                _l("Choose an .xlsx or .csv file. From Excel, save as .xlsx or as CSV UTF-8."),
            ),
        ],
    )


class ImportConfirmForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])
