"""Where a page may send the user back to."""

from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, default: str, *, field: str = "next") -> str:
    """The `next` the request carries (POST, then GET) if it is a path on
    this site, else `default` (a URL name or path). Any other value — another
    host, a scheme-relative //host, javascript: — is ignored: no open redirect."""
    target: str | None = request.POST.get(field) or request.GET.get(field)
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(default)
