"""The publication ledger: published versions chained per ward, and tampering found.

The tampering below is done as the database's owner would: straight SQL past the application,
with the guarding trigger lifted first, because nobody else can (on PostgreSQL the
application's own role may not; see test_the_application_role_cannot_delete_or_unguard).
"""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest
import sqlalchemy as sa

from dialogue import create_app
from dialogue.auth.models import Role
from dialogue.core.database import dispose_engines
from dialogue.documents.models import DocumentType
from dialogue.extensions import db
from dialogue.followup import operations as followup
from dialogue.followup.models import WrittenAnswer
from dialogue.followup.operations import AnswerData
from dialogue.ledger import chain
from dialogue.ledger.models import GENESIS_HASH, LedgerAppendOnlyError, LedgerEntry
from dialogue.ledger.operations import chain_head, entries_of
from dialogue.ledger.verify import read_log, verify_ward
from dialogue.minutes import operations as minutes
from dialogue.minutes.models import PublishedDocument
from dialogue.minutes.operations import DraftData
from tests.test_followup import setting  # noqa: F401  (a referral waiting for its answer)
from tests.test_minutes_workflow import (
    build_closed_conference,
    publish_at_once,
    published,
    submitted_draft,
)

BB, TB = DocumentType.MINUTES, DocumentType.NOTICE


@pytest.fixture
def app_config(app_config):
    # Findings are asserted in English.
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def secretary(make_user):
    return make_user(Role.SECRETARY)


@pytest.fixture
def chair(make_user):
    return make_user(Role.CHAIR)


@pytest.fixture
def closed(ward, make_user, make_person, make_conference, secretary):
    return build_closed_conference(
        ward, make_user, make_person, make_conference, secretary=secretary
    )


def publish_answer(place, body="Ủy ban đã giao bộ phận địa chính rà soát.") -> WrittenAnswer:
    answer = followup.save_answer(
        place.referral, AnswerData(body=body), by=place.responder, revision=None
    )
    followup.submit_answer(place.referral, by=place.responder, revision=answer.revision)
    followup.publish_answer(place.referral, by=place.chair)
    db.session.commit()
    return answer


class AsOwner:
    """Straight SQL as the tables' owner, a guarding trigger lifted for the statement."""

    def __init__(self, connection: sa.Connection):
        self.connection = connection
        self.sqlite = connection.dialect.name == "sqlite"

    def run(self, table: str, trigger: str, statement: str, **params):
        if self.sqlite:
            sql = self.connection.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (trigger,)
            ).scalar_one()
            self.connection.exec_driver_sql(f"DROP TRIGGER {trigger}")
            result = self.connection.execute(sa.text(statement), params)
            self.connection.exec_driver_sql(sql)
        else:
            self.connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
            result = self.connection.execute(sa.text(statement), params)
            self.connection.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
        return result


def tamper(statement_fn):
    db.session.commit()
    with db.engine.begin() as connection:
        statement_fn(AsOwner(connection))
    # A value read while tampering opened a snapshot older than the change: end it.
    db.session.commit()
    db.session.expire_all()


def messages(ward, reference=None) -> list[str]:
    return [finding.message for finding in verify_ward(ward, reference).findings]


def download_log(client, ward) -> bytes:
    response = client.get(f"/p/{ward.slug}/so-cong-bo.jsonl")
    assert response.status_code == 200
    assert response.mimetype == "application/jsonl"
    return response.get_data()


# -- the chain ------------------------------------------------------------------------------------


