"""Is a process still there? (The worker heartbeat's check on its own host.)"""

import os
from pathlib import Path


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/PID/stat after the command name (which may hold spaces), or None."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def start_ticks(pid: int | None = None) -> int:
    """The process's start time in clock ticks since boot (Linux); 0 elsewhere."""
    fields = _stat_fields(pid or os.getpid())
    return int(fields[19]) if fields and len(fields) > 19 else 0


def process_alive(pid: int, started: int = 0) -> bool:
    """True while process `pid` runs and (when `started` is known) is the
    same process that started then — not a later one given a recycled pid.
    A zombie (killed, not yet reaped by its parent) is gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    fields = _stat_fields(pid)
    if fields is None:
        return os.name != "posix" or not Path("/proc/self/stat").exists()
    if fields[0] in ("Z", "X"):
        return False
    return not started or int(fields[19]) == started
