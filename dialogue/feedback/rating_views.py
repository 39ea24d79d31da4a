"""Ratings of answers: the residents' buttons on every page that shows an answer, the results.

Residents rate without an account, from pages that are the same for every visitor (the live
turns, the published minutes, a referral's follow-up): the forms carry no token, and a post
the browser says comes from another site is refused. The device is known by a signed cookie
(``feedback.device``); the sender of a question rating through their private link is known by
that link. Each form works without a script (the page comes back with a message) and, with
``static/js/ratings.js``, answers in place (``Accept: application/json``).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from dialogue.auth.access import public, role_required
from dialogue.auth.models import Role
from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.core.database import begin_writing, reads_first
from dialogue.core.responses import PRIVATE_HEADERS, wants_json
from dialogue.core.scoping import get_scoped_or_404
from dialogue.core.urls import is_safe_next
from dialogue.errors import DialogueError
from dialogue.extensions import csrf, db
from dialogue.feedback import ratings
from dialogue.feedback.device import (
    asker_key,
    current_device,
    feedback_limits,
    known_device_key,
    posted_from_another_site,
)
from dialogue.feedback.models import MAX_COMMENT_LENGTH, AnswerKind, AnswerRating, RatingLevel
from dialogue.feedback.rating_forms import RatingForm
from dialogue.live.models import Turn
from dialogue.minutes.compose import turn_numbers
from dialogue.public.views import _public_conference_or_404, _ward_or_404
from dialogue.questions.models import ResidentQuestion
from dialogue.questions.operations import fate_of, find_by_token

bp = Blueprint("ratings", __name__)

PUBLIC_PREFIX = "/p/<ward_slug>/hoi-nghi/<int:conference_id>"
RESULT_ROLES = (Role.CHAIR, Role.ORGANISER, Role.SECRETARY)
# What one device rated is its own: never kept by a shared cache.
NO_STORE = {"Cache-Control": "no-store"}
# A post that only sends a comment after the choice (the earlier level stays).
COMMENT_ONLY = "comment"
# Sections of the pages, where a link to one answer lands ("#danh-gia-cau-tra-loi").
SECTION_ANCHOR = "danh-gia-cau-tra-loi"


def _headers(response, headers: dict):
    response.headers.update(headers)
    return response


# -- what the pages need ------------------------------------------------------------------------


@bp.app_template_global("rating_levels")
def rating_levels() -> list[RatingLevel]:
    """The three levels, best first, as the buttons show them."""
    return list(RatingLevel)


@bp.app_template_global("rating_comment_max")
def rating_comment_max() -> int:
    return MAX_COMMENT_LENGTH


def rate_url(turn: Turn, **values) -> str:
    conference = turn.conference
    return url_for(
        "ratings.rate",
        ward_slug=conference.ward.slug,
        conference_id=conference.id,
        turn_id=turn.id,
        **values,
    )


def mine_url(conference: Conference) -> str:
    return url_for(
        "ratings.my_ratings", ward_slug=conference.ward.slug, conference_id=conference.id
    )


def _turn_number(turn: Turn) -> int:
    return turn_numbers([turn.conference_id]).get(turn.id, turn.position)


# Stands for a turn's id in the addresses of the live page's form template.
TURN_SLOT = "{turn}"


@bp.app_template_global("live_rating")
def live_rating(conference: Conference) -> dict | None:
    """What the residents' live page needs to put the rating buttons on answered turns."""
    if not ratings.accepts_ratings(conference):
        return None
    values = {"ward_slug": conference.ward.slug, "conference_id": conference.id}
    live_page = url_for("feed.live_page", **values)

    def pattern(**extra) -> str:
        # An id no turn has, replaced by the slot the template and the script fill in.
        address = url_for("ratings.rate", turn_id=0, **values, **extra)
        return address.replace("/luot/0/", f"/luot/{TURN_SLOT}/", 1)

    return {
        "pattern": pattern(),
        "comment_pattern": pattern(next=live_page),
        "next": live_page,
        "mine_url": mine_url(conference),
    }


