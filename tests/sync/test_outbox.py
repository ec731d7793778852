"""The sender's watermark moves only on the parent's acknowledgement of the batch it sent, and
never back (what it owes, in commit order, is covered with a real parent in test_delivery.py)."""
import pytest

from sync.models import ChangeKind, ChangeRecord, Peer, PeerRole
from sync.services import outbox
from sync.services.outbox import AcknowledgementError


@pytest.fixture
def parent(tree):
    return Peer.objects.create(name="Trung ương", installation_id="tw", role=PeerRole.PARENT,
                               base_url="http://127.0.0.1:9", unit=tree["11"])


def records(tree, count):
    return [ChangeRecord.objects.create(kind=ChangeKind.UNIT, origin="local", object_uuid=f"00000000-0000-0000-0000-{n:012d}",
                                        version=1, unit=tree["094"], payload={}) for n in range(count)]


def test_the_watermark_moves_only_to_the_acknowledged_end_of_the_batch_sent(tree, parent):
    first, second = records(tree, 2)
    batch = {"through": second.pk, "items": []}
    with pytest.raises(AcknowledgementError):
        outbox.acknowledge(parent, batch, {"acknowledged_through": first.pk})
    with pytest.raises(AcknowledgementError):
        outbox.acknowledge(parent, batch, {})
    assert Peer.objects.get(pk=parent.pk).acked_up_to == 0

    acknowledged = outbox.acknowledge(parent, batch, {"acknowledged_through": second.pk})
    assert acknowledged.acked_up_to == second.pk and acknowledged.last_delivery_at is not None
    assert outbox.watermark(acknowledged) == outbox.Position(second.txid, second.pk)


def test_a_late_acknowledgement_of_an_older_batch_does_not_move_it_back(tree, parent):
    first, second = records(tree, 2)
    outbox.acknowledge(parent, {"through": second.pk}, {"acknowledged_through": second.pk})
    outbox.acknowledge(parent, {"through": first.pk}, {"acknowledged_through": first.pk})
    assert Peer.objects.get(pk=parent.pk).acked_up_to == second.pk


def test_what_is_owed_is_the_subtrees_upward_kinds_after_the_watermark_in_batches(tree, parent, settings):
    settings.SYNC_BATCH_SIZE = 3
    ChangeRecord.objects.create(kind=ChangeKind.PLAN, origin="local", object_uuid="00000000-0000-0000-0000-00000000aaaa",
                                version=1, unit=tree["094"], payload={})  # plans flow down, not up
    owed = list(outbox.pending(parent))  # the tree's units, recorded in this test's transaction

    assert len(owed) > 3
    assert {record.kind for record in owed} == {ChangeKind.UNIT}
    assert {record.unit.code for record in owed} >= {"11", "094", "03127"}
    assert not {record.unit.code for record in owed} & {"TW", "01", "001", "00001"}
    batch = outbox.next_batch(parent)
    assert [item["global_id"] for item in batch["items"]] == [record.global_id for record in owed[:3]]
    assert batch["through"] == owed[2].pk

    acknowledged = outbox.acknowledge(parent, batch, {"acknowledged_through": batch["through"]})
    assert [record.pk for record in outbox.pending(acknowledged)] == [record.pk for record in owed[3:]]


def test_a_batch_is_cut_by_bytes_and_an_item_larger_than_the_limit_travels_alone(tree, parent, settings):
    ChangeRecord.objects.all().delete()
    big, small_one, small_two = (
        ChangeRecord.objects.create(kind=ChangeKind.UNIT, origin="local", object_uuid=f"00000000-0000-0000-0000-{n:012d}",
                                    version=1, unit=tree["094"], payload={"name": "x" * size})
        for n, size in ((1, 5000), (2, 100), (3, 100)))
    settings.SYNC_BATCH_MAX_BYTES = 2000
    first = outbox.next_batch(parent)
    assert [item["object_uuid"] for item in first["items"]] == [str(big.object_uuid)]
    assert first["through"] == big.pk
    second = outbox.next_batch(outbox.acknowledge(parent, first, {"acknowledged_through": big.pk}))
    assert [item["object_uuid"] for item in second["items"]] == [str(small_one.object_uuid), str(small_two.object_uuid)]
    assert second["through"] == small_two.pk
