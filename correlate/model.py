"""The shared model: the records every stage after parsing builds and every renderer reads.

Stages build these values and hand them on; renderers import this module (never the
pipeline). Records are compared by identity (``eq=False``): two records are the same
record only if they are the same object, which is what every ``in`` and every index
below means.

Identity first. Every protocol record names its ``resource`` (and ``volume`` where the
line has one) and, where the line names it, the peer: BSR and DRBD write the peer as a
node id on Windows (``pnode-id:N``) and as a host name on Linux, and node ids are per
resource (a DRBD 9 or BSR cluster configures them resource by resource). Cross-node
matching (:mod:`correlate.cluster.protocol`) only ever pairs records of the same resource.

Times here are integers: nanoseconds since 1970 on the clock they were read from
(``local_ns``: the node's own); aligned times come from :class:`Clock`, computed once per
row by the align stage and read by every later stage.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

import numpy as np
import polars as pl

from correlate.vocab import ResyncOutcome

T = TypeVar("T")

# Aligned-time arrays use this for rows without a time (int64 has no null).
NO_TIME = np.iinfo(np.int64).min


@dataclass(eq=False, slots=True)
class Ref:
    """One log line: where it is and when the node said it happened.

    Two refs are equal when they name the same line (node and row), whatever else they
    carry: a line may be looked up twice (a status poll's table row and its record)."""

    node: str
    row: int
    file: str
    line: int
    seq: int | None
    local_ns: int | None
    message: str = ""
    # How far local_ns may be from the moment the line was written, on the node's own
    # clock: 100 ns for BSR's stamps, a syslog second, a boot anchor's width.
    res_ns: int = 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ref) and (self.node, self.row) == (other.node, other.row)

    def __hash__(self) -> int:
        return hash((self.node, self.row))


# -- one node's records ---------------------------------------------------------------------


@dataclass(eq=False)
class StateChange:
    ref: Ref
    object: str
    resource: str | None
    volume: int | None
    peer: int | None
    peer_host: str | None
    caller: str
    failed: bool
    what: str
    old: str
    new: str
    # The 2PC whose commit this change applies: the resource's last 2PC committed on this
    # node just before it (None: a local change, or none logged).
    tid: int | None = None
    minor: int | None = None  # DRBD 8.4's device (no volume number in its lines)


@dataclass(eq=False)
class FailedChange:
    """A state change the driver refused: DRBD's ``State change failed: <reason>`` and
    the ``Failed: role( Secondary -> Primary )`` lines after it (what was tried), or
    ``Failed:`` lines alone (BSR). Nothing of it is applied to any state."""

    ref: Ref
    resource: str | None
    volume: int | None
    reason: str | None = None
    rv: int | None = None
    tried: list[StateChange] = field(default_factory=list)

    def refs(self) -> list[Ref]:
        seen: list[Ref] = [self.ref]
        for c in self.tried:
            if c.ref not in seen:
                seen.append(c.ref)
        return seen


@dataclass(eq=False)
class SplitBrain:
    """One node's report of a split brain with one peer: whether an after-sb policy
    resolved it and whose changes were thrown away (``discarded``: this node's name, the
    peer's, or None when none was chosen, the connection dropped)."""

    node: str
    ref: Ref
    resource: str | None
    volume: int | None
    minor: int | None
    peer: int | None
    peer_host: str | None
    resolved: bool | None  # None: the line does not say
    sync_from: str | None = None  # "this node" / "peer node", as DRBD writes it
    primaries: int | None = None

    def discarded(self, peer_name: str | None) -> str | None:
        """Whose changes the resolution threw away: the sync target's (``peer_name``
        is how the caller names the peer)."""
        if self.sync_from is None:
            return None
        return peer_name if self.sync_from.lower() == "this node" else self.node


@dataclass(eq=False)
class NetlinkCommand:
    node: str
    command: str
    number: int
    received: Ref
    done: Ref | None = None
    pending: int | None = None
    thread: str | None = None
    # Resources named by the state changes and thread starts logged while it ran (BSR's
    # netlink lines name no resource themselves).
    resources: list[str] = field(default_factory=list)

    @property
    def duration_ms(self) -> float | None:
        if self.done is None or self.done.local_ns is None or self.received.local_ns is None:
            return None
        return (self.done.local_ns - self.received.local_ns) / 1e6


