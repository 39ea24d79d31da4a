"""``flask dialogue render-minutes``: a BB or TB to a PDF file, without a server."""

from __future__ import annotations

import hashlib
import io
import re

import pdfplumber
import pytest
from pdfminer.pdftypes import resolve1

from dialogue.documents.models import DocumentType
from dialogue.documents.operations import allocate_number
from dialogue.extensions import db
from dialogue.minutes.models import DraftStatus, PublishedDocument
from tests.test_minutes_compose import QUESTIONS, build_records, draft_for


@pytest.fixture
def app_config(app_config):
    # Messages are checked in English, whatever the default language of the deployment.
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def records(ward, make_conference, make_person, make_user):
    return build_records(ward, make_conference, make_person, make_user)


def read(path) -> tuple[str, object]:
    with pdfplumber.open(io.BytesIO(path.read_bytes())) as pdf:
        text = " ".join(" ".join(page.extract_text().split()) for page in pdf.pages)
        metadata = pdf.doc.catalog.get("Metadata")
        xmp = resolve1(metadata).get_data().decode() if metadata else ""
    return text, xmp


def invoke(runner, *args):
    return runner.invoke(args=["dialogue", "render-minutes", *map(str, args)])


def test_without_a_draft_the_default_texts_render_as_a_draft(runner, records, tmp_path):
    target = tmp_path / "bien-ban.pdf"
    result = invoke(runner, records.conference.id, "--type", "BB", "-o", target)
    assert result.exit_code == 0, result.output
    assert f"Wrote the draft BB of conference {records.conference.id} to {target}" in result.output
    assert "Still missing" not in result.output
    text, xmp = read(target)
    assert "DỰ THẢO" in text and "Số: …/BB-UBND" in text
    assert "Thực hiện Kế hoạch số 39/KH-UBND ngày 07/02/2020" in text
    assert QUESTIONS["land"] in text
    assert "pdfaid" not in xmp


def test_the_conference_draft_is_used_and_what_is_missing_is_said(runner, records, tmp_path):
    draft_for(
        records.conference,
        DocumentType.NOTICE,
        opening="Đánh giá do thư ký soạn, không phải văn bản mặc định.",
        recipients="",
    )
    target = tmp_path / "thong-bao.pdf"
    result = invoke(runner, records.conference.id, "--type", "tb", "--output", target, "--pdfa")
    assert result.exit_code == 0, result.output
    assert "Still missing before publication: at least one recipient." in result.output
    text, xmp = read(target)
    assert "THÔNG BÁO" in text and "Số: …/TB-UBND" in text
    assert "Đánh giá do thư ký soạn, không phải văn bản mặc định." in text
    assert "Thực hiện Kế hoạch" not in text
    assert re.search(r"pdfaid:part(>|=\")3", xmp)


def test_published_writes_the_frozen_bytes(runner, records, tmp_path, ward):
    draft = draft_for(records.conference)
    frozen = b"%PDF-1.7\n% the bytes as they were published\n%%EOF\n"
    number = allocate_number(ward, DocumentType.MINUTES, conference=records.conference, year=2020)
    for version, content in ((1, b"%PDF-1.7\n% version 1\n%%EOF\n"), (2, frozen)):
        db.session.add(
            PublishedDocument(
                draft=draft,
                conference_id=records.conference.id,
                doc_type=DocumentType.MINUTES,
                version=version,
                number=number,
                number_label=number.label,
                correction_reason="" if version == 1 else "Sửa lỗi chính tả",
                html="<article></article>",
                html_sha256=hashlib.sha256(b"<article></article>").hexdigest(),
                pdf=content,
                pdf_sha256=hashlib.sha256(content).hexdigest(),
                pdf_size=len(content),
                title="Biên bản",
            )
        )
    draft.status = DraftStatus.PUBLISHED
    db.session.commit()
    target = tmp_path / "published.pdf"
    result = invoke(runner, records.conference.id, "--type", "BB", "-o", target, "--published")
    assert result.exit_code == 0, result.output
    assert "Wrote 01/BB-UBND, version 2, as published" in result.output
    assert target.read_bytes() == frozen


def test_refusals(runner, records, tmp_path):
    target = tmp_path / "x.pdf"
    result = invoke(runner, records.conference.id, "--type", "TB", "-o", target, "--published")
    assert result.exit_code != 0
    assert f"The TB of conference {records.conference.id} has not been published." in result.output
    result = invoke(runner, 999_999, "--type", "BB", "-o", target)
    assert result.exit_code != 0 and "There is no conference 999999." in result.output
    result = invoke(
        runner, records.conference.id, "--type", "BB", "-o", target, "--published", "--pdfa"
    )
    assert result.exit_code != 0 and "--pdfa cannot change a published PDF" in result.output
    result = invoke(runner, records.conference.id, "--type", "KH", "-o", target)
    assert result.exit_code != 0
    assert not target.exists()


def test_an_unwritable_file_is_a_message_not_a_traceback(runner, records, tmp_path):
    target = tmp_path / "missing-directory" / "x.pdf"
    result = invoke(runner, records.conference.id, "--type", "BB", "-o", target)
    assert result.exit_code != 0
    assert "The file system refused" in result.output
    assert "Traceback" not in result.output
