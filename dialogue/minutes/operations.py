"""Writing, approving and publishing a conference's minutes (BB) and conclusion notice (TB).

Secretaries of the conference and organisers write the narrative parts of a draft and submit
it; the ward's chair sends it back or publishes it. Publishing takes the document's number,
renders the HTML and the PDF once and stores their bytes with their SHA-256: from then on the
version never changes (``models`` refuses it). A correction is a new version with its reason,
under the same number; the earlier versions stay reachable.
"""

from __future__ import annotations

import unicodedata
import warnings
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, request, url_for
from flask_babel import gettext as _
from werkzeug.routing import BuildError

from dialogue.audit.recording import record_event
from dialogue.auth.models import Role, User
from dialogue.conferences.models import PUBLICATION_DAYS, Conference, ConferenceStatus
from dialogue.conferences.operations import change_status
from dialogue.core.dates import to_local
from dialogue.core.db import utcnow
from dialogue.core.text import normalize_text
from dialogue.documents.models import DocumentType
from dialogue.documents.operations import allocate_number
from dialogue.documents.signing import sign_pdf
from dialogue.errors import DialogueError, InvalidTransition, PermissionDenied, ValidationFailed
from dialogue.extensions import db
from dialogue.ledger.chain import sha256_hex
from dialogue.ledger.operations import record_document
from dialogue.minutes.compose import default_texts, document_context, missing_parts
from dialogue.minutes.models import (
    DraftStatus,
    MinutesDraft,
    PublishedDocument,
    TurnOrder,
    new_public_code,
)
from dialogue.minutes.render import render_document_html, render_document_pdf

# The two documents a conference publishes, in the order they are shown.
DOCUMENT_TYPES = (DocumentType.MINUTES, DocumentType.NOTICE)
# The law asks that the results be published within this many days of the conference.
# The minutes are written after the session: while it is closed, and to correct them later.
WRITABLE_STATES = frozenset({ConferenceStatus.CLOSED, ConferenceStatus.PUBLISHED})

MAX_TEXT_LENGTH = 20_000
MAX_RECIPIENTS = 40
MAX_RECIPIENT_LENGTH = 255
MAX_REASON_LENGTH = 2_000
# The path of a version's short link, when the public site's endpoint cannot build it.
SHORT_LINK_PATH = "/d/{code}"

# Line breaks and tabs are kept (paragraphs); other control characters never mean anything
# in a document, and PostgreSQL refuses NUL outright.
_KEPT_CONTROLS = frozenset("\n\t")


def document_title(conference: Conference, doc_type: DocumentType) -> str:
    """The Vietnamese title a published version is listed under."""
    kind = "Biên bản" if doc_type is DocumentType.MINUTES else "Thông báo kết luận"
    subject = normalize_text(conference.subject) or normalize_text(conference.title)
    return f"{kind} {subject}"[:255]


# -- what staff type, and what can go wrong ----------------------------------------------------


@dataclass(frozen=True)
class DraftData:
    """The parts of a draft that staff type."""

    opening: str = ""
    report_summary: str = ""
    conclusion: str = ""
    recipients: str = ""
    turn_order: TurnOrder = TurnOrder.SPEAKING

    @classmethod
    def of(cls, draft: MinutesDraft) -> DraftData:
        return cls(**{f.name: getattr(draft, f.name) for f in fields(cls)})


class DraftConflict(DialogueError):
    """The draft was saved by someone else since the form was opened; nothing was saved.

    Carries the draft as it now is, to show beside what the user typed.
    """

    def __init__(self, message: str, draft: MinutesDraft):
        super().__init__(message)
        self.current = DraftData.of(draft)
        self.version = draft.version
        self.updated_by = draft.updated_by.display_name if draft.updated_by else ""
        self.updated_dt = draft.updated_dt


class MissingParts(ValidationFailed):
    """Required parts of the document are missing; each is named."""

    def __init__(self, message: str, parts: list[str]):
        super().__init__(message)
        self.parts = list(parts)


