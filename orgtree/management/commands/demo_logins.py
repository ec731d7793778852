import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from orgtree.management.demo import ADMIN_USERNAME, DEMO_USERS, demo_password
from orgtree.models import Membership


class Command(BaseCommand):
    help = "In danh sách tài khoản mẫu / Print the demo logins."

    def handle(self, *args, **options):
        usernames = [demo.username for demo in DEMO_USERS] + [ADMIN_USERNAME]
        existing = set(get_user_model().objects.filter(username__in=usernames).values_list("username", flat=True))
        if not existing:
            self.stdout.write("Chưa có dữ liệu mẫu: chạy `manage.py load_demo` / No demo yet: run `manage.py load_demo`")
            return
        memberships = {
            m.user.username: m
            for m in Membership.objects.filter(user__username__in=existing).select_related("user", "unit", "role")
        }
        password = demo_password()
        table = [("Tên đăng nhập / user", "Mật khẩu / password", "Đơn vị / unit", "Vai trò / role")]
        for username in usernames:
            if username not in existing:
                continue
            membership = memberships.get(username)
            if membership is None:
                table.append((username, password, "(mọi đơn vị / every unit)", "Quản trị hệ thống / superuser"))
            else:
                table.append((username, password, f"{membership.unit.code} {membership.unit.name}",
                              membership.role.name))
        widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
        for number, row in enumerate(table):
            self.stdout.write("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
            if number == 0:
                self.stdout.write("  " + "  ".join("-" * width for width in widths))
        port = os.environ.get("PORT", "8000")
        self.stdout.write(f"\n  Đăng nhập tại / Log in at: http://127.0.0.1:{port}/accounts/login/")
