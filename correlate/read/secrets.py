"""Read stage, secrets: values that must never leave the bundle, masked as they are read.

A config's ``shared-secret`` (quoted or not, in ``.res`` files and ``bsradm dump`` /
``drbdadm dump`` output), a logged command line's ``--shared-secret=...``, a LINSTOR
``linstor.toml`` database password: whatever the collector masked, the run masks again,
on every text it reads (log messages, CLI logs, config), so that no output (report, SVG,
Parquet, JSON, CSV, ``--timeline``) can hold one. Masking at the read stage is the one
place every later byte passes through.

The rule is a key followed by a value: the key words of :data:`_KEYS`, then ``=``, ``:``
or blanks, then a value (quoted, or up to a blank, ``;`` or ``,``). The value becomes
:data:`MASK`; the key stays, so a reader still sees that a secret was set.
"""

from __future__ import annotations

import re

import polars as pl

MASK = "********"
_KEYS = r"shared-secret|shared_secret|secret|password|passwd|passphrase"
# Rust regex (polars) and Python's re read this the same way.
PATTERN = (
    r"(?i)((?:" + _KEYS + r")[\"']?(?:\s*[=:]\s*|\s+))"
    r"(\"[^\"]*\"|'[^']*'|[^\s;,\"']+)"
)
_RE = re.compile(PATTERN)
# A cheap test first: the masking regex runs only on the few rows that hold one of the
# keys' stems. One case-insensitive alternation is one pass (0.02 s on 34 MB of BSR log,
# measured); seven literal tests were 2-10x that.
_SUSPECT = r"(?i)secret|passw|passphrase"


def mask_text(text: str) -> str:
    """``text`` with every secret value masked."""
    return _RE.sub(lambda m: m.group(1) + MASK, text)


def mask_column(frame: pl.DataFrame, column: str = "message") -> pl.DataFrame:
    """``frame`` with its ``column``'s secret values masked (a new frame; the same one
    when no row holds a secret's key word)."""
    if frame.height == 0 or column not in frame.columns:
        return frame
    col = pl.col(column)
    suspect = col.str.contains(_SUSPECT)
    if not frame.select(suspect.any()).item():
        return frame
    return frame.with_columns(
        pl.when(suspect)
        .then(col.str.replace_all(PATTERN, "${1}" + MASK))
        .otherwise(col)
        .alias(column)
    )
