"""Reading the public archive: published versions, their files, photos, and search with highlights.

Everything here reads; nothing writes. A document is public once a version of it is published,
and a conference's turns and photos are public once one of its documents is: drafts never are.
Every lookup names the ward, so a code or a photo of another ward is simply not found.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from markupsafe import Markup, escape
from sqlalchemy.orm import aliased, contains_eager, defer, selectinload

from dialogue.archive import search_index
from dialogue.conferences.models import Conference
from dialogue.core.database import read_first
from dialogue.core.dates import to_local
from dialogue.core.db import utcnow
from dialogue.core.text import fold
from dialogue.core.ward_changes import remembered
from dialogue.documents.models import DocumentNumber, DocumentType
from dialogue.extensions import db
from dialogue.feedback.models import AnswerRating
from dialogue.followup.models import AnswerStatus, Referral, WrittenAnswer
from dialogue.live.models import Turn
from dialogue.minutes.models import PublishedDocument
from dialogue.photos.models import Photo
from dialogue.wards.models import ProcedureArea, Unit, Ward

ARCHIVE_PER_PAGE = 10
SEARCH_PER_PAGE = 20
# Beyond this a page number is nonsense; it gets an empty page, never an overflowing OFFSET.
MAX_PAGE = 10_000
QUERY_MAX_CHARS = 200
MIN_QUERY_CHARS = 2
EXCERPT_CHARS = 320
# Minutes first, then the conclusion notice, wherever both are listed.
DOC_TYPE_ORDER = (DocumentType.MINUTES, DocumentType.NOTICE)
FILE_PREFIX = {DocumentType.MINUTES: "bien-ban", DocumentType.NOTICE: "thong-bao"}


def _published_conference_ids():
    return sa.select(PublishedDocument.conference_id)


def clamp_page(page: int | None) -> int:
    """A page number a request may ask for: 1 or more, never beyond ``MAX_PAGE + 1``."""
    if page is None or page < 1:
        return 1
    return min(page, MAX_PAGE + 1)


# -- one version and its file ---------------------------------------------------------------


@dataclass
class DocumentPage:
    """What a version's page shows: the version, its conference's documents, the photos."""

    document: PublishedDocument
    group: DocumentGroup
    others: list[DocumentGroup]
    photos: list[Photo]

    @property
    def conference(self) -> Conference:
        return self.document.conference

    @property
    def superseded(self) -> bool:
        return self.group.latest.version > self.document.version


def document_page(ward_slug: str, code: str) -> DocumentPage | None:
    """Everything a version's page shows, in two queries (its conference's documents, photos)."""
    conference_id = (
        sa.select(PublishedDocument.conference_id)
        .where(PublishedDocument.public_code == code)
        .scalar_subquery()
    )
    # Every version of the conference's documents with its HTML: a conference has a few, and
    # one query costs less than two.
    stmt = (
        sa.select(PublishedDocument)
        .join(PublishedDocument.conference)
        .join(Conference.ward)
        .options(contains_eager(PublishedDocument.conference).contains_eager(Conference.ward))
        .where(
            PublishedDocument.conference_id == conference_id, Ward.slug == ward_slug, Ward.is_active
        )
    )
    documents = list(db.session.scalars(stmt))
    document = next((d for d in documents if d.public_code == code), None)
    if document is None:
        return None
    groups = _grouped(documents)
    group = group_of(groups, document)
    return DocumentPage(
        document=document,
        group=group,
        others=[other for other in groups if other is not group],
        photos=public_photos(document.conference),
    )


def _of_public_version(stmt: sa.Select, code, ward_slug) -> sa.Select:
    """``stmt`` on ``PublishedDocument``, narrowed to version ``code`` of active ward ``ward_slug``."""
    return (
        stmt.join(Conference, Conference.id == PublishedDocument.conference_id)
        .join(Ward, Ward.id == Conference.ward_id)
        .where(PublishedDocument.public_code == code, Ward.slug == ward_slug, Ward.is_active)
    )


# The statements of the pages read most are built once: building one costs far more than
# running it (SQLAlchemy caches the compiled SQL, not the Python construct).


@functools.cache
def _stamp_statement() -> sa.Select:
    later = aliased(PublishedDocument)
    conference_id = PublishedDocument.conference_id
    stmt = sa.select(
        PublishedDocument.id,
        Ward.id,
        Ward.updated_dt,
        Conference.updated_dt,
        sa.select(sa.func.max(later.id))
        .where(later.conference_id == conference_id)
        .scalar_subquery(),
        sa.select(sa.func.count(Photo.id))
        .where(Photo.conference_id == conference_id)
        .scalar_subquery(),
        sa.select(sa.func.max(Photo.updated_dt))
        .where(Photo.conference_id == conference_id)
        .scalar_subquery(),
        # The follow-up of its referred questions: their status, unit and due date, the
        # published answers (rows only ever added), the turns and units they name.
        sa.select(sa.func.count(Referral.id))
        .where(Referral.conference_id == conference_id)
        .scalar_subquery(),
        sa.select(sa.func.max(Referral.updated_dt))
        .where(Referral.conference_id == conference_id)
        .scalar_subquery(),
        sa.select(sa.func.count(WrittenAnswer.id))
        .join(Referral, Referral.id == WrittenAnswer.referral_id)
        .where(
            Referral.conference_id == conference_id,
            WrittenAnswer.status == AnswerStatus.PUBLISHED,
        )
        .scalar_subquery(),
        sa.select(sa.func.max(Turn.updated_dt))
        .where(Turn.conference_id == conference_id)
        .scalar_subquery(),
        sa.select(sa.func.max(Unit.updated_dt))
        .where(
            Unit.id.in_(sa.select(Referral.unit_id).where(Referral.conference_id == conference_id))
        )
        .scalar_subquery(),
        # The ratings of its answers, whose results the page shows once they are published.
        sa.select(sa.func.count(AnswerRating.id))
        .where(AnswerRating.conference_id == conference_id)
        .scalar_subquery(),
        sa.select(sa.func.max(AnswerRating.updated_dt))
        .where(AnswerRating.conference_id == conference_id)
        .scalar_subquery(),
        Ward.timezone,
    )
    return _of_public_version(stmt, sa.bindparam("code"), sa.bindparam("ward_slug"))


def page_stamp(ward_slug: str, code: str) -> tuple | None:
    """What a version's page depends on that can change, in one query; None if not public.

    The version itself never changes. Its page also shows the ward (its name, time zone), the
    conference (title, date), the conference's other published versions (rows only ever added),
    its photos (added, captioned, moved, deleted) and the follow-up of its referred questions,
    whose days overdue move on with the ward's calendar (today is part of the stamp; so a name
    of an area or a group renamed since shows by the next day at the latest): a page rendered
    for one stamp is the same page as long as the stamp is the same.
    """
    row = remembered(
        ("archive.page", ward_slug, code),
        lambda: read_first(_stamp_statement(), {"code": code, "ward_slug": ward_slug}),
        ward_of=lambda row: row[1],
    )
    if row is None:
        return None
    # The days overdue of its referred questions count to the ward's today.
    *stamp, timezone = row
    return (*stamp, to_local(utcnow(), timezone).date())


_ARCHIVE_STAMP = sa.text(
    "SELECT w.id, coalesce(v.version, 0) AS version FROM wards w "
    "LEFT JOIN ward_versions v ON v.ward_id = w.id WHERE w.slug = :ward_slug AND w.is_active"
).columns(id=sa.Integer, version=sa.BigInteger)


def archive_stamp(ward_slug: str) -> tuple | None:
    """What a ward's archive list depends on that can change; None if there is no such ward.

    The list shows the ward, its conferences, their published versions and procedure areas,
    and the publication log's head (appended with each published version): each of them
    raises the ward's version (``api.models``).
    """
    row = remembered(
        ("archive.index", ward_slug),
        lambda: read_first(_ARCHIVE_STAMP, {"ward_slug": ward_slug}),
        ward_of=lambda row: row.id,
    )
    return None if row is None else tuple(row)


def find_code_ward(code: str) -> str | None:
    """The slug of the ward that published the version with ``code`` (for the short link)."""
    stmt = (
        sa.select(Ward.slug)
        .join(Conference, Conference.ward_id == Ward.id)
        .join(PublishedDocument, PublishedDocument.conference_id == Conference.id)
        .where(PublishedDocument.public_code == code, Ward.is_active)
    )
    return db.session.scalar(stmt)


@dataclass(frozen=True)
class PdfFile:
    sha256: str
    size: int
    filename: str


def _ascii_label(value: str) -> str:
    text = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


def pdf_filename(doc_type: DocumentType, number_label: str, year: int, version: int) -> str:
    """An ASCII file name: "bien-ban-01-BB-UBND-2020.pdf", "-v2" for a correction."""
    parts = [FILE_PREFIX.get(doc_type, "van-ban"), _ascii_label(number_label), str(year)]
    if version > 1:
        parts.append(f"v{version}")
    return "-".join(part for part in parts if part) + ".pdf"


@functools.cache
def _pdf_statement() -> sa.Select:
    stmt = sa.select(
        PublishedDocument.pdf_sha256,
        PublishedDocument.pdf_size,
        PublishedDocument.doc_type,
        PublishedDocument.number_label,
        PublishedDocument.version,
        DocumentNumber.year,
        Ward.id.label("ward_id"),
    ).join(DocumentNumber, DocumentNumber.id == PublishedDocument.number_id)
    return _of_public_version(stmt, sa.bindparam("code"), sa.bindparam("ward_slug"))


def find_pdf(ward_slug: str, code: str) -> PdfFile | None:
    """What is known of a published version's PDF, without its bytes, in one query."""

    def read() -> tuple[int, PdfFile] | None:
        row = read_first(_pdf_statement(), {"code": code, "ward_slug": ward_slug})
        if row is None:
            return None
        file = PdfFile(
            sha256=row.pdf_sha256,
            size=row.pdf_size,
            filename=pdf_filename(row.doc_type, row.number_label, row.year, row.version),
        )
        return row.ward_id, file

    # A version's file never changes; whether it is still public (its ward active, its
    # address the same) does, with the ward.
    found = remembered(("archive.pdf", ward_slug, code), read, ward_of=lambda found: found[0])
    return None if found is None else found[1]


