"""Benchmark: bsrcorr on two-node captures of about 2 x SIZE MB, beside what a shell user
runs today, in one go.

    .venv/bin/python bench/run.py                        # both captures, 2 x 500 MB each
    .venv/bin/python bench/run.py --size-mb 50           # a quick look
    .venv/bin/python bench/run.py --capture activity     # one of them
    .venv/bin/python bench/run.py --diagrams none        # bsrcorr --diagrams none

The captures (``build.py``, built once and kept in bench/data): ``steady`` (three days of
one resource, a few hundred episodes) and ``activity`` (twenty hours of three resources
reconnecting every few minutes, over 2,000 episodes). On each, in the same run: each
command's wall time (best of --repeat for the shell tools, whose times are short and
noisy): ``wc -l``, ``grep '[TWOPC:'``, a Perl scan for the TWOPC lines, and the whole
``bsrcorr`` run with default options to a finished bundle, with its peak RSS from
``wait4`` and its own stage times (``--timings``). Writes the results as Markdown to stdout
and bench/out/results.md, and as JSON to bench/out/results.json. Not a test: nothing here
passes or fails, the numbers go in README.
"""

from __future__ import annotations

import json
import os
import platform
import re
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
# The speed yardstick (issue 27): a scan extracting what LINBIT's twopc-graph does, kept in
# the steering checkout beside this one (BSRCORR_SCAN names another copy).
SCAN = Path(os.environ.get("BSRCORR_SCAN", ROOT.parent / "shared" / "bench" / "twopc-scan.pl"))


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


def timed_bsrcorr(data: Path, out: Path, extra: tuple[str, ...] = ()) -> dict:
    """One bsrcorr run with default options (plus ``--timings``, which only prints, and
    ``extra``); wall time, exit code, peak RSS and the stage times it printed."""
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [*BSRCORR, str(data / "node0"), str(data / "node1"), "-o", str(out), "--timings", *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT), "LC_ALL": "C.UTF-8"},
    )
    got: dict[str, bytes] = {}

    # wait4 reports this child's own rusage (its max RSS), unlike RUSAGE_CHILDREN, which
    # would mix in the shell tools run before it. Each pipe has its own reader: one read
    # after the other blocks the run once the second pipe's buffer is full.
    def drain(name: str, pipe) -> None:
        got[name] = pipe.read()

    readers = [
        threading.Thread(target=drain, args=("out", proc.stdout)),
        threading.Thread(target=drain, args=("err", proc.stderr)),
    ]
    for r in readers:
        r.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    for r in readers:
        r.join()
    stderr = got.get("err", b"")
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = stderr.decode(errors="replace").splitlines()
    return {
        "wall_s": wall,
        "exit_code": proc.returncode,
        "peak_rss_bytes": usage.ru_maxrss * 1024,
        "stages": stage_times(err),
        "stderr": [ln for ln in err if ln.startswith("bsrcorr:")][-5:],
    }


def stage_times(stderr: list[str]) -> dict[str, dict]:
    """The ``--timings`` table: stage -> seconds and peak RSS (MiB) so far."""
    stages = {}
    for line in stderr:
        m = re.fullmatch(r"(\S.*?)\s{2,}(\d+\.\d+)\s+([\d,]+) MiB", line.strip())
        if m:
            stages[m[1]] = {"s": float(m[2]), "peak_rss_mib": int(m[3].replace(",", ""))}
    return stages


def bundle_facts(out: Path) -> dict:
    svgs = sorted((out / "diagrams").glob("*.svg"))
    report = out / "report.html"
    summary = json.loads((out / "summary.json").read_text())
    return {
        "episodes": len(summary["episodes"]),
        "findings": len(summary["findings"]),
        "report_bytes": report.stat().st_size if report.exists() else None,
        "svg_count": len(svgs),
        "largest_svg_bytes": max((p.stat().st_size for p in svgs), default=0),
        "timeline_parquet_bytes": (out / "timeline.parquet").stat().st_size,
    }


def ensure(data: Path, size_mb: int, capture: str) -> None:
    if (data / "node1" / "bsr.log").exists():
        return
    click.echo(f"building the {capture} capture, 2 x {size_mb} MB, in {data} ...", err=True)
    t0 = time.perf_counter()
    shutil.rmtree(data, ignore_errors=True)
    # In a child: Linux carries a process's peak RSS across fork and exec into the
    # children it starts, so a build in this process (2 GB at its peak) would be counted
    # as the peak of every bsrcorr run timed after it.
    code = (
        "import sys, pathlib, build; "
        "build.build(pathlib.Path(sys.argv[1]), int(sys.argv[2]), capture=sys.argv[3])"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(data), str(size_mb), capture], cwd=HERE, check=True
    )
    click.echo(f"built in {time.perf_counter() - t0:.1f} s", err=True)


