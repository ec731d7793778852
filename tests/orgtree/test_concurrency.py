"""Concurrent writes to one tree: many threads create and move units at once, on a real database.

django-mptt shifts lft/rght of many rows on every insert and move; without the per-tree advisory
lock (orgtree.locking) two such writes interleave and corrupt the tree or lose a write. With it, the
tree afterwards is consistent, every created unit exists and every moved unit is under its new
parent.
"""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import call_command, get_commands
from django.db import connection

from orgtree.models import OrgUnit, UnitKind
from orgtree.services import create_unit, move_unit

THREADS = 16
CREATES_PER_THREAD = 4
# Parents the threads write under (fixture codes): both provinces and their districts, so inserts
# shift ranges on both sides of the tree and moves cross from one province to the other.
PARENTS = ["11", "094", "095", "01", "001"]

# One SQL query that lists what is wrong with the nested sets: a row that is not inside its parent's
# range or not one deeper, a tree whose lft/rght values are not exactly 1..2n, an empty range.
INTEGRITY_SQL = """
WITH bad_nodes AS (
    SELECT c.code FROM orgtree_orgunit c LEFT JOIN orgtree_orgunit p ON p.id = c.parent_id
    WHERE c.lft >= c.rght
       OR (c.parent_id IS NULL AND (c.lft <> 1 OR c.depth <> 0))
       OR (c.parent_id IS NOT NULL AND NOT (
              p.tree_id = c.tree_id AND p.lft < c.lft AND c.rght < p.rght AND c.depth = p.depth + 1))
), bounds AS (
    SELECT tree_id, lft AS v FROM orgtree_orgunit UNION ALL SELECT tree_id, rght FROM orgtree_orgunit
), bad_trees AS (
    SELECT 'tree ' || tree_id FROM bounds GROUP BY tree_id
    HAVING COUNT(*) <> COUNT(DISTINCT v) OR MIN(v) <> 1 OR MAX(v) <> COUNT(*)
)
SELECT * FROM bad_nodes UNION ALL SELECT * FROM bad_trees
"""


def nested_set_errors() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(INTEGRITY_SQL)
        return [row[0] for row in cursor.fetchall()]


def run_together(jobs):
    """Run the callables in threads released at once by a barrier; re-raise the first failure."""
    barrier = threading.Barrier(len(jobs))

    def run(job):
        try:
            barrier.wait()
            return job()
        finally:
            connection.close()  # each thread has its own connection: close it, or the DB is held

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return [future.result() for future in [pool.submit(run, job) for job in jobs]]


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_and_moves_keep_the_tree_consistent(transactional_tree):
    commune = UnitKind.objects.get(code="commune_committee")
    units = {code: transactional_tree[code] for code in PARENTS}
    # One unit per thread to move: made first, under the province it will leave.
    movers = [
        create_unit(code=f"M{i:02d}", name=f"Đơn vị chuyển {i}", kind=commune, parent=units[PARENTS[i % 2]])
        for i in range(THREADS)
    ]
    # Thread i moves M<i> to the other side of the tree: Điện Biên <-> Hà Nội districts.
    targets = {mover.code: units[PARENTS[2 + i % 3]] for i, mover in enumerate(movers)}

    def job(i):
        def work():
            made = []
            for j in range(CREATES_PER_THREAD):
                if j == CREATES_PER_THREAD // 2:
                    move_unit(OrgUnit.objects.get(code=movers[i].code), targets[movers[i].code])
                parent = units[PARENTS[(i + j) % len(PARENTS)]]
                made.append(create_unit(code=f"N{i:02d}-{j}", name=f"Đơn vị mới {i}-{j}", kind=commune, parent=parent))
            return [(unit.code, unit.parent.code) for unit in made]

        return work

    created = [pair for result in run_together([job(i) for i in range(THREADS)]) for pair in result]

    assert nested_set_errors() == []
    if "check_tree" in get_commands():
        call_command("check_tree")

    assert len(created) == THREADS * CREATES_PER_THREAD
    stored = dict(OrgUnit.objects.filter(code__in=[code for code, _ in created]).values_list("code", "parent__code"))
    assert stored == dict(created), "a created unit is missing or under the wrong parent"

    for code, target in targets.items():
        moved = OrgUnit.objects.get(code=code)
        target = OrgUnit.objects.get(pk=target.pk)
        assert moved.parent_id == target.pk
        assert moved.is_within(target) and moved.depth == target.depth + 1
