"""Render, diagram selection: which episodes get a sequence diagram, and which drawn one
stands for each of the others.

``--diagrams auto`` (the default) draws every episode of a capture with at most
:data:`AUTO_ALL` of them. Above that it draws the episodes a reader opens first, and one of
each *shape* for the rest:

* every episode holding a finding's line (in its time window, on one of its nodes, of a
  resource it covers), or a split brain, or a command that never finished; of a finding
  about repetition itself (connection flapping), only its first and last line count;
* of the others, one representative per shape (:func:`shape_of`: the episode's kind,
  resource and nodes, and each node's own sequence of message kinds, states, decisions and
  resync roles, with runs of the same step counted as one, and no ids, times or sizes):
  the first episode of the shape, drawn with its count and the numbers it stands for
  (``this connect r0 + resync, 318 more like it: #12 ... #2240``), so 320 identical
  reconnect-and-resync cycles are one diagram;
* at most :data:`MAX_DRAWN` in all: the notable ones first, then the shapes that stand
  for the most episodes; an episode past the cap whose shape was drawn points to it.

Every episode left out says why, and which drawn episode stands for it
(``Selection.stands_for``), in the report and summary.json. The rule reads only the
episodes, the findings and the shapes, so it is tested on hand-built ones.

Reasons are :class:`~correlate.i18n.Msg` (shown in the reader's language); how much a
drawn episode matters (``Selection.rank``) is kept beside them as a number, so nothing
decides by reading the words.
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from correlate.i18n import Join, Msg
from correlate.story.content import (
    AdminBeat,
    Beat,
    BitmapBeat,
    CommandBeat,
    DecisionBeat,
    HandshakeBeat,
    LandmarkBeat,
    LossBeat,
    MessageBeat,
    ResyncBeat,
    ResyncSideBeat,
    StateBeat,
    StepBeat,
    TwopcBeat,
    TwopcFailedBeat,
    TwopcTimeoutBeat,
)
from correlate.story.episodes import KIND_WORDS

if TYPE_CHECKING:
    from correlate.model import Clock
    from correlate.story.episodes import Episode
    from correlate.story.findings import Finding

MODES = ("auto", "all", "overview", "none")
AUTO_ALL = 200  # at most this many episodes: auto draws them all
MAX_DRAWN = 200  # above AUTO_ALL, auto draws at most this many episode diagrams
# Findings about a repetition itself (many connects in a short window): the episodes of
# its first and last line stand for the rest, else a flapping capture draws every one.
PATTERN_FINDINGS = {"connection_flapping"}
# How much a drawn episode matters when not all can be listed (the overview's bands):
# lowest first.
RANK_NOTABLE = 0  # a finding, a split brain or an unfinished command
RANK_CHANGE = 1  # a resync or a role change (and every episode under --diagrams all)
RANK_ROUTINE = 2  # the representative of a routine shape


@dataclass
class Shape:
    """Episodes of one shape (:func:`shape_of`): ``number`` from 1 in order of first
    appearance, ``members`` (episode numbers, in order), the drawn one that stands for
    them (``drawn``: a slug, or None past the cap) and how a reader names it (``group``)."""

    number: int
    group: Msg
    members: list[int] = field(default_factory=list)
    slugs: list[str] = field(default_factory=list)
    drawn: str | None = None


@dataclass
class Selection:
    """Which episodes to draw (``drawn``, slugs), why each is (``why``) and how much it
    matters (``rank``, lowest first), and why each other one is not (``left_out``: slug
    -> reason), in episode order; which drawn episode stands for each episode
    (``stands_for``: slug -> drawn slug, itself when drawn; absent when none does) and each
    episode's shape (``shape``: slug -> :attr:`Shape.number`, ``shapes`` in order)."""

    mode: str
    total: int
    drawn: list[str] = field(default_factory=list)
    why: dict[str, Msg | Join] = field(default_factory=dict)  # drawn slug -> reason kept
    rank: dict[str, int] = field(default_factory=dict)  # drawn slug -> RANK_*
    left_out: dict[str, Msg] = field(default_factory=dict)
    # auto: routine kind ("connect r0") -> how many of it were left out
    left_out_kinds: dict[str, int] = field(default_factory=dict)
    stands_for: dict[str, str] = field(default_factory=dict)
    shape: dict[str, int] = field(default_factory=dict)
    shapes: list[Shape] = field(default_factory=list)
    over_cap: int = 0  # auto: episodes no drawn one stands for, past MAX_DRAWN


def group_of(ep: Episode) -> str:
    """The routine kind an episode is alike with others in: kind and resource(s), in
    English (a key of summary.json's ``left_out_routine``)."""
    res = ep.resource or ", ".join(ep.resources)
    return f"{ep.kind} {res}" if res else ep.kind


def group_msg(ep: Episode) -> Msg:
    """:func:`group_of` for a reader: the kind in the reader's language (``+ resync`` when
    the episode holds one)."""
    res = ep.resource or ", ".join(ep.resources)
    kind = Msg(KIND_WORDS.get(ep.kind, ep.kind))
    named = Msg("{kind} {resources}", kind=kind, resources=res) if res else kind
    return Msg("{group} + resync", group=named) if ep.detail.get("resync") else named


