"""Installations this one talks to: the parent it reports to and the children it receives from,
with their credentials, what was received, what was parked, and the nonces already seen."""
import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _


class PeerRole(models.TextChoices):
    PARENT = "parent", _("Cấp trên (nhận báo cáo của cài đặt này)")
    CHILD = "child", _("Cấp dưới (gửi báo cáo lên cài đặt này)")


class Peer(models.Model):
    name = models.CharField(_("tên"), max_length=100, unique=True)
    installation_id = models.CharField(_("mã cài đặt"), max_length=64, unique=True)
    role = models.CharField(_("vai trò"), max_length=8, choices=PeerRole.choices)
    base_url = models.URLField(_("địa chỉ"), blank=True, help_text=_("Địa chỉ gốc của cài đặt bên kia (với cấp trên)."))
    unit = models.ForeignKey("orgtree.OrgUnit", models.PROTECT, related_name="+",
                             help_text=_("Cây đơn vị mà bên kia được phép ghi (cấp dưới) hoặc được nhận về (cấp trên)."))
    token = models.CharField(_("mã truy cập gửi đi"), max_length=128, blank=True,
                             help_text=_("Mã do bên kia cấp, dùng khi gọi đến bên kia."))
    active = models.BooleanField(_("đang dùng"), default=True)
    # Watermarks: the last change record the parent acknowledged (up), the feed cursor pulled (down).
    acked_up_to = models.BigIntegerField(default=0)
    pull_cursor = models.CharField(max_length=200, blank=True)
    last_delivery_at = models.DateTimeField(null=True, blank=True)
    last_pull_at = models.DateTimeField(null=True, blank=True)
    # Kept apart: a pull that succeeds says nothing of a delivery that keeps failing, and back.
    last_push_error = models.TextField(blank=True)
    last_pull_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["role", "name"]
        verbose_name = _("cài đặt kết nối")
        verbose_name_plural = _("cài đặt kết nối")

    def __str__(self):
        return self.name


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class PeerKey(models.Model):
    """An HMAC key shared with a peer. Keys rotate: a new key signs; an old one is still accepted
    until ``retired_at``."""

    peer = models.ForeignKey(Peer, models.CASCADE, related_name="keys")
    key_id = models.CharField(max_length=32)
    secret = models.CharField(max_length=128, default=new_secret)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["peer", "-created_at"]
        constraints = [models.UniqueConstraint(fields=["peer", "key_id"], name="sync_peer_key_unique")]


class ReceivedItem(models.Model):
    """What this installation holds of another's object: its last applied version. Applying is
    idempotent: a replay changes nothing and an older version never overwrites a newer one."""

    origin = models.CharField(max_length=64)
    object_uuid = models.UUIDField()
    kind = models.CharField(max_length=12)
    version = models.PositiveIntegerField()
    peer = models.ForeignKey(Peer, models.PROTECT, related_name="received")
    unit = models.ForeignKey("orgtree.OrgUnit", models.PROTECT, null=True, blank=True, related_name="+")
    payload = models.JSONField()
    applied_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["origin", "object_uuid"], name="sync_received_unique")]


class ParkedItem(models.Model):
    """An item that could not be applied (fails validation, unknown schema version, outside the
    peer's subtree), kept with its reason; it does not stop the items after it."""

    peer = models.ForeignKey(Peer, models.CASCADE, related_name="parked")
    direction = models.CharField(max_length=4, choices=[("in", _("nhận")), ("out", _("gửi"))])
    origin = models.CharField(max_length=64)
    object_uuid = models.UUIDField(null=True, blank=True)
    version = models.PositiveIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=12, blank=True)
    payload = models.JSONField(null=True, blank=True)
    reason = models.TextField(_("lý do"))
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class Nonce(models.Model):
    """Nonces of signed requests already seen, kept as long as their timestamp would be accepted."""

    key = models.ForeignKey(PeerKey, models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64)
    seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "nonce"], name="sync_nonce_unique")]
