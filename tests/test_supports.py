"""Supporting residents' questions before the meeting: shown by a moderator, "Tôi cũng quan tâm"
once per device, the public list, the queue sorted by support, and the abuse cases."""

from __future__ import annotations

import html
import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from dialogue.audit.models import AuditEvent
from dialogue.auth.models import Role
from dialogue.conferences.models import ConferenceStatus
from dialogue.extensions import db
from dialogue.feedback import support as supports
from dialogue.feedback.device import COOKIE_NAME
from dialogue.feedback.models import QuestionSupport
from dialogue.live.models import LiveEvent
from dialogue.questions import operations
from dialogue.questions.models import ResidentQuestion
from dialogue.questions.operations import QuestionData
from dialogue.wards.models import ResidentialGroup
from tests.conftest import PASSWORD

NAME = "Phạm Thị Riêng Tư"
PHONE = "0912 345 678"
EMAIL = "rieng.tu@example.org"


@pytest.fixture
def app_config(app_config):
    # Messages are checked in English here; the Vietnamese catalogue has tests of its own.
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


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


def receive(conference, text="Xin hỏi về thủ tục đăng ký khai sinh?", **fields):
    received = operations.receive_question(conference, QuestionData(question=text, **fields))
    db.session.commit()
    return received.question


def shown(conference, text, by, **fields) -> ResidentQuestion:
    question = receive(conference, text, **fields)
    operations.show_question(question, by=by)
    db.session.commit()
    return question


def device(n: int) -> str:
    return f"{n:064x}"


def list_url(conference) -> str:
    return f"/p/{conference.ward.slug}/hoi-nghi/{conference.id}/cau-hoi"


def support_url(conference, question) -> str:
    return f"{list_url(conference)}/{question.id}/quan-tam"


def queue_url(conference) -> str:
    return f"/conferences/{conference.id}/questions/"


def visible_text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def listed_order(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'class="sp-item[^"]*" id="cau-hoi-(\d+)"', page)]


def support_rows(question) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(QuestionSupport)
        .where(QuestionSupport.question_id == question.id)
    )


def count_of(question) -> int:
    db.session.expire_all()
    return db.session.get(ResidentQuestion, question.id).support_count


# -- showing and hiding: operations -------------------------------------------------------------


def test_a_moderator_shows_a_waiting_question_and_staff_screens_are_told(announced, organiser):
    question = receive(announced)
    assert not question.is_shown_publicly and question.shown_dt is None
    operations.show_question(question, by=organiser)
    db.session.commit()
    assert question.is_shown_publicly and question.shown_dt is not None
    first_shown = question.shown_dt
    # Showing twice is harmless.
    operations.show_question(question, by=organiser)
    db.session.commit()
    assert question.shown_dt == first_shown
    events = list(
        db.session.scalars(
            sa.select(LiveEvent)
            .where(LiveEvent.conference_id == announced.id)
            .order_by(LiveEvent.sequence)
        )
    )
    assert [e.kind for e in events] == ["question.received", "question.moderated"]
    assert events[-1].staff_payload["question"]["is_shown_publicly"] is True
    assert events[-1].public_payload is None
    operations.hide_question(question, by=organiser)
    db.session.commit()
    assert not question.is_shown_publicly


def test_showing_and_hiding_are_audited_without_the_sender(announced, organiser):
    question = receive(announced, asker_name=NAME, contact=PHONE, has_contact_consent=True)
    operations.show_question(question, by=organiser)
    operations.hide_question(question, by=organiser)
    db.session.commit()
    changes = [
        event.changes
        for event in db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.entity_type == "resident_questions",
                AuditEvent.entity_id == question.id,
            )
        )
    ]
    assert any("is_shown_publicly" in str(change) for change in changes)
    assert NAME not in str(changes) and PHONE not in str(changes)


