"""The central collection API: the change feed and the snapshots for a first full load.

Read-only, for a machine client: an API token scoped to a unit's subtree (or a signed peer
installation, whose registration names its subtree). Both read the rows of that subtree plus the
plans and guidance issued by the units above it (``ChangeRecord.objects.restrict``).

- ``GET /api/v1/sync/feed/?cursor=&limit=``: change records in commit order, (txid, id), only of
  transactions that have ended (``committed()``): a cursor never passes a row that commits later,
  so paging while others write misses nothing and repeats nothing (docs/decisions/0008-sync.md).
- ``GET /api/v1/sync/snapshot/<kind>/?cursor=&limit=``: the latest record of every object of one
  kind, as of one position of the log. The first page fixes that position (in a REPEATABLE READ
  transaction, the last committed row before the snapshot's xmin) and answers it as
  ``feed_cursor``; the following pages carry it in their cursor. Every row at or before it is
  committed and never changes again, so every page describes the same state, and the snapshot plus
  the feed read from ``feed_cursor`` is the whole log: the same state as a fresh snapshot.

Cursors are opaque to clients (URL-safe base64 of the position); a cursor that does not decode is
answered 400 with a Vietnamese and an English message.
"""
from __future__ import annotations

import base64
import binascii
import json
import uuid

from django.db import connection, transaction
from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, permissions, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from mttq_platform.api.authentication import ScopedTokenAuthentication
from mttq_platform.api.errors import checked_query
from mttq_platform.api.viewsets import TokenAllowsMethod
from sync.api.auth import SignedPeerAuthentication
from sync.models import ChangeKind, ChangeRecord
from sync.payloads import SCHEMA_VERSION

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
START = (0, 0)  # before the first row


def _invalid(field: str, message_vi: str, message_en: str):
    return exceptions.ValidationError({field: [message_vi, message_en]})


def _bad_cursor():
    return _invalid("cursor", "Con trỏ (cursor) không hợp lệ: hãy dùng đúng giá trị next_cursor mà máy chủ đã trả.",
                    "Invalid cursor: pass back the next_cursor value exactly as the server returned it.")


# -- cursors -------------------------------------------------------------------------------------

def encode_position(position: tuple[int, int]) -> str:
    return base64.urlsafe_b64encode(f"{position[0]}:{position[1]}".encode()).decode().rstrip("=")


def _unb64(text: str) -> str:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _bad_cursor() from None


def decode_position(text: str | None) -> tuple[int, int]:
    if not text:
        return START
    parts = _unb64(text).split(":")
    if len(parts) != 2 or not all(part.isdigit() for part in parts):
        raise _bad_cursor()
    return int(parts[0]), int(parts[1])


def _encode_snapshot(bound: tuple[int, int], after: tuple[str, str] | None) -> str:
    data = json.dumps({"at": list(bound), "after": list(after) if after else None}, separators=(",", ":"))
    return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")


def _decode_snapshot(text: str) -> tuple[tuple[int, int], tuple[str, uuid.UUID] | None]:
    try:
        data = json.loads(_unb64(text))
        at = (int(data["at"][0]), int(data["at"][1]))
        after = data["after"]
        after = (str(after[0]), uuid.UUID(after[1])) if after is not None else None
    except (ValueError, TypeError, KeyError, IndexError):
        raise _bad_cursor() from None
    if min(at) < 0:
        raise _bad_cursor()
    return at, after


def after_position(position: tuple[int, int]) -> Q:
    txid, pk = position
    return Q(txid__gt=txid) | Q(txid=txid, id__gt=pk)


def up_to_position(position: tuple[int, int]) -> Q:
    txid, pk = position
    return Q(txid__lt=txid) | Q(txid=txid, id__lte=pk)


def _limit(request) -> int:
    raw = request.query_params.get("limit")
    if raw in (None, ""):
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise _invalid("limit", f"Số mục mỗi trang (limit) phải từ 1 đến {MAX_LIMIT}.",
                       f"The page size (limit) must be between 1 and {MAX_LIMIT}.")
    return int(raw)


# -- what the caller sees ------------------------------------------------------------------------

def visible_records(request):
    """The rows the caller may read: a signed peer its registered subtree (and the plans above it),
    anyone else through the one restriction."""
    peer = getattr(request, "peer", None)
    if peer is not None:
        return ChangeRecord.objects.for_subtree(peer.unit)
    return ChangeRecord.objects.restrict(request.user)


def item(record: ChangeRecord) -> dict:
    return {
        "global_id": record.global_id,
        "kind": record.kind,
        "origin": record.origin,
        "object_uuid": str(record.object_uuid),
        "version": record.version,
        "unit": record.unit.code,
        "schema_version": record.schema_version,
        "recorded_at": record.created_at.isoformat(),
        "payload": record.payload,
    }


# -- documentation -------------------------------------------------------------------------------

