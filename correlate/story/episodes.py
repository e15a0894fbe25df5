"""Stage 4b, episodes: the aligned story cut into the pieces a reader thinks in.

An episode belongs to one resource (or to a node, for a driver load; or lists the
resources one ``up``/``down`` covered) and involves one or more nodes:

* ``driver start``: a driver load (DRIVER:77) and the lines right after it;
* ``up``: ``bsradm up``'s new-resource ... connect commands (``up all``: one episode);
* ``connect``: one connection (:class:`~correlate.model.Connect`, both nodes' sides when
  they were proven the same): the handshake, the connect 2PC, the UUID comparison, the
  bitmap exchange and the resync;
* ``role change``: a Primary/Secondary change and the command and 2PC that carried it
  (or a PRIMARY/SECONDARY command that changed nothing);
* ``disconnect`` / ``network failure``: a connection leaving Connected, on purpose (a
  disconnect command or 2PC) or not (socket errors, NetworkFailure), both sides when the
  connection they close is one matched connection;
* ``down``: ``bsradm down`` from the command to its termination (``down all``: one).

Membership comes from the records (which connection a 2PC, a decision or a resync
belonged to, which command a role change happened in), found with indices built once and
binary search over each node's rows: linear in the number of records, and nothing of
one resource is ever taken into another's episode. Times are on the reference clock (ns).

An episode holds what started it: its start is the earliest line, on any node, of the
2PCs and the netlink command that caused it (the connect 2PC, the 2PC a disconnect or a
role change applied, the DISCONNECT/PRIMARY/... command), and its end is no earlier than
their last line, so that every message of those 2PCs is inside (a participant's prepare
can be aligned a fraction of a millisecond before the state change it leads to).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from correlate.i18n import N_, UNNAMED_PEER, Msg
from correlate.model import (
    Clock,
    Cluster,
    Connect,
    ConnectionLoss,
    Landmark,
    NetlinkCommand,
    Ref,
    TwopcSide,
)
from correlate.vocab import ResyncOutcome

LOSS_STATES = {"NetworkFailure", "BrokenPipe", "Timeout", "ProtocolError"}
# The 2PC a role command starts, or one that carried a role change without a command,
# precedes the change by at most this much on the node's own clock.
ROLE_2PC_LEAD_NS = 5_000_000_000
# A DISCONNECT/DOWN command this long before a connection went down asked for it.
COMMAND_LEAD_NS = 60_000_000_000
# Lines about the same loss (socket errors, "Connection closed") follow within this.
LOSS_TAIL_NS = 2_000_000_000
DRIVER_START_NS = 10_000_000_000


@dataclass(eq=False)
class Episode:
    kind: str
    nodes: list[str]
    start_ns: int
    end_ns: int
    heading: Msg  # the title, shown in the reader's language
    resource: str | None = None
    resources: list[str] = field(default_factory=list)
    refs: list[Ref] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)
    number: int = 0

    @property
    def title(self) -> str:
        """The title in English (as summary.json writes it)."""
        return str(self.heading)

    @property
    def slug(self) -> str:
        kind = re.sub(r"[^a-z0-9]+", "-", self.kind)
        if len(self.resources) > 1:
            tail = f"-{len(self.resources)}-resources"
        elif self.resources or self.resource:
            res = self.resource or self.resources[0]
            tail = "-" + re.sub(r"[^A-Za-z0-9_.-]+", "-", res)[:60].strip("-.")
        else:
            tail = ""
        return f"episode-{self.number:02d}-{kind}{tail}"

    def covers(self, resource: str | None) -> bool:
        """Does a line of ``resource`` belong here? (a node's own lines always do)"""
        if resource is None:
            return True
        if self.resources:
            return resource in self.resources
        return self.resource is None or resource == self.resource


# Episode kinds as a reader sees them (the kind itself is an interface: English).
KIND_WORDS = {
    "driver start": N_("driver start"),
    "up": N_("up"),
    "down": N_("down"),
    "connect": N_("connect"),
    "role change": N_("role change"),
    "role change asked": N_("role change asked"),
    "disconnect": N_("disconnect"),
    "network failure": N_("network failure"),
}


def _named(kind: str, resources: list[str]) -> Msg:
    """``connect r1``: the kind, translated, and the resources it is about."""
    word = Msg(KIND_WORDS[kind])
    if resources:
        return Msg("{kind} {resources}", kind=word, resources=", ".join(resources))
    return word


def build(cluster: Cluster, clock: Clock) -> list[Episode]:
    at = clock.at
    order = {n.name: i for i, n in enumerate(cluster.nodes)}
    episodes: list[Episode] = []
    for ev in cluster.nodes:
        for lm in ev.landmarks:
            start = at(lm.ref)
            if start is None:
                continue
            if lm.kind == "driver_loaded":
                episodes.append(
                    Episode(
                        "driver start",
                        [ev.name],
                        start,
                        start,
                        Msg("driver start: {node}", node=ev.name),
                        refs=[lm.ref],
                        detail={"version": lm.detail.get("version")},
                    )
                )
            elif lm.kind in ("up", "down"):
                episodes.append(_admin(lm, ev.name, start, at(lm.end) or start))
    idx = _Index(cluster)
    episodes.extend(_connects(cluster, clock, order, idx))
    episodes.extend(_role_changes(cluster, clock, order))
    episodes.extend(_disconnects(cluster, clock, order, idx))
    episodes = _absorb(episodes)
    _extend_driver_starts(episodes)
    episodes = [_with_twopc_nodes(cluster, e, order) for e in episodes]
    episodes.sort(key=lambda e: (e.start_ns, e.kind, [order.get(n, 0) for n in e.nodes]))
    for i, e in enumerate(episodes, 1):
        e.number = i
    return episodes


def _with_twopc_nodes(cluster: Cluster, e: Episode, order: dict[str, int]) -> Episode:
    """Every message of an episode's 2PCs is drawn, so every node whose own log holds a
    side of them is one of the episode's nodes: a connect of one node whose 2PC another
    node started has that node's lifeline too. A node another node's lines merely name
    (a participant of another cluster with the same name) is not: only its own side of
    the same tid proves it took part. The title keeps the nodes the episode is about."""
    nodes = list(e.nodes)
    for tid in e.detail.get("twopc") or []:
        rec = cluster.record(tid, e.resource)
        if rec is None:
            continue
        nodes += [n for n in dict.fromkeys(x.node for x in rec.sides) if n not in nodes]
    if len(nodes) == len(e.nodes):
        return e
    return replace(e, nodes=sorted(nodes, key=order.__getitem__))


def _admin(lm: Landmark, node: str, start: int, end: int) -> Episode:
    res = lm.resources
    return Episode(
        lm.kind,
        [node],
        start,
        end,
        Msg("{what}: {node}", what=_named(lm.kind, res), node=node),
        resource=res[0] if len(res) == 1 else None,
        resources=list(res),
        refs=[lm.ref],
        detail=dict(lm.detail),
    )


# -- connects ---------------------------------------------------------------------------------


class _Index:
    """What the episode builders look up, built once: the merged resync of each side,
    each node's DISCONNECT/DOWN commands and connection losses in row order."""

    def __init__(self, cluster: Cluster) -> None:
        self.resync_of = {side: r for r in cluster.resyncs for side in r.sides}
        self.cuts: dict[str, list[NetlinkCommand]] = {}
        self.losses: dict[tuple, list[ConnectionLoss]] = defaultdict(list)
        for ev in cluster.nodes:
            self.cuts[ev.name] = [c for c in ev.netlink if c.command in ("DISCONNECT", "DOWN")]
            for x in ev.connection_losses:
                self.losses[(ev.name, x.resource, x.peer, x.peer_host)].append(x)
        self.cut_rows = {k: [c.received.row for c in v] for k, v in self.cuts.items()}
        self.loss_rows = {k: [x.ref.row for x in v] for k, v in self.losses.items()}


def _connects(cluster: Cluster, clock: Clock, order: dict[str, int], idx: _Index) -> list[Episode]:
    return [_connect(cluster, clock, order, idx, c) for c in cluster.connects if _made(cluster, c)]


def _made(cluster: Cluster, c: Connect) -> bool:
    """Did the log show this connection being made? A handshake, a connect 2PC, a UUID
    handshake, a bitmap exchange or a resync does; a connection the log only shows open
    (it began inside it) is no connect episode."""
    for s in c.sides:
        if s.handshake or s.decisions or s.bitmaps or s.resyncs:
            return True
        for tid in s.tids:
            rec = cluster.record(tid, c.resource)
            if rec is not None and rec.changes.get("conn") == "Connected":
                return True
    return False


def _connect(
    cluster: Cluster, clock: Clock, order: dict[str, int], idx: _Index, c: Connect
) -> Episode:
    sides = c.sides
    nodes = sorted({s.node for s in sides}, key=order.__getitem__)
    peer = None
    if c.b is None:
        peer = cluster.name_of(c.resource, c.a.peer, c.a.peer_host)
    starts = [s.handshake.ref if s.handshake else s.start for s in sides]
    refs: list[Ref] = list(starts)
    detail: dict[str, Any] = {"resource": c.resource, "matched_by": c.by}
    # The connect 2PC (the one that made the connection Connected), not later ones the
    # connection carried (role changes have episodes of their own).
    tids = []
    for s in sides:
        for tid in s.tids:
            rec = cluster.record(tid, c.resource)
            if rec is not None and rec.changes.get("conn") == "Connected" and tid not in tids:
                tids.append(tid)
                refs.extend(rec.refs())
    if tids:
        detail["twopc"] = tids
    decisions = [d for s in sides for d in s.decisions]
    for d in decisions:
        refs.extend(r for r in (d.start, d.rule_ref, d.compare) if r is not None)
    if decisions:
        detail["decisions"] = [f"{d.node}:{d.result}" for d in decisions]
        pairs = {id(p): p for d in decisions if (p := cluster.twin.get(d)) is not None}
        if pairs:
            detail["mirrored"] = all(p.mirrored for p in pairs.values())
    for s in sides:
        for ex in s.bitmaps:
            refs.extend(ex.refs())
    records = []
    for side in sides:
        for x in side.resyncs:
            r = idx.resync_of.get(x)
            if r is not None and r not in records:
                records.append(r)
    for r in records:
        refs.extend(r.refs())
    start = clock.first(starts) or clock.first(refs) or 0
    lo, hi = _span(cluster, clock, tids, c.resource)
    start = min(start, lo) if lo is not None else start
    end = max(start, clock.last(refs) or start, hi or start)
    pair = " - ".join(nodes + ([peer] if peer else []))
    named = _named("connect", [c.resource] if c.resource else [])
    title = Msg("{what} {pair}", what=named, pair=pair)
    if records:
        r = records[0]
        detail["resync"] = {
            "source": r.source,
            "target": r.target,
            "kb": r.kb,
            "outcome": r.outcome,
            "volume": r.volume,
        }
        # the record's kind and outcome are words (resync, broken): in the reader's language
        outcome = (
            "" if r.outcome == ResyncOutcome.DONE else Msg(" ({outcome})", outcome=Msg(r.outcome))
        )
        more = Msg(" (+{count} more)", count=len(records) - 1) if len(records) > 1 else ""
        title = Msg(
            "{what} {pair}: {kind} {source} -> {target}{outcome}{more}",
            what=named,
            pair=pair,
            kind=Msg(r.kind),
            source=r.source or Msg(UNNAMED_PEER),
            target=r.target or Msg(UNNAMED_PEER),
            outcome=outcome,
            more=more,
        )
    return Episode(
        "connect", nodes, start, end, title, resource=c.resource, refs=refs, detail=detail
    )


# -- role changes -------------------------------------------------------------------------


def _role_changes(cluster: Cluster, clock: Clock, order: dict[str, int]) -> list[Episode]:
    at = clock.at
    out = []
    for ev in cluster.nodes:
        asked = [c for c in ev.netlink if c.command in ("PRIMARY", "SECONDARY")]
        asked_rows = [c.received.row for c in asked]
        # The 2PCs this node initiated that changed a role, per resource, by prepare row.
        initiated: dict[str | None, list[TwopcSide]] = defaultdict(list)
        for sides in ev.twopc.values():
            for s in sides:
                if s.role == "initiator" and "role" in s.changes and s.prepare is not None:
                    initiated[s.resource].append(s)
        for lst in initiated.values():
            lst.sort(key=lambda s: s.prepare.row)
        rows = {k: [s.prepare.row for s in v] for k, v in initiated.items()}
        used: set[int] = set()
        for ch in ev.state_changes:
            if ch.what != "role" or ch.failed:
                continue
            t = at(ch.ref)
            if t is None:
                continue
            start = end = t
            refs = [ch.ref]
            # The command that asked for it: the last one received before the change and
            # still running when it happened.
            k = bisect_right(asked_rows, ch.ref.row) - 1
            cmd: NetlinkCommand | None = None
            if k >= 0 and (asked[k].done is None or asked[k].done.row >= ch.ref.row):
                cmd = asked[k]
                used.add(id(cmd))
                start = at(cmd.received) or t
                end = max(end, at(cmd.done) or t)
                refs = [cmd.received, ch.ref]
            nodes = [ev.name]
            side = _carrier(initiated.get(ch.resource, []), rows.get(ch.resource, []), ch, cmd)
            tids = []
            if side is not None:
                rec = cluster.record(side.tid, side.resource)
                if rec is not None:
                    tids.append(rec.tid)
                    span = [t for t in map(at, rec.refs()) if t is not None]
                    if span:
                        start, end = min(start, *span), max(end, *span)
                    nodes += [n for n in rec.participants if n not in nodes]
            res = [ch.resource] if ch.resource else []
            out.append(
                Episode(
                    "role change",
                    sorted(nodes, key=order.__getitem__),
                    start,
                    end,
                    Msg(
                        "{what}: {node} {old} -> {new}",
                        what=_named("role change", res),
                        node=ev.name,
                        old=ch.old,
                        new=ch.new,
                    ),
                    resource=ch.resource,
                    refs=refs,
                    detail={"old": ch.old, "new": ch.new, "twopc": tids},
                )
            )
        # A PRIMARY/SECONDARY command with no role change is a story too (often the
        # interesting one: the 2PC behind it failed or never finished).
        for c in asked:
            if id(c) in used or (start := at(c.received)) is None:
                continue
            end = at(c.done) or start
            state = Msg("never terminated") if c.done is None else Msg("terminated")
            nodes = [ev.name]
            tids = []
            hi = c.done.row if c.done is not None else 1 << 62
            for resource, lst in initiated.items():
                if c.resources and resource not in c.resources:
                    continue
                for s in lst:
                    if c.received.row <= s.prepare.row <= hi:
                        rec = cluster.record(s.tid, s.resource)
                        if rec is None:
                            continue
                        tids.append(rec.tid)
                        start = min(start, clock.first(rec.refs()) or start)
                        end = max(end, clock.last(rec.refs()) or end)
                        nodes += [n for n in rec.participants if n not in nodes]
            res = c.resources
            out.append(
                Episode(
                    "role change",
                    sorted(nodes, key=order.__getitem__),
                    start,
                    end,
                    Msg(
                        "{what}: {node} {command}, no role change logged (command {state})",
                        what=_named("role change asked", res),
                        node=ev.name,
                        command=c.command,
                        state=state,
                    ),
                    resource=res[0] if len(res) == 1 else None,
                    resources=list(res),
                    refs=[r for r in (c.received, c.done) if r is not None],
                    # terminated: as a down episode's, so that whether the command
                    # finished is read from data, not from the title's words
                    detail={
                        "command": c.command,
                        "changed": False,
                        "terminated": c.done is not None,
                        "twopc": tids,
                    },
                )
            )
    return out


def _carrier(sides: list[TwopcSide], rows: list[int], ch, cmd) -> TwopcSide | None:
    """The 2PC that carried a role change: the last one this node initiated in the
    resource before the change, asking for that role, prepared inside the command (or
    shortly before the change when there is no command)."""
    k = bisect_right(rows, ch.ref.row) - 1
    while k >= 0:
        s = sides[k]
        if s.changes.get("role") == ch.new:
            if cmd is not None:
                return s if s.prepare.row >= cmd.received.row else None
            lead = (ch.ref.local_ns or 0) - (s.prepare.local_ns or 0)
            return s if 0 <= lead <= ROLE_2PC_LEAD_NS else None
        k -= 1
    return None


# -- disconnects ------------------------------------------------------------------------------


def _disconnects(
    cluster: Cluster, clock: Clock, order: dict[str, int], idx: _Index
) -> list[Episode]:
    """One episode per connection that went down (both sides of a matched connection
    together); a connection's end that no walk closed stands alone."""
    closed_by: dict[Ref, Connect] = {}
    for c in cluster.connects:
        for s in c.sides:
            if s.end is not None:
                closed_by[s.end] = c
    groups: dict[object, list] = defaultdict(list)
    lone = []
    for ev in cluster.nodes:
        for ch in ev.state_changes:
            if ch.what != "conn" or ch.old != "Connected" or ch.failed:
                continue
            c = closed_by.get(ch.ref)
            if c is not None and c.b is not None:
                groups[id(c)].append((ev, ch, c))
            elif ch.tid is not None:
                # The two sides of a disconnect the walk saw no connection for (the log
                # began inside it) are one by the 2PC that carried it.
                groups[(ch.resource, ch.tid)].append((ev, ch, c))
            else:
                lone.append([(ev, ch, c)])
    out = []
    for group in [*groups.values(), *lone]:
        epi = _disconnect(cluster, clock, order, idx, group)
        if epi is not None:
            out.append(epi)
    return out


def _disconnect(
    cluster: Cluster, clock: Clock, order: dict[str, int], idx: _Index, group
) -> Episode | None:
    at = clock.at
    times = [t for _, ch, _ in group if (t := at(ch.ref)) is not None]
    if not times:
        return None
    start, end = min(times), max(times)
    refs = [ch.ref for _, ch, _ in group]
    _, ch0, connect = group[0]
    resource = ch0.resource
    kind = "network failure" if any(ch.new in LOSS_STATES for _, ch, _ in group) else "disconnect"
    nodes = {ev.name for ev, _, _ in group}
    peer_names = []
    for ev, ch, _ in group:
        peer = cluster.name_of(ch.resource, ch.peer, ch.peer_host)
        if peer and peer not in nodes and peer not in peer_names:
            peer_names.append(peer)
        # The DISCONNECT or DOWN that asked for it: the last one received before the
        # change (a minute before at most), of its resource when it named one.
        cuts, rows = idx.cuts[ev.name], idx.cut_rows[ev.name]
        k = bisect_right(rows, ch.ref.row) - 1
        if k >= 0:
            c = cuts[k]
            lead = (ch.ref.local_ns or 0) - (c.received.local_ns or 0)
            if 0 <= lead <= COMMAND_LEAD_NS and (not c.resources or resource in c.resources):
                start = min(start, at(c.received) or start)
                end = max(end, at(c.done) or end)
                refs.append(c.received)
        # The lines that closed the connection after it (socket errors, "Connection
        # closed"), within a moment.
        key = (ev.name, ch.resource, ch.peer, ch.peer_host)
        losses, rows = idx.losses.get(key, []), idx.loss_rows.get(key, [])
        for loss in losses[bisect_right(rows, ch.ref.row) :]:
            lead = (loss.ref.local_ns or 0) - (ch.ref.local_ns or 0)
            if not 0 <= lead <= LOSS_TAIL_NS:
                break
            end = max(end, at(loss.ref) or end)
    tids = []
    sides = connect.sides if connect is not None else []
    for s in sides:
        for tid in s.tids:
            rec = cluster.record(tid, resource)
            if rec is not None and rec.changes.get("conn") == "Disconnecting" and tid not in tids:
                tids.append(tid)
    # The 2PC whose commit a disconnect applied (the log may begin inside the connection,
    # so that no connection lists it). Not for a network failure: no 2PC causes one, and
    # the last commit before it may be minutes older.
    for _, ch, _ in group if kind == "disconnect" else []:
        rec = cluster.record(ch.tid, resource) if ch.tid is not None else None
        if (
            rec is not None
            and ch.tid not in tids
            and rec.changes.get("conn") in (None, "Disconnecting")
        ):
            tids.append(ch.tid)
    lo, hi = _span(cluster, clock, tids, resource)
    if lo is not None:
        start, end = min(start, lo), max(end, hi)
    names = sorted(nodes, key=order.__getitem__)
    pair = " - ".join(names + peer_names)
    states = sorted({ch.new for _, ch, _ in group})
    res = [resource] if resource else []
    return Episode(
        kind,
        names,
        start,
        end,
        Msg(
            "{what}: {pair} ({states})",
            what=_named(kind, res),
            pair=pair,
            states=", ".join(states),
        ),
        resource=resource,
        refs=refs,
        detail={"state": states[0] if len(states) == 1 else states, "twopc": tids},
    )


def _span(
    cluster: Cluster, clock: Clock, tids: list[int], resource: str | None
) -> tuple[int | None, int | None]:
    """The first and last aligned time of the 2PCs' lines, on any node (None: none)."""
    refs = [r for tid in tids if (rec := cluster.record(tid, resource)) for r in rec.refs()]
    return clock.first(refs), clock.last(refs)


# -- containers and driver starts ---------------------------------------------------------------


def _absorb(episodes: list[Episode]) -> list[Episode]:
    """``down`` and ``up`` hold what happens inside them on their node and resources (the
    disconnect a ``down`` causes, a role change inside an ``up``)."""
    containers: dict[str, list[Episode]] = defaultdict(list)
    for e in episodes:
        if e.kind in ("down", "up"):
            containers[e.nodes[0]].append(e)
    for lst in containers.values():
        lst.sort(key=lambda c: c.start_ns)
    starts = {n: [c.start_ns for c in lst] for n, lst in containers.items()}

    def holder_of(e: Episode) -> Episode | None:
        if e.kind not in ("disconnect", "role change"):
            return None
        for node in e.nodes:
            # A node's ups and downs do not overlap: the last one begun before it.
            k = bisect_right(starts.get(node, []), e.start_ns) - 1
            if k >= 0:
                c = containers[node][k]
                if c.covers(e.resource) and e.end_ns <= c.end_ns:
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


def _extend_driver_starts(episodes: list[Episode]) -> None:
    """A driver start lasts until the node's next episode (or 10 s, whichever is first)."""
    starts: dict[str, list[int]] = defaultdict(list)
    for e in episodes:
        for n in e.nodes:
            starts[n].append(e.start_ns)
    for lst in starts.values():
        lst.sort()
    for e in episodes:
        if e.kind != "driver start":
            continue
        lst = starts[e.nodes[0]]
        k = bisect_right(lst, e.start_ns)
        nxt = lst[k] if k < len(lst) else None
        e.end_ns = min([*([nxt] if nxt is not None else []), e.start_ns + DRIVER_START_NS]) - 1
