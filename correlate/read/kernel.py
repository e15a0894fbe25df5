"""Stage 1b, parse (kernel logs): a source's DRBD / WinDRBD kernel-log files -> one
entries frame per host, in the same shape as BSR's (:data:`correlate.schema.ENTRY_COLUMNS`).

:mod:`correlate.read.kernlog` reads each file into rows (format, host, program, stamps, the
line's clock and its resolution, the DRBD object prefix); this stage gathers one host's
rows across the source's files (rotated syslog files: in content order), numbers them
(``row``), counts boots as epochs, and fills the entries columns BSR's parser fills:

* ``category``, ``index`` null (DRBD writes no template key; the events stage recognises
  DRBD lines by text), ``thread`` the printk caller id, ``platform`` ``linux`` for DRBD
  lines (``windows`` for WinDRBD's Windows-style prefixes);
* ``event`` ``unparsed`` only for text with no recognisable line structure (and empty
  lines); other programs' lines (systemd, Pacemaker, LINSTOR, other kernel subsystems)
  are entries with their ``program``: context on the timeline, not garbage;
* the columns every entries frame has: ``program`` (``kernel``, ``systemd``, ...;
  ``bsr`` for BSR's own logs), ``host``, ``format`` (the line format detected),
  ``time_res_ns`` (how far the line's ``local_time`` may be from the true time), ``cause``
  (DRBD 9.2's ``[connecting]``-style tag).

A file that holds several hosts' lines (a central syslog) gives one node per host, named
by the host; a file of one host keeps its source's name.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from correlate.errors import InputError, Notices
from correlate.i18n import Msg
from correlate.read.bsr import HEADER_WORDS, FileFacts, NodeParse, account
from correlate.read.kernlog import read_kernel_file
from correlate.read.sources import LogFile, NodeSource
from correlate.schema import ENTRY_COLUMNS


@dataclass
class _Host:
    host: str | None
    parts: list[tuple[pl.DataFrame, FileFacts]]


def parse_kernel_source(
    source: NodeSource, notices: Notices, year: int | None = None
) -> list[NodeParse]:
    """The source's kernel-log files -> one :class:`NodeParse` per host they hold."""
    hosts: dict[str | None, _Host] = {}
    for log in source.files:
        for hf in read_kernel_file(log, notices, source.name, year):
            if hf.frame.height == 0 and hf.facts.lines == 0 and len(source.files) > 1:
                continue  # an empty file among others (warned): no host of its own
            hosts.setdefault(hf.host, _Host(hf.host, [])).parts.append((hf.frame, hf.facts))
    named = [h for h in hosts if h is not None]
    if source.named and len(named) > 1:
        raise InputError(
            Msg(
                "{spec}: holds the lines of {count} hosts ({join}); NAME=SRC names one "
                "node: give it without NAME= to get one node per host",
                spec=source.spec,
                count=len(named),
                join=", ".join(named),
            )
        )
    if not any(
        frame.height and frame["is_drbd"].any() for g in hosts.values() for frame, _ in g.parts
    ):
        # A kernel log, but of nothing DRBD did: most likely the wrong file.
        first = _first_line(source)
        shown = ", ".join(f.display for f in source.files)
        raise InputError(
            Msg(
                "{name}: {shown}: no BSR log entries and no DRBD lines in this kernel "
                "log (first line: {first})",
                name=source.name,
                shown=shown,
                first=f"{first!r}",
            )
        )
    out = []
    for host, group in hosts.items():
        if len(named) <= 1:
            name = source.name
        else:
            name = host if host is not None else f"{source.name}-no-host"
        out.append(_node(name, group, notices, source))
    # Lines no host claims, in a file of one host, belong to that host (kernlog did
    # that); here only a multi-host file can leave some, as a node of their own.
    return out


