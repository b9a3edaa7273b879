"""The demo's locustfile: an ordinary user locustfile, used by ``pockit demo`` exactly as a user's own.

Shoppers browse the catalogue, look at single items, open their account page and sometimes check
out. One account visit in ten comes from an expired session: the service answers 401, which the
shopper expects (so Locust counts it a success) and pockit counts as a deny (``denied_rate``).
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
        self.client.get(f"/api/items/{random.randint(1, 1000)}", name="/api/items/{id}")

    @task(1)
    def account(self) -> None:
        expired = random.random() < 0.1
        headers = {} if expired else {"Authorization": "Bearer demo"}
        with self.client.get("/api/account", headers=headers, catch_response=True) as resp:
            if expired and resp.status_code == 401:
                resp.success()

    @task(1)
    def checkout(self) -> None:
        items = [
            {"id": random.randint(1, 1000), "qty": random.randint(1, 3)}
            for _ in range(random.randint(1, 4))
        ]
        self.client.post("/api/checkout", json={"items": items})
