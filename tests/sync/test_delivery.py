"""Upward federation between two real installations.

This process is the CHILD (Điện Biên, installation "dienbien": the test database, the Celery worker
of tests/conftest.py delivering); the second installation of tests/sync/installations.py is the
PARENT (installation "peer": its own database and web server, which the fault test kills in the
middle of delivery). The child accepts a year of reports (reviews.demo); they reach the parent with
the same numbers, the parent's roll-up of the province equals the child's, and nothing is lost or
doubled whatever happens to the parent in between.
"""
import json
import time
import uuid
from datetime import date

import pytest

from orgtree.models import OrgUnit
from reviews.demo import generate_year
from reviews.models import ReportStatus, TaskProgress, UnitReport
from reviews.signals import report_data_changed
from sync.client import PeerClient
from sync.models import ChangeKind, ChangeRecord, Peer, PeerRole
from sync.services import outbox
from sync.services.keys import add_key
from sync.tasks import INBOX_PATH, deliver
from tests.conftest import build_tree
from tests.plans.factories import seed_like_plan
from tests.sync.installations import peer, peer_installation  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.worker]

CHILD = "dienbien"
YEAR = 2025
TODAY = date(2026, 1, 20)
DELIVERY_TIMEOUT = 400  # the change log waits for the longest transaction in the cluster (shared by test runs)

# What both installations compute on their own database: the province's accepted reports, their
# rows, a checksum of all of it, and the roll-up measures that accepted reports make. (The
# reporting rates count every report opened, and only accepted reports travel up.)
FINGERPRINT = f"""
import hashlib, json
from dataclasses import asdict
from datetime import date
from orgtree.models import OrgUnit
from reviews.models import IndicatorValue, TaskProgress, UnitReport
from reviews.rollup.reading import rollup

province = OrgUnit.objects.get(code="11")
reports = UnitReport.objects.filter(status="accepted", unit__in=OrgUnit.objects.within(province))
rows = sorted([str(r.uuid), r.unit.code, r.year, r.version, r.summary, r.due_date.isoformat(),
               r.first_submitted_at.isoformat() if r.first_submitted_at else None,
               r.accepted_at.isoformat() if r.accepted_at else None] for r in reports.select_related("unit"))
progress = sorted([str(p.report.uuid), str(p.task.uuid), p.period_key, p.period_label, p.due.isoformat(), p.status,
                   p.percent, p.narrative, p.reason]
                  for p in TaskProgress.objects.filter(report__in=reports).select_related("report", "task"))
indicators = sorted([str(v.report.uuid), v.indicator.code, v.value]
                    for v in IndicatorValue.objects.filter(report__in=reports).select_related("report", "indicator"))
measures = ("tasks", "done", "in_progress", "not_done", "not_started", "points", "overdue", "reports_accepted", "indicators")
cut = lambda m: {{name: asdict(m)[name] for name in measures}}
roll = rollup(province, {YEAR}, accepted_only=True, today=date.fromisoformat("{TODAY.isoformat()}"))
result = {{
    "counts": {{"reports": len(rows), "progress": len(progress), "indicators": len(indicators)}},
    "checksum": hashlib.sha256(json.dumps([rows, progress, indicators]).encode()).hexdigest(),
    "rollup": cut(roll.total),
    "by_child": {{row.key: cut(row.measures) for row in roll.by_child}},
}}
"""


def local_fingerprint() -> dict:
    scope = {}
    exec(FINGERPRINT, scope)
    return json.loads(json.dumps(scope["result"]))


@pytest.fixture
def child_tree(transactional_db, settings):
    # Set before the tree is built: the units' change records carry this installation's id.
    settings.INSTALLATION_ID = CHILD
    settings.SYNC_BATCH_SIZE = 2
    return build_tree()


