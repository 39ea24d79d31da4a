"""The administrator's pages for wards and their reference lists."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from dialogue.audit.models import AuditAction, AuditEvent
from dialogue.auth.models import Role
from dialogue.errors import ValidationFailed
from dialogue.extensions import db
from dialogue.wards import operations
from dialogue.wards.models import (
    DelegateCategory,
    ProcedureArea,
    ResidentialGroup,
    Unit,
    Ward,
    WardKind,
)
from dialogue.web import LOCALE_KEY

NON_ADMIN_ROLES = [Role.ORGANISER, Role.SECRETARY, Role.CHAIR, Role.RESPONDER]


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMINISTRATOR, username="quantri")


@pytest.fixture
def as_admin(admin, login, client):
    login(admin)
    # Messages are checked in English, whatever the Vietnamese catalogue says.
    with client.session_transaction() as session:
        session[LOCALE_KEY] = "en"
    return admin


def _text(response) -> str:
    return response.get_data(as_text=True)


def _group(ward, number, name=None, **values):
    group = operations.create_residential_group(
        ward, number=number, name=name or f"Tổ dân phố số {number}", **values
    )
    db.session.commit()
    return group


def _audit_rows(entity_type, action, entity_id):
    return db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.entity_type == entity_type,
            AuditEvent.action == action,
            AuditEvent.entity_id == entity_id,
        )
    ).all()


# Access ------------------------------------------------------------------------------------


def _protected_requests(ward, other_ward):
    group = _group(other_ward, 1)
    unit = operations.create_unit(other_ward, name="Văn phòng")
    db.session.commit()
    area = other_ward.procedure_areas[0]
    category = other_ward.delegate_categories[0]
    return [
        ("get", "/admin/wards"),
        ("get", "/admin/wards/new"),
        ("post", "/admin/wards/new"),
        ("get", f"/admin/wards/{other_ward.id}/edit"),
        ("post", f"/admin/wards/{other_ward.id}/edit"),
        ("get", "/admin/reference"),
        ("get", "/admin/reference/groups"),
        ("get", "/admin/reference/groups/new"),
        ("post", "/admin/reference/groups/generate"),
        ("get", f"/admin/reference/groups/{group.id}/edit"),
        ("post", f"/admin/reference/groups/{group.id}/delete"),
        ("get", "/admin/reference/units"),
        ("get", "/admin/reference/units/new"),
        ("get", f"/admin/reference/units/{unit.id}/edit"),
        ("get", "/admin/reference/areas"),
        ("get", "/admin/reference/areas/new"),
        ("get", f"/admin/reference/areas/{area.id}/edit"),
        ("get", "/admin/reference/categories"),
        ("get", "/admin/reference/categories/new"),
        ("get", f"/admin/reference/categories/{category.id}/edit"),
    ]


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_other_roles_are_refused(role, client, login, make_user, ward, other_ward):
    requests = _protected_requests(ward, other_ward)
    login(make_user(role))
    for method, url in requests:
        response = getattr(client, method)(url, data={"count": "3"})
        assert response.status_code == 403, (method, url)
    # Nothing was changed by the refused requests.
    assert db.session.scalar(sa.select(sa.func.count(ResidentialGroup.id))) == 1


def test_anonymous_is_sent_to_sign_in(client, ward, other_ward):
    for method, url in _protected_requests(ward, other_ward):
        response = getattr(client, method)(url)
        assert response.status_code == 302, (method, url)
        assert "/auth/login" in response.headers["Location"]


def test_unknown_records_answer_404(client, as_admin):
    for url in (
        "/admin/wards/999/edit",
        "/admin/reference/groups/999/edit",
        "/admin/reference/units/999/edit",
        "/admin/reference/areas/999/edit",
        "/admin/reference/categories/999/edit",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post("/admin/reference/groups/999/delete").status_code == 404


def test_delete_is_post_only(client, as_admin, ward):
    group = _group(ward, 1)
    assert client.get(f"/admin/reference/groups/{group.id}/delete").status_code == 405
    assert db.session.get(ResidentialGroup, group.id) is not None


def test_areas_and_categories_cannot_be_deleted(app):
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert not any("/areas/" in rule and "delete" in rule for rule in rules)
    assert not any("/categories/" in rule and "delete" in rule for rule in rules)


# Wards ---------------------------------------------------------------------------------------


def _ward_form(**overrides):
    values = {
        "name": "Long Biên",
        "kind": "phuong",
        "slug": "long-bien",
        "province": "Thành phố Hà Nội",
        "parent_agency": "",
        "place_name": "Long Biên",
        "issuer_code": "ubnd",
        "address": "Số 1 đường Nguyễn Văn A",
        "timezone": "Asia/Ho_Chi_Minh",
    }
    values.update(overrides)
    return values


def test_ward_list_shows_every_ward(client, as_admin, ward, other_ward):
    page = _text(client.get("/admin/wards"))
    assert "Phường Thạch Bàn" in page
    assert "Phường Phúc Lợi" in page
    assert f"/admin/wards/{other_ward.id}/edit" in page


def test_create_ward_with_its_own_reference_lists(client, as_admin, ward):
    response = client.post("/admin/wards/new", data=_ward_form(kind="xa", name="  Bát  Tràng "))
    assert response.status_code == 302
    created = db.session.scalar(sa.select(Ward).where(Ward.slug == "long-bien"))
    assert created.name == "Bát Tràng"
    assert created.kind is WardKind.COMMUNE
    assert created.issuer_code == "UBND"
    assert len(created.procedure_areas) == 26
    assert len(created.delegate_categories) == 15
    # Its own copies: not shared with the first ward.
    assert {area.ward_id for area in created.procedure_areas} == {created.id}
    assert "Xã Bát Tràng" in _text(client.get("/admin/wards"))


def test_duplicate_ward_slug_is_shown_beside_the_field(client, as_admin, ward):
    response = client.post("/admin/wards/new", data=_ward_form(slug="thach-ban", name="Tên Mới"))
    page = _text(response)
    assert response.status_code == 200
    assert 'id="slug-error"' in page
    assert "Another ward already uses this short name." in page
    assert 'value="Tên Mới"' in page
    assert db.session.scalar(sa.select(sa.func.count(Ward.id))) == 1


def test_bad_slug_and_time_zone_are_refused(client, as_admin, ward):
    response = client.post(
        "/admin/wards/new", data=_ward_form(slug="Long Biên", timezone="Mars/Olympus")
    )
    page = _text(response)
    assert 'id="slug-error"' in page
    assert 'id="timezone-error"' in page
    assert 'value="Mars/Olympus"' in page
    assert db.session.scalar(sa.select(sa.func.count(Ward.id))) == 1


def test_edit_and_deactivate_a_ward_is_audited(client, as_admin, ward, other_ward):
    data = _ward_form(name="Phúc Lợi Mới", slug="phuc-loi", place_name="Phúc Lợi")
    response = client.post(f"/admin/wards/{other_ward.id}/edit", data=data)  # is_active unticked
    assert response.status_code == 302
    db.session.expire_all()
    changed = db.session.get(Ward, other_ward.id)
    assert changed.name == "Phúc Lợi Mới"
    assert changed.is_active is False
    [event] = _audit_rows("wards", AuditAction.UPDATE, other_ward.id)
    assert event.changes["name"] == ["Phúc Lợi", "Phúc Lợi Mới"]
    assert event.changes["is_active"] == [True, False]
    assert event.user_id == as_admin.id
    assert event.ward_id == other_ward.id


def test_edit_ward_keeps_its_own_slug_but_refuses_anothers(client, as_admin, ward, other_ward):
    form = _ward_form(name="Thạch Bàn", slug="thach-ban", place_name="Thạch Bàn", is_active="y")
    assert client.post(f"/admin/wards/{ward.id}/edit", data=form).status_code == 302
    form["slug"] = "phuc-loi"
    response = client.post(f"/admin/wards/{ward.id}/edit", data=form)
    assert 'id="slug-error"' in _text(response)
    db.session.expire_all()
    assert db.session.get(Ward, ward.id).slug == "thach-ban"


def test_create_ward_operation_refuses_a_taken_slug(app, ward):
    with pytest.raises(ValidationFailed) as caught:
        operations.create_ward(name="Khác", slug=" THACH-BAN ")
    assert caught.value.field == "slug"


# Reference overview ------------------------------------------------------------------------


def test_reference_overview_counts_the_working_ward(client, as_admin, ward, other_ward):
    _group(ward, 1)
    _group(ward, 2)
    _group(other_ward, 1)
    ward.procedure_areas[0].is_active = False
    db.session.commit()
    page = _text(client.get("/admin/reference"))
    assert "/admin/reference/groups" in page
    # The counts come from the working ward only.
    assert "Groups: 2" in page
    assert "Active: 25" in page
    assert "Active: 15" in page
    client.post("/working-ward", data={"ward_id": other_ward.id})
    page = _text(client.get("/admin/reference"))
    assert "Groups: 1" in page
    assert "Active: 26" in page


# Residential groups ------------------------------------------------------------------------


def test_group_list_shows_the_working_ward_only(client, as_admin, ward, other_ward):
    _group(ward, 3, "Tổ dân phố số 3")
    _group(other_ward, 7, "Tổ dân phố số 7")
    page = _text(client.get("/admin/reference/groups"))
    assert "Tổ dân phố số 3" in page
    assert "Tổ dân phố số 7" not in page
    client.post("/working-ward", data={"ward_id": other_ward.id})
    page = _text(client.get("/admin/reference/groups"))
    assert "Tổ dân phố số 7" in page
    assert "Tổ dân phố số 3" not in page


def test_create_group_in_the_working_ward(client, as_admin, ward, other_ward):
    client.post("/working-ward", data={"ward_id": other_ward.id})
    response = client.post(
        "/admin/reference/groups/new",
        data={"number": "4", "name": " Tổ dân phố  số 4 ", "head_name": "Nguyễn Văn A"},
    )
    assert response.status_code == 302
    group = db.session.scalar(sa.select(ResidentialGroup))
    assert (group.ward_id, group.number, group.name, group.head_name) == (
        other_ward.id,
        4,
        "Tổ dân phố số 4",
        "Nguyễn Văn A",
    )


def test_duplicate_group_number_is_shown_beside_the_field(client, as_admin, ward, other_ward):
    _group(ward, 4)
    _group(other_ward, 5)  # the same number in another ward does not count
    response = client.post(
        "/admin/reference/groups/new",
        data={"number": "4", "name": "Tổ bốn", "head_name": "Trần Thị B"},
    )
    page = _text(response)
    assert response.status_code == 200
    assert 'id="number-error"' in page
    assert "already has a residential group number 4" in page
    assert 'value="Tổ bốn"' in page
    assert 'value="Trần Thị B"' in page
    assert 'value="4"' in page
    response = client.post("/admin/reference/groups/new", data={"number": "5", "name": "Tổ năm"})
    assert response.status_code == 302


def test_edit_group_and_refuse_a_taken_number(client, as_admin, ward):
    _group(ward, 1)
    second = _group(ward, 2)
    url = f"/admin/reference/groups/{second.id}/edit"
    response = client.post(url, data={"number": "1", "name": "Tổ hai", "head_name": ""})
    assert 'id="number-error"' in _text(response)
    response = client.post(url, data={"number": "2", "name": "Tổ hai", "head_name": "Lê Văn C"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ResidentialGroup, second.id).head_name == "Lê Văn C"


def test_generate_groups_skips_numbers_that_exist(client, as_admin, ward):
    _group(ward, 3, "Tổ số ba có tên riêng")
    response = client.post(
        "/admin/reference/groups/generate", data={"count": "15", "prefix": "Tổ dân phố số"}
    )
    assert response.status_code == 302
    groups = db.session.scalars(
        sa.select(ResidentialGroup)
        .where(ResidentialGroup.ward_id == ward.id)
        .order_by(ResidentialGroup.number)
    ).all()
    assert [g.number for g in groups] == list(range(1, 16))
    assert groups[0].name == "Tổ dân phố số 1"
    assert groups[14].name == "Tổ dân phố số 15"
    assert groups[2].name == "Tổ số ba có tên riêng"
    assert "Residential groups created: 14. Numbers that already existed, skipped: 1." in _text(
        client.get("/admin/reference/groups")
    )


def test_generate_groups_with_a_bad_count_keeps_the_input(client, as_admin, ward):
    response = client.post(
        "/admin/reference/groups/generate", data={"count": "0", "prefix": "Thôn"}
    )
    page = _text(response)
    assert response.status_code == 200
    assert 'id="count-error"' in page
    assert 'value="Thôn"' in page
    assert db.session.scalar(sa.select(sa.func.count(ResidentialGroup.id))) == 0


def test_generate_groups_operation(app, ward):
    operations.create_residential_group(ward, number=2, name="Tổ 2")
    created, skipped = operations.generate_residential_groups(ward, count=5, prefix="Thôn")
    assert [g.number for g in created] == [1, 3, 4, 5]
    assert [g.name for g in created][:2] == ["Thôn 1", "Thôn 3"]
    assert skipped == 1
    with pytest.raises(ValidationFailed):
        operations.generate_residential_groups(ward, count=0)


def test_delete_group_detaches_its_people(client, as_admin, ward, make_person):
    group = _group(ward, 1)
    group_id = group.id
    keep = _group(ward, 2)
    people = [make_person(residential_group=group) for _ in range(3)]
    other = make_person(residential_group=keep)
    response = client.post(f"/admin/reference/groups/{group_id}/delete", follow_redirects=True)
    page = _text(response)
    assert "People in the directory left without a residential group: 3." in page
    db.session.expire_all()
    assert db.session.get(ResidentialGroup, group_id) is None
    for person in people:
        assert person.residential_group_id is None
    assert other.residential_group_id == keep.id
    [event] = _audit_rows("residential_groups", AuditAction.DELETE, group_id)
    assert event.changes["number"] == [1, None]


def test_delete_group_operation_counts_people(app, ward, make_person):
    group = operations.create_residential_group(ward, number=9, name="Tổ 9")
    make_person(residential_group=group)
    assert operations.delete_residential_group(group) == 1
    empty = operations.create_residential_group(ward, number=10, name="Tổ 10")
    assert operations.delete_residential_group(empty) == 0


def test_admin_can_edit_another_wards_group(client, as_admin, ward, other_ward):
    group = _group(other_ward, 6)
    response = client.get(f"/admin/reference/groups/{group.id}/edit")
    assert response.status_code == 200
    assert "Tổ dân phố số 6" in _text(response)
    # Its number is checked against its own ward, not the working ward.
    _group(ward, 7)
    response = client.post(
        f"/admin/reference/groups/{group.id}/edit", data={"number": "7", "name": "Tổ bảy"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ResidentialGroup, group.id).number == 7


# Units ---------------------------------------------------------------------------------------


def test_units_create_duplicate_and_deactivate(client, as_admin, ward, other_ward):
    operations.create_unit(other_ward, name="Văn phòng HĐND và UBND")
    db.session.commit()
    data = {"name": "Văn phòng HĐND và UBND", "short_name": "VP", "head_name": "Phạm Văn D"}
    assert client.post("/admin/reference/units/new", data=data).status_code == 302
    response = client.post("/admin/reference/units/new", data={**data, "short_name": "VP2"})
    page = _text(response)
    assert 'id="name-error"' in page
    assert "already has a unit with this name" in page
    assert 'value="VP2"' in page
    unit = db.session.scalar(sa.select(Unit).where(Unit.ward_id == ward.id))
    assert unit.is_active is True
    response = client.post(
        f"/admin/reference/units/{unit.id}/edit",
        data={"name": "Văn phòng HĐND và UBND", "short_name": "VP", "head_name": "Phạm Văn E"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    unit = db.session.get(Unit, unit.id)
    assert unit.is_active is False
    assert unit.head_name == "Phạm Văn E"
    [event] = _audit_rows("units", AuditAction.UPDATE, unit.id)
    assert event.changes["head_name"] == ["Phạm Văn D", "Phạm Văn E"]
    assert event.changes["is_active"] == [True, False]
    page = _text(client.get("/admin/reference/units"))
    assert "Văn phòng HĐND và UBND" in page
    assert f"/admin/reference/units/{unit.id}/edit" in page


def _unit(ward, name="Công chức Tư pháp - Hộ tịch"):
    unit = operations.create_unit(ward, name=name)
    db.session.commit()
    return unit


def test_an_unused_unit_created_in_the_wrong_ward_is_moved(client, as_admin, ward, other_ward):
    unit = _unit(ward)
    page = _text(client.get(f"/admin/reference/units/{unit.id}/edit"))
    assert "Nothing refers to this unit yet" in page
    assert f'action="/admin/reference/units/{unit.id}/move"' in page
    response = client.post(
        f"/admin/reference/units/{unit.id}/move", data={"ward_id": other_ward.id}
    )
    assert response.status_code == 302
    assert "Unit Công chức Tư pháp - Hộ tịch moved to phường Phúc Lợi." in _text(
        client.get(response.headers["Location"])
    )
    db.session.expire_all()
    assert db.session.get(Unit, unit.id).ward_id == other_ward.id
    [event] = _audit_rows("units", AuditAction.UPDATE, unit.id)
    assert event.changes["ward_id"] == [ward.id, other_ward.id]
    # It is listed under its new ward only.
    assert "Công chức Tư pháp - Hộ tịch" not in _text(client.get("/admin/reference/units"))
    client.post("/working-ward", data={"ward_id": other_ward.id})
    assert "Công chức Tư pháp - Hộ tịch" in _text(client.get("/admin/reference/units"))


def test_a_unit_is_not_moved_onto_a_namesake_or_nowhere(client, as_admin, ward, other_ward):
    unit = _unit(ward)
    _unit(other_ward)
    url = f"/admin/reference/units/{unit.id}/move"
    response = client.post(url, data={"ward_id": other_ward.id})
    assert response.status_code == 400
    page = _text(response)
    assert "Phường Phúc Lợi already has a unit named Công chức Tư pháp - Hộ tịch." in page
    # The unit's own form still shows the unit.
    assert 'value="Công chức Tư pháp - Hộ tịch"' in page
    for bad in ("", "abc", str(ward.id)):
        assert client.post(url, data={"ward_id": bad}).status_code == 400
    assert client.post(url, data={"ward_id": "999999"}).status_code == 400
    db.session.expire_all()
    assert db.session.get(Unit, unit.id).ward_id == ward.id
    with pytest.raises(ValidationFailed):
        operations.move_unit(db.session.get(Unit, unit.id), ward)


def test_an_unused_unit_is_deleted(client, as_admin, ward):
    unit = _unit(ward)
    unit_id = unit.id
    response = client.post(f"/admin/reference/units/{unit_id}/delete", follow_redirects=True)
    assert "Unit Công chức Tư pháp - Hộ tịch deleted." in _text(response)
    db.session.expire_all()
    assert db.session.get(Unit, unit_id) is None
    [event] = _audit_rows("units", AuditAction.DELETE, unit_id)
    assert event.changes["name"] == ["Công chức Tư pháp - Hộ tịch", None]


def test_a_unit_in_use_is_neither_moved_nor_deleted(
    client, as_admin, ward, other_ward, make_conference, make_user
):
    from dialogue.conferences.models import ConclusionTask
    from dialogue.live.models import Turn

    unit = _unit(ward)
    conference = make_conference()
    db.session.add_all(
        [
            Turn(conference=conference, position=1, question="Hỏi", referral_unit=unit),
            Turn(conference=conference, position=2, question="Hỏi nữa", referral_unit=unit),
            ConclusionTask(conference=conference, content="Trả lời", unit=unit),
        ]
    )
    db.session.commit()
    make_user(Role.RESPONDER, unit=unit)
    assert operations.unit_uses(unit) == {"turns": 2, "conclusion_tasks": 1, "users": 1}
    uses = "speaking turns: 2; conclusion tasks: 1; staff accounts: 1"
    page = _text(client.get(f"/admin/reference/units/{unit.id}/edit"))
    assert f"This unit is in use ({uses}), so it can no longer be moved or deleted." in page
    assert "/move" not in page and "/delete" not in page
    response = client.post(
        f"/admin/reference/units/{unit.id}/move", data={"ward_id": other_ward.id}
    )
    assert response.status_code == 400
    assert f"Công chức Tư pháp - Hộ tịch is in use ({uses})" in _text(response)
    assert "Make it inactive instead" in _text(response)
    response = client.post(f"/admin/reference/units/{unit.id}/delete", follow_redirects=True)
    assert f"Công chức Tư pháp - Hộ tịch is in use ({uses})" in _text(response)
    db.session.expire_all()
    kept = db.session.get(Unit, unit.id)
    assert kept is not None and kept.ward_id == ward.id
    assert {t.referral_unit_id for t in db.session.scalars(sa.select(Turn))} == {unit.id}
    assert _audit_rows("units", AuditAction.DELETE, unit.id) == []


def test_the_working_ward_outlasts_the_session(app, client, as_admin, ward, other_ward, login):
    _group(other_ward, 7, "Tổ dân phố số 7")
    client.post("/working-ward", data={"ward_id": other_ward.id})
    client.post("/auth/logout")
    # Signed in again, on another device: still at work in the ward chosen last.
    again = app.test_client()
    again.post("/auth/login", data={"username": "quantri", "password": "correct horse battery"})
    page = _text(again.get("/admin/reference/groups"))
    assert "Tổ dân phố số 7" in page
    assert "Phường Phúc Lợi" in page
    db.session.expire_all()
    assert db.session.get(type(as_admin), as_admin.id).working_ward_id == other_ward.id


def test_each_administrator_has_a_working_ward_of_their_own(
    app, client, as_admin, ward, other_ward, make_user
):
    client.post("/working-ward", data={"ward_id": other_ward.id})
    colleague = make_user(Role.ADMINISTRATOR)
    theirs = app.test_client()
    theirs.post(
        "/auth/login", data={"username": colleague.username, "password": "correct horse battery"}
    )
    _group(ward, 3, "Tổ dân phố số 3")
    assert "Tổ dân phố số 3" in _text(theirs.get("/admin/reference/groups"))
    db.session.expire_all()
    assert db.session.get(type(as_admin), as_admin.id).working_ward_id == other_ward.id


# Procedure areas and delegate categories ---------------------------------------------------


def test_create_area_goes_last_with_an_upper_case_code(client, as_admin, ward):
    data = {"code": "gt", "name_vi": "Giao thông", "name_en": "Transport", "group_vi": "Kinh tế"}
    assert client.post("/admin/reference/areas/new", data=data).status_code == 302
    area = db.session.scalar(
        sa.select(ProcedureArea).where(ProcedureArea.ward_id == ward.id, ProcedureArea.code == "GT")
    )
    assert area.position == 270  # after the 26 seeded areas
    assert area.is_active


def test_duplicate_area_code_is_shown_beside_the_field(client, as_admin, ward):
    response = client.post(
        "/admin/reference/areas/new", data={"code": "ht", "name_vi": "Hộ tịch mới", "position": "5"}
    )
    page = _text(response)
    assert response.status_code == 200
    assert 'id="code-error"' in page
    assert "code HT" in page
    assert 'value="Hộ tịch mới"' in page
    assert 'value="5"' in page


def test_deactivate_area(client, as_admin, ward):
    area = ward.procedure_areas[0]
    response = client.post(
        f"/admin/reference/areas/{area.id}/edit",
        data={"code": area.code, "name_vi": area.name_vi, "position": "15"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    area = db.session.get(ProcedureArea, area.id)
    assert area.is_active is False
    assert area.position == 15
    assert "status-inactive" in _text(client.get("/admin/reference/areas"))


def test_categories_create_duplicate_and_edit(client, as_admin, ward):
    response = client.post(
        "/admin/reference/categories/new",
        data={"code": "MTTQ", "name_vi": "Mặt trận", "name_en": "Front"},
    )
    page = _text(response)
    assert 'id="code-error"' in page
    assert 'value="Mặt trận"' in page
    response = client.post(
        "/admin/reference/categories/new", data={"code": "ctv", "name_vi": "Cộng tác viên"}
    )
    assert response.status_code == 302
    category = db.session.scalar(sa.select(DelegateCategory).where(DelegateCategory.code == "CTV"))
    assert category.ward_id == ward.id
    assert category.position == 160
    response = client.post(
        f"/admin/reference/categories/{category.id}/edit",
        data={"code": "CTV", "name_vi": "Cộng tác viên dư luận", "is_active": "y"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    category = db.session.get(DelegateCategory, category.id)
    assert category.name_vi == "Cộng tác viên dư luận"
    assert category.is_active is True
    assert category.position == 160  # an empty position keeps the old one
    page = _text(client.get("/admin/reference/categories"))
    assert "Cộng tác viên dư luận" in page
