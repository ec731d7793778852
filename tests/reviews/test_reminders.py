"""Reminders (issue 4, item 7): before deadlines and when late, by email and in the app, at most once
per item and step; the steps are ReminderRule rows an admin edits.

The day is frozen by passing ``today`` to the job (the task's argument); beat's entry is checked
against a frozen clock too. Mails land in ``django.core.mail.outbox`` (locmem backend, set by
pytest-django): the worker runs in a thread of this process, so it appends to the same list.
"""
from __future__ import annotations

import copy
import threading
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from celery.result import AsyncResult
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connections
from django.urls import reverse

from mttq_platform.celery import app
from plans.models import OutsideBody
from reviews import reminders
from reviews.models import (
    Comment, CommentParty, CommentRound, Notification, ProgressStatus, ReminderRule, ReportStatus, SentReminder,
    TaskProgress, UnitReport,
)
from tests.conftest import PASSWORD
from tests.reviews.report_factories import open_branch_reports

# Every report of the branch is due 15 December 2025 (the default); the seed's schedule has
# report_due -7 and -1, report_late +1 and +7, task_due -7, task_overdue +1, comment_due -2, comment_late +1.
WEEK_BEFORE = date(2025, 12, 8)
EMAILS = {"db.chair": "chair@dienbien.vn", "db.cadre": "cadre@dienbien.vn", "db.viewer": "viewer@dienbien.vn",
          "dbp.cadre": "cadre@dienbienphu.vn", "himlam.cadre": "cadre@himlam.vn"}  # himlam.chair has none


def give_emails():
    User = get_user_model()
    for username, email in EMAILS.items():
        User.objects.filter(username=username).update(email=email)


def notified(kind_text: str | None = None) -> dict[str, int]:
    rows = Notification.objects.all()
    if kind_text:
        rows = rows.filter(text__contains=kind_text)
    counts: dict[str, int] = {}
    for username in rows.values_list("user__username", flat=True):
        counts[username] = counts.get(username, 0) + 1
    return counts


def run_in_worker(today: date) -> dict:
    """Enqueue the job as beat does (its entry's task), with the frozen day, and wait for it."""
    entry = settings.CELERY_BEAT_SCHEDULE["reviews-send-reminders"]
    result = app.send_task(entry["task"], kwargs={"today": today.isoformat()})
    return AsyncResult(result.id, app=app).get(timeout=60)


@pytest.mark.worker
def test_the_worker_sends_each_reminder_once_even_when_the_job_runs_twice(transactional_tree, celery_worker):
    tree = transactional_tree
    give_emails()
    reports = open_branch_reports(tree)
    UnitReport.objects.filter(pk=reports["095"].pk).update(status=ReportStatus.SUBMITTED)  # nothing to remind

    # Beat's entry is daily: on the frozen clock it is not due at 06:00, due at 07:00.
    local = ZoneInfo(settings.TIME_ZONE)
    last_run = datetime(2025, 12, 7, 7, 0, tzinfo=local)
    schedule = copy.copy(settings.CELERY_BEAT_SCHEDULE["reviews-send-reminders"]["schedule"])
    schedule.nowfun = lambda: datetime(2025, 12, 8, 6, 0, tzinfo=local)
    assert not schedule.is_due(last_run).is_due
    frozen = datetime(2025, 12, 8, 7, 0, 30, tzinfo=local)
    schedule.nowfun = lambda: frozen
    assert schedule.is_due(last_run).is_due

    first = run_in_worker(frozen.date())
    assert first == {"report_due-7": 5}  # five reports still being written
    recipients = sorted(m.to[0] for m in mail.outbox)
    # The users who may write each report (add/change), with an email; not the viewer.
    assert recipients == sorted(["chair@dienbien.vn", "cadre@dienbien.vn", "cadre@dienbienphu.vn", "cadre@himlam.vn"])
    assert any("Báo cáo năm 2025 của Ủy ban MTTQ Việt Nam phường Him Lam chưa gửi" in m.body and "còn 7 ngày" in m.body
               for m in mail.outbox)
    assert notified() == {"db.chair": 1, "db.cadre": 1, "dbp.cadre": 1, "himlam.cadre": 1, "himlam.chair": 1}

    second = run_in_worker(frozen.date())  # again, the same day: nothing new
    assert second == {}
    assert len(mail.outbox) == 4
    assert Notification.objects.count() == 5
    assert SentReminder.objects.count() == 5


