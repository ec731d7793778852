"""The plan parser: lines of a plan document -> ``ParsedPlan``.

A plan (Decree 30/2020/NĐ-CP) is read in zones, top to bottom:

1. **Header** (before the kind line): issuer lines, national name and motto, "Số: 16/KH-MTTQ-BTT",
   "Điện Biên, ngày 05 tháng 6 năm 2023". Two layout columns flattened into one text line (a tab or
   3+ spaces between them) are split back into their parts.
2. **Kind and title**: "KẾ HOẠCH" and the trích yếu lines that follow, until the preamble.
3. **Preamble** (until the first "I."): kept whole; the legal bases are the cited documents in it,
   each with its number/symbol and date; the enacting clause ("..., Ban Thường trực ... ban hành Kế
   hoạch ... như sau:") is set apart.
4. **Body**: Roman sections; inside them numbered items ("1.", "1.1." with or without the trailing
   dot, "1.1.1.", "a)"), bullets, paragraphs and attribute lines ("Thời gian thực hiện:", "Cơ quan
   chủ trì:", ...). They are first built into a tree, then read by role: content sections give tasks,
   section III ("TỔ CHỨC THỰC HIỆN") gives responsibilities, other sections keep their text.
5. **Closing** ("Trên đây là Kế hoạch ... ./."), **recipients** ("Nơi nhận:") and **signer**.

How a content item becomes tasks (the cases of the seed and of other provinces' plans):
- a numbered item followed by one attribute block is one task; its paragraphs are its text and its
  bullets its ``steps`` (seed 4.1, 4.2; and group 5, which has no numbered tasks, is task "5");
- an item with several attribute blocks is split: each bullet (or paragraph) that carries its own
  block is a task of the same number with ``bullet`` = 1, 2, ... (seed 2.1);
- consecutive items without attributes followed by an item with one block share that block (seed
  1.1 and 1.2 share "Thường xuyên");
- lines after an item's last attribute block that start no new item are free text: kept as the
  task's ``notes`` and listed in ``unrecognized`` (seed: "Các cấp Mặt trận trên cơ sở kế hoạch ..."
  after group 5).

Nothing is dropped: every non-blank line is owned by exactly one element (``ParsedPlan.coverage``
maps line numbers to owners); lines nothing understood are listed in ``unrecognized`` with the
element they were kept on. Decorative rules ("-----") are listed in ``ignored_lines``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import BinaryIO, Iterable

from plans.parsing.model import (
    LegalBasis,
    ParsedGroup,
    ParsedPlan,
    ParsedSection,
    ParsedTask,
    Recipient,
    Responsibility,
    UnrecognizedLine,
)
from plans.parsing.parties import classify_party, parse_parties, split_parties
from plans.parsing.reader import read_document, split_lines
from plans.parsing.text import COLUMN_GAP, clean, is_upper_line, split_top_level, strip_list_punct, top_level_positions
from plans.parsing.timeframes import DEFAULT_DIRECTIVE_YEAR, parse_timeframe

_I = re.IGNORECASE

# --- line patterns ---------------------------------------------------------------------------

_KIND_CODES = {
    "KẾ HOẠCH": "KH", "HƯỚNG DẪN": "HD", "BÁO CÁO": "BC", "QUYẾT ĐỊNH": "QĐ", "THÔNG BÁO": "TB",
    "CHƯƠNG TRÌNH": "CTr", "THÔNG TRI": "TT", "CÔNG VĂN": "CV", "NGHỊ QUYẾT": "NQ", "QUY CHẾ": "QC",
}
_KIND_LINE = re.compile(rf"^(?P<kind>{'|'.join(_KIND_CODES)})(?:\s+(?:LIÊN TỊCH|LIÊN NGÀNH|PHỐI HỢP))?$")
_SYMBOL_KIND = {code.upper(): code for code in _KIND_CODES.values()} | {"QD": "QĐ", "CT": "CT"}
_NATIONAL = re.compile(r"^(?:CỘNG HÒA|CỘNG HOÀ) XÃ HỘI CHỦ NGHĨA VIỆT NAM$|^ĐẢNG CỘNG SẢN VIỆT NAM$", _I)
_MOTTO = re.compile(r"^Độc lập\s*[-–—]\s*Tự do\s*[-–—]\s*Hạnh phúc\.?$", _I)
_NUMBER = re.compile(r"^Số\s*:?\s*(?P<serial>\d*)\s*[.…]*\s*(?P<sep>[/-])\s*(?P<symbol>[^\s]+)$", _I)
_PLACE_DATE = re.compile(
    r"^(?P<place>[^,\d]{2,60}),\s*ngày\s*(?P<d>\d{1,2})?[\s.…]*tháng\s*(?P<m>\d{1,2})?[\s.…]*năm\s*(?P<y>\d{4})\.?$", _I
)
_SEPARATOR = re.compile(r"^[\s\-–—_=*~.·•oO0]{3,}$")
_ISSUER_WORDS = re.compile(r"ủy ban|uỷ ban|\bban\b|mttq|mặt trận|đảng bộ|tỉnh ủy|huyện ủy|hội|liên đoàn|đoàn", _I)

_SECTION = re.compile(r"^(?:PHẦN\s+|Phần\s+|MỤC\s+)?(?P<num>[IVX]{1,5})\s*[.):\-–]\s*(?P<title>\S.*)$")
_ROMAN_VALID = re.compile(r"^(?:X{0,3})(?:IX|IV|V?I{0,3})$")
_TASK = re.compile(r"^(?P<num>\d{1,2}(?:\.\d{1,2}(?!\d))+)\s*[.):]?(?:\s+|$)(?P<text>.*)$")
_GROUP = re.compile(r"^(?P<num>\d{1,2})\s*[.)]\s*(?P<text>\S.*)?$")
_LETTER = re.compile(r"^(?P<num>[a-zđ])\s*[).]\s+(?P<text>\S.*)$")
_BULLET = re.compile(r"^(?P<mark>[-–—+*•·●○▪►✓])\s*(?P<text>.*)$")

_LABELS = {
    "timeframe": r"thời\s+gian(?:\s+(?:thực\s+hiện|hoàn\s+thành|triển\s+khai|tổ\s+chức))?|thời\s+hạn(?:\s+hoàn\s+thành)?"
                 r"|tiến\s+độ(?:\s+thực\s+hiện)?",
    "lead": r"(?:cơ\s+quan|đơn\s+vị|bộ\s+phận)?\s*chủ\s+trì(?:\s+thực\s+hiện)?",
    "coordinators": r"(?:cơ\s+quan|đơn\s+vị|bộ\s+phận)?\s*phối\s+hợp(?:\s+thực\s+hiện)?",
    "output": r"kết\s+quả(?:\s+đầu\s+ra|\s+cần\s+đạt)?|sản\s+phẩm(?:\s+đầu\s+ra)?",
    "funding": r"kinh\s+phí(?:\s+thực\s+hiện)?",
}
_CORE_LABELS = {"timeframe", "lead", "coordinators"}
_LABEL_ALTERNATION = "|".join(f"(?P<{name}>{pattern})" for name, pattern in _LABELS.items())
_ATTRIBUTE = re.compile(rf"^(?:[-–—+*•]\s*)?(?:{_LABEL_ALTERNATION})\s*:\s*(?P<value>.*)$", _I)
_INLINE_ATTRIBUTE = re.compile(rf"(?<=[.;])\s+(?:{_LABEL_ALTERNATION})\s*:", _I)

_RECIPIENTS = re.compile(r"^Nơi\s+nhận\s*:?\s*(?P<rest>.*)$", _I)
_ON_BEHALF = re.compile(r"^(?:TM|KT|TL|TUQ|Q)\s*\.\s*\S")
_SIGN_MARK = re.compile(r"^[(\[].*(?:ký|đóng dấu|chữ ký).*[)\]]$", _I)
_SIGNER_TITLE = re.compile(r"^(?:PHÓ\s+)?(?:CHỦ TỊCH|TRƯỞNG BAN|BÍ THƯ|GIÁM ĐỐC|CHÁNH VĂN PHÒNG|ỦY VIÊN|THƯỜNG TRỰC)")
_CLOSING = re.compile(r"^Trên\s+đây\s+là\b", _I)
_END_MARK = re.compile(r"\./\.\s*$")

_PREAMBLE_START = re.compile(r"^(?:Căn cứ|Thực hiện|Thi hành|Theo|Nhằm|Để|Trên cơ sở|Được sự|Qua|Xét)\b")
_SECTION_ROLES = [  # checked in order on the section title
    (re.compile(r"tổ chức thực hiện|trách nhiệm|phân công", _I), "implementation"),
    (re.compile(r"nội dung|nhiệm vụ|giải pháp|hoạt động|chương trình", _I), "content"),
    (re.compile(r"mục đích|yêu cầu|mục tiêu", _I), "purpose"),
    (re.compile(r"kinh phí", _I), "funding"),
]

_BASIS_VERB = re.compile(r"^(?:[-+*•]\s*)?(?:căn cứ(?:\s+vào)?|thực hiện|thi hành|triển khai|theo|trên cơ sở)\s+", _I)
_DOC_KIND = re.compile(
    r"^(?P<kind>Nghị quyết liên tịch|Thông tư liên tịch|Chỉ thị|Kế hoạch|Nghị quyết|Quyết định|Hướng dẫn|Thông tri"
    r"|Kết luận|Luật|Hiến pháp|Nghị định|Thông tư|Công văn|Quy định|Quy chế|Chương trình|Thông báo|Văn bản|Đề án"
    r"|Điều lệ)\b",
    _I,
)
_REFERENCE = re.compile(r"\bsố\s*:?\s*(?P<ref>\d+(?:\s?[-/.]\s?\w+)*)", _I)
_DATE = re.compile(
    r"\bngày\s+(?:(?P<d>\d{1,2})\s*[/.-]\s*(?P<m>\d{1,2})\s*[/.-]\s*(?P<y>\d{4})"
    r"|(?P<d2>\d{1,2})\s+tháng\s+(?P<m2>\d{1,2})\s+năm\s+(?P<y2>\d{4}))",
    _I,
)
_ISSUED_BY = re.compile(r"^\s*của\s+(?P<issuer>.+?)(?=\s+(?:về|quy định|hướng dẫn|triển khai|thực hiện)\b|\s*[(,;]|$)", _I)
_ENACTING = re.compile(
    r",\s*(?=(?:Ban Thường trực|Thường trực|Ủy ban|Uỷ ban|BTT|UBMTTQ|Mặt trận|Ban)\b[^,;]*?\b(?:ban hành|xây dựng|triển khai)\b)"
)
_ENACTING_ALONE = re.compile(r"^(?:Ban Thường trực|Thường trực|Ủy ban|Uỷ ban|BTT|UBMTTQ|Mặt trận)\b.*\bban hành\b", _I)


# --- intermediate tree -----------------------------------------------------------------------

@dataclass
class _Line:
    no: int
    raw: str
    text: str


@dataclass
class _Item:
    kind: str  # "para" | "bullet" | "attrs"
    text: str
    lines: list[int]
    attrs: dict[str, str] = field(default_factory=dict)  # for "attrs"
    written: list[str] = field(default_factory=list)  # attribute lines as written
    awaiting: str | None = None  # an attribute whose value is on the next lines

    def render(self) -> str:
        if self.kind == "attrs":
            return "\n".join(self.written)
        return f"- {self.text}" if self.kind == "bullet" else self.text


@dataclass
class _Node:
    number: str  # full number: "II", "1", "1.1", "1.a"
    heading: str
    depth: int  # 0 section, 1 "1.", 2 "1.1", ...
    line: int | None
    letter: bool = False
    items: list[_Item] = field(default_factory=list)
    children: list["_Node"] = field(default_factory=list)
    parent: "_Node | None" = None

    @property
    def has_core_attributes(self) -> bool:
        return any(i.kind == "attrs" and _CORE_LABELS & i.attrs.keys() for i in self.items) or any(
            c.has_core_attributes for c in self.children
        )

    def render(self, with_heading: bool = True) -> list[str]:
        lines = [f"{self.number.rsplit('.', 1)[-1]}. {self.heading}".strip()] if with_heading else []
        lines += [item.render() for item in self.items]
        for child in self.children:
            lines += child.render()
        return lines

    def all_lines(self) -> list[int]:
        out = [self.line] if self.line else []
        for item in self.items:
            out += item.lines
        for child in self.children:
            out += child.all_lines()
        return out


# --- the parser ------------------------------------------------------------------------------

def parse_plan(source: str | Path | bytes | BinaryIO, filename: str | None = None,
               directive_year: int | None = None) -> ParsedPlan:
    """Read a .txt or .docx (path, bytes or open binary file) and parse it."""
    document = read_document(source, filename=filename)
    plan = parse_plan_lines(document.lines, directive_year=directive_year)
    plan.source = document.describe()
    return plan


def parse_plan_text(text: str, directive_year: int | None = None) -> ParsedPlan:
    return parse_plan_lines(split_lines(text), directive_year=directive_year)


def parse_plan_lines(lines: Iterable[str], directive_year: int | None = None) -> ParsedPlan:
    """Parse lines of text. ``directive_year`` overrides the year read from the legal bases
    (the milestones "sơ kết 3 năm" etc. count from it); without either, 2022."""
    return _PlanParser([_Line(i, raw, clean(raw)) for i, raw in enumerate(lines, 1)], directive_year).parse()


class _PlanParser:
    def __init__(self, lines: list[_Line], directive_year: int | None):
        self.lines = lines
        self.forced_directive_year = directive_year
        self.plan = ParsedPlan()

    # -- bookkeeping --
    def own(self, numbers: Iterable[int | None], owner: str):
        for number in numbers:
            if number:
                self.plan.coverage.setdefault(number, owner)

    def unrecognized(self, text: str, line: int | None, attached_to: str):
        self.plan.unrecognized.append(UnrecognizedLine(text, line, attached_to))
        self.own([line], f"unrecognized ({attached_to})")

    def warn(self, message: str):
        self.plan.warnings.append(message)

    # -- zones --
    def parse(self) -> ParsedPlan:
        content = [ln for ln in self.lines if ln.text]
        for ln in content:
            if _SEPARATOR.match(ln.text):
                self.plan.ignored_lines.append(ln.no)
                self.own([ln.no], "ignored (decoration)")
        content = [ln for ln in content if not _SEPARATOR.match(ln.text)]

        first_section = next((i for i, ln in enumerate(content) if self._section_match(ln.text)), None)
        kind_at = next(
            (i for i, ln in enumerate(content[:first_section]) if _KIND_LINE.match(ln.text)), None
        )
        if kind_at is None:
            self.warn("Không thấy dòng loại văn bản (KẾ HOẠCH, HƯỚNG DẪN, ...).")
            header_end = 0
            title_end = 0
        else:
            self._parse_header(content[:kind_at])
            kind_line = content[kind_at]
            self.plan.kind_name = kind_line.text
            self.plan.kind = self.plan.kind or _KIND_CODES[_KIND_LINE.match(kind_line.text)["kind"]]
            self.own([kind_line.no], "kind")
            header_end = kind_at + 1
            title_end = self._parse_title(content, header_end, first_section)
        if first_section is None:  # a plan without Roman sections: the body starts at the first "1."
            first_section = next(
                (i for i in range(title_end, len(content)) if _GROUP.match(content[i].text) or _TASK.match(content[i].text)),
                len(content),
            )
        self._parse_preamble(content[title_end:first_section])
        trailer_at = next(
            (i for i in range(first_section, len(content)) if self._trailer_start(content[i])), len(content)
        )
        body_end = self._closing_start(content, first_section, trailer_at)
        self._parse_body(content[first_section:body_end])
        closing = content[body_end:trailer_at]
        self.plan.closing = "\n".join(ln.text for ln in closing)
        self.own([ln.no for ln in closing], "closing")
        self._parse_trailer(content[trailer_at:])
        self._finish()
        return self.plan

    @staticmethod
    def _section_match(text: str):
        match = _SECTION.match(text)
        return match if match and _ROMAN_VALID.match(match["num"]) else None

    def _parse_header(self, lines: list[_Line]):
        plan = self.plan
        for ln in lines:
            for part in (clean(p) for p in COLUMN_GAP.split(ln.raw)):
                if not part:
                    continue
                if _SEPARATOR.match(part):
                    continue
                if _NATIONAL.match(part):
                    plan.national_name = part
                elif _MOTTO.match(part):
                    plan.motto = part
                elif match := _NUMBER.match(part):
                    plan.number = re.sub(r"^Số\s*:?\s*", "", part, flags=_I)
                    plan.serial = match["serial"] or None
                    plan.symbol = match["symbol"]
                    kind = re.split(r"[-/]", match["symbol"])[0].upper()
                    plan.kind = _SYMBOL_KIND.get(kind, plan.kind)
                elif match := _PLACE_DATE.match(part):
                    plan.place, plan.date_text = match["place"].strip(), part
                    if match["d"] and match["m"]:
                        try:
                            plan.date = date(int(match["y"]), int(match["m"]), int(match["d"]))
                        except ValueError:
                            self.warn(f"Ngày ban hành không hợp lệ: {part}")
                elif is_upper_line(part) or _ISSUER_WORDS.search(part) and not plan.number:
                    plan.issuer_lines.append(part)
                else:
                    self.unrecognized(part, ln.no, "header")
                    continue
            self.own([ln.no], "header")

    def _parse_title(self, content: list[_Line], start: int, stop: int | None) -> int:
        """Title lines after the kind line; returns the index where the preamble starts."""
        stop = len(content) if stop is None else stop
        title = []
        index = start
        while index < stop:
            text = content[index].text
            starts_preamble = title and (
                _PREAMBLE_START.match(text) or len(text) > 300 or text.rstrip().endswith(":")
            )
            if starts_preamble:
                break
            title.append(content[index])
            index += 1
        self.plan.title = clean(" ".join(ln.text for ln in title)) or None
        self.own([ln.no for ln in title], "title")
        if not title:
            self.warn("Không thấy trích yếu (tên kế hoạch).")
        return index

    def _parse_preamble(self, lines: list[_Line]):
        self.plan.preamble = "\n".join(ln.text for ln in lines)
        self.own([ln.no for ln in lines], "preamble")
        segments = []
        for ln in lines:
            segments += split_top_level(ln.text, ";")
        for position, segment in enumerate(segments):
            is_last = position == len(segments) - 1
            cut = top_level_positions(segment, _ENACTING)
            if cut:
                self.plan.enacting_clause = segment[cut[0].end():].strip()
                segment = segment[: cut[0].start()]
            elif is_last and _ENACTING_ALONE.match(segment):
                self.plan.enacting_clause = segment
                continue
            basis = self._legal_basis(segment)
            if basis:
                self.plan.legal_bases.append(basis)
        chi_thi = next((b for b in self.plan.legal_bases if b.doc_kind == "Chỉ thị" and b.date), None)
        self.plan.directive_year = self.forced_directive_year or (chi_thi.date.year if chi_thi else DEFAULT_DIRECTIVE_YEAR)

    @staticmethod
    def _legal_basis(segment: str) -> LegalBasis | None:
        text = strip_list_punct(_BASIS_VERB.sub("", segment.strip(), count=1)).strip()
        kind = _DOC_KIND.match(text)
        if not kind:
            return None
        reference = _REFERENCE.search(text)
        when = _DATE.search(text)
        day = None
        if when:
            d, m, y = (when["d"], when["m"], when["y"]) if when["d"] else (when["d2"], when["m2"], when["y2"])
            try:
                day = date(int(y), int(m), int(d))
            except ValueError:
                day = None
        after = max((x.end() for x in (reference, when) if x), default=kind.end())
        issued_by = _ISSUED_BY.match(text[after:])
        return LegalBasis(
            text=text,
            doc_kind=kind["kind"][:1].upper() + kind["kind"][1:],
            reference=re.sub(r"\s+", "", reference["ref"]) if reference else None,
            date=day,
            issuer=issued_by["issuer"].strip() if issued_by else None,
        )

    def _trailer_start(self, ln: _Line) -> bool:
        first = clean(COLUMN_GAP.split(ln.raw.strip())[0])
        return bool(_RECIPIENTS.match(first) or _ON_BEHALF.match(first))

    def _closing_start(self, content: list[_Line], start: int, stop: int) -> int:
        for i in range(start, stop):
            if _CLOSING.match(content[i].text):
                return i
            if _END_MARK.search(content[i].text):
                return i + 1
        return stop

    # -- body --
    def _parse_body(self, lines: list[_Line]):
        sections: list[_Node] = []
        stack: list[_Node] = []
        for ln in lines:
            text = ln.text
            if match := self._section_match(text):
                node = _Node(match["num"], match["title"].strip(), 0, ln.no)
                sections.append(node)
                stack = [node]
                continue
            if not stack:  # no Roman heading in the plan: one implicit content section
                stack = [_Node("", "", 0, None)]
                sections.append(stack[0])
            if self._attribute_line(stack[-1], ln):
                continue
            if match := _TASK.match(text):
                number, rest = match["num"], match["text"]
                self._push(stack, number, rest, number.count(".") + 1, ln)
            elif match := _GROUP.match(text):
                self._push(stack, match["num"], match["text"] or "", 1, ln)
            elif match := _LETTER.match(text):
                while stack[-1].letter:
                    stack.pop()
                parent = stack[-1]
                number = f"{parent.number}.{match['num']}" if parent.depth else match["num"]
                node = _Node(number, match["text"], parent.depth + 1, ln.no, letter=True, parent=parent)
                parent.children.append(node)
                stack.append(node)
            elif match := _BULLET.match(text):
                if match["text"].strip():
                    self._add_item(stack[-1], _Item("bullet", match["text"].strip(), [ln.no]))
                else:
                    self.plan.ignored_lines.append(ln.no)
                    self.own([ln.no], "ignored (empty bullet)")
            else:
                self._add_item(stack[-1], _Item("para", text, [ln.no]))
        for section in sections:
            self._read_section(section)

    def _push(self, stack: list[_Node], number: str, text: str, depth: int, ln: _Line):
        text = text.strip()
        repeated = re.match(rf"^{re.escape(number)}\s*[.):]?\s+", text)
        if repeated:  # "1.1. 1.1. Phối hợp ..." written twice by mistake
            self.warn(f"Dòng {ln.no}: số {number} viết lặp lại trên cùng dòng.")
            text = text[repeated.end():]
        while len(stack) > 1 and (stack[-1].depth >= depth or stack[-1].letter):
            stack.pop()
        parent = stack[-1]
        if parent.depth and depth > 1 and not number.startswith(parent.number.split(".")[0] + "."):
            self.warn(f"Dòng {ln.no}: mục {number} nằm trong mục {parent.number}.")
        node = _Node(number, text, depth, ln.no, parent=parent)
        parent.children.append(node)
        stack.append(node)

    def _add_item(self, node: _Node, item: _Item):
        last = node.items[-1] if node.items else None
        if last is not None and last.kind == "attrs" and last.awaiting:
            # "Cơ quan phối hợp:" with its value on the following lines.
            label = last.awaiting
            last.attrs[label] = "; ".join(x for x in (last.attrs[label], item.text) if x)
            last.lines += item.lines
            last.written.append(item.render())
            if item.kind == "para":
                last.awaiting = None
            return
        node.items.append(item)

    def _attribute_line(self, node: _Node, ln: _Line) -> bool:
        """Read "Label: value" (several labels may share a line); merge into the open block."""
        match = _ATTRIBUTE.match(ln.text)
        if not match:
            return False
        found = []  # (label, value)
        label = next(name for name in _LABELS if match.group(name) is not None)
        value = match["value"]
        while inline := _INLINE_ATTRIBUTE.search(value):
            found.append((label, value[: inline.start()]))
            label = next(name for name in _LABELS if inline.group(name) is not None)
            value = value[inline.end():]
        found.append((label, value))
        last = node.items[-1] if node.items else None
        if last is not None and last.kind == "attrs" and last.awaiting and not last.attrs[last.awaiting]:
            last.awaiting = None
        for label, value in found:
            value = value.strip()
            if last is None or last.kind != "attrs" or label in last.attrs:
                last = _Item("attrs", "", [])
                node.items.append(last)
            last.attrs[label] = value
            last.awaiting = None if value else label
        last.lines.append(ln.no)
        last.written.append(ln.text)
        return True

    # -- reading the tree --
    def _read_section(self, node: _Node):
        title = node.heading
        role = next((r for pattern, r in _SECTION_ROLES if pattern.search(title)), "other")
        if not node.number and not title:
            role = "content"
        section = ParsedSection(node.number, title, role, line=node.line)
        self.plan.sections.append(section)
        self.own([node.line], f"section {node.number}")
        owner = f"section {node.number}"
        if role == "implementation":
            self._read_responsibilities(node, section)
        elif role == "content" or node.has_core_attributes:
            section.role = "content" if role == "other" else role
            self._read_tasks(node, section)
        else:
            section.text = "\n".join(item.render() for item in node.items)
            self.own([n for item in node.items for n in item.lines], owner)
            for child in node.children:
                group = ParsedGroup(self._group_number(node, child), child.heading, "\n".join(child.render(False)), child.line)
                section.groups.append(group)
                self.own(child.all_lines(), f"group {group.number}")

    @staticmethod
    def _group_number(section: _Node, child: _Node) -> str:
        return f"{section.number}.{child.number}" if section.number else child.number

    def _read_responsibilities(self, node: _Node, section: ParsedSection):
        intro = node.items
        if not node.children:  # "- Ban Thường trực ...: chủ trì ..." written as bullets
            intro = []
            for item in node.items:
                party, _, text = item.text.partition(":")
                if item.kind == "bullet" and text and classify_party(party).recognized:
                    self._add_responsibility(section, party, [text.strip()], item.lines, len(self.plan.responsibilities) + 1)
                elif item.kind == "para" and self.plan.responsibilities and self.plan.responsibilities[-1].number.startswith(section.number):
                    last = self.plan.responsibilities[-1]
                    last.text = f"{last.text}\n{item.text}"
                    self.own(item.lines, f"responsibility {last.number}")
                else:
                    intro.append(item)
        section.text = "\n".join(item.render() for item in intro)
        self.own([n for item in intro for n in item.lines], f"section {node.number}")
        for child in node.children:
            party, colon, rest = child.heading.partition(":")
            lines = ([rest.strip()] if colon and rest.strip() else []) + child.render(False)
            self._add_responsibility(section, party, lines, child.all_lines(), child.number)

    def _add_responsibility(self, section: ParsedSection, party: str, lines: list[str], numbers: list[int], number):
        party = strip_list_punct(party.strip())
        full_number = f"{section.number}.{number}" if section.number else str(number)
        self.plan.responsibilities.append(
            Responsibility(party, "\n".join(lines), full_number, parse_parties(party), numbers[0] if numbers else None)
        )
        self.own(numbers, f"responsibility {full_number}")

    def _read_tasks(self, node: _Node, section: ParsedSection):
        if not node.children and any(item.kind == "attrs" for item in node.items):
            self._leaf_tasks(node, node.number, None)  # a section without numbered items is one task
            return
        section.text = "\n".join(item.render() for item in node.items)
        self.own([n for item in node.items for n in item.lines], f"section {node.number}")
        self._task_children(node, section, node.number)

    def _add_group(self, section: ParsedSection, number: str, node: _Node, with_text: bool) -> ParsedGroup:
        group = ParsedGroup(number, node.heading, line=node.line)
        section.groups.append(group)
        self.own([node.line], f"group {number}")
        if with_text:
            group.text = "\n".join(item.render() for item in node.items)
            self.own([n for item in node.items for n in item.lines], f"group {number}")
        return group

    def _task_children(self, node: _Node, section: ParsedSection, section_code: str):
        """Tasks of the children of ``node``, sharing one attribute block over a run of items.

        A child with sub-items is a group (its own lines are the group's text); a top-level child
        without attributes among attributed siblings is a group with text, not a task.
        """
        waiting: list[ParsedTask] = []  # consecutive tasks still without attributes
        for child in node.children:
            code = section_code
            if node.depth == 0:
                code = self._group_number(node, child)
            if child.children:
                waiting = []
                number = code if node.depth == 0 else f"{section.number}.{child.number}".lstrip(".")
                self._add_group(section, number, child, with_text=True)
                self._task_children(child, section, code)
                continue
            attributed_blocks = sum(1 for item in child.items if item.kind == "attrs")
            if node.depth == 0:
                group_only = attributed_blocks == 0 and node.has_core_attributes
                self._add_group(section, code, child, with_text=group_only)
                if group_only:
                    waiting = []
                    continue
            tasks = self._leaf_tasks(child, code, node.number if node.depth else None)
            if attributed_blocks == 0:
                waiting += tasks
            elif attributed_blocks == 1 and waiting:
                for task in waiting:
                    self._copy_attributes(tasks[0], task)
                sharing = waiting + tasks
                for task in sharing:
                    task.shares_attributes_with = sharing  # replaced by keys in _finish
                waiting = []
            else:
                waiting = []

    def _leaf_tasks(self, node: _Node, section_code: str, parent: str | None) -> list[ParsedTask]:
        segments, current = [], []
        for item in node.items:
            if item.kind == "attrs":
                segments.append((current, item))
                current = []
            else:
                current.append(item)
        trail = current
        base = dict(number=node.number, section=section_code, parent=parent, line=node.line)
        tasks: list[ParsedTask] = []
        if not segments:
            text, steps = _text_and_steps(node.heading, trail)
            tasks.append(ParsedTask(text=text, steps=steps, **base))
            self.own(node.all_lines(), f"task {node.number}")
            self.plan.tasks += tasks
            return tasks
        if len(segments) == 1:
            content, block = segments[0]
            text, steps = _text_and_steps(node.heading, content)
            task = ParsedTask(text=text, steps=steps, **base)
            self._apply_attributes(task, block)
            tasks.append(task)
        else:
            for index, (content, block) in enumerate(segments, 1):
                if content:
                    text, steps = _text_and_steps(content[0].text, content[1:])
                else:
                    text, steps = node.heading, []
                task = ParsedTask(text=text, steps=steps, bullet=index, heading=node.heading or None, **base)
                self._apply_attributes(task, block)
                tasks.append(task)
        owner = f"task {node.number}"
        self.own([node.line] + [n for item in node.items if item not in trail for n in item.lines], owner)
        for item in trail:  # free text after the last attribute block
            tasks[-1].notes.append(item.render())
            self.unrecognized(item.render(), item.lines[0], owner)
            self.own(item.lines, f"notes of {owner}")
        self.plan.tasks += tasks
        return tasks

    def _apply_attributes(self, task: ParsedTask, block: _Item):
        task.attributed = True
        for label, value in block.attrs.items():
            if not value:
                self.warn(f"Nhiệm vụ {task.number}: nhãn '{label}' không có nội dung.")
                continue
            if label == "timeframe":
                task.timeframe = parse_timeframe(value, self.plan.directive_year)
                if task.timeframe.unparsed:
                    self.warn(f"Nhiệm vụ {task.number}: chưa hiểu hết thời gian '{value}'.")
            elif label == "lead":
                task.leads, task.lead_parties = split_parties(value), parse_parties(value)
            elif label == "coordinators":
                task.coordinators, task.coordinator_parties = split_parties(value), parse_parties(value)
            elif label == "output":
                task.output = value
            else:
                task.extra_attributes[label] = value

    @staticmethod
    def _copy_attributes(source: ParsedTask, target: ParsedTask):
        target.attributed = True
        target.timeframe = source.timeframe
        target.leads, target.lead_parties = list(source.leads), list(source.lead_parties)
        target.coordinators, target.coordinator_parties = list(source.coordinators), list(source.coordinator_parties)
        target.output = source.output
        target.extra_attributes = dict(source.extra_attributes)

    # -- recipients and signer --
    def _parse_trailer(self, lines: list[_Line]):
        signer = self.plan.signer
        mode = None
        for ln in lines:
            for part in (clean(p) for p in COLUMN_GAP.split(ln.raw)):
                if not part:
                    continue
                owner = self._trailer_part(part, mode, signer, ln.no)
                if owner in ("recipients", "signer"):
                    mode = owner
            self.own([ln.no], mode or "trailer")

    def _trailer_part(self, part: str, mode: str | None, signer, line: int) -> str | None:
        if match := _RECIPIENTS.match(part):
            self._recipients_seen = True
            if match["rest"]:
                self._add_recipient(match["rest"])
            return "recipients"
        if _ON_BEHALF.match(part):  # "TM. BAN THƯỜNG TRỰC" then possibly "KT. CHỦ TỊCH": both kept
            signer.on_behalf = f"{signer.on_behalf}\n{part}" if signer.on_behalf else part
            return "signer"
        if _SIGN_MARK.match(part):
            signer.signature_mark = part
            return "signer"
        bullet = _BULLET.match(part)
        if bullet and self._recipients_seen:
            # After "Nơi nhận:" every dashed line is a recipient, also when the signer column
            # (flattened beside it) interrupted: the signer block has no dashed lines.
            self._add_recipient(bullet["text"])
            return "recipients"
        if is_upper_line(part) and not signer.title and (signer.on_behalf or _SIGNER_TITLE.match(part)):
            signer.title = part
            return "signer"
        if not signer.name and (signer.title or signer.on_behalf) and _looks_like_name(part):
            signer.name = part
            return "signer"
        if mode == "recipients" and self.plan.recipients and not re.search(r"[;.]$", self._last_recipient_raw):
            last = self.plan.recipients[-1]
            last.text = strip_list_punct(f"{last.text} {part}")
            self._last_recipient_raw = part
            return "recipients"
        self.unrecognized(part, line, mode or "trailer")
        return None

    _last_recipient_raw = ""
    _recipients_seen = False

    def _add_recipient(self, text: str):
        self._last_recipient_raw = text.strip()
        text = strip_list_punct(text.strip())
        self.plan.recipients.append(
            Recipient(text, for_report=bool(re.search(r"\(\s*b\s*/\s*c\s*\)", text, _I)), archive=bool(re.match(r"^lưu\b", text, _I)))
        )

    # -- end --
    def _finish(self):
        plan = self.plan
        seen: dict[str, int] = {}
        for task in plan.tasks:
            key = task.number if not task.bullet else f"{task.number}/{task.bullet}"
            seen[key] = seen.get(key, 0) + 1
            task.key = key if seen[key] == 1 else f"{key}~{seen[key]}"
            if seen[key] == 2:
                plan.warnings.append(f"Số nhiệm vụ {task.number} xuất hiện nhiều lần (có thể viết nhầm).")
            if task.timeframe and task.timeframe.directive_year != plan.directive_year:
                task.timeframe = task.timeframe.with_directive_year(plan.directive_year)
            if not task.attributed:
                plan.warnings.append(f"Nhiệm vụ {task.number} không có thời gian, cơ quan chủ trì, phối hợp.")
        for task in plan.tasks:
            if task.shares_attributes_with and not isinstance(task.shares_attributes_with[0], str):
                task.shares_attributes_with = [t.key for t in task.shares_attributes_with if t is not task]
        for ln in self.lines:
            if ln.text and ln.no not in plan.coverage:  # never drop a line, even one the zones missed
                self.unrecognized(ln.text, ln.no, "document")


def _text_and_steps(heading: str, items: list[_Item]) -> tuple[str, list[str]]:
    """Paragraphs continue the text; bullets are steps."""
    text = [heading] if heading else []
    steps = []
    for item in items:
        (steps if item.kind == "bullet" else text).append(item.text)
    return "\n".join(text), steps


def _looks_like_name(text: str) -> bool:
    words = text.split()
    return 2 <= len(words) <= 6 and all(w[:1].isupper() for w in words) and not any(c.isdigit() for c in text)
