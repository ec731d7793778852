"""Isolation matrix: every API endpoint and unit page, for every role, against units placed
relative to the user (own, an ancestor, a descendant, a sibling, an unrelated province).

Everything is driven by the tables below. The expected outcome comes from RULES, written in plain
Python over the tree's ranges (no use of the restriction under test); a new endpoint or page joins
the matrix by one line in ENDPOINTS, a new role by one line in SUBJECTS.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from mttq_platform.models import ApiToken
from mttq_platform.api import urls as api_urls
from orgtree import urls as unit_urls
from orgtree.models import OrgUnit
from orgtree.reference_data import ROLES
from inspections.api import urls as inspection_api_urls
from reviews.api import urls as review_api_urls
from sync.api import urls as sync_api_urls
from tests.api.fixtures import module_tree, tree  # noqa: F401  (one tree per module)
from tests.api.helpers import assert_json_error
from tests.conftest import USERS

pytestmark = pytest.mark.django_db

ROLE_ACTIONS = {code: set(actions) for code, _, _, actions in ROLES}


# -- who asks ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Subject:
    username: str
    targets: dict[str, str]  # relation -> unit code
    token_unit: str | None = None  # set: the user calls through a read-only token scoped to it

    @property
    def label(self):
        return f"{self.username}@token:{self.token_unit}" if self.token_unit else self.username


PROVINCE_11 = {"own": "11", "ancestor": "TW", "descendant": "094", "sibling": "01", "unrelated": "00001"}

SUBJECTS = [
    Subject("tw.analyst", {"own": "TW", "descendant": "03127"}),
    Subject("db.chair", PROVINCE_11),
    Subject("db.cadre", PROVINCE_11),
    Subject("db.viewer", PROVINCE_11),
    Subject("db.hnd.liaison", {"own": "11-HND", "ancestor": "11", "sibling": "11-LDLD", "unrelated": "01"}),
    Subject("dbp.cadre", {"own": "094", "ancestor": "11", "descendant": "03127", "sibling": "095", "unrelated": "01"}),
    Subject("himlam.cadre", {"own": "03127", "ancestor": "094", "sibling": "03124", "unrelated": "00001"}),
    Subject("himlam.chair", {"own": "03127", "ancestor": "094", "sibling": "03124", "unrelated": "00001"}),
    Subject("hn.chair", {"own": "01", "ancestor": "TW", "descendant": "00001", "sibling": "11", "unrelated": "03127"}),
    # The province chair through a read-only token for one district: "own" is the token's unit;
    # the province itself and the sibling district, visible to the chair, are outside the token.
    Subject("db.chair", {"own": "094", "ancestor": "11", "descendant": "03127", "sibling": "095", "unrelated": "01"},
            token_unit="094"),
]


@dataclass
class Context:
    """What the rules know about one case: the subject's units and the target, with fresh ranges."""

    subject: Subject
    units: dict[str, OrgUnit]  # every unit by code
    target: OrgUnit
    own_code: str
    memberships: list[tuple[OrgUnit, set[str]]] = field(default_factory=list)  # (unit, role actions)

    @property
    def scope(self) -> OrgUnit | None:
        return self.units[self.subject.token_unit] if self.subject.token_unit else None

    @property
    def has_session(self) -> bool:
        return self.subject.token_unit is None


# -- the rules (ARCHITECTURE.md, "Tenancy and permissions") --------------------------------------

def reads(ctx: Context, unit: OrgUnit) -> bool:
    """API reads: the subtree of a unit the user belongs to, and the names of the units above it;
    a token narrows this to its unit's subtree."""
    related = any(unit.is_within(m) or m.is_within(unit) for m, _ in ctx.memberships)
    return related and (ctx.scope is None or unit.is_within(ctx.scope))


def acts_for(ctx: Context, unit: OrgUnit) -> bool:
    """Pages: a unit the user belongs to or one below it; never an ancestor, and only signed in."""
    return ctx.has_session and any(unit.is_within(m) for m, _ in ctx.memberships)


def manages(ctx: Context, unit: OrgUnit) -> bool:
    """The role's 'manage' action, on exactly the member's own unit."""
    return ctx.has_session and any(unit == m and "manage" in actions for m, actions in ctx.memberships)


RULES: dict[str, Callable[[Context, OrgUnit], bool]] = {"read": reads, "act": acts_for, "manage": manages}


# -- what is asked -------------------------------------------------------------------------------

def subtree(units, target):
    return {u for u in units.values() if u.is_within(target)}


def children(units, target):
    return {u for u in units.values() if u.parent_id == target.pk}


def ancestors(units, target):
    return {u for u in units.values() if target.is_within(u) and u != target}


TARGET = object()  # stands for the target's code in an endpoint's query


@dataclass(frozen=True)
class Endpoint:
    url_name: str
    rule: str  # key of RULES
    # object: one unit or a 404 | list: units related to the target, 404 when the target is
    # invisible | filter: a list filter, empty when its anchor is invisible | page: HTML, 404/403
    shape: str
    listing: Callable | None = None  # list and filter: the units the answer holds unrestricted
    query: tuple = ()  # (name, value) pairs; TARGET is replaced by the target's code
    on_own_unit: bool = False  # the URL names the subject's own unit; the target rides in the query

    def url(self, target: str, own: str) -> str:
        kwargs = {} if self.url_name.endswith("-list") else {"code": own if self.on_own_unit else target}
        query = {name: target if value is TARGET else value for name, value in self.query}
        return reverse(self.url_name, kwargs=kwargs) + (f"?{urlencode(query)}" if query else "")

    @property
    def label(self) -> str:
        extra = ",".join(f"{name}=" + ("<target>" if value is TARGET else str(value)) for name, value in self.query)
        return f"{self.url_name}{'@own' if self.on_own_unit else ''}{'?' + extra if extra else ''}"


ALL = (("page_size", 500),)  # list answers on one page

ENDPOINTS = [
    Endpoint("api:orgunit-list", "read", "filter", subtree, query=(("within", TARGET), *ALL)),
    Endpoint("api:orgunit-detail", "read", "object"),
    Endpoint("api:orgunit-children", "read", "list", children, query=ALL),
    Endpoint("api:orgunit-ancestors", "read", "list", ancestors, query=ALL),
    Endpoint("unit-home", "act", "page"),
    Endpoint("unit-tree", "act", "page"),
    Endpoint("unit-tree-children", "act", "page", query=(("node", TARGET),)),
    Endpoint("unit-tree-children", "act", "page", query=(("node", TARGET),), on_own_unit=True),
    Endpoint("unit-audit", "manage", "page"),
    Endpoint("unit-members", "act", "page"),  # read-only for those who do not manage the unit
]
# POST-only unit pages, with their permission tests in tests/orgtree/test_members_pages.py.
UNIT_PAGES_TESTED_IN_OWN_MODULE = {"unit-member-add", "unit-member-role", "unit-member-remove", "unit-member-carry-over"}
# API routes that are not about units: the caller's own data.
NOT_UNIT_SCOPED = {"api:api-root", "api:me", "api:apitoken-list", "api:apitoken-detail"}

CASES = [
    pytest.param(endpoint, subject, relation, id=f"{endpoint.label}|{subject.label}|{relation}")
    for endpoint in ENDPOINTS
    for subject in SUBJECTS
    for relation in subject.targets
]


# -- the check -----------------------------------------------------------------------------------

def client_for(tree, subject: Subject) -> APIClient:
    client = APIClient()
    user = tree.user(subject.username)
    if subject.token_unit:
        _, key = ApiToken.issue(user, "matrix", unit=tree[subject.token_unit], read_only=True)
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    else:
        client.force_login(user)
    return client


def context_for(subject: Subject, relation: str) -> Context:
    units = {u.code: u for u in OrgUnit.objects.all()}
    unit_code, role = USERS[subject.username]
    return Context(subject, units, units[subject.targets[relation]], subject.targets["own"],
                   memberships=[(units[unit_code], ROLE_ACTIONS[role])])


def returned_codes(response) -> set[str]:
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert body["next"] is None, "the matrix needs the whole list on one page"
    return {row["code"] for row in body["results"]}


@pytest.mark.parametrize("endpoint, subject, relation", CASES)
def test_isolation(tree, endpoint: Endpoint, subject: Subject, relation: str):
    ctx = context_for(subject, relation)
    target = ctx.target
    rule = RULES[endpoint.rule]
    allowed = rule(ctx, target)
    response = client_for(tree, subject).get(endpoint.url(target.code, ctx.own_code))

    if endpoint.shape in ("list", "filter") and (allowed or endpoint.shape == "filter"):
        expected = {u.code for u in endpoint.listing(ctx.units, target) if rule(ctx, u)} if allowed else set()
        codes = returned_codes(response)
        assert not codes - expected, f"leaked: {sorted(codes - expected)}"
        assert codes == expected
    elif endpoint.shape == "object" and allowed:
        assert response.status_code == 200
        assert response.json()["code"] == target.code
    elif endpoint.shape in ("object", "list"):
        assert_json_error(response, 404, "not_found")
    elif allowed:  # page
        assert response.status_code == 200, response.content[:300]
    elif not ctx.has_session:  # pages never accept API tokens: off to the login page
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code in (403, 404)
        assert response["Content-Type"].startswith("text/html")

    if not reads(ctx, target):  # an invisible unit's name appears nowhere, allowed page or not
        assert target.name not in response.content.decode()


def test_matrix_covers_every_relation_page_and_unit_endpoint():
    """A new page under /u/<code>/ or a new API route fails here until it joins the table."""
    relations = {relation for subject in SUBJECTS for relation in subject.targets}
    assert relations == {"own", "ancestor", "descendant", "sibling", "unrelated"}
    in_matrix = {endpoint.url_name for endpoint in
                 ENDPOINTS + DOCUMENT_ENDPOINTS + REVIEW_ENDPOINTS + INSPECTION_ENDPOINTS + SYNC_ENDPOINTS}
    assert {pattern.name for pattern in unit_urls.urlpatterns} - UNIT_PAGES_TESTED_IN_OWN_MODULE <= in_matrix
    api_routes = {f"api:{pattern.name}" for pattern in api_urls.router.urls} | {"api:me"}
    for app_api_urls in (review_api_urls, inspection_api_urls, sync_api_urls):
        api_routes |= {f"api:{pattern.name}" for pattern in app_api_urls.router.urls}
        api_routes |= {f"api:{pattern.name}" for pattern in app_api_urls.urlpatterns if getattr(pattern, "name", None)}
    assert api_routes - NOT_UNIT_SCOPED - TESTED_IN_OWN_MODULE <= in_matrix
    assert api_routes >= NOT_UNIT_SCOPED


