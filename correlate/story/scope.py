"""Stage 4d, scope: ``--since``/``--until`` narrow every output, not the timeline alone.

The pipeline applies :func:`narrow` once, after the clocks, the episodes and the findings
were worked out on the whole capture (an offset, an episode's bounds or a 2PC's outcome
need lines the window may leave out). It cuts what every renderer reads, so
``summary.json``, the terminal summary, the diagrams and the report show the same part of
the capture as ``timeline.csv``:

* records (each field of :class:`~correlate.model.NodeEvents` and of the
  :class:`~correlate.model.Cluster`): one explicit rule a field (:data:`NODE_RULES`,
  :data:`CLUSTER_RULES`), and a field without one stops the run. A record is kept when
  one of its lines is a row of the narrowed timeline, and then kept whole (a 2PC whose
  prepare is inside keeps its commit just after the window); a record that holds no line
  at all is not about a time and stays;
* episodes: kept when their span overlaps the window;
* the diagnosis: as the findings (its ``because`` renumbered), ``no_uptodate_data``
  always (it is about the window's end: the end state is built at ``--until``);
  episodes' conformance with their episodes;
* findings: kept when their time is inside, or one of their lines is a kept row;
  findings with neither time nor lines are facts about a node's clock over the whole
  capture (unaligned, time zone, large offset) and stay.

Not narrowed, on purpose: each node's state changes, which no output lists but the
diagrams read as history (the role a lifeline has when an episode starts may have been
set long before the window); the alignment (fitted on the whole capture; ``alignment.json``
and the report's clock section describe that fit) and each node's file facts (files,
lines read), which describe the input.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from correlate.model import NodeEvents, Ref, Window
from correlate.story.diagnosis import ordered

if TYPE_CHECKING:
    from correlate.analysis import Analysis


class KeptRows:
    """Which (node, row) lines the narrowed timeline holds: one flag per row of a node,
    so a record's lines are looked up in constant time whatever the capture's size."""

    def __init__(self, timeline: pl.DataFrame) -> None:
        self.flags: dict[str, np.ndarray] = {}
        self.series: dict[str, pl.Series] = {}
        parts = timeline.select(pl.col("node").cast(pl.String), "row").partition_by(
            "node", as_dict=True
        )
        for (node,), part in parts.items():
            rows = part["row"]
            flags = np.zeros(int(rows.max()) + 1, dtype=bool)
            flags[rows.to_numpy()] = True
            self.flags[node] = flags
            self.series[node] = rows

    def line(self, ref: Ref) -> bool:
        flags = self.flags.get(ref.node)
        return flags is not None and 0 <= ref.row < len(flags) and bool(flags[ref.row])

    def touches(self, record: Any) -> bool:
        """True when one of the record's lines is kept, or when it holds no line at all."""
        seen_any = False
        for ref in _refs(record, set()):
            if self.line(ref):
                return True
            seen_any = True
        return not seen_any

    def table(self, frame: pl.DataFrame, node: str) -> pl.DataFrame:
        """A node's table of lines (status polls): rows one of whose ``*row`` columns is
        kept. A table without such a column is left whole."""
        cols = [c for c in frame.columns if c == "row" or c.endswith("_row")]
        if not cols or frame.height == 0:
            return frame
        rows = self.series.get(node, pl.Series([], dtype=pl.UInt32))
        return frame.filter(pl.any_horizontal([pl.col(c).is_in(rows.implode()) for c in cols]))


def _refs(obj: Any, seen: set[int]) -> Iterator[Ref]:
    """Every line a record holds, however deep (a 2PC record's sides, a resync side's UUID
    decision). Walks dataclasses, lists, tuples and dict values; never a whole node."""
    if isinstance(obj, Ref):
        yield obj
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for item in obj:
            yield from _refs(item, seen)
    elif isinstance(obj, dict):
        for item in obj.values():
            yield from _refs(item, seen)
    elif (
        dataclasses.is_dataclass(obj)
        and not isinstance(obj, (type, NodeEvents))
        and id(obj) not in seen
    ):
        seen.add(id(obj))
        for f in dataclasses.fields(obj):
            yield from _refs(getattr(obj, f.name), seen)


