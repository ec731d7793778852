"""Figure of issue 7: the pages and API lists people use most, under load, through the real server.

After the national year exists (the reviews figures' ``national_year``: every unit's plan derived
and issued, every report of the year opened and filled), gunicorn serves the bench database with
``deploy/gunicorn.conf.py`` and 2 workers on a free loopback port, and locust, in a separate process
(``bench/locustfile.py``), drives it with cadres of a commune, a district, the bench province and
the central committee (sessions for pages, API tokens for the API), each going round its own unit
home, roll-up page and API, plan page, and the plan, report, unit and inspection lists. Per page:
requests per second and the 50th/95th/99th percentile of the response time.

The queries of each page are counted once in process (Django's test client on the same database,
every level; the table shows the fewest and the most). Ours is the wall time per request at the
throughput the server reached; naive is the same pages served one at a time in one process, no
server and no concurrency (the median of ``repeat`` runs of each, averaged): the ratio is what the
two workers gain over serving one request after another on the same machine, locust included.
"""
from __future__ import annotations

import csv
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from bench.context import BenchContext
from bench.core import BenchError, Comparison, Measurement, figure, measure
from bench.reviews_figures import YEAR, national_year
from mttq_platform.models import ApiToken
from orgtree.models import Membership, OrgUnit, Role
from plans.models import PlanDocument

REPO = Path(__file__).resolve().parent.parent
WORKERS = 2
START_TIMEOUT = 120  # seconds for gunicorn to answer (a failure, not a measurement)
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def pages_of(unit: OrgUnit) -> list[dict]:
    """The pages a cadre of ``unit`` goes round: name (the statistics' row), path, page or api."""
    plan = PlanDocument.objects.filter(unit=unit).order_by("-pk").first()
    if plan is None:
        raise BenchError(f"load: {unit.code} has no plan; the national year should have derived one")
    return [
        {"name": "unit home", "kind": "page", "path": reverse("unit-home", kwargs={"code": unit.code})},
        {"name": "roll-up page", "kind": "page",
         "path": reverse("unit-dashboard", kwargs={"code": unit.code, "year": YEAR})},
        {"name": "roll-up API", "kind": "api", "path": f"{reverse('api:rollup')}?unit={unit.code}&year={YEAR}"},
        {"name": "plan page", "kind": "page",
         "path": reverse("plan-detail", kwargs={"code": unit.code, "uuid": plan.uuid})},
        {"name": "API plans", "kind": "api", "path": reverse("api:plandocument-list")},
        {"name": "API reports", "kind": "api", "path": f"{reverse('api:unitreport-list')}?year={YEAR}"},
        {"name": "API units", "kind": "api", "path": reverse("api:orgunit-list")},
        {"name": "API inspections", "kind": "api", "path": reverse("api:inspection-list")},
    ]


def personas(ctx: BenchContext) -> list[dict]:
    """A cadre at each level, logged in (a session row, as a login makes) and with a read-only token."""
    commune = OrgUnit.objects.get(pk=ctx.commune.pk)
    units = {"commune": commune, "district": OrgUnit.objects.get(pk=commune.parent_id),
             "province": OrgUnit.objects.get(pk=ctx.province.pk), "central": OrgUnit.objects.get(code="TW")}
    cadre = Role.objects.get(code="cadre")
    result = []
    for level, unit in units.items():
        user, _ = get_user_model().objects.get_or_create(username=f"bench.load.{level}")
        Membership.objects.get_or_create(user=user, unit=unit, role=cadre)
        client = Client(HTTP_HOST=HOST)
        client.force_login(user)
        _, token = ApiToken.issue(user, "bench load", unit=unit)
        result.append({"level": level, "unit": unit.code, "session": client.cookies["sessionid"].value,
                       "token": token, "pages": pages_of(unit), "client": client})
    return result


def in_process(persona: dict, page: dict, repeat: int) -> Measurement:
    client, headers = persona["client"], {}
    if page["kind"] == "api":
        headers["HTTP_AUTHORIZATION"] = f"Token {persona['token']}"

    def get():
        response = client.get(page["path"], **headers)
        if response.status_code != 200:
            raise BenchError(f"load: {persona['level']} {page['path']} answered {response.status_code} in process")
        return response.status_code

    return measure(get, repeat)


