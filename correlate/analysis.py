"""The analysis of one run, as the renderers read it: the session the pipeline fills and
the renderers (terminal text, JSON documents, diagrams, report) format. Renderers import
this module and :mod:`correlate.model`, never the pipeline; nothing here runs a stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from correlate.cluster.admin import AdminClock, AdminCommand
from correlate.cluster.align import Alignment
from correlate.cluster.context import ContextClock
from correlate.errors import Notices
from correlate.model import Clock, Cluster, NodeEvents, Window
from correlate.read.bsr import NodeRead
from correlate.story import content
from correlate.story.conformance import Deviation
from correlate.story.content import Beat
from correlate.story.diagnosis import Diagnosis
from correlate.story.end_state import NodeState
from correlate.story.episode_index import EpisodeIndex
from correlate.story.episodes import Episode
from correlate.story.findings import Finding

if TYPE_CHECKING:
    from correlate.render.select import Selection


@dataclass(eq=False, frozen=True)
class Analysis:
    """Everything one run found: what renderers read (they never run a stage, and never
    write into it: each output returns what it wrote, :class:`Drawn`, :class:`Bundle`)."""

    nodes: list[NodeRead]
    timeline: pl.DataFrame
    notices: Notices
    events: list[NodeEvents]
    cluster: Cluster
    alignment: Alignment
    episodes: list[Episode] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    # Where each node stood at the end (of the window, with --until), as it last logged.
    end_state: list[NodeState] = field(default_factory=list)
    # Per episode number, the steps of its normal sequence missing or out of order.
    conformance: dict[int, list[Deviation]] = field(default_factory=dict)
    # The incident's story, causes before what they cause.
    diagnosis: list[Diagnosis] = field(default_factory=list)
    # From support bundles (read.bundles): the CLI commands tied to the driver's lines,
    # each node's CLI clock, the config's hosts, and per node what its bundle held.
    admin_commands: list[AdminCommand] = field(default_factory=list)
    admin_clocks: list[AdminClock] = field(default_factory=list)
    context_clocks: list[ContextClock] = field(default_factory=list)
    config: dict[str, dict] = field(default_factory=dict)
    bundles: dict[str, dict] = field(default_factory=dict)
    # Per node, its bundle's status snapshot against the log's end state (story.snapshot).
    snapshots: dict[str, list[dict]] = field(default_factory=dict)
    # Set by --since/--until (scope.narrow): the window and the rows it left.
    window: Window | None = None

    @property
    def node_names(self) -> list[str]:
        return [n.name for n in self.nodes]

    @property
    def products(self) -> list[str]:
        """The products whose drivers wrote the logs (BSR, DRBD, WinDRBD), in node order."""
        return list(dict.fromkeys(ev.identity.product for ev in self.events))

    @property
    def clock(self) -> Clock:
        return self.alignment.clock

    @cached_property
    def episode_index(self) -> EpisodeIndex:
        """The records of any time window, for the renderers' per-episode questions."""
        return EpisodeIndex(self.alignment.clock)

    @cached_property
    def _beats(self) -> dict[int, tuple[Episode, list[Beat]]]:
        return {}

    def beats(self, episode: Episode) -> list[Beat]:
        """The episode's beats (:func:`correlate.story.content.beats_of`), computed once:
        the diagram's model, its shape and the report's story all read them."""
        found = self._beats.get(id(episode))
        # keyed by identity, and the episode kept beside its beats so that the id of a
        # collected episode is never taken for another's
        if found is None or found[0] is not episode:
            found = (episode, content.beats_of(self, episode))
            self._beats[id(episode)] = found
        return found[1]

    @cached_property
    def steps(self) -> list[Any]:
        """Every node's clock steps, one list (indexed once for the episodes)."""
        return self.alignment.steps


@dataclass(frozen=True)
class Drawn:
    """What the diagrams stage drew: what ``--diagrams`` chose and why (``selection``),
    the episode diagrams drawn (``rendered``, by episode slug), the files written, and
    whether Graphviz's ``dot`` was missing (then the files are ``.dot`` sources)."""

    selection: Selection | None = None
    rendered: frozenset[str] = frozenset()
    files: tuple[Path, ...] = ()
    dot_missing: bool = False


@dataclass(frozen=True)
class Bundle:
    """What one run wrote into its output directory: the names as the terminal summary
    lists them, the diagrams, and the summary.json document (for ``--format json``)."""

    out: Path
    files: tuple[str, ...]
    drawn: Drawn
    summary: dict[str, Any]
