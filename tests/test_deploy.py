"""The deployment of deploy/: nginx with deploy/nginx/dialogue.conf in front of two gunicorns.

Debian's nginx runs the repository's site file itself, only its name, ports, certificate and
paths substituted (``_site_config``), over HTTPS with a certificate made by the test, in front
of the two services of deploy/systemd: gunicorn for pages and saves, and gunicorn for the live
streams, with the production settings (``DIALOGUE_ENV=production``, secure cookies, one trusted
proxy) on one PostgreSQL database and one Redis. Through the proxy only, the test then crawls
the public site, follows a live screen while a secretary saves a turn, exhausts a rate limit
from one loopback address and not another, and checks what nginx answers itself: static
files, a body too large, requests for another name.

Its database is a new one beside DIALOGUE_TEST_DATABASE_URL when that is PostgreSQL, else a
cluster of its own (tests/services.py); its Redis is DIALOGUE_TEST_REDIS_URL's, else a server
of its own. Without nginx, openssl or those it is skipped, except in CI. ``make deploy-check``
installs nginx and runs it.
"""

from __future__ import annotations

import collections
import contextlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urldefrag, urlencode, urljoin, urlsplit

import pytest
import sqlalchemy as sa

from tests.conftest import TEST_DATABASE_URL, require_service
from tests.services import PostgresCluster, RedisServer, postgres_missing, redis_missing

pytestmark = pytest.mark.deploy

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "deploy" / "nginx" / "dialogue.conf"
HOST = "doithoai.example.vn"
PORTS = (5140, 5149)
PASSWORD = "deploy-check-password"
# Low enough to exhaust in a few requests; the per-username limit out of the way.
LOGIN_LIMIT = 4
START_TIMEOUT = 60
# Pages the crawl visits at most: the demo ward's public site is about this size.
CRAWL_LIMIT = 400
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
NGINX_413 = b"413 Request Entity Too Large"


# -- nginx's configuration from the repository's site file ---------------------------------------


def _site_config(text: str, *, ports: dict[str, int], tls: Path, static: Path) -> str:
    """The site file with the test's ports, certificate and paths; nothing else changed.

    Each replaced string must occur exactly as often as the site file has it today: a site
    file reworded so that a replacement no longer applies fails here, rather than leaving
    the test to check something other than the file that is shipped. Comments are left out.
    """
    text = "".join(
        line for line in text.splitlines(keepends=True) if not line.lstrip().startswith("#")
    )
    replacements = [
        ("listen [::]:80 default_server;\n", "", 1),
        ("listen [::]:80;\n", "", 1),
        ("listen [::]:443 ssl default_server;\n", "", 1),
        ("listen [::]:443 ssl http2;\n", "", 1),
        ("listen 80", f"listen 127.0.0.1:{ports['http']}", 2),
        ("listen 443", f"listen 127.0.0.1:{ports['https']}", 2),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{ports['web']};", 1),
        ("server 127.0.0.1:8001;", f"server 127.0.0.1:{ports['streams']};", 1),
        (f"/etc/letsencrypt/live/{HOST}/fullchain.pem", str(tls / "fullchain.pem"), 1),
        (f"/etc/letsencrypt/live/{HOST}/privkey.pem", str(tls / "privkey.pem"), 1),
        ("/srv/dialogue/static/", f"{static}/", 3),
        ("root /var/www/letsencrypt;", f"root {tls};", 1),
    ]
    for old, new, count in replacements:
        found = text.count(old)
        assert found == count, f"{SITE.name}: {old!r} occurs {found} times, not {count}"
        text = text.replace(old, new)
    assert "/srv/dialogue" not in text and "/etc/letsencrypt" not in text
    return text


def _main_config(directory: Path, site: Path) -> str:
    """nginx.conf as Debian's, reduced to what a test run needs, logging which upstream served."""
    return f"""
daemon off;
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log info;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    gzip on;
    log_format upstreams '$remote_addr "$request" $status upstream=$upstream_addr';
    access_log {directory}/access.log upstreams;
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    include {site};
}}
"""


