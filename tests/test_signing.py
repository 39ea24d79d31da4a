"""Published PDFs signed (PAdES) with the ward's certificate, checked as a PDF reader checks them."""

from __future__ import annotations

import hashlib
import io
import re
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pdfplumber
import pytest
import sqlalchemy as sa
from asn1crypto import keys as asn1_keys
from asn1crypto import pem as asn1_pem
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from flask import current_app, url_for
from pdfminer.pdftypes import resolve1
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps import DummyTimeStamper
from pyhanko.sign.validation import ValidationContext, validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel

from dialogue.auth.models import Role
from dialogue.config import load_config
from dialogue.core.db import utcnow
from dialogue.demo import certificates
from dialogue.documents.models import DocumentType
from dialogue.documents.signing import SigningFailed, seal_box, stamp_lines
from dialogue.errors import ConfigurationError
from dialogue.extensions import db
from dialogue.minutes import operations
from dialogue.minutes.models import DraftStatus, PublishedDocument
from tests.test_minutes_workflow import build_closed_conference, published, submitted_draft

BB, TB = DocumentType.MINUTES, DocumentType.NOTICE
PASSPHRASE = "mật khẩu thử"


@pytest.fixture(scope="module")
def authority():
    return certificates.make_authority("CA thử nghiệm của bộ kiểm thử")


@pytest.fixture
def app_config(app_config):
    # Messages are asserted in English.
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def keystore(tmp_path, authority, ward):
    """The ward's PKCS#12 file, configured for the application."""
    common_name, organisation = certificates.ward_signer_names(ward.full_name)
    path = tmp_path / "ward.p12"
    path.write_bytes(
        certificates.make_ward_keystore(authority, common_name, organisation, passphrase=PASSPHRASE)
    )
    current_app.config["DIALOGUE_SIGNING_P12"] = str(path)
    current_app.config["DIALOGUE_SIGNING_P12_PASSPHRASE"] = PASSPHRASE
    return path


@pytest.fixture
def closed(ward, make_user, make_person, make_conference):
    return build_closed_conference(ward, make_user, make_person, make_conference)


def _publish(conference, doc_type, *, make_user, **options):
    secretary = conference.secretaries[0]
    chair = make_user(Role.CHAIR, ward=conference.ward)
    return published(conference, doc_type, secretary, chair, **options)


def _stored_pdf(document_id: int) -> bytes:
    db.session.expire_all()
    return bytes(
        db.session.scalar(
            sa.select(PublishedDocument.pdf).where(PublishedDocument.id == document_id)
        )
    )


def _validate(pdf: bytes, authority):
    """What a reader trusting ``authority`` says of the PDF's one signature."""
    reader = PdfFileReader(io.BytesIO(pdf))
    (signature,) = reader.embedded_signatures
    _type, _headers, der = asn1_pem.unarmor(authority.pem)
    context = ValidationContext(trust_roots=[asn1_x509.Certificate.load(der)])
    # pyHanko's synchronous validation runs an event loop of its own: in a thread of its own,
    # as signing does, since the browser tests leave one running in this thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return signature, pool.submit(validate_pdf_signature, signature, context).result()


def _page_address(document) -> str:
    return url_for(
        "archive.document", ward_slug=document.conference.ward.slug, code=document.public_code
    )


def _xmp(content: bytes) -> str:
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        metadata = pdf.doc.catalog.get("Metadata")
        return resolve1(metadata).get_data().decode() if metadata else ""


