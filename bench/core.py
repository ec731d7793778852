"""What a figure is, how it is measured, and the registry the runner walks.

A figure compares ours with a naive way of doing the same thing. Adding one is one function::

    @figure("Permission check at commune depth")
    def permission(ctx: BenchContext) -> Comparison:
        user, commune = ctx.province_user, ctx.commune
        ours, naive = compare(  # measures both and checks they answer the same
            "permission", lambda: can(user, "view", commune), lambda: walk_up_can_view(user, commune), ctx.repeat
        )
        return Comparison(ours, naive, note="can() vs walking up parents")

Figures run in registration order (FIGURE_MODULES, then order in the module), in one process,
against the bench database; the first one loads the tree that the others read.
"""
from __future__ import annotations

import importlib
import statistics
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

from django.db import connection, transaction


@dataclass
class Measurement:
    """Median wall time of ``runs`` runs and the queries one run makes."""

    seconds: float
    queries: int
    runs: int
    extrapolated_from: int | None = None  # measured on this many items, scaled to the full count
    result: object = field(default=None, repr=False)  # what the function returned (first run)

    def scaled(self, factor: float, sample_size: int) -> "Measurement":
        return Measurement(self.seconds * factor, round(self.queries * factor), self.runs, sample_size)


class QueryCounter:
    """Counts the queries run on a connection (``connection.execute_wrapper``).

    Django's CaptureQueriesContext reads a bounded query log (9,000 entries, so a naive load's
    ~12,000 queries would be miscounted) that a test Client request also clears; a wrapper around
    every execution has neither limit, and runs no SQL logging.
    """

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def measure(fn: Callable[[], object], repeat: int) -> Measurement:
    """Time ``fn``: one run to count queries (and warm caches), then ``repeat`` timed runs.

    With ``repeat=1`` (operations too big or not repeatable, such as a load), the one run is both
    timed and counted. ``result`` is what the first run returned.
    """
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        result = fn()
        first = time.perf_counter() - started
    if repeat <= 1:
        return Measurement(first, counter.count, 1, result=result)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return Measurement(statistics.median(times), counter.count, repeat, result=result)


class BenchError(Exception):
    """Ours and the naive way disagree: the comparison would be meaningless."""


def compare(figure_name: str, ours, naive, repeat: int, key=lambda result: result) -> tuple[Measurement, Measurement]:
    """Measure both ways and check that they gave the same answer (by ``key`` of the results)."""
    ours_m, naive_m = measure(ours, repeat), measure(naive, repeat)
    if key(ours_m.result) != key(naive_m.result):
        raise BenchError(f"{figure_name}: ours and naive give different answers")
    return ours_m, naive_m


def rolled_back(fn):
    """``fn`` run in a transaction that is rolled back, so it leaves the database as it was."""

    def run():
        with transaction.atomic():
            result = fn()
            transaction.set_rollback(True)
        return result

    return run


@dataclass
class Comparison:
    ours: Measurement
    naive: Measurement
    note: str = ""
    extra: dict = field(default_factory=dict)  # figure-specific numbers (units/s, sample size...)


@dataclass
class FigureResult:
    figure: str
    title: str
    unit: str
    ours: float
    naive: float
    ratio: float  # naive / ours: how many times faster ours is
    queries: dict
    runs: dict
    note: str
    extra: dict

    @classmethod
    def of(cls, name: str, title: str, comparison: Comparison) -> "FigureResult":
        ours, naive = comparison.ours, comparison.naive
        return cls(
            figure=name,
            title=title,
            unit="s",
            ours=ours.seconds,
            naive=naive.seconds,
            ratio=naive.seconds / ours.seconds if ours.seconds else float("inf"),
            queries={"ours": ours.queries, "naive": naive.queries},
            runs={"ours": ours.runs, "naive": naive.runs, "naive_extrapolated_from": naive.extrapolated_from},
            note=comparison.note,
            extra=comparison.extra,
        )

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Figure:
    name: str
    title: str
    run: Callable[["object"], Comparison]


FIGURES: list[Figure] = []

# Modules whose @figure functions the bench runs, in this order (the first one loads the tree).
# A later issue adds its figures in its own module and one line here.
FIGURE_MODULES = ["bench.orgtree_figures", "bench.plans_figures", "bench.reviews_figures",
                  "bench.sync_figures", "bench.load_figures"]


def load_figures() -> list[Figure]:
    """Import the figure modules (after Django is set up) and return the registered figures."""
    for module in FIGURE_MODULES:
        importlib.import_module(module)
    return FIGURES


def figure(title: str):
    """Register the decorated ``fn(ctx) -> Comparison`` as a figure named after the function."""

    def register(fn):
        FIGURES.append(Figure(fn.__name__, title, fn))
        return fn

    return register
