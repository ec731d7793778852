"""Calls to another installation: every request signed with the peer's newest key (sync.signing)
and, when the other side issued us one, its API token (``Peer.token``) for its scoped reads.

``PeerClient(peer).get(path, params)`` and ``.post(path, payload)`` return the parsed JSON answer.
The newest usable key signs; when the other side does not know it yet (a rotation not yet imported
there), the request is signed again with the previous key, still in its grace period.
A non-2xx answer raises ``SyncError`` with the remote's own Vietnamese / English message and code;
no answer at all (refused connection, timeout, reset) raises ``PeerUnreachable``.
"""
from __future__ import annotations

import http.client
import json
import socket
import urllib.error
import urllib.request
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.encoding import escape_uri_path

from sync import signing
from sync.errors import PeerUnreachable, SyncError


def timeout_seconds() -> float:
    return float(getattr(settings, "SYNC_HTTP_TIMEOUT", 30))


class PeerClient:
    def __init__(self, peer, *, timeout: float | None = None):
        self.peer = peer
        self.timeout = timeout if timeout is not None else timeout_seconds()

    def get(self, path: str, params: dict | None = None):
        return self.request("GET", path, params=params)

    def post(self, path: str, payload):
        return self.request("POST", path, payload=payload)

    def url_and_path(self, path: str, params: dict | None = None) -> tuple[str, str]:
        """The full URL and the part of it that is signed (path and query, as sent)."""
        base = self.peer.base_url.rstrip("/")
        if not base:
            raise SyncError(f"Chưa có địa chỉ của cài đặt {self.peer.name}.",
                            f"No address is registered for installation {self.peer.name}.", code="peer_no_url")
        url = base + "/" + path.lstrip("/")
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params, doseq=True)
        parts = urlsplit(url)
        signed = escape_uri_path(parts.path) + (f"?{parts.query}" if parts.query else "")
        return parts._replace(path=escape_uri_path(parts.path)).geturl(), signed

    def request(self, method: str, path: str, *, params: dict | None = None, payload=None):
        keys = list(signing.usable_keys(self.peer).order_by("-created_at", "-id"))
        if not keys:
            raise SyncError(f"Không còn khóa ký dùng được với {self.peer.name}.",
                            f"No usable signing key for {self.peer.name}.", code="peer_no_key")
        url, signed = self.url_and_path(path, params)
        body = b"" if payload is None else json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False).encode()
        for key in keys:
            try:
                return self.send(method, url, signed, body if payload is not None else None, key)
            except SyncError as error:
                # Just after a rotation here the other side may not have imported the new key yet;
                # it still accepts the previous one (grace period). A refused request wrote nothing.
                if error.code != "signature_unknown_key" or key is keys[-1]:
                    raise

    def send(self, method: str, url: str, signed: str, body: bytes | None, key):
        headers = {"Accept": "application/json", "Accept-Language": "vi",
                   **signing.sign_headers(method, signed, body, key, settings.INSTALLATION_ID)}
        if body is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        if self.peer.token:
            headers["Authorization"] = f"Token {self.peer.token}"
        req = urllib.request.Request(url, data=body, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            raise self.remote_error(error.code, error.read()) from None
        except (urllib.error.URLError, http.client.HTTPException, socket.timeout, OSError) as error:
            reason = getattr(error, "reason", error)
            raise PeerUnreachable(f"Không kết nối được tới {self.peer.name} ({url}): {reason}",
                                  f"Cannot reach {self.peer.name} ({url}): {reason}") from error
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            raise SyncError(f"{self.peer.name} trả lời không phải JSON.", f"{self.peer.name} answered something that is not JSON.",
                            code="peer_bad_answer") from None

    def remote_error(self, status: int, raw: bytes) -> SyncError:
        """The remote's own message when it answered in the project's JSON error shape."""
        try:
            error = json.loads(raw).get("error") or {}
        except (ValueError, AttributeError):
            error = {}
        if isinstance(error, dict) and error.get("message"):
            return SyncError(error["message"], error.get("message_en", ""), status=status, code=error.get("code"))
        text = raw.decode(errors="replace")[:300]
        return SyncError(f"{self.peer.name} trả lời lỗi {status}: {text}", f"{self.peer.name} answered {status}: {text}",
                         status=status, code="peer_http_error")
