"""The demo ward: what it holds and that loading it twice is refused."""

import hashlib
import io
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfReader
from sqlalchemy.orm import undefer

from dialogue.attendance.models import AttendanceStatus, Attendee
from dialogue.audit.models import AuditAction, AuditEvent
from dialogue.auth.models import Role, User
from dialogue.auth.operations import create_user
from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.core.search import search_condition
from dialogue.demo import data
from dialogue.demo.history import demo_skip, half_years
from dialogue.demo.seed import load_demo
from dialogue.documents.models import DocumentNumber, DocumentType
from dialogue.dossier.figures import figures_for
from dialogue.errors import ValidationFailed
from dialogue.extensions import db
from dialogue.followup.listing import OVERDUE, status_counts, ward_today
from dialogue.followup.models import (
    AnswerStatus,
    Referral,
    ReferralStatus,
    Timeliness,
    WrittenAnswer,
)
from dialogue.followup.notifications import queue_daily_digests
from dialogue.live.models import LiveEvent, Turn, TurnOutcome
from dialogue.mail.models import MailReason, OutboxMessage
from dialogue.minutes.models import DraftStatus, MinutesDraft, PublishedDocument
from dialogue.people.models import Person
from dialogue.wards.models import DelegateCategory, ResidentialGroup, Unit, Ward

PASSWORD = "demo-password-1"


@pytest.fixture
def demo(app):
    # Without the history of 2021-2026 and the other wards (tests/test_demo_history.py):
    # what is asserted here is the same with it, and loading it takes many seconds.
    ward = load_demo(PASSWORD, with_history=False)
    db.session.commit()
    return ward


def _count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_the_demo_ward_is_thach_ban(demo):
    assert (demo.name, demo.slug, demo.place_name) == ("Thạch Bàn", "thach-ban", "Thạch Bàn")
    assert demo.kind.word == "phường" and demo.province == "Thành phố Hà Nội"
    assert demo.address
    assert len(demo.procedure_areas) == 26 and len(demo.delegate_categories) == 15


def test_fifteen_groups_each_with_its_head(demo):
    groups = db.session.scalars(
        sa.select(ResidentialGroup)
        .where(ResidentialGroup.ward_id == demo.id)
        .order_by(ResidentialGroup.number)
    ).all()
    assert [g.number for g in groups] == list(range(1, 16))
    assert groups[0].name == "Tổ dân phố số 1" and groups[-1].name == "Tổ dân phố số 15"
    heads = {
        p.residential_group_id: p.full_name
        for p in db.session.scalars(
            sa.select(Person)
            .join(Person.delegate_category)
            .where(DelegateCategory.code == "TO_TRUONG")
        )
    }
    assert len(heads) == 15
    assert all(g.head_name and heads[g.id] == g.head_name for g in groups)


def test_units(demo):
    names = set(db.session.scalars(sa.select(Unit.name).where(Unit.ward_id == demo.id)))
    assert names == {
        "Văn phòng HĐND-UBND",
        "Bộ phận Một cửa",
        "Công chức Tư pháp - Hộ tịch",
        "Công chức Địa chính - Xây dựng",
        "Công chức Văn hóa - Xã hội",
        "Công an phường",
    }


def test_about_120_people_spread_over_groups_and_categories(demo):
    total = _count(Person, Person.ward_id == demo.id)
    assert 110 <= total <= 130
    in_groups = db.session.scalars(
        sa.select(Person.residential_group_id)
        .where(Person.residential_group_id.is_not(None))
        .distinct()
    ).all()
    assert len(in_groups) == 15
    by_category = dict(
        db.session.execute(
            sa.select(DelegateCategory.code, sa.func.count(Person.id))
            .join(Person.delegate_category)
            .group_by(DelegateCategory.code)
        ).all()
    )
    assert by_category["TO_TRUONG"] == 15
    assert by_category["DOANH_NGHIEP"] >= 30
    for code in ("UBND", "TT_HDND", "MTTQ", "DOAN_THE", "BT_CHI_BO", "BTTND", "NHAN_DAN"):
        assert by_category.get(code, 0) >= 1, code
    organisations = db.session.scalars(
        sa.select(Person.organisation)
        .join(Person.delegate_category)
        .where(DelegateCategory.code == "DOANH_NGHIEP")
    ).all()
    assert "Công ty TNHH Thương mại A" in organisations and "Hộ kinh doanh B" in organisations


