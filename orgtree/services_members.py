"""Who belongs to a unit, changed by those who manage it (its chair, or a chair of a unit above
it: ``orgtree.services.manages``): add an existing or a new account with a role, change a role,
remove a membership, and carry a membership of an ended unit over to one of its successors (the old
one stays: it is history).

Each write re-checks the permission inside its transaction, with the unit's row locked, so two
chairs removing each other at once cannot both pass the last-manager check. Membership is audited:
the rows name the acting user. A refusal is a ``MembershipError`` in Vietnamese and English, and
nothing is written.
"""
from __future__ import annotations

import secrets
from contextlib import nullcontext

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from mttq_platform.audit import acting_as, current_actor
from orgtree.models import Membership, OrgUnit, Role, UnitSuccession
from orgtree.services import manages

MANAGE = "manage"


class MembershipError(Exception):
    """A refused change to a unit's members, with its message in Vietnamese and English."""

    def __init__(self, message_vi: str, message_en: str, *, code: str = "invalid"):
        super().__init__(message_vi)
        self.message_vi, self.message_en, self.code = message_vi, message_en, code

    def __str__(self):
        return self.message_vi

    @property
    def text(self) -> str:
        return f"{self.message_vi} / {self.message_en}"


def _audited(user):
    """Audit rows name ``user``; a request already acting for them keeps its request id."""
    actor = current_actor()
    return nullcontext() if actor is not None and actor.pk == user.pk else acting_as(user, "web")


