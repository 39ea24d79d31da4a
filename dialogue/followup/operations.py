"""The work on a referred question: the unit writes, the chair approves, the answer is published.

Every step is an operation here: it checks, changes, flushes and never commits. The audit
log records every change of a referral, an answer and a request (their models are audited).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from dialogue.auth.models import Role, User
from dialogue.core.db import utcnow
from dialogue.core.text import normalize_paragraphs, normalize_text
from dialogue.errors import DialogueError, PermissionDenied, ValidationFailed
from dialogue.extensions import db
from dialogue.followup.listing import ward_today
from dialogue.followup.models import (
    AnswerStatus,
    Referral,
    ReferralRequest,
    ReferralStatus,
    RequestKind,
    RequestStatus,
    WrittenAnswer,
)
from dialogue.ledger.operations import record_answer
from dialogue.wards.models import Unit

# A signed reply letter is a few pages; a scan of one stays well under this.
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ANSWER_LENGTH = 20_000


class AnswerConflict(DialogueError):
    """The answer was saved by someone else since the form was opened."""


def _touch(referral: Referral) -> None:
    """Mark the referral changed: the lists of referrals are kept until one of them changes."""
    referral.updated_dt = utcnow()


# --- Who may do what ------------------------------------------------------------------------


def can_answer(user: User, referral: Referral) -> bool:
    """A responder of the referral's unit writes its answer (an administrator may stand in)."""
    if user.is_admin:
        return True
    return (
        user.role is Role.RESPONDER
        and user.ward_id == referral.ward_id
        and referral.unit is not None
        and referral.unit in user.units
    )


def can_review(user: User, referral: Referral) -> bool:
    """The chair approves and decides requests, or an organiser the chair named."""
    return user.can_approve_answers and (user.is_admin or user.ward_id == referral.ward_id)


def can_view(user: User, referral: Referral) -> bool:
    """Staff of the ward see every referral; a responder only their units' (and past ones)."""
    if user.is_admin:
        return True
    if user.ward_id != referral.ward_id:
        return False
    if user.role is Role.RESPONDER:
        return can_answer(user, referral) or any(
            request.from_unit in user.units for request in referral.requests
        )
    return True


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("You may not do this with this referral."))


# --- Writing the answer ---------------------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    """A checked PDF of the signed reply letter."""

    filename: str
    data: bytes
    sha256: str
    pages: int

    @classmethod
    def of(cls, answer: WrittenAnswer) -> Attachment:
        """The letter an earlier version carries, kept by the next one."""
        return cls(
            filename=answer.attachment_filename,
            data=answer.attachment_pdf,
            sha256=answer.attachment_sha256,
            pages=answer.attachment_pages,
        )


def check_attachment(filename: str, data: bytes) -> Attachment:
    """Accept a readable, unencrypted PDF of a sensible size, or say what is wrong with it."""
    field = "attachment"
    if not data:
        raise ValidationFailed(_("The file is empty."), field=field)
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise ValidationFailed(
            _(
                "The file is larger than %(size)s MB: scan it at a lower resolution.",
                size=MAX_ATTACHMENT_BYTES // (1024 * 1024),
            ),
            field=field,
        )
    if not data.lstrip()[:5] == b"%PDF-":
        raise ValidationFailed(
            _("This file is not a PDF. Attach the signed reply letter as a PDF."), field=field
        )
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise ValidationFailed(
                _("This PDF is protected by a password: attach a copy without protection."),
                field=field,
            )
        pages = len(reader.pages)
        # Reading the first page's text makes a broken file fail here, not in a reader's hands.
        if pages:
            reader.pages[0].extract_text()
    except ValidationFailed:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError):
        raise ValidationFailed(
            _("This PDF is damaged and cannot be read. Save or scan it again."), field=field
        ) from None
    if pages < 1:
        raise ValidationFailed(_("This PDF has no pages."), field=field)
    safe_name = normalize_text(filename.replace("/", " ").replace("\\", " "))[:200]
    return Attachment(
        filename=safe_name or "tra-loi.pdf",
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        pages=pages,
    )


@dataclass(frozen=True)
class AnswerData:
    body: str
    letter_number: str = ""
    letter_date: date | None = None
    attachment: Attachment | None = None
    remove_attachment: bool = False


def working_answer(referral: Referral, *, by: User) -> WrittenAnswer:
    """The version being written, started from the published one when correcting."""
    answer = referral.working_answer
    if answer is not None:
        return answer
    published = referral.published_answer
    answer = WrittenAnswer(
        referral=referral,
        version=(referral.answers[-1].version + 1) if referral.answers else 1,
        written_by=by,
    )
    if published is not None:
        answer.body = published.body
        answer.letter_number = published.letter_number
        answer.letter_date = published.letter_date
        if published.has_attachment:
            _attach(answer, Attachment.of(published))
    db.session.add(answer)
    return answer


