"""The demo's history: 2021 to mid-2026 for Thạch Bàn and two more wards of the city."""

from collections import Counter
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from dialogue.attendance.models import AttendanceStatus, Attendee
from dialogue.auth.models import User
from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.demo.history import demo_skip, half_years
from dialogue.demo.history_data import HISTORY_USERNAMES, OTHER_WARDS
from dialogue.demo.seed import DEMO_USERNAMES, load_demo
from dialogue.dossier.figures import Counts, balance
from dialogue.dossier.models import DossierReport
from dialogue.extensions import db
from dialogue.followup.listing import ward_today
from dialogue.followup.models import Referral, ReferralStatus, Timeliness
from dialogue.live.models import Turn
from dialogue.minutes.models import PublishedDocument
from dialogue.minutes.operations import publication_deadlines
from dialogue.people.models import Person
from dialogue.stats.figures import Period, ward_figures, year_period
from dialogue.wards.models import Ward
from tests.conftest import _empty_tables

PASSWORD = "demo-password-1"
YEARS = range(2021, 2026)


def _load() -> dict[str, Ward]:
    load_demo(PASSWORD)
    db.session.commit()
    return {ward.slug: ward for ward in db.session.scalars(sa.select(Ward))}


def _figures(wards: dict[str, Ward]) -> dict:
    """What a city view compares, per ward and year, as plain values."""
    found = {}
    for slug, ward in sorted(wards.items()):
        today = ward_today(ward)
        for year in YEARS:
            f = ward_figures(ward, year_period(year), today=today)
            found[slug, year] = (
                len(f.conferences),
                f.attendance.total.present,
                f.turns.total.answered,
                f.turns.total.referred,
                (f.referrals.on_time, f.referrals.late, f.referrals.open, f.referrals.overdue),
                f.dossiers.current.counts,
                f.dossiers.current.early_count,
                f.survey.responses,
                str(f.survey.overall.rate),
                str(f.ratings.overall.rate),
            )
    documents = db.session.execute(
        sa.select(PublishedDocument.number_label, PublishedDocument.published_dt).order_by(
            PublishedDocument.published_dt, PublishedDocument.number_label
        )
    ).all()
    turns = db.session.scalars(sa.select(Turn.question).order_by(Turn.spoken_dt, Turn.id)).all()
    return {"figures": found, "documents": documents, "turns": turns}


def test_two_loads_give_the_same_history(app):
    first = _figures(_load())
    db.session.remove()
    _empty_tables()
    second = _figures(_load())
    assert first == second
    assert len(first["documents"]) >= 30


