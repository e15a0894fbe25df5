"""Benchmark: writing timeline.parquet under each compression setting, on a timeline a
run has written (``bench/run.py`` leaves one per capture in bench/out/bundle-*).

    .venv/bin/python bench/parquet.py                       # bench/out/bundle-steady
    .venv/bin/python bench/parquet.py bench/out/bundle-activity/timeline.parquet --runs 5

Reads the timeline once, then writes it with each setting ``--runs`` times (best time,
file size); bsrcorr writes zstd at level 1 (``render/bundle.write_parquet``). Not a test:
nothing passes or fails, the numbers go in bench/README.md.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import click
import polars as pl

HERE = Path(__file__).resolve().parent
SETTINGS = {
    "zstd level 3 (polars' default)": {"compression": "zstd"},
    "zstd level 1 (bsrcorr)": {"compression": "zstd", "compression_level": 1},
    "lz4": {"compression": "lz4"},
    "snappy": {"compression": "snappy"},
    "uncompressed": {"compression": "uncompressed"},
}


@click.command()
@click.argument(
    "timeline",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=HERE / "out" / "bundle-steady" / "timeline.parquet",
)
@click.option("--runs", default=3, show_default=True)
def main(timeline: Path, runs: int) -> None:
    frame = pl.read_parquet(timeline).rechunk()
    click.echo(f"{timeline}: {frame.height:,} rows, {frame.estimated_size() >> 20:,} MiB in memory")
    click.echo(f"| setting | write (best of {runs}) | file |\n|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.parquet"
        for name, kw in SETTINGS.items():
            best = float("inf")
            for _ in range(runs):
                t0 = time.perf_counter()
                frame.write_parquet(path, statistics=False, **kw)
                best = min(best, time.perf_counter() - t0)
            click.echo(f"| {name} | {best:.2f} s | {os.path.getsize(path) >> 20} MiB |")


if __name__ == "__main__":
    main()
