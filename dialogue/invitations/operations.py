"""Building a conference's invitation list and numbering its letters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from dialogue.attendance.models import AttendanceStatus, Attendee
from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.core.dates import to_local, vn_short_date
from dialogue.core.db import utcnow
from dialogue.core.search import search_condition
from dialogue.core.text import fold
from dialogue.documents.models import DocumentNumber, DocumentType
from dialogue.documents.operations import allocate_number
from dialogue.errors import ValidationFailed
from dialogue.extensions import db
from dialogue.people.models import Person
from dialogue.wards.models import DelegateCategory, ResidentialGroup

# Late invitations are still possible once the conference has begun; not after it ended.
INVITABLE_STATES = frozenset(
    {ConferenceStatus.DRAFT, ConferenceStatus.ANNOUNCED, ConferenceStatus.IN_PROGRESS}
)
SEARCH_LIMIT = 20


@dataclass(frozen=True)
class InviteResult:
    """What one "invite" action did: how many were added, how many were on the list already."""

    added: int
    already: int

    @property
    def total(self) -> int:
        return self.added + self.already


@dataclass(frozen=True)
class ExpectedAttendance:
    """Invited counts per residential group and per delegate category (None: not given)."""

    by_group: list[tuple[ResidentialGroup | None, int]]
    by_category: list[tuple[DelegateCategory | None, int]]
    total: int


@dataclass(frozen=True)
class InvitationSummary:
    invited: int
    letters_number: DocumentNumber | None
    can_change: bool

    @property
    def can_download_letters(self) -> bool:
        """Letters exist once numbered; a number is taken only while the list may change."""
        return self.invited > 0 and (self.letters_number is not None or self.can_change)


@dataclass(frozen=True)
class SearchHit:
    person: Person
    is_invited: bool


def can_change_invitations(conference: Conference) -> bool:
    # A conference recorded afterwards was held before it was entered: nobody is invited now.
    return conference.status in INVITABLE_STATES and not conference.is_recorded_afterwards


def _check_not_held(conference: Conference, now: datetime | None = None) -> None:
    """Refuse new letters for a conference already held: they would carry today's date."""
    ward = conference.ward
    today = to_local(now or utcnow(), ward.timezone).date()
    if conference.is_recorded_afterwards or conference.start_local.date() < today:
        raise ValidationFailed(
            _(
                "This conference was held on %(date)s: invitation letters can no longer be "
                "issued for it.",
                date=vn_short_date(conference.start_dt, ward.timezone),
            )
        )


def _check_open(conference: Conference) -> None:
    if not can_change_invitations(conference):
        raise ValidationFailed(
            _(
                "The invitation list cannot change: the conference is %(status)s.",
                status=conference.status.title,
            )
        )


def _lock(conference: Conference) -> None:
    """Serialise changes to one conference's list (a row lock on PostgreSQL).

    On SQLite the request's write transaction already serialises writers.
    """
    db.session.execute(
        sa.select(Conference.id).where(Conference.id == conference.id).with_for_update()
    )


def _new_attendee(conference: Conference, person: Person) -> Attendee:
    # Copied, so the letters and the sign-in sheet keep what was true when the person was invited.
    return Attendee(
        conference=conference,
        person=person,
        full_name=person.full_name,
        title=person.title,
        organisation=person.organisation,
        residential_group_id=person.residential_group_id,
        delegate_category_id=person.delegate_category_id,
        is_invited=True,
    )


def _invite(conference: Conference, people: Sequence[Person]) -> InviteResult:
    on_list = {
        attendee.person_id: attendee
        for attendee in db.session.scalars(
            sa.select(Attendee).where(
                Attendee.conference_id == conference.id, Attendee.person_id.is_not(None)
            )
        )
    }
    added = already = 0
    for person in people:
        attendee = on_list.get(person.id)
        if attendee is None:
            db.session.add(_new_attendee(conference, person))
            added += 1
        elif not attendee.is_invited:
            # Came in as a walk-in matched to the directory: now also on the invitation list.
            attendee.is_invited = True
            added += 1
        else:
            already += 1
    db.session.flush()
    return InviteResult(added=added, already=already)


def _people_of(conference: Conference, condition) -> list[Person]:
    return list(
        db.session.scalars(
            sa.select(Person)
            .where(Person.ward_id == conference.ward_id, condition)
            .order_by(Person.search_text, Person.id)
        )
    )


def invite_category(conference: Conference, category: DelegateCategory) -> InviteResult:
    """Invite everyone of ``category`` in the directory ("all heads of the groups")."""
    _check_open(conference)
    if category.ward_id != conference.ward_id:
        raise ValidationFailed(_("This delegate category is not in the ward."), field="category")
    _lock(conference)
    return _invite(conference, _people_of(conference, Person.delegate_category_id == category.id))


def invite_group(conference: Conference, group: ResidentialGroup) -> InviteResult:
    """Invite everyone of residential group ``group`` in the directory."""
    _check_open(conference)
    if group.ward_id != conference.ward_id:
        raise ValidationFailed(_("This residential group is not in the ward."), field="group")
    _lock(conference)
    return _invite(conference, _people_of(conference, Person.residential_group_id == group.id))


