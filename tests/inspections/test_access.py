"""The team's time-boxed access to the units it inspects (issue 5, item 6).

"A team member reads the inspected commune's evidence during the window and is refused the day
after (frozen clock; a real Celery worker runs the revocation); a non-member never could."

No freezegun in the environment: the clock is frozen by replacing ``django.utils.timezone.now``,
the clock the grant check (mttq_platform.permissions) and the jobs read; the worker runs in a
thread of this process, so it reads the same frozen clock.
"""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from celery.result import AsyncResult
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from inspections.models import Inspection, InspectionPlan, TeamAccess
from inspections.services import access
from inspections.services import plans as service
from mttq_platform.celery import app
from mttq_platform.models import AuditLog
from orgtree.models import Membership, OrgUnit, OrgUnitUserObjectPermission, Role
from orgtree.tasks import expire_object_grants
from reviews.services.progress import attach_evidence
from tests.conftest import PASSWORD
from tests.inspections.factories import make_inspection_setup
from tests.reviews.report_factories import PDF, upload

LOCAL = ZoneInfo(settings.TIME_ZONE)
# The factory's windows: 094 1–5, 095 6–10, 03127 11–15, 03151 16–20 October 2025.
DURING = datetime(2025, 10, 12, 10, 0, tzinfo=LOCAL)
LAST_MINUTE = datetime(2025, 10, 15, 23, 59, tzinfo=LOCAL)
DAY_AFTER = datetime(2025, 10, 16, 8, 0, tzinfo=LOCAL)


@pytest.fixture
def clock(monkeypatch):
    """A frozen clock: ``clock.set(moment)``."""
    class Clock:
        def set(self, moment: datetime):
            monkeypatch.setattr(timezone, "now", lambda: moment)

    return Clock()


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def grant_audits(action: str) -> int:
    content_type = ContentType.objects.get_for_model(OrgUnitUserObjectPermission)
    return AuditLog.objects.filter(content_type=content_type, action=action).count()


def issue_for_communes(tree, setup):
    """Issue the plan with the team on the two communes only (the districts without a team), so
    that what the team sees beyond its communes would show."""
    cadre = tree.user("db.cadre")
    for code in ("094", "095"):
        service.assign_team(setup.inspections[code], None, user=cadre)
    return service.issue_plan(setup.plan, user=tree.user("db.chair"))


def himlam_evidence(tree, setup):
    row = setup.reports["03127"].progress.order_by("pk").first()
    return attach_evidence(row, upload("bien-ban.pdf", PDF), user=tree.user("himlam.cadre"))


def login(client, username):
    assert client.login(username=username, password=PASSWORD)
    return client


def evidence_status(client, code, evidence) -> int:
    return client.get(reverse("evidence-download", kwargs={"code": code, "uuid": evidence.uuid})).status_code


def report_status(client, code, year=2025) -> int:
    return client.get(reverse("unit-report", kwargs={"code": code, "year": year})).status_code


# -- granting ---------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_issue_grants_each_member_with_an_account_until_the_end_of_the_window(tree):
    setup = make_inspection_setup(tree)
    before = grant_audits("create")
    service.issue_plan(setup.plan, user=tree.user("db.chair"))
    himlam = setup.inspections["03127"]
    grants = OrgUnitUserObjectPermission.objects.filter(content_object=tree["03127"])
    assert {g.user.username for g in grants} == {"db.cadre", "db.hnd.liaison"}  # the expert has no account
    for grant in grants:
        assert grant.permission.codename == "view_orgunit"
        assert grant.expires_at == datetime(2025, 10, 16, 0, 0, tzinfo=LOCAL)
        assert "03127" in grant.reason and setup.plan.number_symbol in grant.reason
        assert TeamAccess.objects.get(grant=grant).inspection == himlam
    assert grant_audits("create") - before == 8
    logs = AuditLog.objects.filter(content_type=ContentType.objects.get_for_model(OrgUnitUserObjectPermission))
    assert set(logs.values_list("actor__username", flat=True)) == {"db.chair"}
    assert set(logs.values_list("unit_id", flat=True)) == {tree[code].pk for code in setup.inspections}


@pytest.mark.django_db
def test_a_draft_plan_opens_nothing(tree):
    make_inspection_setup(tree)
    assert not OrgUnitUserObjectPermission.objects.exists() and not TeamAccess.objects.exists()


