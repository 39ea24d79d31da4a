"""Load the demo ward: Thạch Bàn, its groups, units, directory, staff and three conferences.

The 2020 conference is played through the live operations: its ten turns are logged and it
is closed with the chair's conclusion, as a secretary and an organiser would have done; its
minutes and conclusion notice are then drafted, submitted and published by the chair, and
its referred question is answered in writing. A conference held a few days before the demo
is loaded is played the same way; its referred questions are at every stage of their way to
a published answer. A third conference is announced for the weeks ahead.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from dialogue.attendance.models import AttendanceStatus, Attendee, CheckInMethod
from dialogue.auth.models import Role, User
from dialogue.auth.operations import create_user
from dialogue.city.operations import assign_province, get_or_create_province
from dialogue.conferences.models import AgendaItem, Conference, ConferenceStatus
from dialogue.core.dates import to_local, vn_date
from dialogue.core.db import utcnow
from dialogue.core.text import normalize_paragraphs
from dialogue.demo import certificates, data, feedback, history
from dialogue.demo.history_data import HISTORY_USERNAMES, OTHER_WARDS
from dialogue.documents.models import DocumentType
from dialogue.documents.operations import allocate_number
from dialogue.documents.pdf import render_pdf
from dialogue.dossier.figures import Counts
from dialogue.dossier.operations import ReportData, save_report
from dialogue.errors import ValidationFailed
from dialogue.extensions import db
from dialogue.followup.listing import ward_today
from dialogue.followup.models import AnswerStatus, Referral, ReferralStatus, WrittenAnswer
from dialogue.followup.operations import AnswerData, check_attachment, save_answer, submit_answer
from dialogue.invitations.operations import invite_category
from dialogue.ledger.operations import record_answer
from dialogue.live.closing import ConclusionData, TaskData, close_conference
from dialogue.live.models import Turn, TurnOutcome
from dialogue.live.operations import TurnData, log_turn
from dialogue.minutes.operations import (
    DraftData,
    get_or_create_draft,
    publish,
    submit_draft,
    update_draft,
)
from dialogue.people.models import Person
from dialogue.wards.models import ResidentialGroup, Unit, Ward, WardKind
from dialogue.wards.operations import create_ward

DEMO_SLUG = data.WARD["slug"]


def demo_usernames(*, with_history: bool = True) -> tuple[str, ...]:
    """The demo's accounts as ``load_demo`` makes them: the other wards' only with the history."""
    return (
        tuple(username for username, *_rest in data.ACCOUNTS)
        + (HISTORY_USERNAMES if with_history else ())
        + (data.CITY_ACCOUNT[0],)
    )


DEMO_USERNAMES = demo_usernames()


def load_demo(password: str, *, with_history: bool = True) -> Ward:
    """Create the demo ward with everything in it; the caller commits.

    Every demo account gets ``password``. Refuses when the demo ward or one of its
    usernames exists already, so running it twice changes nothing. ``with_history`` adds
    the conferences of 2021 to mid-2026 and two more wards of the city with theirs
    (``dialogue.demo.history``); without it only Thạch Bàn's three conferences are loaded.
    """
    if not password:
        raise ValidationFailed(_("The demo accounts need a password."), field="password")
    if db.session.scalar(sa.select(Ward.id).where(Ward.slug == DEMO_SLUG)) is not None:
        raise ValidationFailed(
            _("The demo ward (%(slug)s) exists already: nothing was loaded.", slug=DEMO_SLUG),
            field="slug",
        )
    taken = db.session.scalars(
        sa.select(User.username).where(User.username.in_(DEMO_USERNAMES))
    ).all()
    if taken:
        raise ValidationFailed(
            _("These usernames are taken: %(names)s. Nothing was loaded.", names=", ".join(taken)),
            field="username",
        )

    _prepare_signing()
    ward = create_ward(kind=WardKind.WARD, **data.WARD)
    groups = {
        number: ResidentialGroup(number=number, name=data.group_name(number))
        for number in range(1, data.GROUP_COUNT + 1)
    }
    ward.residential_groups.extend(groups.values())
    units = {name: Unit(name=name, short_name=short_name) for name, short_name in data.UNITS}
    ward.units.extend(units.values())
    categories = {category.code: category for category in ward.delegate_categories}

    people: dict[str, Person] = {}
    for entry in data.people():
        person = Person(
            ward=ward,
            full_name=entry.full_name,
            title=entry.title,
            organisation=entry.organisation,
            residential_group=groups.get(entry.group),
            delegate_category=categories.get(entry.category),
            has_consent=entry.has_consent,
            phone=entry.phone,
        )
        db.session.add(person)
        people[entry.key] = person
        if entry.unit:
            units[entry.unit].head_name = entry.full_name
        if entry.category == "TO_TRUONG":
            groups[entry.group].head_name = entry.full_name
    db.session.flush()

    users: dict[str, User] = {}
    for username, role, display_name, person_key, unit_name in data.ACCOUNTS:
        users[username] = create_user(
            ward=ward,
            username=username,
            display_name=display_name or people[person_key].full_name,
            password=password,
            role=Role(role),
            unit=units.get(unit_name) if unit_name else None,
        )

    roles = data.CONFERENCE_ROLES
    # Opened as it was that morning; its turns and its closing then go through the same
    # operations as a live session, events included.
    conference = Conference(
        ward=ward,
        **data.CONFERENCE,
        chair=people[roles["chair"]],
        reporter=people[roles["reporter"]],
        cochairs=[people[key] for key in roles["cochairs"]],
        secretaries=[users[username] for username in roles["secretaries"]],
        status=ConferenceStatus.IN_PROGRESS,
        status_changed_dt=data.CONFERENCE["start_dt"],
        started_dt=data.CONFERENCE["start_dt"],
    )
    db.session.add(conference)
    db.session.flush()
    _add_agenda(conference, data.AGENDA_2020, people)
    _add_attendance(
        conference,
        people,
        users,
        groups,
        categories,
        present=data.PRESENT_2020,
        excused=data.EXCUSED_2020,
        arrivals_from=data.ARRIVALS_FROM,
        walk_ins=data.WALK_INS_2020,
    )
    _add_dossier_2020(conference)
    _log_turns(ward, conference, data.TURNS_2020, people, users["secretary"], units)
    _close_2020(conference, units)
    # Its survey before its documents: the conclusion notice reports what the survey found.
    feedback.add_survey_2020(conference, users["organiser"])
    _publish_2020(conference, people, users)
    _answer_2020(conference, people, users)
    feedback.add_ratings_2020(
        conference, db.session.scalars(sa.select(Turn).where(Turn.conference_id == conference.id))
    )
    if with_history:
        # Before the recent conference: the registers number the years' documents in order.
        history.add_demo_history(ward, people, users)
    _add_recent_conference(ward, people, users, groups, categories, units)
    _add_next_conference(ward, people, users, categories)
    addresses = [(user, f"{username}@{data.MAIL_DOMAIN}") for username, user in users.items()]
    others = history.load_other_wards(password) if with_history else []
    addresses += history.history_accounts(others)
    city = _add_city([ward, *(other for other, _accounts, _domain in others)], password)
    addresses.append((city, f"{city.username}@{data.CITY_MAIL_DOMAIN}"))
    # Last: the history played above is not mailed to anyone on the day the demo is loaded.
    for user, address in addresses:
        user.email = address
    db.session.flush()
    return ward


def _prepare_signing() -> None:
    """Certificates for the demo's wards when the deployment configured none.

    The demo's documents are then published signed, as a real ward's are, under an authority
    made for the demo (dialogue.demo.certificates), in ``instance/demo-signing/``, where the
    configuration finds them at the next start.
    """
    if current_app.config.get("DIALOGUE_SIGNING_P12"):
        return
    word = WardKind.WARD.word
    wards = [(DEMO_SLUG, f"{word} {data.WARD['name']}")]
    wards += [(spec.slug, f"{word} {spec.name}") for spec in OTHER_WARDS]
    directory = Path(current_app.instance_path) / certificates.DEMO_DIRECTORY
    passphrase = certificates.write_demo_keystores(directory, wards)
    current_app.config["DIALOGUE_SIGNING_P12"] = str(directory)
    current_app.config["DIALOGUE_SIGNING_P12_PASSPHRASE"] = passphrase


def _add_city(wards: list[Ward], password: str) -> User:
    """The wards' city, Hà Nội, and the officer of its office who compares them."""
    province = get_or_create_province(data.WARD["province"])
    for ward in wards:
        assign_province(ward, province)
    username, display_name = data.CITY_ACCOUNT
    return create_user(
        province=province,
        username=username,
        display_name=display_name,
        password=password,
        role=Role.CITY,
    )


