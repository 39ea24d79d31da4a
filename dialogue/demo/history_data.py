"""What the demo's history is made of: two more wards, each ward's character, and the texts.

The conferences of 2021 to the first half of 2026 are drawn from these with a fixed seed
(``dialogue.demo.history``). The questions are the ones residents of a Hà Nội ward ask year
after year; the answers state the law as it stood at the conference (``era``: before or after
the two-level local government of 1 July 2025, which moved several procedures to the ward).
Every personal name is a placeholder, as in ``dialogue.demo.data``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from dialogue.demo.data import UNITS, placeholder_name

FIRST_YEAR = 2021
# The last half-year the history covers: the first half of 2026.
LAST_HALF = (2026, 1)
# Since 1 July 2025 there are no districts: texts of conferences held from then name none.
TWO_LEVEL_SINCE = date(2025, 7, 1)

_LAND = "Công chức Địa chính - Xây dựng"
_JUSTICE = "Công chức Tư pháp - Hộ tịch"
_SOCIAL = "Công chức Văn hóa - Xã hội"
_DESK = "Bộ phận Một cửa"
_OFFICE = "Văn phòng HĐND-UBND"


@dataclass(frozen=True)
class Character:
    """How a ward holds its conferences, as the figures of a comparison will show it."""

    seed: int
    # Half-years (year, 1 or 2) in which the ward held no conference.
    missed: frozenset[tuple[int, int]] = frozenset()
    present: tuple[int, int] = (75, 110)
    turns: tuple[int, int] = (7, 12)
    referred_share: float = 0.25
    # Of the referrals of conferences before the last two: answered late, one in so many.
    late_one_in: int = 6
    # Referrals of the last two conferences still unanswered, at most.
    unanswered_at_most: int = 2
    # Dossiers received in the first half of 2021, and their growth per half-year.
    dossiers: int = 2600
    growth: float = 0.03
    late_rate: float = 0.002
    overdue_rate: float = 0.0
    # Survey answers' score weights (5 … 1); a conference without a survey, one in so many.
    score_weights: tuple[int, int, int, int, int] = (36, 48, 10, 5, 1)
    no_survey_one_in: int = 4
    rating_weights: tuple[int, int, int] = (34, 52, 14)
    # Half-years whose minutes were published after the ten days; the last ones unpublished.
    published_late: frozenset[tuple[int, int]] = frozenset()
    unpublished: frozenset[tuple[int, int]] = frozenset()
    # Conferences held before this year were typed in from the paper file in its January
    # (recorded afterwards: no notice or check-in here, results posted on paper).
    recorded_before: int | None = None
    # The next plan number is drawn from these ranges, by half-year.
    plan_numbers: tuple[tuple[int, int], tuple[int, int]] = ((12, 40), (140, 190))


THACH_BAN = Character(
    seed=20210630,
    published_late=frozenset({(2022, 2)}),
    # Clear of the demo's own plans (39, 86 and 112/KH-UBND).
    plan_numbers=((10, 35), (140, 190)),
)


@dataclass(frozen=True)
class HistoryWard:
    slug: str
    name: str
    address: str
    groups: int
    mail_domain: str
    name_offset: int  # where its people's placeholder names start, so all stay distinct
    character: Character
    businesses: int = 20
    residents: int = 24
    # (username suffix, role, key of the person the account is, unit name)
    accounts: tuple[tuple[str, str, str, str | None], ...] = field(
        default=(
            ("organiser", "organiser", "office", _OFFICE),
            ("secretary", "secretary", "office_staff", _OFFICE),
            ("chair", "chair", "chair", None),
            ("responder", "responder", "land", _LAND),
        )
    )

    @property
    def prefix(self) -> str:
        return self.slug.replace("-", "")

    def username(self, suffix: str) -> str:
        return f"{self.prefix}-{suffix}"

    @property
    def usernames(self) -> tuple[str, ...]:
        return tuple(self.username(suffix) for suffix, *_rest in self.accounts)


# Two wards of the same city, as real as their names (both in the former Long Biên district,
# wards of Hà Nội under the same names since 1 July 2025); everything else is made up.
# Phúc Lợi holds every conference and answers on time; Bồ Đề missed the second half of 2025,
# lets more referrals run late and is rated lower. Both began using the application in 2024
# and typed in their earlier conferences from the paper file.
OTHER_WARDS = (
    HistoryWard(
        slug="phuc-loi",
        name="Phúc Lợi",
        address="Trụ sở UBND phường Phúc Lợi (địa chỉ mẫu)",
        groups=18,
        mail_domain="phuong-phucloi.example",
        name_offset=400,
        character=Character(
            seed=20210701,
            present=(80, 118),
            turns=(8, 14),
            referred_share=0.22,
            late_one_in=9,
            unanswered_at_most=1,
            dossiers=3100,
            growth=0.035,
            late_rate=0.001,
            score_weights=(42, 46, 8, 3, 1),
            no_survey_one_in=6,
            rating_weights=(40, 50, 10),
            published_late=frozenset({(2024, 1)}),
            recorded_before=2024,
        ),
    ),
    HistoryWard(
        slug="bo-de",
        name="Bồ Đề",
        address="Trụ sở UBND phường Bồ Đề (địa chỉ mẫu)",
        groups=22,
        mail_domain="phuong-bode.example",
        name_offset=800,
        character=Character(
            seed=20210702,
            missed=frozenset({(2025, 2)}),
            present=(60, 92),
            turns=(6, 10),
            referred_share=0.4,
            late_one_in=3,
            unanswered_at_most=3,
            dossiers=3400,
            growth=0.02,
            late_rate=0.012,
            overdue_rate=0.003,
            score_weights=(18, 42, 22, 13, 5),
            no_survey_one_in=2,
            rating_weights=(22, 50, 28),
            published_late=frozenset({(2023, 2)}),
            unpublished=frozenset({(2026, 1)}),
            plan_numbers=((20, 60), (150, 230)),
            recorded_before=2024,
        ),
    ),
)

HISTORY_USERNAMES = tuple(name for ward in OTHER_WARDS for name in ward.usernames)


# -- a ward's directory -------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    key: str
    title: str
    category: str
    organisation: str = ""
    group: int | None = None
    unit: str | None = None


def directory(ward: HistoryWard) -> list[tuple[Member, str]]:
    """Return the ward's people, each with a placeholder name no other ward uses."""
    place = f"phường {ward.name}"
    members: list[Member] = [
        Member("chair", "Phó Bí thư Đảng ủy, Chủ tịch UBND phường", "UBND", f"UBND {place}"),
        Member(
            "reporter",
            "Phó Chủ tịch UBND phường, Trưởng Bộ phận Một cửa",
            "UBND",
            f"UBND {place}",
            unit=_DESK,
        ),
        Member("vice_chair", "Phó Chủ tịch UBND phường", "UBND", f"UBND {place}"),
        Member("party_secretary", "Bí thư Đảng ủy phường", "DANG_UY", f"Đảng ủy {place}"),
        Member("council_chair", "Chủ tịch HĐND phường", "TT_HDND", f"HĐND {place}"),
        Member("front_chair", "Chủ tịch UBMTTQ phường", "MTTQ", f"UBMTTQ Việt Nam {place}"),
        Member("women", "Chủ tịch Hội Liên hiệp Phụ nữ phường", "DOAN_THE", place),
        Member("veterans", "Chủ tịch Hội Cựu chiến binh phường", "DOAN_THE", place),
        Member("youth", "Bí thư Đoàn Thanh niên phường", "DOAN_THE", place),
        Member(
            "office", "Chánh Văn phòng HĐND-UBND phường", "CONG_CHUC", f"UBND {place}", unit=_OFFICE
        ),
        Member("justice", _JUSTICE, "CONG_CHUC", f"UBND {place}", unit=_JUSTICE),
        Member("land", _LAND, "CONG_CHUC", f"UBND {place}", unit=_LAND),
        Member("office_staff", "Công chức Văn phòng - Thống kê", "CONG_CHUC", f"UBND {place}"),
        Member("culture", _SOCIAL, "CONG_CHUC", f"UBND {place}", unit=_SOCIAL),
    ]
    for number in range(1, ward.groups + 1):
        members.append(
            Member(f"head_{number}", f"Tổ trưởng tổ dân phố số {number}", "TO_TRUONG", group=number)
        )
    for number in range(1, ward.groups + 1):
        members.append(
            Member(
                f"cell_{number}", f"Bí thư chi bộ tổ dân phố số {number}", "BT_CHI_BO", group=number
            )
        )
    for number in range(1, ward.groups + 1, 3):
        members.append(
            Member(
                f"front_{number}",
                f"Trưởng Ban công tác Mặt trận tổ dân phố số {number}",
                "BCT_MT",
                group=number,
            )
        )
    for n in range(6):
        title = "Trưởng Ban Thanh tra nhân dân" if n == 0 else "Thành viên Ban Thanh tra nhân dân"
        members.append(Member(f"inspection_{n + 1}", title, "BTTND", group=n * 3 % ward.groups + 1))
    kinds = (
        ("Hộ kinh doanh", "Chủ hộ kinh doanh"),
        ("Công ty TNHH Thương mại và Dịch vụ", "Giám đốc"),
        ("Hộ kinh doanh", "Chủ hộ kinh doanh"),
        ("Công ty Cổ phần Đầu tư", "Phó Giám đốc"),
    )
    for n in range(ward.businesses):
        kind, title = kinds[n % len(kinds)]
        members.append(
            Member(
                f"business_{n + 1}",
                title,
                "DOANH_NGHIEP",
                organisation=f"{kind} {ward.name} {n + 1:02d}",
                group=(n * 5) % ward.groups + 1,
            )
        )
    for n in range(ward.residents):
        members.append(Member(f"resident_{n + 1}", "", "NHAN_DAN", group=(n * 7) % ward.groups + 1))
    return [(member, placeholder_name(ward.name_offset + n)) for n, member in enumerate(members)]


