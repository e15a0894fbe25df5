"""Determinism: the same input gives byte-identical outputs, run after run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import DATA, ROOT

SAMPLES = ROOT / "samples"
COMPARED = ["summary.json", "alignment.json", "timeline.csv", "report.html"]


def snapshot(out: Path) -> dict[str, bytes]:
    files = {name: (out / name).read_bytes() for name in COMPARED}
    for svg in sorted((out / "diagrams").glob("*.svg")):
        files[f"diagrams/{svg.name}"] = svg.read_bytes()
    return files


def run_twice(bsrcorr, tmp_path: Path, *srcs: Path) -> tuple[dict, dict]:
    out = tmp_path / "out"
    first = bsrcorr(*srcs, "--csv", out=out)
    assert first.exit_code in (0, 1), first.stderr
    before = snapshot(out)
    shutil.rmtree(out)
    second = bsrcorr(*srcs, "--csv", out=out)
    assert second.exit_code == first.exit_code
    assert second.stdout == first.stdout
    return before, snapshot(out)


def test_samples_give_byte_identical_outputs(bsrcorr, tmp_path):
    before, after = run_twice(bsrcorr, tmp_path, SAMPLES / "node0", SAMPLES / "node1")
    assert len([n for n in before if n.endswith(".svg")]) >= 8
    assert before.keys() == after.keys()
    for name in before:
        assert before[name] == after[name], f"{name} differs between runs"


@pytest.mark.parametrize(
    "logs",
    [
        [DATA / "events" / "linux_alpha.log", DATA / "events" / "linux_beta.log"],
        # a no_uptodate_data diagnosis, whose evidence once followed a set's order
        sorted((DATA / "real" / "suse-jb154sapqe").glob("*.log")),
    ],
    ids=["alpha-beta", "suse-jb154sapqe"],
)
def test_separate_processes_with_different_hash_seeds(tmp_path, logs):
    """Set and dict order must not leak into outputs: two processes, two hash seeds."""
    snaps = []
    for seed in ("1", "2"):
        out = tmp_path / f"out{seed}"
        run = subprocess.run(
            [sys.executable, "-m", "correlate", *map(str, logs), "--csv", "-o", str(out)],
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": seed},
        )
        assert run.returncode in (0, 1), run.stderr
        snaps.append(snapshot(out))
    assert snaps[0].keys() == snaps[1].keys()
    for name in snaps[0]:
        # the summary names its output directory nowhere, so even that is identical
        assert snaps[0][name] == snaps[1][name], f"{name} differs between processes"
