from django.core.management.base import BaseCommand, CommandError

from orgtree.reform import LAST_LEGACY_DAY, ReformError, reform_province


class Command(BaseCommand):
    help = ("Áp dụng cuộc sắp xếp đơn vị hành chính 2025 cho một tỉnh (bộ mã 2025) / "
            "Apply the 2025 administrative reform to one province (2025 code).")

    def add_arguments(self, parser):
        parser.add_argument("--province", required=True, metavar="CODE",
                            help="mã tỉnh/thành phố trong bộ mã 2025, ví dụ 11 (Điện Biên) / 2025 province code")
        parser.add_argument("--dry-run", action="store_true",
                            help="chỉ cho biết sẽ làm gì, không lưu gì / report what would be done, save nothing")

    def handle(self, *args, province, dry_run, **options):
        try:
            result = reform_province(province, dry_run=dry_run)
        except ReformError as exc:
            raise CommandError(str(exc)) from exc
        prefix = "[Chạy thử, không lưu / dry run, nothing saved] " if dry_run else ""
        if not result.changed:
            self.stdout.write(self.style.SUCCESS(
                f"{prefix}Tỉnh {province} đã được sắp xếp, không có gì thay đổi / "
                f"province {province} is already reformed, nothing changed"))
            return
        kept = ("giữ nguyên Ủy ban MTTQ tỉnh" if result.continued else "thành lập Ủy ban MTTQ tỉnh mới")
        kept_en = ("the province committee continues" if result.continued else "a new province committee")
        self.stdout.write(self.style.SUCCESS(
            f"{prefix}Tỉnh {result.province} ({kept}): ngừng hoạt động từ {LAST_LEGACY_DAY:%d/%m/%Y} "
            f"{len(result.ended)} đơn vị, tạo mới {len(result.created)} đơn vị, ghi {len(result.successions)} "
            f"quan hệ kế tục / province {result.province} ({kept_en}): {len(result.ended)} units ended on "
            f"{LAST_LEGACY_DAY:%Y-%m-%d}, {len(result.created)} created, {len(result.successions)} successions"))
        if options["verbosity"] > 1:
            for title, codes in (("Ngừng / ended", result.ended), ("Tạo mới / created", result.created),
                                 ("Kế tục / successions", [f"{a} → {b}" for a, b in result.successions])):
                self.stdout.write(f"{title}: {', '.join(codes)}")
