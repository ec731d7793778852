"""Amendments and guidance cascade down the tree; each unit decides per change; the sender
follows who has seen and acted, and who is late."""
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied

from orgtree.models import Level
from plans.models import AmendmentDecision, DocumentKind, DocumentStatus, InboxItem, PlanDocument, Task
from plans.services import guidance

pytestmark = pytest.mark.django_db


def make_plan(unit, tasks, parent_plan=None, status=DocumentStatus.DRAFT, kind=DocumentKind.PLAN):
    plan = PlanDocument.objects.create(unit=unit, title=f"Kế hoạch của {unit.code}", parent_plan=parent_plan, status=status, kind=kind)
    made = []
    for order, (number, text, parent_task) in enumerate(tasks, start=1):
        made.append(Task.objects.create(document=plan, number=number, text=text, order=order, parent_task=parent_task,
                                        timeframe_text="Hằng năm"))
    return plan, made


@pytest.fixture
def chain(tree):
    """Province plan (issued) -> district 094 plan -> commune 03127 plan, tasks linked upward."""
    chair = tree.user("db.chair")
    province, (p1, p2, p3) = make_plan(tree["11"], [
        ("1.1", "Tuyên truyền Chỉ thị 18", None),
        ("2.1", "Hiệp thương xây dựng chương trình giám sát", None),
        ("3.1", "Rà soát định mức chi", None),
    ])
    province = guidance.issue(province, chair)
    district, (d1, d2, d3) = make_plan(tree["094"], [(t.number, t.text, t) for t in (p1, p2, p3)], parent_plan=province)
    commune, (c1, c2) = make_plan(tree["03127"], [(d1.number, "Tuyên truyền ở phường", d1), (d2.number, d2.text, d2)], parent_plan=district)
    return {"province": province, "district": district, "commune": commune, "p": (p1, p2, p3), "c": (c1, c2), "chair": chair}


def amend(chain, due_date=None):
    p1, p2, p3 = chain["p"]
    with guidance.amending(chain["province"], chain["chair"], note="Sửa đổi lần 1", due_date=due_date):
        p1.text = "Tuyên truyền Chỉ thị 18 và Kết luận 118"
        p1.save()
        p3.delete()
        Task.objects.create(document=chain["province"], number="4.1", text="Báo cáo HĐND", order=4, timeframe_text="Quý IV hàng năm")
    return chain["province"].dispatches.get()


def test_an_amendment_reaches_every_derived_plan_at_any_depth(chain):
    dispatch = amend(chain)
    province = PlanDocument.objects.get(pk=chain["province"].pk)
    assert (province.status, province.version) == (DocumentStatus.AMENDED, 2)
    assert set(dispatch.items.values_list("unit__code", flat=True)) == {"094", "03127"}
    assert {(c[1], c[3]["number"] if c[3] else c[2]["number"]) for c in guidance.plan_changes(dispatch)} == {
        ("changed", "1.1"), ("removed", "3.1"), ("added", "4.1")}


def test_the_commune_sees_the_diff_against_its_own_plan_and_chooses_per_change(chain, tree):
    dispatch = amend(chain)
    item = dispatch.items.get(unit__code="03127")
    changes = {c.kind: c for c in guidance.changes_for(item)}
    c1, c2 = chain["c"]
    # Two hops up (commune -> district -> province), the commune's own wording is found.
    assert changes["changed"].own_task == c1
    assert changes["removed"].own_task is None  # the commune had left 3.1 out
    cadre = tree.user("himlam.cadre")

    guidance.decide(item, changes["changed"].key, AmendmentDecision.Choice.KEEP, cadre)
    assert Task.objects.get(pk=c1.pk).text == "Tuyên truyền ở phường"
    guidance.decide(item, changes["added"].key, AmendmentDecision.Choice.APPLY, cadre)
    added = Task.objects.get(document=chain["commune"], number="4.1")
    assert added.parent_task.document == chain["province"] and added.text == "Báo cáo HĐND"
    assert InboxItem.objects.get(pk=item.pk).state == InboxItem.State.SEEN

    guidance.decide(item, changes["removed"].key, AmendmentDecision.Choice.APPLY, cadre)
    item.refresh_from_db()
    assert item.state == InboxItem.State.ACTED and item.acted_by == cadre


def test_applying_a_changed_task_takes_the_new_text(chain, tree):
    dispatch = amend(chain)
    item = dispatch.items.get(unit__code="094")
    changed = next(c for c in guidance.changes_for(item) if c.kind == "changed")
    guidance.decide(item, changed.key, AmendmentDecision.Choice.APPLY, tree.user("dbp.cadre"))
    assert changed.own_task.__class__.objects.get(pk=changed.own_task.pk).text == "Tuyên truyền Chỉ thị 18 và Kết luận 118"
    removed = next(c for c in guidance.changes_for(item) if c.kind == "removed")
    guidance.decide(item, removed.key, AmendmentDecision.Choice.APPLY, tree.user("dbp.cadre"))
    assert not Task.objects.filter(pk=removed.own_task.pk).exists()


def test_another_unit_cannot_decide_for_the_commune(chain, tree):
    dispatch = amend(chain)
    item = dispatch.items.get(unit__code="03127")
    key = guidance.changes_for(item)[0].key
    with pytest.raises(PermissionDenied):
        guidance.decide(item, key, AmendmentDecision.Choice.APPLY, tree.user("hn.chair"))
    with pytest.raises(PermissionDenied):
        guidance.decide(item, key, AmendmentDecision.Choice.APPLY, tree.user("db.viewer"))
    assert not item.decisions.exists()


def test_the_province_sees_who_is_late(chain, tree):
    dispatch = amend(chain, due_date=date.today() - timedelta(days=1))
    district_item = dispatch.items.get(unit__code="094")
    guidance.acknowledge(district_item, tree.user("dbp.cadre"))
    rows = {row.item.unit.code: row for row in guidance.follow_up(dispatch)}
    assert rows["094"].item.state == InboxItem.State.ACTED and not rows["094"].late
    assert rows["03127"].item.state == InboxItem.State.UNSEEN and rows["03127"].late


def test_guidance_reaches_the_chosen_levels_of_the_subtree_only(tree):
    chair = tree.user("db.chair")
    document, _ = make_plan(tree["11"], [("1", "Hướng dẫn giám sát chuyên đề", None)], kind=DocumentKind.GUIDANCE)
    with pytest.raises(Exception):
        guidance.send_guidance(document, chair)  # a draft is not sent
    document = guidance.issue(document, chair)
    everyone = guidance.send_guidance(document, chair)
    assert set(everyone.items.values_list("unit__code", flat=True)) == {
        "094", "095", "03124", "03127", "03151", "11-LDLD", "11-HND", "11-HLHPN", "11-DTN", "11-HCCB"}
    communes = guidance.send_guidance(document, chair, levels=[Level.objects.get(code="commune")])
    assert set(communes.items.values_list("unit__code", flat=True)) == {"03124", "03127", "03151"}


def test_only_the_units_managers_issue_and_amend(chain, tree):
    draft, _ = make_plan(tree["11"], [("1", "x", None)])
    with pytest.raises(PermissionDenied):
        guidance.issue(draft, tree.user("db.cadre"))
    with pytest.raises(PermissionDenied):
        with guidance.amending(chain["province"], tree.user("dbp.cadre")):
            pass