def test_phones_only_with_consent(demo):
    assert _count(Person, Person.phone != "", Person.has_consent.is_(False)) == 0
    assert _count(Person, Person.phone != "") > 0
    assert all(
        phone.startswith("0900 000 ")
        for phone in db.session.scalars(sa.select(Person.phone).where(Person.phone != ""))
    )


def test_names_are_placeholders_and_unique(demo):
    names = db.session.scalars(sa.select(Person.full_name).order_by(Person.id)).all()
    assert len(names) == len(set(names))
    # The first one loaded.
    assert names[0] == "Nguyễn Văn A"
    for name in names:
        *_, given = name.split()
        assert len(given.rstrip("0123456789")) == 1, name


def test_diacritic_search_finds_names_with_d_stroke(demo):
    found = db.session.scalars(
        sa.select(Person.full_name).where(search_condition(Person, "dang duc"))
    ).all()
    assert "Đặng Đức G" in found


def test_staff_accounts_for_every_role(demo):
    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    city = users.pop("city")
    # The city's officer reads the wards of Hà Nội, the demo ward's city.
    assert city.role is Role.CITY and city.ward_id is None and city.check_password(PASSWORD)
    assert city.province.name == "Thành phố Hà Nội" == demo.province_record.name
    assert city.email == "city@hanoi.example"
    assert set(users) == {"admin", "organiser", "secretary", "chair", "responder"}
    assert users["admin"].role is Role.ADMINISTRATOR and users["chair"].role is Role.CHAIR
    assert users["responder"].unit.name == "Công chức Địa chính - Xây dựng"
    assert all(u.check_password(PASSWORD) and u.ward_id == demo.id for u in users.values())
    # Addresses under a name reserved for examples: a real mail server would reach no one.
    assert all(u.email == f"{name}@phuong-thachban.example" for name, u in users.items())


def _conference_2020(ward):
    return db.session.scalar(
        sa.select(Conference).where(
            Conference.ward_id == ward.id, Conference.plan_number == "39/KH-UBND"
        )
    )


def test_the_conference_of_30_june_2020(demo):
    conference = _conference_2020(demo)
    assert conference.plan_number == "39/KH-UBND" and conference.plan_date == date(2020, 2, 7)
    assert (
        conference.title == "Hội nghị đối thoại về cải cách thủ tục hành chính 6 tháng đầu năm 2020"
    )
    assert conference.subject.startswith("Hội nghị đối thoại giữa Chủ tịch UBND phường")
    assert conference.reporting_period == "6 tháng đầu năm 2020"
    # 08:00 and 11:00 in Hà Nội are 01:00 and 04:00 UTC.
    assert conference.start_dt == datetime(2020, 6, 30, 1, tzinfo=UTC)
    assert conference.planned_end_dt == datetime(2020, 6, 30, 4, tzinfo=UTC)
    assert conference.venue == "Hội trường UBND phường Thạch Bàn"
    # Closed that morning; its minutes and notice published on 03/07/2020.
    assert conference.status is ConferenceStatus.PUBLISHED
    assert conference.status_changed_dt == datetime(2020, 7, 3, 7, 4, tzinfo=UTC)
    assert "Chủ tịch UBND phường" in conference.chair.title
    assert "Phó Chủ tịch UBND phường" in conference.reporter.title
    assert {p.delegate_category.code for p in conference.cochairs} == {"TT_HDND", "MTTQ"}
    assert [u.username for u in conference.secretaries] == ["secretary"]


