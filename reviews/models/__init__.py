from reviews.models.comments import Comment, CommentParty, CommentRound, CommentRoundMode, Disposition
from reviews.models.indicators import Indicator, IndicatorGroup, IndicatorValue
from reviews.models.reminders import Notification, ReminderRule, SentReminder
from reviews.models.reports import (
    ApprovalAction, ApprovalEvent, Evidence, ProgressStatus, ReportStatus, ReportVersion, TaskProgress, UnitReport,
)
from reviews.models.rollup import ReportContribution, RollupCell

__all__ = [
    "ApprovalAction", "ApprovalEvent", "Comment", "CommentParty", "CommentRound", "CommentRoundMode", "Disposition",
    "Evidence", "Indicator", "IndicatorGroup", "IndicatorValue", "Notification", "ProgressStatus", "ReminderRule",
    "ReportContribution", "ReportStatus", "ReportVersion", "RollupCell", "SentReminder", "TaskProgress", "UnitReport",
]
