"""Stage 1, parse: a node's log files -> the entries frame, one row per log entry.

Nothing is dropped: a physical line that is not a BSR entry becomes a row with
``event = "unparsed"``; a physical line holding several entries (as pasted into
documents, or when the driver cut a line at 511 bytes and lost its line end) becomes
several rows sharing ``line`` and numbered by ``entry``.

The grammar is fixed up to the message (``../shared/docs/bsr-log-format.md``)::

    00000063 10/26/2020 16:25:06.3224961 [func] [CAT:idx] bsr_info<6> <object><message>

so the header is cut with literal ``find`` offsets and slices over whole columns; regular
expressions run only on the few distinct object prefixes (and on the rare line whose
header is not ASCII). Object prefixes come in a Windows and a Linux style:

============  =====================================================  ==========================
object        Windows                                                Linux
============  =====================================================  ==========================
none          ``[0xFFFFE0012A6BD880] ``                              ``bsr ``
resource      ``bsr r0, r(Secondary), f(0x0), scf(0x82a): ``         ``bsr r0: ``
connection    ``bsr r0 pnode-id:1, cs(..), prole(..), cflag, scf: ``  ``bsr r0 <peer-host>: ``
device        ``bsr r0/0 minor 2, ds(UpToDate), dvflag(0x0): ``      ``bsr r0/0 bsr2: ``
peer_device   ``bsr r0/0 minor 2 pnode-id:1, pdsk(..), prpl(..), ..``  ``bsr r0/0 bsr2 <host>: ``
============  =====================================================  ==========================

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
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import polars as pl

from .errors import InputError, Notices
from .sources import LogFile, NodeSource, read_bytes

DATE = r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d\.\d{7}"
ENTRY_AT_START = rf"^\d{{8,}} {DATE} \["
# An entry start anywhere but at position 0 of the text: searched for from the second
# character (twice as fast as a leading "." the regex engine would try at every place).
ENTRY_INSIDE = rf"\d{{8}} {DATE} \["
# Split points: after a space (or at the start) the counter may be wider than 8 digits;
# glued to a cut line's last character it is taken as exactly 8 digits.
SPLIT = rf"(^| )(\d{{8,}} {DATE} \[)|(\d{{8}} {DATE} \[)"
TIME_FORMAT = "%m/%d/%Y %H:%M:%S%.f"
BSR_LINE_LIMIT = 511
HUGE_LINE = 1 << 20
# A counter that falls back by more than this, or to a value this small, is a driver
# load (a new epoch) rather than a line written out of order.
RESTART_SLACK = 100
# datetime[ns] holds 1677-09-21 .. 2262-04-11; a year outside it would wrap silently.
YEAR_RANGE = (1678, 2261)
I32_MAX = 2**31 - 1

LEVELS = {
    "bsr_crit": "crit",
    "bsr_erro": "erro",
    "bsr_warn": "warn",
    "bsr_info": "info",
    "bsr_trac": "trac",
    "bsr_unkn": "unkn",
}

_HEX = r"0x[0-9A-Fa-f]+"
_W_RESOURCE = re.compile(rf"^bsr (\S+?), r\((\w*)\), f\({_HEX}\), scf\({_HEX}\): ")
_W_CONNECTION = re.compile(
    rf"^bsr (\S+?) pnode-id:(-?\d+), "
    rf"(cs\((\w*)\), prole\((\w*)\), cflag\({_HEX}\), scf\({_HEX}\)): "
)
_W_DEVICE = re.compile(rf"^bsr (\S+?)/(\d+) minor (\d+), (ds\((\w*)\), dvflag\({_HEX}\)): ")
_W_PEER_DEVICE = re.compile(
    rf"^bsr (\S+?)/(\d+) minor (\d+) pnode-id:(-?\d+), "
    rf"(pdsk\((\w*)\), prpl\((\w*)\), pdvflag\({_HEX}\)): "
)
_W_NONE = re.compile(rf"^\[({_HEX})\] ")
_L_PEER_DEVICE = re.compile(r"^bsr (\S+)/(\d+) bsr(\d+) (\S+): ")
_L_DEVICE = re.compile(r"^bsr (\S+)/(\d+) bsr(\d+): ")
_L_CONNECTION = re.compile(r"^bsr (\S+) (\S+): ")
_L_RESOURCE = re.compile(r"^bsr (\S+): ")
_W_RESOURCE_STATE = re.compile(
    r"^bsr \S+?, (r\(\w*\), f\(0x[0-9A-Fa-f]+\), scf\(0x[0-9A-Fa-f]+\)): "
)
MISSING = re.compile(r"^missing log counter : (\d+)")

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

ENTRY_COLUMNS = [
    "node",
    "row",
    "file",
    "file_index",
    "line",
    "entry",
    "seq",
    "epoch",
    "lost_before",
    "local_time",
    "level",
    "level_num",
    "category",
    "index",
    "function",
    "object",
    "resource",
    "volume",
    "minor",
    "peer_id",
    "peer_host",
    "thread",
    "object_state",
    "platform",
    "message",
    "cut",
    "event",
    # What kernel logs bring (correlate.kernparse); BSR's own lines fill constants.
    "program",
    "host",
    "format",
    "time_res_ns",
    "cause",
]


def bsr_columns() -> list[pl.Expr]:
    """The columns kernel logs bring, for BSR's own lines: program ``bsr``, format
    ``bsr``, the 100 ns BSR writes (7 fraction digits, truncated)."""
    return [
        pl.lit("bsr", pl.String).cast(pl.Categorical).alias("program"),
        pl.lit(None, pl.String).alias("host"),
        pl.lit("bsr", pl.String).cast(pl.Categorical).alias("format"),
        pl.lit(100, pl.Int64).alias("time_res_ns"),
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
class NodeParse:
    """A node's entries frame and the counts that account for every line."""

    name: str
    frame: pl.DataFrame
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
    bad_time: int = 0
    cut: int = 0
    first_time: int | None = None
    last_time: int | None = None
    host: str | None = None  # kernel logs: the host the lines came from
    uptime_only: bool = False  # kernel logs with monotonic stamps and no wall clock


