"""What the API keeps in the database: each ward's version, and answers prepared in advance.

A ward's public record is spread over many tables (its conferences, their turns and published
documents, its referrals and their written answers, its reference lists). Every change to one
of them raises the ward's version, by a trigger on each table, whoever writes: the application,
a bulk load, an administrator at the SQL prompt. Reading what an answer depends on is then one
row by its key, however large the ward's record has grown. On PostgreSQL the same triggers tell
every process of the change at commit (``NOTIFY ward_versions``, ``core.ward_changes``), so a
process reads that row only after it heard that the ward changed.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column

from dialogue.core.db import UTCDateTime, utcnow
from dialogue.extensions import db


class WardVersion(db.Model):
    """How many times a ward's public record has changed (no foreign key: the triggers write it
    for whatever ward a row names, in any order of deletion)."""

    __tablename__ = "ward_versions"

    ward_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class PreparedAnswer(db.Model):
    """An API answer built before anyone asked, for the public address, under a ward's version.

    Served as long as the ward's version and its calendar day are those it was built for; the
    worker builds the next one after a change (``api.prepared``).
    """

    __tablename__ = "api_prepared_answers"

    address: Mapped[str] = mapped_column(sa.String(400), primary_key=True)
    ward_id: Mapped[int] = mapped_column(index=True)
    version: Mapped[int] = mapped_column(sa.BigInteger)
    day: Mapped[date]
    etag: Mapped[str] = mapped_column(sa.String(64))
    link: Mapped[str] = mapped_column(sa.String(800), default="")
    # The JSON, compressed with zlib: a ward's lists are mostly repeated keys and addresses.
    body: Mapped[bytes] = mapped_column(sa.LargeBinary)
    built_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# -- the triggers ---------------------------------------------------------------------------------

# Each table of a ward's public record, and how one of its rows names its ward.
WARD_OF = {
    "wards": "{row}.id",
    "conferences": "{row}.ward_id",
    "referrals": "{row}.ward_id",
    "units": "{row}.ward_id",
    "procedure_areas": "{row}.ward_id",
    "residential_groups": "{row}.ward_id",
    "turns": "(SELECT ward_id FROM conferences WHERE id = {row}.conference_id)",
    "published_documents": "(SELECT ward_id FROM conferences WHERE id = {row}.conference_id)",
    "written_answers": "(SELECT ward_id FROM referrals WHERE id = {row}.referral_id)",
}
# Rows the public pages show and the API does not: a change is told to the processes that keep
# pages (``core.ward_changes``) without raising the ward's version, which would make the API's
# answers be prepared again for every rating of a busy session. SQLite has no notifications.
NOTIFY_ONLY = {
    "photos": "{row}.ward_id",
    "answer_ratings": "(SELECT ward_id FROM conferences WHERE id = {row}.conference_id)",
}
NOTIFY_CHANNEL = "ward_versions"
_RAISE = (
    "INSERT INTO ward_versions (ward_id, version) VALUES ({ward}, 1) "
    "ON CONFLICT (ward_id) DO UPDATE SET version = ward_versions.version + 1"
)


def _sqlite_triggers(table: str) -> list[str]:
    statements = []
    for operation, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
        ward = WARD_OF[table].format(row=row)
        statements.append(
            f"CREATE TRIGGER {table}_ward_version_{operation.lower()} AFTER {operation} "
            f"ON {table} FOR EACH ROW WHEN {ward} IS NOT NULL "
            f"BEGIN {_RAISE.format(ward=ward)}; END"
        )
    return statements


def _postgresql_triggers(table: str) -> list[str]:
    function = f"{table}_ward_version"
    of = WARD_OF.get(table) or NOTIFY_ONLY[table]
    new, old = of.format(row="NEW"), of.format(row="OLD")
    # Every process serving pages hears of the change at commit (``core.ward_changes``).
    told = f"PERFORM pg_notify('{NOTIFY_CHANNEL}', ward::text)"
    changed = f"{_RAISE.format(ward='ward')}; {told}" if table in WARD_OF else told
    return [
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "DECLARE ward integer; BEGIN "
        f"IF TG_OP = 'DELETE' THEN ward := {old}; ELSE ward := {new}; END IF; "
        f"IF ward IS NOT NULL THEN {changed}; END IF; "
        "RETURN NULL; END $$",
        f"CREATE TRIGGER {function} AFTER INSERT OR UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {function}()",
    ]


def version_triggers(table: str, dialect: str) -> list[str]:
    """The statements that make ``table``'s changes raise their ward's version and, on
    PostgreSQL, tell the processes that serve pages (``NOTIFY_ONLY``'s tables only tell)."""
    if dialect == "sqlite":
        return _sqlite_triggers(table) if table in WARD_OF else []
    return _postgresql_triggers(table)


def drop_version_triggers(table: str, dialect: str) -> list[str]:
    if dialect == "sqlite":
        if table not in WARD_OF:
            return []
        return [
            f"DROP TRIGGER IF EXISTS {table}_ward_version_{operation}"
            for operation in ("insert", "update", "delete")
        ]
    return [
        f"DROP TRIGGER IF EXISTS {table}_ward_version ON {table}",
        f"DROP FUNCTION IF EXISTS {table}_ward_version()",
    ]


def _install_triggers(table: sa.Table, connection, **_kw) -> None:
    for statement in version_triggers(table.name, connection.dialect.name):
        connection.exec_driver_sql(statement)


@event.listens_for(db.metadata, "after_create")
def _after_tables_created(metadata: sa.MetaData, connection, tables=None, **_kw) -> None:
    # After every table exists: a trigger names tables created after its own. Only the tables
    # this call made (none, when the migrations made them all already).
    for table in metadata.sorted_tables if tables is None else tables:
        if table.name in WARD_OF or table.name in NOTIFY_ONLY:
            _install_triggers(table, connection)
