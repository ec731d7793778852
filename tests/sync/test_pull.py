"""Downward federation between two real installations: the central committee issues a plan; the
province pulls it and derives its own plan from it.

This process is the CHILD (Điện Biên, installation "dienbien": the test database, the Celery worker
of tests/conftest.py pulling); the second installation of tests/sync/installations.py is the
PARENT, the national installation (id "peer": its own database and web server). The parent's
plan is the seed imported into TW and issued there. After the pull, the province derives its plan
from the pulled central plan; the result equals what the national installation derives for the
same province as one of its tenants.
"""
import time
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from plans.models import Dispatch, DocumentStatus, InboxItem, PlanDocument, Task
from plans.services import guidance
from plans.services.derivation import derive_plan
from sync.models import Peer, PeerRole, ReceivedItem
from sync.services.keys import add_key
from sync.tasks_pull import pull as pull_task
from tests.conftest import build_tree
from tests.sync.installations import peer, peer_installation  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.worker]

CHILD = "dienbien"
PULL_TIMEOUT = 120
SEED = Path(__file__).resolve().parents[2] / "fixtures" / "seeds" / "000_bc0227de9fac2d55.txt"

# A derived plan, task by task, as both installations compute it (to compare).
SUMMARY = """
def summary(plan):
    return {task.number: [task.text, task.carried_as, sorted(p.text for p in task.parties.all() if p.role == "lead"),
                          str(task.parent_task.uuid) if task.parent_task_id else None]
            for task in plan.tasks.prefetch_related("parties").select_related("parent_task")}
"""


def pull_until(arrived, pull_once, timeout: float = PULL_TIMEOUT) -> list:
    """Pull until ``arrived()``: the parent's feed hands out only rows of transactions older than
    every transaction running in its database cluster (docs/decisions/0008-sync.md), so a long
    transaction elsewhere on a shared server delays what it answers."""
    results, deadline = [], time.monotonic() + timeout
    while True:
        results.append(pull_once())
        if arrived():
            return results
        assert time.monotonic() < deadline, f"nothing arrived: {results[-3:]}"
        time.sleep(0.5)


def summary(plan) -> dict:
    scope = {}
    exec(SUMMARY, scope)
    return scope["summary"](plan)


@pytest.fixture
def child_tree(transactional_db, settings):
    settings.INSTALLATION_ID = CHILD  # before the tree: its change records carry this id
    return build_tree()


@pytest.fixture
def central(child_tree, peer):
    """The national installation with the same tree and the central plan issued; each side
    registered at the other with one key. Returns (this side's Peer row, the central plan's uuid
    and task uuids)."""
    peer.flush()
    row = Peer.objects.create(name="Trung ương", installation_id="peer", role=PeerRole.PARENT,
                              base_url=peer.url, unit=child_tree["11"])
    key = add_key(row)
    plan = peer.shell_json(
        "from django.conf import settings; "
        "settings.PASSWORD_HASHERS = ['django.contrib.auth.hashers.MD5PasswordHasher']\n"
        "from tests.conftest import build_tree; build_tree()\n"
        "from orgtree.models import OrgUnit; from sync.models import Peer; from sync.services.keys import add_key\n"
        "from plans.services import guidance; from plans.services.importing import import_plan_file\n"
        f"child = Peer.objects.create(name='Điện Biên', installation_id='{CHILD}', role='child', "
        "unit=OrgUnit.objects.get(code='11'))\n"
        f"add_key(child, key_id='{key.key_id}', secret='{key.secret}')\n"
        f"plan = guidance.issue(import_plan_file({str(SEED)!r}, OrgUnit.objects.get(code='TW')))\n"
        "result = {'uuid': str(plan.uuid), 'tasks': [str(t.uuid) for t in plan.tasks.all()]}\n"
    )
    return row, plan


def test_the_central_committee_issues_a_plan_the_province_pulls_it_and_derives_its_own(
        peer, central, child_tree, celery_worker):
    row, issued = central

    # On the real worker, through the real broker.
    runs = pull_until(lambda: PlanDocument.objects.filter(uuid=issued["uuid"]).exists(),
                      lambda: pull_task.delay(row.pk).get(timeout=60))

    # Applied: the centre's plan and the one unit above the province (TW); the province's own units
    # come down too but are never overwritten here.
    assert sum(run["applied"] for run in runs) == 2 and sum(run["parked"] for run in runs) == 0, runs
    row.refresh_from_db()
    assert row.pull_cursor and row.last_pull_at and not row.last_pull_error
    pulled = PlanDocument.objects.get(uuid=issued["uuid"])
    assert pulled.unit == child_tree["TW"] and pulled.status == DocumentStatus.ISSUED
    assert pulled.source_name == f"sync:peer:{issued['uuid']}"
    assert sorted(str(t.uuid) for t in pulled.tasks.all()) == sorted(issued["tasks"])
    assert ReceivedItem.objects.get(object_uuid=pulled.uuid).origin == "peer"
    with pytest.raises(ValidationError):  # the centre's plan is edited at the centre only
        guidance.send_guidance(pulled)

    province_plan = derive_plan(pulled, child_tree["11"], actor=child_tree.user("db.chair"))

    assert province_plan.parent_plan == pulled
    assert {str(t.parent_task.uuid) for t in province_plan.tasks.all() if t.parent_task_id} <= set(issued["tasks"])
    tenant = peer.shell_json(
        SUMMARY + "from orgtree.models import OrgUnit; from plans.models import PlanDocument\n"
        "from plans.services.derivation import derive_plan\n"
        f"result = summary(derive_plan(PlanDocument.objects.get(uuid='{issued['uuid']}'), OrgUnit.objects.get(code='11')))\n"
    )
    assert summary(province_plan) == tenant  # exactly as for a tenant of the national installation

    # Pulling again: nothing new.
    again = pull_task.delay(row.pk).get(timeout=120)
    assert again["applied"] == 0 and again["parked"] == 0


def test_an_amendment_at_the_centre_reaches_the_province_inbox(peer, central, child_tree):
    row, issued = central
    pull_until(lambda: PlanDocument.objects.filter(uuid=issued["uuid"]).exists(),
               lambda: call_command("sync", "pull", "--peer", row.name))
    pulled = PlanDocument.objects.get(uuid=issued["uuid"])
    province_plan = derive_plan(pulled, child_tree["11"])
    task_ids = set(Task.objects.filter(document=pulled).values_list("pk", flat=True))

    peer.shell(
        "from plans.models import PlanDocument, Task; from plans.services import guidance\n"
        f"plan = PlanDocument.objects.get(uuid='{issued['uuid']}')\n"
        "with guidance.amending(plan, note='Sửa đổi 1.1'):\n"
        "    task = Task.objects.get(document=plan, number='1.1'); task.text = 'Nội dung 1.1 đã sửa đổi'; task.save()\n"
    )
    pull_until(lambda: PlanDocument.objects.get(pk=pulled.pk).version == 2, lambda: call_command("sync", "pull"))

    pulled.refresh_from_db()
    assert (pulled.version, pulled.status) == (2, DocumentStatus.AMENDED)
    assert set(Task.objects.filter(document=pulled).values_list("pk", flat=True)) == task_ids
    assert Task.objects.get(document=pulled, number="1.1").text == "Nội dung 1.1 đã sửa đổi"
    dispatch = Dispatch.objects.get(document=pulled, kind=Dispatch.Kind.AMENDMENT)
    item = InboxItem.objects.get(dispatch=dispatch)
    assert item.plan == province_plan and item.unit == child_tree["11"]
    assert [c.kind for c in guidance.changes_for(item)] == ["changed"]
