"""The organiser's directory of people: search, filters, add, change, remove, access."""

from __future__ import annotations

import re
import unicodedata

import pytest
import sqlalchemy as sa

from dialogue.audit.models import AuditAction, AuditEvent
from dialogue.auth.models import Role
from dialogue.extensions import db
from dialogue.people import operations
from dialogue.people.models import Person
from dialogue.wards.models import DelegateCategory, ResidentialGroup


@pytest.fixture
def make_group(app):
    def factory(ward, number: int, **overrides):
        values = {"ward": ward, "number": number, "name": f"Tổ dân phố số {number}"}
        values.update(overrides)
        group = ResidentialGroup(**values)
        db.session.add(group)
        db.session.commit()
        return group

    return factory


@pytest.fixture
def organiser(client, make_user, login):
    user = make_user(Role.ORGANISER)
    login(user)
    # Messages are checked in English, whatever the Vietnamese catalogue says.
    client.get("/locale", query_string={"locale": "en"})
    return user


def category(ward, code: str) -> DelegateCategory:
    return next(c for c in ward.delegate_categories if c.code == code)


def listed(page: str) -> list[str]:
    """The names the directory page lists, in order."""
    return re.findall(r'<a href="/people/\d+/edit">([^<]+)</a>', page)


def count_line(page: str) -> str:
    return re.search(r'<p class="people-count"[^>]*>(.*?)</p>', page, re.S).group(1)


def error_beside(page: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page, re.S)
    assert match, f"no error beside {field}"
    return match.group(1)


def people_named(ward) -> list[str]:
    return db.session.scalars(
        sa.select(Person.full_name).where(Person.ward_id == ward.id).order_by(Person.id)
    ).all()


