"""Shared helpers: build BSR log lines by hand, run the CLI as a user would."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from correlate.cli import main

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SAMPLES = ROOT / "samples"
THREAD = "[0xFFFFE0012A6BD880] "


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


@pytest.fixture
def bsrcorr(tmp_path: Path):
    """Run ``bsrcorr ARGS -o tmp/out`` in-process; returns exit code, stdout, stderr."""

    def run(*args: str | Path, out: Path | None = None) -> Run:
        out = out or tmp_path / "out"
        result = CliRunner().invoke(main, [*map(str, args), "-o", str(out)])
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result.exit_code, result.stdout, result.stderr, out)

    return run
