"""Background jobs of downward federation: pulling the parent's issued plans and guidance.

``sync.pull(peer_id)`` reads a parent peer's feed from its cursor (sync.services.pull); an
unreachable parent is retried with backoff. ``sync.pull_all`` (beat) starts a pull for every active
parent. One pull per peer at a time: the cursor check in ``apply_page`` keeps overlapping pulls
correct, the lock keeps them from doing the work twice.
"""
from celery import shared_task
from django.db import connection

from sync.errors import PeerUnreachable
from sync.models import Peer, PeerRole
from sync.services import pull as pulling


def _try_lock(peer_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtext('sync.pull'), %s)", [peer_id])
        return cursor.fetchone()[0]


def _unlock(peer_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(hashtext('sync.pull'), %s)", [peer_id])


@shared_task(name="sync.pull", acks_late=True, autoretry_for=(PeerUnreachable,), retry_backoff=2,
             retry_backoff_max=300, retry_jitter=True, max_retries=8)
def pull(peer_id: int) -> dict:
    """Pull everything new from parent peer ``peer_id``; returns the counts."""
    peer = pulling.parent_peers().filter(pk=peer_id).first()
    if peer is None or not _try_lock(peer.pk):
        return {}
    try:
        result = pulling.pull(peer)
    finally:
        _unlock(peer.pk)
    return vars(result)


@shared_task(name="sync.pull_all")
def pull_all() -> int:
    started = 0
    for peer_id in Peer.objects.filter(role=PeerRole.PARENT, active=True).values_list("pk", flat=True):
        pull.delay(peer_id)
        started += 1
    return started
