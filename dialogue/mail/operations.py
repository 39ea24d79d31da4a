"""Queueing mail with the change that causes it, and delivering it over SMTP.

:func:`queue_mail` writes an outbox row in the caller's transaction (it flushes, never
commits). Only once that transaction commits is the row handed to the job queue, so mail
about a change that was rolled back never leaves. The worker calls :func:`deliver`, which
claims the row, sends it and records the outcome; :func:`deliver_due` (the sweep, every
minute) sends what a lost hand-over or a retry left waiting.

Delivery never raises: a refused, unreachable or slow server leaves the row queued for a
later attempt, and only a definite refusal of the address (5xx) or too many attempts fail it.
"""

from __future__ import annotations

import enum
import logging
import smtplib
import uuid
from collections import Counter
from datetime import datetime, timedelta
from email.header import Header
from urllib.parse import urlsplit

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app, has_app_context, render_template
from flask_mailman import EmailMultiAlternatives
from sqlalchemy import event
from sqlalchemy.orm import Session

from dialogue.core.db import utcnow
from dialogue.extensions import db, mail
from dialogue.mail.models import MailReason, OutboxMessage, OutboxStatus
from dialogue.wards.models import Ward

log = logging.getLogger(__name__)

PENDING_KEY = "dialogue.mail.pending"
# Minutes to wait after the 1st, 2nd, … failed attempt; the last value repeats.
BACKOFF_MINUTES = (1, 5, 15, 60, 180, 360)
# About a day and a half of trying (the last waits are six hours) before giving up.
MAX_ATTEMPTS = 10
SWEEP_BATCH = 100
MAX_ERROR_LENGTH = 1000
MAX_SUBJECT_LENGTH = 300
DEFAULT_MESSAGE_ID_DOMAIN = "dialogue.local"

_told_unconfigured = False


class Delivery(enum.StrEnum):
    """What one call of :func:`deliver` did."""

    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    # Not claimable: already sent or failed, being sent by another worker, not due yet, gone.
    SKIPPED = "skipped"
    # No SMTP host configured: the message stays in the outbox.
    HELD = "held"


# -- queueing --------------------------------------------------------------------------------


def queue_mail(
    *,
    to: str,
    subject: str,
    template: str,
    context: dict,
    reason: MailReason | str,
    ward: Ward | None = None,
    dedupe_key: str | None = None,
    unsubscribe_url: str | None = None,
) -> OutboxMessage | None:
    """Add a message to the outbox, sent once the caller's transaction commits.

    ``template`` names ``templates/mail/<template>.txt`` and ``.html``, rendered with
    ``context`` (plus ``ward``, ``reason``, ``subject`` and ``unsubscribe_url``). Returns
    None, and queues nothing, for an invalid address or a ``dedupe_key`` already queued.
    """
    reason = MailReason(reason)
    try:
        address = validate_email(to, check_deliverability=False).normalized
    except EmailNotValidError as error:
        log.warning(
            "%s mail not queued (ward %s): invalid address: %s", reason, _ward_id(ward), error
        )
        return None
    if dedupe_key is not None and _already_queued(dedupe_key):
        log.info("%s mail not queued again: %s is already in the outbox", reason, dedupe_key)
        return None
    subject = " ".join(subject.split())[:MAX_SUBJECT_LENGTH]
    text_body, html_body = render_message(
        template,
        {
            **context,
            "ward": ward,
            "reason": reason,
            "subject": subject,
            "unsubscribe_url": unsubscribe_url,
        },
    )
    message = OutboxMessage(
        ward=ward,
        to_address=address,
        subject=subject,
        text_body=text_body,
        html_body=html_body,
        reason=reason,
        message_id=new_message_id(),
        dedupe_key=dedupe_key,
        unsubscribe_url=unsubscribe_url,
        status=OutboxStatus.QUEUED,
        attempts=0,
        last_error="",
    )
    try:
        # A savepoint: losing a race on the same dedupe key must not undo the caller's work.
        with db.session.begin_nested():
            db.session.add(message)
    except sa.exc.IntegrityError:
        if dedupe_key is None or not _already_queued(dedupe_key):
            raise
        log.info("%s mail not queued again: %s was queued meanwhile", reason, dedupe_key)
        return None
    db.session.info.setdefault(PENDING_KEY, []).append(message.id)
    return message


def _ward_id(ward: Ward | None) -> int | None:
    return ward.id if ward is not None else None


def _already_queued(dedupe_key: str) -> bool:
    return (
        db.session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key))
        is not None
    )


