"""Stage 4, timeline: every node's rows on one clock, in true order.

Input: the per-node entries (or events) frames and, per node, an ``offset_s`` expression
source (piecewise offsets from the align stage). Output: the timeline frame, the entries
columns plus

* ``offset_s`` f64: the offset applied to this row (node clock minus reference clock);
  null when the node could not be aligned and keeps its own clock;
* ``time`` datetime[ns]: ``local_time - offset_s``, the row on the reference clock.

Rows are sorted on the aligned clock, ties by node (in SRC order) and then by the node's
own order (file, line, entry), which is counter order. A node's own rows never change
order among themselves: its counter is the truth about its own sequence, so the sort key
is the running maximum of its aligned time.
"""

from __future__ import annotations

import polars as pl


def merge(frames: list[pl.DataFrame], node_order: list[str]) -> pl.DataFrame:
    """Concatenate nodes' frames (``time`` and ``offset_s`` already set) and sort."""
    rank = {name: i for i, name in enumerate(node_order)}
    merged = pl.concat(frames, how="vertical_relaxed")
    key = (
        pl.col("time")
        .forward_fill()
        .backward_fill()
        .cum_max()
        .over("node", order_by=["file_index", "line", "entry"])
    )
    merged = merged.with_columns(
        _key=key,
        _rank=pl.col("node").replace_strict(rank, return_dtype=pl.UInt32),
    )
    return merged.sort(
        ["_key", "_rank", "file_index", "line", "entry"], nulls_last=True, maintain_order=True
    ).drop("_key", "_rank")


def unaligned(frame: pl.DataFrame) -> pl.DataFrame:
    """A node on its own clock: ``time`` equals ``local_time``, ``offset_s`` is null."""
    return frame.with_columns(
        offset_s=pl.lit(None, pl.Float64),
        time=pl.col("local_time"),
    )
