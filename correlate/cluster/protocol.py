"""Stage 2d, protocol: match one node's records to the others', by identity, never by clock.

Every match stands on protocol identity (the clocks are what the next stage has to find):

* node ids, per resource: the initiator id a node writes in its own 2PC prepares, the
  target id an initiator names, the peer ids in the others' prefixes, Linux host names
  from ``Handshake to peer N`` on a connection named by host;
* two-phase commits by transaction id (random 32-bit, logged by every node it reached),
  in one resource;
* UUID handshakes by their UUID sets (my ``self`` is your ``peer``, and the reverse), same
  resource and volume, each naming the other as its peer where the ids are known;
* connections (:class:`~correlate.model.Connect`): a node's connection to a peer is the
  peer's connection back when both carried the same 2PC id or a matched UUID handshake,
  same resource, and each names the other;
* bitmap exchanges and resync sessions only inside a matched connection, per volume.

Nothing is matched by time or by order alone: two unrelated clusters that ran the same
story at the same time share no id and no UUID, and nothing here pairs them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from correlate.cluster import identity
from correlate.events import codes
from correlate.events.catalog_bsr import results_mirror
from correlate.i18n import Msg
from correlate.model import (
    BitmapExchange,
    BitmapPair,
    Cluster,
    Connect,
    ConnectSide,
    DecisionPair,
    NodeEvents,
    ResyncRecord,
    ResyncSide,
    TwopcRecord,
    TwopcSide,
    UuidDecision,
)
from correlate.vocab import Outcome, ResyncOutcome

SOURCE_ROLES = {"SyncSource", "VerifyS"}
TARGET_ROLES = {"SyncTarget", "VerifyT"}


def correlate(nodes: list[NodeEvents]) -> Cluster:
    """The cluster view of the nodes' records. The nodes come back as new records with
    their identities settled (:mod:`correlate.cluster.identity`); ``nodes`` is not changed."""
    settled, names = identity.resolve(nodes)
    # Each step matches against what the steps before it found (names, then 2PCs and
    # UUID pairs, then connections); the cluster itself is made once, whole, at the end.
    known = Cluster(settled, names)
    twopc = _twopc(known)
    decision_pairs = _pair_decisions(known)
    known = Cluster(settled, names, twopc, decision_pairs)
    connects = _connects(known)
    known = Cluster(settled, names, twopc, decision_pairs, connects=connects)
    return Cluster(
        settled,
        names,
        twopc,
        decision_pairs,
        resyncs=_resyncs(known),
        bitmaps=[bp for c in connects for bp in _bitmaps(c)],
        connects=connects,
    )


# -- node ids ---------------------------------------------------------------------------


def _sides_by_tid(nodes: Iterable[NodeEvents]) -> dict[int, list[TwopcSide]]:
    by_tid: dict[int, list[TwopcSide]] = defaultdict(list)
    for n in nodes:
        for tid, sides in n.twopc.items():
            by_tid[tid].extend(sides)
    return by_tid


def refers(cluster: Cluster, resource: str | None, peer: int | None, host: str | None,
           node: str) -> bool | None:  # fmt: skip
    """Does a peer (id in a resource, or host) name ``node``? None when nothing says."""
    found = cluster.peer_node(resource, peer, host)
    if found is not None:
        return found == node
    own = cluster.node(node).identity
    if peer is not None and own.id_in(resource) is not None:
        return own.id_in(resource) == peer
    if host is not None and own.host is not None:
        return own.host == host
    return None


# -- two-phase commits ----------------------------------------------------------------------


def _twopc(cluster: Cluster) -> list[TwopcRecord]:
    records = []
    for tid, sides in _sides_by_tid(cluster.nodes).items():
        # One tid, one resource: sides naming two resources are two transactions (a
        # 32-bit random id can repeat across resources).
        groups: dict[str | None, list[TwopcSide]] = defaultdict(list)
        for s in sides:
            groups[s.resource].append(s)
        if None in groups and len(groups) == 2:
            (other,) = (k for k in groups if k is not None)
            groups[other].extend(groups.pop(None))
        for group in groups.values():
            records.append(_twopc_record(cluster, tid, group))
    order = {n.name: i for i, n in enumerate(cluster.nodes)}

    def first(r: TwopcRecord) -> tuple:
        init = r.initiator_side or r.sides[0]
        refs = init.refs()
        return (order[init.node], min((x.row for x in refs), default=0))

    records.sort(key=first)
    return records


# DRBD's SS_TIMEOUT (drbd.h): an initiator's "Aborting ... rv = -23" gave up waiting.
RV_TIMEOUT = -23


def _outcome(init: TwopcSide | None, parts: list[TwopcSide]) -> tuple[Outcome, list[str]]:
    """The outcome and the nodes whose own lines prove it.

    The initiator's commit or abort decides (an abort with rv = -23, DRBD's SS_TIMEOUT,
    or after BSR's "twopc timeout occurred", is a timeout). Without it, any
    participant's line proves it: ``Committing remote state change T`` (a participant
    commits only on the initiator's word) or an ignored P_TWOPC_COMMIT the commit;
    ``Aborting remote``, an ignored P_TWOPC_ABORT or a rejection the abort; ``Two-phase
    commit T timeout`` the timeout. ``incomplete`` only when no node's line proves any.
    Every node whose line proves the outcome is named, not only the first."""
    sides = [s for s in (init, *parts) if s is not None]

    def packets(s: TwopcSide, name: str) -> bool:
        return any(p == name for p, _ in s.ignored)

    committed = sorted({
        s.node for s in sides if s.commit is not None or packets(s, "P_TWOPC_COMMIT")
    })  # fmt: skip
    aborted = sorted({
        s.node
        for s in sides
        if s.abort is not None or s.rejected is not None or packets(s, "P_TWOPC_ABORT")
    })  # fmt: skip
    timed = sorted({s.node for s in sides if s.timeouts} | (
        {init.node} if init is not None and init.abort is not None and init.abort_rv == RV_TIMEOUT
        else set()
    ))  # fmt: skip
    if init is not None and init.commit is not None:
        return Outcome.COMMITTED, committed
    if init is not None and init.abort is not None:
        if init.node in timed:
            return Outcome.TIMED_OUT, timed
        return Outcome.ABORTED, aborted
    if committed:
        return Outcome.COMMITTED, committed
    if timed:
        return Outcome.TIMED_OUT, timed
    if aborted:
        return Outcome.ABORTED, aborted
    return Outcome.INCOMPLETE, []


def _arrivals(
    cluster: Cluster, resource: str | None, parts: list[TwopcSide]
) -> tuple[list[str | None], dict[str, str]]:
    """Where each participant's prepare came from: the relays (participant -> the present
    node it came through, itself a participant) and, for the rest, the sender each
    arrival connection names (the initiator, when no relay stood between)."""
    present = {p.node for p in parts}
    relays: dict[str, str] = {}
    senders: list[str | None] = []
    for p in parts:
        via = cluster.peer_node(resource, p.peer, p.peer_host)
        if via is not None and via in present and via != p.node:
            relays[p.node] = via
        else:
            senders.append(cluster.name_of(resource, p.peer, p.peer_host))
    return senders, relays


def _twopc_record(cluster: Cluster, tid: int, sides: list[TwopcSide]) -> TwopcRecord:
    init = next((s for s in sides if s.role == "initiator"), None)
    parts = [s for s in sides if s.role == "participant"]
    resource = next((s.resource for s in sides if s.resource is not None), None)
    problems: list[Msg] = []
    outcome, proved_by = _outcome(init, parts)
    senders, relays = _arrivals(cluster, resource, parts)
    if init is not None:
        initiator, initiator_id = init.node, init.initiator_id
        target_id = init.target_id
        # A prepare that came from another node than the initiator came through a relay.
        for p in parts:
            via = cluster.name_of(resource, p.peer, p.peer_host)
            if p.node not in relays and via is not None and via != initiator:
                relays[p.node] = via
    else:
        # Its log is not here: DRBD 9.2.11+ participants name it (A->all); else it is
        # the node at the start of the arrival chain, when every chain starts at one.
        named = next((p.initiator_id for p in parts if p.initiator_id is not None), None)
        if named is not None:
            initiator_id, initiator = named, cluster.name_of(resource, named)
        else:
            starts = {x for x in senders if x is not None}
            initiator = starts.pop() if len(starts) == 1 and None not in senders else None
            first = next((p for p in parts if p.node not in relays), None)
            initiator_id = first.peer if first is not None and initiator is not None else None
            if len(starts) > 1:
                problems.append(
                    Msg(
                        "the participants' prepares came from {nodes}: which one initiated "
                        "is not logged",
                        nodes=", ".join(sorted(starts | {initiator} - {None})),
                    )
                )
        target_id = next((p.target_id for p in parts if p.target_id is not None), None)
    for p in parts:
        if p.rejected is not None:
            problems.append(Msg("{node} rejected it", node=p.node))
        if outcome == Outcome.COMMITTED and p.commit is None and p.rejected is None:
            problems.append(Msg("{node} never logged the commit", node=p.node))
        if (
            outcome in (Outcome.ABORTED, Outcome.TIMED_OUT)
            and p.abort is None
            and p.rejected is None
            and not p.ignored
            and not p.timeouts
        ):
            problems.append(Msg("{node} never logged the abort", node=p.node))
        if init is not None and init.abort is not None and p.commit is not None:
            problems.append(
                Msg(
                    "{node} logged a commit of a change {initiator} aborted",
                    node=p.node,
                    initiator=init.node,
                )
            )
    if init is not None and init.timeouts:
        problems.append(Msg("{node} timed out waiting for replies", node=init.node))
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
    if not changes and init is not None:
        # DRBD 9.0/9.1 write the change only as (A->B mask/val): decode it.
        changes = codes.requested(init.mask, init.val)
    product = cluster.node(init.node).identity.product if init is not None else None
    rv_known = codes.rv_name(init.abort_rv, product) if init is not None else None
    present = {n.name for n in cluster.nodes}
    absent: list[str] = sorted(
        {v for v in relays.values() if v not in present}
        | {x for x in senders if x is not None and x not in present and x != initiator}
    )
    target = cluster.name_of(resource, target_id)
    if (
        target is not None
        and target != "all"
        and target not in present
        and target != initiator
        and target not in absent
    ):
        absent.append(target)
    return TwopcRecord(
        tid=tid,
        resource=resource,
        initiator=initiator,
        initiator_id=initiator_id,
        target=cluster.name_of(resource, target_id),
        participants=sorted({p.node for p in parts}) + sorted(absent),
        outcome=outcome,
        duration_ms=duration,
        changes=changes,
        mask=init.mask if init else None,
        val=init.val if init else None,
        sides=sides,
        problems=problems,
        abort_rv=init.abort_rv if init else None,
        relays=relays,
        absent=sorted(absent),
        proved_by=proved_by,
        abort_rv_name=rv_known[0] if rv_known else None,
    )


# -- UUID handshakes ------------------------------------------------------------------------


def _uuid_key(uuids: dict) -> tuple:
    return (uuids.get("current"), uuids.get("bitmap"))


def _pair_decisions(cluster: Cluster) -> list[DecisionPair]:
    """One handshake, seen from both sides: my self set is your peer set and the reverse,
    same resource and volume, each naming the other. Repeated identical handshakes pair
    first with first, in each node's own order."""
    pairs: list[DecisionPair] = []
    nodes = cluster.nodes
    for i, a_node in enumerate(nodes):
        for b_node in nodes[i + 1 :]:
            waiting: dict[tuple, list[UuidDecision]] = defaultdict(list)
            for b in b_node.decisions:
                if b.self_uuids and b.peer_uuids:
                    key = (b.resource, b.volume, _uuid_key(b.peer_uuids), _uuid_key(b.self_uuids))
                    waiting[key].append(b)
            for a in a_node.decisions:
                if not (a.self_uuids and a.peer_uuids):
                    continue
                key = (a.resource, a.volume, _uuid_key(a.self_uuids), _uuid_key(a.peer_uuids))
                queue = waiting.get(key, [])
                for k, b in enumerate(queue):
                    if refers(cluster, a.resource, a.peer, a.peer_host, b.node) is False:
                        continue
                    if refers(cluster, b.resource, b.peer, b.peer_host, a.node) is False:
                        continue
                    pairs.append(DecisionPair(a, b, results_mirror(a.result, b.result)))
                    del queue[k]
                    break
    return pairs


