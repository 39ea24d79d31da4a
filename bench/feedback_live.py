"""Benchmark: 300 phones rating answers and supporting questions during a live session.

Seeds a ward with a conference in progress, five secretaries, 20 turns answered on the spot
and 20 residents' questions shown publicly, serves the app under gunicorn on loopback with the
production configuration (`gunicorn.conf.py`, gthread) and the Redis bus, then in one run:

- viewers: 300 Server-Sent-Event connections to the residents' live stream, each noting when
  every new turn reached it (as in `bench.live_session`);
- secretaries: 5 client processes, each saving one turn a second through the console's JSON
  API, beside the bare route (as in `bench.live_session`);
- phones: 300 devices (threads in client processes of their own), each with its own cookie
  jar as a browser keeps it, rating random answers on the three-level scale — about 2,000
  ratings a minute in all, one in five a change of an earlier rating — and supporting
  questions ("Tôi cũng quan tâm"), through the same posts the residents' pages send.

Targets (issue 12): the secretaries' save p95 ≤ 100 ms and delivery p99 ≤ 1 s (the live
targets) while the phones rate; 2,000 ratings a minute stored without loss: every rating the
server acknowledged is in the database, once per device and answer, with the level last
acknowledged; every support acknowledged counted once.

The limits on residents' posts are per address, and every phone here shares 127.0.0.1: the run
raises the per-address limits (a hall's Wi-Fi is one address too; see the README on
DIALOGUE_FEEDBACK_RATE_LIMIT), and keeps the per-device limit as configured by default.

    .venv/bin/python -m bench.feedback_live [--phones 300] [--ratings-per-minute 2000]
        [--seconds 60] [--database-url URL] [--redis-url redis://127.0.0.1:6379/14]
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.harness import ROOT, Session, gunicorn, percentile, report, summary, worker_rss_mb
from bench.live_session import (
    _environment as live_environment,
)
from bench.live_session import (
    deliveries,
    secretary_process,
    viewer_process,
    viewer_sizes,
)

PHONES_PER_PROCESS = 75
ANSWERED_TURNS = 20
SHOWN_QUESTIONS = 20
LEVELS = ("very_satisfied", "satisfied", "dissatisfied")
# Most people are content with most answers, as the survey results of real wards say.
LEVEL_WEIGHTS = (0.35, 0.5, 0.15)
CHANGE_SHARE = 0.2
SUPPORTS_PER_PHONE = 2


def _environment(database_url: str, redis_url: str) -> dict[str, str]:
    return {
        **live_environment(database_url, redis_url),
        # Every phone of the run shares one address, as a hall's Wi-Fi does.
        "DIALOGUE_FEEDBACK_RATE_LIMIT": "100000 per minute",
        "DIALOGUE_NEW_DEVICE_RATE_LIMIT": "100000 per hour",
    }


def seed(database_url: str, redis_url: str, secretaries: int) -> dict:
    """The live session's ward and conference, with answers to rate and questions to support."""
    from bench import live_session

    info = live_session.seed(database_url, redis_url, secretaries)
    from dialogue import create_app
    from dialogue.extensions import db
    from dialogue.live.models import Turn, TurnOutcome
    from dialogue.questions.models import QuestionStatus, ResidentQuestion

    with create_app().app_context():
        now = datetime.now(UTC)
        turns = [
            Turn(
                conference_id=info["conference_id"],
                position=n,
                spoken_dt=now - timedelta(minutes=25 - n),
                question=f"Câu hỏi số {n} về thủ tục đăng ký hộ tịch và cấp giấy chứng nhận",
                outcome=TurnOutcome.ANSWERED,
                answerer_name="Phó Chủ tịch UBND phường",
                answer=f"Trả lời câu hỏi số {n}: hồ sơ được giải quyết trong 3 ngày làm việc.",
            )
            for n in range(1, ANSWERED_TURNS + 1)
        ]
        questions = [
            ResidentQuestion(
                conference_id=info["conference_id"],
                question=f"Đề nghị phường cho biết tiến độ giải quyết hồ sơ số {n}",
                status=QuestionStatus.WAITING,
                is_shown_publicly=True,
                shown_dt=now - timedelta(minutes=40),
            )
            for n in range(1, SHOWN_QUESTIONS + 1)
        ]
        db.session.add_all(turns + questions)
        db.session.commit()
        info["turn_ids"] = [turn.id for turn in turns]
        info["question_ids"] = [question.id for question in questions]
    return info


