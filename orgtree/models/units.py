"""The organization tree: Front committees and member organizations at every level.

Kinds and levels are rows, not constants: the 2025 reform removed the district level, and member
organizations can be added without a code change.
"""
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from mptt.managers import TreeManager
from mptt.models import MPTTModel, TreeForeignKey
from mptt.querysets import TreeQuerySet

from mttq_platform.audit import AuditedModel
from mttq_platform.permissions import RestrictedQuerySet
from orgtree.locking import lock_trees


class Level(models.Model):
    """An administrative level: central, province, district (until 2025), commune."""

    code = models.SlugField(_("mã"), max_length=32, unique=True)
    name = models.CharField(_("tên"), max_length=100)
    name_en = models.CharField(_("tên tiếng Anh"), max_length=100, blank=True)
    rank = models.PositiveSmallIntegerField(_("thứ bậc"), help_text=_("0 = trung ương; số lớn hơn = cấp thấp hơn"))

    class Meta:
        ordering = ["rank"]
        verbose_name = _("cấp")
        verbose_name_plural = _("cấp")

    def __str__(self):
        return self.name


class UnitKind(models.Model):
    """What a unit is: a Front committee of some level, or a member organization."""

    class Category(models.TextChoices):
        FRONT_COMMITTEE = "front_committee", _("Ủy ban MTTQ")
        MEMBER_ORGANIZATION = "member_organization", _("Tổ chức thành viên")
        OTHER = "other", _("Khác")

    code = models.SlugField(_("mã"), max_length=32, unique=True)
    name = models.CharField(_("tên"), max_length=150)
    name_en = models.CharField(_("tên tiếng Anh"), max_length=150, blank=True)
    category = models.CharField(_("loại"), max_length=32, choices=Category.choices)
    # Front committees belong to one level; member organizations take the level of the committee
    # they stand beside, so theirs is empty.
    level = models.ForeignKey(Level, models.PROTECT, null=True, blank=True, verbose_name=_("cấp"))
    short_code = models.CharField(
        _("mã rút gọn"), max_length=16, blank=True,
        help_text=_("Dùng để tạo mã đơn vị cho tổ chức thành viên, ví dụ HND → 11-HND."),
    )
    is_socio_political = models.BooleanField(_("tổ chức chính trị - xã hội"), default=False)

    class Meta:
        ordering = ["category", "level__rank", "code"]
        verbose_name = _("loại đơn vị")
        verbose_name_plural = _("loại đơn vị")

    def __str__(self):
        return self.name


class CodeSet(models.Model):
    """A set of official administrative codes. Codes are reused between sets (03127 was Phường Him
    Lam in the legacy set and is Phường Điện Biên Phủ in the 2025 set), so a unit records its set."""

    code = models.SlugField(_("mã"), max_length=32, unique=True)
    name = models.CharField(_("tên"), max_length=150)
    valid_from = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(_("hiệu lực đến"), null=True, blank=True)

    class Meta:
        verbose_name = _("bộ mã hành chính")
        verbose_name_plural = _("bộ mã hành chính")

    def __str__(self):
        return self.name


def active_during_q(start, end, prefix: str = "") -> models.Q:
    """A unit (``prefix``: the path to it, "unit__") active on at least one day from ``start`` to
    ``end``: begun by ``end`` and not ended before ``start``. Units merged or removed by a reform
    (the 2025 one ended every district on 30 June) keep their history but get no new work."""
    return (
        (models.Q(**{f"{prefix}active_from__isnull": True}) | models.Q(**{f"{prefix}active_from__lte": end}))
        & (models.Q(**{f"{prefix}active_to__isnull": True}) | models.Q(**{f"{prefix}active_to__gte": start}))
    )


class OrgUnitQuerySet(TreeQuerySet, RestrictedQuerySet):
    unit_path = ""  # an OrgUnit is its own unit
    # Everyone sees the chain of units above their own (name and kind): a commune cadre sees
    # which district and province they report to. Siblings stay invisible.
    readable_from_ancestors = True

    def within(self, unit):
        """The unit and its whole subtree, one range condition."""
        return self.filter(tree_id=unit.tree_id, lft__gte=unit.lft, rght__lte=unit.rght)

    def active(self, on=None):
        """Units active on the day ``on`` (today by default)."""
        on = on or timezone.localdate()
        return self.filter(active_during_q(on, on))

    def active_during(self, start, end):
        """Units active on at least one day from ``start`` to ``end``."""
        return self.filter(active_during_q(start, end))


