"""Statistical-year and half-year presets (DOMAIN.md §9): 10-01 → 09-30 and
10-01 → 03-31, named by the year they end in, on every report page, export
and the API; the figures match an independent count of the events."""

from django.db.models import Q
from django.urls import reverse

from pims.events.models import Event
from pims.lib import clock
from pims.lib.dates import years_before
from pims.stats.forms import parse_params, preset_choices, preset_months

from .conftest import THIS_MONTH
from .test_views import page_cells


def test_presets_name_the_months():
    assert preset_months("stat_year:2026") == ("2025-10", "2026-09")
    assert preset_months("half_year:2026") == ("2025-10", "2026-03")
    assert preset_months("year:2026") == ("2026-01", "2026-12")
    assert preset_months("stat_year:20x6") is None and preset_months("week:2026") is None


def test_a_preset_replaces_the_months_and_a_bad_one_is_named(db):
    params, errors = parse_params({"preset": "half_year:2020", "period": "2001-01"})
    assert (params.first, params.last, errors) == ("2019-10", "2020-03", [])
    params, errors = parse_params({"preset": "stat_year:zz"})
    assert "统计期预设“stat_year:zz”无效" in str(errors[0])
    assert any(v == f"stat_year:{clock.today().year}" for v, _ in preset_choices())


def test_the_statistical_year_report_counts_the_events_approved_in_it(world, regions, client_for):
    year = int(THIS_MONTH[:4]) + (1 if THIS_MONTH[5:] >= "10" else 0)
    first, last = preset_months(f"stat_year:{year}")
    county = client_for("county")
    code = regions["county"].code
    page = county.get(reverse("stats:report", args=["change", code]), {"preset": f"stat_year:{year}"})
    cells = page_cells(page.content.decode())
    by_months = page_cells(
        county.get(reverse("stats:report", args=["change", code]), {"period": first, "to": THIS_MONTH}).content.decode()
    )
    assert cells == by_months
    births = Event.objects.filter(
        event_type="birth",
        review_status="approved",
        region_code__startswith=code[:6],
        approved_period__gte=first,
        approved_period__lte=last,
    ).count()
    assert int(cells[("total", "births")]) == births >= 1
    api = county.get(reverse("api:stats_report", args=["change", code]), {"preset": f"stat_year:{year}"})
    assert api.status_code == 200


def test_national_table_1_matches_an_independent_count(world, regions, client_for):
    """国人口统1表 over the statistical year against counts taken another way
    (persons, births and marriages rather than spells)."""
    import datetime as dt

    from pims.events.periods import last_day
    from pims.registry.models import Birth, Person

    year = int(THIS_MONTH[:4]) + (1 if THIS_MONTH[5:] >= "10" else 0)
    first, _last = preset_months(f"stat_year:{year}")
    county = client_for("county")
    code = regions["county"].code
    page = county.get(reverse("stats:report", args=["national1", code]), {"preset": f"stat_year:{year}"})
    html = page.content.decode()
    cells = page_cells(html)
    assert "其中计划内" not in html  # a period after 2021-08
    born = Event.objects.filter(
        event_type="birth", review_status="approved", approved_period__gte=first, region_code__startswith=code[:6]
    ).values("person_id")
    births = Birth.objects.filter(child_id__in=born)
    assert int(cells[("total", "births")]) == births.count()
    start = dt.date.fromisoformat(first + "-01")
    assert int(cells[("total", "late")]) == births.filter(child__birth_date__lt=start).count()
    assert int(cells[("total", "order1")]) == births.filter(birth_order=1).count()
    urban = births.filter(Q(mother__hukou_type__in=("1", "3")) | Q(father__hukou_type__in=("1", "3")))
    assert int(cells[("total", "urban")]) == urban.count()
    end = last_day(THIS_MONTH)
    women = Person.objects.filter(
        registered_code__startswith=code[:6],
        status="1",
        sex="2",
        marital_status__in=("20", "21", "22", "23"),
        birth_date__gt=years_before(end, 50),
        birth_date__lte=years_before(end, 15),
    )
    assert int(cells[("total", "married_women")]) == women.count() > 0
    old = county.get(reverse("stats:report", args=["national1", code]), {"period": "2020-10", "to": "2021-07"})
    assert "其中计划内" in old.content.decode()


def test_national_table_2_counts_methods_and_operations(world, regions, client_for):
    import datetime as dt

    from pims.events.periods import last_day
    from pims.registry.models import Contraception, Person

    county = client_for("county")
    code = regions["county"].code
    year = int(THIS_MONTH[:4]) + (1 if THIS_MONTH[5:] >= "10" else 0)
    first, _last = preset_months(f"stat_year:{year}")
    cells = page_cells(
        county.get(reverse("stats:report", args=["national2", code]), {"preset": f"stat_year:{year}"}).content.decode()
    )
    end = last_day(THIS_MONTH)
    women = Person.objects.filter(
        registered_code__startswith=code[:6],
        status="1",
        sex="2",
        marital_status__in=("20", "21", "22", "23"),
        birth_date__gt=years_before(end, 50),
        birth_date__lte=years_before(end, 15),
    )
    in_use = Contraception.objects.filter(woman__in=women, start_date__lte=end).filter(
        Q(end_date__isnull=True) | Q(end_date__gt=end)
    )
    assert int(cells[("total", "married_women")]) == women.count() > 0
    assert int(cells[("total", "iud")]) == in_use.filter(method="03").values("woman").distinct().count()
    start = dt.date.fromisoformat(first + "-01")
    ops = Contraception.objects.filter(
        woman__responsible_code__startswith=code[:6], start_date__gte=start, start_date__lte=end, method="03"
    )
    assert int(cells[("total", "op_iud")]) == ops.count()


