import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from ninja.testing import TestClient

from pims.audit.api import router
from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.audit.tests.helpers import tamper

URL = reverse("audit:entry_list")
NON_AUDITORS = ["clerk", "operator", "reviewer", "county", "sysadmin", "outsider"]


@pytest.fixture
def entries(personas):
    clerk, county = personas["clerk"], personas["county"]
    audit_record(actor=clerk, action=Action.LOGIN, obj=clerk, region_code=clerk.region.code, ip="10.0.0.1")
    audit_record(actor=county, action=Action.EXPORT, obj=("registry.person", 7), region_code=county.region.code)
    audit_record(actor=county, action=Action.VIEW_UNMASKED, obj=("registry.person", 8))
    return personas


def _seqs(response) -> list[int]:
    return [e.seq for e in response.context["page"]]


def test_auditor_sees_all_entries_newest_first(entries, client_for):
    response = client_for("auditor").get(URL)
    assert response.status_code == 200
    others = [e.action for e in response.context["page"] if e.actor_username in {"clerk_a1", "county_admin"}]
    assert others == [Action.VIEW_UNMASKED, Action.EXPORT, Action.LOGIN]
    assert "查看完整个人信息" in response.content.decode()


@pytest.mark.parametrize("persona", NON_AUDITORS)
def test_everyone_but_the_auditor_gets_404(entries, client_for, persona):
    assert client_for(persona).get(URL).status_code == 404


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("query", "expected_actions"),
    [
        ({"username": "county_admin"}, {Action.EXPORT, Action.VIEW_UNMASKED}),
        ({"action": "export"}, {Action.EXPORT}),
        ({"object_type": "registry.person", "object_id": "8"}, {Action.VIEW_UNMASKED}),
        ({"username": "clerk_a1", "action": "login"}, {Action.LOGIN}),
    ],
)
def test_filters_narrow_the_list(entries, client_for, query, expected_actions):
    response = client_for("auditor").get(URL, query)
    found = {e.action for e in response.context["page"] if e.actor_username in {"clerk_a1", "county_admin"}}
    assert found == expected_actions


def test_date_filter_uses_local_dates(entries, client_for):
    today = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    client = client_for("auditor")
    assert len(_seqs(client.get(URL, {"date_from": today, "date_to": today, "object_type": "registry.person"}))) == 2
    assert _seqs(client.get(URL, {"date_to": today - dt.timedelta(days=1)})) == []
    assert _seqs(client.get(URL, {"date_from": today + dt.timedelta(days=1)})) == []


def test_list_is_paginated_by_50(personas, client_for):
    for i in range(60):
        audit_record(actor=None, username="bulk", action=Action.EXPORT, obj=("t.x", i))
    client = client_for("auditor")
    first = client.get(URL, {"username": "bulk"})
    assert len(_seqs(first)) == 50
    second = client.get(URL, {"username": "bulk", "page": 2})
    assert len(_seqs(second)) == 10


def test_query_count_does_not_grow_with_rows(personas, client_for):
    client = client_for("auditor")

    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL).status_code == 200
        return len(ctx.captured_queries)

    for i in range(3):
        audit_record(actor=personas["clerk"], action=Action.EXPORT, obj=("t.x", i))
    few = count_queries()
    for i in range(40):
        audit_record(actor=personas["county"], action=Action.EXPORT, obj=("t.x", i))
    assert count_queries() == few


def test_page_shows_entries_even_when_the_chain_is_broken(entries, client_for):
    tamper("UPDATE audit_auditentry SET detail = '{\"x\": 1}' WHERE object_type = 'registry.person'")
    assert client_for("auditor").get(URL).status_code == 200


# API (mounted at /api/audit by pims/api/api.py; tested here on the router alone)


def test_api_returns_filtered_entries_to_the_auditor(entries):
    api = TestClient(router)
    response = api.get("/entries?action=export", user=entries["auditor"])
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["items"][0]["username"] == "county_admin"
    assert body["items"][0]["object_id"] == "7"


@pytest.mark.parametrize("persona", NON_AUDITORS)
def test_api_answers_404_to_everyone_else(entries, persona):
    response = TestClient(router).get("/entries", user=entries[persona])
    assert response.status_code == 404
