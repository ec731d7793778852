"""Derivation: a unit's own draft plan made from the issued plan of a unit above it (issue 3, part 4).

The rules, in one place:

* **Which plan a unit derives from.** A Front committee derives from its parent committee's plan;
  a member organization from the plan of the committee it stands beside (its tree parent). Seed
  III.2 asks member organizations to plan "within their systems", but their system parent (11-HND
  for 094-HND) is not above them in the tree, so it is neither readable through the one
  restriction nor the plan that names them "cùng cấp"; the committee's plan is both.
  ``derive_plan`` accepts any issued plan of a unit above; the subtree job follows the tree.
* **Each task** is carried over with ``parent_task`` set and ``carried_as`` = the rule:
  ``carry`` when a lead party is this unit (the standing board "các cấp"/"cùng cấp", or for a
  member organization "the socio-political/member organizations" of its level); ``coordinate``
  (for coordination/information) when only a coordinating party is this unit, or when a party
  names a level below (the task must be passed down the chain); ``omit`` when the task is only a
  higher level's (seed 3.4 "Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh" alone). A task naming no
  lead at all is carried. ``rule_decisions``/``default_rules`` show the defaults with their reason;
  ``derive_plan(rules=...)`` overrides them per task.
* **Parties** are resolved for the deriving unit and keep their ``relative_code``/``scope``, so
  the derived plan can itself be derived further down:
  - standing board / committee of "các cấp", "cùng cấp" → kind ``unit``, this unit's committee,
    text re-labelled ("Ban Thường trực Ủy ban MTTQ Việt Nam thành phố Điện Biên Phủ");
  - the socio-political (or member) organizations of a level → ONE party, kind ``relative``,
    anchored (``unit``) on the committee whose organizations they are; ``party_units`` lists the
    organizations. One row instead of five keeps rows 1:1 with the parent's (bulk derivation of
    the whole country writes millions of parties) and stays right when an organization is added;
  - a party of a named higher level ("... tỉnh") → that level's committee in the unit's chain;
  - a party limited to a higher level ("(đối với cấp tỉnh)", ``level_limit``) is dropped;
  - outside bodies (HĐND, UBND, Sở Tài chính) and absolute units are kept as written: "HĐND,
    UBND cùng cấp" already reads right at every level, and rewriting it would lose the relative
    meaning the next level needs.
* **Bulk.** Plans are derived level by level (tree depth) in batches: the parents' rows are read
  with six queries, the new rows built in memory with ids drawn from the sequences (one query for
  all tables), and written with PostgreSQL COPY, one per table and one for the audit rows of all
  (one audit row per created row, with what ``bulk_create_audited`` records). Each parent row is
  put in COPY text and audit JSON once; a derived row is its new ids around that text, and how a
  parent task's parties resolve is decided once per kind of deriving unit (level, committee or
  organization), not per unit. A batch is one transaction: a failure leaves no half-made
  plan, and the batches before it stay. The number of queries depends on the depth of the tree
  and the number of batches, not on the number of units.
* **Idempotent.** A unit that already has a plan derived from the parent plan in its chain is
  skipped (its plan becomes the parent of its children), under an advisory lock per tree; a
  partial unique index on (unit, parent_plan) (migration 0002) is the last guard.
"""
from __future__ import annotations

import functools
import io
import logging
import os
import uuid
from collections import defaultdict
from contextlib import nullcontext
from dataclasses import dataclass
from itertools import groupby
from types import SimpleNamespace

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from mttq_platform import audit
from mttq_platform.audit import acting_as, current_actor
from mttq_platform.models import AuditLog
from mttq_platform.permissions import can
from orgtree.models import Level, OrgUnit, UnitKind
from orgtree.services import managing_units
from plans.models import (
    DerivationJob, DerivationRule, DocumentStatus, LegalBasis, PartyKind, PartyRole, PlanDocument, Responsibility,
    Section, Task, TaskParty,
)

log = logging.getLogger(__name__)

# Units per transaction. Bigger batches mean fewer queries; smaller ones a smoother progress bar
# and less work lost when a batch fails.
BATCH_UNITS = 2000
# The second key of the derivation's advisory lock is the org tree id (the first marks "plans").
DERIVATION_LOCK_NAMESPACE = 0x504C414E  # "PLAN"
DERIVED_UNIT_CATEGORIES = (UnitKind.Category.FRONT_COMMITTEE, UnitKind.Category.MEMBER_ORGANIZATION)

# Relative codes of Front parties (plans/parsing/parties.py) and how each is written once resolved.
STANDING_BOARD = "front_standing_board"
FRONT_COMMITTEE = "front_committee"
SOCIO_POLITICAL = "socio_political_orgs"
MEMBER_ORGANIZATIONS = "member_orgs"
FRONT_PARTIES = {
    # code: (kind of the resolved party, its text for the committee it resolves to)
    STANDING_BOARD: (PartyKind.UNIT, lambda committee: f"Ban Thường trực {committee.name}"),
    FRONT_COMMITTEE: (PartyKind.UNIT, lambda committee: committee.name),
    SOCIO_POLITICAL: (PartyKind.RELATIVE, lambda committee: f"Các tổ chức chính trị - xã hội {committee.area_name or committee.name}"),
    MEMBER_ORGANIZATIONS: (PartyKind.RELATIVE, lambda committee: f"Các tổ chức thành viên của {committee.name}"),
}
COMMITTEE_PARTIES = (STANDING_BOARD, FRONT_COMMITTEE)
ORGANIZATION_PARTIES = (SOCIO_POLITICAL, MEMBER_ORGANIZATIONS)


