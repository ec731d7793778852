from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from mttq_platform.permissions import RestrictedQuerySet


class AuditLogQuerySet(RestrictedQuerySet):
    unit_path = "unit"


class AuditLog(models.Model):
    """One recorded change to domain data. Never edited; deleted only by retention policy."""

    at = models.DateTimeField(_("thời điểm"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, verbose_name=_("người thực hiện"))
    action = models.CharField(_("thao tác"), max_length=16)  # create, update, delete
    content_type = models.ForeignKey(ContentType, models.PROTECT)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(_("đối tượng"), max_length=255)
    unit = models.ForeignKey("orgtree.OrgUnit", models.SET_NULL, null=True, blank=True, related_name="+", db_constraint=False)
    before = models.JSONField(_("trước"), null=True, blank=True)
    after = models.JSONField(_("sau"), null=True, blank=True)
    source = models.CharField(_("nguồn"), max_length=16, default="web")  # web, api, job, command, system
    request_id = models.CharField(max_length=64, blank=True)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("nhật ký thay đổi")
        verbose_name_plural = _("nhật ký thay đổi")
        indexes = [models.Index(fields=["content_type", "object_id"], name="audit_object")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_repr}"
