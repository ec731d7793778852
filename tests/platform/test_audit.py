"""Every change to domain data is recorded: who, when, before and after, bulk writes included."""
import pytest
from django.contrib.contenttypes.models import ContentType

from mttq_platform.audit import acting_as, bulk_create_audited, update_audited
from mttq_platform.models import AuditLog
from orgtree.models import Membership, OrgUnit, Role, UnitKind
from orgtree.services import create_unit

pytestmark = pytest.mark.django_db


def entries_for(obj):
    return AuditLog.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)).order_by("id")


def test_create_update_delete_are_recorded_with_actor_and_values(tree):
    chair = tree.user("db.chair")
    with acting_as(chair, "web"):
        unit = create_unit(code="03130", name="Ủy ban MTTQ phường Thanh Bình", kind=UnitKind.objects.get(code="commune_committee"), parent=tree["094"])
        unit = OrgUnit.objects.get(pk=unit.pk)
        unit.name = "Ủy ban MTTQ Việt Nam phường Thanh Bình"
        unit.save()
    created, updated = entries_for(unit)
    assert (created.action, created.actor, created.source) == ("create", chair, "web")
    assert created.after["name"] == "Ủy ban MTTQ phường Thanh Bình"
    assert created.unit_id == unit.pk
    # Tree bookkeeping (lft/rght/depth) is structure, not domain data.
    assert "lft" not in created.after and "depth" not in created.after
    assert updated.before == {"name": "Ủy ban MTTQ phường Thanh Bình"}
    assert updated.after == {"name": "Ủy ban MTTQ Việt Nam phường Thanh Bình"}

    membership = Membership.objects.create(user=chair, unit=unit, role=Role.objects.get(code="viewer"))
    membership_pk = membership.pk
    with acting_as(None, "job"):
        membership.delete()
    deleted = AuditLog.objects.filter(object_id=str(membership_pk), action="delete",
                                      content_type=ContentType.objects.get_for_model(Membership)).get()
    assert deleted.action == "delete" and deleted.actor is None and deleted.source == "job"
    assert deleted.before["role_id"] == Role.objects.get(code="viewer").pk


def test_saving_without_a_change_records_nothing(tree):
    unit = tree["094"]
    before = AuditLog.objects.count()
    unit.save()
    assert AuditLog.objects.count() == before


def test_bulk_writes_are_recorded_per_object(tree):
    viewer = Role.objects.get(code="viewer")
    users = [tree.user("db.chair"), tree.user("db.cadre"), tree.user("dbp.cadre")]
    with acting_as(tree.user("root"), "job"):
        made = bulk_create_audited(Membership, [Membership(user=u, unit=tree["095"], role=viewer) for u in users])
        changed = update_audited(Membership.objects.filter(unit=tree["095"]), title="Ủy viên")
    assert changed == 3
    for membership in made:
        create, update = entries_for(membership)
        assert create.action == "create" and create.actor == tree.user("root")
        assert update.before == {"title": ""} and update.after == {"title": "Ủy viên"}
    assert set(Membership.objects.filter(unit=tree["095"]).values_list("title", flat=True)) == {"Ủy viên"}
