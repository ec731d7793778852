"""The members page of a unit (/u/<code>/members/) and its changes: who may add, change, remove and
carry over members, the refusals in Vietnamese and English, the audit rows, the one-time password of
a new account, and the page's cost whatever the number of members.

On the shared tree (tests/conftest.py): himlam.chair chairs commune 03127, db.chair province 11
above it, himlam.cadre is a cadre of 03127 and hn.chair chairs the unrelated province 01."""
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from mttq_platform.models import AuditLog
from orgtree.models import Membership, OrgUnit, Role, UnitKind, UnitSuccession
from orgtree.services import create_unit
from orgtree.services_members import MembershipError, add_member, carry_over, remove_member

pytestmark = pytest.mark.django_db
HIM_LAM = "03127"
ENDED, BEGUN = date(2025, 6, 30), date(2025, 7, 1)
NEW_WARD = "03127-2025"


def role(code) -> Role:
    return Role.objects.get(code=code)


def members_url(code=HIM_LAM):
    return reverse("unit-members", kwargs={"code": code})


def action_url(name, membership, code=HIM_LAM):
    return reverse(name, kwargs={"code": code, "pk": membership.pk})


def login(client, tree, username, language="vi"):
    client.force_login(tree.user(username))
    client.cookies["django_language"] = language
    return client


def add(client, code=HIM_LAM, **fields):
    prefix = "new" if fields.pop("new", False) else "existing"
    data = {f"{prefix}-{name}": value for name, value in fields.items()}
    if prefix == "new":
        data["new-new_account"] = "True"
    return client.post(reverse("unit-member-add", kwargs={"code": code}), data)


def membership_of(username, code=HIM_LAM) -> Membership:
    return Membership.objects.select_related("role").get(user__username=username, unit__code=code)


def membership_audit(action):
    return AuditLog.objects.filter(content_type=ContentType.objects.get_for_model(Membership), action=action)


# -- reading ------------------------------------------------------------------------------------------

def test_a_manager_sees_the_forms_and_a_cadre_reads_only(client, tree):
    text = login(client, tree, "himlam.chair").get(members_url()).content.decode()
    assert "himlam.cadre" in text and "Thêm người đã có tài khoản" in text and "Đổi vai trò" in text
    # The unit home links the page as "Quản lý thành viên" for those who manage it.
    assert "Quản lý thành viên" in client.get(reverse("unit-home", kwargs={"code": HIM_LAM})).content.decode()
    english = login(client, tree, "himlam.chair", "en").get(members_url()).content.decode()
    assert "Add someone with an account" in english and "Change role" in english and "Since" in english

    response = login(client, tree, "himlam.cadre").get(members_url())
    assert response.status_code == 200
    text = response.content.decode()
    assert "himlam.chair" in text and "Thêm người đã có tài khoản" not in text and "Đổi vai trò" not in text
    assert "Quản lý thành viên" not in client.get(reverse("unit-home", kwargs={"code": HIM_LAM})).content.decode()


def test_outsiders_get_404(client, tree):
    assert login(client, tree, "hn.chair").get(members_url()).status_code == 404
    assert login(client, tree, "himlam.chair").get(members_url("03124")).status_code == 404  # a sibling


# -- adding -------------------------------------------------------------------------------------------

def test_the_commune_chair_adds_a_new_user_and_sees_the_password_once(client, tree):
    login(client, tree, "himlam.chair")
    response = add(client, new=True, username="himlam.moi", full_name="Cà Văn Thắng", role=role("cadre").pk)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    text = response.content.decode()
    account = get_user_model().objects.get(username="himlam.moi")
    assert (account.last_name, account.first_name) == ("Cà Văn", "Thắng")
    password = text.split('class="one-time-password">', 1)[1].split("<", 1)[0]
    assert len(password) >= 16 and account.check_password(password)
    assert membership_of("himlam.moi").role.code == "cadre"
    # Once: the page shows it no more.
    assert password not in client.get(members_url()).content.decode()
    entry = membership_audit("create").get(object_id=str(membership_of("himlam.moi").pk))
    assert entry.actor == tree.user("himlam.chair") and entry.unit_id == tree[HIM_LAM].pk and entry.source == "web"


def test_the_province_chair_adds_an_existing_user_to_a_commune(client, tree):
    login(client, tree, "db.chair")
    response = add(client, username="dbp.cadre", role=role("viewer").pk, title="Cộng tác viên")
    assert response.status_code == 302 and response["Location"] == members_url()
    assert membership_of("dbp.cadre").title == "Cộng tác viên"
    assert membership_audit("create").filter(actor=tree.user("db.chair"), unit=tree[HIM_LAM]).exists()


