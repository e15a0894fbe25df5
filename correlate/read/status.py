"""Read stage, status snapshots: ``bsrsetup status --s --v all`` / ``drbdsetup status -vs
all`` output (a bundle's ``status.txt``, ``drbdsetup_status_-vs_all``, LINSTOR's
``drbd-status``) -> where each resource stood when the bundle was collected.

The output is indented by object: the resource at column 0 (``r0 node-id:0
role:Primary ...``), its volumes and peers at 2 (``volume:0 minor:2 disk:UpToDate``,
``h1 node-id:1 connection:Connected role:Secondary``), a peer's volumes at 4
(``volume:0 replication:Established peer-disk:UpToDate``). Without ``--verbose`` the
tools leave out what is normal: a peer without ``connection:`` is Connected, a peer
volume without ``replication:`` is Established; those defaults are filled in here.

:func:`parse` returns ``[{"resource", "role", "volumes": [{"volume", "disk"}], "peers":
[{"peer", "connection", "peer_role", "volumes": [{"volume", "replication",
"peer_disk"}]}]}]``: the shape of ``summary.json`` ``end_state`` entries.
"""

from __future__ import annotations

import re

# The files that hold this output: bsrsupport's status.txt, sos's drbdsetup output,
# LINSTOR's drbd-status.
SNAPSHOT = re.compile(r"^(?:status\.txt|drbdsetup_status.*|drbd-status.*)$")
_KV = re.compile(r"([A-Za-z][\w-]*):(\S*)")


def _pairs(text: str) -> dict[str, str]:
    return {k: v for k, v in _KV.findall(text)}


def parse(text: str) -> list[dict]:
    out: list[dict] = []
    res: dict | None = None
    peer: dict | None = None
    for raw in text.splitlines():
        if not raw.strip():
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        line = raw.strip()
        kv = _pairs(line)
        first = line.split()[0]
        if indent == 0 and ":" not in first:
            res = {"resource": first, "role": kv.get("role"), "volumes": [], "peers": []}
            out.append(res)
            peer = None
        elif res is None:
            continue
        elif indent <= 2 and (first.startswith("volume:") or first.startswith("disk:")):
            res["volumes"].append({"volume": _int(kv.get("volume")), "disk": kv.get("disk")})
        elif indent <= 2:
            peer = {
                "peer": first,
                "connection": kv.get("connection", "Connected"),
                "peer_role": kv.get("role"),
                "volumes": [],
            }
            res["peers"].append(peer)
        elif peer is not None:
            peer["volumes"].append(
                {
                    "volume": _int(kv.get("volume")),
                    "replication": kv.get("replication", "Established"),
                    "peer_disk": kv.get("peer-disk"),
                }
            )
    return out


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None
