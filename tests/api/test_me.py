"""/api/v1/me/: the caller, their memberships with role actions, and the token in use."""
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from orgtree.models import Membership, Role
from tests.api.helpers import assert_json_error, session_client, token_client

pytestmark = pytest.mark.django_db

ME = reverse("api:me")


def test_me_by_session(tree):
    body = session_client(tree.user("himlam.chair")).get(ME).json()
    assert body["username"] == "himlam.chair"
    assert body["is_superuser"] is False
    assert body["token"] is None
    [membership] = body["memberships"]
    assert membership["unit"] == {"code": "03127", "name": "Ủy ban MTTQ Việt Nam phường Him Lam"}
    assert membership["role"]["code"] == "chair"
    assert membership["role"]["actions"] == ["view", "add", "change", "delete", "manage"]


def test_me_by_token_shows_the_token(tree):
    client, _ = token_client(tree.user("db.chair"), name="báo cáo", unit=tree["094"])
    body = client.get(ME).json()
    assert body["username"] == "db.chair"
    assert body["token"] == {
        "name": "báo cáo", "unit": {"code": "094", "name": "Ủy ban MTTQ Việt Nam thành phố Điện Biên Phủ"},
        "read_only": True, "expires_at": None,
    }


def test_me_needs_authentication(tree):
    assert_json_error(APIClient().get(ME), 401, "not_authenticated")


def test_me_costs_the_same_for_one_or_many_memberships(tree, django_assert_max_num_queries):
    one = tree.user("db.viewer")
    many = tree.user("dbp.cadre")
    viewer = Role.objects.get(code="viewer")
    for code in ("095", "03151", "11-HND", "01", "00001"):
        Membership.objects.create(user=many, unit=tree[code], role=viewer)

    counts = {}
    for user, expected_memberships in ((one, 1), (many, 6)):
        client = session_client(user)
        with django_assert_max_num_queries(6) as captured:  # session, user, memberships
            response = client.get(ME)
        assert len(response.json()["memberships"]) == expected_memberships
        counts[user.username] = len(captured)
    assert counts["db.viewer"] == counts["dbp.cadre"]
