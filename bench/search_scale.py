"""Benchmark: the public search and the per-ward archive at national and at city scale.

Serves the application under gunicorn on loopback (2 workers × 4 threads, gthread, as the other
benchmarks) and interleaves, from client processes (not threads: they would share one GIL and
inflate every figure), the bare route and, each time for a ward drawn at random:

- the public search (``/p/<ward>/tim-kiem?q=…``) with queries as residents type them: a word
  nearly every question holds ("đề nghị"), common words ("đất đai", "hộ tịch"), rare ones
  ("camera", "sạt lở"), words with đ ("đường", "đình làng"), each typed with its accents and
  without ("dat dai", "sat lo", "duong"), the shortest query allowed ("ca", two letters that
  begin many words) and a word no turn holds;
- the ward's archive (``/p/<ward>/bien-ban/``) and its second page.

Target (issue 14): search p95 ≤ 150 ms at national scale on PostgreSQL and at city scale on
SQLite; the archive page measured beside it.

    .venv/bin/python -m bench.search_scale national --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python -m bench.search_scale national --loaded postgresql+psycopg://…/postgres_national_…
    .venv/bin/python -m bench.search_scale city                 # SQLite, city_scale's province
        [--rounds 40] [--clients 2] [--port 5110] [--wrk 15] [--keep] [--only search|archive]

``national`` loads ``national_scale``'s 3,300 wards into a new PostgreSQL database beside the
one named (``--loaded`` measures a database kept by ``--keep`` or by ``national_scale --keep``);
``city`` generates ``city_scale``'s 126 wards into a fresh SQLite file, gives their turns
``national_scale``'s questions (city_scale's six would make every word common or absent), then
fills the search index as ``flask dialogue rebuild-search`` does. ``--wrk SECONDS`` then runs
wrk (when installed) against the same server, the bare route and then searches drawn at random:
their rate and latency over 8 connections, as many as the server has threads. ``--only``
measures one group beside the bare route and nothing else (the archive's statements take the
processors from the searches beside them). The clients and the server share the machine's
processors.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from bench.harness import Session, app_environment, gunicorn, rate_rows, report, worker_rss_mb

TARGET_P95_MS = 150.0
QUERIES = {
    "search very common": ["đề nghị", "de nghi"],
    "search common": ["đất đai", "hộ tịch", "giấy phép", "trợ cấp", "bảo hiểm y tế"],
    "search common plain": ["dat dai", "ho tich", "giay phep", "tro cap", "bao hiem y te"],
    "search rare": ["camera", "sạt lở", "karaoke", "nắp cống", "phế thải"],
    "search rare plain": ["camera", "sat lo", "karaoke", "nap cong", "phe thai"],
    "search đ": ["đường", "đình làng", "Đồng Xuân", "đo đạc"],
    "search đ plain": ["duong", "dinh lang", "dong xuan", "do dac"],
    "search short": ["ca", "ho", "th"],
    "search none": ["tàu điện ngầm", "xyzzy"],
}
SEARCHES = tuple(QUERIES)
KINDS = ("bare", *SEARCHES, "archive", "archive page 2")
# ``--only``: one group beside the bare route, nothing else in the same workers.
ONLY = {"search": ("bare", *SEARCHES), "archive": ("bare", "archive", "archive page 2")}
COUNT_RE = re.compile(r'class="archive-count"[^>]*>([^<]*)<')


def client(port: int, slugs: list[str], rounds: int, kinds: tuple[str, ...] = KINDS) -> dict:
    """One resident after another, in a process of its own."""
    rng = random.Random(os.getpid())
    session = Session(port)

    def path(kind: str, slug: str) -> str:
        if kind == "bare":
            return "/__bench/bare"
        if kind == "archive":
            return f"/p/{slug}/bien-ban/"
        if kind == "archive page 2":
            return f"/p/{slug}/bien-ban/?page=2"
        return f"/p/{slug}/tim-kiem?q={quote(rng.choice(QUERIES[kind]))}"

    for kind in kinds * 2:  # warm up: each worker's first requests load templates
        session.request("GET", path(kind, rng.choice(slugs)))
    timings: dict[str, list[float]] = {kind: [] for kind in kinds}
    found: dict[str, set[int]] = {kind: set() for kind in SEARCHES if kind in kinds}
    failures: list[str] = []
    for _ in range(rounds):
        order = list(kinds)
        rng.shuffle(order)  # no route always waits behind the same one
        for kind in order:
            address = path(kind, rng.choice(slugs))
            status, data, elapsed = session.request("GET", address)
            timings[kind].append(elapsed)
            if status != 200:
                failures.append(f"{address}: {status}")
            elif kind in found:
                match = COUNT_RE.search(data.decode())
                found[kind].add(int(re.sub(r"\D", "", match.group(1))) if match else 0)
    return {
        "timings": timings,
        "found": {kind: [min(v), max(v)] for kind, v in found.items() if v},
        "failures": failures,
    }


def measure(
    database_url: str,
    rounds: int,
    clients: int,
    port: int,
    wrk_seconds: int,
    kinds: tuple[str, ...] = KINDS,
) -> dict:
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        slugs = list(connection.scalars(sa.text("SELECT slug FROM wards WHERE is_active")))
    engine.dispose()
    env = app_environment(database_url)
    timings: dict[str, list[float]] = {kind: [] for kind in kinds}
    rates = dict.fromkeys(kinds, 0.0)
    failures: list[str] = []
    found: dict[str, list[int]] = {}
    with gunicorn(env, port=port) as (served_port, master):
        with multiprocessing.get_context("spawn").Pool(clients) as pool:
            results = pool.starmap(client, [(served_port, slugs, rounds, kinds)] * clients)
        memory = [round(mb, 1) for mb in worker_rss_mb(master)]
        wrk = run_wrk(served_port, slugs, wrk_seconds) if wrk_seconds else None
    for result in results:
        for kind, values in result["timings"].items():
            timings[kind].extend(values)
            rates[kind] += len(values) / sum(values)
        failures.extend(result["failures"])
        for kind, (low, high) in result["found"].items():
            known = found.setdefault(kind, [low, high])
            found[kind] = [min(known[0], low), max(known[1], high)]
    compared = {kind: "bare" for kind in kinds if kind != "bare"}
    return {
        "rows": rate_rows(kinds, timings, rates, compared),
        "turns_found_min_max": found,
        "failure_count": len(failures),
        "failures": failures[:5],
        "worker_rss_mb": memory,
        "wards": len(slugs),
        "clients": clients,
        "rounds_per_client": rounds,
        "wrk": wrk,
    }


WRK_SCRIPT = """
local paths = {%s}
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""