# -- who may do what ----------------------------------------------------------------------------


def may_write(conference: Conference, user: User) -> bool:
    """Tell whether ``user`` writes and submits this conference's documents.

    The conference's own secretaries and the ward's organisers; administrators everywhere.
    """
    return conference.is_recorded_by(user)


def may_approve(conference: Conference, user: User) -> bool:
    """Tell whether ``user`` approves and publishes: the ward's chair, or an administrator."""
    if user.is_admin:
        return True
    return user.role is Role.CHAIR and user.ward_id == conference.ward_id


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


# -- finding and locking ------------------------------------------------------------------------


def find_draft(conference: Conference, doc_type: DocumentType) -> MinutesDraft | None:
    return db.session.scalar(
        sa.select(MinutesDraft).where(
            MinutesDraft.conference_id == conference.id, MinutesDraft.doc_type == doc_type
        )
    )


def drafts_of(conference: Conference) -> dict[DocumentType, MinutesDraft | None]:
    """Both documents of ``conference``, None where no draft was started."""
    found = {
        draft.doc_type: draft
        for draft in db.session.scalars(
            sa.select(MinutesDraft).where(MinutesDraft.conference_id == conference.id)
        )
    }
    return {doc_type: found.get(doc_type) for doc_type in DOCUMENT_TYPES}


def _lock(draft: MinutesDraft) -> None:
    """Read the draft again under a row lock, so two saves or two approvals queue up."""
    db.session.refresh(draft, with_for_update=True)


def _lock_conference(conference: Conference) -> None:
    # Publishing the BB and the TB at once must not leave the conference unpublished.
    db.session.scalar(
        sa.select(Conference.id).where(Conference.id == conference.id).with_for_update()
    )


def check_writable(conference: Conference) -> None:
    """Raise InvalidTransition unless the conference's documents may be written now."""
    if conference.status not in WRITABLE_STATES:
        raise InvalidTransition(
            _(
                "The minutes and the conclusion notice are written after the session. "
                "This conference is “%(status)s”.",
                status=conference.status.title,
            )
        )


def _check_type(doc_type: DocumentType) -> None:
    if doc_type not in DOCUMENT_TYPES:
        raise ValidationFailed(_("A conference publishes only its minutes and its notice."))


# -- drafts -------------------------------------------------------------------------------------

TEXT_FIELDS = ("opening", "report_summary", "conclusion", "recipients")


def default_data(conference: Conference, doc_type: DocumentType) -> DraftData:
    """What a new draft says: the texts composed from the records."""
    texts = default_texts(conference, doc_type)
    return DraftData(**{name: texts.get(name) or "" for name in TEXT_FIELDS})


def get_or_create_draft(conference: Conference, doc_type: DocumentType, by: User) -> MinutesDraft:
    """Return the draft of ``doc_type``, starting it from the records' default texts."""
    _check_type(doc_type)
    draft = find_draft(conference, doc_type)
    if draft is not None:
        return draft
    _require(
        may_write(conference, by),
        _("Only the conference's secretaries and organisers write its documents."),
    )
    check_writable(conference)
    texts = default_data(conference, doc_type)
    draft = MinutesDraft(
        conference=conference,
        doc_type=doc_type,
        status=DraftStatus.DRAFT,
        opening=texts.opening,
        report_summary=texts.report_summary,
        conclusion=texts.conclusion,
        recipients=texts.recipients,
        version=1,
        updated_by=by,
    )
    try:
        # Two people opening the same new document at once: the second reads the first's.
        with db.session.begin_nested():
            db.session.add(draft)
    except sa.exc.IntegrityError:
        draft = find_draft(conference, doc_type)
    return draft


