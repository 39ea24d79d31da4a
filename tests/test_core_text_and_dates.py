from datetime import UTC, date, datetime

import pytest

from dialogue.core.dates import vn_date, vn_datetime, vn_short_date, vn_time
from dialogue.core.text import fold, like_pattern, normalize_text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2020, 2, 7), "ngày 07 tháng 02 năm 2020"),
        (date(2020, 6, 30), "ngày 30 tháng 6 năm 2020"),
        (date(2020, 1, 1), "ngày 01 tháng 01 năm 2020"),
        (date(2020, 3, 9), "ngày 09 tháng 3 năm 2020"),
        (date(2020, 12, 10), "ngày 10 tháng 12 năm 2020"),
        (date(2020, 10, 31), "ngày 31 tháng 10 năm 2020"),
    ],
)
def test_vietnamese_administrative_dates(value, expected):
    assert vn_date(value) == expected


def test_date_with_place_name():
    assert vn_date(date(2020, 6, 30), place="Thạch Bàn") == "Thạch Bàn, ngày 30 tháng 6 năm 2020"


def test_datetimes_are_written_in_the_ward_timezone():
    # 17:30 UTC on 29 June is 00:30 on 30 June in Hà Nội.
    moment = datetime(2020, 6, 29, 17, 30, tzinfo=UTC)
    assert vn_date(moment) == "ngày 30 tháng 6 năm 2020"
    assert vn_short_date(moment) == "30/06/2020"
    assert vn_time(moment) == "0 giờ 30 phút"
    assert vn_datetime(datetime(2020, 6, 30, 1, 0, tzinfo=UTC)) == (
        "8 giờ 00 phút, ngày 30 tháng 6 năm 2020"
    )


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Nguyễn Văn Đức", "nguyen van duc"),
        ("ĐỖ THỊ ĐÀO", "do thi dao"),
        ("Thủ tục  hành   chính", "thu tuc hanh chinh"),
        ("Hòa giải ở cơ sở", "hoa giai o co so"),
        ("Khuyến", "khuyen"),
        ("", ""),
        (None, ""),
    ],
)
def test_fold_removes_diacritics_and_folds_d(text, folded):
    assert fold(text) == folded


def test_fold_treats_composed_and_decomposed_text_alike():
    import unicodedata

    composed = "Nguyễn Thị Ánh"
    assert fold(unicodedata.normalize("NFD", composed)) == fold(composed)


def test_like_pattern_escapes_wildcards():
    assert like_pattern("50%_x") == "%50\\%\\_x%"


def test_normalize_text_is_nfc_and_collapses_spaces():
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "  Tổ  dân phố ")
    assert normalize_text(decomposed) == "Tổ dân phố"
    assert unicodedata.is_normalized("NFC", normalize_text(decomposed))
