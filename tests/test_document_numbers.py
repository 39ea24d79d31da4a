"""The document-number register: in order, per type and year, never the same number twice."""

import threading

import pytest
import sqlalchemy as sa

from dialogue.core.database import begin_immediately
from dialogue.documents.models import DocumentNumber, DocumentType
from dialogue.documents.operations import allocate_number
from dialogue.extensions import db
from dialogue.wards.models import Ward


def test_numbers_run_per_type_and_restart_each_year(ward, make_conference):
    conference = make_conference()
    first = allocate_number(ward, DocumentType.MINUTES, conference=conference, year=2020)
    second = allocate_number(ward, DocumentType.MINUTES, year=2020)
    notice = allocate_number(ward, DocumentType.NOTICE, year=2020)
    next_year = allocate_number(ward, DocumentType.MINUTES, year=2021)
    db.session.commit()
    assert [first.label, second.label, notice.label, next_year.label] == [
        "01/BB-UBND",
        "02/BB-UBND",
        "01/TB-UBND",
        "01/BB-UBND",
    ]
    assert first.conference_id == conference.id


def test_numbers_are_per_ward(ward, other_ward):
    assert allocate_number(ward, DocumentType.INVITATION, year=2020).number == 1
    assert allocate_number(other_ward, DocumentType.INVITATION, year=2020).number == 1


def test_labels_keep_two_digits_below_ten_only(ward):
    numbers = [allocate_number(ward, DocumentType.REPORT, year=2020) for _ in range(10)]
    assert numbers[8].label == "09/BC-UBND"
    assert numbers[9].label == "10/BC-UBND"


def test_an_abandoned_number_is_never_handed_out_again(ward):
    taken = allocate_number(ward, DocumentType.MINUTES, year=2020)
    db.session.commit()
    db.session.delete(taken)  # the document was abandoned after its number was taken
    db.session.commit()
    assert allocate_number(ward, DocumentType.MINUTES, year=2020).number == 2


def test_the_database_refuses_a_duplicate(ward):
    allocate_number(ward, DocumentType.MINUTES, year=2020)
    db.session.add(
        DocumentNumber(
            ward_id=ward.id, issuer_code="UBND", doc_type=DocumentType.MINUTES, year=2020, number=1
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("first_of_the_year", [True, False])
def test_concurrent_requests_get_distinct_consecutive_numbers(app, ward, first_of_the_year):
    if not first_of_the_year:
        allocate_number(ward, DocumentType.INVITATION, year=2031)
        db.session.commit()
    ward_id = ward.id
    db.session.commit()  # no snapshot held open by the test while the workers write
    workers, per_worker = 8, 5
    barrier = threading.Barrier(workers)
    errors = []

    def work():
        try:
            with app.app_context():
                begin_immediately(True)  # what a POST request does on SQLite
                barrier.wait()
                for _ in range(per_worker):
                    local_ward = db.session.get(Ward, ward_id)
                    allocate_number(local_ward, DocumentType.INVITATION, year=2031)
                    db.session.commit()
                db.session.remove()
        except Exception as error:  # reported below, with the thread's traceback lost
            errors.append(repr(error))

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    db.session.commit()
    numbers = db.session.scalars(
        sa.select(DocumentNumber.number).where(
            DocumentNumber.ward_id == ward_id,
            DocumentNumber.doc_type == DocumentType.INVITATION,
            DocumentNumber.year == 2031,
        )
    ).all()
    expected = workers * per_worker + (0 if first_of_the_year else 1)
    assert sorted(numbers) == list(range(1, expected + 1))
