"""Inspection plans, the teams a decision sets up, and the inspection of each unit (seed II.5).

Internal inspection of lower Front levels (kiểm tra): an upper unit inspects units of its subtree.
``InspectionPlan`` belongs to the inspecting unit; ``Inspection`` is one inspected unit within a
plan, with its team, its access window, its findings and its conclusion. Who may read an
inspection: the inspecting unit's subtree readers (through the plan's unit), the inspected unit's
readers (their own inspection; the team's internal notes stay hidden until the conclusion is
issued), and the team's members. See docs/decisions/0007-inspections.md.
"""
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from mttq_platform.audit import AuditedModel
from mttq_platform.permissions import READ, RestrictedQuerySet, load_scope


class InspectionPlanStatus(models.TextChoices):
    DRAFT = "draft", _("Dự thảo")
    ISSUED = "issued", _("Đã ban hành")
    COMPLETED = "completed", _("Đã hoàn thành")
    CANCELLED = "cancelled", _("Đã hủy")


class InspectionPlanQuerySet(RestrictedQuerySet):
    unit_path = "unit"


class InspectionPlan(AuditedModel):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    unit = models.ForeignKey("orgtree.OrgUnit", models.PROTECT, related_name="inspection_plans", verbose_name=_("đơn vị kiểm tra"))
    number = models.CharField(_("số"), max_length=20, blank=True)
    symbol = models.CharField(_("ký hiệu"), max_length=60, blank=True, help_text=_("Ví dụ: KH-MTTQ-BTT"))
    place = models.CharField(_("địa danh"), max_length=100, blank=True)
    date = models.DateField(_("ngày ban hành"), null=True, blank=True)
    title = models.TextField(_("trích yếu"))
    year = models.PositiveSmallIntegerField(_("năm"))
    purpose = models.TextField(_("mục đích, yêu cầu"), blank=True)
    content = models.TextField(_("nội dung kiểm tra"), blank=True)
    schedule = models.TextField(_("thời gian, lịch kiểm tra"), blank=True)
    start_date = models.DateField(_("từ ngày"))
    end_date = models.DateField(_("đến ngày"))
    status = models.CharField(_("trạng thái"), max_length=12, choices=InspectionPlanStatus.choices, default=InspectionPlanStatus.DRAFT)
    signer_on_behalf = models.CharField(_("thẩm quyền ký"), max_length=100, blank=True)
    signer_title = models.CharField(_("chức vụ người ký"), max_length=100, blank=True)
    signer_name = models.CharField(_("người ký"), max_length=100, blank=True)
    cancelled_at = models.DateTimeField(_("hủy lúc"), null=True, blank=True)
    cancel_reason = models.TextField(_("lý do hủy"), blank=True)
    # Set on a plan received from a child installation with its inspections' conclusions (sync):
    # its global id there. Such a plan is only ever changed where it was made.
    received_from = models.CharField(_("nhận từ"), max_length=120, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InspectionPlanQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "-start_date", "-created_at"]
        verbose_name = _("kế hoạch kiểm tra")
        verbose_name_plural = _("kế hoạch kiểm tra")
        constraints = [models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")), name="inspections_plan_dates")]

    def __str__(self):
        return self.title

    @property
    def number_symbol(self) -> str:
        return "/".join(part for part in (self.number, self.symbol) if part)

    def audit_unit_id(self):
        return self.unit_id


class TeamRole(models.TextChoices):
    LEADER = "leader", _("Trưởng đoàn")
    DEPUTY = "deputy", _("Phó trưởng đoàn")
    MEMBER = "member", _("Thành viên")
    SECRETARY = "secretary", _("Thư ký")
    EXPERT = "expert", _("Chuyên gia, cộng tác viên")


class TeamQuerySet(RestrictedQuerySet):
    unit_path = "plan__unit"


class Team(AuditedModel):
    """An inspection team, set up by a decision (quyết định thành lập đoàn kiểm tra)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(InspectionPlan, models.CASCADE, related_name="teams")
    name = models.CharField(_("tên đoàn"), max_length=255)
    decision_number = models.CharField(_("số quyết định"), max_length=20, blank=True)
    decision_symbol = models.CharField(_("ký hiệu quyết định"), max_length=60, blank=True, help_text=_("Ví dụ: QĐ-MTTQ-BTT"))
    decision_date = models.DateField(_("ngày quyết định"), null=True, blank=True)
    duties = models.TextField(_("nhiệm vụ của đoàn"), blank=True)

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "id"]
        verbose_name = _("đoàn kiểm tra")
        verbose_name_plural = _("đoàn kiểm tra")

    def __str__(self):
        return self.name

    def audit_unit_id(self):
        return self.plan.unit_id


class TeamMemberQuerySet(RestrictedQuerySet):
    unit_path = "team__plan__unit"


class TeamMember(AuditedModel):
    """A member of a team: a user of the platform (from the unit, a member organization, another
    unit), or an outside expert without an account (``user`` empty)."""

    team = models.ForeignKey(Team, models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="inspection_memberships")
    name = models.CharField(_("họ và tên"), max_length=150)
    title = models.CharField(_("chức vụ"), max_length=150, blank=True)
    organization = models.CharField(_("cơ quan, đơn vị"), max_length=255, blank=True)
    from_unit = models.ForeignKey("orgtree.OrgUnit", models.SET_NULL, null=True, blank=True, related_name="+")
    role = models.CharField(_("vai trò trong đoàn"), max_length=10, choices=TeamRole.choices, default=TeamRole.MEMBER)
    order = models.PositiveSmallIntegerField(default=0)

    objects = TeamMemberQuerySet.as_manager()

    class Meta:
        ordering = ["team", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="inspections_member_unique")]

    def __str__(self):
        return self.name

    def audit_unit_id(self):
        return self.team.plan.unit_id


class InspectionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Đã lên lịch")
    IN_PROGRESS = "in_progress", _("Đang kiểm tra")
    CONCLUDED = "concluded", _("Đã kết luận")
    CANCELLED = "cancelled", _("Đã hủy")


class Assessment(models.TextChoices):
    GOOD = "good", _("Tốt")
    FAIR = "fair", _("Khá")
    AVERAGE = "average", _("Trung bình")
    WEAK = "weak", _("Yếu")


class InspectionQuerySet(RestrictedQuerySet):
    """Readable by the inspecting unit's side (the plan's unit), by the inspected unit's side, and
    by the team's members; writes belong to the inspecting unit and the team (services decide)."""

    unit_path = "plan__unit"
    inspected_path = "unit"
    team_path = "team"

    def access_q(self, user, action: str, with_extra: bool = True):
        condition = super().access_q(user, action, with_extra=with_extra)
        if action == READ:
            prefix = f"{self.inspected_path}__"
            condition |= load_scope(user).q(prefix, READ, with_ancestors=False)
            condition |= Exists(TeamMember.objects.filter(team=OuterRef(self.team_path), user=user))
        return condition


