"""The pipeline, wired once for the CLI and for tests: sources -> parse -> events ->
align -> timeline/episodes -> render -> bundle. Each stage lives in its own module; this
one only passes frames along and keeps the notices together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from . import (
    align,
    bundle,
    episodes,
    events,
    evidence,
    findings,
    kernlog,
    kernparse,
    protocol,
    sources,
    summary,
    timeline,
)
from .analysis import Analysis
from .errors import InputError, Notices, OutputError
from .model import NodeEvents
from .parse import NodeParse, parse_node
from .render import report, sequence
from .times import fmt_ns

ProgressFn = Callable[[int], None]


@dataclass
class Options:
    out: Path = Path("bsrcorr-out")
    max_extract: int = sources.DEFAULT_MAX_EXTRACT
    reference: str | None = None
    offsets: dict[str, float] = field(default_factory=dict)
    since_ns: int | None = None
    until_ns: int | None = None
    diagrams: str = "all"  # none, overview, all


def analyse(
    specs: Sequence[str],
    options: Options,
    notices: Notices,
    progress: ProgressFn | None = None,
) -> Analysis:
    node_sources = sources.resolve(specs, notices, options.max_extract)
    parsed: list[NodeParse] = []
    for src in node_sources:
        parsed.extend(read_source(src, notices))
        if progress:
            progress(sum(f.size for f in src.files))
    _dedupe_hosts(parsed, notices)
    names = [p.name for p in parsed]
    reference = options.reference or names[0]
    if reference not in names:
        raise InputError(f"--reference {reference}: no such node (nodes: {', '.join(names)})")
    for name in options.offsets:
        if name not in names:
            raise InputError(f"--offset {name}=...: no such node (nodes: {', '.join(names)})")
    frames: list[pl.DataFrame] = []
    node_events: list[NodeEvents] = []
    for p in parsed:
        frame, ev = events.extract(p)
        frames.append(frame)
        node_events.append(ev)
        # The entries frame lives on in ``frame``; keeping the parse's own copy too would
        # hold a second copy of every message through the rest of the run.
        p.frame = p.frame.clear()
    del frame  # the loop's last frame would keep a node's messages alive through the merge
    cluster = protocol.correlate(node_events)
    pairs = evidence.collect(cluster)
    clocks = [align.NodeClock.of(p.name, f) for p, f in zip(parsed, frames, strict=True)]
    alignment = align.align(clocks, pairs, reference, options.offsets)
    del clocks  # a copy of every row's time and place, not needed past alignment
    _alignment_notices(alignment, notices, len(parsed))
    aligned = [
        timeline.place(f, alignment.offsets.pop(p.name), alignment.clock.times[p.name])
        for p, f in zip(parsed, frames, strict=True)
    ]
    del frames
    full = timeline.merge(aligned, [reference, *[n for n in names if n != reference]])
    merged = timeline.narrow(full, options.since_ns, options.until_ns)
    story = episodes.build(cluster, alignment.clock)
    found = findings.find(parsed, cluster, alignment, full)
    if options.since_ns is not None or options.until_ns is not None:
        lo = options.since_ns if options.since_ns is not None else -(2**62)
        hi = options.until_ns if options.until_ns is not None else 2**62
        story = [e for e in story if e.end_ns >= lo and e.start_ns <= hi]
        # Findings without a time (clock facts) concern the whole capture: kept.
        found = [f for f in found if f.time_ns is None or lo <= f.time_ns <= hi]
    return Analysis(
        nodes=parsed,
        timeline=merged,
        notices=notices,
        events=node_events,
        cluster=cluster,
        alignment=alignment,
        episodes=story,
        findings=found,
        window=(options.since_ns, options.until_ns),
    )


def read_source(src: sources.NodeSource, notices: Notices) -> list[NodeParse]:
    """A source's files in their dialect: BSR's own log (one node), or kernel logs of
    DRBD or WinDRBD (one node per host they hold)."""
    kernel = [kernlog.sniff(f.head()) for f in src.files]
    if all(kernel):
        return kernparse.parse_kernel_source(src, notices)
    if any(kernel):
        mixed = ", ".join(f.display for f, k in zip(src.files, kernel, strict=True) if k)
        raise InputError(
            f"{src.spec}: mixes BSR's own logs with kernel logs ({mixed}); give each kind "
            "as its own SRC"
        )
    return [parse_node(src, notices)]


def _dedupe_hosts(parsed: list[NodeParse], notices: Notices) -> None:
    """Nodes named after hosts (a central syslog) may meet a node of the same name."""
    seen: dict[str, int] = {}
    for p in parsed:
        if p.name in seen:
            seen[p.name] += 1
            new = f"{p.name}-{seen[p.name]}"
            notices.note(f"two nodes are named {p.name!r}; calling the second {new!r}")
            p.name = new
            p.frame = p.frame.with_columns(node=pl.lit(new, pl.String).cast(pl.Categorical))
        else:
            seen[p.name] = 1


def _alignment_notices(alignment: align.Alignment, notices: Notices, n_nodes: int) -> None:
    if n_nodes == 1:
        notices.note("one node only: a single-node timeline; clock alignment needs two nodes")
        return
    for name, na in alignment.nodes.items():
        if not na.aligned:
            notices.warn(
                "no protocol evidence links it to the other nodes (no shared 2PC id, bitmap "
                "or handshake): it keeps its own clock, unaligned; are these logs of one "
                "cluster?",
                name,
            )
    if alignment.conflicts:
        notices.warn(
            f"{len(alignment.conflicts)} causal pair(s) contradict the rest of the evidence "
            "(see alignment.json conflicts)"
        )
    if alignment.violations_after:
        notices.warn(
            f"{alignment.violations_after} receive(s) still precede their send after "
            "alignment (inconsistent evidence)"
        )


def write(analysis: Analysis, options: Options) -> list[str]:
    out = bundle.prepare(options.out)
    bundle.write_timeline(out, analysis.timeline)
    bundle.write_json(out, "alignment.json", summary.alignment_json(analysis))
    doc = summary.summary_json(analysis)
    doc["episodes"] = episodes.to_json(analysis.episodes, fmt_ns)
    bundle.write_json(out, "summary.json", doc)
    analysis.written = ["timeline.parquet", "timeline.csv", "alignment.json", "summary.json"]
    try:
        drawn = sequence.render(analysis, analysis.episodes, out / "diagrams", options.diagrams)
    except sequence.DotMissing:
        analysis.written.append("diagrams/*.dot")
        raise OutputError(
            f"Graphviz's dot is not installed: wrote the diagram sources to "
            f"{out / 'diagrams'}/*.dot; install it (Debian: apt-get install graphviz) and "
            "run again, or use --diagrams none",
            exit_code=1,
        ) from None
    except OSError as exc:
        raise OutputError(
            f"{out / 'diagrams'}: could not write the diagrams: {exc.strerror or exc}"
        ) from None
    if drawn:
        analysis.written.append(f"diagrams/ ({len(drawn)} SVG)")
    bundle.write_text(out, "report.html", report.render(analysis, out / "diagrams"))
    analysis.written.append("report.html")
    return analysis.written
