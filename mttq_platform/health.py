"""Health checks for the proxy, the orchestrator and the people on call.

``/health/`` answers as long as the web process does (liveness): no database, no broker.
``/health/ready/`` checks what the platform needs and answers 200 when all is well, 503 naming the
failing checks otherwise:

- database: ``SELECT 1``;
- broker: a ping of the Celery broker's Redis;
- worker: a Celery worker answers a control ping within a second;
- beat: Celery beat runs ``platform.heartbeat`` every minute and a worker records when it ran;
  older than ``HEALTH_BEAT_MAX_AGE`` seconds (or never) means beat, or every worker, has stopped.

Both are public and tell nothing about the data: statuses, the heartbeat's age, and the class of
an error (never its message, which may hold addresses).
"""
from __future__ import annotations

import time

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from celery import shared_task
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from kombu import Connection

HEARTBEAT_KEY = "mttq:health:heartbeat"
# A readiness probe must answer quickly even when a server hangs.
TIMEOUT_SECONDS = 2.0
WORKER_PING_SECONDS = 1.0

OK = "ok"
FAIL = "fail"


def _broker_connection() -> Connection:
    """A connection for the control ping alone (with short timeouts, no endless retries)."""
    return Connection(
        settings.CELERY_BROKER_URL,
        connect_timeout=TIMEOUT_SECONDS,
        transport_options={"socket_timeout": TIMEOUT_SECONDS, "socket_connect_timeout": TIMEOUT_SECONDS},
    )


def _redis() -> redis.Redis:
    """A plain client of the broker's Redis (redis://, rediss:// or the embedded redis+socket://).

    Not the kombu channel's own client: commands sent on it while the channel polls mix up the
    replies (celery/celery#8832).
    """
    url = settings.CELERY_BROKER_URL
    # One try: redis-py otherwise retries with backoff, seconds a probe does not have.
    timeouts = {"socket_timeout": TIMEOUT_SECONDS, "socket_connect_timeout": TIMEOUT_SECONDS, "retry": Retry(NoBackoff(), 0)}
    if url.startswith("redis+socket://"):
        return redis.Redis(unix_socket_path=url.removeprefix("redis+socket://").split("?")[0], **timeouts)
    return redis.Redis.from_url(url, **timeouts)


@shared_task(name="platform.heartbeat", ignore_result=True)
def heartbeat() -> float:
    """Scheduled by beat every minute; its time of running is the 'beat' check's last run."""
    now = time.time()
    with _redis() as client:
        client.set(HEARTBEAT_KEY, repr(now))
    return now


def _failed(exc: BaseException) -> dict:
    return {"status": FAIL, "error": type(exc).__name__}


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure is the answer, not an error of this view
        return _failed(exc)
    return {"status": OK}


def check_broker(client: redis.Redis) -> dict:
    try:
        client.ping()
    except Exception as exc:
        return _failed(exc)
    return {"status": OK}


def check_worker() -> dict:
    from mttq_platform.celery import app

    try:
        with _broker_connection() as broker:
            # The first answer is enough: a probe must not wait the whole timeout for the others.
            replies = app.control.ping(timeout=WORKER_PING_SECONDS, limit=1, connection=broker)
    except Exception as exc:
        return _failed(exc)
    if not replies:
        return {"status": FAIL, "error": "no worker answered"}
    return {"status": OK}


def check_beat(client: redis.Redis) -> dict:
    try:
        last_run = client.get(HEARTBEAT_KEY)
    except Exception as exc:
        return _failed(exc)
    if last_run is None:
        return {"status": FAIL, "error": "never ran"}
    age = max(0, round(time.time() - float(last_run)))
    if age > settings.HEALTH_BEAT_MAX_AGE:
        return {"status": FAIL, "error": "stale", "age_seconds": age}
    return {"status": OK, "age_seconds": age}


def readiness() -> dict:
    checks = {"database": check_database()}
    with _redis() as client:
        checks["broker"] = check_broker(client)
        if checks["broker"]["status"] == OK:
            checks["worker"] = check_worker()
            checks["beat"] = check_beat(client)
        else:
            # Both are read through the broker: without it they cannot be known (and a ping
            # through a dead broker would wait for its retries).
            checks["worker"] = checks["beat"] = {"status": FAIL, "error": "broker unavailable"}
    return checks


@never_cache
@require_safe
def live(request):
    return JsonResponse({"status": OK})


@never_cache
@require_safe
def ready(request):
    checks = readiness()
    healthy = all(check["status"] == OK for check in checks.values())
    return JsonResponse({"status": OK if healthy else FAIL, "checks": checks}, status=200 if healthy else 503)
