"""The pages' one mapping of domain errors to responses (see pims.lib.errors).

- ``NotFound`` anywhere in a page → the 404 page (as ``Http404``);
- an action that redirects either way wraps its service call in
  `refusals_as_messages`: a refusal becomes error messages on the next page;
- a form page catches ``Refused`` to show `exc.messages` beside the kept
  input, answering `exc.status`;
- any refusal that reaches the middleware → the refusal page with its
  messages and status (409, 422 …), never a server error;
- ``Failure`` passes on: a server error, logged by Django.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib import messages
from django.http import Http404
from django.shortcuts import render

from pims.lib.errors import NotFound, Refused


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, NotFound):
            raise Http404 from exception
        if isinstance(exception, Refused):
            return render(request, "web/refused.html", {"refusal": exception}, status=exception.status)
        return None


@contextmanager
def refusals_as_messages(request) -> Iterator[None]:
    """Run an action's service call; a refusal becomes error messages (the
    rest of the block is skipped), a NotFound still answers 404."""
    try:
        yield
    except Refused as exc:
        for m in exc.messages:
            messages.error(request, m)
