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
  with six queries, the new rows built in memory with ids drawn from the sequences in one query
  per table, and written with PostgreSQL COPY, audit rows included (one per created row, as
  ``bulk_create_audited`` writes them). A batch is one transaction: a failure leaves no half-made
  plan, and the batches before it stay. The number of queries depends on the depth of the tree
  and the number of batches, not on the number of units.
* **Idempotent.** A unit that already has a plan derived from the parent plan in its chain is
  skipped (its plan becomes the parent of its children), under an advisory lock per tree; a
  partial unique index on (unit, parent_plan) (migration 0002) is the last guard.
"""
from __future__ import annotations

import io
import logging
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


def _resolve(party: dict, place: _Place, levels: _Levels) -> _Resolved:
    limit = levels.by_id.get(party["level_limit_id"])
    target = limit or levels.by_code.get(party["scope"]) or place.level
    if limit is not None and limit.rank < place.level.rank:
        return _Resolved(None, False, False)  # "(đối với cấp tỉnh)" in a district's plan
    below = target.rank > place.level.rank
    front = FRONT_PARTIES.get(party["relative_code"])
    committee = place.committees.get(target.code)
    if front is None or below or committee is None:
        return _Resolved(dict(party), False, below)  # kept as written
    kind, label = front
    row = {**party, "kind": kind, "unit_id": committee.pk, "text": label(committee)}
    here = target.rank == place.level.rank
    return _Resolved(row, here and place.is_named_by(party["relative_code"]), False)


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
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})
# One encoder for every value: json.dumps(cls=...) would build a new one per row (the audit rows
# alone are half of what is written).
_JSON = DjangoJSONEncoder(ensure_ascii=False)


def _copy_converter(field):
    if isinstance(field, models.JSONField):
        return lambda value: _JSON.encode(value).translate(_COPY_ESCAPES)
    if isinstance(field, models.BooleanField):
        return lambda value: "t" if value else "f"
    return lambda value: str(value).translate(_COPY_ESCAPES)


def copy_rows(model, rows: list[dict], columns: list | None = None) -> None:
    """Write ``rows`` (dicts by attname, ids included) into ``model``'s table with one COPY."""
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if columns is None or f.attname in columns]
    converters = [(f.attname, _copy_converter(f)) for f in fields]
    lines = ["\t".join("\\N" if (value := row[name]) is None else convert(value) for name, convert in converters)
             for row in rows]
    buffer = io.BytesIO(("\n".join(lines) + "\n").encode())
    columns_sql = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns_sql}) FROM STDIN", buffer)


def allocate_ids(model, count: int) -> list[int]:
    """``count`` ids from the model's sequence, in one query (concurrent inserts get others)."""
    if count <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count])
        return [row[0] for row in cursor.fetchall()]


class _AuditedCopy:
    """COPY of new rows plus one audit row per row, as ``bulk_create_audited`` records them (action
    "create", the row as "after", the unit of the row's document) in the current audit context."""

    def __init__(self):
        self.actor = current_actor()
        # The same context variables bulk_create_audited's entries read.
        self.source = audit._source.get() or "system"
        self.request_id = audit._request_id.get()
        self.now = timezone.now()
        self.copies = 0
        self._audit_fields = ["at", "actor_id", "action", "content_type_id", "object_id", "object_repr", "unit_id",
                              "before", "after", "source", "request_id"]

    def write(self, model, rows: list[dict], unit_ids: list[int], reprs: list[str]) -> None:
        copy_rows(model, rows)
        content_type_id = ContentType.objects.get_for_model(model).pk  # cached after the first
        exclude = set(getattr(model, "audit_exclude", ()))
        actor_id = self.actor.pk if self.actor is not None else None
        entries = [
            {"at": self.now, "actor_id": actor_id, "action": "create", "content_type_id": content_type_id,
             "object_id": str(row["id"]), "object_repr": text[:255], "unit_id": unit_id, "before": None,
             "after": {k: v for k, v in row.items() if k not in exclude} if exclude else row,
             "source": self.source, "request_id": self.request_id}
            for row, unit_id, text in zip(rows, unit_ids, reprs)
        ]
        copy_rows(AuditLog, entries, columns=self._audit_fields)
        self.copies += 2


def _repr(model, row: dict) -> str:
    # The models' __str__ read plain attributes; a namespace spares building 10^6 model instances.
    return model.__str__(SimpleNamespace(**row))


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


