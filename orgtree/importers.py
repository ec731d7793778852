"""Import administrative units as Front committees (with their member organizations).

Sources: the SQLite dataset shipped in the ``vietnamadminunits`` package (legacy and 2025 code
sets) or a CSV/JSON file. Each administrative unit's Front committee becomes an ``OrgUnit``.

The whole country is about 65,000 units, so the import does not save node by node (mptt would
shift lft/rght of half the tree on every insert): inside one transaction holding the tree's
advisory lock it numbers the tree in Python, bulk-creates the new nodes with their final
lft/rght/depth and corrects the existing rows in one set-based UPDATE. Existing units are matched
by (code set, administrative code), so a second import of the same data changes nothing.
"""
from __future__ import annotations

import csv
import importlib.util
import json
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from django.db import connection, transaction

from mttq_platform.audit import acting_as, bulk_create_audited
from orgtree.locking import lock_trees
from orgtree.models import CodeSet, Level, OrgUnit, UnitKind
from orgtree.services import create_unit, member_organization_code, member_organization_name

CENTRAL_COMMITTEE = {
    "code": "TW",
    "name": "Ủy ban Trung ương MTTQ Việt Nam",
    "area_name": "Việt Nam",
}
COMMITTEE_NAME_PREFIX = "Ủy ban MTTQ Việt Nam"
FILE_COLUMNS = ("code", "name", "level", "parent_code", "active_from", "active_to")
REQUIRED_COLUMNS = FILE_COLUMNS[:4]
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
# Two-word unit types; the package sometimes capitalizes the second word ("Thị Xã Mường Lay").
UNIT_TYPES = ("Thành phố", "Thị xã", "Thị trấn", "Đặc khu")
BULK_BATCH = 2000


# -- rows and errors ------------------------------------------------------------------------------
@dataclass(frozen=True)
class AdminUnitRow:
    """One administrative unit to import. ``name`` is the area's full name ("Tỉnh Điện Biên");
    ``line`` locates the row in its file for error messages (CSV line or JSON item number)."""

    admin_code: str
    name: str
    level: str  # a Level code: province, district, commune
    parent_code: str = ""  # empty: directly under the root (the central committee)
    active_from: date | None = None
    active_to: date | None = None
    line: int | None = None
    line_kind: str = "line"  # "line" (CSV) or "item" (JSON)


@dataclass(frozen=True)
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


_LOCATION_WORDS = {"line": ("Dòng", "Line"), "item": ("Mục", "Item")}


class UnitImportError(Exception):
    """Import refused; the message is given in Vietnamese and English, with the row's location."""

    def __init__(self, message_vi: str, message_en: str, *, line: int | None = None, line_kind: str = "line"):
        self.message_vi, self.message_en, self.line, self.line_kind = message_vi, message_en, line, line_kind
        super().__init__(str(self))

    @classmethod
    def at(cls, row: AdminUnitRow, message_vi: str, message_en: str):
        return cls(message_vi, message_en, line=row.line, line_kind=row.line_kind)

    def __str__(self):
        if self.line is None:
            return f"{self.message_vi} / {self.message_en}"
        word_vi, word_en = _LOCATION_WORDS[self.line_kind]
        return f"{word_vi} {self.line}: {self.message_vi} / {word_en} {self.line}: {self.message_en}"


class ImportFileError(UnitImportError):
    """The file is malformed or inconsistent."""


# -- the vietnamadminunits dataset ----------------------------------------------------------------
def package_data_path(name: str) -> Path:
    """A file of the package's ``data`` folder (``dataset.db``, ``converter_2025.json``)."""
    # find_spec locates the package without importing it (its import pulls in pandas: slow).
    spec = importlib.util.find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:
        raise UnitImportError("chưa cài gói vietnamadminunits", "the vietnamadminunits package is not installed")
    return Path(spec.submodule_search_locations[0]) / "data" / name


