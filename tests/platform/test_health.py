"""/health/ and /health/ready/ against the real database, broker and a real Celery worker."""
import socket
import time

import pytest
import redis

from mttq_platform import health


def closed_port_url() -> str:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def set_heartbeat(seconds_ago: float) -> None:
    with health._redis() as client:
        client.set(health.HEARTBEAT_KEY, repr(time.time() - seconds_ago))


def test_liveness_answers_without_touching_the_database(client):
    # No django_db mark: pytest-django fails any query, so this also proves the database is not read.
    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)  # the worker thread closes database connections after each task
def test_ready_when_database_broker_worker_and_beat_answer(client, celery_worker):
    # What beat does every minute, run by the real worker.
    health.heartbeat.apply_async(ignore_result=False).get(timeout=30)

    response = client.get("/health/ready/")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"status": "ok"}
    assert body["checks"]["broker"] == {"status": "ok"}
    assert body["checks"]["worker"] == {"status": "ok"}
    assert body["checks"]["beat"]["status"] == "ok"
    assert body["checks"]["beat"]["age_seconds"] < 60


@pytest.mark.django_db
def test_ready_names_the_broker_when_its_port_is_closed(client, settings):
    settings.CELERY_BROKER_URL = closed_port_url()

    response = client.get("/health/ready/")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == {"status": "ok"}
    assert checks["broker"] == {"status": "fail", "error": "ConnectionError"}
    assert checks["worker"]["status"] == checks["beat"]["status"] == "fail"


@pytest.mark.django_db
def test_ready_fails_without_a_worker_and_with_an_old_heartbeat(client, settings):
    set_heartbeat(seconds_ago=settings.HEALTH_BEAT_MAX_AGE + 600)

    response = client.get("/health/ready/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"] == body["checks"]["broker"] == {"status": "ok"}
    assert body["checks"]["worker"] == {"status": "fail", "error": "no worker answered"}
    assert body["checks"]["beat"]["error"] == "stale"
    assert body["checks"]["beat"]["age_seconds"] >= settings.HEALTH_BEAT_MAX_AGE + 600


@pytest.mark.django_db
def test_ready_fails_when_the_heartbeat_never_ran(client):
    with health._redis() as broker:
        broker.delete(health.HEARTBEAT_KEY)

    response = client.get("/health/ready/")

    assert response.status_code == 503
    assert response.json()["checks"]["beat"] == {"status": "fail", "error": "never ran"}
