"""Stage 3d, context logs: a BSR node's own host logs (``System/messages``, ``dmeg``,
``SystemLog.csv``) tied to the clock of its driver log.

The rule is the same line in two logs. BSR's driver writes each message at the event-log
level to its own ``bsr.log`` and again to the host's log: ``printk`` on Linux (the
kernel log, ``messages``, ``dmesg``), the System event log on Windows (``bsr_log.c``:
"object information and message only"). A host-log line that ends with a driver line's
whole message, where that message is logged once in each log (its last 32 characters
as the key), is the same line. For a log of wall-clock stamps, the zones of the two logs
differ by whole quarter hours (Linux's ``bsr.log`` is UTC+9, ``messages`` the host's zone),
so the shift is the quarter hour that puts the most pairs within 2 s of each other; for
boot-relative stamps (bare ``dmesg``), the pairs' median, kept only when they agree within
2 s. With no pair, a Windows event log keeps the driver's clock (both are the host's local
time), said as ``assumed``; any other log is ``untied`` and a warning says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

QUARTER_NS = 15 * 60 * 1_000_000_000
SLACK_NS = 2_000_000_000
KEY = 32
EPOCH_2000_NS = 946_684_800 * 1_000_000_000


@dataclass
class ContextClock:
    node: str
    files: list[str]
    shift_ns: int | None  # add to the log's stamps to get the driver's clock
    pairs: int  # lines found in both logs (within the slack under the shift)
    how: str  # "same lines", "assumed", "untied"


def _keyed(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    msg = pl.col("message").str.strip_chars()
    return (
        frame.select(
            msg.alias(f"{name}_msg"), pl.col("local_time").cast(pl.Int64).alias(f"{name}_ns")
        )
        .filter(pl.col(f"{name}_msg").str.len_chars() >= KEY, pl.col(f"{name}_ns").is_not_null())
        .with_columns(key=pl.col(f"{name}_msg").str.slice(-KEY))
        .filter(pl.len().over("key") == 1)
    )


def pairs(driver: pl.DataFrame, context: pl.DataFrame) -> pl.DataFrame:
    """``drv_ns``, ``ctx_ns`` of the lines both logs hold (see the module's rule)."""
    joined = _keyed(driver, "drv").join(_keyed(context, "ctx"), on="key", how="inner")
    return joined.filter(pl.col("ctx_msg").str.ends_with(pl.col("drv_msg"))).select(
        "drv_ns", "ctx_ns"
    )


def tie(
    node: str, files: list[str], driver: pl.DataFrame, context: pl.DataFrame, windows: bool
) -> ContextClock:
    found = pairs(driver, context)
    if found.height:
        diff = (found["drv_ns"] - found["ctx_ns"]).to_numpy()
        mono = bool(np.median(found["ctx_ns"].to_numpy()) < EPOCH_2000_NS)
        if mono:
            mid = int(np.median(diff))
            if np.all(np.abs(diff - mid) <= SLACK_NS):
                return ContextClock(node, files, mid, found.height, "same lines")
        else:
            q = np.round(diff / QUARTER_NS).astype(np.int64)
            ok = np.abs(diff - q * QUARTER_NS) <= SLACK_NS
            values, counts = np.unique(q[ok], return_counts=True)
            if values.size and (counts.size == 1 or np.sort(counts)[-2] < counts.max()):
                best = int(values[np.argmax(counts)])
                return ContextClock(node, files, best * QUARTER_NS, int(counts.max()), "same lines")
    if windows:
        return ContextClock(node, files, 0, 0, "assumed")
    return ContextClock(node, files, None, 0, "untied")