class _Deriver:
    """Builds and writes the derived plans of one batch of units."""

    def __init__(self, index: _UnitIndex, levels: _Levels, writer=None):
        self.index, self.levels = index, levels
        self.writer = writer or _AuditedCopy()

    def derive(self, pairs, overrides: dict | None = None) -> dict[int, int]:
        """Derive a plan for each (unit, parent plan id); return unit id -> new plan id."""
        if not pairs:
            return {}
        contents = _load_contents({plan_id for _, plan_id in pairs})
        self._allocate(pairs, contents)
        rows = defaultdict(list)  # model -> rows;  (unit id of each row, repr) kept beside them
        units_of = defaultdict(list)
        made = {}
        for unit, plan_id in pairs:
            made[unit.pk] = self._derive_one(self.index.place(unit), contents[plan_id], overrides or {}, rows, units_of)
        for model in (PlanDocument, Section, LegalBasis, Responsibility, Task, TaskParty):
            reprs = [str(PlanDocument(**row)) if model is PlanDocument else _repr(model, row) for row in rows[model]]
            self.writer.write(model, rows[model], units_of[model], reprs)
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
        self.ids = {model: iter(allocate_ids(model, count)) for model, count in need.items()}

    def _add(self, model, row: dict, unit_id: int, rows, units_of, row_id: int | None = None) -> dict:
        row["id"] = row_id or next(self.ids[model])
        rows[model].append(row)
        units_of[model].append(unit_id)
        return row

    def _derive_one(self, place: _Place, content: _PlanContent, overrides: dict, rows, units_of) -> int:
        unit, parent = place.unit, content.document
        parent_unit = self.index.by_id[parent["unit_id"]]
        now = self.writer.now
        is_committee = place.is_committee
        issuer = f"{unit.name.upper()}\nBAN THƯỜNG TRỰC" if is_committee else unit.name.upper()
        basis_text = _parent_basis_text(parent, parent_unit)
        document = self._add(PlanDocument, {
            **parent, "uuid": uuid.uuid4(), "unit_id": unit.pk, "number": "", "symbol": parent["symbol"] if is_committee else "",
            "issuer_text": issuer, "place": "", "date": None, "status": DocumentStatus.DRAFT, "version": 1,
            "issued_at": None, "parent_plan_id": parent["id"],
            "preamble": f"Thực hiện {basis_text}, {_party_label(unit)} xây dựng Kế hoạch triển khai thực hiện "
                        f"trên địa bàn {place.committee.area_name or place.committee.name}, cụ thể như sau:",
            "closing": "", "signer_title": "", "signer_name": "", "recipients": [], "unrecognized": [], "source_name": "",
            "created_by_id": self.writer.actor.pk if self.writer.actor else None, "created_at": now, "updated_at": now,
        }, unit.pk, rows, units_of)
        doc_id = document["id"]

        def add(model, row, row_id=None):
            row["document_id"] = doc_id
            return self._add(model, row, unit.pk, rows, units_of, row_id)

        # Ids first: a subsection's parent may come after it.
        new_section = {section["id"]: next(self.ids[Section]) for section in content.sections}
        for section in content.sections:
            add(Section, {**section, "parent_id": new_section.get(section["parent_id"])}, new_section[section["id"]])
        for basis in content.legal_bases:
            add(LegalBasis, dict(basis))
        last_order = max((basis["order"] for basis in content.legal_bases), default=-1)
        add(LegalBasis, {**_blank_row(LegalBasis), "order": last_order + 1, "text": basis_text,
                         "reference": "/".join(p for p in (parent["number"], parent["symbol"]) if p)[:60] if parent["number"] else "",
                         "reference_date": parent["date"], "referenced_document_id": parent["id"]})
        for responsibility in content.responsibilities:
            add(Responsibility, dict(responsibility))
        for task in content.tasks:
            parties = content.parties.get(task["id"], [])
            resolved = [_resolve(party, place, self.levels) for party in parties]
            rule = overrides.get(task["id"]) or _decide(parties, resolved, place)[0]
            if rule == DerivationRule.OMIT:
                continue
            new_task = add(Task, {**task, "uuid": uuid.uuid4(), "section_id": new_section.get(task["section_id"]),
                                  "parent_task_id": task["id"], "carried_as": rule})
            for result in resolved:
                if result.row is not None:
                    result.row["task_id"] = new_task["id"]
                    add(TaskParty, result.row)
        return doc_id


# -- checks shared by the single derivation and the job -------------------------------------------------------
def _check_parent(parent_plan: PlanDocument, unit: OrgUnit) -> None:
    if not parent_plan.is_published:
        raise DerivationError("Kế hoạch cấp trên chưa ban hành", "the parent plan is not issued")
    parent_unit = parent_plan.unit
    if not (unit.is_within(parent_unit) and unit.pk != parent_unit.pk):
        raise DerivationError(f"Kế hoạch của {parent_unit.name} không phải của cấp trên của {unit.name}",
                              f"the plan of {parent_unit.code} is not a plan of a unit above {unit.code}")


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
    return OrgUnit.objects.restrict(user, "manage").filter(
        tree_id=unit.tree_id, lft__lt=unit.lft, rght__gt=unit.rght).exists()


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
        targets = [unit for unit in units if unit.pk != self.source.unit_id]
        DerivationJob.objects.filter(pk=self.job.pk).update(total=len(targets))
        # unit id -> the plan its children derive from: the source, then each unit's derived plan.
        self.plan_of = {self.source.unit_id: self.source.pk}
        done = created = 0
        for depth, layer in groupby(targets, key=lambda unit: unit.depth):
            layer = list(layer)
            for start in range(0, len(layer), BATCH_UNITS):
                batch = layer[start:start + BATCH_UNITS]
                created += self._derive_batch(batch, index, levels)
                done += len(batch)
                DerivationJob.objects.filter(pk=self.job.pk).update(done=done, created_plans=created)

    def _parent_plan(self, unit: OrgUnit, index: _UnitIndex) -> int:
        current = index.by_id.get(unit.parent_id)
        while current is not None:
            if current.pk in self.plan_of:
                return self.plan_of[current.pk]
            current = index.by_id.get(current.parent_id)
        return self.source.pk

    def _derive_batch(self, batch: list[OrgUnit], index: _UnitIndex, levels: _Levels) -> int:
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
