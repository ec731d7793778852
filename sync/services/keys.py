"""The HMAC keys shared with a peer: made, imported and rotated.

Both installations hold the same key (same ``key_id`` and secret): one side makes it and shows it
once, the other imports it (``manage.py sync_peer add --key-id --secret`` or
``manage.py sync_keys rotate PEER --key-id --secret``). After a rotation the new key signs; the
previous keys stay accepted for ``SYNC_KEY_GRACE_DAYS`` (7) so that the other side has time to
import the new one, then they are refused (``PeerKey.retired_at``, a time that may lie ahead).
"""
from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from sync.models import PeerKey
from sync.models.peers import new_secret
from sync.signing import usable_keys

MIN_SECRET_LENGTH = 32


def grace_period() -> timedelta:
    return timedelta(days=float(getattr(settings, "SYNC_KEY_GRACE_DAYS", 7)))


def new_key_id() -> str:
    return f"k{timezone.now():%Y%m%d}-{secrets.token_hex(4)}"


def add_key(peer, key_id: str | None = None, secret: str | None = None) -> PeerKey:
    """A new key for ``peer``: made here, or imported from the other side (same id and secret)."""
    if secret is not None and len(secret) < MIN_SECRET_LENGTH:
        raise ValidationError(f"Khóa bí mật phải dài ít nhất {MIN_SECRET_LENGTH} ký tự. / "
                              f"The secret must be at least {MIN_SECRET_LENGTH} characters long.")
    key_id = key_id or new_key_id()
    if peer.keys.filter(key_id=key_id).exists():
        raise ValidationError(f"Khóa {key_id} đã có cho {peer.name}. / Key {key_id} already exists for {peer.name}.")
    return PeerKey.objects.create(peer=peer, key_id=key_id, secret=secret or new_secret())


def rotate_key(peer, key_id: str | None = None, secret: str | None = None, grace: timedelta | None = None) -> PeerKey:
    """Make (or import) a new key that signs from now on; the keys usable until now are retired
    at the end of the grace period (a key already due to retire earlier keeps its date)."""
    with transaction.atomic():
        retire_at = timezone.now() + (grace if grace is not None else grace_period())
        usable_keys(peer).filter(retired_at__isnull=True).update(retired_at=retire_at)
        usable_keys(peer).filter(retired_at__gt=retire_at).update(retired_at=retire_at)
        return add_key(peer, key_id, secret)


def retire_key(peer, key_id: str) -> int:
    """Refuse ``key_id`` from now on (a leaked key): no grace."""
    return usable_keys(peer).filter(key_id=key_id).update(retired_at=timezone.now())