def test_two_runs_at_once_send_each_reminder_once(transactional_tree):
    tree = transactional_tree
    give_emails()
    open_branch_reports(tree)
    barrier = threading.Barrier(2)
    outcomes = []

    def run():
        try:
            barrier.wait()
            outcomes.append(reminders.send_reminders(WEEK_BEFORE))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(sum(o.values()) for o in outcomes) == [0, 6]
    assert SentReminder.objects.count() == 6
    assert len(mail.outbox) == 4
    assert Notification.objects.filter(user__username="db.chair").count() == 1


@pytest.fixture
def branch(tree):
    give_emails()
    return open_branch_reports(tree)


def test_each_step_fires_on_its_day_for_what_is_still_pending(tree, branch):
    UnitReport.objects.filter(pk=branch["094"].pk).update(status=ReportStatus.SUBMITTED)
    assert reminders.send_reminders(date(2025, 12, 7)) == {}  # no step that day
    assert reminders.send_reminders(date(2025, 12, 14)) == {"report_due-1": 5}
    assert "còn 1 ngày" in mail.outbox[0].body
    # Returned to the district: still pending, so the late step reaches it again.
    UnitReport.objects.filter(pk=branch["094"].pk).update(status=ReportStatus.RETURNED)
    UnitReport.objects.filter(pk=branch["03127"].pk).update(status=ReportStatus.ACCEPTED)
    assert reminders.send_reminders(date(2025, 12, 16)) == {"report_late+1": 5}
    late = Notification.objects.filter(text__contains="đã quá hạn 1 ngày")
    assert set(late.values_list("user__username", flat=True)) == {"db.chair", "db.cadre", "dbp.cadre"}


def test_a_missed_run_catches_up_but_never_announces_a_passed_deadline_as_coming(tree, branch):
    # The run of 8 December was missed; on the 10th the week-before step is still sent (until the
    # day before the next step's).
    assert reminders.send_reminders(date(2025, 12, 10)) == {"report_due-7": 6}
    assert "còn 5 ngày" in mail.outbox[0].body
    # Runs of the 14th to the 16th missed: "due tomorrow" is not sent after the deadline, "late" is.
    assert reminders.send_reminders(date(2025, 12, 17)) == {"report_late+1": 6}
    assert not SentReminder.objects.filter(rule__kind="report_due", rule__offset_days=-1).exists()
    # Long after (more than CATCH_UP_DAYS past the step), an old step is not dug up.
    assert reminders.send_reminders(date(2026, 3, 1)) == {}


def test_task_reminders_come_one_per_report_and_step_not_one_per_row(tree, branch):
    report = branch["03127"]
    rows = report.progress.filter(due=date(2025, 12, 31))
    assert rows.count() > 2
    TaskProgress.objects.filter(pk=rows.first().pk).update(status=ProgressStatus.DONE)
    pending = rows.exclude(status=ProgressStatus.DONE).count()
    UnitReport.objects.filter(pk=branch["11"].pk).update(status=ReportStatus.ACCEPTED)  # accepted: not reminded

    sent = reminders.send_reminders(date(2026, 1, 1))
    assert sent["task_overdue+1"] == 5
    himlam = Notification.objects.filter(user__username="himlam.cadre", text__contains="nhiệm vụ")
    assert himlam.count() == 1
    assert himlam.get().text.startswith(f"{pending} nhiệm vụ trong báo cáo năm 2025 của Ủy ban MTTQ Việt Nam phường Him Lam")
    assert himlam.get().url == reverse("unit-report", args=["03127", 2025])
    assert not Notification.objects.filter(user__username="db.chair", text__contains="nhiệm vụ").exists()
    assert reminders.send_reminders(date(2026, 1, 1)) == {}


