"""Comment rounds (góp ý) on the province's draft report: two member organizations comment in
writing, an outside body's letter is recorded by the drafter, each comment is marked; the late
party is listed after the deadline; a sibling province sees nothing."""
from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from mttq_platform.models import AuditLog
from orgtree.models import Membership, Role
from plans.models import OutsideBody
from reviews.models import Comment, CommentParty, CommentRound, CommentRoundMode, Disposition, ReportStatus, UnitReport
from reviews.services import comments as service
from reviews.services.errors import ReviewError
from reviews.services.reports import open_report
from tests.plans.factories import seed_like_plan

pytestmark = pytest.mark.django_db

# Comments are stamped with the real clock: the deadline is set from today.
BEFORE = timezone.localdate()
DEADLINE = BEFORE + timedelta(days=10)
AFTER = DEADLINE + timedelta(days=1)


def liaison(tree, code, username):
    """A member organization's liaison (view, add, change on that organization)."""
    user = get_user_model().objects.create_user(username)
    Membership.objects.create(user=user, unit=tree[code], role=Role.objects.get(code="liaison"))
    return user


@pytest.fixture
def round_(tree):
    """The province's draft 2026 report sent in writing to 11-HND, 11-HCCB, 11-DTN and the
    provincial People's Council (an outside body typed by name)."""
    seed_like_plan(tree["11"])
    report = open_report(tree["11"], 2026)
    tree.users["hccb.liaison"] = liaison(tree, "11-HCCB", "hccb.liaison")
    tree.users["dtn.liaison"] = liaison(tree, "11-DTN", "dtn.liaison")
    return service.open_round(
        report, user=tree.user("db.cadre"), mode=CommentRoundMode.WRITING, title="Dự thảo báo cáo năm 2026",
        deadline=DEADLINE, units=[tree["11-HND"], tree["11-HCCB"], tree["11-DTN"]],
        new_body_names=["Thường trực HĐND tỉnh Điện Biên"],
    )


def party(round_, code=None, body=None):
    if code:
        return round_.parties.get(unit__code=code)
    return round_.parties.get(outside_body__name=body)


def test_two_member_organizations_and_an_outside_body_comment_and_each_is_marked(tree, round_):
    hnd = service.submit_comment(round_, party(round_, "11-HND"), "Bổ sung số liệu giám sát của Hội Nông dân.",
                                 user=tree.user("db.hnd.liaison"), today=BEFORE)
    hccb = service.submit_comment(round_, party(round_, "11-HCCB"), "Nêu rõ kết quả phản biện.",
                                  user=tree.user("hccb.liaison"), today=BEFORE)
    council = party(round_, body="Thường trực HĐND tỉnh Điện Biên")
    letter = service.submit_comment(round_, council, "Đề nghị đánh giá việc trả lời kiến nghị.",
                                    user=tree.user("db.cadre"), today=BEFORE)
    assert letter.submitted_by == tree.user("db.cadre")  # recorded on the body's behalf
    assert OutsideBody.objects.filter(name="Thường trực HĐND tỉnh Điện Biên").exists()

    # Nobody else may write for a party: not the liaison for another organization, not the
    # drafter for a unit party in a written round, not a viewer.
    for user, target in [(tree.user("db.hnd.liaison"), "11-HCCB"), (tree.user("db.cadre"), "11-HND"),
                         (tree.user("db.viewer"), "11-HND"), (tree.user("hn.chair"), "11-HND")]:
        with pytest.raises(ReviewError) as refused:
            service.submit_comment(round_, party(round_, target), "x", user=user, today=BEFORE)
        assert refused.value.code == "permission_denied"
    with pytest.raises(ReviewError):  # a party cannot mark comments
        service.decide(hnd, user=tree.user("db.hnd.liaison"), disposition=Disposition.TAKEN, response="x")

    with pytest.raises(ReviewError) as pending:
        service.close_round(round_, user=tree.user("db.cadre"))
    assert pending.value.code == "pending_comments" and "3" in pending.value.message_vi

    service.decide(hnd, user=tree.user("db.cadre"), disposition=Disposition.TAKEN, response="Đã bổ sung vào mục II.")
    service.decide(hccb, user=tree.user("db.cadre"), disposition=Disposition.EXPLAINED, response="Đã có ở phụ lục 2.")
    with pytest.raises(ReviewError):
        service.decide(letter, user=tree.user("db.cadre"), disposition=Disposition.TAKEN, response="  ")
    service.decide(letter, user=tree.user("db.cadre"), disposition=Disposition.TAKEN, response="Đã bổ sung mục III.")
    assert dict(Comment.objects.filter(round=round_).values_list("party__unit__code", "disposition")) == {
        "11-HND": "taken", "11-HCCB": "explained", None: "taken"}

    service.close_round(round_, user=tree.user("db.cadre"))
    assert CommentRound.objects.get(pk=round_.pk).closed_at is not None
    with pytest.raises(ReviewError):
        service.submit_comment(round_, party(round_, "11-DTN"), "Muộn.", user=tree.user("dtn.liaison"), today=BEFORE)

    # Every write audited: the round, the three comments and their decisions, the closing.
    logged = AuditLog.objects.filter(content_type__model__in=["commentround", "comment"])
    assert logged.filter(action="create").count() == 4
    assert logged.filter(action="update", content_type__model="comment").count() == 3
    assert logged.filter(action="update", content_type__model="commentround").count() == 1
    assert set(logged.values_list("unit_id", flat=True)) == {tree["11"].pk}