def test_each_rule_both_allows_and_denies(tree):
    """Guards against a table that only ever expects denials (or only allowances)."""
    outcomes = {name: set() for name in RULES}
    for subject in SUBJECTS:
        for relation in subject.targets:
            ctx = context_for(subject, relation)
            for name, rule in RULES.items():
                outcomes[name].add(rule(ctx, ctx.target))
    assert outcomes == {name: {True, False} for name in RULES}


# -- documents: drafts stay in the subtree, published documents also flow down -------------------
# Every unit of the tree gets a draft and an issued plan with one task each. A draft is readable
# where its unit is (the subtree of a unit the user belongs to); an issued one also by every unit
# below its unit.

def reads_within(ctx: Context, unit: OrgUnit) -> bool:
    related = any(unit.is_within(m) for m, _ in ctx.memberships)
    return related and (ctx.scope is None or unit.is_within(ctx.scope))


DOCUMENT_RULES = {"draft": reads_within, "issued": reads}


@pytest.fixture(scope="module")
def documents(module_tree, django_db_blocker):
    """{unit code: {"draft", "issued", "dispatch", "inbox", "job"}}, made inside the module's tree: a
    draft and an issued plan with one task each; the issued plan sent to the unit's subtree, the
    inbox item the unit got from its parent's sending, and a derivation job of the unit's subtree."""
    from plans.models import DerivationJob, Dispatch, DocumentStatus, InboxItem, PlanDocument, Task

    made = {}
    with django_db_blocker.unblock():
        units = list(OrgUnit.objects.order_by("tree_id", "lft"))
        for unit in units:
            made[unit.code] = {}
            for status in ("draft", "issued"):
                document = PlanDocument.objects.create(
                    unit=unit, title=f"Kế hoạch {status} của {unit.name}",
                    status=DocumentStatus.DRAFT if status == "draft" else DocumentStatus.ISSUED,
                )
                Task.objects.create(document=document, number="1.1", text=f"Nhiệm vụ {status} của {unit.code}")
                made[unit.code][status] = document
            made[unit.code]["dispatch"] = Dispatch.objects.create(document=made[unit.code]["issued"], kind="guidance")
            made[unit.code]["job"] = DerivationJob.objects.create(source_plan=made[unit.code]["issued"], root_unit=unit)
        by_pk = {unit.pk: unit.code for unit in units}
        for unit in units:
            # The root receives from nobody above; its item comes from its own sending.
            sender = by_pk[unit.parent_id] if unit.parent_id else unit.code
            made[unit.code]["inbox"] = InboxItem.objects.create(dispatch=made[sender]["dispatch"], unit=unit)
    return made


def _the(name):
    return lambda objs: objs[name]


def _task_of(name):
    return lambda objs: objs[name].tasks.get()


def _uuid(obj):
    return str(getattr(obj, "uuid", obj.pk))


@dataclass(frozen=True)
class ObjectEndpoint:
    """An endpoint about one object of the target unit (a document, a task, an inbox item...).

    ``rule``: "draft" (readable in the subtree only) or "issued" (also by every unit below);
    ``pick``: the object asked about from the target's objects, or for lists, the objects the
    answer may hold; ``shape``: object (one, 404 when invisible), filter (a list, empty when
    invisible), rows (a list answered 200/404 with the object's visibility), query (an answer about
    the unit named in the query string, 200/404 with the unit's visibility)."""

    url_name: str
    rule: str
    shape: str
    pick: Callable
    query: Callable | None = None  # (target code, objects of the target) -> query dict
    key: Callable = _uuid  # how an answer names an object
    answer_key: str = "uuid"
    list_key: str = "results"  # where a filter's answer holds its rows
    url_kwargs: tuple = ()  # (name, value) pairs of the URL itself

    @property
    def label(self):
        return f"{self.url_name}{dict(self.url_kwargs) or ''}[{self.rule}]"

    def url(self, code, objs):
        if self.shape in ("filter", "query"):
            return reverse(self.url_name, kwargs=dict(self.url_kwargs)) + "?" + urlencode(self.query(code, objs))
        obj = self.pick(objs)
        kwargs = {"uuid": obj.uuid} if hasattr(obj, "uuid") else {"pk": obj.pk}
        return reverse(self.url_name, kwargs=kwargs)


def _pk(obj):
    return obj.pk


