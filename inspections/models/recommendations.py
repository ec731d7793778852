"""Recommendations of a conclusion (kiến nghị), each with a responsible party and a deadline; the
inspected unit answers, the team leader closes or reopens."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from inspections.models.checklists import ChecklistPartQuerySet
from inspections.models.inspections import InspectionQuerySet
from mttq_platform.audit import AuditedModel
from mttq_platform.permissions import READ, load_scope
from reviews.models.reports import select_private_storage


class RecommendationQuerySet(ChecklistPartQuerySet):
    """Also readable by the readers of the responsible unit (a unit below the inspected one that
    must carry a recommendation out)."""

    def access_q(self, user, action: str, with_extra: bool = True):
        condition = super().access_q(user, action, with_extra=with_extra)
        if action == READ:
            condition |= load_scope(user).q("responsible_unit__", READ, with_ancestors=False)
        return condition


class RecommendationStatus(models.TextChoices):
    OPEN = "open", _("Chưa thực hiện")
    ANSWERED = "answered", _("Đã báo cáo kết quả")
    CLOSED = "closed", _("Đã hoàn thành")
    REOPENED = "reopened", _("Yêu cầu tiếp tục thực hiện")


class Recommendation(AuditedModel):
    inspection = models.ForeignKey("inspections.Inspection", models.CASCADE, related_name="recommendations")
    number = models.PositiveSmallIntegerField(_("số thứ tự"), default=1)
    text = models.TextField(_("nội dung kiến nghị"))
    responsible = models.CharField(_("đơn vị, người chịu trách nhiệm"), max_length=255)
    responsible_unit = models.ForeignKey("orgtree.OrgUnit", models.SET_NULL, null=True, blank=True, related_name="+")
    deadline = models.DateField(_("thời hạn"))
    status = models.CharField(_("trạng thái"), max_length=10, choices=RecommendationStatus.choices, default=RecommendationStatus.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")

    objects = RecommendationQuerySet.as_manager()

    class Meta:
        ordering = ["inspection", "number", "id"]
        verbose_name = _("kiến nghị sau kiểm tra")
        verbose_name_plural = _("kiến nghị sau kiểm tra")
        indexes = [models.Index(fields=["status", "deadline"], name="inspections_rec_open_due")]

    def __str__(self):
        return self.text[:80]

    def audit_unit_id(self):
        return self.inspection.plan.unit_id


class AnswerQuerySet(InspectionQuerySet):
    unit_path = "recommendation__inspection__plan__unit"
    inspected_path = "recommendation__inspection__unit"
    team_path = "recommendation__inspection__team"


def answer_path(instance, filename):
    return f"inspections/answers/{instance.recommendation.inspection.unit_id}/{filename}"


class RecommendationAnswer(AuditedModel):
    recommendation = models.ForeignKey(Recommendation, models.CASCADE, related_name="answers")
    text = models.TextField(_("kết quả thực hiện"))
    file = models.FileField(_("tài liệu minh chứng"), storage=select_private_storage, upload_to=answer_path, max_length=300, blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    answered_at = models.DateTimeField(auto_now_add=True)
    # The leader's decision on this answer: closed the recommendation, or reopened it with a reason.
    decision = models.CharField(max_length=10, blank=True, choices=[("closed", _("Đóng")), ("reopened", _("Mở lại"))])
    decision_note = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = AnswerQuerySet.as_manager()

    class Meta:
        ordering = ["recommendation", "answered_at", "id"]

    def audit_unit_id(self):
        return self.recommendation.inspection.plan.unit_id