def read_vietnamadminunits(code_set: str = "legacy", province_codes=None) -> list[AdminUnitRow]:
    """Provinces, districts (legacy set only) and communes of the package's dataset, parents first.

    Some legacy districts have no commune (island districts such as Bạch Long Vĩ), so each unit
    is taken once whatever the number of rows it appears on.
    """
    if code_set == "legacy":
        sql = ("SELECT provinceCode, province, districtCode, district, wardCode, ward "
               "FROM admin_units_legacy ORDER BY provinceCode, districtCode, wardCode")
    elif code_set == "2025":
        sql = ("SELECT provinceCode, province, NULL, NULL, wardCode, ward "
               "FROM admin_units ORDER BY provinceCode, wardCode")
    else:
        raise UnitImportError(f"bộ mã '{code_set}' không có trong gói vietnamadminunits (dùng legacy hoặc 2025)",
                              f"code set '{code_set}' is not in the vietnamadminunits package (use legacy or 2025)")
    with sqlite3.connect(f"file:{package_data_path('dataset.db')}?mode=ro", uri=True) as db:
        records = db.execute(sql).fetchall()

    wanted = set(province_codes or ())
    unknown = wanted - {record[0] for record in records}
    if unknown:
        codes = ", ".join(sorted(unknown))
        raise UnitImportError(f"không có tỉnh/thành phố mã {codes} trong bộ mã {code_set}",
                              f"no province with code {codes} in code set {code_set}")
    rows: dict[str, AdminUnitRow] = {}  # insertion order: each parent before its children
    for province_code, province, district_code, district, ward_code, ward in records:
        if wanted and province_code not in wanted:
            continue
        if province_code not in rows:
            rows[province_code] = AdminUnitRow(province_code, _unit_type_case(province), "province")
        parent = province_code
        if district_code:
            if district_code not in rows:
                rows[district_code] = AdminUnitRow(district_code, _unit_type_case(district), "district", province_code)
            parent = district_code
        if ward_code and ward_code not in rows:
            rows[ward_code] = AdminUnitRow(ward_code, _unit_type_case(ward), "commune", parent)
    return list(rows.values())


def _unit_type_case(name: str) -> str:
    """'Thị Xã Mường Lay' -> 'Thị xã Mường Lay'."""
    for unit_type in UNIT_TYPES:
        if name.lower().startswith(unit_type.lower() + " "):
            return unit_type + name[len(unit_type):]
    return name


