"""The outsider walks every endpoint and must learn nothing about township A.

Every URL pattern of the root resolver and every operation of the OpenAPI
schema is requested by the outsider (an operator of township B) with its path
parameters filled with values that identify township A's data. Values and
leak markers come from pims.testing.scope_targets, where each app registers
its own — a new app's URLs are walked without touching this file.

A response passes when it is a 404/405/401/403/400/422, a redirect to the
login page, or a page that contains none of township A's planted strings.
For a value of township A, an error must look exactly like the error for a
value that identifies nothing (a 403 next to a 404 leaks existence).
"""

import contextlib
import html
import itertools
import json
import math
import warnings
from urllib.parse import unquote, urlencode

import pytest
from django.conf import settings
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from pims.api.api import api
from pims.testing.fixtures import login
from pims.testing.scope_targets import Sample, registered_names
from pims.testing.urlwalk import iter_operations, iter_routes

# URL names the walk leaves out, each with the reason.
NOT_WALKED = {
    # POST signs the outsider out; every request after it would "pass" as a
    # redirect to the login page and prove nothing.
    "accounts:logout": "ends the outsider's session",
}

ERROR_STATUSES = {400, 401, 403, 404, 405, 422}
# Above this many parameter combinations for one URL, each sample is tried once.
MAX_COMBINATIONS = 30


class Walk:
    def __init__(self, client, targets):
        self.client = client
        self.targets = targets
        self.problems: list[str] = []
        self.requests = 0
        self.login_url = reverse(settings.LOGIN_URL)

    # --- requests ---------------------------------------------------------

    def request(self, method: str, url: str, *, json_body: bool = False):
        self.requests += 1
        kwargs: dict[str, object] = {}
        if method != "get":
            kwargs = {"data": "{}", "content_type": "application/json"} if json_body else {"data": {}}
        return getattr(self.client, method)(url, **kwargs)

    @staticmethod
    def text(resp) -> str:
        """Headers and body as the outsider would read them: JSON's \\uXXXX
        escapes, HTML entities and percent-encoding undone."""
        body = b"".join(resp.streaming_content) if resp.streaming else resp.content
        headers = "\n".join(f"{k}: {v}" for k, v in resp.items())
        text = headers + "\n" + body.decode("utf-8", errors="replace")
        parts = [text, html.unescape(text), unquote(text)]
        if resp.get("Content-Type", "").startswith("application/json"):
            with contextlib.suppress(ValueError):
                parts.append(json.dumps(json.loads(body), ensure_ascii=False))
        return "\n".join(parts)

    def is_login_redirect(self, resp) -> bool:
        return resp.status_code in (301, 302) and resp["Location"].split("?")[0] == self.login_url

    # --- checks -----------------------------------------------------------

    def leaked(self, url: str, resp) -> list[str]:
        # A value the outsider put in the URL (a username in a query string)
        # may come back in a redirect without telling them anything new.
        sent = unquote(url)
        return [s for s in self.targets.leaked(self.text(resp)) if s not in sent]

    def check(self, method: str, url: str, resp, *, scoped: bool, write: bool) -> None:
        where = f"{method.upper()} {url} → {resp.status_code}"
        leaks = self.leaked(url, resp)
        if leaks:
            self.problems.append(f"{where} shows township A's {leaks}")
        status = resp.status_code
        if status >= 500:
            self.problems.append(f"{where}: server error")
        elif status in (301, 302, 303, 307, 308):
            if self.is_login_redirect(resp):
                return
            if write and scoped:
                self.problems.append(f"{where}: accepted an empty write on township A's data ({resp['Location']})")
            elif method == "get":
                # Follow within the site: the page it lands on must not leak either.
                final = self.client.get(url, follow=True)
                self.requests += 1
                leaks = self.leaked(url, final)
                if leaks:
                    self.problems.append(f"{where} → {final.status_code} after redirects shows {leaks}")
        elif 200 <= status < 300:
            if write and scoped and resp.get("Content-Type", "").startswith("application/json"):
                self.problems.append(f"{where}: the API accepted a write on township A's data")
        elif status not in ERROR_STATUSES:
            self.problems.append(f"{where}: unexpected status")

    def same_as_missing(self, method: str, url: str, resp, missing_url: str, *, json_body: bool) -> None:
        """An error for A's value must be the error for a value that is not there."""
        if resp.status_code not in ERROR_STATUSES:
            return
        missing = self.request(method, missing_url, json_body=json_body)
        if missing.status_code != resp.status_code:
            self.problems.append(
                f"{method.upper()} {url} → {resp.status_code} but {missing_url} → {missing.status_code}: "
                "the difference tells the outsider that township A's record exists"
            )

    # --- filling parameters -------------------------------------------------

    def combos(self, where: str, view_name: str | None, params, accepts) -> list[dict[str, Sample]]:
        choices = []
        for param in params:
            if not self.targets.registered(param, view_name):
                warnings.warn(
                    f"{where}: parameter {param!r} has no registered samples; trying every sample "
                    "(register one in pims.testing.scope_targets)",
                    stacklevel=2,
                )
            fitting = [s for s in self.targets.for_param(param, view_name) if accepts(param, s.value)]
            if not fitting:
                self.problems.append(
                    f"{where}: no sample value fits parameter {param!r}; "
                    "register township A's values for it in pims.testing.scope_targets"
                )
                return []
            choices.append([(param, s) for s in fitting])
        if math.prod(len(c) for c in choices) <= MAX_COMBINATIONS:
            return [dict(c) for c in itertools.product(*choices)]
        # Too many to try all: every sample of every parameter still appears once.
        longest = max(len(c) for c in choices)
        return [dict(c[i % len(c)] for c in choices) for i in range(longest)]

    def walk_url(self, method: str, url_for, combo: dict[str, Sample], *, json_body: bool, query: str = "") -> None:
        url = url_for({k: s.value for k, s in combo.items()}) + query
        scoped = any(s.scoped for s in combo.values())
        resp = self.request(method, url, json_body=json_body)
        self.check(method, url, resp, scoped=scoped, write=method != "get")
        if scoped:
            missing = {k: (s.missing() if s.scoped else s.value) for k, s in combo.items()}
            self.same_as_missing(method, url, resp, url_for(missing) + query, json_body=json_body)

    def query_probe(self) -> str:
        """Township A's values for every registered name, as a query string:
        list views that filter by a query parameter get the same treatment."""
        pairs = {}
        for name in sorted(registered_names()):
            scoped = [s for s in self.targets.by_name.get(name, []) if s.scoped]
            if scoped:
                pairs[name] = scoped[0].value
        return "?" + urlencode(pairs)


