"""The plan pages: upload with preview and confirmation, list, detail, .docx export; who may see
and who may import; the detail page's query count whatever the number of tasks."""
import io
from datetime import date
from pathlib import Path

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plans.models import DocumentStatus, PlanDocument, Task, TaskParty
from plans.services.importing import import_plan_file

pytestmark = pytest.mark.django_db

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "seeds" / "000_bc0227de9fac2d55.txt"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def as_user(client, tree):
    def login(username):
        client.force_login(tree.user(username))
        return client

    return login


def seed_upload(name=SEED.name, content=None):
    return SimpleUploadedFile(name, SEED.read_bytes() if content is None else content, content_type="text/plain")


def test_upload_preview_then_confirm_saves_the_draft(as_user, tree, media_root):
    client = as_user("db.cadre")
    response = client.post("/u/11/plans/import/", {"file": seed_upload()})
    assert response.status_code == 302
    preview_url = response["Location"]
    assert preview_url.startswith("/u/11/plans/import/")
    assert PlanDocument.objects.count() == 0  # nothing saved before confirmation
    assert len(list((media_root / "plan-imports").iterdir())) == 1

    page = client.get(preview_url).content.decode()
    assert "Xem trước kế hoạch" in page
    assert "NỘI DUNG TRIỂN KHAI" in page and "3.1" in page and "Sở Tài Chính" in page
    assert "Quý IV hàng năm hoặc khi có hướng dẫn khác." in page
    assert "<mark>Các cấp Mặt trận trên cơ sở kế hoạch" in page  # the unrecognized line, highlighted
    assert "Lò Văn Mừng" in page

    response = client.post(preview_url)
    document = PlanDocument.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/u/11/plans/{document.uuid}/"
    assert document.unit.code == "11" and document.status == DocumentStatus.DRAFT
    assert document.created_by == tree.user("db.cadre") and document.tasks.count() == 16
    assert list((media_root / "plan-imports").iterdir()) == []  # the kept upload is gone
    assert client.post(preview_url).status_code == 404  # and cannot be saved twice

    page = client.get(response["Location"]).content.decode()
    assert "Triển khai thực hiện Chỉ thị số 18" in page
    assert "Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh" in page and "Sở Tài Chính" in page
    assert "TỔ CHỨC THỰC HIỆN" in page and "Lưu: VT, Ban DC-PL" in page
    assert f'href="/u/11/plans/{document.uuid}/export.docx"' in page


@pytest.mark.parametrize("name, content, message", [
    ("rac.txt", bytes(range(256)) * 4, "Tệp .txt không phải văn bản đọc được"),
    ("gia.docx", b"not a zip", "Tệp .docx không hợp lệ"),
    ("rong.txt", b"", "Tập tin được gửi là rỗng"),  # Django's own check, before ours
    ("anh.png", b"xin chao", "Chỉ nhận tệp .txt hoặc .docx"),
])
def test_a_file_that_is_not_a_plan_is_refused_on_the_form(as_user, media_root, name, content, message):
    client = as_user("db.cadre")
    response = client.post("/u/11/plans/import/", {"file": seed_upload(name, content)})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not (media_root / "plan-imports").exists() or not list((media_root / "plan-imports").iterdir())


