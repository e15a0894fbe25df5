"""Shared helpers: build BSR log lines by hand, run the CLI as a user would, and check
what it says. One set for every test of the command line (inputs, hostile inputs, options,
report, diagrams)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner

from correlate.cli import main

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SAMPLES = ROOT / "samples"
THREAD = "[0xFFFFE0012A6BD880] "
# For runs whose test looks at no diagram: dot is the slowest part of a small run.
NO_DIAGRAMS = ("--diagrams", "none")
EXIT_SOFTWARE = 70
CRASH_FILE = "bsrcorr-crash.txt"  # README: where exit 70 keeps the traceback


def entry(
    seq: int,
    time: str,
    message: str,
    *,
    func: str = "some_func",
    cat: str = "ETC",
    idx: int = 1,
    level: str = "bsr_info<6>",
    obj: str = THREAD,
    date: str = "10/26/2020",
) -> str:
    """One BSR entry (no line end): ``time`` is ``HH:MM:SS.fffffff``."""
    return f"{seq:08d} {date} {time} [{func}] [{cat}:{idx}] {level} {obj}{message}"


def small_log(n: int = 5, start: int = 1, resource: str = "r0", peer: int = 1) -> list[str]:
    """``n`` plain connection-state entries of one node, one second apart from 10:00:00,
    counters from ``start``: no protocol evidence, so two such nodes stay unaligned."""
    obj = f"bsr {resource} pnode-id:{peer}, cs(Connected), prole(Secondary), cflag(0x0), scf(0x0): "
    return [
        entry(
            start + i,
            f"10:{i // 60 % 60:02d}:{i % 60:02d}.{i:07d}",
            f"message {i}",
            obj=obj,
            cat="STATE",
            idx=40,
        )
        for i in range(n)
    ]


def log_bytes(lines: list[str]) -> bytes:
    return "".join(line + "\r\n" for line in lines).encode()


def write_log(path: Path, lines: list[str], eol: str = "\r\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes("".join(line + eol for line in lines).encode("utf-8"))
    return path


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str
    out: Path

    @property
    def errors(self) -> list[str]:
        return [ln for ln in self.stderr.splitlines() if ln.startswith("bsrcorr: error:")]

    @property
    def warnings(self) -> list[str]:
        return [ln for ln in self.stderr.splitlines() if ln.startswith("bsrcorr: warning:")]

    def timeline(self) -> pl.DataFrame:
        return pl.read_parquet(self.out / "timeline.parquet")

    def json(self, name: str = "summary.json") -> Any:
        return json.loads((self.out / name).read_text(encoding="utf-8"))


def assert_clean_error(run: Run, code: int, *texts: str) -> str:
    """Exactly one ``bsrcorr: error:`` line, holding every text, the documented exit code,
    no traceback, and every line on stderr a one-line diagnostic. Returns the line."""
    assert run.exit_code == code, (run.exit_code, run.stdout, run.stderr)
    assert len(run.errors) == 1, run.stderr
    [error] = run.errors
    for text in texts:
        assert text in error, run.stderr
    assert "Traceback" not in run.stderr
    for line in run.stderr.splitlines():
        assert line.startswith(("bsrcorr: error: ", "bsrcorr: warning: ", "bsrcorr: note: ")), (
            run.stderr
        )
    return error


def files_under(path: Path) -> set[str]:
    return {str(p.relative_to(path)) for p in path.rglob("*")} if path.exists() else set()


@pytest.fixture
def bsrcorr(tmp_path: Path):
    """Run ``bsrcorr ARGS -o tmp/out`` in-process; returns exit code, stdout, stderr.

    An internal error (exit 70) fails the test with its traceback unless ``crash_ok``:
    otherwise a bug would show as a bare wrong exit code.
    """

    def run(*args: str | Path, out: Path | None = None, crash_ok: bool = False) -> Run:
        out = out or tmp_path / "out"
        result = CliRunner().invoke(main, [*map(str, args), "-o", str(out)])
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        if result.exit_code == EXIT_SOFTWARE and not crash_ok:
            crash = out / CRASH_FILE
            pytest.fail(crash.read_text() if crash.exists() else result.stderr)
        return Run(result.exit_code, result.stdout, result.stderr, out)

    return run
