"""Import a real plan document (.txt or .docx) into the database.

The parser (``plans.parsing``) is pure Python: it turns the file into a ``ParsedPlan``. This module
checks the file, runs the parser and saves its result as one draft ``PlanDocument`` with its legal
bases, sections, tasks, parties and responsibilities, in one transaction: a file that fails half
way leaves nothing behind and touches nothing already saved.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from mttq_platform.audit import bulk_create_audited
from orgtree.models import Level, OrgUnit, UnitKind
from plans.models import (
    DocumentKind, DocumentStatus, LegalBasis, OutsideBody, PartyKind, PartyRole, PlanDocument, Responsibility,
    Section, Task, TaskParty,
)
from plans.models.base import PUBLISHED_STATUSES
from plans.parsing import reader
from plans.parsing.model import ParsedPlan, ParsedTask
from plans.parsing.parties import ParsedParty, parse_parties
from plans.parsing.structure import parse_plan
from plans.parsing.text import clean
from reviews.services import evidence
from reviews.services.errors import ReviewError

MAX_FILE_SIZE = 5 * 1024 * 1024  # a long real plan is about 100 KB as .docx; 5 MB leaves room for images
ACCEPTED_SUFFIXES = (".txt", ".docx")


class PlanImportError(Exception):
    """The file cannot be imported. ``str()`` is the message in the active language; ``detail`` is
    what the reader or parser said (Vietnamese), for the person who has to fix the file."""

    def __init__(self, message, detail: str = ""):
        super().__init__(message)
        self.message = message
        self.detail = detail

    def __str__(self):
        text = str(self.message)
        return f"{text} {self.detail}".strip() if self.detail else text

    @property
    def vietnamese(self) -> str:
        with translation.override("vi"):
            return str(self)

    @property
    def english(self) -> str:
        with translation.override("en"):
            return str(self.message)

    @property
    def bilingual(self) -> str:
        """For the command line, where the reader of the message may be either."""
        return f"{self.vietnamese}\n({self.english})"


# -- reading ----------------------------------------------------------------------------------------
@dataclass
class PlanFile:
    name: str
    data: bytes
    format: str  # "txt" | "docx"


def read_plan_file(source: str | Path | BinaryIO, filename: str | None = None) -> PlanFile:
    """Read a path or an open file (an upload) and check by its content that it can be a plan:
    a .docx must be a zip holding word/document.xml, a .txt must be text."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise PlanImportError(_("Không đọc được tệp."), exc.strerror or "") from exc
        name = filename or path.name
    else:
        data = source.read()
        name = filename or Path(getattr(source, "name", "") or "").name
    return PlanFile(name=name, data=data, format=check_plan_content(name, data))


def check_plan_content(name: str, data: bytes) -> str:
    """"docx" or "txt", decided by the content; PlanImportError when it is neither."""
    suffix = Path(name).suffix.lower()
    if suffix not in ACCEPTED_SUFFIXES:
        raise PlanImportError(_("Chỉ nhận tệp .txt hoặc .docx."))
    if len(data) > MAX_FILE_SIZE:
        raise PlanImportError(_("Tệp quá lớn (tối đa 5 MB)."))
    if not data.strip():
        raise PlanImportError(_("Tệp rỗng."))
    if suffix == ".docx":
        # The evidence uploads' check (reviews.services.evidence): the archive's directory is read
        # without inflating anything, so a zip bomb or a file with macros is refused before the parser.
        try:
            kind = evidence.sniff_kind(io.BytesIO(data))
        except ReviewError as refusal:
            raise PlanImportError(_ARCHIVE_REFUSALS.get(refusal.code, _ARCHIVE_REFUSALS["zip_bomb"])) from refusal
        if kind != "docx":
            raise PlanImportError(_("Tệp .docx không hợp lệ: không phải tệp Word (.docx)."))
        return "docx"
    try:
        text, _encoding = reader.decode_text(data)
    except reader.PlanReadError as exc:
        raise PlanImportError(_("Tệp .txt không phải văn bản đọc được."), str(exc)) from exc
    if _CONTROL_CHARACTERS.search(text):
        # Bytes that happen to decode (UTF-16 accepts almost anything) but are no text anyone wrote.
        raise PlanImportError(_("Tệp .txt không phải văn bản đọc được."))
    return "txt"


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_ARCHIVE_REFUSALS = {
    "zip_bomb": _("Tệp .docx giải nén ra quá lớn, không nhận."),
    "macro": _("Tệp .docx có chứa macro, không nhận. Hãy lưu lại thành tệp không có macro."),
}


def parse_plan_file(plan_file: PlanFile) -> ParsedPlan:
    """Run the parser; a file it cannot read, or that holds no plan, is a PlanImportError."""
    try:
        parsed = parse_plan(plan_file.data, filename=plan_file.name)
    except reader.PlanReadError as exc:
        raise PlanImportError(_("Không đọc được tệp."), str(exc)) from exc
    if not parsed.sections and not parsed.tasks:
        raise PlanImportError(_("Tệp không phải một kế hoạch: không tìm thấy mục hay nhiệm vụ nào."))
    return parsed


