"""Read stage, side rows: what a row of a log beside the driver's (a CLI log, an event
log) holds in the columns only a driver line fills: no counter, no epoch, no BSR
template, no object prefix. Each side reader gives its own columns and takes these for
the rest, so every side frame has :data:`correlate.schema.ENTRY_COLUMNS` with one dtype.
"""

from __future__ import annotations

import polars as pl

SECOND_NS = 1_000_000_000


def defaults(file: str, file_index: int, rows: int, first_line: int = 1) -> dict[str, pl.Expr]:
    """The columns a side log does not write, for a file of ``rows`` rows whose first row
    is physical line ``first_line`` (2 for a CSV under its header)."""
    return {
        "file": pl.lit(file, pl.String),
        "file_index": pl.lit(file_index, pl.UInt32),
        "line": pl.int_range(first_line, rows + first_line, dtype=pl.UInt32),
        "entry": pl.lit(0, pl.UInt32),
        "seq": pl.lit(None, pl.Int64),
        "epoch": pl.lit(None, pl.UInt32),
        "category": pl.lit(None, pl.String),
        "index": pl.lit(None, pl.Int32),
        "object": pl.lit("none"),
        "resource": pl.lit(None, pl.String),
        "volume": pl.lit(None, pl.Int32),
        "minor": pl.lit(None, pl.Int32),
        "peer_id": pl.lit(None, pl.Int32),
        "peer_host": pl.lit(None, pl.String),
        "object_state": pl.lit(None, pl.String),
        "cut": pl.lit(False),
        "lost_before": pl.lit(0, pl.Int64),
        "time_res_ns": pl.lit(SECOND_NS, pl.Int64),  # both write whole seconds
        "cause": pl.lit(None, pl.String),
    }
