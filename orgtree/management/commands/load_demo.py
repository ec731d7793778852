from django.core.management.base import BaseCommand

from orgtree.management.demo import load_demo


class Command(BaseCommand):
    help = ("Nạp dữ liệu mẫu tỉnh Điện Biên (cây đơn vị và người dùng mẫu); chạy lại không thay đổi gì / "
            "Load the Điện Biên demo (idempotent).")

    def handle(self, *args, **options):
        summary = load_demo()
        units = summary.units
        self.stdout.write(self.style.SUCCESS(
            f"Dữ liệu mẫu Điện Biên: đơn vị tạo mới {units.created}, cập nhật {units.updated}, "
            f"không đổi {units.unchanged}; người dùng mới {summary.users_created}, "
            f"vai trò mới {summary.memberships_created} / Điện Biên demo: units created {units.created}, "
            f"updated {units.updated}, unchanged {units.unchanged}; users created {summary.users_created}, "
            f"memberships created {summary.memberships_created}"))
