"""Recommendations after a conclusion: the inspected unit answers, the leader closes or reopens,
overdue is derived, and the reviews reminder job reminds both sides at most once per step."""
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from inspections.models import RecommendationAnswer, RecommendationStatus
from inspections.services import recommendations as service
from inspections.services.errors import InspectionError
from reviews.models import Notification, ReminderRule, SentReminder
from reviews.reminders import send_reminders
from reviews.services.errors import ReviewError
from tests.inspections.factories import conclude_with_recommendations, make_team_inspection

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def concluded(tree, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path)
    inspection = make_team_inspection(tree, "03127")
    return conclude_with_recommendations(tree, inspection, [date(2025, 12, 31), date(2026, 3, 31), date(2026, 6, 30)],
                                         day=date(2025, 10, 20))


def test_inspected_unit_answers_with_evidence_and_leader_closes(tree, concluded):
    _, (first, *_rest) = concluded
    reply = service.answer(tree.user("himlam.cadre"), first, "Đã bổ sung hồ sơ.",
                           SimpleUploadedFile("bien-ban.pdf", PDF, content_type="application/pdf"))
    first.refresh_from_db()
    assert first.status == RecommendationStatus.ANSWERED
    assert (reply.original_name, reply.content_type, reply.size) == ("bien-ban.pdf", "application/pdf", len(PDF))
    with reply.file.open("rb") as handle:
        assert handle.read() == PDF
    service.close(tree.user("db.cadre"), first, "Đạt yêu cầu.")
    first.refresh_from_db()
    reply.refresh_from_db()
    assert first.status == RecommendationStatus.CLOSED and first.closed_by == tree.user("db.cadre")
    assert (reply.decision, reply.decision_note, reply.decided_by) == ("closed", "Đạt yêu cầu.", tree.user("db.cadre"))
    with pytest.raises(InspectionError):  # closed: no more answers
        service.answer(tree.user("himlam.cadre"), first, "Thêm nữa")


def test_leader_reopens_with_a_note_and_the_unit_answers_again(tree, concluded):
    _, (_first, second, _third) = concluded
    service.answer(tree.user("himlam.chair"), second, "Đã làm một phần.")
    with pytest.raises(InspectionError) as refused:
        service.reopen(tree.user("db.cadre"), second, "")
    assert refused.value.code == "note"
    service.reopen(tree.user("db.cadre"), second, "Chưa có biên bản hội nghị.")
    second.refresh_from_db()
    assert second.status == RecommendationStatus.REOPENED and second.closed_at is None
    decided = RecommendationAnswer.objects.get(recommendation=second)
    assert (decided.decision, decided.decision_note) == ("reopened", "Chưa có biên bản hội nghị.")
    service.answer(tree.user("himlam.chair"), second, "Đã bổ sung biên bản.")
    second.refresh_from_db()
    assert second.status == RecommendationStatus.ANSWERED
    assert second.answers.count() == 2


def test_who_may_answer_and_decide(tree, concluded):
    _, (first, *_rest) = concluded
    for username in ("db.hnd.liaison", "dbp.cadre", "hn.chair"):  # a team member, the unit above, a stranger
        with pytest.raises(InspectionError) as refused:
            service.answer(tree.user(username), first, "Trả lời")
        assert refused.value.code == "permission_denied"
    service.answer(tree.user("himlam.cadre"), first, "Đã làm.")
    for username in ("himlam.chair", "db.hnd.liaison"):  # the inspected side, a plain team member
        with pytest.raises(InspectionError) as refused:
            service.close(tree.user(username), first)
        assert refused.value.code == "permission_denied"
    service.close(tree.user("db.chair"), first)  # the inspecting side
    first.refresh_from_db()
    assert first.status == RecommendationStatus.CLOSED


def test_an_open_recommendation_cannot_be_reopened_and_a_bad_file_saves_nothing(tree, concluded):
    _, (first, *_rest) = concluded
    with pytest.raises(InspectionError) as refused:
        service.reopen(tree.user("db.cadre"), first, "Lý do")
    assert refused.value.code == "not_answered"
    with pytest.raises(ReviewError) as bad_file:
        service.answer(tree.user("himlam.cadre"), first, "Đã làm.", SimpleUploadedFile("virus.pdf", b"MZ\x90\x00 not a pdf"))
    assert bad_file.value.code == "bad_type"
    assert not first.answers.exists()
    first.refresh_from_db()
    assert first.status == RecommendationStatus.OPEN