# -- connections ------------------------------------------------------------------------------


def _marks(cluster: Cluster, side: ConnectSide) -> list[tuple]:
    marks: list[tuple] = [("tid", tid) for tid in side.tids]
    for d in side.decisions:
        pair = cluster.twin.get(d)
        if pair is not None:
            marks.append(("uuid", id(pair)))
    return marks


def _connects(cluster: Cluster) -> list[Connect]:
    """Pair each node's connections with the peer's connection back (same resource, each
    naming the other, a 2PC id or a matched UUID handshake in both); the rest stand
    alone."""
    out: list[Connect] = []
    used: set[int] = set()
    nodes = cluster.nodes
    two_nodes = len(nodes) == 2
    for i, a_node in enumerate(nodes):
        for b_node in nodes[i + 1 :]:
            by_mark: dict[tuple, list[ConnectSide]] = defaultdict(list)
            for b in b_node.connects:
                for m in _marks(cluster, b):
                    by_mark[(b.resource, m)].append(b)
            for a in a_node.connects:
                if id(a) in used:
                    continue
                a_to_b = refers(cluster, a.resource, a.peer, a.peer_host, b_node.name)
                if a_to_b is False:
                    continue
                for m in _marks(cluster, a):
                    found = _partner(cluster, a, a_to_b, m, by_mark, used, two_nodes)
                    if found is not None:
                        used.update((id(a), id(found)))
                        out.append(Connect(a.resource, a, found, m[0] if m[0] == "uuid" else "2pc"))
                        break
    for n in nodes:
        out.extend(Connect(s.resource, s, None) for s in n.connects if id(s) not in used)
    order = {n.name: i for i, n in enumerate(nodes)}
    out.sort(key=lambda c: (order[c.a.node], c.a.start.row))
    return out


