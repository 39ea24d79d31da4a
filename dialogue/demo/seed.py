"""Load the demo ward: Thạch Bàn, its groups, units, directory, staff and the 2020 conference."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from dialogue.auth.models import Role, User
from dialogue.auth.operations import create_user
from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.demo import data
from dialogue.errors import ValidationFailed
from dialogue.extensions import db
from dialogue.people.models import Person
from dialogue.wards.models import ResidentialGroup, Unit, Ward, WardKind
from dialogue.wards.operations import create_ward

DEMO_SLUG = data.WARD["slug"]
DEMO_USERNAMES = tuple(username for username, *_rest in data.ACCOUNTS)


def load_demo(password: str) -> Ward:
    """Create the demo ward with everything in it; the caller commits.

    Every demo account gets ``password``. Refuses when the demo ward or one of its
    usernames exists already, so running it twice changes nothing.
    """
    if not password:
        raise ValidationFailed(_("The demo accounts need a password."), field="password")
    if db.session.scalar(sa.select(Ward.id).where(Ward.slug == DEMO_SLUG)) is not None:
        raise ValidationFailed(
            _("The demo ward (%(slug)s) exists already: nothing was loaded.", slug=DEMO_SLUG),
            field="slug",
        )
    taken = db.session.scalars(
        sa.select(User.username).where(User.username.in_(DEMO_USERNAMES))
    ).all()
    if taken:
        raise ValidationFailed(
            _("These usernames are taken: %(names)s. Nothing was loaded.", names=", ".join(taken)),
            field="username",
        )

    ward = create_ward(kind=WardKind.WARD, **data.WARD)
    groups = {
        number: ResidentialGroup(number=number, name=data.group_name(number))
        for number in range(1, data.GROUP_COUNT + 1)
    }
    ward.residential_groups.extend(groups.values())
    units = {name: Unit(name=name, short_name=short_name) for name, short_name in data.UNITS}
    ward.units.extend(units.values())
    categories = {category.code: category for category in ward.delegate_categories}

    people: dict[str, Person] = {}
    for entry in data.people():
        person = Person(
            ward=ward,
            full_name=entry.full_name,
            title=entry.title,
            organisation=entry.organisation,
            residential_group=groups.get(entry.group),
            delegate_category=categories.get(entry.category),
            has_consent=entry.has_consent,
            phone=entry.phone,
        )
        db.session.add(person)
        people[entry.key] = person
        if entry.unit:
            units[entry.unit].head_name = entry.full_name
        if entry.category == "TO_TRUONG":
            groups[entry.group].head_name = entry.full_name
    db.session.flush()

    users: dict[str, User] = {}
    for username, role, display_name, person_key, unit_name in data.ACCOUNTS:
        users[username] = create_user(
            ward=ward,
            username=username,
            display_name=display_name or people[person_key].full_name,
            password=password,
            role=Role(role),
            unit=units.get(unit_name) if unit_name else None,
        )

    roles = data.CONFERENCE_ROLES
    conference = Conference(
        ward=ward,
        **data.CONFERENCE,
        end_dt=data.CONFERENCE_CLOSED_DT,
        chair=people[roles["chair"]],
        reporter=people[roles["reporter"]],
        cochairs=[people[key] for key in roles["cochairs"]],
        secretaries=[users[username] for username in roles["secretaries"]],
        status=ConferenceStatus.CLOSED,
        status_changed_dt=data.CONFERENCE_CLOSED_DT,
    )
    db.session.add(conference)
    db.session.flush()
    return ward
