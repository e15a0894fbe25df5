"""Stage 2c, identity: who is who, per resource and per connection, from the lines alone.

Input: every node's records (:class:`~correlate.model.NodeEvents`), each with the identity
the events stage read off that node's own lines (its own node id from its own 2PC
prepares, its host from the syslog's host field). Output: :class:`~correlate.model.Names`
and a new
:class:`~correlate.model.NodeEvents` per node carrying a new identity; nothing built by an
earlier stage is changed.

The rules (each one a protocol fact, never a time or an order):

* **own id**: ``Preparing cluster-wide state change T (A->B ...)`` is written by node A;
  BSR's ``... because it is a local node id(N)`` names the writer's id too;
* **a connection's peer** is the host its prefix names (``drbd r0 beta: ...``) or, on
  Windows, its ``pnode-id:N``; its node id comes from that connection's own ``Handshake
  to peer N`` line (``host beta is node N in r0``), never from another connection's;
* **a committed connection change** ``(A->B ...)`` names the connection to B: the
  initiator's ``conn( ... )`` change that carries that 2PC's id is on the connection to
  B, so that connection's host is node B;
* **a present node** is the host of its syslog's host field, and has the id every
  handshake on a connection to that host names; a node whose own id is proven takes the
  host that a handshake ties to that id;
* **two nodes that name only each other**: when Y's lines in a resource name one peer
  only, X (proven), and X's name one peer only, and the two shared a 2PC, Y is X's peer.

Not rules: a participant of a 2PC is not its target (DRBD sends a prepare to every
connected peer), and the connection a prepare arrived on may be a relay, so neither
gives a node id. An id no line ties to a host stays ``node id N``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from correlate.model import Names, NodeEvents, NodeIdentity

Key = tuple[str | None, int]  # (resource, node id)


@dataclass
class _Node:
    name: str
    ids: dict[str | None, int]
    why: dict[str | None, str]
    host: str | None
    host_why: str | None


def resolve(nodes: list[NodeEvents]) -> tuple[list[NodeEvents], Names]:
    """New records with each node's identity settled by the rules of the module."""
    state = {
        n.name: _Node(
            n.name,
            dict(n.identity.node_ids),
            {r: n.identity.node_id_from or "its own lines" for r in n.identity.node_ids},
            n.identity.host,
            "its syslog host field" if n.identity.host else None,
        )
        for n in nodes
    }
    conflicts: list[str] = []
    facts = _host_facts(nodes, conflicts)
    hosts = {key: host for key, (host, _) in facts.items()}
    host_ids: dict[tuple[str | None, str], int] = {(r, h): i for (r, i), h in hosts.items()}
    changed = True
    while changed:
        changed = False
        taken = {s.host: s.name for s in state.values() if s.host}
        for s in state.values():
            if s.host is not None:
                for (res, host), node_id in host_ids.items():
                    if _is_host(host, s, state) and res not in s.ids:
                        s.ids[res] = node_id
                        s.why[res] = facts[(res, node_id)][1]
                        changed = True
            else:
                for res, node_id in s.ids.items():
                    host = hosts.get((res, node_id))
                    if host is not None and host not in taken:
                        s.host, s.host_why = host, f"the host of node id {node_id} in {res}"
                        taken[host] = s.name
                        changed = True
                        break
        changed |= _only_each_other(nodes, state, hosts)
    ids: dict[Key, str] = {}
    for s in state.values():
        for res, node_id in s.ids.items():
            other = ids.setdefault((res, node_id), s.name)
            if other != s.name:
                conflicts.append(f"{other} and {s.name} both have node id {node_id} in {res}")
    by_host = {s.host: s.name for s in state.values() if s.host}
    aliases = _aliases(nodes, state, hosts, by_host)
    by_host.update(aliases)
    out = []
    for n in nodes:
        s = state[n.name]
        ident: NodeIdentity = replace(
            n.identity,
            node_ids=dict(s.ids),
            host=s.host,
            node_id=n.identity.node_id,
            node_id_from=n.identity.node_id_from,
            aliases=sorted(h for h, name in aliases.items() if name == n.name),
        )
        if s.ids and ident.node_id is None:
            ident.node_id = Counter(s.ids.values()).most_common(1)[0][0]
            first = next(r for r, i in s.ids.items() if i == ident.node_id)
            ident.node_id_from = s.why.get(first)
        out.append(replace(n, identity=ident))
    named = {key for n in nodes for key in _ids_named(n)}
    unnamed = sorted(
        (k for k in named if k not in ids and k not in hosts), key=lambda k: (str(k[0]), k[1])
    )
    return out, Names(ids, dict(hosts), by_host, unnamed, conflicts)