def _presenter(key: str, people: dict[str, Person]) -> str:
    return people[key].label if key in people else key


def _add_agenda(conference: Conference, items, people: dict[str, Person]) -> None:
    for position, (title, presenter, minutes) in enumerate(items, start=1):
        conference.agenda_items.append(
            AgendaItem(
                position=position,
                title=title,
                presenter=_presenter(data.CONFERENCE_ROLES.get(presenter, presenter), people),
                planned_minutes=minutes,
            )
        )
    db.session.flush()


def _attendee_from(conference: Conference, person: Person) -> Attendee:
    return Attendee(
        conference=conference,
        person=person,
        full_name=person.full_name,
        title=person.title,
        organisation=person.organisation,
        residential_group_id=person.residential_group_id,
        delegate_category_id=person.delegate_category_id,
        is_invited=True,
    )


def _add_attendance(
    conference,
    people,
    users,
    groups,
    categories,
    *,
    present,
    excused,
    arrivals_from,
    walk_ins,
) -> None:
    """The invitation list (the whole directory) and who came: history, set directly."""
    roles = data.CONFERENCE_ROLES
    leaders = [roles["chair"], roles["reporter"], *roles["cochairs"]]
    ordered = [people[key] for key in leaders] + [
        person for key, person in people.items() if key not in leaders
    ]
    desk = users["organiser"]
    came = sent_apologies = 0
    for index, person in enumerate(ordered):
        attendee = _attendee_from(conference, person)
        # Leaders first, then roughly three of every four, until ``present`` have come.
        if came < present and (index < len(leaders) or index % 4 != 3):
            came += 1
            attendee.status = AttendanceStatus.PRESENT
            attendee.check_in_method = CheckInMethod.QR if index % 3 else CheckInMethod.NAME
            attendee.checked_in_dt = arrivals_from + timedelta(seconds=25 * came)
            attendee.checked_in_by = desk
        elif sent_apologies < excused and index % 4 == 3:
            sent_apologies += 1
            attendee.status = AttendanceStatus.EXCUSED
        db.session.add(attendee)
    for offset, (name, group_number, organisation) in enumerate(walk_ins, start=1):
        db.session.add(
            Attendee(
                conference=conference,
                full_name=name,
                organisation=organisation,
                residential_group_id=groups[group_number].id if group_number else None,
                delegate_category_id=categories["DOANH_NGHIEP" if organisation else "NHAN_DAN"].id,
                status=AttendanceStatus.PRESENT,
                check_in_method=CheckInMethod.WALK_IN,
                checked_in_dt=arrivals_from + timedelta(minutes=38, seconds=20 * offset),
                checked_in_by=desk,
            )
        )
    allocate_number(
        conference.ward,
        DocumentType.INVITATION,
        conference=conference,
        year=conference.start_local.year,
        purpose=f"Giấy mời dự Hội nghị đối thoại {conference.reporting_period}",
    )
    db.session.flush()


