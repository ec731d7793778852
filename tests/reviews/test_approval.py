"""Approval of yearly reports, DHIS2-style: the unit submits, the parent accepts, returns, reopens,
waives; a parent waits for its children; every step leaves an event and an audit row."""
import pytest
from django.contrib.contenttypes.models import ContentType

from mttq_platform.models import AuditLog
from reviews.models import ApprovalAction, ApprovalEvent, ProgressStatus, ReportStatus, ReportVersion, UnitReport
from reviews.services import approval
from reviews.services.errors import ReviewError
from reviews.services.progress import can_edit, record_progress, set_indicators
from reviews.signals import report_data_changed
from tests.reviews.report_factories import open_branch_reports

pytestmark = pytest.mark.django_db


@pytest.fixture
def reports(tree):
    return open_branch_reports(tree, codes=("11", "094", "03124", "03127"))


def audit_rows(report):
    return AuditLog.objects.filter(content_type=ContentType.objects.get_for_model(UnitReport), object_id=str(report.pk))


def fresh(report):
    return UnitReport.objects.get(pk=report.pk)


def test_submit_then_accept_by_the_parent(tree, reports):
    himlam = reports["03127"]
    approval.submit(himlam, user=tree.user("himlam.cadre"))
    assert himlam.status == ReportStatus.SUBMITTED
    first = himlam.first_submitted_at
    assert first is not None and himlam.submitted_at == first

    approval.accept(himlam, user=tree.user("dbp.cadre"), comment="Tốt")
    report = fresh(himlam)
    assert report.status == ReportStatus.ACCEPTED
    assert report.accepted_by == tree.user("dbp.cadre") and report.accepted_at is not None
    events = list(report.events.values_list("action", "version", "actor__username", "actor_unit__code", "comment"))
    assert events == [
        ("submit", 1, "himlam.cadre", "03127", ""),
        ("accept", 1, "dbp.cadre", "094", "Tốt"),
    ]


def test_the_unit_itself_cannot_accept_and_a_grandparent_cannot_either(tree, reports):
    himlam = reports["03127"]
    approval.submit(himlam, user=tree.user("himlam.cadre"))
    for username in ("himlam.chair", "db.chair", "db.viewer", "hn.chair"):
        with pytest.raises(ReviewError) as refused:
            approval.accept(himlam, user=tree.user(username))
        assert refused.value.code == "permission_denied"
    assert fresh(himlam).status == ReportStatus.SUBMITTED


def test_only_the_own_unit_submits(tree, reports):
    for username in ("dbp.cadre", "db.viewer", "hn.chair"):
        with pytest.raises(ReviewError):
            approval.submit(reports["03127"], user=tree.user(username))
    assert fresh(reports["03127"]).status == ReportStatus.DRAFT
    assert not ApprovalEvent.objects.filter(report=reports["03127"]).exists()


def test_cannot_accept_a_parent_before_its_children(tree, reports):
    district = reports["094"]
    approval.submit(district, user=tree.user("dbp.cadre"))
    approval.submit(reports["03124"], user=tree.user("root"))  # submitted, not accepted
    with pytest.raises(ReviewError) as refused:
        approval.accept(district, user=tree.user("db.cadre"))
    assert refused.value.code == "children_not_ready"
    assert "03124" in refused.value.message_en and "03127" in refused.value.message_en
    assert "Noong Bua" in refused.value.message_vi and "Him Lam" in refused.value.message_vi
    assert fresh(district).status == ReportStatus.SUBMITTED
    assert not ReportVersion.objects.filter(report=district).exists()

    approval.accept(reports["03124"], user=tree.user("dbp.cadre"))
    with pytest.raises(ReviewError) as refused:
        approval.accept(district, user=tree.user("db.cadre"))
    assert "03127" in refused.value.message_en and "03124" not in refused.value.message_en

    approval.waive(reports["03127"], user=tree.user("dbp.cadre"), comment="Sáp nhập đơn vị")
    approval.accept(district, user=tree.user("db.cadre"))
    assert fresh(district).status == ReportStatus.ACCEPTED


def test_a_child_without_a_report_does_not_hold_back_its_parent(tree):
    reports = open_branch_reports(tree, codes=("095",))  # 03151 has no report this year
    approval.submit(reports["095"], user=tree.user("root"))
    approval.accept(reports["095"], user=tree.user("db.cadre"))
    assert fresh(reports["095"]).status == ReportStatus.ACCEPTED


