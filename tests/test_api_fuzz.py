"""The API against its own OpenAPI document, fuzzed by schemathesis on the demo ward's record.

Every operation of the document is called with queries generated from it, valid and invalid:
no answer may be a server error, and every answer must be one the document describes (status,
content type, body schema, headers). Each generated case is sent twice: as generated (its ward
is then almost always unknown: a 404 problem) and with the path pointing at the demo's real
records, so that the fuzzed queries reach the queries behind them.
"""

from __future__ import annotations

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from dialogue.demo.seed import load_demo
from dialogue.extensions import db
from dialogue.followup.models import Referral
from dialogue.live.models import Turn

EXAMPLES = 40


@pytest.fixture
def demo(app):
    ward = load_demo("demo-pass-123", with_history=False)
    db.session.commit()
    turn = db.session.scalar(sa.select(Turn).order_by(Turn.id))
    referral = db.session.scalar(sa.select(Referral).order_by(Referral.id))
    return {
        "ward_slug": ward.slug,
        "conference_id": turn.conference_id,
        "referral_id": referral.id,
        "year": 2020,
    }


def _on_real_records(case, real: dict):
    """The same case with its path's ward, conference, referral and year the demo's own."""
    changed = case.operation.Case(
        path_parameters={
            name: real.get(name, value) for name, value in (case.path_parameters or {}).items()
        },
        query=case.query,
        headers=case.headers,
        media_type=case.media_type,
    )
    return changed


def _beyond_the_document(case) -> list:
    """What a schema cannot say, so a schema-valid query may still be refused (a 400): a cursor
    is valid only as the list made it, and custom dates need both ends, in order."""
    query = case.query or {}
    if "cursor" in query or query.get("kind") == "custom":
        return [positive_data_acceptance]
    return []


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_answer_is_documented_and_none_is_a_server_error(app, demo, mode):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    tried = []
    for operation in operations:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def call(case):
            excluded = _beyond_the_document(case)
            case.call_and_validate(excluded_checks=excluded)
            if case.path_parameters:
                _on_real_records(case, demo).call_and_validate(excluded_checks=excluded)

        try:
            call()
        except Unsatisfiable:
            # Nothing in this operation can be made invalid (a path of free text, no query).
            assert mode is GenerationMode.NEGATIVE
            continue
        tried.append(operation.path)
    assert len(tried) >= (len(operations) if mode is GenerationMode.POSITIVE else 6)