def test_a_duplicate_is_refused_in_both_languages_keeping_what_was_typed(client, tree):
    for language, expected in (("vi", "himlam.cadre đã có vai trò “Cán bộ”"),
                               ("en", "himlam.cadre already holds the role “Cadre” in 03127")):
        login(client, tree, "himlam.chair", language)
        response = add(client, username="himlam.cadre", role=role("cadre").pk, title="Giữ lại")
        assert response.status_code == 400
        text = response.content.decode()
        assert "himlam.cadre đã có vai trò “Cán bộ”" in text and "already holds the role “Cadre”" in text, language
        assert expected in text and 'value="Giữ lại"' in text
    assert Membership.objects.filter(user__username="himlam.cadre", unit__code=HIM_LAM).count() == 1


def test_an_unknown_account_and_a_taken_username_are_refused(client, tree):
    login(client, tree, "himlam.chair")
    text = add(client, username="khong.co", role=role("cadre").pk).content.decode()
    assert "Không có tài khoản “khong.co”. / No account named “khong.co”." in text
    text = add(client, new=True, username="HIMLAM.CADRE", full_name="Ai Đó", role=role("cadre").pk).content.decode()
    assert "đã có người dùng" in text and "is taken" in text
    assert not get_user_model().objects.filter(username="HIMLAM.CADRE").exists()


@pytest.mark.parametrize("username", ["himlam.cadre", "dbp.cadre", "hn.chair"])
def test_who_may_not_manage_writes_nothing(client, tree, username):
    before = Membership.objects.count(), get_user_model().objects.count(), AuditLog.objects.count()
    login(client, tree, username)
    target = membership_of("himlam.cadre")
    answers = [
        add(client, username="db.viewer", role=role("chair").pk),
        add(client, new=True, username="ke.la", full_name="Kẻ Lạ", role=role("chair").pk),
        client.post(action_url("unit-member-role", target), {"role": role("chair").pk}),
        client.post(action_url("unit-member-remove", target), {"confirm": "yes"}),
    ]
    assert {response.status_code for response in answers} <= {403, 404}
    assert (Membership.objects.count(), get_user_model().objects.count(), AuditLog.objects.count()) == before


def test_the_service_itself_refuses_without_the_right(tree):
    with pytest.raises(MembershipError) as refused:
        add_member(tree[HIM_LAM], user=tree.user("himlam.cadre"), role=role("chair"), username="himlam.cadre")
    assert refused.value.code == "permission_denied" and "You may not manage the members of 03127" in refused.value.text


# -- changing and removing ----------------------------------------------------------------------------

def test_role_change_and_removal(client, tree):
    login(client, tree, "himlam.chair")
    cadre = membership_of("himlam.cadre")
    assert client.post(action_url("unit-member-role", cadre), {"role": role("viewer").pk}).status_code == 302
    assert membership_of("himlam.cadre").role.code == "viewer"
    assert membership_audit("update").get(object_id=str(cadre.pk)).after == {"role_id": role("viewer").pk}

    # The first POST asks; only the confirmation removes.
    confirm = client.post(action_url("unit-member-remove", cadre))
    assert confirm.status_code == 200 and 'name="confirm" value="yes"' in confirm.content.decode()
    assert Membership.objects.filter(pk=cadre.pk).exists()
    assert client.post(action_url("unit-member-remove", cadre), {"confirm": "yes"}).status_code == 302
    assert not Membership.objects.filter(pk=cadre.pk).exists()
    assert membership_audit("delete").filter(object_id=str(cadre.pk), actor=tree.user("himlam.chair")).exists()


def test_the_last_manager_cannot_drop_their_own_role(client, tree):
    chair = membership_of("himlam.chair")
    for language in ("vi", "en"):
        login(client, tree, "himlam.chair", language)
        for response in (client.post(action_url("unit-member-remove", chair), {"confirm": "yes"}),
                         client.post(action_url("unit-member-role", chair), {"role": role("cadre").pk})):
            assert response.status_code == 400
            text = response.content.decode()
            assert "Bạn là người duy nhất quản lý đơn vị này" in text and "You are the only one who manages this unit" in text
    assert membership_of("himlam.chair").role.code == "chair"

    # With a second chair, or when someone else removes them, it goes through.
    Membership.objects.create(user=tree.user("himlam.cadre"), unit=tree[HIM_LAM], role=role("chair"))
    remove_member(chair, user=tree.user("himlam.chair"))
    assert not Membership.objects.filter(pk=chair.pk).exists()


