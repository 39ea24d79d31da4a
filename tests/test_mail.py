"""Mail leaves through a real SMTP server: the outbox, delivery, retries and the job worker.

Every test talks to an aiosmtpd server started on a free loopback port (the ``smtp`` fixture
of conftest), whose handler keeps what it accepted and can refuse, stall or answer late; what
the tests check is what arrived.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import redis
import sqlalchemy as sa
from redis.connection import parse_url

from dialogue import jobs
from dialogue.config import PROJECT_ROOT
from dialogue.core.db import utcnow
from dialogue.extensions import db
from dialogue.mail.models import MailReason, OutboxMessage, OutboxStatus
from dialogue.mail.operations import Delivery, deliver, deliver_due, queue_mail
from tests.conftest import free_port, require_service

FLASK = Path(sys.executable).with_name("flask")
REDIS_URL = os.environ.get("DIALOGUE_TEST_REDIS_URL", "").strip()
# The queue tests empty a database of their own: the one below the suite's (15 gives 14), so that
# two suites run at once on one server (CI runs SQLite's and PostgreSQL's side by side, each
# with its own database) never empty each other's.
REDIS_DB = (int(parse_url(REDIS_URL).get("db", 0)) - 1) % 16 if REDIS_URL else 14
SMTP_TIMEOUT = 2
# Three SMTP timeouts: the shortest lease the configuration accepts.
LEASE_SECONDS = 3 * SMTP_TIMEOUT
WAIT_SECONDS = 30
SUBJECT = "Câu hỏi của ông/bà đã được trả lời – phường Thạch Bàn"


def _wait_for(condition, what: str, timeout: float = WAIT_SECONDS, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    detail = f"\n{log.read_text()}" if log is not None and log.exists() else ""
    pytest.fail(f"waited {timeout} s for {what}{detail}")


@pytest.fixture
def mail_app(app, smtp):
    app.config.update(
        MAIL_TIMEOUT=SMTP_TIMEOUT,
        MAIL_DEFAULT_SENDER="UBND phường Thạch Bàn <no-reply@thachban.example.vn>",
        DIALOGUE_MAIL_LEASE_SECONDS=LEASE_SECONDS,
        DIALOGUE_PUBLIC_URL="https://doithoai.example.vn",
    )
    return app


def _queue(ward=None, **overrides):
    values = {
        "to": "nguyen.van.an@example.vn",
        "subject": SUBJECT,
        "template": "test_message",
        "context": {"note": "<b>Đã nhận</b> & chuyển"},
        "reason": MailReason.ANSWER_PUBLISHED,
        "ward": ward,
    }
    values.update(overrides)
    return queue_mail(**values)


def _row(outbox_id: int) -> OutboxMessage:
    # End the test's transaction first: another session or process changed the row.
    db.session.commit()
    return db.session.get(OutboxMessage, outbox_id, populate_existing=True)


def _count_rows() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))


# -- queueing and delivering -----------------------------------------------------------------


def test_queued_mail_is_delivered_once_with_text_and_html(mail_app, smtp, ward):
    message = _queue(ward, unsubscribe_url="https://doithoai.example.vn/ngung-nhan/abc")
    assert message.status is OutboxStatus.QUEUED
    assert smtp.accepted == []  # nothing leaves before the commit

    db.session.commit()

    assert len(smtp.accepted) == 1
    received = smtp.accepted[0]
    row = _row(message.id)
    assert row.status is OutboxStatus.SENT
    assert row.attempts == 1
    assert row.sent_dt is not None
    assert row.message_id.endswith("@doithoai.example.vn>")
    assert received["Message-ID"] == row.message_id
    assert received["Subject"] == SUBJECT
    assert received["To"] == "nguyen.van.an@example.vn"
    assert received["From"].addresses[0].display_name == "UBND phường Thạch Bàn"
    assert received["Auto-Submitted"] == "auto-generated"
    assert received["List-Unsubscribe"] == "<https://doithoai.example.vn/ngung-nhan/abc>"
    assert received.get_content_type() == "multipart/alternative"
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    assert "Đây là thư thử nghiệm" in text
    assert "<b>Đã nhận</b> & chuyển" in text
    assert "&lt;b&gt;Đã nhận&lt;/b&gt; &amp; chuyển" in html
    assert "Ủy ban nhân dân phường Thạch Bàn" in text
    # Why the resident gets it, and how to stop.
    assert "đồng ý nhận tin khi câu hỏi được trả lời" in text
    assert "https://doithoai.example.vn/ngung-nhan/abc" in text
    assert "đồng ý nhận tin khi câu hỏi được trả lời" in html

    # Delivering again does nothing: the row is sent.
    assert deliver(message.id) is Delivery.SKIPPED
    assert deliver_due(now=utcnow() + timedelta(days=1)) == {}
    assert len(smtp.accepted) == 1


def test_staff_mail_says_which_unit_it_comes_through(mail_app, smtp, ward):
    _queue(ward, reason=MailReason.REFERRED_TO_UNIT, context={"unit_name": "Văn phòng - Thống kê"})
    db.session.commit()

    text = smtp.accepted[0].get_body(("plain",)).get_content()
    assert "thuộc đơn vị Văn phòng - Thống kê" in text


def test_an_invalid_address_queues_nothing(mail_app, smtp, ward, caplog):
    assert _queue(ward, to="không phải địa chỉ") is None
    assert _queue(ward, to="an@") is None
    db.session.commit()

    assert _count_rows() == 0
    assert smtp.accepted == []
    assert "invalid address" in caplog.text


def test_mail_of_a_rolled_back_transaction_is_never_sent(mail_app, smtp, ward):
    _queue(ward)
    db.session.rollback()
    # The next transaction commits something else: the rolled-back message is not handed over.
    _queue(ward, to="tran.thi.binh@example.vn")
    db.session.commit()

    assert deliver_due(now=utcnow() + timedelta(days=1)) == {}
    assert [m["To"] for m in smtp.accepted] == ["tran.thi.binh@example.vn"]
    assert _count_rows() == 1


def test_a_message_queued_in_a_savepoint_waits_for_the_outer_commit(mail_app, smtp, ward):
    with db.session.begin_nested():
        message = _queue(ward)
    assert smtp.accepted == []
    db.session.commit()

    assert len(smtp.accepted) == 1
    assert _row(message.id).status is OutboxStatus.SENT


def test_the_same_dedupe_key_queues_one_message(mail_app, smtp, ward):
    key = "digest:user:42:2026-12-06"
    first = _queue(ward, reason=MailReason.DUE_DIGEST, dedupe_key=key)
    assert first is not None
    assert _queue(ward, reason=MailReason.DUE_DIGEST, dedupe_key=key) is None
    db.session.commit()
    assert _queue(ward, reason=MailReason.DUE_DIGEST, dedupe_key=key) is None
    db.session.commit()

    assert _count_rows() == 1
    assert len(smtp.accepted) == 1


# -- when the server says no, or nothing -----------------------------------------------------


def test_a_temporary_refusal_keeps_the_message_for_a_later_sweep(mail_app, smtp, ward):
    smtp.data_reply = "451 4.3.0 Máy chủ bận, thử lại sau"
    message = _queue(ward)
    db.session.commit()

    row = _row(message.id)
    assert row.status is OutboxStatus.QUEUED
    assert row.attempts == 1
    assert row.last_error.startswith("451 4.3.0")
    assert timedelta(seconds=50) < row.next_attempt_dt - utcnow() <= timedelta(minutes=1)
    assert smtp.accepted == []

    smtp.data_reply = None
    assert deliver_due() == {}  # not due yet
    counts = deliver_due(now=utcnow() + timedelta(minutes=2))

    assert counts == {Delivery.SENT: 1}
    row = _row(message.id)
    assert row.status is OutboxStatus.SENT
    assert row.attempts == 2
    assert row.last_error == ""
    assert len(smtp.accepted) == 1
    assert smtp.accepted[0]["Message-ID"] == row.message_id


def test_retries_wait_longer_each_time_then_give_up(mail_app, smtp, ward):
    smtp.data_reply = "452 4.2.2 Hộp thư đầy"
    message = _queue(ward)
    db.session.commit()

    waits = []
    now = utcnow()
    for _attempt in range(12):
        row = _row(message.id)
        if row.status is not OutboxStatus.QUEUED:
            break
        waits.append(round((row.next_attempt_dt - now).total_seconds() / 60))
        now = row.next_attempt_dt + timedelta(seconds=1)
        deliver_due(now=now)

    assert waits == [1, 5, 15, 60, 180, 360, 360, 360, 360]
    row = _row(message.id)
    assert row.status is OutboxStatus.FAILED
    assert row.attempts == 10
    assert smtp.accepted == []


def test_an_unknown_recipient_fails_the_message_for_good(mail_app, smtp, ward):
    smtp.rcpt_reply = "550 5.1.1 Không có người nhận này"
    message = _queue(ward)
    db.session.commit()

    row = _row(message.id)
    assert row.status is OutboxStatus.FAILED
    assert row.attempts == 1
    assert "550 5.1.1" in row.last_error
    smtp.rcpt_reply = None
    assert deliver_due(now=utcnow() + timedelta(days=2)) == {}
    assert smtp.accepted == []


def test_a_server_that_is_down_leaves_the_message_queued(app, ward):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nothing listens there
    message = _queue(ward)
    db.session.commit()

    row = _row(message.id)
    assert row.status is OutboxStatus.QUEUED
    assert row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error
    assert row.next_attempt_dt > utcnow()


def test_a_server_that_does_not_answer_in_time_leaves_the_message_queued(mail_app, smtp, ward):
    mail_app.config["MAIL_TIMEOUT"] = 0.5
    smtp.stalls = 1
    smtp.stall_seconds = 3
    message = _queue(ward)
    started = time.monotonic()
    db.session.commit()

    assert time.monotonic() - started < 2.5
    row = _row(message.id)
    assert row.status is OutboxStatus.QUEUED
    assert row.attempts == 1
    assert "timed out" in row.last_error
    assert smtp.accepted == []

    smtp.release.set()
    assert deliver_due(now=utcnow() + timedelta(minutes=2)) == {Delivery.SENT: 1}
    assert len(smtp.accepted) == 1


def test_without_an_smtp_host_mail_waits_in_the_outbox(app, ward, runner, caplog):
    assert app.config["MAIL_SERVER"] is None
    message = _queue(ward)
    db.session.commit()

    assert deliver(message.id) is Delivery.HELD
    assert _row(message.id).status is OutboxStatus.QUEUED
    result = runner.invoke(args=["dialogue", "send-mail"])
    assert result.exit_code == 0, result.output
    assert "1" in result.output and "DIALOGUE_SMTP_HOST" in result.output
    result = runner.invoke(args=["dialogue", "outbox"])
    assert "nguyen.van.an@example.vn" in result.output
    assert SUBJECT in result.output
    result = runner.invoke(args=["dialogue", "outbox", "--show", str(message.id)])
    assert "Đây là thư thử nghiệm" in result.output


# -- the job queue ---------------------------------------------------------------------------


@pytest.fixture
def sqlite_jobs(app_config, tmp_path):
    path = tmp_path / "jobs.sqlite3"
    app_config.update(DIALOGUE_JOBS="sqlite", DIALOGUE_JOBS_DATABASE=str(path))
    return path


def test_a_lost_hand_over_is_sent_by_the_sweep(sqlite_jobs, mail_app, smtp, ward):
    message = _queue(ward)
    db.session.commit()
    queue = jobs.get_jobs(mail_app).huey
    assert queue.pending_count() == 1  # handed over; no worker runs here
    queue.flush()  # …and lost

    jobs.get_jobs(mail_app).sweep_outbox.call_local()

    assert len(smtp.accepted) == 1
    assert _row(message.id).status is OutboxStatus.SENT


@pytest.fixture
def unreachable_queue(app_config):
    app_config.update(
        DIALOGUE_JOBS="redis", DIALOGUE_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"
    )


def test_an_unreachable_queue_does_not_break_the_commit(
    unreachable_queue, mail_app, smtp, ward, caplog
):
    message = _queue(ward)
    db.session.commit()  # the hand-over fails: logged, not raised

    assert "the sweep will send it" in caplog.text
    assert _row(message.id).status is OutboxStatus.QUEUED
    assert smtp.accepted == []
    assert deliver_due() == {Delivery.SENT: 1}
    assert len(smtp.accepted) == 1


def test_the_daily_schedule_is_in_the_wards_time():
    at_half_past_six = jobs.daily_at(6, 30, "Asia/Ho_Chi_Minh")
    utc = datetime(2026, 12, 5, 23, 30, tzinfo=UTC)

    assert at_half_past_six(utc.replace(tzinfo=None))
    assert not at_half_past_six((utc + timedelta(minutes=1)).replace(tzinfo=None))
    assert not at_half_past_six((utc + timedelta(hours=7)).replace(tzinfo=None))


def test_the_worker_needs_a_queue(runner):
    result = runner.invoke(args=["dialogue", "worker"])
    assert result.exit_code == 1
    assert "DIALOGUE_JOBS=immediate" in result.output


def test_send_test_mail(mail_app, smtp, runner):
    result = runner.invoke(args=["dialogue", "send-test-mail", "quan.tri@example.vn"])

    assert result.exit_code == 0, result.output
    assert [m["To"] for m in smtp.accepted] == ["quan.tri@example.vn"]
    assert "thư thử nghiệm" in smtp.accepted[0].get_body(("plain",)).get_content()
    result = runner.invoke(args=["dialogue", "send-test-mail", "quan.tri@"])
    assert result.exit_code == 1


# -- real worker processes -------------------------------------------------------------------


@pytest.fixture
def workers(mail_app, smtp, database_url, tmp_path):
    """Start ``flask dialogue worker`` processes on the test database; stop them afterwards."""
    started: list[subprocess.Popen] = []

    def start(**environ) -> tuple[subprocess.Popen, Path]:
        log_path = tmp_path / f"worker-{len(started) + 1}.log"
        env = {
            **os.environ,
            "DIALOGUE_ENV": "testing",
            "DIALOGUE_SECRET_KEY": mail_app.config["SECRET_KEY"],
            "DIALOGUE_DATABASE_URL": database_url,
            "DIALOGUE_SMTP_HOST": "127.0.0.1",
            "DIALOGUE_SMTP_PORT": str(mail_app.config["MAIL_PORT"]),
            "DIALOGUE_SMTP_TIMEOUT": str(SMTP_TIMEOUT),
            "DIALOGUE_MAIL_LEASE_SECONDS": str(LEASE_SECONDS),
            "DIALOGUE_MAIL_FROM": mail_app.config["MAIL_DEFAULT_SENDER"],
            "DIALOGUE_PUBLIC_URL": mail_app.config["DIALOGUE_PUBLIC_URL"],
            "DIALOGUE_DEFAULT_LOCALE": "en",
            **environ,
        }
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [str(FLASK), "--app", "wsgi", "dialogue", "worker", "--workers", "1"],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        started.append(process)
        return process, log_path

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_worker_killed_while_sending_is_relieved_without_a_duplicate(
    sqlite_jobs, workers, smtp, ward
):
    smtp.stalls = 1  # the first worker's DATA hangs: it is killed while waiting for the reply
    message = _queue(ward)
    db.session.commit()
    assert jobs.get_jobs().huey.pending_count() == 1
    environ = {"DIALOGUE_JOBS": "sqlite", "DIALOGUE_JOBS_DATABASE": str(sqlite_jobs)}

    first, first_log = workers(**environ)
    # Killed at once: well within the SMTP timeout, while it waits for the server's answer.
    if not smtp.data_started.wait(WAIT_SECONDS):
        pytest.fail(f"the first worker did not send:\n{first_log.read_text()}")
    first.kill()
    first.wait()
    smtp.release.set()  # the server answers a connection nobody holds: it took nothing

    row = _row(message.id)
    assert row.status is OutboxStatus.SENDING
    assert smtp.accepted == []
    # The lease runs out; the next worker's sweep (it runs one when it starts) sends again.
    time.sleep(max(0.0, (row.claimed_dt - utcnow()).total_seconds() + LEASE_SECONDS + 0.5))
    _second, second_log = workers(**environ)

    _wait_for(lambda: smtp.accepted, "the second worker to send", log=second_log)
    row = _wait_for(
        lambda: (row := _row(message.id)).status is OutboxStatus.SENT and row,
        "the message to be marked sent",
        log=second_log,
    )
    time.sleep(1)  # nothing else arrives
    assert len(smtp.accepted) == 1
    assert smtp.accepted[0]["Message-ID"] == row.message_id
    assert row.attempts == 2


def _with_database(url: str, number: int) -> str:
    """``url`` naming database ``number``: in its path, or in its query for a Unix socket."""
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query) if key != "db"]
    if parts.scheme == "unix":
        return url.split("?", 1)[0] + "?" + urlencode([*query, ("db", number)])
    return parts._replace(path=f"/{number}", query=urlencode(query)).geturl()


@pytest.fixture
def redis_jobs(app_config):
    require_service(bool(REDIS_URL), "DIALOGUE_TEST_REDIS_URL is not set")
    # REDIS_DB of the test server is this file's own: emptied before and after.
    queue_url = _with_database(REDIS_URL, REDIS_DB)
    client = redis.Redis.from_url(queue_url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        client.close()
        require_service(False, f"Redis at {REDIS_URL} is unreachable: {error}")
    client.flushdb()
    app_config.update(DIALOGUE_JOBS="redis", DIALOGUE_REDIS_URL=queue_url)
    yield queue_url
    client.flushdb()
    client.close()


def test_a_worker_on_redis_delivers_what_the_application_queued(redis_jobs, workers, smtp, ward):
    message = _queue(ward)
    db.session.commit()
    assert jobs.get_jobs().huey.pending_count() == 1

    _process, log = workers(DIALOGUE_JOBS="redis", DIALOGUE_REDIS_URL=redis_jobs)

    _wait_for(lambda: smtp.accepted, "the worker to send", log=log)
    _wait_for(lambda: _row(message.id).status is OutboxStatus.SENT, "the row to be sent", log=log)
    assert jobs.get_jobs().huey.pending_count() == 0
    assert len(smtp.accepted) == 1
    assert smtp.accepted[0]["Message-ID"] == _row(message.id).message_id
