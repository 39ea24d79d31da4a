"""Each ward's version, raised by the database on every change, and the API's prepared answers."""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from dialogue.api.kept import PreparedMemory
from dialogue.api.models import PreparedAnswer, WardVersion
from dialogue.api.prepared import prepare, stale_wards
from dialogue.conferences.models import Conference
from dialogue.core.database import AUTOCOMMIT_ENGINE_KEY
from dialogue.demo.seed import load_demo
from dialogue.extensions import db
from dialogue.followup.models import Referral
from dialogue.live.models import Turn
from dialogue.wards.models import Unit

API = "/api/v1"


@pytest.fixture
def app_config(app_config):
    # The address residents use: the test client's.
    return {**app_config, "DIALOGUE_PUBLIC_URL": "http://localhost"}


@pytest.fixture
def demo(app):
    ward = load_demo("demo-pass-123", with_history=False)
    db.session.commit()
    return ward


def _version(ward_id: int) -> int:
    db.session.rollback()  # a new snapshot
    return db.session.get(WardVersion, ward_id).version


def _change(statement: str, **params) -> None:
    with db.engine.begin() as connection:
        connection.execute(sa.text(statement), params)


def test_every_change_to_a_wards_public_record_raises_its_version(demo, make_ward):
    other = make_ward()
    db.session.commit()
    conference = db.session.scalar(sa.select(Conference).where(Conference.ward_id == demo.id))
    turn = db.session.scalar(sa.select(Turn).where(Turn.conference_id == conference.id))
    referral = db.session.scalar(sa.select(Referral).where(Referral.ward_id == demo.id))
    unit = db.session.scalar(sa.select(Unit).where(Unit.ward_id == demo.id))
    changes = [
        ("UPDATE wards SET name = name WHERE id = :id", {"id": demo.id}),
        ("UPDATE conferences SET venue = 'Hội trường' WHERE id = :id", {"id": conference.id}),
        ("UPDATE turns SET answer = answer || '.' WHERE id = :id", {"id": turn.id}),
        ("UPDATE referrals SET due_date = due_date WHERE id = :id", {"id": referral.id}),
        ("UPDATE units SET name = name || ' ' WHERE id = :id", {"id": unit.id}),
        ("UPDATE procedure_areas SET name_vi = name_vi WHERE ward_id = :id", {"id": demo.id}),
        ("UPDATE residential_groups SET name = name WHERE ward_id = :id", {"id": demo.id}),
        (
            "UPDATE written_answers SET body = body || '.' WHERE status != 'published' "
            "AND referral_id IN (SELECT id FROM referrals WHERE ward_id = :id)",
            {"id": demo.id},
        ),
        ("DELETE FROM turns WHERE id = :id", {"id": turn.id}),
    ]
    others = _version(other.id)
    for statement, params in changes:
        before = _version(demo.id)
        _change(statement, **params)
        assert _version(demo.id) > before, statement
    # A new conference raises it too, and another ward's version never moved.
    before = _version(demo.id)
    db.session.add(
        Conference(ward=demo, title="Hội nghị mới", start_dt=datetime(2027, 1, 5, 1, tzinfo=UTC))
    )
    db.session.commit()
    assert _version(demo.id) == before + 1
    assert _version(other.id) == others


def test_a_wards_answers_are_prepared_at_the_public_address_and_served(client, demo):
    done = prepare()
    assert done.wards == 1
    rows = db.session.scalars(sa.select(PreparedAnswer).order_by(PreparedAnswer.address)).all()
    addresses = {row.address for row in rows}
    conferences = client.get(f"{API}/wards/{demo.slug}/conferences?limit=100").json["items"]
    assert addresses == {
        f"http://localhost{API}/wards/{demo.slug}",
        f"http://localhost{API}/wards/{demo.slug}/conferences",
        f"http://localhost{API}/wards/{demo.slug}/referrals",
        *(f"http://localhost{API}/conferences/{c['id']}" for c in conferences),
        *(f"http://localhost{API}/conferences/{c['id']}/turns" for c in conferences),
    }
    # Each is the answer the view makes when asked, byte for byte, with its ETag and Link.
    for row in rows:
        path = row.address.removeprefix("http://localhost")
        fresh = client.get(path, headers={"Cache-Control": "no-cache"})
        assert zlib.decompress(row.body) == fresh.data
        assert fresh.headers["ETag"] == f'"{row.etag}"'
        assert fresh.headers.get("Link", "") == row.link
    # Nothing to do until something changes.
    assert prepare().wards == 0 and stale_wards() == []


