"""Integrity of the organization tree's nested sets (lft/rght/depth/tree_id), checked in SQL.

Each check is one set-based query (self joins and window functions), so verifying the whole
country (~65,000 units) takes well under a second and no Python walk over the rows. Together the
checks prove that lft/rght are exactly the nested-set numbering of the parent pointers: values
1..2n without gaps or overlaps, every node inside its parent, and the children of every node
tiling its interval in order (so no node hides inside an interval it does not belong to).
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from orgtree.models import OrgUnit

EXAMPLES_PER_CHECK = 20


@dataclass(frozen=True)
class TreeProblem:
    check: str
    tree_id: int | None
    unit_id: int | None
    unit_code: str
    detail: str
    total: int  # how many rows this check found (only the first few are listed)


# name, Vietnamese + English description, SQL returning (tree_id, unit_id, unit_code, detail).
# {t} is the unit table.
CHECKS = [
    ("bounds", "lft phải nhỏ hơn rght và rght - lft phải lẻ / lft < rght and rght - lft odd",
     """SELECT tree_id, id, code, format('lft=%%s rght=%%s', lft, rght) FROM {t}
        WHERE lft >= rght OR (rght - lft) %% 2 = 0"""),
    ("root", "gốc phải có depth = 0 và lft = 1 / a root has depth 0 and lft 1",
     """SELECT tree_id, id, code, format('depth=%%s lft=%%s', depth, lft) FROM {t}
        WHERE parent_id IS NULL AND (depth <> 0 OR lft <> 1)"""),
    ("one_root", "mỗi cây có đúng một gốc / each tree has exactly one root",
     """SELECT tree_id, NULL::bigint, '', format('%%s roots', count(*) FILTER (WHERE parent_id IS NULL))
        FROM {t} GROUP BY tree_id HAVING count(*) FILTER (WHERE parent_id IS NULL) <> 1"""),
    ("parent", "nằm trong khoảng của đơn vị cấp trên, cùng tree_id, depth = depth cấp trên + 1 / "
               "nested in the parent, same tree_id, depth = parent depth + 1",
     """SELECT c.tree_id, c.id, c.code,
               format('lft=%%s rght=%%s depth=%%s tree=%%s; parent %%s: lft=%%s rght=%%s depth=%%s tree=%%s',
                      c.lft, c.rght, c.depth, c.tree_id, p.code, p.lft, p.rght, p.depth, p.tree_id)
        FROM {t} c JOIN {t} p ON p.id = c.parent_id
        WHERE c.tree_id <> p.tree_id OR c.lft <= p.lft OR c.rght >= p.rght OR c.depth <> p.depth + 1"""),
    ("siblings", "các đơn vị con lấp kín khoảng của cấp trên theo thứ tự / "
                 "children tile their parent's interval in order",
     """SELECT tree_id, id, code, format('lft=%%s rght=%%s, expected lft=%%s rght=%%s',
                                         lft, rght, coalesce(prev_rght, parent_lft) + 1,
                                         coalesce(next_lft, parent_rght) - 1)
        FROM (SELECT c.tree_id, c.id, c.code, c.lft, c.rght, p.lft AS parent_lft, p.rght AS parent_rght,
                     lag(c.rght) OVER siblings AS prev_rght, lead(c.lft) OVER siblings AS next_lft
              FROM {t} c JOIN {t} p ON p.id = c.parent_id
              WINDOW siblings AS (PARTITION BY c.parent_id ORDER BY c.lft)) AS s
        WHERE lft <> coalesce(prev_rght, parent_lft) + 1 OR rght <> coalesce(next_lft, parent_rght) - 1"""),
    ("leaf", "đơn vị không có cấp dưới phải có rght = lft + 1 / a leaf has rght = lft + 1",
     """SELECT tree_id, id, code, format('lft=%%s rght=%%s', lft, rght) FROM {t} n
        WHERE rght <> lft + 1 AND NOT EXISTS (SELECT 1 FROM {t} c WHERE c.parent_id = n.id)"""),
    ("sequence", "các giá trị lft, rght của một cây là đúng 1..2n (không hở, không trùng) / "
                 "a tree's lft and rght values are exactly 1..2n (no gaps or overlaps)",
     """SELECT DISTINCT ON (tree_id) tree_id, NULL::bigint, '',
               format('value #%%s is %%s', position, value)
        FROM (SELECT tree_id, value, row_number() OVER (PARTITION BY tree_id ORDER BY value) AS position
              FROM (SELECT tree_id, lft AS value FROM {t} UNION ALL SELECT tree_id, rght FROM {t}) AS v) AS n
        WHERE value <> position
        ORDER BY tree_id, position"""),
]


def check_tree() -> list[TreeProblem]:
    """Every problem found in every tree; an empty list means the trees are sound."""
    problems = []
    table = connection.ops.quote_name(OrgUnit._meta.db_table)
    with connection.cursor() as cursor:
        for name, _description, sql in CHECKS:
            cursor.execute(f"SELECT *, count(*) OVER () FROM ({sql.format(t=table)}) AS found LIMIT %s",
                           [EXAMPLES_PER_CHECK])
            problems += [TreeProblem(name, *row) for row in cursor.fetchall()]
    return problems


def tree_summary() -> tuple[int, int]:
    """(number of trees, number of units)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(DISTINCT tree_id), count(*) FROM {connection.ops.quote_name(OrgUnit._meta.db_table)}")
        return cursor.fetchone()
