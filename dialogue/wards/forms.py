"""Forms of the administrator's pages for wards and their reference lists."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from dialogue.core.forms import strip, strip_lower
from dialogue.wards.models import WardKind
from dialogue.wards.operations import DEFAULT_GROUP_PREFIX, MAX_GENERATED_GROUPS

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
CODE_PATTERN = r"^[A-Za-z0-9_-]+$"


class RecordForm(FlaskForm):
    """A form whose fields are the keyword arguments of one operation."""

    def values(self) -> dict:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


# Wards ------------------------------------------------------------------------------------


def _validate_timezone(form, field):
    try:
        ZoneInfo(field.data)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError(_l("Unknown time zone. Example: Asia/Ho_Chi_Minh.")) from error


class WardForm(RecordForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=120)],
        filters=[strip],
        description=_l("Without the kind: “Thạch Bàn”, not “Phường Thạch Bàn”."),
    )
    kind = SelectField(
        _l("Kind"),
        coerce=WardKind,
        choices=[SelectChoice(kind.value, kind.title) for kind in WardKind],
        default=WardKind.WARD,
        invalid_value_message=_l("Choose a kind from the list."),
    )
    slug = StringField(
        _l("Short name in addresses"),
        validators=[
            DataRequired(),
            Length(max=60),
            Regexp(
                SLUG_PATTERN,
                message=_l("Use lower-case letters without accents, digits and dashes."),
            ),
        ],
        filters=[strip_lower],
        description=_l("Lower-case letters without accents, digits and dashes, e.g. thach-ban."),
    )
    province = StringField(_l("Province or city"), validators=[Length(max=120)], filters=[strip])
    parent_agency = StringField(
        _l("Parent agency line"),
        validators=[Length(max=200)],
        filters=[strip],
        description=_l("Optional first line of document headers, above the People's Committee."),
    )
    place_name = StringField(
        _l("Place name in dates"),
        validators=[DataRequired(), Length(max=120)],
        filters=[strip],
        description=_l("As in “Thạch Bàn, ngày 30 tháng 6 năm 2020”."),
    )
    issuer_code = StringField(
        _l("Issuer code"),
        validators=[DataRequired(), Length(max=20)],
        filters=[strip],
        default="UBND",
        description=_l("As in document numbers: “Số: 05/BB-UBND”."),
    )
    address = StringField(_l("Address"), validators=[Length(max=255)], filters=[strip])
    timezone = StringField(
        _l("Time zone"),
        validators=[DataRequired(), Length(max=60), _validate_timezone],
        filters=[strip],
        default="Asia/Ho_Chi_Minh",
    )


class CreateWardForm(WardForm):
    pass


class EditWardForm(WardForm):
    shows_speaker_names = BooleanField(
        _l("Show speakers' names on screens"),
        description=_l(
            "On the projector and residents' phones. Unticked, a speaker is shown as "
            "“Công dân tổ dân phố số 9”."
        ),
    )
    names_speakers_in_documents = BooleanField(
        _l("Name speakers in the minutes"),
        description=_l(
            "In the minutes and the conclusion notice, and so in their published copies and the "
            "public archive. Unticked, they say “Công dân tổ dân phố số 9”."
        ),
    )
    rating_public_minimum = IntegerField(
        _l("Ratings needed before an answer's result is public"),
        # Left empty, the number stays as it was.
        validators=[
            Optional(),
            NumberRange(min=0, max=100, message=_l("Enter a number from 0 to 100.")),
        ],
        default=3,
        description=_l(
            "Residents see how satisfied others were with an answer once the minutes are "
            "published, and only when it has at least this many ratings, so that one person's "
            "rating does not stand for the residents. 0 shows every result."
        ),
    )
    notice_includes_satisfaction = BooleanField(
        _l("Say in the conclusion notice how satisfied residents were"),
        description=_l(
            "The conclusion notice then has a short paragraph with the satisfaction rate of the "
            "conference survey and the number of answers."
        ),
    )
    is_active = BooleanField(
        _l("Active"),
        description=_l("An inactive ward is kept with all its records; it is never deleted."),
    )


# Residential groups -----------------------------------------------------------------------


class ResidentialGroupForm(RecordForm):
    number = IntegerField(
        _l("Number"),
        validators=[
            InputRequired(message=_l("Enter the group's number.")),
            NumberRange(min=1, max=9999),
        ],
    )
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=120)],
        filters=[strip],
        description=_l("For example: Tổ dân phố số 1."),
    )
    head_name = StringField(_l("Group head"), validators=[Length(max=120)], filters=[strip])


class GenerateResidentialGroupsForm(RecordForm):
    count = IntegerField(
        _l("Number of groups"),
        validators=[
            InputRequired(message=_l("Enter how many groups the ward has.")),
            NumberRange(min=1, max=MAX_GENERATED_GROUPS),
        ],
        description=_l("Groups 1 to this number are created; numbers that exist are skipped."),
    )
    prefix = StringField(
        _l("Name before the number"),
        validators=[DataRequired(), Length(max=100)],
        filters=[strip],
        default=DEFAULT_GROUP_PREFIX,
    )


# Units ------------------------------------------------------------------------------------


class UnitForm(RecordForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)], filters=[strip])
    short_name = StringField(_l("Short name"), validators=[Length(max=60)], filters=[strip])
    head_name = StringField(_l("Head"), validators=[Length(max=120)], filters=[strip])


class CreateUnitForm(UnitForm):
    pass


class EditUnitForm(UnitForm):
    is_active = BooleanField(
        _l("Active"), description=_l("Inactive units are no longer offered in lists.")
    )


class MoveUnitForm(FlaskForm):
    ward_id = SelectField(
        _l("Move to the ward"),
        coerce=int,
        invalid_value_message=_l("Choose a ward from the list."),
    )

    def __init__(self, *args, wards, **kwargs):
        super().__init__(*args, **kwargs)
        self.ward_id.choices = [SelectChoice(ward.id, ward.display_name) for ward in wards]


# Procedure areas and delegate categories --------------------------------------------------

_code_validators = [
    DataRequired(),
    Length(max=20),
    Regexp(
        CODE_PATTERN, message=_l("Use letters without accents, digits, dashes and underscores.")
    ),
]
_position_field_args = {
    "validators": [Optional(), NumberRange(min=0, max=100000)],
    "description": _l("Lists are sorted by this number; left empty, the entry goes last."),
}


class ProcedureAreaForm(RecordForm):
    code = StringField(_l("Code"), validators=_code_validators, filters=[strip])
    name_vi = StringField(
        _l("Name in Vietnamese"), validators=[DataRequired(), Length(max=200)], filters=[strip]
    )
    name_en = StringField(_l("Name in English"), validators=[Length(max=200)], filters=[strip])
    group_vi = StringField(
        _l("Display group in Vietnamese"),
        validators=[Length(max=120)],
        filters=[strip],
        description=_l("Areas of one group are reported together, e.g. Tư pháp - Hộ tịch."),
    )
    group_en = StringField(
        _l("Display group in English"), validators=[Length(max=120)], filters=[strip]
    )
    position = IntegerField(_l("Position"), **_position_field_args)


class CreateProcedureAreaForm(ProcedureAreaForm):
    pass


class EditProcedureAreaForm(ProcedureAreaForm):
    is_active = BooleanField(
        _l("Active"),
        description=_l("Inactive areas stay on past records but are no longer offered."),
    )


class DelegateCategoryForm(RecordForm):
    code = StringField(_l("Code"), validators=_code_validators, filters=[strip])
    name_vi = StringField(
        _l("Name in Vietnamese"), validators=[DataRequired(), Length(max=200)], filters=[strip]
    )
    name_en = StringField(_l("Name in English"), validators=[Length(max=200)], filters=[strip])
    position = IntegerField(_l("Position"), **_position_field_args)


class CreateDelegateCategoryForm(DelegateCategoryForm):
    pass


class EditDelegateCategoryForm(DelegateCategoryForm):
    is_active = BooleanField(
        _l("Active"),
        description=_l("Inactive categories stay on past records but are no longer offered."),
    )
