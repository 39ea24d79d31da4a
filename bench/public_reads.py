"""Benchmark: the public reads (minutes page, published PDF, ward archive) against a bare route,
under wrk.

Seeds a ward with a closed conference of 60 speaking turns and its published biên bản (as
``minutes_serving`` does), serves the application under gunicorn (2 sync workers by default:
every request a process's whole attention, so what a request costs shows as a rate), and
runs wrk (32 connections, 2 threads, keep-alive) against each address in turn, for
``--seconds`` each, in ``--rounds`` rounds whose order rotates: the bare route
(``/__bench/bare``), the bare route serving the page's own bytes (``/__bench/bytes/html``), the
public minutes page, the published PDF, the ward's archive list, one search asked again and again
and searches nobody asked before (a wrk script draws two of 40 phrases for each request). A
rate is compared with the bare route's in the same round: the machine's speed drifts from
minute to minute.

    .venv/bin/python -m bench.public_reads [--rounds 3] [--seconds 5] [--database-url URL]
        [--worker-class sync|gthread|gevent] [--port 5160]

Target: the minutes page, the PDF, the archive and the search each at ≥ 50 % of the bare
route's requests per second, on SQLite and on PostgreSQL. wrk must be installed (``apt-get install wrk``).
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.harness import app_environment, gunicorn, report, worker_rss_mb
from bench.minutes_serving import seed

TURNS = 60
TARGET_RATIO = 0.5
CONNECTIONS = 32
KINDS = ("bare", "bare html", "minutes page", "published pdf", "archive", "search", "new searches")
COMPARED = ("minutes page", "published pdf", "archive", "search", "new searches", "bare html")
# What residents type, without their accents: the same search asked again and again (a hall
# looking up one thing), and searches nobody asked before (pairs of these, 1,600 of them).
SEARCH = "quyen su dung dat"
PHRASES = (
    "thu tuc", "ho so", "dang ky", "khai sinh", "ket hon", "giay chung nhan", "quyen su dung",
    "dat", "tro cap", "nguoi cao tuoi", "doanh nghiep", "truc tuyen", "le phi", "mot cua",
    "cong khai", "danh muc", "thoi han", "to dan pho", "nha van hoa", "ket qua", "cham",
    "kiem tra", "huong dan", "giay to", "cong dich vu", "ho tro", "thoi gian", "rut ngan",
    "cong dan", "gia dinh", "xac nhan", "che do", "di lai", "mot lan", "phi", "theo doi",
    "giai quyet", "tra loi", "cu the", "ly do",
)  # fmt: skip
_NEW_SEARCHES = """
local phrases = {%s}
request = function()
  local first = phrases[math.random(#phrases)]
  local second = phrases[math.random(#phrases)]
  return wrk.format("GET", "%s?q=" .. first .. "+" .. second)
end
"""
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * _UNITS[unit]


def wrk(port: int, path: str, seconds: float, script: str | None = None) -> dict:
    """One wrk run against ``path``: requests per second, latency percentiles, errors.

    ``script``: a wrk Lua script (its ``request`` function makes each request's address).
    """
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{seconds:g}s",
            "--latency",
            "--timeout",
            "30s",
            *(["--script", script] if script else []),
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)\s*$", out, re.M))
    if len(latency) < 3:
        raise RuntimeError(f"wrk said:\n{out}")
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rate,
        "p50_ms": round(_ms(latency["50"]), 2),
        "p90_ms": round(_ms(latency["90"]), 2),
        "p99_ms": round(_ms(latency["99"]), 2),
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1) if errors else "",
    }


def run(args, database_url: str, folder: Path) -> dict:
    paths = seed(database_url, folder, turns=TURNS)
    env = {
        **app_environment(database_url),
        "DIALOGUE_BENCH_PDF_FILE": paths["pdf_file"],
        "DIALOGUE_BENCH_HTML_FILE": paths["html_file"],
    }
    addresses = {
        "bare": "/__bench/bare",
        "bare html": "/__bench/bytes/html",
        "minutes page": paths["page"],
        "published pdf": paths["pdf"],
        "archive": paths["archive"],
        "search": paths["archive"].replace("/bien-ban/", "/tim-kiem")
        + "?q="
        + "+".join(SEARCH.split()),
        "new searches": paths["archive"].replace("/bien-ban/", "/tim-kiem"),
    }
    script = folder / "new-searches.lua"
    script.write_text(
        _NEW_SEARCHES
        % (
            ", ".join(f'"{phrase.replace(" ", "+")}"' for phrase in PHRASES),
            addresses["new searches"],
        )
    )
    scripts = {"new searches": str(script)}
    rounds: list[dict[str, dict]] = []
    with gunicorn(env, workers=2, threads=1, worker_class=args.worker_class, port=args.port) as (
        port,
        master,
    ):
        # Warm: every process has read, rendered and kept each page (the first rendering in a
        # fresh worker takes seconds on this machine: templates, fonts, translations).
        for _ in range(2):
            for kind, path in addresses.items():
                if kind not in scripts:
                    wrk(port, path, 2)
        for number in range(args.rounds):
            order = KINDS[number % len(KINDS) :] + KINDS[: number % len(KINDS)]
            measured = {
                kind: wrk(port, addresses[kind], args.seconds, scripts.get(kind)) for kind in order
            }
            for kind in COMPARED:
                measured[kind]["ratio"] = round(measured[kind]["rps"] / measured["bare"]["rps"], 3)
            rounds.append(measured)
            print(
                f"round {number + 1}: "
                + ", ".join(
                    f"{kind} {m['rps']:.0f}" + (f" ({m['ratio']:.0%})" if "ratio" in m else "")
                    for kind, m in measured.items()
                ),
                flush=True,
            )
            time.sleep(1)
        memory = [round(mb, 1) for mb in worker_rss_mb(master)]
    failures = [
        f"{kind}: {m['non_2xx']} non-2xx, {m['socket_errors']}"
        for measured in rounds
        for kind, m in measured.items()
        if m["non_2xx"] or m["socket_errors"]
    ]
    return {
        "database": database_url.split(":")[0],
        "worker_class": args.worker_class,
        "turns": TURNS,
        "page_bytes": paths["html_bytes"],
        "pdf_bytes": paths["pdf_bytes"],
        "rounds": rounds,
        "ratios": {kind: [measured[kind]["ratio"] for measured in rounds] for kind in COMPARED},
        "median_ratio": {
            kind: statistics.median(measured[kind]["ratio"] for measured in rounds)
            for kind in COMPARED
        },
        "failures": failures,
        "worker_rss_mb": memory,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        result = run(args, url, Path(folder))
    report(f"public_reads_{result['database'].split('+')[0]}", result)
    for kind in COMPARED:
        ratios = result["ratios"][kind]
        verdict = "meets" if min(ratios) >= TARGET_RATIO else "MISSES"
        print(
            f"{kind:>14}: {min(ratios):.0%}–{max(ratios):.0%} of the bare route "
            f"(median {result['median_ratio'][kind]:.0%}) — {verdict} ≥ {TARGET_RATIO:.0%}"
        )
    if result["failures"]:
        print("FAILURES:", *result["failures"][:5], sep="\n  ")


if __name__ == "__main__":
    main()
