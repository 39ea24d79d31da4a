"""Residents rate the answers: one rating per answer and device, changeable; refused where there
is no answer to rate; counted as offices count satisfaction; shown to the public only once the
results are published and only above the ward's minimum; the staff's results; the pages."""

from __future__ import annotations

import html
import re
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from dialogue.auth.models import Role
from dialogue.conferences.models import ConferenceStatus
from dialogue.core.database import begin_immediately
from dialogue.documents.models import DocumentType
from dialogue.errors import ValidationFailed
from dialogue.extensions import db
from dialogue.feedback import ratings
from dialogue.feedback.device import COOKIE_NAME, asker_key, key_of
from dialogue.feedback.models import MAX_COMMENT_LENGTH, AnswerKind, AnswerRating, RatingLevel
from dialogue.followup.models import AnswerStatus, WrittenAnswer
from dialogue.live.models import Turn, TurnOutcome
from dialogue.questions.models import QuestionStatus, ResidentQuestion
from dialogue.wards.models import Unit
from tests.test_archive import page_text, publish
from tests.test_followup_public import answer, refer

VERY = RatingLevel.VERY_SATISFIED
SATISFIED = RatingLevel.SATISFIED
NOT = RatingLevel.DISSATISFIED
SPOKEN = AnswerKind.SPOKEN
WRITTEN = AnswerKind.WRITTEN
JSON = {"Accept": "application/json"}
# 30/6/2020 8:00 in Hà Nội.
START = datetime(2020, 6, 30, 1, 0, tzinfo=UTC)


@pytest.fixture
def app_config(app_config):
    # Messages are checked in English here, and the Vietnamese where it is the point.
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


def _turn(conference, position, question, **values) -> Turn:
    turn = Turn(conference=conference, position=position, question=question, **values)
    db.session.add(turn)
    db.session.commit()
    return turn


def spoken(conference, position, question="Thủ tục khai sinh cần giấy tờ gì?", **values) -> Turn:
    values = {
        "outcome": TurnOutcome.ANSWERED,
        "answerer_name": "Ông Nguyễn Văn A - Chủ tịch UBND phường",
        "answer": "Cần tờ khai và giấy chứng sinh.",
        **values,
    }
    return _turn(conference, position, question, **values)


@pytest.fixture
def unit(ward):
    made = Unit(ward=ward, name="Công chức Địa chính - Xây dựng")
    db.session.add(made)
    db.session.commit()
    return made


@pytest.fixture
def held(make_conference):
    """The conference of 30/6/2020, closed: an answer given on the spot (turn 1), a withdrawn
    one (turn 2), one not yet answered (turn 3)."""
    conference = make_conference(
        title="Hội nghị đối thoại 6 tháng đầu năm 2020",
        start_dt=START,
        planned_end_dt=START + timedelta(hours=3),
        status=ConferenceStatus.CLOSED,
        announced_dt=START - timedelta(days=10),
    )
    spoken(conference, 1)
    spoken(conference, 2, "Lượt đã rút", withdrawn_dt=START)
    _turn(conference, 3, "Câu hỏi chưa được trả lời")
    return conference


def turns_of(conference) -> list[Turn]:
    return list(
        db.session.scalars(
            sa.select(Turn).where(Turn.conference_id == conference.id).order_by(Turn.position)
        )
    )


@pytest.fixture
def referred(held, unit):
    """Turn 4 of the conference, referred for a written answer (not yet published)."""
    return refer(
        held,
        "Đề nghị hướng dẫn thủ tục cấp giấy chứng nhận quyền sử dụng đất.",
        position=4,
        unit=unit,
        due=date(2020, 7, 10),
    )


def all_ratings() -> list[AnswerRating]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AnswerRating).order_by(AnswerRating.id)))


def rate_url(turn) -> str:
    conference = turn.conference
    return f"/p/{conference.ward.slug}/hoi-nghi/{conference.id}/luot/{turn.id}/danh-gia"


def mine_url(conference) -> str:
    return f"/p/{conference.ward.slug}/hoi-nghi/{conference.id}/danh-gia-cua-toi.json"


def device_cookie(client) -> str | None:
    cookie = client.get_cookie(COOKIE_NAME)
    return cookie.value if cookie else None


def publish_results(conference) -> None:
    conference.status = ConferenceStatus.PUBLISHED
    db.session.commit()


# -- the operation -----------------------------------------------------------------------------


def test_one_rating_per_answer_and_device_which_it_may_change(held):
    turn = turns_of(held)[0]
    first = ratings.rate_answer(turn, SPOKEN, SATISFIED, "", "device-a")
    db.session.commit()
    assert first.created and first.changed
    again = ratings.rate_answer(turn, SPOKEN, SATISFIED, "", "device-a")
    assert not again.created and not again.changed
    changed = ratings.rate_answer(turn, SPOKEN, NOT, "Chưa rõ thời hạn.", "device-a")
    db.session.commit()
    assert changed.changed and not changed.created
    ratings.rate_answer(turn, SPOKEN, VERY, "", "device-b")
    db.session.commit()
    rows = all_ratings()
    assert [(r.device_key, r.level, r.comment) for r in rows] == [
        ("device-a", NOT, "Chưa rõ thời hạn."),
        ("device-b", VERY, ""),
    ]
    assert {r.conference_id for r in rows} == {held.id}
    assert ratings.answer_result(turn, SPOKEN).responses == 2


