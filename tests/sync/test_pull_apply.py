"""The applying half of the downward pull (sync.services.pull), in one process and one database.

The parent's items are built with ``sync.payloads`` inside a savepoint that is then rolled back:
the central unit and its plan existed only "at the parent", and this database is the child, a
province installation whose tree starts at Điện Biên (11) with no central unit above it.
"""
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from orgtree import reference_data
from orgtree.models import OrgUnit, UnitKind
from orgtree.services import add_member_organizations, create_unit
from plans.models import Dispatch, DocumentStatus, InboxItem, PlanDocument, Task
from plans.services import editing, guidance
from plans.services.derivation import default_rules, derive_plan
from plans.services.importing import import_plan_file
from sync.errors import SyncError
from sync.models import ChangeKind, ChangeRecord, ParkedItem, Peer, PeerRole, ReceivedItem
from sync.payloads import SCHEMA_VERSION, payload_for, unit_payload, unit_uuid
from sync.services import pull

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "seeds" / "000_bc0227de9fac2d55.txt"
CENTRAL = "central-test"


class _Rollback(Exception):
    pass


def item(kind, object_uuid, version, payload, origin=CENTRAL):
    return {"kind": kind, "origin": origin, "object_uuid": str(object_uuid), "global_id": f"{origin}:{object_uuid}",
            "version": version, "schema_version": SCHEMA_VERSION, "unit": payload.get("unit") or payload.get("code"),
            "payload": payload}


@dataclass
class Parent:
    """What the parent installation holds and sends: unit items, the central plan's item, and how
    a tenant province of the national installation derives from that plan (to compare)."""

    units: list
    plan: dict
    tenant_rules: dict  # task number -> default rule for the province
    tenant_tasks: dict  # task number -> (text, carried_as, lead texts)


def _derived_summary(plan):
    return {
        task.number: (task.text, task.carried_as, sorted(p.text for p in task.parties.all() if p.role == "lead"))
        for task in plan.tasks.prefetch_related("parties")
    }


def _build_parent(province) -> Parent:
    try:
        with transaction.atomic():
            kinds = {k.code: k for k in UnitKind.objects.all()}
            central = create_unit(code="TW", name="Ủy ban Trung ương MTTQ Việt Nam", area_name="Việt Nam",
                                  kind=kinds["central_committee"])
            province.move_to(central, "last-child")
            province = OrgUnit.objects.get(pk=province.pk)
            plan = import_plan_file(SEED, central)
            plan = guidance.issue(plan)
            tenant = derive_plan(plan, province)
            numbers = {task.pk: task.number for task in plan.tasks.all()}
            built = Parent(
                units=[item(ChangeKind.UNIT, unit_uuid(u.code), 1, unit_payload(u)) for u in (central, province)],
                plan=item(ChangeKind.PLAN, plan.uuid, 1, payload_for(ChangeKind.PLAN, plan)),
                tenant_rules={numbers[pk]: rule for pk, rule in default_rules(plan, province).items()},
                tenant_tasks=_derived_summary(tenant),
            )
            raise _Rollback
    except _Rollback:
        return built


@pytest.fixture
def child(db):
    """The province installation: Điện Biên is the root of its tree; its parent peer is central."""
    reference_data.seed()
    kinds = {k.code: k for k in UnitKind.objects.all()}
    province = create_unit(code="11", name="Ủy ban MTTQ Việt Nam tỉnh Điện Biên", area_name="tỉnh Điện Biên",
                           kind=kinds["province_committee"])
    add_member_organizations(province)
    create_unit(code="094", name="Ủy ban MTTQ Việt Nam thành phố Điện Biên Phủ", area_name="thành phố Điện Biên Phủ",
                kind=kinds["district_committee"], parent=province)
    peer = Peer.objects.create(name="trung-uong", installation_id=CENTRAL, role=PeerRole.PARENT,
                               base_url="http://127.0.0.1:9", unit=province)
    return peer


@pytest.fixture
def parent(child):
    return _build_parent(OrgUnit.objects.get(code="11"))


def apply_all(peer, items):
    return [pull.apply_or_park(Peer.objects.get(pk=peer.pk), it) for it in items]


