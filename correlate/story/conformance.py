"""Stage 4f, conformance: each episode checked against the protocol's normal sequence.

Reads the episodes (:mod:`correlate.story.episodes`) and the records behind them (the
cluster's connections, state changes and 2PCs) and returns, per episode number, the
steps that are missing or out of order (:class:`Deviation`). The normal sequences, as
DRBD 9, DRBD 8.4 and BSR log them (BSR's as the seed guide's logs show: the same steps,
its own templates):

* connect, on each node: the handshake; the UUID comparison; where a resync follows, the
  bitmap exchange (``WFBitMapS``/``WFBitMapT``) before the resync begins, and the resync's
  end (``Resync done`` or the return to ``Established``/``Connected``); the connection
  reaching ``Connected`` (a state change, or the connect 2PC that committed it);
* disconnect, on the node that asked for it: its 2PC (DRBD 9 and BSR; 8.4 has none),
  ``Disconnecting``, then ``StandAlone``;
* role change: its 2PC while a peer is connected (DRBD 9 and BSR), and each connected
  peer whose log is here logging the new role (``peer( Secondary -> Primary )``).

A step is named only where the lines prove the sequence began (a handshake logged, a
connection seen being attempted): a log that begins inside a connection lacks its
handshake without anything being wrong. Loops run over the few records of each episode.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field

from correlate.events.builders import REPL_STATES, peer_key
from correlate.i18n import Msg
from correlate.model import Clock, Cluster, ConnectSide, NodeEvents, Ref, StateChange
from correlate.story.episodes import Episode
from correlate.vocab import Outcome, ResyncOutcome

# A connection being attempted: the handshake is the next thing it logs.
ATTEMPT_STATES = {"Connecting", "Unconnected", "WFConnection", "WFReportParams"}
# uuid_compare results (BSR's and DRBD 9.0's numbers) after which a resync follows.
RESYNC_RESULTS = {1, -1, 2, -2, 3, -3}
# A peer logs a role change it learns of within this long after it happened (its commit).
PEER_VIEW_NS = 5_000_000_000


@dataclass(eq=False)
class Deviation:
    """A step of an episode's normal sequence that is missing or out of order."""

    episode: int
    node: str
    step: str  # handshake, uuid, bitmap, resync_end, connected, twopc, standalone, peer_view
    problem: str  # missing or order
    msg: Msg
    refs: list[Ref] = field(default_factory=list)
    resource: str | None = None

    @property
    def text(self) -> str:
        return str(self.msg)


def check(cluster: Cluster, clock: Clock, episodes: list[Episode]) -> dict[int, list[Deviation]]:
    """Per episode number, what its sequence lacks (episodes that conform are absent)."""
    ix = _Index(cluster)
    out: dict[int, list[Deviation]] = {}
    for e in episodes:
        if e.kind == "connect":
            found = _connect(cluster, ix, e)
        elif e.kind == "disconnect":
            found = _disconnect(cluster, ix, e)
        elif e.kind == "role change" and "old" in e.detail:
            found = _role(cluster, clock, ix, e)
        else:
            continue
        if found:
            out[e.number] = found
    return out


class _Index:
    """Built once: the connect of each side's first line, the state change of each
    line, each node's conn changes per (resource, peer) in row order."""

    def __init__(self, cluster: Cluster) -> None:
        self.connect_of: dict[Ref, object] = {}
        for c in cluster.connects:
            for s in c.sides:
                self.connect_of.setdefault(s.handshake.ref if s.handshake else s.start, c)
        self.changes: dict[Ref, list[StateChange]] = defaultdict(list)
        self.conns: dict[tuple, list[StateChange]] = defaultdict(list)
        self.peer_views: dict[tuple, list[StateChange]] = defaultdict(list)
        for ev in cluster.nodes:
            for ch in ev.state_changes:
                if ch.failed:
                    continue
                self.changes[ch.ref].append(ch)
                key = (ev.name, ch.resource, peer_key(ch.peer, ch.peer_host))
                if ch.what == "conn":
                    self.conns[key].append(ch)
                elif ch.what == "peer":
                    self.peer_views[key].append(ch)
        self.conn_rows = {k: [c.ref.row for c in v] for k, v in self.conns.items()}

    def conn_before(self, node: str, resource, pk, row: int) -> StateChange | None:
        key = (node, resource, pk)
        k = bisect_left(self.conn_rows.get(key, []), row) - 1
        return self.conns[key][k] if k >= 0 else None

    def conn_after(self, node: str, resource, pk, row: int) -> StateChange | None:
        key = (node, resource, pk)
        rows = self.conn_rows.get(key, [])
        k = bisect_left(rows, row + 1)
        return self.conns[key][k] if k < len(rows) else None


def _dev(e: Episode, node: str, step: str, problem: str, msg: Msg, refs) -> Deviation:
    return Deviation(e.number, node, step, problem, msg, [r for r in refs if r], e.resource)


# -- connect ----------------------------------------------------------------------------


