"""The public search through ``search_entries``: the same results as the rule it replaced.

The rule is kept here as it was (every published turn of the ward read and checked in Python):
on a shared corpus, the index must give exactly its turns, its order and its totals, on SQLite
(FTS5, or LIKE without it) and on PostgreSQL (trigrams and a regular expression).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from dialogue import create_app
from dialogue.archive import operations, search_index
from dialogue.archive.search_index import SearchEntry
from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.core.text import fold
from dialogue.documents.models import DocumentType
from dialogue.extensions import db
from dialogue.live.models import Turn, TurnOutcome
from dialogue.minutes.models import PublishedDocument
from dialogue.wards import operations as ward_operations
from dialogue.wards.models import ResidentialGroup, Ward
from tests.test_archive import add_turn, page_text, publish

START = datetime(2024, 3, 15, 1, 0, tzinfo=UTC)
HIDDEN = "Phạm Thị Riêng Tư"
PDF = b"%PDF-1.7 search index test"


# -- the rule the index replaces, as it was --------------------------------------------------


def _old_visible_text(turn: Turn) -> str:
    area = turn.procedure_area
    parts = (turn.document_speaker, area.name_vi if area else "", turn.question, turn.answer)
    return " ".join(fold(part) for part in parts)


def _old_has_word_starting(text: str, word: str) -> bool:
    return re.search(r"(?<![^\W_])" + re.escape(word), text) is not None


def old_search_ids(ward, query: str) -> list[int]:
    """Every matching turn id, in order, as ``search_turns`` found them before the index."""
    words = operations.query_words(query[: operations.QUERY_MAX_CHARS])
    stmt = (
        sa.select(Turn)
        .join(Turn.conference)
        .where(
            Conference.ward_id == ward.id,
            Conference.id.in_(sa.select(PublishedDocument.conference_id)),
            Turn.withdrawn_dt.is_(None),
        )
        .order_by(Conference.start_dt.desc(), Conference.id.desc(), Turn.position, Turn.id)
    )
    return [
        turn.id
        for turn in db.session.scalars(stmt)
        if all(_old_has_word_starting(_old_visible_text(turn), word) for word in words)
    ]


def assert_same_results(ward, query: str) -> list[int]:
    """Every page of the indexed search is the old rule's, with its total; return the ids."""
    expected = old_search_ids(ward, query)
    per_page = operations.SEARCH_PER_PAGE
    pages = max(1, -(-len(expected) // per_page))
    for page in range(1, pages + 2):
        results = operations.search_turns(ward, query, page=page)
        assert results.page.total == len(expected), query
        got = [hit.turn.id for hit in results.page.items]
        assert got == expected[(page - 1) * per_page : page * per_page], (query, page)
    return expected


def fts_in_step() -> None:
    """On SQLite, FTS5 checks its index against search_entries (an error if they differ)."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite" and search_index.has_fts(connection):
        connection.exec_driver_sql(
            "INSERT INTO search_entries_fts(search_entries_fts) VALUES ('integrity-check')"
        )


# -- the corpus ------------------------------------------------------------------------------


def conference(make_conference, ward, start, title, *, status=ConferenceStatus.CLOSED):
    return make_conference(
        ward=ward,
        title=title,
        start_dt=start,
        planned_end_dt=start + timedelta(hours=3),
        status=status,
        announced_dt=start - timedelta(days=10),
    )


def area(ward, code: str):
    return next(a for a in ward.procedure_areas if a.code == code)


QUESTIONS = [
    "Đề nghị đơn giản hóa thủ tục đăng ký khai sinh cho trẻ em ở khu Đức Thắng.",
    "Hồ sơ cấp giấy chứng nhận quyền sử dụng đất chậm, đã quá hạn 15 ngày.",
    "Theo Nghị định số 45/2020/NĐ-CP, thủ tục trực tuyến được giảm 50% lệ phí phải không?",
    "Đường ngõ 12 tổ dân phố số 9 ngập nước mỗi khi mưa; đề nghị phường nạo vét cống.",
    "Vì sao hồ sơ xin phép xây dựng nhà ở riêng lẻ phải nộp bản sao có chứng thực?",
    "Hỏi về chế độ trợ cấp cho người có công (thương binh hạng 1/4) – thủ tục ra sao?",
    "THỦ TỤC ĐĂNG KÝ KẾT HÔN CÓ YẾU TỐ NƯỚC NGOÀI MẤT BAO LÂU?",
    "Email phản ánh gửi tới ubnd_phuong@hanoi.gov.vn không được trả lời.",
    'Người dân hỏi: "chứng thực bản sao" có cần mang bản chính không?',
    "Hộ kinh doanh ở chợ Đồng Xa muốn biết mức thuế khoán năm 2024.",
    "Tiếng ồn từ xưởng cơ khí C++ Tech gây ảnh hưởng đến khu dân cư.",
    "Thu\u0309 tu\u0323c cấp đổi giấy phép lái xe (văn bản gõ theo kiểu tổ hợp dấu).",
    "Ông Bjørn Ødegård, kiều bào, hỏi thủ tục nhập hộ khẩu cho con.",
    "Diện tích 120m² có được tách thửa không? Lệ phí ½ hay toàn phần?",
    "Học sinh lớp 1 thiếu chỗ học bán trú — đề nghị xây thêm phòng.",
    "Rác thải sinh hoạt ở ngõ 3/7 tồn đọng nhiều ngày; AND OR NEAR -x *y :z",
    "Câu hỏi ngắn: đ",
    "Hỏi về dịch vụ công trực tuyến mức độ 4 (DVC-4) trên Cổng dịch vụ công quốc gia.",
]
ANSWERS = [
    "Phường đã rút ngắn thời gian giải quyết thủ tục xuống còn 1 ngày.",
    "Bộ phận Một cửa sẽ kiểm tra và trả lời bằng văn bản trong 10 ngày.",
    "",
    "Đồng ý, phường sẽ bố trí kinh phí nạo vét trong quý II.",
    "Theo quy định, bản sao không cần chứng thực nếu xuất trình bản chính để đối chiếu.",
]


@pytest.fixture
def corpus(app, make_conference, ward, other_ward):
    """Published conferences of two wards, an unpublished one, every kind of speaker and turn."""
    ward.names_speakers_in_documents = False
    group = ResidentialGroup(ward=ward, number=9, name="Tổ dân phố số 9")
    other_group = ResidentialGroup(ward=ward, number=12, name="Tổ dân phố Đông Xá")
    db.session.add_all([group, other_group])
    db.session.commit()
    c2024 = conference(make_conference, ward, START, "Hội nghị đối thoại quý I năm 2024")
    c2023 = conference(make_conference, ward, START - timedelta(days=300), "Hội nghị năm 2023")
    # The same start as c2024: the later id comes first.
    twin = conference(make_conference, ward, START, "Hội nghị đối thoại bổ sung")
    draft = conference(make_conference, ward, START + timedelta(days=60), "Chưa công bố")
    elsewhere = conference(make_conference, other_ward, START, "Hội nghị phường khác")
    codes = ["HT", "DD", "CTH", "XD", "NCC", "HKD", "MT", "GDDT", "BTXH"]
    speakers = [
        {"speaker_name": HIDDEN, "speaker_group": group},
        {"speaker_organisation": "Công ty TNHH Đức Thành"},
        {"speaker_name": "Nguyễn Văn Đông"},
        {"speaker_name": "Lê Thị Hoa", "speaker_group": other_group},
        {},
    ]
    turns = []
    for n in range(60):
        target = (c2024, c2023, twin)[n % 3]
        turns.append(
            add_turn(
                target,
                f"{QUESTIONS[n % len(QUESTIONS)]} (ý kiến {n})",
                position=n // 3 + 1,
                area=area(ward, codes[n % len(codes)]) if n % 7 else None,
                outcome=TurnOutcome.ANSWERED if ANSWERS[n % len(ANSWERS)] else TurnOutcome.PENDING,
                answer=ANSWERS[n % len(ANSWERS)],
                withdrawn_dt=START + timedelta(hours=1) if n % 11 == 5 else None,
                **speakers[n % len(speakers)],
            )
        )
    add_turn(draft, "Thủ tục của hội nghị chưa công bố: đất đai.", position=1)
    add_turn(elsewhere, "Thủ tục đất đai của phường khác.", position=1, area=area(other_ward, "DD"))
    for target in (c2024, c2023, twin, elsewhere):
        publish(target, pdf=PDF)
    return {"c2024": c2024, "c2023": c2023, "twin": twin, "draft": draft, "turns": turns}


QUERIES = [
    "thu tuc",
    "thủ tục",
    "THỦ TỤC",
    "đất",
    "dat dai",
    "duc",
    "Đức",
    "ho",
    "hu tuc",
    "ho tich",
    "chung thuc ban sao",
    "dai bieu",
    "cong dan to dan pho so 9",
    "to dan pho dong xa",
    "dai dien cong ty",
    "rieng tu",
    "pham thi",
    "nguyen van dong",
    "45/2020/nd-cp",
    "nd-cp",
    "2020/nđ",
    "50%",
    "%",
    "_",
    "50_",
    "ubnd_phuong",
    "phuong@hanoi",
    "c++",
    "++",
    '"chung thuc',
    '"',
    "*",
    "thu*",
    "near",
    "AND OR",
    "-x",
    ":z",
    "a:b",
    "3/7",
    "1/4",
    "½",
    "m²",
    "120m",
    "bjørn",
    "ødegård",
    "odegard",
    "—",
    "– thu",
    "y kien 1",
    "y kien 59",
    "(y",
    "đ",
    "d",
    "ơơ",
    "thu\u0309",
    "\u0300\u0301 thu",
    "ngõ 12",
    "quy ii",
    "x" * 300,
    "thu " * 120,
    "ngày.",
    "?",
    "dvc-4",
]


@pytest.mark.parametrize("full_text_from", [0, search_index.FULL_TEXT_FROM_WARD_ROWS])
def test_indexed_search_gives_the_old_rules_results(
    corpus, ward, other_ward, monkeypatch, full_text_from
):
    # On SQLite: through the full-text table (a ward with many turns) and through the ward's
    # own rows (the corpus's small wards).
    monkeypatch.setattr(search_index, "FULL_TEXT_FROM_WARD_ROWS", full_text_from)
    found_something = 0
    for query in QUERIES:
        if assert_same_results(ward, query):
            found_something += 1
        assert_same_results(other_ward, query)
    # The corpus is not empty for the search: most queries find turns, over several pages.
    assert found_something > 40
    assert len(old_search_ids(ward, "thu tuc")) > operations.SEARCH_PER_PAGE
    fts_in_step()


def test_entries_hold_the_visible_text_of_public_turns_only(corpus, ward):
    entries = {e.turn_id: e for e in db.session.scalars(sa.select(SearchEntry))}
    public = db.session.scalars(
        sa.select(Turn).where(
            Turn.withdrawn_dt.is_(None),
            Turn.conference_id.in_(sa.select(PublishedDocument.conference_id)),
        )
    ).all()
    assert set(entries) == {turn.id for turn in public}
    for turn in public:
        entry = entries[turn.id]
        assert entry.text == _old_visible_text(turn)
        assert entry.ward_id == turn.conference.ward_id
        assert entry.conference_start_dt == turn.conference.start_dt
        assert entry.position == turn.position
    # A hidden name is nowhere in the table.
    assert not any(fold(HIDDEN) in entry.text for entry in entries.values())
    assert search_index.entry_text("Đại biểu", "", "Đường đất", "") == "dai bieu  duong dat "


def test_the_index_follows_publication_correction_and_withdrawal(corpus, ward):
    draft = corpus["draft"]
    assert assert_same_results(ward, "chua cong bo") == []
    publish(draft, pdf=PDF)
    found = assert_same_results(ward, "chua cong bo")
    assert len(found) == 1

    # A turn corrected after publication, then its document's next version.
    turn = db.session.get(Turn, found[0])
    turn.question = "Thủ tục đổi tên đường Ngọc Thụy đã được sửa trong bản đính chính."
    db.session.commit()
    assert assert_same_results(ward, "chua cong bo") == []
    assert assert_same_results(ward, "ngoc thuy") == [turn.id]
    publish(draft, reason="Sửa nội dung câu hỏi.", pdf=PDF + b" v2")
    assert assert_same_results(ward, "ngoc thuy") == [turn.id]

    # Withdrawn, then restored.
    turn.withdrawn_dt = START + timedelta(days=70)
    db.session.commit()
    assert assert_same_results(ward, "ngoc thuy") == []
    turn.withdrawn_dt = None
    db.session.commit()
    assert assert_same_results(ward, "ngoc thuy") == [turn.id]

    # A turn added to a published conference, and a conference moved in time.
    added = add_turn(draft, "Câu hỏi bổ sung về Ngọc Thụy.", position=2)
    assert assert_same_results(ward, "ngoc thuy") == [turn.id, added.id]
    c2023 = corpus["c2023"]
    before = assert_same_results(ward, "thu tuc")
    c2023.start_dt = START + timedelta(days=365)
    c2023.planned_end_dt = c2023.start_dt + timedelta(hours=3)
    db.session.commit()
    after = assert_same_results(ward, "thu tuc")
    assert after != before and sorted(after) == sorted(before)
    fts_in_step()


def test_the_index_follows_areas_groups_and_the_wards_choice(corpus, ward):
    land = area(ward, "DD")
    assert assert_same_results(ward, "dat dai")
    assert assert_same_results(ward, "dia chinh dat") == []
    ward_operations.update_procedure_area(land, code="DD", name_vi="Địa chính đất đai")
    db.session.commit()
    renamed = assert_same_results(ward, "dia chinh dat")
    assert renamed

    group = db.session.scalar(sa.select(ResidentialGroup).filter_by(ward_id=ward.id, number=9))
    assert assert_same_results(ward, "to dan pho so 9")
    ward_operations.update_residential_group(group, number=9, name="Tổ dân phố Trạm Bạc")
    db.session.commit()
    assert assert_same_results(ward, "tram bac")
    ward_operations.delete_residential_group(group)
    db.session.commit()
    assert assert_same_results(ward, "tram bac") == []

    named = db.session.scalars(
        sa.select(Turn.id).where(
            Turn.speaker_name == HIDDEN,
            Turn.withdrawn_dt.is_(None),
            Turn.conference_id.in_(sa.select(PublishedDocument.conference_id)),
        )
    ).all()
    assert named
    assert assert_same_results(ward, "pham rieng") == []
    ward.names_speakers_in_documents = True
    db.session.commit()
    assert sorted(assert_same_results(ward, "pham rieng")) == sorted(named)
    ward.names_speakers_in_documents = False
    db.session.commit()
    assert assert_same_results(ward, "pham rieng") == []
    for query in QUERIES:
        assert_same_results(ward, query)
    fts_in_step()


def test_rebuild_restores_the_rows(corpus, ward, other_ward, runner):
    expected = {query: old_search_ids(ward, query) for query in QUERIES[:20]}
    db.session.execute(sa.delete(SearchEntry))
    db.session.commit()
    assert operations.search_turns(ward, "thu tuc").page.total == 0
    result = runner.invoke(args=["dialogue", "rebuild-search", "--ward", ward.slug])
    assert result.exit_code == 0, result.output
    assert "Search rebuilt" in result.output
    for query, ids in expected.items():
        assert assert_same_results(ward, query) == ids
    # The other ward was not rebuilt; all of them are without --ward.
    assert operations.search_turns(other_ward, "dat dai").page.total == 0
    assert runner.invoke(args=["dialogue", "rebuild-search"]).exit_code == 0
    assert operations.search_turns(other_ward, "dat dai").page.total == 1
    result = runner.invoke(args=["dialogue", "rebuild-search", "--ward", "no-such-ward"])
    assert result.exit_code != 0
    fts_in_step()


BAD_QUERIES = [
    "x" * 10_000,
    "thu " * 2_500,
    "!!!...,,,;;;",
    "%%",
    "__",
    "%_%_\\",
    "\\\\",
    '""',
    '"thu" AND "tuc"',
    "thu* OR tuc*",
    "NEAR(thu tuc, 2)",
    "-thu",
    "text:thu",
    "^thu",
    "'; DROP TABLE search_entries; --",
    "\u0300\u0301",
    "\u0300\u0301\u0309\u0323",
    "ơơ",
    "\x00thu",
    "thu\x01tuc",
    "\x7f\x9f\u202e thu",
    "thu\x00",
    "\ud800thu",
    "(?<=x)",
    "[[:alnum:]]",
    "a" * 199 + "\\",
    "\ue000abc",
    "🙂 thu",
    "ab" * 100,
]


def test_bad_input_never_raises_and_keeps_the_old_results(corpus, ward, client):
    for query in BAD_QUERIES:
        assert_same_results(ward, query)
        if "\ud800" in query:
            continue  # no address can carry a lone surrogate
        response = client.get(f"/p/{ward.slug}/tim-kiem", query_string={"q": query})
        assert response.status_code == 200, query
    # Too short, or nothing left once folded: today's message, no search.
    for query in ("\u0300\u0301", "a", ".", " đ "):
        response = client.get(f"/p/{ward.slug}/tim-kiem", query_string={"q": query})
        assert "Type at least two letters to search." in page_text(response), query
    response = client.get(f"/p/{ward.slug}/tim-kiem", query_string={"q": "x" * 10_000})
    assert "Turns found: 0" in page_text(response)
    response = client.get(f"/p/{ward.slug}/tim-kiem", query_string={"q": "thu tuc", "page": 2})
    assert response.status_code == 200
    assert "<mark>" in response.get_data(as_text=True)


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def without_fts(app, is_postgres):
    """The SQLite database as a build without FTS5 would leave it; put back afterwards."""
    if is_postgres:
        pytest.skip("FTS5 is SQLite's")
    with db.engine.begin() as connection:
        for statement in search_index.SQLITE_FTS_DROP:
            connection.exec_driver_sql(statement)
    yield
    db.session.remove()
    with db.engine.begin() as connection:
        search_index.create_outside_metadata(connection)
        connection.exec_driver_sql(
            "INSERT INTO search_entries_fts(search_entries_fts) VALUES ('rebuild')"
        )


def test_without_fts5_the_search_falls_back_to_like(corpus, ward, without_fts):
    assert not search_index.has_fts(db.session.connection())
    for query in QUERIES + BAD_QUERIES:
        assert_same_results(ward, query)


def _sql(connection, words, ward) -> str:
    stmt = sa.select(SearchEntry.turn_id).where(*search_index._conditions(ward.id, words))
    return str(stmt.compile(connection, compile_kwargs={"literal_binds": True}))


def test_the_database_narrows_by_its_index(corpus, ward, is_postgres, monkeypatch):
    connection = db.session.connection()
    if is_postgres:
        definition = connection.exec_driver_sql(
            "SELECT indexdef FROM pg_indexes WHERE indexname = %s", (search_index.TRGM_INDEX,)
        ).scalar_one()
        assert "gin (ward_id, text gin_trgm_ops)" in definition
        # The corpus is small enough for a sequential scan: the plan must be able to do without.
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        sql = _sql(connection, ["thu", "tuc"], ward)
        assert "search_entries.text LIKE" in sql
        plan = "\n".join(connection.exec_driver_sql(f"EXPLAIN {sql}").scalars())
        assert "ix_search_entries" in plan
        # Two letters give no trigram: only the ward's rows are checked, never the whole index.
        assert "search_entries.text LIKE" not in _sql(connection, ["ho"], ward)
    else:
        # A ward of a few thousand turns is read through its own rows: the full-text table
        # holds every ward's.
        assert "search_entries_fts" not in _sql(connection, ["thu", "tuc"], ward)
        monkeypatch.setattr(search_index, "FULL_TEXT_FROM_WARD_ROWS", 0)
        sql = _sql(connection, ["thu", "tuc"], ward)
        plan = " ".join(
            str(row[-1]) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
        )
        assert "VIRTUAL TABLE INDEX" in plan, plan
        # A short prefix would match most of the full-text table, every ward's.
        assert "search_entries_fts" not in _sql(connection, ["ho"], ward)


def test_the_regular_expression_agrees_with_python_on_every_character(is_postgres, app):
    """On PostgreSQL, "starts a word" is Python's rule for every character before the word."""
    if not is_postgres:
        pytest.skip("PostgreSQL's regular expressions")
    pattern = search_index.postgresql_word_pattern("ab")
    # Every character but NUL and the surrogates, in front of "ab", a few thousand at a time.
    codes = [c for c in range(1, 0x110000) if not 0xD800 <= c <= 0xDFFF]
    disagree = []
    for start in range(0, len(codes), 50_000):
        chunk = codes[start : start + 50_000]
        matched = set(
            db.session.execute(
                sa.text(
                    "SELECT c FROM unnest(CAST(:codes AS integer[])) AS c "
                    "WHERE chr(c) || 'ab' ~ :pattern"
                ),
                {"codes": chunk, "pattern": pattern},
            ).scalars()
        )
        disagree += [
            c for c in chunk if (c in matched) != _old_has_word_starting(chr(c) + "ab", "ab")
        ]
    assert disagree == []


@pytest.fixture
def migration_app(app_config, empty_database_url):
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_the_migration_fills_the_table_from_existing_turns(migration_app):
    from dialogue.wards.operations import create_ward

    upgrade()
    ward = create_ward(name="Thạch Bàn", slug="thach-ban", place_name="Thạch Bàn")
    group = ResidentialGroup(ward=ward, number=9, name="Tổ dân phố số 9")
    published = Conference(
        ward=ward,
        title="Hội nghị đã công bố",
        start_dt=START,
        planned_end_dt=START + timedelta(hours=3),
        venue="Hội trường",
        status=ConferenceStatus.CLOSED,
    )
    hidden = Conference(
        ward=ward,
        title="Hội nghị chưa công bố",
        start_dt=START,
        planned_end_dt=START + timedelta(hours=3),
        venue="Hội trường",
        status=ConferenceStatus.CLOSED,
    )
    db.session.add_all([group, published, hidden])
    db.session.commit()
    for n, question in enumerate(QUESTIONS):
        add_turn(
            published,
            question,
            position=n + 1,
            area=area(ward, "DD") if n % 2 else None,
            speaker_name=HIDDEN,
            speaker_group=group if n % 3 else None,
            speaker_organisation="Hợp tác xã Đông Dư" if n % 4 == 1 else "",
            answer=ANSWERS[n % len(ANSWERS)],
            withdrawn_dt=START if n == 4 else None,
        )
    add_turn(hidden, "Thủ tục chưa công bố", position=1)
    publish(published, DocumentType.MINUTES, pdf=PDF)
    made_by_the_application = {
        (e.turn_id, e.text, e.position) for e in db.session.scalars(sa.select(SearchEntry))
    }
    assert len(made_by_the_application) == len(QUESTIONS) - 1
    db.session.commit()
    db.session.remove()
    downgrade(revision="f9a9f0090009")
    upgrade()
    filled = {(e.turn_id, e.text, e.position) for e in db.session.scalars(sa.select(SearchEntry))}
    ward = db.session.scalar(sa.select(Ward).filter_by(slug="thach-ban"))
    assert filled == made_by_the_application
    assert old_search_ids(ward, "dat dai") == assert_same_results(ward, "dat dai") != []
    fts_in_step()


def test_a_live_sessions_saves_leave_the_index_alone_until_publication(app, make_conference, ward):
    live = conference(make_conference, ward, START, "Đang họp", status=ConferenceStatus.IN_PROGRESS)
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        turn = add_turn(live, "Hỏi về thủ tục khai sinh trực tuyến", position=1)
        turn.answer = "Phường hướng dẫn nộp trên Cổng dịch vụ công."
        db.session.commit()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert statements, "the saves were written"
    assert not [s for s in statements if "search_entries" in s]

    live.status = ConferenceStatus.CLOSED
    db.session.commit()
    assert operations.search_turns(ward, "khai sinh").page.total == 0
    publish(live)
    assert [hit.turn.id for hit in operations.search_turns(ward, "khai sinh").page.items] == [
        turn.id
    ]
