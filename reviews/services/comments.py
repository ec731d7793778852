"""Comment rounds on a draft report (góp ý, seed II.4.1).

The drafting unit (a user with "change" on the report's unit) sends its draft or returned report
for comments to chosen units and outside bodies, with a deadline:
- in writing, each invited unit's users (with "add" or "change" on that unit) submit their
  comments until the deadline; outside bodies have no users, so the drafter records their written
  comments on their behalf;
- at a conference, the drafter records the meeting (time, place, minutes) and what each party said.
The drafter then marks every comment taken in (tiếp thu) or explained (giải trình) with a response,
and closes the round once nothing is left pending.

Who reads a round is decided by the one restriction (``CommentRound.objects.restrict``): the
drafting unit's subtree and the units above it, and the party units (see
``reviews.models.comments.PartyReadableQuerySet``). Party users read the draft report through the
round they are invited to, not through ``UnitReport``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils import timezone

from orgtree.models import OrgUnit
from plans.models import OutsideBody
from reviews.models import Comment, CommentParty, CommentRound, CommentRoundMode, Disposition, ReportStatus, UnitReport
from reviews.services.errors import ReviewError

OPEN_FOR_COMMENTS = (ReportStatus.DRAFT, ReportStatus.RETURNED)


# -- rights ---------------------------------------------------------------------------------------
def can_draft(user, report: UnitReport) -> bool:
    """The drafting unit's right: "change" on the report's own unit."""
    return OrgUnit.objects.restrict(user, "change", with_extra=False).filter(pk=report.unit_id).exists()


def acting_unit_ids(user, among) -> set[int]:
    """Those of the units ``among`` for which the user may write ("add" or "change"): the party
    units they can speak for."""
    among = [pk for pk in among if pk]
    if not among:
        return set()
    allowed = OrgUnit.objects.restrict(user, "add", with_extra=False) | OrgUnit.objects.restrict(user, "change", with_extra=False)
    return set(allowed.filter(pk__in=among).values_list("pk", flat=True))


def _require_drafter(user, report):
    if not can_draft(user, report):
        raise ReviewError(
            "Chỉ đơn vị soạn báo cáo mới được thực hiện thao tác này.",
            "Only the unit drafting the report may do this.", code="permission_denied",
        )


def _require_open(round_: CommentRound):
    if round_.closed_at is not None:
        raise ReviewError("Đợt góp ý đã kết thúc.", "The comment round is closed.")


# -- opening a round ------------------------------------------------------------------------------
@transaction.atomic
def open_round(
    report: UnitReport, *, user, mode: str, title: str, deadline: date, units=(), outside_bodies=(), new_body_names=(),
    meeting_at=None, meeting_place: str = "", minutes: str = "",
) -> CommentRound:
    """Send ``report`` for comments. ``units``: units the drafter may read (its member
    organizations, children, parent...); ``outside_bodies``: existing ``OutsideBody`` rows;
    ``new_body_names``: outside bodies typed by name (made when new)."""
    _require_drafter(user, report)
    if report.status not in OPEN_FOR_COMMENTS:
        raise ReviewError(
            "Chỉ lấy ý kiến góp ý khi báo cáo đang soạn hoặc bị trả lại.",
            "Comments can be asked only on a report being drafted or returned.",
        )
    if mode not in CommentRoundMode.values:
        raise ReviewError("Hình thức góp ý không hợp lệ.", "Unknown comment round mode.")
    title = (title or "").strip()
    if not title:
        raise ReviewError("Cần nhập tiêu đề đợt góp ý.", "The round needs a title.")
    if deadline is None:
        raise ReviewError("Cần nhập hạn góp ý.", "The round needs a deadline.")
    unit_ids = {unit.pk if isinstance(unit, OrgUnit) else int(unit) for unit in units}
    unit_ids.discard(report.unit_id)  # the drafter does not comment on its own draft
    readable = set(OrgUnit.objects.restrict(user).filter(pk__in=unit_ids).values_list("pk", flat=True))
    if readable != unit_ids:
        raise ReviewError(
            "Có đơn vị được mời góp ý mà bạn không có quyền xem.", "Some invited units are not units you may read.",
        )
    bodies = {body.pk: body for body in outside_bodies}
    for name in new_body_names:
        name = " ".join(name.split())
        if name:
            body, _created = OutsideBody.objects.get_or_create(name=name)
            bodies[body.pk] = body
    if not unit_ids and not bodies:
        raise ReviewError("Cần chọn ít nhất một đơn vị hoặc cơ quan để lấy ý kiến.", "Choose at least one unit or outside body.")
    round_ = CommentRound.objects.create(
        report=report, mode=mode, title=title, deadline=deadline, meeting_at=meeting_at,
        meeting_place=meeting_place.strip(), minutes=minutes.strip(), created_by=user,
    )
    CommentParty.objects.bulk_create(
        [CommentParty(round=round_, unit_id=pk) for pk in sorted(unit_ids)]
        + [CommentParty(round=round_, outside_body=body) for body in sorted(bodies.values(), key=lambda b: b.name)]
    )
    return round_


@transaction.atomic
def record_meeting(round_: CommentRound, *, user, meeting_at, meeting_place: str = "", minutes: str = "") -> CommentRound:
    """The conference's time, place and minutes (conference rounds only)."""
    _require_drafter(user, round_.report)
    _require_open(round_)
    if round_.mode != CommentRoundMode.CONFERENCE:
        raise ReviewError("Chỉ hội nghị góp ý mới có biên bản hội nghị.", "Only a conference round has meeting minutes.")
    if meeting_at is None:
        raise ReviewError("Cần nhập thời gian hội nghị.", "The meeting needs a date and time.")
    round_.meeting_at, round_.meeting_place, round_.minutes = meeting_at, meeting_place.strip(), minutes.strip()
    round_.save()
    return round_