def test_only_waiting_questions_of_an_open_conference_are_shown(
    make_conference, running, organiser, make_user
):
    secretary = make_user(Role.SECRETARY)
    running.secretaries.append(secretary)
    rejected = receive(running, "Không thuộc TTHC")
    operations.reject_question(rejected, "Không thuộc TTHC", by=secretary)
    db.session.commit()
    with pytest.raises(operations.AlreadyModerated):
        operations.show_question(rejected, by=secretary)
    db.session.rollback()
    closed = make_conference(status=ConferenceStatus.ANNOUNCED, announced_dt=datetime.now(UTC))
    late = receive(closed)
    closed.status = ConferenceStatus.CLOSED
    db.session.commit()
    with pytest.raises(operations.QuestionsClosed):
        operations.show_question(late, by=organiser)
    db.session.rollback()
    # Hiding is always possible: it only takes something off a public page.
    late.is_shown_publicly = True
    db.session.commit()
    operations.hide_question(late, by=organiser)
    db.session.commit()
    assert not late.is_shown_publicly


# -- supporting: operations ---------------------------------------------------------------------


def test_one_support_per_device_and_withdrawing(announced, organiser):
    question = shown(announced, "Câu hỏi được quan tâm", organiser)
    first = supports.support_question(question, device(1))
    db.session.commit()
    assert first == supports.Supported(question.id, is_supported=True, changed=True, count=1)
    again = supports.support_question(question, device(1))
    db.session.commit()
    assert again == supports.Supported(question.id, is_supported=True, changed=False, count=1)
    supports.support_question(question, device(2))
    db.session.commit()
    assert count_of(question) == 2 == support_rows(question)
    assert supports.supported_by(announced, device(1)) == [question.id]
    assert supports.supported_by(announced, device(3)) == []
    assert supports.supported_by(announced, None) == []
    withdrawn = supports.withdraw_support(question, device(1))
    db.session.commit()
    assert withdrawn == supports.Supported(question.id, is_supported=False, changed=True, count=1)
    twice = supports.withdraw_support(question, device(1))
    db.session.commit()
    assert not twice.changed and twice.count == 1
    assert count_of(question) == 1 == support_rows(question)


def test_a_question_taken_up_or_a_conference_over_takes_no_support(
    make_conference, running, organiser
):
    question = shown(running, "Đã thành lượt phát biểu", organiser)
    supports.support_question(question, device(1))
    operations.accept_question(question, by=organiser)
    db.session.commit()
    with pytest.raises(supports.NotSupportable):
        supports.support_question(question, device(2))
    db.session.rollback()
    # The device may still take back what it gave.
    assert supports.withdraw_support(question, device(1)).changed
    db.session.commit()
    later = make_conference(status=ConferenceStatus.ANNOUNCED, announced_dt=datetime.now(UTC))
    waiting = shown(later, "Hội nghị đã bế mạc", organiser)
    later.status = ConferenceStatus.CLOSED
    db.session.commit()
    with pytest.raises(supports.SupportsClosed):
        supports.support_question(waiting, device(1))


def test_the_public_list_puts_the_most_supported_first_then_the_oldest(
    running, organiser, groups, area
):
    oldest = shown(running, "Câu hỏi cũ nhất", organiser)
    oldest.created_dt = datetime.now(UTC) - timedelta(days=3)
    newer = shown(running, "Câu hỏi mới hơn", organiser, residential_group_id=groups[1].id)
    popular = shown(running, "Câu hỏi nhiều người quan tâm", organiser, procedure_area_id=area.id)
    receive(running, "Câu hỏi chưa cho hiển thị")
    turned_down = shown(running, "Câu hỏi bị từ chối", organiser)
    taken = shown(running, "Câu hỏi đã thành lượt", organiser)
    db.session.commit()
    for n in range(3):
        supports.support_question(popular, device(n))
    supports.support_question(taken, device(9))
    db.session.commit()
    operations.reject_question(turned_down, "Trùng nội dung", by=organiser)
    operations.accept_question(taken, by=organiser)
    db.session.commit()
    listed = supports.public_list(running, locale="vi")
    assert [q.id for q in listed] == [popular.id, taken.id, oldest.id, newer.id]
    by_id = {q.id: q for q in listed}
    assert by_id[popular.id].count == 3 and by_id[popular.id].area == area.name_vi
    assert by_id[newer.id].group == "Tổ dân phố số 9"
    assert by_id[taken.id].is_taken_up and not by_id[taken.id].is_waiting
    assert by_id[oldest.id].is_waiting and not by_id[oldest.id].is_taken_up
    assert supports.support_counts(running) == {q.id: q.count for q in listed}