class DerivationError(Exception):
    """Derivation refused or failed; the message is in Vietnamese and English."""

    def __init__(self, message_vi: str, message_en: str, *, existing: PlanDocument | None = None):
        self.message_vi, self.message_en, self.existing = message_vi, message_en, existing
        super().__init__(str(self))

    def __str__(self):
        return f"{self.message_vi} / {self.message_en}"


# -- levels, units and where a deriving unit stands ---------------------------------------------------
@dataclass(frozen=True)
class _Level:
    id: int
    code: str
    rank: int
    name: str
    name_en: str


class _Levels:
    def __init__(self):
        levels = [_Level(*row) for row in Level.objects.values_list("id", "code", "rank", "name", "name_en")]
        self.by_id = {level.id: level for level in levels}
        self.by_code = {level.code: level for level in levels}


@dataclass
class _Place:
    """A deriving unit as derivation sees it."""

    unit: OrgUnit
    committee: OrgUnit  # the unit itself, or the committee a member organization stands beside
    level: _Level
    committees: dict[str, OrgUnit]  # level code -> the Front committee at that level in the unit's chain

    @property
    def is_committee(self) -> bool:
        return self.unit.pk == self.committee.pk

    def is_named_by(self, code: str) -> bool:
        """Whether a Front party of this code, at this unit's level, stands for this unit."""
        if self.is_committee:
            return code in COMMITTEE_PARTIES
        return code == MEMBER_ORGANIZATIONS or (code == SOCIO_POLITICAL and self.unit.kind.is_socio_political)


class _UnitIndex:
    """Units by id (with their kind), enough to walk up a unit's chain without queries."""

    def __init__(self, units, levels: _Levels):
        self.by_id = {unit.pk: unit for unit in units}
        self.levels = levels
        self._places: dict[int, _Place] = {}

    @staticmethod
    def _is_committee(unit) -> bool:
        return unit.kind.category == UnitKind.Category.FRONT_COMMITTEE

    def place(self, unit: OrgUnit) -> _Place:
        if unit.pk not in self._places:
            committee = unit if self._is_committee(unit) else self.by_id[unit.parent_id]
            committees = {}
            current = committee
            while current is not None:
                if self._is_committee(current):
                    committees.setdefault(self.levels.by_id[current.level_id].code, current)
                current = self.by_id.get(current.parent_id)
            self._places[unit.pk] = _Place(unit, committee, self.levels.by_id[committee.level_id], committees)
        return self._places[unit.pk]


# -- the parent plan's rows ----------------------------------------------------------------------------
@dataclass
class _PlanContent:
    document: dict
    sections: list[dict]
    legal_bases: list[dict]
    responsibilities: list[dict]
    tasks: list[dict]
    parties: dict[int, list[dict]]  # task id -> its parties


def _load_contents(plan_ids) -> dict[int, _PlanContent]:
    """Every row of these plans, six queries whatever their number."""
    plan_ids = list(plan_ids)
    contents = {row["id"]: _PlanContent(row, [], [], [], [], defaultdict(list))
                for row in PlanDocument.objects.filter(pk__in=plan_ids).values()}
    for model, attribute in ((Section, "sections"), (LegalBasis, "legal_bases"),
                             (Responsibility, "responsibilities"), (Task, "tasks")):
        for row in model.objects.filter(document_id__in=plan_ids).order_by("document_id", "order", "pk").values():
            getattr(contents[row["document_id"]], attribute).append(row)
    for row in TaskParty.objects.filter(document_id__in=plan_ids).order_by("task_id", "role", "order", "pk").values():
        contents[row["document_id"]].parties[row["task_id"]].append(row)
    return contents


# -- rules and party resolution --------------------------------------------------------------------------
@dataclass
class _Resolved:
    row: dict | None  # the party as the derived plan writes it; None when it does not reach this level
    names_unit: bool  # it is the deriving unit itself
    below: bool  # it names a level below the deriving unit's


def _target(party: dict, place: _Place, levels: _Levels) -> tuple[str, _Level, bool]:
    """How a party reaches ``place``: ("drop" | "keep" | "front", the level it names, whether that
    level is below the place's). It depends on the place only through its level, whether it is a
    committee, and which levels its chain has, so the bulk job decides it once per kind of place."""
    limit = levels.by_id.get(party["level_limit_id"])
    target = limit or levels.by_code.get(party["scope"]) or place.level
    if limit is not None and limit.rank < place.level.rank:
        return "drop", target, False  # "(đối với cấp tỉnh)" in a district's plan
    below = target.rank > place.level.rank
    if party["relative_code"] not in FRONT_PARTIES or below or target.code not in place.committees:
        return "keep", target, below  # kept as written
    return "front", target, False


def _names_unit(party: dict, how: str, target: _Level, place: _Place) -> bool:
    return how == "front" and target.rank == place.level.rank and place.is_named_by(party["relative_code"])


def _resolve(party: dict, place: _Place, levels: _Levels) -> _Resolved:
    how, target, below = _target(party, place, levels)
    if how == "drop":
        return _Resolved(None, False, False)
    if how == "keep":
        return _Resolved(dict(party), False, below)
    committee = place.committees[target.code]
    kind, label = FRONT_PARTIES[party["relative_code"]]
    row = {**party, "kind": kind, "unit_id": committee.pk, "text": label(committee)}
    return _Resolved(row, _names_unit(party, how, target, place), False)


@dataclass(frozen=True)
class RuleDecision:
    """The default rule for one parent task, and why (shown on the derive page)."""

    task_id: int
    number: str
    text: str
    rule: str
    reason_vi: str
    reason_en: str