def _present(conference: Conference, who: str, people: dict[str, Person]) -> Attendee:
    """The checked-in attendee ``who`` names: a person's key, or a walk-in's name."""
    stmt = sa.select(Attendee).where(
        Attendee.conference_id == conference.id, Attendee.status == AttendanceStatus.PRESENT
    )
    if who in people:
        stmt = stmt.where(Attendee.person_id == people[who].id)
    else:
        stmt = stmt.where(Attendee.person_id.is_(None), Attendee.full_name == who)
    attendee = db.session.scalar(stmt)
    if attendee is None:
        raise LookupError(f"the demo names {who!r}, who did not attend on 30/6/2020")
    return attendee


def _log_turns(
    ward, conference, turns, people, secretary: User, units, *, spoken_from=None
) -> list[Turn]:
    """The turns of the day, logged as the secretary would have logged them.

    ``spoken_from`` dates the first turn, the others 12 minutes apart; without it they are
    dated when the demo is loaded.
    """
    areas = {area.code: area for area in ward.procedure_areas}
    day = conference.held_start_local.date()
    logged = []
    for index, turn in enumerate(turns):
        referred = bool(turn.referral_unit)
        due = None
        if referred and turn.referral_days is not None:
            due = day + timedelta(days=turn.referral_days)
        spoken = spoken_from + timedelta(minutes=12 * index) if spoken_from else None
        result = log_turn(
            conference,
            TurnData(
                question=turn.question,
                speaker_attendee_id=_present(conference, turn.speaker, people).id,
                speaker_organisation=turn.organisation,
                procedure_area_id=areas[turn.area].id,
                outcome=TurnOutcome.REFERRED if referred else TurnOutcome.ANSWERED,
                answerer_attendee_id=_present(conference, turn.answerer, people).id,
                answer=turn.answer,
                # Without a due date of its own, the rule's: ten days after the conference.
                referral_unit_id=units[turn.referral_unit].id if referred else None,
                referral_due_date=due,
                referral_note=turn.referral_note,
                spoken_dt=spoken,
            ),
            by=secretary,
        )
        logged.append(result.turn)
    return logged


