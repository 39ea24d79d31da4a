"""The public API: what it shows and hides, its pages, caching, CORS, limits and errors."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from dialogue.auth.models import User
from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.demo.seed import load_demo
from dialogue.extensions import db
from dialogue.followup.listing import ward_today
from dialogue.followup.models import Referral
from dialogue.live.models import Turn
from dialogue.people.models import Person
from dialogue.stats.figures import ward_figures as stats_figures
from dialogue.stats.figures import year_period

API = "/api/v1"


@pytest.fixture
def demo(app):
    ward = load_demo("demo-pass-123", with_history=False)
    db.session.commit()
    return ward


def _all_items(client, url: str) -> list[dict]:
    """Every item of a list, following the cursors; each page checked against the Link header."""
    items = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.json
        items.extend(body["items"])
        if body["next"]:
            assert response.headers["Link"] == f'<{body["next"]}>; rel="next"'
        url = body["next"]
    return items


def test_the_wards_conferences_and_documents_as_residents_see_them(client, demo, make_ward):
    for name, slug in (("Phúc Lợi", "phuc-loi"), ("Bồ Đề", "bo-de"), ("Long Biên", "long-bien")):
        make_ward(name=name, slug=slug, place_name=name)
    draft = Conference(
        ward=demo,
        title="Bản nháp kín",
        start_dt=datetime(2027, 1, 5, 1, tzinfo=UTC),
        status=ConferenceStatus.DRAFT,
    )
    db.session.add(draft)
    db.session.commit()
    wards = _all_items(client, f"{API}/wards?limit=1")
    slugs = [w["slug"] for w in wards]
    assert sorted(slugs) == ["bo-de", "long-bien", "phuc-loi", "thach-ban"]
    assert slugs == sorted(slugs, key=lambda slug: slug.replace("-", " "))
    assert next(w for w in wards if w["slug"] == demo.slug)["display_name"] == "Phường Thạch Bàn"
    found = client.get(f"{API}/wards?q=thach ban").json["items"]
    assert [w["slug"] for w in found] == [demo.slug]

    conferences = _all_items(client, f"{API}/wards/{demo.slug}/conferences?limit=1")
    ids = [c["id"] for c in conferences]
    assert draft.id not in ids and len(ids) == len(set(ids)) >= 3
    published = next(c for c in conferences if c["start"].startswith("2020-06-30"))
    kinds = {d["type"] for d in published["documents"]}
    assert kinds == {"BB", "TB"}
    minutes = next(d for d in published["documents"] if d["type"] == "BB")
    assert minutes["is_current"] and minutes["number"].endswith("/BB-UBND")
    pdf = client.get(minutes["links"]["pdf"].removeprefix("http://localhost"))
    import hashlib

    assert hashlib.sha256(pdf.data).hexdigest() == minutes["pdf_sha256"]
    assert client.get(f"{API}/conferences/{draft.id}").status_code == 404


def test_turns_are_numbered_as_in_the_minutes_and_carry_nothing_personal(client, demo):
    conference = db.session.scalar(
        sa.select(Conference).where(
            Conference.ward_id == demo.id, Conference.plan_number.like("39/%")
        )
    )
    turns = _all_items(client, f"{API}/conferences/{conference.id}/turns?limit=3")
    assert [t["number"] for t in turns] == list(range(1, len(turns) + 1))
    assert len(turns) == 10
    referred = [t for t in turns if t["outcome"] == "referred"]
    assert referred and referred[0]["referral"]["id"] is not None

    everything = json.dumps(turns, ensure_ascii=False)
    everything += client.get(f"{API}/wards/{demo.slug}/referrals?limit=100").get_data(True)
    everything += client.get(f"{API}/wards/{demo.slug}/datasets/2020.json").get_data(True)
    # The ward does not show speakers' names: neither the names typed for turns nor anyone's
    # phone or e-mail appear anywhere.
    assert not demo.shows_speaker_names
    for name in db.session.scalars(sa.select(Turn.speaker_name).where(Turn.speaker_name != "")):
        assert name not in everything
    for phone in db.session.scalars(sa.select(Person.phone).where(Person.phone != "")):
        assert phone not in everything
    for email in db.session.scalars(sa.select(User.email).where(User.email.is_not(None))):
        assert email not in everything


def test_referrals_filter_by_status_and_timeliness(client, demo, monkeypatch):
    every = _all_items(client, f"{API}/wards/{demo.slug}/referrals?limit=7")
    assert len(every) == db.session.scalar(
        sa.select(sa.func.count()).select_from(Referral).where(Referral.ward_id == demo.id)
    )
    for status in {r["status"] for r in every}:
        kept = _all_items(client, f"{API}/wards/{demo.slug}/referrals?status={status}")
        assert kept == [r for r in every if r["status"] == status]
    for timeliness in ("on_time", "late", "open", "overdue"):
        kept = _all_items(client, f"{API}/wards/{demo.slug}/referrals?timeliness={timeliness}")
        assert kept == [r for r in every if r["timeliness"] == timeliness]
    one = every[-1]
    assert client.get(one["links"]["self"].removeprefix("http://localhost")).json == one


def test_figures_are_the_statistics_pages_own(client, demo):
    body = client.get(f"{API}/wards/{demo.slug}/figures?kind=year&year=2020").json
    expected = stats_figures(demo, year_period(2020), today=ward_today(demo))
    assert body["period"] == {
        "kind": "year",
        "start": "2020-01-01",
        "end": "2020-12-31",
        "label": "Năm 2020",
    }
    assert [c["id"] for c in body["conferences"]] == [c.id for c in expected.conferences]
    assert body["attendance"]["present"] == expected.attendance.total.present == 93
    assert body["turns"]["total"]["total"] == expected.turns.total.total == 10
    assert body["dossiers"]["current"]["counts"]["received_online"] == 568
    assert body["dossiers"]["current"]["counts"]["received_desk"] == 2117
    half = client.get(f"{API}/wards/{demo.slug}/figures?kind=half&year=2020&half=1").json
    assert half["turns"] == body["turns"]
    custom = f"{API}/wards/{demo.slug}/figures?kind=custom&start=2020-06-30&end=2020-06-30"
    assert client.get(custom).json["attendance"] == body["attendance"]


@pytest.mark.parametrize(
    "query, name",
    [
        ("limit=101", "limit"),
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("colour=red", "colour"),
        ("cursor=" + "x" * 300, "cursor"),
        ("cursor=forged.signature", "cursor"),
    ],
)
def test_bad_queries_are_problems_that_name_the_parameter(client, demo, query, name):
    response = client.get(f"{API}/wards/{demo.slug}/conferences?{query}")
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    problem = response.json
    assert problem["status"] == 400 and problem["title"] and problem["type"].endswith("400")
    assert name in [error["name"] for error in problem["errors"]]


@pytest.mark.parametrize(
    "query",
    [
        "kind=custom&start=2024-06-01&end=2024-01-01",
        "kind=custom&start=2024-06-01",
        "kind=custom&start=1024-06-01&end=2024-01-01",
        "kind=year&year=99999",
        "kind=half&half=3",
        "kind=decade",
    ],
)
def test_absurd_periods_are_refused(client, demo, query):
    response = client.get(f"{API}/wards/{demo.slug}/figures?{query}")
    assert response.status_code == 400 and response.json["errors"]


def test_a_cursor_of_another_list_is_refused(client, demo):
    cursor = client.get(f"{API}/wards/{demo.slug}/conferences?limit=1").json["next_cursor"]
    response = client.get(f"{API}/wards/{demo.slug}/referrals?cursor={cursor}")
    assert response.status_code == 400 and response.json["errors"][0]["name"] == "cursor"


@pytest.mark.parametrize(
    "path",
    [
        "/wards/nowhere",
        "/wards/THACH-BAN",
        "/wards/thach-ban%00/conferences",
        "/conferences/2147483648",
        "/conferences/99999999999999999999999",
        "/wards/thach-ban/referrals/0",
        "/wards/thach-ban/datasets/1999.csv",
        "/wards/thach-ban/datasets/2099.json",
        "/no/such/route",
    ],
)
def test_unknown_records_are_404_problems(client, demo, path):
    response = client.get(API + path)
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"


def test_an_inactive_ward_is_not_in_the_api(client, demo):
    demo.is_active = False
    db.session.commit()
    assert client.get(f"{API}/wards").json["items"] == []
    assert client.get(f"{API}/wards/{demo.slug}").status_code == 404


def test_the_api_only_reads(client, demo):
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)(f"{API}/wards/{demo.slug}")
        assert response.status_code == 405
        assert response.content_type == "application/problem+json"
        assert "GET" in response.headers["Allow"]


def test_a_kept_answer_is_not_sent_again_to_a_client_that_has_it(client, demo):
    url = f"{API}/wards/{demo.slug}/referrals"
    first = client.get(url)
    kept = client.get(url)  # from memory now, with the headers made with it
    etag = first.headers["ETag"]
    assert kept.headers["ETag"] == etag and kept.data == first.data
    assert "Accept-Encoding" in kept.headers["Vary"] and "public" in kept.headers["Cache-Control"]
    assert kept.headers["Access-Control-Allow-Origin"] == "*"
    assert kept.content_type == "application/json"
    for asked in (etag, f"W/{etag}", "*", f'"something-else", {etag}'):
        again = client.get(url, headers={"If-None-Match": asked})
        assert again.status_code == 304 and again.data == b"", asked
        assert again.headers["ETag"] == etag and "Content-Type" not in again.headers
    assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200
    head = client.head(url)
    assert head.status_code == 200 and head.data == b"" and head.headers["ETag"] == etag


def test_etags_cors_and_caching(client, demo):
    url = f"{API}/wards/{demo.slug}/conferences"
    response = client.get(url, headers={"Origin": "https://bao.example.vn"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    assert "public" in response.headers["Cache-Control"]
    assert "Set-Cookie" not in response.headers
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    preflight = client.options(
        url,
        headers={"Origin": "https://bao.example.vn", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 200
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    # A change to the record changes the answer and its ETag.
    conference = db.session.scalar(sa.select(Conference).where(Conference.ward_id == demo.id))
    conference.venue = "Nhà văn hóa tổ dân phố số 3"
    db.session.commit()
    changed = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != response.headers["ETag"]


@pytest.fixture
def limited_app_config(app_config):
    app_config["RATELIMIT_ENABLED"] = True
    app_config["RATELIMIT_API"] = "3 per minute"
    return app_config


def test_too_many_requests_is_a_problem_with_retry_after(limited_app_config, client, demo):
    statuses = [client.get(f"{API}/wards").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get(f"{API}/wards")
    assert response.content_type == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0


def test_yearly_open_data_with_its_licence(client, demo):
    listing = client.get(f"{API}/wards/{demo.slug}/datasets").json
    assert listing["licence"]["name"].startswith("Creative Commons")
    year = next(item for item in listing["items"] if item["year"] == 2020)
    assert year == {
        "year": 2020,
        "conferences": 1,
        "turns": 10,
        "json": f"http://localhost{API}/wards/{demo.slug}/datasets/2020.json",
        "csv": f"http://localhost{API}/wards/{demo.slug}/datasets/2020.csv",
    }
    as_json = client.get(year["json"])
    assert as_json.json["licence"] == listing["licence"]
    assert 'rel="license"' in as_json.headers["Link"]
    as_csv = client.get(year["csv"])
    assert as_csv.data.startswith(b"\xef\xbb\xbf")
    assert "attachment" in as_csv.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(as_csv.data.decode("utf-8-sig"))))
    assert [row["question"] for row in rows] == [t["question"] for t in as_json.json["turns"]]
    assert rows[0]["conference_date"] == "2020-06-30"
    assert {row["outcome"] for row in rows} == {"answered", "referred"}


def test_the_document_lists_every_route_of_the_api(app, client):
    document = client.get(f"{API}/openapi.json").json
    assert document["openapi"] == "3.1.0"
    documented = {path for path in document["paths"]}
    routes = {
        rule.rule.replace("<", "{").replace(">", "}")
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.endpoint not in ("api.openapi", "api.docs")
    }
    simplified = {_plain(route) for route in routes}
    assert simplified == documented


def _plain(rule: str) -> str:
    """``{int(max=…):conference_id}`` as the document writes it: ``{conference_id}``."""
    import re

    return re.sub(r"\{[^}:]*:([a-z_]+)\}", r"{\1}", rule)


def test_the_reference_page(client):
    page = client.get(f"{API}/docs")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "vendor/swagger-ui/swagger-ui-bundle.js" in text
    assert 'data-document="/api/v1/openapi.json"' in text
    assert 'id="problem-404"' in text
    with client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js") as script:
        assert script.status_code == 200


def test_kept_answers_follow_every_change_of_what_they_show(client, demo, monkeypatch):
    conference = db.session.scalar(
        sa.select(Conference).where(
            Conference.ward_id == demo.id, Conference.plan_number.like("39/%")
        )
    )
    turns_url = f"{API}/conferences/{conference.id}/turns?limit=100"
    referrals_url = f"{API}/wards/{demo.slug}/referrals?limit=100"
    first_turns = client.get(turns_url).json
    first_referrals = client.get(referrals_url).json
    assert client.get(turns_url).json == first_turns  # kept, the same
    turn = db.session.get(Turn, first_turns["items"][0]["id"])
    turn.answer = "Câu trả lời đã được sửa lại."
    db.session.commit()
    assert client.get(turns_url).json["items"][0]["answer"] == "Câu trả lời đã được sửa lại."
    # A referral still open turns overdue when the ward's calendar passes its due date.
    open_one = next(r for r in first_referrals["items"] if r["timeliness"] == "open")
    due = datetime.fromisoformat(open_one["due_date"]).replace(tzinfo=UTC)
    import dialogue.api.kept as kept_module
    import dialogue.followup.listing as listing

    later = due + timedelta(days=3)
    monkeypatch.setattr(kept_module, "utcnow", lambda: later)
    monkeypatch.setattr(listing, "utcnow", lambda: later)
    again = {r["id"]: r for r in client.get(referrals_url).json["items"]}
    assert again[open_one["id"]]["timeliness"] == "overdue"