def import_plan_file(source, unit: OrgUnit, *, actor=None, source_name: str = "") -> PlanDocument:
    plan_file = read_plan_file(source)
    parsed = parse_plan_file(plan_file)
    return save_parsed_plan(parsed, unit, actor=actor, source_name=source_name or plan_file.name)


# -- saving -----------------------------------------------------------------------------------------
def split_number(written: str | None) -> tuple[str, str]:
    """"15/KH-MTTQ-BTT" -> ("15", "KH-MTTQ-BTT"); "95-KH/TU" -> ("95-KH", "TU"). Split at the first
    "/", so that ``PlanDocument.number_symbol`` writes the number back exactly as it was."""
    written = re.sub(r"\s+", "", written or "")
    number, _, symbol = written.partition("/")
    return number, symbol


@transaction.atomic
def save_parsed_plan(parsed: ParsedPlan, unit: OrgUnit, *, actor=None, source_name: str = "") -> PlanDocument:
    """Save ``parsed`` as a draft plan of ``unit``, everything or nothing."""
    serial, symbol = (parsed.serial or "", parsed.symbol or "") if parsed.serial else split_number(parsed.number)
    document = PlanDocument.objects.create(
        unit=unit,
        kind=parsed.kind if parsed.kind in DocumentKind.values else DocumentKind.PLAN,
        number=serial[:20],
        symbol=symbol[:60],
        issuer_text=parsed.issuer or "",
        place=(parsed.place or "")[:100],
        date=parsed.date,
        title=parsed.title or "",
        preamble=_preamble(parsed),
        closing=parsed.closing or "",
        status=DocumentStatus.DRAFT,
        signer_on_behalf=(parsed.signer.on_behalf or "")[:100],
        signer_title=(parsed.signer.title or "")[:100],
        signer_name=(parsed.signer.name or "")[:100],
        recipients=[r.text for r in parsed.recipients],
        unrecognized=[u.to_json() for u in parsed.unrecognized],
        directive_year=parsed.directive_year,
        source_name=source_name[:255],
        created_by=actor,
    )
    _save_legal_bases(document, parsed)
    sections = _save_sections(document, parsed)
    _save_tasks(document, parsed.tasks, sections)
    bulk_create_audited(Responsibility, [
        Responsibility(document=document, order=i, number=item.number[:10], party=item.party, text=item.text)
        for i, item in enumerate(parsed.responsibilities)
    ])
    return document


def _preamble(parsed: ParsedPlan) -> str:
    preamble = parsed.preamble or ""
    clause = parsed.enacting_clause or ""
    return preamble if clause in preamble else clean(f"{preamble} {clause}")


def _save_legal_bases(document: PlanDocument, parsed: ParsedPlan) -> None:
    # The documents of the units above that a citation may name, in one query; a draft above is
    # not citable (it is not visible below either).
    ancestors = document.unit.get_ancestors()
    citable = {
        (number, symbol.upper()): pk
        for pk, number, symbol in PlanDocument.objects.filter(unit__in=ancestors, status__in=PUBLISHED_STATUSES)
        .values_list("pk", "number", "symbol")
    }
    rows = []
    for i, basis in enumerate(parsed.legal_bases):
        number, symbol = split_number(basis.reference)
        referenced = citable.get((number, symbol.upper())) if basis.reference else None
        rows.append(LegalBasis(
            document=document, order=i, text=basis.text, reference=(basis.reference or "")[:60],
            reference_date=basis.date, referenced_document_id=referenced,
        ))
        if referenced and document.parent_plan_id is None:
            # The plan of the unit above that this one carries out: what derivation links to.
            document.parent_plan_id = referenced
    bulk_create_audited(LegalBasis, rows)
    if document.parent_plan_id:
        document.save(update_fields=["parent_plan"])


def _save_sections(document: PlanDocument, parsed: ParsedPlan) -> dict[str, Section]:
    """Sections ("II") and their numbered groups ("II.2"), keyed by number, in written order."""
    tops, groups, order = [], [], 0
    for parsed_section in parsed.sections:
        top = Section(document=document, number=parsed_section.number, title=parsed_section.title,
                      text=parsed_section.text, order=order)
        tops.append(top)
        order += 1
        for group in parsed_section.groups:
            groups.append(Section(document=document, parent=top, number=group.number, title=group.title,
                                  text=group.text, order=order))
            order += 1
    bulk_create_audited(Section, tops)
    for group in groups:
        group.parent_id = group.parent.pk  # the parent's key exists only now
    bulk_create_audited(Section, groups)
    return {section.number: section for section in tops + groups}


