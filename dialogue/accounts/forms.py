"""Forms of the administrator's pages for staff accounts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    Length,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from dialogue.auth.forms import MIN_PASSWORD_LENGTH
from dialogue.auth.models import Role
from dialogue.core.forms import strip, strip_lower

USERNAME_FORM_PATTERN = r"^[A-Za-z0-9._-]+$"


def _optional_id(value) -> int | None:
    if value is None or value in ("", "None"):
        return None
    return int(value)


def _role_choices(roles=tuple(Role)) -> list[SelectChoice]:
    return [SelectChoice(role.value, role.title) for role in roles]


def _province_field():
    return SelectField(
        _l("Province or city"),
        coerce=_optional_id,
        invalid_value_message=_l("Choose a province from the list."),
        invalid_choice_message=_l("Choose a province from the list."),
        description=_l("For a city or province officer, who belongs to no ward."),
    )


def _province_choices(provinces) -> list[SelectChoice]:
    return [SelectChoice("", _l("— no province —"))] + [
        SelectChoice(str(province.id), province.name) for province in provinces
    ]


def _check_city_province(form, field) -> None:
    if form.role.data is Role.CITY and not field.data:
        raise ValidationError(_l("Choose the province of a city or province officer."))


def _unit_choices(ward, keep=None) -> list[SelectChoice]:
    """The active units of ``ward``, and ``keep`` (the unit an account has) even if inactive."""
    units = [unit for unit in ward.units if unit.is_active or unit == keep]
    return [SelectChoice("", _l("— no unit —"))] + [
        SelectChoice(str(unit.id), unit.name) for unit in units
    ]


def _unit_choices_none() -> list[SelectChoice]:
    return [SelectChoice("", _l("— no unit —"))]


def _role_field():
    return SelectField(
        _l("Role"),
        coerce=Role,
        choices=_role_choices(),
        default=Role.ORGANISER,
        invalid_value_message=_l("Choose a role from the list."),
    )


def _unit_field():
    return SelectField(
        _l("Unit"),
        coerce=_optional_id,
        invalid_value_message=_l("Choose a unit from the list."),
        invalid_choice_message=_l("Choose a unit of the chosen ward."),
        description=_l("Optional. A responder answers the questions referred to their unit."),
    )


def _email_field():
    return EmailField(
        _l("E-mail"),
        validators=[
            Optional(),
            Email(message=_l("This is not an e-mail address.")),
            Length(max=254),
        ],
        filters=[strip],
        description=_l(
            "Optional. Notices go there: questions referred to the unit, answers to approve."
        ),
    )


def _extra_units_field():
    return SelectMultipleField(
        _l("Also answers for"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,
        description=_l("Other units whose referred questions this responder answers."),
    )


def _extra_unit_choices(ward) -> list[tuple[int, str]]:
    return [(unit.id, unit.name) for unit in ward.units if unit.is_active]


def _new_password_fields():
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)],
        description=_l("At least %(count)s characters.", count=MIN_PASSWORD_LENGTH),
    )
    confirm = PasswordField(
        _l("Password again"),
        validators=[
            DataRequired(),
            EqualTo("password", message=_l("The two passwords differ.")),
        ],
    )
    return password, confirm


class CreateAccountForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(),
            Length(min=2, max=60),
            Regexp(
                USERNAME_FORM_PATTERN,
                message=_l(
                    "Use only letters without accents, digits, dots, dashes and underscores."
                ),
            ),
        ],
        filters=[strip_lower],
        description=_l("Letters without accents, digits, dots, dashes and underscores."),
    )
    display_name = StringField(
        _l("Display name"), validators=[DataRequired(), Length(max=120)], filters=[strip]
    )
    role = _role_field()
    ward_id = SelectField(
        _l("Ward"), coerce=int, invalid_value_message=_l("Choose a ward from the list.")
    )
    show_units = SubmitField(_l("Show this ward's units"))
    unit_id = _unit_field()
    extra_unit_ids = _extra_units_field()
    province_id = _province_field()
    email = _email_field()
    password, confirm_password = _new_password_fields()

    def __init__(self, *args, wards, default_ward, provinces=(), **kwargs):
        kwargs.setdefault("ward_id", default_ward.id)
        super().__init__(*args, **kwargs)
        self.province_id.choices = _province_choices(provinces)
        self.ward_id.choices = [SelectChoice(str(ward.id), ward.display_name) for ward in wards]
        # The units offered are those of the ward chosen in the form, or of the working ward.
        self.chosen_ward = next(
            (ward for ward in wards if ward.id == self.ward_id.data), default_ward
        )
        self.unit_id.choices = _unit_choices(self.chosen_ward)
        self.extra_unit_ids.choices = _extra_unit_choices(self.chosen_ward)

    def validate_province_id(self, field) -> None:
        _check_city_province(self, field)


class EditAccountForm(FlaskForm):
    display_name = StringField(
        _l("Display name"), validators=[DataRequired(), Length(max=120)], filters=[strip]
    )
    role = _role_field()
    unit_id = _unit_field()
    extra_unit_ids = _extra_units_field()
    province_id = _province_field()
    email = _email_field()
    is_active = BooleanField(
        _l("Active"),
        description=_l("Deactivating an account signs it out on every device."),
    )

    def __init__(self, *args, user, provinces=(), **kwargs):
        kwargs.setdefault("extra_unit_ids", [unit.id for unit in user.extra_units])
        super().__init__(*args, obj=user, **kwargs)
        # A ward's account keeps to the ward's roles, a city officer's to its own.
        self.is_city_account = not user.role.is_ward_staff
        self.role.choices = _role_choices(
            [role for role in Role if role.is_ward_staff != self.is_city_account]
        )
        self.province_id.choices = _province_choices(provinces)
        if self.is_city_account:
            self.unit_id.choices = _unit_choices_none()
            self.extra_unit_ids.choices = []
        else:
            self.unit_id.choices = _unit_choices(user.ward, keep=user.unit)
            self.extra_unit_ids.choices = _extra_unit_choices(user.ward)

    def validate_province_id(self, field) -> None:
        _check_city_province(self, field)


class ResetPasswordForm(FlaskForm):
    password, confirm_password = _new_password_fields()