@dataclass(eq=False)
class TwopcSide:
    """What one node logged of one two-phase commit (as initiator or participant)."""

    node: str
    tid: int
    role: str  # "initiator" or "participant"
    resource: str | None = None
    prepare: Ref | None = None
    detail: Ref | None = None
    reply: Ref | None = None
    settled: Ref | None = None  # "State change T: primary_nodes=": every reply is in
    commit: Ref | None = None
    abort: Ref | None = None
    initiator_id: int | None = None
    target_id: int | None = None
    mask: int | None = None
    val: int | None = None
    changes: dict[str, str] = field(default_factory=dict)
    reply_rv: int | None = None
    abort_rv: int | None = None
    logged_ms: int | None = None
    split: bool = False
    retries: int = 0
    timeouts: list[Ref] = field(default_factory=list)
    rejected: Ref | None = None
    # "Rejecting ... because of state change N": the 2PC this node was still in (N)
    rejected_for: int | None = None
    yielded: Ref | None = None
    # "Ignoring P_TWOPC_ABORT packet T": a 2PC packet that arrived after this node was
    # done with T (its own timeout, say): still a receipt of what the initiator sent.
    ignored: list[tuple[str, Ref]] = field(default_factory=list)  # (packet name, line)
    primary_nodes: str | None = None
    weak_nodes: str | None = None
    # participant: the connection the prepare arrived on (the initiator, or a relay)
    peer: int | None = None
    peer_host: str | None = None

    @property
    def finished(self) -> bool:
        return self.commit is not None or self.abort is not None or self.rejected is not None

    def refs(self) -> list[Ref]:
        """Every line of this side, in the order they matter."""
        return (
            [
                r
                for r in (
                    self.prepare,
                    self.detail,
                    self.reply,
                    self.settled,
                    self.commit,
                    self.abort,
                    self.rejected,
                )
                if r is not None
            ]
            + list(self.timeouts)
            + [r for _, r in self.ignored]
        )


@dataclass(eq=False)
class Handshake:
    ref: Ref
    resource: str | None
    peer_id: int | None
    protocol: int | None
    peer_name: str | None
    peer_host: str | None
    features: str | None = None
    features_ref: Ref | None = None


@dataclass(eq=False)
class UuidDecision:
    node: str
    resource: str | None
    volume: int | None
    peer: int | None
    peer_host: str | None
    start: Ref
    self_uuids: dict[str, Any] = field(default_factory=dict)
    peer_uuids: dict[str, Any] = field(default_factory=dict)
    rule_ref: Ref | None = None
    rule_text: str | None = None
    compare: Ref | None = None
    rule: int | str | None = None
    result: int | str | None = None
    # DRBD 9.0.32+ writes both by name (no-sync, just-created-both): kept as written.
    result_name: str | None = None
    rule_name: str | None = None
    # The numbers as the line wrote them, where they differ from BSR's (9.0's) numbers
    # that ``result`` holds for comparisons: DRBD 8.4's uuid_compare()=1 is 9.0's 2.
    logged_result: int | None = None
    logged_rule: int | None = None
    dialect: str | None = None  # "8.4": the line's numbers are DRBD 8.4's
    minor: int | None = None  # DRBD 8.4's device (no volume number in its lines)

    @property
    def label(self) -> str:
        """``uuid_compare(2) by rule 70``, or DRBD's own words when it used names."""
        return self.short.replace(" rule", " by rule", 1)

    @property
    def short(self) -> str:
        """``uuid_compare(2) rule 70``; DRBD's names as it wrote them, with the number
        BSR (and DRBD 9.0) would have written: ``uuid_compare()=no-sync (0) rule
        just-created-both (10)``."""
        if self.result is None and self.result_name is None:
            # the handshake's UUID lines are there, its uuid_compare line is not
            return "uuid_compare not logged"
        if self.logged_result is not None:
            # DRBD 8.4's own number, its decision's name beside it
            name = f" ({self.result_name})" if self.result_name else ""
            return f"uuid_compare()={self.logged_result}{name} rule {self.rule}"
        if not (self.result_name or self.rule_name):
            return f"uuid_compare({self.result}) rule {self.rule}"
        result = self.result_name or self.result
        rule = self.rule_name or self.rule
        number = f" ({self.result})" if self.result_name and self.result is not None else ""
        rule_no = f" ({self.rule})" if self.rule_name and self.rule is not None else ""
        return f"uuid_compare()={result}{number} rule {rule}{rule_no}"

    @property
    def end(self) -> Ref:
        return self.compare or self.rule_ref or self.start

    @property
    def meaning(self) -> str:
        from correlate.events.catalog_bsr import uuid_meaning

        return uuid_meaning(self.result)

    @property
    def reason(self) -> str | None:
        """Why the rule fired, for the version that wrote the line (English; None when
        bsrcorr has no words for that rule)."""
        from correlate.events.catalog_bsr import rule_reason

        return rule_reason(self.rule if isinstance(self.rule, int) else None,
                           self.result if isinstance(self.result, int) else None,
                           self.dialect)  # fmt: skip

    @property
    def logged(self) -> tuple[int | str | None, int | str | None]:
        """The result and rule as the line wrote them (DRBD 8.4's own numbers; for 9.x
        names, the 9.0 numbers that stand for them)."""
        result = self.logged_result if self.logged_result is not None else self.result
        rule = self.logged_rule if self.logged_rule is not None else self.rule
        return result, rule


