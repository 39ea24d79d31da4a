"""What live screens receive: snapshots of a conference's record and the events since a point.

Staff screens see every turn (withdrawn ones flagged), the moderation queue and the facts of
the conference; residents' screens see only turns not withdrawn, in their public form
(speakers named only where the ward chose so), and nothing of who sent a question.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask import current_app, url_for
from sqlalchemy.orm import selectinload

from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.extensions import db
from dialogue.live.models import LiveEvent, Turn
from dialogue.live.operations import turn_payload

# Resuming after more events than this costs more than a snapshot: send the snapshot.
REPLAY_LIMIT = 500
# Stands in for an event a screen does not see, so that it knows how far it is.
PING = "ping"
SNAPSHOT = "snapshot"
CLOSED_EVENT = "conference.closed"
# While a conference is in one of these states, its public screens stay connected.
FOLLOWED_STATUSES = frozenset({ConferenceStatus.ANNOUNCED, ConferenceStatus.IN_PROGRESS})


def is_followed(conference: Conference) -> bool:
    """Public screens stay connected: announced or under way, unless typed in afterwards."""
    return conference.status in FOLLOWED_STATUSES and not conference.is_recorded_afterwards


def current_sequence(conference: Conference) -> int:
    """Read the number of the conference's last event from the database, not the session."""
    sequence = db.session.scalar(
        sa.select(Conference.live_sequence).where(Conference.id == conference.id)
    )
    return sequence or 0


def conference_facts(conference: Conference) -> dict:
    """The conference as every screen shows it; the conclusion once it has closed."""
    facts = {
        "id": conference.id,
        "title": conference.title,
        "status": conference.status.value,
        "ward": conference.ward.display_name,
        "venue": conference.venue,
        "start": conference.start_dt.isoformat(),
        "end": conference.end_dt.isoformat() if conference.end_dt else None,
    }
    if conference.status in {ConferenceStatus.CLOSED, ConferenceStatus.PUBLISHED}:
        from dialogue.live.closing import conclusion_payload

        facts.update(conclusion_payload(conference))
    return facts


def _turns(conference: Conference, *, with_withdrawn: bool) -> list[Turn]:
    stmt = (
        sa.select(Turn)
        .where(Turn.conference_id == conference.id)
        .options(
            selectinload(Turn.speaker_group),
            selectinload(Turn.procedure_area),
            selectinload(Turn.referral_unit),
            selectinload(Turn.updated_by),
        )
        .order_by(Turn.position, Turn.id)
    )
    if not with_withdrawn:
        stmt = stmt.where(Turn.withdrawn_dt.is_(None))
    return list(db.session.scalars(stmt))


def staff_snapshot(conference: Conference) -> dict:
    """Everything a secretary's screen shows, numbered with the last event it includes."""
    from dialogue.questions.operations import queue_payload

    # The number is read first: a change committed meanwhile is then sent again, never lost.
    sequence = current_sequence(conference)
    return {
        "seq": sequence,
        "conference": conference_facts(conference),
        "turns": [turn_payload(turn) for turn in _turns(conference, with_withdrawn=True)],
        "questions": queue_payload(conference),
    }


def public_snapshot(conference: Conference) -> dict:
    """What the projector and residents' phones show: turns not withdrawn, names as chosen."""
    sequence = current_sequence(conference)
    return {
        "seq": sequence,
        "conference": conference_facts(conference),
        "turns": [
            turn_payload(turn, public=True) for turn in _turns(conference, with_withdrawn=False)
        ],
    }


def snapshot(conference: Conference, *, public: bool) -> dict:
    return public_snapshot(conference) if public else staff_snapshot(conference)


def events_after(conference: Conference, after: int, *, upto: int) -> list[LiveEvent] | None:
    """The events numbered after ``after`` up to ``upto``; None when a snapshot is better.

    A point beyond the last event (the database was restored, or the number is made up) or
    too far behind cannot be resumed from.
    """
    if after < 0 or after > upto or upto - after > REPLAY_LIMIT:
        return None
    return list(
        db.session.scalars(
            sa.select(LiveEvent)
            .where(
                LiveEvent.conference_id == conference.id,
                LiveEvent.sequence > after,
                LiveEvent.sequence <= upto,
            )
            .order_by(LiveEvent.sequence)
        )
    )


