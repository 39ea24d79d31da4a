"""Reading a directory of people from a spreadsheet (.xlsx) or a CSV file, and checking each row.

Pure functions: bytes and the ward's lists go in, rows and problems come out; nothing is
written. Line numbers are those a spreadsheet shows: the header is line 1.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import format_decimal
from flask_babel import gettext as _

from dialogue.core.text import clean_text, fold, normalize_text
from dialogue.documents.cells import clean, is_formula_like
from dialogue.errors import DialogueError
from dialogue.people.operations import PersonData, email_is_valid, phone_is_valid

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5_000
MAX_COLUMNS = 40
MAX_BLANK_RUN = 1_000
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
EXTENSIONS = ("xlsx", "csv")
_ZIP_MAGIC = b"PK\x03\x04"
_CSV_DELIMITERS = (",", ";", "\t")

# The template's header row, in the order of its columns.
TEMPLATE_HEADER = (
    "Họ và tên",
    "Chức vụ",
    "Cơ quan, đơn vị",
    "Tổ dân phố",
    "Thành phần",
    "Điện thoại",
    "Email",
    "Đồng ý",
    "Ghi chú",
)

# Header names each field answers to, as folded by _key(): Vietnamese and English.
COLUMN_NAMES = {
    "full_name": ("ho va ten", "ho ten", "full name", "name"),
    "title": ("chuc vu", "title", "position"),
    "organisation": ("co quan don vi", "co quan", "don vi", "organisation", "organization"),
    "residential_group": ("to dan pho", "to", "tdp", "residential group", "group"),
    "delegate_category": (
        "thanh phan",
        "thanh phan dai bieu",
        "delegate category",
        "category",
    ),
    "phone": ("dien thoai", "so dien thoai", "sdt", "phone", "phone number"),
    "email": ("email", "e mail", "thu dien tu"),
    "consent": ("dong y", "consent", "has consent"),
    "note": ("ghi chu", "note", "notes"),
}
# Ordinal columns that lists usually carry; ignored without a word.
_SILENT_COLUMNS = frozenset({"stt", "tt", "no"})

_YES = frozenset({"co", "x", "yes", "y", "1", "true", "dong y", "v"})
_TICKS = frozenset({"✓", "✔", "☑"})
_NO = frozenset({"", "khong", "no", "n", "0", "false", "khong dong y"})
_GROUP_NUMBER = re.compile(r"(?:(?:to dan pho|to|tdp)\s*)?(?:so\s*)?0*(\d+)")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")

FIELD_MAX_LENGTHS = {"full_name": 120, "title": 200, "organisation": 200, "phone": 30, "email": 200}


class UnreadableFile(DialogueError):
    """The upload is not a spreadsheet this import can read."""


def _key(value: str) -> str:
    """Fold ``value`` to a comparison key: no diacritics, no case, no punctuation."""
    return " ".join(_NOT_ALNUM.sub(" ", fold(value)).split())


# -- reading ------------------------------------------------------------------------------------


@dataclass
class Table:
    """The header and the non-blank rows of a sheet, each row with its line number."""

    header: list[str]
    rows: list[tuple[int, list[str]]]


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    # A cell typed in a spreadsheet may hold what no form lets in (controls, overrides).
    return clean_text(str(value))


def _table(lines: Iterable[Iterable]) -> Table:
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    blank_run = 0
    for line, raw in enumerate(lines, start=1):
        cells = [_cell_text(value) for value in list(raw)[:MAX_COLUMNS]]
        if not any(cell.strip() for cell in cells):
            blank_run += 1
            # Sheets formatted down to row 1,048,576 end in a sea of blank rows: stop there.
            if blank_run >= MAX_BLANK_RUN:
                break
            continue
        blank_run = 0
        if header is None:
            header = cells
            continue
        if len(rows) >= MAX_ROWS:
            raise UnreadableFile(
                _(
                    "The file has more than %(limit)s rows. Split it into smaller files.",
                    limit=format_decimal(MAX_ROWS),
                )
            )
        rows.append((line, cells))
    if header is None:
        raise UnreadableFile(_("The file is empty."))
    return Table(header=header, rows=rows)


def _read_xlsx(data: bytes) -> Table:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > MAX_UNPACKED_BYTES:
        raise UnreadableFile(
            _("The file is too large once unpacked. Keep only the list of people in it.")
        )
    try:
        # openpyxl warns about spreadsheet features it drops (styles, validations): not our concern.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from openpyxl import load_workbook

            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheet = workbook.worksheets[0]
                return _table(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS))
            finally:
                workbook.close()
    except UnreadableFile:
        raise
    except Exception as error:
        # A damaged or disguised file can fail anywhere inside the zip and XML readers.
        raise UnreadableFile(
            _(
                "This file is not an Excel workbook (.xlsx) that can be read. Open it in Excel "
                "or LibreOffice and save it again as .xlsx."
            )
        ) from error


def _decode_csv(data: bytes) -> str:
    # Excel's "Unicode text" is UTF-16, with its byte order mark.
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise UnreadableFile(
            _(
                "This file is not a spreadsheet, or a CSV file not saved as UTF-8. In Excel choose "
                'Save As, then "CSV UTF-8 (Comma delimited)", or save as .xlsx.'
            )
        ) from error
    if "\x00" in text:
        # No text holds a zero byte: the file is something else, or damaged there.
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise UnreadableFile(
            _(
                "Line %(line)s of this file holds a zero byte (NUL): it is not a CSV text file, "
                "or it is damaged there. Open the list in Excel or LibreOffice and save it again "
                "as .xlsx or as CSV UTF-8.",
                line=format_decimal(line),
            )
        )
    return text


def _choose_delimiter(first_line: str) -> str:
    """Pick the delimiter under which the header names the most known columns."""

    def known(delimiter: str) -> int:
        cells = next(csv.reader([first_line], delimiter=delimiter), [])
        return sum(1 for cell in cells if _field_for(cell) is not None)

    return max(_CSV_DELIMITERS, key=known)  # a tie keeps the first: the comma


def _read_csv(data: bytes) -> Table:
    text = _decode_csv(data)
    lines = text.splitlines(keepends=True)
    delimiter = None
    # Excel writes and honours a first line "sep=;" and does not show it.
    if lines and re.fullmatch(r"sep=(.)\s*", lines[0].strip("\ufeff")):
        delimiter = lines[0].strip("\ufeff")[4]
        lines = lines[1:]
    if delimiter is None:
        first = next((line for line in lines if line.strip()), "")
        delimiter = _choose_delimiter(first.rstrip("\r\n"))
    return _table(_csv_rows(lines, delimiter))


def _csv_rows(lines: list[str], delimiter: str) -> Iterable[list[str]]:
    """Yield the rows; say in our words, with its line, where the file cannot be read."""
    # Strict: a quotation mark never closed is an error at the end of the file, where it would
    # otherwise swallow every line after it into one cell.
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    line = 0  # counted in rows, as a spreadsheet shows them (a quoted cell may span lines)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise UnreadableFile(_csv_problem(str(error), line + 1)) from error
        line += 1
        yield row


def _csv_problem(reason: str, line: int) -> str:
    # The csv module says what went wrong only in English words; these are stable since 2.x.
    if "field larger than field limit" in reason:
        return _(
            "Line %(line)s of this CSV file holds a cell of more than %(limit)s characters, which "
            'no list of people has: a quotation mark (") is probably opened there and never '
            "closed. Correct it, or save the list as .xlsx.",
            line=format_decimal(line),
            limit=format_decimal(csv.field_size_limit()),
        )
    if "unexpected end of data" in reason:
        return _(
            'A quotation mark (") opened on line %(line)s of this CSV file is never closed: '
            "every line after it would be read as one cell. Close it, or save the list as .xlsx.",
            line=format_decimal(line),
        )
    if "expected after" in reason:
        return _(
            "On line %(line)s of this CSV file a quoted cell goes on after its closing quotation "
            'mark. Write a quotation mark inside a cell twice (""), or save the list as .xlsx.',
            line=format_decimal(line),
        )
    return _(
        "Line %(line)s of this CSV file cannot be read. Open the list in Excel or LibreOffice "
        "and save it again as .xlsx or as CSV UTF-8.",
        line=format_decimal(line),
    )


def read_table(data: bytes, extension: str) -> Table:
    """Read the first sheet of an .xlsx, or a CSV file (UTF-8 with or without BOM; , ; or tab)."""
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableFile(
            _("The file is larger than %(limit)s MB.", limit=MAX_FILE_BYTES // (1024 * 1024))
        )
    if data.startswith(_ZIP_MAGIC) and zipfile.is_zipfile(io.BytesIO(data)):
        return _read_xlsx(data)
    if extension == "xlsx":
        raise UnreadableFile(
            _(
                "This file is not an Excel workbook (.xlsx) that can be read. Open it in Excel "
                "or LibreOffice and save it again as .xlsx."
            )
        )
    return _read_csv(data)


def file_kind(data: bytes) -> str:
    """Return "xlsx" for a zip container, "csv" otherwise."""
    return "xlsx" if data.startswith(_ZIP_MAGIC) else "csv"


# -- columns ------------------------------------------------------------------------------------

_NAME_TO_FIELD = {name: field_name for field_name, names in COLUMN_NAMES.items() for name in names}


def _field_for(header_cell: str) -> str | None:
    # _key drops punctuation, so "full_name" and "Họ và tên (*)" match too.
    return _NAME_TO_FIELD.get(_key(header_cell))


@dataclass
class Columns:
    positions: dict[str, int]
    ignored: list[str]


def map_columns(header: list[str]) -> Columns:
    """Tell which column holds which field; raise UnreadableFile without a name column."""
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for index, cell in enumerate(header):
        if not cell.strip():
            continue
        field_name = _field_for(cell)
        if field_name is None:
            if _key(cell) not in _SILENT_COLUMNS:
                ignored.append(normalize_text(cell))
            continue
        if field_name in positions:
            raise UnreadableFile(
                _('The header row has the column "%(name)s" twice.', name=normalize_text(cell))
            )
        positions[field_name] = index
    if "full_name" not in positions:
        raise UnreadableFile(
            _(
                'The first row must be the header, with a column "Họ và tên" (or "full_name"). '
                "Download the template to see the format."
            )
        )
    return Columns(positions=positions, ignored=ignored)


# -- the ward's lists ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    id: int
    label: str


@dataclass
class Lookup:
    """The ward's residential groups and active categories, and who is already listed."""

    groups_by_key: dict[str, Choice]
    groups_by_number: dict[int, Choice]
    categories_by_key: dict[str, Choice]
    existing: set[tuple[str, int | None]]

    def group(self, value: str) -> Choice | None:
        key = _key(value)
        if key in self.groups_by_key:
            return self.groups_by_key[key]
        match = _GROUP_NUMBER.fullmatch(key)
        return self.groups_by_number.get(int(match.group(1))) if match else None

    def category(self, value: str) -> Choice | None:
        return self.categories_by_key.get(_key(value))


