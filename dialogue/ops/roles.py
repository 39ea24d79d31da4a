"""The PostgreSQL role the application runs as: what it may do, granted by the tables' owner.

The application's role owns nothing, so it can neither drop nor disable the triggers that keep
published rows frozen; it may not DELETE or TRUNCATE the published tables (nor UPDATE them:
nothing there ever changes), and only read the migration table. Migrations run as the owner
(``DIALOGUE_MIGRATION_DATABASE_URL``); the default privileges cover the tables they add later,
and running the grant again after an upgrade applies the published tables' exceptions to them.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from dialogue.errors import DialogueError

# Rows published here are never changed or deleted by the application.
FROZEN_TABLES = ("published_documents", "ledger_entries")
# Rows here are drafts until published: updated, never deleted.
UNDELETABLE_TABLES = ("written_answers",)
READ_ONLY_TABLES = ("alembic_version",)


def _quote(connection: sa.Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote_identifier(name)


def grant_statements(connection: sa.Connection, role: str) -> list[str]:
    """The statements that give ``role`` exactly what the application needs, and no more."""
    quoted = _quote(connection, role)
    owner = _quote(connection, connection.exec_driver_sql("SELECT current_user").scalar())
    database = _quote(connection, connection.exec_driver_sql("SELECT current_database()").scalar())
    existing = set(sa.inspect(connection).get_table_names(schema="public"))

    def tables(names: tuple[str, ...]) -> str:
        return ", ".join(_quote(connection, name) for name in names if name in existing)

    statements = [
        f"GRANT CONNECT ON DATABASE {database} TO {quoted}",
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"REVOKE CREATE ON SCHEMA public FROM {quoted}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {quoted}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {quoted}",
    ]
    if frozen := tables(FROZEN_TABLES):
        statements.append(f"REVOKE UPDATE, DELETE, TRUNCATE ON {frozen} FROM {quoted}")
    if undeletable := tables(UNDELETABLE_TABLES):
        statements.append(f"REVOKE DELETE, TRUNCATE ON {undeletable} FROM {quoted}")
    if read_only := tables(READ_ONLY_TABLES):
        statements.append(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {read_only} FROM {quoted}")
    return statements


def check_role(connection: sa.Connection, role: str) -> None:
    """Refuse a role that does not exist, or that could undo the guards whatever it is granted."""
    if connection.dialect.name != "postgresql":
        raise DialogueError(_("Database roles are a PostgreSQL feature; SQLite has none."))
    row = connection.execute(
        sa.text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :role"),
        {"role": role},
    ).first()
    if row is None:
        raise DialogueError(
            _("There is no role “%(role)s”: create it first (CREATE ROLE … LOGIN).", role=role)
        )
    if row.rolsuper:
        raise DialogueError(
            _("The role “%(role)s” is a superuser: it could undo every guard.", role=role)
        )
    if role == connection.exec_driver_sql("SELECT current_user").scalar():
        raise DialogueError(
            _(
                "The role “%(role)s” owns the tables: connect as the owner and grant to "
                "another role.",
                role=role,
            )
        )
    owned = connection.execute(
        sa.text(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = :role"
        ),
        {"role": role},
    ).scalar()
    if owned:
        raise DialogueError(
            _(
                "The role “%(role)s” owns %(count)s tables: give them to the owner role "
                "(REASSIGN OWNED BY) before granting.",
                role=role,
                count=owned,
            )
        )


def grant_app_role(connection: sa.Connection, role: str) -> list[str]:
    """Grant ``role`` the application's privileges; return the statements run."""
    check_role(connection, role)
    statements = grant_statements(connection, role)
    for statement in statements:
        connection.exec_driver_sql(statement)
    return statements