def test_the_2020_attendance(demo):
    conference = _conference_2020(demo)
    present = [a for a in conference_attendees(conference) if a.status is AttendanceStatus.PRESENT]
    assert 88 <= len(present) <= 95
    assert len({a.residential_group_id for a in present if a.residential_group_id}) == 15
    assert len({a.delegate_category_id for a in present}) >= 10
    assert all(a.checked_in_dt.date() == date(2020, 6, 30) for a in present)
    walk_ins = [a for a in present if not a.is_invited]
    assert len(walk_ins) == 3 and all(a.check_in_method.value == "walk_in" for a in walk_ins)
    assert conference.chair_id in {a.person_id for a in present}
    number = db.session.scalar(
        sa.select(DocumentNumber).where(
            DocumentNumber.conference_id == conference.id,
            DocumentNumber.doc_type == DocumentType.INVITATION,
        )
    )
    assert (number.label, number.year) == ("01/GM-UBND", 2020)


def test_the_2020_dossier_figures(demo):
    figures = figures_for(_conference_2020(demo))
    assert figures is not None and not figures.problems()
    assert figures.counts.received_online + figures.counts.received_desk == 2685
    assert str(figures.rates.online_share) == "21.2"
    assert str(figures.rates.early) == "52.8"


def test_an_announced_conference_to_come(demo):
    upcoming = db.session.scalar(
        sa.select(Conference).where(
            Conference.ward_id == demo.id, Conference.status == ConferenceStatus.ANNOUNCED
        )
    )
    assert upcoming.start_dt > datetime.now(UTC)
    assert (upcoming.start_dt - datetime.now(UTC)).days >= 7  # the legal notice period holds
    assert len(upcoming.agenda_items) == 4
    invited = conference_attendees(upcoming)
    assert sum(1 for a in invited if a.delegate_category.code == "TO_TRUONG") == 15


def conference_attendees(conference):
    return db.session.scalars(
        sa.select(Attendee).where(Attendee.conference_id == conference.id)
    ).all()


def test_loading_twice_is_refused_and_changes_nothing(demo):
    before = _count(Person)
    with pytest.raises(ValidationFailed, match="thach-ban"):
        load_demo(PASSWORD)
    db.session.rollback()
    assert _count(Ward) == 1 and _count(Person) == before


def test_loading_is_refused_when_a_demo_username_is_taken(app, other_ward):
    create_user(
        ward=other_ward,
        username="admin",
        display_name="Lê Văn C",
        password=PASSWORD,
        role=Role.ADMINISTRATOR,
    )
    db.session.commit()
    with pytest.raises(ValidationFailed, match="admin"):
        load_demo(PASSWORD)
    db.session.rollback()
    assert db.session.scalar(sa.select(Ward.id).where(Ward.slug == "thach-ban")) is None


def test_data_module_has_no_duplicate_keys():
    keys = [p.key for p in data.people()]
    assert len(keys) == len(set(keys))


# -- the 2020 session: turns, the referral, the conclusion --------------------------------------


def _turns_2020(ward):
    conference = _conference_2020(ward)
    turns = db.session.scalars(
        sa.select(Turn).where(Turn.conference_id == conference.id).order_by(Turn.position)
    ).all()
    return conference, turns


def _group(turn) -> int | None:
    return turn.speaker_group.number if turn.speaker_group else None


