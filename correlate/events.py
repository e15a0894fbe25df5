"""Stage 2, events: a node's entries -> typed protocol events and the records built on them.

Columnar first: the entries frame is joined with the catalog on ``(category, index)``,
the message text is checked (and, for keys a BSR version renumbered, matched by text
alone within the category), and each kind's fields are cut with one regular expression
over its own rows. Only then does Python walk the matched rows, a few thousand at most,
to pair and group them.

Adds to the entries frame:

* ``event`` str: the event kind (see :mod:`correlate.catalog`), ``unparsed``, or empty;
* ``fields`` str: the event's structured fields as JSON (empty for other rows).

Records per node (:class:`NodeEvents`): state changes (one per ``what( A -> B )``),
netlink commands (received/terminated pairs; terminated status polls, ``GET_*``, are a
frame of their own, ``polls``, paired columnar), two-phase-commit sides, connection
handshakes, UUID decisions, bitmap transfers, resync and verify sessions, landmarks, and
the node's identity. Times here are the node's own clock (integer ns); matching the
nodes to one another is :mod:`correlate.protocol`'s job.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from .catalog import KINDS, STATE_FIELDS, STATUS_POLL_PREFIX, uuid_meaning
from .parse import NodeParse

_CHANGE = re.compile(
    r"(" + "|".join(re.escape(f) for f in STATE_FIELDS) + r")\( ?(.*?) -> (.*?) ?\)"
)
_TWOPC_CHANGE = re.compile(r"(\w[\w-]*)\(([^)]*)\)")
INT_FIELDS = {
    "tid",
    "initiator",
    "target",
    "mask",
    "val",
    "ms",
    "rv",
    "number",
    "pending",
    "peer",
    "protocol",
    "bits",
    "rule",
    "result",
    "kb",
    "total_s",
    "paused_s",
    "rate_kps",
    "plain_bytes",
    "plain_packets",
    "rle_bytes",
    "rle_packets",
    "total",
    "other",
    "max_size_kb",
    "error",
    "bitmap_index",
    "start_sector",
    "blocks",
    "block_kb",
    "api",
    "other_peer",
    "flags_dec",
}
UP_COMMANDS = ("NEW_RESOURCE", "NEW_MINOR", "NEW_PEER", "NEW_PATH", "ATTACH", "CONNECT")
SYNC_STATES = {"SyncSource", "SyncTarget", "PausedSyncS", "PausedSyncT"}
VERIFY_STATES = {"VerifyS", "VerifyT"}
LOSS_CONN_STATES = {
    "NetworkFailure",
    "BrokenPipe",
    "Timeout",
    "ProtocolError",
    "TearDown",
    "Disconnecting",
    "Unconnected",
    "StandAlone",
    "Connecting",
}


# -- records ---------------------------------------------------------------------------


@dataclass
class Ref:
    """One log line: where it is and when the node said it happened."""

    node: str
    row: int
    file: str
    line: int
    seq: int | None
    local_ns: int | None
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"node": self.node, "file": self.file, "line": self.line, "seq": self.seq}


@dataclass
class StateChange:
    ref: Ref
    object: str
    resource: str | None
    volume: int | None
    peer: int | None
    caller: str
    failed: bool
    what: str
    old: str
    new: str


@dataclass
class NetlinkCommand:
    node: str
    command: str
    number: int
    received: Ref
    done: Ref | None = None
    pending: int | None = None
    thread: str | None = None

    @property
    def duration_ms(self) -> float | None:
        if self.done is None or self.done.local_ns is None or self.received.local_ns is None:
            return None
        return (self.done.local_ns - self.received.local_ns) / 1e6


@dataclass
class TwopcSide:
    """What one node logged of one two-phase commit (as initiator or participant)."""

    node: str
    tid: int
    role: str  # "initiator" or "participant"
    prepare: Ref | None = None
    detail: Ref | None = None
    reply: Ref | None = None
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
    yielded: Ref | None = None
    primary_nodes: str | None = None
    weak_nodes: str | None = None
    peer: int | None = None  # participant: the connection's peer id (the initiator)

    @property
    def finished(self) -> bool:
        return self.commit is not None or self.abort is not None or self.rejected is not None


@dataclass
class Handshake:
    ref: Ref
    resource: str | None
    peer_id: int
    protocol: int
    peer_name: str | None
    peer_host: str | None
    features: str | None = None
    features_ref: Ref | None = None


@dataclass
class UuidDecision:
    node: str
    resource: str | None
    volume: int | None
    peer: int | None
    start: Ref
    self_uuids: dict[str, Any] = field(default_factory=dict)
    peer_uuids: dict[str, Any] = field(default_factory=dict)
    rule_ref: Ref | None = None
    rule_text: str | None = None
    compare: Ref | None = None
    rule: int | None = None
    result: int | None = None

    @property
    def meaning(self) -> str:
        return uuid_meaning(self.result)


@dataclass
class BitmapStat:
    ref: Ref
    resource: str | None
    volume: int | None
    peer: int | None
    direction: str
    plain_bytes: int
    plain_packets: int
    rle_bytes: int
    rle_packets: int
    total: int
    compression: str


@dataclass
class BitmapExchange:
    """One node's side of a bitmap exchange with one peer (source sends first)."""

    node: str
    resource: str | None
    volume: int | None
    peer: int | None
    role: str | None = None  # "source" (WFBitMapS) or "target" (WFBitMapT)
    send_start: Ref | None = None
    sent: BitmapStat | None = None
    received: BitmapStat | None = None
    done_sent: Ref | None = None
    done_received: Ref | None = None


