"""Login lockout (django-axes): repeated wrong passwords lock one username from one address, the
right password included, with a page in Vietnamese; an administrator unlocks it."""
import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from tests.api.helpers import token_client
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


@pytest.fixture
def people():
    # No tree: a lockout is about usernames and addresses, not units.
    User = get_user_model()
    return {
        "cadre": User.objects.create_user("himlam.cadre", password=PASSWORD),
        "chair": User.objects.create_user("himlam.chair", password=PASSWORD),
        "root": User.objects.create_superuser("root", password=PASSWORD),
    }


def attempt(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def lock_out(client, username):
    responses = [attempt(client, username, "sai-mat-khau") for _ in range(settings.AXES_FAILURE_LIMIT)]
    # Before the limit, the login form again (200); at the limit, the lockout page.
    assert [r.status_code for r in responses[:-1]] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    return responses[-1]


def test_repeated_failures_lock_the_username_even_with_the_right_password(people):
    client = Client()
    locked = lock_out(client, "himlam.cadre")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Tài khoản tạm thời bị khóa đăng nhập" in page
    assert "liên hệ quản trị viên" in page
    assert f"{settings.AXES_COOLOFF_TIME.total_seconds() // 60:.0f} phút" in page

    right = attempt(client, "himlam.cadre", PASSWORD)
    assert right.status_code == 429 and "bị khóa" in right.content.decode()
    assert "_auth_user_id" not in client.session

    # Locked for this username from this address only: others, and the same name elsewhere, go on.
    assert attempt(Client(), "himlam.chair", PASSWORD).status_code == 302
    assert attempt(Client(REMOTE_ADDR="10.1.2.3"), "himlam.cadre", PASSWORD).status_code == 302
    # An API token is no password login: it keeps working for the locked-out user.
    api, _token = token_client(people["cadre"])
    assert api.get("/api/v1/me/").status_code == 200


def test_lockout_page_in_english_for_who_chose_english(people):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = lock_out(client, "himlam.chair").content.decode()
    assert "temporarily locked" in page and "administrator" in page


def test_superuser_unlocks_in_the_admin_or_the_command_line(people):
    client = Client()
    lock_out(client, "himlam.cadre")
    attempt_row = AccessAttempt.objects.get(username="himlam.cadre")
    admin = Client()
    admin.force_login(people["root"])
    assert admin.get("/admin/axes/accessattempt/").status_code == 200
    response = admin.post("/admin/axes/accessattempt/", {
        "action": "delete_selected", "_selected_action": [attempt_row.pk], "post": "yes",
    })
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="himlam.cadre").exists()
    assert attempt(client, "himlam.cadre", PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(people["cadre"].pk)

    other = Client()
    lock_out(other, "himlam.chair")
    call_command("axes_reset_username", "himlam.chair")
    assert attempt(other, "himlam.chair", PASSWORD).status_code == 302


def test_admin_login_is_locked_out_too(people):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post("/admin/login/", {"username": "root", "password": "sai-mat-khau"})
    assert response.status_code == 429
    assert client.post("/admin/login/", {"username": "root", "password": PASSWORD}).status_code == 429
