"""Speaking turns: logging, editing with versions, withdrawing, the speaking order, concurrency."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from dialogue.attendance.models import AttendanceStatus, Attendee
from dialogue.audit.models import AuditEvent
from dialogue.auth.models import Role, User
from dialogue.conferences.models import ConferenceStatus
from dialogue.core.database import begin_immediately
from dialogue.errors import ValidationFailed
from dialogue.extensions import db
from dialogue.live import operations
from dialogue.live.models import LiveEvent, Turn, TurnOutcome
from dialogue.live.operations import TurnData
from dialogue.wards.models import ResidentialGroup, Unit


@pytest.fixture
def app_config(app_config):
    # Messages are checked in English here; the Vietnamese catalogue has tests of its own.
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def groups(ward):
    groups = [ResidentialGroup(ward=ward, number=n, name=f"Tổ dân phố số {n}") for n in (5, 9, 12)]
    db.session.add_all(groups)
    db.session.commit()
    return groups


@pytest.fixture
def unit(ward):
    unit = Unit(ward=ward, name="Bộ phận Một cửa")
    db.session.add(unit)
    db.session.commit()
    return unit


@pytest.fixture
def conference(make_conference):
    return make_conference(status=ConferenceStatus.IN_PROGRESS)


@pytest.fixture
def secretary(make_user, conference):
    user = make_user(Role.SECRETARY)
    conference.secretaries.append(user)
    db.session.commit()
    return user


def _area(ward, code):
    return next(area for area in ward.procedure_areas if area.code == code)


def _events(conference) -> list[LiveEvent]:
    return db.session.scalars(
        sa.select(LiveEvent)
        .where(LiveEvent.conference_id == conference.id)
        .order_by(LiveEvent.sequence)
    ).all()


def _log(conference, by, question="Thủ tục cấp giấy chứng nhận mất bao lâu?", **values):
    client_key = values.pop("client_key", None)
    logged = operations.log_turn(
        conference, TurnData(question=question, **values), by=by, client_key=client_key
    )
    db.session.commit()
    return logged.turn


# -- logging ------------------------------------------------------------------------------------


def test_turns_are_numbered_in_speaking_order_and_announced(conference, secretary, groups):
    first = _log(conference, secretary, speaker_name="Nguyễn Văn A", speaker_group_id=groups[1].id)
    second = _log(conference, secretary, question="Hồ sơ khai sinh cần những gì?")
    assert (first.position, second.position) == (1, 2)
    assert first.version == 1
    assert first.created_by == secretary and first.updated_by == secretary
    events = _events(conference)
    assert [(e.sequence, e.kind) for e in events] == [(1, "turn.created"), (2, "turn.created")]
    assert events[0].staff_payload["turn"]["speaker"] == "Nguyễn Văn A"
    # Residents see the group, not the name (the ward did not choose to show names).
    assert events[0].public_payload["turn"]["speaker"] == "Công dân tổ dân phố số 9"
    assert conference.live_sequence == 2


def test_a_repeated_client_key_returns_the_same_turn(conference, secretary):
    data = TurnData(question="Câu hỏi về đất đai")
    first = operations.log_turn(conference, data, by=secretary, client_key="k-123456789")
    db.session.commit()
    again = operations.log_turn(conference, data, by=secretary, client_key="k-123456789")
    db.session.commit()
    assert first.created and not again.created
    assert again.turn.id == first.turn.id
    assert db.session.scalar(sa.select(sa.func.count(Turn.id))) == 1
    assert len(_events(conference)) == 1
    # The twins' numbers were given back: the next event is 2, no gap for screens to wait on.
    db.session.refresh(conference)
    assert conference.live_sequence == 1


def _statements_from_the_lock(action) -> list[str]:
    """What ``action`` sends the database from the conference's row lock on, first words each."""
    sent = []

    def note(conn, cursor, statement, parameters, context, executemany):
        words = " ".join(statement.split()[:3])
        if sent or words.startswith("UPDATE conferences"):
            sent.append(words)

    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        result = action()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)
    return result, sent


