"""Signing a published PDF (PAdES) with the ward's certificate, visibly where the seal goes.

Under Nghị định 30/2020 an electronic document is valid when it carries the digital signature
of its agency. The deployment configures the certificate: a PKCS#12 file for every ward, or a
directory of ``<ward-slug>.p12`` files, and its passphrase (``dialogue.config``). Without one,
documents are published unsigned and their public page says so.

The signature is an incremental update (the rendered bytes, PDF/A claim included, stay as
they are, followed by the signature): PAdES baseline B-B, with the signer's certificate and
the chain the PKCS#12 file holds embedded, so that any reader can check it. With a time-stamp
authority configured (``DIALOGUE_SIGNING_TSA_URL``) it is B-T: the signing time is attested
by a third party instead of being the server's word.

Its appearance stands over the signature block of the agency ("TM. ỦY BAN NHÂN DÂN / CHỦ
TỊCH"), in the space kept for the signature and the seal: the document templates put an empty
box there (``signature(..., seal=True)`` in ``templates/minutes/_document_parts.html``), whose
corners WeasyPrint records as the named destinations SEAL_ANCHOR and SEAL_END_ANCHOR. The
field is drawn exactly over that box, on whatever page the block landed.
"""

from __future__ import annotations

import asyncio
import io
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from asn1crypto import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from flask import current_app
from flask_babel import lazy_gettext as _l
from fontTools import subset
from fontTools.ttLib import TTFont
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import AxisAlignment, Margins, SimpleBoxLayoutRule
from pyhanko.pdf_utils.metadata.model import VENDOR
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator.util import get_pyca_cryptography_hash
from pypdf import PdfReader

from dialogue.core.dates import to_local
from dialogue.core.db import utcnow
from dialogue.errors import DialogueError

log = logging.getLogger(__name__)

# The ids of the placeholder box's top-left corner and of a point at its bottom-right.
SEAL_ANCHOR = "doc-seal"
SEAL_END_ANCHOR = "doc-seal-end"
FIELD_NAME = "ChuKySoCoQuan"
FONT = "fonts/LiberationSerif-Regular.ttf"
# Seal red, as the ink of a stamped seal; the text stays readable in black-and-white print.
SEAL_RED = (0.75, 0.0, 0.0)
STAMP_TEXT = "%(lines)s"


class SigningFailed(DialogueError):
    """Nothing can be signed: the certificate is unreadable, locked or expired, the time-stamp
    authority silent. Nothing is published then, rather than published unsigned."""


@dataclass(frozen=True)
class SignedPdf:
    """The bytes to publish, and who signed them when (empty and None: not signed)."""

    pdf: bytes
    signed_by: str = ""
    signed_dt: datetime | None = None


def keystore_path(ward) -> Path | None:
    """The PKCS#12 file that signs ``ward``'s documents, or None when there is none."""
    configured = current_app.config.get("DIALOGUE_SIGNING_P12")
    if not configured:
        return None
    path = Path(configured)
    if path.is_dir():
        # One certificate per ward: a ward without its file publishes unsigned.
        path = path / f"{ward.slug}.p12"
        if not path.is_file():
            log.warning("no signing certificate for ward %s (%s): unsigned", ward.slug, path)
            return None
    return path


def _unusable(path: Path, reason) -> SigningFailed:
    log.error("signing certificate %s unusable: %s", path, reason)
    return SigningFailed(
        str(
            _l(
                "The ward's signing certificate cannot be used (%(reason)s): nothing was "
                "published. Tell the administrator.",
                reason=reason,
            )
        )
    )


class _KeptKeySigner(signers.SimpleSigner):
    """pyHanko's signer with a private key read once.

    pyHanko's own parses the key again, and so checks it, at every signature: a tenth of a
    second for an RSA key, twice a document (its size is estimated by signing once).
    """

    def __init__(self, loaded: signers.SimpleSigner):
        super().__init__(
            signing_key=loaded.signing_key,
            signing_cert=loaded.signing_cert,
            cert_registry=loaded.cert_registry,
        )
        self._key = serialization.load_der_private_key(loaded.signing_key.dump(), password=None)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        algorithm = mechanism["algorithm"].native
        hash_algorithm = get_pyca_cryptography_hash(digest_algorithm)
        # PKCS#1 v1.5 and ECDSA, the certificates' usual pairs; anything else, pyHanko's way.
        if algorithm in {"sha256_rsa", "sha384_rsa", "sha512_rsa", "rsassa_pkcs1v15"}:
            assert isinstance(self._key, rsa.RSAPrivateKey)
            return self._key.sign(data, padding.PKCS1v15(), hash_algorithm)
        if algorithm in {"sha256_ecdsa", "sha384_ecdsa", "sha512_ecdsa", "ecdsa"}:
            assert isinstance(self._key, ec.EllipticCurvePrivateKey)
            return self._key.sign(data, ec.ECDSA(hash_algorithm))
        return super().sign_raw(data, digest_algorithm)