def _certificate(marriage, child, actor, *, issued, revoked=None, village):
    from pims.documents.models import HonourCertificate, HonourState

    state = HonourState.REVOKED if revoked else HonourState.ISSUED if issued else HonourState.APPLIED
    return HonourCertificate.objects.create(
        state=state,
        husband=marriage.husband,
        wife=marriage.wife,
        child=child,
        marriage=marriage,
        husband_uuid=marriage.husband.uuid,
        wife_uuid=marriage.wife.uuid,
        child_uuid=child.uuid,
        region_code=village,
        township_code=village[:9] + "000",
        issuer_code=village[:6] + "000000",
        token=f"t{marriage.pk}-{child.pk}",
        applied_at=clock.now(),
        applied_by=actor,
        county_at=issued,
        revoked_at=revoked,
    )


def test_national_table_1_counts_the_honour_certificates_in_force(world, regions, client_for, personas):
    """领取独生子女证人数 and 其中农村 at the period's end against a count in
    Python over every certificate (issued, not revoked by then; the couple
    rule: rural if either spouse holds a 农业 hukou)."""
    from pims.documents.models import HonourCertificate
    from pims.events.periods import last_day
    from pims.registry.models import Birth, Marriage

    now = clock.now()
    couples = []
    for m in Marriage.objects.select_related("husband", "wife").order_by("pk"):
        child = Birth.objects.filter(mother=m.wife, father=m.husband).select_related("child").first()
        if child is not None:
            couples.append((m, child.child))
    assert len(couples) >= 3
    (m1, c1), (m2, c2), (m3, c3) = couples[:3]
    m1.wife.hukou_type, m1.husband.hukou_type = "1", "2"  # rural by the couple rule
    m1.wife.save(update_fields=["hukou_type"]), m1.husband.save(update_fields=["hukou_type"])
    m2.wife.hukou_type, m2.husband.hukou_type = "1", "1"  # urban
    m2.wife.save(update_fields=["hukou_type"]), m2.husband.save(update_fields=["hukou_type"])
    county_user = personas["county"]
    _certificate(m1, c1, county_user, issued=now, village=m1.wife.registered_code)
    _certificate(m2, c2, county_user, issued=now, village=m2.wife.registered_code)
    _certificate(m3, c3, county_user, issued=now, revoked=now, village=m3.wife.registered_code)
    _certificate(m3, c1, county_user, issued=None, village=m3.wife.registered_code)

    code = regions["county"].code
    html = client_for("county").get(reverse("stats:report", args=["national1", code])).content.decode()
    cells = page_cells(html)
    end = last_day(THIS_MONTH)

    def in_force(c) -> bool:
        issued = c.county_at is not None and c.county_at.date() <= end
        return issued and (c.revoked_at is None or c.revoked_at.date() > end)

    held = [c for c in HonourCertificate.objects.select_related("husband", "wife") if in_force(c)]
    rural = [c for c in held if {c.husband.hukou_type, c.wife.hukou_type} & {"2", "4"}]
    assert (int(cells[("total", "honour")]), int(cells[("total", "honour_rural")])) == (len(held), len(rural)) == (2, 1)
    for prefix in {k for k, _c in cells if k != "total"}:
        mine = [c for c in held if c.region_code.startswith(prefix)]
        assert int(cells[(prefix, "honour")]) == len(mine)


def test_the_default_annual_report_gives_births_and_the_sex_ratio_by_order(world, regions, client_for):
    """出生人口监测表 opens on the running statistical year; its figures
    against births counted in Python (child's order and sex)."""
    from pims.registry.models import Birth
    from pims.stats.forms import current_preset

    county = client_for("county")
    code = regions["county"].code
    index = county.get(reverse("stats:index")).content.decode()
    preset = current_preset("stat_year")
    assert f"?preset={preset}" in index.split('data-testid="annual-report"', 1)[1].split("</p>", 1)[0]
    page = county.get(reverse("stats:report", args=["monitoring", code])).content.decode()
    assert page_cells(page) == page_cells(
        county.get(reverse("stats:report", args=["monitoring", code]), {"preset": preset}).content.decode()
    )
    first, _last = preset_months(preset)
    approved = Event.objects.filter(
        event_type="birth", review_status="approved", approved_period__gte=first, region_code__startswith=code[:6]
    ).values_list("person_id", flat=True)
    births = list(Birth.objects.filter(child_id__in=list(approved)).select_related("child"))
    assert births
    cells = page_cells(page)
    groups = {"o1": lambda o: o == 1, "o2": lambda o: o == 2, "o3": lambda o: o is not None and o >= 3}
    groups["all"] = lambda o: True
    for key, test in groups.items():
        mine = [b for b in births if test(b.birth_order)]
        male = sum(b.child.sex == "1" for b in mine)
        female = sum(b.child.sex == "2" for b in mine)
        assert (int(cells[("total", f"{key}_births")]), int(cells[("total", f"{key}_male")])) == (len(mine), male)
        expected = f"{male * 100 / female:.1f}" if female else "—"
        assert cells[("total", f"{key}_srb")] == expected