_REASONS = {
    "no_lead": ("Không ghi cơ quan chủ trì: thực hiện", "No lead party named: carried"),
    "lead": ("Đơn vị là cơ quan chủ trì ở cấp này", "This unit leads at its level"),
    "coordinator": ("Đơn vị là cơ quan phối hợp ở cấp này", "This unit coordinates at its level"),
    "below": ("Việc của cấp dưới: chuyển tiếp để biết và hướng dẫn", "A lower level's task: passed down for information"),
    "above": ("Chỉ là việc của cấp trên", "Only a higher level's task"),
}


def _decide(parties: list[dict], resolved: list[_Resolved], place: _Place) -> tuple[str, str]:
    leads = [r for p, r in zip(parties, resolved) if p["role"] == PartyRole.LEAD]
    coordinators = [r for p, r in zip(parties, resolved) if p["role"] != PartyRole.LEAD]
    if not leads:
        return DerivationRule.CARRY, "no_lead"
    if any(r.names_unit for r in leads):
        return DerivationRule.CARRY, "lead"
    if any(r.names_unit for r in coordinators):
        return DerivationRule.COORDINATE, "coordinator"
    if place.is_committee and any(r.below for r in resolved):
        return DerivationRule.COORDINATE, "below"
    return DerivationRule.OMIT, "above"


# -- writing rows with COPY ----------------------------------------------------------------------------
# The job writes millions of rows (the whole country: ~1.1 million tasks, their parties, and one
# audit row for each row). Most of a derived row is its parent row's: that part is put in COPY's
# text format (and in the audit's JSON) once per parent row, and each derived row is one f-string
# of its ids around it.
_COPY_ESCAPE_PAIRS = (("\\", "\\\\"), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))  # backslash first
# One encoder for every value: json.dumps(cls=...) would build a new one per call.
_JSON = DjangoJSONEncoder(ensure_ascii=False)
NULL = "\\N"
AUDIT_COLUMNS = ["at", "actor_id", "action", "content_type_id", "object_id", "object_repr", "unit_id", "before", "after",
                 "source", "request_id"]


@functools.cache
def _fields_by_name(model) -> dict:
    return {field.attname: field for field in model._meta.concrete_fields}


# Escaped texts by text: a parent row's texts recur in every plan derived from the same origin, and
# the whole country repeats the seed's few hundred texts tens of thousands of times.
_ESCAPED: dict[str, str] = {}
_ENCODED: dict[str, str] = {}
_MEMO_LIMIT = 100_000


def _memo(memo: dict, key: str, value: str) -> str:
    if len(memo) >= _MEMO_LIMIT:
        memo.clear()
    memo[key] = value
    return value


def _escape(value: str) -> str:
    """``value`` escaped for COPY's text format (str.replace: translate is slow on non-ASCII text)."""
    for char, escape in _COPY_ESCAPE_PAIRS:
        if char in value:
            value = value.replace(char, escape)
    return value


def _copy_text(value: str) -> str:
    """``_escape``, remembered: for texts that recur."""
    escaped = _ESCAPED.get(value)
    return escaped if escaped is not None else _memo(_ESCAPED, value, _escape(value))


def _json_value(value) -> str:
    """``value`` as JSON, as DjangoJSONEncoder writes it."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if type(value) is int:
        return str(value)
    if type(value) is str:
        encoded = _ENCODED.get(value)
        return encoded if encoded is not None else _memo(_ENCODED, value, _JSON.encode(value))
    return _JSON.encode(value)


def _copy_value(field, value) -> str:
    """``value`` of ``field`` in COPY's text format."""
    if value is None:
        return NULL
    if isinstance(field, models.JSONField):
        return _copy_text(_JSON.encode(value))
    if isinstance(field, models.BooleanField):
        return "t" if value else "f"
    return _copy_text(value if type(value) is str else str(value))


def _copy_part(model, row: dict, names) -> str:
    """The fields ``names`` of ``row``, tab-separated, in COPY's text format."""
    fields = _fields_by_name(model)
    return "\t".join(_copy_value(fields[name], row[name]) for name in names)


def _json_part(row: dict, names) -> str:
    """``"name": value, ...`` of ``row``'s fields ``names`` as the audit's "after" has them, COPY-escaped."""
    return _copy_text(", ".join(f'"{name}": {_json_value(row[name])}' for name in names))


def copy_lines(model, columns: list[str], lines: list[str]) -> None:
    """Write ``lines`` (COPY text, one row each, ``columns`` in order) into ``model``'s table."""
    if not lines:
        return
    buffer = io.BytesIO(("\n".join(lines) + "\n").encode())
    column_of = {field.attname: field.column for field in model._meta.concrete_fields}
    columns_sql = ", ".join(connection.ops.quote_name(column_of[name]) for name in columns)
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns_sql}) FROM STDIN", buffer)


def allocate_ids(counts: dict) -> dict[object, list[int]]:
    """``counts[model]`` ids from each model's sequence, in one query (concurrent inserts get others)."""
    models_ = [model for model, count in counts.items() if count > 0]
    if not models_:
        return {}
    select = ", ".join("(SELECT array_agg(nextval(pg_get_serial_sequence(%s, 'id'))) FROM generate_series(1, %s))"
                       for _ in models_)
    params = [value for model in models_ for value in (model._meta.db_table, counts[model])]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {select}", params)
        return dict(zip(models_, cursor.fetchone()))


