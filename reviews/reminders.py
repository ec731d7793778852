"""Reminders before deadlines and when work is late (issue 4, item 7).

Each active ``ReminderRule`` is one step of the schedule an admin edits: a kind of deadline and an
offset in days from it (negative: before). A step concerns the items still pending:

- ``report_due`` / ``report_late``: yearly reports not submitted (draft or returned), by the
  report's ``due_date``; the users of the report's unit who may write it (add/change) are told;
- ``comment_due`` / ``comment_late``: written comment rounds still open, by their deadline; each
  invited unit that has not commented yet (its users who may act for it) is told;
- ``task_due`` / ``task_overdue``: progress rows not done of reports still being written, by their
  due date, grouped per report and due date: a unit gets one reminder per step, not one per row.

**When a step fires.** On the first run on or after its day (``due + offset``), and for up to
``CATCH_UP_DAYS`` days after it, so a beat run missed (worker down, a holiday) still sends it; an
item no longer pending is not reminded. A step before the deadline is never sent once the deadline
has passed (its words would be wrong; the "late" steps take over).

**At most once per item and step**, even when the job runs twice or in two workers at once: the
``SentReminder(rule, target)`` rows are claimed first, with ``INSERT ... ON CONFLICT DO NOTHING
RETURNING``; only what this run inserted is sent. The claim and the notifications commit together;
the emails go after the commit, so a failing mail server loses a mail rather than sending twice.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from orgtree.models import Membership
from reviews.models import (
    Comment, CommentParty, CommentRoundMode, Notification, ProgressStatus, ReminderRule, ReportStatus, SentReminder,
    TaskProgress, UnitReport,
)
from reviews.models.reminders import ReminderKind

logger = logging.getLogger(__name__)

CATCH_UP_DAYS = 7
# Reports the unit is still writing: only these are reminded (submitted ones wait for the parent).
OPEN_STATUSES = (ReportStatus.DRAFT, ReportStatus.RETURNED)
ACTING_ACTIONS = ["add", "change"]
SUBJECT_PREFIX = "[MTTQ] "


@dataclass
class Reminder:
    """One item to remind of at one step: who (the users of ``unit``) and what."""

    target: str  # the SentReminder key: "report:42:v1", "comment:7:party:3", "tasks:42:2025-03-31"
    unit: object  # the OrgUnit whose users are told
    text: str  # Vietnamese
    text_en: str
    url: str
    recipients: list = field(default_factory=list)  # users, filled once the item is claimed
    # Others told besides the unit's users, each with the unit and page they read it at:
    # [(user, unit, url)] (the team leader of an inspection, under the inspecting unit).
    also_tell: list = field(default_factory=list)


def _fmt(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _days(due: date, today: date) -> tuple[str, str]:
    """"còn 7 ngày" / "quá hạn 3 ngày", and in English."""
    n = (due - today).days
    if n > 0:
        return f"còn {n} ngày", f"{n} day(s) left"
    if n == 0:
        return "hết hạn hôm nay", "due today"
    return f"đã quá hạn {-n} ngày", f"{-n} day(s) late"


def due_window(rule: ReminderRule, today: date, catch_up_days: int = CATCH_UP_DAYS) -> tuple[date, date]:
    """The due dates whose step (``due + offset``) fell in the last ``catch_up_days`` days up to
    today; a step before the deadline only while the deadline has not passed."""
    latest = today - timedelta(days=rule.offset_days)
    earliest = latest - timedelta(days=catch_up_days)
    if rule.offset_days < 0:
        earliest = max(earliest, today)
    return earliest, latest


# Steps counted from the same deadline: a step's catch-up ends where the next one's day begins, so a
# late first run sends the step of the day rather than every step missed.
FAMILIES = {
    ReminderKind.REPORT_DUE: "report", ReminderKind.REPORT_LATE: "report",
    ReminderKind.COMMENT_DUE: "comment", ReminderKind.COMMENT_LATE: "comment",
    ReminderKind.TASK_DUE: "task", ReminderKind.TASK_OVERDUE: "task",
}


def catch_up_days(rule: ReminderRule, rules) -> int:
    family = FAMILIES.get(rule.kind, rule.kind)
    later = [r.offset_days for r in rules if FAMILIES.get(r.kind, r.kind) == family and r.offset_days > rule.offset_days]
    return min([CATCH_UP_DAYS, *[offset - rule.offset_days - 1 for offset in later]])


# -- what is pending, per kind -----------------------------------------------------------------------
def report_reminders(rule: ReminderRule, today: date, window: tuple[date, date]) -> list[Reminder]:
    earliest, latest = window
    reports = (
        UnitReport.objects.filter(status__in=OPEN_STATUSES, due_date__range=(earliest, latest))
        .select_related("unit").order_by("pk")
    )
    reminders = []
    for report in reports:
        vi, en = _days(report.due_date, today)
        reminders.append(Reminder(
            target=f"report:{report.pk}:v{report.version}", unit=report.unit,
            text=f"Báo cáo năm {report.year} của {report.unit.name} chưa gửi; hạn gửi {_fmt(report.due_date)} ({vi}).",
            text_en=f"The {report.year} report of {report.unit.name} is not submitted; due {report.due_date:%Y-%m-%d} ({en}).",
            url=reverse("unit-report", args=[report.unit.code, report.year]),
        ))
    return reminders


def comment_reminders(rule: ReminderRule, today: date, window: tuple[date, date]) -> list[Reminder]:
    """Invited units of written rounds, still open, that have not commented."""
    earliest, latest = window
    parties = (
        CommentParty.objects.filter(
            unit__isnull=False, round__mode=CommentRoundMode.WRITING, round__closed_at__isnull=True,
            round__deadline__range=(earliest, latest),
        )
        .exclude(Exists(Comment.objects.filter(party=OuterRef("pk"))))
        .select_related("unit", "round__report__unit").order_by("pk")
    )
    reminders = []
    for party in parties:
        round_ = party.round
        vi, en = _days(round_.deadline, today)
        reminders.append(Reminder(
            target=f"comment:{round_.pk}:party:{party.pk}", unit=party.unit,
            text=(f"{party.unit.name} chưa gửi ý kiến góp ý vào “{round_.title}” ({round_.report.unit.name}); "
                  f"hạn góp ý {_fmt(round_.deadline)} ({vi})."),
            text_en=f"{party.unit.name} has not commented on “{round_.title}”; deadline {round_.deadline:%Y-%m-%d} ({en}).",
            url=reverse("comment-round-detail", args=[party.unit.code, round_.report.year, round_.uuid]),
        ))
    return reminders


def task_reminders(rule: ReminderRule, today: date, window: tuple[date, date]) -> list[Reminder]:
    """Progress rows not done, one reminder per report and due date."""
    earliest, latest = window
    groups = list(
        TaskProgress.objects.filter(report__status__in=OPEN_STATUSES, due__range=(earliest, latest))
        .exclude(status=ProgressStatus.DONE)
        .values("report_id", "due").annotate(rows=Count("pk")).order_by("report_id", "due")
    )
    reports = UnitReport.objects.select_related("unit").in_bulk({g["report_id"] for g in groups})
    reminders = []
    for group in groups:
        report, due, rows = reports[group["report_id"]], group["due"], group["rows"]
        vi, en = _days(due, today)
        reminders.append(Reminder(
            target=f"tasks:{report.pk}:{due.isoformat()}", unit=report.unit,
            text=f"{rows} nhiệm vụ trong báo cáo năm {report.year} của {report.unit.name} chưa hoàn thành; hạn {_fmt(due)} ({vi}).",
            text_en=f"{rows} task(s) of the {report.year} report of {report.unit.name} not done; due {due:%Y-%m-%d} ({en}).",
            url=reverse("unit-report", args=[report.unit.code, report.year]),
        ))
    return reminders


# Public names for the sources other apps register (below).
fmt_day, days_text = _fmt, _days

COLLECTORS = {
    ReminderKind.REPORT_DUE: report_reminders,
    ReminderKind.REPORT_LATE: report_reminders,
    ReminderKind.COMMENT_DUE: comment_reminders,
    ReminderKind.COMMENT_LATE: comment_reminders,
    ReminderKind.TASK_DUE: task_reminders,
    ReminderKind.TASK_OVERDUE: task_reminders,
}


def register_source(kind: str, collect, family: str) -> None:
    """Let an app above reviews (inspections) add what is pending for a kind of step, without
    reviews importing it: ``collect(rule, today, window) -> [Reminder]``; ``family`` groups the
    steps counted from the same deadline. Called from the app's ``ready()``."""
    COLLECTORS[kind] = collect
    FAMILIES[kind] = family


