"""Concurrent writes to one tree: many threads create and move units at once, on a real database.

django-mptt shifts lft/rght of many rows on every insert and move; without the per-tree advisory
lock (orgtree.locking) two such writes interleave and corrupt the tree or lose a write. With it, the
tree afterwards is consistent, every created unit exists and every moved unit is under its new
parent.
"""
import functools
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import call_command
from django.db import connection

from orgtree.models import OrgUnit, UnitKind
from orgtree.services import create_unit, move_unit

THREADS = 16
CREATES_PER_THREAD = 4
# Parents the threads write under (fixture codes): both provinces and their districts, so inserts
# shift ranges all over the one tree (rooted at TW) and moves go both within and across provinces.
PARENTS = ["11", "094", "095", "01", "001"]


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
    # One unit per thread to move, made beforehand under Điện Biên (11 or 094); thread i moves
    # M<i> to 095 (same province) or to Hà Nội (01, 001).
    movers = [
        create_unit(code=f"M{i:02d}", name=f"Đơn vị chuyển {i}", kind=commune, parent=units[PARENTS[i % 2]]).code
        for i in range(THREADS)
    ]
    targets = {code: units[PARENTS[2 + i % 3]] for i, code in enumerate(movers)}

    def job(i):
        """Create units under several parents, with the thread's move in the middle."""
        made = []
        for j in range(CREATES_PER_THREAD):
            if j == CREATES_PER_THREAD // 2:
                move_unit(OrgUnit.objects.get(code=movers[i]), targets[movers[i]])
            parent = units[PARENTS[(i + j) % len(PARENTS)]]
            made.append(create_unit(code=f"N{i:02d}-{j}", name=f"Đơn vị mới {i}-{j}", kind=commune, parent=parent))
        return [(unit.code, unit.parent.code) for unit in made]

    results = run_together([functools.partial(job, i) for i in range(THREADS)])
    created = [pair for result in results for pair in result]

    call_command("check_tree")  # raises CommandError on any lft/rght/depth/tree_id problem

    assert len(created) == THREADS * CREATES_PER_THREAD
    stored = dict(OrgUnit.objects.filter(code__in=[code for code, _ in created]).values_list("code", "parent__code"))
    assert stored == dict(created), "a created unit is missing or under the wrong parent"

    for code, target in targets.items():
        moved = OrgUnit.objects.get(code=code)
        target = OrgUnit.objects.get(pk=target.pk)
        assert moved.parent_id == target.pk
        assert moved.is_within(target) and moved.depth == target.depth + 1
