"""What the status page and ``manage.py sync status`` show, per peer: role, last delivery and last
pull, lag (items owed and not acknowledged, and the age of the oldest), parked items with their
reasons, the age of the newest key and the last error. One builder for both, so they agree."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from orgtree.models import OrgUnit
from sync.models import ParkedItem, Peer, PeerRole


@dataclass
class PeerStatus:
    peer: Peer
    last_delivery_at: datetime | None
    last_pull_at: datetime | None
    lag_items: int | None  # None: nothing is sent to this peer (a child)
    oldest_pending_at: datetime | None
    parked: list[ParkedItem] = field(default_factory=list)
    newest_key_at: datetime | None = None
    last_push_error: str = ""
    last_pull_error: str = ""

    @property
    def last_error(self) -> str:
        """Both directions' last errors, each named (a delivery failing while pulls succeed shows)."""
        return " · ".join(f"{label}: {error}" for label, error in
                          (("gửi/push", self.last_push_error), ("nhận/pull", self.last_pull_error)) if error)

    @property
    def lag_age(self) -> timedelta | None:
        return timezone.now() - self.oldest_pending_at if self.oldest_pending_at else None

    @property
    def key_age(self) -> timedelta | None:
        return timezone.now() - self.newest_key_at if self.newest_key_at else None


def peers(name: str | None = None):
    queryset = Peer.objects.select_related("unit").order_by("role", "name")
    return queryset.filter(name=name) if name else queryset


def _outbox_lag(peer: Peer) -> tuple[int | None, datetime | None]:
    """Items owed to a parent and not acknowledged (sync.services.outbox), and when the oldest was
    written. A child is owed nothing upward: its lag shows on its own status page."""
    if peer.role != PeerRole.PARENT:
        return None, None
    from sync.services import outbox

    pending = outbox.pending(peer)
    oldest = pending.values_list("created_at", flat=True).first()
    return pending.count(), oldest


def peer_status(peer: Peer) -> PeerStatus:
    lag_items, oldest = _outbox_lag(peer)
    newest_key = peer.keys.filter(retired_at__isnull=True).order_by("-created_at").values_list("created_at", flat=True).first()
    return PeerStatus(
        peer=peer, last_delivery_at=peer.last_delivery_at, last_pull_at=peer.last_pull_at,
        lag_items=lag_items, oldest_pending_at=oldest,
        parked=list(peer.parked.filter(resolved_at__isnull=True).order_by("created_at")),
        newest_key_at=newest_key, last_push_error=peer.last_push_error,
        last_pull_error=peer.last_pull_error,
    )


def statuses(name: str | None = None) -> list[PeerStatus]:
    return [peer_status(peer) for peer in peers(name)]


def installation_roots():
    """The units this installation answers for: the subtree it reports to its parent (the unit of
    its parent peer), or, with no parent, the roots of its trees (the national installation)."""
    parent_units = Peer.objects.filter(role=PeerRole.PARENT).values("unit")
    roots = OrgUnit.objects.filter(pk__in=parent_units)
    return roots if roots.exists() else OrgUnit.objects.filter(parent__isnull=True)


def may_see_status(user) -> bool:
    """Superusers, and users who may "manage" one of the installation's root units."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    roots = installation_roots().values("pk")
    return OrgUnit.objects.restrict(user, "manage", with_extra=False).filter(pk__in=roots).exists()


def unresolved_parked(peer: Peer | None = None):
    queryset = ParkedItem.objects.filter(Q(resolved_at__isnull=True), direction="in").select_related("peer")
    return queryset.filter(peer=peer) if peer is not None else queryset


def duration(value: timedelta | None) -> str:
    """"3 ngày 4 giờ" / "12 phút": the largest two units, for the table and the command."""
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m" if minutes else f"{seconds}s"
