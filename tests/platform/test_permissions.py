"""The one permission mechanism: memberships, role actions, guardian grants with expiry, token
scope, superusers, the auth backend, and the constant cost of a check."""
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from guardian.shortcuts import assign_perm

from mttq_platform.models import ApiToken
from mttq_platform.permissions import ACTIONS, can, scope_cache
from orgtree.models import OrgUnit, OrgUnitUserObjectPermission
from tests.api.fixtures import module_tree, tree  # noqa: F401  (one tree per module)

pytestmark = pytest.mark.django_db

DIEN_BIEN = {"11", "094", "03124", "03127", "095", "03151", "11-LDLD", "11-HND", "11-HLHPN", "11-DTN", "11-HCCB"}


def visible(user, action="view", **kwargs) -> set[str]:
    return set(OrgUnit.objects.restrict(user, action, **kwargs).values_list("code", flat=True))


def all_codes() -> set[str]:
    return set(OrgUnit.objects.values_list("code", flat=True))


# -- memberships --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "username, subtree, above",
    [
        ("tw.analyst", None, set()),  # None: the whole tree
        ("db.viewer", DIEN_BIEN, {"TW"}),
        ("db.hnd.liaison", {"11-HND"}, {"TW", "11"}),
        ("dbp.cadre", {"094", "03124", "03127"}, {"TW", "11"}),
        ("himlam.cadre", {"03127"}, {"TW", "11", "094"}),
        ("hn.chair", {"01", "001", "00001"}, {"TW"}),
    ],
)
def test_membership_reads_the_subtree_and_names_above(tree, username, subtree, above):
    user = tree.user(username)
    subtree = all_codes() if subtree is None else subtree
    assert visible(user, with_extra=False) == subtree
    assert visible(user) == subtree | above


@pytest.mark.parametrize(
    "username, unit, allowed",
    [
        ("db.chair", "11", {"view", "add", "change", "delete", "manage"}),
        ("db.cadre", "11", {"view", "add", "change", "delete"}),
        ("db.hnd.liaison", "11-HND", {"view", "add", "change"}),
        ("db.viewer", "11", {"view"}),
        ("tw.analyst", "TW", {"view"}),
        ("himlam.chair", "03127", {"view", "add", "change", "delete", "manage"}),
        # Role actions stop at the member's own unit: read only below, nothing above.
        ("db.chair", "094", {"view"}),
        ("db.chair", "03127", {"view"}),
        ("himlam.chair", "094", {"view"}),
        ("himlam.chair", "03124", set()),
        ("db.chair", "01", set()),
    ],
)
def test_role_actions_apply_to_the_own_unit_only(tree, username, unit, allowed):
    user, target = tree.user(username), tree[unit]
    assert {action for action in ACTIONS if can(user, action, target)} == allowed


def test_anonymous_and_inactive_users_see_nothing(tree):
    assert visible(AnonymousUser()) == set()
    assert visible(None) == set()
    user = tree.user("db.chair")
    user.is_active = False
    try:
        assert visible(user) == set()
    finally:
        user.is_active = True


def test_unknown_action_is_an_error(tree):
    with pytest.raises(ValueError):
        OrgUnit.objects.restrict(tree.user("db.chair"), "approve")


def test_superuser_sees_and_acts_on_everything(tree):
    root = tree.user("root")
    for action in ACTIONS:
        assert visible(root, action) == all_codes()


# -- guardian grants ----------------------------------------------------------------------------

def test_guardian_grant_reads_the_granted_subtree(tree):
    user = tree.user("hn.chair")
    grant = assign_perm("view_orgunit", user, tree["094"])
    assert isinstance(grant, OrgUnitUserObjectPermission)  # the direct-FK model, not the generic one
    assert visible(user, with_extra=False) == {"01", "001", "00001", "094", "03124", "03127"}
    assert not can(user, "view", tree["11"]) and not can(user, "view", tree["095"])
    assert not can(user, "change", tree["094"])


def test_guardian_action_grant_covers_the_subtree(tree):
    user = tree.user("db.viewer")
    assign_perm("change_orgunit", user, tree["094"])
    assert visible(user, "change") == {"094", "03124", "03127"}
    assert visible(user, "delete") == set()


def test_expired_grant_gives_nothing(tree):
    user = tree.user("hn.chair")
    grant = assign_perm("view_orgunit", user, tree["094"])
    grant.expires_at = timezone.now() - timedelta(seconds=1)
    grant.save()
    assert visible(user, with_extra=False) == {"01", "001", "00001"}

    grant.expires_at = timezone.now() + timedelta(hours=1)
    grant.save()
    assert "094" in visible(user)


# -- tokens -------------------------------------------------------------------------------------

def with_token(user, **fields):
    user.api_token, _ = ApiToken.issue(user, "t", **fields)
    return user


def test_token_scope_narrows(tree):
    user = with_token(tree.user("db.chair"), unit=tree["094"], read_only=False)
    try:
        assert visible(user) == {"094", "03124", "03127"}
        assert visible(user, "manage") == set()  # the chair manages 11, outside the scope
    finally:
        del user.api_token


def test_token_scope_never_widens(tree):
    user = with_token(tree.user("himlam.cadre"), unit=tree["TW"], read_only=False)
    try:
        assert visible(user) == {"TW", "11", "094", "03127"}
        assert visible(user, "change") == {"03127"}
    finally:
        del user.api_token


def test_read_only_token_reads_but_never_acts(tree):
    user = with_token(tree.user("db.chair"))
    try:
        assert visible(user) == DIEN_BIEN | {"TW"}
        for action in ACTIONS[1:]:
            assert visible(user, action) == set()
    finally:
        del user.api_token


# -- the auth backend agrees with the restriction -----------------------------------------------

def test_has_perm_agrees_with_restrict(tree):
    assign_perm("change_orgunit", tree.user("db.viewer"), tree["095"])
    units = list(OrgUnit.objects.all())
    for username in ("tw.analyst", "db.chair", "db.viewer", "db.hnd.liaison", "himlam.cadre", "hn.chair", "root"):
        user = tree.user(username)
        for action in ACTIONS:
            allowed = visible(user, action)
            assert {u.code for u in units if user.has_perm(f"orgtree.{action}_orgunit", u)} == allowed, (username, action)


def test_has_perm_without_object_or_with_unknown_action_is_false(tree):
    user = tree.user("db.chair")
    assert not user.has_perm("orgtree.approve_orgunit", tree["11"])
    assert not user.has_perm("orgtree.view_orgunit")  # model-level: no row in auth_permission for them


# -- constant cost ------------------------------------------------------------------------------

def test_a_check_costs_the_same_queries_at_any_depth(tree, django_assert_num_queries, django_assert_max_num_queries):
    """Two queries: the user's access scope (a few tree ranges), then the row by those ranges (none
    when the scope grants nothing for the action). Within a request the scope is read once, so
    every further check is at most one query."""
    cases = [
        ("db.chair", "11"),  # province user, depth 1
        ("himlam.cadre", "03127"),  # commune user, depth 3 (the fourth level)
        ("himlam.cadre", "03124"),  # denied: same cost
        ("tw.analyst", "03151"),
    ]
    assign_perm("view_orgunit", tree.user("hn.chair"), tree["094"])
    cases.append(("hn.chair", "03127"))  # through a guardian grant
    for username, code in cases:
        user, unit = tree.user(username), tree[code]
        with django_assert_num_queries(2):
            can(user, "view", unit)
        with django_assert_max_num_queries(2):
            can(user, "manage", unit)
        with scope_cache():
            can(user, "view", unit)
            with django_assert_max_num_queries(1):
                can(user, "manage", unit)