def test_a_question_merged_with_one_turned_down_leaves_the_list(announced, organiser):
    kept = shown(announced, "Câu hỏi gốc", organiser)
    merged = shown(announced, "Câu hỏi giống câu gốc", organiser)
    operations.merge_question(merged, into_question=kept, by=organiser)
    db.session.commit()
    [first, second] = supports.public_list(announced, locale="vi")
    assert second.id == merged.id and second.is_merged and not second.is_taken_up
    operations.reject_question(kept, "Không thuộc thẩm quyền", by=organiser)
    db.session.commit()
    assert supports.public_list(announced, locale="vi") == []
    assert not supports.is_listed(merged)


def test_the_queue_puts_the_most_supported_first(running, organiser):
    early = receive(running, "Gửi trước, ít người quan tâm")
    early.created_dt = datetime.now(UTC) - timedelta(days=2)
    later = shown(running, "Gửi sau, nhiều người quan tâm", organiser)
    hall = receive(running, "Gửi trong hội trường")
    db.session.commit()
    supports.support_question(later, device(1))
    supports.support_question(later, device(2))
    db.session.commit()
    payload = operations.queue_payload(running)
    assert [q["id"] for q in payload] == [later.id, early.id, hall.id]
    assert payload[0]["support_count"] == 2 and payload[0]["is_shown_publicly"]
    assert payload[1]["support_count"] == 0 and not payload[1]["is_shown_publicly"]


def test_supports_from_many_devices_at_once_all_count(app, announced, organiser):
    question = shown(announced, "Nhiều người bấm cùng lúc", organiser)
    url = support_url(announced, question)
    phones = 8
    barrier = threading.Barrier(phones * 2)
    answers = []

    def press(client):
        barrier.wait()
        answers.append(client.post(url, headers={"Accept": "application/json"}))

    clients = [FlaskClient(app, app.response_class, use_cookies=True) for _ in range(phones)]
    # Each phone gets its mark first, then presses twice at the same moment (two tabs).
    for client in clients:
        client.get(f"{list_url(announced)}/da-quan-tam")
        client.post(url, data={"intent": "withdraw"}, headers={"Accept": "application/json"})
    threads = [threading.Thread(target=press, args=(c,)) for c in clients for _ in range(2)]
    db.session.commit()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(a.status_code for a in answers) == [200] * (phones * 2)
    assert sum(a.get_json()["changed"] for a in answers) == phones
    assert count_of(question) == phones == support_rows(question)


