"""Amending an issued plan through the editor (edits held until issued, then one version and one
dispatch), the district's inbox and its per-change choice, sending guidance down, and the
follow-up of who is late."""
from datetime import date, timedelta

import pytest
from django.urls import reverse

from orgtree.models import Level
from plans.models import DocumentKind, DocumentStatus, InboxItem, PlanDocument, PlanVersion, Task
from plans.services import guidance
from plans.services.derivation import derive_plan
from tests.plans.factories import seed_like_plan, task_of

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def issued(tree):
    """The province's issued plan, and the district 094's plan derived from it."""
    province = seed_like_plan(tree["11"])
    district = derive_plan(province, tree["094"], actor=tree.user("dbp.cadre"))
    return province, district


def url(name, plan, code="11", **kwargs):
    return reverse(name, kwargs={"code": code, "uuid": plan.uuid, **kwargs})


def task_data(task, **changes):
    values = {"number": task.number, "text": task.text, "timeframe_text": task.timeframe_text,
              "leads": "\n".join(p.text for p in task.parties.filter(role="lead")),
              "coordinators": "\n".join(p.text for p in task.parties.filter(role="coordinator")),
              "steps": "\n".join(task.steps), "output": task.output}
    return {**values, **changes}


def amend_through_the_editor(client, province, due_date=""):
    """Edit 1.1 and 2.2, withdraw 3.4, then issue: the manager's whole amendment."""
    t11, t22, t34 = task_of(province, "1.1"), task_of(province, "2.2"), task_of(province, "3.4")
    response = client.post(url("plan-editor-task-form", province, task=str(t11.pk)),
                           task_data(t11, text="Tuyên truyền Chỉ thị 18 và Kết luận 118."), **HTMX)
    assert "Sửa đổi, chờ ban hành" in response.content.decode()
    assert 'id="amendment-summary"' in response.content.decode()  # the pending list, updated out of band
    client.post(url("plan-editor-task-form", province, task=str(t22.pk)), task_data(t22, timeframe_text="Quý IV hàng năm"), **HTMX)
    response = client.post(url("plan-editor-task-delete", province, task=str(t34.pk)), **HTMX)
    assert "Bãi bỏ, chờ ban hành" in response.content.decode()
    return client.post(url("plan-amendment-issue", province), {"note": "Sửa đổi lần 1", "due_date": due_date})


def test_an_amendment_made_of_several_edits_is_one_version_and_one_dispatch(client, tree, issued):
    province, district = issued
    client.force_login(tree.user("db.chair"))
    t11 = task_of(province, "1.1")
    original = t11.text

    # The detail page of the issued plan offers the amendment and the sending to its managers.
    detail = client.get(url("plan-detail", province)).content.decode()
    assert "Sửa đổi, bổ sung" in detail and url("plan-editor", province) in detail and url("plan-send-guidance", province) in detail

    editor = client.get(url("plan-editor", province)).content.decode()
    assert "Ban hành sửa đổi" in editor and 'name="title"' not in editor  # amendment mode: no header form

    t11_form = client.post(url("plan-editor-task-form", province, task=str(t11.pk)),
                           task_data(t11, text="Tuyên truyền Chỉ thị 18 và Kết luận 118."), **HTMX)
    assert t11_form.status_code == 200
    # Held, not written: the plan and its versions are untouched until the amendment is issued.
    assert Task.objects.get(pk=t11.pk).text == original and not province.dispatches.exists()
    page = client.get(url("plan-editor", province)).content.decode()
    assert "Tuyên truyền Chỉ thị 18 và Kết luận 118." in page and "1 thay đổi chờ ban hành" in page

    response = amend_through_the_editor(client, province, due_date="2031-12-31")
    dispatch = province.dispatches.get()  # exactly one dispatch
    assert response.status_code == 302 and response["Location"] == reverse("dispatch-follow-up", kwargs={"code": "11", "pk": dispatch.pk})

    province = PlanDocument.objects.get(pk=province.pk)
    assert (province.status, province.version) == (DocumentStatus.AMENDED, 2)
    assert sorted(PlanVersion.objects.filter(document=province).values_list("version", flat=True)) == [1, 2]
    assert (dispatch.kind, dispatch.from_version, dispatch.to_version, dispatch.note) == ("amendment", 1, 2, "Sửa đổi lần 1")
    assert dispatch.due_date == date(2031, 12, 31)
    assert list(dispatch.items.values_list("unit__code", "plan")) == [("094", district.pk)]
    assert Task.objects.get(pk=t11.pk).text == "Tuyên truyền Chỉ thị 18 và Kết luận 118."
    assert task_of(province, "2.2").timeframe["yearly_quarters"] == [4]
    assert Task.with_withdrawn.get(document=province, number="3.4").withdrawn
    assert {kind for _key, kind, _b, _a in guidance.plan_changes(dispatch)} == {"changed", "removed"}
    assert len(guidance.plan_changes(dispatch)) == 3
    # Nothing is left pending: the editor starts the next amendment empty.
    assert "Chưa có thay đổi nào" in client.get(url("plan-editor", province)).content.decode()


