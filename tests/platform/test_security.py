"""Hardening: security headers and the content security policy on pages and the API, the API rate
limit per token, the error page without traceback, and archive checks of the plan import."""
import io
import json
import re
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import path

from mttq_platform import urls as platform_urls
from plans.services.importing import PlanImportError, check_plan_content
from tests.api.helpers import assert_json_error, token_client
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return get_user_model().objects.create_user("himlam.cadre", password=PASSWORD)


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


def assert_hardened(response):
    csp = policy(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["base-uri"] == ["'self'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]


def test_headers_and_csp_on_a_page_and_the_api(client, user):
    login_page = client.get("/accounts/login/")
    assert login_page.status_code == 200
    assert_hardened(login_page)
    html = login_page.content.decode()
    # Nothing inline for the policy to refuse: scripts come from files, no style blocks or attributes.
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", html) == []
    assert "<style" not in html and not re.search(r"\sstyle=", html) and not re.search(r"\son[a-z]+=", html)

    api, _token = token_client(user)
    me = api.get("/api/v1/me/")
    assert me.status_code == 200
    assert_hardened(me)
    assert_hardened(api.get("/api/v1/no-such-thing/"))  # error answers too


def test_only_the_api_docs_and_the_admin_allow_inline_styles_and_nothing_inline_scripts(client):
    root = get_user_model().objects.create_superuser("root", password=PASSWORD)
    client.force_login(root)
    for path in ("/admin/", "/admin/orgtree/orgunit/"):
        admin_page = client.get(path)
        assert admin_page.status_code == 200
        assert policy(admin_page)["script-src"] == ["'self'"]
        assert policy(admin_page)["style-src"] == ["'self'", "'unsafe-inline'"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", docs.content.decode()) == []
    csp = policy(docs)
    assert csp["script-src"] == ["'self'"]
    assert "'unsafe-inline'" in csp["style-src"]
    start_up = client.get("/api/docs/?script=")
    assert start_up.status_code == 200 and start_up["Content-Type"].startswith("application/javascript")


def test_api_rate_limit_per_token_answers_429_with_retry_after(settings, user):
    settings.API_RATE_PER_TOKEN = "3/min"
    first, _ = token_client(user)
    second, _ = token_client(user)
    assert [first.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 200]
    refused = first.get("/api/v1/me/")
    error = assert_json_error(refused, 429, "throttled")
    assert error["message"].startswith("Quá nhiều yêu cầu")
    assert 0 < int(refused["Retry-After"]) <= 60
    # Counted per token: the same user's other token is not refused.
    assert second.get("/api/v1/me/").status_code == 200

    settings.API_RATE_PER_TOKEN = ""  # empty: no limit
    assert first.get("/api/v1/me/").status_code == 200


def _crash(request):
    raise RuntimeError("secret detail that must not reach the browser")


urlpatterns = [path("boom/", _crash), path("api/boom/", _crash), *platform_urls.urlpatterns]
handler500 = platform_urls.handler500


@pytest.mark.urls(__name__)
def test_a_crash_answers_the_platform_error_page_without_traceback(settings):
    assert settings.DEBUG is False
    client = Client(raise_request_exception=False)
    page = client.get("/boom/")
    assert page.status_code == 500
    html = page.content.decode()
    assert "Đã xảy ra lỗi ở máy chủ" in html
    assert "Traceback" not in html and "secret detail" not in html and "RuntimeError" not in html
    api = client.get("/api/boom/")
    assert assert_json_error(api, 500, "server_error")
    assert "secret detail" not in json.dumps(api.json())


def _docx(extra: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        for name, data in extra.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_plan_import_refuses_archive_bombs_and_macros_like_evidence_uploads(settings):
    settings.EVIDENCE_MAX_UNZIPPED_BYTES = 100_000
    assert check_plan_content("ke-hoach.docx", _docx({})) == "docx"
    bomb = _docx({"word/media/zeros.bin": bytes(200_000)})
    assert len(bomb) < 5_000  # small on the wire, large once inflated
    with pytest.raises(PlanImportError) as refused:
        check_plan_content("ke-hoach.docx", bomb)
    assert "giải nén ra quá lớn" in refused.value.vietnamese and "expands" in refused.value.english
    with pytest.raises(PlanImportError) as refused:
        check_plan_content("ke-hoach.docx", _docx({"word/vbaProject.bin": b"macro"}))
    assert "macro" in refused.value.vietnamese
