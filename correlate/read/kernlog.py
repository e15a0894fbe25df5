"""Stage 1, parse (kernel-log dialect): DRBD / WinDRBD kernel logs -> one frame per host.

Reads a file written by syslog, journald, ``dmesg`` or WinDRBD, one row per physical line
(nothing dropped: a line with no structure is an ``unparsed`` row, an empty line an
``empty`` row), and splits the rows by the host that logged them (a central syslog holds
several). Each line is cut in layers, every layer columnar over the rows of one line
format at a time:

1. the outer stamp, host and program tag of the line's format (``format`` column);
2. inside a kernel message: a ``<N>`` priority, the kernel's monotonic ``[ 12.345678]``
   stamp and printk caller id ``[T123]``;
3. the DRBD object prefix (``drbd r0/0 drbd1 peer: ``), decoded once per distinct prefix;
4. DRBD 9.2's cause suffix (``[connecting]``) on state-change lines.

The commonest kernel log, classic syslog (``Mar  3 15:04:20 host prog[pid]: ``) with a
``kernel:`` tag and printk's dmesg stamp (and caller id) or no stamp, takes a *fast path*
through layers 1 to 4 (:func:`_fast_syslog`), as BSR's own log does
(``correlate.read.bsr``): polars' streaming engine reads the file and cuts each line's
fields with ``find``, slices and one capture of the short dmesg stamp, chunk by chunk on
every core; the texts with few distinct values (the syslog stamp's second, ``host
prog[pid]: `` with the message's first characters, the DRBD prefix) are categoricals,
each distinct value decoded once. A line off that layout (another format, no tag, a tag
read otherwise, another kernel stamp or a priority, a line that may hold a WinDRBD
header, a DRBD prefix the general way reads otherwise, text that is not ASCII before
the message) takes the general way, the layers above (:func:`_row_layers`), and is
merged back in place: each of those layers reads a row on its own, so both ways give a
row the same columns (``bench/kernel_identity.py`` compares them with an earlier
version on real, simulated and hostile logs). A file whose first lines do not have the
layout, or with CR or NUL debris, is read the general way only.

Line formats (``format``), several may share one file:

=============================  ==============================================================
``rfc3339``                    ``2023-02-06T16:44:25.841754+01:00 host prog: ...`` (rsyslog)
``syslog``                     ``Mar  3 15:04:20 host prog: ...`` (also journalctl's default
                               ``short``, and syslog without a ``prog:`` tag)
``journal-short-precise``      ``Mar 03 15:04:20.123456 host prog: ...``
``journal-short-iso[-precise]`` ``2023-02-06T16:44:25[.123456]+0100 host prog: ...`` (no colon
                               in the zone: journalctl's ISO 8601 profile)
``journal-short-monotonic``    ``[18365.528511] host prog: ...``
``journal-json``               ``journalctl -o json``: one JSON object a line
``dmesg``                      ``[    7.421400] ...`` (``<6>`` may precede it, ``[T12]`` follow)
``dmesg-T``                    ``[Wed Mar 24 16:48:04 2021] ...``
``dmesg-iso``                  ``2024-03-03T15:04:05,123456+01:00 ...`` (``--time-format=iso``)
``dmesg-reltime``              ``dmesg -H`` / ``--reltime``: ``[Mar 3 15:04] ...`` where the minute
                               changes, else ``[  +0.000590] ...`` (the delta from the record
                               before; :func:`~correlate.read.kernclock.reltime_runs`)
``journal-short-full``         ``Tue 2024-03-05 14:02:11 CET host prog: ...``
``journal-with-unit``          the same, units' names in the tag's place (a file naming any)
``bracket``                    ``[2026/06/13 16:12:24 CEST] prog: ...`` (journal export)
``windrbd``                    ``<6> [DD.MM.YYYY ]U00:42:01.084[ (ticks/freq)]|thread(comm)
                               #serial function <6>drbd ...`` and its continuation lines
                               `` [last N messages were in IRQ context or recursive]``
``none``                       no stamp: ``drbd r1 s1: conn( ... )``; journalctl's
                               ``-- Reboot --`` markers (a marker starts a new boot)
``unparsed`` / ``empty``       no recognisable structure / an empty line
=============================  ==============================================================

Frame columns (:data:`COLUMNS`), one row per physical line, null where not applicable:

``line`` u32 (1-based physical line), ``entry`` u32 (always 0), ``format`` str, ``host``
str, ``program`` str (``kernel`` for dmesg-only lines and stamp-less DRBD lines), ``seq``
i64 (WinDRBD's ``#serial``: its printk counter since the driver loaded), ``wall_ns`` i64
(the wall-clock stamp as written, naive time of the line's zone, ns since 1970),
``wall_res_ns`` i64 (that stamp's resolution), ``zone`` str (as written: ``+01:00``,
``CEST``, ``UTC`` for WinDRBD and journal JSON), ``mono_ns`` i64 (the kernel's monotonic
stamp, or journal JSON's ``_SOURCE_MONOTONIC_TIMESTAMP``, or WinDRBD's performance
counter), ``caller`` str (printk caller id ``T25370``/``C1``; WinDRBD: ``thread(comm)``),
``boot`` u32 (boot number within the host, from 1), ``local_time`` datetime[ns] (the
line's best time on the node's own clock, see Clock), ``time_res_ns`` i64 (the width of
the interval ``local_time`` stands for), ``level`` str (``crit`` 0-2, ``erro`` 3, ``warn``
4, ``info`` 5-6, ``trac`` 7: BSR's words, so a merged timeline has one vocabulary) and
``level_num`` i8 (the priority as written: ``<6>``, journal ``PRIORITY``), ``function``
str (WinDRBD), ``object`` str (``none``, ``resource``, ``connection``, ``device``,
``peer_device`` for DRBD lines), ``resource`` str, ``volume`` i32, ``minor`` i32,
``peer_id`` i32 (Windows-style ``pnode-id:N``), ``peer_host`` str, ``object_state`` str
(Windows-style prefix states; ``unregistered`` for DRBD's ``/unregistered/`` marker),
``cause`` str (DRBD 9.2's state-change tag, cut from the message), ``is_drbd`` bool,
``message`` str (the text after every prefix; the whole text for ``unparsed``/``empty``),
``cut`` bool (a WinDRBD line split with `` ...``, or a kernel line at printk's 1024-byte
limit), ``prefix`` str (the text a wrapping form put before the line: grep's file name,
talosctl's facility, WDRBD's function, an unknown collector header before a DRBD message),
``stamp`` str (the line's time stamp as written, without the brackets around a dmesg
stamp and the blanks inside them; a wrapping form's as it wrote it, before the rewrite).

Wrapping forms (:func:`_unwrap`) are rewritten to the format they hold before the layers
read them, and ``format`` names both: ``grep+syslog``, ``talos+rfc3339``, ``wdrbd+bracket``,
``foreign-syslog+syslog`` (Russian, German, French month names), ``foreign-dmesg-T+dmesg-T``
(any weekday), ``prefix+none`` (a DRBD message after text no format names), and a known
format behind text no format names, ``prefix+dmesg-T`` and the like (a mail's or
markdown's ``> `` quote marker, a test driver's ``machine # ``): the format is read and
the text before it kept in ``prefix``.

Clock: each line's ``local_time`` and ``time_res_ns`` come from the stamps by
:mod:`correlate.read.kernclock` (years of syslog stamps, WinDRBD days, boots, the monotonic
stamps anchored to the wall clock); its docstring says how.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import polars as pl

from correlate.errors import Notices
from correlate.i18n import Msg
from correlate.read.bsr import ENTRY_AT_START, FileFacts, read_lines, scan_lines, streamable
from correlate.read.kernclock import (
    number_boots,
    place_lines,
    relayed_windrbd,
    reltime_runs,
    settle_years,
    windrbd_days,
)
from correlate.read.prefixes import i32, match_object, prefix_patterns
from correlate.read.sources import LogFile, control_bytes

# printk's longest line: a kernel message this long may have been cut.
PRINTK_LINE_LIMIT = 1024
S = 1_000_000_000

COLUMNS: dict[str, pl.DataType] = {
    "line": pl.UInt32(),
    "entry": pl.UInt32(),
    "format": pl.String(),
    "host": pl.String(),
    "program": pl.String(),
    "seq": pl.Int64(),
    "wall_ns": pl.Int64(),
    "wall_res_ns": pl.Int64(),
    "zone": pl.String(),
    "mono_ns": pl.Int64(),
    "caller": pl.String(),
    "boot": pl.UInt32(),
    "local_time": pl.Datetime("ns"),
    "time_res_ns": pl.Int64(),
    "level": pl.String(),
    "level_num": pl.Int8(),
    "function": pl.String(),
    "object": pl.String(),
    "resource": pl.String(),
    "volume": pl.Int32(),
    "minor": pl.Int32(),
    "peer_id": pl.Int32(),
    "peer_host": pl.String(),
    "object_state": pl.String(),
    "cause": pl.String(),
    "is_drbd": pl.Boolean(),
    "message": pl.String(),
    "cut": pl.Boolean(),
    "prefix": pl.String(),
    "stamp": pl.String(),
}

MONTHS = {
    m: i
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1
    )
}
LEVEL_WORDS = {
    0: "crit",
    1: "crit",
    2: "crit",
    3: "erro",
    4: "warn",
    5: "info",
    6: "info",
    7: "trac",
}
FRACTION_RES = {n: 10 ** (9 - n) for n in range(10)}

# -- line formats: a cheap anchored test picks the format, then one regex cuts it ------

_CLOCK = r"[0-9][0-9]:[0-9][0-9]:[0-9][0-9]"
_FRAC = r"(?P<frac>\.[0-9]{1,9})?"
_IS = {
    "journal-json": r"^\{",
    "windrbd": rf"^(?:<[0-9]> )?(?:[0-9][0-9]\.[0-9][0-9]\.[0-9]{{4}} )?U{_CLOCK}\.[0-9]{{3}}[ |]",
    "windrbd-cont": r"^ \[last (?:message was|[0-9]+ messages were) in IRQ context or recursive\]$",
    # dmesg --time-format=iso: a comma before the microseconds (rsyslog and journalctl
    # write a dot), no host after the stamp. Tested before "iso", which it also matches.
    "dmesg-iso": rf"^[0-9]{{4}}-[0-9][0-9]-[0-9][0-9]T{_CLOCK},[0-9]+",
    "iso": rf"^[0-9]{{4}}-[0-9][0-9]-[0-9][0-9]T{_CLOCK}",
    "syslog": rf"^[A-Z][a-z]{{2}} +[0-9]{{1,2}} {_CLOCK}(?:\.[0-9]+)? \S",
    # journalctl -o short-full / with-unit: ``Tue 2024-03-05 14:02:11 CET host prog: ``.
    "journal-full": rf"^[A-Z][a-z]{{2}} [0-9]{{4}}-[0-9][0-9]-[0-9][0-9] {_CLOCK}(?:\.[0-9]+)? \S",
    "bracket": rf"^\[[0-9]{{4}}/[0-9][0-9]/[0-9][0-9] {_CLOCK}",
    "dmesg-T": rf"^\[[A-Z][a-z]{{2}} [A-Z][a-z]{{2}} +[0-9]{{1,2}} {_CLOCK} [0-9]{{4}}\]",
    # dmesg -H / --reltime: a minute stamp (``%b%e %H:%M``: ``Mar 3``, ``Mar13``) where
    # the minute changes, else the delta from the previous record, always signed.
    "dmesg-reltime": r"^\[(?:[A-Z][a-z]{2} ?[0-9]{1,2} [0-9][0-9]:[0-9][0-9]"
    r"| *[+-][0-9]+\.[0-9]{6})\]",
    "mono": r"^(?:<[0-9]+>)?\[ *[0-9]+\.[0-9]+\]",
}
# Each pattern's ``stamp`` group is the line's time stamp as written (the ``stamp``
# column), without the brackets around it and the blanks that pad it inside them.
_RE = {
    "dmesg-iso": rf"^(?P<stamp>(?P<date>[0-9]{{4}}-[0-9][0-9]-[0-9][0-9])T(?P<clock>{_CLOCK}),"
    r"(?P<frac>[0-9]{1,9})(?P<zone>Z|[+-][0-9][0-9]:?[0-9][0-9])?) ?(?P<tail>.*)$",
    "iso": rf"^(?P<stamp>(?P<date>[0-9]{{4}}-[0-9][0-9]-[0-9][0-9])T(?P<clock>{_CLOCK}){_FRAC}"
    r"(?P<zone>Z|[+-][0-9][0-9]:?[0-9][0-9])?) (?P<host>\S+) ?(?P<tail>.*)$",
    "syslog": rf"^(?P<stamp>(?P<mon>[A-Z][a-z]{{2}}) +(?P<day>[0-9]{{1,2}}) (?P<clock>{_CLOCK})"
    rf"{_FRAC}) (?P<host>\S+) ?(?P<tail>.*)$",
    "journal-full": rf"^(?P<stamp>[A-Z][a-z]{{2}} (?P<date>[0-9]{{4}}-[0-9][0-9]-[0-9][0-9]) "
    rf"(?P<clock>{_CLOCK}){_FRAC} (?P<zone>[A-Za-z]{{1,6}}|[+-][0-9][0-9](?::?[0-9][0-9])?)) "
    r"(?P<host>\S+) ?(?P<tail>.*)$",
    "bracket": rf"^\[(?P<stamp>(?P<date>[0-9]{{4}}/[0-9][0-9]/[0-9][0-9]) (?P<clock>{_CLOCK})"
    rf"{_FRAC}(?: (?P<zone>[A-Za-z]{{1,6}}|[+-][0-9][0-9]:?[0-9][0-9]))?)\] ?(?P<tail>.*)$",
    "dmesg-T": rf"^\[(?P<stamp>[A-Z][a-z]{{2}} (?P<mon>[A-Z][a-z]{{2}}) +(?P<day>[0-9]{{1,2}}) "
    rf"(?P<clock>{_CLOCK}) (?P<year>[0-9]{{4}}))\] ?(?P<tail>.*)$",
    "dmesg-reltime": r"^\[ *(?P<stamp>(?P<mon>[A-Z][a-z]{2}) ?(?P<day>[0-9]{1,2}) (?P<hm>[0-9:]{5})"
    r"|(?P<sign>[+-])(?P<dsec>[0-9]+)\.(?P<dfrac>[0-9]{6}))\] ?(?P<tail>.*)$",
    "mono": r"^(?:<(?P<pri>[0-9]+)>)?\[ *(?P<stamp>(?P<sec>[0-9]+)\.(?P<frac>[0-9]+))\]"
    r"(?:\[ *(?P<caller>[TC][0-9]+)\])? ?(?P<tail>.*)$",
    "windrbd": r"^(?:<(?P<pri>[0-9])> )?"
    r"(?P<stamp>(?:(?P<dd>[0-9][0-9])\.(?P<mm>[0-9][0-9])\.(?P<yyyy>[0-9]{4}) )?"
    rf"U(?P<clock>{_CLOCK})\.(?P<ms>[0-9]{{3}}))(?: \((?P<ticks>[0-9]+)/(?P<freq>[0-9]+)\))?"
    r"\|(?P<thread>[0-9A-Fa-f]+)\((?P<comm>[^)]*)\) (?:#(?P<serial>[0-9]+) (?P<func>\S+) ?)?"
    r"(?P<tail>.*)$",
}
# Tags that are really the start of a kernel message on a tag-less syslog line.
_NOT_A_TAG = r"^drbd[0-9]*$"
# Inside a kernel message: priority, monotonic stamp, caller id.
_KERNEL = (
    r"^ *(?:<(?P<pri>[0-9]+)>)?"
    r"(?:\[ *(?P<sec>[0-9]+)\.(?P<frac>[0-9]+)\](?:\[ *(?P<caller>[TC][0-9]+)\])? ?)?"
    r"(?:<(?P<pri2>[0-9])>)?(?P<tail>.*)$"
)
# A stamp-less line that still has a kernel message's shape.
_NONE_SHAPE = (
    r"^(?:<[0-9]+>)?(?:drbd[ :]|block drbd[0-9]+: |drbd[0-9]+: |d-con \S+: "
    r"|[A-Za-z][\w.-]*(?: \S+){0,2}: \S)|^-- .+ --$"
)
# WDRBD names the module's own messages by their source file (``..\drbd\drbd_main.c: ``).
_WDRBD_MODULE_PREFIX = r"\.\.\\drbd\\[\w.]+\.c: "
# DRBD object prefixes: Windows style (states in the prefix, as WinDRBD writes them)
# first, then Linux style, 8.4's dev_printk form and 8.4.0-8.4.3's ``d-con``. Names hold
# no ':' (resource, volume, minor, peer host), so the first ": " ends the prefix.
_DRBD_PREFIX = (
    # (WDRBD writes a blank before the colon of its Windows-style prefixes)
    r"^(drbd \S+?(?: minor [0-9]+)?(?: pnode-id:-?[0-9]+)?, "
    r"[a-z]+\([^)]*\)(?:, [a-z]+\([^)]*\))* ?: "
    r"|drbd [^\s:]+(?: [^\s:]+)?(?: \S+?)?: |drbd: |block drbd[0-9]+: |drbd[0-9]+: "
    r"|d-con [^\s:]+: |" + _WDRBD_MODULE_PREFIX + ")"
)
# The tag after a state change's last ")"; the " -> " test picks the rows.
_CAUSE = r"\) \[([^\[\]]+)\]$"

_P = prefix_patterns("drbd")
# 8.4.0-8.4.3 named a connection's resource "d-con r0: ".
_D_CON = re.compile(r"^d-con (\S+): ")
_WDRBD_MODULE = re.compile(_WDRBD_MODULE_PREFIX)
_L_MINOR = re.compile(r"^(?:block )?drbd([0-9]+): ")


@dataclass
class HostFrame:
    """The rows of one host found in a file (``host`` None: lines no host claims)."""

    host: str | None
    frame: pl.DataFrame
    facts: FileFacts


# -- sniffing ---------------------------------------------------------------------------


_SNIFF = re.compile(
    "|".join(
        [
            _IS["journal-json"] + r".*\"(?:MESSAGE|__REALTIME_TIMESTAMP)\"",
            _IS["windrbd"],
            _IS["windrbd-cont"],
            _IS["dmesg-iso"],
            _IS["iso"] + r"\S* \S+ ",
            _IS["syslog"],
            _IS["journal-full"],
            _IS["bracket"],
            _IS["dmesg-T"],
            _IS["dmesg-reltime"],
            _IS["mono"],
            r"^(?:<[0-9]+>)?(?:drbd[ :]|block drbd[0-9]+: |drbd[0-9]+: |d-con \S+: )",
        ]
    )
)


def sniff(head: bytes) -> bool:
    """Do a file's first bytes look like a kernel or syslog-style log (any format this
    module reads) rather than BSR's own format, binary data or nothing?"""
    if not head.strip() or b"\x00" in head:
        return False
    controls = control_bytes(head)
    if controls > len(head) // 10:
        return False
    text = head.decode("utf-8", errors="replace")
    lines = [ln.rstrip("\r") for ln in text.split("\n")[:50] if ln.strip()]
    if not lines:
        return False
    bsr = re.compile(ENTRY_AT_START)
    if any(bsr.match(ln) for ln in lines):
        return False  # BSR's own format: the BSR parser's job
    wrapped = [re.compile(p) for p in (_GREP, _TALOS, _WDRBD, _SYSLOG_FOREIGN, _DMESG_T_FOREIGN)]
    inside = re.compile(_DRBD_INSIDE)
    before = re.compile(_BEFORE_FORMAT)

    def prefixed(ln: str) -> bool:
        m = before.match(ln)
        return bool(m and _SNIFF.match(ln[m.end("head") :]))

    hits = sum(
        bool(
            _SNIFF.match(ln)
            or any(w.match(ln) for w in wrapped)
            or inside.search(ln)
            or prefixed(ln)
        )
        for ln in lines
    )
    # Most lines, not just one: a BSR log pasted into a mail with one syslog line
    # quoted is not a kernel log.
    return hits * 2 >= len(lines)


