"""Every page of the demo ward, checked by axe-core in Chromium and by the Nu Html Checker.

The pages come from the URL map: every GET route is visited with the demo's records filled in,
by every role allowed to see it (residents for public pages), for a conference in each state,
so that a new page is checked without anyone adding it here. What is not a page (files, JSON,
streams, redirects) is listed in ``NOT_PAGES`` with the reason; a route that is neither listed
nor answers HTML fails, and so does a URL argument that has no demo value yet. A few forms are
also sent empty, so that the pages showing errors are checked too.

axe-core runs in each page at 1280 px and again at 360 px (regions start scrolling on phones),
with all its rules; any violation fails, whatever its impact. The HTML each page was served
with (not the DOM after its scripts) goes to the Nu Html Checker in one run at the end (the
JVM starts once), and any error fails.

The tools come from the npm registry into ``tests/a11y/node_modules`` (``make a11y``); the Nu
Html Checker also needs a Java runtime (Debian's ``default-jre-headless``).
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from dialogue.audit.models import AuditEvent
from dialogue.auth.models import Role, User
from dialogue.conferences.models import AgendaItem, Conference, ConferenceStatus
from dialogue.config import PROJECT_ROOT
from dialogue.demo.seed import load_demo
from dialogue.dossier import operations as dossier_operations
from dialogue.dossier.figures import Counts
from dialogue.dossier.models import DossierChannel, DossierLine, DossierReport
from dialogue.extensions import db
from dialogue.followup.models import AnswerStatus, Referral, ReferralStatus, WrittenAnswer
from dialogue.help.views import GUIDE_PATHS
from dialogue.live.models import Turn, TurnOutcome
from dialogue.minutes.models import PublishedDocument
from dialogue.people.models import Person
from dialogue.photos import operations as photo_operations
from dialogue.photos.imaging import prepare_photo
from dialogue.photos.models import Photo
from dialogue.questions.models import QuestionStatus, ResidentQuestion
from dialogue.wards.models import DelegateCategory, ProcedureArea, ResidentialGroup, Unit
from tests.browser.support import sign_in
from tests.conftest import PASSWORD, require_service

pytestmark = pytest.mark.browser

A11Y_TOOLS = PROJECT_ROOT / "tests" / "a11y" / "node_modules"
AXE_JS = A11Y_TOOLS / "axe-core" / "axe.min.js"
VNU_JAR = A11Y_TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"
JAVA = os.environ.get("DIALOGUE_JAVA") or shutil.which("java")
INSTALL_HINT = "run make a11y (npm ci in tests/a11y; apt-get install default-jre-headless)"

WIDTHS = (1280, 360)
STATEMENT_PATH = "/kha-nang-tiep-can"

# Routes that answer no HTML page for a person to read, and why they are not checked.
NOT_PAGES = {
    "static": "stylesheets, scripts, fonts and images",
    "main.healthz": "JSON for the proxy's health check",
    "main.liveness": "JSON for the process supervisor's liveness check",
    "main.set_locale": "only redirects back to the page it came from",
    "archive.short_link": "only redirects to the published document, whose page is checked",
    "archive.document_pdf": "PDF",
    "archive.ledger_log": "JSON Lines: the publication log, downloaded",
    "archive.photo": "an image",
    "archive.photo_thumbnail": "an image",
    "attendance.live": "JSON polled by the check-in desk",
    "attendance.search": "JSON for the check-in desk's name search",
    "attendance.sign_in_sheet": "PDF",
    "conferences.people_search": "JSON for the plan form's people picker",
    "exports.minutes_docx": "a Word file",
    "exports.turns_csv": "CSV",
    "exports.turns_xlsx": "an Excel file",
    "feed.public_snapshot": "JSON polled by residents' phones",
    "feedback.responses_csv": "CSV",
    "feedback.responses_xlsx": "an Excel file",
    "feed.public_stream": "an endless Server-Sent Events stream",
    "feed.staff_snapshot": "JSON for the console",
    "feed.staff_stream": "an endless Server-Sent Events stream",
    "followup.attachment": "PDF (a unit's signed reply letter, for staff)",
    "invitations.search": "a fragment fetched into the invitations page, checked there",
    "live.attendees": "JSON for the console's speaker list",
    "live.service_worker": "the console's service worker, a script",
    "live.turn": "JSON for the console",
    "live.turns": "JSON for the console",
    "minutes.draft_pdf": "PDF",
    "minutes.version_html": "the frozen published file, a download whose SHA-256 is public",
    "minutes.version_pdf": "PDF",
    "people.import_template": "an Excel file",
    "photos.image": "an image",
    "photos.thumbnail": "an image",
    "public.conference_calendar": "an iCalendar file",
    "public.conference_notice_pdf": "PDF",
    "public.referral_attachment": "PDF (a unit's signed reply letter)",
    "ratings.my_ratings": "JSON: which answers a phone rated, for its script to mark them",
    "questions.my_supports": "JSON: which listed questions a phone supports, for its script",
    "stats.figures_xlsx": "an Excel file",
    "stats.report_pdf": "PDF",
    "api.openapi": "the API's OpenAPI document (JSON)",
    "api.dataset_csv": "CSV",
    **{
        f"api.{name}": "JSON of the open data API"
        for name in (
            "wards",
            "ward",
            "conferences",
            "conference",
            "turns",
            "referrals",
            "referral",
            "figures",
            "datasets",
            "dataset_json",
        )
    },
}
# The hall's screens (the projector, the QR code to put on the wall) show the session and
# nothing else: no footer, no menu.
HALL_SCREENS = {"feed.projector", "live.screens"}

# An invalid page (an id used twice) that the Nu Html Checker must report.
CANARY = "0000-canary.html"
CANARY_HTML = (
    '<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>x</title></head>'
    '<body><p id="twice">a</p><p id="twice">b</p></body></html>'
)

RESIDENT = "resident"
# Administrators may open every staff page: they visit those only they may open and those every
# role shares; each other role visits all that it may.
STAFF = (
    Role.ORGANISER,
    Role.SECRETARY,
    Role.CHAIR,
    Role.RESPONDER,
    Role.CITY,
    Role.ADMINISTRATOR,
)
VISITORS = (RESIDENT, *(role.value for role in STAFF))

# Forms sent empty (the browser's own checks turned off), for their error state:
# (visitor, endpoint, which demo conference, or None).
EMPTY_FORMS = (
    (RESIDENT, "auth.login", None),
    (RESIDENT, "questions.ask", "announced"),
    (RESIDENT, "feedback.answer", "under_way"),
    (Role.ORGANISER.value, "conferences.create", None),
    (Role.ORGANISER.value, "people.create", None),
    (Role.ORGANISER.value, "conferences.close", "under_way"),
    (Role.ADMINISTRATOR.value, "accounts.create", None),
    (Role.ADMINISTRATOR.value, "wards.create", None),
)


@dataclass
class Page:
    """A page checked: who saw it, where, and the file its HTML went to."""

    visitor: str
    url: str
    endpoint: str
    file: str = ""

    def __str__(self) -> str:
        return f"{self.url} ({self.visitor})"


def _jpeg(colour: tuple[int, int, int]) -> bytes:
    image = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(image, "JPEG")
    return image.getvalue()


def _first_id(model, *where) -> list[int]:
    return list(db.session.scalars(sa.select(model.id).where(*where).order_by(model.id).limit(1)))


def _conference(ward, title: str, start: datetime, **values) -> Conference:
    conference = Conference(
        ward=ward,
        title=title,
        start_dt=start,
        planned_end_dt=start + timedelta(hours=3),
        venue="Hội trường UBND phường",
        **values,
    )
    conference.agenda_items.append(AgendaItem(position=1, title="Khai mạc hội nghị"))
    db.session.add(conference)
    return conference


def _add_under_way(ward, secretary: User, announced: Conference) -> Conference:
    """A conference in progress now, with a turn of each outcome and a question waiting."""
    now = datetime.now(UTC).replace(microsecond=0)
    conference = _conference(
        ward,
        "Hội nghị đối thoại đang diễn ra",
        now - timedelta(minutes=30),
        started_dt=now - timedelta(minutes=25),
        chair=announced.chair,
        reporter=announced.reporter,
        secretaries=[secretary],
        status=ConferenceStatus.IN_PROGRESS,
        status_changed_dt=now - timedelta(minutes=25),
        announced_dt=now - timedelta(days=10),
    )
    area = db.session.scalars(sa.select(ProcedureArea).where(ProcedureArea.ward_id == ward.id))
    unit = db.session.scalars(sa.select(Unit).where(Unit.ward_id == ward.id)).first()
    db.session.add_all(
        [
            Turn(
                conference=conference,
                position=1,
                speaker_name="Nguyễn Văn An",
                procedure_area=area.first(),
                question="Thủ tục cấp giấy phép xây dựng nhà ở riêng lẻ mất bao lâu?",
                outcome=TurnOutcome.ANSWERED,
                answerer_name="Công chức Địa chính - Xây dựng",
                answer="Không quá 15 ngày kể từ khi nhận đủ hồ sơ hợp lệ.",
            ),
            Turn(
                conference=conference,
                position=2,
                speaker_name="Trần Thị Bình",
                question="Đề nghị sửa chữa đường ngõ 12 tổ dân phố số 5.",
                outcome=TurnOutcome.REFERRED,
                referral_unit=unit,
                referral_due_date=(now + timedelta(days=10)).date(),
            ),
            ResidentQuestion(
                conference=conference,
                asker_name="Lê Văn Cường",
                question="Bao giờ có kết quả hồ sơ đăng ký khai sinh của con tôi?",
                is_during_meeting=True,
            ),
        ]
    )
    return conference


def _add_photo_to_published(conference: Conference) -> None:
    # Directly: publishing froze the photos, and add_photo rightly refuses.
    picture = prepare_photo(_jpeg((40, 120, 200)))
    db.session.add(
        Photo(
            conference=conference,
            ward_id=conference.ward_id,
            caption="Chủ tịch UBND phường kết luận hội nghị",
            position=1,
            width=picture.width,
            height=picture.height,
            thumb_width=picture.thumb_width,
            thumb_height=picture.thumb_height,
            byte_size=len(picture.content),
            content_sha256=picture.sha256,
            content=picture.content,
            thumb=picture.thumb,
        )
    )


def _follow_demo_referral(conference: Conference) -> None:
    """The published conference's referral: its answer corrected once (with its signed letter),
    and followed by the resident who sent the question, so that every part of the public
    follow-up pages shows."""
    referral = db.session.scalar(sa.select(Referral).where(Referral.conference_id == conference.id))
    letter = b"%PDF-1.4\n% Dialogue a11y\n"
    published_dt = conference.start_dt + timedelta(days=20)
    db.session.add(
        WrittenAnswer(
            referral=referral,
            version=len(referral.answers) + 1,
            status=AnswerStatus.PUBLISHED,
            body="Phường đã kiểm tra hiện trạng.\nHồ sơ sẽ được giải quyết trong tháng 7.",
            letter_number="125/UBND-ĐCXD",
            letter_date=published_dt.date(),
            correction_reason="Bổ sung số văn bản trả lời." if referral.answers else "",
            attachment_filename="cong-van.pdf",
            attachment_pdf=letter,
            attachment_sha256=hashlib.sha256(letter).hexdigest(),
            attachment_size=len(letter),
            published_dt=published_dt,
        )
    )
    referral.status = ReferralStatus.ANSWERED
    referral.answered_on = referral.answered_on or published_dt.date()
    referral.is_settled = True
    db.session.add(
        ResidentQuestion(
            conference=conference,
            asker_name="Hoàng Văn Em",
            question=referral.turn.question,
            status=QuestionStatus.ACCEPTED,
            turn=referral.turn,
        )
    )


@pytest.fixture
def app_config(app_config):
    # The forms as served: each with its CSRF token (duplicate ids were one of the findings).
    return {**app_config, "WTF_CSRF_ENABLED": True}


@pytest.fixture
def demo_world(app):
    """The demo ward, with what it lacks for every page to show something: a draft and a
    conference under way, photos, a dossier breakdown, residents' questions."""
    ward = load_demo(PASSWORD)
    db.session.flush()
    users = {
        user.role: user
        for user in db.session.scalars(sa.select(User).where(User.ward_id == ward.id))
    }
    # The city's officer, who reads the demo ward's province.
    users[Role.CITY] = db.session.scalar(
        sa.select(User).where(User.province_id == ward.province_id, User.role == Role.CITY)
    )
    # The 2020 conference (published) first, the announced one ahead last; between them the
    # one held a few days ago, its referrals at every stage.
    conferences = db.session.scalars(
        sa.select(Conference).where(Conference.ward_id == ward.id).order_by(Conference.start_dt)
    ).all()
    published, announced = conferences[0], conferences[-1]
    under_way = _add_under_way(ward, users[Role.SECRETARY], announced)
    draft = _conference(
        ward,
        "Hội nghị đối thoại 6 tháng cuối năm",
        datetime.now(UTC).replace(microsecond=0) + timedelta(days=60),
    )
    photo_operations.add_photo(
        announced, _jpeg((200, 120, 40)), caption="Hội trường UBND phường", uploaded_by=None
    )
    _add_photo_to_published(published)
    _follow_demo_referral(published)
    report = dossier_operations.save_report(
        announced,
        dossier_operations.ReportData(
            counts=Counts(received_online=3, received_desk=5, resolved_on_time=8)
        ),
    )
    dossier_operations.add_line(
        report,
        dossier_operations.LineData(
            counts=Counts(received_online=3, resolved_on_time=3), channel=DossierChannel.ONLINE
        ),
    )
    db.session.add(
        ResidentQuestion(
            conference=announced,
            asker_name="Phạm Thị Dung",
            question="Phường có hướng dẫn nộp hồ sơ trực tuyến cho người cao tuổi không?",
        )
    )
    db.session.commit()
    conferences = {
        "published": published,
        "announced": announced,
        "under_way": under_way,
        "draft": draft,
    }
    return ward, users, conferences


