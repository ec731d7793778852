"""Explicit grants on single units through django-guardian, with an optional expiry.

These are guardian's direct-foreign-key permission models (a real FK to OrgUnit, so the
restriction joins them by range in SQL). A grant on a unit covers the unit and its subtree, as a
Wagtail page permission covers the pages below; ``starts_at`` and ``expires_at`` make it temporary
(an inspection team's window): a grant counts only between them, whatever the clock of the
request, and a Celery beat job deletes the expired ones.
"""
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from mttq_platform.audit import AuditedModel


class _AuditedGrant(AuditedModel):
    """What both grant tables add to guardian's: a window and a reason. Every grant and
    revocation is audited, under the unit it opens."""

    starts_at = models.DateTimeField(_("hiệu lực từ"), null=True, blank=True)
    expires_at = models.DateTimeField(_("hết hạn lúc"), null=True, blank=True)
    reason = models.CharField(_("lý do"), max_length=255, blank=True)

    class Meta:
        abstract = True

    def audit_unit_id(self):
        return self.content_object_id


class OrgUnitUserObjectPermission(_AuditedGrant, UserObjectPermissionBase):
    content_object = models.ForeignKey("orgtree.OrgUnit", models.CASCADE, related_name="user_grants")

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("quyền trên đơn vị (người dùng)")
        verbose_name_plural = _("quyền trên đơn vị (người dùng)")


class OrgUnitGroupObjectPermission(_AuditedGrant, GroupObjectPermissionBase):
    content_object = models.ForeignKey("orgtree.OrgUnit", models.CASCADE, related_name="group_grants")

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("quyền trên đơn vị (nhóm)")
        verbose_name_plural = _("quyền trên đơn vị (nhóm)")
