"""The yearly indicators of supervision and criticism work, kept as data (an admin adds more)."""
from django.db import models
from django.utils.translation import gettext_lazy as _

from mttq_platform.audit import AuditedModel
from reviews.models.reports import ReportPartQuerySet


class IndicatorGroup(models.TextChoices):
    SUPERVISION = "supervision", _("Giám sát")
    CRITICISM = "criticism", _("Phản biện xã hội")
    RECOMMENDATION = "recommendation", _("Kiến nghị")
    TRAINING = "training", _("Tập huấn, bồi dưỡng")
    COMMENDATION = "commendation", _("Biểu dương, khen thưởng")
    OTHER = "other", _("Khác")


class Indicator(models.Model):
    code = models.SlugField(_("mã"), max_length=40, unique=True)
    name = models.CharField(_("tên chỉ tiêu"), max_length=255)
    name_en = models.CharField(_("tên tiếng Anh"), max_length=255, blank=True)
    group = models.CharField(_("nhóm"), max_length=20, choices=IndicatorGroup.choices)
    form = models.CharField(_("hình thức"), max_length=150, blank=True, help_text=_("Ví dụ: tổ chức đoàn giám sát"))
    measure_unit = models.CharField(_("đơn vị tính"), max_length=30, default="cuộc")
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)
    active = models.BooleanField(_("đang dùng"), default=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("chỉ tiêu")
        verbose_name_plural = _("chỉ tiêu")

    def __str__(self):
        return self.name


class IndicatorValue(AuditedModel):
    report = models.ForeignKey("reviews.UnitReport", models.CASCADE, related_name="indicator_values")
    indicator = models.ForeignKey(Indicator, models.PROTECT, related_name="values")
    value = models.PositiveBigIntegerField(_("giá trị"), default=0)
    note = models.CharField(_("ghi chú"), max_length=255, blank=True)

    objects = ReportPartQuerySet.as_manager()

    class Meta:
        ordering = ["report", "indicator__order"]
        constraints = [models.UniqueConstraint(fields=["report", "indicator"], name="reviews_indicator_value_unique")]

    def audit_unit_id(self):
        return self.report.unit_id