def units() -> tuple[tuple[str, str], ...]:
    """The same units as the demo ward: a ward's civil servants before the 2025 reform."""
    return UNITS


# -- the conference's texts ---------------------------------------------------------------------

BEFORE, AFTER = "before", "after"


@dataclass(frozen=True)
class Referred:
    unit: str
    note: str
    letter: str  # the body of the written answer, one paragraph a line


@dataclass(frozen=True)
class Template:
    """One question residents ask, and how the ward answered it.

    ``{group}`` is the speaker's residential group number, ``{org}`` the business speaking;
    ``speaker`` is "resident", "head" or "business"; ``answerer`` a directory key.
    """

    area: str
    speaker: str
    question: str
    answerer: str
    answer: str
    referred: Referred | None = None
    era: str | None = None


TEMPLATES = (
    # -- civil status and certification ---------------------------------------------------------
    Template(
        "HT",
        "resident",
        "Con tôi mới sinh được hai tuần. Xin hỏi gia đình đăng ký khai sinh trực tuyến thì cần "
        "chuẩn bị những giấy tờ gì và bao lâu thì nhận được kết quả?",
        "justice",
        "Gia đình nộp hồ sơ trên Cổng Dịch vụ công, kèm bản chụp giấy chứng sinh và giấy tờ tùy "
        "thân của cha, mẹ. Hồ sơ đầy đủ được giải quyết ngay trong ngày làm việc; đăng ký khai "
        "sinh đúng hạn không mất lệ phí. Bản chính giấy khai sinh được gửi qua bưu chính hoặc "
        "gia đình nhận tại Bộ phận Một cửa phường.",
    ),
    Template(
        "HT",
        "resident",
        "Tôi cần giấy xác nhận tình trạng hôn nhân để làm thủ tục vay vốn ngân hàng. Xin hỏi có "
        "phải về nơi thường trú cũ để xác minh không?",
        "justice",
        "Công dân nộp tờ khai tại phường nơi đang thường trú hoặc nộp trực tuyến. Nếu trước đây "
        "đã thường trú ở nhiều nơi, công dân tự cam đoan về tình trạng hôn nhân trong thời gian "
        "đó, không phải về nơi cũ xin xác nhận; trường hợp cần xác minh, phường làm việc trực "
        "tiếp với nơi cũ. Giấy xác nhận có giá trị 6 tháng kể từ ngày cấp.",
    ),
    Template(
        "HT",
        "head",
        "Một số cụ cao tuổi ở tổ dân phố số {group} không còn bản chính giấy khai sinh, nay cần "
        "bản sao để làm thủ tục. Đề nghị phường hướng dẫn cách xin cấp lại.",
        "justice",
        "Trường hợp việc khai sinh đã đăng ký tại phường và sổ hộ tịch còn lưu, công dân đề nghị "
        "cấp bản sao trích lục khai sinh tại bất kỳ cơ quan đăng ký hộ tịch nào có cơ sở dữ liệu, "
        "không phải về nơi đã đăng ký. Nếu sổ không còn lưu thì làm thủ tục đăng ký lại khai "
        "sinh. Công chức Tư pháp - Hộ tịch sẽ đến tổ dân phố hướng dẫn các cụ.",
    ),
    Template(
        "CTH",
        "resident",
        "Đề nghị phường cho biết có thể chứng thực bản sao điện tử từ bản chính để nộp hồ sơ trực "
        "tuyến không, lệ phí bao nhiêu?",
        "justice",
        "Phường đã thực hiện chứng thực bản sao điện tử từ bản chính: công dân mang bản chính đến "
        "Bộ phận Một cửa, bản sao điện tử được ký số và gửi vào tài khoản trên Cổng Dịch vụ công "
        "để dùng cho các hồ sơ trực tuyến. Lệ phí như chứng thực bản sao giấy: 2.000 đồng/trang, "
        "từ trang thứ ba 1.000 đồng/trang.",
    ),
    Template(
        "CTH",
        "business",
        "{org} thường xuyên phải chứng thực hợp đồng, giấy tờ. Đề nghị phường bố trí thêm người "
        "tiếp nhận vào sáng thứ Hai, vì lúc đó thường phải chờ lâu.",
        "reporter",
        "Bộ phận Một cửa tiếp thu ý kiến. Từ tháng tới, vào sáng thứ Hai và ngày đầu tháng, phường "
        "bố trí thêm một công chức tiếp nhận hồ sơ chứng thực; đồng thời khuyến khích tổ chức, "
        "công dân đặt lịch hẹn trước qua số điện thoại niêm yết tại Bộ phận Một cửa.",
    ),
    # -- residence and identity ----------------------------------------------------------------
    Template(
        "CTCA",
        "resident",
        "Sổ hộ khẩu giấy không còn được sử dụng. Khi làm thủ tục hành chính, tôi chứng minh nơi "
        "cư trú bằng giấy tờ gì?",
        "vice_chair",
        "Thông tin cư trú đã được cập nhật trong Cơ sở dữ liệu quốc gia về dân cư. Cơ quan giải "
        "quyết thủ tục tra cứu bằng số định danh cá nhân, qua thẻ căn cước hoặc tài khoản định "
        "danh điện tử VNeID; công dân không phải nộp giấy xác nhận cư trú. Công an phường hỗ trợ "
        "công dân kích hoạt tài khoản định danh điện tử tại trụ sở.",
    ),
    Template(
        "CTCA",
        "head",
        "Nhiều người thuê trọ ở tổ dân phố số {group} chưa đăng ký tạm trú. Chủ nhà trọ có thể "
        "khai báo giúp trên mạng không?",
        "vice_chair",
        "Người thuê trọ tự đăng ký tạm trú trên Cổng Dịch vụ công hoặc ứng dụng VNeID, kèm hợp "
        "đồng thuê nhà; chủ nhà trọ có thể làm thay khi được ủy quyền. Công an phường sẽ phối "
        "hợp với tổ dân phố số {group} tổ chức một buổi hướng dẫn tại nhà văn hóa tổ dân phố.",
    ),
    # -- land ----------------------------------------------------------------------------------
    Template(
        "DD",
        "resident",
        "Gia đình tôi muốn tách thửa đất ở để tặng cho con. Xin hỏi diện tích tối thiểu được tách "
        "thửa là bao nhiêu và hồ sơ nộp ở đâu?",
        "land",
        "Diện tích tối thiểu được tách thửa đối với đất ở tại các phường theo quy định của UBND "
        "Thành phố là 30 m², cạnh mặt tiền và chiều sâu từ 3 m trở lên. Hồ sơ tách thửa nộp tại "
        "Bộ phận Một cửa hoặc trên Cổng Dịch vụ công; công chức Địa chính - Xây dựng kiểm tra "
        "hiện trạng trước khi chuyển Văn phòng đăng ký đất đai.",
    ),
    Template(
        "DD",
        "head",
        "Một số hộ ở tổ dân phố số {group} đã nộp hồ sơ cấp giấy chứng nhận quyền sử dụng đất lần "
        "đầu từ lâu nhưng chưa có kết quả. Đề nghị phường cho biết nguyên nhân và thời gian giải "
        "quyết.",
        "land",
        "Phường cần rà soát từng hồ sơ trên hệ thống và làm việc với Văn phòng đăng ký đất đai nên "
        "chưa trả lời cụ thể được tại hội nghị.",
        Referred(
            _LAND,
            "Rà soát các hồ sơ cấp giấy chứng nhận lần đầu của tổ dân phố số {group}, thông báo "
            "kết quả và thời gian giải quyết từng hồ sơ.",
            "Thực hiện kết luận của Chủ tịch UBND phường tại Hội nghị đối thoại, công chức Địa "
            "chính - Xây dựng đã rà soát các hồ sơ đề nghị cấp Giấy chứng nhận quyền sử dụng đất "
            "lần đầu của các hộ thuộc tổ dân phố số {group}.\n"
            "Các hồ sơ đã đủ điều kiện được UBND phường xác nhận nguồn gốc, thời điểm sử dụng đất, "
            "niêm yết công khai và chuyển Văn phòng đăng ký đất đai; các hộ sẽ nhận thông báo nghĩa "
            "vụ tài chính trong thời hạn quy định.\n"
            "Các hồ sơ còn thiếu giấy tờ hoặc có tranh chấp ranh giới đã được thông báo bằng văn "
            "bản cho từng hộ, kèm hướng dẫn bổ sung. Công chức Địa chính - Xây dựng tiếp công dân "
            "vào sáng thứ Ba và thứ Năm hằng tuần tại Bộ phận Một cửa.",
        ),
    ),
    Template(
        "DD",
        "resident",
        "Nhà tôi đã có giấy chứng nhận, nay muốn chuyển mục đích phần đất vườn liền kề sang đất "
        "ở. Thủ tục thế nào và tiền sử dụng đất được tính ra sao?",
        "land",
        "Việc chuyển mục đích sử dụng đất vườn sang đất ở phải phù hợp quy hoạch sử dụng đất đã "
        "được phê duyệt. Hộ gia đình nộp đơn tại Bộ phận Một cửa; tiền sử dụng đất bằng chênh lệch "
        "giữa giá đất ở và giá đất vườn theo bảng giá đất của Thành phố. Công chức Địa chính - Xây "
        "dựng sẽ kiểm tra quy hoạch của thửa đất và hướng dẫn gia đình.",
        era=BEFORE,
    ),
    Template(
        "DD",
        "resident",
        "Từ khi có Luật Đất đai năm 2024, gia đình tôi làm thủ tục đính chính thông tin trên giấy "
        "chứng nhận thì nộp hồ sơ ở đâu, có phải nộp bản gốc giấy chứng nhận không?",
        "land",
        "Hồ sơ đính chính nộp tại Bộ phận Một cửa phường hoặc trên Cổng Dịch vụ công, kèm bản gốc "
        "giấy chứng nhận đã cấp. Văn phòng đăng ký đất đai kiểm tra, đính chính và trả kết quả; "
        "nếu sai sót do cơ quan nhà nước thì người dân không phải nộp phí.",
        era=AFTER,
    ),
    Template(
        "DD",
        "head",
        "Hồ sơ đăng ký biến động đất đai của một số hộ ở tổ dân phố số {group} đã quá hạn trả kết "
        "quả nhưng không được báo lý do. Đề nghị phường kiểm tra.",
        "reporter",
        "Bộ phận Một cửa ghi nhận phản ánh; phải tra cứu từng hồ sơ và làm việc với Văn phòng đăng "
        "ký đất đai nên chưa trả lời ngay được.",
        Referred(
            _LAND,
            "Kiểm tra tiến độ các hồ sơ quá hạn, nguyên nhân và trả lời bằng văn bản cho các hộ.",
            "Qua tra cứu trên hệ thống thông tin giải quyết thủ tục hành chính, các hồ sơ đăng ký "
            "biến động của các hộ thuộc tổ dân phố số {group} quá hạn do phải xác minh lại ranh "
            "giới thửa đất.\n"
            "Bộ phận Một cửa đã gửi phiếu xin lỗi và hẹn lại ngày trả kết quả cho từng hộ theo quy "
            "định. Các hồ sơ đã có kết quả được trả trong tuần; hồ sơ còn lại sẽ được trả trước "
            "ngày hẹn mới ghi trên phiếu.\n"
            "UBND phường đã chấn chỉnh việc thông báo cho công dân khi hồ sơ có nguy cơ quá hạn.",
        ),
    ),
    # -- construction and urban order ----------------------------------------------------------
    Template(
        "XD",
        "resident",
        "Gia đình tôi muốn sửa chữa, thay mái và lát lại nền nhà. Xin hỏi có phải xin giấy phép "
        "xây dựng không?",
        "land",
        "Sửa chữa, cải tạo bên trong nhà hoặc thay mái không làm thay đổi kết cấu chịu lực, công "
        "năng sử dụng và kiến trúc mặt ngoài thì được miễn giấy phép xây dựng. Gia đình thông báo "
        "với tổ dân phố trước khi thi công, che chắn bảo đảm vệ sinh môi trường và an toàn cho các "
        "nhà liền kề.",
    ),
    Template(
        "XD",
        "resident",
        "Gia đình tôi định xây lại nhà bốn tầng trên thửa đất đã có giấy chứng nhận. Xin hỏi hồ sơ "
        "xin giấy phép xây dựng nộp ở đâu và mất bao lâu?",
        "land",
        "Hồ sơ cấp giấy phép xây dựng nhà ở riêng lẻ nộp tại Bộ phận Một cửa UBND quận; thời hạn "
        "giải quyết không quá 15 ngày kể từ ngày nhận đủ hồ sơ hợp lệ. Công chức Địa chính - Xây "
        "dựng phường hướng dẫn gia đình chuẩn bị bản vẽ và các giấy tờ.",
        era=BEFORE,
    ),
    Template(
        "XD",
        "resident",
        "Nay không còn cấp quận, gia đình tôi xin giấy phép xây dựng nhà ở riêng lẻ thì nộp hồ sơ "
        "ở đâu và thời gian giải quyết bao lâu?",
        "land",
        "Từ ngày 01/7/2025, UBND phường cấp giấy phép xây dựng nhà ở riêng lẻ trên địa bàn. Gia "
        "đình nộp hồ sơ tại Trung tâm Phục vụ hành chính công phường hoặc trên Cổng Dịch vụ công; "
        "thời hạn giải quyết không quá 15 ngày kể từ ngày nhận đủ hồ sơ hợp lệ.",
        era=AFTER,
    ),
    Template(
        "XD",
        "head",
        "Tại ngõ trong tổ dân phố số {group} có công trình đang xây vượt số tầng, lấn ra lối đi "
        "chung. Đề nghị phường kiểm tra, xử lý.",
        "chair",
        "Chủ tịch UBND phường tiếp thu; việc xác định vi phạm cần kiểm tra giấy phép và hiện "
        "trạng công trình nên giao công chức Địa chính - Xây dựng kiểm tra, trả lời bằng văn bản.",
        Referred(
            _LAND,
            "Kiểm tra công trình, xử lý vi phạm (nếu có) và trả lời tổ dân phố số {group}.",
            "Ngay sau hội nghị, công chức Địa chính - Xây dựng phối hợp với Công an phường và tổ "
            "dân phố số {group} kiểm tra công trình được phản ánh.\n"
            "Công trình có giấy phép xây dựng nhà ở riêng lẻ nhưng thi công phần mái che tầng tum "
            "vượt diện tích được phép và đặt vật liệu lấn lối đi chung. UBND phường đã lập biên bản, "
            "yêu cầu chủ nhà dừng thi công phần sai phép, tự tháo dỡ và dọn trả lối đi.\n"
            "Đến nay chủ nhà đã tháo dỡ phần vi phạm; tổ dân phố tiếp tục giám sát và báo cho UBND "
            "phường nếu tái diễn.",
        ),
    ),
    Template(
        "MT",
        "head",
        "Điểm tập kết rác tạm ở đầu ngõ tổ dân phố số {group} thường để quá giờ, gây mùi. Đề nghị "
        "phường làm việc với đơn vị thu gom.",
        "vice_chair",
        "Phó Chủ tịch UBND phường tiếp thu và giao công chức phụ trách môi trường làm việc với đơn "
        "vị thu gom để điều chỉnh giờ thu, trả lời tổ dân phố bằng văn bản.",
        Referred(
            _LAND,
            "Làm việc với đơn vị thu gom, điều chỉnh giờ thu rác tại tổ dân phố số {group}.",
            "UBND phường đã làm việc với đơn vị thu gom rác thải sinh hoạt trên địa bàn. Từ đầu "
            "tháng, xe thu gom đến điểm tập kết đầu ngõ tổ dân phố số {group} hai lần mỗi ngày, "
            "lúc 17 giờ 30 và 21 giờ, không để rác qua đêm.\n"
            "Đề nghị tổ dân phố tuyên truyền để các hộ phân loại và bỏ rác đúng giờ; trường hợp "
            "đơn vị thu gom không thực hiện đúng, tổ dân phố báo ngay cho UBND phường.",
        ),
    ),
    # -- business ------------------------------------------------------------------------------
    Template(
        "HKD",
        "business",
        "{org} muốn bổ sung ngành nghề kinh doanh. Xin hỏi có nộp hồ sơ trực tuyến được không và "
        "có mất phí không?",
        "reporter",
        "Hộ kinh doanh nộp thông báo thay đổi nội dung đăng ký hộ kinh doanh trên Cổng Dịch vụ "
        "công của Thành phố; hồ sơ do Phòng Tài chính - Kế hoạch quận giải quyết trong 03 ngày làm "
        "việc. Nộp trực tuyến được miễn lệ phí theo chính sách của Thành phố; Bộ phận Một cửa "
        "phường hỗ trợ nộp hồ sơ nếu cần.",
        era=BEFORE,
    ),
    Template(
        "HKD",
        "business",
        "{org} chuyển địa điểm kinh doanh sang tổ dân phố khác trong phường. Nay làm thủ tục thay "
        "đổi nội dung đăng ký hộ kinh doanh ở đâu?",
        "reporter",
        "Từ ngày 01/7/2025, đăng ký hộ kinh doanh do UBND phường giải quyết. Hộ kinh doanh nộp "
        "thông báo thay đổi trên Cổng Dịch vụ công hoặc tại Trung tâm Phục vụ hành chính công "
        "phường; hồ sơ hợp lệ được giải quyết trong 03 ngày làm việc.",
        era=AFTER,
    ),
    Template(
        "HKD",
        "business",
        "{org} ghi nhận cán bộ Bộ phận Một cửa hướng dẫn tận tình. Đề nghị phường cho biết có thể "
        "nhận kết quả qua bưu điện để không phải đến trụ sở nhiều lần không.",
        "reporter",
        "Tổ chức, công dân đăng ký nhận kết quả qua dịch vụ bưu chính công ích ngay khi nộp hồ sơ, "
        "trực tuyến hoặc tại Bộ phận Một cửa; cước phí do người nhận trả theo bảng giá của bưu "
        "điện. Phần lớn kết quả điện tử cũng được gửi vào tài khoản trên Cổng Dịch vụ công.",
    ),
    Template(
        "HKD",
        "business",
        "{org} đề nghị phường cho biết vì sao hồ sơ đăng ký thay đổi của chúng tôi bị yêu cầu bổ "
        "sung hai lần, mỗi lần một nội dung khác nhau.",
        "reporter",
        "Bộ phận Một cửa xin tiếp thu; cần đối chiếu lại hồ sơ và các lần yêu cầu bổ sung nên sẽ "
        "trả lời bằng văn bản.",
        Referred(
            _DESK,
            "Kiểm tra quá trình tiếp nhận, yêu cầu bổ sung hồ sơ và trả lời doanh nghiệp.",
            "Qua kiểm tra, lần yêu cầu bổ sung thứ hai đối với hồ sơ của {org} là không đúng quy "
            "định: nội dung cần bổ sung lẽ ra phải được hướng dẫn đầy đủ một lần.\n"
            "UBND phường xin lỗi {org}; hồ sơ đã được giải quyết và trả kết quả. Bộ phận Một cửa "
            "đã rút kinh nghiệm, thực hiện hướng dẫn bổ sung một lần, bằng phiếu hướng dẫn có ghi "
            "rõ từng nội dung.",
        ),
    ),
    # -- social policy -------------------------------------------------------------------------
    Template(
        "BTXH",
        "resident",
        "Bố tôi năm nay đủ 80 tuổi, không có lương hưu. Gia đình cần làm thủ tục gì để bố được "
        "hưởng trợ cấp xã hội hằng tháng?",
        "culture",
        "Người từ đủ 80 tuổi không có lương hưu, trợ cấp bảo hiểm xã hội hằng tháng thuộc diện "
        "hưởng trợ cấp xã hội hằng tháng. Gia đình nộp tờ khai theo mẫu tại Bộ phận Một cửa "
        "phường hoặc trực tuyến; khi được hưởng trợ cấp, cụ được cấp thẻ bảo hiểm y tế miễn phí.",
        era=BEFORE,
    ),
    Template(
        "BTXH",
        "resident",
        "Mẹ tôi đủ 75 tuổi, không có lương hưu. Từ tháng 7 năm nay mẹ tôi có được hưởng trợ cấp "
        "hưu trí xã hội không, thủ tục ra sao?",
        "culture",
        "Từ ngày 01/7/2025, người từ đủ 75 tuổi không hưởng lương hưu, trợ cấp bảo hiểm xã hội hằng "
        "tháng thuộc diện hưởng trợ cấp hưu trí xã hội. Gia đình nộp tờ khai tại Trung tâm Phục vụ "
        "hành chính công phường; UBND phường xem xét, quyết định và cụ được cấp thẻ bảo hiểm y tế.",
        era=AFTER,
    ),
    Template(
        "BTXH",
        "head",
        "Một số người khuyết tật ở tổ dân phố số {group} chưa được xác định lại mức độ khuyết tật "
        "dù đã nộp đơn. Đề nghị phường kiểm tra.",
        "vice_chair",
        "Phó Chủ tịch UBND phường tiếp thu; phải đối chiếu danh sách đơn đã nhận với lịch họp của "
        "Hội đồng xác định mức độ khuyết tật nên giao công chức Văn hóa - Xã hội trả lời bằng văn "
        "bản.",
        Referred(
            _SOCIAL,
            "Rà soát các đơn đề nghị xác định mức độ khuyết tật của tổ dân phố số {group}.",
            "Công chức Văn hóa - Xã hội đã rà soát các đơn đề nghị xác định mức độ khuyết tật của "
            "người dân tổ dân phố số {group}.\n"
            "Hội đồng xác định mức độ khuyết tật của phường đã họp, xác định mức độ khuyết tật cho "
            "các trường hợp đủ hồ sơ; giấy xác nhận khuyết tật được trả tại Bộ phận Một cửa. Hai "
            "trường hợp còn thiếu giấy tờ đã được hướng dẫn bổ sung để Hội đồng xem xét trong "
            "phiên họp tới.",
        ),
    ),
    Template(
        "NCC",
        "resident",
        "Gia đình tôi là thân nhân liệt sĩ, người thờ cúng trước đây đã mất. Thủ tục nhận trợ cấp "
        "thờ cúng liệt sĩ như thế nào?",
        "culture",
        "Gia đình lập biên bản ủy quyền thờ cúng liệt sĩ, kèm đơn đề nghị, nộp tại Bộ phận Một cửa "
        "phường. UBND phường xác nhận và chuyển cơ quan có thẩm quyền giải quyết; công chức Văn "
        "hóa - Xã hội sẽ liên hệ hướng dẫn gia đình hoàn thiện hồ sơ.",
    ),
    Template(
        "GN",
        "resident",
        "Hộ cận nghèo được hỗ trợ mua thẻ bảo hiểm y tế thế nào? Kết quả rà soát hộ nghèo, cận "
        "nghèo được công khai ở đâu?",
        "culture",
        "Người thuộc hộ cận nghèo được ngân sách nhà nước hỗ trợ 70% mức đóng bảo hiểm y tế; UBND "
        "phường lập danh sách chuyển cơ quan bảo hiểm xã hội cấp thẻ. Kết quả rà soát hằng năm "
        "được niêm yết tại trụ sở UBND phường, nhà văn hóa các tổ dân phố và thông báo trên hệ "
        "thống truyền thanh của phường.",
    ),
    Template(
        "LDVL",
        "resident",
        "Tôi vừa nghỉ việc ở công ty. Xin hỏi thủ tục hưởng trợ cấp thất nghiệp nộp ở đâu và cần "
        "giấy tờ gì?",
        "culture",
        "Trong 03 tháng kể từ ngày chấm dứt hợp đồng lao động, người lao động nộp hồ sơ tại Trung "
        "tâm Dịch vụ việc làm Hà Nội hoặc trực tuyến trên Cổng Dịch vụ công, gồm đề nghị hưởng trợ "
        "cấp và quyết định thôi việc; sổ bảo hiểm xã hội được tra cứu điện tử. Phường hỗ trợ nộp "
        "hồ sơ trực tuyến tại Bộ phận Một cửa.",
    ),
    Template(
        "TE",
        "head",
        "Đề nghị phường cho biết việc cấp thẻ bảo hiểm y tế cho trẻ dưới 6 tuổi hiện nay có phải "
        "làm thủ tục riêng không.",
        "justice",
        "Khi đăng ký khai sinh, gia đình làm một lần theo quy trình liên thông: đăng ký khai sinh, "
        "đăng ký thường trú và cấp thẻ bảo hiểm y tế cho trẻ dưới 6 tuổi, trên Cổng Dịch vụ công "
        "hoặc tại Bộ phận Một cửa; không phải làm thủ tục riêng để cấp thẻ.",
    ),
    Template(
        "GDDT",
        "resident",
        "Việc tuyển sinh vào lớp 1 trực tuyến năm nay có phải xác nhận cư trú ở phường không?",
        "vice_chair",
        "Hệ thống tuyển sinh trực tuyến của Thành phố kết nối với Cơ sở dữ liệu quốc gia về dân "
        "cư: phụ huynh nhập mã định danh của học sinh, không phải xin xác nhận cư trú. Nếu thông "
        "tin cư trú chưa đúng, phụ huynh liên hệ Công an phường để được điều chỉnh trước khi đăng "
        "ký.",
    ),
    # -- citizens' reception and the desk ------------------------------------------------------
    Template(
        "TCD",
        "head",
        "Đơn kiến nghị của các hộ ở tổ dân phố số {group} về việc lấn chiếm vỉa hè đã gửi phường "
        "hơn hai tháng nhưng chưa được trả lời. Đề nghị phường cho biết kết quả.",
        "chair",
        "Chủ tịch UBND phường tiếp thu, giao Văn phòng HĐND-UBND kiểm tra quá trình xử lý đơn và "
        "trả lời bằng văn bản.",
        Referred(
            _OFFICE,
            "Kiểm tra việc xử lý đơn của tổ dân phố số {group}, trả lời kết quả.",
            "Văn phòng HĐND-UBND đã kiểm tra: đơn của các hộ tổ dân phố số {group} được tiếp nhận "
            "và giao tổ trật tự đô thị xử lý, nhưng việc trả lời người gửi đơn bị chậm.\n"
            "Tổ trật tự đô thị phường đã ra quân giải tỏa các điểm lấn chiếm vỉa hè tại tuyến "
            "đường được phản ánh và duy trì kiểm tra hằng tuần. UBND phường xin lỗi các hộ về việc "
            "trả lời chậm và đã chấn chỉnh việc theo dõi đơn.",
        ),
    ),
    Template(
        "KHAC",
        "resident",
        "Người cao tuổi như tôi chưa quen nộp hồ sơ trên mạng. Đề nghị phường bố trí người hỗ "
        "trợ tại Bộ phận Một cửa.",
        "reporter",
        "Phường đã bố trí đoàn viên thanh niên tình nguyện và một công chức trực hướng dẫn nộp hồ "
        "sơ trực tuyến tại Bộ phận Một cửa trong giờ hành chính; người cao tuổi, người khuyết tật "
        "được ưu tiên tiếp nhận trước.",
    ),
    Template(
        "KHAC",
        "business",
        "{org} đề nghị phường công khai số điện thoại đường dây nóng để phản ánh khi hồ sơ chậm.",
        "reporter",
        "Số điện thoại đường dây nóng của Chủ tịch UBND phường và của Bộ phận Một cửa đã niêm yết "
        "tại trụ sở, trên trang thông tin điện tử của phường và trên phiếu hẹn trả kết quả. Mọi "
        "phản ánh đều được ghi nhận và trả lời trong 05 ngày làm việc.",
    ),
)


