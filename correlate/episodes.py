"""Stage 4b, episodes: the aligned story cut into the pieces a reader thinks in.

An episode is a stretch of the aligned timeline with a kind and the nodes it involves:

* ``driver start``: a driver load (DRIVER:77) and the lines right after it;
* ``up``: ``bsradm up``'s new-resource ... connect commands;
* ``connect``: the handshake, the connect 2PC, the UUID comparison, the bitmap exchange
  and the resync, to Established (one episode for both nodes: their handshakes pair up);
* ``role change``: a Primary/Secondary change and the commands and 2PC around it;
* ``disconnect`` / ``network failure``: a connection leaving Connected, on purpose (a
  disconnect command or 2PC) or not (socket errors, NetworkFailure);
* ``down``: ``bsradm down`` from the command to its termination.

Each :class:`Episode` keeps the references to its lines (the records of
:mod:`correlate.protocol`), so the sequence diagrams and the report can draw and tell it.
Times are on the reference clock (integer ns).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .align import Alignment
from .events import Ref
from .protocol import Cluster

# A connect on two nodes that the handshakes did not pair: handshakes this close are one.
SAME_CONNECT_NS = 2_000_000_000
# How long after its last marker a connect episode waits for the resync's first line.
RESYNC_GRACE_NS = 5_000_000_000
# The 2PC a PRIMARY/SECONDARY command starts follows it within this window.
ROLE_2PC_WINDOW_NS = 30_000_000_000
# ... and precedes the role change it carries by at most this much.
ROLE_2PC_LEAD_NS = 5_000_000_000
LOSS_STATES = {"NetworkFailure", "BrokenPipe", "Timeout", "ProtocolError"}


@dataclass
class Episode:
    kind: str
    nodes: list[str]
    start_ns: int
    end_ns: int
    title: str
    refs: list[Ref] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)
    number: int = 0

    @property
    def slug(self) -> str:
        text = "".join(c if c.isalnum() else "-" for c in self.kind)
        return f"episode-{self.number:02d}-{text}"

    def contains(self, ns: int | None) -> bool:
        return ns is not None and self.start_ns <= ns <= self.end_ns


def build(cluster: Cluster, alignment: Alignment) -> list[Episode]:
    at = alignment.aligned_ns
    episodes: list[Episode] = []
    for ev in cluster.nodes:
        for lm in ev.landmarks:
            start = at(lm.ref)
            if start is None:
                continue
            end = at(lm.end) or start
            if lm.kind == "driver_loaded":
                episodes.append(
                    Episode(
                        "driver start",
                        [ev.name],
                        start,
                        start,
                        f"driver start: {ev.name}",
                        [lm.ref],
                        {"version": lm.detail.get("version")},
                    )
                )
            elif lm.kind == "up":
                episodes.append(
                    Episode(
                        "up", [ev.name], start, end, f"up: {ev.name}", [lm.ref], dict(lm.detail)
                    )
                )
            elif lm.kind == "down":
                episodes.append(
                    Episode(
                        "down", [ev.name], start, end, f"down: {ev.name}", [lm.ref], dict(lm.detail)
                    )
                )
    episodes.extend(_connects(cluster, alignment))
    episodes.extend(_role_changes(cluster, alignment))
    episodes.extend(_disconnects(cluster, alignment))
    episodes = _absorb(episodes)
    _extend_driver_starts(episodes, cluster, alignment)
    episodes.sort(key=lambda e: (e.start_ns, e.kind, e.nodes))
    for i, e in enumerate(episodes, 1):
        e.number = i
    return episodes


def _connects(cluster: Cluster, alignment: Alignment) -> list[Episode]:
    at = alignment.aligned_ns
    out: list[Episode] = []
    seen: set[int] = set()
    groups: list[list] = []
    for cp in cluster.connects:
        groups.append([cp.a, cp.b])
        seen.update((id(cp.a), id(cp.b)))
    lone = [h for ev in cluster.nodes for h in ev.handshakes if id(h) not in seen]
    lone.sort(key=lambda h: at(h.ref) or 0)
    for h in lone:
        t = at(h.ref) or 0
        for g in groups:
            if (
                len(g) == 1
                and abs((at(g[0].ref) or 0) - t) < SAME_CONNECT_NS
                and g[0].ref.node != h.ref.node
            ):
                g.append(h)
                break
        else:
            groups.append([h])
    for g in groups:
        nodes = sorted({h.ref.node for h in g}, key=_node_order(cluster))
        start = min(at(h.ref) or 0 for h in g)
        refs = [h.ref for h in g]
        end = max(at(h.ref) or 0 for h in g)
        epi = Episode("connect", nodes, start, end, "", refs)
        out.append(epi)
    # Each connect runs until the next one between the same nodes; what it caused (2PC,
    # UUIDs, bitmaps, resync) falls inside and stretches its end.
    out.sort(key=lambda e: e.start_ns)
    for i, epi in enumerate(out):
        limit = next((o.start_ns for o in out[i + 1 :] if set(o.nodes) & set(epi.nodes)), None)
        _grow_connect(epi, cluster, alignment, limit)
    return out


def _grow_connect(epi: Episode, cluster: Cluster, alignment: Alignment, limit: int | None):
    at = alignment.aligned_ns

    def inside(ref: Ref | None) -> bool:
        t = at(ref)
        return (
            t is not None and t >= epi.start_ns - SAME_CONNECT_NS and (limit is None or t < limit)
        )

    end = epi.end_ns
    resyncs = []
    for rec in cluster.twopc:
        if "conn" in rec.changes and rec.changes["conn"] == "Connected":
            init = rec.initiator_side
            if init and inside(init.prepare) and (at(init.prepare) or 0) <= end + RESYNC_GRACE_NS:
                for s in rec.sides:
                    for r in (s.commit, s.abort):
                        end = max(end, at(r) or end)
                epi.detail.setdefault("twopc", []).append(rec.tid)
    for p in cluster.decision_pairs:
        if inside(p.a.start) and (at(p.a.start) or 0) <= end + RESYNC_GRACE_NS:
            for d in (p.a, p.b):
                end = max(end, at(d.compare or d.start) or end)
            epi.detail["mirrored"] = p.mirrored
    for ev in cluster.nodes:
        for d in ev.decisions:
            if inside(d.start) and (at(d.start) or 0) <= end + RESYNC_GRACE_NS:
                end = max(end, at(d.compare or d.start) or end)
                epi.detail.setdefault("decisions", []).append(f"{d.node}:{d.result}")
    for r in cluster.resyncs:
        first = min((at(s.start) or 0 for s in r.sides), default=0)
        if inside(r.sides[0].start) and first <= end + RESYNC_GRACE_NS:
            resyncs.append(r)
            last = [at(s.end) for s in r.sides if s.end is not None]
            end = max([end, *[x for x in last if x is not None]])
    if resyncs:
        r = resyncs[0]
        epi.detail["resync"] = {
            "source": r.source,
            "target": r.target,
            "kb": r.kb,
            "outcome": r.outcome,
        }
    epi.end_ns = end if limit is None else min(end, limit - 1)
    pair = " - ".join(epi.nodes)
    if resyncs:
        r = resyncs[0]
        epi.title = f"connect {pair}: resync {r.source} -> {r.target}"
        if r.outcome != "done":
            epi.title += f" ({r.outcome})"
    else:
        epi.title = f"connect {pair}"


def _node_order(cluster: Cluster):
    names = [n.name for n in cluster.nodes]
    return lambda n: names.index(n) if n in names else len(names)


def _role_changes(cluster: Cluster, alignment: Alignment) -> list[Episode]:
    at = alignment.aligned_ns
    out = []
    for ev in cluster.nodes:
        asked = [c for c in ev.netlink if c.command in ("PRIMARY", "SECONDARY")]
        used: set[int] = set()
        for ch in ev.state_changes:
            if ch.what != "role" or ch.failed:
                continue
            t = at(ch.ref)
            if t is None:
                continue
            start = end = t
            # The command that asked for it (PRIMARY/SECONDARY) starts the episode.
            cmd = next(
                (
                    c
                    for c in reversed(asked)
                    if c.received.row <= ch.ref.row and (c.done is None or c.done.row >= ch.ref.row)
                ),
                None,
            )
            refs = [ch.ref]
            if cmd is not None:
                used.add(id(cmd))
                start = at(cmd.received) or t
                end = max(end, at(cmd.done) or t)
                refs = [cmd.received, ch.ref]
            # The 2PC that carried the change to the peers: its participants join in.
            nodes = [ev.name]
            for r in cluster.twopc:
                span = _twopc_span(r, at)
                if (
                    r.initiator == ev.name
                    and r.changes.get("role") == ch.new
                    and span is not None
                    and start - ROLE_2PC_LEAD_NS <= span[0] <= t
                ):
                    start, end = min(start, span[0]), max(end, span[1])
                    nodes += [n for n in r.participants if n not in nodes]
            out.append(
                Episode(
                    "role change",
                    sorted(nodes, key=_node_order(cluster)),
                    start,
                    end,
                    f"role change: {ev.name} {ch.old} -> {ch.new}",
                    refs,
                    {"old": ch.old, "new": ch.new},
                )
            )
        # A PRIMARY/SECONDARY command with no role change is a story too (often the
        # interesting one: the 2PC behind it failed or never finished).
        for c in asked:
            if id(c) in used or (start := at(c.received)) is None:
                continue
            end = at(c.done) or start
            state = "never terminated" if c.done is None else "terminated"
            nodes = [ev.name]
            for r in cluster.twopc:
                first = _twopc_span(r, at)
                if (
                    r.initiator == ev.name
                    and "role" in r.changes
                    and first is not None
                    and start <= first[0] <= (at(c.done) or start + ROLE_2PC_WINDOW_NS)
                ):
                    end = max(end, first[1])
                    nodes += [n for n in r.participants if n not in nodes]
            out.append(
                Episode(
                    "role change",
                    sorted(nodes, key=_node_order(cluster)),
                    start,
                    end,
                    f"role change asked: {ev.name} {c.command}, no role change logged "
                    f"(command {state})",
                    [r for r in (c.received, c.done) if r is not None],
                    {"command": c.command, "changed": False},
                )
            )
    return out


def _twopc_span(r, at) -> tuple[int, int] | None:
    times = [
        t
        for side in r.sides
        for ref in (side.prepare, side.reply, side.commit, side.abort, *side.timeouts)
        if (t := at(ref)) is not None
    ]
    return (min(times), max(times)) if times else None


def _disconnects(cluster: Cluster, alignment: Alignment) -> list[Episode]:
    at = alignment.aligned_ns
    out: list[Episode] = []
    for ev in cluster.nodes:
        for ch in ev.state_changes:
            if ch.what != "conn" or ch.old != "Connected" or ch.failed:
                continue
            t = at(ch.ref)
            if t is None:
                continue
            kind = "network failure" if ch.new in LOSS_STATES else "disconnect"
            start, end = t, t
            cmd = next(
                (
                    c
                    for c in reversed(ev.netlink)
                    if c.command in ("DISCONNECT", "DOWN") and c.received.row <= ch.ref.row
                ),
                None,
            )
            if cmd is not None and (at(cmd.received) or t) > t - 60 * 10**9:
                start = min(start, at(cmd.received) or t)
                end = max(end, at(cmd.done) or t)
            peer = cluster.name_of(ch.peer)
            nodes = [ev.name] + ([peer] if peer and peer in {n.name for n in cluster.nodes} else [])
            # The same disconnect seen from the peer merges into one episode.
            twin = next(
                (
                    o
                    for o in out
                    if o.kind == kind
                    and set(o.nodes) == set(nodes)
                    and abs(o.start_ns - start) < SAME_CONNECT_NS
                ),
                None,
            )
            if twin is not None:
                twin.start_ns, twin.end_ns = min(twin.start_ns, start), max(twin.end_ns, end)
                twin.refs.append(ch.ref)
                continue
            title = f"{kind}: {ev.name}" + (f" - {peer}" if peer else "") + f" ({ch.new})"
            out.append(
                Episode(
                    kind,
                    sorted(set(nodes), key=_node_order(cluster)),
                    start,
                    end,
                    title,
                    [ch.ref],
                    {"state": ch.new},
                )
            )
    for epi in out:
        _grow_disconnect(epi, cluster, alignment)
    return out


def _grow_disconnect(epi: Episode, cluster: Cluster, alignment: Alignment) -> None:
    """Take in the 2PC that asked for the disconnect and the peer's side of it, and the
    lines that closed the connection."""
    at = alignment.aligned_ns
    for rec in cluster.twopc:
        if rec.changes.get("conn") not in ("Disconnecting",):
            continue
        times = [at(r) for s in rec.sides for r in (s.prepare, s.commit, s.abort) if r]
        times = [t for t in times if t is not None]
        if times and epi.start_ns - 5 * 10**9 <= min(times) <= epi.end_ns + 10**9:
            epi.start_ns = min(epi.start_ns, *times)
            epi.end_ns = max(epi.end_ns, *times)
            epi.detail.setdefault("twopc", []).append(rec.tid)
    for ev in cluster.nodes:
        if ev.name not in epi.nodes:
            continue
        for ref in ev.connection_losses:
            t = at(ref)
            if t is not None and epi.start_ns <= t <= epi.end_ns + 2 * 10**9:
                epi.end_ns = max(epi.end_ns, t)


def _absorb(episodes: list[Episode]) -> list[Episode]:
    """``down`` and ``up`` hold what happens inside them (a disconnect, a role change)."""
    containers = [e for e in episodes if e.kind in ("down", "up")]

    def holder_of(e: Episode) -> Episode | None:
        if e.kind not in ("disconnect", "role change"):
            return None
        for c in containers:
            if set(c.nodes) & set(e.nodes) and c.start_ns <= e.start_ns and e.end_ns <= c.end_ns:
                return c
        return None

    keep = []
    for e in episodes:
        holder = holder_of(e)
        if holder is None:
            keep.append(e)
            continue
        holder.refs.extend(e.refs)
        holder.detail.setdefault("includes", []).append(e.title)
    return keep


def _extend_driver_starts(episodes: list[Episode], cluster: Cluster, alignment: Alignment):
    """A driver start lasts until the node's next episode (or 10 s, whichever is first)."""
    for e in episodes:
        if e.kind != "driver start":
            continue
        later = [
            o.start_ns
            for o in episodes
            if o is not e and e.nodes[0] in o.nodes and o.start_ns > e.start_ns
        ]
        e.end_ns = min([*later, e.start_ns + 10 * 10**9]) - 1


def to_json(episodes: list[Episode], fmt_ns) -> list[dict[str, Any]]:
    return [
        {
            "number": e.number,
            "kind": e.kind,
            "title": e.title,
            "nodes": e.nodes,
            "start": fmt_ns(e.start_ns),
            "end": fmt_ns(e.end_ns),
            "duration_s": round((e.end_ns - e.start_ns) / 1e9, 6),
            "diagram": f"diagrams/{e.slug}.svg",
            "detail": e.detail,
        }
        for e in episodes
    ]
