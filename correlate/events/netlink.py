"""Stage 2b, netlink: bsradm/bsrsetup commands, received lines paired with terminated ones.

One rule for every command (a status poll as much as an operator's ``primary``): a
termination closes the oldest open receipt of its command on its own thread; when its
thread has none open, the oldest open receipt of that command on the thread that first had
one open. BSR logs each command's receipt and termination on the worker thread that ran
it, so the second half only matters for logs that lost or reordered lines.

Columnar first: within each (thread, command) the k-th termination goes with the k-th
receipt, which is the rule exactly as long as no termination finds its thread empty. The
few commands where one does (an "orphan" termination) are paired by walking their lines in
Python with the rule as stated. Status polls (``GET_*``: monitoring asks every few seconds,
a tenth of a busy log) that terminated stay a frame (:data:`POLL_COLUMNS`, counted, not
listed); every other command, and a poll that never terminated, becomes a
:class:`~correlate.model.NetlinkCommand`.

Input frame columns: ``row``, ``file``, ``line``, ``seq``, ``local_ns``, ``message``,
``thread``, ``kind`` (``netlink_received``/``netlink_done``), ``f:command``, ``f:number``,
``f:pending`` (strings, from the catalog's fields).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import polars as pl

from correlate.events.catalog_bsr import STATUS_POLL_PREFIX
from correlate.model import NetlinkCommand, Ref

KINDS = ("netlink_received", "netlink_done")
POLL_COLUMNS = {
    "command": pl.String,
    "number": pl.Int64,
    "thread": pl.String,
    "pending": pl.Int64,
    "received_row": pl.UInt32,
    "received_file": pl.String,
    "received_line": pl.UInt32,
    "received_seq": pl.Int64,
    "received_ns": pl.Int64,
    "done_row": pl.UInt32,
    "done_file": pl.String,
    "done_line": pl.UInt32,
    "done_seq": pl.Int64,
    "done_ns": pl.Int64,
    "duration_ms": pl.Float64,
}
PAIR_COLUMNS = {**POLL_COLUMNS, "received_message": pl.String, "done_message": pl.String}


def is_poll(command: str) -> bool:
    """A read-only status query (``GET_*``), as monitoring issues every few seconds."""
    return command.startswith(STATUS_POLL_PREFIX)


def pair(node: str, lines: pl.DataFrame) -> tuple[pl.DataFrame, list[NetlinkCommand]]:
    """Terminated status polls (one row each, :data:`POLL_COLUMNS`) and every other
    command as a record, in the node's order."""
    if lines.height == 0:
        return pl.DataFrame(schema=POLL_COLUMNS), []
    for name in ("f:number", "f:pending"):
        if name not in lines.columns:  # only one of the two kinds present
            lines = lines.with_columns(pl.lit(None, pl.String).alias(name))
    received = pl.col("kind") == "netlink_received"
    on = ["thread", "command"]
    lines = (
        lines.sort("row")
        .with_columns(
            command=pl.col("f:command").fill_null("?").str.strip_prefix("BSR_ADM_"),
            number=pl.col("f:number").cast(pl.Int64, strict=False),
            pending=pl.col("f:pending").cast(pl.Int64, strict=False),
        )
        .with_columns(
            _open=received.cast(pl.UInt32).cum_sum().over(on),
            _done=(~received).cast(pl.UInt32).cum_sum().over(on),
        )
    )
    orphans = lines.filter(~received & (pl.col("_done") > pl.col("_open")))["command"].unique()
    walk = lines.filter(pl.col("command").is_in(orphans.implode()))
    lines = lines.filter(~pl.col("command").is_in(orphans.implode()))

    def side(name: str) -> list[pl.Expr]:
        return [
            pl.col("row").alias(f"{name}_row"),
            pl.col("file").cast(pl.String).alias(f"{name}_file"),
            pl.col("line").alias(f"{name}_line"),
            pl.col("seq").alias(f"{name}_seq"),
            pl.col("local_ns").alias(f"{name}_ns"),
            pl.col("message").alias(f"{name}_message"),
        ]

    starts = lines.filter(received).select(
        "thread", "command", pl.col("_open").alias("_k"), "number", *side("received")
    )
    ends = lines.filter(~received).select(
        "thread", "command", pl.col("_done").alias("_k"), "pending", *side("done")
    )
    paired = starts.join(ends, on=[*on, "_k"], how="left", nulls_equal=True).drop("_k")
    if walk.height:
        paired = pl.concat([paired, _walk(walk)], how="diagonal_relaxed")
    paired = paired.sort("received_row").with_columns(
        number=pl.col("number").fill_null(-1),
        duration_ms=(pl.col("done_ns") - pl.col("received_ns")).cast(pl.Float64) / 1e6,
    )
    # A status poll that terminated is counted, not a record: one record each would bury
    # the commands an operator typed.
    polls = pl.col("command").str.starts_with(STATUS_POLL_PREFIX) & pl.col("done_row").is_not_null()
    terminated = paired.filter(polls).select(list(POLL_COLUMNS)).cast(POLL_COLUMNS)
    commands = [_record(node, r) for r in paired.filter(~polls).iter_rows(named=True)]
    return terminated, commands


def _walk(lines: pl.DataFrame) -> pl.DataFrame:
    """The rule as stated, line by line, for the commands the columnar pairing cannot
    take (few: only where a termination found its own thread with nothing open)."""
    queues: dict[tuple[str | None, str], list[dict[str, Any]]] = defaultdict(list)
    out: list[dict[str, Any]] = []
    for r in lines.iter_rows(named=True):
        if r["kind"] == "netlink_received":
            rec = {"thread": r["thread"], "command": r["command"], "number": r["number"]}
            rec.update(_side_values("received", r))
            queues[(r["thread"], r["command"])].append(rec)
            out.append(rec)
            continue
        queue = queues.get((r["thread"], r["command"])) or next(
            (q for (_, c), q in queues.items() if c == r["command"] and q), None
        )
        if queue:
            rec = queue.pop(0)
            rec["pending"] = r["pending"]
            rec.update(_side_values("done", r))
    return pl.DataFrame(out, schema={k: v for k, v in PAIR_COLUMNS.items() if k != "duration_ms"})


def _side_values(name: str, r: dict[str, Any]) -> dict[str, Any]:
    return {
        f"{name}_row": r["row"],
        f"{name}_file": r["file"],
        f"{name}_line": r["line"],
        f"{name}_seq": r["seq"],
        f"{name}_ns": r["local_ns"],
        f"{name}_message": r["message"],
    }


def _record(node: str, r: dict[str, Any]) -> NetlinkCommand:
    return NetlinkCommand(
        node,
        r["command"],
        r["number"],
        poll_ref(node, r, "received", r["received_message"] or ""),
        poll_ref(node, r, "done", r["done_message"] or "") if r["done_row"] is not None else None,
        r["pending"],
        r["thread"],
    )


def poll_ref(node: str, poll: dict[str, Any], name: str = "received", message: str = "") -> Ref:
    """The line of a paired command row (``received`` or ``done``)."""
    return Ref(
        node,
        poll[f"{name}_row"],
        poll[f"{name}_file"],
        poll[f"{name}_line"],
        poll[f"{name}_seq"],
        poll[f"{name}_ns"],
        message,
        100,  # netlink lines are BSR's
    )
