"""The administration commands, through Flask's CLI runner."""

import re

import pytest
import sqlalchemy as sa

from dialogue.audit.models import AuditEvent
from dialogue.auth.models import Role, User
from dialogue.conferences.models import Conference
from dialogue.extensions import db
from dialogue.people.models import Person
from dialogue.wards.models import Ward


@pytest.fixture
def app_config(app_config):
    # Messages are checked in English, whatever the default language of the deployment.
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


def _count(model, *where):
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _user(username):
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.username == username))


def test_seed_demo_prints_a_generated_password_that_signs_in(runner, client):
    result = runner.invoke(args=["dialogue", "seed-demo"])
    assert result.exit_code == 0, result.output
    assert "Thạch Bàn" in result.output
    for username in ("admin", "organiser", "secretary", "chair", "responder"):
        assert username in result.output
    password = re.search(r"Password: (\S+)", result.output).group(1)
    assert len(password) >= 12
    # Thạch Bàn and the two wards of its history (dialogue.demo.history).
    assert _count(Ward) == 3 and _count(Person) >= 110 and _count(Conference) > 3
    assert _count(User) == 14 and "14 staff accounts" in result.output
    response = client.post("/auth/login", data={"username": "chair", "password": password})
    assert response.status_code == 302


def test_seed_demo_without_history_loads_thach_ban_and_its_three_conferences(runner):
    result = runner.invoke(args=["dialogue", "seed-demo", "--without-history"])
    assert result.exit_code == 0, result.output
    assert _count(Ward) == 1 and _count(Person) >= 110 and _count(Conference) == 3
    # The accounts it made, and those only: Thạch Bàn's five and the city's officer.
    assert _count(User) == 6 and "6 staff accounts" in result.output
    assert "Demo logins: admin, organiser, secretary, chair, responder, city\n" in result.output
    assert "Password: " in result.output


def test_seed_demo_uses_the_configured_password_without_printing_it(app, runner):
    app.config["DIALOGUE_DEMO_PASSWORD"] = "configured-demo-password"
    result = runner.invoke(args=["dialogue", "seed-demo", "--without-history"])
    assert result.exit_code == 0, result.output
    assert "configured-demo-password" not in result.output
    assert "DIALOGUE_DEMO_PASSWORD" in result.output
    assert _user("secretary").check_password("configured-demo-password")


def test_seed_demo_if_empty_twice_loads_once(runner):
    first = runner.invoke(args=["dialogue", "seed-demo", "--if-empty", "--without-history"])
    assert first.exit_code == 0, first.output
    people = _count(Person)
    second = runner.invoke(args=["dialogue", "seed-demo", "--if-empty"])
    assert second.exit_code == 0, second.output
    assert "not loaded" in second.output and "Password" not in second.output
    assert _count(Ward) == 1 and _count(Person) == people and _count(User) == 6


def test_seed_demo_if_empty_leaves_an_existing_ward_alone(runner, other_ward):
    result = runner.invoke(args=["dialogue", "seed-demo", "--if-empty"])
    assert result.exit_code == 0
    assert _count(Ward) == 1


def test_seed_demo_twice_without_if_empty_fails_cleanly(runner):
    assert runner.invoke(args=["dialogue", "seed-demo", "--without-history"]).exit_code == 0
    result = runner.invoke(args=["dialogue", "seed-demo", "--without-history"])
    assert result.exit_code != 0
    assert "exists already" in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
    assert _count(Ward) == 1


def test_the_audit_log_names_the_command(runner):
    runner.invoke(args=["dialogue", "seed-demo", "--without-history"])
    actors = set(db.session.scalars(sa.select(AuditEvent.actor).distinct()))
    assert actors == {"cli:seed-demo"}


def test_the_command_actor_does_not_outlive_the_command(runner, make_person):
    runner.invoke(args=["dialogue", "seed-demo", "--if-empty", "--without-history"])
    person = make_person()
    actor = db.session.scalar(
        sa.select(AuditEvent.actor).where(
            AuditEvent.entity_type == "people", AuditEvent.entity_id == person.id
        )
    )
    assert actor == "system"


