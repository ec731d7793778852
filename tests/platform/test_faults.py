"""Faults (issue 7): a Celery worker killed in the middle of a derivation job, and the database
restarted under load. Real parts: worker and web server subprocesses on the real broker, and a
private PostgreSQL server (pgserver's binaries on a temporary directory and a free port, never the
machine's shared server) that the test stops and starts.
"""
from __future__ import annotations

import json
import os
import pwd
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest
import requests
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count

from mttq_platform.models import ApiToken, AuditLog
from orgtree.models import OrgUnit
from plans.models import DerivationJob, LegalBasis, PlanDocument, Responsibility, Section, Task, TaskParty
from plans.services.derivation import (
    DERIVATION_LOCK_NAMESPACE, DERIVED_UNIT_CATEGORIES, run_subtree_job, start_subtree_derivation,
)
from plans.services.importing import import_plan_file
from tests.plans.factories import seed_like_plan
from tests.plans.test_derivation import add_district
from tests.sync.installations import _die_with_parent, database_url, free_port

BASE_DIR = Path(__file__).resolve().parents[2]
SEED = BASE_DIR / "fixtures" / "seeds" / "000_bc0227de9fac2d55.txt"
WAIT = 60  # seconds for a subprocess to be ready or a job to finish (a failure, never a pace)
FOREIGN_ATTRIBUTE_OPTION = re.compile(r"ALTER TABLE ONLY \S+ ALTER COLUMN \S+ SET \(pg_attver=\d+\);$")
DERIVED = (PlanDocument, Section, LegalBasis, Responsibility, Task, TaskParty, AuditLog)


def wait_until(condition, what: str, timeout: float = WAIT, every: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


def spawn(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        # Own session, so that killing it kills everything it started.
        return subprocess.Popen(args, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, preexec_fn=_die_with_parent)


def stop(process: subprocess.Popen | None, sig=signal.SIGTERM) -> None:
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, sig)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def counts() -> dict:
    return {model.__name__: model.objects.count() for model in DERIVED}


def delta(after: dict, before: dict) -> dict:
    return {name: after[name] - before[name] for name in after}


# -- a worker killed in the middle of a derivation job -----------------------------------------------------------
class Worker:
    """``python -m tests.platform.fault_worker``: the platform's worker with small derivation batches and
    quick redelivery of a message a dead worker left unacknowledged."""

    def __init__(self, log_dir: Path, env: dict):
        self.log = log_dir / "worker.log"
        self.env = env
        self.process: subprocess.Popen | None = None

    def start(self, name: str, batch_units: int) -> None:
        start = self.log.stat().st_size if self.log.exists() else 0
        self.process = spawn([sys.executable, "-m", "tests.platform.fault_worker", str(batch_units), name],
                             self.env, self.log)

        def ready():
            if self.process.poll() is not None:
                raise AssertionError(f"worker exited {self.process.returncode}:\n{self.tail()}")
            with open(self.log, "rb") as log:
                log.seek(start)
                return b" ready." in log.read()

        wait_until(ready, "the worker to be ready", every=0.1)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-6000:] if self.log.exists() else "(no log)"


@pytest.fixture
def worker(transactional_tree, tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "mttq_platform.settings", "PYTHONUNBUFFERED": "1",
           "DATABASE_URL": database_url(connection.settings_dict, connection.settings_dict["NAME"]),
           "CELERY_BROKER_URL": settings.CELERY_BROKER_URL, "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
           "DB_CONN_MAX_AGE": "0"}
    worker = Worker(tmp_path, env)
    yield worker
    stop(worker.process, signal.SIGKILL)  # its connection must be gone before the database is flushed
    print(worker.tail())  # shown by pytest when the test failed


