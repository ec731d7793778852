import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from orgtree.importers import UnitImportError, import_units, read_file, read_vietnamadminunits

PACKAGE_SOURCE = "vietnamadminunits"


class Command(BaseCommand):
    help = ("Nhập đơn vị hành chính làm Ủy ban MTTQ (kèm tổ chức thành viên) từ gói vietnamadminunits "
            "hoặc tệp CSV/JSON / Import administrative units as Front committees.")

    def add_arguments(self, parser):
        parser.add_argument("--source", default=PACKAGE_SOURCE,
                            help=f"'{PACKAGE_SOURCE}' hoặc đường dẫn tệp .csv/.json (mặc định: {PACKAGE_SOURCE})")
        parser.add_argument("--code-set", default="legacy", help="bộ mã: legacy hoặc 2025 (mặc định: legacy)")
        parser.add_argument("--province", action="append", default=[], metavar="CODE",
                            help="chỉ nhập tỉnh này (lặp lại được; mặc định: cả nước); chỉ với gói vietnamadminunits")
        parser.add_argument("--no-member-organizations", action="store_true",
                            help="không tạo các tổ chức chính trị - xã hội dưới mỗi Ủy ban")
        parser.add_argument("--dry-run", action="store_true", help="chỉ đếm, không lưu gì")

    def handle(self, *args, source, code_set, province, no_member_organizations, dry_run, **options):
        started = time.monotonic()
        try:
            if source == PACKAGE_SOURCE:
                rows = read_vietnamadminunits(code_set, province or None)
            elif province:
                raise CommandError("--province chỉ dùng với --source vietnamadminunits / "
                                   "--province only applies to --source vietnamadminunits")
            else:
                rows = read_file(source)
            with transaction.atomic():
                result = import_units(rows, code_set=code_set, member_organizations=not no_member_organizations)
                if dry_run:
                    transaction.set_rollback(True)
        except UnitImportError as exc:
            raise CommandError(str(exc)) from exc
        seconds = time.monotonic() - started
        prefix = "[Chạy thử, không lưu / dry run, nothing saved] " if dry_run else ""
        self.stdout.write(self.style.SUCCESS(
            f"{prefix}Tạo mới {result.created}, cập nhật {result.updated}, không đổi {result.unchanged} "
            f"({len(rows)} đơn vị hành chính, {seconds:.1f} giây) / created {result.created}, "
            f"updated {result.updated}, unchanged {result.unchanged} ({len(rows)} admin units, {seconds:.1f} s)"))
