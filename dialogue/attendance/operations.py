"""The check-in desk: find who arrives (QR code, name, walk-in), mark them, count them.

Every function takes the conference it works on; the view has loaded it through the ward
scoping, so the attendees, groups and categories reached from it are in scope too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import sqlalchemy as sa
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from dialogue.attendance.models import (
    AttendanceStatus,
    AttendanceTally,
    Attendee,
    CheckInMethod,
)
from dialogue.audit.recording import record_event
from dialogue.auth.models import User
from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.core.dates import to_local
from dialogue.core.db import utcnow
from dialogue.core.search import search_condition
from dialogue.core.text import fold, normalize_text
from dialogue.errors import DialogueError, ValidationFailed
from dialogue.extensions import db
from dialogue.people.models import Person
from dialogue.wards.models import DelegateCategory, ResidentialGroup

# Check-in tokens are secrets.token_urlsafe(18): 24 characters of A-Z a-z 0-9 - _.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,40}")
MAX_TOKEN_CANDIDATES = 8
MAX_SCANNED_LENGTH = 500
OPEN_STATES = frozenset({ConferenceStatus.ANNOUNCED, ConferenceStatus.IN_PROGRESS})
# The delegate category of ordinary residents in the reference list; wards keep its code.
RESIDENTS_CODE = "NHAN_DAN"
MIN_SEARCH_LENGTH = 2


class CheckInClosed(DialogueError):
    """The conference is not at a stage where people can be checked in."""


class UnknownCode(ValidationFailed):
    """A scanned or typed code is no check-in code at all."""


class ForeignCode(ValidationFailed):
    """A scanned code is a real check-in code, of another conference."""


class DuplicateWalkIn(ValidationFailed):
    """A walk-in looks like someone already on the list."""

    def __init__(self, message: str, *, existing: Attendee):
        super().__init__(message, field="full_name")
        self.existing = existing


# -- rules --------------------------------------------------------------------------------------


def desk_is_open(conference: Conference) -> bool:
    return conference.status in OPEN_STATES


def closed_reason(conference: Conference) -> str:
    """Say why people cannot be checked in now, in the user's language."""
    if conference.status is ConferenceStatus.DRAFT:
        return _("Check-in opens when the conference is announced.")
    if conference.status is ConferenceStatus.CANCELLED:
        return _("This conference was cancelled: there is no check-in.")
    return _("This conference is over: check-in is closed.")


def ensure_desk_open(conference: Conference) -> None:
    if not desk_is_open(conference):
        raise CheckInClosed(closed_reason(conference))


def check_in_time(attendee: Attendee) -> str:
    """The time of the check-in as the desk reads it: "07:52", in the ward's timezone."""
    if attendee.checked_in_dt is None:
        return ""
    return to_local(attendee.checked_in_dt, attendee.conference.ward.timezone).strftime("%H:%M")


# -- codes --------------------------------------------------------------------------------------


def token_candidates(scanned: str) -> list[str]:
    """Return the token-looking parts of what a scanner or a person typed, likeliest first.

    A bare token is its own candidate; from a URL, the ``token`` (or ``t``, ``code``) query
    value comes first, then the path segments from the last; from any other text, every run
    of token characters long enough to be one, from the last.
    """
    text = (scanned or "").strip()[:MAX_SCANNED_LENGTH]
    if not text:
        return []
    if TOKEN_PATTERN.fullmatch(text):
        return [text]
    found: list[str] = []
    parts = urlsplit(text) if "://" in text or text.startswith("/") else None
    if parts is not None:
        for key, value in parse_qsl(parts.query):
            if key.lower() in {"token", "t", "code"} and TOKEN_PATTERN.fullmatch(value.strip()):
                found.append(value.strip())
        for segment in reversed(parts.path.split("/")):
            if TOKEN_PATTERN.fullmatch(segment):
                found.append(segment)
    found.extend(reversed(TOKEN_PATTERN.findall(text)))
    unique = list(dict.fromkeys(found))
    return unique[:MAX_TOKEN_CANDIDATES]


def _has_vietnamese_letters(text: str) -> bool:
    return any(not ch.isascii() and ch.isalpha() for ch in text)


