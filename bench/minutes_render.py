"""Benchmark: the biên bản rendered to PDF, beside a bare page of its text set as the decree sets text.

In one process, no server. Seeds a fresh SQLite file with a ward and two closed conferences,
of 100 and 60 turns, then interleaves, N times,

  (a) the real thing for the 100-turn conference: ``render_document_pdf(document_context(...))``
      as publication makes it — reading the records, composing, the Jinja templates, the QR
      code and WeasyPrint;
  (b) WeasyPrint alone on a bare page holding the same text set the way the decree sets text:
      every text node of (a)'s page as a paragraph of its own, in the face, size and alignment
      it has in (a) (justified body, left-aligned tables), with the document's own @font-face
      rules, on A4 with the same margins, and no other layout (no tables, header, page numbers
      or break rules); its font configuration and stylesheet made once and reused, as (a) does;
  (b') the same paragraphs all in 14 pt regular, justified: shown for comparison;
  (f) a fresh 60-turn draft BB: composing and rendering it as a preview would, from a fresh
      database session, nothing kept from an earlier rendering;

and reports the ratio of the medians of (a) and (b) (target ≤ 1.5×), in processor time and in
wall time, how much of (a) is ours before WeasyPrint starts, and (f)'s p50 and p95 (target
≤ 1 s wall). Then (p) times the staff previews of the 100-turn draft through the application
(``…/minutes/bb/draft.pdf`` and the edit page), the first after a turn was changed and the
ones repeated while nothing changed; and (m) renders (a) 200 times in a row and reports the
growth of the process's resident memory after a warm-up (target ≤ 50 MB).

The process runs as a gunicorn worker does (``--gc frozen``, gunicorn.conf.py): once the
application is loaded, its objects are frozen out of the garbage collector's full passes.

    .venv/bin/python -m bench.minutes_render [--repetitions 15] [--renders 200] [--previews 5]
        [--gc frozen|default] [--profile]
"""

from __future__ import annotations

import argparse
import gc
import html
import io
import os
import random
import re
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.harness import CSRF_RE, app_environment, percentile, report

TURNS = 100
FRESH_TURNS = 60
RATIO_TARGET = 1.5
FRESH_TARGET_MS = 1000
MEMORY_TARGET_MB = 50
PUBLIC_URL = "https://dialogue.example/d/Ab3dE5gH"
SECRETARY, PASSWORD = "secretary", "bench-password-123"
# The page of the bare documents; their fonts are the document stylesheet's own @font-face rules.
BARE_PAGE_STYLE = """
@page { size: A4 portrait; margin: 20mm 15mm 20mm 30mm; }
body { margin: 0; font-family: "Dialogue Serif", serif; font-size: 14pt; line-height: 1.15; }
p { margin: 0 0 6pt; text-align: justify; }
"""
PHRASES = (
    "Đề nghị phường cho biết thời hạn giải quyết hồ sơ",
    "gia đình tôi đã nộp đủ giấy tờ theo hướng dẫn của Bộ phận một cửa",
    "nhưng đến nay chưa nhận được kết quả",
    "xin hỏi có thể nộp hồ sơ qua dịch vụ công trực tuyến không",
    "và lệ phí được tính như thế nào",
    "đề nghị công khai danh mục thủ tục tại nhà văn hóa tổ dân phố",
)
ANSWERS = (
    "UBND phường tiếp thu ý kiến của công dân",
    "hồ sơ đã được tiếp nhận và chuyển cơ quan có thẩm quyền giải quyết theo quy định",
    "công dân có thể nộp hồ sơ trực tuyến trên Cổng dịch vụ công",
    "Bộ phận một cửa sẽ hướng dẫn cụ thể để gia đình hoàn thiện hồ sơ",
    "lệ phí thực hiện theo Nghị quyết của Hội đồng nhân dân Thành phố",
)


def _sentence(rng: random.Random, parts, low: int, high: int) -> str:
    text = ", ".join(rng.choice(parts) for _ in range(rng.randint(low, high)))
    return text[0].upper() + text[1:] + "."