def _values(ward, conference: Conference) -> dict[str, list]:
    """Every URL argument's demo values, for the pages of ``conference`` and of the ward."""
    documents = db.session.scalars(
        sa.select(PublishedDocument)
        .where(PublishedDocument.conference_id == conference.id)
        .order_by(PublishedDocument.id)
    ).all()
    questions = db.session.scalars(
        sa.select(ResidentQuestion)
        .where(ResidentQuestion.conference_id == conference.id)
        .order_by(ResidentQuestion.id)
    ).all()
    reports = sa.select(DossierReport.id).where(DossierReport.conference_id == conference.id)
    return {
        "ward_slug": [ward.slug],
        "ward_id": [ward.id],
        "province_id": [ward.province_id],
        # The year of the 2020 conference: its open-data files.
        "year": [2020],
        "conference_id": [conference.id],
        "item_id": [item.id for item in conference.agenda_items[:1]],
        "doc_type": ["bb", "tb"],
        "document_id": [document.id for document in documents[:1]],
        "code": [document.public_code for document in documents],
        "token": [question.follow_token for question in questions[:1]],
        "referral_id": _first_id(Referral, Referral.conference_id == conference.id),
        # An answer given on the spot: its rating page.
        "turn_id": _first_id(
            Turn,
            Turn.conference_id == conference.id,
            Turn.outcome == TurnOutcome.ANSWERED,
            Turn.withdrawn_dt.is_(None),
        ),
        "photo_id": _first_id(Photo, Photo.conference_id == conference.id),
        "line_id": _first_id(DossierLine, DossierLine.report_id.in_(reports)),
        "user_id": _first_id(User, User.ward_id == ward.id, User.role == Role.RESPONDER),
        "person_id": _first_id(Person, Person.ward_id == ward.id),
        "group_id": _first_id(ResidentialGroup, ResidentialGroup.ward_id == ward.id),
        "unit_id": _first_id(Unit, Unit.ward_id == ward.id),
        "area_id": _first_id(ProcedureArea, ProcedureArea.ward_id == ward.id),
        "category_id": _first_id(DelegateCategory, DelegateCategory.ward_id == ward.id),
        "event_id": _first_id(AuditEvent, AuditEvent.ward_id == ward.id),
    }


