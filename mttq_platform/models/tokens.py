"""API tokens for machine clients: scoped to one unit's subtree, optionally read-only, revocable.

Only a SHA-256 digest of the key is stored; the key is shown once when the token is made.
"""
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mttq_platform.permissions import RestrictedQuerySet


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(RestrictedQuerySet):
    unit_path = "unit"

    def usable(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now))


class ApiToken(models.Model):
    PREFIX = "mttq_"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="api_tokens", verbose_name=_("người dùng"))
    name = models.CharField(_("tên"), max_length=100)
    key_digest = models.CharField(max_length=64, unique=True, editable=False)
    key_hint = models.CharField(max_length=12, editable=False)
    unit = models.ForeignKey(
        "orgtree.OrgUnit", models.CASCADE, null=True, blank=True, verbose_name=_("phạm vi"),
        help_text=_("Chỉ thấy đơn vị này và cấp dưới. Để trống: theo quyền của người dùng."),
    )
    read_only = models.BooleanField(_("chỉ đọc"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("hết hạn"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("thu hồi lúc"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("mã truy cập API")
        verbose_name_plural = _("mã truy cập API")

    def __str__(self):
        return f"{self.name} ({self.key_hint}…)"

    @classmethod
    def issue(cls, user, name, unit=None, read_only=True, expires_at=None):
        """Make a token; returns (token, key). The key is not stored and cannot be shown again."""
        key = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, unit=unit, read_only=read_only, expires_at=expires_at,
            key_digest=digest(key), key_hint=key[: len(cls.PREFIX) + 6],
        )
        return token, key

    def revoke(self):
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])
