"""The bench's table on the terminal and its machine-readable JSON."""
from __future__ import annotations

import json
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from bench.core import FigureResult

REPO = Path(__file__).resolve().parent.parent


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def duration(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:,.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:,.2f} ms"
    return f"{seconds * 1e6:,.0f} µs"


def table(results: list[FigureResult]) -> str:
    header = ("figure", "ours", "naive", "ratio", "queries ours/naive")
    rows = [
        (r.figure, duration(r.ours), duration(r.naive), f"{r.ratio:,.1f}x", f"{r.queries['ours']:,} / {r.queries['naive']:,}")
        for r in results
    ]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(row):
        return "  ".join(str(cell).ljust(width) if i == 0 else str(cell).rjust(width) for i, (cell, width) in enumerate(zip(row, widths)))

    out = [line(header), "  ".join("-" * w for w in widths), *map(line, rows)]
    notes = [f"  {r.figure}: {r.title}. {r.note}" for r in results]
    loads = [line for r in results if "pages" in r.extra for line in ["", *load_table(r)]]
    return "\n".join(out + ["", "ratio = naive time / ours (how many times faster ours is).", *notes, *loads])


def load_table(result: FigureResult) -> list[str]:
    """The load figure's rows, one per page, as the README's Markdown table."""
    out = [f"{result.figure}: {result.extra['users']} users, {result.extra['seconds']} s, "
           f"{result.extra['workers']} gunicorn workers",
           "| page | requests/s | p50 | p95 | p99 | queries |", "|---|---|---|---|---|---|"]
    for page in result.extra["pages"]:
        queries = page["queries_min"] if page["queries_min"] == page["queries_max"] else f"{page['queries_min']}–{page['queries_max']}"
        out.append(f"| {page['page']} | {page['rps']:,.1f} | {page['p50_ms']:,.0f} ms | {page['p95_ms']:,.0f} ms "
                   f"| {page['p99_ms']:,.0f} ms | {queries} |")
    return out


def document(results: list[FigureResult], *, scale: str, units: dict, database: str) -> dict:
    return {
        "scale": scale,
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "database": database,
        "units": units,
        "figures": [r.as_dict() for r in results],
    }


def write(path: Path, doc: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