def _visitors(view) -> list[str]:
    access = view.access
    if access is None:
        return [RESIDENT]
    shared = access == frozenset(Role)
    return [
        role.value
        for role in STAFF
        if role in access
        and (role is not Role.ADMINISTRATOR or shared or access == {Role.ADMINISTRATOR})
    ]


def _path(rule, values: dict) -> str:
    return rule.build(values, append_unknown=False)[1]


def _planned_pages(app, ward, conferences) -> list[Page]:
    pages: dict[tuple[str, str], Page] = {}
    unknown = []
    values_by_conference = [_values(ward, conference) for conference in conferences.values()]
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
            continue
        view = app.view_functions[rule.endpoint]
        names = sorted(rule.arguments)
        missing = [name for name in names if name not in values_by_conference[0]]
        if missing:
            unknown.append(f"{rule.rule}: {', '.join(missing)}")
            continue
        for values in values_by_conference:
            for combination in itertools.product(*(values[name] for name in names)):
                url = _path(rule, dict(zip(names, combination, strict=True)))
                for visitor in _visitors(view):
                    pages.setdefault((visitor, url), Page(visitor, url, rule.endpoint))
    assert not unknown, (
        "URL arguments without a demo value: give them one in _values, or list the route in "
        "NOT_PAGES with the reason:\n" + "\n".join(unknown)
    )
    # An error page, for a resident and for staff.
    for visitor in (RESIDENT, Role.ORGANISER.value):
        pages[(visitor, "/no-such-page")] = Page(visitor, "/no-such-page", "404")
    return list(pages.values())


