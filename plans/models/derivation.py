"""Derivation down the tree: how a derived task is carried, and the job that derives a whole
subtree's plans at once (plans.services.derivation)."""
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mttq_platform.permissions import RestrictedQuerySet


class DerivationRule(models.TextChoices):
    """What a deriving unit does with one task of its parent's plan (stored in Task.carried_as)."""

    CARRY = "carry", _("Thực hiện")
    COORDINATE = "coordinate", _("Phối hợp / để biết")
    OMIT = "omit", _("Không đưa vào")


class DerivationJobQuerySet(RestrictedQuerySet):
    # A job belongs to the unit whose subtree it derives: the province sees its jobs, a commune
    # below it does not see the province's.
    unit_path = "root_unit"


class DerivationJob(models.Model):
    """One run of plans.derive_subtree: draft plans for every unit of ``root_unit``'s subtree,
    each from its parent unit's plan, starting from ``source_plan``. Its progress (done of total)
    feeds the page's progress bar; it can be run again after a failure and completes what is
    missing."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Đang chờ")
        RUNNING = "running", _("Đang chạy")
        DONE = "done", _("Hoàn thành")
        FAILED = "failed", _("Lỗi")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    source_plan = models.ForeignKey("plans.PlanDocument", models.CASCADE, related_name="derivation_jobs",
                                    verbose_name=_("kế hoạch nguồn"))
    root_unit = models.ForeignKey("orgtree.OrgUnit", models.CASCADE, related_name="derivation_jobs",
                                  verbose_name=_("đơn vị gốc"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("người yêu cầu"))
    status = models.CharField(_("trạng thái"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(_("tổng số đơn vị"), default=0)
    done = models.PositiveIntegerField(_("số đơn vị đã xong"), default=0)
    created_plans = models.PositiveIntegerField(_("số kế hoạch đã tạo"), default=0)
    error = models.TextField(_("lỗi"), blank=True)
    celery_task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = DerivationJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("lượt xây dựng kế hoạch cho cấp dưới")
        verbose_name_plural = _("lượt xây dựng kế hoạch cho cấp dưới")

    def __str__(self):
        return f"{self.source_plan_id} → {self.root_unit_id} ({self.status} {self.done}/{self.total})"

    @property
    def percent(self) -> int:
        if not self.total:  # not counted yet (queued), or nothing to derive (done)
            return 100 if self.status == self.Status.DONE else 0
        return round(100 * self.done / self.total)