def _read_lines(log: LogFile, facts: FileFacts) -> pl.DataFrame:
    """Physical lines as a string column; CR LF and LF both end a line.

    polars reads a file by path at about a gigabyte a second; bytes that are not UTF-8
    make it refuse the whole file, so only then is the file decoded with replacement
    characters (and the lines that needed it are counted).
    """
    source = log.path if log.data is None else log.data
    try:
        frame = pl.read_lines(source, name="text")
    except pl.exceptions.ComputeError:
        raw = read_bytes(log)
        before = raw.count("\ufffd".encode())
        fixed = raw.decode("utf-8", errors="replace").encode("utf-8")
        frame = pl.read_lines(fixed, name="text")
        after = frame.select(pl.col("text").str.contains("\ufffd", literal=True).sum()).item()
        facts.replaced_lines = int(after) if after > before else 0
    return frame


def read_file(log: LogFile, notices: Notices, node: str) -> tuple[pl.DataFrame, FileFacts]:
    """One file -> rows of (file, line, entry, text) plus the header columns."""
    facts = FileFacts(display=log.display, bytes=log.size, truncated=log.truncated)
    frame = _read_lines(log, facts)
    facts.lines = frame.height
    if frame.height == 0:
        return _header_columns(frame.with_columns(line=pl.lit(0, pl.UInt32))), facts
    frame = frame.with_row_index("line", offset=1)
    lengths = frame.select(
        nul=pl.col("text").str.contains("\x00", literal=True).sum(),
        longest=pl.col("text").str.len_bytes().max(),
        longest_line=pl.col("line").get(pl.col("text").str.len_bytes().arg_max()),
    ).row(0, named=True)
    facts.nul_lines = int(lengths["nul"] or 0)
    facts.longest = int(lengths["longest"] or 0)
    facts.longest_line = int(lengths["longest_line"] or 0)
    if facts.nul_lines:
        # NUL runs appear where a crash left preallocated file space unwritten.
        frame = frame.with_columns(pl.col("text").str.replace_all("\x00", "", literal=True))
    # CRs at the end of a line that read_lines left (a CR CR LF, a CR at the end of the
    # file, a CR before NULs that sat before the LF) are line-end debris, not text.
    frame = frame.with_columns(pl.col("text").str.strip_chars_end("\r"))
    frame = _split_entries(frame)
    frame = _header_columns(frame)
    facts.rows = frame.height
    facts.entries = int(frame["is_entry"].sum())
    first = frame.filter(pl.col("is_entry") & pl.col("local_time").is_not_null()).head(1)
    if first.height:
        facts.first_time = first["local_time"].cast(pl.Int64)[0]
        facts.first_seq = first["seq"][0]
    if facts.replaced_lines:
        notices.warn(
            f"{log.display}: {facts.replaced_lines} line(s) were not valid UTF-8; "
            "the bad bytes are shown as U+FFFD",
            node,
        )
    if facts.longest > HUGE_LINE:
        notices.warn(
            f"{log.display}: line {facts.longest_line} is {facts.longest / 2**20:.1f} MiB long "
            f"(BSR writes at most {BSR_LINE_LIMIT} bytes a line); kept whole",
            node,
        )
    if facts.nul_lines:
        notices.note(f"{log.display}: NUL bytes removed from {facts.nul_lines} line(s)", node)
    return frame, facts


