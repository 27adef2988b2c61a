class EventError(Exception):
    """A domain error with a message fit for the user."""


class StateError(EventError):
    pass


class PermissionDenied(EventError):
    pass


class EventRefused(EventError):
    """One or more events break a rule; nothing was changed. `problems` maps
    each refused event to its messages, each naming the record, the field
    and the rule."""

    def __init__(self, problems: list[tuple[object, list[str]]]):
        self.problems = problems
        super().__init__("；".join(m for _, messages in problems for m in messages))

    @property
    def messages(self) -> list[str]:
        return [m for _, messages in self.problems for m in messages]