@lru_cache(maxsize=16)
def _load_signer(path: str, mtime_ns: int, passphrase: bytes | None) -> _KeptKeySigner:
    # Cached by file and modification time: a renewed certificate is read at the next use.
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        log.error("signing certificate %s unreadable: %s", path, error)
        raise _unusable(Path(path), _l("the file cannot be read")) from None
    try:
        loaded = signers.SimpleSigner.load_pkcs12_data(data, other_certs=(), passphrase=passphrase)
    except ValueError:
        raise _unusable(Path(path), _l("wrong passphrase or not a PKCS#12 file")) from None
    return _KeptKeySigner(loaded)


def load_signer(ward) -> signers.SimpleSigner | None:
    """The signer of ``ward``'s documents; None without a certificate; SigningFailed if broken."""
    path = keystore_path(ward)
    if path is None:
        return None
    try:
        mtime_ns = path.stat().st_mtime_ns
    except OSError as error:
        log.error("signing certificate %s unreadable: %s", path, error)
        raise _unusable(path, _l("the file cannot be read")) from None
    passphrase = current_app.config.get("DIALOGUE_SIGNING_P12_PASSPHRASE") or ""
    signer = _load_signer(str(path), mtime_ns, passphrase.encode("utf-8") or None)
    cert = signer.signing_cert
    now = utcnow()
    validity = cert["tbs_certificate"]["validity"]
    if not validity["not_before"].native <= now <= validity["not_after"].native:
        raise _unusable(path, _l("the certificate is not valid today"))
    return signer


def subject_names(cert: x509.Certificate) -> tuple[str, str]:
    """The certificate's common name and organisation, as its subject gives them."""
    subject = cert.subject.native
    return subject.get("common_name", ""), subject.get("organization_name", "")


def seal_box(pdf: bytes) -> tuple[int, tuple[float, float, float, float]] | None:
    """The page (from 0) and rectangle in points of the signature block's placeholder box."""
    reader = PdfReader(io.BytesIO(pdf))
    destinations = reader.named_destinations
    start, end = destinations.get(SEAL_ANCHOR), destinations.get(SEAL_END_ANCHOR)
    if start is None or end is None:
        return None
    page = reader.get_destination_page_number(start)
    x1, y1 = float(start.left), float(start.top)
    x2, y2 = float(end.left), float(end.top)
    if page != reader.get_destination_page_number(end) or x2 <= x1 or y1 <= y2:
        return None
    return page, (x1, y2, x2, y1)


# What a stamp can say: Latin with Vietnamese letters and marks, digits, punctuation.
STAMP_CHARACTERS = (
    *range(0x20, 0x7F),
    *range(0xA0, 0x250),
    *range(0x300, 0x324),
    *range(0x1EA0, 0x1EFA),
    *range(0x2010, 0x2027),
)


@lru_cache(maxsize=4)
def _font_bytes(path: str) -> bytes:
    """The font cut to STAMP_CHARACTERS, once: pyHanko subsets it again at every signature,
    and a quarter of the whole font costs a quarter of the time."""
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.glyph_names = True
    options.notdef_outline = True
    # The FFTM table (FontForge's timestamps) means nothing to a reader: dropped quietly.
    options.drop_tables = [*options.drop_tables, "FFTM"]
    font = TTFont(path)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=STAMP_CHARACTERS)
    subsetter.subset(font)
    output = io.BytesIO()
    font.save(output)
    font.close()
    return output.getvalue()