def test_a_comment_sent_after_the_choice_keeps_the_level(held):
    turn = turns_of(held)[0]
    with pytest.raises(ValidationFailed) as caught:
        ratings.rate_answer(turn, SPOKEN, None, "Chỉ có ý kiến", "device-a")
    assert caught.value.field == "level"
    ratings.rate_answer(turn, SPOKEN, VERY, "", "device-a")
    ratings.rate_answer(turn, SPOKEN, None, "  Cảm ơn   phường.\n\n Rất rõ ràng. ", "device-a")
    db.session.commit()
    [rating] = all_ratings()
    assert rating.level is VERY
    # Plain text, one paragraph a line.
    assert rating.comment == "Cảm ơn phường.\nRất rõ ràng."


def test_a_withdrawn_or_unanswered_turn_has_no_answer_to_rate(held):
    answered, withdrawn, pending = turns_of(held)
    with pytest.raises(ratings.AnswerNotRateable, match="withdrawn"):
        ratings.rate_answer(withdrawn, SPOKEN, VERY, "", "device-a")
    with pytest.raises(ratings.AnswerNotRateable, match="not been answered"):
        ratings.rate_answer(pending, SPOKEN, VERY, "", "device-a")
    # An answer on the spot is not a written answer.
    with pytest.raises(ratings.AnswerNotRateable, match="written answer"):
        ratings.rate_answer(answered, WRITTEN, VERY, "", "device-a")
    blank = spoken(held, 5, answer="   ")
    with pytest.raises(ratings.AnswerNotRateable):
        ratings.rate_answer(blank, SPOKEN, VERY, "", "device-a")
    assert all_ratings() == []


def test_a_withdrawn_turns_ratings_are_never_counted(held):
    turn = turns_of(held)[0]
    for n, level in enumerate((VERY, NOT, NOT)):
        ratings.rate_answer(turn, SPOKEN, level, "ý kiến", f"device-{n}")
    db.session.commit()
    assert ratings.count_ratings(held) == 3
    turn.withdrawn_dt = START
    db.session.commit()
    assert ratings.count_ratings(held) == 0
    assert ratings.rating_counts(held) == {}
    assert ratings.conference_ratings(held, with_comments=True).answers == []
    assert ratings.answer_result(turn, SPOKEN).responses == 0


def test_a_written_answer_is_rated_once_published(held, referred):
    turn = referred.turn
    with pytest.raises(ratings.AnswerNotRateable, match="not been published"):
        ratings.rate_answer(turn, WRITTEN, SATISFIED, "", "device-a")
    answer(referred, on=date(2020, 7, 8), status=AnswerStatus.SUBMITTED)
    with pytest.raises(ratings.AnswerNotRateable, match="not been published"):
        ratings.rate_answer(turn, WRITTEN, SATISFIED, "", "device-a")
    # The referred turn has no answer given on the spot.
    with pytest.raises(ratings.AnswerNotRateable):
        ratings.rate_answer(turn, SPOKEN, SATISFIED, "", "device-a")
    db.session.rollback()
    written = db.session.scalar(sa.select(WrittenAnswer))
    written.status = AnswerStatus.PUBLISHED
    written.published_dt = datetime(2020, 7, 8, 3, tzinfo=UTC)
    db.session.commit()
    ratings.rate_answer(turn, WRITTEN, SATISFIED, "", "device-a")
    db.session.commit()
    assert [(r.kind, r.level) for r in all_ratings()] == [(WRITTEN, SATISFIED)]


def test_a_conference_residents_may_not_see_takes_no_rating(make_conference):
    draft = make_conference()
    turn = spoken(draft, 1)
    with pytest.raises(ratings.RatingsClosed):
        ratings.rate_answer(turn, SPOKEN, VERY, "", "device-a")
    draft.status = ConferenceStatus.CANCELLED
    draft.announced_dt = datetime.now(UTC)
    db.session.commit()
    assert draft.is_public
    with pytest.raises(ratings.RatingsClosed):
        ratings.rate_answer(turn, SPOKEN, VERY, "", "device-a")


def test_a_comment_longer_than_allowed_is_refused(held):
    turn = turns_of(held)[0]
    with pytest.raises(ValidationFailed) as caught:
        ratings.rate_answer(turn, SPOKEN, VERY, "a" * (MAX_COMMENT_LENGTH + 1), "device-a")
    assert caught.value.field == "comment"
    assert str(MAX_COMMENT_LENGTH) in caught.value.message
    db.session.rollback()
    ratings.rate_answer(turn, SPOKEN, VERY, "a" * MAX_COMMENT_LENGTH, "device-a")
    db.session.commit()
    assert len(all_ratings()[0].comment) == MAX_COMMENT_LENGTH


@pytest.mark.parametrize(
    ("counts", "rate", "vietnamese"),
    [
        ({VERY: 2, SATISFIED: 3, NOT: 1}, Decimal("83.3"), "83,3%"),
        ({SATISFIED: 1, NOT: 7}, Decimal("12.5"), "12,5%"),
        ({VERY: 2, NOT: 1}, Decimal("66.7"), "66,7%"),
        # 6.25 rounds half up, as offices count (not to the even 6.2).
        ({SATISFIED: 1, NOT: 15}, Decimal("6.3"), "6,3%"),
        ({NOT: 4}, Decimal("0.0"), "0,0%"),
        ({VERY: 3}, Decimal("100.0"), "100,0%"),
    ],
)
def test_satisfaction_is_very_satisfied_and_satisfied_over_the_ratings(counts, rate, vietnamese):
    result = ratings.answer_satisfaction(counts)
    assert result.rate == rate
    assert result.rate_text("vi") == vietnamese
    assert result.responses == sum(counts.values())
    assert [level for level, _count in result.counts] == [VERY, SATISFIED, NOT]