def test_the_central_plan_arrives_and_the_province_derives_from_it_as_a_tenant_would(child, parent):
    assert not OrgUnit.objects.filter(code="TW").exists()
    assert apply_all(child, [*parent.units, parent.plan]) == ["applied", "skipped", "applied"]  # 11 is the child's own

    central, province = OrgUnit.objects.get(code="TW"), OrgUnit.objects.get(code="11")
    assert province.parent == central  # the child's tree hangs under the unit above
    pulled = PlanDocument.objects.get(uuid=parent.plan["object_uuid"])
    assert pulled.unit == central and pulled.status == DocumentStatus.ISSUED
    assert pulled.source_name == f"sync:{CENTRAL}:{parent.plan['object_uuid']}"
    assert [t["uuid"] for t in parent.plan["payload"]["tasks"]] == [str(t.uuid) for t in pulled.tasks.order_by("order")]
    assert pulled.versions.filter(version=1).exists()
    assert ReceivedItem.objects.get(object_uuid=pulled.uuid).version == 1

    numbers = {task.pk: task.number for task in pulled.tasks.all()}
    assert {numbers[pk]: rule for pk, rule in default_rules(pulled, province).items()} == parent.tenant_rules
    plan = derive_plan(pulled, province)
    assert plan.parent_plan == pulled and plan.status == DocumentStatus.DRAFT
    assert _derived_summary(plan) == parent.tenant_tasks
    assert {t.parent_task.document_id for t in plan.tasks.all() if t.parent_task} == {pulled.pk}


def test_a_pulled_document_is_never_edited_here(child, parent):
    apply_all(child, [*parent.units, parent.plan])
    pulled = PlanDocument.objects.get(uuid=parent.plan["object_uuid"])
    task = pulled.tasks.first()
    with pytest.raises(ValidationError):
        editing.apply_input(task, editing.TaskInput(text="sửa tại tỉnh"))
    with pytest.raises(ValidationError):
        with guidance.amending(pulled):
            pass
    with pytest.raises(ValidationError):
        guidance.send_guidance(pulled)
    with pytest.raises(ValidationError):
        editing.remove_task(task)


def test_replays_and_older_versions_change_nothing_a_newer_version_amends(child, parent):
    apply_all(child, [*parent.units, parent.plan])
    pulled = PlanDocument.objects.get(uuid=parent.plan["object_uuid"])
    province_plan = derive_plan(pulled, OrgUnit.objects.get(code="11"))
    task_ids = {t.uuid: t.pk for t in pulled.tasks.all()}

    assert apply_all(child, [parent.plan]) == ["unchanged"]

    amended = {**parent.plan, "version": 2, "payload": {**parent.plan["payload"], "status": "amended", "document_version": 2}}
    first, *rest = amended["payload"]["tasks"]
    amended["payload"]["tasks"] = [{**first, "text": "Nội dung sửa đổi của Trung ương"}, *rest[:-1]]
    assert apply_all(child, [amended, parent.plan]) == ["applied", "unchanged"]

    pulled.refresh_from_db()
    assert (pulled.version, pulled.status) == (2, DocumentStatus.AMENDED)
    assert {t.uuid: t.pk for t in Task.with_withdrawn.filter(document=pulled)} == task_ids  # same rows: links hold
    assert Task.objects.get(uuid=first["uuid"]).text == "Nội dung sửa đổi của Trung ương"
    assert Task.with_withdrawn.get(uuid=rest[-1]["uuid"]).withdrawn
    dispatch = Dispatch.objects.get(document=pulled, kind=Dispatch.Kind.AMENDMENT)
    assert (dispatch.from_version, dispatch.to_version) == (1, 2)
    inbox = InboxItem.objects.get(dispatch=dispatch)
    assert inbox.plan == province_plan
    assert {c.kind for c in guidance.changes_for(inbox)} == {"changed", "removed"}


def test_a_bad_item_is_parked_and_the_rest_of_the_page_goes_on(child, parent):
    unknown_schema = {**parent.units[0], "version": 2, "schema_version": SCHEMA_VERSION + 1}
    orphan_plan = parent.plan  # its issuing unit has not arrived yet
    page = {"schema_version": SCHEMA_VERSION, "items": [parent.units[1], unknown_schema, orphan_plan],
            "next_cursor": "c1", "has_more": False}
    result = pull.PullResult()
    assert pull.apply_page(child, page, "", result) is False
    assert (result.applied, result.parked) == (0, 3)  # 11's place needs TW too: parked
    child.refresh_from_db()
    assert child.pull_cursor == "c1" and child.last_pull_at is not None
    reasons = list(ParkedItem.objects.order_by("pk").values_list("reason", flat=True))
    assert "TW" in reasons[0] and "schema" in reasons[1]

    apply_all(child, [parent.units[0]])  # the central unit arrives
    applied, still = pull.retry_parked()
    assert (applied, still) == (2, 1)  # the plan and 11's place; the unknown schema stays parked
    assert PlanDocument.objects.filter(uuid=parent.plan["object_uuid"]).exists()
    assert OrgUnit.objects.get(code="11").parent.code == "TW"
    assert list(ParkedItem.objects.filter(resolved_at__isnull=True).values_list("kind", flat=True)) == ["unit"]


