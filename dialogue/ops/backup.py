"""Backups and restores of the whole database, taken while the application runs.

SQLite: the online backup API, which copies a consistent snapshot page by page while others
keep reading and writing. PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore``.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask_babel import gettext as _

from dialogue.errors import DialogueError

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"


class BackupError(DialogueError):
    """A backup or a restore could not be made."""


@dataclass(frozen=True)
class Target:
    """Where the database is and which client programs reach it."""

    url: sa.engine.URL
    pg_dump: str = "pg_dump"
    pg_restore: str = "pg_restore"

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.url.get_backend_name() == "postgresql"


def _target(app_or_url: Flask | str | sa.engine.URL) -> Target:
    if isinstance(app_or_url, Flask):
        config = app_or_url.config
        pg_dump = config.get("DIALOGUE_PG_DUMP") or "pg_dump"
        return Target(
            url=_app_database_url(app_or_url),
            pg_dump=pg_dump,
            pg_restore=config.get("DIALOGUE_PG_RESTORE") or _sibling(pg_dump, "pg_restore"),
        )
    return Target(url=sa.engine.make_url(app_or_url))


def _app_database_url(app: Flask) -> sa.engine.URL:
    """Return the URL the application really uses (Flask-SQLAlchemy anchors relative SQLite paths)."""
    if "sqlalchemy" in app.extensions:
        from dialogue.extensions import db

        with app.app_context():
            return db.engine.url
    return sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])


def _sibling(program: str, name: str) -> str:
    """Return ``name`` in the directory of ``program`` when that is a path, else ``name``."""
    directory = os.path.dirname(program)
    return os.path.join(directory, name) if directory else name


def _dispose_engine(app_or_url) -> None:
    """Close the application's pooled connections, which may hold cached statements."""
    if isinstance(app_or_url, Flask) and "sqlalchemy" in app_or_url.extensions:
        from dialogue.extensions import db

        with app_or_url.app_context():
            db.engine.dispose()


def backup_database(
    app_or_url: Flask | str, path: str | os.PathLike, *, overwrite: bool = False
) -> Path:
    """Write a consistent snapshot of the database to ``path`` and return the path."""
    target = _target(app_or_url)
    path = Path(path).expanduser().resolve()
    if path.exists() and not overwrite:
        raise BackupError(
            _("%(path)s exists already: choose another file name or allow overwriting.", path=path)
        )
    if path.is_dir():
        raise BackupError(
            _("%(path)s is a directory: give the name of the backup file.", path=path)
        )
    if not path.parent.is_dir():
        raise BackupError(_("The directory %(path)s does not exist.", path=path.parent))
    # Write beside the destination and rename at the end, so a failed backup leaves no half file.
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        if target.is_sqlite:
            _sqlite_backup(_sqlite_file(target.url), partial)
        elif target.is_postgres:
            _pg_dump(target, partial)
        else:
            raise BackupError(
                _("Cannot back up a %(kind)s database.", kind=target.url.get_backend_name())
            )
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def restore_database(app_or_url: Flask | str, path: str | os.PathLike) -> None:
    """Replace the whole content of the database with the backup in ``path``.

    Run it while nobody writes: a restore is not meant to merge with new changes.
    """
    target = _target(app_or_url)
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise BackupError(_("There is no backup file at %(path)s.", path=path))
    _dispose_engine(app_or_url)
    try:
        if target.is_sqlite:
            _sqlite_restore(path, _sqlite_file(target.url))
        elif target.is_postgres:
            _pg_restore(target, path)
        else:
            raise BackupError(
                _("Cannot restore a %(kind)s database.", kind=target.url.get_backend_name())
            )
    finally:
        _dispose_engine(app_or_url)


# SQLite ---------------------------------------------------------------------------------------


def _sqlite_file(url: sa.engine.URL) -> Path:
    database = url.database or ""
    if database in {"", ":memory:"} or database.startswith("file:"):
        raise BackupError(_("Only an SQLite database in a file can be backed up or restored."))
    return Path(database).expanduser().resolve()


def _has_magic(path: Path, magic: bytes) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(magic)) == magic