class Server:
    """gunicorn with the deployed configuration, 2 workers, on the bench database."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.log = directory / "gunicorn.log"
        env = {**os.environ, "GUNICORN_WORKERS": str(WORKERS), "GUNICORN_BIND": f"{HOST}:{self.port}",
               "GUNICORN_ACCESS_LOG": "/dev/null", "DEBUG": "false", "ALLOWED_HOSTS": HOST,
               # The per-token API limit (600/min) would answer 429 to the load: it measures the pages.
               "API_RATE_PER_TOKEN": ""}
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(REPO / "deploy" / "gunicorn.conf.py")],
                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise BenchError(f"load: gunicorn did not start\n{self.log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/accounts/login/", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=60)


def run_locust(url: str, plan_file: Path, users: int, seconds: int, directory: Path) -> list[dict]:
    """locust headless, in its own process; its per-page rows of the statistics CSV."""
    prefix = directory / "locust"
    run = subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(REPO / "bench" / "locustfile.py"), "--headless",
         "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--host", url, "--csv", str(prefix),
         "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "10"],
        cwd=REPO, env={**os.environ, "BENCH_LOAD_PLAN": str(plan_file)}, capture_output=True, text=True,
        timeout=seconds + 120,
    )
    stats_file = Path(f"{prefix}_stats.csv")
    if not stats_file.exists():
        raise BenchError(f"load: locust wrote no statistics (exit {run.returncode})\n{run.stderr[-3000:]}")
    rows = list(csv.DictReader(stats_file.open()))
    failed = sum(int(row["Failure Count"]) for row in rows if row["Name"] != "Aggregated")
    if failed:
        failures = Path(f"{prefix}_failures.csv").read_text()[-3000:]
        raise BenchError(f"load: {failed} requests failed under load\n{failures}")
    return rows


@figure("The most used pages and API lists under load (gunicorn, 2 workers; locust in another process)")
def load(ctx: BenchContext) -> Comparison:
    national_year(ctx)  # unmeasured: the plans and reports the pages read
    # From here on the machine should be quiet: the figures are wall times.
    print("bench: load: the data is ready, measuring ...", file=sys.stderr, flush=True)
    people = personas(ctx)
    queries: dict[str, list[int]] = {}
    serial = []
    for persona in people:
        for page in persona["pages"]:
            measured = in_process(persona, page, ctx.repeat)
            queries.setdefault(page["name"], []).append(measured.queries)
            serial.append(measured.seconds)
    users, seconds = ctx.scale.load_users, ctx.scale.load_seconds

    with tempfile.TemporaryDirectory(prefix="mttq-bench-load-") as directory:
        directory = Path(directory)
        plan_file = directory / "plan.json"
        plan_file.write_text(json.dumps({"personas": [{k: v for k, v in p.items() if k != "client"} for p in people]}))
        server = Server(directory)
        try:
            rows = run_locust(server.url, plan_file, users, seconds, directory)
        finally:
            server.stop()

    by_name = {row["Name"]: row for row in rows}
    total = by_name.pop("Aggregated")
    if set(by_name) != set(queries):
        raise BenchError(f"load: no request to {sorted(set(queries) - set(by_name))} in {seconds} s: "
                         f"{total['Request Count']} requests in all ({total['Requests/s']}/s)")
    pages = [
        {"page": name, "requests": int(row["Request Count"]), "rps": float(row["Requests/s"]),
         "p50_ms": float(row["50%"]), "p95_ms": float(row["95%"]), "p99_ms": float(row["99%"]),
         "queries_min": min(queries[name]), "queries_max": max(queries[name])}
        for name in queries for row in [by_name[name]]
    ]
    rps, requests_ = float(total["Requests/s"]), int(total["Request Count"])
    per_visit = sum(max(counts) for counts in queries.values())
    ours = Measurement(1 / rps, per_visit, requests_)
    naive = Measurement(statistics.mean(serial), per_visit, ctx.repeat)
    note = (f"{users} locust users (a cadre each of a commune, a district, province {ctx.province.code} and the "
            f"central committee) for {seconds} s against gunicorn ({WORKERS} sync workers, deploy/gunicorn.conf.py) "
            f"on loopback, on the same 2 cores: {requests_:,} requests, none failed, {rps:,.1f} requests/s, "
            f"p50/p95/p99 {float(total['50%']):,.0f}/{float(total['95%']):,.0f}/{float(total['99%']):,.0f} ms. "
            f"Ours = wall time per request at that throughput; naive = the same pages one at a time in process "
            f"(Django test client); queries = one visit to each page (the most of the four levels)")
    return Comparison(ours, naive, note, extra={"users": users, "seconds": seconds, "workers": WORKERS,
                                                "rps": rps, "requests": requests_, "pages": pages})
