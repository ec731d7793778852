"""The one permission mechanism: which objects a user may see or act on.

Rules (ARCHITECTURE.md, "Tenancy and permissions"):
- a membership (user, unit, role) gives read access to the unit's whole subtree, and the role's
  actions (add, change, delete, manage) on the unit's own objects;
- an explicit django-guardian grant on a unit (optionally expiring) gives its action on that unit
  and its subtree; a grant on a single object of another model gives its action on that object;
- a membership also reads the subtrees of the units its unit took over from in a reform
  (orgtree.UnitSuccession: a new commune reads the plans and reports of the communes merged into it);
- a model may add more readable rows (issued documents of ancestors, the chain of parent units);
- superusers see everything; an API token narrows everything to its unit's subtree and, when
  read-only, to reading.

Every list, page and API endpoint goes through ``Model.objects.restrict(user, action)``. It reads
the user's access scope — their memberships and unexpired grants, a handful of tree ranges — in
one small query, then filters the rows by those ``tree_id/lft/rght`` ranges, which the
``(tree_id, lft, rght)`` index answers directly. So any check costs the same two queries at
commune depth as at province level, whatever the size of the tree
(docs/decisions/0001-one-restriction.md).
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.apps import apps
from django.db import connection, models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

ACTIONS = ("view", "add", "change", "delete", "manage")
READ = "view"


@dataclass(frozen=True)
class UnitRange:
    unit_id: int
    tree_id: int
    lft: int
    rght: int


@dataclass
class AccessScope:
    """What one user holds: memberships (unit range + role actions) and grants (unit range +
    action). Small: a person has a few memberships and a few temporary grants."""

    memberships: list[tuple[UnitRange, frozenset]] = field(default_factory=list)
    grants: list[tuple[UnitRange, str]] = field(default_factory=list)

    @classmethod
    def load(cls, user) -> "AccessScope":
        scope = cls()
        with connection.cursor() as cursor:
            # Expiry against the clock, not SQL now() (the start of the transaction).
            now = timezone.now()
            cursor.execute(_SCOPE_SQL.format(**_tables()), [user.pk, user.pk, now, now, user.pk, now, now, user.pk])
            for source, unit_id, tree_id, lft, rght, actions in cursor.fetchall():
                unit = UnitRange(unit_id, tree_id, lft, rght)
                if source == "m":
                    scope.memberships.append((unit, frozenset(actions)))
                else:
                    scope.grants.append((unit, actions[0]))
        return scope

    def q(self, prefix: str, action: str, with_ancestors: bool) -> Q:
        """Rows whose unit (reached by ``prefix``) is permitted; ``Q(pk__in=[])`` when none."""
        conditions = []
        if action == READ:
            conditions += [_within(unit, prefix) for unit, _ in self.memberships]
            if with_ancestors:
                conditions += [_above(unit, prefix) for unit, _ in self.memberships]
        else:
            own_units = [unit.unit_id for unit, actions in self.memberships if action in actions]
            if own_units:
                conditions.append(Q(**{f"{prefix}pk__in" if prefix else "pk__in": own_units}))
        conditions += [_within(unit, prefix) for unit, granted in self.grants if granted == action]
        return reduce(or_, conditions) if conditions else Q(pk__in=[])


# Within one request the scope is read once per user (AccessScopeMiddleware); outside a request
# (jobs, shell, tests calling restrict directly) it is read on every restrict().
_scope_cache: ContextVar[dict | None] = ContextVar("access_scope_cache", default=None)


@contextmanager
def scope_cache():
    token = _scope_cache.set({})
    try:
        yield
    finally:
        _scope_cache.reset(token)


def load_scope(user) -> AccessScope:
    cache = _scope_cache.get()
    if cache is None:
        return AccessScope.load(user)
    if user.pk not in cache:
        cache[user.pk] = AccessScope.load(user)
    return cache[user.pk]


def forget_scopes(**_signal_kwargs) -> None:
    """Drop cached scopes (a membership, role or grant changed during the request)."""
    cache = _scope_cache.get()
    if cache is not None:
        cache.clear()


class AccessScopeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with scope_cache():
            return self.get_response(request)


def _within(unit: UnitRange, prefix: str) -> Q:
    # lft inside the range is enough in a nested set, and it keeps the index scan bounded.
    return Q(**{f"{prefix}tree_id": unit.tree_id, f"{prefix}lft__gte": unit.lft, f"{prefix}lft__lte": unit.rght})


def _above(unit: UnitRange, prefix: str) -> Q:
    return Q(**{f"{prefix}tree_id": unit.tree_id, f"{prefix}lft__lte": unit.lft, f"{prefix}rght__gte": unit.rght})


def _tables():
    return {
        "unit": apps.get_model("orgtree", "OrgUnit")._meta.db_table,
        "membership": apps.get_model("orgtree", "Membership")._meta.db_table,
        "role": apps.get_model("orgtree", "Role")._meta.db_table,
        "user_grant": apps.get_model("orgtree", "OrgUnitUserObjectPermission")._meta.db_table,
        "group_grant": apps.get_model("orgtree", "OrgUnitGroupObjectPermission")._meta.db_table,
        "succession": apps.get_model("orgtree", "UnitSuccession")._meta.db_table,
    }


# Memberships, then grants to the user, then grants to the user's groups, then the units that the
# units of the user's memberships took over from (a reform's successions: a new commune reads the
# history of the communes merged into it, as a "view" grant on each). A grant's action is the first
# word of its permission codename ("view_orgunit" -> "view"). Values are parameters; table names
# come from the models.
_SCOPE_SQL = """
SELECT 'm', s.id, s.tree_id, s.lft, s.rght, r.actions
  FROM {membership} m JOIN {unit} s ON s.id = m.unit_id JOIN {role} r ON r.id = m.role_id
 WHERE m.user_id = %s