def event_data(message: dict, *, public: bool) -> tuple[str, dict]:
    """The kind and data a screen receives for a bus message (or a stored event).

    The payload is merged at the top level: ``{"seq": 7, "kind": "turn.created", "turn": …}``.
    A public screen gets a ping for an event residents are not told of.
    """
    payload = message["public"] if public else message["staff"]
    if payload is None:
        return PING, {"seq": message["seq"]}
    return message["kind"], {**payload, "seq": message["seq"], "kind": message["kind"]}


def stored_message(live_event: LiveEvent) -> dict:
    return {
        "seq": live_event.sequence,
        "kind": live_event.kind,
        "staff": live_event.staff_payload,
        "public": live_event.public_payload,
    }


def sse_frame(kind: str, data: dict, *, seq: int | None = None) -> str:
    """One Server-Sent Event; JSON never holds a raw line break, so one ``data:`` line does."""
    lines = []
    if seq is not None:
        lines.append(f"id: {seq}")
    lines.append(f"event: {kind}")
    lines.append("data: " + json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    return "\n".join(lines) + "\n\n"


def snapshot_frame(data: dict) -> str:
    return sse_frame(SNAPSHOT, data, seq=data["seq"])


def catch_up_frames(
    conference: Conference, after: int | None, *, public: bool
) -> tuple[list[str], int]:
    """The frames that bring a screen that saw event ``after`` (None: none) up to date.

    Returns them with the number of the last event they include; no frames when the screen
    is already up to date.
    """
    upto = current_sequence(conference)
    if after is not None:
        if after == upto:
            return [], upto
        stored = events_after(conference, after, upto=upto)
        if stored is not None:
            frames = []
            for live_event in stored:
                kind, data = event_data(stored_message(live_event), public=public)
                frames.append(sse_frame(kind, data, seq=live_event.sequence))
            return frames, upto
    data = snapshot(conference, public=public)
    return [snapshot_frame(data)], data["seq"]


def poll_body(conference: Conference, after: int | None, *, public: bool, upto: int) -> dict:
    """The polling answer: the events after ``after`` when they are few, else a snapshot."""
    if after is not None:
        stored = events_after(conference, after, upto=upto)
        if stored is not None:
            events = []
            for live_event in stored:
                kind, data = event_data(stored_message(live_event), public=public)
                if kind != PING:
                    events.append(data)
            return {
                "type": "events",
                "seq": upto,
                "conference": conference_facts(conference),
                "events": events,
            }
    return {"type": SNAPSHOT, **snapshot(conference, public=public)}


def etag_for(conference: Conference, sequence: int) -> str:
    """Changes with every event and with the conference's state (which has no event of its own)."""
    return f"{conference.id}-{sequence}-{conference.status.value}"


def display_numbers(turns: list[dict]) -> dict[int, int]:
    """Number the turns not withdrawn 1, 2, 3… in speaking order, as the hall counts them."""
    shown = sorted(
        (turn for turn in turns if not turn.get("withdrawn")),
        key=lambda turn: (turn["position"], turn["id"]),
    )
    return {turn["id"]: number for number, turn in enumerate(shown, start=1)}


def ask_url(conference: Conference) -> str:
    """The residents' question form of ``conference``, as a full address for a QR code."""
    return url_for(
        "questions.ask",
        ward_slug=conference.ward.slug,
        conference_id=conference.id,
        _external=True,
    )


def qr_image(text: str) -> str:
    """A PNG data URI of a QR code for ``text``, the same kind as invitation letters carry."""
    from dialogue.invitations.letters import qr_data_uri

    return qr_data_uri(text)


def live_page_address(conference: Conference) -> str:
    """The residents' live page of ``conference`` as phones in the hall reach it (its QR code).

    ``DIALOGUE_PUBLIC_URL`` (the site as residents reach it) wins over the address the staff
    member's own request came to, which may be one only the ward's network knows.
    """
    values = {"ward_slug": conference.ward.slug, "conference_id": conference.id}
    base = (current_app.config.get("DIALOGUE_PUBLIC_URL") or "").strip()
    if base:
        return base.rstrip("/") + url_for("feed.live_page", **values)
    return url_for("feed.live_page", _external=True, **values)
