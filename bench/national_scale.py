"""Benchmark data at national scale: 3,300 wards × 20 conferences × 60 turns, loaded by COPY.

Vietnam has had 34 provinces and about 3,300 communes and wards since 1 July 2025. This loads
a PostgreSQL database made for the purpose with that many wards, each with its residential
groups, units, 20 conferences of 60 speaking turns (≈ 4 million turns), the referrals and
written answers of the referred turns, and the published biên bản of most conferences — their
metadata, drafts and numbers; the frozen ``html`` and ``pdf`` columns are NOT NULL, so each
holds a small stand-in (``city_scale.FAKE_PDF``), never a rendered document. The search index
(``dialogue.archive.search_index``) is filled in the same pass, one row per public turn, its
text by the module's ``entry_text`` rule (each distinct part folded once, checked against the
function itself). Attendees, survey answers,
ratings and dossier reports are left out: the aim is realistic row counts and index sizes for
the public search and the per-ward archive, loaded in minutes.

    .venv/bin/python -m bench.national_scale --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
        [--wards 3300] [--conferences 20] [--turns 60] [--keep]

The wards, their reference lists and the provinces go through the application's operations
(``create_ward``), so they are what the application makes; every other row is streamed with
psycopg's ``COPY … FROM STDIN``, one connection per table, all open at once, keys assigned
here. Those connections run with ``session_replication_role = replica``: no trigger fires for
their rows, neither the wards' version triggers (one upsert per row on a shared row) nor the
foreign-key checks — the rows are made consistent here. The setting belongs to those sessions
only; nothing in the catalogue is changed, so nothing needs restoring, and every other session
(the application's) keeps every trigger. The search index's GIN trigram index is dropped before
the load and built again over the rows, as pg_restore does (about half the load's time).
Afterwards the wards' versions are raised once, as the triggers would have,
the sequences moved past the keys, and the tables vacuumed and analysed (what autovacuum does
to a live database). A few wards' search rows are then compared with what
``search_index.rebuild`` writes for them.

The text is built from ``city_scale``'s (names, units, answers) and from the procedure areas
of ``/work/shared/domain``: each area has its own requests, placed in a street, a housing
estate or a market, some with a detail that few turns share, so that a search finds many
turns for common words and few for rare ones.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import os
import random
import secrets
import time
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta

from bench.city_scale import (
    FAKE_PDF,
    QUESTIONS,
    SPOKEN_ANSWER,
    UNIT_NAMES,
    WRITTEN_ANSWER,
    WRITTEN_SHA256,
    _conference_days,
    _name,
    _referral_outcome,
)
from bench.harness import app_environment, postgres_scratch

# The 34 provinces and centrally-run cities since 1 July 2025.
PROVINCES = [
    "Thành phố Hà Nội", "Thành phố Huế", "Lai Châu", "Điện Biên", "Sơn La", "Lạng Sơn",
    "Quảng Ninh", "Thanh Hóa", "Nghệ An", "Hà Tĩnh", "Cao Bằng", "Tuyên Quang", "Lào Cai",
    "Thái Nguyên", "Phú Thọ", "Bắc Ninh", "Hưng Yên", "Thành phố Hải Phòng", "Ninh Bình",
    "Quảng Trị", "Thành phố Đà Nẵng", "Quảng Ngãi", "Gia Lai", "Khánh Hòa", "Lâm Đồng",
    "Đắk Lắk", "Thành phố Hồ Chí Minh", "Đồng Nai", "Tây Ninh", "Thành phố Cần Thơ",
    "Vĩnh Long", "Đồng Tháp", "Cà Mau", "An Giang",
]  # fmt: skip

# What residents ask about, by procedure area code (procedure-areas.csv).
TOPICS = {
    "HT": ["thời gian giải quyết thủ tục đăng ký khai sinh cho trẻ em",
           "việc cấp bản sao trích lục kết hôn, trích lục khai tử"],
    "CTH": ["lệ phí và thời gian chứng thực bản sao từ bản chính",
            "việc chứng thực chữ ký trên giấy ủy quyền"],
    "NCN": ["thủ tục đăng ký nuôi con nuôi trong nước"],
    "PBPL": ["việc tổ chức phổ biến pháp luật cho người dân ở khu dân cư"],
    "HGCS": ["tranh chấp lối đi chung giữa các hộ đã hòa giải nhưng chưa dứt điểm"],
    "BTNN": ["yêu cầu bồi thường thiệt hại do quyết định hành chính trái pháp luật"],
    "DD": ["hồ sơ cấp giấy chứng nhận quyền sử dụng đất",
           "việc đo đạc, cắm mốc ranh giới thửa đất",
           "tiền bồi thường, hỗ trợ khi giải phóng mặt bằng"],
    "XD": ["thủ tục cấp giấy phép xây dựng nhà ở riêng lẻ",
           "công trình xây dựng sai phép gây lún nứt nhà liền kề"],
    "MT": ["rác thải tồn đọng tại điểm tập kết",
           "tiếng ồn và khói bụi từ xưởng sản xuất trong khu dân cư"],
    "HKD": ["thủ tục đăng ký hộ kinh doanh và thay đổi địa điểm kinh doanh"],
    "BTXH": ["hồ sơ hưởng trợ cấp xã hội hằng tháng cho người cao tuổi",
             "chế độ trợ cấp cho người khuyết tật nặng"],
    "GN": ["việc rà soát hộ nghèo, hộ cận nghèo hằng năm"],
    "NCC": ["chế độ ưu đãi đối với người có công với cách mạng"],
    "LDVL": ["hỗ trợ học nghề và giới thiệu việc làm cho lao động thất nghiệp"],
    "TE": ["khu vui chơi cho trẻ em trong khu dân cư"],
    "VH": ["hoạt động của nhà văn hóa tổ dân phố"],
    "TDTT": ["sân tập thể dục thể thao cho người cao tuổi"],
    "TNTG": ["việc tổ chức lễ hội truyền thống tại đình làng"],
    "GDDT": ["thủ tục tuyển sinh vào lớp 1 và lớp 6 theo tuyến"],
    "YT": ["việc cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi",
           "công tác phòng chống sốt xuất huyết"],
    "TDKT": ["việc xét công nhận gia đình văn hóa, khen thưởng khu dân cư"],
    "NV": ["thái độ tiếp dân của cán bộ, công chức"],
    "NN": ["hỗ trợ giống cây trồng, vật nuôi sau thiên tai"],
    "TCD": ["lịch tiếp công dân định kỳ của lãnh đạo UBND"],
    "CTCA": ["thủ tục đăng ký thường trú, tạm trú",
             "việc cấp thẻ căn cước cho người cao tuổi"],
    "KHAC": ["đèn chiếu sáng công cộng bị hỏng nhiều tháng",
             "ngõ xuống cấp, ngập nước mỗi khi mưa lớn"],
}  # fmt: skip
FRAMES = [
    "Đề nghị UBND cho biết {topic}{place}.",
    "Cử tri{place} phản ánh {topic} còn nhiều vướng mắc; đề nghị kiểm tra, trả lời cụ thể.",
    "Về {topic}{place}, người dân phải đi lại nhiều lần; đề nghị hướng dẫn đầy đủ một lần.",
    "Đề nghị bộ phận một cửa hỗ trợ người dân về {topic}{place}, nhất là khi nộp hồ sơ trực tuyến.",
]
STREETS = ["Lê Lợi", "Trần Hưng Đạo", "Nguyễn Trãi", "Quang Trung", "Hai Bà Trưng",
           "Lý Thường Kiệt", "Điện Biên Phủ", "Đinh Tiên Hoàng", "Phan Đình Phùng", "Hoàng Diệu",
           "Võ Thị Sáu", "Nguyễn Du", "Bà Triệu", "Lê Duẩn", "Hùng Vương", "Trường Chinh",
           "Giải Phóng", "Kim Mã", "Đội Cấn", "Hàng Bông", "Tô Hiến Thành", "Nguyễn Chí Thanh",
           "Đào Tấn", "Cầu Giấy"]  # fmt: skip
ESTATES = ["Thành Công", "Kim Liên", "Giảng Võ", "Nghĩa Tân", "Văn Chương", "Thanh Xuân Bắc"]
MARKETS = ["Đồng Xuân", "Bến Thành", "Hôm", "Mơ", "Long Biên", "Rồng"]
# A sentence few turns hold: what a search for a rare word finds.
DETAILS = [
    "Camera giám sát ở đầu ngõ không hoạt động.",
    "Bờ kè bị sạt lở sau đợt mưa bão vừa qua.",
    "Cây xanh bị đổ chắn lối đi chưa được dọn.",
    "Xe tải chở vật liệu xây dựng gây bụi vào giờ cao điểm.",
    "Trạm biến áp đặt sát nhà dân gây tiếng ồn.",
    "Điểm trông giữ xe tự phát lấn chiếm vỉa hè.",
    "Nắp cống bị vỡ gây nguy hiểm cho người đi đường.",
    "Quán karaoke hoạt động quá giờ quy định.",
    "Dây điện, cáp viễn thông chằng chịt trên cột.",
    "Hệ thống thoát nước bị tắc, nước thải tràn ra đường.",
    "Chó thả rông không rọ mõm ở khu vui chơi.",
    "Bãi đất trống bị đổ trộm phế thải xây dựng.",
]
SPOKEN_ANSWERS = [
    SPOKEN_ANSWER,
    "Phó Chủ tịch UBND trả lời: phường đã giao công chức địa chính kiểm tra hiện trạng; kết "
    "quả sẽ được thông báo đến tổ dân phố trong tháng.",
    "Chủ tịch UBND trả lời: ý kiến của cử tri là xác đáng; UBND sẽ đưa vào kế hoạch năm sau và "
    "bố trí kinh phí theo thứ tự ưu tiên.",
    "Chủ tịch UBND trả lời: thủ tục này đã được niêm yết công khai tại Bộ phận Một cửa và trên "
    "Cổng dịch vụ công quốc gia; công chức sẽ hướng dẫn trực tiếp khi người dân đến nộp.",
]
REFERRED_ANSWER = "Giao bộ phận chuyên môn trả lời bằng văn bản."
QUESTIONS_PER_AREA = 600

# Tables filled by COPY, parents before children.
TABLES = (
    "residential_groups",
    "units",
    "conferences",
    "turns",
    "referrals",
    "written_answers",
    "minutes_drafts",
    "document_numbers",
    "published_documents",
)
SEARCH_TABLE = "search_entries"


# -- the text -----------------------------------------------------------------------------------


def question_pool(rng: random.Random, area_codes: list[str]) -> dict[str, list[str]]:
    """Distinct questions per procedure area code, with city_scale's six among them."""
    pool: dict[str, list[str]] = {}
    for code in area_codes:
        topics = TOPICS.get(code, TOPICS["KHAC"])
        made: list[str] = []
        for _ in range(QUESTIONS_PER_AREA):
            draw = rng.random()
            if draw < 0.4:
                place = ""
            elif draw < 0.7:
                place = f" tại ngõ {rng.randint(1, 300)} phố {rng.choice(STREETS)}"
            elif draw < 0.85:
                place = f" trên đường {rng.choice(STREETS)}"
            elif draw < 0.93:
                place = f" ở khu tập thể {rng.choice(ESTATES)}"
            else:
                place = f" gần chợ {rng.choice(MARKETS)}"
            text = rng.choice(FRAMES).format(topic=rng.choice(topics), place=place)
            if rng.random() < 0.1:
                text += " " + rng.choice(DETAILS)
            made.append(text)
        pool[code] = made + QUESTIONS
    return pool


