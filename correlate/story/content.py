"""Stage 4c, episode content: what one episode holds, the one list every renderer formats.

For an episode, the lines and records inside its window on the aligned clock, on its
nodes, of its resource (or the nodes' own lines: a driver load, a volume lock): each as a
:class:`Beat`, one class per kind carrying its record (its aligned time, node and line
in common). The sequence diagram (:mod:`correlate.render.sequence`) and the story
(:mod:`correlate.render.story`) both read this list, ``match`` on the beats' classes and
look nothing up themselves. Every list is indexed once by the aligned times of its lines
(:class:`~correlate.model.TimeIndex`) and cut with a binary search per episode, so
thousands of episodes cost n log n.

Beats: :class:`MessageBeat` (a cross-node pair, both ends inside), :class:`CommandBeat`,
:class:`StateBeat`, :class:`HandshakeBeat`, :class:`DecisionBeat`, :class:`BitmapBeat` (a
node sent its bitmap), :class:`ResyncSideBeat` (one node's session starting or ending),
:class:`ResyncBeat` (the merged record, at its first start), :class:`TwopcBeat` (the
merged record, at its first line inside), :class:`TwopcFailedBeat` (a 2PC not committed:
at its abort, or its prepare), :class:`TwopcTimeoutBeat`, :class:`LandmarkBeat` (and its
end), :class:`LossBeat`, :class:`StepBeat` (a clock step just before this line).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from correlate.model import (
    BitmapExchange,
    ConnectionLoss,
    Handshake,
    Landmark,
    NetlinkCommand,
    Pair,
    Ref,
    ResyncRecord,
    ResyncSide,
    StateChange,
    TwopcRecord,
    UuidDecision,
)
from correlate.vocab import Outcome

if TYPE_CHECKING:
    from correlate.analysis import Analysis
    from correlate.cluster.admin import AdminCommand
    from correlate.story.episodes import Episode


@dataclass(eq=False, frozen=True)
class Beat:
    """One thing that happened in an episode: its aligned time, node and line. Each kind
    of beat is its own class below, carrying its record; renderers ``match`` on them."""

    ns: int
    node: str
    ref: Ref


@dataclass(eq=False, frozen=True)
class MessageBeat(Beat):
    """A cross-node causal pair, both ends inside the episode (at the send)."""

    pair: Pair


@dataclass(eq=False, frozen=True)
class CommandBeat(Beat):
    command: NetlinkCommand


@dataclass(eq=False, frozen=True)
class AdminBeat(Beat):
    """A command from a bundle's CLI log (cluster.admin) whose netlink receipt is one of
    the episode's commands, or the bsradm command that ran it: drawn at its own stamp,
    which may lie just before the episode's start (the CLI stamps the second)."""

    admin: AdminCommand


@dataclass(eq=False, frozen=True)
class StateBeat(Beat):
    change: StateChange


@dataclass(eq=False, frozen=True)
class HandshakeBeat(Beat):
    handshake: Handshake


@dataclass(eq=False, frozen=True)
class DecisionBeat(Beat):
    decision: UuidDecision


@dataclass(eq=False, frozen=True)
class BitmapBeat(Beat):
    """A node sent its bitmap."""

    exchange: BitmapExchange


@dataclass(eq=False, frozen=True)
class ResyncSideBeat(Beat):
    """One node's resync session starting (``end`` False) or ending."""

    side: ResyncSide
    end: bool = False


@dataclass(eq=False, frozen=True)
class ResyncBeat(Beat):
    """The merged resync record, at its first start inside the episode."""

    resync: ResyncRecord


@dataclass(eq=False, frozen=True)
class TwopcBeat(Beat):
    """The merged 2PC record, at its first line inside the episode."""

    twopc: TwopcRecord


@dataclass(eq=False, frozen=True)
class TwopcFailedBeat(Beat):
    """A 2PC not committed: at its abort, or its prepare."""

    twopc: TwopcRecord


@dataclass(eq=False, frozen=True)
class TwopcTimeoutBeat(Beat):
    twopc: TwopcRecord


@dataclass(eq=False, frozen=True)
class LandmarkBeat(Beat):
    """A landmark (a driver load, an attach, a volume lock, a split brain) or its end."""

    landmark: Landmark
    end: bool = False


@dataclass(eq=False, frozen=True)
class LossBeat(Beat):
    loss: ConnectionLoss


@dataclass(eq=False, frozen=True)
class StepBeat(Beat):
    """A clock step just before this line."""

    step: Any  # align.Step (this module sits below align)