def _connect(cluster: Cluster, ix: _Index, e: Episode) -> list[Deviation]:
    connect = next((ix.connect_of[r] for r in e.refs if r in ix.connect_of), None)
    if connect is None:
        return []
    out: list[Deviation] = []
    for side in connect.sides:
        out += _connect_side(cluster, ix, e, side)
    return out


def _connect_side(cluster: Cluster, ix: _Index, e: Episode, s: ConnectSide) -> list[Deviation]:
    out: list[Deviation] = []
    node = s.node
    pk = peer_key(s.peer, s.peer_host)
    hs = s.handshake.ref if s.handshake else None
    decisions = sorted(s.decisions, key=lambda d: d.start.row)
    bitmaps = [b for b in s.bitmaps if b.start is not None]
    # a resync whose start is before the log (only its end is logged) is not judged
    resyncs = [r for r in s.resyncs if r.kind == "resync" and r.start is not r.end]
    first = min([x.row for x in [*(d.start for d in decisions), *(b.start for b in bitmaps),
                                 *(r.start for r in resyncs)]], default=None)  # fmt: skip
    if hs is None and first is not None:
        before = ix.conn_before(node, s.resource, pk, first)
        if before is not None and before.new in ATTEMPT_STATES:
            out.append(_dev(e, node, "handshake", "missing",
                            Msg("{node}: the connection was being made ({state}), but no "
                                "handshake was logged before the UUID comparison",
                                node=node, state=before.new), [before.ref]))  # fmt: skip
    if hs is not None and decisions and decisions[0].start.row < hs.row:
        out.append(_dev(e, node, "uuid", "order",
                        Msg("{node}: the UUID comparison came before the handshake", node=node),
                        [decisions[0].start, hs]))  # fmt: skip
    for b in bitmaps:
        same = [d for d in decisions if _same(d, b)]
        if hs is not None and not same:
            out.append(_dev(e, node, "uuid", "missing",
                            Msg("{node}: bitmap exchange without a UUID comparison", node=node),
                            [b.start]))  # fmt: skip
        elif same and b.start.row < same[0].start.row:
            out.append(_dev(e, node, "bitmap", "order",
                            Msg("{node}: the bitmap exchange began before the UUID comparison",
                                node=node), [b.start, same[0].start]))  # fmt: skip
    for r in resyncs:
        ex = [b for b in bitmaps if _same(b, r)]
        if not ex:
            out.append(_dev(e, node, "bitmap", "missing",
                            Msg("{node}: resync began without a bitmap exchange", node=node),
                            [r.start]))  # fmt: skip
        elif ex[0].start.row > r.start.row:
            out.append(_dev(e, node, "bitmap", "order",
                            Msg("{node}: the bitmap exchange came after the resync began",
                                node=node), [r.start, ex[0].start]))  # fmt: skip
        if r.outcome == ResyncOutcome.RUNNING:
            out.append(_dev(e, node, "resync_end", "missing",
                            Msg("{node}: the resync began, its end is not logged (still "
                                "running when the log ends)", node=node), [r.start]))  # fmt: skip
        elif r.outcome == ResyncOutcome.BROKEN:
            out.append(_dev(e, node, "resync_end", "missing",
                            Msg("{node}: the resync did not finish: {reason}", node=node,
                                reason=r.end_reason or Msg("cut short")),
                            [r.start, r.end]))  # fmt: skip
    for d in decisions:
        result = d.result if isinstance(d.result, int) else None
        follows = [b for b in bitmaps if _same(b, d)]
        if result in RESYNC_RESULTS and not follows and not resyncs:
            out.append(_dev(e, node, "bitmap", "missing",
                            Msg("{node}: {decision} asked for a resync, but no bitmap "
                                "exchange followed", node=node, decision=d.label),
                            [d.compare or d.start]))  # fmt: skip
    if hs is not None and not _connected(cluster, ix, s, pk):
        out.append(_dev(e, node, "connected", "missing",
                        Msg("{node}: handshake, but the connection never reached Connected",
                            node=node), [hs]))  # fmt: skip
    return out


def _same(x, y) -> bool:
    """Two records of one volume (DRBD 8.4's: of one minor)."""
    if x.volume is not None and y.volume is not None:
        return x.volume == y.volume
    # DRBD 8.4's records name a minor, some of them (a bitmap exchange) none
    return x.minor is None or y.minor is None or x.minor == y.minor


def _connected(cluster: Cluster, ix: _Index, s: ConnectSide, pk) -> bool:
    """Did this side's connection reach Connected (a state change, a sync state in
    DRBD 8.4's conn( ), or the committed connect 2PC it carried)?"""
    hi = s.last_row if s.last_row is not None else 1 << 62
    lo = s.handshake.ref.row if s.handshake else s.start.row
    for ch in ix.conns.get((s.node, s.resource, pk), []):
        if lo <= ch.ref.row <= hi and (ch.new == "Connected" or ch.new in REPL_STATES):
            return True
    for tid in s.tids:
        rec = cluster.record(tid, s.resource)
        if (
            rec is not None
            and rec.changes.get("conn") == "Connected"
            and rec.outcome == Outcome.COMMITTED
        ):
            return True
    # A replication state or a peer's disk logged on this connection: it was up.
    return bool(s.bitmaps or s.resyncs)


