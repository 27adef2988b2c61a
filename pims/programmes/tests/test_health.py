"""Reproductive-health service lists: who is due, recording by hand and by
file, invisible to village clerks (404), every view audited."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pims.audit.models import Action, AuditEntry
from pims.lib import clock
from pims.programmes import health
from pims.programmes.models import HealthService, HealthServiceKind
from pims.registry.models import Marriage
from pims.registry.tests.factories import make_child, make_couple, make_household, make_person

pytestmark = pytest.mark.django_db

CANCER, PRE, PREMARITAL = (
    HealthServiceKind.CANCER_SCREENING,
    HealthServiceKind.PRECONCEPTION,
    HealthServiceKind.PREMARITAL,
)


def aged(years, day=None):
    return health.years_before(day or clock.today(), years) - dt.timedelta(days=10)


@pytest.fixture
def women(regions):
    hh = make_household(regions["village_a1"])
    return {
        "34": make_person(hh, 1, "2", aged(34), "02", name="筛查三四"),
        "35": make_person(hh, 2, "2", aged(35), "10", name="筛查三五"),
        "64": make_person(hh, 3, "2", aged(64), "51", name="筛查六四"),
        "65": make_person(hh, 4, "2", aged(65), "51", name="筛查六五"),
        "man": make_person(hh, 5, "1", aged(40), "20", name="筛查男性"),
    }


def test_cancer_screening_lists_women_35_to_64_without_a_recent_screening(women, personas):
    operator = personas["operator"]
    names = set(health.cancer_screening_due(operator).values_list("name", flat=True))
    assert names == {"筛查三五", "筛查六四"}
    health.service_record(
        actor=operator, person=women["35"], kind=CANCER, service_date=clock.today() - dt.timedelta(days=400)
    )
    health.service_record(
        actor=operator, person=women["64"], kind=CANCER, service_date=health.years_before(clock.today(), 4)
    )
    due = {p.name: p.last_service for p in health.cancer_screening_due(operator)}
    assert set(due) == {"筛查六四"}  # screened 4 years ago: the interval (3, 待核实) has passed
    assert due["筛查六四"] == health.years_before(clock.today(), 4)


def test_preconception_invites_recently_married_couples_until_examined_for_this_child(regions, personas):
    today = clock.today()
    hh, husband, wife = make_couple(
        regions["village_a1"],
        husband_birth=aged(30),
        wife_birth=aged(28),
        married_on=today - dt.timedelta(days=100),
    )
    _, _, old_wife = make_couple(regions["village_a1"], wife_birth=aged(30), married_on=today - dt.timedelta(days=2000))
    operator = personas["operator"]
    rows = list(health.preconception_invitations(operator))
    assert [(m.wife_id, m.next_order) for m in rows] == [(wife.pk, 1)]
    health.service_record(actor=operator, person=wife, kind=PRE, service_date=today, birth_order=1)
    assert not health.preconception_invitations(operator).exists()
    make_child(hh, 3, mother=wife, father=husband, birth_date=today - dt.timedelta(days=5))
    assert [m.next_order for m in health.preconception_invitations(operator)] == [2]


def test_premarital_lists_new_marriages_without_an_exam(regions, personas):
    today = clock.today()
    _, husband, wife = make_couple(regions["village_a1"], married_on=today - dt.timedelta(days=20))
    make_couple(regions["village_a1"], married_on=today - dt.timedelta(days=200))
    operator = personas["operator"]
    assert [m.wife_id for m in health.premarital_list(operator)] == [wife.pk]
    health.service_record(actor=operator, person=husband, kind=PREMARITAL, service_date=today - dt.timedelta(days=25))
    assert not health.premarital_list(operator).exists()
    assert Marriage.objects.count() == 2


def test_services_import_by_file_records_all_or_nothing(women, personas):
    from pims.lib.citizen_id import make_citizen_id
    from pims.registry.personal import citizen_id_index

    number = make_citizen_id("210124", women["35"].birth_date, 33, "2")
    women["35"].id_index = citizen_id_index(number)
    women["35"].save()
    operator = personas["operator"]
    day = (clock.today() - dt.timedelta(days=3)).isoformat()
    bad = health.services_import(
        actor=operator,
        kind=CANCER,
        data=f"公民身份号码,服务日期,状态\n{number},{day},已检查\n110101199001011237,{day},\n".encode(),
    )
    assert bad.recorded == 0 and bad.problems == ["第 3 行：本辖区无此公民身份号码"]
    good = health.services_import(actor=operator, kind=CANCER, data=f"{number},{day},已检查\n".encode())
    assert good.recorded == 1
    service = HealthService.objects.get()
    assert (service.person, service.source, service.status) == (women["35"], "file", "done")


def test_the_village_clerk_and_the_outsider_never_see_a_health_list(women, client_for):
    for kind in health.LISTS:
        url = reverse("programmes:health_list", args=[kind])
        for fmt in ("", "?format=xlsx", "?format=pdf"):
            assert client_for("clerk").get(url + fmt).status_code == 404
        assert client_for("clerk").get(reverse("api:programmes_health_list", args=[kind])).status_code == 404
        assert "筛查三五" not in client_for("outsider").get(url).content.decode()
    assert client_for("clerk").get(reverse("programmes:health")).status_code == 404
    record = reverse("programmes:health_record", args=[CANCER, women["35"].pk])
    assert client_for("outsider").post(record, {"service_date": clock.today().isoformat()}).status_code == 404
    assert client_for("clerk").post(record, {"service_date": clock.today().isoformat()}).status_code == 404
    assert not HealthService.objects.exists()


def test_every_view_and_export_of_a_health_list_is_audited(women, client_for, personas):
    reviewer = client_for("reviewer")
    page = reviewer.get(reverse("programmes:health_list", args=[CANCER]))
    assert "筛查三五" in page.content.decode() and 'data-testid="health-record"' not in page.content.decode()
    reviewer.get(reverse("programmes:health_list", args=[CANCER]) + "?format=xlsx")
    pdf = reviewer.get(reverse("programmes:health_list", args=[CANCER]) + "?format=pdf")
    assert pdf.content.startswith(b"%PDF")
    reviewer.get(reverse("api:programmes_health_list", args=[CANCER]))
    entries = AuditEntry.objects.filter(action=Action.VIEW_HEALTH, actor=personas["reviewer"])
    assert [e.detail.get("format", "") for e in entries.order_by("seq")] == ["", "xlsx", "pdf", "api"]
    assert entries.first().detail["list"] == CANCER


def test_recording_on_the_page_takes_the_person_off_the_list(women, client_for):
    operator = client_for("operator")
    operator.post(
        reverse("programmes:health_record", args=[CANCER, women["35"].pk]),
        {"service_date": clock.today().isoformat(), "status": "done"},
    )
    page = operator.get(reverse("programmes:health_list", args=[CANCER])).content.decode()
    assert "筛查三五" not in page and "筛查六四" in page
    upload = SimpleUploadedFile("s.csv", b"not-an-id,2020-01-01,\n")
    resp = operator.post(reverse("programmes:health_import", args=[CANCER]), {"file": upload}, follow=True)
    assert "第 1 行：公民身份号码、日期或状态格式有误" in resp.content.decode()
