"""Dialogue: public dialogue conferences of a ward People's Committee."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from dialogue.config import PROJECT_ROOT, load_config


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure the application."""
    instance_path = Path(
        (test_config or {}).get("INSTANCE_PATH") or PROJECT_ROOT / "instance"
    ).resolve()
    app = Flask(
        __name__,
        instance_path=str(instance_path),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    environ = None
    if test_config is not None:
        environ = {"DIALOGUE_ENV": "testing", **test_config.pop("ENVIRON", {})}
    app.config.from_mapping(load_config(instance_path, environ))
    if test_config is not None:
        app.config.from_mapping(test_config)

    from dialogue import jobs, web
    from dialogue.core import database
    from dialogue.extensions import mail

    database.init_app(app)
    mail.init_app(app)
    jobs.init_app(app)
    web.init_app(app)
    _register_blueprints(app)
    _register_cli(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from dialogue.accounts.views import bp as accounts_bp
    from dialogue.api.views import bp as api_bp
    from dialogue.archive.views import bp as archive_bp
    from dialogue.attendance.views import bp as attendance_bp
    from dialogue.audit.views import bp as audit_bp
    from dialogue.auth.views import bp as auth_bp
    from dialogue.city.views import bp as city_bp
    from dialogue.conferences.views import bp as conferences_bp
    from dialogue.dossier.views import bp as dossier_bp
    from dialogue.feed.views import bp as feed_bp
    from dialogue.feedback.rating_views import bp as ratings_bp
    from dialogue.feedback.views import bp as feedback_bp
    from dialogue.followup.views import bp as followup_bp
    from dialogue.help.views import bp as help_bp
    from dialogue.invitations.views import bp as invitations_bp
    from dialogue.live.views import bp as live_bp
    from dialogue.main.views import bp as main_bp
    from dialogue.minutes.export_views import bp as exports_bp
    from dialogue.minutes.views import bp as minutes_bp
    from dialogue.people.views import bp as people_bp
    from dialogue.photos.views import bp as photos_bp
    from dialogue.public.views import bp as public_bp
    from dialogue.questions.views import bp as questions_bp
    from dialogue.stats.views import bp as stats_bp
    from dialogue.wards.views import bp as wards_bp

    for blueprint in (
        main_bp,
        auth_bp,
        accounts_bp,
        wards_bp,
        people_bp,
        conferences_bp,
        dossier_bp,
        photos_bp,
        invitations_bp,
        attendance_bp,
        live_bp,
        feed_bp,
        audit_bp,
        public_bp,
        questions_bp,
        archive_bp,
        exports_bp,
        minutes_bp,
        followup_bp,
        feedback_bp,
        ratings_bp,
        help_bp,
        stats_bp,
        city_bp,
        api_bp,
    ):
        app.register_blueprint(blueprint)


def _register_cli(app: Flask) -> None:
    from dialogue.mail import cli as mail_cli  # noqa: F401  (the worker and outbox commands)
    from dialogue.ops.cli import cli

    app.cli.add_command(cli)