def test_create_user_with_password_from_stdin(runner, ward):
    result = runner.invoke(
        args=[
            "dialogue",
            "create-user",
            "ThuKy02",
            "--role",
            "secretary",
            "--ward",
            "thach-ban",
            "--name",
            "Trần Thị B",
            "--password-stdin",
        ],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "thuky02" in result.output
    user = _user("thuky02")
    assert (
        user.role is Role.SECRETARY
        and user.ward_id == ward.id
        and user.display_name == "Trần Thị B"
    )
    assert user.check_password("a long enough password")
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.entity_type == "users"))
    assert event.actor == "cli:create-user"
    assert "a long enough password" not in str(event.changes)


def test_create_user_asks_for_the_password_twice(runner, ward):
    result = runner.invoke(
        args=[
            "dialogue",
            "create-user",
            "chutoa",
            "--role",
            "chair",
            "--ward",
            "thach-ban",
            "--name",
            "Lê Văn C",
        ],
        input="first password 1\nsecond password 2\nsame password 3\nsame password 3\n",
    )
    assert result.exit_code == 0, result.output
    assert "same password 3" not in result.output
    assert _user("chutoa").check_password("same password 3")


def test_create_user_with_a_unit(runner, ward):
    from dialogue.wards.models import Unit

    ward.units.append(Unit(name="Công chức Địa chính - Xây dựng"))
    db.session.commit()
    result = runner.invoke(
        args=[
            "dialogue",
            "create-user",
            "dcxd",
            "--role",
            "responder",
            "--ward",
            "thach-ban",
            "--name",
            "Phạm Thị D",
            "--unit",
            "Công chức Địa chính - Xây dựng",
            "--password-stdin",
        ],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert _user("dcxd").unit.name == "Công chức Địa chính - Xây dựng"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ["Dup", "--role", "organiser", "--ward", "thach-ban", "--name", "X"],
            "a long enough password\n",
            "is taken",
        ),
        (
            ["newuser", "--role", "organiser", "--ward", "nowhere", "--name", "X"],
            "a long enough password\n",
            "no ward",
        ),
        (
            ["newuser", "--role", "organiser", "--ward", "thach-ban", "--name", "X"],
            "short\n",
            "at least 10",
        ),
        (
            ["new user", "--role", "organiser", "--ward", "thach-ban", "--name", "X"],
            "a long enough password\n",
            "without spaces",
        ),
        (
            [
                "newuser",
                "--role",
                "organiser",
                "--ward",
                "thach-ban",
                "--name",
                "X",
                "--unit",
                "Nowhere",
            ],
            "a long enough password\n",
            "no unit",
        ),
        (
            ["newuser", "--role", "king", "--ward", "thach-ban", "--name", "X"],
            "a long enough password\n",
            "king",
        ),
    ],
)
def test_create_user_errors_are_messages(runner, make_user, args, stdin, message):
    make_user(username="dup")
    users = _count(User)
    result = runner.invoke(args=["dialogue", "create-user", *args, "--password-stdin"], input=stdin)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
    assert _count(User) == users


def test_create_ward_gives_it_its_reference_lists(runner):
    result = runner.invoke(
        args=[
            "dialogue",
            "create-ward",
            "cu-khoi",
            "--name",
            "Cự Khối",
            "--province",
            "Thành phố Hà Nội",
        ]
    )
    assert result.exit_code == 0, result.output
    ward = db.session.scalar(sa.select(Ward).where(Ward.slug == "cu-khoi"))
    assert ward.display_name == "Phường Cự Khối"
    assert len(ward.procedure_areas) == 26 and len(ward.delegate_categories) == 15
    again = runner.invoke(args=["dialogue", "create-ward", "cu-khoi", "--name", "Cự Khối"])
    assert again.exit_code == 1 and "Traceback" not in again.output