def _phone(port: int, plan: list, paths: dict, outcome: dict) -> None:
    """One device: its own cookies and connection, posting its plan at the planned moments."""
    session = Session(port)
    acknowledged: dict[str, str] = {}
    supported: set[int] = set()
    failures: list[str] = []
    timings: list[float] = []
    rating_posts = 0
    for at, action, target, level in plan:
        time.sleep(max(0.0, at - time.time()))
        if action == "rate":
            path = paths["rate"].format(turn=target)
            form = {"kind": "spoken", "level": level, "comment": ""}
        else:
            path = paths["support"].format(question=target)
            form = {}
        try:
            status, data, elapsed = session.request(
                "POST", path, form, headers={"Accept": "application/json"}
            )
        except OSError as error:
            failures.append(f"{action}: {error}")
            session = Session(port) if not session.cookies else _reconnected(session, port)
            continue
        timings.append(elapsed)
        if status != 200:
            failures.append(f"{action} {status} {data[:120]!r}")
            continue
        if action == "rate":
            rating_posts += 1
            acknowledged[str(target)] = level
        else:
            supported.add(target)
    outcome.update(
        ratings=acknowledged,
        supports=sorted(supported),
        failures=failures,
        timings=timings,
        rating_posts=rating_posts,
        device_cookie=session.cookies.get("dialogue_device", ""),
    )


def _reconnected(session: Session, port: int) -> Session:
    fresh = Session(port)
    fresh.cookies.update(session.cookies)
    return fresh


def phone_process(port: int, plans: list, paths: dict, ready_queue) -> list:
    """Run one thread per device of ``plans``; return what each was told."""
    outcomes = [{} for _ in plans]
    threads = [
        threading.Thread(target=_phone, args=(port, plan, paths, outcomes[index]), daemon=True)
        for index, plan in enumerate(plans)
    ]
    ready_queue.put(len(plans))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def make_plans(args, info: dict, go_at: float) -> list[list]:
    """Each phone's posts: ratings spread over the run, some of them changes, and supports."""
    rng = random.Random(12)
    ratings_total = round(args.ratings_per_minute * args.seconds / 60)
    plans: list[list] = [[] for _ in range(args.phones)]
    for index in range(ratings_total):
        phone = index % args.phones
        already = [target for _, action, target, _ in plans[phone] if action == "rate"]
        if already and rng.random() < CHANGE_SHARE:
            turn = rng.choice(already)
        else:
            fresh = [t for t in info["turn_ids"] if t not in already] or info["turn_ids"]
            turn = rng.choice(fresh)
        level = rng.choices(LEVELS, LEVEL_WEIGHTS)[0]
        plans[phone].append((go_at + rng.uniform(0, args.seconds), "rate", turn, level))
    for plan in plans:
        for question in rng.sample(info["question_ids"], SUPPORTS_PER_PHONE):
            plan.append((go_at + rng.uniform(0, args.seconds), "support", question, None))
        plan.sort()
    return plans


