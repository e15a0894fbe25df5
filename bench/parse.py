"""Benchmark of the parse stage: read and parse every node of a capture and write the
entries as Parquet, beside a Perl scan of the same files, measured in pairs.

    .venv/bin/python bench/parse.py                        # 2 x 500 MB (built once)
    .venv/bin/python bench/parse.py --size-mb 50 --runs 3  # a quick look
    .venv/bin/python bench/parse.py --compression zstd
    .venv/bin/python bench/parse.py --before main          # also the parser of git main

Each run times, one after the other on the same files (page cache warmed first):

* ``perl -ne 'print if /\\[TWOPC:/'`` over every file (the yardstick);
* a child process that resolves the nodes, runs ``parse_node`` on each, then writes each
  node's entries as Parquet (``statistics=False``, the columns the timeline stores as
  categories cast to ``Categorical``); it reports its own read+parse and Parquet times,
  and its peak RSS comes from ``wait4``;
* with ``--before REV``, the same child with ``correlate/read/bsr.py`` taken from git REV.

Runs alternate (perl, parse, [before], perl, parse, ...), so a machine that slows down
during the call slows every contender alike; each ratio is taken within its run, and
the table gives medians. Not a test: nothing passes or fails.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))


def load_parser(rev: str | None):
    """``correlate.read.bsr``, or the module as it was at git ``rev`` (imported as a
    sibling module of the package, so that its relative imports resolve)."""
    if rev is None:
        from correlate.read import bsr as parse

        return parse
    import importlib.util

    from old_paths import alias_flat_names

    alias_flat_names()  # the revision's relative imports of modules that moved since

    # The BSR reader is correlate/read/bsr.py since the package was laid out by stage,
    # correlate/parse.py before: a revision is read at whichever path it has.
    for path in ("correlate/read/bsr.py", "correlate/parse.py"):
        shown = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{rev}:{path}"], capture_output=True, text=True
        )
        if shown.returncode == 0:
            break
    else:
        raise SystemExit(f"bench: no BSR reader at revision {rev}")
    text = shown.stdout
    tmp = Path(tempfile.mkdtemp(prefix="bsrcorr-parse-"))
    path = tmp / "parse_before.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("correlate._parse_before", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    shutil.rmtree(tmp, ignore_errors=True)
    return module


def child(data: Path, out: Path, compression: str, rev: str | None) -> dict:
    """What the parent times in a process of its own."""
    # correlate first: it sets polars' allocator (correlate/__init__.py) before polars loads.
    importlib.import_module("correlate")
    import polars as pl

    from correlate.cluster.timeline import CATEGORICAL
    from correlate.errors import Notices
    from correlate.read.sources import resolve

    parser = load_parser(rev)
    t0 = time.perf_counter()
    notices = Notices()
    nodes = resolve([str(data / "node0"), str(data / "node1")], notices)
    parsed = [parser.parse_node(node, notices) for node in nodes]
    t1 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    for node in parsed:
        # The columns timeline.parquet stores as categories, as far as the entries hold them.
        few = [c for c in node.frame.columns if c in CATEGORICAL]
        frame = node.frame.with_columns(pl.col(few).cast(pl.Categorical))
        frame.write_parquet(out / f"{node.name}.parquet", compression=compression, statistics=False)
    t2 = time.perf_counter()
    return {
        "read_parse_s": t1 - t0,
        "parquet_s": t2 - t1,
        "rows": sum(node.rows for node in parsed),
        "parquet_bytes": sum(p.stat().st_size for p in out.glob("*.parquet")),
    }


def run_child(
    data: Path, out: Path, compression: str, rev: str | None, malloc_conf: str | None
) -> dict:
    """The child's own figures plus its wall time, CPU time and peak RSS (``wait4``:
    this child's rusage alone, not that of every child so far)."""
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(data), str(out)]
    cmd += ["--compression", compression] + (["--before", rev] if rev else [])
    env = dict(os.environ)
    if malloc_conf is not None:
        # polars' allocator reads it once, at start-up; correlate/__init__.py sets its own
        # only when the environment has none.
        env["_RJEM_MALLOC_CONF"] = malloc_conf
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    assert proc.stdout is not None
    output = proc.stdout.read()
    proc.stdout.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise click.ClickException(f"child failed: {' '.join(cmd)}")
    return {
        **json.loads(output),
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "sys_s": usage.ru_stime,
        "peak_rss_bytes": usage.ru_maxrss * 1024,
    }


def time_perl(files: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        ["perl", "-ne", "print if /\\[TWOPC:/", *files], stdout=subprocess.DEVNULL, check=True
    )
    return time.perf_counter() - t0


def ensure_data(data: Path, size_mb: int) -> None:
    if (data / "node1" / "bsr.log").exists():
        return
    import build

    click.echo(f"building 2 x {size_mb} MB in {data} ...", err=True)
    shutil.rmtree(data, ignore_errors=True)
    build.build(data, size_mb)


def median(values: list[float]) -> float:
    return statistics.median(values)


