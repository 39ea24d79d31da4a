"""The injection corpus through every text field into every page and file the application makes.

Pages: no element carries the corpus's marker, no link or source runs script or leaves for the
listener. PDF: the renderer is asked for nothing but the application's static files. DOCX: no
field or hyperlink made of typed text. XLSX and CSV: no cell a spreadsheet would compute. ICS:
no property line made of typed text, every line folded, CR and LF escaped.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile

import lxml.html
import openpyxl
import pytest

from dialogue.auth.models import Role
from dialogue.documents import pdf
from dialogue.documents.cells import is_formula_like
from dialogue.extensions import db
from tests.injection_corpus import MARKER, LeakListener, payloads, poisoned_conference
from tests.test_access_matrix import _routes, _url, world  # noqa: F401 - ``world`` is a fixture

URL_ATTRIBUTES = ("href", "src", "action", "formaction", "data", "poster", "srcset", "xlink:href")
PROPERTIES = {
    "BEGIN", "END", "VERSION", "PRODID", "CALSCALE", "METHOD", "UID", "DTSTAMP", "SEQUENCE",
    "DTSTART", "DTEND", "SUMMARY", "LOCATION", "DESCRIPTION", "STATUS", "URL", "ORGANIZER",
    "X-WR-CALNAME", "X-WR-TIMEZONE", "LAST-MODIFIED", "CREATED", "TRANSP", "CLASS",
}  # fmt: skip


@pytest.fixture
def leak():
    with LeakListener() as listener:
        yield listener


def _page_holes(html: str, leak_url: str) -> list[str]:
    """What in ``html`` came from the corpus as markup rather than as text."""
    holes = []
    if not html.strip():
        return holes
    document = lxml.html.fromstring(html)
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue
        attributes = dict(element.attrib)
        if MARKER in attributes:
            holes.append(f"<{element.tag} {MARKER}>")
        for name, value in attributes.items():
            lowered = value.strip().lower()
            if name.startswith("on") and ("alert(" in value or "xss" in value):
                holes.append(f"<{element.tag} {name}={value[:60]!r}>")
            if name in URL_ATTRIBUTES and (
                lowered.startswith(("javascript:", "vbscript:")) or leak_url in value
            ):
                holes.append(f"<{element.tag} {name}={value[:60]!r}>")
            if name == "style" and leak_url in value:
                holes.append(f"<{element.tag} style={value[:60]!r}>")
        # Data for a page's script travels as JSON in a script element that does not run (its
        # "</script>" escaped by tojson: a break-out would show as a marked element above).
        is_data = element.tag == "script" and element.get("type") == "application/json"
        if element.tag in {"style", "script"} and not is_data and leak_url in (element.text or ""):
            holes.append(f"<{element.tag}> holding the listener's address")
    return holes


def _docx_holes(data: bytes) -> list[str]:
    holes = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if not name.endswith((".xml", ".rels")):
                continue
            text = archive.read(name).decode()
            for construct in ("<w:hyperlink", "<w:altChunk", "<w:object", "<v:imagedata"):
                if construct in text:
                    holes.append(f"{name}: {construct}")
            # The document's own fields number its pages; any other field came from the text.
            instructions = re.findall(r"<w:instrText[^>]*>([^<]*)<", text)
            instructions += re.findall(r'<w:fldSimple[^>]*w:instr="([^"]*)"', text)
            holes += [
                f"{name}: field {instruction!r:.60}"
                for instruction in instructions
                if instruction.strip().split(" ")[0] not in {"PAGE", "NUMPAGES", "SECTIONPAGES"}
            ]
            if 'TargetMode="External"' in text:
                holes.append(f"{name}: an external relationship")
    return holes


def _xlsx_holes(data: bytes) -> list[str]:
    holes = []
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    holes.append(f"{sheet.title}!{cell.coordinate}: formula {cell.value!r:.60}")
                elif (
                    isinstance(cell.value, str)
                    and is_formula_like(cell.value)
                    and not cell.quotePrefix
                ):
                    # Text, but a spreadsheet would compute it once someone edits the cell.
                    holes.append(f"{sheet.title}!{cell.coordinate}: {cell.value!r:.60}")
        if sheet._hyperlinks:
            holes.append(f"{sheet.title}: hyperlinks")
    return holes


def _csv_holes(data: bytes) -> list[str]:
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return [
        f"row {n}: {value!r:.60}"
        for n, row in enumerate(rows)
        for value in row
        if is_formula_like(value)
    ]


def _ics_holes(data: bytes) -> list[str]:
    holes = []
    text = data.decode()
    if re.search(r"\r(?!\n)|(?<!\r)\n", text):
        holes.append("a bare CR or LF")
    for line in text.split("\r\n"):
        if len(line.encode()) > 75:
            holes.append(f"an unfolded line of {len(line.encode())} octets")
    for line in text.replace("\r\n ", "").split("\r\n"):
        if not line:
            continue
        name = re.split(r"[;:]", line, maxsplit=1)[0]
        if name not in PROPERTIES:
            holes.append(f"an unexpected property line {line[:60]!r}")
    return holes


CHECKS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": _docx_holes,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _xlsx_holes,
    "text/csv": _csv_holes,
    "text/calendar": _ics_holes,
}
# The files the corpus must reach, each at least once.
FILES = {
    "exports.turns_xlsx",
    "exports.turns_csv",
    "exports.minutes_docx",
    "feedback.responses_csv",
    "feedback.responses_xlsx",
    "public.conference_calendar",
    "minutes.draft_pdf",
    "public.conference_notice_pdf",
    "attendance.sign_in_sheet",
}


def _ask_through_the_form(client, own, corpus) -> int:
    """Send corpus questions through the residents' form, as a phone would; count the taken."""
    url = f"/p/{own['ward_slug']}/hoi-nghi/{own['conference_id']}/gui-cau-hoi"
    taken = 0
    for payload in corpus:
        form = lxml.html.fromstring(client.get(url).get_data(as_text=True)).forms
        form = next(f for f in form if (f.method or "").upper() == "POST")
        data = {k: v for k, v in form.form_values()}
        data.update(asker_name=payload[:120], question=payload, website="")
        response = client.post(url, data=data)
        # Refused text is shown again with its message (a rule on length or repeats), never
        # an error of the server's.
        assert response.status_code in {302, 400, 429}, (payload, response.status_code)
        taken += response.status_code == 302
    return taken


