"""Importing the directory of people from .xlsx and .csv files: read, check, preview, apply."""

from __future__ import annotations

import io
import os
import re
import zipfile
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
import sqlalchemy as sa

from dialogue.audit.models import AuditAction, AuditEvent
from dialogue.auth.models import Role
from dialogue.extensions import db
from dialogue.people import importing, operations
from dialogue.people.models import PendingImport, Person
from dialogue.wards.models import ResidentialGroup

HEADER_VI = [
    "Họ và tên",
    "Chức vụ",
    "Cơ quan, đơn vị",
    "Tổ dân phố",
    "Thành phần",
    "Điện thoại",
    "Email",
    "Đồng ý",
]


def csv_bytes(rows, *, delimiter=",", bom=False) -> bytes:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows(rows)
    data = buffer.getvalue().encode("utf-8")
    return b"\xef\xbb\xbf" + data if bom else data


def xlsx_bytes(rows) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


GOOD_ROWS = [
    HEADER_VI,
    ["Nguyễn Văn A", "Tổ trưởng", "", "9", "TO_TRUONG", "0912 345 678", "", "có"],
    [
        "Trần Thị B",
        "",
        "Công ty TNHH Gốm Bát Tràng",
        "Tổ 1",
        "Doanh nghiệp, hợp tác xã, hộ kinh doanh",
        "",
        "b@example.vn",
        "x",
    ],
    ["Lê Văn C", "Bí thư chi bộ", "", "Tổ dân phố số 9", "bi thu chi bo", "", "", ""],
]


@pytest.fixture
def app_config(app_config):
    # The messages below are checked in English; the Vietnamese ones are the catalogue's job.
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def groups(app, ward):
    made = [ResidentialGroup(ward=ward, number=n, name=f"Tổ dân phố số {n}") for n in (1, 2, 9)]
    db.session.add_all(made)
    db.session.commit()
    return {group.number: group for group in made}


@pytest.fixture
def organiser(client, make_user, login):
    user = make_user(Role.ORGANISER)
    login(user)
    client.get("/locale", query_string={"locale": "en"})
    return user


@pytest.fixture
def lookup(ward, groups):
    return importing.make_lookup(ward.residential_groups, ward.delegate_categories, [])


@pytest.fixture
def waiting(app):
    """The imports waiting for their confirmation, as stored."""

    def rows():
        db.session.expire_all()
        return db.session.scalars(sa.select(PendingImport)).all()

    return rows


def upload(client, data: bytes, filename: str):
    return client.post(
        "/people/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def people(ward) -> list[Person]:
    return db.session.scalars(
        sa.select(Person).where(Person.ward_id == ward.id).order_by(Person.id)
    ).all()


def confirm_token(page: str) -> str:
    match = (
        re.search(r'name="token" type="hidden" value="([^"]+)"', page)
        or re.search(r'type="hidden" name="token" value="([^"]+)"', page)
        or re.search(r'id="token" name="token" type="hidden" value="([^"]+)"', page)
    )
    assert match, "the preview offers no confirmation"
    return match.group(1)


def problem_lines(page: str, section: str) -> dict[int, str]:
    block = re.search(rf'id="{section}">(.*?)</section>', page, re.S)
    if block is None:
        return {}
    return {
        int(line): text.strip()
        for line, text in re.findall(r"<li>Line (\d+): (.*?)</li>", block.group(1), re.S)
    }


# -- reading files ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "extension"),
    [
        pytest.param(csv_bytes(GOOD_ROWS), "csv", id="csv"),
        pytest.param(csv_bytes(GOOD_ROWS, bom=True), "csv", id="csv-bom"),
        pytest.param(csv_bytes(GOOD_ROWS, delimiter=";"), "csv", id="csv-semicolon"),
        pytest.param(csv_bytes(GOOD_ROWS, delimiter=";", bom=True), "csv", id="csv-semicolon-bom"),
        pytest.param(csv_bytes(GOOD_ROWS, delimiter="\t"), "csv", id="csv-tab"),
        pytest.param(b"sep=;\r\n" + csv_bytes(GOOD_ROWS, delimiter=";"), "csv", id="csv-sep-line"),
        pytest.param(csv_bytes(GOOD_ROWS).decode().encode("utf-16"), "csv", id="utf-16"),
        pytest.param(xlsx_bytes(GOOD_ROWS), "xlsx", id="xlsx"),
    ],
)
def test_every_format_reads_the_same_rows(lookup, groups, ward, data, extension):
    preview = importing.check_upload(data, extension, lookup)

    assert preview.errors == []
    assert [row.line for row in preview.rows] == [2, 3, 4]
    first, second, third = preview.rows
    assert first.full_name == "Nguyễn Văn A"
    assert first.residential_group.id == groups[9].id
    assert first.delegate_category.label == "Tổ trưởng tổ dân phố"
    assert (first.phone, first.has_consent) == ("0912 345 678", True)
    assert second.organisation == "Công ty TNHH Gốm Bát Tràng"
    assert second.residential_group.id == groups[1].id
    assert second.delegate_category.label == "Doanh nghiệp, hợp tác xã, hộ kinh doanh"
    assert (second.email, second.has_consent) == ("b@example.vn", True)
    assert third.residential_group.id == groups[9].id
    assert third.delegate_category.label == "Bí thư chi bộ"
    assert third.has_consent is False


