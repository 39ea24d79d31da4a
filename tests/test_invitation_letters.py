"""Invitation letters: one PDF, one letter a page, in the Nghị định 30 layout, QR = check-in token."""

from __future__ import annotations

import io
import threading
import unicodedata
from datetime import UTC, date, datetime

import pdfplumber
import pytest
import sqlalchemy as sa
import zxingcpp
from pdfminer.pdftypes import resolve1

from dialogue.attendance.models import Attendee
from dialogue.auth.models import Role
from dialogue.conferences.models import AgendaItem, Conference, ConferenceStatus
from dialogue.core.database import begin_immediately
from dialogue.core.dates import to_local, vn_date
from dialogue.core.db import utcnow
from dialogue.documents.models import DocumentNumber, DocumentType
from dialogue.documents.operations import allocate_number
from dialogue.errors import ValidationFailed
from dialogue.extensions import db
from dialogue.feedback.survey import survey_address
from dialogue.invitations import letters, operations
from dialogue.wards.models import ResidentialGroup

ISSUED_ON = date(2048, 6, 23)
NAMES = ("Nguyễn Thị Ánh Tuyết", "Đặng Văn Hưởng", "Trần Thị Bích Ngọc")


@pytest.fixture
def app_config(app_config):
    # Messages are checked in English here; the Vietnamese catalogue has tests of its own.
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def conference(ward, make_conference, make_person):
    chair = make_person(full_name="Nguyễn Văn A", title="Chủ tịch UBND phường")
    group = ResidentialGroup(ward=ward, number=3, name="Tổ dân phố số 3")
    db.session.add(group)
    db.session.commit()
    conference = make_conference(
        title="Hội nghị đối thoại năm 2048",
        subject=(
            "Hội nghị đối thoại giữa Chủ tịch UBND phường với Nhân dân, doanh nghiệp "
            "về cải cách thủ tục hành chính năm 2048"
        ),
        plan_number="39/KH-UBND",
        plan_date=date(2048, 2, 7),
        reporting_period="6 tháng đầu năm 2048",
        start_dt=datetime(2048, 6, 30, 1, 0, tzinfo=UTC),  # 8:00 in Hà Nội, a Tuesday to come
        planned_end_dt=datetime(2048, 6, 30, 4, 0, tzinfo=UTC),
        venue="Hội trường UBND phường Thạch Bàn",
        chair=chair,
    )
    conference.agenda_items.extend(
        [
            AgendaItem(title="Báo cáo kết quả cải cách thủ tục hành chính 6 tháng đầu năm 2048"),
            AgendaItem(title="Đối thoại với Nhân dân, doanh nghiệp."),
            AgendaItem(title="Chủ tịch UBND phường kết luận"),
        ]
    )
    titles = ("Tổ trưởng tổ dân phố số 3", "Giám đốc", "")
    organisations = ("Tổ dân phố số 3", "Công ty TNHH Thạch Bàn Xanh", "")
    for name, title, organisation in zip(NAMES, titles, organisations, strict=True):
        person = make_person(full_name=name, title=title, organisation=organisation)
        operations.invite_person(conference, person)
    db.session.commit()
    return conference


@pytest.fixture
def organiser(client, make_user, login):
    user = make_user(Role.ORGANISER)
    login(user)
    client.get("/locale", query_string={"locale": "en"})
    return user


def read_pdf(content: bytes):
    pdf = pdfplumber.open(io.BytesIO(content))
    return pdf, pdf.pages


def page_text(page) -> str:
    return unicodedata.normalize("NFC", page.extract_text())


def decoded_qr(page) -> list[str]:
    image = page.to_image(resolution=200).original
    return [result.text for result in zxingcpp.read_barcodes(image)]


def check_in_codes(page) -> list[str]:
    """The codes of a letter but the satisfaction survey's (its address, the same on every letter)."""
    return [text for text in decoded_qr(page) if not text.endswith("/khao-sat")]


def letters_numbers(conference_id: int) -> list[str]:
    db.session.commit()
    return [
        number.label
        for number in db.session.scalars(
            sa.select(DocumentNumber)
            .where(
                DocumentNumber.conference_id == conference_id,
                DocumentNumber.doc_type == DocumentType.INVITATION,
            )
            .order_by(DocumentNumber.id)
        )
    ]


# -- the pure rendering function --------------------------------------------------------------


