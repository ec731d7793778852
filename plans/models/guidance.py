"""Guidance and amendments cascading down the tree, and each addressed unit's inbox."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mttq_platform.audit import AuditedModel
from mttq_platform.permissions import RestrictedQuerySet
from plans.models.base import DocumentPartQuerySet


class Dispatch(AuditedModel):
    """One sending of a document down the tree: a guidance issued, or a plan amended (from one
    version to the next). Its inbox items say who has seen it and who has acted."""

    class Kind(models.TextChoices):
        GUIDANCE = "guidance", _("Hướng dẫn")
        AMENDMENT = "amendment", _("Sửa đổi, bổ sung kế hoạch")

    document = models.ForeignKey("plans.PlanDocument", models.CASCADE, related_name="dispatches")
    kind = models.CharField(_("loại"), max_length=12, choices=Kind.choices)
    from_version = models.PositiveIntegerField(null=True, blank=True)
    to_version = models.PositiveIntegerField(null=True, blank=True)
    note = models.TextField(_("ghi chú"), blank=True)
    levels = models.ManyToManyField("orgtree.Level", blank=True, related_name="+", verbose_name=_("gửi các cấp"))
    kinds = models.ManyToManyField("orgtree.UnitKind", blank=True, related_name="+", verbose_name=_("gửi loại đơn vị"))
    due_date = models.DateField(_("hạn thực hiện"), null=True, blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    sent_at = models.DateTimeField(_("gửi lúc"), auto_now_add=True)

    # Readable where the document is: the sender's subtree, and every unit below once published.
    objects = DocumentPartQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("lượt gửi văn bản")
        verbose_name_plural = _("lượt gửi văn bản")

    def __str__(self):
        return f"{self.get_kind_display()}: {self.document}"

    def audit_unit_id(self):
        return self.document.unit_id


class InboxItemQuerySet(RestrictedQuerySet):
    """An inbox item is the addressed unit's: read by its subtree like any of its objects, and by
    the sender's subtree (the upper unit follows who has seen and acted)."""

    unit_path = "unit"


class InboxItem(AuditedModel):
    class State(models.TextChoices):
        UNSEEN = "unseen", _("Chưa xem")
        SEEN = "seen", _("Đã xem")
        ACTED = "acted", _("Đã thực hiện")

    dispatch = models.ForeignKey(Dispatch, models.CASCADE, related_name="items")
    unit = models.ForeignKey("orgtree.OrgUnit", models.CASCADE, related_name="inbox_items", verbose_name=_("đơn vị nhận"))
    # For an amendment: the unit's own plan derived from the amended one, which the diff is against.
    plan = models.ForeignKey("plans.PlanDocument", models.SET_NULL, null=True, blank=True, related_name="+")
    state = models.CharField(_("tình trạng"), max_length=8, choices=State.choices, default=State.UNSEEN)
    seen_at = models.DateTimeField(null=True, blank=True)
    seen_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    acted_at = models.DateTimeField(null=True, blank=True)
    acted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")

    objects = InboxItemQuerySet.as_manager()

    class Meta:
        ordering = ["-dispatch__sent_at", "unit__tree_id", "unit__lft"]
        verbose_name = _("văn bản đến")
        verbose_name_plural = _("văn bản đến")
        constraints = [models.UniqueConstraint(fields=["dispatch", "unit"], name="plans_inbox_unique")]

    def __str__(self):
        return f"{self.unit} — {self.dispatch}"


class AmendmentDecision(AuditedModel):
    """What the receiving unit chose for one change of an amendment: take it into its own plan,
    or keep its own text."""

    class Choice(models.TextChoices):
        APPLY = "apply", _("Áp dụng")
        KEEP = "keep", _("Giữ nội dung của đơn vị")

    item = models.ForeignKey(InboxItem, models.CASCADE, related_name="decisions")
    change_key = models.CharField(max_length=80)
    choice = models.CharField(_("lựa chọn"), max_length=5, choices=Choice.choices)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("quyết định về thay đổi")
        verbose_name_plural = _("quyết định về thay đổi")
        constraints = [models.UniqueConstraint(fields=["item", "change_key"], name="plans_decision_unique")]

    def audit_unit_id(self):
        return self.item.unit_id
