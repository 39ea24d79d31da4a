"""The invitation list: by category, by group, person by person; removal; states; scoping."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import render_template
from flask_login import login_user

from dialogue.attendance.models import AttendanceStatus, Attendee, CheckInMethod
from dialogue.auth.models import Role
from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.errors import ValidationFailed
from dialogue.extensions import db
from dialogue.invitations import operations
from dialogue.people.models import Person
from dialogue.wards.models import DelegateCategory, ResidentialGroup

GROUPS = 15


def category(ward, code: str) -> DelegateCategory:
    return next(c for c in ward.delegate_categories if c.code == code)


@pytest.fixture
def app_config(app_config):
    # Messages are checked in English here; the Vietnamese catalogue has tests of its own.
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def directory(ward):
    """Fifteen groups, each with its head (TO_TRUONG) and two residents; a few leaders."""
    groups = [
        ResidentialGroup(ward=ward, number=n, name=f"Tổ dân phố số {n}")
        for n in range(1, GROUPS + 1)
    ]
    db.session.add_all(groups)
    db.session.flush()
    heads = category(ward, "TO_TRUONG")
    residents = category(ward, "NHAN_DAN")
    people = {"heads": [], "residents": [], "leaders": []}
    for group in groups:
        people["heads"].append(
            Person(
                ward=ward,
                full_name=f"Nguyễn Văn Tổ {group.number}",
                title=f"Tổ trưởng tổ dân phố số {group.number}",
                organisation=group.name,
                residential_group_id=group.id,
                delegate_category_id=heads.id,
            )
        )
        for k in (1, 2):
            people["residents"].append(
                Person(
                    ward=ward,
                    full_name=f"Trần Thị Dân {group.number}-{k}",
                    residential_group_id=group.id,
                    delegate_category_id=residents.id,
                )
            )
    people["leaders"].append(
        Person(
            ward=ward,
            full_name="Lê Văn Đức",
            title="Chủ tịch UBND phường",
            delegate_category_id=category(ward, "UBND").id,
        )
    )
    people["leaders"].append(Person(ward=ward, full_name="Phạm Thị Không Nhóm"))
    for kind in ("heads", "residents", "leaders"):
        db.session.add_all(people[kind])
    db.session.commit()
    return {"groups": groups, **people}


@pytest.fixture
def organiser(client, make_user, login):
    user = make_user(Role.ORGANISER)
    login(user)
    # Messages are checked in English, whatever the Vietnamese catalogue says.
    client.get("/locale", query_string={"locale": "en"})
    return user


def invited(conference) -> list[Attendee]:
    db.session.commit()
    return list(
        db.session.scalars(
            sa.select(Attendee)
            .where(Attendee.conference_id == conference.id, Attendee.is_invited.is_(True))
            .order_by(Attendee.id)
        )
    )


def flashes(page: str) -> list[str]:
    return [
        html.unescape(m) for m in re.findall(r'<p class="flash flash-\w+">(.*?)</p>', page, re.S)
    ]


def follow(client, response):
    body = response.get_data(as_text=True)
    assert response.status_code == 302, re.findall(
        r"class=\"(?:error|form-errors)[^>]*>(.*?)</", body, re.S
    )
    return client.get(response.headers["Location"]).get_data(as_text=True)


# -- operations -----------------------------------------------------------------------------


def test_a_category_in_one_action_copies_each_person(ward, directory, make_conference):
    conference = make_conference()
    result = operations.invite_category(conference, category(ward, "TO_TRUONG"))
    db.session.commit()
    assert (result.added, result.already) == (GROUPS, 0)
    attendees = invited(conference)
    assert len(attendees) == GROUPS
    head = directory["heads"][2]
    copy = next(a for a in attendees if a.person_id == head.id)
    assert copy.full_name == "Nguyễn Văn Tổ 3"
    assert copy.title == "Tổ trưởng tổ dân phố số 3"
    assert copy.organisation == "Tổ dân phố số 3"
    assert copy.residential_group_id == directory["groups"][2].id
    assert copy.delegate_category_id == category(ward, "TO_TRUONG").id
    assert copy.status is AttendanceStatus.EXPECTED
    assert len({a.token for a in attendees}) == GROUPS
    assert all(len(a.token) >= 20 for a in attendees)


def test_inviting_again_is_harmless_and_counted(ward, directory, make_conference):
    conference = make_conference()
    operations.invite_person(conference, directory["heads"][0])
    operations.invite_person(conference, directory["heads"][1])
    result = operations.invite_category(conference, category(ward, "TO_TRUONG"))
    assert (result.added, result.already) == (GROUPS - 2, 2)
    again = operations.invite_category(conference, category(ward, "TO_TRUONG"))
    assert (again.added, again.already) == (0, GROUPS)
    assert operations.invite_person(conference, directory["heads"][0]).already == 1
    assert len(invited(conference)) == GROUPS


def test_a_residential_group_brings_everyone_of_the_group(ward, directory, make_conference):
    conference = make_conference()
    operations.invite_category(conference, category(ward, "TO_TRUONG"))
    result = operations.invite_group(conference, directory["groups"][4])
    assert (result.added, result.already) == (2, 1)
    names = {a.full_name for a in invited(conference)}
    assert {"Trần Thị Dân 5-1", "Trần Thị Dân 5-2"} <= names
    assert "Trần Thị Dân 6-1" not in names


def test_a_walk_in_of_the_directory_joins_the_invitation_list(directory, make_conference):
    conference = make_conference()
    person = directory["leaders"][0]
    db.session.add(
        Attendee(
            conference=conference,
            person=person,
            full_name=person.full_name,
            is_invited=False,
            status=AttendanceStatus.PRESENT,
            check_in_method=CheckInMethod.WALK_IN,
            checked_in_dt=datetime.now(UTC),
        )
    )
    db.session.commit()
    assert operations.invite_person(conference, person).added == 1
    assert [a.full_name for a in invited(conference)] == ["Lê Văn Đức"]
    assert db.session.scalar(sa.select(sa.func.count(Attendee.id))) == 1


def test_nobody_of_another_ward_can_be_invited(
    ward, other_ward, directory, make_conference, make_person
):
    conference = make_conference()
    stranger = make_person(ward=other_ward, full_name="Người Phường Khác")
    foreign_group = ResidentialGroup(ward=other_ward, number=1, name="Tổ dân phố số 1")
    db.session.add(foreign_group)
    db.session.commit()
    with pytest.raises(ValidationFailed):
        operations.invite_person(conference, stranger)
    with pytest.raises(ValidationFailed):
        operations.invite_category(conference, category(other_ward, "TO_TRUONG"))
    with pytest.raises(ValidationFailed):
        operations.invite_group(conference, foreign_group)
    db.session.rollback()
    assert invited(conference) == []


@pytest.mark.parametrize(
    "status", [ConferenceStatus.DRAFT, ConferenceStatus.ANNOUNCED, ConferenceStatus.IN_PROGRESS]
)
def test_the_list_may_change_until_the_conference_ends(ward, directory, make_conference, status):
    conference = make_conference(status=status)
    assert operations.invite_category(conference, category(ward, "UBND")).added == 1
    operations.remove_invitee(invited(conference)[0])
    assert invited(conference) == []


@pytest.mark.parametrize(
    "status", [ConferenceStatus.CLOSED, ConferenceStatus.PUBLISHED, ConferenceStatus.CANCELLED]
)
def test_the_list_is_frozen_once_the_conference_is_over(ward, directory, make_conference, status):
    conference = make_conference()
    operations.invite_category(conference, category(ward, "UBND"))
    conference.status = status
    db.session.commit()
    with pytest.raises(ValidationFailed, match="cannot change"):
        operations.invite_category(conference, category(ward, "TO_TRUONG"))
    with pytest.raises(ValidationFailed, match="cannot change"):
        operations.invite_person(conference, directory["heads"][0])
    with pytest.raises(ValidationFailed, match="cannot change"):
        operations.remove_invitee(invited(conference)[0])
    db.session.rollback()
    assert len(invited(conference)) == 1


@pytest.mark.parametrize("status", [AttendanceStatus.PRESENT, AttendanceStatus.EXCUSED])
def test_someone_recorded_at_the_door_stays_on_the_list(ward, directory, make_conference, status):
    conference = make_conference(status=ConferenceStatus.IN_PROGRESS)
    operations.invite_category(conference, category(ward, "UBND"))
    attendee = invited(conference)[0]
    attendee.status = status
    db.session.commit()
    with pytest.raises(ValidationFailed, match="stays on the list"):
        operations.remove_invitee(attendee)
    db.session.rollback()
    assert len(invited(conference)) == 1


def test_expected_attendance_per_group_and_category(ward, directory, make_conference):
    conference = make_conference()
    operations.invite_category(conference, category(ward, "TO_TRUONG"))
    operations.invite_group(conference, directory["groups"][0])
    operations.invite_person(conference, directory["leaders"][0])  # no group
    operations.invite_person(conference, directory["leaders"][1])  # no group, no category
    db.session.commit()
    attendance = operations.expected_attendance(conference)
    assert attendance.total == GROUPS + 2 + 2
    by_group = {(g.number if g else None): n for g, n in attendance.by_group}
    assert by_group[1] == 3
    assert all(by_group[n] == 1 for n in range(2, GROUPS + 1))
    assert by_group[None] == 2
    assert sum(by_group.values()) == attendance.total
    by_category = {(c.code if c else None): n for c, n in attendance.by_category}
    assert by_category["TO_TRUONG"] == GROUPS
    assert by_category["NHAN_DAN"] == 2
    assert by_category["UBND"] == 1
    assert by_category[None] == 1
    assert by_category["BAO_CHI"] == 0  # every active category is shown, even when empty
    assert sum(by_category.values()) == attendance.total


def test_search_ignores_diacritics_and_stays_in_the_ward(
    ward, other_ward, directory, make_conference, make_person
):
    make_person(ward=other_ward, full_name="Lê Văn Đức")
    conference = make_conference()
    operations.invite_person(conference, directory["leaders"][0])
    hits = operations.search_people(conference, "le van duc")
    assert [(h.person.id, h.is_invited) for h in hits] == [(directory["leaders"][0].id, True)]
    hits = operations.search_people(conference, "to 1")
    assert {h.person.full_name for h in hits} >= {"Nguyễn Văn Tổ 1", "Nguyễn Văn Tổ 10"}
    assert not any(h.is_invited for h in hits)
    assert operations.search_people(conference, "  ") == []


# -- pages ----------------------------------------------------------------------------------


def test_the_page_shows_the_list_and_the_expected_attendance(
    client, organiser, ward, directory, make_conference
):
    conference = make_conference()
    operations.invite_category(conference, category(ward, "TO_TRUONG"))
    db.session.commit()
    page = client.get(f"/conferences/{conference.id}/invitations/").get_data(as_text=True)
    assert "15 people invited." in page
    assert page.count("Nguyễn Văn Tổ ") == GROUPS
    attendance = page[page.index('id="attendance-heading"') : page.index('id="list-heading"')]
    assert re.search(r"<td>Tổ dân phố số 7</td><td class=\"num\">1</td>", attendance)
    assert re.search(r"Heads of residential groups</td><td class=\"num\">15</td>", attendance)
    assert attendance.count('<td class="num"><strong>15</strong></td>') == 2


def test_inviting_a_category_from_the_page(client, organiser, ward, directory, make_conference):
    conference = make_conference()
    operations.invite_person(conference, directory["heads"][0])
    operations.invite_person(conference, directory["heads"][1])
    operations.invite_person(conference, directory["heads"][2])
    db.session.commit()
    url = f"/conferences/{conference.id}/invitations/category"
    heads = category(ward, "TO_TRUONG").id
    page = follow(client, client.post(url, data={"category": heads}))
    assert flashes(page) == ["12 people added to the invitation list. 3 were already invited."]
    assert len(invited(conference)) == GROUPS
    page = follow(client, client.post(url, data={"category": heads}))
    assert flashes(page) == ["0 people added to the invitation list. 15 were already invited."]
    empty = category(ward, "BAO_CHI").id
    page = follow(client, client.post(url, data={"category": empty}))
    assert flashes(page) == ["No one in the directory is in the category Press and media."]
    assert len(invited(conference)) == GROUPS


def test_inviting_a_group_from_the_page(client, organiser, directory, make_conference):
    conference = make_conference()
    group = directory["groups"][8]
    response = client.post(
        f"/conferences/{conference.id}/invitations/group", data={"group": group.id}
    )
    assert flashes(follow(client, response)) == ["3 people added to the invitation list."]
    assert {a.residential_group_id for a in invited(conference)} == {group.id}


def test_a_choice_is_required(client, organiser, directory, make_conference):
    conference = make_conference()
    response = client.post(f"/conferences/{conference.id}/invitations/category", data={})
    assert response.status_code == 400
    assert "Choose a delegate category." in response.get_data(as_text=True)
    response = client.post(f"/conferences/{conference.id}/invitations/group", data={"group": 0})
    assert response.status_code == 400
    assert "Choose a residential group." in response.get_data(as_text=True)
    assert invited(conference) == []


def test_person_by_person_search_and_add(client, organiser, directory, make_conference):
    conference = make_conference()
    base = f"/conferences/{conference.id}/invitations"
    page = client.get(f"{base}/?q=le van duc").get_data(as_text=True)
    person = directory["leaders"][0]
    assert "Lê Văn Đức" in page
    assert f'name="person_id" value="{person.id}"' in page
    response = client.post(f"{base}/person", data={"person_id": person.id, "q": "le van duc"})
    assert response.headers["Location"].endswith(f"{base}/?q=le+van+duc#find")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert flashes(page) == ["Lê Văn Đức has been invited."]
    assert f'name="person_id" value="{person.id}"' not in page  # now shown as invited
    response = client.post(f"{base}/person", data={"person_id": person.id})
    assert flashes(follow(client, response)) == ["Lê Văn Đức is already on the invitation list."]
    assert [a.person_id for a in invited(conference)] == [person.id]


def test_the_search_fragment_for_typing(client, organiser, directory, make_conference):
    conference = make_conference()
    fragment = client.get(f"/conferences/{conference.id}/invitations/search?q=DUC").get_data(
        as_text=True
    )
    assert "<html" not in fragment
    assert "Lê Văn Đức" in fragment
    assert "Nguyễn Văn Tổ" not in fragment
    empty = client.get(f"/conferences/{conference.id}/invitations/search?q=").get_data(as_text=True)
    assert "<table" not in empty


def test_a_person_id_of_another_ward_is_refused(
    app, client, organiser, other_ward, directory, make_conference, make_person, make_user, login
):
    conference = make_conference()
    stranger = make_person(ward=other_ward, full_name="Người Phường Khác")
    response = client.post(
        f"/conferences/{conference.id}/invitations/person", data={"person_id": stranger.id}
    )
    assert response.status_code == 404
    # An administrator may reach every ward, but not mix two wards in one list.
    admin_client = app.test_client()
    admin = make_user(Role.ADMINISTRATOR)
    assert (
        admin_client.post(
            "/auth/login", data={"username": admin.username, "password": "correct horse battery"}
        ).status_code
        == 302
    )
    response = admin_client.post(
        f"/conferences/{conference.id}/invitations/person", data={"person_id": stranger.id}
    )
    assert response.status_code == 404
    response = client.post(f"/conferences/{conference.id}/invitations/person", data={})
    assert response.status_code == 400
    assert invited(conference) == []


def test_a_category_or_group_of_another_ward_is_refused(
    client, organiser, other_ward, directory, make_conference
):
    conference = make_conference()
    foreign_group = ResidentialGroup(ward=other_ward, number=1, name="Tổ dân phố số 1")
    db.session.add(foreign_group)
    db.session.commit()
    base = f"/conferences/{conference.id}/invitations"
    foreign_category = category(other_ward, "TO_TRUONG").id
    assert client.post(f"{base}/category", data={"category": foreign_category}).status_code == 400
    assert client.post(f"{base}/group", data={"group": foreign_group.id}).status_code == 400
    assert invited(conference) == []


def test_another_wards_conference_answers_404(
    client, organiser, other_ward, directory, make_conference
):
    conference = make_conference(ward=other_ward)
    base = f"/conferences/{conference.id}/invitations"
    assert client.get(f"{base}/").status_code == 404
    assert client.get(f"{base}/search?q=a").status_code == 404
    heads = category(other_ward, "TO_TRUONG").id
    assert client.post(f"{base}/category", data={"category": heads}).status_code == 404
    assert client.post(f"{base}/letters.pdf").status_code == 404


def test_only_organisers_build_the_list(client, make_user, login, make_conference):
    conference = make_conference()
    login(make_user(Role.SECRETARY))
    assert client.get(f"/conferences/{conference.id}/invitations/").status_code == 403
    assert client.post(f"/conferences/{conference.id}/invitations/letters.pdf").status_code == 403


def test_removing_an_invitee(client, organiser, ward, directory, make_conference):
    conference = make_conference()
    operations.invite_category(conference, category(ward, "UBND"))
    operations.invite_person(conference, directory["heads"][0])
    db.session.commit()
    leader, head = invited(conference)
    head.status = AttendanceStatus.PRESENT
    head.checked_in_dt = datetime.now(UTC)
    db.session.commit()
    base = f"/conferences/{conference.id}/invitations"
    page = follow(client, client.post(f"{base}/{head.id}/remove"))
    assert flashes(page) == [
        "Nguyễn Văn Tổ 1 is already recorded at the door (Present) and stays on the list."
    ]
    page = follow(client, client.post(f"{base}/{leader.id}/remove"))
    assert flashes(page) == ["Lê Văn Đức has been taken off the invitation list."]
    assert [a.id for a in invited(conference)] == [head.id]


def test_an_invitee_of_another_conference_answers_404(
    client, organiser, ward, other_ward, directory, make_conference, make_person
):
    conference, other = make_conference(), make_conference()
    operations.invite_person(other, directory["heads"][0])
    foreign = make_conference(ward=other_ward)
    operations.invite_person(foreign, make_person(ward=other_ward))
    db.session.commit()
    mine, theirs = invited(other)[0], invited(foreign)[0]
    assert (
        client.post(f"/conferences/{conference.id}/invitations/{mine.id}/remove").status_code == 404
    )
    assert (
        client.post(f"/conferences/{foreign.id}/invitations/{theirs.id}/remove").status_code == 404
    )
    assert (
        client.post(f"/conferences/{conference.id}/invitations/{theirs.id}/remove").status_code
        == 404
    )
    assert len(invited(other)) == 1 and len(invited(foreign)) == 1


def test_a_closed_conference_refuses_with_a_message(
    client, organiser, ward, directory, make_conference
):
    conference = make_conference()
    operations.invite_category(conference, category(ward, "UBND"))
    conference.status = ConferenceStatus.CLOSED
    db.session.commit()
    base = f"/conferences/{conference.id}/invitations"
    page = client.get(f"{base}/").get_data(as_text=True)
    assert "The invitation list cannot change: the conference is Closed." in page
    assert f'action="{base}/category"' not in page
    heads = category(ward, "TO_TRUONG").id
    page = follow(client, client.post(f"{base}/category", data={"category": heads}))
    assert flashes(page) == ["The invitation list cannot change: the conference is Closed."]
    assert len(invited(conference)) == 1


def test_the_conference_page_panel(app, ward, directory, make_user, make_conference):
    conference = make_conference()
    operations.invite_category(conference, category(ward, "TO_TRUONG"))
    db.session.commit()
    for role, manages in ((Role.ORGANISER, True), (Role.SECRETARY, False)):
        user = make_user(role)
        with app.test_request_context():
            login_user(user)
            panel = render_template(
                "invitations/_conference_panel.html",
                conference=db.session.get(Conference, conference.id),
            )
        assert "15" in panel
        assert (f'href="/conferences/{conference.id}/invitations/"' in panel) is manages
        assert (
            f'action="/conferences/{conference.id}/invitations/letters.pdf"' in panel
        ) is manages
