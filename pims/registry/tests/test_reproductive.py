"""Pregnancy and contraception details are sensitive personal data (issue 14.7):
how a pregnancy ended is stored only encrypted, village clerks enter the
details but do not read them back, and every viewing is audited."""

import datetime as dt

import pytest
from django.db import connection

from pims.audit.models import Action, AuditEntry
from pims.events import services as events
from pims.events.models import Event
from pims.events.tests.conftest import approved_household, members, village_report
from pims.lib import clock
from pims.registry import services
from pims.registry.models import Contraception, Pregnancy
from pims.registry.personal import pregnancy_outcome_open
from pims.registry.tests.conftest import family_form
from pims.registry.tests.factories import make_pregnancy

pytestmark = pytest.mark.usefixtures("codes")

DAY = clock.today()
API = "/api/registry"


def _draft(personas, regions):
    """A household form saved as a draft by the village clerk; the wife (row 2)
    has an IUD (03) recorded."""
    data, rows = family_form(regions["village_a1"].code)
    result = services.household_save(
        actor=personas["clerk"], data=data, members=rows, village_code=regions["village_a1"].code, confirm_warnings=True
    )
    assert result.saved, [v.message for v in result.violations]
    return result.household


def _viewings(household=None):
    qs = AuditEntry.objects.filter(action=Action.VIEW_REPRODUCTIVE)
    return qs.filter(object_id=str(household.pk)) if household is not None else qs


def _columns(table: str, pk: int) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [pk])  # noqa: S608
        names = [c[0] for c in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def test_a_pregnancy_outcome_is_stored_only_encrypted(personas, regions):
    hh = approved_household(personas, regions["village_a1"])
    wife = members(hh)["李四"]
    pregnancy = make_pregnancy(wife, start=DAY - dt.timedelta(days=70))
    report = village_report(personas, regions)
    events.event_file(
        actor=personas["clerk"],
        report=report,
        event_type="preg_outcome",
        data={"person": wife.pk, "outcome": "3", "effective_date": DAY.isoformat()},
    )
    events.change_report_submit(actor=personas["clerk"], report=report)
    events.change_report_approve(actor=personas["reviewer"], report=report)

    row = _columns(Pregnancy._meta.db_table, pregnancy.pk)
    assert "outcome" not in row and "outcome_date" not in row
    assert row["outcome_cipher"].startswith("v1:") and row["outcome_date_cipher"].startswith("v1:")
    assert DAY.isoformat() not in str(row.values())
    pregnancy.refresh_from_db()
    assert pregnancy.ended
    assert pregnancy_outcome_open(pregnancy.outcome_cipher, pregnancy.outcome_date_cipher) == ("3", DAY)
    payload = Event.objects.get(event_type="preg_outcome").payload
    assert "outcome" not in payload and payload["outcome_cipher"].startswith("v1:")


def test_a_village_clerk_enters_but_does_not_read_back_contraception(personas, regions, client_for):
    hh = _draft(personas, regions)
    clerk = client_for("clerk")

    page = clerk.get(f"/registry/households/{hh.pk}/edit/").content.decode()
    assert 'name="m-2-contraceptive_method" value=""' in page
    assert 'name="m-2-contraception_start" value=""' in page
    assert 'data-testid="reproductive-hidden"' in page
    wife = clerk.get(f"{API}/households/{hh.pk}").json()["members"][1]
    assert wife["contraceptive_method"] == wife["contraception_start"] == ""
    assert not _viewings().exists()

    operator = client_for("operator")
    page = operator.get(f"/registry/households/{hh.pk}/edit/").content.decode()
    assert 'name="m-2-contraceptive_method" value="03"' in page
    assert operator.get(f"{API}/households/{hh.pk}").json()["members"][1]["contraceptive_method"] == "03"


def test_a_form_saved_by_the_clerk_keeps_the_hidden_records(personas, regions):
    hh = _draft(personas, regions)
    data, rows = family_form(regions["village_a1"].code)
    for r in rows:  # what the clerk's page sends back: the hidden columns blank
        r.update(contraceptive_method="", contraception_start="", pregnant_since="")
    result = services.household_save(
        actor=personas["clerk"], data=data, members=rows, household=hh, confirm_warnings=True
    )
    assert result.saved, [v.message for v in result.violations]
    wife = members(hh)["李四"]
    assert Contraception.objects.filter(woman=wife, method="03", end_date__isnull=True).exists()


def test_change_report_and_timeline_hide_the_method_from_the_clerk(personas, regions, client_for):
    hh = approved_household(personas, regions["village_a1"])
    wife = members(hh)["李四"]
    report = village_report(personas, regions)
    events.event_file(
        actor=personas["clerk"],
        report=report,
        event_type="contra_change",
        data={"person": wife.pk, "method": "05", "effective_date": DAY.isoformat()},
    )
    clerk_page = client_for("clerk").get(f"/events/reports/{report.pk}/").content.decode()
    assert "口服避孕药" not in clerk_page
    clerk_api = client_for("clerk").get(f"/api/events/reports/{report.pk}").json()
    assert "口服避孕药" not in str(clerk_api)
    assert not _viewings().exists()

    assert "口服避孕药" in client_for("reviewer").get(f"/events/reports/{report.pk}/").content.decode()
    entry = _viewings().get()
    assert entry.object_id == str(report.pk) and entry.actor == personas["reviewer"]


def test_each_viewing_by_a_holder_is_audited(personas, regions, client_for):
    hh = _draft(personas, regions)
    operator = client_for("operator")

    operator.get(f"/registry/households/{hh.pk}/edit/")
    operator.get(f"{API}/households/{hh.pk}")

    entries = list(_viewings(hh).order_by("id"))
    assert [e.detail["shown"] for e in entries] == ["household_form", "api_household"]
    assert all(e.actor == personas["operator"] and e.object_type == "registry.household" for e in entries)


def test_searching_by_contraceptive_method_needs_the_capability(personas, regions, client_for):
    import json

    _draft(personas, regions)
    body = json.dumps({"sex": "2", "contraception": "03"})
    refused = client_for("clerk").post("/api/search/persons", body, content_type="application/json")
    assert refused.status_code == 422 and "contraception" in refused.json()["errors"]
    allowed = client_for("operator").post("/api/search/persons", body, content_type="application/json")
    assert allowed.status_code == 200
