"""The report pages: a cadre's report of the year (inline progress, evidence, indicators, submit),
the parent's approval page, accepted versions, and isolation between siblings."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reviews.models import ApprovalAction, ApprovalEvent, Evidence, IndicatorValue, ProgressStatus, ReportStatus, UnitReport
from tests.conftest import PASSWORD
from tests.plans.factories import seed_like_plan
from tests.reviews.report_factories import EXE, PDF, YEAR, open_branch_reports, private_media, upload  # noqa: F401

HTMX = {"HTTP_HX_REQUEST": "true"}


def login(client, tree, username):
    assert client.login(username=username, password=PASSWORD)
    return tree.user(username)


def report_url(code, year=YEAR):
    return reverse("unit-report", kwargs={"code": code, "year": year})


def row_url(code, progress, year=YEAR):
    return reverse("unit-report-progress", kwargs={"code": code, "year": year, "pk": progress.pk})


def row_data(progress, **values):
    return {f"p{progress.pk}-{name}": value for name, value in values.items()}


@pytest.fixture
def reports(tree):
    return open_branch_reports(tree, codes=("11", "094", "03127", "03124"))


@pytest.fixture
def himlam(reports):
    return reports["03127"]


def first_row(report):
    return report.progress.order_by("due", "pk").first()


# -- opening ------------------------------------------------------------------------------------------
def test_get_never_opens_a_report_and_the_button_does(client, tree):
    seed_like_plan(tree["03127"])
    login(client, tree, "himlam.cadre")

    response = client.get(report_url("03127"))
    assert response.status_code == 200
    assert "Mở báo cáo năm" in response.content.decode()
    assert not UnitReport.objects.exists()

    response = client.post(report_url("03127"))
    assert response.status_code == 302
    report = UnitReport.objects.get(unit=tree["03127"], year=YEAR)
    assert report.progress.count() > 0


def test_a_viewer_gets_no_open_button_and_cannot_open(client, tree):
    seed_like_plan(tree["11"])
    login(client, tree, "db.viewer")
    assert "Mở báo cáo năm" not in client.get(report_url("11")).content.decode()
    assert client.post(report_url("11")).status_code == 403
    assert not UnitReport.objects.exists()


# -- the report page ----------------------------------------------------------------------------------
def test_the_cadre_sees_rows_by_task_with_period_due_and_overdue_badge(client, tree, himlam):
    login(client, tree, "himlam.cadre")
    html = client.get(report_url("03127")).content.decode()
    rows = list(himlam.progress.select_related("task"))
    assert html.count('<li class="progress-row') == len(rows)
    for row in rows:
        assert f'id="progress-{row.pk}"' in html and row.period_label in html
        assert row.due.strftime("%d/%m/%Y") in html
    assert "Phối hợp với cơ quan truyền thông" in html  # task text, under its section
    assert "II.1 Về công tác thông tin, tuyên truyền" in html
    # 2025 is past: every row not done is overdue, derived and not typed.
    assert html.count('badge badge-overdue">Quá hạn<') == len(rows)
    assert html.count('class="progress-form"') == len(rows)


def test_rows_due_in_the_future_are_not_overdue(client, tree):
    seed_like_plan(tree["03127"])
    login(client, tree, "himlam.cadre")
    client.post(report_url("03127", 2090))
    html = client.get(report_url("03127", 2090)).content.decode()
    assert '<li class="progress-row' in html and ">Quá hạn<" not in html


def test_an_inline_save_records_progress_and_answers_with_the_row(client, tree, himlam):
    login(client, tree, "himlam.cadre")
    row = first_row(himlam)
    response = client.post(row_url("03127", row), row_data(row, status="in_progress", percent="40",
                                                            narrative="Đã tổ chức 2 hội nghị", reason=""), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<li class="progress-row') and f'id="progress-{row.pk}"' in html
    assert "Đã lưu" in html and "Đã tổ chức 2 hội nghị" in html
    row.refresh_from_db()
    assert (row.status, row.percent, row.narrative) == (ProgressStatus.IN_PROGRESS, 40, "Đã tổ chức 2 hội nghị")


def test_a_plain_post_saves_and_redirects_to_the_row(client, tree, himlam):
    login(client, tree, "himlam.cadre")
    row = first_row(himlam)
    response = client.post(row_url("03127", row), row_data(row, status="done", percent="", narrative="Xong", reason=""))
    assert response.status_code == 302 and response["Location"].endswith(f"#progress-{row.pk}")
    row.refresh_from_db()
    assert (row.status, row.percent) == (ProgressStatus.DONE, 100)


@pytest.mark.parametrize("htmx", [True, False])
def test_a_refused_save_says_why_in_both_languages_and_keeps_what_was_typed(client, tree, himlam, htmx):
    login(client, tree, "himlam.cadre")
    row = first_row(himlam)
    response = client.post(row_url("03127", row), row_data(row, status="not_done", percent="", reason="",
                                                            narrative="Chưa tổ chức được vì mưa lũ"),
                           **(HTMX if htmx else {}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nhiệm vụ không hoàn thành phải ghi rõ lý do." in html and "A task not done needs a reason." in html
    assert "Chưa tổ chức được vì mưa lũ" in html
    assert '<option value="not_done" selected>' in html
    row.refresh_from_db()
    assert (row.status, row.narrative) == (ProgressStatus.NOT_STARTED, "")


def test_a_bad_percent_is_refused(client, tree, himlam):
    login(client, tree, "himlam.cadre")
    row = first_row(himlam)
    html = client.post(row_url("03127", row), row_data(row, status="in_progress", percent="140", narrative="", reason=""),
                       **HTMX).content.decode()
    assert "từ 0 đến 100" in html and 'value="140"' in html
    row.refresh_from_db()
    assert row.percent is None


def test_indicators_are_saved_and_a_bad_value_is_refused_with_nothing_saved(client, tree, himlam):
    login(client, tree, "himlam.cadre")
    url = reverse("unit-report-indicators", kwargs={"code": "03127", "year": YEAR})
    assert client.post(url, {"gs-doan": "3", "kn-de-xuat": "12"}).status_code == 302
    assert dict(IndicatorValue.objects.filter(report=himlam).values_list("indicator__code", "value")) == {
        "gs-doan": 3, "kn-de-xuat": 12}
    html = client.post(url, {"gs-doan": "5", "kn-de-xuat": "mười"}).content.decode()
    assert "số nguyên không âm" in html and 'value="mười"' in html
    assert IndicatorValue.objects.get(report=himlam, indicator__code="gs-doan").value == 3


def test_evidence_is_uploaded_on_the_row_and_a_bad_file_refused(client, tree, himlam, private_media):
    login(client, tree, "himlam.cadre")
    row = first_row(himlam)
    url = reverse("unit-report-evidence", kwargs={"code": "03127", "year": YEAR, "pk": row.pk})
    response = client.post(url, {f"e{row.pk}-file": upload("bien-ban.pdf", PDF), f"e{row.pk}-description": "Biên bản"},
                           **HTMX)
    html = response.content.decode()
    evidence = Evidence.objects.get(progress=row)
    assert "bien-ban.pdf" in html and reverse("evidence-download", kwargs={"code": "03127", "uuid": evidence.uuid}) in html

    html = client.post(url, {f"e{row.pk}-file": upload("anh.pdf", EXE)}, **HTMX).content.decode()
    assert "Loại tệp không được chấp nhận" in html and "File type not accepted" in html
    assert Evidence.objects.filter(progress=row).count() == 1

    remove = reverse("unit-report-evidence-remove", kwargs={"code": "03127", "year": YEAR, "pk": row.pk, "uuid": evidence.uuid})
    assert "bien-ban.pdf" not in client.post(remove, **HTMX).content.decode()
    assert not Evidence.objects.filter(progress=row).exists()


# -- locking and approval -----------------------------------------------------------------------------
def submit(client, code="03127", comment=""):
    return client.post(reverse("unit-report-submit", kwargs={"code": code, "year": YEAR}), {"comment": comment})


def child_action(client, parent, child, action, comment=""):
    url = reverse("unit-report-child-action", kwargs={"code": parent, "year": YEAR, "child": child, "action": action})
    return client.post(url, {"comment": comment})


def test_a_submitted_report_is_read_only_and_refuses_a_save(client, tree, himlam):
    login(client, tree, "himlam.cadre")
    assert submit(client).status_code == 302
    himlam.refresh_from_db()
    assert himlam.status == ReportStatus.SUBMITTED

    html = client.get(report_url("03127")).content.decode()
    assert 'class="progress-form"' not in html and "Gửi báo cáo" not in html and "không sửa được" in html
    row = first_row(himlam)
    html = client.post(row_url("03127", row), row_data(row, status="done", narrative="Muộn", percent="", reason=""),
                       **HTMX).content.decode()
    assert "không sửa được" in html and "Muộn" in html
    row.refresh_from_db()
    assert row.status == ProgressStatus.NOT_STARTED


@pytest.mark.parametrize("htmx", [True, False])
def test_removing_evidence_of_a_submitted_report_is_refused_with_the_reason(client, tree, himlam, private_media, htmx):
    from reviews.services.progress import attach_evidence

    login(client, tree, "himlam.cadre")
    row = first_row(himlam)
    evidence = attach_evidence(row, upload("bien-ban.pdf", PDF), user=tree.user("himlam.cadre"))
    assert submit(client).status_code == 302
    remove = reverse("unit-report-evidence-remove", kwargs={"code": "03127", "year": YEAR, "pk": row.pk, "uuid": evidence.uuid})
    response = client.post(remove, **(HTMX if htmx else {}))
    assert response.status_code == 200
    assert "không sửa được" in response.content.decode()
    assert Evidence.objects.filter(pk=evidence.pk).exists()


def test_parent_returns_and_accepts_through_the_pages_and_reopening_keeps_the_version(client, tree, himlam):
    login(client, tree, "himlam.cadre")
    submit(client, comment="Kính gửi")
    client.logout()

    login(client, tree, "dbp.cadre")
    children = reverse("unit-report-children", kwargs={"code": "094", "year": YEAR})
    html = client.get(children).content.decode()
    assert "phường Him Lam" in html and "Đã gửi" in html and 'badge-create">Đúng hạn' not in html  # 2025-12-15 is long past
    assert "Trễ hạn" in html and "phường Noong Bua" in html

    # A return must say why: the comment is required and nothing changes without it.
    html = child_action(client, "094", "03127", "return").content.decode()
    assert "Cần ghi ý kiến" in html
    himlam.refresh_from_db()
    assert himlam.status == ReportStatus.SUBMITTED
    assert child_action(client, "094", "03127", "return", "Bổ sung số liệu quý IV").status_code == 302
    himlam.refresh_from_db()
    assert himlam.status == ReportStatus.RETURNED
    client.logout()

    # The cadre sees the parent's comment prominently, edits and sends again.
    login(client, tree, "himlam.cadre")
    html = client.get(report_url("03127")).content.decode()
    assert 'class="alert return-comment"' in html and "Bổ sung số liệu quý IV" in html
    row = first_row(himlam)
    client.post(row_url("03127", row), row_data(row, status="done", narrative="Đã bổ sung", percent="", reason=""))
    assert submit(client).status_code == 302
    client.logout()

    login(client, tree, "dbp.cadre")
    assert child_action(client, "094", "03127", "accept").status_code == 302
    himlam.refresh_from_db()
    assert himlam.status == ReportStatus.ACCEPTED
    assert list(ApprovalEvent.objects.filter(report=himlam).values_list("action", flat=True)) == [
        ApprovalAction.SUBMIT, ApprovalAction.RETURN, ApprovalAction.SUBMIT, ApprovalAction.ACCEPT]
    html = client.get(report_url("03127")).content.decode()
    assert "đã được chấp nhận và khóa" in html and 'class="progress-form"' not in html

    # Reopening needs a comment, makes version 2, and version 1 stays readable.
    assert "Cần ghi ý kiến" in child_action(client, "094", "03127", "reopen").content.decode()
    assert child_action(client, "094", "03127", "reopen", "Sửa lại số liệu").status_code == 302
    himlam.refresh_from_db()
    assert (himlam.status, himlam.version) == (ReportStatus.DRAFT, 2)
    client.logout()
    login(client, tree, "himlam.cadre")
    version = client.get(reverse("unit-report-version", kwargs={"code": "03127", "year": YEAR, "version": 1}))
    assert version.status_code == 200 and "Đã bổ sung" in version.content.decode()
    assert client.get(reverse("unit-report-version", kwargs={"code": "03127", "year": YEAR, "version": 2})).status_code == 404


def test_the_parent_cannot_accept_before_its_children_and_is_told_which(client, tree, reports):
    login(client, tree, "dbp.cadre")
    submit(client, "094")
    client.logout()
    login(client, tree, "himlam.cadre")
    submit(client, "03127")
    client.logout()

    login(client, tree, "db.chair")
    html = child_action(client, "11", "094", "accept").content.decode()
    assert "Chưa thể chấp nhận" in html and "phường Him Lam" in html and "phường Noong Bua" in html
    assert UnitReport.objects.get(pk=reports["094"].pk).status == ReportStatus.SUBMITTED
    client.logout()

    # The district accepts Him Lam and waives Noong Bua; then the province may accept it.
    login(client, tree, "dbp.cadre")
    assert child_action(client, "094", "03127", "accept").status_code == 302
    assert child_action(client, "094", "03124", "waive", "Sáp nhập đơn vị").status_code == 302
    client.logout()
    login(client, tree, "db.chair")
    assert child_action(client, "11", "094", "accept").status_code == 302
    assert UnitReport.objects.get(pk=reports["094"].pk).status == ReportStatus.ACCEPTED


def test_a_missing_child_report_is_listed_and_can_be_waived(client, tree, reports):
    login(client, tree, "dbp.cadre")
    children = reverse("unit-report-children", kwargs={"code": "094", "year": YEAR})
    html = client.get(children).content.decode()
    assert "Chưa có báo cáo" not in html  # both communes have reports
    client.logout()
    login(client, tree, "db.chair")
    html = client.get(reverse("unit-report-children", kwargs={"code": "11", "year": YEAR})).content.decode()
    assert "thị xã Mường Lay" in html and "Chưa có báo cáo" in html
    assert child_action(client, "11", "095", "waive", "Đơn vị giải thể").status_code == 302
    assert UnitReport.objects.get(unit=tree["095"], year=YEAR).status == ReportStatus.WAIVED


def test_the_cadre_of_the_child_cannot_approve_its_own_report(client, tree, himlam):
    login(client, tree, "himlam.cadre")
    submit(client)
    # Him Lam has no children: its own code as parent finds no child 03127 -> 404.
    assert child_action(client, "03127", "03127", "accept").status_code == 404
    # And the district's page is not its to act on.
    assert child_action(client, "094", "03127", "accept").status_code == 404
    himlam.refresh_from_db()
    assert himlam.status == ReportStatus.SUBMITTED


# -- isolation --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["", "children/", "dashboard/", "versions/1/"])
def test_a_sibling_gets_404(client, tree, reports, path):
    login(client, tree, "himlam.cadre")
    assert client.get(f"/u/03124/reviews/{YEAR}/{path}").status_code == 404
    login(client, tree, "hn.chair")
    assert client.get(f"/u/094/reviews/{YEAR}/{path}").status_code == 404


def test_a_row_of_a_sibling_cannot_be_saved_through_ones_own_unit(client, tree, reports):
    login(client, tree, "himlam.cadre")
    sibling_row = first_row(reports["03124"])
    data = row_data(sibling_row, status="done", narrative="", percent="", reason="")
    assert client.post(row_url("03127", sibling_row), data).status_code == 404
    assert client.post(row_url("03124", sibling_row), data).status_code == 404
    sibling_row.refresh_from_db()
    assert sibling_row.status == ProgressStatus.NOT_STARTED


def test_the_report_page_costs_a_bounded_number_of_queries(client, tree, himlam, django_assert_max_num_queries):
    login(client, tree, "himlam.cadre")
    with django_assert_max_num_queries(15):  # 14 + the unread-notification badge of the unit navigation
        assert client.get(report_url("03127")).status_code == 200


def test_the_children_page_costs_the_same_queries_for_a_district_and_the_province(client, tree, reports):
    login(client, tree, "db.chair")
    counts = []
    for code in ("094", "11"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("unit-report-children", kwargs={"code": code, "year": YEAR})).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 13


def test_the_summary_is_written_while_editable_only(client, tree, himlam):
    login(client, tree, "himlam.cadre")
    url = reverse("unit-report-summary", kwargs={"code": "03127", "year": YEAR})
    assert client.post(url, {"summary": "Năm 2025 tổ chức 6 cuộc giám sát."}).status_code == 302
    himlam.refresh_from_db()
    assert himlam.summary == "Năm 2025 tổ chức 6 cuộc giám sát."
    submit(client)
    html = client.post(url, {"summary": "Sửa sau khi gửi"}).content.decode()
    assert "không sửa được" in html and "Sửa sau khi gửi" in html
    himlam.refresh_from_db()
    assert himlam.summary == "Năm 2025 tổ chức 6 cuộc giám sát."


def test_the_reviews_root_goes_to_this_years_report(client, tree):
    login(client, tree, "himlam.cadre")
    response = client.get(reverse("unit-report-current", kwargs={"code": "03127"}))
    assert response.status_code == 302 and response["Location"] == report_url("03127", timezone.localdate().year)
    assert client.get(reverse("unit-report-current", kwargs={"code": "03124"})).status_code == 404