def test_a_published_notice_is_signed_verifiably_over_the_whole_file(
    closed, keystore, authority, make_user
):
    document = _publish(closed, TB, make_user=make_user, pdfa=True)
    pdf = _stored_pdf(document.id)
    agency = f"Ủy ban nhân dân {closed.ward.full_name}"
    # What is stored and hashed is the signed file.
    assert document.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    assert document.pdf_size == len(pdf)
    assert document.signed_by == agency
    assert abs(document.signed_dt - utcnow()) < timedelta(minutes=1)

    signature, status = _validate(pdf, authority)
    assert status.intact and status.valid and status.trusted
    assert status.coverage is SignatureCoverageLevel.ENTIRE_FILE
    assert status.bottom_line
    assert status.signing_cert.subject.native["common_name"] == agency
    assert status.signing_cert.subject.native["organization_name"] == agency
    # PAdES: CAdES-detached, the certificate and its issuer embedded for any reader.
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    embedded = {cert.subject.native["common_name"] for cert in signature.other_embedded_certs}
    assert "CA thử nghiệm của bộ kiểm thử" in embedded

    # Signed by an incremental update: the rendered PDF/A file is still there, whole, first.
    first_end = pdf.index(b"%%EOF") + len(b"%%EOF")
    original = pdf[: first_end + 1]
    assert b"/ByteRange" not in original
    # Still PDF/A-3u: the signature keeps the claim (pyHanko updates the XMP it finds).
    assert document.is_pdfa
    # …and its information dictionary still agrees with its XMP, as PDF/A requires.
    info = PdfFileReader(io.BytesIO(pdf)).trailer["/Info"]
    xmp_producer = re.search(r'pdf:Producer(?:="|>)([^"<]*)', _xmp(pdf)).group(1)
    assert str(info["/Producer"]) == xmp_producer
    assert re.search(r"pdfaid:part(>|=\")3", _xmp(pdf)) and re.search(
        r"pdfaid:conformance(>|=\")U", _xmp(pdf)
    )
    assert pdf.count(b"%%EOF") == 2
    with pdfplumber.open(io.BytesIO(original.rstrip(b"\n") + b"\n")) as unsigned:
        assert unsigned.pages


def test_the_signature_stands_over_the_agency_signature_block(closed, keystore, make_user):
    document = _publish(closed, TB, make_user=make_user)
    pdf = _stored_pdf(document.id)
    box = seal_box(pdf)
    assert box is not None
    page_number, (x1, y1, x2, y2) = box
    reader = PdfFileReader(io.BytesIO(pdf))
    (signature,) = reader.embedded_signatures
    widget = signature.sig_field
    rect = [float(value) for value in widget["/Rect"]]
    assert rect == pytest.approx([x1, y1, x2, y2], abs=0.01)
    with pdfplumber.open(io.BytesIO(pdf)) as plumber:
        page = plumber.pages[page_number]
        words = page.extract_words()
        height = float(page.height)
        title = next(w for w in words if w["text"] == "CHỦ" and w["x0"] > page.width / 2)
        name = next(w for w in words if "Thắng" in w["text"])
    # Between the title lines and the chair's name, in the right half of the page.
    assert title["bottom"] <= height - y2 + 1
    assert name["top"] >= height - y1 - 1
    assert x1 > page.width / 2 - 20 and x2 < page.width
    # Drawn, in the bundled font embedded with its text mapping, its widths in thousandths
    # of an em (pyHanko 0.38 writes the font's own units: each glyph then followed by a gap).
    appearance = widget["/AP"]["/N"]
    assert b"TJ" in appearance.data
    font = appearance["/Resources"]["/Font"]["/F1"]
    assert "LiberationSerif" in font["/BaseFont"] and "/ToUnicode" in font
    (descendant,) = font["/DescendantFonts"]
    descendant = descendant.get_object()
    assert "/FontFile2" in descendant["/FontDescriptor"]
    widths = [w for item in descendant["/W"] if isinstance(item, list) for w in item]
    assert widths and max(widths) <= 1000
    # Its two lines (signer, time) as text a reader can copy.
    assert appearance.data.count(b"/ActualText") == 2


def test_the_stamp_says_who_signed_and_when_on_the_wards_clock():
    when = datetime(2026, 12, 6, 15, 52, 20, tzinfo=UTC)
    assert stamp_lines(
        "Nguyễn Văn A", "Ủy ban nhân dân phường Thạch Bàn", when, "Asia/Ho_Chi_Minh"
    ) == [
        "Ký bởi: Nguyễn Văn A",
        "Cơ quan: Ủy ban nhân dân phường Thạch Bàn",
        "Thời gian ký: 06/12/2026 22:52:20 +07:00",
    ]
    agency = "Ủy ban nhân dân phường Thạch Bàn"
    assert stamp_lines(agency, agency, when, "Asia/Ho_Chi_Minh")[:2] == [
        f"Ký bởi: {agency}",
        "Thời gian ký: 06/12/2026 22:52:20 +07:00",
    ]