@pytest.mark.django_db
def test_team_changes_on_an_issued_plan_follow_at_once(tree):
    setup = make_inspection_setup(tree)
    cadre = tree.user("db.cadre")
    issue_for_communes(tree, setup)
    district = setup.inspections["094"]
    assert not TeamAccess.objects.filter(inspection=district).exists()
    service.assign_team(district, setup.team, user=cadre)  # assigned after issue: granted now
    assert set(TeamAccess.objects.filter(inspection=district).values_list("user__username", flat=True)) == {
        "db.cadre", "db.hnd.liaison"}
    newcomer = service.add_member(setup.team, user=cadre, account=tree.user("dbp.cadre"), name="Lường Văn B")
    assert TeamAccess.objects.filter(user=tree.user("dbp.cadre"), revoked_at__isnull=True).count() == 3
    service.remove_member(newcomer, user=cadre)
    assert not OrgUnitUserObjectPermission.objects.filter(user=tree.user("dbp.cadre")).exists()
    assert TeamAccess.objects.filter(user=tree.user("dbp.cadre"), revoked_at__isnull=False).count() == 3
    service.set_window(setup.inspections["03151"], user=cadre, window_start=date(2025, 10, 16), window_end=date(2025, 10, 28))
    grant = OrgUnitUserObjectPermission.objects.get(user=tree.user("db.hnd.liaison"), content_object=tree["03151"])
    assert grant.expires_at == datetime(2025, 10, 29, tzinfo=LOCAL)
    assert TeamAccess.objects.get(grant=grant).expires_at == grant.expires_at
    service.assign_team(district, None, user=cadre)
    assert not OrgUnitUserObjectPermission.objects.filter(content_object=tree["094"]).exists()


# -- reading during the window, and only the inspected subtree ------------------------------------------------
@pytest.mark.django_db
def test_a_member_organization_member_reads_the_commune_in_the_window_and_nothing_beside_it(tree, client, clock):
    setup = make_inspection_setup(tree)
    evidence = himlam_evidence(tree, setup)
    clock.set(DURING)
    login(client, "db.hnd.liaison")
    assert evidence_status(client, "03127", evidence) == 404  # before issue: never
    issue_for_communes(tree, setup)
    assert evidence_status(client, "03127", evidence) == 200
    assert report_status(client, "03127") == 200
    assert client.get(reverse("plan-detail", kwargs={"code": "03127", "uuid": setup.plans["03127"].uuid})).status_code == 200
    for code in ("03124", "094", "095", "01", "00001"):  # siblings and units above stay closed
        assert report_status(client, code) == 404, code
    # 03151's window (16-20 October) has not begun: only Him Lam is open besides the liaison's own.
    assert set(OrgUnit.objects.restrict(tree.user("db.hnd.liaison"), with_extra=False).values_list("code", flat=True)) == {
        "11-HND", "03127"}
    clock.set(LAST_MINUTE)
    assert evidence_status(client, "03127", evidence) == 200
    clock.set(DAY_AFTER)  # the grant stops counting at expiry, before any job runs
    assert evidence_status(client, "03127", evidence) == 404


@pytest.mark.django_db
def test_access_opens_on_the_first_day_of_the_window_not_at_issue(tree, client, clock):
    setup = make_inspection_setup(tree)
    evidence = himlam_evidence(tree, setup)
    clock.set(datetime(2025, 10, 10, 23, 59, tzinfo=LOCAL))  # issued the evening before 03127's window
    issue_for_communes(tree, setup)
    login(client, "db.hnd.liaison")
    assert evidence_status(client, "03127", evidence) == 404
    assert report_status(client, "03127") == 404
    clock.set(datetime(2025, 10, 11, 0, 0, tzinfo=LOCAL))
    assert evidence_status(client, "03127", evidence) == 200


@pytest.mark.django_db
def test_a_non_member_never_reads_the_inspected_commune(tree, client, clock):
    setup = make_inspection_setup(tree)
    evidence = himlam_evidence(tree, setup)
    User = get_user_model()
    other = User.objects.create_user("db.hnd.other", password=PASSWORD)
    Membership.objects.create(user=other, unit=tree["11-HND"], role=Role.objects.get(code="liaison"))
    issue_for_communes(tree, setup)
    for moment in (DURING, DAY_AFTER):
        clock.set(moment)
        for username in ("db.hnd.other", "dbp.cadre", "hn.chair"):
            client.logout()
            login(client, username)
            code = "03127" if username != "dbp.cadre" else "03151"
            assert report_status(client, code) == 404, (username, moment)
        login(client, "db.hnd.other")
        assert evidence_status(client, "03127", evidence) == 404


@pytest.mark.django_db
def test_the_inspected_units_users_see_their_own_inspection_only(tree):
    setup = make_inspection_setup(tree)
    service.issue_plan(setup.plan, user=tree.user("db.chair"))
    assert list(Inspection.objects.restrict(tree.user("himlam.cadre"))) == [setup.inspections["03127"]]
    assert set(Inspection.objects.restrict(tree.user("dbp.cadre")).values_list("unit__code", flat=True)) == {
        "094", "03127"}
    assert not Inspection.objects.restrict(tree.user("hn.chair")).exists()
    assert Inspection.objects.restrict(tree.user("db.hnd.liaison")).count() == 4  # a team member
    assert not InspectionPlan.objects.restrict(tree.user("himlam.cadre")).exists()


