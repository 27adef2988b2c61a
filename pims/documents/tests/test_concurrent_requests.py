"""Townships registering 生育登记 at the same time through the pages (parallel
requests, each on its own database connection) get consecutive numbers: no
gaps, no duplicates (PostgreSQL: real row locks between connections)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from pims.documents.models import BirthRegistration, RegistrationState
from pims.registry.tests.factories import make_couple
from pims.testing.fixtures import login

from .conftest import register

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 4
EACH = 5


def accepted_registrations(operator, village, count):
    """`count` couples' applications, received and waiting for the number."""
    return [register(operator, make_couple(village)[2], issue=False) for _ in range(count)]


def issue_in_parallel(clients, batches):
    """Each client posts "登记发证" for its batch; all start together. The
    answers' status codes, in no particular order."""
    start = threading.Barrier(len(clients))

    def work(client, batch):
        try:
            start.wait()
            return [client.post(reverse("documents:registration_issue", args=[r.pk])).status_code for r in batch]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        answers = list(pool.map(work, clients, batches))
    return [status for batch in answers for status in batch]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks between connections need PostgreSQL")
def test_parallel_issue_requests_take_consecutive_numbers(personas, regions, codes):
    operator = personas["operator"]
    pending = accepted_registrations(operator, regions["village_a1"], CLIENTS * EACH)
    clients = []
    for _ in range(CLIENTS):
        client = Client()
        login(client, operator)
        clients.append(client)
    batches = [pending[i::CLIENTS] for i in range(CLIENTS)]

    statuses = issue_in_parallel(clients, batches)

    assert statuses == [302] * (CLIENTS * EACH)
    issued = BirthRegistration.objects.filter(state=RegistrationState.ISSUED)
    numbers = sorted(issued.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == CLIENTS * EACH
    prefix = numbers[0][:-5]
    assert numbers == [f"{prefix}{i:05d}" for i in range(1, CLIENTS * EACH + 1)]
