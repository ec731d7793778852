"""What an uploaded evidence file is, decided by its content, never by its name.

A PDF, JPEG or PNG is known by its first bytes. DOCX, XLSX and ODT are zip archives: the archive's
directory must hold the entries that make the format (``word/document.xml``, ``xl/workbook.xml``, an
ODF ``mimetype`` entry). The directory is read without inflating anything (the ODF ``mimetype`` entry
is stored, a few bytes), and an archive that declares more than ``EVIDENCE_MAX_UNZIPPED_BYTES`` or
too many entries is refused: a zip bomb never gets unpacked here, nor later by whoever opens it.
A renamed .exe or a text file matches none of these and is refused, and so is an office file
carrying macros (``vbaProject.bin``, ODF ``Basic/`` or ``Scripts/``).

``settings.EVIDENCE_TYPES`` lists the kinds accepted (all of the below by default).
"""
from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.core.exceptions import SuspiciousFileOperation
from django.utils.text import get_valid_filename

from reviews.services.errors import ReviewError

MB = 1024 * 1024
DEFAULT_MAX_BYTES = 20 * MB
MAX_ZIP_ENTRIES = 5000

# kind -> (content type, extension)
KINDS = {
    "pdf": ("application/pdf", "pdf"),
    "jpeg": ("image/jpeg", "jpg"),
    "png": ("image/png", "png"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "odt": ("application/vnd.oasis.opendocument.text", "odt"),
}
ODF_MIMETYPES = {"application/vnd.oasis.opendocument.text": "odt"}


@dataclass(frozen=True)
class EvidenceFile:
    kind: str
    content_type: str
    extension: str
    size: int
    sha256: str


def _size(n: int) -> str:
    if n >= MB:
        return f"{n / MB:.1f} MB".replace(".0 MB", " MB")
    return f"{n / 1024:.0f} KB" if n >= 1024 else f"{n} B"


def max_bytes() -> int:
    return getattr(settings, "EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES)


def max_unzipped_bytes() -> int:
    return getattr(settings, "EVIDENCE_MAX_UNZIPPED_BYTES", 10 * max_bytes())


def allowed_kinds() -> tuple[str, ...]:
    return tuple(getattr(settings, "EVIDENCE_TYPES", KINDS))


def _refuse_type() -> ReviewError:
    names = ", ".join(k.upper() for k in allowed_kinds())
    return ReviewError(f"Loại tệp không được chấp nhận. Chỉ nhận: {names} (kiểm tra theo nội dung tệp, không theo tên).",
                       f"File type not accepted. Accepted: {names} (checked by content, not by name).",
                       code="bad_type")


def _zip_kind(upload) -> str | None:
    try:
        upload.seek(0)
        archive = zipfile.ZipFile(upload)
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    if len(entries) > MAX_ZIP_ENTRIES or sum(e.file_size for e in entries) > max_unzipped_bytes():
        raise ReviewError("Tệp nén giải nén ra quá lớn, không nhận.",
                          "The archive expands to too much data; refused.", code="zip_bomb")
    names = {e.filename for e in entries}
    if any(name.lower().endswith("vbaproject.bin") or name.startswith(("Basic/", "Scripts/")) for name in names):
        raise ReviewError("Tệp có chứa macro, không nhận. Hãy lưu lại thành tệp không có macro.",
                          "The file contains macros; refused. Save it without macros.", code="macro")
    if "[Content_Types].xml" in names:
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        return None
    if "mimetype" in names and "content.xml" in names:
        info = archive.getinfo("mimetype")
        if info.file_size > 100 or info.compress_type != zipfile.ZIP_STORED:
            return None
        return ODF_MIMETYPES.get(archive.read(info).decode("ascii", "replace").strip())
    return None


def sniff_kind(upload) -> str | None:
    """The kind of ``upload`` by its content, or None when it is none of the known kinds."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"PK\x03\x04"):
        kind = _zip_kind(upload)
        upload.seek(0)
        return kind
    return None


def check_evidence_file(upload) -> EvidenceFile:
    """Refuse (ReviewError) a file that is too big, empty or of a kind not accepted; else describe it."""
    size = upload.size
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
    if not size:
        raise ReviewError("Tệp rỗng.", "The file is empty.", code="empty")
    if size > max_bytes():
        raise ReviewError(f"Tệp quá lớn ({_size(size)}); tối đa {_size(max_bytes())}.",
                          f"The file is too large ({_size(size)}); at most {_size(max_bytes())}.",
                          code="too_large")
    kind = sniff_kind(upload)
    if kind is None or kind not in allowed_kinds():
        raise _refuse_type()
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(64 * 1024), b""):
        digest.update(chunk)
    upload.seek(0)
    content_type, extension = KINDS[kind]
    return EvidenceFile(kind, content_type, extension, size, digest.hexdigest())


def stored_name(original: str, extension: str) -> str:
    """The stored name: the original stem, made safe, with the extension of what the file IS."""
    try:
        stem = get_valid_filename(Path(original or "").stem)[:80]
    except SuspiciousFileOperation:  # nothing usable left of the name ("..", "/")
        stem = ""
    return f"{stem or 'minh-chung'}.{extension}"


def delete_with_file(row) -> None:
    """Delete an evidence row (a report's or a checklist's); its file goes once the deletion is
    committed, so a rolled-back removal keeps both."""
    stored, storage = row.file.name, row.file.storage
    row.delete()
    transaction.on_commit(lambda: storage.delete(stored))