def test_semicolon_file_with_an_unquoted_comma_in_the_header():
    data = "Họ và tên;Cơ quan, đơn vị;Tổ dân phố\nNguyễn Văn A;Công ty X, chi nhánh 2;\n".encode()

    table = importing.read_table(data, "csv")

    assert table.header == ["Họ và tên", "Cơ quan, đơn vị", "Tổ dân phố"]
    assert table.rows == [(2, ["Nguyễn Văn A", "Công ty X, chi nhánh 2", ""])]


def test_english_headers_in_any_case_and_unknown_columns(lookup):
    data = csv_bytes(
        [
            [
                "STT",
                "FULL_NAME",
                "Residential_Group",
                "delegate category",
                "Phone",
                "E-mail",
                "Consent",
                "Quê quán",
            ],
            ["1", "Nguyễn Văn A", "2", "to_truong", "0912345678", "", "yes"],
        ]
    )

    preview = importing.check_upload(data, "csv", lookup)

    assert preview.errors == []
    assert preview.ignored_columns == ["Quê quán"]
    (row,) = preview.rows
    assert (row.full_name, row.residential_group.label, row.delegate_category.label) == (
        "Nguyễn Văn A",
        "Tổ dân phố số 2",
        "Tổ trưởng tổ dân phố",
    )


def test_vietnamese_headers_without_diacritics(lookup):
    data = csv_bytes(
        [["ho va ten", "TO DAN PHO", "thanh phan"], ["Nguyễn Văn A", "to 9", "NHÂN DÂN"]]
    )

    (row,) = importing.check_upload(data, "csv", lookup).rows

    assert row.residential_group.label == "Tổ dân phố số 9"
    assert row.delegate_category.label == "Nhân dân"


def test_a_number_cell_phone_gets_its_leading_zero_back(lookup):
    data = xlsx_bytes([["Họ và tên", "Điện thoại", "Đồng ý"], ["Nguyễn Văn A", 912345678, True]])

    (row,) = importing.check_upload(data, "xlsx", lookup).rows

    assert (row.phone, row.has_consent) == ("0912345678", True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("có", True),
        ("Có", True),
        ("x", True),
        ("YES", True),
        ("1", True),
        ("✓", True),
        ("không", False),
        ("No", False),
        ("0", False),
        ("", False),
    ],
)
def test_consent_values(lookup, value, expected):
    data = csv_bytes([["Họ và tên", "Đồng ý"], ["Nguyễn Văn A", value]])

    (row,) = importing.check_upload(data, "csv", lookup).rows

    assert row.has_consent is expected


def test_the_name_column_is_required(lookup):
    data = csv_bytes([["Chức vụ", "Tổ dân phố"], ["Tổ trưởng", "9"]])

    with pytest.raises(importing.UnreadableFile, match="Họ và tên"):
        importing.check_upload(data, "csv", lookup)


