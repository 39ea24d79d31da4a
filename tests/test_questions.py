"""Residents' questions: the public form and its defences, the private page, the moderation queue."""

from __future__ import annotations

import html
import json
import re
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from dialogue.auth.models import Role
from dialogue.conferences.models import ConferenceStatus
from dialogue.errors import ValidationFailed
from dialogue.extensions import db
from dialogue.live.models import LiveEvent, Turn, TurnOutcome
from dialogue.live.operations import SessionNotOpen, TurnData, checked_turn_data, log_turn
from dialogue.questions import operations
from dialogue.questions.forms import issue_stamp
from dialogue.questions.models import QuestionStatus, ResidentQuestion
from dialogue.questions.operations import QuestionData
from dialogue.wards.models import ResidentialGroup, Unit
from tests.conftest import PASSWORD

NAME = "Phạm Thị Riêng Tư"
PHONE = "0912 345 678"
EMAIL = "rieng.tu@example.org"


@pytest.fixture
def app_config(app_config):
    # Messages are checked in English here; the Vietnamese catalogue has tests of its own.
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en", "QUESTION_FORM_MIN_SECONDS": 3}


@pytest.fixture
def groups(ward):
    made = [
        ResidentialGroup(ward=ward, number=5, name="Tổ dân phố số 5"),
        ResidentialGroup(ward=ward, number=9, name="Tổ dân phố số 9"),
    ]
    db.session.add_all(made)
    db.session.commit()
    return made


@pytest.fixture
def area(ward):
    return next(a for a in ward.procedure_areas if a.is_active)


@pytest.fixture
def announced(make_conference, groups):
    return make_conference(status=ConferenceStatus.ANNOUNCED, announced_dt=datetime.now(UTC))


@pytest.fixture
def running(make_conference, groups):
    return make_conference(
        status=ConferenceStatus.IN_PROGRESS,
        announced_dt=datetime.now(UTC) - timedelta(days=10),
        start_dt=datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30),
    )


@pytest.fixture
def organiser(make_user):
    return make_user(Role.ORGANISER)


@pytest.fixture
def secretary(make_user, running):
    user = make_user(Role.SECRETARY)
    running.secretaries.append(user)
    db.session.commit()
    return user


def ask_url(conference) -> str:
    return f"/p/{conference.ward.slug}/hoi-nghi/{conference.id}/gui-cau-hoi"


def queue_url(conference) -> str:
    return f"/conferences/{conference.id}/questions/"


def old_stamp(conference, seconds: float = 30) -> str:
    """A stamp given out ``seconds`` ago, as if a person had spent that long typing."""
    return issue_stamp(conference.id, now=time.time() - seconds)


def form(conference, **fields) -> dict:
    data = {
        "question": "Thủ tục cấp giấy chứng nhận quyền sử dụng đất mất bao lâu?",
        "residential_group_id": "0",
        "procedure_area_id": "0",
        "asker_name": "",
        "contact": "",
        "website": "",
        "stamp": old_stamp(conference),
    }
    data.update(fields)
    return data


def visible_text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def questions_of(conference) -> list[ResidentQuestion]:
    return list(
        db.session.scalars(
            sa.select(ResidentQuestion)
            .where(ResidentQuestion.conference_id == conference.id)
            .order_by(ResidentQuestion.id)
        )
    )


def events_of(conference) -> list[LiveEvent]:
    return list(
        db.session.scalars(
            sa.select(LiveEvent)
            .where(LiveEvent.conference_id == conference.id)
            .order_by(LiveEvent.sequence)
        )
    )


def receive(conference, text="Xin hỏi về thủ tục đăng ký khai sinh?", **fields):
    received = operations.receive_question(conference, QuestionData(question=text, **fields))
    db.session.commit()
    return received.question


# -- receiving: operations ----------------------------------------------------------------------


def test_a_question_waits_in_the_queue_and_only_staff_are_told(announced, groups, area):
    received = operations.receive_question(
        announced,
        QuestionData(
            question="  Xin hỏi   thủ tục\n đăng ký khai sinh?  ",
            asker_name=NAME,
            residential_group_id=groups[1].id,
            procedure_area_id=area.id,
            contact=PHONE,
            has_contact_consent=True,
        ),
    )
    db.session.commit()
    question = received.question
    assert received.created
    assert question.status is QuestionStatus.WAITING
    assert question.question == "Xin hỏi thủ tục đăng ký khai sinh?"
    assert question.residential_group == groups[1] and question.procedure_area == area
    assert question.contact == PHONE and question.has_contact_consent
    assert not question.is_during_meeting
    assert len(question.follow_token) >= 30
    [event] = events_of(announced)
    assert event.kind == "question.received"
    assert event.public_payload is None
    payload = event.staff_payload["question"]
    assert payload["id"] == question.id and payload["asker_name"] == NAME
    assert payload["contact"] == PHONE
    assert payload["group"] == {"id": groups[1].id, "name": "Tổ dân phố số 9"}