def _locked_units(user, *units: OrgUnit) -> list[OrgUnit]:
    """The units' rows, locked (in id order: no deadlock between two carry-overs), once ``user`` is
    found to manage each of them."""
    ids = sorted({unit.pk for unit in units})
    locked = {unit.pk: unit for unit in OrgUnit.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")}
    for unit in units:
        if not manages(user, locked[unit.pk]):
            raise MembershipError(f"Bạn không có quyền quản lý thành viên của {locked[unit.pk].name}.",
                                  f"You may not manage the members of {unit.code}.", code="permission_denied")
    return [locked[unit.pk] for unit in units]


def _locked_membership(membership: Membership) -> Membership:
    found = Membership.objects.select_for_update(of=("self",)).select_related("user", "role", "unit").filter(pk=membership.pk).first()
    if found is None:
        raise MembershipError("Thành viên này không còn trong đơn vị.", "This membership no longer exists.", code="gone")
    return found


def _unique(write, account, unit: OrgUnit, role: Role):
    """Run ``write``, or refuse when the account already holds this role in the unit (the unique
    constraint decides, also against a write that did not come through here)."""
    try:
        with transaction.atomic():
            return write()
    except IntegrityError as error:
        if "orgtree_membership_unique" not in str(error):
            raise
        raise _duplicate(account, unit, role) from None


def _create(account, unit: OrgUnit, role: Role, title: str = "") -> Membership:
    return _unique(lambda: Membership.objects.create(user=account, unit=unit, role=role, title=title), account, unit, role)


def _duplicate(account, unit: OrgUnit, role: Role) -> MembershipError:
    return MembershipError(
        f"{account.get_username()} đã có vai trò “{role.name}” ở {unit.name}.",
        f"{account.get_username()} already holds the role “{role.name_en or role.name}” in {unit.code}.",
        code="duplicate",
    )


def _keep_a_manager(membership: Membership, user) -> None:
    """Refuse when ``user`` would drop their own last hold of "manage" on the unit and leave it
    with nobody to manage its members."""
    if membership.user_id != user.pk or MANAGE not in membership.role.actions:
        return
    others = Membership.objects.filter(unit_id=membership.unit_id, role__actions__contains=[MANAGE]).exclude(pk=membership.pk)
    if not others.exists():
        raise MembershipError(
            "Bạn là người duy nhất quản lý đơn vị này: hãy giao vai trò quản lý cho người khác trước khi bỏ vai trò của mình.",
            "You are the only one who manages this unit: give the managing role to someone else before giving up yours.",
            code="last_manager",
        )


def _new_account(username: str, full_name: str):
    """A new active account and its one-time random password (only its hash is kept)."""
    User = get_user_model()
    full_name = " ".join(full_name.split())
    if not full_name:
        raise MembershipError("Phải ghi họ và tên của người dùng mới.", "The new user's full name is required.",
                              code="required")
    try:
        User.username_validator(username)
    except ValidationError:
        raise MembershipError(
            "Tên đăng nhập chỉ gồm chữ cái, chữ số và các ký tự @ . + - _ (không dấu cách).",
            "A username may contain only letters, digits and @ . + - _ (no spaces).", code="invalid_username",
        ) from None
    if User.objects.filter(username__iexact=username).exists():
        raise MembershipError(f"Tên đăng nhập “{username}” đã có người dùng.", f"The username “{username}” is taken.",
                              code="username_taken")
    # The given name last, as in Vietnamese (Cà Văn Thắng: given name Thắng), as the demo users.
    *family, given = full_name.split()
    password = secrets.token_urlsafe(12)
    account = User.objects.create_user(username, password=password, first_name=given[:150],
                                       last_name=" ".join(family)[:150])
    return account, password


def add_member(unit: OrgUnit, *, user, role: Role, username: str, full_name: str = "", new_account: bool = False,
               title: str = "") -> tuple[Membership, str | None]:
    """Give ``role`` in ``unit`` to the active account ``username``, or to a new account (then the
    second value is its one-time password, to show once)."""
    username = (username or "").strip()
    if not username:
        raise MembershipError("Phải ghi tên đăng nhập.", "A username is required.", code="required")
    with transaction.atomic(), _audited(user):
        [unit] = _locked_units(user, unit)
        password = None
        if new_account:
            account, password = _new_account(username, full_name)
        else:
            account = get_user_model().objects.filter(username=username, is_active=True).first()
            if account is None:
                raise MembershipError(f"Không có tài khoản “{username}”.", f"No account named “{username}”.",
                                      code="no_account")
        return _create(account, unit, role, title.strip()), password


def change_role(membership: Membership, *, user, role: Role) -> Membership:
    with transaction.atomic(), _audited(user):
        _locked_units(user, OrgUnit(pk=membership.unit_id))
        membership = _locked_membership(membership)
        if membership.role_id == role.pk:
            return membership
        if MANAGE not in role.actions:
            _keep_a_manager(membership, user)
        membership.role = role
        _unique(lambda: membership.save(update_fields=["role"]), membership.user, membership.unit, role)
        return membership


def remove_member(membership: Membership, *, user) -> None:
    with transaction.atomic(), _audited(user):
        _locked_units(user, OrgUnit(pk=membership.unit_id))
        membership = _locked_membership(membership)
        _keep_a_manager(membership, user)
        membership.delete()


def carry_over(membership: Membership, successor: OrgUnit, *, user) -> Membership:
    """The same role for the same person in a successor of the membership's ended unit; the old
    membership stays (it is the unit's history). ``user`` must manage both units."""
    with transaction.atomic(), _audited(user):
        unit, successor = _locked_units(user, OrgUnit(pk=membership.unit_id), successor)
        membership = _locked_membership(membership)
        if not unit.has_ended:
            raise MembershipError(f"{unit.name} vẫn đang hoạt động: chỉ chuyển thành viên của đơn vị đã ngừng hoạt động.",
                                  f"{unit.code} is still active: only members of an ended unit are carried over.",
                                  code="not_ended")
        if not UnitSuccession.objects.filter(predecessor=unit, successor=successor).exists():
            raise MembershipError(f"{successor.name} không phải đơn vị kế tục của {unit.name}.",
                                  f"{successor.code} does not succeed {unit.code}.", code="not_successor")
        return _create(membership.user, successor, membership.role, membership.title)
