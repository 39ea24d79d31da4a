"""Benchmark: a province's figures at city scale — the ward's statistics, the city comparison, the API.

Generates a province of 126 wards × 20 conferences × 60 speaking turns (≈ 151,000 turns) with
their attendees, referrals and written answers, dossier reports, survey responses, ratings and
published biên bản, in bulk (SQLAlchemy Core, executemany, keys assigned here), then serves the
application under gunicorn on loopback (2 workers × 4 threads, gthread) and interleaves, from
several client processes, the bare route and:

- the ward's statistics page (`/stats/`, a year and a multi-year custom period), signed in as
  an organiser of one ward;
- the city comparison (`/city/`, the same two periods), signed in as a city officer of the
  province that holds the 126 wards;
- the public API's lists (wards, a ward's conferences, a conference's turns, a ward's
  referrals) and a ward's figures, without an account; each request picks its ward, year or
  conference at random, so that no single row is read over and over (a crawl); and the same
  lists of one ward and one conference read again and again (a dashboard polling them).

Targets (issue 13): the statistics page and the comparison p95 ≤ 300 ms; the API's lists
p95 ≤ 100 ms and ≥ 50 % of the bare route's requests per second in the same run; the figures
reported.

    .venv/bin/python -m bench.city_scale [--rounds 60] [--clients 2] [--wards 126]
        [--conferences 20] [--turns 60] [--database-url URL] [--keep] [--loaded URL]
        [--only api|stats|city]

On PostgreSQL the benchmark loads a database of its own, made beside the one named by
``--database-url`` and dropped at the end (``--keep`` keeps it, or the SQLite file, and prints
its address; ``--loaded URL`` measures a database kept so, without loading it again).
``--only api|stats|city`` measures one group of routes beside its bare route, and nothing else:
the pages share a worker's processor (and its GIL) with whatever else it is serving.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import secrets
import sqlite3
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.harness import Session, app_environment, postgres_scratch, rate_rows, report, run_clients

PASSWORD = "bench-password-123"
ORGANISER = "city-organiser"
OFFICER = "city-officer"
PROVINCE = "Thành phố Hà Nội"
FIRST_YEAR, LAST_YEAR = 2021, 2026
# The measured ward's multi-year period, and the comparison's: every conference generated.
LONG_PERIOD = {"kind": "custom", "start": f"{FIRST_YEAR}-01-01", "end": f"{LAST_YEAR}-12-31"}
TARGET_PAGE_P95_MS = 300.0
TARGET_API_P95_MS = 100.0
TARGET_RATIO = 0.5
KINDS = (
    "bare",
    "api wards",
    "api conferences",
    "api turns",
    "api referrals",
    "api figures",
    "api conferences again",
    "api turns again",
    "api referrals again",
    "bare organiser",
    "stats year",
    "stats years",
    "bare officer",
    "city year",
    "city years",
)
API_LISTS = ("api wards", "api conferences", "api turns", "api referrals")
# The same lists read again and again (a dashboard, a newsroom polling one ward), where the
# answers kept under the ward's stamp serve; the lists above are a crawl, a new ward or
# conference each time.
API_AGAIN = ("api conferences again", "api turns again", "api referrals again")
PAGES = ("stats year", "stats years", "city year", "city years")
COMPARED = {
    **dict.fromkeys((*API_LISTS, *API_AGAIN, "api figures"), "bare"),
    "stats year": "bare organiser",
    "stats years": "bare organiser",
    "city year": "bare officer",
    "city years": "bare officer",
}
# ``--only``: one group of routes beside its own bare route, with nothing else running beside.
ONLY = {
    "api": ("bare", *API_LISTS, *API_AGAIN, "api figures"),
    "stats": ("bare organiser", "stats year", "stats years"),
    "city": ("bare officer", "city year", "city years"),
}
BATCH = 5_000

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Thu", "Quang", "Thanh", "Hữu", "Ngọc", "Xuân"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hòa", "Hùng", "Lan", "Linh",
         "Long", "Mai", "Nam", "Nga", "Phúc", "Quân", "Sơn", "Thảo", "Trang", "Tuấn", "Yến"]  # fmt: skip
UNIT_NAMES = [
    "Văn phòng HĐND-UBND",
    "Bộ phận Một cửa",
    "Phòng Kinh tế, Hạ tầng và Đô thị",
    "Phòng Văn hóa - Xã hội",
    "Công an phường",
    "Trung tâm phục vụ hành chính công",
]
QUESTIONS = [
    "Hồ sơ đề nghị cấp giấy chứng nhận quyền sử dụng đất của gia đình tôi nộp đã lâu chưa có "
    "kết quả; đề nghị phường kiểm tra, trả lời cụ thể lý do chậm.",
    "Đề nghị cho biết thời gian giải quyết thủ tục đăng ký khai sinh, đăng ký kết hôn; có thể "
    "rút ngắn thời gian trả kết quả hay không?",
    "Việc xác nhận hồ sơ hưởng trợ cấp xã hội cho người cao tuổi còn phải đi lại nhiều lần; đề "
    "nghị hướng dẫn đầy đủ một lần các giấy tờ cần nộp.",
    "Ngõ trong tổ dân phố xuống cấp, ngập nước mỗi khi mưa lớn; đề nghị kiểm tra và có kế hoạch "
    "cải tạo.",
    "Doanh nghiệp muốn nộp hồ sơ trực tuyến nhưng chưa rõ cách nộp lệ phí qua cổng dịch vụ công; "
    "đề nghị bộ phận một cửa hỗ trợ.",
    "Thủ tục cấp phép xây dựng nhà ở riêng lẻ cần những giấy tờ gì, nộp ở đâu và mất bao lâu?",
]
SPOKEN_ANSWER = (
    "Chủ tịch UBND trả lời: hồ sơ đã được tiếp nhận đúng quy định; bộ phận chuyên môn sẽ "
    "hướng dẫn công dân hoàn thiện trong tuần, thời hạn giải quyết theo quy định hiện hành."
)
WRITTEN_ANSWER = (
    "Qua kiểm tra, hồ sơ đã được Bộ phận Một cửa tiếp nhận và chuyển cơ quan có thẩm quyền giải "
    "quyết.\nUBND đã đôn đốc và sẽ thông báo kết quả ngay khi nhận được; nếu có vướng mắc, đề "
    "nghị liên hệ công chức phụ trách trong giờ hành chính."
)
WRITTEN_SHA256 = hashlib.sha256(WRITTEN_ANSWER.encode()).hexdigest()
FAKE_PDF = b"%PDF-1.7\n% bench: a stand-in, never served here\n%%EOF\n"


# The address residents (and the API's readers) use, as a proxy in front would pass it on: the
# API's answers are prepared for it.
PUBLIC_HOST = "dialogue.bench"


def _environment(database_url: str) -> dict[str, str]:
    # Every client signs in at the start and every API request comes from 127.0.0.1: no
    # limit in the way of the measurement.
    return app_environment(
        database_url,
        DIALOGUE_LOGIN_RATE_LIMIT="1000 per minute",
        DIALOGUE_API_RATE_LIMIT="1000000 per minute",
        DIALOGUE_PUBLIC_URL=f"http://{PUBLIC_HOST}",
    )


def prepare_answers(database_url: str) -> dict:
    """What the worker does in its first minute after the load: the API's answers prepared."""
    from dialogue.api.prepared import prepare

    with _app(database_url).app_context():
        done = prepare()
    return {"wards": done.wards, "answers": done.answers, "seconds": round(done.seconds, 1)}


