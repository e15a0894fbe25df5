"""The timeline's columns, written once: the output contract of ``timeline.parquet`` and
``timeline.csv``, in their order, each with the stage that makes it and what it holds.

The read stage (correlate/read: BSR's reader and the kernel-log dialects) hands over
:data:`ENTRY_COLUMNS`, one frame shape whatever the dialect; the events stage adds
``fields`` (and fills ``event``); the timeline stage adds ``offset_s``, ``time`` and
``step`` and writes :data:`TIMELINE_COLUMNS`. README's Output table lists the same
columns, and a test holds the two together.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Stage(StrEnum):
    READ = "read"
    EVENTS = "events"
    TIMELINE = "timeline"


@dataclass(frozen=True)
class Column:
    name: str
    stage: Stage
    meaning: str


R, E, T = Stage.READ, Stage.EVENTS, Stage.TIMELINE

COLUMNS: tuple[Column, ...] = (
    Column("node", R, "node name"),
    Column("file", R, "the file as given (dir/bsr.log, archive.zip:node0/bsr.log)"),
    Column("line", R, "1-based physical line in file"),
    Column("entry", R, "0-based entry within that physical line"),
    Column("seq", R, "the entry's counter"),
    Column("epoch", R, "driver load (BSR) or boot (kernel logs) number within the node, from 1"),
    Column("local_time", R, "the time as the node wrote it"),
    Column("offset_s", T, "the offset applied: node clock minus reference clock, seconds"),
    Column("time", T, "the row's time on the reference node's clock"),
    Column("level", R, "crit/erro/warn/info/trac/unkn"),
    Column("level_num", R, "the level's <n> digit"),
    Column("category", R, "BSR's message category (RESYNC/OV)"),
    Column("index", R, "BSR's message index within its category"),
    Column("function", R, "the C function that logged"),
    Column("object", R, "who logged: none, resource, connection, device, peer_device"),
    Column("resource", R, "the resource, from the object prefix"),
    Column("volume", R, "the volume, from the object prefix"),
    Column("minor", R, "the device minor, from the object prefix"),
    Column("peer_id", R, "the peer's node id (Windows prefixes)"),
    Column("peer_host", R, "the peer's host or connection name (Linux prefixes)"),
    Column("thread", R, "Windows none-object lines: the kernel thread pointer"),
    Column("object_state", R, "Windows prefixes: the object's states before the change"),
    Column("platform", R, "windows or linux, from the prefix style"),
    Column("event", R, "the event kind, unparsed, or empty for a routine line"),
    Column("fields", E, "the event's fields as JSON, or empty"),
    Column("message", R, "the message (for unparsed rows, the whole text)"),
    Column("cut", R, "the line reached BSR's 511-byte limit and may be truncated"),
    Column("lost_before", R, "counter gap just before this entry (lines the driver lost)"),
    Column("file_index", R, "the file's place in the node's content order (0 = oldest)"),
    Column("row", R, "the entry's place in its node's own order (0-based): a stable id"),
    Column("program", R, "the program that logged (bsr, kernel, systemd, pacemaker, ...)"),
    Column("host", R, "the host the line's syslog or journal names"),
    Column("format", R, "the line format (bsr, syslog, rfc3339, dmesg, journal-json, ...)"),
    Column("time_res_ns", R, "how wide the line's stamp leaves its time open, ns"),
    Column("stamp", R, "the line's time stamp as written, to grep the log by"),
    Column("cause", R, "a kernel line's cause suffix ([connecting], [incusd:4026 ...])"),
    Column("step", T, "on rows a clock step may lie on either side of: the step's number"),
)

TIMELINE_COLUMNS: list[str] = [c.name for c in COLUMNS]
# The read stage's frame: every column it makes, in the contract's order.
ENTRY_COLUMNS: list[str] = [c.name for c in COLUMNS if c.stage is Stage.READ]
