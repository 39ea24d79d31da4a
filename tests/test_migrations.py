"""The migration chain builds, on an empty database, exactly the schema the models describe."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from dialogue import create_app
from dialogue.archive.search_index import is_outside_metadata
from dialogue.extensions import db


@pytest.fixture
def migration_app(app_config, empty_database_url):
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _differences():
    with db.engine.connect() as connection:
        # The search's FTS5 tables and trigram index are made beside the metadata, not from it.
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": lambda name, type_, parents: not is_outside_metadata(name),
            },
        )
        return compare_metadata(context, db.metadata)


def test_migrations_match_the_models(migration_app):
    upgrade()
    assert _differences() == []


def test_migrations_downgrade_to_an_empty_database(migration_app):
    upgrade()
    downgrade(revision="base")
    tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
    assert tables == set()
    upgrade()
    assert _differences() == []