@pytest.mark.worker
def test_a_derivation_job_whose_worker_is_killed_is_redelivered_and_completes_once(transactional_tree, worker):
    tree = transactional_tree
    add_district(tree, "901", communes=24)
    plan, user, root = seed_like_plan(tree["11"]), tree.user("db.chair"), tree["11"]
    targets = set(OrgUnit.objects.within(root).filter(kind__category__in=DERIVED_UNIT_CATEGORIES)
                  .exclude(pk=root.pk).values_list("pk", flat=True))
    with transaction.atomic():  # a clean run of the same job, rolled back: what the faulty one must write
        before = counts()
        clean_job = run_subtree_job(start_subtree_derivation(plan, root, user).pk)  # on_commit: nothing queued
        clean = delta(counts(), before)
        transaction.set_rollback(True)
    assert clean_job.created_plans == len(targets) == clean["PlanDocument"] > 30

    worker.start("first", batch_units=2)
    before = counts()
    job = start_subtree_derivation(plan, root, user)  # autocommit: queued at once
    wait_until(lambda: DerivationJob.objects.get(pk=job.pk).done > 0, "the first batch")
    # Hold the derivation's per-tree lock: the worker finishes the batch it is in and waits at the
    # next one, so that it is killed with part of the job committed, whatever the machine's speed.
    with closing(psycopg2.connect(**connection.get_connection_params())) as lock:
        with lock.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [DERIVATION_LOCK_NAMESPACE, root.tree_id])
        half = DerivationJob.objects.get(pk=job.pk)
        assert half.status == DerivationJob.Status.RUNNING and 0 < half.done < half.total == len(targets)
        assert 0 < half.created_plans < len(targets)
        stop(worker.process, signal.SIGKILL)
    # The lock's session is closed: a second worker gets the message back from the broker (acks_late).
    worker.start("second", batch_units=2)
    wait_until(lambda: DerivationJob.objects.get(pk=job.pk).status == DerivationJob.Status.DONE,
               "the redelivered job to finish", every=0.1)

    job.refresh_from_db()
    assert (job.total, job.done, job.created_plans, job.error) == (len(targets), len(targets), len(targets), "")
    assert delta(counts(), before) == clean  # nothing doubled, nothing missing, audit rows included
    per_unit = dict(PlanDocument.objects.filter(unit__in=targets).values_list("unit").annotate(n=Count("pk")))
    assert per_unit == {pk: 1 for pk in targets}


# -- the database restarted under load ---------------------------------------------------------------------------
def _pg_bin(name: str) -> str:
    import pgserver

    return str(Path(pgserver.__file__).parent / "pginstall" / "bin" / name)


