"""Locust users for bench/bench_person_page.py: township operators who sign
in once and then open person pages of their township, with a think time of
1–3 s. A static file fetched now and then through the same server is the
baseline in the same run.

Settings come from the environment the benchmark sets: BENCH_PERSON_PKS (a
file of person ids), BENCH_USERNAME, BENCH_PASSWORD, BENCH_WARMUP.
"""

import os
import random

import gevent
from locust import HttpUser, between, events, task

with open(os.environ["BENCH_PERSON_PKS"]) as fh:
    PKS = [int(x) for x in fh.read().split()]
WARMUP = float(os.environ.get("BENCH_WARMUP", "60"))


@events.test_start.add_listener
def _reset_after_warmup(environment, **kwargs):
    """Sign-ins (argon2, deliberately slow) all happen in the first seconds
    and saturate the server: the figures count from WARMUP seconds on, when
    every user is signed in and only browsing."""
    gevent.spawn_later(WARMUP, environment.runner.stats.reset_all)


class TownshipOperator(HttpUser):
    wait_time = between(1, 3)

    def on_start(self):
        self.client.get("/accounts/login/", name="login page")
        token = self.client.cookies.get("csrftoken", "")
        resp = self.client.post(
            "/accounts/login/",
            {
                "username": os.environ["BENCH_USERNAME"],
                "password": os.environ["BENCH_PASSWORD"],
                "csrfmiddlewaretoken": token,
            },
            headers={"Referer": f"{self.host}/accounts/login/"},
            name="login",
        )
        if "/accounts/login/" in resp.url:
            raise RuntimeError("benchmark login failed")

    @task(10)
    def person_page(self):
        with self.client.get(f"/registry/persons/{random.choice(PKS)}/", name="person page", catch_response=True) as r:
            if r.status_code != 200 or 'data-testid="id-masked"' not in r.text:
                r.failure(f"status {r.status_code}")

    @task(1)
    def static_file(self):
        self.client.get("/static/css/app.css", name="static file")