def valid_form(**overrides) -> dict:
    data = {
        "full_name": "Nguyễn Văn A",
        "title": "Tổ trưởng",
        "organisation": "",
        "residential_group_id": "0",
        "delegate_category_id": "0",
        "phone": "",
        "email": "",
        "note": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# -- search and filters -------------------------------------------------------------------------


@pytest.mark.parametrize("term", ["nguyen van duc", "ĐỨC", "duc", "NGUYEN  Van  ĐUC", "văn đức"])
def test_search_ignores_diacritics_and_d_stroke(client, organiser, make_person, term):
    make_person(full_name="Nguyễn Văn Đức", organisation="Công ty Gốm Sứ")
    make_person(full_name="Trần Thị Bình")
    make_person(full_name="Nguyễn Văn Dũng")

    page = client.get("/people/", query_string={"q": term}).get_data(as_text=True)

    assert listed(page) == ["Nguyễn Văn Đức"]
    assert "1" in count_line(page)


def test_search_looks_at_title_and_organisation(client, organiser, make_person):
    make_person(full_name="Lê Thị C", organisation="Hợp tác xã Thạch Bàn")
    make_person(full_name="Phạm Văn D", title="Bí thư chi bộ")
    make_person(full_name="Hoàng Văn E")

    by_organisation = client.get("/people/?q=hop tac xa").get_data(as_text=True)
    by_title = client.get("/people/?q=bi thu").get_data(as_text=True)

    assert listed(by_organisation) == ["Lê Thị C"]
    assert listed(by_title) == ["Phạm Văn D"]


def test_search_treats_like_wildcards_as_text(client, organiser, make_person):
    make_person(full_name="Nguyễn Văn A")

    page = client.get("/people/?q=%25").get_data(as_text=True)

    assert listed(page) == []


def test_directory_shows_only_the_working_ward(client, organiser, make_person, other_ward):
    make_person(full_name="Nguyễn Văn Đức", organisation="Phường này")
    make_person(ward=other_ward, full_name="Nguyễn Văn Đức", organisation="Phường khác")

    page = client.get("/people/?q=duc").get_data(as_text=True)

    assert "Phường này" in page
    assert "Phường khác" not in page


def test_filters_by_group_and_category(client, organiser, ward, make_person, make_group):
    group_1, group_9 = make_group(ward, 1), make_group(ward, 9)
    heads = category(ward, "TO_TRUONG")
    residents = category(ward, "NHAN_DAN")
    make_person(full_name="Người Một", residential_group=group_1, delegate_category=heads)
    make_person(full_name="Người Hai", residential_group=group_9, delegate_category=heads)
    make_person(full_name="Người Ba", residential_group=group_9, delegate_category=residents)

    by_group = client.get(f"/people/?group={group_9.id}").get_data(as_text=True)
    by_both = client.get(f"/people/?group={group_9.id}&category={heads.id}").get_data(as_text=True)

    assert listed(by_group) == ["Người Ba", "Người Hai"]
    assert listed(by_both) == ["Người Hai"]


def test_a_group_of_another_ward_in_the_filter_shows_no_one(
    client, organiser, make_person, make_group, other_ward
):
    foreign = make_group(other_ward, 3)
    make_person(ward=other_ward, full_name="Người Ngoài", residential_group=foreign)
    make_person(full_name="Người Trong")

    page = client.get(f"/people/?group={foreign.id}").get_data(as_text=True)

    assert listed(page) == []


def test_directory_is_paginated_by_fifty_with_a_count(client, organiser, ward):
    db.session.add_all(Person(ward=ward, full_name=f"Người Số {n:03d}") for n in range(1, 56))
    db.session.commit()

    first = client.get("/people/").get_data(as_text=True)
    second = client.get("/people/?page=2").get_data(as_text=True)

    assert "55" in count_line(first)
    assert listed(first) == [f"Người Số {n:03d}" for n in range(1, 51)]
    assert listed(second) == [f"Người Số {n:03d}" for n in range(51, 56)]
    assert 'rel="next"' in first


def test_directory_sorts_d_stroke_among_the_ds(client, organiser, make_person):
    for name in ("Zương Văn C", "Đỗ Văn A", "Dương Văn B", "Bùi Văn D"):
        make_person(full_name=name)

    page = client.get("/people/").get_data(as_text=True)

    assert listed(page) == ["Bùi Văn D", "Đỗ Văn A", "Dương Văn B", "Zương Văn C"]


def test_directory_shows_phone_and_email_to_staff(client, organiser, make_person):
    make_person(
        full_name="Nguyễn Văn A", phone="0912 345 678", email="a@example.vn", has_consent=True
    )

    page = client.get("/people/").get_data(as_text=True)

    assert "0912 345 678" in page and "a@example.vn" in page


# -- add, change, remove ------------------------------------------------------------------------


def test_create_person_normalises_the_name_and_records_the_change(
    client, organiser, ward, make_group
):
    group = make_group(ward, 9)
    heads = category(ward, "TO_TRUONG")
    decomposed = unicodedata.normalize("NFD", "  Nguyễn   Văn Đức ")

    response = client.post(
        "/people/new",
        data=valid_form(
            full_name=decomposed,
            residential_group_id=str(group.id),
            delegate_category_id=str(heads.id),
            phone="0912 345 678",
            email="duc@example.vn",
            has_consent="y",
        ),
    )

    assert response.status_code == 302
    person = db.session.scalar(sa.select(Person))
    assert person.full_name == "Nguyễn Văn Đức"
    assert unicodedata.is_normalized("NFC", person.full_name)
    assert person.residential_group_id == group.id
    assert person.delegate_category_id == heads.id
    assert (person.phone, person.email, person.has_consent) == (
        "0912 345 678",
        "duc@example.vn",
        True,
    )
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.entity_type == "people"))
    assert event.action is AuditAction.CREATE
    assert event.user_id == organiser.id
    assert event.changes["full_name"] == [None, "Nguyễn Văn Đức"]


def test_create_requires_a_name(client, organiser, ward):
    response = client.post("/people/new", data=valid_form(full_name="   ", title="Tổ phó"))

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="full_name-error"' in page
    assert 'value="Tổ phó"' in page
    assert people_named(ward) == []


