"""What the load figure's locust process does (``bench/load_figures.py`` starts it; not run alone).

Each simulated user is a cadre of one level (commune, district, province, central, in turn) and
goes round that level's pages with no pause: the unit home, the roll-up page and API, the plan page,
and the main API lists. Pages go with the user's session cookie, the API with their token. The
sessions, tokens and paths come from the JSON file named by ``BENCH_LOAD_PLAN``; the statistics are
kept per page (all levels together) and written by ``--csv``.
"""
import itertools
import json
import os
from pathlib import Path

from locust import FastHttpUser, constant, task

PLAN = json.loads(Path(os.environ["BENCH_LOAD_PLAN"]).read_text())
_turns = itertools.count()


class Cadre(FastHttpUser):
    wait_time = constant(0)

    def on_start(self):
        turn = next(_turns)
        self.persona = PLAN["personas"][turn % len(PLAN["personas"])]
        # Each user starts at a different page, so that a short run still reaches every page.
        pages = self.persona["pages"]
        start = 2 * turn % len(pages)
        self.pages = itertools.cycle(pages[start:] + pages[:start])
        self.headers = {
            "page": {"Cookie": f"sessionid={self.persona['session']}"},
            "api": {"Authorization": f"Token {self.persona['token']}"},
        }

    @task
    def next_page(self):
        page = next(self.pages)
        with self.client.get(page["path"], name=page["name"], headers=self.headers[page["kind"]],
                             allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{self.persona['level']} {page['path']}: HTTP {response.status_code}")