def test_one_letter_a_page_in_the_decree_layout(app, ward, conference):
    attendees = operations.invited_attendees(conference)
    number = allocate_number(ward, DocumentType.INVITATION, conference=conference)
    with app.test_request_context():
        content = letters.render_invitation_letters(conference, attendees, number, ISSUED_ON)
    assert content.startswith(b"%PDF")
    pdf, pages = read_pdf(content)
    with pdf:
        assert len(pages) == len(attendees) == 3
        for page, attendee in zip(pages, attendees, strict=True):
            text = page_text(page)
            flat = " ".join(text.split())
            assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
            assert "Độc lập - Tự do - Hạnh phúc" in text
            assert "ỦY BAN NHÂN DÂN" in text and "PHƯỜNG THẠCH BÀN" in text
            assert "Số: 01/GM-UBND" in text
            assert "Thạch Bàn, ngày 23 tháng 6 năm 2048" in text
            assert "GIẤY MỜI" in text
            assert (
                "Dự Hội nghị đối thoại giữa Chủ tịch UBND phường với Nhân dân, doanh nghiệp "
                "về cải cách thủ tục hành chính năm 2048" in flat
            )
            assert f"Kính gửi: Ông/Bà {attendee.full_name}" in flat
            assert (
                "Thực hiện Kế hoạch số 39/KH-UBND ngày 07/02/2048 của UBND phường Thạch Bàn" in flat
            )
            assert "8 giờ 00 phút, ngày 30 tháng 6 năm 2048 (thứ Ba)" in flat
            assert "Địa điểm: Hội trường UBND phường Thạch Bàn" in flat
            assert (
                "Nội dung: + Báo cáo kết quả cải cách thủ tục hành chính 6 tháng đầu năm 2048; "
                "+ Đối thoại với Nhân dân, doanh nghiệp; "
                "+ Chủ tịch UBND phường kết luận." in flat
            )
            assert "Trân trọng kính mời Ông/Bà đến dự" in flat
            assert "TM. ỦY BAN NHÂN DÂN" in text and "CHỦ TỊCH" in text
            assert "Nguyễn Văn A" in text
            assert "Nơi nhận:" in text and "- Như trên;" in text and "- Lưu: VT." in text
            assert "Mã điểm danh — xuất trình tại bàn đón tiếp" in flat
            assert check_in_codes(page) == [attendee.token]
            assert decoded_qr(page).count(survey_address(conference)) == 1
        by_name = {a.full_name: page_text(p) for a, p in zip(attendees, pages, strict=True)}
        # The title already names the group: it is not repeated as the organisation.
        addressed = " ".join(by_name["Nguyễn Thị Ánh Tuyết"].split()).casefold()
        assert addressed.count("tổ dân phố số 3") == 1
        assert "Ông/Bà Đặng Văn Hưởng - Giám đốc, Công ty TNHH Thạch Bàn Xanh" in " ".join(
            by_name["Đặng Văn Hưởng"].split()
        )
        assert "Ông/Bà Trần Thị Bích Ngọc\n" in by_name["Trần Thị Bích Ngọc"]


def test_the_names_keep_their_diacritics_exactly(app, ward, conference):
    attendees = operations.invited_attendees(conference)
    number = allocate_number(ward, DocumentType.INVITATION, conference=conference)
    with app.test_request_context():
        content = letters.render_invitation_letters(conference, attendees, number, ISSUED_ON)
    pdf, pages = read_pdf(content)
    with pdf:
        text = "\n".join(page.extract_text() for page in pages)
    # Not normalised here: what the PDF holds is what a reader copies out of it.
    for name in NAMES:
        assert unicodedata.normalize("NFC", name) in text


def test_the_bundled_fonts_are_embedded(app, ward, conference):
    attendees = operations.invited_attendees(conference)[:1]
    number = allocate_number(ward, DocumentType.INVITATION, conference=conference)
    with app.test_request_context():
        content = letters.render_invitation_letters(conference, attendees, number, ISSUED_ON)
    pdf, pages = read_pdf(content)
    with pdf:
        fonts = {char["fontname"] for char in pages[0].chars}
        assert fonts and all("Dialogue-Serif" in font for font in fonts)
        assert any(font.endswith("Dialogue-Serif-Bold") for font in fonts)
        # Embedded, not merely named: each font of the page carries its font file.
        resources = resolve1(pages[0].page_obj.resources)
        embedded = []
        for ref in resolve1(resources["Font"]).values():
            font = resolve1(ref)
            for descendant in resolve1(font.get("DescendantFonts", [])) or [font]:
                descriptor = resolve1(resolve1(descendant)["FontDescriptor"])
                embedded.append("FontFile2" in descriptor or "FontFile3" in descriptor)
        assert len(embedded) >= 2 and all(embedded)


