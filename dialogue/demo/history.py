"""Five years of conferences for the demo ward, and two more wards of the same city.

Hà Nội holds its wards' dialogue conferences every six months. The half-years from 2021 to the
first half of 2026 are drawn here from the reference lists and the texts of
``history_data``, with a ``random.Random`` of a fixed seed per ward, so that every load gives
the same history. Each conference goes through the operations a ward would use: it is opened,
its turns are logged, it is closed with the chair's conclusion, its dossier figures are saved
and its minutes are drafted, submitted and published by the chair (dated as they were).
Attendance, the survey's answers, ratings and the units' written answers are set directly,
dated in the past, as the 2020 conference's are: their operations date everything today.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dialogue.attendance.models import AttendanceStatus, Attendee, CheckInMethod
from dialogue.auth.models import Role, User
from dialogue.auth.operations import create_user
from dialogue.conferences.models import AgendaItem, Conference, ConferenceStatus
from dialogue.core.text import normalize_paragraphs
from dialogue.demo import data
from dialogue.demo.history_data import (
    AFTER,
    BEFORE,
    CONCLUSION_ANSWERED,
    CONCLUSION_CLOSING,
    CONCLUSION_REFERRED,
    CONCLUSIONS,
    FIRST_YEAR,
    LAST_HALF,
    OTHER_RESULTS,
    OTHER_WARDS,
    TASKS,
    TEMPLATES,
    THACH_BAN,
    TWO_LEVEL_SINCE,
    Character,
    HistoryWard,
    Template,
    directory,
    units,
)
from dialogue.documents.models import DocumentType
from dialogue.documents.operations import allocate_number
from dialogue.dossier.figures import Counts
from dialogue.dossier.operations import ReportData, save_report
from dialogue.extensions import db
from dialogue.feedback.device import key_of
from dialogue.feedback.models import (
    AnswerKind,
    AnswerRating,
    RatingLevel,
    ResponseSource,
    SurveyElement,
    SurveyResponse,
)
from dialogue.feedback.survey import ensure_survey
from dialogue.followup.listing import ward_today
from dialogue.followup.models import AnswerStatus, ReferralStatus, WrittenAnswer
from dialogue.ledger.operations import record_answer
from dialogue.live.closing import ConclusionData, TaskData, close_conference
from dialogue.live.models import Turn, TurnOutcome
from dialogue.live.operations import TurnData, log_turn
from dialogue.minutes.operations import get_or_create_draft, publish, submit_draft
from dialogue.people.models import Person
from dialogue.wards.models import ResidentialGroup, Unit, Ward, WardKind
from dialogue.wards.operations import create_ward

# The officials who sit at the table: always present, and the ones who answer.
OFFICIALS = (
    "chair",
    "reporter",
    "vice_chair",
    "council_chair",
    "front_chair",
    "office",
    "justice",
    "land",
    "office_staff",
    "culture",
)
# Minutes go up this many days after the conference; late ones well after the ten days.
PUBLISHED_AFTER = (3, 9)
PUBLISHED_LATE_AFTER = (13, 24)
# A history conference must be this far in the past: its minutes and answers are dated.
SETTLED_DAYS = 40


@dataclass(frozen=True)
class Played:
    """A turn as logged, with the template and the words it was drawn from."""

    turn: Turn
    template: Template
    words: dict


@dataclass(frozen=True)
class Staff:
    """The accounts that play a ward's history."""

    organiser: User
    secretary: User
    chair: User
    responder: User


def half_years(today: date, *, skip: frozenset[tuple[int, int]] = frozenset()):
    """The half-years of the history, oldest first, without ``skip`` and the unsettled ones."""
    result = []
    for year in range(FIRST_YEAR, LAST_HALF[0] + 1):
        for half in (1, 2):
            if (year, half) > LAST_HALF or (year, half) in skip:
                continue
            # Too recent for its answers and minutes to be history yet.
            if date(year, 6 if half == 1 else 12, 30) + timedelta(days=SETTLED_DAYS) > today:
                continue
            result.append((year, half))
    return result


def _weekday(rng: random.Random, first: date, last: date) -> date:
    days = [
        first + timedelta(days=n)
        for n in range((last - first).days + 1)
        if (first + timedelta(days=n)).weekday() < 5
    ]
    return rng.choice(days)


def _period(year: int, half: int) -> str:
    return f"6 tháng {'đầu' if half == 1 else 'cuối'} năm {year}"


