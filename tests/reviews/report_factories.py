"""Reports of the test tree for one year: each unit of the Điện Biên branch with a seed-shaped
issued plan and its opened report."""
from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from reviews.services.reports import open_report
from tests.plans.factories import seed_like_plan

YEAR = 2025
BRANCH = ("11", "094", "03124", "03127", "095", "03151")


def open_branch_reports(tree, codes=BRANCH, year: int = YEAR) -> dict:
    """{unit code: UnitReport} for ``codes``, each with its own issued plan."""
    reports = {}
    for code in codes:
        unit = tree[code]
        seed_like_plan(unit, number=f"16-{code}")
        reports[code] = open_report(unit, year)
    return reports


@pytest.fixture
def himlam(tree):
    """Him Lam's 2025 report on its own issued plan."""
    return open_branch_reports(tree, codes=("03127",))["03127"]


@pytest.fixture
def row(himlam):
    """The first progress row of Him Lam's report."""
    return himlam.progress.order_by("pk").first()


# -- evidence files, built in memory --------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40 + b"\xff\xd9"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 100 + b"This program cannot be run in DOS mode."


def zipped(entries: dict, stored_first: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if stored_first:
            archive.writestr(zipfile.ZipInfo(stored_first), entries[stored_first], compress_type=zipfile.ZIP_STORED)
        for name, data in entries.items():
            if name != stored_first:
                archive.writestr(name, data)
    return buffer.getvalue()


DOCX = zipped({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>", "_rels/.rels": "<Relationships/>"})
XLSX = zipped({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook/>"})
ODT = zipped({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<office:document-content/>"},
             stored_first="mimetype")


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def private_media(settings, tmp_path):
    """Evidence goes to a fresh folder (the storage follows the setting)."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT
