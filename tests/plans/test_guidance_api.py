"""The inbox over the API: the receiving unit decides and acknowledges; nobody else can."""
import pytest
from rest_framework.test import APIClient

from mttq_platform.models import ApiToken
from plans.models import InboxItem, Task
from tests.api.helpers import assert_json_error
from tests.plans.test_guidance import amend, chain  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


def client(user):
    api = APIClient()
    api.force_login(user)
    return api


def test_the_commune_reads_its_changes_and_decides(chain, tree):
    item = amend(chain).items.get(unit__code="03127")
    api = client(tree.user("himlam.cadre"))
    listed = api.get("/api/v1/inbox/", {"unit__code": "03127"}).json()["results"]
    assert [row["id"] for row in listed] == [item.pk]
    changes = api.get(f"/api/v1/inbox/{item.pk}/changes/").json()
    assert {c["kind"] for c in changes} == {"changed", "added", "removed"}
    changed = next(c for c in changes if c["kind"] == "changed")
    assert changed["own_task"]["text"] == "Tuyên truyền ở phường"
    assert changed["after"]["text"] == "Tuyên truyền Chỉ thị 18 và Kết luận 118"

    response = api.post(f"/api/v1/inbox/{item.pk}/decide/", {"change": changed["key"], "choice": "apply"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "seen"
    assert Task.objects.get(uuid=changed["own_task"]["uuid"]).text == "Tuyên truyền Chỉ thị 18 và Kết luận 118"
    again = api.post(f"/api/v1/inbox/{item.pk}/decide/", {"change": changed["key"], "choice": "keep"}, format="json")
    assert_json_error(again, 400, "invalid")  # decided once, not twice

    assert api.post(f"/api/v1/inbox/{item.pk}/acknowledge/").json()["state"] == "acted"


def test_the_province_follows_up_but_cannot_act_for_the_commune(chain, tree):
    dispatch = amend(chain)
    item = dispatch.items.get(unit__code="03127")
    api = client(tree.user("db.chair"))
    rows = api.get(f"/api/v1/dispatches/{dispatch.pk}/follow-up/").json()
    assert {(row["unit"], row["state"]) for row in rows} == {("094", "unseen"), ("03127", "unseen")}
    assert_json_error(api.post(f"/api/v1/inbox/{item.pk}/acknowledge/"), 403, "permission_denied")
    assert InboxItem.objects.get(pk=item.pk).state == InboxItem.State.UNSEEN


def test_a_sibling_sees_nothing_and_a_read_only_token_writes_nothing(chain, tree):
    item = amend(chain).items.get(unit__code="03127")
    assert_json_error(client(tree.user("hn.chair")).get(f"/api/v1/inbox/{item.pk}/changes/"), 404, "not_found")
    assert_json_error(client(tree.user("hn.chair")).post(f"/api/v1/inbox/{item.pk}/acknowledge/"), 404, "not_found")
    _, key = ApiToken.issue(tree.user("himlam.cadre"), "t", read_only=True)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(f"/api/v1/inbox/{item.pk}/changes/").status_code == 200
    assert_json_error(api.post(f"/api/v1/inbox/{item.pk}/acknowledge/"), 403, "token_read_only")