def find_by_code(conference: Conference, scanned: str) -> Attendee:
    """Return the attendee of ``conference`` whose check-in code is in ``scanned``.

    Raises UnknownCode for anything that is not a check-in code, ForeignCode for the code of
    another conference.
    """
    candidates = token_candidates(scanned)
    if not candidates:
        if _has_vietnamese_letters(scanned or ""):
            # A USB scanner types keys: with Vietnamese typing (Telex, VNI) switched on,
            # "dd" becomes "đ" and letters get tone marks.
            raise UnknownCode(
                _(
                    "Unknown code: it contains Vietnamese letters. Switch the computer's "
                    "Vietnamese typing off (English keyboard), then scan again."
                ),
                field="token",
            )
        raise UnknownCode(_("Unknown code."), field="token")
    matches = db.session.scalars(
        sa.select(Attendee)
        .where(Attendee.token.in_(candidates))
        # Everything the desk's answer shows, in the same query.
        .options(
            joinedload(Attendee.conference).joinedload(Conference.ward),
            joinedload(Attendee.residential_group),
        )
    ).all()
    own = [attendee for attendee in matches if attendee.conference_id == conference.id]
    if own:
        return own[0]
    if not matches:
        # Caps Lock on the desk computer turns a scanned code's case around.
        lowered = [candidate.lower() for candidate in candidates]
        own = db.session.scalars(
            sa.select(Attendee).where(
                Attendee.conference_id == conference.id,
                sa.func.lower(Attendee.token).in_(lowered),
            )
        ).all()
        if len(own) == 1:
            return own[0]
        raise UnknownCode(_("Unknown code."), field="token")
    other = matches[0].conference
    if other.ward_id == conference.ward_id:
        raise ForeignCode(
            _(
                "This code belongs to another conference: %(title)s, %(date)s.",
                title=other.title,
                date=to_local(other.start_dt, other.ward.timezone).strftime("%d/%m/%Y"),
            ),
            field="token",
        )
    raise ForeignCode(_("This code belongs to another conference."), field="token")


# -- marking ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Marked:
    """What a check-in did: ``changed`` is False when the attendee already had that status."""

    attendee: Attendee
    changed: bool
    previous: AttendanceStatus | None = None
    added: bool = False


def _locked(attendee: Attendee) -> Attendee:
    """Re-read ``attendee`` under a row lock, so two desks marking one person take turns.

    On SQLite the request's write transaction already makes writers take turns, and the
    attendee was read inside it: there is nothing to re-read.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        return attendee
    locked = db.session.scalar(
        sa.select(Attendee)
        .where(Attendee.id == attendee.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked is None:
        raise ValidationFailed(_("This person is no longer on the list."))
    return locked


def mark(
    conference: Conference,
    attendee: Attendee,
    *,
    by: User,
    method: CheckInMethod,
    status: AttendanceStatus = AttendanceStatus.PRESENT,
) -> Marked:
    """Mark ``attendee`` present or excused; marking them again as they are changes nothing."""
    if status is AttendanceStatus.EXPECTED:
        raise ValueError("use undo() to take a check-in back")
    ensure_desk_open(conference)
    attendee = _locked(attendee)
    if attendee.status is status:
        return Marked(attendee, changed=False, previous=status)
    previous = attendee.status
    attendee.status = status
    attendee.check_in_method = method
    attendee.checked_in_dt = utcnow()
    attendee.checked_in_by_id = by.id
    db.session.flush()
    return Marked(attendee, changed=True, previous=previous)


def check_in_code(conference: Conference, scanned: str, *, by: User) -> Marked:
    """Check in the holder of the invitation whose QR code was scanned or typed."""
    ensure_desk_open(conference)
    attendee = find_by_code(conference, scanned)
    return mark(conference, attendee, by=by, method=CheckInMethod.QR)


def _copy_from_person(attendee: Attendee, person: Person) -> None:
    attendee.full_name = person.full_name
    attendee.title = person.title
    attendee.organisation = person.organisation
    attendee.residential_group_id = person.residential_group_id
    attendee.delegate_category_id = person.delegate_category_id


def check_in_person(conference: Conference, person: Person, *, by: User) -> Marked:
    """Check in someone from the ward's directory, adding them (not invited) if not on the list."""
    ensure_desk_open(conference)
    if person.ward_id != conference.ward_id:
        raise ValidationFailed(_("This person is not in the conference's ward."))
    existing_stmt = sa.select(Attendee).where(
        Attendee.conference_id == conference.id, Attendee.person_id == person.id
    )
    existing = db.session.scalar(existing_stmt)
    if existing is None:
        attendee = Attendee(
            conference_id=conference.id,
            person_id=person.id,
            is_invited=False,
            status=AttendanceStatus.PRESENT,
            check_in_method=CheckInMethod.NAME,
            checked_in_dt=utcnow(),
            checked_in_by_id=by.id,
        )
        _copy_from_person(attendee, person)
        try:
            # Two desks adding the same person at once: the second meets the unique
            # constraint and checks in the row the first one added.
            with db.session.begin_nested():
                db.session.add(attendee)
        except sa.exc.IntegrityError:
            existing = db.session.scalar(existing_stmt.execution_options(populate_existing=True))
            if existing is None:
                raise
        else:
            return Marked(attendee, changed=True, previous=None, added=True)
    return mark(conference, existing, by=by, method=CheckInMethod.NAME)