def measure(data: Path, repeat: int, out: Path, extra: tuple[str, ...] = ()) -> dict:
    files = files_of(data)
    size = sum(Path(f).stat().st_size for f in files)
    quoted = " ".join(f"'{f}'" for f in files)
    # warm the page cache so every tool reads from memory
    timed_shell(f"cat {quoted} > /dev/null", 1)
    wc_s, lines = timed_shell(f"cat {quoted} | wc -l", repeat)
    grep_s, grep_n = timed_shell(f"grep -h -F '[TWOPC:' {quoted} | wc -l", repeat)
    perl_s, perl_n = timed_shell(f"perl -ne 'print if /\\[TWOPC:/' {quoted} | wc -l", repeat)
    assert int(grep_n) == int(perl_n)
    # The yardstick: what LINBIT's twopc-graph extracts, in one pass (shared/bench).
    scan_s = None
    if SCAN.exists():
        scan_s, _ = timed_shell(f"perl '{SCAN}' {quoted} | wc -l", repeat)
    run = timed_bsrcorr(data, out, extra)
    facts = bundle_facts(out) if run["exit_code"] in (0, 1) else {}
    return {
        "files": len(files),
        "input_bytes": size,
        "lines": int(lines),
        "twopc_lines": int(perl_n),
        "wc_s": wc_s,
        "grep_s": grep_s,
        "perl_s": perl_s,
        "scan_s": scan_s,
        "bsrcorr": run,
        "bundle": facts,
        "ratio_to_perl": run["wall_s"] / perl_s,
        "ratio_to_scan": run["wall_s"] / scan_s if scan_s else None,
        "rss_to_input": run["peak_rss_bytes"] / size,
        "mb_per_s": size / 2**20 / run["wall_s"],
    }


def markdown(results: dict[str, dict]) -> str:
    names = list(results)
    r = [results[n] for n in names]
    lines = [
        "| | " + " | ".join(f"`{n}`" for n in names) + " |",
        "|---|" + "---|" * len(names),
        "| input | "
        + " | ".join(
            f"{x['files']} files, {x['input_bytes'] / 2**20:,.0f} MiB, {x['lines']:,} lines"
            for x in r
        )
        + " |",
        "| episodes, findings | "
        + " | ".join(
            f"{x['bundle'].get('episodes', '?'):,}, {x['bundle'].get('findings', '?')}" for x in r
        )
        + " |",
        "| `wc -l` | " + " | ".join(f"{x['wc_s']:.2f} s" for x in r) + " |",
        "| `grep -F '[TWOPC:'` | " + " | ".join(f"{x['grep_s']:.2f} s" for x in r) + " |",
        "| `perl -ne 'print if /\\[TWOPC:/'` | "
        + " | ".join(f"{x['perl_s']:.2f} s" for x in r)
        + " |",
        "| `perl twopc-scan.pl` (the yardstick) | "
        + " | ".join(f"{x['scan_s']:.2f} s" if x.get("scan_s") else "-" for x in r)
        + " |",
        "| **bsrcorr / twopc-scan** | "
        + " | ".join(f"**{x['ratio_to_scan']:.1f}x**" if x.get("ratio_to_scan") else "-" for x in r)
        + " |",
        "| **bsrcorr, whole run** | "
        + " | ".join(
            f"**{x['bsrcorr']['wall_s']:.1f} s = {x['ratio_to_perl']:.1f}x Perl** "
            f"(exit {x['bsrcorr']['exit_code']})"
            for x in r
        )
        + " |",
        "| peak RSS | "
        + " | ".join(
            f"{x['bsrcorr']['peak_rss_bytes'] / 2**20:,.0f} MiB = {x['rss_to_input']:.2f}x input"
            for x in r
        )
        + " |",
    ]
    stages = list(dict.fromkeys(s for x in r for s in x["bsrcorr"]["stages"]))
    for stage in stages:
        cells = []
        for x in r:
            t = x["bsrcorr"]["stages"].get(stage)
            cells.append(f"{t['s']:.2f} s ({t['peak_rss_mib']:,} MiB)" if t else "")
        lines.append(f"| &nbsp; {stage} | " + " | ".join(cells) + " |")
    lines.append(
        "| report.html, SVGs | "
        + " | ".join(
            f"{x['bundle']['report_bytes'] / 2**20:.1f} MiB, {x['bundle']['svg_count']} SVGs"
            if x["bundle"]
            else ""
            for x in r
        )
        + " |"
    )
    return "\n".join(lines)


@click.command()
@click.option("--size-mb", default=500, show_default=True, help="MB of log per node")
@click.option("--repeat", default=3, show_default=True, help="runs of each shell tool")
@click.option(
    "--capture",
    "captures",
    multiple=True,
    type=click.Choice(build.CAPTURES),
    default=build.CAPTURES,
    show_default=True,
)
@click.option(
    "--diagrams",
    type=click.Choice(["auto", "all", "overview", "none"]),
    default="auto",
    show_default=True,
    help="bsrcorr's --diagrams (issue 27's second target: --diagrams none)",
)
def main(size_mb: int, repeat: int, captures: tuple[str, ...], diagrams: str) -> None:
    extra = () if diagrams == "auto" else ("--diagrams", diagrams)
    results = {}
    for capture in captures:
        data = HERE / "data" / (f"{size_mb}mb" if capture == "steady" else f"{capture}-{size_mb}mb")
        ensure(data, size_mb, capture)
        results[capture] = measure(data, repeat, HERE / "out" / f"bundle-{capture}", extra)
    doc = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "captures": results,
    }
    text = f"{doc['machine']}; stage times with the peak RSS so far.\n\n" + markdown(results)
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / "results.md").write_text(text + "\n")
    (HERE / "out" / "results.json").write_text(json.dumps(doc, indent=2) + "\n")
    click.echo(text)
    failed = [c for c, x in results.items() if x["bsrcorr"]["exit_code"] not in (0, 1)]
    for c in failed:
        click.echo(
            f"bsrcorr failed on {c}:\n" + "\n".join(results[c]["bsrcorr"]["stderr"]), err=True
        )
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