def test_bad_rows_are_each_reported_with_their_spreadsheet_line(lookup, make_person, ward, groups):
    make_person(full_name="Phạm Văn Đông", residential_group=groups[9])
    data = xlsx_bytes(
        [
            HEADER_VI,
            ["Nguyễn Văn A", "", "", "9", "", "", "", ""],  # 2: good
            ["", "Tổ phó", "", "9", "", "", "", ""],  # 3: no name
            [None] * 8,  # 4: blank, not counted as a row
            ["Trần Thị B", "", "", "Tổ 99", "", "", "", ""],  # 5: unknown group
            ["Lê Văn C", "", "", "", "Thành phần lạ", "", "", ""],  # 6: unknown category
            ["Hoàng Văn D", "", "", "", "", "12-34", "", "có"],  # 7: bad phone
            ["Vũ Thị E", "", "", "", "", "0912 345 678", "", ""],  # 8: phone without consent
            ["Đỗ Văn G", "", "", "", "", "", "g@", "có"],  # 9: bad e-mail
            ["Bùi Văn H", "", "", "", "", "", "", "có lẽ"],  # 10: unclear consent
            ["PHAM VAN DONG", "", "", "Tổ 9", "", "", "", ""],  # 11: already listed
            ["Nguyễn  Văn A", "", "", "Tổ dân phố số 9", "", "", "", ""],  # 12: same as line 2
            ["", "", "", "Tổ 100", "", "abc", "", ""],  # 13: several problems
        ]
    )
    lookup = importing.make_lookup(
        ward.residential_groups,
        ward.delegate_categories,
        [(p.full_name, p.residential_group_id) for p in people(ward)],
    )

    preview = importing.check_upload(data, "xlsx", lookup)

    assert [row.line for row in preview.rows] == [2]
    reasons = {problem.line: " ".join(problem.reasons) for problem in preview.errors}
    assert sorted(reasons) == [3, 5, 6, 7, 8, 9, 10, 13]
    assert "name is empty" in reasons[3]
    assert "Tổ 99" in reasons[5]
    assert "Thành phần lạ" in reasons[6]
    assert "12-34" in reasons[7] and "phone" in reasons[7]
    assert "consent" in reasons[8]
    assert "g@" in reasons[9]
    assert "có lẽ" in reasons[10]
    assert len(preview.errors[-1].reasons) == 4  # no name, group, phone, consent
    assert {problem.line for problem in preview.skipped} == {11, 12}
    assert "line 2" in " ".join(preview.skipped[-1].reasons)
    assert not preview.can_apply


def test_an_inactive_category_is_unknown(ward, groups):
    retired = next(c for c in ward.delegate_categories if c.code == "BAO_CHI")
    retired.is_active = False
    lookup = importing.make_lookup(ward.residential_groups, ward.delegate_categories, [])
    data = csv_bytes([["Họ và tên", "Thành phần"], ["Nguyễn Văn A", "BAO_CHI"]])

    preview = importing.check_upload(data, "csv", lookup)

    assert [problem.line for problem in preview.errors] == [2]


@pytest.mark.parametrize(
    ("data", "extension", "message"),
    [
        pytest.param(
            b"\x89PNG\r\n\x1a\n" + os.urandom(200),
            "xlsx",
            "not an Excel workbook",
            id="png-as-xlsx",
        ),
        pytest.param(b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "csv", "not a", id="png-as-csv"),
        pytest.param(b"PK\x03\x04garbage", "xlsx", "not an Excel workbook", id="broken-zip"),
        pytest.param(b"", "csv", "empty", id="empty"),
        pytest.param(b"Ho va ten\r\nNguy\xean V\xe3n A\r\n", "csv", "UTF-8", id="not-utf8"),
    ],
)
def test_files_that_are_not_spreadsheets(lookup, data, extension, message):
    with pytest.raises(importing.UnreadableFile, match=message):
        importing.check_upload(data, extension, lookup)


def test_a_zip_that_is_not_a_workbook(lookup):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "xin chào")

    with pytest.raises(importing.UnreadableFile, match="not an Excel workbook"):
        importing.check_upload(buffer.getvalue(), "xlsx", lookup)


def test_reading_stops_at_a_long_run_of_blank_rows(lookup):
    rows = [["Họ và tên"], ["Nguyễn Văn A"]] + [[""]] * importing.MAX_BLANK_RUN + [["Trần Thị B"]]

    preview = importing.check_upload(csv_bytes(rows), "csv", lookup)

    assert [row.full_name for row in preview.rows] == ["Nguyễn Văn A"]


def test_a_workbook_that_unpacks_too_large_is_refused(lookup, monkeypatch):
    monkeypatch.setattr(importing, "MAX_UNPACKED_BYTES", 1_000)

    with pytest.raises(importing.UnreadableFile, match="unpacked"):
        importing.check_upload(xlsx_bytes(GOOD_ROWS), "xlsx", lookup)


def test_limits_on_size_and_rows(lookup, monkeypatch):
    too_big = b"Ho va ten\n" + b"A" * importing.MAX_FILE_BYTES
    too_long = csv_bytes([["Họ và tên"]] + [[f"Người {n}"] for n in range(importing.MAX_ROWS + 1)])
    just_right = csv_bytes([["Họ và tên"]] + [[f"Người {n}"] for n in range(importing.MAX_ROWS)])

    with pytest.raises(importing.UnreadableFile, match="5 MB"):
        importing.check_upload(too_big, "csv", lookup)
    with pytest.raises(importing.UnreadableFile, match="5,000"):
        importing.check_upload(too_long, "csv", lookup)
    assert len(importing.check_upload(just_right, "csv", lookup).rows) == importing.MAX_ROWS


