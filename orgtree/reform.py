"""The 2025 administrative reform, applied to one province's tree (docs/decisions/0009-reform.md).

From 1 July 2025 the districts stopped and the communes were merged; 63 provinces became 34. For one
province of the 2025 code set this service, in one transaction under the tree lock:

- finds the legacy provinces merged into it, and which legacy commune went to which new commune,
  in the ``vietnamadminunits`` package's conversion data (keys) and dataset (codes);
- keeps the province's Front committee when it was not merged (Điện Biên: unit 11 carries on with
  its people and plans), else creates the new province committee under the central committee;
- creates the 2025 communes and their member organizations under it through the importer
  (``active_from`` 1 July 2025, code set 2025, a reused code becomes ``<code>-2025``);
- ends everything below the legacy districts (and the merged provinces themselves) on 30 June
  2025: ended units stay where they are, with their plans and reports;
- records the successions: old commune -> new commune(s) (a divided one has several), district
  without communes (island districts) -> its special zone, merged province -> new province, and
  the same between their member organizations of the same kind.

A second run finds everything in place and writes nothing. A dry run does the work in a savepoint
and rolls it back, so what it reports is exactly what the run would do.
"""
from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date

from django.db import transaction
from django.db.models import Max, Q

from mttq_platform.audit import acting_as, bulk_create_audited, update_audited
from orgtree.importers import UnitImportError, import_units, package_data_path, read_vietnamadminunits
from orgtree.locking import lock_trees
from orgtree.models import OrgUnit, UnitKind, UnitSuccession

LAST_LEGACY_DAY = date(2025, 6, 30)
REFORM_DAY = date(2025, 7, 1)
LEGACY, REFORMED = "legacy", "2025"
MEMBER_ORGANIZATION = UnitKind.Category.MEMBER_ORGANIZATION
EXAMPLES = 5  # codes named in an error message


class ReformError(UnitImportError):
    """The reform was refused; nothing was changed. Vietnamese and English, as the importer's."""


def _codes(codes) -> str:
    codes = sorted(codes)
    more = f" (+{len(codes) - EXAMPLES})" if len(codes) > EXAMPLES else ""
    return ", ".join(codes[:EXAMPLES]) + more


# -- the conversion data ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Conversion:
    """One 2025 province in the package's terms: administrative codes, no units yet."""

    province_code: str
    province_name: str
    legacy_province_codes: tuple[str, ...]
    # (legacy code, 2025 commune code): a legacy commune, or a legacy district that had no commune
    # (island districts such as Côn Đảo became special zones), and where it went.
    links: tuple[tuple[str, str], ...]


def read_conversion(province_code: str) -> Conversion:
    """The legacy provinces and communes behind one 2025 province. The converter keys units by
    normalized names ("tinhdienbien_thanhphodienbienphu_phuonghimlam"); the dataset maps them to
    codes."""
    converter = json.loads(package_data_path("converter_2025.json").read_text(encoding="utf-8"))
    with sqlite3.connect(f"file:{package_data_path('dataset.db')}?mode=ro", uri=True) as db:
        found = db.execute("SELECT provinceKey, province FROM admin_units WHERE provinceCode = ? LIMIT 1",
                           [province_code]).fetchone()
        if found is None:
            raise _unknown_province(db, converter, province_code)
        province_key, province_name = found
        new_wards = dict(db.execute("SELECT wardKey, wardCode FROM admin_units WHERE provinceCode = ?",
                                    [province_code]))
        legacy_keys = converter["DICT_PROVINCE"].get(province_key, [])
        marks = ",".join("?" * len(legacy_keys))
        legacy_provinces = dict(db.execute(
            f"SELECT DISTINCT provinceKey, provinceCode FROM admin_units_legacy WHERE provinceKey IN ({marks})",
            legacy_keys))
        # A district without communes appears once, with no ward: its key ends with "_".
        legacy_units = {
            key: code for key, code in db.execute(
                "SELECT provinceKey || '_' || districtKey || '_' || coalesce(wardKey, ''), "
                f"coalesce(wardCode, districtCode) FROM admin_units_legacy WHERE provinceKey IN ({marks})",
                legacy_keys)
        }
    pairs = [(old, new) for new, olds in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].get(province_key, {}).items()
             for old in olds]
    divided = converter["DICT_PROVINCE_WARD_DIVIDED"].get(province_key, {})
    pairs += [(old, new["newWardKey"]) for old, news in divided.items() for new in news]
    unresolved = ({old for old, _new in pairs if old not in legacy_units}
                  | {new for _old, new in pairs if new not in new_wards})
    if not legacy_provinces or len(legacy_provinces) != len(legacy_keys) or unresolved:
        raise ReformError(f"dữ liệu chuyển đổi của gói vietnamadminunits cho tỉnh mã {province_code} không khớp "
                          f"với bộ dữ liệu ({_codes(unresolved)})",
                          f"the vietnamadminunits conversion data for province {province_code} does not match "
                          f"its dataset ({_codes(unresolved)})")
    links = dict.fromkeys((legacy_units[old], new_wards[new]) for old, new in pairs)  # ordered, no repeats
    return Conversion(province_code, province_name, tuple(legacy_provinces[key] for key in legacy_keys), tuple(links))