class WardHistory:
    """Plays the history of one ward, conference after conference, from one seeded draw."""

    def __init__(self, ward: Ward, people: dict[str, Person], staff: Staff, character: Character):
        self.ward = ward
        self.people = people
        self.staff = staff
        self.character = character
        self.rng = random.Random(character.seed)
        self.zone = ZoneInfo(ward.timezone)
        self.units = {unit.name: unit for unit in ward.units}
        self.areas = {area.code: area for area in ward.procedure_areas}
        self.carried_over = 0
        self.dossiers = character.dossiers

    def play(self, halves: list[tuple[int, int]]) -> list[Conference]:
        held = [h for h in halves if h not in self.character.missed]
        conferences = []
        for index, (year, half) in enumerate(held):
            is_latest = index >= len(held) - 2
            conferences.append(self._conference(year, half, is_latest=is_latest))
        return conferences

    # -- one conference ---------------------------------------------------------------------

    def _conference(self, year: int, half: int, *, is_latest: bool) -> Conference:
        rng, character = self.rng, self.character
        if half == 1:
            day = _weekday(rng, date(year, 6, 8), date(year, 6, 26))
            plan_date = _weekday(rng, date(year, 1, 6), date(year, 2, 24))
        else:
            day = _weekday(rng, date(year, 11, 18), date(year, 12, 18))
            plan_date = _weekday(rng, date(year, 9, 5), date(year, 10, 20))
        hour = 14 if rng.randrange(4) == 0 else 8
        start = datetime(day.year, day.month, day.day, hour, tzinfo=self.zone)
        started = start + timedelta(minutes=rng.randrange(0, 11))
        period = _period(year, half)
        low, high = character.plan_numbers[half - 1]
        recorded = character.recorded_before is not None and year < character.recorded_before
        roles = data.CONFERENCE_ROLES
        conference = Conference(
            ward=self.ward,
            title=data.RECENT_TITLE.format(period=period),
            subject=data.RECENT_CONFERENCE["subject"],
            plan_number=f"{rng.randint(low, high)}/KH-UBND",
            plan_date=plan_date,
            reporting_period=period,
            start_dt=start,
            planned_end_dt=start + timedelta(hours=3),
            venue=f"Hội trường UBND phường {self.ward.name}",
            chair=self.people[roles["chair"]],
            reporter=self.people[roles["reporter"]],
            cochairs=[self.people[key] for key in roles["cochairs"]],
            secretaries=[self.staff.secretary],
            status=ConferenceStatus.IN_PROGRESS,
            announced_dt=start - timedelta(days=rng.randint(8, 15), hours=rng.randint(0, 6)),
            status_changed_dt=started,
            started_dt=started,
        )
        if recorded:
            conference.announced_dt = None
            conference.recorded_dt = datetime(
                character.recorded_before, 1, 15, 8, tzinfo=self.zone
            ) + timedelta(hours=year * 2 + half)
        db.session.add(conference)
        db.session.flush()
        for position, (title, presenter, minutes) in enumerate(data.NEXT_AGENDA, start=1):
            key = roles.get(presenter, presenter)
            conference.agenda_items.append(
                AgendaItem(
                    position=position,
                    title=title,
                    presenter=self.people[key].label if key in self.people else key,
                    planned_minutes=minutes,
                )
            )
        present = self._attendance(conference, start, recorded=recorded)
        self._dossiers(conference, day, year, half)
        turns = self._turns(conference, present, started, day)
        end = started + timedelta(minutes=rng.randint(150, 190))
        self._close(conference, turns, end, day, period)
        self._survey(conference, started, paper_only=recorded)
        self._follow_up(conference, turns, is_latest=is_latest)
        if not recorded:
            self._ratings(conference, turns, started)
        late = (year, half) in character.published_late
        if recorded:
            # Posted at the ward office on that day; the paper file holds the signed copies.
            conference.results_posted_on = day + timedelta(days=self._publication_delay(late))
        elif (year, half) not in character.unpublished:
            self._publish(conference, day, late=late)
        return conference

    def _publication_delay(self, late: bool) -> int:
        return self.rng.randint(*(PUBLISHED_LATE_AFTER if late else PUBLISHED_AFTER))

    def _attendance(
        self, conference: Conference, start: datetime, *, recorded: bool
    ) -> list[Attendee]:
        """Everyone invited; the officials and a varying share of the others came.

        A conference recorded afterwards has its list from the paper sign-in sheet: nobody
        was checked in here, and its invitations were numbered on paper.
        """
        rng = self.rng
        officials = [self.people[key] for key in OFFICIALS]
        others = [person for key, person in self.people.items() if key not in OFFICIALS]
        wanted = rng.randint(*self.character.present)
        rng.shuffle(others)
        coming = max(0, min(wanted, len(officials) + len(others)) - len(officials))
        excused = rng.randint(2, 7)
        desk = self.staff.organiser
        present = []
        arrivals = start - timedelta(minutes=35)
        for index, person in enumerate([*officials, *others]):
            attendee = Attendee(
                conference=conference,
                person=person,
                full_name=person.full_name,
                title=person.title,
                organisation=person.organisation,
                residential_group_id=person.residential_group_id,
                delegate_category_id=person.delegate_category_id,
                is_invited=True,
            )
            if index < len(officials) + coming:
                attendee.status = AttendanceStatus.PRESENT
                method = CheckInMethod.QR if rng.randrange(3) else CheckInMethod.NAME
                if not recorded:
                    attendee.check_in_method = method
                    attendee.checked_in_dt = arrivals + timedelta(seconds=20 * index)
                    attendee.checked_in_by = desk
                present.append(attendee)
            elif index < len(officials) + coming + excused:
                attendee.status = AttendanceStatus.EXCUSED
            db.session.add(attendee)
        categories = {category.code: category for category in self.ward.delegate_categories}
        groups = list(self.ward.residential_groups)
        for n in range(rng.randint(0, 3)):
            group = rng.choice(groups)
            walk_in = Attendee(
                conference=conference,
                full_name=data.placeholder_name(rng.randrange(1500, 3000)),
                residential_group_id=group.id,
                delegate_category_id=categories["NHAN_DAN"].id,
                status=AttendanceStatus.PRESENT,
            )
            if not recorded:
                walk_in.check_in_method = CheckInMethod.WALK_IN
                walk_in.checked_in_dt = arrivals + timedelta(minutes=40, seconds=30 * n)
                walk_in.checked_in_by = desk
            db.session.add(walk_in)
            present.append(walk_in)
        if recorded:
            db.session.flush()
            return present
        allocate_number(
            self.ward,
            DocumentType.INVITATION,
            conference=conference,
            year=start.year,
            purpose=f"Giấy mời dự Hội nghị đối thoại {conference.reporting_period}",
        )
        db.session.flush()
        return present

    def _dossiers(self, conference: Conference, day: date, year: int, half: int) -> None:
        """The desk's six months: more online every year, the balance R = S + P + X kept."""
        rng, character = self.rng, self.character
        step = (year - FIRST_YEAR) * 2 + half - 1
        received = round(self.dossiers * rng.uniform(0.93, 1.08))
        self.dossiers = round(self.dossiers * (1 + character.growth))
        online_share = min(0.9, 0.24 + 0.065 * step + rng.uniform(-0.03, 0.03))
        online = round(received * online_share)
        total = self.carried_over + received
        late = round(total * character.late_rate * rng.uniform(0.5, 1.6))
        overdue = round(total * character.overdue_rate * rng.uniform(0.5, 1.5))
        within = round(total * rng.uniform(0.004, 0.012))
        on_time = total - late - overdue - within
        base = round(total * rng.uniform(0.28, 0.36))
        early = round(base * rng.uniform(0.48, 0.68))
        save_report(
            conference,
            ReportData(
                counts=Counts(
                    carried_over=self.carried_over,
                    received_online=online,
                    received_desk=received - online,
                    resolved_on_time=on_time,
                    resolved_late=late,
                    pending_within=within,
                    pending_overdue=overdue,
                ),
                early_count=early,
                early_base=base,
                early_measure=data.DOSSIER_2020["early_measure"],
                early_base_definition=data.DOSSIER_2020["early_base_definition"],
                cutoff_date=day - timedelta(days=rng.randint(8, 15)),
                other_results=rng.choice(OTHER_RESULTS),
            ),
        )
        # What was still in hand at the cut-off is the next period's carry-over.
        self.carried_over = within + overdue

    def _templates(self, day: date) -> tuple[list[Template], list[Template]]:
        era = AFTER if day >= TWO_LEVEL_SINCE else BEFORE
        fitting = [t for t in TEMPLATES if t.era in (None, era)]
        return (
            [t for t in fitting if t.referred is None],
            [t for t in fitting if t.referred is not None],
        )

    def _turns(
        self, conference: Conference, present: list[Attendee], started: datetime, day: date
    ) -> list[Played]:
        rng, character = self.rng, self.character
        answered_pool, referred_pool = self._templates(day)
        count = rng.randint(*character.turns)
        referred = max(1, round(count * character.referred_share * rng.uniform(0.6, 1.4)))
        referred = min(referred, len(referred_pool), count - 1)
        chosen = rng.sample(referred_pool, referred) + rng.sample(answered_pool, count - referred)
        rng.shuffle(chosen)
        officials = {a.person_id: a for a in present if a.person_id}
        by_key = {key: person.id for key, person in self.people.items()}
        categories = {category.id: category.code for category in self.ward.delegate_categories}
        speakers = {
            "resident": [
                a for a in present if categories.get(a.delegate_category_id) in ("NHAN_DAN",)
            ],
            "head": [
                a
                for a in present
                if categories.get(a.delegate_category_id) in ("TO_TRUONG", "BT_CHI_BO", "BCT_MT")
            ],
            "business": [
                a for a in present if categories.get(a.delegate_category_id) == "DOANH_NGHIEP"
            ],
        }
        groups = {group.id: group.number for group in self.ward.residential_groups}
        turns = []
        for index, template in enumerate(chosen):
            candidates = speakers[template.speaker] or speakers["resident"] or present
            speaker = rng.choice(candidates)
            words = {
                "group": groups.get(speaker.residential_group_id, 1),
                "org": speaker.organisation or "Hộ kinh doanh",
            }
            answerer = officials[by_key[template.answerer]]
            result = log_turn(
                conference,
                TurnData(
                    question=template.question.format(**words),
                    speaker_attendee_id=speaker.id,
                    speaker_organisation=speaker.organisation
                    if template.speaker == "business"
                    else "",
                    procedure_area_id=self.areas[template.area].id,
                    outcome=TurnOutcome.REFERRED if template.referred else TurnOutcome.ANSWERED,
                    answerer_attendee_id=answerer.id,
                    answer=template.answer.format(**words),
                    referral_unit_id=(
                        self.units[template.referred.unit].id if template.referred else None
                    ),
                    referral_note=template.referred.note.format(**words)
                    if template.referred
                    else "",
                    spoken_dt=started + timedelta(minutes=50 + 11 * index),
                ),
                by=self.staff.secretary,
            )
            turns.append(Played(result.turn, template, words))
        return turns

    def _close(
        self, conference: Conference, turns: list[Played], end: datetime, day: date, period: str
    ) -> None:
        rng = self.rng
        referred = sum(1 for each in turns if each.turn.outcome is TurnOutcome.REFERRED)
        paragraphs = [
            rng.choice(CONCLUSIONS).format(period=period),
            CONCLUSION_ANSWERED.format(answered=len(turns) - referred),
            CONCLUSION_REFERRED.format(referred=referred),
            CONCLUSION_CLOSING,
        ]
        tasks = rng.sample(TASKS, rng.randint(2, 4))
        close_conference(
            conference,
            ConclusionData(
                end_dt=end,
                conclusion="\n".join(paragraphs),
                tasks=tuple(
                    TaskData(content, unit_id=self.units[unit].id, deadline=day + timedelta(days=n))
                    for content, unit, n in tasks
                ),
            ),
        )
        conference.status_changed_dt = end

    def _survey(self, conference: Conference, started: datetime, *, paper_only: bool) -> None:
        rng, character = self.rng, self.character
        if rng.randrange(character.no_survey_one_in) == 0:
            return
        ensure_survey(conference)
        paper = rng.randint(18, 55)
        online = 0 if paper_only else rng.randint(6, 25)
        for number in range(1, paper + online + 1):
            on_paper = number <= paper
            scores = {}
            for element in SurveyElement:
                weights = list(character.score_weights)
                if element is SurveyElement.PROCEDURES:
                    # The procedures themselves draw more complaints than the people.
                    weights[0], weights[3] = max(1, weights[0] - 8), weights[3] + 4
                blank = on_paper and rng.randrange(25) == 0
                scores[element.value] = None if blank else rng.choices((5, 4, 3, 2, 1), weights)[0]
            if on_paper:
                when = started + timedelta(days=1, hours=1, seconds=40 * number)
                source = {"source": ResponseSource.PAPER, "paper_number": number}
                source["entered_by"] = self.staff.organiser
            else:
                when = started + timedelta(minutes=rng.randrange(20, 170))
                source = {
                    "source": ResponseSource.ONLINE,
                    "device_key": key_of(f"demo-history-{conference.id}-survey-{number}"),
                }
            db.session.add(
                SurveyResponse(
                    conference=conference,
                    **scores,
                    visits=rng.choices((0, 1, 2), (64, 25, 11))[0],
                    comment="",
                    created_dt=when,
                    updated_dt=when,
                    **source,
                )
            )
        db.session.flush()

    def _follow_up(self, conference: Conference, turns: list[Played], *, is_latest: bool) -> None:
        """The units' written answers: on time mostly, some late, a few of the latest not yet."""
        rng, character = self.rng, self.character
        responder, chair = self.staff.responder, self.staff.chair
        left = character.unanswered_at_most if is_latest else 0
        published_answers: list[WrittenAnswer] = []
        for each in turns:
            referral = each.turn.referral
            if referral is None:
                continue
            template, words = each.template, each.words
            body = normalize_paragraphs(template.referred.letter.format(**words))
            due = referral.due_date
            if left and rng.randrange(3):
                left -= 1
                self._unanswered(referral, body, due, stage=rng.randrange(3))
                continue
            if rng.randrange(character.late_one_in) == 0:
                answered_on = due + timedelta(days=rng.randint(2, 25))
            else:
                answered_on = due - timedelta(days=rng.randint(0, 6))
            published = datetime(
                answered_on.year, answered_on.month, answered_on.day, 9, 30, tzinfo=self.zone
            )
            submitted = published - timedelta(hours=rng.randint(17, 40))
            short = referral.unit.short_name.replace("-", "") if referral.unit else "VP"
            answer = WrittenAnswer(
                referral=referral,
                version=1,
                status=AnswerStatus.PUBLISHED,
                body=body,
                body_sha256=hashlib.sha256(body.encode("utf-8")).hexdigest(),
                letter_number=f"{rng.randint(20, 480)}/UBND-{short}",
                letter_date=submitted.date(),
                revision=2,
                written_by=responder,
                submitted_by=responder,
                submitted_dt=submitted,
                published_by=chair,
                published_dt=published,
                created_dt=submitted - timedelta(days=1),
                updated_dt=published,
            )
            db.session.add(answer)
            published_answers.append(answer)
            referral.status = ReferralStatus.ANSWERED
            referral.answered_on = answered_on
            referral.is_settled = True
            referral.refresh_search_text()
        db.session.flush()
        # Each enters the ward's publication log, as publishing it would have done.
        for answer in sorted(published_answers, key=lambda answer: answer.published_dt):
            record_answer(answer)

    def _unanswered(self, referral, body: str, due: date, *, stage: int) -> None:
        """Left where the unit stopped: untouched, a draft begun, or waiting for the chair."""
        if stage == 0:
            return
        responder = self.staff.responder
        begun = datetime(due.year, due.month, due.day, 15, tzinfo=self.zone)
        answer = WrittenAnswer(
            referral=referral,
            version=1,
            status=AnswerStatus.SUBMITTED if stage == 2 else AnswerStatus.DRAFT,
            body=body,
            revision=2 if stage == 2 else 1,
            written_by=responder,
            created_dt=begun,
            updated_dt=begun,
        )
        if stage == 2:
            answer.submitted_by = responder
            answer.submitted_dt = begun + timedelta(days=3)
            answer.updated_dt = answer.submitted_dt
        db.session.add(answer)
        referral.status = (
            ReferralStatus.AWAITING_APPROVAL if stage == 2 else ReferralStatus.IN_PROGRESS
        )
        referral.is_settled = True

    def _ratings(self, conference: Conference, turns: list[Played], started: datetime) -> None:
        rng, character = self.rng, self.character
        if rng.randrange(3) == 0:
            return
        for turn in (each.turn for each in turns):
            kinds = []
            if turn.outcome is TurnOutcome.ANSWERED:
                kinds.append((AnswerKind.SPOKEN, started))
            answer = turn.referral.published_answer if turn.referral else None
            if answer is not None:
                kinds.append((AnswerKind.WRITTEN, answer.published_dt))
            for kind, since in kinds:
                for n in range(rng.randint(2, 11)):
                    level = rng.choices(list(RatingLevel), character.rating_weights)[0]
                    when = since + timedelta(minutes=rng.randrange(40, 4000))
                    db.session.add(
                        AnswerRating(
                            conference_id=conference.id,
                            turn=turn,
                            kind=kind,
                            device_key=key_of(f"demo-history-{turn.id}-{kind.value}-{n}"),
                            level=level,
                            comment="",
                            created_dt=when,
                            updated_dt=when,
                        )
                    )
        db.session.flush()

    def _publish(self, conference: Conference, day: date, *, late: bool) -> None:
        """BB and TB drafted from the records, submitted, published by the chair that day."""
        published_on = day + timedelta(days=self._publication_delay(late))
        when = datetime(
            published_on.year, published_on.month, published_on.day, 15, 30, tzinfo=self.zone
        )
        for doc_type in (DocumentType.MINUTES, DocumentType.NOTICE):
            draft = get_or_create_draft(conference, doc_type, self.staff.secretary)
            submit_draft(draft, self.staff.secretary, now=when - timedelta(hours=22))
            publish(draft, self.staff.chair, now=when)
        conference.status_changed_dt = when
        db.session.flush()


