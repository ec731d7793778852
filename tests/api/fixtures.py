"""One tree per test module instead of one per test.

Building the tree (16 units, 10 users with hashed passwords) takes seconds; the isolation matrix
alone has hundreds of cases. The tree is built once per module inside a transaction that is rolled
back at the module's end; each test still runs in its own savepoint, so what a test writes is
undone after it. Not for transactional tests (a worker thread cannot see uncommitted rows).
"""
import pytest
from django.db import transaction
from django.test import override_settings

from tests.conftest import build_tree


@pytest.fixture(scope="module")
def module_tree(django_db_setup, django_db_blocker):
    # The per-test fast hasher (tests/conftest.py) is not active yet in a module fixture.
    fast_hashing = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), transaction.atomic(), fast_hashing:
        yield build_tree()
        transaction.set_rollback(True)


@pytest.fixture
def tree(module_tree, db):
    """Overrides the per-test ``tree`` of tests/conftest.py where imported."""
    return module_tree