def test_a_question_sent_during_the_meeting_is_marked_so(running):
    assert receive(running).is_during_meeting


def test_consent_without_a_contact_keeps_nothing(announced):
    question = receive(announced, has_contact_consent=True)
    assert question.contact == "" and not question.has_contact_consent


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"question": "   "}, "question", "Write your question."),
        ({"question": "x" * 2001}, "question", "the limit is 2,000"),
        ({"contact": PHONE}, "has_contact_consent", "Tick this box"),
        ({"contact": "gọi tôi nhé", "has_contact_consent": True}, "contact", "phone number"),
        ({"contact": "12", "has_contact_consent": True}, "contact", "phone number"),
        ({"contact": "a@b", "has_contact_consent": True}, "contact", "phone number"),
        ({"asker_name": "x" * 121}, "asker_name", "120 characters"),
        (
            {"question": "Xem http://a.example http://b.example www.c.example giúp tôi"},
            "question",
            "more than 2 web links",
        ),
        ({"residential_group_id": 999_999}, "residential_group_id", "not one of the ward's"),
        ({"procedure_area_id": 999_999}, "procedure_area_id", "not in the ward's list"),
    ],
)
def test_bad_questions_are_refused_with_a_message_for_the_field(announced, fields, field, message):
    data = {"question": "Xin hỏi về thủ tục đăng ký khai sinh?", **fields}
    with pytest.raises(ValidationFailed) as refused:
        operations.receive_question(announced, QuestionData(**data))
    assert refused.value.field == field
    assert message in refused.value.message
    db.session.rollback()
    assert questions_of(announced) == []


def test_two_links_are_fine_and_contacts_are_read_loosely(announced):
    question = receive(
        announced,
        "Trang https://dichvucong.gov.vn và www.hanoi.gov.vn hướng dẫn khác nhau?",
        contact="+84 (912) 345-678",
        has_contact_consent=True,
    )
    assert question.contact == "+84 (912) 345-678"
    assert receive(announced, "Câu hỏi khác", contact=EMAIL, has_contact_consent=True).contact


def test_groups_and_areas_of_another_ward_or_retired_are_refused(announced, make_ward, area):
    elsewhere = make_ward()
    foreign_group = ResidentialGroup(ward=elsewhere, number=1, name="Tổ dân phố số 1")
    db.session.add(foreign_group)
    db.session.flush()
    for data in (
        QuestionData(question="Câu hỏi", residential_group_id=foreign_group.id),
        QuestionData(question="Câu hỏi", procedure_area_id=elsewhere.procedure_areas[0].id),
    ):
        with pytest.raises(ValidationFailed):
            operations.receive_question(announced, data)
    area.is_active = False
    db.session.flush()
    with pytest.raises(ValidationFailed):
        operations.receive_question(
            announced, QuestionData(question="Câu hỏi", procedure_area_id=area.id)
        )


def test_the_same_text_again_soon_is_refused(announced):
    receive(announced, "Xin hỏi về thủ tục đăng ký khai sinh?")
    with pytest.raises(ValidationFailed, match="a short while ago"):
        receive(announced, "xin hoi  ve thu tuc dang ky khai sinh?")
    db.session.rollback()
    first = questions_of(announced)[0]
    first.created_dt = datetime.now(UTC) - operations.DUPLICATE_WINDOW - timedelta(minutes=1)
    db.session.commit()
    assert receive(announced, "Xin hỏi về thủ tục đăng ký khai sinh?").id != first.id


def test_the_same_form_sent_twice_makes_one_question(announced):
    data = QuestionData(question="Xin hỏi về thủ tục chứng thực?")
    first = operations.receive_question(announced, data, form_key="k1")
    db.session.commit()
    again = operations.receive_question(announced, data, form_key="k1")
    assert (first.created, again.created) == (True, False)
    assert again.question.id == first.question.id
    # The same form edited and sent again is a new question, with a link of its own.
    other = operations.receive_question(
        announced, QuestionData(question="Xin hỏi về thủ tục hộ tịch?"), form_key="k1"
    )
    assert other.created and other.question.follow_token != first.question.follow_token


def test_control_characters_are_dropped_and_markup_is_kept_as_text(announced):
    question = receive(announced, "<script>alert(1)</script>\x00 Hỏi\u202e gì?", asker_name="<b>")
    assert question.question == "<script>alert(1)</script> Hỏi gì?"
    assert question.asker_name == "<b>"


