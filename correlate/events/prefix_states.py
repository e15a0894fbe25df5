"""Stage 2c, prefix states: what a Windows-style object prefix says of its object.

BSR, WinDRBD and WDRBD write an object's states in every line's prefix: ``r(Secondary)``
of a resource, ``ds(Attaching)`` of a device, ``cs(Connected), prole(Primary)`` of a
connection, ``pdsk(UpToDate), prpl(Established)`` of a peer device. The prefix is written
before the line's own change applies (a state-change line's prefix holds the old state),
so a prefix is the object's state as of its line, and a line with a state change says
the new state in its message. A log whose excerpt holds no state-change line (a
retrieved chunk from an issue) still says where each object stood.

:func:`prefix_states` returns, per object and state, the lines where the prefix's value
changes (the first line counts): :class:`~correlate.model.StateChange` records with
``caller`` ``prefix`` and ``old`` the previous prefix value ("" for the first). The end
state reads them beside the state changes; nothing else does.

Input frame columns: ``row``, ``file``, ``line``, ``seq``, ``local_time``, ``message``,
``time_res_ns``, ``object``, ``resource``, ``volume``, ``minor``, ``peer_id``,
``object_state``.
"""

from __future__ import annotations

import polars as pl

from correlate.model import Ref, StateChange

# Prefix state names -> the state-change names (``role( A -> B )`` ...) they match.
NAMES = {"r": "role", "ds": "disk", "cs": "conn", "prole": "peer", "pdsk": "pdsk", "prpl": "repl"}
OBJECTS = ("resource", "device", "connection", "peer_device")
COPIED = (
    "row",
    "file",
    "line",
    "seq",
    "message",
    "time_res_ns",
    "volume",
    "minor",
    "peer_id",
)


def prefix_states(node: str, frame: pl.DataFrame) -> list[StateChange]:
    """The node's prefix states where they change, in row order (the module's rule)."""
    if "object_state" not in frame.columns or frame.height == 0:
        return []
    # Only the rows where an object's whole prefix text changes can change one of its
    # states: found on the categorical codes, so the text is cut on those few rows only
    # (a BSR Windows log writes a prefix on nearly every one of its millions of lines).
    obj = ["object", "resource", "volume", "minor", "peer_id"]
    code = pl.col("object_state").to_physical()
    # The rows are found on the narrow key columns and only they are gathered of the rest:
    # a filter of the whole frame copied every column of nearly every row (0.47 s a node
    # on the 1 GB activity bench).
    part = frame.select(*obj, "object_state", _i=pl.int_range(pl.len(), dtype=pl.UInt32))
    part = part.filter(
        pl.col("object_state").is_not_null() & pl.col("object").cast(pl.String).is_in(OBJECTS)
    )
    part = part.filter(
        (
            code
            != code.shift(1).over(
                [
                    pl.col(c).to_physical() if part.schema[c] == pl.Categorical else pl.col(c)
                    for c in obj
                ]
            )
        ).fill_null(True)
    ).filter(pl.col("object_state").cast(pl.String).str.contains(r"\("))
    if part.height == 0:
        return []
    part = frame.select(*COPIED, "local_time", "object", "resource", "object_state")[part["_i"]]
    pairs = (
        part.select(
            *COPIED,
            pl.col("local_time").cast(pl.Datetime("ns")).cast(pl.Int64).alias("local_ns"),
            pl.col("object").cast(pl.String),
            pl.col("resource").cast(pl.String),
            pl.col("object_state").cast(pl.String).str.extract_all(r"[a-z]+\([^)]*\)").alias("_p"),
        )
        .explode("_p")
        .with_columns(
            what=pl.col("_p").str.extract(r"^([a-z]+)\(", 1).replace_strict(NAMES, default=None),
            new=pl.col("_p").str.extract(r"\(([^)]*)\)$", 1),
        )
        .filter(pl.col("what").is_not_null() & (pl.col("new") != ""))
    )
    key = ["object", "resource", "volume", "minor", "peer_id", "what"]
    changes = (
        pairs.sort("row")
        .with_columns(old=pl.col("new").shift(1).over(key))
        .filter(pl.col("old").is_null() | (pl.col("old") != pl.col("new")))
    )
    out = []
    for r in changes.iter_rows(named=True):
        local_ns = r["local_ns"]
        ref = Ref(
            node,
            r["row"],
            str(r["file"]),
            r["line"],
            r["seq"],
            local_ns,
            r["message"],
            r["time_res_ns"] or 0,
        )
        out.append(
            StateChange(
                ref,
                r["object"],
                r["resource"],
                r["volume"],
                r["peer_id"],
                None,
                "prefix",
                False,
                r["what"],
                r["old"] or "",
                r["new"],
                None,
                r["minor"],
            )
        )
    return out
