"""manage.py backup and restore with the real pg_dump/pg_restore: back up the test tree and an
evidence file, wipe, restore, and find the same rows, sequences and files.

The restores go into a scratch database of their own (the default connection is pointed at it for
the time of the restore), so a failing restore never breaks the test database of the session.
"""
import contextlib
import shutil

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from mttq_platform import backups
from reviews.services.progress import attach_evidence
from tests.reviews.report_factories import PDF, open_branch_reports, upload


def run_admin(sql: str) -> None:
    with connection._nodb_cursor() as cursor:  # the server's maintenance database, as Django's test set-up does
        cursor.execute(sql)


@pytest.fixture
def scratch_database():
    """An empty database beside the test database; its name, dropped at the end."""
    name = f"{connection.settings_dict['NAME']}_restore"[:63]
    run_admin(f'DROP DATABASE IF EXISTS "{name}"')
    run_admin(f'CREATE DATABASE "{name}"')
    yield name
    run_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def default_connection_on(database: str):
    original = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = database
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    (settings.MEDIA_ROOT / "logos").mkdir(parents=True)
    (settings.MEDIA_ROOT / "logos" / "mttq.png").write_bytes(b"\x89PNG logo")
    return settings


def folder_contents(root) -> dict:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*") if path.is_file()}


@pytest.mark.django_db(transaction=True)  # pg_dump reads committed rows only
def test_backup_wipe_restore_gives_identical_rows_sequences_and_files(transactional_tree, media, tmp_path, scratch_database):
    tree = transactional_tree
    row = open_branch_reports(tree, codes=("03127",))["03127"].progress.order_by("pk").first()
    evidence = attach_evidence(row, upload("bien-ban.pdf", PDF), user=tree.user("himlam.cadre"))
    files_before = {root: folder_contents(getattr(media, root)) for root in ("MEDIA_ROOT", "PRIVATE_MEDIA_ROOT")}
    assert evidence.file.name in files_before["PRIVATE_MEDIA_ROOT"]

    call_command("backup", "--output", str(tmp_path / "backup"))
    manifest = backups.read_manifest(tmp_path / "backup")
    assert manifest["tables"]["public.reviews_evidence"]["rows"] == 1
    assert manifest["tables"]["public.orgtree_orgunit"]["rows"] == len(tree.units)
    assert manifest["media"][f"private/{evidence.file.name}"] == evidence.sha256

    # Wipe: the scratch database is empty and the media folders are gone.
    shutil.rmtree(media.MEDIA_ROOT)
    shutil.rmtree(media.PRIVATE_MEDIA_ROOT)
    with default_connection_on(scratch_database):
        assert backups.table_checksums() == {}
        call_command("restore", str(tmp_path / "backup"), "--yes")

        restored = {"tables": backups.table_checksums(), "sequences": backups.sequence_values()}
        assert restored == {"tables": manifest["tables"], "sequences": manifest["sequences"]}
        assert {root: folder_contents(getattr(media, root)) for root in files_before} == files_before

        # Damage the restored installation: a renamed unit, a deleted membership, a stray file; the
        # check sees exactly that, and a restore over the existing tables (--clean) puts it back.
        with connection.cursor() as cursor:
            cursor.execute("UPDATE orgtree_orgunit SET name = 'đổi tên' WHERE code = '03127'")
            cursor.execute("DELETE FROM orgtree_membership WHERE id = (SELECT min(id) FROM orgtree_membership)")
        (media.MEDIA_ROOT / "stray.txt").write_text("not in the backup")
        differences = backups.verify(manifest)
        assert {part: set(items) for part, items in differences.items()} == {
            "tables": {"public.orgtree_orgunit", "public.orgtree_membership"},
            "media": {"media/stray.txt"},
        }

        call_command("restore", str(tmp_path / "backup"), "--yes")

        assert backups.verify(manifest) == {}
    assert {root: folder_contents(getattr(media, root)) for root in files_before} == files_before


@pytest.mark.django_db
def test_a_damaged_backup_is_refused_before_anything_is_touched(media, tmp_path):
    call_command("backup", "--output", str(tmp_path / "backup"))
    with open(tmp_path / "backup" / backups.MEDIA_FILE, "r+b") as archive:
        archive.seek(600)
        archive.write(b"X")

    with pytest.raises(CommandError, match="media.tar"):
        call_command("restore", str(tmp_path / "backup"), "--yes")
    assert (media.MEDIA_ROOT / "logos" / "mttq.png").read_bytes() == b"\x89PNG logo"


@pytest.mark.django_db
def test_backup_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "old.txt").write_text("x")
    with pytest.raises(CommandError, match="not empty"):
        call_command("backup", "--output", str(tmp_path))