DOCUMENT_ENDPOINTS = [
    ObjectEndpoint("api:plandocument-detail", "draft", "object", _the("draft")),
    ObjectEndpoint("api:plandocument-detail", "issued", "object", _the("issued")),
    ObjectEndpoint("api:plandocument-list", "draft", "filter", _the("draft"), lambda code, objs: {"unit": code, "status": "draft"}),
    ObjectEndpoint("api:plandocument-list", "issued", "filter", _the("issued"), lambda code, objs: {"unit": code, "status": "issued"}),
    ObjectEndpoint("api:task-detail", "draft", "object", _task_of("draft")),
    ObjectEndpoint("api:task-detail", "issued", "object", _task_of("issued")),
    ObjectEndpoint("api:task-list", "draft", "filter", _task_of("draft"), lambda code, objs: {"plan": objs["draft"].uuid}),
    ObjectEndpoint("api:task-list", "issued", "filter", _task_of("issued"), lambda code, objs: {"plan": objs["issued"].uuid}),
    ObjectEndpoint("api:dispatch-detail", "issued", "object", _the("dispatch"), key=_pk, answer_key="id"),
    ObjectEndpoint("api:dispatch-list", "issued", "filter", _the("dispatch"),
                   lambda code, objs: {"document__unit__code": code}, key=_pk, answer_key="id"),
    ObjectEndpoint("api:dispatch-follow-up", "issued", "rows", _the("dispatch"), key=_pk, answer_key="id"),
    # An inbox item is its receiving unit's object: read in that unit's subtree.
    ObjectEndpoint("api:inboxitem-detail", "draft", "object", _the("inbox"), key=_pk, answer_key="id"),
    ObjectEndpoint("api:inboxitem-changes", "draft", "rows", _the("inbox"), key=_pk, answer_key="id"),
    ObjectEndpoint("api:inboxitem-list", "draft", "filter", _the("inbox"),
                   lambda code, objs: {"unit__code": code}, key=_pk, answer_key="id"),
    # A derivation job is its root unit's object: read in that unit's subtree.
    ObjectEndpoint("api:derivationjob-detail", "draft", "object", _the("job")),
    ObjectEndpoint("api:derivationjob-list", "draft", "filter", _the("job"), lambda code, objs: {"unit": code}),
]
# Writes about one object, exercised with their permissions in the app's own tests.
TESTED_IN_OWN_MODULE = {
    "api:inboxitem-decide", "api:inboxitem-acknowledge",  # tests/plans/test_guidance_api.py
    # A pair (a plan, a unit below it): its own cases of visibility in tests/plans/test_derivation_api.py.
    "api:plan-derivation-derive-preview",
    # Plan writes: tests/plans/test_plan_api_writes.py (who may, who may not, read-only tokens).
    "api:plandocument-import-file", "api:plandocument-issue", "api:plandocument-send",
}

# -- reviews: a unit's yearly report and what hangs on it --------------------------------------------
# Every unit gets its 2025 report on its issued plan (one progress row for the plan's one task), an
# evidence file on that row, and a written comment round with one outside body's comment. All of it
# is the unit's own data: readable in the unit's subtree only, never by the units above it (an
# ancestor's totals would show its other children).

YEAR = 2025