def seed(app) -> dict[str, int]:
    """A ward and two closed conferences, of 100 and 60 turns, each with 15 groups' 200
    attendees, the dossier figures, a conclusion and 6 tasks; the 100-turn one has a saved
    draft BB."""
    from flask_migrate import upgrade

    from dialogue.auth.models import Role
    from dialogue.auth.operations import create_user
    from dialogue.documents.models import DocumentType
    from dialogue.extensions import db
    from dialogue.minutes.operations import get_or_create_draft
    from dialogue.people.models import Person
    from dialogue.wards.models import ResidentialGroup, Unit
    from dialogue.wards.operations import create_ward

    rng = random.Random(2020)
    with app.app_context():
        upgrade()
        ward = create_ward(name="Thạch Bàn", slug="thach-ban", province="Thành phố Hà Nội")
        groups = [
            ResidentialGroup(ward=ward, number=n, name=f"Tổ dân phố số {n}") for n in range(1, 16)
        ]
        units = [
            Unit(ward=ward, name=name)
            for name in (
                "Bộ phận Một cửa",
                "Công chức Địa chính - Xây dựng",
                "Công chức Tư pháp - Hộ tịch",
                "Công chức Văn hóa - Xã hội",
            )
        ]
        db.session.add_all(groups + units)
        people = {
            "chair": Person(
                ward=ward,
                full_name="Nguyễn Văn A",
                title="Phó Bí thư Đảng ủy, Chủ tịch UBND phường",
            ),
            "reporter": Person(ward=ward, full_name="Trần Thị B", title="Phó Chủ tịch UBND phường"),
            "cochairs": [
                Person(ward=ward, full_name="Hoàng Văn Đ", title="Chủ tịch HĐND phường"),
                Person(ward=ward, full_name="Đặng Đức G", title="Chủ tịch UBMTTQ phường"),
            ],
        }
        db.session.add_all([people["chair"], people["reporter"], *people["cochairs"]])
        secretary = create_user(
            ward=ward,
            username=SECRETARY,
            display_name="Vũ Đức S",
            password=PASSWORD,
            role=Role.SECRETARY,
        )
        conferences = {
            name: _conference(ward, groups, units, people, secretary, rng, turns, year)
            for name, turns, year in (("document", TURNS, 2020), ("fresh", FRESH_TURNS, 2021))
        }
        get_or_create_draft(conferences["document"], DocumentType.MINUTES, secretary)
        db.session.commit()
        return {name: conference.id for name, conference in conferences.items()}


def _conference(ward, groups, units, people, secretary, rng, turns: int, year: int):
    """A closed conference of ``turns`` turns held on 30 June of ``year``."""
    from dialogue.attendance.models import AttendanceStatus, Attendee
    from dialogue.conferences.models import ConclusionTask, Conference, ConferenceStatus
    from dialogue.dossier.figures import Counts
    from dialogue.dossier.operations import ReportData, save_report
    from dialogue.extensions import db
    from dialogue.live.models import Turn, TurnOutcome

    start = datetime(year, 6, 30, 1, 0, tzinfo=UTC)
    conference = Conference(
        ward=ward,
        title=f"Hội nghị đối thoại 6 tháng đầu năm {year}",
        subject=(
            "Hội nghị đối thoại giữa Chủ tịch UBND phường với Nhân dân, doanh nghiệp "
            f"về cải cách thủ tục hành chính 6 tháng đầu năm {year}"
        ),
        plan_number="39/KH-UBND",
        plan_date=date(year, 2, 7),
        reporting_period=f"6 tháng đầu năm {year}",
        start_dt=start,
        planned_end_dt=start + timedelta(hours=3),
        end_dt=start + timedelta(hours=3, minutes=30),
        venue="Hội trường UBND phường Thạch Bàn",
        chair=people["chair"],
        reporter=people["reporter"],
        cochairs=people["cochairs"],
        secretaries=[secretary],
        status=ConferenceStatus.CLOSED,
        conclusion="\n".join(_sentence(rng, ANSWERS, 3, 6) for _ in range(4)),
    )
    db.session.add(conference)
    conference.conclusion_tasks.extend(
        ConclusionTask(
            content=_sentence(rng, ANSWERS, 1, 3),
            unit=units[n % len(units)],
            deadline=date(year, 9, 30) if n % 2 else None,
        )
        for n in range(6)
    )
    categories = list(ward.delegate_categories)
    for n in range(200):
        db.session.add(
            Attendee(
                conference=conference,
                full_name=f"Người dự {n}",
                residential_group=groups[n % len(groups)],
                delegate_category=categories[n % len(categories)],
                is_invited=n % 10 != 0,
                status=AttendanceStatus.PRESENT if n % 7 else AttendanceStatus.EXCUSED,
            )
        )
    db.session.flush()
    save_report(
        conference,
        ReportData(
            counts=Counts(
                received_online=568,
                received_desk=2117,
                resolved_on_time=2668,
                pending_within=17,
            ),
            early_count=450,
            early_base=852,
            early_measure="trước hạn 4 giờ trở lên",
            early_base_definition="hồ sơ có phiếu hẹn",
        ),
    )
    areas = list(ward.procedure_areas)
    for position in range(1, turns + 1):
        referred = position % 10 == 0
        db.session.add(
            Turn(
                conference=conference,
                position=position,
                speaker_name=f"Người dự {position}",
                speaker_group=groups[position % len(groups)],
                procedure_area=areas[rng.randrange(len(areas))] if position % 9 else None,
                question=_sentence(rng, PHRASES, 2, 7),
                outcome=TurnOutcome.REFERRED if referred else TurnOutcome.ANSWERED,
                answerer_name="Nguyễn Văn A - Chủ tịch UBND phường",
                answer=_sentence(rng, ANSWERS, 2, 8),
                referral_unit=units[1] if referred else None,
                referral_due_date=date(year, 7, 10) if referred else None,
            )
        )
    db.session.flush()
    return conference