NEXT_FRAMES = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


def _axe(page) -> list[dict]:
    return page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ['violations']});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ': ' + n.failureSummary)
            }));
        }"""
    )


def _run_vnu(folder: Path) -> list[dict]:
    """Check every page of ``folder`` in one run: the JVM starts once."""
    result = subprocess.run(
        [JAVA, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", "--exit-zero-always"]
        + [str(path) for path in sorted(folder.glob("*.html"))],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return json.loads(result.stderr or result.stdout)["messages"]


class Checker:
    """Runs axe-core on each page as it is shown and keeps its HTML for the Nu Html Checker."""

    def __init__(self, base: str, folder: Path, guides: dict[str, str]):
        self.base = base
        self.folder = folder
        self.guides = guides
        self.pages: list[Page] = []
        self.problems: list[str] = []
        self.seen: set[tuple[str, str]] = set()

    def check(self, tab, page: Page, response) -> None:
        content_type = response.headers.get("content-type", "")
        if response.status >= 500:
            self.problems.append(f"{page}: server error {response.status}")
            return
        if not content_type.startswith("text/html"):
            self.problems.append(
                f"{page}: {content_type}, not an HTML page; if it is meant to be something "
                "else, list its endpoint in NOT_PAGES with the reason"
            )
            return
        key = (page.visitor, tab.url)
        if key in self.seen:  # a redirect to a page checked already
            return
        self.seen.add(key)
        html = response.text()
        page.file = f"{len(self.pages) + 1:04d}.html"
        (self.folder / page.file).write_text(html, encoding="utf-8")
        self.pages.append(page)
        self._links(page, html)
        for width in WIDTHS:
            if width != WIDTHS[0]:  # the page was loaded at the first width
                tab.set_viewport_size({"width": width, "height": 740})
                # The page's scripts react to the new width in the next frames (scroll regions).
                tab.evaluate(NEXT_FRAMES)
            for violation in _axe(tab):
                self.problems.append(
                    f"{page} at {width} px: axe {violation['id']} ({violation['impact']}): "
                    f"{violation['help']}\n      " + "\n      ".join(violation["nodes"])
                )
        tab.set_viewport_size({"width": WIDTHS[0], "height": 900})

    def _links(self, page: Page, html: str) -> None:
        if page.endpoint in HALL_SCREENS:
            return
        if f'href="{STATEMENT_PATH}"' not in html:
            self.problems.append(f"{page}: no link to the accessibility statement")
        guide = self.guides.get(page.visitor)
        if guide and f'href="{guide}"' not in html:
            self.problems.append(f"{page}: no link to the {page.visitor}'s guide ({guide})")

    def nu_html_checker(self) -> None:
        # A page known to be wrong goes with the others: the checker must find it, or it
        # checked nothing.
        (self.folder / CANARY).write_text(CANARY_HTML, encoding="utf-8")
        by_file = {page.file: page for page in self.pages}
        messages = _run_vnu(self.folder)
        assert any(Path(m.get("url", "")).name == CANARY for m in messages), messages
        for message in messages:
            if Path(message.get("url", "")).name == CANARY:
                continue
            page = by_file.get(Path(message.get("url", "")).name)
            self.problems.append(
                f"{page or message.get('url')}: Nu Html Checker, line {message.get('lastLine')}: "
                f"{message.get('message')}\n      {message.get('extract', '').strip()}"
            )


def _tabs(browser, base: str, users) -> dict:
    tabs = {}
    for visitor in VISITORS:
        context = browser.new_context(viewport={"width": WIDTHS[0], "height": 900}, locale="vi-VN")
        # Injected by the browser itself, so the pages' Content-Security-Policy does not apply.
        context.add_init_script(path=str(AXE_JS))
        tab = context.new_page()
        tab.set_default_timeout(15_000)
        if visitor != RESIDENT:
            sign_in(tab, base, users[Role(visitor)])
        tabs[visitor] = tab
    return tabs


def _send_empty(tab):
    """Send the page's main form with its fields emptied, past the browser's own checks."""
    with tab.expect_navigation() as navigation:
        tab.evaluate(
            """() => {
                const form = document.querySelector('main form[method="post"]');
                form.noValidate = true;
                form.querySelectorAll('input[type=text], input:not([type]), textarea')
                    .forEach(field => { field.value = ''; });
                form.requestSubmit();
            }"""
        )
    return navigation.value


@pytest.fixture(scope="session")
def checkers():
    """Skip (fail in CI) before anything is loaded when the checkers are not installed."""
    require_service(AXE_JS.exists(), f"axe-core is not installed at {AXE_JS}: {INSTALL_HINT}")
    require_service(VNU_JAR.exists(), f"vnu.jar is not installed at {VNU_JAR}: {INSTALL_HINT}")
    require_service(bool(JAVA), f"The Nu Html Checker needs a Java runtime: {INSTALL_HINT}")


def test_every_page_passes_axe_core_and_the_nu_html_checker(
    checkers, app, demo_world, browser, live_server, tmp_path
):
    ward, users, conferences = demo_world
    planned = _planned_pages(app, ward, conferences)
    checker = Checker(
        live_server, tmp_path, {role.value: path for role, path in GUIDE_PATHS.items()}
    )
    tabs = _tabs(browser, live_server, users)
    try:
        for page in planned:
            tab = tabs[page.visitor]
            checker.check(tab, page, tab.goto(live_server + page.url))
        for visitor, endpoint, conference_key in EMPTY_FORMS:
            rule = next(app.url_map.iter_rules(endpoint))
            values = {"ward_slug": ward.slug}
            if conference_key:
                values["conference_id"] = conferences[conference_key].id
            url = _path(rule, {name: values[name] for name in rule.arguments})
            tab = tabs[visitor]
            tab.goto(live_server + url)
            page = Page(visitor, f"{url} sent empty", endpoint)
            checker.seen.discard((visitor, tab.url))
            response = _send_empty(tab)
            checker.check(tab, page, response)
            if (
                'aria-invalid="true"' not in response.text()
                and 'role="alert"' not in response.text()
            ):
                checker.problems.append(f"{page}: no error shown, so no error state checked")
    finally:
        for tab in tabs.values():
            tab.context.close()
    checker.nu_html_checker()
    print(f"{len(checker.pages)} pages checked by axe-core at {WIDTHS} px and the Nu Html Checker")
    assert not checker.problems, f"{len(checker.problems)} problems:\n" + "\n".join(
        checker.problems
    )