# -- disconnect -------------------------------------------------------------------------


def _disconnect(cluster: Cluster, ix: _Index, e: Episode) -> list[Deviation]:
    out: list[Deviation] = []
    for ref in e.refs:
        for ch in ix.changes.get(ref, []):
            if ch.what != "conn" or ch.old != "Connected" or ch.new != "Disconnecting":
                continue
            node = ch.ref.node
            ev = cluster.by_name.get(node)
            if ev is not None and ev.identity.dialect != "8.4" and ch.tid is None:
                out.append(_dev(e, node, "twopc", "missing",
                                Msg("{node}: went Disconnecting without a 2PC logged before it",
                                    node=node), [ch.ref]))  # fmt: skip
            nxt = ix.conn_after(node, ch.resource, peer_key(ch.peer, ch.peer_host), ch.ref.row)
            if nxt is None:
                if not _log_ends_soon(ev, ch.ref):
                    out.append(_dev(e, node, "standalone", "missing",
                                    Msg("{node}: Disconnecting, but StandAlone was never logged",
                                        node=node), [ch.ref]))  # fmt: skip
            elif nxt.old == ch.new and nxt.new != "StandAlone":
                # (a next change from another state: lines are missing between, the
                # capture's gap, not the protocol's)
                out.append(_dev(e, node, "standalone", "order",
                                Msg("{node}: went from Disconnecting to {state}, not StandAlone",
                                    node=node, state=nxt.new), [ch.ref, nxt.ref]))  # fmt: skip
    return out


def _log_ends_soon(ev: NodeEvents | None, ref: Ref) -> bool:
    """The node's log ends within a few lines of ``ref`` (the next step is cut off)."""
    if ev is None or not ev.events.height:
        return True
    return int(ev.events["row"].max()) <= ref.row


# -- role change -----------------------------------------------------------------------


def _role(cluster: Cluster, clock: Clock, ix: _Index, e: Episode) -> list[Deviation]:
    out: list[Deviation] = []
    for ref in e.refs:
        for ch in ix.changes.get(ref, []):
            if ch.what != "role":
                continue
            node = ch.ref.node
            ev = cluster.by_name[node]
            connected = [
                key[2]
                for key, lst in ix.conns.items()
                if key[0] == node and key[1] == ch.resource
                and (last := _last_before(lst, ch.ref.row)) is not None
                and last.new == "Connected"
            ]  # fmt: skip
            if not connected:
                continue
            if ev.identity.dialect != "8.4" and ch.tid is None and not e.detail.get("twopc"):
                out.append(_dev(e, node, "twopc", "missing",
                                Msg("{node}: role {old} -> {new} while connected, without a 2PC",
                                    node=node, old=ch.old, new=ch.new), [ch.ref]))  # fmt: skip
            t = clock.at(ch.ref)
            for pk in connected:
                peer = cluster.peer_node(ch.resource, pk if isinstance(pk, int) else None,
                                         pk if isinstance(pk, str) else None)  # fmt: skip
                pev = cluster.by_name.get(peer) if peer else None
                if pev is None or t is None or not _covers(pev, clock, t):
                    continue
                if not _peer_saw(cluster, clock, ix, pev, ch, t):
                    out.append(_dev(e, peer, "peer_view", "missing",
                                    Msg("{peer} never logged {node}'s role change "
                                        "(peer( {old} -> {new} ))", peer=peer, node=node,
                                        old=ch.old, new=ch.new), [ch.ref]))  # fmt: skip
    return out


def _last_before(lst: list[StateChange], row: int) -> StateChange | None:
    found = None
    for c in lst:
        if c.ref.row >= row:
            break
        found = c
    return found


def _covers(ev: NodeEvents, clock: Clock, t: int) -> bool:
    """The node's log runs past ``t`` by the time a peer's view takes."""
    last = clock.last(c.ref for c in ev.state_changes[-1:])
    return last is not None and last >= t + PEER_VIEW_NS


def _peer_saw(cluster: Cluster, clock: Clock, ix: _Index, pev: NodeEvents, ch, t: int) -> bool:
    for key, lst in ix.peer_views.items():
        if key[0] != pev.name or key[1] != ch.resource:
            continue
        for v in lst:
            if v.new != ch.new:
                continue
            if cluster.name_of(v.resource, v.peer, v.peer_host) != ch.ref.node:
                continue
            if ch.tid is not None and v.tid == ch.tid:
                return True
            tv = clock.at(v.ref)
            if tv is not None and t - PEER_VIEW_NS <= tv <= t + PEER_VIEW_NS:
                return True
    return False
