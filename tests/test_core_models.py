from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from dialogue.audit.models import AuditAction, AuditEvent
from dialogue.conferences.models import ConferenceStatus
from dialogue.conferences.operations import change_status
from dialogue.core.search import search_condition
from dialogue.errors import InvalidTransition, ValidationFailed
from dialogue.extensions import db
from dialogue.people.models import Person


def test_naive_datetimes_are_refused(make_conference):
    with pytest.raises(sa.exc.StatementError):
        make_conference(start_dt=datetime(2030, 1, 1, 8, 0))  # noqa: DTZ001
    db.session.rollback()


def test_datetimes_come_back_aware_in_utc(make_conference):
    start = datetime(2030, 1, 1, 8, 0, tzinfo=UTC)
    conference = make_conference(start_dt=start, planned_end_dt=start + timedelta(hours=2))
    db.session.expire_all()
    assert conference.start_dt == start
    assert conference.start_dt.tzinfo is not None


def test_end_before_start_is_refused_by_the_database(make_conference):
    start = datetime(2030, 1, 1, 8, 0, tzinfo=UTC)
    with pytest.raises(sa.exc.IntegrityError):
        make_conference(start_dt=start, planned_end_dt=start - timedelta(hours=1))
    db.session.rollback()


def test_status_outside_the_enum_is_refused(make_conference):
    conference = make_conference()
    with pytest.raises((sa.exc.StatementError, LookupError)):
        db.session.execute(
            sa.text("UPDATE conferences SET status = 'nonsense' WHERE id = :id"),
            {"id": conference.id},
        )
        db.session.flush()
    db.session.rollback()


def test_state_machine_allows_the_life_cycle(make_conference):
    conference = make_conference()
    for status in (
        ConferenceStatus.ANNOUNCED,
        ConferenceStatus.IN_PROGRESS,
        ConferenceStatus.CLOSED,
        ConferenceStatus.PUBLISHED,
    ):
        change_status(conference, status)
    db.session.commit()
    assert conference.status is ConferenceStatus.PUBLISHED
    assert conference.end_dt is not None


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ((), ConferenceStatus.IN_PROGRESS),
        ((), ConferenceStatus.CLOSED),
        ((ConferenceStatus.ANNOUNCED,), ConferenceStatus.PUBLISHED),
        (
            (ConferenceStatus.ANNOUNCED, ConferenceStatus.IN_PROGRESS),
            ConferenceStatus.CANCELLED,
        ),
        (
            (
                ConferenceStatus.ANNOUNCED,
                ConferenceStatus.IN_PROGRESS,
                ConferenceStatus.CLOSED,
                ConferenceStatus.PUBLISHED,
            ),
            ConferenceStatus.DRAFT,
        ),
    ],
)
def test_state_machine_refuses_other_moves(make_conference, path, target):
    conference = make_conference()
    for status in path:
        change_status(conference, status)
    with pytest.raises(InvalidTransition):
        change_status(conference, target)


def test_cancelling_needs_a_reason_and_is_logged(make_conference):
    conference = make_conference()
    with pytest.raises(ValidationFailed):
        change_status(conference, ConferenceStatus.CANCELLED, reason="  ")
    change_status(conference, ConferenceStatus.CANCELLED, reason="Bão số 3")
    db.session.commit()
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == AuditAction.EVENT)
    ).one()
    assert event.changes == {"from": "draft", "to": "cancelled", "reason": "Bão số 3"}
    assert event.ward_id == conference.ward_id


def test_audit_records_create_update_delete_with_before_and_after(make_person):
    person = make_person(full_name="Lê Văn C", phone="")
    person.title = "Tổ trưởng"
    db.session.commit()
    person_id = person.id
    db.session.delete(person)
    db.session.commit()
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.entity_type == "people", AuditEvent.entity_id == person_id)
        .order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == [
        AuditAction.CREATE,
        AuditAction.UPDATE,
        AuditAction.DELETE,
    ]
    assert events[0].changes["full_name"] == [None, "Lê Văn C"]
    assert events[1].changes == {"title": ["", "Tổ trưởng"]}
    assert events[2].changes["full_name"] == ["Lê Văn C", None]
    assert "search_text" not in events[0].changes


def test_audit_hides_password_hashes(make_user):
    user = make_user()
    user.set_password("another long password")
    db.session.commit()
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.entity_type == "users").order_by(AuditEvent.id)
    ).all()
    assert events[0].changes["password_hash"] == [None, "***"]
    assert events[-1].changes["password_hash"] == ["***", "***"]
    assert user.password_hash not in str([e.changes for e in events])


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("nguyen van duc", True),
        ("NGUYỄN VĂN ĐỨC", True),
        ("duc", True),
        ("Đức", True),
        ("van nguyen", True),
        ("duck", False),
        ("%", False),
    ],
)
def test_search_ignores_diacritics_and_d(make_person, ward, term, found):
    make_person(full_name="Nguyễn Văn Đức", title="Tổ trưởng tổ dân phố số 9")
    make_person(full_name="Trần Thị Bình")
    rows = db.session.scalars(
        sa.select(Person).where(Person.ward_id == ward.id, search_condition(Person, term))
    ).all()
    assert [p.full_name for p in rows] == (["Nguyễn Văn Đức"] if found else [])