@bp.app_template_global("written_answer_rating")
def written_answer_rating(turn: Turn) -> dict | None:
    """What a referral's public page shows to rate its published written answer."""
    if turn is None or ratings.rating_problem(turn, AnswerKind.WRITTEN) is not None:
        return None
    conference = turn.conference
    return {
        "turn": turn,
        "kind": AnswerKind.WRITTEN,
        "action": rate_url(turn),
        "mine_url": mine_url(conference),
        "public": ratings.public_result(
            conference, ratings.answer_result(turn, AnswerKind.WRITTEN)
        ),
    }


@bp.app_template_global("asker_ratings")
def asker_ratings(question: ResidentQuestion, turn: Turn | None) -> list[dict]:
    """The answers the sender of ``question`` is asked to rate first on their private page."""
    if turn is None:
        return []
    key = asker_key(question.id)
    return [
        {
            "turn": turn,
            "kind": kind,
            "excerpt": ratings.answer_excerpt(turn, kind),
            "current": ratings.rating_of(turn, kind, key),
            "action": url_for(
                "ratings.rate_as_asker",
                ward_slug=question.conference.ward.slug,
                token=question.follow_token,
            ),
        }
        for kind in AnswerKind
        if ratings.rating_problem(turn, kind) is None
    ]


@bp.app_template_global("rating_summary")
def rating_summary(conference: Conference) -> dict:
    """The conference page's panel: how many ratings, and the way to the results."""
    visible = (
        current_user.is_authenticated
        and current_user.has_role(*RESULT_ROLES)
        and conference.status
        in {ConferenceStatus.IN_PROGRESS, ConferenceStatus.CLOSED, ConferenceStatus.PUBLISHED}
    )
    return {
        "visible": visible,
        "count": ratings.count_ratings(conference) if visible else 0,
        "url": url_for("ratings.results", conference_id=conference.id),
    }


def minutes_section(conference: Conference) -> dict:
    """What the published minutes' page shows below the document: each answer to rate."""
    answers = ratings.rateable_answers(conference) if ratings.accepts_ratings(conference) else []
    return {
        "answers": [
            (answer, ratings.public_result(conference, answer.result)) for answer in answers
        ],
        "mine_url": mine_url(conference),
        "anchor": SECTION_ANCHOR,
    }


# -- the residents' posts -------------------------------------------------------------------------


def _public_turn(ward_slug: str, conference_id: int, turn_id: int) -> Turn:
    conference = _public_conference_or_404(_ward_or_404(ward_slug), conference_id)
    turn = db.session.get(Turn, turn_id)
    if turn is None or turn.conference_id != conference.id:
        abort(404)
    return turn


def _asker_question(ward_slug: str, token: str) -> ResidentQuestion:
    ward = _ward_or_404(ward_slug)
    question = find_by_token(token)
    if question is None or question.conference.ward_id != ward.id:
        abort(404)
    return question


def _asker_turn(question: ResidentQuestion) -> Turn | None:
    return fate_of(question).turn


def _kind_of(value) -> AnswerKind:
    try:
        return AnswerKind(value)
    except ValueError:
        return AnswerKind.SPOKEN


def _default_back(turn: Turn, kind: AnswerKind) -> str:
    """Where a post without a page to go back to returns: the page that shows that answer."""
    conference = turn.conference
    if kind is AnswerKind.WRITTEN and turn.referral is not None:
        return url_for(
            "public.referral", ward_slug=conference.ward.slug, referral_id=turn.referral.id
        )
    return url_for("feed.live_page", ward_slug=conference.ward.slug, conference_id=conference.id)


def _back(turn: Turn, kind: AnswerKind, target: str | None) -> str:
    return target if is_safe_next(target) else _default_back(turn, kind)