@dataclass(eq=False)
class BitmapStat:
    ref: Ref
    direction: str
    plain_bytes: int
    plain_packets: int
    rle_bytes: int
    rle_packets: int
    total: int
    compression: str


@dataclass(eq=False)
class BitmapExchange:
    """One node's side of a bitmap exchange with one peer (source sends first)."""

    node: str
    resource: str | None
    volume: int | None
    peer: int | None
    peer_host: str | None
    role: str | None = None  # "source" (WFBitMapS) or "target" (WFBitMapT)
    minor: int | None = None  # DRBD 8.4's device (no volume number in its lines)
    start: Ref | None = None  # the repl change into WFBitMapS/T
    send_start: Ref | None = None
    sent: BitmapStat | None = None
    received: BitmapStat | None = None
    done_sent: Ref | None = None
    done_received: Ref | None = None

    def refs(self) -> list[Ref]:
        return [
            r
            for r in (
                self.start,
                self.send_start,
                self.sent.ref if self.sent else None,
                self.received.ref if self.received else None,
                self.done_sent,
                self.done_received,
            )
            if r is not None
        ]


@dataclass(eq=False)
class ResyncSide:
    node: str
    resource: str | None
    volume: int | None
    peer: int | None
    peer_host: str | None
    kind: str  # "resync" or "verify"
    role: str  # SyncSource, SyncTarget, VerifyS, VerifyT, unknown
    start: Ref
    kb: int | None = None
    bits: int | None = None
    end: Ref | None = None
    outcome: str = ResyncOutcome.RUNNING  # vocab.ResyncOutcome
    end_reason: str | None = None
    total_s: int | None = None
    paused_s: int | None = None
    rate_kps: int | None = None
    decision: UuidDecision | None = None
    minor: int | None = None  # DRBD 8.4's device (no volume number in its lines)


@dataclass(eq=False)
class Landmark:
    kind: str
    ref: Ref
    detail: dict[str, Any] = field(default_factory=dict)
    end: Ref | None = None
    resource: str | None = None  # None: the node's (a driver load, a volume lock)
    resources: list[str] = field(default_factory=list)  # up and down: what they covered


@dataclass(eq=False)
class ConnectionLoss:
    ref: Ref
    resource: str | None
    peer: int | None
    peer_host: str | None
    reason: str


@dataclass(eq=False)
class ConnectSide:
    """One node's view of one connection to one peer in one resource: from its handshake
    (or, when the log begins inside a connection, from the first line that shows it) to
    the next handshake, the connection's loss, or the end of the driver load. What the
    connection carried (2PC ids, UUID decisions, bitmap exchanges, resyncs) is assigned as
    the node's lines are walked: no time window decides membership."""

    node: str
    resource: str | None
    peer: int | None
    peer_host: str | None
    start: Ref
    handshake: Handshake | None = None
    end: Ref | None = None  # the loss or the line that closed it
    last_row: int | None = None  # the last row inside it (None: open to the log's end)
    tids: list[int] = field(default_factory=list)
    decisions: list[UuidDecision] = field(default_factory=list)
    bitmaps: list[BitmapExchange] = field(default_factory=list)
    resyncs: list[ResyncSide] = field(default_factory=list)


