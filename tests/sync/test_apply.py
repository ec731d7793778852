"""Applying a child installation's items at the parent, in process (no second installation): each
item in its own savepoint, idempotent by global id and version, parked when it cannot be applied
without stopping the others; an accepted report counts in the parent's roll-up with its numbers."""
import json
import uuid

import pytest
from django.urls import reverse

from orgtree.models import OrgUnit
from plans.models import DocumentStatus, PlanDocument
from reviews.models import IndicatorValue, ReportStatus, TaskProgress, UnitReport
from reviews.rollup.reading import rollup
from sync.models import ParkedItem, Peer, PeerRole, ReceivedItem
from sync.payloads import SCHEMA_VERSION, unit_uuid
from sync.services.apply import apply_batch
from sync.services.keys import add_key
from sync.signing import sign_headers

CHILD = "dienbien"
YEAR = 2025


@pytest.fixture
def child(tree):
    return Peer.objects.create(name="Điện Biên", installation_id=CHILD, role=PeerRole.CHILD, unit=tree["11"])


def report_item(unit_code, *, version=1, plan_uuid=None, tasks=None, done=2, indicators=None, report_uuid=None, **payload):
    """A report item as a child sends it (shape: sync.payloads.report_payload)."""
    report_uuid = report_uuid or uuid.uuid4()
    plan_uuid = plan_uuid or uuid.uuid4()
    tasks = tasks or [uuid.uuid4() for _ in range(3)]
    periods = [(task, n, q) for n, task in enumerate(tasks, start=1) for q in (1, 2)]
    progress = [
        {"task": str(task), "task_number": f"{n}.", "task_text": f"Nhiệm vụ {n}", "period_key": f"{YEAR}-Q{q}",
         "period_label": f"Quý {q} năm {YEAR}", "period_start": f"{YEAR}-{3 * q - 2:02d}-01",
         "period_end": f"{YEAR}-{3 * q:02d}-28", "due": f"{YEAR}-{3 * q:02d}-28",
         "status": "done" if i < done else "in_progress", "percent": 100 if i < done else 40,
         "narrative": "Đã triển khai.", "reason": ""}
        for i, (task, n, q) in enumerate(periods)
    ]
    body = {
        "global_id": f"{CHILD}:{report_uuid}", "unit": unit_code, "year": YEAR, "version": version,
        "status": "accepted", "due_date": f"{YEAR}-12-15", "summary": "Hoàn thành cơ bản.",
        "first_submitted_at": f"{YEAR}-12-01T09:00:00+07:00", "submitted_at": f"{YEAR}-12-01T09:00:00+07:00",
        "accepted_at": f"{YEAR}-12-05T10:00:00+07:00", "plan": f"{CHILD}:{plan_uuid}", "progress": progress,
        "indicators": indicators if indicators is not None else {"gs-doan": 4, "kn-de-xuat": 7},
        **payload,
    }
    return envelope("report", report_uuid, version, unit_code, body)


def unit_item(code, parent, name, *, version=1, kind="commune_committee"):
    body = {"code": code, "admin_code": "", "code_set": None, "name": name, "area_name": "", "kind": kind,
            "level": "commune", "parent": parent, "active_from": None, "active_to": None}
    return envelope("unit", unit_uuid(code), version, code, body)


def envelope(kind, object_uuid, version, unit_code, payload, schema_version=SCHEMA_VERSION):
    return {"kind": kind, "global_id": f"{CHILD}:{object_uuid}", "origin": CHILD, "object_uuid": str(object_uuid),
            "version": version, "schema_version": schema_version, "unit": unit_code, "payload": payload}


def state():
    """Everything an applied report leaves, comparable between two moments."""
    return {
        "reports": sorted(UnitReport.objects.values_list("uuid", "unit__code", "version", "status", "summary")),
        "progress": sorted(TaskProgress.objects.values_list("report__uuid", "task__uuid", "period_key", "status", "percent")),
        "indicators": sorted(IndicatorValue.objects.values_list("report__uuid", "indicator__code", "value")),
        "received": sorted(ReceivedItem.objects.values_list("origin", "object_uuid", "version")),
        "parked": ParkedItem.objects.count(),
    }


