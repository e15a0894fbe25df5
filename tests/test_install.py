"""Installation as a user does it: ``pip install .`` of the built wheel into a clean virtual
environment (no ``-e``, no source tree on the path) gives a working ``bsrcorr`` and
``python -m correlate``, with the Korean catalog and the report's styles and script; and
``bsrcorr --version`` names what a support ticket needs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from correlate import __version__

from .helpers import SAMPLES

ROOT = Path(__file__).resolve().parent.parent


def _run(cmd: list[str | Path], **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A venv holding the locked run-time packages and bsrcorr's wheel, nothing else."""
    tmp = tmp_path_factory.mktemp("install")
    src = tmp / "src"
    # A copy of what the wheel is built from, so the build leaves nothing in the checkout.
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(
        ROOT / "correlate", src / "correlate", ignore=shutil.ignore_patterns("__pycache__")
    )
    wheels = tmp / "wheels"
    built = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            wheels,
            src,
        ]
    )
    assert built.returncode == 0, built.stderr
    [wheel] = wheels.glob("bsrcorr-*.whl")
    env_dir = tmp / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    pip = [py, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    deps = _run([*pip, "--require-hashes", "-r", ROOT / "requirements" / "run.txt"])
    assert deps.returncode == 0, deps.stderr
    inst = _run([*pip, "--no-deps", wheel])
    assert inst.returncode == 0, inst.stderr
    return env_dir


def test_the_wheel_carries_the_catalog_and_the_report_assets(installed, tmp_path):
    [wheel] = (installed.parent / "wheels").glob("bsrcorr-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for want in (
        "correlate/locale/ko/LC_MESSAGES/bsrcorr.mo",
        "correlate/render/report.css",
        "correlate/render/report.js",
    ):
        assert want in names


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_installed_bsrcorr_runs_on_the_samples(installed, tmp_path, lang):
    out = tmp_path / "out"
    # From an empty directory, so nothing of the checkout can be imported by accident.
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LANG", "LC_ALL")}
    res = _run(
        [
            installed / "bin" / "bsrcorr",
            SAMPLES / "node0",
            SAMPLES / "node1",
            "--lang",
            lang,
            "-o",
            out,
        ],
        cwd=cwd,
        env=env,
    )
    assert res.returncode == 0, res.stderr
    where = _run(
        [installed / "bin" / "python", "-c", "import correlate; print(correlate.__file__)"],
        cwd=cwd,
        env=env,
    )
    assert str(installed) in where.stdout  # the installed copy, not the checkout
    report = (out / "report.html").read_text(encoding="utf-8")
    css = (ROOT / "correlate" / "render" / "report.css").read_text(encoding="utf-8")
    assert css.strip().splitlines()[0] in report  # the styles are embedded
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert len(summary["twopc"]) == 4 and summary["resyncs"][0]["source"] == "node0"
    assert len(list((out / "diagrams").glob("*.svg"))) == 10
    if lang == "ko":
        assert '<html lang="ko">' in report and "동기화" in res.stdout
    else:
        assert '<html lang="en">' in report and "episodes" in res.stdout


def test_python_dash_m_correlate_and_version(installed, tmp_path):
    res = _run([installed / "bin" / "python", "-m", "correlate", "--version"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == f"bsrcorr {__version__}"
    assert any(line.startswith("polars ") for line in lines)
    assert any(line.startswith("dot ") for line in lines)


def test_version_names_bsrcorr_polars_and_dot(bsrcorr):
    import polars

    run = bsrcorr("--version")
    assert run.exit_code == 0
    lines = run.stdout.splitlines()
    assert lines[0] == f"bsrcorr {__version__}"
    assert f"polars {polars.__version__}" in lines
    dot = shutil.which("dot")
    assert dot is not None  # ./setup.sh installs Graphviz
    [dot_line] = [line for line in lines if line.startswith("dot ")]
    version = _run([dot, "-V"]).stderr.split("version")[1].split()[0]
    assert dot_line == f"dot {version} ({dot})"


def test_version_says_when_dot_is_missing(bsrcorr, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no dot on it
    run = bsrcorr("--version")
    assert run.exit_code == 0
    assert run.stdout.splitlines()[-1].startswith("dot: not found on PATH")
