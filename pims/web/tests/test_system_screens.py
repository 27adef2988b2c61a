"""System management (issue 15.10): the read-only role screen, and each role
offered only the modules it can use."""

from django.urls import reverse


def test_role_screen_lists_every_role_with_its_capabilities(client_for):
    body = client_for("sysadmin").get(reverse("web:role_list")).content.decode()
    for label in ("村信息员", "乡镇审核员", "县管理员", "审计员", "系统管理员"):
        assert label in body
    assert "查看审计日志" in body and "双因素认证" in body
    for persona in ("clerk", "reviewer", "auditor", "outsider"):
        assert client_for(persona).get(reverse("web:role_list")).status_code == 404


def test_auditor_and_sysadmin_see_only_system_management(client_for):
    for persona in ("auditor", "sysadmin"):
        body = client_for(persona).get(reverse("web:dashboard")).content.decode()
        nav = body.split('class="modules"')[1].split("</nav>")[0]
        assert "系统管理" in nav
        for title in ("基础信息管理", "优质服务", "信息查询", "统计分析"):
            assert title not in nav, (persona, title)
    assert "角色与权限" in client_for("sysadmin").get(reverse("web:module", args=["system"])).content.decode()