def _render_form_page(
    conference: Conference,
    turn: Turn | None,
    kind: AnswerKind,
    form: RatingForm,
    *,
    current: AnswerRating | None,
    action: str,
    back: str,
    problem: str | None = None,
    status: int = 200,
    headers: dict = NO_STORE,
    is_asker: bool = False,
):
    """The page of one answer and its rating form: reached by a link, or shown again with a
    post's problem and what was typed (without the answer when the asker's question has none)."""
    page = render_template(
        "feedback/rating_form.html",
        ward=conference.ward,
        conference=conference,
        turn=turn,
        kind=kind,
        number=_turn_number(turn) if turn is not None else None,
        written=ratings.published_written_answer(turn)
        if turn is not None and kind is AnswerKind.WRITTEN
        else None,
        form=form,
        current=current,
        action=action,
        back=back,
        problem=problem,
        unavailable=ratings.rating_problem(turn, kind) if turn is not None else None,
        is_asker=is_asker,
        mine=None if is_asker else mine_url(conference),
    )
    return _headers(current_app.make_response((page, status)), headers)


def _first_error(form: RatingForm) -> tuple[str, str | None]:
    for name, errors in form.errors.items():
        if errors:
            return " ".join(str(error) for error in errors), name
    return _("Choose one of the three answers: Very satisfied, Satisfied or Not satisfied."), None


def _validated(form: RatingForm) -> bool:
    """The form holds a level, or is a comment sent after the choice."""
    valid = form.validate_on_submit()
    if valid and form.level.data is None and request.form.get("send") != COMMENT_ONLY:
        form.level.errors = [
            _("Choose one of the three answers: Very satisfied, Satisfied or Not satisfied.")
        ]
        return False
    return valid


@dataclass
class _Context:
    """The answer a post is about, and how to answer it: the public form, or the asker's."""

    conference: Conference
    # None: the asker's question has not become a turn (yet).
    turn: Turn | None
    kind: AnswerKind
    form: RatingForm
    device_key: str | None
    action: str
    back: str
    is_asker: bool
    headers: dict

    def refused(self, message: str, *, field: str | None = None, status: int):
        if wants_json():
            return _headers(jsonify(ok=False, message=message, field=field), self.headers), status
        if field and field in self.form:
            self.form[field].errors = [message]
            problem = None
        else:
            problem = message
        current = ratings.rating_of(self.turn, self.kind, self.device_key) if self.turn else None
        return _render_form_page(
            self.conference,
            self.turn,
            self.kind,
            self.form,
            current=current,
            action=self.action,
            back=self.back,
            problem=problem,
            status=status,
            headers=self.headers,
            is_asker=self.is_asker,
        )


def _public_context(ward_slug: str, conference_id: int, turn_id: int) -> _Context:
    turn = _public_turn(ward_slug, conference_id, turn_id)
    form = RatingForm()
    kind = _kind_of(request.form.get("kind"))
    return _Context(
        conference=turn.conference,
        turn=turn,
        kind=kind,
        form=form,
        device_key=known_device_key(),
        action=rate_url(turn),
        back=_back(turn, kind, form.next.data),
        is_asker=False,
        headers=NO_STORE,
    )


def _asker_context(ward_slug: str, token: str) -> tuple[_Context, ResidentQuestion]:
    question = _asker_question(ward_slug, token)
    form = RatingForm()
    kind = _kind_of(request.form.get("kind"))
    follow = url_for("questions.follow", ward_slug=ward_slug, token=token)
    context = _Context(
        conference=question.conference,
        turn=_asker_turn(question),
        kind=kind,
        form=form,
        device_key=asker_key(question.id),
        action=url_for("ratings.rate_as_asker", ward_slug=ward_slug, token=token),
        back=follow,
        is_asker=True,
        headers=PRIVATE_HEADERS,
    )
    return context, question


def _too_many(message: str):
    text = _(
        "Too many ratings were sent from your phone or your connection in a short time. "
        "Wait a minute, then press your choice again."
    )
    args = request.view_args or {}
    if request.endpoint == "ratings.rate_as_asker":
        context, _question = _asker_context(args["ward_slug"], args["token"])
    else:
        context = _public_context(args["ward_slug"], args["conference_id"], args["turn_id"])
    return context.refused(text, status=429)


@bp.before_request
def _prepare_rate_limit_message():
    if request.endpoint in {"ratings.rate", "ratings.rate_as_asker"}:
        g.rate_limit_handler = _too_many


