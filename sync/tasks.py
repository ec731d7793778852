"""Background jobs of federation: delivering the outbox to the parent installation.

``sync.deliver(peer_id)`` sends every batch owed to a parent peer (sync.services.outbox), signed
(sync.client), to the parent's ``POST /api/v1/sync/inbox/``, and advances the watermark only on the
parent's acknowledgement. An unreachable or failing parent (no answer, 5xx) is retried with
exponential backoff; the batch not acknowledged is sent again and the parent applies it
idempotently. ``sync.deliver_all`` (beat, every minute) starts a delivery for every active parent.
"""
from contextlib import contextmanager

from celery import shared_task
from django.conf import settings
from django.db import connection

from sync.client import PeerClient
from sync.errors import PeerUnreachable, SyncError
from sync.models import Peer, PeerRole
from sync.services import outbox

INBOX_PATH = "/api/v1/sync/inbox/"


class ParentFailing(SyncError):
    """The parent answered with a server error: worth retrying, like no answer at all."""

    code = "parent_failing"


@contextmanager
def delivering(peer_id: int):
    """True when this worker may deliver to the peer: one delivery per peer at a time (the beat's
    next run or a retry overlapping a slow delivery leaves at once). A session lock: a worker that
    dies releases it with its connection."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtext('sync.deliver'), %s)", [peer_id])
        got = cursor.fetchone()[0]
    try:
        yield got
    finally:
        if got:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(hashtext('sync.deliver'), %s)", [peer_id])


def _remember_error(peer: Peer, error: SyncError) -> None:
    Peer.objects.filter(pk=peer.pk).update(last_push_error=str(error)[:2000])


@shared_task(name="sync.deliver", acks_late=True, autoretry_for=(PeerUnreachable, ParentFailing),
             retry_backoff=getattr(settings, "SYNC_RETRY_BACKOFF", 2), retry_backoff_max=300, retry_jitter=True,
             max_retries=getattr(settings, "SYNC_MAX_RETRIES", 8))
def deliver(peer_id: int) -> int:
    """Deliver everything owed to parent peer ``peer_id``; returns the number of items acknowledged."""
    peer = Peer.objects.filter(pk=peer_id, role=PeerRole.PARENT, active=True).select_related("unit").first()
    if peer is None:
        return 0
    delivered = 0
    with delivering(peer.pk) as mine:
        if not mine:
            return 0
        client = PeerClient(peer)
        while (batch := outbox.next_batch(peer)) is not None:
            try:
                peer = outbox.acknowledge(peer, batch, client.post(INBOX_PATH, batch) or {})
            except SyncError as error:
                _remember_error(peer, error)
                if isinstance(error, PeerUnreachable):
                    raise
                if error.status is not None and error.status >= 500:
                    raise ParentFailing(error.message_vi, error.message_en, status=error.status) from error
                raise  # refused (signature, scope of the peer...): retrying would not help
            delivered += len(batch["items"])
    return delivered


@shared_task(name="sync.deliver_all")
def deliver_all() -> int:
    """Start a delivery for every active parent peer that is owed something."""
    started = 0
    for peer in Peer.objects.filter(role=PeerRole.PARENT, active=True).select_related("unit"):
        if outbox.pending(peer).exists():
            deliver.delay(peer.pk)
            started += 1
    return started