def pdf_bytes(ward_slug: str, code: str) -> bytes | None:
    """The bytes of a published version's PDF (a deferred column, read only here)."""
    return db.session.scalar(_of_public_version(sa.select(PublishedDocument.pdf), code, ward_slug))


# -- the documents of a conference -----------------------------------------------------------


@dataclass
class DocumentGroup:
    """Every published version of one document (BB or TB) of a conference, newest last."""

    versions: list[PublishedDocument]

    @property
    def doc_type(self) -> DocumentType:
        return self.versions[-1].doc_type

    @property
    def latest(self) -> PublishedDocument:
        return self.versions[-1]

    @property
    def earlier(self) -> list[PublishedDocument]:
        """The superseded versions, newest first."""
        return list(reversed(self.versions[:-1]))


def _grouped(documents: Sequence[PublishedDocument]) -> list[DocumentGroup]:
    by_draft: dict[int, list[PublishedDocument]] = {}
    for document in sorted(documents, key=lambda d: (d.draft_id, d.version)):
        by_draft.setdefault(document.draft_id, []).append(document)
    groups = [DocumentGroup(versions) for versions in by_draft.values()]
    rank = {doc_type: index for index, doc_type in enumerate(DOC_TYPE_ORDER)}
    return sorted(groups, key=lambda g: (rank.get(g.doc_type, len(rank)), g.latest.id))


