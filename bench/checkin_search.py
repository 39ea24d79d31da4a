"""Benchmark: the check-in desk's name search and token check-in, beside a bare route.

Seeds a ward with 5,000 people in its directory, all invited to one announced conference,
serves the app under gunicorn on loopback (2 workers × 4 threads), and interleaves, from
two client processes (two desks at the door, each as fast as it can go), a bare route, the desk's name search (no diacritics typed) and a token
check-in (each token once). Targets (issue 3): search p95 ≤ 50 ms, check-in p95 ≤ 30 ms.

    .venv/bin/python -m bench.checkin_search [--rounds 400] [--database-url URL]
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import random
import secrets
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.harness import Session, app_environment, gunicorn, report, summary, worker_rss_mb

SURNAMES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Vũ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Ngô",
    "Dương",
    "Lý",
]
MIDDLES = ["Văn", "Thị", "Đức", "Minh", "Thu", "Quang", "Ngọc", "Hữu", "Thanh", "Đình"]
GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Đức",
    "Giang",
    "Hà",
    "Hải",
    "Hạnh",
    "Hùng",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Nam",
    "Nga",
    "Phong",
    "Quân",
    "Sơn",
    "Tâm",
    "Thảo",
    "Trang",
    "Tuấn",
    "Yến",
]
QUERIES = [
    "nguyen van",
    "tran thi",
    "duc",
    "le minh",
    "pham thu",
    "hoang",
    "dang dinh",
    "bui ngoc",
    "do huu",
    "ngo thanh",
    "vu quang",
    "duong",
    "ly thi",
    "son",
    "trang",
]
PEOPLE = 5_000
PASSWORD = "bench-password-123"


def seed(database_url: str) -> tuple[int, list[str]]:
    """Create the ward, 5,000 people all invited, an organiser; return the conference id and tokens."""
    import os

    os.environ.update(_environment(database_url))
    from flask_migrate import upgrade

    from dialogue import create_app
    from dialogue.attendance.models import Attendee
    from dialogue.auth.models import Role
    from dialogue.auth.operations import create_user
    from dialogue.conferences.models import Conference, ConferenceStatus
    from dialogue.extensions import db
    from dialogue.people.models import Person
    from dialogue.wards.models import ResidentialGroup
    from dialogue.wards.operations import create_ward

    app = create_app()
    with app.app_context():
        upgrade()
        ward = create_ward(
            name="Thử Tải", slug=f"thu-tai-{secrets.token_hex(3)}", province="Hà Nội"
        )
        groups = [
            ResidentialGroup(ward=ward, number=n, name=f"Tổ dân phố số {n}") for n in range(1, 16)
        ]
        db.session.add_all(groups)
        create_user(
            ward=ward,
            username="bench",
            display_name="Cán bộ thử tải",
            password=PASSWORD,
            role=Role.ORGANISER,
        )
        start = datetime.now(UTC) + timedelta(days=2)
        conference = Conference(
            ward=ward,
            title="Hội nghị thử tải",
            start_dt=start,
            planned_end_dt=start + timedelta(hours=3),
            status=ConferenceStatus.ANNOUNCED,
        )
        db.session.add(conference)
        rng = random.Random(2020)
        names = itertools.product(SURNAMES, MIDDLES, GIVEN)
        people = []
        for index, (surname, middle, given) in zip(
            range(PEOPLE), itertools.cycle(names), strict=False
        ):
            people.append(
                Person(
                    ward=ward,
                    full_name=f"{surname} {middle} {given} {index}",
                    residential_group=rng.choice(groups),
                )
            )
        db.session.add_all(people)
        db.session.flush()
        attendees = [
            Attendee(
                conference=conference,
                person_id=p.id,
                full_name=p.full_name,
                residential_group_id=p.residential_group.id,
                is_invited=True,
            )
            for p in people
        ]
        db.session.add_all(attendees)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # A live database has planner statistics; a freshly loaded one must gather them.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
        return conference.id, [a.token for a in attendees]


def _environment(database_url: str) -> dict[str, str]:
    # Every desk signs in at the start: no login limit in the way.
    return app_environment(database_url, DIALOGUE_LOGIN_RATE_LIMIT="1000 per minute")


def desk_client(port: int, desk: str, tokens: list[str], seed_value: int) -> dict:
    """One desk, in a process of its own (a client thread would share the GIL with the others)."""
    rng = random.Random(seed_value)
    session = Session(port)
    session.login("bench", PASSWORD)
    csrf = session.csrf_token(desk + "/")
    for _ in range(20):  # warm up
        session.request("GET", "/__bench/bare")
        session.request("GET", f"{desk}/search.json?q=nguyen")
    timings: dict[str, list[float]] = {"bare": [], "search": [], "check-in": []}
    failures = []
    for token in tokens:
        status, _, bare = session.request("GET", "/__bench/bare")
        query = rng.choice(QUERIES).replace(" ", "+")
        s_status, _, search = session.request("GET", f"{desk}/search.json?q={query}")
        c_status, body, check = session.request(
            "POST",
            f"{desk}/code",
            {"token": token, "csrf_token": csrf},
            headers={"Accept": "application/json"},
        )
        timings["bare"].append(bare)
        timings["search"].append(search)
        timings["check-in"].append(check)
        if (status, s_status, c_status) != (200, 200, 200):
            failures.append(f"{status} {s_status} {c_status} {body[:120]!r}")
    return {"timings": timings, "failures": failures}


def run(rounds: int, database_url: str, clients: int) -> dict:
    conference_id, tokens = seed(database_url)
    desk = f"/conferences/{conference_id}/attendance"
    timings: dict[str, list[float]] = {"bare": [], "search": [], "check-in": []}
    failures: list[str] = []
    with gunicorn(_environment(database_url)) as (port, master):
        jobs = [(port, desk, tokens[n * rounds : (n + 1) * rounds], n) for n in range(clients)]
        with multiprocessing.get_context("spawn").Pool(clients) as pool:
            for result in pool.starmap(desk_client, jobs):
                for name, values in result["timings"].items():
                    timings[name].extend(values)
                failures.extend(result["failures"])
        memory = [round(mb, 1) for mb in worker_rss_mb(master)]
    rows = [summary(name, values) for name, values in timings.items()]
    bare_p95 = rows[0]["p95_ms"]
    for row in rows:
        row["p95_vs_bare"] = round(row["p95_ms"] / bare_p95, 2) if bare_p95 else None
    return {
        "rows": rows,
        "failures": failures[:5],
        "failure_count": len(failures),
        "worker_rss_mb": memory,
        "people": PEOPLE,
        "database": database_url.split(":")[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300, help="rounds per client")
    parser.add_argument("--clients", type=int, default=2, help="concurrent clients (desks)")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        result = run(args.rounds, url, args.clients)
    report("checkin_search", result)
    targets = {"search": 50.0, "check-in": 30.0}
    for row in result["rows"]:
        target = targets.get(row["name"])
        verdict = (
            ""
            if target is None
            else ("meets" if row["p95_ms"] <= target else "MISSES") + f" ≤ {target:g} ms"
        )
        print(
            f"{row['name']:>9}: p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms ({row['p95_vs_bare']}× bare) {verdict}"
        )


if __name__ == "__main__":
    main()
