"""What the current request is, for the log and the audit trail.

A context variable per request (set by pims.ops.middleware.RequestContextMiddleware):
its id (also sent back as X-Request-ID and written into every log line), the
signed-in user's id, and the client address (the one the audit log records).
Outside a request everything is None. Framework-free.
"""

from contextvars import ContextVar, Token
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    client_ip: str | None = None
    user_id: int | None = None


_current: ContextVar[RequestContext | None] = ContextVar("pims_request", default=None)


def current() -> RequestContext | None:
    return _current.get()


def begin(context: RequestContext) -> Token[RequestContext | None]:
    return _current.set(context)


def end(token: Token[RequestContext | None]) -> None:
    _current.reset(token)
