"""Signed requests between installations (issue 6, security): a round trip through a real second
installation, and every refusal answered with its own Vietnamese / English error, nothing written.

The test process signs as an installation whose id each test picks (so the tests of this module,
which share the peer's database, do not share keys or nonces); the peer verifies.
"""
import json
import secrets
import time
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from sync import signing
from sync.api.auth import SIGNATURE_SCHEMES, PeerPrincipal
from sync.client import PeerClient
from sync.errors import PeerUnreachable, SignatureError, SyncError
from sync.models import Nonce, PeerKey, PeerRole
from sync.services.keys import rotate_key
from sync.services.registration import register_peer
from sync.services.scope import peer_may_write
from tests.sync.installations import peer, peer_installation  # noqa: F401  (fixtures)

PING = "/api/v1/sync/ping/"


@pytest.fixture(scope="module")
def peer_tree(peer_installation):
    """The peer's root unit, for the Peer rows registered there."""
    peer_installation.shell(
        "from orgtree.models import UnitKind\nfrom orgtree.services import create_unit\n"
        "create_unit(code='TW', name='Ủy ban Trung ương MTTQ Việt Nam', area_name='Việt Nam', "
        "kind=UnitKind.objects.get(code='central_committee'))"
    )
    return "TW"


def parse_printed(output: str) -> dict:
    return dict(line.split("=", 1) for line in output.splitlines() if "=" in line and line.split("=", 1)[0].isupper())


@pytest.fixture
def introduced(peer, peer_tree, tree, settings):
    """This process becomes installation ``central-<random>``: the peer registers it with
    ``manage.py sync_peer add`` (which makes the key), and this side imports that key."""
    settings.INSTALLATION_ID = f"central-{secrets.token_hex(3)}"
    printed = parse_printed(peer.manage(
        "sync_peer", "add", "--name", settings.INSTALLATION_ID, "--installation", settings.INSTALLATION_ID,
        "--role", "parent", "--unit", peer_tree,
    ))
    registration = register_peer(
        name="Peer", installation_id="peer", role=PeerRole.CHILD, unit=tree["11"], base_url=peer.url,
        key_id=printed["KEY_ID"], secret=printed["SECRET"], issue_token=False,
    )
    return registration.peer


def peer_nonce_count(peer) -> int:
    return peer.shell_json("from sync.models import Nonce\nresult = Nonce.objects.count()")


