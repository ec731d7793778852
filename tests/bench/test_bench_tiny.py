"""`make bench` at the tiny scale, as `make test` runs it, so that the bench cannot rot.

It runs in a subprocess, as `python -m bench` does: the bench makes, migrates and drops its own
database (<name>_bench_tiny beside DATABASE_URL's), which must not mix with the test database.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

from bench.core import load_figures

REPO = Path(__file__).resolve().parents[2]
FEWER_QUERIES = ("listing", "permission")  # ours must beat the naive walk on query count


def test_tiny_bench_measures_every_figure(tmp_path):
    output = tmp_path / "results.json"
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--scale", "tiny", "--output", str(output)],
        cwd=REPO, env=os.environ.copy(), capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stderr[-4000:]

    results = json.loads(output.read_text())
    assert results["scale"] == "tiny"
    assert results["units"]["total"] > 0
    figures = {fig["figure"]: fig for fig in results["figures"]}
    assert set(figures) == {fig.name for fig in load_figures()}
    for name, fig in figures.items():
        assert fig["ours"] > 0 and fig["naive"] > 0 and fig["ratio"] > 0, name
        assert fig["queries"]["ours"] > 0 and fig["queries"]["naive"] > 0, name
    for name in FEWER_QUERIES:
        assert figures[name]["queries"]["ours"] < figures[name]["queries"]["naive"], name
    assert "listing" in run.stdout  # the table was printed