@dataclass
class NodeIdentity:
    name: str
    node_id: int | None = None
    node_id_from: str | None = None
    node_ids: dict[str, int] = field(default_factory=dict)  # resource -> own node id
    peer_ids: list[int] = field(default_factory=list)
    hosts: dict[int, str] = field(default_factory=dict)  # peer id -> host name
    host: str | None = None
    # other names the peers' lines give this node's host (an FQDN for a short name)
    aliases: list[str] = field(default_factory=list)
    # Lines that give a peer's id on a connection named by a host (DRBD 9.2's "Starting
    # sender thread (peer-node-id N)"): (resource, peer id, peer host, the line's words).
    peer_id_lines: list[tuple[str | None, int, str, str]] = field(default_factory=list)
    # "8.4": DRBD 8.4 (one peer a resource, unnamed in its lines: called "peer")
    dialect: str | None = None
    platform: str | None = None
    product: str = "BSR"  # BSR, DRBD or WinDRBD: whose driver wrote the lines
    version: str | None = None
    resources: list[str] = field(default_factory=list)
    volumes: list[dict[str, Any]] = field(default_factory=list)
    epochs: int = 0

    def id_in(self, resource: str | None) -> int | None:
        """This node's id in ``resource`` (node ids are per resource)."""
        if resource is not None and resource in self.node_ids:
            return self.node_ids[resource]
        return self.node_id


@dataclass
class NodeEvents:
    """One node's records, as the events stage built them."""

    name: str
    identity: NodeIdentity
    events: pl.DataFrame  # one row per protocol line: row, file, line, kind, ...
    state_changes: list[StateChange] = field(default_factory=list)
    failed_changes: list[FailedChange] = field(default_factory=list)
    split_brains: list[SplitBrain] = field(default_factory=list)
    netlink: list[NetlinkCommand] = field(default_factory=list)
    twopc: dict[int, list[TwopcSide]] = field(default_factory=dict)
    handshakes: list[Handshake] = field(default_factory=list)
    decisions: list[UuidDecision] = field(default_factory=list)
    bitmaps: list[BitmapExchange] = field(default_factory=list)
    resyncs: list[ResyncSide] = field(default_factory=list)
    landmarks: list[Landmark] = field(default_factory=list)
    connection_losses: list[ConnectionLoss] = field(default_factory=list)
    connects: list[ConnectSide] = field(default_factory=list)
    # Terminated status polls, one row each (netlink.POLL_COLUMNS): counted, not listed.
    polls: pl.DataFrame = field(default_factory=pl.DataFrame)
    # What the lines' Windows-style prefixes say of their objects, where it changes
    # (events.prefix_states): read by the end state only.
    prefix_states: list[StateChange] = field(default_factory=list)


# -- the cluster: records of all nodes matched by protocol identity ---------------------------


@dataclass(eq=False)
class TwopcRecord:
    tid: int
    resource: str | None
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
    problems: list[Any] = field(default_factory=list)  # i18n.Msg: why it went wrong
    abort_rv: int | None = None
    # participant -> the node its prepare came through, when not the initiator itself
    # (three-node meshes relay a 2PC to a node the initiator has no connection to)
    relays: dict[str, str] = field(default_factory=dict)
    # participants the lines name whose own log is not among the sources
    absent: list[str] = field(default_factory=list)
    # the nodes whose own lines prove the outcome (the initiator's commit, or a
    # participant's "Committing remote state change T" when the initiator's is missing)
    proved_by: list[str] = field(default_factory=list)
    abort_rv_name: str | None = None  # SS_TIMEOUT for -23 (correlate.events.codes)

    @property
    def initiator_side(self) -> TwopcSide | None:
        return next((s for s in self.sides if s.role == "initiator"), None)

    def participant_sides(self) -> list[TwopcSide]:
        return [s for s in self.sides if s.role == "participant"]

    def refs(self) -> list[Ref]:
        return [r for s in self.sides for r in s.refs()]


@dataclass(eq=False)
class DecisionPair:
    a: UuidDecision
    b: UuidDecision
    mirrored: bool

    @property
    def resource(self) -> str | None:
        return self.a.resource


@dataclass(eq=False)
class ResyncRecord:
    kind: str  # resync or verify
    resource: str | None
    volume: int | None
    source: str | None
    target: str | None
    kb: int | None
    outcome: str
    sides: list[ResyncSide]

    def side(self, node: str) -> ResyncSide | None:
        return next((s for s in self.sides if s.node == node), None)

    def refs(self) -> list[Ref]:
        return [r for s in self.sides for r in (s.start, s.end) if r is not None]


@dataclass(eq=False)
class BitmapPair:
    source: BitmapExchange
    target: BitmapExchange


