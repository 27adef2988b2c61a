import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_login_page_is_chinese(client):
    resp = client.get(reverse("accounts:login"))
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "用户登录" in body
    assert 'lang="zh-hans"' in body


def test_dashboard_shows_own_region_and_modules(client_for, regions):
    resp = client_for("clerk").get(reverse("web:dashboard"))
    body = resp.content.decode()
    assert resp.status_code == 200
    assert regions["village_a1"].name in body
    for title in ["基础信息管理", "优质服务", "信息查询", "统计分析", "系统管理"]:
        assert title in body


def test_dashboard_counts_only_own_subtree(client_for, regions):
    body = client_for("operator").get(reverse("web:dashboard")).content.decode()
    # township A has two villages; township B's village is not counted
    assert "下辖村/社区" in body
    assert ">2<" in body


def test_anonymous_is_sent_to_login(client, db):
    resp = client.get(reverse("web:dashboard"))
    assert resp.status_code == 302
    assert reverse("accounts:login") in resp["Location"]


def test_county_admin_must_pass_2fa_first(client, personas):
    client.force_login(personas["county"])
    resp = client.get(reverse("web:dashboard"))
    assert resp.status_code == 302
    assert resp["Location"] == reverse("accounts:otp")
