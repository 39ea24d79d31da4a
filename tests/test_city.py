"""The city's view: a province's wards compared, read by its officers and by no one else's."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from dialogue import create_app
from dialogue.attendance.models import AttendanceStatus, AttendanceTally, Attendee
from dialogue.auth.models import Role, User
from dialogue.city.comparison import compare_wards
from dialogue.city.models import Province
from dialogue.city.operations import (
    assign_province,
    create_province,
    get_or_create_province,
    rename_province,
)
from dialogue.conferences.models import ConferenceStatus
from dialogue.dossier import operations as dossier_operations
from dialogue.dossier.figures import Counts
from dialogue.errors import ValidationFailed
from dialogue.extensions import db
from dialogue.feedback.models import ResponseSource, SurveyElement, SurveyResponse
from dialogue.live.models import Turn, TurnOutcome
from dialogue.stats.figures import ward_figures, year_period
from dialogue.wards.models import ResidentialGroup, Unit
from tests.conftest import PASSWORD

# The morning of 31 December 2024 in Hà Nội.
NOW = datetime(2024, 12, 31, 2, 0, tzinfo=UTC)
TODAY = date(2024, 12, 31)


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def data(ward, other_ward, make_ward, make_conference):
    """Hà Nội: Thạch Bàn (two conferences in 2024), Phúc Lợi (one), Cự Khối (none); Bắc Ninh:
    one ward whose figures must never show."""
    hanoi = get_or_create_province("Thành phố Hà Nội")
    idle = make_ward(name="Cự Khối", slug="cu-khoi", place_name="Cự Khối")
    elsewhere = make_ward(name="Kinh Bắc", slug="kinh-bac", province="Tỉnh Bắc Ninh")
    for each in (ward, other_ward, idle):
        assign_province(each, hanoi)
    bac_ninh = get_or_create_province("Tỉnh Bắc Ninh")
    assign_province(elsewhere, bac_ninh)

    def unit_of(place):
        unit = Unit(ward=place, name=f"Công chức {place.name}")
        db.session.add(unit)
        return unit

    units = {place.id: unit_of(place) for place in (ward, other_ward, elsewhere)}

    def turn(conference, outcome, due=None, withdrawn=False, question="Hỏi về thủ tục"):
        item = Turn(
            conference=conference,
            question=question,
            speaker_name="Nguyễn Văn Riêng",
            outcome=outcome,
            referral_unit=units[conference.ward_id] if outcome is TurnOutcome.REFERRED else None,
            referral_due_date=due,
            withdrawn_dt=_utc(2024, 3, 10, 3) if withdrawn else None,
        )
        db.session.add(item)
        return item

    def present(conference, number, status=AttendanceStatus.PRESENT):
        db.session.add_all(
            Attendee(conference=conference, full_name="Người dự", status=status, is_invited=True)
            for _ in range(number)
        )

    answered, referred, pending = TurnOutcome.ANSWERED, TurnOutcome.REFERRED, TurnOutcome.PENDING
    closed = ConferenceStatus.CLOSED

    # Thạch Bàn, first: recorded afterwards from paper, its results posted 5 days late.
    a1 = make_conference(
        ward=ward,
        status=closed,
        start_dt=_utc(2024, 3, 10, 2),
        title="Thạch Bàn, quý I",
        recorded_dt=_utc(2024, 4, 1, 2),
        results_posted_on=date(2024, 3, 25),
    )
    present(a1, 3)
    present(a1, 1, AttendanceStatus.EXCUSED)
    turn(a1, answered)
    turn(a1, answered)
    turn(a1, answered, withdrawn=True)
    on_time = turn(a1, referred, date(2024, 3, 20))
    overdue = turn(a1, referred, date(2024, 3, 20), question="Vì sao hồ sơ đất đai chậm?")
    # Thạch Bàn, second: its paper head counts (10 by group, 8 by category), nothing published.
    a2 = make_conference(
        ward=ward, status=closed, start_dt=_utc(2024, 9, 1, 2), title="Thạch Bàn, quý III"
    )
    group = ResidentialGroup(ward=ward, number=9, name="Tổ dân phố số 9")
    db.session.add(group)
    db.session.flush()
    db.session.add_all(
        [
            AttendanceTally(conference=a2, residential_group_id=group.id, present=10),
            AttendanceTally(
                conference=a2, delegate_category_id=ward.delegate_categories[0].id, present=8
            ),
        ]
    )
    turn(a2, answered)
    # Thạch Bàn, 2023: outside the period, and so its overdue referral.
    a0 = make_conference(
        ward=ward, status=closed, start_dt=_utc(2023, 6, 15, 2), title="Thạch Bàn, 2023"
    )
    turn(a0, referred, date(2023, 6, 25), question="Câu hỏi năm trước")
    # Phúc Lợi: one conference, a late answer and a turn still waiting; a draft that counts not.
    b1 = make_conference(
        ward=other_ward, status=closed, start_dt=_utc(2024, 5, 5, 2), title="Phúc Lợi 2024"
    )
    present(b1, 2)
    turn(b1, answered)
    late = turn(b1, referred, date(2024, 5, 15))
    turn(b1, pending)
    draft = make_conference(
        ward=other_ward, status=ConferenceStatus.DRAFT, start_dt=_utc(2024, 6, 1, 2)
    )
    present(draft, 7)
    # Kinh Bắc, another province: never in Hà Nội's figures or lists.
    c1 = make_conference(
        ward=elsewhere, status=closed, start_dt=_utc(2024, 4, 4, 2), title="Kinh Bắc 2024"
    )
    present(c1, 50)
    turn(c1, referred, date(2024, 4, 14), question="Câu hỏi của tỉnh khác")
    db.session.flush()
    on_time.referral.answered_on = date(2024, 3, 19)
    late.referral.answered_on = date(2024, 5, 20)
    assert overdue.referral.answered_on is None
    dossier_operations.save_report(
        a1,
        dossier_operations.ReportData(
            counts=Counts(
                received_online=100, received_desk=300, resolved_on_time=380, resolved_late=20
            )
        ),
    )

    def form(conference, *scores):
        values = dict(zip([e.value for e in SurveyElement], scores, strict=True))
        return SurveyResponse(conference=conference, source=ResponseSource.PAPER, **values)

    db.session.add_all([form(a1, 5, 5, 5, 5, 5), form(a1, 4, 3, None, None, None)])
    db.session.commit()
    return {
        "hanoi": hanoi,
        "bac_ninh": bac_ninh,
        "thach_ban": ward,
        "phuc_loi": other_ward,
        "idle": idle,
        "elsewhere": elsewhere,
    }


def _compare(data, **kwargs):
    wards = sorted(data["hanoi"].wards, key=lambda each: each.name)
    return compare_wards(wards, year_period(2024), now=NOW, **kwargs)


def test_the_figures_of_a_known_data_set(data):
    comparison = _compare(data)
    lines = {line.ward.slug: line for line in comparison.lines}
    assert set(lines) == {"thach-ban", "phuc-loi", "cu-khoi"}

    a = lines["thach-ban"]
    assert (a.conferences, a.present, a.turns, a.answered, a.referred) == (2, 13, 5, 3, 2)
    assert a.answered_share == Decimal("60.0")
    assert (a.on_time, a.late, a.open, a.overdue) == (1, 0, 0, 1)
    assert a.dossier_on_time == Decimal("95.0")  # 380 of 400 resolved
    # Pooled over the elements: 5 × "5", one "4", one "3": 6 satisfied of 7 answers.
    assert a.survey.responses == 7 and a.satisfaction == Decimal("85.7")

    b = lines["phuc-loi"]
    assert (b.conferences, b.present, b.turns, b.answered, b.referred) == (1, 2, 3, 1, 1)
    assert b.answered_share == Decimal("33.3")
    assert (b.on_time, b.late, b.open, b.overdue) == (0, 1, 0, 0)
    assert b.dossier_on_time is None and b.satisfaction is None

    idle = lines["cu-khoi"]
    assert idle.held_none and idle.turns == 0 and idle.answered_share is None

    total = comparison.total
    assert (total.conferences, total.present, total.turns, total.referred) == (3, 15, 8, 3)
    assert total.answered_share == Decimal("50.0")
    assert (total.on_time, total.late, total.open, total.overdue) == (1, 1, 0, 1)
    assert total.dossier_on_time == Decimal("95.0")
    assert total.satisfaction == Decimal("85.7")


def test_each_line_agrees_with_the_wards_own_figures(data):
    for line in _compare(data).lines:
        own = ward_figures(line.ward, year_period(2024), today=TODAY)
        assert line.conferences == len(own.conferences)
        assert line.present == own.attendance.total.present
        assert line.turns == own.turns.total.total
        assert line.answered_share == own.turns.total.answered_share
        assert line.referrals == own.referrals
        assert line.dossier_on_time == own.dossiers.current.rates.on_time_resolved
        assert line.satisfaction == own.survey.overall.rate


def test_idle_wards_first_then_ranked_by_the_measure(data):
    comparison = _compare(data, measure="answered_share")
    assert [line.ward.slug for line in comparison.lines] == ["cu-khoi", "thach-ban", "phuc-loi"]
    assert [line.rank for line in comparison.lines] == [None, 1, 2]
    assert [line.ward.slug for line in comparison.idle] == ["cu-khoi"]
    by_late = _compare(data, measure="late")
    assert [line.ward.slug for line in by_late.lines] == ["cu-khoi", "phuc-loi", "thach-ban"]


def test_overdue_referrals_and_late_publications_across_the_wards(data):
    comparison = _compare(data)
    overdue = [(r.ward.slug, r.question, r.due_date, r.days_overdue) for r in comparison.overdue]
    # The period's referrals only: the 2023 conference's, overdue as well, is not the period's.
    assert overdue == [("thach-ban", "Vì sao hồ sơ đất đai chậm?", date(2024, 3, 20), 286)]
    assert comparison.overdue_count == 1
    assert comparison.overdue[0].unit == "Công chức Thạch Bàn"
    late = [
        (p.ward.slug, p.deadline.deadline, p.deadline.published_on, p.deadline.is_overdue)
        for p in comparison.late_publications
    ]
    assert late == [
        ("thach-ban", date(2024, 3, 20), date(2024, 3, 25), False),
        ("phuc-loi", date(2024, 5, 15), None, True),
        ("thach-ban", date(2024, 9, 11), None, True),
    ]
    assert comparison.late_publications[0].deadline.days_late == 5


def _count_statements(action) -> int:
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        db.session.expire_all()
        action()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    # A transaction's BEGIN (issued by the application on SQLite) is no query.
    return sum(1 for statement in statements if not statement.lstrip().upper().startswith("BEGIN"))


def test_the_number_of_queries_does_not_grow_with_the_wards(data, make_ward, make_conference):
    hanoi = data["hanoi"]
    before = _count_statements(lambda: _compare(data))
    for n in range(12):
        place = make_ward(name=f"Thêm {n}", slug=f"them-{n}")
        assign_province(place, hanoi)
        for month in (2, 8):
            conference = make_conference(
                ward=place, status=ConferenceStatus.CLOSED, start_dt=_utc(2024, month, 3, 2)
            )
            db.session.add(
                Turn(conference=conference, question="Hỏi", outcome=TurnOutcome.ANSWERED)
            )
    db.session.commit()
    db.session.refresh(hanoi)
    assert len(hanoi.wards) == 15
    after = _count_statements(lambda: _compare(data))
    assert after == before
    assert after <= 12


# -- the pages ------------------------------------------------------------------------------------


@pytest.fixture
def officer(data, make_user):
    return make_user(Role.CITY, province=data["hanoi"])


def test_a_city_officer_lands_on_the_comparison(client, officer):
    response = client.post("/auth/login", data={"username": officer.username, "password": PASSWORD})
    assert response.status_code == 302
    response = client.get(response.headers["Location"])
    assert response.status_code == 302 and response.headers["Location"].endswith("/city/")
    page = client.get("/city/").get_data(as_text=True)
    assert "Các phường, xã của Thành phố Hà Nội so sánh" in page or "Thành phố Hà Nội" in page
    assert 'href="/city/"' in page  # the menu entry


def test_the_comparison_page_shows_only_the_province(client, login, officer, data):
    login(officer)
    response = client.get("/city/?kind=year&year=2024&measure=late")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Phường Thạch Bàn" in page and "Phường Phúc Lợi" in page and "Phường Cự Khối" in page
    assert "Kinh Bắc" not in page and "Câu hỏi của tỉnh khác" not in page
    assert "Vì sao hồ sơ đất đai chậm?" in page
    # No resident's name in the lists.
    assert "Nguyễn Văn Riêng" not in page
    # The chart has its table as its text equivalent.
    assert 'aria-describedby="city-table"' in page and "data:image/svg+xml;base64," in page


def test_the_comparison_is_counted_at_most_every_five_minutes(
    app, client, login, officer, data, monkeypatch
):
    import dialogue.city.views as city_views

    moment = datetime(2024, 12, 20, 3, 0, 30, tzinfo=UTC)
    monkeypatch.setattr(city_views, "utcnow", lambda: moment)
    login(officer)
    url = "/city/?kind=year&year=2024"
    first = client.get(url).get_data(as_text=True)
    assert "Số liệu tính lúc 10:00 ngày 20/12/2024" in first
    data["hanoi"].wards[0].name = "Đổi Tên"
    db.session.commit()
    # The same five minutes: the page as counted, with this session's own form token.
    again = client.get(url).get_data(as_text=True)
    assert "Đổi Tên" not in again and "Số liệu tính lúc 10:00" in again
    other_session = app.test_client()
    other_session.post("/auth/login", data={"username": officer.username, "password": PASSWORD})
    theirs = other_session.get(url).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', theirs)
    mine = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', again)
    assert token and mine and token.group(1) != mine.group(1)
    # The next five minutes count again.
    moment = datetime(2024, 12, 20, 3, 5, 0, tzinfo=UTC)
    later = client.get(url).get_data(as_text=True)
    assert "Đổi Tên" in later and "Số liệu tính lúc 10:05" in later


def test_an_unknown_measure_or_period_is_refused(client, login, officer):
    login(officer)
    assert client.get("/city/?kind=year&year=2024&measure=drop+table").status_code == 422
    assert client.get("/city/?kind=year&year=1066").status_code == 422


def test_a_ward_of_the_province_reads_its_figures(client, login, officer, data):
    login(officer)
    response = client.get(f"/city/wards/{data['thach_ban'].id}?kind=year&year=2024")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Thạch Bàn, quý I" in page
    # Read-only: no link into the ward's own pages.
    assert "/conferences/" not in page and "/stats/" not in page


def test_another_provinces_ward_or_an_unknown_one_is_missing(client, login, officer, data):
    login(officer)
    assert client.get(f"/city/wards/{data['elsewhere'].id}").status_code == 404
    assert client.get("/city/wards/999999").status_code == 404


def test_a_city_officer_gets_no_ward_page_and_writes_nothing(client, login, officer, data):
    login(officer)
    conference_id = data["thach_ban"].id
    for url in ("/overview", "/conferences/", "/stats/", "/referrals/", "/admin/wards"):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        if response.status_code == 302:
            assert response.headers["Location"].endswith("/city/"), url
    assert client.get("/conferences/").status_code == 403
    for url in (
        "/conferences/new",
        f"/admin/wards/{conference_id}/edit",
        "/city/provinces",
        f"/city/provinces/{data['hanoi'].id}",
        "/admin/accounts/new",
    ):
        assert client.post(url, data={"name": "x"}).status_code == 403, url
    # Their own password and signing out remain theirs.
    assert client.get("/auth/password").status_code == 200
    assert client.post("/auth/logout").status_code == 302


# -- the administrator -----------------------------------------------------------------------------


def test_provinces_are_created_renamed_and_given_wards(data, make_ward):
    with pytest.raises(ValidationFailed):
        create_province("  Thành phố  Hà Nội ")
    hue = create_province("Thành phố Huế")
    assert get_or_create_province("Thành phố Huế") is hue
    rename_province(hue, "Thành phố  Huế mới")
    assert hue.name == "Thành phố Huế mới"
    blank = make_ward(name="Phú Xuân", slug="phu-xuan", province="")
    assign_province(blank, hue)
    # A ward with no province line of its own writes the province's.
    assert blank.province == "Thành phố Huế mới" and blank.province_record is hue
    assign_province(data["thach_ban"], hue)
    assert data["thach_ban"].province == "Thành phố Hà Nội"


def test_the_administrator_keeps_provinces_and_city_accounts(client, login, make_user, data):
    login(make_user(Role.ADMINISTRATOR))
    response = client.post("/city/provinces", data={"name": "Tỉnh Ninh Bình"})
    assert response.status_code == 302
    province = db.session.scalar(sa.select(Province).where(Province.name == "Tỉnh Ninh Bình"))
    chosen = [data["idle"].id, data["elsewhere"].id]
    response = client.post(
        f"/city/provinces/{province.id}", data={"name": "Tỉnh Ninh Bình", "ward_ids": chosen}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert {ward.slug for ward in province.wards} == {"cu-khoi", "kinh-bac"}
    response = client.post(
        "/admin/accounts/new",
        data={
            "username": "soninhbinh",
            "display_name": "Sở Nội vụ Ninh Bình",
            "role": "city",
            "ward_id": data["thach_ban"].id,
            "province_id": "",
            "password": PASSWORD,
            "confirm_password": PASSWORD,
        },
    )
    assert response.status_code == 200
    assert "Chọn tỉnh, thành phố của cán bộ cấp tỉnh/thành phố" in response.get_data(as_text=True)
    response = client.post(
        "/admin/accounts/new",
        data={
            "username": "soninhbinh",
            "display_name": "Sở Nội vụ Ninh Bình",
            "role": "city",
            "ward_id": data["thach_ban"].id,
            "province_id": province.id,
            "password": PASSWORD,
            "confirm_password": PASSWORD,
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.username == "soninhbinh"))
    assert user.role is Role.CITY and user.ward_id is None and user.province_id == province.id
    listing = client.get("/admin/accounts").get_data(as_text=True)
    assert "soninhbinh" in listing and "Tỉnh Ninh Bình" in listing
    edit = client.get(f"/admin/accounts/{user.id}/edit").get_data(as_text=True)
    assert "Tỉnh Ninh Bình" in edit
    response = client.post(
        f"/admin/accounts/{user.id}/edit",
        data={"display_name": "Sở Nội vụ", "role": "organiser", "province_id": province.id},
    )
    assert response.status_code == 200  # a city account stays a city account
    response = client.post(
        f"/admin/accounts/{user.id}/edit",
        data={
            "display_name": "Sở Nội vụ",
            "role": "city",
            "province_id": data["hanoi"].id,
            "is_active": "y",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert user.province_id == data["hanoi"].id and user.display_name == "Sở Nội vụ"


def test_only_city_accounts_may_lack_a_ward(app, ward):
    user = User(username="khongphuong", display_name="X", password_hash="x", role=Role.ORGANISER)
    db.session.add(user)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


# -- the migration's data step --------------------------------------------------------------------


@pytest.fixture
def migration_app(app_config, empty_database_url):
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_the_migration_makes_a_province_of_each_wards_province_text(migration_app):
    upgrade(revision="f3c3f0030003")
    wards = sa.table(
        "wards",
        *(sa.column(name) for name in ("id", "slug", "name", "kind", "province", "place_name")),
        *(sa.column(name) for name in ("issuer_code", "timezone", "address", "parent_agency")),
        *(sa.column(name) for name in ("is_active", "created_dt", "updated_dt", "search_text")),
        *(sa.column(name) for name in ("shows_speaker_names", "names_speakers_in_documents")),
        *(sa.column(name) for name in ("rating_public_minimum", "notice_includes_satisfaction")),
    )
    now = datetime(2026, 1, 1, tzinfo=UTC).replace(tzinfo=None)

    def row(n, province):
        return {
            "id": n,
            "slug": f"p-{n}",
            "name": f"P {n}",
            "kind": "phuong",
            "province": province,
            "place_name": f"P {n}",
            "issuer_code": "UBND",
            "timezone": "Asia/Ho_Chi_Minh",
            "address": "",
            "parent_agency": "",
            "is_active": True,
            "created_dt": now,
            "updated_dt": now,
            "search_text": "",
            "shows_speaker_names": False,
            "names_speakers_in_documents": False,
            "rating_public_minimum": 3,
            "notice_includes_satisfaction": True,
        }

    with db.engine.begin() as connection:
        connection.execute(
            wards.insert(),
            [
                row(1, "Thành phố Hà Nội"),
                row(2, " Thành phố  Hà Nội "),
                row(3, "Tỉnh Bắc Ninh"),
                row(4, ""),
            ],
        )
    upgrade()
    with db.engine.connect() as connection:
        provinces = dict(connection.execute(sa.text("SELECT name, id FROM provinces")).all())
        assigned = dict(connection.execute(sa.text("SELECT id, province_id FROM wards")).all())
    assert set(provinces) == {"Thành phố Hà Nội", "Tỉnh Bắc Ninh"}
    assert assigned == {
        1: provinces["Thành phố Hà Nội"],
        2: provinces["Thành phố Hà Nội"],
        3: provinces["Tỉnh Bắc Ninh"],
        4: None,
    }
