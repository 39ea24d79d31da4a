"""The index behind the public search: one row per public turn, with the text residents can find.

Table ``search_entries`` (one row per turn that is public: its conference has a published
document, and the turn is not withdrawn):

    turn_id              integer      primary key, references turns.id ON DELETE CASCADE
    ward_id              integer      not null, references wards.id ON DELETE CASCADE
    conference_id        integer      not null, references conferences.id ON DELETE CASCADE
    conference_start_dt  timestamptz  not null (SQLite: the UTC wall time), the conference's start
    position             integer      not null, the turn's position in its conference
    text                 text         not null, ``entry_text(...)`` of the turn

Index ``ix_search_entries_ward_id`` on (ward_id, conference_start_dt DESC, conference_id DESC,
position, turn_id): a ward's entries in the order results are listed, newest first.

``text`` is the folded visible text of the turn: ``entry_text(turn.document_speaker, area name_vi
or "", turn.question, turn.answer)`` — each part folded (``dialogue.core.text.fold``) and joined
by one space, empty parts included. A loader that fills the table directly (COPY) needs nothing
else; on SQLite the triggers keep the full-text table in step with whatever inserts the rows.

Outside the models' metadata, per engine (created with the table, and by the migration):

- PostgreSQL: the extensions pg_trgm and btree_gin, and ``ix_search_entries_text_trgm``, a GIN
  index on ``(ward_id, text gin_trgm_ops)``. A word is looked for with ``LIKE '%word%'`` (the
  index; not for a word without three letters or digits in a row, which trigrams cannot narrow)
  and a regular expression that requires it at the start of a word, its "letters and digits"
  spelled out as Python counts them, so that the database and the Python rule agree character
  for character.
- SQLite: ``search_entries_fts``, an FTS5 table over ``search_entries.text`` (external content,
  rowid = turn_id, tokens made of letters and digits only), kept in step by three triggers; a
  word becomes a prefix query (``"word"*``). The full-text match only narrows the rows: each is
  then checked by ``dialogue_word_start(text, word)``, the Python rule itself, registered on every
  SQLite connection. A build of SQLite without FTS5 simply gets no full-text table, and the
  search falls back to LIKE and the same check.

The rows follow the turns in the flush that changes them (see ``_follow_changes``): a
conference's first publication, a turn edited, added or withdrawn after it, an area or a
residential group renamed or deleted, a conference moved, a ward's choice of naming speakers.
``flask dialogue rebuild-search`` rebuilds them, for a ward or for all.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.util import identity_key

from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.core.db import UTCDateTime
from dialogue.core.text import fold
from dialogue.extensions import db
from dialogue.live.models import Turn
from dialogue.minutes.models import PublishedDocument
from dialogue.wards.models import ProcedureArea, ResidentialGroup, Ward

FTS_TABLE = "search_entries_fts"
TRGM_INDEX = "ix_search_entries_text_trgm"
WORD_START_FUNCTION = "dialogue_word_start"
# Rows written per statement when rebuilding; conferences are read this many at a time.
REBUILD_BATCH = 200
# A ward with more public turns than this is searched through the full-text table (SQLite).
FULL_TEXT_FROM_WARD_ROWS = 10_000


class SearchEntry(db.Model):
    """What residents can find of one public turn, folded, with the keys results are sorted by."""

    __tablename__ = "search_entries"

    turn_id: Mapped[int] = mapped_column(
        sa.ForeignKey("turns.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    ward_id: Mapped[int] = mapped_column(sa.ForeignKey("wards.id", ondelete="CASCADE"))
    conference_id: Mapped[int] = mapped_column(sa.ForeignKey("conferences.id", ondelete="CASCADE"))
    conference_start_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    position: Mapped[int]
    text: Mapped[str] = mapped_column(sa.Text)

    def __repr__(self) -> str:
        return f"<SearchEntry turn {self.turn_id} ward {self.ward_id}>"


# A ward's entries in the order results are listed, so that a page can be read in index order.
sa.Index(
    "ix_search_entries_ward_id",
    SearchEntry.ward_id,
    SearchEntry.conference_start_dt.desc(),
    SearchEntry.conference_id.desc(),
    SearchEntry.position,
    SearchEntry.turn_id,
)


# -- the text and the rule -------------------------------------------------------------------


def entry_text(speaker_shown: str, area_name: str, question: str, answer: str) -> str:
    """The folded text of a turn as residents see it: speaker as shown, area, question, answer.

    ``speaker_shown`` is the speaker as the published minutes name them (``Turn.document_speaker``),
    never a name the ward hides.
    """
    return " ".join(fold(part) for part in (speaker_shown, area_name, question, answer))


def has_word_starting(text: str, word: str) -> bool:
    """Tell whether a word of ``text`` (folded) starts with ``word`` (folded).

    A word starts where the character before is not a letter or a digit (``str.isalnum``).
    """
    return re.search(r"(?<![^\W_])" + re.escape(word), text) is not None


@functools.cache
def _alnum_ranges() -> str:
    """Every character Python counts as a letter or a digit, as ranges of a bracket expression."""
    ranges: list[list[int]] = []
    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF or not chr(code).isalnum():
            continue
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    # None of these is special inside brackets: letters and digits only, "-" between them.
    return "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges)


def postgresql_word_pattern(word: str) -> str:
    """A PostgreSQL regular expression true where ``word`` starts a word, as ``has_word_starting``.

    PostgreSQL's own ``[[:alnum:]]`` follows the server's locale, which disagrees with Python
    on superscript digits, fractions, circled letters and spacing marks: the characters are
    listed instead. In an ARE a backslash before an ASCII character that is not a letter or a
    digit makes it literal; every other character is literal already.
    """
    escaped = "".join("\\" + ch if ch.isascii() and not ch.isalnum() else ch for ch in word)
    return f"(^|[^{_alnum_ranges()}]){escaped}"


# Three letters or digits in a row: a trigram the index can look up.
_TRIGRAM = re.compile(r"[^\W_]{3}")


def _like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _fts_term(word: str) -> str | None:
    """The FTS5 prefix query for ``word``, or None when the full-text table cannot narrow by it.

    The tokenizer keeps letters and digits as its (older) Unicode tables know them: a word with
    none it surely knows would be an empty phrase, which matches nothing. Such a word ("%",
    "--", a letter of a script added lately) is left to the LIKE and the exact check, and so
    is a short one ("ho", "1/4"): the table holds every ward, and the prefix "d" matches most
    of it, where the ward's own rows are fewer.
    """
    if _TRIGRAM.search(word) is None:
        return None
    if not any(unicodedata.ucd_3_2_0.category(ch)[0] in "LN" for ch in word):
        return None
    return '"' + word.replace('"', '""') + '"*'


def _searchable(word: str) -> bool:
    # Stored text never holds NUL nor a lone surrogate (PostgreSQL refuses both): such a word
    # can match nothing, and must not reach the database.
    if "\x00" in word:
        return False
    try:
        word.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@event.listens_for(Engine, "connect")
def _register_word_start(dbapi_connection, connection_record) -> None:
    # On SQLite the exact rule runs as a function of the connection, on the rows the full-text
    # table (or LIKE) kept: the database counts and pages exactly what Python would have found.
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function(
            WORD_START_FUNCTION,
            2,
            lambda text, word: has_word_starting(text or "", word or ""),
            deterministic=True,
        )


# -- the query -------------------------------------------------------------------------------


def has_fts(connection: sa.Connection) -> bool:
    """Tell whether this SQLite database has the full-text table (its SQLite had FTS5)."""
    return (
        connection.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (FTS_TABLE,)
        ).first()
        is not None
    )


def _worth_the_full_text(ward_id: int) -> bool:
    """Tell whether the full-text table should narrow a search of this ward (SQLite).

    The table covers every ward: a common word's match runs over the whole city's entries
    before the ward is chosen. Measured at city scale (126 wards, ~1,200 public turns each,
    bench/search_scale.py), reading one ward's rows through its index and checking each was
    3 to 5 times faster ("de nghi" 143 → 52 ms, "hộ tịch" 167 → 33 ms a page): only a ward
    with many more rows gains from the full-text table.
    """
    entry = SearchEntry.__table__.c
    rows = db.session.scalar(
        sa.select(sa.func.count()).select_from(
            sa.select(entry.turn_id)
            .where(entry.ward_id == ward_id)
            .limit(FULL_TEXT_FROM_WARD_ROWS + 1)
            .subquery()
        )
    )
    return rows > FULL_TEXT_FROM_WARD_ROWS


def _conditions(ward_id: int, words: Sequence[str]) -> list | None:
    """The WHERE clause on ``search_entries`` for ``words``; None when nothing can match."""
    if not all(_searchable(word) for word in words):
        return None
    entry = SearchEntry.__table__.c
    conditions: list = [entry.ward_id == ward_id]
    dialect = db.session.get_bind().dialect.name
    # The text as an expression no index covers: what is only checked on the rows kept.
    unindexed = sa.func.concat(entry.text, "")
    for word in words:
        like = _like_pattern(word)
        if dialect == "postgresql":
            # A word without three letters or digits in a row gives the trigram index nothing
            # to narrow by: reading the whole index would cost more than the ward's rows.
            indexable = _TRIGRAM.search(word) is not None
            text = entry.text if indexable else unindexed
            conditions.append(text.like(like, escape="\\"))
            # Most words found follow a space, or open the text: the regular expression, which
            # costs more, only runs when neither cheap test settles it.
            escaped = like[1:]
            conditions.append(
                sa.or_(
                    unindexed.like("% " + escaped, escape="\\"),
                    unindexed.like(escaped, escape="\\"),
                    unindexed.op("~")(postgresql_word_pattern(word)),
                )
            )
        else:
            conditions.append(entry.text.like(like, escape="\\"))
            # Likewise with SQLite's exact, case-sensitive tests before the Python function.
            conditions.append(
                sa.or_(
                    sa.func.instr(entry.text, " " + word) > 0,
                    sa.func.substr(entry.text, 1, len(word)) == word,
                    sa.func.dialogue_word_start(entry.text, word) == 1,
                )
            )
    if dialect == "sqlite":
        terms = [term for term in map(_fts_term, words) if term]
        if terms and _worth_the_full_text(ward_id) and has_fts(db.session.connection()):
            matched = (
                sa.select(sa.literal_column("rowid"))
                .select_from(sa.table(FTS_TABLE))
                .where(sa.literal_column(FTS_TABLE).op("MATCH")(" AND ".join(terms)))
            )
            conditions.append(entry.turn_id.in_(matched))
    return conditions


def find_turn_ids(
    ward_id: int, words: Sequence[str], *, offset: int, limit: int
) -> tuple[int, list[int]]:
    """How many public turns of the ward hold every word, and the ids of one page, newest first.

    Each folded word must start a word of the turn's folded text (``has_word_starting``).
    """
    conditions = _conditions(ward_id, words)
    if conditions is None:
        return 0, []
    if db.session.get_bind().dialect.name == "postgresql":
        # The driver prepares a statement run often, and PostgreSQL may then plan it once for
        # any pattern: planned for these patterns, a rare word uses the index, a common one
        # the ward's rows.
        db.session.execute(sa.text("SET LOCAL plan_cache_mode = force_custom_plan"))
    entry = SearchEntry.__table__.c
    total = (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(entry.turn_id.table).where(*conditions)
        )
        or 0
    )
    if offset >= total:
        return total, []
    ids = db.session.scalars(
        sa.select(entry.turn_id)
        .where(*conditions)
        .order_by(
            entry.conference_start_dt.desc(),
            entry.conference_id.desc(),
            entry.position,
            entry.turn_id,
        )
        .offset(offset)
        .limit(limit)
    ).all()
    return total, list(ids)


# -- keeping the rows ------------------------------------------------------------------------


def speaker_shown(named: bool, name: str, group_name: str | None, organisation: str) -> str:
    """``Turn.document_speaker`` from its parts: ``named`` is the ward's choice for documents."""
    if named and name:
        return name
    if group_name is not None:
        return f"Công dân {group_name[:1].lower()}{group_name[1:]}"
    if organisation:
        return f"Đại diện {organisation}"
    return "Đại biểu"


