"""DRBD 9 output for the cluster simulator (:mod:`tests.simulate`): each node's log as a
Linux DRBD 9 node (or a WinDRBD node) writes it into its kernel log, in every line format
bsrcorr reads, on clocks whose truth is known.

The scenario is the simulator's: :class:`~tests.simulate.Sim` and its ``connect``,
``twopc``, ``disconnect``, ``routine`` ... put BSR lines on one true timeline (and
:func:`relayed_twopc` adds a 2PC that reaches a node only through another). Here each BSR
line becomes what DRBD logs at that moment, in the wording of DRBD 9.0.16, 9.1.6 or
9.2.11+ (``VERSIONS``, checked against the LINBIT/drbd sources of those tags); BSR-only
lines are not written (``[TWOPC:T] ...``, ``get_cluster_wide_reply``, ``send_bitmap``,
``BITMAP:52/44``, netlink lines, BSR's UUID rule lines); the simulator's routine lines
become lines of other programs (systemd, a LINSTOR satellite, another kernel
subsystem), as context; a reboot adds the kernel's boot lines.

Clocks, on the simulator's true timeline (integer ns):

* the kernel stamps a line with its monotonic clock: the uptime since the node's true
  boot (:attr:`Kernel.boot_s`, before the capture). A driver load in ``SimNode.reboots``
  is a reboot: the kernel boots :attr:`Kernel.boot_delay_s` before the driver loads, and
  the monotonic clock starts over;
* a syslog daemon (or journald) stamps a line with the node's wall clock (its
  ``SimNode`` offset, drift and steps) when it *receives* it: the kernel's moment plus a
  random delay (:attr:`Kernel.delay_s`, 0-20 ms), in order (a FIFO). After a boot the
  daemon starts :attr:`Kernel.daemon_start_s` later and then reads what the kernel
  logged before (the boot backlog);
* ``dmesg -T`` computes its stamps as the boot time (the wall clock minus the uptime when
  dmesg ran: a second after that boot's last line) plus the monotonic stamp; WinDRBD
  stamps the UTC time of the printk itself (ms) and the performance counter (100 ns);
* each stamp is truncated to its format's resolution (1 s syslog, µs RFC 3339).

:meth:`DrbdRender.clock_ns` says what a node's written clock read at a true moment (its
wall clock as written, or 1970 + the uptime for formats with the monotonic stamp only);
:meth:`DrbdRender.true_offset_s` is the difference of two nodes' clocks: what bsrcorr's
``alignment.nodes[n].main`` should hold. Every written line keeps its true moment
(:class:`Out`), so a test can check where bsrcorr put it.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .simulate import NS, Line, Sim

US = 1_000


# -- line formats ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    """One way a node's kernel log can be written; ``format`` is the line format bsrcorr
    should detect for its kernel lines (the ``format`` column)."""

    name: str
    format: str
    wall_res_ns: int | None  # the wall stamp's resolution (None: no wall stamp)
    mono: bool  # kernel lines carry the kernel's monotonic stamp
    tag: bool = True  # a ``kernel:`` program tag after the host
    caller: bool = False  # printk's caller id ``[T123]`` after the monotonic stamp
    utc: bool = False  # the wall stamp is UTC, not the node's local time
    receipt: bool = True  # stamped by a daemon on receipt (else: at the printk)


STYLES: dict[str, Style] = {
    s.name: s
    for s in (
        # rsyslog's RFC 3339 template, with the kernel's stamp and caller id (SUSE), and
        # without the kernel's stamp.
        Style("rfc3339", "rfc3339", US, mono=True, caller=True),
        Style("rfc3339-nomono", "rfc3339", US, mono=False),
        # Traditional syslog, 1 s: with and without the dmesg stamp, the tag, the caller.
        Style("syslog", "syslog", NS, mono=True),
        Style("syslog-nomono", "syslog", NS, mono=False),
        Style("syslog-notag", "syslog", NS, mono=True, tag=False),
        Style("syslog-bare", "syslog", NS, mono=False, tag=False),
        Style("syslog-caller", "syslog", NS, mono=True, caller=True),
        # journalctl's output profiles (short is the syslog format).
        Style("journal-short", "syslog", NS, mono=False),
        Style("journal-short-precise", "journal-short-precise", US, mono=False),
        Style("journal-short-iso", "journal-short-iso", NS, mono=False),
        Style("journal-short-iso-precise", "journal-short-iso-precise", US, mono=False),
        Style("journal-short-monotonic", "journal-short-monotonic", None, mono=True),
        Style("journal-json", "journal-json", US, mono=True, utc=True),
        # The kernel's ring buffer: the uptime, or dmesg -T's computed wall time.
        Style("dmesg", "dmesg", None, mono=True, caller=True, receipt=False),
        Style("dmesg-T", "dmesg-T", NS, mono=False, receipt=False),
        # A journal export: local time and the zone's abbreviation, no host.
        Style("bracket", "bracket", NS, mono=False),
        # WinDRBD's own log: date, UTC time of day (ms), performance counter.
        Style("windrbd", "windrbd", 1_000_000, mono=True, utc=True, receipt=False),
        # Lines copied without any stamp.
        Style("none", "none", None, mono=False, receipt=False),
        # The forms issue 23 added: grep's file prefix before syslog lines; talosctl
        # dmesg (the kernel's UTC wall time, ns); dmesg --time-format=iso (local time, µs,
        # the zone written); journalctl -o short-full (weekday, date, zone name).
        Style("grep", "grep+syslog", NS, mono=True),
        Style("talos", "talos+rfc3339", 1, mono=False, utc=True, receipt=False),
        Style("dmesg-iso", "dmesg-iso", US, mono=False, receipt=False),
        Style("journal-short-full", "journal-short-full", NS, mono=False),
        # journalctl -o with-unit: short-full with the unit's name in a daemon's tag.
        Style("journal-with-unit", "journal-with-unit", NS, mono=False),
        # dmesg -H / --reltime: the wall minute where it changes, else the delta from the
        # record before (the uptime's µs); the line's time is open by up to a minute.
        Style("dmesg-reltime", "dmesg-reltime", 60 * NS, mono=False, receipt=False),
        # WDRBD, BSR's predecessor on Windows: its own log, a serial, local time (ms), the
        # function and level, Windows-style object prefixes.
        Style("wdrbd", "wdrbd+bracket", 1_000_000, mono=False, receipt=False),
    )
}
# Formats of the kernel's lines alone: no user-space program writes there.
KERNEL_ONLY = {
    "dmesg",
    "dmesg-T",
    "dmesg-reltime",
    "windrbd",
    "none",
    "talos+rfc3339",
    "dmesg-iso",
    "wdrbd+bracket",
}

# The Windows drivers' own logs (WinDRBD's, WDRBD's): DRBD's lines alone, Windows-style
# object prefixes.
DRIVER_OWN = {"windrbd", "wdrbd+bracket"}


def style_of(style: Style | str) -> Style:
    return STYLES[style] if isinstance(style, str) else style


@dataclass
class Kernel:
    """A node's kernel and syslog facts (its clock is its ``SimNode``)."""

    boot_s: float = -18310.6  # true time of the boot before the capture (s, from start)
    boot_delay_s: float = 6.5  # a reboot: the kernel boots this long before the driver loads
    daemon_start_s: float = 3.2  # the syslog daemon / journald starts this long after boot
    delay_s: tuple[float, float] = (0.0, 0.02)  # kernel printk -> syslog receipt
    zone_s: int = 0  # the node's UTC offset: its clock readings are local time
    zone_name: str = "UTC"  # as the bracket format writes it