def test_a_file_over_the_size_limit_is_refused(as_user):
    big = SEED.read_bytes() * (5 * 1024 * 1024 // len(SEED.read_bytes()) + 1)
    response = as_user("db.cadre").post("/u/11/plans/import/", {"file": seed_upload(content=big)})
    assert response.status_code == 200 and "Tệp quá lớn" in response.content.decode()


def test_someone_else_cannot_confirm_an_upload(client, tree):
    client.force_login(tree.user("db.cadre"))
    preview_url = client.post("/u/11/plans/import/", {"file": seed_upload()})["Location"]
    client.logout()
    client.force_login(tree.user("db.chair"))  # same unit, may import, but not their upload
    assert client.get(preview_url).status_code == 404
    assert client.post(preview_url).status_code == 404
    assert PlanDocument.objects.count() == 0


def test_viewer_cannot_import(as_user):
    client = as_user("db.viewer")
    assert client.get("/u/11/plans/import/").status_code == 404
    assert client.post("/u/11/plans/import/", {"file": seed_upload()}).status_code == 404
    page = client.get("/u/11/plans/").content.decode()
    assert "/u/11/plans/import/" not in page  # no import button either
    assert PlanDocument.objects.count() == 0


@pytest.fixture
def province_plan(tree):
    document = import_plan_file(SEED, tree["11"])
    document.number, document.symbol, document.date = "15", "KH-MTTQ-BTT", date(2023, 6, 5)
    document.save()
    return document


def test_cadre_of_another_province_cannot_open_the_plan(as_user, province_plan):
    client = as_user("hn.chair")
    for path in (f"/u/01/plans/{province_plan.uuid}/", f"/u/11/plans/{province_plan.uuid}/",
                 f"/u/01/plans/{province_plan.uuid}/export.docx"):
        assert client.get(path).status_code == 404
    province_plan.status = DocumentStatus.ISSUED
    province_plan.save()
    assert client.get(f"/u/01/plans/{province_plan.uuid}/").status_code == 404  # issued, but not above them
    assert province_plan.title[:30] not in client.get("/u/01/plans/").content.decode()


def test_commune_sees_the_province_plan_once_issued(as_user, province_plan):
    client = as_user("himlam.cadre")
    url = f"/u/03127/plans/{province_plan.uuid}/"
    assert client.get(url).status_code == 404  # a draft above stays with the province
    assert "Triển khai thực hiện" not in client.get("/u/03127/plans/").content.decode()

    province_plan.status = DocumentStatus.ISSUED
    province_plan.save()
    assert client.get(url).status_code == 200
    page = client.get("/u/03127/plans/").content.decode()
    assert f'href="{url}"' in page and "15/KH-MTTQ-BTT" in page


def test_province_lists_its_own_and_its_subtrees_plans(as_user, tree, province_plan):
    district = PlanDocument.objects.create(unit=tree["094"], title="Kế hoạch của thành phố Điện Biên Phủ")
    elsewhere = PlanDocument.objects.create(unit=tree["01"], title="Kế hoạch của Hà Nội", status=DocumentStatus.ISSUED)
    page = as_user("db.cadre").get("/u/11/plans/").content.decode()
    assert f"/u/11/plans/{province_plan.uuid}/" in page
    assert f"/u/11/plans/{district.uuid}/" in page  # a draft below is readable by the province
    assert str(elsewhere.uuid) not in page
    assert 'href="/u/11/plans/import/"' in page
    assert 'aria-current="page">Kế hoạch</a>' in page  # the unit navigation


def test_export_page_sends_the_docx(as_user, province_plan):
    response = as_user("himlam.cadre").get(f"/u/03127/plans/{province_plan.uuid}/export.docx")
    assert response.status_code == 404  # still a draft
    response = as_user("db.viewer").get(f"/u/11/plans/{province_plan.uuid}/export.docx")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert response["Content-Disposition"] == 'attachment; filename="15-KH-MTTQ-BTT.docx"'
    text = "\n".join(c.text for t in docx.Document(io.BytesIO(response.content)).tables for r in t.rows for c in r.cells)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Số: 15/KH-MTTQ-BTT" in text


def add_tasks(document, count):
    section = document.sections.get(number="II.5")
    tasks = Task.objects.bulk_create(
        Task(document=document, section=section, number=f"5.{i}", order=100 + i, text=f"Nhiệm vụ thêm {i}",
             timeframe_text="Hằng năm") for i in range(count)
    )
    TaskParty.objects.bulk_create(
        TaskParty(task=task, document=document, role=role, text=text, kind="relative")
        for task in tasks
        for role, text in (("lead", "Ban Thường trực Ủy ban MTTQ Việt Nam các cấp"), ("coordinator", "Các tổ chức thành viên"))
    )


def test_detail_query_count_does_not_grow_with_the_tasks(as_user, province_plan, django_assert_max_num_queries):
    client = as_user("db.cadre")
    url = f"/u/11/plans/{province_plan.uuid}/"
    with CaptureQueriesContext(connection) as sixteen_tasks:
        assert client.get(url).status_code == 200
    add_tasks(province_plan, 40)
    with django_assert_max_num_queries(len(sixteen_tasks.captured_queries)):
        page = client.get(url).content.decode()
    assert "Nhiệm vụ thêm 39" in page
    assert len(sixteen_tasks.captured_queries) <= 15


def test_a_docx_upload_goes_through_the_same_preview(as_user, province_plan):
    from plans.exporting import export_docx

    client = as_user("db.cadre")
    upload = SimpleUploadedFile("15-KH-MTTQ-BTT.docx", export_docx(province_plan))
    preview_url = client.post("/u/11/plans/import/", {"file": upload})["Location"]
    assert "15/KH-MTTQ-BTT" in client.get(preview_url).content.decode()
    client.post(preview_url)
    imported = PlanDocument.objects.exclude(pk=province_plan.pk).get()
    assert imported.number_symbol == "15/KH-MTTQ-BTT" and imported.tasks.count() == 16
    assert imported.source_name == "15-KH-MTTQ-BTT.docx"
