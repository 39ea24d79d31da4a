"""The BB and TB as a reader gets them: the PDF read back with pdfplumber, and the HTML fragment."""

from __future__ import annotations

import io
import random
import re
import unicodedata
from datetime import UTC, datetime

import pdfplumber
import pytest
import sqlalchemy as sa
import zxingcpp
from fontTools.ttLib import TTFont
from pdfminer.pdftypes import resolve1

from dialogue.documents.models import DocumentType
from dialogue.documents.pdf import STATIC_BASE_URL, RefusedResource, StaticOnlyFetcher, html_to_pdf
from dialogue.extensions import db
from dialogue.live.models import Turn, TurnOutcome
from dialogue.minutes import compose, render
from dialogue.minutes.models import TurnOrder
from dialogue.wards.models import ResidentialGroup
from tests.test_minutes_compose import ANSWERS, QUESTIONS, build_records, draft_for

MM = 72 / 25.4
PAGE_WIDTH, PAGE_HEIGHT = 210 * MM, 297 * MM
LEFT, RIGHT, TOP, BOTTOM = 30 * MM, (210 - 15) * MM, 20 * MM, (297 - 20) * MM
EPSILON = 0.75  # points: the rounding of positions in the PDF
PUBLIC_URL = "https://dialogue.example/d/Ab3dE5gH"
XSS = (
    "<script>alert(1)</script>",
    '<img src="file:///etc/passwd">',
    '<link rel="stylesheet" href="http://127.0.0.1:9/x.css">',
    "background: url(file:///etc/passwd)",
    "<style>@import url(http://127.0.0.1:9/a.css);</style>",
)


@pytest.fixture
def records(ward, make_conference, make_person, make_user):
    return build_records(ward, make_conference, make_person, make_user)


def _context(records, doc_type=DocumentType.MINUTES, *, draft_values=None, **options):
    draft = draft_for(records.conference, doc_type, **(draft_values or {}))
    return compose.document_context(records.conference, draft, **options)


def render_pdf(records, doc_type=DocumentType.MINUTES, *, pdfa=False, draft_values=None, **options):
    context = _context(records, doc_type, draft_values=draft_values, **options)
    return render.render_document_pdf(context, pdfa=pdfa)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def flat(text: str) -> str:
    return " ".join(nfc(text).split())


def body_text(content: bytes) -> str:
    """The text of every page, page numbers left out, as one whitespace-normalised string."""
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        pages = [
            page.within_bbox((0, TOP - EPSILON, page.width, page.height)).extract_text()
            for page in pdf.pages
        ]
    return flat(" ".join(pages))


