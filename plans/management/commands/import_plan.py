import json

from django.core.management.base import BaseCommand, CommandError

from mttq_platform.audit import acting_as
from orgtree.models import OrgUnit
from plans.services.importing import PlanImportError, import_report, parse_plan_file, read_plan_file, save_parsed_plan


class Command(BaseCommand):
    help = ("Nhập một kế hoạch (.txt hoặc .docx) thành kế hoạch dự thảo của đơn vị / "
            "Import a plan document (.txt or .docx) as a draft plan of a unit.")

    def add_arguments(self, parser):
        parser.add_argument("path", help="tệp .txt hoặc .docx / a .txt or .docx file")
        parser.add_argument("--unit", required=True, metavar="CODE", help="mã đơn vị ban hành, ví dụ 11 / issuing unit code")
        parser.add_argument("--json", action="store_true", dest="as_json",
                            help="in kế hoạch đã phân tích dạng JSON, không lưu / print the parsed plan as JSON, save nothing")
        parser.add_argument("--dry-run", action="store_true",
                            help="chỉ phân tích và báo cáo, không lưu / parse and report, save nothing")

    def handle(self, *args, path, unit, as_json: bool, dry_run: bool, **options):
        issuing_unit = OrgUnit.objects.filter(code=unit).first()
        if issuing_unit is None:
            raise CommandError(f"Không có đơn vị mã {unit} / no unit with code {unit}")
        try:
            plan_file = read_plan_file(path)
            parsed = parse_plan_file(plan_file)
        except PlanImportError as exc:
            raise CommandError(exc.bilingual) from exc

        if as_json:
            self.stdout.write(json.dumps(parsed.to_json(), ensure_ascii=False, indent=2))
            return
        for line in import_report(parsed):
            self.stdout.write(line)
        if dry_run:
            self.stdout.write(self.style.WARNING("[Chạy thử, không lưu / dry run, nothing saved]"))
            return
        try:
            # The audit records the change as made from the command line, by no web user.
            with acting_as(None, "command"):
                document = save_parsed_plan(parsed, issuing_unit, source_name=plan_file.name)
        except PlanImportError as exc:
            raise CommandError(exc.bilingual) from exc
        self.stdout.write(self.style.SUCCESS(
            f"Đã lưu kế hoạch dự thảo {document.uuid} của {issuing_unit.code} / saved draft plan {document.uuid}"))
