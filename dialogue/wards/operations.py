"""Wards and their reference lists.

Every function takes the ward it works on explicitly: an administrator may change the lists
of any ward, and the CLI has no signed-in user. The views decide which ward that is.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from dialogue.core.text import normalize_text
from dialogue.errors import ValidationFailed
from dialogue.extensions import db
from dialogue.people.models import Person
from dialogue.wards import reference
from dialogue.wards.models import (
    DelegateCategory,
    ProcedureArea,
    ResidentialGroup,
    Unit,
    Ward,
    WardKind,
)

DEFAULT_GROUP_PREFIX = "Tổ dân phố số"
MAX_GENERATED_GROUPS = 500
# The most ratings a ward may ask of an answer before residents see its result.
MAX_RATING_PUBLIC_MINIMUM = 100


def seed_reference_lists(ward: Ward) -> None:
    """Give ``ward`` its own copy of the starting procedure areas and delegate categories."""
    for position, row in enumerate(reference.procedure_areas(), start=1):
        ward.procedure_areas.append(
            ProcedureArea(
                code=row["code"],
                name_vi=row["name_vi"],
                name_en=row["name_en"],
                group_vi=row["group_vi"],
                group_en=row["group_en"],
                position=position * 10,
            )
        )
    for position, row in enumerate(reference.delegate_categories(), start=1):
        ward.delegate_categories.append(
            DelegateCategory(
                code=row["code"],
                name_vi=row["name_vi"],
                name_en=row["name_en"],
                position=position * 10,
            )
        )


# Wards ------------------------------------------------------------------------------------


def _normalize_slug(slug: str) -> str:
    return slug.strip().lower()


def _check_slug_free(slug: str, *, ward: Ward | None = None) -> None:
    stmt = sa.select(Ward.id).where(Ward.slug == slug)
    if ward is not None and ward.id is not None:
        stmt = stmt.where(Ward.id != ward.id)
    if db.session.scalar(stmt.limit(1)) is not None:
        raise ValidationFailed(_("Another ward already uses this short name."), field="slug")


def create_ward(
    *,
    name: str,
    slug: str,
    place_name: str | None = None,
    kind: WardKind = WardKind.WARD,
    province: str = "",
    parent_agency: str = "",
    issuer_code: str = "UBND",
    timezone: str = "Asia/Ho_Chi_Minh",
    address: str = "",
    with_reference_lists: bool = True,
) -> Ward:
    """Create a ward, with its own copy of the reference lists."""
    slug = _normalize_slug(slug)
    _check_slug_free(slug)
    ward = Ward(
        name=normalize_text(name),
        slug=slug,
        kind=kind,
        place_name=normalize_text(place_name or name),
        province=normalize_text(province),
        parent_agency=normalize_text(parent_agency),
        issuer_code=issuer_code.strip().upper(),
        timezone=timezone,
        address=normalize_text(address),
    )
    db.session.add(ward)
    if with_reference_lists:
        seed_reference_lists(ward)
    db.session.flush()
    return ward


def update_ward(
    ward: Ward,
    *,
    name: str,
    slug: str,
    place_name: str,
    kind: WardKind,
    province: str = "",
    parent_agency: str = "",
    issuer_code: str = "UBND",
    timezone: str = "Asia/Ho_Chi_Minh",
    address: str = "",
    is_active: bool = True,
    shows_speaker_names: bool | None = None,
    names_speakers_in_documents: bool | None = None,
    rating_public_minimum: int | None = None,
    notice_includes_satisfaction: bool | None = None,
) -> None:
    """Change a ward's details; a ward is deactivated, never deleted."""
    slug = _normalize_slug(slug)
    _check_slug_free(slug, ward=ward)
    ward.name = normalize_text(name)
    ward.slug = slug
    ward.place_name = normalize_text(place_name or name)
    ward.kind = kind
    ward.province = normalize_text(province)
    ward.parent_agency = normalize_text(parent_agency)
    ward.issuer_code = issuer_code.strip().upper()
    ward.timezone = timezone
    ward.address = normalize_text(address)
    ward.is_active = is_active
    if shows_speaker_names is not None:
        ward.shows_speaker_names = shows_speaker_names
    if names_speakers_in_documents is not None:
        ward.names_speakers_in_documents = names_speakers_in_documents
    if rating_public_minimum is not None:
        if not 0 <= rating_public_minimum <= MAX_RATING_PUBLIC_MINIMUM:
            raise ValidationFailed(
                _("Enter a number from 0 to 100."), field="rating_public_minimum"
            )
        ward.rating_public_minimum = rating_public_minimum
    if notice_includes_satisfaction is not None:
        ward.notice_includes_satisfaction = notice_includes_satisfaction
    db.session.flush()