class PrivateServer:
    """A PostgreSQL server of the test's own, on a temporary directory and a free loopback port.
    Run as the ``postgres`` system user when the test runs as root (PostgreSQL refuses root)."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.data = directory / "data"
        self.port = free_port()
        self.user = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        if self.user:
            os.chown(directory, self.user.pw_uid, self.user.pw_gid)

    def _as_owner(self):
        if self.user:
            os.setgid(self.user.pw_gid)
            os.setuid(self.user.pw_uid)

    def _run(self, *args: str) -> None:
        result = subprocess.run(args, capture_output=True, text=True, preexec_fn=self._as_owner, cwd=self.directory)
        if result.returncode:
            raise AssertionError(f"{' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
                                 f"\n{self.log_tail()}")

    def log_tail(self) -> str:
        log = self.directory / "server.log"
        return log.read_text(errors="replace")[-3000:] if log.exists() else ""

    def init(self) -> None:
        self._run(_pg_bin("initdb"), "-D", str(self.data), "--auth=trust", "-U", "postgres", "--encoding=utf8", "-N")

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} -c fsync=off"
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.directory / "server.log"), "-o", options,
                  "-w", "start")

    def stop(self) -> None:
        """Fast shutdown: open transactions are rolled back, sessions cut."""
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def connect(self, name: str = "postgres"):
        return psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=name)

    def copy_database(self, settings_dict: dict, name: str) -> None:
        """The test database (migrated, with the test's committed rows) dumped into ``name`` here."""
        with closing(self.connect()) as admin:
            admin.autocommit = True
            admin.cursor().execute(f'CREATE DATABASE "{name}"')
        dump = self.directory / "dump.sql"
        env = {**os.environ, "PGPASSWORD": settings_dict.get("PASSWORD") or ""}
        subprocess.run([_pg_bin("pg_dump"), "--no-owner", "--no-privileges", "-f", str(dump),
                        "-h", settings_dict.get("HOST") or "127.0.0.1", "-p", str(settings_dict.get("PORT") or 5432),
                        "-U", settings_dict.get("USER") or "postgres", settings_dict["NAME"]],
                       check=True, env=env, capture_output=True)
        # A server may carry attribute options that PostgreSQL itself does not know (this machine's
        # shared server tags columns with pg_attver): they say nothing of the schema, and are left out.
        dump.write_text("".join(line for line in dump.read_text().splitlines(keepends=True)
                                if not FOREIGN_ATTRIBUTE_OPTION.match(line)))
        os.chmod(dump, 0o644)
        self._run(_pg_bin("psql"), "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.port),
                  "-U", "postgres", "-d", name, "-f", str(dump))


@pytest.fixture
def private_server(tmp_path_factory):
    # Not tmp_path: the postgres user must reach it, and pytest makes tmp_path private to root.
    directory = Path(tempfile.mkdtemp(prefix="mttq-faults-pg-"))
    server = PrivateServer(directory)
    server.init()
    server.start()
    yield server
    try:
        server.stop()
    except AssertionError:
        pass  # already stopped by a failed test
    subprocess.run(["rm", "-rf", str(directory)], check=False)


@dataclass
class Answer:
    kind: str
    started: float
    finished: float
    status: int | None  # None: no HTTP answer at all (refused, reset, timed out)
    body: str


class Load:
    """One thread sending, in turn, an API read, a page read and a plan import (a write of a few
    hundred rows in one transaction), and keeping every answer."""

    def __init__(self, url: str, token: str, session: str, unit: str):
        self.url, self.unit = url, unit
        self.api = {"Authorization": f"Token {token}"}
        self.cookies = {"sessionid": session}
        self.answers: list[Answer] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def request(self, kind: str, method: str, path: str, **kwargs) -> None:
        started = time.monotonic()
        try:
            response = requests.request(method, self.url + path, timeout=15, allow_redirects=False, **kwargs)
            status, body = response.status_code, response.text
        except requests.RequestException as exc:
            status, body = None, repr(exc)
        self.answers.append(Answer(kind, started, time.monotonic(), status, body))

    def run(self) -> None:
        while not self.stopping.is_set():
            self.request("api", "GET", f"/api/v1/plans/?unit={self.unit}", headers=self.api)
            self.request("page", "GET", f"/u/{self.unit}/", cookies=self.cookies)
            with open(SEED, "rb") as seed:
                self.request("write", "POST", "/api/v1/plans/import/", headers=self.api,
                             data={"unit": self.unit}, files={"file": (SEED.name, seed, "text/plain")})

    def count(self, since: float, ok: bool | None = None) -> dict:
        answered = [a for a in self.answers if a.started >= since and (ok is None or (a.status and a.status < 400) == ok)]
        return {kind: sum(a.kind == kind for a in answered) for kind in ("api", "page", "write")}


def clean_error(answer: Answer) -> bool:
    """The platform's own 500: the JSON error for the API, the error page for a page, no traceback."""
    if answer.status not in (500, 503) or "Traceback" in answer.body:
        return False
    if answer.kind == "page":
        return 'class="error-code"' in answer.body
    return json.loads(answer.body)["error"]["code"] == "server_error"


def imported_plan_shapes(server: PrivateServer, name: str, after_id: int) -> list[tuple]:
    """(sections, legal bases, tasks, parties) of every plan imported during the test."""
    with closing(server.connect(name)) as db, db.cursor() as cursor:
        cursor.execute(f"""
            SELECT (SELECT count(*) FROM {Section._meta.db_table} s WHERE s.document_id = p.id),
                   (SELECT count(*) FROM {LegalBasis._meta.db_table} b WHERE b.document_id = p.id),
                   (SELECT count(*) FROM {Task._meta.db_table} t WHERE t.document_id = p.id),
                   (SELECT count(*) FROM {TaskParty._meta.db_table} tp JOIN {Task._meta.db_table} t
                     ON t.id = tp.task_id WHERE t.document_id = p.id)
            FROM {PlanDocument._meta.db_table} p WHERE p.id > %s ORDER BY p.id""", [after_id])
        return cursor.fetchall()


def test_the_database_restarted_under_load_answers_clean_errors_then_recovers_with_no_half_write(
        transactional_tree, private_server, tmp_path, client):
    tree = transactional_tree
    user, unit = tree.user("db.chair"), tree["11"]
    with transaction.atomic():  # the shape of a whole import, rolled back
        reference = import_plan_file(SEED, unit, actor=user)
        shape = (reference.sections.count(), reference.legal_bases.count(), reference.tasks.count(),
                 TaskParty.objects.filter(task__document=reference).count())
        transaction.set_rollback(True)
    _, token = ApiToken.issue(user, "faults", unit=unit, read_only=False)
    client.force_login(user)
    last_plan = PlanDocument.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    name = "faults"
    private_server.copy_database(connection.settings_dict, name)
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "mttq_platform.settings", "PYTHONUNBUFFERED": "1",
           "DATABASE_URL": f"postgres://postgres@127.0.0.1:{private_server.port}/{name}",
           "DB_CONN_MAX_AGE": "600", "DEBUG": "false", "ALLOWED_HOSTS": "127.0.0.1"}
    web = spawn([sys.executable, "-m", "gunicorn", "mttq_platform.wsgi:application", "--workers", "2", "--preload",
                 "--worker-class", "gthread", "--threads", "2", "--bind", f"127.0.0.1:{port}", "--timeout", "30"],
                env, tmp_path / "web.log")
    load = Load(f"http://127.0.0.1:{port}", token, client.cookies["sessionid"].value, unit.code)
    try:
        def answers_login():
            if web.poll() is not None:
                raise AssertionError((tmp_path / "web.log").read_text()[-5000:])
            try:
                return requests.get(f"{load.url}/accounts/login/", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        wait_until(answers_login, "gunicorn", every=0.2)
        load.thread.start()
        every_kind = lambda since, ok: lambda: min(load.count(since, ok).values()) >= 1  # noqa: E731
        wait_until(every_kind(0, True), "answers before the restart")

        private_server.stop()
        down = time.monotonic()
        wait_until(every_kind(down, None), "answers while the database is down")
        restarting = time.monotonic()
        private_server.start()
        up = time.monotonic()
        wait_until(every_kind(up, None), "answers after the restart")
    finally:
        load.stopping.set()
        load.thread.join(timeout=60)
        stop(web)
        print((tmp_path / "web.log").read_text(errors="replace")[-5000:])

    assert all(a.status is not None for a in load.answers), [a.body for a in load.answers if a.status is None]
    during = [a for a in load.answers if a.started >= down and a.finished <= restarting]
    assert {a.kind for a in during} == {"api", "page", "write"}
    assert all(clean_error(a) for a in during), [(a.kind, a.status, a.body[:300]) for a in during if not clean_error(a)]
    after = [a for a in load.answers if a.started >= up]
    assert all(a.status in (200, 201) for a in after), [(a.kind, a.status, a.body[:300]) for a in after]

    shapes = imported_plan_shapes(private_server, name, last_plan)
    written = sum(a.kind == "write" and a.status == 201 for a in load.answers)
    assert written <= len(shapes) <= sum(a.kind == "write" for a in load.answers)
    assert set(shapes) == {shape}  # every plan whole: a write cut by the restart left no rows