def _listed_documents(conference_ids: Sequence[int]) -> list[PublishedDocument]:
    """The published versions of these conferences without their HTML or PDF."""
    if not conference_ids:
        return []
    stmt = (
        sa.select(PublishedDocument)
        .options(defer(PublishedDocument.html))
        .where(PublishedDocument.conference_id.in_(conference_ids))
    )
    return list(db.session.scalars(stmt))


def document_groups_by_conference(
    conference_ids: Sequence[int],
) -> dict[int, list[DocumentGroup]]:
    """Every published version of these conferences' documents, grouped, in one query."""
    by_conference: dict[int, list[PublishedDocument]] = {}
    for document in _listed_documents(conference_ids):
        by_conference.setdefault(document.conference_id, []).append(document)
    return {conference_id: _grouped(docs) for conference_id, docs in by_conference.items()}


def conference_documents(conference: Conference) -> list[DocumentGroup]:
    """The conference's published documents, minutes first, each with all its versions."""
    return _grouped(_listed_documents([conference.id]))


def group_of(groups: Sequence[DocumentGroup], document: PublishedDocument) -> DocumentGroup:
    return next(g for g in groups if g.latest.draft_id == document.draft_id)


def public_photos(conference: Conference) -> list[Photo]:
    """The conference's photos in their order, without their bytes."""
    stmt = (
        sa.select(Photo)
        .where(Photo.conference_id == conference.id)
        .order_by(Photo.position, Photo.id)
    )
    return list(db.session.scalars(stmt))