# -- the minutes' conclusion and the chair's tasks -----------------------------------------------

CONCLUSIONS = (
    "Chủ tịch UBND phường ghi nhận, tiếp thu các ý kiến phát biểu; đánh giá cao tinh thần thẳng "
    "thắn, xây dựng của Nhân dân và doanh nghiệp đối với công tác cải cách thủ tục hành chính "
    "của phường {period}.",
    "Chủ tịch UBND phường cảm ơn các đại biểu đã tham dự và đóng góp nhiều ý kiến tâm huyết, "
    "giúp UBND phường nhìn nhận rõ những việc đã làm được và những tồn tại trong giải quyết thủ "
    "tục hành chính {period}.",
    "Chủ tịch UBND phường ghi nhận các ý kiến phản ánh, kiến nghị của Nhân dân, doanh nghiệp "
    "và khẳng định UBND phường tiếp tục lấy sự hài lòng của tổ chức, công dân làm thước đo chất "
    "lượng phục vụ.",
)
CONCLUSION_ANSWERED = (
    "{answered} ý kiến đã được lãnh đạo UBND phường và công chức chuyên môn trả lời trực tiếp "
    "tại hội nghị."
)
CONCLUSION_REFERRED = (
    "{referred} kiến nghị chưa trả lời được ngay được giao các bộ phận chuyên môn kiểm tra, trả "
    "lời bằng văn bản trong thời hạn 10 ngày; kết quả được công khai trên trang theo dõi kiến "
    "nghị của phường."
)
CONCLUSION_CLOSING = (
    "Đề nghị các tổ dân phố tiếp tục giám sát việc tiếp nhận, giải quyết thủ tục hành chính của "
    "cán bộ, công chức phường và tuyên truyền để Nhân dân sử dụng dịch vụ công trực tuyến."
)

