"""Handing out document numbers: one per call, in order, never the same twice."""

from __future__ import annotations

import sqlalchemy as sa

from dialogue.core.dates import to_local
from dialogue.core.db import utcnow
from dialogue.documents.models import DocumentCounter, DocumentNumber, DocumentType
from dialogue.extensions import db


def _locked_counter(ward, doc_type: DocumentType, year: int) -> DocumentCounter:
    key = {
        "ward_id": ward.id,
        "issuer_code": ward.issuer_code,
        "doc_type": doc_type,
        "year": year,
    }
    stmt = sa.select(DocumentCounter).filter_by(**key).with_for_update()
    counter = db.session.scalar(stmt)
    if counter is not None:
        return counter
    # First number of the year: create the counter; of two requests racing here, the loser
    # hits the unique constraint, and its savepoint lets it read the winner's row instead.
    try:
        with db.session.begin_nested():
            db.session.add(DocumentCounter(**key, last_number=0))
    except sa.exc.IntegrityError:
        pass
    return db.session.scalar(stmt.execution_options(populate_existing=True))


def allocate_number(
    ward, doc_type: DocumentType, *, conference=None, purpose: str = "", year: int | None = None
) -> DocumentNumber:
    """Take the next number of ``doc_type`` for ``ward`` in ``year`` (the ward's current year).

    The counter row is locked (SELECT … FOR UPDATE on PostgreSQL; SQLite's write transaction
    serialises writers), so concurrent requests get consecutive, distinct numbers.
    """
    if year is None:
        year = to_local(utcnow(), ward.timezone).year
    counter = _locked_counter(ward, doc_type, year)
    counter.last_number += 1
    number = DocumentNumber(
        ward_id=ward.id,
        issuer_code=ward.issuer_code,
        doc_type=doc_type,
        year=year,
        number=counter.last_number,
        conference_id=conference.id if conference is not None else None,
        purpose=purpose[:255],
    )
    db.session.add(number)
    db.session.flush()
    return number
