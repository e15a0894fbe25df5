"""Benchmark: bsrcorr on a two-node capture of about 2 x SIZE MB, beside what a shell user
runs today, in one go.

    .venv/bin/python bench/run.py                # 2 x 500 MB (built once, kept in bench/data)
    .venv/bin/python bench/run.py --size-mb 50   # a quick look

Measures, on the same files, each command's wall time (best of --repeat for the shell
tools, whose times are short and noisy): ``wc -l``, ``grep '[TWOPC:'``, a Perl scan for the
TWOPC lines, and the whole ``bsrcorr`` run to a finished bundle (with its peak RSS from
``wait4``). Writes the results as a Markdown table to stdout and to bench/out/results.md,
and as JSON to bench/out/results.json. Not a test: nothing here passes or fails, the
numbers go in README.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import click

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import build  # noqa: E402

BSRCORR = [sys.executable, "-m", "correlate"]


def files_of(data: Path) -> list[str]:
    return sorted(str(p) for node in ("node0", "node1") for p in (data / node).iterdir())


def timed_shell(cmd: str, repeat: int) -> tuple[float, str]:
    best, out = float("inf"), ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        run = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, check=True)
        best = min(best, time.perf_counter() - t0)
        out = run.stdout.strip()
    return best, out


def timed_bsrcorr(data: Path, out: Path) -> dict:
    """One bsrcorr run; wall time, exit code and peak RSS (of bsrcorr, or of its largest
    child such as ``dot`` if that were larger)."""
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [*BSRCORR, str(data / "node0"), str(data / "node1"), "-o", str(out)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    stdout, stderr = b"", b""

    # wait4 reports this child's own rusage (its max RSS), unlike RUSAGE_CHILDREN, which
    # would mix in the shell tools run before it.
    def drain() -> None:
        nonlocal stdout, stderr
        stdout, stderr = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]

    reader = threading.Thread(target=drain)
    reader.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    reader.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall_s": wall,
        "exit_code": proc.returncode,
        "peak_rss_bytes": usage.ru_maxrss * 1024,
        "stdout_head": stdout.decode(errors="replace").splitlines()[:1],
        "stderr": stderr.decode(errors="replace").splitlines()[-5:],
    }


def bundle_facts(out: Path) -> dict:
    svgs = sorted((out / "diagrams").glob("*.svg"))
    report = out / "report.html"
    return {
        "report_bytes": report.stat().st_size if report.exists() else None,
        "svg_count": len(svgs),
        "largest_svg_bytes": max((p.stat().st_size for p in svgs), default=0),
        "timeline_parquet_bytes": (out / "timeline.parquet").stat().st_size,
        "timeline_csv_bytes": (out / "timeline.csv").stat().st_size,
    }


@click.command()
@click.option("--size-mb", default=500, show_default=True, help="MB of log per node")
@click.option("--repeat", default=3, show_default=True, help="runs of each shell tool")
@click.option("--data", type=click.Path(path_type=Path), default=None, help="data directory")
def main(size_mb: int, repeat: int, data: Path | None) -> None:
    data = data or HERE / "data" / f"{size_mb}mb"
    if not (data / "node1" / "bsr.log").exists():
        click.echo(f"building 2 x {size_mb} MB in {data} ...", err=True)
        t0 = time.perf_counter()
        shutil.rmtree(data, ignore_errors=True)
        build.build(data, size_mb)
        click.echo(f"built in {time.perf_counter() - t0:.1f} s", err=True)
    files = files_of(data)
    size = sum(Path(f).stat().st_size for f in files)
    quoted = " ".join(f"'{f}'" for f in files)
    # warm the page cache so every tool reads from memory
    timed_shell(f"cat {quoted} > /dev/null", 1)
    wc_s, lines = timed_shell(f"cat {quoted} | wc -l", repeat)
    grep_s, grep_n = timed_shell(f"grep -h -F '[TWOPC:' {quoted} | wc -l", repeat)
    perl_s, perl_n = timed_shell(f"perl -ne 'print if /\\[TWOPC:/' {quoted} | wc -l", repeat)
    out = HERE / "out" / "bundle"
    run = timed_bsrcorr(data, out)
    facts = bundle_facts(out) if run["exit_code"] in (0, 1) else {}
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "files": len(files),
        "input_bytes": size,
        "lines": int(lines),
        "twopc_lines": int(perl_n),
        "wc_s": wc_s,
        "grep_s": grep_s,
        "perl_s": perl_s,
        "bsrcorr": run,
        "bundle": facts,
        "ratio_to_perl": run["wall_s"] / perl_s,
        "rss_to_input": run["peak_rss_bytes"] / size,
        "mb_per_s": size / 2**20 / run["wall_s"],
    }
    assert int(grep_n) == int(perl_n)
    mb = size / 2**20
    table = [
        f"Input: {len(files)} files, {mb:,.0f} MiB, {int(lines):,} lines "
        f"({int(perl_n):,} TWOPC lines); {result['machine']}.",
        "",
        "| what | time | vs. Perl scan |",
        "|---|---|---|",
        f"| `wc -l` | {wc_s:.2f} s | {wc_s / perl_s:.2f}x |",
        f"| `grep -F '[TWOPC:'` | {grep_s:.2f} s | {grep_s / perl_s:.2f}x |",
        f"| `perl -ne 'print if /\\[TWOPC:/'` | {perl_s:.2f} s | 1x |",
        f"| `bsrcorr` whole run (exit {run['exit_code']}) | {run['wall_s']:.1f} s "
        f"({result['mb_per_s']:.0f} MiB/s) | {result['ratio_to_perl']:.0f}x |",
        "",
        f"bsrcorr peak RSS: {run['peak_rss_bytes'] / 2**20:,.0f} MiB "
        f"= {result['rss_to_input']:.2f}x the input.",
    ]
    if facts:
        table.append(
            f"Bundle: report.html {facts['report_bytes'] / 2**20:.1f} MiB, "
            f"{facts['svg_count']} SVGs (largest {facts['largest_svg_bytes'] / 1024:.0f} KiB), "
            f"timeline.parquet {facts['timeline_parquet_bytes'] / 2**20:.0f} MiB, "
            f"timeline.csv {facts['timeline_csv_bytes'] / 2**20:.0f} MiB."
        )
    text = "\n".join(table)
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / "results.md").write_text(text + "\n")
    (HERE / "out" / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    click.echo(text)
    if run["exit_code"] not in (0, 1):
        click.echo("bsrcorr failed:\n" + "\n".join(run["stderr"]), err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