def _unknown_province(db, converter, code: str) -> ReformError:
    legacy = db.execute("SELECT provinceKey, province FROM admin_units_legacy WHERE provinceCode = ? LIMIT 1",
                        [code]).fetchone()
    merged_into = next((new for new, olds in converter["DICT_PROVINCE"].items() if legacy and legacy[0] in olds), None)
    if merged_into is not None:
        new_code, new_name = db.execute("SELECT provinceCode, province FROM admin_units WHERE provinceKey = ? LIMIT 1",
                                        [merged_into]).fetchone()
        return ReformError(f"mã {code} ({legacy[1]}) không còn trong bộ mã 2025: đã hợp nhất vào {new_name}, "
                           f"hãy dùng --province {new_code}",
                           f"code {code} ({legacy[1]}) is not in the 2025 code set: it was merged into {new_name}, "
                           f"use --province {new_code}")
    return ReformError(f"không có tỉnh/thành phố mã {code} trong bộ mã 2025",
                       f"no province with code {code} in the 2025 code set")


# -- the reform ------------------------------------------------------------------------------------
@dataclass
class ReformResult:
    province: str  # code of the 2025 province's Front committee
    continued: bool  # the legacy province committee carries on (not merged)
    ended: list[str] = field(default_factory=list)  # codes, in tree order
    created: list[str] = field(default_factory=list)
    successions: list[tuple[str, str]] = field(default_factory=list)  # (predecessor, successor) codes
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.ended or self.created or self.successions)


def reform_province(province_code: str, *, dry_run: bool = False, actor=None) -> ReformResult:
    """Apply the reform to the 2025 province ``province_code`` (see the module). Raises ReformError,
    and changes nothing, when the tree and the conversion data disagree."""
    conversion = read_conversion(province_code)
    with acting_as(actor, "reform"), transaction.atomic():
        result = _Reform(conversion, actor).run()
        if dry_run:
            transaction.set_rollback(True)
    result.dry_run = dry_run
    return result


