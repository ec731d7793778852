"""The sync status page (/sync/status/) and ``manage.py sync status|push|pull|retry``."""
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from orgtree.models import OrgUnit, UnitKind
from sync.models import ChangeKind, ParkedItem, Peer, PeerRole
from sync.payloads import SCHEMA_VERSION, unit_uuid
from sync.services import outbox, pull
from sync.services.keys import add_key

URL = "/sync/status/"


def unit_item(code: str, kind: str, parent: str = "TW") -> dict:
    payload = {"code": code, "admin_code": "", "code_set": None, "name": f"Ban {code}", "area_name": "", "kind": kind,
               "level": "central", "parent": parent, "active_from": None, "active_to": None}
    return {"kind": ChangeKind.UNIT, "origin": "trunguong", "object_uuid": str(unit_uuid(code)), "version": 1,
            "schema_version": SCHEMA_VERSION, "unit": code, "payload": payload}


@pytest.fixture
def central(tree):
    """This installation is Điện Biên's; its parent is the national installation (unreachable
    here: nothing in these tests needs an answer from it)."""
    row = Peer.objects.create(name="trung-uong", installation_id="trunguong", role=PeerRole.PARENT,
                              base_url="http://127.0.0.1:9", unit=tree["11"], last_push_error="Hết thời gian chờ")
    add_key(row)
    return row


@pytest.fixture
def parked(central):
    """A unit of the centre whose kind this installation does not know yet."""
    assert pull.apply_or_park(central, unit_item("TW-BAN", "central_board")) == "parked"
    return ParkedItem.objects.get(peer=central)


def test_the_page_shows_each_peer_with_lag_parked_items_key_age_and_last_error(client, tree, central, parked):
    client.force_login(tree.user("root"))
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "trung-uong" in html and "Hết thời gian chờ" in html
    assert "central_board" in parked.reason and parked.reason in html
    assert f"/sync/status/parked/{parked.pk}/retry/" in html
    row = response.context["statuses"][0]
    assert row.lag_items == outbox.lag(central) > 0  # the tree's unit changes, not yet delivered
    assert row.oldest_pending_at is not None and row.newest_key_at is not None
    assert row.parked == [parked]


@pytest.mark.parametrize("username, status", [("db.cadre", 403), ("dbp.cadre", 403), ("hn.chair", 403),
                                              ("db.chair", 200), ("root", 200)])
def test_only_the_installation_managers_see_it(client, tree, central, username, status):
    client.force_login(tree.user(username))
    assert client.get(URL).status_code == status


def test_anonymous_is_sent_to_log_in(client, tree, central):
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_parked_item_is_retried_from_the_page(client, tree, central, parked):
    client.force_login(tree.user("db.cadre"))
    assert client.post(f"/sync/status/parked/{parked.pk}/retry/").status_code == 403

    client.force_login(tree.user("db.chair"))
    response = client.post(f"/sync/status/parked/{parked.pk}/retry/", follow=True)
    assert response.status_code == 200
    parked.refresh_from_db()
    assert parked.resolved_at is None  # still failing: kept with its reason
    assert not OrgUnit.objects.filter(code="TW-BAN").exists()

    UnitKind.objects.create(code="central_board", name="Ban của Trung ương", category="other")
    client.post(f"/sync/status/parked/{parked.pk}/retry/")
    parked.refresh_from_db()
    assert parked.resolved_at is not None
    assert OrgUnit.objects.get(code="TW-BAN").parent == tree["TW"]
    assert client.get(URL).context["statuses"][0].parked == []


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("sync", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_prints_the_same_table(tree, central, parked):
    out, _ = run("status")
    header, line, *rest = out.splitlines()
    assert header.split()[:4] == ["PEER", "ROLE", "LAST", "DELIVERY"]
    assert line.startswith("trung-uong") and " parent " in line and "Hết thời gian chờ" in line
    assert f" {outbox.lag(central)} " in line
    assert any(f"parked #{parked.pk}" in text and "central_board" in text for text in rest)
    with pytest.raises(CommandError):
        run("status", "--peer", "nobody")


def test_the_command_retries_parked_items(tree, central, parked):
    UnitKind.objects.create(code="central_board", name="Ban của Trung ương", category="other")
    out, _ = run("retry", "--peer", "trung-uong")
    assert "re-applied 1, still parked 0" in out
    parked.refresh_from_db()
    assert parked.resolved_at is not None


def test_push_and_pull_report_an_unreachable_parent_without_failing(tree, central):
    out, err = run("push")
    assert "trung-uong" in err and "127.0.0.1:9" in err
    out, err = run("pull", "--peer", "trung-uong")
    assert "trung-uong" in err
    central.refresh_from_db()
    # Each direction keeps its own last error.
    assert "127.0.0.1:9" in central.last_push_error and "127.0.0.1:9" in central.last_pull_error


def test_the_page_renders_in_english(client, tree, central, parked, settings):
    import lxml.html

    client.force_login(tree.user("root"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(URL)
    assert response.status_code == 200
    page = lxml.html.fromstring(response.content)
    assert page.get("lang") == "en"
    assert [h.text_content().strip() for h in page.xpath("//h1")] == ["Sync status"]
    headings = [th.text_content().strip() for th in page.xpath("//table[@id='peers']/thead//th")]
    assert headings == ["Installation", "Role", "Last sent", "Last received", "Not yet acknowledged",
                        "Parked items", "Key age", "Last error"]
    text = " ".join(page.text_content().split())
    for words in ("Connected installations: reports go up to the parent", "Parent (receives this installation's reports)",
                  "Parked items from trung-uong", "Version", "Reason", "Since", "Apply again"):
        assert words in text, words
    # The interface's words only: the peer's last error is Vietnamese data.
    for vietnamese in ("Tình trạng đồng bộ", "Gửi gần nhất", "Mục tạm giữ", "Áp dụng lại", "Cấp trên"):
        assert vietnamese not in text, vietnamese
