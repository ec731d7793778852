"""Read a plan file into lines of text: .txt (UTF-8, UTF-8 with BOM, UTF-16, Windows-1258) and .docx.

The format is decided from the content, not the name: a .txt that is really a Word file is read as
Word, and an old binary .doc is refused with a message saying to save it as .docx.

In .docx, paragraphs and tables come in body order. Real plans put the header (issuer | national
motto, number | place and date) and the signature block (recipients | signer) in two-column layout
tables; those are read column by column (left column top to bottom, then the right column), so the
issuer, number, recipients and signer each come out as consecutive lines. A table with three
columns or more whose header row names attributes ("Nội dung", "Thời gian", "Chủ trì", "Phối hợp")
is a task table: each row becomes the task's line followed by "Label: value" lines, the shape a
typed plan has. Any other table is read row by row, cell by cell.
"""
from __future__ import annotations

import codecs
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from plans.parsing.text import clean, nfc

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # Word 97-2003 .doc, .xls


class PlanReadError(ValueError):
    """The file cannot be read as a plan; the message says why and what to do."""


@dataclass
class SourceDocument:
    lines: list[str]
    format: str  # "txt" | "docx"
    encoding: str | None = None  # for text: "utf-8", "utf-8-sig", "utf-16", "cp1258"
    name: str = ""

    def describe(self) -> dict:
        return {"name": self.name, "format": self.format, "encoding": self.encoding}


def read_document(source: str | Path | bytes | BinaryIO, filename: str | None = None) -> SourceDocument:
    """Read a path, raw bytes or an open binary file (an upload) into lines."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise PlanReadError(f"Không đọc được tệp {path}: {exc.strerror}") from exc
        filename = filename or path.name
    elif isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    else:
        data = source.read()
        filename = filename or getattr(source, "name", "") or ""
    name = str(filename or "")
    if not data.strip():
        raise PlanReadError(f"Tệp {name or ''} rỗng.".replace("  ", " "))
    if data.startswith(_OLE_MAGIC):
        raise PlanReadError("Đây là tệp Word cũ (.doc). Hãy mở bằng Word và lưu lại dạng .docx rồi nhập lại.")
    if data.startswith(_ZIP_MAGIC):
        return SourceDocument(read_docx_lines(data), "docx", None, name)
    if name.lower().endswith((".docx", ".doc")):
        raise PlanReadError(f"Tệp {name} không phải tệp Word .docx hợp lệ.")
    text, encoding = decode_text(data)
    return SourceDocument(split_lines(text), "txt", encoding, name)


def split_lines(text: str) -> list[str]:
    return nfc(text).replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").split("\n")


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode plan text: BOMs first, then UTF-16 without BOM, then strict UTF-8, then Windows-1258.

    Windows-1258 (the legacy Vietnamese code page) decodes most byte strings, so it is only tried
    when UTF-8 fails, and refused when the result does not look like Vietnamese text. Vietnamese in
    Windows-1258 writes tones as combining marks; the caller's NFC composes them.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16"), "utf-16"
    head = data[:4000]
    if head.count(b"\x00") > len(head) // 4:  # UTF-16 without BOM: every other byte is zero for Latin
        encoding = "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"
        return _strict(data, encoding), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("cp1258")
        except UnicodeDecodeError:
            text = None
        if text is not None and _looks_vietnamese(text):
            return text, "cp1258"
        raise PlanReadError(
            f"Tệp không phải văn bản UTF-8 (byte lỗi ở vị trí {utf8_error.start}) và cũng không phải Windows-1258. "
            "Hãy lưu lại tệp với bảng mã UTF-8 (hoặc dạng .docx). Các bảng mã TCVN3 (ABC) và VNI không được hỗ trợ."
        ) from utf8_error


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise PlanReadError(f"Tệp có vẻ là {encoding.upper()} nhưng hỏng ở byte {exc.start}.") from exc


def _looks_vietnamese(text: str) -> bool:
    """At least a few Vietnamese letters or tone marks among the letters, and no control characters."""
    if re.search(r"[\x00-\x08\x0e-\x1f]", text):
        return False
    marks = len(re.findall(r"[\u0300-\u0323ăâđêôơưĂÂĐÊÔƠƯ]", text))
    letters = sum(c.isalpha() for c in text) or 1
    return marks / letters > 0.02


# --- .docx ----------------------------------------------------------------------------------

_ATTRIBUTE_HEADER = re.compile(r"thời gian|thời hạn|chủ trì|phối hợp|kết quả|sản phẩm|tiến độ", re.IGNORECASE)
_CONTENT_HEADER = re.compile(r"nội dung|nhiệm vụ|công việc|hoạt động", re.IGNORECASE)
_NUMBER_HEADER = re.compile(r"^(?:s?tt|số\s*tt|số thứ tự)$", re.IGNORECASE)
_COLUMN_LABELS = [  # header words -> the label the plan parser knows
    (re.compile(r"chủ trì", re.IGNORECASE), "Cơ quan chủ trì"),
    (re.compile(r"phối hợp", re.IGNORECASE), "Cơ quan phối hợp"),
    (re.compile(r"thời gian|thời hạn|tiến độ", re.IGNORECASE), "Thời gian thực hiện"),
    (re.compile(r"kết quả|sản phẩm", re.IGNORECASE), "Kết quả"),
]


def read_docx_lines(data: bytes | str | Path) -> list[str]:
    """Lines of a .docx in body order, tables included (see the module docstring)."""
    try:
        import docx  # python-docx
        from docx.opc.exceptions import PackageNotFoundError
    except ImportError as exc:  # pragma: no cover - python-docx is a dependency
        raise PlanReadError("Cần gói python-docx để đọc tệp .docx.") from exc
    try:
        document = docx.Document(io.BytesIO(data) if isinstance(data, bytes) else str(data))
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise PlanReadError(f"Không mở được tệp .docx: {exc}") from exc
    return list(_block_lines(document.element.body, document))


def _block_lines(container, parent):
    """Paragraph and table lines of a body or a table cell, in order (content controls unwrapped)."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in container.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            yield from split_lines(Paragraph(child, parent).text)
        elif tag == "tbl":
            yield from _table_lines(Table(child, parent))
        elif tag == "sdt":
            content = child.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}sdtContent")
            if content is not None:
                yield from _block_lines(content, parent)


