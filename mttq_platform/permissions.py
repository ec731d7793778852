"""The one permission mechanism: which objects a user may see or act on.

Rules (ARCHITECTURE.md, "Tenancy and permissions"):
- a membership (user, unit, role) gives read access to the unit's whole subtree, and the role's
  actions (add, change, delete, manage) on the unit's own objects;
- an explicit django-guardian grant on a unit (optionally expiring) gives its action on that unit
  and its subtree; a grant on a single object of another model gives its action on that object;
- a model may add more readable rows (issued documents of ancestors, the chain of parent units);
- superusers see everything; an API token narrows everything to its unit's subtree and, when
  read-only, to reading.

Every list, page and API endpoint goes through ``Model.objects.restrict(user, action)``: one SQL
query with EXISTS sub-queries over the tree's ``tree_id/lft/rght`` ranges, so a check costs the
same number of queries at commune depth as at province level, whatever the tree's size.
"""
from __future__ import annotations

from django.apps import apps
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

ACTIONS = ("view", "add", "change", "delete", "manage")
READ = "view"


def _not_expired():
    return Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())


class RestrictedQuerySet(models.QuerySet):
    """Base queryset of every model that belongs to a unit.

    ``unit_path`` is the lookup from the model to its OrgUnit ("unit", "plan__unit", or "" for
    OrgUnit itself). ``object_grant_model`` names a guardian direct-FK model for grants on single
    objects of this model (for example a coordinating unit's right on one task).
    """

    unit_path = "unit"
    object_grant_model: str | None = None

    # -- the one entry point ------------------------------------------------------------------
    def restrict(self, user, action: str = READ, *, with_extra: bool = True):
        """Rows ``user`` may ``action``. ``with_extra=False`` leaves out the model's extra readable
        rows (ancestors' documents, the units above): what a user may *act for* as a tenant."""
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
            qs = qs.filter(self._range_q(token.unit, self._prefix()))
        return qs

    # -- building blocks ------------------------------------------------------------------------
    def _prefix(self) -> str:
        return f"{self.unit_path}__" if self.unit_path else ""

    def _unit_ref(self, field: str):
        return OuterRef(f"{self._prefix()}{field}")

    @staticmethod
    def _range_q(unit, prefix: str) -> Q:
        return Q(**{f"{prefix}tree_id": unit.tree_id, f"{prefix}lft__gte": unit.lft, f"{prefix}rght__lte": unit.rght})

    def membership_exists(self, user, *, ancestors: bool = False, action: str | None = None) -> Exists:
        """EXISTS a membership of ``user`` whose unit covers this row's unit.

        - default: the membership's unit is this row's unit or above it (read on the subtree);
        - ``ancestors``: the membership's unit is this row's unit or below it (the row's unit is
          an ancestor of one of the user's units);
        - ``action``: the membership's unit is exactly this row's unit and its role grants it.
        """
        membership = apps.get_model("orgtree", "Membership")
        qs = membership.objects.filter(user=user)
        if action is not None:
            unit_id = OuterRef(self.unit_path or "pk")
            return Exists(qs.filter(unit_id=unit_id, role__actions__contains=[action]))
        lookups = {"unit__tree_id": self._unit_ref("tree_id")}
        if ancestors:
            lookups.update(unit__lft__gte=self._unit_ref("lft"), unit__rght__lte=self._unit_ref("rght"))
        else:
            lookups.update(unit__lft__lte=self._unit_ref("lft"), unit__rght__gte=self._unit_ref("rght"))
        return Exists(qs.filter(**lookups))

    def unit_grant_exists(self, user, action: str) -> Exists:
        """EXISTS an unexpired guardian grant of ``action`` on this row's unit or one above it."""
        grant = apps.get_model("orgtree", "OrgUnitUserObjectPermission")
        return Exists(
            grant.objects.filter(
                _not_expired(),
                user=user,
                permission__codename=f"{action}_orgunit",
                content_object__tree_id=self._unit_ref("tree_id"),
                content_object__lft__lte=self._unit_ref("lft"),
                content_object__rght__gte=self._unit_ref("rght"),
            )
        )

    def object_grant_exists(self, user, action: str) -> Exists | None:
        if not self.object_grant_model:
            return None
        grant = apps.get_model(self.object_grant_model)
        return Exists(
            grant.objects.filter(
                _not_expired(),
                user=user,
                permission__codename=f"{action}_{self.model._meta.model_name}",
                content_object=OuterRef("pk"),
            )
        )

    def ancestor_readable_q(self, user) -> Q | Exists | None:
        """Rows readable because they belong to an ancestor (override: issued documents)."""
        return None

    def access_q(self, user, action: str, with_extra: bool = True):
        if action == READ:
            condition = self.membership_exists(user) | self.unit_grant_exists(user, READ)
            extra = self.ancestor_readable_q(user) if with_extra else None
            if extra is not None:
                condition |= extra
        else:
            condition = self.membership_exists(user, action=action) | self.unit_grant_exists(user, action)
        object_grant = self.object_grant_exists(user, action)
        if object_grant is not None:
            condition |= object_grant
        return condition


def can(user, action: str, obj) -> bool:
    """Whether ``user`` may do ``action`` on ``obj``: one query through the same restriction."""
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