def _take(context: _Context, device_key: str):
    """Validate, rate, commit, and say so: in JSON, or back on the page with a message."""
    form = context.form
    if not _validated(form):
        message, field = _first_error(form)
        return context.refused(message, field=field, status=400)
    if context.turn is None:
        return context.refused(
            _("Your question has no answer to rate yet. Come back once it is answered."),
            status=409,
        )
    begin_writing()
    try:
        rated = ratings.rate_answer(
            context.turn,
            form.kind.data,
            form.level.data,
            form.comment.data,
            device_key,
            is_asker=context.is_asker,
        )
    except DialogueError as error:
        db.session.rollback()
        closed = isinstance(error, ratings.AnswerNotRateable | ratings.RatingsClosed)
        return context.refused(error.message, field=error.field, status=409 if closed else 400)
    db.session.commit()
    rating = rated.rating
    message = _(
        "Thank you. You rated the answer to turn %(number)s: %(level)s.",
        number=_turn_number(context.turn),
        level=rating.level.title,
    )
    if wants_json():
        return _headers(
            jsonify(ok=True, message=message, rating=ratings.rating_payload(rating)),
            context.headers,
        )
    flash(message, "success")
    return _headers(redirect(context.back), context.headers)


def _cross_site_message() -> str:
    return _(
        "This rating came from a page of another website and was not counted. "
        "Open the ward's own page to rate the answer."
    )


@bp.route(f"{PUBLIC_PREFIX}/luot/<int:turn_id>/danh-gia", methods=["GET", "POST"])
@csrf.exempt
@public
@feedback_limits
def rate(ward_slug: str, conference_id: int, turn_id: int):
    reads_first()
    if request.method == "GET":
        turn = _public_turn(ward_slug, conference_id, turn_id)
        kind = _kind_of(request.args.get("kind"))
        target = request.args.get("next")
        form = RatingForm(formdata=None, kind=kind, next=target if is_safe_next(target) else "")
        current = ratings.rating_of(turn, kind, known_device_key())
        if current is not None:
            form.comment.data = current.comment
        return _render_form_page(
            turn.conference,
            turn,
            kind,
            form,
            current=current,
            action=rate_url(turn),
            back=_back(turn, kind, target),
        )
    context = _public_context(ward_slug, conference_id, turn_id)
    if posted_from_another_site():
        return context.refused(_cross_site_message(), status=403)
    device = current_device()
    if device.is_forged:
        # The response carries a fresh identifier: pressing again is all it takes.
        return context.refused(
            _(
                "Your phone's rating identifier could not be checked, so your choice was not "
                "counted. It has been renewed: press your choice again."
            ),
            status=400,
        )
    context.device_key = device.key
    return _take(context, device.key)


@bp.route("/p/<ward_slug>/cau-hoi/<token>/danh-gia", methods=["POST"])
@csrf.exempt
@public
@feedback_limits
def rate_as_asker(ward_slug: str, token: str):
    reads_first()
    context, question = _asker_context(ward_slug, token)
    if posted_from_another_site():
        return context.refused(_cross_site_message(), status=403)
    return _take(context, asker_key(question.id))


@bp.route(f"{PUBLIC_PREFIX}/danh-gia-cua-toi.json")
@public
def my_ratings(ward_slug: str, conference_id: int):
    """This device's ratings in a conference, to mark its choices on pages kept for everyone."""
    conference = _public_conference_or_404(_ward_or_404(ward_slug), conference_id)
    found = ratings.device_ratings(conference, known_device_key())
    return _headers(jsonify(ratings=[ratings.rating_payload(r) for r in found]), NO_STORE)


# -- the staff's results ---------------------------------------------------------------------------


@bp.route("/conferences/<int:conference_id>/ratings")
@role_required(*RESULT_ROLES)
def results(conference_id: int):
    conference = get_scoped_or_404(Conference, conference_id)
    return render_template(
        "feedback/rating_results.html",
        conference=conference,
        ratings=ratings.conference_ratings(conference, with_comments=True),
        levels=list(RatingLevel),
        kinds=list(AnswerKind),
        minimum=conference.ward.rating_public_minimum,
    )