def beats_of(analysis: Analysis, episode: Episode) -> list[Beat]:
    """The episode's beats in time order (ties: node order, then the node's own order)."""
    al, cl, win = analysis.alignment, analysis.cluster, analysis.episode_index
    at = win.at
    nodes = list(episode.nodes)
    lo, hi = episode.start_ns, episode.end_ns
    beats: list[Beat] = []

    def within(items, *refs, resource=lambda x: x.resource):
        # Only this episode's resource (and the nodes' own lines): several resources run
        # at once on a real cluster, and one episode tells one resource's story.
        found = win.within(items, lambda x: [r(x) for r in refs], lo, hi)
        return [x for x in found if episode.covers(resource(x))]

    def add(ref: Ref | None, kind: type[Beat], **record: Any) -> None:
        t = at(ref)
        if t is not None and lo <= t <= hi and ref is not None and ref.node in nodes:
            beats.append(kind(t, ref.node, ref, **record))

    # Every message of the 2PCs that caused the episode, whatever its bounds; other
    # messages with both ends inside (half in the window would be an arrow to nowhere).
    caused = [
        p
        for tid in episode.detail.get("twopc") or []
        for p in win.of_twopc(al.pairs, tid, episode.resource)
    ]
    mine, seen = {id(p) for p in caused}, set()
    for p in caused + within(al.pairs, lambda p: p.send):
        t_send, t_recv = at(p.send), at(p.recv)
        ends = p.send.node in nodes and p.recv.node in nodes
        if id(p) in seen or not ends or t_send is None or t_recv is None:
            continue
        if id(p) in mine or lo <= t_recv <= hi:
            seen.add(id(p))
            beats.append(MessageBeat(t_send, p.send.node, p.send, pair=p))
    for ev in cl.nodes:
        if ev.name not in nodes:
            continue
        for c in within(ev.netlink, lambda c: c.received, resource=lambda c: None):
            if not c.resources or any(episode.covers(x) for x in c.resources):
                add(c.received, CommandBeat, command=c)
                beats.extend(_admin_beats(analysis, c, beats))
        for ch in within(ev.state_changes, lambda ch: ch.ref):
            add(ch.ref, StateBeat, change=ch)
        for h in within(ev.handshakes, lambda h: h.ref):
            add(h.ref, HandshakeBeat, handshake=h)
        for d in within(ev.decisions, lambda d: d.compare or d.start):
            add(d.compare or d.start, DecisionBeat, decision=d)
        for b in within(ev.bitmaps, lambda b: b.sent.ref if b.sent else None):
            add(b.sent.ref, BitmapBeat, exchange=b)
        for s in within(ev.resyncs, lambda s: s.start, lambda s: s.end):
            add(s.start, ResyncSideBeat, side=s)
            if s.end is not None:
                add(s.end, ResyncSideBeat, side=s, end=True)
        for lm in within(ev.landmarks, lambda lm: lm.ref, lambda lm: lm.end):
            add(lm.ref, LandmarkBeat, landmark=lm)
            if lm.end is not None:
                add(lm.end, LandmarkBeat, landmark=lm, end=True)
        for loss in within(ev.connection_losses, lambda x: x.ref):
            add(loss.ref, LossBeat, loss=loss)

    def records(items, refs):
        return [x for x in win.within(items, refs, lo, hi) if episode.covers(x.resource)]

    for rec in records(cl.twopc, lambda r: r.refs()):
        _first_inside(rec.refs(), add, at, lo, hi, nodes, TwopcBeat, twopc=rec)
        init = rec.initiator_side
        if init is not None:
            if rec.outcome != Outcome.COMMITTED:
                add(init.abort or init.prepare, TwopcFailedBeat, twopc=rec)
            for t in init.timeouts:
                add(t, TwopcTimeoutBeat, twopc=rec)
    for rec in records(cl.resyncs, lambda r: [s.start for s in r.sides]):
        _first_inside([s.start for s in rec.sides], add, at, lo, hi, nodes, ResyncBeat, resync=rec)
    for step in win.within(analysis.steps, lambda s: [s.after], lo, hi):
        add(step.after, StepBeat, step=step)
    order = {n: i for i, n in enumerate(nodes)}
    # The merged order: a receive whose time ties with its send's comes after it.
    key = analysis.clock.order_at
    beats.sort(key=lambda b: (key(b.ref) or b.ns, order[b.node], b.ref.row))
    return beats


def _admin_beats(analysis: Analysis, receipt: NetlinkCommand, beats: list[Beat]) -> list[Beat]:
    """The CLI commands tied to ``receipt`` (by identity: cluster.admin tied them), and
    the bsradm command that ran each, once per episode."""
    out: list[Beat] = []
    drawn = {id(b.admin) for b in beats if isinstance(b, AdminBeat)}
    by_node = [c for c in analysis.admin_commands if c.node == receipt.node]
    for c in by_node:
        if c.netlink is not receipt:
            continue
        for a in (by_node[c.parent] if c.parent is not None else None, c):
            if a is not None and a.time_ns is not None and id(a) not in drawn:
                drawn.add(id(a))
                out.append(AdminBeat(a.time_ns, a.node, a.ref, admin=a))
    return out


def _first_inside(refs, add, at, lo, hi, nodes, kind: type[Beat], **record: Any) -> None:
    """One beat for a record, at its first line inside the window."""
    inside = [
        (t, r)
        for r in refs
        if r is not None and r.node in nodes and (t := at(r)) is not None and lo <= t <= hi
    ]
    if inside:
        add(min(inside, key=lambda x: (x[0], x[1].row))[1], kind, **record)