def _close_2020(conference: Conference, units) -> None:
    close_conference(
        conference,
        ConclusionData(
            end_dt=data.CONFERENCE_CLOSED_DT,
            conclusion=data.CONCLUSION_2020,
            tasks=tuple(
                TaskData(content, unit_id=units[unit].id, deadline=deadline)
                for content, unit, deadline in data.TASKS_2020
            ),
        ),
    )
    # History: it was closed that morning, not when the demo was loaded.
    conference.status_changed_dt = data.CONFERENCE_CLOSED_DT
    db.session.flush()


def _publish_2020(conference: Conference, people, users) -> None:
    """The BB and the TB of 2020: drafted and submitted by the secretary, published by the chair.

    Their numbers are taken in 2020 and their date is the day the ward posted its report,
    because ``publish`` takes ``now`` for both.
    """
    roles = data.CONFERENCE_ROLES
    names = {"chair": people[roles["chair"]].label, "reporter": people[roles["reporter"]].label}
    secretary, chair = users["secretary"], users["chair"]
    texts = {
        DocumentType.MINUTES: {
            "opening": data.OPENING_BB_2020.format(**names),
            "report_summary": data.REPORT_SUMMARY_2020.format(**names),
        },
        DocumentType.NOTICE: {"opening": data.ASSESSMENT_TB_2020.format(**names)},
    }
    for doc_type, parts in texts.items():
        draft = get_or_create_draft(conference, doc_type, secretary)
        update_draft(draft, replace(DraftData.of(draft), **parts), secretary, draft.version)
        submit_draft(draft, secretary, now=data.MINUTES_SUBMITTED_2020)
        publish(draft, chair, now=data.MINUTES_PUBLISHED_2020)
    # History: the conference's state changed when its documents were published, in 2020.
    conference.status_changed_dt = data.MINUTES_PUBLISHED_2020
    db.session.flush()


def _answer_2020(conference: Conference, people, users) -> None:
    """The 2020 referral's written answer: written, approved and published in July 2020.

    The operations date each step today, and a published answer can never be changed
    afterwards to date it otherwise: the version is added as it ended up, complete.
    """
    ward = conference.ward
    letter = data.ANSWER_2020
    referral = db.session.scalar(sa.select(Referral).where(Referral.conference_id == conference.id))
    responder, chair = users["responder"], users["chair"]
    attachment = check_attachment(
        letter.filename, _reply_letter_pdf(ward, letter, signer=people["chair"])
    )
    body = normalize_paragraphs(letter.body)
    db.session.add(
        WrittenAnswer(
            referral=referral,
            version=1,
            status=AnswerStatus.PUBLISHED,
            body=body,
            body_sha256=hashlib.sha256(body.encode("utf-8")).hexdigest(),
            letter_number=letter.number,
            letter_date=letter.letter_date,
            attachment_filename=attachment.filename,
            attachment_pdf=attachment.data,
            attachment_sha256=attachment.sha256,
            attachment_size=len(attachment.data),
            attachment_pages=attachment.pages,
            # Saved once, then submitted: each raised the revision.
            revision=2,
            written_by=responder,
            submitted_by=responder,
            submitted_dt=letter.submitted_dt,
            published_by=chair,
            published_dt=letter.published_dt,
            created_dt=letter.started_dt,
            updated_dt=letter.published_dt,
        )
    )
    referral.status = ReferralStatus.ANSWERED
    referral.answered_on = ward_today(ward, letter.published_dt)
    referral.is_settled = True
    referral.refresh_search_text()
    db.session.flush()
    # It enters the ward's publication log, as publishing it would have done.
    record_answer(referral.published_answer)


def _reply_letter_pdf(ward: Ward, letter: data.DemoReplyLetter, *, signer: Person) -> bytes:
    """The reply letter as its unit would attach it once signed: one A4 page."""
    return render_pdf(
        "demo/reply_letter.html",
        stylesheets=("css/document.css",),
        ward=ward,
        letter=letter,
        place_date=vn_date(letter.letter_date, place=ward.place_name),
        signer=signer.full_name,
    )