@pytest.mark.parametrize(
    "phone",
    ["0912", "09123456789012345", "0912-abc-678", "<script>"],
)
def test_create_refuses_a_bad_phone_and_keeps_what_was_typed(client, organiser, ward, phone):
    response = client.post(
        "/people/new",
        data=valid_form(
            full_name="Trần Thị B", phone=phone, has_consent="y", note="Ghi chú gõ vào"
        ),
    )

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    message = error_beside(page, "phone")
    assert "8" in message and "15" in message
    assert 'value="Trần Thị B"' in page
    assert "Ghi chú gõ vào" in page
    assert people_named(ward) == []


@pytest.mark.parametrize("phone", ["0912 345 678", "+84 (24) 3875.1234", "024-3875-1234"])
def test_create_accepts_usual_phone_notations(client, organiser, ward, phone):
    response = client.post(
        "/people/new", data=valid_form(full_name="Trần Thị B", phone=phone, has_consent="y")
    )

    assert response.status_code == 302
    assert db.session.scalar(sa.select(Person.phone)) == phone


def test_create_refuses_a_bad_email(client, organiser, ward):
    response = client.post(
        "/people/new",
        data=valid_form(full_name="Trần Thị B", email="not-an-address@", has_consent="y"),
    )

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="email-error"' in page
    assert 'value="not-an-address@"' in page
    assert people_named(ward) == []


def test_create_refuses_contact_details_without_consent(client, organiser, ward):
    response = client.post(
        "/people/new", data=valid_form(full_name="Trần Thị B", phone="0912 345 678")
    )

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "consent" in error_beside(page, "has_consent")
    assert 'value="0912 345 678"' in page
    assert people_named(ward) == []


def test_create_refuses_a_forged_group_or_category_of_another_ward(
    client, organiser, ward, other_ward, make_group
):
    foreign_group = make_group(other_ward, 9)
    foreign_category = category(other_ward, "TO_TRUONG")

    by_group = client.post(
        "/people/new", data=valid_form(residential_group_id=str(foreign_group.id))
    )
    by_category = client.post(
        "/people/new", data=valid_form(delegate_category_id=str(foreign_category.id))
    )

    assert by_group.status_code == 400
    assert 'id="residential_group_id-error"' in by_group.get_data(as_text=True)
    assert by_category.status_code == 400
    assert 'id="delegate_category_id-error"' in by_category.get_data(as_text=True)
    assert people_named(ward) == []


def test_create_offers_only_active_categories_of_the_ward(client, organiser, ward):
    retired = category(ward, "BAO_CHI")
    retired.is_active = False
    db.session.commit()

    page = client.get("/people/new").get_data(as_text=True)
    offered = re.search(r'<select id="delegate_category_id".*?</select>', page, re.S).group(0)

    assert f'value="{category(ward, "TO_TRUONG").id}"' in offered
    assert f'value="{retired.id}"' not in offered


def test_operations_refuse_what_the_form_would_have_caught(app, ward, other_ward, make_group):
    from dialogue.errors import ValidationFailed

    foreign = make_group(other_ward, 1)
    cases = [
        (operations.PersonData(full_name=" "), "full_name"),
        (operations.PersonData(full_name="A", phone="12"), "phone"),
        (operations.PersonData(full_name="A", email="x@", has_consent=True), "email"),
        (operations.PersonData(full_name="A", email="a@example.vn"), "has_consent"),
        (
            operations.PersonData(full_name="A", residential_group_id=foreign.id),
            "residential_group_id",
        ),
        (
            operations.PersonData(full_name="A", delegate_category_id=999_999),
            "delegate_category_id",
        ),
    ]
    for data, field in cases:
        with pytest.raises(ValidationFailed) as caught:
            operations.create_person(ward, data)
        assert caught.value.field == field
    db.session.rollback()
    assert people_named(ward) == []