def _split_entries(frame: pl.DataFrame) -> pl.DataFrame:
    """Give every entry its own row; lines with one entry (nearly all) pass untouched."""
    multi = frame.select(
        pl.col("text").str.slice(1).str.contains(ENTRY_INSIDE).fill_null(False)
    ).to_series()
    if not multi.any():
        return frame.with_columns(entry=pl.lit(0, pl.UInt32))
    single = frame.filter(~multi).with_columns(entry=pl.lit(0, pl.UInt32))
    pieces = (
        frame.filter(multi)
        .with_columns(pl.col("text").str.replace_all(SPLIT, "$1\n$2$3").str.split("\n"))
        .explode("text")
        # The separator space of a pasted line belongs to neither entry.
        .with_columns(pl.col("text").str.strip_suffix(" "))
        .filter(pl.col("text") != "")
        .with_columns(entry=pl.int_range(pl.len(), dtype=pl.UInt32).over("line"))
    )
    return pl.concat([single, pieces.select(single.columns)]).sort("line", "entry")


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
    has_num = pl.col("_lt").str.contains(r"^<\d>")
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
    head = rf"^(\d{{8,}}) ({DATE}) \[([^\]]*)\] \[([^\]]*)\] (bsr_\w{{4}})(<\d> )?"
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


def _i32(digits: str) -> int | None:
    """A volume, minor or node id from a prefix; one too large for the column is unknown."""
    value = int(digits)
    return value if -I32_MAX <= value <= I32_MAX else None


def _decode_prefix(cand: str, known: set[str]) -> dict:
    if m := _W_NONE.match(cand):
        return _obj(cand, "none", "windows", m.end(), thread=m.group(1))
    if m := _W_PEER_DEVICE.match(cand):
        return _obj(
            cand,
            "peer_device",
            "windows",
            m.end(),
            resource=m.group(1),
            volume=_i32(m.group(2)),
            minor=_i32(m.group(3)),
            peer_id=_i32(m.group(4)),
            object_state=m.group(5),
        )
    if m := _W_DEVICE.match(cand):
        return _obj(
            cand,
            "device",
            "windows",
            m.end(),
            resource=m.group(1),
            volume=_i32(m.group(2)),
            minor=_i32(m.group(3)),
            object_state=m.group(4),
        )
    if m := _W_CONNECTION.match(cand):
        return _obj(
            cand,
            "connection",
            "windows",
            m.end(),
            resource=m.group(1),
            peer_id=_i32(m.group(2)),
            object_state=m.group(3),
        )
    if m := _W_RESOURCE.match(cand):
        state = _W_RESOURCE_STATE.match(cand)
        return _obj(
            cand,
            "resource",
            "windows",
            m.end(),
            resource=m.group(1),
            object_state=state.group(1) if state else None,
        )
    if m := _L_PEER_DEVICE.match(cand):
        return _obj(
            cand,
            "peer_device",
            "linux",
            m.end(),
            resource=m.group(1),
            volume=_i32(m.group(2)),
            minor=_i32(m.group(3)),
            peer_host=m.group(4),
        )
    if m := _L_DEVICE.match(cand):
        return _obj(
            cand,
            "device",
            "linux",
            m.end(),
            resource=m.group(1),
            volume=_i32(m.group(2)),
            minor=_i32(m.group(3)),
        )
    # "bsr r0 alpha: " and "bsr r0: " are only prefixes when r0 is a resource this node
    # names elsewhere; otherwise they are a prefix-less message that happens to hold ": ".
    m = _L_CONNECTION.match(cand)
    if m and m.group(1) in known:
        return _obj(cand, "connection", "linux", m.end(), resource=m.group(1), peer_host=m.group(2))
    m = _L_RESOURCE.match(cand)
    if m and m.group(1) in known:
        return _obj(cand, "resource", "linux", m.end(), resource=m.group(1))
    if cand.startswith("bsr "):
        return _obj(cand, "none", "linux", 4)
    return _obj(cand, "none", None, 0)


