"""Structured logs: one JSON object per line, with the request's id and the
user's id, and nothing personal.

Fields: time (UTC, ISO 8601), level, logger, message, request_id, user_id and,
when there is one, the exception. Only these fields are written — never the
record's extras, because Django attaches the whole request to its error
records (its repr holds the query string, where a search for an ID number
would put the number). Messages of the project name records by type and id.
"""

import datetime as dt
import logging

from django.views.debug import SafeExceptionReporterFilter
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from pims.lib import request_context

FIELDS = ("time", "level", "logger", "message", "request_id", "user_id", "status_code", "exc_info")


class RequestContextFilter(logging.Filter):
    """Stamp each record with the current request's id and user id (None outside a request)."""

    def filter(self, record):
        context = request_context.current()
        record.request_id = context.request_id if context else None
        record.user_id = context.user_id if context else None
        return True


class JsonFormatter(_JsonFormatter):
    def add_fields(self, log_record, record, message_dict):
        log_record["time"] = dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds")
        log_record["level"] = record.levelname
        log_record["logger"] = record.name
        log_record["message"] = record.getMessage()
        log_record["request_id"] = getattr(record, "request_id", None)
        log_record["user_id"] = getattr(record, "user_id", None)
        status = getattr(record, "status_code", None)
        if status is not None:
            log_record["status_code"] = status
        if message_dict.get("exc_info"):
            log_record["exc_info"] = message_dict["exc_info"]


class NoPersonalDataReporterFilter(SafeExceptionReporterFilter):
    """Error e-mails to ADMINS (and the error page, were DEBUG ever on) show
    no request parameters and no local variables: either may hold names and
    ID numbers. The traceback's file and line numbers remain."""

    def get_post_parameters(self, request):
        return dict.fromkeys(request.POST if request is not None else {}, self.cleansed_substitute)

    def get_traceback_frame_variables(self, request, tb_frame):
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]

    def get_safe_request_meta(self, request):
        meta = super().get_safe_request_meta(request)
        meta["QUERY_STRING"] = self.cleansed_substitute
        return meta