def test_under_the_lock_a_save_sends_its_rows_and_nothing_else(conference, secretary, groups, ward):
    # The other secretaries' saves wait for this part: the number, the order's last turn (and
    # a twin's) in one read, then the turn, its audit row and its event, one INSERT each.
    _log(conference, secretary)
    area = _area(ward, "DD")
    # As in a request: the signed-in user was read when it began.
    db.session.refresh(secretary)
    data = TurnData(
        question="Thủ tục đăng ký kết hôn?",
        speaker_name="Trần Thị C",
        speaker_group_id=groups[0].id,
        procedure_area_id=area.id,
        outcome=TurnOutcome.ANSWERED,
        answerer_name="Ông Nguyễn Văn B - Phó Chủ tịch UBND phường",
        answer="Trong ngày.",
    )
    logged, sent = _statements_from_the_lock(
        lambda: operations.log_turn(conference, data, by=secretary, client_key="k-lean-0001")
    )
    assert sent == [
        "UPDATE conferences SET",
        "SELECT (SELECT turns.id",
        "INSERT INTO turns",
        "INSERT INTO audit_events",
        "INSERT INTO live_events",
    ]
    turn = logged.turn
    # The turn is as if it had been read: its columns and the rows it names need no query,
    # and nothing about it is left for a flush.
    _, read = _statements_from_the_lock(
        lambda: (
            operations.turn_payload(turn),
            operations.turn_payload(turn, public=True),
            turn.created_dt,
            turn.referral,
        )
    )
    assert read == []
    assert turn not in db.session.dirty and turn not in db.session.new
    assert logged.payload == operations.turn_payload(turn)
    db.session.commit()
    # What was stored is what the object said, and the audit row is the one a flush records.
    db.session.expire_all()
    stored = db.session.get(Turn, turn.id)
    assert (stored.position, stored.version, stored.client_key) == (2, 1, "k-lean-0001")
    assert (stored.speaker_group, stored.procedure_area) == (groups[0], area)
    assert stored.created_by == secretary and stored.updated_by == secretary
    assert stored.answer == "Trong ngày." and stored.outcome is TurnOutcome.ANSWERED
    rows = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.entity_type == "turns", AuditEvent.action == "create")
        .order_by(AuditEvent.id)
    ).all()
    assert len(rows) == 2
    flushed, inserted = rows
    assert flushed.entity_id != inserted.entity_id == turn.id
    assert set(inserted.changes) == set(flushed.changes)
    assert inserted.changes["position"] == [None, 2]
    assert inserted.changes["speaker_group_id"] == [None, groups[0].id]
    assert inserted.changes["outcome"] == [None, "answered"]
    assert (inserted.ward_id, inserted.actor) == (flushed.ward_id, flushed.actor)


def test_a_save_rolled_back_leaves_nothing_behind_in_the_session(conference, secretary):
    # The turn inserted without a flush leaves the session with its row, as a flushed one
    # does: read again it is not there, and the next save (which may reuse its id) is fine.
    first = _log(conference, secretary).id
    nested = db.session.begin_nested()
    inner = operations.log_turn(conference, TurnData(question="Trong điểm lưu"), by=secretary)
    nested.rollback()
    assert sa.inspect(inner.turn).transient
    rolled = operations.log_turn(conference, TurnData(question="Sẽ bị huỷ"), by=secretary)
    db.session.rollback()
    assert sa.inspect(rolled.turn).transient
    kept = _log(conference, secretary, question="Câu hỏi giữ lại")
    assert db.session.scalars(sa.select(Turn.id).order_by(Turn.id)).all() == [first, kept.id]
    assert kept.question == "Câu hỏi giữ lại" and kept.position == 2


def test_a_referred_turn_gets_its_referral_with_it(conference, secretary, unit):
    from dialogue.followup.models import Referral

    turn = _log(
        conference,
        secretary,
        outcome=TurnOutcome.REFERRED,
        referral_unit_id=unit.id,
        referral_note="Trả lời bằng văn bản",
    )
    referral = db.session.scalar(sa.select(Referral).where(Referral.turn_id == turn.id))
    assert referral is not None and referral.unit == unit
    assert referral.due_date == turn.referral_due_date