def _uuids(count: int) -> list[str]:
    """``count`` random (version 4) UUIDs as text; uuid.uuid4() reads the OS's random source per call."""
    raw = os.urandom(16 * count).hex()
    return [f"{raw[i:i + 8]}-{raw[i + 8:i + 12]}-4{raw[i + 13:i + 16]}-{'89ab'[int(raw[i + 16], 16) & 3]}"
            f"{raw[i + 17:i + 20]}-{raw[i + 20:i + 32]}" for i in range(0, 32 * count, 32)]


class _AuditedCopy:
    """COPY of new rows plus one audit row per row, as ``bulk_create_audited`` records them (action
    "create", the row as "after", the unit of the row's document) in the current audit context.

    ``write`` gets each model's rows as COPY lines with the audit lines beside them; the audit lines
    of every model go in one COPY at ``flush``."""

    def __init__(self):
        self.actor = current_actor()
        # The same context variables bulk_create_audited's entries read.
        self.source = audit._source.get() or "system"
        self.request_id = audit._request_id.get()
        self.now = timezone.now()
        self.copies = 0
        actor = NULL if self.actor is None else str(self.actor.pk)
        self._head = f"{self.now.isoformat()}\t{actor}\tcreate\t"
        self.audit_tail = f"\t{_copy_text(self.source)}\t{_copy_text(self.request_id)}"
        self._audits: list[str] = []

    def audit_head(self, model) -> str:
        """The start of an audit line of ``model``, up to its object id."""
        return f"{self._head}{ContentType.objects.get_for_model(model).pk}\t"  # cached after the first

    def write(self, model, columns: list[str], lines: list[str], audits: list[str]) -> None:
        copy_lines(model, columns, lines)
        self._audits += audits
        self.copies += 1

    def flush(self) -> None:
        copy_lines(AuditLog, AUDIT_COLUMNS, self._audits)
        self._audits = []
        self.copies += 1


# -- building derived plans --------------------------------------------------------------------------------
def _blank_row(model) -> dict:
    return {f.attname: f.get_default() for f in model._meta.concrete_fields}


def _party_label(unit: OrgUnit) -> str:
    """How a plan names its issuing unit in running text."""
    return f"Ban Thường trực {unit.name}" if unit.kind.category == UnitKind.Category.FRONT_COMMITTEE else unit.name


def _parent_basis_text(parent: dict, parent_unit: OrgUnit) -> str:
    number = "/".join(part for part in (parent["number"], parent["symbol"]) if part) if parent["number"] else ""
    words = ["Kế hoạch"]
    if number:
        words.append(f"số {number}")
    if parent["date"]:
        words.append(f"ngày {parent['date']:%d/%m/%Y}")
    words.append(f"của {_party_label(parent_unit)}")
    return " ".join(words) + (f" về {parent['title']}" if parent["title"] else "")


def _repr(model, row: dict) -> str:
    # The models' __str__ read plain attributes; a namespace spares building model instances.
    return model.__str__(SimpleNamespace(**row))[:255]


def _rest(model, leading) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if f.attname not in leading]


# Each derived row's table columns: what differs per row first, then what it copies from its parent row
# (a task's rule comes last: it differs per kind of deriving unit).
_SECTION_LEAD = ["id", "document_id", "parent_id"]
_PART_LEAD = ["id", "document_id"]
_TASK_LEAD = ["id", "uuid", "document_id", "section_id"]
_PARTY_LEAD = ["id", "task_id", "document_id"]
_RESOLVED_LEAD = ["text", "unit_id"]  # a party resolved for the deriving unit: its committee's name and id
_SECTION_REST = _rest(Section, _SECTION_LEAD)
_BASIS_REST = _rest(LegalBasis, _PART_LEAD)
_RESPONSIBILITY_REST = _rest(Responsibility, _PART_LEAD)
_TASK_REST = _rest(Task, [*_TASK_LEAD, "carried_as"])
_PARTY_REST = _rest(TaskParty, _PARTY_LEAD + _RESOLVED_LEAD)
_COLUMNS = {
    PlanDocument: [f.attname for f in PlanDocument._meta.concrete_fields],  # a document is written whole
    Section: _SECTION_LEAD + _SECTION_REST,
    LegalBasis: _PART_LEAD + _BASIS_REST,
    Responsibility: _PART_LEAD + _RESPONSIBILITY_REST,
    Task: _TASK_LEAD + _TASK_REST + ["carried_as"],
    TaskParty: _PARTY_LEAD + _RESOLVED_LEAD + _PARTY_REST,
}


@dataclass
class _Part:
    """A parent row as its derived rows repeat it: the COPY text and the audit JSON of the columns
    after the leading ones, and the audit's object_repr (all COPY-escaped)."""

    copy: str
    json: str
    repr: str


def _part(model, row: dict, names: list[str]) -> _Part:
    return _Part(_copy_part(model, row, names), _json_part(row, names), _copy_text(_repr(model, row)))


@dataclass
class _Compiled:
    """A parent plan, made ready to be repeated for each unit deriving from it."""

    sections: list  # (old id, old parent id, _Part)
    bases: list  # _Part (the parent plan's bases, then the one citing the parent plan)
    responsibilities: list
    tasks: list  # (task dict, _Part, its parties)
    basis_text: str