# -- COPY ----------------------------------------------------------------------------------------


class Stream:
    """One table's rows, streamed by ``COPY … FROM STDIN`` on a connection of its own.

    The columns are the ones given plus every NOT NULL column without a server default, which
    gets its model's scalar default: COPY applies no Python-side default.
    """

    def __init__(self, stack: ExitStack, url: str, table, columns: tuple[str, ...]):
        import psycopg

        missing = [
            column
            for column in table.columns
            if column.name not in columns
            and not column.nullable
            and column.server_default is None
            and not (column.primary_key and column.autoincrement is not False)
        ]
        fill = []
        for column in missing:
            if column.default is None:
                raise ValueError(f"{table.name}.{column.name} needs a value")
            value = column.default.arg
            if callable(value):
                if column.unique:
                    raise ValueError(f"{table.name}.{column.name} needs a value of its own")
                value = value(None)
            fill.append(value.value if hasattr(value, "value") else value)
        self.fill = tuple(fill)
        self.name = table.name
        self.count = 0
        self.connection = stack.enter_context(psycopg.connect(url))
        with self.connection.cursor() as cursor:
            # These sessions only: no trigger fires (the version triggers, the foreign-key
            # checks) and no commit waits for the disk; nothing outlives the connection.
            cursor.execute("SET session_replication_role = replica")
            cursor.execute("SET synchronous_commit = off")
        cursor = stack.enter_context(self.connection.cursor())
        names = ", ".join((*columns, *(column.name for column in missing)))
        self.copy = stack.enter_context(cursor.copy(f"COPY {table.name} ({names}) FROM STDIN"))

    def write(self, row: tuple) -> None:
        self.copy.write_row(row + self.fill)
        self.count += 1


