"""A second, real installation for federation tests: its own PostgreSQL database, a web server
subprocess (gunicorn with deploy/gunicorn.conf.py) on a free loopback port and, when asked, a
Celery worker subprocess on its own broker.

The first installation is the test process itself (pytest-django's ``live_server`` on the test
database, the ``celery_worker`` fixture of tests/conftest.py, ``settings.INSTALLATION_ID`` set by
the test). Use it in a test module::

    from tests.sync.installations import peer, peer_installation  # noqa: F401  (fixtures)

    def test_something(peer, live_server, settings):
        settings.INSTALLATION_ID = "central"
        peer.shell("from sync.models import Peer; print(Peer.objects.count())")

Helpers: ``url``, ``env``, ``manage(*args) -> stdout``, ``shell(code) -> stdout``,
``shell_json(code setting result) -> value``, ``stop_web(kill=False)`` / ``start_web()`` (same port),
``start_worker()`` / ``stop_worker()``, ``flush()``, ``logs_since(sizes)``.

``peer_installation`` is module-scoped (one database and web server per module: migrating takes a
few seconds); ``peer`` is the same object for one test, restarts the web server if an earlier test
left it stopped, and prints the subprocesses' log lines written during the test, which pytest shows
when the test fails. Its installation id is the module's ``PEER_INSTALLATION_ID`` (default
``peer``). State in the peer's database is shared by the tests of a module: make names unique, or
call ``peer.flush()``.

The peer's database is named after the test database (``test_mttq_x`` -> ``test_mttq_x_peer``; it
is dropped first if a crashed run left it behind, and dropped at the end). Its broker is
``PEER_CELERY_BROKER_URL``, or else the test process's broker with the next Redis database number.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
MANAGE = str(BASE_DIR / "manage.py")
GUNICORN_CONFIG = BASE_DIR / "deploy" / "gunicorn.conf.py"
START_TIMEOUT = 60  # seconds for a web server or a worker to answer
COMMAND_TIMEOUT = 300
LOG_TAIL = 80  # lines of a subprocess's log shown in an error


def _die_with_parent() -> None:
    """In the child before exec (Linux): SIGKILL when the test process dies, even by SIGKILL, so a
    crashed run leaves no server behind."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def next_redis_database(url: str) -> str:
    """redis://host:port/2 -> redis://host:port/3 (Redis has databases 0-15)."""
    parts = urlsplit(url)
    number = int(parts.path.strip("/") or 0)
    if number >= 15:
        raise RuntimeError(f"no Redis database after {number}: set PEER_CELERY_BROKER_URL")
    return urlunsplit(parts._replace(path=f"/{number + 1}"))


def database_url(settings_dict: dict, name: str) -> str:
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "localhost"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{name}"


class HarnessError(RuntimeError):
    pass