# -- reading ----------------------------------------------------------------------------


def _read_lines(log: LogFile, facts: FileFacts) -> pl.DataFrame:
    """Physical lines as a string column (CR LF and LF end a line); bytes that are not
    UTF-8 become U+FFFD and the lines that needed it are counted, NULs are removed."""
    frame = read_lines(log, facts).with_row_index("line", offset=1)
    if frame.height:
        stats = frame.select(
            nul=pl.col("text").str.contains("\x00", literal=True).sum(),
            longest=pl.col("text").str.len_bytes().max(),
            longest_line=pl.col("line").get(pl.col("text").str.len_bytes().arg_max()),
        ).row(0, named=True)
        facts.nul_lines = int(stats["nul"] or 0)
        facts.longest = int(stats["longest"] or 0)
        facts.longest_line = int(stats["longest_line"] or 0)
        if facts.nul_lines:
            frame = frame.with_columns(pl.col("text").str.replace_all("\x00", "", literal=True))
    return frame.with_columns(pl.col("text").str.strip_chars_end("\r"))


# -- wrappers: forms that hold a known format inside another one ------------------------

# ``grep`` over several files: ``kern.log:Mar  3 ...``, ``kern.log.1:...``, ``file:123:...``
# (the name holds no blank, colon or bracket; the line after it starts a known format).
_GREP = (
    r"^(?P<gname>[^\s:\[\]<{]+):(?:[0-9]+[:-])?(?P<grest>(?:[A-Z][a-z]{2} +[0-9]{1,2} [0-9]{2}:"
    r"|[0-9]{4}-[0-9]{2}-[0-9]{2}T|\[|<[0-9]).*)$"
)
# ``talosctl dmesg``: ``host: kern: info: [2023-05-04T09:46:51.123456789Z]: message``.
_TALOS = (
    r"^(?P<thost>[^\s:]+): (?P<tfac>[a-z]+): *(?P<tlvl>[a-z]+): "
    r"\[(?P<tstamp>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z)\]: (?P<trest>.*)$"
)
# WDRBD (BSR's predecessor): ``00000048 08/25/2016 16:06:47.147 [function] WDRBD_INFO<6>...``.
_WDRBD = (
    r"^(?P<wser>[0-9]{8}) (?P<wmm>[0-9]{2})/(?P<wdd>[0-9]{2})/(?P<wyy>[0-9]{4}) "
    r"(?P<wclock>[0-9:]{8}\.[0-9]{3}) \[(?P<wfunc>[^\]]*)\] WDRBD_[A-Z]+(?P<wrest><[0-7]>.*)$"
)
_RU_MONTHS = ["янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"]
# Month names as non-English journals and ``dmesg -T`` write them (lower-cased, no dot).
_FOREIGN_MONTHS = {
    **dict(zip(_RU_MONTHS, MONTHS, strict=True)),
    **{m.lower(): m for m in MONTHS},
    **{"mär": "Mar", "mrz": "Mar", "mai": "May", "okt": "Oct", "dez": "Dec"},
    **{"févr": "Feb", "avr": "Apr", "juin": "Jun", "juil": "Jul", "déc": "Dec"},
}
_SYSLOG_FOREIGN = (
    r"^(?P<fmon>[^\W\d_]{3,4})\.? +(?P<frest>(?P<fst>[0-9]{1,2} [0-9]{2}:[0-9]{2}:[0-9]{2}) .*)$"
)
_DMESG_T_FOREIGN = (
    r"^\[[^\W\d_]{2,4}\.? (?P<fmon>[^\W\d_]{3,4})\.? +"
    r"(?P<frest>(?P<fst>[0-9]{1,2} [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4})\].*)$"
)
_TALOS_LEVELS = {"emerg": 0, "alert": 1, "crit": 2, "err": 3, "warning": 4, "warn": 4}
_TALOS_LEVELS |= {"notice": 5, "info": 6, "debug": 7}


