"""Asserting refusals by their message constant, not their wording."""

from contextlib import contextmanager

import pytest


@contextmanager
def refused(kind, message):
    """The block raises `kind` with the message constant `message`
    (``exc.template is message``): a changed wording breaks no test, and a
    refusal for another reason does not pass."""
    with pytest.raises(kind) as info:
        yield info
    assert info.value.template is message, f"refused with {info.value.template!r}, expected {message!r}"
