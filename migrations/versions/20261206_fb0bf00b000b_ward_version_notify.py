"""ward versions told to every process

Revision ID: fb0bf00b000b
Revises: fa0af00a000a
Create Date: 2026-12-06 19:00:00.000000

On PostgreSQL the triggers that raise a ward's version also send ``NOTIFY ward_versions`` with
the ward's id, and the ward's photos and answer ratings (shown on the public minutes page, not
in the API) send it without raising the version: every process serving pages hears of a change
at commit (``dialogue.core.ward_changes``). SQLite has no notifications: nothing changes there.
The statements are written out here, as they were at this revision.
"""

from alembic import op

revision = "fb0bf00b000b"
down_revision = "fa0af00a000a"
branch_labels = None
depends_on = None

_BY_CONFERENCE = "(SELECT ward_id FROM conferences WHERE id = {row}.conference_id)"
# Each table raising a ward's version (revision f8b8f0080008), and how a row names its ward.
VERSIONED = {
    "wards": "{row}.id",
    "conferences": "{row}.ward_id",
    "referrals": "{row}.ward_id",
    "units": "{row}.ward_id",
    "procedure_areas": "{row}.ward_id",
    "residential_groups": "{row}.ward_id",
    "turns": _BY_CONFERENCE,
    "published_documents": _BY_CONFERENCE,
    "written_answers": "(SELECT ward_id FROM referrals WHERE id = {row}.referral_id)",
}
TOLD_ONLY = {
    "photos": "{row}.ward_id",
    "answer_ratings": _BY_CONFERENCE,
}
RAISE = (
    "INSERT INTO ward_versions (ward_id, version) VALUES (ward, 1) "
    "ON CONFLICT (ward_id) DO UPDATE SET version = ward_versions.version + 1"
)
TELL = "PERFORM pg_notify('ward_versions', ward::text)"


def _function(table: str, of: str, changed: str) -> str:
    new, old = of.format(row="NEW"), of.format(row="OLD")
    return (
        f"CREATE OR REPLACE FUNCTION {table}_ward_version() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ DECLARE ward integer; BEGIN "
        f"IF TG_OP = 'DELETE' THEN ward := {old}; ELSE ward := {new}; END IF; "
        f"IF ward IS NOT NULL THEN {changed}; END IF; "
        "RETURN NULL; END $$"
    )


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, of in VERSIONED.items():
        # The triggers stay; the functions they run now tell as well.
        op.execute(_function(table, of, f"{RAISE}; {TELL}"))
    for table, of in TOLD_ONLY.items():
        op.execute(_function(table, of, TELL))
        op.execute(
            f"CREATE TRIGGER {table}_ward_version AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_ward_version()"
        )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TOLD_ONLY:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_ward_version ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_ward_version()")
    for table, of in VERSIONED.items():
        op.execute(_function(table, of, RAISE))
