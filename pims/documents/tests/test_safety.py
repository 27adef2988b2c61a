"""Issue 16 "Bad input and safety": the public verification page is outside
the login and CSRF flows without opening anything else; concurrent
approvals give one success and one 409; parallel issues through the
services take numbers without gaps (PostgreSQL: real row locks)."""

import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse

from pims.documents import services
from pims.documents.models import BirthRegistration
from pims.lib.errors import Conflict
from pims.testing.concurrency import needs_postgresql, race

from .conftest import register

POSTGRES = needs_postgresql


def documents_routes():
    resolver = get_resolver()
    (documents,) = [p for p in resolver.url_patterns if getattr(p, "namespace", None) == "documents"]
    return [p for p in documents.url_patterns if isinstance(p, URLPattern)]


@pytest.mark.django_db
def test_only_the_verification_page_is_open_without_sign_in_and_it_takes_no_post(couple, personas):
    issued = register(personas["operator"], couple[2])
    anonymous = Client(enforce_csrf_checks=True)
    for route in documents_routes():
        if route.name == "verify":
            continue
        kwargs = dict.fromkeys(route.pattern.regex.groupindex, 1)
        url = reverse(f"documents:{route.name}", kwargs=kwargs)
        resp = anonymous.get(url)
        assert resp.status_code in (302, 405), (route.name, resp.status_code)
        if resp.status_code == 302:
            assert resp["Location"].startswith(reverse("accounts:login")), route.name
        assert anonymous.post(url).status_code == 403, route.name  # the CSRF check stands before the page
    url = reverse("documents:verify", args=[issued.token])
    resp = anonymous.get(url)
    assert resp.status_code == 200 and "sessionid" not in resp.cookies and "csrftoken" not in resp.cookies
    assert anonymous.post(url).status_code in (403, 405)  # never a write, with or without a CSRF token
    assert Client().post(url).status_code == 405


@POSTGRES
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_registrations_of_one_application_one_succeeds_one_conflicts(couple, personas):
    applied = register(personas["clerk"], couple[2], issue=False)
    operator = personas["operator"]
    outcomes = race(*[lambda: services.birth_registration_issue(actor=operator, registration=applied)] * 2)
    assert sorted(type(o).__name__ for o in outcomes) == ["BirthRegistration", "Conflict"]
    assert any(isinstance(o, Conflict) and o.status == 409 for o in outcomes)
    applied.refresh_from_db()
    assert applied.number.endswith("00001") and applied.version == 2


@POSTGRES
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_county_approvals_one_succeeds_one_conflicts(couple, personas):
    import datetime as dt

    from pims.documents.honour_services import honour_apply, honour_county_approve, honour_township_review
    from pims.registry.tests.factories import make_child

    hh, husband, wife = couple
    child = make_child(hh, 3, mother=wife, father=husband, birth_date=dt.date(2012, 6, 1))
    cert = honour_apply(actor=personas["clerk"], child=child, commitment=True)
    honour_township_review(actor=personas["reviewer"], cert=cert, approve=True)
    county = personas["county"]
    outcomes = race(*[lambda: honour_county_approve(actor=county, cert=cert, approve=True)] * 2)
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "HonourCertificate"]
    cert.refresh_from_db()
    assert cert.number.endswith("00001")


@POSTGRES
@pytest.mark.django_db(transaction=True)
def test_parallel_issues_of_many_applications_take_consecutive_numbers(regions, codes, personas):
    from pims.registry.tests.factories import make_couple

    applied = [register(personas["clerk"], make_couple(regions["village_a1"])[2], issue=False) for _ in range(8)]
    operator = personas["operator"]
    outcomes = race(*[lambda r=r: services.birth_registration_issue(actor=operator, registration=r) for r in applied])
    assert all(isinstance(o, BirthRegistration) for o in outcomes), outcomes
    numbers = sorted(BirthRegistration.objects.values_list("number", flat=True))
    assert [int(n[-5:]) for n in numbers] == list(range(1, 9))