# -- CSV and JSON files ---------------------------------------------------------------------------
def read_file(path) -> list[AdminUnitRow]:
    """Rows of a CSV file (header: code,name,level,parent_code[,active_from,active_to]) or a JSON
    file (a list of objects with the same keys). Raises ImportFileError naming the line or item."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise ImportFileError(f"định dạng tệp '{path.name}' không được hỗ trợ (dùng .csv hoặc .json)",
                              f"unsupported file type '{path.name}' (use .csv or .json)")
    try:
        text = path.read_text(encoding="utf-8-sig")  # -sig: Excel writes a byte-order mark
    except OSError as exc:
        raise ImportFileError(f"không đọc được tệp '{path}' ({exc.strerror})",
                              f"cannot read file '{path}' ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise ImportFileError("tệp không phải UTF-8", "the file is not UTF-8 encoded") from exc
    records = _csv_records(text) if suffix == ".csv" else _json_records(text)
    levels = _importable_levels()
    rows, first_seen = [], {}
    for line, line_kind, record in records:
        row = _parse_record(record, line, line_kind, levels)
        if row.admin_code in first_seen:
            raise ImportFileError.at(
                row, f"mã đơn vị '{row.admin_code}' bị trùng (đã có ở {first_seen[row.admin_code]})",
                f"duplicate unit code '{row.admin_code}' (already at {first_seen[row.admin_code]})")
        first_seen[row.admin_code] = f"{_LOCATION_WORDS[line_kind][0].lower()} {line}"
        rows.append(row)
    if not rows:
        raise ImportFileError("tệp không có đơn vị nào", "the file contains no units")
    return rows


def _csv_records(text: str):
    reader = csv.DictReader(text.splitlines(keepends=True), restkey="__extra__")
    missing = [column for column in REQUIRED_COLUMNS if column not in (reader.fieldnames or ())]
    if missing:
        columns = ", ".join(missing)
        raise ImportFileError(f"dòng tiêu đề thiếu cột {columns} (cần: {','.join(FILE_COLUMNS)})",
                              f"the header lacks column(s) {columns} (expected: {','.join(FILE_COLUMNS)})", line=1)
    for record in reader:
        if record.get("__extra__"):
            raise ImportFileError("dòng có nhiều cột hơn dòng tiêu đề", "the line has more fields than the header",
                                  line=reader.line_num)
        if not any((value or "").strip() for value in record.values()):
            continue  # blank line
        yield reader.line_num, "line", record


def _json_records(text: str):
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError(f"JSON không hợp lệ ({exc.msg})", f"invalid JSON ({exc.msg})", line=exc.lineno) from exc
    if not isinstance(data, list):
        raise ImportFileError("tệp JSON phải là một danh sách các đơn vị", "the JSON file must be a list of units")
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise ImportFileError("mỗi mục phải là một đối tượng JSON", "each item must be a JSON object",
                                  line=number, line_kind="item")
        yield number, "item", item


def _importable_levels() -> set[str]:
    """Levels a file may use: those with a Front committee kind, below the central level."""
    return set(UnitKind.objects.filter(category=UnitKind.Category.FRONT_COMMITTEE, level__rank__gt=0)
               .values_list("level__code", flat=True))


def _parse_record(record: dict, line: int, line_kind: str, levels: set[str]) -> AdminUnitRow:
    def fail(message_vi, message_en):
        return ImportFileError(message_vi, message_en, line=line, line_kind=line_kind)

    def text(key) -> str:
        value = record.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise fail(f"giá trị của '{key}' phải là chuỗi ký tự", f"'{key}' must be a string")
        return value.strip()

    def day(key) -> date | None:
        value = text(key)
        if not value:
            return None
        for fmt in DATE_FORMATS:
            try:
                return datetime.strptime(value, fmt).date()
            except ValueError:
                pass
        raise fail(f"ngày '{value}' ở cột {key} không hợp lệ (dùng YYYY-MM-DD hoặc DD/MM/YYYY)",
                   f"invalid date '{value}' in column {key} (use YYYY-MM-DD or DD/MM/YYYY)")

    code, name, level, parent_code = text("code"), text("name"), text("level"), text("parent_code")
    if not code:
        raise fail("thiếu mã đơn vị", "missing unit code")
    if not name:
        raise fail("thiếu tên đơn vị", "missing unit name")
    if level not in levels:
        allowed = ", ".join(sorted(levels))
        raise fail(f"cấp '{level}' không hợp lệ (dùng: {allowed})", f"unknown level '{level}' (use: {allowed})")
    if parent_code == code:
        raise fail("đơn vị không thể là cấp trên của chính nó", "a unit cannot be its own parent")
    active_from, active_to = day("active_from"), day("active_to")
    if active_from and active_to and active_to < active_from:
        raise fail("ngày kết thúc hoạt động trước ngày bắt đầu", "active_to is before active_from")
    return AdminUnitRow(code, name, level, parent_code, active_from, active_to, line, line_kind)


# -- the import ------------------------------------------------------------------------------------
def committee_area_name(name: str) -> str:
    """'Tỉnh Điện Biên' -> 'tỉnh Điện Biên', as it reads inside a committee's name."""
    return name[:1].lower() + name[1:]


def committee_name(area_name: str) -> str:
    return f"{COMMITTEE_NAME_PREFIX} {area_name}"


def import_units(rows, *, code_set: str, root: OrgUnit | None = None, member_organizations: bool = True,
                 actor=None) -> ImportResult:
    """Create or update the Front committees of ``rows`` (and their member organizations) under
    ``root`` (default: the central committee TW, created when missing). One transaction: on any
    error nothing is imported. Every created or changed unit is audited, attributed to ``actor``."""
    with acting_as(actor, "import"), transaction.atomic():
        return _TreeImport(list(rows), code_set, member_organizations).run(root)