def _known_resources(cands: list[str]) -> set[str]:
    known: set[str] = set()
    for cand in cands:
        for pattern in (
            _W_PEER_DEVICE,
            _W_DEVICE,
            _W_CONNECTION,
            _W_RESOURCE,
            _L_PEER_DEVICE,
            _L_DEVICE,
        ):
            m = pattern.match(cand)
            if m:
                known.add(m.group(1))
                break
    if not known:
        # A Linux log with no device lines at all: trust the resource-style prefixes.
        for cand in cands:
            m = _L_RESOURCE.match(cand) or _L_CONNECTION.match(cand)
            if m:
                known.add(m.group(1))
    return known


def _object_columns(frames: list[pl.DataFrame]) -> tuple[list[str], pl.DataFrame]:
    """The node's distinct object prefixes and their decoding, string fields as categories."""
    cands = (
        pl.concat([f.select(pl.col("_cand").drop_nulls().unique()) for f in frames])
        .unique()
        .sort("_cand")
        .to_series()
        .to_list()
    )
    table = _object_table(cands, _known_resources(cands)).drop("cand")
    table = table.with_columns(pl.col(pl.String).cast(pl.Categorical))
    return cands, table


def _objects(frame: pl.DataFrame, cands: list[str], table: pl.DataFrame) -> pl.DataFrame:
    """One file's rows: object columns from the node's prefix table, and the message."""
    # Each row's place in the table, then the table's columns gathered by it: a join
    # would copy every column of the frame.
    place = frame.select(
        pl.col("_cand").replace_strict(
            cands, list(range(len(cands))), default=None, return_dtype=pl.UInt32
        )
    ).to_series()
    frame = frame.with_columns([column.gather(place) for column in table.get_columns()])
    # One slice for every row (unparsed rows from 0): a slice by a column copies the
    # text, and a when/otherwise over two string columns would copy it once more.
    start = (
        pl.when(pl.col("is_entry"))
        .then(pl.col("_off") + pl.col("prefix_len").fill_null(0))
        .otherwise(0)
    )
    return frame.with_columns(
        object=pl.when(pl.col("is_entry")).then(pl.col("object").fill_null("none")),
        message=pl.col("text").str.slice(start),
        cut=pl.col("text").str.len_bytes() >= BSR_LINE_LIMIT - 2,
    ).drop("_cand", "_off", "prefix_len", "text")


def _epochs(frame: pl.DataFrame) -> pl.DataFrame:
    """Epochs (a counter restart is a driver load) and counter gaps (lost lines)."""
    prev = pl.col("seq").forward_fill().shift(1)
    restart = (
        pl.col("seq").is_not_null()
        & prev.is_not_null()
        & (pl.col("seq") < prev)
        & ((pl.col("seq") <= RESTART_SLACK) | (prev - pl.col("seq") > RESTART_SLACK))
    )
    frame = frame.with_columns(
        epoch=(restart.cum_sum().cast(pl.UInt32) + 1),
    )
    gap = pl.col("seq") - pl.col("seq").forward_fill().shift(1).over("epoch") - 1
    return frame.with_columns(
        lost_before=pl.when(pl.col("seq").is_not_null() & (gap > 0)).then(gap).otherwise(0),
    )


def _read_files(source: NodeSource) -> list[tuple[pl.DataFrame, FileFacts, Notices]]:
    """Every file of the node, several at once: one string operation of polars runs on
    one core, and a node's files are independent until they are put in order. Each file's
    notices are kept apart and handed on in file order, so the output does not depend on
    which thread finished first."""

    def one(log: LogFile) -> tuple[pl.DataFrame, FileFacts, Notices]:
        said = Notices()
        frame, facts = read_file(log, said, source.name)
        return frame, facts, said

    workers = min(len(source.files), os.cpu_count() or 1)
    if workers <= 1:
        return [one(log) for log in source.files]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, source.files))


