"""Every audited action records the client's address; every response carries a request id."""

import ipaddress

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from pims.audit.models import Action, AuditEntry
from pims.audit.services import audit_record
from pims.ops.middleware import RequestContextMiddleware

pytestmark = pytest.mark.django_db


def _audited_view(request):
    audit_record(actor=None, username="tester", action=Action.CREATE, obj=("accounts.user", 1))
    return HttpResponse("ok")


def test_an_audited_action_in_a_request_records_the_client_behind_the_proxy(settings):
    settings.TRUSTED_PROXIES = (ipaddress.ip_network("127.0.0.1/32"),)
    request = RequestFactory().post("/x", REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="10.20.30.40")

    response = RequestContextMiddleware(_audited_view)(request)

    assert AuditEntry.objects.order_by("-seq").first().ip == "10.20.30.40"
    assert len(response["X-Request-ID"]) == 32


def test_a_proxy_request_id_is_kept_only_from_a_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = (ipaddress.ip_network("127.0.0.1/32"),)
    middleware = RequestContextMiddleware(lambda r: HttpResponse())
    trusted = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_REQUEST_ID="abcdef0123456789")
    outsider = RequestFactory().get("/", REMOTE_ADDR="10.9.9.9", HTTP_X_REQUEST_ID="abcdef0123456789")
    assert middleware(trusted)["X-Request-ID"] == "abcdef0123456789"
    assert middleware(outsider)["X-Request-ID"] != "abcdef0123456789"


def test_a_management_command_records_the_ssh_client(monkeypatch):
    from django.core.management import call_command

    monkeypatch.setenv("SSH_CONNECTION", "10.1.1.7 52100 10.1.1.1 22")
    call_command("rotate_keys", verbosity=0)
    assert AuditEntry.objects.order_by("-seq").first().ip == "10.1.1.7"


def test_axes_sees_the_client_not_the_proxy(settings):
    from axes.helpers import get_client_ip_address

    settings.TRUSTED_PROXIES = (ipaddress.ip_network("127.0.0.1/32"),)
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="10.20.30.41")
    assert get_client_ip_address(request) == "10.20.30.41"