def _node(name: str, group: _Host, notices: Notices, source: NodeSource) -> NodeParse:
    # Content order across rotated files: first time, then the name.
    parts = sorted(
        group.parts,
        key=lambda p: (p[1].first_time is None, p[1].first_time or 0, p[1].display),
    )
    frames = []
    boot_offset = 0
    last_mono: int | None = None
    for i, (frame, facts) in enumerate(parts):
        if frame.height == 0:
            continue
        # A boot continues into the next rotated file unless its monotonic time falls back.
        first_mono = frame.select(pl.col("mono_ns").drop_nulls().first()).item()
        continues = last_mono is not None and first_mono is not None and first_mono >= last_mono
        shift = boot_offset - (1 if continues else 0)
        frames.append(
            frame.with_columns(
                file=pl.lit(facts.display, pl.String),
                file_index=pl.lit(i, pl.UInt32),
                epoch=(pl.col("boot").cast(pl.Int64) + shift).cast(pl.UInt32),
            )
        )
        boot_offset = shift + int(frame["boot"].max() or 1)
        last_mono = frame.select(pl.col("mono_ns").drop_nulls().last()).item() or last_mono
    facts_list = [f for _, f in parts]
    total = sum(f.lines for f in facts_list)
    if not frames:
        raise InputError(
            Msg(
                "{name}: {join}: empty file",
                name=name,
                join=", ".join(f.display for f in facts_list),
            )
        )
    frame = pl.concat(frames, how="vertical_relaxed")
    structured = ~pl.col("format").is_in(["unparsed", "empty"])
    # A line of a Windows driver's own log (WinDRBD's, WDRBD's) is a Windows line, its
    # module-level ones too (which carry no Windows-style states).
    windows = (
        (pl.col("format") == "windrbd")
        | pl.col("format").str.starts_with("wdrbd")
        | (pl.col("object_state").is_not_null() & (pl.col("object_state") != "unregistered"))
    )
    frame = frame.with_columns(
        node=pl.lit(name, pl.String).cast(pl.Categorical),
        is_entry=structured,
        lost_before=pl.lit(0, pl.Int64),
        category=pl.lit(None, pl.String),
        index=pl.lit(None, pl.Int32),
        thread=pl.col("caller"),
        platform=pl.when(pl.col("is_drbd") & windows)
        .then(pl.lit("windows"))
        .when(pl.col("is_drbd"))
        .then(pl.lit("linux")),
        event=pl.when(structured).then(pl.lit("")).otherwise(pl.lit("unparsed")),
        file=pl.col("file").cast(pl.Categorical),
    )
    result = account(name, frame, facts_list, total)
    # The header's words as categories, as BSR's reader hands them over.
    result.frame = (
        frame.with_row_index("row")
        .select(ENTRY_COLUMNS)
        .with_columns(pl.col(HEADER_WORDS).cast(pl.Categorical))
    )
    # Blank lines and a last line cut short (no line end: the file was copied while
    # written) are counted, not warned about: they hide nothing.
    blank = int(frame.select((pl.col("format") == "empty").sum()).item())
    partial = _partial_last(frame, source)
    if blank:
        notices.note(Msg("{blank} blank line(s), counted as rows", blank=blank), name)
    if partial:
        notices.note(
            Msg(
                "the last line of {partial} file(s) has no line end and no log structure "
                "(cut while written); counted as a row",
                partial=partial,
            ),
            name,
        )
    # Entries without a time: stamp-less lines (journalctl -o cat, a pasted excerpt);
    # they keep their place in the file. journalctl's separators (-- Reboot --) are
    # stamp-less by nature and not counted.
    result.bad_time = int(
        frame.select(
            (
                structured
                & pl.col("local_time").is_null()
                & ~pl.col("message").str.contains(r"^-- .+ --$").fill_null(False)
            ).sum()
        ).item()
    )
    if result.bad_time:
        notices.note(
            Msg(
                "{count} of {entries} entries carry no time stamp (journalctl -o cat, a "
                "pasted excerpt): kept in file order, without a time (alignment.json "
                "untimed)",
                count=result.bad_time,
                entries=result.entries,
            ),
            name,
        )
    structure_lost = result.unparsed - blank - partial
    if structure_lost > 0:
        share = structure_lost / max(result.rows, 1)
        notices.warn(
            Msg(
                "{unparsed} line(s) have no recognisable log structure ({share}); kept "
                "as event=unparsed",
                unparsed=structure_lost,
                share=f"{share:.1%}",
            ),
            name,
        )
    result.host = group.host
    # Stamps of uptime only (bare dmesg): its local times are 1970 plus seconds since boot.
    result.uptime_only = bool(
        frame.select(
            pl.col("mono_ns").is_not_null().any() & pl.col("wall_ns").is_null().all()
        ).item()
    )
    return result


def _partial_last(frame: pl.DataFrame, source: NodeSource) -> int:
    """How many files end in a line without a line end (cut while written) that no
    format reads: their last row is ``unparsed``."""
    count = 0
    for log in source.files:
        if not log.size or _last_byte(log) == b"\n":
            continue
        last = frame.filter(pl.col("file").cast(pl.String) == log.display).tail(1)
        count += bool(last.height and last["format"][0] == "unparsed")
    return count


def _last_byte(log: LogFile) -> bytes:
    if log.data is not None:
        return log.data[-1:]
    assert log.path is not None
    try:
        with open(log.path, "rb") as fh:
            fh.seek(-1, 2)
            return fh.read(1)
    except OSError:
        return b"\n"


def _first_line(source: NodeSource) -> str:
    """The file's first line as it was written, printable, for an error message."""
    head = source.files[0].head(4096)
    first = head.split(b"\n", 1)[0].decode("utf-8", errors="replace").strip()
    return "".join(ch if ch.isprintable() else "?" for ch in first)[:80]


def read_context(
    name: str, source: NodeSource, notices: Notices, year: int | None = None
) -> pl.DataFrame:
    """A BSR node's own host logs (a bundle's ``System/messages``, ``dmeg``): the kernel
    reader's rows of every host they hold, as context beside the driver's log; unlike
    :func:`parse_kernel_source`, no DRBD line is required. Rows numbered from 0."""
    group = _Host(None, [])
    for log in source.files:
        for hf in read_kernel_file(log, notices, name, year):
            group.parts.append((hf.frame, hf.facts))
    if not any(frame.height for frame, _ in group.parts):
        return pl.DataFrame()
    return _node(name, group, Notices(), source).frame