# -- DRBD's wording ---------------------------------------------------------------------------

# version string, protocol range, agreed protocol version
VERSIONS = {
    "9.0": ("9.0.16-1", "86-114", 114),
    "9.1": ("9.1.6", "110-121", 121),
    "9.2": ("9.2.11", "86-122", 122),
}
# uuid_compare() numbers -> the strategy names of 9.0.22+, rule numbers -> the rule names
# of 9.0.29+ (drbd_receiver.c); the ones the simulator produces.
STRATEGY = {
    0: "no-sync",
    2: "source-use-bitmap",
    -2: "target-use-bitmap",
    3: "source-set-bitmap",
    -3: "target-set-bitmap",
}
RULE = {
    10: "just-created-both",
    38: "reconnected",
    40: "both-off",
    50: "bitmap-peer",
    60: "history-peer",
    70: "bitmap-self",
    80: "history-self",
}
# A change's union drbd_state mask/val (role: bits 0-1, peer 2-3, conn 4-8, ...), as
# 9.0 and 9.1 print them: "(A->B mask/val)".
MASK_VAL = {
    ("role", "Primary"): (3, 1),
    ("role", "Secondary"): (3, 2),
    ("conn", "Connected"): (499, 146),
    ("conn", "Disconnecting"): (8176, 3088),
}
OPPOSITE = {"Primary": "Secondary", "Secondary": "Primary"}
# The simulator's BSR lines DRBD does not write: (category, index).
BSR_ONLY = {
    ("TWOPC", 35),
    ("TWOPC", 28),
    ("TWOPC", 36),
    ("RESYNC/OV", 33),
    ("BITMAP", 52),
    ("BITMAP", 44),
    ("RESYNC/OV", 202),
    ("RESYNC/OV", 198),
    ("RESYNC/OV", 197),
    ("NETLINK", 18),
    ("NETLINK", 20),
}
# Its routine lines: written as other programs' lines.
ROUTINE = {("STATE", 40), ("VOLUME", 98)}
# 9.2's cause of a state change (the tag drbd-9.2 passes to end_state_change), by the
# function the simulator names.
CAUSE = {
    "receive_state": "peer-state",
    "bsr_start_resync": "start-sync",
    "bsr_resync_finished": "resync-finished",
    "conn_disconnect": "disconnected",
    "receive_twopc": "remote",
    "bsr_adm_connect": "connect",
    "change_disk_state": "attach",
}
_CHANGE = re.compile(r"(\w[\w-]*)\(([^)]*)\)")
_TID = re.compile(r"[Ss]tate change (\d+)")
_STATE_CALLER = re.compile(r"^(\w+), (.*)$")

CONTEXT_LINES: list[tuple[str, str]] = [
    ("systemd[1]", "Starting Cleanup of Temporary Directories..."),
    (
        "Satellite[2187]",
        "{clock} [MainWorkerPool-1] INFO  LINSTOR/Satellite - SYSTEM - Resource '{res}' "
        "updated for node '{host}'.",
    ),
    ("kernel", "IPv6: ADDRCONF(NETDEV_CHANGE): eth1: link becomes ready"),
    ("systemd[1]", "systemd-tmpfiles-clean.service: Deactivated successfully."),
    (
        "Satellite[2187]",
        "{clock} [DeviceManager] INFO  LINSTOR/Satellite - SYSTEM - Resource '{res}' [DRBD] "
        "adjusted.",
    ),
    ("kernel", "EXT4-fs (dm-3): mounted filesystem with ordered data mode. Quota mode: none."),
]
BOOT_LINES: list[tuple[float, str]] = [
    (
        0.0,
        "Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian "
        "12.2.0-14) 12.2.0) #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1",
    ),
    (0.000001, "Command line: BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 root=/dev/mapper/vg0-root"),
    (1.52, "e1000e 0000:00:1f.6 eth1: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: None"),
    (2.71, "EXT4-fs (dm-0): mounted filesystem with ordered data mode. Quota mode: none."),
]


@dataclass
class KLine:
    """One line a node logged: a DRBD kernel line (``obj`` and ``body``: the prefix is
    written per format), another kernel subsystem's or another program's (``message``)."""

    node: str
    true_ns: int
    program: str  # "kernel", "systemd[1]", "Satellite[2187]"
    message: str = ""
    level: int = 6
    func: str = ""  # the DRBD function (WinDRBD writes it)
    thread: str = "T1"  # printk's caller id
    boot: int = 0  # index into the node's boots
    receipt_ns: int = 0  # true time the syslog daemon received it
    stamp_delay_s: float = 0.0  # a wall stamp written this much late (a test sets it)
    obj: tuple[str, str, str | None] | None = None  # DRBD: object kind, resource, peer
    body: str = ""  # DRBD: the text after the object prefix
    key: str = ""  # what it is: "prepare", "remote_commit", "context", "boot", ...
    tid: int | None = None

    @property
    def kernel(self) -> bool:
        return self.program == "kernel"

    @property
    def drbd(self) -> bool:
        return self.obj is not None


