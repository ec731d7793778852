"""``manage.py sync_peer add|list|token|revoke-token|deactivate``: register the installations this
one talks to. Both sides register each other with the same key: one side runs ``add`` and the
other imports the printed key with ``--key-id`` and ``--secret``."""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from orgtree.models import OrgUnit
from sync.models import Peer, PeerRole
from sync.services import registration
from sync.signing import usable_keys


def get_peer(name_or_installation: str) -> Peer:
    peer = (Peer.objects.filter(name=name_or_installation).first()
            or Peer.objects.filter(installation_id=name_or_installation).first())
    if peer is None:
        raise CommandError(f"Không có cài đặt kết nối {name_or_installation}. / No peer {name_or_installation}.")
    return peer


class Command(BaseCommand):
    help = "Đăng ký cài đặt kết nối (cấp trên, cấp dưới) / Register peer installations."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="đăng ký một cài đặt / register a peer")
        add.add_argument("--name", required=True, help="tên hiển thị / display name")
        add.add_argument("--installation", required=True, help="mã cài đặt của bên kia / the peer's INSTALLATION_ID")
        add.add_argument("--role", required=True, choices=PeerRole.values,
                         help="parent: cài đặt cấp trên; child: cài đặt cấp dưới")
        add.add_argument("--unit", required=True, metavar="CODE",
                         help="mã đơn vị gốc của cây bên kia được ghi (child) / được nhận (parent)")
        add.add_argument("--url", default="", help="địa chỉ gốc của bên kia, vd. https://mttq.example.vn")
        add.add_argument("--key-id", default=None, help="nhập khóa do bên kia tạo / import the other side's key id")
        add.add_argument("--secret", default=None, help="khóa bí mật do bên kia tạo / the other side's secret")
        add.add_argument("--token", default="", help="mã truy cập bên kia cấp cho cài đặt này")
        add.add_argument("--token-user", default=None, help="người dùng mà mã cấp cho cấp dưới đại diện (mặc định: quản trị viên đầu tiên)")
        add.add_argument("--no-token", action="store_true", help="không cấp mã truy cập cho cấp dưới")
        sub.add_parser("list", help="liệt kê / list peers")
        token = sub.add_parser("token", help="cấp mã truy cập mới cho cấp dưới / issue a new token to a child")
        token.add_argument("peer")
        token.add_argument("--token-user", default=None)
        revoke = sub.add_parser("revoke-token", help="thu hồi mã truy cập đã cấp / revoke the tokens issued to a peer")
        revoke.add_argument("peer")
        set_token = sub.add_parser("set-token", help="lưu mã truy cập bên kia cấp / store the token the peer issued us")
        set_token.add_argument("peer")
        set_token.add_argument("token")
        deactivate = sub.add_parser("deactivate", help="ngừng kết nối / stop talking to a peer")
        deactivate.add_argument("peer")

    def handle(self, *args, action, **options):
        try:
            getattr(self, "handle_" + action.replace("-", "_"))(**options)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error

    def token_user(self, username):
        if not username:
            return None
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"Không có người dùng {username}. / No user {username}.")
        return user

    def handle_add(self, name, installation, role, unit, url, key_id, secret, token, token_user, no_token, **options):
        if bool(key_id) != bool(secret):
            raise CommandError("--key-id và --secret đi cùng nhau. / --key-id and --secret go together.")
        unit_obj = OrgUnit.objects.filter(code=unit).first()
        if unit_obj is None:
            raise CommandError(f"Không có đơn vị mã {unit}. / No unit with code {unit}.")
        result = registration.register_peer(
            name=name, installation_id=installation, role=role, unit=unit_obj, base_url=url, token=token,
            key_id=key_id, secret=secret, issue_token=False if no_token else None, token_user=self.token_user(token_user),
        )
        self.stdout.write(self.style.SUCCESS(f"Đã đăng ký {result.peer.name} ({installation}, {role}, {unit}). / Registered."))
        if not secret:
            self.stdout.write("Khóa dùng chung, chỉ hiện một lần; nhập vào bên kia bằng --key-id/--secret. / "
                              "Shared key, shown once; import it on the other side with --key-id/--secret.")
            self.stdout.write(f"KEY_ID={result.key.key_id}")
            self.stdout.write(f"SECRET={result.key.secret}")
        if result.token_key:
            self.stdout.write("Mã truy cập cho bên kia (chỉ đọc, trong cây đơn vị của họ), chỉ hiện một lần; "
                              "bên kia lưu bằng --token. / Read-only token for the peer, shown once.")
            self.stdout.write(f"TOKEN={result.token_key}")
        self.stdout.write(f"INSTALLATION_ID={settings.INSTALLATION_ID}")

    def handle_list(self, **options):
        for peer in Peer.objects.select_related("unit"):
            keys = ", ".join(usable_keys(peer).values_list("key_id", flat=True)) or "-"
            state = "" if peer.active else " [ngừng / inactive]"
            self.stdout.write(f"{peer.name}\t{peer.installation_id}\t{peer.role}\t{peer.unit.code}\t"
                              f"{peer.base_url or '-'}\tkeys: {keys}{state}")

    def handle_token(self, peer, token_user, **options):
        self.stdout.write(f"TOKEN={registration.issue_peer_token(get_peer(peer), self.token_user(token_user))}")

    def handle_revoke_token(self, peer, **options):
        count = registration.revoke_peer_tokens(get_peer(peer))
        self.stdout.write(self.style.SUCCESS(f"Đã thu hồi {count} mã. / Revoked {count} token(s)."))

    def handle_set_token(self, peer, token, **options):
        Peer.objects.filter(pk=get_peer(peer).pk).update(token=token)
        self.stdout.write(self.style.SUCCESS("Đã lưu. / Saved."))

    def handle_deactivate(self, peer, **options):
        registration.deactivate_peer(get_peer(peer))
        self.stdout.write(self.style.SUCCESS("Đã ngừng kết nối. / Deactivated."))
