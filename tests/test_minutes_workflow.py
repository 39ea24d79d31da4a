"""Drafting, submitting, approving and publishing the BB and the TB; frozen versions."""

from __future__ import annotations

import hashlib
import io
import itertools
import threading
from datetime import UTC, date, datetime, timedelta

import pdfplumber
import pytest
import sqlalchemy as sa

from dialogue.attendance.models import AttendanceStatus, Attendee
from dialogue.audit.models import AuditEvent
from dialogue.auth.models import Role, User
from dialogue.conferences.models import ConclusionTask, ConferenceStatus
from dialogue.core.database import begin_immediately
from dialogue.documents.models import DocumentNumber, DocumentType
from dialogue.errors import InvalidTransition, PermissionDenied, ValidationFailed
from dialogue.extensions import db
from dialogue.live.models import Turn, TurnOutcome
from dialogue.minutes import operations
from dialogue.minutes.compose import default_texts
from dialogue.minutes.models import (
    DraftStatus,
    FrozenDocumentError,
    MinutesDraft,
    PublishedDocument,
    TurnOrder,
)
from dialogue.minutes.operations import DraftConflict, DraftData, MissingParts
from dialogue.wards.models import ResidentialGroup, Unit

BB, TB = DocumentType.MINUTES, DocumentType.NOTICE
CONCLUSION = (
    "Chủ tịch UBND phường tiếp thu ý kiến của các đại biểu.\n"
    "Đề nghị các tổ dân phố tham gia giám sát việc giải quyết thủ tục hành chính."
)
_groups = itertools.count(30)


@pytest.fixture
def app_config(app_config):
    # Messages are asserted in English.
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


def build_closed_conference(ward, make_user, make_person, make_conference, *, secretary=None):
    """A conference closed three days ago, with its chair, secretary, turns, conclusion, task."""
    chair = make_person(ward=ward, full_name="Nguyễn Văn Thắng", title="Chủ tịch UBND phường")
    secretary = secretary or make_user(Role.SECRETARY, ward=ward)
    number = next(_groups)
    group = ResidentialGroup(ward=ward, number=number, name=f"Tổ dân phố số {number}")
    unit = Unit(ward=ward, name=f"Công chức Địa chính - Xây dựng {number}")
    db.session.add_all([group, unit])
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    conference = make_conference(
        ward=ward,
        start_dt=start,
        planned_end_dt=start + timedelta(hours=3),
        end_dt=start + timedelta(hours=3),
        status=ConferenceStatus.CLOSED,
        status_changed_dt=start + timedelta(hours=3),
        chair=chair,
        secretaries=[secretary],
        conclusion=CONCLUSION,
    )
    conference.conclusion_tasks.append(
        ConclusionTask(
            content="Rà soát hồ sơ cấp giấy chứng nhận.",
            unit=unit,
            deadline=start.date() + timedelta(days=30),
        )
    )
    speaker = Attendee(
        conference=conference,
        full_name="Lê Văn C",
        residential_group_id=None,
        status=AttendanceStatus.PRESENT,
    )
    db.session.add(speaker)
    db.session.flush()
    area = ward.procedure_areas[0]
    db.session.add_all(
        [
            Turn(
                conference=conference,
                position=1,
                speaker_attendee=speaker,
                speaker_name="Lê Văn C",
                speaker_group=group,
                procedure_area=area,
                question="Thủ tục cấp giấy chứng nhận mất bao lâu?",
                outcome=TurnOutcome.ANSWERED,
                answerer_name="Nguyễn Văn Thắng - Chủ tịch UBND phường",
                answer="Không quá 30 ngày kể từ ngày nhận đủ hồ sơ hợp lệ.",
            ),
            Turn(
                conference=conference,
                position=2,
                speaker_name="Trần Thị D",
                speaker_group=group,
                procedure_area=area,
                question="Hồ sơ của gia đình tôi nộp từ năm ngoái chưa có kết quả.",
                outcome=TurnOutcome.REFERRED,
                referral_unit=unit,
                referral_due_date=start.date() + timedelta(days=10),
            ),
        ]
    )
    db.session.commit()
    return conference