def test_comment_reminders_reach_the_parties_that_have_not_commented(tree, branch):
    report = branch["11"]
    round_ = CommentRound.objects.create(report=report, mode="writing", title="Góp ý dự thảo báo cáo năm 2025",
                                         deadline=date(2025, 11, 20))
    district = CommentParty.objects.create(round=round_, unit=tree["094"])
    CommentParty.objects.create(round=round_, unit=tree["11-HND"])
    CommentParty.objects.create(round=round_, outside_body=OutsideBody.objects.create(name="Sở Tư pháp"))
    Comment.objects.create(round=round_, party=district, text="Đề nghị bổ sung số liệu.")
    conference = CommentRound.objects.create(report=report, mode="conference", title="Hội nghị góp ý",
                                             deadline=date(2025, 11, 20))
    CommentParty.objects.create(round=conference, unit=tree["03127"])

    assert reminders.send_reminders(date(2025, 11, 18)) == {"comment_due-2": 1}
    notice = Notification.objects.get()
    assert notice.user.username == "db.hnd.liaison" and "hạn góp ý 20/11/2025 (còn 2 ngày)" in notice.text
    assert notice.url == reverse("comment-round-detail", args=["11-HND", 2025, round_.uuid])
    assert reminders.send_reminders(date(2025, 11, 21)) == {"comment_late+1": 1}
    CommentRound.objects.filter(pk=round_.pk).update(deadline=date(2025, 11, 25))  # no longer pending after closing
    CommentRound.objects.filter(pk=round_.pk).update(closed_at=datetime(2025, 11, 24, tzinfo=ZoneInfo("UTC")))
    assert reminders.send_reminders(date(2025, 11, 23)) == {}


def test_the_schedule_is_data(tree, branch):
    ReminderRule.objects.update(active=False)
    assert reminders.send_reminders(WEEK_BEFORE) == {}
    ReminderRule.objects.create(kind="report_due", offset_days=-10)
    assert reminders.send_reminders(date(2025, 12, 5)) == {"report_due-10": 6}


def test_the_notification_list_is_the_users_own_and_marks_read(tree, branch, client, django_assert_max_num_queries):
    reminders.send_reminders(WEEK_BEFORE)
    mine = Notification.objects.get(user__username="himlam.cadre")
    assert client.login(username="himlam.cadre", password=PASSWORD)
    url = reverse("notifications", args=["03127"])
    with django_assert_max_num_queries(12):
        page = client.get(url)
    body = page.content.decode()
    assert mine.text in body and "1 thông báo chưa đọc" in body
    assert Notification.objects.get(user__username="dbp.cadre").text not in body

    others = Notification.objects.get(user__username="himlam.chair")
    assert client.post(reverse("notification-read", args=["03127", others.pk])).status_code == 404
    response = client.post(reverse("notification-read", args=["03127", mine.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Đã đọc" in response.content.decode()
    mine.refresh_from_db()
    others.refresh_from_db()
    assert mine.read_at is not None and others.read_at is None
    assert "0 thông báo chưa đọc" in client.get(url).content.decode()

    assert client.login(username="himlam.chair", password=PASSWORD)
    assert client.post(reverse("notifications-read-all", args=["03127"])).status_code == 302
    assert not Notification.objects.filter(user__username="himlam.chair", read_at__isnull=True).exists()
    # The page of a unit the user cannot read is the same 404 as anywhere else.
    assert client.get(reverse("notifications", args=["01"])).status_code == 404