def test_the_province_chair_may_remove_a_communes_last_chair(tree):
    chair = membership_of("himlam.chair")
    remove_member(chair, user=tree.user("db.chair"))
    assert not Membership.objects.filter(pk=chair.pk).exists()


# -- carrying over after the reform -------------------------------------------------------------------

@pytest.fixture
def reformed(tree):
    """As tests/orgtree/test_reform_pages.py: Him Lam ended on 30/06/2025; the new ward succeeds it."""
    OrgUnit.objects.filter(code__in=["094", "03124", HIM_LAM]).update(active_to=ENDED)
    ward = create_unit(code=NEW_WARD, name="Ủy ban MTTQ Việt Nam phường Điện Biên Phủ", area_name="phường Điện Biên Phủ",
                       kind=UnitKind.objects.get(code="commune_committee"), parent=tree["11"], active_from=BEGUN)
    UnitSuccession.objects.create(predecessor=tree[HIM_LAM], successor=ward, effective_date=BEGUN)
    return ward


def carry(client, membership, code=NEW_WARD):
    return client.post(action_url("unit-member-carry-over", membership), {"successor": code})


def test_the_province_chair_carries_a_member_over_to_the_successor(client, tree, reformed):
    login(client, tree, "db.chair")
    text = client.get(members_url()).content.decode()
    assert "Chuyển thành viên" in text and f'value="{NEW_WARD}"' in text
    cadre = membership_of("himlam.cadre")
    assert carry(client, cadre).status_code == 302
    carried = membership_of("himlam.cadre", NEW_WARD)
    assert carried.role.code == "cadre" and carried.since == date.today()
    assert Membership.objects.filter(pk=cadre.pk).exists()  # the old one stays: history
    assert membership_audit("create").filter(object_id=str(carried.pk), unit=reformed, actor=tree.user("db.chair")).exists()

    # Again: refused, in both languages.
    login(client, tree, "db.chair", "en")
    response = carry(client, cadre)
    assert response.status_code == 400
    assert "himlam.cadre already holds the role “Cadre” in 03127-2025" in response.content.decode()
    assert Membership.objects.filter(user__username="himlam.cadre", unit=reformed).count() == 1


def test_carry_over_needs_an_ended_unit_and_its_successor_and_the_right_there(client, tree, reformed):
    # The commune chair does not manage the new ward: no carry-over offered, and none accepted.
    login(client, tree, "himlam.chair")
    assert "Chuyển thành viên" not in client.get(members_url()).content.decode()
    assert carry(client, membership_of("himlam.cadre")).status_code == 400
    # Not a successor of Him Lam.
    login(client, tree, "db.chair")
    assert carry(client, membership_of("himlam.cadre"), "095").status_code == 400
    # An active unit has nothing to carry over: no action on the page.
    assert "Chuyển thành viên" not in client.get(members_url("095")).content.decode()
    assert not Membership.objects.filter(unit=reformed).exists()


def test_the_service_refuses_a_non_successor_and_an_active_unit(tree, reformed):
    chair = tree.user("db.chair")
    province_cadre = membership_of("db.cadre", "11")  # province 11 carries on: not ended
    for membership, successor, code in ((membership_of("himlam.cadre"), tree["095"], "not_successor"),
                                        (province_cadre, reformed, "not_ended")):
        with pytest.raises(MembershipError) as refused:
            carry_over(membership, successor, user=chair)
        assert refused.value.code == code


# -- cost ---------------------------------------------------------------------------------------------

def test_the_page_costs_the_same_for_1_and_20_members(client, tree, reformed, django_assert_max_num_queries):
    """On the ended Him Lam, where every row carries the role, removal and carry-over forms."""
    login(client, tree, "db.chair")
    membership_of("himlam.cadre").delete()
    url = members_url()
    client.get(url)  # warm up
    counts = []
    for size in (1, 20):
        for n in range(Membership.objects.filter(unit__code=HIM_LAM).count(), size):
            account = get_user_model().objects.create_user(f"himlam.{n}")
            Membership.objects.create(user=account, unit=tree[HIM_LAM], role=role("viewer"))
        with django_assert_max_num_queries(16) as captured:
            response = client.get(url)
        text = response.content.decode()
        assert response.status_code == 200 and text.count("/carry-over/") == size
        counts.append(len(captured))
    assert counts[0] == counts[1]
