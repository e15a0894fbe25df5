"""Benchmark: what the BSR parse's per-row safety checks cost in its streaming pass.

    .venv/bin/python bench/parse_checks.py                  # bench/data/500mb/node0, 6 files
    .venv/bin/python bench/parse_checks.py DIR --files 6 --runs 4

Runs the streaming pass of ``correlate.read.bsr`` (the row columns ``_row_columns``
computes, collected by polars' streaming engine) over the first FILES files of DIR, with
every check and with each left out: the ASCII test (``len_bytes == len_chars``), the
layout regex, the CR/NUL debris test, the `` [`` count that finds glued entries. Prints
the best and the median of RUNS. An ablation, not a variant of the parser: a pass
without a check is not a correct parse. Not a test: the numbers go in README.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import click
import polars as pl

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from correlate.read import bsr  # noqa: E402
from correlate.read.sources import LogFile  # noqa: E402

TEXT = pl.col("text")
VARIANTS = [(), ("ascii",), ("layout",), ("dirty",), ("brackets",), ("ascii", "brackets", "dirty")]


def _pass(log: LogFile, drop: tuple[str, ...]) -> pl.DataFrame:
    key_cats, minute_cats = pl.Categories.random(), pl.Categories.random()
    ok = TEXT.str.contains(bsr._LAYOUT_8)
    if "ascii" not in drop:
        ok = ok & (TEXT.str.len_bytes() == TEXT.str.len_chars())
    if "layout" in drop:
        ok = pl.lit(True)
    dirty = pl.lit(False) if "dirty" in drop else TEXT.str.contains_any(["\r", "\x00"])
    rows = bsr.scan_lines(log).with_columns(entry=pl.lit(0, pl.UInt32), _dirty=dirty, _ok=ok)
    rows = bsr._row_columns(rows, 8, key_cats, minute_cats)
    keep = ["line", "entry", "text", "_dirty", "_ok", "_key", "_minute", "_secs", "seq"]
    keep += ["_off", "_p3", "_px", "_end"] + ([] if "brackets" in drop else ["_brackets"])
    frame = rows.select(keep).collect(engine="streaming")
    frame.select(TEXT.str.len_bytes().max(), pl.col("_dirty").any())
    return frame


@click.command()
@click.argument(
    "folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=HERE / "data" / "500mb" / "node0",
)
@click.option("--files", default=6, show_default=True)
@click.option("--runs", default=4, show_default=True)
def main(folder: Path, files: int, runs: int) -> None:
    logs = [LogFile(str(p), path=p, size=p.stat().st_size) for p in sorted(folder.iterdir())]
    logs = logs[:files]
    mib = sum(lg.size for lg in logs) / 2**20
    click.echo(f"{len(logs)} files, {mib:.0f} MiB; best and median of {runs} runs")
    click.echo("| left out | best | median |\n|---|---|---|")
    for drop in VARIANTS:
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            for log in logs:
                _pass(log, drop)
            times.append(time.perf_counter() - t0)
        name = ", ".join(drop) or "nothing (every check)"
        click.echo(f"| {name} | {min(times):.3f} s | {statistics.median(times):.3f} s |")


if __name__ == "__main__":
    main()
