"""Comment rounds over the API: the province opens a round, two member organizations and an
outside body comment, each comment is decided, the round closes; the deadline refuses late
writing and lists the late party; a sibling sees nothing; a read-only token writes nothing."""
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from mttq_platform.models import ApiToken
from orgtree.models import Membership, Role
from reviews.models import Comment, CommentRound, UnitReport
from tests.api.helpers import assert_json_error, session_client

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def hccb(tree):
    user = get_user_model().objects.create_user("hccb.liaison")
    Membership.objects.create(user=user, unit=tree["11-HCCB"], role=Role.objects.get(code="liaison"))
    return user


def open_round(tree, deadline, **changes):
    body = {"unit": "11", "year": 2026, "mode": "writing", "title": "Dự thảo báo cáo năm 2026",
            "deadline": deadline.isoformat(), "units": ["11-HND", "11-HCCB"],
            "outside_bodies": ["Thường trực HĐND tỉnh Điện Biên"], **changes}
    return session_client(tree.user("db.cadre")).post("/api/v1/comment-rounds/", body, format="json")


def test_a_round_over_the_api(tree, hccb):
    response = open_round(tree, TODAY + timedelta(days=5))
    assert response.status_code == 201, response.content
    created = response.json()
    uuid = created["uuid"]
    assert (created["unit"], created["year"], created["mode"]) == ("11", 2026, "writing")
    assert {(p["unit"], p["outside_body"]) for p in created["parties"]} == {
        ("11-HND", None), ("11-HCCB", None), (None, "Thường trực HĐND tỉnh Điện Biên")}

    hnd_api, hccb_api, drafter = session_client(tree.user("db.hnd.liaison")), session_client(hccb), session_client(tree.user("db.cadre"))
    # The party lists the round it is invited to.
    assert [r["uuid"] for r in hnd_api.get("/api/v1/comment-rounds/").json()["results"]] == [uuid]
    assert hnd_api.post(f"/api/v1/comment-rounds/{uuid}/comments/", {"unit": "11-HND", "text": "Ý kiến Hội Nông dân."},
                        format="json").status_code == 201
    assert hccb_api.post(f"/api/v1/comment-rounds/{uuid}/comments/", {"unit": "11-HCCB", "text": "Ý kiến Hội CCB."},
                         format="json").status_code == 201
    # Not for another party, not for an uninvited one.
    assert_json_error(hnd_api.post(f"/api/v1/comment-rounds/{uuid}/comments/", {"unit": "11-HCCB", "text": "x"}, format="json"),
                      403, "permission_denied")
    assert_json_error(hnd_api.post(f"/api/v1/comment-rounds/{uuid}/comments/", {"unit": "11-DTN", "text": "x"}, format="json"),
                      400, "invalid")
    letter = drafter.post(f"/api/v1/comment-rounds/{uuid}/comments/",
                          {"outside_body": "Thường trực HĐND tỉnh Điện Biên", "text": "Văn bản của HĐND."}, format="json")
    assert letter.status_code == 201 and letter.json()["submitted_by"] == "db.cadre"

    # Each party reads only its own comment; the drafter reads all three.
    seen = hccb_api.get(f"/api/v1/comment-rounds/{uuid}/").json()
    assert [c["text"] for c in seen["comments"]] == ["Ý kiến Hội CCB."] and [p["unit"] for p in seen["parties"]] == ["11-HCCB"]
    comments = drafter.get(f"/api/v1/comment-rounds/{uuid}/").json()["comments"]
    assert len(comments) == 3

    assert_json_error(drafter.post(f"/api/v1/comment-rounds/{uuid}/close/"), 400, "invalid")
    assert_json_error(hnd_api.post(f"/api/v1/comments/{comments[0]['id']}/decide/",
                                   {"disposition": "taken", "response": "x"}, format="json"), 403, "permission_denied")
    for comment, disposition in zip(comments, ["taken", "explained", "taken"]):
        decided = drafter.post(f"/api/v1/comments/{comment['id']}/decide/",
                               {"disposition": disposition, "response": "Đã xử lý."}, format="json")
        assert decided.status_code == 200 and decided.json()["disposition"] == disposition
    assert_json_error(drafter.post(f"/api/v1/comments/{comments[0]['id']}/decide/",
                                   {"disposition": "pending", "response": "x"}, format="json"), 400, "invalid")
    closed = drafter.post(f"/api/v1/comment-rounds/{uuid}/close/")
    assert closed.status_code == 200 and closed.json()["closed_at"]
    assert sorted(Comment.objects.values_list("disposition", flat=True)) == ["explained", "taken", "taken"]