def render_message(template: str, context: dict) -> tuple[str, str]:
    """Render a message's text and HTML bodies; the footer says why the recipient gets it."""
    reason = context["reason"]
    why_text = render_template(
        [f"mail/why/{reason.value}.txt", "mail/why/_default.txt"], **context
    ).strip()
    context = {**context, "why_text": why_text}
    text_body = render_template(f"mail/{template}.txt", **context).strip() + "\n"
    html_body = render_template(f"mail/{template}.html", **context)
    return text_body, html_body


def new_message_id() -> str:
    """A Message-ID in the public site's domain, unique to this message."""
    public_url = current_app.config.get("DIALOGUE_PUBLIC_URL")
    domain = (urlsplit(public_url).hostname if public_url else None) or DEFAULT_MESSAGE_ID_DOMAIN
    return f"<{uuid.uuid4().hex}@{domain}>"


@event.listens_for(Session, "after_commit")
def _hand_over_committed(session: Session) -> None:
    # Fired for savepoints too: only the outermost commit makes the rows visible to a worker.
    if session.get_nested_transaction() is not None:
        return
    pending = session.info.pop(PENDING_KEY, None)
    if not pending or not has_app_context():
        return
    from dialogue import jobs

    for outbox_id in pending:
        jobs.enqueue_delivery(outbox_id)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction) -> None:
    # A rolled-back savepoint leaves its ids behind: delivering a row that does not exist
    # does nothing, and the outer transaction's own rows must still be handed over.
    if previous_transaction.parent is None:
        session.info.pop(PENDING_KEY, None)


# -- delivering ------------------------------------------------------------------------------


def is_configured() -> bool:
    """Whether an SMTP host is set; without one, mail waits in the outbox."""
    if current_app.config.get("MAIL_SERVER"):
        return True
    global _told_unconfigured
    if not _told_unconfigured:
        _told_unconfigured = True
        log.warning(
            "DIALOGUE_SMTP_HOST is not set: mail stays in the outbox (outbox_messages); "
            "see it with `flask dialogue outbox`, send it once a host is set."
        )
    return False


def _lease() -> timedelta:
    return timedelta(seconds=current_app.config["DIALOGUE_MAIL_LEASE_SECONDS"])


def _claimable(now: datetime):
    """Rows a worker may take: queued and due, or left "sending" by a worker that died."""
    return sa.or_(
        sa.and_(
            OutboxMessage.status == OutboxStatus.QUEUED,
            sa.or_(OutboxMessage.next_attempt_dt.is_(None), OutboxMessage.next_attempt_dt <= now),
        ),
        sa.and_(
            OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.claimed_dt < now - _lease(),
        ),
    )


def deliver(outbox_id: int, *, now: datetime | None = None) -> Delivery:
    """Send one outbox message if it is due and no other worker holds it; never raises."""
    if not is_configured():
        return Delivery.HELD
    now = now or utcnow()
    # A session of its own: this runs in a worker, in a sweep, or (immediate jobs) right
    # after the caller's commit, when the caller's session can no longer be used.
    with Session(db.engine, expire_on_commit=False) as session:
        try:
            message = _claim(session, outbox_id, now)
        except sa.exc.SQLAlchemyError:
            log.exception("could not claim outbox message %s", outbox_id)
            return Delivery.SKIPPED
        if message is None:
            return Delivery.SKIPPED
        try:
            _send(message)
        except Exception as error:
            outcome, values = _failure(message, error, now)
            if outcome is Delivery.FAILED:
                log.warning(
                    "outbox message %s failed for good: %s", message.id, values["last_error"]
                )
            else:
                log.info("outbox message %s will be retried: %s", message.id, values["last_error"])
        else:
            outcome = Delivery.SENT
            values = {"status": OutboxStatus.SENT, "sent_dt": utcnow(), "last_error": ""}
        try:
            _record(session, message, now, values)
        except sa.exc.SQLAlchemyError:
            # Left "sending": once the lease is over the sweep sends it again, with the same
            # Message-ID, so the recipient's mail program shows it once.
            log.exception("could not record the outcome of outbox message %s", message.id)
        return outcome


