"""Errors of the task queue."""

from pims.lib.errors import Refused


class JobRefused(Refused):
    """Raised by a job's function when no retry can cure the failure (the
    file is gone, the user may no longer do this): the job fails at once,
    with the message shown on the page."""


class WorkerStopping(KeyboardInterrupt):
    """Raised inside a running job when its worker is told to stop (SIGTERM,
    Ctrl-C): the job goes back to the queue and the next worker continues
    it. A KeyboardInterrupt, as Ctrl-C is: the job's own `except Exception`
    blocks let it through, and psycopg cancels a query it interrupts (the
    connection stays usable for putting the job back)."""