def test_the_wards_history_is_plausible_and_public_pages_show_no_one(app):
    wards = _load()
    assert set(wards) == {"thach-ban", *(spec.slug for spec in OTHER_WARDS)}
    assert {ward.province for ward in wards.values()} == {"Thành phố Hà Nội"}
    # The accounts: prefixed, with the demo's password, and in the list checked for taken names.
    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    assert set(HISTORY_USERNAMES) <= set(DEMO_USERNAMES) and set(HISTORY_USERNAMES) <= set(users)
    for name in HISTORY_USERNAMES:
        user = users[name]
        assert user.check_password(PASSWORD) and user.email.endswith(".example")
        assert user.ward.slug.replace("-", "") == name.split("-")[0]
    names = db.session.scalars(sa.select(Person.full_name)).all()
    assert len(names) == len(set(names))

    demo = wards["thach-ban"]
    expected = len(half_years(ward_today(demo), skip=demo_skip(demo)))
    history = db.session.scalars(
        sa.select(Conference).where(
            Conference.ward_id == demo.id,
            Conference.reporting_period.like("6 tháng % năm 202%"),
            Conference.plan_number.not_in(("39/KH-UBND", "86/KH-UBND", "112/KH-UBND")),
        )
    ).all()
    assert len(history) == expected

    for slug, ward in wards.items():
        today = ward_today(ward)
        for year in YEARS:
            f = ward_figures(ward, year_period(year), today=today)
            missed = slug == "bo-de" and year == 2025
            assert len(f.conferences) == (1 if missed else 2), (slug, year)
            assert f.dossiers.current.reports == len(f.conferences)
        conferences = db.session.scalars(
            sa.select(Conference).where(
                Conference.ward_id == ward.id,
                Conference.status.in_((ConferenceStatus.CLOSED, ConferenceStatus.PUBLISHED)),
            )
        ).all()
        for conference in conferences:
            present = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Attendee)
                .where(
                    Attendee.conference_id == conference.id,
                    Attendee.status == AttendanceStatus.PRESENT,
                )
            )
            assert 60 <= present <= 123, (slug, conference.title, present)
            turns = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Turn)
                .where(Turn.conference_id == conference.id)
            )
            assert 6 <= turns <= 14 or conference.plan_number in ("39/KH-UBND", "86/KH-UBND")
        # Every dossier report balances, and each period carries over what the last left.
        reports = db.session.scalars(
            sa.select(DossierReport)
            .join(Conference, Conference.id == DossierReport.conference_id)
            .where(Conference.ward_id == ward.id)
            .order_by(Conference.start_dt)
        ).all()
        assert reports
        for report in reports:
            assert balance(Counts.of(report)) is None
        statuses = Counter(
            db.session.scalars(sa.select(Referral.status).where(Referral.ward_id == ward.id))
        )
        assert statuses[ReferralStatus.ANSWERED] > statuses[ReferralStatus.REFERRED]
        deadlines = publication_deadlines(conferences)
        late = [d for d in deadlines.values() if d.days_late > 0 or d.is_overdue]
        assert 1 <= len(late) <= 3, slug

    # Referrals in every state across the city, and a ward that does worse than the others.
    every = Counter(db.session.scalars(sa.select(Referral.status)))
    assert all(every[status] for status in ReferralStatus)
    span = Period(date(2021, 1, 1), date(2025, 12, 31))
    good, poor = (
        ward_figures(wards[slug], span, today=ward_today(wards[slug]))
        for slug in ("phuc-loi", "bo-de")
    )
    assert good.referrals.on_time_share > poor.referrals.on_time_share
    assert good.survey.overall.rate > poor.survey.overall.rate
    assert poor.referrals.overdue >= 1
    assert Timeliness.LATE in {outcome for outcome, n, _share in poor.referrals.rows() if n}

    # Residents' pages name no one: no speaker, no attendee, no staff account.
    client = app.test_client(use_cookies=False)
    people = set(db.session.scalars(sa.select(Person.full_name)))
    walk_ins = set(
        db.session.scalars(sa.select(Attendee.full_name).where(Attendee.person_id.is_(None)))
    )
    shown = 0
    for document in db.session.scalars(
        sa.select(PublishedDocument).where(
            PublishedDocument.published_dt >= datetime(2021, 1, 1, tzinfo=UTC)
        )
    ):
        ward = document.conference.ward
        page = client.get(f"/p/{ward.slug}/bien-ban/{document.public_code}")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert "Công dân tổ dân phố số" in text or "Đại diện" in text
        speakers = set(
            db.session.scalars(
                sa.select(Turn.speaker_name).where(Turn.conference_id == document.conference_id)
            )
        )
        for name in speakers | walk_ins:
            assert name not in text, (document.number_label, name)
        shown += 1
    assert shown >= 30
    for ward in wards.values():
        listing = client.get(f"/p/{ward.slug}/kien-nghi/").get_data(as_text=True)
        for name in (people - _officials_named_in_documents()) | walk_ins:
            assert name not in listing
        for username in HISTORY_USERNAMES:
            assert username not in listing


def _officials_named_in_documents() -> set[str]:
    """The chairs and reporters: the minutes name them as they name who presided."""
    rows = db.session.execute(sa.select(Conference.chair_id, Conference.reporter_id)).all()
    ids = {i for row in rows for i in row if i}
    return set(db.session.scalars(sa.select(Person.full_name).where(Person.id.in_(ids))))


@pytest.mark.parametrize("slug", [spec.slug for spec in OTHER_WARDS])
def test_usernames_are_prefixed_by_ward(slug):
    spec = next(spec for spec in OTHER_WARDS if spec.slug == slug)
    assert all(name.startswith(f"{spec.prefix}-") for name in spec.usernames)
    assert {name.split("-", 1)[1] for name in spec.usernames} >= {"organiser", "chair"}