@dataclass(eq=False)
class Connect:
    """One connection between two nodes in one resource, seen from both sides (``b`` is
    None when only one side's log shows it, or the sides could not be proven the same).
    ``by`` says what proved them the same: a 2PC id both logged, or a UUID handshake whose
    sets mirror."""

    resource: str | None
    a: ConnectSide
    b: ConnectSide | None
    by: str | None = None

    @property
    def sides(self) -> list[ConnectSide]:
        return [self.a] if self.b is None else [self.a, self.b]


@dataclass(eq=False, frozen=True)
class Names:
    """Who is who, as :mod:`correlate.cluster.identity` settled it from the lines: each
    (resource, node id) of a given log's node, each host of a node (aliases too), the
    host any line ties to a (resource, id) (absent nodes too), and the ids no line ties
    to anything. Only names (strings): the cluster's node records are looked up by name."""

    ids: dict[tuple[str | None, int], str] = field(default_factory=dict)
    hosts: dict[tuple[str | None, int], str] = field(default_factory=dict)
    by_host: dict[str, str] = field(default_factory=dict)  # host or alias -> node name
    unnamed: list[tuple[str | None, int]] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    @cached_property
    def _any_id(self) -> dict[int, str]:
        """Without a resource, an id names one node only if it does in every resource."""
        named: dict[int, set[str]] = {}
        for (_, i), n in self.ids.items():
            named.setdefault(i, set()).add(n)
        return {i: next(iter(ns)) for i, ns in named.items() if len(ns) == 1}

    def peer_node(self, resource: str | None, peer: int | None, host: str | None) -> str | None:
        """The node a peer id (in a resource) or a peer host name refers to, if its log
        is here."""
        if peer is not None:
            found = self.ids.get((resource, peer))
            if found is not None:
                return found
            if resource is None:
                found = self._any_id.get(peer)
                if found is not None:
                    return found
        if host is not None:
            return self.by_host.get(host)
        return None

    def name_of(
        self, resource: str | None, peer: int | None, host: str | None = None
    ) -> str | None:
        """A peer's node name, else how the log names it (``node id N``, the host)."""
        if peer == -1:
            return "all"
        found = self.peer_node(resource, peer, host)
        if found is not None:
            return found
        if host is not None:
            return host
        if peer is None:
            return None
        # A node whose log is absent keeps the host another node's handshake gave it.
        return self.hosts.get((resource, peer)) or f"node id {peer}"


@dataclass(eq=False)
class Cluster:
    """Every node's records and what matched across nodes, by protocol identity only.
    Built once, whole (the protocol stage, and ``--since``/``--until`` narrowing with
    ``dataclasses.replace``): its indexes are made from its lists in ``__post_init__``,
    so they always index what the cluster holds."""

    nodes: list[NodeEvents]
    names: Names = field(default_factory=Names)
    twopc: list[TwopcRecord] = field(default_factory=list)
    decision_pairs: list[DecisionPair] = field(default_factory=list)
    resyncs: list[ResyncRecord] = field(default_factory=list)
    bitmaps: list[BitmapPair] = field(default_factory=list)
    connects: list[Connect] = field(default_factory=list)
    # indexes, made from the lists above
    by_name: dict[str, NodeEvents] = field(init=False)
    twopc_by_tid: dict[int, list[TwopcRecord]] = field(init=False)
    twin: dict[UuidDecision, DecisionPair] = field(init=False)

    def __post_init__(self) -> None:
        self.by_name = {n.name: n for n in self.nodes}
        self.twopc_by_tid = {}
        for rec in self.twopc:
            self.twopc_by_tid.setdefault(rec.tid, []).append(rec)
        self.twin = {d: p for p in self.decision_pairs for d in (p.a, p.b)}

    @property
    def resources(self) -> list[str]:
        return sorted({r for n in self.nodes for r in n.identity.resources})

    @property
    def ids(self) -> dict[tuple[str | None, int], str]:
        return self.names.ids

    @property
    def unnamed_ids(self) -> list[tuple[str | None, int]]:
        return self.names.unnamed

    @property
    def identity_conflicts(self) -> list[str]:
        return self.names.conflicts

    def node(self, name: str) -> NodeEvents:
        return self.by_name[name]

    def record(self, tid: int | None, resource: str | None = None) -> TwopcRecord | None:
        found = self.twopc_by_tid.get(tid) if tid is not None else None
        if not found:
            return None
        return next((r for r in found if resource in (None, r.resource)), found[0])

    def pair_of(self, decision: UuidDecision) -> UuidDecision | None:
        pair = self.twin.get(decision)
        if pair is None:
            return None
        return pair.b if pair.a is decision else pair.a

    def peer_node(self, resource: str | None, peer: int | None, host: str | None) -> str | None:
        return self.names.peer_node(resource, peer, host)

    def name_of(
        self, resource: str | None, peer: int | None, host: str | None = None
    ) -> str | None:
        return self.names.name_of(resource, peer, host)


