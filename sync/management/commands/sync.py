"""``manage.py sync status|push|pull|retry [--peer NAME]``: federation by hand.

- ``status``: per peer, what the status page shows (role, last delivery and pull, lag, parked
  items with reasons, key age, last error);
- ``push``: deliver the outbox to the parent(s) now (``sync.tasks.deliver``, run here);
- ``pull``: pull the parent's feed now (``sync.services.pull``);
- ``retry``: apply the parked incoming items again (resolved when they apply).
"""
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from sync.errors import SyncError
from sync.models import Peer, PeerRole
from sync.services import pull as pulling
from sync.services import status as sync_status


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


class Command(BaseCommand):
    help = ("Đồng bộ giữa các cài đặt: status | push | pull | retry / "
            "Federation between installations: status | push | pull | retry.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["status", "push", "pull", "retry"])
        parser.add_argument("--peer", metavar="NAME", help="chỉ cài đặt này / only this peer")

    def handle(self, *args, action: str, peer: str | None = None, **options):
        if peer and not Peer.objects.filter(name=peer).exists():
            raise CommandError(f"Không có cài đặt kết nối tên {peer} / no peer named {peer}")
        getattr(self, f"do_{action}")(peer)

    # -- status ------------------------------------------------------------------------------
    def do_status(self, name):
        rows = sync_status.statuses(name)
        if not rows:
            self.stdout.write("Chưa đăng ký cài đặt kết nối nào / no peers registered")
            return
        header = ("PEER", "ROLE", "LAST DELIVERY", "LAST PULL", "LAG", "OLDEST", "PARKED", "KEY AGE", "LAST ERROR")
        table = [header] + [
            (row.peer.name, row.peer.role, _when(row.last_delivery_at), _when(row.last_pull_at),
             "—" if row.lag_items is None else str(row.lag_items), sync_status.duration(row.lag_age),
             str(len(row.parked)), sync_status.duration(row.key_age) if row.newest_key_at else "no key",
             (row.last_error or "—").replace("\n", " ")[:80])
            for row in rows
        ]
        widths = [max(len(line[i]) for line in table) for i in range(len(header) - 1)]
        for line in table:
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(line, widths)) + "  " + line[-1])
        for row in rows:
            for item in row.parked:
                self.stdout.write(f"  parked #{item.pk} [{row.peer.name}] {item.kind} {item.origin}:{item.object_uuid}"
                                  f" v{item.version}: {item.reason}")

    # -- push ----------------------------------------------------------------------------------
    def do_push(self, name):
        try:
            from sync.tasks import deliver
        except ImportError:
            self.stdout.write(self.style.WARNING(
                "Chưa có việc gửi lên (sync.tasks.deliver) / upward delivery (sync.tasks.deliver) is not available"))
            return
        peers = Peer.objects.filter(role=PeerRole.PARENT, active=True)
        if name:
            peers = peers.filter(name=name)
        if not peers.exists():
            raise CommandError("Không có cài đặt cấp trên đang dùng / no active parent peer")
        for peer in peers:
            try:
                delivered = deliver.run(peer.pk)  # here and now, not through the broker
            except SyncError as error:
                self.stderr.write(f"{peer.name}: {error}")
                continue
            self.stdout.write(self.style.SUCCESS(f"{peer.name}: đã gửi {delivered} mục / delivered {delivered} items"))

    # -- pull ----------------------------------------------------------------------------------
    def do_pull(self, name):
        peers = pulling.parent_peers(name)
        if not peers.exists():
            raise CommandError("Không có cài đặt cấp trên đang dùng / no active parent peer")
        for peer in peers:
            try:
                result = pulling.pull(peer)
            except SyncError as error:
                self.stderr.write(f"{peer.name}: {error}")
                continue
            self.stdout.write(self.style.SUCCESS(f"{peer.name}: {result}"))

    # -- retry ---------------------------------------------------------------------------------
    def do_retry(self, name):
        peer = Peer.objects.get(name=name) if name else None
        applied, still = pulling.retry_parked(peer)
        self.stdout.write(f"đã áp dụng lại {applied}, còn tạm giữ {still} / re-applied {applied}, still parked {still}")
