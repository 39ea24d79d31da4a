"""The conference's satisfaction survey: when it takes answers, residents' answers (one per
device, changeable), what is refused, paper forms typed in, the results, the exports, the
TB's paragraph and the minutes' second QR code."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pdfplumber
import pytest
import sqlalchemy as sa
import zxingcpp

from dialogue.attendance.models import AttendanceStatus, Attendee
from dialogue.audit.models import AuditEvent
from dialogue.auth.models import Role
from dialogue.conferences.models import ConferenceStatus
from dialogue.core.db import utcnow
from dialogue.documents.composed import Paragraph
from dialogue.documents.models import DocumentType
from dialogue.errors import ValidationFailed
from dialogue.extensions import db
from dialogue.feedback import survey
from dialogue.feedback.device import COOKIE_NAME
from dialogue.feedback.models import (
    LikertLevel,
    ResponseSource,
    Survey,
    SurveyElement,
    SurveyResponse,
)
from dialogue.invitations import letters
from dialogue.invitations import operations as invitations
from dialogue.minutes import compose, render
from dialogue.minutes.exports import minutes_document
from tests.test_minutes_compose import build_records

# 30/6/2020 8:00 in Hà Nội.
START_2020 = datetime(2020, 6, 30, 1, 0, tzinfo=UTC)
ACCESS, PROCEDURES, OFFICIALS, RESULTS, FEEDBACK = SurveyElement


@pytest.fixture
def app_config(app_config):
    # Messages are checked in English here; Vietnamese pages are checked where they matter.
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def live(make_conference):
    """A conference under way since twenty minutes ago: its survey is open."""
    return make_conference(
        status=ConferenceStatus.IN_PROGRESS,
        announced_dt=_now() - timedelta(days=10),
        start_dt=_now() - timedelta(minutes=20),
        started_dt=_now() - timedelta(minutes=20),
        planned_end_dt=_now() + timedelta(hours=2),
    )


@pytest.fixture
def held_2020(make_conference):
    """The 2020 conference, long closed: its survey closed on 10/7/2020."""
    return make_conference(
        status=ConferenceStatus.CLOSED,
        announced_dt=START_2020 - timedelta(days=10),
        start_dt=START_2020,
        started_dt=START_2020,
        planned_end_dt=START_2020 + timedelta(hours=3),
        end_dt=START_2020 + timedelta(hours=3),
    )


def form_url(conference) -> str:
    return f"/p/{conference.ward.slug}/hoi-nghi/{conference.id}/khao-sat"


def answers(**values) -> dict:
    """A posted form: scores by element code, visits, comment; missing = left blank."""
    return {key: str(value) for key, value in values.items()}


def responses(conference) -> list[SurveyResponse]:
    db.session.commit()
    return list(
        db.session.scalars(
            sa.select(SurveyResponse)
            .where(SurveyResponse.conference_id == conference.id)
            .order_by(SurveyResponse.id)
        )
    )


def data(scores=(), visits=None, comment="") -> survey.AnswerData:
    values = dict(zip(SurveyElement, scores, strict=False))
    return survey.AnswerData(
        scores={element: values.get(element) for element in SurveyElement},
        visits=visits,
        comment=comment,
    )


def checked(page: str, name: str) -> str | None:
    """The value of the checked radio button ``name`` on ``page``."""
    for tag in re.findall(r"<input[^>]*>", page):
        if f'name="{name}"' in tag and " checked" in tag:
            return re.search(r'value="([^"]*)"', tag).group(1)
    return None


# -- when it takes answers ------------------------------------------------------------------


def test_open_from_the_start_to_the_end_of_the_last_day_in_the_ward_s_time(held_2020):
    window = survey.survey_window(held_2020, now=START_2020 - timedelta(seconds=1))
    assert window.state is survey.SurveyState.NOT_YET
    assert window.closes_on == date(2020, 7, 10)  # the day the results must be published
    assert survey.survey_window(held_2020, now=START_2020).is_open
    # 23:59 on 10/7 in Hà Nội is still the last day; 00:00 on 11/7 there is not, although it
    # is still the 10th in UTC.
    assert survey.survey_window(held_2020, now=datetime(2020, 7, 10, 16, 59, tzinfo=UTC)).is_open
    late = survey.survey_window(held_2020, now=datetime(2020, 7, 10, 17, 0, tzinfo=UTC))
    assert late.state is survey.SurveyState.CLOSED


def test_a_ward_elsewhere_closes_by_its_own_calendar(make_ward, make_conference):
    far = make_ward(name="Xa Xôi", slug="xa-xoi", place_name="Xa Xôi", timezone="UTC")
    conference = make_conference(ward=far, status=ConferenceStatus.CLOSED, start_dt=START_2020)
    at = datetime(2020, 7, 10, 20, 0, tzinfo=UTC)  # still 10/7 in UTC, 11/7 in Hà Nội
    assert survey.survey_window(conference, now=at).is_open


def test_an_early_start_opens_it_early_and_some_conferences_have_none(make_conference):
    started = START_2020 - timedelta(minutes=25)
    early = make_conference(status=ConferenceStatus.CLOSED, start_dt=START_2020, started_dt=started)
    assert survey.survey_window(early, now=started).is_open
    cancelled = make_conference(status=ConferenceStatus.CANCELLED, start_dt=START_2020)
    recorded = make_conference(
        status=ConferenceStatus.PUBLISHED, start_dt=START_2020, recorded_dt=START_2020
    )
    for conference in (cancelled, recorded):
        state = survey.survey_window(conference, now=START_2020 + timedelta(hours=1)).state
        assert state is survey.SurveyState.NONE


def test_before_and_after_the_page_says_when_with_the_dates(
    client, make_conference, held_2020, ward
):
    coming = make_conference(
        status=ConferenceStatus.ANNOUNCED,
        announced_dt=_now(),
        start_dt=datetime(2048, 6, 30, 1, 0, tzinfo=UTC),
        planned_end_dt=datetime(2048, 6, 30, 4, 0, tzinfo=UTC),
    )
    page = client.get(form_url(coming)).get_data(as_text=True)
    assert "The survey opens when the conference begins" in page
    assert "8 giờ 00 phút, ngày 30 tháng 6 năm 2048" in page
    assert "ngày 10 tháng 7 năm 2048" in page
    assert 'name="access"' not in page

    page = client.get(form_url(held_2020)).get_data(as_text=True)
    assert "The survey is closed" in page and "ngày 10 tháng 7 năm 2020" in page
    assert 'name="access"' not in page


def test_a_draft_or_another_ward_s_conference_has_no_form(client, make_conference, other_ward):
    draft = make_conference(start_dt=START_2020)
    assert client.get(form_url(draft)).status_code == 404
    foreign = make_conference(ward=other_ward, status=ConferenceStatus.IN_PROGRESS)
    wrong = f"/p/thach-ban/hoi-nghi/{foreign.id}/khao-sat"
    assert client.get(wrong).status_code == 404


# -- residents' answers ---------------------------------------------------------------------


def test_the_form_has_the_five_elements_as_fieldsets_and_nothing_required(app, client, live):
    page = client.get(form_url(live))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "no-store" in page.headers["Cache-Control"]
    # No cookie until the device answers: reading the form leaves nothing behind.
    assert "Set-Cookie" not in page.headers
    assert html.count("<fieldset") == 6 and html.count("<legend") == 6
    for element in SurveyElement:
        assert html.count(f'name="{element.value}"') == 6  # five levels and "no answer"
        assert checked(html, element.value) == ""
    assert "Số lần Ông/Bà phải đi lại" in html
    assert "<script" not in html.split("</footer>")[0].split("<main")[1]


def test_one_answer_per_device_that_the_device_may_change(app, client, live):
    sent = client.post(form_url(live), data=answers(access=5, procedures=4, visits=0))
    assert sent.status_code == 302 and "sent=new" in sent.headers["Location"]
    assert COOKIE_NAME in sent.headers["Set-Cookie"]
    [first] = responses(live)
    assert (first.access, first.procedures, first.officials, first.visits) == (5, 4, None, 0)
    assert first.source is ResponseSource.ONLINE and len(first.device_key) == 64

    # The same device sees its answer and changes it: still one form.
    page = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Thank you for your answers." in page
    assert checked(page, "access") == "5" and checked(page, "procedures") == "4"
    assert checked(page, "visits") == "0" and checked(page, "officials") == ""
    changed = client.post(
        form_url(live), data=answers(access=2, procedures="", officials=3, comment="Chậm.")
    )
    assert "sent=changed" in changed.headers["Location"]
    [again] = responses(live)
    assert again.id == first.id
    assert (again.access, again.procedures, again.officials, again.visits) == (2, None, 3, None)
    assert again.comment == "Chậm."
    page = client.get(changed.headers["Location"]).get_data(as_text=True)
    assert "Your answers were updated." in page and "Chậm." in page

    # Another phone is another form.
    other = app.test_client()
    assert other.post(form_url(live), data=answers(results=4)).status_code == 302
    assert len(responses(live)) == 2


def test_a_forged_device_cookie_is_refused_and_replaced(app, client, live):
    client.set_cookie(COOKIE_NAME, "made-up.signature", domain="localhost")
    refused = client.post(form_url(live), data=answers(access=5, comment="Giữ lại"))
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "did not check out" in html
    assert checked(html, "access") == "5" and "Giữ lại" in html
    assert responses(live) == []
    # A new, genuine code came with the refusal: sending again works.
    assert COOKIE_NAME in refused.headers["Set-Cookie"]
    assert client.post(form_url(live), data=answers(access=5)).status_code == 302
    assert len(responses(live)) == 1


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}],
)
def test_a_post_from_another_site_is_refused(client, live, headers):
    refused = client.post(form_url(live), data=answers(access=1), headers=headers)
    assert refused.status_code == 403
    assert "another site" in refused.get_data(as_text=True)
    assert responses(live) == []
    same_site = client.post(
        form_url(live), data=answers(access=1), headers={"Origin": "http://localhost"}
    )
    assert same_site.status_code == 302


@pytest.mark.parametrize(
    "bad", [{"access": "7"}, {"officials": "0"}, {"results": "x"}, {"visits": "3"}]
)
def test_values_out_of_range_are_refused_and_the_form_kept(client, live, bad):
    posted = answers(access=4, procedures=5, officials=3, results=4, visits=1, comment="Giữ")
    posted.update(bad)
    refused = client.post(form_url(live), data=posted)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    [name] = bad
    assert f'id="{name}-error"' in html
    assert checked(html, "procedures") == "5" and "Giữ" in html
    # The refused question has nothing checked, not even "no answer".
    assert checked(html, name) is None
    assert responses(live) == []


def test_an_empty_form_is_refused(client, live):
    refused = client.post(form_url(live), data=answers(comment="   "))
    assert refused.status_code == 422
    assert "answer at least one question" in refused.get_data(as_text=True)
    assert responses(live) == []


def test_after_the_last_day_nothing_is_taken_and_the_comment_is_shown_to_copy(client, held_2020):
    refused = client.post(form_url(held_2020), data=answers(access=5, comment="Ý kiến muộn"))
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "The survey is closed" in html and "Ý kiến muộn" in html
    assert responses(held_2020) == []
    with pytest.raises(survey.SurveyClosed):
        survey.record_online_answer(
            held_2020, data([5]), "k" * 64, now=datetime(2020, 7, 10, 17, 0, tzinfo=UTC)
        )
    # The last minute of the last day, in Hà Nội, still counts.
    recorded = survey.record_online_answer(
        held_2020, data([5]), "k" * 64, now=datetime(2020, 7, 10, 16, 59, tzinfo=UTC)
    )
    assert recorded.created


@pytest.fixture
def limited(app_config):
    app_config["RATELIMIT_ENABLED"] = True
    app_config["RATELIMIT_FEEDBACK_DEVICE"] = "2 per minute"
    return app_config


def test_a_flood_from_one_device_is_stopped_with_the_answers_kept(limited, app, live):
    client = app.test_client()
    # The first post is counted by address (the device has no code yet), the next ones by device.
    for _ in range(3):
        assert client.post(form_url(live), data=answers(access=4)).status_code == 302
    stopped = client.post(form_url(live), data=answers(access=3, comment="Còn đây"))
    html = stopped.get_data(as_text=True)
    assert stopped.status_code == 429
    assert "Too many answers" in html and "Còn đây" in html
    assert checked(html, "access") == "3"
    [kept] = responses(live)
    assert kept.access == 4


# -- paper forms ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "scores", "visits"),
    [
        ("54453 1", (5, 4, 4, 5, 3), 1),
        ("5 4 4 5 3 1", (5, 4, 4, 5, 3), 1),
        (" 544531 ", (5, 4, 4, 5, 3), 1),
        ("5-453", (5, None, 4, 5, 3), None),
        ("54453-", (5, 4, 4, 5, 3), None),
        ("----- 2", (None,) * 5, 2),
        ("", (None,) * 5, None),
    ],
)
def test_a_tally_line_is_read_as_five_scores_and_the_visits(line, scores, visits):
    read_scores, read_visits = survey.parse_tally(line)
    assert tuple(read_scores[element] for element in SurveyElement) == scores
    assert read_visits == visits


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("54473 1", "Mark 4, “7”, is not a score"),
        ("5a453", "Mark 2, “a”, is not a score"),
        ("54453 3", "The last mark, “3”, is not a number of visits"),
        ("544", "Only 3 of the five scores"),
        ("5445312", "Too many marks"),
        ("54453 10", "Too many marks"),
    ],
)
def test_a_typo_in_a_tally_line_is_named(line, says):
    with pytest.raises(ValidationFailed) as caught:
        survey.parse_tally(line)
    assert says in caught.value.message


@pytest.fixture
def secretary(make_user, live):
    user = make_user(Role.SECRETARY)
    live.secretaries.append(user)
    db.session.commit()
    return user


def paper_url(conference) -> str:
    return f"/conferences/{conference.id}/survey/paper"


JSON = {"Accept": "application/json"}


def test_paper_forms_typed_in_by_keyboard_count_as_paper(client, login, secretary, live):
    login(secretary)
    page = client.get(paper_url(live)).get_data(as_text=True)
    assert re.search(r'<input[^>]*id="tally"[^>]*autofocus', page, re.S)
    assert 'value="1"' in page  # the next form's number

    # Without script: post, then the page again with the cursor in the first box.
    saved = client.post(paper_url(live), data={"tally": "54453 1", "paper_number": "1"})
    assert saved.status_code == 302
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Form No. 1 saved: 54453 1." in page
    assert re.search(r'<input[^>]*id="tally"[^>]*autofocus', page, re.S)
    assert re.search(r'id="paper_number"[^>]*value="2"|value="2"[^>]*id="paper_number"', page)

    # With script: JSON, the new row and counts to put in place.
    result = client.post(
        paper_url(live),
        data={"tally": "5 5 4 - 4 0", "comment": "Cán bộ nhiệt tình", "paper_number": "2"},
        headers=JSON,
    )
    body = result.get_json()
    assert result.status_code == 200 and body["ok"]
    assert body["next_number"] == 3
    assert "554-4 0" in body["row"] and "Cán bộ nhiệt tình" in body["row"]
    assert "2 on paper" in body["summary"]
    first, second = responses(live)
    assert first.source is ResponseSource.PAPER and first.device_key is None
    assert first.entered_by_id == secretary.id and first.paper_number == 1
    assert (second.results, second.visits, second.comment) == (None, 0, "Cán bộ nhiệt tình")


def test_a_typo_is_said_in_place_and_nothing_is_lost(client, login, secretary, live):
    login(secretary)
    refused = client.post(
        paper_url(live),
        data={"tally": "54473 1", "comment": "Giữ nguyên", "paper_number": "7"},
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Mark 4, “7”, is not a score" in html
    assert 'value="54473 1"' in html and 'value="Giữ nguyên"' in html and 'value="7"' in html
    body = client.post(paper_url(live), data={"tally": "5444a"}, headers=JSON)
    assert body.status_code == 422
    assert body.get_json()["field"] == "tally"
    assert "Mark 5, “a”" in body.get_json()["message"]
    empty = client.post(paper_url(live), data={"tally": " "}, headers=JSON).get_json()
    assert "empty" in empty["message"]
    assert responses(live) == []


def test_a_form_number_is_typed_in_once(client, login, secretary, live):
    login(secretary)
    assert (
        client.post(paper_url(live), data={"tally": "55555", "paper_number": "4"}).status_code
        == 302
    )
    again = client.post(paper_url(live), data={"tally": "11111", "paper_number": "4"}, headers=JSON)
    assert again.status_code == 422
    body = again.get_json()
    assert body["field"] == "paper_number" and "Form No. 4 was typed in already" in body["message"]
    assert len(responses(live)) == 1


def test_more_forms_than_people_present_is_a_warning_not_a_refusal(
    app, client, login, secretary, live
):
    db.session.add_all(
        [
            Attendee(conference=live, full_name="Người A", status=AttendanceStatus.PRESENT),
            Attendee(conference=live, full_name="Người B", status=AttendanceStatus.PRESENT),
            Attendee(conference=live, full_name="Người C", status=AttendanceStatus.EXCUSED),
        ]
    )
    db.session.commit()
    phone = app.test_client()
    phone.post(form_url(live), data=answers(access=5))
    login(secretary)
    first = client.post(paper_url(live), data={"tally": "44444"}, headers=JSON).get_json()
    assert first["ok"] and "paper-warning" not in first["summary"]
    second = client.post(paper_url(live), data={"tally": "33333"}, headers=JSON).get_json()
    assert second["ok"]
    assert "3 survey forms (1 online, 2 on paper) but 2 people present" in second["summary"]
    assert len(responses(live)) == 3
    page = client.get(f"/conferences/{live.id}/survey/results").get_data(as_text=True)
    assert "but 2 people present" in page


def test_taking_back_a_form(client, login, make_user, secretary, live):
    login(secretary)
    client.post(paper_url(live), data={"tally": "12345"})
    [mine] = responses(live)
    other = make_user(Role.SECRETARY)
    theirs = survey.record_paper_answer(live, data([3, 3]), paper_number=None, by=other)
    db.session.commit()
    page = client.get(paper_url(live)).get_data(as_text=True)
    assert f"/paper/{mine.id}/delete" in page and f"/paper/{theirs.id}/delete" not in page

    refused = client.post(f"{paper_url(live)}/{theirs.id}/delete", headers=JSON)
    assert refused.status_code == 403 and not refused.get_json()["ok"]
    undone = client.post(f"{paper_url(live)}/{mine.id}/delete", headers=JSON).get_json()
    assert undone["ok"] and "no longer counts" in undone["message"]
    assert [r.id for r in responses(live)] == [theirs.id]


def test_the_chair_reads_paper_forms_but_does_not_type_them(client, login, make_user, live):
    chair = make_user(Role.CHAIR)
    login(chair)
    page = client.get(paper_url(live))
    assert page.status_code == 200 and 'id="paper-form"' not in page.get_data(as_text=True)
    assert client.post(paper_url(live), data={"tally": "55555"}).status_code == 403
    assert responses(live) == []


def test_paper_forms_wait_for_the_conference_to_begin(client, login, make_user, make_conference):
    coming = make_conference(status=ConferenceStatus.ANNOUNCED, announced_dt=_now())
    login(make_user(Role.ORGANISER))
    page = client.get(paper_url(coming)).get_data(as_text=True)
    assert "once the conference has begun" in page and 'id="paper-form"' not in page
    refused = client.post(paper_url(coming), data={"tally": "55555"}, headers=JSON)
    assert (
        refused.status_code == 422
        and "once the conference has begun" in refused.get_json()["message"]
    )
    assert responses(coming) == []


# -- results --------------------------------------------------------------------------------


def add(conference, *scores_and_visits, source=ResponseSource.PAPER, comment=""):
    """A form as it would be saved the day after the 2020 conference."""
    *scores, visits = scores_and_visits
    saved = START_2020 + timedelta(days=1)
    response = SurveyResponse(
        conference=conference,
        source=source,
        visits=visits,
        comment=comment,
        created_dt=saved,
        updated_dt=saved,
    )
    for element, score in zip(SurveyElement, scores, strict=True):
        setattr(response, element.value, score)
    db.session.add(response)
    return response


def test_satisfaction_from_known_answer_sets(live):
    # Access: 3 × 5, 2 × 4, 1 × 3, 1 × 1 → (3 + 2) / 7 = 71,4 %.
    # Procedures: one "satisfied" in eight answers → 12,5 %.
    # Officials: one in sixteen → 6,25 % → 6,3 % (half up, not to even).
    access = [5, 5, 5, 4, 4, 3, 1]
    procedures = [4, 1, 1, 1, 2, 2, 3, 3]
    officials = [5] + [2] * 15
    for index in range(16):
        add(
            live,
            access[index] if index < len(access) else None,
            procedures[index] if index < len(procedures) else None,
            officials[index],
            None,
            None,
            None,
            source=ResponseSource.ONLINE if index % 2 else ResponseSource.PAPER,
        )
    db.session.commit()
    results = survey.survey_results(live)
    by = dict(results.elements)
    assert (results.responses, results.online, results.paper) == (16, 8, 8)
    assert by[ACCESS].responses == 7 and by[ACCESS].rate_text("vi") == "71,4%"
    assert by[ACCESS].count(LikertLevel.VERY_SATISFIED) == 3
    assert by[PROCEDURES].rate_text("vi") == "12,5%" and by[PROCEDURES].responses == 8
    assert by[OFFICIALS].rate_text("vi") == "6,3%" and by[OFFICIALS].rate_text("en") == "6.3%"
    assert by[RESULTS].responses == 0 and by[RESULTS].rate is None
    # Pooled over every answer to the five elements: (5 + 1 + 1) / (7 + 8 + 16) = 22,6 %.
    assert results.overall.responses == 31 and results.overall.rate_text("vi") == "22,6%"
    assert dict(results.visits)[None] == 16
    assert [element for element, _r in results.lowest] == [OFFICIALS]


def test_the_results_page_draws_the_chart_and_its_table(client, login, make_user, live):
    for row in [(5, 5, 4, 3, 2, 0), (4, 4, 4, 4, 4, 1), (1, None, 5, 5, 5, 2)]:
        add(live, *row)
    add(
        live,
        3,
        3,
        3,
        3,
        3,
        None,
        source=ResponseSource.ONLINE,
        comment='<script>alert(1)</script> xem https://lua-dao.example/x và <a href="x">y</a>',
    )
    db.session.commit()
    login(make_user(Role.CHAIR))
    page = client.get(f"/conferences/{live.id}/survey/results")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    # The chart: inline SVG, coloured by classes (no style attribute), described in words.
    assert html.count('class="survey-bar"') == 6
    assert 'role="img"' in html and "style=" not in html.split("<main")[1]
    assert 'aria-describedby="survey-table"' in html and 'id="survey-table"' in html
    assert "Access to the service: satisfied 50.0% of 4 answers" in html
    assert "4 forms answered: 1 online, 3 on paper." in html
    # The comment is text: no markup, no link made of the address.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert 'href="https://lua-dao.example' not in html and 'href="x"' not in html
    assert "https://lua-dao.example/x" in html


def test_results_are_public_once_the_minutes_are_published_without_comments(
    client, make_conference
):
    conference = make_conference(
        status=ConferenceStatus.CLOSED, announced_dt=START_2020, start_dt=START_2020
    )
    add(conference, 5, 5, 5, 5, 5, 0, comment="Số điện thoại của tôi 0912 345 678")
    db.session.commit()
    url = f"/p/{conference.ward.slug}/hoi-nghi/{conference.id}/ket-qua-khao-sat"
    before = client.get(url).get_data(as_text=True)
    assert "published together with the minutes" in before and "survey-bar" not in before
    conference.status = ConferenceStatus.PUBLISHED
    db.session.commit()
    after = client.get(url)
    html = after.get_data(as_text=True)
    assert after.status_code == 200 and "Set-Cookie" not in after.headers
    assert html.count('class="survey-bar"') == 6 and "100.0%" in html
    assert "0912 345 678" not in html
    notice = client.get(f"/p/{conference.ward.slug}/hoi-nghi/{conference.id}").get_data(
        as_text=True
    )
    assert url in notice


def test_exports_hold_one_row_per_form_and_nothing_personal(
    app, client, login, make_user, secretary, live
):
    phone = app.test_client()
    phone.post(form_url(live), data=answers(access=5, visits=2, comment="=1+1 công thức"))
    login(secretary)
    client.post(paper_url(live), data={"tally": "4-321 0", "paper_number": "9"})
    [online, paper] = responses(live)

    content = client.get(f"/conferences/{live.id}/survey/responses.csv")
    assert content.status_code == 200 and "no-store" in content.headers["Cache-Control"]
    text = content.data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["STT", "Hình thức", "Số phiếu giấy", "Tiếp cận dịch vụ"]
    assert rows[1][:9] == ["1", "Trực tuyến", "", "5", "", "", "", "", "2"]
    assert rows[1][9] == "'=1+1 công thức"
    assert rows[2][:9] == ["2", "Phiếu giấy", "9", "4", "", "3", "2", "1", "0"]
    assert len(rows) == 3
    semicolons = client.get(f"/conferences/{live.id}/survey/responses.csv?sep=semicolon")
    assert semicolons.data.decode("utf-8-sig").splitlines()[0].startswith("STT;Hình thức;")

    workbook = client.get(f"/conferences/{live.id}/survey/responses.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    cells = " ".join(str(value) for row in values for value in row if value is not None)
    for exported in (text, cells):
        assert online.device_key not in exported
        assert secretary.display_name not in exported and secretary.username not in exported
    assert any(row[:2] == [2, "Phiếu giấy"] for row in values)


# -- settings -------------------------------------------------------------------------------


def settings_url(conference) -> str:
    return f"/conferences/{conference.id}/survey"


def test_the_wording_starts_from_the_default_then_from_the_ward_s_last_survey(
    make_conference, live
):
    first = survey.ensure_survey(live)
    assert first.closes_on == live.held_start_local.date() + timedelta(days=10)
    assert set(first.questions) == set(survey.QUESTION_CODES)
    assert "Ông/Bà" in first.questions["access"] and "Thạch Bàn" in first.questions["access"]
    first.questions = {**first.questions, "access": "Câu hỏi riêng của phường?"}
    db.session.commit()
    later = make_conference(
        status=ConferenceStatus.ANNOUNCED, start_dt=_now() + timedelta(days=60), planned_end_dt=None
    )
    assert survey.survey_of(later).question("access") == "Câu hỏi riêng của phường?"
    assert survey.find_survey(later) is None  # reading makes nothing


def test_organisers_set_the_last_day_and_the_wording_until_the_first_answer(
    app, client, login, make_user, live
):
    organiser = make_user(Role.ORGANISER)
    login(organiser)
    page = client.get(settings_url(live)).get_data(as_text=True)
    assert 'src="data:image/png;base64,' in page and form_url(live) in page
    values = {code: f"Câu hỏi {code}?" for code in survey.QUESTION_CODES}
    last_day = live.held_start_local.date() + timedelta(days=15)
    saved = client.post(settings_url(live), data={**values, "closes_on": last_day.isoformat()})
    assert saved.status_code == 302
    db.session.commit()
    row = survey.find_survey(live)
    assert row.closes_on == last_day and row.question("visits") == "Câu hỏi visits?"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.entity_type == "surveys"))
    assert event is not None and event.ward_id == live.ward_id

    too_early = client.post(
        settings_url(live),
        data={**values, "closes_on": (last_day - timedelta(days=40)).isoformat()},
    )
    assert too_early.status_code == 422 and "Choose a day from the day of the conference" in (
        too_early.get_data(as_text=True)
    )

    app.test_client().post(form_url(live), data=answers(access=4))
    locked = client.get(settings_url(live)).get_data(as_text=True)
    assert "can no longer be changed" in locked
    later = (last_day + timedelta(days=1)).isoformat()
    changed = client.post(
        settings_url(live), data={"closes_on": later, "access": "Đổi câu hỏi sau khi có phiếu?"}
    )
    assert changed.status_code == 302
    db.session.commit()
    db.session.refresh(row)
    assert row.closes_on.isoformat() == later and row.question("access") == "Câu hỏi access?"
    with pytest.raises(ValidationFailed):
        survey.update_settings(
            live,
            survey.SettingsData(closes_on=row.closes_on, questions={**values, "access": "Mới?"}),
        )


def test_who_may_open_which_survey_page(client, login, make_user, live):
    pages = {
        "settings": settings_url(live),
        "paper": paper_url(live),
        "results": f"/conferences/{live.id}/survey/results",
    }
    expected = {
        Role.ORGANISER: {"settings": 200, "paper": 200, "results": 200},
        Role.CHAIR: {"settings": 200, "paper": 200, "results": 200},
        Role.SECRETARY: {"settings": 403, "paper": 200, "results": 200},
        Role.RESPONDER: {"settings": 403, "paper": 403, "results": 403},
    }
    for role, statuses in expected.items():
        login(make_user(role))
        for name, url in pages.items():
            assert client.get(url).status_code == statuses[name], (role, name)
        client.post("/auth/logout")


def test_the_conference_page_links_the_survey(client, login, make_user, live):
    login(make_user(Role.SECRETARY))
    html = client.get(f"/conferences/{live.id}").get_data(as_text=True)
    assert 'id="survey"' in html
    assert paper_url(live) in html and f"/conferences/{live.id}/survey/results" in html
    assert f'href="{settings_url(live)}"' not in html


# -- where residents find it ------------------------------------------------------------------


def test_the_projector_and_the_notice_show_the_survey_while_it_is_open(client, live, held_2020):
    projector = client.get(f"/p/{live.ward.slug}/hoi-nghi/{live.id}/man-hinh").get_data(
        as_text=True
    )
    assert "projector-survey-qr" in projector and form_url(live) in projector
    notice = client.get(f"/p/{live.ward.slug}/hoi-nghi/{live.id}").get_data(as_text=True)
    assert f'href="{form_url(live)}"' in notice
    closed = client.get(f"/p/{held_2020.ward.slug}/hoi-nghi/{held_2020.id}/man-hinh")
    assert "projector-survey-qr" not in closed.get_data(as_text=True)
    notice = client.get(f"/p/{held_2020.ward.slug}/hoi-nghi/{held_2020.id}").get_data(as_text=True)
    assert form_url(held_2020) not in notice


def test_invitation_letters_print_the_survey_address(app, ward, make_conference, make_person):
    from dialogue.documents.operations import allocate_number

    conference = make_conference(status=ConferenceStatus.ANNOUNCED, announced_dt=_now())
    invitations.invite_person(conference, make_person(full_name="Vũ Thị Hoa"))
    db.session.commit()
    number = allocate_number(ward, DocumentType.INVITATION, conference=conference)
    with app.test_request_context():
        document = letters.compose_letters(
            conference, invitations.invited_attendees(conference), number, _now().date()
        )
        content = letters.render_letters(document)
    assert document.survey_url.endswith(form_url(conference))
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        assert len(pdf.pages) == 1
        text = " ".join(pdf.pages[0].extract_text().split())
        image = pdf.pages[0].to_image(resolution=200).original
    assert "Phiếu khảo sát sự hài lòng (từ khi khai mạc Hội nghị đến hết ngày" in text
    # Two codes: the check-in code, and the survey's own beside its line, carrying its address.
    codes = [code.text for code in zxingcpp.read_barcodes(image)]
    assert len(codes) == 2 and document.survey_url in codes


# -- the minutes ----------------------------------------------------------------------------


@pytest.fixture
def records(ward, make_conference, make_person, make_user):
    return build_records(ward, make_conference, make_person, make_user)


def _notice_context(records, **options):
    draft = compose.draft_or_defaults(records.conference, DocumentType.NOTICE)
    return compose.document_context(records.conference, draft, **options)


def test_the_notice_says_what_the_survey_found_when_the_ward_wants_it(records):
    conference = records.conference
    assert _notice_context(records)["satisfaction"] is None  # no answers yet
    for row in [(5, 4, 3, 2, 1, 0), (4, 4, 4, 4, 4, 1), (5, 2, 5, 5, 5, 2)]:
        add(conference, *row, source=ResponseSource.PAPER)
    add(conference, 5, 3, 4, 4, 4, None, source=ResponseSource.ONLINE)
    db.session.commit()
    published = datetime(2020, 7, 3, 2, tzinfo=UTC)
    context = _notice_context(records, published_dt=published)
    paragraph = context["satisfaction"]
    assert paragraph == (
        "Kết quả khảo sát sự hài lòng của người dân, doanh nghiệp (số liệu tính đến ngày "
        "03/7/2020): có 4 phiếu trả lời (1 phiếu trực tuyến, 3 phiếu giấy); tỷ lệ hài lòng "
        "chung đạt 75,0%; yếu tố có tỷ lệ hài lòng thấp nhất là “Thủ tục hành chính” (50,0%)."
    )
    html = render.render_document_html(context)
    assert paragraph in html.replace("&#34;", '"')
    assert "Đánh giá chung" in html
    # The Word copy of the notice says the same.
    texts = [
        "".join(run.text for run in block.runs)
        for block in minutes_document(context).blocks
        if isinstance(block, Paragraph)
    ]
    assert paragraph in texts
    # The minutes (BB) do not carry it.
    minutes = compose.document_context(
        conference, compose.draft_or_defaults(conference, DocumentType.MINUTES)
    )
    assert minutes["satisfaction"] is None
    # After the last day the figures are final: no "as of".
    final = _notice_context(records, published_dt=datetime(2020, 7, 20, 2, tzinfo=UTC))
    assert "tính đến ngày" not in final["satisfaction"]

    conference.ward.notice_includes_satisfaction = False
    db.session.commit()
    assert _notice_context(records, published_dt=published)["satisfaction"] is None


def test_the_published_minutes_carry_the_survey_s_code_while_it_is_open(records):
    conference = records.conference
    options = {
        "number_label": "05/BB-UBND",
        "version": 1,
        "public_url": "https://dialogue.example/d/Ab3dE5gH",
        "public_code": "Ab3dE5gH",
        "published_dt": datetime(2020, 7, 3, 2, tzinfo=UTC),
    }
    minutes = compose.draft_or_defaults(conference, DocumentType.MINUTES)
    # A ward that never ran the survey gets no second code.
    assert compose.document_context(conference, minutes, **options)["survey"] is None
    survey.ensure_survey(conference)
    db.session.commit()
    with conference_request():
        context = compose.document_context(conference, minutes, **options)
    assert context["survey"]["until"] == "10/7/2020"
    content = render.render_document_pdf(context)
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        last = pdf.pages[-1]
        codes = sorted(
            code.text for code in zxingcpp.read_barcodes(last.to_image(resolution=200).original)
        )
        text = " ".join(last.extract_text().split())
    assert codes == sorted([options["public_url"], f"http://localhost{form_url(conference)}"])
    assert "Phiếu khảo sát sự hài lòng (đến hết ngày 10/7/2020)" in text
    # Published after the last day: the code would lead to a closed form.
    late = {**options, "published_dt": datetime(2020, 7, 11, 2, tzinfo=UTC)}
    assert compose.document_context(conference, minutes, **late)["survey"] is None


def conference_request():
    from flask import current_app

    return current_app.test_request_context()


def test_minutes_publish_with_satisfaction_without_a_request(records, app):
    """Composed by the CLI too: the survey's address is built without a request."""
    add(records.conference, 5, 5, 5, 5, 5, 0)
    survey.ensure_survey(records.conference)
    db.session.commit()
    context = _notice_context(
        records,
        public_url="https://dialogue.example/d/x",
        published_dt=START_2020 + timedelta(days=2),
    )
    assert context["survey"]["url"].endswith(form_url(records.conference))
    assert "tỷ lệ hài lòng chung đạt 100,0%" in context["satisfaction"]


def test_concurrent_first_answers_make_one_survey_row(live):
    survey.record_online_answer(live, data([5]), "a" * 64)
    survey.record_online_answer(live, data([4]), "b" * 64)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Survey)) == 1
    assert utcnow() >= live.start_dt
