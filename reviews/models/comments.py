"""Comment rounds on a draft report (góp ý, seed II.4.1): a conference or written comments from
chosen units and outside bodies, with a deadline; the drafter marks each comment taken in or
explained."""
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from mttq_platform.audit import AuditedModel
from mttq_platform.permissions import READ, load_scope
from reviews.models.reports import ReportPartQuerySet


class PartyReadableQuerySet(ReportPartQuerySet):
    """Rows of a comment round, readable where the report is (the drafting unit's subtree and the
    units above it) and, through this one restriction, also by the users of a party unit: a member
    organization asked for comments reads the round and its own comments although the drafting
    unit is not in its subtree. "My units" are the units of the user's memberships and grants
    (exactly those units, not their subtrees), read from the access scope already loaded for the
    request. A party sees no more than ``party_q`` opens; writes stay with the services."""

    unit_path = "round__report__unit"

    def party_q(self, unit_ids) -> Q:
        raise NotImplementedError

    def access_q(self, user, action: str, with_extra: bool = True) -> Q:
        condition = super().access_q(user, action, with_extra=with_extra)
        if action == READ and with_extra:
            scope = load_scope(user)
            unit_ids = {unit.unit_id for unit, _actions in scope.memberships} | {unit.unit_id for unit, _a in scope.grants}
            if unit_ids:
                condition |= self.party_q(sorted(unit_ids))
        return condition


class CommentRoundQuerySet(PartyReadableQuerySet):
    unit_path = "report__unit"

    def party_q(self, unit_ids) -> Q:
        return Q(Exists(CommentParty.objects.filter(round=OuterRef("pk"), unit_id__in=unit_ids)))


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

    objects = CommentRoundQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("đợt góp ý")
        verbose_name_plural = _("đợt góp ý")

    def audit_unit_id(self):
        return self.report.unit_id


class CommentPartyQuerySet(PartyReadableQuerySet):
    def party_q(self, unit_ids) -> Q:
        return Q(unit_id__in=unit_ids)  # a party sees itself, not the other parties


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


class CommentQuerySet(PartyReadableQuerySet):
    def party_q(self, unit_ids) -> Q:
        return Q(party__unit_id__in=unit_ids)  # its own comments only


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
