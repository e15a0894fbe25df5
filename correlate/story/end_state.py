"""Stage 4e, end state: where every node stood, as its own last lines say.

Reads each node's state changes (:class:`~correlate.model.StateChange`, built by the
events stage from every ``what( old -> new )``) in the node's own order and keeps, per
(node, resource), the last value of each state: the resource's role, each volume's disk,
and per peer the connection, the peer's role, and per volume the replication state and
the peer's disk. No frame: the state changes are a few per connect, looped over in
Python.

Rules (README, "End state"):

* a value is the last one the node logged, spelt as the log spells it; a state the node
  never logged is ``None`` (null in summary.json), never guessed from another state;
* a change the driver refused (``Failed: ...`` lines, a ``State change failed``) changes
  nothing: the old value stays;
* DRBD 8.4 writes a device's sync states inside ``conn( )`` (one state for connection and
  replication): a ``conn( )`` value of a device goes to that volume's replication, and to
  the connection unless it is a sync state (``SyncTarget`` is no connection state). Its
  one peer a resource is ``peer`` unless a line names it
  (:data:`~correlate.events.builders.PEER_84`);
  its minors are tied to their resource by the events stage (the line that names both,
  else the file's only resource);
* ``at_ns`` (``--at``, ``--until``): only the changes logged at or before that aligned
  time count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from correlate.events.builders import REPL_STATES
from correlate.model import Clock, Cluster, Ref, StateChange

# The states a node's own disk may be in while it holds data a peer could sync from.
DATA_DISK = {"UpToDate", "Consistent", "Outdated", "Inconsistent"}


@dataclass(frozen=True)
class Said:
    """One state's last value and the line that set it."""

    value: str
    ref: Ref


@dataclass(eq=False)
class VolumeState:
    volume: int | None
    minor: int | None  # DRBD 8.4's device, when the lines give no volume number
    disk: Said | None = None


@dataclass(eq=False)
class PeerVolumeState:
    volume: int | None
    minor: int | None
    replication: Said | None = None
    peer_disk: Said | None = None


@dataclass(eq=False)
class PeerState:
    peer: str | None  # the peer's node name, else how the lines name it
    connection: Said | None = None
    peer_role: Said | None = None
    volumes: list[PeerVolumeState] = field(default_factory=list)

    def volume(self, volume: int | None, minor: int | None) -> PeerVolumeState:
        for v in self.volumes:
            if _same_volume(v.volume, v.minor, volume, minor):
                return v
        v = PeerVolumeState(volume, minor)
        self.volumes.append(v)
        return v


@dataclass(eq=False)
class NodeState:
    """One node's last word on one resource."""

    node: str
    resource: str | None
    role: Said | None = None
    volumes: list[VolumeState] = field(default_factory=list)
    peers: list[PeerState] = field(default_factory=list)
    as_of: Ref | None = None  # the last change that counted

    def volume(self, volume: int | None, minor: int | None) -> VolumeState:
        for v in self.volumes:
            if _same_volume(v.volume, v.minor, volume, minor):
                return v
        v = VolumeState(volume, minor)
        self.volumes.append(v)
        return v

    def peer(self, name: str | None) -> PeerState:
        for p in self.peers:
            if p.peer == name:
                return p
        p = PeerState(name)
        self.peers.append(p)
        return p

    def refs(self) -> list[Ref]:
        said = [self.role, *(v.disk for v in self.volumes)]
        for p in self.peers:
            said += [p.connection, p.peer_role]
            said += [x for v in p.volumes for x in (v.replication, v.peer_disk)]
        return [s.ref for s in said if s is not None]


def _same_volume(v1: int | None, m1: int | None, v2: int | None, m2: int | None) -> bool:
    if v1 is not None or v2 is not None:
        return v1 == v2
    return m1 == m2


def build(cluster: Cluster, clock: Clock, at_ns: int | None = None) -> list[NodeState]:
    """Every (node, resource)'s last logged state, in node order then resource order;
    with ``at_ns``, as of that aligned time."""
    out: list[NodeState] = []
    for ev in cluster.nodes:
        old84 = ev.identity.dialect == "8.4"
        by_res: dict[str | None, NodeState] = {}
        # A prefix says its object's state as of its line, before the line's own change:
        # on a line with a state change, the change's new value is the one that holds.
        changed_rows = {ch.ref.row for ch in ev.state_changes}
        prefixes = [p for p in ev.prefix_states if p.ref.row not in changed_rows]
        for ch in sorted([*ev.state_changes, *prefixes], key=lambda c: c.ref.row):
            if ch.failed:
                # refused: nothing of it was applied; a peer it names is one the node has
                if ch.peer is not None or ch.peer_host is not None:
                    state = by_res.get(ch.resource)
                    if state is not None:
                        _listed(state, ch, cluster)
                continue
            if at_ns is not None:
                t = clock.at(ch.ref)
                if t is None or t > at_ns:
                    continue
            state = by_res.get(ch.resource)
            if state is None:
                state = by_res[ch.resource] = NodeState(ev.name, ch.resource)
            if _apply(state, ch, cluster, old84):
                state.as_of = ch.ref
        out.extend(
            by_res[r]
            for r in sorted(by_res, key=lambda r: (r is None, r or ""))
            if by_res[r].as_of is not None
        )
    for s in out:
        s.volumes.sort(key=_vol_key)
        for p in s.peers:
            p.volumes.sort(key=_vol_key)
    return out


def _vol_key(v) -> tuple[int, int]:
    return (v.volume if v.volume is not None else -1, v.minor if v.minor is not None else -1)


def _apply(state: NodeState, ch: StateChange, cluster: Cluster, old84: bool) -> bool:
    said = Said(ch.new, ch.ref)
    has_volume = ch.volume is not None or ch.minor is not None
    if ch.what == "role":
        state.role = said
    elif ch.what == "disk" and has_volume:
        state.volume(ch.volume, ch.minor).disk = said
    elif ch.what in ("conn", "peer", "repl", "pdsk"):
        if ch.peer is None and ch.peer_host is None:
            return False  # no line names the peer: whose state it is is unknown
        if ch.what in ("repl", "pdsk") and not has_volume:
            return False
        peer = state.peer(cluster.name_of(ch.resource, ch.peer, ch.peer_host))
        if ch.what == "conn":
            if old84 and has_volume:
                peer.volume(ch.volume, ch.minor).replication = said
            if not (old84 and ch.new in REPL_STATES):
                peer.connection = said
        elif ch.what == "peer":
            peer.peer_role = said
        elif ch.what == "repl":
            peer.volume(ch.volume, ch.minor).replication = said
        else:
            peer.volume(ch.volume, ch.minor).peer_disk = said
    else:
        _listed(state, ch, cluster)
        return False  # susp, quorum, ...: not part of the table
    return True


def _listed(state: NodeState, ch: StateChange, cluster: Cluster) -> None:
    """A peer (and its volume) a line names without a state of the table (a refused
    change, resync-susp, ...): listed, its states null until a line says them."""
    if ch.peer is None and ch.peer_host is None:
        return
    peer = state.peer(cluster.name_of(ch.resource, ch.peer, ch.peer_host))
    if (ch.volume is not None or ch.minor is not None) and ch.object == "peer_device":
        peer.volume(ch.volume, ch.minor)


def value(said: Said | None) -> str | None:
    return said.value if said is not None else None