def _public_rows(turn_ids: sa.Select | Sequence[int]) -> sa.Select:
    # Columns, not objects: what the database holds once the flush is written, whatever the
    # session's objects still say (a group deleted leaves turns the database already changed).
    return (
        sa.select(
            Turn.id,
            Conference.ward_id,
            Conference.id.label("conference_id"),
            Conference.start_dt,
            Turn.position,
            Turn.speaker_name,
            ResidentialGroup.name.label("group_name"),
            Turn.speaker_organisation,
            ProcedureArea.name_vi,
            Turn.question,
            Turn.answer,
            Ward.names_speakers_in_documents,
        )
        .join(Conference, Conference.id == Turn.conference_id)
        .join(Ward, Ward.id == Conference.ward_id)
        .outerjoin(ResidentialGroup, ResidentialGroup.id == Turn.speaker_group_id)
        .outerjoin(ProcedureArea, ProcedureArea.id == Turn.procedure_area_id)
        .where(
            Turn.id.in_(turn_ids),
            Turn.withdrawn_dt.is_(None),
            Conference.id.in_(sa.select(PublishedDocument.conference_id)),
        )
    )


def _entry(row) -> dict:
    speaker = speaker_shown(
        row.names_speakers_in_documents, row.speaker_name, row.group_name, row.speaker_organisation
    )
    return {
        "turn_id": row.id,
        "ward_id": row.ward_id,
        "conference_id": row.conference_id,
        "conference_start_dt": row.start_dt,
        "position": row.position,
        "text": entry_text(speaker, row.name_vi or "", row.question, row.answer),
    }


