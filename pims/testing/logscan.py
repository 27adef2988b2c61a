"""Every test run's logs are checked for personal data (issue 22.7).

The plugin writes everything logged at INFO and above during the run —
through the product's own JSON formatter — to a file, and at the end greps
it for citizen ID numbers (with a valid GB 11643 check digit) and mobile
numbers. The tests handle hundreds of such numbers; none may reach a log.
A hit fails the run and prints the lines, masked.
"""

import logging
import os
import re
import tempfile

import pytest

ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")

_state: dict = {}


def personal_numbers(text: str) -> list[str]:
    from pims.lib import citizen_id

    found = []
    for match in ID_NUMBER.finditer(text):
        try:
            citizen_id.parse(match.group())
        except citizen_id.CitizenIdError:
            continue
        found.append(match.group())
    return found + MOBILE.findall(text)


def pytest_configure(config):
    from pims.ops.logs import JsonFormatter, RequestContextFilter

    fd, path = tempfile.mkstemp(prefix="pims-test-log-", suffix=".jsonl")
    os.close(fd)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.INFO)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    for name in ("", "django"):
        logging.getLogger(name).addHandler(handler)
    _state.update(path=path, handler=handler)


def pytest_sessionfinish(session, exitstatus):
    handler = _state.get("handler")
    if handler is None:
        return
    handler.flush()
    leaks = []
    with open(_state["path"], encoding="utf-8") as log:
        for number, line in enumerate(log, start=1):
            hits = personal_numbers(line)
            if hits:
                masked = line
                for hit in hits:
                    masked = masked.replace(hit, hit[:3] + "*" * (len(hit) - 5) + hit[-2:])
                leaks.append(f"  line {number}: {masked.strip()[:300]}")
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if leaks:
        if reporter:
            reporter.write_line(f"personal data in the logs of this run ({_state['path']}):", red=True)
            for leak in leaks[:20]:
                reporter.write_line(leak)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    elif reporter and os.environ.get("PIMS_LOGSCAN_VERBOSE"):
        reporter.write_line(f"logs of this run checked for ID and phone numbers: none ({_state['path']})")