def find_public_photo(ward: Ward, photo_id: int) -> Photo | None:
    """A photo of ``ward`` whose conference has a published document; None for any other."""
    stmt = sa.select(Photo).where(
        Photo.id == photo_id,
        Photo.ward_id == ward.id,
        Photo.conference_id.in_(_published_conference_ids()),
    )
    return db.session.scalar(stmt)


# -- the archive list ------------------------------------------------------------------------


@dataclass
class ArchiveEntry:
    conference: Conference
    groups: list[DocumentGroup]


@dataclass
class Page:
    """One page of results, with the attributes the pagination macro reads."""

    items: list
    page: int
    per_page: int
    total: int
    pages: int = field(init=False)

    def __post_init__(self):
        self.pages = max(1, math.ceil(self.total / self.per_page)) if self.total else 0

    @property
    def has_prev(self) -> bool:
        return self.page > 1 and self.pages > 0

    @property
    def prev_num(self) -> int:
        return min(self.page - 1, self.pages)

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def next_num(self) -> int:
        return self.page + 1


def archive_years(ward: Ward) -> list[int]:
    """The years (in the ward's time zone) of the ward's conferences with a published document."""
    starts = db.session.scalars(
        sa.select(Conference.start_dt).where(
            Conference.ward_id == ward.id, Conference.id.in_(_published_conference_ids())
        )
    )
    return sorted({to_local(start, ward.timezone).year for start in starts}, reverse=True)


def archive_areas(ward: Ward) -> list[ProcedureArea]:
    """The ward's procedure areas in which a published conference heard a turn."""
    # For each of the ward's areas, does one such turn exist: the turns' index on their area
    # answers it at once, where a list of every area used would read every turn of the country.
    heard = (
        sa.select(Turn.id)
        .where(
            Turn.procedure_area_id == ProcedureArea.id,
            Turn.withdrawn_dt.is_(None),
            Turn.conference_id.in_(_published_conference_ids()),
        )
        .exists()
    )
    stmt = (
        sa.select(ProcedureArea)
        .where(ProcedureArea.ward_id == ward.id, heard)
        .order_by(ProcedureArea.position, ProcedureArea.id)
    )
    return list(db.session.scalars(stmt))


def _year_bounds(year: int, timezone: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(timezone)
    return datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)


