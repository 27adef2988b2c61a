"""Every role walks every page that needs no parameter (issue 15, done-when):
no server error, never Django's English debug or plain error page, always the
site's Chinese layout."""

import pytest
from django.test import Client

from pims.testing.fixtures import login
from pims.testing.urlwalk import iter_routes

PERSONAS = ["clerk", "operator", "reviewer", "county", "auditor", "sysadmin", "outsider"]
# Not pages: downloads, JSON, the sign-out, the API and language switch.
SKIP_PREFIXES = ("api/", "i18n/", "static/", "healthz", "accounts/logout")
DJANGO_PAGES = ("Page not found", "Server Error", "Traceback", "Using the URLconf", "Forbidden (403)")


def pages():
    return [
        r for r in iter_routes() if not r.params and not r.template.startswith(SKIP_PREFIXES) and "." not in r.template
    ]


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_page_answers_in_chinese_for_every_role(persona, personas, regions, codes):
    client = login(Client(raise_request_exception=False), personas[persona])
    problems = []
    for route in pages():
        url = route.fill({})
        resp = client.get(url)
        if resp.status_code >= 500:
            problems.append(f"{url} → {resp.status_code}")
            continue
        # 405: a form's POST address opened by GET — not a page a link leads to.
        if resp.status_code in (301, 302, 303, 405) or not resp.get("Content-Type", "").startswith("text/html"):
            continue
        body = resp.content.decode("utf-8", errors="replace")
        english = [marker for marker in DJANGO_PAGES if marker in body]
        if english or 'lang="zh-hans"' not in body:
            problems.append(f"{url} → {resp.status_code} {english or 'not the Chinese layout'}")
    assert problems == [], "\n".join(problems)