def _refresh(session: Session, turn_ids: sa.Select | Sequence[int], *, delete=True) -> int:
    """Write again the rows of these turns: public ones get theirs, the others none."""
    table = SearchEntry.__table__
    if delete:
        session.execute(sa.delete(table).where(table.c.turn_id.in_(turn_ids)))
    rows = [_entry(row) for row in session.execute(_public_rows(turn_ids))]
    insert = sa.insert(table)
    if rows and session.get_bind().dialect.name == "postgresql":
        # Two transactions writing the same turn's row at once (an area renamed while a
        # conference of the ward is published): the later one's row wins, none fails.
        insert = postgresql.insert(table)
        insert = insert.on_conflict_do_update(
            index_elements=[table.c.turn_id],
            set_={name: insert.excluded[name] for name in rows[0] if name != "turn_id"},
        )
    for start in range(0, len(rows), REBUILD_BATCH):
        session.execute(insert, rows[start : start + REBUILD_BATCH])
    return len(rows)


def refresh_conference(conference_id: int) -> int:
    """Write again the rows of a conference's turns; return how many are public."""
    return _refresh(db.session, sa.select(Turn.id).where(Turn.conference_id == conference_id))


def rebuild(ward_id: int | None = None) -> int:
    """Write again every row (of one ward, or of all); return how many turns are public."""
    table = SearchEntry.__table__
    conferences = sa.select(Conference.id).order_by(Conference.id)
    if ward_id is not None:
        conferences = conferences.where(Conference.ward_id == ward_id)
        # Every row of the ward goes first, a row of a turn since moved to another ward too.
        db.session.execute(sa.delete(table).where(table.c.ward_id == ward_id))
    else:
        db.session.execute(sa.delete(table))
    ids = db.session.scalars(conferences).all()
    count = 0
    for start in range(0, len(ids), REBUILD_BATCH):
        batch = ids[start : start + REBUILD_BATCH]
        turn_ids = sa.select(Turn.id).where(Turn.conference_id.in_(batch))
        count += _refresh(db.session, turn_ids, delete=False)
    return count


