"""The change log: the feed of the central collection API and the outbox of federation, in one.

A row is written in the same transaction as the change it records (an issued plan, an accepted
report, a concluded inspection, a unit change). ``txid`` is the writing transaction's id
(``pg_current_xact_id()``); a reader returns only rows of transactions older than the oldest one
still running (``pg_snapshot_xmin(pg_current_snapshot())``), so a cursor never passes a row that
commits later with a smaller id: the feed is in commit order and paging misses nothing. See
docs/decisions/0008-sync.md.
"""
from django.db import models
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from mttq_platform.permissions import RestrictedQuerySet

SCHEMA_VERSION = 1


class ChangeKind(models.TextChoices):
    PLAN = "plan", _("Kế hoạch đã ban hành")
    GUIDANCE = "guidance", _("Hướng dẫn, sửa đổi")
    REPORT = "report", _("Báo cáo năm đã chấp nhận")
    INSPECTION = "inspection", _("Kết luận kiểm tra")
    UNIT = "unit", _("Đơn vị")


class ChangeRecordQuerySet(RestrictedQuerySet):
    unit_path = "unit"

    def committed(self):
        """Rows every transaction of which has ended: safe to hand out past a cursor."""
        return self.filter(txid__lt=RawSQL("pg_snapshot_xmin(pg_current_snapshot())::text::bigint", []))


class ChangeRecord(models.Model):
    id = models.BigAutoField(primary_key=True)
    txid = models.BigIntegerField(db_default=RawSQL("pg_current_xact_id()::text::bigint", []), editable=False)
    kind = models.CharField(max_length=12, choices=ChangeKind.choices)
    # The object's global id: the installation that owns it (single writer) and its uuid.
    origin = models.CharField(max_length=64)
    object_uuid = models.UUIDField()
    version = models.PositiveIntegerField()
    unit = models.ForeignKey("orgtree.OrgUnit", models.PROTECT, related_name="+",
                             help_text=_("Đơn vị mà đối tượng thuộc về: giới hạn nguồn cấp theo cây đơn vị."))
    schema_version = models.PositiveSmallIntegerField(default=SCHEMA_VERSION)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ChangeRecordQuerySet.as_manager()

    class Meta:
        ordering = ["txid", "id"]
        indexes = [
            models.Index(fields=["txid", "id"], name="sync_change_cursor"),
            models.Index(fields=["origin", "object_uuid"], name="sync_change_object"),
        ]

    @property
    def global_id(self) -> str:
        return f"{self.origin}:{self.object_uuid}"