class SyncItemSerializer(serializers.Serializer):
    global_id = serializers.CharField(help_text="`<installation id>:<object uuid>`: the object everywhere it travels.")
    kind = serializers.ChoiceField(choices=ChangeKind.choices)
    origin = serializers.CharField(help_text="The installation that owns the object (its only writer).")
    object_uuid = serializers.UUIDField()
    version = serializers.IntegerField(help_text="Grows with every change of the object: apply an item only when its "
                                                 "version is newer than the one held.")
    unit = serializers.CharField(help_text="Code of the unit the object belongs to.")
    schema_version = serializers.IntegerField(help_text="Version of the payload's shape (see sync.payloads).")
    recorded_at = serializers.DateTimeField()
    payload = serializers.JSONField(help_text=(
        "The object, by kind. unit: code, admin_code, code_set, name, area_name, kind, level, parent, "
        "active_from, active_to. plan/guidance: the document with legal_bases, sections, tasks (uuid, number, "
        "text, timeframe, parties), responsibilities, dispatches and parent_plan (global id). report: unit, "
        "year, version, status, due_date, times, plan (global id), progress rows, indicators by code, summary. "
        "inspection: conclusion fields and recommendations."))


class SyncFeedPageSerializer(serializers.Serializer):
    schema_version = serializers.IntegerField(help_text="Version of the item schema of this page.")
    items = SyncItemSerializer(many=True)
    next_cursor = serializers.CharField(help_text="Pass back as `cursor` for the next page (opaque).")
    has_more = serializers.BooleanField(help_text="Whether rows follow now; if not, poll later from next_cursor.")


class SyncSnapshotPageSerializer(SyncFeedPageSerializer):
    kind = serializers.ChoiceField(choices=ChangeKind.choices)
    feed_cursor = serializers.CharField(help_text="Read the feed from this cursor after the last snapshot page: "
                                                  "snapshot + feed = the current state.")


class SyncErrorSerializer(serializers.Serializer):
    error = serializers.JSONField(help_text="status, code, message (Vietnamese), message_en, detail")


_EXAMPLE_ITEM = {
    "global_id": "tw:0b8e7f0e-3c1a-4d57-9d8e-2a43f1b7c001", "kind": "report", "origin": "tw",
    "object_uuid": "0b8e7f0e-3c1a-4d57-9d8e-2a43f1b7c001", "version": 1, "unit": "094", "schema_version": 1,
    "recorded_at": "2025-12-20T09:30:00+07:00",
    "payload": {
        "global_id": "tw:0b8e7f0e-3c1a-4d57-9d8e-2a43f1b7c001", "unit": "094", "year": 2025, "version": 1,
        "status": "accepted", "due_date": "2025-12-15", "summary": "", "first_submitted_at": "2025-12-10T08:00:00+07:00",
        "submitted_at": "2025-12-10T08:00:00+07:00", "accepted_at": "2025-12-20T09:30:00+07:00",
        "plan": "tw:5d2f9a10-1111-4c2e-8f00-000000000001",
        "progress": [{"task": "9a1c0b7e-2222-4e3a-9c00-000000000001", "task_number": "1.1",
                      "task_text": "Tổ chức quán triệt Chỉ thị", "period_key": "2025", "period_label": "Năm 2025",
                      "period_start": "2025-01-01", "period_end": "2025-12-31", "due": "2025-12-15",
                      "status": "done", "percent": 100, "narrative": "Đã tổ chức hội nghị.", "reason": ""}],
        "indicators": {"HN_GIAM_SAT": 12},
    },
}
_FEED_EXAMPLE = OpenApiExample("A page of the feed", value={
    "schema_version": SCHEMA_VERSION, "items": [_EXAMPLE_ITEM], "next_cursor": "MTIzNDU6Njc4", "has_more": False,
}, response_only=True, status_codes=["200"])
_SNAPSHOT_EXAMPLE = OpenApiExample("A page of the reports' snapshot", value={
    "schema_version": SCHEMA_VERSION, "kind": "report", "items": [_EXAMPLE_ITEM],
    "next_cursor": "eyJhdCI6WzEyMzQ1LDY3OF0sImFmdGVyIjpudWxsfQ", "has_more": False, "feed_cursor": "MTIzNDU6Njc4",
}, response_only=True, status_codes=["200"])
_BAD_CURSOR_EXAMPLE = OpenApiExample("A cursor that does not decode", value={"error": {
    "status": 400, "code": "invalid", "message": "Dữ liệu gửi lên không hợp lệ.", "message_en": "The data sent is not valid.",
    "detail": {"cursor": ["Con trỏ (cursor) không hợp lệ: hãy dùng đúng giá trị next_cursor mà máy chủ đã trả.",
                          "Invalid cursor: pass back the next_cursor value exactly as the server returned it."]},
}}, response_only=True, status_codes=["400"])

