"""manage.py restore DIR [--yes]: replace the database and media folders with a backup, then check
every table, sequence and file against the backup's manifest (see mttq_platform.backups)."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from mttq_platform import backups


class Command(BaseCommand):
    help = ("Khôi phục cơ sở dữ liệu và tệp từ một bản sao lưu rồi đối chiếu / "
            "Restore the database and media files from a backup, then verify them")

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path, help="thư mục do manage.py backup tạo / a folder made by manage.py backup")
        parser.add_argument("--yes", action="store_true", help="không hỏi lại / do not ask for confirmation")

    def handle(self, *args, source: Path, yes: bool, **options):
        try:
            manifest = backups.read_manifest(source)  # refuse a damaged backup before anything is touched
        except backups.BackupError as exc:
            raise CommandError(f"Bản sao lưu không dùng được / Unusable backup: {exc}") from exc
        if not yes:
            self.stdout.write(
                f"Cơ sở dữ liệu {connection.settings_dict['NAME']} và các thư mục tệp sẽ bị thay bằng bản sao lưu.\n"
                f"The database {connection.settings_dict['NAME']} and the media folders will be replaced by the backup.\n"
                "Gõ / Type 'yes': "
            )
            try:
                answer = input()
            except EOFError:  # no terminal: a script must say --yes
                answer = ""
            if answer.strip().lower() != "yes":
                raise CommandError("Đã hủy / Cancelled")
        try:
            differences = backups.restore(source, manifest)
        except backups.BackupError as exc:
            raise CommandError(f"Khôi phục thất bại / Restore failed: {exc}") from exc
        if differences:
            for part, items in differences.items():
                for name, (expected, found) in items.items():
                    self.stderr.write(f"{part} {name}: sao lưu / backup {expected} != hiện tại / now {found}")
            raise CommandError("Dữ liệu khôi phục khác bản sao lưu / The restored data differs from the backup")
        self.stdout.write("Đã khôi phục và đối chiếu: giống hệt bản sao lưu / Restored and verified: identical to the backup")