def _clean_text(value: str | None) -> str:
    """Paragraphs one a line: each line normalised, blank lines and control characters out."""
    if not value:
        return ""
    text = "".join(
        ch
        for ch in unicodedata.normalize("NFC", value)
        if ch in _KEPT_CONTROLS or unicodedata.category(ch) != "Cc"
    )
    lines = (normalize_text(line) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _clean_recipients(value: str | None) -> str:
    """One recipient a line, as typed but without the "- " and ";" the document adds."""
    lines = []
    for line in _clean_text(value).split("\n"):
        line = line.strip().lstrip("-–•+* ").rstrip(";,. ").strip()
        if line:
            lines.append(line)
    return "\n".join(lines)


def _checked(data: DraftData) -> DraftData:
    cleaned = DraftData(
        opening=_clean_text(data.opening),
        report_summary=_clean_text(data.report_summary),
        conclusion=_clean_text(data.conclusion),
        recipients=_clean_recipients(data.recipients),
        turn_order=TurnOrder(data.turn_order),
    )
    for name in ("opening", "report_summary", "conclusion"):
        if len(getattr(cleaned, name)) > MAX_TEXT_LENGTH:
            raise ValidationFailed(
                _("This text is longer than %(limit)s characters.", limit=MAX_TEXT_LENGTH),
                field=name,
            )
    recipients = cleaned.recipients.split("\n") if cleaned.recipients else []
    if len(recipients) > MAX_RECIPIENTS:
        raise ValidationFailed(
            _("Name at most %(limit)s recipients.", limit=MAX_RECIPIENTS), field="recipients"
        )
    for line in recipients:
        if len(line) > MAX_RECIPIENT_LENGTH:
            raise ValidationFailed(
                _(
                    "A recipient is longer than %(limit)s characters: “%(start)s…”. "
                    "Put each recipient on its own line.",
                    limit=MAX_RECIPIENT_LENGTH,
                    start=line[:40],
                ),
                field="recipients",
            )
    return cleaned


def ensure_editable(draft: MinutesDraft) -> None:
    """Raise InvalidTransition unless the draft's text may change now."""
    if draft.status is DraftStatus.SUBMITTED:
        raise InvalidTransition(
            _(
                "This document is with the chair for approval and cannot be changed now. "
                "The chair can send it back for changes."
            )
        )
    if draft.status is DraftStatus.PUBLISHED:
        latest = draft.latest
        raise InvalidTransition(
            _(
                "Version %(version)s of this document is published and never changes. "
                "To change it, start a correction: it will be published as version %(next)s, "
                "with the reason.",
                version=latest.version if latest else 1,
                next=(latest.version if latest else 1) + 1,
            )
        )


def update_draft(
    draft: MinutesDraft, data: DraftData, by: User, expected_version: int
) -> MinutesDraft:
    """Save what staff typed into ``draft``, if nobody saved it since ``expected_version``.

    Raises DraftConflict (carrying the draft as it now is) when the version moved on; saving
    exactly what the draft already says is no conflict.
    """
    _lock(draft)
    _require(
        may_write(draft.conference, by),
        _("Only the conference's secretaries and organisers write its documents."),
    )
    ensure_editable(draft)
    cleaned = _checked(data)
    current = DraftData.of(draft)
    if cleaned == current:
        return draft
    if draft.version != expected_version:
        raise DraftConflict(
            _(
                "Someone else saved this document while you were editing it. Nothing of yours "
                "was saved: compare your text with theirs below, then save again."
            ),
            draft,
        )
    for name in ("opening", "report_summary", "conclusion", "recipients", "turn_order"):
        setattr(draft, name, getattr(cleaned, name))
    draft.version += 1
    draft.updated_by = by
    db.session.flush()
    return draft


def preview_draft(conference: Conference, doc_type: DocumentType, data: DraftData) -> MinutesDraft:
    """A draft holding ``data`` that is never saved, to preview text before it is saved."""
    cleaned = _checked(data)
    draft = MinutesDraft(
        conference_id=conference.id,
        doc_type=doc_type,
        status=DraftStatus.DRAFT,
        version=0,
        **{f.name: getattr(cleaned, f.name) for f in fields(DraftData)},
    )
    if draft in db.session:
        db.session.expunge(draft)
    return draft


def _check_complete(conference: Conference, draft: MinutesDraft, message: str) -> None:
    missing = missing_parts(conference, draft)
    if missing:
        raise MissingParts(message + " " + "; ".join(str(part) for part in missing) + ".", missing)


def submit_draft(draft: MinutesDraft, by: User, *, now: datetime | None = None) -> None:
    """Send the draft to the chair for approval; refused while required parts are missing."""
    _lock(draft)
    conference = draft.conference
    _require(
        may_write(conference, by),
        _("Only the conference's secretaries and organisers submit its documents."),
    )
    if draft.status is DraftStatus.SUBMITTED:
        raise InvalidTransition(_("This document has already been submitted to the chair."))
    ensure_editable(draft)
    check_writable(conference)
    _check_complete(conference, draft, _("The document cannot be submitted yet. Missing:"))
    draft.status = DraftStatus.SUBMITTED
    draft.submitted_dt = now or utcnow()
    draft.submitted_by = by
    draft.return_reason = ""
    db.session.flush()


def return_to_draft(draft: MinutesDraft, by: User, reason: str) -> None:
    """The chair sends a submitted draft back for changes, saying why."""
    _lock(draft)
    _require(
        may_approve(draft.conference, by), _("Only the chair sends a document back for changes.")
    )
    if draft.status is not DraftStatus.SUBMITTED:
        raise InvalidTransition(_("Only a document submitted to the chair can be sent back."))
    reason = _clean_text(reason)
    if not reason:
        raise ValidationFailed(_("Say what should be changed."), field="reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationFailed(
            _("The reason is longer than %(limit)s characters.", limit=MAX_REASON_LENGTH),
            field="reason",
        )
    draft.status = DraftStatus.DRAFT
    draft.return_reason = reason
    db.session.flush()


def start_correction(draft: MinutesDraft, by: User) -> None:
    """Open a published document for changes; they are published as its next version."""
    _lock(draft)
    conference = draft.conference
    _require(
        may_write(conference, by) or may_approve(conference, by),
        _("Only the conference's secretaries, organisers and the chair correct its documents."),
    )
    if draft.status is not DraftStatus.PUBLISHED:
        raise InvalidTransition(_("Only a published document can be corrected."))
    check_writable(conference)
    draft.status = DraftStatus.DRAFT
    draft.return_reason = ""
    db.session.flush()
    record_event(
        db.session,
        ward_id=conference.ward_id,
        entity=draft,
        summary=f"correction of {draft.doc_type.value} v{draft.latest.version} started",
        details={"version": draft.latest.version},
    )


# -- publishing ---------------------------------------------------------------------------------


def public_link(code: str) -> str:
    """The full address of a published version's short link, for its QR code.

    ``DIALOGUE_PUBLIC_URL`` (the site as residents reach it) wins; otherwise the public
    site's own endpoint, or the agreed path on the address this request came to.
    """
    base = (current_app.config.get("DIALOGUE_PUBLIC_URL") or "").strip()
    if not base:
        try:
            return url_for("archive.short_link", code=code, _external=True)
        except (BuildError, RuntimeError):
            base = request.host_url if has_request_context() else ""
    return base.rstrip("/") + SHORT_LINK_PATH.format(code=code)


def _unused_public_code() -> str:
    while True:
        code = new_public_code()
        taken = db.session.scalar(
            sa.select(PublishedDocument.id).where(PublishedDocument.public_code == code)
        )
        if taken is None:
            return code


def _render_as(conference: Conference, draft: MinutesDraft, published: PublishedDocument) -> str:
    """The HTML ``draft`` would give with the number, version and date of ``published``."""
    context = document_context(
        conference,
        draft,
        number_label=published.number_label,
        version=published.version,
        public_url=public_link(published.public_code),
        public_code=published.public_code,
        published_dt=published.published_dt,
    )
    return render_document_html(context)


def check_publishable(draft: MinutesDraft | None) -> None:
    """Raise InvalidTransition unless ``draft`` waits for the chair's approval."""
    if draft is not None and draft.status is DraftStatus.PUBLISHED:
        raise InvalidTransition(
            _(
                "Version %(version)s of this document is already published; publishing it again "
                "would change nothing. To change it, start a correction and give its reason.",
                version=draft.latest.version if draft.latest else 1,
            )
        )
    if draft is None or draft.status is not DraftStatus.SUBMITTED:
        raise InvalidTransition(
            _("This document has not been submitted yet: it is published once submitted.")
        )


def _check_reason(latest: PublishedDocument | None, reason: str) -> str:
    reason = _clean_text(reason)
    if latest is None:
        return ""
    if not reason:
        raise ValidationFailed(
            _(
                "Say why this correction replaces version %(version)s: the reason is published "
                "with the new version.",
                version=latest.version,
            ),
            field="correction_reason",
        )
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationFailed(
            _("The reason is longer than %(limit)s characters.", limit=MAX_REASON_LENGTH),
            field="correction_reason",
        )
    return reason


def publish(
    draft: MinutesDraft,
    by: User,
    *,
    pdfa: bool = False,
    correction_reason: str = "",
    now: datetime | None = None,
) -> PublishedDocument:
    """Approve and publish ``draft``: number it, render it once, freeze the bytes and hashes.

    The first version takes the next number of the year ``now`` falls in (the ward's
    calendar); corrections keep it. When both the BB and the TB are published, the
    conference becomes "Minutes published".
    """
    conference = draft.conference
    _require(may_approve(conference, by), _("Only the chair approves and publishes documents."))
    _lock_conference(conference)
    _lock(draft)
    check_publishable(draft)
    check_writable(conference)
    _check_complete(conference, draft, _("The document cannot be published yet. Missing:"))
    latest = draft.latest
    reason = _check_reason(latest, correction_reason)
    if latest is not None and _render_as(conference, draft, latest) == latest.html:
        raise ValidationFailed(
            _(
                "Nothing has changed since version %(version)s: a correction must change "
                "the document. Send it back for changes, or leave version %(version)s as it is.",
                version=latest.version,
            )
        )
    now = now or utcnow()
    version = latest.version + 1 if latest else 1
    if latest is not None:
        number = latest.number
    else:
        # A conference recorded afterwards takes its numbers from the register of the year it
        # was held: this year's register stays for this year's documents.
        held = conference.held_start_local if conference.is_recorded_afterwards else None
        number = allocate_number(
            conference.ward,
            draft.doc_type,
            conference=conference,
            purpose=document_title(conference, draft.doc_type),
            year=held.year if held else to_local(now, conference.ward.timezone).year,
        )
    # The code comes first: the PDF prints its link and QR code.
    code = _unused_public_code()
    context = document_context(
        conference,
        draft,
        number_label=number.label,
        version=version,
        public_url=public_link(code),
        public_code=code,
        published_dt=now,
    )
    html = render_document_html(context)
    # Signed before it is hashed and stored: the published bytes are the signed ones.
    title = document_title(conference, draft.doc_type)
    signed = sign_pdf(_render_pdf(context, pdfa=pdfa), conference.ward, title=title)
    pdf = signed.pdf
    published = PublishedDocument(
        draft=draft,
        conference_id=conference.id,
        doc_type=draft.doc_type,
        version=version,
        number=number,
        number_label=number.label,
        public_code=code,
        correction_reason=reason,
        is_pdfa=pdfa,
        html=html,
        pdf=pdf,
        html_sha256=sha256_hex(html),
        pdf_sha256=sha256_hex(pdf),
        pdf_size=len(pdf),
        title=document_title(conference, draft.doc_type),
        published_dt=now,
        published_by=by,
        signed_by=signed.signed_by,
        signed_dt=signed.signed_dt,
    )
    db.session.add(published)
    draft.status = DraftStatus.PUBLISHED
    db.session.flush()
    # In the same transaction: the version and its place in the ward's chain commit together.
    record_document(published)
    if conference.status is ConferenceStatus.CLOSED and _all_published(conference):
        change_status(conference, ConferenceStatus.PUBLISHED)
    return published


def _render_pdf(context: dict, *, pdfa: bool) -> bytes:
    with warnings.catch_warnings():
        # WeasyPrint 6 reads its sRGB profile for PDF/A without closing the file; the
        # handle is freed at once, and only the warning about it is noise.
        warnings.filterwarnings(
            "ignore", message=r"unclosed file .*sRGB2014\.icc", category=ResourceWarning
        )
        return render_document_pdf(context, pdfa=pdfa)


def _all_published(conference: Conference) -> bool:
    published_types = set(
        db.session.scalars(
            sa.select(PublishedDocument.doc_type)
            .where(PublishedDocument.conference_id == conference.id)
            .distinct()
        )
    )
    return published_types >= set(DOCUMENT_TYPES)


def versions_of(conference: Conference) -> list[PublishedDocument]:
    """Every published version of the conference's documents, BB before TB, oldest first."""
    return list(
        db.session.scalars(
            sa.select(PublishedDocument)
            .where(PublishedDocument.conference_id == conference.id)
            .order_by(PublishedDocument.doc_type, PublishedDocument.version)
        )
    )


# -- the deadline -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicationDeadline:
    """When the conference's results must be published, and where things stand."""

    deadline: date
    days_left: int  # negative once overdue
    published_on: date | None  # the day the second of the two documents was published
    # Recorded afterwards: ``published_on`` is the day its results were posted on paper (if
    # known), and the rule is not applied backwards to today's publication here.
    is_recorded: bool = False

    @property
    def is_published(self) -> bool:
        return self.published_on is not None

    @property
    def is_overdue(self) -> bool:
        return not self.is_recorded and not self.is_published and self.days_left < 0

    @property
    def days_overdue(self) -> int:
        return -self.days_left

    @property
    def days_late(self) -> int:
        """How many days after the deadline it was published (0 when on time)."""
        if self.published_on is None:
            return 0
        return max(0, (self.published_on - self.deadline).days)


def publication_deadlines(
    conferences: list[Conference],
    *,
    now: datetime | None = None,
    selected_by: sa.Select | None = None,
) -> dict[int, PublicationDeadline]:
    """The publication deadline of each conference: 10 days after it, on the ward's calendar.

    ``selected_by``, a query of the conferences' ids, stands in for their list when they are
    many (a province's years): thousands of bound values cost more than the query itself.
    """
    if not conferences:
        return {}
    if selected_by is None:
        selected_by = [c.id for c in conferences]
    rows = db.session.execute(
        sa.select(
            PublishedDocument.conference_id,
            PublishedDocument.doc_type,
            sa.func.min(PublishedDocument.published_dt),
        )
        .where(PublishedDocument.conference_id.in_(selected_by))
        .group_by(PublishedDocument.conference_id, PublishedDocument.doc_type)
    ).all()
    first_published: dict[int, dict[DocumentType, datetime]] = {}
    for conference_id, doc_type, published_dt in rows:
        first_published.setdefault(conference_id, {})[DocumentType(doc_type)] = published_dt
    now = now or utcnow()
    result = {}
    for conference in conferences:
        tz = conference.ward.timezone
        deadline = conference.held_start_local.date() + timedelta(days=PUBLICATION_DAYS)
        today = to_local(now, tz).date()
        dates = first_published.get(conference.id, {})
        published_on = None
        if conference.is_recorded_afterwards:
            published_on = conference.results_posted_on
        elif set(dates) >= set(DOCUMENT_TYPES):
            published_on = max(to_local(_aware(value), tz).date() for value in dates.values())
        result[conference.id] = PublicationDeadline(
            deadline=deadline,
            days_left=(deadline - today).days,
            published_on=published_on,
            is_recorded=conference.is_recorded_afterwards,
        )
    return result


def _aware(value: datetime) -> datetime:
    # min() keeps the column's type, so values come back aware; a naive one is UTC wall time.
    return value if value.tzinfo else value.replace(tzinfo=UTC)