def test_the_pending_edits_can_be_undone_or_discarded(client, tree, issued):
    province, _district = issued
    client.force_login(tree.user("db.chair"))
    t11 = task_of(province, "1.1")
    client.post(url("plan-editor-task-form", province, task=str(t11.pk)), task_data(t11, text="Khác"), **HTMX)
    response = client.post(url("plan-editor-task-undo", province, task=str(t11.pk)), **HTMX)
    assert t11.text in response.content.decode() and "chờ ban hành" not in response.content.decode().split("amendment-summary")[0]
    section = task_of(province, "2.2").section
    added = client.post(reverse("plan-editor-section-task-add", kwargs={"code": "11", "uuid": province.uuid, "section": section.pk}),
                        {"text": "Giám sát chuyên đề về đất đai.", "timeframe_text": "Năm 2026"}, **HTMX)
    assert 'id="task-n1"' in added.content.decode() and "Bổ sung, chờ ban hành" in added.content.decode()
    assert client.post(url("plan-amendment-discard", province)).status_code == 302
    # Issuing nothing is refused: no version, no dispatch.
    response = client.post(url("plan-amendment-issue", province), {"note": "Không có gì"}, follow=True)
    assert "Chưa có thay đổi nào để ban hành." in response.content.decode()
    assert PlanDocument.objects.get(pk=province.pk).version == 1 and not province.dispatches.exists()


def test_issuing_needs_a_note(client, tree, issued):
    province, _district = issued
    client.force_login(tree.user("db.chair"))
    t11 = task_of(province, "1.1")
    client.post(url("plan-editor-task-form", province, task=str(t11.pk)), task_data(t11, text="Khác"), **HTMX)
    response = client.post(url("plan-amendment-issue", province), {"note": ""})
    assert response.status_code == 200 and "Hãy ghi nội dung sửa đổi, bổ sung." in response.content.decode()
    assert not province.dispatches.exists()


def test_the_district_sees_the_changes_applies_one_and_acknowledges(client, tree, issued):
    province, district = issued
    client.force_login(tree.user("db.chair"))
    amend_through_the_editor(client, province)
    item = InboxItem.objects.get(unit__code="094")
    own_11 = Task.objects.get(document=district, parent_task=task_of(province, "1.1"))

    client.force_login(tree.user("dbp.cadre"))
    inbox = client.get(reverse("inbox", kwargs={"code": "094"})).content.decode()
    assert reverse("inbox-item", kwargs={"code": "094", "pk": item.pk}) in inbox
    assert 'class="badge badge-unseen"' in inbox  # the navigation's count of unseen items
    page = client.get(reverse("inbox-item", kwargs={"code": "094", "pk": item.pk})).content.decode()
    assert "Tuyên truyền Chỉ thị 18 và Kết luận 118." in page and "Bãi bỏ" in page
    assert InboxItem.objects.get(pk=item.pk).state == InboxItem.State.SEEN

    act = reverse("inbox-item-act", kwargs={"code": "094", "pk": item.pk})
    client.post(act, {"change": str(task_of(province, "1.1").pk), "choice": "apply"})
    assert Task.objects.get(pk=own_11.pk).text == "Tuyên truyền Chỉ thị 18 và Kết luận 118."
    client.post(act, {})
    item.refresh_from_db()
    assert item.state == InboxItem.State.ACTED and item.acted_by == tree.user("dbp.cadre")


