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


# ISO 8601's complete and reduced forms a person types: to the second, the minute, the day.
_ISO_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d")


def parse_iso(text: str) -> int:
    """``2020-10-26T16:24:42.7079617`` -> ns; also with a space for the ``T``, fewer
    fraction digits, or to the minute (``2020-10-26T16:40``) or the day (``2020-10-26``,
    midnight). No zone: the times it is compared with are a node's own clock. ASCII
    digits only; anything else is a ``ValueError``."""
    text = text.strip().replace(" ", "T")
    if not text.isascii():
        raise ValueError(text)
    date_part, dot, frac = text.partition(".")
    # A fraction only after seconds; the digits of the fraction, nothing else.
    if dot and not frac.isdigit():
        raise ValueError(text)
    for fmt in _ISO_FORMATS[:1] if dot else _ISO_FORMATS:
        try:
            stamp = _dt.datetime.strptime(date_part, fmt)
            break
        except ValueError:
            continue
    else:
        raise ValueError(text)
    secs = int((stamp - _EPOCH).total_seconds())
    return secs * NS + int((frac + "000000000")[:9] if frac else "0")
