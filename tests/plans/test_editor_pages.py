"""The plan editor of a draft: who may open it, inline edits that re-parse what was typed, errors in
Vietnamese that lose nothing, adding and deleting tasks, and a query count that does not grow with
the number of tasks."""
import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mttq_platform.models import AuditLog
from plans.models import DocumentStatus, OutsideBody, PartyRole, PlanDocument, Section, Task
from tests.plans.factories import seed_like_plan, task_of

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def draft(tree):
    return seed_like_plan(tree["11"], status=DocumentStatus.DRAFT)


def editor_url(plan, code="11"):
    return reverse("plan-editor", kwargs={"code": code, "uuid": plan.uuid})


def task_url(name, plan, task, code="11"):
    key = task if isinstance(task, str) else str(task.pk)
    return reverse(name, kwargs={"code": code, "uuid": plan.uuid, "task": key})


def task_data(**values):
    data = {"number": "", "text": "", "timeframe_text": "", "leads": "", "coordinators": "", "steps": "", "output": ""}
    data.update(values)
    return data


def login(client, tree, username):
    client.force_login(tree.user(username))
    return client


def test_a_cadre_of_the_unit_opens_the_editor_with_every_task(client, tree, draft):
    response = login(client, tree, "db.cadre").get(editor_url(draft))
    assert response.status_code == 200
    page = response.content.decode()
    for task in draft.tasks.all():
        assert f'id="task-{task.pk}"' in page
        assert task_url("plan-editor-task-form", draft, task) in page  # its "edit" button
    assert 'name="title"' in page and 'name="signer_name"' in page  # the header form
    assert "Thêm nhiệm vụ vào mục II.2" in page


@pytest.mark.parametrize(("username", "code", "status"), [
    ("db.viewer", "11", 403),  # reads the unit, may not change it
    ("hn.chair", "11", 404),  # another province: the unit does not exist for them
    ("hn.chair", "01", 404),  # ... nor the plan under their own unit
    ("dbp.cadre", "094", 404),  # the district below: a draft of the province is not theirs to see
])
def test_others_may_not_edit(client, tree, draft, username, code, status):
    login(client, tree, username)
    assert client.get(editor_url(draft, code)).status_code == status
    task = task_of(draft, "1.1")
    response = client.post(task_url("plan-editor-task-form", draft, task, code), task_data(text="Chiếm quyền"), **HTMX)
    assert response.status_code == status
    assert Task.objects.get(pk=task.pk).text == task.text


def test_the_edit_button_swaps_the_row_for_a_labelled_form(client, tree, draft):
    task = task_of(draft, "2.1", 2)
    # As the import saves them: each written item of the list is a group of its own.
    task.parties.filter(text="HĐND, UBND cùng cấp").update(group=1)
    response = login(client, tree, "db.cadre").get(task_url("plan-editor-task-form", draft, task), **HTMX)
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page  # a partial for htmx
    assert f'<li class="task editor-row editing" id="task-{task.pk}">' in page
    assert f'<label for="task-{task.pk}-leads">' in page
    # The parties are shown one written item a line, as the plan writes them.
    assert "Đoàn đại biểu Quốc hội tỉnh (đối với cấp tỉnh)\nHĐND, UBND cùng cấp" in page
    # Without JavaScript the same URL is a page of its own.
    assert "<html" in client.get(task_url("plan-editor-task-form", draft, task)).content.decode()