def test_after_the_deadline_written_comments_are_refused_and_the_late_party_listed(tree, round_):
    service.submit_comment(round_, party(round_, "11-HND"), "Ý kiến.", user=tree.user("db.hnd.liaison"), today=BEFORE)
    service.submit_comment(round_, party(round_, "11-HCCB"), "Ý kiến.", user=tree.user("hccb.liaison"), today=BEFORE)
    service.submit_comment(round_, party(round_, body="Thường trực HĐND tỉnh Điện Biên"), "Văn bản.",
                           user=tree.user("db.cadre"), today=BEFORE)
    assert service.late_parties(round_, today=DEADLINE) == []  # the deadline day still counts

    with pytest.raises(ReviewError) as refused:
        service.submit_comment(round_, party(round_, "11-DTN"), "Muộn.", user=tree.user("dtn.liaison"), today=AFTER)
    assert refused.value.code == "deadline_passed"
    assert "quá hạn" in refused.value.message_vi and "deadline" in refused.value.message_en
    assert not Comment.objects.filter(party__unit__code="11-DTN").exists()
    assert [str(p.unit.code) for p in service.late_parties(round_, today=AFTER)] == ["11-DTN"]


def test_a_comment_dated_after_the_deadline_does_not_count_in_time(tree, round_):
    comment = service.submit_comment(round_, party(round_, "11-HND"), "Ý kiến.", user=tree.user("db.hnd.liaison"), today=BEFORE)
    Comment.objects.filter(pk=comment.pk).update(submitted_at=timezone.make_aware(datetime.combine(AFTER, datetime.min.time()).replace(hour=9)))
    late = {p.unit.code if p.unit else p.outside_body.name for p in service.late_parties(round_, today=AFTER)}
    assert late == {"11-HND", "11-HCCB", "11-DTN", "Thường trực HĐND tỉnh Điện Biên"}