def _claim(session: Session, outbox_id: int, now: datetime) -> OutboxMessage | None:
    with session.begin():
        # One statement, so two workers cannot both take the row: the first write wins and
        # the second finds it "sending" with a fresh lease.
        claimed = session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == outbox_id, _claimable(now))
            .values(
                status=OutboxStatus.SENDING,
                claimed_dt=now,
                attempts=OutboxMessage.attempts + 1,
                updated_dt=utcnow(),
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            return None
        return session.get(OutboxMessage, outbox_id)


def _record(session: Session, message: OutboxMessage, claimed_dt: datetime, values: dict) -> None:
    with session.begin():
        # Only while the claim is still ours: after a lease ran out another worker owns the row.
        session.execute(
            sa.update(OutboxMessage)
            .where(
                OutboxMessage.id == message.id,
                OutboxMessage.status == OutboxStatus.SENDING,
                OutboxMessage.claimed_dt == claimed_dt,
            )
            .values(**values, updated_dt=utcnow())
            .execution_options(synchronize_session=False)
        )


def _send(message: OutboxMessage) -> None:
    headers = {
        "Message-ID": message.message_id,
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
    }
    if message.unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
    email = EmailMultiAlternatives(
        subject=_encoded_subject(message.subject),
        body=message.text_body,
        from_email=current_app.config["MAIL_DEFAULT_SENDER"],
        to=[message.to_address],
        headers=headers,
    )
    email.attach_alternative(message.html_body, "text/html")
    config = current_app.config
    # The settings of this moment, not those Flask-Mailman copied when the app was made.
    backend = mail.get_connection(
        host=config["MAIL_SERVER"],
        port=config["MAIL_PORT"],
        username=config["MAIL_USERNAME"] or "",
        password=config["MAIL_PASSWORD"] or "",
        use_tls=config["MAIL_USE_TLS"],
        use_ssl=config["MAIL_USE_SSL"],
        timeout=config["MAIL_TIMEOUT"],
    )
    try:
        backend.open()
        if backend.send_messages([email]) != 1:
            raise smtplib.SMTPException("the message was not handed to the server")
    except BaseException:
        _drop_connection(backend)
        raise
    try:
        backend.close()
    except (smtplib.SMTPException, OSError):
        # The server has the message; only the goodbye failed.
        _drop_connection(backend)


def _encoded_subject(subject: str) -> str:
    """The subject as RFC 2047 words, the first on the "Subject:" line itself.

    Left to Flask-Mailman, a long Vietnamese subject starts on a folded line of its own,
    which some mail programs show with a leading space.
    """
    if subject.isascii():
        return subject
    return Header(subject, "utf-8", header_name="Subject").encode().replace("\n", "")


def _drop_connection(backend) -> None:
    """Close the socket without the polite QUIT, which a broken connection would not answer."""
    connection, backend.connection = backend.connection, None
    if connection is not None:
        connection.close()


def _failure(message: OutboxMessage, error: Exception, now: datetime) -> tuple[Delivery, dict]:
    text = _describe(error)[:MAX_ERROR_LENGTH]
    if not isinstance(error, (smtplib.SMTPException, OSError)):
        log.exception("unexpected error sending outbox message %s", message.id)
    if _is_permanent(error) or message.attempts >= MAX_ATTEMPTS:
        return Delivery.FAILED, {"status": OutboxStatus.FAILED, "last_error": text}
    wait = BACKOFF_MINUTES[min(message.attempts, len(BACKOFF_MINUTES)) - 1]
    return Delivery.RETRY, {
        "status": OutboxStatus.QUEUED,
        "next_attempt_dt": now + timedelta(minutes=wait),
        "last_error": text,
    }


def _is_permanent(error: Exception) -> bool:
    """The server refused this address or this message for good (a 5xx reply).

    A refused sender, a failed sign-in or a refused HELO is the deployment's problem, not the
    message's: retried (until the attempts run out) while someone fixes the configuration.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _reply in error.recipients.values())
    if isinstance(error, smtplib.SMTPDataError):
        return 500 <= error.smtp_code < 600
    return False


def _describe(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{address}: {code} {_decoded(reply)}"
            for address, (code, reply) in error.recipients.items()
        )
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_decoded(error.smtp_error)}"
    return f"{type(error).__name__}: {error}".rstrip(": ")


def _decoded(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def deliver_due(*, now: datetime | None = None, limit: int = SWEEP_BATCH) -> Counter:
    """Send the messages that are due, oldest first; count what happened to each."""
    if not is_configured():
        return Counter()
    now = now or utcnow()
    with Session(db.engine) as session:
        due = session.scalars(
            sa.select(OutboxMessage.id)
            .where(_claimable(now))
            .order_by(OutboxMessage.id)
            .limit(limit)
        ).all()
    return Counter(deliver(outbox_id, now=now) for outbox_id in due)


def waiting_count() -> int:
    """How many messages wait to be sent (queued or being sent)."""
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.status.in_([OutboxStatus.QUEUED, OutboxStatus.SENDING]))
    )
