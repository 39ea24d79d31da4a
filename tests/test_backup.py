"""Backup then restore gives back exactly the same table contents, on SQLite and PostgreSQL."""

import shutil

import pytest
import sqlalchemy as sa
from flask import Flask

from dialogue.demo.seed import load_demo
from dialogue.extensions import db
from dialogue.ops.backup import BackupError, backup_database, libpq_parameters, restore_database
from dialogue.people.models import Person
from dialogue.wards.models import Ward
from tests.conftest import require_service


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def demo(app):
    ward = load_demo("demo-password-1", with_history=False)
    db.session.commit()
    return ward


@pytest.fixture
def needs_client_programs(is_postgres):
    if is_postgres:
        require_service(
            shutil.which("pg_dump") is not None and shutil.which("pg_restore") is not None,
            "pg_dump and pg_restore are not installed",
        )


def table_contents() -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    db.session.remove()
    contents = {}
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            stmt = sa.select(table).order_by(*table.primary_key.columns)
            contents[table.name] = [tuple(row) for row in connection.execute(stmt)]
    return contents


def _change_everything_a_little():
    person = db.session.scalar(sa.select(Person).order_by(Person.id).limit(1))
    db.session.delete(person)
    ward = db.session.scalar(sa.select(Ward))
    ward.name = "Đổi Tên"
    db.session.add(Person(ward=ward, full_name="Vũ Thị E9"))
    db.session.commit()


def test_backup_then_restore_gives_identical_tables(runner, demo, tmp_path, needs_client_programs):
    before = table_contents()
    assert len(before["people"]) > 100 and before["audit_events"]
    path = tmp_path / "dialogue.backup"

    result = runner.invoke(args=["dialogue", "backup", str(path)])
    assert result.exit_code == 0, result.output
    assert str(path) in result.output and path.stat().st_size > 0

    _change_everything_a_little()
    assert table_contents() != before

    result = runner.invoke(args=["dialogue", "restore", str(path), "--yes"])
    assert result.exit_code == 0, result.output
    assert table_contents() == before

    # The database works on after a restore: new rows get fresh ids.
    db.session.add(Person(ward=db.session.scalar(sa.select(Ward)), full_name="Bùi Văn H9"))
    db.session.commit()
    assert len(table_contents()["people"]) == len(before["people"]) + 1


def test_backup_functions_take_an_app(app, demo, tmp_path, needs_client_programs):
    before = table_contents()
    path = backup_database(app, tmp_path / "snapshot")
    _change_everything_a_little()
    db.session.remove()
    restore_database(app, path)
    assert table_contents() == before


def test_restore_asks_for_confirmation(runner, demo, tmp_path, needs_client_programs):
    path = tmp_path / "dialogue.backup"
    assert runner.invoke(args=["dialogue", "backup", str(path)]).exit_code == 0
    _change_everything_a_little()
    changed = table_contents()
    result = runner.invoke(args=["dialogue", "restore", str(path)], input="n\n")
    assert result.exit_code != 0
    assert table_contents() == changed


def test_backup_refuses_to_overwrite_unless_forced(runner, app, tmp_path, needs_client_programs):
    path = tmp_path / "dialogue.backup"
    path.write_bytes(b"keep me")
    result = runner.invoke(args=["dialogue", "backup", str(path)])
    assert result.exit_code != 0 and "exists already" in result.output
    assert path.read_bytes() == b"keep me"
    result = runner.invoke(args=["dialogue", "backup", str(path), "--force"])
    assert result.exit_code == 0, result.output
    assert path.read_bytes() != b"keep me"


def test_restore_refuses_a_file_that_is_no_backup(runner, demo, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a backup")
    before = table_contents()
    result = runner.invoke(args=["dialogue", "restore", str(path), "--yes"])
    assert result.exit_code != 0
    assert "is not" in result.output and "backup" in result.output
    assert "Traceback" not in result.output
    assert table_contents() == before


def test_restore_of_a_missing_file(runner, app, tmp_path):
    result = runner.invoke(args=["dialogue", "restore", str(tmp_path / "missing"), "--yes"])
    assert result.exit_code != 0 and "no backup file" in result.output


def _pg_app(**config) -> Flask:
    app = Flask(__name__)
    app.config.update(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://u:s3cret@127.0.0.1:1/dialogue")
    app.config.update(config)
    return app


def test_a_missing_pg_dump_is_a_clear_message(tmp_path):
    app = _pg_app(DIALOGUE_PG_DUMP="/nonexistent/bin/pg_dump")
    with pytest.raises(BackupError, match=r"pg_dump was not found.*DIALOGUE_PG_DUMP"):
        backup_database(app, tmp_path / "x.dump")
    assert list(tmp_path.iterdir()) == []


def test_pg_restore_is_looked_for_beside_pg_dump(tmp_path):
    path = tmp_path / "x.dump"
    path.write_bytes(b"PGDMP fake")
    app = _pg_app(DIALOGUE_PG_DUMP="/nonexistent/bin/pg_dump")
    with pytest.raises(BackupError, match="/nonexistent/bin/pg_restore was not found"):
        restore_database(app, path)
    app = _pg_app(
        DIALOGUE_PG_DUMP="/nonexistent/bin/pg_dump", DIALOGUE_PG_RESTORE="/other/pg_restore"
    )
    with pytest.raises(BackupError, match="/other/pg_restore was not found"):
        restore_database(app, path)


def test_a_failing_pg_dump_leaves_no_file(tmp_path):
    require_service(shutil.which("pg_dump") is not None, "pg_dump is not installed")
    app = _pg_app(DIALOGUE_PG_DUMP=shutil.which("pg_dump"))
    with pytest.raises(BackupError, match="pg_dump failed"):
        backup_database(app, tmp_path / "x.dump")
    assert list(tmp_path.iterdir()) == []


def test_libpq_parameters_keep_the_password_off_the_command_line():
    url = sa.engine.make_url(
        "postgresql+psycopg://dialogue:p%40ss'w@db.example:6543/ward?sslmode=require"
    )
    conninfo, env = libpq_parameters(url)
    assert "host='db.example'" in conninfo and "port='6543'" in conninfo
    assert "user='dialogue'" in conninfo and "dbname='ward'" in conninfo
    assert "sslmode='require'" in conninfo
    assert "p@ss" not in conninfo
    assert env == {"PGPASSWORD": "p@ss'w"}


def test_a_relative_sqlite_path_is_the_one_the_application_uses(tmp_path):
    from dialogue import create_app

    instance = tmp_path / "instance"
    app = create_app(
        {
            "SECRET_KEY": "x",
            "INSTANCE_PATH": str(instance),
            "SQLALCHEMY_DATABASE_URI": "sqlite:///relative.sqlite3",
        }
    )
    with app.app_context():
        db.create_all()
        db.session.add(Ward(name="Thử", slug="thu", place_name="Thử"))
        db.session.commit()
        path = backup_database(app, tmp_path / "copy.sqlite3")
        db.engine.dispose()
    assert (instance / "relative.sqlite3").is_file()
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT slug FROM wards")).scalar_one() == "thu"
    engine.dispose()