def _cell_lines(cell):
    return list(_block_lines(cell._tc, cell))


def _unique_cells(row):
    seen, cells = set(), []
    for cell in row.cells:
        if id(cell._tc) not in seen:
            seen.add(id(cell._tc))
            cells.append(cell)
    return cells


def _table_lines(table):
    rows = [_unique_cells(row) for row in table.rows]
    width = max((len(cells) for cells in rows), default=0)
    header = [clean(" ".join(_cell_lines(c))) for c in rows[0]] if rows else []
    if width >= 3 and any(_ATTRIBUTE_HEADER.search(h) for h in header):
        yield from _task_table_lines(rows, header)
    elif width <= 2:
        yield from _layout_table_lines(table)
    else:
        for cells in rows:
            for cell in cells:
                yield from _cell_lines(cell)


def _layout_table_lines(table):
    """Column by column; a cell merged across rows or columns is read once."""
    seen = set()
    grid = [row.cells for row in table.rows]
    width = max((len(cells) for cells in grid), default=0)
    for column in range(width):
        for cells in grid:
            if column < len(cells) and id(cells[column]._tc) not in seen:
                seen.add(id(cells[column]._tc))
                yield from _cell_lines(cells[column])


def _task_table_lines(rows, header):
    """A task table: "STT | Nội dung | Thời gian | Chủ trì | Phối hợp" -> the lines of a typed plan."""
    roles = []
    for title in header:
        label = next((lab for pattern, lab in _COLUMN_LABELS if pattern.search(title)), None)
        if label:
            roles.append(("label", label))
        elif _NUMBER_HEADER.match(title):
            roles.append(("number", None))
        elif _CONTENT_HEADER.search(title):
            roles.append(("content", None))
        else:
            roles.append(("content", None))
    for cells in rows[1:]:
        number, content, labelled = "", [], []
        for (role, label), cell in zip(roles, cells):
            lines = [line for line in _cell_lines(cell) if line.strip()]
            if role == "number":
                number = clean(" ".join(lines))
            elif role == "content":
                content.extend(lines)
            elif lines:
                labelled.append(f"{label}: {'; '.join(clean(x) for x in lines)}")
        if number and content:
            separator = "" if number.endswith((".", ")")) else "."
            content[0] = f"{number}{separator} {content[0].strip()}"
        elif number:
            content = [number]
        yield from content
        yield from labelled
