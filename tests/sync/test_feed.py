"""The change log and the central collection API: what is recorded (and in which transaction), the
feed in commit order with an opaque cursor, snapshots that agree with the feed, and visibility
through a token scoped to a district."""
from __future__ import annotations

import random
import threading
import time
from datetime import date

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from mttq_platform.models import ApiToken
from orgtree.models import OrgUnit, UnitKind
from orgtree.services import create_unit
from plans.models import DocumentKind, DocumentStatus, PlanDocument, Task
from plans.services import guidance
from reviews.models import IndicatorValue, ReportStatus
from reviews.services import approval
from sync.models import ChangeKind, ChangeRecord
from sync.payloads import SCHEMA_VERSION, unit_uuid
from tests.inspections.factories import conclude_with_recommendations, make_team_inspection
from tests.reviews.report_factories import open_branch_reports

FEED = reverse("api:sync-feed")


def snapshot_url(kind):
    return reverse("api:sync-snapshot", kwargs={"kind": kind})


def records(kind=None, **filters):
    rows = ChangeRecord.objects.filter(**filters).order_by("txid", "id")
    return list(rows.filter(kind=kind) if kind else rows)


def draft(unit, kind=DocumentKind.PLAN, title="Kế hoạch"):
    document = PlanDocument.objects.create(unit=unit, kind=kind, title=f"{title} của {unit.code}")
    Task.objects.create(document=document, number="1.1", order=1, text=f"Nhiệm vụ của {unit.code}",
                        timeframe_text="Quý IV/2025")
    return document


