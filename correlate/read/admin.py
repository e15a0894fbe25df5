"""Stage 1c, parse (CLI logs): BSR's ``bsradm.log*``, ``bsrsetup.log*``, ``bsrmeta.log*`` ->
one frame of a node's admin rows.

Each CLI invocation writes (``bsrtool_common.c``: ``bsr_log_format``, ``bsr_exec_log``,
``bsr_done_log``)::

    2024/03/05 14:02:11 bsr_info [ppids:bash(4711),sshd(4702)][pid:4720][func:main]
        [line:3845][cmd:up] execution command, bsradm up r0
    2024/03/05 14:02:12 bsr_info [ppids:bash(4711),sshd(4702)][pid:4720][func:main]
        [line:4128][cmd:up] done, rv(0)

(one line each, wrapped here)
a stamp in the host's local time to the second, the level, the parents (up to ten, the
nearest first: whose shell, or Pacemaker, ran it), the pid, the C function and line, the
subcommand, then the text. ``bsrsetup`` writes no ``done`` line, and ``bsradm`` none when
a child failed and it exited early.

Columns: :data:`correlate.schema.ENTRY_COLUMNS` plus ``fields`` (the events stage's column,
filled here: admin rows have no driver template to classify) with ``event``
``admin_command`` (``{"command", "subcommand", "pid", "caller": [{"name", "pid"}]}``),
``admin_done`` (``{"rv", "pid", "subcommand"}``), ``""`` for the tools' other lines and
``unparsed`` for lines without this structure. ``program`` is the tool, from the file's
name; ``format`` ``bsr-cli``; ``time_res_ns`` one second. ``row`` is numbered from 0 within
these rows; the timeline stage places them after the node's driver rows.
"""

from __future__ import annotations

import re

import polars as pl

from correlate.read import side_rows
from correlate.read.secrets import mask_column
from correlate.read.sources import LogFile, read_bytes
from correlate.schema import ENTRY_COLUMNS

LINE = (
    r"^(?P<stamp>\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}) bsr_(?P<level>erro|warn|info|trac|unkn) "
    r"(?:\[ppids:(?P<ppids>[^\]]*)\])?\[pid:(?P<pid>\d+)\]\[func:(?P<func>[^\]]*)\]"
    r"\[line:(?P<cline>\d+)\]\[cmd:(?P<sub>[^\]]*)\] ?(?P<body>.*)$"
)
_LEVEL_NUM = {"erro": 3, "warn": 4, "info": 6, "trac": 7, "unkn": 5}
_PROGRAM = re.compile(r"(bsradm|bsrsetup|bsrmeta)\.log")
SECOND_NS = side_rows.SECOND_NS
HEADER_WORDS = ["level", "function", "program", "format", "event", "file"]


def program_of(display: str) -> str:
    m = _PROGRAM.search(display.rsplit("/", 1)[-1].rsplit(":", 1)[-1])
    return m.group(1) if m else "bsr-cli"


def read_admin(node: str, logs: list[LogFile]) -> pl.DataFrame:
    """The node's CLI logs -> admin rows, in file order then line order (the files'
    stamps order them later, on the timeline)."""
    frames = [_read_one(node, log, i) for i, log in enumerate(logs)]
    frames = [f for f in frames if f.height]
    if not frames:
        return empty()
    frame = pl.concat(frames, how="vertical_relaxed").sort(
        "_t", "file_index", "line", nulls_last=True, maintain_order=True
    )
    return frame.drop("_t").with_row_index("row").select([*ENTRY_COLUMNS, "fields"])


def empty() -> pl.DataFrame:
    return _shape(pl.DataFrame({"text": []}, schema={"text": pl.String}), "", "", 0).drop("_t")


def _read_one(node: str, log: LogFile, index: int) -> pl.DataFrame:
    raw = read_bytes(log)
    text = raw.decode("utf-8", errors="replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    frame = pl.DataFrame({"text": lines}, schema={"text": pl.String}).with_columns(
        pl.col("text").str.strip_suffix("\r")
    )
    return _shape(frame, log.display, program_of(log.display), index)


def _shape(frame: pl.DataFrame, display: str, program: str, index: int) -> pl.DataFrame:
    parts = frame.select(
        pl.col("text"),
        pl.col("text").str.extract_groups(LINE).alias("g"),
    ).unnest("g")
    ok = pl.col("stamp").is_not_null()
    text = pl.col("text")
    body = pl.col("body")
    command = body.str.strip_prefix("execution command,").str.strip_chars()
    is_cmd = ok & body.str.starts_with("execution command,")
    rv = body.str.extract(r"^done, rv\((-?\d+)\)", 1).cast(pl.Int64, strict=False)
    is_done = ok & rv.is_not_null()
    caller = (
        pl.col("ppids")
        .str.extract_all(r"[^,()]+\(\d+\)")
        .list.eval(
            pl.struct(
                name=pl.element().str.extract(r"^(.*)\(\d+\)$", 1).str.strip_chars(),
                pid=pl.element().str.extract(r"\((\d+)\)$", 1).cast(pl.Int64),
            )
        )
    )
    local = pl.col("stamp").str.to_datetime("%Y/%m/%d %H:%M:%S", strict=False, time_unit="ns")
    out = parts.with_columns(
        local_time=local,
        pid=pl.col("pid").cast(pl.Int64, strict=False),
    )
    out = out.with_columns(
        event=pl.when(is_cmd)
        .then(pl.lit("admin_command"))
        .when(is_done)
        .then(pl.lit("admin_done"))
        .when(ok)
        .then(pl.lit(""))
        .otherwise(pl.lit("unparsed")),
        fields=pl.when(is_cmd)
        .then(
            pl.struct(
                command=command,
                subcommand=pl.col("sub"),
                pid=pl.col("pid"),
                caller=caller,
            ).struct.json_encode()
        )
        .when(is_done)
        .then(pl.struct(rv=rv, pid=pl.col("pid"), subcommand=pl.col("sub")).struct.json_encode())
        .otherwise(pl.lit("")),
        message=pl.when(ok).then(body).otherwise(text),
    )
    n = out.height
    out = out.with_columns(
        **side_rows.defaults(display, index, n),
        node=pl.lit(None, pl.String),
        level=pl.when(ok).then(pl.col("level")),
        level_num=pl.col("level").replace_strict(_LEVEL_NUM, default=None, return_dtype=pl.Int8),
        function=pl.col("func"),
        thread=pl.col("pid").cast(pl.String),
        platform=pl.lit(None, pl.String),
        program=pl.lit(program, pl.String),
        host=pl.lit(None, pl.String),
        format=pl.when(ok).then(pl.lit("bsr-cli")).otherwise(pl.lit("unparsed")),
        _t=pl.col("local_time").forward_fill().backward_fill(),
    )
    out = mask_column(out, "message")
    out = mask_column(out, "fields")
    return out.select([c for c in ENTRY_COLUMNS if c != "row"] + ["fields", "_t"])
