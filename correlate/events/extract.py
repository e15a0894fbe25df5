"""Stage 2, events: a node's entries -> the ``event``/``fields`` columns and its records.

Three steps, one module each: :mod:`correlate.events.classify` names each protocol line's kind and
cuts its fields over whole columns; :mod:`correlate.events.netlink` pairs commands' received and
terminated lines (status polls stay a frame); :mod:`correlate.events.builders` walks the remaining
protocol lines, a few thousand, into records. This module runs them in order and works out
the node's identity (its node id per resource, its peers, platform, version).

Adds to the entries frame:

* ``event`` str: the event kind (see :mod:`correlate.events.catalog_bsr`), ``unparsed``, or empty;
* ``fields`` str: the event's structured fields as JSON (empty for other rows).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from typing import Any

import polars as pl

from correlate.events import classify as cls
from correlate.events import netlink
from correlate.events.builders import Walk
from correlate.events.catalog_drbd import normalize_fields
from correlate.events.classify import FIRST_DRBD, KINDS
from correlate.events.prefix_states import prefix_states
from correlate.model import NodeEvents, NodeIdentity
from correlate.read.bsr import NodeParse

CONTEXT = (
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
    "time_res_ns",
    "minor",
)
_PEER_THREAD_ID = re.compile(
    r"^Starting (?:sender|receiver|ack_receiver) thread \(peer-node-id ([0-9]+)\)"
)
# A node's own id per resource where no prepare of its own gives it: the first of these
# line kinds that gives any (pattern, the object its line must be, the words said).
_OWN_ID_LINES = (
    # "... because it is a local node id(N)" on a device line names the resource too
    (r"because it is a local node id\((\d+)\)", None, "VOLUME:98 local node id"),
    # DRBD 9.2 names the resource's own id when its worker starts
    (r"^Starting worker thread \(node-id ([0-9]+)\)", "resource",
     "DRBD 9.2's 'Starting worker thread (node-id N)'"),
    # the attach reads the node's own id from its meta data
    (r"^my node_id: (\d+)$", None, "the attach's 'my node_id'"),
)  # fmt: skip


def extract(node: NodeParse) -> tuple[pl.DataFrame, NodeEvents]:
    """Fill ``event`` and ``fields`` in the node's frame and build its records."""
    frame = node.frame
    hits = cls.classify(frame)
    context = _tie_minors(frame.select(*CONTEXT, local_ns=pl.col("local_time").cast(pl.Int64)))
    rows = hits.join(context, on="row", how="left")
    tagged: list[pl.DataFrame] = []
    walk: list[pl.DataFrame] = []
    commands: list[pl.DataFrame] = []
    for (k,), part in rows.partition_by("_k", as_dict=True, maintain_order=True).items():
        kind = KINDS[k]
        # Fields are a function of the message: cut and encode each distinct message
        # once (a status poll's hundred thousand lines are one or two texts).
        distinct = part.select("message").unique(maintain_order=True)
        fields = cls.fields_frame(distinct, kind.regex)
        if kind.name == "state_change":
            text = [
                cls.state_change_json({n: cls.typed(v, n) for n, v in found.items()}, message)
                for found, message in zip(
                    fields.iter_rows(named=True), distinct["message"], strict=True
                )
            ]
            encoded = pl.Series("_json", text, dtype=pl.String)
        elif fields.width:
            encoded = fields.select(cls.fields_json_expr(fields.columns).alias("_json")).to_series()
        else:
            encoded = pl.Series("_json", ["{}"] * distinct.height, dtype=pl.String)
        per_message = pl.concat(
            [distinct, encoded.to_frame(), fields.rename(lambda c: "f:" + c)], how="horizontal"
        )
        part = part.drop("_k").join(
            per_message, on="message", how="left", maintain_order="left", nulls_equal=True
        )
        part = part.with_columns(kind=pl.lit(kind.name, pl.String))
        tagged.append(part.select(*context.columns, "kind", "_json"))
        part = part.with_columns(_k=pl.lit(k, pl.Int32))
        (commands if kind.name in netlink.KINDS else walk).append(part.drop("_json"))
    polls, typed_commands = netlink.pair(
        node.name,
        pl.concat(commands, how="diagonal_relaxed") if commands else pl.DataFrame(),
    )
    matched: list[dict[str, Any]] = []
    drbd: list[dict[str, Any]] = []
    old = False
    for part in walk:
        names = [c for c in part.columns if c.startswith("f:")]
        for r in part.iter_rows(named=True):
            r["fields"] = {n[2:]: cls.typed(r.pop(n), n[2:]) for n in names}
            matched.append(r)
            if r["_k"] >= FIRST_DRBD:
                drbd.append(r)
    if drbd:
        # DRBD writes uuid_compare's results and rules by name since 9.0.32, and 8.4's
        # numbers mean something else: one vocabulary, BSR's (9.0's) numbers.
        old = _drbd84(drbd)
        for r in drbd:
            r["fields"] = normalize_fields(r["kind"], r["fields"], drbd84=old)
    matched.sort(key=lambda m: m["row"])
    identity = _identity(
        node.name, matched, frame, epochs=node.epochs, dialect="8.4" if old else None
    )
    all_tagged = (
        pl.concat(tagged).sort("row")
        if tagged
        else pl.DataFrame(schema={**dict(context.schema), "kind": pl.String, "_json": pl.String})
    )
    # Without the message: views of it would keep every message of the node alive.
    records = _walk(
        node.name, identity, matched, typed_commands, polls, all_tagged.drop("_json", "message")
    )
    filled = cls.fill(frame, all_tagged["row"], all_tagged["kind"], all_tagged["_json"])
    return filled, replace(records, prefix_states=prefix_states(node.name, frame))


