"""``python -m bench [--scale full|tiny] [--only FIGURE ...] [--output bench/results.json] [--keep]``"""
from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

from bench import database
from bench.core import FigureResult, load_figures
from bench.report import REPO, document, table, write
from bench.scales import SCALES


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="full",
                        help="full: the whole country (~65,000 units); tiny: part of one province, a few seconds")
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "results.json")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--only", action="append", metavar="FIGURE",
                        help="measure only this figure (repeatable); the tree is still loaded, unmeasured")
    return parser.parse_args(argv)


def setup_django(url: str) -> None:
    """Point Django at the bench database, then set it up and migrate it."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mttq_platform.settings")
    # WhiteNoise warns that collectstatic has not run; pages are measured without their assets.
    warnings.filterwarnings("ignore", message="No directory at")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


TREE_FIGURE = "load_tree"  # the first figure: it loads the tree that the others read


def selected(figures, only):
    """The figures named by ``--only`` (all when none), in registration order."""
    if not only:
        return figures
    unknown = set(only) - {fig.name for fig in figures}
    if unknown:
        raise SystemExit(f"bench: unknown figure(s) {', '.join(sorted(unknown))}; "
                         f"known: {', '.join(fig.name for fig in figures)}")
    return [fig for fig in figures if fig.name in only]


def load_tree_unmeasured(ctx) -> None:
    """What the load figure leaves behind, for a run that does not measure it."""
    from bench.context import CODE_SET
    from orgtree.importers import import_units

    import_units(ctx.rows, code_set=CODE_SET)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mttq_platform import embedded  # starts the embedded PostgreSQL when DATABASE_URL is unset

    url = database.bench_url(embedded.ensure_database_url(), args.scale)
    name = database.database_name(url)
    log(f"bench: scale {args.scale}, database {name} (fresh)")
    database.recreate(url)
    try:
        setup_django(url)
        from bench.context import BenchContext  # imports models: only after set-up

        ctx = BenchContext(SCALES[args.scale])
        figures = selected(load_figures(), args.only)
        if figures[0].name != TREE_FIGURE:
            log("bench: loading the tree (unmeasured) ...")
            load_tree_unmeasured(ctx)
        results = []
        for fig in figures:
            log(f"bench: {fig.name} ...")
            started = time.perf_counter()
            results.append(FigureResult.of(fig.name, fig.title, fig.run(ctx)))
            log(f"bench: {fig.name} done in {time.perf_counter() - started:.1f} s")
        print(table(results))
        write(args.output, document(results, scale=args.scale, units=ctx.unit_counts(), database=name))
        log(f"bench: results written to {args.output}")
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep:
            log(f"bench: database {name} kept")
        else:
            database.drop(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