@click.command()
@click.option("--size-mb", default=500, show_default=True, help="MB of log per node")
@click.option("--data", type=click.Path(path_type=Path), default=None, help="data directory")
@click.option("--runs", default=5, show_default=True, help="paired runs")
@click.option(
    "--compression",
    type=click.Choice(["lz4", "zstd", "snappy", "uncompressed"]),
    default="lz4",
    show_default=True,
)
@click.option("--before", "rev", default=None, help="also time correlate/read/bsr.py of git REV")
@click.option(
    "--malloc-conf",
    default=None,
    help="also time the parse with this _RJEM_MALLOC_CONF (polars' allocator) instead of "
    "bsrcorr's own (correlate/__init__.py)",
)
@click.option("--child", "child_args", nargs=2, type=click.Path(path_type=Path), hidden=True)
def main(
    size_mb: int,
    data: Path | None,
    runs: int,
    compression: str,
    rev: str | None,
    malloc_conf: str | None,
    child_args: tuple[Path, Path] | None,
) -> None:
    if child_args:
        click.echo(json.dumps(child(child_args[0], child_args[1], compression, rev)))
        return
    data = data or HERE / "data" / f"{size_mb}mb"
    ensure_data(data, size_mb)
    files = sorted(str(p) for node in ("node0", "node1") for p in (data / node).iterdir())
    size = sum(Path(f).stat().st_size for f in files)
    for f in files:  # warm the page cache: every contender reads from memory
        Path(f).read_bytes()
    out = HERE / "out" / "parse"
    # (name, git revision of parse.py or None for the working tree, allocator setting)
    contenders: list[tuple[str, str | None, str | None]] = [("after", None, None)]
    if rev:
        contenders.append((f"before ({rev})", rev, None))
    if malloc_conf is not None:
        contenders.append((f"after, _RJEM_MALLOC_CONF={malloc_conf}", None, malloc_conf))
    rows: list[dict] = []
    for i in range(runs):
        row: dict = {"perl_s": time_perl(files)}
        for k, (name, which, conf) in enumerate(contenders):
            row[name] = run_child(data, out / str(k), compression, which, conf)
        rows.append(row)
        shown = ", ".join(
            f"{name} {row[name]['read_parse_s']:.2f} + {row[name]['parquet_s']:.2f} s"
            for name, _, _ in contenders
        )
        click.echo(f"run {i + 1}: perl {row['perl_s']:.2f} s, {shown}", err=True)
    perl = median([r["perl_s"] for r in rows])
    lines = [
        f"Input: {len(files)} files, {size / 2**20:,.0f} MiB; {runs} paired runs, medians; "
        f"Parquet {compression}, statistics off; {os.cpu_count()} CPUs.",
        "",
        "| what | time | x Perl (per run, median) |",
        "|---|---|---|",
        f"| `perl -ne 'print if /\\[TWOPC:/'` | {perl:.2f} s | 1 |",
    ]
    result: dict = {"files": len(files), "input_bytes": size, "perl_s": perl, "runs": rows}
    for name, _, _ in contenders:

        def med(key: str, name: str = name) -> float:
            return median([r[name][key] for r in rows])

        def ratio(key: str, name: str = name) -> float:
            return median([r[name][key] / r["perl_s"] for r in rows])

        both = median([(r[name]["read_parse_s"] + r[name]["parquet_s"]) for r in rows])
        both_ratio = median(
            [(r[name]["read_parse_s"] + r[name]["parquet_s"]) / r["perl_s"] for r in rows]
        )
        lines += [
            f"| {name}: read + parse, both nodes | {med('read_parse_s'):.2f} s "
            f"| {ratio('read_parse_s'):.2f} |",
            f"| {name}: + entries as Parquet | {both:.2f} s | {both_ratio:.2f} |",
            f"| {name}: whole child process (start-up, imports) | {med('wall_s'):.2f} s "
            f"| {ratio('wall_s'):.2f} |",
        ]
        result[name] = {
            "read_parse_s": med("read_parse_s"),
            "parse_parquet_s": both,
            "ratio_parse": ratio("read_parse_s"),
            "ratio_parse_parquet": both_ratio,
            "wall_s": med("wall_s"),
            "cpu_s": med("cpu_s"),
            "sys_s": med("sys_s"),
            "peak_rss_bytes": max(r[name]["peak_rss_bytes"] for r in rows),
            "parquet_bytes": rows[-1][name]["parquet_bytes"],
        }
    lines.append("")
    for name, _, _ in contenders:
        rss = result[name]["peak_rss_bytes"]
        lines.append(
            f"{name}: peak RSS {rss / 2**20:,.0f} MiB ({rss / size:.2f}x the input), "
            f"CPU {result[name]['cpu_s']:.1f} s (system {result[name]['sys_s']:.1f} s), "
            f"Parquet {result[name]['parquet_bytes'] / 2**20:,.0f} MiB."
        )
    text = "\n".join(lines)
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / "parse.md").write_text(text + "\n")
    (HERE / "out" / "parse.json").write_text(json.dumps(result, indent=2) + "\n")
    click.echo(text)


if __name__ == "__main__":
    main()