def _app(database_url: str):
    os.environ.update(_environment(database_url))
    from dialogue import create_app

    return create_app()


# -- the generator ---------------------------------------------------------------------------------


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def _conference_days(rng: random.Random, how_many: int, today: date) -> list[date]:
    """Twice a year, in June and in November–December, then the extra (thematic) ones at random
    dates; all before ``today``, oldest first."""
    days = []
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        days.append(date(year, 6, rng.randint(5, 28)))
        days.append(date(year, 11, 15) + timedelta(days=rng.randint(0, 35)))
    days = [day for day in days if day < today - timedelta(days=1)][:how_many]
    first, last = date(FIRST_YEAR, 1, 10), today - timedelta(days=3)
    while len(days) < how_many:
        day = first + timedelta(days=rng.randint(0, (last - first).days))
        if day not in days:
            days.append(day)
    return sorted(days)


class _Ids:
    """Keys handed out here, so that rows can point at rows not yet inserted."""

    def __init__(self, connection, tables):
        import sqlalchemy as sa

        self.next = {
            table.name: (connection.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1
            for table in tables
        }

    def take(self, table) -> int:
        value = self.next[table.name]
        self.next[table.name] = value + 1
        return value


class _Loader:
    """Rows gathered per table and inserted a batch at a time (executemany).

    Tables are inserted in the order their first row came, parents before children, all
    together whenever one has a full batch: no row reaches the database before its parent.
    """

    def __init__(self, connection):
        self.connection = connection
        self.rows: dict = {}
        self.counts: dict[str, int] = {}

    def add(self, table, row: dict) -> None:
        rows = self.rows.setdefault(table, [])
        rows.append(row)
        if len(rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        for table, rows in self.rows.items():
            if rows:
                self.connection.execute(table.insert(), rows)
                self.counts[table.name] = self.counts.get(table.name, 0) + len(rows)
                rows.clear()


def generate(
    *, wards: int, conferences: int, turns: int, seed: int = 13, now: datetime | None = None
) -> dict:
    """Fill the application's database with a province's wards and their history; return counts.

    Runs in an application context, on a migrated database. The wards (with their reference
    lists), the province and the two measured accounts go through the application's own
    operations; everything else is inserted in bulk with keys assigned here. Commits.
    """
    import sqlalchemy as sa

    from dialogue.attendance.models import AttendanceStatus, Attendee, CheckInMethod
    from dialogue.auth.models import Role
    from dialogue.auth.operations import create_user
    from dialogue.city.operations import assign_province, get_or_create_province
    from dialogue.conferences.models import Conference, ConferenceStatus
    from dialogue.core.text import fold
    from dialogue.documents.models import DocumentNumber
    from dialogue.dossier.models import DossierReport
    from dialogue.extensions import db
    from dialogue.feedback.models import (
        AnswerKind,
        AnswerRating,
        RatingLevel,
        ResponseSource,
        SurveyResponse,
    )
    from dialogue.followup.models import AnswerStatus, Referral, ReferralStatus, WrittenAnswer
    from dialogue.live.models import Turn, TurnOutcome
    from dialogue.minutes.models import MinutesDraft, PublishedDocument
    from dialogue.wards.models import (
        DelegateCategory,
        ProcedureArea,
        ResidentialGroup,
        Unit,
        WardKind,
    )
    from dialogue.wards.operations import create_ward

    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    today = now.date()
    timings: dict[str, float] = {}
    started = time.perf_counter()

    province = get_or_create_province(PROVINCE)
    tag = secrets.token_hex(2)
    made = []
    for w in range(wards):
        # Hà Nội since 1/7/2025: 51 phường and 75 xã.
        kind = WardKind.WARD if w % 5 < 2 else WardKind.COMMUNE
        ward = create_ward(
            name=f"Thử Tải {w + 1:03d}", slug=f"tt-{tag}-{w + 1:03d}", kind=kind, province=PROVINCE
        )
        assign_province(ward, province)
        made.append(ward)
    organiser = create_user(
        ward=made[0],
        username=f"{ORGANISER}-{tag}",
        display_name="Văn phòng UBND",
        password=PASSWORD,
        role=Role.ORGANISER,
    )
    officer = create_user(
        province=province,
        username=f"{OFFICER}-{tag}",
        display_name="Sở Nội vụ",
        password=PASSWORD,
        role=Role.CITY,
    )
    db.session.commit()
    ward_ids = [ward.id for ward in made]
    issuer = {ward.id: ward.issuer_code for ward in made}
    timings["wards"] = time.perf_counter() - started

    def per_ward(model) -> dict[int, list[int]]:
        found: dict[int, list[int]] = {}
        for ward_id, ident in db.session.execute(
            sa.select(model.ward_id, model.id)
            .where(model.ward_id.in_(ward_ids))
            .order_by(model.position, model.id)
        ):
            found.setdefault(ward_id, []).append(ident)
        return found

    areas = per_ward(ProcedureArea)
    categories = per_ward(DelegateCategory)
    # The rows go in on a connection of their own: end the session's transaction, so that it
    # reads them afterwards (on SQLite it would keep its snapshot from before).
    db.session.commit()

    tables = {
        model: model.__table__
        for model in (
            ResidentialGroup,
            Unit,
            Conference,
            Turn,
            Referral,
            WrittenAnswer,
            Attendee,
            DossierReport,
            SurveyResponse,
            AnswerRating,
            MinutesDraft,
            DocumentNumber,
            PublishedDocument,
        )
    }
    with db.engine.begin() as connection:
        ids = _Ids(connection, tables.values())
        load = _Loader(connection)
        stamp = now
        for ward_id in ward_ids:
            groups = []
            for number in range(1, rng.randint(12, 25) + 1):
                groups.append(ident := ids.take(tables[ResidentialGroup]))
                load.add(
                    tables[ResidentialGroup],
                    {
                        "id": ident,
                        "ward_id": ward_id,
                        "number": number,
                        "name": f"Tổ dân phố số {number}",
                        "head_name": _name(rng),
                        "created_dt": stamp,
                        "updated_dt": stamp,
                    },
                )
            units = []
            for name in UNIT_NAMES:
                units.append(ident := ids.take(tables[Unit]))
                load.add(
                    tables[Unit],
                    {
                        "id": ident,
                        "ward_id": ward_id,
                        "name": name,
                        "created_dt": stamp,
                        "updated_dt": stamp,
                    },
                )
            # Most questions fall in a few areas (land, civil status, social policy).
            ward_areas = areas.get(ward_id) or [None]
            area_weights = [8 if i < 3 else 3 if i < 8 else 1 for i in range(len(ward_areas))]
            ward_categories = categories.get(ward_id) or [None]
            numbers_by_year: dict[int, int] = {}
            days = _conference_days(rng, conferences, today)
            for k, day in enumerate(days):
                start = datetime(day.year, day.month, day.day, 1, 30, tzinfo=UTC)
                end = start + timedelta(hours=3)
                age = (today - day).days
                published = age > 20 and rng.random() < 0.93
                conference_id = ids.take(tables[Conference])
                load.add(
                    tables[Conference],
                    {
                        "id": conference_id,
                        "ward_id": ward_id,
                        "title": "Hội nghị đối thoại giữa Chủ tịch UBND với Nhân dân về cải "
                        f"cách thủ tục hành chính, kỳ {k + 1}",
                        "plan_number": f"{rng.randint(10, 199)}/KH-UBND",
                        "plan_date": day - timedelta(days=30),
                        "reporting_period": f"6 tháng {'đầu' if day.month <= 6 else 'cuối'} "
                        f"năm {day.year}",
                        "start_dt": start,
                        "planned_end_dt": end,
                        "end_dt": end,
                        "started_dt": start,
                        "announced_dt": start - timedelta(days=rng.randint(7, 14)),
                        "venue": "Hội trường UBND",
                        "status": ConferenceStatus.PUBLISHED
                        if published
                        else ConferenceStatus.CLOSED,
                        "status_changed_dt": end + timedelta(days=5 if published else 0),
                        "created_dt": start - timedelta(days=30),
                        "updated_dt": end + timedelta(days=5),
                    },
                )
                # Attendees: residents by group, delegates by category.
                for _ in range(rng.randint(60, 100)):
                    full_name = _name(rng)
                    is_delegate = rng.random() < 0.3
                    status = rng.choices(
                        (
                            AttendanceStatus.PRESENT,
                            AttendanceStatus.EXPECTED,
                            AttendanceStatus.EXCUSED,
                        ),
                        (85, 10, 5),
                    )[0]
                    load.add(
                        tables[Attendee],
                        {
                            "id": ids.take(tables[Attendee]),
                            "conference_id": conference_id,
                            "full_name": full_name,
                            "residential_group_id": None if is_delegate else rng.choice(groups),
                            "delegate_category_id": rng.choice(ward_categories)
                            if is_delegate
                            else None,
                            "is_invited": is_delegate or rng.random() < 0.7,
                            "token": secrets.token_urlsafe(18),
                            "status": status,
                            "check_in_method": CheckInMethod.NAME
                            if status is AttendanceStatus.PRESENT
                            else None,
                            "checked_in_dt": start - timedelta(minutes=rng.randint(1, 40))
                            if status is AttendanceStatus.PRESENT
                            else None,
                            "search_text": fold(full_name),
                            "created_dt": start - timedelta(days=7),
                            "updated_dt": start,
                        },
                    )
                rated_turns = []
                for position in range(1, turns + 1):
                    turn_id = ids.take(tables[Turn])
                    question = QUESTIONS[rng.randrange(len(QUESTIONS))]
                    referred = rng.random() < 0.3
                    unit = rng.choice(units)
                    due = day + timedelta(days=10)
                    spoken = start + timedelta(minutes=2.5 * position)
                    withdrawn = not referred and rng.random() < 0.01
                    load.add(
                        tables[Turn],
                        {
                            "id": turn_id,
                            "conference_id": conference_id,
                            "position": position,
                            "speaker_name": _name(rng),
                            "speaker_group_id": rng.choice(groups),
                            "procedure_area_id": rng.choices(ward_areas, area_weights)[0],
                            "question": question,
                            "outcome": TurnOutcome.REFERRED if referred else TurnOutcome.ANSWERED,
                            "answerer_name": "Chủ tịch UBND",
                            "answer": "Giao bộ phận chuyên môn trả lời bằng văn bản."
                            if referred
                            else SPOKEN_ANSWER,
                            "referral_unit_id": unit if referred else None,
                            "referral_due_date": due if referred else None,
                            "withdrawn_dt": spoken + timedelta(minutes=1) if withdrawn else None,
                            "withdrawn_reason": "Trùng lượt trước." if withdrawn else "",
                            "spoken_dt": spoken,
                            "created_dt": spoken,
                            "updated_dt": spoken,
                        },
                    )
                    if not referred:
                        if not withdrawn and rng.random() < 0.3:
                            rated_turns.append((turn_id, AnswerKind.SPOKEN))
                        continue
                    referral_id = ids.take(tables[Referral])
                    answered_on, status = _referral_outcome(rng, due, today)
                    load.add(
                        tables[Referral],
                        {
                            "id": referral_id,
                            "turn_id": turn_id,
                            "conference_id": conference_id,
                            "ward_id": ward_id,
                            "unit_id": unit,
                            "due_date": due,
                            "status": status,
                            "answered_on": answered_on,
                            "is_settled": status is not ReferralStatus.REFERRED,
                            "search_text": fold(question),
                            "created_dt": end,
                            "updated_dt": datetime.combine(
                                answered_on or day, datetime.min.time(), UTC
                            ),
                        },
                    )
                    if status is ReferralStatus.REFERRED:
                        continue
                    answer = {
                        "id": ids.take(tables[WrittenAnswer]),
                        "referral_id": referral_id,
                        "version": 1,
                        "body": WRITTEN_ANSWER,
                        "revision": 1,
                        "created_dt": end + timedelta(days=2),
                        "updated_dt": end + timedelta(days=2),
                        "status": AnswerStatus.DRAFT,
                        "letter_number": "",
                        "letter_date": None,
                        "body_sha256": "",
                        "submitted_dt": None,
                        "published_dt": None,
                    }
                    if status is ReferralStatus.ANSWERED:
                        moment = datetime.combine(answered_on, datetime.min.time(), UTC)
                        answer.update(
                            status=AnswerStatus.PUBLISHED,
                            letter_number=f"{rng.randint(10, 999)}/UBND-VP",
                            letter_date=answered_on,
                            body_sha256=WRITTEN_SHA256,
                            submitted_dt=moment - timedelta(days=1),
                            published_dt=moment,
                        )
                        if rng.random() < 0.3:
                            rated_turns.append((turn_id, AnswerKind.WRITTEN))
                    elif status is ReferralStatus.AWAITING_APPROVAL:
                        answer.update(
                            status=AnswerStatus.SUBMITTED, submitted_dt=end + timedelta(days=3)
                        )
                    load.add(tables[WrittenAnswer], answer)
                for turn_id, kind in rated_turns:
                    levels = rng.choices(list(RatingLevel), (35, 45, 20), k=rng.randint(1, 3))
                    for level in levels:
                        load.add(
                            tables[AnswerRating],
                            {
                                "id": ids.take(tables[AnswerRating]),
                                "conference_id": conference_id,
                                "turn_id": turn_id,
                                "kind": kind,
                                "device_key": secrets.token_hex(16),
                                "level": level,
                                "created_dt": end,
                                "updated_dt": end,
                            },
                        )
                for r in range(rng.randint(10, 40)):
                    online = rng.random() < 0.6
                    scores = rng.choices((5, 4, 3, 2, 1), (30, 40, 18, 8, 4), k=5)
                    load.add(
                        tables[SurveyResponse],
                        {
                            "id": ids.take(tables[SurveyResponse]),
                            "conference_id": conference_id,
                            "source": ResponseSource.ONLINE if online else ResponseSource.PAPER,
                            "device_key": secrets.token_hex(16) if online else None,
                            "paper_number": None if online else r + 1,
                            "access": scores[0],
                            "procedures": scores[1],
                            "officials": scores[2],
                            "results": scores[3],
                            "feedback": scores[4],
                            "visits": rng.randint(0, 2),
                            "created_dt": end,
                            "updated_dt": end,
                        },
                    )
                load.add(
                    tables[DossierReport],
                    _dossier_report(
                        rng, ids, tables[DossierReport], ward_id, conference_id, day, end
                    ),
                )
                if published:
                    number = numbers_by_year[day.year] = numbers_by_year.get(day.year, 0) + 1
                    _published_minutes(
                        load, ids, tables, conference_id, ward_id, issuer[ward_id], day, number, end
                    )
        load.flush()
    timings["rows"] = time.perf_counter() - started - timings["wards"]
    _after_load(db)
    timings["analyze"] = time.perf_counter() - started - timings["wards"] - timings["rows"]
    counts = dict(sorted(load.counts.items()))
    counts["wards"] = wards
    return {
        "counts": counts,
        "load_seconds": {key: round(value, 1) for key, value in timings.items()},
        "organiser": organiser.username,
        "officer": officer.username,
        "slugs": [ward.slug for ward in made],
    }


def _referral_outcome(rng: random.Random, due: date, today: date):
    """What became of a referral by ``today``: mostly answered on time, some late, some still
    open (within the due date) or overdue."""
    from dialogue.followup.models import ReferralStatus

    if due >= today:  # the newest conferences' referrals are still being answered
        return rng.choice(
            (
                (None, ReferralStatus.REFERRED),
                (None, ReferralStatus.IN_PROGRESS),
                (None, ReferralStatus.AWAITING_APPROVAL),
                (today - timedelta(days=1), ReferralStatus.ANSWERED),
            )
        )
    draw = rng.random()
    if draw < 0.78:
        return due - timedelta(days=rng.randint(0, 7)), ReferralStatus.ANSWERED
    if draw < 0.9:
        answered = min(due + timedelta(days=rng.randint(1, 40)), today - timedelta(days=1))
        return answered, ReferralStatus.ANSWERED
    return None, rng.choice((ReferralStatus.REFERRED, ReferralStatus.IN_PROGRESS))


def _dossier_report(rng, ids, table, ward_id: int, conference_id: int, day: date, end) -> dict:
    """The one-stop desk's six months, balanced as the dossier page checks them."""
    carried = rng.randint(0, 60)
    online, desk = rng.randint(300, 1_800), rng.randint(400, 2_500)
    total = carried + online + desk
    pending_within = rng.randint(0, 40)
    pending_overdue = rng.randint(0, 5)
    late = rng.randint(0, 25)
    resolved_in_time = total - pending_within - pending_overdue - late
    early = rng.randint(0, resolved_in_time // 3)
    return {
        "id": ids.take(table),
        "conference_id": conference_id,
        "ward_id": ward_id,
        "cutoff_date": day - timedelta(days=10),
        "carried_over": carried,
        "received_online": online,
        "received_desk": desk,
        "resolved_early": early,
        "resolved_on_time": resolved_in_time - early,
        "resolved_late": late,
        "pending_within": pending_within,
        "pending_overdue": pending_overdue,
        "returned": None,
        "early_count": None,
        "early_base": None,
        "created_dt": end - timedelta(days=12),
        "updated_dt": end - timedelta(days=12),
    }


def _published_minutes(load, ids, tables, conference_id, ward_id, issuer, day, number, end) -> None:
    """The conference's biên bản as published: its draft, its number, a small stand-in PDF."""
    from dialogue.documents.models import DocumentNumber, DocumentType
    from dialogue.minutes.models import DraftStatus, MinutesDraft, PublishedDocument

    published = end + timedelta(days=5)
    draft_id = ids.take(tables[MinutesDraft])
    load.add(
        tables[MinutesDraft],
        {
            "id": draft_id,
            "conference_id": conference_id,
            "doc_type": DocumentType.MINUTES,
            "status": DraftStatus.PUBLISHED,
            "created_dt": end,
            "updated_dt": published,
        },
    )
    number_id = ids.take(tables[DocumentNumber])
    load.add(
        tables[DocumentNumber],
        {
            "id": number_id,
            "ward_id": ward_id,
            "issuer_code": issuer,
            "doc_type": DocumentType.MINUTES,
            "year": day.year,
            "number": number,
            "conference_id": conference_id,
            "purpose": "",
            "created_dt": published,
        },
    )
    html = f"<article>Biên bản hội nghị {conference_id}</article>"
    load.add(
        tables[PublishedDocument],
        {
            "id": ids.take(tables[PublishedDocument]),
            "draft_id": draft_id,
            "conference_id": conference_id,
            "doc_type": DocumentType.MINUTES,
            "version": 1,
            "number_id": number_id,
            "number_label": f"{number:02d}/BB-{issuer}",
            "public_code": secrets.token_urlsafe(6),
            "html": html,
            "pdf": FAKE_PDF,
            "pdf_sha256": hashlib.sha256(FAKE_PDF).hexdigest(),
            "html_sha256": hashlib.sha256(html.encode()).hexdigest(),
            "pdf_size": len(FAKE_PDF),
            "title": f"Biên bản hội nghị đối thoại, kỳ {number}",
            "published_dt": published,
        },
    )


def _after_load(db) -> None:
    """On PostgreSQL: move each sequence past the keys given here, and gather statistics."""
    if db.engine.dialect.name != "postgresql":
        # The application never runs ANALYZE on SQLite: measure the file as it would be.
        return
    import sqlalchemy as sa

    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in db.metadata.sorted_tables:
            if "id" in table.c and table.c.id.primary_key:
                top = connection.scalar(sa.select(sa.func.max(table.c.id))) or 0
                connection.execute(
                    sa.text("SELECT setval(pg_get_serial_sequence(:name, 'id'), :next, false)"),
                    {"name": table.name, "next": top + 1},
                )
        # A live database has planner statistics; a freshly loaded one must gather them.
        connection.exec_driver_sql("ANALYZE")


# -- the clients -----------------------------------------------------------------------------------


def client(port: int, setup: dict, rounds: int, kinds: tuple[str, ...]) -> dict:
    """One reader, in a process of its own (client threads would share the GIL)."""
    from urllib.parse import urlencode

    # Each client its own draw of wards, years and conferences.
    rng = random.Random(os.getpid())
    anonymous = Session(port)
    organiser = Session(port)
    organiser.login(setup["organiser"], PASSWORD)
    officer = Session(port)
    officer.login(setup["officer"], PASSWORD)
    years = list(range(FIRST_YEAR, LAST_YEAR + 1))
    long_period = urlencode(LONG_PERIOD)
    polled, polled_conference = setup["slugs"][0], setup["conference_ids"][0]

    def paths() -> dict[str, tuple[Session, str]]:
        slug = rng.choice(setup["slugs"])
        year = rng.choice(years)
        return {
            "bare": (anonymous, "/__bench/bare"),
            "api wards": (anonymous, "/api/v1/wards"),
            "api conferences": (anonymous, f"/api/v1/wards/{slug}/conferences"),
            "api turns": (
                anonymous,
                f"/api/v1/conferences/{rng.choice(setup['conference_ids'])}/turns",
            ),
            "api referrals": (anonymous, f"/api/v1/wards/{slug}/referrals"),
            "api figures": (anonymous, f"/api/v1/wards/{slug}/figures?kind=year&year={year}"),
            "api conferences again": (anonymous, f"/api/v1/wards/{polled}/conferences"),
            "api turns again": (anonymous, f"/api/v1/conferences/{polled_conference}/turns"),
            "api referrals again": (anonymous, f"/api/v1/wards/{polled}/referrals"),
            "bare organiser": (organiser, "/__bench/bare"),
            "stats year": (organiser, f"/stats/?kind=year&year={year}"),
            "stats years": (organiser, f"/stats/?{long_period}"),
            "bare officer": (officer, "/__bench/bare"),
            "city year": (officer, f"{setup['city_path']}?kind=year&year={year}"),
            "city years": (officer, f"{setup['city_path']}?{long_period}"),
        }

    for _ in range(3):  # warm up: each worker's first requests load templates and statements
        for kind, (session, path) in paths().items():
            if kind in kinds:
                session.request(
                    "GET", path, headers={"Host": PUBLIC_HOST} if session is anonymous else None
                )
    timings: dict[str, list[float]] = {kind: [] for kind in kinds}
    sizes: dict[str, list[int]] = {kind: [] for kind in kinds}
    failures: list[str] = []
    for _ in range(rounds):
        # In a new order each round: a route that always followed the heaviest one would wait
        # for it in the same worker, on the other client's request.
        order = list(paths().items())
        rng.shuffle(order)
        for kind, (session, path) in order:
            if kind not in kinds:
                continue
            status, data, elapsed = session.request(
                "GET", path, headers={"Host": PUBLIC_HOST} if session is anonymous else None
            )
            timings[kind].append(elapsed)
            sizes[kind].append(len(data))
            if status != 200:
                failures.append(f"{kind} {path}: {status}")
    return {
        "timings": timings,
        "sizes": {kind: [min(v), max(v)] for kind, v in sizes.items() if v},
        "failures": failures,
    }


def _setup(database_url: str) -> dict:
    """What the clients need, read from a loaded database."""
    import sqlalchemy as sa

    from dialogue.auth.models import Role, User
    from dialogue.conferences.models import Conference
    from dialogue.extensions import db
    from dialogue.wards.models import Ward

    app = _app(database_url)
    with app.app_context():
        officer = db.session.scalar(
            sa.select(User).where(User.role == Role.CITY).order_by(User.id.desc()).limit(1)
        )
        organiser = db.session.scalar(
            sa.select(User)
            .where(User.role == Role.ORGANISER, User.username.like(f"{ORGANISER}-%"))
            .order_by(User.id.desc())
            .limit(1)
        )
        slugs = list(
            db.session.scalars(
                sa.select(Ward.slug).where(Ward.province_id == officer.province_id, Ward.is_active)
            )
        )
        conference_ids = list(
            db.session.scalars(
                sa.select(Conference.id)
                .join(Ward, Ward.id == Conference.ward_id)
                .where(Ward.province_id == officer.province_id)
            )
        )
        with app.test_request_context():
            from flask import url_for

            city_path = url_for("city.index")
        return {
            "organiser": organiser.username,
            "officer": officer.username,
            "slugs": slugs,
            "conference_ids": conference_ids,
            "city_path": city_path,
        }


def load(database_url: str, wards: int, conferences: int, turns: int) -> dict:
    """Migrate an empty database and generate the province into it."""
    from flask_migrate import upgrade

    app = _app(database_url)
    with app.app_context():
        started = time.perf_counter()
        upgrade()
        migrated = time.perf_counter() - started
        result = generate(wards=wards, conferences=conferences, turns=turns)
        result["load_seconds"]["migrations"] = round(migrated, 1)
        result["load_seconds"]["total"] = round(time.perf_counter() - started, 1)
        result.pop("slugs")
        return result


def measure(database_url: str, rounds: int, clients: int, only: str | None = None) -> dict:
    kinds = ONLY.get(only, KINDS)
    setup = _setup(database_url)
    runs = run_clients(_environment(database_url), client, (setup, rounds, kinds), clients, kinds)
    compared = {kind: bare for kind, bare in COMPARED.items() if kind in kinds}
    rows = rate_rows(kinds, runs.timings, runs.rates, compared, runs.results[-1]["sizes"])
    return {
        "rows": rows,
        "failures": runs.failures[:5],
        "failure_count": len(runs.failures),
        "worker_rss_mb": runs.worker_rss_mb,
        "clients": clients,
        "rounds_per_client": rounds,
        "city_path": setup["city_path"],
        "only": only,
    }


def verdicts(rows: list[dict]) -> dict[str, str]:
    """Each target, met or missed."""
    by_name = {row["name"]: row for row in rows}
    found = {}
    for name in PAGES:
        if (row := by_name.get(name)) is not None:
            found[name] = "meets" if row["p95_ms"] <= TARGET_PAGE_P95_MS else "MISSES"
    for name in (*API_LISTS, *API_AGAIN):
        if (row := by_name.get(name)) is None:
            continue
        fast = row["p95_ms"] <= TARGET_API_P95_MS
        often = row["ratio_to_bare"] >= TARGET_RATIO
        found[name] = "meets" if fast and often else "MISSES"
    return found


# -- a database of its own -----------------------------------------------------------------------


@contextmanager
def scratch_database(database_url: str | None, folder: Path, *, keep: bool):
    """Yield a fresh database: a SQLite file in ``folder``, or a new PostgreSQL database."""
    if not database_url or database_url.startswith("sqlite"):
        path = folder / "city.sqlite3"
        yield f"sqlite:///{path}"
        if keep:
            kept = Path(tempfile.gettempdir()) / f"city_scale_{secrets.token_hex(3)}.sqlite3"
            # The backup API: the file with whatever its write-ahead log still holds.
            with sqlite3.connect(path) as source, sqlite3.connect(kept) as target:
                source.backup(target)
            print(f"kept: sqlite:///{kept}")
        return
    with postgres_scratch(database_url, "city", keep=keep) as url:
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60, help="rounds per client")
    parser.add_argument("--clients", type=int, default=2, help="concurrent client processes")
    parser.add_argument("--wards", type=int, default=126)
    parser.add_argument("--conferences", type=int, default=20, help="per ward")
    parser.add_argument("--turns", type=int, default=60, help="per conference")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--keep", action="store_true", help="keep the loaded database")
    parser.add_argument("--loaded", default=None, help="measure this loaded database as it is")
    parser.add_argument("--only", choices=tuple(ONLY), default=None, help="measure only these")
    args = parser.parse_args()
    result: dict = {}
    with tempfile.TemporaryDirectory() as folder:
        if args.loaded:
            url = args.loaded
            result["database"] = url.split(":")[0]
            result["prepared"] = prepare_answers(url)
            result["serving"] = measure(url, args.rounds, args.clients, args.only)
        else:
            with scratch_database(args.database_url, Path(folder), keep=args.keep) as url:
                result["database"] = url.split(":")[0]
                result["load"] = load(url, args.wards, args.conferences, args.turns)
                result["prepared"] = prepare_answers(url)
                result["serving"] = measure(url, args.rounds, args.clients, args.only)
    result["load_average"] = os.getloadavg()
    result["verdicts"] = verdicts(result["serving"]["rows"])
    report("city_scale", result)
    for row in result["serving"]["rows"]:
        line = (
            f"{row['name']:>16}: p50 {row['p50_ms']:7.1f} ms, p95 {row['p95_ms']:7.1f} ms, "
            f"p99 {row['p99_ms']:7.1f} ms, {row['rps']:7.1f} req/s"
        )
        if "ratio_to_bare" in row:
            line += f" ({row['ratio_to_bare']:.0%} of {COMPARED[row['name']]})"
        if row["name"] in result["verdicts"]:
            line += f" — {result['verdicts'][row['name']]}"
        print(line)
    if "load" in result:
        print(f"load: {result['load']['load_seconds']}")
    print(f"prepared: {result['prepared']}")


if __name__ == "__main__":
    main()