def _sqlite_backup(source_file: Path, destination: Path) -> None:
    if not source_file.is_file():
        raise BackupError(_("The database file %(path)s does not exist.", path=source_file))
    source = sqlite3.connect(source_file, timeout=15)
    try:
        target = sqlite3.connect(destination)
        try:
            source.backup(target)
            # A backup is one self-contained file, whatever journal the live database uses.
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()
    except sqlite3.Error as error:
        raise BackupError(_("The SQLite backup failed: %(error)s", error=error)) from error
    finally:
        source.close()


def _sqlite_restore(backup_file: Path, database_file: Path) -> None:
    if backup_file == database_file:
        raise BackupError(_("The backup file is the database itself."))
    if not _has_magic(backup_file, SQLITE_MAGIC):
        raise BackupError(_("%(path)s is not an SQLite backup.", path=backup_file))
    source = sqlite3.connect(f"{backup_file.as_uri()}?mode=ro", uri=True)
    try:
        check = source.execute("PRAGMA quick_check").fetchone()
        if not check or check[0] != "ok":
            raise BackupError(
                _(
                    "%(path)s is damaged: %(error)s",
                    path=backup_file,
                    error=check[0] if check else "unreadable",
                )
            )
        target = sqlite3.connect(database_file, timeout=15)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode = WAL")
        finally:
            target.close()
    except sqlite3.Error as error:
        raise BackupError(_("The SQLite restore failed: %(error)s", error=error)) from error
    finally:
        source.close()


# PostgreSQL -----------------------------------------------------------------------------------


def _conninfo_value(value: str) -> str:
    escaped = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def libpq_parameters(
    url: sa.engine.URL, *, defaults: Mapping[str, str] | None = None
) -> tuple[str, dict[str, str]]:
    """Turn an SQLAlchemy URL into a libpq connection string and the environment it needs.

    The password goes into the environment (PGPASSWORD), never onto the command line,
    where every user of the machine could read it.
    """
    params: dict[str, str] = dict(defaults or {})
    if url.host:
        params["host"] = url.host
    if url.port:
        params["port"] = str(url.port)
    if url.username:
        params["user"] = url.username
    if url.database:
        params["dbname"] = url.database
    for key, value in url.query.items():
        params[key] = ",".join(value) if isinstance(value, tuple) else value
    conninfo = " ".join(f"{key}={_conninfo_value(value)}" for key, value in params.items())
    env = {"PGPASSWORD": url.password} if url.password else {}
    return conninfo, env


def _program(program: str, setting: str) -> str:
    found = shutil.which(program)
    if found is None:
        raise BackupError(
            _(
                "%(program)s was not found. Install the PostgreSQL client programs "
                "(Debian: apt-get install postgresql-client) or set %(setting)s to its path.",
                program=program,
                setting=setting,
            )
        )
    return found


def _run(command: list[str], extra_env: Mapping[str, str], what: str) -> None:
    # The child needs the usual environment (PATH, locale) plus the password.
    env = {**os.environ, **extra_env}
    try:
        result = subprocess.run(  # noqa: S603 (a fixed program and our own arguments)
            command, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False
        )
    except OSError as error:
        raise BackupError(
            _("%(program)s could not start: %(error)s", program=what, error=error)
        ) from error
    if result.returncode != 0:
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        detail = lines[-1] if lines else f"exit status {result.returncode}"
        raise BackupError(_("%(program)s failed: %(error)s", program=what, error=detail))


def _pg_dump(target: Target, destination: Path) -> None:
    program = _program(target.pg_dump, "DIALOGUE_PG_DUMP")
    conninfo, env = libpq_parameters(target.url)
    _run(
        [
            program,
            "--format=custom",
            "--no-password",
            f"--file={destination}",
            f"--dbname={conninfo}",
        ],
        env,
        "pg_dump",
    )


def _pg_restore(target: Target, backup_file: Path) -> None:
    if not _has_magic(backup_file, PG_CUSTOM_MAGIC):
        raise BackupError(
            _(
                "%(path)s is not a PostgreSQL backup made by pg_dump --format=custom.",
                path=backup_file,
            )
        )
    program = _program(target.pg_restore, "DIALOGUE_PG_RESTORE")
    # Fail, rather than wait for ever, when a forgotten session holds a lock on a table.
    conninfo, env = libpq_parameters(target.url, defaults={"options": "-c lock_timeout=30s"})
    _run(
        [
            program,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--no-password",
            f"--dbname={conninfo}",
            str(backup_file),
        ],
        env,
        "pg_restore",
    )
