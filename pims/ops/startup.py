"""What every long-running process checks before it serves: the web
application (config/wsgi.py, also used by runserver) and the queue worker."""

import sys

from django.core.exceptions import ImproperlyConfigured

from .keys import KeyMismatch, check_keys_against_data


def verify_startup(using: str = "default") -> None:
    """Raise ImproperlyConfigured (the process does not start) when the
    configured keys do not fit the database's data."""
    try:
        check_keys_against_data(using)
    except KeyMismatch as exc:
        print(f"pims: refusing to start: {exc}", file=sys.stderr)
        raise ImproperlyConfigured(str(exc)) from None