class _GlyphsPerMille(GlyphAccumulator):
    """pyHanko's OpenType engine, measuring in thousandths of an em as PDF does.

    pyHanko 0.38 writes a font's /W widths in the font's own units: right for a font of 1000
    units per em, but the bundled TrueType font has 2048, and every glyph would be followed
    by a gap as wide as itself. Shaped in thousandths, widths and positions agree.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._font_units = self.units_per_em
        self.units_per_em = 1000
        self.hb_font.scale = (1000, 1000)

    def _get_cid_and_width(self, glyph_id: int) -> tuple[int, int]:
        # The widths written to /W are these cached ones: cache them per mille too.
        known = self._glyphs.get(glyph_id)
        if known is not None:
            return known
        cid, width = super()._get_cid_and_width(glyph_id)
        self._glyphs[glyph_id] = result = cid, round(width * 1000 / self._font_units)
        return result


@dataclass(frozen=True)
class _BundledFont(GlyphAccumulatorFactory):
    """The bundled font for pyHanko, read once (its own factory opens the file at every
    signature and never closes it), measured per mille."""

    def create_font_engine(self, writer, obj_stream=None) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()
        return _GlyphsPerMille(
            writer=writer,
            font_handle=io.BytesIO(_font_bytes(self.font_file)),
            font_size=self.font_size,
            obj_stream=obj_stream,
        )


def _stamp_style() -> TextStampStyle:
    font = Path(current_app.static_folder) / FONT
    return TextStampStyle(
        stamp_text=STAMP_TEXT,
        border_width=1,
        border_color=SEAL_RED,
        text_box_style=TextBoxStyle(
            font=_BundledFont(str(font), font_size=9),
            font_size=9,
            leading=12,
            text_color=SEAL_RED,
        ),
        inner_content_layout=SimpleBoxLayoutRule(
            x_align=AxisAlignment.ALIGN_MID,
            y_align=AxisAlignment.ALIGN_MID,
            margins=Margins.uniform(6),
        ),
    )


def stamp_lines(signer: str, organisation: str, when: datetime, timezone: str) -> list[str]:
    """What the visible signature says, in official Vietnamese."""
    local = to_local(when, timezone)
    offset = local.strftime("%z")
    lines = [f"Ký bởi: {signer}"]
    if organisation and organisation.casefold() != signer.casefold():
        lines.append(f"Cơ quan: {organisation}")
    lines.append(f"Thời gian ký: {local:%d/%m/%Y %H:%M:%S} {offset[:3]}:{offset[3:]}")
    return lines


def _keep_metadata_consistent(writer: IncrementalPdfFileWriter) -> None:
    """Give the document information dictionary the producer pyHanko writes into the XMP.

    A PDF/A file's information dictionary must agree with its XMP metadata. pyHanko sets the
    XMP producer to its own name and appends its name to the dictionary's ("WeasyPrint 70.0;
    pyHanko …"): a PDF/A validator would refuse the signed copy for that difference alone.
    """
    info = writer.trailer.raw_get("/Info") if "/Info" in writer.trailer else None
    if "/Metadata" not in writer.root or not isinstance(info, generic.IndirectObject):
        return
    info.get_object()["/Producer"] = generic.TextStringObject(VENDOR)
    writer.mark_update(info)


def _sign(pdf_signer: signers.PdfSigner, writer, text_params: dict):
    """pyHanko's synchronous signing, which runs an event loop of its own: in a thread of its
    own where this one already runs a loop (an asynchronous worker, a browser test)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return pdf_signer.sign_pdf(writer, appearance_text_params=text_params)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(pdf_signer.sign_pdf, writer, appearance_text_params=text_params).result()


def sign_pdf(pdf: bytes, ward, *, title: str = "") -> SignedPdf:
    """Sign ``pdf`` for ``ward`` if it has a certificate; the bytes unchanged if it has none."""
    signer = load_signer(ward)
    if signer is None:
        return SignedPdf(pdf=pdf)
    common_name, organisation = subject_names(signer.signing_cert)
    name = common_name or organisation
    now = utcnow()
    box = seal_box(pdf)
    if box is None:
        # A document without the placeholder is still signed, invisibly.
        log.warning("no signature block found in %r: the signature is invisible", title)
        field_spec = fields.SigFieldSpec(FIELD_NAME)
    else:
        page, rectangle = box
        field_spec = fields.SigFieldSpec(FIELD_NAME, on_page=page, box=rectangle)
    metadata = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        name=name,
        location=ward.place_name or ward.full_name,
        reason=f"Công bố văn bản: {title}" if title else "Công bố văn bản",
    )
    tsa_url = current_app.config.get("DIALOGUE_SIGNING_TSA_URL")
    pdf_signer = signers.PdfSigner(
        metadata,
        signer,
        timestamper=HTTPTimeStamper(tsa_url, timeout=10) if tsa_url else None,
        stamp_style=_stamp_style(),
        new_field_spec=field_spec,
    )
    lines = stamp_lines(name, organisation, now, ward.timezone)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    _keep_metadata_consistent(writer)
    try:
        output = _sign(pdf_signer, writer, {"lines": "\n".join(lines)})
    except TimestampRequestError as error:
        log.error("the time-stamp authority %s did not answer: %s", tsa_url, error.__cause__)
        raise SigningFailed(
            str(
                _l(
                    "The time-stamp authority did not answer, so the document could not be "
                    "signed: nothing was published. Try again in a moment; if it fails again, "
                    "tell the administrator."
                )
            )
        ) from error
    except Exception as error:
        # A key that refuses, a file pyHanko cannot extend: nothing is published unsigned.
        log.exception("signing %r failed", title)
        raise SigningFailed(
            str(
                _l(
                    "The document could not be signed: nothing was published. "
                    "Tell the administrator."
                )
            )
        ) from error
    return SignedPdf(pdf=output.getvalue(), signed_by=name, signed_dt=now)
