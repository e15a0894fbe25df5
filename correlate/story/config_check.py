"""Story stage, config check: each node's bundle config tied to the node, and held
against what its driver logged.

A config's ``on HOST`` names a node when HOST is one of the node's spellings (its name,
the bundle's host, the host its lines give, an FQDN's short name: read.config.host_matches).
The logs' own node id in a resource, and each peer's id and host, are then checked
against that resource's config: a difference is a ``config_mismatch`` finding, naming
both values. Nothing is checked of a resource the config does not hold.

Output: ``{node or config host: {"node_id", "host", "address", "resources", "node"}}``
(``node`` the run's node it ties to, or null) and the findings.
"""

from __future__ import annotations

from correlate.i18n import Msg
from correlate.model import NodeEvents
from correlate.read.config import host_matches
from correlate.story.findings import Finding


def check(
    config: dict[str, dict], events: list[NodeEvents], bundles: dict[str, dict]
) -> tuple[dict[str, dict], list[Finding]]:
    out: dict[str, dict] = {}
    findings: list[Finding] = []
    owner: dict[str, str] = {}  # config host -> run node
    for ev in events:
        names = [
            ev.name,
            *(h for h in (bundles.get(ev.name, {}).get("host"), ev.identity.host) if h),
        ]
        names += ev.identity.aliases
        for host in config:
            if host not in owner and host_matches(host, names):
                owner[host] = ev.name
    for host, entry in config.items():
        node = owner.get(host)
        out[node or host] = {**entry, "node": node}
    by_node = {ev.name: ev for ev in events}
    for host, node in owner.items():
        ev = by_node[node]
        for resource, res in config[host]["resources"].items():
            logged = ev.identity.id_in(resource)
            if logged is not None and res["node_id"] is not None and logged != res["node_id"]:
                findings.append(
                    Finding.of(
                        "config_mismatch",
                        node,
                        None,
                        Msg(
                            "{node} logs node id {logged} in {resource}; its config says "
                            "node-id {config} for {host}",
                            node=node,
                            logged=logged,
                            resource=resource,
                            config=res["node_id"],
                            host=host,
                        ),
                        resource=resource,
                    )
                )
        findings += _peers(node, ev, config)
    return out, findings


def _peers(node: str, ev: NodeEvents, config: dict[str, dict]) -> list[Finding]:
    """A peer the node's lines name by id and host: the config's host of that id in the
    node's resources must be one of the peer's spellings."""
    out = []
    for peer_id, peer_host in sorted(ev.identity.hosts.items()):
        for resource in ev.identity.resources:
            hosts = [
                h
                for h, e in config.items()
                if e["resources"].get(resource, {}).get("node_id") == peer_id
            ]
            if not hosts or any(host_matches(h, [peer_host]) for h in hosts):
                continue
            out.append(
                Finding.of(
                    "config_mismatch",
                    node,
                    None,
                    Msg(
                        "{node}'s lines name peer {peer_id} {peer_host} in {resource}; the "
                        "config gives node-id {peer_id} to {hosts}",
                        node=node,
                        peer_id=peer_id,
                        peer_host=peer_host,
                        resource=resource,
                        hosts=", ".join(hosts),
                    ),
                    resource=resource,
                )
            )
    return out
