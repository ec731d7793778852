"""Signed requests between installations (HMAC-SHA256 with a per-peer key that rotates).

Every request from one installation to another carries these headers:

``X-Sync-Installation``   the sender's installation id (``settings.INSTALLATION_ID``)
``X-Sync-Key``            the id of the shared key used (``PeerKey.key_id``)
``X-Sync-Timestamp``      Unix time in seconds when the request was signed
``X-Sync-Nonce``          a random string (16-64 of ``A-Za-z0-9_-``), never used twice with a key
``X-Sync-Content-SHA256`` hex SHA-256 of the body (of b"" when there is none)
``X-Sync-Signature``      hex HMAC-SHA256, with the key's secret, of the five lines::

                              METHOD
                              PATH (with the query string, as sent: /api/v1/sync/feed/?cursor=x)
                              TIMESTAMP
                              NONCE
                              sha256hex(body)

The receiver (``verify``) refuses, with a reason in Vietnamese and English and before anything is
applied: a missing header, an unknown or inactive installation, an unknown key, a retired key, a
timestamp more than ``SYNC_MAX_SKEW_SECONDS`` (300) away from its clock, a signature that does not
match (wrong secret or altered method/path/headers), a body that does not match its signed hash, and
a nonce already seen with that key (a replay). Nonces are kept in ``sync.Nonce`` for twice the skew
window (a request stamped up to the window ahead can be replayed until the window behind it), then
purged by the beat task ``sync.purge_nonces``.

Key rotation (sync.services.keys): the newest usable key signs; an older key stays accepted until
its ``retired_at``, which rotation sets ``SYNC_KEY_GRACE_DAYS`` ahead.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from sync.errors import SignatureError

HEADER_INSTALLATION = "X-Sync-Installation"
HEADER_KEY = "X-Sync-Key"
HEADER_TIMESTAMP = "X-Sync-Timestamp"
HEADER_NONCE = "X-Sync-Nonce"
HEADER_CONTENT_SHA256 = "X-Sync-Content-SHA256"
HEADER_SIGNATURE = "X-Sync-Signature"
SIGNED_HEADERS = (HEADER_INSTALLATION, HEADER_KEY, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_SIGNATURE)

NONCE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

# code -> (Vietnamese, English). The codes are the ``code`` of the JSON error the receiver answers.
REFUSALS = {
    "signature_missing": (
        "Yêu cầu đồng bộ thiếu chữ ký hoặc thiếu tiêu đề ký (X-Sync-*).",
        "The sync request is not signed or lacks a signing header (X-Sync-*).",
    ),
    "signature_unknown_peer": (
        "Cài đặt gửi yêu cầu chưa được đăng ký hoặc đã bị ngừng kết nối.",
        "The sending installation is not registered here or has been deactivated.",
    ),
    "signature_unknown_key": (
        "Khóa ký không được biết cho cài đặt này.",
        "The signing key is not known for this installation.",
    ),
    "signature_retired_key": (
        "Khóa ký đã hết hiệu lực (đã thay khóa); hãy ký bằng khóa mới.",
        "The signing key has been retired (the key was rotated); sign with the new key.",
    ),
    "signature_stale_timestamp": (
        "Thời điểm ký quá cũ hoặc lệch đồng hồ quá mức cho phép.",
        "The signing timestamp is too old or too far from this server's clock.",
    ),
    "signature_invalid": (
        "Chữ ký không đúng (sai khóa, hoặc yêu cầu đã bị sửa).",
        "The signature does not match (wrong key, or the request was altered).",
    ),
    "signature_body_mismatch": (
        "Nội dung yêu cầu đã bị thay đổi sau khi ký.",
        "The request body was changed after it was signed.",
    ),
    "request_too_large": (
        "Yêu cầu quá lớn: hãy giảm SYNC_BATCH_MAX_BYTES ở bên gửi hoặc tăng SYNC_INBOX_MAX_BYTES ở bên nhận.",
        "The request is too large: lower SYNC_BATCH_MAX_BYTES at the sender or raise SYNC_INBOX_MAX_BYTES here.",
    ),
    "peer_token_revoked": (
        "Mã truy cập cấp cho cài đặt này đã bị thu hồi, hết hạn hoặc không được gửi kèm; hãy xin mã mới.",
        "The access token issued to this installation is revoked, expired or missing; ask for a new one.",
    ),
    "signature_replayed_nonce": (
        "Yêu cầu này đã được nhận trước đó (gửi lại trùng mã dùng một lần).",
        "This request was already received (replayed nonce).",
    ),
}


def refuse(code: str, status: int = 401) -> SignatureError:
    vi, en = REFUSALS[code]
    return SignatureError(vi, en, status=status, code=code)


def max_skew_seconds() -> int:
    return int(getattr(settings, "SYNC_MAX_SKEW_SECONDS", 300))


def body_hash(body: bytes | None) -> str:
    return hashlib.sha256(body or b"").hexdigest()


def string_to_sign(method: str, path: str, timestamp: str, nonce: str, content_sha256: str) -> bytes:
    return "\n".join([method.upper(), path, timestamp, nonce, content_sha256]).encode()


def signature(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign_headers(method: str, path: str, body: bytes | None, key, installation_id: str | None = None) -> dict:
    """Headers that sign a request. ``path`` is exactly what is sent: path and query string."""
    installation_id = installation_id or settings.INSTALLATION_ID
    timestamp = str(int(time.time()))
    nonce = secrets.token_urlsafe(24)
    content_sha256 = body_hash(body)
    return {
        HEADER_INSTALLATION: installation_id,
        HEADER_KEY: key.key_id,
        HEADER_TIMESTAMP: timestamp,
        HEADER_NONCE: nonce,
        HEADER_CONTENT_SHA256: content_sha256,
        HEADER_SIGNATURE: signature(key.secret, string_to_sign(method, path, timestamp, nonce, content_sha256)),
    }


def usable_keys(peer):
    """Keys accepted now: not retired, or retired at a time still to come (the grace period)."""
    return peer.keys.filter(Q(retired_at__isnull=True) | Q(retired_at__gt=timezone.now()))


def signing_key(peer):
    """The key to sign with: the newest usable one."""
    return usable_keys(peer).order_by("-created_at", "-id").first()


def signed_path(request) -> str:
    """The path and query string as the sender signed them (``get_full_path`` re-quotes the path
    the way the client does and keeps the query string as received)."""
    return request.get_full_path()


def max_peer_body_bytes() -> int:
    return int(getattr(settings, "SYNC_INBOX_MAX_BYTES", 32 * 1024 * 1024))


def peer_body(request) -> bytes:
    """The body of a request from a known peer (checked before this is called). A peer's batch may
    exceed DATA_UPLOAD_MAX_MEMORY_SIZE, the limit for everyone's forms; it gets its own,
    SYNC_INBOX_MAX_BYTES, so a delivery is never stuck behind one large item."""
    django_request = getattr(request, "_request", request)
    try:
        return django_request.body
    except RequestDataTooBig:
        length = int(django_request.META.get("CONTENT_LENGTH") or 0)
        if length > max_peer_body_bytes():
            raise refuse("request_too_large", status=413) from None
        # Read here, within the peer's own limit; Django's body then answers what was read.
        django_request._body = django_request.read(length)
        return django_request._body


def verify(request):
    """The Peer that signed ``request`` (a Django or DRF request), or ``SignatureError``.

    The nonce is recorded last, only for a request whose signature is good, so that junk cannot fill
    the nonce table and a refused request can be corrected and sent again."""
    from sync.models import Nonce, Peer

    headers = request.headers
    values = {name: headers.get(name, "").strip() for name in SIGNED_HEADERS}
    if not all(values.values()) or not NONCE_PATTERN.match(values[HEADER_NONCE]):
        raise refuse("signature_missing")

    peer = Peer.objects.filter(installation_id=values[HEADER_INSTALLATION], active=True).select_related("unit").first()
    if peer is None:
        raise refuse("signature_unknown_peer")
    key = peer.keys.filter(key_id=values[HEADER_KEY]).first()
    if key is None:
        raise refuse("signature_unknown_key")
    now = timezone.now()
    if key.retired_at is not None and key.retired_at <= now:
        raise refuse("signature_retired_key")

    try:
        timestamp = int(values[HEADER_TIMESTAMP])
    except ValueError:
        raise refuse("signature_stale_timestamp") from None
    if abs(now.timestamp() - timestamp) > max_skew_seconds():
        raise refuse("signature_stale_timestamp")

    actual_hash = body_hash(peer_body(request))
    # The signature is checked over the hash the sender claims: a good signature with a body that
    # does not match it means the body was changed on the way, which deserves its own answer.
    claimed_hash = headers.get(HEADER_CONTENT_SHA256, "").strip().lower() or actual_hash
    message = string_to_sign(request.method, signed_path(request), values[HEADER_TIMESTAMP], values[HEADER_NONCE], claimed_hash)
    if not hmac.compare_digest(signature(key.secret, message), values[HEADER_SIGNATURE].lower()):
        raise refuse("signature_invalid")
    if not hmac.compare_digest(claimed_hash, actual_hash):
        raise refuse("signature_body_mismatch")

    try:
        with transaction.atomic():
            Nonce.objects.create(key=key, nonce=values[HEADER_NONCE])
    except IntegrityError:
        raise refuse("signature_replayed_nonce") from None
    return peer


def purge_nonces() -> int:
    """Forget nonces that can no longer be replayed (older than twice the skew window)."""
    from sync.models import Nonce

    cutoff = timezone.now() - timedelta(seconds=2 * max_skew_seconds())
    deleted, _ = Nonce.objects.filter(seen_at__lt=cutoff).delete()
    return deleted
