"""Conferences and the real clock: an early start, undoing it, and a conference held already."""

from __future__ import annotations

import html
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from dialogue.attendance import operations as attendance
from dialogue.audit.models import AuditEvent
from dialogue.auth.models import Role
from dialogue.conferences import operations
from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.conferences.operations import ConferencePlan, HeldDates, ward_datetime
from dialogue.core.dates import to_local
from dialogue.documents.models import DocumentType
from dialogue.errors import InvalidTransition, ValidationFailed
from dialogue.extensions import db
from dialogue.invitations import operations as invitations
from dialogue.live.closing import ConclusionData, close_conference
from dialogue.live.operations import TurnData, log_turn
from dialogue.minutes import compose
from dialogue.minutes import operations as minutes
from dialogue.minutes.operations import publication_deadlines
from dialogue.questions.operations import accepts_questions
from dialogue.wards.models import ResidentialGroup

NOW = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)  # 9:00 in Hà Nội


@pytest.fixture
def app_config(app_config):
    # Messages are read in English here; the catalogue has tests of its own.
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def announced(make_conference):
    def factory(days_ahead: float = 12):
        start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=days_ahead)
        conference = make_conference(
            start_dt=start,
            planned_end_dt=start + timedelta(hours=3),
            status=ConferenceStatus.ANNOUNCED,
            announced_dt=datetime.now(UTC) - timedelta(days=1),
        )
        return conference

    return factory


def reload(conference) -> Conference:
    db.session.expire_all()
    return db.session.get(Conference, conference.id)


def audit_summaries(conference) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent.summary).where(
                AuditEvent.entity_type == "conferences", AuditEvent.entity_id == conference.id
            )
        )
    )


# -- starting early ------------------------------------------------------------------------------


def test_starting_days_early_asks_first_and_records_the_actual_start(announced):
    conference = announced(12)
    with pytest.raises(operations.EarlyStart) as refused:
        operations.start_conference(conference)
    assert "really beginning now" in refused.value.message
    assert conference.status is ConferenceStatus.ANNOUNCED and conference.started_dt is None

    before = datetime.now(UTC)
    operations.start_conference(conference, confirm_early=True)
    db.session.commit()
    stored = reload(conference)
    assert stored.status is ConferenceStatus.IN_PROGRESS
    assert before <= stored.started_dt <= datetime.now(UTC)
    assert stored.held_start_dt == stored.started_dt != stored.start_dt


def test_starting_on_time_or_a_little_early_needs_no_confirmation(announced):
    conference = announced(days_ahead=20 / (24 * 60))  # twenty minutes from now
    operations.start_conference(conference)
    assert conference.status is ConferenceStatus.IN_PROGRESS


def test_the_minutes_say_when_it_really_began(announced):
    conference = announced(12)
    actual = conference.start_dt - timedelta(days=12, hours=1)
    operations.start_conference(conference, confirm_early=True, now=actual)
    draft = compose.draft_or_defaults(conference, DocumentType.MINUTES)
    context = compose.document_context(conference, draft)
    local = to_local(actual, conference.ward.timezone)
    assert context["start"].startswith(f"{local.hour} giờ {local.minute:02d} phút")
    assert f"tháng {local.month} năm {local.year}" in context["start"]


def test_a_start_made_by_mistake_goes_back_to_announced_and_is_audited(announced):
    conference = announced(12)
    operations.start_conference(conference, confirm_early=True)
    db.session.commit()
    assert operations.can_undo_start(conference)
    operations.undo_start(conference)
    db.session.commit()
    stored = reload(conference)
    assert stored.status is ConferenceStatus.ANNOUNCED and stored.started_dt is None
    assert "status in_progress -> announced" in audit_summaries(conference)
    # The plan can be edited again, as before the start.
    assert stored.is_editable


def test_only_a_conference_in_progress_can_undo_its_start(make_conference):
    draft = make_conference()
    with pytest.raises(InvalidTransition):
        operations.undo_start(draft)
    assert draft.status is ConferenceStatus.DRAFT


def test_undoing_is_refused_once_a_turn_is_recorded(announced, make_user):
    conference = announced(12)
    operations.start_conference(conference, confirm_early=True)
    secretary = make_user(Role.ORGANISER)
    log_turn(conference, TurnData(question="Thủ tục cấp giấy phép xây dựng?"), by=secretary)
    assert not operations.can_undo_start(conference)
    with pytest.raises(InvalidTransition):
        operations.undo_start(conference)
    assert conference.status is ConferenceStatus.IN_PROGRESS