def test_no_rating_is_no_rate():
    result = ratings.answer_satisfaction({})
    assert result.rate is None and result.rate_text("vi") == "—" and result.responses == 0


def test_results_are_counted_per_answer_and_kind_in_one_query(app, held, referred):
    answer(referred, on=date(2020, 7, 8))
    answered = turns_of(held)[0]
    withdrawn = turns_of(held)[1]
    sets = {
        (answered, SPOKEN): [VERY, VERY, SATISFIED, SATISFIED, SATISFIED, NOT],
        (referred.turn, WRITTEN): [SATISFIED, NOT],
    }
    n = 0
    for (turn, kind), levels in sets.items():
        for level in levels:
            n += 1
            db.session.add(
                AnswerRating(
                    conference_id=held.id,
                    turn_id=turn.id,
                    kind=kind,
                    device_key=f"d{n}",
                    level=level,
                    comment="Góp ý" if n == 1 else "",
                    is_asker=n == 1,
                )
            )
    # Ratings given before the turn was withdrawn.
    db.session.add(
        AnswerRating(
            conference_id=held.id, turn_id=withdrawn.id, kind=SPOKEN, device_key="x", level=NOT
        )
    )
    db.session.commit()

    statements = []

    def count(conn, cursor, statement, *args):
        if "answer_ratings" in statement:
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        found = ratings.conference_ratings(held, with_comments=True)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    # The counts in one query, the comments in another, whatever the number of answers.
    assert len(statements) == 2
    assert [(a.number, a.kind) for a in found] == [(1, SPOKEN), (3, WRITTEN)]
    first, written = found.answers
    assert first.result.rate == Decimal("83.3") and first.result.responses == 6
    assert written.result.rate == Decimal("50.0")
    assert [(c.comment, c.is_asker) for c in first.comments] == [("Góp ý", True)]
    assert found.overall(SPOKEN).responses == 6
    assert found.overall(WRITTEN).rate_text("vi") == "50,0%"
    assert found.total == 8


def _run_together(app, workers: int, work) -> list:
    barrier = threading.Barrier(workers)
    results: list = [None] * workers

    def run(index):
        try:
            with app.app_context():
                begin_immediately(True)  # what a POST request does on SQLite
                barrier.wait()
                try:
                    results[index] = work(index)
                    db.session.commit()
                except Exception:
                    db.session.rollback()
                    raise
                finally:
                    db.session.remove()
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_ratings_from_one_device_at_once_make_one_row(app, held):
    turn_id = turns_of(held)[0].id
    db.session.commit()
    levels = [VERY, NOT, SATISFIED, VERY]

    def work(index):
        turn = db.session.get(Turn, turn_id)
        return ratings.rate_answer(turn, SPOKEN, levels[index], f"lần {index}", "same-device")

    results = _run_together(app, len(levels), work)
    assert all(isinstance(r, ratings.Rated) for r in results), results
    [row] = all_ratings()
    assert row.level in levels


# -- rating through the pages ---------------------------------------------------------------------


@pytest.fixture
def running(make_conference):
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    conference = make_conference(
        status=ConferenceStatus.IN_PROGRESS,
        announced_dt=start - timedelta(days=10),
        start_dt=start,
        planned_end_dt=start + timedelta(hours=3),
    )
    spoken(conference, 1)
    _turn(conference, 2, "Câu hỏi đang chờ trả lời")
    return conference


def live_url(conference) -> str:
    return f"/p/{conference.ward.slug}/hoi-nghi/{conference.id}/truc-tiep"


