"""Stage 2a, classification: which entry is which protocol event, over whole columns.

The entries frame is joined with the catalog on ``(category, index)``, the message text
is checked (and, for keys a BSR version renumbered, matched by text alone within the
category), and each kind's fields are cut with one regular expression over its own rows
and encoded as JSON over whole columns. No record is built here: that is
:mod:`correlate.events.builders`' walk over the (few) matched rows.

Frames: :func:`classify` returns ``row`` u32 and ``_k`` i32 (the catalog entry that
matched); :func:`fill` writes ``event`` (the kind, ``unparsed`` or empty) and ``fields``
(the event's fields as JSON, or empty) into the entries frame.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import polars as pl

from correlate.events.catalog_bsr import KINDS as BSR_KINDS
from correlate.events.catalog_bsr import STATE_FIELDS, anchored
from correlate.events.catalog_drbd import DRBD_KINDS
from correlate.i18n import N_

# Every kind the classification knows: BSR's, keyed by template; DRBD's, by text alone.
# ``_k`` in the frames below indexes this tuple.
KINDS = (*BSR_KINDS, *DRBD_KINDS)
DRBD = "DRBD"  # the group DRBD kernel lines (no template key) are matched in
FIRST_DRBD = len(BSR_KINDS)
# What each event kind means, for the report: BSR's words first, DRBD's for kinds only
# DRBD logs.
EXPLAIN: dict[str, str] = {
    **{k.name: k.explain for k in DRBD_KINDS},
    **{k.name: k.explain for k in BSR_KINDS},
    "unparsed": N_("Not a log entry: kept as it was read."),
}

CHANGE = re.compile(
    r"(" + "|".join(re.escape(f) for f in STATE_FIELDS) + r")\( ?(.*?) -> (.*?) ?\)"
)

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


def _unnamed(pattern: str) -> str:
    """The pattern with its named groups made plain, to sit in an alternation."""
    return re.sub(r"\(\?P<\w+>", "(?:", pattern)


# Catalog categories as small integers (DRBD kernel lines: the DRBD group), and each
# template key (category, index) as one integer: ``code * KEY_SPAN + index``.
CATEGORIES = sorted({k.category for k in KINDS})
CATEGORY_CODE = {c: i for i, c in enumerate(CATEGORIES)}
KEY_SPAN = 1 << 20
KEYED = {
    CATEGORY_CODE[k.category] * KEY_SPAN + i: n for n, k in enumerate(KINDS) for i in k.indices
}


def classify(frame: pl.DataFrame) -> pl.DataFrame:
    """Protocol rows of a node: ``row`` and ``_k`` (the catalog entry that matched).

    Keyed by (category, index), confirmed by text; rows of a catalog category whose key
    is unknown or whose text disagrees are matched by text alone, within the category.
    DRBD kernel lines (no template key: a null category, but an object prefix) are
    matched by text alone against the DRBD kinds, first match in catalog order.

    Whole columns throughout: the key is one integer per row, a row's messages are
    touched only by its own kinds' patterns, and the text-alone search first asks
    whether any of the category's patterns matches (cheap) before it asks which.
    """
    empty = pl.DataFrame(schema={"row": pl.UInt32, "_k": pl.Int32})
    if frame.height == 0:
        return empty
    drbd_line = pl.col("category").is_null() & pl.col("object").is_not_null()
    code = (
        pl.when(drbd_line)
        .then(CATEGORY_CODE[DRBD])
        .otherwise(
            pl.col("category").replace_strict(CATEGORY_CODE, default=-1, return_dtype=pl.Int32)
        )
    )
    code = pl.when(pl.col("event").eq("")).then(code).otherwise(-1)
    keys = frame.select(
        code=code,
        k=(
            code.cast(pl.Int64) * KEY_SPAN + pl.col("index").fill_null(KEY_SPAN - 1).cast(pl.Int64)
        ).replace_strict(KEYED, default=None, return_dtype=pl.Int32),
    )
    found: list[pl.DataFrame] = []
    taken = np.zeros(frame.height, dtype=bool)  # rows a kind has claimed
    keyed = frame.select("row", "message", keys["k"].alias("_k")).filter(pl.col("_k").is_not_null())
    for (k,), part in keyed.partition_by("_k", as_dict=True).items():
        ok = part.filter(pl.col("message").str.contains(anchored(KINDS[k].pattern)))
        found.append(ok.select("row", "_k"))
        taken[ok["row"].to_numpy()] = True
    codes = keys["code"]
    for category in CATEGORIES:
        c = CATEGORY_CODE[category]
        members = [n for n, k in enumerate(KINDS) if k.category == category]
        mask = (codes == c).to_numpy() & ~taken
        if not mask.any():
            continue
        part = frame.select("row", "message").filter(pl.Series(mask))
        alternation = "|".join(f"(?P<k{n}>{anchored(_unnamed(KINDS[n].pattern))})" for n in members)
        part = part.filter(pl.col("message").str.contains(alternation))
        if part.height == 0:
            continue
        groups = part.select("row", g=pl.col("message").str.extract_groups(alternation))
        which = pl.coalesce(
            [
                pl.when(pl.col("g").struct.field(f"k{n}").is_not_null()).then(pl.lit(n, pl.Int32))
                for n in members
            ]
        )
        found.append(groups.select("row", _k=which).filter(pl.col("_k").is_not_null()))
    return pl.concat(found).sort("row") if found else empty


def typed(value: str | None, name: str) -> Any:
    if value is None or value == "":
        return None
    if name in INT_FIELDS:
        try:
            return int(value)
        except ValueError:
            return value
    return value


def fields_frame(part: pl.DataFrame, kind_regex: str) -> pl.DataFrame:
    """The kind's named groups as string columns, in name order (JSON's key order)."""
    groups = (
        part.select(pl.col("message").str.extract_groups(anchored(kind_regex)))
        .to_series()
        .struct.unnest()
    )
    return groups.select(sorted(c for c in groups.columns if not c.isdigit()))


def fields_json_expr(names: list[str]) -> pl.Expr:
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


def state_change_json(fields: dict, message: str) -> str:
    fields = dict(fields)
    fields["failed"] = bool(fields.get("failed"))
    fields["changes"] = [{"what": w, "old": o, "new": n} for w, o, n in CHANGE.findall(message)]
    clean = {k: v for k, v in fields.items() if v is not None}
    return json.dumps(clean, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def fill(frame: pl.DataFrame, rows: pl.Series, kinds: pl.Series, fields: pl.Series) -> pl.DataFrame:
    """Write the kinds and fields at their rows (``row`` is the position in the frame)."""
    event = frame["event"].clone()
    extra = pl.Series("fields", [""], dtype=pl.String).extend_constant("", frame.height - 1)
    if len(rows):
        event.scatter(rows, kinds)
        extra.scatter(rows, fields)
    return frame.with_columns(event=event, fields=extra)


# -- records, walked in the node's own order ---------------------------------------------------
