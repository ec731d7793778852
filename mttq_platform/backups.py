"""Backup and restore of an installation: the database (pg_dump -Fc), the media folders, and a
manifest that lets a restore prove it brought back the same thing.

A backup folder holds:

- ``database.dump``: ``pg_dump --format=custom`` of the configured database;
- ``media.tar``: MEDIA_ROOT as ``media/`` and PRIVATE_MEDIA_ROOT (evidence) as ``private/``;
- ``manifest.json``: per table its row count and checksum, per sequence its value, per media file
  its sha256, and the sha256 of the two archives.

A table's checksum is the count and the sum of a 64-bit slice of each row's md5 (computed in SQL,
one pass, constant memory: a national database has tables of millions of rows, too big for one
ordered ``string_agg``). Equal row multisets give equal sums; any changed, missing or extra row
changes them.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone
from psycopg2.extensions import make_dsn
from psycopg2.sql import SQL, Identifier

FORMAT = 1
DUMP_FILE = "database.dump"
MEDIA_FILE = "media.tar"
MANIFEST_FILE = "manifest.json"
CHUNK = 1024 * 1024

_USER_TABLES = """
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
 ORDER BY 1, 2
"""
_USER_SEQUENCES = """
SELECT schemaname, sequencename FROM pg_sequences
 WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2
"""
_TABLE_CHECKSUM = SQL(
    "SELECT count(*), coalesce(sum(('x' || substr(md5(t::text), 1, 16))::bit(64)::bigint::numeric), 0) FROM {} AS t"
)


class BackupError(Exception):
    pass


def media_roots() -> dict[str, Path]:
    """Archive name -> folder."""
    return {"media": Path(settings.MEDIA_ROOT), "private": Path(settings.PRIVATE_MEDIA_ROOT)}


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


# -- the database -----------------------------------------------------------------------------------


def table_checksums(db=connection) -> dict[str, dict]:
    """{"schema.table": {"rows": n, "checksum": "..."}} for every table of the database (``db``: the
    Django connection, or any DB-API connection)."""
    result = {}
    with db.cursor() as cursor:
        cursor.execute(_USER_TABLES)
        tables = cursor.fetchall()
        for schema, table in tables:
            cursor.execute(_TABLE_CHECKSUM.format(Identifier(schema, table)))
            rows, checksum = cursor.fetchone()
            result[f"{schema}.{table}"] = {"rows": rows, "checksum": str(checksum)}
    return result


def sequence_values(db=connection) -> dict[str, int | None]:
    with db.cursor() as cursor:
        cursor.execute(_USER_SEQUENCES)
        sequences = cursor.fetchall()
        values = {}
        for schema, name in sequences:
            cursor.execute(SQL("SELECT CASE WHEN is_called THEN last_value END FROM {}").format(Identifier(schema, name)))
            values[f"{schema}.{name}"] = cursor.fetchone()[0]
    return values


@dataclass
class PostgresTools:
    """pg_dump and pg_restore of the server's major version, and how to reach the database."""

    bin_dir: Path
    dsn: str
    env: dict

    def run(self, tool: str, *args: str) -> None:
        completed = subprocess.run(
            [str(self.bin_dir / tool), *args, f"--dbname={self.dsn}"], env=self.env, capture_output=True, text=True
        )
        if completed.returncode != 0:
            raise BackupError(f"{tool} failed ({completed.returncode}): {completed.stderr.strip()[-2000:]}")


def postgres_tools() -> PostgresTools:
    connection.ensure_connection()
    server_major = connection.pg_version // 10000
    params = connection.get_connection_params()
    password = params.pop("password", None)
    dsn = make_dsn(**{key: value for key, value in params.items() if isinstance(value, (str, int)) and value != ""})
    env = {**os.environ, **({"PGPASSWORD": str(password)} if password else {})}
    return PostgresTools(bin_dir=_bin_dir(server_major), dsn=dsn, env=env)


def _bin_dir(server_major: int) -> Path:
    """The folder of pg_dump/pg_restore matching the server: PG_BIN_DIR, the embedded server's own
    (pgserver ships its binaries), Debian's /usr/lib/postgresql/<major>/bin, then PATH; failing the
    same major version, the closest newer one."""
    candidates = []
    if os.environ.get("PG_BIN_DIR"):
        candidates.append(Path(os.environ["PG_BIN_DIR"]))
    try:
        from pgserver._commands import POSTGRES_BIN_PATH

        candidates.append(Path(POSTGRES_BIN_PATH))
    except ImportError:
        pass
    candidates.append(Path(f"/usr/lib/postgresql/{server_major}/bin"))
    candidates.extend(sorted(Path("/usr/lib/postgresql").glob("*/bin")))
    on_path = shutil.which("pg_dump")
    if on_path:
        candidates.append(Path(on_path).parent)
    found = {}
    for folder in candidates:
        major = _tool_major(folder)
        if major is not None:
            found.setdefault(major, folder)
    if server_major in found:
        return found[server_major]
    newer = sorted(major for major in found if major > server_major)
    if newer:  # a newer pg_dump reads an older server; pg_restore of it then needs the same newer one
        return found[newer[0]]
    raise BackupError(
        f"pg_dump/pg_restore {server_major} not found (found: {sorted(found) or 'none'}); set PG_BIN_DIR"
    )


