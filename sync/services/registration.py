"""Registering a peer installation: its address, role, the subtree it may write (a child) or that
we receive for (a parent), the shared HMAC key and, for a child, the read-only API token it reads
our feed with (an ApiToken scoped to its unit: revocable like any other token)."""
from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from mttq_platform.models import ApiToken
from sync.models import Peer, PeerKey, PeerRole
from sync.services.keys import add_key
from sync.signing import usable_keys


@dataclass
class Registration:
    peer: Peer
    key: PeerKey
    token_key: str | None = None  # shown once: the API token issued to a child


def token_name(peer: Peer) -> str:
    return f"sync:{peer.installation_id}"


def default_token_user():
    """Who a peer's token acts as when no one is named: the first active superuser (the token's
    unit narrows it to the peer's subtree)."""
    user = get_user_model().objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    if user is None:
        raise ValidationError("Chưa có quản trị viên để cấp mã truy cập; hãy chỉ rõ người dùng. / "
                              "No superuser to issue the token as; name a user.")
    return user


def issue_peer_token(peer: Peer, user=None) -> str:
    """A read-only token for ``peer`` scoped to its unit's subtree; the key (shown once)."""
    _token, key = ApiToken.issue(user or default_token_user(), token_name(peer), unit=peer.unit, read_only=True)
    return key


def revoke_peer_tokens(peer: Peer) -> int:
    tokens = list(ApiToken.objects.usable().filter(name=token_name(peer)))
    for token in tokens:
        token.revoke()
    return len(tokens)


def register_peer(*, name: str, installation_id: str, role: str, unit, base_url: str = "", token: str = "",
                  key_id: str | None = None, secret: str | None = None, issue_token: bool | None = None,
                  token_user=None) -> Registration:
    """Register a peer with a new key (or the other side's, imported). A child is issued a token
    unless ``issue_token`` is False."""
    if role not in PeerRole.values:
        raise ValidationError(f"Vai trò không hợp lệ: {role}. / Unknown role: {role}.")
    if Peer.objects.filter(installation_id=installation_id).exists():
        raise ValidationError(f"Cài đặt {installation_id} đã được đăng ký. / Installation {installation_id} is already registered.")
    with transaction.atomic():
        peer = Peer.objects.create(name=name, installation_id=installation_id, role=role, unit=unit,
                                   base_url=base_url, token=token)
        key = add_key(peer, key_id, secret)
        if issue_token is None:
            issue_token = role == PeerRole.CHILD
        token_key = issue_peer_token(peer, token_user) if issue_token else None
    return Registration(peer, key, token_key)


def deactivate_peer(peer: Peer) -> None:
    """Stop talking to ``peer``: its signatures are refused, its tokens revoked, its keys retired."""
    with transaction.atomic():
        Peer.objects.filter(pk=peer.pk).update(active=False)
        usable_keys(peer).update(retired_at=timezone.now())
        revoke_peer_tokens(peer)
