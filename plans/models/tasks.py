"""Tasks of a plan, with their timeframe and their lead and coordinating parties."""
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from mttq_platform.audit import AuditedModel
from plans.models.base import DocumentPartMixin, DocumentPartQuerySet


class CurrentTaskManager(models.Manager.from_queryset(DocumentPartQuerySet)):
    """Tasks in force: a task withdrawn by an amendment stays in the database (versions and the
    plans derived from it keep pointing at it) but is not part of the plan any more."""

    def get_queryset(self):
        return super().get_queryset().filter(withdrawn=False)


class Task(DocumentPartMixin, AuditedModel):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    document = models.ForeignKey("plans.PlanDocument", models.CASCADE, related_name="tasks")
    section = models.ForeignKey("plans.Section", models.SET_NULL, null=True, blank=True, related_name="tasks")
    number = models.CharField(_("số"), max_length=20, blank=True)
    # Seed 2.1 is one numbered task written as two bullets, each with its own attributes.
    bullet = models.PositiveSmallIntegerField(_("ý"), default=0)
    # ... and then ``text`` is the bullet, and ``heading`` the numbered item's own words above it.
    heading = models.TextField(_("nội dung mục"), blank=True)
    order = models.PositiveIntegerField(default=0)
    text = models.TextField(_("nội dung"))
    steps = models.JSONField(_("các bước"), default=list, blank=True)
    output = models.TextField(_("kết quả, sản phẩm"), blank=True)
    notes = models.TextField(_("ghi chú"), blank=True, help_text=_("Dòng tự do giữ nguyên từ văn bản gốc."))
    timeframe_text = models.TextField(_("thời gian thực hiện"), blank=True)
    timeframe = models.JSONField(_("lịch thực hiện"), default=dict, blank=True)
    parent_task = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="derived_tasks", verbose_name=_("nhiệm vụ cấp trên")
    )
    withdrawn = models.BooleanField(_("đã bãi bỏ"), default=False)
    carried_as = models.CharField(
        _("cách kế thừa"), max_length=20, blank=True,
        help_text=_("Khi suy ra từ kế hoạch cấp trên: thực hiện, phối hợp/để biết, hoặc trống nếu tự thêm."),
    )

    objects = CurrentTaskManager()
    with_withdrawn = models.Manager.from_queryset(DocumentPartQuerySet)()

    class Meta:
        ordering = ["document", "order"]
        verbose_name = _("nhiệm vụ")
        verbose_name_plural = _("nhiệm vụ")
        indexes = [models.Index(fields=["parent_task"], name="plans_task_parent")]

    def __str__(self):
        return f"{self.number} {self.text[:80]}".strip()

    def delete(self, *args, **kwargs):
        # Deleting a task of a published plan withdraws it: the published versions and every
        # derived task keep their link, and the amendment's diff shows it as removed.
        # The status is read afresh: an instance loaded before the plan was issued must not slip
        # a hard delete through.
        if type(self.document).objects.filter(pk=self.document_id).exclude(status="draft").exists():
            self.withdrawn = True
            self.save(update_fields=["withdrawn"])
            return 0, {}
        return super().delete(*args, **kwargs)


class OutsideBody(models.Model):
    """A named body that is not a Front unit: HĐND, UBND, Sở Tài chính, Đoàn ĐBQH, ..."""

    name = models.CharField(_("tên"), max_length=255, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("cơ quan ngoài Mặt trận")
        verbose_name_plural = _("cơ quan ngoài Mặt trận")

    def __str__(self):
        return self.name


class PartyRole(models.TextChoices):
    LEAD = "lead", _("Chủ trì")
    COORDINATOR = "coordinator", _("Phối hợp")


class PartyKind(models.TextChoices):
    RELATIVE = "relative", _("Theo cấp")  # "các cấp", "cùng cấp", "tỉnh"
    UNIT = "unit", _("Đơn vị")
    BODY = "body", _("Cơ quan ngoài Mặt trận")


class TaskParty(DocumentPartMixin, AuditedModel):
    """One lead or coordinating party of a task, kept as written and resolved where possible."""

    task = models.ForeignKey(Task, models.CASCADE, related_name="parties")
    document = models.ForeignKey("plans.PlanDocument", models.CASCADE, related_name="+")
    role = models.CharField(_("vai trò"), max_length=12, choices=PartyRole.choices)
    order = models.PositiveSmallIntegerField(default=0)
    # Parties written as one item of the list share a group: "HĐND, UBND cùng cấp" is two bodies
    # of one group. The export writes a group joined by commas and groups joined by ";", as written.
    group = models.PositiveSmallIntegerField(_("nhóm như ghi"), default=0)
    text = models.TextField(_("như ghi trong văn bản"))
    kind = models.CharField(_("loại"), max_length=10, choices=PartyKind.choices)
    relative_code = models.CharField(_("mã tương đối"), max_length=40, blank=True)
    scope = models.CharField(_("phạm vi cấp"), max_length=20, blank=True)
    level_limit = models.ForeignKey("orgtree.Level", models.SET_NULL, null=True, blank=True, related_name="+")
    unit = models.ForeignKey("orgtree.OrgUnit", models.SET_NULL, null=True, blank=True, related_name="+")
    body = models.ForeignKey(OutsideBody, models.SET_NULL, null=True, blank=True, related_name="+")

    objects = DocumentPartQuerySet.as_manager()

    class Meta:
        ordering = ["task", "role", "order"]
        verbose_name = _("đơn vị thực hiện")
        verbose_name_plural = _("đơn vị thực hiện")

    def __str__(self):
        return self.text
