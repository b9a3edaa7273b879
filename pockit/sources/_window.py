"""Which billing rows a window and an owner take, and how much of each (polars expressions).

A charge that straddles the window counts in proportion to its time overlap (linear proration:
cost × overlap / charge period). A charge with an empty period (an instant) counts fully when its
instant falls in the window.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from pockit.sources._frame import tag_filter

if TYPE_CHECKING:
    import polars as pl


def window_filter(start: datetime, end: datetime) -> pl.Expr:
    """Rows whose charge period overlaps [start, end) (instants inside it included)."""
    import polars as pl

    s, e = pl.lit(start), pl.lit(end)
    overlaps = (pl.col("charge_start") < e) & (pl.col("charge_end") > s)
    instant = (
        (pl.col("charge_start") == pl.col("charge_end"))
        & (pl.col("charge_start") >= s)
        & (pl.col("charge_start") < e)
    )
    return overlaps | instant


def overlap_fraction(start: datetime, end: datetime) -> pl.Expr:
    """Share of each row's charge period that lies inside [start, end)."""
    import polars as pl

    s, e = pl.lit(start), pl.lit(end)
    lo = pl.max_horizontal(pl.col("charge_start"), s)
    hi = pl.min_horizontal(pl.col("charge_end"), e)
    span = (pl.col("charge_end") - pl.col("charge_start")).dt.total_microseconds()
    inside = (hi - lo).dt.total_microseconds().clip(lower_bound=0)
    return pl.when(span > 0).then(inside / span).otherwise(pl.lit(1.0))


def select_rows(
    billing: pl.LazyFrame,
    *,
    start: datetime,
    end: datetime,
    tags: Mapping[str, str] | None = None,
    resource_ids: Sequence[str] = (),
) -> pl.LazyFrame:
    """The billing rows of a window, tags (all must match) and resource ids, with ``fraction``/``attributed``."""
    import polars as pl

    lf = billing.filter(window_filter(start, end))
    if tags:
        lf = lf.filter(tag_filter(tags))
    if resource_ids:
        lf = lf.filter(pl.col("resource_id").is_in(list(resource_ids)))
    frac = overlap_fraction(start, end)
    return lf.with_columns(frac.alias("fraction"), (pl.col("cost") * frac).alias("attributed"))


def owner_filter(tags: Mapping[str, str], resource_ids: Sequence[str]) -> pl.Expr:
    """Rows carrying every tag and, when given, one of the resource ids (time not considered)."""
    import polars as pl

    expr = pl.lit(True)
    if tags:
        expr = expr & tag_filter(tags)
    if resource_ids:
        expr = expr & pl.col("resource_id").is_in(list(resource_ids))
    return expr


def hourly_split(rows: pl.DataFrame, start: datetime, end: datetime) -> pl.DataFrame:
    """Attributed cost per clock hour (``hour``, ``cost``), each row spread over the hours it overlaps.

    A row's attributed cost is its cost × overlap / charge period, so each clock hour of the overlap
    with [start, end) gets cost × overlap-in-hour / charge period: a prorated daily row lands in the
    window's hours, not at midnight, and the hours sum to the total. An instant counts in its hour.
    ``hour`` is the clock hour, or the window's start for a first hour the window enters midway,
    so every key lies inside [start, end).
    """
    import polars as pl

    if rows.height == 0:
        return pl.DataFrame(schema={"hour": pl.Datetime("us", "UTC"), "cost": pl.Float64})
    s, e = pl.lit(start), pl.lit(end)
    lo = pl.max_horizontal(pl.col("charge_start"), s)
    hi = pl.min_horizontal(pl.col("charge_end"), e)
    one_h = pl.duration(hours=1)
    spread = (
        rows.select(pl.col("attributed"), lo.alias("lo"), hi.alias("hi"))
        .with_columns(
            pl.datetime_ranges(
                pl.col("lo").dt.truncate("1h"),
                pl.max_horizontal(pl.col("hi"), pl.col("lo") + pl.duration(microseconds=1)),
                interval="1h",
                closed="left",
            ).alias("hour")
        )
        .explode("hour")
    )
    inside = (
        pl.min_horizontal(pl.col("hi"), pl.col("hour") + one_h)
        - pl.max_horizontal(pl.col("lo"), pl.col("hour"))
    ).dt.total_microseconds()
    span = (pl.col("hi") - pl.col("lo")).dt.total_microseconds()
    share = pl.when(span > 0).then(inside.clip(lower_bound=0) / span).otherwise(pl.lit(1.0))
    return (
        spread.with_columns((pl.col("attributed") * share).alias("cost"))
        .group_by(pl.max_horizontal(pl.col("hour"), s).alias("hour"))
        .agg(pl.col("cost").sum())
        .sort("hour")
    )