# What changes a row: for each model, the attributes that do.
_TURN_FIELDS = (
    "conference_id",
    "position",
    "speaker_name",
    "speaker_group_id",
    "speaker_group",
    "speaker_organisation",
    "procedure_area_id",
    "procedure_area",
    "question",
    "answer",
    "withdrawn_dt",
)
_PENDING = "dialogue.search_index.pending"


def _changed(obj, fields: Iterable[str]) -> bool:
    state = sa.inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in fields)


@event.listens_for(Session, "before_flush")
def _note_deletions(session: Session, flush_context, instances) -> None:
    # A group or an area deleted leaves its turns without one (ON DELETE SET NULL), which
    # changes how they read; after the flush nothing says which turns they were.
    groups = [obj.id for obj in session.deleted if isinstance(obj, ResidentialGroup)]
    areas = [obj.id for obj in session.deleted if isinstance(obj, ProcedureArea)]
    if not groups and not areas:
        return
    turns = session.scalars(
        sa.select(Turn.id).where(
            sa.or_(Turn.speaker_group_id.in_(groups), Turn.procedure_area_id.in_(areas))
        )
    ).all()
    session.info.setdefault(_PENDING, set()).update(turns)


def _live(session: Session, turn: Turn) -> bool:
    """Tell whether ``turn`` belongs to a session still in progress, as ``session`` knows.

    Minutes are composed and published only once the session is closed, so such a turn has
    no row to write: the secretaries' saves, which hold the conference's lock, skip two
    statements. Only a conference already in the session is looked at (no query).
    """
    conference = session.identity_map.get(identity_key(Conference, turn.conference_id))
    return conference is not None and conference.status is ConferenceStatus.IN_PROGRESS


