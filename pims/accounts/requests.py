"""Request and user types for the type checker (STYLE.md: a typed request).

A view behind ``login_required`` takes an :class:`AuthedRequest`, whose
``user`` is a signed-in account; an API operation (django-ninja, which puts
the authenticated account on ``request.auth``) takes an :class:`ApiRequest`.
Code that may see anyone (the jurisdiction rule, capability checks) takes an
:data:`AnyUser`. Runtime objects are ordinary Django requests and users.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from .models import User

AnyUser = User | AnonymousUser


class AuthedRequest(HttpRequest):
    user: User


class ApiRequest(HttpRequest):
    auth: User
