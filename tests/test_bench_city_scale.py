"""The city-scale benchmark's generator, run small: its rows agree with one another and the app
reads them as it reads its own."""

from datetime import UTC, datetime

import sqlalchemy as sa

from bench.city_scale import PASSWORD, generate
from dialogue.attendance.models import Attendee
from dialogue.auth.models import Role, User
from dialogue.conferences.models import Conference
from dialogue.dossier.models import DossierReport
from dialogue.extensions import db
from dialogue.followup.models import Referral, WrittenAnswer
from dialogue.live.models import Turn, TurnOutcome
from dialogue.minutes.models import PublishedDocument
from dialogue.stats.figures import Period, ward_figures
from dialogue.wards.models import Ward

NOW = datetime(2026, 12, 6, 5, 0, tzinfo=UTC)


def _count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_the_generator_makes_what_it_counts(app, client):
    result = generate(wards=2, conferences=2, turns=3, now=NOW)
    counts = result["counts"]
    assert counts["wards"] == 2 and _count(Ward) == 2
    assert counts["conferences"] == _count(Conference) == 4
    assert counts["turns"] == _count(Turn) == 12
    assert counts["dossier_reports"] == _count(DossierReport) == 4
    # A referral for each referred turn, and for no other.
    referred = _count(Turn, Turn.outcome == TurnOutcome.REFERRED)
    assert counts.get("referrals", 0) == _count(Referral) == referred
    assert _count(WrittenAnswer) <= referred
    assert 4 * 60 <= counts["attendees"] == _count(Attendee) <= 4 * 100
    assert counts["published_documents"] == _count(PublishedDocument) <= 4
    ward = db.session.scalar(sa.select(Ward).order_by(Ward.id).limit(1))
    figures = ward_figures(
        ward, Period(NOW.date().replace(year=2021, month=1, day=1), NOW.date()), today=NOW.date()
    )
    withdrawn = _count(
        Turn,
        Turn.withdrawn_dt.is_not(None),
        Turn.conference_id.in_(sa.select(Conference.id).where(Conference.ward_id == ward.id)),
    )
    assert len(figures.conferences) == 2 and figures.turns.total.total == 6 - withdrawn

    # The measured accounts sign in and read the measured pages.
    organiser = db.session.scalar(sa.select(User).where(User.username == result["organiser"]))
    officer = db.session.scalar(sa.select(User).where(User.username == result["officer"]))
    assert organiser.role is Role.ORGANISER and officer.role is Role.CITY
    slug = result["slugs"][1]
    conference_id = db.session.scalar(sa.select(sa.func.min(Conference.id)))
    for path in (
        "/api/v1/wards",
        f"/api/v1/wards/{slug}/conferences",
        f"/api/v1/conferences/{conference_id}/turns",
        f"/api/v1/wards/{slug}/referrals",
        f"/api/v1/wards/{slug}/figures?kind=year&year=2021",
    ):
        assert client.get(path).status_code == 200, path
    for user, path in ((organiser, "/stats/?kind=year&year=2021"), (officer, "/city/")):
        response = client.post(
            "/auth/login", data={"username": user.username, "password": PASSWORD}
        )
        assert response.status_code == 302
        assert client.get(path).status_code == 200, path
        client.post("/auth/logout")
