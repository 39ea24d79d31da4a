"""Live screens: the staff stream, the projector, and residents' phones.

Streams are Server-Sent Events with resume (``Last-Event-ID``, or ``?after=`` when a page
already shows the record up to a number) and a snapshot when resuming is not possible; the
JSON snapshots answer with an ETag so that a screen polling behind a proxy that blocks
streams costs one small query when nothing has changed.
"""

from __future__ import annotations

import socket
from contextlib import contextmanager

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for

from dialogue.auth.access import login_required, public
from dialogue.conferences.models import Conference
from dialogue.core.scoping import get_scoped_or_404
from dialogue.extensions import db
from dialogue.feed import operations
from dialogue.feed.stream import LiveStream, catch_up, kept_catch_up, stream_state
from dialogue.live.bus import get_bus
from dialogue.live.events import channel_for
from dialogue.live.models import TurnOutcome
from dialogue.public.views import _public_conference_or_404, _ward_or_404
from dialogue.questions.operations import accepts_questions

bp = Blueprint("feed", __name__)

PUBLIC_PREFIX = "/p/<ward_slug>/hoi-nghi/<int:conference_id>"
# A stream whose frames cannot go out for this long is ended (seconds).
STREAM_WRITE_TIMEOUT = 60
# The kernel's send buffer of a stream socket (bytes; Linux doubles it): room for a snapshot's
# first part and many events, not megabytes for a phone that went away.
STREAM_SEND_BUFFER = 32 * 1024


def _resume_point() -> int | None:
    """The number of the last event the screen has: EventSource's header, or ``?after=``."""
    raw = request.headers.get("Last-Event-ID") or request.args.get("after")
    try:
        value = int(raw) if raw not in (None, "") else None
    except ValueError:
        return None
    return value if value is not None and value >= 0 else None


@contextmanager
def _database_turn():
    """Hold one of the process's database slots for streams, until the session is let go.

    Thousands of screens reconnect together after a proxy restart; the ones beyond the slots
    wait here, off the pool, instead of timing out on it.
    """
    with stream_state(current_app).slots:
        try:
            yield
        finally:
            db.session.remove()


def _bound_writes() -> None:
    """Bound what a screen that stops reading costs, and drop it once it is gone for good.

    Its messages stop at its own bounded queue (it falls behind and later catches up from the
    database), its frames at a small kernel send buffer (the default grows to megabytes per
    socket, thousands of which a city's phones hold); a write that cannot go out for the
    write timeout ends the stream (a phone out of range), freeing its connection.
    """
    sock = request.environ.get("gunicorn.socket")
    if sock is None:
        return
    config = current_app.config
    seconds = float(config.get("DIALOGUE_STREAM_WRITE_TIMEOUT", STREAM_WRITE_TIMEOUT))
    buffer = int(config.get("DIALOGUE_STREAM_SEND_BUFFER", STREAM_SEND_BUFFER))
    if buffer > 0:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, buffer)
    if seconds > 0:
        sock.settimeout(seconds)


def _stream(conference: Conference, *, public: bool) -> Response:
    app = current_app._get_current_object()
    bus = get_bus(app)
    # Subscribe before reading: whatever is committed from now on reaches the screen, and
    # what the read already includes is recognised by its number and not sent twice.
    subscription = bus.subscribe(channel_for(conference.id))
    try:
        answer = catch_up(app, bus, conference, _resume_point(), public=public)
    except BaseException:
        subscription.close()
        raise
    if public:
        stream_state(app).keep_public(request.view_args, conference.id, answer)
    # The stream may stay open for half an hour: it must not hold a connection of the pool.
    db.session.remove()
    return _stream_response(conference.id, subscription, answer, public=public)


def _kept_public_stream() -> Response | None:
    """Open a resident's stream with no database at all, from what another screen just read.

    After a proxy restart the phones of a hall come back asking the same: which conference
    the address is (published, of this ward) and the record since the same event. Both were
    read a moment ago for another phone of this process; None when they were not.
    """
    app = current_app._get_current_object()
    state = stream_state(app)
    conference_id = state.kept_public(request.view_args)
    if conference_id is None:
        return None
    bus = get_bus(app)
    subscription = bus.subscribe(channel_for(conference_id))
    answer = kept_catch_up(app, bus, conference_id, _resume_point(), public=True)
    if answer is None:
        subscription.close()
        return None
    return _stream_response(conference_id, subscription, answer, public=True)