def _tool_major(folder: Path) -> int | None:
    if not all((folder / tool).is_file() for tool in ("pg_dump", "pg_restore")):
        return None
    try:
        out = subprocess.run([str(folder / "pg_dump"), "--version"], capture_output=True, text=True, timeout=30).stdout
    except OSError:
        return None
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(match.group(1)) if match else None


# -- media ------------------------------------------------------------------------------------------


def media_checksums() -> dict[str, str]:
    """{"media/<path>" or "private/<path>": sha256} of every regular file of the media folders."""
    checksums = {}
    for name, root in media_roots().items():
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                checksums[f"{name}/{path.relative_to(root).as_posix()}"] = sha256_file(path)
    return checksums


def archive_media(target: Path) -> None:
    with tarfile.open(target, "w") as archive:
        for name, root in media_roots().items():
            if root.is_dir():
                archive.add(root, arcname=name)


def replace_media(source: Path) -> None:
    """Make each media folder hold exactly what the archive holds for it."""
    with tempfile.TemporaryDirectory(prefix="mttq-restore-") as scratch:
        with tarfile.open(source) as archive:
            archive.extractall(scratch, filter="data")  # no absolute paths, links out or devices
        for name, root in media_roots().items():
            root.mkdir(parents=True, exist_ok=True)
            # Empty the folder, not remove it: it may be a mount point.
            for child in root.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
            restored = Path(scratch) / name
            if restored.is_dir():
                for child in restored.iterdir():
                    shutil.move(str(child), root / child.name)


# -- backup, restore, verify ------------------------------------------------------------------------


def backup(output: Path) -> dict:
    """Write a backup into ``output`` (created; must be empty) and return its manifest."""
    output.mkdir(parents=True, exist_ok=True)
    if any(output.iterdir()):
        raise BackupError(f"{output} is not empty")
    tools = postgres_tools()
    # The counts come from the same moment as the dump as far as a live system allows: taken just
    # before it; a write in between shows up as a mismatch when the backup is restored and checked.
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "installation": settings.INSTALLATION_ID,
        "server_version": connection.pg_version,
        "tables": table_checksums(),
        "sequences": sequence_values(),
        "media": media_checksums(),
    }
    tools.run("pg_dump", "--format=custom", f"--file={output / DUMP_FILE}")
    archive_media(output / MEDIA_FILE)
    manifest["archives"] = {name: sha256_file(output / name) for name in (DUMP_FILE, MEDIA_FILE)}
    (output / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return manifest


def read_manifest(source: Path) -> dict:
    try:
        manifest = json.loads((source / MANIFEST_FILE).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{source / MANIFEST_FILE}: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    for name, expected in manifest["archives"].items():
        if not (source / name).is_file() or sha256_file(source / name) != expected:
            raise BackupError(f"{source / name} is missing or damaged (sha256 differs from the manifest)")
    return manifest


def restore(source: Path, manifest: dict | None = None) -> dict:
    """Restore the backup in ``source`` over the configured database and media folders; return the
    differences found by ``verify`` (empty when the restore is identical). ``manifest``: the one
    ``read_manifest`` already checked."""
    manifest = manifest or read_manifest(source)
    tools = postgres_tools()
    connection.close()  # our own session must not hold locks on what pg_restore drops
    tools.run(
        "pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
        "--exit-on-error", str(source / DUMP_FILE),
    )
    replace_media(source / MEDIA_FILE)
    return verify(manifest)


def verify(manifest: dict) -> dict:
    """{"tables"|"sequences"|"media": {name: (expected, found)}} for everything that differs."""
    differences = {}
    for part, current in (("tables", table_checksums()), ("sequences", sequence_values()), ("media", media_checksums())):
        expected = manifest[part]
        differing = {
            name: (expected.get(name), current.get(name))
            for name in sorted(set(expected) | set(current))
            if expected.get(name) != current.get(name)
        }
        if differing:
            differences[part] = differing
    return differences