@pytest.mark.parametrize(
    "status", [ConferenceStatus.CLOSED, ConferenceStatus.CANCELLED, ConferenceStatus.DRAFT]
)
def test_only_an_announced_or_running_conference_takes_questions(make_conference, status):
    conference = make_conference(status=status, announced_dt=datetime.now(UTC))
    with pytest.raises(operations.QuestionsClosed):
        operations.receive_question(conference, QuestionData(question="Câu hỏi"))


# -- moderating: operations ---------------------------------------------------------------------


def test_accepting_makes_a_turn_under_the_group_not_the_name(running, secretary, groups, area):
    question = receive(
        running,
        asker_name=NAME,
        residential_group_id=groups[1].id,
        procedure_area_id=area.id,
        contact=PHONE,
        has_contact_consent=True,
    )
    accepted = operations.accept_question(question, by=secretary)
    db.session.commit()
    turn = accepted.turn
    assert accepted.status is QuestionStatus.ACCEPTED and accepted.moderated_by == secretary
    assert turn.position == 1 and turn.client_key == f"question-{question.id}"
    assert turn.speaker_name == "" and turn.speaker_group == groups[1]
    assert turn.procedure_area == area and turn.question == question.question
    assert turn.public_speaker == "Công dân tổ dân phố số 9"
    kinds = [event.kind for event in events_of(running)]
    assert kinds == ["question.received", "turn.created", "question.moderated"]
    moderated = events_of(running)[-1]
    assert moderated.public_payload is None
    assert moderated.staff_payload["question"]["status"] == "accepted"
    assert moderated.staff_payload["question"]["turn_id"] == turn.id
    # A second click, or a second secretary, changes nothing.
    again = operations.accept_question(question, by=secretary)
    db.session.commit()
    assert again.turn.id == turn.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Turn)) == 1
    assert len(events_of(running)) == 3


def test_before_the_meeting_questions_cannot_become_turns(announced, organiser):
    question = receive(announced)
    with pytest.raises(SessionNotOpen):
        operations.accept_question(question, by=organiser)
    db.session.rollback()
    assert db.session.get(ResidentQuestion, question.id).status is QuestionStatus.WAITING


def test_rejecting_needs_a_reason_that_the_sender_reads(announced, organiser):
    question = receive(announced)
    with pytest.raises(ValidationFailed) as refused:
        operations.reject_question(question, "  ", by=organiser)
    assert refused.value.field == "reason"
    db.session.rollback()
    operations.reject_question(question, "Không thuộc lĩnh vực TTHC.", by=organiser)
    db.session.commit()
    fate = operations.fate_of(question)
    assert fate.is_rejected and fate.reason == "Không thuộc lĩnh vực TTHC."
    with pytest.raises(operations.AlreadyModerated):
        operations.accept_question(question, by=organiser)


def test_a_merged_question_follows_the_fate_of_the_other(running, secretary):
    first = receive(running, "Xin hỏi về thủ tục đăng ký kết hôn?")
    second = receive(running, "Đăng ký kết hôn cần giấy tờ gì?")
    third = receive(running, "Kết hôn với người nước ngoài làm ở đâu?")
    operations.merge_question(second, into_question=first, by=secretary)
    operations.merge_question(third, into_question=second, by=secretary)
    db.session.commit()
    assert second.status is QuestionStatus.MERGED and second.merged_into == first
    assert operations.fate_of(third).is_waiting and operations.fate_of(third).merged
    operations.accept_question(first, by=secretary)
    db.session.commit()
    fate = operations.fate_of(third)
    assert fate.is_taken_up and fate.turn == first.turn and fate.merged
    # A question cannot be merged into one that already follows it.
    fourth = receive(running, "Câu hỏi thứ tư")
    with pytest.raises(ValidationFailed):
        operations.merge_question(fourth, into_question=fourth, by=secretary)


def test_a_question_can_join_a_turn_already_logged(running, secretary):
    logged = log_turn(running, TurnData(question="Hỏi về cấp đổi sổ đỏ"), by=secretary)
    question = receive(running, "Sổ đỏ cấp đổi mất bao lâu?")
    operations.merge_question(question, into_turn=logged.turn, by=secretary)
    db.session.commit()
    assert operations.fate_of(question).turn == logged.turn


def test_merging_refuses_targets_elsewhere_or_turned_down(
    running, secretary, make_conference, organiser
):
    elsewhere = make_conference(status=ConferenceStatus.ANNOUNCED, announced_dt=datetime.now(UTC))
    foreign = receive(elsewhere, "Câu hỏi của hội nghị khác")
    question = receive(running, "Câu hỏi")
    with pytest.raises(ValidationFailed):
        operations.merge_question(question, into_question=foreign, by=secretary)
    db.session.rollback()
    turned_down = receive(running, "Câu hỏi bị từ chối")
    operations.reject_question(turned_down, "Trùng lặp", by=secretary)
    db.session.commit()
    with pytest.raises(ValidationFailed, match="not taken up"):
        operations.merge_question(question, into_question=turned_down, by=secretary)
    db.session.rollback()
    with pytest.raises(ValidationFailed):
        operations.merge_question(question, by=secretary)


def test_after_the_minutes_are_published_nothing_is_moderated(make_conference, organiser):
    conference = make_conference(status=ConferenceStatus.ANNOUNCED, announced_dt=datetime.now(UTC))
    question = receive(conference)
    conference.status = ConferenceStatus.PUBLISHED
    db.session.commit()
    with pytest.raises(operations.QuestionsClosed):
        operations.reject_question(question, "Hết giờ", by=organiser)


def test_the_queue_puts_questions_from_the_hall_first_then_the_oldest(running, announced):
    early = receive(running, "Gửi trước hội nghị")
    early.is_during_meeting = False
    early.created_dt = datetime.now(UTC) - timedelta(days=2)
    later_hall = receive(running, "Gửi trong hội nghị, sau")
    first_hall = receive(running, "Gửi trong hội nghị, trước")
    first_hall.created_dt = later_hall.created_dt - timedelta(minutes=5)
    hidden = receive(running, "Có liên hệ nhưng không đồng ý")
    hidden.contact, hidden.has_contact_consent = PHONE, False
    receive(announced, "Của hội nghị khác")
    db.session.commit()
    payload = operations.queue_payload(running)
    assert [q["id"] for q in payload] == [first_hall.id, later_hall.id, hidden.id, early.id]
    assert next(q for q in payload if q["id"] == hidden.id)["contact"] == ""
    assert [q["is_during_meeting"] for q in payload] == [True, True, True, False]


def test_who_may_moderate(running, make_user, other_ward, secretary):
    organiser = make_user(Role.ORGANISER)
    stranger = make_user(Role.SECRETARY)
    chair = make_user(Role.CHAIR)
    admin = make_user(Role.ADMINISTRATOR, ward=other_ward)
    foreign = make_user(Role.ORGANISER, ward=other_ward)
    assert operations.can_moderate(running, organiser)
    assert operations.can_moderate(running, secretary)
    assert operations.can_moderate(running, admin)
    assert not operations.can_moderate(running, stranger)
    assert not operations.can_moderate(running, chair)
    assert not operations.can_moderate(running, foreign)


# -- the public form ----------------------------------------------------------------------------


def test_the_form_offers_the_wards_groups_and_active_areas(client, announced, groups, ward):
    retired = ward.procedure_areas[-1]
    retired.is_active = False
    db.session.commit()
    response = client.get(ask_url(announced))
    assert response.status_code == 200
    page = response.text
    assert 'name="question"' in page and 'name="stamp"' in page
    assert "Tổ dân phố số 9" in page and "Not from a residential group" in page
    assert "I don&#39;t know" in page or "I don't know" in page
    assert f'value="{retired.id}"' not in page
    assert 'class="ask-trap"' in page and 'tabindex="-1"' in page
    assert 'name="viewport"' in page


def test_the_notice_invites_questions_while_they_are_taken(client, announced, running):
    for conference in (announced, running):
        page = client.get(f"/p/{conference.ward.slug}/hoi-nghi/{conference.id}").text
        assert f'href="{ask_url(conference)}"' in page
    running.status = ConferenceStatus.CLOSED
    db.session.commit()
    page = client.get(f"/p/{running.ward.slug}/hoi-nghi/{running.id}").text
    assert ask_url(running) not in page


def test_a_closed_or_draft_conference_has_no_form(client, make_conference, groups):
    closed = make_conference(status=ConferenceStatus.CLOSED, announced_dt=datetime.now(UTC))
    response = client.get(ask_url(closed))
    assert response.status_code == 200
    assert "no longer takes questions" in response.text
    assert 'name="question"' not in response.text
    # What was typed before it closed is shown back to be copied.
    response = client.post(ask_url(closed), data=form(closed, question="Câu hỏi muộn <b>"))
    assert response.status_code == 409
    assert "Câu hỏi muộn &lt;b&gt;" in response.text
    assert questions_of(closed) == []
    cancelled = make_conference(status=ConferenceStatus.CANCELLED, announced_dt=datetime.now(UTC))
    assert "cancelled" in client.get(ask_url(cancelled)).text
    draft = make_conference()
    assert client.get(ask_url(draft)).status_code == 404
    assert client.post(ask_url(draft), data=form(draft)).status_code == 404


def test_the_form_is_found_only_under_its_own_ward(client, announced, other_ward):
    assert (
        client.get(f"/p/{other_ward.slug}/hoi-nghi/{announced.id}/gui-cau-hoi").status_code == 404
    )


def test_sending_leads_to_the_private_page_with_its_link(client, announced, groups, area):
    response = client.post(
        ask_url(announced),
        data=form(
            announced,
            asker_name=NAME,
            residential_group_id=str(groups[0].id),
            procedure_area_id=str(area.id),
            contact=EMAIL,
            has_contact_consent="y",
        ),
    )
    assert response.status_code == 302
    [question] = questions_of(announced)
    assert question.residential_group == groups[0] and question.contact == EMAIL
    location = response.headers["Location"]
    assert f"/p/{announced.ward.slug}/cau-hoi/{question.follow_token}" in location
    page = client.get(location)
    assert page.status_code == 200
    text = visible_text(page.text)
    assert "your question has been sent" in text
    assert question.question in text
    assert f"/cau-hoi/{question.follow_token}" in page.text
    assert "Waiting for the secretaries" in text
    assert page.headers["X-Robots-Tag"].startswith("noindex")
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in page.headers["Cache-Control"]
    assert '<meta name="robots" content="noindex' in page.text
    # The private page is the sender's: still, it shows neither name nor contact.
    assert NAME not in page.text and EMAIL not in page.text


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"question": ""}, "Write your question."),
        ({"question": "Hỏi " * 600}, "the limit is 2,000"),
        ({"residential_group_id": "999999"}, "not one of the ward"),
        ({"residential_group_id": "abc"}, "not one of the ward"),
        ({"procedure_area_id": "-5"}, "not in the ward"),
        ({"contact": PHONE}, "Tick this box"),
        ({"contact": "liên hệ sau", "has_contact_consent": "y"}, "phone number"),
        ({"website": "http://spam.example"}, "was not sent"),
        ({"stamp": ""}, "could not be checked"),
        ({"stamp": "forged.stamp"}, "could not be checked"),
    ],
)
def test_bad_input_gets_a_message_in_place_and_keeps_what_was_typed(
    client, announced, fields, message
):
    data = form(announced, **{"asker_name": "Người hỏi <i>", "contact": "0987 654 321", **fields})
    data.setdefault("has_contact_consent", "y")
    if "contact" in fields and "has_contact_consent" not in fields:
        data.pop("has_contact_consent")
    response = client.post(ask_url(announced), data=data)
    assert response.status_code == 400
    page = response.text
    assert message in visible_text(page)
    assert html.escape(data["question"], quote=False) in page
    assert "Người hỏi &lt;i&gt;" in page
    assert f'value="{html.escape(data["contact"])}"' in page
    assert 'value="http://spam.example"' not in page
    assert questions_of(announced) == []


def test_a_question_pasted_and_sent_after_one_second_is_taken(client, announced):
    # QUESTION_FORM_MIN_SECONDS is 3 here: speed alone is no robot's mark.
    pasted = issue_stamp(announced.id, now=time.time() - 1)
    response = client.post(ask_url(announced), data=form(announced, stamp=pasted))
    assert response.status_code == 302
    assert [q.question for q in questions_of(announced)] == [form(announced)["question"]]
    instant = issue_stamp(announced.id)
    response = client.post(
        ask_url(announced), data=form(announced, stamp=instant, question="Dán và gửi ngay.")
    )
    assert response.status_code == 302
    assert len(questions_of(announced)) == 2


@pytest.mark.parametrize(
    "fields",
    [
        {"question": "Làm sổ đỏ nhanh, xem https://spam.example/so-do"},
        {"asker_name": "www.spam.example"},
    ],
)
def test_a_hasty_post_with_a_link_is_taken_for_a_robots(app, client, announced, fields):
    # A generous minimum: the stamp counts whole seconds and a loaded machine may take a few
    # seconds between giving the form out and the post; what is tested is the rule, not the clock.
    app.config["QUESTION_FORM_MIN_SECONDS"] = 120
    fresh = issue_stamp(announced.id)
    response = client.post(ask_url(announced), data=form(announced, stamp=fresh, **fields))
    assert response.status_code == 400
    assert "too quickly" in response.text
    assert questions_of(announced) == []
    # The stamp is kept: once a person would have had the time, the same form goes through,
    # link and all (a resident may cite a page).
    assert f'value="{fresh}"' in response.text
    later = issue_stamp(announced.id, now=time.time() - 125)
    response = client.post(ask_url(announced), data=form(announced, stamp=later, **fields))
    assert response.status_code == 302
    assert len(questions_of(announced)) == 1


def test_a_form_sent_too_late_or_for_another_conference_is_not_taken(client, announced):
    expired = issue_stamp(announced.id, now=time.time() - 2 * 24 * 3600)
    response = client.post(ask_url(announced), data=form(announced, stamp=expired))
    assert "more than a day ago" in response.text
    assert f'value="{expired}"' not in response.text
    other = issue_stamp(announced.id + 1, now=time.time() - 60)
    assert (
        "could not be checked"
        in client.post(ask_url(announced), data=form(announced, stamp=other)).text
    )
    assert questions_of(announced) == []


def test_markup_is_shown_as_text_everywhere(client, login, running, secretary):
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    response = client.post(
        ask_url(running),
        data=form(
            running,
            question=f"Hỏi {attack}",
            asker_name=attack,
            contact=EMAIL,
            has_contact_consent="y",
        ),
    )
    assert response.status_code == 302
    follow_page = client.get(response.headers["Location"]).text
    login(secretary)
    queue_page = client.get(queue_url(running)).text
    for page in (follow_page, queue_page):
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(" in page
    [question] = questions_of(running)
    assert question.question == f"Hỏi {attack}"


def test_a_double_click_sends_one_question(client, announced):
    data = form(announced)
    first = client.post(ask_url(announced), data=data)
    second = client.post(ask_url(announced), data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert len(questions_of(announced)) == 1
    assert [e.kind for e in events_of(announced)] == ["question.received"]


def test_two_copies_of_one_form_sent_at_once_make_one_question(app, announced):
    data = form(announced)
    url = ask_url(announced)
    answers = []
    barrier = threading.Barrier(2)

    def send():
        # A plain client: each request brings its own application context, as in a server.
        client = FlaskClient(app, app.response_class, use_cookies=True)
        barrier.wait()
        answers.append(client.post(url, data=data))

    threads = [threading.Thread(target=send) for _ in range(2)]
    db.session.commit()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [a.status_code for a in answers] == [302, 302]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    db.session.expire_all()
    assert len(questions_of(announced)) == 1


def test_the_same_question_from_another_form_is_refused(client, announced):
    assert client.post(ask_url(announced), data=form(announced)).status_code == 302
    response = client.post(ask_url(announced), data=form(announced))
    assert response.status_code == 400
    assert "a short while ago" in response.text
    assert len(questions_of(announced)) == 1


# -- the private page ---------------------------------------------------------------------------


def test_an_unknown_token_or_another_wards_address_is_not_found(client, announced, other_ward):
    question = receive(announced)
    assert client.get(f"/p/{announced.ward.slug}/cau-hoi/no-such-token").status_code == 404
    assert client.get(f"/p/{other_ward.slug}/cau-hoi/{question.follow_token}").status_code == 404
    assert client.get(f"/p/{announced.ward.slug}/cau-hoi/{'x' * 300}").status_code == 404


def test_the_private_page_tells_what_became_of_the_question(client, running, secretary, ward):
    unit = Unit(ward=ward, name="Công chức Địa chính - Xây dựng")
    db.session.add(unit)
    answered = receive(running, "Hỏi về cấp phép xây dựng?")
    referred = receive(running, "Hỏi về tranh chấp đất?")
    merged = receive(running, "Cấp phép xây dựng nhà ở riêng lẻ?")
    rejected = receive(running, "Quảng cáo")
    for question in (answered, referred):
        operations.accept_question(question, by=secretary)
    operations.merge_question(merged, into_question=answered, by=secretary)
    operations.reject_question(rejected, "Không phải câu hỏi về TTHC.", by=secretary)
    values = checked_turn_data(
        running,
        TurnData(
            question=answered.question,
            outcome=TurnOutcome.ANSWERED,
            answerer_name="Ông Nguyễn Văn A - Chủ tịch UBND phường",
            answer="Hồ sơ nộp tại Bộ phận Một cửa, giải quyết trong 15 ngày.",
        ),
    )
    for name, value in values.items():
        setattr(answered.turn, name, value)
    values = checked_turn_data(
        running,
        TurnData(
            question=referred.question, outcome=TurnOutcome.REFERRED, referral_unit_id=unit.id
        ),
    )
    for name, value in values.items():
        setattr(referred.turn, name, value)
    db.session.commit()

    def page(question):
        return visible_text(
            client.get(f"/p/{running.ward.slug}/cau-hoi/{question.follow_token}").text
        )

    text = page(answered)
    assert "Taken up at the conference as turn 1" in text
    assert "Answered on the spot" in text and "giải quyết trong 15 ngày" in text
    text = page(referred)
    assert "Referred for a written answer" in text and unit.name in text
    assert referred.turn.referral_due_date.strftime("%Y") in text
    text = page(merged)
    assert "together with a similar question, as turn 1" in text
    assert "giải quyết trong 15 ngày" in text
    text = page(rejected)
    assert "Not taken up" in text and "Không phải câu hỏi về TTHC." in text


def test_personal_data_stays_off_public_pages_and_public_events(client, running, secretary, groups):
    mine = receive(
        running,
        "Câu hỏi của tôi",
        asker_name=NAME,
        residential_group_id=groups[1].id,
        contact=PHONE,
        has_contact_consent=True,
    )
    other = receive(
        running,
        "Câu hỏi của người khác",
        asker_name="Người Khác",
        contact=EMAIL,
        has_contact_consent=True,
    )
    operations.accept_question(mine, by=secretary)
    operations.reject_question(other, "Trùng", by=secretary)
    db.session.commit()
    pages = [
        client.get(f"/p/{running.ward.slug}/cau-hoi/{other.follow_token}").text,
        client.get(f"/p/{running.ward.slug}/cau-hoi/{mine.follow_token}").text,
        client.get(f"/p/{running.ward.slug}/hoi-nghi/{running.id}").text,
        client.get(f"/p/{running.ward.slug}/").text,
        client.get(ask_url(running)).text,
    ]
    assert "Câu hỏi của tôi" not in pages[0]
    for page in pages:
        for private in (NAME, PHONE, "Người Khác", EMAIL):
            assert private not in page
    public = [event.public_payload for event in events_of(running) if event.public_payload]
    assert public, "the accepted turn is public"
    for payload in public:
        for private in (NAME, PHONE, "Người Khác", EMAIL):
            assert private not in str(payload)
    assert public[0]["turn"]["speaker"] == "Công dân tổ dân phố số 9"


# -- the moderation queue -----------------------------------------------------------------------


def test_the_queue_shows_waiting_questions_to_staff(client, login, running, secretary, groups):
    receive(running, "Câu hỏi chờ", asker_name=NAME, contact=PHONE, has_contact_consent=True)
    done = receive(running, "Câu hỏi đã xử lý")
    operations.reject_question(done, "Đã trả lời trong báo cáo", by=secretary)
    db.session.commit()
    login(secretary)
    page = client.get(queue_url(running)).text
    assert "Câu hỏi chờ" in page and NAME in page and PHONE in page
    assert "Đã trả lời trong báo cáo" in page  # under recent decisions
    answer = client.get(queue_url(running), headers={"Accept": "application/json"}).get_json()
    assert answer["ok"] and [q["question"] for q in answer["questions"]] == ["Câu hỏi chờ"]
    assert answer["recent"][0]["reject_reason"] == "Đã trả lời trong báo cáo"


def test_the_queue_is_for_moderators_of_the_ward(
    app, client, login, running, make_user, other_ward
):
    assert client.get(queue_url(running)).status_code == 302
    login(make_user(Role.CHAIR))
    assert client.get(queue_url(running)).status_code == 403
    foreign = app.test_client()
    foreign.post(
        "/auth/login",
        data={
            "username": make_user(Role.ORGANISER, ward=other_ward).username,
            "password": PASSWORD,
        },
    )
    assert foreign.get(queue_url(running)).status_code == 404


def test_accepting_through_the_queue_answers_json(client, login, running, secretary):
    question = receive(running)
    login(secretary)
    url = f"{queue_url(running)}{question.id}/accept"
    answer = client.post(url, headers={"Accept": "application/json"})
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["ok"] and body["question"]["status"] == "accepted"
    assert "turn 1" in body["message"]
    again = client.post(url, headers={"Accept": "application/json"})
    assert again.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Turn)) == 1


