"""Structured logs: what each line is part of, in web requests and in the Celery tasks they cause.

Why python-json-logger and a few context variables rather than django-structlog: the code logs
through the standard library's ``logging`` everywhere (Django, Celery, the apps), and all this
adds is three fields to every line: a formatter and a filter do that without a second logging
API to learn, and the context travels into tasks in two Celery signals.

- ``request_id``: the caller's ``X-Request-ID`` (when it is a sensible token) or a new one, set
  for the request, sent back in the response's ``X-Request-ID`` and carried in the headers of
  every task the request (or a task it caused) sends, so a task's lines carry it too.
- ``case``: the reference of the case a page or API endpoint is about (its ``reference`` URL
  argument), carried into the tasks it sends the same way; a task that takes a ``case_id``
  argument logs that as ``case_id``.
- ``task`` and ``task_id``: the Celery task a line was written by.

A task that fails says what happens next: retried, with the attempt and when, or given up.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import datetime, timedelta
from inspect import signature
from typing import Any

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone
from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
# A caller's id is kept when it is a plain token (a UUID, a proxy's hex id); anything else,
# or anything longer, would let a client write what it likes into every log line.
REQUEST_ID_SHAPE = re.compile(r"[A-Za-z0-9._-]{8,64}")
TASK_HEADER_REQUEST = "escalation_request_id"
TASK_HEADER_CASE = "escalation_case"

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
case_var: ContextVar[str | None] = ContextVar("case", default=None)
case_id_var: ContextVar[int | None] = ContextVar("case_id", default=None)
task_var: ContextVar[tuple[str, str] | None] = ContextVar("task", default=None)

CONTEXT_FIELDS = ("request_id", "case", "case_id", "task", "task_id")


def log_context() -> dict[str, Any]:
    """The context of the current line: only the fields that are set."""
    task = task_var.get()
    fields = {
        "request_id": request_id_var.get(),
        "case": case_var.get(),
        "case_id": case_id_var.get(),
        "task": task[0] if task else None,
        "task_id": task[1] if task else None,
    }
    return {name: value for name, value in fields.items() if value is not None}


@contextmanager
def case_logged(reference: str) -> Iterator[None]:
    """Every line written inside is about the case ``reference``."""
    token = case_var.set(reference)
    try:
        yield
    finally:
        case_var.reset(token)


class ContextFilter(logging.Filter):
    """Puts the context fields on each record (the handler's filter: every logger's lines)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in log_context().items():
            setattr(record, name, value)
        return True


class PlainFormatter(logging.Formatter):
    """One line: time, level, logger, message, then the context that is set, in brackets."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = [
            f"{name}={getattr(record, name)}" for name in CONTEXT_FIELDS if hasattr(record, name)
        ]
        if not context:
            return line
        first, newline, rest = line.partition("\n")
        return f"{first} [{' '.join(context)}]{newline}{rest}"


class JsonFormatter(BaseJsonFormatter):
    """One JSON object a line: time, level, logger, message, the context fields that are set,
    any ``extra`` the call passed, and the exception's traceback when there is one."""

    def __init__(self) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            # ISO 8601 in UTC (2026-12-02T15:04:05.123456+00:00), whatever TIME_ZONE is.
            timestamp="time",
        )


def request_context_clear(**_: Any) -> None:
    """``request_finished``: the thread's next lines are not part of the request any more."""
    request_id_var.set(None)
    case_var.set(None)


class RequestContextMiddleware:
    """First of the middleware: the request's id (and, once the URL is resolved, its case) for
    every line logged while it is answered. Cleared when the response is finished rather than
    when this returns: Django writes its line about a 4xx answer ("Not Found: ...") after the
    middleware, and that line belongs to the request too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        request_finished.connect(request_context_clear, dispatch_uid="escalation.logs")

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        sent = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = sent if REQUEST_ID_SHAPE.fullmatch(sent) else uuid.uuid4().hex
        request_id_var.set(request_id)
        case_var.set(None)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        # The case pages and the case API take the case's reference in the URL.
        reference = view_kwargs.get("reference")
        if isinstance(reference, str):
            case_var.set(reference)


# --- Celery (connected in escalation.celery) --------------------------------------------------

_task_tokens: dict[str, list[Token[Any]]] = {}


def task_headers_add(headers: dict[str, Any]) -> None:
    """``before_task_publish``: the sender's request id and case go with the task."""
    request_id, case = request_id_var.get(), case_var.get()
    if request_id is not None:
        headers[TASK_HEADER_REQUEST] = request_id
    if case is not None:
        headers[TASK_HEADER_CASE] = case


def _case_id_argument(run: Callable[..., Any], args: Any, kwargs: Any) -> int | None:
    try:
        bound = signature(run).bind_partial(*(args or ()), **(kwargs or {}))
    except (TypeError, ValueError):
        return None
    value = bound.arguments.get("case_id")
    return value if isinstance(value, int) else None


def task_context_enter(*, task: Any, task_id: str, args: Any, kwargs: Any) -> None:
    """``task_prerun``: the task's lines carry its name and id, and the request id and case of
    whatever sent it."""
    request = task.request
    _task_tokens[task_id] = [
        task_var.set((task.name, task_id)),
        # A task run in the caller's process (eager, apply()) has no headers: the caller's.
        request_id_var.set(getattr(request, TASK_HEADER_REQUEST, None) or request_id_var.get()),
        case_var.set(getattr(request, TASK_HEADER_CASE, None) or case_var.get()),
        case_id_var.set(_case_id_argument(task.run, args, kwargs)),
    ]


def task_context_exit(*, task_id: str) -> None:
    """``task_postrun``: back to the worker's own context."""
    tokens = _task_tokens.pop(task_id, None)
    if tokens is None:
        return
    task_token, request_token, case_token, case_id_token = tokens
    case_id_var.reset(case_id_token)
    case_var.reset(case_token)
    request_id_var.reset(request_token)
    task_var.reset(task_token)


def retry_moment(when: Any, *, now: datetime) -> datetime | None:
    """When a retry runs, from ``Retry.when``: a countdown in seconds or a moment."""
    if isinstance(when, datetime):
        return when
    if isinstance(when, int | float):
        return now + timedelta(seconds=when)
    return None


def task_retry_log(*, task: Any, request: Any, reason: Any) -> None:
    """``task_retry``: the failure, and when the task runs again (and which attempt that is)."""
    moment = retry_moment(getattr(reason, "when", None), now=timezone.now())
    failure = getattr(reason, "exc", None) or reason
    attempt = (getattr(request, "retries", 0) or 0) + 1
    limit = task.max_retries
    logger.warning(
        "Task %s failed (%s); retry %d of %s at %s",
        task.name,
        _describe(failure),
        attempt,
        "unlimited" if limit is None else limit,
        moment.isoformat() if moment else "once the broker redelivers it",
        extra={"next": "retry", "retry_at": moment.isoformat() if moment else None},
    )


def task_failure_log(*, task: Any, exception: BaseException) -> None:
    """``task_failure``: the task failed for good, and will not run again by itself."""
    retries = getattr(task.request, "retries", 0) or 0
    logger.error(
        "Task %s failed (%s); given up after %d %s, it will not run again",
        task.name,
        _describe(exception),
        retries + 1,
        "attempt" if retries == 0 else "attempts",
        extra={"next": "given up"},
        # The failure itself, so error tracking reports this line and the task's failure once.
        exc_info=exception,
    )


def _describe(failure: Any) -> str:
    return f"{type(failure).__name__}: {failure}"