def _psycopg_url(url: str) -> str:
    import sqlalchemy as sa

    return sa.engine.make_url(url).set(drivername="postgresql").render_as_string(False)


# -- the load -----------------------------------------------------------------------------------


def make_wards(wards: int, tag: str) -> list[tuple[int, str]]:
    """The wards through the application's operations, spread over the 34 provinces; commits."""
    from dialogue.city.operations import assign_province, get_or_create_province
    from dialogue.extensions import db
    from dialogue.wards.models import WardKind
    from dialogue.wards.operations import create_ward

    provinces = [get_or_create_province(name) for name in PROVINCES]
    made = []
    for w in range(wards):
        province = provinces[w % len(provinces)]
        # About a fifth of the country's communes are urban wards (phường).
        kind = WardKind.WARD if w % 5 == 0 else WardKind.COMMUNE
        ward = create_ward(
            name=f"Thử Tải {w + 1:04d}",
            slug=f"qg-{tag}-{w + 1:04d}",
            kind=kind,
            province=province.name,
        )
        assign_province(ward, province)
        made.append(ward)
        if len(made) % 200 == 0:
            db.session.commit()
    db.session.commit()
    return [(ward.id, ward.issuer_code) for ward in made]


def generate(url: str, wards: int, conferences: int, turns: int, *, seed: int = 14) -> dict:
    """Load the wards and their history into the migrated database at ``url``; return counts.

    Runs in an application context. Keys are handed out here, from 1 past each table's
    largest (every table but the wards' own lists is empty after the migrations).
    """
    import sqlalchemy as sa

    from dialogue.conferences.models import ConferenceStatus
    from dialogue.core.text import fold
    from dialogue.documents.models import DocumentType
    from dialogue.extensions import db
    from dialogue.followup.models import AnswerStatus, ReferralStatus
    from dialogue.live.models import TurnOutcome
    from dialogue.minutes.models import DraftStatus
    from dialogue.wards.models import ProcedureArea

    rng = random.Random(seed)
    now = datetime.now(UTC)
    today = now.date()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    tag = secrets.token_hex(2)
    ward_rows = make_wards(wards, tag)
    timings["wards"] = time.perf_counter() - started

    areas: dict[int, list[tuple[int, str, str]]] = {}
    for ward_id, area_id, code, name in db.session.execute(
        sa.select(
            ProcedureArea.ward_id, ProcedureArea.id, ProcedureArea.code, ProcedureArea.name_vi
        ).order_by(ProcedureArea.ward_id, ProcedureArea.position, ProcedureArea.id)
    ):
        areas.setdefault(ward_id, []).append((area_id, code, name))
    db.session.commit()
    codes = sorted({code for listed in areas.values() for _, code, _ in listed})
    pool = question_pool(rng, codes)
    folded = functools.lru_cache(maxsize=None)(fold)
    from dialogue.archive import search_index as index

    def entry_text(*parts: str) -> str:
        # The module's entry_text, each part folded once per distinct part: a turn's four
        # parts come from short lists, and folding is the load's costliest step otherwise.
        return " ".join(map(folded, parts))

    # The same text as the module's own, checked on a sample before a row is written.
    for sample in (("Công dân tổ dân phố số 3", "Hộ tịch", QUESTIONS[0], SPOKEN_ANSWER),
                   ("Đại biểu", "", "Đường ĐI", "")):  # fmt: skip
        assert entry_text(*sample) == index.entry_text(*sample), sample

    metadata = db.metadata
    raw_url = _psycopg_url(url)
    next_id = dict.fromkeys(TABLES, 1)

    def take(table: str) -> int:
        value = next_id[table]
        next_id[table] = value + 1
        return value

    columns = {
        "residential_groups": ("id", "ward_id", "number", "name", "head_name", "created_dt",
                               "updated_dt"),
        "units": ("id", "ward_id", "name", "created_dt", "updated_dt"),
        "conferences": ("id", "ward_id", "title", "plan_number", "plan_date", "reporting_period",
                        "start_dt", "planned_end_dt", "end_dt", "started_dt", "announced_dt",
                        "venue", "status", "status_changed_dt", "created_dt", "updated_dt"),
        "turns": ("id", "conference_id", "position", "speaker_name", "speaker_group_id",
                  "procedure_area_id", "question", "outcome", "answerer_name", "answer",
                  "referral_unit_id", "referral_due_date", "withdrawn_dt", "withdrawn_reason",
                  "spoken_dt", "created_dt", "updated_dt"),
        "referrals": ("id", "turn_id", "conference_id", "ward_id", "unit_id", "due_date",
                      "status", "answered_on", "is_settled", "search_text", "created_dt",
                      "updated_dt"),
        "written_answers": ("id", "referral_id", "version", "body", "revision", "created_dt",
                            "updated_dt", "status", "letter_number", "letter_date",
                            "body_sha256", "submitted_dt", "published_dt"),
        "minutes_drafts": ("id", "conference_id", "doc_type", "status", "created_dt",
                           "updated_dt"),
        "document_numbers": ("id", "ward_id", "issuer_code", "doc_type", "year", "number",
                             "conference_id", "purpose", "created_dt"),
        "published_documents": ("id", "draft_id", "conference_id", "doc_type", "version",
                                "number_id", "number_label", "public_code", "html", "pdf",
                                "pdf_sha256", "html_sha256", "pdf_size", "title",
                                "published_dt"),
    }  # fmt: skip
    pdf_sha = hashlib.sha256(FAKE_PDF).hexdigest()
    published_status = ConferenceStatus.PUBLISHED.value
    closed_status = ConferenceStatus.CLOSED.value
    answered, referred_outcome = TurnOutcome.ANSWERED.value, TurnOutcome.REFERRED.value
    minutes = DocumentType.MINUTES.value

    # Built once over the rows below, as pg_restore builds indexes after the data, rather than
    # kept up row by row during the load; nothing reads before it is back.
    with db.engine.begin() as connection:
        connection.exec_driver_sql(index.POSTGRESQL_TRGM_DROP)
    with ExitStack() as stack:
        streams = {
            name: Stream(stack, raw_url, metadata.tables[name], columns[name]) for name in TABLES
        }
        streams[SEARCH_TABLE] = Stream(
            stack, raw_url, metadata.tables[SEARCH_TABLE], SEARCH_COLUMNS
        )
        put = {name: stream.write for name, stream in streams.items()}
        for ward_number, (ward_id, issuer) in enumerate(ward_rows, start=1):
            stamp = now
            groups = []
            for number in range(1, rng.randint(12, 25) + 1):
                ident = take("residential_groups")
                name = f"Tổ dân phố số {number}"
                # As the minutes name a resident when the ward does not print names.
                groups.append((ident, f"Công dân tổ dân phố số {number}"))
                put["residential_groups"]((ident, ward_id, number, name, _name(rng), stamp, stamp))
            units = []
            for name in UNIT_NAMES:
                units.append(ident := take("units"))
                put["units"]((ident, ward_id, name, stamp, stamp))
            ward_areas = areas.get(ward_id) or [(None, "KHAC", "")]
            # Most questions fall in a few areas (land, civil status, social policy).
            weights = [8 if i < 3 else 3 if i < 8 else 1 for i in range(len(ward_areas))]
            numbers_by_year: dict[int, int] = {}
            for k, day in enumerate(_conference_days(rng, conferences, today)):
                start = datetime(day.year, day.month, day.day, 1, 30, tzinfo=UTC)
                end = start + timedelta(hours=3)
                published = (today - day).days > 20 and rng.random() < 0.93
                conference_id = take("conferences")
                put["conferences"](
                    (
                        conference_id,
                        ward_id,
                        "Hội nghị đối thoại giữa Chủ tịch UBND với Nhân dân về cải cách thủ tục "
                        f"hành chính, kỳ {k + 1}",
                        f"{rng.randint(10, 199)}/KH-UBND",
                        day - timedelta(days=30),
                        f"6 tháng {'đầu' if day.month <= 6 else 'cuối'} năm {day.year}",
                        start,
                        end,
                        end,
                        start,
                        start - timedelta(days=rng.randint(7, 14)),
                        "Hội trường UBND",
                        published_status if published else closed_status,
                        end + timedelta(days=5 if published else 0),
                        start - timedelta(days=30),
                        end + timedelta(days=5),
                    )
                )
                drawn_areas = rng.choices(ward_areas, weights, k=turns)
                for position, (area_id, code, area_name) in enumerate(drawn_areas, start=1):
                    turn_id = take("turns")
                    question = rng.choice(pool[code])
                    referred = rng.random() < 0.3
                    unit = rng.choice(units)
                    due = day + timedelta(days=10)
                    spoken = start + timedelta(minutes=2.5 * position)
                    withdrawn = not referred and rng.random() < 0.01
                    group_id, shown = rng.choice(groups)
                    answer = REFERRED_ANSWER if referred else rng.choice(SPOKEN_ANSWERS)
                    put["turns"](
                        (
                            turn_id,
                            conference_id,
                            position,
                            _name(rng),
                            group_id,
                            area_id,
                            question,
                            referred_outcome if referred else answered,
                            "Chủ tịch UBND",
                            answer,
                            unit if referred else None,
                            due if referred else None,
                            spoken + timedelta(minutes=1) if withdrawn else None,
                            "Trùng lượt trước." if withdrawn else "",
                            spoken,
                            spoken,
                            spoken,
                        )
                    )
                    if published and not withdrawn:
                        put[SEARCH_TABLE](
                            (
                                turn_id,
                                ward_id,
                                conference_id,
                                start,
                                position,
                                entry_text(shown, area_name, question, answer),
                            )
                        )
                    if referred:
                        _referral(
                            put, take, rng, turn_id, conference_id, ward_id, unit, due, end,
                            today, folded(question), day, ReferralStatus, AnswerStatus,
                        )  # fmt: skip
                if published:
                    number = numbers_by_year[day.year] = numbers_by_year.get(day.year, 0) + 1
                    draft_id = take("minutes_drafts")
                    moment = end + timedelta(days=5)
                    put["minutes_drafts"](
                        (draft_id, conference_id, minutes, DraftStatus.PUBLISHED.value, end, moment)
                    )
                    number_id = take("document_numbers")
                    put["document_numbers"](
                        (number_id, ward_id, issuer, minutes, day.year, number, conference_id, "",
                         moment)
                    )  # fmt: skip
                    html = f"<article>Biên bản hội nghị {conference_id}</article>"
                    put["published_documents"](
                        (
                            take("published_documents"),
                            draft_id,
                            conference_id,
                            minutes,
                            1,
                            number_id,
                            f"{number:02d}/BB-{issuer}",
                            secrets.token_urlsafe(6),
                            html,
                            FAKE_PDF,
                            pdf_sha,
                            hashlib.sha256(html.encode()).hexdigest(),
                            len(FAKE_PDF),
                            f"Biên bản hội nghị đối thoại, kỳ {number}",
                            moment,
                        )
                    )
            if ward_number % 300 == 0:
                done = time.perf_counter() - started - timings["wards"]
                print(
                    f"  {ward_number} wards, {streams['turns'].count:,} turns, {done:.0f} s",
                    flush=True,
                )
        generated = time.perf_counter() - started
        counts = {name: stream.count for name, stream in streams.items()}
    # Leaving the ExitStack ends each COPY and commits its connection.
    timings["rows"] = generated - timings["wards"]
    timings["copy_end"] = time.perf_counter() - started - generated
    mark = time.perf_counter()
    with db.engine.begin() as connection:
        connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '1GB'")
        connection.exec_driver_sql(index.POSTGRESQL_TRGM)
    timings["trigram_index"] = time.perf_counter() - mark
    mark = time.perf_counter()
    _after_load(db, [ward_id for ward_id, _ in ward_rows])
    timings["vacuum_analyze"] = time.perf_counter() - mark
    counts["wards"] = wards
    return {
        "counts": counts,
        "load_seconds": {key: round(value, 1) for key, value in timings.items()},
    }


