"""Recording progress and indicators: who may, what values are accepted, what is stored."""
import pytest
from django.contrib.contenttypes.models import ContentType

from mttq_platform.models import AuditLog
from reviews.models import Indicator, IndicatorValue, ProgressStatus, TaskProgress
from reviews.services.errors import ReviewError
from reviews.services.progress import can_edit, record_progress, set_indicators
from reviews.signals import report_data_changed
from tests.reviews.report_factories import himlam, open_branch_reports, row  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def signals():
    sent = []

    def receiver(sender, report_ids, **kwargs):
        sent.append(list(report_ids))

    report_data_changed.connect(receiver)
    yield sent
    report_data_changed.disconnect(receiver)


def test_recording_each_status_stores_a_consistent_percent(tree, himlam, row, signals):
    cadre = tree.user("himlam.cadre")
    record_progress(row, user=cadre, status=ProgressStatus.IN_PROGRESS, percent=40, narrative="  Đã triển khai  ")
    stored = TaskProgress.objects.get(pk=row.pk)
    assert (stored.status, stored.percent, stored.narrative, stored.updated_by) == ("in_progress", 40, "Đã triển khai", cadre)
    assert stored.points == 40
    assert row.status == "in_progress"  # the caller's instance follows

    record_progress(row, user=cadre, status=ProgressStatus.DONE)
    assert TaskProgress.objects.get(pk=row.pk).percent == 100
    record_progress(row, user=cadre, status=ProgressStatus.NOT_STARTED, percent=30)
    assert TaskProgress.objects.get(pk=row.pk).percent is None
    record_progress(row, user=cadre, status=ProgressStatus.NOT_DONE, reason="Chưa bố trí được kinh phí")
    stored = TaskProgress.objects.get(pk=row.pk)
    assert (stored.status, stored.percent, stored.reason) == ("not_done", None, "Chưa bố trí được kinh phí")
    assert signals == [[himlam.pk]] * 4
    audits = AuditLog.objects.filter(content_type=ContentType.objects.get_for_model(TaskProgress), object_id=str(row.pk),
                                     action="update")
    assert audits.count() == 4 and audits.order_by("-id").first().actor == cadre


@pytest.mark.parametrize("status, percent, reason", [
    ("not_done", None, ""),
    ("not_done", None, "   "),
    ("in_progress", 101, ""),
    ("in_progress", -1, ""),
    ("in_progress", "abc", ""),
    ("in_progress", 12.5, ""),
    ("in_progress", True, ""),
    ("finished", None, ""),
])
def test_bad_values_are_refused_and_nothing_is_saved(tree, row, signals, status, percent, reason):
    with pytest.raises(ReviewError) as refused:
        record_progress(row, user=tree.user("himlam.cadre"), status=status, percent=percent, reason=reason)
    assert refused.value.message_vi and refused.value.message_en
    stored = TaskProgress.objects.get(pk=row.pk)
    assert (stored.status, stored.percent, stored.updated_by) == ("not_started", None, None)
    assert signals == []


@pytest.mark.parametrize("username, allowed", [
    ("himlam.cadre", True), ("himlam.chair", True), ("root", True),
    ("dbp.cadre", False),  # the parent reads and reviews, it does not write the child's report
    ("db.chair", False), ("db.viewer", False), ("hn.chair", False),
])
def test_only_the_own_unit_records(tree, himlam, row, username, allowed):
    user = tree.user(username)
    assert can_edit(user, himlam) is allowed
    if allowed:
        record_progress(row, user=user, status=ProgressStatus.DONE)
        assert TaskProgress.objects.get(pk=row.pk).status == "done"
    else:
        with pytest.raises(ReviewError) as refused:
            record_progress(row, user=user, status=ProgressStatus.DONE)
        assert refused.value.code == "permission_denied"
        with pytest.raises(ReviewError):
            set_indicators(himlam, {"gs-doan": 1}, user=user)
        assert TaskProgress.objects.get(pk=row.pk).status == "not_started"


def test_set_indicators_upserts(tree, himlam, signals):
    cadre = tree.user("himlam.cadre")
    set_indicators(himlam, {"gs-doan": 3, "kn-de-xuat": "12", "th-lop": ""}, user=cadre)
    assert dict(himlam.indicator_values.values_list("indicator__code", "value")) == {"gs-doan": 3, "kn-de-xuat": 12}
    written = set_indicators(himlam, {"gs-doan": 4, "kn-de-xuat": 12}, user=cadre)
    assert [v.indicator.code for v in written] == ["gs-doan"]
    assert dict(himlam.indicator_values.values_list("indicator__code", "value")) == {"gs-doan": 4, "kn-de-xuat": 12}
    assert IndicatorValue.objects.filter(report=himlam).count() == 2
    assert signals == [[himlam.pk], [himlam.pk]]
    assert not set_indicators(himlam, {"gs-doan": 4}, user=cadre)  # nothing changed, nothing sent
    assert len(signals) == 2


@pytest.mark.parametrize("values", [
    {"khong-co": 1},
    {"gs-doan": -1},
    {"gs-doan": "-1"},
    {"gs-doan": 1.5},
    {"gs-doan": "2,5"},
    {"gs-doan": "mười"},
    {"gs-doan": True},
    {"gs-doan": "1" + "0" * 15},
    {"gs-doan": 2, "khong-co": 1},
])
def test_bad_indicator_values_are_refused_and_nothing_is_saved(tree, himlam, values):
    with pytest.raises(ReviewError) as refused:
        set_indicators(himlam, values, user=tree.user("himlam.cadre"))
    assert refused.value.message_vi and refused.value.message_en
    assert not IndicatorValue.objects.filter(report=himlam).exists()


def test_an_inactive_indicator_is_refused(tree, himlam):
    Indicator.objects.filter(code="gs-doan").update(active=False)
    with pytest.raises(ReviewError) as refused:
        set_indicators(himlam, {"gs-doan": 1}, user=tree.user("himlam.cadre"))
    assert "gs-doan" in refused.value.message_en