class _Reform:
    def __init__(self, conversion: Conversion, actor):
        self.conversion, self.actor = conversion, actor

    def run(self) -> ReformResult:
        provinces = self._legacy_provinces()
        root = provinces[0].parent
        continued = len(provinces) == 1
        lock_trees({root.tree_id})
        provinces = list(OrgUnit.objects.filter(pk__in=[p.pk for p in provinces]).order_by("lft"))  # after the lock
        committee = provinces[0] if continued else None
        if committee is not None and committee.active_to is not None:
            raise ReformError(f"Ủy ban MTTQ tỉnh {committee.code} đã ngừng hoạt động từ {committee.active_to:%d/%m/%Y}",
                              f"province committee {committee.code} already ended on {committee.active_to:%Y-%m-%d}")

        rows = self._reformed_rows(continued)
        self._check_existing_reformed_units(rows, committee or root, continued)
        ending, legacy_units = self._units_to_end(provinces, continued)

        last_pk = OrgUnit.objects.aggregate(last=Max("pk"))["last"] or 0
        import_units(rows, code_set=REFORMED, root=committee or root, actor=self.actor)
        # Under the tree lock nobody else inserts into this tree: what is above last_pk is ours.
        created = list(OrgUnit.objects.filter(tree_id=root.tree_id, pk__gt=last_pk)
                       .order_by("lft").values_list("code", flat=True))
        reformed = {unit.admin_code: unit for unit in OrgUnit.objects.filter(
            code_set__code=REFORMED, admin_code__in=[row.admin_code for row in rows])}
        successor_province = committee or reformed[self.conversion.province_code]

        to_end = [unit for unit in ending if unit.active_to is None]
        if to_end:
            update_audited(OrgUnit.objects.filter(pk__in=[unit.pk for unit in to_end]), active_to=LAST_LEGACY_DAY)
        successions = self._record_successions(provinces, continued, successor_province, legacy_units, reformed)
        return ReformResult(province=successor_province.code, continued=continued, ended=[u.code for u in to_end],
                            created=created, successions=successions)

    def _legacy_provinces(self) -> list[OrgUnit]:
        codes = self.conversion.legacy_province_codes
        provinces = {unit.admin_code: unit for unit in OrgUnit.objects.filter(
            code_set__code=LEGACY, admin_code__in=codes, level__code="province").select_related("parent")}
        missing = [code for code in codes if code not in provinces]
        if missing:
            listed = _codes(missing)
            raise ReformError(
                f"tỉnh mã {listed} (bộ mã legacy) chưa có trong cây đơn vị; nhập trước: "
                f"manage.py import_units --province {missing[0]} --code-set legacy",
                f"legacy province {listed} is not in the tree; import it first: "
                f"manage.py import_units --province {missing[0]} --code-set legacy")
        if len({unit.parent_id for unit in provinces.values()}) != 1 or provinces[codes[0]].parent is None:
            raise ReformError(f"các tỉnh {_codes(codes)} không cùng thuộc một Ủy ban Trung ương",
                              f"provinces {_codes(codes)} are not under one central committee")
        return [provinces[code] for code in codes]

    def _reformed_rows(self, continued: bool):
        """The 2025 province and its communes as import rows, beginning on the reform's day. A
        continuing province keeps its committee: its communes hang directly under it."""
        rows = [replace(row, active_from=REFORM_DAY)
                for row in read_vietnamadminunits(REFORMED, [self.conversion.province_code])]
        if continued:
            return [replace(row, parent_code="") for row in rows if row.level != "province"]
        return rows

    def _check_existing_reformed_units(self, rows, parent: OrgUnit, continued: bool) -> None:
        """2025 units already in the tree (an earlier run, or an import of the 2025 set) must be
        where and when the reform puts them; the reform does not move them."""
        existing = {values["admin_code"]: values for values in OrgUnit.objects.filter(
            code_set__code=REFORMED, admin_code__in=[row.admin_code for row in rows]).values(
            "id", "admin_code", "code", "parent_id", "active_from", "active_to")}
        province = None if continued else existing.get(self.conversion.province_code)
        wrong = set()
        for row in rows:
            unit = existing.get(row.admin_code)
            if unit is None:
                continue
            if row.level == "province" or continued:
                expected_parent = parent.pk
            else:
                expected_parent = province["id"] if province else None
            if (unit["parent_id"], unit["active_from"], unit["active_to"]) != (expected_parent, REFORM_DAY, None):
                wrong.add(unit["code"])
        if wrong:
            raise ReformError(
                f"đơn vị {_codes(wrong)} (bộ mã 2025) đã có trong cây nhưng khác kết quả sắp xếp "
                f"(cấp trên hoặc ngày hoạt động từ {REFORM_DAY:%d/%m/%Y})",
                f"unit {_codes(wrong)} (2025 code set) is already in the tree but not where or when the reform "
                f"puts it (parent, or active from {REFORM_DAY:%Y-%m-%d})")

    def _units_to_end(self, provinces: list[OrgUnit], continued: bool) -> tuple[list[OrgUnit], dict[str, OrgUnit]]:
        """Everything below the legacy districts, and the merged provinces themselves with all below
        them (a continuing province keeps its own member organizations and the units it gained);
        and the legacy units among them by administrative code."""
        if continued:
            committee = provinces[0]
            roots = list(OrgUnit.objects.filter(parent=committee).exclude(kind__category=MEMBER_ORGANIZATION)
                         .filter(Q(active_from__isnull=True) | Q(active_from__lt=REFORM_DAY)))
        else:
            roots = provinces
        subtrees = Q(pk__in=[])  # no root: nothing to end (and not every unit)
        for unit in roots:
            subtrees |= Q(tree_id=unit.tree_id, lft__gte=unit.lft, rght__lte=unit.rght)
        units = list(OrgUnit.objects.filter(subtrees).select_related("code_set").order_by("lft"))
        # A unit ended before the reform (an older merge) stays as it is; one that runs past it, or
        # begins after it below a unit that stops, contradicts the reform.
        wrong = {unit.code for unit in units
                 if (unit.active_to and unit.active_to > LAST_LEGACY_DAY)
                 or (unit.active_from and unit.active_from > LAST_LEGACY_DAY)}
        legacy = {unit.admin_code: unit for unit in units if unit.code_set and unit.code_set.code == LEGACY}
        linked = {old for old, _new in self.conversion.links}
        missing = linked - legacy.keys()
        if missing:
            raise ReformError(f"đơn vị mã {_codes(missing)} (bộ mã legacy) không có trong cây dưới tỉnh "
                              f"{_codes(self.conversion.legacy_province_codes)}",
                              f"legacy unit {_codes(missing)} is not in the tree under province "
                              f"{_codes(self.conversion.legacy_province_codes)}")
        # The conversion data says each of them worked until the reform.
        wrong |= {legacy[code].code for code in linked if legacy[code].active_to not in (None, LAST_LEGACY_DAY)}
        if wrong:
            raise ReformError(
                f"đơn vị {_codes(wrong)} có ngày hoạt động trái với cuộc sắp xếp (ngừng từ {LAST_LEGACY_DAY:%d/%m/%Y})",
                f"unit {_codes(wrong)} has active dates that contradict the reform (ending on {LAST_LEGACY_DAY:%Y-%m-%d})")
        return units, legacy

    def _record_successions(self, provinces, continued, successor_province, legacy_units,
                            reformed) -> list[tuple[str, str]]:
        pairs = [(legacy_units[old], reformed[new]) for old, new in self.conversion.links]
        if not continued:
            pairs += [(province, successor_province) for province in provinces]
        committees = {unit.pk for pair in pairs for unit in pair}
        organizations = defaultdict(dict)  # committee id -> {kind id: member organization}
        for unit in OrgUnit.objects.filter(parent_id__in=committees, kind__category=MEMBER_ORGANIZATION):
            organizations[unit.parent_id][unit.kind_id] = unit
        pairs += [(organization, organizations[successor.pk][kind_id])
                  for predecessor, successor in list(pairs)
                  for kind_id, organization in organizations[predecessor.pk].items()
                  if kind_id in organizations[successor.pk]]

        existing = {(predecessor, successor): effective for predecessor, successor, effective in
                    UnitSuccession.objects.filter(predecessor__in=[p.pk for p, _s in pairs])
                    .values_list("predecessor_id", "successor_id", "effective_date")}
        wrong = {f"{p.code} → {s.code}" for p, s in pairs if existing.get((p.pk, s.pk), REFORM_DAY) != REFORM_DAY}
        if wrong:
            raise ReformError(f"đã có quan hệ kế tục {_codes(wrong)} với ngày hiệu lực khác {REFORM_DAY:%d/%m/%Y}",
                              f"succession {_codes(wrong)} already exists with an effective date other than "
                              f"{REFORM_DAY:%Y-%m-%d}")
        new = [UnitSuccession(predecessor=p, successor=s, effective_date=REFORM_DAY)
               for p, s in pairs if (p.pk, s.pk) not in existing]
        if new:
            bulk_create_audited(UnitSuccession, new, batch_size=1000)
        return [(succession.predecessor.code, succession.successor.code) for succession in new]
