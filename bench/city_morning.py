"""Benchmark: a city's morning — 20 conferences at once, 300 phones on each live page (issue 14).

Serves the application as a deployment does, as two services on the same code, PostgreSQL and
Redis: ``dialogue-web`` (gthread: pages, sign-in, saves) and ``dialogue-streams`` (gevent:
the Server-Sent Events streams only), each started exactly as in production,

    gunicorn -c gunicorn.conf.py wsgi:app                                  # web
    DIALOGUE_WORKER_CLASS=gevent gunicorn -c gunicorn.conf.py wsgi:app     # streams

(with ``DIALOGUE_BIND`` and ``DIALOGUE_WORKERS`` set). It seeds one ward per conference, each
conference in progress with its secretaries, then:

- viewers: ``--viewers`` residents' phones per conference hold the public live stream, from
  ``--client-processes`` asyncio processes (6,000 sockets; the open-file limit is raised).
  They all connect at once, as after a proxy restart, and the time until every one has its
  first frame is measured; a stream that breaks resumes with ``Last-Event-ID``, as
  ``EventSource`` does;
- secretaries: ``--secretaries`` per conference, each saving a turn every ``--interval``
  seconds (at its own moment; ``--in-step``: all at the same instant) for ``--seconds``,
  through the console's JSON API (``POST /conferences/<id>/live/turns`` with the CSRF token and
  a client key, as the console's outbox sends it).

Measured: save p50/p95; delivery p50/p99/max to every phone, from the save's acknowledgement
(and from its sending) to the moment the phone's stream carried the turn; turns lost or
duplicated in the database and on screens; the resident memory (``/proc``) of every process
of the node (both services' masters and workers), and of the streams service per stream.

Targets: delivery p99 ≤ 1 s, save p95 ≤ 100 ms, nothing lost or duplicated, node ≤ 2 GB.

    .venv/bin/python -m bench.city_morning [--conferences 20] [--viewers 300]
        [--secretaries 2] [--interval 3] [--seconds 60] [--stream-workers 2]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
        [--redis-url redis://127.0.0.1:6379/8] [--web-port 5120] [--streams-port 5121]
        [--in-step]

The in-step case of ``live_session`` (five secretaries saving at the same instant, 300
phones) on the split services: ``--conferences 1 --secretaries 5 --interval 1 --in-step``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import re
import resource
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from bench.harness import (
    ROOT,
    Session,
    app_environment,
    percentile,
    postgres_scratch,
    report,
    summary,
)

PASSWORD = "bench-password-123"
MARKER = "bench-turn"
MARKED = re.compile(rb'"question":\s*"bench-turn (\S+) ')
EVENT_IDS = re.compile(rb"^id: (\d+)", re.MULTILINE)
OPEN_FILES = 20000
START_TIMEOUT = 60


def environment(database_url: str, redis_url: str) -> dict[str, str]:
    # Every secretary signs in at the start: no sign-in limit in the way.
    return app_environment(
        database_url,
        DIALOGUE_REDIS_URL=redis_url,
        DIALOGUE_LOGIN_RATE_LIMIT="10000 per minute",
        DIALOGUE_LOGIN_ACCOUNT_RATE_LIMIT="10000 per minute",
    )


def seed(database_url: str, redis_url: str, conferences: int, secretaries: int) -> list[dict]:
    """One ward per conference, each conference in progress with its own secretaries."""
    os.environ.update(environment(database_url, redis_url))
    from flask_migrate import upgrade

    from dialogue import create_app
    from dialogue.auth.models import Role
    from dialogue.auth.operations import create_user
    from dialogue.conferences.models import Conference, ConferenceStatus
    from dialogue.extensions import db
    from dialogue.wards.operations import create_ward

    app = create_app()
    seeded = []
    with app.app_context():
        upgrade()
        start = datetime.now(UTC) - timedelta(minutes=30)
        for number in range(1, conferences + 1):
            slug = f"phuong-{number}-{secrets.token_hex(2)}"
            ward = create_ward(name=f"Phường {number}", slug=slug, province="Hà Nội")
            users = [
                create_user(
                    ward=ward,
                    username=f"w{number}s{n}",
                    display_name=f"Thư ký {n} phường {number}",
                    password=PASSWORD,
                    role=Role.SECRETARY,
                )
                for n in range(1, secretaries + 1)
            ]
            conference = Conference(
                ward=ward,
                title=f"Hội nghị đối thoại phường {number}",
                start_dt=start,
                planned_end_dt=start + timedelta(hours=3),
                status=ConferenceStatus.IN_PROGRESS,
                announced_dt=start - timedelta(days=10),
                secretaries=users,
            )
            db.session.add(conference)
            db.session.commit()
            seeded.append(
                {
                    "conference_id": conference.id,
                    "slug": slug,
                    "usernames": [user.username for user in users],
                }
            )
    return seeded


def stored_turns(database_url: str, conference_ids: list[int]) -> dict:
    """Turns in the database at the end, and client keys or positions stored twice."""
    from dialogue.live.models import Turn

    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(Turn.conference_id, Turn.client_key, Turn.position).where(
                Turn.conference_id.in_(conference_ids)
            )
        ).all()
    engine.dispose()
    keys = [row.client_key for row in rows]
    positions = [(row.conference_id, row.position) for row in rows]
    return {
        "turns": len(rows),
        "keys": set(keys),
        "repeated_keys": len(keys) - len(set(keys)),
        "repeated_positions": len(positions) - len(set(positions)),
    }


# -- the node -----------------------------------------------------------------------------


@contextmanager
def service(name: str, env: dict[str, str], log_folder: Path, *, nice: int = 0):
    """Start ``gunicorn -c gunicorn.conf.py wsgi:app`` as the deployment does; stop it after.

    ``nice``: its priority below the others', as the deployment's unit sets it (``Nice=``).
    """
    port = int(env["DIALOGUE_BIND"].rsplit(":", 1)[1])
    log_path = log_folder / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=(lambda: os.nice(nice)) if nice else None,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited:\n{log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.3)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024


def service_rss_mb(master: subprocess.Popen) -> dict:
    """The resident memory of a gunicorn master and each of its workers, in MB."""
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    workers = [round(rss_mb(int(child)), 1) for child in children]
    master_mb = round(rss_mb(master.pid), 1)
    return {"master": master_mb, "workers": workers, "sum": round(master_mb + sum(workers), 1)}


# -- the phones ---------------------------------------------------------------------------


async def _watch(port: int, path: str, screen: dict, opened: list) -> None:
    """Hold one stream as EventSource does: resume with Last-Event-ID after a break.

    Reads what has arrived in one go and scans it with two regular expressions, not line by
    line: the clients share the two cores with the server and must cost it little.
    """
    last_id = None
    while True:
        writer = None
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
            resume = f"Last-Event-ID: {last_id}\r\n" if last_id is not None else ""
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                f"{resume}\r\n".encode()
            )
            head = await reader.readuntil(b"\r\n\r\n")
            if b" 200 " not in head.split(b"\r\n", 1)[0]:
                raise ConnectionError(head[:80].decode(errors="replace"))
            tail = b""
            while True:
                data = await reader.read(1 << 16)
                if not data:
                    raise ConnectionError("stream ended")
                arrived = time.time()
                data = tail + data
                cut = data.rfind(b"\n") + 1
                lines, tail = data[:cut], data[cut:]
                ids = EVENT_IDS.findall(lines)
                if ids:
                    if last_id is None and not screen.get("__opened__"):
                        screen["__opened__"] = True
                        opened.append(arrived)
                    last_id = int(ids[-1])
                for key in MARKED.findall(lines):
                    key = key.decode()
                    if key in screen:
                        screen["__repeats__"] = screen.get("__repeats__", 0) + 1
                    else:
                        screen[key] = arrived
        except asyncio.CancelledError:
            return
        except (OSError, ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            screen["__errors__"] = screen.get("__errors__", 0) + 1
            await asyncio.sleep(random.uniform(1, 3))
        finally:
            if writer is not None:
                writer.close()


def viewer_process(
    port: int, paths: list[tuple[int, str]], go_at: float, stop_at: float, nice: int = 0
):
    """Hold one stream per (conference, path) in one event loop; return what each saw.

    ``nice``: the phones are not on the server on a real morning; here they share its two
    cores, and at a lower priority take what the services leave (their own delays then count
    against the delivery measured, not against the saves).
    """
    if nice:
        os.nice(nice)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, OPEN_FILES), hard))
    screens = [{"__conference__": conference} for conference, _ in paths]
    opened: list[float] = []

    async def main():
        await asyncio.sleep(max(0.0, go_at - time.time()))
        watching = [
            asyncio.create_task(_watch(port, path, screen, opened))
            for (_, path), screen in zip(paths, screens, strict=True)
        ]
        await asyncio.sleep(max(0.0, stop_at - time.time()))
        for task in watching:
            task.cancel()
        await asyncio.gather(*watching, return_exceptions=True)

    asyncio.run(main())
    return {"screens": screens, "opened": opened}


# -- the secretaries ----------------------------------------------------------------------


def _secretary(port, username, conference, console, interval, seconds, phase, start, out):
    session = Session(port)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    try:
        session.login(username, PASSWORD)
        csrf = session.csrf_token(console + "/")
        headers["X-CSRFToken"] = csrf
        # One save before the phones connect and the clock starts: a worker's first save
        # loads what the first one needs, as on a server that has been up all morning.
        warm_up = {
            "client_key": secrets.token_hex(8),
            "question": "Khởi động",
            "outcome": "pending",
        }
        session.request_raw("POST", console + "/turns", json.dumps(warm_up).encode(), headers)
    finally:
        start["signed_in"].release()
    saves = []
    failures = []
    start["go"].wait()
    go_at = start["at"] + phase
    time.sleep(max(0.0, go_at - time.time()))
    for tick in range(int(seconds / interval)):
        time.sleep(max(0.0, go_at + tick * interval - time.time()))
        key = f"c{conference}-{username}-{tick}-{secrets.token_hex(3)}"
        body = json.dumps(
            {
                "client_key": key,
                "question": f"{MARKER} {key} Hỏi về thủ tục cấp giấy chứng nhận quyền sử dụng đất",
                "speaker_name": "Nguyễn Văn Thử",
                "outcome": "pending",
            }
        ).encode()
        sent = time.time()
        status, data, elapsed = session.request_raw("POST", console + "/turns", body, headers)
        acknowledged = time.time()
        if status in (200, 201):
            saves.append((key, conference, sent, acknowledged, elapsed))
        else:
            failures.append(f"{status} {data[:160]!r}")
    out.append({"saves": saves, "failures": failures})


def secretaries_process(port, jobs, interval, seconds, in_step, ready, go):
    """All the secretaries of the city, a thread each, saving on their own rhythm.

    They sign in (a deliberately slow password hash each) before the phones connect; once
    they all have, ``ready`` gets a word, and ``go`` gives the moment to start saving.
    """
    out: list[dict] = []
    threads = []
    start = {"signed_in": threading.Semaphore(0), "go": threading.Event()}
    for index, (username, conference, console) in enumerate(jobs):
        # People typing on their own: each at its own moment of the interval.
        phase = 0.0 if in_step else interval * index / len(jobs)
        thread = threading.Thread(
            target=_secretary,
            args=(
                port,
                username,
                conference,
                console,
                interval,
                seconds,
                phase,
                start,
                out,
            ),
        )
        thread.start()
        threads.append(thread)
    for _ in jobs:
        start["signed_in"].acquire()
    ready.put(len(jobs))
    start["at"] = go.get()
    start["go"].set()
    for thread in threads:
        thread.join()
    return out


# -- one run ------------------------------------------------------------------------------


def _split(items: list, parts: int) -> list[list]:
    return [items[index::parts] for index in range(parts)]


def _ms(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    values_ms = [value * 1000 for value in values]
    return {
        "n": len(values_ms),
        "p50_ms": round(percentile(values_ms, 50), 1),
        "p99_ms": round(percentile(values_ms, 99), 1),
        "max_ms": round(max(values_ms), 1),
    }


def run(args) -> dict:
    seeded = seed(args.database_url, args.redis_url, args.conferences, args.secretaries)
    env = environment(args.database_url, args.redis_url)
    web_env = {
        **env,
        "DIALOGUE_BIND": f"127.0.0.1:{args.web_port}",
        "DIALOGUE_WORKERS": str(args.web_workers),
        "DIALOGUE_LOG_LEVEL": "warning",
    }
    streams_env = {
        **env,
        "DIALOGUE_BIND": f"127.0.0.1:{args.streams_port}",
        "DIALOGUE_WORKER_CLASS": "gevent",
        "DIALOGUE_WORKERS": str(args.stream_workers),
        "DIALOGUE_LOG_LEVEL": "warning",
    }
    paths = [
        (
            item["conference_id"],
            f"/p/{item['slug']}/hoi-nghi/{item['conference_id']}/truc-tiep/stream",
        )
        for item in seeded
        for _ in range(args.viewers)
    ]
    jobs = [
        (username, item["conference_id"], f"/conferences/{item['conference_id']}/live")
        for item in seeded
        for username in item["usernames"]
    ]
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        web = stack.enter_context(service("web", web_env, Path(folder)))
        streams = stack.enter_context(
            service("streams", streams_env, Path(folder), nice=args.streams_nice)
        )
        idle = {"web": service_rss_mb(web), "streams": service_rss_mb(streams)}
        pool = stack.enter_context(context.Pool(args.client_processes + 1))
        manager = stack.enter_context(context.Manager())
        ready, go = manager.Queue(), manager.Queue()
        # The secretaries sign in, then the phones connect (all at once, as after a proxy
        # restart), then the secretaries start saving.
        secretaries = pool.apply_async(
            secretaries_process,
            (args.web_port, jobs, args.interval, args.seconds, args.in_step, ready, go),
        )
        ready.get(timeout=120)
        connect_at = time.time() + 1
        go_at = connect_at + args.connect_seconds
        go.put(go_at)
        stop_at = go_at + args.seconds + args.grace
        viewers = [
            pool.apply_async(
                viewer_process,
                (args.streams_port, part, connect_at, stop_at, args.phones_nice),
            )
            for part in _split(paths, args.client_processes)
        ]
        time.sleep(max(0.0, go_at - time.time() - 1))
        connected = {"web": service_rss_mb(web), "streams": service_rss_mb(streams)}
        saves_out = secretaries.get(timeout=args.seconds + args.connect_seconds + 300)
        busy = {"web": service_rss_mb(web), "streams": service_rss_mb(streams)}
        viewer_out = [job.get(timeout=args.seconds + args.grace + 300) for job in viewers]
        streams_log = (Path(folder) / "streams.log").read_text()
        web_log = (Path(folder) / "web.log").read_text()
    stored = stored_turns(args.database_url, [item["conference_id"] for item in seeded])

    saves = [save for result in saves_out for save in result["saves"]]
    failures = [failure for result in saves_out for failure in result["failures"]]
    by_conference: dict[int, list[tuple]] = {}
    for save in saves:
        by_conference.setdefault(save[1], []).append(save)
    screens = [screen for result in viewer_out for screen in result["screens"]]
    opened = sorted(at for result in viewer_out for at in result["opened"])
    from_ack: list[float] = []
    from_send: list[float] = []
    missing = repeats = errors = 0
    for screen in screens:
        repeats += screen.pop("__repeats__", 0)
        screen.pop("__opened__", None)
        errors += screen.pop("__errors__", 0)
        conference = screen.pop("__conference__")
        for key, _conference, sent, acknowledged, _elapsed in by_conference.get(conference, []):
            at = screen.get(key)
            if at is None:
                missing += 1
                continue
            from_send.append(at - sent)
            from_ack.append(max(0.0, at - acknowledged))
    save_row = summary("save", [save[4] for save in saves])
    sent_keys = {save[0] for save in saves}
    total_mb = round(busy["web"]["sum"] + busy["streams"]["sum"], 1)
    per_stream_kb = (
        round((connected["streams"]["sum"] - idle["streams"]["sum"]) * 1024 / len(paths), 1)
        if paths
        else None
    )
    return {
        "database": args.database_url.split(":")[0],
        "conferences": args.conferences,
        "viewers_per_conference": args.viewers,
        "streams": len(paths),
        "secretaries_per_conference": args.secretaries,
        "interval_s": args.interval,
        "seconds": args.seconds,
        "in_step": args.in_step,
        "web_workers": args.web_workers,
        "streams_nice": args.streams_nice,
        "phones_nice": args.phones_nice,
        "stream_workers": args.stream_workers,
        "client_processes": args.client_processes,
        "connect": {
            "streams_opened": len(opened),
            "all_open_after_s": round(opened[-1] - connect_at, 2) if opened else None,
            "p50_open_after_s": round(opened[len(opened) // 2] - connect_at, 2) if opened else None,
        },
        "save": save_row,
        "saves": len(saves),
        "save_failures": len(failures),
        "save_failure_samples": failures[:5],
        "delivery_from_ack": _ms(from_ack),
        "delivery_from_send": _ms(from_send),
        "lost_in_database": len(sent_keys - stored["keys"]),
        "stored_twice": stored["repeated_keys"],
        "repeated_positions": stored["repeated_positions"],
        "missing_on_screens": missing,
        "repeated_on_screens": repeats,
        "stream_breaks": errors,
        "rss_mb": {"idle": idle, "streams_open": connected, "after_saves": busy},
        "node_rss_mb": total_mb,
        "streams_rss_per_stream_kb": per_stream_kb,
        "server_log_errors": [
            line
            for line in (streams_log + web_log).splitlines()
            if "Error" in line or "CRITICAL" in line or "Traceback" in line
        ][:10],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conferences", type=int, default=20)
    parser.add_argument("--viewers", type=int, default=300, help="phones per conference")
    parser.add_argument("--secretaries", type=int, default=2, help="per conference")
    parser.add_argument("--interval", type=float, default=3.0, help="seconds between saves")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--in-step", action="store_true", help="every save at the same instant")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--stream-workers", type=int, default=2)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument(
        "--connect-seconds", type=float, default=40, help="time given to the phones to connect"
    )
    parser.add_argument("--grace", type=float, default=10, help="listening after the last save")
    parser.add_argument(
        "--database-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="a new database is made beside this one for the run, and dropped after",
    )
    parser.add_argument(
        "--streams-nice",
        type=int,
        default=5,
        help="the streams service's priority below the web's (deploy/: Nice=5); 0: the same",
    )
    parser.add_argument(
        "--phones-nice",
        type=int,
        default=10,
        help="the phones' processes below the services (they are not on a real server); 0: not",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/8")
    parser.add_argument("--web-port", type=int, default=5120)
    parser.add_argument("--streams-port", type=int, default=5121)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, OPEN_FILES), hard))
    with ExitStack() as stack:
        if sa.engine.make_url(args.database_url).drivername.startswith("postgresql"):
            args.database_url = stack.enter_context(
                postgres_scratch(args.database_url, "city_morning")
            )
        result = run(args)
    name = "city_morning" + ("_in_step" if args.in_step else "")
    report(name, result)
    save, delivery = result["save"], result["delivery_from_ack"]
    print(
        f"save p95 {save.get('p95_ms')} ms: "
        + ("meets" if (save.get("p95_ms") or 1e9) <= 100 else "MISSES")
        + " ≤ 100 ms"
    )
    print(
        f"delivery p99 {delivery.get('p99_ms')} ms from the acknowledgement to "
        f"{result['streams']} phones: "
        + ("meets" if (delivery.get("p99_ms") or 1e9) <= 1000 else "MISSES")
        + " ≤ 1 s"
    )
    print(
        f"{result['saves']} turns saved, {result['lost_in_database']} lost, "
        f"{result['stored_twice']} stored twice; {result['missing_on_screens']} missing and "
        f"{result['repeated_on_screens']} repeated on screens; node RSS {result['node_rss_mb']} MB "
        + ("(meets ≤ 2 GB)" if result["node_rss_mb"] <= 2048 else "(MISSES ≤ 2 GB)")
    )


if __name__ == "__main__":
    main()
