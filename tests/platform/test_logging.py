"""Request ids in the logs: made or taken from the proxy, answered in X-Request-ID, and carried by a
real Celery worker into the logs of the tasks a request starts."""
import io
import json
import logging
import re

import pytest
from django.http import JsonResponse
from django.urls import path

from mttq_platform import logs
from mttq_platform.celery import app

LOGGER = "tests.platform.request_log"


@app.task(name="tests.platform.log_in_task")
def log_in_task():
    logging.getLogger(LOGGER).info("task ran")


def start_task(request):
    logging.getLogger(LOGGER).info("view ran")
    return JsonResponse({"task": log_in_task.delay().id})


def log_only(request):
    logging.getLogger(LOGGER).info("view ran")
    return JsonResponse({})


def unit_page(request, code):
    request.user.is_authenticated  # what a real page does first (login required)
    logging.getLogger(LOGGER).info("unit page")
    return JsonResponse({})


urlpatterns = [
    path("start-task/", start_task),
    path("log-only/", log_only),
    path("u/<str:code>/log/", unit_page),
]


@pytest.fixture
def json_log():
    """The platform's JSON lines (formatter and filter of LOGGING), from every thread, parsed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.json_formatter())
    handler.addFilter(logs.RequestContextFilter())
    logging.getLogger(LOGGER).addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        logging.getLogger(LOGGER).removeHandler(handler)


@pytest.mark.worker
@pytest.mark.urls(__name__)
def test_request_id_follows_the_request_into_the_worker(client, celery_worker, json_log):
    response = client.get("/start-task/", HTTP_X_REQUEST_ID="proxy-7f3a.42")
    log_in_task.AsyncResult(response.json()["task"]).get(timeout=30)
    log_in_task.delay().get(timeout=30)  # outside any request: the worker must not keep the old id

    assert response["X-Request-ID"] == "proxy-7f3a.42"
    view, task, later_task = json_log()
    assert (view["message"], view["request_id"], view["task_id"]) == ("view ran", "proxy-7f3a.42", None)
    assert task["message"] == "task ran"
    assert task["request_id"] == "proxy-7f3a.42"
    assert task["task_name"] == "tests.platform.log_in_task"
    assert task["task_id"] == response.json()["task"]
    assert later_task["request_id"] is None and later_task["task_id"] != task["task_id"]


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("header", [None, "", "has spaces", "x" * 65, "<script>", "ab\ncd"])
def test_a_missing_or_insane_request_id_is_replaced_by_a_new_one(client, header, json_log):
    extra = {} if header is None else {"HTTP_X_REQUEST_ID": header}
    first = client.get("/log-only/", **extra)["X-Request-ID"]
    second = client.get("/log-only/", **extra)["X-Request-ID"]

    assert re.fullmatch(r"[0-9a-f]{32}", first) and re.fullmatch(r"[0-9a-f]{32}", second)
    assert first != second
    assert [line["request_id"] for line in json_log()] == [first, second]


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_records_carry_the_user_and_the_unit_of_the_page(client, django_user_model, json_log):
    user = django_user_model.objects.create_user("log.reader", password="mat-khau-thu-nghiem-2026")
    client.force_login(user)

    response = client.get("/u/03127/log/")

    (line,) = json_log()
    assert line["request_id"] == response["X-Request-ID"]
    assert (line["user_id"], line["unit"]) == (user.pk, "03127")


def test_text_format_for_development_shows_the_request_id_or_a_dash():
    formatter = logs.TextFormatter(logs.TEXT_FORMAT)
    record = logging.LogRecord(LOGGER, logging.INFO, __file__, 1, "hello", None, None)
    logs.RequestContextFilter().filter(record)
    assert formatter.format(record).endswith(f"INFO {LOGGER} [-] hello")

    token = logs.bind("req-1")
    try:
        logs.RequestContextFilter().filter(record)
    finally:
        logs.unbind(token)
    assert formatter.format(record).endswith(f"INFO {LOGGER} [req-1] hello")