def test_withdrawals_at_once_from_one_device_count_once(app, announced, organiser):
    question = shown(announced, "Bỏ quan tâm cùng lúc", organiser)
    client = FlaskClient(app, app.response_class, use_cookies=True)
    url = support_url(announced, question)
    assert client.post(url, headers={"Accept": "application/json"}).get_json()["count"] == 1
    supports.support_question(question, device(7))
    db.session.commit()
    barrier = threading.Barrier(4)
    answers = []

    def withdraw():
        barrier.wait()
        answers.append(
            client.post(url, data={"intent": "withdraw"}, headers={"Accept": "application/json"})
        )

    threads = [threading.Thread(target=withdraw) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [a.status_code for a in answers] == [200] * 4
    assert sum(a.get_json()["changed"] for a in answers) == 1
    assert count_of(question) == 1 == support_rows(question)


# -- the public list: views ---------------------------------------------------------------------


def test_the_list_shows_text_group_and_area_never_the_sender(
    client, announced, organiser, groups, area
):
    question = shown(
        announced,
        "Thủ tục chuyển hộ khẩu <b>mất bao lâu</b>?",
        organiser,
        asker_name=NAME,
        contact=PHONE,
        has_contact_consent=True,
        residential_group_id=groups[0].id,
        procedure_area_id=area.id,
    )
    other = shown(
        announced,
        "Câu hỏi khác",
        organiser,
        asker_name="Người Khác",
        contact=EMAIL,
        has_contact_consent=True,
    )
    receive(announced, "Câu hỏi chưa hiển thị")
    supports.support_question(other, device(1))
    db.session.commit()
    response = client.get(list_url(announced))
    assert response.status_code == 200
    page = response.text
    text = visible_text(page)
    assert listed_order(page) == [other.id, question.id]
    assert "Thủ tục chuyển hộ khẩu &lt;b&gt;mất bao lâu&lt;/b&gt;?" in page
    assert "Tổ dân phố số 5" in text and area.name_for("en") in text
    assert "1 person interested" in text and "0 people interested" in text
    assert "Câu hỏi chưa hiển thị" not in text
    for private in (NAME, PHONE, "Người Khác", EMAIL):
        assert private not in page
    # The same page for every visitor: no token, no mark set for a reader.
    assert "csrf" not in page.lower()
    assert COOKIE_NAME not in response.headers.get("Set-Cookie", "")
    assert "supports.js" in page and "<script>" not in page
    mine = client.get(f"{list_url(announced)}/da-quan-tam")
    assert mine.headers["Cache-Control"] == "no-store"
    assert mine.get_json() == {
        "open": True,
        "supported": [],
        "counts": {str(other.id): 1, str(question.id): 0},
    }
    for private in (NAME, PHONE, "Người Khác", EMAIL):
        assert private not in mine.text


def test_a_press_without_a_script_comes_back_with_a_message(client, announced, organiser):
    question = shown(announced, "Bấm không cần JavaScript", organiser)
    url = support_url(announced, question)
    answer = client.post(url, data={"intent": "support"})
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"{list_url(announced)}#cau-hoi-{question.id}")
    assert COOKIE_NAME in answer.headers["Set-Cookie"]
    page = client.get(list_url(announced)).text
    assert "Your interest has been noted." in page and "1 person interested" in page
    assert 'class="sp-offer"' not in page
    # Pressed again from the same phone: counted once, and the way to withdraw is offered.
    assert client.post(url).status_code == 302
    page = client.get(list_url(announced)).text
    assert "You are already interested in this question." in page
    assert "1 person interested" in page and 'class="sp-offer"' in page
    assert 'class="sp-offer"' not in client.get(list_url(announced)).text
    client.post(url, data={"intent": "withdraw"})
    page = client.get(list_url(announced)).text
    assert "You are no longer listed as interested" in page and "0 people interested" in page
    assert count_of(question) == 0 == support_rows(question)


def test_a_press_from_the_script_answers_json_and_marks_the_phone(client, announced, organiser):
    question = shown(announced, "Bấm bằng JavaScript", organiser)
    answer = client.post(support_url(announced, question), headers={"Accept": "application/json"})
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    body = answer.get_json()
    assert body["ok"] and body["supported"] and body["changed"] and body["count"] == 1
    assert body["count_text"] == "1 person interested"
    assert body["message"] == "Your interest has been noted."
    mine = client.get(f"{list_url(announced)}/da-quan-tam").get_json()
    assert mine["supported"] == [question.id] and mine["counts"] == {str(question.id): 1}
    again = client.post(
        support_url(announced, question), headers={"Accept": "application/json"}
    ).get_json()
    assert again["ok"] and not again["changed"] and again["count"] == 1
    assert again["message"] == "You are already interested in this question."


