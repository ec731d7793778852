"""Comment round pages: the province opens a written round on its draft, two member organizations
comment from their own pages, the drafter records an outside body's letter and marks each comment
(htmx), the late party is listed, a sibling province gets 404, and the round page costs a pinned
number of queries whatever the number of parties and comments."""
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orgtree.models import Membership, Role
from reviews.models import Comment, CommentRound, Disposition
from reviews.services import comments as service
from reviews.services.reports import open_report
from tests.plans.factories import seed_like_plan

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
YEAR = 2026
TODAY = timezone.localdate()


def url(name, code="11", round_=None, **kwargs):
    if round_ is not None:
        kwargs["uuid"] = round_.uuid
    return reverse(name, kwargs={"code": code, "year": YEAR, **kwargs})


@pytest.fixture
def hccb(tree):
    user = get_user_model().objects.create_user("hccb.liaison")
    Membership.objects.create(user=user, unit=tree["11-HCCB"], role=Role.objects.get(code="liaison"))
    return user


def open_through_the_page(client, tree, deadline):
    client.force_login(tree.user("db.cadre"))
    form = client.get(url("comment-round-new")).content.decode()
    assert "11-HND" in form and "11-HCCB" in form and "094" in form  # member organizations and children offered
    response = client.post(url("comment-round-new"), {
        "mode": "writing", "title": "Dự thảo báo cáo năm 2026", "deadline": deadline.isoformat(),
        "units": [tree["11-HND"].pk, tree["11-HCCB"].pk, tree["11-DTN"].pk],
        "new_bodies": "Thường trực HĐND tỉnh Điện Biên\n",
    })
    round_ = CommentRound.objects.get()
    assert response.status_code == 302 and response["Location"] == url("comment-round-detail", round_=round_)
    return round_


def test_a_written_round_from_opening_to_closing(client, tree, hccb):
    seed_like_plan(tree["11"])
    round_ = open_through_the_page(client, tree, TODAY + timedelta(days=7))
    assert round_.report.unit == tree["11"] and round_.parties.count() == 4

    # Each member organization comments from its own pages, where the round is listed as an invitation.
    for user, code, text in [(tree.user("db.hnd.liaison"), "11-HND", "Bổ sung kết quả giám sát của Hội."),
                             (hccb, "11-HCCB", "Làm rõ số kiến nghị đã được giải quyết.")]:
        client.force_login(user)
        listing = client.get(url("comment-round-list", code=code)).content.decode()
        assert "Dự thảo báo cáo năm 2026" in listing and url("comment-round-detail", code=code, round_=round_) in listing
        page = client.get(url("comment-round-detail", code=code, round_=round_)).content.decode()
        assert "Gửi ý kiến" in page and "Dự thảo báo cáo" in page
        assert "Tuyên truyền" in page or "Nhiệm vụ" in page  # the draft's content is readable through the round
        party = round_.parties.get(unit__code=code)
        response = client.post(url("comment-round-comment", code=code, round_=round_), {"party": party.pk, "text": text})
        assert response.status_code == 302
    # A party reads its own comment, not the other organization's.
    page = client.get(url("comment-round-detail", code="11-HCCB", round_=round_)).content.decode()
    assert "Làm rõ số kiến nghị" in page and "Bổ sung kết quả giám sát" not in page

    # The drafter records the People's Council's letter and sees every comment.
    client.force_login(tree.user("db.cadre"))
    council = round_.parties.get(outside_body__name="Thường trực HĐND tỉnh Điện Biên")
    page = client.get(url("comment-round-detail", round_=round_)).content.decode()
    assert "Bổ sung kết quả giám sát" in page and "Làm rõ số kiến nghị" in page
    client.post(url("comment-round-comment", round_=round_), {"party": council.pk, "text": "Đề nghị bổ sung số liệu."})
    assert Comment.objects.filter(party=council, submitted_by=tree.user("db.cadre")).exists()

    # Closing with comments pending is refused, with the reason.
    response = client.post(url("comment-round-close", round_=round_), follow=True)
    assert "chưa được tiếp thu hoặc giải trình" in response.content.decode()
    # Each comment marked, through htmx; an empty response is refused in the row, nothing saved.
    comments = list(Comment.objects.filter(round=round_).order_by("pk"))
    refused = client.post(url("comment-decide", round_=round_, pk=comments[0].pk), {"disposition": "taken", "response": ""}, **HTMX)
    assert refused.status_code == 200 and "Choose taken in or explained" in refused.content.decode()
    assert Comment.objects.get(pk=comments[0].pk).disposition == Disposition.PENDING
    for comment, disposition in zip(comments, ["taken", "explained", "taken"]):
        row = client.post(url("comment-decide", round_=round_, pk=comment.pk),
                          {"disposition": disposition, "response": "Đã tiếp thu, chỉnh sửa."}, **HTMX)
        assert row.status_code == 200 and f'id="comment-{comment.pk}"' in row.content.decode()
    assert list(Comment.objects.filter(round=round_).order_by("pk").values_list("disposition", flat=True)) == ["taken", "explained", "taken"]
    # A party cannot mark comments.
    client.force_login(tree.user("db.hnd.liaison"))
    hnd_comment = comments[0]
    client.post(url("comment-decide", code="11-HND", round_=round_, pk=hnd_comment.pk), {"disposition": "explained", "response": "x"})
    assert Comment.objects.get(pk=hnd_comment.pk).disposition == "taken"

    client.force_login(tree.user("db.cadre"))
    client.post(url("comment-round-close", round_=round_))
    assert CommentRound.objects.get(pk=round_.pk).closed_at is not None