@pytest.mark.parametrize("question", ["", "   \n\t "])
def test_an_empty_question_is_refused(conference, secretary, question):
    with pytest.raises(ValidationFailed) as refused:
        operations.log_turn(conference, TurnData(question=question), by=secretary)
    assert refused.value.field == "question"
    assert refused.value.message == "Write the question before saving."


def test_an_unknown_area_and_another_wards_area_are_refused(
    conference, secretary, other_ward, ward
):
    for area_id in (999_999, _area(other_ward, "DD").id):
        with pytest.raises(ValidationFailed) as refused:
            operations.log_turn(
                conference, TurnData(question="Hỏi", procedure_area_id=area_id), by=secretary
            )
        assert refused.value.field == "procedure_area"
        assert "not in the ward's list" in refused.value.message
        db.session.rollback()
    turn = _log(conference, secretary, procedure_area_id=_area(ward, "DD").id)
    assert turn.procedure_area.code == "DD"


def test_script_and_html_are_kept_as_text(conference, secretary):
    text = '<script>alert("x")</script> <b>đất</b> & "nhà"'
    turn = _log(conference, secretary, question=text, speaker_name="<img src=x onerror=alert(1)>")
    db.session.expire_all()
    assert turn.question == text
    assert turn.speaker_name == "<img src=x onerror=alert(1)>"


@pytest.mark.parametrize(
    "status",
    [
        ConferenceStatus.DRAFT,
        ConferenceStatus.ANNOUNCED,
        ConferenceStatus.CLOSED,
        ConferenceStatus.PUBLISHED,
        ConferenceStatus.CANCELLED,
    ],
)
def test_no_turn_is_saved_outside_the_session(make_conference, secretary, status):
    closed = make_conference(status=status)
    with pytest.raises(operations.SessionNotOpen) as refused:
        operations.log_turn(closed, TurnData(question="Hỏi"), by=secretary)
    assert "turns can be recorded only while it is in progress" in refused.value.message
    assert closed.status.title.lower() in refused.value.message


def test_a_closed_conference_refuses_every_change(conference, secretary):
    turn = _log(conference, secretary)
    conference.status = ConferenceStatus.CLOSED
    db.session.commit()
    attempts = [
        lambda: operations.update_turn(
            turn, TurnData(question="Sửa"), by=secretary, expected_version=1
        ),
        lambda: operations.withdraw_turn(turn, "Trùng", by=secretary),
        lambda: operations.restore_turn(turn, by=secretary),
        lambda: operations.reorder_turns(conference, [turn.id], by=secretary),
        lambda: operations.move_turn(turn, 1, by=secretary),
    ]
    for attempt in attempts:
        with pytest.raises(operations.SessionNotOpen):
            attempt()
        db.session.rollback()
    db.session.refresh(turn)
    assert turn.version == 1 and turn.position == 1 and not turn.is_withdrawn


def test_an_acknowledged_turn_is_recognised_after_the_close(conference, secretary):
    turn = _log(conference, secretary, client_key="before-close-1")
    conference.status = ConferenceStatus.CLOSED
    db.session.commit()
    again = operations.log_turn(
        conference, TurnData(question="x"), by=secretary, client_key="before-close-1"
    )
    assert again.turn.id == turn.id and not again.created


def test_a_referral_defaults_to_ten_days_after_the_conference(conference, secretary, unit):
    turn = _log(conference, secretary, outcome=TurnOutcome.REFERRED, referral_unit_id=unit.id)
    assert turn.referral_due_date == conference.start_local.date() + timedelta(days=10)
    with pytest.raises(ValidationFailed) as refused:
        operations.log_turn(
            conference,
            TurnData(question="Hỏi", outcome=TurnOutcome.REFERRED),
            by=secretary,
        )
    assert refused.value.field == "referral_unit"


