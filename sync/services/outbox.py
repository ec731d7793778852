"""Upward federation, sending side: what this installation owes its parent peer.

The outbox is the change log itself (``ChangeRecord``, docs/decisions/0008-sync.md): the items owed
to a parent are the committed rows of the kinds that travel up (accepted reports with their
indicators, inspection conclusions, unit changes) for units inside the peer's subtree, after the
acknowledged watermark, in commit order (txid, id).

The watermark is a position (txid, id), but one integer is enough to hold it: ``Peer.acked_up_to``
keeps the id of the last acknowledged row, and that row's txid completes the position (rows of the
change log are never rewritten). Only the parent's acknowledgement moves it
(``acknowledge``): a batch cut off by a crash is sent again and applied idempotently there.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from orgtree.models import OrgUnit
from sync.errors import SyncError
from sync.models import ChangeKind, ChangeRecord, Peer

UPWARD_KINDS = (ChangeKind.REPORT, ChangeKind.INSPECTION, ChangeKind.UNIT)
DEFAULT_BATCH_SIZE = 200
# Under the parent's SYNC_INBOX_MAX_BYTES (32 MiB by default) with room to spare; a batch is cut
# before the item that would pass it (an item alone may be larger: it travels alone).
DEFAULT_BATCH_MAX_BYTES = 8 * 1024 * 1024


def batch_size() -> int:
    return int(getattr(settings, "SYNC_BATCH_SIZE", DEFAULT_BATCH_SIZE))


def batch_max_bytes() -> int:
    return int(getattr(settings, "SYNC_BATCH_MAX_BYTES", DEFAULT_BATCH_MAX_BYTES))


@dataclass(frozen=True)
class Position:
    """A place in the change log, in commit order."""

    txid: int
    id: int

    def after(self) -> Q:
        return Q(txid__gt=self.txid) | Q(txid=self.txid, id__gt=self.id)


START = Position(0, 0)


def watermark(peer: Peer) -> Position:
    """The position of the last row the parent acknowledged (the start when none)."""
    if not peer.acked_up_to:
        return START
    txid = ChangeRecord.objects.filter(pk=peer.acked_up_to).values_list("txid", flat=True).first()
    # The row is gone only if the log was pruned past it: then delivery starts over from the
    # oldest row kept, which is safe (the parent skips every version it holds).
    return Position(txid, peer.acked_up_to) if txid is not None else START


def pending(peer: Peer):
    """Every committed row owed to ``peer`` after its watermark, in commit order."""
    subtree = OrgUnit.objects.within(peer.unit)
    return (ChangeRecord.objects.committed()
            .filter(kind__in=UPWARD_KINDS, unit__in=subtree.values("pk"))
            .filter(watermark(peer).after())
            .select_related("unit").order_by("txid", "id"))


def item_of(record: ChangeRecord) -> dict:
    """One item of a batch: the record's global id, version and schema around its payload."""
    return {
        "position": [record.txid, record.id],
        "kind": record.kind,
        "global_id": record.global_id,
        "origin": record.origin,
        "object_uuid": str(record.object_uuid),
        "version": record.version,
        "schema_version": record.schema_version,
        "unit": record.unit.code,
        "payload": record.payload,
    }


def next_batch(peer: Peer, size: int | None = None) -> dict | None:
    """The next batch for ``peer`` (None when nothing is owed): ``through`` names its last row,
    the id the parent echoes back in its acknowledgement."""
    records = list(pending(peer)[: size or batch_size()])
    if not records:
        return None
    items, total, limit = [], 0, batch_max_bytes()
    for record in records:
        item = item_of(record)
        weight = len(json.dumps(item, cls=DjangoJSONEncoder, ensure_ascii=False).encode())
        if items and total + weight > limit:
            break
        items.append(item)
        total += weight
    return {
        "installation": settings.INSTALLATION_ID,
        "through": items[-1]["position"][1],
        "items": items,
    }


class AcknowledgementError(SyncError):
    code = "bad_acknowledgement"


def acknowledge(peer: Peer, batch: dict, answer: dict) -> Peer:
    """Advance the watermark to what the parent acknowledged, never past the batch sent nor back."""
    through = answer.get("acknowledged_through")
    if through != batch["through"]:
        raise AcknowledgementError(
            f"Cấp trên xác nhận đến mục {through!r}, khác mục cuối đã gửi ({batch['through']}).",
            f"The parent acknowledged up to {through!r}, not the last item sent ({batch['through']}).",
        )
    with transaction.atomic():
        locked = Peer.objects.select_for_update().get(pk=peer.pk)
        # Two deliveries racing: the later acknowledgement of an older batch must not move it back.
        if ChangeRecord.objects.filter(pk=through).filter(watermark(locked).after()).exists():
            locked.acked_up_to = through
        locked.last_delivery_at = timezone.now()
        locked.last_push_error = ""
        locked.save(update_fields=["acked_up_to", "last_delivery_at", "last_push_error"])
    return locked


def lag(peer: Peer) -> int:
    """Items owed to ``peer`` not yet acknowledged."""
    return pending(peer).count()