def test_the_list_and_the_form_are_linked_from_the_notice(client, announced, organiser):
    notice = client.get(f"/p/{announced.ward.slug}/hoi-nghi/{announced.id}").text
    assert list_url(announced) in notice
    ask = client.get(f"/p/{announced.ward.slug}/hoi-nghi/{announced.id}/gui-cau-hoi").text
    assert list_url(announced) in ask and "without your name" in ask


def test_the_sender_sees_that_the_question_is_listed_and_its_count(client, announced, organiser):
    question = shown(announced, "Câu hỏi của người gửi", organiser)
    for n in range(3):
        supports.support_question(question, device(n))
    db.session.commit()
    page = visible_text(
        client.get(f"/p/{announced.ward.slug}/cau-hoi/{question.follow_token}").text
    )
    assert "on the public list, without your name. 3 people interested" in page
    operations.hide_question(question, by=organiser)
    db.session.commit()
    page = visible_text(
        client.get(f"/p/{announced.ward.slug}/cau-hoi/{question.follow_token}").text
    )
    assert "public list" not in page


def test_a_list_with_nothing_shown_says_so(client, announced):
    receive(announced, "Chưa ai cho hiển thị")
    page = visible_text(client.get(list_url(announced)).text)
    assert "No question is on the list yet" in page and "Chưa ai cho hiển thị" not in page


@pytest.mark.parametrize("status", [ConferenceStatus.CLOSED, ConferenceStatus.PUBLISHED])
def test_after_the_conference_the_list_is_closed(client, running, organiser, status):
    question = shown(running, "Hỏi trước khi bế mạc", organiser)
    running.status = status
    db.session.commit()
    response = client.get(list_url(running))
    assert response.status_code == 200
    text = visible_text(response.text)
    assert "This conference is over" in text and "Hỏi trước khi bế mạc" not in text
    answer = client.post(support_url(running, question))
    assert answer.status_code == 409
    assert "can no longer be supported" in visible_text(answer.text)
    assert support_rows(question) == 0
    assert client.get(f"{list_url(running)}/da-quan-tam").get_json() == {
        "open": False,
        "supported": [],
        "counts": {},
    }


# -- bad input and abuse ------------------------------------------------------------------------


def test_a_draft_or_another_wards_conference_has_no_list(
    client, make_conference, announced, organiser, other_ward
):
    draft = make_conference()
    assert client.get(list_url(draft)).status_code == 404
    question = shown(announced, "Câu hỏi của phường này", organiser)
    foreign = f"/p/{other_ward.slug}/hoi-nghi/{announced.id}/cau-hoi"
    assert client.get(foreign).status_code == 404
    assert client.post(f"{foreign}/{question.id}/quan-tam").status_code == 404
    assert client.get(f"{foreign}/da-quan-tam").status_code == 404
    assert support_rows(question) == 0


def test_questions_not_listed_here_cannot_be_supported(
    client, make_conference, announced, organiser
):
    hidden = receive(announced, "Chưa cho hiển thị")
    rejected = shown(announced, "Đã bị từ chối", organiser)
    operations.reject_question(rejected, "Không thuộc TTHC", by=organiser)
    elsewhere = make_conference(status=ConferenceStatus.ANNOUNCED, announced_dt=datetime.now(UTC))
    of_other_conference = shown(elsewhere, "Của hội nghị khác", organiser)
    db.session.commit()
    for question in (hidden, rejected, of_other_conference):
        answer = client.post(support_url(announced, question))
        assert answer.status_code == 404
        assert "not on the public list" in visible_text(answer.text)
        json_answer = client.post(
            support_url(announced, question), headers={"Accept": "application/json"}
        )
        assert json_answer.status_code == 404 and not json_answer.get_json()["ok"]
    assert client.post(f"{list_url(announced)}/999999/quan-tam").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QuestionSupport)) == 0