def make_lookup(
    groups: Iterable, categories: Iterable, existing: Iterable[tuple[str, int | None]]
) -> Lookup:
    """Build the lookup from groups and categories (model objects) and (name, group id) pairs."""
    groups_by_key, groups_by_number = {}, {}
    for group in groups:
        choice = Choice(group.id, group.name)
        groups_by_number[group.number] = choice
        groups_by_key.setdefault(_key(group.name), choice)
    categories_by_key: dict[str, Choice] = {}
    active = [category for category in categories if category.is_active]
    # Codes first: a code never loses to another category's name.
    for category in active:
        categories_by_key.setdefault(_key(category.code), Choice(category.id, category.name_vi))
    for category in active:
        choice = Choice(category.id, category.name_vi)
        for name in (category.name_vi, category.name_en):
            if name:
                categories_by_key.setdefault(_key(name), choice)
    return Lookup(
        groups_by_key=groups_by_key,
        groups_by_number=groups_by_number,
        categories_by_key=categories_by_key,
        existing={(fold(name), group_id) for name, group_id in existing},
    )


# -- rows ---------------------------------------------------------------------------------------


@dataclass
class ImportRow:
    line: int
    full_name: str
    title: str
    organisation: str
    residential_group: Choice | None
    delegate_category: Choice | None
    phone: str
    email: str
    has_consent: bool
    note: str

    def to_person_data(self) -> PersonData:
        return PersonData(
            full_name=self.full_name,
            title=self.title,
            organisation=self.organisation,
            residential_group_id=self.residential_group.id if self.residential_group else None,
            delegate_category_id=self.delegate_category.id if self.delegate_category else None,
            phone=self.phone,
            email=self.email,
            has_consent=self.has_consent,
            note=self.note,
        )