def _font_faces(static_root: Path) -> str:
    from dialogue.minutes.render import STYLESHEET

    return "\n".join(re.findall(r"@font-face\s*\{[^}]*\}", (static_root / STYLESHEET).read_text()))


def _runs(page_html: str, static_root: Path) -> list[tuple[str, tuple]]:
    """Each text node of the body of ``page_html`` with its (weight, style, size, alignment)."""
    from weasyprint import CSS, HTML
    from weasyprint.css import get_all_computed_styles
    from weasyprint.text.fonts import FontConfiguration

    from dialogue.documents.pdf import STATIC_BASE_URL, StaticOnlyFetcher
    from dialogue.minutes.render import STYLESHEET

    fetcher = StaticOnlyFetcher(static_root)
    fonts = FontConfiguration()
    document = HTML(string=page_html, base_url=STATIC_BASE_URL, url_fetcher=fetcher)
    sheet = CSS(url=STATIC_BASE_URL + STYLESHEET, url_fetcher=fetcher, font_config=fonts)
    style_for = get_all_computed_styles(document, user_stylesheets=[sheet], font_config=fonts)
    body = next(e for e in document.etree_element.iter() if str(e.tag).endswith("body"))
    runs: list[tuple[str, tuple]] = []

    def add(text: str | None, style) -> None:
        text = " ".join((text or "").split())
        if not text:
            return
        if style["text_transform"] == "uppercase":
            text = text.upper()
        align = "justify" if style["text_align_all"] == "justify" else "left"
        # Points, to the quarter (computed sizes are in CSS pixels).
        size = round(style["font_size"] * 0.75 * 4) / 4
        runs.append((text, (style["font_weight"], style["font_style"], size, align)))

    def visit(element) -> None:
        style = style_for(element)
        if style is None or "none" in style["display"]:
            return
        add(element.text, style)
        for child in element:
            visit(child)
            add(child.tail, style)

    visit(body)
    return runs


def bare_pages(page_html: str, static_root: Path) -> dict[str, tuple[str, str]]:
    """The bare documents of ``page_html``: {name: (html, stylesheet)}.

    "decree": each text node a paragraph in the face, size and alignment it has in the
    document; "justified": the same paragraphs in 14 pt regular, all justified.
    """
    runs = _runs(page_html, static_root)
    classes = {key: f"t{n}" for n, key in enumerate(dict.fromkeys(key for _, key in runs))}
    rules = "".join(
        f".{name} {{ font-weight: {weight}; font-style: {style}; font-size: {size}pt; "
        f"text-align: {align}; }}\n"
        for (weight, style, size, align), name in classes.items()
    )
    faces = _font_faces(static_root)

    def page(paragraphs: str) -> str:
        return (
            '<!doctype html><html lang="vi"><head><meta charset="utf-8"></head>'
            f"<body>{paragraphs}</body></html>"
        )

    decree = "".join(f'<p class="{classes[key]}">{html.escape(text)}</p>' for text, key in runs)
    justified = "".join(f"<p>{html.escape(text)}</p>" for text, _ in runs)
    return {
        "decree": (page(decree), faces + BARE_PAGE_STYLE + rules),
        "justified": (page(justified), faces + BARE_PAGE_STYLE),
    }


def rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024


def _timed(function) -> tuple[float, float]:
    # Start each from a clean slate, so neither pays for the other's garbage.
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - wall, time.process_time() - cpu


def _summary(seconds: list[float]) -> dict:
    ms = sorted(s * 1000 for s in seconds)
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "mean_ms": round(statistics.fmean(ms), 1),
        "min_ms": round(ms[0], 1),
        "max_ms": round(ms[-1], 1),
    }


