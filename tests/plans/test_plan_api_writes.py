"""Writes on plans over the API: import a real plan file, issue it, send it down the tree. Each is
checked by the service against the caller's action on the unit; a read-only token writes nothing."""
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from mttq_platform.models import ApiToken
from plans.models import Dispatch, DocumentStatus, PlanDocument
from tests.api.helpers import assert_json_error

pytestmark = pytest.mark.django_db

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "seeds" / "000_bc0227de9fac2d55.txt"


def client(user):
    api = APIClient()
    api.force_login(user)
    return api


def upload(api, unit="11", content=None, name="ke-hoach.txt"):
    data = SEED.read_bytes() if content is None else content
    return api.post("/api/v1/plans/import/", {"unit": unit, "file": SimpleUploadedFile(name, data)}, format="multipart")


def test_import_issue_and_send_as_the_province_chair(tree):
    api = client(tree.user("db.chair"))
    response = upload(api)
    assert response.status_code == 201, response.content[:300]
    body = response.json()
    assert body["status"] == "draft" and len(body["tasks"]) == 16 and len(body["recipients"]) == 13
    uuid = body["uuid"]

    assert api.post(f"/api/v1/plans/{uuid}/issue/").json()["status"] == "issued"
    sent = api.post(f"/api/v1/plans/{uuid}/send/", {"levels": ["commune"], "note": "Triển khai"}, format="json")
    assert sent.status_code == 201
    dispatch = Dispatch.objects.get(pk=sent.json()["id"])
    assert set(dispatch.items.values_list("unit__code", flat=True)) == {"03124", "03127", "03151"}


def test_a_bad_file_is_refused_in_both_languages_and_saves_nothing(tree):
    before = PlanDocument.objects.count()
    response = upload(client(tree.user("db.chair")), content=b"\x00\x01\x02 not a plan \xff", name="rac.txt")
    error = assert_json_error(response, 400, "invalid")
    assert error["detail"]["file"]
    assert PlanDocument.objects.count() == before


def test_who_may_not(tree):
    assert_json_error(upload(client(tree.user("db.viewer"))), 403, "permission_denied")  # no "add"
    assert_json_error(upload(client(tree.user("himlam.cadre")), unit="11"), 404, "not_found")  # acts below only
    assert_json_error(upload(client(tree.user("hn.chair")), unit="11"), 404, "not_found")  # another province
    _, key = ApiToken.issue(tree.user("db.chair"), "t", read_only=True)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert_json_error(upload(api), 403, "token_read_only")

    plan = PlanDocument.objects.create(unit=tree["11"], title="Dự thảo")
    assert_json_error(client(tree.user("db.cadre")).post(f"/api/v1/plans/{plan.uuid}/issue/"), 403, "permission_denied")
    assert_json_error(client(tree.user("hn.chair")).post(f"/api/v1/plans/{plan.uuid}/issue/"), 404, "not_found")
    draft_send = client(tree.user("db.chair")).post(f"/api/v1/plans/{plan.uuid}/send/", {}, format="json")
    assert_json_error(draft_send, 400, "invalid")  # a draft is not sent
    assert PlanDocument.objects.get(pk=plan.pk).status == DocumentStatus.DRAFT