def stored(database_url: str, redis_url: str, conference_id: int) -> dict:
    """What the database holds at the end: ratings by (device, turn), supports by question."""
    import os

    os.environ.update(_environment(database_url, redis_url))
    import sqlalchemy as sa

    from dialogue import create_app
    from dialogue.extensions import db
    from dialogue.feedback.models import AnswerRating, QuestionSupport
    from dialogue.questions.models import ResidentQuestion

    with create_app().app_context():
        ratings = db.session.execute(
            sa.select(AnswerRating.device_key, AnswerRating.turn_id, AnswerRating.level).where(
                AnswerRating.conference_id == conference_id
            )
        ).all()
        supports = db.session.execute(
            sa.select(QuestionSupport.question_id, sa.func.count())
            .join(ResidentQuestion, ResidentQuestion.id == QuestionSupport.question_id)
            .where(ResidentQuestion.conference_id == conference_id)
            .group_by(QuestionSupport.question_id)
        ).all()
        counts = dict(
            db.session.execute(
                sa.select(ResidentQuestion.id, ResidentQuestion.support_count).where(
                    ResidentQuestion.conference_id == conference_id
                )
            ).all()
        )
    return {
        "ratings": [(key, turn, level.value) for key, turn, level in ratings],
        "supports": {question: n for question, n in supports},
        "support_counts": counts,
    }


def _device_key(cookie: str) -> str | None:
    """The key the server stores for a device cookie (its signed identifier, hashed)."""
    if not cookie:
        return None
    import hashlib
    import hmac

    from bench.harness import app_environment

    identifier = cookie.rsplit(".", 1)[0]
    secret = app_environment("")["DIALOGUE_SECRET_KEY"].encode()
    return hmac.new(secret, f"device:{identifier}".encode(), hashlib.sha256).hexdigest()


def run(args) -> dict:
    info = seed(args.database_url, args.redis_url, args.secretaries)
    conference_id = info["conference_id"]
    prefix = f"/p/{info['slug']}/hoi-nghi/{conference_id}"
    paths = {
        "rate": prefix + "/luot/{turn}/danh-gia",
        "support": prefix + "/cau-hoi/{question}/quan-tam",
    }
    console = f"/conferences/{conference_id}/live"
    stream = f"{prefix}/truc-tiep/stream"
    environment = _environment(args.database_url, args.redis_url)
    context = multiprocessing.get_context("spawn")
    watch_seconds = args.seconds + 25
    with gunicorn(
        environment,
        workers=args.workers,
        threads=args.threads,
        app="bench.benchapp:app",
        config=str(ROOT / "gunicorn.conf.py"),
    ) as (port, master):
        manager = context.Manager()
        started = manager.Queue()
        sizes = viewer_sizes(args.viewers)
        go_at = time.time() + 40
        plans = make_plans(args, info, go_at)
        chunks = [
            plans[start : start + PHONES_PER_PROCESS]
            for start in range(0, len(plans), PHONES_PER_PROCESS)
        ]
        with context.Pool(len(sizes) + len(chunks) + args.secretaries) as pool:
            viewers = [
                pool.apply_async(viewer_process, (port, stream, size, watch_seconds + 40, started))
                for size in sizes
            ]
            for _ in sizes:
                started.get(timeout=120)
            phones = [
                pool.apply_async(phone_process, (port, chunk, paths, started)) for chunk in chunks
            ]
            for _ in chunks:
                started.get(timeout=120)
            idle_memory = [round(mb, 1) for mb in worker_rss_mb(master)]
            secretaries = [
                pool.apply_async(
                    secretary_process,
                    (port, username, console, args.seconds, go_at + index / args.secretaries),
                )
                for index, username in enumerate(info["usernames"])
            ]
            saves = [job.get(timeout=args.seconds + 160) for job in secretaries]
            told = [outcome for job in phones for outcome in job.get(timeout=args.seconds + 160)]
            busy_memory = [round(mb, 1) for mb in worker_rss_mb(master)]
            screens = [screen for job in viewers for screen in job.get(timeout=watch_seconds + 120)]
    held = stored(args.database_url, args.redis_url, conference_id)
    return _result(args, saves, screens, told, held, idle_memory, busy_memory)


