"""Evidence files: checked by content and size, stored privately, downloaded only through the
restriction (the unit and the units above it; a sibling gets 404)."""
import hashlib
import io
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from orgtree.models import Membership, Role
from reviews.models import Evidence
from reviews.services import approval
from reviews.services.errors import ReviewError
from reviews.services.progress import attach_evidence, remove_evidence
from tests.reviews.report_factories import (  # noqa: F401 (fixture)
    DOCX, EXE, JPEG, ODT, PDF, PNG, XLSX, himlam, open_branch_reports, private_media, row, upload, zipped,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name, content, content_type", [
    ("bien-ban.pdf", PDF, "application/pdf"),
    ("anh.jpg", JPEG, "image/jpeg"),
    ("so-do.png", PNG, "image/png"),
    ("bao-cao.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("bang.xlsx", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("van-ban.odt", ODT, "application/vnd.oasis.opendocument.text"),
])
def test_accepted_kinds_are_stored_privately_with_their_hash(tree, row, private_media, name, content, content_type):
    evidence = attach_evidence(row, upload(name, content), user=tree.user("himlam.cadre"), description="Biên bản")
    evidence.refresh_from_db()
    assert evidence.content_type == content_type  # from the content, not from what the browser said
    assert (evidence.size, evidence.sha256) == (len(content), hashlib.sha256(content).hexdigest())
    assert (evidence.original_name, evidence.description, evidence.uploaded_by) == (name, "Biên bản", tree.user("himlam.cadre"))
    path = private_media / evidence.file.name
    assert path.is_file() and path.read_bytes() == content


def test_a_real_docx_is_accepted(tree, row, private_media):
    import docx

    buffer = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("Kết quả giám sát")
    document.save(buffer)
    evidence = attach_evidence(row, upload("ket-qua.docx", buffer.getvalue()), user=tree.user("himlam.cadre"))
    assert evidence.content_type.endswith("wordprocessingml.document")


def test_the_stored_name_follows_the_content(tree, row, private_media):
    evidence = attach_evidence(row, upload("anh-chup.pdf", PNG), user=tree.user("himlam.cadre"))
    assert evidence.content_type == "image/png"
    assert evidence.file.name.endswith("/anh-chup.png")
    assert evidence.original_name == "anh-chup.pdf"