def _partner(cluster, a, a_to_b, mark, by_mark, used, two_nodes) -> ConnectSide | None:
    for b in by_mark.get((a.resource, mark), []):
        if id(b) in used:
            continue
        b_to_a = refers(cluster, b.resource, b.peer, b.peer_host, a.node)
        if b_to_a is False:
            continue
        # A 2PC id reaches every peer of a resource: with a side that names nobody for
        # sure, it proves the pair only between two nodes. A UUID handshake is pairwise.
        if mark[0] == "tid" and not (a_to_b and b_to_a) and not two_nodes:
            continue
        return b
    return None


def _bitmaps(connect: Connect) -> list[BitmapPair]:
    """Within one connection, per volume: the source's exchange with the target's, in
    order; two exchanges whose logged byte counts differ are not the same exchange."""
    if connect.b is None:
        return []
    pairs = []
    for x, y in ((connect.a, connect.b), (connect.b, connect.a)):
        targets: dict[int | None, list[BitmapExchange]] = defaultdict(list)
        for ex in y.bitmaps:
            if ex.role == "target":
                targets[ex.volume].append(ex)
        for ex in x.bitmaps:
            if ex.role != "source":
                continue
            queue = targets.get(ex.volume, [])
            for k, tx in enumerate(queue):
                if ex.sent and tx.received and ex.sent.total != tx.received.total:
                    continue
                pairs.append(BitmapPair(ex, tx))
                del queue[k]
                break
    return pairs


