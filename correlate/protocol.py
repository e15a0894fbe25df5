"""Stage 2b, protocol: match one node's events to the others', without using clocks.

Every match here stands on protocol identity, never on timestamps (the clocks are what
the next stage has to find):

* node ids: the initiator id a node writes in its own 2PC prepares, the peer ids the
  others write in their prefixes for the same transactions, Linux host names from
  ``Handshake to peer N`` on a connection named by host;
* two-phase commits by transaction id (random 32-bit, the same on every node);
* UUID handshakes by their UUID sets (one node's ``self`` is the other's ``peer``);
* resync sessions and bitmap exchanges through the UUID handshakes they follow;
* connects (handshake lines) through the transactions or UUID handshakes that follow them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from .catalog import results_mirror
from .events import (
    BitmapExchange,
    Handshake,
    NodeEvents,
    Ref,
    ResyncSide,
    TwopcSide,
    UuidDecision,
)


@dataclass
class TwopcRecord:
    tid: int
    initiator: str | None  # node name, or "node id N" when that node's log is absent
    initiator_id: int | None
    target: str | None
    participants: list[str]
    outcome: str  # committed, aborted, timed out, incomplete
    duration_ms: float | None
    changes: dict[str, str]
    mask: int | None
    val: int | None
    sides: list[TwopcSide]
    problems: list[str] = field(default_factory=list)
    abort_rv: int | None = None

    @property
    def initiator_side(self) -> TwopcSide | None:
        return next((s for s in self.sides if s.role == "initiator"), None)

    def participant_sides(self) -> list[TwopcSide]:
        return [s for s in self.sides if s.role == "participant"]


@dataclass
class DecisionPair:
    a: UuidDecision
    b: UuidDecision

    @property
    def mirrored(self) -> bool:
        return results_mirror(self.a.result, self.b.result)


@dataclass
class ResyncRecord:
    kind: str  # resync or verify
    source: str | None
    target: str | None
    kb: int | None
    outcome: str
    sides: list[ResyncSide]

    def side(self, node: str) -> ResyncSide | None:
        return next((s for s in self.sides if s.node == node), None)


@dataclass
class BitmapPair:
    source: BitmapExchange
    target: BitmapExchange


@dataclass
class ConnectPair:
    a: Handshake
    b: Handshake
    by: str  # what paired them: "twopc", "uuid", or "order"


@dataclass
class Cluster:
    nodes: list[NodeEvents]
    id_to_node: dict[int, str] = field(default_factory=dict)
    twopc: list[TwopcRecord] = field(default_factory=list)
    decision_pairs: list[DecisionPair] = field(default_factory=list)
    resyncs: list[ResyncRecord] = field(default_factory=list)
    bitmaps: list[BitmapPair] = field(default_factory=list)
    connects: list[ConnectPair] = field(default_factory=list)

    def node(self, name: str) -> NodeEvents:
        return next(n for n in self.nodes if n.name == name)

    def name_of(self, node_id: int | None) -> str | None:
        if node_id is None:
            return None
        if node_id == -1:
            return "all"
        return self.id_to_node.get(node_id, f"node id {node_id}")

    def pair_of(self, decision: UuidDecision) -> UuidDecision | None:
        for p in self.decision_pairs:
            if p.a is decision:
                return p.b
            if p.b is decision:
                return p.a
        return None


def correlate(nodes: list[NodeEvents]) -> Cluster:
    cluster = Cluster(nodes=nodes)
    _resolve_ids(cluster)
    cluster.twopc = _twopc(cluster)
    cluster.decision_pairs = _pair_decisions(nodes)
    cluster.resyncs = _resyncs(cluster)
    cluster.bitmaps = _bitmaps(cluster)
    cluster.connects = _connects(cluster)
    return cluster


# -- node ids ---------------------------------------------------------------------------


def _resolve_ids(cluster: Cluster) -> None:
    nodes = cluster.nodes
    by_tid: dict[int, list[TwopcSide]] = defaultdict(list)
    for n in nodes:
        for tid, sides in n.twopc.items():
            by_tid[tid].extend(sides)
    # A participant names the initiator by the peer id in its prefix; the initiator
    # names the target in its prepare line.
    for sides in by_tid.values():
        init = next((s for s in sides if s.role == "initiator"), None)
        for s in sides:
            if s.role != "participant" or init is None:
                continue
            me = cluster.node(s.node).identity
            them = cluster.node(init.node).identity
            if them.node_id is None and s.peer is not None:
                them.node_id, them.node_id_from = s.peer, f"peer id in {s.node}'s 2PC lines"
            if me.node_id is None and init.target_id is not None and init.target_id >= 0:
                me.node_id, me.node_id_from = init.target_id, f"2PC target in {init.node}'s log"
    # Two nodes, one of them known: the other is the one peer id the known one talks to.
    changed = True
    while changed:
        changed = False
        for n in nodes:
            ident = n.identity
            if ident.node_id is not None:
                continue
            others = [o.identity for o in nodes if o is not n]
            for other in others:
                if other.node_id is not None and len(other.peer_ids) == 1 and len(nodes) == 2:
                    ident.node_id = other.peer_ids[0]
                    ident.node_id_from = f"the one peer id {other.name} names"
                    changed = True
                    break
            if ident.node_id is None and len(ident.peer_ids) == 1 and len(nodes) == 2:
                # A node never names itself as a peer: in two nodes the other id is mine
                # when ids are the usual 0 and 1.
                (peer,) = ident.peer_ids
                if peer in (0, 1):
                    ident.node_id = 1 - peer
                    ident.node_id_from = "the id its only peer does not have"
                    changed = True
    for n in nodes:
        if n.identity.node_id is not None:
            cluster.id_to_node.setdefault(n.identity.node_id, n.name)
    # Host names: a Linux node calls its peers by host; the peer with that id is the host.
    for n in nodes:
        for peer_id, host in n.identity.hosts.items():
            owner = cluster.id_to_node.get(peer_id)
            if owner is not None and cluster.node(owner).identity.host is None:
                cluster.node(owner).identity.host = host


# -- two-phase commits ----------------------------------------------------------------------


def _twopc(cluster: Cluster) -> list[TwopcRecord]:
    by_tid: dict[int, list[TwopcSide]] = defaultdict(list)
    for n in cluster.nodes:
        for tid, sides in n.twopc.items():
            by_tid[tid].extend(sides)
    records = []
    for tid, sides in by_tid.items():
        records.append(_twopc_record(cluster, tid, sides))
    records.sort(key=lambda r: _first_ref_key(cluster, r.sides))
    return records


def _first_ref_key(cluster: Cluster, sides: list[TwopcSide]) -> tuple:
    """Order transactions by the initiator's counter when there is one (clock-free)."""
    names = [n.name for n in cluster.nodes]
    init = next((s for s in sides if s.role == "initiator"), sides[0])
    ref = init.prepare or init.detail or init.reply or init.commit or init.abort
    row = ref.row if ref else 0
    return (names.index(init.node), row)