@pytest.mark.parametrize("name, content", [
    ("bien-ban.pdf", EXE),  # a renamed program
    ("bao-cao.docx", "Báo cáo kết quả giám sát\n".encode()),  # a text file
    ("anh.png", b""),
    ("tai-lieu.docx", zipped({"readme.txt": "not an office file"})),
    ("bang.xlsx", zipped({"[Content_Types].xml": "<Types/>", "ppt/presentation.xml": "<p/>"})),
    ("van-ban.odt", zipped({"mimetype": "application/x-evil", "content.xml": "<x/>"}, stored_first="mimetype")),
    ("hong.docx", b"PK\x03\x04" + b"\x00" * 200),  # a broken archive
    ("macro.docx", zipped({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w/>", "word/vbaProject.bin": "x"})),
    ("macro.odt", zipped({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<x/>",
                          "Basic/Standard/Module1.xml": "<m/>"}, stored_first="mimetype")),
    ("trang.html", b"<html><script>alert(1)</script></html>"),
])
def test_other_content_is_refused_whatever_its_name(tree, row, private_media, name, content):
    with pytest.raises(ReviewError) as refused:
        attach_evidence(row, upload(name, content, "application/pdf"), user=tree.user("himlam.cadre"))
    assert refused.value.message_vi and refused.value.message_en
    assert not Evidence.objects.exists()
    assert not private_media.exists() or not any(private_media.rglob("*.*"))


def test_a_kind_left_out_of_the_settings_is_refused(tree, row, private_media, settings):
    settings.EVIDENCE_TYPES = ("pdf",)
    with pytest.raises(ReviewError) as refused:
        attach_evidence(row, upload("anh.png", PNG), user=tree.user("himlam.cadre"))
    assert refused.value.code == "bad_type"


def test_oversize_is_refused(tree, row, private_media, settings):
    settings.EVIDENCE_MAX_BYTES = 1000
    content = PDF + b"%" * 1000
    with pytest.raises(ReviewError) as refused:
        attach_evidence(row, upload("lon.pdf", content), user=tree.user("himlam.cadre"))
    assert refused.value.code == "too_large"
    attach_evidence(row, upload("nho.pdf", PDF), user=tree.user("himlam.cadre"))
    assert Evidence.objects.count() == 1


def test_a_zip_bomb_is_refused_without_being_unpacked(tree, row, private_media, settings):
    settings.EVIDENCE_MAX_BYTES = 1024 * 1024
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("word/media/zeros.bin", b"\x00" * (12 * 1024 * 1024))  # 12 MB in a few KB
    bomb = buffer.getvalue()
    assert len(bomb) < 100_000
    with pytest.raises(ReviewError) as refused:
        attach_evidence(row, upload("bom.docx", bomb), user=tree.user("himlam.cadre"))
    assert refused.value.code == "zip_bomb"
    assert not Evidence.objects.exists()


def test_only_the_own_unit_attaches_and_only_while_editable(tree, himlam, row, private_media):
    for username in ("dbp.cadre", "db.viewer", "hn.chair"):
        with pytest.raises(ReviewError):
            attach_evidence(row, upload("a.pdf", PDF), user=tree.user(username))
    approval.submit(himlam, user=tree.user("himlam.cadre"))
    with pytest.raises(ReviewError) as refused:
        attach_evidence(row, upload("a.pdf", PDF), user=tree.user("himlam.cadre"))
    assert refused.value.code == "locked"
    assert not Evidence.objects.exists()


def test_removing_evidence_deletes_its_file_once_committed(tree, himlam, row, private_media, django_capture_on_commit_callbacks):
    evidence = attach_evidence(row, upload("a.pdf", PDF), user=tree.user("himlam.cadre"))
    path = private_media / evidence.file.name
    with pytest.raises(ReviewError):
        remove_evidence(evidence, user=tree.user("dbp.cadre"))
    with django_capture_on_commit_callbacks(execute=True):
        remove_evidence(evidence, user=tree.user("himlam.cadre"))
    assert not Evidence.objects.exists()
    assert not path.exists()


# -- download ------------------------------------------------------------------------------------

@pytest.fixture
def evidence(tree, row, private_media):
    return attach_evidence(row, upload("Biên bản giám sát.pdf", PDF), user=tree.user("himlam.cadre"))


@pytest.fixture
def sibling_cadre(tree):
    user = get_user_model().objects.create_user("noongbua.cadre")
    Membership.objects.create(user=user, unit=tree["03124"], role=Role.objects.get(code="cadre"))
    return user


def download(client, user, code, evidence):
    client.force_login(user)
    return client.get(reverse("evidence-download", kwargs={"code": code, "uuid": evidence.uuid}))


@pytest.mark.parametrize("username, code", [
    ("himlam.cadre", "03127"),
    ("dbp.cadre", "094"),  # the district above
    ("dbp.cadre", "03127"),
    ("db.viewer", "11"),  # a reader of the province above
    ("root", "TW"),
])
def test_the_unit_and_its_ancestors_download(client, tree, evidence, username, code):
    response = download(client, tree.user(username), code, evidence)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("code", ["03124", "03127", "094"])
def test_a_sibling_gets_404(client, tree, evidence, sibling_cadre, code):
    assert download(client, sibling_cadre, code, evidence).status_code == 404


def test_another_province_and_an_unknown_uuid_get_404(client, tree, evidence):
    assert download(client, tree.user("hn.chair"), "01", evidence).status_code == 404
    assert download(client, tree.user("hn.chair"), "03127", evidence).status_code == 404
    client.force_login(tree.user("himlam.cadre"))
    url = reverse("evidence-download", kwargs={"code": "03127", "uuid": "00000000-0000-0000-0000-000000000000"})
    assert client.get(url).status_code == 404


def test_anonymous_is_sent_to_log_in(client, evidence):
    response = client.get(reverse("evidence-download", kwargs={"code": "03127", "uuid": evidence.uuid}))
    assert response.status_code == 302 and "login" in response["Location"]


def test_evidence_is_not_under_the_public_media_root(settings, evidence, private_media):
    assert not str(private_media).startswith(str(settings.MEDIA_ROOT))
    assert not (settings.MEDIA_ROOT / evidence.file.name).exists()


def test_evidence_is_audited_with_its_stored_name(tree, evidence):
    from django.contrib.contenttypes.models import ContentType

    from mttq_platform.models import AuditLog

    entry = AuditLog.objects.get(content_type=ContentType.objects.get_for_model(Evidence), object_id=str(evidence.pk))
    assert entry.action == "create" and entry.actor == tree.user("himlam.cadre")
    assert entry.after["file"] == evidence.file.name and entry.after["sha256"] == evidence.sha256
    assert entry.unit_id == tree["03127"].pk