class _Deriver:
    """Builds and writes the derived plans of one batch of units."""

    def __init__(self, index: _UnitIndex, levels: _Levels, writer=None):
        self.index, self.levels = index, levels
        self.writer = writer or _AuditedCopy()
        self._compiled: dict[int, _Compiled] = {}
        self._task_plans: dict = {}  # (parent task id, kind of place) -> (rule, party plans)
        self._labels: dict = {}  # (relative code, committee id) -> (copy, json, repr) of the resolved text

    def derive(self, pairs, overrides: dict | None = None) -> dict[int, int]:
        """Derive a plan for each (unit, parent plan id); return unit id -> new plan id."""
        if not pairs:
            return {}
        contents = _load_contents({plan_id for _, plan_id in pairs})
        self._allocate(pairs, contents)
        self.lines = defaultdict(list)
        self.audits = defaultdict(list)
        self.heads = {model: self.writer.audit_head(model) for model in _WRITTEN}
        self.tail = self.writer.audit_tail
        made = {}
        for unit, plan_id in pairs:
            made[unit.pk] = self._derive_one(self.index.place(unit), contents[plan_id], overrides or {})
        for model in _WRITTEN:
            self.writer.write(model, _COLUMNS[model], self.lines[model], self.audits[model])
        self.writer.flush()
        return made

    def _allocate(self, pairs, contents) -> None:
        """Ids for the most rows the batch can make (omitted tasks leave gaps in the sequences)."""
        need = defaultdict(int)
        for _, plan_id in pairs:
            content = contents[plan_id]
            need[PlanDocument] += 1
            need[Section] += len(content.sections)
            need[LegalBasis] += len(content.legal_bases) + 1
            need[Responsibility] += len(content.responsibilities)
            need[Task] += len(content.tasks)
            need[TaskParty] += sum(map(len, content.parties.values()))
        self.ids = {model: iter(ids) for model, ids in allocate_ids(need).items()}
        self.uuids = iter(_uuids(need[PlanDocument] + need[Task]))

    def _compile(self, content: _PlanContent) -> _Compiled:
        parent = content.document
        compiled = self._compiled.get(parent["id"])
        if compiled is None:
            basis_text = _parent_basis_text(parent, self.index.by_id[parent["unit_id"]])
            last_order = max((basis["order"] for basis in content.legal_bases), default=-1)
            citing = {**_blank_row(LegalBasis), "order": last_order + 1, "text": basis_text,
                      "reference": "/".join(p for p in (parent["number"], parent["symbol"]) if p)[:60] if parent["number"] else "",
                      "reference_date": parent["date"], "referenced_document_id": parent["id"]}
            compiled = self._compiled[parent["id"]] = _Compiled(
                sections=[(s["id"], s["parent_id"], _part(Section, s, _SECTION_REST)) for s in content.sections],
                bases=[_part(LegalBasis, b, _BASIS_REST) for b in [*content.legal_bases, citing]],
                responsibilities=[_part(Responsibility, r, _RESPONSIBILITY_REST) for r in content.responsibilities],
                tasks=[(t, _part(Task, {**t, "parent_task_id": t["id"]}, _TASK_REST),
                        content.parties.get(t["id"], [])) for t in content.tasks],
                basis_text=basis_text,
            )
        return compiled

    def _task_plan(self, task: dict, parties: list[dict], place: _Place, place_kind, overrides: dict):
        """The rule of ``task`` for places of this kind, and how each of its parties is written."""
        key = (task["id"], place_kind)
        plan = self._task_plans.get(key)
        if plan is None:
            targets = [_target(party, place, self.levels) for party in parties]
            flags = [_Resolved(None, _names_unit(party, how, target, place), below)
                     for party, (how, target, below) in zip(parties, targets)]
            rule = overrides.get(task["id"]) or _decide(parties, flags, place)[0]
            party_plans = []
            if rule != DerivationRule.OMIT:
                for party, (how, target, _) in zip(parties, targets):
                    if how == "keep":
                        party_plans.append((None, _part(TaskParty, party, _RESOLVED_LEAD + _PARTY_REST)))
                    elif how == "front":
                        kind, _ = FRONT_PARTIES[party["relative_code"]]
                        resolved = {**party, "kind": kind}
                        party_plans.append(((party["relative_code"], target.code), _part(TaskParty, resolved, _PARTY_REST)))
            plan = self._task_plans[key] = (rule, party_plans)
        return plan

    def _label(self, code: str, committee: OrgUnit) -> tuple[str, str, str]:
        key = (code, committee.pk)
        label = self._labels.get(key)
        if label is None:
            text = FRONT_PARTIES[code][1](committee)
            label = self._labels[key] = (_copy_text(text), _copy_text(_JSON.encode(text)), _copy_text(text[:255]))
        return label

    def _document(self, place: _Place, content: _PlanContent, basis_text: str) -> int:
        unit, parent = place.unit, content.document
        now = self.writer.now
        is_committee = place.is_committee
        row = {
            **parent, "id": next(self.ids[PlanDocument]), "uuid": next(self.uuids), "unit_id": unit.pk, "number": "",
            "symbol": parent["symbol"] if is_committee else "",
            "issuer_text": f"{unit.name.upper()}\nBAN THƯỜNG TRỰC" if is_committee else unit.name.upper(),
            "place": "", "date": None, "status": DocumentStatus.DRAFT, "version": 1,
            "issued_at": None, "parent_plan_id": parent["id"],
            "preamble": f"Thực hiện {basis_text}, {_party_label(unit)} xây dựng Kế hoạch triển khai thực hiện "
                        f"trên địa bàn {place.committee.area_name or place.committee.name}, cụ thể như sau:",
            "closing": "", "signer_title": "", "signer_name": "", "recipients": [], "unrecognized": [], "source_name": "",
            "created_by_id": self.writer.actor.pk if self.writer.actor else None, "created_at": now, "updated_at": now,
        }
        names = _COLUMNS[PlanDocument]
        text = _repr(PlanDocument, {**row, "number_symbol": "/".join(p for p in (row["number"], row["symbol"]) if p)})
        self.lines[PlanDocument].append(_copy_part(PlanDocument, row, names))
        self.audits[PlanDocument].append(f"{self.heads[PlanDocument]}{row['id']}\t{_copy_text(text)}\t{unit.pk}\t{NULL}\t"
                                         f"{_escape(_JSON.encode(row))}{self.tail}")
        return row["id"]

    def _derive_one(self, place: _Place, content: _PlanContent, overrides: dict) -> int:
        unit_id = place.unit.pk
        compiled = self._compile(content)
        doc = self._document(place, content, compiled.basis_text)
        ids, tail = self.ids, self.tail

        lines, audits, head = self.lines[Section], self.audits[Section], self.heads[Section]
        new_section = {old: next(ids[Section]) for old, _, _ in compiled.sections}  # a subsection's parent may come after it
        for old, old_parent, part in compiled.sections:
            new_id, parent = new_section[old], new_section.get(old_parent)
            lines.append(f"{new_id}\t{doc}\t{NULL if parent is None else parent}\t{part.copy}")
            audits.append(f'{head}{new_id}\t{part.repr}\t{unit_id}\t{NULL}\t{{"id": {new_id}, "document_id": {doc}, '
                          f'"parent_id": {"null" if parent is None else parent}, {part.json}}}{tail}')
        for model, parts in ((LegalBasis, compiled.bases), (Responsibility, compiled.responsibilities)):
            lines, audits, head, model_ids = self.lines[model], self.audits[model], self.heads[model], ids[model]
            for part in parts:
                new_id = next(model_ids)
                lines.append(f"{new_id}\t{doc}\t{part.copy}")
                audits.append(f'{head}{new_id}\t{part.repr}\t{unit_id}\t{NULL}\t{{"id": {new_id}, "document_id": {doc}, '
                              f'{part.json}}}{tail}')

        place_kind = (place.level.id, place.is_committee, place.is_committee or place.unit.kind.is_socio_political,
                      frozenset(place.committees))
        task_lines, task_audits, task_head, task_ids = self.lines[Task], self.audits[Task], self.heads[Task], ids[Task]
        party_lines, party_audits, party_head, party_ids = (self.lines[TaskParty], self.audits[TaskParty],
                                                            self.heads[TaskParty], ids[TaskParty])
        uuids = self.uuids
        for task, part, parties in compiled.tasks:
            rule, party_plans = self._task_plan(task, parties, place, place_kind, overrides)
            if rule == DerivationRule.OMIT:
                continue
            task_id, task_uuid, section = next(task_ids), next(uuids), new_section.get(task["section_id"])
            task_lines.append(f"{task_id}\t{task_uuid}\t{doc}\t{NULL if section is None else section}\t{part.copy}\t{rule}")
            task_audits.append(f'{task_head}{task_id}\t{part.repr}\t{unit_id}\t{NULL}\t{{"id": {task_id}, '
                               f'"uuid": "{task_uuid}", "document_id": {doc}, '
                               f'"section_id": {"null" if section is None else section}, {part.json}, '
                               f'"carried_as": "{rule}"}}{tail}')
            for resolves, party in party_plans:
                party_id = next(party_ids)
                if resolves is None:
                    party_lines.append(f"{party_id}\t{task_id}\t{doc}\t{party.copy}")
                    party_audits.append(f'{party_head}{party_id}\t{party.repr}\t{unit_id}\t{NULL}\t{{"id": {party_id}, '
                                        f'"task_id": {task_id}, "document_id": {doc}, {party.json}}}{tail}')
                else:
                    code, level_code = resolves
                    committee = place.committees[level_code]
                    text, text_json, text_repr = self._label(code, committee)
                    party_lines.append(f"{party_id}\t{task_id}\t{doc}\t{text}\t{committee.pk}\t{party.copy}")
                    party_audits.append(f'{party_head}{party_id}\t{text_repr}\t{unit_id}\t{NULL}\t{{"id": {party_id}, '
                                        f'"task_id": {task_id}, "document_id": {doc}, "text": {text_json}, '
                                        f'"unit_id": {committee.pk}, {party.json}}}{tail}')
        return doc