def _save_tasks(document: PlanDocument, parsed_tasks: list[ParsedTask], sections: dict[str, Section]) -> None:
    tasks = [
        Task(
            document=document,
            section=sections.get(parsed.section) or sections.get(parsed.section.split(".")[0]),
            number=parsed.number[:20],
            bullet=parsed.bullet,
            heading=parsed.heading or "",
            order=i,
            text=parsed.text,
            steps=list(parsed.steps),
            output=parsed.output or "",
            notes="\n".join([*parsed.notes, *(f"{key}: {value}" for key, value in parsed.extra_attributes.items())]),
            timeframe_text=parsed.timeframe.text if parsed.timeframe else "",
            timeframe=parsed.timeframe.to_json() if parsed.timeframe else {},
        )
        for i, parsed in enumerate(parsed_tasks)
    ]
    bulk_create_audited(Task, tasks)
    resolver = _PartyResolver(document.unit)
    parties = []
    for task, parsed in zip(tasks, parsed_tasks):
        for role, written_list in ((PartyRole.LEAD, parsed.leads), (PartyRole.COORDINATOR, parsed.coordinators)):
            order = 0
            for group, written in enumerate(written_list):
                # parse_parties on one written item gives its parties ("HĐND, UBND cùng cấp" -> two),
                # exactly the parser's lead_parties / coordinator_parties, with the item kept as a group.
                for party in parse_parties(written):
                    parties.append(resolver.task_party(task, role, order, group, party))
                    order += 1
    bulk_create_audited(TaskParty, parties)


class _PartyResolver:
    """Turns a classified party into a TaskParty: levels by code, outside bodies by name (created
    once), a named Front unit when exactly one unit of this tree carries that place name."""

    def __init__(self, unit: OrgUnit):
        self.unit = unit
        self.levels = {level.code: level for level in Level.objects.all()}
        self.bodies: dict[str, OutsideBody] = {}

    def task_party(self, task: Task, role: str, order: int, group: int, party: ParsedParty) -> TaskParty:
        kind = party.kind if party.kind in PartyKind.values else PartyKind.BODY
        return TaskParty(
            task=task, document=task.document, role=role, order=order, group=group, text=party.text,
            kind=kind,
            relative_code=(party.code or "")[:40] if kind != PartyKind.BODY else "",
            scope=(party.scope or "")[:20],
            level_limit=self.levels.get(party.level_limit or ""),
            unit=self.named_unit(party) if kind == PartyKind.UNIT else None,
            body=self.body(party.name or party.text) if kind == PartyKind.BODY else None,
        )

    def body(self, name: str) -> OutsideBody:
        return outside_body(name, self.bodies)

    def named_unit(self, party: ParsedParty) -> OrgUnit | None:
        if not party.place:
            return None
        matches = list(
            OrgUnit.objects.filter(
                tree_id=self.unit.tree_id, area_name__iendswith=party.place,
                kind__category=UnitKind.Category.FRONT_COMMITTEE,
            )[:2]
        )
        return matches[0] if len(matches) == 1 else None


def normalize_body_name(name: str) -> str:
    return clean(name).strip(" .;,")[:255]


# -- the import report --------------------------------------------------------------------------------
def import_report(parsed: ParsedPlan) -> list[str]:
    """What the import found, for the command line: counts, then every unrecognized line."""
    groups = sum(len(section.groups) for section in parsed.sections)
    lines = [
        f"{_('Trích yếu')}: {parsed.title or '—'}",
        f"{_('Số, ký hiệu')}: {parsed.number or '—'}   {_('Ngày')}: {parsed.date.isoformat() if parsed.date else '—'}",
        f"{_('Mục')}: {len(parsed.sections)}   {_('Nhóm')}: {groups}   {_('Nhiệm vụ')}: {len(parsed.tasks)}",
        f"{_('Căn cứ')}: {len(parsed.legal_bases)}   {_('Trách nhiệm thực hiện')}: {len(parsed.responsibilities)}   "
        f"{_('Nơi nhận')}: {len(parsed.recipients)}",
        f"{_('Người ký')}: {' / '.join(x for x in (parsed.signer.on_behalf, parsed.signer.title, parsed.signer.name) if x) or '—'}",
        f"{_('Dòng chưa nhận dạng')}: {len(parsed.unrecognized)}",
    ]
    for item in parsed.unrecognized:
        where = f"{item.line}: " if item.line else ""
        lines.append(f"  {where}{item.text}  [{item.attached_to}]")
    return lines


def outside_body(name: str, found: dict) -> OutsideBody:
    """The outside body named ``name`` (made on first sight), remembered in ``found`` for the rest
    of one import. "Sở Tài Chính" and "Sở Tài chính" are one body: matched without regard to case."""
    name = normalize_body_name(name)
    key = name.casefold()
    if key not in found:
        found[key] = OutsideBody.objects.filter(name__iexact=name).first() or OutsideBody.objects.create(name=name)
    return found[key]