class OrgUnitManager(TreeManager.from_queryset(OrgUnitQuerySet)):
    def get_by_natural_key(self, code):
        return self.get(code=code)

    def move_node(self, node, target, position="last-child"):
        """Every move — ``unit.move_to``, the admin's drag-and-drop, reorganisations — comes
        here: take the locks of the trees involved, then move with fresh tree fields."""
        with transaction.atomic():
            pks = [node.pk] + ([target.pk] if target is not None else [])
            trees = set(self.filter(pk__in=pks).values_list("tree_id", flat=True))
            lock_trees(trees | ({None} if target is None else set()))
            node._mptt_refresh()
            super().move_node(node, self.get(pk=target.pk) if target is not None else None, position)


class OrgUnit(AuditedModel, MPTTModel):
    """A Front committee or a member organization. Its code is the URL key (/u/<code>/)."""

    code = models.CharField(
        _("mã đơn vị"), max_length=40, unique=True,
        help_text=_("Mã hành chính chính thức khi có (Điện Biên: 11); tổ chức thành viên: mã suy ra (11-HND)."),
    )
    admin_code = models.CharField(_("mã hành chính"), max_length=16, blank=True)
    code_set = models.ForeignKey(CodeSet, models.PROTECT, null=True, blank=True, verbose_name=_("bộ mã"))
    name = models.CharField(_("tên"), max_length=255)
    area_name = models.CharField(_("địa bàn"), max_length=150, blank=True, help_text=_("Ví dụ: Tỉnh Điện Biên"))
    kind = models.ForeignKey(UnitKind, models.PROTECT, verbose_name=_("loại đơn vị"))
    level = models.ForeignKey(Level, models.PROTECT, verbose_name=_("cấp"), related_name="units")
    parent = TreeForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("đơn vị cấp trên")
    )
    active_from = models.DateField(_("hoạt động từ"), null=True, blank=True)
    active_to = models.DateField(_("hoạt động đến"), null=True, blank=True)

    objects = OrgUnitManager()

    audit_exclude = ("lft", "rght", "tree_id", "depth")

    class MPTTMeta:
        # mptt's own "level" (depth in the tree) is called depth here: "level" is the domain's
        # administrative level (cấp), which is data and not always the depth (member organizations).
        level_attr = "depth"

    class Meta:
        verbose_name = _("đơn vị")
        verbose_name_plural = _("đơn vị")
        constraints = [
            models.UniqueConstraint(
                fields=["code_set", "admin_code"],
                condition=~models.Q(admin_code=""),
                name="orgtree_unique_admin_code_per_set",
            )
        ]
        indexes = [models.Index(fields=["tree_id", "lft", "rght"], name="orgtree_range")]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.code,)

    @property
    def is_front_committee(self):
        return self.kind.category == UnitKind.Category.FRONT_COMMITTEE

    def is_active_during(self, start, end) -> bool:
        """``active_during_q`` for a loaded unit (no query)."""
        return (self.active_from is None or self.active_from <= end) and (self.active_to is None or self.active_to >= start)

    @property
    def has_ended(self) -> bool:
        """Stopped before today (the 2025 reform ended the districts on 30/06/2025)."""
        return self.active_to is not None and self.active_to < timezone.localdate()

    def is_within(self, other: "OrgUnit") -> bool:
        """True when self is other or below it (no query)."""
        return self.tree_id == other.tree_id and other.lft <= self.lft and self.rght <= other.rght

    def front_committee(self) -> "OrgUnit":
        """The Front committee this unit belongs to: itself, or the committee a member organization
        stands beside."""
        return self if self.is_front_committee or self.parent_id is None else self.parent

    # Tree writes: every structural change takes the tree's advisory lock first, so concurrent
    # inserts and moves (web, admin drag-and-drop, import jobs) never corrupt lft/rght. Moves go
    # through OrgUnitManager.move_node.
    def save(self, *args, **kwargs):
        if self.kind_id and not self.level_id:
            self.level_id = self.kind.level_id or (self.parent.level_id if self.parent_id else None)
        with transaction.atomic():
            lock_trees(self._trees_touched())
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            lock_trees(self._trees_touched())
            return super().delete(*args, **kwargs)

    def _trees_touched(self):
        """Tree ids this save or delete may change; None stands for "a new tree is made"."""
        trees = set()
        if self.pk and self.tree_id:
            trees.add(self.tree_id)
        new_parent = self.parent if self.parent_id else None
        if new_parent is not None:
            trees.add(OrgUnit.objects.filter(pk=new_parent.pk).values_list("tree_id", flat=True).first())
        elif not self.pk:
            trees.add(None)  # a new root makes a new tree
        return trees