@pytest.fixture
def parent(child_tree, peer):
    """The parent installation with the same tree, each side registered at the other with one key.
    Returns this side's Peer row for it."""
    peer.flush()
    row = Peer.objects.create(name="Trung ương", installation_id="peer", role=PeerRole.PARENT,
                              base_url=peer.url, unit=child_tree["11"])
    key = add_key(row)
    peer.shell(
        "from django.conf import settings; "
        "settings.PASSWORD_HASHERS = ['django.contrib.auth.hashers.MD5PasswordHasher']\n"
        "from tests.conftest import build_tree; build_tree()\n"
        "from orgtree.models import OrgUnit; from sync.models import Peer; from sync.services.keys import add_key\n"
        f"child = Peer.objects.create(name='Điện Biên', installation_id='{CHILD}', role='child', "
        "unit=OrgUnit.objects.get(code='11'))\n"
        f"add_key(child, key_id='{key.key_id}', secret='{key.secret}')\n"
    )
    return row


@pytest.fixture
def year_of_reports(child_tree):
    """A generated year of Điện Biên's reports, its accepted ones in the change log (the demo writes
    approval states in bulk; sync.receivers records them from its report_data_changed)."""
    seed_like_plan(child_tree["11"])
    generate_year(child_tree["11"], YEAR, seed=11, today=TODAY)
    accepted = list(UnitReport.objects.filter(year=YEAR, status=ReportStatus.ACCEPTED))
    assert len(accepted) >= 3
    recorded = ChangeRecord.objects.filter(kind=ChangeKind.REPORT).values_list("object_uuid", flat=True)
    assert {report.uuid for report in accepted} == set(recorded)
    return accepted


def upward_log(row: Peer):
    """Every row of the change log that travels up to ``row``, committed or not."""
    return ChangeRecord.objects.filter(kind__in=outbox.UPWARD_KINDS, unit__in=OrgUnit.objects.within(row.unit))


def wait_until_readable(row: Peer, timeout: float = DELIVERY_TIMEOUT) -> None:
    """The outbox hands out rows of transactions older than the oldest running one in the whole
    database cluster (other test runs share it): wait until every row written here is readable."""
    row = Peer.objects.get(pk=row.pk)
    written = upward_log(row).filter(outbox.watermark(row).after()).count()
    deadline = time.monotonic() + timeout
    while outbox.lag(row) < written:
        assert time.monotonic() < deadline, "the change log's rows never became readable"
        time.sleep(0.1)