def _tie_minors(context: pl.DataFrame) -> pl.DataFrame:
    """DRBD 8.4's device lines (``block drbd131: ...``) name a minor, no resource. The
    records take the resource the logs tie the minor to (``drbd r0/0 drbd131:`` on
    another line), else the file's only resource, else (a file naming no resource at all,
    as DRBD 8.3's) the device's own name; the timeline keeps what the line wrote. Computed
    over the distinct (resource, minor) pairs, not per line."""
    missing = context.filter(pl.col("resource").is_null() & pl.col("minor").is_not_null())
    if not missing.height:
        return context
    named = (
        context.filter(pl.col("resource").is_not_null() & pl.col("minor").is_not_null())
        .select(pl.col("minor"), pl.col("resource").cast(pl.String).alias("_tied"))
        .unique()
    )
    tied = named.group_by("minor").agg(pl.col("_tied").first(), pl.len().alias("_n"))
    tied = tied.filter(pl.col("_n") == 1).drop("_n")  # a minor in two resources: not tied
    resources = context.select(pl.col("resource").drop_nulls().unique().cast(pl.String))
    only = resources.to_series().to_list()
    dtype = context.schema["resource"]
    out = context.join(tied, on="minor", how="left", maintain_order="left")
    fill = pl.col("_tied")
    if len(only) == 1:
        fill = fill.fill_null(pl.lit(only[0]))
    elif not only:
        # No line of the file names any resource (DRBD 8.3 writes none in its kernel
        # lines): each device stands for its own resource, by its name (drbd0), as
        # 8.3's /proc/drbd and tools name it.
        fill = fill.fill_null(pl.format("drbd{}", pl.col("minor")))
    return out.with_columns(
        pl.when(pl.col("resource").is_null() & pl.col("minor").is_not_null())
        .then(fill.cast(dtype))
        .otherwise(pl.col("resource"))
        .alias("resource")
    ).drop("_tied")


def _drbd84(rows: list[dict[str, Any]]) -> bool:
    """A DRBD 8.4 node: its driver says 8.x, or its handshakes agree on protocol 101 or
    older (9.0 speaks 110 and up), or it writes 8.4's device prefix, a minor with no
    volume (``block drbd6:``; DRBD 9 writes ``drbd r0/0 drbd6:``)."""
    if any(r["volume"] is None and r.get("minor") is not None for r in rows):
        return True
    for r in rows:
        f = r["fields"]
        if r["kind"] == "driver_loaded" and f.get("version"):
            return str(f["version"]).startswith("8.")
        if r["kind"] == "handshake" and isinstance(f.get("protocol"), int):
            return f["protocol"] <= 101
    return False


def _walk(
    name: str,
    identity: NodeIdentity,
    matched: list[dict[str, Any]],
    commands: list,
    polls: pl.DataFrame,
    events: pl.DataFrame,
) -> NodeEvents:
    host_ids: dict[tuple[str | None, str], int] = {}
    for r in matched:
        if r["kind"] == "handshake" and r["peer_host"] and r["fields"].get("peer") is not None:
            host_ids[(r["resource"], r["peer_host"])] = r["fields"]["peer"]
    walk = Walk(name, identity, host_ids)
    for r in matched:
        walk.feed(r)
    walk.finish(commands)
    return NodeEvents(
        name=name,
        identity=identity,
        events=events,
        polls=polls,
        state_changes=walk.state_changes,
        failed_changes=walk.failed_changes,
        split_brains=walk.split_brains,
        netlink=commands,
        twopc=walk.twopc,
        handshakes=walk.handshakes,
        decisions=walk.decisions,
        bitmaps=walk.bitmaps,
        resyncs=walk.resyncs,
        landmarks=walk.landmarks,
        connection_losses=walk.losses,
        connects=walk.connects,
    )