def test_the_ten_turns_of_2020(demo):
    conference, turns = _turns_2020(demo)
    assert [t.position for t in turns] == list(range(1, 11))
    assert not any(t.is_withdrawn for t in turns)
    assert Counter(t.outcome for t in turns) == {TurnOutcome.ANSWERED: 9, TurnOutcome.REFERRED: 1}
    for turn in turns:
        # Every speaker and every official who answered signed in that morning.
        assert turn.speaker_attendee.conference_id == conference.id
        assert turn.speaker_attendee.status is AttendanceStatus.PRESENT
        assert turn.speaker_name == turn.speaker_attendee.full_name
        assert turn.answerer_attendee.status is AttendanceStatus.PRESENT
        assert turn.answerer_name.startswith(turn.answerer_attendee.full_name + " - ")
        assert turn.question.endswith((".", "?")) and len(turn.answer) > 80
        assert turn.created_by.username == "secretary"
    group_9 = [t for t in turns if _group(t) == 9]
    group_5 = [t for t in turns if _group(t) == 5]
    assert len(group_9) >= 2 and {t.procedure_area.code for t in group_9} <= {"DD", "XD"}
    assert {t.procedure_area.group_vi for t in group_9} == {"Địa chính - Xây dựng"}
    assert len(group_5) >= 2 and {t.procedure_area.code for t in group_5} <= {"HT", "CTH"}
    assert {t.procedure_area.group_vi for t in group_5} == {"Tư pháp - Hộ tịch"}
    others = [t for t in turns if t not in group_9 and t not in group_5]
    assert sum(1 for t in others if t.procedure_area.group_vi == "Chính sách xã hội") >= 3
    answerers = {t.answerer_attendee.person.title for t in turns}
    assert "Phó Bí thư Đảng ủy, Chủ tịch UBND phường" in answerers
    assert "Phó Chủ tịch UBND phường, Trưởng Bộ phận Một cửa" in answerers
    assert {"Công chức Tư pháp - Hộ tịch", "Công chức Địa chính - Xây dựng"} <= answerers
    # Residents see where a speaker lives, not who they are.
    assert {t.public_speaker for t in group_9} == {"Công dân tổ dân phố số 9"}
    assert all(t.speaker_name not in t.public_speaker for t in turns)


def test_one_turn_referred_for_a_written_answer_by_10_july(demo):
    _conference, turns = _turns_2020(demo)
    (referred,) = [t for t in turns if t.outcome is TurnOutcome.REFERRED]
    assert _group(referred) == 9 and referred.procedure_area.code == "DD"
    assert referred.referral_unit.name == "Công chức Địa chính - Xây dựng"
    assert referred.referral_due_date == date(2020, 7, 10)
    assert "trả lời bằng văn bản" in referred.referral_note


def test_the_chair_concluded_with_tasks(demo):
    conference = _conference_2020(demo)
    # 11:00 in Hà Nội; the closing is dated that morning, not when the demo was loaded.
    assert conference.end_dt == datetime(2020, 6, 30, 4, tzinfo=UTC)
    closing = db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.entity_type == "conferences",
            AuditEvent.entity_id == conference.id,
            AuditEvent.summary == "status in_progress -> closed",
        )
    )
    assert closing is not None
    paragraphs = conference.conclusion.split("\n")
    assert len(paragraphs) >= 3 and paragraphs[0].startswith("Chủ tịch UBND phường")
    assert "10/7/2020" in conference.conclusion
    tasks = conference.conclusion_tasks
    assert 3 <= len(tasks) <= 4
    assert [t.position for t in tasks] == list(range(1, len(tasks) + 1))
    assert all(t.unit.ward_id == demo.id and t.content for t in tasks)
    assert all(t.deadline is None or t.deadline > date(2020, 6, 30) for t in tasks)
    assert sum(1 for t in tasks if t.deadline) >= 3


def test_the_session_was_played_through_the_live_operations(demo):
    conference = _conference_2020(demo)
    live = db.session.scalars(
        sa.select(LiveEvent)
        .where(LiveEvent.conference_id == conference.id)
        .order_by(LiveEvent.sequence)
    ).all()
    assert [e.kind for e in live] == ["turn.created"] * 10 + ["conference.closed"]
    assert [e.sequence for e in live] == list(range(1, 12))
    names = {e.staff_payload["turn"]["speaker"] for e in live[:10]}
    for event in live[:10]:
        assert event.public_payload["turn"]["speaker"] not in names
    closed = live[-1].public_payload["conference"]
    assert closed["end_label"] == "11 giờ 00 phút" and len(closed["tasks"]) >= 3
    summaries = db.session.scalars(
        sa.select(AuditEvent.summary).where(
            AuditEvent.entity_type == "conferences",
            AuditEvent.entity_id == conference.id,
            AuditEvent.action == AuditAction.EVENT,
        )
    ).all()
    assert "status in_progress -> closed" in summaries


