"""The change log: the feed of the central collection API and the outbox of federation, in one.

A row is written in the same transaction as the change it records (an issued plan, an accepted
report, a concluded inspection, a unit change). ``txid`` is the writing transaction's id
(``pg_current_xact_id()``); a reader returns only rows of transactions older than the oldest
transaction of this database still running with a transaction id (``commit_horizon``), so a cursor
never passes a row that commits later with a smaller id: the feed is in commit order and paging
misses nothing. See docs/decisions/0008-sync.md.
"""
from django.db import connection, models
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from mttq_platform.permissions import READ, RestrictedQuerySet, UnitRange, _above, _within

SCHEMA_VERSION = 1


class ChangeKind(models.TextChoices):
    PLAN = "plan", _("Kế hoạch đã ban hành")
    GUIDANCE = "guidance", _("Hướng dẫn, sửa đổi")
    REPORT = "report", _("Báo cáo năm đã chấp nhận")
    INSPECTION = "inspection", _("Kết luận kiểm tra")
    UNIT = "unit", _("Đơn vị")


# Kinds that flow down the tree: what the units above issue is readable below, as for documents
# (plans.models.base.DocumentQuerySet); everything else stays in its unit's subtree.
# What flows down to the units below: issued plans and guidance, and the units above themselves
# (their names are readable by everyone below; a province's own server needs them to hang the
# central plan on).
FLOWING_DOWN = ("plan", "guidance", "unit")


# The smallest transaction id that may still commit a row of this database: the oldest transaction
# id held by another session connected to this database, or, with none, the next id to be assigned.
# Transactions of other databases of the cluster and read-only ones (no id) cannot write a change
# row, so, unlike pg_snapshot_xmin, they never hold the feed back. Why this is safe: the snapshot
# (statement start) is taken before pg_stat_activity is read, so a transaction that gets its id
# after that read has one at or above the snapshot's xmax; one still running at the read is listed;
# one that ended between the two is committed for the reader's next statement. backend_xid is
# 32 bits: widened with the epoch of the snapshot's xmax. pg_stat_clear_snapshot makes a reader
# inside a longer transaction see the sessions as they are now, not as at its first look.
COMMIT_HORIZON_SQL = """
WITH snapshot AS (SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS xmax),
     running AS (
        SELECT a.backend_xid::text::bigint AS xid FROM pg_stat_activity a
        WHERE a.datname = current_database() AND a.backend_xid IS NOT NULL AND a.pid <> pg_backend_pid())
SELECT LEAST(s.xmax, COALESCE(MIN(
    CASE WHEN r.xid <= (s.xmax & 4294967295) THEN ((s.xmax >> 32) << 32) | r.xid
         ELSE (((s.xmax >> 32) - 1) << 32) | r.xid END), s.xmax))
FROM snapshot s LEFT JOIN running r ON TRUE GROUP BY s.xmax
"""


def commit_horizon() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(COMMIT_HORIZON_SQL)
        return cursor.fetchone()[0]


class ChangeRecordQuerySet(RestrictedQuerySet):
    unit_path = "unit"
    readable_from_ancestors = True

    def committed(self):
        """Rows every transaction of which has ended: safe to hand out past a cursor. Also the
        rows the reading transaction wrote itself (none for the API's readers, which only read;
        a test or job reading back what it just recorded sees it)."""
        return self.filter(Q(txid__lt=commit_horizon())
                           | Q(txid=RawSQL("pg_current_xact_id_if_assigned()::text::bigint", [])))

    def ancestor_readable_q(self, ancestors_q: Q) -> Q:
        # Only issued plans and guidance are recorded (never drafts), so every such row may flow down.
        return ancestors_q & Q(kind__in=FLOWING_DOWN)

    def restrict(self, user, action: str = READ, *, with_extra: bool = True):
        """As everywhere; but a token scoped to a unit also reads the plans and guidance of the
        units above it (a district's collector receives the province's and the centre's plans)."""
        token = getattr(user, "api_token", None)
        if (token is None or token.unit_id is None or action != READ or not with_extra
                or user is None or not user.is_authenticated or not user.is_active):
            return super().restrict(user, action, with_extra=with_extra)
        rows = self if user.is_superuser else self.filter(self.access_q(user, READ))
        return rows.for_subtree(token.unit)

    def for_subtree(self, unit):
        """Rows of ``unit``'s subtree and the plans and guidance of the units above it: what a
        token scoped to ``unit`` or a peer registered for it reads."""
        scope = UnitRange(unit.pk, unit.tree_id, unit.lft, unit.rght)
        return self.filter(_within(scope, "unit__") | self.ancestor_readable_q(_above(scope, "unit__")))


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