@dataclass(frozen=True)
class WalkInData:
    full_name: str
    residential_group_id: int | None = None
    organisation: str = ""
    delegate_category_id: int | None = None
    same_name_confirmed: bool = False


def _same_person_on_list(conference: Conference, data: WalkInData) -> Attendee | None:
    """Return someone on the list with the walk-in's name and group (or organisation)."""
    stmt = sa.select(Attendee).where(
        Attendee.conference_id == conference.id, search_condition(Attendee, data.full_name)
    )
    folded = fold(data.full_name)
    for attendee in db.session.scalars(stmt.limit(50)):
        if fold(attendee.full_name) != folded:
            continue
        if data.residential_group_id is not None:
            if attendee.residential_group_id == data.residential_group_id:
                return attendee
        elif fold(attendee.organisation) == fold(data.organisation):
            return attendee
    return None


def add_walk_in(conference: Conference, data: WalkInData, *, by: User) -> Attendee:
    """Add someone who came without an invitation, checked in."""
    ensure_desk_open(conference)
    full_name = normalize_text(data.full_name)
    organisation = normalize_text(data.organisation)
    if not full_name:
        raise ValidationFailed(_("Enter the full name."), field="full_name")
    if data.residential_group_id is None and not organisation:
        raise ValidationFailed(
            _("Choose a residential group or write an organisation."), field="residential_group_id"
        )
    if data.residential_group_id is not None:
        group = db.session.get(ResidentialGroup, data.residential_group_id)
        if group is None or group.ward_id != conference.ward_id:
            raise ValidationFailed(
                _("This residential group is not in the ward."), field="residential_group_id"
            )
    if data.delegate_category_id is not None:
        category = db.session.get(DelegateCategory, data.delegate_category_id)
        if category is None or category.ward_id != conference.ward_id:
            raise ValidationFailed(
                _("This delegate category is not in the ward."), field="delegate_category_id"
            )
    clean = WalkInData(
        full_name=full_name,
        residential_group_id=data.residential_group_id,
        organisation=organisation,
        delegate_category_id=data.delegate_category_id,
        same_name_confirmed=data.same_name_confirmed,
    )
    if not clean.same_name_confirmed:
        existing = _same_person_on_list(conference, clean)
        if existing is not None:
            raise DuplicateWalkIn(
                _(
                    "%(name)s is already on the list: find them with the search above, "
                    "or tick the box below if this is another person with the same name.",
                    name=existing.full_name,
                ),
                existing=existing,
            )
    attendee = Attendee(
        conference_id=conference.id,
        full_name=full_name,
        organisation=organisation,
        residential_group_id=clean.residential_group_id,
        delegate_category_id=clean.delegate_category_id,
        is_invited=False,
        status=AttendanceStatus.PRESENT,
        check_in_method=CheckInMethod.WALK_IN,
        checked_in_dt=utcnow(),
        checked_in_by_id=by.id,
    )
    db.session.add(attendee)
    db.session.flush()
    return attendee


@dataclass(frozen=True)
class Undone:
    """What an undo did: ``removed`` when a walk-in left the list, ``changed`` False if nothing."""

    full_name: str
    changed: bool
    removed: bool = False


def undo(conference: Conference, attendee: Attendee, *, by: User) -> Undone:
    """Take a check-in back: an invited person is expected again, anyone else leaves the list."""
    ensure_desk_open(conference)
    attendee = _locked(attendee)
    name = attendee.full_name
    if not attendee.is_invited:
        db.session.delete(attendee)
        db.session.flush()
        return Undone(name, changed=True, removed=True)
    if attendee.status is AttendanceStatus.EXPECTED:
        return Undone(name, changed=False)
    attendee.status = AttendanceStatus.EXPECTED
    attendee.check_in_method = None
    attendee.checked_in_dt = None
    attendee.checked_in_by_id = None
    db.session.flush()
    return Undone(name, changed=True)


# -- reading ------------------------------------------------------------------------------------