@pytest.fixture
def secretary(make_user):
    return make_user(Role.SECRETARY)


@pytest.fixture
def chair(make_user):
    return make_user(Role.CHAIR)


@pytest.fixture
def closed(ward, make_user, make_person, make_conference, secretary):
    return build_closed_conference(
        ward, make_user, make_person, make_conference, secretary=secretary
    )


def publish_at_once(app, draft_ids: list[int], chair_id: int) -> list[str]:
    """Publish the drafts from as many threads, released together; the errors they met."""
    barrier = threading.Barrier(len(draft_ids))
    errors = []

    def work(draft_id):
        try:
            with app.app_context():
                begin_immediately(True)  # what a POST request does on SQLite
                barrier.wait()
                draft = db.session.get(MinutesDraft, draft_id)
                operations.publish(draft, db.session.get(User, chair_id))
                db.session.commit()
                db.session.remove()
        except Exception as error:  # reported by the caller
            errors.append(repr(error))

    threads = [threading.Thread(target=work, args=(draft_id,)) for draft_id in draft_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def submitted_draft(conference, doc_type, secretary):
    draft = operations.get_or_create_draft(conference, doc_type, secretary)
    operations.submit_draft(draft, secretary)
    db.session.commit()
    return draft


def published(conference, doc_type, secretary, chair, **options):
    draft = submitted_draft(conference, doc_type, secretary)
    document = operations.publish(draft, chair, **options)
    db.session.commit()
    return document


def _sha(data) -> str:
    return hashlib.sha256(data if isinstance(data, bytes) else data.encode("utf-8")).hexdigest()


def _stored(document_id: int) -> tuple[bytes, str, str, str]:
    """Read a version's bytes and hashes back from the database, past the session's cache."""
    db.session.expire_all()
    row = db.session.execute(
        sa.select(
            PublishedDocument.pdf,
            PublishedDocument.html,
            PublishedDocument.pdf_sha256,
            PublishedDocument.html_sha256,
        ).where(PublishedDocument.id == document_id)
    ).one()
    return bytes(row[0]), row[1], row[2], row[3]


# -- drafts -------------------------------------------------------------------------------------


def test_a_draft_is_written_only_after_the_session(make_conference, secretary):
    announced = make_conference(status=ConferenceStatus.ANNOUNCED, secretaries=[secretary])
    with pytest.raises(InvalidTransition, match="after the session"):
        operations.get_or_create_draft(announced, BB, secretary)


def test_a_new_draft_starts_from_the_default_texts(closed, secretary):
    draft = operations.get_or_create_draft(closed, TB, secretary)
    db.session.commit()
    texts = default_texts(closed, TB)
    assert (draft.opening, draft.conclusion, draft.recipients) == (
        texts["opening"],
        texts["conclusion"],
        texts["recipients"],
    )
    assert draft.status is DraftStatus.DRAFT and draft.version == 1
    assert draft.conclusion == CONCLUSION
    # Asking again gives the same draft.
    assert operations.get_or_create_draft(closed, TB, secretary).id == draft.id


def test_who_writes_and_who_approves(closed, make_user, secretary, chair):
    unassigned = make_user(Role.SECRETARY)
    organiser = make_user(Role.ORGANISER)
    for user in (unassigned, chair, make_user(Role.RESPONDER)):
        with pytest.raises(PermissionDenied):
            operations.get_or_create_draft(closed, BB, user)
    draft = operations.get_or_create_draft(closed, BB, organiser)
    with pytest.raises(PermissionDenied):
        operations.update_draft(draft, DraftData.of(draft), unassigned, draft.version)
    with pytest.raises(PermissionDenied):
        operations.submit_draft(draft, chair)
    operations.submit_draft(draft, secretary)
    with pytest.raises(PermissionDenied):
        operations.publish(draft, secretary)
    with pytest.raises(PermissionDenied):
        operations.publish(draft, organiser)
    with pytest.raises(PermissionDenied):
        operations.return_to_draft(draft, organiser, "Sửa lại")


def test_the_chair_of_another_ward_may_not_approve(closed, make_user, other_ward, secretary):
    foreign_chair = make_user(Role.CHAIR, ward=other_ward)
    draft = submitted_draft(closed, BB, secretary)
    with pytest.raises(PermissionDenied):
        operations.publish(draft, foreign_chair)


def test_saving_raises_the_version_and_keeps_paragraphs(closed, secretary):
    draft = operations.get_or_create_draft(closed, BB, secretary)
    data = DraftData(
        opening="  Hội nghị   khai mạc lúc 8 giờ.  \n\n\nĐồng chí Chủ tịch phát biểu.",
        report_summary="Báo cáo tóm tắt.",
        conclusion="Kết luận một.\nKết luận hai.",
        recipients="- UBND quận;\n  Lưu: VT, Hồ sơ.",
        turn_order=TurnOrder.SPEAKING,
    )
    operations.update_draft(draft, data, secretary, 1)
    db.session.commit()
    assert draft.version == 2
    assert draft.opening == "Hội nghị khai mạc lúc 8 giờ.\nĐồng chí Chủ tịch phát biểu."
    assert draft.recipients == "UBND quận\nLưu: VT, Hồ sơ"
    assert draft.turn_order is TurnOrder.SPEAKING and draft.updated_by_id == secretary.id
    # The same text again is no change, even from an old form.
    operations.update_draft(draft, data, secretary, 1)
    assert draft.version == 2


def test_a_stale_edit_is_refused_with_the_current_text(closed, secretary, make_user):
    organiser = make_user(Role.ORGANISER)
    draft = operations.get_or_create_draft(closed, BB, secretary)
    db.session.commit()
    mine = DraftData.of(draft)
    theirs = DraftData(**{**mine.__dict__, "conclusion": "Kết luận do văn phòng sửa."})
    operations.update_draft(draft, theirs, organiser, 1)
    db.session.commit()
    typed = DraftData(**{**mine.__dict__, "conclusion": "Kết luận do thư ký sửa."})
    with pytest.raises(DraftConflict) as caught:
        operations.update_draft(draft, typed, secretary, 1)
    db.session.rollback()
    assert caught.value.current.conclusion == "Kết luận do văn phòng sửa."
    assert caught.value.version == 2 and caught.value.updated_by == organiser.display_name
    assert "Someone else saved this document" in caught.value.message
    db.session.refresh(draft)
    assert draft.conclusion == "Kết luận do văn phòng sửa."
    # Saved again knowingly, against the version now shown, it replaces theirs.
    operations.update_draft(draft, typed, secretary, 2)
    assert draft.conclusion == "Kết luận do thư ký sửa." and draft.version == 3


def test_typed_markup_is_stored_as_text_and_control_characters_dropped(closed, secretary):
    draft = operations.get_or_create_draft(closed, BB, secretary)
    payload = '<script>alert(1)</script> <img src="file:///etc/passwd"> http://evil.example/x'
    data = DraftData(
        **{**DraftData.of(draft).__dict__, "opening": payload + "\x00\x07 hết.\r\nDòng hai."}
    )
    operations.update_draft(draft, data, secretary, draft.version)
    db.session.commit()
    db.session.refresh(draft)
    assert draft.opening == payload + " hết.\nDòng hai."


def test_too_many_recipients_are_refused_in_place(closed, secretary):
    draft = operations.get_or_create_draft(closed, BB, secretary)
    data = DraftData(
        **{
            **DraftData.of(draft).__dict__,
            "recipients": "\n".join(f"Tổ dân phố số {n}" for n in range(60)),
        }
    )
    with pytest.raises(ValidationFailed, match="at most 40") as caught:
        operations.update_draft(draft, data, secretary, draft.version)
    assert caught.value.field == "recipients"


# -- submitting and sending back ----------------------------------------------------------------


def test_submitting_names_every_missing_part(closed, secretary):
    closed.chair = None
    draft = operations.get_or_create_draft(closed, BB, secretary)
    empty = DraftData(**{**DraftData.of(draft).__dict__, "conclusion": "", "recipients": " \n"})
    operations.update_draft(draft, empty, secretary, draft.version)
    with pytest.raises(MissingParts) as caught:
        operations.submit_draft(draft, secretary)
    message = caught.value.message
    for part in ("the chair", "the conclusion", "at least one recipient"):
        assert part in message
    assert len(caught.value.parts) == 3
    assert draft.status is DraftStatus.DRAFT


def test_the_chair_sends_a_draft_back_with_a_reason(closed, secretary, chair):
    draft = submitted_draft(closed, BB, secretary)
    assert draft.status is DraftStatus.SUBMITTED and draft.submitted_by_id == secretary.id
    with pytest.raises(InvalidTransition, match="with the chair"):
        operations.update_draft(draft, DraftData.of(draft), secretary, draft.version)
    with pytest.raises(ValidationFailed, match="Say what should be changed") as caught:
        operations.return_to_draft(draft, chair, "   ")
    assert caught.value.field == "reason"
    operations.return_to_draft(draft, chair, "Bổ sung ý kiến của tổ dân phố số 5.")
    db.session.commit()
    assert draft.status is DraftStatus.DRAFT
    assert draft.return_reason == "Bổ sung ý kiến của tổ dân phố số 5."
    operations.submit_draft(draft, secretary)
    assert draft.return_reason == "" and draft.status is DraftStatus.SUBMITTED


# -- publishing ---------------------------------------------------------------------------------


def test_publishing_needs_a_submitted_draft(closed, secretary, chair):
    draft = operations.get_or_create_draft(closed, BB, secretary)
    with pytest.raises(InvalidTransition, match="not been submitted"):
        operations.publish(draft, chair)


def test_publishing_refuses_missing_parts_named(closed, secretary, chair):
    draft = submitted_draft(closed, BB, secretary)
    closed.end_dt = None
    closed.venue = ""
    with pytest.raises(MissingParts) as caught:
        operations.publish(draft, chair)
    assert "the end time" in caught.value.message and "the venue" in caught.value.message
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PublishedDocument)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DocumentNumber)) == 0


