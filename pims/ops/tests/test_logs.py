"""Log lines carry the request id and user id, and never personal data."""

import datetime as dt
import json
import logging

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from pims.lib.citizen_id import make_citizen_id
from pims.ops.logs import JsonFormatter, RequestContextFilter
from pims.ops.middleware import RequestContextMiddleware
from pims.testing.logscan import personal_numbers


class Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []
        self.addFilter(RequestContextFilter())
        self.setFormatter(JsonFormatter())

    def emit(self, record):
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def collected():
    handler = Collect()
    logger = logging.getLogger("pims.test")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler.lines
    logger.removeHandler(handler)


def test_a_log_line_in_a_request_carries_its_request_id(collected):
    def view(request):
        logging.getLogger("pims.test").warning("import job %s failed", 17)
        return HttpResponse()

    response = RequestContextMiddleware(view)(RequestFactory().get("/x"))

    (line,) = collected
    assert line["request_id"] == response["X-Request-ID"]
    assert line["message"] == "import job 17 failed"
    assert set(line) >= {"time", "level", "logger", "user_id"}


def test_extras_such_as_the_request_never_reach_the_log(collected):
    number = make_citizen_id("210124", dt.date(1990, 1, 1), 123, "1")
    request = RequestFactory().get("/search/", {"q": number})
    logging.getLogger("pims.test").error("Not Found: %s", request.path, extra={"request": request, "status_code": 404})

    (line,) = collected
    assert number not in json.dumps(line) and "request" not in line
    assert line["status_code"] == 404


def test_the_run_log_scan_recognises_id_and_mobile_numbers():
    number = "11010519491231002X"
    assert personal_numbers(f'{{"message": "person {number} saved"}}') == [number]
    assert personal_numbers("call 13812345678 now") == ["13812345678"]
    assert personal_numbers("request_id a13812345678f0 and 110105194912310021") == []  # not a valid check digit
