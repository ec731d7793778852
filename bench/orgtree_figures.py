"""Figures of the organization tree (issue 2): loading it, listing and checking what a province
user may see, and the province's tree page; each beside the naive way (per-object saves,
recursive Python walks with one query per node)."""
from __future__ import annotations

from html import escape

from django.test import Client

from bench.context import CODE_SET, BenchContext
from bench.core import BenchError, Comparison, compare, figure, measure, rolled_back
from mttq_platform.permissions import can
from orgtree.importers import CENTRAL_COMMITTEE, committee_area_name, committee_name, import_units
from orgtree.models import CodeSet, Membership, OrgUnit, UnitKind
from orgtree.services import member_organization_code, member_organization_name


# -- the naive ways ---------------------------------------------------------------------------------
def load_one_by_one(rows) -> int:
    """The units import_units makes, each saved on its own (mptt inserts it and shifts lft/rght
    of the nodes after it). Returns the number of units saved."""
    committee_kinds = {
        kind.level.code: kind
        for kind in UnitKind.objects.filter(category=UnitKind.Category.FRONT_COMMITTEE).select_related("level")
    }
    member_kinds = list(UnitKind.objects.filter(category=UnitKind.Category.MEMBER_ORGANIZATION).order_by("id"))
    code_set = CodeSet.objects.get(code=CODE_SET)
    saved = 0

    def save_with_members(committee: OrgUnit) -> OrgUnit:
        nonlocal saved
        committee.save()
        for kind in member_kinds:
            OrgUnit(
                code=member_organization_code(committee, kind), name=member_organization_name(committee, kind),
                kind=kind, parent=committee, level_id=committee.level_id, area_name=committee.area_name,
            ).save()
        saved += 1 + len(member_kinds)
        return committee

    root = save_with_members(OrgUnit(kind=committee_kinds["central"], **CENTRAL_COMMITTEE))
    committees = {}
    for row in rows:  # parents come before their children
        area = committee_area_name(row.name)
        committees[row.admin_code] = save_with_members(OrgUnit(
            code=row.admin_code, admin_code=row.admin_code, code_set=code_set, name=committee_name(area),
            area_name=area, kind=committee_kinds[row.level], parent=committees.get(row.parent_code, root),
        ))
    return saved


def walk_visible_units(user) -> list[OrgUnit]:
    """What ``user`` may see, found by walking: down from each membership unit through
    ``children`` and up through ``parent``, one query per node."""
    found = {}
    for membership in Membership.objects.filter(user=user).select_related("unit"):
        stack = [membership.unit]
        while stack:
            unit = stack.pop()
            found[unit.pk] = unit
            stack.extend(unit.children.all())
        unit = membership.unit
        while unit.parent_id is not None:
            unit = OrgUnit.objects.get(pk=unit.parent_id)
            found[unit.pk] = unit
    return list(found.values())


def walk_up_can_view(user, unit: OrgUnit) -> bool:
    """Whether ``user`` may view ``unit``, by walking up its parents in Python until one is a unit
    the user belongs to, one query per level."""
    member_units = set(Membership.objects.filter(user=user).values_list("unit_id", flat=True))
    while unit is not None:
        if unit.pk in member_units:
            return True
        unit = OrgUnit.objects.filter(pk=unit.parent_id).first() if unit.parent_id else None
    return False


def render_subtree(unit: OrgUnit) -> str:
    """The whole subtree as nested lists, fetching the children of every node (no lazy loading)."""
    children = "".join(render_subtree(child) for child in unit.children.all())
    return f"<li>{escape(unit.name)}<ul>{children}</ul></li>"


# -- the figures ------------------------------------------------------------------------------------
@figure("Load the tree: a Front committee per administrative unit and its 5 member organizations")
def load_tree(ctx: BenchContext) -> Comparison:
    naive = measure(rolled_back(lambda: load_one_by_one(ctx.sample_rows)), repeat=1)
    ours = measure(lambda: import_units(ctx.rows, code_set=CODE_SET), repeat=1)
    units, sample = ours.result.created, naive.result
    if not ctx.sample_is_extrapolated and units != sample:
        raise BenchError(f"load_tree: import_units made {units} units, the per-object load {sample}")
    rates = {"ours_units_per_second": units / ours.seconds, "naive_units_per_second": sample / naive.seconds}
    note = (f"import_units (bulk) of {units:,} units vs OrgUnit.save() one by one; "
            f"ours {rates['ours_units_per_second']:,.0f} units/s, naive {rates['naive_units_per_second']:,.0f} units/s")
    if ctx.sample_is_extrapolated:
        naive = naive.scaled(units / sample, sample)
        note += (f"; naive timed on a sample of {sample:,} units (provinces {', '.join(ctx.scale.naive_load_sample)},"
                 f" into an empty tree, so a lower bound) and extrapolated per unit to {units:,}")
    return Comparison(ours, naive, note, extra={"units": units, "naive_sample_units": sample, **rates})


@figure("List what a province user may see")
def listing(ctx: BenchContext) -> Comparison:
    user = ctx.province_user
    ours, naive = compare(
        "listing", lambda: list(OrgUnit.objects.restrict(user)), lambda: walk_visible_units(user), ctx.repeat,
        key=lambda units: {unit.pk for unit in units},
    )
    visible = len(ours.result)
    return Comparison(
        ours, naive,
        f"OrgUnit.objects.restrict(user) vs walking children/parents; {visible:,} units "
        f"(province {ctx.province.code}'s subtree and the units above it)",
        extra={"units": visible},
    )


@figure("Permission check at commune depth")
def permission(ctx: BenchContext) -> Comparison:
    user, commune = ctx.province_user, ctx.commune
    ours, naive = compare(
        "permission", lambda: can(user, "view", commune), lambda: walk_up_can_view(user, commune), ctx.repeat
    )
    if not ours.result:
        raise BenchError("permission: the province user should see their commune")
    return Comparison(
        ours, naive,
        f"can(user, 'view', commune) vs walking up parents; province user, commune {commune.code} "
        f"at depth {commune.depth}",
    )


@figure("Tree page of a province")
def tree_page(ctx: BenchContext) -> Comparison:
    province = ctx.province
    client = Client(HTTP_HOST="localhost")
    client.force_login(ctx.province_user)
    url = f"/u/{province.code}/tree/"

    def ours():
        response = client.get(url)
        if response.status_code != 200:
            raise BenchError(f"tree_page: GET {url} answered {response.status_code}")
        return response

    def naive():
        return render_subtree(OrgUnit.objects.get(pk=province.pk))

    return Comparison(
        measure(ours, ctx.repeat), measure(naive, ctx.repeat),  # different outputs: nothing to compare
        f"GET {url} (the province and its children; deeper levels load on demand) vs rendering the "
        f"whole subtree recursively",
    )