def archive_page(
    ward: Ward, *, year: int | None = None, area_id: int | None = None, page: int = 1
) -> Page:
    """A page of the ward's conferences with published documents, newest first, filtered."""
    conditions = [Conference.ward_id == ward.id, Conference.id.in_(_published_conference_ids())]
    if year is not None:
        start, end = _year_bounds(year, ward.timezone)
        conditions += [Conference.start_dt >= start, Conference.start_dt < end]
    if area_id is not None:
        in_area = sa.select(Turn.conference_id).where(
            Turn.procedure_area_id == area_id, Turn.withdrawn_dt.is_(None)
        )
        conditions.append(Conference.id.in_(in_area))
    page = clamp_page(page)
    total = db.session.scalar(sa.select(sa.func.count(Conference.id)).where(*conditions))
    conferences = []
    if total and (page - 1) * ARCHIVE_PER_PAGE < total:
        conferences = list(
            db.session.scalars(
                sa.select(Conference)
                .where(*conditions)
                .order_by(Conference.start_dt.desc(), Conference.id.desc())
                .offset((page - 1) * ARCHIVE_PER_PAGE)
                .limit(ARCHIVE_PER_PAGE)
            )
        )
    documents = _listed_documents([c.id for c in conferences])
    entries = [
        ArchiveEntry(
            conference, _grouped([d for d in documents if d.conference_id == conference.id])
        )
        for conference in conferences
    ]
    return Page(entries, page=page, per_page=ARCHIVE_PER_PAGE, total=total or 0)


def latest_documents(conference: Conference) -> list[PublishedDocument]:
    """The newest version of each published document of ``conference`` (none before publication)."""
    return [group.latest for group in conference_documents(conference)]


def latest_documents_by_conference(
    conference_ids: Sequence[int],
) -> dict[int, list[PublishedDocument]]:
    """``latest_documents`` of several conferences in one query, by conference id."""
    return {
        conference_id: [group.latest for group in groups]
        for conference_id, groups in document_groups_by_conference(conference_ids).items()
    }


# -- search and highlighting -----------------------------------------------------------------


# A ward's texts use a few hundred distinct characters: each is folded once per process (the
# excerpts of one results page fold some 20,000 characters).
@functools.lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    """Fold one character as ``fold`` folds a text, so that positions can be mapped back."""
    if ch in "đĐðÐ":
        return "d"
    decomposed = unicodedata.normalize("NFD", ch)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").casefold()