# -- revocation -----------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_cancelling_revokes_at_once_and_is_audited(tree, client, clock):
    setup = make_inspection_setup(tree)
    evidence = himlam_evidence(tree, setup)
    clock.set(DURING)
    issue_for_communes(tree, setup)
    login(client, "db.hnd.liaison")
    assert evidence_status(client, "03127", evidence) == 200
    deletions = grant_audits("delete")
    service.cancel_inspection(setup.inspections["03127"], user=tree.user("db.chair"), reason="Đơn vị sáp nhập")
    assert evidence_status(client, "03127", evidence) == 404
    clock.set(datetime(2025, 10, 16, 9, 0, tzinfo=LOCAL))  # in 03151's window
    assert report_status(client, "03151") == 200  # the other inspection keeps its access
    assert grant_audits("delete") - deletions == 2
    accesses = TeamAccess.objects.filter(inspection=setup.inspections["03127"])
    assert all(a.revoked_at == DURING and a.grant is None and "Đơn vị sáp nhập" in a.revoked_reason for a in accesses)
    service.cancel_plan(setup.plan, user=tree.user("db.chair"), reason="Dừng kiểm tra")
    assert report_status(client, "03151") == 404
    assert not OrgUnitUserObjectPermission.objects.exists()
    assert grant_audits("delete") - deletions == 4


@pytest.mark.django_db
def test_the_grant_job_and_the_window_job_cooperate(tree, clock):
    setup = make_inspection_setup(tree)
    clock.set(DURING)
    issue_for_communes(tree, setup)
    clock.set(DAY_AFTER)
    assert expire_object_grants() == 2  # Him Lam's two grants; Sông Đà's window is still open
    assert access.close_access_windows() == 2
    closed = TeamAccess.objects.filter(revoked_at__isnull=False)
    assert {a.inspection.unit.code for a in closed} == {"03127"}
    assert all(a.revoked_reason == access.REASON_WINDOW_CLOSED for a in closed)
    # A grant deleted by hand (the admin) closes its TeamAccess too, window open or not.
    OrgUnitUserObjectPermission.objects.get(user=tree.user("db.cadre"), content_object=tree["03151"]).delete()
    assert access.close_access_windows() == 1
    assert TeamAccess.objects.get(user=tree.user("db.cadre"), inspection=setup.inspections["03151"]).revoked_reason == (
        access.REASON_GRANT_GONE)
    assert access.close_access_windows() == 0


def test_beat_runs_the_window_job():
    entry = settings.CELERY_BEAT_SCHEDULE["inspections-close-access-windows"]
    assert entry["task"] == "inspections.close_access_windows"
    app.loader.import_default_modules()  # what a worker or beat does at start: tasks.py of every app
    assert entry["task"] in app.tasks


@pytest.mark.worker
def test_a_real_worker_closes_the_window_the_day_after(transactional_tree, celery_worker, client, clock, settings):
    tree = transactional_tree
    setup = make_inspection_setup(tree)
    evidence = himlam_evidence(tree, setup)
    clock.set(DURING)
    issue_for_communes(tree, setup)
    login(client, "db.hnd.liaison")
    assert evidence_status(client, "03127", evidence) == 200
    assert report_status(client, "03127") == 200

    clock.set(DAY_AFTER)
    entry = settings.CELERY_BEAT_SCHEDULE["inspections-close-access-windows"]
    result = app.send_task(entry["task"])  # as beat sends it; the worker reads the frozen clock
    assert AsyncResult(result.id, app=app).get(timeout=60) == 2

    assert evidence_status(client, "03127", evidence) == 404
    assert report_status(client, "03127") == 404
    assert report_status(client, "03151") == 200  # Sông Đà's window (16–20) is open now
    himlam = TeamAccess.objects.filter(inspection=setup.inspections["03127"])
    assert himlam.count() == 2 and all(a.revoked_at == DAY_AFTER and a.grant is None for a in himlam)
    assert not OrgUnitUserObjectPermission.objects.filter(content_object=tree["03127"]).exists()
    content_type = ContentType.objects.get_for_model(OrgUnitUserObjectPermission)
    deletions = AuditLog.objects.filter(content_type=content_type, action="delete")
    assert deletions.count() == 2 and set(deletions.values_list("source", flat=True)) == {"job"}
    assert AuditLog.objects.filter(content_type=content_type, action="create").count() == 4