def _result(args, saves, screens, told, held, idle_memory, busy_memory) -> dict:
    sent = {key: at for result in saves for key, at in result["sent"].items()}
    seconds, missing, _repeats, _errors = deliveries(sent, screens)
    delays = [delay * 1000 for delay in seconds]
    save_times = [t for result in saves for t in result["timings"]["save"]]
    bare_times = [t for result in saves for t in result["timings"]["bare"]]
    post_times = [t for outcome in told for t in outcome["timings"]]

    # Every acknowledged rating must be stored once, with the level last acknowledged.
    expected: dict[tuple[str, int], str] = {}
    for outcome in told:
        key = _device_key(outcome["device_cookie"])
        for turn, level in outcome["ratings"].items():
            expected[(key, int(turn))] = level
    held_ratings = {(key, turn): level for key, turn, level in held["ratings"]}
    duplicates = len(held["ratings"]) - len(held_ratings)
    lost = [pair for pair in expected if pair not in held_ratings]
    wrong_level = [pair for pair, level in expected.items() if held_ratings.get(pair) != level]
    supports_expected: dict[int, int] = {}
    for outcome in told:
        for question in outcome["supports"]:
            supports_expected[question] = supports_expected.get(question, 0) + 1
    supports_lost = sum(
        max(0, n - held["supports"].get(question, 0)) for question, n in supports_expected.items()
    )
    count_drift = sum(
        abs(held["support_counts"].get(question, 0) - held["supports"].get(question, 0))
        for question in held["support_counts"]
    )
    failures = [failure for outcome in told for failure in outcome["failures"]]
    rating_posts = sum(outcome["rating_posts"] for outcome in told)
    return {
        "database": args.database_url.split(":")[0],
        "workers": args.workers,
        "threads": args.threads,
        "viewers": len(screens),
        "phones": len(told),
        "seconds": args.seconds,
        "rows": [
            summary("bare", bare_times),
            summary("save", save_times),
            summary("phone post", post_times),
        ],
        "delivery": {
            "n": len(delays),
            "p50_ms": round(percentile(delays, 50), 1) if delays else None,
            "p99_ms": round(percentile(delays, 99), 1) if delays else None,
            "missing_on_screens": missing,
        },
        "ratings": {
            "planned_per_minute": args.ratings_per_minute,
            "posts_acknowledged": rating_posts,
            "per_minute_acknowledged": round(rating_posts * 60 / args.seconds),
            "distinct_acknowledged": len(expected),
            "stored": len(held_ratings),
            "lost": len(lost),
            "duplicates": duplicates,
            "wrong_level": len(wrong_level),
        },
        "supports": {
            "acknowledged": sum(supports_expected.values()),
            "stored": sum(held["supports"].values()),
            "lost": supports_lost,
            "count_drift": count_drift,
        },
        "phone_failures": failures[:5],
        "phone_failure_count": len(failures),
        "save_failure_count": sum(len(result["failures"]) for result in saves),
        "worker_rss_mb": {"streams_open": idle_memory, "after": busy_memory},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=300)
    parser.add_argument("--phones", type=int, default=300)
    parser.add_argument("--secretaries", type=int, default=5)
    parser.add_argument("--ratings-per-minute", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if args.database_url is None:
            args.database_url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        result = run(args)
    report("feedback_live", result)
    save = next(row for row in result["rows"] if row["name"] == "save")
    print(
        f"save p95 {save['p95_ms']} ms (target ≤ 100), delivery p99 "
        f"{result['delivery']['p99_ms']} ms (target ≤ 1000), ratings stored "
        f"{result['ratings']['stored']} of {result['ratings']['distinct_acknowledged']} "
        f"acknowledged, lost {result['ratings']['lost']}, duplicated "
        f"{result['ratings']['duplicates']}; supports lost {result['supports']['lost']}"
    )


if __name__ == "__main__":
    main()