def test_returned_goes_back_to_the_drafter_with_its_comment(tree, reports):
    himlam = reports["03127"]
    cadre = tree.user("himlam.cadre")
    approval.submit(himlam, user=cadre)
    first = fresh(himlam).first_submitted_at
    assert not can_edit(cadre, himlam)

    with pytest.raises(ReviewError) as refused:
        approval.return_report(himlam, user=tree.user("dbp.cadre"), comment="  ")
    assert refused.value.code == "comment_required"

    approval.return_report(himlam, user=tree.user("dbp.cadre"), comment="Bổ sung số liệu chỉ tiêu giám sát")
    assert fresh(himlam).status == ReportStatus.RETURNED
    assert can_edit(cadre, himlam)
    returned = himlam.events.get(action=ApprovalAction.RETURN)
    assert returned.comment == "Bổ sung số liệu chỉ tiêu giám sát"
    assert returned.actor_unit.code == "094"

    set_indicators(himlam, {"gs-doan": 3}, user=cadre)
    approval.submit(himlam, user=cadre)
    report = fresh(himlam)
    assert report.status == ReportStatus.SUBMITTED
    assert report.first_submitted_at == first and report.submitted_at > first


def test_accepted_cannot_be_edited_and_reopening_makes_a_new_version(tree, reports):
    himlam = reports["03127"]
    cadre, district = tree.user("himlam.cadre"), tree.user("dbp.cadre")
    row = himlam.progress.order_by("pk").first()
    record_progress(row, user=cadre, status=ProgressStatus.DONE, narrative="Đã tổ chức hội nghị")
    set_indicators(himlam, {"gs-doan": 2}, user=cadre)
    approval.submit(himlam, user=cadre)
    with pytest.raises(ReviewError):  # submitted: waiting for the parent, not editable
        record_progress(row, user=cadre, status=ProgressStatus.IN_PROGRESS, percent=50)
    approval.accept(himlam, user=district)

    for write in (
        lambda: record_progress(row, user=cadre, status=ProgressStatus.NOT_STARTED),
        lambda: set_indicators(himlam, {"gs-doan": 5}, user=cadre),
        lambda: approval.submit(himlam, user=cadre),
    ):
        with pytest.raises(ReviewError):
            write()
    row.refresh_from_db()
    assert row.status == ProgressStatus.DONE
    assert himlam.indicator_values.get().value == 2

    with pytest.raises(ReviewError):
        approval.reopen(himlam, user=district, comment="")
    with pytest.raises(ReviewError):
        approval.reopen(himlam, user=cadre, comment="Tự mở lại")
    approval.reopen(himlam, user=district, comment="Cần sửa kết quả nhiệm vụ 2.1")
    report = fresh(himlam)
    assert (report.status, report.version, report.accepted_at) == (ReportStatus.DRAFT, 2, None)

    record_progress(row, user=cadre, status=ProgressStatus.IN_PROGRESS, percent=40)
    set_indicators(himlam, {"gs-doan": 5}, user=cadre)
    approval.submit(himlam, user=cadre)
    approval.accept(himlam, user=district)

    versions = {v.version: v.snapshot for v in ReportVersion.objects.filter(report=himlam)}
    assert set(versions) == {1, 2}
    old_row = next(p for p in versions[1]["progress"] if p["id"] == row.pk)
    assert (old_row["status"], old_row["percent"], old_row["narrative"]) == ("done", 100, "Đã tổ chức hội nghị")
    assert versions[1]["indicators"] == {"gs-doan": 2}
    new_row = next(p for p in versions[2]["progress"] if p["id"] == row.pk)
    assert (new_row["status"], new_row["percent"]) == ("in_progress", 40)
    assert versions[2]["indicators"] == {"gs-doan": 5}
    assert list(himlam.events.values_list("action", "version")) == [
        ("submit", 1), ("accept", 1), ("reopen", 2), ("submit", 2), ("accept", 2),
    ]


def test_status_rules(tree, reports):
    himlam, district = reports["03127"], tree.user("dbp.cadre")
    with pytest.raises(ReviewError) as refused:
        approval.accept(himlam, user=district)  # a draft
    assert refused.value.code == "wrong_status"
    with pytest.raises(ReviewError):
        approval.return_report(himlam, user=district, comment="x")
    with pytest.raises(ReviewError):
        approval.reopen(himlam, user=district, comment="x")
    with pytest.raises(ReviewError):
        approval.unwaive(himlam, user=district)
    with pytest.raises(ReviewError):
        approval.waive(himlam, user=district, comment="")
    approval.waive(himlam, user=district, comment="Miễn năm nay")
    assert fresh(himlam).status == ReportStatus.WAIVED
    with pytest.raises(ReviewError):
        approval.submit(himlam, user=tree.user("himlam.cadre"))
    approval.unwaive(himlam, user=district)
    assert fresh(himlam).status == ReportStatus.DRAFT


def test_the_root_unit_has_no_parent_to_accept_it(tree):
    reports = open_branch_reports(tree, codes=("TW",))
    approval.submit(reports["TW"], user=tree.user("root"))
    with pytest.raises(ReviewError):
        approval.accept(reports["TW"], user=tree.user("tw.analyst"))


