"""The administrator's pages for staff accounts."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from dialogue.accounts import operations
from dialogue.audit.models import AuditAction, AuditEvent
from dialogue.auth.models import Role, User
from dialogue.auth.operations import authenticate
from dialogue.errors import PermissionDenied, ValidationFailed
from dialogue.extensions import db
from dialogue.wards.models import Unit
from dialogue.wards.operations import create_unit
from dialogue.web import LOCALE_KEY

PASSWORD = "correct horse battery"  # the password the make_user fixture gives
NEW_PASSWORD = "a brand new secret"
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


@pytest.fixture
def unit(ward):
    unit = create_unit(ward, name="Văn phòng HĐND và UBND", short_name="VP")
    db.session.commit()
    return unit


@pytest.fixture
def other_unit(other_ward):
    unit = create_unit(other_ward, name="Công an phường Phúc Lợi")
    db.session.commit()
    return unit


def _text(response) -> str:
    return response.get_data(as_text=True)


def _signed_in_client(app, user, password=PASSWORD):
    """A second browser, signed in as ``user``."""
    browser = app.test_client()
    response = browser.post("/auth/login", data={"username": user.username, "password": password})
    assert response.status_code == 302
    assert browser.get("/auth/password").status_code == 200
    return browser


def _is_signed_out(browser) -> bool:
    response = browser.get("/auth/password")
    return response.status_code == 302 and "/auth/login" in response.headers["Location"]


def _account_form(ward, **overrides):
    values = {
        "username": "thuky.2",
        "display_name": "Lê Thị C",
        "role": "secretary",
        "ward_id": str(ward.id),
        "unit_id": "",
        "password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD,
    }
    values.update(overrides)
    return values


def _account(username):
    return db.session.scalar(sa.select(User).where(User.username == username))


# Access ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_other_roles_are_refused(role, client, login, make_user, ward, other_ward):
    target = make_user(Role.SECRETARY, ward=other_ward)
    user = make_user(role)
    login(user)
    for method, url in [
        ("get", "/admin/accounts"),
        ("get", "/admin/accounts/new"),
        ("post", "/admin/accounts/new"),
        ("get", f"/admin/accounts/{target.id}/edit"),
        ("post", f"/admin/accounts/{target.id}/edit"),
        ("get", f"/admin/accounts/{user.id}/edit"),
        ("get", f"/admin/accounts/{target.id}/password"),
        ("post", f"/admin/accounts/{target.id}/password"),
    ]:
        data = {"display_name": "X", "role": "administrator", "password": NEW_PASSWORD}
        assert getattr(client, method)(url, data=data).status_code == 403, (method, url)
    db.session.expire_all()
    assert db.session.get(User, user.id).role is Role(role)


def test_anonymous_is_sent_to_sign_in(client, make_user):
    target = make_user()
    for url in ("/admin/accounts", "/admin/accounts/new", f"/admin/accounts/{target.id}/edit"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/auth/login" in response.headers["Location"]


def test_unknown_account_answers_404(client, as_admin):
    assert client.get("/admin/accounts/999/edit").status_code == 404
    assert client.get("/admin/accounts/999/password").status_code == 404


# List ----------------------------------------------------------------------------------------


def test_list_shows_the_working_wards_accounts(client, as_admin, make_user, unit, other_ward):
    make_user(Role.RESPONDER, username="traloi.vp", unit=unit, display_name="Phạm Văn D")
    make_user(Role.CHAIR, username="chutich.pl", ward=other_ward)
    page = _text(client.get("/admin/accounts"))
    assert "traloi.vp" in page
    assert "Phạm Văn D" in page
    assert "Responder" in page
    assert "Văn phòng HĐND và UBND" in page
    assert "chutich.pl" not in page
    client.post("/working-ward", data={"ward_id": other_ward.id})
    page = _text(client.get("/admin/accounts"))
    assert "chutich.pl" in page
    assert "traloi.vp" not in page


def test_list_shows_the_last_sign_in_in_local_time(client, as_admin, make_user):
    make_user(Role.CHAIR, username="chutich")
    db.session.expire_all()
    stamp = db.session.get(User, as_admin.id).last_login_dt
    assert stamp is not None
    page = _text(client.get("/admin/accounts"))
    assert stamp.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y %H:%M") in page
    assert "Never" in page


# Create --------------------------------------------------------------------------------------


def test_create_account(client, as_admin, ward, unit):
    data = _account_form(ward, username="  TraLoi.VP-1 ", role="responder", unit_id=str(unit.id))
    response = client.post("/admin/accounts/new", data=data)
    assert response.status_code == 302
    user = _account("traloi.vp-1")
    assert user.role is Role.RESPONDER
    assert user.ward_id == ward.id
    assert user.unit_id == unit.id
    assert user.display_name == "Lê Thị C"
    assert authenticate("TRALOI.VP-1", NEW_PASSWORD) == user
    [event] = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.entity_type == "users", AuditEvent.action == AuditAction.CREATE)
        .where(AuditEvent.entity_id == user.id)
    ).all()
    assert event.changes["password_hash"] == [None, "***"]
    assert event.actor == as_admin.username


def test_duplicate_username_is_shown_beside_the_field(client, as_admin, ward, make_user):
    make_user(Role.SECRETARY, username="thuky")
    response = client.post(
        "/admin/accounts/new", data=_account_form(ward, username="ThuKy", display_name="Đỗ Văn E")
    )
    page = _text(response)
    assert response.status_code == 200
    assert 'id="username-error"' in page
    assert "The username thuky is taken." in page
    assert 'value="thuky"' in page
    assert 'value="Đỗ Văn E"' in page
    assert '<option selected value="secretary">' in page or 'value="secretary" selected' in page
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 2


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("username", {"username": "nguyễn văn a"}),
        ("username", {"username": ""}),
        ("password", {"password": "short", "confirm_password": "short"}),
        ("confirm_password", {"confirm_password": "something else entirely"}),
        ("display_name", {"display_name": "  "}),
        ("role", {"role": "superuser"}),
    ],
)
def test_bad_input_is_shown_beside_its_field(client, as_admin, ward, field, overrides):
    response = client.post("/admin/accounts/new", data=_account_form(ward, **overrides))
    assert response.status_code == 200
    assert f'id="{field}-error"' in _text(response)
    assert _account("thuky.2") is None


def test_unit_must_belong_to_the_chosen_ward(client, as_admin, ward, unit, other_unit):
    response = client.post(
        "/admin/accounts/new", data=_account_form(ward, unit_id=str(other_unit.id))
    )
    page = _text(response)
    assert 'id="unit_id-error"' in page
    assert "Choose a unit of the chosen ward." in page
    assert _account("thuky.2") is None


def test_show_the_units_of_another_ward_keeps_the_input(
    client, as_admin, ward, other_ward, unit, other_unit
):
    page = _text(client.get("/admin/accounts/new"))
    assert "Văn phòng HĐND và UBND" in page
    assert "Công an phường Phúc Lợi" not in page
    data = _account_form(ward, ward_id=str(other_ward.id), show_units="1", display_name="Đỗ Văn E")
    response = client.post("/admin/accounts/new", data=data)
    page = _text(response)
    assert response.status_code == 200
    assert "Công an phường Phúc Lợi" in page
    assert "Văn phòng HĐND và UBND" not in page
    assert 'value="Đỗ Văn E"' in page
    assert 'class="error"' not in page
    assert "form-errors" not in page
    assert _account("thuky.2") is None
    data = _account_form(ward, ward_id=str(other_ward.id), unit_id=str(other_unit.id))
    assert client.post("/admin/accounts/new", data=data).status_code == 302
    user = _account("thuky.2")
    assert (user.ward_id, user.unit_id) == (other_ward.id, other_unit.id)


def test_create_account_operation(app, ward, other_unit):
    with pytest.raises(ValidationFailed) as caught:
        operations.create_account(
            ward=ward, username="x y", display_name="X", password=NEW_PASSWORD, role=Role.CHAIR
        )
    assert caught.value.field == "username"
    with pytest.raises(ValidationFailed) as caught:
        operations.create_account(
            ward=ward,
            username="chair",
            display_name="X",
            password=NEW_PASSWORD,
            role=Role.CHAIR,
            unit=other_unit,
        )
    assert caught.value.field == "unit_id"


# Edit ----------------------------------------------------------------------------------------


def test_edit_account_is_audited_with_before_and_after(client, as_admin, make_user, unit):
    user = make_user(Role.SECRETARY, display_name="Lê Thị C")
    response = client.post(
        f"/admin/accounts/{user.id}/edit",
        data={
            "display_name": "Lê Thị Cúc",
            "role": "responder",
            "unit_id": str(unit.id),
            "is_active": "y",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert (user.display_name, user.role, user.unit_id) == ("Lê Thị Cúc", Role.RESPONDER, unit.id)
    [event] = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.entity_type == "users",
            AuditEvent.action == AuditAction.UPDATE,
            AuditEvent.entity_id == user.id,
        )
    ).all()
    assert event.changes["display_name"] == ["Lê Thị C", "Lê Thị Cúc"]
    assert event.changes["role"] == ["secretary", "responder"]
    assert event.changes["unit_id"] == [None, unit.id]
    assert "login_token" not in event.changes
    assert event.user_id == as_admin.id


def test_a_responder_answers_for_other_units_and_gets_notices_by_mail(
    client, as_admin, make_user, unit, ward
):
    other = Unit(ward=ward, name="Công chức Tư pháp - Hộ tịch")
    db.session.add(other)
    db.session.commit()
    user = make_user(Role.RESPONDER, unit=unit)
    data = {"display_name": user.display_name, "role": "responder", "unit_id": str(unit.id)}
    response = client.post(
        f"/admin/accounts/{user.id}/edit",
        data={
            **data,
            "extra_unit_ids": [str(other.id)],
            "email": "khong-phai-thu",
            "is_active": "y",
        },
    )
    assert response.status_code == 200 and 'id="email-error"' in _text(response)
    response = client.post(
        f"/admin/accounts/{user.id}/edit",
        data={
            **data,
            "extra_unit_ids": [str(other.id)],
            "email": " tp@thachban.example.vn ",
            "is_active": "y",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.units == [unit, other] and user.email == "tp@thachban.example.vn"


def test_edit_form_shows_the_current_values(client, as_admin, make_user, unit):
    user = make_user(Role.RESPONDER, display_name="Phạm Văn D", unit=unit)
    page = _text(client.get(f"/admin/accounts/{user.id}/edit"))
    assert 'value="Phạm Văn D"' in page
    assert f'<option selected value="{unit.id}">' in page or f'value="{unit.id}" selected' in page


def test_deactivation_signs_the_user_out_everywhere(app, client, as_admin, make_user):
    user = make_user(Role.SECRETARY)
    old_token = user.login_token
    browser = _signed_in_client(app, user)
    response = client.post(
        f"/admin/accounts/{user.id}/edit",
        data={"display_name": user.display_name, "role": "secretary", "unit_id": ""},
    )
    assert response.status_code == 302
    assert _is_signed_out(browser)
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.is_active is False
    assert user.login_token != old_token
    # Reactivating the account does not bring the old session back.
    client.post(
        f"/admin/accounts/{user.id}/edit",
        data={"display_name": user.display_name, "role": "secretary", "is_active": "y"},
    )
    db.session.expire_all()
    assert db.session.get(User, user.id).is_active is True
    assert _is_signed_out(browser)
    assert _signed_in_client(app, user)


def test_an_edit_that_keeps_the_account_active_keeps_its_sessions(app, client, as_admin, make_user):
    user = make_user(Role.SECRETARY)
    browser = _signed_in_client(app, user)
    client.post(
        f"/admin/accounts/{user.id}/edit",
        data={"display_name": "Tên mới", "role": "secretary", "is_active": "y"},
    )
    assert not _is_signed_out(browser)


def test_an_administrator_cannot_lock_themselves_out(client, as_admin):
    url = f"/admin/accounts/{as_admin.id}/edit"
    response = client.post(url, data={"display_name": "Quản trị", "role": "administrator"})
    page = _text(response)
    assert response.status_code == 200
    assert 'id="is_active-error"' in page
    assert "You cannot deactivate your own account." in page
    assert 'value="Quản trị"' in page
    response = client.post(
        url, data={"display_name": "Quản trị", "role": "organiser", "is_active": "y"}
    )
    page = _text(response)
    assert 'id="role-error"' in page
    assert "You cannot remove your own administrator role." in page
    db.session.expire_all()
    admin = db.session.get(User, as_admin.id)
    assert (admin.is_active, admin.role, admin.display_name) == (
        True,
        Role.ADMINISTRATOR,
        as_admin.display_name,
    )
    # Still signed in, and still an administrator.
    assert client.get("/admin/accounts").status_code == 200


def test_update_account_operation_protects_the_actor(app, make_user, other_unit):
    admin = make_user(Role.ADMINISTRATOR)
    with pytest.raises(PermissionDenied):
        operations.update_account(
            admin, actor=admin, display_name="A", role=Role.CHAIR, unit=None, is_active=True
        )
    other = make_user(Role.ADMINISTRATOR)
    operations.update_account(
        other, actor=admin, display_name="B", role=Role.CHAIR, unit=None, is_active=True
    )
    assert other.role is Role.CHAIR
    with pytest.raises(ValidationFailed):
        operations.update_account(
            other, actor=admin, display_name="B", role=Role.CHAIR, unit=other_unit, is_active=True
        )


def test_admin_can_edit_an_account_of_another_ward(
    client, as_admin, make_user, other_ward, other_unit
):
    user = make_user(Role.RESPONDER, ward=other_ward)
    page = _text(client.get(f"/admin/accounts/{user.id}/edit"))
    assert "Công an phường Phúc Lợi" in page
    response = client.post(
        f"/admin/accounts/{user.id}/edit",
        data={
            "display_name": user.display_name,
            "role": "responder",
            "unit_id": str(other_unit.id),
            "is_active": "y",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).unit_id == other_unit.id


# Password ------------------------------------------------------------------------------------


def test_reset_password_signs_the_user_out(app, client, as_admin, make_user):
    user = make_user(Role.CHAIR)
    browser = _signed_in_client(app, user)
    response = client.post(
        f"/admin/accounts/{user.id}/password",
        data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert _is_signed_out(browser)
    db.session.expire_all()
    assert authenticate(user.username, PASSWORD) is None
    assert authenticate(user.username, NEW_PASSWORD) is not None


def test_reset_password_refuses_short_or_differing_passwords(client, as_admin, make_user):
    user = make_user(Role.CHAIR)
    url = f"/admin/accounts/{user.id}/password"
    page = _text(client.post(url, data={"password": "short", "confirm_password": "short"}))
    assert 'id="password-error"' in page
    page = _text(
        client.post(url, data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD + "!"})
    )
    assert 'id="confirm_password-error"' in page
    db.session.expire_all()
    assert authenticate(user.username, PASSWORD) is not None


def test_an_administrator_resetting_their_own_password_stays_signed_in(client, as_admin):
    response = client.post(
        f"/admin/accounts/{as_admin.id}/password",
        data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert client.get("/admin/accounts").status_code == 200
    db.session.expire_all()
    assert authenticate(as_admin.username, NEW_PASSWORD) is not None