@dataclass
class ResyncSide:
    node: str
    resource: str | None
    volume: int | None
    peer: int | None
    kind: str  # "resync" or "verify"
    role: str  # SyncSource, SyncTarget, VerifyS, VerifyT
    start: Ref
    kb: int | None = None
    bits: int | None = None
    end: Ref | None = None
    outcome: str = "running"  # done, running (at end of log), broken
    end_reason: str | None = None
    total_s: int | None = None
    paused_s: int | None = None
    rate_kps: int | None = None
    decision: UuidDecision | None = None


@dataclass
class Landmark:
    kind: str
    ref: Ref
    detail: dict[str, Any] = field(default_factory=dict)
    end: Ref | None = None


@dataclass
class NodeIdentity:
    name: str
    node_id: int | None = None
    node_id_from: str | None = None
    peer_ids: list[int] = field(default_factory=list)
    hosts: dict[int, str] = field(default_factory=dict)  # peer id -> host name
    host: str | None = None
    platform: str | None = None
    version: str | None = None
    resources: list[str] = field(default_factory=list)
    volumes: list[dict[str, Any]] = field(default_factory=list)
    epochs: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "node_id": self.node_id,
            "node_id_from": self.node_id_from,
            "host": self.host,
            "platform": self.platform,
            "version": self.version,
            "peer_ids": self.peer_ids,
            "peer_hosts": {str(k): v for k, v in sorted(self.hosts.items())},
            "resources": self.resources,
            "volumes": self.volumes,
        }


@dataclass
class NodeEvents:
    name: str
    identity: NodeIdentity
    events: pl.DataFrame  # one row per protocol line: row, file, line, kind, family, ...
    state_changes: list[StateChange] = field(default_factory=list)
    netlink: list[NetlinkCommand] = field(default_factory=list)
    twopc: dict[int, list[TwopcSide]] = field(default_factory=dict)
    handshakes: list[Handshake] = field(default_factory=list)
    decisions: list[UuidDecision] = field(default_factory=list)
    bitmaps: list[BitmapExchange] = field(default_factory=list)
    resyncs: list[ResyncSide] = field(default_factory=list)
    landmarks: list[Landmark] = field(default_factory=list)
    connection_losses: list[Ref] = field(default_factory=list)
    # Terminated status polls, one row each (POLL_COLUMNS): counted, not listed.
    polls: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=POLL_COLUMNS))


# -- columnar matching -----------------------------------------------------------------


def _anchored(pattern: str) -> str:
    return pattern if pattern.startswith(".*") else "^(?:" + pattern + ")"


def _unnamed(pattern: str) -> str:
    """The pattern with its named groups made plain, to sit in an alternation."""
    return re.sub(r"\(\?P<\w+>", "(?:", pattern)


def _key_table() -> pl.DataFrame:
    rows = [
        {"category": k.category, "index": i, "kind": k.name, "_k": n}
        for n, k in enumerate(KINDS)
        for i in k.indices
    ]
    return pl.DataFrame(
        rows, schema={"category": pl.String, "index": pl.Int32, "kind": pl.String, "_k": pl.Int32}
    )


def classify(frame: pl.DataFrame) -> pl.DataFrame:
    """Protocol rows of a node: ``row`` and ``_k`` (the catalog entry that matched).

    Keyed by (category, index), confirmed by text; rows of a catalog category whose key
    is unknown or whose text disagrees are matched by text alone, within the category.
    """
    categories = sorted({k.category for k in KINDS})
    candidates = frame.filter(pl.col("event").eq("") & pl.col("category").is_in(categories)).select(
        "row", "category", "index", "message"
    )
    if candidates.height == 0:
        return pl.DataFrame(schema={"row": pl.UInt32, "_k": pl.Int32})
    keyed = candidates.join(_key_table(), on=["category", "index"], how="inner")
    confirmed = []
    for (k,), part in keyed.partition_by("_k", as_dict=True).items():
        ok = part.filter(pl.col("message").str.contains(_anchored(KINDS[k].pattern)))
        confirmed.append(ok.select("row", "_k"))
    matched = (
        pl.concat(confirmed).unique("row", keep="first")
        if confirmed
        else pl.DataFrame(schema={"row": pl.UInt32, "_k": pl.Int32})
    )
    rest = candidates.join(matched, on="row", how="anti")
    by_text = []
    for category in categories:
        members = [n for n, k in enumerate(KINDS) if k.category == category]
        part = rest.filter(pl.col("category") == category)
        if part.height == 0:
            continue
        alternation = "|".join(
            f"(?P<k{n}>{_anchored(_unnamed(KINDS[n].pattern))})" for n in members
        )
        groups = part.select("row", g=pl.col("message").str.extract_groups(alternation))
        which = pl.coalesce(
            [
                pl.when(pl.col("g").struct.field(f"k{n}").is_not_null()).then(pl.lit(n, pl.Int32))
                for n in members
            ]
        )
        by_text.append(groups.select("row", _k=which).filter(pl.col("_k").is_not_null()))
    return pl.concat([matched, *by_text]).sort("row")


def _typed(value: str | None, name: str) -> Any:
    if value is None or value == "":
        return None
    if name in INT_FIELDS:
        try:
            return int(value)
        except ValueError:
            return value
    return value


