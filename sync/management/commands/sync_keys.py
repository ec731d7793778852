"""``manage.py sync_keys list|rotate|retire PEER``: the HMAC keys shared with a peer.

``rotate`` makes a new key that signs from now on and prints it once; the other side imports it
with ``rotate PEER --key-id --secret``. Older keys stay accepted for SYNC_KEY_GRACE_DAYS."""
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from sync.management.commands.sync_peer import get_peer
from sync.services import keys
from sync.signing import signing_key


class Command(BaseCommand):
    help = "Khóa ký dùng chung với cài đặt kết nối / HMAC keys shared with a peer."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["list", "rotate", "retire"])
        parser.add_argument("peer", help="tên hoặc mã cài đặt / peer name or installation id")
        parser.add_argument("--key-id", default=None, help="rotate: nhập khóa bên kia tạo; retire: khóa cần thu hồi ngay")
        parser.add_argument("--secret", default=None, help="rotate: khóa bí mật bên kia tạo")
        parser.add_argument("--grace-days", type=float, default=None, help="rotate: số ngày khóa cũ còn được nhận")

    def handle(self, *args, action, peer, key_id, secret, grace_days, **options):
        peer = get_peer(peer)
        try:
            if action == "list":
                self.list(peer)
            elif action == "rotate":
                if bool(key_id) != bool(secret):
                    raise CommandError("--key-id và --secret đi cùng nhau. / --key-id and --secret go together.")
                grace = timedelta(days=grace_days) if grace_days is not None else None
                key = keys.rotate_key(peer, key_id, secret, grace)
                self.stdout.write(self.style.SUCCESS(f"Khóa mới {key.key_id} ký từ bây giờ. / New key {key.key_id} signs from now on."))
                if not secret:
                    self.stdout.write(f"KEY_ID={key.key_id}")
                    self.stdout.write(f"SECRET={key.secret}")
            else:
                if not key_id:
                    raise CommandError("retire cần --key-id. / retire needs --key-id.")
                count = keys.retire_key(peer, key_id)
                self.stdout.write(self.style.SUCCESS(f"Đã thu hồi {count} khóa. / Retired {count} key(s)."))
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error

    def list(self, peer):
        now = timezone.now()
        signing = signing_key(peer)
        for key in peer.keys.order_by("-created_at", "-id"):
            if key.retired_at is None:
                state = "ký / signs" if signing and key.pk == signing.pk else "nhận / accepted"
            elif key.retired_at > now:
                state = f"nhận đến / accepted until {timezone.localtime(key.retired_at):%Y-%m-%d %H:%M}"
            else:
                state = f"đã thu hồi / retired {timezone.localtime(key.retired_at):%Y-%m-%d %H:%M}"
            age = (now - key.created_at).days
            self.stdout.write(f"{key.key_id}\t{age} ngày / days\t{state}")