def test_user_text_is_printed_as_text(app, ward, conference, make_person):
    person = make_person(full_name="Lê <b>Văn</b> & Co", title="<script>x</script>")
    operations.invite_person(conference, person)
    attendee = db.session.scalar(sa.select(Attendee).where(Attendee.person_id == person.id))
    number = allocate_number(ward, DocumentType.INVITATION, conference=conference)
    with app.test_request_context():
        content = letters.render_invitation_letters(conference, [attendee], number, ISSUED_ON)
    pdf, pages = read_pdf(content)
    with pdf:
        assert "Ông/Bà Lê <b>Văn</b> & Co - <script>x</script>" in page_text(pages[0])


def test_without_a_plan_or_a_chair_the_letter_still_reads(app, ward, make_conference, make_person):
    conference = make_conference(subject="", venue="")
    operations.invite_person(conference, make_person(full_name="Vũ Thị Hoa"))
    db.session.commit()
    attendees = operations.invited_attendees(conference)
    number = allocate_number(ward, DocumentType.INVITATION, conference=conference)
    with app.test_request_context():
        content = letters.render_invitation_letters(conference, attendees, number, ISSUED_ON)
    pdf, pages = read_pdf(content)
    with pdf:
        flat = " ".join(page_text(pages[0]).split())
    assert len(pages) == 1
    assert "Thực hiện" not in flat and "Địa điểm" not in flat
    assert (
        "Ủy ban nhân dân phường Thạch Bàn tổ chức "
        "Hội nghị đối thoại về cải cách thủ tục hành chính, cụ thể như sau:" in flat
    )
    assert "Dự Hội nghị đối thoại về cải cách thủ tục hành chính" in flat
    # Without an agenda of its own, the letter names the usual points of a dialogue.
    assert "+ Báo cáo kết quả công tác cải cách thủ tục hành chính;" in flat
    assert "+ Kết luận của Chủ tịch Ủy ban nhân dân." in flat


def test_a_long_agenda_still_keeps_one_letter_a_page(app, ward, conference):
    conference.agenda_items[:] = [
        AgendaItem(
            title=f"Mục {n}: báo cáo kết quả thực hiện công tác cải cách thủ tục hành chính "
            "và kiểm soát thủ tục hành chính trên địa bàn phường"
        )
        for n in range(1, 9)
    ]
    db.session.commit()
    attendees = operations.invited_attendees(conference)
    number = allocate_number(ward, DocumentType.INVITATION, conference=conference)
    with app.test_request_context():
        content = letters.render_invitation_letters(conference, attendees, number, ISSUED_ON)
    pdf, pages = read_pdf(content)
    with pdf:
        assert len(pages) == len(attendees)
        flat = " ".join(page_text(pages[0]).split())
        assert "Mục 8: báo cáo" in flat and "Nơi nhận:" in flat
        assert check_in_codes(pages[0]) == [attendees[0].token]


# -- numbering ------------------------------------------------------------------------------


def test_the_number_is_taken_once_per_conference(ward, conference, make_conference, make_person):
    attendees = operations.invited_attendees(conference)
    first = operations.issue_letters(conference, attendees)
    db.session.commit()
    # The register is shared: other documents take numbers of their own types meanwhile.
    allocate_number(ward, DocumentType.MINUTES, conference=conference)
    again = operations.issue_letters(conference, attendees[:1])
    assert again.id == first.id and first.label == "01/GM-UBND"
    second = make_conference()
    operations.invite_person(second, make_person())
    db.session.commit()
    assert operations.issue_letters(second, operations.invited_attendees(second)).label == (
        "02/GM-UBND"
    )


def test_no_letters_without_invitees_and_no_new_number_once_over(conference, make_conference):
    empty = make_conference()
    with pytest.raises(ValidationFailed, match="No one is invited"):
        operations.issue_letters(empty, [])
    conference.status = ConferenceStatus.CLOSED
    db.session.commit()
    with pytest.raises(ValidationFailed, match="cannot change"):
        operations.issue_letters(conference, operations.invited_attendees(conference))
    db.session.rollback()
    assert letters_numbers(conference.id) == []