def wait_until_delivered(row: Peer, timeout: float = DELIVERY_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while outbox.pending(Peer.objects.get(pk=row.pk)).exists():
        if time.monotonic() > deadline:
            row.refresh_from_db()
            raise AssertionError(f"{outbox.lag(row)} items still owed; last error: {row.last_push_error}")
        time.sleep(0.2)


def test_a_year_of_reports_reaches_the_parent_through_a_crash_once_and_only_once(
        peer, parent, year_of_reports, celery_worker):
    owed = upward_log(parent)
    wait_until_readable(parent)
    assert owed.count() > 3 * 2  # several batches of 2

    deliver.delay(parent.pk)
    deadline = time.monotonic() + 60
    while not Peer.objects.get(pk=parent.pk).acked_up_to:  # the first batch acknowledged
        assert time.monotonic() < deadline, "no batch acknowledged"
        time.sleep(0.01)
    peer.stop_web(kill=True)  # in the middle of the next batch (or between two)
    time.sleep(3)
    row = Peer.objects.get(pk=parent.pk)
    assert outbox.pending(row).exists(), "everything was delivered before the crash: nothing tested"
    assert row.last_push_error  # the task saw the parent go and is retrying with backoff
    peer.start_web()
    wait_until_delivered(parent)

    mine, theirs = local_fingerprint(), peer.shell_json(FINGERPRINT)
    assert mine["counts"]["reports"] == len(year_of_reports)
    assert theirs == mine  # same rows, same checksum, same roll-up of the province and of each child
    assert mine["rollup"]["tasks"] > 0 and mine["rollup"]["indicators"]
    received = peer.shell_json("from sync.models import ReceivedItem, ParkedItem\n"
                               "result = [ReceivedItem.objects.count(), ParkedItem.objects.count()]")
    assert received == [owed.values("origin", "object_uuid").distinct().count(), 0]

    # The same items delivered again (as after a lost acknowledgement): all skipped, nothing changes.
    Peer.objects.filter(pk=parent.pk).update(acked_up_to=0)
    batch = outbox.next_batch(Peer.objects.get(pk=parent.pk), size=10_000)
    answer = PeerClient(parent).post(INBOX_PATH, batch)
    assert answer["acknowledged_through"] == batch["through"]
    assert (answer["applied"], answer["parked"], len(answer["skipped"])) == ([], [], owed.count())
    assert peer.shell_json(FINGERPRINT) == mine


def item(record: ChangeRecord) -> dict:
    return outbox.item_of(ChangeRecord.objects.select_related("unit").get(pk=record.pk))


def test_out_of_order_items_end_equal_and_a_foreign_unit_is_parked_without_stopping_the_rest(
        peer, parent, year_of_reports):
    wait_until_readable(parent)
    deliver.apply(args=[parent.pk]).get()
    assert not outbox.pending(Peer.objects.get(pk=parent.pk)).exists()

    # A newer version of an accepted report (reopened, corrected, accepted again).
    report = year_of_reports[0]
    row = TaskProgress.objects.filter(report=report).order_by("pk").first()
    row.status, row.percent, row.narrative = "in_progress", 30, "Đã sửa sau khi mở lại."
    row.save()
    report.refresh_from_db()
    report.version, report.summary = report.version + 1, "Đã bổ sung số liệu."
    report.save()
    report_data_changed.send(UnitReport, report_ids=[report.pk])
    versions = ChangeRecord.objects.filter(kind=ChangeKind.REPORT, object_uuid=report.uuid).order_by("version")
    old, new = versions.first(), versions.last()
    assert (old.version, new.version) == (report.version - 1, report.version)
    answer = PeerClient(parent).post(INBOX_PATH, {"installation": CHILD, "through": new.pk,
                                                  "items": [item(new), item(old)]})
    assert answer["applied"] == [new.global_id] and answer["skipped"] == [old.global_id]
    assert peer.shell_json(FINGERPRINT) == local_fingerprint()

    # A unit of Hà Nội slipped into a batch: parked with its reason, the rename after it applied.
    hanoi = {**item(new), "unit": "00001", "object_uuid": str(uuid.uuid4())}
    hanoi["global_id"] = f"{CHILD}:{hanoi['object_uuid']}"
    hanoi["payload"] = {**hanoi["payload"], "unit": "00001", "global_id": hanoi["global_id"]}
    commune = OrgUnit.objects.get(code="03151")
    commune.name = "Ủy ban MTTQ Việt Nam phường Sông Đà (đổi tên)"
    commune.save()
    rename = ChangeRecord.objects.filter(kind=ChangeKind.UNIT, unit=commune).latest("id")
    answer = PeerClient(parent).post(INBOX_PATH, {"installation": CHILD, "through": rename.pk,
                                                  "items": [hanoi, item(rename)]})
    assert answer["applied"] == [rename.global_id]
    assert [p["global_id"] for p in answer["parked"]] == [hanoi["global_id"]]
    assert "ngoài phạm vi" in answer["parked"][0]["reason"]
    there = peer.shell_json(
        "from orgtree.models import OrgUnit; from sync.models import ParkedItem; from reviews.models import UnitReport\n"
        "parked = ParkedItem.objects.get()\n"
        "result = {'name': OrgUnit.objects.get(code='03151').name, 'reason': parked.reason,\n"
        "          'hanoi_reports': UnitReport.objects.filter(unit__code='00001').count()}")
    assert there["name"].endswith("(đổi tên)") and there["hanoi_reports"] == 0
    assert "outside the subtree" in there["reason"]

    # The regular delivery afterwards: the rest of the log, nothing applied twice.
    wait_until_readable(parent)
    deliver.apply(args=[parent.pk]).get()
    assert not outbox.pending(Peer.objects.get(pk=parent.pk)).exists()
    assert peer.shell_json(FINGERPRINT) == local_fingerprint()
