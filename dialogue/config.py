"""Configuration, read from the environment in this one place."""

import os
import secrets
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from dialogue.errors import ConfigurationError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# How long the rate limits and the health check wait for Redis before they call it unreachable.
REDIS_TIMEOUT_SECONDS = 1.0


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _development_secret(instance_path: Path) -> str:
    """Return the development secret key, generating it into ``instance/`` on first use."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key + "\n")
    key_file.chmod(0o600)
    return key


def load_config(instance_path: Path, environ: dict[str, str] | None = None) -> dict:
    """Build the Flask configuration from the environment."""
    env = os.environ if environ is None else environ
    mode = (env.get("DIALOGUE_ENV") or "production").strip().lower()
    if mode not in {"production", "development", "testing"}:
        raise ConfigurationError(
            f"DIALOGUE_ENV must be production, development or testing, not {mode!r}."
        )
    secret = env.get("DIALOGUE_SECRET_KEY", "").strip()
    if not secret:
        if mode == "production":
            raise ConfigurationError(
                "DIALOGUE_SECRET_KEY is not set. Set it to a long random value "
                '(for example: python -c "import secrets; print(secrets.token_hex(32))") '
                "before starting Dialogue in production."
            )
        secret = _development_secret(instance_path)
    database_url = (
        env.get("DIALOGUE_DATABASE_URL") or f"sqlite:///{instance_path / 'dialogue.sqlite3'}"
    )
    redis_url = env.get("DIALOGUE_REDIS_URL") or None
    public_url = (env.get("DIALOGUE_PUBLIC_URL") or "").strip() or None
    secure_cookies = _flag(env.get("DIALOGUE_SECURE_COOKIES"), default=mode == "production")
    return {
        "DIALOGUE_ENV": mode,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        # The owner of the tables, for `flask db upgrade` and `dialogue grant-app-role`, when the
        # application itself connects as a role that owns nothing (unset: the same URL).
        "DIALOGUE_MIGRATION_DATABASE_URL": (
            env.get("DIALOGUE_MIGRATION_DATABASE_URL") or ""
        ).strip()
        or None,
        "DIALOGUE_REDIS_URL": redis_url,
        "BABEL_DEFAULT_LOCALE": env.get("DIALOGUE_DEFAULT_LOCALE", "vi") or "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "DIALOGUE_LOCALES": ("vi", "en"),
        "DIALOGUE_DEMO_PASSWORD": env.get("DIALOGUE_DEMO_PASSWORD") or None,
        # The public site as residents reach it ("https://dialogue.example.vn"): the QR code and
        # short link printed on a published document point there, whoever published it and how.
        "DIALOGUE_PUBLIC_URL": public_url,
        "DIALOGUE_TRUSTED_PROXIES": int(env.get("DIALOGUE_TRUSTED_PROXIES", "0") or 0),
        # A form may stay open for a whole meeting: a day of CSRF validity.
        "WTF_CSRF_TIME_LIMIT": 12 * 3600,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "SESSION_COOKIE_NAME": "dialogue_session",
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        "REMEMBER_COOKIE_DURATION": timedelta(days=14),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        "MAX_CONTENT_LENGTH": int(env.get("DIALOGUE_MAX_UPLOAD_MB", "12") or 12) * 1024 * 1024,
        # The API's answers prepared in advance, kept compressed in each process (api.kept).
        "API_PREPARED_MEMORY_BYTES": int(_number(env, "DIALOGUE_API_PREPARED_MEMORY_MB", 32))
        * 1024
        * 1024,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        # A Redis that does not answer costs a request a second or two at most before the limits
        # are counted in memory (see dialogue.extensions), not a hung request.
        "RATELIMIT_STORAGE_OPTIONS": (
            {
                "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_TIMEOUT_SECONDS,
            }
            if redis_url
            else {}
        ),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Failed sign-ins: per address, loose enough for the desks of one hall behind one
        # address; per username (from any address), tight enough to stop guessing a password.
        "RATELIMIT_LOGIN": env.get("DIALOGUE_LOGIN_RATE_LIMIT", "20 per minute;100 per hour"),
        "RATELIMIT_LOGIN_ACCOUNT": env.get(
            "DIALOGUE_LOGIN_ACCOUNT_RATE_LIMIT", "5 per minute;20 per hour"
        ),
        # Residents' question form: posts per address (a hall's Wi-Fi may put hundreds behind one
        # address, hence the generous hour), and the time under which a post is suspect (refused
        # only if it also carries a web link: a resident may paste a question and send it).
        "RATELIMIT_QUESTIONS": env.get(
            "DIALOGUE_QUESTION_RATE_LIMIT", "10 per minute;100 per hour"
        ),
        # Every post of the form, refused ones too (the limit above counts questions taken).
        "RATELIMIT_QUESTION_POSTS": env.get(
            "DIALOGUE_QUESTION_POST_RATE_LIMIT", "40 per minute;400 per hour"
        ),
        # Residents' ratings, survey answers and supports. Per address: a hall's Wi-Fi puts
        # hundreds of phones behind one address, so it is loose; per device: one phone cannot
        # flood; new devices per address: a script that throws its cookie away is a new device
        # each time, and a hall hardly sees more phones than people in an hour.
        "RATELIMIT_FEEDBACK": env.get("DIALOGUE_FEEDBACK_RATE_LIMIT", "2000 per minute"),
        "RATELIMIT_FEEDBACK_DEVICE": env.get(
            "DIALOGUE_FEEDBACK_DEVICE_RATE_LIMIT", "30 per minute;300 per hour"
        ),
        "RATELIMIT_NEW_DEVICES": env.get("DIALOGUE_NEW_DEVICE_RATE_LIMIT", "600 per hour"),
        # The public API, per address: a newsroom or a city's dashboard reads it in bursts.
        "RATELIMIT_API": env.get("DIALOGUE_API_RATE_LIMIT", "600 per minute;20000 per hour"),
        # The licence the open data (API and yearly files) is published under.
        "DIALOGUE_OPEN_DATA_LICENCE": env.get(
            "DIALOGUE_OPEN_DATA_LICENCE", "Creative Commons Attribution 4.0 (CC BY 4.0)"
        ),
        "DIALOGUE_OPEN_DATA_LICENCE_URL": env.get(
            "DIALOGUE_OPEN_DATA_LICENCE_URL", "https://creativecommons.org/licenses/by/4.0/deed.vi"
        ),
        "QUESTION_FORM_MIN_SECONDS": float(env.get("DIALOGUE_QUESTION_MIN_SECONDS", "3") or 3),
        "DIALOGUE_PG_DUMP": env.get("DIALOGUE_PG_DUMP", "pg_dump"),
        "DIALOGUE_PG_RESTORE": env.get("DIALOGUE_PG_RESTORE", ""),
        **_mail_config(env, public_url),
        **_jobs_config(env, mode, redis_url, instance_path),
        **_signing_config(env, instance_path),
        **_stream_config(env),
    }


# Live streams' settings an operator may change (their defaults are in dialogue/feed/).
STREAM_SETTINGS = {
    "DIALOGUE_STREAM_HEARTBEAT": float,
    "DIALOGUE_STREAM_RETRY_MS": int,
    "DIALOGUE_STREAM_WRITE_TIMEOUT": float,
    "DIALOGUE_STREAM_DATABASE_SLOTS": int,
}


def _stream_config(env) -> dict:
    """The stream settings given in the environment; the others keep their defaults."""
    return {
        name: kind(_number(env, name, 0))
        for name, kind in STREAM_SETTINGS.items()
        if (env.get(name) or "").strip()
    }


def _number(env, name: str, default: float) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, not {raw!r}.") from None
    if value <= 0:
        raise ConfigurationError(f"{name} must be greater than 0, not {raw!r}.")
    return value


def _mail_config(env, public_url: str | None) -> dict:
    """Outgoing mail (Flask-Mailman's keys): without an SMTP host mail waits in the outbox."""
    host = (env.get("DIALOGUE_SMTP_HOST") or "").strip() or None
    use_ssl = _flag(env.get("DIALOGUE_SMTP_SSL"), default=False)
    use_starttls = _flag(env.get("DIALOGUE_SMTP_STARTTLS"), default=False)
    if use_ssl and use_starttls:
        raise ConfigurationError(
            "DIALOGUE_SMTP_SSL and DIALOGUE_SMTP_STARTTLS exclude each other: "
            "set SSL for port 465, STARTTLS for port 587."
        )
    port = int(_number(env, "DIALOGUE_SMTP_PORT", 465 if use_ssl else 25))
    timeout = _number(env, "DIALOGUE_SMTP_TIMEOUT", 10)
    # A message left "sending" this long by a worker that died is sent again by another; it
    # must outlast a slow but living conversation with the server (several timeouts long).
    lease = _number(env, "DIALOGUE_MAIL_LEASE_SECONDS", 300)
    if lease < 3 * timeout:
        raise ConfigurationError(
            "DIALOGUE_MAIL_LEASE_SECONDS must be at least three times DIALOGUE_SMTP_TIMEOUT, "
            "or a slow server could receive the same message twice."
        )
    sender = (env.get("DIALOGUE_MAIL_FROM") or "").strip()
    if not sender:
        host_name = urlsplit(public_url).hostname if public_url else None
        sender = f"Dialogue <no-reply@{host_name or 'dialogue.local'}>"
    if "@" not in parseaddr(sender)[1]:
        raise ConfigurationError(
            f'DIALOGUE_MAIL_FROM must be an address such as "UBND phường <no-reply@…>", '
            f"not {sender!r}."
        )
    return {
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": host,
        "MAIL_PORT": port,
        "MAIL_USERNAME": (env.get("DIALOGUE_SMTP_USERNAME") or "").strip() or None,
        "MAIL_PASSWORD": env.get("DIALOGUE_SMTP_PASSWORD") or None,
        "MAIL_USE_TLS": use_starttls,
        "MAIL_USE_SSL": use_ssl,
        "MAIL_TIMEOUT": timeout,
        "MAIL_DEFAULT_SENDER": sender,
        "DIALOGUE_MAIL_LEASE_SECONDS": lease,
    }


JOB_BACKENDS = ("redis", "sqlite", "immediate")


def _signing_config(env, instance_path: Path) -> dict:
    """The certificate published PDFs are signed with (dialogue.documents.signing).

    DIALOGUE_SIGNING_P12 is a PKCS#12 file for every ward, or a directory of
    ``<ward-slug>.p12`` files; without it, the certificates ``seed-demo`` made for the demo
    (``instance/demo-signing/``), if any; else documents are published unsigned.
    """
    configured = (env.get("DIALOGUE_SIGNING_P12") or "").strip()
    passphrase = env.get("DIALOGUE_SIGNING_P12_PASSPHRASE") or ""
    if configured:
        path = Path(configured)
        if not path.exists():
            raise ConfigurationError(
                f"DIALOGUE_SIGNING_P12 is {configured!r}, which does not exist: give the ward's "
                "PKCS#12 file, or a directory of <ward-slug>.p12 files."
            )
    else:
        path = instance_path / "demo-signing"
        passphrase_file = path / "passphrase"
        if not passphrase_file.is_file():
            path = None
        elif not passphrase:
            passphrase = passphrase_file.read_text().strip()
    tsa_url = (env.get("DIALOGUE_SIGNING_TSA_URL") or "").strip() or None
    if tsa_url and urlsplit(tsa_url).scheme not in {"http", "https"}:
        raise ConfigurationError(
            f"DIALOGUE_SIGNING_TSA_URL must be an http(s) address, not {tsa_url!r}."
        )
    return {
        "DIALOGUE_SIGNING_P12": str(path) if path else None,
        "DIALOGUE_SIGNING_P12_PASSPHRASE": passphrase,
        # A time-stamp authority (RFC 3161) makes the signatures PAdES B-T instead of B-B.
        "DIALOGUE_SIGNING_TSA_URL": tsa_url,
    }


def _jobs_config(env, mode: str, redis_url: str | None, instance_path: Path) -> dict:
    """The job queue: Redis where it is configured, a SQLite file beside the database otherwise.

    Tests run tasks at once, in the process that queues them ("immediate").
    """
    backend = (env.get("DIALOGUE_JOBS") or "").strip().lower()
    if not backend:
        backend = "immediate" if mode == "testing" else ("redis" if redis_url else "sqlite")
    if backend not in JOB_BACKENDS:
        raise ConfigurationError(
            f"DIALOGUE_JOBS must be redis, sqlite or immediate, not {backend!r}."
        )
    if backend == "redis" and not redis_url:
        raise ConfigurationError("DIALOGUE_JOBS=redis needs DIALOGUE_REDIS_URL.")
    return {
        "DIALOGUE_JOBS": backend,
        "DIALOGUE_JOBS_DATABASE": (env.get("DIALOGUE_JOBS_DATABASE") or "").strip()
        or str(instance_path / "jobs.sqlite3"),
    }
