"""Errors of federation, each with a Vietnamese message (shown first) and an English one.

``SyncError``       the other installation answered with an error (its own message is kept), or an
                    item could not be handled;
``PeerUnreachable`` the other installation did not answer (connection refused, timeout, TLS...):
                    the caller retries later, nothing was applied there;
``SignatureError``  a signed request was refused by this installation (see sync.signing).
"""


class SyncError(Exception):
    code = "sync_error"

    def __init__(self, message_vi: str, message_en: str = "", *, status: int | None = None, code: str | None = None):
        super().__init__(message_en or message_vi)
        self.message_vi = message_vi
        self.message_en = message_en or message_vi
        self.status = status
        if code:
            self.code = code

    def __str__(self):
        status = f"[{self.status}] " if self.status else ""
        return f"{status}{self.message_vi} / {self.message_en}"


class PeerUnreachable(SyncError):
    code = "peer_unreachable"


class SignatureError(SyncError):
    """A signed request refused. ``code`` names the reason (see sync.signing.REFUSALS)."""

    code = "signature_invalid"
