"""Last stage, bundle: write the output directory, every file whole or not at all.

Each file is written under a temporary name inside ``OUT`` and renamed into place, so a
full disk or a killed run never leaves a half-written file under a final name. Nothing is
written outside ``OUT``: names come from this module, never from log text.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from correlate.errors import OutputError
from correlate.i18n import Msg
from correlate.times import stamp

TIME_COLUMNS = ("local_time", "time")


def prepare(out: Path) -> Path:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            Msg(
                "{out}: cannot create the output directory: {reason}",
                out=out,
                reason=exc.strerror or exc,
            )
        ) from None
    if not os.access(out, os.W_OK):
        raise OutputError(Msg("{out}: output directory is not writable", out=out))
    clear_earlier(out)
    return out


# The names a bundle consists of, in the order they are written: report.html last, so
# its presence says the bundle is complete.
BUNDLE_FILES = (
    "timeline.parquet",
    "timeline.csv",
    "alignment.json",
    "episodes.json.gz",
    "summary.json",
    "report.html",
)
# Where the CLI keeps the traceback of an internal error (exit 70); an earlier run's goes
# with the earlier bundle, so it is never taken for this run's.
CRASH_FILE = "bsrcorr-crash.txt"


def clear_earlier(out: Path) -> None:
    """Remove an earlier run's bundle (only the names bsrcorr writes) before this run writes
    anything: if this run then fails half-way, no earlier file passes for one of its own,
    and the missing report.html says the bundle is incomplete."""
    try:
        # report.html first: an interrupted clean-up must not leave it beside older files
        for name in reversed(BUNDLE_FILES):
            (out / name).unlink(missing_ok=True)
        (out / CRASH_FILE).unlink(missing_ok=True)
        diagrams = out / "diagrams"
        if diagrams.is_dir():
            for pattern in ("episode-*.svg", "overview.svg", "*.dot", ".*.tmp"):
                for old in diagrams.glob(pattern):
                    old.unlink(missing_ok=True)
    except OSError as exc:
        raise OutputError(
            Msg(
                "{out}: cannot remove the earlier bundle: {reason}",
                out=out,
                reason=exc.strerror or exc,
            )
        ) from None


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
        raise OutputError(
            Msg("{path}: could not write: {reason}", path=path, reason=reason)
        ) from None


# Rows formatted and written to the CSV at a time: the text of the whole timeline's
# times at once would be half a gigabyte on a long capture.
CSV_SLICE = 250_000


def write_parquet(out: Path, timeline: pl.DataFrame) -> None:
    """``timeline.parquet``, always written: zstd at level 1, which on a gigabyte of logs
    writes in 2.7 s what level 3 (polars' default) writes in 3.7 s, the file 13% larger
    (bench/README.md, "Parquet")."""
    _atomic(
        out / "timeline.parquet",
        lambda p: timeline.write_parquet(
            p, compression="zstd", compression_level=1, statistics=False
        ),
    )


def write_csv(out: Path, timeline: pl.DataFrame) -> None:
    """``timeline.csv``, only when asked (``--csv``): at a gigabyte of logs the CSV alone
    costs more than parsing them."""
    times = [stamp(c).alias(c) for c in TIME_COLUMNS if c in timeline.columns]

    def write(path: Path) -> None:
        with open(path, "wb") as fh:
            if timeline.height == 0:
                timeline.with_columns(times).write_csv(fh)
            for i, part in enumerate(timeline.iter_slices(CSV_SLICE)):
                part.with_columns(times).write_csv(fh, include_header=i == 0)

    _atomic(out / "timeline.csv", write)


def json_text(data: Any) -> str:
    """JSON for people and programs: the top level indented, each element of a top-level
    list on its own line. Compact records also keep the fast C encoder in use (an indented
    dump of a long capture's hundred thousand records takes half a minute)."""
    if not isinstance(data, dict):
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    parts = []
    for key, value in data.items():
        if isinstance(value, list) and value:
            items = ",\n".join("    " + json.dumps(v, ensure_ascii=False) for v in value)
            text = f"[\n{items}\n  ]"
        else:
            text = json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  ")
        parts.append(f"  {json.dumps(key, ensure_ascii=False)}: {text}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def write_json(out: Path, name: str, data: Any) -> None:
    def write(p: Path) -> None:
        with open(p, "w", encoding="utf-8") as fh:
            fh.write(json_text(data))

    _atomic(out / name, write)


def write_text(out: Path, name: str, text: str) -> None:
    def write(p: Path) -> None:
        with open(p, "w", encoding="utf-8") as fh:
            fh.write(text)

    _atomic(out / name, write)


def write_json_gz(out: Path, name: str, data: Any) -> None:
    """JSON, gzip-compressed (level 6; no time in the header: the same bytes each run)."""
    payload = gzip.compress(json.dumps(data, ensure_ascii=False).encode("utf-8"), 6, mtime=0)

    def write(p: Path) -> None:
        with open(p, "wb") as fh:
            fh.write(payload)

    _atomic(out / name, write)
