"""Stage 4c, episode content: what one episode holds, the one list every renderer formats.

For an episode, the lines and records inside its window on the aligned clock, on its
nodes, of its resource (or the nodes' own lines: a driver load, a volume lock): each as a
:class:`Beat` (its aligned time, node, line, what it is, and the record). The sequence
diagram (:mod:`correlate.render.sequence`) and the story (:mod:`correlate.render.story`)
both read this list and look nothing up themselves. Every list is indexed once by the
aligned times of its lines (:class:`~correlate.model.TimeIndex`) and cut with a binary
search per episode, so thousands of episodes cost n log n.

Beats, by ``what``: ``message`` (a cross-node pair, :class:`~correlate.model.Pair`, both
ends inside), ``command``, ``state``, ``handshake``, ``decision``, ``bitmap`` (a node sent
its bitmap), ``resync_start``/``resync_end`` (one node's session), ``resync`` (the merged
record, at its first start), ``twopc`` (the merged record, at its first line inside),
``twopc_failed`` (a 2PC not committed: at its abort, or its prepare), ``twopc_timeout``,
``landmark``/``landmark_end``, ``loss``, ``step`` (a clock step just
before this line).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .model import Ref

if TYPE_CHECKING:
    from .analysis import Analysis
    from .episodes import Episode


@dataclass(eq=False)
class Beat:
    ns: int
    node: str
    ref: Ref
    what: str
    record: Any


def collect(analysis: Analysis, episode: Episode) -> list[Beat]:
    """The episode's beats in time order (ties: node order, then the node's own order)."""
    al, cl, win = analysis.alignment, analysis.cluster, analysis.windows
    at = win.at
    nodes = list(episode.nodes)
    lo, hi = episode.start_ns, episode.end_ns
    beats: list[Beat] = []

    def within(items, *refs, resource=lambda x: x.resource):
        # Only this episode's resource (and the nodes' own lines): several resources run
        # at once on a real cluster, and one episode tells one resource's story.
        found = win.within(items, lambda x: [r(x) for r in refs], lo, hi)
        return [x for x in found if episode.covers(resource(x))]

    def add(ref: Ref | None, what: str, record: Any) -> None:
        t = at(ref)
        if t is not None and lo <= t <= hi and ref is not None and ref.node in nodes:
            beats.append(Beat(t, ref.node, ref, what, record))

    for p in within(al.pairs, lambda p: p.send):
        # Both ends inside: a message half in the window would be an arrow to nowhere.
        t_send, t_recv = at(p.send), at(p.recv)
        ends = p.send.node in nodes and p.recv.node in nodes
        if ends and t_send is not None and t_recv is not None and lo <= t_recv <= hi:
            beats.append(Beat(t_send, p.send.node, p.send, "message", p))
    for ev in cl.nodes:
        if ev.name not in nodes:
            continue
        for c in within(ev.netlink, lambda c: c.received, resource=lambda c: None):
            if not c.resources or any(episode.covers(x) for x in c.resources):
                add(c.received, "command", c)
        for ch in within(ev.state_changes, lambda ch: ch.ref):
            add(ch.ref, "state", ch)
        for h in within(ev.handshakes, lambda h: h.ref):
            add(h.ref, "handshake", h)
        for d in within(ev.decisions, lambda d: d.compare or d.start):
            add(d.compare or d.start, "decision", d)
        for b in within(ev.bitmaps, lambda b: b.sent.ref if b.sent else None):
            add(b.sent.ref, "bitmap", b)
        for s in within(ev.resyncs, lambda s: s.start, lambda s: s.end):
            add(s.start, "resync_start", s)
            if s.end is not None:
                add(s.end, "resync_end", s)
        for lm in within(ev.landmarks, lambda lm: lm.ref, lambda lm: lm.end):
            add(lm.ref, "landmark", lm)
            if lm.end is not None:
                add(lm.end, "landmark_end", lm)
        for loss in within(ev.connection_losses, lambda x: x.ref):
            add(loss.ref, "loss", loss)

    def records(items, refs):
        return [x for x in win.within(items, refs, lo, hi) if episode.covers(x.resource)]

    for rec in records(cl.twopc, lambda r: r.refs()):
        _first_inside(rec.refs(), "twopc", rec, add, at, lo, hi, nodes)
        init = rec.initiator_side
        if init is not None:
            if rec.outcome != "committed":
                add(init.abort or init.prepare, "twopc_failed", rec)
            for t in init.timeouts:
                add(t, "twopc_timeout", rec)
    for rec in records(cl.resyncs, lambda r: [s.start for s in r.sides]):
        _first_inside([s.start for s in rec.sides], "resync", rec, add, at, lo, hi, nodes)
    for step in win.within(analysis.steps, lambda s: [s.after], lo, hi):
        add(step.after, "step", step)
    order = {n: i for i, n in enumerate(nodes)}
    # The merged order: a receive whose time ties with its send's comes after it.
    key = analysis.clock.order_at
    beats.sort(key=lambda b: (key(b.ref) or b.ns, order[b.node], b.ref.row))
    return beats


def _first_inside(refs, what, record, add, at, lo, hi, nodes) -> None:
    """One beat for a record, at its first line inside the window."""
    inside = [
        (t, r)
        for r in refs
        if r is not None and r.node in nodes and (t := at(r)) is not None and lo <= t <= hi
    ]
    if inside:
        add(min(inside, key=lambda x: (x[0], x[1].row))[1], what, record)
