"""The audit-log browser: an administrator reads the changes of the working ward."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from dialogue.audit.models import AuditAction, AuditEvent
from dialogue.auth.models import Role
from dialogue.extensions import db
from dialogue.people.models import Person


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMINISTRATOR, username="quantri")


def _change_row(html: str, field: str) -> tuple[str, str]:
    match = re.search(
        rf"<code>{field}</code></th>\s*<td[^>]*>(.*?)</td>\s*<td[^>]*>→</td>\s*<td[^>]*>(.*?)</td>",
        html,
        re.S,
    )
    assert match, f"no row for {field}"
    return match.group(1), match.group(2)


def _edit_person(person, **changes):
    for key, value in changes.items():
        setattr(person, key, value)
    db.session.commit()


def _event(**where):
    return db.session.scalar(
        sa.select(AuditEvent).filter_by(**where).order_by(AuditEvent.id.desc())
    )


def test_the_log_shows_an_edit_with_before_and_after(client, login, admin, make_person):
    person = make_person(full_name="Trần Thị B7")
    _edit_person(person, full_name="Trần Thị B8", title="Tổ trưởng")
    login(admin)
    response = client.get("/audit/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    event = _event(entity_type="people", action=AuditAction.UPDATE)
    assert f"/audit/{event.id}" in page
    # The edit's entry has the rows "full_name: Trần Thị B7 → Trần Thị B8" and "title: — → Tổ trưởng".
    entry = page[page.index(f"/audit/{event.id}") :]
    entry = entry[: entry.index("</li>")]
    assert _change_row(entry, "full_name") == ("Trần Thị B7", "Trần Thị B8")
    assert _change_row(entry, "title") == ("", "Tổ trưởng")
    assert "<code>ward_id</code>" not in entry


def test_values_are_shown_as_text_never_as_html(client, login, admin, make_person):
    person = make_person()
    _edit_person(person, full_name="<script>alert(1)</script>", note='<b onmouseover="x">n</b>')
    login(admin)
    page = client.get("/audit/").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert "<b onmouseover" not in page
    event = _event(entity_type="people", action=AuditAction.UPDATE)
    detail = client.get(f"/audit/{event.id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail and "<script>alert(1)" not in detail


def test_events_are_newest_first_and_paginated(client, login, admin, ward):
    for n in range(55):
        db.session.add(Person(ward=ward, full_name=f"Lê Văn C{n}"))
        db.session.commit()
    login(admin)
    first = client.get("/audit/").get_data(as_text=True)
    assert first.index("Lê Văn C54") < first.index("Lê Văn C53")
    assert "Lê Văn C0&#39;" not in first and "Lê Văn C0'" not in first
    second = client.get("/audit/?page=2").get_data(as_text=True)
    assert "Lê Văn C0" in second


def test_only_the_working_ward(client, login, admin, make_person, other_ward):
    make_person(full_name="Phạm Thị D1")
    db.session.add(Person(ward=other_ward, full_name="Hoàng Văn Đ1"))
    db.session.commit()
    login(admin)
    page = client.get("/audit/").get_data(as_text=True)
    assert "Phạm Thị D1" in page and "Hoàng Văn Đ1" not in page


def test_an_administrator_opens_another_wards_event(client, login, admin, other_ward):
    db.session.add(Person(ward=other_ward, full_name="Hoàng Văn Đ1"))
    db.session.commit()
    event = _event(entity_type="people")
    assert event.ward_id == other_ward.id
    login(admin)
    response = client.get(f"/audit/{event.id}")
    assert response.status_code == 200 and "Hoàng Văn Đ1" in response.get_data(as_text=True)


def test_an_unknown_event_is_404(client, login, admin):
    login(admin)
    assert client.get("/audit/999999").status_code == 404


@pytest.mark.parametrize("role", [Role.ORGANISER, Role.SECRETARY, Role.CHAIR, Role.RESPONDER])
def test_other_roles_are_refused(client, login, make_user, make_person, role):
    make_person()
    event = _event(entity_type="people")
    login(make_user(role))
    assert client.get("/audit/").status_code == 403
    assert client.get(f"/audit/{event.id}").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, make_person):
    make_person()
    response = client.get("/audit/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_filters(client, login, admin, make_person, ward):
    person = make_person(full_name="Đỗ Văn K1")
    _edit_person(person, title="Giám đốc")
    make_person(full_name="Đặng Thị Đ2")
    ward.address = "Số 1 đường mẫu"
    db.session.commit()
    old = _event(entity_type="people", entity_id=person.id, action=AuditAction.CREATE)
    old.created_dt = datetime.now(UTC) - timedelta(days=40)
    old.actor = "cli:seed-demo"
    db.session.commit()
    login(admin)

    def shown(**query):
        response = client.get("/audit/", query_string=query)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        return {
            event_id
            for event_id in db.session.scalars(sa.select(AuditEvent.id))
            if f'/audit/{event_id}"' in page
        }

    all_ids = set(db.session.scalars(sa.select(AuditEvent.id).where(AuditEvent.ward_id == ward.id)))
    assert shown() == all_ids
    wards = set(
        db.session.scalars(sa.select(AuditEvent.id).where(AuditEvent.entity_type == "wards"))
    )
    assert shown(entity_type="wards") == wards
    updates = set(
        db.session.scalars(sa.select(AuditEvent.id).where(AuditEvent.action == AuditAction.UPDATE))
    )
    assert {
        _event(entity_type="wards", action=AuditAction.UPDATE).id,
        _event(entity_type="people", action=AuditAction.UPDATE).id,
    } <= updates
    assert shown(action="update") == updates
    assert shown(actor="SEED") == {old.id}
    today = datetime.now(UTC).date()
    assert shown(date_to=(today - timedelta(days=30)).isoformat()) == {old.id}
    recent = shown(
        date_from=(today - timedelta(days=1)).isoformat(),
        date_to=(today + timedelta(days=1)).isoformat(),
    )
    assert recent == all_ids - {old.id}


def test_bad_filters_are_reported_beside_the_field(client, login, admin):
    login(admin)
    response = client.get(
        "/audit/",
        query_string={"date_from": "2026-05-10", "date_to": "2026-05-01", "actor": "organiser"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The end date comes before the start date." in page
    assert 'value="organiser"' in page
    response = client.get("/audit/", query_string={"action": "explode"})
    assert response.status_code == 400


def test_secrets_are_never_shown(client, login, admin, make_user):
    make_user(Role.SECRETARY, username="thuky9")
    login(admin)
    event = _event(
        entity_type="users",
        entity_id=db.session.scalar(
            sa.select(sa.func.max(AuditEvent.entity_id)).where(AuditEvent.entity_type == "users")
        ),
    )
    page = client.get(f"/audit/{event.id}").get_data(as_text=True)
    assert "password_hash" in page and "***" in page
    assert "$argon2" not in page


def test_recorded_times_are_shown_in_the_wards_time(client, login, admin, make_conference):
    conference = make_conference(
        start_dt=datetime(2020, 6, 30, 1, tzinfo=UTC),
        planned_end_dt=datetime(2020, 6, 30, 4, tzinfo=UTC),
    )
    conference.start_dt = datetime(2020, 6, 30, 2, tzinfo=UTC)
    db.session.commit()
    event = _event(entity_type="conferences", action=AuditAction.UPDATE)
    login(admin)
    page = client.get(f"/audit/{event.id}").get_data(as_text=True)
    assert _change_row(page, "start_dt") == ("30/06/2020 08:00:00", "30/06/2020 09:00:00")