def test_a_prepared_answer_is_served_only_for_the_version_it_was_made_for(app, demo):
    prepare()
    path = f"{API}/wards/{demo.slug}/conferences"
    # What is stored is what is served: a stored answer altered here comes back as it is.
    marked = json.dumps({"items": [], "next": None, "next_cursor": None}).encode()
    _change(
        "UPDATE api_prepared_answers SET body = :body WHERE address = :address",
        body=zlib.compress(marked),
        address=f"http://localhost{path}",
    )
    assert app.test_client().get(path).data == marked  # a new process: nothing in memory
    # The ward changes: the prepared answer is for an older version, and the answer shows the
    # change at once, before anything is prepared again.
    conference = db.session.scalar(sa.select(Conference).where(Conference.ward_id == demo.id))
    _change("UPDATE conferences SET venue = 'Nhà văn hóa tổ 5' WHERE id = :id", id=conference.id)
    answer = app.test_client().get(path).json
    assert any(item["venue"] == "Nhà văn hóa tổ 5" for item in answer["items"])
    assert [ward.id for ward in stale_wards()] == [demo.id]
    assert prepare().wards == 1
    stored = db.session.scalar(
        sa.select(PreparedAnswer.body).where(PreparedAnswer.address == f"http://localhost{path}")
    )
    assert json.loads(zlib.decompress(stored)) == answer


def test_answers_prepared_for_another_day_are_stale(demo):
    prepare()
    yesterday = (datetime.now(UTC) - timedelta(days=2)).date()
    _change("UPDATE api_prepared_answers SET day = :day", day=yesterday)
    assert [ward.id for ward in stale_wards()] == [demo.id]


def test_an_answer_prepared_for_the_public_address_is_not_sent_to_another(app, demo):
    prepare()
    path = f"{API}/wards/{demo.slug}"
    _change(
        "UPDATE api_prepared_answers SET body = :body WHERE address = :address",
        body=zlib.compress(b"{}"),
        address=f"http://localhost{path}",
    )
    answer = app.test_client().get(path, base_url="https://xa.example.vn")
    assert answer.json["slug"] == demo.slug


def test_the_command_prepares_and_says_what_it_did(app, demo, runner):
    result = runner.invoke(args=["dialogue", "prepare-api", "--ward", demo.slug])
    assert result.exit_code == 0, result.output
    assert "ward" in result.output or "phường" in result.output
    app.config["DIALOGUE_PUBLIC_URL"] = None
    result = runner.invoke(args=["dialogue", "prepare-api"])
    assert result.exit_code != 0 and "DIALOGUE_PUBLIC_URL" in result.output


def _statements(app) -> list[str]:
    """Every statement the application's engines run from now on."""
    seen: list[str] = []
    for engine in (db.engine, app.extensions.get(AUTOCOMMIT_ENGINE_KEY)):
        if engine is not None:
            sa.event.listen(
                engine,
                "before_cursor_execute",
                lambda connection, cursor, statement, *rest: seen.append(statement),
            )
    return seen


def test_a_wards_prepared_answers_are_read_at_once_and_served_from_memory(app, demo):
    prepare()
    prepared = db.session.execute(sa.select(PreparedAnswer.address, PreparedAnswer.body)).all()
    db.session.commit()
    client = app.test_client()
    seen = _statements(app)
    assert client.get(f"{API}/wards/{demo.slug}").status_code == 200
    # Every other address of the ward, its conferences asked for by their ids included.
    others = [row for row in prepared if not row.address.endswith(f"/wards/{demo.slug}")]
    assert any("/conferences/" in row.address for row in others)
    for address, body in others:
        answer = client.get(address.removeprefix("http://localhost"))
        assert answer.status_code == 200 and answer.data == zlib.decompress(body)
    whole_ward = [each for each in seen if "UNION ALL" in each]
    by_conference = [each for each in seen if "SELECT ward_id FROM conferences" in each]
    alone = [each for each in seen if "api_prepared_answers" in each and "UNION ALL" not in each]
    # The ward's answers read once; the conferences' ward known from that read; no answer
    # read on its own but the first one's, beside its stamp.
    assert len(whole_ward) == 1
    assert by_conference == []
    assert len(alone) <= 1 + len(others)  # the stamp's statement names the table too
    assert all("a.address = " in each for each in alone)


def test_answers_read_for_a_version_are_not_served_for_another(app, demo):
    prepare()
    client = app.test_client()
    path = f"{API}/wards/{demo.slug}/conferences"
    before = client.get(path).json
    conference = db.session.scalar(sa.select(Conference).where(Conference.ward_id == demo.id))
    _change("UPDATE conferences SET venue = 'Nhà văn hóa tổ 7' WHERE id = :id", id=conference.id)
    after = client.get(path).json
    assert after != before
    assert any(item["venue"] == "Nhà văn hóa tổ 7" for item in after["items"])


def test_the_prepared_memory_keeps_to_its_budget(app, demo, make_ward):
    prepare()
    memory = PreparedMemory(budget=1)
    with app.test_request_context():
        ward_version = _version(demo.id)
        today = datetime.now(UTC).date()
        memory.answer(demo.id, ward_version, today, "http://localhost/none")
        assert memory.holds(demo.id, ward_version)
        # Over the budget the ward asked about least recently goes; the last one always stays.
        other = make_ward()
        db.session.commit()
        memory.answer(other.id, _version(other.id), today, "http://localhost/none")
        assert not memory.holds(demo.id, ward_version)
        assert memory.holds(other.id, _version(other.id))