# -- the demo ward's history, and the other wards -------------------------------------------------


def demo_skip(ward: Ward) -> frozenset[tuple[int, int]]:
    """The half-years of the demo's recent and next conferences: they are loaded already."""
    today = ward_today(ward)
    days = (
        today - timedelta(days=data.RECENT_CONFERENCE_DAYS_AGO),
        today + timedelta(days=data.NEXT_CONFERENCE_DAYS_AHEAD),
    )
    return frozenset((day.year, 1 if day.month <= 6 else 2) for day in days)


def add_demo_history(ward: Ward, people: dict[str, Person], users: dict[str, User]) -> None:
    """Thạch Bàn's conferences from 2021 to the first half of 2026."""
    staff = Staff(
        organiser=users["organiser"],
        secretary=users["secretary"],
        chair=users["chair"],
        responder=users["responder"],
    )
    halves = half_years(ward_today(ward), skip=demo_skip(ward))
    WardHistory(ward, people, staff, THACH_BAN).play(halves)


def load_other_wards(password: str) -> list[tuple[Ward, dict[str, User], str]]:
    """Phúc Lợi and Bồ Đề with their groups, units, people, staff and history.

    Returns each ward with its accounts and their mail domain: the caller gives the
    addresses last, once the history is played, as for the demo ward.
    """
    loaded = []
    for spec in OTHER_WARDS:
        ward, people, users = _create_ward(spec, password)
        staff = Staff(
            organiser=users["organiser"],
            secretary=users["secretary"],
            chair=users["chair"],
            responder=users["responder"],
        )
        WardHistory(ward, people, staff, spec.character).play(half_years(ward_today(ward)))
        loaded.append((ward, {spec.username(k): u for k, u in users.items()}, spec.mail_domain))
    return loaded


