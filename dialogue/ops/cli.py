"""Administration commands: ``flask --app wsgi dialogue …``.

Each command calls the same operations as the web interface, commits, and prints its result;
a domain error becomes a message and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import functools
import secrets
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale
from flask_babel import gettext as _

from dialogue.audit.recording import set_cli_actor
from dialogue.core.database import begin_immediately
from dialogue.errors import DialogueError
from dialogue.extensions import db

cli = AppGroup("dialogue", help="Dialogue administration commands.")


def _command(name: str, **options):
    """Declare a command that names its actor in the audit log and turns errors into messages."""

    def decorator(function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            set_cli_actor(f"cli:{name}")
            begin_immediately(True)
            # No request, so no user's language: speak the deployment's default language.
            try:
                with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
                    return function(*args, **kwargs)
            except DialogueError as error:
                db.session.rollback()
                raise click.ClickException(str(error.message)) from None
            except sa.exc.SQLAlchemyError as error:
                db.session.rollback()
                detail = str(error.orig) if getattr(error, "orig", None) else str(error)
                raise click.ClickException(
                    _("The database refused the change: %(error)s", error=detail.splitlines()[0])
                ) from None
            except OSError as error:
                db.session.rollback()
                raise click.ClickException(
                    _("The file system refused: %(error)s", error=error)
                ) from None
            finally:
                set_cli_actor(None)
                begin_immediately(False)

        return cli.command(name, **options)(wrapper)

    return decorator


@_command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds a ward.")
@click.option(
    "--without-history",
    is_flag=True,
    help="Only Thạch Bàn's three conferences: no conferences since 2021, no other wards.",
)
def seed_demo(if_empty: bool, without_history: bool) -> None:
    """Load the demo ward Thạch Bàn with its staff accounts and its 2020 conference.

    With its history (the default), also the conferences of 2021 onwards and two more wards of
    the city: slower, as every document those conferences published is rendered and signed.
    """
    from dialogue.demo.seed import demo_usernames, load_demo
    from dialogue.wards.models import Ward

    if if_empty and db.session.scalar(sa.select(Ward.id).limit(1)) is not None:
        click.echo(_("The database already holds a ward: the demo ward was not loaded."))
        return
    configured = current_app.config.get("DIALOGUE_DEMO_PASSWORD")
    password = configured or secrets.token_urlsafe(9)
    ward = load_demo(password, with_history=not without_history)
    db.session.commit()
    usernames = demo_usernames(with_history=not without_history)
    click.echo(
        _(
            "Loaded the demo ward %(ward)s: %(groups)s residential groups, %(people)s people, "
            "%(accounts)s staff accounts.",
            ward=ward.display_name,
            groups=len(ward.residential_groups),
            people=_count_people(ward),
            accounts=len(usernames),
        )
    )
    click.echo(_("Demo logins: %(usernames)s", usernames=", ".join(usernames)))
    if configured:
        click.echo(_("Password: the one set in DIALOGUE_DEMO_PASSWORD."))
    else:
        # Shown once, here, and stored nowhere else.
        click.echo(_("Password: %(password)s", password=password))


def _count_people(ward) -> int:
    from dialogue.people.models import Person

    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Person).where(Person.ward_id == ward.id)
    )


def _read_password(from_stdin: bool) -> str:
    from dialogue.auth.forms import MIN_PASSWORD_LENGTH

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(_("Password"), hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(
            _("The password must have at least %(n)s characters.", n=MIN_PASSWORD_LENGTH)
        )
    return password


@_command("create-ward")
@click.argument("slug")
@click.option("--name", required=True, help='The ward\'s name without its kind, e.g. "Thạch Bàn".')
@click.option(
    "--kind", type=click.Choice(["phuong", "xa", "dac_khu"]), default="phuong", show_default=True
)
@click.option("--province", default="", help='e.g. "Thành phố Hà Nội".')
@click.option("--place-name", default=None, help="The place name written before dates.")
def create_ward_command(
    slug: str, name: str, kind: str, province: str, place_name: str | None
) -> None:
    """Create a ward with its own copy of the reference lists (the first step of a deployment)."""
    from dialogue.wards.models import WardKind
    from dialogue.wards.operations import create_ward

    ward = create_ward(
        name=name, slug=slug, kind=WardKind(kind), province=province, place_name=place_name
    )
    db.session.commit()
    click.echo(_("Created %(ward)s (%(slug)s).", ward=ward.display_name, slug=ward.slug))


@_command("create-user")
@click.argument("username")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["administrator", "organiser", "secretary", "chair", "responder"]),
    help="The role of the account.",
)
@click.option("--ward", "ward_slug", required=True, metavar="SLUG", help="The ward's short name.")
@click.option("--name", "display_name", required=True, help="The name shown in the interface.")
@click.option("--unit", "unit_name", default=None, help="The unit of a responder (its name).")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
def create_user_command(
    username: str,
    role: str,
    ward_slug: str,
    display_name: str,
    unit_name: str | None,
    password_stdin: bool,
) -> None:
    """Create a staff account; the password is asked for, never given as an argument."""
    from dialogue.auth.models import Role
    from dialogue.auth.operations import create_user, normalize_username
    from dialogue.wards.models import Unit, Ward

    username = normalize_username(username)
    if not username or len(username) > 60 or any(ch.isspace() for ch in username):
        raise click.ClickException(_("Give a username of 1 to 60 characters without spaces."))
    if not display_name.strip():
        raise click.ClickException(_("Give the name shown in the interface."))
    ward = db.session.scalar(sa.select(Ward).where(Ward.slug == ward_slug.strip().lower()))
    if ward is None:
        raise click.ClickException(_("There is no ward %(slug)s.", slug=ward_slug))
    unit = None
    if unit_name:
        unit = db.session.scalar(
            sa.select(Unit).where(Unit.ward_id == ward.id, Unit.name == unit_name.strip())
        )
        if unit is None:
            raise click.ClickException(
                _("Ward %(slug)s has no unit %(unit)s.", slug=ward.slug, unit=unit_name)
            )
    password = _read_password(password_stdin)
    try:
        user = create_user(
            ward=ward,
            username=username,
            display_name=display_name,
            password=password,
            role=Role(role),
            unit=unit,
        )
    except DialogueError as error:
        if error.field == "username":
            raise click.ClickException(
                _("The username %(username)s is taken.", username=username)
            ) from None
        raise
    db.session.commit()
    click.echo(
        _(
            "Created the %(role)s account %(username)s in %(ward)s.",
            role=Role(role).title,
            username=user.username,
            ward=ward.display_name,
        )
    )


@_command("prepare-api")
@click.option("--ward", "slug", default=None, help="Only this ward (its address name).")
def prepare_api_command(slug: str | None) -> None:
    """Prepare the API's answers of every ward changed since (the worker does it every minute)."""
    from dialogue.api.prepared import prepare

    done = prepare(slug)
    if done is None:
        raise click.ClickException(
            _("Set DIALOGUE_PUBLIC_URL: answers are prepared for the address residents use.")
        )
    click.echo(
        _(
            "Prepared %(answers)s answers of %(wards)s wards in %(seconds)s s.",
            answers=done.answers,
            wards=done.wards,
            seconds=round(done.seconds, 1),
        )
    )