def test_closing_works_any_time_after_the_actual_start(announced):
    conference = announced(12)
    started = datetime.now(UTC) - timedelta(hours=2)
    operations.start_conference(conference, confirm_early=True, now=started)
    end = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=5)
    close_conference(conference, ConclusionData(end_dt=end, conclusion="Kết luận."))
    assert conference.status is ConferenceStatus.CLOSED and conference.end_dt == end
    # Before the actual start is still refused.
    other = announced(12)
    operations.start_conference(other, confirm_early=True)
    with pytest.raises(ValidationFailed):
        close_conference(
            other,
            ConclusionData(end_dt=datetime.now(UTC) - timedelta(hours=1), conclusion="Kết luận."),
        )


def test_the_pages_ask_before_an_early_start_and_offer_the_way_back(
    client, login, make_user, announced
):
    login(make_user(Role.ORGANISER))
    conference = announced(12)
    base = f"/conferences/{conference.id}"
    assert f'href="{base}/start"' in client.get(base).text
    page = client.get(f"{base}/start").text
    assert 'name="confirm_early"' in page and "It is not yet time" in html.unescape(page)
    assert client.post(f"{base}/start", data={"confirm_early": "y"}).status_code == 302
    hub = client.get(base).text
    assert f'action="{base}/undo-start"' in hub
    assert "Started at" in hub
    assert client.post(f"{base}/undo-start").status_code == 302
    assert reload(conference).status is ConferenceStatus.ANNOUNCED


# -- a conference held already -------------------------------------------------------------------


def _plan(ward, day: date, start: time = time(8), end: time = time(11), **values):
    return ConferencePlan(
        title=values.pop("title", "Hội nghị đối thoại 6 tháng đầu năm 2020"),
        start_dt=ward_datetime(ward, day, start),
        planned_end_dt=ward_datetime(ward, day, end),
        venue="Hội trường UBND phường",
        **values,
    )


def test_a_past_conference_is_recorded_in_progress_without_announcement(ward):
    held_on = date(2020, 6, 30)
    conference = operations.record_held_conference(
        ward,
        _plan(ward, held_on),
        HeldDates(notice_on=date(2020, 6, 20), results_posted_on=date(2020, 7, 3)),
    )
    db.session.commit()
    assert conference.status is ConferenceStatus.IN_PROGRESS
    assert conference.is_recorded_afterwards and conference.started_dt == conference.start_dt
    assert conference.notice_days_given == 10
    # Nothing of a live meeting: no questions from phones, no new invitation letters.
    assert not accepts_questions(conference)
    assert not invitations.can_change_invitations(conference)
    assert not conference.is_live
    assert "recorded afterwards" in audit_summaries(conference)
    # The 10-day rule is shown against the paper's date, never counted overdue today.
    [deadline] = publication_deadlines([conference]).values()
    assert deadline.is_recorded and not deadline.is_overdue
    assert deadline.published_on == date(2020, 7, 3) and deadline.days_late == 0


def test_a_held_conference_needs_a_past_start_and_an_end(ward):
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    with pytest.raises(ValidationFailed) as refused:
        operations.record_held_conference(ward, _plan(ward, tomorrow), HeldDates())
    assert refused.value.field == "start_date"
    plan = _plan(ward, date(2020, 6, 30))
    without_end = ConferencePlan(**{**plan.__dict__, "planned_end_dt": None})
    with pytest.raises(ValidationFailed) as refused:
        operations.record_held_conference(ward, without_end, HeldDates())
    assert refused.value.field == "end_time"
    with pytest.raises(ValidationFailed) as refused:
        operations.record_held_conference(ward, plan, HeldDates(notice_on=date(2020, 7, 1)))
    assert refused.value.field == "notice_date"


