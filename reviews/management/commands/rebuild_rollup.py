from django.core.management.base import BaseCommand
from django.utils import timezone

from orgtree.models import OrgUnit
from reviews.models import UnitReport
from reviews.rollup.rebuild import check, rebuild


class Command(BaseCommand):
    help = ("Tính lại toàn bộ số liệu tổng hợp báo cáo (sau khi di chuyển đơn vị trong cây) và, với --check, đối chiếu "
            "với cách tính trực tiếp từ báo cáo ở mọi đơn vị / Rebuild the roll-up cells from the reports and, with "
            "--check, compare them with a naive recomputation at every unit.")

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="Năm / year (default: every year with reports)")
        parser.add_argument("--check", action="store_true", help="Đối chiếu sau khi tính lại / compare after rebuilding")

    def handle(self, *args, year=None, check=False, **options):
        cells = rebuild(year)
        self.stdout.write(f"Đã ghi {cells} ô tổng hợp / {cells} cells written")
        if not check:
            return
        years = [year] if year else sorted(set(UnitReport.objects.values_list("year", flat=True).distinct()))
        today = timezone.localdate()
        problems = []
        for root in OrgUnit.objects.filter(parent__isnull=True):
            for each in years:
                problems += check_year(root, each, today)
        for line in problems[:50]:
            self.stdout.write(self.style.ERROR(line))
        style = self.style.ERROR if problems else self.style.SUCCESS
        self.stdout.write(style(f"Đối chiếu: {len(problems)} chỗ khác / check: {len(problems)} differences"))


def check_year(root, year, today) -> list[str]:
    return check(root, year, today=today) + check(root, year, today=today, accepted_only=True)