def _referral(put, take, rng, turn_id, conference_id, ward_id, unit, due, end, today,
              search_text, day, ReferralStatus, AnswerStatus) -> None:  # fmt: skip
    """A referred turn's referral and, once answered or being answered, its written answer."""
    referral_id = take("referrals")
    answered_on, status = _referral_outcome(rng, due, today)
    put["referrals"](
        (
            referral_id,
            turn_id,
            conference_id,
            ward_id,
            unit,
            due,
            status.value,
            answered_on,
            status is not ReferralStatus.REFERRED,
            search_text,
            end,
            datetime.combine(answered_on or day, datetime.min.time(), UTC),
        )
    )
    if status is ReferralStatus.REFERRED:
        return
    written = end + timedelta(days=2)
    if status is ReferralStatus.ANSWERED:
        moment = datetime.combine(answered_on, datetime.min.time(), UTC)
        row = (AnswerStatus.PUBLISHED.value, f"{rng.randint(10, 999)}/UBND-VP", answered_on,
               WRITTEN_SHA256, moment - timedelta(days=1), moment)  # fmt: skip
    elif status is ReferralStatus.AWAITING_APPROVAL:
        row = (AnswerStatus.SUBMITTED.value, "", None, "", end + timedelta(days=3), None)
    else:
        row = (AnswerStatus.DRAFT.value, "", None, "", None, None)
    put["written_answers"](
        (take("written_answers"), referral_id, 1, WRITTEN_ANSWER, 1, written, written, *row)
    )