# Reference lists ---------------------------------------------------------------------------


def _is_taken(model, ward: Ward, column, value, *, exclude=None) -> bool:
    """Tell whether another record of ``ward`` already has ``value`` in ``column``."""
    stmt = sa.select(model.id).where(model.ward_id == ward.id, column == value)
    if exclude is not None and exclude.id is not None:
        stmt = stmt.where(model.id != exclude.id)
    return db.session.scalar(stmt.limit(1)) is not None


def _next_position(model, ward: Ward) -> int:
    highest = db.session.scalar(
        sa.select(sa.func.max(model.position)).where(model.ward_id == ward.id)
    )
    return (highest or 0) + 10


def _normalize_code(code: str) -> str:
    return code.strip().upper()


# Residential groups


def _check_group_number_free(ward: Ward, number: int, *, group=None) -> None:
    if _is_taken(ResidentialGroup, ward, ResidentialGroup.number, number, exclude=group):
        raise ValidationFailed(
            _("This ward already has a residential group number %(number)s.", number=number),
            field="number",
        )


def create_residential_group(
    ward: Ward, *, number: int, name: str, head_name: str = ""
) -> ResidentialGroup:
    """Add a residential group (tổ dân phố) to ``ward``."""
    _check_group_number_free(ward, number)
    group = ResidentialGroup(
        ward=ward, number=number, name=normalize_text(name), head_name=normalize_text(head_name)
    )
    db.session.add(group)
    db.session.flush()
    return group


def update_residential_group(
    group: ResidentialGroup, *, number: int, name: str, head_name: str = ""
) -> None:
    """Change a residential group's number, name or head."""
    _check_group_number_free(group.ward, number, group=group)
    group.number = number
    group.name = normalize_text(name)
    group.head_name = normalize_text(head_name)
    db.session.flush()


def count_group_members(group: ResidentialGroup) -> int:
    """Return how many people of the directory belong to ``group``."""
    return db.session.scalar(
        sa.select(sa.func.count(Person.id)).where(
            Person.ward_id == group.ward_id, Person.residential_group_id == group.id
        )
    )


def delete_residential_group(group: ResidentialGroup) -> int:
    """Delete ``group``; its people stay in the directory without a group. Return their number."""
    detached = count_group_members(group)
    # Going through the ORM records each detached person in the audit log.
    db.session.delete(group)
    db.session.flush()
    return detached


def generate_residential_groups(
    ward: Ward, *, count: int, prefix: str = DEFAULT_GROUP_PREFIX
) -> tuple[list[ResidentialGroup], int]:
    """Create groups numbered 1..``count`` named "<prefix> <n>", skipping numbers that exist.

    Return the new groups and how many numbers were skipped.
    """
    if not 1 <= count <= MAX_GENERATED_GROUPS:
        raise ValidationFailed(
            _("Choose a number from 1 to %(max)s.", max=MAX_GENERATED_GROUPS), field="count"
        )
    prefix = normalize_text(prefix) or DEFAULT_GROUP_PREFIX
    existing = set(
        db.session.scalars(
            sa.select(ResidentialGroup.number).where(ResidentialGroup.ward_id == ward.id)
        )
    )
    created = [
        ResidentialGroup(ward=ward, number=number, name=f"{prefix} {number}")
        for number in range(1, count + 1)
        if number not in existing
    ]
    db.session.add_all(created)
    db.session.flush()
    return created, count - len(created)


