"""Comment rounds on a draft report (góp ý, seed II.4.1): a conference or written comments from
chosen units and outside bodies, with a deadline; the drafter marks each comment taken in or
explained."""
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mttq_platform.audit import AuditedModel
from reviews.models.reports import ReportPartQuerySet


class CommentRoundMode(models.TextChoices):
    CONFERENCE = "conference", _("Hội nghị góp ý")
    WRITING = "writing", _("Góp ý bằng văn bản")


class CommentRound(AuditedModel):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.ForeignKey("reviews.UnitReport", models.CASCADE, related_name="comment_rounds")
    mode = models.CharField(_("hình thức"), max_length=12, choices=CommentRoundMode.choices)
    title = models.CharField(_("tiêu đề"), max_length=255)
    deadline = models.DateField(_("hạn góp ý"))
    meeting_at = models.DateTimeField(_("thời gian hội nghị"), null=True, blank=True)
    meeting_place = models.CharField(_("địa điểm"), max_length=255, blank=True)
    minutes = models.TextField(_("biên bản hội nghị"), blank=True)
    closed_at = models.DateTimeField(_("kết thúc lúc"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReportPartQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("đợt góp ý")
        verbose_name_plural = _("đợt góp ý")

    def audit_unit_id(self):
        return self.report.unit_id


class CommentPartyQuerySet(ReportPartQuerySet):
    unit_path = "round__report__unit"


class CommentParty(models.Model):
    """A unit of the tree or an outside body asked for comments."""

    round = models.ForeignKey(CommentRound, models.CASCADE, related_name="parties")
    unit = models.ForeignKey("orgtree.OrgUnit", models.PROTECT, null=True, blank=True, related_name="+")
    outside_body = models.ForeignKey("plans.OutsideBody", models.PROTECT, null=True, blank=True, related_name="+")

    objects = CommentPartyQuerySet.as_manager()

    class Meta:
        ordering = ["round", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=False, outside_body__isnull=True) | Q(unit__isnull=True, outside_body__isnull=False),
                name="reviews_comment_party_one_of",
            ),
            models.UniqueConstraint(fields=["round", "unit"], name="reviews_comment_party_unit"),
            models.UniqueConstraint(fields=["round", "outside_body"], name="reviews_comment_party_body"),
        ]

    def __str__(self):
        return str(self.unit or self.outside_body)


class Disposition(models.TextChoices):
    PENDING = "pending", _("Chưa xử lý")
    TAKEN = "taken", _("Tiếp thu")
    EXPLAINED = "explained", _("Giải trình")


class CommentQuerySet(ReportPartQuerySet):
    unit_path = "round__report__unit"


class Comment(AuditedModel):
    round = models.ForeignKey(CommentRound, models.CASCADE, related_name="comments")
    party = models.ForeignKey(CommentParty, models.CASCADE, related_name="comments")
    text = models.TextField(_("ý kiến góp ý"))
    submitted_at = models.DateTimeField(_("gửi lúc"), auto_now_add=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    disposition = models.CharField(_("xử lý"), max_length=10, choices=Disposition.choices, default=Disposition.PENDING)
    response = models.TextField(_("nội dung tiếp thu, giải trình"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["round", "submitted_at", "id"]
        verbose_name = _("ý kiến góp ý")
        verbose_name_plural = _("ý kiến góp ý")

    def audit_unit_id(self):
        return self.round.report.unit_id
