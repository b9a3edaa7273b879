"""The load tests' fixtures (a spec pointing at the demo service), shared here."""

from __future__ import annotations

from tests.load.conftest import make_spec

__all__ = ["make_spec"]