def test_the_follow_up_page_shows_the_late_units(client, tree, issued):
    province, _district = issued
    client.force_login(tree.user("db.chair"))
    yesterday = date.today() - timedelta(days=1)
    amend_through_the_editor(client, province, due_date=yesterday.isoformat())
    dispatch = province.dispatches.get()
    page = client.get(reverse("dispatch-follow-up", kwargs={"code": "11", "pk": dispatch.pk})).content.decode()
    assert "0/1 đơn vị đã thực hiện; 1 đơn vị quá hạn." in page and "Quá hạn" in page and "thành phố Điện Biên Phủ" in page
    # The plan page lists the sending with its counts, linking to the follow-up.
    detail = client.get(url("plan-detail", province)).content.decode()
    assert reverse("dispatch-follow-up", kwargs={"code": "11", "pk": dispatch.pk}) in detail
    assert "0/1 đơn vị đã thực hiện" in detail and "1 quá hạn" in detail


def test_send_guidance_to_the_communes_then_follow_up(client, tree):
    chair = tree.user("db.chair")
    document = seed_like_plan(tree["11"], status=DocumentStatus.DRAFT)
    document.kind = DocumentKind.GUIDANCE
    document.save()
    client.force_login(chair)
    send = url("plan-send-guidance", document)
    commune = Level.objects.get(code="commune")
    refused = client.post(send, {"levels": [commune.pk]})
    assert "Phải ban hành văn bản trước khi gửi." in refused.content.decode() and not document.dispatches.exists()

    guidance.issue(document, chair)
    form = client.get(send).content.decode()
    assert 'type="checkbox" name="levels"' in form and "<legend>" in form
    assert f'value="{Level.objects.get(code="province").pk}"' not in form.split('name="kinds"')[0]  # only levels below
    response = client.post(send, {"levels": [commune.pk], "due_date": "2030-01-31", "note": "Triển khai ở cấp xã"})
    dispatch = document.dispatches.get()
    assert response.status_code == 302 and response["Location"] == reverse("dispatch-follow-up", kwargs={"code": "11", "pk": dispatch.pk})
    assert set(dispatch.items.values_list("unit__code", flat=True)) == {"03124", "03127", "03151"}
    assert list(dispatch.levels.all()) == [commune] and dispatch.due_date == date(2030, 1, 31)
    page = client.get(response["Location"]).content.decode()
    assert "0/3 đơn vị đã thực hiện; 0 đơn vị quá hạn." in page


@pytest.mark.parametrize(("username", "code", "status"), [
    ("db.cadre", "11", 403), ("db.viewer", "11", 403), ("hn.chair", "11", 404), ("dbp.cadre", "094", 404),
])
def test_only_the_units_managers_amend_or_send(client, tree, issued, username, code, status):
    province, _district = issued
    client.force_login(tree.user(username))
    assert client.get(url("plan-send-guidance", province, code)).status_code == status
    assert client.post(url("plan-send-guidance", province, code), {}).status_code == status
    assert client.get(url("plan-editor", province, code)).status_code == status
    assert client.post(url("plan-amendment-issue", province, code), {"note": "x"}).status_code == status
    assert not province.dispatches.exists()