def _fields_frame(part: pl.DataFrame, kind_regex: str) -> pl.DataFrame:
    """The kind's named groups as string columns, in name order (JSON's key order)."""
    groups = (
        part.select(pl.col("message").str.extract_groups(_anchored(kind_regex)))
        .to_series()
        .struct.unnest()
    )
    return groups.select(sorted(c for c in groups.columns if not c.isdigit()))


def _fields_json_expr(names: list[str]) -> pl.Expr:
    """Compact JSON of the named fields, as ``json.dumps(sort_keys=True)`` would write the
    typed dict: integers as numbers, empty and missing fields left out. Only ASCII digits
    make a number (``\\d`` also matches other scripts' digits: those stay text)."""
    values = []
    for name in names:
        value = pl.when(pl.col(name) != "").then(pl.col(name))
        if name in INT_FIELDS:
            # Canonical digits (int("007") is 7); the quotes go after encoding.
            value = value.str.replace(r"^(-?)0+([0-9])", "${1}${2}").str.replace(r"^-0$", "0")
        values.append(value.alias(name))
    encoded = pl.struct(values).struct.json_encode()
    ints = [n for n in names if n in INT_FIELDS]
    if ints:
        # Inside a JSON string every quote is escaped, so these patterns only ever meet
        # a key and its value.
        encoded = encoded.str.replace_all(rf'"({"|".join(ints)})":"(-?[0-9]+)"', '"${1}":${2}')
    return (
        encoded.str.replace_all(r'"[a-z0-9_]+":null,', "")
        .str.replace(r',"[a-z0-9_]+":null\}$', "}")
        .str.replace(r'^\{"[a-z0-9_]+":null\}$', "{}")
    )


NETLINK_PAIR = ("netlink_received", "netlink_done")
POLL_COLUMNS = {
    "command": pl.String,
    "number": pl.Int64,
    "thread": pl.String,
    "pending": pl.Int64,
    "received_row": pl.UInt32,
    "received_file": pl.String,
    "received_line": pl.UInt32,
    "received_seq": pl.Int64,
    "received_ns": pl.Int64,
    "done_row": pl.UInt32,
    "done_file": pl.String,
    "done_line": pl.UInt32,
    "done_seq": pl.Int64,
    "done_ns": pl.Int64,
    "duration_ms": pl.Float64,
}


def extract(node: NodeParse) -> tuple[pl.DataFrame, NodeEvents]:
    """Fill ``event`` and ``fields`` in the node's frame and build its records.

    Fields and their JSON are cut per kind over whole columns. Status polls (``GET_*``
    netlink commands, a tenth of a busy log) are paired columnar too; Python walks only
    the remaining protocol lines, in counter order.
    """
    frame = node.frame
    hits = classify(frame)
    context = frame.select(
        "row",
        "file",
        "line",
        "seq",
        "message",
        "object",
        "resource",
        "volume",
        "peer_id",
        "peer_host",
        "thread",
        local_ns=pl.col("local_time").cast(pl.Int64),
    )
    rows = hits.join(context, on="row", how="left")
    tagged: list[pl.DataFrame] = []
    walk: list[pl.DataFrame] = []
    polls: list[pl.DataFrame] = []
    for (k,), part in rows.partition_by("_k", as_dict=True, maintain_order=True).items():
        kind = KINDS[k]
        fields = _fields_frame(part, kind.regex)
        if kind.name == "state_change":
            text = [
                _state_change_json({n: _typed(v, n) for n, v in found.items()}, message)
                for found, message in zip(
                    fields.iter_rows(named=True), part["message"], strict=True
                )
            ]
            encoded = pl.Series("_json", text, dtype=pl.String)
        elif fields.width:
            encoded = fields.select(_fields_json_expr(fields.columns).alias("_json")).to_series()
        else:
            encoded = pl.Series("_json", ["{}"] * part.height, dtype=pl.String)
        part = pl.concat(
            [
                part.drop("_k").with_columns(
                    encoded,
                    kind=pl.lit(kind.name, pl.String),
                    family=pl.lit(kind.family, pl.String),
                ),
                fields.rename(lambda c: "f:" + c),
            ],
            how="horizontal",
        )
        tagged.append(part.select(*context.columns, "kind", "family", "_json"))
        if kind.name in NETLINK_PAIR:
            poll = _short_expr(pl.col("f:command")).str.starts_with(STATUS_POLL_PREFIX)
            polls.append(part.filter(poll))
            part = part.filter(~poll)
        walk.append(part.drop("_json"))
    terminated, unterminated, fallback = _pair_polls(node.name, polls)
    walk.extend(fallback)
    matched: list[dict[str, Any]] = []
    for part in walk:
        names = [c for c in part.columns if c.startswith("f:")]
        for r in part.iter_rows(named=True):
            r["fields"] = {n[2:]: _typed(r.pop(n), n[2:]) for n in names}
            matched.append(r)
    matched.sort(key=lambda m: m["row"])
    all_tagged = (
        pl.concat(tagged).sort("row")
        if tagged
        else pl.DataFrame(
            schema={
                **dict(context.schema),
                "kind": pl.String,
                "family": pl.String,
                "_json": pl.String,
            }
        )
    )
    records = _records(node.name, matched, frame)
    # Without the message: views of it would keep every message of the node alive.
    records.events = all_tagged.drop("_json", "message")
    records.identity.epochs = node.epochs
    records.polls = terminated
    if unterminated or fallback:
        _settle_polls(records, unterminated)
    filled = _fill(frame, all_tagged["row"], all_tagged["kind"], all_tagged["_json"])
    return filled, records