def test_an_accepted_report_counts_in_the_parents_rollup_with_its_numbers(tree, child):
    item = report_item("094", done=3, indicators={"gs-doan": 4, "kn-de-xuat": 7})
    result = apply_batch(child, [item])

    assert result.applied == [item["global_id"]] and not result.parked
    report = UnitReport.objects.get(uuid=item["object_uuid"])
    assert (report.unit.code, report.status, report.version) == ("094", ReportStatus.ACCEPTED, 1)
    plan = report.plan
    assert plan.status == DocumentStatus.ISSUED and plan.source_name == f"sync:{item['payload']['plan']}"
    assert report.progress.count() == 6
    totals = rollup(tree["11"], YEAR, accepted_only=True).total
    rows = item["payload"]["progress"]
    assert totals.tasks == len(rows)
    assert totals.done == sum(r["status"] == "done" for r in rows)
    assert totals.points == sum(r["percent"] for r in rows)
    assert totals.reports_accepted == 1
    assert totals.indicators == {"gs-doan": 4, "kn-de-xuat": 7}
    assert rollup(tree["TW"], YEAR, accepted_only=True).total == totals


def test_a_replay_changes_nothing_and_an_older_version_never_overwrites_a_newer(tree, child):
    report_uuid, plan_uuid, tasks = uuid.uuid4(), uuid.uuid4(), [uuid.uuid4(), uuid.uuid4()]
    v1 = report_item("094", version=1, report_uuid=report_uuid, plan_uuid=plan_uuid, tasks=tasks, summary="v1")
    v2 = report_item("094", version=2, report_uuid=report_uuid, plan_uuid=plan_uuid, tasks=tasks, summary="v2",
                     done=4, indicators={"gs-doan": 9})
    apply_batch(child, [v1, v2])
    after = state()
    cells = rollup(tree["11"], YEAR).total

    again = apply_batch(child, [v1, v2])
    assert again.skipped == [v1["global_id"], v2["global_id"]] and not again.applied
    assert state() == after and rollup(tree["11"], YEAR).total == cells
    report = UnitReport.objects.get(uuid=report_uuid)
    assert (report.version, report.summary) == (2, "v2")
    assert dict(report.indicator_values.values_list("indicator__code", "value")) == {"gs-doan": 9}
    assert PlanDocument.objects.filter(uuid=plan_uuid).count() == 1


def test_out_of_order_items_end_in_the_same_state(tree, child):
    report_uuid, plan_uuid, tasks = uuid.uuid4(), uuid.uuid4(), [uuid.uuid4()]
    items = [report_item("03127", version=v, report_uuid=report_uuid, plan_uuid=plan_uuid, tasks=tasks,
                         done=v, summary=f"v{v}") for v in (1, 2, 3)]
    apply_batch(child, [items[2], items[0], items[1]])
    report = UnitReport.objects.get(uuid=report_uuid)
    assert (report.version, report.summary) == (3, "v3")
    assert ReceivedItem.objects.get(object_uuid=report_uuid).version == 3


def test_a_bad_item_is_parked_with_its_reason_and_the_items_after_it_applied(tree, child):
    hanoi = report_item("00001")                   # outside Điện Biên's subtree
    unknown_schema = envelope("report", uuid.uuid4(), 1, "094", report_item("094")["payload"], schema_version=99)
    invalid = report_item("03124", indicators={"khong-co": 1})
    bad_status = report_item("03151", progress=[{**report_item("03151")["payload"]["progress"][0], "status": "bogus"}])
    good = report_item("03127")
    result = apply_batch(child, [hanoi, unknown_schema, invalid, bad_status, good])

    assert result.applied == [good["global_id"]]
    reasons = {p["global_id"]: p for p in result.parked}
    assert "ngoài phạm vi" in reasons[hanoi["global_id"]]["reason"]
    assert "outside the subtree" in reasons[hanoi["global_id"]]["reason_en"]
    assert "lược đồ" in reasons[unknown_schema["global_id"]]["reason"]
    assert "khong-co" in reasons[invalid["global_id"]]["reason"]
    assert reasons[bad_status["global_id"]]["reason"].startswith("Dữ liệu không hợp lệ")
    assert ParkedItem.objects.filter(peer=child, direction="in").count() == 4
    assert not UnitReport.objects.filter(unit__code__in=["00001", "03124", "03151"]).exists()
    assert not ReceivedItem.objects.exclude(object_uuid=good["object_uuid"]).exists()

    apply_batch(child, [hanoi])  # delivered again: still one parked row
    assert ParkedItem.objects.filter(peer=child, direction="in").count() == 4


