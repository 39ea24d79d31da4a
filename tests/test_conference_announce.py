"""Announcing a conference: the 7-day notice, its override with a reason, and the status actions."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from dialogue.audit.models import AuditAction, AuditEvent
from dialogue.auth.models import Role
from dialogue.conferences import operations
from dialogue.conferences.models import NOTICE_DAYS, Conference, ConferenceStatus
from dialogue.conferences.operations import ward_datetime
from dialogue.core.dates import to_local
from dialogue.errors import InvalidTransition, ValidationFailed
from dialogue.extensions import db


@pytest.fixture
def app_config(app_config):
    # Messages are checked in English here; the Vietnamese catalogue has tests of its own.
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def organiser(client, make_user, login):
    user = make_user(Role.ORGANISER)
    login(user)
    client.get("/locale", query_string={"locale": "en"})
    return user


def starting_in(ward, days: int, clock: time = time(8, 0)) -> datetime:
    """A start ``days`` calendar days from today on the ward's clock."""
    today = to_local(datetime.now(UTC), ward.timezone).date()
    return ward_datetime(ward, today + timedelta(days=days), clock)


@pytest.fixture
def conference_in(make_conference, ward):
    def factory(days: int, **overrides):
        start = starting_in(ward, days, overrides.pop("clock", time(23, 0)))
        return make_conference(
            start_dt=start, planned_end_dt=start + timedelta(minutes=50), **overrides
        )

    return factory


def error_beside(page: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page, re.S)
    assert match, f"no error beside {field}"
    return html.unescape(match.group(1))


def events_of(conference) -> list[AuditEvent]:
    return db.session.scalars(
        sa.select(AuditEvent)
        .where(
            AuditEvent.entity_type == "conferences",
            AuditEvent.entity_id == conference.id,
            AuditEvent.action == AuditAction.EVENT,
        )
        .order_by(AuditEvent.id)
    ).all()


def reload(conference) -> Conference:
    db.session.expire_all()
    return db.session.get(Conference, conference.id)


# -- the operation ------------------------------------------------------------------------------


def test_days_to_go_count_the_wards_calendar_days(app, ward, conference_in):
    assert NOTICE_DAYS == 7
    conference = conference_in(7)
    assert conference.days_to_go() == 7
    assert not conference.has_short_notice()
    assert conference_in(6).has_short_notice()
    # 00:30 on the ward's clock is still the day before in UTC: the ward's calendar counts.
    early = conference_in(7, clock=time(0, 30))
    assert early.start_dt.astimezone(UTC).date() == early.start_local.date() - timedelta(days=1)
    assert early.days_to_go() == 7


def test_announcing_on_time_needs_no_reason(app, ward, conference_in):
    conference = conference_in(7)
    operations.announce_conference(conference)
    db.session.commit()
    stored = reload(conference)
    assert stored.status is ConferenceStatus.ANNOUNCED
    assert stored.announced_dt is not None
    assert stored.short_notice_reason == ""
    assert [e.summary for e in events_of(conference)] == ["status draft -> announced"]


def test_short_notice_is_refused_without_confirmation_and_reason(app, ward, conference_in):
    conference = conference_in(3)
    with pytest.raises(ValidationFailed) as caught:
        operations.announce_conference(conference, reason="Lịch họp của phường thay đổi")
    assert caught.value.field == "confirm_short_notice"
    assert "3 remain" in caught.value.message
    with pytest.raises(ValidationFailed) as caught:
        operations.announce_conference(conference, confirm_short_notice=True, reason="  ")
    assert caught.value.field == "short_notice_reason"
    db.session.rollback()
    assert reload(conference).status is ConferenceStatus.DRAFT


def test_short_notice_with_a_reason_is_kept_on_the_conference_and_in_the_audit_log(
    app, ward, conference_in
):
    conference = conference_in(2)
    operations.announce_conference(
        conference, confirm_short_notice=True, reason="Thành phố đổi lịch tiếp công dân"
    )
    db.session.commit()
    stored = reload(conference)
    assert stored.status is ConferenceStatus.ANNOUNCED
    assert stored.short_notice_reason == "Thành phố đổi lịch tiếp công dân"
    override = [e for e in events_of(conference) if "short notice" in e.summary]
    assert len(override) == 1
    assert override[0].changes == {
        "days_before": 2,
        "required_days": 7,
        "reason": "Thành phố đổi lịch tiếp công dân",
    }
    assert override[0].ward_id == ward.id


def test_a_conference_whose_start_has_passed_cannot_be_announced(app, ward, make_conference):
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    conference = make_conference(start_dt=start, planned_end_dt=start + timedelta(hours=1))
    with pytest.raises(ValidationFailed):
        operations.announce_conference(conference, confirm_short_notice=True, reason="Muộn")


def test_only_a_draft_can_be_announced(app, ward, conference_in):
    conference = conference_in(30)
    operations.change_status(conference, ConferenceStatus.CANCELLED, reason="Bão")
    with pytest.raises(InvalidTransition):
        operations.announce_conference(conference)


# -- the pages ----------------------------------------------------------------------------------


def test_the_hub_shows_days_to_go_and_the_deadline(client, organiser, ward, conference_in):
    conference = conference_in(30)
    page = html.unescape(client.get(f"/conferences/{conference.id}").text)
    assert "30 days to go." in page
    deadline = conference.notice_deadline.strftime("%d/%m/%Y")
    assert f"announce it by {deadline}" in page
    assert "Less than the 7 days" not in page
    # No confirmation asked on time: a plain announce button.
    assert 'name="confirm_short_notice"' not in page