def test_a_recorded_conference_is_typed_in_closed_and_says_so_in_its_documents(ward, make_user):
    conference = operations.record_held_conference(
        ward, _plan(ward, date(2020, 6, 30)), HeldDates()
    )
    secretary = make_user(Role.SECRETARY)
    conference.secretaries = [secretary]
    log_turn(conference, TurnData(question="Thủ tục đăng ký khai sinh?"), by=secretary)
    end = ward_datetime(ward, date(2020, 6, 30), time(11))
    close_conference(
        conference, ConclusionData(end_dt=end, conclusion="Kết luận."), confirm_pending=True
    )
    assert conference.status is ConferenceStatus.CLOSED
    context = compose.document_context(
        conference, compose.draft_or_defaults(conference, DocumentType.MINUTES)
    )
    today = to_local(datetime.now(UTC), ward.timezone).date()
    assert context["recorded_note"].startswith("Ghi chú: Hội nghị được nhập vào hệ thống")
    assert f"{today.year}" in context["recorded_note"]
    assert context["start"] == "8 giờ 00 phút, ngày 30 tháng 6 năm 2020"


def test_the_record_page_takes_a_past_date(client, login, make_user, ward):
    login(make_user(Role.ORGANISER))
    response = client.post(
        "/conferences/record",
        data={
            "title": "Hội nghị đối thoại năm 2019",
            "start_date": "2019-12-20",
            "start_time": "08:00",
            "end_time": "10:30",
            "venue": "Hội trường",
            "notice_date": "2019-12-10",
            "results_posted_on": "",
        },
    )
    assert response.status_code == 302, html.unescape(response.text)[:2000]
    conference = db.session.scalar(sa.select(Conference))
    assert conference.is_recorded_afterwards and conference.notice_days_given == 10
    page = html.unescape(client.get(f"/conferences/{conference.id}").text)
    assert "Recorded afterwards: held on 20/12/2019" in page
    assert "the 7-day rule was met" in page
    # The plan stays editable while it is typed in; a future date is refused in place.
    edit = client.post(
        f"/conferences/{conference.id}/edit",
        data={
            "title": "Hội nghị đối thoại năm 2019",
            "start_date": (datetime.now(UTC).date() + timedelta(days=3)).isoformat(),
            "start_time": "08:00",
            "end_time": "10:30",
            "venue": "Hội trường",
        },
    )
    assert edit.status_code == 400
    assert "A conference already held started in the past" in html.unescape(edit.text)


def test_no_letters_from_todays_register_for_a_conference_held_long_ago(
    ward, make_conference, make_person
):
    conference = make_conference(
        start_dt=datetime(2020, 6, 30, 1, tzinfo=UTC),
        planned_end_dt=datetime(2020, 6, 30, 4, tzinfo=UTC),
        status=ConferenceStatus.IN_PROGRESS,
    )
    invitations.invite_person(conference, make_person(full_name="Lê Thị Mời"))
    with pytest.raises(ValidationFailed) as refused:
        invitations.issue_letters(conference, invitations.invited_attendees(conference))
    assert "30/06/2020" in refused.value.message
    assert invitations.letters_number_of(conference) is None


def test_the_notice_pdf_never_prints_todays_date_for_a_notice_without_one(
    client, ward, make_conference
):
    import io

    import pdfplumber

    conference = make_conference(status=ConferenceStatus.ANNOUNCED, announced_dt=None)
    response = client.get(f"/p/{ward.slug}/hoi-nghi/{conference.id}/thong-bao.pdf")
    assert response.status_code == 200
    with pdfplumber.open(io.BytesIO(response.data)) as pdf:
        text = " ".join(page.extract_text() for page in pdf.pages)
    today = to_local(datetime.now(UTC), ward.timezone).date()
    assert f"năm {today.year}" not in text.split("Số:")[1][:120] or "ngày … tháng … năm …" in text
    assert "ngày … tháng … năm …" in text


# -- attendance as counts ------------------------------------------------------------------------


@pytest.fixture
def groups_and_categories(ward):
    groups = [ResidentialGroup(ward=ward, number=n, name=f"Tổ dân phố số {n}") for n in (1, 2)]
    db.session.add_all(groups)
    db.session.commit()
    return groups, list(ward.delegate_categories)[:2]


