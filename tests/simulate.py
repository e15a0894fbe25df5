"""A small BSR cluster simulator: writes each node's log as the driver would, on clocks
whose truth is known, so tests (and the benchmark) can check what bsrcorr recovers.

Events happen on one true timeline (integer ns). Each node turns true time into its own
clock (offset, drift, steps, a time zone) and numbers its lines with a counter that starts
over at each driver load. Cross-node messages follow BSR's order: the sender logs before
sending, the receiver after receiving, one-way latency ``latency_s`` apart.

Message texts follow the templates the samples use (Windows BSR 1.6.1 wording, Linux
prefixes for Linux nodes).

Several resources run side by side on one node, as on a real cluster: each scenario
method takes ``res=`` (default: the node's first resource), and their lines interleave in
one log per node with one counter. Node ids may differ per resource (``SimNode.ids``),
as LINSTOR assigns them.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

NS = 1_000_000_000
THREAD = "[0xFFFFE0012A6BD880] "


@dataclass
class SimNode:
    name: str
    node_id: int
    platform: str = "windows"
    host: str | None = None
    offset_s: float = 0.0  # node clock minus true time at t = 0
    drift_ppm: float = 0.0
    steps: list[tuple[float, float]] = field(default_factory=list)  # (true s, size s)
    reboots: list[float] = field(default_factory=list)  # true s of driver reloads
    resource: str = "r0"
    minor: int = 2
    resources: list[str] = field(default_factory=list)  # default: [resource]
    ids: dict[str, int] = field(default_factory=dict)  # resource -> node id, if not node_id

    def __post_init__(self) -> None:
        if not self.resources:
            self.resources = [self.resource]

    def id_in(self, res: str) -> int:
        return self.ids.get(res, self.node_id)

    def minor_of(self, res: str) -> int:
        return self.minor + self.resources.index(res)

    def offset_at(self, t_s: float) -> float:
        off = self.offset_s + self.drift_ppm * 1e-6 * t_s
        for when, size in self.steps:
            if t_s >= when:
                off += size
        return off

    def local_ns(self, true_ns: int, origin_ns: int) -> int:
        t_s = (true_ns - origin_ns) / NS
        return true_ns + round(self.offset_at(t_s) * NS)


@dataclass
class Line:
    true_ns: int
    func: str
    cat: str
    idx: int
    obj: str
    msg: str
    level: str = "bsr_info<6>"
    reboot: bool = False


def in_resource(method):
    """``res=`` names the resource a scenario runs in (default: the first node's first)."""

    @functools.wraps(method)
    def run(self, *args, res: str | None = None, **kwargs):
        before = self.res
        self.res = res or before
        try:
            return method(self, *args, **kwargs)
        finally:
            self.res = before

    return run


class Sim:
    def __init__(
        self,
        nodes: list[SimNode],
        start: datetime,
        seed: int = 7,
        latency_s: tuple[float, float] = (0.00015, 0.0004),
    ) -> None:
        self.nodes = {n.name: n for n in nodes}
        self.by_id = {n.node_id: n for n in nodes}
        self.origin_ns = int((start - datetime(1970, 1, 1)).total_seconds()) * NS
        self.rng = random.Random(seed)
        self.latency = latency_s
        self.lines: dict[str, list[Line]] = {n.name: [] for n in nodes}
        self.tids: list[tuple[int, str]] = []
        self.res = nodes[0].resources[0]
        for n in nodes:
            self.driver_load(n.name, 0.0, first=True)
            for t in n.reboots:
                self.driver_load(n.name, t)

    # -- time --------------------------------------------------------------------------
    def ns(self, t_s: float) -> int:
        return self.origin_ns + round(t_s * NS)

    def hop(self) -> float:
        return self.rng.uniform(*self.latency)

    def tiny(self) -> float:
        return self.rng.uniform(0.000005, 0.00006)

    # -- prefixes --------------------------------------------------------------------
    def id_of(self, node: str) -> int:
        """The node's id in the current resource."""
        return self.nodes[node].id_in(self.res)

    def obj(self, node: str, kind: str, peer: str | None = None) -> str:
        n = self.nodes[node]
        p = self.nodes[peer] if peer else None
        res = self.res if self.res in n.resources else n.resources[0]
        minor = n.minor_of(res)
        if n.platform == "linux":
            host = (p.host or p.name) if p else ""
            return {
                "none": "bsr ",
                "resource": f"bsr {res}: ",
                "connection": f"bsr {res} {host}: ",
                "device": f"bsr {res}/0 bsr{minor}: ",
                "peer_device": f"bsr {res}/0 bsr{minor} {host}: ",
            }[kind]
        pid = p.id_in(res) if p else 0
        return {
            "none": THREAD,
            "resource": f"bsr {res}, r(Secondary), f(0x0), scf(0x0): ",
            "connection": f"bsr {res} pnode-id:{pid}, cs(Connected), prole(Secondary), "
            "cflag(0x0), scf(0x0): ",
            "device": f"bsr {res}/0 minor {minor}, ds(UpToDate), dvflag(0x0): ",
            "peer_device": f"bsr {res}/0 minor {minor} pnode-id:{pid}, pdsk(UpToDate), "
            "prpl(Established), pdvflag(0x0): ",
        }[kind]

    def log(
        self,
        node: str,
        t_s: float,
        func: str,
        cat: str,
        idx: int,
        msg: str,
        kind: str = "none",
        peer: str | None = None,
        level: str = "bsr_info<6>",
    ) -> float:
        self.lines[node].append(
            Line(self.ns(t_s), func, cat, idx, self.obj(node, kind, peer), msg, level)
        )
        return t_s

    # -- scenarios -------------------------------------------------------------------
    def driver_load(self, node: str, t_s: float, first: bool = False) -> None:
        line = Line(
            self.ns(t_s),
            "bsr_init",
            "DRIVER",
            77,
            self.obj(node, "none"),
            "BSR driver loaded and initialized successfully. Version: 1.6.1 (api:2/proto:86-114)",
            reboot=not first,
        )
        self.lines[node].append(line)

    @in_resource
    def routine(self, node: str, t0: float, t1: float, every_s: float) -> None:
        t = t0
        i = 0
        while t < t1:
            if i % 2:
                self.log(
                    node,
                    t,
                    "state_change_lock",
                    "STATE",
                    40,
                    "Worker should not initiate state changes with CS_SERIALIZE "
                    "current:FFFFF800A6319BD0 resource->worker.task:FFFFE0012C513C60",
                )
            else:
                self.log(
                    node,
                    t,
                    "get_max_agreeable_size",
                    "VOLUME",
                    98,
                    "Skip the replication volume size comparison because it is a local "
                    f"node id({self.id_of(node)})",
                    kind="device",
                )
            t += every_s * self.rng.uniform(0.5, 1.5)
            i += 1

    @in_resource
    def twopc(
        self,
        initiator: str,
        t_s: float,
        participants: list[str],
        change: str = "conn(-) repl(-) disk(-) pdsk(-) role(Primary) peer(-)",
        outcome: str = "commit",
        target: int = -1,
    ) -> int:
        """One cluster-wide state change; returns the transaction id."""
        tid = self.rng.randrange(1, 2**32)
        a_id = self.id_of(initiator)
        self.tids.append((tid, initiator))
        t = t_s
        self.log(
            initiator,
            t,
            "change_cluster_wide_state",
            "TWOPC",
            34,
            f"Preparing cluster-wide state change {tid} ({a_id}->{target} 496/16)",
            kind="resource",
        )
        t += self.tiny()
        self.log(
            initiator,
            t,
            "change_cluster_wide_state",
            "TWOPC",
            35,
            f"[TWOPC:{tid}] target_node_id({target}) {change} flags (8)",
            kind="resource",
        )
        replies = []
        for p in participants:
            tp = t + self.hop()
            self.log(
                p,
                tp,
                "receive_twopc",
                "TWOPC",
                24,
                f"Preparing remote state change {tid} (primary_nodes=0, weak_nodes=0)",
                kind="connection",
                peer=initiator,
            )
            tp += self.tiny()
            self.log(
                p,
                tp,
                "receive_twopc",
                "TWOPC",
                28,
                f"[TWOPC:{tid}] target_node_id({target}) {change} flags (2)",
                kind="resource",
            )
            replies.append(tp + self.tiny() + self.hop())
        t = max(replies) + self.tiny()
        if outcome == "timeout":
            t = t_s + 30.0
            self.log(
                initiator,
                t,
                "change_cluster_wide_state",
                "TWOPC",
                49,
                "twopc timeout occurred, no more retries",
                kind="resource",
                level="bsr_warn<4>",
            )
            outcome = "abort"
        else:
            self.log(
                initiator,
                t,
                "change_cluster_wide_state",
                "TWOPC",
                36,
                f"[TWOPC:{tid}] target_node_id({target}) get_cluster_wide_reply "
                f"({3 if outcome == 'commit' else -10})",
                kind="resource",
            )
            t += self.tiny()
            self.log(
                initiator,
                t,
                "change_cluster_wide_state",
                "TWOPC",
                37,
                f"State change {tid}: primary_nodes=0, weak_nodes=0",
                kind="resource",
            )
        t += self.tiny()
        ms = max(1, round((t - t_s) * 1000))
        if outcome == "commit":
            self.log(
                initiator,
                t,
                "change_cluster_wide_state",
                "TWOPC",
                39,
                f"Committing cluster-wide state change {tid} ({ms}ms) ({a_id}->{target})",
                kind="resource",
            )
        else:
            self.log(
                initiator,
                t,
                "change_cluster_wide_state",
                "TWOPC",
                40,
                f"Aborting cluster-wide state change {tid} ({ms}ms) rv = -10 ({a_id}->{target})",
                kind="resource",
            )
        for p in participants:
            tp = t + self.hop()
            word = "Committing" if outcome == "commit" else "Aborting"
            self.log(
                p,
                tp,
                "receive_twopc",
                "TWOPC",
                27 if outcome == "commit" else 26,
                f"{word} remote state change {tid}",
                kind="connection",
                peer=initiator,
            )
            self.log(
                p,
                tp + self.tiny(),
                "receive_twopc",
                "TWOPC",
                28,
                f"[TWOPC:{tid}] target_node_id({target}) {change} flags (0)",
                kind="resource",
            )
        return tid

    @in_resource
    def handshake(self, a: str, b: str, t_s: float) -> None:
        for x, y in ((a, b), (b, a)):
            t = t_s + self.hop() + self.tiny()
            py = self.nodes[y]
            y_id = self.id_of(y)
            name = (
                f", Peer node name {py.host or py.name}"
                if self.nodes[x].platform == "linux"
                else ""
            )
            self.log(
                x,
                t,
                "bsr_do_features",
                "PROTOCOL",
                55,
                f"Handshake to peer {y_id} successful: Agreed network protocol version 114{name}",
                kind="connection",
                peer=y,
            )
            self.log(
                x,
                t + self.tiny(),
                "bsr_do_features",
                "PROTOCOL",
                56,
                "Feature flags enabled on protocol level: 0x7 TRIM THIN_RESYNC WRITE_SAME.",
                kind="connection",
                peer=y,
            )

    @in_resource
    def connect(self, a: str, b: str, t_s: float, resync_kb: int | None = None) -> float:
        """Handshake, connect 2PC (a initiates), UUIDs; with ``resync_kb``, a bitmap
        exchange and a resync with ``a`` as SyncSource. Returns the end time."""
        self.handshake(a, b, t_s)
        t = t_s + 0.01
        self.twopc(
            a,
            t,
            [b],
            change="conn(Connected) repl(-) disk(-) pdsk(-) role(-) peer(-)",
            target=self.id_of(b),
        )
        t += 0.01
        # Each connect has its own generations, as each cluster has its own UUIDs.
        cur_a, cur_b, h1, h2 = (f"{self.rng.getrandbits(64):016X}" for _ in range(4))
        hist = f"{h1}:{h2}"
        sync = resync_kb is not None
        a_set = f"{cur_a}:{cur_b if sync else '0000000000000000'}:{hist}"
        b_set = f"{cur_b if sync else cur_a}:0000000000000000:{hist}"
        ra, rb = (2, -2) if sync else (0, 0)
        rule_a, rule_b = (70, 50) if sync else (40, 40)
        for x, y, mine, theirs, res, rule in (
            (a, b, a_set, b_set, ra, rule_a),
            (b, a, b_set, a_set, rb, rule_b),
        ):
            tx = t + self.hop()
            self.log(
                x,
                tx,
                "log_handshake",
                "RESYNC/OV",
                73,
                "bsr_sync_handshake:",
                kind="peer_device",
                peer=y,
            )
            self.log(
                x,
                tx + 0.000004,
                "bsr_uuid_dump_self",
                "RESYNC/OV",
                65,
                f"self {mine} bits:0 flags:20",
                kind="peer_device",
                peer=y,
            )
            self.log(
                x,
                tx + 0.000008,
                "bsr_uuid_dump_peer",
                "RESYNC/OV",
                66,
                f"peer {theirs} bits:0 flags:100",
                kind="peer_device",
                peer=y,
            )
            text = {
                70: "Peer UUID and local bitmap UUID are the same",
                50: "The local current UUID is the same as the peer bitmap UUID",
                40: "Local and peer current UUIDs are the same",
            }[rule]
            idx = {70: 202, 50: 198, 40: 197}[rule]
            self.log(
                x,
                tx + 0.000012,
                "bsr_uuid_compare",
                "RESYNC/OV",
                idx,
                f"{text}. rule({rule}), res({res})",
                kind="device",
            )
            self.log(
                x,
                tx + 0.000016,
                "bsr_handshake",
                "RESYNC/OV",
                75,
                f"uuid_compare({res}) by rule {rule}",
                kind="peer_device",
                peer=y,
            )
        t += 0.002
        if not sync:
            for x, y in ((a, b), (b, a)):
                self.log(
                    x,
                    t + self.hop(),
                    "print_state_change",
                    "STATE",
                    21,
                    "receive_state, pdsk( DUnknown -> UpToDate ) repl( Off -> Established )",
                    kind="peer_device",
                    peer=y,
                )
            return t + 0.01
        return self.resync(a, b, t, resync_kb)

    @in_resource
    def resync(self, src: str, tgt: str, t_s: float, kb: int) -> float:
        t = t_s
        self.log(
            src,
            t,
            "print_state_change",
            "STATE",
            21,
            "receive_state, pdsk( DUnknown -> Consistent ) repl( Off -> WFBitMapS )",
            kind="peer_device",
            peer=tgt,
        )
        self.log(
            tgt,
            t + self.hop(),
            "print_state_change",
            "STATE",
            21,
            "receive_state, pdsk( DUnknown -> UpToDate ) repl( Off -> WFBitMapT )",
            kind="peer_device",
            peer=src,
        )
        t += 0.0005
        self.log(
            src,
            t,
            "bsr_queue_bitmap_io",
            "RESYNC/OV",
            33,
            "send_bitmap (WFBitMapS), worker.task(FFFFE0012C7D29A0), current(FFFFE0012C7D29A0)",
            kind="device",
        )
        stats = "plain 0(0), RLE 23(1), total 23; compression: 100.0%"
        t += 0.0002
        self.log(
            src,
            t,
            "INFO_bm_xfer_stats",
            "BITMAP",
            50,
            f"send bitmap stats [Bytes(packets)]: {stats}",
            kind="peer_device",
            peer=tgt,
        )
        t_rt = t + self.hop()
        self.log(
            tgt,
            t_rt,
            "INFO_bm_xfer_stats",
            "BITMAP",
            50,
            f"receive bitmap stats [Bytes(packets)]: {stats}",
            kind="peer_device",
            peer=src,
        )
        t_st = t_rt + 0.0002
        self.log(
            tgt,
            t_st,
            "INFO_bm_xfer_stats",
            "BITMAP",
            50,
            f"send bitmap stats [Bytes(packets)]: {stats}",
            kind="peer_device",
            peer=src,
        )
        t_rs = t_st - 0.0001 + self.hop()
        self.log(
            src,
            t_rs,
            "INFO_bm_xfer_stats",
            "BITMAP",
            50,
            f"receive bitmap stats [Bytes(packets)]: {stats}",
            kind="peer_device",
            peer=tgt,
        )
        t_done = t_rs + self.tiny()
        self.log(
            src,
            t_done,
            "receive_bitmap_finished",
            "BITMAP",
            52,
            "Send that bitmap exchange has been completed",
            kind="peer_device",
            peer=tgt,
        )
        t_got = max(t_done + self.hop(), t_st + self.tiny())
        self.log(
            tgt,
            t_got,
            "receive_bm_exchange_state",
            "BITMAP",
            44,
            "bitmap exchange complete",
            kind="peer_device",
            peer=src,
        )
        bits = kb // 4
        secs = max(1, kb // 100_000)
        t = t_done + self.tiny()
        self.log(
            src,
            t,
            "print_state_change",
            "STATE",
            21,
            "bsr_start_resync, pdsk( Outdated -> Inconsistent ) repl( WFBitMapS -> SyncSource )",
            kind="peer_device",
            peer=tgt,
        )
        self.log(
            src,
            t + self.tiny(),
            "bsr_start_resync",
            "RESYNC/OV",
            144,
            f"Began resync as SyncSource (will sync {kb} KB [{bits} bits set]).",
            kind="peer_device",
            peer=tgt,
        )
        tt = t_got + self.tiny()
        self.log(
            tgt,
            tt,
            "print_state_change",
            "STATE",
            21,
            "bsr_start_resync, repl( WFBitMapT -> SyncTarget )",
            kind="peer_device",
            peer=src,
        )
        self.log(
            tgt,
            tt + self.tiny(),
            "bsr_start_resync",
            "RESYNC/OV",
            144,
            f"Began resync as SyncTarget (will sync {kb} KB [{bits} bits set]).",
            kind="peer_device",
            peer=src,
        )
        end = max(t, tt) + secs
        for x, y, role in ((tgt, src, "SyncTarget"), (src, tgt, "SyncSource")):
            te = end + self.hop()
            self.log(
                x,
                te,
                "bsr_resync_finished",
                "RESYNC/OV",
                116,
                f"Resync done (total {secs} sec; paused 0 sec; {kb // secs} K/sec), hit bit "
                "(in sync 0; marked rl 0)",
                kind="peer_device",
                peer=y,
            )
            self.log(
                x,
                te + self.tiny(),
                "print_state_change",
                "STATE",
                21,
                f"bsr_resync_finished, repl( {role} -> Established )",
                kind="peer_device",
                peer=y,
            )
        return end + 0.01

    @in_resource
    def command(self, node: str, t_s: float, name: str, number: int, done_s: float | None) -> None:
        """A bsradm/bsrsetup command: received at ``t_s``, terminated at ``done_s``."""
        for when, idx, text in (
            (t_s, 18, f"BSR_ADM_{name}:{number} command has been received. Execute the command."),
            (
                done_s,
                20,
                f"BSR_ADM_{name}:{number} command execution terminated. (pending command:0)",
            ),
        ):
            if when is not None:
                self.log(node, when, "NetlinkWorkThread", "NETLINK", idx, text)

    def up(self, node: str, t_s: float, resources: list[str] | None = None) -> float:
        """``bsradm up`` of the resources, stage by stage across them as ``up all`` does:
        new-resource, new-minor, new-peer, new-path, attach, connect. Returns the end."""
        resources = resources or self.nodes[node].resources
        t = t_s
        stages = (("NEW_RESOURCE", 7), ("NEW_MINOR", 5), ("NEW_PEER", 44), ("NEW_PATH", 45),
                  ("ATTACH", 12), ("CONNECT", 10))  # fmt: skip
        for name, number in stages:
            for res in resources:
                self.command(node, t, name, number, t + 0.003, res=res)
                if name == "ATTACH":
                    self.log_in(
                        res,
                        node,
                        t + 0.001,
                        "print_state_change",
                        "STATE",
                        20,
                        "change_disk_state, disk( Diskless -> Attaching )",
                        "device",
                    )
                    self.log_in(
                        res,
                        node,
                        t + 0.0015,
                        "print_state_change",
                        "STATE",
                        20,
                        "change_disk_state, disk( Attaching -> UpToDate )",
                        "device",
                    )
                if name == "CONNECT":
                    peer = next(n for n in self.nodes if n != node)
                    self.log_in(res, node, t + 0.001, "print_state_change", "STATE", 19,
                                "bsr_adm_connect, conn( StandAlone -> Unconnected )",
                                "connection", peer)  # fmt: skip
                t += 0.005
        return t

    def log_in(self, res: str, node: str, t_s: float, func: str, cat: str, idx: int, msg: str,
               kind: str = "none", peer: str | None = None) -> None:  # fmt: skip
        before, self.res = self.res, res
        try:
            self.log(node, t_s, func, cat, idx, msg, kind=kind, peer=peer)
        finally:
            self.res = before

    @in_resource
    def disconnect(self, a: str, b: str, t_s: float, command: str | None = "DISCONNECT") -> float:
        """``a`` disconnects from ``b``: the command, the disconnect 2PC, both sides'
        state changes and ``Connection closed``. Returns the end."""
        t = t_s + 0.001
        self.twopc(
            a,
            t,
            [b],
            change="conn(Disconnecting) repl(-) disk(-) pdsk(-) role(-) peer(-)",
            target=self.id_of(b),
        )
        t += 0.01
        self.log(a, t, "print_state_change", "STATE", 19,
                 "conn_try_disconnect, conn( Connected -> Disconnecting ) peer( Secondary -> "
                 "Unknown )", kind="connection", peer=b)  # fmt: skip
        tb = t + self.hop()
        self.log(b, tb, "print_state_change", "STATE", 19,
                 "receive_twopc, conn( Connected -> TearDown ) peer( Secondary -> Unknown )",
                 kind="connection", peer=a)  # fmt: skip
        for x, y, tx, old, new in ((a, b, t, "Disconnecting", "StandAlone"),
                                   (b, a, tb, "TearDown", "Unconnected")):  # fmt: skip
            self.log(x, tx + 0.0003, "conn_disconnect", "CONNECTION", 9, "Connection closed",
                     kind="connection", peer=y)  # fmt: skip
            self.log(
                x,
                tx + 0.0004,
                "print_state_change",
                "STATE",
                19,
                f"conn_disconnect, conn( {old} -> {new} )",
                kind="connection",
                peer=y,
            )
        end = t + 0.002
        if command:
            self.command(a, t_s, command, 11 if command == "DISCONNECT" else 27, end)
        return end

    # -- output ------------------------------------------------------------------------
    def render(self, node: str) -> list[str]:
        n = self.nodes[node]
        lines = sorted(self.lines[node], key=lambda ln: ln.true_ns)
        out: list[str] = []
        seq = 0
        cache: dict[int, str] = {}
        for ln in lines:
            seq = 1 if ln.reboot else seq + 1
            local = n.local_ns(ln.true_ns, self.origin_ns)
            secs, frac = divmod(local, NS)
            stamp = cache.get(secs)
            if stamp is None:
                stamp = (datetime(1970, 1, 1) + timedelta(seconds=secs)).strftime(
                    "%m/%d/%Y %H:%M:%S"
                )
                cache = {secs: stamp}
            out.append(
                f"{seq:08d} {stamp}.{frac // 100:07d} [{ln.func}] [{ln.cat}:{ln.idx}] "
                f"{ln.level} {ln.obj}{ln.msg}"
            )
        return out

    def write(self, directory: Path) -> dict[str, Path]:
        directory.mkdir(parents=True, exist_ok=True)
        paths = {}
        for name, node in self.nodes.items():
            eol = "\n" if node.platform == "linux" else "\r\n"
            path = directory / f"{name}.log"
            with open(path, "w", encoding="utf-8", newline="") as fh:
                for line in self.render(name):
                    fh.write(line + eol)
            paths[name] = path
        return paths

    def true_times(self, node: str) -> list[int]:
        """True time of each of the node's lines, in the order they are written."""
        return sorted(ln.true_ns for ln in self.lines[node])

    def on_reference_clock(self, reference: str, true_ns: int) -> int:
        """What a perfect alignment shows for a moment: the reference's clock reading."""
        return self.nodes[reference].local_ns(true_ns, self.origin_ns)
