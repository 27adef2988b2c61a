"""The one root of the product's errors and the few kinds every app raises.

Services raise these; exactly one place turns them into answers: the API's
exception handler (`pims.api.errors`) and the pages' middleware
(`pims.web.errors`). No view or endpoint maps an error to a status by hand.

    PimsError                 root; never raised itself
    ├── NotFound      404     missing, outside the user's region, or not the
    │   └── NotPermitted      user's to act on — the answer never says which
    ├── Refused       400     the user may read why; nothing was changed
    │   ├── Conflict  409     wrong state, stale version, duplicate
    │   ├── Invalid   422     input breaks a rule; `problems` name record,
    │   │                     field and rule
    │   └── Unavailable 503   a file or service the operation needs is missing
    └── Failure       500     a fault of the system (keys, configuration),
                              answered as a server error and logged

Django is used only for lazy translation of the few messages defined here.

An app subclasses a kind to name its errors (``EventRefused(Invalid)``) or to
carry data, never to start a new root. Messages are constants in the app's
``errors`` module, with ``%(name)s`` placeholders filled from keyword
arguments, so that tests assert the constant (``exc.template is X``) and a
changed wording breaks no test:

    raise Conflict(errors.REPORT_PERIOD_TAKEN, region=region.name, period=period)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise


class PimsError(Exception):
    """The root of every error the product raises on purpose."""

    status: ClassVar[int] = 400
    default_message: ClassVar[StrOrPromise] = ""

    def __init__(self, message: Any = "", /, *, code: str = "", **params: Any):
        self.template = message or self.default_message
        self.params = params
        self.code = code
        super().__init__(self.template)

    @property
    def message(self) -> str:
        text = str(self.template)
        return text % self.params if self.params else text

    @property
    def messages(self) -> list[str]:
        """Every message for the user (several for an `Invalid` with problems)."""
        return [self.message] if self.message else []

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Picklable whatever a subclass's __init__ takes (errors cross worker processes).
        return _restore, (type(self), self.__dict__.copy())


def _restore(cls: type[PimsError], state: dict[str, Any]) -> PimsError:
    exc = cls.__new__(cls)
    Exception.__init__(exc, state.get("template", ""))
    exc.__dict__.update(state)
    return exc


class NotFound(PimsError):
    """Missing, outside the user's region, or not the user's to act on: every
    answer is the same 404, so a record's existence never leaks. The message
    is for logs and commands, never shown to the user."""

    status = 404


class NotPermitted(NotFound):
    """The actor's role or region does not allow this action (answered as 404)."""


class Refused(PimsError):
    """A refusal the user may read: nothing was changed."""


class Conflict(Refused):
    """The record is in the wrong state for this, or changed meanwhile."""

    status = 409


@dataclass(frozen=True)
class Problem:
    """One broken rule: which record, which field, which rule, and the message.
    `details` carry what a path adds (the form's row, the severity, an event's id)."""

    message: StrOrPromise  # a message constant (lazy) or a formatted text
    rule: str = ""
    field: str = ""
    record: str = ""
    details: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"record": self.record, "field": self.field, "rule": self.rule, "message": str(self.message)} | dict(
            self.details
        )


class Invalid(Refused):
    """The input breaks one or more rules. The message is the summary; the
    problems name record, field and rule. `extra` adds members to the API's
    answer (a path's older names for the same list)."""

    status = 422

    def __init__(
        self,
        message: Any = "",
        /,
        *,
        problems: Iterable[Problem] = (),
        code: str = "",
        extra: Mapping[str, Any] | None = None,
        **params: Any,
    ):
        super().__init__(message, code=code, **params)
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.extra = dict(extra or {})

    @property
    def messages(self) -> list[str]:
        return [str(p.message) for p in self.problems] or super().messages

    def __str__(self) -> str:
        """Every problem's message (the summary `message` when there are none)."""
        return "；".join(self.messages)

    def body(self) -> dict[str, Any]:
        problems = self.problems or (Problem(message=self.message, rule=self.code),)
        return {"detail": self.message, "problems": [p.as_dict() for p in problems], **self.extra}


FILE_LINE = _("%(file)s 第 %(line)s 行")
FILE_PROBLEM = "%(where)s：%(problem)s"


class FileRefused(Invalid):
    """A problem in a file (a code table, a region list …): names the file
    and the line; `str()` is "<file> 第 <line> 行：<problem>"."""

    def __init__(self, file: str, line: int | None, problem: Any):
        self.file, self.line, self.problem = file, line, problem
        where = str(FILE_LINE % {"file": file, "line": line}) if line else file
        text = FILE_PROBLEM % {"where": where, "problem": problem}
        super().__init__(FILE_PROBLEM, problems=[Problem(message=text, record=where)], where=where, problem=problem)


class Unavailable(Refused):
    """Something the operation needs is not there (a file removed, a tool missing)."""

    status = 503


class Failure(PimsError):
    """A fault of the system, not of the request (a wrong key, a broken
    configuration): answered as a server error and logged."""

    status = 500