@event.listens_for(Session, "after_flush")
def _follow_changes(session: Session, flush_context) -> None:
    """Bring the rows in step with what this flush changed, in the same transaction."""
    turn_ids: set[int] = session.info.pop(_PENDING, set())
    conference_ids: set[int] = set()
    ward_ids: set[int] = set()
    area_ids: set[int] = set()
    group_ids: set[int] = set()
    for obj in session.new:
        if isinstance(obj, Turn):
            if not _live(session, obj):
                turn_ids.add(obj.id)
        elif isinstance(obj, PublishedDocument):
            conference_ids.add(obj.conference_id)
    for obj in session.dirty:
        if isinstance(obj, Turn) and _changed(obj, _TURN_FIELDS):
            if not _live(session, obj):
                turn_ids.add(obj.id)
        elif isinstance(obj, Conference) and _changed(obj, ("start_dt", "ward_id")):
            conference_ids.add(obj.id)
        elif isinstance(obj, ProcedureArea) and _changed(obj, ("name_vi",)):
            area_ids.add(obj.id)
        elif isinstance(obj, ResidentialGroup) and _changed(obj, ("name",)):
            group_ids.add(obj.id)
        elif isinstance(obj, Ward) and _changed(obj, ("names_speakers_in_documents",)):
            ward_ids.add(obj.id)
    alternatives = []
    if turn_ids:
        alternatives.append(Turn.id.in_(turn_ids))
    if conference_ids:
        alternatives.append(Turn.conference_id.in_(conference_ids))
    if area_ids:
        alternatives.append(Turn.procedure_area_id.in_(area_ids))
    if group_ids:
        alternatives.append(Turn.speaker_group_id.in_(group_ids))
    if ward_ids:
        alternatives.append(
            Turn.conference_id.in_(sa.select(Conference.id).where(Conference.ward_id.in_(ward_ids)))
        )
    if alternatives:
        _refresh(session, sa.select(Turn.id).where(sa.or_(*alternatives)))