def test_each_publication_appends_an_entry_hashing_the_one_before(
    ward,
    closed,
    secretary,
    chair,
    setting,  # noqa: F811
):
    minutes = published(closed, BB, secretary, chair)
    notice = published(closed, TB, secretary, chair)
    answer = publish_answer(setting)
    entries = entries_of(ward.id)
    assert [(e.sequence, e.kind.value, e.document_id) for e in entries] == [
        (1, "BB", minutes.id),
        (2, "TB", notice.id),
        (3, "answer", answer.id),
    ]
    assert entries[0].previous_hash == GENESIS_HASH
    assert entries[1].previous_hash == entries[0].entry_hash
    assert entries[2].previous_hash == entries[1].entry_hash
    first = entries[0]
    assert (first.pdf_sha256, first.html_sha256) == (minutes.pdf_sha256, minutes.html_sha256)
    assert first.number_label == minutes.number_label and first.version == 1
    # The hash is the SHA-256 of the documented canonical form, recomputable by anyone.
    canonical = json.dumps(
        {
            "sequence": 1,
            "previous_hash": GENESIS_HASH,
            "kind": "BB",
            "document_id": minutes.id,
            "number_label": minutes.number_label,
            "version": 1,
            "published_at": chain.published_at(minutes.published_dt),
            "pdf_sha256": minutes.pdf_sha256,
            "html_sha256": minutes.html_sha256,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert first.entry_hash == hashlib.sha256(canonical.encode()).hexdigest()
    assert entries[2].html_sha256 == answer.body_sha256 and entries[2].pdf_sha256 == ""
    report = verify_ward(ward)
    assert report.is_ok, report.findings
    assert (report.entries, report.documents) == (3, 3)
    assert chain_head(ward.id).head_hash == entries[2].entry_hash


def test_a_correction_is_a_new_entry_and_the_ledger_never_changes(ward, closed, secretary, chair):
    first = published(closed, BB, secretary, chair)
    draft = first.draft
    minutes.start_correction(draft, secretary)
    minutes.update_draft(
        draft,
        DraftData(**{**DraftData.of(draft).__dict__, "conclusion": "Kết luận đã sửa lỗi."}),
        secretary,
        draft.version,
    )
    minutes.submit_draft(draft, secretary)
    second = minutes.publish(draft, chair, correction_reason="Sửa lỗi ở phần kết luận.")
    db.session.commit()
    assert [(e.document_id, e.version) for e in entries_of(ward.id)] == [
        (first.id, 1),
        (second.id, 2),
    ]
    entry = entries_of(ward.id)[0]
    entry.number_label = "99/BB-UBND"
    with pytest.raises(LedgerAppendOnlyError):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(LedgerAppendOnlyError):
        db.session.execute(sa.delete(LedgerEntry))
    db.session.rollback()
    for statement in (
        "UPDATE ledger_entries SET number_label = 'x'",
        "DELETE FROM ledger_entries",
    ):
        with db.engine.connect() as connection, pytest.raises(sa.exc.DatabaseError):
            connection.execute(sa.text(statement))
            connection.commit()
    assert len(entries_of(ward.id)) == 2


def test_the_database_refuses_to_delete_what_was_published(
    closed,
    secretary,
    chair,
    setting,  # noqa: F811
):
    document = published(closed, BB, secretary, chair)
    answer = publish_answer(setting)
    for statement, params in (
        ("DELETE FROM published_documents WHERE id = :id", {"id": document.id}),
        ("DELETE FROM written_answers WHERE id = :id", {"id": answer.id}),
    ):
        with db.engine.connect() as connection, pytest.raises(sa.exc.DatabaseError) as caught:
            connection.execute(sa.text(statement), params)
            connection.commit()
        assert "never deleted" in str(caught.value)
    db.session.expire_all()
    assert db.session.get(PublishedDocument, document.id) is not None
    assert db.session.get(WrittenAnswer, answer.id) is not None


def test_two_wards_have_independent_chains(
    ward, other_ward, make_user, make_person, make_conference, secretary, chair
):
    here = build_closed_conference(
        ward, make_user, make_person, make_conference, secretary=secretary
    )
    there_secretary = make_user(Role.SECRETARY, ward=other_ward)
    there_chair = make_user(Role.CHAIR, ward=other_ward)
    there = build_closed_conference(
        other_ward, make_user, make_person, make_conference, secretary=there_secretary
    )
    published(here, BB, secretary, chair)
    published(there, BB, there_secretary, there_chair)
    published(here, TB, secretary, chair)
    assert [e.sequence for e in entries_of(ward.id)] == [1, 2]
    assert [e.sequence for e in entries_of(other_ward.id)] == [1]
    assert entries_of(other_ward.id)[0].previous_hash == GENESIS_HASH
    # Tampering in one ward is found there, and only there.
    tamper(
        lambda owner: owner.run(
            "published_documents",
            "published_documents_frozen",
            "UPDATE published_documents SET html = html || ' ' WHERE conference_id = :id",
            id=there.id,
        )
    )
    assert verify_ward(ward).is_ok
    found = messages(other_ward)
    assert any("text is not the one published" in m for m in found), found


def test_publications_at_once_queue_up_in_the_chain(
    app, ward, make_user, make_person, make_conference, secretary, chair
):
    conferences = [
        build_closed_conference(ward, make_user, make_person, make_conference, secretary=secretary)
        for _ in range(3)
    ]
    draft_ids = [submitted_draft(c, BB, secretary).id for c in conferences]
    chair_id = chair.id
    db.session.commit()
    assert publish_at_once(app, draft_ids, chair_id) == []
    db.session.expire_all()
    assert [e.sequence for e in entries_of(ward.id)] == [1, 2, 3]
    assert verify_ward(ward).is_ok


# -- tampering found ------------------------------------------------------------------------------


def test_a_deleted_version_is_found(runner, ward, closed, secretary, chair):
    published(closed, BB, secretary, chair)
    notice = published(closed, TB, secretary, chair)
    notice_id, label = notice.id, notice.number_label
    result = runner.invoke(args=["dialogue", "verify-archive", "--ward", ward.slug])
    assert result.exit_code == 0, result.output
    assert "Every published version matches the log" in result.output
    tamper(
        lambda owner: owner.run(
            "published_documents",
            "published_documents_undeletable",
            "DELETE FROM published_documents WHERE id = :id",
            id=notice_id,
        )
    )
    assert messages(ward) == [
        f"Conclusion notice No. {label}, version 1 (record {notice_id}) is in the "
        "log (entry 2) but no longer in the database: it was deleted."
    ]
    result = runner.invoke(args=["dialogue", "verify-archive", "--ward", ward.slug])
    assert result.exit_code == 1
    assert "it was deleted" in result.output


def test_altered_bytes_are_found_whether_or_not_the_stored_hash_follows(
    ward, closed, secretary, chair
):
    document = published(closed, BB, secretary, chair)
    forged = document.pdf.replace(b"%%EOF", b"%%EOF\n% forged")
    tamper(
        lambda owner: owner.run(
            "published_documents",
            "published_documents_frozen",
            "UPDATE published_documents SET pdf = :pdf WHERE id = :id",
            pdf=forged,
            id=document.id,
        )
    )
    found = messages(ward)
    assert any("its PDF is not the one published (entry 1)" in m for m in found)
    assert any("the hash stored with it does not match its bytes" in m for m in found)
    # The hash recomputed too: the row agrees with itself, not with the log.
    tamper(
        lambda owner: owner.run(
            "published_documents",
            "published_documents_frozen",
            "UPDATE published_documents SET pdf_sha256 = :sha WHERE id = :id",
            sha=hashlib.sha256(forged).hexdigest(),
            id=document.id,
        )
    )
    found = messages(ward)
    assert len(found) == 1 and "its PDF is not the one published" in found[0]


def test_a_re_inserted_version_is_found(ward, closed, secretary, chair):
    document = published(closed, BB, secretary, chair)
    # Not the last row: put back, it takes a new record number on both engines.
    published(closed, TB, secretary, chair)
    table = PublishedDocument.__table__

    def reinsert(owner):
        row = dict(
            owner.connection.execute(sa.select(table).where(table.c.id == document.id))
            .mappings()
            .one()
        )
        owner.run(
            "published_documents",
            "published_documents_undeletable",
            "DELETE FROM published_documents WHERE id = :id",
            id=row.pop("id"),
        )
        owner.connection.execute(sa.insert(table).values(row))

    tamper(reinsert)
    found = messages(ward)
    assert any("no longer in the database: it was deleted" in m for m in found)
    assert any("in the database but not in the log" in m for m in found)


def test_a_forged_row_and_a_rewritten_chain_are_found_against_a_downloaded_log(
    runner, client, tmp_path, ward, closed, secretary, chair
):
    document = published(closed, BB, secretary, chair)
    published(closed, TB, secretary, chair)
    log = tmp_path / "so-cong-bo.jsonl"
    log.write_bytes(download_log(client, ward))
    forged_html = document.html.replace("Chủ tịch UBND phường", "Phó Chủ tịch UBND phường")
    assert forged_html != document.html

    def forge(owner):
        owner.run(
            "published_documents",
            "published_documents_frozen",
            "UPDATE published_documents SET html = :html, html_sha256 = :sha WHERE id = :id",
            html=forged_html,
            sha=hashlib.sha256(forged_html.encode()).hexdigest(),
            id=document.id,
        )
        # The whole chain recomputed from the forged entry on, as only the owner could.
        rows = owner.connection.execute(
            sa.text("SELECT * FROM ledger_entries WHERE ward_id = :w ORDER BY sequence"),
            {"w": ward.id},
        ).mappings()
        previous = GENESIS_HASH
        for row in [dict(r) for r in rows]:
            fields = {name: row[name] for name in chain.HASHED_FIELDS}
            fields["previous_hash"] = previous
            if row["document_id"] == document.id and row["kind"] == "BB":
                fields["html_sha256"] = hashlib.sha256(forged_html.encode()).hexdigest()
            previous = chain.entry_hash(fields)
            owner.run(
                "ledger_entries",
                "ledger_entries_frozen",
                "UPDATE ledger_entries SET previous_hash = :p, html_sha256 = :h, "
                "entry_hash = :e WHERE id = :id",
                p=fields["previous_hash"],
                h=fields["html_sha256"],
                e=previous,
                id=row["id"],
            )

    tamper(forge)
    # The database alone agrees with itself: this is what only a saved copy can catch.
    assert verify_ward(ward).is_ok
    with log.open("rb") as lines:
        reference = read_log(lines)
    found = messages(ward, reference)
    assert "Entry 1 differs from the downloaded log: the database's log was rewritten." in found
    assert "Entry 2 differs from the downloaded log: the database's log was rewritten." in found
    assert any("its text is not the one published (entry 1)" in m for m in found)
    result = runner.invoke(args=["dialogue", "verify-archive", "--log", str(log)])
    assert result.exit_code == 1
    assert "Checked against the downloaded log (2 entries)" in result.output
    assert "was rewritten" in result.output


def test_entries_removed_after_a_download_are_found(
    client, tmp_path, ward, closed, secretary, chair
):
    published(closed, BB, secretary, chair)
    notice = published(closed, TB, secretary, chair)
    reference = read_log(download_log(client, ward).splitlines())

    def remove(owner):
        owner.run(
            "published_documents",
            "published_documents_undeletable",
            "DELETE FROM published_documents WHERE id = :id",
            id=notice.id,
        )
        owner.run(
            "ledger_entries",
            "ledger_entries_undeletable" if owner.sqlite else "ledger_entries_frozen",
            "DELETE FROM ledger_entries WHERE sequence = 2 AND ward_id = :w",
            w=ward.id,
        )

    tamper(remove)
    assert verify_ward(ward).is_ok  # a shorter chain is still a chain
    found = messages(ward, reference)
    assert "Entry 2 of the downloaded log is missing from the database." in found
    assert any("no longer in the database: it was deleted" in m for m in found)


def test_a_log_that_is_not_one_is_refused_with_a_clear_message(runner, tmp_path, ward):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"ward": "x", "sequence": 1}\n')
    result = runner.invoke(args=["dialogue", "verify-archive", "--log", str(bad)])
    assert result.exit_code == 1
    assert "Line 1 of the log is not a ledger entry." in result.output
    bad.write_text("not json\n")
    result = runner.invoke(args=["dialogue", "verify-archive", "--log", str(bad)])
    assert "Line 1 of the log is not JSON." in result.output
    result = runner.invoke(args=["dialogue", "verify-archive", "--ward", "nowhere"])
    assert result.exit_code == 1 and "There is no ward “nowhere”." in result.output


# -- the public archive ---------------------------------------------------------------------------


def test_the_archive_shows_the_head_and_checks_itself(client, ward, closed, secretary, chair):
    published(closed, BB, secretary, chair)
    page = client.get(f"/p/{ward.slug}/bien-ban/").get_data(as_text=True)
    head = chain_head(ward.id)
    assert head.count == 1 and head.head_hash in page
    assert f"/p/{ward.slug}/so-cong-bo.jsonl" in page
    lines = download_log(client, ward).decode().splitlines()
    entry = json.loads(lines[0])
    assert entry["ward"] == ward.slug and entry["entry_hash"] == head.head_hash
    assert chain.entry_hash(entry) == entry["entry_hash"]
    checked = client.get(f"/p/{ward.slug}/so-cong-bo/kiem-tra")
    assert checked.status_code == 200
    assert "Every published version matches the log" in checked.get_data(as_text=True)


def test_the_check_page_shows_what_it_found(app, client, ward, closed, secretary, chair):
    document = published(closed, BB, secretary, chair)
    tamper(
        lambda owner: owner.run(
            "published_documents",
            "published_documents_undeletable",
            "DELETE FROM published_documents WHERE id = :id",
            id=document.id,
        )
    )
    page = client.get(f"/p/{ward.slug}/so-cong-bo/kiem-tra").get_data(as_text=True)
    assert "The archive does not match its log" in page
    assert "it was deleted" in page
    assert client.get("/p/nowhere/so-cong-bo/kiem-tra").status_code == 404
    assert client.get("/p/nowhere/so-cong-bo.jsonl").status_code == 404


def seed_publications():
    """A ward with a BB, a TB and a written answer published, made without the fixtures."""
    from dialogue.auth.operations import create_user
    from dialogue.conferences.models import Conference
    from dialogue.followup.models import Referral
    from dialogue.people.models import Person
    from dialogue.wards.operations import create_ward

    ward = create_ward(
        name="Thạch Bàn", slug="thach-ban", place_name="Thạch Bàn", province="Hà Nội"
    )
    db.session.commit()
    counter = iter(range(1, 100))

    def make_user(role, **values):
        n = next(counter)
        user = create_user(
            ward=values.pop("ward", ward),
            username=f"{Role(role).value}{n}",
            display_name=f"Nguyễn Văn {n}",
            password="correct horse battery",
            role=Role(role),
            **values,
        )
        db.session.commit()
        return user

    def make_person(**values):
        person = Person(**values)
        db.session.add(person)
        db.session.commit()
        return person

    def make_conference(**values):
        conference = Conference(
            title="Hội nghị đối thoại", venue="Hội trường UBND phường", **values
        )
        db.session.add(conference)
        db.session.commit()
        return conference

    secretary = make_user(Role.SECRETARY)
    chair = make_user(Role.CHAIR)
    conference = build_closed_conference(
        ward, make_user, make_person, make_conference, secretary=secretary
    )
    document = published(conference, BB, secretary, chair)
    published(conference, TB, secretary, chair)
    referral = db.session.scalar(sa.select(Referral).where(Referral.conference_id == conference.id))
    place = type("Place", (), {})()
    place.referral, place.chair = referral, chair
    place.responder = make_user(Role.RESPONDER, unit=referral.unit)
    publish_answer(place)
    return ward, document


@pytest.fixture
def migrated_app(app_config, empty_database_url):
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        yield app
        db.session.remove()
    dispose_engines(app)


def test_the_migration_backfills_the_chain_publication_would_have_written(migrated_app):
    from flask_migrate import downgrade, upgrade

    upgrade()
    ward, _document = seed_publications()
    live = [(e.sequence, e.kind.value, e.entry_hash) for e in entries_of(ward.id)]
    assert len(live) == 3
    db.session.remove()
    downgrade(revision="f5e5f0050005")
    upgrade()
    assert [(e.sequence, e.kind.value, e.entry_hash) for e in entries_of(ward.id)] == live
    assert verify_ward(ward).is_ok
    with db.engine.connect() as connection, pytest.raises(sa.exc.DatabaseError):
        connection.execute(sa.text("DELETE FROM published_documents"))
        connection.commit()


# -- PostgreSQL: the application's role owns nothing ----------------------------------------------


@pytest.fixture
def owner_and_app_roles(database_url, is_postgres):
    """A throwaway owner role, its database, and an application role that owns nothing."""
    if not is_postgres:
        pytest.skip("database roles are a PostgreSQL feature")
    suffix = uuid.uuid4().hex[:8]
    owner, app_role, name = f"hf_owner_{suffix}", f"hf_app_{suffix}", f"hf_roles_{suffix}"
    admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE ROLE {owner} LOGIN PASSWORD 'owner-{suffix}'")
        connection.exec_driver_sql(f"CREATE ROLE {app_role} LOGIN PASSWORD 'app-{suffix}'")
        connection.exec_driver_sql(f"CREATE DATABASE {name} OWNER {owner}")
    # A fresh database's public schema belongs to the database owner on PostgreSQL 15+.
    schema_admin = sa.create_engine(
        sa.engine.make_url(database_url).set(database=name), isolation_level="AUTOCOMMIT"
    )
    with schema_admin.connect() as connection:
        connection.exec_driver_sql(f"ALTER SCHEMA public OWNER TO {owner}")
    schema_admin.dispose()
    base = sa.engine.make_url(database_url).set(database=name)
    yield (
        base.set(username=owner, password=f"owner-{suffix}").render_as_string(False),
        base.set(username=app_role, password=f"app-{suffix}").render_as_string(False),
        app_role,
    )
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        connection.exec_driver_sql(f"DROP ROLE IF EXISTS {app_role}")
        connection.exec_driver_sql(f"DROP ROLE IF EXISTS {owner}")
    admin.dispose()


def test_the_application_role_cannot_delete_or_unguard(app_config, owner_and_app_roles):
    from flask_migrate import upgrade

    owner_url, app_url, app_role = owner_and_app_roles
    role_app = create_app(
        {
            **app_config,
            "SQLALCHEMY_DATABASE_URI": app_url,
            "DIALOGUE_MIGRATION_DATABASE_URL": owner_url,
        }
    )
    try:
        with role_app.app_context():
            upgrade()  # as the owner
            result = role_app.test_cli_runner().invoke(
                args=["dialogue", "grant-app-role", app_role]
            )
            assert result.exit_code == 0, result.output
            owned = db.session.execute(
                sa.text("SELECT count(*) FROM pg_tables WHERE tableowner = current_user")
            ).scalar()
            assert owned == 0 and db.session.execute(sa.text("SELECT current_user")).scalar() == (
                app_role
            )
            # The application works as this role: a ward, its people, publications.
            ward, document = seed_publications()
            assert verify_ward(ward).is_ok
            # …and may not delete, empty or unguard what was published.
            for statement in (
                f"DELETE FROM published_documents WHERE id = {document.id}",
                "TRUNCATE published_documents CASCADE",
                "ALTER TABLE published_documents DISABLE TRIGGER published_documents_frozen",
                "ALTER TABLE published_documents DISABLE TRIGGER ALL",
                "DROP TRIGGER published_documents_undeletable ON published_documents",
                "UPDATE published_documents SET title = 'x'",
                "DELETE FROM ledger_entries",
                "TRUNCATE ledger_entries",
                "ALTER TABLE ledger_entries DISABLE TRIGGER ALL",
                "DELETE FROM written_answers",
                "TRUNCATE written_answers CASCADE",
                "DELETE FROM alembic_version",
            ):
                with db.engine.connect() as connection:
                    with pytest.raises(sa.exc.ProgrammingError) as caught:
                        connection.exec_driver_sql(statement)
                    assert type(caught.value.orig).__name__ in {"InsufficientPrivilege"}, statement
            db.session.remove()
            db.session.expire_all()
            assert verify_ward(ward).is_ok
            # Granting twice changes nothing; a superuser or the owner is refused.
            result = role_app.test_cli_runner().invoke(
                args=["dialogue", "grant-app-role", app_role]
            )
            assert result.exit_code == 0, result.output
            result = role_app.test_cli_runner().invoke(
                args=["dialogue", "grant-app-role", "postgres"]
            )
            assert result.exit_code == 1 and "superuser" in result.output
            db.session.remove()
    finally:
        dispose_engines(role_app)
