"""Django admin: the tree is editable, drag-and-drop included, by superusers only."""
import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_superuser_moves_a_commune_by_drag_and_drop(client, tree):
    client.force_login(tree.user("root"))
    assert client.get("/admin/orgtree/orgunit/").status_code == 200
    commune, new_district = tree["03151"], tree["094"]
    response = client.post(
        "/admin/orgtree/orgunit/",
        {"cmd": "move_node", "cut_item": commune.pk, "pasted_on": new_district.pk, "position": "last-child"},
    )
    assert response.status_code == 200
    assert tree["03151"].parent_id == new_district.pk
    call_command("check_tree")  # raises on corruption


@pytest.mark.parametrize("username", ["db.chair", "tw.analyst"])
def test_staff_who_are_not_superusers_cannot_edit_the_tree(client, tree, username):
    user = tree.user(username)
    user.is_staff = True
    user.save()
    client.force_login(user)
    # The admin site lets superusers only in (mttq_platform.security.superuser_only): the rest are
    # sent to its login page, for the tree and for every other admin page.
    for path in ("/admin/", "/admin/orgtree/orgunit/", "/admin/mttq_platform/apitoken/"):
        response = client.get(path)
        assert response.status_code == 302 and response.url.startswith("/admin/login/")
    response = client.post(
        "/admin/orgtree/orgunit/",
        {"cmd": "move_node", "cut_item": tree["03151"].pk, "pasted_on": tree["094"].pk, "position": "last-child"},
    )
    assert response.status_code == 302
    assert tree["03151"].parent_id == tree["095"].pk