def test_seed_demo_if_empty_keeps_two_sessions_and_their_answers(runner):
    for _ in range(2):
        result = runner.invoke(args=["dialogue", "seed-demo", "--if-empty"])
        assert result.exit_code == 0, result.output
    ward = db.session.scalar(sa.select(Ward).where(Ward.slug == "thach-ban"))
    history = len(half_years(ward_today(ward), skip=demo_skip(ward)))
    assert _count(Conference, Conference.ward_id == ward.id) == 3 + history
    # The three conferences of the demo itself, beside the history.
    own = sa.select(Conference.id).where(
        Conference.ward_id == ward.id,
        Conference.plan_number.in_(("39/KH-UBND", "86/KH-UBND", "112/KH-UBND")),
    )
    assert _count(Conference, Conference.id.in_(own)) == 3
    assert _count(Turn, Turn.conference_id.in_(own)) == 10 + 7
    closed = LiveEvent.kind == "conference.closed"
    assert _count(LiveEvent, closed, LiveEvent.conference_id.in_(own)) == 2
    assert _count(PublishedDocument, PublishedDocument.conference_id.in_(own)) == 2
    assert _count(MinutesDraft, MinutesDraft.conference_id.in_(own)) == 2
    assert _count(Referral, Referral.conference_id.in_(own)) == 5
    assert (
        _count(
            WrittenAnswer,
            WrittenAnswer.referral_id.in_(
                sa.select(Referral.id).where(Referral.conference_id.in_(own))
            ),
        )
        == 3
    )


# -- the 2020 minutes and conclusion notice -----------------------------------------------------


def _published_2020(ward) -> dict:
    conference = _conference_2020(ward)
    documents = db.session.scalars(
        sa.select(PublishedDocument)
        .options(undefer(PublishedDocument.pdf))
        .where(PublishedDocument.conference_id == conference.id)
    ).all()
    return {document.doc_type: document for document in documents}


def test_the_2020_minutes_and_notice_are_published(demo):
    documents = _published_2020(demo)
    assert set(documents) == {DocumentType.MINUTES, DocumentType.NOTICE}
    bb, tb = documents[DocumentType.MINUTES], documents[DocumentType.NOTICE]
    assert (bb.number_label, tb.number_label) == ("01/BB-UBND", "01/TB-UBND")
    assert bb.number.year == tb.number.year == 2020
    for document in (bb, tb):
        assert document.version == 1 and document.correction_reason == ""
        # Posted by the ward on 03/07/2020 at 14:04, Hà Nội time.
        assert document.published_dt == datetime(2020, 7, 3, 7, 4, tzinfo=UTC)
        assert document.published_by.username == "chair"
        assert document.draft.status is DraftStatus.PUBLISHED
        assert document.draft.submitted_by.username == "secretary"
        assert document.pdf.startswith(b"%PDF") and len(document.pdf) == document.pdf_size
        assert hashlib.sha256(document.pdf).hexdigest() == document.pdf_sha256
        assert hashlib.sha256(document.html.encode("utf-8")).hexdigest() == document.html_sha256
    # The BB carries the report as the ward wrote it, and names no resident.
    assert "2.685 hồ sơ" in bb.html and "Hội trường UBND phường Thạch Bàn" in bb.html
    assert "Công dân tổ dân phố số 9" in bb.html
    speakers = db.session.scalars(sa.select(Turn.speaker_name)).all()
    assert not any(name in bb.html or name in tb.html for name in speakers)
    assert "Bộ phận Một cửa văn minh, thân thiện, chuyên nghiệp" in tb.html


