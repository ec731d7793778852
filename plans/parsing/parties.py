"""Lead and coordinating parties: split a "Cơ quan chủ trì:" value into parties and classify each.

A party is *relative* when its words name a kind of Front unit by level ("Ban Thường trực Ủy ban
MTTQ Việt Nam các cấp" = the standing board of whichever unit carries out the plan; "... cùng cấp" =
at the same level as that unit; "... tỉnh" = the province level only), a *unit* when it names one
place ("Ủy ban MTTQ Việt Nam huyện Mường Chà"), and a *body* when it is outside the Front (HĐND,
UBND, Sở Tài chính, Đoàn đại biểu Quốc hội, Ban Tổ chức cấp ủy, "các cơ quan, tổ chức liên quan").
Derivation resolves relative parties for each unit; bodies are kept as named bodies.

Two splits exist on purpose:
- ``split_parties`` gives the strings of the issue's ``leads``/``coordinators``: on ";" and on " và "
  (only when what follows " và " starts a new party), each kept as written. "HĐND, UBND cùng cấp"
  stays one string.
- ``parse_parties`` also splits on commas when every comma part starts a party ("HĐND, UBND cùng
  cấp" -> HĐND, UBND) and then lets the level words written once at the end ("cùng cấp") apply to
  the earlier parts that have no level of their own (``scope_shared``). The idiom "các cơ quan, tổ
  chức liên quan" is one party.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from plans.parsing.text import clean, sentence_case_name, split_top_level, strip_list_punct

_I = re.IGNORECASE

# Words a party starts with; used to decide whether " và " or "," begins a new party.
_PARTY_HEAD = re.compile(
    r"^(?:đề nghị\s+)?(?:các\s+|tất cả\s+)?(?:ban|sở|hđnd|ubnd|ủy ban|uỷ ban|ub|btt|đoàn|hội|liên đoàn|"
    r"cơ quan|tổ chức|công an|tòa án|toà án|viện|văn phòng|phòng|đảng ủy|tỉnh ủy|huyện ủy|thành ủy|"
    r"cấp ủy|mặt trận|mttq|thường trực|lãnh đạo|báo|đài|trung tâm|bộ|cục|chi cục|thanh tra|"
    r"chính quyền|người đứng đầu|đại biểu)\b",
    _I,
)
# Idioms containing a comma that are a single party.
_ONE_PARTY_IDIOMS = [
    re.compile(r"các cơ quan, (?:tổ chức|đơn vị)(?:, (?:tổ chức|đơn vị|cá nhân))*(?: có)? liên quan", _I),
    re.compile(r"các sở, (?:ban, )?ngành(?:, đoàn thể)?(?: tỉnh| huyện)?", _I),
    re.compile(r"(?:các )?(?:huyện|xã), (?:thị xã|phường), (?:thành phố|thị trấn)", _I),
]
_COMMA_PLACEHOLDER = "\u241f"
_AND_SPLIT = re.compile(r"\s+và\s+", _I)
_REQUEST = re.compile(r"^đề nghị\s+(?P<rest>.+?)(?:\s+phối hợp|\s+chủ trì)?$", _I)

# Level limit written in parentheses: "(đối với cấp tỉnh)".
_LEVEL_LIMIT = re.compile(r"\(\s*(?:đối với|ở|tại|chỉ)?\s*cấp\s+(?P<level>tỉnh|huyện|xã|trung ương|cơ sở)\s*\)", _I)
_LEVEL_WORDS = {"tỉnh": "province", "huyện": "district", "xã": "commune", "cơ sở": "commune", "trung ương": "central"}

# Scope words, first match wins for the relational ones; the level words take the last occurrence.
_SCOPE_RELATIONAL = [
    (re.compile(r"\bcác cấp\b", _I), "every_level"),
    (re.compile(r"\bcùng cấp\b", _I), "same_level"),
    (re.compile(r"\btrong hệ thống\b", _I), "within_system"),
]
_LEVEL_PATTERN = re.compile(
    r"\b(?P<word>trung ương|tỉnh(?!\s*ủy|\s*uỷ)|huyện(?!\s*ủy|\s*uỷ)|thị xã|quận|xã(?!\s*hội)|phường|thị trấn|đặc khu)\b",
    _I,
)
_LEVEL_OF_WORD = {
    "trung ương": "central", "tỉnh": "province", "huyện": "district", "thị xã": "district", "quận": "district",
    "xã": "commune", "phường": "commune", "thị trấn": "commune", "đặc khu": "commune",
}

# Relative Front parties: (pattern, code). Checked in order; the first match wins.
_FRONT = re.compile(r"mttq|mặt trận|ubmttq|ubtwmttq", _I)
_RELATIVE_TABLE = [
    (re.compile(r"(?:ban\s+)?thường trực\s+(?:ủy ban|uỷ ban|ub)?\s*(?:trung ương\s+)?(?:mttq|mặt trận)|\bbtt\b", _I), "front_standing_board"),
    (re.compile(r"tổ chức chính trị\s*-\s*xã hội", _I), "socio_political_orgs"),
    (re.compile(r"tổ chức thành viên", _I), "member_orgs"),
    (re.compile(r"hội đồng tư vấn|tổ chức tư vấn", _I), "front_advisory_councils"),
    (re.compile(r"ban thanh tra nhân dân", _I), "people_inspection_boards"),
    (re.compile(r"ban giám sát đầu tư (?:của )?cộng đồng", _I), "community_investment_boards"),
    (re.compile(r"ban công tác mặt trận", _I), "residential_front_boards"),
    (re.compile(r"(?:ủy ban|uỷ ban|ub)\s*(?:trung ương\s+)?(?:mttq|mặt trận)|ubmttq|ubtwmttq|mặt trận", _I), "front_committee"),
]
# The five socio-political organizations named one by one.
_MEMBER_ORGS = [
    (re.compile(r"liên đoàn lao động", _I), "labour_federation", "Liên đoàn Lao động"),
    (re.compile(r"hội nông dân", _I), "farmers_association", "Hội Nông dân"),
    (re.compile(r"hội liên hiệp phụ nữ|hội phụ nữ", _I), "womens_union", "Hội Liên hiệp Phụ nữ"),
    (re.compile(r"đoàn (?:tncs|thanh niên)", _I), "youth_union", "Đoàn TNCS Hồ Chí Minh"),
    (re.compile(r"hội cựu chiến binh", _I), "veterans_association", "Hội Cựu chiến binh"),
]
# Outside bodies: (pattern, code, normalized name or None to build it from the text).
_BODY_TABLE = [
    (re.compile(r"đoàn đại biểu quốc hội|đoàn đbqh", _I), "na_delegation", "Đoàn đại biểu Quốc hội"),
    (re.compile(r"hội đồng nhân dân|hđnd", _I), "people_council", "Hội đồng nhân dân"),
    (re.compile(r"ủy ban nhân dân|uỷ ban nhân dân|ubnd", _I), "people_committee", "Ủy ban nhân dân"),
    (re.compile(r"^(?:các\s+)?sở\s+(?!,)", _I), "department", None),
    (re.compile(r"ban tổ chức", _I), "party_organization_board", "Ban Tổ chức cấp ủy"),
    (re.compile(r"ban tuyên giáo", _I), "party_propaganda_board", "Ban Tuyên giáo cấp ủy"),
    (re.compile(r"ban dân vận", _I), "party_mass_mobilization_board", "Ban Dân vận cấp ủy"),
    (re.compile(r"ủy ban kiểm tra|ubkt", _I), "party_inspection_committee", "Ủy ban Kiểm tra cấp ủy"),
    (re.compile(r"ban thường vụ", _I), "party_standing_committee", "Ban Thường vụ cấp ủy"),
    (re.compile(r"cấp ủy|tỉnh ủy|huyện ủy|thành ủy|đảng ủy|tỉnh uỷ|huyện uỷ", _I), "party_committee", "Cấp ủy"),
    (re.compile(r"cơ quan truyền thông|cơ quan báo chí|báo|đài phát thanh", _I), "media", "Cơ quan truyền thông"),
    (re.compile(r"các sở, (?:ban, )?ngành", _I), "departments", "Các sở, ban, ngành"),
    (re.compile(r"cơ quan,? (?:tổ chức|đơn vị)?\s*(?:có )?liên quan|cơ quan liên quan|đơn vị liên quan", _I), "related_agencies", None),
    (re.compile(r"công an", _I), "police", "Công an"),
    (re.compile(r"thanh tra", _I), "inspectorate", "Thanh tra"),
]


@dataclass(frozen=True)
class ParsedParty:
    """One party as written, classified."""

    text: str  # as written
    kind: str  # "relative" | "unit" | "body"
    code: str | None = None  # relative code ("front_standing_board") or body code ("people_council")
    scope: str | None = None  # every_level | same_level | within_system | central | province | district | commune
    level_limit: str | None = None  # "(đối với cấp tỉnh)" -> "province"
    name: str | None = None  # normalized name of a body or a named organization
    place: str | None = None  # for a unit: "Mường Chà"
    requested: bool = False  # "Đề nghị ..." (a body the Front can only ask)
    scope_shared: bool = False  # the scope came from a level written once after several parties
    recognized: bool = True

    def to_json(self) -> dict:
        return {
            "text": self.text, "kind": self.kind, "code": self.code, "scope": self.scope,
            "level_limit": self.level_limit, "name": self.name, "place": self.place,
            "requested": self.requested, "scope_shared": self.scope_shared, "recognized": self.recognized,
        }


def split_parties(value: str) -> list[str]:
    """The issue's ``leads``/``coordinators`` strings: split on ";" (outside parentheses) and on
    " và " where a new party starts, each kept as written without the list punctuation."""
    out = []
    for chunk in split_top_level(clean(value), ";"):
        out.extend(_split_and(chunk))
    return [p for p in (strip_list_punct(x) for x in out) if p]


def _split_and(chunk: str) -> list[str]:
    pieces = _AND_SPLIT.split(chunk)
    merged = [pieces[0]]
    for piece in pieces[1:]:
        if _PARTY_HEAD.match(piece) and _PARTY_HEAD.match(merged[-1]):
            merged.append(piece)
        else:
            merged[-1] = f"{merged[-1]} và {piece}"
    return merged


def _split_commas(text: str) -> list[str]:
    protected = text
    for idiom in _ONE_PARTY_IDIOMS:
        protected = idiom.sub(lambda m: m.group(0).replace(",", _COMMA_PLACEHOLDER), protected)
    parts = [p.strip() for p in split_top_level(protected, ",")]
    if len(parts) > 1 and all(_PARTY_HEAD.match(p) for p in parts):
        return [p.replace(_COMMA_PLACEHOLDER, ",") for p in parts]
    return [text]


def parse_parties(value: str) -> list[ParsedParty]:
    """Every party of an attribute value, classified (comma lists split, shared level applied)."""
    parties: list[ParsedParty] = []
    for written in split_parties(value):
        parts = _split_commas(written)
        classified = [classify_party(p) for p in parts]
        if len(classified) > 1 and classified[-1].scope:
            last = classified[-1]
            classified = [
                p if p.scope else _with_scope(p, last.scope)
                for p in classified[:-1]
            ] + [last]
        parties.extend(classified)
    return parties


def _with_scope(party: ParsedParty, scope: str) -> ParsedParty:
    return ParsedParty(**{**party.__dict__, "scope": scope, "scope_shared": True})


def _scope_of(text: str) -> tuple[str | None, str | None]:
    """(scope, place) from the level words of a party."""
    for pattern, scope in _SCOPE_RELATIONAL:
        if pattern.search(text):
            return scope, None
    levels = list(_LEVEL_PATTERN.finditer(text))
    if not levels:
        return None, None
    last = levels[-1]
    level = _LEVEL_OF_WORD[last.group("word").lower()]
    return level, (_place_after(text[last.end():]) if level != "central" else None)


def _place_after(rest: str) -> str | None:
    """"tỉnh Điện Biên" -> "Điện Biên": the capitalized words right after a level word (an
    acronym such as "MTTQ" or a lower-case word ends the name)."""
    words = []
    for word in rest.split():
        if not word[:1].isupper() or (word.isupper() and len(word) > 1):
            break
        words.append(word)
    return strip_list_punct(" ".join(words)) or None


def classify_party(text: str) -> ParsedParty:
    """Classify one party string (see the module docstring)."""
    written = strip_list_punct(clean(text))
    body_text = written
    requested = False
    if match := _REQUEST.match(body_text):
        requested, body_text = True, match.group("rest")
    level_limit = None
    if match := _LEVEL_LIMIT.search(body_text):
        level_limit = _LEVEL_WORDS[match.group("level").lower()]
        body_text = clean(body_text[: match.start()] + body_text[match.end():])
    scope, place = _scope_of(body_text)
    common = dict(text=written, scope=scope, level_limit=level_limit, requested=requested)

    for pattern, code, name in _MEMBER_ORGS:
        if pattern.search(body_text):
            return ParsedParty(kind="unit" if place else "relative", code=f"member_org:{code}", name=name, place=place, **common)
    if _FRONT.search(body_text) or any(p.search(body_text) for p, _ in _RELATIVE_TABLE[1:7]):
        for pattern, code in _RELATIVE_TABLE:
            if pattern.search(body_text):
                return ParsedParty(kind="unit" if place else "relative", code=code, place=place, **common)
    for pattern, code, name in _BODY_TABLE:
        if pattern.search(body_text):
            if name is None:  # named by its own words: "Sở Tài Chính" -> "Sở Tài chính"
                own = _strip_level_words(body_text)
                name = sentence_case_name(re.sub(r"^các\s+", "", own, flags=_I)) if code == "department" else own[:1].upper() + own[1:]
            return ParsedParty(kind="body", code=code, name=name, place=place, **common)
    return ParsedParty(kind="body", code=None, name=_strip_level_words(body_text), place=place, recognized=False, **common)


def _strip_level_words(text: str) -> str:
    """"Sở Tài Chính tỉnh" -> "Sở Tài Chính": the body's name without the level it is written at."""
    text = re.sub(r"\s+(?:các cấp|cùng cấp)$", "", text, flags=_I)
    return re.sub(r"\s+(?:tỉnh|huyện|xã)$", "", text, flags=_I).strip()