def test_publishing_numbers_renders_and_freezes(closed, secretary, chair):
    now = datetime(2020, 7, 3, 7, 4, tzinfo=UTC)
    document = published(closed, BB, secretary, chair, now=now)
    assert document.version == 1 and document.number_label == "01/BB-UBND"
    assert document.number.year == 2020 and document.number.conference_id == closed.id
    assert document.published_dt == now and document.published_by_id == chair.id
    pdf, html, pdf_sha, html_sha = _stored(document.id)
    assert pdf.startswith(b"%PDF") and len(pdf) == document.pdf_size
    assert _sha(pdf) == pdf_sha and _sha(html) == html_sha
    assert "01/BB-UBND" in html and "DỰ THẢO" not in html
    # The last page carries the short link to the public page, under its QR code.
    with pdfplumber.open(io.BytesIO(pdf)) as reader:
        last_page = reader.pages[-1].extract_text()
    assert document.public_code in last_page.replace("\n", "")
    assert document.draft.status is DraftStatus.PUBLISHED
    # The audit log records the publication by its hashes, without copying the bytes.
    created = db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.entity_type == "published_documents", AuditEvent.entity_id == document.id
        )
    )
    assert created.changes["pdf"] == [None, "***"] and created.changes["html"] == [None, "***"]
    assert created.changes["pdf_sha256"] == [None, pdf_sha]
    # One of two: the conference waits for its notice.
    assert closed.status is ConferenceStatus.CLOSED