# -- the pages ----------------------------------------------------------------------------------


def test_preview_writes_nothing_and_confirm_applies_everything(
    client, organiser, ward, groups, waiting
):
    response = upload(client, csv_bytes(GOOD_ROWS, bom=True), "danh-ba.csv")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Import 3 people" in page
    for name in ("Nguyễn Văn A", "Trần Thị B", "Lê Văn C"):
        assert name in page
    assert people(ward) == []
    assert len(waiting()) == 1

    confirmed = client.post("/people/import/confirm", data={"token": confirm_token(page)})

    assert confirmed.status_code == 302
    imported = people(ward)
    assert [p.full_name for p in imported] == ["Nguyễn Văn A", "Trần Thị B", "Lê Văn C"]
    assert imported[0].residential_group_id == groups[9].id
    assert imported[1].email == "b@example.vn" and imported[1].has_consent
    assert waiting() == []
    events = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.entity_type == "people", AuditEvent.action == AuditAction.CREATE
        )
    ).all()
    assert sorted(event.entity_id for event in events) == sorted(p.id for p in imported)
    assert {event.user_id for event in events} == {organiser.id}
    assert {event.ward_id for event in events} == {ward.id}
    assert "3 people have been imported" in client.get("/people/").get_data(as_text=True)


def test_confirm_twice_imports_once(client, organiser, ward, groups):
    token = confirm_token(
        upload(client, xlsx_bytes(GOOD_ROWS), "danh-ba.xlsx").get_data(as_text=True)
    )

    client.post("/people/import/confirm", data={"token": token})
    again = client.post("/people/import/confirm", data={"token": token}, follow_redirects=True)

    assert len(people(ward)) == 3
    assert "no longer waiting" in again.get_data(as_text=True)


def test_a_file_with_bad_rows_lists_them_all_and_cannot_be_confirmed(
    client, organiser, ward, groups, waiting
):
    data = csv_bytes(
        [
            HEADER_VI,
            ["Nguyễn Văn A", "", "", "9", "", "", "", ""],
            ["", "", "", "9", "", "", "", ""],
            ["Trần Thị B", "", "", "Tổ 99", "", "", "", ""],
            ["Lê Văn C", "", "", "", "KHONG_CO", "", "", ""],
            ["Hoàng Văn D", "", "", "", "", "abc", "", "có"],
            ["Vũ Thị E", "", "", "", "", "0912 345 678", "", "không"],
        ],
        delimiter=";",
    )

    response = upload(client, data, "danh-ba.csv")

    page = response.get_data(as_text=True)
    errors = problem_lines(page, "import-errors")
    assert sorted(errors) == [3, 4, 5, 6, 7]
    assert "Tổ 99" in errors[4]
    assert "KHONG_CO" in errors[5]
    assert "consent" in errors[7]
    assert "Fix these rows" in page
    assert 'action="/people/import/confirm"' not in page
    assert people(ward) == []
    assert waiting() == []


def test_duplicates_are_skipped_with_a_warning(client, organiser, ward, groups, make_person):
    make_person(full_name="Nguyễn Văn A", residential_group=groups[9])

    page = upload(client, csv_bytes(GOOD_ROWS), "danh-ba.csv").get_data(as_text=True)
    skipped = problem_lines(page, "import-skipped")
    client.post("/people/import/confirm", data={"token": confirm_token(page)})

    assert list(skipped) == [2]
    assert sorted(p.full_name for p in people(ward)) == ["Lê Văn C", "Nguyễn Văn A", "Trần Thị B"]


def test_confirm_checks_the_file_again(client, organiser, ward, groups):
    page = upload(client, csv_bytes(GOOD_ROWS), "danh-ba.csv").get_data(as_text=True)
    db.session.delete(groups[1])  # Trần Thị B's group disappears in between
    db.session.commit()

    response = client.post("/people/import/confirm", data={"token": confirm_token(page)})

    assert response.status_code == 409
    assert 4 not in problem_lines(response.get_data(as_text=True), "import-errors")
    assert list(problem_lines(response.get_data(as_text=True), "import-errors")) == [3]
    assert people(ward) == []