# -- editing ------------------------------------------------------------------------------------


def test_an_edit_raises_the_version_and_is_announced(conference, secretary, make_user, ward):
    turn = _log(conference, secretary)
    other = make_user(Role.ORGANISER)
    operations.update_turn(
        turn,
        TurnData(
            question=turn.question,
            outcome=TurnOutcome.ANSWERED,
            answerer_name="Ông Nguyễn Văn B - Phó Chủ tịch UBND phường",
            answer="Mười ngày làm việc.",
            procedure_area_id=_area(ward, "DD").id,
        ),
        by=other,
        expected_version=1,
    )
    db.session.commit()
    assert turn.version == 2
    assert turn.updated_by == other and turn.created_by == secretary
    assert turn.outcome is TurnOutcome.ANSWERED
    last = _events(conference)[-1]
    assert last.kind == "turn.updated"
    assert last.staff_payload["turn"]["version"] == 2
    assert last.staff_payload["turn"]["answer"] == "Mười ngày làm việc."
    changes = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.entity_type == "turns")
    ).all()
    assert any("answer" in (event.changes or {}) for event in changes)


def test_a_stale_edit_is_a_conflict_that_carries_the_current_turn(conference, secretary, make_user):
    turn = _log(conference, secretary)
    other = make_user(Role.ORGANISER)
    operations.update_turn(
        turn, TurnData(question="Bản của người kia"), by=other, expected_version=1
    )
    db.session.commit()
    with pytest.raises(operations.TurnConflict) as conflict:
        operations.update_turn(
            turn, TurnData(question="Bản của tôi"), by=secretary, expected_version=1
        )
    assert conflict.value.turn.id == turn.id
    assert conflict.value.turn.question == "Bản của người kia"
    assert other.display_name in conflict.value.message
    db.session.rollback()
    assert turn.version == 2 and turn.question == "Bản của người kia"


def test_a_retried_edit_is_no_conflict_and_an_empty_edit_changes_nothing(conference, secretary):
    turn = _log(conference, secretary)
    edit = TurnData(question="Câu hỏi đã sửa")
    operations.update_turn(turn, edit, by=secretary, expected_version=1)
    db.session.commit()
    events = len(_events(conference))
    # The answer to the first save was lost; the browser sends it again from version 1.
    again = operations.update_turn(turn, edit, by=secretary, expected_version=1)
    db.session.commit()
    assert again.version == 2
    operations.update_turn(turn, edit, by=secretary, expected_version=2)
    db.session.commit()
    assert turn.version == 2
    assert len(_events(conference)) == events


# -- withdrawing --------------------------------------------------------------------------------


def test_withdraw_and_restore(conference, secretary):
    turn = _log(conference, secretary)
    with pytest.raises(ValidationFailed) as refused:
        operations.withdraw_turn(turn, "  ", by=secretary)
    assert refused.value.field == "reason"
    operations.withdraw_turn(turn, "Trùng với lượt 1", by=secretary)
    db.session.commit()
    assert turn.is_withdrawn and turn.withdrawn_reason == "Trùng với lượt 1"
    assert turn.version == 2
    withdrawn = _events(conference)[-1]
    assert withdrawn.kind == "turn.withdrawn"
    # Residents who saw it see it go, and nothing more.
    assert withdrawn.public_payload == {"turn": {"id": turn.id, "withdrawn": True}}
    operations.withdraw_turn(turn, "again", by=secretary)  # already withdrawn: nothing
    db.session.commit()
    assert turn.version == 2
    operations.restore_turn(turn, by=secretary)
    db.session.commit()
    assert not turn.is_withdrawn and turn.version == 3
    assert _events(conference)[-1].kind == "turn.restored"
    assert db.session.get(Turn, turn.id) is not None


# -- the speaking order -------------------------------------------------------------------------