def save_answer(
    referral: Referral, data: AnswerData, *, by: User, revision: int | None
) -> WrittenAnswer:
    """Save the unit's text (and letter) of the answer; the referral is then being handled."""
    _require(can_answer(by, referral))
    answer = referral.working_answer
    if answer is not None and answer.status is AnswerStatus.SUBMITTED:
        raise ValidationFailed(
            _("The answer waits for approval: it cannot be changed until it is sent back."),
            field="body",
        )
    if answer is not None and revision is not None and answer.revision != revision:
        raise AnswerConflict(
            _(
                "Someone saved this answer after you opened it. Your text is kept below: "
                "compare it with the saved one and save again."
            ),
            field="body",
        )
    if referral.published_answer is not None and answer is None:
        raise ValidationFailed(
            _("The answer is published: start a correction to change it."), field="body"
        )
    body = normalize_paragraphs(data.body)
    if len(body) > MAX_ANSWER_LENGTH:
        raise ValidationFailed(
            _("The answer is too long (at most %(count)s characters).", count=MAX_ANSWER_LENGTH),
            field="body",
        )
    answer = working_answer(referral, by=by)
    answer.body = body
    answer.letter_number = normalize_text(data.letter_number)[:60]
    answer.letter_date = data.letter_date
    if data.attachment is not None:
        _attach(answer, data.attachment)
    elif data.remove_attachment:
        _attach(answer, None)
    answer.written_by = by
    if answer.status is AnswerStatus.RETURNED:
        answer.status = AnswerStatus.DRAFT
    if answer.id is not None:
        answer.revision += 1
    if referral.status is ReferralStatus.REFERRED:
        referral.status = ReferralStatus.IN_PROGRESS
    referral.is_settled = True
    _touch(referral)
    db.session.flush()
    return answer


def _attach(answer: WrittenAnswer, attachment: Attachment | None) -> None:
    answer.attachment_filename = attachment.filename if attachment else ""
    answer.attachment_pdf = attachment.data if attachment else None
    answer.attachment_sha256 = attachment.sha256 if attachment else ""
    answer.attachment_size = len(attachment.data) if attachment else 0
    answer.attachment_pages = attachment.pages if attachment else 0


def submit_answer(referral: Referral, *, by: User, revision: int) -> WrittenAnswer:
    """Send the answer to the chair for approval."""
    _require(can_answer(by, referral))
    answer = referral.working_answer
    if answer is None or answer.status is AnswerStatus.SUBMITTED:
        # A second press of the button: nothing more to do.
        if answer is not None:
            return answer
        raise ValidationFailed(_("Write the answer before sending it."), field="body")
    if answer.revision != revision:
        raise AnswerConflict(
            _("Someone saved this answer after you opened it: check it and send it again."),
            field="body",
        )
    if not answer.paragraphs:
        raise ValidationFailed(
            _("Write the answer: residents read it even when a letter is attached."),
            field="body",
        )
    if answer.has_attachment and not answer.letter_number:
        raise ValidationFailed(
            _("Give the number of the attached letter, as printed on it."), field="letter_number"
        )
    answer.status = AnswerStatus.SUBMITTED
    answer.submitted_dt = utcnow()
    answer.submitted_by = by
    answer.revision += 1
    if referral.status is not ReferralStatus.ANSWERED:
        referral.status = ReferralStatus.AWAITING_APPROVAL
    _touch(referral)
    db.session.flush()
    _notify("answer_submitted", answer)
    return answer


def return_answer(referral: Referral, *, by: User, reason: str) -> WrittenAnswer:
    """Send the answer back to the unit with what to change."""
    _require(can_review(by, referral))
    answer = _submitted(referral)
    reason = normalize_paragraphs(reason)
    if not reason:
        raise ValidationFailed(_("Say what the unit should change."), field="reason")
    answer.status = AnswerStatus.RETURNED
    answer.return_reason = reason
    answer.revision += 1
    if referral.status is not ReferralStatus.ANSWERED:
        referral.status = ReferralStatus.IN_PROGRESS
    _touch(referral)
    db.session.flush()
    return answer


def publish_answer(referral: Referral, *, by: User) -> WrittenAnswer:
    """Approve the answer: it is published, frozen, and the people who asked are told."""
    _require(can_review(by, referral))
    answer = _submitted(referral)
    if answer.version > 1 and not answer.correction_reason:
        raise ValidationFailed(_("A correction needs its reason."), field="reason")
    answer.status = AnswerStatus.PUBLISHED
    answer.published_dt = utcnow()
    answer.published_by = by
    answer.body_sha256 = hashlib.sha256(answer.body.encode("utf-8")).hexdigest()
    if referral.answered_on is None:
        referral.answered_on = ward_today(referral.ward)
    referral.status = ReferralStatus.ANSWERED
    referral.is_settled = True
    referral.refresh_search_text()
    _touch(referral)
    db.session.flush()
    record_answer(answer)
    _notify("answer_published", answer)
    return answer


