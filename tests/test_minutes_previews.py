"""A draft's previews are served from what was rendered last, while nothing they show changed."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import pytest
import sqlalchemy as sa

from dialogue.attendance.models import AttendanceStatus, Attendee
from dialogue.auth.models import Role
from dialogue.conferences.models import ConclusionTask
from dialogue.documents.models import DocumentType
from dialogue.extensions import db
from dialogue.live.models import Turn
from dialogue.minutes import compose, operations, previews, render
from tests.test_minutes_workflow import build_closed_conference

BB, TB = DocumentType.MINUTES, DocumentType.NOTICE


@pytest.fixture
def secretary(make_user):
    return make_user(Role.SECRETARY)


@pytest.fixture
def closed(ward, make_user, make_person, make_conference, secretary):
    return build_closed_conference(
        ward, make_user, make_person, make_conference, secretary=secretary
    )


def _counting(counts: Counter, name: str, original):
    def counted(*args, **kwargs):
        counts[name] += 1
        return original(*args, **kwargs)

    return counted


@pytest.fixture
def renders(monkeypatch):
    """How many times each rendering function ran."""
    counts = Counter()
    for name in ("render_document_pdf", "render_document_html"):
        monkeypatch.setattr(render, name, _counting(counts, name, getattr(render, name)))
    return counts


def _url(conference, path: str) -> str:
    return f"/conferences/{conference.id}/minutes/{path}"


def _save(client, draft, **changes) -> None:
    data = {
        "opening": draft.opening,
        "report_summary": draft.report_summary,
        "conclusion": draft.conclusion,
        "recipients": draft.recipients,
        "turn_order": draft.turn_order.value,
        "version": str(draft.version),
        "action": "save",
        **changes,
    }
    assert client.post(_url(draft.conference, "bb/edit"), data=data).status_code == 302


def _fresh_pdf(conference, doc_type=BB) -> bytes:
    db.session.expire_all()
    draft = compose.draft_or_defaults(
        conference, doc_type, operations.find_draft(conference, doc_type)
    )
    return render.render_document_pdf(compose.document_context(conference, draft))


def test_an_unchanged_drafts_pdf_is_rendered_once_and_is_a_fresh_renderings_bytes(
    client, login, closed, secretary, renders
):
    operations.get_or_create_draft(closed, BB, secretary)
    db.session.commit()
    login(secretary)
    first = client.get(_url(closed, "bb/draft.pdf"))
    second = client.get(_url(closed, "bb/draft.pdf"))
    assert first.status_code == second.status_code == 200
    assert renders["render_document_pdf"] == 1
    assert second.data == first.data
    assert _fresh_pdf(closed) == first.data
    # The other document is another preview.
    client.get(_url(closed, "tb/draft.pdf"))
    assert renders["render_document_pdf"] == 3


def test_the_default_text_of_a_document_not_yet_started_is_kept_too(
    client, login, closed, secretary, renders
):
    login(secretary)
    first = client.get(_url(closed, "tb/draft.pdf")).data
    assert client.get(_url(closed, "tb/draft.pdf")).data == first
    assert renders["render_document_pdf"] == 1
    assert _fresh_pdf(closed, TB) == first


def test_a_change_to_the_draft_or_to_a_turn_renders_the_pdf_anew(
    client, login, closed, secretary, renders
):
    draft = operations.get_or_create_draft(closed, BB, secretary)
    db.session.commit()
    login(secretary)
    before = client.get(_url(closed, "bb/draft.pdf")).data

    _save(client, draft, conclusion="Kết luận đã sửa lần thứ hai.")
    edited = client.get(_url(closed, "bb/draft.pdf")).data
    assert renders["render_document_pdf"] == 2 and edited != before
    assert edited == _fresh_pdf(closed)

    turn = db.session.scalars(sa.select(Turn).where(Turn.conference_id == closed.id)).first()
    turn.answer = "Câu trả lời đã được thư ký sửa lại."
    db.session.commit()
    answered = client.get(_url(closed, "bb/draft.pdf")).data
    assert renders["render_document_pdf"] == 4  # three previews and one fresh rendering
    assert answered not in (before, edited)
    assert answered == _fresh_pdf(closed)
    assert client.get(_url(closed, "bb/draft.pdf")).data == answered
    assert renders["render_document_pdf"] == 5


def _page(client, conference) -> str:
    """The edit page without its CSRF tokens, which carry the second they were made."""
    page = client.get(_url(conference, "bb/edit")).get_data(as_text=True)
    return re.sub(r'"[\w-]{20,}\.[\w-]{6}\.[\w-]{20,}"', '""', page)


def _add_attendee(conference):
    db.session.add(
        Attendee(conference=conference, full_name="Phạm Văn Mới", status=AttendanceStatus.PRESENT)
    )


def _change_turn(conference):
    turn = db.session.scalars(sa.select(Turn).where(Turn.conference_id == conference.id)).first()
    turn.question = "Câu hỏi đã được sửa sau hội nghị?"


def _add_task(conference):
    conference.conclusion_tasks.append(
        ConclusionTask(content="Niêm yết công khai thủ tục mới.", deadline=date(2030, 1, 31))
    )


def _rename_ward(conference):
    conference.ward.parent_agency = "UBND tỉnh Bắc Ninh"


def _name_speakers(conference):
    conference.ward.names_speakers_in_documents = not conference.ward.names_speakers_in_documents


def _change_end(conference):
    conference.end_dt = conference.end_dt.replace(minute=(conference.end_dt.minute + 7) % 60)


@pytest.mark.parametrize(
    "change",
    [_add_attendee, _change_turn, _add_task, _rename_ward, _name_speakers, _change_end],
    ids=lambda change: change.__name__.strip("_"),
)
def test_a_change_to_any_record_the_document_shows_renders_the_preview_anew(
    client, login, closed, secretary, renders, change
):
    operations.get_or_create_draft(closed, BB, secretary)
    db.session.commit()
    login(secretary)
    before = _page(client, closed)
    assert _page(client, closed) == before
    assert renders["render_document_html"] == 1

    change(closed)
    db.session.commit()
    after = _page(client, closed)
    assert renders["render_document_html"] == 2
    assert after != before
    db.session.expire_all()
    fresh = render.render_document_html(
        compose.document_context(closed, operations.find_draft(closed, BB))
    )
    assert fresh in after


def test_a_preview_of_typed_text_is_rendered_for_that_text(
    client, login, closed, secretary, renders
):
    draft = operations.get_or_create_draft(closed, BB, secretary)
    db.session.commit()
    login(secretary)
    client.get(_url(closed, "bb/edit"))
    typed = {
        "opening": draft.opening,
        "report_summary": draft.report_summary,
        "conclusion": "Kết luận chưa lưu.",
        "recipients": draft.recipients,
        "turn_order": draft.turn_order.value,
        "version": str(draft.version),
        "action": "preview",
    }
    page = client.post(_url(closed, "bb/edit"), data=typed).get_data(as_text=True)
    assert "Kết luận chưa lưu." in page
    page = client.get(_url(closed, "bb/edit")).get_data(as_text=True)
    assert "Kết luận chưa lưu." not in page
    assert renders["render_document_html"] == 3


def test_the_fingerprint_follows_the_context(closed, secretary):
    draft = compose.draft_or_defaults(closed, BB)
    context = compose.document_context(closed, draft)
    assert previews.fingerprint(context) == previews.fingerprint(
        compose.document_context(closed, draft)
    )
    changed = {**context, "turn_groups": [{**context["turn_groups"][0], "turns": []}]}
    assert previews.fingerprint(changed) != previews.fingerprint(context)
    # Anything that is not plain data is refused rather than keyed on a lossy text.
    with pytest.raises(TypeError):
        previews.fingerprint({**context, "conference": closed})


def test_while_templates_are_reloaded_previews_are_rendered_each_time(
    app, client, login, closed, secretary, renders
):
    app.jinja_env.auto_reload = True
    login(secretary)
    client.get(_url(closed, "bb/draft.pdf"))
    client.get(_url(closed, "bb/draft.pdf"))
    assert renders["render_document_pdf"] == 2
