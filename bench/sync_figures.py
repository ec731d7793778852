"""Figures of sync (issue 6): the throughput of applying a child installation's upward batch at
the parent, for a province-sized batch, beside applying the same items one delivery each.

The batch is what a child would send: the upward items the change log holds for the bench province
(the rows ``sync.services.outbox.pending`` reads, ``item_of`` each) — its unit
items and the accepted report of every unit for the year, with progress and indicators, recorded by
sync's receivers when ``reviews.demo.generate_year`` fills the year (the reviews figures' national
year when they ran first, else the province's own year from the seed plan). The items are then
re-labelled as coming from a child installation ("dienbien", a ``Peer`` of role child registered
for the province) and applied in process by ``sync.services.apply.apply_batch``, without HTTP.

The parent and the child are one database here, so each run re-labels the items so that they
collide with nothing: the reports get new uuids and a year of their own (no report of that year
exists, so nothing is refused as "this installation holds its own report"), and their plans and
tasks new uuids (the parent makes a mirror plan for each report, as a real parent does); the unit
items keep their codes (the parent already holds the tree: they are recorded, nothing changes) with
a version above the previous run's. Every run applies the whole batch: nothing is skipped or parked.
"""
from __future__ import annotations

import copy
import time
import uuid
from collections import deque
from datetime import date
from pathlib import Path

from bench.context import BenchContext
from bench.core import BenchError, Comparison, figure, measure
from orgtree.models import OrgUnit
from plans.models import DocumentStatus, PlanDocument
from plans.services.importing import import_plan_file
from reviews.demo import generate_year
from reviews.models import ReportStatus, UnitReport
from sync.models import ChangeKind, ChangeRecord, Peer, PeerRole
from sync.services.apply import apply_batch
from sync.services.outbox import item_of

SEED = Path(__file__).resolve().parent.parent / "fixtures" / "seeds" / "000_bc0227de9fac2d55.txt"
YEAR = 2025  # the year the reviews figures generate
TODAY = date(2026, 1, 20)
SEED_NUMBER = "bench-sync"
CHILD = "dienbien"
RUN_YEAR = 3000  # run k's reports are for year RUN_YEAR + k: no report of those years exists
RELABEL = uuid.UUID("5f0c6a52-6d0e-4b8e-9a53-6d7474710b6e")


def province_year(ctx: BenchContext) -> dict:
    """The province's accepted reports for YEAR, generated (unmeasured) unless a figure did it."""
    province = OrgUnit.objects.get(pk=ctx.province.pk)
    reports = UnitReport.objects.filter(unit__in=OrgUnit.objects.within(province), year=YEAR)
    started = time.perf_counter()
    if not reports.exists():
        if not PlanDocument.objects.filter(unit=province, number=SEED_NUMBER).exists():
            plan = import_plan_file(SEED, province)
            PlanDocument.objects.filter(pk=plan.pk).update(status=DocumentStatus.ISSUED, number=SEED_NUMBER)
        generate_year(province, YEAR, seed=2025, today=TODAY)
    return {"setup_seconds": round(time.perf_counter() - started, 1),
            "reports_accepted": reports.filter(status=ReportStatus.ACCEPTED).count()}


def child_batch(province: OrgUnit) -> list[dict]:
    """The upward items the province owes its parent, in commit order, as an outbox batch carries
    them (``item_of``). Read as ``outbox.pending`` reads them, less its ``committed()`` guard: that
    guard hides rows newer than the oldest transaction open anywhere on the server, and the bench
    shares its server with other databases; every row here is committed."""
    records = (ChangeRecord.objects.filter(kind__in=(ChangeKind.UNIT, ChangeKind.REPORT),
                                           unit__in=OrgUnit.objects.within(province).values("pk"))
               .select_related("unit").order_by("txid", "id"))
    items = [item_of(record) for record in records
             if record.kind != ChangeKind.REPORT or record.payload.get("year") == YEAR]
    for item in items:
        item.pop("position")
    return items


