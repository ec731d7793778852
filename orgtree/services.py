"""Writes to the organization tree. Each goes through OrgUnit.save/move_to, which lock the tree."""
from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, OuterRef

from orgtree.models import OrgUnit, UnitKind


def member_organization_code(committee: OrgUnit, kind: UnitKind) -> str:
    """Derived code of a member organization: the committee's code and the kind's short code
    (11-HND for the Farmers' Association of Điện Biên province)."""
    return f"{committee.code}-{kind.short_code or kind.code.upper()}"


def member_organization_name(committee: OrgUnit, kind: UnitKind) -> str:
    area = committee.area_name or committee.name
    return f"{kind.name} {area}"


@transaction.atomic
def create_unit(*, code: str, name: str, kind: UnitKind, parent: OrgUnit | None = None, **fields) -> OrgUnit:
    unit = OrgUnit(code=code, name=name, kind=kind, parent=parent, **fields)
    unit.full_clean(exclude=["parent", "level", "lft", "rght", "tree_id"])
    unit.save()
    return unit


@transaction.atomic
def add_member_organizations(committee: OrgUnit, kinds=None) -> list[OrgUnit]:
    """Hang one unit of each member-organization kind under ``committee`` (those missing)."""
    kinds = list(kinds if kinds is not None else UnitKind.objects.filter(category=UnitKind.Category.MEMBER_ORGANIZATION))
    existing = set(OrgUnit.objects.filter(parent=committee).values_list("kind_id", flat=True))
    made = []
    for kind in kinds:
        if kind.pk in existing:
            continue
        made.append(
            create_unit(
                code=member_organization_code(committee, kind),
                name=member_organization_name(committee, kind),
                kind=kind,
                parent=committee,
                area_name=committee.area_name,
                active_from=committee.active_from,
                active_to=committee.active_to,
            )
        )
    return made


def move_unit(unit: OrgUnit, new_parent: OrgUnit) -> OrgUnit:
    unit.move_to(new_parent, "last-child")
    return unit

def units_managed_by(user):
    """Units ``user`` manages: where they hold "manage", and every unit below one of those (a
    province chair for its districts and communes, as in plans' ``can_derive``). The restriction
    decides where "manage" is held; one query whatever the depth."""
    managing = OrgUnit.objects.restrict(user, "manage").filter(
        tree_id=OuterRef("tree_id"), lft__lte=OuterRef("lft"), rght__gte=OuterRef("rght"))
    return OrgUnit.objects.filter(Exists(managing))


def managing_units(user, unit: OrgUnit):
    """Where ``user`` holds "manage" on ``unit`` or a unit above it (``unit`` with fresh ranges)."""
    return OrgUnit.objects.restrict(user, "manage").filter(tree_id=unit.tree_id, lft__lte=unit.lft, rght__gte=unit.rght)


def manages(user, unit: OrgUnit) -> bool:
    return managing_units(user, unit).exists()