def test_the_deadline_refuses_written_comments_and_lists_the_late_party(tree, hccb):
    uuid = open_round(tree, TODAY - timedelta(days=1)).json()["uuid"]
    late = session_client(hccb).post(f"/api/v1/comment-rounds/{uuid}/comments/", {"unit": "11-HCCB", "text": "Muộn."}, format="json")
    error = assert_json_error(late, 400, "invalid")
    assert "quá hạn" in error["detail"]["detail"][0] and "deadline" in error["detail"]["detail"][1]
    assert error["detail"]["reason"] == ["deadline_passed"]
    round_ = session_client(tree.user("db.cadre")).get(f"/api/v1/comment-rounds/{uuid}/").json()
    late_units = {p["unit"] or p["outside_body"] for p in round_["parties"] if p["id"] in round_["late"]}
    assert late_units == {"11-HND", "11-HCCB", "Thường trực HĐND tỉnh Điện Biên"}


def test_only_the_drafter_opens_and_only_readable_units_are_invited(tree):
    assert_json_error(session_client(tree.user("db.hnd.liaison")).post("/api/v1/comment-rounds/", {
        "unit": "11", "year": 2026, "mode": "writing", "title": "x", "deadline": TODAY.isoformat(), "units": ["11-HND"],
    }, format="json"), 404, "not_found")
    assert_json_error(session_client(tree.user("db.viewer")).post("/api/v1/comment-rounds/", {
        "unit": "11", "year": 2026, "mode": "writing", "title": "x", "deadline": TODAY.isoformat(), "units": ["11-HND"],
    }, format="json"), 403, "permission_denied")
    assert_json_error(open_round(tree, TODAY, units=["001"]), 400, "invalid")
    nobody = assert_json_error(open_round(tree, TODAY, units=[], outside_bodies=[]), 400, "invalid")
    assert "ít nhất một" in nobody["detail"]["detail"][0]
    assert not CommentRound.objects.exists()
    assert not UnitReport.objects.exists()  # the refused round opened no report either


def test_a_sibling_sees_nothing_and_a_read_only_token_writes_nothing(tree):
    uuid = open_round(tree, TODAY + timedelta(days=5)).json()["uuid"]
    comment = session_client(tree.user("db.hnd.liaison")).post(
        f"/api/v1/comment-rounds/{uuid}/comments/", {"unit": "11-HND", "text": "Ý kiến."}, format="json").json()
    sibling = session_client(tree.user("hn.chair"))
    assert sibling.get("/api/v1/comment-rounds/").json()["results"] == []
    assert sibling.get("/api/v1/comments/").json()["results"] == []
    assert_json_error(sibling.get(f"/api/v1/comment-rounds/{uuid}/"), 404, "not_found")
    assert_json_error(sibling.post(f"/api/v1/comment-rounds/{uuid}/comments/", {"unit": "11-HND", "text": "x"}, format="json"), 404, "not_found")
    assert_json_error(sibling.post(f"/api/v1/comment-rounds/{uuid}/close/"), 404, "not_found")
    assert_json_error(sibling.post(f"/api/v1/comments/{comment['id']}/decide/", {"disposition": "taken", "response": "x"},
                                   format="json"), 404, "not_found")
    _, key = ApiToken.issue(tree.user("db.cadre"), "t", read_only=True)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(f"/api/v1/comment-rounds/{uuid}/").status_code == 200
    assert_json_error(api.post(f"/api/v1/comments/{comment['id']}/decide/", {"disposition": "taken", "response": "x"},
                               format="json"), 403, "token_read_only")
    assert Comment.objects.get(pk=comment["id"]).disposition == "pending"


def test_listing_costs_the_same_queries_for_one_round_and_for_many(tree, django_assert_max_num_queries):
    open_round(tree, TODAY + timedelta(days=5))
    drafter = session_client(tree.user("db.cadre"))
    drafter.get("/api/v1/comment-rounds/")
    with CaptureQueriesContext(connection) as one:
        drafter.get("/api/v1/comment-rounds/")
    for n in range(4):
        open_round(tree, TODAY + timedelta(days=5), title=f"Đợt {n}", outside_bodies=[f"Cơ quan {n}"])
    # session, user, scope, count, rounds, their parties, their comments
    with django_assert_max_num_queries(7):
        assert len(drafter.get("/api/v1/comment-rounds/").json()["results"]) == 5
    assert len(one) == 7