def test_edit_person_saves_the_changes(client, organiser, ward, make_person, make_group):
    group = make_group(ward, 2)
    person = make_person(full_name="Trần Thị B", title="Tổ phó")

    form = client.get(f"/people/{person.id}/edit").get_data(as_text=True)
    response = client.post(
        f"/people/{person.id}/edit",
        data=valid_form(
            full_name="Trần Thị Bích", title="Tổ trưởng", residential_group_id=str(group.id)
        ),
    )

    assert 'value="Tổ phó"' in form
    assert response.status_code == 302
    db.session.refresh(person)
    assert (person.full_name, person.title, person.residential_group_id) == (
        "Trần Thị Bích",
        "Tổ trưởng",
        group.id,
    )
    event = db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.action == AuditAction.UPDATE, AuditEvent.entity_type == "people"
        )
    )
    assert event.changes["title"] == ["Tổ phó", "Tổ trưởng"]


def test_edit_refuses_to_keep_a_phone_once_consent_is_withdrawn(client, organiser, make_person):
    person = make_person(full_name="Trần Thị B", phone="0912 345 678", has_consent=True)

    response = client.post(
        f"/people/{person.id}/edit",
        data=valid_form(full_name="Trần Thị B", phone="0912 345 678"),
    )

    assert response.status_code == 400
    assert 'id="has_consent-error"' in response.get_data(as_text=True)
    db.session.refresh(person)
    assert person.has_consent is True


def test_delete_person(client, organiser, ward, make_person):
    person_id = make_person(full_name="Trần Thị B").id
    kept = make_person(full_name="Lê Văn C")

    response = client.post(f"/people/{person_id}/delete")

    assert response.status_code == 302
    assert people_named(ward) == [kept.full_name]
    assert (
        db.session.scalar(
            sa.select(AuditEvent).where(
                AuditEvent.action == AuditAction.DELETE, AuditEvent.entity_type == "people"
            )
        ).entity_id
        == person_id
    )


def test_another_wards_person_answers_404(client, organiser, other_ward, make_person):
    stranger = make_person(ward=other_ward, full_name="Người Phường Khác")

    assert client.get(f"/people/{stranger.id}/edit").status_code == 404
    assert client.post(f"/people/{stranger.id}/edit", data=valid_form()).status_code == 404
    assert client.post(f"/people/{stranger.id}/delete").status_code == 404
    db.session.refresh(stranger)
    assert stranger.full_name == "Người Phường Khác"


# -- access -------------------------------------------------------------------------------------

ROUTES = [
    ("get", "/people/"),
    ("get", "/people/new"),
    ("post", "/people/new"),
    ("get", "/people/{id}/edit"),
    ("post", "/people/{id}/edit"),
    ("post", "/people/{id}/delete"),
    ("get", "/people/import"),
    ("post", "/people/import"),
    ("post", "/people/import/confirm"),
    ("get", "/people/import/template.xlsx"),
]


@pytest.mark.parametrize("role", [Role.SECRETARY, Role.CHAIR, Role.RESPONDER])
@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_other_staff_roles_are_refused(client, make_user, login, make_person, role, method, url):
    person = make_person(full_name="Trần Thị B")
    login(make_user(role))

    response = getattr(client, method)(url.format(id=person.id))

    assert response.status_code == 403
    db.session.refresh(person)
    assert person.full_name == "Trần Thị B"


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_anonymous_visitors_are_sent_to_sign_in(client, make_person, method, url):
    person = make_person()

    response = getattr(client, method)(url.format(id=person.id))

    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_administrator_may_use_the_directory(client, make_user, login, make_person):
    make_person(full_name="Trần Thị B")
    login(make_user(Role.ADMINISTRATOR))

    assert "Trần Thị B" in client.get("/people/").get_data(as_text=True)
    assert client.get("/people/new").status_code == 200
    assert client.get("/people/import").status_code == 200
