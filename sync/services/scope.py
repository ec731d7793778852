"""What a peer may write here: only within the subtree it was registered for (``Peer.unit``)."""
from __future__ import annotations


def peer_may_write(peer, unit) -> bool:
    """True when ``unit`` (an OrgUnit, or its pk) is ``peer.unit`` or below it. A child
    installation registered for tỉnh Điện Biên may send Điện Biên's reports and units, never Hà
    Nội's nor the centre's. Read from the database, not from the objects in hand: the tree's
    lft/rght of an instance go stale when units are added elsewhere."""
    from orgtree.models import OrgUnit

    if unit is None or peer is None or not peer.active or not peer.unit_id:
        return False
    unit_pk = getattr(unit, "pk", unit)
    root = OrgUnit.objects.filter(pk=peer.unit_id)
    return OrgUnit.objects.filter(
        pk=unit_pk,
        tree_id__in=root.values("tree_id"),
        lft__gte=root.values("lft")[:1],
        rght__lte=root.values("rght")[:1],
    ).exists()
