"""The pipeline, wired once for the CLI and for tests: sources -> parse -> events ->
align -> timeline/episodes -> render -> bundle. Each stage lives in its own module; this
one only passes frames along and keeps the notices together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from . import bundle, sources, timeline
from .errors import Notices
from .parse import NodeParse, parse_node

ProgressFn = Callable[[int], None]


@dataclass
class Options:
    out: Path = Path("bsrcorr-out")
    max_extract: int = sources.DEFAULT_MAX_EXTRACT


@dataclass
class Analysis:
    nodes: list[NodeParse]
    timeline: pl.DataFrame
    notices: Notices
    written: list[str] = field(default_factory=list)

    @property
    def node_names(self) -> list[str]:
        return [n.name for n in self.nodes]


def analyse(
    specs: Sequence[str],
    options: Options,
    notices: Notices,
    progress: ProgressFn | None = None,
) -> Analysis:
    node_sources = sources.resolve(specs, notices, options.max_extract)
    parsed: list[NodeParse] = []
    for src in node_sources:
        parsed.append(parse_node(src, notices))
        if progress:
            progress(sum(f.size for f in src.files))
    if len(parsed) == 1:
        notices.note("one node only: a single-node timeline; clock alignment needs two nodes")
    frames = [timeline.unaligned(p.frame) for p in parsed]
    merged = timeline.merge(frames, [p.name for p in parsed])
    return Analysis(nodes=parsed, timeline=merged, notices=notices)


def write(analysis: Analysis, options: Options) -> list[str]:
    out = bundle.prepare(options.out)
    bundle.write_timeline(out, analysis.timeline)
    analysis.written = ["timeline.parquet", "timeline.csv"]
    return analysis.written
