"""The worked example's locustfile: shoppers browse, look at items and sometimes check out.

An ordinary Locust file, nothing pockit-specific: copy it as the start of your own. pockit runs it
unchanged against each candidate's ``host`` and records every request beside it.
"""

from __future__ import annotations

import random

from locust import FastHttpUser, between, task


class Shopper(FastHttpUser):
    """A shopper who mostly browses and sometimes buys."""

    wait_time = between(0.05, 0.15)

    @task(5)
    def browse(self) -> None:
        self.client.get("/api/items")

    @task(3)
    def view_item(self) -> None:
        # one request name for every id, so the report has one row for it, not a thousand
        self.client.get(f"/api/items/{random.randint(1, 1000)}", name="/api/items/{id}")

    @task(1)
    def checkout(self) -> None:
        items = [
            {"id": random.randint(1, 1000), "qty": random.randint(1, 3)}
            for _ in range(random.randint(1, 4))
        ]
        self.client.post("/api/checkout", json={"items": items})