def page_texts(content: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        return [flat(page.extract_text()) for page in pdf.pages]


def table_rows(content: bytes, first_header: str) -> list[list[str]]:
    """The body rows of every ruled table whose header names ``first_header``, page after page."""
    rows = []
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        for page in pdf.pages:
            for table in page.extract_tables():
                cells = [[flat(cell or "") for cell in row] for row in table]
                if cells and first_header in cells[0]:
                    rows += cells[1:]
    return rows


def positions_in_order(text: str, needles) -> list[int]:
    found, start = [], 0
    for needle in needles:
        index = text.find(flat(needle), start)
        assert index >= 0, f"{needle[:60]!r} is not where it should be"
        found.append(index)
        start = index + 1
    return found


# -- page, margins, fonts -----------------------------------------------------------------------


def test_a4_with_the_decree_margins(records):
    content = render_pdf(records, number_label="05/BB-UBND", public_url=PUBLIC_URL)
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        assert len(pdf.pages) >= 2
        for number, page in enumerate(pdf.pages, start=1):
            assert abs(page.width - PAGE_WIDTH) < 1 and abs(page.height - PAGE_HEIGHT) < 1
            body = [c for c in page.chars if c["top"] >= TOP - EPSILON]
            margin = [c for c in page.chars if c["top"] < TOP - EPSILON]
            assert body, f"page {number} is empty"
            for item in body + page.rects + page.lines + page.images:
                assert item["x0"] >= LEFT - EPSILON, (number, item.get("text"), item["x0"])
                assert item["x1"] <= RIGHT + EPSILON, (number, item.get("text"), item["x1"])
                assert item["bottom"] <= BOTTOM + EPSILON, (number, item.get("text"))
            # Only the page number lives in the top margin, and not on the first page.
            numbers = "".join(c["text"] for c in margin)
            assert numbers == ("" if number == 1 else str(number))
            if number == 2:
                centre = (min(c["x0"] for c in margin) + max(c["x1"] for c in margin)) / 2
                assert abs(centre - (LEFT + RIGHT) / 2) < 1.5
                assert all(abs(c["size"] - 13) < 0.2 for c in margin)


def test_body_text_is_14_pt_with_a_10_mm_first_line_indent(records):
    content = render_pdf(records, number_label="05/BB-UBND")
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        page = pdf.pages[0]
        [match] = page.search("Thời gian bắt đầu:")
        assert abs(match["x0"] - (LEFT + 10 * MM)) < 1
        assert all(abs(c["size"] - 14) < 0.1 for c in match["chars"])
        [subject] = page.search("Hội nghị đối thoại giữa")
        assert subject["chars"][0]["fontname"].endswith("Dialogue-Serif-Bold")


def test_every_font_is_the_embedded_liberation_serif(records):
    content = render_pdf(records, number_label="05/BB-UBND")
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        used = {c["fontname"] for page in pdf.pages for c in page.chars}
        embedded = {}
        for page in pdf.pages:
            resources = resolve1(page.page_obj.resources)
            for ref in resolve1(resources["Font"]).values():
                font = resolve1(ref)
                for descendant in resolve1(font.get("DescendantFonts", [])) or [font]:
                    descriptor = resolve1(resolve1(descendant)["FontDescriptor"])
                    name = descriptor["FontName"].name
                    stream = resolve1(descriptor.get("FontFile2") or descriptor.get("FontFile3"))
                    assert stream is not None, f"{name} is not embedded"
                    family = TTFont(io.BytesIO(stream.get_data()))["name"].getDebugName(1)
                    embedded[name] = family
    assert used and used <= set(embedded)
    assert set(embedded.values()) == {"Liberation Serif"}
    # Regular, bold, italic (answers, "Nơi nhận" items) and bold italic (headings).
    assert {name.split("+")[1] for name in embedded} == {
        "Dialogue-Serif",
        "Dialogue-Serif-Bold",
        "Dialogue-Serif-Italic",
        "Dialogue-Serif-Bold-Italic",
    }


def test_every_vietnamese_letter_comes_back(records):
    tones = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
    vowels = "aăâeêioôơuưy"
    letters = [nfc(v + t) for v in vowels for t in tones] + ["đ"]
    alphabet = " ".join(letters + [letter.upper() for letter in letters])
    content = render_pdf(
        records, number_label="05/BB-UBND", draft_values={"opening": f"Bảng chữ: {alphabet}"}
    )
    text = body_text(content)
    assert "\ufffd" not in text and "(cid:" not in text
    assert f"Bảng chữ: {alphabet}" in text
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        # A letter missing from the font would fall back to another font, or to .notdef.
        assert {
            c["fontname"].split("+")[1].split("-Bold")[0].split("-Italic")[0]
            for page in pdf.pages
            for c in page.chars
        } == {"Dialogue-Serif"}


# -- the text read back equals the records ---------------------------------------------------------


def test_the_minutes_read_back_as_the_records(records):
    content = render_pdf(records, number_label="05/BB-UBND")
    first_page = page_texts(content)[0]
    assert "ỦY BAN NHÂN DÂN" in first_page and "PHƯỜNG THẠCH BÀN" in first_page
    assert "Số: 05/BB-UBND" in first_page
    assert "Thạch Bàn, ngày 30 tháng 6 năm 2020" in first_page
    assert "DỰ THẢO" not in first_page
    text = body_text(content)
    positions_in_order(
        text,
        [
            "BIÊN BẢN",
            "Thời gian bắt đầu: 8 giờ 00 phút, ngày 30 tháng 6 năm 2020.",
            "Địa điểm: Hội trường UBND phường Thạch Bàn.",
            "Thành phần tham dự:",
            "- Đồng chí Nguyễn Văn A - Phó Bí thư Đảng ủy, Chủ tịch UBND phường;",
            "- Đồng chí Lê Thị C - Chủ tịch UBMTTQ phường;",
            "Tổng số đại biểu có mặt: 9 người",
            "Chủ trì: Đồng chí Nguyễn Văn A",
            "đồng chủ trì: đồng chí Hoàng Văn Đ - Chủ tịch HĐND phường.",
            "Thư ký: Vũ Đức S.",
            "Nội dung:",
            "1. Khai mạc hội nghị",
            "Thực hiện Kế hoạch số 39/KH-UBND ngày 07/02/2020 của UBND phường Thạch Bàn",
            "2. Báo cáo kết quả công tác cải cách thủ tục hành chính",
            "Hồ sơ tiếp nhận trong kỳ 2.685",
            "Tỷ lệ hồ sơ tiếp nhận trực tuyến 21,2%",
            "3. Ý kiến phát biểu của đại biểu và trả lời tại hội nghị",
            # In the order of speaking, the default; each turn names its area.
            "Ý kiến 1. Công dân tổ dân phố số 9, lĩnh vực Đất đai:",
            QUESTIONS["land"],
            f"Nguyễn Văn A - Chủ tịch UBND phường trả lời: {ANSWERS['land']}",
            "Ý kiến 2. Công dân tổ dân phố số 5, lĩnh vực Hộ tịch:",
            QUESTIONS["birth"],
            f"Trần Thị B - Phó Chủ tịch UBND phường trả lời: {ANSWERS['birth']}",
            "Ý kiến 3. Đại diện Hộ kinh doanh Q:",
            QUESTIONS["business"],
            "Chuyển Công chức Địa chính - Xây dựng trả lời bằng văn bản, hạn trả lời ngày 10/7/2020.",
            "Ý kiến 4.",
            QUESTIONS["pending"],
            "Chưa ghi nhận nội dung trả lời.",
            "4. Kết luận của chủ tọa hội nghị",
            "Chủ tịch UBND phường tiếp thu ý kiến.",
            "Đề nghị các tổ dân phố tham gia giám sát.",
            "Các nhiệm vụ cụ thể:",
            "Hội nghị kết thúc vào 11 giờ 00 phút cùng ngày./.",
            "THƯ KÝ CHỦ TỌA",
            "Vũ Đức S Nguyễn Văn A",
            "Nơi nhận:",
            "- Thường trực Đảng ủy, HĐND phường;",
            "- Lưu: VT, Hồ sơ.",
        ],
    )
    assert QUESTIONS["withdrawn"] not in text
    assert "Đỗ Thị Resident" not in text  # residents are not named in the ward's documents
    assert table_rows(content, "Nội dung nhiệm vụ") == [
        [
            "1",
            "Bồi dưỡng kỹ năng giao tiếp cho công chức một cửa.",
            "Bộ phận Một cửa",
            "31/12/2020",
        ],
        ["2", "Duy trì trả kết quả tại hộ gia đình.", "Bộ phận Một cửa", "Thường xuyên"],
    ]


def test_the_notice_reads_back_as_the_records(records):
    content = render_pdf(
        records,
        DocumentType.NOTICE,
        number_label="06/TB-UBND",
        published_dt=datetime(2020, 7, 3, 2, tzinfo=UTC),
    )
    assert "Số: 06/TB-UBND" in page_texts(content)[0]
    text = body_text(content)
    positions_in_order(
        text,
        [
            "Thạch Bàn, ngày 03 tháng 7 năm 2020",
            "THÔNG BÁO",
            "Kết luận của Chủ tịch UBND phường tại hội nghị đối thoại",
            "Thực hiện Kế hoạch số 39/KH-UBND ngày 07/02/2020",
            "Chủ tịch UBND phường kết luận như sau:",
            "1. Đánh giá chung",
            "Chủ tịch UBND phường tiếp thu ý kiến.",
            "2. Nhiệm vụ trọng tâm thời gian tới",
            "3. Các ý kiến, kiến nghị chuyển trả lời bằng văn bản",
            "4. Công khai kết quả hội nghị",
            "thông báo để các cơ quan, đơn vị, tổ chức và cá nhân có liên quan biết, thực hiện./.",
            "Nơi nhận: TM. ỦY BAN NHÂN DÂN",
            "CHỦ TỊCH",
            "Nguyễn Văn A",
        ],
    )
    assert table_rows(content, "Nội dung nhiệm vụ")[0] == [
        "1",
        "Bồi dưỡng kỹ năng giao tiếp cho công chức một cửa.",
        "Bộ phận Một cửa",
        "31/12/2020",
    ]
    assert table_rows(content, "Nội dung ý kiến, kiến nghị") == [
        [
            "1",
            f"Ý kiến 3. Đại diện Hộ kinh doanh Q: {QUESTIONS['business']} "
            "Yêu cầu: Trả lời bằng văn bản cho hộ kinh doanh.",
            "Công chức Địa chính - Xây dựng",
            "10/7/2020",
        ]
    ]


def test_a_draft_is_marked_and_unnumbered(records):
    first_page = page_texts(render_pdf(records))[0]
    assert "DỰ THẢO" in first_page and "Số: …/BB-UBND" in first_page


# -- layout ----------------------------------------------------------------------------------------


def test_the_header_keeps_each_line_on_one_line(records):
    content = render_pdf(records, number_label="05/BB-UBND")
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        page = pdf.pages[0]
        for line in (
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            "PHƯỜNG THẠCH BÀN",
            "Thạch Bàn, ngày 30 tháng 6 năm 2020",
        ):
            [match] = page.search(line)
            assert match["bottom"] - match["top"] < 16, line
        [nation] = page.search("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
        [agency] = page.search("ỦY BAN NHÂN DÂN")
        [number] = page.search("Số: 05/BB-UBND")
        [place_date] = page.search("Thạch Bàn, ngày 30 tháng 6 năm 2020")
        # Two columns: the agency on the left, the nation on the right, on the same line.
        assert abs(nation["top"] - agency["top"]) < 2 and agency["x1"] < nation["x0"]
        assert abs(number["top"] - place_date["top"]) < 3
        assert nation["chars"][0]["fontname"].endswith("Bold")
        assert place_date["chars"][0]["fontname"].endswith("Italic")


def test_signatures_leave_room_to_sign_and_recipients_are_small(records):
    content = render_pdf(records, number_label="05/BB-UBND")
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        page = pdf.pages[-1]
        [subtitle] = page.search("CHỦ TỊCH UBND PHƯỜNG")
        [chair] = page.search("Nguyễn Văn A")
        [secretary_title] = page.search("THƯ KÝ")
        [secretary] = page.search("Vũ Đức S")
        gap = (chair["top"] - subtitle["bottom"]) / MM
        assert 24 <= gap <= 29, gap
        assert abs(chair["top"] - secretary["top"]) < 1  # the two names stand level
        assert secretary_title["x1"] < subtitle["x0"]  # THƯ KÝ left, CHỦ TỌA right
        [heading] = page.search("Nơi nhận:")
        assert all(abs(c["size"] - 12) < 0.1 for c in heading["chars"])
        assert heading["chars"][0]["fontname"].endswith("Bold-Italic")
        [item] = page.search("- Lưu: VT, Hồ sơ.")
        assert all(abs(c["size"] - 11) < 0.1 for c in item["chars"])
        assert abs(item["x0"] - LEFT) < 1


def test_a_long_turn_splits_cleanly_and_every_speaker_stays_with_the_question(records):
    conference = records.conference
    rng = random.Random(5)
    sentences = [
        f"Câu {n} của ý kiến dài về thủ tục cấp giấy chứng nhận quyền sử dụng đất."
        for n in range(1, 61)
    ]
    long_question = " ".join(sentences)
    turns = [long_question]
    # Many turns of varied length, so some speaker lines fall near the foot of a page.
    turns += [
        f"Ý kiến thử số {n}: " + " ".join(["hỏi về thời hạn giải quyết hồ sơ"] * rng.randint(1, 14))
        for n in range(1, 40)
    ]
    for offset, question in enumerate(turns, start=10):
        db.session.add(
            Turn(
                conference=conference,
                position=offset,
                question=question,
                speaker_name="Người hỏi",
                speaker_group=records.groups[1],
                outcome=TurnOutcome.ANSWERED,
                answerer_name="Nguyễn Văn A - Chủ tịch UBND phường",
                answer="Đã trả lời tại hội nghị. " * rng.randint(1, 6),
            )
        )
    db.session.commit()
    draft = draft_for(conference, turn_order=TurnOrder.SPEAKING)
    context = compose.document_context(conference, draft)
    pages = page_texts(render.render_document_pdf(context))

    def page_of(needle: str) -> int:
        return next(i for i, text in enumerate(pages) if needle in text)

    # The long turn: its speaker line and first sentence on one page, its end on a later one.
    speaker_page = page_of("Ý kiến 5. Công dân tổ dân phố số 1:")
    assert "Câu 1 của ý kiến dài" in pages[speaker_page]
    assert page_of("Câu 60 của ý kiến dài") > speaker_page
    # Every speaker line shares its page with the first words of its question.
    for turn in context["turn_groups"][0]["turns"]:
        index = page_of(f"Ý kiến {turn['number']}. ")
        assert flat(turn["question"])[:25] in pages[index], turn["number"]


def test_table_headers_repeat_on_every_page(ward, make_conference, make_person, make_user):
    records = build_records(ward, make_conference, make_person, make_user)
    db.session.add_all(
        ResidentialGroup(ward=ward, number=n, name=f"Tổ dân phố số {n}") for n in range(20, 90)
    )
    db.session.commit()
    content = render_pdf(records, number_label="05/BB-UBND")
    pages = page_texts(content)
    group_pages = [
        text for text in pages if re.search(r"Tổ dân phố số (2\d|[3-8]\d) \d+ \d+", text)
    ]
    assert len(group_pages) >= 2
    for text in group_pages:
        assert "STT Tổ dân phố Được mời Có mặt" in text
    # Rows are never split, and every group appears once.
    joined = " ".join(pages)
    for n in range(20, 90):
        assert len(re.findall(rf"\d+ Tổ dân phố số {n} 0 0", joined)) == 1


# -- metadata, PDF/A, the verification block ---------------------------------------------------------


def test_document_metadata_title_author_language(records):
    content = render_pdf(records, number_label="05/BB-UBND")
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        info = pdf.metadata
        assert info["Title"].startswith("Biên bản Hội nghị đối thoại giữa Chủ tịch UBND phường")
        assert info["Title"].endswith("(số 05/BB-UBND)")
        assert info["Author"] == "Ủy ban nhân dân phường Thạch Bàn"
        assert "hội nghị đối thoại" in info["Keywords"]
        assert resolve1(pdf.doc.catalog["Lang"]) == b"vi"


def _xmp(content: bytes) -> str:
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        metadata = pdf.doc.catalog.get("Metadata")
        return resolve1(metadata).get_data().decode() if metadata else ""


def test_pdfa_3u_identifies_itself(records):
    archived = render_pdf(records, number_label="05/BB-UBND", pdfa=True)
    xmp = _xmp(archived)
    assert re.search(r"pdfaid:part(>|=\")3", xmp) and re.search(r"pdfaid:conformance(>|=\")U", xmp)
    with pdfplumber.open(io.BytesIO(archived)) as pdf:
        assert "OutputIntents" in pdf.doc.catalog
    assert "pdfaid" not in _xmp(render_pdf(records, DocumentType.NOTICE))
    assert "Số: 05/BB-UBND" in page_texts(archived)[0]


def published(version: int = 1) -> dict:
    """What publication adds to the composition: the number, the version, the public link."""
    return {
        "number_label": "05/BB-UBND",
        "version": version,
        "public_url": PUBLIC_URL,
        "public_code": "Ab3dE5gH",
        "published_dt": datetime(2020, 7, 3, 2, tzinfo=UTC),
    }


def test_the_last_page_links_to_the_public_page(records):
    content = render_pdf(records, **published(version=2))
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        last = pdf.pages[-1]
        image = last.to_image(resolution=200).original
        assert [code.text for code in zxingcpp.read_barcodes(image)] == [PUBLIC_URL]
        assert all(not page.images for page in pdf.pages[:-1])
        text = flat(last.extract_text())
    assert "(mã Ab3dE5gH, phiên bản 2) được công bố ngày 03/7/2020" in text
    # The address once: the page it leads to serves the document and its SHA-256.
    assert text.count(PUBLIC_URL) == 1
    assert "kiểm tra tính toàn vẹn của tệp PDF" in text
    with pdfplumber.open(io.BytesIO(render_pdf(records, DocumentType.NOTICE))) as pdf:
        assert not any(page.images for page in pdf.pages)


def test_signatures_never_stand_alone_and_leave_no_half_empty_page(records):
    """However long the conclusion, the signatures keep the closing sentence with them, and
    nothing else is held back: the page before them stays well filled."""
    context = _context(records, **published())
    conclusion = list(context["conclusion"])
    body_height = BOTTOM - TOP
    first_count = None
    past_the_page_turn = 0
    for extra in range(60):
        # One more line of conclusion at a time walks the end of the text down the page, and
        # over onto a new one.
        context["conclusion"] = conclusion + ["Đề nghị các đơn vị thực hiện nghiêm túc."] * extra
        with pdfplumber.open(io.BytesIO(render.render_document_pdf(context))) as pdf:
            count = len(pdf.pages)
            texts = [
                flat(page.within_bbox((0, TOP - EPSILON, page.width, page.height)).extract_text())
                for page in pdf.pages
            ]
            [signed] = [n for n, text in enumerate(texts) if "THƯ KÝ" in text]
            text = texts[signed]
            assert "Hội nghị kết thúc" in text.split("THƯ KÝ")[0], (extra, text[:80])
            if signed > 0:
                before = pdf.pages[signed - 1]
                lowest = max(c["bottom"] for c in before.chars if c["top"] >= TOP - EPSILON)
                filled = (lowest - TOP) / body_height
                assert filled > 0.7, (extra, f"page {signed} is only {filled:.0%} full")
            # The verification block never starts a page alone.
            [verified] = [n for n, text in enumerate(texts) if "Bản điện tử của văn bản" in text]
            assert not texts[verified].startswith("Bản điện tử"), (extra, texts[verified][:80])
            # Everything is there, on the signatures' page or after it.
            rest = " ".join(texts[signed:])
            for needed in ("CHỦ TỌA", "Nơi nhận:", "Bản điện tử của văn bản"):
                assert needed in rest, (extra, needed)
        first_count = first_count or count
        if count > first_count:
            past_the_page_turn += 1
            if past_the_page_turn > 8:
                break
    assert past_the_page_turn > 8


def test_the_pdf_carries_the_same_fragment_as_the_public_page(records):
    context = _context(records, number_label="05/BB-UBND", public_url=PUBLIC_URL)
    fragment = render.render_document_html(context)
    assert fragment.lstrip().startswith('<article class="vn-document vn-document-bb" lang="vi">')
    assert fragment in render.render_pdf_page(context)
    assert "style=" not in fragment and "<style" not in fragment and "<script" not in fragment


# -- nothing typed becomes markup, nothing is fetched ---------------------------------------------------


@pytest.fixture
def fetched(monkeypatch):
    """Every URL the fetcher is asked for while rendering, with what became of it."""
    calls = []
    original = StaticOnlyFetcher.fetch

    def spy(self, url, headers=None):
        try:
            response = original(self, url, headers)
        except RefusedResource:
            calls.append((url, "refused"))
            raise
        calls.append((url, "served"))
        return response

    monkeypatch.setattr(StaticOnlyFetcher, "fetch", spy)
    return calls


def test_markup_typed_into_any_field_stays_text(records, fetched):
    payload = " ".join(XSS)
    conference = records.conference
    conference.venue = f"Hội trường {XSS[1]}"
    conference.subject = f"Hội nghị {XSS[0]}"
    conference.chair.full_name = f"Nguyễn Văn A {XSS[2]}"
    conference.conclusion = payload
    records.units["land"].name = f"Địa chính {XSS[3]}"
    records.secretary.display_name = f"Vũ Đức S {XSS[4]}"
    conference.conclusion_tasks[0].content = payload
    for turn in db.session.scalars(sa.select(Turn).where(Turn.conference_id == conference.id)):
        turn.question = f"{turn.question} {payload}"
        turn.answer = f"{turn.answer} {XSS[0]}" if turn.answer else ""
        turn.answerer_name = f"{turn.answerer_name} {XSS[1]}" if turn.answerer_name else ""
        turn.speaker_organisation = f"{XSS[2]}" if turn.speaker_organisation else ""
        turn.referral_note = f"{XSS[3]}" if turn.referral_note else ""
    db.session.commit()
    values = {"opening": payload, "report_summary": payload, "conclusion": payload}
    values["recipients"] = f"{XSS[1]}\nLưu: VT"
    for doc_type in (DocumentType.MINUTES, DocumentType.NOTICE):
        context = _context(
            records, doc_type, draft_values=values, number_label="05/BB-UBND", public_url=PUBLIC_URL
        )
        fragment = render.render_document_html(context)
        assert "<script" not in fragment and "<img" not in fragment and "<link" not in fragment
        assert "<style" not in fragment
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in fragment
        fetched.clear()
        content = render.render_document_pdf(context)
        # Only the generated QR code (and our stylesheet and fonts, the first time in this
        # thread) were asked for; nothing typed was ever fetched, so nothing was refused.
        assert fetched and all(outcome == "served" for _, outcome in fetched)
        for url, _ in fetched:
            assert url.startswith(
                (STATIC_BASE_URL + "css/", STATIC_BASE_URL + "fonts/", "data:image/png")
            )
        text = body_text(content)
        for item in XSS:
            assert item in text, item
        with pdfplumber.open(io.BytesIO(content)) as pdf:
            assert len([image for page in pdf.pages for image in page.images]) == 1  # the QR code


def test_the_fetcher_refuses_what_a_template_could_inject(app, fetched):
    html = """<!doctype html><html lang="vi"><head>
      <link rel="stylesheet" href="http://127.0.0.1:9/evil.css">
      <link rel="stylesheet" href="file:///etc/passwd">
      </head><body class="vn-document">
      <p>Trước</p>
      <img src="file:///etc/passwd">
      <img src="../../../../etc/passwd">
      <img src="https://dialogue.invalid/static/../../etc/hostname">
      <div class="x" style="background: url(file:///etc/passwd); height: 10mm"></div>
      <p>Sau</p></body></html>"""
    content = html_to_pdf(html, stylesheets=("css/minutes-document.css",))
    refused = {url for url, outcome in fetched if outcome == "refused"}
    assert "http://127.0.0.1:9/evil.css" in refused
    assert "file:///etc/passwd" in refused
    assert any(url.endswith("/etc/passwd") and url.startswith("https://") for url in refused)
    assert any(url.endswith("/etc/hostname") for url in refused)
    # Our stylesheet and fonts, if this thread had not loaded them yet; nothing else.
    served = [url for url, outcome in fetched if outcome == "served"]
    assert all(url.startswith(STATIC_BASE_URL) for url in served)
    assert b"root:" not in content
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        assert not pdf.pages[0].images
        assert flat(pdf.pages[0].extract_text()) == "Trước Sau"


def test_fonts_and_stylesheet_are_loaded_once_and_memory_is_kept(records, fetched):
    context = _context(records, number_label="05/BB-UBND", public_url=PUBLIC_URL)
    first = render.render_document_pdf(context)
    fetched.clear()
    second = render.render_document_pdf(context)
    # The second rendering reuses this thread's fonts and parsed stylesheet: only the QR code
    # is "fetched" (a data URI). A new font configuration a document leaks native memory.
    assert [url.split(",")[0] for url, _ in fetched] == ["data:image/png;base64"]
    assert page_texts(first) == page_texts(second)
