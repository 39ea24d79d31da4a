"""One save the server will not take never holds up the console's outbox, in Chromium: a turn
the server fails on is tried three times, then set aside while the turns after it are saved;
a turn or a change the server refuses is set aside at once. Set aside, it stays in the list
with the server's reason across a reload, to be corrected and saved again, or discarded. A
server failing on everything sets nothing aside: the turns wait, as without a connection."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from dialogue.auth.models import Role
from dialogue.conferences.models import ConferenceStatus
from dialogue.extensions import db
from dialogue.wards.models import ResidentialGroup
from tests.browser.support import sign_in, until
from tests.browser.test_console import _shot, _watch_console
from tests.browser.test_console_offline import OUTBOX, _cut_network, _restore_network, _save, _turns

pytestmark = pytest.mark.browser

# How often the console sends a turn the server fails on before setting it aside (outbox.js).
SERVER_ATTEMPTS = 3

# What the database refuses in a turn's question (the symbol for NUL: as PostgreSQL refused
# a NUL before text was cleaned on the way in).
REFUSED = "\u2400"

# Written for both databases: the row is refused by the database itself, as a NUL was.
REFUSING_TRIGGER = {
    "sqlite": [
        f"""CREATE TRIGGER refuse_marked_turn BEFORE INSERT ON turns
        WHEN instr(NEW.question, '{REFUSED}') > 0
        BEGIN SELECT RAISE(ABORT, 'the database refuses this text'); END"""
    ],
    "postgresql": [
        f"""CREATE FUNCTION refuse_marked_turn() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF position('{REFUSED}' in NEW.question) > 0 THEN
            RAISE EXCEPTION 'the database refuses this text';
          END IF;
          RETURN NEW;
        END $$""",
        """CREATE TRIGGER refuse_marked_turn BEFORE INSERT ON turns
        FOR EACH ROW EXECUTE FUNCTION refuse_marked_turn()""",
    ],
}
DROP_TRIGGER = {
    "sqlite": ["DROP TRIGGER IF EXISTS refuse_marked_turn"],
    "postgresql": [
        "DROP TRIGGER IF EXISTS refuse_marked_turn ON turns",
        "DROP FUNCTION IF EXISTS refuse_marked_turn()",
    ],
}


@pytest.fixture
def app_config(app_config):
    # The application's own error page answers a failure, as in production (not the test
    # server's), so that its message reaches the console.
    return {**app_config, "PROPAGATE_EXCEPTIONS": False}


@pytest.fixture
def refusing_database(app):
    """The database refuses, with an error, any turn whose question holds ``REFUSED``."""
    dialect = db.engine.dialect.name
    with db.engine.begin() as connection:
        for statement in REFUSING_TRIGGER[dialect]:
            connection.exec_driver_sql(statement)
    yield
    db.session.remove()
    with db.engine.begin() as connection:
        for statement in DROP_TRIGGER[dialect]:
            connection.exec_driver_sql(statement)


@pytest.fixture
def hall(make_conference, make_user):
    """A conference under way for an hour, and its secretary."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    conference = make_conference(
        status=ConferenceStatus.IN_PROGRESS, start_dt=start, started_dt=start
    )
    secretary = make_user(Role.SECRETARY)
    conference.secretaries.append(secretary)
    db.session.commit()
    return conference, secretary


def _outbox(page) -> list[dict]:
    kept = page.evaluate(OUTBOX)
    return json.loads(kept[0]) if kept else []


def _saves(page) -> list[int]:
    """The statuses of the answers to new turns sent by ``page``, in order."""
    statuses: list[int] = []
    page.on(
        "response",
        lambda response: (
            statuses.append(response.status)
            if response.request.method == "POST" and re.search(r"/live/turns$", response.url)
            else None
        ),
    )
    return statuses