# -- comments -------------------------------------------------------------------------------------
def parties_user_may_speak_for(round_: CommentRound, user, parties=None, *, is_drafter: bool | None = None) -> list[CommentParty]:
    """The parties for which ``user`` may record a comment now: their own unit's party in a
    written round; as the drafter, the outside bodies (written round) or every party (conference)."""
    if round_.closed_at is not None:
        return []
    parties = list(round_.parties.select_related("unit", "outside_body")) if parties is None else parties
    if is_drafter is None:
        is_drafter = can_draft(user, round_.report)
    own_units = acting_unit_ids(user, [party.unit_id for party in parties]) if round_.mode == CommentRoundMode.WRITING else set()
    allowed = []
    for party in parties:
        if round_.mode == CommentRoundMode.CONFERENCE:
            speaks = is_drafter
        else:
            speaks = party.unit_id in own_units if party.unit_id else is_drafter
        if speaks:
            allowed.append(party)
    return allowed


def deadline_passed(round_: CommentRound, today: date | None = None) -> bool:
    return (today or timezone.localdate()) > round_.deadline


@transaction.atomic
def submit_comment(round_: CommentRound, party: CommentParty, text: str, *, user, today: date | None = None) -> Comment:
    if party.round_id != round_.pk:
        raise ReviewError("Bên góp ý không thuộc đợt góp ý này.", "That party is not invited to this round.")
    _require_open(round_)
    if party not in parties_user_may_speak_for(round_, user, [party]):
        raise ReviewError(
            "Bạn không được gửi ý kiến thay cho bên góp ý này.", "You may not comment for this party.", code="permission_denied",
        )
    if round_.mode == CommentRoundMode.WRITING and deadline_passed(round_, today):
        raise ReviewError(
            f"Đã quá hạn góp ý ({round_.deadline:%d/%m/%Y}); không nhận thêm ý kiến bằng văn bản.",
            f"The deadline ({round_.deadline:%Y-%m-%d}) has passed; written comments are no longer accepted.",
            code="deadline_passed",
        )
    text = (text or "").strip()
    if not text:
        raise ReviewError("Cần nhập nội dung ý kiến.", "The comment is empty.")
    return Comment.objects.create(round=round_, party=party, text=text, submitted_by=user)


@transaction.atomic
def decide(comment: Comment, *, user, disposition: str, response: str) -> Comment:
    """Mark a comment taken in or explained, with the drafter's response."""
    round_ = comment.round
    _require_drafter(user, round_.report)
    _require_open(round_)
    if disposition not in (Disposition.TAKEN, Disposition.EXPLAINED):
        raise ReviewError("Chọn tiếp thu hoặc giải trình.", "Choose taken in or explained.")
    response = (response or "").strip()
    if not response:
        raise ReviewError("Cần nhập nội dung tiếp thu hoặc giải trình.", "Say how the comment was taken in or explained.")
    comment.disposition, comment.response = disposition, response
    comment.decided_by, comment.decided_at = user, timezone.now()
    comment.save()
    return comment


@transaction.atomic
def close_round(round_: CommentRound, *, user) -> CommentRound:
    _require_drafter(user, round_.report)
    _require_open(round_)
    pending = round_.comments.filter(disposition=Disposition.PENDING).count()
    if pending:
        raise ReviewError(
            f"Còn {pending} ý kiến chưa được tiếp thu hoặc giải trình.",
            f"{pending} comment(s) are not yet taken in or explained.", code="pending_comments",
        )
    round_.closed_at = timezone.now()
    round_.save()
    return round_


# -- reading --------------------------------------------------------------------------------------
@dataclass
class PartyRow:
    party: CommentParty
    comments: list = field(default_factory=list)
    late: bool = False


def party_rows(round_: CommentRound, parties, comments, today: date | None = None) -> list[PartyRow]:
    """Each party with its (readable) comments, and whether it is late: the deadline has passed
    and it gave no comment by then (in writing: dated on or before the deadline; at a conference,
    where the drafter records afterwards: any comment)."""
    passed = deadline_passed(round_, today)
    by_party: dict[int, list] = {}
    for comment in comments:
        by_party.setdefault(comment.party_id, []).append(comment)
    rows = []
    for party in parties:
        own = by_party.get(party.pk, [])
        if round_.mode == CommentRoundMode.WRITING:
            in_time = [c for c in own if timezone.localdate(c.submitted_at) <= round_.deadline]
        else:
            in_time = own
        rows.append(PartyRow(party=party, comments=own, late=passed and not in_time))
    return rows


def late_parties(round_: CommentRound, today: date | None = None) -> list[CommentParty]:
    parties = list(round_.parties.select_related("unit", "outside_body"))
    comments = list(round_.comments.only("id", "party_id", "submitted_at"))
    return [row.party for row in party_rows(round_, parties, comments, today) if row.late]