def _twopc_record(cluster: Cluster, tid: int, sides: list[TwopcSide]) -> TwopcRecord:
    init = next((s for s in sides if s.role == "initiator"), None)
    parts = [s for s in sides if s.role == "participant"]
    problems: list[str] = []
    if init is not None:
        initiator, initiator_id = init.node, init.initiator_id
        if init.commit is not None:
            outcome = "committed"
        elif init.abort is not None:
            outcome = "timed out" if init.timeouts else "aborted"
        elif init.timeouts:
            outcome = "timed out"
        else:
            outcome = "incomplete"
        target_id = init.target_id
    else:
        initiator_id = next((p.peer for p in parts if p.peer is not None), None)
        initiator = cluster.name_of(initiator_id)
        target_id = next((p.target_id for p in parts if p.target_id is not None), None)
        if any(p.commit for p in parts):
            outcome = "committed"
        elif any(p.abort or p.rejected for p in parts):
            outcome = "aborted"
        elif any(p.timeouts for p in parts):
            outcome = "timed out"
        else:
            outcome = "incomplete"
    for p in parts:
        if p.rejected is not None:
            problems.append(f"{p.node} rejected it")
        if outcome == "committed" and p.commit is None and p.rejected is None:
            problems.append(f"{p.node} never logged the commit")
        if outcome in ("aborted", "timed out") and p.abort is None and p.rejected is None:
            problems.append(f"{p.node} never logged the abort")
    if init is not None and init.timeouts:
        problems.append(f"{init.node} timed out waiting for replies")
    duration = None
    if init is not None:
        end = init.commit or init.abort
        if init.logged_ms is not None:
            duration = float(init.logged_ms)
        elif init.prepare and end and end.local_ns is not None and init.prepare.local_ns:
            duration = (end.local_ns - init.prepare.local_ns) / 1e6
    changes: dict[str, str] = {}
    for s in [init, *parts]:
        if s is not None:
            for k, v in s.changes.items():
                changes.setdefault(k, v)
    return TwopcRecord(
        tid=tid,
        initiator=initiator,
        initiator_id=initiator_id,
        target=cluster.name_of(target_id),
        participants=sorted({p.node for p in parts}),
        outcome=outcome,
        duration_ms=duration,
        changes=changes,
        mask=init.mask if init else None,
        val=init.val if init else None,
        sides=sides,
        problems=problems,
        abort_rv=init.abort_rv if init else None,
    )


