"""Composing the biên bản and the thông báo kết luận from the records, as plain data."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from dialogue.attendance.models import AttendanceStatus, Attendee
from dialogue.auth.models import Role
from dialogue.conferences.models import ConclusionTask, ConferenceStatus
from dialogue.documents.models import DocumentType
from dialogue.dossier.figures import Counts
from dialogue.dossier.operations import ReportData, save_report
from dialogue.extensions import db
from dialogue.live.models import Turn, TurnOutcome
from dialogue.minutes import compose
from dialogue.minutes.models import MinutesDraft, TurnOrder
from dialogue.wards.models import ResidentialGroup, Unit

SUBJECT = (
    "Hội nghị đối thoại giữa Chủ tịch UBND phường với Nhân dân, doanh nghiệp "
    "về cải cách thủ tục hành chính 6 tháng đầu năm 2020"
)
# The subject under the title never breaks inside "6 tháng"; inside a sentence it is not
# capitalised.
SUBJECT_LINE = SUBJECT.replace("6 tháng", "6\u00a0tháng")
IN_SENTENCE = "h" + SUBJECT[1:]
QUESTIONS = {
    "land": "Hồ sơ cấp giấy chứng nhận quyền sử dụng đất lần đầu của gia đình tôi đang ở bước nào?",
    "birth": "Có thể đăng ký khai sinh qua dịch vụ công trực tuyến không?",
    "business": "Thủ tục thay đổi nội dung đăng ký hộ kinh doanh có nộp trực tuyến được không?",
    "withdrawn": "Câu hỏi đã rút lại, không được ghi vào biên bản.",
    "pending": "Đề nghị cho biết thời hạn cấp phép xây dựng nhà ở riêng lẻ.",
}
ANSWERS = {
    "land": "Hồ sơ đã được niêm yết công khai và chuyển Chi nhánh Văn phòng đăng ký đất đai.",
    "birth": "Gia đình nộp hồ sơ trên Cổng dịch vụ công, kèm bản chụp giấy chứng sinh.",
}


@pytest.fixture
def app_config(app_config):
    # The missing parts are checked in English; the documents themselves are Vietnamese.
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


@dataclass
class Records:
    conference: object
    ward: object
    groups: dict
    units: dict
    secretary: object
    resident: object


def _category(ward, code):
    return next(category for category in ward.delegate_categories if category.code == code)


def _area(ward, code):
    return next(area for area in ward.procedure_areas if area.code == code)


def build_records(ward, make_conference, make_person, make_user, *, turns=True) -> Records:
    """A closed 2020 conference: leaders, attendance, figures, five turns, conclusion, tasks."""
    groups = {
        n: ResidentialGroup(ward=ward, number=n, name=f"Tổ dân phố số {n}") for n in (1, 5, 9)
    }
    units = {
        "land": Unit(ward=ward, name="Công chức Địa chính - Xây dựng"),
        "desk": Unit(ward=ward, name="Bộ phận Một cửa"),
    }
    db.session.add_all([*groups.values(), *units.values()])
    db.session.commit()
    chair = make_person(full_name="Nguyễn Văn A", title="Phó Bí thư Đảng ủy, Chủ tịch UBND phường")
    reporter = make_person(full_name="Trần Thị B", title="Phó Chủ tịch UBND phường")
    cochair = make_person(full_name="Hoàng Văn Đ", title="Chủ tịch HĐND phường")
    secretary = make_user(Role.SECRETARY, display_name="Vũ Đức S")
    conference = make_conference(
        title="Hội nghị đối thoại 6 tháng đầu năm 2020",
        subject=SUBJECT,
        plan_number="39/KH-UBND",
        plan_date=date(2020, 2, 7),
        reporting_period="6 tháng đầu năm 2020",
        start_dt=datetime(2020, 6, 30, 1, 0, tzinfo=UTC),  # 8:00 in Hà Nội
        planned_end_dt=datetime(2020, 6, 30, 4, 0, tzinfo=UTC),
        end_dt=datetime(2020, 6, 30, 4, 0, tzinfo=UTC),
        venue="Hội trường UBND phường Thạch Bàn",
        chair=chair,
        reporter=reporter,
        cochairs=[cochair],
        secretaries=[secretary],
        status=ConferenceStatus.CLOSED,
        conclusion="Chủ tịch UBND phường tiếp thu ý kiến.\nĐề nghị các tổ dân phố tham gia giám sát.",
    )
    conference.conclusion_tasks.extend(
        [
            ConclusionTask(
                content="Bồi dưỡng kỹ năng giao tiếp cho công chức một cửa.",
                unit=units["desk"],
                deadline=date(2020, 12, 31),
            ),
            ConclusionTask(content="Duy trì trả kết quả tại hộ gia đình.", unit=units["desk"]),
        ]
    )

    def attendee(name, code, *, title="", group=None, status=AttendanceStatus.PRESENT, **values):
        values.setdefault("is_invited", True)
        row = Attendee(
            conference=conference,
            full_name=name,
            title=title,
            delegate_category_id=_category(ward, code).id,
            residential_group_id=groups[group].id if group else None,
            status=status,
            **values,
        )
        db.session.add(row)
        return row

    attendee(chair.full_name, "UBND", title=chair.title, person_id=chair.id)
    attendee(reporter.full_name, "UBND", title=reporter.title, person_id=reporter.id)
    attendee(cochair.full_name, "TT_HDND", title=cochair.title, person_id=cochair.id)
    attendee("Lê Thị C", "MTTQ", title="Chủ tịch UBMTTQ phường")
    attendee(
        "Phạm Văn D", "DANG_UY", title="Bí thư Đảng ủy phường", status=AttendanceStatus.EXCUSED
    )
    resident = attendee("Đỗ Thị Resident", "NHAN_DAN", group=9)
    attendee("Bùi Văn E", "NHAN_DAN", group=5)
    attendee("Ngô Văn F", "TO_TRUONG", title="Tổ trưởng tổ dân phố số 1", group=1)
    attendee("Trịnh Văn Walkin", "NHAN_DAN", group=9, is_invited=False)
    attendee("Chủ hộ Q", "DOANH_NGHIEP", organisation="Hộ kinh doanh Q", group=1)
    save_report(
        conference,
        ReportData(
            counts=Counts(
                received_online=568, received_desk=2117, resolved_on_time=2668, pending_within=17
            ),
            early_count=450,
            early_base=852,
            early_measure="trước hạn 4 giờ trở lên",
            early_base_definition="hồ sơ có phiếu hẹn",
        ),
    )
    db.session.flush()
    if turns:
        rows = [
            Turn(
                question=QUESTIONS["land"],
                speaker_name="Đỗ Thị Resident",
                speaker_group=groups[9],
                procedure_area=_area(ward, "DD"),
                outcome=TurnOutcome.ANSWERED,
                answerer_name="Nguyễn Văn A - Chủ tịch UBND phường",
                answer=ANSWERS["land"],
                speaker_attendee=resident,
            ),
            Turn(
                question=QUESTIONS["birth"],
                speaker_name="Bùi Văn E",
                speaker_group=groups[5],
                procedure_area=_area(ward, "HT"),
                outcome=TurnOutcome.ANSWERED,
                answerer_name="Trần Thị B - Phó Chủ tịch UBND phường",
                answer=ANSWERS["birth"],
            ),
            Turn(
                question=QUESTIONS["withdrawn"],
                speaker_name="Bùi Văn E",
                speaker_group=groups[5],
                procedure_area=_area(ward, "HT"),
                withdrawn_dt=datetime(2020, 6, 30, 2, tzinfo=UTC),
                withdrawn_reason="Nhập trùng",
            ),
            Turn(
                question=QUESTIONS["business"],
                speaker_name="Chủ hộ Q",
                speaker_organisation="Hộ kinh doanh Q",
                outcome=TurnOutcome.REFERRED,
                referral_unit=units["land"],
                referral_due_date=date(2020, 7, 10),
                referral_note="Trả lời bằng văn bản cho hộ kinh doanh.",
            ),
            Turn(
                question=QUESTIONS["pending"],
                speaker_name="Đỗ Thị Resident",
                speaker_group=groups[9],
                procedure_area=_area(ward, "DD"),
            ),
        ]
        for position, turn in enumerate(rows, start=1):
            turn.conference = conference
            turn.position = position
            db.session.add(turn)
    db.session.commit()
    return Records(conference, ward, groups, units, secretary, resident)


@pytest.fixture
def records(ward, make_conference, make_person, make_user) -> Records:
    return build_records(ward, make_conference, make_person, make_user)


def draft_for(conference, doc_type=DocumentType.MINUTES, **values) -> MinutesDraft:
    texts = compose.default_texts(conference, doc_type)
    texts.update(values)
    draft = MinutesDraft(conference=conference, doc_type=doc_type, **texts)
    db.session.add(draft)
    db.session.commit()
    return draft


def all_turns(context) -> list[dict]:
    return [turn for group in context["turn_groups"] for turn in group["turns"]]


# -- the header and the frame ---------------------------------------------------------------------


def test_a_published_minutes_header_and_frame(records):
    draft = draft_for(records.conference)
    context = compose.document_context(records.conference, draft, number_label="05/BB-UBND")
    header = context["header"]
    assert header["agency_lines"] == ["ỦY BAN NHÂN DÂN", "PHƯỜNG THẠCH BÀN"]
    assert header["number_text"] == "Số: 05/BB-UBND"
    assert header["place_date"] == "Thạch Bàn, ngày 30 tháng 6 năm 2020"
    assert (header["nation"], header["motto"]) == (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
    )
    assert not context["is_draft"]
    assert (context["title"], context["subject"]) == ("BIÊN BẢN", SUBJECT_LINE)
    assert context["start"] == "8 giờ 00 phút, ngày 30 tháng 6 năm 2020"
    assert context["venue"] == "Hội trường UBND phường Thạch Bàn"
    assert context["closing"] == "Hội nghị kết thúc vào 11 giờ 00 phút cùng ngày./."
    assert context["chair"]["text"] == (
        "Đồng chí Nguyễn Văn A - Phó Bí thư Đảng ủy, Chủ tịch UBND phường"
    )
    assert [p["name"] for p in context["cochairs"]] == ["Hoàng Văn Đ"]
    assert context["secretaries"] == ["Vũ Đức S"] and context["secretary"] == "Vũ Đức S"
    assert context["metadata"] == {
        "title": f"Biên bản {SUBJECT} (số 05/BB-UBND)",
        "author": "Ủy ban nhân dân phường Thạch Bàn",
        "language": "vi",
        "subject": SUBJECT,
        "keywords": [
            "biên bản",
            "hội nghị đối thoại",
            "cải cách thủ tục hành chính",
            "phường Thạch Bàn",
            "2020",
        ],
    }
    assert context["verification"] is None


def test_a_draft_has_a_number_placeholder_and_the_notice_its_own_date(records):
    bb = compose.document_context(records.conference, draft_for(records.conference))
    assert bb["is_draft"] and bb["header"]["number_text"] == "Số: …/BB-UBND"
    tb_draft = draft_for(records.conference, DocumentType.NOTICE)
    tb = compose.document_context(records.conference, tb_draft)
    assert tb["header"]["number_text"] == "Số: …/TB-UBND"
    assert tb["header"]["place_date"] == "Thạch Bàn, ngày … tháng … năm …"
    published = compose.document_context(
        records.conference,
        tb_draft,
        number_label="06/TB-UBND",
        version=2,
        public_url="https://example.test/d/abc123",
        public_code="abc123",
        # 23:30 UTC on 2 July is 3 July in Hà Nội.
        published_dt=datetime(2020, 7, 2, 23, 30, tzinfo=UTC),
    )
    assert published["header"]["place_date"] == "Thạch Bàn, ngày 03 tháng 7 năm 2020"
    assert published["title"] == "THÔNG BÁO"
    assert published["subject"] == (
        f"Kết luận của Chủ tịch UBND phường tại {IN_SENTENCE}".replace("6 tháng", "6\u00a0tháng")
    )
    assert published["verification"] == {
        "url": "https://example.test/d/abc123",
        "code": "abc123",
        "version": 2,
        "published_on": "03/7/2020",
    }
    assert published["published_dt"] == "2020-07-02T23:30:00+00:00"


def test_the_context_is_plain_data(records):
    context = compose.document_context(
        records.conference, draft_for(records.conference), number_label="05/BB-UBND"
    )
    # Nothing lazy or bound to the session: it survives a round trip through JSON unchanged.
    assert json.loads(json.dumps(context)) == context


def test_the_end_on_another_day_or_not_recorded(records):
    conference = records.conference
    conference.end_dt = datetime(2020, 6, 30, 17, 15, tzinfo=UTC)  # 0:15 on 1 July
    db.session.commit()
    draft = draft_for(conference)
    context = compose.document_context(conference, draft)
    assert context["closing"] == (
        "Hội nghị kết thúc vào 0 giờ 15 phút, ngày 01 tháng 7 năm 2020./."
    )
    conference.end_dt = None
    db.session.commit()
    context = compose.document_context(conference, draft)
    assert context["closing"].startswith("Hội nghị kết thúc vào … giờ")


# -- attendance ----------------------------------------------------------------------------------


def test_attendance_counts_and_named_leaders(records):
    context = compose.document_context(records.conference, draft_for(records.conference))
    attendance = context["attendance"]
    assert (attendance["present"], attendance["invited"], attendance["excused"]) == (9, 9, 1)
    assert attendance["uninvited"] == 1 and attendance["present_invited"] == 8
    assert attendance["summary"] == (
        "Tổng số đại biểu có mặt: 9 người (8/9 người được mời; "
        "1 người đến dự không có giấy mời); vắng có lý do: 1 người."
    )
    by_category = {
        row["label"]: (row["invited"], row["present"]) for row in attendance["by_category"]
    }
    assert by_category["Lãnh đạo Ủy ban nhân dân"] == (2, 2)
    assert by_category["Lãnh đạo Đảng ủy"] == (1, 0)
    assert by_category["Nhân dân"] == (2, 3)
    by_group = {row["label"]: row["present"] for row in attendance["by_group"]}
    assert by_group == {
        "Tổ dân phố số 1": 2,
        "Tổ dân phố số 5": 1,
        "Tổ dân phố số 9": 2,
        "Không thuộc tổ dân phố": 4,
    }
    # Chair, co-chair, reporter first; then the present officials; never the residents.
    assert [leader["name"] for leader in attendance["leaders"]] == [
        "Nguyễn Văn A",
        "Hoàng Văn Đ",
        "Trần Thị B",
        "Lê Thị C",
    ]
    assert attendance["leaders"][3]["text"] == "Đồng chí Lê Thị C - Chủ tịch UBMTTQ phường"


# -- turns ---------------------------------------------------------------------------------------


def test_speaking_order_is_the_default(records):
    context = compose.document_context(records.conference, draft_for(records.conference))
    assert context["turn_order"] == "speaking"
    [group] = context["turn_groups"]
    assert [t["number"] for t in group["turns"]] == [1, 2, 3, 4]


def test_turns_grouped_by_procedure_area_without_the_withdrawn(records):
    draft = draft_for(records.conference, turn_order=TurnOrder.BY_AREA)
    context = compose.document_context(records.conference, draft)
    assert context["turn_order"] == "by_area"
    # The ward's order of areas (Hộ tịch before Đất đai), turns without an area last; each
    # turn keeps its number in the order of speaking, as in the exports and on public pages.
    # Headings name the area, never its code.
    assert [(g["title"], [t["number"] for t in g["turns"]]) for g in context["turn_groups"]] == [
        ("Lĩnh vực Hộ tịch", [2]),
        ("Lĩnh vực Đất đai", [1, 4]),
        ("Lĩnh vực khác", [3]),
    ]
    turns = all_turns(context)
    assert [t["question"] for t in turns] == [
        QUESTIONS["birth"],
        QUESTIONS["land"],
        QUESTIONS["pending"],
        QUESTIONS["business"],
    ]
    assert QUESTIONS["withdrawn"] not in json.dumps(context, ensure_ascii=False)
    assert context["turn_count"] == 4
    assert context["turn_summary"] == (
        "Tại hội nghị có 4 lượt ý kiến phát biểu, trong đó 2 ý kiến được trả lời trực tiếp tại "
        "hội nghị, 1 ý kiến chuyển trả lời bằng văn bản, 1 ý kiến chưa được trả lời. "
        "Cụ thể như sau:"
    )
    birth, land, pending, business = turns
    # Residents are not named: the ward did not choose to show speakers' names.
    assert birth["speaker"] == "Công dân tổ dân phố số 5" and birth["affiliation"] == ""
    assert "Đỗ Thị Resident" not in json.dumps(context, ensure_ascii=False)
    assert land["answerer"] == "Nguyễn Văn A - Chủ tịch UBND phường"
    assert land["answer"] == ANSWERS["land"] and land["outcome"] == "answered"
    assert pending["outcome"] == "pending" and pending["answer"] == ""
    assert business["speaker"] == "Đại diện Hộ kinh doanh Q"
    assert business["referral"] == (
        "Chuyển Công chức Địa chính - Xây dựng trả lời bằng văn bản, hạn trả lời ngày 10/7/2020."
    )
    assert (business["referral_unit"], business["referral_due"]) == (
        "Công chức Địa chính - Xây dựng",
        "10/7/2020",
    )


def test_names_on_screens_stay_out_of_the_documents(records):
    records.ward.shows_speaker_names = True
    context = compose.document_context(records.conference, draft_for(records.conference))
    speakers = [t["speaker"] for g in context["turn_groups"] for t in g["turns"]]
    assert "Đỗ Thị Resident" not in speakers
    assert "Công dân tổ dân phố số 9" in speakers


def test_turns_in_speaking_order_and_names_where_the_ward_shows_them(records):
    records.ward.names_speakers_in_documents = True
    draft = draft_for(records.conference, turn_order=TurnOrder.SPEAKING)
    context = compose.document_context(records.conference, draft)
    assert context["turn_order"] == "speaking"
    [group] = context["turn_groups"]
    assert group["title"] == ""
    turns = group["turns"]
    assert [(t["number"], t["position"]) for t in turns] == [(1, 1), (2, 2), (3, 4), (4, 5)]
    assert [t["area"] for t in turns] == ["Đất đai", "Hộ tịch", "", "Đất đai"]
    assert (turns[0]["speaker"], turns[0]["affiliation"]) == ("Đỗ Thị Resident", "Tổ dân phố số 9")
    assert (turns[2]["speaker"], turns[2]["affiliation"]) == ("Chủ hộ Q", "Hộ kinh doanh Q")


def test_a_deleted_speaker_keeps_the_turn_as_it_was_said(records):
    db.session.delete(records.resident)
    db.session.commit()
    db.session.expire_all()
    turn = db.session.scalar(sa.select(Turn).where(Turn.question == QUESTIONS["land"]))
    assert turn.speaker_attendee_id is None
    context = compose.document_context(records.conference, draft_for(records.conference))
    land = next(t for t in all_turns(context) if t["question"] == QUESTIONS["land"])
    assert land["speaker"] == "Công dân tổ dân phố số 9"


def test_text_is_normalised_to_nfc(records):
    decomposed = unicodedata.normalize("NFD", "Thủ tục hộ tịch ở phường")
    turn = db.session.scalar(sa.select(Turn).where(Turn.question == QUESTIONS["birth"]))
    turn.question = decomposed
    db.session.commit()
    draft = draft_for(records.conference, opening=unicodedata.normalize("NFD", "Đoạn mở đầu"))
    context = compose.document_context(records.conference, draft)
    assert "Thủ tục hộ tịch ở phường" in [turn["question"] for turn in all_turns(context)]
    assert context["opening"] == ["Đoạn mở đầu"]


# -- figures, conclusion, tasks, referrals --------------------------------------------------------


def test_dossier_figures_as_the_report_gives_them(records):
    figures = compose.document_context(records.conference, draft_for(records.conference))["figures"]
    rows = {row["key"]: row for row in figures["rows"]}
    assert figures["caption"] == (
        "Kết quả tiếp nhận, giải quyết hồ sơ thủ tục hành chính 6 tháng đầu năm 2020"
    )
    assert rows["received"]["value"] == "2.685" and rows["received"]["number"] == "2"
    assert rows["received_online"]["value"] == "568" and rows["received_online"]["level"] == 1
    assert rows["received_online"]["number"] == ""
    assert rows["online_share"]["value"] == "21,2%" and rows["online_share"]["is_rate"]
    assert rows["early"]["value"] == "52,8%"
    assert rows["early"]["note"] == "450/852 hồ sơ (trước hạn 4 giờ trở lên; hồ sơ có phiếu hẹn)"
    assert rows["pending_within"]["value"] == "17"
    assert "làm tròn đến một chữ số thập phân" in figures["note"]


def test_no_figures_no_table(ward, make_conference, make_person, make_user):
    records = build_records(ward, make_conference, make_person, make_user, turns=False)
    db.session.execute(sa.text("DELETE FROM dossier_reports"))
    db.session.commit()
    context = compose.document_context(records.conference, draft_for(records.conference))
    assert context["figures"] is None
    assert context["turn_summary"] == "Tại hội nghị không có ý kiến phát biểu."


def test_conclusion_tasks_and_referrals(records):
    draft = draft_for(records.conference, DocumentType.NOTICE)
    context = compose.document_context(records.conference, draft)
    assert context["conclusion"] == [
        "Chủ tịch UBND phường tiếp thu ý kiến.",
        "Đề nghị các tổ dân phố tham gia giám sát.",
    ]
    assert context["tasks"] == [
        {
            "number": 1,
            "content": "Bồi dưỡng kỹ năng giao tiếp cho công chức một cửa.",
            "unit": "Bộ phận Một cửa",
            "deadline": "31/12/2020",
        },
        {
            "number": 2,
            "content": "Duy trì trả kết quả tại hộ gia đình.",
            "unit": "Bộ phận Một cửa",
            "deadline": "Thường xuyên",
        },
    ]
    assert context["referrals"] == [
        {
            "number": 1,
            "turn_number": 3,  # its number in the BB, the exports and the public pages
            "speaker": "Đại diện Hộ kinh doanh Q",
            "area": "",
            "question": QUESTIONS["business"],
            "unit": "Công chức Địa chính - Xây dựng",
            "due": "10/7/2020",
            "note": "Trả lời bằng văn bản cho hộ kinh doanh.",
        }
    ]
    assert context["figures"] is None  # the notice has no figures table
    assert context["closing"].endswith("biết, thực hiện./.")


# -- signatures and recipients -------------------------------------------------------------------


def test_signatures(records):
    conference = records.conference
    bb = compose.document_context(conference, draft_for(conference))
    assert bb["signatures"] == {
        "left": {"lines": ["THƯ KÝ"], "name": "Vũ Đức S"},
        "right": {"lines": ["CHỦ TỌA", "CHỦ TỊCH UBND PHƯỜNG"], "name": "Nguyễn Văn A"},
    }
    notice = draft_for(conference, DocumentType.NOTICE)
    tb = compose.document_context(conference, notice)
    assert tb["signatures"] == {
        "left": None,
        "right": {"lines": ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"], "name": "Nguyễn Văn A"},
    }
    # A vice-chair chairing signs on behalf of the chairman.
    conference.chair.title = "Phó Chủ tịch UBND phường"
    db.session.commit()
    tb = compose.document_context(conference, notice)
    assert tb["signatures"]["right"]["lines"] == [
        "TM. ỦY BAN NHÂN DÂN",
        "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH",
    ]


def test_the_secretary_who_submitted_signs(records, make_user):
    conference = records.conference
    other = make_user(Role.SECRETARY, display_name="Lê Văn T")
    conference.secretaries.append(other)
    db.session.commit()
    draft = draft_for(conference)
    # Without a submission the first secretary by name signs: "Lê Văn T" before "Vũ Đức S".
    assert compose.document_context(conference, draft)["secretary"] == "Lê Văn T"
    draft.submitted_by = records.secretary
    db.session.commit()
    context = compose.document_context(conference, draft)
    assert context["secretary"] == "Vũ Đức S"
    assert context["secretaries"] == ["Lê Văn T", "Vũ Đức S"]
    assert context["signatures"]["left"]["name"] == "Vũ Đức S"


def test_recipients_lose_the_punctuation_the_layout_adds(records):
    draft = draft_for(
        records.conference,
        recipients="- UBND quận Long Biên;\n\n  Thường trực Đảng ủy phường ;\n- Lưu: VT, Hồ sơ.",
    )
    assert compose.document_context(records.conference, draft)["recipients"] == [
        "UBND quận Long Biên",
        "Thường trực Đảng ủy phường",
        "Lưu: VT, Hồ sơ",
    ]


# -- default texts and missing parts --------------------------------------------------------------


def test_default_texts_of_the_minutes(records):
    records.ward.province = "Thành phố Hà Nội"
    texts = compose.default_texts(records.conference, DocumentType.MINUTES)
    opening = texts["opening"].split("\n")
    assert opening[0] == (
        "Thực hiện Kế hoạch số 39/KH-UBND ngày 07/02/2020 của UBND phường Thạch Bàn, vào hồi "
        "8 giờ 00 phút, ngày 30 tháng 6 năm 2020, tại Hội trường UBND phường Thạch Bàn, "
        f"Ủy ban nhân dân phường Thạch Bàn tổ chức {IN_SENTENCE}."
    )
    assert "Đồng chí Nguyễn Văn A - Phó Bí thư Đảng ủy, Chủ tịch UBND phường" in opening[1]
    summary = texts["report_summary"]
    assert summary.startswith("Đồng chí Trần Thị B - Phó Chủ tịch UBND phường trình bày báo cáo")
    assert "tiếp nhận 2.685 hồ sơ, trong đó 568 hồ sơ trực tuyến (21,2%)" in summary
    assert "không có hồ sơ quá hạn" in summary
    assert texts["conclusion"] == records.conference.conclusion
    assert texts["recipients"].split("\n") == [
        # The superior level since 7/2025: the province or city of the ward's settings.
        "UBND thành phố Hà Nội (để báo cáo)",
        "Thường trực Đảng ủy, HĐND phường",
        "Ủy ban MTTQ phường",
        "Các tổ dân phố",
        "Lưu: VT, Hồ sơ",
    ]


def test_recipients_never_name_a_district(records):
    records.ward.province = ""
    records.ward.parent_agency = ""
    recipients = compose.default_recipients(records.conference, DocumentType.MINUTES)
    assert not any("quận" in line for line in recipients)
    assert recipients[0] == "Thường trực Đảng ủy, HĐND phường"


def test_leaders_are_named_with_title_and_body(records, make_person):
    front = make_person(full_name="Lê Văn M", title="Chủ tịch", organisation="Ủy ban MTTQ phường")
    records.conference.cochairs = [front]
    db.session.commit()
    context = compose.document_context(records.conference, draft_for(records.conference))
    texts = [person["text"] for person in context["attendance"]["leaders"]]
    assert "Đồng chí Lê Văn M - Chủ tịch Ủy ban MTTQ phường" in texts
    assert "Đồng chí Nguyễn Văn A - Phó Bí thư Đảng ủy, Chủ tịch UBND phường" in texts


def test_default_texts_of_the_notice(records):
    records.ward.parent_agency = "UBND quận Long Biên"
    texts = compose.default_texts(records.conference, "TB")
    assert texts["opening"].split("\n")[-1] == (
        "Sau khi nghe báo cáo kết quả công tác cải cách thủ tục hành chính 6 tháng đầu năm 2020 "
        "và 4 lượt ý kiến phát biểu của các đại biểu, Chủ tịch UBND phường kết luận như sau:"
    )
    assert "Dự hội nghị có 9 người, gồm các đại biểu" in texts["opening"]
    assert texts["report_summary"] == ""
    recipients = texts["recipients"].split("\n")
    assert (
        recipients[0] == "UBND quận Long Biên (để báo cáo)" and recipients[-1] == "Lưu: VT, Hồ sơ"
    )


def test_draft_or_defaults_stands_in_without_saving(records):
    stand_in = compose.draft_or_defaults(records.conference, "BB")
    assert stand_in.opening.startswith("Thực hiện Kế hoạch số 39/KH-UBND")
    assert stand_in not in db.session
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MinutesDraft)) == 0
    saved = draft_for(records.conference)
    assert compose.draft_or_defaults(records.conference, "BB", saved) is saved
    with pytest.raises(ValueError):
        compose.document_context(records.conference, None)


def test_nothing_missing_from_a_complete_document(records):
    assert compose.missing_parts(records.conference, draft_for(records.conference)) == []
    notice = draft_for(records.conference, DocumentType.NOTICE)
    assert compose.missing_parts(records.conference, notice) == []


def test_missing_parts_are_named(ward, make_conference):
    conference = make_conference(venue="", status=ConferenceStatus.CLOSED)
    minutes = MinutesDraft(conference=conference, doc_type=DocumentType.MINUTES)
    db.session.add(minutes)
    db.session.commit()
    assert compose.missing_parts(conference, minutes) == [
        "the end time",
        "the venue",
        "the chair",
        "the secretary",
        "the conclusion",
        "at least one recipient",
    ]
    notice = MinutesDraft(conference=conference, doc_type=DocumentType.NOTICE, recipients=" ;\n")
    assert compose.missing_parts(conference, notice) == [
        "the assessment that opens the notice",
        "the chair",
        "the conclusion",
        "at least one recipient",
    ]


def test_the_reporters_other_results_follow_the_figures(records):
    from dialogue.dossier.operations import report_of
    from dialogue.minutes import render

    report_of(
        records.conference
    ).other_results = "Trả kết quả đăng ký khai sinh tại nhà: 45 trường hợp.\n\n"
    context = compose.document_context(records.conference, draft_for(records.conference))
    assert context["figures"]["other_results"] == [
        "Trả kết quả đăng ký khai sinh tại nhà: 45 trường hợp."
    ]
    html = render.render_document_html(context)
    table_end = html.index("</table>", html.index("doc-figures"))
    assert html.index("Kết quả khác trong kỳ:") > table_end
    assert "- Trả kết quả đăng ký khai sinh tại nhà: 45 trường hợp." in html


def test_a_referrals_note_is_in_the_minutes_too(records):
    from dialogue.minutes import render

    referred = db.session.scalar(sa.select(Turn).where(Turn.outcome == TurnOutcome.REFERRED))
    referred.referral_note = "Trả lời trước khi cấp giấy chứng nhận."
    context = compose.document_context(records.conference, draft_for(records.conference))
    html = render.render_document_html(context)
    assert "Yêu cầu: Trả lời trước khi cấp giấy chứng nhận." in html


def test_the_groups_table_has_a_total_row(records):
    from dialogue.minutes import render

    context = compose.document_context(records.conference, draft_for(records.conference))
    html = render.render_document_html(context)
    groups = html[html.index("Số người dự theo tổ dân phố") :]
    groups = groups[: groups.index("</table>")]
    assert "Tổng cộng" in groups