def _login(client) -> None:
    page = client.get("/auth/login").get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)
    response = client.post(
        "/auth/login", data={"username": SECRETARY, "password": PASSWORD, "csrf_token": token}
    )
    if response.status_code != 302:
        raise RuntimeError(f"login failed ({response.status_code})")


def measure_previews(app, conference_id: int, rounds: int, repeats: int = 3) -> dict:
    """Staff previews through the application: the first after a change, then repeated."""
    from dialogue.extensions import db
    from dialogue.live.models import Turn

    client = app.test_client()
    paths = {
        "pdf": f"/conferences/{conference_id}/minutes/bb/draft.pdf",
        "edit_page": f"/conferences/{conference_id}/minutes/bb/edit",
    }

    def get(path: str) -> tuple[bytes, float]:
        gc.collect()
        with app.app_context():  # a request of its own, as in production
            started = time.perf_counter()
            response = client.get(path)
            elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code}")
        return response.data, elapsed

    with app.app_context():
        _login(client)
    timings = {name: {"first": [], "repeated": []} for name in paths}
    previous: dict[str, bytes] = {}
    for index in range(rounds):
        # A secretary corrects an answer: every preview of the draft is out of date.
        with app.app_context():
            turn = db.session.scalars(
                db.select(Turn).where(Turn.conference_id == conference_id).order_by(Turn.position)
            ).first()
            turn.answer = f"{turn.answer.split(' [')[0]} [sửa lần {index + 1}]"
            db.session.commit()
        for name, path in paths.items():
            first, elapsed = get(path)
            timings[name]["first"].append(elapsed)
            if first == previous.get(name):
                raise RuntimeError(f"{name}: an outdated preview after a change")
            previous[name] = first
            for _ in range(repeats):
                again, elapsed = get(path)
                timings[name]["repeated"].append(elapsed)
                if name == "pdf" and again != first:
                    raise RuntimeError("pdf: a repeated preview differs from the first")
    result = {}
    for name, kinds in timings.items():
        first, repeated = _summary(kinds["first"]), _summary(kinds["repeated"])
        result[name] = {
            "first": first,
            "repeated": repeated,
            "first_over_repeated_p50": round(first["p50_ms"] / repeated["p50_ms"], 1),
        }
    return result


