"""Checking a ward's stored documents against its ledger, and the ledger against a saved copy.

What the database says is checked three ways: the chain must hold together (each entry's hash
recomputed, each linked to the one before, no gaps); every published version must match its
entry (the bytes' SHA-256 recomputed, not read from the row); and, when a copy of the log saved
earlier is given, the stored chain must begin with exactly that copy. The last is the check that
does not rely on the database: whoever can rewrite every table can recompute a forged row's
hash and the chain after it, but not the copies of the log already downloaded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from dialogue.conferences.models import Conference
from dialogue.errors import DialogueError
from dialogue.extensions import db
from dialogue.followup.models import AnswerStatus, Referral, WrittenAnswer
from dialogue.ledger import chain
from dialogue.ledger.models import GENESIS_HASH, EntryKind
from dialogue.ledger.operations import entries_of, entry_fields
from dialogue.minutes.models import PublishedDocument

# Published versions read at a time: PDFs are read to be hashed, never all at once.
BATCH_SIZE = 20


class LogError(DialogueError):
    """A file given as the log is not one."""


@dataclass(frozen=True)
class Finding:
    sequence: int | None
    message: str


@dataclass
class ReferenceLog:
    ward_slug: str
    entries: list[dict]


@dataclass
class Report:
    ward_slug: str
    entries: int = 0
    documents: int = 0
    head_hash: str = GENESIS_HASH
    reference_entries: int | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def is_ok(self) -> bool:
        return not self.findings

    def add(self, message: str, sequence: int | None = None) -> None:
        self.findings.append(Finding(sequence, message))


@dataclass(frozen=True)
class _Stored:
    """A published version as the database holds it, its hashes recomputed from its bytes."""

    description: str
    number_label: str
    version: int
    published_at: str
    pdf_sha256: str
    html_sha256: str
    stored_pdf_sha256: str
    stored_html_sha256: str


def read_log(lines: Iterable[str | bytes]) -> ReferenceLog:
    """Parse a downloaded log (JSON Lines); raise LogError saying which line is wrong."""
    entries: list[dict] = []
    slugs: set[str] = set()
    for number, raw in enumerate(lines, start=1):
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise LogError(
                    _("Line %(line)s of the log is not UTF-8 text.", line=number)
                ) from None
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except ValueError:
            raise LogError(_("Line %(line)s of the log is not JSON.", line=number)) from None
        if not isinstance(line, dict) or not _well_formed(line):
            raise LogError(_("Line %(line)s of the log is not a ledger entry.", line=number))
        slugs.add(str(line.get("ward", "")))
        entries.append(line)
    if not entries:
        raise LogError(_("The log is empty."))
    if len(slugs) > 1:
        raise LogError(_("The log mixes the entries of several wards."))
    return ReferenceLog(ward_slug=slugs.pop(), entries=entries)


def _well_formed(line: dict) -> bool:
    integers = ("sequence", "document_id", "version")
    texts = [name for name in chain.HASHED_FIELDS if name not in integers] + ["entry_hash"]
    return all(
        isinstance(line.get(name), int) and not isinstance(line.get(name), bool)
        for name in integers
    ) and all(isinstance(line.get(name), str) for name in texts)


def _check_chain(entries: list[dict], report: Report, *, where: str) -> None:
    """Report gaps, broken links and entries whose hash does not match their content."""
    previous_hash = GENESIS_HASH
    expected = 1
    for entry in entries:
        sequence = entry["sequence"]
        if sequence != expected:
            report.add(
                _(
                    "%(where)s: entry %(sequence)s is missing (the chain jumps from %(before)s "
                    "to %(after)s).",
                    where=where,
                    sequence=expected,
                    before=expected - 1,
                    after=sequence,
                ),
                expected,
            )
        elif entry["previous_hash"] != previous_hash:
            report.add(
                _(
                    "%(where)s: entry %(sequence)s does not follow the entry before it.",
                    where=where,
                    sequence=sequence,
                ),
                sequence,
            )
        if chain.entry_hash(entry) != entry["entry_hash"]:
            report.add(
                _(
                    "%(where)s: entry %(sequence)s was altered: its hash does not match its "
                    "content.",
                    where=where,
                    sequence=sequence,
                ),
                sequence,
            )
        previous_hash = entry["entry_hash"]
        expected = sequence + 1


def _describe(kind: EntryKind, number_label: str, version: int, document_id: int) -> str:
    if number_label:
        return _(
            "%(kind)s No. %(number)s, version %(version)s (record %(id)s)",
            kind=kind.title,
            number=number_label,
            version=version,
            id=document_id,
        )
    return _(
        "%(kind)s, version %(version)s (record %(id)s)",
        kind=kind.title,
        version=version,
        id=document_id,
    )


def _stored_versions(ward_id: int) -> dict[tuple[str, int], _Stored]:
    found: dict[tuple[str, int], _Stored] = {}
    documents = db.session.execute(
        sa.select(
            PublishedDocument.id,
            PublishedDocument.doc_type,
            PublishedDocument.number_label,
            PublishedDocument.version,
            PublishedDocument.published_dt,
            PublishedDocument.pdf_sha256,
            PublishedDocument.html_sha256,
            PublishedDocument.pdf,
            PublishedDocument.html,
        )
        .join(Conference, Conference.id == PublishedDocument.conference_id)
        .where(Conference.ward_id == ward_id)
        .order_by(PublishedDocument.id)
        .execution_options(yield_per=BATCH_SIZE)
    )
    for row in documents:
        kind = EntryKind(row.doc_type.value)
        found[(kind.value, row.id)] = _Stored(
            description=_describe(kind, row.number_label, row.version, row.id),
            number_label=row.number_label,
            version=row.version,
            published_at=chain.published_at(row.published_dt),
            pdf_sha256=chain.sha256_hex(row.pdf),
            html_sha256=chain.sha256_hex(row.html),
            stored_pdf_sha256=row.pdf_sha256,
            stored_html_sha256=row.html_sha256,
        )
    answers = db.session.execute(
        sa.select(
            WrittenAnswer.id,
            WrittenAnswer.letter_number,
            WrittenAnswer.version,
            WrittenAnswer.published_dt,
            WrittenAnswer.attachment_sha256,
            WrittenAnswer.body_sha256,
            WrittenAnswer.attachment_pdf,
            WrittenAnswer.body,
        )
        .join(Referral, Referral.id == WrittenAnswer.referral_id)
        .where(Referral.ward_id == ward_id, WrittenAnswer.status == AnswerStatus.PUBLISHED)
        .order_by(WrittenAnswer.id)
        .execution_options(yield_per=BATCH_SIZE)
    )
    for row in answers:
        kind = EntryKind.ANSWER
        found[(kind.value, row.id)] = _Stored(
            description=_describe(kind, row.letter_number, row.version, row.id),
            number_label=row.letter_number,
            version=row.version,
            published_at=chain.published_at(row.published_dt),
            pdf_sha256=chain.sha256_hex(row.attachment_pdf),
            html_sha256=chain.sha256_hex(row.body),
            stored_pdf_sha256=row.attachment_sha256,
            stored_html_sha256=row.body_sha256,
        )
    return found


def _check_documents(
    expected: list[dict], stored: dict[tuple[str, int], _Stored], report: Report
) -> None:
    logged: set[tuple[str, int]] = set()
    for entry in expected:
        key = (entry["kind"], entry["document_id"])
        logged.add(key)
        sequence = entry["sequence"]
        try:
            kind = EntryKind(entry["kind"])
        except ValueError:
            kind = EntryKind.MINUTES
        version = stored.get(key)
        if version is None:
            described = _describe(
                kind, entry["number_label"], entry["version"], entry["document_id"]
            )
            report.add(
                _(
                    "%(document)s is in the log (entry %(sequence)s) but no longer in the "
                    "database: it was deleted.",
                    document=described,
                    sequence=sequence,
                ),
                sequence,
            )
            continue
        if version.pdf_sha256 != entry["pdf_sha256"]:
            report.add(
                _(
                    "%(document)s: its PDF is not the one published (entry %(sequence)s).",
                    document=version.description,
                    sequence=sequence,
                ),
                sequence,
            )
        if version.html_sha256 != entry["html_sha256"]:
            report.add(
                _(
                    "%(document)s: its text is not the one published (entry %(sequence)s).",
                    document=version.description,
                    sequence=sequence,
                ),
                sequence,
            )
        if (version.stored_pdf_sha256, version.stored_html_sha256) != (
            version.pdf_sha256,
            version.html_sha256,
        ):
            report.add(
                _(
                    "%(document)s: the hash stored with it does not match its bytes.",
                    document=version.description,
                ),
                sequence,
            )
        if (version.number_label, version.version, version.published_at) != (
            entry["number_label"],
            entry["version"],
            entry["published_at"],
        ):
            report.add(
                _(
                    "%(document)s: its number, version or publication time differ from entry "
                    "%(sequence)s.",
                    document=version.description,
                    sequence=sequence,
                ),
                sequence,
            )
    for key, version in stored.items():
        if key not in logged:
            report.add(
                _(
                    "%(document)s is in the database but not in the log: it was inserted or "
                    "re-inserted outside a publication.",
                    document=version.description,
                )
            )


def verify_ward(ward, reference: ReferenceLog | None = None) -> Report:
    """Check every published version of ``ward`` against its ledger (and a saved copy of it)."""
    report = Report(ward_slug=ward.slug)
    stored_entries = [
        {**entry_fields(entry), "entry_hash": entry.entry_hash} for entry in entries_of(ward.id)
    ]
    report.entries = len(stored_entries)
    if stored_entries:
        report.head_hash = stored_entries[-1]["entry_hash"]
    _check_chain(stored_entries, report, where=_("The database's log"))
    expected = stored_entries
    if reference is not None:
        report.reference_entries = len(reference.entries)
        if reference.ward_slug != ward.slug:
            report.add(
                _(
                    "The downloaded log is the log of ward “%(log)s”, not of “%(ward)s”.",
                    log=reference.ward_slug,
                    ward=ward.slug,
                )
            )
        _check_chain(reference.entries, report, where=_("The downloaded log"))
        by_sequence = {entry["sequence"]: entry for entry in stored_entries}
        for entry in reference.entries:
            mine = by_sequence.get(entry["sequence"])
            if mine is None:
                report.add(
                    _(
                        "Entry %(sequence)s of the downloaded log is missing from the database.",
                        sequence=entry["sequence"],
                    ),
                    entry["sequence"],
                )
            elif mine["entry_hash"] != entry["entry_hash"]:
                report.add(
                    _(
                        "Entry %(sequence)s differs from the downloaded log: the database's log "
                        "was rewritten.",
                        sequence=entry["sequence"],
                    ),
                    entry["sequence"],
                )
        # What was downloaded is the reference; what was published since is checked as stored.
        last = max((entry["sequence"] for entry in reference.entries), default=0)
        expected = reference.entries + [e for e in stored_entries if e["sequence"] > last]
    stored = _stored_versions(ward.id)
    report.documents = len(stored)
    _check_documents(expected, stored, report)
    return report
