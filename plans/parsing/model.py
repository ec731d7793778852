"""The parsed plan as plain dataclasses: what the parser hands to whoever saves it.

Nothing here touches the database. ``ParsedPlan.to_json()`` gives the shape of issue 3 ("Import real
documents") plus extra keys; the extra keys never change the meaning of the issue's keys.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from plans.parsing.parties import ParsedParty
from plans.parsing.timeframes import Timeframe


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


@dataclass
class LegalBasis:
    """One document cited in the preamble ("Thực hiện Chỉ thị số 18-CT/TW ngày 26/10/2022 ...")."""

    text: str  # as written, without the leading verb ("Thực hiện", "Căn cứ")
    doc_kind: str | None = None  # "Chỉ thị", "Kế hoạch", ...
    reference: str | None = None  # number and symbol, spaces removed: "18-CT/TW"
    date: date | None = None
    issuer: str | None = None  # "Ban Bí thư Trung ương Đảng"

    def to_json(self) -> dict:
        return {
            "text": self.text,
            "doc_kind": self.doc_kind,
            "reference": self.reference,
            "date": _iso(self.date),
            "issuer": self.issuer,
        }


@dataclass
class ParsedGroup:
    """A numbered subdivision of a section ("II.2"), with the text no task or responsibility took."""

    number: str  # "II.2"
    title: str
    text: str = ""
    line: int | None = None

    def to_json(self) -> dict:
        return {"number": self.number, "title": self.title, "text": self.text, "line": self.line}


@dataclass
class ParsedSection:
    number: str  # Roman numeral, "" for a plan without section headings
    title: str
    role: str = "other"  # purpose | content | implementation | funding | other
    text: str = ""  # the section's own text before its first numbered group
    groups: list[ParsedGroup] = field(default_factory=list)
    line: int | None = None

    def to_json(self) -> dict:
        return {
            "number": self.number,
            "title": self.title,
            "role": self.role,
            "text": self.text,
            "groups": [g.to_json() for g in self.groups],
            "line": self.line,
        }


@dataclass
class ParsedTask:
    """One attributed unit of work.

    ``number`` is not unique: seed 2.1 gives two tasks "2.1" (``bullet`` 1 and 2), and a number
    repeated by mistake gives two tasks too; ``key`` is unique within the plan ("2.1", "2.1/2",
    "2.3~2") and stable for the same text, so derivation can link on it.
    """

    number: str
    section: str  # "II.2"; the Roman numeral alone when the task is not inside a group
    text: str
    key: str = ""
    bullet: int = 0  # 0 = the whole numbered item; 1, 2, ... = its bullets that carry own attributes
    heading: str | None = None  # the numbered item's own text when ``text`` is one of its bullets
    parent: str | None = None  # number of the enclosing numbered item ("1.1" for "1.1.2"), if any
    timeframe: Timeframe | None = None
    leads: list[str] = field(default_factory=list)
    coordinators: list[str] = field(default_factory=list)
    lead_parties: list[ParsedParty] = field(default_factory=list)
    coordinator_parties: list[ParsedParty] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    output: str | None = None  # "Kết quả:" / "Sản phẩm:"
    extra_attributes: dict[str, str] = field(default_factory=dict)  # e.g. {"funding": "..."}
    notes: list[str] = field(default_factory=list)  # free lines kept on the task (also in unrecognized)
    shares_attributes_with: list[str] = field(default_factory=list)  # keys of tasks sharing one block
    attributed: bool = False
    line: int | None = None

    def to_json(self) -> dict:
        return {
            "number": self.number,
            "section": self.section,
            "text": self.text,
            "timeframe": self.timeframe.to_json() if self.timeframe else None,
            "leads": list(self.leads),
            "coordinators": list(self.coordinators),
            "steps": list(self.steps),
            "key": self.key,
            "bullet": self.bullet,
            "heading": self.heading,
            "parent": self.parent,
            "output": self.output,
            "extra_attributes": dict(self.extra_attributes),
            "notes": list(self.notes),
            "lead_parties": [p.to_json() for p in self.lead_parties],
            "coordinator_parties": [p.to_json() for p in self.coordinator_parties],
            "shares_attributes_with": list(self.shares_attributes_with),
            "attributed": self.attributed,
            "line": self.line,
        }


@dataclass
class Responsibility:
    """Section III: one kind of party and what it does."""

    party: str
    text: str
    number: str = ""  # "III.1"
    parties: list[ParsedParty] = field(default_factory=list)
    line: int | None = None

    def to_json(self) -> dict:
        return {
            "party": self.party,
            "text": self.text,
            "number": self.number,
            "parties": [p.to_json() for p in self.parties],
            "line": self.line,
        }


@dataclass
class Recipient:
    text: str  # as written, without the list dash and the trailing ";" or "."
    for_report: bool = False  # "(b/c)": sent for report
    archive: bool = False  # "Lưu: VT, ..." (filed)

    def to_json(self) -> dict:
        return {"text": self.text, "for_report": self.for_report, "archive": self.archive}


@dataclass
class Signer:
    on_behalf: str | None = None  # "TM. BAN THƯỜNG TRỰC", "KT. CHỦ TỊCH"
    title: str | None = None  # "CHỦ TỊCH"
    name: str | None = None  # "Lò Văn Mừng"
    signature_mark: str | None = None  # "(Đã ký)": a mark, never a name

    def to_json(self) -> dict:
        return {
            "on_behalf": self.on_behalf,
            "title": self.title,
            "name": self.name,
            "signature_mark": self.signature_mark,
        }


@dataclass
class UnrecognizedLine:
    text: str
    line: int | None
    attached_to: str  # "task 5", "header", "signer", ...

    def to_json(self) -> dict:
        return {"text": self.text, "line": self.line, "attached_to": self.attached_to}


@dataclass
class ParsedPlan:
    title: str | None = None
    kind: str | None = None  # "KH", "HD", "BC", "QĐ", "TB", ...
    kind_name: str | None = None  # the kind line as written: "KẾ HOẠCH"
    issuer_lines: list[str] = field(default_factory=list)
    number: str | None = None  # "16/KH-MTTQ-BTT" as written in "Số:"
    serial: str | None = None  # "16"
    symbol: str | None = None  # "KH-MTTQ-BTT"
    place: str | None = None
    date: date | None = None
    date_text: str | None = None  # "Điện Biên, ngày 05 tháng 6 năm 2023"
    national_name: str | None = None
    motto: str | None = None
    legal_bases: list[LegalBasis] = field(default_factory=list)
    preamble: str = ""
    enacting_clause: str | None = None  # "..., Ban Thường trực ... ban hành Kế hoạch ... như sau:"
    directive_year: int | None = None
    sections: list[ParsedSection] = field(default_factory=list)
    tasks: list[ParsedTask] = field(default_factory=list)
    responsibilities: list[Responsibility] = field(default_factory=list)
    closing: str = ""  # "Trên đây là Kế hoạch ... ./."
    recipients: list[Recipient] = field(default_factory=list)
    signer: Signer = field(default_factory=Signer)
    unrecognized: list[UnrecognizedLine] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    ignored_lines: list[int] = field(default_factory=list)  # decoration such as "-------"
    coverage: dict[int, str] = field(default_factory=dict)  # source line -> element that kept it
    source: dict = field(default_factory=dict)  # {"name", "format", "encoding"}

    @property
    def issuer(self) -> str | None:
        """The issuing body as written, one header line per text line."""
        return "\n".join(self.issuer_lines) or None

    def to_json(self) -> dict:
        return {
            "title": self.title,
            "issuer": self.issuer,
            "number": self.number,
            "date": _iso(self.date),
            "legal_bases": [b.text for b in self.legal_bases],
            "sections": [s.to_json() for s in self.sections],
            "tasks": [t.to_json() for t in self.tasks],
            "responsibilities": [r.to_json() for r in self.responsibilities],
            "recipients": [r.text for r in self.recipients],
            "signer": {"on_behalf": self.signer.on_behalf, "title": self.signer.title, "name": self.signer.name},
            "unrecognized": [u.text for u in self.unrecognized],
            # Extra keys.
            "kind": self.kind,
            "kind_name": self.kind_name,
            "issuer_lines": list(self.issuer_lines),
            "serial": self.serial,
            "symbol": self.symbol,
            "place": self.place,
            "date_text": self.date_text,
            "national_name": self.national_name,
            "motto": self.motto,
            "legal_basis_refs": [b.to_json() for b in self.legal_bases],
            "preamble": self.preamble,
            "enacting_clause": self.enacting_clause,
            "directive_year": self.directive_year,
            "closing": self.closing,
            "recipient_details": [r.to_json() for r in self.recipients],
            "signature_mark": self.signer.signature_mark,
            "unrecognized_details": [u.to_json() for u in self.unrecognized],
            "warnings": list(self.warnings),
            "source": dict(self.source),
        }
