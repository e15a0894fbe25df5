"""Story stage, status snapshots: where a bundle's ``status`` output says each resource
stood when the bundle was collected, held against the end state the node's log shows.

The snapshot was taken after the log's last line; a change between the two would have
been logged. So where the snapshot and the log's end state disagree on a value both
give (role, disk, connection, peer role, replication, peer disk), the log missed
something (lost lines, a rotated-away file, a capture cut before the collection): a
``status_differs`` finding naming the value, the snapshot's word and the log's. A value
the log never gave is not a difference. Peers are matched by name as the config ties
hosts (read.config.host_matches: ``h1`` is ``H1`` and ``h1.example.local``).

Output: ``{node: [{"resource", "differences": [{"what", "volume", "peer", "snapshot",
"log"}], "snapshot": <the parsed snapshot>}]}`` and the findings.
"""

from __future__ import annotations

from correlate.i18n import Msg
from correlate.read.config import host_matches
from correlate.story.end_state import NodeState
from correlate.story.findings import Finding


def _word(said) -> str | None:
    return said.value if said is not None else None


def compare(
    snapshots: dict[str, list[dict]], states: list[NodeState]
) -> tuple[dict[str, list[dict]], list[Finding]]:
    out: dict[str, list[dict]] = {}
    findings: list[Finding] = []
    for node, resources in snapshots.items():
        for snap in resources:
            state = next(
                (s for s in states if s.node == node and s.resource == snap["resource"]), None
            )
            diffs = _differences(snap, state) if state is not None else []
            out.setdefault(node, []).append(
                {"resource": snap["resource"], "differences": diffs, "snapshot": snap}
            )
            for d in diffs:
                where = " ".join(
                    x
                    for x in (
                        f"peer {d['peer']}" if d["peer"] else "",
                        f"volume {d['volume']}" if d["volume"] is not None else "",
                    )
                    if x
                )
                findings.append(
                    Finding.of(
                        "status_differs",
                        node,
                        None,
                        Msg(
                            "{node} {resource}{where}: the bundle's status says {what} "
                            "{snapshot}, the log ends with {log}",
                            node=node,
                            resource=snap["resource"],
                            where=f" ({where})" if where else "",
                            what=d["what"],
                            snapshot=d["snapshot"],
                            log=d["log"],
                        ),
                        state.as_of and [state.as_of] if state else None,
                        resource=snap["resource"],
                    )
                )
    return out, findings


def _differences(snap: dict, state: NodeState) -> list[dict]:
    diffs: list[dict] = []

    def check(what: str, said, word, volume=None, peer=None) -> None:
        log = _word(said)
        if word is None or log is None or log == word:
            return
        diffs.append({"what": what, "volume": volume, "peer": peer, "snapshot": word, "log": log})

    check("role", state.role, snap["role"])
    for v in snap["volumes"]:
        own = next((x for x in state.volumes if x.volume == v["volume"]), None)
        if own is None and len(state.volumes) == 1 and len(snap["volumes"]) == 1:
            own = state.volumes[0]
        if own is not None:
            check("disk", own.disk, v["disk"], v["volume"])
    for p in snap["peers"]:
        peer = next((x for x in state.peers if x.peer and host_matches(p["peer"], [x.peer])), None)
        if peer is None:
            continue
        check("connection", peer.connection, p["connection"], peer=p["peer"])
        check("peer role", peer.peer_role, p["peer_role"], peer=p["peer"])
        for v in p["volumes"]:
            pv = next((x for x in peer.volumes if x.volume == v["volume"]), None)
            if pv is None and len(peer.volumes) == 1 and len(p["volumes"]) == 1:
                pv = peer.volumes[0]
            if pv is not None:
                check("replication", pv.replication, v["replication"], v["volume"], p["peer"])
                check("peer disk", pv.peer_disk, v["peer_disk"], v["volume"], p["peer"])
    return diffs