def test_a_guidance_reaches_the_units_it_is_addressed_to(child, parent):
    apply_all(child, parent.units)
    sent = {"kind": "guidance", "from_version": None, "to_version": None, "note": "Hướng dẫn cấp huyện",
            "due_date": "2026-03-31", "sent_at": "2026-01-05T08:00:00+07:00", "levels": ["district"], "kinds": []}
    payload = {**parent.plan["payload"], "kind": "HD", "dispatches": [sent]}
    guidance_item = {**parent.plan, "kind": ChangeKind.GUIDANCE, "payload": payload}
    assert apply_all(child, [guidance_item]) == ["applied"]
    document = PlanDocument.objects.get(uuid=guidance_item["object_uuid"])
    dispatch = Dispatch.objects.get(document=document, kind=Dispatch.Kind.GUIDANCE)
    assert (dispatch.note, str(dispatch.due_date)) == ("Hướng dẫn cấp huyện", "2026-03-31")
    assert [i.unit.code for i in InboxItem.objects.filter(dispatch=dispatch)] == ["094"]

    # Sent again with a second dispatch: only the new one is made here.
    again = {**guidance_item, "version": 2, "payload": {**payload, "dispatches": [sent, {**sent, "levels": []}]}}
    assert apply_all(child, [again]) == ["applied"]
    assert Dispatch.objects.filter(document=document, kind=Dispatch.Kind.GUIDANCE).count() == 2
    everyone_here = OrgUnit.objects.within(OrgUnit.objects.get(code="11")).count()
    assert InboxItem.objects.filter(dispatch__document=document).count() == 1 + everyone_here


def test_the_parent_may_not_write_inside_the_child_tree(child, parent):
    apply_all(child, parent.units)
    inside = {**parent.plan, "payload": {**parent.plan["payload"], "unit": "094"}}
    new_unit = item(ChangeKind.UNIT, unit_uuid("09999"), 1, {**parent.units[1]["payload"], "code": "09999", "parent": "11"})
    assert apply_all(child, [inside, new_unit]) == ["parked", "parked"]
    assert not OrgUnit.objects.filter(code="09999").exists()
    assert not PlanDocument.objects.filter(uuid=parent.plan["object_uuid"]).exists()


class FakeClient:
    """The parent's feed, two pages, answering by cursor."""

    def __init__(self, pages: dict):
        self.pages, self.asked = pages, []

    def get(self, path, params=None):
        cursor = (params or {}).get("cursor", "")
        self.asked.append(cursor)
        return self.pages[cursor]


def test_pull_reads_page_after_page_keeps_the_cursor_and_settles_what_waited(child, parent):
    client = FakeClient({
        "": {"schema_version": SCHEMA_VERSION, "items": [parent.plan], "next_cursor": "p1", "has_more": True},
        "p1": {"schema_version": SCHEMA_VERSION, "items": parent.units, "next_cursor": "p2", "has_more": False},
        "p2": {"schema_version": SCHEMA_VERSION, "items": [], "next_cursor": "p2", "has_more": False},
    })
    result = pull.pull(Peer.objects.get(pk=child.pk), client=client)
    # The plan came before its unit: parked, then applied once the unit arrived.
    assert (result.parked, result.applied, result.skipped, result.retried) == (1, 1, 1, 1)
    assert (result.pages, client.asked) == (2, ["", "p1"])
    assert PlanDocument.objects.filter(uuid=parent.plan["object_uuid"]).exists()
    assert not ParkedItem.objects.filter(resolved_at__isnull=True).exists()
    assert Peer.objects.get(pk=child.pk).pull_cursor == "p2"
    again = pull.pull(Peer.objects.get(pk=child.pk), client=client)
    assert (again.applied, again.pages) == (0, 1)


def test_a_failing_parent_leaves_its_error_on_the_peer(child):
    class Down:
        def get(self, path, params=None):
            raise SyncError("Cấp trên không trả lời", "The parent does not answer")

    with pytest.raises(SyncError):
        pull.pull(child, client=Down())
    assert "does not answer" in Peer.objects.get(pk=child.pk).last_pull_error


def test_a_pulled_plan_is_recorded_here_once_whole_not_rebuilt_after_each_part(child, parent):
    """Its row in this installation's change log is written when the document is saved and
    completed once at the end: the whole document is read twice, not once per task or section."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    apply_all(child, parent.units)
    with CaptureQueriesContext(connection) as queries:
        assert apply_all(child, [parent.plan]) == ["applied"]
    whole_reads = [q for q in queries.captured_queries if 'FROM "plans_legalbasis"' in q["sql"]]
    assert len(parent.plan["payload"]["tasks"]) + len(parent.plan["payload"]["sections"]) > 20
    assert len(whole_reads) <= 3, len(whole_reads)
    (record,) = ChangeRecord.objects.filter(kind=ChangeKind.PLAN, object_uuid=parent.plan["object_uuid"])
    assert len(record.payload["tasks"]) == len(parent.plan["payload"]["tasks"])
    assert record.origin == CENTRAL