def token_client(tree, unit_code, username="db.chair"):
    _, key = ApiToken.issue(tree.user(username), "thu-thap", unit=tree[unit_code], read_only=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def read_feed(client, cursor="", limit=1000, **params):
    """Every item from ``cursor`` to the end, and the last cursor."""
    items = []
    while True:
        body = client.get(FEED, {"cursor": cursor, "limit": limit, **params}).json()
        assert body["schema_version"] == SCHEMA_VERSION
        items += body["items"]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return items, cursor


def read_snapshot(client, kind, limit=1000):
    items, cursor, feed_cursor = [], "", None
    while True:
        response = client.get(snapshot_url(kind), {"cursor": cursor, "limit": limit})
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        assert body["schema_version"] == SCHEMA_VERSION and body["kind"] == kind
        assert feed_cursor in (None, body["feed_cursor"]), "every page of one snapshot names one position"
        feed_cursor = body["feed_cursor"]
        items += body["items"]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return items, feed_cursor


# -- what is recorded ----------------------------------------------------------------------------

@pytest.mark.django_db
def test_issue_amend_and_send_record_plans_and_guidance_not_drafts(tree):
    plan = draft(tree["11"])
    note = draft(tree["11"], kind=DocumentKind.GUIDANCE, title="Hướng dẫn")
    assert records(ChangeKind.PLAN) == records(ChangeKind.GUIDANCE) == []  # drafts: nothing
    plan.title = "Kế hoạch (sửa dự thảo)"
    plan.save()
    assert records(ChangeKind.PLAN) == []

    guidance.issue(plan, tree.user("db.chair"))
    (issued,) = records(ChangeKind.PLAN)
    assert (issued.global_id, issued.version, issued.unit.code) == (f"local:{plan.uuid}", 1, "11")
    task = plan.tasks.get()
    assert issued.payload["status"] == "issued" and issued.payload["document_version"] == 1
    assert issued.payload["tasks"][0] | {"parties": []} == issued.payload["tasks"][0]
    assert [(t["uuid"], t["number"], t["timeframe_text"]) for t in issued.payload["tasks"]] == [
        (str(task.uuid), "1.1", "Quý IV/2025")]

    with guidance.amending(plan, tree.user("db.chair"), note="Bổ sung") as editing:
        Task.objects.create(document=editing, number="1.2", order=2, text="Nhiệm vụ bổ sung")
    amended = records(ChangeKind.PLAN)[-1]
    assert amended.version == 2 and amended.payload["status"] == "amended"
    assert [t["number"] for t in amended.payload["tasks"]] == ["1.1", "1.2"]
    assert [d["kind"] for d in amended.payload["dispatches"]] == ["amendment"]  # same row, completed

    note = guidance.issue(note, tree.user("db.chair"))
    guidance.send_guidance(note, tree.user("db.chair"), levels=[tree["094"].level], note="Gửi cấp huyện")
    issued_note, sent = records(ChangeKind.GUIDANCE)
    assert (issued_note.version, sent.version) == (1, 2)
    assert sent.payload["dispatches"][0]["levels"] == [tree["094"].level.code]  # levels set after the dispatch
    assert len(records(ChangeKind.PLAN)) == 2


@pytest.mark.django_db
def test_accepted_report_is_recorded_with_progress_and_indicators(tree):
    reports = open_branch_reports(tree, codes=("03127",))
    report = reports["03127"]
    IndicatorValue.objects.filter(report=report).update(value=0)
    values = dict(IndicatorValue.objects.filter(report=report).values_list("indicator__code", "value"))
    approval.submit(report, user=tree.user("himlam.cadre"))
    assert records(ChangeKind.REPORT) == []  # submitted is not accepted
    approval.accept(report, user=tree.user("dbp.cadre"))
    (accepted,) = records(ChangeKind.REPORT)
    assert accepted.version == report.version == 1 and accepted.unit.code == "03127"
    payload = accepted.payload
    assert payload["status"] == ReportStatus.ACCEPTED and payload["year"] == 2025
    assert payload["plan"] == f"local:{report.plan.uuid}"
    assert len(payload["progress"]) == report.progress.count() > 0
    assert {"task", "task_number", "period_key", "due", "status", "percent"} <= set(payload["progress"][0])
    assert payload["indicators"] == values

    approval.reopen(report, user=tree.user("dbp.cadre"), comment="Bổ sung số liệu")
    assert len(records(ChangeKind.REPORT)) == 1  # reopened: nothing to collect
    approval.submit(report, user=tree.user("himlam.cadre"))
    approval.accept(report, user=tree.user("dbp.cadre"))
    assert [r.version for r in records(ChangeKind.REPORT)] == [1, 2]


@pytest.mark.django_db
def test_concluded_inspection_is_recorded_with_its_recommendations(tree):
    inspection = make_team_inspection(tree)
    assert records(ChangeKind.INSPECTION) == []
    conclude_with_recommendations(tree, inspection, [date(2025, 12, 31), date(2026, 3, 31)])
    (concluded,) = records(ChangeKind.INSPECTION)
    assert concluded.unit.code == "03127" and concluded.payload["inspecting_unit"] == "11"
    assert concluded.payload["conclusion_number"] == "07" and concluded.payload["assessment"] == "fair"
    assert [r["deadline"] for r in concluded.payload["recommendations"]] == ["2025-12-31", "2026-03-31"]
    assert "internal_notes" not in concluded.payload


@pytest.mark.django_db
def test_unit_created_renamed_and_moved_each_make_a_version(tree):
    kind = UnitKind.objects.get(code="commune_committee")
    unit = create_unit(code="03130", name="Ủy ban MTTQ phường Mới", kind=kind, parent=tree["094"])
    unit.refresh_from_db()
    unit.name = "Ủy ban MTTQ phường Mới (đổi tên)"
    unit.save()
    unit = OrgUnit.objects.get(pk=unit.pk)
    unit.save()  # nothing changed: no version
    unit.move_to(tree["095"], "last-child")
    rows = records(ChangeKind.UNIT, object_uuid=unit_uuid("03130"))
    assert [(r.version, r.payload["name"][-8:], r.payload["parent"]) for r in rows] == [
        (1, "phường Mới"[-8:], "094"), (2, "(đổi tên)"[-8:], "094"), (3, "(đổi tên)"[-8:], "095")]
    assert rows[0].payload["kind"] == "commune_committee" and rows[0].payload["level"] == tree["094"].children.first().level.code


@pytest.mark.django_db
def test_bulk_imported_units_are_recorded_in_bulk(tree):
    from mttq_platform.audit import bulk_create_audited

    kind = UnitKind.objects.get(code="commune_committee")
    parent = tree["095"]
    # New leaves appended under 095 as the importer writes them (positions numbered beforehand).
    new = [OrgUnit(code=f"0316{i}", name=f"Xã {i}", kind=kind, level=kind.level, parent=parent, tree_id=parent.tree_id,
                   lft=10_000 + 2 * i, rght=10_001 + 2 * i, depth=parent.depth + 1) for i in range(5)]
    with CaptureQueriesContext(connection) as queries:
        bulk_create_audited(OrgUnit, new)
    assert len(queries) < 15  # not one query per unit
    assert sorted(r.payload["code"] for r in records(ChangeKind.UNIT, object_uuid__in=[unit_uuid(u.code) for u in new])) == \
        [u.code for u in new]


@pytest.mark.django_db
def test_documents_issued_in_bulk_are_recorded_in_bulk(tree):
    """The reviews demo issues thousands of derived plans in one audited update."""
    from mttq_platform.audit import update_audited

    plans = [draft(tree[code]) for code in ("094", "095", "03127")]
    with CaptureQueriesContext(connection) as queries:
        update_audited(PlanDocument.objects.filter(pk__in=[p.pk for p in plans]), status=DocumentStatus.ISSUED)
    assert len(queries) < 25
    rows = records(ChangeKind.PLAN)
    assert sorted(r.unit.code for r in rows) == ["03127", "094", "095"]
    assert all(r.version == 1 and r.payload["status"] == "issued" and len(r.payload["tasks"]) == 1 for r in rows)


@pytest.mark.django_db
def test_reports_accepted_in_bulk_are_recorded_from_the_reviews_signal(tree):
    """The reviews demo writes approval states with raw SQL, then sends report_data_changed once."""
    from reviews.models import UnitReport
    from reviews.signals import report_data_changed

    reports = open_branch_reports(tree, codes=("094", "095", "03127"))
    UnitReport.objects.filter(unit__code__in=["094", "095"]).update(status=ReportStatus.ACCEPTED)
    ids = [r.pk for r in reports.values()]
    report_data_changed.send(UnitReport, report_ids=ids)
    report_data_changed.send(UnitReport, report_ids=ids)  # again: nothing new
    rows = records(ChangeKind.REPORT)
    assert sorted(r.unit.code for r in rows) == ["094", "095"]
    assert all(r.version == 1 and r.payload["status"] == "accepted" for r in rows)


@pytest.mark.django_db
def test_a_rolled_back_transaction_leaves_no_record(tree):
    plan = draft(tree["094"])
    before = ChangeRecord.objects.count()
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            guidance.issue(plan)
            assert ChangeRecord.objects.count() == before + 1
            raise RuntimeError("hủy giữa chừng")
    assert ChangeRecord.objects.count() == before
    assert PlanDocument.objects.get(pk=plan.pk).status == DocumentStatus.DRAFT


# -- the feed and the snapshots ------------------------------------------------------------------

@pytest.mark.django_db
def test_snapshot_plus_feed_from_its_cursor_equals_a_fresh_snapshot(tree):
    client = token_client(tree, "11")
    plans = {code: draft(tree[code]) for code in ("11", "094", "03127")}
    guidance.issue(plans["11"])
    guidance.issue(plans["094"])

    held = {}  # what a collector holds: global id -> (version, payload)

    def apply(items):
        for entry in items:
            if entry["version"] > held.get(entry["global_id"], (0, None))[0]:
                held[entry["global_id"]] = (entry["version"], entry["payload"])

    cursors = {}
    for kind in ChangeKind.values:
        items, cursors[kind] = read_snapshot(client, kind, limit=2)
        assert len({i["global_id"] for i in items}) == len(items), "one item per object"
        apply(items)
    assert len(set(cursors.values())) == 1

    # Changes after the snapshot: a new version of a plan, a new plan, a renamed unit.
    with guidance.amending(plans["11"]) as editing:
        Task.objects.create(document=editing, number="2.1", order=2, text="Thêm")
    guidance.issue(plans["03127"])
    unit = tree["03124"]
    unit.name = "Ủy ban MTTQ phường Noong Bua (mới)"
    unit.save()

    items, _ = read_feed(client, cursors["plan"], limit=3)
    apply(items)
    fresh = {}
    for kind in ChangeKind.values:
        fresh.update({i["global_id"]: (i["version"], i["payload"]) for i in read_snapshot(client, kind)[0]})
    assert held == fresh
    assert fresh[f"local:{plans['11'].uuid}"][0] == 2 and f"local:{plans['03127'].uuid}" in fresh


@pytest.mark.django_db(transaction=True)
def test_paging_during_concurrent_writes_misses_nothing_and_repeats_nothing(transactional_tree):
    """Writers hold their transactions open for a random while after taking their txid, so rows
    commit out of id and txid order; a reader pages the feed all along."""
    tree = transactional_tree
    client = token_client(tree, "TW", username="tw.analyst")
    units = list(OrgUnit.objects.filter(code__in=["11", "094", "03127", "01"]))
    written, lock = [], threading.Lock()

    def writer(seed):
        rng = random.Random(seed)
        try:
            for n in range(15):
                with transaction.atomic():
                    record = ChangeRecord.objects.create(
                        kind=ChangeKind.UNIT, origin="local", object_uuid=unit_uuid(f"w{seed}-{n}"), version=1,
                        unit=rng.choice(units), payload={"n": n})
                    time.sleep(rng.uniform(0, 0.03))
                with lock:
                    written.append(record.id)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    seen, cursor = [], ""

    def read_page():
        nonlocal cursor
        body = client.get(FEED, {"cursor": cursor, "limit": 7}).json()
        seen.extend(item["object_uuid"] for item in body["items"])
        cursor = body["next_cursor"]
        return body["has_more"]

    while any(thread.is_alive() for thread in threads):
        read_page()
    for thread in threads:
        thread.join()
    expected = {str(u) for u in ChangeRecord.objects.values_list("object_uuid", flat=True)}
    deadline = time.monotonic() + 30
    while (read_page() or not expected <= set(seen)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(written) == 60
    assert len(seen) == len(set(seen)), "an item was repeated"
    assert set(seen) == expected, "an item was missed"


@pytest.mark.django_db
def test_a_district_token_reads_its_district_and_the_plans_above(tree):
    for code in ("TW", "11", "094", "03127", "095", "01"):
        guidance.issue(draft(tree[code]))
    guidance.issue(draft(tree["11"], kind=DocumentKind.GUIDANCE, title="Hướng dẫn"))
    draft(tree["TW"], title="Dự thảo")  # never recorded
    client = token_client(tree, "094")
    items, _ = read_feed(client)
    by_kind = {}
    for entry in items:
        by_kind.setdefault(entry["kind"], set()).add(entry["unit"])
    assert by_kind["plan"] == {"TW", "11", "094", "03127"}
    assert by_kind["guidance"] == {"11"}
    # The units of the subtree and those above it (a district's server hangs the plans above on
    # them); never a sibling's (095) nor another province's.
    assert by_kind["unit"] == {"TW", "11", "094", "03124", "03127"}
    for kind, units in {"plan": {"TW", "11", "094", "03127"}, "unit": {"TW", "11", "094", "03124", "03127"}}.items():
        assert {entry["unit"] for entry in read_snapshot(client, kind)[0]} == units

    # The same user's session reads everything of the province (and the plans above it).
    session = APIClient()
    session.force_login(tree.user("db.chair"))
    plans = {entry["unit"] for entry in read_feed(session, kind="plan")[0]}
    assert plans == {"TW", "11", "094", "03127", "095"}


@pytest.mark.django_db
@pytest.mark.parametrize("url", [FEED, reverse("api:sync-snapshot", kwargs={"kind": "report"})])
@pytest.mark.parametrize("cursor", ["%%%", "bm9wZQ", "MTI6", "LTE6Mg", "eyJhdCI6WzEsMl19"])
def test_a_bad_cursor_is_refused_in_both_languages(tree, url, cursor):
    response = token_client(tree, "11").get(url, {"cursor": cursor})
    assert response.status_code == 400
    error = response.json()["error"]
    vi, en = error["detail"]["cursor"]
    assert "Con trỏ" in vi and "Invalid cursor" in en


@pytest.mark.django_db
def test_limit_is_bounded(tree):
    client = token_client(tree, "11")
    for limit in ("0", "1001", "x"):
        error = client.get(FEED, {"limit": limit}).json()["error"]
        assert error["status"] == 400 and len(error["detail"]["limit"]) == 2
    assert client.get(FEED, {"limit": 1000}).status_code == 200


def _open_writing_transaction(dbname: str):
    """Another session, on ``dbname``, inside a transaction that holds a transaction id."""
    import psycopg2

    params = connection.get_connection_params()
    other = psycopg2.connect(**{**params, "dbname": dbname})
    with other.cursor() as cur:
        cur.execute("SELECT pg_current_xact_id()")  # assigns the id, as a first write would
    return other


def test_only_a_writer_of_this_database_holds_the_feed_back(transactional_tree):
    """A transaction left open in another database of the cluster, or reading here, does not stop
    the feed; a transaction of this database that may still write a change row does, until it ends."""
    record = lambda n: ChangeRecord.objects.create(  # noqa: E731
        kind=ChangeKind.UNIT, origin="local", object_uuid=unit_uuid(f"h-{n}"), version=1,
        unit=transactional_tree["11"], payload={"n": n})
    elsewhere = _open_writing_transaction("postgres")
    reader = _open_writing_transaction(connection.settings_dict["NAME"])
    reader.rollback()
    with reader.cursor() as cur:
        cur.execute("SELECT count(*) FROM sync_changerecord")  # a transaction that reads only: no transaction id
    try:
        first = record(1)
        assert ChangeRecord.objects.committed().filter(pk=first.pk).exists()
        writer = _open_writing_transaction(connection.settings_dict["NAME"])
        try:
            second = record(2)  # committed, but after the writer took its id: it may still write before it
            assert not ChangeRecord.objects.committed().filter(pk=second.pk).exists()
        finally:
            writer.rollback()
            writer.close()
        assert ChangeRecord.objects.committed().filter(pk=second.pk).exists()
    finally:
        for other in (elsewhere, reader):
            other.rollback()
            other.close()


@pytest.mark.django_db
def test_feed_page_costs_the_same_queries_whatever_its_size(tree):
    for code in ("11", "094", "03127", "095", "03151", "03124"):
        guidance.issue(draft(tree[code]))
    client = token_client(tree, "11")
    counts = {}
    assert ChangeRecord.objects.count() > 12
    client.get(FEED, {"limit": 1})  # the token's first use is noted once
    for limit in (2, 12):
        with CaptureQueriesContext(connection) as queries:
            body = client.get(FEED, {"limit": limit}).json()
        assert len(body["items"]) == limit
        counts[limit] = len(queries)
    assert counts[2] == counts[12]