def test_unit_items_create_rename_and_move_inside_the_subtree_only(tree, child):
    created = unit_item("03130", "094", "Ủy ban MTTQ Việt Nam phường Tân Thanh")
    renamed = unit_item("03124", "094", "Ủy ban MTTQ Việt Nam phường Noong Bua (mới)", version=2)
    moved = unit_item("03127", "095", "Ủy ban MTTQ Việt Nam phường Him Lam", version=2)
    escaping = unit_item("03151", "01", "Ủy ban MTTQ Việt Nam phường Sông Đà", version=2)
    foreign = unit_item("00002", "001", "Ủy ban MTTQ Việt Nam phường Trúc Bạch")
    result = apply_batch(child, [created, renamed, moved, escaping, foreign])

    assert result.applied == [created["global_id"], renamed["global_id"], moved["global_id"]]
    assert {p["global_id"] for p in result.parked} == {escaping["global_id"], foreign["global_id"]}
    assert OrgUnit.objects.get(code="03130").parent.code == "094"
    assert OrgUnit.objects.get(code="03124").name.endswith("(mới)")
    assert OrgUnit.objects.get(code="03127").parent.code == "095"
    assert OrgUnit.objects.get(code="03151").parent.code == "095"
    assert not OrgUnit.objects.filter(code="00002").exists()


def signed_post(client, key, body: dict, installation=CHILD):
    path = reverse("api:sync-inbox")
    raw = json.dumps(body).encode()
    headers = sign_headers("POST", path, raw, key, installation)
    return client.generic("POST", path, raw, content_type="application/json",
                          headers={name: value for name, value in headers.items()})


def test_the_inbox_acknowledges_the_batch_and_refuses_a_parent_peer(tree, child, client):
    key = add_key(child)
    good, hanoi = report_item("094"), report_item("00001")
    answer = signed_post(client, key, {"installation": CHILD, "through": 41, "items": [hanoi, good]})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["acknowledged_through"] == 41
    assert body["applied"] == [good["global_id"]] and body["skipped"] == []
    assert [p["global_id"] for p in body["parked"]] == [hanoi["global_id"]]
    assert signed_post(client, key, {"installation": CHILD, "through": 41, "items": [hanoi, good]}).json()["skipped"] == [
        good["global_id"]]

    parent = Peer.objects.create(name="Trung ương", installation_id="trunguong", role=PeerRole.PARENT, unit=tree["TW"])
    refused = signed_post(client, add_key(parent), {"installation": "trunguong", "through": 1, "items": [good]},
                          installation="trunguong")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "sync_not_child"


def inspection_item(unit_code, *, version=1, inspection_uuid=None, plan_uuid=None, inspecting="11",
                    recommendations=("Bổ sung hồ sơ giám sát.", "Báo cáo HĐND đúng hạn."), **payload):
    """An inspection conclusion as a child sends it (shape: sync.payloads.inspection_payload)."""
    inspection_uuid = inspection_uuid or uuid.uuid4()
    plan_uuid = plan_uuid or uuid.uuid4()
    body = {
        "global_id": f"{CHILD}:{inspection_uuid}", "unit": unit_code, "inspecting_unit": inspecting,
        "inspection_plan": f"{CHILD}:{plan_uuid}", "inspection_plan_title": "Kế hoạch kiểm tra thực hiện Chỉ thị 18",
        "inspection_plan_number": "12", "inspection_plan_symbol": "KH-MTTQ-BTT",
        "inspection_plan_start": f"{YEAR}-09-01", "inspection_plan_end": f"{YEAR}-11-30", "year": YEAR,
        "window_start": f"{YEAR}-10-01", "window_end": f"{YEAR}-10-15", "status": "concluded",
        "findings": "Đã ban hành kế hoạch; chưa báo cáo HĐND.", "assessment": "fair", "assessment_text": "Thực hiện khá.",
        "conclusion_number": "07", "conclusion_symbol": "KL-MTTQ-BTT", "conclusion_date": f"{YEAR}-10-20",
        "conclusion_text": "Yêu cầu khắc phục các hạn chế.", "concluded_at": f"{YEAR}-10-20T15:00:00+07:00",
        "recommendations": [
            {"number": n, "text": text, "responsible": "Ban Thường trực", "responsible_unit": unit_code,
             "deadline": f"{YEAR + 1}-0{n}-28", "status": "open"}
            for n, text in enumerate(recommendations, start=1)
        ],
        **payload,
    }
    return envelope("inspection", inspection_uuid, version, unit_code, body)