def test_a_turn_the_server_fails_on_is_set_aside_and_the_others_are_saved(
    app, page, live_server, hall, refusing_database
):
    conference, secretary = hall
    problems = _watch_console(page)
    statuses = _saves(page)
    sign_in(page, live_server, secretary)
    page.goto(f"{live_server}/conferences/{conference.id}/live/")
    expect(page.locator("#net-state")).to_have_class(re.compile("net-online"))

    # Three turns saved without a connection; the first one holds text the database refuses.
    _cut_network(page, app, secretary)
    bad = f"Hộ nghèo: hồ sơ dán từ tệp {REFUSED} nộp ở đâu?"
    _save(page, "Bà Nguyễn Thị Lan", bad)
    _save(page, "Ông Trần Văn Bình", "Trợ cấp người cao tuổi nhận ở đâu?")
    _save(page, "Bà Lê Thị Hoa", "Giấy phép xây dựng mất bao lâu?")
    expect(page.locator("#turn-list .turn.is-queued")).to_have_count(3)

    # Back online: the first fails on the server each time it is sent; the two after it are
    # saved meanwhile, and after three failures it is set aside, still in the list.
    _restore_network(page, app)
    aside = page.locator("#turn-list .turn.is-set-aside")
    expect(aside).to_have_count(1, timeout=30_000)
    expect(aside).to_contain_text("Hộ nghèo")
    expect(aside.locator(".turn-note")).to_contain_text("Để riêng, chưa lưu")
    expect(aside.locator(".turn-note")).to_contain_text("Các lượt khác vẫn được gửi")
    expect(aside.locator("button.send-again")).to_be_visible()
    expect(aside.locator("button.discard")).to_be_visible()
    expect(page.locator("#turn-list .turn:not(.is-queued) .turn-number")).to_have_text(["1", "2"])
    assert [t.question for t in _turns(conference.id)] == [
        "Trợ cấp người cao tuổi nhận ở đâu?",
        "Giấy phép xây dựng mất bao lâu?",
    ]
    # The page can show a turn as saved before the test has heard the answer that saved it.
    until(page, lambda: len(statuses) >= SERVER_ATTEMPTS + 2)
    assert statuses.count(500) == SERVER_ATTEMPTS and statuses.count(200) == 2, statuses
    expect(page.locator("#net-state")).to_contain_text("1 lượt để riêng")
    expect(page.locator("#net-state")).not_to_have_class(re.compile("net-offline"))
    # The form was free: the turn set aside is in it, the server's reason above it.
    expect(page.locator("#form-heading")).to_have_text("Sửa lượt phát biểu đang chờ gửi")
    expect(page.locator("#question")).to_have_value(bad)
    expect(page.locator("#console-message .flash-error")).to_contain_text("Chưa lưu: ")
    _shot(page, "refused-1-set-aside")
    [kept] = _outbox(page)
    assert (kept["state"], kept["status"], kept["data"]["question"]) == ("error", 500, bad)

    # It stays set aside across a reload, and is not sent again by itself.
    page.reload()
    expect(aside).to_have_count(1)
    expect(aside.locator(".turn-note")).to_contain_text("Để riêng, chưa lưu")
    expect(page.locator("#question")).to_have_value(bad)
    page.wait_for_timeout(2000)
    assert statuses.count(500) == SERVER_ATTEMPTS, statuses
    _shot(page, "refused-2-after-reload")

    # Corrected and saved: it takes its place, first, as it was spoken first.
    aside.get_by_role("button", name="Sửa").click()
    page.locator("#question").fill("Hộ nghèo: hồ sơ dán từ tệp nộp ở đâu?")
    page.keyboard.press("Control+Enter")
    expect(aside).to_have_count(0, timeout=15_000)
    expect(page.locator("#turn-list .turn.is-queued")).to_have_count(0)
    expect(page.locator("#turn-list .turn .turn-number")).to_have_text(["1", "2", "3"])
    expect(page.locator("#turn-list .turn-question").first).to_have_text(
        "Hộ nghèo: hồ sơ dán từ tệp nộp ở đâu?"
    )
    expect(page.locator("#net-state")).to_have_class(re.compile("net-online"))
    turns = _turns(conference.id)
    assert [t.question[:8] for t in turns] == ["Hộ nghèo", "Trợ cấp ", "Giấy phé"]
    assert turns[0].speaker_name == "Bà Nguyễn Thị Lan"
    assert turns[0].client_key == kept["client_key"]
    assert _outbox(page) == []
    _shot(page, "refused-3-corrected")
    assert problems == []