def send(peer, method: str, path: str, headers: dict, body: bytes = b""):
    request = urllib.request.Request(peer.url + path, data=body if method != "GET" else None, method=method,
                                     headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def assert_refused(status, answer, code):
    vi, en = signing.REFUSALS[code]
    assert status == 401, answer
    assert answer["error"]["code"] == code, answer
    assert answer["error"]["message"] == vi
    assert answer["error"]["message_en"] == en


# -- through the real second installation ----------------------------------------------------------

def test_signed_round_trip(introduced, peer, settings):
    answer = PeerClient(introduced).get(PING, params={"q": "Điện Biên", "n": 1})
    assert answer["installation"] == "peer"
    assert answer["peer"] == settings.INSTALLATION_ID
    answer = PeerClient(introduced).post(PING, {"đơn vị": "Điện Biên"})
    assert answer["received_bytes"] > 0


def test_refusals_write_nothing(introduced, peer, settings):
    key = introduced.keys.get()
    body = json.dumps({"items": [1, 2, 3]}).encode()
    before = peer_nonce_count(peer)

    tampered = signing.sign_headers("POST", PING, body, key)
    assert_refused(*send(peer, "POST", PING, tampered, body.replace(b"3", b"4")), "signature_body_mismatch")
    # An attacker who also replaces the body hash header cannot re-sign it.
    tampered = {**signing.sign_headers("POST", PING, body, key), signing.HEADER_CONTENT_SHA256: signing.body_hash(b"{}")}
    assert_refused(*send(peer, "POST", PING, tampered, b"{}"), "signature_invalid")

    wrong_secret = PeerKey(key_id=key.key_id, secret=signing.signature("x", b"y"))
    assert_refused(*send(peer, "POST", PING, signing.sign_headers("POST", PING, body, wrong_secret), body), "signature_invalid")
    unknown_key = PeerKey(key_id="k-unknown", secret=key.secret)
    assert_refused(*send(peer, "GET", PING, signing.sign_headers("GET", PING, b"", unknown_key)), "signature_unknown_key")
    assert_refused(*send(peer, "GET", PING, signing.sign_headers("GET", PING, b"", key, "nobody"),), "signature_unknown_peer")
    # Signed for another path: the signature covers the path and query.
    assert_refused(*send(peer, "GET", PING + "?x=1", signing.sign_headers("GET", PING, b"", key)), "signature_invalid")
    unsigned = {name: value for name, value in signing.sign_headers("GET", PING, b"", key).items() if name != signing.HEADER_NONCE}
    assert_refused(*send(peer, "GET", PING, unsigned), "signature_missing")

    stamp = str(int(time.time()) - settings.SYNC_MAX_SKEW_SECONDS - 5)
    nonce = secrets.token_urlsafe(24)
    old = {
        signing.HEADER_INSTALLATION: settings.INSTALLATION_ID, signing.HEADER_KEY: key.key_id,
        signing.HEADER_TIMESTAMP: stamp, signing.HEADER_NONCE: nonce,
        signing.HEADER_SIGNATURE: signing.signature(key.secret, signing.string_to_sign("GET", PING, stamp, nonce, signing.body_hash(b""))),
    }
    assert_refused(*send(peer, "GET", PING, old), "signature_stale_timestamp")

    assert peer_nonce_count(peer) == before  # refused before anything was recorded

    once = signing.sign_headers("POST", PING, body, key)
    assert send(peer, "POST", PING, once, body)[0] == 200
    assert_refused(*send(peer, "POST", PING, once, body), "signature_replayed_nonce")
    assert peer_nonce_count(peer) == before + 1


def test_client_reports_remote_error_and_unreachable(introduced, peer):
    secret = introduced.keys.get().secret
    PeerKey.objects.filter(peer=introduced).update(secret="a" * 43)
    with pytest.raises(SyncError) as refused:
        PeerClient(introduced).get(PING)
    assert refused.value.status == 401
    assert refused.value.code == "signature_invalid"
    assert refused.value.message_vi == signing.REFUSALS["signature_invalid"][0]

    peer.stop_web()
    with pytest.raises(PeerUnreachable):
        PeerClient(introduced, timeout=5).get(PING)
    peer.start_web()  # same address: the registration stays valid
    PeerKey.objects.filter(peer=introduced).update(secret=secret)
    assert PeerClient(introduced).get(PING)["installation"] == "peer"


def test_rotation_old_key_accepted_in_grace_then_refused(introduced, peer, settings):
    old_key = introduced.keys.get()
    # This side rotates; until the peer imports the new key the client falls back to the old one.
    new_key = rotate_key(introduced)
    assert signing.signing_key(introduced) == new_key
    assert PeerClient(introduced).get(PING)["peer"] == settings.INSTALLATION_ID

    peer.manage("sync_keys", "rotate", settings.INSTALLATION_ID, "--key-id", new_key.key_id, "--secret", new_key.secret)
    assert PeerClient(introduced).get(PING)["peer"] == settings.INSTALLATION_ID
    assert peer.shell_json(f"from sync.models import Nonce\nresult = Nonce.objects.filter(key__key_id={new_key.key_id!r}).count()") == 1

    # A request still signed with the old key (a message sent before the rotation reached the
    # other side) is accepted during the grace period.
    status, answer = send(peer, "GET", PING, signing.sign_headers("GET", PING, b"", old_key))
    assert status == 200, answer
    listing = peer.manage("sync_keys", "list", settings.INSTALLATION_ID)
    assert old_key.key_id in listing and "accepted until" in listing

    # The grace period ends (moved to the past rather than waiting seven days).
    peer.shell(
        "from datetime import timedelta\nfrom django.utils import timezone\nfrom sync.models import PeerKey\n"
        f"PeerKey.objects.filter(peer__installation_id={settings.INSTALLATION_ID!r}, key_id={old_key.key_id!r})"
        ".update(retired_at=timezone.now() - timedelta(seconds=1))"
    )
    assert_refused(*send(peer, "GET", PING, signing.sign_headers("GET", PING, b"", old_key)), "signature_retired_key")
    assert PeerClient(introduced).get(PING)["installation"] == "peer"


def test_peer_worker_runs_the_nonce_purge(peer, peer_tree):
    peer.start_worker(concurrency=1)
    try:
        purged = peer.shell_json("from sync.tasks_signing import purge_nonces\nresult = purge_nonces.delay().get(timeout=60)")
        assert isinstance(purged, int)
    finally:
        peer.stop_worker()


@pytest.mark.django_db(transaction=True)
def test_peer_signs_to_this_installation(peer, peer_tree, transactional_tree, live_server, settings):
    """The other direction: the peer's client signs, this process's web server verifies."""
    settings.INSTALLATION_ID = "central-live"
    registration = register_peer(name="Peer live", installation_id="peer", role=PeerRole.CHILD,
                                 unit=transactional_tree["11"], issue_token=False)
    peer.manage("sync_peer", "add", "--name", "Central live", "--installation", "central-live", "--role", "parent",
                "--unit", peer_tree, "--url", live_server.url,
                "--key-id", registration.key.key_id, "--secret", registration.key.secret)
    answer = peer.shell_json(
        "from sync.client import PeerClient\nfrom sync.models import Peer\n"
        "result = PeerClient(Peer.objects.get(installation_id='central-live')).get('/api/v1/sync/ping/')"
    )
    assert answer == {"installation": "central-live", "peer": "peer", "received_bytes": 0}
    assert Nonce.objects.filter(key=registration.key).count() == 1


# -- in this process ---------------------------------------------------------------------------------

@pytest.fixture
def local_peer(tree, settings):
    settings.INSTALLATION_ID = "central"
    return register_peer(name="Điện Biên", installation_id="dienbien", role=PeerRole.CHILD, unit=tree["11"],
                         issue_token=False)


def signed_request(key, installation="dienbien", method="GET", path=PING, body=b""):
    headers = signing.sign_headers(method, path, body, key, installation)
    meta = {"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()}
    return RequestFactory().generic(method, path, body, content_type="application/json", **meta)


def test_verify_and_skew_setting(local_peer, settings):
    key = local_peer.key
    assert signing.verify(signed_request(key)) == local_peer.peer
    settings.SYNC_MAX_SKEW_SECONDS = -1  # every timestamp is now too far
    with pytest.raises(SignatureError) as refused:
        signing.verify(signed_request(key))
    assert refused.value.code == "signature_stale_timestamp"


def test_a_peers_body_has_its_own_limit_and_too_large_is_refused_in_json(local_peer, client, settings):
    body = b'{"items": [1, 2, 3, 4, 5]}'

    def post():
        headers = signing.sign_headers("POST", PING, body, local_peer.key, "dienbien")
        return client.post(PING, body, content_type="application/json", headers=headers)

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10  # everyone's limit: a peer's batch is not held to it
    assert post().status_code == 200
    settings.SYNC_INBOX_MAX_BYTES = 10
    answer = post()
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "request_too_large"
    assert Nonce.objects.count() == 1  # only the accepted request's


def test_inactive_peer_refused(local_peer):
    local_peer.peer.active = False
    local_peer.peer.save()
    with pytest.raises(SignatureError) as refused:
        signing.verify(signed_request(local_peer.key))
    assert refused.value.code == "signature_unknown_peer"


def test_rotate_key_grace_and_purge(local_peer, settings):
    peer, first = local_peer.peer, local_peer.key
    second = rotate_key(peer)
    first.refresh_from_db()
    assert signing.signing_key(peer) == second
    assert first.retired_at > timezone.now() + timedelta(days=6)
    assert signing.verify(signed_request(first)) == peer
    third = rotate_key(peer, grace=timedelta(0))
    assert signing.signing_key(peer) == third
    for old in (first, second):
        with pytest.raises(SignatureError) as refused:
            signing.verify(signed_request(old))
        assert refused.value.code == "signature_retired_key"

    Nonce.objects.filter(key=first).update(seen_at=timezone.now() - timedelta(seconds=2 * settings.SYNC_MAX_SKEW_SECONDS + 1))
    assert signing.purge_nonces() == 1
    assert Nonce.objects.count() == 0


def test_child_gets_a_scoped_read_only_token_revocable(tree):
    from io import StringIO

    from django.core.management import call_command

    from mttq_platform.models import ApiToken

    registration = register_peer(name="Điện Biên", installation_id="dienbien", role=PeerRole.CHILD, unit=tree["11"])
    token = ApiToken.objects.usable().get(name="sync:dienbien")
    assert registration.token_key and token.unit == tree["11"] and token.read_only
    call_command("sync_peer", "revoke-token", "dienbien", stdout=StringIO())
    assert not ApiToken.objects.usable().filter(name="sync:dienbien").exists()


def test_a_child_whose_token_is_revoked_is_refused_though_its_signature_is_good(tree, client, settings):
    from sync.services.registration import issue_peer_token, revoke_peer_tokens

    settings.INSTALLATION_ID = "central"
    registration = register_peer(name="Điện Biên", installation_id="dienbien", role=PeerRole.CHILD, unit=tree["11"])

    def ping(token_key):
        headers = signing.sign_headers("GET", PING, b"", registration.key, "dienbien")
        if token_key:
            headers["Authorization"] = f"Token {token_key}"
        return client.get(PING, headers=headers)

    assert ping(registration.token_key).status_code == 200
    missing = ping(None)  # a token was issued, so it must come along
    assert_refused(missing.status_code, missing.json(), "peer_token_revoked")
    revoke_peer_tokens(registration.peer)
    refused = ping(registration.token_key)
    assert_refused(refused.status_code, refused.json(), "peer_token_revoked")
    assert ping(issue_peer_token(registration.peer)).status_code == 200  # a new token lets it back in


def test_peer_may_write_only_its_subtree(local_peer, tree):
    peer = local_peer.peer
    assert peer_may_write(peer, tree["11"])
    assert peer_may_write(peer, tree["03127"])
    assert peer_may_write(peer, tree["11-HND"].pk)
    assert not peer_may_write(peer, tree["TW"])
    assert not peer_may_write(peer, tree["00001"])
    peer.active = False
    assert not peer_may_write(peer, tree["03127"])


def test_schema_documents_the_signing_headers():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    headers = {scheme.get("name") for scheme in schema["components"]["securitySchemes"].values()}
    assert {"X-Sync-Installation", "X-Sync-Key", "X-Sync-Timestamp", "X-Sync-Nonce", "X-Sync-Signature"} <= headers
    ping = schema["paths"][PING]["get"]
    assert ping["security"] == [{name: [] for name in SIGNATURE_SCHEMES}]


def test_peer_principal_is_granted_nothing(local_peer, tree):
    from orgtree.models import OrgUnit

    principal = PeerPrincipal(local_peer.peer)
    assert principal.is_authenticated and not principal.is_anonymous and principal.pk is None
    assert not OrgUnit.objects.restrict(principal).exists()


def test_unsigned_ping_is_refused_in_json(client):
    answer = client.get(PING)
    assert answer.status_code in (401, 403)
    assert answer.json()["error"]["code"] == "not_authenticated"
