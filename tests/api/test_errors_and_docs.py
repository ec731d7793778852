"""Errors under /api/ are JSON everywhere; the schema generates cleanly; the docs need no internet."""
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from tests.api.helpers import assert_json_error, session_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/", "/api/nope/", "/api/v1/nope/", "/api/v2/units/"])
def test_unknown_api_urls_are_json_404(client, path):
    assert_json_error(client.get(path), 404, "not_found")


def test_pages_outside_the_api_keep_html_404(client, tree):
    client.force_login(tree.user("db.chair"))
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_csrf_failure_on_session_write_is_json_403(tree):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(tree.user("db.chair"))
    assert_json_error(client.post(reverse("api:apitoken-list"), {"name": "x"}, format="json"), 403, "permission_denied")


def test_validation_errors_carry_field_details(tree):
    response = session_client(tree.user("db.chair")).post(reverse("api:apitoken-list"), {}, format="json")
    assert list(assert_json_error(response, 400, "invalid")["detail"]) == ["name"]


def test_schema_generates_without_warnings(tmp_path):
    # --fail-on-warn raises on any warning or error of drf-spectacular.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    schema = (tmp_path / "schema.yaml").read_text()
    for path in ("/api/v1/units/{code}/children/", "/api/v1/units/{code}/ancestors/", "/api/v1/me/", "/api/v1/tokens/"):
        assert f"{path}:" in schema


def test_schema_endpoint(client):
    response = client.get(reverse("schema"))
    assert response.status_code == 200
    assert b"tokenAuth" in response.content


def test_docs_use_only_local_assets(client):
    response = client.get(reverse("swagger-ui"))
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"https?://", html), "the docs page must not load anything from the internet"
    assets = re.findall(r'(?:src|href)="/static/([^"]+)"', html)
    assert len(assets) >= 3
    for asset in assets:
        assert finders.find(asset), f"{asset} is not a vendored static file"
