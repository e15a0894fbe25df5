"""``bsrcorr draw OUT EPISODE...``: an episode's diagram drawn later from the bundle, without
the logs, byte for byte what ``--diagrams all`` writes for it; and ``bsrcorr SRC...`` as
before beside it (one command: a first argument ``draw`` is the subcommand).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from correlate.cli import main

from .helpers import ROOT, SAMPLES, Run, assert_clean_error

SAMPLE = [str(SAMPLES / "node0"), str(SAMPLES / "node1")]


def cli(*args: str | Path) -> Run:
    result = CliRunner().invoke(main, [str(a) for a in args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Run(result.exit_code, result.stdout, result.stderr, Path())


@pytest.fixture(scope="module")
def bundles(tmp_path_factory) -> dict[str, Path]:
    """The samples with --diagrams none and --diagrams all, in English and Korean."""
    tmp = tmp_path_factory.mktemp("draw")
    out = {}
    for lang in ("en", "ko"):
        for mode in ("none", "all"):
            path = tmp / f"{lang}-{mode}"
            run = cli(*SAMPLE, "-o", path, "--diagrams", mode, "--lang", lang)
            assert run.exit_code == 0, run.stderr
            out[f"{lang}-{mode}"] = path
    return out


def episode_svgs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "diagrams").glob("episode-*.svg"))}


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_draw_gives_the_bytes_of_diagrams_all(bundles, tmp_path, lang):
    """A bundle written with --diagrams none, then drawn: each SVG is the one --diagrams
    all wrote, in the bundle's language (the reader's locale does not matter)."""
    out = tmp_path / "b"
    shutil.copytree(bundles[f"{lang}-none"], out)
    assert not (out / "diagrams").exists() or not episode_svgs(out)
    whole = episode_svgs(bundles[f"{lang}-all"])
    assert len(whole) == len(json.loads((out / "summary.json").read_text())["episodes"])
    [name_5] = [n for n in whole if n.startswith("episode-05-")]
    run = cli("draw", out, "5")
    assert run.exit_code == 0, run.stderr
    assert run.stdout == f"{out / 'diagrams' / name_5}\n"
    assert episode_svgs(out) == {name_5: whole[name_5]}
    # every episode, by number, #number, file name or all: the same bytes each
    run = cli("draw", out, "#1", name_5.removesuffix(".svg"), "all")
    assert run.exit_code == 0, run.stderr
    assert len(run.stdout.splitlines()) == len(whole)
    assert episode_svgs(out) == whole


def test_the_bundle_keeps_every_episode_model(bundles):
    """OUT/episodes.json.gz: every episode, drawn or not, with the run's language."""
    for key, out in bundles.items():
        doc = json.loads(gzip.decompress((out / "episodes.json.gz").read_bytes()))
        summary = json.loads((out / "summary.json").read_text())
        assert doc["format"] == "bsrcorr-episode-diagrams" and doc["version"] == 1
        assert doc["lang"] == key[:2]
        assert [e["number"] for e in doc["episodes"]] == [e["number"] for e in summary["episodes"]]
        assert all(e["rows"] and len(e["heads"]) == len(e["nodes"]) for e in doc["episodes"])
    # the same bytes every run (no time in the gzip header)
    again = cli(*SAMPLE, "-o", bundles["en-all"].parent / "again", "--diagrams", "none")
    assert again.exit_code == 0
    assert (bundles["en-all"].parent / "again" / "episodes.json.gz").read_bytes() == (
        bundles["en-none"] / "episodes.json.gz"
    ).read_bytes()


def test_draw_says_what_is_wrong(bundles, tmp_path):
    run = cli("draw", tmp_path, "1")
    assert_clean_error(run, 2, "episodes.json.gz: no such file", "run bsrcorr on the logs")
    run = cli("draw", bundles["en-none"], "99")
    assert_clean_error(run, 2, "episode 99: no such episode in this bundle", "#1 .. #")
    (tmp_path / "episodes.json.gz").write_bytes(b"not gzip")
    run = cli("draw", tmp_path, "1")
    assert_clean_error(run, 2, "episodes.json.gz: not readable")
    run = cli("draw", bundles["en-none"])
    assert_clean_error(run, 2, "EPISODE")


def test_draw_help_and_the_command_as_before(bundles, tmp_path):
    """`draw` is a subcommand only as the first argument; bsrcorr SRC... is unchanged and
    its help still the correlator's."""
    run = cli("draw", "--help")
    assert run.exit_code == 0 and " draw [OPTIONS] OUT EPISODE...\n" in run.stdout
    assert "without reading" in run.stdout and "OUT/episodes.json.gz" in run.stdout
    run = cli("--help")
    assert run.exit_code == 0 and " [OPTIONS] SRC...\n" in run.stdout
    # a node directory that happens to be named draw, given as a path
    node = tmp_path / "draw"
    shutil.copytree(SAMPLES / "node0", node)
    run = cli(node, SAMPLE[1], "-o", tmp_path / "out", "--diagrams", "none")
    assert run.exit_code == 0, run.stderr
    assert "draw" in json.loads((tmp_path / "out" / "alignment.json").read_text())["nodes"]


def test_python_m_correlate_draw(bundles, tmp_path):
    """From the real command line (sys.argv), not only click's test runner."""
    out = tmp_path / "b"
    shutil.copytree(bundles["en-none"], out)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "correlate", "draw", str(out), "2"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    [written] = done.stdout.splitlines()
    name = Path(written).name
    assert name.startswith("episode-02-")
    assert (out / "diagrams" / name).read_bytes() == episode_svgs(bundles["en-all"])[name]