def run(repetitions: int, renders: int, preview_rounds: int, profile: bool, gc_mode: str) -> dict:
    database = Path(tempfile.mkdtemp(prefix="minutes-bench-")) / "bench.sqlite3"
    os.environ.update(app_environment(f"sqlite:///{database}"))
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from dialogue import create_app
    from dialogue.conferences.models import Conference
    from dialogue.documents.models import DocumentType
    from dialogue.documents.pdf import STATIC_BASE_URL, StaticOnlyFetcher
    from dialogue.extensions import db
    from dialogue.minutes.compose import document_context, draft_or_defaults
    from dialogue.minutes.operations import find_draft
    from dialogue.minutes.render import STYLESHEET, render_document_pdf, render_pdf_page

    app = create_app()
    if gc_mode == "frozen":
        # As a gunicorn worker leaves itself once the application is loaded (gunicorn.conf.py).
        gc.collect()
        gc.freeze()
    ids = seed(app)
    static_root = Path(app.static_folder).resolve()

    with app.app_context():

        def composed() -> dict:
            # A fresh session each time, as a request would have: nothing cached between renders.
            db.session.remove()
            conference = db.session.get(Conference, ids["document"])
            draft = draft_or_defaults(conference, "BB")
            return document_context(
                conference,
                draft,
                number_label="05/BB-UBND",
                version=1,
                public_url=PUBLIC_URL,
                public_code="Ab3dE5gH",
                published_dt=datetime(2020, 7, 3, 2, tzinfo=UTC),
            )

        def full() -> bytes:
            return render_document_pdf(composed())

        def ours() -> str:
            return render_pdf_page(composed())

        def fresh() -> bytes:
            # What a preview renders for a draft it has not rendered before.
            db.session.remove()
            conference = db.session.get(Conference, ids["fresh"])
            draft = draft_or_defaults(
                conference, "BB", find_draft(conference, DocumentType.MINUTES)
            )
            return render_document_pdf(document_context(conference, draft))

        fetcher = StaticOnlyFetcher(static_root)
        bare_fonts = FontConfiguration()
        bare_documents = {}
        for name, (bare_html, bare_style) in bare_pages(ours(), static_root).items():
            sheet = CSS(
                string=bare_style,
                # The document stylesheet's address: its @font-face URLs resolve as there.
                base_url=STATIC_BASE_URL + STYLESHEET,
                url_fetcher=fetcher,
                font_config=bare_fonts,
            )
            bare_documents[name] = (bare_html, [sheet])

        def bare(name: str):
            bare_html, sheets = bare_documents[name]

            def render() -> bytes:
                document = HTML(string=bare_html, base_url=STATIC_BASE_URL, url_fetcher=fetcher)
                return document.write_pdf(stylesheets=sheets, font_config=bare_fonts)

            return render

        measured = {
            "document": full,
            "bare": bare("decree"),
            "bare_justified_14pt": bare("justified"),
            "fresh_60": fresh,
        }
        outputs = {}
        for _ in range(3):  # warm-up: imports, template compilation, font caches
            outputs = {name: function() for name, function in measured.items()}
        timings: dict[str, dict[str, list[float]]] = {
            name: {"wall": [], "cpu": []} for name in measured
        }
        order = list(measured.items())
        for index in range(repetitions):
            # Rotate the order, so that none always runs in another's wake.
            shift = index % len(order)
            for name, function in order[shift:] + order[:shift]:
                wall, cpu = _timed(function)
                timings[name]["wall"].append(wall)
                timings[name]["cpu"].append(cpu)
        summaries = {
            name: {kind: _summary(values) for kind, values in kinds.items()}
            for name, kinds in timings.items()
        }
        ours_cpu = [_timed(ours)[1] for _ in range(repetitions)]

        def ratios(baseline: str) -> dict[str, float]:
            return {
                kind: round(
                    summaries["document"][kind]["p50_ms"] / summaries[baseline][kind]["p50_ms"], 2
                )
                for kind in ("cpu", "wall")
            }

        profile_lines = ""
        if profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(3):
                full()
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
            profile_lines = out.getvalue()

    previews = measure_previews(app, ids["document"], preview_rounds) if preview_rounds else {}

    with app.app_context():
        for _ in range(10):
            full()
        gc.collect()
        start_rss = rss_mb()
        samples = []
        for index in range(1, renders + 1):
            full()
            if index % 20 == 0:
                gc.collect()
                samples.append(round(rss_mb(), 1))
        gc.collect()
        end_rss = rss_mb()

    import pdfplumber

    pages = {}
    for name, content in outputs.items():
        with pdfplumber.open(io.BytesIO(content)) as pdf:
            pages[name] = len(pdf.pages)
    ratio = ratios("bare")
    fresh_p95 = summaries["fresh_60"]["wall"]["p95_ms"]
    result = {
        "benchmark": "minutes_render",
        "turns": {"document": TURNS, "fresh_60": FRESH_TURNS},
        "pages": pages,
        "bytes": {name: len(content) for name, content in outputs.items()},
        **summaries,
        "ratio_p50": ratio,
        "ratio_p50_against_justified_14pt": ratios("bare_justified_14pt"),
        "ratio_target": RATIO_TARGET,
        "ratio_meets": {kind: value <= RATIO_TARGET for kind, value in ratio.items()},
        "ours_before_weasyprint_cpu": _summary(ours_cpu),
        "fresh_60_target_ms": FRESH_TARGET_MS,
        "fresh_60_meets": {
            "p50": summaries["fresh_60"]["wall"]["p50_ms"] <= FRESH_TARGET_MS,
            "p95": fresh_p95 <= FRESH_TARGET_MS,
        },
        "previews": previews,
        "memory": {
            "renders": renders,
            "rss_start_mb": round(start_rss, 1),
            "rss_end_mb": round(end_rss, 1),
            "growth_mb": round(end_rss - start_rss, 1),
            "every_20_renders_mb": samples,
            "target_growth_mb": MEMORY_TARGET_MB,
            "meets": end_rss - start_rss <= MEMORY_TARGET_MB,
        },
        "gc": gc_mode,
        "load_average": [round(load, 2) for load in os.getloadavg()],
        "measured": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if profile_lines:
        print(profile_lines)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=15)
    parser.add_argument("--renders", type=int, default=200)
    parser.add_argument(
        "--previews", type=int, default=5, help="rounds of preview timings (0: none)"
    )
    parser.add_argument("--profile", action="store_true", help="print a cProfile of (a)")
    parser.add_argument(
        "--gc",
        choices=("frozen", "default"),
        default="frozen",
        help="frozen: the loaded application frozen out of the collector, as in a worker",
    )
    args = parser.parse_args()
    result = run(args.repetitions, args.renders, args.previews, args.profile, args.gc)
    report("minutes_render", result)


if __name__ == "__main__":
    main()