# The same forms cut to their header (``head``: what the rewrite drops or keeps before the
# rest of the line): the regex engine then stops at the header instead of capturing the
# rest of every line, which costs several times as much; the rest is a slice.
_UNWRAP_HEADS = {
    # The rest starts with a known format, as in _GREP: the engine checks its start.
    "grep": r"^(?P<head>(?P<gname>[^\s:\[\]<{]+):(?:[0-9]+[:-])?)(?:[A-Z][a-z]{2} +[0-9]{1,2} "
    r"[0-9]{2}:|[0-9]{4}-[0-9]{2}-[0-9]{2}T|\[|<[0-9])",
    "talos": r"^(?P<head>(?P<thost>[^\s:]+): (?P<tfac>[a-z]+): *(?P<tlvl>[a-z]+): "
    r"\[(?P<tstamp>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z)\]: )",
    "wdrbd": r"^(?P<head>(?P<wser>[0-9]{8}) (?P<wmm>[0-9]{2})/(?P<wdd>[0-9]{2})/(?P<wyy>[0-9]{4}) "
    r"(?P<wclock>[0-9:]{8}\.[0-9]{3}) \[(?P<wfunc>[^\]]*)\] WDRBD_[A-Z]+)<[0-7]>",
    "foreign-syslog": r"^(?P<head>(?P<fmon>[^\W\d_]{3,4})\.? +)"
    r"(?P<fst>[0-9]{1,2} [0-9]{2}:[0-9]{2}:[0-9]{2}) ",
    "foreign-dmesg-T": r"^(?P<head>\[[^\W\d_]{2,4}\.? (?P<fmon>[^\W\d_]{3,4})\.? +)"
    r"(?P<fst>[0-9]{1,2} [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4})\]",
}
_UNWRAP_FULL = {
    "grep": _GREP,
    "talos": _TALOS,
    "wdrbd": _WDRBD,
    "foreign-syslog": _SYSLOG_FOREIGN,
    "foreign-dmesg-T": _DMESG_T_FOREIGN,
}


def _rewrite(frame: pl.DataFrame, name: str) -> tuple[pl.Series, pl.Series, pl.Series | None]:
    """One wrapping form over ``frame``'s lines: the line it holds (null where the line
    is not in the form), the ``_prefix`` it keeps and the stamp as written (``None``
    where the rewrite keeps the stamp)."""
    text = pl.col("text")
    g = frame.select(text.str.extract_groups(_UNWRAP_HEADS[name])).to_series().struct.unnest()
    # The line after the header, a slice (null where the header does not match).
    rest = frame.select(
        pl.when(pl.lit(g["head"]).is_not_null()).then(
            text.str.slice(pl.lit(g["head"]).str.len_chars())
        )
    ).to_series()
    if name == "grep":
        return rest, g["gname"], None
    if name == "talos":
        pri = g["tlvl"].replace_strict(_TALOS_LEVELS, default=6, return_dtype=pl.Int32)
        parts = [pl.col("tstamp"), pl.lit(" "), pl.col("thost"), pl.lit(" kernel: <")]
        new = g.select(pl.concat_str([*parts, pl.lit(pri), pl.lit(">"), pl.lit(rest)]))
        return new.to_series(), g["tfac"], None
    if name == "wdrbd":
        date = [pl.col("wyy"), pl.lit("/"), pl.col("wmm"), pl.lit("/"), pl.col("wdd")]
        clock = [pl.lit(" "), pl.col("wclock"), pl.lit("] kernel: "), pl.lit(rest)]
        new = g.select(pl.concat_str([pl.lit("["), *date, *clock])).to_series()
        stamp0 = g.select(
            pl.concat_str([pl.col("wmm"), pl.col("wdd"), pl.col("wyy")], separator="/")
            + " "
            + pl.col("wclock")
        ).to_series()
        return new, g["wfunc"], stamp0
    mon = (
        g["fmon"]
        .str.to_lowercase()
        .replace_strict(_FOREIGN_MONTHS, default=None, return_dtype=pl.String)
    )
    dmesg_t = name.endswith("dmesg-T")
    lead = "[Mon " if dmesg_t else ""
    # An English line is left as it is (a weekday dmesg -T knows too).
    english = frame.select(
        text.str.contains(_IS["dmesg-T"]) if dmesg_t else g["fmon"].is_in(list(MONTHS))
    ).to_series()
    new = pl.select(
        pl.when(mon.is_not_null() & ~english).then(
            pl.concat_str([pl.lit(lead), pl.lit(mon), pl.lit(" "), pl.lit(rest)])
        )
    ).to_series()
    # Everything before the rewritten part is the stamp's start, as written.
    before = g["head"].str.slice(1 if dmesg_t else 0)
    return new, pl.Series([None] * frame.height, dtype=pl.String), (before + g["fst"]).alias("s")


def _unwrap(frame: pl.DataFrame) -> pl.DataFrame:
    """Rewrite each line of a wrapping form into the known format it holds, columnar,
    and name the form in ``_dialect`` (null: the line was not wrapped): grep's file
    name (kept in ``_prefix``), ``talosctl dmesg`` (an ISO line), WDRBD (a bracket
    line, its serial and function dropped), non-English month and weekday names."""
    text = pl.col("text")
    frame = frame.with_columns(
        _dialect=pl.lit(None, pl.String),
        _prefix=pl.lit(None, pl.String),
        # The stamp as written where the rewrite changes it (WDRBD, a foreign month).
        _stamp0=pl.lit(None, pl.String),
    )
    # A wrapping form holds a whole file (grep prefixes every line, talosctl and WDRBD
    # write nothing else, a locale names every month): a form that rewrites none of the
    # first lines is not looked for in the rest (an English syslog is not read again
    # for a foreign month).
    head = frame.head(200)
    for name in _UNWRAP_HEADS:
        if not head.select(text.str.contains(_UNWRAP_FULL[name]).any()).item():
            continue
        if _rewrite(head, name)[0].null_count() == head.height:
            continue
        new, prefix, stamp0 = _rewrite(frame, name)
        frame = frame.with_columns(
            text=pl.coalesce(new, text),
            _dialect=pl.when(new.is_not_null()).then(pl.lit(name)).otherwise("_dialect"),
            _prefix=pl.when(new.is_not_null()).then(pl.lit(prefix)).otherwise("_prefix"),
            _stamp0=pl.when(new.is_not_null()).then(pl.lit(stamp0)).otherwise("_stamp0")
            if stamp0 is not None
            else pl.col("_stamp0"),
        )
        if name == "wdrbd":
            frame = _wdrbd_continued(frame)
    return frame


# The header a WDRBD record's rewrite starts with: ``[2016/08/25 16:00:47.340] kernel: <6>``.
_WDRBD_HEAD = r"^(\[[0-9/]{10} [0-9:.]{12}\] kernel: <[0-7]>)"


def _wdrbd_continued(frame: pl.DataFrame) -> pl.DataFrame:
    """A WDRBD message that holds a newline is an entry on two lines, the second bare
    (``bypass_level=0, ...`` after ``[initRegistry] ... registry_path[...]``): a
    non-blank line that is no record, after a record, is the rest of that record's
    message. It is read as its record's line: the same time, level and function."""
    text = pl.col("text")
    record = pl.col("_dialect") == "wdrbd"
    last = [
        pl.when(record).then(text.str.extract(_WDRBD_HEAD, 1)).forward_fill().alias("_whead"),
        pl.when(record).then(pl.col("_prefix")).forward_fill().alias("_wfunc"),
        pl.when(record).then(pl.col("_stamp0")).forward_fill().alias("_wstamp"),
    ]
    rest = pl.col("_dialect").is_null() & (text.str.strip_chars() != "")
    frame = frame.with_columns(last).with_columns(_wcont=rest & pl.col("_whead").is_not_null())
    if not frame.select(pl.col("_wcont").any()).item():
        return frame.drop("_whead", "_wfunc", "_wstamp", "_wcont")
    cont = pl.col("_wcont")
    return frame.with_columns(
        text=pl.when(cont).then(pl.col("_whead") + text).otherwise(text),
        _dialect=pl.when(cont).then(pl.lit("wdrbd")).otherwise("_dialect"),
        _prefix=pl.when(cont).then("_wfunc").otherwise("_prefix"),
        _stamp0=pl.when(cont).then("_wstamp").otherwise("_stamp0"),
    ).drop("_whead", "_wfunc", "_wstamp", "_wcont")


# Where a DRBD message starts inside a line whose prefix no format names.
_DRBD_INSIDE = (
    r"(?:^|[\s:\]|>])(?P<dmsg>(?:drbd [^\s:]+(?: [^\s:]+)?(?: \S+?)?|block drbd[0-9]+"
    r"|drbd[0-9]+|d-con [^\s:]+): .*)$"
)
# The same without the rest of the line (for ``find``: the match's start is all it needs).
_DRBD_INSIDE_HEAD = _DRBD_INSIDE.removesuffix(" .*)$") + " )"