def test_after_the_deadline_the_late_party_is_listed_and_cannot_write(client, tree, hccb):
    report = open_report(tree["11"], YEAR)
    round_ = service.open_round(report, user=tree.user("db.cadre"), mode="writing", title="Góp ý",
                                deadline=TODAY - timedelta(days=1), units=[tree["11-HND"], tree["11-HCCB"]])
    client.force_login(hccb)
    party = round_.parties.get(unit__code="11-HCCB")
    response = client.post(url("comment-round-comment", code="11-HCCB", round_=round_), {"party": party.pk, "text": "Muộn."})
    page = response.content.decode()
    assert response.status_code == 400 and "Đã quá hạn góp ý" in page and "deadline" in page
    assert "Muộn." in page  # what was typed is not lost
    assert not Comment.objects.filter(round=round_).exists()
    page = client.get(url("comment-round-detail", code="11-HCCB", round_=round_)).content.decode()
    assert 'name="text"' not in page and "không nhận thêm ý kiến bằng văn bản" in page

    client.force_login(tree.user("db.cadre"))
    page = client.get(url("comment-round-detail", round_=round_)).content.decode()
    late = page.split('class="late-parties"')[1].split("</ul>")[0]
    assert "Hội Nông dân" in late and "Hội Cựu chiến binh" in late


def test_a_sibling_or_an_uninvited_unit_sees_nothing(client, tree):
    report = open_report(tree["11"], YEAR)
    round_ = service.open_round(report, user=tree.user("db.cadre"), mode="writing", title="Góp ý",
                                deadline=TODAY + timedelta(days=3), units=[tree["11-HND"]])
    for username, code in [("hn.chair", "01"), ("dbp.cadre", "094"), ("himlam.chair", "03127")]:
        client.force_login(tree.user(username))
        assert client.get(url("comment-round-detail", code=code, round_=round_)).status_code == 404
        assert client.post(url("comment-round-comment", code=code, round_=round_), {"text": "x"}).status_code == 404
        assert client.post(url("comment-round-close", code=code, round_=round_)).status_code == 404
        assert "Góp ý" not in client.get(url("comment-round-list", code=code)).content.decode().split("<h2")[1]
    # Nor through another unit's address: the party reads the round only as itself.
    client.force_login(tree.user("hn.chair"))
    assert client.get(url("comment-round-detail", code="11", round_=round_)).status_code == 404
    # The party cannot open rounds on the province's report.
    client.force_login(tree.user("db.hnd.liaison"))
    assert client.get(url("comment-round-new", code="11")).status_code == 404


def test_a_conference_is_recorded_on_the_page(client, tree):
    open_report(tree["094"], YEAR)
    client.force_login(tree.user("dbp.cadre"))
    response = client.post(url("comment-round-new", code="094"), {
        "mode": "conference", "title": "Hội nghị góp ý", "deadline": TODAY.isoformat(),
        "units": [tree["03127"].pk], "other_units": "03124", "new_bodies": "UBND thành phố",
    })
    round_ = CommentRound.objects.get()
    assert response.status_code == 302 and round_.parties.count() == 3
    client.post(url("comment-round-meeting", code="094", round_=round_),
                {"meeting_at": f"{TODAY.isoformat()}T08:00", "meeting_place": "Hội trường", "minutes": "Biên bản."})
    party = round_.parties.get(unit__code="03127")
    client.post(url("comment-round-comment", code="094", round_=round_), {"party": party.pk, "text": "Phát biểu tại hội nghị."})
    page = client.get(url("comment-round-detail", code="094", round_=round_)).content.decode()
    assert "Hội trường" in page and "Biên bản." in page and "Phát biểu tại hội nghị." in page
    # A unit the drafter may not read is refused with its code named.
    bad = client.post(url("comment-round-new", code="094"), {
        "mode": "writing", "title": "x", "deadline": TODAY.isoformat(), "other_units": "001"})
    assert bad.status_code == 200 and "001" in bad.content.decode() and CommentRound.objects.count() == 1


def test_the_round_page_costs_the_same_queries_with_more_parties_and_comments(client, tree, django_assert_max_num_queries):
    seed_like_plan(tree["11"])
    report = open_report(tree["11"], YEAR)
    small = service.open_round(report, user=tree.user("db.cadre"), mode="conference", title="Nhỏ",
                               deadline=TODAY, units=[tree["11-HND"]])
    service.submit_comment(small, small.parties.get(), "Một ý kiến.", user=tree.user("db.cadre"))
    big = service.open_round(report, user=tree.user("db.cadre"), mode="conference", title="Lớn", deadline=TODAY,
                             units=[tree[c] for c in ("11-HND", "11-HCCB", "11-DTN", "11-LDLD", "11-HLHPN", "094", "095")],
                             new_body_names=[f"Cơ quan {i}" for i in range(5)])
    for party in big.parties.all():
        for n in range(3):
            comment = service.submit_comment(big, party, f"Ý kiến {n}.", user=tree.user("db.cadre"))
            if n == 0:
                service.decide(comment, user=tree.user("db.cadre"), disposition="taken", response="Tiếp thu.")
    client.force_login(tree.user("db.cadre"))
    client.get(url("comment-round-detail", round_=small))  # warm caches (content types, sessions)
    counts = []
    for round_ in (small, big):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url("comment-round-detail", round_=round_)).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
    # 12 today: session, user, scope, unit, round, parties, comments, drafter's right, draft's
    # progress and indicators, and the base template's memberships and inbox count.
    with django_assert_max_num_queries(13):
        client.get(url("comment-round-detail", round_=big))