def test_overdue_is_derived_and_listed_on_both_sides(tree, concluded):
    _, (first, second, third) = concluded
    today = date(2026, 4, 15)  # first and second past their deadlines, third not yet
    service.answer(tree.user("himlam.cadre"), first, "Đã làm.")
    first = service.close(tree.user("db.cadre"), first)
    assert [service.is_overdue(r, today) for r in (first, second, third)] == [False, True, False]
    to_answer, issued = service.overdue_for_unit(tree.user("himlam.cadre"), tree["03127"], today)
    assert (to_answer, issued) == ([second], [])
    to_answer, issued = service.overdue_for_unit(tree.user("db.chair"), tree["11"], today)
    assert issued == [second]
    to_answer, issued = service.overdue_for_unit(tree.user("hn.chair"), tree["01"], today)
    assert (to_answer, issued) == ([], [])


def _recommendation_notices():
    return sorted((n.user.username, n.unit.code, n.url) for n in Notification.objects.filter(text__startswith="Kiến nghị")
                  .select_related("user", "unit"))


def test_reminders_reach_both_sides_once_even_when_the_job_runs_twice(tree, concluded):
    inspection, (first, second, third) = concluded
    assert set(ReminderRule.objects.filter(kind__startswith="recommendation").values_list("kind", "offset_days")) == {
        ("recommendation_due", -7), ("recommendation_overdue", 1), ("recommendation_overdue", 7)}
    day = first.deadline - timedelta(days=7)
    assert send_reminders(day) == {"recommendation_due-7": 1}
    assert send_reminders(day) == {}  # the second run sends nothing
    notices = _recommendation_notices()
    assert ("himlam.cadre", "03127", f"/u/03127/inspections/recommendations/{first.pk}/") in notices
    assert ("himlam.chair", "03127", f"/u/03127/inspections/recommendations/{first.pk}/") in notices
    assert ("db.cadre", "11", f"/u/11/inspections/recommendations/{first.pk}/") in notices  # the team leader
    assert len(notices) == 3  # nobody else: not the member organization, not the unit above
    assert SentReminder.objects.filter(target__startswith=f"recommendation:{first.pk}:").count() == 1


def test_overdue_reminder_is_not_sent_for_a_closed_recommendation(tree, concluded):
    _, (first, second, _third) = concluded
    service.answer(tree.user("himlam.cadre"), first, "Đã làm.")
    service.close(tree.user("db.cadre"), first)
    # first's day-after step: first is closed; second's deadline is months later.
    assert send_reminders(first.deadline + timedelta(days=1)) == {}
    assert send_reminders(second.deadline + timedelta(days=1)) == {"recommendation_overdue+1": 1}
    assert {n.url for n in Notification.objects.all()} == {
        f"/u/03127/inspections/recommendations/{second.pk}/", f"/u/11/inspections/recommendations/{second.pk}/"}


def test_reminders_skip_a_kind_no_app_registered(tree, monkeypatch):
    from reviews import reminders

    monkeypatch.delitem(reminders.COLLECTORS, "recommendation_due")
    assert send_reminders(timezone.localdate()) == {}


def test_a_responsible_unit_below_the_inspected_one_reads_its_recommendation(tree, settings, tmp_path):
    """District 094 is inspected; commune Him Lam must carry out one recommendation: its cadre
    reads it (and may answer), the sibling commune Noong Bua's users do not exist in the fixture,
    so the unrelated province stands for them."""
    from inspections.models import Recommendation

    settings.PRIVATE_MEDIA_ROOT = str(tmp_path)
    inspection = make_team_inspection(tree, "094")
    _, (first, second) = conclude_with_recommendations(tree, inspection, [date(2025, 12, 31), date(2026, 3, 31)],
                                                       day=date(2025, 10, 20))
    Recommendation.objects.filter(pk=first.pk).update(responsible_unit=tree["03127"])
    himlam = tree.user("himlam.cadre")
    assert list(Recommendation.objects.restrict(himlam)) == [first]
    assert not Recommendation.objects.restrict(tree.user("hn.chair")).exists()
    service.answer(himlam, Recommendation.objects.get(pk=first.pk), "Phường đã thực hiện.", None)
    assert Recommendation.objects.get(pk=first.pk).status == RecommendationStatus.ANSWERED