def test_a_tampered_byte_breaks_the_signature(closed, keystore, authority, make_user):
    document = _publish(closed, BB, make_user=make_user)
    pdf = bytearray(_stored_pdf(document.id))
    _signature, status = _validate(bytes(pdf), authority)
    assert status.bottom_line
    # One bit of the rendered document (inside a stream, so that the file still parses),
    # and one of the signature's own update: each is found out.
    first_stream = pdf.index(b"stream\n", pdf.index(b"/FlateDecode")) + len(b"stream\n")
    last_revision = pdf.rindex(b"%%EOF", 0, len(pdf) - 10)
    # (The update rewrites the catalog: a digit of a destination's position.)
    for target in (first_stream + 10, pdf.index(b"/XYZ ", last_revision) + len(b"/XYZ ")):
        tampered = bytearray(pdf)
        tampered[target] ^= 0x01
        _signature, status = _validate(bytes(tampered), authority)
        assert not status.intact and not status.bottom_line, target


def test_without_a_certificate_the_document_is_published_unsigned_and_says_so(
    closed, make_user, client
):
    document = _publish(closed, TB, make_user=make_user)
    pdf = _stored_pdf(document.id)
    assert document.signed_by == "" and document.signed_dt is None
    assert b"/ByteRange" not in pdf and not PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    # The placeholder box is there, and invisible: nothing is drawn where the seal goes.
    assert seal_box(pdf) is not None
    text = client.get(_page_address(document)).get_data(as_text=True)
    assert "This copy is not digitally signed." in text
    assert "digitally signed by" not in text


def test_a_signed_document_page_says_who_signed(closed, keystore, make_user, client, app):
    document = _publish(closed, TB, make_user=make_user)
    text = client.get(_page_address(document)).get_data(as_text=True)
    assert "This copy is not digitally signed." not in text
    signer = f"Ủy ban nhân dân {closed.ward.full_name}"
    assert re.search(rf"The PDF is digitally signed by {signer} on \d\d/\d\d/\d{{4}}", text)


def test_a_wrong_passphrase_publishes_nothing(closed, keystore, make_user, app):
    app.config["DIALOGUE_SIGNING_P12_PASSPHRASE"] = "not the passphrase"
    draft = submitted_draft(closed, TB, closed.secretaries[0])
    chair = make_user(Role.CHAIR, ward=closed.ward)
    with pytest.raises(SigningFailed, match="signing certificate cannot be used"):
        operations.publish(draft, chair)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PublishedDocument)) == 0
    assert db.session.get(type(draft), draft.id).status is DraftStatus.SUBMITTED


def test_an_expired_certificate_is_refused(closed, tmp_path, authority, make_user, app):
    path = tmp_path / "expired.p12"
    path.write_bytes(
        certificates.make_ward_keystore(
            authority,
            "Ủy ban nhân dân phường Cũ",
            "Ủy ban nhân dân phường Cũ",
            passphrase="",
            valid_from=utcnow() - timedelta(days=400),
            days=365,
        )
    )
    app.config["DIALOGUE_SIGNING_P12"] = str(path)
    app.config["DIALOGUE_SIGNING_P12_PASSPHRASE"] = ""
    draft = submitted_draft(closed, TB, closed.secretaries[0])
    with pytest.raises(SigningFailed, match="not valid today"):
        operations.publish(draft, make_user(Role.CHAIR, ward=closed.ward))
    db.session.rollback()