# Units


def _check_unit_name_free(ward: Ward, name: str, *, unit=None) -> None:
    if _is_taken(Unit, ward, Unit.name, name, exclude=unit):
        raise ValidationFailed(_("This ward already has a unit with this name."), field="name")


def create_unit(
    ward: Ward, *, name: str, short_name: str = "", head_name: str = "", is_active: bool = True
) -> Unit:
    """Add a unit (a ward office or department that answers questions) to ``ward``."""
    name = normalize_text(name)
    _check_unit_name_free(ward, name)
    unit = Unit(
        ward=ward,
        name=name,
        short_name=normalize_text(short_name),
        head_name=normalize_text(head_name),
        is_active=is_active,
    )
    db.session.add(unit)
    db.session.flush()
    return unit


def update_unit(
    unit: Unit, *, name: str, short_name: str = "", head_name: str = "", is_active: bool = True
) -> None:
    """Change a unit; a unit is deactivated, never deleted."""
    name = normalize_text(name)
    _check_unit_name_free(unit.ward, name, unit=unit)
    unit.name = name
    unit.short_name = normalize_text(short_name)
    unit.head_name = normalize_text(head_name)
    unit.is_active = is_active
    db.session.flush()


# A unit is referred to by turns, tasks, accounts, and whatever comes later: every foreign key
# to it counts. These name the usual ones; any other is "other records".
UNIT_USE_LABELS = {
    "turns": _l("speaking turns"),
    "conclusion_tasks": _l("conclusion tasks"),
    "users": _l("staff accounts"),
}


def unit_uses(unit: Unit) -> dict[str, int]:
    """How many rows of each table refer to ``unit``, by table name; empty when it is unused."""
    uses = {}
    for table in db.metadata.sorted_tables:
        for key in table.foreign_keys:
            if key.column.table.name != Unit.__tablename__:
                continue
            count = db.session.scalar(
                sa.select(sa.func.count()).select_from(table).where(key.parent == unit.id)
            )
            if count:
                uses[table.name] = uses.get(table.name, 0) + count
    return uses


def describe_unit_uses(uses: dict[str, int]) -> str:
    """What refers to a unit, as a user reads it: "speaking turns: 3; staff accounts: 1"."""
    order = list(UNIT_USE_LABELS)
    counts: dict[str, int] = {}
    for table in sorted(uses, key=lambda name: order.index(name) if name in order else len(order)):
        label = str(UNIT_USE_LABELS.get(table, _l("other records")))
        counts[label] = counts.get(label, 0) + uses[table]
    return "; ".join(f"{label}: {count}" for label, count in counts.items())


def _check_unit_unused(unit: Unit) -> None:
    # The row lock makes a turn or task saved at the same moment wait, then find the unit
    # moved, or fail on a deleted one, rather than be emptied of its unit unseen.
    db.session.execute(sa.select(Unit.id).where(Unit.id == unit.id).with_for_update())
    uses = unit_uses(unit)
    if uses:
        raise ValidationFailed(
            _(
                "%(name)s is in use (%(uses)s), so it can no longer be moved or deleted. "
                "Make it inactive instead: it then stays on past records and is no longer offered.",
                name=unit.name,
                uses=describe_unit_uses(uses),
            )
        )


def move_unit(unit: Unit, ward: Ward) -> None:
    """Move a unit created in the wrong ward to ``ward``; only while nothing refers to it."""
    if ward.id == unit.ward_id:
        raise ValidationFailed(_("The unit already belongs to this ward."), field="ward_id")
    _check_unit_unused(unit)
    if _is_taken(Unit, ward, Unit.name, unit.name, exclude=unit):
        raise ValidationFailed(
            _(
                "%(ward)s already has a unit named %(name)s. Rename one of them first.",
                ward=ward.display_name,
                name=unit.name,
            ),
            field="ward_id",
        )
    unit.ward = ward
    db.session.flush()


