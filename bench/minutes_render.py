"""Benchmark: rendering the biên bản of a 100-turn conference to PDF, beside WeasyPrint alone.

In one process, no server: seeds a fresh SQLite file with a closed conference of 100 turns,
then interleaves, N times,

  (a) the real thing: ``render_document_pdf(document_context(...))`` — reading the records,
      composing, the Jinja templates, the QR code and WeasyPrint;
  (b) WeasyPrint alone on a bare page holding the same text: every text node of the rendered
      document as a plain paragraph, with the same fonts and page size, and no layout — at
      its best: its font configuration and stylesheet made once and reused, as (a) does;

and reports the ratio of the medians (target ≤ 1.5×), in processor time (what the render
costs this process) and in wall time (what it costs on a machine others share), and how much
of (a) is ours before WeasyPrint starts (records, composing, templates, QR code). Then (c)
renders (a) 200 times in a row and reports the growth of the process's resident memory after
a warm-up (target ≤ 50 MB).

    .venv/bin/python -m bench.minutes_render [--repetitions 15] [--renders 200] [--profile]
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
from html.parser import HTMLParser
from pathlib import Path

from bench.harness import app_environment, report

TURNS = 100
PUBLIC_URL = "https://dialogue.example/d/Ab3dE5gH"
BARE_STYLE = """
@font-face { font-family: "Dialogue Serif"; src: url(fonts/LiberationSerif-Regular.ttf); font-weight: 400; font-style: normal; }
@font-face { font-family: "Dialogue Serif"; src: url(fonts/LiberationSerif-Bold.ttf); font-weight: 700; font-style: normal; }
@font-face { font-family: "Dialogue Serif"; src: url(fonts/LiberationSerif-Italic.ttf); font-weight: 400; font-style: italic; }
@font-face { font-family: "Dialogue Serif"; src: url(fonts/LiberationSerif-BoldItalic.ttf); font-weight: 700; font-style: italic; }
@page { size: A4 portrait; margin: 20mm 15mm 20mm 30mm; }
body { margin: 0; font-family: "Dialogue Serif", serif; font-size: 14pt; line-height: 1.15; }
p { margin: 0 0 6pt; }
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


def seed(app) -> int:
    """A closed conference: 15 groups, 200 attendees, figures, 100 turns, conclusion, tasks."""
    from flask_migrate import upgrade

    from dialogue.attendance.models import AttendanceStatus, Attendee
    from dialogue.auth.models import Role
    from dialogue.auth.operations import create_user
    from dialogue.conferences.models import ConclusionTask, Conference, ConferenceStatus
    from dialogue.dossier.figures import Counts
    from dialogue.dossier.operations import ReportData, save_report
    from dialogue.extensions import db
    from dialogue.live.models import Turn, TurnOutcome
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
        chair = Person(
            ward=ward, full_name="Nguyễn Văn A", title="Phó Bí thư Đảng ủy, Chủ tịch UBND phường"
        )
        reporter = Person(ward=ward, full_name="Trần Thị B", title="Phó Chủ tịch UBND phường")
        cochairs = [
            Person(ward=ward, full_name="Hoàng Văn Đ", title="Chủ tịch HĐND phường"),
            Person(ward=ward, full_name="Đặng Đức G", title="Chủ tịch UBMTTQ phường"),
        ]
        db.session.add_all([chair, reporter, *cochairs])
        secretary = create_user(
            ward=ward,
            username="secretary",
            display_name="Vũ Đức S",
            password="bench-password-123",
            role=Role.SECRETARY,
        )
        start = datetime(2020, 6, 30, 1, 0, tzinfo=UTC)
        conference = Conference(
            ward=ward,
            title="Hội nghị đối thoại 6 tháng đầu năm 2020",
            subject=(
                "Hội nghị đối thoại giữa Chủ tịch UBND phường với Nhân dân, doanh nghiệp "
                "về cải cách thủ tục hành chính 6 tháng đầu năm 2020"
            ),
            plan_number="39/KH-UBND",
            plan_date=date(2020, 2, 7),
            reporting_period="6 tháng đầu năm 2020",
            start_dt=start,
            planned_end_dt=start + timedelta(hours=3),
            end_dt=start + timedelta(hours=3, minutes=30),
            venue="Hội trường UBND phường Thạch Bàn",
            chair=chair,
            reporter=reporter,
            cochairs=cochairs,
            secretaries=[secretary],
            status=ConferenceStatus.CLOSED,
            conclusion="\n".join(_sentence(rng, ANSWERS, 3, 6) for _ in range(4)),
        )
        db.session.add(conference)
        conference.conclusion_tasks.extend(
            ConclusionTask(
                content=_sentence(rng, ANSWERS, 1, 3),
                unit=units[n % len(units)],
                deadline=date(2020, 9, 30) if n % 2 else None,
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
        for position in range(1, TURNS + 1):
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
                    referral_due_date=date(2020, 7, 10) if referred else None,
                )
            )
        db.session.commit()
        return conference.id