class Installation:
    """One installation run in subprocesses. ``url`` is its web address (no trailing slash),
    ``env`` the environment its processes run with."""

    def __init__(self, installation_id: str, settings_dict: dict, database_name: str, broker_url: str):
        self.installation_id = installation_id
        self.settings_dict = settings_dict
        self.database_name = database_name
        self.port = free_port()  # kept across restarts: the other side has this address registered
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_dir = Path(tempfile.mkdtemp(prefix=f"mttq-{installation_id}-"))
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "mttq_platform.settings",
            "INSTALLATION_ID": installation_id,
            "DATABASE_URL": database_url(settings_dict, database_name),
            "CELERY_BROKER_URL": broker_url,
            "CELERY_RESULT_BACKEND": broker_url,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DEBUG": "false",
            "PYTHONUNBUFFERED": "1",
            "DB_CONN_MAX_AGE": "0",
        }
        self.web: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None

    # -- the database --------------------------------------------------------------------------
    def _maintenance(self, sql: str) -> None:
        import psycopg2

        connection = psycopg2.connect(
            dbname="postgres", user=self.settings_dict.get("USER") or None,
            password=self.settings_dict.get("PASSWORD") or None,
            host=self.settings_dict.get("HOST") or None, port=self.settings_dict.get("PORT") or None,
        )
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
        finally:
            connection.close()

    def create_database(self) -> None:
        self.drop_database()
        self._maintenance(f'CREATE DATABASE "{self.database_name}"')
        self.manage("migrate", "--noinput", timeout=COMMAND_TIMEOUT)

    def drop_database(self) -> None:
        self._maintenance(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')

    def flush(self) -> None:
        """Empty the peer's database and put back the reference rows its migrations seeded."""
        self.manage("flush", "--noinput")
        self.shell(
            "from orgtree import reference_data as o; from reviews import reference_data as r; "
            "from inspections import reference_data as i; o.seed(); r.seed(); i.seed()"
        )

    # -- commands ------------------------------------------------------------------------------
    def manage(self, *args: str, timeout: float = COMMAND_TIMEOUT, input: str | None = None, check: bool = True) -> str:
        """Run ``manage.py *args`` in this installation; its stdout (raises with stderr on failure)."""
        result = subprocess.run(
            [sys.executable, MANAGE, *args], cwd=BASE_DIR, env=self.env, input=input,
            capture_output=True, text=True, timeout=timeout,
        )
        if check and result.returncode != 0:
            raise HarnessError(
                f"[{self.installation_id}] manage.py {' '.join(args)} exited {result.returncode}\n"
                f"--- stdout ---\n{result.stdout[-5000:]}\n--- stderr ---\n{result.stderr[-5000:]}"
            )
        return result.stdout

    def shell(self, code: str, timeout: float = COMMAND_TIMEOUT) -> str:
        """Run Python ``code`` in this installation's Django; what it printed."""
        return self.manage("shell", "--no-imports", "-c", code, timeout=timeout)

    def shell_json(self, code: str, timeout: float = COMMAND_TIMEOUT):
        """Run ``code``, which ends with an expression's value in ``result``; that value, via JSON."""
        out = self.shell(
            code + "\nimport json as _json, sys as _sys\n"
            "_sys.stdout.write('\\n@@RESULT@@' + _json.dumps(result, default=str, ensure_ascii=False))\n",
            timeout=timeout,
        )
        return json.loads(out.rsplit("@@RESULT@@", 1)[1])

    # -- processes -----------------------------------------------------------------------------
    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "ab")
        try:
            # Own session: stopping it stops everything it started (gunicorn's and the worker's children).
            return subprocess.Popen(args, cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True, preexec_fn=_die_with_parent)
        finally:
            log.close()

    def _stop(self, process: subprocess.Popen | None, kill: bool, timeout: float = 20) -> None:
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGKILL if kill else signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=timeout)

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def log_tail(self, name: str, lines: int = LOG_TAIL) -> str:
        path = self.log_path(name)
        if not path.exists():
            return "(no log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def log_sizes(self) -> dict[str, int]:
        return {path.stem: path.stat().st_size for path in self.log_dir.glob("*.log")}

    def logs_since(self, sizes: dict[str, int]) -> str:
        parts = []
        for path in sorted(self.log_dir.glob("*.log")):
            with open(path, "rb") as log:
                log.seek(sizes.get(path.stem, 0))
                text = log.read().decode(errors="replace")
            if text.strip():
                parts.append(f"--- {self.installation_id} {path.stem} ---\n{text[-20000:]}")
        return "\n".join(parts)

    def web_answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/api/v1/sync/ping/", timeout=2):
                return True
        except urllib.error.HTTPError:
            return True  # 401 unsigned: the server is up
        except OSError:
            return False

    def start_web(self) -> None:
        if self.web is not None and self.web.poll() is None:
            return
        # The production web server with the shipped configuration (deploy/gunicorn.conf.py), as
        # a province's own server runs it; two workers, so one slow request does not hold the other.
        self.web = self._spawn("web", [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONFIG),
                                       "--bind", f"127.0.0.1:{self.port}", "--workers", "2"])
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.web.poll() is not None:
                raise HarnessError(f"[{self.installation_id}] web server exited {self.web.returncode}\n{self.log_tail('web')}")
            if self.web_answers():
                return
            time.sleep(0.1)
        self._stop(self.web, kill=True)
        raise HarnessError(f"[{self.installation_id}] web server did not answer in {START_TIMEOUT} s\n{self.log_tail('web')}")

    def stop_web(self, kill: bool = False) -> None:
        """Stop the web server; ``kill=True`` sends SIGKILL (a crash, in the middle of a request)."""
        self._stop(self.web, kill)
        self.web = None

    def start_worker(self, concurrency: int = 2) -> None:
        if self.worker is not None and self.worker.poll() is None:
            return
        start = self.log_sizes().get("worker", 0)
        self.worker = self._spawn("worker", [
            sys.executable, "-m", "celery", "-A", "mttq_platform", "worker", "--loglevel=INFO",
            f"--concurrency={concurrency}", f"--hostname={self.installation_id}@%h",
            "--without-gossip", "--without-mingle",
        ])
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.worker.poll() is not None:
                raise HarnessError(f"[{self.installation_id}] worker exited {self.worker.returncode}\n{self.log_tail('worker')}")
            with open(self.log_path("worker"), "rb") as log:
                log.seek(start)
                if b" ready." in log.read():
                    return
            time.sleep(0.2)
        self._stop(self.worker, kill=True)
        raise HarnessError(f"[{self.installation_id}] worker not ready in {START_TIMEOUT} s\n{self.log_tail('worker')}")

    def stop_worker(self, kill: bool = False) -> None:
        self._stop(self.worker, kill, timeout=60)  # warm shutdown finishes the task running
        self.worker = None

    def close(self, keep_logs: bool = False) -> None:
        self.stop_worker()
        self.stop_web()
        self.drop_database()
        if not keep_logs:
            shutil.rmtree(self.log_dir, ignore_errors=True)


def start_installation(installation_id: str, settings_dict: dict, database_name: str, broker_url: str) -> Installation:
    installation = Installation(installation_id, settings_dict, database_name, broker_url)
    try:
        installation.create_database()
        installation.start_web()
    except BaseException:
        print(installation.logs_since({}))
        installation.close(keep_logs=True)
        raise
    return installation


@pytest.fixture(scope="module")
def peer_installation(request, django_db_setup) -> Installation:
    """The second installation, for the tests of one module. Its id is the module's
    ``PEER_INSTALLATION_ID`` (default ``peer``)."""
    from django.conf import settings
    from django.db import connections

    installation_id = getattr(request.module, "PEER_INSTALLATION_ID", "peer")
    settings_dict = dict(connections["default"].settings_dict)  # the test database's, after setup
    broker = os.environ.get("PEER_CELERY_BROKER_URL") or next_redis_database(settings.CELERY_BROKER_URL)
    installation = start_installation(installation_id, settings_dict, f"{settings_dict['NAME']}_peer", broker)
    yield installation
    installation.close()


@pytest.fixture
def peer(peer_installation) -> Installation:
    """``peer_installation`` for one test: web server running, its log lines shown on failure."""
    peer_installation.start_web()
    sizes = peer_installation.log_sizes()
    yield peer_installation
    # Captured output of teardown: pytest shows it with the test's report when the test failed.
    print(peer_installation.logs_since(sizes))
