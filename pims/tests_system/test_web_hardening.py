"""Web hardening (issue 14 item 8): the Content-Security-Policy, no-store on
personal data, the absolute session lifetime, lockout keyed on account and
address, the API schema behind sign-in, no open redirect."""

import re
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from pims.accounts.middleware import SIGNED_IN_AT
from pims.audit.models import Action, AuditEntry
from pims.testing.browser import CHROMIUM_ARGS, _chromium_path
from pims.testing.fixtures import PASSWORD, login

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
# Templates rendered to PDF on the server, never served to a browser.
SERVER_ONLY = {
    "stats/report_pdf.html",
    "programmes/notice_pdf.html",
    "programmes/table_pdf.html",
    "exchange/handover_pdf.html",
    "documents/registration_pdf.html",
    "documents/honour_pdf.html",
}


def _login(client, username, password=PASSWORD, ip="10.0.0.1"):
    return client.post(reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


# --- Content-Security-Policy ---------------------------------------------------------


def test_every_answer_carries_a_policy_without_inline_script(client_for):
    client = client_for("operator")
    for url in ("/", "/accounts/login/", "/api/regions/tree", "/no/such/page/"):
        policy = client.get(url)["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["script-src"] == "'self'", url
        assert "unsafe" not in policy and "frame-ancestors 'none'" in policy


def test_no_template_has_inline_script_handlers_or_styles():
    inline_script = re.compile(r"<script(?![^>]*\b(src=|type=\"application/json\"))[^>]*>", re.I)
    handler = re.compile(r"\son[a-z]+\s*=", re.I)
    style = re.compile(r"<style|\sstyle\s*=", re.I)
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        rel = str(path.relative_to(TEMPLATES))
        text = path.read_text("utf-8")
        for name, pattern in (("script", inline_script), ("handler", handler), ("style", style)):
            if rel not in SERVER_ONLY and pattern.search(text):
                offenders.append(f"{rel}: inline {name}")
    assert offenders == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_browser_refuses_an_injected_inline_handler(live_server):
    """What the policy is for: markup that slipped into a page does not run.
    (Every browser journey also fails on any refusal: pims.testing.browser.)"""
    path = _chromium_path()
    if path is None:
        pytest.skip("chromium not found")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        page = browser.new_page(base_url=live_server.url)
        refused = []
        page.on("console", lambda msg: refused.append(msg.text))
        page.goto("/accounts/login/")
        page.evaluate("document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=\"window.ran=1\">')")
        page.wait_for_timeout(300)
        assert page.evaluate("window.ran") is None
        assert any("Content Security Policy" in m for m in refused)
        browser.close()


# --- no-store ---------------------------------------------------------------------------


def test_pages_api_answers_and_errors_are_not_stored(client_for, regions):
    client = client_for("operator")
    for url in ("/", f"/regions/{regions['township_a'].code}/", "/api/regions/tree", "/search/", "/no/such/"):
        assert "no-store" in client.get(url)["Cache-Control"], url


# --- absolute session lifetime -------------------------------------------------------------


def test_an_active_session_ends_twelve_hours_after_sign_in(client, personas):
    assert settings.SESSION_ABSOLUTE_SECONDS == 12 * 3600
    assert _login(client, personas["clerk"].username).status_code == 302
    assert client.get("/").status_code == 200
    session = client.session
    session[SIGNED_IN_AT] = time.time() - settings.SESSION_ABSOLUTE_SECONDS - 1
    session.save()
    resp = client.get("/")
    assert resp.status_code == 302 and resp["Location"].endswith("?reason=expired")
    assert "_auth_user_id" not in client.session
    assert "重新登录" in client.get(resp["Location"]).content.decode()
    entry = AuditEntry.objects.filter(action=Action.LOGOUT, actor=personas["clerk"]).latest("at")
    assert entry.detail == {"reason": "expired"}


def test_an_expired_api_session_gets_401(client, personas):
    login(client, personas["operator"])
    session = client.session
    session[SIGNED_IN_AT] = time.time() - settings.SESSION_ABSOLUTE_SECONDS - 1
    session.save()
    assert client.get("/api/regions/tree").status_code == 401


# --- lockout ------------------------------------------------------------------------------


def test_five_failures_from_elsewhere_do_not_lock_the_office_out(personas):
    username = personas["county"].username
    attacker, office = Client(), Client()
    for _ in range(6):
        _login(attacker, username, "wrong-password-1", ip="203.0.113.9")
    assert _login(attacker, username, ip="203.0.113.9").status_code == 429  # that address is locked
    resp = _login(office, username, ip="10.1.2.3")
    assert resp.status_code == 302 and "_auth_user_id" in office.session


def test_guessing_spread_over_many_addresses_is_stopped_but_known_addresses_sign_in(personas):
    username = personas["clerk"].username
    assert _login(Client(), username, ip="10.1.2.3").status_code == 302  # the office, known from now on
    for n in range(settings.LOGIN_ACCOUNT_FAILURE_LIMIT):
        _login(Client(), username, "wrong-password-1", ip=f"198.51.100.{n + 1}")
    stranger = _login(Client(), username, ip="192.0.2.77")  # right password, new address
    assert stranger.status_code == 200 and "多处登录失败" in stranger.content.decode()
    assert AuditEntry.objects.filter(action=Action.LOCKOUT, actor_username=username).exists()
    office = Client()
    assert _login(office, username, ip="10.1.2.3").status_code == 302 and "_auth_user_id" in office.session


def test_an_unlock_lifts_the_account_guard(client_for, personas):
    username = personas["clerk"].username
    for n in range(settings.LOGIN_ACCOUNT_FAILURE_LIMIT):
        _login(Client(), username, "wrong-password-1", ip=f"198.51.100.{n + 1}")
    assert _login(Client(), username, ip="192.0.2.77").status_code == 200
    client_for("county").post(reverse("accounts:user_unlock", args=[personas["clerk"].pk]))
    assert _login(Client(), username, ip="192.0.2.77").status_code == 302


def test_the_shell_unlock_lifts_the_lockout_and_is_audited(personas, monkeypatch):
    from django.core.management import call_command

    from pims.audit.models import AuditEntry

    username = personas["clerk"].username
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(Client(), username, "wrong-password-1", ip="198.51.100.9")
    assert _login(Client(), username, ip="198.51.100.9").status_code == 429

    monkeypatch.setenv("SSH_CONNECTION", "10.1.2.3 50000 10.1.2.1 22")
    call_command("unlock_user", username)

    assert _login(Client(), username, ip="198.51.100.9").status_code == 302
    entry = AuditEntry.objects.filter(object_id=str(personas["clerk"].pk), detail__op="unlock").latest("seq")
    assert entry.detail["attempts"] >= 1 and entry.ip == "10.1.2.3"


# --- API schema ---------------------------------------------------------------------------


def test_api_docs_and_schema_need_sign_in(client, client_for):
    for url in ("/api/docs", "/api/openapi.json"):
        resp = client.get(url)
        assert resp.status_code == 302 and resp["Location"].startswith(reverse("accounts:login")), url
    signed_in = client_for("operator")
    assert signed_in.get("/api/openapi.json").status_code == 200
    docs = signed_in.get("/api/docs").content.decode()
    assert "swagger-ui-bundle.js" in docs and "cdn" not in docs  # the vendored copy


# --- open redirect ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://evil.example/", "/events/status/"),
        ("//evil.example/", "/events/status/"),
        ("javascript:alert(1)", "/events/status/"),
        ("/registry/households/", "/registry/households/"),
    ],
)
def test_approve_redirects_only_within_the_site(client_for, given, expected):
    resp = client_for("reviewer").post(reverse("events:reports_approve"), {"next": given})
    assert resp.status_code == 302
    assert resp["Location"] == (reverse("events:village_status") if expected == "/events/status/" else expected)


@pytest.mark.django_db(transaction=True)
def test_the_vendored_api_docs_render_under_the_policy(browser_page):
    from pims.accounts.roles import Role
    from pims.testing.fixtures import build_tree, make_user

    make_user("operator_docs", Role.TOWNSHIP_OPERATOR, build_tree()["210124101000"])
    page = browser_page
    page.goto("/accounts/login/?next=/api/docs")
    page.fill("#id_username", "operator_docs")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/api/docs")
    page.wait_for_selector(".swagger-ui .info")  # drawn by the vendored bundle, no CDN


def test_no_view_follows_next_but_through_safe_next():
    root = Path(__file__).resolve().parents[1]
    offenders = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if "tests" not in p.parts
        and p.name != "http.py"
        and re.search(r"\.get\(\s*[\"']next[\"']", p.read_text("utf-8"))
    ]
    assert offenders == []