def _nginx_program() -> str | None:
    """Debian's nginx, also when /usr/sbin is not on the PATH (a user's shell)."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")


def _free_ports(names: tuple[str, ...]) -> dict[str, int]:
    """Distinct free loopback ports of ``PORTS`` for ``names``."""
    chosen: dict[str, int] = {}
    candidates = iter(range(PORTS[0], PORTS[1] + 1))
    for name in names:
        for port in candidates:
            with socket.socket() as probe:
                try:
                    probe.bind(("127.0.0.1", port))
                except OSError:
                    continue
            chosen[name] = port
            break
        else:
            raise RuntimeError(f"not enough free ports in {PORTS[0]}–{PORTS[1]}")
    return chosen


def _wait_listening(port: int, process: subprocess.Popen, what: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start:\n{log.read_text(errors='replace')[-4000:]}")
        time.sleep(0.1)


def _stop(process: subprocess.Popen | None, sig: int = signal.SIGTERM) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# -- the seeded ward ------------------------------------------------------------------------------


def seed(instance: str) -> None:
    """Load the demo ward (without its history) and a conference in progress; print their keys.

    Run in a process of its own with the deployment's environment; the demo's signing
    certificates go to ``instance``, not to the repository's ``instance/``.
    """
    from dialogue import create_app
    from dialogue.auth.models import User
    from dialogue.conferences.models import Conference, ConferenceStatus
    from dialogue.demo.seed import load_demo
    from dialogue.extensions import db

    app = create_app({"INSTANCE_PATH": instance, "ENVIRON": dict(os.environ)})
    with app.app_context():
        ward = load_demo(PASSWORD, with_history=False)
        secretary = db.session.scalar(sa.select(User).where(User.username == "secretary"))
        start = datetime.now(UTC) - timedelta(minutes=20)
        conference = Conference(
            ward=ward,
            title="Hội nghị đối thoại kiểm tra triển khai",
            start_dt=start,
            planned_end_dt=start + timedelta(hours=3),
            status=ConferenceStatus.IN_PROGRESS,
            announced_dt=start - timedelta(days=10),
            secretaries=[secretary],
        )
        db.session.add(conference)
        db.session.commit()
        print(json.dumps({"slug": ward.slug, "conference_id": conference.id}))


# -- the deployment -------------------------------------------------------------------------------


@dataclass
class Deployment:
    ports: dict[str, int]
    directory: Path
    context: ssl.SSLContext
    certificate: str
    slug: str
    conference_id: int
    environment: dict[str, str]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def client(self, address: str = "127.0.0.1") -> Client:
        return Client(self.ports["https"], self.context, address)

    def access_log(self) -> str:
        return (self.directory / "access.log").read_text(errors="replace")

    def start_gunicorn(self, name: str) -> None:
        """Serve the application as deploy/systemd/dialogue-<name>.service does."""
        environment = {
            **self.environment,
            "DIALOGUE_BIND": f"127.0.0.1:{self.ports[name]}",
            "DIALOGUE_WORKERS": "2" if name == "web" else "1",
            "DIALOGUE_THREADS": "16",
        }
        if name == "streams":
            environment["DIALOGUE_WORKER_CLASS"] = "gevent"
        log = self.directory / f"{name}.log"
        with log.open("ab") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                cwd=ROOT,
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        self.processes[name] = process

    def wait_for_gunicorn(self, name: str) -> None:
        """Until the service answers: the master listens first, its workers load the app after."""
        process, log = self.processes[name], self.directory / f"{name}.log"
        _wait_listening(self.ports[name], process, f"gunicorn ({name})", log)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            connection = http.client.HTTPConnection("127.0.0.1", self.ports[name], timeout=5)
            try:
                connection.request("GET", "/healthz/live")
                if connection.getresponse().status == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            finally:
                connection.close()
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn ({name}) does not answer:\n{log.read_text()[-4000:]}")
            time.sleep(0.2)


class _TLSConnection(http.client.HTTPSConnection):
    """HTTPS to nginx on loopback under the site's name (SNI, Host), from a chosen address."""

    def __init__(self, port: int, context: ssl.SSLContext, address: str, timeout: float = 30):
        super().__init__(HOST, port, context=context, timeout=timeout)
        self.source = address

    def connect(self):
        sock = socket.create_connection(
            ("127.0.0.1", self.port), self.timeout, source_address=(self.source, 0)
        )
        self.sock = self._context.wrap_socket(sock, server_hostname=HOST)


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


