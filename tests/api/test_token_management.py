"""/api/v1/tokens/: the signed-in user's own tokens; the key is shown once."""
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from mttq_platform.models import ApiToken
from tests.api.helpers import assert_json_error, session_client, token_client

pytestmark = pytest.mark.django_db

TOKENS = reverse("api:apitoken-list")
ME = reverse("api:me")


def token_url(token_id):
    return reverse("api:apitoken-detail", kwargs={"pk": token_id})


def test_create_shows_the_key_once_and_the_key_works(tree):
    client = session_client(tree.user("db.chair"))
    response = client.post(TOKENS, {"name": "thống kê", "unit": "094", "read_only": True}, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    key = created["key"]
    assert key.startswith(created["key_hint"]) and created["unit"] == "094"

    listed = client.get(TOKENS).json()["results"]
    assert [row["id"] for row in listed] == [created["id"]]
    assert "key" not in listed[0]
    assert "key" not in client.get(token_url(created["id"])).json()

    me = APIClient().get(ME, HTTP_AUTHORIZATION=f"Token {key}").json()
    assert me["token"]["unit"]["code"] == "094"


@pytest.mark.parametrize("unit", ["01", "TW", "nope"])  # unrelated, ancestor (readable, not actable), unknown
def test_scope_must_be_a_unit_the_user_acts_for(tree, unit):
    response = session_client(tree.user("db.chair")).post(TOKENS, {"name": "x", "unit": unit}, format="json")
    error = assert_json_error(response, 400, "invalid")
    assert "unit" in error["detail"]
    assert not ApiToken.objects.filter(user=tree.user("db.chair")).exists()


def test_revoke(tree):
    user = tree.user("db.chair")
    token_user_client, token = token_client(user)
    assert token_user_client.get(ME).status_code == 200

    response = session_client(user).delete(token_url(token.pk))
    assert response.status_code == 204
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert_json_error(token_user_client.get(ME), 401, "authentication_failed")
    assert session_client(user).get(TOKENS).json()["count"] == 0


def test_other_users_tokens_are_invisible(tree):
    _, token = token_client(tree.user("hn.chair"))
    client = session_client(tree.user("db.chair"))
    assert client.get(TOKENS).json()["count"] == 0
    assert_json_error(client.get(token_url(token.pk)), 404, "not_found")
    assert_json_error(client.delete(token_url(token.pk)), 404, "not_found")
    token.refresh_from_db()
    assert token.revoked_at is None


def test_tokens_cannot_manage_tokens(tree):
    client, _ = token_client(tree.user("db.chair"), read_only=False)
    assert_json_error(client.get(TOKENS), 403, "not_authenticated")
    assert_json_error(client.post(TOKENS, {"name": "x"}, format="json"), 403, "not_authenticated")
