"""Every route × every role × a record of another ward, generated from the URL map.

A new route cannot be forgotten: it must declare its audience (``public``, ``login_required``
or ``role_required``) and every URL argument must name a record kind known below.
"""

from __future__ import annotations

import pytest

from dialogue.audit.models import AuditAction, AuditEvent
from dialogue.auth.models import Role
from dialogue.extensions import db
from dialogue.wards.models import Unit
from tests.conftest import PASSWORD

ANONYMOUS = None


def _records(ward, make_person, make_conference, make_user):
    """One record of every kind that appears in a URL, in ``ward``."""
    person = make_person(ward=ward)
    unit = Unit(ward=ward, name=f"Bộ phận Một cửa {ward.id}")
    db.session.add(unit)
    staff = make_user(Role.RESPONDER, ward=ward)
    conference = make_conference(ward=ward)
    event = AuditEvent(
        ward_id=ward.id,
        actor="test",
        action=AuditAction.EVENT,
        entity_type="wards",
        entity_id=ward.id,
        summary="test",
        changes={},
    )
    db.session.add(event)
    db.session.commit()
    return {
        "ward_id": ward.id,
        "person_id": person.id,
        "conference_id": conference.id,
        "user_id": staff.id,
        "unit_id": unit.id,
        "group_id": ward.residential_groups[0].id if ward.residential_groups else None,
        "area_id": ward.procedure_areas[0].id,
        "category_id": ward.delegate_categories[0].id,
        "event_id": event.id,
    }


@pytest.fixture
def world(app, ward, other_ward, make_person, make_conference, make_user):
    from dialogue.wards.models import ResidentialGroup

    for w in (ward, other_ward):
        db.session.add(ResidentialGroup(ward=w, number=1, name="Tổ dân phố số 1"))
    db.session.commit()
    own = _records(ward, make_person, make_conference, make_user)
    other = _records(other_ward, make_person, make_conference, make_user)
    clients = {ANONYMOUS: app.test_client()}
    for role in Role:
        user = make_user(role)
        client = app.test_client()
        response = client.post(
            "/auth/login", data={"username": user.username, "password": PASSWORD}
        )
        assert response.status_code == 302
        clients[role] = client
    return own, other, clients


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        method = "GET" if "GET" in rule.methods else "POST"
        yield rule, method, app.view_functions[rule.endpoint]


def _url(rule, records):
    values = {}
    for name in rule.arguments:
        if name not in records:
            raise AssertionError(
                f"{rule.rule}: URL argument {name!r} is unknown to the access matrix; add it"
            )
        values[name] = records[name]
    return rule.build(values, append_unknown=False)[1]


def test_every_route_declares_its_audience(app):
    undeclared = [rule.rule for rule, _method, view in _routes(app) if not hasattr(view, "access")]
    assert undeclared == []


def _expected(view, role, *, foreign: bool) -> str:
    access = view.access
    if access is None:
        return "open"
    if role is ANONYMOUS:
        return "login"
    if role not in access:
        return "forbidden"
    if foreign and role is not Role.ADMINISTRATOR:
        return "missing"
    return "allowed"


def _check(status: int, location: str, expected: str, method: str) -> bool:
    if expected == "login":
        return status == 302 and location.startswith("/auth/login")
    if expected == "forbidden":
        return status == 403
    if expected == "missing":
        return status == 404
    if expected == "open":
        return status in {200, 302, 400}
    # allowed
    if method == "GET":
        return status in {200, 302}
    return status not in {403, 404} and status < 500


def test_access_matrix(app, world):
    own, other, clients = world
    failures = []
    deferred = []
    for rule, method, view in _routes(app):
        has_record = bool(rule.arguments)
        for role, client in clients.items():
            for foreign in (False, True) if has_record else (False,):
                expected = _expected(view, role, foreign=foreign)
                if method == "POST" and expected == "allowed":
                    # Allowed writes may delete what later checks read: run them last.
                    if not foreign:
                        deferred.append((rule, method, role, client, expected))
                    continue
                url = _url(rule, other if foreign else own)
                response = client.open(url, method=method)
                if not _check(
                    response.status_code, response.headers.get("Location", ""), expected, method
                ):
                    failures.append(
                        f"{method} {url} as {role}: {response.status_code}, expected {expected}"
                    )
    for rule, method, role, client, expected in deferred:
        url = _url(rule, own)
        response = client.open(url, method=method)
        if not _check(response.status_code, "", expected, method):
            failures.append(
                f"{method} {url} as {role}: {response.status_code}, expected {expected}"
            )
    assert failures == [], "\n".join(failures)


def test_matrix_covers_the_foundation_routes(app):
    endpoints = {rule.endpoint for rule, _m, _v in _routes(app)}
    for endpoint in (
        "auth.login",
        "conferences.detail",
        "people.index",
        "accounts.index",
        "wards.index",
        "wards.reference",
        "audit.index",
        "main.healthz",
    ):
        assert endpoint in endpoints