# -- identity -------------------------------------------------------------------------


def _own_ids(frame: pl.DataFrame, pattern: str, obj: str | None) -> dict[str, int]:
    """resource -> the id the resource's first line matching ``pattern`` gives."""
    rows = frame if obj is None else frame.filter(pl.col("object").cast(pl.String) == obj)
    found = (
        rows.select(
            pl.col("resource").cast(pl.String),
            pl.col("message").str.extract(pattern, 1).cast(pl.Int64).alias("id"),
        )
        .filter(pl.col("resource").is_not_null() & pl.col("id").is_not_null())
        .group_by("resource", maintain_order=True)
        .first()
    )
    return dict(found.iter_rows())


def _identity(
    name: str,
    matched: list[dict[str, Any]],
    frame: pl.DataFrame,
    epochs: int = 0,
    dialect: str | None = None,
) -> NodeIdentity:
    ident = NodeIdentity(name=name, epochs=epochs, dialect=dialect)
    formats = set(frame.select(pl.col("format").unique().cast(pl.String)).to_series().to_list())
    if "bsr" not in formats:
        ident.product = "WinDRBD" if "windrbd" in formats else "DRBD"
        hosts = frame.select(pl.col("host").drop_nulls().unique()).to_series().to_list()
        if len(hosts) == 1:
            ident.host = hosts[0]  # the syslog's own host field names the node
    platforms = frame.select(pl.col("platform").drop_nulls().mode()).to_series().to_list()
    ident.platform = sorted(platforms)[0] if platforms else None
    peers = frame.select(pl.col("peer_id").drop_nulls().unique().sort()).to_series().to_list()
    ident.peer_ids = [int(p) for p in peers if p is not None and p >= 0]
    ident.resources = (
        frame.select(pl.col("resource").drop_nulls().unique().sort()).to_series().to_list()
    )
    # Distinct (resource, volume, minor) of the volume lines: a categorical resource is
    # compared by its code, not its text.
    res = pl.col("resource")
    vols = (
        frame.filter(pl.col("volume").is_not_null())
        .select("resource", "volume", "minor")
        .with_columns(_res=res.to_physical() if frame.schema["resource"] == pl.Categorical else res)
        .unique(["_res", "volume", "minor"])
        .drop("_res")
        .sort("resource", "volume", "minor")
    )
    ident.volumes = vols.to_dicts()

    def of(kind: str) -> list[dict[str, Any]]:
        return [m for m in matched if m["kind"] == kind]

    versions = [m["fields"].get("version") for m in of("driver_loaded")]
    versions = [v for v in versions if v]
    ident.version = versions[-1] if versions else None
    # Own node id per resource: the initiator id this node writes in its own prepares.
    for m in of("twopc_prepare"):
        own = m["fields"].get("initiator")
        if own is not None and m["resource"] is not None:
            ident.node_ids.setdefault(m["resource"], own)
    source = "TWOPC:34 initiator"
    for pattern, obj, words in _OWN_ID_LINES:
        if ident.node_ids:
            break
        ident.node_ids = _own_ids(frame, pattern, obj)
        source = words
    if ident.node_ids:
        ident.node_id = Counter(ident.node_ids.values()).most_common(1)[0][0]
        ident.node_id_from = source
    # DRBD 9.2 names each peer's id when a connection's threads start: "<peer>: Starting
    # sender thread (peer-node-id N)" (and receiver, ack_receiver).
    threads = frame.filter(
        (pl.col("object").cast(pl.String) == "connection")
        & pl.col("peer_host").is_not_null()
        & pl.col("message").str.contains(_PEER_THREAD_ID.pattern)
    ).select(pl.col("resource").cast(pl.String), pl.col("peer_host").cast(pl.String), "message")
    for resource, host, message in threads.unique(keep="first", maintain_order=True).iter_rows():
        found = _PEER_THREAD_ID.search(message)
        if found:
            peer = int(found.group(1))
            ident.peer_id_lines.append((resource, peer, host, message))
            if peer not in ident.peer_ids:
                ident.peer_ids.append(peer)
            ident.hosts.setdefault(peer, host)
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
