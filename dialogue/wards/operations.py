"""Wards and their reference lists."""

from __future__ import annotations

from dialogue.core.text import normalize_text
from dialogue.extensions import db
from dialogue.wards import reference
from dialogue.wards.models import DelegateCategory, ProcedureArea, Ward, WardKind


def seed_reference_lists(ward: Ward) -> None:
    """Give ``ward`` its own copy of the starting procedure areas and delegate categories."""
    for position, row in enumerate(reference.procedure_areas(), start=1):
        ward.procedure_areas.append(
            ProcedureArea(
                code=row["code"], name_vi=row["name_vi"], name_en=row["name_en"],
                group_vi=row["group_vi"], group_en=row["group_en"], position=position * 10,
            )
        )
    for position, row in enumerate(reference.delegate_categories(), start=1):
        ward.delegate_categories.append(
            DelegateCategory(
                code=row["code"], name_vi=row["name_vi"], name_en=row["name_en"],
                position=position * 10,
            )
        )


def create_ward(
    *, name: str, slug: str, place_name: str | None = None, kind: WardKind = WardKind.WARD,
    province: str = "", parent_agency: str = "", issuer_code: str = "UBND",
    timezone: str = "Asia/Ho_Chi_Minh", address: str = "", with_reference_lists: bool = True,
) -> Ward:
    """Create a ward, with its own copy of the reference lists."""
    ward = Ward(
        name=normalize_text(name), slug=slug.strip().lower(), kind=kind,
        place_name=normalize_text(place_name or name), province=normalize_text(province),
        parent_agency=normalize_text(parent_agency), issuer_code=issuer_code.strip().upper(),
        timezone=timezone, address=normalize_text(address),
    )
    db.session.add(ward)
    if with_reference_lists:
        seed_reference_lists(ward)
    db.session.flush()
    return ward