def test_the_2020_publications_were_made_by_the_workflow(demo):
    conference = _conference_2020(demo)
    numbers = db.session.scalars(
        sa.select(DocumentNumber).where(DocumentNumber.conference_id == conference.id)
    ).all()
    assert sorted(n.label for n in numbers) == ["01/BB-UBND", "01/GM-UBND", "01/TB-UBND"]
    summaries = db.session.scalars(
        sa.select(AuditEvent.summary).where(
            AuditEvent.entity_type == "conferences", AuditEvent.entity_id == conference.id
        )
    ).all()
    assert "status closed -> published" in summaries


# -- the follow-up of referred questions ---------------------------------------------------------


def test_the_2020_referral_is_answered_by_letter_and_published_on_time(demo):
    referral = db.session.scalar(
        sa.select(Referral).where(Referral.conference_id == _conference_2020(demo).id)
    )
    assert referral.unit.name == "Công chức Địa chính - Xây dựng"
    assert referral.status is ReferralStatus.ANSWERED and referral.is_settled
    # Published on 09/07/2020, the day before it was due.
    assert (referral.due_date, referral.answered_on) == (date(2020, 7, 10), date(2020, 7, 9))
    assert referral.timeliness(ward_today(demo)) is Timeliness.ON_TIME
    (answer,) = referral.answers
    assert answer.is_published and answer.version == 1 and answer.correction_reason == ""
    assert (answer.letter_number, answer.letter_date) == ("45/UBND-ĐCXD", date(2020, 7, 8))
    assert answer.written_by.username == answer.submitted_by.username == "responder"
    assert answer.published_by.username == "chair"
    # 16:15 on 08/07 and 09:30 on 09/07/2020 in Hà Nội.
    assert answer.submitted_dt == datetime(2020, 7, 8, 9, 15, tzinfo=UTC)
    assert answer.published_dt == datetime(2020, 7, 9, 2, 30, tzinfo=UTC)
    assert answer.created_dt < answer.submitted_dt < answer.published_dt
    assert hashlib.sha256(answer.body.encode("utf-8")).hexdigest() == answer.body_sha256
    assert len(answer.paragraphs) >= 5 and "tổ dân phố số 9" in answer.paragraphs[0]
    assert "Điều 101 Luật Đất đai năm 2013" in answer.body
    # Residents find it by the words of the answer, typed without diacritics.
    found = db.session.scalars(
        sa.select(Referral.id).where(search_condition(Referral, "hoa giai ranh gioi"))
    ).all()
    assert found == [referral.id]


def test_the_2020_answer_carries_its_reply_letter_as_a_one_page_pdf(demo):
    answer = db.session.scalar(
        sa.select(WrittenAnswer)
        .options(undefer(WrittenAnswer.attachment_pdf))
        .where(WrittenAnswer.status == AnswerStatus.PUBLISHED)
    )
    pdf = answer.attachment_pdf
    assert pdf.startswith(b"%PDF") and len(pdf) == answer.attachment_size < 100_000
    assert hashlib.sha256(pdf).hexdigest() == answer.attachment_sha256
    assert answer.attachment_filename.endswith(".pdf") and answer.attachment_pages == 1
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(reader.pages[0].extract_text().split())
    assert len(reader.pages) == 1
    for words in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Số: 45/UBND-ĐCXD", "Kính gửi"):
        assert words in text
    assert "Thạch Bàn, ngày 08 tháng 7 năm 2020" in text
    assert "TM. ỦY BAN NHÂN DÂN" in text and "Nơi nhận" in text


def _recent_conference(ward):
    return db.session.scalar(
        sa.select(Conference).where(
            Conference.ward_id == ward.id, Conference.status == ConferenceStatus.CLOSED
        )
    )


