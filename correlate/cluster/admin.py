"""Stage 3c, admin commands: a node's CLI-log rows tied to what the driver logged of them.

Three rules, each on provable identity, never on time proximity alone:

* **The CLI clock.** The CLI logs stamp the host's local time to the second; BSR's Linux
  driver stamps ``bsr.log`` in UTC+9 whatever the host's zone (``bsr_log.c``), Windows'
  driver the local time. Zones differ by whole quarter hours, and a ``bsrsetup``
  command's netlink receipt (``BSR_ADM_<COMMAND> command has been received``) follows its
  invocation within seconds. So the shift from the CLI clock to the driver's is the
  quarter hour that puts the most commands within [-1 s, +5 s] of a receipt of their own
  command (-1 s: the CLI stamp is cut to the second); it stands only when it wins
  outright. With no command to tie, the shift is unknown: the rows keep the driver's
  offset (the same zone assumed) and the clock says ``untied``.
* **Which receipt.** Under that shift, each ``bsrsetup`` command takes the first untaken
  receipt of its own command in that window, in order.
* **Who ran whom.** ``bsradm`` runs ``bsrsetup``/``bsrmeta`` as children: a child's
  nearest parent in its ``[ppids:...]`` is ``bsradm(PID)``, the pid of the ``bsradm``
  command it belongs to.

A command *caused* the 2PCs this node initiated, and the state changes it logged, while
the driver ran the command (between its receipt and its termination), when no other
command ran on the node then; a ``bsradm`` command caused what its children did.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from correlate.model import NetlinkCommand, NodeEvents, Ref, TwopcRecord

QUARTER_NS = 15 * 60 * 1_000_000_000
SECOND_NS = 1_000_000_000
WINDOW = (-1 * SECOND_NS, 5 * SECOND_NS)
# bsrsetup subcommands whose netlink command is not BSR_ADM_ + the name (bsrsetup.c's table)
_ALIASES = {
    "disk-options": "CHG_DISK_OPTS",
    "net-options": "CHG_NET_OPTS",
    "peer-device-options": "CHG_PEER_DEVICE_OPTS",
    "resource-options": "RESOURCE_OPTS",
    "node-options": "NODE_OPTS",
    "new-current-uuid": "NEW_C_UUID",
    "invalidate-remote": "INVAL_PEER",
    "verify": "START_OV",
    "verify-stop": "STOP_OV",
}


def netlink_name(subcommand: str) -> str:
    """``bsrsetup``'s subcommand -> the driver's netlink command name, as the events stage
    keeps it (``BSR_ADM_NEW_RESOURCE`` -> ``NEW_RESOURCE``)."""
    return _ALIASES.get(subcommand, subcommand.upper().replace("-", "_"))


@dataclass
class AdminCommand:
    node: str
    program: str
    command: str  # the command line as logged (secrets masked)
    subcommand: str
    pid: int | None
    caller: list[tuple[str, int]]
    local_ns: int | None  # the stamp as written, on the CLI's clock
    ref: Ref  # the admin row (row numbered within the node's admin rows)
    rv: int | None = None
    done: Ref | None = None
    parent: int | None = None  # index in the node's commands of the bsradm that ran it
    netlink: NetlinkCommand | None = None
    caused_tids: list[int] = field(default_factory=list)
    caused_rows: list[Ref] = field(default_factory=list)  # state-change lines
    time_ns: int | None = None  # on the reference clock, once placed on the timeline


@dataclass
class AdminClock:
    node: str
    shift_ns: int | None  # add to a CLI stamp to get the driver's clock; None: untied
    tied: int  # commands tied to their netlink receipt
    candidates: int  # bsrsetup commands that could be


def tie(
    node: str, admin: pl.DataFrame, events: NodeEvents, twopc: list[TwopcRecord]
) -> tuple[list[AdminCommand], AdminClock]:
    """The node's commands with their results, receipts, parents and effects; the CLI
    clock's shift to the driver's."""
    commands = _commands(node, admin)
    _results(commands, admin)
    _parents(commands)
    receipts = [c for c in events.netlink if c.received.local_ns is not None]
    shift, tied = _shift(commands, receipts)
    if shift is not None:
        _receipts(commands, receipts, shift)
    _effects(commands, events, twopc)
    candidates = sum(1 for c in commands if c.program == "bsrsetup")
    return commands, AdminClock(node, shift, tied, candidates)


def _commands(node: str, admin: pl.DataFrame) -> list[AdminCommand]:
    rows = admin.filter(pl.col("event") == "admin_command").select(
        "row", "file", "line", "local_time", "message", "program", "fields", "time_res_ns"
    )
    out = []
    for row, file, line, local, message, program, fields, res in rows.iter_rows():
        f = json.loads(fields) if fields else {}
        local_ns = _ns(local)
        ref = Ref(node, row, str(file), line, None, local_ns, message, res or 0)
        caller = [(c["name"], c["pid"]) for c in (f.get("caller") or [])]
        out.append(
            AdminCommand(
                node=node,
                program=str(program),
                command=f.get("command", ""),
                subcommand=f.get("subcommand", ""),
                pid=f.get("pid"),
                caller=caller,
                local_ns=local_ns,
                ref=ref,
            )
        )
    return out


def _ns(value: object) -> int | None:
    if value is None:
        return None
    return int(pl.Series([value]).cast(pl.Datetime("ns")).cast(pl.Int64)[0])


def _results(commands: list[AdminCommand], admin: pl.DataFrame) -> None:
    """A ``done, rv(N)`` line closes the last open command of its pid before it."""
    done = admin.filter(pl.col("event") == "admin_done").select(
        "row", "file", "line", "local_time", "message", "fields"
    )
    by_pid: dict[int | None, list[AdminCommand]] = {}
    for c in commands:
        by_pid.setdefault(c.pid, []).append(c)
    for row, file, line, local, message, fields in done.iter_rows():
        f = json.loads(fields) if fields else {}
        local_ns = _ns(local)
        open_ = [
            c
            for c in by_pid.get(f.get("pid"), [])
            if c.done is None and c.ref.file == str(file) and c.ref.line < line
        ]
        if open_:
            c = open_[-1]
            c.done = Ref(c.node, row, str(file), line, None, local_ns, message, SECOND_NS)
            c.rv = f.get("rv")


def _parents(commands: list[AdminCommand]) -> None:
    """A child's nearest parent ``bsradm(PID)`` names the bsradm command of that pid
    (the last one of that pid logged before it: pids are reused)."""
    for i, c in enumerate(commands):
        if not c.caller or c.caller[0][0] != "bsradm":
            continue
        ppid = c.caller[0][1]
        for j in range(i - 1, -1, -1):
            p = commands[j]
            if p.program == "bsradm" and p.pid == ppid:
                c.parent = j
                break


def _shift(commands: list[AdminCommand], receipts: list[NetlinkCommand]) -> tuple[int | None, int]:
    by_name: dict[str, list[int]] = {}
    for r in receipts:
        # A receipt without a time of its own cannot vote on the CLI clock's shift.
        if r.received.local_ns is not None:
            by_name.setdefault(r.command, []).append(r.received.local_ns)
    arrays = {k: np.asarray(v, dtype=np.int64) for k, v in by_name.items()}
    votes: dict[int, int] = {}
    for c in commands:
        if c.program != "bsrsetup" or c.local_ns is None:
            continue
        times = arrays.get(netlink_name(c.subcommand))
        if times is None:
            continue
        d = times - c.local_ns
        q = np.round(d / QUARTER_NS).astype(np.int64)
        residual = d - q * QUARTER_NS
        ok = (residual >= WINDOW[0]) & (residual <= WINDOW[1])
        for quarter in set(q[ok].tolist()):
            votes[quarter] = votes.get(quarter, 0) + 1
    if not votes:
        return None, 0
    ranked = sorted(votes.items(), key=lambda kv: -kv[1])
    if len(ranked) > 1 and ranked[1][1] == ranked[0][1]:
        return None, 0  # two zones fit as well: no shift is proven
    return ranked[0][0] * QUARTER_NS, ranked[0][1]


def _receipts(commands: list[AdminCommand], receipts: list[NetlinkCommand], shift: int) -> None:
    taken: set[int] = set()
    ordered = sorted(receipts, key=lambda r: r.received.local_ns or 0)
    for c in commands:
        if c.program != "bsrsetup" or c.local_ns is None:
            continue
        name = netlink_name(c.subcommand)
        at = c.local_ns + shift
        for r in ordered:
            if r.command != name or id(r) in taken:
                continue
            gap = (r.received.local_ns or 0) - at
            if WINDOW[0] <= gap <= WINDOW[1]:
                c.netlink = r
                taken.add(id(r))
                break


def _effects(commands: list[AdminCommand], events: NodeEvents, twopc: list[TwopcRecord]) -> None:
    others = [(r.received.local_ns, r.done.local_ns if r.done else None, r) for r in events.netlink]
    for c in commands:
        r = c.netlink
        if r is None or r.done is None:
            continue
        lo, hi = r.received.local_ns, r.done.local_ns
        if lo is None or hi is None:
            continue
        # Another command running on the node at the same time: its effects are not
        # provably this one's.
        if any(
            o is not r and a is not None and a <= hi and (b is None or b >= lo)
            for a, b, o in others
        ):
            continue
        c.caused_tids = sorted(
            t.tid
            for t in twopc
            for side in t.sides
            if side.node == c.node
            and side.role == "initiator"
            and side.prepare is not None
            and side.prepare.local_ns is not None
            and lo <= side.prepare.local_ns <= hi
        )
        c.caused_rows = [
            s.ref
            for s in events.state_changes
            if not s.failed and s.ref.local_ns is not None and lo <= s.ref.local_ns <= hi
        ]
    for c in commands:
        if c.parent is not None:
            p = commands[c.parent]
            p.caused_tids = sorted(set(p.caused_tids) | set(c.caused_tids))
            p.caused_rows = p.caused_rows + c.caused_rows


def place(
    admin: pl.DataFrame,
    shift_ns: int | None,
    driver_local_ns: np.ndarray,
    driver_offsets: np.ndarray,
    row_base: int,
) -> pl.DataFrame:
    """Rows of a log beside the driver's (CLI logs, context logs) as timeline rows:
    ``row`` after ``row_base``, ``offset_s`` that log's clock minus the reference clock
    (the driver's offset at that moment, less the log's shift to the driver's clock),
    ``time`` from it."""
    local = admin.get_column("local_time").cast(pl.Int64).to_numpy()
    shift = shift_ns or 0
    on_driver = np.where(np.isnan(local.astype(np.float64)), 0, local) + shift
    if driver_local_ns.size:
        order = np.argsort(driver_local_ns, kind="stable")
        sorted_local = driver_local_ns[order]
        at = np.clip(np.searchsorted(sorted_local, on_driver), 0, sorted_local.size - 1)
        offsets = driver_offsets[order][at]
    else:
        offsets = np.full(local.size, np.nan)
    offset_s = offsets - shift / 1e9
    frame = admin.with_columns(
        row=(pl.col("row") + row_base).cast(pl.UInt32),
        offset_s=pl.Series(offset_s, dtype=pl.Float64).fill_nan(None),
    )
    return frame.with_columns(
        time=(
            pl.col("local_time").cast(pl.Int64)
            - (pl.col("offset_s").fill_null(0.0) * 1e9).round().cast(pl.Int64)
        ).cast(pl.Datetime("ns")),
        step=pl.lit(None, pl.UInt16),
    )