def _stream_response(conference_id: int, subscription, answer, *, public: bool) -> Response:
    _bound_writes()
    stream = LiveStream(
        current_app._get_current_object(),
        conference_id,
        subscription,
        public=public,
        last=answer.upto,
        first_frames=answer.frames,
        follows=not public or answer.follows,
    )
    response = Response(stream, mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache" if public else "private, no-cache, no-store"
    # nginx would otherwise hold the frames back until its buffer fills.
    response.headers["X-Accel-Buffering"] = "no"
    return response


def _poll(conference: Conference, *, public: bool) -> Response:
    sequence = operations.current_sequence(conference)
    etag = operations.etag_for(conference, sequence)
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        after = request.args.get("after", type=int)
        body = operations.poll_body(conference, after, public=public, upto=sequence)
        response = jsonify(body)
    response.set_etag(etag)
    # Kept by the browser, but asked again each time (the ETag makes the asking cheap).
    response.headers["Cache-Control"] = "no-cache" if public else "private, no-cache"
    return response


# Staff -----------------------------------------------------------------------------------


@bp.route("/conferences/<int:conference_id>/live/stream")
@login_required
def staff_stream(conference_id: int):
    with _database_turn():
        conference = get_scoped_or_404(Conference, conference_id)
        return _stream(conference, public=False)


@bp.route("/conferences/<int:conference_id>/live/snapshot.json")
@login_required
def staff_snapshot(conference_id: int):
    conference = get_scoped_or_404(Conference, conference_id)
    return _poll(conference, public=False)


# Residents -------------------------------------------------------------------------------


def _public_conference(ward_slug: str, conference_id: int) -> Conference:
    return _public_conference_or_404(_ward_or_404(ward_slug), conference_id)


@bp.route(f"{PUBLIC_PREFIX}/truc-tiep/stream")
@public
def public_stream(ward_slug: str, conference_id: int):
    kept = _kept_public_stream()
    if kept is not None:
        return kept
    with _database_turn():
        # While this one waited for its turn, another phone of the hall may have read it all.
        kept = _kept_public_stream()
        if kept is not None:
            return kept
        conference = _public_conference(ward_slug, conference_id)
        return _stream(conference, public=True)


@bp.route(f"{PUBLIC_PREFIX}/truc-tiep.json")
@public
def public_snapshot(ward_slug: str, conference_id: int):
    conference = _public_conference(ward_slug, conference_id)
    return _poll(conference, public=True)


def _public_page(template: str, conference: Conference, *, with_qr: bool = False):
    snapshot = operations.public_snapshot(conference)
    urls = {
        name: url_for(f"feed.{name}", ward_slug=conference.ward.slug, conference_id=conference.id)
        for name in ("public_stream", "public_snapshot")
    }
    ask_url = operations.ask_url(conference) if accepts_questions(conference) else None
    return render_template(
        template,
        ward=conference.ward,
        conference=conference,
        snapshot=snapshot,
        turns=snapshot["turns"],
        numbers=operations.display_numbers(snapshot["turns"]),
        facts=snapshot["conference"],
        outcomes={outcome.value: str(outcome.title) for outcome in TurnOutcome},
        stream_url=urls["public_stream"],
        snapshot_url=urls["public_snapshot"],
        ask_url=ask_url,
        qr_image=operations.qr_image(ask_url) if with_qr and ask_url else None,
    )


@bp.route(f"{PUBLIC_PREFIX}/truc-tiep")
@public
def live_page(ward_slug: str, conference_id: int):
    conference = _public_conference(ward_slug, conference_id)
    return _public_page("feed/live_page.html", conference)


@bp.route(f"{PUBLIC_PREFIX}/man-hinh")
@public
def projector(ward_slug: str, conference_id: int):
    conference = _public_conference(ward_slug, conference_id)
    return _public_page("feed/projector.html", conference, with_qr=True)