# -- claiming and sending ----------------------------------------------------------------------------
def claim(rule: ReminderRule, targets: list[str]) -> set[str]:
    """Insert the (rule, target) rows; the targets this call inserted (none already there, nor
    inserted meanwhile by a concurrent run: the unique index makes it wait, then skip)."""
    if not targets:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {SentReminder._meta.db_table} (rule_id, target, sent_at)
                SELECT %s, t, %s FROM unnest(%s::varchar[]) AS t
                ON CONFLICT (rule_id, target) DO NOTHING RETURNING target""",
            [rule.pk, timezone.now(), targets],
        )
        return {row[0] for row in cursor.fetchall()}


def acting_users(unit_ids) -> dict[int, list]:
    """Active users holding a role that may write for each unit (add or change)."""
    users: dict[int, list] = {}
    memberships = (
        Membership.objects.filter(unit_id__in=unit_ids, role__actions__overlap=ACTING_ACTIONS, user__is_active=True)
        .select_related("user").order_by("unit_id", "user_id")
    )
    for membership in memberships:
        listed = users.setdefault(membership.unit_id, [])
        if membership.user not in listed:
            listed.append(membership.user)
    return users


def _email(reminder: Reminder, user, url: str = "") -> EmailMessage:
    site = settings.SITE_URL.rstrip("/")
    body = f"{reminder.text}\n\n{reminder.text_en}\n\n{site}{url or reminder.url}\n"
    return EmailMessage(SUBJECT_PREFIX + reminder.text[:120], body, to=[user.email])


def send_rule(rule: ReminderRule, today: date, catch_up: int = CATCH_UP_DAYS) -> int:
    """Send one step's reminders; returns how many items were reminded by this run."""
    if rule.kind not in COLLECTORS:  # a kind whose app registered no source (not installed)
        return 0
    reminders = {r.target: r for r in COLLECTORS[rule.kind](rule, today, due_window(rule, today, catch_up))}
    with transaction.atomic():
        claimed = [reminders[t] for t in sorted(claim(rule, list(reminders)))]
        users = acting_users({r.unit.pk for r in claimed})
        notifications = []
        for reminder in claimed:
            reminder.recipients = users.get(reminder.unit.pk, [])
            notifications += [Notification(user=user, unit=reminder.unit, text=reminder.text, url=reminder.url)
                              for user in reminder.recipients]
            notifications += [Notification(user=user, unit=unit, text=reminder.text, url=url)
                              for user, unit, url in reminder.also_tell if user not in reminder.recipients]
        Notification.objects.bulk_create(notifications)
    messages = [_email(r, user) for r in claimed for user in r.recipients if user.email]
    messages += [_email(r, user, url) for r in claimed for user, _unit, url in r.also_tell
                 if user.email and user not in r.recipients]
    if messages:
        try:
            get_connection().send_messages(messages)
        except Exception:  # noqa: BLE001 — the claim stands: at most once, the in-app notice is there
            logger.exception("reminder mails of rule %s not sent", rule.pk)
    return len(claimed)


def send_reminders(today: date | None = None) -> dict[str, int]:
    """Every active step, for ``today`` (the local date by default). Safe to run again."""
    today = today or timezone.localdate()
    sent: dict[str, int] = {}
    rules = list(ReminderRule.objects.filter(active=True).order_by("kind", "offset_days"))
    for rule in rules:
        count = send_rule(rule, today, catch_up_days(rule, rules))
        if count:
            sent[f"{rule.kind}{rule.offset_days:+d}"] = count
    return sent