def central_committee() -> tuple[OrgUnit, bool]:
    """The root of the tree (TW), and whether it was created now."""
    root = OrgUnit.objects.filter(code=CENTRAL_COMMITTEE["code"]).first()
    if root is not None:
        return root, False
    return create_unit(kind=UnitKind.objects.get(code="central_committee"), **CENTRAL_COMMITTEE), True


class _TreeImport:
    """One import run. New nodes are keyed by negative numbers (-1, -2, ...) until they have ids,
    existing ones by their id, so both can sit in one children map for numbering."""

    def __init__(self, rows: list[AdminUnitRow], code_set: str, member_organizations: bool):
        self.code_set = CodeSet.objects.filter(code=code_set).first()
        if self.code_set is None:
            raise UnitImportError(f"không có bộ mã '{code_set}'", f"unknown code set '{code_set}'")
        kinds = UnitKind.objects.filter(category=UnitKind.Category.FRONT_COMMITTEE, level__isnull=False)
        self.committee_kinds = {}
        for kind in kinds.select_related("level").order_by("id"):
            self.committee_kinds.setdefault(kind.level.code, kind)
        self.member_kinds = (list(UnitKind.objects.filter(category=UnitKind.Category.MEMBER_ORGANIZATION)
                                  .order_by("id")) if member_organizations else [])
        self.rows = rows
        self.level_ranks = dict(Level.objects.values_list("id", "rank"))
        self.new: list[OrgUnit] = []  # new units; self.new[i] has key -(i + 1)
        self.children: dict[int, list[int]] = defaultdict(list)  # new children only, in order
        self.parent_of: dict[int, int] = {}  # new key -> its parent's key
        self.moves: dict[int, int] = {}  # existing unit id -> key of its new parent
        self.changes: dict[int, dict] = {}  # existing unit id -> changed fields
        self.unchanged = 0

    def _add_new(self, unit: OrgUnit, parent_key: int) -> int:
        self.new.append(unit)
        key = -len(self.new)
        self.children[parent_key].append(key)
        self.parent_of[key] = parent_key
        return key

    def _unit(self, key: int) -> OrgUnit | None:
        """The new unit of a negative key; None for an existing unit's id."""
        return self.new[-key - 1] if key < 0 else None

    def run(self, root: OrgUnit | None) -> ImportResult:
        root_created = False
        if root is None:
            root, root_created = central_committee()
        lock_trees({root.tree_id})
        root.refresh_from_db()
        self.taken_codes = set(OrgUnit.objects.values_list("code", flat=True))
        committees = [(root.pk, root)]  # (key, a unit carrying the committee's code and area)
        committees += self._plan_committees(root)
        if self.member_kinds:
            self._plan_member_organizations(committees)
        if self.new:
            self._create_new_units()
        self._apply_changes()
        return ImportResult(created=len(self.new) + root_created, updated=len(self.changes), unchanged=self.unchanged)

    def _plan_committees(self, root: OrgUnit) -> list[tuple[int, OrgUnit]]:
        existing = {
            values["admin_code"]: values
            for values in OrgUnit.objects.filter(code_set=self.code_set).exclude(admin_code="").values(
                "id", "admin_code", "code", "name", "area_name", "parent_id", "level_id", "active_from", "active_to")
        }
        # admin code -> (key, level rank) of every possible parent: this set's existing units,
        # overridden by this import's rows as they are planned.
        parents = {code: (values["id"], self.level_ranks[values["level_id"]]) for code, values in existing.items()}
        planned: set[str] = set()
        committees = []
        # Parents sit at a lower rank than their children, so sorting by rank (stable: the
        # source's order among siblings is kept) puts every parent before its children.
        rank_of_level = {code: kind.level.rank for code, kind in self.committee_kinds.items()}
        for row in sorted(self.rows, key=lambda row: rank_of_level.get(row.level, -1)):
            kind = self.committee_kinds.get(row.level)
            if kind is None:
                raise ImportFileError.at(row, f"cấp '{row.level}' không hợp lệ", f"unknown level '{row.level}'")
            if row.admin_code in planned:
                raise ImportFileError.at(row, f"mã đơn vị '{row.admin_code}' bị trùng",
                                         f"duplicate unit code '{row.admin_code}'")
            planned.add(row.admin_code)
            parent_key = self._parent_key(row, root, parents, kind.level.rank)
            area = committee_area_name(row.name)
            fields = {"name": committee_name(area), "area_name": area}
            fields.update({f: getattr(row, f) for f in ("active_from", "active_to") if getattr(row, f)})
            current = existing.get(row.admin_code)
            if current is None:
                unit = OrgUnit(admin_code=row.admin_code, code=self._free_code(row), code_set=self.code_set,
                               kind=kind, level_id=kind.level_id, **fields)
                key = self._add_new(unit, parent_key)
                parents[row.admin_code] = (key, kind.level.rank)
                committees.append((key, unit))
                continue
            parents[row.admin_code] = (current["id"], kind.level.rank)
            changed = {f: v for f, v in fields.items() if current[f] != v}
            if parent_key != current["parent_id"]:
                self.moves[current["id"]] = parent_key
            if changed or current["id"] in self.moves:
                self.changes[current["id"]] = changed
            else:
                self.unchanged += 1
            dates = {f: current[f] for f in ("active_from", "active_to")}
            committees.append((current["id"], OrgUnit(
                id=current["id"], code=current["code"], level_id=current["level_id"], **{**dates, **fields})))
        return committees

    @staticmethod
    def _parent_key(row: AdminUnitRow, root: OrgUnit, parents: dict, rank: int) -> int:
        """Key of the row's parent committee: a row met before, an existing unit of the same code
        set, or the root when the row names no parent."""
        if not row.parent_code:
            return root.pk
        if row.parent_code not in parents:
            raise ImportFileError.at(row, f"không tìm thấy đơn vị cấp trên có mã '{row.parent_code}'",
                                     f"unknown parent code '{row.parent_code}'")
        parent_key, parent_rank = parents[row.parent_code]
        if parent_rank >= rank:
            raise ImportFileError.at(row, f"đơn vị cấp trên '{row.parent_code}' không ở cấp cao hơn",
                                     f"parent '{row.parent_code}' is not at a higher level")
        return parent_key

    def _free_code(self, row: AdminUnitRow) -> str:
        """The admin code itself, or ``<code>-<code set>`` when another set already uses it
        (03127 is Phường Him Lam in the legacy set and Phường Điện Biên Phủ in the 2025 set)."""
        for code in (row.admin_code, f"{row.admin_code}-{self.code_set.code}"):
            if code not in self.taken_codes:
                self.taken_codes.add(code)
                return code
        raise ImportFileError.at(row, f"mã đơn vị '{row.admin_code}' đã được dùng",
                                 f"unit code '{row.admin_code}' is already in use")

    def _plan_member_organizations(self, committees: list[tuple[int, OrgUnit]]) -> None:
        existing_ids = [key for key, _ in committees if key > 0]
        present = defaultdict(dict)  # committee id -> {kind id: (id, name)}
        for unit_id, parent_id, kind_id, name in OrgUnit.objects.filter(
                parent_id__in=existing_ids, kind__in=self.member_kinds).values_list("id", "parent_id", "kind_id", "name"):
            present[parent_id][kind_id] = (unit_id, name)
        for key, committee in committees:
            for kind in self.member_kinds:
                name = member_organization_name(committee, kind)
                if kind.pk not in present.get(key, {}):
                    code = member_organization_code(committee, kind)
                    if code in self.taken_codes:
                        raise UnitImportError(f"mã đơn vị '{code}' đã được dùng", f"unit code '{code}' is already in use")
                    self.taken_codes.add(code)
                    self._add_new(OrgUnit(code=code, name=name, kind=kind, level_id=committee.level_id,
                                          area_name=committee.area_name, active_from=committee.active_from,
                                          active_to=committee.active_to), key)
                    continue
                unit_id, current_name = present[key][kind.pk]
                # Follow a renamed committee; otherwise leave the organization as it is.
                if "area_name" in self.changes.get(key, {}) and current_name != name:
                    self.changes[unit_id] = {"name": name, "area_name": committee.area_name}
                else:
                    self.unchanged += 1

    def _create_new_units(self) -> None:
        """Number every tree that gets new nodes, then write them layer by layer (a layer's parents
        exist before it, so bulk_create fills parent_id from the saved parent)."""
        parent_keys = {key for key in self.children if key > 0}
        tree_ids = set(OrgUnit.objects.filter(pk__in=parent_keys).values_list("tree_id", flat=True).distinct())
        lock_trees(tree_ids)
        existing_updates = []
        for tree_id in sorted(tree_ids):
            existing_updates += self._number_tree(tree_id)
        if existing_updates:
            self._update_positions(existing_updates)
        by_depth = defaultdict(list)
        for unit in self.new:
            by_depth[unit.depth].append(unit)
        for depth in sorted(by_depth):
            bulk_create_audited(OrgUnit, by_depth[depth], batch_size=BULK_BATCH)

    def _number_tree(self, tree_id: int) -> list[tuple[int, int, int, int]]:
        """Give lft/rght/depth to the new nodes of one tree, appended as last children of their
        parents, and return (id, lft, rght, depth) of the existing nodes whose values change."""
        children = defaultdict(list)
        old = {}
        root_id = None
        for unit_id, parent_id, lft, rght, depth in OrgUnit.objects.filter(tree_id=tree_id).order_by("lft").values_list(
                "id", "parent_id", "lft", "rght", "depth"):
            old[unit_id] = (lft, rght, depth)
            if parent_id is None:
                root_id = unit_id
            else:
                children[parent_id].append(unit_id)
        for parent_key, new_keys in self.children.items():
            if parent_key < 0 or parent_key in old:
                children[parent_key].extend(new_keys)
        changed = []
        counter = 1
        stack = [(root_id, 0, False)]
        lefts = {}
        while stack:
            key, depth, leaving = stack.pop()
            if not leaving:
                lefts[key] = counter
                counter += 1
                stack.append((key, depth, True))
                stack.extend((child, depth + 1, False) for child in reversed(children.get(key, ())))
                continue
            values = (lefts[key], counter, depth)
            counter += 1
            if key < 0:
                unit = self._unit(key)
                unit.lft, unit.rght, unit.depth, unit.tree_id = *values, tree_id
                parent_key = self.parent_of[key]
                if parent_key < 0:
                    unit.parent = self._unit(parent_key)  # its id is known once its layer is saved
                else:
                    unit.parent_id = parent_key
            elif old[key] != values:
                changed.append((key, *values))
        return changed

    @staticmethod
    def _update_positions(rows: list[tuple[int, int, int, int]]) -> None:
        ids, lfts, rghts, depths = (list(column) for column in zip(*rows))
        table = OrgUnit._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"""UPDATE {table} AS unit SET lft = new.lft, rght = new.rght, depth = new.depth
                    FROM unnest(%s::bigint[], %s::integer[], %s::integer[], %s::integer[])
                         AS new(id, lft, rght, depth)
                    WHERE unit.id = new.id""",
                [ids, lfts, rghts, depths],
            )

    def _apply_changes(self) -> None:
        """Renames and moves of existing units: few, so saved one by one (audited by signals)."""
        for unit in OrgUnit.objects.filter(pk__in=list(self.changes)).order_by("depth"):
            for field, value in self.changes[unit.pk].items():
                setattr(unit, field, value)
            target_key = self.moves.get(unit.pk)
            if target_key is None:
                # Only the changed fields: the loaded lft/rght may be stale after earlier moves.
                unit.save(update_fields=list(self.changes[unit.pk]))
                continue
            target = self._unit(target_key) or OrgUnit(pk=target_key)
            unit.move_to(target, "last-child")  # move_to saves the unit with its new fields