def _create_ward(spec: HistoryWard, password: str):
    ward = create_ward(
        kind=WardKind.WARD,
        name=spec.name,
        slug=spec.slug,
        place_name=spec.name,
        province=data.WARD["province"],
        address=spec.address,
    )
    groups = {
        number: ResidentialGroup(number=number, name=data.group_name(number))
        for number in range(1, spec.groups + 1)
    }
    ward.residential_groups.extend(groups.values())
    unit_rows = {name: Unit(name=name, short_name=short) for name, short in units()}
    ward.units.extend(unit_rows.values())
    categories = {category.code: category for category in ward.delegate_categories}
    people: dict[str, Person] = {}
    for member, full_name in directory(spec):
        person = Person(
            ward=ward,
            full_name=full_name,
            title=member.title,
            organisation=member.organisation,
            residential_group=groups.get(member.group),
            delegate_category=categories.get(member.category),
        )
        db.session.add(person)
        people[member.key] = person
        if member.unit:
            unit_rows[member.unit].head_name = full_name
        if member.category == "TO_TRUONG":
            groups[member.group].head_name = full_name
    db.session.flush()
    users = {
        suffix: create_user(
            ward=ward,
            username=spec.username(suffix),
            display_name=people[person_key].full_name,
            password=password,
            role=Role(role),
            unit=unit_rows.get(unit_name) if unit_name else None,
        )
        for suffix, role, person_key, unit_name in spec.accounts
    }
    return ward, people, users


def history_accounts(loaded) -> list[tuple[User, str]]:
    """Every account of the other wards with the address it gets once the history is played."""
    return [
        (user, f"{username}@{domain}")
        for _ward, users, domain in loaded
        for username, user in users.items()
    ]
