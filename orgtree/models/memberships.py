"""People and their roles in units."""
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mttq_platform.audit import AuditedModel
from mttq_platform.permissions import ACTIONS, RestrictedQuerySet


class Role(models.Model):
    """A role is data: its code, names and the actions it grants on its unit's own objects.

    Every role reads its unit's whole subtree; the actions below apply to the unit itself.
    """

    code = models.SlugField(_("mã"), max_length=40, unique=True)
    name = models.CharField(_("tên"), max_length=100)
    name_en = models.CharField(_("tên tiếng Anh"), max_length=100, blank=True)
    actions = ArrayField(
        models.CharField(max_length=16, choices=[(a, a) for a in ACTIONS]),
        verbose_name=_("quyền"), default=list, blank=True,
    )
    description = models.TextField(_("mô tả"), blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("vai trò")
        verbose_name_plural = _("vai trò")

    def __str__(self):
        return self.name


class MembershipQuerySet(RestrictedQuerySet):
    unit_path = "unit"


class Membership(AuditedModel):
    """A user's role in one unit. A user may hold several; the unit switcher lists them."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="memberships", verbose_name=_("người dùng"))
    unit = models.ForeignKey("orgtree.OrgUnit", models.CASCADE, related_name="memberships", verbose_name=_("đơn vị"))
    role = models.ForeignKey(Role, models.PROTECT, related_name="memberships", verbose_name=_("vai trò"))
    title = models.CharField(_("chức danh"), max_length=150, blank=True)
    # The day the role was given (the members page shows it); a carried-over membership starts anew.
    since = models.DateField(_("từ ngày"), default=timezone.localdate)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("thành viên")
        verbose_name_plural = _("thành viên")
        constraints = [models.UniqueConstraint(fields=["user", "unit", "role"], name="orgtree_membership_unique")]
        indexes = [models.Index(fields=["user", "unit"], name="orgtree_membership_user_unit")]

    def __str__(self):
        return f"{self.user} — {self.role} — {self.unit}"