# -- shapes ------------------------------------------------------------------------------------


def _step(b: Beat, nodes: list[str]) -> tuple | None:
    """A beat as a step of its node's sequence: its kind and the words that make its
    diagram differ (states, roles, results, outcomes), never an id, a time or a size."""
    match b:
        case MessageBeat(pair=p):
            to = nodes.index(p.recv.node) if p.recv.node in nodes else -1
            return ("message", p.kind, to, p.strict)
        case CommandBeat(command=c):
            return ("command", c.command, c.done is None)
        case AdminBeat(admin=a):
            return ("admin", a.program, a.subcommand, a.rv)
        case StateBeat(change=c):
            return ("state", c.what, c.old, c.new, bool(c.failed))
        case HandshakeBeat():
            return ("handshake",)
        case DecisionBeat(decision=d):
            return ("uuid", d.result, d.rule, d.compare is None)
        case BitmapBeat():
            return ("bitmap",)
        case ResyncSideBeat(side=r, end=end):
            return ("resync", r.kind, r.role, end, r.outcome if end else None)
        case ResyncBeat(resync=r):
            return ("resync record", r.kind, r.outcome)
        case TwopcBeat(twopc=r):
            return ("2pc", r.outcome, tuple(sorted(r.changes.items())) if r.changes else ())
        case TwopcFailedBeat(twopc=r):
            return ("2pc failed", r.outcome, r.abort_rv)
        case TwopcTimeoutBeat():
            return ("2pc timeout",)
        case LandmarkBeat(landmark=lm, end=end):
            return ("landmark", lm.kind, end)
        case LossBeat():
            return ("loss",)
        case StepBeat():
            return ("clock step",)
    return (type(b).__name__,)


def shape_of(ep: Episode, beats: list[Beat]) -> Hashable:
    """The episode's shape: kind, resource(s) and nodes, then per node its own sequence of
    steps (:func:`_step`), a run of the same step counted once. Per node, not merged: two
    nodes' lines a millisecond apart may interleave either way from one cycle to the next,
    a node's own order does not."""
    nodes = list(ep.nodes)
    lanes: dict[str, list[tuple]] = {n: [] for n in nodes}
    for b in beats:
        lane = lanes.get(b.node)
        step = _step(b, nodes)
        if lane is not None and step is not None and (not lane or lane[-1] != step):
            lane.append(step)
    return (
        ep.kind,
        ep.resource,
        tuple(ep.resources),
        tuple(nodes),
        tuple(tuple(lanes[n]) for n in nodes),
    )


def _coarse_shape(ep: Episode) -> Hashable:
    """Without the beats (a caller that has none): kind, resource(s), nodes, resync."""
    return (
        ep.kind,
        ep.resource,
        tuple(ep.resources),
        tuple(ep.nodes),
        bool(ep.detail.get("resync")),
    )


def _numbers(numbers: list[int]) -> str:
    """``#12, #40`` or, for more than three, ``#12 ... #2240`` (the report lists all)."""
    if len(numbers) <= 3:
        return ", ".join(f"#{n}" for n in numbers)
    return f"#{numbers[0]} ... #{numbers[-1]}"


# -- notable episodes --------------------------------------------------------------------------


Point = tuple[int, str, "str | None", str]  # aligned time, node, resource, finding kind


def finding_points(findings: list[Finding], clock: Clock) -> list[Point]:
    """Each finding line as (aligned time, node, the finding's resource, its kind),
    time-sorted; a finding without lines stands at its own time and node."""
    points: list[Point] = []
    for f in findings:
        mine = [
            (t, ref.node, f.resource, f.kind) for ref in f.lines if (t := clock.at(ref)) is not None
        ]
        if f.kind in PATTERN_FINDINGS and len(mine) > 2:
            mine.sort(key=lambda p: (p[0], p[1]))
            mine = [mine[0], mine[-1]]
        if not mine and f.time_ns is not None and f.node is not None:
            mine = [(f.time_ns, f.node, f.resource, f.kind)]
        points.extend(mine)
    points.sort(key=lambda p: (p[0], p[1], p[2] or "", p[3]))
    return points


def notable(ep: Episode, points: list[Point], times: list[int]) -> Join | None:
    """Why an episode is drawn whatever the count (None when it is not): a finding's
    line, a split brain, a command that never finished; every reason that holds, most
    telling first (a resync or role change it also holds is said after them)."""
    lo = bisect.bisect_left(times, ep.start_ns)
    hi = bisect.bisect_right(times, ep.end_ns)
    kinds = sorted({k for _, node, res, k in points[lo:hi] if node in ep.nodes and ep.covers(res)})
    reasons: list[Msg] = []
    found = False
    if "split_brain" in kinds:
        reasons.append(Msg("a split brain"))
        kinds.remove("split_brain")
        found = True
    if kinds:
        # finding kinds are names of summary.json, not words: they stay as they are
        reasons.append(Msg("a finding ({kinds})", kinds=", ".join(kinds)))
        found = True
    if ep.detail.get("resync"):
        reasons.append(Msg("a resync"))
    if ep.kind == "role change":
        reasons.append(Msg("a role change"))
    # up: all_terminated; down and a role command without a role change: terminated
    d = ep.detail
    if d.get("all_terminated") is False or d.get("terminated") is False:
        reasons.append(Msg("an unfinished command"))
        found = True
    return Join("; ", reasons) if found else None


