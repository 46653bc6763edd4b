"""Locust users of ``bench/bench_load.py``: stylists browsing, reviewers approving.

Not run on its own: ``bench_load.py`` writes the users (signed-in sessions, their
clients or drafts) to the JSON file in ``BENCH_LOAD_USERS`` and starts locust on
this file. Each locust user takes the next signed-in account from that file, so
50 locust users are 50 concurrent sessions. Requests are named by page, which is
how the summary groups them.
"""

from __future__ import annotations

import json
import os
import random

from locust import HttpUser, between, task

with open(os.environ["BENCH_LOAD_USERS"]) as f:
    ACCOUNTS = json.load(f)
STYLISTS = iter([a for a in ACCOUNTS if a["role"] == "stylist"])
REVIEWERS = iter([a for a in ACCOUNTS if a["role"] == "reviewer"])
CLIENTS = "/admin/customers/client/"
EMAILS = "/admin/emails/reengagementemail/"


def _why(response) -> str:
    """Say why a request failed: its status, or the connection error (status 0)."""
    if response.status_code:
        return f"HTTP {response.status_code}"
    return f"no response: {type(response.error).__name__}: {response.error}"


class SignedIn(HttpUser):
    abstract = True
    wait_time = between(0.5, 2.0)
    accounts = None

    def on_start(self) -> None:
        self.account = next(self.accounts)
        host = "127.0.0.1"
        self.client.cookies.set("sessionid", self.account["session"], domain=host)
        self.client.cookies.set("csrftoken", self.account["csrf"], domain=host)

    def get(self, url: str, name: str) -> None:
        with self.client.get(
            url, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(_why(response))


class Stylist(SignedIn):
    """Work through one's own book: the list, the at-risk, a client's page."""

    weight = 35
    accounts = STYLISTS

    @task(3)
    def client_list(self) -> None:
        self.get(CLIENTS, "stylist: client list")

    @task(2)
    def at_risk(self) -> None:
        self.get(f"{CLIENTS}?tier=at_risk", "stylist: tier filter at_risk")

    @task(1)
    def search(self) -> None:
        self.get(f"{CLIENTS}?q=smith", "stylist: search")

    @task(3)
    def client_page(self) -> None:
        pk = random.choice(self.account["clients"])
        self.get(f"{CLIENTS}{pk}/change/", "stylist: client page")

    @task(1)
    def orders(self) -> None:
        self.get("/admin/customers/order/", "stylist: order list")


class Reviewer(SignedIn):
    """Work the queue: the list, a draft beside its client, approve it."""

    weight = 15
    accounts = REVIEWERS

    @task(1)
    def queue(self) -> None:
        self.get(EMAILS, "reviewer: review queue")

    @task(2)
    def review_one(self) -> None:
        if not self.account["drafts"]:
            self.queue()
            return
        pk = self.account["drafts"].pop()
        self.get(f"{EMAILS}{pk}/change/", "reviewer: draft page")
        with self.client.post(
            f"{EMAILS}{pk}/approve/",
            name="reviewer: approve",
            headers={"X-CSRFToken": self.account["csrf"]},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            # Approved: back to the queue; refused or suppressed: to the draft.
            if response.status_code != 302 or not response.headers.get(
                "Location", ""
            ).endswith(EMAILS):
                response.failure(
                    f"HTTP {response.status_code} to {response.headers.get('Location')}"
                )
        self.get(EMAILS, "reviewer: review queue")