def test_a_question_taken_up_is_refused_clearly(client, running, organiser):
    question = shown(running, "Đã đưa vào hội nghị", organiser)
    operations.accept_question(question, by=organiser)
    db.session.commit()
    page = client.get(list_url(running)).text
    assert "Taken up at the conference" in page and 'class="sp-form"' not in page
    answer = client.post(support_url(running, question), headers={"Accept": "application/json"})
    assert answer.status_code == 409
    assert "already been taken up" in answer.get_json()["message"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
    ],
)
def test_a_press_from_another_site_is_refused(client, announced, organiser, headers):
    question = shown(announced, "Bị trang khác giả mạo", organiser)
    answer = client.post(support_url(announced, question), headers=headers)
    assert answer.status_code == 403
    assert "came from another website" in visible_text(answer.text)
    assert support_rows(question) == 0
    # From the ward's own site it counts.
    same = client.post(support_url(announced, question), headers={"Origin": "http://localhost"})
    assert same.status_code == 302 and support_rows(question) == 1


def test_a_forged_mark_is_refused_and_renewed(client, announced, organiser):
    question = shown(announced, "Dấu thiết bị giả", organiser)
    client.set_cookie(COOKIE_NAME, "made-up.signature", domain="localhost")
    answer = client.post(support_url(announced, question), headers={"Accept": "application/json"})
    assert answer.status_code == 400
    assert "could not be checked" in answer.get_json()["message"]
    assert support_rows(question) == 0
    renewed = answer.headers["Set-Cookie"]
    assert COOKIE_NAME in renewed and "made-up.signature" not in renewed
    # Pressing again, with the renewed mark, counts.
    again = client.post(support_url(announced, question), headers={"Accept": "application/json"})
    assert again.status_code == 200 and again.get_json()["count"] == 1


def test_an_unknown_action_is_refused(client, announced, organiser):
    question = shown(announced, "Hành động lạ", organiser)
    answer = client.post(support_url(announced, question), data={"intent": "support-twice"})
    assert answer.status_code == 400
    assert support_rows(question) == 0


@pytest.fixture
def limited(app_config):
    app_config["RATELIMIT_ENABLED"] = True
    app_config["RATELIMIT_FEEDBACK_DEVICE"] = "3 per minute"
    return app_config


