"""The analysis of one run, as the renderers read it: the session the pipeline fills and
the renderers (terminal text, JSON documents, diagrams, report) format. Renderers import
this module and :mod:`correlate.model`, never the pipeline; nothing here runs a stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import polars as pl

from .align import Alignment
from .episodes import Episode
from .errors import Notices
from .findings import Finding
from .model import Clock, Cluster, NodeEvents, Window
from .parse import NodeParse
from .window import Windows


@dataclass(eq=False)
class Analysis:
    """Everything one run found: what renderers read (they never run a stage)."""

    nodes: list[NodeParse]
    timeline: pl.DataFrame
    notices: Notices
    events: list[NodeEvents]
    cluster: Cluster
    alignment: Alignment
    episodes: list[Episode] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    # Set by --since/--until (scope.narrow): the window and the rows it left.
    window: Window | None = None
    # Graphviz's dot was missing: the diagrams are .dot sources, and the report says so.
    dot_missing: bool = False
    rendered: set[str] | None = None  # episode diagrams drawn (None: not yet known)
    selection: Any = None  # render.select.Selection: what --diagrams chose to draw, and why

    @property
    def node_names(self) -> list[str]:
        return [n.name for n in self.nodes]

    @property
    def clock(self) -> Clock:
        return self.alignment.clock

    @cached_property
    def windows(self) -> Windows:
        """The records of any time window, for the renderers' per-episode questions."""
        return Windows(self.alignment.clock)