def _changes(ep: Episode) -> bool:
    return bool(ep.detail.get("resync")) or ep.kind == "role change"


def _group_shapes(episodes: list[Episode], shapes: dict[str, Hashable] | None) -> list[Shape]:
    """The shapes in order of first appearance, each with its members."""
    found: dict[Hashable, Shape] = {}
    for e in episodes:
        key = shapes[e.slug] if shapes is not None and e.slug in shapes else _coarse_shape(e)
        shape = found.get(key)
        if shape is None:
            shape = found[key] = Shape(len(found) + 1, group_msg(e))
        shape.members.append(e.number)
        shape.slugs.append(e.slug)
    return list(found.values())


def select(
    episodes: list[Episode],
    findings: list[Finding],
    clock: Clock,
    mode: str,
    shapes: dict[str, Hashable] | None = None,
) -> Selection:
    """The episodes ``mode`` draws: ``all``, ``overview``/``none`` (none), or ``auto``.
    ``shapes``: each episode's :func:`shape_of` by slug (without: a coarse shape, its kind,
    resource, nodes and whether it resynced)."""
    if mode not in MODES:
        raise ValueError(f"diagram mode {mode!r}: one of {', '.join(MODES)}")
    sel = Selection(mode, len(episodes))
    sel.shapes = _group_shapes(episodes, shapes)
    sel.shape = {slug: s.number for s in sel.shapes for slug in s.slugs}
    if mode in ("overview", "none"):
        sel.left_out = {e.slug: Msg("--diagrams {mode}", mode=mode) for e in episodes}
        return sel
    if mode == "all" or len(episodes) <= AUTO_ALL:
        sel.drawn = [e.slug for e in episodes]
        sel.why = {e.slug: Msg("every episode") for e in episodes}
        sel.rank = dict.fromkeys(sel.drawn, RANK_CHANGE)
        sel.stands_for = {s: s for s in sel.drawn}
        for shape in sel.shapes:
            shape.drawn = shape.slugs[0]
        return sel
    points = finding_points(findings, clock)
    times = [p[0] for p in points]
    by_slug = {e.slug: e for e in episodes}
    kept: dict[str, tuple[Msg | Join, int]] = {}
    for e in episodes:  # the notable ones, in episode order, while the cap allows
        why = notable(e, points, times) if len(kept) < MAX_DRAWN else None
        if why is not None:
            kept[e.slug] = (why, RANK_NOTABLE)
    routine: list[Shape] = []  # each shape's other members
    for shape in sel.shapes:
        rest = Shape(shape.number, shape.group)
        for number, slug in zip(shape.members, shape.slugs, strict=True):
            if slug not in kept:
                rest.members.append(number)
                rest.slugs.append(slug)
        if rest.slugs:
            routine.append(rest)
    # The shapes standing for the most episodes first, while the cap allows.
    drawn_of: dict[int, str] = {}
    for rest in sorted(routine, key=lambda r: (-len(r.slugs), r.number)):
        if len(kept) >= MAX_DRAWN:
            break
        first = rest.slugs[0]
        more = rest.members[1:]
        if more:
            why: Msg = Msg(
                "this {group}, {count} more like it: {numbers}",
                group=rest.group,
                count=len(more),
                numbers=_numbers(more),
            )
        else:
            why = Msg("the only {group} of its shape", group=rest.group)
        kept[first] = (why, RANK_CHANGE if _changes(by_slug[first]) else RANK_ROUTINE)
        drawn_of[rest.number] = first
    for shape in sel.shapes:
        # past the cap, a drawn notable episode of the shape stands for the rest of it
        shape.drawn = drawn_of.get(shape.number) or next(
            (s for s in shape.slugs if s in kept), None
        )
        for slug in shape.slugs:
            if slug in kept:
                sel.stands_for[slug] = slug
                continue
            e = by_slug[slug]
            sel.left_out_kinds[group_of(e)] = sel.left_out_kinds.get(group_of(e), 0) + 1
            if shape.drawn is not None:
                sel.stands_for[slug] = shape.drawn
                sel.left_out[slug] = Msg(
                    "the same {group} as #{number}",
                    number=by_slug[shape.drawn].number,
                    group=shape.group,
                )
            else:
                sel.over_cap += 1
                sel.left_out[slug] = Msg(
                    "{group}: past the cap of {cap} diagrams", group=shape.group, cap=MAX_DRAWN
                )
    sel.drawn = [e.slug for e in episodes if e.slug in kept]
    sel.why = {s: kept[s][0] for s in sel.drawn}
    sel.rank = {s: kept[s][1] for s in sel.drawn}
    return sel