def test_a_failure_while_applying_leaves_nothing(client, organiser, ward, groups, monkeypatch):
    page = upload(client, csv_bytes(GOOD_ROWS), "danh-ba.csv").get_data(as_text=True)
    real_import = operations.import_people

    def import_then_fail(*args, **kwargs):
        real_import(*args, **kwargs)
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(operations, "import_people", import_then_fail)

    with pytest.raises(RuntimeError):
        client.post("/people/import/confirm", data={"token": confirm_token(page)})

    db.session.rollback()
    assert people(ward) == []
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.entity_type == "people")
        )
        == 0
    )
    # Nothing was applied, so the same preview can still be confirmed.
    monkeypatch.undo()
    client.post("/people/import/confirm", data={"token": confirm_token(page)})
    assert len(people(ward)) == 3


def test_a_forged_token_imports_nothing(client, organiser, ward, groups, waiting):
    upload(client, csv_bytes(GOOD_ROWS), "danh-ba.csv")

    for token in ("../../secret_key", "x" * 32, ""):
        response = client.post("/people/import/confirm", data={"token": token})
        assert response.status_code == 302
    assert people(ward) == []
    assert len(waiting()) == 1


def test_another_users_import_cannot_be_confirmed(
    client, organiser, ward, groups, make_user, login
):
    page = upload(client, csv_bytes(GOOD_ROWS), "danh-ba.csv").get_data(as_text=True)
    client.post("/auth/logout")
    login(make_user(Role.ORGANISER))  # a colleague at the same computer

    response = client.post("/people/import/confirm", data={"token": confirm_token(page)})

    assert response.status_code == 302
    assert people(ward) == []


def test_an_expired_import_is_refused_and_cleaned_up(client, organiser, ward, groups, waiting):
    page = upload(client, csv_bytes(GOOD_ROWS), "danh-ba.csv").get_data(as_text=True)
    (stale,) = waiting()
    stale.created_dt = datetime.now(UTC) - timedelta(hours=2)
    db.session.commit()

    response = client.post("/people/import/confirm", data={"token": confirm_token(page)})
    assert response.status_code == 302
    assert people(ward) == []

    upload(client, csv_bytes(GOOD_ROWS), "again.csv")
    assert [row.filename for row in waiting()] == ["again.csv"]


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        pytest.param(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "anh.xlsx", id="png-as-xlsx"),
        pytest.param(os.urandom(4096), "rac.csv", id="garbage-csv"),
        pytest.param(b"", "trong.csv", id="empty"),
        pytest.param(
            csv_bytes([["Tên đệm", "Tuổi"], ["Văn", "40"]]), "sai-cot.csv", id="no-name-column"
        ),
    ],
)
def test_garbage_uploads_get_a_message_in_place(client, organiser, ward, data, filename):
    response = upload(client, data, filename)

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="file-error"' in page
    assert "Traceback" not in page
    assert people(ward) == []


def test_only_xlsx_and_csv_files_are_accepted(client, organiser):
    response = upload(client, xlsx_bytes(GOOD_ROWS), "danh-ba.xls")

    assert response.status_code == 400
    assert ".xlsx" in re.search(
        r'id="file-error">(.*?)</p>', response.get_data(as_text=True), re.S
    ).group(1)


def test_upload_without_a_file(client, organiser):
    response = client.post("/people/import", data={}, content_type="multipart/form-data")

    assert response.status_code == 400
    assert 'id="file-error"' in response.get_data(as_text=True)


def test_the_template_has_the_header_and_an_example_that_imports(client, organiser, ward, groups):
    response = client.get("/people/import/template.xlsx")

    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    listed_groups = list(workbook["Tổ dân phố"].iter_rows(min_row=2, values_only=True))
    workbook.close()
    assert rows[0][:8] == tuple(HEADER_VI)
    assert rows[1][0] == "Nguyễn Văn A"
    assert listed_groups == [(1, "Tổ dân phố số 1"), (2, "Tổ dân phố số 2"), (9, "Tổ dân phố số 9")]

    page = upload(client, response.data, "mau-danh-ba.xlsx").get_data(as_text=True)
    client.post("/people/import/confirm", data={"token": confirm_token(page)})

    (person,) = people(ward)
    assert (person.full_name, person.residential_group_id, person.phone) == (
        "Nguyễn Văn A",
        groups[1].id,
        "0912 345 678",
    )


def test_the_template_never_carries_a_formula(ward, groups):
    content = importing.template_workbook(groups=[(1, '=HYPERLINK("x")')], categories=[])

    workbook = openpyxl.load_workbook(io.BytesIO(content))
    cell = workbook["Tổ dân phố"]["B2"]

    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("x")'