@dataclass
class Client:
    """A browser on one loopback address: cookies, HTTPS, the site's name."""

    port: int
    context: ssl.SSLContext
    address: str
    cookies: dict[str, str] = field(default_factory=dict)

    def connection(self, timeout: float = 30) -> _TLSConnection:
        return _TLSConnection(self.port, self.context, self.address, timeout)

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> Response:
        all_headers = {"Referer": f"https://{HOST}{path}"}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        all_headers.update(headers or {})
        connection = self.connection()
        try:
            connection.request(method, path, body=body, headers=all_headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for key, morsel in SimpleCookie(header).items():
                self.cookies[key] = morsel.value
        return Response(response.status, response.headers, data)

    def post_form(self, path: str, form: dict, headers: dict | None = None) -> Response:
        return self.request(
            "POST",
            path,
            urlencode(form).encode(),
            {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
        )

    def csrf_token(self, path: str) -> str:
        page = self.request("GET", path)
        match = CSRF_RE.search(page.text)
        assert page.status == 200 and match, f"no CSRF token on {path} ({page.status})"
        return match.group(1)


@pytest.fixture(scope="module")
def database_for_deployment():
    """A PostgreSQL database of the test's own: beside DIALOGUE_TEST_DATABASE_URL, or a cluster."""
    if TEST_DATABASE_URL.startswith("postgresql"):
        base = sa.engine.make_url(TEST_DATABASE_URL)
        name = f"{base.database}_deploy_{uuid.uuid4().hex[:6]}"
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()
        return
    missing = postgres_missing()
    require_service(missing is None, f"the deployment check needs PostgreSQL: {missing}")
    cluster = PostgresCluster()
    try:
        cluster.start()
        yield cluster.url
    finally:
        cluster.remove()


@pytest.fixture(scope="module")
def redis_for_deployment():
    """DIALOGUE_TEST_REDIS_URL's database, or a Redis server of the test's own."""
    configured = os.environ.get("DIALOGUE_TEST_REDIS_URL", "").strip()
    if configured:
        yield configured
        return
    missing = redis_missing()
    require_service(missing is None, f"the deployment check needs Redis: {missing}")
    server = RedisServer()
    try:
        server.start()
        yield server.url
    finally:
        server.remove()


def _prepare(directory: Path, database_url: str, redis_url: str) -> Deployment:
    """A certificate, the migrated and seeded database, nginx's configuration in ``directory``."""
    ports = _free_ports(("http", "https", "web", "streams"))
    tls = directory / "tls"
    tls.mkdir()
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-nodes", "-newkey", "ec"),
            *("-pkeyopt", "ec_paramgen_curve:prime256v1"),
            *("-days", "2", "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=DNS:{HOST}"),
            *("-keyout", str(tls / "privkey.pem"), "-out", str(tls / "fullchain.pem")),
        ],
        check=True,
        capture_output=True,
    )
    # As deploy/dialogue.env.example sets them; only the login limit lowered, to exhaust it.
    environment = {
        **os.environ,
        "DIALOGUE_ENV": "production",
        "DIALOGUE_SECRET_KEY": secrets.token_hex(32),
        "DIALOGUE_DATABASE_URL": database_url,
        "DIALOGUE_REDIS_URL": redis_url,
        "DIALOGUE_TRUSTED_PROXIES": "1",
        "DIALOGUE_PUBLIC_URL": f"https://{HOST}",
        "DIALOGUE_LOGIN_RATE_LIMIT": f"{LOGIN_LIMIT} per minute",
        "DIALOGUE_LOGIN_ACCOUNT_RATE_LIMIT": "1000 per minute",
        "DIALOGUE_LOG_LEVEL": "warning",
    }
    for variable in ("DIALOGUE_SECURE_COOKIES", "DIALOGUE_JOBS", "DIALOGUE_SIGNING_P12"):
        environment.pop(variable, None)
    seed_command = "import sys; from tests.test_deploy import seed; seed(sys.argv[1])"
    for step, command in (
        ("flask db upgrade", [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"]),
        ("seeding", [sys.executable, "-c", seed_command, str(directory / "instance")]),
    ):
        finished = subprocess.run(
            command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300
        )
        assert finished.returncode == 0, f"{step} failed:\n{finished.stderr[-4000:]}"
    keys = json.loads(finished.stdout.strip().splitlines()[-1])
    context = ssl.create_default_context(cafile=str(tls / "fullchain.pem"))
    site = directory / "dialogue.conf"
    site.write_text(_site_config(SITE.read_text(), ports=ports, tls=tls, static=ROOT / "static"))
    (directory / "nginx.conf").write_text(_main_config(directory, site))
    certificate = str(tls / "fullchain.pem")
    return Deployment(
        ports, directory, context, certificate, keys["slug"], keys["conference_id"], environment
    )


def _start_nginx(deployed: Deployment, nginx: str) -> None:
    directory = deployed.directory
    main = directory / "nginx.conf"
    checked = subprocess.run(
        [nginx, "-t", "-q", "-c", str(main), "-p", str(directory), "-e", "stderr"],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, f"nginx -t refused the site file:\n{checked.stderr}"
    log = directory / "nginx.log"
    with log.open("ab") as output:
        deployed.processes["nginx"] = subprocess.Popen(
            [nginx, "-c", str(main), "-p", str(directory), "-e", str(directory / "error.log")],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    _wait_listening(deployed.ports["https"], deployed.processes["nginx"], "nginx", log)


@pytest.fixture(scope="module")
def deployment(database_for_deployment, redis_for_deployment):
    nginx = _nginx_program()
    require_service(
        nginx is not None, "nginx is not installed (make deploy-check installs Debian's)"
    )
    require_service(shutil.which("openssl") is not None, "openssl is not installed")
    directory = Path(tempfile.mkdtemp(prefix="dialogue-deploy-"))
    # nginx's workers (nobody, when the test runs as root) write their temporary files here.
    directory.chmod(0o755)
    deployed = None
    try:
        deployed = _prepare(directory, database_for_deployment, redis_for_deployment)
        for name in ("web", "streams"):
            deployed.start_gunicorn(name)
        for name in ("web", "streams"):
            deployed.wait_for_gunicorn(name)
        _start_nginx(deployed, nginx)
        yield deployed
    finally:
        if deployed is not None:
            # nginx, then the applications; SIGINT is gunicorn's quick stop (the services'
            # graceful one is not under test here).
            _stop(deployed.processes.get("nginx"))
            for name in ("streams", "web"):
                _stop(deployed.processes.get(name), signal.SIGINT)
        shutil.rmtree(directory, ignore_errors=True)


# -- the checks -----------------------------------------------------------------------------------


def test_tls_http2_and_the_redirect_from_plain_http(deployment):
    context = ssl.create_default_context(cafile=deployment.certificate)
    context.set_alpn_protocols(["h2", "http/1.1"])
    with (
        socket.create_connection(("127.0.0.1", deployment.ports["https"]), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=HOST) as tls,
    ):
        assert tls.version() in {"TLSv1.2", "TLSv1.3"}
        assert tls.selected_alpn_protocol() == "h2"
    # TLS 1.2 still, for residents' older phones.
    older = ssl.create_default_context(cafile=deployment.certificate)
    older.maximum_version = ssl.TLSVersion.TLSv1_2
    with (
        socket.create_connection(("127.0.0.1", deployment.ports["https"]), timeout=10) as raw,
        older.wrap_socket(raw, server_hostname=HOST) as tls,
    ):
        assert tls.version() == "TLSv1.2"

    health = deployment.client().request("GET", "/healthz/ready")
    assert health.status == 200, health.text
    assert json.loads(health.body)["database"] == "ok"
    assert json.loads(health.body)["redis"] == "ok"
    assert health.headers["Strict-Transport-Security"] == "max-age=63072000"
    # One HSTS header: the application's own is replaced by nginx's.
    assert len(health.headers.get_all("Strict-Transport-Security")) == 1
    streams = deployment.client().request("GET", "/healthz/streams")
    assert streams.status == 200 and json.loads(streams.body)["status"] == "ok"

    plain = http.client.HTTPConnection("127.0.0.1", deployment.ports["http"], timeout=10)
    plain.request("GET", "/p/thach-ban/?a=1", headers={"Host": HOST})
    redirect = plain.getresponse()
    redirect.read()
    plain.close()
    assert redirect.status == 301
    assert redirect.headers["Location"] == f"https://{HOST}/p/thach-ban/?a=1"


def test_another_name_gets_no_answer(deployment):
    """A request for a name not the site's never reaches the application."""
    with socket.create_connection(("127.0.0.1", deployment.ports["https"]), timeout=10) as raw:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with pytest.raises(ssl.SSLError):
            context.wrap_socket(raw, server_hostname="elsewhere.example.com")
    plain = http.client.HTTPConnection("127.0.0.1", deployment.ports["http"], timeout=10)
    plain.request("GET", "/", headers={"Host": "elsewhere.example.com"})
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        plain.getresponse()
    plain.close()


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name in ("href", "src"):
            if attributes.get(name):
                self.links.append(attributes[name])


def test_a_crawl_of_the_public_site_through_the_proxy_meets_no_server_error(deployment):
    client = deployment.client()
    queue = ["/", f"/p/{deployment.slug}/", "/api/v1/wards"]
    seen = set(queue)
    visited: dict[str, int] = {}
    while queue and len(visited) < CRAWL_LIMIT:
        path = queue.pop(0)
        method = "HEAD" if path.startswith("/static/") or path.endswith(".pdf") else "GET"
        response = client.request(method, path)
        visited[path] = response.status
        if response.headers.get("Location"):
            links = [response.headers["Location"]]
        elif "text/html" in response.headers.get("Content-Type", ""):
            parser = _Links()
            parser.feed(response.text)
            links = parser.links
        else:
            continue
        for link in links:
            target = urldefrag(urljoin(f"https://{HOST}{path}", link))[0]
            parts = urlsplit(target)
            if parts.netloc != HOST:
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            # Signing in and the staff's pages are not the public site.
            if local.startswith(("/auth/", "/conferences/")) or local in seen:
                continue
            seen.add(local)
            queue.append(local)
    statuses = collections.Counter(visited.values())
    print(
        f"crawl through nginx: {len(visited)} addresses, statuses {dict(sorted(statuses.items()))}"
    )
    failures = {path: status for path, status in visited.items() if status >= 500}
    assert not failures, failures
    assert len(visited) > 40, f"the crawl reached only {len(visited)} addresses"
    assert any(path.startswith("/static/") for path in visited)
    assert any(path.endswith(".pdf") and status == 200 for path, status in visited.items())


def _follow(connection, path: str, events: list[dict], ready: threading.Event, stop):
    """Read one live stream until ``stop``: its events' names and data, as EventSource."""
    connection.request("GET", path, headers={"Accept": "text/event-stream"})
    response = connection.getresponse()
    events.append({"status": response.status, "type": response.headers["Content-Type"]})
    ready.set()
    fields: dict[str, str] = {}
    try:
        while not stop.is_set():
            line = response.fp.readline()
            if not line:
                return
            line = line.decode().rstrip("\r\n")
            if line:
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
            elif fields:
                events.append(fields)
                fields = {}
    except OSError:
        return
    finally:
        connection.close()


def test_a_turn_saved_through_the_web_service_reaches_a_screen_on_the_streams_service(
    deployment,
):
    conference = deployment.conference_id
    public_stream = f"/p/{deployment.slug}/hoi-nghi/{conference}/truc-tiep/stream"
    events: list[dict] = []
    ready, stop = threading.Event(), threading.Event()
    phone = deployment.client("127.0.0.5").connection(timeout=30)
    screen = threading.Thread(target=_follow, args=(phone, public_stream, events, ready, stop))
    screen.start()
    try:
        assert ready.wait(15)
        assert events[0] == {"status": 200, "type": "text/event-stream; charset=utf-8"}, events
        secretary = deployment.client()
        token = secretary.csrf_token("/auth/login")
        signed_in = secretary.post_form(
            "/auth/login", {"username": "secretary", "password": PASSWORD, "csrf_token": token}
        )
        assert signed_in.status == 302, signed_in.text[:500]
        # Set only over HTTPS: the application saw the scheme nginx passed on.
        assert "secure" in signed_in.headers["Set-Cookie"].lower()
        console = f"/conferences/{conference}/live"
        csrf = re.search(r'data-csrf="([^"]+)"', secretary.request("GET", console + "/").text)
        assert csrf, "no CSRF token on the console"
        question = f"Kiểm tra triển khai {uuid.uuid4().hex[:8]}: bao giờ có kết quả?"
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        saved = secretary.request(
            "POST",
            console + "/turns",
            json.dumps(
                {
                    "client_key": str(uuid.uuid4()),
                    "speaker_name": "Nguyễn Thị Thử",
                    "question": question,
                    "outcome": "pending",
                    "saved_at": now,
                    "sent_at": now,
                }
            ).encode(),
            {
                "Content-Type": "application/json",
                "Accept": "application/json",
                "X-CSRFToken": csrf.group(1),
            },
        )
        assert saved.status == 200 and json.loads(saved.body)["ok"], saved.text[:500]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if any(
                event.get("event") == "turn.created" and question in event.get("data", "")
                for event in events
            ):
                break
            time.sleep(0.05)
        else:
            pytest.fail(f"the screen never received the turn: {events}")
    finally:
        stop.set()
        with contextlib.suppress(OSError, AttributeError):
            phone.sock.shutdown(socket.SHUT_RDWR)
        screen.join(timeout=40)
    log = deployment.access_log()
    web, streams = (f"upstream=127.0.0.1:{deployment.ports[n]}" for n in ("web", "streams"))
    assert re.search(rf'"GET {re.escape(public_stream)} HTTP/1.1" 200 {streams}', log), log
    assert re.search(rf'"POST {console}/turns HTTP/1.1" 200 {web}', log), log


def _failed_sign_in(client: Client, headers: dict | None = None) -> int:
    token = client.csrf_token("/auth/login")
    answer = client.post_form(
        "/auth/login",
        {"username": f"nobody-{uuid.uuid4().hex[:6]}", "password": "wrong", "csrf_token": token},
        headers,
    )
    return answer.status


def test_rate_limits_count_the_address_that_connected_not_one_a_client_claims(deployment):
    # Addresses of this run only: a limit a previous run exhausted is not in the way.
    net = f"127.{secrets.randbelow(200) + 20}.{secrets.randbelow(250) + 1}"
    greedy, other, forger = (deployment.client(f"{net}.{n}") for n in (2, 3, 4))
    statuses = [_failed_sign_in(greedy) for _ in range(LOGIN_LIMIT)]
    assert statuses == [200] * LOGIN_LIMIT, statuses
    assert _failed_sign_in(greedy) == 429
    # The address next door is not limited…
    assert _failed_sign_in(other) == 200
    # …a limited client cannot get out by claiming another address…
    assert _failed_sign_in(greedy, {"X-Forwarded-For": f"{net}.9"}) == 429
    # …and nobody is limited by a client claiming to be them.
    assert _failed_sign_in(forger, {"X-Forwarded-For": f"{net}.2"}) == 200
    # A forged X-Forwarded-Host is replaced too: with it believed, the CSRF check would
    # refuse a Referer of the site's own name (400).
    assert _failed_sign_in(forger, {"X-Forwarded-Host": "evil.example.com"}) == 200


def test_nginx_refuses_a_body_beyond_its_limit_and_the_application_one_beyond_its_own(
    deployment,
):
    client = deployment.client()
    megabyte = 1024 * 1024
    # Beyond nginx's client_max_body_size (13m): refused from the headers alone.
    connection = client.connection()
    connection.putrequest("POST", "/auth/login")
    connection.putheader("Content-Type", "application/x-www-form-urlencoded")
    connection.putheader("Content-Length", str(14 * megabyte))
    connection.endheaders()
    refused = connection.getresponse()
    body = refused.read()
    connection.close()
    assert refused.status == 413 and NGINX_413 in body
    assert refused.getheader("Content-Security-Policy") is None  # the application's header
    # Beyond the application's 12 MB, within nginx's: the application explains it.
    explained = client.request(
        "POST",
        "/auth/login",
        b"x" * (12 * megabyte + 100_000),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert explained.status == 413 and NGINX_413 not in explained.body
    assert explained.headers["Content-Security-Policy"]


def test_static_files_come_from_nginx_with_cache_headers_even_with_the_application_frozen(
    deployment,
):
    client = deployment.client()
    stylesheet = client.request("GET", "/static/css/app.css")
    assert stylesheet.status == 200
    assert stylesheet.body == (ROOT / "static" / "css" / "app.css").read_bytes()
    assert stylesheet.headers["Cache-Control"] == "public, max-age=3600"
    assert stylesheet.headers["X-Content-Type-Options"] == "nosniff"
    assert stylesheet.headers["Strict-Transport-Security"] == "max-age=63072000"
    assert stylesheet.headers["ETag"] and stylesheet.headers["Last-Modified"]
    # The application sends its Content-Security-Policy on every answer, static ones too.
    assert stylesheet.headers.get("Content-Security-Policy") is None
    again = client.request(
        "GET", "/static/css/app.css", None, {"If-None-Match": stylesheet.headers["ETag"]}
    )
    assert again.status == 304
    font = client.request("HEAD", "/static/fonts/LiberationSerif-Regular.ttf")
    assert font.status == 200 and font.headers["Cache-Control"] == "public, max-age=2592000"

    # With every process of the web service frozen, nginx still serves it: no request for a
    # static file reaches the application.
    master = deployment.processes["web"]
    frozen = [master.pid, *_children(master.pid)]
    for pid in frozen:
        os.kill(pid, signal.SIGSTOP)
    try:
        again = client.request("GET", "/static/js/livefeed.js")
        assert again.status == 200 and again.headers["Cache-Control"] == "public, max-age=3600"
    finally:
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)
    assert client.request("GET", "/healthz/live").status == 200


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


# -- the systemd units and the environment file ---------------------------------------------------

SYSTEMD = ROOT / "deploy" / "systemd"


def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path):
    """Each unit as installed, only /srv/dialogue replaced by this checkout and its programs."""
    analyze = shutil.which("systemd-analyze")
    require_service(analyze is not None, "systemd-analyze is not installed (Debian's systemd)")
    programs = Path(sys.executable).parent
    units = []
    for unit in sorted(SYSTEMD.iterdir()):
        text = unit.read_text()
        text = text.replace("/srv/dialogue/.venv/bin/", f"{programs}/").replace(
            "/srv/dialogue", str(ROOT)
        )
        (tmp_path / unit.name).write_text(text)
        units.append(str(tmp_path / unit.name))
    assert {Path(unit).suffix for unit in units} == {".service", ".timer", ".target"}
    checked = subprocess.run(
        [analyze, "verify", "--man=no", *units],
        capture_output=True,
        text=True,
        env={**os.environ, "SYSTEMD_LOG_LEVEL": "notice"},
    )
    assert checked.returncode == 0 and not checked.stderr.strip(), checked.stderr


def test_the_environment_file_names_every_variable_of_the_readme():
    documented = set(re.findall(r"\bDIALOGUE_[A-Z0-9_]+", (ROOT / "README.md").read_text()))
    examples = (ROOT / "deploy" / "dialogue.env.example").read_text() + (
        ROOT / "deploy" / "migrate.env.example"
    ).read_text()
    offered = set(re.findall(r"^#?(DIALOGUE_[A-Z0-9_]+)=", examples, re.MULTILINE))
    # Set by each service itself, or only by the tests.
    per_service = {"DIALOGUE_BIND", "DIALOGUE_WORKER_CLASS"}
    missing = {
        name for name in documented - offered - per_service if not name.startswith("DIALOGUE_TEST_")
    }
    assert not missing, sorted(missing)
    units = "".join(unit.read_text() for unit in SYSTEMD.glob("*.service"))
    assert "DIALOGUE_BIND=127.0.0.1:8000" in units and "DIALOGUE_BIND=127.0.0.1:8001" in units