# -- resyncs -----------------------------------------------------------------------------------


def _resyncs(cluster: Cluster) -> list[ResyncRecord]:
    """Within one connection, per volume and kind, the source's session with the
    target's, in order; a session not so matched stands alone."""
    records: list[ResyncRecord] = []
    paired: set[int] = set()
    for c in cluster.connects:
        if c.b is None:
            continue
        for x, y in ((c.a, c.b), (c.b, c.a)):
            targets: dict[tuple, list[ResyncSide]] = defaultdict(list)
            for s in y.resyncs:
                if s.role in TARGET_ROLES and id(s) not in paired:
                    targets[(s.volume, s.kind)].append(s)
            for s in x.resyncs:
                if s.role not in SOURCE_ROLES or id(s) in paired:
                    continue
                queue = targets.get((s.volume, s.kind))
                if queue:
                    t = queue.pop(0)
                    paired.update((id(s), id(t)))
                    records.append(_resync_record(cluster, [s, t]))
    for n in cluster.nodes:
        for s in n.resyncs:
            if id(s) not in paired:
                records.append(_resync_record(cluster, [s]))
    order = {n.name: i for i, n in enumerate(cluster.nodes)}
    records.sort(key=lambda r: (order[r.sides[0].node], r.sides[0].start.row))
    return records


def _resync_record(cluster: Cluster, group: list[ResyncSide]) -> ResyncRecord:
    src = next((s for s in group if s.role in SOURCE_ROLES), None)
    tgt = next((s for s in group if s.role in TARGET_ROLES), None)
    first = group[0]
    if src is not None:
        source = src.node
    elif tgt is not None:
        source = cluster.name_of(tgt.resource, tgt.peer, tgt.peer_host)
    else:
        source = None
    if tgt is not None:
        target = tgt.node
    elif src is not None:
        target = cluster.name_of(src.resource, src.peer, src.peer_host)
    else:
        target = None
    kb = next((s.kb for s in (src, tgt) if s is not None and s.kb is not None), None)
    outcomes = {s.outcome for s in group}
    outcome = (
        ResyncOutcome.BROKEN
        if ResyncOutcome.BROKEN in outcomes
        else ResyncOutcome.RUNNING
        if ResyncOutcome.RUNNING in outcomes
        else ResyncOutcome.DONE
    )
    return ResyncRecord(
        first.kind, first.resource, first.volume, source, target, kb, outcome, group
    )