def test_both_published_make_the_conference_published(closed, secretary, chair):
    bb = published(closed, BB, secretary, chair)
    tb = published(closed, TB, secretary, chair, pdfa=True)
    assert (bb.number_label, tb.number_label) == ("01/BB-UBND", "01/TB-UBND")
    assert tb.is_pdfa
    db.session.refresh(closed)
    assert closed.status is ConferenceStatus.PUBLISHED


def test_a_second_publish_is_refused(closed, secretary, chair):
    document = published(closed, BB, secretary, chair)
    with pytest.raises(InvalidTransition, match="already published"):
        operations.publish(document.draft, chair)
    with pytest.raises(InvalidTransition, match="start a correction"):
        operations.update_draft(
            document.draft, DraftData.of(document.draft), secretary, document.draft.version
        )
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PublishedDocument)) == 1


def test_a_correction_is_version_2_and_version_1_never_changes(closed, secretary, chair):
    v1 = published(closed, BB, secretary, chair)
    before = _stored(v1.id)
    draft = v1.draft

    # Later edits of the records and of the draft leave version 1 as it was.
    turn = db.session.scalar(
        sa.select(Turn).where(Turn.conference_id == closed.id, Turn.position == 1)
    )
    turn.question = "Câu hỏi đã được sửa sau khi công bố."
    closed.conclusion = "Kết luận sửa sau."
    db.session.commit()
    operations.start_correction(draft, secretary)
    db.session.commit()
    assert draft.status is DraftStatus.DRAFT
    operations.update_draft(
        draft,
        DraftData(**{**DraftData.of(draft).__dict__, "conclusion": "Kết luận đã sửa lỗi."}),
        secretary,
        draft.version,
    )
    db.session.commit()
    assert _stored(v1.id) == before

    operations.submit_draft(draft, secretary)
    with pytest.raises(ValidationFailed, match="Say why") as caught:
        operations.publish(draft, chair)
    assert caught.value.field == "correction_reason"
    v2 = operations.publish(draft, chair, correction_reason="Sửa lỗi trong phần kết luận.")
    db.session.commit()

    assert (v2.version, v2.number_id, v2.number_label) == (2, v1.number_id, v1.number_label)
    assert v2.correction_reason == "Sửa lỗi trong phần kết luận."
    assert v2.public_code != v1.public_code
    assert "Kết luận đã sửa lỗi." in v2.html and "Câu hỏi đã được sửa sau khi công bố." in v2.html
    assert _stored(v1.id) == before
    assert "Kết luận đã sửa lỗi." not in before[1]
    assert [p.version for p in draft.publications] == [1, 2] and draft.latest.id == v2.id
    # One number for the document, whatever its versions.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DocumentNumber)) == 1