def _is_host(name: str, s: _Node, state: dict[str, _Node]) -> bool:
    """A connection's name is ``s``'s host: the same name, or its fully qualified form
    (DRBD names a peer as its configuration's ``on`` name, ``px2.rad-ffm.local``, syslog
    as the short host name, ``px2``), when no other node has that short name. Host names
    compare without case (DNS)."""
    assert s.host is not None
    a, b = name.lower(), s.host.lower()
    if a == b:
        return True
    short_a, short_b = a.split(".")[0], b.split(".")[0]
    if short_a != short_b or ("." not in a and "." not in b) or short_a.replace("-", "").isdigit():
        return False
    others = [o for o in state.values() if o is not s and o.host]
    return not any(o.host.lower().split(".")[0] == short_a for o in others)  # type: ignore[union-attr]


def _ids_named(n: NodeEvents) -> set[Key]:
    """Every (resource, node id) a node's lines name: peers, 2PC ends, handshakes."""
    found: set[tuple[str | None, int | None]] = set()
    found |= {(h.resource, h.peer_id) for h in n.handshakes}
    found |= {(c.resource, c.peer) for c in n.connects}
    found |= {(d.resource, d.peer) for d in n.decisions}
    for sides in n.twopc.values():
        for x in sides:
            found |= {(x.resource, x.peer), (x.resource, x.initiator_id), (x.resource, x.target_id)}
    return {(r, i) for r, i in found if i is not None and i >= 0}


def _aliases(
    nodes: list[NodeEvents],
    state: dict[str, _Node],
    hosts: dict[Key, str],
    by_host: dict[str, str],
) -> dict[str, str]:
    """Peer names that are a present node's host as a fully qualified name, or the
    reverse (``node004.lab.example`` in a prefix, ``node004`` in the syslog host field:
    DRBD names a peer as its configuration's ``on`` name, syslog as the short host
    name): tied when exactly one present node has that first label and no handshake
    gives the name an id the node does not have."""
    named: set[str] = set()
    for n in nodes:
        named |= {c.peer_host for c in n.connects if c.peer_host}
        named |= {h.peer_host for h in n.handshakes if h.peer_host}
        named |= {d.peer_host for d in n.decisions if d.peer_host}
        named |= {x.peer_host for ss in n.twopc.values() for x in ss if x.peer_host}
    out: dict[str, str] = {}
    for name in sorted(named - set(by_host)):
        label = name.split(".")[0]
        if not label or label.replace("-", "").isdigit():
            continue  # an address (192.168.1.2) is no host name
        found = [
            s for s in state.values() if s.host and s.host.split(".")[0] == label and s.host != name
        ]
        if len(found) != 1:
            continue
        node = found[0]
        ids = {(r, i) for (r, i), h in hosts.items() if h == name}
        if any(node.ids.get(r, i) != i for r, i in ids):
            continue
        out[name] = node.name
    return out


