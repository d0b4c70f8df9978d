"""Structured logs (escalation.logs): JSON lines with the request id, the case and the task."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from escalation import logs
from escalation.celery import app as celery_app
from tests.conftest import client_for

logger = logging.getLogger("tests.escalation.test_logs")


@pytest.fixture(autouse=True)
def _no_context_left() -> Iterator[None]:
    """The middleware is run here without a finished response: clear what it set."""
    yield
    logs.request_context_clear()


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """What the root logger writes through the settings' JSON formatter and context filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.ContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def written(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_a_line_is_one_json_object_with_time_level_logger_and_message(lines) -> None:  # type: ignore[no-untyped-def]
    logger.warning("Mail server %s refused", "smtp.example.com", extra={"attempt": 3})
    (line,) = written(lines)
    assert line["level"] == "WARNING"
    assert line["logger"] == "tests.escalation.test_logs"
    assert line["message"] == "Mail server smtp.example.com refused"
    assert line["attempt"] == 3
    assert line["time"].endswith("+00:00") and "T" in line["time"]
    # Outside a request or a task, no context field is made up.
    assert not {"request_id", "case", "task"} & line.keys()


def test_an_exception_is_written_with_its_traceback_in_the_same_object(lines) -> None:  # type: ignore[no-untyped-def]
    try:
        raise ValueError("bad header")
    except ValueError:
        logger.exception("Parsing failed")
    (line,) = written(lines)
    assert "ValueError: bad header" in line["exc_info"]


def test_the_plain_format_appends_the_context_in_brackets() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "Hello", None, None)
    with logs.case_logged("ESC-000042"):
        logs.ContextFilter().filter(record)
    assert logs.PlainFormatter().format(record).endswith("INFO x Hello [case=ESC-000042]")


def middleware_run(request: HttpRequest, *, reference: str | None = None) -> HttpResponse:
    def view(request: HttpRequest) -> HttpResponse:
        logger.info("Looking at the case")
        return HttpResponse("ok")

    middleware = logs.RequestContextMiddleware(lambda r: view(r))
    if reference is not None:
        # The URL resolver calls process_view before the view, with the URL's arguments.
        def view_with_case(request: HttpRequest) -> HttpResponse:
            middleware.process_view(request, view, (), {"reference": reference})
            return view(request)

        middleware = logs.RequestContextMiddleware(view_with_case)
    response = middleware(request)
    assert isinstance(response, HttpResponse)
    return response


@pytest.mark.django_db  # request_finished closes old database connections
def test_every_line_of_a_request_carries_its_new_request_id_which_the_response_returns(
    lines,
) -> None:  # type: ignore[no-untyped-def]
    response = middleware_run(RequestFactory().get("/cases/"))
    (line,) = written(lines)
    assert len(line["request_id"]) == 32
    assert response["X-Request-ID"] == line["request_id"]
    # Cleared when the response is finished: the thread's next lines are not part of it.
    request_finished.send(sender=None)
    logger.info("Afterwards")
    assert "request_id" not in written(lines)[-1]


def test_a_callers_request_id_is_kept_and_a_strange_one_replaced(lines) -> None:  # type: ignore[no-untyped-def]
    kept = middleware_run(RequestFactory().get("/", headers={"X-Request-ID": "lb-4f2a9c1e77"}))
    assert kept["X-Request-ID"] == "lb-4f2a9c1e77"
    odd = middleware_run(RequestFactory().get("/", headers={"X-Request-ID": "a b\n{injected}"}))
    assert odd["X-Request-ID"] != "a b\n{injected}"
    assert [line["request_id"] for line in written(lines)] == [
        "lb-4f2a9c1e77",
        odd["X-Request-ID"],
    ]


def test_the_lines_of_a_case_page_carry_the_case_reference(lines) -> None:  # type: ignore[no-untyped-def]
    middleware_run(RequestFactory().get("/cases/ESC-000042/"), reference="ESC-000042")
    (line,) = written(lines)
    assert line["case"] == "ESC-000042"


@pytest.mark.django_db
def test_a_real_case_page_that_is_not_found_logs_it_with_the_reference_and_request_id(
    lines, alice
) -> None:  # type: ignore[no-untyped-def]
    response = client_for(alice).get("/cases/ESC-999999/", headers={"X-Request-ID": "req-12345678"})
    assert response.status_code == 404
    not_found = [line for line in written(lines) if line["logger"] == "django.request"]
    assert not_found and not_found[0]["case"] == "ESC-999999"
    assert not_found[0]["request_id"] == "req-12345678"


@pytest.mark.django_db
def test_the_real_middleware_chain_sends_the_request_id_back() -> None:
    response = Client().get("/healthz", headers={"X-Request-ID": "probe-00000001"})
    assert response["X-Request-ID"] == "probe-00000001"


# --- Celery -----------------------------------------------------------------------------------


def test_a_task_sent_during_a_request_carries_its_request_id_and_case() -> None:
    headers: dict[str, Any] = {}
    request_token = logs.request_id_var.set("req-abcdef12")
    try:
        with logs.case_logged("ESC-000007"):
            logs.task_headers_add(headers)
    finally:
        logs.request_id_var.reset(request_token)
    assert headers == {"escalation_request_id": "req-abcdef12", "escalation_case": "ESC-000007"}
    empty: dict[str, Any] = {}
    logs.task_headers_add(empty)
    assert empty == {}


@celery_app.task(name="tests.escalation.test_logs.scoring", bind=True)
def scoring(self: Any, case_id: int) -> str:
    logger.info("Scoring")
    return "done"


@celery_app.task(name="tests.escalation.test_logs.flaky", bind=True, max_retries=2)
def flaky(self: Any) -> None:
    raise self.retry(exc=ConnectionError("mail server down"), countdown=30)


def test_a_task_logs_its_name_id_and_the_case_id_it_takes(lines) -> None:  # type: ignore[no-untyped-def]
    scoring.apply(args=[42], task_id="task-0001")
    line = next(line for line in written(lines) if line["message"] == "Scoring")
    assert (line["task"], line["task_id"], line["case_id"]) == (
        "tests.escalation.test_logs.scoring",
        "task-0001",
        42,
    )
    logger.info("Afterwards")
    assert "task" not in written(lines)[-1]


def test_a_failing_task_says_when_it_is_retried_and_when_it_is_given_up(lines) -> None:  # type: ignore[no-untyped-def]
    result = flaky.apply()
    assert result.failed()
    said = [line for line in written(lines) if line["logger"] == "escalation.logs"]
    retries = [line for line in said if line.get("next") == "retry"]
    assert [line["message"].split(";")[1].split(" at ")[0].strip() for line in retries] == [
        "retry 1 of 2",
        "retry 2 of 2",
    ]
    assert all(line["retry_at"] and "ConnectionError" in line["message"] for line in retries)
    (given_up,) = [line for line in said if line.get("next") == "given up"]
    assert given_up["level"] == "ERROR"
    assert "given up after 3 attempts" in given_up["message"]