@dataclass
class RowProblem:
    line: int
    reasons: list[str]


@dataclass
class Preview:
    """What an import would do: the rows to add, the bad rows, the rows skipped."""

    rows: list[ImportRow] = field(default_factory=list)
    errors: list[RowProblem] = field(default_factory=list)
    skipped: list[RowProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def can_apply(self) -> bool:
        return not self.errors and bool(self.rows)


def _phone_text(raw: str) -> str:
    phone = normalize_text(raw)
    # A phone typed into a number cell loses its leading zero: 912345678 was 0912345678.
    if phone.isdigit() and not phone.startswith(("0", "84")) and len(phone) in (9, 10):
        phone = "0" + phone
    return phone


def _check_row(
    line: int, cells: list[str], columns: Columns, lookup: Lookup
) -> tuple[ImportRow | None, list[str]]:
    def cell(name: str) -> str:
        index = columns.positions.get(name)
        return cells[index] if index is not None and index < len(cells) else ""

    reasons: list[str] = []
    values = {
        name: normalize_text(cell(name)) for name in ("full_name", "title", "organisation", "email")
    }
    values["phone"] = _phone_text(cell("phone"))
    if not values["full_name"]:
        reasons.append(_("The name is empty."))
    for name, limit in FIELD_MAX_LENGTHS.items():
        if len(values[name]) > limit:
            reasons.append(
                _(
                    "%(column)s is longer than %(limit)s characters.",
                    column=_column_title(name),
                    limit=limit,
                )
            )

    group = None
    group_text = normalize_text(cell("residential_group"))
    if group_text:
        group = lookup.group(group_text)
        if group is None:
            reasons.append(_('Unknown residential group "%(value)s".', value=group_text))

    category = None
    category_text = normalize_text(cell("delegate_category"))
    if category_text:
        category = lookup.category(category_text)
        if category is None:
            reasons.append(_('Unknown delegate category "%(value)s".', value=category_text))

    if values["phone"] and not phone_is_valid(values["phone"]):
        reasons.append(_('"%(value)s" is not a valid phone number.', value=values["phone"]))
    if values["email"] and not email_is_valid(values["email"]):
        reasons.append(_('"%(value)s" is not a valid e-mail address.', value=values["email"]))

    consent_text = normalize_text(cell("consent"))
    consent_key = "x" if consent_text in _TICKS else _key(consent_text)
    has_consent = consent_key in _YES
    if consent_key not in _YES and consent_key not in _NO:
        reasons.append(_('Consent must be "có" or "không", not "%(value)s".', value=consent_text))
    elif (values["phone"] or values["email"]) and not has_consent:
        reasons.append(_("A phone number or e-mail is given without the person's consent."))

    if reasons:
        return None, reasons
    row = ImportRow(
        line=line,
        full_name=values["full_name"],
        title=values["title"],
        organisation=values["organisation"],
        residential_group=group,
        delegate_category=category,
        phone=values["phone"],
        email=values["email"],
        has_consent=has_consent,
        note=normalize_text(cell("note")),
    )
    return row, []


def _column_title(name: str) -> str:
    return {
        "full_name": _("Full name"),
        "title": _("Title"),
        "organisation": _("Organisation"),
        "phone": _("Phone"),
        "email": _("E-mail"),
    }[name]


def check_table(table: Table, lookup: Lookup) -> Preview:
    """Check every row of ``table`` against the ward's lists; write nothing."""
    columns = map_columns(table.header)
    preview = Preview(ignored_columns=columns.ignored)
    first_line: dict[tuple[str, int | None], int] = {}
    for line, cells in table.rows:
        row, reasons = _check_row(line, cells, columns, lookup)
        if row is None:
            preview.errors.append(RowProblem(line, reasons))
            continue
        key = (fold(row.full_name), row.residential_group.id if row.residential_group else None)
        if key in lookup.existing:
            preview.skipped.append(
                RowProblem(line, [_("Already in the directory (same name and residential group).")])
            )
        elif key in first_line:
            preview.skipped.append(
                RowProblem(line, [_("Same person as line %(line)s.", line=first_line[key])])
            )
        else:
            first_line[key] = line
            preview.rows.append(row)
    return preview


def check_upload(data: bytes, extension: str, lookup: Lookup) -> Preview:
    """Read and check an uploaded file; raise UnreadableFile when it cannot be read at all."""
    return check_table(read_table(data, extension), lookup)


# -- the template -------------------------------------------------------------------------------

TEMPLATE_EXAMPLE = (
    "Nguyễn Văn A",
    "Tổ trưởng",
    "Tổ dân phố số 1",
    "1",
    "TO_TRUONG",
    "0912 345 678",
    "",
    "có",
    "",
)
_TEMPLATE_WIDTHS = (28, 20, 28, 18, 26, 16, 28, 10, 30)
_TEMPLATE_TEXT_ROWS = 1_000


def _append_text(sheet, values: Iterable) -> None:
    sheet.append([clean(value) if isinstance(value, str) else value for value in values])
    for cell in sheet[sheet.max_row]:
        if not isinstance(cell.value, str):
            continue
        # A ward's names stay text: the template never carries a formula, not even once a
        # name such as "+cmd|…" or "=HYPERLINK(…)" is edited in the spreadsheet.
        cell.data_type = "s"
        if is_formula_like(cell.value):
            cell.quotePrefix = True


def template_workbook(
    *, groups: Iterable[tuple[int, str]], categories: Iterable[tuple[str, str]]
) -> bytes:
    """Return the .xlsx template: the header and one example, and the ward's lists beside."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Danh bạ"
    _append_text(sheet, TEMPLATE_HEADER)
    _append_text(sheet, TEMPLATE_EXAMPLE)
    for index, width in enumerate(_TEMPLATE_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    phone_column = TEMPLATE_HEADER.index("Điện thoại") + 1
    for row in range(2, _TEMPLATE_TEXT_ROWS + 1):
        # Text cells keep the leading zero of a phone number.
        sheet.cell(row=row, column=phone_column).number_format = "@"

    for title, header, rows in (
        ("Tổ dân phố", ("Số", "Tên"), groups),
        ("Thành phần", ("Mã", "Tên"), categories),
    ):
        extra = workbook.create_sheet(title)
        _append_text(extra, header)
        for row in rows:
            _append_text(extra, row)
        extra.column_dimensions["A"].width = 16
        extra.column_dimensions["B"].width = 48

    for each in workbook.worksheets:
        for cell in each[1]:
            cell.font = Font(bold=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
