"""deploy/: the production layout checked with the real tools, offline.

- gunicorn started with deploy/gunicorn.conf.py in production mode against the test database:
  the login page, a real login, the HTTPS redirect, and a hashed static file from WhiteNoise;
- `manage.py check --deploy --fail-level WARNING` clean with the production settings, and the
  production mode refusing to start without its secrets;
- the compose file against the compose-spec JSON schema and through `docker compose config` (or
  Debian's `docker-compose`, which .ci/run installs), the Kubernetes manifests against kubernetes-validate's bundled schemas, the
  systemd units through `systemd-analyze verify`, the nginx configuration through `nginx -t`;
- every Celery queue the settings declare has its workers in each layout, and beat is one.
"""
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookies import SimpleCookie
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
HOST = "mttq.test"
KUBERNETES_VERSION = "1.30"
# Static files the served pages do not use: left out of the test's collectstatic, which would
# otherwise compress 40 MB (Swagger UI, admin) for minutes.
UNUSED_STATIC = ["drf_spectacular_sidecar", "admin", "rest_framework", "django_htmx"]


def production_env(**extra) -> dict:
    """The environment of a production process, pointed at this test run's database and broker."""
    database = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    test_database = database._replace(path="/" + settings.DATABASES["default"]["NAME"]).geturl()
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": HOST,
        "DATABASE_URL": test_database,
        "CELERY_BROKER_URL": os.environ["CELERY_BROKER_URL"],
        **extra,
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)  # manage.py and wsgi.py set it
    # The browser tests set this in the test process (Playwright's sync API runs an event loop); a
    # production process never has it, and `check --deploy` rightly refuses it.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def manage(*args, env: dict, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """HTTP to the gunicorn under test as nginx would send it: the public Host, X-Forwarded-Proto.
    Cookies are kept by hand: they are Secure, and a cookie jar would not send them over plain
    HTTP to the loopback (TLS ends at nginx)."""

    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}"
        self.cookies = SimpleCookie()
        self.opener = urllib.request.build_opener(NoRedirect)

    def request(self, path: str, data: dict | None = None, proxied: bool = True, headers: dict | None = None):
        all_headers = {"Host": HOST, **(headers or {})}
        if proxied:
            all_headers["X-Forwarded-Proto"] = "https"
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{name}={morsel.value}" for name, morsel in self.cookies.items())
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=all_headers)
        try:
            response = self.opener.open(request, timeout=30)
        except urllib.error.HTTPError as answer:  # 3xx/4xx are answers here, not failures
            response = answer
        with response:
            for cookie in response.headers.get_all("Set-Cookie") or []:
                self.cookies.load(cookie)
            return response.status, response.headers, response.read()


@pytest.fixture
def gunicorn(transactional_db, tmp_path):
    """gunicorn with the shipped config, production settings, the test database, static files
    collected (hashed and compressed) into a temporary STATIC_ROOT."""
    port = free_port()
    env = production_env(STATIC_ROOT=str(tmp_path / "static"), GUNICORN_BIND=f"127.0.0.1:{port}",
                         GUNICORN_WORKERS="1", MTTQ_DATA_DIR=str(tmp_path / "data"))
    ignored = [arg for name in UNUSED_STATIC for arg in ("--ignore", name)]
    collected = manage("collectstatic", "--noinput", "--verbosity", "0", *ignored, env=env)
    assert collected.returncode == 0, collected.stderr
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "--config", str(DEPLOY / "gunicorn.conf.py")],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60  # start-up on a loaded machine, not a measured figure
        while True:
            assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "gunicorn.log").read_text()
                time.sleep(0.2)
        yield Client(port), tmp_path / "static", env
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_gunicorn_serves_pages_logins_and_static_files(gunicorn, django_user_model, settings):
    client, static_root, env = gunicorn
    # The suite hashes with MD5 for speed; the server runs the production hashers.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    django_user_model.objects.create_user("canbo.deploy", password="mat-khau-trien-khai-2026")

    status, headers, body = client.request("/accounts/login/")
    assert status == 200
    assert b'name="username"' in body
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")

    # A real login through the test database; CSRF over HTTPS checks the Origin.
    status, headers, _ = client.request(
        "/accounts/login/",
        {"username": "canbo.deploy", "password": "mat-khau-trien-khai-2026",
         "csrfmiddlewaretoken": client.cookies["csrftoken"].value},
        headers={"Origin": f"https://{HOST}", "Referer": f"https://{HOST}/accounts/login/"},
    )
    assert status == 302, headers
    assert client.cookies["sessionid"]["secure"] and client.cookies["csrftoken"]["secure"]

    # Plain HTTP is sent to HTTPS, except the probes' /health/.
    status, headers, _ = client.request("/accounts/login/", proxied=False)
    assert status == 301 and headers["Location"] == f"https://{HOST}/accounts/login/"
    status, _, _ = client.request("/health/", proxied=False)
    assert status == 200
    # The containers' health check (compose) asks the same, with the Host it reads from the settings.
    port = client.base.rsplit(":", 1)[1]
    check = subprocess.run([sys.executable, str(DEPLOY / "healthcheck.py"), "/health/"],
                           env={**env, "PORT": port}, capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr

    # The page links the hashed name; WhiteNoise serves it compressed and cacheable for ever.
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    hashed_css = manifest["css/mttq.css"]
    assert hashed_css != "css/mttq.css"
    status, headers, body = client.request("/static/" + hashed_css, headers={"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert "immutable" in headers["Cache-Control"] and "max-age=315360000" in headers["Cache-Control"]
    assert client.request("/static/" + hashed_css.replace(".css", ".missing.css"))[0] == 404


def test_check_deploy_is_clean_in_production_and_debug_cannot_be_turned_on():
    # DEBUG=true must be ignored in production (check --deploy would report security.W018).
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(DEBUG="true"), timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_its_secrets():
    env = production_env()
    for name in ("SECRET_KEY", "DATABASE_URL"):
        env.pop(name)
    result = manage("check", env=env, timeout=120)
    assert result.returncode != 0
    assert "DJANGO_ENV=production cần đặt các biến môi trường: SECRET_KEY, DATABASE_URL" in result.stderr
    assert "needs these environment variables: SECRET_KEY, DATABASE_URL" in result.stderr


# --- Celery queues -----------------------------------------------------------------------------

def declared_queues() -> set[str]:
    return {queue.name for queue in settings.CELERY_TASK_QUEUES}


def test_heavy_and_federation_tasks_leave_the_default_queue():
    from mttq_platform.celery import app

    def queue_of(task_name: str) -> str:
        route = app.amqp.router.route({}, task_name)
        return route["queue"].name

    assert queue_of("plans.derive_subtree") == "heavy"
    assert queue_of("reviews.rebuild_rollup") == "heavy"
    assert {queue_of(name) for name in ("sync.deliver", "sync.deliver_all", "sync.pull", "sync.pull_all")} == {"sync"}
    assert {queue_of(name) for name in ("reviews.send_reminders", "orgtree.expire_object_grants",
                                        "inspections.close_access_windows")} == {"default"}
    assert declared_queues() == {"default", "heavy", "sync"}


# --- Docker image ---------------------------------------------------------------------------

def test_image_runs_as_a_user_and_its_commands_name_files_that_exist():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", dockerfile, re.M)
    user = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert user and user[-1].split(":")[0] not in ("root", "0")
    assert "collectstatic" in dockerfile
    # The image installs the hash-checked run-time lock, and nothing that pip would resolve again.
    installs = re.findall(r"pip install (.+)", dockerfile)
    assert any("--require-hashes" in line and "-r requirements.lock" in line and "--no-deps" in line for line in installs)
    assert all("--no-deps" in line or line.startswith("--upgrade pip") for line in installs), installs
    # Every /app/... path a layout runs must exist in the repository (the image copies it to /app).
    layouts = [ROOT / "Dockerfile", DEPLOY / "docker-compose.yml", *sorted((DEPLOY / "k8s").glob("*.yaml"))]
    referenced = {path for layout in layouts for path in re.findall(r"/app/([\w./-]+\.py)", layout.read_text())}
    assert referenced >= {"deploy/gunicorn.conf.py", "deploy/healthcheck.py"}
    assert [path for path in referenced if not (ROOT / path).is_file()] == []


# --- Docker Compose ---------------------------------------------------------------------------

def compose_file() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def worker_queues(commands: list[list[str]]) -> set[str]:
    """The queues named after --queues in Celery worker command lines."""
    return {command[command.index("--queues") + 1] for command in commands if "worker" in command}


def test_compose_file_follows_the_compose_specification():
    schema = json.loads((SCHEMAS / "compose-spec.json").read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    compose = compose_file()
    errors = [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(compose)]
    assert errors == []

    services = compose["services"]
    for name, service in services.items():
        assert set(service.get("depends_on", {})) <= set(services), name
        named_volumes = {volume.split(":")[0] for volume in service.get("volumes", []) if not volume.startswith(".")}
        assert named_volumes <= set(compose["volumes"]), name
    assert worker_queues([service.get("command", []) for service in services.values()]) == declared_queues()
    beats = [name for name, service in services.items() if "beat" in service.get("command", [])]
    assert beats == ["beat"] and services["beat"]["deploy"]["replicas"] == 1
    # Evidence files are never in a volume nginx publishes.
    assert not any("private" in volume for volume in services["nginx"]["volumes"])


def test_compose_specification_check_catches_a_mistake():
    schema = json.loads((SCHEMAS / "compose-spec.json").read_text())
    compose = compose_file()
    compose["services"]["web"]["restrat"] = "always"
    assert not jsonschema.validators.validator_for(schema)(schema).is_valid(compose)


def compose_command() -> list[str] | None:
    """The Compose v2 plugin, else Compose v1 (Debian's docker-compose): both must accept the file."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    return [legacy] if (legacy := shutil.which("docker-compose")) else None


def test_docker_compose_config_accepts_the_file(tmp_path):
    compose = compose_command()
    if compose is None:
        pytest.skip("neither `docker compose` nor `docker-compose` installed (the schema test above validates the file)")
    copy = shutil.copytree(DEPLOY, tmp_path / "deploy")
    shutil.copy(copy / "mttq.env.example", copy / "mttq.env")
    result = subprocess.run([*compose, "-p", "mttq", "-f", str(copy / "docker-compose.yml"), "config", "--quiet"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    # ... and refuses a broken one (a service that depends on one that does not exist).
    broken = compose_file()
    broken["services"]["web"]["depends_on"] = {"postgress": {"condition": "service_healthy"}}
    (copy / "docker-compose.yml").write_text(yaml.safe_dump(broken))
    result = subprocess.run([*compose, "-p", "mttq", "-f", str(copy / "docker-compose.yml"), "config", "--quiet"],
                            capture_output=True, text=True)
    assert result.returncode != 0 and "postgress" in result.stderr


# --- Kubernetes -------------------------------------------------------------------------------

def manifests() -> list[dict]:
    return [document for path in sorted((DEPLOY / "k8s").glob("*.yaml"))
            for document in yaml.safe_load_all(path.read_text()) if document]


def test_kubernetes_manifests_validate_offline():
    documents = manifests()
    assert {document["kind"] for document in documents} >= {
        "Deployment", "Service", "HorizontalPodAutoscaler", "Job", "ConfigMap", "Secret", "Ingress",
        "PersistentVolumeClaim"}
    for document in documents:
        # strict: an unknown or misspelt field is an error, not silently dropped by the cluster.
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_kubernetes_validation_catches_a_mistake():
    beat = next(d for d in manifests() if d["metadata"]["name"] == "mttq-beat")
    beat["spec"]["replica"] = 2
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(beat, KUBERNETES_VERSION, strict=True)


def test_kubernetes_scales_web_and_workers_but_runs_one_beat():
    documents = manifests()
    deployments = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Deployment"}
    scaled = {d["spec"]["scaleTargetRef"]["name"] for d in documents if d["kind"] == "HorizontalPodAutoscaler"}

    beat = deployments["mttq-beat"]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"]["type"] == "Recreate"
    assert "mttq-beat" not in scaled

    workers = [name for name in deployments if name.startswith("mttq-worker-")]
    assert scaled == {"mttq-web", *workers}
    commands = [c["command"] for d in deployments.values() for c in d["spec"]["template"]["spec"]["containers"]]
    assert worker_queues(commands) == declared_queues()
    # The ingress accepts an evidence file of the largest size the platform takes.
    ingress = next(d for d in documents if d["kind"] == "Ingress")
    body_limit = ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"]
    assert megabytes(body_limit) * 1024 * 1024 > settings.EVIDENCE_MAX_BYTES


def megabytes(size: str) -> int:
    match = re.fullmatch(r"(\d+)[mM]", size)
    assert match, size
    return int(match.group(1))


# --- systemd ----------------------------------------------------------------------------------

def test_systemd_units_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze is not installed")
    # verify checks that ExecStart's program exists: point the units at this virtualenv's.
    venv_bin = str(Path(sys.executable).parent) + "/"
    units = []
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        text = unit.read_text().replace("/srv/mttq/venv/bin/", venv_bin)
        names = [unit.name.replace("@.", f"@{queue}.") for queue in sorted(declared_queues())] if "@." in unit.name \
            else [unit.name]
        for name in names:
            (tmp_path / name).write_text(text)
            units.append(str(tmp_path / name))
    assert len(units) == 2 + len(declared_queues())
    result = subprocess.run([analyze, "verify", *units], capture_output=True, text=True, timeout=120)
    # verify exits 0 on unknown keys and bad values, only warning: any output is a failure.
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr
    assert "--queues %i" in (DEPLOY / "systemd" / "mttq-worker@.service").read_text()


# --- nginx ------------------------------------------------------------------------------------

def test_nginx_configuration(tmp_path):
    conf = (DEPLOY / "nginx" / "mttq.conf").read_text()
    body_limit = re.search(r"client_max_body_size (\w+);", conf).group(1)
    assert megabytes(body_limit) * 1024 * 1024 > settings.EVIDENCE_MAX_BYTES
    assert "/srv/mttq/private" not in conf and "alias /srv/mttq/media" not in conf

    nginx, openssl = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin"), shutil.which("openssl")
    if not (nginx and openssl):
        pytest.skip("nginx or openssl not installed: `nginx -t` not run")
    tls = tmp_path / "tls"
    tls.mkdir()
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=" + HOST,
                    "-keyout", str(tls / "mttq.key"), "-out", str(tls / "mttq.crt")], check=True, capture_output=True)
    (tmp_path / "mttq.conf").write_text(conf.replace("/etc/nginx/tls/", f"{tls}/"))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n include {DEPLOY}/nginx/upstream.conf;\n include {tmp_path}/mttq.conf;\n}}\n")
    result = subprocess.run([nginx, "-t", "-q", "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
