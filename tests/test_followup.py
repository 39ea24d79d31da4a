"""The follow-up of referred questions: the referral, the unit's answer, the chair's decisions."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfWriter

from dialogue.auth.models import Role
from dialogue.conferences.models import ConferenceStatus
from dialogue.errors import PermissionDenied, ValidationFailed
from dialogue.extensions import db
from dialogue.followup import operations
from dialogue.followup.listing import ReferralFilters, referrals_query, status_counts, ward_today
from dialogue.followup.models import (
    AnswerStatus,
    FrozenAnswerError,
    Referral,
    ReferralStatus,
    RequestStatus,
    Timeliness,
    WrittenAnswer,
)
from dialogue.followup.operations import AnswerConflict, AnswerData
from dialogue.live.models import Turn, TurnOutcome
from dialogue.wards.models import ResidentialGroup, Unit
from tests.conftest import PASSWORD


def pdf_bytes(pages: int = 1, password: str | None = None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if password:
        writer.encrypt(password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture
def setting(ward, make_conference, make_user):
    """A closed conference with one question referred to the land unit, and its people."""
    land = Unit(ward=ward, name="Công chức Địa chính - Xây dựng")
    justice = Unit(ward=ward, name="Công chức Tư pháp - Hộ tịch")
    group = ResidentialGroup(ward=ward, number=7, name="Tổ dân phố số 7")
    db.session.add_all([land, justice, group])
    db.session.commit()
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=5)
    conference = make_conference(
        start_dt=start,
        planned_end_dt=start + timedelta(hours=3),
        end_dt=start + timedelta(hours=3),
        status=ConferenceStatus.CLOSED,
    )
    turn = Turn(
        conference=conference,
        position=1,
        speaker_name="Lê Văn Cường",
        speaker_group=group,
        question="Đề nghị cho biết tiến độ cấp giấy chứng nhận quyền sử dụng đất tổ 7.",
        outcome=TurnOutcome.REFERRED,
        referral_unit=land,
        referral_due_date=start.date() + timedelta(days=10),
    )
    db.session.add(turn)
    db.session.commit()

    class Setting:
        pass

    s = Setting()
    s.ward, s.conference, s.turn, s.land, s.justice = ward, conference, turn, land, justice
    s.referral = turn.referral
    s.responder = make_user(Role.RESPONDER, unit=land, display_name="Phạm Văn Đạt")
    s.other_responder = make_user(Role.RESPONDER, unit=justice)
    s.chair = make_user(Role.CHAIR)
    s.organiser = make_user(Role.ORGANISER)
    return s


def _answer(setting, body="Ủy ban đã giao bộ phận địa chính rà soát.\nDự kiến cấp trong tháng 12."):
    return operations.save_answer(
        setting.referral, AnswerData(body=body), by=setting.responder, revision=None
    )


# -- the referral follows its turn ---------------------------------------------------------------


def test_a_referred_turn_gets_its_referral_and_loses_it_when_answered_instead(setting):
    referral = setting.referral
    assert referral is not None
    assert (referral.unit, referral.due_date, referral.status) == (
        setting.land,
        setting.turn.referral_due_date,
        ReferralStatus.REFERRED,
    )
    assert referral.ward_id == setting.ward.id
    setting.turn.referral_due_date += timedelta(days=2)
    db.session.commit()
    assert referral.due_date == setting.turn.referral_due_date
    setting.turn.outcome = TurnOutcome.ANSWERED
    setting.turn.answer = "Đã trả lời tại hội nghị."
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Referral.id))) == 0


def test_a_referral_the_unit_started_is_not_moved_by_later_edits_of_the_turn(setting):
    _answer(setting)
    db.session.commit()
    setting.turn.referral_due_date += timedelta(days=20)
    db.session.commit()
    assert setting.referral.due_date != setting.turn.referral_due_date


def test_referrals_are_searched_without_diacritics(setting):
    today = ward_today(setting.ward)
    found = db.session.scalars(
        referrals_query(setting.ward, ReferralFilters(text="quyen su dung dat"), today=today)
    ).all()
    assert found == [setting.referral]
    found = db.session.scalars(
        referrals_query(setting.ward, ReferralFilters(text="dia chinh"), today=today)
    ).all()
    assert found == [setting.referral]


# -- overdue, across month ends and time zones ---------------------------------------------------


def test_overdue_is_counted_in_days_of_the_ward_across_a_month_end(setting):
    referral = setting.referral
    referral.due_date = date(2026, 1, 31)
    assert referral.timeliness(date(2026, 1, 31)) is Timeliness.OPEN
    assert referral.days_overdue(date(2026, 2, 1)) == 1
    assert referral.days_overdue(date(2026, 3, 1)) == 29
    assert referral.days_left(date(2026, 1, 29)) == 2
    referral.answered_on = date(2026, 2, 3)
    assert referral.timeliness(date(2026, 5, 1)) is Timeliness.LATE
    assert referral.days_overdue(date(2026, 5, 1)) == 3


def test_today_is_the_ward_s_own_date(setting):
    # 17:30 UTC on 31 January is already 1 February in Hà Nội, still 31 January in Paris.
    moment = datetime(2026, 1, 31, 17, 30, tzinfo=UTC)
    assert ward_today(setting.ward, moment) == date(2026, 2, 1)
    setting.ward.timezone = "Europe/Paris"
    assert ward_today(setting.ward, moment) == date(2026, 1, 31)


def test_counts_say_how_many_are_overdue(setting):
    setting.referral.due_date = ward_today(setting.ward) - timedelta(days=1)
    db.session.commit()
    counts = status_counts(setting.ward, today=ward_today(setting.ward))
    assert counts["referred"] == 1 and counts["overdue"] == 1 and counts["all"] == 1
    counts = status_counts(
        setting.ward, today=ward_today(setting.ward), unit_ids=[setting.justice.id]
    )
    assert counts["all"] == 0


# -- the unit writes, the chair decides ----------------------------------------------------------


def test_the_whole_way_to_a_published_answer(setting):
    answer = _answer(setting)
    db.session.commit()
    assert setting.referral.status is ReferralStatus.IN_PROGRESS
    operations.submit_answer(setting.referral, by=setting.responder, revision=answer.revision)
    db.session.commit()
    assert setting.referral.status is ReferralStatus.AWAITING_APPROVAL
    operations.return_answer(setting.referral, by=setting.chair, reason="Ghi rõ thời hạn cấp.")
    db.session.commit()
    assert setting.referral.status is ReferralStatus.IN_PROGRESS
    assert answer.status is AnswerStatus.RETURNED
    answer = operations.save_answer(
        setting.referral,
        AnswerData(body="Giấy chứng nhận được cấp trước ngày 25/12/2026."),
        by=setting.responder,
        revision=answer.revision,
    )
    operations.submit_answer(setting.referral, by=setting.responder, revision=answer.revision)
    operations.publish_answer(setting.referral, by=setting.chair)
    db.session.commit()
    assert setting.referral.status is ReferralStatus.ANSWERED
    assert setting.referral.answered_on == ward_today(setting.ward)
    assert setting.referral.published_answer == answer
    assert len(answer.body_sha256) == 64
    assert setting.referral.timeliness(ward_today(setting.ward)) is Timeliness.ON_TIME


def test_a_published_answer_never_changes(setting, app):
    answer = _answer(setting)
    operations.submit_answer(setting.referral, by=setting.responder, revision=answer.revision)
    operations.publish_answer(setting.referral, by=setting.chair)
    db.session.commit()
    answer.body = "Đổi lặng lẽ."
    with pytest.raises(FrozenAnswerError):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(FrozenAnswerError):
        db.session.execute(sa.update(WrittenAnswer).values(body="x"))
    db.session.rollback()
    # The database refuses it too, whoever asks.
    with db.engine.connect() as connection, pytest.raises(sa.exc.DatabaseError):
        connection.execute(
            sa.text("UPDATE written_answers SET body = 'x' WHERE id = :id"), {"id": answer.id}
        )
        connection.commit()


def test_a_correction_is_a_new_version_with_its_reason(setting):
    answer = _answer(setting)
    operations.submit_answer(setting.referral, by=setting.responder, revision=answer.revision)
    operations.publish_answer(setting.referral, by=setting.chair)
    db.session.commit()
    answered_on = setting.referral.answered_on
    with pytest.raises(ValidationFailed):
        operations.start_correction(setting.referral, by=setting.responder, reason=" ")
    correction = operations.start_correction(
        setting.referral, by=setting.responder, reason="Sai số ngày hẹn."
    )
    assert correction.version == 2 and correction.body == answer.body
    operations.save_answer(
        setting.referral,
        AnswerData(body="Giấy chứng nhận được cấp trước ngày 28/12/2026."),
        by=setting.responder,
        revision=correction.revision,
    )
    operations.submit_answer(setting.referral, by=setting.responder, revision=correction.revision)
    # The first version stays what residents read until the correction is approved.
    assert setting.referral.published_answer == answer
    assert setting.referral.status is ReferralStatus.ANSWERED
    operations.publish_answer(setting.referral, by=setting.chair)
    db.session.commit()
    assert setting.referral.published_answer == correction
    assert setting.referral.answered_on == answered_on


def test_a_stale_save_is_refused_and_a_second_submit_changes_nothing(setting):
    answer = _answer(setting)
    db.session.commit()
    old = answer.revision
    operations.save_answer(
        setting.referral, AnswerData(body="Bản của người khác."), by=setting.responder, revision=old
    )
    db.session.commit()
    with pytest.raises(AnswerConflict):
        operations.save_answer(
            setting.referral, AnswerData(body="Bản cũ."), by=setting.responder, revision=old
        )
    db.session.rollback()
    operations.submit_answer(setting.referral, by=setting.responder, revision=answer.revision)
    db.session.commit()
    again = operations.submit_answer(setting.referral, by=setting.responder, revision=0)
    assert again.status is AnswerStatus.SUBMITTED


def test_only_the_unit_writes_and_only_the_chair_or_a_named_organiser_approves(setting):
    with pytest.raises(PermissionDenied):
        operations.save_answer(
            setting.referral, AnswerData(body="x"), by=setting.other_responder, revision=None
        )
    answer = _answer(setting)
    operations.submit_answer(setting.referral, by=setting.responder, revision=answer.revision)
    with pytest.raises(PermissionDenied):
        operations.publish_answer(setting.referral, by=setting.organiser)
    operations.set_answer_approvers(setting.ward.id, {setting.organiser.id}, by=setting.chair)
    operations.publish_answer(setting.referral, by=setting.organiser)
    db.session.commit()
    assert setting.referral.status is ReferralStatus.ANSWERED


def test_a_responder_of_several_units_answers_for_each(setting):
    setting.other_responder.extra_units.append(setting.land)
    db.session.commit()
    assert operations.can_answer(setting.other_responder, setting.referral)


def test_an_extension_must_be_later_and_is_decided_by_the_chair(setting):
    due = setting.referral.due_date
    with pytest.raises(ValidationFailed) as caught:
        operations.request_extension(
            setting.referral,
            by=setting.responder,
            new_due_date=due - timedelta(days=1),
            reason="Chờ đo đạc.",
        )
    assert caught.value.field == "new_due_date"
    request = operations.request_extension(
        setting.referral,
        by=setting.responder,
        new_due_date=due + timedelta(days=15),
        reason="Chờ kết quả đo đạc địa chính.",
    )
    with pytest.raises(ValidationFailed):
        operations.request_handover(
            setting.referral, by=setting.responder, to_unit=setting.justice, reason="x"
        )
    with pytest.raises(ValidationFailed):
        operations.decide_request(request, by=setting.chair, accept=False, note="")
    operations.decide_request(request, by=setting.chair, accept=True)
    db.session.commit()
    assert setting.referral.due_date == due + timedelta(days=15)
    assert request.status is RequestStatus.ACCEPTED
    # The meeting's date stays in the minutes' record.
    assert setting.turn.referral_due_date == due


def test_a_hand_over_moves_the_question_to_the_other_unit(setting):
    request = operations.request_handover(
        setting.referral,
        by=setting.responder,
        to_unit=setting.justice,
        reason="Nội dung thuộc lĩnh vực hộ tịch.",
    )
    operations.decide_request(request, by=setting.chair, accept=True)
    db.session.commit()
    assert setting.referral.unit == setting.justice
    assert operations.can_answer(setting.other_responder, setting.referral)
    assert not operations.can_answer(setting.responder, setting.referral)
    # The unit that handed it over still sees it, read-only.
    assert operations.can_view(setting.responder, setting.referral)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"hello, not a pdf", "not a PDF"),
        (b"%PDF-1.7\n garbage garbage", "damaged"),
        (None, "password"),
    ],
)
def test_attachments_that_are_not_a_readable_pdf_are_refused(data, message):
    data = data if data is not None else pdf_bytes(password="bimat")
    with pytest.raises(ValidationFailed) as caught:
        operations.check_attachment("tra-loi.pdf", data)
    assert caught.value.field == "attachment"
    assert message in caught.value.message


def test_a_good_attachment_is_kept_with_its_hash_and_pages():
    attachment = operations.check_attachment("Công văn 125.pdf", pdf_bytes(pages=2))
    assert attachment.pages == 2 and len(attachment.sha256) == 64
    assert attachment.filename == "Công văn 125.pdf"


# -- the pages -----------------------------------------------------------------------------------


def test_the_responder_sees_only_their_units_queue(setting, client, login):
    login(setting.other_responder)
    page = client.get("/referrals/").get_data(as_text=True)
    assert "tiến độ cấp giấy chứng nhận" not in page
    assert client.get(f"/referrals/{setting.referral.id}").status_code == 404
    response = client.post(
        f"/referrals/{setting.referral.id}/answer", data={"body": "x", "save": "1"}
    )
    assert response.status_code == 404


def test_the_kept_queue_is_each_account_s_own_with_each_session_s_token(setting, app, login):
    def token(page: str) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    first = app.test_client()
    pages = []
    for client in (first, app.test_client()):
        client.post(
            "/auth/login", data={"username": setting.responder.username, "password": PASSWORD}
        )
        client.get("/referrals/")  # the sign-in's welcome is shown once, then the page is kept
        pages.append(client.get("/referrals/").get_data(as_text=True))
        assert client.get("/referrals/").get_data(as_text=True) == pages[-1]
    assert token(pages[0]) != token(pages[1])
    assert pages[0].replace(token(pages[0]), "") == pages[1].replace(token(pages[1]), "")
    # The token put back is the session's own: signing out with it works.
    assert first.post("/auth/logout", data={"csrf_token": token(pages[0])}).status_code == 302
    other = app.test_client()
    other.post(
        "/auth/login", data={"username": setting.other_responder.username, "password": PASSWORD}
    )
    other.get("/referrals/")
    page = other.get("/referrals/").get_data(as_text=True)
    assert setting.other_responder.display_name in page
    assert "tiến độ cấp giấy chứng nhận" not in page


def test_another_ward_s_referral_is_not_found(setting, client, login, make_user, other_ward):
    stranger = make_user(Role.CHAIR, ward=other_ward)
    login(stranger)
    assert client.get(f"/referrals/{setting.referral.id}").status_code == 404


def test_the_unit_answers_with_a_letter_and_the_chair_publishes(setting, client, login):
    login(setting.responder)
    page = client.get("/referrals/").get_data(as_text=True)
    assert "tiến độ cấp giấy chứng nhận" in page
    response = client.post(
        f"/referrals/{setting.referral.id}/answer",
        data={
            "body": "Đoạn thứ nhất.\n\nĐoạn thứ hai.",
            "letter_number": "125/UBND-ĐC",
            "letter_date": "2026-12-04",
            "attachment": (io.BytesIO(pdf_bytes()), "cong-van-125.pdf"),
            "revision": "",
            "send": "1",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    answer = setting.referral.working_answer
    assert answer.status is AnswerStatus.SUBMITTED
    assert answer.body == "Đoạn thứ nhất.\nĐoạn thứ hai."
    assert answer.has_attachment and answer.letter_number == "125/UBND-ĐC"
    pdf = client.get(f"/referrals/{setting.referral.id}/answers/{answer.id}/letter.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    client.post("/auth/logout")
    login(setting.chair)
    response = client.post(f"/referrals/{setting.referral.id}/review", data={"review-approve": "1"})
    assert response.status_code == 302
    assert setting.referral.status is ReferralStatus.ANSWERED


def test_a_bad_attachment_answers_in_place_and_keeps_the_text(setting, client, login):
    login(setting.responder)
    response = client.post(
        f"/referrals/{setting.referral.id}/answer",
        data={
            "body": "Nội dung trả lời rất dài đã gõ.",
            "attachment": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "virus.exe"),
            "revision": "",
            "save": "1",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nội dung trả lời rất dài đã gõ." in page
    assert 'id="attachment-error"' in page
    assert setting.referral.working_answer is None


def test_a_stale_page_answers_409_and_shows_both_texts(setting, client, login):
    answer = _answer(setting, body="Bản đã lưu của đồng nghiệp.")
    db.session.commit()
    login(setting.responder)
    response = client.post(
        f"/referrals/{setting.referral.id}/answer",
        data={"body": "Bản tôi vừa gõ.", "revision": str(answer.revision - 1), "save": "1"},
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Bản tôi vừa gõ." in page and "Bản đã lưu của đồng nghiệp." in page


def test_an_extension_before_the_due_date_is_refused_in_place(setting, client, login):
    login(setting.responder)
    earlier = setting.referral.due_date - timedelta(days=2)
    response = client.post(
        f"/referrals/{setting.referral.id}/extension",
        data={"extension-new_due_date": earlier.isoformat(), "extension-reason": "Chờ đo đạc."},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="extension-new_due_date-error"' in page and "Chờ đo đạc." in page


# -- mail ----------------------------------------------------------------------------------------


def _to(smtp, address):
    return [message for message in smtp.accepted if address in message["To"]]


def test_the_unit_hears_of_what_was_referred_to_it(setting, smtp):
    from dialogue.followup.notifications import tell_units_of_referrals

    setting.responder.email = "dat@thachban.example.vn"
    setting.other_responder.email = "tuphap@thachban.example.vn"
    db.session.commit()
    tell_units_of_referrals(setting.conference)
    tell_units_of_referrals(setting.conference)
    db.session.commit()
    received = _to(smtp, "dat@thachban.example.vn")
    assert len(received) == 1
    text = received[0].get_body(preferencelist=("plain",)).get_content()
    assert "tiến độ cấp giấy chứng nhận" in text and "/referrals/" in text
    assert _to(smtp, "tuphap@thachban.example.vn") == []


def test_one_morning_digest_a_person_and_never_twice_a_day(setting, smtp):
    from dialogue.followup.notifications import queue_daily_digests

    setting.responder.email = "dat@thachban.example.vn"
    setting.chair.email = "chutich@thachban.example.vn"
    setting.referral.due_date = ward_today(setting.ward) - timedelta(days=4)
    db.session.commit()
    assert queue_daily_digests() == 2
    db.session.commit()
    assert queue_daily_digests() == 0
    db.session.commit()
    digest = _to(smtp, "dat@thachban.example.vn")
    assert len(digest) == 1 and "quá hạn" in digest[0]["Subject"]
    assert "quá hạn 4 ngày" in digest[0].get_body(preferencelist=("plain",)).get_content()
    assert len(_to(smtp, "chutich@thachban.example.vn")) == 1


def test_the_resident_who_consented_hears_of_the_published_answer(setting, smtp):
    from dialogue.questions.models import QuestionStatus, ResidentQuestion

    for contact, consent in (("hoi@example.vn", True), ("khong@example.vn", False)):
        db.session.add(
            ResidentQuestion(
                conference=setting.conference,
                question=setting.turn.question,
                contact=contact,
                has_contact_consent=consent,
                status=QuestionStatus.ACCEPTED,
                turn=setting.turn,
            )
        )
    answer = _answer(setting)
    operations.submit_answer(setting.referral, by=setting.responder, revision=answer.revision)
    operations.publish_answer(setting.referral, by=setting.chair)
    db.session.commit()
    received = _to(smtp, "hoi@example.vn")
    assert len(received) == 1
    assert (
        "Dự kiến cấp trong tháng 12."
        in received[0].get_body(preferencelist=("plain",)).get_content()
    )
    assert _to(smtp, "khong@example.vn") == []


def test_the_console_keeps_a_referral_the_unit_has_started(setting):
    from dialogue.live import operations as live
    from dialogue.live.operations import TurnData

    setting.conference.status = ConferenceStatus.IN_PROGRESS
    setting.conference.end_dt = None
    secretary = setting.organiser
    logged = live.log_turn(
        setting.conference,
        TurnData(
            question="Hỏi về cấp phép xây dựng.",
            outcome=TurnOutcome.REFERRED,
            referral_unit_id=setting.land.id,
        ),
        by=secretary,
    )
    db.session.commit()
    turn = logged.turn
    # Not started: the secretary may still change their mind.
    answered = TurnData(
        question=turn.question,
        outcome=TurnOutcome.ANSWERED,
        answer="Đã trả lời tại hội nghị.",
        answerer_name="Ông Chủ tịch",
    )
    live.update_turn(turn, answered, by=secretary, expected_version=turn.version)
    db.session.commit()
    assert turn.referral is None
    referred = TurnData(
        question=turn.question, outcome=TurnOutcome.REFERRED, referral_unit_id=setting.land.id
    )
    live.update_turn(turn, referred, by=secretary, expected_version=turn.version)
    db.session.commit()
    operations.save_answer(
        turn.referral, AnswerData(body="Đang soạn."), by=setting.responder, revision=None
    )
    db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        live.update_turn(turn, answered, by=secretary, expected_version=turn.version)
    assert caught.value.field == "outcome"
    db.session.rollback()
    with pytest.raises(ValidationFailed):
        live.withdraw_turn(turn, "Nhầm.", by=secretary)
    db.session.rollback()
    assert turn.referral.status is ReferralStatus.IN_PROGRESS


def test_the_worker_s_morning_job_queues_the_digests(setting, smtp):
    from dialogue import jobs

    setting.responder.email = "dat@thachban.example.vn"
    setting.referral.due_date = ward_today(setting.ward) + timedelta(days=2)
    db.session.commit()
    assert jobs.queue_daily_digests() is True
    [digest] = _to(smtp, "dat@thachban.example.vn")
    assert "sắp đến hạn" in digest["Subject"]
    assert "còn 2 ngày" in digest.get_body(preferencelist=("plain",)).get_content()


def test_a_referral_is_made_for_a_conference_saved_in_the_same_flush(ward, setting):
    from dialogue.conferences.models import Conference

    start = datetime.now(UTC).replace(microsecond=0)
    conference = Conference(ward_id=ward.id, title="Hội nghị", start_dt=start)
    turn = Turn(
        conference=conference,
        position=1,
        question="Hỏi.",
        outcome=TurnOutcome.REFERRED,
        referral_unit=setting.land,
        referral_due_date=start.date(),
    )
    db.session.add_all([conference, turn])
    db.session.commit()
    assert turn.referral.ward_id == ward.id


def test_the_kept_lists_show_a_change_at_once(setting, client, login, app):
    public = f"/p/{setting.ward.slug}/kien-nghi/"
    setting.conference.status = ConferenceStatus.CLOSED
    db.session.commit()
    first = client.get(public).get_data(as_text=True)
    assert client.get(public).get_data(as_text=True) == first
    login(setting.responder)
    assert "Còn" in client.get("/referrals/").get_data(as_text=True)
    answer = _answer(setting)
    operations.submit_answer(setting.referral, by=setting.responder, revision=answer.revision)
    db.session.commit()
    assert "Chờ duyệt" in client.get("/referrals/").get_data(as_text=True)
    operations.publish_answer(setting.referral, by=setting.chair)
    db.session.commit()
    assert "Đã trả lời" in client.get("/referrals/").get_data(as_text=True)
    client.post("/auth/logout")
    page = client.get(public).get_data(as_text=True)
    assert page != first and "Dự kiến cấp trong tháng 12." in page


def test_a_kept_list_loses_a_referral_taken_back(setting, client):
    public = f"/p/{setting.ward.slug}/kien-nghi/"
    assert "quyền sử dụng đất tổ 7" in client.get(public).get_data(as_text=True)
    setting.turn.outcome = TurnOutcome.ANSWERED
    setting.turn.answer = "Đã trả lời tại hội nghị."
    db.session.commit()
    assert "quyền sử dụng đất tổ 7" not in client.get(public).get_data(as_text=True)
