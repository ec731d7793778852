from django.core.management.base import BaseCommand, CommandError

from orgtree.integrity import CHECKS, check_tree, tree_summary


class Command(BaseCommand):
    help = "Kiểm tra tính toàn vẹn của cây đơn vị (lft/rght/depth/tree_id) / Verify the organization tree."

    def handle(self, *args, **options):
        problems = check_tree()
        trees, units = tree_summary()
        if not problems:
            self.stdout.write(self.style.SUCCESS(
                f"Cây đơn vị hợp lệ: {trees} cây, {units} đơn vị / Tree OK: {trees} tree(s), {units} units"))
            return
        descriptions = {name: description for name, description, _sql in CHECKS}
        for check in dict.fromkeys(problem.check for problem in problems):
            found = [problem for problem in problems if problem.check == check]
            self.stderr.write(self.style.ERROR(f"[{check}] {descriptions[check]}: {found[0].total}"))
            for problem in found:
                unit = f" {problem.unit_code} (id {problem.unit_id})" if problem.unit_id else ""
                self.stderr.write(f"  tree {problem.tree_id}{unit}: {problem.detail}")
        total = sum({problem.check: problem.total for problem in problems}.values())
        raise CommandError(f"Cây đơn vị bị hỏng: {total} lỗi / The organization tree is corrupt: {total} problem(s)")
