"""Time helpers shared by the stages: formatting in Python for the few protocol
events, and the same format as a polars expression for whole columns.

Outside polars, times are integers: nanoseconds since 1970-01-01 on the clock they were
read from (naive: BSR writes no zone). Python ``datetime`` holds only microseconds, and
BSR writes 100 ns, so it is never used for values that are shown or compared.
"""

from __future__ import annotations

import datetime as _dt
import functools

import polars as pl

NS = 1_000_000_000
_EPOCH = _dt.datetime(1970, 1, 1)


def fmt_ns(ns: int | None, sep: str = "T") -> str | None:
    """``1603729482707961700`` -> ``2020-10-26T16:24:42.7079617`` (100 ns, as BSR writes)."""
    if ns is None:
        return None
    secs, frac = divmod(int(ns), NS)
    return f"{_stamp(secs, sep)}.{frac // 100:07d}"


@functools.lru_cache(maxsize=65536)
def _stamp(secs: int, sep: str) -> str:
    # Lines come many to a second: format each second once.
    stamp = _EPOCH + _dt.timedelta(seconds=secs)
    return f"{stamp:%Y-%m-%d}{sep}{stamp:%H:%M:%S}"


def stamp(col: str, sep: str = "T") -> pl.Expr:
    """A datetime column as :func:`fmt_ns` writes it, ``YYYY-MM-DDTHH:MM:SS.fffffff``
    (``sep`` between date and time): the 100 ns the log had, no more (truncated, as
    ``fmt_ns``). Years have four digits here (parse keeps 1678-2261)."""
    return pl.col(col).dt.strftime(f"%Y-%m-%d{sep}%H:%M:%S%.9f").str.slice(0, 27)


def fmt_clock(ns: int | None) -> str:
    """Time of day only, for dense listings: ``16:24:42.7079617``."""
    text = fmt_ns(ns, sep=" ")
    return "-" if text is None else text.split(" ", 1)[1]


def parse_iso(text: str) -> int:
    """``2020-10-26T16:24:42.7079617`` (or with a space, or fewer digits) -> ns."""
    text = text.strip().replace(" ", "T")
    date_part, _, frac = text.partition(".")
    stamp = _dt.datetime.strptime(date_part, "%Y-%m-%dT%H:%M:%S")
    secs = int((stamp - _EPOCH).total_seconds())
    digits = (frac + "000000000")[:9] if frac else "0"
    return secs * NS + int(digits)
