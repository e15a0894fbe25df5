"""Stage 1, parse: a node's log files -> the entries frame, one row per log entry.

Nothing is dropped: a physical line that is not a BSR entry becomes a row with
``event = "unparsed"``; a physical line holding several entries (as pasted into
documents, or when the driver cut a line at 511 bytes and lost its line end) becomes
several rows sharing ``line`` and numbered by ``entry``.

The grammar is fixed up to the message (``../shared/docs/bsr-log-format.md``)::

    00000063 10/26/2020 16:25:06.3224961 [func] [CAT:idx] bsr_info<6> <object><message>

Object prefixes come in a Windows and a Linux style:

============  =====================================================  ==========================
object        Windows                                                Linux
============  =====================================================  ==========================
none          ``[0xFFFFE0012A6BD880] ``                              ``bsr ``
resource      ``bsr r0, r(Secondary), f(0x0), scf(0x82a): ``         ``bsr r0: ``
connection    ``bsr r0 pnode-id:1, cs(..), prole(..), cflag, scf: ``  ``bsr r0 <peer-host>: ``
device        ``bsr r0/0 minor 2, ds(UpToDate), dvflag(0x0): ``      ``bsr r0/0 bsr2: ``
peer_device   ``bsr r0/0 minor 2 pnode-id:1, pdsk(..), prpl(..), ..``  ``bsr r0/0 bsr2 <host>: ``
============  =====================================================  ==========================

How a file is read, over whole columns (Python runs only once per distinct value):

* the lines, by polars' CSV reader with a separator that never occurs in a log (it cuts
  a file on every core; a file it refuses or would misread is read as lines instead),
  in one streaming pass with the row columns below when the file is clean (no CR or NUL
  debris, no counter wider than 8 digits), else first and whole;
* every line whose first 38 characters are the fixed layout above (ASCII) takes the
  *fast path*: the text from the function's ``[`` to the end of the object prefix (the
  *key*: function, category, level and prefix; a few hundred distinct values in a real
  log) is cast to a categorical and each distinct key is decoded once, by the same code
  that reads a whole line (``_header_columns``); the time is a categorical minute
  (``MM/DD/YYYY HH:MM``, decoded once per distinct minute) plus the seconds as a number;
* a line off that layout (not an entry, a header with non-ASCII text, a level without
  ``<n>``, a key that does not decode to exactly itself) takes the *slow path*: the same
  code on just those rows, which become rows of the file's decoding table of their own;
* glued entries are looked for only in a line off the layout, or in one that holds a
  `` [`` its key does not account for (every entry brings one, before its function)
  or whose key holds an entry of its own: the full pattern runs on those lines alone.

Both paths (and both ways of reading) give the same columns, value for value
(``tests/test_parse.py`` holds them to each other; ``bench/identity.py`` compares the
whole stage with an earlier version). A node's files are read two at a time, largest
first; the node's header columns are then gathered from one table in one pass.

Entries frame columns:

``node`` str, ``row`` u32 (the entry's place in its node's own order, 0-based: a stable
id for links), ``file`` str (as given), ``file_index`` u32 (content order of the node's
files), ``line`` u32 (1-based physical line in ``file``), ``entry`` u32 (0-based entry
within that line), ``seq`` i64 (the counter), ``epoch`` u32 (driver loads seen so far,
from 1), ``lost_before`` i64 (counter gap before this entry), ``local_time``
datetime[ns] (as the node wrote it), ``level`` str (``info``, ``warn``, ``erro``,
``crit``, ``trac``, ``unkn``), ``level_num`` i8, ``category`` str, ``index`` i32,
``function`` str, ``object`` str (``none``, ``resource``, ``connection``, ``device``,
``peer_device``), ``resource`` str, ``volume`` i32, ``minor`` i32, ``peer_id`` i32,
``peer_host`` str, ``thread`` str, ``object_state`` str (Windows: the object's states
*before* the change the line reports), ``platform`` str (``windows``/``linux`` from the
prefix style), ``message`` str (for unparsed rows: the whole text), ``cut`` bool (the
line reached BSR's 511-byte limit), ``event`` str (``unparsed`` or empty here).
``node``, ``file``, ``level``, ``category``, ``function`` and the object columns are
categoricals.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TypeVar

import polars as pl

from correlate.errors import InputError, Notices
from correlate.i18n import Msg
from correlate.read.prefixes import match_object, prefix_patterns
from correlate.read.sources import (
    LogFile,
    NodeSource,
    control_bytes,
    polars_source,
    read_bytes,
    starts_compressed,
)
from correlate.schema import ENTRY_COLUMNS

DATE = r"[0-9][0-9]/[0-9][0-9]/[0-9]{4} [0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]{7}"
ENTRY_AT_START = rf"^[0-9]{{8,}} {DATE} \["
# An entry start anywhere but at position 0 of the text: searched for from the second
# character (twice as fast as a leading "." the regex engine would try at every place).
ENTRY_INSIDE = rf"[0-9]{{8}} {DATE} \["
# Split points: after a space (or at the start) the counter may be wider than 8 digits;
# glued to a cut line's last character it is taken as exactly 8 digits.
SPLIT = rf"(^| )([0-9]{{8,}} {DATE} \[)|([0-9]{{8}} {DATE} \[)"
TIME_FORMAT = "%m/%d/%Y %H:%M:%S%.f"
BSR_LINE_LIMIT = 511
HUGE_LINE = 1 << 20
# A counter that falls back by more than this, or to a value this small, is a driver
# load (a new epoch) rather than a line written out of order.
RESTART_SLACK = 100
# datetime[ns] holds 1677-09-21 .. 2262-04-11; a year outside it would wrap silently.
YEAR_RANGE = (1678, 2261)

# The fast path's layout: an 8-digit counter (or a wider one), the time, the function's
# "[", all in ASCII digits. A line matching it can hold no other entry before the
# function's "[", whose place is the counter's width plus _KEY_AT.
_LAYOUT_8 = r"^[0-9]{8} [0-9]{2}/[0-9]{2}/[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{7} \["
_LAYOUT_WIDE = r"^[0-9]{9,} [0-9]{2}/[0-9]{2}/[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{7} \["
_KEY_AT = 29
# Every entry ends its time with 7 digits and " [": a line holding a second entry holds
# this twice.
_SECOND_TIME_END = r"[0-9]{7} \["
# A counter and time in front of a key make it a line that _header_columns reads.
_KEY_LINE = "00000000 01/01/2000 00:00:00.0000000 "
# Never in a log line: polars' CSV reader then sees one column, the whole line.
_UNIT_SEPARATOR = "\x1f"
_UNIT_SEPARATOR_BYTE = _UNIT_SEPARATOR.encode()
_BOM = b"\xef\xbb\xbf"
# What one row of a file's decoding table says about a header.
_TABLE_SCHEMA = {
    "function": pl.String,
    "category": pl.String,
    "index": pl.Int32,
    "level": pl.String,
    "level_num": pl.Int8,
    "is_entry": pl.Boolean,
    "_cand": pl.String,
}
HEADER_WORDS = ("function", "category", "level")
_FRAME_SCHEMA = {
    "line": pl.UInt32,
    "entry": pl.UInt32,
    "text": pl.String,
    "_code": pl.UInt32,
    "seq": pl.Int64,
    "local_time": pl.Datetime("ns"),
}
_OBJECT_COLUMNS = [
    "resource",
    "volume",
    "minor",
    "peer_id",
    "peer_host",
    "thread",
    "object_state",
    "platform",
]
_T = TypeVar("_T")

LEVELS = {
    "bsr_crit": "crit",
    "bsr_erro": "erro",
    "bsr_warn": "warn",
    "bsr_info": "info",
    "bsr_trac": "trac",
    "bsr_unkn": "unkn",
}

_P = prefix_patterns("bsr")
_W_NONE = re.compile(r"^\[(0x[0-9A-Fa-f]+)\] ")


OBJECT_SCHEMA = {
    "cand": pl.String,
    "object": pl.String,
    "resource": pl.String,
    "volume": pl.Int32,
    "minor": pl.Int32,
    "peer_id": pl.Int32,
    "peer_host": pl.String,
    "thread": pl.String,
    "object_state": pl.String,
    "platform": pl.String,
    "prefix_len": pl.Int32,
}


def bsr_columns() -> list[pl.Expr]:
    """The columns kernel logs bring, for BSR's own lines: program ``bsr``, format
    ``bsr``, the 100 ns BSR writes (7 fraction digits, truncated)."""
    return [
        pl.lit("bsr", pl.String).cast(pl.Categorical).alias("program"),
        pl.lit(None, pl.String).alias("host"),
        pl.lit("bsr", pl.String).cast(pl.Categorical).alias("format"),
        pl.lit(100, pl.Int64).alias("time_res_ns"),
        pl.lit(None, pl.String).alias("stamp"),
        pl.lit(None, pl.String).alias("cause"),
    ]


@dataclass
class FileFacts:
    """What reading one file showed, for the summary and for warnings."""

    display: str
    bytes: int = 0
    lines: int = 0
    rows: int = 0
    entries: int = 0
    replaced_lines: int = 0
    nul_lines: int = 0
    longest: int = 0
    longest_line: int = 0
    truncated: bool = False
    first_time: int | None = None
    first_seq: int | None = None


@dataclass
class NodeRead:
    """What reading a node's files found, its entries aside: the files and the counts
    that account for every line. The analysis keeps this of each node; the entries go
    on as the events stage's frame. A new fact of a node's reading belongs here."""

    name: str
    files: list[FileFacts] = field(default_factory=list)
    lines: int = 0
    rows: int = 0
    entries: int = 0
    unparsed: int = 0
    lost: int = 0
    gap_lines: int = 0
    missing_reported: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    epochs: int = 0
    # Entries without a time: BSR's dates that do not exist; kernel logs' stamp-less
    # lines (alignment.json ``untimed``).
    bad_time: int = 0
    cut: int = 0
    first_time: int | None = None
    last_time: int | None = None
    host: str | None = None  # kernel logs: the host the lines came from
    uptime_only: bool = False  # kernel logs with monotonic stamps and no wall clock
    # The line formats the node's rows were read in (``format`` column -> rows), the
    # structureless ones (``unparsed``, ``empty``) left to the counts above.
    formats: dict[str, int] = field(default_factory=dict)


@dataclass
class NodeParse(NodeRead):
    """A node as the read stage hands it over: what was read and the entries frame."""

    frame: pl.DataFrame = field(default_factory=pl.DataFrame)

    def read(self) -> NodeRead:
        """What was read, without the frame (which says in which formats)."""
        found = (
            self.frame.group_by(pl.col("format").cast(pl.String))
            .len()
            .filter(~pl.col("format").is_in(["unparsed", "empty"]))
            .sort("len", "format", descending=[True, False])
            if "format" in self.frame.columns
            else pl.DataFrame({"format": [], "len": []})
        )
        facts = {f.name: getattr(self, f.name) for f in fields(NodeRead)}
        facts["formats"] = dict(found.iter_rows())
        return NodeRead(**facts)


@dataclass
class _FileRead:
    """One file after the per-file work, before the node's object prefixes are known.

    ``frame``: ``line``, ``entry``, ``text``, ``_code`` (the row's place in ``table``),
    ``_base`` (where the row's key starts in its text; 0 for slow-path rows, whose offsets
    in ``table`` are already absolute), ``seq``, ``local_time``.
    ``table``: one row per distinct key of the fast path, then one per slow-path row:
    ``function``, ``category``, ``index``, ``level``, ``level_num``, ``is_entry``,
    ``_cand`` (the object prefix candidate), ``_rel`` (where the object prefix starts,
    from ``_base``), ``_used`` (a row of the file points at it).
    """

    frame: pl.DataFrame
    table: pl.DataFrame
    facts: FileFacts
    notices: Notices


# polars' CSV reader as a line reader: one column, a separator no log holds, no quoting,
# empty lines kept as empty strings.
_LINES_CSV: dict = {
    "has_header": False,
    "separator": _UNIT_SEPARATOR,
    "quote_char": None,
    "schema": {"text": pl.String},
    "empty_string_is_null": False,
    "raise_if_empty": False,
}


def _read_lines(log: LogFile, facts: FileFacts) -> pl.DataFrame:
    """Physical lines as a string column; CR LF and LF both end a line.

    polars' CSV reader, told that the only column separator is a byte no log holds
    (``\\x1f``) and that nothing is quoted, cuts a file into lines on every core at
    several gigabytes a second, keeping empty lines and dropping the CR of a CR LF as
    ``read_lines`` does. It refuses a file that holds the separator (a second column)
    or bytes that are not UTF-8, and it drops a byte order mark at the start that
    ``read_lines`` keeps, and it silently drops a separator that ends the file (a last
    line without its line end): those files are read as lines, as before.
    """
    source, extra = polars_source(log)
    if not log.head(len(_BOM)).startswith(_BOM) and _last_byte(log) != _UNIT_SEPARATOR_BYTE:
        try:
            return pl.read_csv(source, **_LINES_CSV).slice(extra)
        except pl.exceptions.PolarsError:
            pass
    return read_lines(log, facts, (source, extra))


def read_lines(
    log: LogFile, facts: FileFacts, source: tuple[Path | bytes, int] | None = None
) -> pl.DataFrame:
    """Physical lines as a string column ``text`` (CR LF and LF end a line), with
    polars' ``read_lines``; the kernel-log reader reads its files so too. ``source``:
    :func:`~correlate.read.sources.polars_source` of ``log``, when the caller has it."""
    source, extra = source or polars_source(log)
    try:
        frame = pl.read_lines(source, name="text").slice(extra)
    except pl.exceptions.ComputeError:
        # Bytes that are not UTF-8 make polars refuse the whole file: only then is it
        # decoded with replacement characters (and the lines that needed it counted).
        raw = read_bytes(log)
        before = raw.count("\ufffd".encode())
        fixed = raw.decode("utf-8", errors="replace").encode("utf-8")
        extra = 1 if starts_compressed(fixed) else 0
        frame = pl.read_lines(b"\n" * extra + fixed, name="text").slice(extra)
        after = frame.select(pl.col("text").str.contains("\ufffd", literal=True).sum()).item()
        facts.replaced_lines = int(after) if after > before else 0
    return frame


def _last_byte(log: LogFile) -> bytes:
    if log.data is not None:
        return log.data[-1:]
    assert log.path is not None
    with open(log.path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        if fh.tell() == 0:
            return b""
        fh.seek(-1, os.SEEK_END)
        return fh.read(1)


def read_file(log: LogFile, notices: Notices, node: str) -> tuple[pl.DataFrame, FileFacts]:
    """One file -> rows of (line, text, entry) plus the header columns (``is_entry``,
    ``function``, ``_off`` and ``_cand``: where the object prefix starts and its
    candidate text, ``seq``, ``local_time``, ``level``, ``level_num``, ``category``,
    ``index``). The node's own parse keeps the per-file decoding table instead of these
    columns (``_read_one``); this gathers them out of it."""
    read = _read_one(log, node)
    notices.items.extend(read.notices.items)
    frame, table = read.frame, read.table
    if frame.height == 0:
        empty = pl.DataFrame(schema={"text": pl.String}).with_columns(line=pl.lit(0, pl.UInt32))
        return _header_columns(empty), read.facts
    code = pl.col("_code")
    frame = frame.select(
        "line",
        "text",
        "entry",
        is_entry=pl.lit(table["is_entry"]).gather(code),
        function=pl.lit(table["function"]).gather(code),
        _off=(
            pl.lit(table["_rel"]).gather(code) + (pl.col("_base") if "_base" in frame else 0)
        ).cast(pl.UInt32),
        _cand=pl.lit(table["_cand"]).gather(code),
        seq=pl.col("seq"),
        local_time=pl.col("local_time"),
        level=pl.lit(table["level"]).gather(code),
        level_num=pl.lit(table["level_num"]).gather(code),
        category=pl.lit(table["category"]).gather(code),
        index=pl.lit(table["index"]).gather(code),
    )
    return frame, read.facts


def _read_one(log: LogFile, node: str) -> _FileRead:
    """Read one file and do everything that does not need the node's other files."""
    said = Notices()
    facts = FileFacts(display=log.display, bytes=log.size, truncated=log.truncated)
    scanned = _scan(log, facts)
    if scanned is not None:
        frame, table = scanned
    else:
        frame = _read_lines(log, facts)
        facts.lines = frame.height
        if frame.height == 0:
            empty = pl.DataFrame(schema={**_FRAME_SCHEMA})
            return _FileRead(empty, _empty_table(), facts, said)
        frame = frame.with_row_index("line", offset=1)
        frame = _clean_lines(frame, facts)
        frame, wide = _split_glued(frame)
        frame, table = _header(frame, wide)
    facts.rows = frame.height
    entry = pl.lit(table["is_entry"]).gather(pl.col("_code"))
    dated = entry & pl.col("local_time").is_not_null()
    first = frame.select(
        entries=entry.sum(),
        first_time=pl.col("local_time").filter(dated).first().cast(pl.Int64),
        first_seq=pl.col("seq").filter(dated).first(),
    ).row(0, named=True)
    facts.entries = int(first["entries"])
    facts.first_time = first["first_time"]
    facts.first_seq = first["first_seq"]
    if facts.replaced_lines:
        said.warn(
            Msg(
                "{display}: {replaced_lines} line(s) were not valid UTF-8; the bad bytes "
                "are shown as U+FFFD",
                display=log.display,
                replaced_lines=facts.replaced_lines,
            ),
            node,
        )
    if facts.longest > HUGE_LINE:
        said.warn(
            Msg(
                "{display}: line {line} is {mib} MiB long (BSR writes at most {limit} bytes "
                "a line); kept whole",
                display=log.display,
                line=facts.longest_line,
                mib=f"{facts.longest / 2**20:.1f}",
                limit=BSR_LINE_LIMIT,
            ),
            node,
        )
    if facts.nul_lines:
        said.note(
            Msg(
                "{display}: NUL bytes removed from {nul_lines} line(s)",
                display=log.display,
                nul_lines=facts.nul_lines,
            ),
            node,
        )
    return _FileRead(frame, table, facts, said)


def streamable(log: LogFile) -> bool:
    """Whether :func:`scan_lines` reads ``log`` as :func:`read_lines` would: not a
    compressed stream, no byte order mark (the CSV reader drops it), and no unit
    separator as the last byte (the CSV reader drops that too)."""
    return not (
        log.head(len(_BOM)).startswith(_BOM)
        or _last_byte(log) == _UNIT_SEPARATOR_BYTE
        or starts_compressed(log.head(4))
    )


def scan_lines(log: LogFile) -> pl.LazyFrame:
    """The file's physical lines (``line`` from 1, ``text``) for polars' streaming
    engine: the CSV reader with a separator no log holds and no quoting, as
    :func:`_read_lines` (a file it refuses fails when collected)."""
    source = log.path if log.data is None else log.data
    return pl.scan_csv(source, **_LINES_CSV).with_row_index("line", offset=1)


def _scan(log: LogFile, facts: FileFacts) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """The common case in one pass: polars' streaming engine reads the file and computes
    every row's columns chunk by chunk as they are read (a tenth less CPU than reading
    first and computing over the whole file after). ``None`` when the file needs the
    general way: one the CSV reader refuses or would misread (``_read_lines``), a line
    with NUL or CR debris to remove, a counter wider than 8 digits, an empty file."""
    if not streamable(log):
        return None
    text = pl.col("text")
    key_cats, minute_cats = pl.Categories.random(), pl.Categories.random()
    rows = scan_lines(log).with_columns(
        entry=pl.lit(0, pl.UInt32),
        _dirty=text.str.contains_any(["\r", "\x00"]),
        _ok=text.str.contains(_LAYOUT_8) & (text.str.len_bytes() == text.str.len_chars()),
    )
    try:
        frame = _row_columns(rows, 8, key_cats, minute_cats).collect(engine="streaming")
    except pl.exceptions.PolarsError:
        return None
    stats = frame.select(
        dirty=pl.col("_dirty").any(),
        longest=text.str.len_bytes().max(),
        # As _clean_lines: on lines of equal length, arg_max names the one it names.
        longest_line=pl.col("line").get(text.str.len_bytes().arg_max()),
    ).row(0, named=True)
    if frame.height == 0 or stats["dirty"]:
        return None
    off_layout = frame.filter(~pl.col("_ok"))
    if off_layout.select(text.str.contains(_LAYOUT_WIDE).any()).item():
        return None
    facts.lines = frame.height
    facts.longest = int(stats["longest"] or 0)
    facts.longest_line = int(stats["longest_line"] or 0)
    # Lines off the layout are searched for entries in _header_rest with the lines in
    # it that may hold one (none is settled yet: _seen).
    frame = frame.drop("_dirty").with_columns(_seen=pl.lit(False))
    return _header_rest(frame, 8, key_cats, minute_cats)


def _clean_lines(frame: pl.DataFrame, facts: FileFacts) -> pl.DataFrame:
    """Line lengths for the facts; NULs and line-end CRs removed from the few lines that
    hold either (one pass over the text finds them)."""
    text = pl.col("text")
    stats = frame.select(
        dirty=text.str.contains_any(["\r", "\x00"]).any(),
        longest=text.str.len_bytes().max(),
        longest_line=pl.col("line").get(text.str.len_bytes().arg_max()),
    ).row(0, named=True)
    facts.longest = int(stats["longest"] or 0)
    facts.longest_line = int(stats["longest_line"] or 0)
    if not stats["dirty"]:
        return frame
    facts.nul_lines = int(frame.select(text.str.contains("\x00", literal=True).sum()).item())
    # NUL runs appear where a crash left preallocated file space unwritten. CRs at the end
    # of a line that the reader left (a CR CR LF, a CR at the end of the file, a CR before
    # NULs that sat before the LF) are line-end debris, not text.
    return frame.with_columns(
        text.str.replace_all("\x00", "", literal=True).str.strip_chars_end("\r")
    )


def _split_glued(frame: pl.DataFrame) -> tuple[pl.DataFrame, bool]:
    """Lines off the fixed layout: each entry on its own row, as before.

    Returns ``line``, ``entry``, ``text``, ``_ok`` (the row may take the fast path of
    ``_header``) and ``_seen`` (no other entry can hide in it: its glue is settled), and
    whether any row has a counter wider than 8 digits. Lines in the layout are left to
    ``_header``, which knows where their key ends."""
    text = pl.col("text")
    ascii_ = text.str.len_bytes() == text.str.len_chars()
    frame = frame.with_columns(_ok=text.str.contains(_LAYOUT_8) & ascii_)
    look = frame.filter(~pl.col("_ok"))
    keep = frame.select(
        "line", entry=pl.lit(0, pl.UInt32), text=text, _ok="_ok", _seen=~pl.col("_ok")
    )
    if look.height == 0:
        return keep, False
    # A counter wider than 8 digits matches the inner-entry pattern with its own last 8
    # digits: such a line always went through the split, which gives it back whole but
    # for one trailing space. Without a second time's end in it, that is all it needs.
    look = look.with_columns(
        _wide=text.str.contains(_LAYOUT_WIDE)
        & ascii_
        & (text.str.count_matches(_SECOND_TIME_END) < 2),
    )
    wide = look.filter(pl.col("_wide")).select(
        "line",
        entry=pl.lit(0, pl.UInt32),
        text=text.str.strip_suffix(" "),
        _ok=pl.lit(True),
        _seen=pl.lit(True),
    )
    rest = look.filter(~pl.col("_wide")).select("line", "text")
    multi = rest.filter(text.str.slice(1).str.contains(ENTRY_INSIDE).fill_null(False))
    if wide.height == 0 and multi.height == 0:
        return keep, False
    pieces = _split_entries(multi).with_columns(_ok=pl.lit(False), _seen=pl.lit(True))
    changed = pl.concat([wide.get_column("line"), multi.get_column("line")])
    single = keep.filter(~pl.col("line").is_in(changed.implode()))
    # All three are in line order and hold different lines: a merge keeps that order
    # (and the entries of a line in theirs) without sorting the file.
    out = single.merge_sorted(wide, "line").merge_sorted(pieces.select(single.columns), "line")
    return out, wide.height > 0


def _split_entries(frame: pl.DataFrame) -> pl.DataFrame:
    """Split lines known to hold another entry into one row per entry (``line``,
    ``text``, ``entry``); a line whose only match is its own header comes back whole."""
    return (
        frame.with_columns(pl.col("text").str.replace_all(SPLIT, "$1\n$2$3").str.split("\n"))
        .explode("text")
        # The separator space of a pasted line belongs to neither entry.
        .with_columns(pl.col("text").str.strip_suffix(" "))
        .filter(pl.col("text") != "")
        .with_columns(entry=pl.int_range(pl.len(), dtype=pl.UInt32).over("line"))
    )


def _header(frame: pl.DataFrame, wide: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The header of every row, as a code into the file's decoding table plus the
    row's own counter and time. See the module docstring for the two paths."""
    # Where the counter ends: 8 digits unless the file holds wider counters.
    sp: pl.Expr | int = 8
    if wide:
        frame = frame.with_columns(_sp=pl.col("text").str.find(" ", literal=True))
        sp = pl.col("_sp")
    key_cats, minute_cats = pl.Categories.random(), pl.Categories.random()
    frame = _row_columns(frame.lazy(), sp, key_cats, minute_cats).collect()
    return _header_rest(frame, sp, key_cats, minute_cats)


def _row_columns(
    rows: pl.LazyFrame, sp: pl.Expr | int, key_cats: pl.Categories, minute_cats: pl.Categories
) -> pl.LazyFrame:
    """What the fast path needs of each row, over whole columns: where the object prefix
    starts and ends, the key, the minute, the seconds and the counter.

    bsrcorr returns freed memory to the system at once (``correlate/__init__.py``), so
    every column computed here is paid for in page faults as well: positions stay
    ``u32`` as ``find`` gives them, and constant offsets stay literals (a slice at a
    constant place is a view of the text, one at a place read from a column a copy)."""
    text = pl.col("text")
    at = sp + _KEY_AT
    # In steps: a column used several times is computed once, beforehand.
    rows = rows.with_columns(
        # Where the object prefix starts if the level has its "<n> ": 14 past "] bsr_".
        _off=text.str.find("] bsr_", literal=True) + 14,
        _p3=text.str.find(": ", literal=True),
        # The first "> [0x": at the level's end when the prefix is a thread pointer,
        # unless an earlier one sits in the key (_decode_keys turns that key down).
        _px=text.str.find("> [0x", literal=True),
        # (As a pattern: counting a literal builds a searcher per row, a quarter slower.)
        _brackets=text.str.count_matches(r" \["),
    )
    off, p3 = pl.col("_off"), pl.col("_p3")
    # The object prefix starts after "] bsr_info<6> "; it ends as _header_columns says:
    # a Windows thread pointer is cut at 24 characters, anything else at the first ": "
    # within 300 characters (u32: one before the prefix wraps around to a large number,
    # as in _header_columns), or after a bare "bsr " (4 characters are taken whatever
    # they are: a key that is not "bsr " there does not decode to its own length).
    rows = rows.with_columns(
        _end=pl.when(pl.col("_px") == off - 2)
        .then(off + 24)
        .when(p3 - off <= 300)
        .then(p3 + 2)
        .otherwise(off + 4),
        _minute=text.str.slice(sp + 1, 16).cast(pl.Categorical(minute_cats)),
        _secs=text.str.slice(sp + 18, 10).cast(pl.Float64, strict=False),
        seq=text.str.slice(0, sp).cast(pl.Int64, strict=False),
    )
    return rows.with_columns(
        _key=pl.when(pl.col("_ok") & off.is_not_null())
        .then(text.str.slice(at, pl.col("_end") - at))
        .cast(pl.Categorical(key_cats)),
    )


def _header_rest(
    frame: pl.DataFrame,
    sp: pl.Expr | int,
    key_cats: pl.Categories,
    minute_cats: pl.Categories,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """From the row columns on: each distinct key and minute decoded, the rows that
    may hold another entry searched, the rows off the layout decoded one by one."""
    ok = pl.col("_ok")
    wide = not isinstance(sp, int)
    at = sp + _KEY_AT
    keys = _decode_keys(key_cats.to_series())
    minutes = _decode_minutes(minute_cats.to_series())
    code = pl.col("_key").to_physical()
    # Seconds 00..60 (60: a leap second, the next minute's first) on an existing minute;
    # exact: the double nearest a 7-digit fraction, times 1e9, is within 1e-4 of its
    # integer. (On a line off the layout the "seconds" may read as 4e7079617 = inf: not
    # castable, null; such a row takes the slow path anyway.)
    local_ns = pl.lit(minutes).gather(pl.col("_minute").to_physical()) + (
        pl.col("_secs") * 1e9
    ).round().cast(pl.Int64, strict=False)
    frame = frame.with_columns(
        _fast=(ok & pl.lit(keys["_ok"]).gather(code)).fill_null(False),
        # Another entry in a line of the layout starts after the function's "[", so it
        # brings a " [" (its own function's) that the key does not hold, or lies wholly
        # inside the key (then the key says so).
        _look=~pl.col("_seen")
        & (
            ~ok
            | pl.lit(keys["_inner"]).gather(code)
            | (pl.col("_brackets") > pl.lit(keys["_brackets"]).gather(code))
        ).fill_null(True),
        _code=code,
        local_time=pl.when(pl.col("_secs") < 61).then(local_ns).cast(pl.Datetime("ns")),
    )
    # Where each row's key starts: a column only when counters are wider than 8 digits;
    # otherwise the table's offsets are made absolute.
    keep = ["line", "entry", "text", "_code", "seq", "local_time", "_fast", "_look"]
    if wide:
        frame = frame.with_columns(_base=at.cast(pl.Int64))
        keep.append("_base")
    frame = _glued_in_layout(frame.select(keep))
    table = keys.drop("_ok", "_inner", "_brackets")
    if not wide:
        table = table.with_columns(pl.col("_rel") + _KEY_AT + 8)
    slow = frame.filter(~pl.col("_fast"))
    if slow.height:
        # Rows off the layout: decoded row by row as before, each its own table row.
        decoded = _header_columns(slow.select("line", "text", "entry"))
        table = pl.concat(
            [
                table,
                decoded.select(
                    *_TABLE_SCHEMA,
                    _rel=pl.col("_off").cast(pl.Int64),
                    _seq=pl.col("seq"),
                    _time=pl.col("local_time"),
                ).select(*table.columns),
            ]
        )
        fast = pl.col("_fast")
        rank = (~fast).cum_sum().cast(pl.UInt32) - 1 + keys.height
        frame = frame.with_columns(_code=pl.when(fast).then(pl.col("_code")).otherwise(rank))
        frame = frame.with_columns(
            seq=pl.when(fast).then("seq").otherwise(pl.lit(table["_seq"]).gather("_code")),
            local_time=pl.when(fast)
            .then("local_time")
            .otherwise(pl.lit(table["_time"]).gather("_code")),
        )
        if wide:
            frame = frame.with_columns(_base=pl.when(fast).then("_base").otherwise(0))
    frame = frame.drop("_fast")
    used = frame.select(pl.col("_code").unique()).to_series()
    table = table.drop("_seq", "_time").with_columns(
        _used=pl.int_range(pl.len(), dtype=pl.UInt32).is_in(used.implode())
    )
    return frame, table


def _glued_in_layout(frame: pl.DataFrame) -> pl.DataFrame:
    """Lines in the layout that may hold another entry (``_look``): searched with the
    full pattern, and those that do are split into entries, which take the slow path."""
    look = frame.filter(pl.col("_look"))
    if look.height == 0:
        return frame.drop("_look")
    text = pl.col("text")
    multi = look.filter(text.str.slice(1).str.contains(ENTRY_INSIDE).fill_null(False))
    if multi.height == 0:
        return frame.drop("_look")
    single = frame.filter(~pl.col("line").is_in(multi.get_column("line").implode()))
    single = single.drop("_look")
    pieces = _split_entries(multi.select("line", "text")).with_columns(
        _code=pl.lit(None, pl.UInt32),
        _base=pl.lit(0, pl.Int64),
        seq=pl.lit(None, pl.Int64),
        local_time=pl.lit(None, pl.Datetime("ns")),
        _fast=pl.lit(False),
    )
    return single.merge_sorted(pieces.select(single.columns), "line")


def _decode_keys(keys: pl.Series) -> pl.DataFrame:
    """Each distinct key (``[func] [CAT:idx] bsr_info<6> <prefix>``) decoded by reading
    it as a whole line behind a made-up counter and time, with the code that reads any
    line. ``_ok`` says the fast path may trust it: every header field was found inside
    the key (its first ``] [``, a level with ``<n>``) and its prefix ends where it ends,
    so the rest of the line cannot change the reading; ``_rel`` is where the object
    prefix starts, counted from the key's start."""
    lines = keys.to_frame("key").select(
        line=pl.int_range(pl.len(), dtype=pl.UInt32),
        text=pl.lit(_KEY_LINE) + pl.col("key"),
        entry=pl.lit(0, pl.UInt32),
    )
    decoded = _header_columns(lines)
    text = pl.col("text")
    return decoded.select(
        *_TABLE_SCHEMA,
        _rel=pl.col("_off").cast(pl.Int64) - len(_KEY_LINE),
        _seq=pl.lit(None, pl.Int64),
        _time=pl.lit(None, pl.Datetime("ns")),
        # An entry inside the key itself (no entry starts in the made-up header).
        _inner=text.str.slice(1).str.contains(ENTRY_INSIDE).fill_null(False),
        _brackets=text.str.count_matches(" [", literal=True),
        _ok=(
            pl.col("is_entry")
            & pl.col("level_num").is_not_null()
            & text.str.contains("] [", literal=True)
            & (text.str.len_bytes() == text.str.len_chars())
            & (
                pl.col("_off").cast(pl.Int64) + pl.col("_cand").fill_null("").str.len_chars()
                == text.str.len_chars()
            )
            # A thread pointer's "> [0x" must be the first in the line (see _header).
            & (
                (text.str.slice(pl.col("_off"), 3) != "[0x")
                | (text.str.find("> [0x", literal=True) == pl.col("_off") - 2)
            )
        ).fill_null(False),
    )


def _decode_minutes(minutes: pl.Series) -> pl.Series:
    """``MM/DD/YYYY HH:MM`` -> the minute's start in ns, or null where the date does not
    exist (02/30, 25:61) or a datetime[ns] cannot hold its year: the rule of
    ``_header_columns``, applied to second 00."""
    date = pl.col("m")
    return (
        minutes.to_frame("m")
        .select(
            pl.when(date.str.slice(6, 4).cast(pl.Int32, strict=False).is_between(*YEAR_RANGE))
            .then((date + ":00.0000000").str.strptime(pl.Datetime("ns"), TIME_FORMAT, strict=False))
            .cast(pl.Int64)
        )
        .to_series()
    )


def _empty_table() -> pl.DataFrame:
    return pl.DataFrame(schema={**_TABLE_SCHEMA, "_rel": pl.Int64, "_used": pl.Boolean})


def _header_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """Counter, time, function, category, index and level, by offsets where the header is
    ASCII (literal ``find`` gives bytes, ``slice`` counts characters: they agree there)."""
    if "text" not in frame.columns:
        frame = frame.with_columns(text=pl.lit(None, pl.String), entry=pl.lit(0, pl.UInt32))
    text = pl.col("text")
    frame = frame.with_columns(
        is_entry=text.str.contains(ENTRY_AT_START).fill_null(False),
        ascii=(text.str.len_bytes() == text.str.len_chars()).fill_null(True),
    )
    fast = frame.filter(pl.col("ascii") | ~pl.col("is_entry"))
    slow = frame.filter(~pl.col("ascii") & pl.col("is_entry"))
    sp = pl.col("_sp")
    fast = fast.with_columns(
        _sp=text.str.find(" ", literal=True),
        _p1=text.str.find("] [", literal=True),
        _p2=text.str.find("] bsr_", literal=True),
        _p3=text.str.find(": ", literal=True),
    ).with_columns(
        _seq=text.str.slice(0, sp),
        _date=text.str.slice(sp + 1, 27),
        function=text.str.slice(sp + 30, pl.col("_p1") - sp - 30),
        _catidx=text.str.slice(pl.col("_p1") + 3, pl.col("_p2") - pl.col("_p1") - 3),
        _level=text.str.slice(pl.col("_p2") + 2, 8),
        _lt=text.str.slice(pl.col("_p2") + 10, 3),
    )
    has_num = pl.col("_lt").str.contains(r"^<[0-9]>")
    fast = fast.with_columns(
        _lnum=pl.when(has_num).then(pl.col("_lt").str.slice(1, 1)),
        _off=pl.when(pl.col("_p2").is_null())
        .then(None)
        .when(has_num)
        .then(pl.col("_p2") + 14)
        .otherwise(pl.col("_p2") + 10),
    )
    fast = fast.with_columns(
        # The object prefix ends at the first ": " after the level (none of the header's
        # colons is followed by a space); Windows none-object prefixes are a thread
        # pointer in brackets, never longer than 24 characters.
        _cand=pl.when(text.str.slice(pl.col("_off"), 3) == "[0x")
        .then(text.str.slice(pl.col("_off"), 24))
        .when((pl.col("_p3") - pl.col("_off")).is_between(0, 300))
        .then(text.str.slice(pl.col("_off"), pl.col("_p3") + 2 - pl.col("_off")))
        .when(text.str.slice(pl.col("_off"), 4) == "bsr ")
        .then(pl.lit("bsr "))
    ).drop("_sp", "_p1", "_p2", "_p3", "_lt")
    parts = [fast]
    if slow.height:
        parts.append(_header_regex(slow).select(fast.columns))
    frame = pl.concat(parts) if len(parts) > 1 else fast
    if len(parts) > 1:
        frame = frame.sort("line", "entry")
    level_word = pl.col("_level")
    catidx = pl.col("_catidx").str.split_exact(":", 1)
    frame = frame.with_columns(
        seq=pl.when(pl.col("is_entry")).then(pl.col("_seq").cast(pl.Int64, strict=False)),
        # A date that does not exist (02/30, 13/45, 25:61) gives null, as does a year
        # that datetime[ns] cannot hold (strptime would wrap it into another century).
        local_time=pl.when(
            pl.col("is_entry")
            & pl.col("_date").str.slice(6, 4).cast(pl.Int32, strict=False).is_between(*YEAR_RANGE)
        ).then(pl.col("_date").str.strptime(pl.Datetime("ns"), TIME_FORMAT, strict=False)),
        level=level_word.replace_strict(LEVELS, default=None, return_dtype=pl.String),
        level_num=pl.col("_lnum").cast(pl.Int8, strict=False),
        category=catidx.struct.field("field_0"),
        index=catidx.struct.field("field_1").cast(pl.Int32, strict=False),
    ).with_columns(
        # A header that did not cut cleanly is not trusted field by field.
        is_entry=pl.col("is_entry") & pl.col("level").is_not_null() & pl.col("_off").is_not_null(),
    )
    return frame.drop("_seq", "_date", "_catidx", "_level", "_lnum", "ascii")


def _header_regex(frame: pl.DataFrame) -> pl.DataFrame:
    """The same header columns for entries whose header holds non-ASCII characters."""
    head = rf"^([0-9]{{8,}}) ({DATE}) \[([^\]]*)\] \[([^\]]*)\] (bsr_\w{{4}})(<[0-9]> )?"
    groups = pl.col("text").str.extract_groups(head)
    frame = frame.with_columns(
        _seq=groups.struct.field("1"),
        _date=groups.struct.field("2"),
        function=groups.struct.field("3"),
        _catidx=groups.struct.field("4"),
        _level=groups.struct.field("5"),
        _lnum=groups.struct.field("6").str.slice(1, 1),
        _off=pl.col("text").str.extract(head, 0).str.len_chars(),
    )
    rest = pl.col("text").str.slice(pl.col("_off"))
    return frame.with_columns(
        _cand=pl.when(rest.str.starts_with("[0x"))
        .then(rest.str.slice(0, 24))
        .otherwise(rest.str.extract(r"^(bsr .{0,300}?: |bsr )", 1))
    )


def _object_table(cands: list[str], known_resources: set[str]) -> pl.DataFrame:
    """Decode each distinct object prefix once (there are few: hundreds, not millions)."""
    rows = [_decode_prefix(cand, known_resources) for cand in cands]
    return pl.DataFrame(rows, schema=OBJECT_SCHEMA)


def _obj(cand: str, kind: str, platform: str | None, end: int, **fields: object) -> dict:
    return {"cand": cand, "object": kind, "platform": platform, "prefix_len": end, **fields}


def _decode_prefix(cand: str, known: set[str]) -> dict:
    if m := _W_NONE.match(cand):
        return _obj(cand, "none", "windows", m.end(), thread=m.group(1))
    if found := match_object(_P, cand, whole=False):
        kind, style, end, fields = found
        return _obj(cand, kind, style, end, **fields)
    # "bsr r0 alpha: " and "bsr r0: " are only prefixes when r0 is a resource this node
    # names elsewhere; otherwise they are a prefix-less message that happens to hold ": ".
    m = _P.l_connection.match(cand)
    if m and m.group(1) in known:
        return _obj(cand, "connection", "linux", m.end(), resource=m.group(1), peer_host=m.group(2))
    m = _P.l_resource.match(cand)
    if m and m.group(1) in known:
        return _obj(cand, "resource", "linux", m.end(), resource=m.group(1))
    if cand.startswith("bsr "):
        return _obj(cand, "none", "linux", 4)
    return _obj(cand, "none", None, 0)


def _known_resources(cands: list[str]) -> set[str]:
    """The resources a node's prefixes name for sure (any shape but the Linux
    connection and resource ones, which an ordinary message can look like)."""
    known: set[str] = set()
    for cand in cands:
        if found := match_object(_P, cand, whole=False):
            known.add(str(found[3]["resource"]))
    if not known:
        # A Linux log with no device lines at all: trust the resource-style prefixes.
        for cand in cands:
            m = _P.l_resource.match(cand) or _P.l_connection.match(cand)
            if m:
                known.add(m.group(1))
    return known


def _node_table(read: _FileRead, cands: list[str], objects: pl.DataFrame) -> pl.DataFrame:
    """A file's decoding table completed with the node's object columns, one row per
    code: every entries column a header decides, and ``_start``, where the message
    starts (from the row's ``_base`` when counters are wider than 8 digits)."""
    is_entry = pl.col("is_entry")
    place = read.table.select(
        pl.col("_cand").replace_strict(
            cands, list(range(len(cands))), default=None, return_dtype=pl.UInt32
        )
    ).to_series()
    table = read.table.with_columns([column.gather(place) for column in objects.get_columns()])
    return table.select(
        # The header's words as categories: gathered for every row as 4-byte codes, and
        # what later stages compare and the timeline stores them as.
        *(pl.col(c).cast(pl.Categorical) if c in HEADER_WORDS else c for c in _TABLE_SCHEMA),
        *_OBJECT_COLUMNS,
        object=pl.when(is_entry).then(pl.col("object").fill_null("none")),
        # Unparsed rows keep their whole text (from 0).
        _start=pl.when(is_entry)
        .then(pl.col("_rel") + pl.col("prefix_len").fill_null(0))
        .otherwise(0),
    ).drop("_cand")


def _cut_messages(
    read: _FileRead, table: pl.DataFrame, first_code: int, index: int
) -> pl.DataFrame:
    """One file's rows: what is the row's own (line, entry, counter, time, message,
    ``cut``), and its code into the node's table (the file's codes from
    ``first_code`` on)."""
    code = pl.col("_code")
    text = pl.col("text")
    start = pl.lit(table["_start"]).gather(code)
    if "_base" in read.frame.columns:
        start = pl.col("_base") + start
    return read.frame.select(
        "line",
        "entry",
        "seq",
        "local_time",
        # One slice for every row: a slice by a column copies the text, and a
        # when/otherwise over two string columns would copy it once more.
        message=text.str.slice(start),
        cut=text.str.len_bytes() >= BSR_LINE_LIMIT - 2,
        _code=code + first_code,
        file_index=pl.lit(index, pl.UInt32),
    )


def _object_columns(tables: list[pl.DataFrame]) -> tuple[list[str], pl.DataFrame]:
    """The node's distinct object prefixes and their decoding, string fields as categories."""
    cands = (
        pl.concat([t.select(pl.col("_cand").drop_nulls().unique()) for t in tables])
        .unique()
        .sort("_cand")
        .to_series()
        .to_list()
    )
    table = _object_table(cands, _known_resources(cands)).drop("cand")
    table = table.with_columns(pl.col(pl.String).cast(pl.Categorical))
    return cands, table


def _epochs(frame: pl.DataFrame) -> pl.DataFrame:
    """Epochs (a counter restart is a driver load) and counter gaps (lost lines)."""
    seq = pl.col("seq")
    # The last counter before each row, computed once (an expression used four times
    # would be computed four times, each result a column of the node's length).
    frame = frame.with_columns(_prev=seq.forward_fill().shift(1))
    prev = pl.col("_prev")
    frame = frame.with_columns(
        _restart=seq.is_not_null()
        & prev.is_not_null()
        & (seq < prev)
        & ((seq <= RESTART_SLACK) | (prev - seq > RESTART_SLACK))
    )
    # Within an epoch the counter before a row is the last one before it, unless the row
    # starts the epoch: epochs change only at a row with a counter, so no row between
    # the two can have started one. (No grouping of the node by epoch needed.)
    frame = frame.with_columns(
        epoch=pl.col("_restart").cum_sum().cast(pl.UInt32) + 1,
        _gap=pl.when(~pl.col("_restart")).then(seq - prev - 1),
    )
    gap = pl.col("_gap")
    return frame.with_columns(
        lost_before=pl.when(seq.is_not_null() & (gap > 0)).then(gap).otherwise(0),
    ).drop("_prev", "_restart", "_gap")


def _in_pool(work: Callable[[int], _T], order: list[int]) -> dict[int, _T]:
    """``work(i)`` for each i in ``order``, started in that order on every core. Each
    string operation of polars runs on one core, and a node's files are independent
    until they are put in order."""
    workers = min(len(order), os.cpu_count() or 1)
    if workers <= 1:
        return {i: work(i) for i in order}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {i: pool.submit(work, i) for i in order}
        return {i: futures[i].result() for i in order}


def parse_node(source: NodeSource, notices: Notices) -> NodeParse:
    """All of a node's files -> one entries frame in content order, with the counts."""
    files = source.files
    # Largest first, so that no large file is left to run alone at the end.
    by_size = sorted(range(len(files)), key=lambda i: -files[i].size)
    done = _in_pool(lambda i: _read_one(files[i], source.name), by_size)
    reads = [done[i] for i in range(len(files))]
    # Each file's notices were kept apart and are handed on in file order, so the output
    # does not depend on which thread finished first.
    for log, read in zip(files, reads, strict=True):
        notices.items.extend(read.notices.items)
        if read.facts.lines == 0:
            notices.warn(Msg("{display}: empty file", display=log.display), source.name)
    # Order by content: a rotated set copied around loses its names' meaning, and BSR's
    # rotated names sort the same as their contents only when nothing was renamed.
    reads.sort(
        key=lambda r: (
            r.facts.first_time is None,
            r.facts.first_time or 0,
            r.facts.first_seq or 0,
            r.facts.display,
        )
    )
    facts_list = [r.facts for r in reads]
    total_lines = sum(f.lines for f in facts_list)
    if total_lines == 0:
        shown = ", ".join(f.display for f in facts_list)
        raise InputError(
            Msg("{name}: {shown}: empty file; nothing to read", name=source.name, shown=shown)
        )
    if sum(f.entries for f in facts_list) == 0:
        raise InputError(_not_bsr_message(source, facts_list))
    cands, objects = _object_columns(
        [r.table.filter(pl.col("_used")) for r in reads if r.frame.height]
    )

    present = [i for i, r in enumerate(reads) if r.frame.height]
    tables = [_node_table(reads[i], cands, objects) for i in present]
    heights = itertools.accumulate((t.height for t in tables), initial=0)
    first_codes = dict(zip(present, heights, strict=False))
    by_place = dict(zip(present, tables, strict=True))

    # Each file's text is let go as soon as its messages are cut from it, so the whole
    # node's text and its messages are never held at once.
    def cut(i: int) -> pl.DataFrame:
        frame = _cut_messages(reads[i], by_place[i], first_codes[i], i)
        reads[i].frame = reads[i].frame.clear()
        return frame

    by_size = sorted(present, key=lambda i: -reads[i].frame.height)
    frames = _in_pool(cut, by_size)
    # One chunk per column: the columns the header decides are gathered from the node's
    # table by each row's code, at once for the whole node, and every column the node
    # is given later lines up with them (a frame whose columns are cut into chunks at
    # different places is copied whole by the next operation that mixes them).
    frame = pl.concat([frames[i] for i in present]).rechunk()
    del frames
    # (In one chunk: a gather from a table cut into chunks looks each row's chunk up.)
    table = pl.concat(tables).drop("_start").rechunk()
    names = pl.Series([r.facts.display for r in reads], dtype=pl.String).cast(pl.Categorical)
    # Gathered as one frame: one pass over the codes for every column (gathering column
    # by column would convert the codes into indices once per column).
    decoded = table[frame.get_column("_code")]
    frame = pl.concat(
        [
            frame.select("line", "entry", "seq", "local_time"),
            decoded,
            frame.select(
                "message",
                "cut",
                file=pl.lit(names).gather(pl.col("file_index")),
                file_index="file_index",
            ),
        ],
        how="horizontal",
    )
    frame = _epochs(frame)
    frame = frame.with_columns(
        node=pl.lit(source.name, pl.String).cast(pl.Categorical),
        event=pl.when(pl.col("is_entry")).then(pl.lit("")).otherwise(pl.lit("unparsed")),
    )
    result = account(source.name, frame, facts_list, total_lines, sorted_epochs=True)
    result.frame = frame.with_row_index("row").with_columns(bsr_columns()).select(ENTRY_COLUMNS)
    if result.unparsed:
        share = result.unparsed / max(result.rows, 1)
        notices.warn(
            Msg(
                "{count} line(s) are not BSR entries ({share}); kept as event=unparsed",
                count=result.unparsed,
                share=f"{share:.1%}",
            ),
            source.name,
        )
    if result.bad_time:
        notices.warn(
            Msg("{count} entries carry a date that does not exist", count=result.bad_time),
            source.name,
        )
    return result


def account(
    name: str,
    frame: pl.DataFrame,
    facts: list[FileFacts],
    lines: int,
    *,
    sorted_epochs: bool = False,
) -> NodeParse:
    """The counts that say every line is accounted for. ``sorted_epochs``: the frame's
    epochs only ever climb down its rows (``_epochs`` numbers them so)."""
    # Lazy, so each question copies only the columns it reads, not the whole node; and
    # not filtered at all when every row is an entry (a filter copies what it keeps).
    n_entries = int(frame["is_entry"].sum())
    entries = frame.lazy()
    if n_entries < frame.height:
        entries = entries.filter(pl.col("is_entry"))
    # Summed as Python ints: a hostile N (or two large ones) must not overflow i64.
    missing = sum(
        # One predicate: only the few matching rows are ever copied.
        frame.lazy()
        .filter(pl.col("is_entry") & pl.col("message").str.starts_with("missing log counter"))
        .select(
            pl.col("message")
            .str.extract(r"^missing log counter : ([0-9]+)", 1)
            .cast(pl.Int64, strict=False)
            .drop_nulls()
        )
        .collect()
        .to_series()
        .to_list()
    )
    seqs = entries.select("epoch", "seq")
    if frame["seq"].null_count():
        seqs = seqs.filter(pl.col("seq").is_not_null())
    seq = pl.col("seq")
    if sorted_epochs:
        # Epochs are runs of rows: the counter steps within an epoch are the steps
        # between neighbours of the same epoch, for the whole node at once; the groups
        # are cut from the runs instead of hashed.
        step = seq.diff()
        within = pl.col("epoch").diff() == 0
        steps = seqs.select(
            out_of_order=((step < 0) & within).sum(), repeats=((step <= 0) & within).any()
        )
        out_of_order, repeats = steps.collect().row(0)
        per_epoch = (
            seqs.group_by(pl.col("epoch").set_sorted(), maintain_order=True)
            .agg(first=seq.min(), last=seq.max(), n=pl.len())
            .with_columns(_repeats=pl.lit(bool(repeats)))
            .collect()
        )
    else:
        per_epoch = (
            seqs.group_by("epoch")
            .agg(
                first=seq.min(),
                last=seq.max(),
                n=pl.len(),
                out_of_order=(seq.diff() < 0).sum(),
                _repeats=(seq.diff() <= 0).any(),
            )
            .collect()
        )
        out_of_order = per_epoch["out_of_order"].sum()
    # Distinct counters: as many as counters in an epoch that only climbs (nearly all);
    # counted with a hash of every counter only in one that does not.
    rechecked = per_epoch.filter(pl.col("_repeats"))
    distinct = {epoch: n for epoch, n in per_epoch.select("epoch", "n").iter_rows()}
    if rechecked.height:
        distinct.update(
            seqs.filter(pl.col("epoch").is_in(rechecked["epoch"].implode()))
            .group_by("epoch")
            .agg(seq.n_unique())
            .collect()
            .iter_rows()
        )
    per_epoch = per_epoch.with_columns(
        distinct=pl.col("epoch").replace_strict(distinct, return_dtype=pl.UInt32)
    )
    # In Python ints: last - first + 1 overflows i64 for a hostile 19-digit counter.
    gap_lines = sum(
        last - first + 1 - distinct
        for first, last, distinct in per_epoch.select("first", "last", "distinct").iter_rows()
    )
    duplicates = int((per_epoch["n"] - per_epoch["distinct"]).sum() or 0)
    times = (
        entries.select(
            first=pl.col("local_time").min().cast(pl.Int64),
            last=pl.col("local_time").max().cast(pl.Int64),
            bad=pl.col("local_time").is_null().sum(),
            cut=pl.col("cut").sum(),
        )
        .collect()
        .row(0, named=True)
    )
    return NodeParse(
        name=name,
        frame=frame,
        files=facts,
        lines=lines,
        rows=frame.height,
        entries=n_entries,
        unparsed=frame.height - n_entries,
        lost=gap_lines + int(missing or 0),
        gap_lines=gap_lines,
        missing_reported=int(missing or 0),
        duplicates=duplicates,
        out_of_order=int(out_of_order or 0),
        epochs=int(frame["epoch"].max() or 0),
        bad_time=int(times["bad"] or 0),
        cut=int(times["cut"] or 0),
        first_time=times["first"],
        last_time=times["last"],
    )


def _not_bsr_message(source: NodeSource, facts: list[FileFacts]) -> Msg:
    """Say what the file looks like instead, so the user knows what they passed."""
    log = source.files[0]
    head = log.head(4096)
    shown = ", ".join(f.display for f in facts)
    if b"\x00" in head or control_bytes(head) > len(head) // 10:
        return Msg("{name}: {shown}: binary data, not a BSR log", name=source.name, shown=shown)
    first = head.split(b"\n", 1)[0].decode("utf-8", errors="replace").strip()
    first = "".join(ch if ch.isprintable() else "?" for ch in first)[:80]
    return Msg(
        "{name}: {shown}: no BSR log entries (first line: {first})",
        name=source.name,
        shown=shown,
        first=repr(first),
    )