def run_wrk(port: int, slugs: list[str], seconds: int) -> dict | None:
    """wrk's rate and latency for the bare route, then for searches drawn at random."""
    if shutil.which("wrk") is None:
        return None
    rng = random.Random(14)
    searches = [
        f"/p/{rng.choice(slugs)}/tim-kiem?q={quote(rng.choice(QUERIES[kind]))}"
        for kind in SEARCHES
        for _ in range(50)
    ]
    found = {}
    for name, paths in (("bare", ["/__bench/bare"]), ("search", searches)):
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(WRK_SCRIPT % ", ".join(f'"{p}"' for p in paths))
        output = subprocess.run(
            ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency", "-s", script.name,
             f"http://127.0.0.1:{port}"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        os.unlink(script.name)
        found[name] = {
            "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
            "latency": dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", output, re.M)),
            "errors": re.findall(r"Non-2xx or 3xx responses: \d+|Socket errors: .*", output),
        }
    found["search_share_of_bare"] = round(
        found["search"]["requests_per_s"] / found["bare"]["requests_per_s"], 3
    )
    return found


def load_city(folder: Path, *, keep: bool) -> tuple[str, dict]:
    """City scale on SQLite: city_scale's province, then its search index rebuilt."""
    from bench import city_scale

    path = folder / "city.sqlite3"
    url = f"sqlite:///{path}"
    started = time.perf_counter()
    loaded = city_scale.load(url, 126, 20, 60)
    loaded["questions_varied"] = vary_questions(path)
    loaded["search_entries"] = fill_search_index(url)
    loaded["load_seconds"]["with_index"] = round(time.perf_counter() - started, 1)
    if keep:
        kept = Path(tempfile.gettempdir()) / f"search_scale_{os.getpid()}.sqlite3"
        shutil.copy(path, kept)
        print(f"kept: sqlite:///{kept}")
    return url, loaded


def vary_questions(path: Path) -> int:
    """Give city_scale's turns national_scale's questions and answers, by procedure area.

    city_scale asks six questions over and over, which is enough for its figures but not for
    a search: every word would be in all turns or in none. An ordinary UPDATE, so the
    database's triggers (the wards' versions) fire as for any change.
    """
    from bench.city_scale import SPOKEN_ANSWER
    from bench.national_scale import SPOKEN_ANSWERS, question_pool
    from dialogue.core.text import fold

    rng = random.Random(15)
    with sqlite3.connect(path) as connection:
        turns = connection.execute(
            "SELECT t.id, coalesce(a.code, 'KHAC'), t.answer FROM turns t "
            "LEFT JOIN procedure_areas a ON a.id = t.procedure_area_id"
        ).fetchall()
        pool = question_pool(rng, sorted({code for _, code, _ in turns}))
        changed = []
        for ident, code, answer in turns:
            question = rng.choice(pool[code])
            if answer == SPOKEN_ANSWER:
                answer = rng.choice(SPOKEN_ANSWERS)
            changed.append((question, answer, ident))
        connection.executemany("UPDATE turns SET question = ?, answer = ? WHERE id = ?", changed)
        connection.executemany(
            "UPDATE referrals SET search_text = ? WHERE turn_id = ?",
            [(fold(question), ident) for question, _, ident in changed],
        )
    return len(changed)


def fill_search_index(database_url: str) -> int | None:
    """Fill the search index of a database loaded without it; how many entries it holds."""
    from bench.national_scale import app_for
    from dialogue.archive import search_index
    from dialogue.extensions import db

    with app_for(database_url).app_context():
        # What `flask dialogue rebuild-search` does: city_scale's rows go in below the ORM,
        # which is what keeps the index in step.
        count = search_index.rebuild()
        db.session.commit()
        return count


def verdicts(rows: list[dict]) -> dict[str, str]:
    return {
        row["name"]: "meets" if row["p95_ms"] <= TARGET_P95_MS else "MISSES"
        for row in rows
        if row["name"] != "bare"
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scale", choices=("national", "city"))
    parser.add_argument("--rounds", type=int, default=40, help="rounds per client")
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--port", type=int, default=5110)
    parser.add_argument("--wrk", type=int, default=0, help="seconds of wrk per route (0: none)")
    parser.add_argument("--database-url", help="national: where to make the database")
    parser.add_argument("--loaded", help="measure this loaded database as it is")
    parser.add_argument("--keep", action="store_true", help="keep the loaded database")
    parser.add_argument("--wards", type=int, default=3_300, help="national: how many")
    parser.add_argument("--only", choices=tuple(ONLY), help="these routes only, beside bare")
    args = parser.parse_args()
    kinds = ONLY.get(args.only, KINDS)
    settings = (args.rounds, args.clients, args.port, args.wrk, kinds)
    result: dict = {"scale": args.scale}
    if args.loaded:
        result["serving"] = measure(args.loaded, *settings)
    elif args.scale == "city":
        with tempfile.TemporaryDirectory() as folder:
            url, result["load"] = load_city(Path(folder), keep=args.keep)
            result["serving"] = measure(url, *settings)
    else:
        from bench import national_scale

        if not args.database_url:
            parser.error("national needs --database-url (or --loaded)")
        with national_scale.scratch_database(args.database_url, keep=args.keep) as url:
            result["load"] = national_scale.load(url, args.wards, 20, 60)
            result["serving"] = measure(url, *settings)
    result["load_average"] = os.getloadavg()
    result["verdicts"] = verdicts(result["serving"]["rows"])
    report(f"search_scale_{args.scale}", result)
    found = result["serving"]["turns_found_min_max"]
    for row in result["serving"]["rows"]:
        line = (
            f"{row['name']:>20}: p50 {row['p50_ms']:7.1f} ms, p95 {row['p95_ms']:7.1f} ms, "
            f"p99 {row['p99_ms']:7.1f} ms, {row['rps']:7.1f} req/s"
        )
        if "ratio_to_bare" in row:
            line += f" ({row['ratio_to_bare']:.1%} of bare)"
        if row["name"] in found:
            line += f", found {found[row['name']][0]}–{found[row['name']][1]}"
        if row["name"] in result["verdicts"]:
            line += f" — {result['verdicts'][row['name']]}"
        print(line)
    if result["serving"]["wrk"]:
        print(f"wrk: {result['serving']['wrk']}")


if __name__ == "__main__":
    main()