def test_paper_counts_add_to_the_counts_and_the_larger_view_sets_the_total(
    ward, make_conference, groups_and_categories
):
    groups, categories = groups_and_categories
    conference = make_conference(status=ConferenceStatus.IN_PROGRESS)
    attendance.set_tallies(
        conference,
        attendance.TallyData(
            by_group={groups[0].id: (20, 12), groups[1].id: (0, 8)},
            by_category={categories[0].id: (0, 15), categories[1].id: (5, 3)},
        ),
    )
    counts = attendance.count_attendance(conference, locale="en")
    assert counts.total.present == 20 and counts.total.invited == 20
    rows = {row.label: (row.invited, row.present) for row in counts.by_group}
    assert rows["Tổ dân phố số 1"] == (20, 12) and rows["Tổ dân phố số 2"] == (0, 8)
    by_category = {row.label: (row.invited, row.present) for row in counts.by_category}
    assert by_category[categories[0].name_for("en")] == (0, 15)
    assert by_category[categories[1].name_for("en")] == (5, 3)
    # What the categories leave unplaced shows as "no category".
    assert by_category["No category"] == (15, 2)

    # Saving again replaces; empty rows disappear.
    attendance.set_tallies(conference, attendance.TallyData(by_group={groups[0].id: (0, 4)}))
    counts = attendance.count_attendance(conference, locale="en")
    assert counts.total.present == 4
    assert len(attendance.tallies_of(conference)) == 1


def test_counts_of_another_ward_or_after_publication_are_refused(
    ward, other_ward, make_conference, groups_and_categories
):
    conference = make_conference(status=ConferenceStatus.IN_PROGRESS)
    foreign = ResidentialGroup(ward=other_ward, number=9, name="Tổ dân phố số 9")
    db.session.add(foreign)
    db.session.commit()
    with pytest.raises(ValidationFailed):
        attendance.set_tallies(conference, attendance.TallyData(by_group={foreign.id: (1, 1)}))
    conference.status = ConferenceStatus.PUBLISHED
    with pytest.raises(ValidationFailed):
        attendance.set_tallies(conference, attendance.TallyData())


def test_the_counts_page_saves_and_shows_them(
    client, login, make_user, make_conference, groups_and_categories
):
    groups, _categories = groups_and_categories
    login(make_user(Role.ORGANISER))
    conference = make_conference(status=ConferenceStatus.IN_PROGRESS)
    url = f"/conferences/{conference.id}/attendance/tallies"
    page = client.get(url).text
    assert "Tổ dân phố số 1" in page and _categories[1].name_for("en") in html.unescape(page)
    form = {
        "groups-0-target_id": str(groups[0].id),
        "groups-0-present": "7",
        "groups-1-target_id": str(groups[1].id),
        "groups-1-present": "-3",
    }
    refused = client.post(url, data=form)
    assert refused.status_code == 400
    assert 'value="7"' in refused.text  # what was typed is kept
    form["groups-1-present"] = "3"
    assert client.post(url, data=form).status_code == 302
    assert attendance.count_attendance(conference).total.present == 10


def test_a_recorded_conference_is_public_once_published_and_says_so(
    client, ward, make_user, make_person
):
    conference = operations.record_held_conference(
        ward, _plan(ward, date(2020, 6, 30)), HeldDates(results_posted_on=date(2020, 7, 3))
    )
    db.session.commit()
    url = f"/p/{ward.slug}/hoi-nghi/{conference.id}"
    # While it is typed in (or if it was entered by mistake), residents do not see it.
    assert client.get(url).status_code == 404
    assert url not in client.get(f"/p/{ward.slug}/").text

    secretary, chair = make_user(Role.SECRETARY), make_user(Role.CHAIR)
    conference.secretaries = [secretary]
    conference.chair = make_person(full_name="Nguyễn Văn Chủ", title="Chủ tịch UBND phường")
    end = ward_datetime(ward, date(2020, 6, 30), time(11))
    close_conference(conference, ConclusionData(end_dt=end, conclusion="Kết luận."))
    published = {}
    for doc_type in (DocumentType.MINUTES, DocumentType.NOTICE):
        draft = minutes.get_or_create_draft(conference, doc_type, secretary)
        minutes.submit_draft(draft, secretary)
        published[doc_type] = minutes.publish(draft, chair)
    db.session.commit()
    # Numbers from the register of the year it was held; the notice dated as posted on paper.
    assert all(p.number.year == 2020 for p in published.values())
    assert published[DocumentType.MINUTES].number_label == "01/BB-UBND"
    assert "ngày 03 tháng 7 năm 2020" in published[DocumentType.NOTICE].html

    assert "recorded afterwards, on" in client.get(f"/p/{ward.slug}/").text
    page = html.unescape(client.get(url).text)
    assert "Recorded afterwards: the People’s Committee of phường" in page
    assert "The conference is under way." not in page
    assert "/gui-cau-hoi" not in page  # no question form for a conference long over