# -- the objects outside the metadata --------------------------------------------------------

SQLITE_FTS = [
    "CREATE VIRTUAL TABLE search_entries_fts USING fts5(text, content='search_entries', "
    "content_rowid='turn_id', tokenize=\"unicode61 remove_diacritics 0 categories 'L* N*'\")",
    "CREATE TRIGGER search_entries_fts_insert AFTER INSERT ON search_entries BEGIN "
    "INSERT INTO search_entries_fts(rowid, text) VALUES (new.turn_id, new.text); END",
    "CREATE TRIGGER search_entries_fts_delete AFTER DELETE ON search_entries BEGIN "
    "INSERT INTO search_entries_fts(search_entries_fts, rowid, text) "
    "VALUES ('delete', old.turn_id, old.text); END",
    "CREATE TRIGGER search_entries_fts_update AFTER UPDATE ON search_entries BEGIN "
    "INSERT INTO search_entries_fts(search_entries_fts, rowid, text) "
    "VALUES ('delete', old.turn_id, old.text); "
    "INSERT INTO search_entries_fts(rowid, text) VALUES (new.turn_id, new.text); END",
]
SQLITE_FTS_DROP = [
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_insert",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_delete",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_update",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
]
# Both extensions are trusted (PostgreSQL 13+): a database's owner may create them.
POSTGRESQL_EXTENSIONS = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS btree_gin",
]
# The ward in the same GIN index as the trigrams: a small ward's entries skip through the long
# lists of common trigrams ("thu", "tuc") instead of reading them whole.
POSTGRESQL_TRGM = (
    f"CREATE INDEX IF NOT EXISTS {TRGM_INDEX} ON search_entries "
    "USING gin (ward_id, text gin_trgm_ops)"
)
POSTGRESQL_TRGM_DROP = f"DROP INDEX IF EXISTS {TRGM_INDEX}"


def sqlite_has_fts5(connection: sa.Connection) -> bool:
    """Tell whether this SQLite can make FTS5 tables (most builds can; some lack the module)."""
    try:
        connection.exec_driver_sql("SELECT fts5(?1)", (None,))
    except sa.exc.OperationalError as error:
        # "no such function: fts5" without the module; with it, the call is refused otherwise.
        return "no such function" not in str(error)
    return True


def create_outside_metadata(connection: sa.Connection) -> None:
    """Create what the search needs beyond the table, for the connection's engine."""
    if connection.dialect.name == "postgresql":
        for statement in POSTGRESQL_EXTENSIONS:
            connection.exec_driver_sql(statement)
        connection.exec_driver_sql(POSTGRESQL_TRGM)
    elif connection.dialect.name == "sqlite" and sqlite_has_fts5(connection):
        for statement in SQLITE_FTS:
            connection.exec_driver_sql(statement)


def drop_outside_metadata(connection: sa.Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(POSTGRESQL_TRGM_DROP)
    elif connection.dialect.name == "sqlite":
        for statement in SQLITE_FTS_DROP:
            connection.exec_driver_sql(statement)


def is_outside_metadata(name: str | None) -> bool:
    """Tell whether ``name`` is a table or index of the search made outside the metadata.

    For comparing a migrated database with the models: the FTS5 table, its shadow tables
    (``search_entries_fts_data``…) and the trigram index exist there only.
    """
    return bool(name) and (name == TRGM_INDEX or name.startswith(FTS_TABLE))


@event.listens_for(SearchEntry.__table__, "after_create")
def _after_create(table: sa.Table, connection, **_kw) -> None:
    create_outside_metadata(connection)


@event.listens_for(SearchEntry.__table__, "before_drop")
def _before_drop(table: sa.Table, connection, **_kw) -> None:
    drop_outside_metadata(connection)