def test_reorder_numbers_every_turn_and_announces_the_order(conference, secretary):
    a, b, c = (_log(conference, secretary, question=q) for q in ("A", "B", "C"))
    operations.withdraw_turn(b, "Trùng", by=secretary)
    db.session.commit()
    operations.reorder_turns(conference, [c.id, a.id, b.id], by=secretary)
    db.session.commit()
    assert [t.id for t in operations.list_turns(conference)] == [c.id, a.id, b.id]
    assert (c.position, a.position, b.position) == (1, 2, 3)
    # Moving is not editing: nobody's edit of the text becomes a conflict.
    assert (a.version, c.version) == (1, 1)
    event = _events(conference)[-1]
    assert event.kind == "turns.reordered"
    assert event.staff_payload["order"] == [c.id, a.id, b.id]
    assert event.public_payload == {"order": [c.id, a.id]}


def test_reorder_refuses_a_list_that_is_not_the_conferences(conference, secretary):
    a, b = _log(conference, secretary, question="A"), _log(conference, secretary, question="B")
    for ids in ([a.id], [a.id, a.id, b.id], [b.id, a.id, 999_999]):
        with pytest.raises(operations.OrderChanged):
            operations.reorder_turns(conference, ids, by=secretary)
        db.session.rollback()
    assert (a.position, b.position) == (1, 2)


def test_move_a_turn_up_and_down(conference, secretary):
    a, b, c = (_log(conference, secretary, question=q) for q in ("A", "B", "C"))
    operations.move_turn(c, -1, by=secretary)
    db.session.commit()
    assert [t.question for t in operations.list_turns(conference)] == ["A", "C", "B"]
    events = len(_events(conference))
    operations.move_turn(a, -1, by=secretary)  # already first: nothing
    db.session.commit()
    assert len(_events(conference)) == events
    operations.move_turn(a, 1, by=secretary)
    db.session.commit()
    assert [t.question for t in operations.list_turns(conference)] == ["C", "A", "B"]
    assert _log(conference, secretary, question="D").position == 4


# -- who spoke, who answered --------------------------------------------------------------------


def test_speaker_candidates_are_present_attendees_found_without_diacritics(conference, groups):
    present = Attendee(
        conference_id=conference.id,
        full_name="Nguyễn Văn Đức",
        residential_group=groups[1],
        status=AttendanceStatus.PRESENT,
    )
    absent = Attendee(
        conference_id=conference.id, full_name="Nguyễn Văn Dũng", status=AttendanceStatus.EXPECTED
    )
    db.session.add_all([present, absent])
    db.session.commit()
    found = operations.speaker_candidates(conference, "nguyen van du")
    assert [c.name for c in found] == ["Nguyễn Văn Đức"]
    assert found[0].group_id == groups[1].id
    assert operations.speaker_candidates(conference, "n") == []


def test_answerer_candidates_put_the_leaders_first(conference, make_person):
    chair = make_person(full_name="Lê Văn Chủ", title="Chủ tịch UBND phường")
    reporter = make_person(full_name="Trần Thị Báo", title="Phó Chủ tịch UBND phường")
    conference.chair = chair
    conference.reporter = reporter
    db.session.add_all(
        [
            Attendee(
                conference_id=conference.id,
                person_id=reporter.id,
                full_name=reporter.full_name,
                title=reporter.title,
                status=AttendanceStatus.PRESENT,
            ),
            Attendee(
                conference_id=conference.id,
                full_name="An Văn Cán",
                title="Công chức Tư pháp - Hộ tịch",
                status=AttendanceStatus.PRESENT,
            ),
        ]
    )
    db.session.commit()
    found = operations.answerer_candidates(conference)
    assert [c.name for c in found] == ["Lê Văn Chủ", "Trần Thị Báo", "An Văn Cán"]
    # The chair did not check in: offered by name, no attendee behind it.
    assert found[0].attendee_id is None and found[0].is_official
    assert found[0].label == "Lê Văn Chủ - Chủ tịch UBND phường"
    assert found[1].attendee_id is not None
    assert [c.name for c in operations.answerer_candidates(conference, "le van chu")] == [
        "Lê Văn Chủ"
    ]