@dataclass(eq=False)
class Pair:
    """A causal fact across two nodes: ``send`` happened before ``recv`` (``strict``), or
    the two lines were logged at nearly the same moment (weak)."""

    kind: str
    send: Ref
    recv: Ref
    strict: bool = True
    tid: int | None = None
    resource: str | None = None
    label: str = ""

    @property
    def delta_s(self) -> float | None:
        """``t_recv - t_send`` on the two nodes' own clocks."""
        if self.send.local_ns is None or self.recv.local_ns is None:
            return None
        return (self.recv.local_ns - self.send.local_ns) / 1e9

    @property
    def slack_s(self) -> float:
        """How much the two stamps' resolutions let ``delta_s`` be off: a bound drawn
        from the pair is widened by this, never claiming more than the stamps hold."""
        return (self.send.res_ns + self.recv.res_ns) / 1e9


# -- the part of the capture a run was asked for (--since/--until) ----------------------------


@dataclass(frozen=True)
class Window:
    """The aligned-time window the run was asked for, and what it left of the timeline."""

    since_ns: int | None
    until_ns: int | None
    rows_read: int  # timeline rows of the whole capture
    rows: int  # rows inside the window

    def overlaps(self, start_ns: int, end_ns: int) -> bool:
        lo = self.since_ns if self.since_ns is not None else start_ns
        hi = self.until_ns if self.until_ns is not None else end_ns
        return end_ns >= lo and start_ns <= hi

    def contains(self, ns: int) -> bool:
        return (self.since_ns is None or ns >= self.since_ns) and (
            self.until_ns is None or ns <= self.until_ns
        )


# -- time on the reference clock ------------------------------------------------------------


class Clock:
    """Every row's aligned time (ns on the reference clock), computed once per row by the
    align stage from its segments; every later stage reads it here.

    ``order`` is where the causal order needs more than the times: per node, the rows
    whose place in the merged order is later than their aligned time (a receive whose
    aligned time ties with its send's within the stamps' resolution, and the node's
    rows after it in that tie), with the key they sort by (``rows``, ``keys``, sorted by
    row). Everything that orders rows across nodes (the merged timeline, the diagrams,
    the report) sorts by :meth:`order_at`, never by the time alone."""

    def __init__(
        self,
        times: dict[str, np.ndarray],
        order: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
    ) -> None:
        self.times = times
        self.order = order or {}

    def order_at(self, ref: Ref | None) -> int | None:
        """The row's key in the merged order (its aligned time unless the causal order
        placed it later)."""
        t = self.at(ref)
        if t is None or ref is None:
            return t
        bumped = self.order.get(ref.node)
        if bumped is not None:
            rows, keys = bumped
            i = int(np.searchsorted(rows, ref.row))
            if i < len(rows) and rows[i] == ref.row:
                return int(keys[i])
        return t

    def at(self, ref: Ref | None) -> int | None:
        if ref is None:
            return None
        times = self.times.get(ref.node)
        if times is None or not 0 <= ref.row < len(times):
            return None
        value = int(times[ref.row])
        return None if value == NO_TIME else value

    def first(self, refs: Iterable[Ref | None]) -> int | None:
        found = [t for t in (self.at(r) for r in refs) if t is not None]
        return min(found) if found else None

    def last(self, refs: Iterable[Ref | None]) -> int | None:
        found = [t for t in (self.at(r) for r in refs) if t is not None]
        return max(found) if found else None


class TimeIndex:
    """A list of records sorted once by the aligned times of their lines, then cut by
    binary search: which records have a line in [lo, hi]? Built once per list."""

    def __init__(self, clock: Clock, items: Sequence[T], refs: Callable[[T], Iterable[Ref | None]]):
        timed = sorted(
            (t, i)
            for i, item in enumerate(items)
            for t in map(clock.at, refs(item))
            if t is not None
        )
        self.items = items
        self.times = [t for t, _ in timed]
        self.order = [i for _, i in timed]

    def within(self, lo: int, hi: int) -> list:
        picked = sorted(set(self.order[bisect_left(self.times, lo) : bisect_right(self.times, hi)]))
        return [self.items[i] for i in picked]