def test_decisions_refused_say_why(client, login, announced, organiser):
    question = receive(announced)
    login(organiser)
    base = f"{queue_url(announced)}{question.id}"
    json = {"Accept": "application/json"}
    answer = client.post(f"{base}/accept", headers=json)
    assert answer.status_code == 409 and "in progress" in answer.get_json()["message"]
    answer = client.post(f"{base}/reject", data={"reason": ""}, headers=json)
    assert answer.status_code == 400 and answer.get_json()["field"] == "reason"
    answer = client.post(f"{base}/merge", data={"target": "question:999999"}, headers=json)
    assert answer.status_code == 400 and answer.get_json()["field"] == "target"
    # Without the script: the queue comes back with the message and the reason as typed.
    long_reason = "Lý do <b>quá dài</b> " * 40
    page = client.post(f"{base}/reject", data={"reason": long_reason})
    assert page.status_code == 400
    assert html.escape(long_reason, quote=False) in page.text
    assert "At most 500 characters" in page.text
    assert db.session.get(ResidentQuestion, question.id).status is QuestionStatus.WAITING


def test_rejecting_and_merging_with_plain_forms_go_back_where_they_came_from(
    client, login, running, secretary
):
    first = receive(running, "Câu hỏi một")
    second = receive(running, "Câu hỏi hai")
    third = receive(running, "Câu hỏi ba")
    login(secretary)
    base = queue_url(running)
    answer = client.post(
        f"{base}{second.id}/merge", data={"target": f"question:{first.id}", "next": "/somewhere"}
    )
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/somewhere")
    answer = client.post(
        f"{base}{third.id}/reject", data={"reason": "Trùng", "next": "https://evil.example/"}
    )
    assert answer.status_code == 302 and answer.headers["Location"].endswith(base)
    db.session.expire_all()
    assert db.session.get(ResidentQuestion, second.id).merged_into_id == first.id
    assert db.session.get(ResidentQuestion, third.id).reject_reason == "Trùng"