@_command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
def backup_command(path: Path, force: bool) -> None:
    """Write a consistent snapshot of the database to PATH, while the application runs."""
    from dialogue.ops.backup import backup_database

    written = backup_database(current_app._get_current_object(), path, overwrite=force)
    size_kb = max(1, written.stat().st_size // 1024)
    click.echo(_("Backed up the database to %(path)s (%(size)s KB).", path=written, size=size_kb))


@_command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(path: Path, yes: bool) -> None:
    """Replace the whole database with the backup in PATH. Nobody should be writing meanwhile."""
    from dialogue.ops.backup import restore_database

    if not path.is_file():
        raise click.ClickException(_("There is no backup file at %(path)s.", path=path))
    if not yes:
        click.confirm(
            _("Every record in the database will be replaced by the backup. Go on?"), abort=True
        )
    db.session.remove()
    restore_database(current_app._get_current_object(), path)
    click.echo(_("Restored the database from %(path)s.", path=path))


@_command("render-minutes")
@click.argument("conference_id", type=int)
@click.option(
    "--type",
    "doc_type",
    required=True,
    type=click.Choice(["BB", "TB"], case_sensitive=False),
    help="BB: the minutes (biên bản); TB: the conclusion notice (thông báo kết luận).",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The PDF file to write.",
)
@click.option("--pdfa", is_flag=True, help="Render as PDF/A-3u, for archiving.")
@click.option(
    "--published",
    is_flag=True,
    help="Write the frozen PDF of the latest published version, byte for byte, instead.",
)
def render_minutes_command(
    conference_id: int, doc_type: str, output: Path, pdfa: bool, published: bool
) -> None:
    """Render a conference's BB or TB to a PDF file, without a server.

    By default the current draft is rendered — or, when the conference has no draft yet, the
    texts a new draft starts from — as a draft: numbered "Số: …/BB-UBND" and marked DỰ THẢO.
    With --published, the PDF stored when the document was published is written unchanged.
    """
    from dialogue.conferences.models import Conference
    from dialogue.documents.models import DocumentType
    from dialogue.minutes.compose import document_context, draft_or_defaults, missing_parts
    from dialogue.minutes.models import MinutesDraft
    from dialogue.minutes.render import render_document_pdf

    conference = db.session.get(Conference, conference_id)
    if conference is None:
        raise click.ClickException(_("There is no conference %(id)s.", id=conference_id))
    doc_type = DocumentType(doc_type.upper())
    draft = db.session.scalar(
        sa.select(MinutesDraft).where(
            MinutesDraft.conference_id == conference.id, MinutesDraft.doc_type == doc_type
        )
    )
    if published:
        if pdfa:
            raise click.ClickException(
                _("--pdfa cannot change a published PDF: it is written as it was published.")
            )
        latest = draft.latest if draft is not None else None
        if latest is None:
            raise click.ClickException(
                _(
                    "The %(type)s of conference %(id)s has not been published.",
                    type=doc_type.value,
                    id=conference.id,
                )
            )
        output.write_bytes(latest.pdf)
        click.echo(
            _(
                "Wrote %(number)s, version %(version)s, as published, to %(path)s.",
                number=latest.number_label,
                version=latest.version,
                path=output,
            )
        )
        return
    draft = draft_or_defaults(conference, doc_type, draft)
    content = render_document_pdf(document_context(conference, draft), pdfa=pdfa)
    output.write_bytes(content)
    click.echo(
        _(
            "Wrote the draft %(type)s of conference %(id)s to %(path)s (%(size)s KB).",
            type=doc_type.value,
            id=conference.id,
            path=output,
            size=max(1, len(content) // 1024),
        )
    )
    missing = missing_parts(conference, draft)
    if missing:
        click.echo(_("Still missing before publication: %(parts)s.", parts=", ".join(missing)))


@_command("verify-archive")
@click.option("--ward", "ward_slug", help="Check this ward only (default: every ward).")
@click.option(
    "--log",
    "log_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A copy of the ward's log downloaded earlier (.jsonl): the reference the database "
    "cannot rewrite.",
)
def verify_archive_command(ward_slug: str | None, log_path: Path | None) -> None:
    """Check every published PDF and HTML against the publication ledger.

    Each stored version's SHA-256 is recomputed from its bytes and compared with its entry in
    the ward's hash chain; the chain itself is recomputed. With --log, the database's chain must
    begin with exactly the downloaded one. Exits with status 1 on any finding.
    """
    from dialogue.ledger.verify import read_log, verify_ward
    from dialogue.wards.models import Ward

    reference = None
    if log_path is not None:
        with log_path.open("rb") as lines:
            reference = read_log(lines)
        ward_slug = ward_slug or reference.ward_slug
    query = sa.select(Ward).order_by(Ward.slug)
    if ward_slug:
        query = query.where(Ward.slug == ward_slug)
    wards = list(db.session.scalars(query))
    if ward_slug and not wards:
        raise click.ClickException(_("There is no ward “%(slug)s”.", slug=ward_slug))
    failed = False
    for ward in wards:
        report = verify_ward(ward, reference)
        click.echo(
            _(
                "%(ward)s: %(entries)s entries in the log, %(documents)s published versions, "
                "head %(head)s",
                ward=ward.slug,
                entries=report.entries,
                documents=report.documents,
                head=report.head_hash,
            )
        )
        if reference is not None:
            click.echo(
                "  "
                + _(
                    "Checked against the downloaded log (%(count)s entries).",
                    count=report.reference_entries,
                )
            )
        for finding in report.findings:
            click.echo("  ✗ " + finding.message)
        if report.is_ok:
            click.echo("  ✓ " + _("Every published version matches the log."))
        else:
            failed = True
    if failed:
        click.echo(_("Findings: the archive does not match its log."), err=True)
        sys.exit(1)


@_command("rebuild-search")
@click.option("--ward", "ward_slug", help="Rebuild this ward only (default: every ward).")
def rebuild_search_command(ward_slug: str | None) -> None:
    """Write again the public search's rows from the published turns (one ward, or all).

    The rows follow every change made through the application; this is for data loaded
    around it (a restore, a bulk import) or a doubt.
    """
    from dialogue.archive.search_index import rebuild
    from dialogue.wards.models import Ward

    ward_id = None
    if ward_slug:
        ward_id = db.session.scalar(sa.select(Ward.id).where(Ward.slug == ward_slug))
        if ward_id is None:
            raise click.ClickException(_("There is no ward “%(slug)s”.", slug=ward_slug))
    count = rebuild(ward_id)
    db.session.commit()
    click.echo(_("Search rebuilt: %(count)s public turns.", count=count))


@_command("grant-app-role")
@click.argument("role")
@click.option("--print-sql", is_flag=True, help="Print the statements instead of running them.")
def grant_app_role_command(role: str, print_sql: bool) -> None:
    """Give a PostgreSQL role that owns nothing what the application needs (run as the owner).

    Connects with DIALOGUE_MIGRATION_DATABASE_URL (the tables' owner) when it is set. The role
    gets SELECT, INSERT, UPDATE, DELETE on the tables and the sequences, also on tables added
    later, but no DELETE or TRUNCATE on the published tables; run it again after an upgrade.
    """
    from dialogue.ops.roles import check_role, grant_app_role, grant_statements

    url = (
        current_app.config["DIALOGUE_MIGRATION_DATABASE_URL"]
        or current_app.config["SQLALCHEMY_DATABASE_URI"]
    )
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as connection:
            if print_sql:
                check_role(connection, role)
                for statement in grant_statements(connection, role):
                    click.echo(statement + ";")
                return
            statements = grant_app_role(connection, role)
    finally:
        engine.dispose()
    click.echo(
        _(
            "Granted the application's privileges to “%(role)s” (%(count)s statements).",
            role=role,
            count=len(statements),
        )
    )
