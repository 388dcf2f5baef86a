"""What every log line carries: the id of the request it was written in.

``REQUEST_ID`` is set by shelfmark.observability's middleware for the time a request runs (a
context variable: each gunicorn worker thread, each test client call its own), and
``RequestIdFilter`` copies it onto every record the handlers write, so one request's lines can
be found together, with its response's X-Request-ID header. Lines written outside a request
(the worker, commands, start-up) carry "-".

Production logs are JSON, one object a line (python-json-logger), for the log collectors a
school's IT runs; local mode keeps plain text for people (LOG_FORMAT says which).

This module imports nothing of Django: the logging configuration loads it with the settings.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="-")

PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
# The fields every JSON line has; python-json-logger adds a record's ``extra`` fields after them
# (shelfmark.requests' method, path, status…).
JSON_FIELDS = ("asctime", "levelname", "name", "request_id", "message")


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on each record (``request_id``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


def logging_config(*, log_format: str, level: str) -> dict[str, object]:
    """The LOGGING setting: every record to the console, as JSON or plain text, with its
    request's id."""
    formatters: dict[str, dict[str, object]] = {
        "plain": {"format": PLAIN_FORMAT},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "timestamp": False,
        },
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": formatters,
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        # django-axes says INFO at every process start (manage.py commands too, into output that
        # scripts read) and at each sign-in; its warnings, one per failed sign-in, stay, and so
        # do the lockouts on shelfmark.logins.
        # pymarc warns once per damaged field it meets; the import's report already lists each
        # one against its record (interchange/marc/damage.py), so the log keeps only its errors.
        # django.server (runserver's own line per request) says what shelfmark.requests says.
        "loggers": {
            "axes": {"level": "WARNING"},
            "pymarc": {"level": "ERROR"},
            "django.server": {"level": "WARNING"},
        },
    }
