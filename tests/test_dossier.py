"""Dossier figures: the pure computation, the operations, the pages, roles and bad input."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import render_template
from flask_babel import force_locale
from flask_login import login_user

from dialogue.auth.models import Role
from dialogue.conferences.models import ConferenceStatus
from dialogue.dossier import figures, operations
from dialogue.dossier.figures import Counts, LineInput, compute, figures_for, percentage
from dialogue.dossier.models import DossierChannel, DossierLine, DossierReport
from dialogue.dossier.operations import LineData, ReportData
from dialogue.errors import ValidationFailed
from dialogue.extensions import db

# Thạch Bàn, first half of 2020: 2,685 received (568 online, 2,117 at the desk), 2,668 resolved
# in time (early ones not counted apart), 17 within the deadline, none late; 450 of 852 early.
THACH_BAN_2020 = Counts(
    carried_over=0,
    received_online=568,
    received_desk=2117,
    resolved_early=None,
    resolved_on_time=2668,
    resolved_late=0,
    pending_within=17,
    pending_overdue=0,
)
EARLY_MEASURE = "trước hạn 4 giờ trở lên"
BASE_DEFINITION = "hồ sơ có phiếu hẹn và hồ sơ dịch vụ công"


def thach_ban_report() -> ReportData:
    return ReportData(
        counts=THACH_BAN_2020,
        early_count=450,
        early_base=852,
        early_measure=EARLY_MEASURE,
        early_base_definition=BASE_DEFINITION,
    )


def form_data(**overrides) -> dict:
    data = {
        "cutoff_date": "",
        "carried_over": "0",
        "received_online": "568",
        "received_desk": "2117",
        "resolved_early": "",
        "resolved_on_time": "2668",
        "resolved_late": "0",
        "pending_within": "17",
        "pending_overdue": "0",
        "returned": "",
        "early_count": "450",
        "early_base": "852",
        "early_measure": EARLY_MEASURE,
        "early_base_definition": BASE_DEFINITION,
    }
    data.update(overrides)
    return data


def line_data(**overrides) -> dict:
    data = {
        "procedure_area_id": "0",
        "channel": "",
        "carried_over": "0",
        "received_online": "0",
        "received_desk": "0",
        "resolved_early": "",
        "resolved_on_time": "0",
        "resolved_late": "0",
        "pending_within": "0",
        "pending_overdue": "0",
        "returned": "",
    }
    data.update(overrides)
    return data


def error_beside(page: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page, re.S)
    assert match, f"no error beside {field}"
    return html.unescape(match.group(1))


def form_errors(page: str) -> str:
    match = re.search(r'<div class="form-errors"[^>]*>(.*?)</div>', page, re.S)
    assert match, "no form-level errors"
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(1)))


def input_value(page: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert match, f"no input {name}"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return html.unescape(value.group(1)) if value else ""


def figure_cells(page: str) -> dict[str, str]:
    """The rows of the totals table: label -> value as shown."""
    rows = re.findall(
        r'<th scope="row">(?:– )?([^<]+?)(?:<br>.*?)?</th>\s*<td class="num">([^<]*)</td>',
        page,
        re.S,
    )
    return {html.unescape(label.strip()): value.strip() for label, value in rows}


def stored_report(conference) -> DossierReport | None:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(DossierReport).where(DossierReport.conference_id == conference.id)
    )


@pytest.fixture
def app_config(app_config):
    # Messages are checked in English here; the Vietnamese catalogue has tests of its own.
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def organiser(client, make_user, login):
    user = make_user(Role.ORGANISER)
    login(user)
    client.get("/locale", query_string={"locale": "en"})
    return user


def area(ward, code: str):
    return next(a for a in ward.procedure_areas if a.code == code)


# -- the computation ----------------------------------------------------------------------------


def test_thach_ban_2020_is_represented_exactly():
    result = compute(THACH_BAN_2020, early_count=450, early_base=852)
    counts = result.counts
    assert (counts.received, counts.total, counts.resolved, counts.resolved_in_time) == (
        2685,
        2685,
        2668,
        2668,
    )
    assert result.imbalance is None and result.is_consistent
    assert result.rates.online_share == Decimal("21.2")
    assert result.rates.on_time_resolved == Decimal("100.0")
    assert result.rates.on_time_load == Decimal("100.0")
    assert result.rates.overdue == Decimal("0.0")
    assert result.rates.early == Decimal("52.8")
    # The 2020 report said "52%": it cut the decimals off instead of rounding.
    assert 450 * 100 // 852 == 52
    assert str(result.rates.early) == "52.8"


def test_rates_round_half_up_to_one_decimal():
    assert percentage(1, 16) == Decimal("6.3")  # 6.25: half up, not half even
    assert percentage(1, 1600) == Decimal("0.1")  # 0.0625
    assert percentage(1, 8) == Decimal("12.5")
    assert percentage(2, 3) == Decimal("66.7")
    assert percentage(1, 3) == Decimal("33.3")
    assert percentage(7, 7) == Decimal("100.0")
    assert percentage(5, 0) is None
    assert percentage(0, 0) is None


def test_rates_are_none_without_a_denominator():
    rates = compute(Counts()).rates
    assert rates == figures.Rates(None, None, None, None, None)
    only_carried = compute(Counts(carried_over=5, pending_overdue=5)).rates
    assert only_carried.online_share is None and only_carried.on_time_resolved is None
    assert only_carried.overdue == Decimal("100.0")


def test_every_rate_has_its_formula():
    counts = Counts(
        carried_over=10,
        received_online=30,
        received_desk=60,
        resolved_early=20,
        resolved_on_time=50,
        resolved_late=5,
        pending_within=12,
        pending_overdue=3,
        returned=10,
    )
    result = compute(counts, early_count=7, early_base=40)
    assert result.imbalance is None
    assert result.rates.online_share == Decimal("33.3")  # 30 / 90
    assert result.rates.on_time_resolved == Decimal("93.3")  # 70 / 75
    assert result.rates.on_time_load == Decimal("82.0")  # 82 / 100
    assert result.rates.overdue == Decimal("8.0")  # 8 / 100
    assert result.rates.early == Decimal("17.5")  # 7 / 40


def test_the_balance_check_names_the_mismatch(app):
    counts = Counts(
        received_online=568, received_desk=2117, resolved_on_time=2667, pending_within=17
    )
    result = compute(counts)
    assert result.imbalance is not None and result.imbalance.difference == 1
    with app.test_request_context(), force_locale("en"):
        assert result.problems() == [
            "The total to handle, 2,685, differs from resolved and in progress together, "
            "2,684: a difference of 1."
        ]
        assert "2.685" in result.imbalance.describe("vi")
        assert "2.684" in result.imbalance.describe("vi")
        returned = compute(Counts(received_desk=10, resolved_on_time=5, returned=4))
        assert returned.problems() == [
            "The total to handle, 10, differs from resolved, in progress and returned "
            "together, 9: a difference of 1."
        ]


def test_lines_are_checked_one_by_one_and_against_the_totals(app):
    totals = Counts(received_online=10, received_desk=20, resolved_on_time=28, pending_within=2)
    lines = [
        LineInput(
            "Hộ tịch", "area", Counts(received_desk=20, resolved_on_time=19, pending_within=1)
        ),
        LineInput(
            "Đất đai", "area", Counts(received_online=9, resolved_on_time=8, pending_within=1)
        ),
        LineInput("Trực tuyến", "channel", Counts(received_online=10, resolved_on_time=9)),
        LineInput(
            "Trực tiếp", "channel", Counts(received_desk=20, resolved_on_time=19, pending_within=2)
        ),
    ]
    result = compute(totals, lines=lines)
    assert result.imbalance is None
    assert [line.imbalance is None for line in result.lines] == [True, True, False, False]
    # The unbalanced channel lines still add up to the totals; the area lines do not.
    assert [gap.dimension for gap in result.breakdown_gaps] == ["area"]
    area_gap = result.breakdown_gaps[0]
    assert [(g.name, g.lines, g.total) for g in area_gap.gaps] == [
        ("received_online", 9, 10),
        ("resolved_in_time", 27, 28),
    ]
    with app.test_request_context(), force_locale("en"):
        problems = result.problems()
    assert problems[0].startswith("Trực tuyến: The total to handle, 10, differs")
    assert problems[2] == (
        "The lines by procedure area do not add up to the totals: received online 9 instead "
        "of 10; resolved before or on the deadline 27 instead of 28."
    )
    assert not result.is_consistent


def test_a_breakdown_that_adds_up_is_consistent():
    totals = Counts(received_online=10, received_desk=20, resolved_on_time=28, pending_within=2)
    lines = [
        LineInput("Trực tuyến", "channel", Counts(received_online=10, resolved_on_time=10)),
        LineInput(
            "Trực tiếp", "channel", Counts(received_desk=20, resolved_on_time=18, pending_within=2)
        ),
    ]
    assert compute(totals, lines=lines).is_consistent


def test_numbers_are_written_in_the_language(app):
    with app.test_request_context():
        assert figures.format_count(2685, "vi") == "2.685"
        assert figures.format_count(2685, "en") == "2,685"
        assert figures.format_rate(Decimal("52.8"), "vi") == "52,8%"
        assert figures.format_rate(Decimal("1052.8"), "en") == "1,052.8%"
        assert figures.format_rate(None, "vi") == "—"


def test_table_rows_read_like_the_report(app):
    result = compute(
        THACH_BAN_2020,
        early_count=450,
        early_base=852,
        early_measure=EARLY_MEASURE,
        early_base_definition=BASE_DEFINITION,
    )
    rows = {row.key: row for row in result.table_rows()}
    assert "resolved_early" not in rows and rows["resolved_in_time"].value == 2668
    assert "returned" not in rows  # not tracked
    with app.test_request_context(), force_locale("vi"):
        assert rows["received"].display() == "2.685"
        assert rows["online_share"].display() == "21,2%"
        assert rows["early"].display() == "52,8%"
        assert rows["early"].note == f"450 of 852 ({EARLY_MEASURE}; {BASE_DEFINITION})"


# -- operations ------------------------------------------------------------------------------


def test_save_report_keeps_the_raw_counts(app, make_conference):
    conference = make_conference()
    operations.save_report(conference, thach_ban_report())
    db.session.commit()
    report = stored_report(conference)
    assert (report.received_online, report.received_desk, report.resolved_early) == (
        568,
        2117,
        None,
    )
    assert (report.resolved_on_time, report.pending_within, report.returned) == (2668, 17, None)
    assert (report.early_count, report.early_base) == (450, 852)
    assert report.early_base_definition == BASE_DEFINITION
    assert report.ward_id == conference.ward_id
    result = figures_for(conference)
    assert result.rates.early == Decimal("52.8") and result.rates.online_share == Decimal("21.2")
    # A second save changes the same record.
    operations.save_report(conference, ReportData(counts=Counts(received_desk=3, resolved_late=3)))
    db.session.commit()
    count = db.session.scalar(sa.select(sa.func.count(DossierReport.id)))
    assert count == 1
    assert stored_report(conference).early_base is None


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (ReportData(counts=Counts(received_desk=10, resolved_on_time=9)), None, "difference of 1"),
        (ReportData(counts=Counts(carried_over=-1)), "carried_over", "0 or more"),
        (ReportData(counts=THACH_BAN_2020, early_count=450), "early_base", "both"),
        (ReportData(counts=THACH_BAN_2020, early_base=852), "early_count", "both"),
        (
            ReportData(
                counts=THACH_BAN_2020, early_count=900, early_base=852, early_base_definition="x"
            ),
            "early_count",
            "more than the base",
        ),
        (
            ReportData(
                counts=THACH_BAN_2020, early_count=9, early_base=3000, early_base_definition="x"
            ),
            "early_base",
            "more than the total",
        ),
        (
            ReportData(
                counts=Counts(received_desk=10, resolved_early=2, resolved_on_time=8),
                early_count=3,
                early_base=10,
                early_base_definition="x",
            ),
            "early_count",
            "resolved before the deadline",
        ),
        (
            ReportData(counts=THACH_BAN_2020, early_count=450, early_base=852),
            "early_base_definition",
            "base counts",
        ),
    ],
)
def test_save_report_refuses_what_does_not_hold(app, make_conference, data, field, words):
    conference = make_conference()
    with (
        app.test_request_context(),
        force_locale("en"),
        pytest.raises(ValidationFailed) as caught,
    ):
        operations.save_report(conference, data)
    assert caught.value.field == field
    assert words in caught.value.message
    db.session.rollback()
    assert stored_report(conference) is None


@pytest.mark.parametrize("status", [ConferenceStatus.PUBLISHED, ConferenceStatus.CANCELLED])
def test_figures_of_a_published_or_cancelled_conference_are_frozen(app, make_conference, status):
    conference = make_conference(status=status)
    with pytest.raises(ValidationFailed, match="can no longer be changed"):
        operations.save_report(conference, thach_ban_report())


def test_closed_conference_still_takes_figures(app, make_conference):
    conference = make_conference(status=ConferenceStatus.CLOSED)
    operations.save_report(conference, thach_ban_report())
    db.session.commit()
    assert stored_report(conference) is not None


def test_lines_check_their_area_channel_and_balance(app, ward, other_ward, make_conference):
    conference = make_conference()
    report = operations.save_report(conference, thach_ban_report())
    civil = area(ward, "HT")
    good = LineData(
        counts=Counts(
            received_online=100, received_desk=200, resolved_on_time=295, pending_within=5
        ),
        procedure_area_id=civil.id,
    )
    line = operations.add_line(report, good)
    db.session.commit()
    assert line.dimension == "area" and line.ward_id == ward.id
    refused = [
        (LineData(counts=Counts()), "procedure_area_id"),
        (
            LineData(counts=Counts(), procedure_area_id=area(other_ward, "HT").id),
            "procedure_area_id",
        ),
        (good, "procedure_area_id"),  # the same area twice
        (
            LineData(
                counts=Counts(received_desk=1, resolved_on_time=1), channel=DossierChannel.ONLINE
            ),
            "received_desk",
        ),
        (
            LineData(
                counts=Counts(received_online=1, resolved_on_time=1), channel=DossierChannel.DESK
            ),
            "received_online",
        ),
        (
            LineData(
                counts=Counts(received_online=5, resolved_on_time=3), channel=DossierChannel.ONLINE
            ),
            None,
        ),
    ]
    for data, field in refused:
        with pytest.raises(ValidationFailed) as caught:
            operations.add_line(report, data)
        assert caught.value.field == field, data
        db.session.rollback()
    # The same area in one channel is another line.
    operations.add_line(
        report,
        LineData(
            counts=Counts(received_online=100, resolved_on_time=100),
            procedure_area_id=civil.id,
            channel=DossierChannel.ONLINE,
        ),
    )
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(DossierLine.id))) == 2


def test_deleting_a_conference_deletes_its_figures(app, make_conference):
    conference = make_conference()
    report = operations.save_report(conference, thach_ban_report())
    operations.add_line(
        report,
        LineData(
            counts=Counts(received_online=1, resolved_on_time=1), channel=DossierChannel.ONLINE
        ),
    )
    db.session.commit()
    db.session.execute(sa.delete(type(conference)).where(type(conference).id == conference.id))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(DossierReport.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(DossierLine.id))) == 0


# -- pages -------------------------------------------------------------------------------------


def test_organiser_enters_the_2020_figures(client, organiser, make_conference):
    conference = make_conference(reporting_period="6 tháng đầu năm 2020")
    page = client.get(f"/conferences/{conference.id}/dossier/edit")
    assert page.status_code == 200
    response = client.post(
        f"/conferences/{conference.id}/dossier/edit",
        data=form_data(received_desk="2.117", resolved_on_time="2,668", cutoff_date="2020-06-15"),
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/conferences/{conference.id}/dossier")
    report = stored_report(conference)
    assert (report.received_desk, report.resolved_on_time, report.early_count) == (2117, 2668, 450)
    assert report.cutoff_date.isoformat() == "2020-06-15"

    shown = client.get(f"/conferences/{conference.id}/dossier").get_data(as_text=True)
    cells = figure_cells(shown)
    assert cells["Received in the period"] == "2,685"
    assert cells["Online share of new dossiers"] == "21.2%"
    assert cells["Resolved early, by the ward's own measure"] == "52.8%"
    assert "450 of 852" in html.unescape(shown)

    client.get("/locale", query_string={"locale": "vi"})
    shown = client.get(f"/conferences/{conference.id}/dossier").get_data(as_text=True)
    values = list(figure_cells(shown).values())
    assert "2.685" in values and "21,2%" in values and "52,8%" in values
    assert "2,685" not in values


def test_counts_that_do_not_balance_are_refused_with_what_was_typed(
    client, organiser, make_conference
):
    conference = make_conference()
    response = client.post(
        f"/conferences/{conference.id}/dossier/edit",
        data=form_data(resolved_on_time="2.667"),
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert (
        "The total to handle, 2,685, differs from resolved and in progress together, 2,684: "
        "a difference of 1." in form_errors(page)
    )
    assert input_value(page, "resolved_on_time") == "2.667"
    assert input_value(page, "early_base_definition") == BASE_DEFINITION
    assert stored_report(conference) is None


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("received_online", "-5", "Enter a whole number, 0 or more."),
        ("received_online", "12.5", "Enter a whole number, 0 or more."),
        ("received_online", "mười", "Enter a whole number, 0 or more."),
        ("received_online", "", "Enter a number; 0 if there are none."),
        ("returned", "-1", "Enter a whole number, 0 or more."),
    ],
)
def test_bad_counts_get_a_message_beside_the_field(
    client, organiser, make_conference, field, typed, message
):
    conference = make_conference()
    response = client.post(
        f"/conferences/{conference.id}/dossier/edit", data=form_data(**{field: typed})
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert error_beside(page, field) == message
    assert input_value(page, field) == typed
    assert input_value(page, "received_desk") == "2117"
    assert stored_report(conference) is None


def test_early_count_above_its_base_is_refused_beside_the_field(client, organiser, make_conference):
    conference = make_conference()
    response = client.post(
        f"/conferences/{conference.id}/dossier/edit", data=form_data(early_count="853")
    )
    assert response.status_code == 400
    assert error_beside(response.get_data(as_text=True), "early_count") == (
        "853 resolved early is more than the base of 852."
    )


def test_breakdown_lines_one_by_one(client, organiser, ward, make_conference):
    conference = make_conference()
    no_report = client.get(f"/conferences/{conference.id}/dossier/lines/new")
    assert no_report.status_code == 302 and no_report.headers["Location"].endswith("/dossier/edit")
    client.post(f"/conferences/{conference.id}/dossier/edit", data=form_data())

    online = line_data(
        channel="online", received_online="568", resolved_on_time="560", pending_within="8"
    )
    response = client.post(f"/conferences/{conference.id}/dossier/lines/new", data=online)
    assert response.status_code == 302
    shown = client.get(f"/conferences/{conference.id}/dossier").get_data(as_text=True)
    assert (
        "The lines by channel do not add up to the totals: received at the desk 0 instead of 2,117"
        in html.unescape(shown)
    )

    bad = line_data(
        channel="desk", received_desk="2117", resolved_on_time="2100", pending_within="8"
    )
    response = client.post(f"/conferences/{conference.id}/dossier/lines/new", data=bad)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "2,117" in form_errors(page) and "a difference of 9" in form_errors(page)
    assert input_value(page, "resolved_on_time") == "2100"

    desk = dict(bad, pending_within="9", resolved_on_time="2108")
    assert (
        client.post(f"/conferences/{conference.id}/dossier/lines/new", data=desk).status_code == 302
    )
    shown = html.unescape(
        client.get(f"/conferences/{conference.id}/dossier").get_data(as_text=True)
    )
    assert "do not add up" not in shown
    assert "Trực tuyến" not in shown and "Online" in shown  # English interface

    line = db.session.scalar(
        sa.select(DossierLine).where(DossierLine.channel == DossierChannel.DESK)
    )
    edit = client.get(f"/dossier/lines/{line.id}/edit")
    assert edit.status_code == 200
    assert input_value(edit.get_data(as_text=True), "received_desk") == "2117"
    changed = dict(desk, channel="desk", procedure_area_id=str(area(ward, "HT").id))
    assert client.post(f"/dossier/lines/{line.id}/edit", data=changed).status_code == 302
    db.session.expire_all()
    assert db.session.get(DossierLine, line.id).dimension == "area_channel"

    line_id = line.id
    assert client.post(f"/dossier/lines/{line_id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(DossierLine, line_id) is None


def test_published_conference_figures_cannot_be_changed(client, organiser, make_conference):
    conference = make_conference(status=ConferenceStatus.PUBLISHED)
    response = client.get(f"/conferences/{conference.id}/dossier/edit")
    assert response.status_code == 302
    response = client.post(f"/conferences/{conference.id}/dossier/edit", data=form_data())
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The minutes are published: the dossier figures can no longer be changed." in (
        form_errors(page)
    )
    assert input_value(page, "received_online") == "568"
    assert stored_report(conference) is None


def test_conference_panel_shows_the_summary(app, make_user, make_conference):
    conference = make_conference()
    user = make_user(Role.SECRETARY)
    with app.test_request_context(), force_locale("vi"):
        login_user(user)
        empty = render_template("dossier/_conference_panel.html", conference=conference)
        assert "dossier/edit" not in empty  # a secretary does not enter figures
        operations.save_report(conference, thach_ban_report())
        db.session.commit()
        panel = render_template("dossier/_conference_panel.html", conference=conference)
    values = list(figure_cells(panel).values())
    assert values[:3] == ["2.685", "568", "2.117"]
    assert "52,8%" in values and "21,2%" in values
    assert f"/conferences/{conference.id}/dossier" in panel


# -- who may do what ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.SECRETARY, Role.CHAIR, Role.RESPONDER])
def test_other_staff_read_but_do_not_enter(client, make_user, login, make_conference, role):
    conference = make_conference()
    operations.save_report(conference, thach_ban_report())
    db.session.commit()
    line = operations.add_line(
        stored_report(conference),
        LineData(
            counts=Counts(received_online=1, resolved_on_time=1), channel=DossierChannel.ONLINE
        ),
    )
    db.session.commit()
    login(make_user(role))
    page = client.get(f"/conferences/{conference.id}/dossier")
    assert page.status_code == 200 and "/dossier/edit" not in page.get_data(as_text=True)
    assert client.get(f"/conferences/{conference.id}/dossier/edit").status_code == 403
    assert (
        client.post(f"/conferences/{conference.id}/dossier/edit", data=form_data()).status_code
        == 403
    )
    assert (
        client.post(f"/conferences/{conference.id}/dossier/lines/new", data=line_data()).status_code
        == 403
    )
    assert client.post(f"/dossier/lines/{line.id}/delete").status_code == 403
    assert db.session.get(DossierLine, line.id) is not None


def test_administrator_may_enter_figures(client, make_user, login, make_conference):
    conference = make_conference()
    login(make_user(Role.ADMINISTRATOR))
    response = client.post(f"/conferences/{conference.id}/dossier/edit", data=form_data())
    assert response.status_code == 302
    assert stored_report(conference) is not None


def test_another_wards_figures_are_missing(client, organiser, other_ward, make_conference):
    foreign = make_conference(ward=other_ward)
    report = operations.save_report(foreign, thach_ban_report())
    line = operations.add_line(
        report,
        LineData(
            counts=Counts(received_online=1, resolved_on_time=1), channel=DossierChannel.ONLINE
        ),
    )
    db.session.commit()
    for url in (
        f"/conferences/{foreign.id}/dossier",
        f"/conferences/{foreign.id}/dossier/edit",
        f"/conferences/{foreign.id}/dossier/lines/new",
        f"/dossier/lines/{line.id}/edit",
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(f"/conferences/{foreign.id}/dossier/edit", data=form_data()).status_code == 404
    )
    assert (
        client.post(f"/dossier/lines/{line.id}/edit", data=line_data(channel="online")).status_code
        == 404
    )
    assert client.post(f"/dossier/lines/{line.id}/delete").status_code == 404
    db.session.expire_all()
    assert db.session.get(DossierLine, line.id) is not None
    assert stored_report(foreign).received_online == 568