def invite_person(conference: Conference, person: Person) -> InviteResult:
    """Invite one person of the directory."""
    _check_open(conference)
    if person.ward_id != conference.ward_id:
        raise ValidationFailed(_("This person is not in the ward's directory."), field="person_id")
    _lock(conference)
    return _invite(conference, [person])


def remove_invitee(attendee: Attendee) -> None:
    """Take ``attendee`` off the invitation list, unless the door has already recorded them."""
    _check_open(attendee.conference)
    if not attendee.is_invited:
        raise ValidationFailed(
            _("%(name)s is not on the invitation list.", name=attendee.full_name)
        )
    if attendee.status is not AttendanceStatus.EXPECTED or attendee.checked_in_dt is not None:
        raise ValidationFailed(
            _(
                "%(name)s is already recorded at the door (%(status)s) and stays on the list.",
                name=attendee.full_name,
                status=attendee.status.title,
            )
        )
    db.session.delete(attendee)
    db.session.flush()


def invited_attendees_select(conference: Conference) -> sa.Select:
    """Select the invitees in the order of the letters: by category, then group, then name."""
    return (
        sa.select(Attendee)
        .outerjoin(DelegateCategory, Attendee.delegate_category_id == DelegateCategory.id)
        .outerjoin(ResidentialGroup, Attendee.residential_group_id == ResidentialGroup.id)
        .where(Attendee.conference_id == conference.id, Attendee.is_invited.is_(True))
        .options(selectinload(Attendee.delegate_category), selectinload(Attendee.residential_group))
        .order_by(
            DelegateCategory.position.nulls_last(),
            ResidentialGroup.number.nulls_last(),
            Attendee.search_text,
            Attendee.id,
        )
    )


def invited_attendees(conference: Conference) -> list[Attendee]:
    return list(db.session.scalars(invited_attendees_select(conference)))


def _counts(conference: Conference, column) -> dict[int | None, int]:
    rows = db.session.execute(
        sa.select(column, sa.func.count(Attendee.id))
        .where(Attendee.conference_id == conference.id, Attendee.is_invited.is_(True))
        .group_by(column)
    )
    return {key: count for key, count in rows}


def expected_attendance(conference: Conference) -> ExpectedAttendance:
    """Count the invitees per residential group and per delegate category."""
    ward = conference.ward
    per_group = _counts(conference, Attendee.residential_group_id)
    per_category = _counts(conference, Attendee.delegate_category_id)
    by_group: list[tuple[ResidentialGroup | None, int]] = [
        (group, per_group.get(group.id, 0)) for group in ward.residential_groups
    ]
    if per_group.get(None):
        by_group.append((None, per_group[None]))
    by_category: list[tuple[DelegateCategory | None, int]] = [
        (category, per_category.get(category.id, 0))
        for category in ward.delegate_categories
        if category.is_active or per_category.get(category.id)
    ]
    if per_category.get(None):
        by_category.append((None, per_category[None]))
    return ExpectedAttendance(
        by_group=by_group, by_category=by_category, total=sum(per_group.values())
    )


def letters_number_of(conference: Conference) -> DocumentNumber | None:
    """Return the number the conference's invitation letters carry, if they were issued."""
    return db.session.scalar(
        sa.select(DocumentNumber)
        .where(
            DocumentNumber.conference_id == conference.id,
            DocumentNumber.doc_type == DocumentType.INVITATION,
        )
        .order_by(DocumentNumber.id)
        .limit(1)
    )


def issue_letters(conference: Conference, attendees: Sequence[Attendee]) -> DocumentNumber:
    """Return the letters' number, taking it from the register the first time only."""
    if not attendees:
        raise ValidationFailed(_("No one is invited yet: there is no letter to print."))
    _lock(conference)
    number = letters_number_of(conference)
    if number is None:
        _check_open(conference)
        _check_not_held(conference)
        number = allocate_number(
            conference.ward,
            DocumentType.INVITATION,
            conference=conference,
            purpose=f"Giấy mời: {conference.title}",
        )
    return number


def invitation_summary(conference: Conference) -> InvitationSummary:
    invited = db.session.scalar(
        sa.select(sa.func.count(Attendee.id)).where(
            Attendee.conference_id == conference.id, Attendee.is_invited.is_(True)
        )
    )
    return InvitationSummary(
        invited=invited or 0,
        letters_number=letters_number_of(conference),
        can_change=can_change_invitations(conference),
    )


def search_people(conference: Conference, term: str) -> list[SearchHit]:
    """Find people of the conference's ward by name, title or organisation, diacritics ignored."""
    if not fold(term):
        return []
    people = db.session.scalars(
        sa.select(Person)
        .where(Person.ward_id == conference.ward_id, search_condition(Person, term))
        .options(selectinload(Person.residential_group), selectinload(Person.delegate_category))
        .order_by(Person.search_text, Person.id)
        .limit(SEARCH_LIMIT)
    ).all()
    invited_ids = set(
        db.session.scalars(
            sa.select(Attendee.person_id).where(
                Attendee.conference_id == conference.id,
                Attendee.is_invited.is_(True),
                Attendee.person_id.in_([person.id for person in people]),
            )
        )
    )
    return [SearchHit(person=person, is_invited=person.id in invited_ids) for person in people]