def _submitted(referral: Referral) -> WrittenAnswer:
    answer = referral.working_answer
    if answer is None or answer.status is not AnswerStatus.SUBMITTED:
        raise ValidationFailed(
            _("There is no answer waiting for approval: it may have been decided already."),
            field="reason",
        )
    return answer


def start_correction(referral: Referral, *, by: User, reason: str) -> WrittenAnswer:
    """Open a new version of a published answer; it is published again after approval."""
    _require(can_answer(by, referral) or can_review(by, referral))
    if referral.published_answer is None:
        raise ValidationFailed(_("Only a published answer can be corrected."), field="reason")
    if referral.working_answer is not None:
        return referral.working_answer
    reason = normalize_paragraphs(reason)
    if not reason:
        raise ValidationFailed(_("Say why the published answer must be corrected."), field="reason")
    answer = working_answer(referral, by=by)
    answer.correction_reason = reason
    _touch(referral)
    db.session.flush()
    return answer


# --- New due date, another unit -------------------------------------------------------------


def request_extension(
    referral: Referral, *, by: User, new_due_date: date | None, reason: str
) -> ReferralRequest:
    """Ask the chair for a later due date, with a reason."""
    _require(can_answer(by, referral))
    _check_open_for_requests(referral)
    if new_due_date is None:
        raise ValidationFailed(_("Give the new due date."), field="new_due_date")
    if new_due_date <= referral.due_date:
        raise ValidationFailed(
            _(
                "The new due date must be after the present one (%(date)s).",
                date=referral.due_date.strftime("%d/%m/%Y"),
            ),
            field="new_due_date",
        )
    return _request(
        referral, by=by, kind=RequestKind.EXTENSION, reason=reason, new_due_date=new_due_date
    )


def request_handover(
    referral: Referral, *, by: User, to_unit: Unit | None, reason: str
) -> ReferralRequest:
    """Ask the chair to give the question to another unit, with a reason."""
    _require(can_answer(by, referral))
    _check_open_for_requests(referral)
    if to_unit is None or to_unit.ward_id != referral.ward_id or not to_unit.is_active:
        raise ValidationFailed(_("Choose a unit of the ward."), field="to_unit")
    if to_unit == referral.unit:
        raise ValidationFailed(
            _("The question is already with this unit: choose another."), field="to_unit"
        )
    return _request(referral, by=by, kind=RequestKind.HANDOVER, reason=reason, to_unit=to_unit)


def _check_open_for_requests(referral: Referral) -> None:
    if referral.status is ReferralStatus.ANSWERED:
        raise ValidationFailed(_("The answer is published already."), field="reason")
    if referral.pending_request is not None:
        raise ValidationFailed(
            _("A request waits for the chair's decision already."), field="reason"
        )


def _request(referral: Referral, *, by: User, kind: RequestKind, reason: str, **values):
    reason = normalize_paragraphs(reason)
    if not reason:
        raise ValidationFailed(_("Give the reason."), field="reason")
    request = ReferralRequest(
        referral=referral,
        kind=kind,
        reason=reason,
        from_unit=referral.unit,
        previous_due_date=referral.due_date,
        requested_by=by,
        **values,
    )
    db.session.add(request)
    _touch(referral)
    db.session.flush()
    return request


def decide_request(
    request: ReferralRequest, *, by: User, accept: bool, note: str = ""
) -> ReferralRequest:
    """Accept or refuse a unit's request; an accepted one changes the referral."""
    referral = request.referral
    _require(can_review(by, referral))
    if request.status is not RequestStatus.PENDING:
        # Decided meanwhile (another tab, a second press): the first decision stands.
        return request
    note = normalize_paragraphs(note)
    if not accept and not note:
        raise ValidationFailed(_("Say why the request is refused."), field="note")
    request.status = RequestStatus.ACCEPTED if accept else RequestStatus.REFUSED
    request.decided_by = by
    request.decided_dt = utcnow()
    request.decision_note = note
    if accept:
        referral.is_settled = True
        if request.kind is RequestKind.EXTENSION:
            referral.due_date = request.new_due_date
        else:
            referral.unit = request.to_unit
            referral.refresh_search_text()
    _touch(referral)
    db.session.flush()
    _notify("request_decided", request)
    return request


# --- Chair's deputies -----------------------------------------------------------------------


def set_answer_approvers(ward_id: int, organiser_ids: set[int], *, by: User) -> None:
    """Name the organisers who approve written answers in the chair's stead."""
    if not by.has_role(Role.CHAIR):
        raise PermissionDenied(_("Only the chair names who approves answers."))
    organisers = db.session.scalars(
        sa.select(User).where(User.ward_id == ward_id, User.role == Role.ORGANISER)
    ).all()
    for organiser in organisers:
        organiser.approves_answers = organiser.id in organiser_ids
    db.session.flush()


def _notify(event: str, subject) -> None:
    """Write the mail this change causes into the outbox, in the same transaction."""
    from dialogue.followup import notifications  # noqa: PLC0415  (mail imports this module)

    getattr(notifications, event)(subject)
