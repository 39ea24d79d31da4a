"""Benchmark: the follow-up of referred questions — the unit's queue, the public page, the digest.

Serving: seeds a ward with 40 conferences and 2,000 referred turns over 8 units (published
answers, overdue ones, answers being written or awaiting the chair), serves the app under
gunicorn on loopback (2 workers × 4 threads, gthread), and interleaves, from several client
processes, the bare route and the pages compared with it: the unit's queue (`/referrals/`,
signed in as a responder of one unit: about 250 referrals), first page and filtered by
status, and the residents' follow-up page (`/p/<ward>/kien-nghi/`, no account), first page
and searched without diacritics. Digest: 126 wards, each with its staff's addresses and a few
dozen open referrals due within the digest's horizon or overdue, then the morning job's work
(the digests queued, committed and handed to the job queue; nothing sent), timed.

Targets (issue 11): the queue and the public page each at ≥ 50 % of the bare route's requests
per second in the same run; the daily digests of 126 wards in ≤ 10 s.

    .venv/bin/python -m bench.followup [--rounds 300] [--clients 4] [--wards 126]
        [--database-url URL] [--only serving|digest]

On PostgreSQL the benchmark works in a database of its own, made beside the one named by
``--database-url`` and dropped at the end: the digest job reads every ward of its database.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.harness import (
    Session,
    app_environment,
    postgres_scratch,
    rate_rows,
    report,
    run_clients,
)

CONFERENCES = 40
REFERRALS = 2_000
UNITS = 8
TARGET_RATIO = 0.5
TARGET_DIGEST_SECONDS = 10.0
PASSWORD = "bench-password-123"
RESPONDER = "bench-responder"
# Typed as residents type, without diacritics: "giấy chứng nhận".
PUBLIC_QUERY = "giay chung nhan"
QUEUE_STATUS = "overdue"
KINDS = ("bare", "public", "public search", "bare signed in", "queue", "queue filtered")
COMPARED = {
    "public": "bare",
    "public search": "bare",
    "queue": "bare signed in",
    "queue filtered": "bare signed in",
}
# Referrals in each ward of the digest: overdue, due within the digest's three days, due later
# (not in the digest), and answered.
DIGEST_MIX = {"overdue": 16, "due soon": 8, "due later": 6, "answered": 6}

UNIT_NAMES = [
    "Văn phòng HĐND-UBND",
    "Bộ phận Một cửa",
    "Công chức Tư pháp - Hộ tịch",
    "Công chức Địa chính - Xây dựng",
    "Công chức Văn hóa - Xã hội",
    "Công chức Tài chính - Kế toán",
    "Công an phường",
    "Quân sự phường",
]
QUESTIONS = [
    "Hồ sơ đề nghị cấp giấy chứng nhận quyền sử dụng đất của gia đình tôi nộp từ tháng 3 đến nay "
    "chưa có kết quả; đề nghị phường kiểm tra, trả lời cụ thể lý do chậm.",
    "Đề nghị UBND phường cho biết thời gian giải quyết thủ tục đăng ký khai sinh, đăng ký kết "
    "hôn; có thể rút ngắn thời gian trả kết quả hay không?",
    "Việc xác nhận hồ sơ hưởng chế độ trợ cấp xã hội cho người cao tuổi còn phải đi lại nhiều "
    "lần; đề nghị hướng dẫn đầy đủ một lần các giấy tờ cần nộp.",
    "Ngõ 12 tổ dân phố số 4 xuống cấp, ngập nước mỗi khi mưa lớn; đề nghị phường kiểm tra và "
    "có kế hoạch cải tạo.",
    "Doanh nghiệp chúng tôi muốn thực hiện thủ tục trực tuyến nhưng chưa rõ cách nộp lệ phí qua "
    "cổng dịch vụ công; đề nghị bộ phận một cửa hỗ trợ.",
]
ANSWER = (
    "Qua kiểm tra, hồ sơ của gia đình đã được Bộ phận Một cửa tiếp nhận và chuyển cơ quan có "
    "thẩm quyền giải quyết.\n"
    "UBND phường đã đôn đốc và sẽ thông báo kết quả cho gia đình ngay khi nhận được; nếu có "
    "vướng mắc, đề nghị liên hệ công chức phụ trách trong giờ hành chính."
)


def _environment(database_url: str, jobs_file: Path) -> dict[str, str]:
    # Every client signs in at the start: no login limit in the way. Mail waits in the outbox
    # (no SMTP host), handed to a queue of its own that no worker reads.
    return app_environment(
        database_url,
        DIALOGUE_LOGIN_RATE_LIMIT="1000 per minute",
        DIALOGUE_JOBS="sqlite",
        DIALOGUE_JOBS_DATABASE=str(jobs_file),
    )


def _app(database_url: str, jobs_file: Path):
    os.environ.update(_environment(database_url, jobs_file))
    from dialogue import create_app

    return create_app()


def _analyze(db) -> None:
    if db.engine.dialect.name == "postgresql":
        # A live database has planner statistics; a freshly loaded one must gather them.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")


# -- serving: one ward, 40 conferences, 2,000 referrals ------------------------------------------


def seed_serving(database_url: str, jobs_file: Path) -> dict:
    """Create the ward, its conferences and referrals, a responder; return what clients need."""
    from flask_migrate import upgrade

    from dialogue.auth.models import Role
    from dialogue.auth.operations import create_user
    from dialogue.conferences.models import Conference, ConferenceStatus
    from dialogue.extensions import db
    from dialogue.followup.listing import ward_today
    from dialogue.live.models import Turn, TurnOutcome
    from dialogue.wards.models import ResidentialGroup, Unit
    from dialogue.wards.operations import create_ward

    app = _app(database_url, jobs_file)
    rng = random.Random(11)
    with app.app_context():
        upgrade()
        ward = create_ward(
            name="Thử Tải", slug=f"thu-tai-{secrets.token_hex(3)}", province="Hà Nội"
        )
        groups = [
            ResidentialGroup(ward=ward, number=n, name=f"Tổ dân phố số {n}") for n in range(1, 16)
        ]
        units = [Unit(ward=ward, name=name) for name in UNIT_NAMES]
        db.session.add_all([*groups, *units])
        responder = create_user(
            ward=ward,
            username=RESPONDER,
            display_name="Công chức thử tải",
            password=PASSWORD,
            role=Role.RESPONDER,
            unit=units[3],
        )
        chair = create_user(
            ward=ward,
            username="bench-chair",
            display_name="Chủ tịch thử tải",
            password=PASSWORD,
            role=Role.CHAIR,
        )
        today = ward_today(ward)
        areas = ward.procedure_areas
        per_conference = REFERRALS // CONFERENCES
        statuses = {}
        for k in range(CONFERENCES):
            # Every six months, the newest three weeks ago; all but the two newest published.
            start = datetime.combine(
                today - timedelta(days=21 + 182 * (CONFERENCES - 1 - k)),
                datetime.min.time(),
                tzinfo=UTC,
            ) + timedelta(hours=1)
            is_recent = k >= CONFERENCES - 2
            conference = Conference(
                ward=ward,
                title=f"Hội nghị đối thoại về cải cách thủ tục hành chính, kỳ {k + 1}",
                start_dt=start,
                planned_end_dt=start + timedelta(hours=3),
                end_dt=start + timedelta(hours=3),
                started_dt=start,
                announced_dt=start - timedelta(days=10),
                status=ConferenceStatus.CLOSED,
            )
            db.session.add(conference)
            db.session.flush()  # a referral takes its ward from its conference's row
            turns = []
            for n in range(1, per_conference + 1):
                index = k * per_conference + n
                due = start.date() + timedelta(days=10)
                if is_recent:
                    due = today + timedelta(days=rng.randint(3, 20))
                turns.append(
                    Turn(
                        conference=conference,
                        position=n,
                        spoken_dt=start + timedelta(minutes=2 * n),
                        speaker_name=f"Công dân {index}",
                        speaker_group=groups[index % len(groups)],
                        procedure_area=areas[index % len(areas)],
                        question=QUESTIONS[index % len(QUESTIONS)],
                        outcome=TurnOutcome.REFERRED,
                        answerer_name="Ông Nguyễn Văn A - Chủ tịch UBND phường",
                        answer="Chủ tịch UBND phường tiếp thu, giao bộ phận chuyên môn trả lời.",
                        # Spread over the units, the responder's about one in eight.
                        referral_unit=units[rng.randrange(UNITS)],
                        referral_due_date=due,
                        referral_note="Trả lời bằng văn bản.",
                    )
                )
            db.session.add_all(turns)
            db.session.flush()  # the referrals are made from the turns here
            for turn in turns:
                state = _state(rng, is_recent)
                _advance(turn.referral, state, responder, chair, start)
                statuses[state] = statuses.get(state, 0) + 1
            if not is_recent:
                _publish_minutes(conference, start + timedelta(days=5))
        db.session.commit()
        _analyze(db)
        return {
            "slug": ward.slug,
            "ward_id": ward.id,
            "queue_referrals": _count_own(db, units[3].id),
            "statuses": statuses,
        }


def _count_own(db, unit_id: int) -> int:
    import sqlalchemy as sa

    from dialogue.followup.models import Referral

    return db.session.scalar(
        sa.select(sa.func.count(Referral.id)).where(Referral.unit_id == unit_id)
    )


def _state(rng: random.Random, is_recent: bool) -> str:
    """What became of a referral: the two newest conferences' are open, within their due date;
    of the older ones nine in ten are answered, the rest overdue."""
    if is_recent:
        return rng.choice(("referred", "referred", "in progress", "awaiting approval"))
    if rng.random() < 0.9:
        return "answered"
    return rng.choice(("overdue", "overdue in progress"))


def _advance(referral, state: str, responder, chair, start: datetime) -> None:
    """Bring ``referral`` to ``state`` with the answer rows that state has."""
    import hashlib

    from dialogue.extensions import db
    from dialogue.followup.models import AnswerStatus, ReferralStatus, WrittenAnswer

    if state in ("referred", "overdue"):
        return
    answer = WrittenAnswer(referral=referral, body=ANSWER, written_by=responder)
    db.session.add(answer)
    referral.is_settled = True
    if state in ("in progress", "overdue in progress"):
        answer.status = AnswerStatus.DRAFT
        referral.status = ReferralStatus.IN_PROGRESS
    elif state == "awaiting approval":
        answer.status = AnswerStatus.SUBMITTED
        answer.submitted_by, answer.submitted_dt = responder, start + timedelta(days=6)
        referral.status = ReferralStatus.AWAITING_APPROVAL
    else:
        published = start + timedelta(days=8)
        answer.status = AnswerStatus.PUBLISHED
        answer.letter_number = "45/UBND-ĐCXD"
        answer.letter_date = published.date()
        answer.submitted_by, answer.submitted_dt = responder, published - timedelta(days=1)
        answer.published_by, answer.published_dt = chair, published
        answer.body_sha256 = hashlib.sha256(ANSWER.encode()).hexdigest()
        referral.status = ReferralStatus.ANSWERED
        referral.answered_on = published.date()
        # Found by the words of its answer, too.
        referral.refresh_search_text()


def _publish_minutes(conference, published_dt: datetime) -> None:
    """A published biên bản (a small stand-in: its bytes are never served here)."""
    import hashlib

    from dialogue.conferences.models import ConferenceStatus
    from dialogue.documents.models import DocumentType
    from dialogue.documents.operations import allocate_number
    from dialogue.extensions import db
    from dialogue.minutes.compose import draft_or_defaults
    from dialogue.minutes.models import DraftStatus, PublishedDocument, new_public_code

    draft = draft_or_defaults(conference, DocumentType.MINUTES)
    draft.status = DraftStatus.PUBLISHED
    db.session.add(draft)
    db.session.flush()
    number = allocate_number(
        conference.ward, DocumentType.MINUTES, conference=conference, year=published_dt.year
    )
    html, pdf = f"<article>{conference.title}</article>", b"%PDF-1.7 bench"
    db.session.add(
        PublishedDocument(
            draft=draft,
            conference=conference,
            doc_type=DocumentType.MINUTES,
            version=1,
            number=number,
            number_label=number.label,
            public_code=new_public_code(),
            html=html,
            pdf=pdf,
            pdf_sha256=hashlib.sha256(pdf).hexdigest(),
            html_sha256=hashlib.sha256(html.encode()).hexdigest(),
            pdf_size=len(pdf),
            title=f"Biên bản {conference.title}",
            published_dt=published_dt,
        )
    )
    conference.status = ConferenceStatus.PUBLISHED


def client(port: int, paths: dict, rounds: int) -> dict:
    """One reader, in a process of its own (client threads would share the GIL)."""
    anonymous = Session(port)
    staff = Session(port)
    staff.login(RESPONDER, PASSWORD)
    requests = {
        "bare": (anonymous, "/__bench/bare"),
        "public": (anonymous, paths["public"]),
        "public search": (anonymous, paths["public search"]),
        "bare signed in": (staff, "/__bench/bare"),
        "queue": (staff, paths["queue"]),
        "queue filtered": (staff, paths["queue filtered"]),
    }
    sizes: dict[str, set[int]] = {kind: set() for kind in KINDS}
    for _ in range(10):  # warm up
        for session, path in requests.values():
            session.request("GET", path)
    timings: dict[str, list[float]] = {kind: [] for kind in KINDS}
    failures: list[str] = []
    for _ in range(rounds):
        for kind in KINDS:
            session, path = requests[kind]
            status, data, elapsed = session.request("GET", path)
            timings[kind].append(elapsed)
            sizes[kind].add(len(data))
            if status != 200:
                failures.append(f"{kind}: {status}")
    return {
        "timings": timings,
        "sizes": {kind: [min(v), max(v)] for kind, v in sizes.items()},
        "failures": failures,
    }


def run_serving(rounds: int, database_url: str, clients: int, folder: Path) -> dict:
    jobs_file = folder / "jobs.sqlite3"
    started = time.perf_counter()
    seeded = seed_serving(database_url, jobs_file)
    seed_seconds = time.perf_counter() - started
    public = f"/p/{seeded['slug']}/kien-nghi/"
    paths = {
        "public": public,
        "public search": public + "?q=" + PUBLIC_QUERY.replace(" ", "+"),
        "queue": "/referrals/",
        "queue filtered": f"/referrals/?status={QUEUE_STATUS}",
    }
    runs = run_clients(
        _environment(database_url, jobs_file), client, (paths, rounds), clients, KINDS
    )
    failures, memory = runs.failures, runs.worker_rss_mb
    rows = rate_rows(KINDS, runs.timings, runs.rates, COMPARED, runs.results[-1]["sizes"])
    return {
        "rows": rows,
        "failures": failures[:5],
        "failure_count": len(failures),
        "worker_rss_mb": memory,
        "clients": clients,
        "rounds_per_client": rounds,
        "referrals": REFERRALS,
        "conferences": CONFERENCES,
        "queue_referrals": seeded["queue_referrals"],
        "statuses": seeded["statuses"],
        "paths": paths,
        "seed_seconds": round(seed_seconds, 1),
        "ward_id": seeded["ward_id"],
    }


# -- the morning digest: 126 wards ---------------------------------------------------------------


def seed_digest(
    database_url: str, jobs_file: Path, wards: int, *, leave_active: int | None
) -> dict:
    """Create ``wards`` wards with staff, units and referrals near or over their due date."""
    import sqlalchemy as sa

    from dialogue.auth.models import Role, User
    from dialogue.conferences.models import Conference, ConferenceStatus
    from dialogue.extensions import db
    from dialogue.followup.listing import ward_today
    from dialogue.live.models import Turn, TurnOutcome
    from dialogue.wards.models import Unit, Ward
    from dialogue.wards.operations import create_ward

    app = _app(database_url, jobs_file)
    rng = random.Random(126)
    with app.app_context():
        if leave_active is None:
            from flask_migrate import upgrade

            upgrade()
        else:
            # The serving ward is not one of the 126 (its staff have no address anyway).
            db.session.get(Ward, leave_active).is_active = False
        # One password hash for every account: hashing 630 passwords would take half a minute.
        hashed = User()
        hashed.set_password(PASSWORD)
        shared_hash = hashed.password_hash
        tag = secrets.token_hex(3)
        counts = {"wards": 0, "accounts_with_address": 0, "referrals": 0, "open_in_horizon": 0}
        for w in range(wards):
            ward = create_ward(
                name=f"Thử Tải {w + 1}", slug=f"thu-tai-{tag}-{w + 1}", province="Hà Nội"
            )
            units = [Unit(ward=ward, name=name) for name in UNIT_NAMES[:4]]
            db.session.add_all(units)
            staff = [
                User(ward=ward, role=Role.CHAIR, username=f"chair-{tag}-{w}"),
                User(ward=ward, role=Role.RESPONDER, username=f"r0-{tag}-{w}", unit=units[0]),
                User(ward=ward, role=Role.RESPONDER, username=f"r1-{tag}-{w}", unit=units[1]),
                # One responder answers for two units.
                User(
                    ward=ward,
                    role=Role.RESPONDER,
                    username=f"r2-{tag}-{w}",
                    unit=units[2],
                    extra_units=[units[3]],
                ),
            ]
            for user in staff:
                user.display_name = f"Cán bộ {user.username}"
                user.email = f"{user.username}@thu-tai.example"
                user.password_hash = shared_hash
            # An organiser without an address: never written to.
            organiser = User(
                ward=ward,
                role=Role.ORGANISER,
                username=f"org-{tag}-{w}",
                display_name="Văn phòng",
                password_hash=shared_hash,
            )
            db.session.add_all([*staff, organiser])
            today = ward_today(ward)
            start = datetime.combine(
                today - timedelta(days=14), datetime.min.time(), tzinfo=UTC
            ) + timedelta(hours=1)
            conference = Conference(
                ward=ward,
                title="Hội nghị đối thoại về cải cách thủ tục hành chính",
                start_dt=start,
                planned_end_dt=start + timedelta(hours=3),
                end_dt=start + timedelta(hours=3),
                started_dt=start,
                status=ConferenceStatus.CLOSED,
            )
            db.session.add(conference)
            db.session.flush()  # a referral takes its ward from its conference's row
            turns = []
            for kind, how_many in DIGEST_MIX.items():
                for _ in range(how_many):
                    due = _digest_due(rng, kind, today)
                    turns.append(
                        Turn(
                            conference=conference,
                            position=len(turns) + 1,
                            spoken_dt=start + timedelta(minutes=3 * len(turns)),
                            speaker_name=f"Công dân {len(turns) + 1}",
                            question=QUESTIONS[len(turns) % len(QUESTIONS)],
                            outcome=TurnOutcome.REFERRED,
                            referral_unit=units[rng.randrange(len(units))],
                            referral_due_date=due,
                        )
                    )
                    counts["open_in_horizon"] += kind in ("overdue", "due soon")
            db.session.add_all(turns)
            db.session.flush()
            for turn in turns[-DIGEST_MIX["answered"] :]:
                _advance(turn.referral, "answered", staff[1], staff[0], start)
                turn.referral.answered_on = today - timedelta(days=2)
            counts["wards"] += 1
            counts["accounts_with_address"] += len(staff)
            counts["referrals"] += len(turns)
            if w % 20 == 19:
                db.session.commit()
        db.session.commit()
        counts["active_wards"] = db.session.scalar(
            sa.select(sa.func.count(Ward.id)).where(Ward.is_active)
        )
        _analyze(db)
        return counts


def _digest_due(rng: random.Random, kind: str, today: date) -> date:
    if kind == "overdue":
        return today - timedelta(days=rng.randint(1, 12))
    if kind == "due soon":
        return today + timedelta(days=rng.randint(0, 3))
    return today + timedelta(days=rng.randint(5, 20))  # due later, or answered


def run_digest(database_url: str, wards: int, folder: Path, serving_ward: int | None) -> dict:
    jobs_file = folder / "jobs.sqlite3"
    started = time.perf_counter()
    seeded = seed_digest(database_url, jobs_file, wards, leave_active=serving_ward)
    seed_seconds = time.perf_counter() - started

    import sqlalchemy as sa

    from dialogue.core.database import begin_immediately
    from dialogue.extensions import db
    from dialogue.followup import notifications
    from dialogue.mail.models import OutboxMessage

    app = _app(database_url, jobs_file)
    with app.app_context():
        # As the worker's morning task does it (dialogue.jobs.queue_daily_digests): on SQLite
        # the write lock first; the digests queued; the commit, which hands each message to
        # the job queue. A fresh application, as a worker's: nothing of the seeding kept.
        started, cpu_started = time.perf_counter(), time.process_time()
        begin_immediately(True)
        try:
            queued = notifications.queue_daily_digests()
            queued_at = time.perf_counter()
            db.session.commit()
        finally:
            begin_immediately(False)
        finished, cpu = time.perf_counter(), time.process_time() - cpu_started
        outbox = db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)))
        # Run again the same morning: nothing more is queued.
        again_started = time.perf_counter()
        again = notifications.queue_daily_digests()
        db.session.commit()
        again_seconds = time.perf_counter() - again_started
    return {
        **seeded,
        "seed_seconds": round(seed_seconds, 1),
        "digest_seconds": round(finished - started, 3),
        # This process's processor time: the rest of the wall time is the database's work and
        # waiting for a core.
        "digest_cpu_seconds": round(cpu, 3),
        "queue_seconds": round(queued_at - started, 3),
        "commit_seconds": round(finished - queued_at, 3),
        "mails_queued": queued,
        "outbox_rows": outbox,
        "second_run_queued": again,
        "second_run_seconds": round(again_seconds, 3),
    }


# -- a database of its own -----------------------------------------------------------------------


@contextmanager
def scratch_database(database_url: str | None, folder: Path):
    """Yield a fresh database: a SQLite file in ``folder``, or a new PostgreSQL database."""
    if not database_url or database_url.startswith("sqlite"):
        yield database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
        return
    with postgres_scratch(database_url, "followup") as url:
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300, help="rounds per client")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client processes")
    parser.add_argument("--wards", type=int, default=126, help="wards of the digest")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--only", choices=("serving", "digest"), default=None)
    args = parser.parse_args()
    result: dict = {}
    with (
        tempfile.TemporaryDirectory() as folder,
        scratch_database(args.database_url, Path(folder)) as url,
    ):
        result["database"] = url.split(":")[0]
        serving_ward = None
        if args.only != "digest":
            result["serving"] = run_serving(args.rounds, url, args.clients, Path(folder))
            serving_ward = result["serving"]["ward_id"]
        if args.only != "serving":
            result["digest"] = run_digest(url, args.wards, Path(folder), serving_ward)
        result["load_average"] = os.getloadavg()
    report("followup", result)
    for row in result.get("serving", {}).get("rows", []):
        line = f"{row['name']:>15}: {row['rps']:8.1f} req/s, p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms"
        if "ratio_to_bare" in row:
            ratio = row["ratio_to_bare"]
            verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
            line += f" — {ratio:.0%} of {COMPARED[row['name']]}, {verdict} ≥ {TARGET_RATIO:.0%}"
        print(line)
    if "digest" in result:
        digest = result["digest"]
        verdict = "meets" if digest["digest_seconds"] <= TARGET_DIGEST_SECONDS else "MISSES"
        print(
            f"digest: {digest['mails_queued']} mails for {digest['wards']} wards in "
            f"{digest['digest_seconds']} s ({digest['digest_cpu_seconds']} s processor time in "
            f"this process) — {verdict} ≤ {TARGET_DIGEST_SECONDS:g} s"
        )


if __name__ == "__main__":
    main()
