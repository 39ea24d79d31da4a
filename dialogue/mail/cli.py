"""Commands for the job worker and the outbox: ``flask --app wsgi dialogue worker`` and kin."""

from __future__ import annotations

import logging

import click
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from dialogue import jobs
from dialogue.extensions import db
from dialogue.mail import operations
from dialogue.mail.models import MailReason, OutboxMessage
from dialogue.ops.cli import _command

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@_command("worker")
@click.option("--workers", default=2, show_default=True, help="Tasks run at the same time.")
@click.option("--verbose", is_flag=True, help="Log every task the worker runs.")
def worker_command(workers: int, verbose: bool) -> None:
    """Run the job worker: sends the outbox and runs the periodic jobs, until stopped."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    # The sweep runs every minute: its lines would bury everything else.
    logging.getLogger("huey").setLevel(logging.INFO if verbose else logging.WARNING)
    click.echo(
        _(
            "Job worker started (%(backend)s queue, %(workers)s workers). Stop it with Ctrl+C.",
            backend=current_app.config["DIALOGUE_JOBS"],
            workers=workers,
        )
    )
    operations.is_configured()
    jobs.run_worker(current_app._get_current_object(), workers=workers)


@_command("send-mail")
def send_mail_command() -> None:
    """Send the mail that is due in the outbox now (where no worker runs, e.g. from cron)."""
    if not operations.is_configured():
        click.echo(
            _(
                "DIALOGUE_SMTP_HOST is not set: %(count)s messages stay in the outbox.",
                count=operations.waiting_count(),
            )
        )
        return
    counts = operations.deliver_due()
    click.echo(
        _(
            "Sent: %(sent)s; to retry later: %(retry)s; failed: %(failed)s.",
            sent=counts[operations.Delivery.SENT],
            retry=counts[operations.Delivery.RETRY],
            failed=counts[operations.Delivery.FAILED],
        )
    )


@_command("outbox")
@click.option("--limit", default=20, show_default=True, help="How many messages to list.")
@click.option("--show", "show_id", type=int, default=None, help="Print this message in full.")
def outbox_command(limit: int, show_id: int | None) -> None:
    """List the newest messages of the outbox, or print one of them."""
    if show_id is not None:
        message = db.session.get(OutboxMessage, show_id)
        if message is None:
            raise click.ClickException(_("There is no message %(id)s in the outbox.", id=show_id))
        click.echo(f"To: {message.to_address}\nSubject: {message.subject}")
        click.echo(f"Message-ID: {message.message_id}\n")
        click.echo(message.text_body)
        return
    messages = db.session.scalars(
        sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    ).all()
    if not messages:
        click.echo(_("The outbox is empty."))
        return
    for message in messages:
        created = message.created_dt.strftime("%Y-%m-%d %H:%M")
        line = f"{message.id:>6}  {created}  {str(message.status.title):<22}  {message.to_address}"
        click.echo(f"{line}  {message.subject}")
        if message.last_error:
            click.echo(f"        {message.last_error}")


@_command("send-test-mail")
@click.argument("address")
def send_test_mail_command(address: str) -> None:
    """Queue a test message to ADDRESS, to check the SMTP settings."""
    message = operations.queue_mail(
        to=address,
        subject="Thư thử nghiệm từ hệ thống hội nghị đối thoại",
        template="test_message",
        context={},
        reason=MailReason.TEST,
    )
    if message is None:
        raise click.ClickException(_("%(address)s is not a valid address.", address=address))
    db.session.commit()
    click.echo(_("Queued message %(id)s to %(address)s.", id=message.id, address=address))