_WRITTEN = (PlanDocument, Section, LegalBasis, Responsibility, Task, TaskParty)


# -- checks shared by the single derivation and the job -------------------------------------------------------
def _check_parent(parent_plan: PlanDocument, unit: OrgUnit) -> None:
    if not parent_plan.is_published:
        raise DerivationError("Kế hoạch cấp trên chưa ban hành", "the parent plan is not issued")
    parent_unit = parent_plan.unit
    if not (unit.is_within(parent_unit) and unit.pk != parent_unit.pk):
        raise DerivationError(f"Kế hoạch của {parent_unit.name} không phải của cấp trên của {unit.name}",
                              f"the plan of {parent_unit.code} is not a plan of a unit above {unit.code}")
    today = timezone.localdate()
    if not unit.is_active_during(today, today):
        raise DerivationError(f"{unit.name} không còn (hoặc chưa) hoạt động: không xây dựng kế hoạch mới",
                              f"{unit.code} is not active today: no new plan is derived for it")


def _lock_derivations(tree_id: int) -> None:
    """Serialize derivations in one org tree until the transaction ends: the check "has this unit a
    plan from this parent yet?" and the insert that follows must not interleave."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [DERIVATION_LOCK_NAMESPACE, tree_id])


def _index_for(units) -> tuple[_UnitIndex, _Levels]:
    levels = _Levels()
    return _UnitIndex(units, levels), levels


def _chain(unit: OrgUnit) -> list[OrgUnit]:
    return list(unit.get_ancestors(include_self=True).select_related("kind"))


# -- public API ------------------------------------------------------------------------------------------------
def rule_decisions(parent_plan: PlanDocument, unit: OrgUnit) -> list[RuleDecision]:
    """The default rule of every task of ``parent_plan`` for ``unit``, with the reason."""
    index, levels = _index_for(_chain(unit))
    place = index.place(index.by_id[unit.pk])
    content = _load_contents([parent_plan.pk])[parent_plan.pk]
    decisions = []
    for task in content.tasks:
        parties = content.parties.get(task["id"], [])
        rule, reason = _decide(parties, [_resolve(p, place, levels) for p in parties], place)
        decisions.append(RuleDecision(task["id"], task["number"], task["text"], rule, *_REASONS[reason]))
    return decisions


def default_rules(parent_plan: PlanDocument, unit: OrgUnit) -> dict[int, str]:
    """{parent task id: "carry" | "coordinate" | "omit"} as ``derive_plan`` applies them by default."""
    return {decision.task_id: decision.rule for decision in rule_decisions(parent_plan, unit)}


def derive_plan(parent_plan: PlanDocument, unit: OrgUnit, *, rules: dict | None = None, actor=None) -> PlanDocument:
    """``unit``'s own DRAFT plan from ``parent_plan`` (an issued plan of a unit above it).

    ``rules`` overrides the default rule of chosen parent tasks: {parent task id: rule}. Raises
    DerivationError when the parent plan is not issued or not above the unit, when a rule is
    unknown, or when the unit already has a plan derived from it (``error.existing``)."""
    rules = {int(task_id): str(rule) for task_id, rule in (rules or {}).items()}
    bad = {rule for rule in rules.values() if rule not in DerivationRule.values}
    if bad:
        raise DerivationError(f"Cách kế thừa không hợp lệ: {', '.join(sorted(bad))}", f"unknown rule(s): {', '.join(sorted(bad))}")
    unit = OrgUnit.objects.select_related("kind").get(pk=unit.pk)
    parent_plan = PlanDocument.objects.select_related("unit").get(pk=parent_plan.pk)
    _check_parent(parent_plan, unit)
    foreign = set(rules) - set(Task.objects.filter(document=parent_plan).values_list("pk", flat=True))
    if foreign:
        raise DerivationError("Nhiệm vụ không thuộc kế hoạch cấp trên", f"tasks {sorted(foreign)} are not in the parent plan")
    context = acting_as(actor, audit._source.get() or "web") if actor is not None else nullcontext()
    with context, transaction.atomic():
        _lock_derivations(unit.tree_id)
        existing = PlanDocument.objects.filter(unit=unit, parent_plan=parent_plan).first()
        if existing is not None:
            raise DerivationError(f"{unit.name} đã có kế hoạch xây dựng từ kế hoạch này",
                                  f"{unit.code} already has a plan derived from this plan", existing=existing)
        index, levels = _index_for(_chain(unit))
        made = _Deriver(index, levels).derive([(index.by_id[unit.pk], parent_plan.pk)], rules)
    return PlanDocument.objects.get(pk=made[unit.pk])


def party_units(parties) -> dict[int, list[OrgUnit]]:
    """The units each party stands for: its unit; for "the socio-political / member organizations"
    anchored on a committee, those organizations of that committee (one query for all)."""
    anchors = {p.unit_id for p in parties if p.unit_id and p.relative_code in ORGANIZATION_PARTIES and p.kind == PartyKind.RELATIVE}
    organizations = defaultdict(list)
    for org in (OrgUnit.objects.filter(parent_id__in=anchors, kind__category=UnitKind.Category.MEMBER_ORGANIZATION)
                .select_related("kind").order_by("lft")):
        organizations[org.parent_id].append(org)
    units = {p.unit_id: p.unit for p in parties if p.unit_id and p.unit_id not in anchors}
    result = {}
    for party in parties:
        if party.unit_id in anchors and party.kind == PartyKind.RELATIVE:
            orgs = organizations[party.unit_id]
            result[party.pk] = [o for o in orgs if o.kind.is_socio_political] if party.relative_code == SOCIO_POLITICAL else orgs
        else:
            result[party.pk] = [units[party.unit_id]] if party.unit_id else []
    return result


def can_derive(user, unit: OrgUnit) -> bool:
    """A user may derive plans for ``unit`` (and its subtree) with "add" on the unit itself, or
    "manage" on a unit above it (a province chair preparing drafts for a district)."""
    if can(user, "add", unit):
        return True
    return managing_units(user, unit).exclude(pk=unit.pk).exists()


def start_subtree_derivation(parent_plan: PlanDocument, root_unit: OrgUnit, user) -> DerivationJob:
    """What the web request calls: check, record the job, queue plans.derive_subtree after commit."""
    from plans.tasks import derive_subtree

    if not can_derive(user, root_unit):
        raise PermissionError(f"Không có quyền xây dựng kế hoạch cho {root_unit.name} / "
                              f"no permission to derive plans for {root_unit.code}")
    if not PlanDocument.objects.restrict(user).filter(pk=parent_plan.pk).exists():
        raise PermissionError("Không xem được kế hoạch nguồn / the source plan is not visible to this user")
    _check_source(parent_plan, root_unit)
    job = DerivationJob.objects.create(source_plan=parent_plan, root_unit=root_unit, requested_by=user,
                                       celery_task_id=str(uuid.uuid4()))
    transaction.on_commit(lambda: derive_subtree.apply_async([job.pk], task_id=job.celery_task_id))
    return job


def _check_source(source: PlanDocument, root: OrgUnit) -> None:
    if not source.is_published:
        raise DerivationError("Kế hoạch nguồn chưa ban hành", "the source plan is not issued")
    # Fresh tree fields: lft/rght of objects loaded earlier move when units are added.
    units = OrgUnit.objects.in_bulk([source.unit_id, root.pk])
    if not units[root.pk].is_within(units[source.unit_id]):
        raise DerivationError(f"{root.name} không thuộc {source.unit.name}",
                              f"{root.code} is not within {source.unit.code}, the source plan's unit")


# -- the subtree job -----------------------------------------------------------------------------------------------
def run_subtree_job(job_id: int) -> DerivationJob:
    """Run (or run again) a derivation job; it ends ``done`` or ``failed`` with the reason."""
    job = DerivationJob.objects.select_related("source_plan__unit", "root_unit", "requested_by").get(pk=job_id)
    if job.status == DerivationJob.Status.DONE:
        return job
    DerivationJob.objects.filter(pk=job.pk).update(status=DerivationJob.Status.RUNNING, started_at=timezone.now(),
                                                   error="", finished_at=None)
    try:
        with acting_as(job.requested_by, "job"):
            _SubtreeDerivation(job).run()
    except Exception as exc:  # recorded on the job: the page shows it, a retry completes the work
        log.exception("derivation job %s failed", job.pk)
        message = str(exc) if isinstance(exc, DerivationError) else f"Lỗi không mong đợi / unexpected error: {exc}"
        DerivationJob.objects.filter(pk=job.pk).update(status=DerivationJob.Status.FAILED, error=message,
                                                       finished_at=timezone.now())
    else:
        DerivationJob.objects.filter(pk=job.pk).update(status=DerivationJob.Status.DONE, finished_at=timezone.now())
    job.refresh_from_db()
    return job


class _SubtreeDerivation:
    """``writer_class`` is how rows reach the database (the bench swaps in per-object saves)."""

    def __init__(self, job: DerivationJob, writer_class=None):
        self.job = job
        self.writer_class = writer_class or _AuditedCopy
        self.source = job.source_plan
        self.root = OrgUnit.objects.get(pk=job.root_unit_id)  # fresh lft/rght

    def run(self) -> None:
        _check_source(self.source, self.root)
        units = list(OrgUnit.objects.within(self.root).filter(kind__category__in=DERIVED_UNIT_CATEGORIES)
                     .select_related("kind").order_by("depth", "lft"))
        above = list(self.root.get_ancestors().select_related("kind"))
        index, levels = _index_for(units + above)
        # Units a reform ended (or that begin later) get no new plan, but stay in the index: a unit
        # under an ended one derives from the nearest unit above it with a plan (_parent_plan).
        active = set(OrgUnit.objects.within(self.root).active().values_list("pk", flat=True))
        targets = [unit for unit in units if unit.pk != self.source.unit_id and unit.pk in active]
        DerivationJob.objects.filter(pk=self.job.pk).update(total=len(targets))
        # unit id -> the plan its children derive from: the source, then each unit's derived plan.
        self.plan_of = {self.source.unit_id: self.source.pk}
        done = 0
        for depth, layer in groupby(targets, key=lambda unit: unit.depth):
            layer = list(layer)
            for start in range(0, len(layer), BATCH_UNITS):
                batch = layer[start:start + BATCH_UNITS]
                done += len(batch)
                self._derive_batch(batch, index, levels, done)

    def _parent_plan(self, unit: OrgUnit, index: _UnitIndex) -> int:
        current = index.by_id.get(unit.parent_id)
        while current is not None:
            if current.pk in self.plan_of:
                return self.plan_of[current.pk]
            current = index.by_id.get(current.parent_id)
        return self.source.pk

    def _derive_batch(self, batch: list[OrgUnit], index: _UnitIndex, levels: _Levels, done: int) -> int:
        pairs = [(unit, self._parent_plan(unit, index)) for unit in batch]
        try:
            with transaction.atomic():
                _lock_derivations(self.root.tree_id)
                existing = {
                    (unit_id, parent_id): plan_id for unit_id, parent_id, plan_id in PlanDocument.objects.filter(
                        unit_id__in=[unit.pk for unit in batch], parent_plan_id__in={p for _, p in pairs},
                    ).values_list("unit_id", "parent_plan_id", "id")
                }
                missing = [(unit, parent) for unit, parent in pairs if (unit.pk, parent) not in existing]
                made = _Deriver(index, levels, self.writer_class()).derive(missing)
                # Counted in the batch's transaction: a run killed between batches and run again
                # (a redelivered task) adds to what the batches before it committed, never twice.
                DerivationJob.objects.filter(pk=self.job.pk).update(
                    done=done, created_plans=models.F("created_plans") + len(made))
        except Exception as exc:
            level = levels.by_id[batch[0].level_id]
            raise DerivationError(
                f"Không tạo được kế hoạch cho {len(batch)} đơn vị cấp {level.name} (từ {batch[0].code}): {exc}. "
                f"Các kế hoạch đã tạo trước đó được giữ nguyên; chạy lại để hoàn tất",
                f"could not derive the plans of {len(batch)} units at level {level.name_en or level.code} "
                f"(from {batch[0].code}): {exc}. Plans made before are kept; run the job again to finish",
            ) from exc
        for unit, parent in pairs:
            self.plan_of[unit.pk] = existing.get((unit.pk, parent)) or made[unit.pk]
        return len(made)