def api_view_name(op) -> str | None:
    try:
        return resolve(op.fill(dict.fromkeys(op.path_params, "1"))).view_name
    except Resolver404:
        return None


def walked_routes():
    return [r for r in iter_routes() if r.name not in NOT_WALKED]


def test_outsider_learns_nothing_about_township_a(personas, regions, outsider_targets):
    outsider = personas["outsider"]
    client = login(Client(raise_request_exception=False), outsider)
    walk = Walk(client, outsider_targets)

    for route in walked_routes():
        where = route.name or route.template
        for combo in walk.combos(where, route.name, route.params, route.accepts):
            walk.walk_url("get", route.fill, combo, json_body=False)
            walk.walk_url("post", route.fill, combo, json_body=False)
            if not route.params:
                walk.walk_url("get", route.fill, combo, json_body=False, query=walk.query_probe())

    for op in iter_operations(api.get_openapi_schema()):
        where = f"{op.method.upper()} {op.path}"
        for combo in walk.combos(where, api_view_name(op), list(op.path_params), op.accepts):
            query = ""
            known = {name: s for name in op.query_params for s in outsider_targets.by_name.get(name, [])[:1]}
            if known:
                query = "?" + urlencode({name: s.value for name, s in known.items()})
            walk.walk_url(op.method, op.fill, combo, json_body=True, query=query)

    # The walk proves nothing if the outsider was signed out along the way.
    home = client.get(reverse("web:dashboard"))
    assert home.status_code == 200, "the outsider lost the session during the walk"
    assert outsider.region.name in home.content.decode()
    assert walk.requests > 20, f"only {walk.requests} requests: the enumeration looks broken"
    assert not walk.problems, "township A's data reached the outsider:\n" + "\n".join(walk.problems)


def test_enumerator_finds_the_known_routes():
    names = {r.name for r in iter_routes()}
    for known in [
        "web:dashboard",
        "web:module",
        "regions:browse",
        "regions:detail",
        "codes:table_list",
        "codes:table_detail",
        "audit:entry_list",
        "accounts:login",
        "accounts:otp",
        "api:region_get",
        "api:region_children",
        "api:code_table_codes",
    ]:
        assert known in names, f"{known} not enumerated"
    detail = next(r for r in iter_routes() if r.name == "regions:detail")
    assert detail.params == ("code",)
    assert detail.fill({"code": "210124101000"}) == "/regions/210124101000/"
    assert not set(NOT_WALKED) - names, "NOT_WALKED names a route that no longer exists"


def test_enumerator_finds_the_api_operations():
    ops = {(op.method, op.path) for op in iter_operations(api.get_openapi_schema())}
    assert ("get", "/api/regions/{code}") in ops
    assert ("get", "/api/regions/{code}/children") in ops
    assert ("get", "/api/codes/{key}") in ops


def test_walk_fails_when_a_page_leaks(outsider_targets, db):
    """The checker itself: a leaking 200 and a 403-next-to-404 are caught."""

    class Fake:
        def __init__(self, status, body="", location=None, content_type="text/html"):
            self.status_code, self.content, self.streaming = status, body.encode(), False
            self._headers = {"Content-Type": content_type} | ({"Location": location} if location else {})

        def items(self):
            return self._headers.items()

        def get(self, k, default=None):
            return self._headers.get(k, default)

        def __getitem__(self, k):
            return self._headers[k]

    walk = Walk(Client(), outsider_targets)
    secret = sorted(outsider_targets.secrets)[0]
    walk.check("get", "/x/", Fake(200, f"<p>{secret}</p>"), scoped=True, write=False)
    walk.check("post", "/x/", Fake(302, location="/elsewhere/"), scoped=True, write=True)
    walk.check("get", "/x/", Fake(500), scoped=True, write=False)
    escaped = json.dumps({"name": secret})  # "\\u5927..." — must still be found
    walk.check("get", "/x/", Fake(200, escaped, content_type="application/json"), scoped=True, write=False)
    assert len(walk.problems) == 4, walk.problems
    walk.check("get", "/x/", Fake(200, json.dumps({"ok": 1})), scoped=True, write=False)
    walk.check("get", "/x/", Fake(404), scoped=True, write=False)
    walk.check("get", "/x/", Fake(302, location=walk.login_url + "?next=/x/"), scoped=True, write=False)
    assert len(walk.problems) == 4, walk.problems


@pytest.mark.parametrize("value", ["210124101000", "walk-sex"])
def test_targets_cover_the_foundation(outsider_targets, value):
    values = {s.value for samples in outsider_targets.by_name.values() for s in samples}
    assert value in values
    assert "大孤家子镇" in outsider_targets.secrets