def test_a_turn_and_a_change_the_server_refuses_wait_aside_to_be_discarded(
    page, live_server, hall, ward
):
    conference, secretary = hall
    # A group no one present belongs to, removed from the ward while the turns wait offline.
    group = ResidentialGroup(ward=ward, number=12, name="Tổ dân phố số 12")
    db.session.add(group)
    db.session.commit()
    problems = _watch_console(page)
    statuses = _saves(page)
    sign_in(page, live_server, secretary)
    page.goto(f"{live_server}/conferences/{conference.id}/live/")
    expect(page.locator("#net-state")).to_have_class(re.compile("net-online"))
    _save(page, "Ông Phạm Văn Tâm", "Đăng ký tạm trú cho người thuê trọ?")
    expect(page.locator("#turn-list .turn .turn-number")).to_have_text(["1"])
    [saved] = _turns(conference.id)

    # Offline: the saved turn is changed to that group, and a new turn too, then another.
    page.context.set_offline(True)
    expect(page.locator("#net-state")).to_have_class(re.compile("net-offline"))
    page.locator(f"#turn-{saved.id}").get_by_role("button", name="Sửa").click()
    page.locator("#speaker_group_id").select_option(label="Tổ dân phố số 12")
    page.keyboard.press("Control+Enter")
    expect(page.locator(f"#turn-{saved.id}")).to_have_class(re.compile("has-waiting"))
    page.locator("#speaker_group_id").select_option(label="Tổ dân phố số 12")
    _save(page, "Bà Đinh Thị Thu", "Cấp lại căn cước bị mất?")
    _save(page, "Ông Hồ Văn Sơn", "Đèn đường ngõ 12 hỏng?")
    expect(page.locator("#turn-list .turn.is-queued")).to_have_count(2)
    db.session.delete(group)
    db.session.commit()

    # Back online: both refused at once with the server's reason; the last one is saved.
    page.context.set_offline(False)
    changed = page.locator(f"#turn-{saved.id}")
    new = page.locator("#turn-list .turn.is-queued")
    expect(new).to_have_count(1, timeout=20_000)
    expect(new).to_have_class(re.compile("is-set-aside"), timeout=20_000)
    expect(changed).to_have_class(re.compile("is-set-aside"))
    for node in (new, changed):
        expect(node.locator(".turn-note")).to_contain_text("Tổ dân phố này không thuộc phường.")
    expect(page.locator("#turn-list .turn:not(.is-queued) .turn-number")).to_have_text(["1", "2"])
    assert [t.question for t in _turns(conference.id)] == [
        "Đăng ký tạm trú cho người thuê trọ?",
        "Đèn đường ngõ 12 hỏng?",
    ]
    # Refused for what they say: each sent once, no more.
    until(page, lambda: len(statuses) >= 3)
    assert statuses == [200, 400, 200], statuses
    # Only after server errors is "send again as it is" offered.
    expect(page.locator("#turn-list button.send-again")).to_have_count(0)
    expect(page.locator("#net-state")).to_contain_text("2 lượt để riêng")
    _shot(page, "refused-4-refused")

    # Across a reload both are still there; each can be discarded.
    page.reload()
    expect(new).to_have_class(re.compile("is-set-aside"))
    expect(changed).to_have_class(re.compile("is-set-aside"))
    page.once("dialog", lambda dialog: dialog.accept())
    new.locator("button.discard").click()
    expect(page.locator("#turn-list .turn.is-queued")).to_have_count(0)
    page.once("dialog", lambda dialog: dialog.accept())
    changed.get_by_role("button", name="Bỏ thay đổi").click()
    expect(changed).not_to_have_class(re.compile("has-waiting"))
    expect(changed.locator(".turn-group")).to_have_count(0)
    expect(page.locator("#net-state")).to_have_class(re.compile("net-online"))
    expect(page.locator("#net-state")).not_to_contain_text("để riêng")
    assert _outbox(page) == []
    assert _turns(conference.id)[0].speaker_group_id is None
    _shot(page, "refused-5-discarded")
    assert problems == []


def test_a_server_failing_on_everything_sets_nothing_aside(page, live_server, hall):
    conference, secretary = hall
    problems = _watch_console(page)
    statuses = _saves(page)
    sign_in(page, live_server, secretary)
    page.goto(f"{live_server}/conferences/{conference.id}/live/")
    expect(page.locator("#net-state")).to_have_class(re.compile("net-online"))

    # The turns' table goes away for a while (a restore, a migration gone wrong): every
    # request that reads it fails, the list of turns the console asks for too.
    db.session.remove()
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL lock_timeout = '5s'")
        connection.exec_driver_sql("ALTER TABLE turns RENAME TO turns_away")
    try:
        _save(page, "Bà Vương Thị Hạnh", "Sổ hộ khẩu giấy còn dùng được không?")
        _save(page, "Ông Lý Văn Phúc", "Đường ống nước ngõ 5 vỡ?")
        until(page, lambda: statuses.count(500) > SERVER_ATTEMPTS, seconds=30)
        # Tried more often than a save of its own would be before it is set aside: it is the
        # server that fails, not the turn. Both wait, as without a connection.
        assert statuses.count(500) > SERVER_ATTEMPTS, statuses
        expect(page.locator("#net-state")).to_contain_text("Máy chủ chưa phản hồi")
        expect(page.locator("#turn-list .turn.is-set-aside")).to_have_count(0)
        expect(page.locator("#turn-list .turn.is-queued")).to_have_count(2)
        _shot(page, "refused-6-server-failing")
    finally:
        with db.engine.begin() as connection:
            connection.exec_driver_sql("ALTER TABLE turns_away RENAME TO turns")

    # The server is back: both are saved, once each.
    expect(page.locator("#turn-list .turn.is-queued")).to_have_count(0, timeout=20_000)
    expect(page.locator("#turn-list .turn .turn-number")).to_have_text(["1", "2"])
    expect(page.locator("#net-state")).to_have_class(re.compile("net-online"))
    assert [t.question[:7] for t in _turns(conference.id)] == ["Sổ hộ k", "Đường ố"]
    assert _outbox(page) == []
    assert problems == []