@pytest.fixture(scope="module")
def review_objects(documents, django_db_blocker, tmp_path_factory):
    """Adds "report", "progress", "evidence", "round", "comment" to each unit's objects."""
    from datetime import date

    from django.core.files.base import ContentFile
    from django.test import override_settings

    from plans.models import OutsideBody
    from reviews.models import Comment, CommentParty, CommentRound, Evidence, UnitReport
    from reviews.services.reports import open_reports

    media = override_settings(PRIVATE_MEDIA_ROOT=tmp_path_factory.mktemp("private"))
    media.enable()
    with django_db_blocker.unblock():
        open_reports(OrgUnit.objects.all(), YEAR)
        council, _ = OutsideBody.objects.get_or_create(name="Thường trực HĐND")
        for report in UnitReport.objects.filter(year=YEAR).select_related("unit"):
            objs = documents[report.unit.code]
            objs["report"] = report
            objs["progress"] = progress = report.progress.get()
            evidence = Evidence(progress=progress, original_name="bien-ban.pdf", content_type="application/pdf",
                                size=9, sha256="0" * 64)
            evidence.file.save("bien-ban.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
            evidence.save()
            objs["evidence"] = evidence
            objs["round"] = round_ = CommentRound.objects.create(
                report=report, mode="writing", title=f"Góp ý dự thảo báo cáo của {report.unit.code}", deadline=date(YEAR, 11, 30),
            )
            party = CommentParty.objects.create(round=round_, outside_body=council)
            objs["comment"] = Comment.objects.create(round=round_, party=party, text="Đề nghị bổ sung số liệu.")
    yield documents
    media.disable()


def _query_endpoint(url_name, query):
    return ObjectEndpoint(url_name, "draft", "query", _the("report"), query)


REVIEW_ENDPOINTS = [
    ObjectEndpoint("api:unitreport-detail", "draft", "object", _the("report")),
    ObjectEndpoint("api:unitreport-list", "draft", "filter", _the("report"), lambda code, objs: {"unit": code, "year": YEAR}),
    ObjectEndpoint("api:unitreport-indicators", "draft", "rows", _the("report")),
    ObjectEndpoint("api:unitreport-versions", "draft", "rows", _the("report")),
    ObjectEndpoint("api:taskprogress-detail", "draft", "object", _the("progress"), key=_pk, answer_key="id"),
    ObjectEndpoint("api:taskprogress-list", "draft", "filter", _the("progress"), lambda code, objs: {"unit": code},
                   key=_pk, answer_key="id"),
    ObjectEndpoint("api:evidence-detail", "draft", "object", _the("evidence")),
    ObjectEndpoint("api:evidence-list", "draft", "filter", _the("evidence"), lambda code, objs: {"unit": code}),
    ObjectEndpoint("api:commentround-detail", "draft", "object", _the("round")),
    ObjectEndpoint("api:commentround-list", "draft", "filter", _the("round"), lambda code, objs: {"report__unit__code": code}),
    ObjectEndpoint("api:comment-detail", "draft", "object", _the("comment"), key=_pk, answer_key="id"),
    ObjectEndpoint("api:comment-list", "draft", "filter", _the("comment"), lambda code, objs: {"round__uuid": objs["round"].uuid},
                   key=_pk, answer_key="id"),
    _query_endpoint("api:rollup", lambda code, objs: {"unit": code, "year": YEAR}),
    _query_endpoint("api:report-documents", lambda code, objs: {"unit": code, "year": YEAR}),
]
# Writes and actions, with their permissions in tests/reviews/test_reports_api.py and
# tests/reviews/test_comments_api.py.
TESTED_IN_OWN_MODULE |= {
    "api:unitreport-open", "api:unitreport-submit", "api:unitreport-accept", "api:unitreport-return",
    "api:unitreport-reopen", "api:unitreport-waive", "api:unitreport-unwaive",
    "api:commentround-add-comment", "api:commentround-meeting", "api:commentround-close", "api:comment-decide",
}

# -- inspections: every unit inspects itself (plan, team, inspection, checklist item with evidence,
# recommendation with an answer file). With no team of users in the matrix, everything is the
# unit's own: readable in its subtree only. Team access, the inspected side and internal notes have
# their own tests in tests/inspections/.

@pytest.fixture(scope="module")
def inspection_objects(review_objects, django_db_blocker):
    """Adds "iplan", "team", "inspection", "item", "item_evidence", "recommendation", "answer"."""
    from datetime import date

    from django.core.files.base import ContentFile

    from inspections.models import (
        ChecklistEvidence, ChecklistItem, Inspection, InspectionPlan, Recommendation, RecommendationAnswer, Team,
    )

    with django_db_blocker.unblock():
        for unit in OrgUnit.objects.all():
            objs = review_objects[unit.code]
            objs["iplan"] = plan = InspectionPlan.objects.create(
                unit=unit, title=f"Kế hoạch kiểm tra của {unit.code}", year=YEAR, status="issued",
                start_date=date(YEAR, 10, 1), end_date=date(YEAR, 10, 31),
            )
            objs["team"] = team = Team.objects.create(plan=plan, name="Đoàn kiểm tra số 1")
            objs["inspection"] = inspection = Inspection.objects.create(
                plan=plan, unit=unit, team=team, window_start=date(YEAR, 10, 1), window_end=date(YEAR, 10, 31),
            )
            objs["item"] = item = ChecklistItem.objects.create(inspection=inspection, source="template", text="Đã ban hành kế hoạch")
            evidence = ChecklistEvidence(item=item, original_name="bien-ban.pdf", content_type="application/pdf", size=9, sha256="0" * 64)
            evidence.file.save("bien-ban.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
            evidence.save()
            objs["item_evidence"] = evidence
            objs["recommendation"] = recommendation = Recommendation.objects.create(
                inspection=inspection, text="Bổ sung hồ sơ giám sát.", responsible="Ban Thường trực", deadline=date(YEAR, 12, 31),
            )
            answer = RecommendationAnswer(recommendation=recommendation, text="Đã bổ sung.", original_name="tra-loi.pdf",
                                          content_type="application/pdf", size=9)
            answer.file.save("tra-loi.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
            answer.save()
            objs["answer"] = answer
    return review_objects


INSPECTION_ENDPOINTS = [
    ObjectEndpoint("api:inspection-plan-detail", "draft", "object", _the("iplan")),
    ObjectEndpoint("api:inspection-plan-list", "draft", "filter", _the("iplan"), lambda code, objs: {"unit__code": code}),
    ObjectEndpoint("api:inspection-team-detail", "draft", "object", _the("team")),
    ObjectEndpoint("api:inspection-team-list", "draft", "filter", _the("team"), lambda code, objs: {"plan__uuid": objs["iplan"].uuid}),
    ObjectEndpoint("api:inspection-detail", "draft", "object", _the("inspection")),
    ObjectEndpoint("api:inspection-list", "draft", "filter", _the("inspection"), lambda code, objs: {"unit__code": code}),
    ObjectEndpoint("api:inspection-conclusion-detail", "draft", "object", _the("inspection")),
    ObjectEndpoint("api:inspection-conclusion-list", "draft", "filter", _the("inspection"), lambda code, objs: {"unit__code": code}),
    ObjectEndpoint("api:recommendation-detail", "draft", "object", _the("recommendation"), key=_pk, answer_key="id"),
    ObjectEndpoint("api:recommendation-list", "draft", "filter", _the("recommendation"),
                   lambda code, objs: {"inspection__uuid": objs["inspection"].uuid}, key=_pk, answer_key="id"),
    ObjectEndpoint("api:checklist-item-detail", "draft", "object", _the("item"), key=_pk, answer_key="id"),
    ObjectEndpoint("api:checklist-item-list", "draft", "filter", _the("item"),
                   lambda code, objs: {"inspection": objs["inspection"].uuid}, key=_pk, answer_key="id"),
    _query_endpoint("api:inspection-summary", lambda code, objs: {"unit": code, "year": YEAR}),
]
# Writes and actions, with their permissions in tests/inspections/test_*_api.py.
TESTED_IN_OWN_MODULE |= {
    "api:inspection-plan-issue", "api:inspection-plan-cancel", "api:inspection-cancel", "api:inspection-team",
    "api:inspection-window", "api:inspection-conclusion-conclude", "api:recommendation-answers",
    "api:recommendation-close", "api:recommendation-reopen", "api:checklist-item-generate", "api:checklist-item-evidence",
}

# -- sync: the change feed and the snapshots --------------------------------------------------------
# Each unit's report is accepted and its inspection concluded, so that the change log holds, per
# unit, its issued plan (recorded when issued and when sent), its accepted report, its inspection
# conclusion and the unit itself (recorded when the tree was built). Reports and conclusions are
# read in the unit's subtree only; issued plans and the units themselves also below, and, unlike
# the documents API, also through a token scoped below them (a district's server receives the
# plans above it and the units to hang them on).

def reads_flowing_down(ctx: Context, unit: OrgUnit) -> bool:
    related = any(unit.is_within(m) or m.is_within(unit) for m, _ in ctx.memberships)
    return related and (ctx.scope is None or unit.is_within(ctx.scope) or ctx.scope.is_within(unit))


DOCUMENT_RULES["flows_down"] = reads_flowing_down


@pytest.fixture(scope="module")
def sync_objects(inspection_objects, django_db_blocker):
    """Accepts each unit's report and concludes its inspection (recorded in the change log); adds
    "unit" to each unit's objects."""
    with django_db_blocker.unblock():
        for unit in OrgUnit.objects.all():
            objs = inspection_objects[unit.code]
            objs["unit"] = unit
            objs["report"].status = "accepted"
            objs["report"].save()
            objs["inspection"].status = "concluded"
            objs["inspection"].save()
    return inspection_objects


def _global_id(obj):
    from django.conf import settings

    from sync.payloads import unit_uuid

    return f"{settings.INSTALLATION_ID}:{unit_uuid(obj.code) if isinstance(obj, OrgUnit) else obj.uuid}"


def _sync_endpoint(url_name, rule, kind, pick, url_kwargs=()):
    return ObjectEndpoint(url_name, rule, "filter", pick, lambda code, objs: {"unit": code, "kind": kind, "limit": 1000},
                          key=_global_id, answer_key="global_id", list_key="items", url_kwargs=url_kwargs)


SYNC_KINDS = (("plan", "flows_down", "issued"), ("report", "draft", "report"), ("inspection", "draft", "inspection"),
              ("unit", "flows_down", "unit"))
SYNC_ENDPOINTS = [
    endpoint
    for kind, rule, name in SYNC_KINDS
    for endpoint in (_sync_endpoint("api:sync-feed", rule, kind, _the(name)),
                     _sync_endpoint("api:sync-snapshot", rule, kind, _the(name), url_kwargs=(("kind", kind),)))
]
# Signed requests between installations (no user, no unit rights): tests/sync/.
TESTED_IN_OWN_MODULE |= {"api:sync-ping", "api:sync-inbox"}

DOCUMENT_CASES = [
    pytest.param(endpoint, subject, relation, id=f"{endpoint.label}|{subject.label}|{relation}")
    for endpoint in DOCUMENT_ENDPOINTS + REVIEW_ENDPOINTS + INSPECTION_ENDPOINTS + SYNC_ENDPOINTS
    for subject in SUBJECTS
    for relation in subject.targets
]


@pytest.mark.parametrize("endpoint, subject, relation", DOCUMENT_CASES)
def test_document_isolation(tree, sync_objects, endpoint: ObjectEndpoint, subject: Subject, relation: str):
    ctx = context_for(subject, relation)
    target = ctx.target
    objs = sync_objects[target.code]
    allowed = DOCUMENT_RULES[endpoint.rule](ctx, target)
    response = client_for(tree, subject).get(endpoint.url(target.code, objs))
    expected_key = str(endpoint.key(endpoint.pick(objs)))

    if endpoint.shape == "filter":
        assert response.status_code == 200, response.content[:300]
        returned = {str(row[endpoint.answer_key]) for row in response.json()[endpoint.list_key]}
        assert returned == ({expected_key} if allowed else set()), f"leaked or missing: {returned}"
    elif not allowed:
        assert_json_error(response, 404, "not_found")
    elif endpoint.shape == "object":
        assert response.status_code == 200, response.content[:300]
        assert str(response.json()[endpoint.answer_key]) == expected_key
    else:  # rows, query
        assert response.status_code == 200, response.content[:300]
    if not (allowed or DOCUMENT_RULES["issued"](ctx, target)):  # nothing of an invisible unit shows
        assert target.name not in response.content.decode()


def test_document_rules_both_allow_and_deny(tree):
    outcomes = {status: set() for status in DOCUMENT_RULES}
    for subject in SUBJECTS:
        for relation in subject.targets:
            ctx = context_for(subject, relation)
            for status, rule in DOCUMENT_RULES.items():
                outcomes[status].add(rule(ctx, ctx.target))
    assert outcomes == {status: {True, False} for status in DOCUMENT_RULES}


# -- plan pages: /u/<acting unit>/plans/... ---------------------------------------------------------
# The acting unit must be one the user may act for; the object must be the acting unit's own (or,
# for published documents, one of a unit above or below it) and readable. Each page names the
# rule on the acting unit; "from_own" pages act for the subject's own unit and ask about the
# target's object.

def does(action):
    """The role's ``action`` on exactly the member's own unit (pages only)."""
    return lambda ctx, unit: ctx.has_session and any(unit == m and action in actions for m, actions in ctx.memberships)


def derives(ctx, unit):
    """plans.services.derivation.can_derive: 'add' on the unit, or 'manage' on a unit above it."""
    return ctx.has_session and any(
        (unit == m and "add" in actions) or (unit != m and unit.is_within(m) and "manage" in actions)
        for m, actions in ctx.memberships
    )


PAGE_RULES = {"act": acts_for, "change": does("change"), "add": does("add"), "derive": derives}


@dataclass(frozen=True)
class PlanPage:
    url_name: str
    rule: str  # key of PAGE_RULES, applied to the acting unit
    kwargs: Callable = lambda objs: {}  # URL kwargs from the target's objects
    from_own: str | None = None  # act for the own unit; DOCUMENT_RULES[from_own] decides on the target's object
    ok: int = 200  # the answer when allowed (a redirect for pages that only point elsewhere)

    @property
    def label(self):
        return f"{self.url_name}{'@own[' + self.from_own + ']' if self.from_own else ''}"


PLAN_PAGES = [
    PlanPage("plan-list", "act"),
    PlanPage("plan-import", "add"),
    PlanPage("plan-derive", "derive"),
    PlanPage("plan-detail", "act", lambda objs: {"uuid": objs["draft"].uuid}),
    PlanPage("plan-detail", "act", lambda objs: {"uuid": objs["issued"].uuid}),
    PlanPage("plan-detail", "act", lambda objs: {"uuid": objs["draft"].uuid}, from_own="draft"),
    PlanPage("plan-detail", "act", lambda objs: {"uuid": objs["issued"].uuid}, from_own="issued"),
    PlanPage("plan-export", "act", lambda objs: {"uuid": objs["issued"].uuid}),
    PlanPage("plan-export", "act", lambda objs: {"uuid": objs["issued"].uuid}, from_own="issued"),
    PlanPage("plan-editor", "change", lambda objs: {"uuid": objs["draft"].uuid}),
    PlanPage("inbox", "act"),
    PlanPage("inbox-item", "act", lambda objs: {"pk": objs["inbox"].pk}),
    PlanPage("dispatch-follow-up", "act", lambda objs: {"pk": objs["dispatch"].pk}),
    PlanPage("derivation-job", "act", lambda objs: {"uuid": objs["job"].uuid}),
    PlanPage("derivation-job-progress", "act", lambda objs: {"uuid": objs["job"].uuid}),
]
# Pages that only answer POST or need state the matrix does not make (an upload token, a task
# row in an editor); each has its permission tests in tests/plans/test_*_pages.py.
PLAN_PAGES_TESTED_IN_OWN_MODULE = {
    "plan-import-preview", "inbox-item-act", "plan-issue", "plan-derive-subtree", "plan-editor-task-add",
    "plan-editor-section-task-add", "plan-editor-task", "plan-editor-task-form", "plan-editor-task-delete",
    "plan-editor-task-undo", "plan-amendment-issue", "plan-amendment-discard", "plan-send-guidance",
}

# Review pages (/u/<acting unit>/reviews/...): the acting unit's own data, or a unit's below it.
REVIEW_PAGES = [
    PlanPage("unit-report-current", "act", ok=302),  # to this year's report
    PlanPage("unit-report", "act", lambda objs: {"year": YEAR}),
    PlanPage("unit-report-children", "act", lambda objs: {"year": YEAR}),
    PlanPage("unit-dashboard", "act", lambda objs: {"year": YEAR}),
    PlanPage("unit-dashboard-block", "act"),
    PlanPage("report-documents", "act", lambda objs: {"year": YEAR}),
    PlanPage("report-document-download", "act", lambda objs: {"year": YEAR, "kind": "annual-council", "fmt": "docx"}),
    PlanPage("report-document-download", "act", lambda objs: {"year": YEAR, "kind": "annual-council", "fmt": "xlsx"}),
    PlanPage("notifications", "act"),
    PlanPage("comment-round-list", "act", lambda objs: {"year": YEAR}),
    PlanPage("comment-round-detail", "act", lambda objs: {"year": YEAR, "uuid": objs["round"].uuid}),
    PlanPage("comment-round-detail", "act", lambda objs: {"year": YEAR, "uuid": objs["round"].uuid}, from_own="draft"),
    PlanPage("evidence-download", "act", lambda objs: {"uuid": objs["evidence"].uuid}),
    PlanPage("evidence-download", "act", lambda objs: {"uuid": objs["evidence"].uuid}, from_own="draft"),
]
# POST-only pages, forms that need state the matrix does not make (an accepted version, a row in
# edit), each with its permission tests in tests/reviews/test_*_pages.py and test_evidence.py.
REVIEW_PAGES_TESTED_IN_OWN_MODULE = {
    "unit-report-progress", "unit-report-evidence", "unit-report-evidence-remove", "unit-report-indicators",
    "unit-report-summary", "unit-report-submit", "unit-report-version", "unit-report-child-action",
    "comment-round-new", "comment-round-comment", "comment-round-meeting", "comment-round-close", "comment-decide",
    "notifications-read-all", "notification-read",
}

# Inspection pages (/u/<acting unit>/inspections/...): the acting unit's own inspections.
INSPECTION_PAGES = [
    PlanPage("inspection-plan-list", "act"),
    PlanPage("inspection-plan-detail", "act", lambda objs: {"uuid": objs["iplan"].uuid}),
    PlanPage("inspection-plan-docx", "act", lambda objs: {"uuid": objs["iplan"].uuid}),
    PlanPage("inspection-team-docx", "act", lambda objs: {"uuid": objs["iplan"].uuid, "team": objs["team"].uuid}),
    PlanPage("inspection-summary", "act", lambda objs: {"period": str(YEAR)}),
    PlanPage("inspection-summary-download", "act", lambda objs: {"period": str(YEAR), "fmt": "xlsx"}),
    PlanPage("inspection-summary-download", "act", lambda objs: {"period": str(YEAR), "fmt": "docx"}),
    PlanPage("inspection-conclusion", "act", lambda objs: {"uuid": objs["inspection"].uuid}),
    PlanPage("inspection-conclusion-docx", "act", lambda objs: {"uuid": objs["inspection"].uuid}),
    PlanPage("inspection-checklist", "act", lambda objs: {"uuid": objs["inspection"].uuid}),
    PlanPage("inspection-checklist-evidence-download", "act",
             lambda objs: {"uuid": objs["inspection"].uuid, "evidence": objs["item_evidence"].uuid}),
    PlanPage("recommendation-list", "act"),
    PlanPage("recommendation-overdue-block", "act"),
    PlanPage("recommendation-detail", "act", lambda objs: {"pk": objs["recommendation"].pk}),
    PlanPage("recommendation-answer-file", "act", lambda objs: {"pk": objs["answer"].pk}),
]
# Forms and POST-only pages, with their permission tests in tests/inspections/test_*_pages.py.
INSPECTION_PAGES_TESTED_IN_OWN_MODULE = {
    "inspection-plan-new", "inspection-plan-edit", "inspection-plan-issue", "inspection-plan-cancel",
    "inspection-plan-add-inspection", "inspection-window", "inspection-assign-team", "inspection-cancel",
    "inspection-team-new", "inspection-team-add-member", "inspection-team-remove-member", "inspection-findings",
    "inspection-conclude", "recommendation-answer", "recommendation-close", "recommendation-reopen",
    "inspection-checklist-generate", "inspection-checklist-item", "inspection-checklist-evidence",
    "inspection-checklist-evidence-remove",
}

PLAN_PAGE_CASES = [
    pytest.param(page, subject, relation, id=f"{page.label}|{subject.label}|{relation}")
    for page in PLAN_PAGES + REVIEW_PAGES + INSPECTION_PAGES
    for subject in SUBJECTS
    for relation in subject.targets
]


@pytest.mark.parametrize("page, subject, relation", PLAN_PAGE_CASES)
def test_plan_page_isolation(tree, inspection_objects, page: PlanPage, subject: Subject, relation: str):
    ctx = context_for(subject, relation)
    target = ctx.target
    acting = ctx.units[ctx.own_code] if page.from_own else target
    allowed = PAGE_RULES[page.rule](ctx, acting)
    if page.from_own:
        allowed = allowed and DOCUMENT_RULES[page.from_own](ctx, target)
    url = reverse(page.url_name, kwargs={"code": acting.code, **page.kwargs(inspection_objects[target.code])})
    response = client_for(tree, subject).get(url)

    if allowed:
        assert response.status_code == page.ok, response.content[:300]
    elif not ctx.has_session:
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code in (403, 404), response.status_code
        assert response["Content-Type"].startswith("text/html")
    if not reads(ctx, target):
        assert target.name not in response.content.decode()


def test_every_plan_page_is_in_the_matrix():
    from plans import urls as plan_urls

    in_matrix = {page.url_name for page in PLAN_PAGES}
    assert {pattern.name for pattern in plan_urls.urlpatterns} <= in_matrix | PLAN_PAGES_TESTED_IN_OWN_MODULE


def _names(patterns):
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            yield from _names(pattern.url_patterns)
        elif pattern.name:
            yield pattern.name


def test_every_review_page_is_in_the_matrix():
    from reviews import urls as review_urls

    in_matrix = {page.url_name for page in REVIEW_PAGES}
    assert set(_names(review_urls.urlpatterns)) <= in_matrix | REVIEW_PAGES_TESTED_IN_OWN_MODULE


def test_every_inspection_page_is_in_the_matrix():
    from inspections import urls as inspection_urls

    in_matrix = {page.url_name for page in INSPECTION_PAGES}
    assert set(_names(inspection_urls.urlpatterns)) <= in_matrix | INSPECTION_PAGES_TESTED_IN_OWN_MODULE
