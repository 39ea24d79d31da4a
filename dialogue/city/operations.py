"""Provinces, the wards assigned to them, and the province's officers' accounts."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from dialogue.city.models import Province
from dialogue.core.text import normalize_text
from dialogue.errors import ValidationFailed
from dialogue.extensions import db
from dialogue.wards.models import Ward


def find_province(name: str) -> Province | None:
    return db.session.scalar(sa.select(Province).where(Province.name == normalize_text(name)))


def _check_name_free(name: str, *, province: Province | None = None) -> None:
    found = find_province(name)
    if found is not None and found is not province:
        raise ValidationFailed(_("A province with this name already exists."), field="name")


def create_province(name: str) -> Province:
    """Create a province or centrally run city."""
    name = normalize_text(name)
    if not name:
        raise ValidationFailed(_("Enter the name of the province or city."), field="name")
    _check_name_free(name)
    province = Province(name=name)
    db.session.add(province)
    db.session.flush()
    return province


def get_or_create_province(name: str) -> Province:
    """The province of this name, created when there is none yet."""
    return find_province(name) or create_province(name)


def rename_province(province: Province, name: str) -> None:
    """Give ``province`` a new name; its wards keep the province line they write themselves."""
    name = normalize_text(name)
    if not name:
        raise ValidationFailed(_("Enter the name of the province or city."), field="name")
    _check_name_free(name, province=province)
    province.name = name
    db.session.flush()


def assign_province(ward: Ward, province: Province | None) -> None:
    """Put ``ward`` under ``province`` (or under none), whose officers then see its figures.

    A ward that writes no province line of its own takes the province's name as that line.
    """
    ward.province_record = province
    if province is not None and not ward.province:
        ward.province = province.name
    db.session.flush()


def set_province_wards(province: Province, wards: list[Ward]) -> tuple[int, int]:
    """Make ``wards`` exactly the wards of ``province``; return how many joined and left it."""
    chosen = {ward.id for ward in wards}
    left = [ward for ward in province.wards if ward.id not in chosen]
    joined = [ward for ward in wards if ward.province_id != province.id]
    for ward in left:
        assign_province(ward, None)
    for ward in joined:
        assign_province(ward, province)
    return len(joined), len(left)