@dataclass
class Out:
    """One physical line written, with the true moment it was logged (None for journal
    markers) and what it is."""

    node: str | None
    text: str
    true_ns: int | None
    kline: KLine | None = None


@dataclass
class _D:
    """One DRBD line a simulator line becomes."""

    kind: str  # object: none, resource, connection, device, peer_device
    peer: str | None
    body: str
    key: str = ""
    tid: int | None = None
    level: int = 6


@dataclass
class _Twopc:
    initiator: str
    a_id: int
    target: int
    resource: str
    prepared_ns: int
    changes: dict[str, str]
    primary_after: int = 0  # the Primary nodes' mask once it committed


class DrbdRender:
    """A :class:`Sim`'s lines as DRBD kernel logs.

    ``version``: ``9.0`` (9.0.16: ``(A->B mask/val)`` prepares, ``Preparing remote state
    change T `` with a trailing space, numeric ``uuid_compare()=2 by rule 70``), ``9.1``
    (9.1.6: ``uuid_compare()=source-use-bitmap by rule=bitmap-self``) or ``9.2``
    (9.2.11+: ``T: A->B role( Primary )`` on both sides, the remote prepare on the
    resource, cause tags like ``[peer-state]`` after state changes). Nodes with
    ``platform="windows"`` are written with WinDRBD's prefixes in every format.
    """

    def __init__(
        self,
        sim: Sim,
        version: str = "9.1",
        kernels: dict[str, Kernel] | None = None,
        seed: int = 11,
    ) -> None:
        self.sim = sim
        self.version = version
        self.kernels = {n: (kernels or {}).get(n, Kernel()) for n in sim.nodes}
        self.rng = random.Random(seed)
        self.boots: dict[str, list[int]] = {
            name: [sim.ns(k.boot_s)] + [sim.ns(t - k.boot_delay_s) for t in n.reboots]
            for (name, n), k in zip(sim.nodes.items(), self.kernels.values(), strict=True)
        }
        self._twopc = self._scan_twopc()
        self.klines: dict[str, list[KLine]] = {name: self._node_lines(name) for name in sim.nodes}
        for name in sim.nodes:
            self._receipts(name)
        self._dmesg_bases = {name: self._dmesg_base(name) for name in sim.nodes}

    # -- clocks ------------------------------------------------------------------------------
    def boot_of(self, node: str, true_ns: int) -> int:
        """Which of the node's boots a true moment falls in."""
        boots = self.boots[node]
        return max([0, *(i for i, b in enumerate(boots) if b <= true_ns)])

    def wall_ns(self, node: str, true_ns: int) -> int:
        """The node's wall clock (its local time) at a true moment."""
        return self.sim.nodes[node].local_ns(true_ns, self.sim.origin_ns)

    def mono_ns(self, node: str, true_ns: int) -> int:
        """The kernel's monotonic clock (uptime) at a true moment."""
        return true_ns - self.boots[node][self.boot_of(node, true_ns)]

    def _dmesg_base(self, node: str) -> list[int]:
        """``dmesg -T``'s boot time per boot: the wall clock minus the uptime when dmesg
        ran (a second after that boot's last line)."""
        out = []
        for i, boot in enumerate(self.boots[node]):
            last = max((k.true_ns for k in self.klines[node] if k.boot == i), default=boot)
            ran = last + NS
            out.append(self.wall_ns(node, ran) - (ran - boot))
        return out

    def clock_ns(self, node: str, style: Style | str, true_ns: int) -> int | None:
        """What the node's written clock read at a true moment: what bsrcorr's
        ``local_time`` stands for (the wall clock as written; 1970 + the uptime with the
        monotonic stamp only). None for stamp-less lines."""
        st = style_of(style)
        if st.format == "none":
            return None
        if st.wall_res_ns is None:
            return self.mono_ns(node, true_ns)
        if st.format == "dmesg-T":
            boot = self.boot_of(node, true_ns)
            return self._dmesg_bases[node][boot] + self.mono_ns(node, true_ns)
        wall = self.wall_ns(node, true_ns)
        return wall - self.kernels[node].zone_s * NS if st.utc else wall

    def true_offset_s(
        self, node: str, style: Style | str, ref: str, ref_style: Style | str, true_ns: int
    ) -> float:
        """The node's clock minus the reference's at a true moment, each as written: the
        offset bsrcorr should find."""
        mine = self.clock_ns(node, style, true_ns)
        theirs = self.clock_ns(ref, ref_style, true_ns)
        assert mine is not None and theirs is not None, "stamp-less lines have no clock"
        return (mine - theirs) / NS

    # -- from the simulator's lines to DRBD's ----------------------------------------------
    def _scan_twopc(self) -> dict[int, _Twopc]:
        """Every 2PC's initiator, ids and changes (from the initiator's BSR lines), and
        who is Primary after each commit, in true order across the nodes."""
        found: dict[int, _Twopc] = {}
        details: dict[int, dict[str, str]] = {}
        commits: list[tuple[int, int]] = []
        for name, lines in self.sim.lines.items():
            for ln in lines:
                key = (ln.cat, ln.idx)
                if key == ("TWOPC", 34):
                    m = re.search(r"change (\d+) \((\d+)->(-?\d+) ", ln.msg)
                    assert m, ln.msg
                    tid, a_id, target = (int(g) for g in m.groups())
                    found[tid] = _Twopc(name, a_id, target, _resource(ln.obj), ln.true_ns, {})
                elif key == ("TWOPC", 35):
                    m = re.match(r"\[TWOPC:(\d+)\] \S+ (.*) flags", ln.msg)
                    assert m, ln.msg
                    details[int(m.group(1))] = {
                        k: v for k, v in _CHANGE.findall(m.group(2)) if v and v != "-"
                    }
                elif key == ("TWOPC", 39):
                    m = _TID.search(ln.msg)
                    assert m, ln.msg
                    commits.append((ln.true_ns, int(m.group(1))))
        for tid, changes in details.items():
            found[tid].changes = changes
        primary: dict[str, set[int]] = {}
        for _, tid in sorted(commits):
            t = found[tid]
            prim = primary.setdefault(t.resource, set())
            if t.changes.get("role") == "Primary":
                prim.add(t.a_id)
            elif t.changes.get("role") == "Secondary":
                prim.discard(t.a_id)
            t.primary_after = sum(1 << i for i in prim)
        return found

    def _host(self, node: str) -> str:
        n = self.sim.nodes[node]
        return n.host or n.name

    def _peer_from_obj(self, obj: str, res: str) -> str | None:
        """The peer node a simulator prefix names (a Linux host or a Windows node id)."""
        m = re.search(r"pnode-id:(-?\d+)", obj)
        if m:
            pid = int(m.group(1))
            return next((n.name for n in self.sim.nodes.values() if n.id_in(res) == pid), None)
        parts = obj.rstrip(": ").split(" ")
        if len(parts) >= 3 and not parts[-1].startswith("bsr"):
            hosts = {self._host(n): n for n in self.sim.nodes}
            return hosts.get(parts[-1])
        return None

    def prefix(
        self, node: str, kind: str, res: str, peer: str | None = None, windows: bool = False
    ) -> str:
        """DRBD's object prefix: Linux style, or WinDRBD's Windows style (object states
        in the prefix, the peer by node id)."""
        n = self.sim.nodes[node]
        minor = n.minor_of(res) if res in n.resources else n.minor
        if windows:
            pid = self.sim.nodes[peer].id_in(res) if peer else 0
            return {
                "none": "drbd: ",
                "resource": f"drbd {res}, r(Secondary), f(0x0), scf(0x0): ",
                "connection": f"drbd {res} pnode-id:{pid}, cs(Connected), prole(Secondary), "
                "cflag(0x0), scf(0x0): ",
                "device": f"drbd {res}/0 minor {minor}, ds(UpToDate), dvflag(0x0): ",
                "peer_device": f"drbd {res}/0 minor {minor} pnode-id:{pid}, pdsk(UpToDate), "
                "prpl(Established), pdvflag(0x0): ",
            }[kind]
        host = self._host(peer) if peer else ""
        return {
            "none": "drbd: ",
            "resource": f"drbd {res}: ",
            "connection": f"drbd {res} {host}: ",
            "device": f"drbd {res}/0 drbd{minor}: ",
            "peer_device": f"drbd {res}/0 drbd{minor} {host}: ",
        }[kind]

    def text(self, k: KLine, windows: bool = False) -> str:
        """A line's message: a DRBD line with its object prefix, another's as it is."""
        if k.obj is None:
            return k.message
        kind, res, peer = k.obj
        windows = windows or self.sim.nodes[k.node].platform == "windows"
        return self.prefix(k.node, kind, res, peer, windows) + k.body

    def _node_lines(self, node: str) -> list[KLine]:
        """The node's lines in the kernel's order (by true time)."""
        out: list[KLine] = []
        threads: dict[str, str] = {}
        for boot in self.boots[node][1:]:
            out.extend(
                KLine(node, boot + round(dt * NS), "kernel", text, key="boot")
                for dt, text in BOOT_LINES
            )
            up = boot + round((self.kernels[node].daemon_start_s + 0.4) * NS)
            text = f"Started LINSTOR Satellite Service on {self._host(node)}."
            out.append(KLine(node, up, "systemd[1]", text, key="boot"))
        routine = 0
        for ln in sorted(self.sim.lines[node], key=lambda x: x.true_ns):
            key = (ln.cat, ln.idx)
            if key in BSR_ONLY:
                continue
            if key in ROUTINE:
                out.append(self._context(node, ln, routine))
                routine += 1
                continue
            res = _resource(ln.obj) or self.sim.nodes[node].resources[0]
            func = ln.func.replace("bsr", "drbd")
            for sub, d in enumerate(self._drbd(node, ln)):
                # The receiver thread logs what arrives on a connection; drbdsetup or
                # the worker the rest.
                role = "receiver" if d.kind in ("connection", "peer_device") else func
                thread = threads.setdefault(role, f"T{self.rng.randrange(300, 32000)}")
                out.append(
                    KLine(
                        node,
                        ln.true_ns + sub * US,  # one line's DRBD lines: 1 µs apart
                        "kernel",
                        level=d.level,
                        func=func,
                        thread=thread,
                        obj=(d.kind, res, d.peer),
                        body=d.body,
                        key=d.key,
                        tid=d.tid,
                    )
                )
        out.sort(key=lambda k: k.true_ns)  # stable: one line's DRBD lines stay in order
        for k in out:
            k.boot = self.boot_of(node, k.true_ns)
        return out

    def _context(self, node: str, ln: Line, i: int) -> KLine:
        """A routine line of the simulator as another program's line."""
        prog, text = CONTEXT_LINES[i % len(CONTEXT_LINES)]
        res = _resource(ln.obj) or self.sim.nodes[node].resources[0]
        wall = datetime.fromtimestamp(self.wall_ns(node, ln.true_ns) / NS, UTC)
        clock = wall.strftime("%H:%M:%S.%f")[:12]
        text = text.format(clock=clock, res=res, host=self._host(node))
        return KLine(node, ln.true_ns, prog, text, key="context")

    def _drbd(self, node: str, ln: Line) -> list[_D]:
        """The DRBD lines one simulator line becomes (none for a BSR-only line)."""
        v = self.version
        key = (ln.cat, ln.idx)
        res = _resource(ln.obj)
        peer = self._peer_from_obj(ln.obj, res) if res else None
        msg = ln.msg
        m = _TID.search(msg)
        tid = int(m.group(1)) if m else None
        t = self._twopc.get(tid) if tid is not None else None
        if key == ("DRIVER", 77):
            ver, proto, _ = VERSIONS[v]
            git = hashlib.sha1(ver.encode()).hexdigest()
            built = f"build by root@{self._host(node)}, 2024-01-15 10:11:12"
            return [
                _D("none", None, f"initialized. Version: {ver} (api:2/proto:{proto})", "driver"),
                _D("none", None, f"GIT-hash: {git} {built}", "driver"),
                _D("none", None, "registered as block device major 147", "driver"),
            ]
        if key == ("TWOPC", 34):
            assert t is not None
            return [_D("resource", None, self._prepare_text(tid, t), "prepare", tid)]
        if key == ("TWOPC", 24):
            assert t is not None
            text = f"Preparing remote state change {tid}"
            if v == "9.0":  # printed without a line end: the line keeps the space
                return [_D("connection", peer, text + " ", "remote_prepare", tid)]
            if v == "9.1":
                return [_D("connection", peer, text, "remote_prepare", tid)]
            text += ": " + self._changes_text(t)
            return [_D("resource", None, text, "remote_prepare", tid)]
        if key == ("TWOPC", 37):
            assert t is not None
            weak = ~self._members_mask(t.resource) & (2**64 - 1)
            text = f"State change {tid}: primary_nodes={t.primary_after:X}, weak_nodes={weak:X}"
            return [_D("resource", None, text, "settled", tid)]
        if key == ("TWOPC", 49):
            tid = self._last_tid(node, ln.true_ns)
            return [_D("resource", None, f"Two-phase commit {tid} timeout", "timeout", tid, 3)]
        if key in (("TWOPC", 39), ("TWOPC", 40)):
            assert t is not None
            ms = re.search(r"\((\d+)ms\)", msg)
            assert ms, msg
            if key == ("TWOPC", 40):
                text = f"Aborting cluster-wide state change {tid} ({ms.group(1)}ms) rv = -10"
                return [_D("resource", None, text, "abort", tid)]
            text = f"Committing cluster-wide state change {tid} ({ms.group(1)}ms)"
            return [_D("resource", None, text, "commit", tid), *self._after_commit(t, None)]
        if key == ("TWOPC", 27):
            assert t is not None
            text = f"Committing remote state change {tid} (primary_nodes={t.primary_after:X})"
            return [
                _D("connection", peer, text, "remote_commit", tid),
                *self._after_commit(t, peer),
            ]
        if key == ("TWOPC", 26):
            return [_D("connection", peer, f"Aborting remote state change {tid}", "remote_abort")]
        if key == ("PROTOCOL", 55):
            pid = re.search(r"peer (\d+)", msg)
            assert pid, msg
            text = (
                f"Handshake to peer {pid.group(1)} successful: Agreed network protocol version "
                f"{VERSIONS[v][2]}"
            )
            # The receiver started connecting before; 9.2 names why: [connecting].
            connecting = "conn( Unconnected -> Connecting )" + (
                " [connecting]" if v == "9.2" else ""
            )
            return [
                _D("connection", peer, connecting, "state"),
                _D("connection", peer, text, "handshake"),
            ]
        if key == ("PROTOCOL", 56):
            flags = "0xf TRIM THIN_RESYNC WRITE_SAME WRITE_ZEROES."
            return [
                _D("connection", peer, f"Feature flags enabled on protocol level: {flags}"),
                _D("connection", peer, "Peer authenticated using 20 bytes HMAC"),
            ]
        if key == ("RESYNC/OV", 73):
            return [_D("peer_device", peer, "drbd_sync_handshake:", "uuid_handshake")]
        if key in (("RESYNC/OV", 65), ("RESYNC/OV", 66)):
            return [_D("peer_device", peer, msg, "uuids")]
        if key == ("RESYNC/OV", 75):
            found = re.search(r"uuid_compare\((-?\d+)\) by rule (\d+)", msg)
            assert found, msg
            result, rule = int(found.group(1)), int(found.group(2))
            if v == "9.0":
                text = f"uuid_compare()={result} by rule {rule}"
            else:
                text = f"uuid_compare()={STRATEGY[result]} by rule={RULE[rule]}"
            return [_D("peer_device", peer, text, "uuid_compare")]
        if key in (("STATE", 19), ("STATE", 20), ("STATE", 21)):
            # DRBD writes no "caller, " before the change; 9.2 a cause after it.
            caller_m = _STATE_CALLER.match(msg)
            caller, change = caller_m.groups() if caller_m else ("", msg)
            if v == "9.2" and caller in CAUSE:
                change += f" [{CAUSE[caller]}]"
            kind = {19: "connection", 20: "device", 21: "peer_device"}[ln.idx]
            return [_D(kind, peer, change, "state")]
        if key == ("BITMAP", 50):
            return [_D("peer_device", peer, msg, "bitmap_" + msg.split(" ", 1)[0])]
        if key == ("RESYNC/OV", 144):
            return [_D("peer_device", peer, msg, "resync_start")]
        if key == ("RESYNC/OV", 116):  # BSR adds ", hit bit (...)"
            return [_D("peer_device", peer, msg.split("), hit bit", 1)[0] + ")", "resync_done")]
        if key == ("CONNECTION", 9):
            return [_D("connection", peer, "Connection closed", "closed")]
        raise ValueError(f"no DRBD wording for the simulator's {ln.cat}:{ln.idx} line {msg!r}")

    def _changes_text(self, t: _Twopc) -> str:
        """9.2.11+'s ``A->B role( Primary )`` (``empty`` for no change)."""
        target = "all" if t.target == -1 else str(t.target)
        words = " ".join(f"{k}( {v} )" for k, v in t.changes.items())
        return f"{t.a_id}->{target} {words or 'empty'}"

    def _prepare_text(self, tid: int, t: _Twopc) -> str:
        if self.version == "9.2":
            return f"Preparing cluster-wide state change {tid}: {self._changes_text(t)}"
        mask = val = 0
        for k, v in t.changes.items():
            m, x = MASK_VAL.get((k, v), (0, 0))
            mask, val = mask | m, val | x
        return f"Preparing cluster-wide state change {tid} ({t.a_id}->{t.target} {mask}/{val})"

    def _members_mask(self, res: str) -> int:
        return sum(1 << n.id_in(res) for n in self.sim.nodes.values() if res in n.resources)

    def _after_commit(self, t: _Twopc, via: str | None) -> list[_D]:
        """The state changes DRBD prints as a 2PC commits (the simulator logs none): on
        the initiator (``via`` None) and on a participant it reached through ``via``."""
        initiator = via is None
        tag = ""
        if self.version == "9.2":
            role = t.changes.get("role")
            if not initiator:
                tag = " [remote]"
            elif t.changes.get("conn") == "Connected":
                tag = " [connected]"
            elif role:
                tag = f" [{role.lower()}]"
        out = []
        role = t.changes.get("role")
        if role:
            old = OPPOSITE.get(role, "Unknown")
            if initiator:
                out.append(_D("resource", None, f"role( {old} -> {role} ){tag}", "state"))
            elif via == t.initiator:  # relayed: no connection to the initiator here
                out.append(_D("connection", via, f"peer( {old} -> {role} ){tag}", "state"))
        if t.changes.get("conn") == "Connected":
            other = t.initiator
            if initiator:
                ids = {n.id_in(t.resource): n.name for n in self.sim.nodes.values()}
                other = ids[t.target]
            text = f"conn( Connecting -> Connected ) peer( Unknown -> Secondary ){tag}"
            out.append(_D("connection", other, text, "state"))
        return out

    def _last_tid(self, node: str, true_ns: int) -> int | None:
        """The node's newest 2PC by then (BSR's timeout line names none)."""
        mine = [(t.prepared_ns, tid) for tid, t in self._twopc.items() if t.initiator == node]
        before = [x for x in mine if x[0] <= true_ns]
        return max(before)[1] if before else None

    def _receipts(self, node: str) -> None:
        """When the node's syslog daemon received each line: a random delay, in order,
        and after a boot nothing before the daemon started."""
        k = self.kernels[node]
        last = -(2**62)
        for ln in self.klines[node]:
            got = ln.true_ns + round(self.rng.uniform(*k.delay_s) * NS)
            if ln.boot:
                got = max(got, self.boots[node][ln.boot] + round(k.daemon_start_s * NS))
            ln.receipt_ns = last = max(got, last)

    def find(self, node: str, pred: Callable[[KLine], bool]) -> list[KLine]:
        """The node's lines ``pred`` picks (to set ``stamp_delay_s`` on one)."""
        return [k for k in self.klines[node] if pred(k)]

    # -- output -----------------------------------------------------------------------------
    def render(self, node: str, style: Style | str, central: bool = False) -> list[Out]:
        """The node's log in one style, one :class:`Out` per physical line (``central``:
        without journalctl's header, for a file of several hosts)."""
        st = style_of(style)
        lines = self.klines[node]
        if st.format in DRIVER_OWN:
            lines = [k for k in lines if k.drbd]
        elif st.format in KERNEL_ONLY:
            lines = [k for k in lines if k.kernel]
        key = (lambda k: k.receipt_ns) if st.receipt else (lambda k: k.true_ns)
        order = sorted(lines, key=key)
        out: list[Out] = []
        journal = st.name.startswith("journal-short")
        boot_ids = [hashlib.md5(f"{node} {i}".encode()).hexdigest() for i in range(8)]
        if journal and not central and order:
            first = self._jtime(node, order[0].receipt_ns)
            last = self._jtime(node, order[-1].receipt_ns)
            out.append(Out(None, f"-- Journal begins at {first}, ends at {last}. --", None))
        boot = order[0].boot if order else 0
        serial = 0
        # dmesg --reltime writes each record's stamp against the one before it.
        last: tuple[int, str, int] | None = None  # boot, minute, uptime of the last record
        for k in order:
            if journal and k.boot != boot:
                out.append(Out(None, f"-- Boot {boot_ids[k.boot]} --", None))
            boot = k.boot
            serial = 1 if (k.key == "driver" and k.body.startswith("initialized")) else serial + 1
            if st.format == "wdrbd+bracket" and serial == 1:
                # WDRBD's first record after a load reads its registry settings: one
                # message holding a newline, an entry on two lines (the second bare).
                reg = KLine(node, k.true_ns, "kernel", _WDRBD_REGISTRY, func="initRegistry")
                reg.boot, reg.receipt_ns = k.boot, k.receipt_ns
                head, rest = self._line(node, st, reg, serial, boot_ids).split("\n", 1)
                out += [Out(node, head, k.true_ns, reg), Out(node, rest, k.true_ns, reg)]
                serial += 1
            if st.format == "dmesg-reltime":
                text, last = self._reltime_line(node, k, last)
            else:
                text = self._line(node, st, k, serial, boot_ids)
            out.append(Out(node, text, k.true_ns, k))
        return out

    def _reltime_line(
        self, node: str, k: KLine, last: tuple[int, str, int] | None
    ) -> tuple[str, tuple[int, str, int]]:
        """util-linux's ``dmesg --reltime``: ``[Mar 3 15:04]`` (``%b%e %H:%M``) when the
        record's wall minute (boot time plus uptime) is not the last record's, else
        ``[  +0.000590]`` (11 wide, as util-linux pads it), the uptime since the last
        record."""
        mono = self.mono_ns(node, k.true_ns)
        t = _naive(self._dmesg_bases[node][k.boot] + mono)
        minute = f"{t:%b}{t.day:2d} {t:%H:%M}"
        msg = self.text(k)
        if last is None or last[0] != k.boot or last[1] != minute:
            return f"[{minute}] {msg}", (k.boot, minute, mono)
        delta_us = (mono - last[2]) // US
        rel = f"+{delta_us // 1_000_000}.{delta_us % 1_000_000:06d}"
        return f"[{rel:>11}] {msg}", (k.boot, minute, mono)

    def _jtime(self, node: str, true_ns: int) -> str:
        wall = _naive(self.wall_ns(node, true_ns) - self.kernels[node].zone_s * NS)
        return wall.strftime("%a %Y-%m-%d %H:%M:%S UTC")

    def _line(self, node: str, st: Style, k: KLine, serial: int, boot_ids: list[str]) -> str:
        host = self._host(node)
        zone_s = self.kernels[node].zone_s
        mono = self.mono_ns(node, k.true_ns)
        stamp = _mono(mono)
        if st.caller and k.kernel:
            stamp += f"[{k.thread:>6}]"
        at = k.receipt_ns if st.receipt else k.true_ns
        wall = self.wall_ns(node, at + round(k.stamp_delay_s * NS))
        msg = self.text(k, windows=st.format in DRIVER_OWN)
        kmsg = f"{stamp} {msg}" if st.mono and k.kernel else msg
        prog = k.program
        t = _naive(wall)
        if st.format == "journal-json":
            rec = {
                "__CURSOR": f"s={boot_ids[0]};i={serial:x}",
                "__REALTIME_TIMESTAMP": str((wall - zone_s * NS) // US),
                "__MONOTONIC_TIMESTAMP": str(self.mono_ns(node, k.receipt_ns) // US),
                "_BOOT_ID": boot_ids[k.boot],
                "PRIORITY": str(k.level),
                "_HOSTNAME": host,
                "SYSLOG_IDENTIFIER": prog.split("[")[0],
                "MESSAGE": msg,
            }
            if k.kernel:
                rec |= {
                    "_TRANSPORT": "kernel",
                    "SYSLOG_FACILITY": "0",
                    "_SOURCE_MONOTONIC_TIMESTAMP": str(mono // US),
                }
            else:
                rec |= {"_TRANSPORT": "syslog", "_PID": prog.split("[")[1].rstrip("]")}
            return json.dumps(rec, separators=(",", ":"))
        if st.format == "none":
            return msg
        if st.format == "dmesg":
            return kmsg
        if st.format == "dmesg-T":
            t = _naive(self._dmesg_bases[node][k.boot] + mono)
            return f"[{t:%a %b} {t.day:2d} {t:%H:%M:%S %Y}] {msg}"
        if st.format == "windrbd":
            utc = _naive(wall - zone_s * NS)
            return (
                f"<{k.level}> {utc:%d.%m.%Y} U{utc:%H:%M:%S}.{utc.microsecond // 1000:03d} "
                f"({mono // 100}/10000000)|{int(k.thread[1:]):08x}({_comm(k)}) "
                f"#{serial} {k.func or 'printk'} <{k.level}>{msg}"
            )
        if st.format == "wdrbd+bracket":
            word = _WDRBD_LEVELS.get(k.level, "INFO")
            return (
                f"{serial:08d} {t:%m/%d/%Y %H:%M:%S}.{t.microsecond // 1000:03d} "
                f"[{k.func or 'printk'}] WDRBD_{word}<{k.level}>{msg}"
            )
        if st.format == "journal-short-monotonic":
            # journald's monotonic time: the kernel's own stamp for kernel lines.
            m = self.mono_ns(node, k.true_ns if k.kernel else k.receipt_ns)
            return f"{_mono(m)} {host} {prog}: {msg}"
        if st.format == "bracket":
            return f"[{t:%Y/%m/%d %H:%M:%S} {self.kernels[node].zone_name}] {prog}: {msg}"
        if st.format == "talos+rfc3339":
            utc = wall - zone_s * NS
            u = _naive(utc)
            return f"{host}: kern: info: [{u:%Y-%m-%dT%H:%M:%S}.{utc % NS:09d}Z]: {msg}"
        if st.format == "dmesg-iso":
            return f"{t:%Y-%m-%dT%H:%M:%S},{t.microsecond:06d}{_zone(zone_s, True)} {msg}"
        if st.format in ("journal-short-full", "journal-with-unit"):
            zone = self.kernels[node].zone_name
            if st.format == "journal-with-unit" and not k.kernel:
                prog = _unit(prog)
            return f"{t:%a %Y-%m-%d %H:%M:%S} {zone} {host} {prog}: {msg}"
        if st.format == "grep+syslog":
            when = f"{t:%b} {t.day:2d} {t:%H:%M:%S}"
            return f"kern.log:{when} {host} {prog}: {kmsg}"
        if st.format == "rfc3339":
            iso = f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond:06d}{_zone(zone_s, True)}"
            return f"{iso} {host} {prog}: {kmsg}"
        if st.format.startswith("journal-short-iso"):
            frac = f".{t.microsecond:06d}" if st.format.endswith("precise") else ""
            return f"{t:%Y-%m-%dT%H:%M:%S}{frac}{_zone(zone_s, False)} {host} {prog}: {msg}"
        if st.name == "journal-short-precise":
            return f"{t:%b %d %H:%M:%S}.{t.microsecond:06d} {host} {prog}: {msg}"
        if st.name == "journal-short":
            return f"{t:%b %d %H:%M:%S} {host} {prog}: {msg}"
        # rsyslog's traditional format: "Mar  2 10:00:05", a space-padded day.
        when = f"{t:%b} {t.day:2d} {t:%H:%M:%S}"
        if k.kernel and not st.tag:
            # No tag: the kernel's text follows the host (a space before its stamp).
            return f"{when} {host}  {kmsg}" if st.mono else f"{when} {host} {kmsg}"
        return f"{when} {host} {prog}: {kmsg}"

    def write(
        self, directory: Path, styles: dict[str, Style | str] | Style | str
    ) -> tuple[dict[str, Path], dict[tuple[str, int], Out]]:
        """Each node's log in its style, ``directory/<node>.log``. Returns the paths and
        every written line by (path, line number)."""
        directory.mkdir(parents=True, exist_ok=True)
        paths: dict[str, Path] = {}
        written: dict[tuple[str, int], Out] = {}
        for name in self.sim.nodes:
            st = style_of(styles[name] if isinstance(styles, dict) else styles)
            path = directory / f"{name}.log"
            outs = self.render(name, st)
            eol = "\r\n" if st.format == "windrbd" else "\n"
            path.write_text("".join(o.text + eol for o in outs), encoding="utf-8")
            self._touch(path, name, outs)
            paths[name] = path
            written.update({(str(path), i): o for i, o in enumerate(outs, 1)})
        return paths, written

    def write_central(
        self, path: Path, style: Style | str, net_s: tuple[float, float] = (0.0005, 0.005)
    ) -> dict[tuple[str, int], Out]:
        """Every node's lines in one file, as a central syslog server receives them: each
        line with its own host's stamp, in order of arrival (a random network delay
        after the host's own daemon received it)."""
        arrivals: list[tuple[int, int, Out]] = []
        for i, name in enumerate(self.sim.nodes):
            last = -(2**62)
            for o in self.render(name, style, central=True):
                assert o.kline is not None
                last = max(o.kline.receipt_ns + round(self.rng.uniform(*net_s) * NS), last)
                arrivals.append((last, i, o))
        arrivals.sort(key=lambda a: (a[0], a[1]))
        outs = [o for _, _, o in arrivals]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(o.text + "\n" for o in outs), encoding="utf-8")
        self._touch(path, next(iter(self.sim.nodes)), outs)
        return {(str(path), i): o for i, o in enumerate(outs, 1)}

    def _touch(self, path: Path, node: str, outs: list[Out]) -> None:
        """The file was last written when its last line came in (syslog stamps without
        a year take the year from there)."""
        last = max((o.kline.receipt_ns for o in outs if o.kline is not None), default=None)
        if last is not None:
            when = self.wall_ns(node, last) / NS
            os.utime(path, (when, when))


def _comm(k: KLine) -> str:
    """The Windows thread's name WinDRBD writes: DRBD's receiver or worker thread."""
    kind, res, _ = k.obj or ("none", "r0", None)
    return f"drbd_{'r' if kind in ('connection', 'peer_device') else 'w'}_{res}"


# WDRBD's registry record at a driver load (as mantechnology/wdrbd#10 shows it): its
# message holds a newline, so the entry is written on two lines.
_WDRBD_REGISTRY = (
    "[0xFFFFFA8018B46B50] registry_path[\\Registry\\Machine\\System\\CurrentControlSet"
    "\\Services\\drbd]\nbypass_level=0, read_filter=0, use_volume_lock=1, "
    "netlink_tcp_port=5678, daemon_tcp_port=5679, ver=va.9"
)
# WDRBD's level words (its WDRBD_INFO, WDRBD_ERRO, ... before the <n>).
_WDRBD_LEVELS = {2: "CRIT", 3: "ERRO", 4: "WARN", 5: "NOTI", 6: "INFO", 7: "TRAC"}


def _unit(program: str) -> str:
    """journalctl -o with-unit's tag for a daemon's line: its unit, with the pid
    (``systemd[1]`` -> ``init.scope[1]``, ``Satellite[2187]`` ->
    ``linstor-satellite.service[2187]``)."""
    name, _, pid = program.partition("[")
    unit = {"systemd": "init.scope", "Satellite": "linstor-satellite.service"}.get(
        name, f"{name.lower()}.service"
    )
    return f"{unit}[{pid}" if pid else unit


def _resource(obj: str) -> str:
    """The resource a simulator prefix names ('' for the thread-only prefix)."""
    m = re.match(r"bsr (\S+?)(?:/\d+)?[ ,:]", obj)
    return m.group(1) if m else ""


def _naive(ns: int) -> datetime:
    """ns since 1970 as a naive datetime: the digits a stamp shows, whatever its zone."""
    return datetime.fromtimestamp(ns // US / 1e6, UTC).replace(tzinfo=None)


def _mono(ns: int) -> str:
    """The kernel's ``[ 4134.370000]``."""
    sec, frac = divmod(ns, NS)
    return f"[{sec:5d}.{frac // US:06d}]"


def _zone(seconds: int, colon: bool) -> str:
    sign = "+" if seconds >= 0 else "-"
    h, m = divmod(abs(seconds) // 60, 60)
    return f"{sign}{h:02d}:{m:02d}" if colon else f"{sign}{h:02d}{m:02d}"


# -- a scenario the simulator has no method for --------------------------------------------


def relayed_twopc(
    sim: Sim,
    initiator: str,
    relay: str,
    far: str,
    t_s: float,
    change: str = "conn(-) repl(-) disk(-) pdsk(-) role(Primary) peer(-)",
    res: str | None = None,
) -> int:
    """A 2PC from ``initiator`` to every node that reaches ``far`` only through
    ``relay`` (no connection between the two ends): ``relay`` passes the prepare and the
    commit on and answers for both once ``far``'s reply is in. Written as the simulator's
    BSR lines (the renderer words them). Returns the transaction id."""
    before = sim.res
    sim.res = res or before
    try:
        tid = sim.rng.randrange(1, 2**32)
        a_id = sim.id_of(initiator)
        sim.tids.append((tid, initiator))

        def log(node: str, t: float, idx: int, msg: str, peer: str | None = None) -> None:
            init = node == initiator
            func = "change_cluster_wide_state" if init else "receive_twopc"
            kind = "connection" if peer else "resource"
            sim.log(node, t, func, "TWOPC", idx, msg, kind=kind, peer=peer)

        t = t_s
        log(initiator, t, 34, f"Preparing cluster-wide state change {tid} ({a_id}->-1 496/16)")
        t += sim.tiny()
        log(initiator, t, 35, f"[TWOPC:{tid}] target_node_id(-1) {change} flags (8)")
        prepare = f"Preparing remote state change {tid} (primary_nodes=0, weak_nodes=0)"
        t_relay = t + sim.hop()
        log(relay, t_relay, 24, prepare, peer=initiator)
        t_far = t_relay + sim.tiny() + sim.hop()
        log(far, t_far, 24, prepare, peer=relay)
        far_reply_in = t_far + sim.tiny() + sim.hop()
        t = max(t_relay + sim.tiny(), far_reply_in) + sim.tiny() + sim.hop()
        log(initiator, t, 36, f"[TWOPC:{tid}] target_node_id(-1) get_cluster_wide_reply (3)")
        t += sim.tiny()
        log(initiator, t, 37, f"State change {tid}: primary_nodes=0, weak_nodes=0")
        t += sim.tiny()
        ms = max(1, round((t - t_s) * 1000))
        log(initiator, t, 39, f"Committing cluster-wide state change {tid} ({ms}ms) ({a_id}->-1)")
        commit = f"Committing remote state change {tid}"
        t_relay = t + sim.hop()
        log(relay, t_relay, 27, commit, peer=initiator)
        log(far, t_relay + sim.tiny() + sim.hop(), 27, commit, peer=relay)
        return tid
    finally:
        sim.res = before
