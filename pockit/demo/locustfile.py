"""The demo's locustfile: an ordinary user locustfile, used by ``pockit demo`` exactly as a user's own.

Shoppers browse the catalogue, look at single items and sometimes check out.
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
    def checkout(self) -> None:
        items = [
            {"id": random.randint(1, 1000), "qty": random.randint(1, 3)}
            for _ in range(random.randint(1, 4))
        ]
        self.client.post("/api/checkout", json={"items": items})