def test_an_inline_save_reparses_timeframe_and_parties_and_is_audited(client, tree, draft):
    task = task_of(draft, "1.1")
    cadre = tree.user("db.cadre")
    response = login(client, tree, "db.cadre").post(task_url("plan-editor-task-form", draft, task), task_data(
        number="1.1", text="Tuyên truyền sâu rộng Chỉ thị 18-CT/TW.", timeframe_text="Quý IV hàng năm",
        leads="Ban Thường trực Ủy ban MTTQ Việt Nam các cấp; Sở Tài chính",
        coordinators="Các tổ chức chính trị - xã hội cùng cấp\nHĐND, UBND cùng cấp",
        steps="Xây dựng kế hoạch\nTổ chức hội nghị", output="Báo cáo kết quả",
    ), **HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert f'id="task-{task.pk}"' in page and "Tuyên truyền sâu rộng Chỉ thị 18-CT/TW." in page and "editing" not in page

    task = Task.objects.get(pk=task.pk)
    assert task.text == "Tuyên truyền sâu rộng Chỉ thị 18-CT/TW."
    assert task.timeframe_text == "Quý IV hàng năm"
    assert task.timeframe["yearly_quarters"] == [4] and task.timeframe["kind"] == "quarter_yearly"
    assert task.steps == ["Xây dựng kế hoạch", "Tổ chức hội nghị"] and task.output == "Báo cáo kết quả"
    leads = list(task.parties.filter(role=PartyRole.LEAD).order_by("order"))
    assert [(p.text, p.kind) for p in leads] == [
        ("Ban Thường trực Ủy ban MTTQ Việt Nam các cấp", "relative"), ("Sở Tài chính", "body")]
    assert leads[0].relative_code == "front_standing_board" and leads[0].scope == "every_level"
    # The same outside body as the plan's "Sở Tài Chính": matched without regard to case, not a new one.
    assert leads[1].body == OutsideBody.objects.get(name__iexact="Sở Tài chính")
    coordinators = list(task.parties.filter(role=PartyRole.COORDINATOR).order_by("order"))
    # "HĐND, UBND cùng cấp" is two bodies of one written item (one group), as the import keeps it.
    assert [(p.text, p.group) for p in coordinators] == [
        ("Các tổ chức chính trị - xã hội cùng cấp", 0), ("HĐND", 1), ("UBND cùng cấp", 1)]

    audited = AuditLog.objects.filter(content_type=ContentType.objects.get_for_model(Task), object_id=str(task.pk))
    update = audited.get(action="update")
    assert update.actor == cadre and update.after["text"] == "Tuyên truyền sâu rộng Chỉ thị 18-CT/TW."
    assert AuditLog.objects.filter(action="delete", actor=cadre, object_repr="Các tổ chức chính trị - xã hội các cấp").exists()


def test_saving_unchanged_parties_keeps_their_rows(client, tree, draft):
    task = task_of(draft, "3.1")
    for party in task.parties.all():  # one written item a party, as the import saves this list
        party.group = party.order
        party.save()
    before = set(task.parties.values_list("pk", flat=True))
    login(client, tree, "db.cadre").post(task_url("plan-editor-task-form", draft, task), task_data(
        number="3.1", text="Rà soát định mức chi.", timeframe_text=task.timeframe_text,
        leads="Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh\nSở Tài Chính",
        coordinators="Các tổ chức chính trị - xã hội tỉnh; Ủy ban MTTQ Việt Nam các cấp",
    ), **HTMX)
    assert Task.objects.get(pk=task.pk).text == "Rà soát định mức chi."
    assert set(task.parties.values_list("pk", flat=True)) == before


def test_an_empty_text_comes_back_in_the_form_in_vietnamese_and_nothing_changes(client, tree, draft):
    task = task_of(draft, "2.2")
    parties = list(task.parties.values_list("pk", "text"))
    response = login(client, tree, "db.cadre").post(task_url("plan-editor-task-form", draft, task), task_data(
        number="2.2", text="   ", timeframe_text="Năm 2025", leads="Sở Tài chính"), **HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nội dung nhiệm vụ không được để trống." in page
    assert 'aria-invalid="true"' in page and "Năm 2025" in page  # what was typed stays in the form
    fresh = Task.objects.get(pk=task.pk)
    assert (fresh.text, fresh.timeframe_text) == (task.text, task.timeframe_text)
    assert list(fresh.parties.values_list("pk", "text")) == parties


def test_without_javascript_a_save_redirects_to_the_row(client, tree, draft):
    task = task_of(draft, "4.1")
    response = login(client, tree, "db.cadre").post(
        task_url("plan-editor-task-form", draft, task), task_data(number="4.1", text="Báo cáo HĐND tỉnh.", timeframe_text="Năm 2023"))
    assert response.status_code == 302 and response["Location"] == f"{editor_url(draft)}#task-{task.pk}"
    assert Task.objects.get(pk=task.pk).timeframe["deadline"] == "2023-12-31"


def test_cancel_shows_the_row_again(client, tree, draft):
    task = task_of(draft, "1.1")
    response = login(client, tree, "db.cadre").get(task_url("plan-editor-task", draft, task), **HTMX)
    assert f'id="task-{task.pk}"' in response.content.decode() and "<form method=\"post\" action=\"" in response.content.decode()


def test_add_a_task_under_a_section(client, tree, draft):
    group = Section.objects.get(document=draft, number="II.3")
    url = reverse("plan-editor-section-task-add", kwargs={"code": "11", "uuid": draft.uuid, "section": group.pk})
    response = login(client, tree, "db.cadre").post(url, task_data(
        number="3.5", text="Sơ kết việc trả lời kiến nghị.", timeframe_text="Năm 2025", leads="Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh"), **HTMX)
    assert response.status_code == 200
    added = Task.objects.get(document=draft, number="3.5")
    assert added.section == group and added.order > max(t.order for t in draft.tasks.exclude(pk=added.pk))
    assert added.timeframe["years"] == [2025] and added.parties.get().scope == "province"
    page = response.content.decode()
    assert f'id="task-{added.pk}"' in page
    assert f'id="add-task-{group.pk}"' in page and 'hx-swap-oob="true"' in page  # a fresh, empty form

    # An empty text: the form comes back in its own place with the error; nothing is added.
    response = client.post(url, task_data(number="3.6"), **HTMX)
    assert response["HX-Retarget"] == f"#add-task-{group.pk}" and response["HX-Reswap"] == "outerHTML"
    assert "Nội dung nhiệm vụ không được để trống." in response.content.decode()
    assert not Task.objects.filter(document=draft, number="3.6").exists()

    # On the editor page it is the last task of its group.
    page = client.get(editor_url(draft)).content.decode()
    group_block = page.split(f'id="tasks-{group.pk}"')[1].split("</ol>")[0]
    assert group_block.rfind("Sơ kết việc trả lời kiến nghị.") > group_block.find("Tham mưu cho Ban Thường vụ")


def test_delete_a_task_of_a_draft_for_real(client, tree, draft):
    task = task_of(draft, "3.4")
    response = login(client, tree, "db.cadre").post(task_url("plan-editor-task-delete", draft, task), **HTMX)
    assert response.status_code == 200 and response.content.decode().strip() == ""  # the row goes away
    assert not Task.with_withdrawn.filter(pk=task.pk).exists()
    assert 'hx-confirm="' in client.get(editor_url(draft)).content.decode()


def test_the_header_is_saved_and_its_errors_shown(client, tree, draft):
    login(client, tree, "db.cadre")
    data = {"title": "Kế hoạch sửa", "number": "17", "symbol": "KH-MTTQ-BTT", "place": "Điện Biên", "date": "2023-07-01",
            "signer_on_behalf": "KT. CHỦ TỊCH", "signer_title": "PHÓ CHỦ TỊCH", "signer_name": "Nguyễn Văn A"}
    assert client.post(editor_url(draft), data).status_code == 302
    plan = PlanDocument.objects.get(pk=draft.pk)
    assert (plan.number_symbol, plan.signer_on_behalf, str(plan.date)) == ("17/KH-MTTQ-BTT", "KT. CHỦ TỊCH", "2023-07-01")
    response = client.post(editor_url(draft), {**data, "title": ""})
    assert "Trích yếu không được để trống." in response.content.decode()
    assert PlanDocument.objects.get(pk=draft.pk).title == "Kế hoạch sửa"


def test_a_cadre_may_not_amend_an_issued_plan(client, tree):
    issued = seed_like_plan(tree["11"])
    login(client, tree, "db.cadre")
    assert client.get(editor_url(issued)).status_code == 403
    assert client.post(task_url("plan-editor-task-delete", issued, task_of(issued, "1.1")), **HTMX).status_code == 403


def plan_with_tasks(unit, count: int) -> PlanDocument:
    plan = seed_like_plan(unit, status=DocumentStatus.DRAFT, number=str(count))
    section = Section.objects.get(document=plan, number="II.4")
    template = task_of(plan, "4.1")
    for n in range(count - plan.tasks.count()):
        task = Task.objects.create(document=plan, section=section, number=f"4.{n + 2}", order=100 + n, text=f"Nhiệm vụ {n}",
                                   timeframe_text="Hằng năm")
        for party in template.parties.all():
            party.pk, party.task = None, task
            party.save()
    assert plan.tasks.count() == count
    return plan


def test_the_editor_page_costs_the_same_queries_for_5_or_40_tasks(client, tree, django_assert_max_num_queries):
    small, large = plan_with_tasks(tree["11"], 7), plan_with_tasks(tree["11"], 40)
    Task.objects.filter(document=small, number__in=["3.1", "3.4"]).delete()  # 5 tasks
    login(client, tree, "db.cadre")
    client.get(editor_url(small))  # warm up: content types, session
    with CaptureQueriesContext(connection) as small_queries:
        assert client.get(editor_url(small)).status_code == 200
    with django_assert_max_num_queries(len(small_queries)):
        response = client.get(editor_url(large))
    assert response.status_code == 200 and response.content.decode().count('class="task editor-row') == 40