def delete_unit(unit: Unit) -> None:
    """Delete a unit; only while nothing refers to it (a unit in use is made inactive instead)."""
    _check_unit_unused(unit)
    db.session.delete(unit)
    db.session.flush()


# Procedure areas


def _check_area_code_free(ward: Ward, code: str, *, area=None) -> None:
    if _is_taken(ProcedureArea, ward, ProcedureArea.code, code, exclude=area):
        raise ValidationFailed(
            _("This ward already has a procedure area with code %(code)s.", code=code),
            field="code",
        )


def create_procedure_area(
    ward: Ward,
    *,
    code: str,
    name_vi: str,
    name_en: str = "",
    group_vi: str = "",
    group_en: str = "",
    position: int | None = None,
    is_active: bool = True,
) -> ProcedureArea:
    """Add a procedure area (lĩnh vực TTHC) to ``ward``; without a position it goes last."""
    code = _normalize_code(code)
    _check_area_code_free(ward, code)
    area = ProcedureArea(
        ward=ward,
        code=code,
        name_vi=normalize_text(name_vi),
        name_en=normalize_text(name_en),
        group_vi=normalize_text(group_vi),
        group_en=normalize_text(group_en),
        position=_next_position(ProcedureArea, ward) if position is None else position,
        is_active=is_active,
    )
    db.session.add(area)
    db.session.flush()
    return area


def update_procedure_area(
    area: ProcedureArea,
    *,
    code: str,
    name_vi: str,
    name_en: str = "",
    group_vi: str = "",
    group_en: str = "",
    position: int | None = None,
    is_active: bool = True,
) -> None:
    """Change a procedure area; areas are deactivated, never deleted (records refer to them)."""
    code = _normalize_code(code)
    _check_area_code_free(area.ward, code, area=area)
    area.code = code
    area.name_vi = normalize_text(name_vi)
    area.name_en = normalize_text(name_en)
    area.group_vi = normalize_text(group_vi)
    area.group_en = normalize_text(group_en)
    if position is not None:
        area.position = position
    area.is_active = is_active
    db.session.flush()


# Delegate categories


def _check_category_code_free(ward: Ward, code: str, *, category=None) -> None:
    if _is_taken(DelegateCategory, ward, DelegateCategory.code, code, exclude=category):
        raise ValidationFailed(
            _("This ward already has a delegate category with code %(code)s.", code=code),
            field="code",
        )


def create_delegate_category(
    ward: Ward,
    *,
    code: str,
    name_vi: str,
    name_en: str = "",
    position: int | None = None,
    is_active: bool = True,
) -> DelegateCategory:
    """Add a delegate category (thành phần đại biểu) to ``ward``; without a position it goes last."""
    code = _normalize_code(code)
    _check_category_code_free(ward, code)
    category = DelegateCategory(
        ward=ward,
        code=code,
        name_vi=normalize_text(name_vi),
        name_en=normalize_text(name_en),
        position=_next_position(DelegateCategory, ward) if position is None else position,
        is_active=is_active,
    )
    db.session.add(category)
    db.session.flush()
    return category


def update_delegate_category(
    category: DelegateCategory,
    *,
    code: str,
    name_vi: str,
    name_en: str = "",
    position: int | None = None,
    is_active: bool = True,
) -> None:
    """Change a delegate category; categories are deactivated, never deleted."""
    code = _normalize_code(code)
    _check_category_code_free(category.ward, code, category=category)
    category.code = code
    category.name_vi = normalize_text(name_vi)
    category.name_en = normalize_text(name_en)
    if position is not None:
        category.position = position
    category.is_active = is_active
    db.session.flush()