def _unparsed(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows no format claimed, which the prefix rules look into."""
    return frame.filter(pl.col("_kind") == "unparsed")


def _replace_rows(frame: pl.DataFrame, part: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with its rows of ``part``'s lines replaced by ``part``'s, in line order."""
    keep = frame.filter(~pl.col("line").is_in(part.get_column("line").implode()))
    return pl.concat([keep, part]).sort("line")


def _unknown_prefix(frame: pl.DataFrame) -> pl.DataFrame:
    """An ``unparsed`` line holding a DRBD message after some text (a collector's own
    header, a pasted prompt, a stamp in other digits): the text before the message is
    its ``_prefix`` and the message is read as a stamp-less DRBD line, never refused."""
    text = pl.col("text")
    part = _unparsed(frame)
    if part.height == 0:
        return frame
    # Every message the pattern finds holds one of these words: a literal search picks
    # the few lines the regex need look at.
    words = ["drbd", "d-con "]
    part = part.filter(text.str.contains_any(words))
    if part.height == 0:
        return frame
    # Where the message starts, from the match's start (``find``: no capture of the
    # rest of the line): one past the character before it, unless the match is at the
    # line's start itself (no delimiter there: the message's own first letter).
    at = text.str.find(_DRBD_INSIDE_HEAD)
    part = part.with_columns(_at=at).filter(pl.col("_at").is_not_null())
    if part.height == 0:
        return frame
    ascii_ = part.select((text.str.len_bytes() == text.str.len_chars()).all()).item()
    if ascii_:
        start = pl.col("_at") + pl.when(
            text.str.slice(pl.col("_at"), 5).str.contains(r"^(?:drbd|block|d-con)")
            & (pl.col("_at") == 0)
        ).then(0).otherwise(1)
        msg = part.select(text.str.slice(start)).to_series()
    else:
        # ``find`` gives bytes and ``slice`` counts characters: the capture, as before.
        msg = part.select(text.str.extract(_DRBD_INSIDE, 1)).to_series()
    before = text.str.slice(0, text.str.len_chars() - msg.str.len_chars())
    part = part.drop("_at").with_columns(
        _prefix=before.str.strip_chars_end(),
        text=_unboxed(pl.lit(msg), before),
        _dialect=pl.lit("prefix"),
        _kind=pl.lit("none"),
    )
    return _replace_rows(frame, part)


def _kind_of(text: pl.Expr) -> pl.Expr:
    """The line format of ``text`` by the chain of anchored tests (``empty``, a format of
    ``_IS``, ``none``: a stamp-less kernel message, else ``unparsed``)."""
    chain = pl.when(text.str.strip_chars() == "").then(pl.lit("empty"))
    for name, pattern in _IS.items():
        chain = chain.when(text.str.contains(pattern)).then(pl.lit(name))
    return (
        chain.when(text.str.contains(_NONE_SHAPE))
        .then(pl.lit("none"))
        .otherwise(pl.lit("unparsed"))
    )


# A known line format behind text no format names: the shortest head (at most 64
# characters) that ends in a blank or a quote, pipe, box or prompt character, followed by
# the first characters of a stamped format (``[`` of dmesg, ``<N>``, an ISO date, a syslog
# month and day, a journal weekday and year).
_BEFORE_FORMAT = (
    r"^(?P<head>.{0,64}?[\s>|\u2502\u2503#:])(?:\[|<[0-9]|[0-9]{4}-[0-9][0-9]-[0-9][0-9]T"
    r"|[A-Z][a-z]{2} +[0-9]{1,2} [0-9][0-9]:|[A-Z][a-z]{2} [0-9]{4}-)"
)
# Formats a prefixed line may hold: every stamped one (a stamp-less message after a
# prefix is _unknown_prefix's).
_PREFIXED_KINDS = [k for k in _IS if k not in ("windrbd-cont", "journal-json")]


def _unboxed(text: pl.Expr, prefix: pl.Expr) -> pl.Expr:
    """``text`` without the frame a prefix opened: a line copied out of a terminal
    window or a table (``│[ 68.269440] drbd ...      │``) ends in the blanks and the bar
    that close it."""
    boxed = prefix.str.strip_chars_end().str.contains(r"[|\u2502\u2503]$")
    return pl.when(boxed).then(text.str.replace(r"\s*[|\u2502\u2503]\s*$", "")).otherwise(text)


def _prefixed_format(frame: pl.DataFrame) -> pl.DataFrame:
    """An ``unparsed`` line that holds a stamped format behind a prefix no format names
    (``> [Thu Feb 15 09:45:34 2024] drbd ...``, ``drbd2 # [   12.576189] drbd ...``): the
    line is read as that format, its time from its own stamp, the prefix kept in
    ``_prefix`` (``prefix+dmesg-T``). The rows are few (``unparsed`` ones), so the
    patterns run on them alone."""
    text = pl.col("text")
    part = _unparsed(frame)
    if part.height == 0:
        return frame
    # As a wrapping form, a prefix that none of the first such lines has is not looked for
    # in the rest (a quoted excerpt quotes every line; a collector's header before every
    # message is no quote marker).
    if not part.head(200).select(text.str.contains(_BEFORE_FORMAT).any()).item():
        return frame
    part = part.with_columns(_head=text.str.extract(_BEFORE_FORMAT, 1))
    part = part.filter(pl.col("_head").is_not_null())
    if part.height == 0:
        return frame
    rest = text.str.slice(pl.col("_head").str.len_chars())
    part = part.with_columns(_k2=_kind_of(rest)).filter(pl.col("_k2").is_in(_PREFIXED_KINDS))
    if part.height == 0:
        return frame
    part = part.with_columns(
        text=_unboxed(rest, pl.col("_head")),
        _prefix=pl.col("_head").str.strip_chars_end(),
        _dialect=pl.lit("prefix"),
        _kind=pl.col("_k2"),
    ).drop("_head", "_k2")
    return _replace_rows(frame, part)


def _classify(frame: pl.DataFrame) -> pl.DataFrame:
    """The line format of each row, from anchored tests. The format of most of the
    file's first lines is tested over every row first; only the rows it misses (usually
    none) go through the whole chain of tests."""
    text = pl.col("text")
    chain = _kind_of(text)
    head = frame.head(200).with_columns(_kind=chain)
    common = head["_kind"].mode().sort().to_list()
    common = [c for c in common if c in _IS][:1]
    if not common:
        return frame.with_columns(_kind=chain)
    hit = text.str.contains(_IS[common[0]])
    frame = frame.with_columns(_kind=pl.when(hit).then(pl.lit(common[0])))
    missed = frame.select(pl.col("_kind").is_null().sum()).item()
    if missed:
        rest = frame.filter(pl.col("_kind").is_null()).select("line", _k2=chain)
        frame = (
            frame.join(rest, on="line", how="left", maintain_order="left")
            .with_columns(_kind=pl.coalesce("_kind", "_k2"))
            .drop("_k2")
        )
    return frame


def _head_only(pattern: str) -> str:
    """``^...(?P<tail>.*)$`` -> ``^(?P<head>...)``: the regex engine then captures only the
    short header and stops there (capturing the tail too costs ten times as much)."""
    assert pattern.startswith("^") and pattern.endswith("(?P<tail>.*)$")
    return "^(?P<head>" + pattern[1 : -len("(?P<tail>.*)$")] + ")"


def _groups(part: pl.DataFrame, pattern: str, src: str = "text") -> pl.DataFrame:
    """The named groups of ``pattern`` over ``src``, as columns ``g_<name>``; ``g_tail`` is
    the text after the match (null where the pattern does not match)."""
    found = (
        part.select(pl.col(src).str.extract_groups(_head_only(pattern))).to_series().struct.unnest()
    )
    found = found.select([c for c in found.columns if not c.isdigit()])
    part = pl.concat([part, found.rename(lambda c: "g_" + c)], how="horizontal")
    return part.with_columns(
        g_tail=pl.when(pl.col("g_head").is_not_null()).then(
            pl.col(src).str.slice(pl.col("g_head").str.len_chars())
        )
    ).drop("g_head")


def _fraction(frac: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """``.841754`` -> (841754000 ns, 1000 ns resolution); null -> (0, 1 s)."""
    digits = frac.str.strip_prefix(".")
    ns = digits.str.pad_end(9, "0").str.slice(0, 9).cast(pl.Int64, strict=False).fill_null(0)
    res = (
        pl.when(digits.is_null())
        .then(pl.lit(S, pl.Int64))
        .otherwise(
            digits.str.len_chars().replace_strict(FRACTION_RES, default=1, return_dtype=pl.Int64)
        )
    )
    return ns, res


def _wall(stamp: pl.Expr, fmt: str, frac: pl.Expr | None) -> tuple[pl.Expr, pl.Expr]:
    seconds = stamp.str.strptime(pl.Datetime("ns"), fmt, strict=False).cast(pl.Int64)
    if frac is None:
        return seconds, pl.when(seconds.is_not_null()).then(pl.lit(S, pl.Int64))
    ns, res = _fraction(frac)
    return seconds + ns, pl.when(seconds.is_not_null()).then(res)


def _mono(sec: pl.Expr, frac: pl.Expr) -> pl.Expr:
    digits = frac.str.pad_end(9, "0").str.slice(0, 9).cast(pl.Int64, strict=False)
    return sec.cast(pl.Int64, strict=False) * S + digits


def _tag_split(part: pl.DataFrame, tail: str = "g_tail") -> pl.DataFrame:
    """``prog[pid]: rest`` after the host -> program and rest; a tail with no tag (syslog
    without ``kernel:``) is all rest. The tag is what precedes the first ``": "``, if it
    looks like one (tested on those short strings only)."""
    t = pl.col(tail)
    pos = t.str.find(": ", literal=True)
    part = part.with_columns(_tag=t.str.slice(0, pos), _pos=pos)
    keep = (
        pl.col("_tag").str.contains(r"^[^\s:\[\]]+(?:\[[0-9]+\])?$")
        & ~pl.col("_tag").str.contains(_NOT_A_TAG)
    ).fill_null(False)
    return part.with_columns(
        program=pl.when(keep).then(pl.col("_tag").str.replace(r"\[[0-9]+\]$", "")),
        rest=pl.when(keep).then(t.str.slice(pl.col("_pos") + 2)).otherwise(t),
    ).drop(tail, "_tag", "_pos")


def _parse_iso(part: pl.DataFrame) -> pl.DataFrame:
    part = _groups(part, _RE["iso"])
    wall, res = _wall(
        pl.concat_str([pl.col("g_date"), pl.col("g_clock")], separator=" "),
        "%Y-%m-%d %H:%M:%S",
        pl.col("g_frac"),
    )
    zone = pl.col("g_zone")
    iso = zone.is_not_null() & ~zone.str.contains(":") & (zone != "Z")
    part = part.with_columns(
        format=pl.when(iso & pl.col("g_frac").is_not_null())
        .then(pl.lit("journal-short-iso-precise"))
        .when(iso)
        .then(pl.lit("journal-short-iso"))
        .otherwise(pl.lit("rfc3339")),
        host=pl.col("g_host"),
        wall_ns=wall,
        wall_res_ns=res,
        zone=zone,
        stamp=pl.col("g_stamp"),
    )
    return _tag_split(part)


def _parse_dmesg_iso(part: pl.DataFrame) -> pl.DataFrame:
    """``dmesg --time-format=iso``: dmesg's boot time plus the record's uptime, in the
    host's zone (as ``dmesg -T``, no receive delay); the wall time is kept as written
    and the offset in ``zone``, as for ``rfc3339``."""
    part = _groups(part, _RE["dmesg-iso"])
    wall, res = _wall(
        pl.concat_str([pl.col("g_date"), pl.col("g_clock")], separator=" "),
        "%Y-%m-%d %H:%M:%S",
        pl.col("g_frac"),
    )
    return part.with_columns(
        format=pl.lit("dmesg-iso"),
        stamp=pl.col("g_stamp"),
        wall_ns=wall,
        wall_res_ns=res,
        zone=pl.col("g_zone"),
        program=pl.lit("kernel"),
        rest=pl.col("g_tail"),
    )


def _parse_syslog(part: pl.DataFrame) -> pl.DataFrame:
    """Month, day and clock only: the year is settled over the whole file later."""
    text = pl.col("text")
    standard = (
        (text.str.slice(3, 1) == " ")
        & (text.str.slice(6, 1) == " ")
        & (text.str.slice(15, 1) == " ")
    )
    if part.select(standard.all()).item():
        # ``Mar  3 15:04:20 host ...`` at fixed offsets: slices, no regex.
        after = text.str.slice(16).str.splitn(" ", 2)
        part = part.with_columns(
            g_stamp=text.str.slice(0, 15),
            g_mon=text.str.slice(0, 3),
            g_day=text.str.slice(4, 2).str.strip_chars_start(" "),
            g_clock=text.str.slice(7, 8),
            g_frac=pl.lit(None, pl.String),
            g_host=after.struct.field("field_0"),
            g_tail=after.struct.field("field_1").fill_null(""),
        )
    else:
        part = _groups(part, _RE["syslog"])
    ns, res = _fraction(pl.col("g_frac"))
    part = part.with_columns(
        format=pl.when(pl.col("g_frac").is_not_null())
        .then(pl.lit("journal-short-precise"))
        .otherwise(pl.lit("syslog")),
        stamp=pl.col("g_stamp"),
        host=pl.col("g_host"),
        _month=pl.col("g_mon").replace_strict(MONTHS, default=None, return_dtype=pl.Int32),
        _mdclock=pl.concat_str(
            [pl.col("g_mon"), pl.col("g_day").str.zfill(2), pl.col("g_clock")], separator=" "
        ),
        _frac_ns=ns,
        wall_res_ns=res,
    )
    return _tag_split(part)


# A systemd unit name as ``journalctl -o with-unit`` writes it in the tag's place
# (``drbd-reactor.service``, ``user@1000.service/app.slice``).
_UNIT = r"\.(?:service|scope|slice|socket|mount|automount|swap|target|path|timer|device)(?:/|$)"


def _parse_journal_full(part: pl.DataFrame) -> pl.DataFrame:
    """``journalctl -o short-full`` (``Tue 2024-03-05 14:02:11 CET host prog[pid]: ``) and
    ``-o with-unit``, the same with the unit's name where a unit logged (kernel lines
    keep ``kernel:``): a file whose tags name units is ``journal-with-unit``, its
    ``program`` the unit. The zone as written (``CET``, ``UTC``)."""
    part = _groups(part, _RE["journal-full"])
    wall, res = _wall(
        pl.concat_str([pl.col("g_date"), pl.col("g_clock")], separator=" "),
        "%Y-%m-%d %H:%M:%S",
        pl.col("g_frac"),
    )
    part = _tag_split(
        part.with_columns(
            host=pl.col("g_host"),
            wall_ns=wall,
            wall_res_ns=res,
            zone=pl.col("g_zone"),
            stamp=pl.col("g_stamp"),
        )
    )
    units = part.select(pl.col("program").str.contains(_UNIT).any()).item()
    return part.with_columns(format=pl.lit("journal-with-unit" if units else "journal-short-full"))


def _parse_bracket(part: pl.DataFrame) -> pl.DataFrame:
    part = _groups(part, _RE["bracket"])
    wall, res = _wall(
        pl.concat_str([pl.col("g_date"), pl.col("g_clock")], separator=" "),
        "%Y/%m/%d %H:%M:%S",
        pl.col("g_frac"),
    )
    part = part.with_columns(
        format=pl.lit("bracket"),
        wall_ns=wall,
        wall_res_ns=res,
        zone=pl.col("g_zone"),
        stamp=pl.col("g_stamp"),
    )
    return _tag_split(part)


def _parse_dmesg_t(part: pl.DataFrame) -> pl.DataFrame:
    part = _groups(part, _RE["dmesg-T"])
    wall, res = _wall(
        pl.concat_str(
            [pl.col("g_year"), pl.col("g_mon"), pl.col("g_day").str.zfill(2), pl.col("g_clock")],
            separator=" ",
        ),
        "%Y %b %d %H:%M:%S",
        None,
    )
    return part.with_columns(
        format=pl.lit("dmesg-T"),
        stamp=pl.col("g_stamp"),
        wall_ns=wall,
        wall_res_ns=res,
        program=pl.lit("kernel"),
        rest=pl.col("g_tail"),
    )


def _parse_reltime(part: pl.DataFrame) -> pl.DataFrame:
    """``dmesg -H`` / ``--reltime``: a minute stamp is a year-less wall stamp of a
    minute (its year settled as syslog's), a delta (``[  +0.000590]``) the time since
    the previous record; :func:`~correlate.read.kernclock.reltime_runs` sums them."""
    part = _groups(part, _RE["dmesg-reltime"])
    minute = pl.col("g_mon").is_not_null()
    delta = (
        pl.col("g_dsec").cast(pl.Int64, strict=False) * S
        + pl.col("g_dfrac").cast(pl.Int64, strict=False) * 1000
    )
    return part.with_columns(
        format=pl.lit("dmesg-reltime"),
        stamp=pl.col("g_stamp"),
        program=pl.lit("kernel"),
        rest=pl.col("g_tail"),
        _month=pl.col("g_mon").replace_strict(MONTHS, default=None, return_dtype=pl.Int32),
        _mdclock=pl.when(minute).then(
            pl.concat_str(
                [pl.col("g_mon"), pl.col("g_day").str.zfill(2), pl.col("g_hm") + ":00"],
                separator=" ",
            )
        ),
        _frac_ns=pl.when(minute).then(pl.lit(0, pl.Int64)),
        _delta_ns=pl.when(pl.col("g_sign") == "-").then(-delta).otherwise(delta),
    )


def _parse_mono(part: pl.DataFrame, journal_hosts: list[str]) -> pl.DataFrame:
    """``[ 12.345678] ...``: dmesg, or journalctl's short-monotonic when the text after
    the stamp is ``host prog: `` for a host the file names that way."""
    part = _groups(part, _RE["mono"])
    part = part.with_columns(
        mono_ns=_mono(pl.col("g_sec"), pl.col("g_frac")),
        _mono_res=pl.col("g_frac")
        .str.len_chars()
        .replace_strict(FRACTION_RES, default=1, return_dtype=pl.Int64),
        caller=pl.col("g_caller"),
        stamp=pl.col("g_stamp"),
        _pri=pl.col("g_pri").cast(pl.Int32, strict=False),
        _first=pl.col("g_tail").str.extract(r"^(\S+) ", 1),
    )
    journal = pl.col("_first").is_in(journal_hosts) if journal_hosts else pl.lit(False)
    jpart = part.filter(journal)
    dpart = part.filter(~journal)
    out = []
    if dpart.height:
        out.append(
            dpart.with_columns(
                format=pl.lit("dmesg"), program=pl.lit("kernel"), rest=pl.col("g_tail")
            )
        )
    if jpart.height:
        jpart = jpart.with_columns(
            format=pl.lit("journal-short-monotonic"),
            host=pl.col("_first"),
            g_tail=pl.col("g_tail").str.slice(pl.col("_first").str.len_chars() + 1),
        )
        out.append(_tag_split(jpart))
    return pl.concat(out, how="diagonal_relaxed").sort("line").drop("_first")


def _journal_hosts(part: pl.DataFrame) -> list[str]:
    """Hosts of short-monotonic lines: the word after the stamp where the next is a
    ``kernel:`` or ``prog[pid]:`` tag (a dmesg line's first word is a subsystem)."""
    found = part.select(
        pl.col("text").str.extract(
            r"^\[ *[0-9]+\.[0-9]+\] (\S+) (?:kernel|[^\s:\[\]]+\[[0-9]+\]): ", 1
        )
    ).to_series()
    return sorted(found.drop_nulls().unique().to_list())


def _parse_windrbd(part: pl.DataFrame) -> pl.DataFrame:
    cont = part.filter(pl.col("_kind") == "windrbd-cont")
    head = part.filter(pl.col("_kind") == "windrbd")
    out = []
    if cont.height:
        # The annotation says the lines before it were printed in IRQ context (held in
        # the ring buffer, not sent at once); it belongs to no DRBD object.
        out.append(
            cont.with_columns(
                format=pl.lit("windrbd"),
                program=pl.lit("kernel"),
                message=pl.col("text").str.strip_chars(),
            )
        )
    if head.height:
        head = _windrbd_columns(_groups(head, _RE["windrbd"]))
        out.append(
            head.with_columns(
                format=pl.lit("windrbd"), program=pl.lit("kernel"), stamp=pl.col("g_stamp")
            )
        )
    return pl.concat(out, how="diagonal_relaxed").sort("line")


def _windrbd_columns(part: pl.DataFrame) -> pl.DataFrame:
    """WinDRBD's header: level, UTC date (newer versions) and time of day, performance
    counter, thread, printk serial, function; ``rest`` is the DRBD message."""
    dated = pl.concat_str(
        [pl.col("g_yyyy"), pl.col("g_mm"), pl.col("g_dd"), pl.col("g_clock")], separator=" "
    ).str.strptime(pl.Datetime("ns"), "%Y %m %d %H:%M:%S", strict=False)
    tod = pl.col("g_clock").str.strptime(pl.Time, "%H:%M:%S", strict=False).cast(pl.Int64)
    ms = pl.col("g_ms").cast(pl.Int64, strict=False) * 1_000_000
    ticks = pl.col("g_ticks").cast(pl.Float64, strict=False)
    freq = pl.col("g_freq").cast(pl.Float64, strict=False)
    return part.with_columns(
        _wdate=dated.cast(pl.Int64) + ms,
        _wtod=tod + ms,
        wall_res_ns=pl.lit(1_000_000, pl.Int64),
        zone=pl.lit("UTC"),
        mono_ns=pl.when(freq > 0).then((ticks / freq * S).round(0).cast(pl.Int64)),
        # The counter's resolution is 1/frequency; below 1 µs it is not the limit.
        _mono_res=pl.when(freq > 0).then((S / freq).ceil().cast(pl.Int64).clip(1)),
        caller=pl.concat_str([pl.col("g_thread"), pl.lit("("), pl.col("g_comm"), pl.lit(")")]),
        seq=pl.col("g_serial").cast(pl.Int64, strict=False),
        function=pl.col("g_func"),
        _pri=pl.col("g_pri").cast(pl.Int32, strict=False),
        rest=pl.col("g_tail"),
    )


_JSON_FIELDS = {
    "MESSAGE": "_j_msg",
    "_HOSTNAME": "host",
    "_BOOT_ID": "_boot_id",
    "__REALTIME_TIMESTAMP": "_j_real",
    "_SOURCE_MONOTONIC_TIMESTAMP": "_j_src_mono",
    "SYSLOG_IDENTIFIER": "program",
    "PRIORITY": "_j_pri",
}


def _parse_json(part: pl.DataFrame) -> pl.DataFrame:
    """journalctl -o json (systemd.journal-fields(7)): realtime and the kernel's own
    monotonic stamp in µs. A MESSAGE journald kept as bytes (an array) is decoded here,
    row by row: such entries are few."""
    part = part.with_columns(
        [pl.col("text").str.json_path_match(f"$.{k}").alias(v) for k, v in _JSON_FIELDS.items()]
    )
    arrays = part.filter(pl.col("_j_msg").str.starts_with("["))
    if arrays.height:
        decoded = [
            bytes(json.loads(m)).decode("utf-8", errors="replace") if m else m
            for m in arrays["_j_msg"].to_list()
        ]
        fix = pl.DataFrame({"line": arrays["line"], "_fixed": decoded})
        part = (
            part.join(fix, on="line", how="left")
            .with_columns(_j_msg=pl.coalesce("_fixed", "_j_msg"))
            .drop("_fixed")
        )
    ok = pl.col("_j_msg").is_not_null() | pl.col("_j_real").is_not_null()
    real = pl.col("_j_real").cast(pl.Int64, strict=False)
    mono = pl.col("_j_src_mono").cast(pl.Int64, strict=False)
    return part.with_columns(
        format=pl.when(ok).then(pl.lit("journal-json")).otherwise(pl.lit("unparsed")),
        # The realtime stamp as written: µs since 1970 (UTC).
        stamp=pl.col("_j_real"),
        wall_ns=real * 1000,
        wall_res_ns=pl.when(real.is_not_null()).then(pl.lit(1000, pl.Int64)),
        zone=pl.when(real.is_not_null()).then(pl.lit("UTC")),
        mono_ns=mono * 1000,
        _mono_res=pl.when(mono.is_not_null()).then(pl.lit(1000, pl.Int64)),
        _pri=pl.col("_j_pri").cast(pl.Int32, strict=False),
        rest=pl.when(ok).then(pl.col("_j_msg")).otherwise(pl.col("text")),
    )


def _parse_plain(part: pl.DataFrame) -> pl.DataFrame:
    """``none``, ``unparsed`` and ``empty`` rows: no stamp; a ``none`` row is a kernel
    message (or a journal marker) whose text is cut like any other."""
    return part.with_columns(
        format=pl.col("_kind"),
        rest=pl.when(pl.col("_kind") == "none").then(pl.col("text")),
        message=pl.when(pl.col("_kind") != "none").then(pl.col("text")),
    )


# -- the kernel message inside a line ---------------------------------------------------


_PLAIN_STAMP = r"^ *\[ *[0-9]+\.[0-9]+\](?:\[ *[TC][0-9]+\])? "


def _kernel_heads(part: pl.DataFrame) -> pl.DataFrame:
    """The ``_KERNEL`` groups of ``rest``; the usual ``[ 12.345678] `` or
    ``[12.345678][T12] `` stamp is cut with ``find`` and slices, only the rest (a ``<N>``
    priority, no stamp) by the regex."""
    rest = pl.col("rest")
    plain = rest.str.contains(_PLAIN_STAMP).fill_null(False)
    if not part.select(plain.any()).item():
        return _groups(part, _KERNEL, src="rest")
    pos = rest.str.find("] ", literal=True)
    stamp = rest.str.slice(0, pos).str.strip_chars_start(" [").str.split_exact("][", 1)
    secfrac = stamp.struct.field("field_0").str.strip_chars_start(" ").str.split_exact(".", 1)
    fast = part.with_columns(
        g_sec=secfrac.struct.field("field_0"),
        g_frac=secfrac.struct.field("field_1"),
        g_caller=stamp.struct.field("field_1").str.strip_chars_start(" "),
        g_pri=pl.lit(None, pl.String),
        g_pri2=pl.lit(None, pl.String),
        g_tail=rest.str.slice(pos + 2),
    )
    # The regex only on the rows the slices cannot read (often none: a row of another
    # program has no rest here at all), its groups put back in their places.
    odd = part.select(rest.is_not_null() & ~plain).to_series()
    if not odd.any():
        return fast
    where = odd.arg_true()
    slow = _groups(part.filter(odd), _KERNEL, src="rest")
    return fast.with_columns(
        [fast[c].scatter(where, slow[c]) for c in fast.columns if c.startswith("g_")]
    )


def _kernel_layer(frame: pl.DataFrame) -> pl.DataFrame:
    """Priority, monotonic stamp and caller id at the start of a kernel message, on the
    rows whose program is the kernel or unknown (a user program's text is left alone)."""
    kernelish = (
        pl.col("rest").is_not_null()
        & (pl.col("program").is_null() | (pl.col("program") == "kernel"))
        & (pl.col("format") != "journal-json")
    )
    k = _kernel_heads(frame.select(rest=pl.when(kernelish).then(pl.col("rest"))))
    frame = frame.with_columns(
        _k=pl.struct(
            sec=k["g_sec"],
            frac=k["g_frac"],
            caller=k["g_caller"],
            body=k["g_tail"],
            pri=k["g_pri"],
            pri2=k["g_pri2"],
        )
    )
    sec = pl.col("_k").struct.field("sec")
    frac = pl.col("_k").struct.field("frac")
    inner_pri = pl.coalesce(
        pl.col("_k").struct.field("pri2"), pl.col("_k").struct.field("pri")
    ).cast(pl.Int32, strict=False)
    has_stamp = sec.is_not_null()
    return frame.with_columns(
        mono_ns=pl.coalesce(pl.col("mono_ns"), _mono(sec, frac)),
        _mono_res=pl.coalesce(
            pl.col("_mono_res"),
            frac.str.len_chars().replace_strict(FRACTION_RES, default=1, return_dtype=pl.Int64),
        ),
        caller=pl.coalesce(pl.col("caller"), pl.col("_k").struct.field("caller")),
        _pri=pl.coalesce(inner_pri, pl.col("_pri")),
        # A dmesg stamp inside the line makes it a kernel line even without a tag.
        program=pl.when(pl.col("program").is_null() & has_stamp)
        .then(pl.lit("kernel"))
        .otherwise(pl.col("program")),
        rest=pl.when(kernelish).then(pl.col("_k").struct.field("body")).otherwise(pl.col("rest")),
    ).drop("_k")


def _drbd_layer(frame: pl.DataFrame) -> pl.DataFrame:
    """DRBD object prefix -> object columns (each distinct prefix decoded once), the
    message after it, and 9.2's cause tag."""
    kernelish = pl.col("rest").is_not_null() & (
        pl.col("program").is_null() | (pl.col("program") == "kernel")
    )
    rest = pl.col("rest")
    # Every prefix ends at the message's first ": " (no name in it holds one), so the
    # regex only says which rows have one (a match test, no capture: fast).
    frame = frame.with_columns(
        _cand=pl.when(kernelish & rest.str.contains(_DRBD_PREFIX)).then(
            rest.str.slice(0, rest.str.find(": ", literal=True) + 2)
        )
    )
    cands = frame.select(pl.col("_cand").drop_nulls().unique().sort()).to_series().to_list()
    table = pl.DataFrame([_decode_prefix(c) for c in cands], schema=_OBJECT_SCHEMA)
    # Each row's place in the table, then the table's columns gathered by it (a join would
    # copy every column of the frame).
    place = frame.select(
        pl.col("_cand").replace_strict(
            cands or [""], list(range(max(len(cands), 1))), default=None, return_dtype=pl.UInt32
        )
    ).to_series()
    frame = frame.with_columns([c.gather(place) for c in table.drop("_cand").get_columns()])
    windrbd = pl.col("format") == "windrbd"
    is_drbd = pl.col("_cand").is_not_null() | (windrbd & pl.col("rest").is_not_null())
    frame = frame.with_columns(
        is_drbd=is_drbd,
        program=pl.when(is_drbd & pl.col("program").is_null())
        .then(pl.lit("kernel"))
        .otherwise(pl.col("program")),
        message=pl.coalesce(
            pl.col("message"),
            pl.col("rest").str.slice(pl.col("_prefix_len").fill_null(0)),
        ),
    )
    # 9.2 appends the reason of a state change: "conn( A -> B ) [connecting]".
    tagged = (
        pl.col("is_drbd")
        & pl.col("message").str.contains(" -> ", literal=True)
        & pl.col("message").str.ends_with("]")
    )
    frame = frame.with_columns(_c=pl.when(tagged).then(pl.col("message").str.extract(_CAUSE, 1)))
    return frame.with_columns(
        cause=pl.col("_c"),
        message=pl.when(pl.col("_c").is_not_null())
        .then(
            pl.col("message").str.slice(
                0, pl.col("message").str.len_chars() - pl.col("_c").str.len_chars() - 3
            )
        )
        .otherwise(pl.col("message")),
        object=pl.when(pl.col("is_drbd") & pl.col("object").is_null())
        .then(pl.lit("none"))
        .otherwise(pl.col("object")),
    ).drop("_c", "_cand", "_prefix_len")


_OBJECT_SCHEMA = {
    "_cand": pl.String,
    "object": pl.String,
    "resource": pl.String,
    "volume": pl.Int32,
    "minor": pl.Int32,
    "peer_id": pl.Int32,
    "peer_host": pl.String,
    "object_state": pl.String,
    "_prefix_len": pl.Int32,
}


def _res(name: str) -> tuple[str, str | None]:
    """DRBD marks an object being torn down with ``/unregistered/`` before its name."""
    if name.startswith("/unregistered/"):
        return name[len("/unregistered/") :], "unregistered"
    return name, None


def _decode_prefix(cand: str) -> dict:
    """One distinct DRBD object prefix -> its object columns (Python, once per prefix)."""
    out: dict = {"_cand": cand, "_prefix_len": len(cand)}
    if cand == "drbd: " or _WDRBD_MODULE.fullmatch(cand):
        return {**out, "object": "none"}
    if found := match_object(_P, cand, whole=True):
        kind, style, _end, fields = found
        if style == "linux":
            fields["resource"], fields["object_state"] = _res(str(fields["resource"]))
        return {**out, "object": kind, **fields}
    if m := _L_MINOR.fullmatch(cand):
        # 8.4's dev_printk ("block drbd37: ") and the block layer's "drbd1: " name the
        # device by minor only.
        return {**out, "object": "device", "minor": i32(m.group(1))}
    if m := _P.l_connection.fullmatch(cand):
        res, state = _res(m.group(1))
        return {
            **out,
            "object": "connection",
            "resource": res,
            "peer_host": m.group(2),
            "object_state": state,
        }
    if m := _P.l_resource.fullmatch(cand) or _D_CON.fullmatch(cand):
        res, state = _res(m.group(1))
        return {**out, "object": "resource", "resource": res, "object_state": state}
    return {**out, "object": "none", "_prefix_len": 0}


# -- the fast path: classic syslog lines --------------------------------------------------

# The text between a kernel tag's ": " and the first "] ": printk's plain stamp and its
# caller id, alone (seconds and at most 9 digits of fraction; longer ones take the
# general way).
_FAST_STAMP = r"^\[ *(?P<sec>[0-9]+)\.(?P<frac>[0-9]{1,9})\](?:\[ *(?P<caller>[TC][0-9]+)\])? $"
# How a WinDRBD header inside a syslog message can start (``_IS["windrbd"]``: ``<``, two
# digits and a dot, or ``U``): such rows take the general way.
_MAYBE_WINDRBD = r"^(?:<|U|[0-9][0-9]\.)"
# How every DRBD object prefix starts (_DRBD_PREFIX).
_DRBD_START = r"^(?:drbd|block drbd|d-con )"


def _fast_syslog(log: LogFile, facts: FileFacts) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """The commonest kernel log, classic syslog (``Mar  3 15:04:20 host prog: ...``, a
    kernel line with printk's ``[ 12.345678] `` stamp), read as BSR's own log is
    (``correlate.read.bsr``): polars' streaming engine reads the file and cuts every row's
    fields by ``find`` and slices chunk by chunk on every core; the ``host prog: `` text
    and the DRBD object prefix (a few distinct values each) are decoded once per
    distinct value. Returns the rows it read (:func:`_row_layers`' columns) and the
    lines it leaves to the general way (``line``, ``text``: another format, no tag, a
    WinDRBD header, a kernel line without the plain stamp, a prefix the general way
    reads otherwise), or ``None`` when the file needs the general way as a whole: a
    file the CSV reader refuses or would misread, CR or NUL debris, a file without
    such rows."""
    head = log.head(8192)
    if not streamable(log) or not _fast_head(head):
        return None
    cats = (pl.Categories.random(), pl.Categories.random(), pl.Categories.random())
    try:
        rows = _fast_scan(log, *cats).collect(engine="streaming")
    except pl.exceptions.PolarsError:
        return None
    stats = rows.select(
        dirty=pl.col("_dirty").any(),
        longest=pl.col("_len").max(),
        # As _read_lines: on lines of equal length, arg_max names the one it names.
        longest_line=pl.col("line").get(pl.col("_len").arg_max()),
    ).row(0, named=True)
    if rows.height == 0 or stats["dirty"]:
        return None
    stamps = _fast_stamps(cats[0].to_series())
    keys = _fast_keys(cats[1].to_series())
    cands = _fast_prefixes(cats[2].to_series())
    when = pl.col("_when").to_physical()
    code, cand = pl.col("_key").to_physical(), pl.col("_cand").to_physical()
    dated = pl.lit(stamps["ok"]).gather(when)
    stamped = pl.col("_stamp_ok")
    # A kernel line with the plain stamp or none (its message starts with neither a
    # stamp, a priority nor a space), its DRBD prefix read whole; a user program's line
    # not cut as a kernel one (no dmesg stamp, no DRBD prefix candidate).
    kernel = (
        (stamped | pl.lit(keys["plain"]).gather(code))
        & ~pl.lit(cands["_slow"]).gather(cand).fill_null(False)
        & ~pl.col("_arrow")
    )
    user = pl.lit(keys["user"]).gather(code) & ~stamped & pl.col("_cand").is_null()
    fast = (
        dated & pl.when(pl.lit(keys["kernel"]).gather(code)).then(kernel).otherwise(user)
    ).fill_null(False)
    flags = rows.select(fast).to_series()
    n_fast = flags.sum()
    if not n_fast:
        return None
    slow = _slow_lines(log, rows.select("line", "_len").filter(~flags), rows.height)
    if slow is None:
        return None
    facts.lines = rows.height
    facts.longest = int(stats["longest"] or 0)
    facts.longest_line = int(stats["longest_line"] or 0)
    # Only the columns the fast rows need on (a filter copies every column it keeps).
    need = ["line", "_when", "_key", "_cand", "mono_ns", "_mono_res", "caller", "message", "cause"]
    rows = rows.select(need)
    if n_fast < rows.height:
        rows = rows.filter(flags)
    part = rows.with_columns(
        [pl.lit(cands[c]).gather(cand).alias(c) for c in _OBJECT_SCHEMA if c[0] != "_"],
        format=pl.lit("syslog"),
        _month=pl.lit(stamps["_month"]).gather(when),
        _mdclock=pl.lit(stamps["_mdclock"].cast(pl.Categorical)).gather(when),
        stamp=pl.lit(stamps["stamp"]).gather(when),
        host=pl.lit(keys["host"]).gather(code),
        program=pl.lit(keys["program"]).gather(code),
        wall_res_ns=pl.lit(S, pl.Int64),
        _frac_ns=pl.lit(0, pl.Int64),
        # A fast row's candidate is a DRBD prefix (others take the general way).
        is_drbd=pl.col("_cand").is_not_null(),
    )
    return _line_columns(part), slow


# A line of the fast path's layout, as the first lines of a file show it.
_FAST_HEAD = re.compile(
    rf"^[A-Z][a-z]{{2}} [ 0-9][0-9] {_CLOCK} [^\s:]+ [^\s:\[\]]+(?:\[[0-9]+\])?: "
)


def _fast_head(head: bytes) -> bool:
    """Do most of a file's first lines have the fast path's layout? (A file of another
    format is not read twice.)"""
    lines = head.decode("utf-8", errors="replace").split("\n")[:-1][:50]
    hits = sum(bool(_FAST_HEAD.match(ln)) for ln in lines)
    return hits * 2 > len(lines)


def _fast_scan(log: LogFile, *cats: pl.Categories) -> pl.LazyFrame:
    """The fast path's columns of every row, computed by the streaming engine: the
    ``host prog: `` key and the message's first 3 characters (``_key``), the kernel
    stamp, ``rest`` (the message after the tag, after the stamp where there is one),
    the DRBD prefix candidate (``_cand``: the rest up to its first ``": "``, as
    ``_drbd_layer`` cuts it) and the message and cause after it; ``_dirty``, ``_len``
    for the file's facts.

    Positions from ``find`` are bytes and slices count characters: they agree on an
    ASCII key and candidate, which :func:`_fast_keys` and :func:`_fast_prefixes`
    demand (one with other characters is cut short or long and fails), and the
    stamp's pattern is ASCII."""
    when_cats, key_cats, cand_cats = cats
    text, p, q, rest = pl.col("text"), pl.col("_p"), pl.col("_q"), pl.col("rest")
    stamp, r, cause = pl.col("_stamp"), pl.col("_r"), pl.col("cause")
    frac = pl.col("_secfrac").struct.field("frac")
    stamped = pl.col("_stamp_ok")
    # The cause is looked for in the rest, not in the message after the prefix: the
    # same, as a fast prefix holds no bracket and no " -> " (_fast_prefixes), unless the
    # message starts with "-> " (the prefix's last space makes a " -> "): such a row
    # takes the general way (_arrow).
    tagged = r.is_not_null() & rest.str.ends_with("]") & rest.str.contains(" -> ", literal=True)
    return (
        scan_lines(log)
        .with_columns(
            _dirty=text.str.contains_any(["\r", "\x00"]),
            _len=text.str.len_bytes(),
            _p=text.str.find(": ", literal=True),
            _q=text.str.find("] ", literal=True),
            # ``Mar  3 15:04:20 ``, decoded once per distinct second (_fast_stamps, which
            # also says whether it is one: a line of another layout brings its own first
            # 16 characters, tested there once each instead of on every row here).
            _when=text.str.slice(0, 16).cast(pl.Categorical(when_cats)),
        )
        .with_columns(
            _key=pl.when(p > 16).then(text.str.slice(16, p - 11)).cast(pl.Categorical(key_cats)),
            _stamp=pl.when(q > p).then(text.str.slice(p + 2, q - p)),
        )
        .with_columns(_secfrac=stamp.str.extract_groups(_FAST_STAMP))
        .with_columns(
            _stamp_ok=frac.is_not_null(), caller=pl.col("_secfrac").struct.field("caller")
        )
        .with_columns(rest=text.str.slice(pl.when(stamped).then(q + 2).otherwise(p + 2)))
        # Every DRBD prefix starts so (_DRBD_PREFIX); other kernel lines need no cut.
        .with_columns(
            _r=pl.when(rest.str.contains(_DRBD_START)).then(rest.str.find(": ", literal=True)),
            # As _kernel_layer: the digits' resolution.
            _mono_res=frac.str.len_bytes().replace_strict(
                FRACTION_RES, default=1, return_dtype=pl.Int64
            ),
        )
        .with_columns(
            # (A slice of null length runs to the end: only rows with a ": " are cut.)
            _cand=pl.when(r.is_not_null())
            .then(rest.str.slice(0, r + 2))
            .cast(pl.Categorical(cand_cats)),
            cause=pl.when(tagged).then(rest.str.extract(_CAUSE, 1)),
            _arrow=(rest.str.slice(r + 2, 3) == "-> ").fill_null(False),
            # As _mono: the fraction's digits scaled to ns (at most 9 of them here).
            mono_ns=pl.col("_secfrac").struct.field("sec").cast(pl.Int64, strict=False) * S
            + frac.cast(pl.Int64, strict=False) * pl.col("_mono_res"),
        )
        .with_columns(
            # The message: after the prefix and without the cause (all of the rest on
            # a line with no candidate; a candidate that is no DRBD prefix takes the
            # general way).
            message=rest.str.slice(
                (r + 2).fill_null(0),
                pl.when(cause.is_not_null()).then(
                    rest.str.len_chars() - r - 2 - cause.str.len_chars() - 3
                ),
            ),
        )
        # Only what is read on: the cut pieces in between are never gathered.
        .select(
            "line",
            *("_dirty", "_len", "_when", "_key", "_stamp_ok", "_cand", "_arrow", "caller"),
            *("message", "cause", "mono_ns", "_mono_res"),
        )
    )


def _slow_lines(log: LogFile, slow: pl.DataFrame, height: int) -> pl.DataFrame | None:
    """The text of the lines the fast path leaves to the general way (``slow``: their
    ``line`` and length), read again: the streaming pass does not keep every line's
    text, which costs more than reading these few once more. ``None`` when the file
    changed in between (another length, fewer lines): the general way reads it anew."""
    if slow.height == 0:
        return pl.DataFrame(schema={"line": pl.UInt32, "text": pl.String})
    try:
        again = (
            scan_lines(log)
            .filter(pl.col("line").is_in(slow["line"].implode()) & (pl.col("line") <= height))
            .collect(engine="streaming")
        )
    except pl.exceptions.PolarsError:
        return None
    same = again.height == slow.height and again["line"].equals(slow["line"])
    if not same or not (again["text"].str.len_bytes() == slow["_len"]).all():
        return None
    return again


def _fast_prefixes(cands: pl.Series) -> pl.DataFrame:
    """Each distinct DRBD prefix candidate of the fast path -> its object columns and
    ``_slow``: the general way reads the row unless the candidate is an ASCII DRBD
    prefix that ``_decode_prefix`` reads whole (a candidate that ``_DRBD_PREFIX`` does
    not match may still be the start of a Windows-style prefix whose ``(...)`` holds a
    ``": "``; and such lines are rare). A prefix with a bracket or `` -> `` takes the
    general way too: the fast path looks for the cause in the whole rest."""
    matched = cands.str.contains(_DRBD_PREFIX).to_list()
    rows = []
    for c, m in zip(cands.to_list(), matched, strict=True):
        row = _decode_prefix(c) if m else {"_cand": c, "_prefix_len": 0}
        ok = (
            m
            and c.isascii()
            and row["_prefix_len"] == len(c) > 0
            and not any(x in c for x in ("[", "]", " -> "))
        )
        rows.append({**row, "_slow": not ok})
    schema = {**_OBJECT_SCHEMA, "_slow": pl.Boolean}
    return pl.DataFrame(rows, schema=schema)


def _fast_stamps(stamps: pl.Series) -> pl.DataFrame:
    """Each distinct ``Mar  3 15:04:20 `` of the fast path (the first 16 characters of
    a line) -> ``ok`` (``_parse_syslog``'s fixed offsets on a line of ``_classify``'s
    syslog format: the ``x`` stands for the host's first character, which
    :func:`_fast_keys` holds to be no white space), ``_month`` and ``_mdclock`` as
    ``_parse_syslog`` gives them. Over the distinct values, in polars."""
    s = pl.col("s")
    return (
        stamps.to_frame("s")
        .select(
            ok=(s.str.slice(3, 1) == " ")
            & (s.str.slice(6, 1) == " ")
            & (s.str.slice(15, 1) == " ")
            & (s + "x").str.contains(_IS["syslog"]),
            _month=s.str.slice(0, 3).replace_strict(MONTHS, default=None, return_dtype=pl.Int32),
            _mdclock=pl.concat_str(
                [
                    s.str.slice(0, 3),
                    s.str.slice(4, 2).str.strip_chars_start(" ").str.zfill(2),
                    s.str.slice(7, 8),
                ],
                separator=" ",
            ),
            stamp=s.str.slice(0, 15),
        )
        .with_columns(pl.col("ok").fill_null(False))
    )


def _fast_keys(keys: pl.Series) -> pl.DataFrame:
    """Each distinct ``host prog[pid]: `` of the fast path, with the message's first 3
    characters -> host, program and its kind, ``kernel`` or ``user`` (neither: the
    general way reads the row). A key is taken only
    where it reads as the general way reads it whatever follows: ASCII, a host without
    white space (``_parse_syslog``'s slices and its regex then agree) and a tag
    ``_tag_split`` keeps; a kernel tag only as ``kernel`` (the row's message was cut
    after its stamp by that test). Over the distinct values, in polars (a file of
    tag-less lines has as many as lines)."""
    k3 = pl.col("k3")
    k = k3.str.slice(0, k3.str.find(": ", literal=True) + 2)
    split = k.str.splitn(" ", 2)
    host, tail = split.struct.field("field_0"), split.struct.field("field_1")
    tag = tail.str.slice(0, tail.str.len_chars() - 2)
    program = tag.str.replace(r"\[[0-9]+\]$", "")
    ok = (
        (k.str.len_bytes() == k.str.len_chars())
        & k.str.ends_with(": ")
        & (host != "")
        # No white space, no control character (a superset of both regex flavours').
        & ~pl.concat_str([host, tag]).str.contains(r"[\x00-\x20]")
        & ~k.str.contains("] ", literal=True)
        & tag.str.contains(r"^[^:\[\]]+(?:\[[0-9]+\])?$")
        & ~tag.str.contains(_NOT_A_TAG)
        & ((program != "kernel") | (tag == "kernel"))
    ).fill_null(False)
    # A user program's message that may start with a WinDRBD header takes the general way.
    head = k3.str.slice(k.str.len_chars())
    windrbd = head.str.contains(_MAYBE_WINDRBD)
    return keys.to_frame("k3").select(
        host=pl.when(ok).then(host),
        program=pl.when(ok).then(program),
        kernel=ok & (program == "kernel"),
        # _KERNEL finds neither a priority nor a stamp: the message is all of the rest
        # (unless it may be a WinDRBD header, which _windrbd_in_syslog cuts).
        plain=~head.str.contains(r"^[ <\[]") & ~windrbd,
        user=ok & (program != "kernel") & ~windrbd,
    )


# -- the file ---------------------------------------------------------------------------


def read_kernel_file(
    log: LogFile, notices: Notices, node: str, year: int | None = None
) -> list[HostFrame]:
    """One kernel-log style file -> one :class:`HostFrame` per host it holds.

    Every physical line is a row of exactly one of them. Lines that name no host go to
    the file's single host when it names exactly one, else to ``host=None``.
    """
    facts = FileFacts(display=log.display, bytes=log.size, truncated=log.truncated)
    fast = _fast_syslog(log, facts)
    if fast is None:
        frame = _read_lines(log, facts)
        facts.lines = frame.height
        if frame.height == 0:
            notices.warn(Msg("{display}: empty file", display=log.display), node)
            return [HostFrame(None, _empty_frame(), facts)]
        frame = _row_layers(frame)
    else:
        frame, slow = fast
        if slow.height:
            frame = frame.merge_sorted(_row_layers(slow), "line")
    frame = settle_years(frame, log, year, notices, node)
    frame = relayed_windrbd(frame, notices, node, log.display)
    frame = windrbd_days(frame, notices, node, log.display)
    frame = _hosts(frame)
    frame = reltime_runs(frame, notices, node, log.display)
    frame = number_boots(frame)
    frame = place_lines(frame, notices, node, log.display)
    frame = frame.with_columns(
        # A wrapping form (grep, talosctl, WDRBD, a foreign locale) named with the
        # format it holds: ``talos+rfc3339``.
        format=pl.when(pl.col("_dialect").is_not_null())
        .then(pl.concat_str([pl.col("_dialect"), pl.lit("+"), pl.col("format")]))
        .otherwise(pl.col("format")),
        prefix=pl.col("_prefix"),
        stamp=pl.coalesce("_stamp0", "stamp"),
        entry=pl.lit(0, pl.UInt32),
        level_num=pl.col("_pri").mod(8).cast(pl.Int8),
        level=pl.col("_pri")
        .mod(8)
        .replace_strict(LEVEL_WORDS, default=None, return_dtype=pl.String),
        cut=_cut_expr(),
    )
    frame = frame.select([pl.col(c).cast(t) for c, t in COLUMNS.items()])
    return _split_hosts(frame, facts, notices, node, log.display)


def _row_layers(frame: pl.DataFrame) -> pl.DataFrame:
    """The layers that read each row on its own (the general way): line format, the
    format's stamp, host and tag, a WinDRBD header inside syslog, the kernel message's
    priority and stamps. Each row gets the same result whatever other rows are read
    with it, so the fast path's rows and these can be merged."""
    frame = _unknown_prefix(_prefixed_format(_classify(_unwrap(frame))))
    wraps = frame.select("line", "_dialect", "_prefix", "_stamp0")
    kinds = set(frame["_kind"].unique().to_list())
    parts = []
    for kind, parser in (
        ("iso", _parse_iso),
        ("dmesg-iso", _parse_dmesg_iso),
        ("syslog", _parse_syslog),
        ("journal-full", _parse_journal_full),
        ("bracket", _parse_bracket),
        ("dmesg-T", _parse_dmesg_t),
        ("dmesg-reltime", _parse_reltime),
        ("journal-json", _parse_json),
    ):
        if kind in kinds:
            parts.append(parser(frame.filter(pl.col("_kind") == kind)))
    if "mono" in kinds:
        mono = frame.filter(pl.col("_kind") == "mono")
        parts.append(_parse_mono(mono, _journal_hosts(mono)))
    if kinds & {"windrbd", "windrbd-cont"}:
        parts.append(
            _parse_windrbd(frame.filter(pl.col("_kind").is_in(["windrbd", "windrbd-cont"])))
        )
    plain = {"none", "unparsed", "empty"} & kinds
    if plain:
        parts.append(_parse_plain(frame.filter(pl.col("_kind").is_in(list(plain)))))
    del frame
    frame = pl.concat([_with_work_columns(p) for p in parts], how="vertical_relaxed")
    if len(parts) > 1:
        frame = frame.sort("line")
    frame = _windrbd_in_syslog(frame)
    frame = _drbd_layer(_kernel_layer(frame)).join(wraps, on="line", maintain_order="left")
    return _line_columns(frame)


def _line_columns(part: pl.DataFrame) -> pl.DataFrame:
    """The columns both ways hand on after the DRBD layer, in one order (null where a
    way has none)."""
    work = {**_WORK_COLUMNS, **_OBJECT_SCHEMA, "is_drbd": pl.Boolean, "cause": pl.String}
    work["_dialect"] = pl.String
    work["_prefix"] = pl.String
    work["_stamp0"] = pl.String
    for c in ("rest", "_cand", "_prefix_len"):
        del work[c]
    missing = [pl.lit(None, t).alias(c) for c, t in work.items() if c not in part.columns]
    part = part.with_columns(missing) if missing else part
    return part.select("line", *[pl.col(c).cast(t) for c, t in work.items()])


def _with_work_columns(part: pl.DataFrame) -> pl.DataFrame:
    """Every column the later layers read, null where this format has none."""
    work = _WORK_COLUMNS
    missing = [pl.lit(None, t).alias(c) for c, t in work.items() if c not in part.columns]
    part = part.with_columns(missing) if missing else part
    return part.select("line", "text", *[pl.col(c).cast(t) for c, t in work.items()])


_WORK_COLUMNS: dict[str, type[pl.DataType]] = {
    "format": pl.String,
    "host": pl.String,
    "program": pl.String,
    "rest": pl.String,
    "message": pl.String,
    "wall_ns": pl.Int64,
    "wall_res_ns": pl.Int64,
    "zone": pl.String,
    "stamp": pl.String,
    "mono_ns": pl.Int64,
    "_mono_res": pl.Int64,
    "caller": pl.String,
    "seq": pl.Int64,
    "function": pl.String,
    "_pri": pl.Int32,
    "_boot_id": pl.String,
    "_month": pl.Int32,
    # A categorical: few distinct values, each parsed once (kernclock.settle_years).
    "_mdclock": pl.Categorical,
    "_frac_ns": pl.Int64,
    "_wdate": pl.Int64,
    "_wtod": pl.Int64,
    "_itod": pl.Int64,
    "_istamp": pl.String,
    # dmesg --reltime: the delta from the previous record (kernclock.reltime_runs).
    "_delta_ns": pl.Int64,
}


def _windrbd_in_syslog(frame: pl.DataFrame) -> pl.DataFrame:
    """A WinDRBD line sent over UDP to a syslog host: its own header sits inside the
    syslog message; cut it the same way (the syslog stamp stays the line's wall clock)."""
    # A relay may write two blanks after the host: the header starts after them.
    rest = pl.col("rest").str.strip_chars_start(" ")
    inner = (pl.col("format") != "windrbd") & rest.str.contains(_IS["windrbd"])
    if not frame.select(inner.any()).item():
        return frame
    part = frame.filter(inner).with_columns(
        text=rest, _zone0=pl.col("zone"), _res0=pl.col("wall_res_ns")
    )
    part = _windrbd_columns(_groups(part, _RE["windrbd"]))
    part = part.with_columns(
        program=pl.lit("kernel"),
        # The syslog stamp is the line's wall clock for now; kernclock.relayed_windrbd
        # moves it to the inner stamp once the syslog stamps have their year (``_itod``:
        # the inner UTC time of day, ``_istamp``: as written).
        _itod=pl.col("_wtod"),
        _istamp=pl.col("g_stamp") if "g_stamp" in part.columns else pl.lit(None, pl.String),
        _wdate=pl.lit(None, pl.Int64),
        _wtod=pl.lit(None, pl.Int64),
        zone=pl.col("_zone0"),
        wall_res_ns=pl.col("_res0"),
    ).select(frame.columns)
    text = frame.select("line", "text")
    frame = pl.concat([frame.filter(~inner.fill_null(False)), part]).sort("line")
    return frame.drop("text").join(text, on="line", maintain_order="left")


def _hosts(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows that name no host go to the file's single host, if it names exactly one."""
    hosts = frame.select(pl.col("host").drop_nulls().unique()).to_series().to_list()
    if len(hosts) == 1:
        frame = frame.with_columns(host=pl.col("host").fill_null(hosts[0]))
    return frame.with_columns(_hostkey=pl.col("host").fill_null(""))


def _cut_expr() -> pl.Expr:
    windrbd_split = (pl.col("format") == "windrbd") & pl.col("message").str.ends_with(" ...")
    too_long = pl.col("is_drbd") & (pl.col("message").str.len_bytes() >= PRINTK_LINE_LIMIT - 32)
    return (windrbd_split | too_long).fill_null(False)


def _empty_frame() -> pl.DataFrame:
    return pl.DataFrame(schema=COLUMNS)


def _split_hosts(
    frame: pl.DataFrame, facts: FileFacts, notices: Notices, node: str, display: str
) -> list[HostFrame]:
    """One HostFrame per host, in the order hosts first appear; facts counted per host."""
    order = frame.select(pl.col("host").unique(maintain_order=True)).to_series().to_list()
    out = []
    for host in order:
        part = frame.filter(pl.col("host").is_null() if host is None else pl.col("host") == host)
        f = FileFacts(
            display=display,
            # The host's share of the file: its lines' bytes and their line ends.
            bytes=int(part.select(pl.col("message").str.len_bytes().sum()).item() or 0)
            if len(order) > 1
            else facts.bytes,
            lines=part.height,
            rows=part.height,
            entries=int(part.select((~pl.col("format").is_in(["unparsed", "empty"])).sum()).item()),
            replaced_lines=facts.replaced_lines if len(order) == 1 else 0,
            nul_lines=facts.nul_lines if len(order) == 1 else 0,
            longest=facts.longest,
            longest_line=facts.longest_line,
            truncated=facts.truncated,
        )
        first = part.filter(pl.col("local_time").is_not_null()).head(1)
        if first.height:
            f.first_time = int(first["local_time"].cast(pl.Int64)[0])
            f.first_seq = first["seq"][0]
        out.append(HostFrame(host, part, f))
    # Lines without a recognisable structure are counted once, for the node
    # (kernparse), as BSR's own reader does.
    if facts.replaced_lines:
        notices.warn(
            Msg(
                "{display}: {replaced_lines} line(s) were not valid UTF-8; the bad "
                "bytes are shown as U+FFFD",
                display=display,
                replaced_lines=facts.replaced_lines,
            ),
            node,
        )
    if facts.nul_lines:
        notices.note(
            Msg(
                "{display}: NUL bytes removed from {nul_lines} line(s)",
                display=display,
                nul_lines=facts.nul_lines,
            ),
            node,
        )
    return out
