"""The objects the figures share: the rows to load, the loaded tree, a province user and a
commune of theirs. Properties that read the tree are valid once the load figure has run."""
from __future__ import annotations

from functools import cached_property

from django.contrib.auth import get_user_model
from django.db.models import Count

from bench.scales import Scale
from orgtree.importers import read_vietnamadminunits
from orgtree.models import Membership, OrgUnit, Role, UnitKind

CODE_SET = "legacy"
PROVINCE_USER = "bench.province"


class BenchContext:
    def __init__(self, scale: Scale):
        self.scale = scale
        self.repeat = scale.repeat

    @cached_property
    def rows(self):
        """The administrative units to load, parents first."""
        rows = read_vietnamadminunits(CODE_SET, self.scale.provinces)
        if self.scale.districts is None:
            return rows
        districts = set(self.scale.districts)
        return [row for row in rows if row.level == "province" or districts & {row.admin_code, row.parent_code}]

    @cached_property
    def sample_rows(self):
        """The rows the per-object load is timed on."""
        if self.scale.naive_load_sample is None:
            return self.rows
        return read_vietnamadminunits(CODE_SET, self.scale.naive_load_sample)

    @property
    def sample_is_extrapolated(self) -> bool:
        return self.scale.naive_load_sample is not None

    @cached_property
    def province(self) -> OrgUnit:
        return OrgUnit.objects.get(code=self.scale.province)

    @cached_property
    def province_user(self):
        """A cadre of the province committee."""
        user = get_user_model().objects.create_user(PROVINCE_USER)
        Membership.objects.create(user=user, unit=self.province, role=Role.objects.get(code="cadre"))
        return user

    @cached_property
    def commune(self) -> OrgUnit:
        """The province's last commune Front committee (depth 3: TW, province, district, commune)."""
        return (
            OrgUnit.objects.within(self.province)
            .filter(level__code="commune", kind__category=UnitKind.Category.FRONT_COMMITTEE)
            .order_by("-lft")
            .first()
        )

    def unit_counts(self) -> dict:
        by_kind_and_level = {
            f"{category}/{level}": n
            for category, level, n in OrgUnit.objects.values_list("kind__category", "level__code")
            .annotate(n=Count("pk"))
            .order_by("level__rank", "kind__category")
        }
        return {
            "total": OrgUnit.objects.count(),
            "by_kind_and_level": by_kind_and_level,
            "province": self.scale.province,
            "province_subtree": OrgUnit.objects.within(self.province).count(),
        }
