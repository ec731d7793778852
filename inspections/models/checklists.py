"""Checklists: one per inspected unit, generated from (a) the tasks of the unit's own plan derived
from the inspecting unit's plan, with their reported progress, and (b) a reusable template kept as
data. Several team members fill it; ``version`` refuses a stale save instead of overwriting it."""
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from inspections.models.inspections import InspectionQuerySet
from mttq_platform.audit import AuditedModel
from reviews.models.reports import select_private_storage


class ChecklistTemplate(models.Model):
    code = models.SlugField(_("mã"), max_length=40, unique=True)
    name = models.CharField(_("tên"), max_length=255)
    active = models.BooleanField(_("đang dùng"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("mẫu danh mục kiểm tra")
        verbose_name_plural = _("mẫu danh mục kiểm tra")

    def __str__(self):
        return self.name


class ChecklistTemplateItem(models.Model):
    template = models.ForeignKey(ChecklistTemplate, models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)
    group = models.CharField(_("nhóm nội dung"), max_length=255, blank=True)
    text = models.TextField(_("nội dung kiểm tra"))
    guidance = models.TextField(_("hướng dẫn, tài liệu cần xem"), blank=True)

    class Meta:
        ordering = ["template", "order", "id"]

    def __str__(self):
        return self.text[:80]


class ItemSource(models.TextChoices):
    PLAN_TASK = "plan_task", _("Nhiệm vụ trong kế hoạch của đơn vị")
    TEMPLATE = "template", _("Danh mục mẫu")
    ADDED = "added", _("Đoàn bổ sung")


class ChecklistResult(models.TextChoices):
    PENDING = "pending", _("Chưa đánh giá")
    COMPLIANT = "compliant", _("Đạt")
    PARTLY = "partly", _("Đạt một phần")
    NOT_COMPLIANT = "not_compliant", _("Không đạt")
    NOT_APPLICABLE = "not_applicable", _("Không áp dụng")


class ChecklistPartQuerySet(InspectionQuerySet):
    unit_path = "inspection__plan__unit"
    inspected_path = "inspection__unit"
    team_path = "inspection__team"


class ChecklistItem(AuditedModel):
    inspection = models.ForeignKey("inspections.Inspection", models.CASCADE, related_name="checklist")
    order = models.PositiveIntegerField(default=0)
    source = models.CharField(_("nguồn"), max_length=10, choices=ItemSource.choices)
    task = models.ForeignKey("plans.Task", models.SET_NULL, null=True, blank=True, related_name="+",
                             help_text=_("Nhiệm vụ trong kế hoạch của đơn vị được kiểm tra."))
    template_item = models.ForeignKey(ChecklistTemplateItem, models.SET_NULL, null=True, blank=True, related_name="+")
    group = models.CharField(_("nhóm nội dung"), max_length=255, blank=True)
    text = models.TextField(_("nội dung kiểm tra"))
    reported = models.TextField(_("đơn vị đã báo cáo"), blank=True,
                                help_text=_("Tiến độ đơn vị đã báo cáo cho nhiệm vụ, chép lúc lập danh mục."))
    result = models.CharField(_("kết quả"), max_length=16, choices=ChecklistResult.choices, default=ChecklistResult.PENDING)
    note = models.TextField(_("ghi chú của đoàn"), blank=True)
    version = models.PositiveIntegerField(default=1)  # bumped by every save; a form carries the one it was read at
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    objects = ChecklistPartQuerySet.as_manager()

    class Meta:
        ordering = ["inspection", "order", "id"]
        verbose_name = _("mục kiểm tra")
        verbose_name_plural = _("mục kiểm tra")

    def __str__(self):
        return self.text[:80]

    def audit_unit_id(self):
        return self.inspection.plan.unit_id


class ChecklistEvidenceQuerySet(InspectionQuerySet):
    unit_path = "item__inspection__plan__unit"
    inspected_path = "item__inspection__unit"
    team_path = "item__inspection__team"


def checklist_evidence_path(instance, filename):
    return f"inspections/{instance.item.inspection.unit_id}/{uuid.uuid4().hex}/{filename}"


class ChecklistEvidence(AuditedModel):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    item = models.ForeignKey(ChecklistItem, models.CASCADE, related_name="evidence")
    file = models.FileField(_("tệp"), storage=select_private_storage, upload_to=checklist_evidence_path, max_length=300)
    original_name = models.CharField(_("tên tệp"), max_length=255)
    content_type = models.CharField(_("loại tệp"), max_length=100)
    size = models.PositiveBigIntegerField(_("dung lượng"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = ChecklistEvidenceQuerySet.as_manager()

    class Meta:
        ordering = ["item", "uploaded_at"]

    def audit_unit_id(self):
        return self.item.inspection.plan.unit_id