def _host_facts(nodes: list[NodeEvents], conflicts: list[str]) -> dict[Key, tuple[str, str]]:
    """(resource, id) -> (host, why): each handshake on a connection named by a host, and
    each committed connection change of a 2PC with one target."""
    found: dict[Key, tuple[str, str]] = {}

    def tie(res: str | None, node_id: int | None, host: str | None, why: str) -> None:
        if node_id is None or node_id < 0 or not host:
            return
        old, _ = found.setdefault((res, node_id), (host, why))
        if old != host:
            conflicts.append(f"node id {node_id} in {res} is {old} and {host} ({why})")

    for n in nodes:
        # The conn( ) changes that carry each 2PC's id, looked up once per node.
        conns_of: dict[int, set[str]] = {}
        for c in n.state_changes:
            if c.tid is not None and c.what == "conn" and c.peer_host:
                conns_of.setdefault(c.tid, set()).add(c.peer_host)
        for h in n.handshakes:
            tie(
                h.resource,
                h.peer_id,
                h.peer_host or h.peer_name,
                f"{n.name}'s Handshake to peer {h.peer_id} on its connection to "
                f"{h.peer_host or h.peer_name}",
            )
        for res, peer_id, host, message in n.identity.peer_id_lines:
            tie(res, peer_id, host, f"{n.name}'s '{message}' on its connection to {host}")
        for sides in n.twopc.values():
            for side in sides:
                if side.role != "initiator" or side.commit is None:
                    continue
                if side.target_id is None or side.target_id < 0:
                    continue
                conns = set(conns_of.get(side.tid, ()))
                if len(conns) == 1:
                    host = conns.pop()
                    tie(
                        side.resource,
                        side.target_id,
                        host,
                        f"{n.name}'s 2PC {side.tid} ({side.initiator_id}->{side.target_id}) "
                        f"committed a conn( ) change on its connection to {host}",
                    )
    return found


def _named_peers(n: NodeEvents, res: str | None) -> set[tuple[int | None, str | None]]:
    """The peers a node's lines name in one resource, as (id, host)."""
    out: set[tuple[int | None, str | None]] = set()
    for c in n.connects:
        if c.resource == res:
            out.add((c.peer, c.peer_host))
    for h in n.handshakes:
        if h.resource == res:
            out.add((h.peer_id, h.peer_host))
    for sides in n.twopc.values():
        for s in sides:
            if s.resource == res and s.role == "participant":
                out.add((s.peer, s.peer_host))
    for d in n.decisions:
        if d.resource == res:
            out.add((d.peer, d.peer_host))
    return {p for p in out if p != (None, None) and (p[0] is None or p[0] >= 0)}


def _only_each_other(
    nodes: list[NodeEvents], state: dict[str, _Node], hosts: dict[Key, str]
) -> bool:
    """Y names only X, X names only one peer, and they shared a 2PC: Y is that peer."""
    changed = False
    tids = {n.name: {(s.resource, tid) for tid, ss in n.twopc.items() for s in ss} for n in nodes}
    for y in nodes:
        sy = state[y.name]
        for res in sorted({r for r in y.identity.resources}, key=str):
            if res in sy.ids:
                continue
            for x in nodes:
                sx = state[x.name]
                if x is y or res not in sx.ids or not tids[x.name] & tids[y.name]:
                    continue
                mine = _named_peers(y, res)
                if not mine or not all(_is(sx, res, p, hosts) for p in mine):
                    continue
                theirs = _named_peers(x, res)
                peer_ids = {p[0] if p[0] is not None else _id_of(res, p[1], hosts) for p in theirs}
                peer_hosts = {p[1] for p in theirs if p[1]}
                if len(peer_ids) != 1 or len(peer_hosts) > 1:
                    continue
                (node_id,) = peer_ids
                if node_id is not None:
                    sy.ids[res] = node_id
                    sy.why[res] = f"the one peer of {x.name}, which names only {y.name}"
                    changed = True
                if peer_hosts and sy.host is None:
                    sy.host = next(iter(peer_hosts))
                    sy.host_why = f"the one peer of {x.name}"
                    changed = True
                break
    return changed


def _id_of(res: str | None, host: str | None, hosts: dict[Key, str]) -> int | None:
    return next((i for (r, i), h in hosts.items() if r == res and h == host), None)


def _is(s: _Node, res: str | None, peer: tuple[int | None, str | None], hosts) -> bool:
    """Does a peer (id, host) name this node?"""
    node_id, host = peer
    if node_id is not None:
        return s.ids.get(res) == node_id
    if host is not None:
        if s.host is not None:
            return s.host == host
        return _id_of(res, host, hosts) == s.ids.get(res) is not None
    return False
