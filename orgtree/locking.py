"""Serialize writes to the organization tree with PostgreSQL advisory locks, one per tree.

django-mptt shifts lft/rght of many rows on every insert or move; two such writes in one tree at
the same time corrupt it. A transaction-scoped advisory lock per tree_id (and one more for "a new
tree is being made", since mptt picks the next tree_id as max + 1) serializes them without
locking rows that readers use. Locks are taken in a fixed order so two moves never deadlock.
"""
from django.db import connection

# The first key of the two-key advisory lock: a constant that marks the organization tree.
TREE_LOCK_NAMESPACE = 0x4D545451  # "MTTQ"
NEW_TREE = 0  # mptt tree ids start at 1, so 0 stands for "a new tree"


def lock_trees(tree_ids) -> None:
    """Take the advisory lock of each tree (None = the new-tree lock) until the transaction ends."""
    keys = sorted({NEW_TREE if tree_id is None else int(tree_id) for tree_id in tree_ids})
    if not keys:
        return
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [TREE_LOCK_NAMESPACE, key])