def test_corpus_in_every_page_and_file(app, world, leak, caplog, monkeypatch):  # noqa: F811
    own, _other, clients, _fresh = world
    corpus = payloads(leak.url)
    taken = _ask_through_the_form(clients[None], own, corpus)
    poisoned_conference(own, corpus, secretary=None)

    fetched = []
    original_fetch = pdf.StaticOnlyFetcher.fetch

    def watched_fetch(self, url, headers=None):
        fetched.append(url)
        return original_fetch(self, url, headers)

    monkeypatch.setattr(pdf.StaticOnlyFetcher, "fetch", watched_fetch)
    caplog.set_level(logging.WARNING, logger="dialogue.documents.pdf")

    holes = []
    seen = {}
    pages = 0
    for rule, method, _view in _routes(app):
        if method != "GET":
            continue
        url = _url(rule, own)
        for role in (Role.ADMINISTRATOR, Role.SECRETARY, Role.RESPONDER, None):
            response = clients[role].get(url)
            mimetype = response.mimetype
            if response.status_code != 200 or mimetype == "text/event-stream":
                # A live stream never ends: what it carries is checked in the browser.
                response.close()
                continue
            data = response.get_data()
            if mimetype == "text/html":
                pages += 1
                holes += [f"{url} as {role}: {h}" for h in _page_holes(data.decode(), leak.url)]
            elif mimetype in CHECKS:
                holes += [f"{url}: {h}" for h in CHECKS[mimetype](data)]
            elif mimetype == "application/pdf":
                assert data.startswith(b"%PDF")
            seen.setdefault(rule.endpoint, mimetype)
    db.session.commit()

    assert holes == [], "\n".join(holes)
    assert set(seen) >= FILES, f"not reached: {FILES - set(seen)}"
    assert pages > 50
    # Rendering PDFs asked for the application's own files and embedded images, nothing else.
    assert fetched, "no PDF was rendered"
    strays = [url for url in fetched if not url.startswith((pdf.STATIC_BASE_URL, "data:"))]
    assert strays == []
    assert [r.message for r in caplog.records if "refused to fetch" in r.message] == []
    assert leak.requests == []
    # Residents' form took most of the corpus: text is text, whatever it says.
    assert taken >= len(corpus) // 2


def test_the_checks_see_a_hole(tmp_path):
    """Each check finds the hole it looks for, so that its silence above means something."""
    leak = "http://127.0.0.1:5160/leak"
    assert _page_holes('<p><img data-pwn src="x"></p>', leak)
    assert _page_holes('<a href=" javascript:alert(1)">x</a>', leak)
    assert _page_holes(f'<div style="background:url({leak})">x</div>', leak)
    assert _page_holes('<p onclick="alert(1)">x</p>', leak)
    assert not _page_holes("<p>&lt;img data-pwn&gt;</p>", leak)

    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "=1+2"
    workbook.active["A2"] = "+cmd|' /C calc'!A0"
    workbook.active["A2"].data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert len(_xlsx_holes(buffer.getvalue())) == 2

    assert _csv_holes(b'a,=HYPERLINK("x")\r\n')
    assert not _csv_holes(b'a,\'=HYPERLINK("x")\r\n')

    calendar = "BEGIN:VCALENDAR\r\nSUMMARY:x\r\nATTENDEE:mailto:a@b\r\nEND:VCALENDAR\r\n"
    assert _ics_holes(calendar.encode()) == ["an unexpected property line 'ATTENDEE:mailto:a@b'"]
    assert _ics_holes(("SUMMARY:" + "x" * 80 + "\r\n").encode())

    document = io.BytesIO()
    with zipfile.ZipFile(document, "w") as archive:
        archive.writestr(
            "word/document.xml",
            '<w:p><w:r><w:instrText> HYPERLINK "http://x" </w:instrText></w:r>'
            "<w:r><w:instrText> PAGE </w:instrText></w:r></w:p>",
        )
    assert _docx_holes(document.getvalue()) == [
        "word/document.xml: field ' HYPERLINK \"http://x\" '"
    ]


def test_a_forged_import_token_in_vietnamese_is_refused(client, make_user, login):
    """The hidden token of the people import, typed over with any letters, is only wrong."""
    login(make_user(Role.ORGANISER))
    response = client.post("/people/import/confirm", data={"token": "Hỏi về thủ tục"})
    assert response.status_code in {302, 400}
    assert "/auth/login" not in response.headers.get("Location", "")