# One rule a record kind, for every field of a node's records and of the cluster:
# WINDOW keeps the records one of whose lines is a kept row (each whole), WHOLE keeps them
# all (a node's state changes: no output lists them, the diagrams read them as history),
# TABLE keeps a table's rows one of whose row columns is kept, SAME leaves a value that is
# not about a time. A field with no rule stops the run: a record kind added later must
# say how a window cuts it (tests/test_cli.py holds every field to a rule).
WINDOW, WHOLE, TABLE, SAME = "window", "whole", "table", "same"
NODE_RULES: dict[str, str] = {
    "name": SAME,
    "identity": SAME,
    "events": TABLE,
    "state_changes": WHOLE,
    "failed_changes": WINDOW,
    "split_brains": WINDOW,
    "netlink": WINDOW,
    "twopc": WINDOW,
    "handshakes": WINDOW,
    "decisions": WINDOW,
    "bitmaps": WINDOW,
    "resyncs": WINDOW,
    "landmarks": WINDOW,
    "connection_losses": WINDOW,
    "connects": WINDOW,
    "polls": TABLE,
    "prefix_states": WHOLE,  # history for the end state, as the state changes
}
CLUSTER_RULES: dict[str, str] = {
    "nodes": SAME,  # replaced by the narrowed nodes
    "names": SAME,
    "twopc": WINDOW,
    "decision_pairs": WINDOW,
    "resyncs": WINDOW,
    "bitmaps": WINDOW,
    "connects": WINDOW,
}


def _narrowed_fields(
    obj: Any, rules: dict[str, str], kept: KeptRows, node: str | None
) -> dict[str, Any]:
    """The fields of a node's records or of the cluster, each cut by its rule."""
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        if not f.init:
            continue  # an index, made again from the narrowed fields
        rule = rules.get(f.name)
        if rule is None:
            raise AssertionError(
                f"scope: no --since/--until rule for {type(obj).__name__}.{f.name}"
            )
        value = getattr(obj, f.name)
        if rule == WINDOW and isinstance(value, list):
            changes[f.name] = [x for x in value if kept.touches(x)]
        elif rule == WINDOW and isinstance(value, dict):
            changes[f.name] = {k: v for k, v in value.items() if kept.touches(v)}
        elif rule == TABLE and isinstance(value, pl.DataFrame) and node is not None:
            changes[f.name] = kept.table(value, node)
    return changes


def narrow(
    analysis: Analysis, since_ns: int | None, until_ns: int | None, rows_read: int
) -> Analysis:
    """``analysis`` (its timeline already narrowed) cut to the window: a new analysis
    sharing what the window leaves whole."""
    window = Window(since_ns, until_ns, rows_read, analysis.timeline.height)
    kept = KeptRows(analysis.timeline)
    events = [
        dataclasses.replace(ev, **_narrowed_fields(ev, NODE_RULES, kept, ev.name))
        for ev in analysis.events
    ]
    cluster_changes = _narrowed_fields(analysis.cluster, CLUSTER_RULES, kept, None)
    # The cluster's nodes are the same narrowed records the renderers read beside it (and
    # replace() makes its indexes again, from them).
    cluster_changes["nodes"] = events
    episodes = [e for e in analysis.episodes if window.overlaps(e.start_ns, e.end_ns)]
    numbers = {e.number for e in episodes}
    return dataclasses.replace(
        analysis,
        window=window,
        events=events,
        cluster=dataclasses.replace(analysis.cluster, **cluster_changes),
        episodes=episodes,
        conformance={n: d for n, d in analysis.conformance.items() if n in numbers},
        # the end state is already the window's end (the pipeline built it at --until);
        # the diagnosis keeps the entries the window shows, their causes renumbered
        diagnosis=ordered(
            [
                d
                for d in analysis.diagnosis
                if (d.time_ns is not None and window.contains(d.time_ns))
                or any(kept.line(r) for r in d.evidence)
                or d.kind == "no_uptodate_data"
            ]
        ),
        findings=[
            f
            for f in analysis.findings
            if (f.time_ns is not None and window.contains(f.time_ns))
            or any(kept.line(r) for r in f.lines)
            or (f.time_ns is None and not f.lines)
        ],
        # A bundle's commands on their aligned time; its config, files, clocks and
        # status snapshot are about the bundle, not a moment: kept whole.
        admin_commands=[
            c
            for c in analysis.admin_commands
            if c.time_ns is not None and window.contains(c.time_ns)
        ],
    )
