"""Stage 1d, parse (Windows event logs): a BSR Windows bundle's ``System/SystemLog.csv`` and
``ApplicationLog.csv`` -> rows beside the node's driver log.

``DumpEventLog.vbs`` writes a header ``Computer,Date,Time,RecordNumber,Log,User,
EventCodeID,SourceName,EventIdentifier,Category,EventType,Message,InsertionStrings,
ByteDataInASCII,ByteDataInHex`` and one line per event, sorted by date and time, fields
with a comma in double quotes (a double quote inside becomes two backticks). ``Date`` and
``Time`` are VBScript's ``DateValue``/``TimeValue`` in the host's locale and local zone:
``2020-10-26`` or ``10/26/2020``; ``16:25:03``, ``4:25:03 PM`` or Korean ``오후 4:25:03``.
The file is in the console's code page: UTF-8 when it decodes, else cp949 (a Korean
Windows), else Latin-1, so no byte stops the read.

Columns: :data:`correlate.schema.ENTRY_COLUMNS` plus ``fields`` (``{"event_id", "type",
"record"}``), ``program`` the event's source (``bsr``, ``Service Control Manager``),
``format`` ``eventlog-csv``, ``time_res_ns`` one second, ``event`` ``""`` (or
``unparsed`` for a line without a date and time).
"""

from __future__ import annotations

import io

import polars as pl

from correlate.read import side_rows
from correlate.read.secrets import mask_column
from correlate.read.sources import LogFile, read_bytes
from correlate.schema import ENTRY_COLUMNS

HEADER = "Computer,Date,Time,RecordNumber"
_AFTERNOON = ("PM", "오후", "午後", "下午")
_MORNING = ("AM", "오전", "午前", "上午")


def decode(raw: bytes) -> str:
    for codec in ("utf-8-sig", "cp949"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def is_event_log(raw: bytes) -> bool:
    return decode(raw[:200]).lstrip("\ufeff").startswith(HEADER)


def read_event_logs(node: str, logs: list[LogFile], first_index: int = 0) -> pl.DataFrame:
    frames = [_read_one(node, log, first_index + i) for i, log in enumerate(logs)]
    frames = [f for f in frames if f.height]
    if not frames:
        return pl.DataFrame()
    return (
        pl.concat(frames, how="vertical_relaxed")
        .sort("local_time", "file_index", "line", nulls_last=True, maintain_order=True)
        .with_row_index("row")
        .select([*ENTRY_COLUMNS, "fields"])
    )


def _read_one(node: str, log: LogFile, index: int) -> pl.DataFrame:
    text = decode(read_bytes(log)).replace("\r\n", "\n")
    table = pl.read_csv(
        io.StringIO(text),
        infer_schema=False,
        truncate_ragged_lines=True,
        quote_char='"',
    )
    if table.height == 0 or "Date" not in table.columns:
        return pl.DataFrame()
    col = pl.col
    clock = col("Time").str.strip_chars()
    pm = pl.any_horizontal([clock.str.contains(w, literal=True) for w in _AFTERNOON])
    bare = clock
    for w in (*_AFTERNOON, *_MORNING):
        bare = bare.str.replace(w, "", literal=True)
    bare = bare.str.strip_chars()
    hour = bare.str.extract(r"^(\d{1,2}):", 1).cast(pl.Int32)
    ampm = pl.any_horizontal(
        [clock.str.contains(w, literal=True) for w in (*_AFTERNOON, *_MORNING)]
    )
    hour24 = (
        pl.when(ampm & pm & (hour < 12))
        .then(hour + 12)
        .when(ampm & ~pm & (hour == 12))
        .then(0)
        .otherwise(hour)
    )
    hms = pl.format(
        "{}:{}",
        hour24.cast(pl.String).str.zfill(2),
        bare.str.extract(r"^\d{1,2}:(\d{2}:\d{2})", 1),
    )
    date = col("Date").str.strip_chars()
    iso = pl.coalesce(
        date.str.to_date("%Y-%m-%d", strict=False),
        date.str.to_date("%m/%d/%Y", strict=False),
        date.str.to_date("%d.%m.%Y", strict=False),
        date.str.to_date("%Y/%m/%d", strict=False),
    )
    local = (iso.cast(pl.String) + " " + hms).str.to_datetime(
        "%Y-%m-%d %H:%M:%S", strict=False, time_unit="ns"
    )
    n = table.height
    ok = local.is_not_null()
    frame = table.with_columns(
        local_time=local,
        program=pl.coalesce(col("SourceName"), pl.lit("eventlog"))
        if "SourceName" in table.columns
        else pl.lit("eventlog"),
        message=(col("Message") if "Message" in table.columns else pl.lit(""))
        .fill_null("")
        .str.replace_all("``", '"', literal=True),
        stamp=pl.format("{} {}", col("Date"), col("Time")),
        level=(col("EventType") if "EventType" in table.columns else pl.lit(None, pl.String)),
    )
    frame = frame.with_columns(
        **side_rows.defaults(log.display, index, n, first_line=2),
        node=pl.lit(node, pl.String),
        level_num=pl.lit(None, pl.Int8),
        function=pl.lit(None, pl.String),
        thread=pl.lit(None, pl.String),
        platform=pl.lit("windows"),
        event=pl.when(ok).then(pl.lit("")).otherwise(pl.lit("unparsed")),
        fields=pl.struct(
            event_id=col("EventCodeID") if "EventCodeID" in table.columns else pl.lit(None),
            type=col("EventType") if "EventType" in table.columns else pl.lit(None),
            record=col("RecordNumber"),
        ).struct.json_encode(),
        host=col("Computer"),
        format=pl.when(ok).then(pl.lit("eventlog-csv")).otherwise(pl.lit("unparsed")),
    )
    frame = mask_column(frame, "message")
    return frame.select([c for c in ENTRY_COLUMNS if c != "row"] + ["fields"])