# -- several secretaries at once ----------------------------------------------------------------


def _run_together(app, workers: int, work) -> list:
    """Run ``work(index)`` in ``workers`` threads, each with its own app context and session."""
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


def test_concurrent_saves_of_one_turn_one_wins_the_others_conflict(app, conference, secretary):
    turn = _log(conference, secretary)
    turn_id, user_id = turn.id, secretary.id
    db.session.commit()
    workers = 6

    def work(index):
        local = db.session.get(Turn, turn_id)
        try:
            operations.update_turn(
                local,
                TurnData(question=f"Bản thứ {index}"),
                by=db.session.get(User, user_id),
                expected_version=1,
            )
        except operations.TurnConflict as conflict:
            # What the losing secretary is shown as the other version.
            return ("conflict", conflict.turn.question, conflict.turn.version)
        return "saved"

    results = _run_together(app, workers, work)
    saved = [r for r in results if r == "saved"]
    conflicts = [r for r in results if isinstance(r, tuple) and r[0] == "conflict"]
    assert len(saved) == 1, results
    assert len(conflicts) == workers - 1, results
    db.session.expire_all()
    turn = db.session.get(Turn, turn_id)
    assert turn.version == 2
    winner = results.index("saved")
    assert turn.question == f"Bản thứ {winner}"
    # Every loser was shown the winner's version.
    assert set(conflicts) == {("conflict", turn.question, 2)}
    assert [e.kind for e in _events(conference)] == ["turn.created", "turn.updated"]


def test_concurrent_saves_version_after_version(app, conference, secretary):
    """Each secretary saves against the version they last saw: one wins per version."""
    turn = _log(conference, secretary)
    turn_id, user_id = turn.id, secretary.id
    db.session.commit()
    for version in (1, 2, 3):

        def work(index, version=version):
            try:
                operations.update_turn(
                    db.session.get(Turn, turn_id),
                    TurnData(question=f"v{version} by {index}"),
                    by=db.session.get(User, user_id),
                    expected_version=version,
                )
            except operations.TurnConflict:
                return "conflict"
            return "saved"

        results = _run_together(app, 4, work)
        assert sorted(results) == ["conflict", "conflict", "conflict", "saved"], results
    db.session.expire_all()
    assert db.session.get(Turn, turn_id).version == 4
    sequences = [e.sequence for e in _events(conference)]
    assert sequences == list(range(1, len(sequences) + 1))


def test_concurrent_creates_with_one_client_key_make_one_turn(app, conference, secretary):
    conference_id, user_id = conference.id, secretary.id
    db.session.commit()

    def work(index):
        from dialogue.conferences.models import Conference

        logged = operations.log_turn(
            db.session.get(Conference, conference_id),
            TurnData(question="Gửi hai lần khi mạng chập chờn"),
            by=db.session.get(User, user_id),
            client_key="same-key-from-the-browser",
        )
        return logged.turn.id

    results = _run_together(app, 6, work)
    assert all(isinstance(r, int) for r in results), results
    assert len(set(results)) == 1
    assert db.session.scalar(sa.select(sa.func.count(Turn.id))) == 1
    assert len(_events(conference)) == 1
    # The twins' numbers were given back: the next event is 2, no gap for screens to wait on.
    db.session.refresh(conference)
    assert conference.live_sequence == 1


def test_concurrent_creates_get_distinct_positions(app, conference, secretary):
    conference_id, user_id = conference.id, secretary.id
    db.session.commit()

    def work(index):
        from dialogue.conferences.models import Conference

        return operations.log_turn(
            db.session.get(Conference, conference_id),
            TurnData(question=f"Câu {index}"),
            by=db.session.get(User, user_id),
            client_key=f"key-{index:04d}-abcdef",
        ).turn.position

    results = _run_together(app, 6, work)
    assert sorted(results) == [1, 2, 3, 4, 5, 6], results


def test_due_date_default_is_a_date(conference):
    assert isinstance(operations.default_due_date(conference), date)
