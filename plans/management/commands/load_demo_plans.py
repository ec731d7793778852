from django.core.management.base import BaseCommand, CommandError

from plans.demo import DemoTreeMissing, load_plan_demo


class Command(BaseCommand):
    help = ("Nạp kế hoạch mẫu: kế hoạch thực hiện Chỉ thị 18-CT/TW của tỉnh Điện Biên (đã ban hành) và các "
            "dự thảo xây dựng từ đó cho thành phố Điện Biên Phủ; chạy sau load_demo, chạy lại không thay đổi gì / "
            "Load the demo plans (the province's issued seed plan, drafts derived for district 094); idempotent.")

    def handle(self, *args, **options):
        try:
            summary = load_plan_demo()
        except DemoTreeMissing as exc:
            raise CommandError(str(exc)) from exc
        plan = summary.plan
        self.stdout.write(self.style.SUCCESS(
            f"Kế hoạch mẫu {plan.number_symbol}: {'nhập mới' if summary.plan_created else 'đã có'}"
            f"{', đã ban hành' if summary.plan_issued else ''}; dự thảo mới cho {summary.job.root_unit.code}: "
            f"{summary.drafts_created} / demo plan {plan.number_symbol}: "
            f"{'imported' if summary.plan_created else 'present'}{', issued' if summary.plan_issued else ''}; "
            f"drafts created below {summary.job.root_unit.code}: {summary.drafts_created}"))