def test_a_directory_holds_one_certificate_per_ward(
    tmp_path, authority, make_ward, make_user, make_person, make_conference, app
):
    signed_ward, other_ward = make_ward(), make_ward()
    directory = tmp_path / "wards"
    directory.mkdir()
    common_name, organisation = certificates.ward_signer_names(signed_ward.full_name)
    (directory / f"{signed_ward.slug}.p12").write_bytes(
        certificates.make_ward_keystore(authority, common_name, organisation, passphrase="")
    )
    app.config["DIALOGUE_SIGNING_P12"] = str(directory)
    app.config["DIALOGUE_SIGNING_P12_PASSPHRASE"] = ""
    first = build_closed_conference(signed_ward, make_user, make_person, make_conference)
    second = build_closed_conference(other_ward, make_user, make_person, make_conference)
    signed = _publish(first, TB, make_user=make_user)
    unsigned = _publish(second, TB, make_user=make_user)
    assert signed.signed_by == common_name
    assert unsigned.signed_by == "" and unsigned.signed_dt is None


def test_the_configuration_names_what_is_wrong(tmp_path):
    with pytest.raises(ConfigurationError, match="DIALOGUE_SIGNING_P12"):
        load_config(
            tmp_path,
            {"DIALOGUE_ENV": "testing", "DIALOGUE_SIGNING_P12": str(tmp_path / "missing.p12")},
        )
    with pytest.raises(ConfigurationError, match="DIALOGUE_SIGNING_TSA_URL"):
        load_config(
            tmp_path, {"DIALOGUE_ENV": "testing", "DIALOGUE_SIGNING_TSA_URL": "ftp://tsa.example"}
        )
    assert load_config(tmp_path, {"DIALOGUE_ENV": "testing"})["DIALOGUE_SIGNING_P12"] is None


def test_the_demo_certificates_are_made_in_the_instance_folder_and_used(tmp_path, ward):
    directory = tmp_path / certificates.DEMO_DIRECTORY
    passphrase = certificates.write_demo_keystores(directory, [(ward.slug, ward.full_name)])
    config = load_config(tmp_path, {"DIALOGUE_ENV": "testing"})
    assert config["DIALOGUE_SIGNING_P12"] == str(directory)
    assert config["DIALOGUE_SIGNING_P12_PASSPHRASE"] == passphrase
    assert (directory / f"{ward.slug}.p12").stat().st_mode & 0o077 == 0
    assert b"BEGIN CERTIFICATE" in (directory / "demo-ca.pem").read_bytes()


# -- B-T: a time-stamp authority --------------------------------------------------------------


@pytest.fixture
def tsa_url(authority):
    """An RFC 3161 time-stamp authority over HTTP on this machine, certified by ``authority``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = utcnow()
    certificate = (
        cx509.CertificateBuilder()
        .subject_name(cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, "TSA thử nghiệm")]))
        .issuer_name(authority.certificate.subject)
        .public_key(key.public_key())
        .serial_number(cx509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(cx509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(authority.key, hashes.SHA256())
    )
    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
    )

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            body = stamper.request_tsa_response(request).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/tsa"
    server.shutdown()
    server.server_close()
    thread.join()


def test_with_a_time_stamp_authority_the_signature_is_time_stamped(
    closed, keystore, authority, tsa_url, make_user, app
):
    app.config["DIALOGUE_SIGNING_TSA_URL"] = tsa_url
    document = _publish(closed, TB, make_user=make_user)
    signature, status = _validate(_stored_pdf(document.id), authority)
    assert status.bottom_line and status.coverage is SignatureCoverageLevel.ENTIRE_FILE
    # PAdES B-T: the signature's time attested by the authority, not only by the server.
    assert status.timestamp_validity is not None
    assert status.timestamp_validity.intact and status.timestamp_validity.valid
    assert status.timestamp_validity.trusted
    assert abs(status.timestamp_validity.timestamp - document.signed_dt) < timedelta(minutes=1)


def test_a_silent_time_stamp_authority_publishes_nothing(closed, keystore, make_user, app):
    # A port nothing listens on: refused at once.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.config["DIALOGUE_SIGNING_TSA_URL"] = f"http://127.0.0.1:{port}/tsa"
    draft = submitted_draft(closed, TB, closed.secretaries[0])
    with pytest.raises(SigningFailed, match="time-stamp authority did not answer"):
        operations.publish(draft, make_user(Role.CHAIR, ward=closed.ward))
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PublishedDocument)) == 0