def _short_expr(command: pl.Expr) -> pl.Expr:
    return command.fill_null("?").str.strip_prefix("BSR_ADM_")


def _pair_polls(
    node: str, polls: list[pl.DataFrame]
) -> tuple[pl.DataFrame, list[NetlinkCommand], list[pl.DataFrame]]:
    """Status polls' received and terminated lines, paired: the k-th termination of a
    command on a thread goes with the k-th receipt there, exactly what the walk over the
    protocol lines does while every termination finds an open receipt on its own thread.

    Returns the terminated polls (one row each, :data:`POLL_COLUMNS`), the polls never
    terminated (as records, few), and the lines of any command where a termination found
    no open receipt on its thread: those are left to the walk, which looks on the other
    threads too.
    """
    empty = pl.DataFrame(schema=POLL_COLUMNS)
    if not polls:
        return empty, [], []
    lines = (
        pl.concat(polls, how="diagonal_relaxed")
        .sort("row")
        .with_columns(command=_short_expr(pl.col("f:command")))
    )
    # Only one of the two kinds may be present: its fields are then all there is.
    for name in ("f:number", "f:pending"):
        if name not in lines.columns:
            lines = lines.with_columns(pl.lit(None, pl.String).alias(name))
    received = pl.col("kind") == "netlink_received"
    on = ["thread", "command"]
    lines = lines.with_columns(
        _open=received.cast(pl.UInt32).cum_sum().over(on),
        _done=(~received).cast(pl.UInt32).cum_sum().over(on),
    )
    orphans = lines.filter(~received & (pl.col("_done") > pl.col("_open")))["command"].unique()
    fallback = lines.filter(pl.col("command").is_in(orphans.implode()))
    lines = lines.filter(~pl.col("command").is_in(orphans.implode()))

    def side(name: str) -> list[pl.Expr]:
        return [
            pl.col("row").alias(f"{name}_row"),
            pl.col("file").alias(f"{name}_file"),
            pl.col("line").alias(f"{name}_line"),
            pl.col("seq").alias(f"{name}_seq"),
            pl.col("local_ns").alias(f"{name}_ns"),
        ]

    starts = lines.filter(received).select(
        "thread",
        "command",
        pl.col("_open").alias("_k"),
        pl.col("f:number").cast(pl.Int64, strict=False).fill_null(-1).alias("number"),
        pl.col("message").alias("_message"),
        *side("received"),
    )
    ends = lines.filter(~received).select(
        "thread",
        "command",
        pl.col("_done").alias("_k"),
        pl.col("f:pending").cast(pl.Int64, strict=False).alias("pending"),
        *side("done"),
    )
    paired = starts.join(ends, on=[*on, "_k"], how="left", nulls_equal=True).sort("received_row")
    paired = paired.with_columns(
        duration_ms=(pl.col("done_ns") - pl.col("received_ns")).cast(pl.Float64) / 1e6
    )
    terminated = paired.filter(pl.col("done_row").is_not_null()).select(list(POLL_COLUMNS))
    never = [
        NetlinkCommand(
            node,
            r["command"],
            r["number"],
            poll_ref(node, r, message=r["_message"]),
            thread=r["thread"],
        )
        for r in paired.filter(pl.col("done_row").is_null()).iter_rows(named=True)
    ]
    walked = [fallback.drop("_json", "command", "_open", "_done")] if fallback.height else []
    return terminated.cast(POLL_COLUMNS), never, walked


def _settle_polls(out: NodeEvents, unterminated: list[NetlinkCommand]) -> None:
    """Terminated polls the walk paired join the poll table; polls never terminated join
    the commands (a hung status query is worth a finding), in the node's order."""
    walked = [c for c in out.netlink if is_status_poll(c)]
    if walked:
        extra = pl.DataFrame(
            [
                {
                    "command": c.command,
                    "number": c.number,
                    "thread": c.thread,
                    "pending": c.pending,
                    **_ref_columns("received", c.received),
                    **_ref_columns("done", c.done),
                    "duration_ms": c.duration_ms,
                }
                for c in walked
            ],
            schema=POLL_COLUMNS,
        )
        out.polls = pl.concat([out.polls, extra]).sort("received_row")
        out.netlink = [c for c in out.netlink if not is_status_poll(c)]
    out.netlink = sorted([*out.netlink, *unterminated], key=lambda c: c.received.row)


def _ref_columns(name: str, ref: Ref) -> dict[str, Any]:
    return {
        f"{name}_row": ref.row,
        f"{name}_file": ref.file,
        f"{name}_line": ref.line,
        f"{name}_seq": ref.seq,
        f"{name}_ns": ref.local_ns,
    }


def poll_ref(node: str, poll: dict[str, Any], name: str = "received", message: str = "") -> Ref:
    """The line of a row of :attr:`NodeEvents.polls` (``received`` or ``done``)."""
    return Ref(
        node,
        poll[f"{name}_row"],
        poll[f"{name}_file"],
        poll[f"{name}_line"],
        poll[f"{name}_seq"],
        poll[f"{name}_ns"],
        message,
    )


def is_status_poll(c: NetlinkCommand) -> bool:
    """A read-only status query (``BSR_ADM_GET_*``, as monitoring issues every few seconds)
    that terminated: one record each would bury the commands an operator typed."""
    return c.done is not None and c.command.startswith(STATUS_POLL_PREFIX)