def test_without_the_script_a_rating_comes_back_to_the_page_with_a_message(client, running):
    turn = turns_of(running)[0]
    response = client.post(
        rate_url(turn),
        data={"kind": "spoken", "level": "satisfied", "comment": "", "next": live_url(running)},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == live_url(running)
    # The device got its identifier, kept only as a keyed hash.
    identifier = device_cookie(client).rsplit(".", 1)[0]
    [rating] = all_ratings()
    assert rating.level is SATISFIED and rating.kind is SPOKEN
    assert rating.device_key == key_of(identifier) and identifier not in rating.device_key
    page = page_text(client.get(live_url(running)))
    assert "Thank you. You rated the answer to turn 1: Satisfied." in page
    # Replayed: counted once, changed in place.
    for level in ("satisfied", "very_satisfied"):
        client.post(rate_url(turn), data={"kind": "spoken", "level": level})
    [rating] = all_ratings()
    assert rating.level is VERY


def test_a_post_without_a_page_to_go_back_to_returns_to_the_answer(client, running):
    turn = turns_of(running)[0]
    response = client.post(
        rate_url(turn), data={"level": "satisfied", "next": "https://evil.example/x"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == live_url(running)


def test_with_the_script_a_rating_answers_in_json_and_the_device_finds_it_again(client, running):
    turn = turns_of(running)[0]
    # Reading one's ratings makes no identifier and is kept by no cache.
    empty = client.get(mine_url(running))
    assert empty.get_json() == {"ratings": []}
    assert empty.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in empty.headers
    response = client.post(
        rate_url(turn),
        data={"kind": "spoken", "level": "dissatisfied", "comment": "Chưa rõ"},
        headers=JSON,
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] is True
    assert body["message"] == "Thank you. You rated the answer to turn 1: Not satisfied."
    assert body["rating"] == {
        "turn": turn.id,
        "kind": "spoken",
        "level": "dissatisfied",
        "title": "Not satisfied",
        "comment": "Chưa rõ",
    }
    assert response.headers["Cache-Control"] == "no-store"
    mine = client.get(mine_url(running))
    assert mine.get_json()["ratings"] == [body["rating"]]
    # Another device sees only its own.
    assert FlaskClient(client.application).get(mine_url(running)).get_json() == {"ratings": []}


def test_a_comment_sent_alone_needs_an_earlier_choice(client, running):
    turn = turns_of(running)[0]
    refused = client.post(
        rate_url(turn), data={"comment": "Ý kiến của tôi <giữ lại>", "send": "comment"}
    )
    assert refused.status_code == 400
    text = page_text(refused)
    assert "Choose one of the three answers" in text
    assert "Ý kiến của tôi &lt;giữ lại&gt;" in refused.get_data(as_text=True)
    client.post(rate_url(turn), data={"level": "very_satisfied"})
    response = client.post(rate_url(turn), data={"comment": "Rất rõ ràng", "send": "comment"})
    assert response.status_code == 302
    [rating] = all_ratings()
    assert (rating.level, rating.comment) == (VERY, "Rất rõ ràng")
    # Without "send", a post with no level is asked for one.
    assert client.post(rate_url(turn), data={"comment": "x"}).status_code == 400


def test_a_bad_level_or_kind_is_refused_in_place(client, running):
    turn = turns_of(running)[0]
    for data in ({"level": "excellent"}, {"level": "satisfied", "kind": "sung"}, {}):
        response = client.post(rate_url(turn), data={**data, "comment": "Giữ nguyên"}, headers=JSON)
        assert response.status_code == 400, data
        assert response.get_json()["ok"] is False
    page = client.post(rate_url(turn), data={"level": "excellent", "comment": "Giữ nguyên"})
    assert page.status_code == 400 and "Giữ nguyên" in page.get_data(as_text=True)
    assert all_ratings() == []


def test_a_long_comment_is_refused_and_kept(client, running):
    turn = turns_of(running)[0]
    long = "Rất dài " * 80
    response = client.post(rate_url(turn), data={"level": "satisfied", "comment": long})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert f"shorten it to {MAX_COMMENT_LENGTH}" in page_text(response)
    assert 'aria-invalid="true"' in body and long.strip() in html.unescape(body)
    assert all_ratings() == []
    as_json = client.post(
        rate_url(turn), data={"level": "satisfied", "comment": long}, headers=JSON
    ).get_json()
    assert as_json["field"] == "comment"


def test_a_forged_identifier_is_refused_and_renewed(client, running):
    turn = turns_of(running)[0]
    client.set_cookie(COOKIE_NAME, "made-up-identifier.bad-signature", domain="localhost")
    response = client.post(rate_url(turn), data={"level": "satisfied"}, headers=JSON)
    assert response.status_code == 400
    assert "could not be checked" in response.get_json()["message"]
    renewed = device_cookie(client)
    assert renewed and renewed != "made-up-identifier.bad-signature"
    assert all_ratings() == []
    # Pressing again is all it takes.
    again = client.post(rate_url(turn), data={"level": "satisfied"}, headers=JSON)
    assert again.status_code == 200
    assert len(all_ratings()) == 1
    # Without the script, the message is on the answer's page.
    client.set_cookie(COOKIE_NAME, "x.y", domain="localhost")
    page = client.post(rate_url(turn), data={"level": "dissatisfied", "comment": "Giữ"})
    assert page.status_code == 400 and "could not be checked" in page_text(page)
    assert all_ratings()[0].level is SATISFIED


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}],
)
def test_a_post_from_another_site_is_refused(client, running, headers):
    turn = turns_of(running)[0]
    response = client.post(rate_url(turn), data={"level": "satisfied"}, headers=headers)
    assert response.status_code == 403
    assert "another website" in page_text(response)
    assert all_ratings() == []
    same = client.post(
        rate_url(turn),
        data={"level": "satisfied"},
        headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"},
    )
    assert same.status_code == 302


def test_withdrawn_and_unanswered_turns_are_refused_with_a_message(client, held, referred):
    answered, withdrawn, pending = turns_of(held)[:3]
    for turn, kind, words in (
        (withdrawn, "spoken", "withdrawn"),
        (pending, "spoken", "not been answered"),
        (referred.turn, "written", "not been published"),
    ):
        response = client.post(rate_url(turn), data={"kind": kind, "level": "satisfied"})
        assert response.status_code == 409
        assert words in page_text(response)
        as_json = client.post(
            rate_url(turn), data={"kind": kind, "level": "satisfied"}, headers=JSON
        )
        assert as_json.status_code == 409 and words in as_json.get_json()["message"]
    assert all_ratings() == []


def test_another_wards_conference_or_turn_is_not_found(client, held, other_ward, make_conference):
    turn = turns_of(held)[0]
    foreign = make_conference(
        ward=other_ward, status=ConferenceStatus.CLOSED, announced_dt=START - timedelta(days=10)
    )
    foreign_turn = spoken(foreign, 1)
    ward_slug = held.ward.slug
    for url in (
        f"/p/{other_ward.slug}/hoi-nghi/{held.id}/luot/{turn.id}/danh-gia",
        f"/p/{ward_slug}/hoi-nghi/{foreign.id}/luot/{foreign_turn.id}/danh-gia",
        f"/p/{ward_slug}/hoi-nghi/{held.id}/luot/{foreign_turn.id}/danh-gia",
        f"/p/{other_ward.slug}/hoi-nghi/{held.id}/danh-gia-cua-toi.json",
    ):
        assert client.post(url, data={"level": "satisfied"}).status_code in {404, 405}, url
        assert client.get(url).status_code == 404, url
    assert all_ratings() == []


def test_a_draft_conferences_turn_is_not_found(client, make_conference):
    draft = make_conference()
    turn = spoken(draft, 1)
    assert client.post(rate_url(turn), data={"level": "satisfied"}).status_code == 404