def test_an_inspection_conclusion_is_held_as_the_parents_own_read_only_rows(tree, child):
    from inspections.models import Inspection, InspectionPlan
    from inspections.services import plans as inspection_plans
    from inspections.services.errors import InspectionError
    from inspections.services.rules import can_answer, can_manage_plan
    from sync.models import ChangeRecord

    item = inspection_item("03127")
    assert apply_batch(child, [item]).applied == [item["global_id"]]

    inspection = Inspection.objects.select_related("plan__unit").get(uuid=item["object_uuid"])
    assert (inspection.unit.code, inspection.plan.unit.code, inspection.status) == ("03127", "11", "concluded")
    assert (inspection.conclusion_number, inspection.assessment, str(inspection.window_end)) == ("07", "fair", f"{YEAR}-10-15")
    assert inspection.plan.received_from == item["payload"]["inspection_plan"]
    assert [(r.number, r.responsible_unit.code) for r in inspection.recommendations.order_by("number")] == [(1, "03127"), (2, "03127")]
    # The central committee's people see it as they see their own subtree's inspections.
    assert Inspection.objects.restrict(tree.user("tw.analyst")).filter(pk=inspection.pk).exists()
    # It travels on under its owner's global id, recorded once, whole.
    (record,) = ChangeRecord.objects.filter(kind="inspection")
    assert (record.origin, record.version, len(record.payload["recommendations"])) == (CHILD, 1, 2)
    assert record.payload["inspection_plan"] == item["payload"]["inspection_plan"]

    # Changed only where it was made.
    chair = tree.user("db.chair")
    assert not can_manage_plan(chair, inspection.plan)
    assert not can_answer(tree.user("himlam.cadre"), inspection.recommendations.first())
    with pytest.raises(InspectionError) as refused:
        inspection_plans.update_plan(inspection.plan, user=chair, title="Sửa ở cấp trên")
    assert refused.value.code == "received"

    # A newer version replaces the recommendations; a replay and an older one change nothing.
    v2 = inspection_item("03127", version=2, inspection_uuid=item["object_uuid"],
                         plan_uuid=item["payload"]["inspection_plan"].rpartition(":")[2], recommendations=("Chỉ còn một.",))
    apply_batch(child, [v2])
    again = apply_batch(child, [item, v2])
    assert again.skipped == [item["global_id"], v2["global_id"]]
    assert list(inspection.recommendations.values_list("text", flat=True)) == ["Chỉ còn một."]
    assert InspectionPlan.objects.filter(received_from=item["payload"]["inspection_plan"]).count() == 1


def test_an_inspection_by_a_unit_outside_the_subtree_or_over_a_non_subordinate_is_parked(tree, child):
    from inspections.models import Inspection

    by_outsider = inspection_item("03127", inspecting="01")   # Hà Nội inspecting an Điện Biên ward
    sideways = inspection_item("03151", inspecting="094")     # a district inspecting another's ward
    not_concluded = inspection_item("03124", status="in_progress")
    result = apply_batch(child, [by_outsider, sideways, not_concluded])
    reasons = {p["global_id"]: p["reason_en"] for p in result.parked}
    assert "outside the subtree" in reasons[by_outsider["global_id"]]
    assert "not below the inspecting unit" in reasons[sideways["global_id"]]
    assert "Only concluded" in reasons[not_concluded["global_id"]]
    assert not Inspection.objects.exists()