def _state_change_json(fields: dict, message: str) -> str:
    fields = dict(fields)
    fields["failed"] = bool(fields.get("failed"))
    fields["changes"] = [{"what": w, "old": o, "new": n} for w, o, n in _CHANGE.findall(message)]
    clean = {k: v for k, v in fields.items() if v is not None}
    return json.dumps(clean, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _fill(
    frame: pl.DataFrame, rows: pl.Series, kinds: pl.Series, fields: pl.Series
) -> pl.DataFrame:
    """Write the kinds and fields at their rows (``row`` is the position in the frame)."""
    event = frame["event"].clone()
    extra = pl.Series("fields", [""], dtype=pl.String).extend_constant("", frame.height - 1)
    if len(rows):
        event.scatter(rows, kinds)
        extra.scatter(rows, fields)
    return frame.with_columns(event=event, fields=extra)


# -- records, walked in the node's own order ---------------------------------------------------


def _ref(node: str, r: dict) -> Ref:
    return Ref(node, r["row"], r["file"], r["line"], r["seq"], r["local_ns"], r["message"])


def _records(name: str, matched: list[dict[str, Any]], frame: pl.DataFrame) -> NodeEvents:
    identity = _identity(name, matched, frame)
    out = NodeEvents(name=name, identity=identity, events=pl.DataFrame())
    host_to_id = {h: i for i, h in identity.hosts.items()}
    builders = _Builders(out, host_to_id)
    for r in matched:
        builders.feed(r)
    builders.finish()
    return out


class _Builders:
    """Walks one node's events once, in counter order, feeding every record kind."""

    def __init__(self, out: NodeEvents, host_to_id: dict[str, int]) -> None:
        self.out = out
        self.node = out.name
        self.host_to_id = host_to_id
        self.open_netlink: dict[tuple[str | None, str], list[NetlinkCommand]] = defaultdict(list)
        self.twopc: dict[tuple[int, str], TwopcSide] = {}
        self.last_twopc: TwopcSide | None = None
        self.last_initiated: TwopcSide | None = None
        self.blocks: dict[tuple, UuidDecision] = {}
        self.last_decision: dict[tuple, UuidDecision] = {}
        self.exchanges: dict[tuple, BitmapExchange] = {}
        self.sessions: dict[tuple, ResyncSide] = {}
        self.last_handshake: Handshake | None = None
        self.lock: Landmark | None = None

    def peer_of(self, r: dict) -> int | None:
        if r["peer_id"] is not None:
            return r["peer_id"]
        if r["peer_host"] is not None:
            return self.host_to_id.get(r["peer_host"])
        return None

    def feed(self, r: dict) -> None:
        kind, f = r["kind"], r["fields"]
        ref = _ref(self.node, r)
        handler = getattr(self, "on_" + kind, None)
        if handler is not None:
            handler(r, f, ref)

    # state ---------------------------------------------------------------------
    def on_state_change(self, r: dict, f: dict, ref: Ref) -> None:
        peer = self.peer_of(r)
        for what, old, new in _CHANGE.findall(r["message"]):
            change = StateChange(
                ref,
                r["object"],
                r["resource"],
                r["volume"],
                peer,
                f.get("caller") or "",
                bool(f.get("failed")),
                what,
                old,
                new,
            )
            self.out.state_changes.append(change)
            if change.failed:
                continue
            if what == "repl":
                self._repl_change(r, change, ref)
            if what == "conn" and new in LOSS_CONN_STATES and old in ("Connected",):
                self.out.connection_losses.append(ref)
                self._connection_down(r, ref, f"conn( {old} -> {new} )")

    def _repl_change(self, r: dict, change: StateChange, ref: Ref) -> None:
        key = (r["resource"], r["volume"], change.peer)
        if change.new in ("WFBitMapS", "WFBitMapT"):
            ex = BitmapExchange(
                self.node,
                r["resource"],
                r["volume"],
                change.peer,
                role="source" if change.new.endswith("S") else "target",
            )
            self.exchanges[key] = ex
            self.out.bitmaps.append(ex)
        session = self.sessions.get(key)
        if change.new in SYNC_STATES | VERIFY_STATES and session is None:
            kind = "verify" if change.new in VERIFY_STATES else "resync"
            role = change.new.replace("PausedSyncS", "SyncSource").replace(
                "PausedSyncT", "SyncTarget"
            )
            self._start_session(r, ref, kind, role, None, None)
        elif session is not None and change.old in SYNC_STATES | VERIFY_STATES:
            if change.new in SYNC_STATES | VERIFY_STATES:
                return  # pause or resume
            if change.new == "Established":
                self._end_session(key, ref, "done", f"repl( {change.old} -> Established )")
            else:
                self._end_session(key, ref, "broken", f"repl( {change.old} -> {change.new} )")

    # netlink --------------------------------------------------------------------
    def on_netlink_received(self, r: dict, f: dict, ref: Ref) -> None:
        cmd = NetlinkCommand(
            self.node, _short(f.get("command")), f.get("number") or -1, ref, thread=r["thread"]
        )
        self.out.netlink.append(cmd)
        self.open_netlink[(r["thread"], cmd.command)].append(cmd)

    def on_netlink_done(self, r: dict, f: dict, ref: Ref) -> None:
        command = _short(f.get("command"))
        queue = self.open_netlink.get((r["thread"], command)) or next(
            (q for (_, c), q in self.open_netlink.items() if c == command and q), None
        )
        if queue:
            cmd = queue.pop(0)
            cmd.done = ref
            cmd.pending = f.get("pending")

    # two-phase commit -----------------------------------------------------------------
    def _side(self, tid: int, role: str, ref: Ref) -> TwopcSide:
        key = (tid, role)
        side = self.twopc.get(key)
        if side is None:
            side = TwopcSide(self.node, tid, role)
            self.twopc[key] = side
            self.out.twopc.setdefault(tid, []).append(side)
        self.last_twopc = side
        if role == "initiator":
            self.last_initiated = side
        return side

    def on_twopc_prepare(self, r: dict, f: dict, ref: Ref) -> None:
        side = self._side(f["tid"], "initiator", ref)
        side.prepare = ref
        side.initiator_id, side.target_id = f.get("initiator"), f.get("target")
        side.mask, side.val = f.get("mask"), f.get("val")
        if f.get("max_size_kb") is not None:
            side.changes["size_kb"] = str(f["max_size_kb"])

    def on_twopc_detail(self, r: dict, f: dict, ref: Ref) -> None:
        side = self._side(f["tid"], "initiator", ref)
        side.detail = ref
        side.target_id = f.get("target", side.target_id)
        side.changes.update(_twopc_changes(f.get("changes")))

    def on_twopc_reply(self, r: dict, f: dict, ref: Ref) -> None:
        side = self._side(f["tid"], "initiator", ref)
        side.reply, side.reply_rv = ref, f.get("rv")

    def on_twopc_nodes(self, r: dict, f: dict, ref: Ref) -> None:
        side = self._side(f["tid"], "initiator", ref)
        side.primary_nodes, side.weak_nodes = f.get("primary_nodes"), f.get("weak_nodes")

    def on_twopc_split(self, r: dict, f: dict, ref: Ref) -> None:
        if self.last_initiated is not None and not self.last_initiated.finished:
            self.last_initiated.split = True

    def on_twopc_commit(self, r: dict, f: dict, ref: Ref) -> None:
        side = self._side(f["tid"], "initiator", ref)
        side.commit, side.logged_ms = ref, f.get("ms")

    def on_twopc_abort(self, r: dict, f: dict, ref: Ref) -> None:
        side = self._side(f["tid"], "initiator", ref)
        side.abort, side.logged_ms, side.abort_rv = ref, f.get("ms"), f.get("rv")

    def on_twopc_retry(self, r: dict, f: dict, ref: Ref) -> None:
        if self.last_initiated is not None:
            self.last_initiated.retries += 1

    def on_twopc_remote_prepare(self, r: dict, f: dict, ref: Ref) -> None:
        side = self._side(f["tid"], "participant", ref)
        side.prepare = ref
        side.peer = self.peer_of(r)
        side.primary_nodes, side.weak_nodes = f.get("primary_nodes"), f.get("weak_nodes")
        if f.get("max_size_kb") is not None:
            side.changes["size_kb"] = str(f["max_size_kb"])

    def on_twopc_remote_detail(self, r: dict, f: dict, ref: Ref) -> None:
        # Logged after every 2PC packet (prepare, then commit or abort): the one that
        # matters for timing follows the prepare, before this node replies.
        side = self._side(f["tid"], "participant", ref)
        if side.detail is None and not side.finished:
            side.detail = ref
        side.target_id = f.get("target")
        side.changes.update(_twopc_changes(f.get("changes")))

    def on_twopc_remote_commit(self, r: dict, f: dict, ref: Ref) -> None:
        self._side(f["tid"], "participant", ref).commit = ref

    def on_twopc_remote_abort(self, r: dict, f: dict, ref: Ref) -> None:
        self._side(f["tid"], "participant", ref).abort = ref

    def on_twopc_timeout(self, r: dict, f: dict, ref: Ref) -> None:
        # The line names no transaction: it belongs to the newest one still open here.
        side = self.last_twopc
        if side is not None and (not side.finished or side.abort is not None):
            side.timeouts.append(ref)
        else:
            self.out.landmarks.append(Landmark("twopc_timeout", ref, {"tid": None}))

    def on_twopc_reject(self, r: dict, f: dict, ref: Ref) -> None:
        if f.get("tid") is None:
            return
        side = self._side(f["tid"], "participant", ref)
        side.rejected = ref
        side.peer = side.peer if side.peer is not None else self.peer_of(r)

    def on_twopc_yield(self, r: dict, f: dict, ref: Ref) -> None:
        if f.get("other") is not None:
            self._side(f["other"], "initiator", ref).yielded = ref

    # handshake and connection ---------------------------------------------------------
    def on_handshake(self, r: dict, f: dict, ref: Ref) -> None:
        hs = Handshake(
            ref, r["resource"], f["peer"], f["protocol"], f.get("peer_name"), r["peer_host"]
        )
        self.out.handshakes.append(hs)
        self.last_handshake = hs

    def on_features(self, r: dict, f: dict, ref: Ref) -> None:
        hs = self.last_handshake
        if hs is not None and hs.features is None:
            hs.features = (f.get("flags") or "") + (f.get("names") or "").rstrip(".")
            hs.features_ref = ref

    def on_connection_closed(self, r: dict, f: dict, ref: Ref) -> None:
        self.out.connection_losses.append(ref)
        self._connection_down(r, ref, "Connection closed")

    def on_connection_lost(self, r: dict, f: dict, ref: Ref) -> None:
        self.out.connection_losses.append(ref)

    def _connection_down(self, r: dict, ref: Ref, why: str) -> None:
        peer = self.peer_of(r)
        for key in list(self.sessions):
            if key[2] == peer or peer is None:
                self._end_session(key, ref, "broken", why)

    # UUIDs ------------------------------------------------------------------------
    def on_uuid_handshake(self, r: dict, f: dict, ref: Ref) -> None:
        key = (r["resource"], r["volume"], self.peer_of(r))
        d = UuidDecision(self.node, r["resource"], r["volume"], self.peer_of(r), ref)
        self.blocks[key] = d
        self.out.decisions.append(d)

    def _block(self, r: dict) -> UuidDecision | None:
        key = (r["resource"], r["volume"], self.peer_of(r))
        if key in self.blocks:
            return self.blocks[key]
        # Rule lines are logged by the device: any open block of that volume.
        for (res, vol, _), d in reversed(list(self.blocks.items())):
            if res == r["resource"] and vol == r["volume"]:
                return d
        return None

    def on_uuid_self(self, r: dict, f: dict, ref: Ref) -> None:
        if d := self._block(r):
            d.self_uuids = _uuids(f)

    def on_uuid_peer(self, r: dict, f: dict, ref: Ref) -> None:
        if d := self._block(r):
            d.peer_uuids = _uuids(f)

    def on_uuid_rule(self, r: dict, f: dict, ref: Ref) -> None:
        d = self._block(r)
        if d is not None and d.compare is None:
            d.rule_ref, d.rule_text = ref, f.get("text")
            d.rule, d.result = f.get("rule"), f.get("result")

    def on_uuid_compare(self, r: dict, f: dict, ref: Ref) -> None:
        d = self._block(r)
        if d is None:
            d = UuidDecision(self.node, r["resource"], r["volume"], self.peer_of(r), ref)
            self.out.decisions.append(d)
        d.compare, d.rule, d.result = ref, f.get("rule"), f.get("result")
        key = (r["resource"], r["volume"], d.peer)
        self.blocks.pop(key, None)
        self.last_decision[key] = d

    # bitmap -----------------------------------------------------------------------
    def _exchange(self, r: dict, peer: int | None) -> BitmapExchange:
        key = (r["resource"], r["volume"], peer)
        ex = self.exchanges.get(key)
        if ex is None:
            ex = BitmapExchange(self.node, r["resource"], r["volume"], peer)
            self.exchanges[key] = ex
            self.out.bitmaps.append(ex)
        return ex

    def on_bitmap_send_start(self, r: dict, f: dict, ref: Ref) -> None:
        # Logged by the device, no peer named: the exchange of this volume in WFBitMapS.
        candidates = [
            ex
            for (res, vol, _), ex in self.exchanges.items()
            if res == r["resource"] and vol == r["volume"] and ex.send_start is None
        ]
        if candidates:
            candidates[-1].send_start = ref

    def on_bitmap_stats(self, r: dict, f: dict, ref: Ref) -> None:
        peer = self.peer_of(r)
        stat = BitmapStat(
            ref,
            r["resource"],
            r["volume"],
            peer,
            f["direction"],
            f["plain_bytes"],
            f["plain_packets"],
            f["rle_bytes"],
            f["rle_packets"],
            f["total"],
            f["compression"],
        )
        ex = self._exchange(r, peer)
        if f["direction"] == "send":
            ex.sent = stat
        else:
            ex.received = stat

    def on_bitmap_done_sent(self, r: dict, f: dict, ref: Ref) -> None:
        self._exchange(r, self.peer_of(r)).done_sent = ref

    def on_bitmap_done_received(self, r: dict, f: dict, ref: Ref) -> None:
        self._exchange(r, self.peer_of(r)).done_received = ref

    # resync -------------------------------------------------------------------------
    def _start_session(self, r, ref, kind, role, kb, bits) -> ResyncSide:
        key = (r["resource"], r["volume"], self.peer_of(r))
        s = ResyncSide(self.node, r["resource"], r["volume"], key[2], kind, role, ref, kb, bits)
        s.decision = self.last_decision.get(key)
        self.sessions[key] = s
        self.out.resyncs.append(s)
        return s

    def _end_session(self, key, ref: Ref, outcome: str, why: str) -> ResyncSide | None:
        s = self.sessions.pop(key, None)
        if s is not None and s.end is None:
            s.end, s.outcome, s.end_reason = ref, outcome, why
        return s

    def on_resync_start(self, r: dict, f: dict, ref: Ref) -> None:
        key = (r["resource"], r["volume"], self.peer_of(r))
        s = self.sessions.get(key)
        if s is not None and s.kind == "resync" and s.kb is None:
            s.role, s.kb, s.bits = f["role"], f["kb"], f["bits"]
            return
        self._start_session(r, ref, "resync", f["role"], f["kb"], f["bits"])

    def on_verify_start(self, r: dict, f: dict, ref: Ref) -> None:
        key = (r["resource"], r["volume"], self.peer_of(r))
        s = self.sessions.get(key)
        if s is not None and s.kind == "verify" and s.kb is None:
            s.kb, s.bits = f.get("kb"), f.get("bits")
            return
        self._start_session(r, ref, "verify", f["role"], f.get("kb"), f.get("bits"))

    def on_resync_done(self, r: dict, f: dict, ref: Ref) -> None:
        key = (r["resource"], r["volume"], self.peer_of(r))
        s = self._end_session(key, ref, "done", (f.get("what") or "Resync") + " done")
        if s is None:
            # The start was before this log began: still a session, from here only.
            s = ResyncSide(
                self.node,
                r["resource"],
                r["volume"],
                key[2],
                "verify" if f.get("what") == "Online verify" else "resync",
                "unknown",
                ref,
                end=ref,
                outcome="done",
                end_reason="done",
            )
            self.out.resyncs.append(s)
        s.total_s, s.paused_s, s.rate_kps = f.get("total_s"), f.get("paused_s"), f.get("rate_kps")

    # landmarks --------------------------------------------------------------------
    def on_driver_loaded(self, r: dict, f: dict, ref: Ref) -> None:
        self.out.landmarks.append(Landmark("driver_loaded", ref, {"version": f.get("version")}))

    def on_attached(self, r: dict, f: dict, ref: Ref) -> None:
        self.out.landmarks.append(Landmark("attached", ref, {"current_uuid": f.get("current")}))

    def on_detaching(self, r: dict, f: dict, ref: Ref) -> None:
        self.out.landmarks.append(Landmark("detaching", ref, {"current_uuid": f.get("current")}))

    def on_split_brain(self, r: dict, f: dict, ref: Ref) -> None:
        self.out.landmarks.append(Landmark("split_brain", ref, {"message": r["message"]}))

    def on_volume_lock(self, r: dict, f: dict, ref: Ref) -> None:
        self.lock = Landmark("volume_lock", ref, {"volume": f.get("volume_name")})
        self.out.landmarks.append(self.lock)

    def on_volume_unlocked(self, r: dict, f: dict, ref: Ref) -> None:
        if self.lock is not None and self.lock.end is None:
            self.lock.end = ref
            self.lock = None

    def finish(self) -> None:
        # Status polls are no part of an up or a down (monitoring runs beside them).
        typed = [c for c in self.out.netlink if not c.command.startswith(STATUS_POLL_PREFIX)]
        self.out.landmarks.extend(_admin_sequences(typed))
        self.out.landmarks.sort(key=lambda lm: lm.ref.row)


def _short(command: str | None) -> str:
    return (command or "?").removeprefix("BSR_ADM_")


def _uuids(f: dict) -> dict[str, Any]:
    return {k: f.get(k) for k in ("current", "bitmap", "history1", "history2", "bits", "flags")}


def _twopc_changes(text: str | None) -> dict[str, str]:
    return {k: v for k, v in _TWOPC_CHANGE.findall(text or "") if v and v != "-"}


def _admin_sequences(commands: list[NetlinkCommand]) -> list[Landmark]:
    """``bsradm up`` is new-resource, new-minor, new-peer, new-path, attach, connect in a
    row; ``down`` is one DOWN command. Both are named so episodes can use them."""
    out: list[Landmark] = []
    i = 0
    while i < len(commands):
        cmd = commands[i]
        if cmd.command == "NEW_RESOURCE":
            run = [cmd]
            j = i + 1
            while (
                j < len(commands)
                and commands[j].command in UP_COMMANDS[1:]
                and (commands[j].command != "NEW_RESOURCE")
            ):
                run.append(commands[j])
                j += 1
                if run[-1].command == "CONNECT":
                    break
            names = [c.command for c in run]
            out.append(
                Landmark(
                    "up",
                    cmd.received,
                    {
                        "commands": names,
                        "complete": names == list(UP_COMMANDS),
                        "all_terminated": all(c.done is not None for c in run),
                    },
                    end=run[-1].done or run[-1].received,
                )
            )
            i = j
            continue
        if cmd.command == "DOWN":
            out.append(
                Landmark("down", cmd.received, {"terminated": cmd.done is not None}, end=cmd.done)
            )
        i += 1
    return out


# -- identity -------------------------------------------------------------------------


def _identity(name: str, matched: list[dict[str, Any]], frame: pl.DataFrame) -> NodeIdentity:
    ident = NodeIdentity(name=name)
    platforms = frame.select(pl.col("platform").drop_nulls().mode()).to_series().to_list()
    ident.platform = sorted(platforms)[0] if platforms else None
    peers = frame.select(pl.col("peer_id").drop_nulls().unique().sort()).to_series().to_list()
    ident.peer_ids = [int(p) for p in peers if p is not None and p >= 0]
    ident.resources = (
        frame.select(pl.col("resource").drop_nulls().unique().sort()).to_series().to_list()
    )
    vols = (
        frame.filter(pl.col("volume").is_not_null())
        .select("resource", "volume", "minor")
        .unique()
        .sort("resource", "volume", "minor")
    )
    ident.volumes = vols.to_dicts()

    def of(kind: str) -> list[dict[str, Any]]:
        return [m for m in matched if m["kind"] == kind]

    versions = [m["fields"].get("version") for m in of("driver_loaded")]
    versions = [v for v in versions if v]
    ident.version = versions[-1] if versions else None
    prep = next(iter(of("twopc_prepare")), None)
    if prep and prep["fields"].get("initiator") is not None:
        ident.node_id, ident.node_id_from = prep["fields"]["initiator"], "TWOPC:34 initiator"
    else:
        local = frame.filter(
            pl.col("message").str.contains(r"because it is a local node id\(\d+\)")
        ).head(1)
        if local.height:
            found = re.search(r"local node id\((\d+)\)", local["message"][0])
            if found:
                ident.node_id, ident.node_id_from = int(found.group(1)), "VOLUME:98 local node id"
    for r in of("handshake"):
        peer = r["fields"].get("peer")
        host = r["peer_host"] or r["fields"].get("peer_name")
        if peer is not None:
            if peer not in ident.peer_ids:
                ident.peer_ids.append(peer)
            if host:
                ident.hosts[peer] = host
    ident.peer_ids.sort()
    return ident