# (content, unit name, days after the conference)
TASKS = (
    (
        "Theo dõi, đôn đốc các bộ phận trả lời bằng văn bản các kiến nghị tại hội nghị; tổng hợp "
        "kết quả báo cáo tại hội nghị đối thoại kỳ tới.",
        _OFFICE,
        30,
    ),
    (
        "Rà soát các hồ sơ quá hạn trên hệ thống thông tin giải quyết thủ tục hành chính, gửi "
        "phiếu xin lỗi và hẹn lại ngày trả kết quả theo quy định.",
        _DESK,
        15,
    ),
    (
        "Hướng dẫn, hỗ trợ tổ chức, công dân nộp hồ sơ trực tuyến và thanh toán phí, lệ phí trực "
        "tuyến tại Bộ phận Một cửa.",
        _DESK,
        60,
    ),
    (
        "Rà soát các hồ sơ đề nghị cấp giấy chứng nhận quyền sử dụng đất còn tồn đọng, hướng dẫn "
        "công dân hoàn thiện hồ sơ.",
        _LAND,
        45,
    ),
    (
        "Niêm yết đầy đủ, cập nhật danh mục thủ tục hành chính tại trụ sở và nhà văn hóa các tổ "
        "dân phố.",
        _OFFICE,
        20,
    ),
    (
        "Rà soát danh sách đối tượng bảo trợ xã hội, hướng dẫn các trường hợp đủ điều kiện hoàn "
        "thiện hồ sơ hưởng trợ cấp.",
        _SOCIAL,
        30,
    ),
)

OTHER_RESULTS = (
    "Tiếp tục duy trì trả kết quả đăng ký khai sinh tại hộ gia đình.",
    "Thực hiện thanh toán phí, lệ phí trực tuyến đối với các thủ tục đủ điều kiện.",
    "Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính theo quy định.",
)
