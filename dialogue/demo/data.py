"""The demo ward, modelled on the Thạch Bàn dialogue conference of 30 June 2020.

Every personal name is a placeholder in the Vietnamese convention (Nguyễn Văn A, Trần Thị B, …);
phone numbers are fake and kept only for people who consented.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from itertools import count
from zoneinfo import ZoneInfo

WARD_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

WARD = {
    "name": "Thạch Bàn",
    "slug": "thach-ban",
    "place_name": "Thạch Bàn",
    "province": "Thành phố Hà Nội",
    "address": "Trụ sở UBND phường Thạch Bàn (địa chỉ mẫu)",
}

GROUP_COUNT = 15

# (name, short name)
UNITS = (
    ("Văn phòng HĐND-UBND", "VP"),
    ("Bộ phận Một cửa", "1C"),
    ("Công chức Tư pháp - Hộ tịch", "TP-HT"),
    ("Công chức Địa chính - Xây dựng", "ĐC-XD"),
    ("Công chức Văn hóa - Xã hội", "VH-XH"),
    ("Công an phường", "CA"),
)

_SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ")
_MIDDLE_NAMES = ("Văn", "Thị", "Đức", "Minh")
_LETTERS = (
    "A",
    "B",
    "C",
    "D",
    "Đ",
    "E",
    "G",
    "H",
    "K",
    "L",
    "M",
    "N",
    "P",
    "Q",
    "S",
    "T",
    "V",
    "X",
    "Y",
)


def placeholder_name(n: int) -> str:
    """Return the ``n``-th placeholder name: Nguyễn Văn A, Trần Thị B, …, then Đ2, E2, …

    Distinct ``n`` give distinct names: the letter and its number alone tell ``n`` apart.
    """
    letter = _LETTERS[n % len(_LETTERS)]
    round_ = n // len(_LETTERS)
    suffix = str(round_ + 1) if round_ else ""
    return (
        f"{_SURNAMES[n % len(_SURNAMES)]} {_MIDDLE_NAMES[n % len(_MIDDLE_NAMES)]} {letter}{suffix}"
    )


@dataclass(frozen=True)
class DemoPerson:
    key: str  # how the seed refers to this person (chair, reporter, …); unique
    full_name: str
    title: str
    category: str  # delegate category code
    organisation: str = ""
    group: int | None = None  # residential group number
    unit: str | None = None  # the unit this person heads, if any
    has_consent: bool = False
    phone: str = ""


def _business_names() -> list[tuple[str, str]]:
    """Return 32 (organisation, title of its representative) pairs."""
    kinds = (
        ("Công ty TNHH Thương mại", "Giám đốc"),
        ("Hộ kinh doanh", "Chủ hộ kinh doanh"),
        ("Công ty Cổ phần Xây dựng", "Giám đốc"),
        ("Hộ kinh doanh", "Chủ hộ kinh doanh"),
        ("Công ty TNHH Dịch vụ Vận tải", "Phó Giám đốc"),
        ("Hộ kinh doanh", "Chủ hộ kinh doanh"),
        ("Hợp tác xã Dịch vụ", "Chủ nhiệm"),
        ("Công ty TNHH Sản xuất", "Giám đốc"),
    )
    names = []
    for n in range(32):
        kind, title = kinds[n % len(kinds)]
        letter = _LETTERS[n % len(_LETTERS)]
        suffix = str(n // len(_LETTERS) + 1) if n >= len(_LETTERS) else ""
        names.append((f"{kind} {letter}{suffix}", title))
    return names


def people() -> list[DemoPerson]:
    """Return 121 people spread over the 15 groups and the delegate categories."""
    names = (placeholder_name(n) for n in count())
    phones = count(1)
    result: list[DemoPerson] = []

    def add(key, title, category, *, organisation="", group=None, unit=None, consent=False):
        phone = f"0900 000 {next(phones):03d}" if consent else ""
        result.append(
            DemoPerson(
                key=key,
                full_name=next(names),
                title=title,
                category=category,
                organisation=organisation,
                group=group,
                unit=unit,
                has_consent=consent,
                phone=phone,
            )
        )

    ward = "phường Thạch Bàn"
    # Leaders of the ward.
    add(
        "chair",
        "Phó Bí thư Đảng ủy, Chủ tịch UBND phường",
        "UBND",
        organisation=f"UBND {ward}",
        consent=True,
    )
    add(
        "reporter",
        "Phó Chủ tịch UBND phường, Trưởng Bộ phận một cửa",
        "UBND",
        organisation=f"UBND {ward}",
        unit="Bộ phận Một cửa",
        consent=True,
    )
    add("vice_chair", "Phó Chủ tịch UBND phường", "UBND", organisation=f"UBND {ward}", consent=True)
    add("party_secretary", "Bí thư Đảng ủy phường", "DANG_UY", organisation=f"Đảng ủy {ward}")
    add(
        "council_chair",
        "Chủ tịch HĐND phường",
        "TT_HDND",
        organisation=f"HĐND {ward}",
        consent=True,
    )
    add("council_vice_chair", "Phó Chủ tịch HĐND phường", "TT_HDND", organisation=f"HĐND {ward}")
    add(
        "front_chair",
        "Chủ tịch UBMTTQ phường",
        "MTTQ",
        organisation=f"UBMTTQ Việt Nam {ward}",
        consent=True,
    )
    # Heads of the mass organisations.
    for key, title in (
        ("women", "Chủ tịch Hội Liên hiệp Phụ nữ phường"),
        ("veterans", "Chủ tịch Hội Cựu chiến binh phường"),
        ("farmers", "Chủ tịch Hội Nông dân phường"),
        ("youth", "Bí thư Đoàn Thanh niên phường"),
    ):
        add(key, title, "DOAN_THE", organisation=ward)
    # Civil servants who answer questions.
    add(
        "office",
        "Chánh Văn phòng HĐND-UBND phường",
        "CONG_CHUC",
        organisation=f"UBND {ward}",
        unit="Văn phòng HĐND-UBND",
    )
    add(
        "justice",
        "Công chức Tư pháp - Hộ tịch",
        "CONG_CHUC",
        organisation=f"UBND {ward}",
        unit="Công chức Tư pháp - Hộ tịch",
    )
    add(
        "land",
        "Công chức Địa chính - Xây dựng",
        "CONG_CHUC",
        organisation=f"UBND {ward}",
        unit="Công chức Địa chính - Xây dựng",
    )
    add("office_staff", "Công chức Văn phòng - Thống kê", "CONG_CHUC", organisation=f"UBND {ward}")
    add(
        "culture",
        "Công chức Văn hóa - Xã hội",
        "CONG_CHUC",
        organisation=f"UBND {ward}",
        unit="Công chức Văn hóa - Xã hội",
    )
    # One head and one party cell secretary for each residential group.
    for number in range(1, GROUP_COUNT + 1):
        add(
            f"head_{number}",
            f"Tổ trưởng tổ dân phố số {number}",
            "TO_TRUONG",
            group=number,
            consent=True,
        )
    for number in range(1, GROUP_COUNT + 1):
        add(f"cell_{number}", f"Bí thư chi bộ tổ dân phố số {number}", "BT_CHI_BO", group=number)
    # Heads of the Front work committees of some groups.
    for number in range(1, GROUP_COUNT + 1, 2):
        add(
            f"front_{number}",
            f"Trưởng Ban công tác Mặt trận tổ dân phố số {number}",
            "BCT_MT",
            group=number,
        )
    # Members of the People's Inspection Board.
    for n in range(10):
        title = "Trưởng Ban Thanh tra nhân dân" if n == 0 else "Thành viên Ban Thanh tra nhân dân"
        add(f"inspection_{n + 1}", title, "BTTND", group=n % GROUP_COUNT + 1)
    # Businesses and household businesses that often deal with the one-stop desk.
    for n, (organisation, title) in enumerate(_business_names()):
        add(
            f"business_{n + 1}",
            title,
            "DOANH_NGHIEP",
            organisation=organisation,
            group=(n * 7) % GROUP_COUNT + 1,
            consent=n % 2 == 0,
        )
    # Residents who regularly file procedures.
    for n in range(25):
        add(
            f"resident_{n + 1}", "", "NHAN_DAN", group=(n * 4) % GROUP_COUNT + 1, consent=n % 3 == 0
        )
    return result


def group_name(number: int) -> str:
    return f"Tổ dân phố số {number}"


# Staff accounts: (username, role, display name, key of the person they are, unit name)
ACCOUNTS = (
    ("admin", "administrator", "Quản trị hệ thống", None, None),
    ("organiser", "organiser", None, "office", "Văn phòng HĐND-UBND"),
    ("secretary", "secretary", None, "office_staff", "Văn phòng HĐND-UBND"),
    ("chair", "chair", None, "chair", None),
    ("responder", "responder", None, "land", "Công chức Địa chính - Xây dựng"),
)


def _local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=WARD_TZ)


CONFERENCE = {
    "title": "Hội nghị đối thoại về cải cách thủ tục hành chính 6 tháng đầu năm 2020",
    "subject": (
        "Hội nghị đối thoại giữa Chủ tịch UBND phường với Nhân dân, doanh nghiệp "
        "về cải cách thủ tục hành chính 6 tháng đầu năm 2020"
    ),
    "plan_number": "39/KH-UBND",
    "plan_date": date(2020, 2, 7),
    "reporting_period": "6 tháng đầu năm 2020",
    "start_dt": _local(2020, 6, 30, 8),
    "planned_end_dt": _local(2020, 6, 30, 11),
    "venue": "Hội trường UBND phường Thạch Bàn",
}
# The seed is history: the conference took place and was closed that morning.
CONFERENCE_CLOSED_DT = _local(2020, 6, 30, 11)
CONFERENCE_ROLES = {
    "chair": "chair",
    "reporter": "reporter",
    "cochairs": ("council_chair", "front_chair"),
    "secretaries": ("secretary",),  # usernames
}

AGENDA_2020 = (
    ("Tuyên bố lý do, giới thiệu đại biểu", "Văn phòng HĐND-UBND", 10),
    ("Báo cáo kết quả công tác cải cách thủ tục hành chính 6 tháng đầu năm 2020", "reporter", 20),
    ("Đối thoại giữa Chủ tịch UBND phường với Nhân dân, doanh nghiệp", "chair", 120),
    ("Chủ tịch UBND phường kết luận hội nghị", "chair", 20),
    ("Bế mạc hội nghị", "Văn phòng HĐND-UBND", 10),
)

# About 90 of the invited came, arriving between 7:25 and 8:05; a few sent apologies; three
# residents walked in. The figures are illustrative, not from the report.
PRESENT_2020 = 90
EXCUSED_2020 = 5
ARRIVALS_FROM = _local(2020, 6, 30, 7, 25)
WALK_INS_2020 = (
    ("Nguyễn Thị X1", 9, ""),
    ("Trần Văn X2", 5, ""),
    ("Phạm Thị X3", None, "Hộ kinh doanh Tạp hóa X3"),
)

# The one-stop desk's figures for the first half of 2020, as the report gives them.
DOSSIER_2020 = {
    "received_online": 568,
    "received_desk": 2117,
    "resolved_on_time": 2668,
    "pending_within": 17,
    "early_count": 450,
    "early_base": 852,
    "early_measure": "trước hạn 4 giờ trở lên",
    "early_base_definition": "hồ sơ hành chính có phiếu hẹn và hồ sơ dịch vụ công",
}

# A conference still to come, announced, for trying the workflow: held 21 days after the
# demo is loaded, at 8:00, under a placeholder plan.
NEXT_CONFERENCE = {
    "title": "Hội nghị đối thoại về cải cách thủ tục hành chính (kỳ tới)",
    "subject": (
        "Hội nghị đối thoại giữa Chủ tịch UBND phường với Nhân dân, doanh nghiệp "
        "về cải cách thủ tục hành chính"
    ),
    "plan_number": "112/KH-UBND",
    "reporting_period": "6 tháng gần nhất",
    "venue": "Hội trường UBND phường Thạch Bàn",
}
NEXT_CONFERENCE_DAYS_AHEAD = 21
NEXT_AGENDA = (
    ("Tuyên bố lý do, giới thiệu đại biểu", "Văn phòng HĐND-UBND", 10),
    ("Báo cáo kết quả công tác cải cách thủ tục hành chính trong kỳ", "reporter", 20),
    ("Đối thoại giữa Chủ tịch UBND phường với Nhân dân, doanh nghiệp", "chair", 120),
    ("Kết luận và bế mạc", "chair", 20),
)