def test_the_hub_and_the_edit_page_warn_under_seven_days(client, organiser, ward, conference_in):
    conference = conference_in(4)
    for url in (f"/conferences/{conference.id}", f"/conferences/{conference.id}/edit"):
        page = html.unescape(client.get(url).text)
        assert "4 days to go." in page, url
        assert "Less than the 7 days of notice the law asks" in page, url
    hub = client.get(f"/conferences/{conference.id}").text
    assert 'name="confirm_short_notice"' in hub
    assert 'name="short_notice_reason"' in hub
    # The cancel form's reason is another field: no two elements share an id.
    status_panel = re.search(r'<section[^>]*id="status".*?</section>', hub, re.S).group(0)
    ids = re.findall(r'id="([^"]+)"', status_panel)
    assert len(ids) == len(set(ids))


def test_short_notice_refused_in_place_then_accepted_with_a_reason(
    client, organiser, ward, conference_in
):
    conference = conference_in(3)
    url = f"/conferences/{conference.id}/announce"
    response = client.post(url, data={"short_notice_reason": "Lịch của thành phố"})
    assert response.status_code == 400
    assert "tick the confirmation" in error_beside(response.text, "confirm_short_notice")
    assert "Lịch của thành phố" in response.text  # the reason typed is kept

    response = client.post(url, data={"confirm_short_notice": "y", "short_notice_reason": ""})
    assert response.status_code == 400
    assert error_beside(response.text, "short_notice_reason")
    checkbox = re.search(r'<input[^>]*name="confirm_short_notice"[^>]*>', response.text).group(0)
    assert "checked" in checkbox
    assert reload(conference).status is ConferenceStatus.DRAFT

    response = client.post(
        url, data={"confirm_short_notice": "y", "short_notice_reason": "Lịch của thành phố"}
    )
    assert response.status_code == 302
    stored = reload(conference)
    assert stored.status is ConferenceStatus.ANNOUNCED
    assert stored.short_notice_reason == "Lịch của thành phố"
    page = html.unescape(client.get(f"/conferences/{conference.id}").text)
    assert "Announced with short notice. Reason: Lịch của thành phố" in page
    assert f"/p/{ward.slug}/hoi-nghi/{conference.id}" in page
    assert any(e.changes.get("reason") == "Lịch của thành phố" for e in events_of(conference))


def test_the_announce_page_shows_the_days_left(client, organiser, conference_in):
    conference = conference_in(5)
    page = html.unescape(client.get(f"/conferences/{conference.id}/announce").text)
    assert "5 days to go." in page
    assert "Less than the 7 days" in page


def test_status_actions_walk_the_life_cycle(client, organiser, conference_in):
    conference = conference_in(10)
    base = f"/conferences/{conference.id}"
    # A draft cannot start: the error is told, nothing changes.
    page = client.post(f"{base}/start", follow_redirects=True).text
    assert "cannot become" in html.unescape(page)
    assert reload(conference).status is ConferenceStatus.DRAFT

    assert client.post(f"{base}/announce").status_code == 302
    assert reload(conference).status is ConferenceStatus.ANNOUNCED
    hub = client.get(base).text
    # Ten days early, starting goes through a page that asks first.
    assert f'href="{base}/start"' in hub
    assert f'action="{base}/draft"' in hub

    client.post(f"{base}/draft")
    assert reload(conference).status is ConferenceStatus.DRAFT
    client.post(f"{base}/announce")
    asked = client.post(f"{base}/start")
    assert asked.status_code == 200 and 'name="confirm_early"' in asked.text
    assert reload(conference).status is ConferenceStatus.ANNOUNCED
    client.post(f"{base}/start", data={"confirm_early": "y"})
    assert reload(conference).status is ConferenceStatus.IN_PROGRESS
    assert f'href="{base}/close"' in client.get(base).text
    # Closing records the end, which must follow the start: the session began an hour ago.
    reload(conference).started_dt = datetime.now(UTC) - timedelta(hours=1)
    end = to_local(datetime.now(UTC), conference.ward.timezone)
    client.post(
        f"{base}/close",
        data={
            "end_date": end.date().isoformat(),
            "end_time": end.strftime("%H:%M"),
            "conclusion": "Chủ tịch UBND phường kết luận hội nghị.",
        },
    )
    stored = reload(conference)
    assert stored.status is ConferenceStatus.CLOSED
    assert stored.end_dt is not None
    hub = client.get(base).text
    assert "/announce" not in hub and "/cancel" not in hub


def test_cancelling_needs_a_reason_in_place(client, organiser, conference_in):
    conference = conference_in(10)
    url = f"/conferences/{conference.id}/cancel"
    response = client.post(url, data={"reason": "   "})
    assert response.status_code == 400
    assert error_beside(response.text, "reason")
    response = client.post(url, data={"reason": "Bão số 3"})
    assert response.status_code == 302
    stored = reload(conference)
    assert stored.status is ConferenceStatus.CANCELLED
    assert stored.cancel_reason == "Bão số 3"
    response = client.post(url, data={"reason": "Lần nữa"})
    assert response.status_code == 409
    assert reload(conference).cancel_reason == "Bão số 3"


def test_staff_who_do_not_organise_see_no_actions(client, make_user, login, conference_in):
    conference = conference_in(10)
    login(make_user(Role.SECRETARY))
    page = client.get(f"/conferences/{conference.id}").text
    assert "/announce" not in page
    assert client.post(f"/conferences/{conference.id}/announce").status_code == 403
    assert reload(conference).status is ConferenceStatus.DRAFT