# The search index's columns (``search_index`` docstring), in the order given here.
SEARCH_COLUMNS = ("turn_id", "ward_id", "conference_id", "conference_start_dt", "position", "text")


def _after_load(db, ward_ids: list[int]) -> None:
    """Raise the wards' versions once, move the sequences, vacuum and analyse the tables."""
    import sqlalchemy as sa

    from bench.city_scale import _after_load as move_sequences_and_analyze

    with db.engine.begin() as connection:
        # The triggers did not fire for the copied rows: raise each ward's version as they
        # would have, so that nothing prepared before the load is served after it.
        connection.execute(
            sa.text(
                "INSERT INTO ward_versions (ward_id, version) SELECT id, 1 FROM wards "
                "ON CONFLICT (ward_id) DO UPDATE SET version = ward_versions.version + 1"
            )
        )
    move_sequences_and_analyze(db)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        # A live database's autovacuum sets the visibility map that index-only scans need.
        for name in (*TABLES, SEARCH_TABLE):
            connection.exec_driver_sql(f"VACUUM (ANALYZE) {name}")


# -- a database of its own -----------------------------------------------------------------------


@contextmanager
def scratch_database(database_url: str, *, keep: bool, prefix: str = "national"):
    """Yield the address of a new PostgreSQL database beside ``database_url``'s; drop it after."""
    with postgres_scratch(database_url, prefix, keep=keep) as url:
        yield url


