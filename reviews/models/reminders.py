"""Reminders (Celery beat) and the in-app notification list."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReminderKind(models.TextChoices):
    REPORT_DUE = "report_due", _("Sắp đến hạn gửi báo cáo")
    REPORT_LATE = "report_late", _("Báo cáo quá hạn")
    COMMENT_DUE = "comment_due", _("Sắp đến hạn góp ý")
    COMMENT_LATE = "comment_late", _("Quá hạn góp ý")
    TASK_DUE = "task_due", _("Nhiệm vụ sắp đến hạn")
    TASK_OVERDUE = "task_overdue", _("Nhiệm vụ quá hạn")
    # Recommendations after an inspection (inspections app registers their source).
    RECOMMENDATION_DUE = "recommendation_due", _("Kiến nghị sau kiểm tra sắp đến hạn")
    RECOMMENDATION_OVERDUE = "recommendation_overdue", _("Kiến nghị sau kiểm tra quá hạn")


class ReminderRule(models.Model):
    """One step of the schedule, editable in the admin: remind ``offset_days`` from the deadline
    (negative: before it)."""

    kind = models.CharField(_("loại nhắc việc"), max_length=40, choices=ReminderKind.choices)
    offset_days = models.SmallIntegerField(_("số ngày so với hạn"), help_text=_("Âm: trước hạn; dương: sau hạn."))
    active = models.BooleanField(_("đang dùng"), default=True)

    class Meta:
        ordering = ["kind", "offset_days"]
        verbose_name = _("lịch nhắc việc")
        verbose_name_plural = _("lịch nhắc việc")
        constraints = [models.UniqueConstraint(fields=["kind", "offset_days"], name="reviews_reminder_rule_unique")]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.offset_days:+d})"


class SentReminder(models.Model):
    """At most once per item per step: the unique key is claimed before anything is sent."""

    rule = models.ForeignKey(ReminderRule, models.CASCADE, related_name="sent")
    target = models.CharField(_("đối tượng"), max_length=120)  # e.g. "report:42:v1"
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "target"], name="reviews_sent_reminder_unique")]


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="notifications")
    unit = models.ForeignKey("orgtree.OrgUnit", models.CASCADE, null=True, blank=True, related_name="+")
    text = models.TextField(_("nội dung"))
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"], name="reviews_notification_unread")]