def search_list(conference: Conference, term: str, *, limit: int = 12) -> list[Attendee]:
    """Find people on the conference's list by name, organisation or title, ignoring diacritics."""
    if len(fold(term).replace(" ", "")) < MIN_SEARCH_LENGTH:
        return []
    return list(
        db.session.scalars(
            sa.select(Attendee)
            .where(Attendee.conference_id == conference.id, search_condition(Attendee, term))
            .options(
                joinedload(Attendee.residential_group),
                joinedload(Attendee.delegate_category),
                joinedload(Attendee.checked_in_by),
            )
            .order_by(Attendee.search_text, Attendee.id)
            .limit(limit)
        )
    )


def search_directory(conference: Conference, term: str, *, limit: int = 6) -> list[Person]:
    """Find people of the ward's directory who are not on the conference's list."""
    if len(fold(term).replace(" ", "")) < MIN_SEARCH_LENGTH:
        return []
    on_list = (
        sa.select(Attendee.id)
        .where(Attendee.conference_id == conference.id, Attendee.person_id == Person.id)
        .exists()
    )
    return list(
        db.session.scalars(
            sa.select(Person)
            .where(
                Person.ward_id == conference.ward_id,
                search_condition(Person, term),
                ~on_list,
            )
            .options(joinedload(Person.residential_group))
            .order_by(Person.search_text, Person.id)
            .limit(limit)
        )
    )


def latest_check_ins(conference: Conference, *, limit: int = 15) -> list[Attendee]:
    """The most recent check-ins (present or excused) at the conference, newest first."""
    return list(
        db.session.scalars(
            sa.select(Attendee)
            .where(
                Attendee.conference_id == conference.id,
                Attendee.status != AttendanceStatus.EXPECTED,
                Attendee.checked_in_dt.is_not(None),
            )
            .options(
                joinedload(Attendee.residential_group),
                joinedload(Attendee.checked_in_by),
            )
            .order_by(Attendee.checked_in_dt.desc(), Attendee.id.desc())
            .limit(limit)
        )
    )


@dataclass
class CountRow:
    """Invited against present for one residential group, one category, or everyone."""

    key: str
    label: str
    invited: int = 0
    present: int = 0
    excused: int = 0
    # Present without an invitation: walk-ins and people added from the directory.
    uninvited: int = 0

    def add(self, *, is_invited: bool, status: AttendanceStatus, number: int) -> None:
        if is_invited:
            self.invited += number
        if status is AttendanceStatus.PRESENT:
            self.present += number
            if not is_invited:
                self.uninvited += number
        elif status is AttendanceStatus.EXCUSED:
            self.excused += number

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "invited": self.invited,
            "present": self.present,
            "excused": self.excused,
            "uninvited": self.uninvited,
        }


@dataclass
class AttendanceCounts:
    total: CountRow
    by_group: list[CountRow] = field(default_factory=list)
    by_category: list[CountRow] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "total": self.total.as_dict(),
            "by_group": [row.as_dict() for row in self.by_group],
            "by_category": [row.as_dict() for row in self.by_category],
        }


def count_attendance(conference: Conference, *, locale: str = "vi") -> AttendanceCounts:
    """Count invited, present and excused people by residential group and by delegate category.

    Every group of the ward has its row (a group nobody came from is news); categories have a
    row when someone of theirs is on the list.
    """
    rows = db.session.execute(
        sa.select(
            Attendee.residential_group_id,
            Attendee.delegate_category_id,
            Attendee.is_invited,
            Attendee.status,
            sa.func.count(),
        )
        .where(Attendee.conference_id == conference.id)
        .group_by(
            Attendee.residential_group_id,
            Attendee.delegate_category_id,
            Attendee.is_invited,
            Attendee.status,
        )
    ).all()
    ward = conference.ward
    total = CountRow("total", str(_l("Total")))
    groups = {
        group.id: CountRow(f"group-{group.id}", group.name) for group in ward.residential_groups
    }
    no_group = CountRow("group-none", str(_l("No residential group")))
    categories = {
        category.id: CountRow(f"category-{category.id}", category.name_for(locale))
        for category in ward.delegate_categories
    }
    no_category = CountRow("category-none", str(_l("No category")))
    for group_id, category_id, is_invited, status, number in rows:
        status = AttendanceStatus(status)
        total.add(is_invited=is_invited, status=status, number=number)
        groups.get(group_id, no_group).add(is_invited=is_invited, status=status, number=number)
        categories.get(category_id, no_category).add(
            is_invited=is_invited, status=status, number=number
        )
    _add_tallies(conference, total, groups, no_group, categories, no_category)
    by_group = list(groups.values())
    if _has_people(no_group):
        by_group.append(no_group)
    by_category = [row for row in categories.values() if _has_people(row)]
    if _has_people(no_category):
        by_category.append(no_category)
    return AttendanceCounts(total=total, by_group=by_group, by_category=by_category)