def test_a_correction_without_a_change_is_refused(closed, secretary, chair):
    v1 = published(closed, BB, secretary, chair)
    operations.start_correction(v1.draft, chair)
    operations.submit_draft(v1.draft, secretary)
    with pytest.raises(ValidationFailed, match="Nothing has changed since version 1"):
        operations.publish(v1.draft, chair, correction_reason="Công bố lại.")


def test_published_documents_refuse_every_change(closed, secretary, chair):
    document = published(closed, BB, secretary, chair)
    document_id, before = document.id, _stored(document.id)
    db.session.expire_all()
    document = db.session.get(PublishedDocument, document_id)
    document.pdf = b"%PDF-1.7 forged"
    with pytest.raises(FrozenDocumentError):
        db.session.flush()
    db.session.rollback()
    document = db.session.get(PublishedDocument, document_id)
    document.correction_reason = "lặng lẽ sửa"
    with pytest.raises(FrozenDocumentError):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(FrozenDocumentError):
        db.session.execute(
            sa.update(PublishedDocument)
            .where(PublishedDocument.id == document_id)
            .values(pdf_sha256="0" * 64)
        )
    db.session.rollback()
    with pytest.raises(FrozenDocumentError):
        db.session.execute(sa.delete(PublishedDocument).where(PublishedDocument.id == document_id))
    db.session.rollback()
    db.session.delete(db.session.get(PublishedDocument, document_id))
    with pytest.raises(FrozenDocumentError):
        db.session.flush()
    db.session.rollback()
    assert _stored(document_id) == before


def test_the_database_itself_refuses_to_change_a_published_version(closed, secretary, chair):
    document = published(closed, BB, secretary, chair)
    document_id, before = document.id, _stored(document.id)
    db.session.commit()
    # Plain SQL passes by the ORM's listeners; the trigger stops it.
    with (
        pytest.raises(sa.exc.DatabaseError, match="published documents never change"),
        db.engine.begin() as connection,
    ):
        connection.execute(
            sa.text("UPDATE published_documents SET pdf_sha256 = :forged WHERE id = :id"),
            {"forged": "0" * 64, "id": document_id},
        )
    assert _stored(document_id) == before


