"""Gunicorn for the web (`gunicorn -c deploy/gunicorn.conf.py`): every knob from the environment.

Sync workers: each request is short, Django holds a database connection per worker, and long work
goes to Celery. More capacity means more replicas (Kubernetes HPA) or more workers per machine.
"""
import multiprocessing
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


wsgi_app = "mttq_platform.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# The usual 2 x cores + 1, capped: on a large host many workers would each hold a database
# connection (DB_CONN_MAX_AGE) and exhaust PostgreSQL's max_connections.
workers = _int("GUNICORN_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 12))
threads = _int("GUNICORN_THREADS", 1)
# Report documents (.docx/.xlsx of a whole province) are built in the request: give them time,
# but kill a stuck worker rather than let it hold its slot for ever.
timeout = _int("GUNICORN_TIMEOUT", 120)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then so a slow leak never grows unbounded; the jitter keeps them from
# all restarting at once.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
# Upload limit is enforced by nginx (client_max_body_size) and by the evidence checks; these only
# bound the request line and headers.
limit_request_line = 8190
# The proxy (nginx, the ingress) sets X-Forwarded-For/-Proto; trust it only from these addresses.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proxy_allow_ips = forwarded_allow_ips
# Logs to stdout/stderr: systemd's journal, docker and Kubernetes collect them from there.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s" request_id=%({x-request-id}i)s'
# Workers write their heartbeat files in memory, not on a (possibly slow or read-only) disk.
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR", "/dev/shm" if os.path.isdir("/dev/shm") else None)
preload_app = False  # each worker imports the app itself: a reload (HUP) picks up new code
