"""Benchmark: the published PDF and the public minutes page, each beside a bare route serving
the same bytes.

Seeds a ward with a closed conference of 100 speaking turns and publishes its biên bản (the
HTML fragment and the PDF as the renderer makes them, frozen in a PublishedDocument), writes
the published PDF and the public page's HTML to files, and serves the app under gunicorn on
loopback (2 workers × 4 threads, gthread) with two bare routes that read those files once at
start. Several client processes (keep-alive, each as fast as it can) then interleave, round
after round: the bare PDF route, the published PDF (`archive.document_pdf`), the bare HTML
route and the public minutes page (`archive.document`).

A client waits for each answer before asking again, so the rate a route sustains under this
shared load is the number of clients over its mean time. Target (issue 5): the PDF and the
page each at ≥ 50 % of the requests per second of the bare route serving the same bytes.

    .venv/bin/python -m bench.minutes_serving [--rounds 500] [--clients 4] [--database-url URL]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.harness import (
    Session,
    app_environment,
    rate_rows,
    report,
    run_clients,
)

TURNS = 100
TARGET_RATIO = 0.5
KINDS = ("bare pdf", "published pdf", "bare html", "minutes page")
COMPARED = {"published pdf": "bare pdf", "minutes page": "bare html"}

QUESTIONS = [
    "Đề nghị UBND phường cho biết thời gian giải quyết thủ tục đăng ký khai sinh, đăng ký kết "
    "hôn cho công dân; có thể rút ngắn thời gian trả kết quả hay không?",
    "Hồ sơ đề nghị cấp giấy chứng nhận quyền sử dụng đất của gia đình tôi nộp từ tháng 3 đến nay "
    "chưa có kết quả; đề nghị phường kiểm tra, trả lời cụ thể lý do chậm.",
    "Việc xác nhận hồ sơ hưởng chế độ trợ cấp xã hội cho người cao tuổi còn phải đi lại nhiều "
    "lần; đề nghị hướng dẫn đầy đủ một lần các giấy tờ cần nộp.",
    "Doanh nghiệp chúng tôi muốn thực hiện thủ tục trực tuyến mức độ 4 nhưng chưa rõ cách nộp lệ "
    "phí qua cổng dịch vụ công; đề nghị bộ phận một cửa hỗ trợ.",
    "Đề nghị phường công khai danh mục thủ tục hành chính, thời hạn giải quyết và phí, lệ phí tại "
    "nhà văn hóa các tổ dân phố để người dân tiện theo dõi.",
]
ANSWERS = [
    "Thủ tục đăng ký khai sinh được giải quyết ngay trong ngày khi hồ sơ đầy đủ; phường đã thực "
    "hiện trả kết quả tại nhà cho các hộ gia đình có nhu cầu và sẽ tiếp tục duy trì.",
    "Hồ sơ chậm do diện tích thực tế chênh lệch với bản đồ địa chính; công chức Địa chính - Xây "
    "dựng sẽ phối hợp với tổ dân phố kiểm tra hiện trạng và trả lời bằng văn bản trong tháng.",
    "Bộ phận một cửa sẽ lập phiếu hướng dẫn một lần đầy đủ thành phần hồ sơ, niêm yết tại trụ sở "
    "và đăng tải trên trang thông tin điện tử của phường.",
]


def _render(app, conference, draft, number, code: str, published_dt: datetime):
    """The fragment and the PDF as publication freezes them, and which renderer made them."""
    from flask import url_for

    try:
        from dialogue.minutes.compose import document_context
        from dialogue.minutes.render import render_document_html, render_document_pdf
    except ImportError:  # before the minutes renderer exists: a plain document of the same text
        return _plain_render(conference, number)
    with app.test_request_context("/", base_url="https://dialogue.example"):
        public_url = url_for("archive.short_link", code=code, _external=True)
    context = document_context(
        conference,
        draft,
        number_label=number.label,
        version=1,
        public_url=public_url,
        public_code=code,
        published_dt=published_dt,
    )
    return render_document_html(context), render_document_pdf(context), "minutes renderer"


def _plain_render(conference, number):
    import sqlalchemy as sa
    from flask import render_template_string

    from dialogue.documents.pdf import html_to_pdf
    from dialogue.extensions import db
    from dialogue.live.models import Turn

    turns = db.session.scalars(
        sa.select(Turn).where(Turn.conference_id == conference.id).order_by(Turn.position)
    )
    html = render_template_string(
        """{% from "documents/_layout.html" import header %}<article class="vn-document">
        {{ header(ward, number=number) }}<p class="doc-title">Biên bản</p>
        {% for t in turns %}<p>{{ t.position }}. {{ t.question }}</p><p>{{ t.answer }}</p>{% endfor %}
        </article>""",
        ward=conference.ward,
        number=number.label,
        turns=list(turns),
    )
    pdf = html_to_pdf(
        f"<html lang='vi'><body>{html}</body></html>", stylesheets=("css/document.css",)
    )
    return html, pdf, "html_to_pdf"


def seed(database_url: str, folder: Path, turns: int = TURNS) -> dict:
    """Create a ward, a conference of ``turns`` turns and its published BB; write the bytes to
    files."""
    os.environ.update(app_environment(database_url))
    from flask_migrate import upgrade

    from dialogue import create_app
    from dialogue.conferences.models import Conference, ConferenceStatus
    from dialogue.documents.models import DocumentType
    from dialogue.documents.operations import allocate_number
    from dialogue.extensions import db
    from dialogue.live.models import Turn, TurnOutcome
    from dialogue.minutes.models import DraftStatus, PublishedDocument, new_public_code
    from dialogue.people.models import Person
    from dialogue.wards.models import ResidentialGroup, Unit
    from dialogue.wards.operations import create_ward

    app = create_app()
    with app.app_context():
        upgrade()
        # Tables whose migration is not written yet (none, once it is): made from the models.
        db.create_all()
        ward = create_ward(
            name="Thử Tải", slug=f"thu-tai-{secrets.token_hex(3)}", province="Hà Nội"
        )
        groups = [
            ResidentialGroup(ward=ward, number=n, name=f"Tổ dân phố số {n}") for n in range(1, 16)
        ]
        unit = Unit(ward=ward, name="Công chức Địa chính - Xây dựng")
        chair = Person(ward=ward, full_name="Nguyễn Văn A", title="Chủ tịch UBND phường")
        reporter = Person(ward=ward, full_name="Trần Thị B", title="Phó Chủ tịch UBND phường")
        db.session.add_all([*groups, unit, chair, reporter])
        start = datetime(2020, 6, 30, 1, 0, tzinfo=UTC)
        conference = Conference(
            ward=ward,
            title="Hội nghị đối thoại giữa Chủ tịch UBND phường với Nhân dân, doanh nghiệp về "
            "cải cách thủ tục hành chính 6 tháng đầu năm 2020",
            start_dt=start,
            planned_end_dt=start + timedelta(hours=3),
            end_dt=start + timedelta(hours=3, minutes=30),
            venue="Hội trường UBND phường",
            chair=chair,
            reporter=reporter,
            status=ConferenceStatus.CLOSED,
            announced_dt=start - timedelta(days=10),
            conclusion="Chủ tịch UBND phường ghi nhận, tiếp thu đầy đủ ý kiến của đại biểu.\n"
            "Giao các bộ phận chuyên môn trả lời bằng văn bản các kiến nghị chưa trả lời tại "
            "hội nghị.",
        )
        db.session.add(conference)
        areas = ward.procedure_areas
        for n in range(1, turns + 1):
            referred = n % 10 == 0
            db.session.add(
                Turn(
                    conference=conference,
                    position=n,
                    speaker_name=f"Công dân {n}",
                    speaker_group=groups[n % len(groups)],
                    procedure_area=areas[n % 6],
                    question=QUESTIONS[n % len(QUESTIONS)],
                    outcome=TurnOutcome.REFERRED if referred else TurnOutcome.ANSWERED,
                    answerer_name="" if referred else "Ông Nguyễn Văn A - Chủ tịch UBND phường",
                    answer="" if referred else ANSWERS[n % len(ANSWERS)],
                    referral_unit=unit if referred else None,
                    referral_due_date=(start + timedelta(days=10)).date() if referred else None,
                )
            )
        db.session.flush()
        from dialogue.minutes.compose import draft_or_defaults

        draft = draft_or_defaults(conference, DocumentType.MINUTES)
        draft.status = DraftStatus.PUBLISHED
        db.session.add(draft)
        db.session.flush()
        number = allocate_number(ward, DocumentType.MINUTES, conference=conference, year=2020)
        code = new_public_code()
        published_dt = start + timedelta(days=3)
        html, pdf, renderer = _render(app, conference, draft, number, code, published_dt)
        db.session.add(
            PublishedDocument(
                draft=draft,
                conference=conference,
                doc_type=DocumentType.MINUTES,
                version=1,
                number=number,
                number_label=number.label,
                public_code=code,
                html=html,
                pdf=pdf,
                pdf_sha256=hashlib.sha256(pdf).hexdigest(),
                html_sha256=hashlib.sha256(html.encode()).hexdigest(),
                pdf_size=len(pdf),
                title="Biên bản hội nghị đối thoại 2020",
                published_dt=published_dt,
            )
        )
        conference.status = ConferenceStatus.PUBLISHED
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
        paths = {
            "page": f"/p/{ward.slug}/bien-ban/{code}",
            "pdf": f"/p/{ward.slug}/bien-ban/{code}.pdf",
        }
        # The page as the route serves it, for the bare route to serve the same bytes.
        page = app.test_client().get(paths["page"])
        assert page.status_code == 200, page.status_code
        pdf_file, html_file = folder / "published.pdf", folder / "page.html"
        pdf_file.write_bytes(pdf)
        html_file.write_bytes(page.data)
        return {
            **paths,
            "archive": f"/p/{ward.slug}/bien-ban/",
            "pdf_file": str(pdf_file),
            "html_file": str(html_file),
            "pdf_sha256": hashlib.sha256(pdf).hexdigest(),
            "pdf_bytes": len(pdf),
            "html_bytes": len(page.data),
            "fragment_bytes": len(html.encode()),
            "renderer": renderer,
        }


def client(port: int, paths: dict, rounds: int) -> dict:
    """One reader, in a process of its own (client threads would share the GIL)."""
    session = Session(port)
    requests = {
        "bare pdf": "/__bench/bytes/pdf",
        "published pdf": paths["pdf"],
        "bare html": "/__bench/bytes/html",
        "minutes page": paths["page"],
    }
    for _ in range(20):  # warm up
        for path in requests.values():
            session.request("GET", path)
    timings: dict[str, list[float]] = {kind: [] for kind in KINDS}
    sizes: dict[str, set[int]] = {kind: set() for kind in KINDS}
    failures: list[str] = []
    for _ in range(rounds):
        for kind in KINDS:
            status, data, elapsed = session.request("GET", requests[kind])
            timings[kind].append(elapsed)
            sizes[kind].add(len(data))
            if status != 200:
                failures.append(f"{kind}: {status}")
            elif kind == "published pdf" and len(data) != paths["pdf_bytes"]:
                failures.append(f"{kind}: {len(data)} bytes")
    # Once per client, the bytes themselves: the route sends exactly what was published.
    _, data, _ = session.request("GET", requests["published pdf"])
    if hashlib.sha256(data).hexdigest() != paths["pdf_sha256"]:
        failures.append("published pdf: bytes differ from the published file")
    return {
        "timings": timings,
        "sizes": {k: sorted(v) for k, v in sizes.items()},
        "failures": failures,
    }


def run(rounds: int, database_url: str, clients: int, folder: Path) -> dict:
    paths = seed(database_url, folder)
    env = {
        **app_environment(database_url),
        "DIALOGUE_BENCH_PDF_FILE": paths["pdf_file"],
        "DIALOGUE_BENCH_HTML_FILE": paths["html_file"],
    }
    runs = run_clients(env, client, (paths, rounds), clients, KINDS)
    failures, memory = runs.failures, runs.worker_rss_mb
    rows = rate_rows(KINDS, runs.timings, runs.rates, COMPARED)
    return {
        "rows": rows,
        "failures": failures[:5],
        "failure_count": len(failures),
        "worker_rss_mb": memory,
        "clients": clients,
        "rounds_per_client": rounds,
        "turns": TURNS,
        "pdf_bytes": paths["pdf_bytes"],
        "page_bytes": paths["html_bytes"],
        "fragment_bytes": paths["fragment_bytes"],
        "renderer": paths["renderer"],
        "database": database_url.split(":")[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=500, help="rounds per client")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client processes")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        result = run(args.rounds, url, args.clients, Path(folder))
    report("minutes_serving", result)
    for row in result["rows"]:
        line = f"{row['name']:>14}: {row['rps']:8.1f} req/s, p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms"
        if "ratio_to_bare" in row:
            ratio = row["ratio_to_bare"]
            verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
            line += f" — {ratio:.0%} of the bare route, {verdict} ≥ {TARGET_RATIO:.0%}"
        print(line)


if __name__ == "__main__":
    main()