class _Text(HTMLParser):
    """Collect the text nodes of a rendered document."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data):
        if data.strip():
            self.parts.append(" ".join(data.split()))


def bare_page(fragment: str) -> str:
    """The same strings as plain paragraphs, no layout (fonts and page: ``BARE_STYLE``)."""
    parser = _Text()
    parser.feed(fragment)
    paragraphs = "".join(f"<p>{html.escape(part)}</p>" for part in parser.parts)
    return (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8"></head>'
        f"<body>{paragraphs}</body></html>"
    )


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
        "mean_ms": round(statistics.fmean(ms), 1),
        "min_ms": round(ms[0], 1),
        "max_ms": round(ms[-1], 1),
    }


def run(repetitions: int, renders: int, profile: bool) -> dict:
    database = Path(tempfile.mkdtemp(prefix="minutes-bench-")) / "bench.sqlite3"
    os.environ.update(app_environment(f"sqlite:///{database}"))
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from dialogue import create_app
    from dialogue.conferences.models import Conference
    from dialogue.documents.pdf import STATIC_BASE_URL, StaticOnlyFetcher
    from dialogue.extensions import db
    from dialogue.minutes.compose import document_context, draft_or_defaults
    from dialogue.minutes.render import render_document_html, render_document_pdf, render_pdf_page

    app = create_app()
    conference_id = seed(app)

    with app.app_context():

        def composed() -> dict:
            # A fresh session each time, as a request would have: nothing cached between renders.
            db.session.remove()
            conference = db.session.get(Conference, conference_id)
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

        conference = db.session.get(Conference, conference_id)
        context = document_context(
            conference, draft_or_defaults(conference, "BB"), number_label="05/BB-UBND"
        )
        bare_html = bare_page(render_document_html(context))
        fetcher = StaticOnlyFetcher(Path(app.static_folder))
        bare_fonts = FontConfiguration()
        bare_css = [
            CSS(
                string=BARE_STYLE,
                base_url=STATIC_BASE_URL,
                url_fetcher=fetcher,
                font_config=bare_fonts,
            )
        ]

        def bare() -> bytes:
            document = HTML(string=bare_html, base_url=STATIC_BASE_URL, url_fetcher=fetcher)
            return document.write_pdf(stylesheets=bare_css, font_config=bare_fonts)

        for _ in range(3):  # warm-up: imports, template compilation, font caches
            full_pdf, bare_pdf = full(), bare()
        timings: dict[str, dict[str, list[float]]] = {
            name: {"wall": [], "cpu": []} for name in ("document", "bare")
        }
        for index in range(repetitions):
            # Alternate which goes first, so neither always runs in the other's wake.
            order = (("document", full), ("bare", bare))
            for name, function in order if index % 2 == 0 else reversed(order):
                wall, cpu = _timed(function)
                timings[name]["wall"].append(wall)
                timings[name]["cpu"].append(cpu)
        summaries = {
            name: {kind: _summary(values) for kind, values in kinds.items()}
            for name, kinds in timings.items()
        }
        ours_cpu = [_timed(ours)[1] for _ in range(repetitions)]
        ratios = {
            kind: round(
                summaries["document"][kind]["p50_ms"] / summaries["bare"][kind]["p50_ms"], 2
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

    with pdfplumber.open(io.BytesIO(full_pdf)) as pdf:
        pages = len(pdf.pages)
    with pdfplumber.open(io.BytesIO(bare_pdf)) as pdf:
        bare_pages = len(pdf.pages)
    result = {
        "benchmark": "minutes_render",
        "turns": TURNS,
        "pages": {"document": pages, "bare": bare_pages},
        "bytes": {"document": len(full_pdf), "bare": len(bare_pdf)},
        "document": summaries["document"],
        "bare": summaries["bare"],
        "ratio_p50": ratios,
        "ours_before_weasyprint_cpu": _summary(ours_cpu),
        "ratio_target": 1.5,
        "ratio_meets": {kind: ratio <= 1.5 for kind, ratio in ratios.items()},
        "memory": {
            "renders": renders,
            "rss_start_mb": round(start_rss, 1),
            "rss_end_mb": round(end_rss, 1),
            "growth_mb": round(end_rss - start_rss, 1),
            "every_20_renders_mb": samples,
            "target_growth_mb": 50,
            "meets": end_rss - start_rss <= 50,
        },
        "measured": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if profile_lines:
        print(profile_lines)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=15)
    parser.add_argument("--renders", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of (a)")
    args = parser.parse_args()
    result = run(args.repetitions, args.renders, args.profile)
    report("minutes_render", result)


if __name__ == "__main__":
    main()