def app_for(database_url: str):
    os.environ.update(app_environment(database_url))
    from dialogue import create_app

    return create_app()


def load(database_url: str, wards: int, conferences: int, turns: int) -> dict:
    """Migrate the empty database at ``database_url`` and load the nation into it."""
    from flask_migrate import upgrade

    app = app_for(database_url)
    with app.app_context():
        started = time.perf_counter()
        upgrade()
        migrated = time.perf_counter() - started
        result = generate(database_url, wards, conferences, turns)
        result["load_seconds"]["migrations"] = round(migrated, 1)
        result["load_seconds"]["total"] = round(time.perf_counter() - started, 1)
        result["search_entries_checked"] = check_search_entries()
        result["sizes"] = table_sizes(database_url)
    return result


def check_search_entries(wards: int = 3) -> dict:
    """Compare the copied search rows of a few wards with what the application writes for them.

    Each ward's rows are rebuilt by ``search_index.rebuild`` in a transaction rolled back
    afterwards; the loaded rows must be the same, text included.
    """
    import sqlalchemy as sa

    from dialogue.archive import search_index
    from dialogue.extensions import db

    table = search_index.SearchEntry.__table__

    def rows(ward_id: int) -> set[tuple]:
        return set(db.session.execute(sa.select(table).where(table.c.ward_id == ward_id)).all())

    ward_ids = db.session.scalars(sa.select(table.c.ward_id).distinct()).all()
    checked = {}
    for ward_id in random.Random(1).sample(ward_ids, min(wards, len(ward_ids))):
        loaded = rows(ward_id)
        search_index.rebuild(ward_id)
        checked[ward_id] = {"rows": len(loaded), "same": loaded == rows(ward_id)}
        db.session.rollback()
    return checked


