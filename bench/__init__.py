"""`make bench`: measurements of the platform beside a naive way of doing the same thing.

``python -m bench [--scale full|tiny] [--output bench/results.json] [--keep]`` creates its own
database (``<name>_bench`` on the server of DATABASE_URL), migrates it, loads the country's tree
from the real legacy unit data, runs every registered figure, prints a table, writes the results
as JSON and drops the database.

A figure is one function registered with ``@figure`` (see ``bench.core``) in a module listed in
``bench.__main__.FIGURE_MODULES``; it returns ``Comparison`` of ours and the naive way.
"""
