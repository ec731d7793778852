"""Plan documents (kế hoạch, hướng dẫn, ...) in the structure of Decree 30/2020: header, legal
bases, sections, tasks, responsibilities, recipients and signer, with status and versions."""
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mttq_platform.audit import AuditedModel
from plans.models.base import DocumentPartMixin, DocumentPartQuerySet, DocumentQuerySet


class DocumentKind(models.TextChoices):
    PLAN = "KH", _("Kế hoạch")
    GUIDANCE = "HD", _("Hướng dẫn")
    REPORT = "BC", _("Báo cáo")
    DECISION = "QĐ", _("Quyết định")
    NOTICE = "TB", _("Thông báo")


class DocumentStatus(models.TextChoices):
    DRAFT = "draft", _("Dự thảo")
    ISSUED = "issued", _("Đã ban hành")
    AMENDED = "amended", _("Đã sửa đổi, bổ sung")
    SUPERSEDED = "superseded", _("Đã thay thế")


class PlanDocument(AuditedModel):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    unit = models.ForeignKey("orgtree.OrgUnit", models.PROTECT, related_name="documents", verbose_name=_("đơn vị ban hành"))
    kind = models.CharField(_("loại văn bản"), max_length=4, choices=DocumentKind.choices, default=DocumentKind.PLAN)
    number = models.CharField(_("số"), max_length=20, blank=True)
    symbol = models.CharField(_("ký hiệu"), max_length=60, blank=True, help_text=_("Ví dụ: KH-MTTQ-BTT"))
    issuer_text = models.TextField(_("cơ quan ban hành (như ghi trên văn bản)"), blank=True)
    place = models.CharField(_("địa danh"), max_length=100, blank=True)
    date = models.DateField(_("ngày ban hành"), null=True, blank=True)
    title = models.TextField(_("trích yếu"))
    preamble = models.TextField(_("phần mở đầu"), blank=True)
    closing = models.TextField(_("phần kết"), blank=True)
    parent_plan = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="derived_plans", verbose_name=_("kế hoạch cấp trên"),
        help_text=_("Kế hoạch của cấp trên mà kế hoạch này được xây dựng trên cơ sở đó."),
    )
    status = models.CharField(_("trạng thái"), max_length=12, choices=DocumentStatus.choices, default=DocumentStatus.DRAFT)
    version = models.PositiveIntegerField(_("phiên bản"), default=1)
    issued_at = models.DateTimeField(_("ban hành lúc"), null=True, blank=True)
    signer_on_behalf = models.CharField(_("thẩm quyền ký"), max_length=100, blank=True, help_text=_("TM. BAN THƯỜNG TRỰC, KT. CHỦ TỊCH"))
    signer_title = models.CharField(_("chức vụ người ký"), max_length=100, blank=True)
    signer_name = models.CharField(_("người ký"), max_length=100, blank=True)
    recipients = models.JSONField(_("nơi nhận"), default=list, blank=True)
    unrecognized = models.JSONField(_("dòng chưa nhận dạng"), default=list, blank=True)
    directive_year = models.PositiveSmallIntegerField(
        _("năm của chỉ thị"), null=True, blank=True, help_text=_("Mốc tính sơ kết 3, 5 năm và tổng kết 10 năm."),
    )
    source_name = models.CharField(_("tệp nguồn"), max_length=255, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-created_at"]
        verbose_name = _("văn bản kế hoạch")
        verbose_name_plural = _("văn bản kế hoạch")
        indexes = [models.Index(fields=["unit", "status"], name="plans_doc_unit_status")]

    def __str__(self):
        return f"{self.number_symbol} {self.title}".strip() if self.number else self.title

    @property
    def number_symbol(self) -> str:
        """"15/KH-MTTQ-BTT" as written after "Số:"."""
        return "/".join(part for part in (self.number, self.symbol) if part)

    @property
    def is_published(self) -> bool:
        return self.status != DocumentStatus.DRAFT

    def audit_unit_id(self):
        return self.unit_id


class LegalBasis(DocumentPartMixin, AuditedModel):
    """A reference in the preamble ("Thực hiện Chỉ thị số 18-CT/TW ngày 26/10/2022 ...")."""

    document = models.ForeignKey(PlanDocument, models.CASCADE, related_name="legal_bases")
    order = models.PositiveSmallIntegerField(default=0)
    text = models.TextField(_("căn cứ"))
    reference = models.CharField(_("số, ký hiệu"), max_length=60, blank=True)
    reference_date = models.DateField(_("ngày"), null=True, blank=True)
    referenced_document = models.ForeignKey(PlanDocument, models.SET_NULL, null=True, blank=True, related_name="cited_by")

    objects = DocumentPartQuerySet.as_manager()

    class Meta:
        ordering = ["document", "order"]
        verbose_name = _("căn cứ")
        verbose_name_plural = _("căn cứ")

    def __str__(self):
        return self.reference or self.text[:60]


class Section(DocumentPartMixin, AuditedModel):
    """"I. MỤC ĐÍCH, YÊU CẦU", "II. NỘI DUNG", and the numbered groups inside II ("II.2")."""

    document = models.ForeignKey(PlanDocument, models.CASCADE, related_name="sections")
    parent = models.ForeignKey("self", models.CASCADE, null=True, blank=True, related_name="subsections")
    number = models.CharField(_("số mục"), max_length=20)
    title = models.TextField(_("tên mục"))
    text = models.TextField(_("nội dung"), blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    objects = DocumentPartQuerySet.as_manager()

    class Meta:
        ordering = ["document", "order"]
        verbose_name = _("mục")
        verbose_name_plural = _("mục")

    def __str__(self):
        return f"{self.number}. {self.title}"


class Responsibility(DocumentPartMixin, AuditedModel):
    """Section III: what one kind of party does."""

    document = models.ForeignKey(PlanDocument, models.CASCADE, related_name="responsibilities")
    order = models.PositiveSmallIntegerField(default=0)
    number = models.CharField(_("số"), max_length=10, blank=True)
    party = models.TextField(_("đơn vị"))
    text = models.TextField(_("nhiệm vụ"))

    objects = DocumentPartQuerySet.as_manager()

    class Meta:
        ordering = ["document", "order"]
        verbose_name = _("trách nhiệm thực hiện")
        verbose_name_plural = _("trách nhiệm thực hiện")

    def __str__(self):
        return self.party


class PlanVersion(DocumentPartMixin, models.Model):
    """A frozen copy of a published document at each issue or amendment: the accepted text stays
    readable after the document changes."""

    document = models.ForeignKey(PlanDocument, models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    snapshot = models.JSONField()
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DocumentPartQuerySet.as_manager()

    class Meta:
        ordering = ["document", "version"]
        constraints = [models.UniqueConstraint(fields=["document", "version"], name="plans_version_unique")]