def test_the_answers_page_shows_the_answer_and_the_devices_choice(client, running):
    turn = turns_of(running)[0]
    page = client.get(rate_url(turn))
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    text = page_text(page)
    assert "Rate the answer to turn 1" in text and "Cần tờ khai và giấy chứng sinh." in text
    assert 'aria-pressed="true"' not in page.get_data(as_text=True)
    client.post(rate_url(turn), data={"level": "very_satisfied", "comment": "Tốt"})
    body = client.get(rate_url(turn)).get_data(as_text=True)
    assert re.search(r'value="very_satisfied"[^>]*aria-pressed="true"', body)
    assert "You rated: Very satisfied." in body and ">Tốt</textarea>" in body
    pending = turns_of(running)[1]
    assert "has not been answered" in page_text(client.get(rate_url(pending)))


def test_the_answers_page_of_a_withdrawn_turn_shows_nothing_of_it(client, held):
    withdrawn = turns_of(held)[1]
    page = client.get(rate_url(withdrawn))
    assert page.status_code == 200
    text = page_text(page)
    assert "withdrawn from the record" in text
    assert "Lượt đã rút" not in text and "giấy chứng sinh" not in text
    assert "<form" not in page.get_data(as_text=True).split('id="main"')[1]


# -- the flood ----------------------------------------------------------------------------------


@pytest.fixture
def limited(app_config):
    app_config["RATELIMIT_ENABLED"] = True
    app_config["RATELIMIT_FEEDBACK_DEVICE"] = "3 per minute"
    app_config["RATELIMIT_NEW_DEVICES"] = "4 per hour"
    return app_config


def test_a_flood_from_one_device_is_stopped_with_a_clear_message(limited, app, running):
    turn = turns_of(running)[0]
    client = app.test_client()
    # The first post, without an identifier yet, counts for the address; the next ones for
    # the device it was given.
    assert client.post(rate_url(turn), data={"level": "satisfied"}).status_code == 302
    for level in ("satisfied", "very_satisfied", "dissatisfied"):
        assert client.post(rate_url(turn), data={"level": level}, headers=JSON).status_code == 200
    stopped = client.post(rate_url(turn), data={"level": "satisfied"}, headers=JSON)
    assert stopped.status_code == 429
    assert "Too many ratings" in stopped.get_json()["message"]
    page = client.post(rate_url(turn), data={"level": "satisfied", "comment": "Vẫn giữ <b>"})
    assert page.status_code == 429
    assert "Too many ratings" in page_text(page)
    assert "Vẫn giữ &lt;b&gt;" in page.get_data(as_text=True)
    [rating] = all_ratings()
    assert rating.level is NOT
    # Reading is not limited; another phone in the hall still rates.
    assert client.get(rate_url(turn)).status_code == 200
    assert app.test_client().post(rate_url(turn), data={"level": "satisfied"}).status_code == 302


def test_a_script_that_drops_its_identifier_is_stopped_per_address(limited, app, running):
    app.config["RATELIMIT_FEEDBACK_DEVICE"] = "30 per minute"
    turn = turns_of(running)[0]
    answers = [
        app.test_client(use_cookies=False).post(rate_url(turn), data={"level": "satisfied"})
        for _ in range(5)
    ]
    assert [a.status_code for a in answers] == [302, 302, 302, 302, 429]
    assert "Too many ratings" in page_text(answers[-1])
    assert len(all_ratings()) == 4
    other = app.test_client().post(
        rate_url(turn), data={"level": "satisfied"}, environ_base={"REMOTE_ADDR": "10.9.8.7"}
    )
    assert other.status_code == 302


def test_a_hall_of_new_phones_behind_one_address_is_not_locked_out(limited, app, running):
    # More new phones than one device may post in a minute: their first posts count only
    # against the address's new devices, never against one another as if they were one phone.
    app.config["RATELIMIT_NEW_DEVICES"] = "50 per hour"
    turn = turns_of(running)[0]
    phones = [app.test_client() for _ in range(12)]
    for phone in phones:
        assert phone.post(rate_url(turn), data={"level": "satisfied"}).status_code == 302
    for phone in phones:
        changed = phone.post(rate_url(turn), data={"level": "very_satisfied"}, headers=JSON)
        assert changed.status_code == 200
    assert len(all_ratings()) == 12