def test_a_flood_from_one_phone_is_stopped_with_a_message_in_place(
    limited, app, announced, organiser
):
    question = shown(announced, "Bị bấm liên tục", organiser)
    phone = app.test_client()
    url = support_url(announced, question)
    # The first press is counted against the address (the phone has no mark yet), the next
    # three against the phone's mark.
    for action in ("support", "withdraw", "support", "withdraw"):
        assert phone.post(url, data={"intent": action}).status_code == 302
    answer = phone.post(url, data={"intent": "support"})
    assert answer.status_code == 429
    text = visible_text(answer.text)
    assert "Too many presses" in text and "Bị bấm liên tục" in text
    json_answer = phone.post(url, headers={"Accept": "application/json"})
    assert json_answer.status_code == 429
    assert "Too many presses" in json_answer.get_json()["message"]
    # Nothing refused was counted; reading is not limited; another phone may press.
    assert count_of(question) == 0
    assert phone.get(list_url(announced)).status_code == 200
    other = app.test_client()
    assert other.post(url, environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 302
    assert count_of(question) == 1


@pytest.fixture
def few_new_devices(app_config):
    app_config["RATELIMIT_ENABLED"] = True
    app_config["RATELIMIT_NEW_DEVICES"] = "2 per hour"
    return app_config


def test_a_script_that_throws_its_mark_away_is_stopped(few_new_devices, app, announced, organiser):
    question = shown(announced, "Bấm rồi xóa cookie", organiser)
    url = support_url(announced, question)
    keeper = app.test_client()
    assert keeper.post(url).status_code == 302
    assert app.test_client().post(url).status_code == 302
    answer = app.test_client().post(url, headers={"Accept": "application/json"})
    assert answer.status_code == 429 and "Too many presses" in answer.get_json()["message"]
    assert count_of(question) == 2
    # A phone that kept its mark is no new device: it may still change its mind.
    assert keeper.post(url, data={"intent": "withdraw"}).status_code == 302
    assert count_of(question) == 1


# -- the moderation queue: views ----------------------------------------------------------------


def test_the_queue_shows_counts_and_shows_or_hides(client, login, announced, organiser):
    quiet = receive(announced, "Câu hỏi ít người quan tâm")
    loud = shown(announced, "Câu hỏi nhiều người quan tâm", organiser)
    for n in range(12):
        supports.support_question(loud, device(n))
    db.session.commit()
    login(organiser)
    page = client.get(queue_url(announced)).text
    assert page.index("Câu hỏi nhiều người quan tâm") < page.index("Câu hỏi ít người quan tâm")
    assert "12 people interested" in page and "On the public list" in page
    assert f"/{quiet.id}/show" in page and f"/{loud.id}/hide" in page
    assert list_url(announced) in page
    answer = client.post(
        f"{queue_url(announced)}{quiet.id}/show", headers={"Accept": "application/json"}
    )
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["ok"] and body["question"]["is_shown_publicly"]
    assert "without its sender" in body["message"]
    # Without a script: a plain form, back to the queue with a message.
    answer = client.post(
        f"{queue_url(announced)}{loud.id}/hide", data={"next": queue_url(announced)}
    )
    assert answer.status_code == 302
    assert "no longer on the public list" in client.get(queue_url(announced)).text
    db.session.expire_all()
    assert db.session.get(ResidentQuestion, quiet.id).is_shown_publicly
    assert not db.session.get(ResidentQuestion, loud.id).is_shown_publicly
    assert listed_order(client.get(list_url(announced)).text) == [quiet.id]


def test_showing_is_for_the_conferences_moderators(
    app, client, login, running, make_user, other_ward
):
    question = receive(running)
    url = f"{queue_url(running)}{question.id}/show"
    assert client.post(url).status_code == 302  # to the sign-in page
    login(make_user(Role.SECRETARY))  # a secretary of another conference
    assert client.post(url, headers={"Accept": "application/json"}).status_code == 403
    foreign = app.test_client()
    foreign.post(
        "/auth/login",
        data={
            "username": make_user(Role.ORGANISER, ward=other_ward).username,
            "password": PASSWORD,
        },
    )
    assert foreign.post(url).status_code == 404
    db.session.expire_all()
    assert not db.session.get(ResidentQuestion, question.id).is_shown_publicly


def test_showing_a_question_already_decided_says_why(client, login, running, organiser):
    question = receive(running, "Đã từ chối rồi")
    operations.reject_question(question, "Trùng", by=organiser)
    db.session.commit()
    login(organiser)
    answer = client.post(
        f"{queue_url(running)}{question.id}/show", headers={"Accept": "application/json"}
    )
    assert answer.status_code == 409
    assert "already been moderated" in answer.get_json()["message"]


@pytest.fixture
def with_csrf(app_config):
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def test_the_public_press_needs_no_token_the_staff_show_does(with_csrf, app, announced, organiser):
    question = receive(announced, "Kiểm tra mã CSRF")
    staff = app.test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', staff.get("/auth/login").text)
    staff.post(
        "/auth/login",
        data={"username": organiser.username, "password": PASSWORD, "csrf_token": token.group(1)},
    )
    url = f"{queue_url(announced)}{question.id}/show"
    assert staff.post(url, headers={"Accept": "application/json"}).status_code == 400
    header_token = re.search(r'data-csrf="([^"]+)"', staff.get(queue_url(announced)).text).group(1)
    answer = staff.post(url, headers={"Accept": "application/json", "X-CSRFToken": header_token})
    assert answer.status_code == 200
    phone = app.test_client()
    assert phone.post(support_url(announced, question)).status_code == 302
    assert support_rows(question) == 1
