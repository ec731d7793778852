"""Token authentication: the scope narrows the user's rights, read-only tokens cannot write,
and unusable tokens are refused with the JSON error."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIClient, APIRequestFactory

from mttq_platform.api.viewsets import RestrictedModelViewSet
from mttq_platform.models import ApiToken
from orgtree.models import Membership, Role
from tests.api.helpers import assert_json_error, result_codes, token_client

pytestmark = pytest.mark.django_db

LIST = reverse("api:orgunit-list")


def detail(code):
    return reverse("api:orgunit-detail", kwargs={"code": code})


@pytest.mark.parametrize("keyword", ["Token", "Bearer", "token"])
def test_token_keywords(tree, keyword):
    key = issue_key(tree, "db.viewer")
    response = APIClient().get(LIST, HTTP_AUTHORIZATION=f"{keyword} {key}")
    assert "11" in result_codes(response)


def test_token_scoped_to_a_unit_sees_only_its_subtree(tree):
    client, _ = token_client(tree.user("db.chair"), unit=tree["094"])
    assert set(result_codes(client.get(LIST))) == {"094", "03124", "03127"}
    for code in ("11", "095", "TW", "01"):  # all visible to the chair without the token
        assert_json_error(client.get(detail(code)), 404, "not_found")


def test_token_scope_is_intersected_with_the_users_rights(tree):
    # A commune cadre's token scoped to the whole province still shows only what the cadre may see.
    client, _ = token_client(tree.user("himlam.cadre"), unit=tree["11"])
    assert result_codes(client.get(LIST)) == ["11", "094", "03127"]


def test_token_without_scope_has_the_users_rights(tree):
    client, _ = token_client(tree.user("dbp.cadre"))
    assert set(result_codes(client.get(LIST))) == {"TW", "11", "094", "03124", "03127"}


@pytest.mark.parametrize(
    "token_fields, code",
    [
        ({"expires_at": timezone.now() - timedelta(minutes=1)}, "authentication_failed"),
        ({"revoked": True}, "authentication_failed"),
    ],
)
def test_unusable_tokens_are_refused(tree, token_fields, code):
    revoked = token_fields.pop("revoked", False)
    client, token = token_client(tree.user("db.chair"), **token_fields)
    if revoked:
        token.revoke()
    assert_json_error(client.get(LIST), 401, code)


@pytest.mark.parametrize("header", ["Token not-a-key", "Token", "Token a b"])
def test_bad_token_headers(tree, header):
    response = APIClient().get(LIST, HTTP_AUTHORIZATION=header)
    assert_json_error(response, 401, "authentication_failed")


def test_token_of_inactive_user_is_refused(tree):
    user = tree.user("db.viewer")
    client, _ = token_client(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert_json_error(client.get(LIST), 401, "authentication_failed")


def test_no_credentials_is_401_with_challenge(tree):
    response = APIClient().get(LIST)
    assert_json_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_use_is_recorded(tree):
    client, token = token_client(tree.user("db.viewer"))
    client.get(LIST)
    token.refresh_from_db()
    assert token.last_used_at is not None


# -- writes through the base viewset ---------------------------------------------------------
# No API v1 endpoint writes yet; this viewset over memberships (a model that belongs to a unit)
# goes through the same base class every writing endpoint will use.

class MembershipSerializer(serializers.ModelSerializer):
    class Meta:
        model = Membership
        fields = ["id", "user", "unit", "role"]


class MembershipViewSet(RestrictedModelViewSet):
    queryset = Membership.objects.all()
    serializer_class = MembershipSerializer


def post_membership(tree, key, unit_code):
    request = APIRequestFactory().post(
        "/api/v1/memberships/",
        {"user": tree.user("hn.chair").pk, "unit": tree[unit_code].pk, "role": Role.objects.get(code="viewer").pk},
        format="json",
        HTTP_AUTHORIZATION=f"Token {key}",
    )
    return MembershipViewSet.as_view({"post": "create"})(request).render()


def issue_key(tree, username="db.chair", **fields):
    return ApiToken.issue(tree.user(username), "writer", **fields)[1]


def test_read_only_token_cannot_write(tree):
    response = post_membership(tree, issue_key(tree, read_only=True), "11")
    assert_json_error(response, 403, "token_read_only")
    assert not Membership.objects.filter(user=tree.user("hn.chair"), unit=tree["11"]).exists()


def test_read_write_token_writes_where_the_role_allows(tree):
    response = post_membership(tree, issue_key(tree, read_only=False), "11")
    assert response.status_code == 201, response.data
    assert Membership.objects.filter(pk=response.data["id"]).exists()


@pytest.mark.parametrize(
    "token_fields, unit_code",
    [
        ({}, "094"),  # the chair of 11 may read 094 but not add to it
        ({"unit": "094"}, "11"),  # the token's scope excludes the chair's own unit
        ({}, "01"),  # unrelated province
    ],
)
def test_write_outside_rights_is_rolled_back(tree, token_fields, unit_code):
    if "unit" in token_fields:
        token_fields["unit"] = tree[token_fields["unit"]]
    before = Membership.objects.count()
    response = post_membership(tree, issue_key(tree, read_only=False, **token_fields), unit_code)
    assert_json_error(response, 403, "permission_denied")
    assert Membership.objects.count() == before