def parse_node(source: NodeSource, notices: Notices) -> NodeParse:
    """All of a node's files -> one entries frame in content order, with the counts."""
    read: list[tuple[pl.DataFrame, FileFacts]] = []
    for log, (frame, facts, said) in zip(source.files, _read_files(source), strict=True):
        notices.items.extend(said.items)
        if facts.lines == 0:
            notices.warn(f"{log.display}: empty file", source.name)
        read.append((frame, facts))
    # Order by content: a rotated set copied around loses its names' meaning, and BSR's
    # rotated names sort the same as their contents only when nothing was renamed.
    read.sort(
        key=lambda fr: (
            fr[1].first_time is None,
            fr[1].first_time or 0,
            fr[1].first_seq or 0,
            fr[1].display,
        )
    )
    facts_list = [facts for _, facts in read]
    total_lines = sum(f.lines for f in facts_list)
    if total_lines == 0:
        shown = ", ".join(f.display for f in facts_list)
        raise InputError(f"{source.name}: {shown}: empty file; nothing to read")
    entries = sum(int(fr["is_entry"].sum()) for fr, _ in read if fr.height)
    if entries == 0:
        raise InputError(_not_bsr_message(source, read))
    cands, table = _object_columns([fr for fr, _ in read if fr.height])
    # File by file, each file's text let go as soon as its messages are cut from it, so
    # the whole node's text and its messages are never held at once.
    frames = []
    for i, (fr, facts) in enumerate(read):
        if fr.height:
            fr = fr.with_columns(
                # A category: one file name repeated on every row costs four bytes a row.
                file=pl.lit(facts.display, pl.String).cast(pl.Categorical),
                file_index=pl.lit(i, pl.UInt32),
            )
            frames.append(_objects(fr, cands, table))
        read[i] = (fr.clear(), facts)
    frame = pl.concat(frames, how="vertical_relaxed")
    del frames
    frame = _epochs(frame)
    frame = frame.with_columns(
        node=pl.lit(source.name, pl.String).cast(pl.Categorical),
        event=pl.when(pl.col("is_entry")).then(pl.lit("")).otherwise(pl.lit("unparsed")),
    )
    result = _account(source.name, frame, facts_list, total_lines)
    result.frame = frame.with_row_index("row").with_columns(bsr_columns()).select(ENTRY_COLUMNS)
    if result.unparsed:
        share = result.unparsed / max(result.rows, 1)
        notices.warn(
            f"{result.unparsed} line(s) are not BSR entries ({share:.1%}); kept as event=unparsed",
            source.name,
        )
    if result.bad_time:
        notices.warn(f"{result.bad_time} entries carry a date that does not exist", source.name)
    return result


def _account(name: str, frame: pl.DataFrame, facts: list[FileFacts], lines: int) -> NodeParse:
    """The counts that say every line is accounted for."""
    # Lazy, so each question copies only the columns it reads, not the whole node.
    entries = frame.lazy().filter(pl.col("is_entry"))
    n_entries = int(frame["is_entry"].sum())
    # Summed as Python ints: a hostile N (or two large ones) must not overflow i64.
    missing = sum(
        # One predicate: only the few matching rows are ever copied.
        frame.lazy()
        .filter(pl.col("is_entry") & pl.col("message").str.starts_with("missing log counter"))
        .select(
            pl.col("message")
            .str.extract(r"^missing log counter : (\d+)", 1)
            .cast(pl.Int64, strict=False)
            .drop_nulls()
        )
        .collect()
        .to_series()
        .to_list()
    )
    per_epoch = (
        entries.filter(pl.col("seq").is_not_null())
        .group_by("epoch")
        .agg(
            first=pl.col("seq").min(),
            last=pl.col("seq").max(),
            distinct=pl.col("seq").n_unique(),
            n=pl.len(),
            out_of_order=(pl.col("seq").diff() < 0).sum(),
        )
        .collect()
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
        out_of_order=int(per_epoch["out_of_order"].sum() or 0),
        epochs=int(frame["epoch"].max() or 0),
        bad_time=int(times["bad"] or 0),
        cut=int(times["cut"] or 0),
        first_time=times["first"],
        last_time=times["last"],
    )


def _not_bsr_message(source: NodeSource, read: list[tuple[pl.DataFrame, FileFacts]]) -> str:
    """Say what the file looks like instead, so the user knows what they passed."""
    log = source.files[0]
    head = log.head(4096)
    shown = ", ".join(f.display for _, f in read)
    if b"\x00" in head or sum(b < 9 or 13 < b < 32 for b in head) > len(head) // 10:
        return f"{source.name}: {shown}: binary data, not a BSR log"
    first = head.split(b"\n", 1)[0].decode("utf-8", errors="replace").strip()
    first = "".join(ch if ch.isprintable() else "?" for ch in first)[:80]
    return f"{source.name}: {shown}: no BSR log entries (first line: {first!r})"