def test_a_conference_held_nine_days_ago_is_closed_and_awaits_its_minutes(demo):
    conference = _recent_conference(demo)
    today = ward_today(demo)
    assert conference.held_start_local.date() == today - timedelta(days=9)
    assert conference.title.startswith("Hội nghị đối thoại về cải cách thủ tục hành chính 6 tháng")
    assert conference.reporting_period in conference.title
    assert conference.end_dt > conference.held_start_dt and conference.conclusion
    assert (conference.held_start_dt - conference.announced_dt).days >= 7
    assert len(conference.conclusion_tasks) == 3
    turns = db.session.scalars(
        sa.select(Turn).where(Turn.conference_id == conference.id).order_by(Turn.position)
    ).all()
    assert [t.position for t in turns] == list(range(1, 8))
    assert Counter(t.outcome for t in turns) == {TurnOutcome.ANSWERED: 3, TurnOutcome.REFERRED: 4}
    # Spoken that morning, one after the other, by people who signed in.
    assert all(t.spoken_dt.date() == conference.held_start_dt.date() for t in turns)
    assert [t.spoken_dt for t in turns] == sorted(t.spoken_dt for t in turns)
    assert all(t.speaker_attendee.status is AttendanceStatus.PRESENT for t in turns)
    present = _count(
        Attendee,
        Attendee.conference_id == conference.id,
        Attendee.status == AttendanceStatus.PRESENT,
    )
    assert 80 <= present <= 90
    # Its minutes are the secretary's to draft.
    assert _count(MinutesDraft, MinutesDraft.conference_id == conference.id) == 0


def test_the_recent_referrals_are_at_every_stage(demo):
    conference = _recent_conference(demo)
    today = ward_today(demo)
    referrals = db.session.scalars(
        sa.select(Referral).where(Referral.conference_id == conference.id).order_by(Referral.id)
    ).all()
    assert [r.status for r in referrals] == [
        ReferralStatus.REFERRED,
        ReferralStatus.IN_PROGRESS,
        ReferralStatus.AWAITING_APPROVAL,
        ReferralStatus.REFERRED,
    ]
    overdue, drafted, submitted, untouched = referrals
    # The meeting gave the first five days: four days overdue, nothing written yet.
    assert overdue.due_date == today - timedelta(days=4) and not overdue.answers
    assert overdue.timeliness(today) is Timeliness.OVERDUE and overdue.days_overdue(today) == 4
    assert drafted.working_answer.status is AnswerStatus.DRAFT
    assert submitted.working_answer.status is AnswerStatus.SUBMITTED
    assert drafted.working_answer.written_by.username == "responder"
    assert submitted.working_answer.submitted_by.username == "responder"
    assert untouched.unit.name == "Công chức Văn hóa - Xã hội" and not untouched.answers
    for referral in (drafted, submitted, untouched):
        assert referral.timeliness(today) is Timeliness.OPEN
    assert all(r.published_answer is None for r in referrals)


def test_a_new_user_sees_every_status_on_the_staff_and_the_public_side(demo):
    today = ward_today(demo)
    land = db.session.scalar(
        sa.select(Unit.id).where(Unit.name == "Công chức Địa chính - Xây dựng")
    )
    for counts in (
        status_counts(demo, today=today),
        status_counts(demo, today=today, public=True),
        status_counts(demo, today=today, unit_ids=[land]),  # the demo responder's queue
    ):
        assert all(counts[status.value] >= 1 for status in ReferralStatus), counts
        assert counts[OVERDUE] == 1


def test_loading_mails_no_one_and_the_morning_digest_reaches_the_responder_and_chair(demo):
    assert _count(OutboxMessage) == 0
    assert queue_daily_digests() == 2
    db.session.commit()
    mails = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.to_address)).all()
    assert [m.to_address for m in mails] == [
        "chair@phuong-thachban.example",
        "responder@phuong-thachban.example",
    ]
    assert all(m.reason is MailReason.DUE_DIGEST for m in mails)
    assert "1 câu hỏi quá hạn" in mails[1].subject and "sắp đến hạn" in mails[1].subject
