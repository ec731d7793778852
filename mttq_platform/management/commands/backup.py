"""manage.py backup --output DIR: the database, the media folders and a manifest (see
mttq_platform.backups)."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mttq_platform import backups


class Command(BaseCommand):
    help = "Sao lưu cơ sở dữ liệu và tệp (media, minh chứng) vào một thư mục / Back up the database and media files into a folder"

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True, type=Path, help="thư mục mới hoặc rỗng / a new or empty folder")

    def handle(self, *args, output: Path, **options):
        try:
            manifest = backups.backup(output)
        except backups.BackupError as exc:
            raise CommandError(f"Sao lưu thất bại / Backup failed: {exc}") from exc
        rows = sum(table["rows"] for table in manifest["tables"].values())
        self.stdout.write(
            f"Đã sao lưu / Backed up: {len(manifest['tables'])} bảng / tables, {rows} dòng / rows, "
            f"{len(manifest['media'])} tệp / files -> {output}"
        )