# -- UUID handshakes ------------------------------------------------------------------------


def _key(uuids: dict[str, Any]) -> tuple:
    return (uuids.get("current"), uuids.get("bitmap"))


def _pair_decisions(nodes: list[NodeEvents]) -> list[DecisionPair]:
    """One handshake, seen from both sides: my self set is your peer set and vice versa.
    Pairs are taken in each node's own order, so repeated identical handshakes pair up
    first with first."""
    pairs: list[DecisionPair] = []
    used: set[int] = set()
    for i, a_node in enumerate(nodes):
        for b_node in nodes[i + 1 :]:
            for a in a_node.decisions:
                if id(a) in used or not a.self_uuids or not a.peer_uuids:
                    continue
                for b in b_node.decisions:
                    if id(b) in used or not b.self_uuids or not b.peer_uuids:
                        continue
                    if (
                        _key(a.self_uuids) == _key(b.peer_uuids)
                        and _key(a.peer_uuids) == _key(b.self_uuids)
                        and a.resource == b.resource
                    ):
                        pairs.append(DecisionPair(a, b))
                        used.update((id(a), id(b)))
                        break
    return pairs


# -- resyncs and bitmaps ----------------------------------------------------------------------

SOURCE_ROLES = {"SyncSource", "VerifyS"}
TARGET_ROLES = {"SyncTarget", "VerifyT"}


def _resyncs(cluster: Cluster) -> list[ResyncRecord]:
    records: list[ResyncRecord] = []
    paired: set[int] = set()
    sides = [s for n in cluster.nodes for s in n.resyncs]
    for s in sides:
        if id(s) in paired or s.role not in SOURCE_ROLES:
            continue
        partner = _resync_partner(cluster, s, sides, paired)
        group = [s] + ([partner] if partner else [])
        paired.update(id(x) for x in group)
        records.append(_resync_record(cluster, group))
    for s in sides:
        if id(s) not in paired:
            paired.add(id(s))
            records.append(_resync_record(cluster, [s]))
    return records


def _resync_partner(cluster, source: ResyncSide, sides, paired) -> ResyncSide | None:
    target_name = cluster.name_of(source.peer)
    candidates = [
        t
        for t in sides
        if id(t) not in paired
        and t.role in TARGET_ROLES
        and t.node == target_name
        and t.kind == source.kind
        and t.resource == source.resource
    ]
    if source.decision is not None:
        twin = cluster.pair_of(source.decision)
        for t in candidates:
            if twin is not None and t.decision is twin:
                return t
    # No UUID handshake to go by: the first unpaired session of the target towards us.
    me = cluster.node(source.node).identity.node_id
    for t in candidates:
        if t.peer is None or me is None or t.peer == me:
            return t
    return None


