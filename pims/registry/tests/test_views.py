import pytest
from django.urls import reverse

from pims.registry import services
from pims.registry.models import Household

from .conftest import family_form

pytestmark = pytest.mark.usefixtures("codes")


def form_post(data, members, **extra):
    post = dict(data, **extra)
    for m in members:
        for k, v in m.items():
            if k != "row":
                post[f"m-{m['row']}-{k}"] = v
    return post


def test_form_page_offers_code_lists(client_for, regions):
    resp = client_for("clerk").get(reverse("registry:household_create") + f"?village={regions['village_a1'].code}")
    body = resp.content.decode()
    assert resp.status_code == 200
    assert 'datalist id="codes-ethnicity"' in body and "汉族" in body


def test_errors_are_shown_next_to_fields_and_input_is_kept(client_for, regions):
    data, members = family_form(regions["village_a1"].code)
    members[0]["citizen_id"] = members[0]["citizen_id"][:-1] + ("1" if members[0]["citizen_id"][-1] != "1" else "2")
    url = reverse("registry:household_create") + f"?village={regions['village_a1'].code}"
    resp = client_for("clerk").post(url, form_post(data, members))
    body = resp.content.decode()
    assert resp.status_code == 422
    assert 'data-testid="err-1-citizen_id"' in body
    assert "校验位错误" in body
    assert "大孤家子村一组 12 号" in body  # nothing the clerk typed is lost
    assert Household.objects.count() == 0


def test_codes_may_be_typed_by_name_or_pinyin_initials(client_for, regions):
    data, members = family_form(regions["village_a1"].code)
    members[0]["ethnicity"] = "汉族"
    members[0]["relationship"] = "hz"  # 户主
    url = reverse("registry:household_create") + f"?village={regions['village_a1'].code}"
    resp = client_for("clerk").post(url, form_post(data, members))
    assert resp.status_code == 302, resp.content.decode()[:2000]
    head = Household.objects.get().members.get(row=1)
    assert (head.ethnicity, head.relationship) == ("01", "02")


def test_stale_version_shows_conflict_and_keeps_input(client_for, personas, regions):
    data, members = family_form(regions["village_a1"].code)
    hh = services.household_save(
        actor=personas["clerk"], data=data, members=members, village_code=regions["village_a1"].code
    ).household
    url = reverse("registry:household_edit", args=[hh.pk])
    data["address"] = "新地址"
    resp = client_for("clerk").post(url, form_post(data, members, version=hh.version - 1))
    assert resp.status_code == 409
    body = resp.content.decode()
    assert "已被其他用户修改" in body and "新地址" in body


def test_outsider_gets_404_on_every_household_page(client_for, personas, regions):
    data, members = family_form(regions["village_a1"].code)
    hh = services.household_save(
        actor=personas["clerk"], data=data, members=members, village_code=regions["village_a1"].code
    ).household
    person = hh.members.first()
    c = client_for("outsider")
    for name, args in [
        ("household_detail", [hh.pk]),
        ("household_edit", [hh.pk]),
        ("household_review", [hh.pk]),
        ("person_detail", [person.pk]),
    ]:
        assert c.get(reverse(f"registry:{name}", args=args)).status_code == 404, name
    assert c.post(reverse("registry:household_submit", args=[hh.pk])).status_code == 404
    assert c.post(reverse("registry:person_reveal", args=[person.pk])).status_code == 404
    assert c.get(reverse("registry:household_create") + f"?village={regions['village_a1'].code}").status_code == 404
    listing = c.get(reverse("registry:household_list")).content.decode()
    assert "张三" not in listing and "共 0 户" in listing


def test_sysadmin_and_auditor_see_no_personal_data(client_for, personas, regions):
    data, members = family_form(regions["village_a1"].code)
    hh = services.household_save(
        actor=personas["clerk"], data=data, members=members, village_code=regions["village_a1"].code
    ).household
    for persona in ("sysadmin", "auditor"):
        c = client_for(persona)
        assert c.get(reverse("registry:household_detail", args=[hh.pk])).status_code == 404
        assert "张三" not in c.get(reverse("registry:household_list")).content.decode()


def test_operator_reveal_shows_full_id(client_for, personas, regions):
    data, members = family_form(regions["village_a1"].code)
    hh = services.household_save(
        actor=personas["clerk"], data=data, members=members, village_code=regions["village_a1"].code
    ).household
    head = hh.members.get(row=1)
    resp = client_for("operator").post(reverse("registry:person_reveal", args=[head.pk]))
    assert members[0]["citizen_id"] in resp.content.decode()
    page = client_for("operator").get(reverse("registry:person_detail", args=[head.pk])).content.decode()
    assert members[0]["citizen_id"] not in page


def test_scan_upload_is_checked_scoped_and_served(client_for, personas, regions, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    data, members = family_form(regions["village_a1"].code)
    hh = services.household_save(
        actor=personas["clerk"], data=data, members=members, village_code=regions["village_a1"].code
    ).household
    url = reverse("registry:household_scan", args=[hh.pk])
    clerk = client_for("clerk")
    clerk.post(url, {"form_scan": SimpleUploadedFile("x.exe", b"MZ\x90\x00", content_type="image/png")})
    hh.refresh_from_db()
    assert not hh.form_scan
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    clerk.post(url, {"form_scan": SimpleUploadedFile("form.png", png, content_type="image/png")})
    hh.refresh_from_db()
    assert hh.form_scan.name.endswith(".png")
    assert b"".join(clerk.get(url).streaming_content) == png
    assert client_for("outsider").get(url).status_code == 404