def test_a_conference_is_recorded_by_the_drafter(tree):
    report = open_report(tree["094"], 2026)
    round_ = service.open_round(
        report, user=tree.user("dbp.cadre"), mode=CommentRoundMode.CONFERENCE, title="Hội nghị góp ý",
        deadline=DEADLINE, units=[tree["03127"], tree["11"]], new_body_names=["UBND thành phố Điện Biên Phủ"],
    )
    assert set(round_.parties.values_list("unit__code", flat=True)) == {"03127", "11", None}  # its parent too
    meeting = timezone.make_aware(datetime.combine(DEADLINE, datetime.min.time()).replace(hour=8))
    service.record_meeting(round_, user=tree.user("dbp.cadre"), meeting_at=meeting, meeting_place="Hội trường",
                           minutes="Biên bản hội nghị.")
    commune = party(round_, "03127")
    # At a conference only the drafter records what was said, even after the deadline.
    with pytest.raises(ReviewError):
        service.submit_comment(round_, commune, "Ý kiến.", user=tree.user("himlam.cadre"), today=BEFORE)
    said = service.submit_comment(round_, commune, "Ý kiến tại hội nghị.", user=tree.user("dbp.cadre"), today=AFTER)
    assert said.submitted_by == tree.user("dbp.cadre")
    assert [p.unit.code for p in service.late_parties(round_, today=AFTER) if p.unit] == ["11"]
    round_.refresh_from_db()
    assert (round_.meeting_place, round_.minutes) == ("Hội trường", "Biên bản hội nghị.")


def test_opening_is_the_drafters_on_a_draft_with_readable_parties(tree):
    report = open_report(tree["094"], 2026)
    ask = dict(mode=CommentRoundMode.WRITING, title="Góp ý", deadline=DEADLINE)
    with pytest.raises(ReviewError):  # the parent reads the report but does not draft it
        service.open_round(report, user=tree.user("db.chair"), units=[tree["03127"]], **ask)
    with pytest.raises(ReviewError):  # a unit of another province is not the drafter's to invite
        service.open_round(report, user=tree.user("dbp.cadre"), units=[tree["001"]], **ask)
    with pytest.raises(ReviewError):  # nobody invited
        service.open_round(report, user=tree.user("dbp.cadre"), units=[], **ask)
    UnitReport.objects.filter(pk=report.pk).update(status=ReportStatus.SUBMITTED)
    report.refresh_from_db()
    with pytest.raises(ReviewError):
        service.open_round(report, user=tree.user("dbp.cadre"), units=[tree["03127"]], **ask)
    UnitReport.objects.filter(pk=report.pk).update(status=ReportStatus.RETURNED)
    report.refresh_from_db()
    assert service.open_round(report, user=tree.user("dbp.cadre"), units=[tree["03127"]], **ask).pk
    assert not CommentRound.objects.filter(report=report).exclude(parties__unit__code="03127").exists()


def test_who_reads_the_round_and_its_comments(tree, round_):
    service.submit_comment(round_, party(round_, "11-HND"), "Của Hội Nông dân.", user=tree.user("db.hnd.liaison"), today=BEFORE)
    service.submit_comment(round_, party(round_, "11-HCCB"), "Của Hội Cựu chiến binh.", user=tree.user("hccb.liaison"), today=BEFORE)

    def comments_of(username):
        return set(Comment.objects.restrict(tree.user(username)).filter(round=round_).values_list("party__unit__code", flat=True))

    def sees_round(username):
        return CommentRound.objects.restrict(tree.user(username)).filter(pk=round_.pk).exists()

    # The drafting unit, its viewers and the units above read everything.
    assert comments_of("db.cadre") == comments_of("db.viewer") == comments_of("tw.analyst") == {"11-HND", "11-HCCB"}
    # A party reads the round and its own comments, not the others'; only its own party row.
    assert sees_round("db.hnd.liaison") and comments_of("db.hnd.liaison") == {"11-HND"}
    assert set(CommentParty.objects.restrict(tree.user("db.hnd.liaison")).filter(round=round_)
               .values_list("unit__code", flat=True)) == {"11-HND"}
    # The party's report stays unreadable through UnitReport: it reads the draft through the round.
    assert not UnitReport.objects.restrict(tree.user("db.hnd.liaison")).filter(pk=round_.report_id).exists()
    # The unrelated province and a district below (not invited) see nothing.
    for username in ("hn.chair", "dbp.cadre", "himlam.chair"):
        assert not sees_round(username) and comments_of(username) == set()
    # Reading as a party is only reading: no write right comes with it.
    assert not CommentRound.objects.restrict(tree.user("db.hnd.liaison"), "change").filter(pk=round_.pk).exists()
