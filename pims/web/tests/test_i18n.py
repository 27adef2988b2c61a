"""The shell speaks Chinese by default and English on request."""

from django.urls import NoReverseMatch, reverse
from django.utils import translation

from pims.web.modules import MODULES

ENGLISH_MODULES = [
    "Basic information",
    "Quality services",
    "Information query",
    "Statistics &amp; analysis",
    "System administration",
]


def _set_language_url() -> str:
    try:
        return reverse("set_language")
    except NoReverseMatch:
        raise AssertionError(
            'config/urls.py needs path("i18n/", include("django.conf.urls.i18n")) for the language switch'
        ) from None


def test_switching_to_english_shows_english_module_names(client_for):
    client = client_for("operator")
    resp = client.post(_set_language_url(), {"language": "en", "next": "/"})
    assert resp.status_code == 302
    body = client.get(reverse("web:dashboard")).content.decode()
    assert 'lang="en"' in body
    for title in ENGLISH_MODULES:
        assert title in body
    assert "基础信息管理" not in body

    client.post(_set_language_url(), {"language": "zh-hans", "next": "/"})
    body = client.get(reverse("web:dashboard")).content.decode()
    assert "基础信息管理" in body and 'lang="zh-hans"' in body


def test_every_module_title_has_an_english_translation():
    with translation.override("en"):
        english = [str(m.title) for m in MODULES.values()]
    with translation.override("zh-hans"):
        chinese = [str(m.title) for m in MODULES.values()]
    assert all(e != c for e, c in zip(english, chinese, strict=True)), english
    assert chinese == ["基础信息管理", "优质服务", "信息查询", "统计分析", "系统管理"]