UNION ALL
SELECT 'g', s.id, s.tree_id, s.lft, s.rght, ARRAY[split_part(p.codename, '_', 1)]::varchar[]
  FROM {user_grant} g JOIN auth_permission p ON p.id = g.permission_id JOIN {unit} s ON s.id = g.content_object_id
 WHERE g.user_id = %s AND p.codename LIKE '%%\\_orgunit' AND (g.expires_at IS NULL OR g.expires_at > %s)
   AND (g.starts_at IS NULL OR g.starts_at <= %s)
UNION ALL
SELECT 'g', s.id, s.tree_id, s.lft, s.rght, ARRAY[split_part(p.codename, '_', 1)]::varchar[]
  FROM {group_grant} g JOIN auth_user_groups ug ON ug.group_id = g.group_id
  JOIN auth_permission p ON p.id = g.permission_id JOIN {unit} s ON s.id = g.content_object_id
 WHERE ug.user_id = %s AND p.codename LIKE '%%\\_orgunit' AND (g.expires_at IS NULL OR g.expires_at > %s)
   AND (g.starts_at IS NULL OR g.starts_at <= %s)
UNION ALL
SELECT 'g', s.id, s.tree_id, s.lft, s.rght, ARRAY['view']::varchar[]
  FROM {membership} m JOIN {succession} u ON u.successor_id = m.unit_id JOIN {unit} s ON s.id = u.predecessor_id
 WHERE m.user_id = %s
"""


def _in_window():
    """A grant in its window: started (or no start) and not expired (or no expiry)."""
    now = timezone.now()
    return (Q(expires_at__isnull=True) | Q(expires_at__gt=now)) & (Q(starts_at__isnull=True) | Q(starts_at__lte=now))


class RestrictedQuerySet(models.QuerySet):
    """Base queryset of every model that belongs to a unit.

    ``unit_path`` is the lookup from the model to its OrgUnit ("unit", "plan__unit", or "" for
    OrgUnit itself). ``object_grant_model`` names a guardian direct-FK model for grants on single
    objects of this model (for example a coordinating unit's right on one task).
    """

    unit_path = "unit"
    object_grant_model: str | None = None
    # Whether the units above the user's are readable for this model (OrgUnit: their names;
    # later models: issued documents of ancestors, combined with their own status condition).
    readable_from_ancestors = False

    # -- the one entry point ------------------------------------------------------------------
    def restrict(self, user, action: str = READ, *, with_extra: bool = True):
        """Rows ``user`` may ``action``. ``with_extra=False`` leaves out rows readable only as an
        ancestor's (the units above): what a user may *act for* as a tenant."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        token = getattr(user, "api_token", None)
        if token is not None and token.read_only and action != READ:
            return self.none()
        qs = self
        if not user.is_superuser:
            qs = qs.filter(self.access_q(user, action, with_extra=with_extra))
        if token is not None and token.unit_id is not None:
            token_unit = UnitRange(token.unit_id, token.unit.tree_id, token.unit.lft, token.unit.rght)
            qs = qs.filter(_within(token_unit, self._prefix()))
        return qs

    # -- building blocks ------------------------------------------------------------------------
    def _prefix(self) -> str:
        return f"{self.unit_path}__" if self.unit_path else ""

    def ancestor_readable_q(self, ancestors_q: Q) -> Q:
        """Narrow what is readable in the units above (override: ``ancestors_q & Q(status=...)``)."""
        return ancestors_q

    def object_grant_exists(self, user, action: str) -> Exists | None:
        if not self.object_grant_model:
            return None
        grant = apps.get_model(self.object_grant_model)
        return Exists(
            grant.objects.filter(
                _in_window(),
                user=user,
                permission__codename=f"{action}_{self.model._meta.model_name}",
                content_object=OuterRef("pk"),
            )
        )

    def access_q(self, user, action: str, with_extra: bool = True) -> Q:
        scope = load_scope(user)
        prefix = self._prefix()
        condition = scope.q(prefix, action, with_ancestors=False)
        if with_extra and action == READ and self.readable_from_ancestors and scope.memberships:
            ancestors = reduce(or_, [_above(unit, prefix) for unit, _ in scope.memberships])
            condition |= self.ancestor_readable_q(ancestors)
        object_grant = self.object_grant_exists(user, action)
        if object_grant is not None:
            condition |= object_grant
        return condition


def can(user, action: str, obj) -> bool:
    """Whether ``user`` may do ``action`` on ``obj``, through the same restriction."""
    manager = type(obj)._default_manager
    return manager.restrict(user, action).filter(pk=obj.pk).exists()


class UnitPermissionBackend:
    """``user.has_perm("app.change_model", obj)`` answered by the restriction above.

    Model-level permissions (obj=None) are left to Django's ModelBackend.
    """

    def authenticate(self, request, **credentials):
        return None

    def has_perm(self, user_obj, perm, obj=None):
        if obj is None or not hasattr(type(obj)._default_manager, "restrict"):
            return False
        action = perm.split(".", 1)[-1].split("_", 1)[0]
        if action not in ACTIONS:
            return False
        return can(user_obj, action, obj)

    def has_module_perms(self, user_obj, app_label):
        return False

    def get_all_permissions(self, user_obj, obj=None):
        return set()