def test_two_posts_of_one_device_at_once_count_once(app, running):
    turn = turns_of(running)[0]
    url = rate_url(turn)
    client = app.test_client()
    client.get(mine_url(running))
    client.post(url, data={"level": "satisfied"})
    cookie = device_cookie(client)
    db.session.commit()
    barrier = threading.Barrier(4)
    answers = []

    def send(level):
        other = FlaskClient(app, app.response_class, use_cookies=True)
        other.set_cookie(COOKIE_NAME, cookie, domain="localhost")
        barrier.wait()
        answers.append(other.post(url, data={"level": level}, headers=JSON).status_code)

    threads = [
        threading.Thread(target=send, args=(level,))
        for level in ("very_satisfied", "dissatisfied", "satisfied", "very_satisfied")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert answers == [200, 200, 200, 200]
    assert len(all_ratings()) == 1


def test_first_ratings_of_one_new_device_at_once_make_one_row(app, running):
    """The device's first two posts race each other: the unique key keeps one row."""
    turn = turns_of(running)[0]
    client = app.test_client()
    client.get(rate_url(turn))
    # An identifier signed by the application but never used for a rating yet.
    from itsdangerous import Signer

    cookie = Signer(app.secret_key, salt="dialogue.feedback.device").sign("fresh-phone").decode()
    url = rate_url(turn)
    db.session.commit()
    barrier = threading.Barrier(3)
    answers = []

    def send():
        other = FlaskClient(app, app.response_class, use_cookies=True)
        other.set_cookie(COOKIE_NAME, cookie, domain="localhost")
        barrier.wait()
        answers.append(other.post(url, data={"level": "satisfied"}).status_code)

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert answers == [302, 302, 302]
    [rating] = all_ratings()
    assert rating.device_key == key_of("fresh-phone")


# -- the live page ------------------------------------------------------------------------------


def turns_section(page: str) -> str:
    return re.search(r'<ol class="live-turns".*?</ol>', page, re.S).group(0)


def test_the_live_page_puts_the_buttons_on_answered_turns_the_same_for_everyone(app, running):
    first = app.test_client()
    second = app.test_client()
    first.post(rate_url(turns_of(running)[0]), data={"level": "satisfied"})
    one = first.get(live_url(running)).get_data(as_text=True)
    other = second.get(live_url(running)).get_data(as_text=True)
    section = turns_section(one)
    # The same for every viewer: no token, no mark of this device's choice.
    assert section == turns_section(other)
    assert "csrf" not in section and 'aria-pressed="true"' not in section
    assert section.count('<form class="rate"') == 1
    assert section.count('name="level"') == 3
    for title in ("Very satisfied", "Satisfied", "Not satisfied"):
        assert f">{title}</button>" in section
    turn = turns_of(running)[0]
    assert f'action="{rate_url(turn)}"' in section
    assert f'data-mine-url="{mine_url(running)}"' in section
    # The comment is on the answer's own page without the script (this page reloads itself).
    assert f'href="{rate_url(turn)}?next=' in section
    assert 'id="rate-template"' in one and "/luot/{turn}/danh-gia" in one
    assert "js/ratings.js" in one
    # The projector has no buttons.
    projector = first.get(live_url(running).replace("truc-tiep", "man-hinh")).get_data(as_text=True)
    assert '<form class="rate"' not in projector


def test_the_live_page_in_vietnamese(client, running):
    client.get("/locale", query_string={"locale": "vi", "next": "/"})
    text = page_text(client.get(live_url(running)))
    assert "Bạn có hài lòng với câu trả lời này không?" in text
    assert "Rất hài lòng Hài lòng Không hài lòng" in text


# -- the published minutes ------------------------------------------------------------------------


def minutes_url(document) -> str:
    return f"/p/{document.conference.ward.slug}/bien-ban/{document.public_code}"


def ratings_section(page: str) -> str:
    found = re.search(r'<section class="archive-ratings.*?</section>', page, re.S)
    return found.group(0) if found else ""


@pytest.fixture
def minutes(held, referred):
    answer(referred, on=date(2020, 7, 8))
    return publish(held, pdf=b"%PDF-1.7 ratings test")


def test_the_minutes_page_lists_the_answers_to_rate_below_the_document(client, held, minutes):
    page = client.get(minutes_url(minutes)).get_data(as_text=True)
    section = ratings_section(page)
    assert section, "no rating section"
    document = re.search(r'<article class="minutes-doc".*?</article>', page, re.S).group(0)
    assert "<form" not in document
    assert page.index('class="minutes-doc"') < page.index('class="archive-ratings')
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", section)).split())
    # Numbered as in the minutes: the withdrawn turn is left out, so the referral is turn 3.
    assert "Turn 1 Answer at the conference Thủ tục khai sinh" in text
    assert "Turn 3 Written answer Đề nghị hướng dẫn" in text
    assert "Lượt đã rút" not in text and "chưa được trả lời" not in text
    assert section.count('<form class="rate"') == 2
    assert 'name="kind" value="written"' in section
    assert f'name="next" value="{minutes_url(minutes)}"' in section
    assert "csrf" not in section
    # Before the results are published, no result.
    assert "satisfied (" not in text and "Fewer than" not in text
    assert "once the results of the conference are published" in text
    assert "js/ratings.js" in page and "css/ratings.css" in page


def test_the_minutes_show_results_once_published_and_above_the_minimum(app, client, held, minutes):
    turn = turns_of(held)[0]
    url = minutes_url(minutes)
    for n, level in enumerate((VERY, VERY, SATISFIED, SATISFIED, SATISFIED, NOT)):
        ratings.rate_answer(turn, SPOKEN, level, "", f"d{n}")
    db.session.commit()
    # Kept for every visitor: the same page twice.
    assert client.get(url).get_data() == client.get(url).get_data()
    assert "83.3% satisfied" not in page_text(client.get(url))
    publish_results(held)
    text = page_text(client.get(url))
    assert "83.3% satisfied (6 ratings)" in text
    assert "Very satisfied: 2 Satisfied: 3 Not satisfied: 1" in text
    # The written answer has none yet: below the ward's minimum of 3.
    assert "Fewer than 3 ratings: not enough to publish the result." in text
    # A new rating shows at once, kept page or not.
    ratings.rate_answer(turn, SPOKEN, NOT, "", "d-new")
    db.session.commit()
    assert "71.4% satisfied (7 ratings)" in page_text(client.get(url))
    # The ward shows every result.
    held.ward.rating_public_minimum = 0
    db.session.commit()
    text = page_text(client.get(url))
    assert "Fewer than" not in text and "No rating yet." in text
    held.ward.rating_public_minimum = 10
    db.session.commit()
    assert "Fewer than 10 ratings" in page_text(client.get(url))


def test_the_minimum_and_the_rate_in_vietnamese(client, held, minutes):
    publish_results(held)
    turn = turns_of(held)[0]
    for n, level in enumerate((VERY, VERY, SATISFIED, SATISFIED, SATISFIED, NOT)):
        ratings.rate_answer(turn, SPOKEN, level, "", f"d{n}")
    db.session.commit()
    client.get("/locale", query_string={"locale": "vi", "next": "/"})
    text = page_text(client.get(minutes_url(minutes)))
    assert "Đánh giá câu trả lời" in text
    assert "83,3% hài lòng (6 lượt đánh giá)" in text
    assert "Chưa đủ 3 lượt đánh giá để công bố kết quả." in text


def test_rating_from_the_minutes_page_comes_back_to_it(client, held, minutes):
    turn = turns_of(held)[0]
    url = minutes_url(minutes)
    response = client.post(rate_url(turn), data={"level": "satisfied", "next": url})
    assert response.status_code == 302 and response.headers["Location"] == url
    assert "You rated the answer to turn 1" in page_text(client.get(url))
    # The message is shown once, to this visitor only.
    assert "You rated the answer" not in page_text(client.get(url))


def test_a_superseded_version_and_the_notice_have_no_rating_section(client, held, minutes):
    notice = publish(held, DocumentType.NOTICE, pdf=b"%PDF-1.7 notice")
    assert not ratings_section(client.get(minutes_url(notice)).get_data(as_text=True))
    publish(held, reason="Đính chính.", pdf=b"%PDF-1.7 v2")
    assert not ratings_section(client.get(minutes_url(minutes)).get_data(as_text=True))


# -- the referral's page -------------------------------------------------------------------------


def referral_url(referral) -> str:
    return f"/p/{referral.ward.slug}/kien-nghi/{referral.id}"


def test_the_written_answer_is_rated_on_its_referral_page(client, held, referred):
    url = referral_url(referred)
    assert "Rate the written answer" not in page_text(client.get(url))
    answer(referred, on=date(2020, 7, 8))
    page = client.get(url).get_data(as_text=True)
    assert "Rate the written answer" in page_text(client.get(url))
    assert 'name="kind" value="written"' in page
    assert f'action="{rate_url(referred.turn)}"' in page
    response = client.post(
        rate_url(referred.turn), data={"kind": "written", "level": "very_satisfied", "next": url}
    )
    assert response.status_code == 302 and response.headers["Location"] == url
    assert "You rated the answer to turn 3: Very satisfied." in page_text(client.get(url))
    [rating] = all_ratings()
    assert (rating.kind, rating.level) == (WRITTEN, VERY)
    # Results once published, above the minimum.
    publish_results(held)
    assert "Fewer than 3 ratings" in page_text(client.get(url))
    for n in range(2):
        ratings.rate_answer(referred.turn, WRITTEN, NOT, "", f"d{n}")
    db.session.commit()
    assert "33.3% satisfied (3 ratings)" in page_text(client.get(url))


def test_a_written_rating_without_a_page_goes_back_to_the_referral(client, held, referred):
    answer(referred, on=date(2020, 7, 8))
    response = client.post(rate_url(referred.turn), data={"kind": "written", "level": "satisfied"})
    assert response.headers["Location"] == referral_url(referred)


# -- the asker's private page ----------------------------------------------------------------------


def follow_url(question) -> str:
    return f"/p/{question.conference.ward.slug}/cau-hoi/{question.follow_token}"


def asked(conference, turn=None, **values) -> ResidentQuestion:
    question = ResidentQuestion(
        conference=conference,
        question="Thủ tục khai sinh cần giấy tờ gì?",
        asker_name="Phạm Thị Riêng Tư",
        status=QuestionStatus.ACCEPTED if turn else QuestionStatus.WAITING,
        turn=turn,
        **values,
    )
    db.session.add(question)
    db.session.commit()
    return question


def test_the_asker_is_asked_first_and_their_rating_is_marked(client, held):
    turn = turns_of(held)[0]
    question = asked(held, turn)
    page = client.get(follow_url(question))
    body = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert "Your question has been answered: are you satisfied with the answer?" in page_text(page)
    # First thing on the page, before what was asked.
    assert body.index('class="rate-section rate-asker"') < body.index("What you asked")
    action = f"{follow_url(question)}/danh-gia"
    assert f'action="{action}"' in body
    response = client.post(action, data={"kind": "spoken", "level": "dissatisfied"})
    assert response.status_code == 302 and response.headers["Location"] == follow_url(question)
    assert "no-referrer" in response.headers["Referrer-Policy"]
    [rating] = all_ratings()
    assert rating.is_asker and rating.device_key == asker_key(question.id)
    # Whichever phone opens the link sees the choice, and may change it.
    other = FlaskClient(client.application, use_cookies=True)
    mark = other.get(follow_url(question)).get_data(as_text=True)
    assert re.search(r'value="dissatisfied"[^>]*aria-pressed="true"', mark)
    other.post(action, data={"kind": "spoken", "level": "satisfied", "comment": "Đã rõ"})
    [rating] = all_ratings()
    assert (rating.level, rating.comment, rating.is_asker) == (SATISFIED, "Đã rõ", True)


def test_the_asker_without_an_answer_is_not_asked(client, held):
    waiting = asked(held)
    assert "are you satisfied" not in page_text(client.get(follow_url(waiting)))
    refused = client.post(f"{follow_url(waiting)}/danh-gia", data={"level": "satisfied"})
    assert refused.status_code == 409 and "no answer to rate yet" in page_text(refused)
    pending = asked(held, turns_of(held)[2])
    assert "are you satisfied" not in page_text(client.get(follow_url(pending)))
    withdrawn = asked(held, turns_of(held)[1])
    assert "are you satisfied" not in page_text(client.get(follow_url(withdrawn)))
    assert client.post("/p/thach-ban/cau-hoi/no-such-token/danh-gia").status_code == 404
    assert all_ratings() == []


def test_the_asker_rates_the_published_written_answer(client, held, referred):
    question = asked(held, referred.turn)
    assert "are you satisfied" not in page_text(client.get(follow_url(question)))
    answer(referred, on=date(2020, 7, 8))
    page = client.get(follow_url(question))
    assert "are you satisfied" in page_text(page)
    assert 'name="kind" value="written"' in page.get_data(as_text=True)
    response = client.post(
        f"{follow_url(question)}/danh-gia",
        data={"kind": "written", "level": "very_satisfied"},
        headers=JSON,
    )
    assert response.get_json()["ok"] is True
    assert response.headers["Cache-Control"] == "no-store"


# -- the staff's results -----------------------------------------------------------------------------


def results_url(conference) -> str:
    return f"/conferences/{conference.id}/ratings"


ATTACK = '<a href="http://spam.example">bấm vào đây</a> <script>alert(1)</script> http://x.example'


def test_the_staff_see_every_answer_with_counts_rates_and_comments(
    client, login, make_user, held, referred
):
    answer(referred, on=date(2020, 7, 8))
    turn = turns_of(held)[0]
    question = asked(held, turn)
    ratings.rate_answer(
        turn, SPOKEN, NOT, "Chưa rõ thời hạn.", asker_key(question.id), is_asker=True
    )
    for n, level in enumerate((VERY, VERY, SATISFIED, SATISFIED, SATISFIED)):
        ratings.rate_answer(turn, SPOKEN, level, ATTACK if n == 0 else "", f"d{n}")
    ratings.rate_answer(referred.turn, WRITTEN, SATISFIED, "", "d0")
    db.session.commit()
    login(make_user(Role.CHAIR))
    response = client.get(results_url(held))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    text = page_text(response)
    assert "Ratings of the answers" in text
    assert re.search(r"1 Thủ tục khai sinh.*? Answer at the conference .*?2 3 1 6 83\.3%", text)
    assert re.search(r"3 Đề nghị hướng dẫn.*? Written answer 0 1 0 1 100\.0%", text)
    # Overall, each kind.
    assert "Answer at the conference 2 3 1 6 83.3%" in text
    assert "Written answer 0 1 0 1 100.0%" in text
    # Comments as text: never markup, never a link; the asker's marked.
    assert "<script>alert(1)" not in body and 'href="http://spam.example"' not in body
    assert "&lt;a href=&#34;http://spam.example&#34;&gt;" in body
    assert 'href="http://x.example' not in body
    assert re.search(r"Not satisfied the person who asked .*? Chưa rõ thời hạn\.", text)
    assert "Lượt đã rút" not in text


def test_the_results_page_is_for_the_wards_staff(client, login, make_user, held, other_ward):
    login(make_user(Role.SECRETARY, ward=other_ward))
    assert client.get(results_url(held)).status_code == 404
    client.get("/auth/logout")
    client.post("/auth/logout")
    login(make_user(Role.RESPONDER))
    assert client.get(results_url(held)).status_code == 403


def test_the_conference_page_links_the_results(client, login, make_user, held):
    ratings.rate_answer(turns_of(held)[0], SPOKEN, VERY, "", "d1")
    db.session.commit()
    login(make_user(Role.ORGANISER))
    text = page_text(client.get(f"/conferences/{held.id}"))
    assert "1 rating from residents so far." in text and "See the results" in text


# -- the ward's settings ----------------------------------------------------------------------------


def test_the_ward_chooses_its_minimum_and_the_notice_paragraph(client, login, make_user, ward):
    login(make_user(Role.ADMINISTRATOR))
    form = {
        "name": "Thạch Bàn",
        "kind": "phuong",
        "slug": "thach-ban",
        "place_name": "Thạch Bàn",
        "issuer_code": "UBND",
        "timezone": "Asia/Ho_Chi_Minh",
        "is_active": "y",
    }
    page = client.get(f"/admin/wards/{ward.id}/edit")
    text = page_text(page)
    assert "Ratings needed before an answer's result is public" in text
    assert "Say in the conclusion notice how satisfied residents were" in text
    assert 'name="rating_public_minimum"' in page.get_data(as_text=True)
    refused = client.post(
        f"/admin/wards/{ward.id}/edit", data={**form, "rating_public_minimum": "101"}
    )
    assert refused.status_code == 200 and "Enter a number from 0 to 100." in page_text(refused)
    saved = client.post(f"/admin/wards/{ward.id}/edit", data={**form, "rating_public_minimum": "0"})
    assert saved.status_code == 302
    db.session.expire_all()
    assert ward.rating_public_minimum == 0
    assert ward.notice_includes_satisfaction is False
    client.post(
        f"/admin/wards/{ward.id}/edit",
        data={**form, "rating_public_minimum": "5", "notice_includes_satisfaction": "y"},
    )
    db.session.expire_all()
    assert (ward.rating_public_minimum, ward.notice_includes_satisfaction) == (5, True)


def test_the_ward_operation_refuses_a_minimum_out_of_range(ward):
    from dialogue.wards.operations import update_ward

    with pytest.raises(ValidationFailed) as caught:
        update_ward(
            ward,
            name=ward.name,
            slug=ward.slug,
            place_name=ward.place_name,
            kind=ward.kind,
            rating_public_minimum=-1,
        )
    assert caught.value.field == "rating_public_minimum"
