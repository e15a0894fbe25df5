"""setup.sh checks its prerequisites before it installs anything, and stops with one line
naming what is missing and how to get it (run with a PATH that hides what each case lacks;
nothing is installed, since each case stops before the install)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What setup.sh itself runs before the install steps.
TOOLS = ("bash", "dirname", "grep", "id", "fc-list", "env", "sh")


def bin_dir(tmp_path: Path, python: str | None = None, extra: tuple[str, ...] = ()) -> Path:
    d = tmp_path / "bin"
    d.mkdir()
    for tool in TOOLS + extra:
        found = shutil.which(tool)
        if found:
            (d / tool).symlink_to(found)
    if python is not None:
        (d / "python3").write_text(python)
        (d / "python3").chmod(0o755)
    return d


def setup(path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PATH"}
    return subprocess.run(
        [shutil.which("bash"), str(ROOT / "setup.sh"), *args],
        capture_output=True,
        text=True,
        env={**env, "PATH": str(path)},
        timeout=60,
    )


def test_no_python3(tmp_path):
    res = setup(bin_dir(tmp_path))
    assert res.returncode == 1
    assert res.stderr.strip().splitlines() == [
        "setup: python3 is missing: install Python 3.11 or newer "
        "(Debian: apt-get install python3 python3-venv)"
    ]


def test_python_too_old(tmp_path):
    # A python3 that says it is 3.9: fails the version test, prints 3.9.18 when asked.
    fake = '#!/bin/sh\ncase "$2" in *version_info*) exit 1;; *platform*) echo 3.9.18;; esac\n'
    res = setup(bin_dir(tmp_path, python=fake))
    assert res.returncode == 1
    [line] = res.stderr.strip().splitlines()
    assert line.startswith("setup: python3 is 3.9.18, bsrcorr needs 3.11 or newer")


def test_python_without_venv(tmp_path):
    fake = '#!/bin/sh\ncase "$2" in *"import venv"*) exit 1;; *) exit 0;; esac\n'
    res = setup(bin_dir(tmp_path, python=fake))
    assert res.returncode == 1
    assert res.stderr.strip().splitlines() == [
        "setup: python3 has no working venv module: install it "
        "(Debian: apt-get install python3-venv)"
    ]


@pytest.mark.skipif(os.geteuid() != 0, reason="as root, setup.sh needs no sudo")
def test_missing_dot_and_no_apt_get(tmp_path):
    d = bin_dir(tmp_path)
    # The interpreter itself (a pyenv shim or a venv's link would need more of PATH).
    (d / "python3").symlink_to(os.path.realpath(sys.executable))
    res = setup(d, "--test")  # no dot, no chromium, no apt-get on this PATH
    assert res.returncode == 1
    [line] = res.stderr.strip().splitlines()
    assert line.startswith("setup: missing graphviz")
    assert "chromium" in line and "no apt-get" in line


def test_unknown_option(tmp_path):
    res = setup(bin_dir(tmp_path), "--tests")
    assert res.returncode == 2
    assert res.stderr.strip() == "setup: unknown option '--tests' (use --test, or nothing)"