def test_a_closed_conference_reprints_with_its_number(conference):
    attendees = operations.invited_attendees(conference)
    number = operations.issue_letters(conference, attendees)
    conference.status = ConferenceStatus.CLOSED
    db.session.commit()
    assert operations.issue_letters(conference, attendees).id == number.id


def test_concurrent_first_downloads_share_one_number(app, conference):
    conference_id = conference.id
    workers = 6
    barrier = threading.Barrier(workers)
    labels, errors = [], []

    def work():
        try:
            with app.app_context():
                begin_immediately(True)  # what a POST request does on SQLite
                barrier.wait()
                local = db.session.get(Conference, conference_id)
                number = operations.issue_letters(local, operations.invited_attendees(local))
                labels.append(number.label)
                db.session.commit()
                db.session.remove()
        except Exception as error:  # reported below
            errors.append(repr(error))

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert labels == ["01/GM-UBND"] * workers
    assert letters_numbers(conference_id) == ["01/GM-UBND"]


# -- the download ---------------------------------------------------------------------------


def test_downloading_the_letters(client, organiser, ward, conference):
    url = f"/conferences/{conference.id}/invitations/letters.pdf"
    response = client.post(url)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=giay-moi-{conference.id}.pdf"
    )
    today = to_local(utcnow(), ward.timezone).date()
    pdf, pages = read_pdf(response.data)
    with pdf:
        assert len(pages) == 3
        text = page_text(pages[0])
        assert "Số: 01/GM-UBND" in text
        assert vn_date(today, place="Thạch Bàn") in text
    assert letters_numbers(conference.id) == ["01/GM-UBND"]

    # A later download, after a late invitation, keeps the number.
    page = client.get(f"/conferences/{conference.id}/invitations/").get_data(as_text=True)
    assert "The letters carry the number 01/GM-UBND." in page
    second = client.post(url)
    pdf, pages = read_pdf(second.data)
    with pdf:
        assert all("Số: 01/GM-UBND" in page_text(page) for page in pages)
    assert letters_numbers(conference.id) == ["01/GM-UBND"]


def test_two_conferences_get_01_and_02(client, organiser, conference, make_conference, make_person):
    other = make_conference()
    operations.invite_person(other, make_person())
    db.session.commit()
    for c in (conference, other):
        assert client.post(f"/conferences/{c.id}/invitations/letters.pdf").status_code == 200
    assert letters_numbers(conference.id) == ["01/GM-UBND"]
    assert letters_numbers(other.id) == ["02/GM-UBND"]


def test_one_letter_for_one_invitee(client, organiser, conference):
    attendee = operations.invited_attendees(conference)[1]
    url = f"/conferences/{conference.id}/invitations/{attendee.id}/letter.pdf"
    response = client.post(url)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=giay-moi-{conference.id}-{attendee.id}.pdf"
    )
    pdf, pages = read_pdf(response.data)
    with pdf:
        assert len(pages) == 1
        assert attendee.full_name in page_text(pages[0])
        assert check_in_codes(pages[0]) == [attendee.token]
    # The whole set, printed later, carries the same number.
    client.post(f"/conferences/{conference.id}/invitations/letters.pdf")
    assert letters_numbers(conference.id) == ["01/GM-UBND"]


def test_no_letters_for_an_empty_list(client, organiser, make_conference):
    conference = make_conference()
    response = client.post(f"/conferences/{conference.id}/invitations/letters.pdf")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "No one is invited yet: there is no letter to print." in page
    assert letters_numbers(conference.id) == []


def test_letters_of_another_ward_or_conference_answer_404(
    client, organiser, other_ward, conference, make_conference, make_person
):
    foreign = make_conference(ward=other_ward)
    operations.invite_person(foreign, make_person(ward=other_ward))
    db.session.commit()
    theirs = operations.invited_attendees(foreign)[0]
    mine = operations.invited_attendees(conference)[0]
    assert client.post(f"/conferences/{foreign.id}/invitations/letters.pdf").status_code == 404
    assert (
        client.post(f"/conferences/{foreign.id}/invitations/{theirs.id}/letter.pdf").status_code
        == 404
    )
    other = make_conference()
    assert (
        client.post(f"/conferences/{other.id}/invitations/{mine.id}/letter.pdf").status_code == 404
    )
    assert db.session.scalar(sa.select(sa.func.count(DocumentNumber.id))) == 0
