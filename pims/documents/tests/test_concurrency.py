"""Numbers stay without gaps and unique when townships issue at the same
time (PostgreSQL: real row locks between connections)."""

import threading

import pytest
from django.db import connection, connections, transaction

from pims.documents.models import DocumentKind, DocumentSequence
from pims.documents.services import next_number

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks between connections need PostgreSQL")
def test_parallel_issues_take_consecutive_numbers():
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def issue():
        try:
            for _ in range(10):
                with transaction.atomic():
                    n = next_number(DocumentKind.BIRTH_REGISTRATION, "210124101000", 2027)
                with lock:
                    numbers.append(n)
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(numbers) == [f"210124101202700{i:03d}" for i in range(1, 41)]
    assert DocumentSequence.objects.get().last == 40
