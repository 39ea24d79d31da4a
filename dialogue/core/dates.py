"""Dates and times as Vietnamese offices write them."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

DEFAULT_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _day(value: int) -> str:
    return f"{value:02d}" if value < 10 else str(value)


def _month(value: int) -> str:
    # Decree 30/2020: a leading zero only for January and February.
    return f"{value:02d}" if value < 3 else str(value)


def to_local(value: datetime, tz: ZoneInfo | str | None = None) -> datetime:
    """Return an aware datetime in the ward's timezone."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else (tz or DEFAULT_TZ)
    return value.astimezone(zone)


def vn_date(value: date | datetime, *, place: str | None = None, tz=None) -> str:
    """Write ``value`` as "ngày 07 tháng 02 năm 2020", optionally after the place name."""
    if isinstance(value, datetime):
        value = to_local(value, tz).date()
    text = f"ngày {_day(value.day)} tháng {_month(value.month)} năm {value.year}"
    return f"{place}, {text}" if place else text


def vn_short_date(value: date | datetime, tz=None) -> str:
    """Write ``value`` as "07/02/2020"."""
    if isinstance(value, datetime):
        value = to_local(value, tz).date()
    return value.strftime("%d/%m/%Y")


def vn_time(value: datetime, tz=None) -> str:
    """Write the time of day as "8 giờ 00 phút"."""
    local = to_local(value, tz)
    return f"{local.hour} giờ {local.minute:02d} phút"


def html_datetime(value: datetime | date) -> str:
    """Write ``value`` for a ``<time datetime>`` attribute: HTML allows at most milliseconds."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return value.isoformat()


def vn_datetime(value: datetime, tz=None) -> str:
    """Write "8 giờ 00 phút, ngày 30 tháng 6 năm 2020"."""
    return f"{vn_time(value, tz)}, {vn_date(value, tz=tz)}"
