"""DRF authentication by a peer installation's signature (see sync.signing).

A request carrying ``X-Sync-Signature`` is verified; on success ``request.peer`` is the Peer and
``request.user`` a ``PeerPrincipal`` (authenticated, no database row, no unit rights: views that
write for a peer check ``sync.services.scope.peer_may_write``). A request without the header is left
to the other authentication classes of the view. A refusal answers 401 in the project's JSON error
shape with the reason's own code and Vietnamese / English message.

Endpoints:
- written to by a peer (the parent's push endpoint): ``authentication_classes =
  [SignedPeerAuthentication]``, ``permission_classes = [IsSignedPeer]`` (or ``IsSignedChild``), and
  every item checked with ``sync.services.scope.peer_may_write``;
- read by a peer or by a token (the feed): ``[SignedPeerAuthentication, ScopedTokenAuthentication,
  ...]``; the view scopes a signed request by ``request.peer.unit`` (the principal has no rights).
"""
from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from sync import signing
from sync.errors import SignatureError
from sync.models import PeerRole

class PeerPrincipal(AnonymousUser):
    """The "user" of a signed request: another installation. It has no pk, so the audit log
    records no actor for it and the one restriction grants it nothing."""

    def __init__(self, peer):
        self.peer = peer
        self.username = f"peer:{peer.installation_id}"

    @property
    def is_authenticated(self):
        return True

    @property
    def is_anonymous(self):
        return False

    @property
    def is_active(self):
        return True

    def __str__(self):
        return self.username


class SignatureRefused(exceptions.AuthenticationFailed):
    def __init__(self, error: SignatureError):
        super().__init__(detail=error.message_en, code=error.code)
        self.default_code = error.code  # the error handler names the JSON error by it
        self.status_code = error.status or self.status_code
        self.error = error
        # Each refusal answers its own messages, not a generic "invalid credentials".
        self.message_vi, self.message_en = error.message_vi, error.message_en


def require_peer_token(request, peer) -> None:
    """A child that was issued a token (sync.services.registration) sends it with every signed
    request: revoking the token stops the child, as it stops any other holder, even though its
    signing key is still good."""
    from mttq_platform.models import ApiToken
    from mttq_platform.models.tokens import digest
    from sync.services.registration import token_name

    if peer.role != PeerRole.CHILD:
        return
    issued = ApiToken.objects.filter(name=token_name(peer))
    if not issued.exists():
        return  # registered without a token: the signature alone speaks for it
    header = authentication.get_authorization_header(request).split()
    key = header[1].decode(errors="replace") if len(header) == 2 and header[0].lower() == b"token" else ""
    if not key or not issued.usable().filter(key_digest=digest(key)).exists():
        raise signing.refuse("peer_token_revoked")


def verify_signature(request):
    """The verified Peer of a signed request (also set as ``request.peer``), None if unsigned."""
    if signing.HEADER_SIGNATURE not in request.headers:
        return None
    try:
        peer = signing.verify(request)
        require_peer_token(request, peer)
    except SignatureError as error:
        raise SignatureRefused(error) from None
    request.peer = peer
    request._request.peer = peer
    return peer


class SignedPeerAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        peer = verify_signature(request)
        return None if peer is None else (PeerPrincipal(peer), peer)

    def authenticate_header(self, request):
        return 'Signature realm="sync"'


class IsSignedPeer(permissions.BasePermission):
    """Only a request signed by a registered, active peer (of ``role`` when set)."""

    role = None

    def has_permission(self, request, view):
        peer = getattr(request, "peer", None)
        return peer is not None and (self.role is None or peer.role == self.role)


class IsSignedChild(IsSignedPeer):
    """Only a child installation may deliver its items up to this one."""

    role = PeerRole.CHILD


SIGNATURE_SCHEMES = {
    "peerInstallation": (signing.HEADER_INSTALLATION, "The sending installation's id."),
    "peerKey": (signing.HEADER_KEY, "The id of the shared key that signed."),
    "peerTimestamp": (signing.HEADER_TIMESTAMP, "Unix time in seconds; refused more than 300 s away."),
    "peerNonce": (signing.HEADER_NONCE, "Random, 16-64 of A-Za-z0-9_-; refused when seen before with the key."),
    "peerSignature": (signing.HEADER_SIGNATURE, (
        "Hex HMAC-SHA256, with the shared key, of `METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\n"
        "sha256hex(body)`. The body hash is also sent as `X-Sync-Content-SHA256`."
    )),
}


class SignedPeerScheme(OpenApiAuthenticationExtension):
    """All five signing headers together (OpenAPI: one apiKey scheme per header, all required)."""

    target_class = SignedPeerAuthentication
    name = list(SIGNATURE_SCHEMES)

    def get_security_definition(self, auto_schema):
        return [{"type": "apiKey", "in": "header", "name": header, "description": description}
                for header, description in SIGNATURE_SCHEMES.values()]