def table_sizes(database_url: str) -> dict:
    """The database's size and its largest tables' (with their indexes), in MB."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        total = connection.scalar(sa.text("SELECT pg_database_size(current_database())"))
        rows = connection.execute(
            sa.text(
                "SELECT relname, pg_table_size(oid), pg_indexes_size(oid) FROM pg_class "
                "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace "
                "ORDER BY pg_total_relation_size(oid) DESC LIMIT 8"
            )
        ).all()
    engine.dispose()
    mb = 1024 * 1024
    return {
        "database_mb": round(total / mb),
        "tables_mb": {
            name: [round(data / mb), round(indexes / mb)] for name, data, indexes in rows
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wards", type=int, default=3_300)
    parser.add_argument("--conferences", type=int, default=20, help="per ward")
    parser.add_argument("--turns", type=int, default=60, help="per conference")
    parser.add_argument(
        "--database-url",
        required=True,
        help="a PostgreSQL database to connect to; the load goes into a new one beside it",
    )
    parser.add_argument("--keep", action="store_true", help="keep the loaded database")
    args = parser.parse_args()
    with scratch_database(args.database_url, keep=args.keep) as url:
        result = load(url, args.wards, args.conferences, args.turns)
    print(f"counts: {result['counts']}")
    print(f"seconds: {result['load_seconds']}")
    print(f"sizes (data, indexes MB): {result['sizes']}")
    if "search_entries_checked" in result:
        print(f"search rows as the application writes them: {result['search_entries_checked']}")


if __name__ == "__main__":
    main()
