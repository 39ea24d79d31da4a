"""The audit-log browser: an administrator reads who changed what in the working ward."""

from __future__ import annotations

import json
import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from dialogue.audit.forms import AuditFilterForm
from dialogue.audit.models import AuditAction, AuditEvent
from dialogue.auth.access import admin_required
from dialogue.core.dates import to_local
from dialogue.core.scoping import current_ward, get_scoped_or_404, scoped_select
from dialogue.core.text import like_pattern
from dialogue.extensions import db

bp = Blueprint("audit", __name__, url_prefix="/audit")

PER_PAGE = 50
FILTER_FIELDS = ("entity_type", "action", "actor", "date_from", "date_to")

# Record types by table name; a table not listed here is shown by its name.
ENTITY_LABELS = {
    "wards": _l("Ward"),
    "residential_groups": _l("Residential group"),
    "procedure_areas": _l("Procedure area"),
    "delegate_categories": _l("Delegate category"),
    "units": _l("Unit"),
    "people": _l("Person"),
    "users": _l("Staff account"),
    "conferences": _l("Conference"),
}


def entity_label(entity_type: str) -> str:
    return str(ENTITY_LABELS.get(entity_type, entity_type))


_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$")


def value_text(value, tz: str | None = None) -> str:
    """Write a recorded value as plain text (the template escapes it).

    Timestamps, recorded in UTC, are shown in the ward's time.
    """
    if value is None:
        return "—"
    if isinstance(value, str) and _ISO_DATETIME.match(value):
        return to_local(datetime.fromisoformat(value), tz).strftime("%d/%m/%Y %H:%M:%S")
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def change_rows(event: AuditEvent, tz: str | None = None) -> list[tuple[str, str, str | None]]:
    """Return (field, before, after) for a change, or (key, value, None) for an event's details."""
    changes = event.changes or {}
    if event.action is AuditAction.EVENT:
        return [(key, value_text(value, tz), None) for key, value in changes.items()]
    rows = []
    for key, pair in changes.items():
        before, after = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
        rows.append((key, value_text(before, tz), value_text(after, tz)))
    return rows


def _entity_type_choices(ward) -> list[tuple[str, str]]:
    names = db.session.scalars(
        scoped_select(AuditEvent, AuditEvent.entity_type)
        .distinct()
        .order_by(AuditEvent.entity_type)
    ).all()
    return [(name, entity_label(name)) for name in names]


def _local_midnight(day, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def _filtered(stmt: sa.Select, form: AuditFilterForm, ward) -> sa.Select:
    if form.entity_type.data:
        stmt = stmt.where(AuditEvent.entity_type == form.entity_type.data)
    if form.action.data:
        stmt = stmt.where(AuditEvent.action == AuditAction(form.action.data))
    actor = (form.actor.data or "").strip()
    if actor:
        stmt = stmt.where(sa.func.lower(AuditEvent.actor).like(like_pattern(actor), escape="\\"))
    # Dates are the ward's calendar days.
    tz = ZoneInfo(ward.timezone)
    if form.date_from.data:
        stmt = stmt.where(AuditEvent.created_dt >= _local_midnight(form.date_from.data, tz))
    if form.date_to.data:
        end = _local_midnight(form.date_to.data + timedelta(days=1), tz)
        stmt = stmt.where(AuditEvent.created_dt < end)
    return stmt


@bp.route("/")
@admin_required
def index():
    ward = current_ward()
    form = AuditFilterForm(request.args, entity_types=_entity_type_choices(ward))
    if not form.validate():
        return render_template("audit/index.html", form=form, page=None, filters={}), 400
    stmt = _filtered(scoped_select(AuditEvent), form, ward).order_by(
        AuditEvent.created_dt.desc(), AuditEvent.id.desc()
    )
    page = db.paginate(stmt, per_page=PER_PAGE, max_per_page=PER_PAGE)
    filters = {name: request.args[name] for name in FILTER_FIELDS if request.args.get(name)}
    return render_template(
        "audit/index.html",
        form=form,
        page=page,
        rows=[(event, change_rows(event, ward.timezone)) for event in page.items],
        filters=filters,
        entity_label=entity_label,
    )


@bp.route("/<int:event_id>")
@admin_required
def detail(event_id: int):
    event = get_scoped_or_404(AuditEvent, event_id)
    return render_template(
        "audit/detail.html",
        event=event,
        changes=change_rows(event, current_ward().timezone),
        entity_label=entity_label,
    )
