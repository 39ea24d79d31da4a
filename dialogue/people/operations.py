"""Writing the ward's directory of people: create, change, delete, import."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from dialogue.core.db import utcnow
from dialogue.core.text import normalize_text
from dialogue.errors import ValidationFailed
from dialogue.extensions import db
from dialogue.people.models import PendingImport, Person
from dialogue.wards.models import DelegateCategory, ResidentialGroup, Ward

PHONE_CHARACTERS = re.compile(r"[0-9 +.\-()]+")
PHONE_MIN_DIGITS = 8
PHONE_MAX_DIGITS = 15


def phone_is_valid(phone: str) -> bool:
    """Tell whether ``phone`` looks like a phone number: digits and + . - ( ) spaces, 8–15 digits."""
    if not PHONE_CHARACTERS.fullmatch(phone):
        return False
    digits = sum(ch.isdigit() for ch in phone)
    return PHONE_MIN_DIGITS <= digits <= PHONE_MAX_DIGITS


def email_is_valid(email: str) -> bool:
    """Tell whether ``email`` is a well-formed address (no network look-up)."""
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


@dataclass(frozen=True)
class PersonData:
    """What a form or an import row says about a person."""

    full_name: str
    title: str = ""
    organisation: str = ""
    residential_group_id: int | None = None
    delegate_category_id: int | None = None
    phone: str = ""
    email: str = ""
    has_consent: bool = False
    note: str = ""


def _checked(ward: Ward, data: PersonData) -> PersonData:
    """Return ``data`` cleaned, or raise ValidationFailed naming the field at fault."""
    full_name = normalize_text(data.full_name)
    if not full_name:
        raise ValidationFailed(_("Enter the full name."), field="full_name")
    phone = normalize_text(data.phone)
    email = normalize_text(data.email)
    if phone and not phone_is_valid(phone):
        raise ValidationFailed(_("This is not a valid phone number."), field="phone")
    if email and not email_is_valid(email):
        raise ValidationFailed(_("This is not a valid e-mail address."), field="email")
    if (phone or email) and not data.has_consent:
        raise ValidationFailed(
            _("A phone number or e-mail may be kept only with the person's consent."),
            field="has_consent",
        )
    if data.residential_group_id is not None:
        group = db.session.get(ResidentialGroup, data.residential_group_id)
        if group is None or group.ward_id != ward.id:
            raise ValidationFailed(
                _("This residential group is not in the ward."), field="residential_group_id"
            )
    if data.delegate_category_id is not None:
        category = db.session.get(DelegateCategory, data.delegate_category_id)
        if category is None or category.ward_id != ward.id:
            raise ValidationFailed(
                _("This delegate category is not in the ward."), field="delegate_category_id"
            )
    return PersonData(
        full_name=full_name,
        title=normalize_text(data.title),
        organisation=normalize_text(data.organisation),
        residential_group_id=data.residential_group_id,
        delegate_category_id=data.delegate_category_id,
        phone=phone,
        email=email,
        has_consent=data.has_consent,
        note=(data.note or "").strip(),
    )


def _apply(person: Person, data: PersonData) -> None:
    person.full_name = data.full_name
    person.title = data.title
    person.organisation = data.organisation
    person.residential_group_id = data.residential_group_id
    person.delegate_category_id = data.delegate_category_id
    person.phone = data.phone
    person.email = data.email
    person.has_consent = data.has_consent
    person.note = data.note


def create_person(ward: Ward, data: PersonData) -> Person:
    """Add a person to the ward's directory."""
    person = Person(ward=ward)
    _apply(person, _checked(ward, data))
    db.session.add(person)
    db.session.flush()
    return person


def update_person(person: Person, data: PersonData) -> None:
    """Change what the directory says about ``person``."""
    _apply(person, _checked(person.ward, data))
    db.session.flush()


def delete_person(person: Person) -> None:
    """Remove ``person`` from the directory."""
    db.session.delete(person)
    db.session.flush()


def import_people(ward: Ward, rows: Sequence[PersonData]) -> list[Person]:
    """Add every row to the ward's directory, or none: the first bad row raises ValidationFailed.

    The caller commits once, after every row has been added, so a failure leaves nothing behind.
    """
    people = []
    for data in rows:
        person = Person(ward=ward)
        _apply(person, _checked(ward, data))
        people.append(person)
    db.session.add_all(people)
    db.session.flush()
    return people


def keep_pending_import(
    ward, user, *, filename: str, kind: str, content: bytes, lifetime
) -> PendingImport:
    """Keep an uploaded file until its confirmation; forget this user's earlier and stale ones."""
    db.session.execute(
        sa.delete(PendingImport).where(
            sa.or_(
                PendingImport.user_id == user.id,
                PendingImport.created_dt < utcnow() - lifetime,
            )
        )
    )
    pending = PendingImport(
        ward_id=ward.id,
        user_id=user.id,
        token=secrets.token_urlsafe(24),
        filename=filename[:120],
        kind=kind,
        content=content,
    )
    db.session.add(pending)
    db.session.flush()
    return pending
