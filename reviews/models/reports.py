"""A unit's yearly report on its plan: progress per task and period, evidence, and its approval.

The unit of approval (as in DHIS2: an organisation unit and a period) is the unit and the year.
A year's report holds one progress row per task of the unit's plan and per reporting period that
the task's timeframe produces inside that year (a quarter, a milestone, the year itself), and the
year's indicator values. It moves draft -> submitted -> accepted, or returned -> resubmitted;
accepting locks it; reopening (by the parent) makes a new version and keeps the accepted one as a
snapshot. See docs/decisions/0006-reviews.md.
"""
import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from mttq_platform.audit import AuditedModel
from mttq_platform.permissions import RestrictedQuerySet


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Đang soạn")
    SUBMITTED = "submitted", _("Đã gửi")
    RETURNED = "returned", _("Bị trả lại")
    ACCEPTED = "accepted", _("Đã chấp nhận")
    WAIVED = "waived", _("Được miễn")


class ReportQuerySet(RestrictedQuerySet):
    unit_path = "unit"


class UnitReport(AuditedModel):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    unit = models.ForeignKey("orgtree.OrgUnit", models.PROTECT, related_name="reports", verbose_name=_("đơn vị"))
    year = models.PositiveSmallIntegerField(_("năm"))
    plan = models.ForeignKey(
        "plans.PlanDocument", models.PROTECT, null=True, blank=True, related_name="reports", verbose_name=_("kế hoạch"),
        help_text=_("Kế hoạch đã ban hành của đơn vị mà báo cáo này theo dõi."),
    )
    status = models.CharField(_("trạng thái"), max_length=12, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    version = models.PositiveIntegerField(_("phiên bản"), default=1)
    due_date = models.DateField(_("hạn gửi"))
    summary = models.TextField(_("tóm tắt kết quả"), blank=True)
    first_submitted_at = models.DateTimeField(_("gửi lần đầu lúc"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("chấp nhận lúc"), null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "unit__tree_id", "unit__lft"]
        verbose_name = _("báo cáo năm của đơn vị")
        verbose_name_plural = _("báo cáo năm của đơn vị")
        constraints = [models.UniqueConstraint(fields=["unit", "year"], name="reviews_report_unit_year")]
        indexes = [models.Index(fields=["year", "status"], name="reviews_report_year_status")]

    def __str__(self):
        return f"{self.unit} — {self.year}"

    @property
    def is_locked(self) -> bool:
        """Nothing of an accepted (or submitted, awaiting the parent) report is edited in place."""
        return self.status in (ReportStatus.SUBMITTED, ReportStatus.ACCEPTED, ReportStatus.WAIVED)

    @property
    def submitted_on_time(self) -> bool:
        # The day as the unit lives it (Asia/Ho_Chi_Minh), not the UTC day.
        return self.first_submitted_at is not None and timezone.localtime(self.first_submitted_at).date() <= self.due_date

    def audit_unit_id(self):
        return self.unit_id


class ReportPartQuerySet(RestrictedQuerySet):
    """Rows that belong to a report: visible exactly where the report's unit is."""

    unit_path = "report__unit"


class ReportVersion(models.Model):
    """A report as it stood when accepted: kept readable after the parent reopens it."""

    report = models.ForeignKey(UnitReport, models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("phiên bản"))
    snapshot = models.JSONField(_("nội dung"))
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReportPartQuerySet.as_manager()

    class Meta:
        ordering = ["report", "version"]
        constraints = [models.UniqueConstraint(fields=["report", "version"], name="reviews_version_unique")]


class ApprovalAction(models.TextChoices):
    SUBMIT = "submit", _("Gửi")
    ACCEPT = "accept", _("Chấp nhận")
    RETURN = "return", _("Trả lại")
    REOPEN = "reopen", _("Mở lại")
    WAIVE = "waive", _("Miễn báo cáo")
    UNWAIVE = "unwaive", _("Bỏ miễn báo cáo")


class ApprovalEvent(models.Model):
    """Every step of the approval, with its comment: the report's history."""

    report = models.ForeignKey(UnitReport, models.CASCADE, related_name="events")
    action = models.CharField(_("thao tác"), max_length=10, choices=ApprovalAction.choices)
    version = models.PositiveIntegerField(_("phiên bản"))
    comment = models.TextField(_("ý kiến"), blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    actor_unit = models.ForeignKey("orgtree.OrgUnit", models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    objects = ReportPartQuerySet.as_manager()

    class Meta:
        ordering = ["report", "at", "id"]


class ProgressStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Chưa thực hiện")
    IN_PROGRESS = "in_progress", _("Đang thực hiện")
    DONE = "done", _("Hoàn thành")
    NOT_DONE = "not_done", _("Không hoàn thành")


class TaskProgress(AuditedModel):
    """Progress of one task in one reporting period of the report's year."""

    report = models.ForeignKey(UnitReport, models.CASCADE, related_name="progress")
    task = models.ForeignKey("plans.Task", models.PROTECT, related_name="progress", verbose_name=_("nhiệm vụ"))
    # Stable key of the period inside the year: "2025", "2025-Q4", "2025-M11", "2025-H1",
    # "2025-12-15" (a deadline), "2025-P3" (preliminary review, 3 years), "2025-F10" (final review).
    period_key = models.CharField(_("kỳ"), max_length=24)
    period_label = models.CharField(_("kỳ báo cáo"), max_length=80)
    period_start = models.DateField()
    period_end = models.DateField()
    due = models.DateField(_("hạn"))
    status = models.CharField(_("tình trạng"), max_length=12, choices=ProgressStatus.choices, default=ProgressStatus.NOT_STARTED)
    percent = models.PositiveSmallIntegerField(_("tỷ lệ hoàn thành (%)"), null=True, blank=True)
    narrative = models.TextField(_("kết quả thực hiện"), blank=True)
    reason = models.TextField(_("lý do chưa hoàn thành"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")

    objects = ReportPartQuerySet.as_manager()

    class Meta:
        ordering = ["report", "due", "task__order", "period_key"]
        verbose_name = _("tiến độ nhiệm vụ")
        verbose_name_plural = _("tiến độ nhiệm vụ")
        constraints = [
            models.UniqueConstraint(fields=["report", "task", "period_key"], name="reviews_progress_unique"),
            models.CheckConstraint(condition=models.Q(percent__lte=100), name="reviews_progress_percent_le_100"),
        ]
        indexes = [models.Index(fields=["report", "due"], name="reviews_progress_report_due")]

    def audit_unit_id(self):
        return self.report.unit_id

    @property
    def points(self) -> int:
        """What the row counts toward completion, out of 100."""
        if self.status == ProgressStatus.DONE:
            return 100
        if self.status == ProgressStatus.IN_PROGRESS:
            return self.percent or 0
        return 0


class PrivateStorage(FileSystemStorage):
    """Evidence files live under PRIVATE_MEDIA_ROOT, outside anything the web server serves;
    they are read only through the permission-checked download view. The folder is read from the
    settings when first used and again when they change (tests point it at a temporary folder)."""

    def __init__(self):
        super().__init__(base_url=None)

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_MEDIA_ROOT)

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PRIVATE_MEDIA_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)


private_storage = PrivateStorage()


def select_private_storage():
    # A callable keeps the folder out of the migrations (it differs per installation).
    return private_storage


def evidence_path(instance, filename):
    return f"evidence/{instance.progress.report.unit_id}/{uuid.uuid4().hex}/{filename}"


class EvidenceQuerySet(RestrictedQuerySet):
    unit_path = "progress__report__unit"


class Evidence(AuditedModel):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    progress = models.ForeignKey(TaskProgress, models.CASCADE, related_name="evidence")
    file = models.FileField(_("tệp"), storage=select_private_storage, upload_to=evidence_path, max_length=300)
    original_name = models.CharField(_("tên tệp"), max_length=255)
    content_type = models.CharField(_("loại tệp"), max_length=100)
    size = models.PositiveBigIntegerField(_("dung lượng"))
    sha256 = models.CharField(max_length=64)
    description = models.CharField(_("mô tả"), max_length=255, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        ordering = ["progress", "uploaded_at"]
        verbose_name = _("tài liệu minh chứng")
        verbose_name_plural = _("tài liệu minh chứng")

    def audit_unit_id(self):
        return self.progress.report.unit_id