def _resync_record(cluster: Cluster, group: list[ResyncSide]) -> ResyncRecord:
    src = next((s for s in group if s.role in SOURCE_ROLES), None)
    tgt = next((s for s in group if s.role in TARGET_ROLES), None)
    source = src.node if src else (cluster.name_of(tgt.peer) if tgt else None)
    target = tgt.node if tgt else (cluster.name_of(src.peer) if src else None)
    kb = next((s.kb for s in (src, tgt) if s is not None and s.kb is not None), None)
    outcomes = {s.outcome for s in group}
    outcome = "broken" if "broken" in outcomes else "running" if "running" in outcomes else "done"
    return ResyncRecord(group[0].kind, source, target, kb, outcome, group)


def _bitmaps(cluster: Cluster) -> list[BitmapPair]:
    pairs: list[BitmapPair] = []
    used: set[int] = set()
    for n in cluster.nodes:
        for ex in n.bitmaps:
            if ex.role != "source" or id(ex) in used:
                continue
            target_name = cluster.name_of(ex.peer)
            for other in cluster.nodes:
                if other.name != target_name:
                    continue
                for tx in other.bitmaps:
                    if id(tx) in used or tx.role != "target" or tx.resource != ex.resource:
                        continue
                    if ex.sent and tx.received and ex.sent.total != tx.received.total:
                        continue
                    pairs.append(BitmapPair(ex, tx))
                    used.update((id(ex), id(tx)))
                    break
                break
    return pairs


# -- connects -----------------------------------------------------------------------------


def _connects(cluster: Cluster) -> list[ConnectPair]:
    """Pair the handshake lines of one connect on two nodes.

    A connect on a node runs from its handshake to its next handshake. Two connects are
    one when a transaction id or a UUID handshake appears in both; failing that, the
    k-th connect between two nodes pairs with the k-th when both logged the same count.
    """
    pairs: list[ConnectPair] = []
    for i, a_node in enumerate(cluster.nodes):
        for b_node in cluster.nodes[i + 1 :]:
            a_id, b_id = a_node.identity.node_id, b_node.identity.node_id
            a_hs = [h for h in a_node.handshakes if b_id is None or h.peer_id == b_id]
            b_hs = [h for h in b_node.handshakes if a_id is None or h.peer_id == a_id]
            if not a_hs or not b_hs:
                continue
            a_marks = _connect_marks(cluster, a_node, a_hs)
            b_marks = _connect_marks(cluster, b_node, b_hs)
            used: set[int] = set()
            for ha, ma in zip(a_hs, a_marks, strict=True):
                for j, (hb, mb) in enumerate(zip(b_hs, b_marks, strict=True)):
                    if j in used:
                        continue
                    shared = ma & mb
                    if shared:
                        by = "twopc" if any(m[0] == "tid" for m in shared) else "uuid"
                        pairs.append(ConnectPair(ha, hb, by))
                        used.add(j)
                        break
            # Pairing by order alone is a guess: made only for two nodes that something
            # clock-free (a shared 2PC id or UUID handshake) shows to be peers.
            linked = bool(set().union(*a_marks) & set().union(*b_marks))
            if not used and linked and len(a_hs) == len(b_hs):
                pairs.extend(
                    ConnectPair(ha, hb, "order") for ha, hb in zip(a_hs, b_hs, strict=True)
                )
    return pairs


def _connect_marks(cluster: Cluster, node: NodeEvents, handshakes: list[Handshake]) -> list[set]:
    """For each connect, the clock-free marks seen in it: 2PC ids, paired UUID handshakes."""
    bounds = [h.ref.row for h in handshakes] + [1 << 62]
    marks: list[set] = [set() for _ in handshakes]

    def slot(ref: Ref | None) -> int | None:
        if ref is None:
            return None
        for k in range(len(handshakes)):
            if bounds[k] <= ref.row < bounds[k + 1]:
                return k
        return None

    for tid, sides in node.twopc.items():
        for s in sides:
            k = slot(s.prepare)
            if k is not None:
                marks[k].add(("tid", tid))
    for p in cluster.decision_pairs:
        for d in (p.a, p.b):
            if d.node == node.name and (k := slot(d.start)) is not None:
                marks[k].add(("uuid", id(p)))
    return marks