_LIMIT = OpenApiParameter("limit", OpenApiTypes.INT, description=f"Items per page, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}).")
_KIND_FILTER = OpenApiParameter("kind", OpenApiTypes.STR, description="Only these kinds (comma-separated).")
_UNIT_FILTER = OpenApiParameter("unit", OpenApiTypes.STR, description="Only the items of this unit (code).")


class SyncReadView(APIView):
    authentication_classes = [SignedPeerAuthentication, ScopedTokenAuthentication, SessionAuthentication]
    permission_classes = [permissions.IsAuthenticated, TokenAllowsMethod]

    def filtered(self, request, records):
        kinds = [k for k in checked_query(request).get("kind", "").split(",") if k]
        if kinds:
            if not set(kinds) <= set(ChangeKind.values):
                raise _invalid("kind", f"Loại không hợp lệ; dùng: {', '.join(ChangeKind.values)}.",
                               f"Unknown kind; use: {', '.join(ChangeKind.values)}.")
            records = records.filter(kind__in=kinds)
        if request.query_params.get("unit"):
            records = records.filter(unit__code=request.query_params["unit"])
        return records


class FeedView(SyncReadView):
    """Changes in commit order from a cursor: issued plans and guidance, accepted reports with their
    indicators, inspection conclusions, unit changes."""

    @extend_schema(
        tags=["sync"], summary="Change feed (commit order, opaque cursor)",
        parameters=[OpenApiParameter("cursor", OpenApiTypes.STR, description="next_cursor of the previous page; "
                                     "empty for the beginning."), _LIMIT, _KIND_FILTER, _UNIT_FILTER],
        responses={200: SyncFeedPageSerializer, 400: SyncErrorSerializer}, examples=[_FEED_EXAMPLE, _BAD_CURSOR_EXAMPLE],
    )
    def get(self, request):
        position = decode_position(request.query_params.get("cursor"))
        limit = _limit(request)
        records = self.filtered(request, visible_records(request)).committed()
        rows = list(records.filter(after_position(position)).select_related("unit").order_by("txid", "id")[:limit + 1])
        page = rows[:limit]
        last = (page[-1].txid, page[-1].id) if page else position
        return Response({"schema_version": SCHEMA_VERSION, "items": [item(r) for r in page],
                         "next_cursor": encode_position(last), "has_more": len(rows) > limit})


def _snapshot_position() -> tuple[int, int]:
    """The last committed row before the current snapshot's xmin: the snapshot's place in the log."""
    last = ChangeRecord.objects.committed().order_by("-txid", "-id").values_list("txid", "id").first()
    return tuple(last) if last else START


class SnapshotView(SyncReadView):
    """The latest version of every object of one kind the caller may read, as of one position of
    the log; then read the feed from ``feed_cursor``."""

    @extend_schema(
        tags=["sync"], summary="Snapshot of one kind (first full load)",
        parameters=[OpenApiParameter("kind", OpenApiTypes.STR, OpenApiParameter.PATH, enum=ChangeKind.values),
                    OpenApiParameter("cursor", OpenApiTypes.STR, description="next_cursor of the previous snapshot "
                                     "page; empty for the first page."), _LIMIT, _UNIT_FILTER],
        responses={200: SyncSnapshotPageSerializer, 400: SyncErrorSerializer}, examples=[_SNAPSHOT_EXAMPLE, _BAD_CURSOR_EXAMPLE],
    )
    def get(self, request, kind: str):
        limit = _limit(request)
        cursor = request.query_params.get("cursor")
        if cursor:
            at, after = _decode_snapshot(cursor)
            return Response(self.page(request, kind, at, after, limit))
        outermost = not connection.in_atomic_block
        with transaction.atomic():
            if outermost:
                # The position and the first page from one snapshot. Inside an outer transaction
                # (a test's) the level cannot change any more; the position makes pages agree anyway.
                with connection.cursor() as db:
                    db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            at = _snapshot_position()
            return Response(self.page(request, kind, at, None, limit))

    def page(self, request, kind, at, after, limit) -> dict:
        records = (self.filtered(request, visible_records(request)).filter(kind=kind).filter(up_to_position(at)))
        if after is not None:
            records = records.filter(Q(origin__gt=after[0]) | Q(origin=after[0], object_uuid__gt=after[1]))
        # The latest version of each object (as of the position): DISTINCT ON the global id.
        rows = list(records.select_related("unit").order_by("origin", "object_uuid", "-version", "-txid", "-id")
                    .distinct("origin", "object_uuid")[:limit + 1])
        page = rows[:limit]
        last = (page[-1].origin, str(page[-1].object_uuid)) if page else after and (after[0], str(after[1]))
        return {"schema_version": SCHEMA_VERSION, "kind": kind, "items": [item(r) for r in page],
                "next_cursor": _encode_snapshot(at, last), "has_more": len(rows) > limit,
                "feed_cursor": encode_position(at)}