class Inspection(AuditedModel):
    """The inspection of one unit within a plan."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(InspectionPlan, models.CASCADE, related_name="inspections")
    unit = models.ForeignKey("orgtree.OrgUnit", models.PROTECT, related_name="inspections", verbose_name=_("đơn vị được kiểm tra"))
    team = models.ForeignKey(Team, models.SET_NULL, null=True, blank=True, related_name="inspections")
    window_start = models.DateField(_("mở quyền xem từ ngày"))
    window_end = models.DateField(_("đến hết ngày"))
    status = models.CharField(_("trạng thái"), max_length=12, choices=InspectionStatus.choices, default=InspectionStatus.SCHEDULED)
    findings = models.TextField(_("kết quả kiểm tra"), blank=True)
    internal_notes = models.TextField(_("ghi chép nội bộ của đoàn"), blank=True,
                                      help_text=_("Đơn vị được kiểm tra không xem được cho đến khi ban hành kết luận."))
    assessment = models.CharField(_("đánh giá chung"), max_length=10, choices=Assessment.choices, blank=True)
    assessment_text = models.TextField(_("nhận xét chung"), blank=True)
    conclusion_number = models.CharField(_("số kết luận"), max_length=20, blank=True)
    conclusion_symbol = models.CharField(_("ký hiệu kết luận"), max_length=60, blank=True, help_text=_("Ví dụ: KL-MTTQ-BTT"))
    conclusion_date = models.DateField(_("ngày kết luận"), null=True, blank=True)
    conclusion_text = models.TextField(_("nội dung kết luận"), blank=True)
    concluded_at = models.DateTimeField(_("ban hành kết luận lúc"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InspectionQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "unit__tree_id", "unit__lft"]
        verbose_name = _("cuộc kiểm tra đơn vị")
        verbose_name_plural = _("cuộc kiểm tra đơn vị")
        constraints = [
            models.UniqueConstraint(fields=["plan", "unit"], name="inspections_inspection_unique"),
            models.CheckConstraint(condition=models.Q(window_end__gte=models.F("window_start")), name="inspections_window_dates"),
        ]

    def __str__(self):
        return f"{self.plan} — {self.unit}"

    @property
    def is_concluded(self) -> bool:
        return self.status == InspectionStatus.CONCLUDED

    def audit_unit_id(self):
        return self.plan.unit_id


class TeamAccess(models.Model):
    """The time-boxed read access of one team member to one inspected unit: the guardian grant
    (``orgtree.OrgUnitUserObjectPermission`` with ``expires_at``) it was given as, kept so that
    cancelling the inspection revokes exactly it. The grant itself is audited."""

    inspection = models.ForeignKey(Inspection, models.CASCADE, related_name="accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    grant = models.OneToOneField("orgtree.OrgUnitUserObjectPermission", models.SET_NULL, null=True, blank=True, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["inspection", "user"], name="inspections_access_unique")]
