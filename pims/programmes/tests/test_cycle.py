"""The annual cycle: candidates → village review → 公示 → township → county →
名册 → payments; a death stops payment in the next 名册 and shows on the
county's stop queue."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from pims.audit.models import Action, AuditEntry
from pims.lib import clock
from pims.lib.errors import Conflict, NotFound, Refused
from pims.programmes import errors, selectors, services
from pims.programmes.models import Change, Cycle, Entry, Programme, Stage, StopReason
from pims.registry.models import Person

from .families import jiangfu_family, tefu_family

pytestmark = pytest.mark.django_db

J, T = Programme.JIANGFU, Programme.TEFU


@pytest.fixture
def county_cycle(regions, personas):
    """Two eligible 奖扶 couples in A1, one in B1; a 2026 cycle opened (the
    candidate job runs inline in tests)."""
    families = [jiangfu_family(regions["village_a1"]), jiangfu_family(regions["village_a1"])]
    families.append(jiangfu_family(regions["village_b1"]))
    cycle = services.cycle_open(actor=personas["county"], programme=J, year=2026)
    return cycle, families


def _through_the_township(cycle, personas, travel):
    clerk = personas["clerk"]
    for entry in cycle.entries.filter(village_code=clerk.region.code):
        services.entry_village_review(actor=clerk, entry=entry, approve=True, comment="村民代表会议评议通过")
    notice = services.notice_publish(actor=clerk, cycle=cycle, village_code=clerk.region.code)
    travel(notice.ends_on + dt.timedelta(days=1))
    return services.township_review_all(actor=personas["reviewer"], cycle=cycle, comment="材料齐全")


def test_the_candidate_run_finds_every_eligible_parent_of_the_county(county_cycle):
    cycle, families = county_cycle
    found = set(cycle.entries.values_list("person_id", flat=True))
    assert found == {p.pk for f in families for p in f[1:3]}
    assert set(cycle.entries.values_list("stage", "outcome", "change")) == {(Stage.CANDIDATE, "pass", Change.NEW)}
    assert cycle.entries.first().verdicts[3][2].startswith("R4 通过：现存子女 1 人")


def test_a_person_who_lacks_data_is_a_candidate_and_cannot_be_approved_until_recorded(regions, personas):
    _, husband, _, son = jiangfu_family(regions["village_a1"])
    husband.hukou_type = "8"
    husband.save()
    cycle = services.cycle_open(actor=personas["county"], programme=J, year=2026)
    entry = cycle.entries.get(person=husband)
    assert entry.outcome == "missing"
    with pytest.raises(Refused) as exc:
        services.entry_village_review(actor=personas["clerk"], entry=entry, approve=True)
    assert exc.value.template is errors.NOT_ELIGIBLE_NOW and "R1 缺少资料" in exc.value.message
    services.fact_record(actor=personas["clerk"], person=husband, kind="rural", source="乡政府界定文件")
    services.entry_village_review(actor=personas["clerk"], entry=entry, approve=True)
    entry.refresh_from_db()
    assert entry.stage == Stage.VILLAGE and entry.outcome == "pass"


def test_full_cycle_to_the_roster_and_a_death_stop(county_cycle, personas, regions, travel):
    cycle, families = county_cycle
    assert _through_the_township(cycle, personas, travel) == 4
    county = personas["county"]
    services.cycle_confirm(actor=county, cycle=cycle, comment="县人口计生局确认")
    cycle.refresh_from_db()
    assert cycle.state == Cycle.State.CONFIRMED
    assert cycle.entries.filter(stage=Stage.CONFIRMED, locked=True).count() == 4
    # B1's couple never went through its village: not confirmed.
    assert cycle.entries.filter(village_code=regions["village_b1"].code, stage=Stage.CANDIDATE).count() == 2

    first = services.roster_build(actor=county, cycle=cycle)
    assert first.lines.count() == 4 and {str(a) for a in first.lines.values_list("amount", flat=True)} == {"960.00"}
    services.roster_paid(actor=county, roster=first, paid_on=clock.today())

    payee = families[0][1]
    Person.objects.filter(pk=payee.pk).update(status="2", death_date=clock.today())
    pending = selectors.stops_pending(cycle)
    assert [(p.entry.person_id, p.reason) for p in pending] == [(payee.pk, StopReason.DEATH)]
    second = services.roster_build(actor=county, cycle=cycle)
    assert payee.pk not in set(second.lines.values_list("entry__person_id", flat=True))
    assert second.lines.count() == 3
    services.stop_record(actor=county, entry=pending[0].entry, reason=StopReason.DEATH, detail=pending[0].detail)
    assert selectors.stops_pending(cycle) == []
    assert services.roster_build(actor=county, cycle=cycle).lines.count() == 3


def test_a_confirmed_list_is_locked(county_cycle, personas, regions, travel):
    cycle, _ = county_cycle
    _through_the_township(cycle, personas, travel)
    services.cycle_confirm(actor=personas["county"], cycle=cycle)
    entry = cycle.entries.filter(village_code=personas["clerk"].region.code).first()
    with pytest.raises(Conflict) as exc:
        services.entry_township_review(actor=personas["reviewer"], entry=entry, approve=False, comment="x")
    assert exc.value.template in (errors.CYCLE_LOCKED, errors.NOTICE_RUNNING, errors.WRONG_STAGE)
    from pims.accounts.roles import Role
    from pims.testing.fixtures import make_user

    clerk_b1 = make_user("clerk_b1", Role.VILLAGE_CLERK, regions["village_b1"])
    candidate = cycle.entries.filter(stage=Stage.CANDIDATE).first()
    with pytest.raises(Conflict) as exc:
        services.entry_village_review(actor=clerk_b1, entry=candidate, approve=False, comment="x")
    assert exc.value.template is errors.CYCLE_LOCKED


def test_township_review_waits_for_the_notice_to_end(county_cycle, personas):
    cycle, _ = county_cycle
    clerk = personas["clerk"]
    for entry in cycle.entries.filter(village_code=clerk.region.code):
        services.entry_village_review(actor=clerk, entry=entry, approve=True)
    notice = services.notice_publish(actor=clerk, cycle=cycle, village_code=clerk.region.code)
    assert (notice.ends_on - notice.published_on).days == 6  # 7 days (待核实) including the first
    entry = cycle.entries.filter(stage=Stage.NOTICE).first()
    with pytest.raises(Conflict) as exc:
        services.entry_township_review(actor=personas["reviewer"], entry=entry, approve=True)
    assert exc.value.template is errors.NOTICE_RUNNING
    assert services.township_review_all(actor=personas["reviewer"], cycle=cycle) == 0


def test_rejection_needs_a_reason_and_each_step_records_who_when_and_why(county_cycle, personas):
    cycle, _ = county_cycle
    entry = cycle.entries.filter(village_code=personas["clerk"].region.code).first()
    with pytest.raises(Refused):
        services.entry_village_review(actor=personas["clerk"], entry=entry, approve=False, comment=" ")
    services.entry_village_review(actor=personas["clerk"], entry=entry, approve=False, comment="长期不在本村居住")
    step = entry.steps.get()
    assert (step.from_stage, step.to_stage, step.actor, step.comment) == (
        Stage.CANDIDATE,
        Stage.REJECTED,
        personas["clerk"],
        "长期不在本村居住",
    )
    assert AuditEntry.objects.filter(object_type="programmes.entry", object_id=str(entry.pk)).exists()


def test_other_villages_and_townships_cannot_act(county_cycle, personas, regions):
    cycle, _ = county_cycle
    b_entry = cycle.entries.filter(village_code=regions["village_b1"].code).first()
    with pytest.raises(NotFound):
        services.entry_village_review(actor=personas["clerk"], entry=b_entry, approve=True)
    with pytest.raises(NotFound):
        services.cycle_confirm(actor=personas["outsider"], cycle=cycle)
    with pytest.raises(NotFound):
        services.notice_publish(actor=personas["clerk"], cycle=cycle, village_code=regions["village_b1"].code)
    with pytest.raises(Conflict):
        services.cycle_open(actor=personas["county"], programme=J, year=2026)


def test_next_year_continues_and_the_change_list_names_the_stopped(county_cycle, personas, travel):
    cycle, families = county_cycle
    _through_the_township(cycle, personas, travel)
    services.cycle_confirm(actor=personas["county"], cycle=cycle)
    dead = families[1][2]
    Person.objects.filter(pk=dead.pk).update(status="2", death_date=clock.today())
    entry = cycle.entries.get(person=dead)
    services.stop_record(actor=personas["county"], entry=entry, reason=StopReason.DEATH, detail="死亡日期 2026-06-01")
    nxt = services.cycle_open(actor=personas["county"], programme=J, year=2027)
    a1 = nxt.entries.filter(village_code=personas["clerk"].region.code)
    assert set(a1.values_list("change", flat=True)) == {Change.CONTINUED}
    assert dead.pk not in set(a1.values_list("person_id", flat=True))
    rows = selectors.change_list(nxt, selectors.entry_list_visible_to(user=personas["county"], cycle=nxt))
    assert [(r.name, r.reason) for r in rows if r.category == "停发"] == [(dead.name, "死亡：死亡日期 2026-06-01")]
    assert sorted(r.category for r in rows if r.village_code == dead.registered_code) == [
        "停发",
        "继续",
        "继续",
        "继续",
    ]


def test_tefu_roster_pays_the_monthly_rate_and_a_later_birth_is_an_exit(regions, personas, travel):
    from .families import child

    hh, husband, wife, kid = tefu_family(regions["village_a1"])
    cycle = services.cycle_open(actor=personas["county"], programme=T, year=2026)
    assert set(cycle.entries.values_list("tefu_kind", flat=True)) == {"death"}
    _through_the_township(cycle, personas, travel)
    services.cycle_confirm(actor=personas["county"], cycle=cycle)
    roster = services.roster_build(actor=personas["county"], cycle=cycle)
    assert {str(a) for a in roster.lines.values_list("amount", flat=True)} == {"4080.00"}  # 340 × 12
    child(hh, 4, husband, wife, name="王二", born=dt.date(2026, 1, 5))
    pending = selectors.stops_pending(cycle)
    assert {p.reason for p in pending} == {StopReason.EXIT}
    assert "T1 未通过：子女 2 人" in pending[0].detail


# --- pages ------------------------------------------------------------------


def test_the_pages_of_a_cycle_from_candidates_to_the_roster_excel(county_cycle, personas, client_for, travel):
    cycle, families = county_cycle
    clerk = client_for("clerk")
    page = clerk.get(reverse("programmes:entries", args=[cycle.pk])).content.decode()
    assert families[0][1].name in page and 'data-testid="village-approve"' in page
    for entry in cycle.entries.filter(village_code=personas["clerk"].region.code):
        clerk.post(reverse("programmes:entry_village_approve", args=[entry.pk]))
    clerk.post(reverse("programmes:notice_publish", args=[cycle.pk]))
    pdf = clerk.get(reverse("programmes:notice_pdf", args=[cycle.pk, personas["clerk"].region.code]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert AuditEntry.objects.filter(action=Action.EXPORT, object_type="programmes.cycle").exists()
    travel(clock.today() + dt.timedelta(days=8))
    client_for("reviewer").post(reverse("programmes:township_review", args=[cycle.pk]))
    county = client_for("county")
    county.post(reverse("programmes:cycle_confirm", args=[cycle.pk]), {"comment": "同意"})
    county.post(reverse("programmes:roster_build", args=[cycle.pk]))
    roster = cycle.rosters.get()
    resp = county.get(reverse("programmes:roster_xlsx", args=[roster.pk]))
    ws = load_workbook(io.BytesIO(resp.content)).active
    rows = [r for r in ws.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int)]
    assert sorted(r[3] for r in rows) == sorted(p.name for f in families[:2] for p in f[1:3])
    assert {r[9] for r in rows} == {960}


def test_person_page_shows_why_for_each_programme(county_cycle, client_for):
    _, families = county_cycle
    page = client_for("clerk").get(reverse("programmes:person", args=[families[0][1].pk]) + "?year=2026")
    text = page.content.decode()
    assert "R4 通过：现存子女 1 人（张一 1985）" in text
    assert "T1 通过：只有子女 1 人" in text and "T2 未通过" in text
    assert "待核实" in text  # the unverified parameters the judgement used


def test_outsider_and_roles_without_the_capability_get_404(county_cycle, personas, client_for):
    cycle, families = county_cycle
    a_entry = cycle.entries.filter(village_code=personas["clerk"].region.code).first()
    outsider = client_for("outsider")
    assert outsider.get(reverse("programmes:person", args=[families[0][1].pk])).status_code == 404
    assert outsider.post(reverse("programmes:entry_village_approve", args=[a_entry.pk])).status_code == 404
    assert outsider.get(reverse("programmes:notice_pdf", args=[cycle.pk, a_entry.village_code])).status_code == 404
    for name in ("clerk", "reviewer", "outsider"):
        assert client_for(name).get(reverse("programmes:stops", args=[cycle.pk])).status_code == 404
    for name in ("sysadmin", "auditor"):
        assert client_for(name).get(reverse("programmes:cycle", args=[cycle.pk])).status_code == 404
    page = outsider.get(reverse("programmes:entries", args=[cycle.pk])).content.decode()
    assert personas["clerk"].region.code not in page and families[2][1].registered_code in page
    assert Entry.objects.filter(village_code=personas["clerk"].region.code).exists()


def test_the_work_queues_name_each_levels_work_and_the_county_sees_the_death_stop(county_cycle, personas, travel):
    from pims.programmes import queues

    cycle, families = county_cycle
    [item] = queues.village_review(personas["clerk"])
    assert item.count == 4 and "待村级评议" in item.title
    assert queues.village_review(personas["outsider"]) == [] and queues.county_stops(personas["outsider"]) == []
    _through_the_township(cycle, personas, travel)
    assert queues.township_review(personas["reviewer"]) == []  # township_review_all took them all
    services.cycle_confirm(actor=personas["county"], cycle=cycle)
    assert queues.county_stops(personas["county"]) == []
    Person.objects.filter(pk=families[0][1].pk).update(status="2", death_date=clock.today())
    [stop] = queues.county_stops(personas["county"])
    assert stop.count == 1 and stop.urgent and stop.detail == "死亡"
    assert stop.url == reverse("programmes:stops", args=[cycle.pk])


def test_the_api_lists_cycles_entries_stops_and_a_persons_eligibility(county_cycle, personas, client_for):
    cycle, families = county_cycle
    clerk = client_for("clerk")
    assert [c["year"] for c in clerk.get("/api/programmes/cycles").json()] == [2026]
    items = clerk.get(f"/api/programmes/cycles/{cycle.pk}/entries").json()["items"]
    assert {i["village_code"] for i in items} == {personas["clerk"].region.code} and len(items) == 4
    assert items[0]["verdicts"][3]["rule"] == "R4"
    res = clerk.get(f"/api/programmes/persons/{families[0][1].pk}/eligibility?year=2026").json()
    assert [r["outcome"] for r in res] == ["pass", "fail"] and "programme.notice_days" not in res[0][
        "unverified_parameters"
    ]
    assert clerk.get(f"/api/programmes/cycles/{cycle.pk}/stops").status_code == 404
    assert client_for("county").get(f"/api/programmes/cycles/{cycle.pk}/stops").json() == []
    outsider = client_for("outsider")
    assert outsider.get(f"/api/programmes/persons/{families[0][1].pk}/eligibility").status_code == 404
    assert (
        personas["clerk"].region.code not in outsider.get(f"/api/programmes/cycles/{cycle.pk}/entries").content.decode()
    )
    assert client_for("clerk").get("/api/programmes/health/cancer_screening").status_code == 404
    assert client_for("operator").get("/api/programmes/health/cancer_screening").status_code == 200


def test_the_entry_list_exports_to_excel_with_the_reasons_and_is_audited(county_cycle, personas, client_for):
    cycle, families = county_cycle
    resp = client_for("clerk").get(reverse("programmes:entries", args=[cycle.pk]) + "?format=xlsx")
    ws = load_workbook(io.BytesIO(resp.content)).worksheets[0]
    rows = [r for r in ws.iter_rows(min_row=3, values_only=True) if isinstance(r[0], int)]
    assert len(rows) == 4 and {r[1] for r in rows} == {personas["clerk"].region.name}
    assert AuditEntry.objects.filter(action=Action.EXPORT, detail__list="entries").exists()
    outsider = client_for("outsider").get(reverse("programmes:entries", args=[cycle.pk]) + "?format=xlsx")
    names = [
        r[2] for r in load_workbook(io.BytesIO(outsider.content)).worksheets[0].iter_rows(min_row=3, values_only=True)
    ]
    assert len([n for n in names if n]) == 2  # township B's couple only


def _pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    assert content.startswith(b"%PDF")
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def _xlsx_rows(content: bytes) -> list[tuple]:
    ws = load_workbook(io.BytesIO(content)).worksheets[0]
    return [r for r in ws.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int)]


def test_every_list_is_excel_and_pdf_audited_and_scoped(county_cycle, personas, client_for, travel):
    """Entries, 名册, stops and the change list as Excel and PDF from the
    same rows; each export audited; the outsider gets 404 or none of A1."""
    cycle, families = county_cycle
    _through_the_township(cycle, personas, travel)
    services.cycle_confirm(actor=personas["county"], cycle=cycle)
    roster = services.roster_build(actor=personas["county"], cycle=cycle)
    dead = families[0][1]
    Person.objects.filter(pk=dead.pk).update(status="2", death_date=clock.today())
    county = client_for("county")
    a1_names = {p.name for f in families[:2] for p in f[1:3]}

    stops = reverse("programmes:stops", args=[cycle.pk])
    assert [r[2] for r in _xlsx_rows(county.get(stops + "?format=xlsx").content)] == [dead.name]
    assert dead.name in _pdf_text(county.get(stops + "?format=pdf").content)
    roster_pdf = _pdf_text(county.get(reverse("programmes:roster_pdf", args=[roster.pk])).content)
    assert all(name in roster_pdf for name in a1_names) and "合计" in roster_pdf
    entries_pdf = _pdf_text(
        client_for("clerk").get(reverse("programmes:entries", args=[cycle.pk]) + "?format=pdf").content
    )
    assert all(name in entries_pdf for name in a1_names)
    changes = reverse("programmes:changes", args=[cycle.pk])
    rows = _xlsx_rows(county.get(changes + "?format=xlsx").content)
    assert len([r for r in rows if r[1] == "新增"]) == cycle.entries.count() == 6
    assert "新增" in _pdf_text(county.get(changes + "?format=pdf").content)
    exported = set(
        AuditEntry.objects.filter(action=Action.EXPORT).values_list("detail__list", "detail__fmt").distinct()
    )
    assert {("stops", "xlsx"), ("stops", "pdf"), ("roster", "pdf"), ("entries", "pdf"), ("changes", "xlsx")} <= exported

    outsider = client_for("outsider")
    for url in (stops + "?format=xlsx", stops + "?format=pdf", reverse("programmes:roster_pdf", args=[roster.pk])):
        assert outsider.get(url).status_code == 404
    a1 = personas["clerk"].region.name
    seen = _xlsx_rows(outsider.get(changes + "?format=xlsx").content)
    assert len(seen) == 2 and a1 not in {r[3] for r in seen}  # township B's couple only
    entries_url = reverse("programmes:entries", args=[cycle.pk]) + "?format=pdf"
    assert a1 not in _pdf_text(outsider.get(entries_url).content)


def test_the_api_gives_the_change_list_and_the_rosters(county_cycle, personas, client_for, travel):
    cycle, families = county_cycle
    _through_the_township(cycle, personas, travel)
    services.cycle_confirm(actor=personas["county"], cycle=cycle)
    roster = services.roster_build(actor=personas["county"], cycle=cycle)
    a1_names = {p.name for f in families[:2] for p in f[1:3]}
    county, clerk, outsider = client_for("county"), client_for("clerk"), client_for("outsider")
    a1 = personas["clerk"].region.code
    changes = clerk.get(f"/api/programmes/cycles/{cycle.pk}/changes").json()
    assert {c["village_code"] for c in changes} == {a1} and len(changes) == 4
    assert {c["category"] for c in changes} == {"新增"} and {c["name"] for c in changes} == a1_names
    seen = outsider.get(f"/api/programmes/cycles/{cycle.pk}/changes").json()
    assert len(seen) == 2 and a1 not in {c["village_code"] for c in seen}
    [listed] = county.get(f"/api/programmes/cycles/{cycle.pk}/rosters").json()
    assert (listed["number"], listed["lines"]) == (1, 4)
    lines = county.get(f"/api/programmes/rosters/{roster.pk}/lines").json()["items"]
    assert {line["name"] for line in lines} == a1_names and {line["amount"] for line in lines} == {960.0}
    assert AuditEntry.objects.filter(action=Action.EXPORT, detail__fmt="api").exists()
    for who in (clerk, outsider):
        assert who.get(f"/api/programmes/cycles/{cycle.pk}/rosters").status_code == 404
        assert who.get(f"/api/programmes/rosters/{roster.pk}/lines").status_code == 404