def test_a_deleted_attendee_leaves_the_turn_and_the_document_whole(closed, secretary, chair):
    turn = db.session.scalar(
        sa.select(Turn).where(Turn.conference_id == closed.id, Turn.position == 1)
    )
    db.session.delete(turn.speaker_attendee)
    db.session.commit()
    db.session.expire_all()
    turn = db.session.get(Turn, turn.id)
    assert turn.speaker_attendee_id is None and turn.speaker_name == "Lê Văn C"
    document = published(closed, BB, secretary, chair)
    assert "Thủ tục cấp giấy chứng nhận mất bao lâu?" in document.html
    assert document.pdf.startswith(b"%PDF")


def test_a_published_version_names_no_resident_unless_the_ward_chose_to(closed, secretary, chair):
    document = published(closed, BB, secretary, chair)
    assert "Lê Văn C" not in document.html and "Trần Thị D" not in document.html


# -- numbering under concurrency ----------------------------------------------------------------


def test_two_chairs_publishing_at_once_get_distinct_numbers(
    app, ward, make_user, make_person, make_conference, secretary, chair
):
    conferences = [
        build_closed_conference(ward, make_user, make_person, make_conference, secretary=secretary)
        for _ in range(2)
    ]
    draft_ids = [submitted_draft(c, BB, secretary).id for c in conferences]
    chair_id = chair.id
    db.session.commit()  # no snapshot held open by the test while the workers write
    assert publish_at_once(app, draft_ids, chair_id) == []
    db.session.commit()
    labels = db.session.scalars(
        sa.select(PublishedDocument.number_label).order_by(PublishedDocument.number_label)
    ).all()
    assert labels == ["01/BB-UBND", "02/BB-UBND"]


# -- the deadline -------------------------------------------------------------------------------


def test_the_publication_deadline(closed, secretary, chair, make_conference):
    start = closed.start_dt  # three days ago
    deadlines = operations.publication_deadlines([closed])
    due = deadlines[closed.id]
    assert due.deadline == closed.start_local.date() + timedelta(days=10)
    assert due.days_left == 7 and not due.is_overdue and not due.is_published

    late = operations.publication_deadlines([closed], now=start + timedelta(days=13))[closed.id]
    assert late.is_overdue and late.days_overdue == 3

    published(closed, BB, secretary, chair)
    assert not operations.publication_deadlines([closed])[closed.id].is_published
    tb = published(closed, TB, secretary, chair)
    done = operations.publication_deadlines([closed])[closed.id]
    assert (
        done.is_published
        and done.published_on == tb.published_dt.astimezone(closed.start_local.tzinfo).date()
    )
    assert done.days_late == 0
    assert isinstance(done.deadline, date)


def test_markup_and_links_are_published_as_inert_text(closed, secretary, chair):
    payload = '<script>alert(1)</script><img src="file:///etc/passwd"> http://evil.example/x'
    draft = operations.get_or_create_draft(closed, BB, secretary)
    operations.update_draft(
        draft,
        DraftData(**{**DraftData.of(draft).__dict__, "opening": payload}),
        secretary,
        draft.version,
    )
    operations.submit_draft(draft, secretary)
    document = operations.publish(draft, chair)
    db.session.commit()
    assert "<script>" not in document.html and "<img src" not in document.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in document.html
    with pdfplumber.open(io.BytesIO(document.pdf)) as reader:
        text = "".join(page.extract_text() for page in reader.pages).replace("\n", "")
        images = sum(len(page.images) for page in reader.pages)
        links = [a.get("uri") for page in reader.pages for a in page.annots or []]
    assert '<img src="file:///etc/passwd">' in text and "http://evil.example/x" in text
    assert images == 1  # the QR code of the public page, and nothing fetched
    assert not any(uri and "evil.example" in uri for uri in links)