def test_only_the_conferences_secretaries_decide(client, login, running, make_user):
    question = receive(running)
    login(make_user(Role.SECRETARY))
    answer = client.post(f"{queue_url(running)}{question.id}/accept")
    assert answer.status_code == 403
    answer = client.post(
        f"{queue_url(running)}{question.id}/accept", headers={"Accept": "application/json"}
    )
    assert answer.status_code == 403 and answer.get_json()["ok"] is False
    assert db.session.get(ResidentQuestion, question.id).status is QuestionStatus.WAITING


def test_a_question_of_another_conference_is_not_found_here(
    client, login, running, announced, organiser
):
    question = receive(announced)
    login(organiser)
    assert client.post(f"{queue_url(running)}{question.id}/accept").status_code == 404


def test_the_console_panel_lists_the_queue_with_its_actions(app, client, login, running, secretary):
    receive(running, "Câu hỏi trong hàng đợi", asker_name=NAME)
    log_turn(running, TurnData(question="Lượt đã ghi"), by=secretary)
    db.session.commit()
    login(secretary)
    page = client.get(queue_url(running)).text
    panel = re.search(r'<section class="moderation".*?</section>', page, re.S).group(0)
    assert 'id="mq-item-template"' in panel
    assert "/accept" in panel and "/merge" in panel and "/reject" in panel
    assert "turn:" in panel and "Lượt đã ghi" in panel
    initial = json.loads(html.unescape(re.search(r"data-initial='([^']*)'", panel).group(1)))
    assert [q["question"] for q in initial["questions"]] == ["Câu hỏi trong hàng đợi"]
    assert initial["turns"][0]["question"] == "Lượt đã ghi"
    assert "moderation.js" in page


# -- rate limits and CSRF -----------------------------------------------------------------------


@pytest.fixture
def limited(app_config):
    app_config["RATELIMIT_ENABLED"] = True
    app_config["RATELIMIT_QUESTIONS"] = "3 per minute"
    return app_config


def test_a_flood_from_one_address_is_stopped_with_the_form_kept(limited, app, announced):
    client = app.test_client()
    for n in range(3):
        assert (
            client.post(ask_url(announced), data=form(announced, question=f"Câu {n}")).status_code
            == 302
        )
    response = client.post(
        ask_url(announced), data=form(announced, question="Câu thứ tư <vẫn giữ>")
    )
    assert response.status_code == 429
    assert "Câu thứ tư &lt;vẫn giữ&gt;" in response.text
    assert "Too many questions" in response.text
    assert 'name="stamp"' in response.text
    # Reading is not limited, and another address may still send.
    assert client.get(ask_url(announced)).status_code == 200
    other = app.test_client()
    answer = other.post(
        ask_url(announced),
        data=form(announced, question="Từ địa chỉ khác"),
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert answer.status_code == 302
    assert len(questions_of(announced)) == 4


@pytest.fixture
def with_csrf(app_config):
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def test_the_panels_script_sends_its_token_in_a_header(with_csrf, app, running, secretary):
    question = receive(running)
    client = app.test_client()
    login_page = client.get("/auth/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page).group(1)
    client.post(
        "/auth/login",
        data={"username": secretary.username, "password": PASSWORD, "csrf_token": token},
    )
    page = client.get(queue_url(running)).text
    header_token = re.search(r'data-csrf="([^"]+)"', page).group(1)
    url = f"{queue_url(running)}{question.id}/accept"
    assert client.post(url, headers={"Accept": "application/json"}).status_code == 400
    answer = client.post(url, headers={"Accept": "application/json", "X-CSRFToken": header_token})
    assert answer.status_code == 200 and answer.get_json()["ok"]
    # The public form has its token too.
    ask_page = app.test_client().get(ask_url(running)).text
    assert 'name="csrf_token"' in ask_page


def test_the_audit_log_keeps_no_senders_name_or_contact(announced):
    from dialogue.audit.models import AuditEvent

    receive(announced, asker_name=NAME, contact=PHONE, has_contact_consent=True)
    logged = " ".join(str(event.changes) for event in db.session.scalars(sa.select(AuditEvent)))
    assert "resident_questions" in " ".join(
        event.entity_type for event in db.session.scalars(sa.select(AuditEvent))
    )
    assert NAME not in logged and PHONE not in logged