def _add_dossier_2020(conference: Conference) -> None:
    figures = dict(data.DOSSIER_2020)
    counts = Counts(
        received_online=figures.pop("received_online"),
        received_desk=figures.pop("received_desk"),
        resolved_on_time=figures.pop("resolved_on_time"),
        pending_within=figures.pop("pending_within"),
    )
    save_report(conference, ReportData(counts=counts, **figures))


def _add_recent_conference(ward, people, users, groups, categories, units) -> None:
    """A conference held a few days ago, closed, its referred questions at every stage."""
    day = ward_today(ward) - timedelta(days=data.RECENT_CONFERENCE_DAYS_AGO)
    start = datetime(day.year, day.month, day.day, 8, tzinfo=ZoneInfo(ward.timezone))
    period = data.half_year(day)
    roles = data.CONFERENCE_ROLES
    conference = Conference(
        ward=ward,
        **data.RECENT_CONFERENCE,
        title=data.RECENT_TITLE.format(period=period),
        reporting_period=period,
        plan_date=day - timedelta(days=data.RECENT_PLAN_DAYS_BEFORE),
        start_dt=start,
        planned_end_dt=start + timedelta(hours=3),
        chair=people[roles["chair"]],
        reporter=people[roles["reporter"]],
        cochairs=[people[key] for key in roles["cochairs"]],
        secretaries=[users[username] for username in roles["secretaries"]],
        status=ConferenceStatus.IN_PROGRESS,
        announced_dt=start - timedelta(days=data.RECENT_NOTICE_DAYS),
        status_changed_dt=start,
        started_dt=start,
    )
    db.session.add(conference)
    db.session.flush()
    _add_agenda(conference, data.NEXT_AGENDA, people)
    _add_attendance(
        conference,
        people,
        users,
        groups,
        categories,
        present=data.PRESENT_RECENT,
        excused=data.EXCUSED_RECENT,
        arrivals_from=start - timedelta(minutes=35),
        walk_ins=data.WALK_INS_RECENT,
    )
    turns = _log_turns(
        ward,
        conference,
        data.TURNS_RECENT,
        people,
        users["secretary"],
        units,
        spoken_from=start + timedelta(minutes=55),
    )
    end = start + timedelta(minutes=data.RECENT_SESSION_MINUTES)
    close_conference(
        conference,
        ConclusionData(
            end_dt=end,
            conclusion=data.CONCLUSION_RECENT,
            tasks=tuple(
                TaskData(
                    content,
                    unit_id=units[unit].id,
                    deadline=day + timedelta(days=days) if days else None,
                )
                for content, unit, days in data.TASKS_RECENT
            ),
        ),
    )
    conference.status_changed_dt = end
    # The unit's work so far, through the operations: dated today, as it would be.
    responder = users["responder"]
    for turn, planned in zip(turns, data.TURNS_RECENT, strict=True):
        if planned.written_answer:
            answer = save_answer(
                turn.referral, AnswerData(body=planned.written_answer), by=responder, revision=None
            )
            if planned.is_submitted:
                submit_answer(turn.referral, by=responder, revision=answer.revision)
    db.session.flush()


def _add_next_conference(ward, people, users, categories) -> None:
    """An announced conference three weeks ahead, with the group heads and leaders invited."""
    today = to_local(utcnow(), ward.timezone).date()
    day = today + timedelta(days=data.NEXT_CONFERENCE_DAYS_AHEAD)
    start = datetime(day.year, day.month, day.day, 8, tzinfo=ZoneInfo(ward.timezone))
    roles = data.CONFERENCE_ROLES
    conference = Conference(
        ward=ward,
        **data.NEXT_CONFERENCE,
        plan_date=today - timedelta(days=14),
        start_dt=start,
        planned_end_dt=start + timedelta(hours=3),
        chair=people[roles["chair"]],
        reporter=people[roles["reporter"]],
        cochairs=[people[key] for key in roles["cochairs"]],
        secretaries=[users[username] for username in roles["secretaries"]],
        status=ConferenceStatus.ANNOUNCED,
        status_changed_dt=utcnow(),
        announced_dt=utcnow(),
    )
    db.session.add(conference)
    db.session.flush()
    _add_agenda(conference, data.NEXT_AGENDA, people)
    for code in ("TT_HDND", "MTTQ", "TO_TRUONG", "BT_CHI_BO", "DOANH_NGHIEP"):
        invite_category(conference, categories[code])
    db.session.flush()
    feedback.add_advance_questions(conference, users["organiser"])
