from django.core.management.base import BaseCommand, CommandError

from orgtree.management.demo import DEMO_PROVINCE
from orgtree.models import OrgUnit
from reviews.demo import NoSourcePlan, generate_year

DEMO_YEARS = (2024, 2025)  # two years, so that the charts over years have something to draw


class Command(BaseCommand):
    help = ("Tạo báo cáo mẫu năm 2024 và 2025 cho mọi đơn vị tỉnh Điện Biên theo kế hoạch đã xây dựng (một số nộp muộn, "
            "một số chưa nộp); chạy sau load_demo_plans, chạy lại không thay đổi gì / Generate the Điện Biên demo "
            "reports of 2024 and 2025 (run after load_demo_plans; idempotent).")

    def handle(self, *args, **options):
        province = OrgUnit.objects.filter(code=DEMO_PROVINCE).first()
        if province is None:
            raise CommandError("Chưa có cây đơn vị mẫu: chạy `manage.py load_demo` trước / "
                               "no demo tree: run `manage.py load_demo` first")
        for year in DEMO_YEARS:
            try:
                summary = generate_year(province, year, seed=year)
            except NoSourcePlan as exc:
                raise CommandError(f"{exc}; chạy `manage.py load_demo_plans` trước / run `manage.py load_demo_plans` first") from exc
            self.stdout.write(self.style.SUCCESS(
                f"Năm {year}: kế hoạch mới xây dựng {summary.plans_derived}, ban hành {summary.plans_issued}, "
                f"báo cáo mới {summary.reports_opened} / year {year}: plans derived {summary.plans_derived}, "
                f"issued {summary.plans_issued}, reports generated {summary.reports_opened}"))