def _new_uuid(run: int, value) -> str:
    return str(uuid.uuid5(RELABEL, f"{run}:{value}"))


def relabelled(items: list[dict], run: int) -> list[dict]:
    """``items`` as received from the child "dienbien", colliding with nothing applied before."""
    out = []
    for item in items:
        item = copy.deepcopy(item)
        item["origin"] = CHILD
        payload = item["payload"]
        if item["kind"] == ChangeKind.REPORT:
            item["object_uuid"] = _new_uuid(run, item["object_uuid"])
            payload["year"] = RUN_YEAR + run
            if payload.get("plan"):
                payload["plan"] = f"{CHILD}:{_new_uuid(run, payload['plan'].rpartition(':')[2])}"
            for row in payload.get("progress", []):
                row["task"] = _new_uuid(run, row["task"])
        else:
            item["version"] += 1000 * run  # a newer version than the previous run applied
        item["global_id"] = f"{CHILD}:{item['object_uuid']}"
        if "global_id" in payload:
            payload["global_id"] = item["global_id"]
        out.append(item)
    return out


def _counts(results) -> tuple[int, int, int]:
    return tuple(sum(len(getattr(r, name)) for r in results) for name in ("applied", "skipped", "parked"))


@figure("Applying a province-sized upward batch at the parent")
def apply_province_batch(ctx: BenchContext) -> Comparison:
    year = province_year(ctx)
    province = OrgUnit.objects.get(pk=ctx.province.pk)
    items = child_batch(province)
    kinds = {kind: sum(item["kind"] == kind for item in items) for kind in (ChangeKind.UNIT, ChangeKind.REPORT)}
    if not kinds[ChangeKind.REPORT]:
        raise BenchError(f"apply_province_batch: no accepted report of province {province.code} in the change log")
    peer, _ = Peer.objects.get_or_create(
        installation_id=CHILD, defaults={"name": "Điện Biên (bench)", "role": PeerRole.CHILD, "unit": province})

    # One run each way, timed and counted (measure(fn, 1)): a run is a load, not repeatable on the
    # same items, and costs seconds per hundred items. Each run gets its own re-labelled batch.
    batches = deque(relabelled(items, run) for run in (1, 2))  # made unmeasured

    def ours():
        return _counts([apply_batch(peer, batches.popleft())])

    def naive():
        return _counts([apply_batch(peer, [item]) for item in batches.popleft()])

    ours_m = measure(ours, 1)
    naive_m = measure(naive, 1)
    expected = (len(items), 0, 0)
    if ours_m.result != expected or naive_m.result != expected:
        raise BenchError(f"apply_province_batch: expected every item applied {expected}, "
                         f"got ours {ours_m.result}, naive {naive_m.result}")
    per_second = round(len(items) / ours_m.seconds, 1)
    naive_per_second = round(len(items) / naive_m.seconds, 1)
    note = (f"apply_batch of {len(items):,} upward items of province {province.code} ({kinds[ChangeKind.REPORT]:,} "
            f"accepted reports with progress and indicators, {kinds[ChangeKind.UNIT]:,} unit items) re-labelled as "
            f"from child '{CHILD}': {per_second:,.0f} items/s, {ours_m.queries:,} queries, one transaction with a "
            f"savepoint per item; naive = the same service called once per item (a delivery of one item, its own "
            f"transaction and commit): {naive_per_second:,.0f} items/s, {naive_m.queries:,} queries. One run each. "
            f"Most of the time is per item (each report rebuilds its mirror plan, progress, indicators and "
            f"roll-up cells, and records itself in the parent's change log), so batching saves little. The reports were generated in {year['setup_seconds']:,.0f} s (unmeasured)")
    return Comparison(ours_m, naive_m, note, extra={
        "items": len(items), "reports": kinds[ChangeKind.REPORT], "units": kinds[ChangeKind.UNIT],
        "items_per_second": per_second, "naive_items_per_second": naive_per_second, **year})