def test_every_step_has_an_event_an_audit_row_and_a_signal(tree, reports):
    himlam, cadre, district = reports["03127"], tree.user("himlam.cadre"), tree.user("dbp.cadre")
    sent = []

    def receiver(sender, report_ids, **kwargs):
        sent.append(tuple(report_ids))

    report_data_changed.connect(receiver)
    try:
        before = audit_rows(himlam).count()
        steps = [
            lambda: approval.submit(himlam, user=cadre),
            lambda: approval.return_report(himlam, user=district, comment="Thiếu minh chứng"),
            lambda: approval.submit(himlam, user=cadre),
            lambda: approval.accept(himlam, user=district),
            lambda: approval.reopen(himlam, user=district, comment="Mở lại"),
            lambda: approval.waive(himlam, user=district, comment="Miễn"),
            lambda: approval.unwaive(himlam, user=district),
        ]
        for number, step in enumerate(steps, start=1):
            step()
            assert himlam.events.count() == number
            assert audit_rows(himlam).count() == before + number
            assert sent[-1] == (himlam.pk,)
    finally:
        report_data_changed.disconnect(receiver)
    assert len(sent) == len(steps)
    last = audit_rows(himlam).order_by("-id").first()
    assert last.actor == district and last.after["status"] == "draft" and last.before["status"] == "waived"
    assert list(himlam.events.values_list("action", flat=True)) == [
        "submit", "return", "submit", "accept", "reopen", "waive", "unwaive",
    ]


def test_a_refused_step_changes_nothing(tree, reports):
    district = reports["094"]
    approval.submit(district, user=tree.user("dbp.cadre"))
    events, audits = district.events.count(), audit_rows(district).count()
    with pytest.raises(ReviewError):
        approval.accept(district, user=tree.user("db.cadre"))
    assert (district.events.count(), audit_rows(district).count()) == (events, audits)
    assert district.status == ReportStatus.SUBMITTED


def test_a_child_is_not_reopened_under_an_accepted_parent(tree, reports):
    district, himlam, noongbua = reports["094"], reports["03127"], reports["03124"]
    for child in (himlam, noongbua):
        approval.submit(child, user=tree.user("root"))
    approval.accept(himlam, user=tree.user("dbp.cadre"))
    approval.waive(noongbua, user=tree.user("dbp.cadre"), comment="Miễn")
    approval.submit(district, user=tree.user("dbp.cadre"))
    approval.accept(district, user=tree.user("db.cadre"))

    with pytest.raises(ReviewError) as refused:
        approval.reopen(himlam, user=tree.user("dbp.cadre"), comment="Sửa")
    assert refused.value.code == "upper_accepted"
    with pytest.raises(ReviewError):
        approval.unwaive(noongbua, user=tree.user("dbp.cadre"))
    assert (fresh(himlam).status, fresh(noongbua).status) == (ReportStatus.ACCEPTED, ReportStatus.WAIVED)

    approval.reopen(district, user=tree.user("db.cadre"), comment="Cấp dưới cần sửa")
    approval.reopen(himlam, user=tree.user("dbp.cadre"), comment="Sửa")
    approval.unwaive(noongbua, user=tree.user("dbp.cadre"))
    assert (fresh(himlam).status, fresh(noongbua).status) == (ReportStatus.DRAFT, ReportStatus.DRAFT)


@pytest.mark.django_db(transaction=True)
def test_concurrent_accepts_are_serialized_by_the_report_lock(transactional_tree):
    import threading

    from django.db import connection, transaction

    tree = transactional_tree
    himlam = open_branch_reports(tree, codes=("03127",))["03127"]
    approval.submit(himlam, user=tree.user("himlam.cadre"))
    first_holds_lock, release = threading.Event(), threading.Event()
    outcome = {}

    def first():
        try:
            with transaction.atomic():
                approval.accept(UnitReport.objects.get(pk=himlam.pk), user=tree.user("dbp.cadre"), comment="lần 1")
                first_holds_lock.set()
                release.wait(30)
            outcome["first"] = "accepted"
        finally:
            first_holds_lock.set()
            connection.close()

    def second():
        first_holds_lock.wait(30)
        try:
            approval.accept(UnitReport.objects.get(pk=himlam.pk), user=tree.user("root"), comment="lần 2")
            outcome["second"] = "accepted"
        except ReviewError as error:
            outcome["second"] = error.code
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_holds_lock.wait(30)
    threads[1].join(0.5)
    assert threads[1].is_alive()  # waiting on the lock, not reading the uncommitted status
    release.set()
    for thread in threads:
        thread.join(30)
    assert outcome == {"first": "accepted", "second": "wrong_status"}
    assert list(ApprovalEvent.objects.filter(report=himlam).values_list("action", "comment")) == [
        ("submit", ""), ("accept", "lần 1")]
    assert ReportVersion.objects.filter(report=himlam).count() == 1