def _add_tallies(conference, total, groups, no_group, categories, no_category) -> None:
    add_tallies(tallies_of(conference), total, groups, no_group, categories, no_category)


def add_tallies(tallies, total, groups, no_group, categories, no_category) -> None:
    """Add the head counts of one conference's paper records to the rows and the total.

    The counts by group and by category are two views of the same people: the total is the
    larger of the two sums, and what one view leaves unplaced goes to its "none" row.
    """
    if not tallies:
        return
    sums = {"group": [0, 0], "category": [0, 0]}
    for tally in tallies:
        kind, target_id = tally.key
        if kind == "group":
            row = groups.get(target_id, no_group)
        else:
            row = categories.get(target_id, no_category)
        row.invited += tally.invited
        row.present += tally.present
        sums[kind][0] += tally.invited
        sums[kind][1] += tally.present
    invited = max(sums["group"][0], sums["category"][0])
    present = max(sums["group"][1], sums["category"][1])
    total.invited += invited
    total.present += present
    for row, kind in ((no_group, "group"), (no_category, "category")):
        row.invited += invited - sums[kind][0]
        row.present += present - sums[kind][1]


def tallies_of(conference: Conference) -> list[AttendanceTally]:
    return list(
        db.session.scalars(
            sa.select(AttendanceTally)
            .where(AttendanceTally.conference_id == conference.id)
            .order_by(AttendanceTally.id)
        )
    )


# Tallies are the paper record of a conference; they stay editable until its minutes are out.
TALLY_STATES = frozenset(
    {ConferenceStatus.ANNOUNCED, ConferenceStatus.IN_PROGRESS, ConferenceStatus.CLOSED}
)
MAX_TALLY = 100_000


@dataclass(frozen=True)
class TallyData:
    """Head counts keyed by residential group id and by delegate category id: (invited, present)."""

    by_group: dict[int, tuple[int, int]] = field(default_factory=dict)
    by_category: dict[int, tuple[int, int]] = field(default_factory=dict)


def set_tallies(conference: Conference, data: TallyData) -> None:
    """Replace the conference's head counts with ``data``; zero rows are dropped."""
    if conference.status not in TALLY_STATES:
        raise ValidationFailed(
            _(
                "The attendance of a conference that is “%(status)s” can no longer change.",
                status=conference.status.title,
            )
        )
    ward = conference.ward
    group_ids = {group.id for group in ward.residential_groups}
    category_ids = {category.id for category in ward.delegate_categories}
    wanted: dict[tuple[str, int], tuple[int, int]] = {}
    for kind, values, known in (
        ("group", data.by_group, group_ids),
        ("category", data.by_category, category_ids),
    ):
        for target_id, (invited, present) in values.items():
            if target_id not in known:
                raise ValidationFailed(_("Choose the ward's own groups and categories."))
            if not (0 <= invited <= MAX_TALLY and 0 <= present <= MAX_TALLY):
                raise ValidationFailed(
                    _("Give numbers from 0 to %(max)s.", max=format_decimal(MAX_TALLY))
                )
            if invited or present:
                wanted[(kind, target_id)] = (invited, present)
    existing = {tally.key: tally for tally in tallies_of(conference)}
    for key, tally in existing.items():
        if key not in wanted:
            db.session.delete(tally)
    for (kind, target_id), (invited, present) in wanted.items():
        tally = existing.get((kind, target_id))
        if tally is None:
            tally = AttendanceTally(
                conference_id=conference.id,
                residential_group_id=target_id if kind == "group" else None,
                delegate_category_id=target_id if kind == "category" else None,
            )
            tally.conference = conference
            db.session.add(tally)
        tally.invited, tally.present = invited, present
    db.session.flush()
    record_event(
        db.session,
        ward_id=conference.ward_id,
        entity=conference,
        summary="attendance counts entered",
        details={"present": sum(present for _, present in wanted.values())},
    )


def _has_people(row: CountRow) -> bool:
    return bool(row.invited or row.present or row.excused)


def sheet_attendees(conference: Conference) -> Sequence[Attendee]:
    """Everyone on the conference's list, with what the sign-in sheet needs loaded."""
    return db.session.scalars(
        sa.select(Attendee)
        .where(Attendee.conference_id == conference.id)
        .options(joinedload(Attendee.residential_group), joinedload(Attendee.delegate_category))
    ).all()