def _folded_with_origin(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each folded character, the index of its original character."""
    chars: list[str] = []
    origin: list[int] = []
    for index, ch in enumerate(text):
        for folded in _fold_char(ch):
            chars.append(folded)
            origin.append(index)
    return "".join(chars), origin


def query_words(query: str) -> list[str]:
    """The folded words of a search query, longest first (a longer match wins an overlap)."""
    words = {word for word in fold(query[:QUERY_MAX_CHARS]).split()}
    return sorted(words, key=lambda w: (-len(w), w))


def match_ranges(text: str, words: Sequence[str]) -> list[tuple[int, int]]:
    """Where ``words`` (folded) occur in ``text``, as ranges of the ORIGINAL characters, merged."""
    if not text or not words:
        return []
    folded, origin = _folded_with_origin(text)
    ranges = []
    for word in words:
        start = folded.find(word)
        while start != -1:
            if start > 0 and folded[start - 1].isalnum():
                # Only at the start of a word: "ho" finds "hộ" and "hồ", not "phố" or "thời".
                start = folded.find(word, start + 1)
                continue
            first = origin[start]
            last = origin[start + len(word) - 1] + 1
            # Combining marks after the last letter belong to it ("u" + hook above).
            while last < len(text) and not _fold_char(text[last]):
                last += 1
            ranges.append((first, last))
            start = folded.find(word, start + 1)
    ranges.sort()
    merged: list[tuple[int, int]] = []
    for first, last in ranges:
        if merged and first <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def marked(text: str, ranges: Sequence[tuple[int, int]], *, offset: int = 0) -> Markup:
    """``text`` escaped, with ``<mark>`` around each range (ranges relative to ``offset``)."""
    out = Markup("")
    position = 0
    for first, last in ranges:
        first, last = max(first - offset, 0), min(last - offset, len(text))
        if last <= position or first >= len(text):
            continue
        first = max(first, position)
        out += escape(text[position:first]) + Markup("<mark>") + escape(text[first:last])
        out += Markup("</mark>")
        position = last
    return out + escape(text[position:])


def highlight(text: str, words: Sequence[str]) -> Markup:
    """The whole of ``text`` with every match of ``words`` marked."""
    return marked(text, match_ranges(text, words))


def excerpt(text: str, words: Sequence[str], *, width: int = EXCERPT_CHARS) -> Markup:
    """About ``width`` characters of ``text`` around its first match, matches marked."""
    text = text or ""
    ranges = match_ranges(text, words)
    if len(text) <= width:
        return marked(text, ranges)
    first = ranges[0][0] if ranges else 0
    start = max(0, first - width // 4)
    if start:
        space = text.rfind(" ", 0, start + 1)
        start = space + 1 if space != -1 and start - space < 24 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        if space > start + width // 2:
            end = space
    body = marked(text[start:end], ranges, offset=start)
    return (Markup("…") if start else Markup("")) + body + (Markup("…") if end < len(text) else "")


@dataclass
class SearchHit:
    turn: Turn
    speaker: Markup
    question: Markup
    answer: Markup
    document: PublishedDocument | None


@dataclass
class SearchResults:
    query: str
    words: list[str]
    page: Page


def query_problem(query: str) -> bool:
    """Tell whether ``query`` is too short to search for."""
    return len(fold(query[:QUERY_MAX_CHARS]).replace(" ", "")) < MIN_QUERY_CHARS


def search_turns(ward: Ward, query: str, *, page: int = 1) -> SearchResults:
    """Published, not withdrawn turns of ``ward`` holding every word of ``query``, newest first.

    Each word must begin a word of what residents see of the turn — its speaker as shown, its
    procedure area, question and answer — whatever the accents: "ho tich" finds the turns of
    the area "Hộ tịch", and "ho" does not find "phố". A hidden speaker's name never matches.
    The database finds them in ``search_entries``, which holds that text (see ``search_index``).
    """
    query = query[:QUERY_MAX_CHARS]
    words = query_words(query)
    page = clamp_page(page)
    total, turn_ids = search_index.find_turn_ids(
        ward.id, words, offset=(page - 1) * SEARCH_PER_PAGE, limit=SEARCH_PER_PAGE
    )
    chosen = []
    if turn_ids:
        stmt = (
            sa.select(Turn)
            .join(Turn.conference)
            .options(
                contains_eager(Turn.conference),
                selectinload(Turn.procedure_area),
                selectinload(Turn.speaker_group),
                selectinload(Turn.referral_unit),
            )
            .where(Turn.id.in_(turn_ids))
        )
        by_id = {turn.id: turn for turn in db.session.scalars(stmt)}
        chosen = [by_id[turn_id] for turn_id in turn_ids if turn_id in by_id]
    documents = _documents_to_link({turn.conference_id for turn in chosen})
    hits = [
        SearchHit(
            turn=turn,
            speaker=highlight(turn.document_speaker, words),
            question=excerpt(turn.question, words),
            answer=excerpt(turn.answer, words) if turn.answer else Markup(""),
            document=documents.get(turn.conference_id),
        )
        for turn in chosen
    ]
    return SearchResults(
        query=query,
        words=words,
        page=Page(hits, page=page, per_page=SEARCH_PER_PAGE, total=total),
    )


def _documents_to_link(conference_ids: set[int]) -> dict[int, PublishedDocument]:
    """For each conference, the newest version of its minutes (or of its notice, if alone)."""
    chosen: dict[int, PublishedDocument] = {}
    groups_by_conference: dict[int, list[PublishedDocument]] = {}
    for document in _listed_documents(sorted(conference_ids)):
        groups_by_conference.setdefault(document.conference_id, []).append(document)
    for conference_id, documents in groups_by_conference.items():
        chosen[conference_id] = _grouped(documents)[0].latest
    return chosen
