"""Structured logs: every record carries the request id (and the user and unit when known).

The request id is taken from the proxy's ``X-Request-ID`` or made here (``RequestIdMiddleware``),
kept in a context variable for the life of the request, sent along in the headers of every Celery
task the request starts and set again in the worker while that task runs (``mttq_platform.celery``),
so that one id finds a request and all the background work it caused. ``LOG_FORMAT=json`` writes
one JSON object a line (the default when ``DJANGO_ENV=production``); otherwise plain text.
"""
from __future__ import annotations

import contextvars
import logging
import re
import uuid
from dataclasses import dataclass
from typing import Any

from celery import current_task
from django.utils.functional import empty
from pythonjsonlogger.json import JsonFormatter

# The Celery message header that carries the request id to the worker.
TASK_HEADER = "x_request_id"

# What a proxy may hand us: short, printable, no spaces; it is written into logs and audit rows
# (AuditLog.request_id holds 64 characters).
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id_text)s] %(message)s"
JSON_FIELDS = ("asctime", "levelname", "name", "message", "request_id", "user_id", "unit", "task_id", "task_name")


@dataclass
class LogContext:
    request_id: str
    request: Any = None  # the HttpRequest, read for the user only once authentication resolved it
    unit: str | None = None  # the unit code of a /u/<code>/ page


_context: contextvars.ContextVar[LogContext | None] = contextvars.ContextVar("mttq_log_context", default=None)


def current_request_id() -> str | None:
    context = _context.get()
    return context.request_id if context else None


def sane_request_id(candidate: str | None) -> str:
    """The proxy's id when it is sane, else a new one."""
    if candidate and _SANE_REQUEST_ID.match(candidate):
        return candidate
    return uuid.uuid4().hex


def bind(request_id: str, request=None) -> contextvars.Token:
    return _context.set(LogContext(request_id=request_id, request=request))


def unbind(token: contextvars.Token) -> None:
    _context.reset(token)


def clear(**kwargs) -> None:
    """Forget the request (a signal receiver: request_finished)."""
    _context.set(None)


def set_unit(unit_code: str | None) -> None:
    context = _context.get()
    if context is not None:
        context.unit = unit_code


def _user_id(request) -> int | None:
    # request.user is lazy; logging must never be what loads it (a query from inside a log call,
    # and no database at all for /health/), so read it only when something else already did.
    user = request.__dict__.get("user") if request is not None else None
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is None or wrapped is empty or not getattr(wrapped, "is_authenticated", False):
        return None
    return wrapped.pk


class RequestContextFilter(logging.Filter):
    """Adds request_id, user_id, unit, task_id and task_name to every record (None when unknown)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get()
        record.request_id = context.request_id if context else None
        record.user_id = _user_id(context.request) if context else None
        record.unit = context.unit if context else None
        task = _current_task()
        record.task_id = task.request.id if task is not None else None
        record.task_name = task.name if task is not None else None
        return True


class TextFormatter(logging.Formatter):
    """Readable lines for development: "-" where a record has no request id."""

    def format(self, record: logging.LogRecord) -> str:
        record.request_id_text = getattr(record, "request_id", None) or "-"
        return super().format(record)


def _current_task():
    task = current_task._get_current_object()
    return task if task is not None and task.request.id else None


def json_formatter() -> logging.Formatter:
    return JsonFormatter(list(JSON_FIELDS))


def logging_config(log_format: str, level: str) -> dict:
    """The LOGGING setting: one console handler, JSON or text, with the request context filter."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_context": {"()": RequestContextFilter}},
        "formatters": {
            "json": {"()": json_formatter},
            "text": {"()": TextFormatter, "fmt": TEXT_FORMAT},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json" if log_format == "json" else "text",
                "filters": ["request_context"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"pgserver": {"level": "WARNING"}},
    }
