"""Benchmark: is every stage linear in episodes? Time per episode at 500, 2,000, 8,000.

    .venv/bin/python bench/scale.py                 # 500, 2000, 8000 episodes
    .venv/bin/python bench/scale.py --episodes 500 --episodes 4000

Each capture is simulated (``tests/simulate.py``): two Windows nodes, three resources, a
connection of one resource dropped and re-made every few minutes with a 2PC, a UUID
handshake and, every fourth time, a bitmap exchange and a resync; status lines between.
Every run times the analysis stages (parse to findings, as ``pipeline.analyse`` runs
them, with ``--diagrams none``) and then the per-episode work of the renderers: the
episode content the diagrams and stories read, the stories, and the DOT graphs (built,
not rendered). ``--render auto`` (or ``all``) also times ``sequence.render`` with
``dot``, one at a time and one per CPU. Time per episode should stay flat as the count
grows; a quadratic stage shows as a column that grows with it.

    .venv/bin/python bench/scale.py --render auto --render all
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from correlate.errors import Notices  # noqa: E402
from correlate.pipeline import Options, analyse  # noqa: E402
from correlate.render import sequence, story  # noqa: E402
from correlate.render.json import summary_json  # noqa: E402
from tests.simulate import Sim, SimNode  # noqa: E402

RESOURCES = ["r0", "r1", "r2"]
RENDER_REPEAT = 3


def capture(directory: Path, episodes: int) -> list[str]:
    """About ``episodes`` episodes: each cycle is a connect and a disconnect."""
    nodes = [
        SimNode("node0", 0, resources=RESOURCES),
        SimNode("node1", 1, offset_s=-0.3258, drift_ppm=2.0, resources=RESOURCES),
    ]
    sim = Sim(nodes, datetime(2024, 1, 1))
    cycles = max(1, (episodes - 4) // 2)
    t = 10.0
    for k in range(cycles):
        res = RESOURCES[k % 3]
        kb = 40_000 if k % 4 == 0 else None
        end = sim.connect("node0", "node1", t, resync_kb=kb, res=res)
        sim.routine("node0", t, t + 60, 20)
        sim.routine("node1", t, t + 60, 20)
        sim.disconnect("node0", "node1", max(end, t + 1) + 120, res=res)
        t += 300.0 / 3  # each resource reconnects every five minutes
    paths = sim.write(directory)
    return [f"{name}={path}" for name, path in paths.items()]


def render_times(a, tmp: Path, modes: tuple[str, ...]) -> dict:
    """Wall time of ``sequence.render`` (DOT graphs built here, laid out by ``dot``) per
    mode, with one ``dot`` at a time and with one per CPU, alternating (a shared machine
    weighs on both alike), the median of ``RENDER_REPEAT`` each."""
    times: dict = {}
    for mode in modes:
        for k in range(RENDER_REPEAT):
            for workers in (1, os.cpu_count() or 1):
                out = tmp / f"d-{mode}-{workers}-{k}"
                t0 = time.perf_counter()
                drawn = sequence.render(a, a.episodes, out, mode, workers=workers)
                times.setdefault((mode, workers), []).append(time.perf_counter() - t0)
                times[(mode, "svgs")] = len(drawn.files)
                shutil.rmtree(out)
    return {k: statistics.median(v) if isinstance(v, list) else v for k, v in times.items()}


def measure(episodes: int, modes: tuple[str, ...] = ()) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        specs = capture(Path(tmp), episodes)
        t0 = time.perf_counter()
        a = analyse(specs, Options(out=Path(tmp) / "out", diagrams="none"), Notices())
        t_analyse = time.perf_counter() - t0
        t0 = time.perf_counter()
        summary_json(a)
        t_summary = time.perf_counter() - t0
        t0 = time.perf_counter()
        for e in a.episodes:
            story.tell(a, e)
        t_story = time.perf_counter() - t0
        t0 = time.perf_counter()
        roles = sequence.Roles(a)
        for e in a.episodes:
            sequence.draw(a, sequence.diagram_of(a, e), roles)
        t_graphs = time.perf_counter() - t0
        n = len(a.episodes)
        rows = a.timeline.height
        rendered = render_times(a, Path(tmp), modes)
    return {
        "render": rendered,
        "episodes": n,
        "rows": rows,
        "analyse_s": t_analyse,
        "summary_s": t_summary,
        "stories_s": t_story,
        "graphs_s": t_graphs,
    }


@click.command()
@click.option("--episodes", "counts", multiple=True, type=int, default=[500, 2000, 8000])
@click.option(
    "--render",
    "modes",
    multiple=True,
    type=click.Choice(["auto", "all"]),
    help="also time sequence.render with dot (serial and one per CPU) in this mode",
)
def main(counts: tuple[int, ...], modes: tuple[str, ...]) -> None:
    results = []
    print("| episodes | rows | analyse | per episode | summary.json | stories | DOT graphs |")
    print("|---|---|---|---|---|---|---|")
    for count in counts:
        m = measure(count, modes)
        results.append(m)
        n = max(m["episodes"], 1)
        print(
            f"| {m['episodes']:,} | {m['rows']:,} | {m['analyse_s']:.2f} s "
            f"| {m['analyse_s'] / n * 1e3:.2f} ms | {m['summary_s'] / n * 1e3:.3f} ms/ep "
            f"| {m['stories_s'] / n * 1e3:.3f} ms/ep | {m['graphs_s'] / n * 1e3:.3f} ms/ep |",
            flush=True,
        )
    if not modes:
        return
    cpus = os.cpu_count() or 1
    print(
        f"\n| episodes | mode | SVGs | dot one at a time | dot x {cpus} | per drawn episode "
        f"x {cpus} | per episode x {cpus} |"
    )
    print("|---|---|---|---|---|---|---|")
    for m in results:
        r = m["render"]
        for mode in modes:
            svgs = max(r[(mode, "svgs")], 1)
            pool = r[(mode, cpus)]
            print(
                f"| {m['episodes']:,} | {mode} | {r[(mode, 'svgs')]:,} | {r[(mode, 1)]:.1f} s "
                f"| {pool:.1f} s | {pool / svgs * 1e3:.1f} ms "
                f"| {pool / max(m['episodes'], 1) * 1e3:.2f} ms |",
                flush=True,
            )


if __name__ == "__main__":
    main()
