"""The per-account guard against password guessing spread over many addresses.

django-axes locks a (username, address) pair after LOGIN_FAILURE_LIMIT
failures, so that nobody can lock an account out of its own office by
failing five times from elsewhere. That alone would let a guesser with many
addresses try LOGIN_FAILURE_LIMIT passwords per address. So: once an account
has had LOGIN_ACCOUNT_FAILURE_LIMIT failures within LOGIN_ACCOUNT_WINDOW
from anywhere, it signs in only from addresses it signed in from
successfully within LOGIN_KNOWN_ADDRESS_DAYS; other addresses are refused
before the password is even checked (so the refusal says nothing about it)
until the failures age out of the window. The counts come from axes' own
tables (AccessFailureLog, AccessLog); real time, as every security mechanism.
"""

import datetime as dt

from axes.models import AccessFailureLog, AccessLog
from django.conf import settings
from django.utils import timezone


def account_failures(username: str) -> int:
    since = timezone.now() - settings.LOGIN_ACCOUNT_WINDOW
    return int(AccessFailureLog.objects.filter(username=username, attempt_time__gte=since).count())


def known_address(username: str, ip: str | None) -> bool:
    if not ip:
        return False
    since = timezone.now() - dt.timedelta(days=settings.LOGIN_KNOWN_ADDRESS_DAYS)
    return bool(AccessLog.objects.filter(username=username, ip_address=ip, attempt_time__gte=since).exists())


def guarded(username: str, ip: str | None) -> bool:
    """True if a sign-in for `username` from `ip` must be refused now."""
    limit: int = settings.LOGIN_ACCOUNT_FAILURE_LIMIT
    return account_failures(username) >= limit and not known_address(username, ip)


def forget_failures(username: str) -> int:
    """An administrator's unlock lifts the guard too (the audit log keeps
    every failure); returns the rows removed."""
    removed, _ = AccessFailureLog.objects.filter(username=username).delete()
    return int(removed)
