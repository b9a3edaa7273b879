"""The numpy arrays that ``run_stats`` and ``timeline`` both work on, derived once per frame.

Polars holds the samples; the exact radix select (:mod:`pockit.analysis._select`) wants flat
numpy arrays. Turning a 10M-row frame into those (success mask, latencies, endpoint codes,
start times) costs a few passes over memory each, so a
:class:`SampleArrays` computes each array on first use and keeps it; ``Samples.arrays()`` keeps
one per loaded frame, so statistics and timeline share them.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import numpy.typing as npt

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

#: Label of requests whose ``name`` is null (what ``str(None)`` gave before).
NULL_NAME = "None"


class SampleArrays:
    """Lazily derived numpy views of a clean samples frame (see the module docstring)."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame
        self.n = frame.height

    @cached_property
    def ok(self) -> npt.NDArray[np.bool_]:
        """Success mask, one per row."""
        import numpy as np

        if self.n == 0:
            return np.zeros(0, dtype=bool)
        return self.frame["ok"].fill_null(False).to_numpy().astype(bool, copy=False)

    @cached_property
    def failed(self) -> npt.NDArray[np.bool_]:
        """``~ok``, kept: error counts per endpoint and per bucket both use it."""
        return ~self.ok

    @cached_property
    def n_ok(self) -> int:
        import numpy as np

        return int(np.count_nonzero(self.ok))

    @cached_property
    def all_ok(self) -> bool:
        return self.n_ok == self.n

    @cached_property
    def _raw_latency(self) -> npt.NDArray[np.float64]:
        import numpy as np
        import polars as pl

        if self.n == 0:
            return np.zeros(0, dtype=np.float64)
        lat = self.frame["latency_ms"].cast(pl.Float64).to_numpy()  # null -> NaN
        return np.ascontiguousarray(lat, dtype=np.float64)

    @cached_property
    def latency_known(self) -> npt.NDArray[np.bool_]:
        """Rows whose latency is a response time (finite, non-negative; null/NaN/inf/<0 are not)."""
        import numpy as np

        raw = self._raw_latency
        with np.errstate(invalid="ignore"):
            return np.isfinite(raw) & (raw >= 0)

    @cached_property
    def measured(self) -> npt.NDArray[np.bool_]:
        """Successful requests with a known latency: what latency percentiles are over."""
        return self.ok & self.latency_known

    @cached_property
    def n_measured(self) -> int:
        import numpy as np

        return int(np.count_nonzero(self.measured))

    @cached_property
    def all_measured(self) -> bool:
        return self.n_measured == self.n

    @cached_property
    def latency(self) -> npt.NDArray[np.float64]:
        """Latency of every row; 0 where unknown, so mask with :attr:`measured` (the radix select
        needs finite, non-negative values everywhere)."""
        import numpy as np

        raw = self._raw_latency
        if bool(self.latency_known.all()):
            return raw
        return np.where(self.latency_known, raw, 0.0)

    @cached_property
    def names(self) -> tuple[npt.NDArray[np.int64], list[str], npt.NDArray[np.int64]]:
        """Endpoint code per row (dense-ish, from 0), the name of each code, and rows per code.

        Categorical codes are used as they are (no string work per row); a code's name is read
        from one row that has it. Codes that are far apart are renumbered densely first.
        """
        import numpy as np
        import polars as pl

        if self.n == 0:
            return np.zeros(0, dtype=np.int64), [], np.zeros(0, dtype=np.int64)
        col = self.frame["name"]
        if not (col.dtype == pl.Categorical or isinstance(col.dtype, pl.Enum)):
            col = col.cast(pl.String).cast(pl.Categorical)
        phys = col.to_physical()
        lo_v, hi_v = phys.min(), phys.max()
        lo = int(lo_v) if isinstance(lo_v, int) else 0
        hi = int(hi_v) if isinstance(hi_v, int) else -1
        if phys.null_count():
            hi += 1  # nulls get a code of their own
            phys = phys.fill_null(hi)
        codes = phys.to_numpy().astype(np.int64)  # int64: bincount is several times faster
        if lo:
            codes -= lo
        counts = np.bincount(codes, minlength=hi - lo + 1)
        present = np.flatnonzero(counts)
        if counts.size > max(64, 4 * present.size):  # sparse codes: renumber densely
            dense = np.zeros(counts.size, dtype=np.int64)
            dense[present] = np.arange(present.size)
            codes = dense[codes]
            counts = counts[present]
            present = np.arange(present.size)
        # one row per code, found in a growing prefix (all codes usually show up early)
        witness: dict[int, int] = {}
        start, step = 0, 1 << 16
        while len(witness) < present.size and start < codes.size:
            seen, first = np.unique(codes[start : start + step], return_index=True)
            for c, i in zip(seen.tolist(), first.tolist(), strict=True):
                witness.setdefault(c, start + i)
            start, step = start + step, step * 4
        rows = [witness[c] for c in present.tolist()]
        got = col.gather(rows).cast(pl.String).to_list()
        labels = [""] * counts.size
        for c, v in zip(present.tolist(), got, strict=True):
            labels[c] = NULL_NAME if v is None else str(v)
        return codes, labels, counts

    @cached_property
    def t_start_ns(self) -> npt.NDArray[np.int64]:
        """Start time of every row, integer nanoseconds since the epoch (UTC)."""
        import numpy as np
        import polars as pl

        if self.n == 0:
            return np.zeros(0, dtype=np.int64)
        col = self.frame["t_start"].cast(pl.Datetime("ns", "UTC")).to_physical()
        return np.ascontiguousarray(col.to_numpy(), dtype=np.int64)
