"""The timeline's columns are defined once (correlate/schema.py): the frames every stage
makes and README's Output table follow that definition."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from correlate.errors import Notices
from correlate.pipeline import Options, analyse
from correlate.schema import ENTRY_COLUMNS, TIMELINE_COLUMNS

ROOT = Path(__file__).resolve().parent.parent


def _readme_columns() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("| column | meaning |", 1)[1].split("\n\n", 1)[0]
    names: list[str] = []
    for row in table.splitlines()[2:]:
        first = row.split("|")[1]
        names += re.findall(r"`([a-z_]+)`", first)
    return names


def test_readme_lists_every_timeline_column_once():
    listed = _readme_columns()
    assert sorted(listed) == sorted(TIMELINE_COLUMNS)
    assert len(listed) == len(set(listed))


def test_the_timeline_has_the_schema_columns_in_order(tmp_path):
    a = analyse(
        [str(ROOT / "samples/node0"), str(ROOT / "samples/node1")],
        Options(out=tmp_path, diagrams="none"),
        Notices(),
    )
    assert a.timeline.columns == TIMELINE_COLUMNS
    # the read stage's columns are a subset the later stages only add to
    assert set(ENTRY_COLUMNS) < set(TIMELINE_COLUMNS)
    assert a.timeline.schema["time"] == pl.Datetime("ns")


def test_bsr_and_kernel_readers_hand_over_the_same_shape():
    from correlate.read.bsr import parse_node
    from correlate.read.kernel import parse_kernel_source
    from correlate.read.sources import resolve

    notices = Notices()
    bsr_src = resolve([str(ROOT / "samples/node0")], notices, 1 << 30)[0]
    real = ROOT / "tests/data/real/suse-jb154sapqe/jb154sapqe01.log"
    kern_src = resolve([str(real)], notices, 1 << 30)[0]
    bsr = parse_node(bsr_src, notices).frame
    kern = parse_kernel_source(kern_src, notices)[0].frame
    assert bsr.columns == kern.columns == ENTRY_COLUMNS
