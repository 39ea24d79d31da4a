"""The sign-in sheet (danh sách đại biểu dự hội nghị): who is expected, with room to sign.

Sections as the clerk lays the sheets out on the tables at the door: first the delegates,
one section per delegate category in the ward's order of categories; then the residents, one
section per residential group in the order of the group numbers, so that each group's people
find their names together. Within a section, people sort by group number, then by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from dialogue.attendance import operations
from dialogue.attendance.models import AttendanceStatus, Attendee
from dialogue.conferences.models import Conference
from dialogue.core.dates import vn_date, vn_time
from dialogue.core.text import fold
from dialogue.documents.pdf import render_pdf

ROMAN = (
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
)
DEFAULT_GROUP_NAME = "Tổ dân phố số {number}"


def roman(number: int) -> str:
    """Write ``number`` in Roman numerals, as section headings of Vietnamese lists do."""
    text = ""
    for value, letters in ROMAN:
        while number >= value:
            text += letters
            number -= value
    return text


@dataclass(frozen=True)
class SheetRow:
    number: int
    full_name: str
    position: str
    group: str
    is_invited: bool
    is_excused: bool


@dataclass
class SheetSection:
    heading: str
    attendees: list[Attendee] = field(default_factory=list)
    rows: list[SheetRow] = field(default_factory=list)


def _group_label(attendee: Attendee) -> str:
    """The group as the "Tổ dân phố" column writes it: "9" for "Tổ dân phố số 9"."""
    group = attendee.residential_group
    if group is None:
        return ""
    if group.name == DEFAULT_GROUP_NAME.format(number=group.number):
        return str(group.number)
    return group.name


def _in_sentence(name: str) -> str:
    """ "Tổ dân phố số 9" inside a heading: "Nhân dân tổ dân phố số 9"."""
    return "t" + name[1:] if name.startswith("Tổ ") else name


def _position(attendee: Attendee) -> str:
    return ", ".join(part for part in (attendee.title, attendee.organisation) if part)


def _sort_key(attendee: Attendee):
    group = attendee.residential_group
    return (
        group.number if group is not None else 1_000_000,
        # Vietnamese lists sort by given name, the last word, then by the whole name.
        fold(attendee.full_name.split()[-1]) if attendee.full_name.split() else "",
        fold(attendee.full_name),
        attendee.id,
    )


def build_sections(conference: Conference, attendees: Iterable[Attendee]) -> list[SheetSection]:
    """Lay ``attendees`` out in the sheet's sections, numbered from 1 in each section."""
    ward = conference.ward
    categories = {category.id: category for category in ward.delegate_categories}
    delegate_sections: dict[int, SheetSection] = {}
    group_sections: dict[int, SheetSection] = {}
    residents_without_group = SheetSection("Nhân dân")
    others = SheetSection("Đại biểu khác")
    for attendee in attendees:
        category = categories.get(attendee.delegate_category_id)
        is_resident = category is None or category.code == operations.RESIDENTS_CODE
        if not is_resident:
            delegate_sections.setdefault(
                category.id, SheetSection(category.name_vi)
            ).attendees.append(attendee)
        elif attendee.residential_group is not None:
            group = attendee.residential_group
            group_sections.setdefault(
                group.id, SheetSection(f"Nhân dân {_in_sentence(group.name)}")
            ).attendees.append(attendee)
        elif category is not None:
            residents_without_group.attendees.append(attendee)
        else:
            others.attendees.append(attendee)
    order = {category.id: (category.position, category.id) for category in categories.values()}
    sections = [delegate_sections[key] for key in sorted(delegate_sections, key=order.get)]
    groups = {group.id: group.number for group in ward.residential_groups}
    sections += [
        group_sections[key] for key in sorted(group_sections, key=lambda k: (groups.get(k, 0), k))
    ]
    sections += [section for section in (residents_without_group, others) if section.attendees]
    for index, section in enumerate(sections, start=1):
        section.heading = f"{roman(index)}. {section.heading}"
        section.rows = [
            SheetRow(
                number=number,
                full_name=attendee.full_name,
                position=_position(attendee),
                group=_group_label(attendee),
                is_invited=attendee.is_invited,
                is_excused=attendee.status is AttendanceStatus.EXCUSED,
            )
            for number, attendee in enumerate(sorted(section.attendees, key=_sort_key), start=1)
        ]
    return sections


def _totals(attendees: Sequence[Attendee]) -> dict[str, int]:
    return {
        "all": len(attendees),
        "invited": sum(1 for a in attendees if a.is_invited),
        "uninvited": sum(1 for a in attendees if not a.is_invited),
    }


def render_sign_in_sheet(conference: Conference) -> bytes:
    """Render the conference's sign-in sheet to PDF bytes."""
    ward = conference.ward
    attendees = operations.sheet_attendees(conference)
    return render_pdf(
        "attendance/sign_in_sheet.html",
        stylesheets=("css/document.css",),
        conference=conference,
        ward=ward,
        sections=build_sections(conference, attendees),
        totals=_totals(attendees),
        place_date=vn_date(conference.start_dt, place=ward.place_name, tz=ward.timezone),
        when=f"{vn_time(conference.start_dt, ward.timezone)}, "
        f"{vn_date(conference.start_dt, tz=ward.timezone)}",
    )
