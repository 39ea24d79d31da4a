"""Alembic environment for Dialogue: the application's engine and metadata, batch mode on SQLite."""

import logging
from logging.config import fileConfig

import sqlalchemy as sa
from alembic import context
from flask import current_app

from dialogue.archive.search_index import is_outside_metadata

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
log = logging.getLogger("alembic.env")

db = current_app.extensions["migrate"].db
# Migrations run as the tables' owner when the application connects as a role that owns nothing.
owner_url = current_app.config.get("DIALOGUE_MIGRATION_DATABASE_URL")
engine = sa.create_engine(owner_url, poolclass=sa.pool.NullPool) if owner_url else db.engine
config.set_main_option(
    "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
)


def _include_name(name, type_, parent_names) -> bool:
    # The search's FTS5 tables and trigram index are made beside the metadata, not from it.
    return not is_outside_metadata(name)


def _options(dialect_name: str) -> dict:
    return {
        "target_metadata": db.metadata,
        "include_name": _include_name,
        # SQLite alters tables by copying them: batch mode does that.
        "render_as_batch": dialect_name == "sqlite",
        "compare_type": True,
        **current_app.extensions["migrate"].configure_args,
    }


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        literal_binds=True,
        **_options(engine.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Copying a table in batch mode must not cascade deletes into the rows that refer to it;
            # the pragma only takes effect outside a transaction, so it goes to the driver directly.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")
        try:
            context.configure(connection=connection, **_options(connection.dialect.name))
            with context.begin_transaction():
                context.run_migrations()
            if sqlite:
                problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                connection.commit()
                if problems:
                    raise RuntimeError(f"the migration broke foreign keys: {problems[:5]}")
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys = ON")


if context.is_offline_mode():
    run_offline()
else:
    run_online()
