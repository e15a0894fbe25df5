"""Hostile input: generated and mutated log lines for the parser, and the bad inputs a user
can hand the command line. The parser must never crash and never lose a line; the CLI must
answer every bad input with one clear line on stderr, its documented exit code and no
traceback.

How the parser accounts for lines (``correlate/read/bsr.py``): the file is cut into physical
lines at LF (CR LF is LF plus line-end debris, and a final line end starts no new line).
Each physical line becomes one row, or one row per entry when entries were pasted or glued
onto it; a piece of text that is not an entry stays a row with ``event = unparsed`` and its
text whole. So for every file: the rows' ``line`` numbers are exactly 1..lines, each line's
``entry`` numbers run 0..k-1, and k is 1 for a line with no entry header inside it.
"""

from __future__ import annotations

import errno
import gzip
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import zipfile
import zlib
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from correlate.errors import InputError, Notices
from correlate.read.bsr import NodeParse, parse_node
from correlate.read.sources import LogFile, NodeSource
from correlate.schema import ENTRY_COLUMNS

from .helpers import (
    DATA,
    NO_DIAGRAMS,
    ROOT,
    THREAD,
    assert_clean_error,
    entry,
    files_under,
    log_bytes,
    small_log,
    write_log,
)

# BSRCORR_FUZZ=5000 for a long hunt; CI keeps the suite well under a minute.
FUZZ = settings(
    max_examples=int(os.environ.get("BSRCORR_FUZZ", "120")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# -- the corpus: real-looking entries -------------------------------------------------------

# Where an entry starts: a counter, a date and the function's bracket. Written here on its
# own, not taken from the parser.
ENTRY_START = re.compile(r"(?=\d{8} \d\d/\d\d/\d{4} \d\d:\d\d:\d\d\.\d{7} \[)")
HEADER = re.compile(r"^\d{8,} (\d\d/\d\d/\d{4} \d\d:\d\d:\d\d\.\d{7}) ")


def _corpus() -> list[str]:
    """Every entry of the seed text (pasted several to a line) and of the hand-made logs,
    one string each, counter and date included."""
    found: list[str] = []
    seed = (DATA / "seed_entries.txt").read_text(encoding="utf-8")
    for line in seed.splitlines():
        starts = [m.start() for m in ENTRY_START.finditer(line)]
        for a, b in zip(starts, [*starts[1:], len(line)], strict=True):
            found.append(line[a:b].removesuffix(" "))
    for path in sorted([*(DATA / "events").glob("*.log"), *(DATA / "linux").glob("*.log")]):
        found.extend(path.read_text(encoding="utf-8").splitlines())
    return [e for e in found if e]


CORPUS = _corpus()
ANCHOR = entry(1, "09:00:00.0000000", "anchor: a plain entry so the node has one") + "\n"


def renumber(text: str, seq: int, date: str | None = None) -> str:
    """The entry with another counter (and optionally another date and time)."""
    m = HEADER.match(text)
    assert m, text
    return f"{seq:08d} {date or m.group(1)} " + text[m.end() :]


def parse_bytes(*files: bytes, name: str = "n") -> NodeParse:
    logs = [LogFile(display=f"f{i}.log", data=raw, size=len(raw)) for i, raw in enumerate(files)]
    return parse_node(NodeSource(name=name, spec=name, files=logs), Notices())


# -- an oracle for physical lines -----------------------------------------------------------


def physical_lines(raw: bytes) -> list[str]:
    """What README promises a line is: LF ends a line (a CR before it is part of the line
    end), NUL bytes are removed, bytes that are not UTF-8 become U+FFFD."""
    text = raw.decode("utf-8", errors="replace")
    parts = text.split("\n")
    if parts[-1] == "":
        parts.pop()
    lines = []
    for part in parts:
        # CRs before the LF (CR LF, CR CR LF, a CR at the end of the file) are line-end
        # debris, NULs or not between them.
        lines.append(part.replace("\x00", "").rstrip("\r"))
    return lines


def assert_every_line_accounted(node: NodeParse, files: list[bytes]) -> None:
    frame = node.frame
    assert node.rows == frame.height == node.entries + node.unparsed
    assert node.lines == sum(len(physical_lines(raw)) for raw in files)
    # The node's own order is file, line, entry; ``row`` numbers it.
    assert frame["row"].to_list() == list(range(frame.height))
    assert frame.select(
        (pl.struct("file_index", "line", "entry").rank("dense") == pl.int_range(1, pl.len() + 1))
        .all()
        .alias("ordered")
    ).item()
    by_file = {f"f{i}.log": physical_lines(raw) for i, raw in enumerate(files)}
    for (file,), rows in frame.partition_by("file", as_dict=True, maintain_order=True).items():
        lines = by_file.pop(file)
        per_line = rows.group_by("line", maintain_order=True).agg(
            "entry", "message", "event", n=pl.len()
        )
        # every physical line is there, once, in order
        assert per_line["line"].to_list() == list(range(1, len(lines) + 1))
        for line_no, entries, messages, events, n in per_line.iter_rows():
            text = lines[line_no - 1]
            assert entries == list(range(n))
            starts = len(ENTRY_START.findall(text))
            assert n <= starts + 1, (text, messages)
            if n == 1 and events[0] == "unparsed":
                # Kept whole, but for one trailing space: the reader takes a space at
                # a line's end for the separator of pasted entries (known, left: see
                # README "What is read"), as the pieces' check below allows too.
                assert messages[0] in (text, text.removesuffix(" "))
            # pieces are the line's text in order, and the last one reaches its end
            at = 0
            for message in messages:
                found = text.find(message, at)
                assert found >= 0, (text, message)
                at = found + len(message)
            assert text.rstrip(" ").endswith(messages[-1].rstrip(" "))
    # files without a single line leave no rows
    assert all(not lines for lines in by_file.values())


# -- generated entries, split across lines ----------------------------------------------


@st.composite
def pasted_logs(draw):
    """Entries from the corpus with fresh counters, put on lines three ways: one a line,
    pasted several to a line with a space (as in documents), or glued to a line the driver
    cut at 511 bytes. Returns (pieces, joins): joins[i] is what follows pieces[i]."""
    picks = draw(st.lists(st.sampled_from(CORPUS), min_size=1, max_size=25))
    first = draw(st.sampled_from([1, 500, 99_999_990]))
    pieces = []
    for i, text in enumerate(picks):
        seq = first + i
        piece = renumber(text, seq)
        if draw(st.booleans()) and len(piece) < 509:
            # long message cut by the driver: its last character is a letter
            piece = (piece + " " + "overlong message text " * 30)[:509].rstrip(" ") + "x"
        pieces.append(piece)
    joins = []
    for i, piece in enumerate(pieces):
        options = ["\n", "\r\n", " "]
        last = piece[-1]
        if i + 1 < len(pieces) and first + i + 1 < 10**8 and not (last.isdigit() or last == " "):
            options.append("")  # glued: only an 8-digit counter can follow directly
        joins.append(draw(st.sampled_from(options)))
    return pieces, joins


# What an entry says, without where it sits (node, file, line, entry, row).
COMPARED = [
    c for c in ENTRY_COLUMNS if c not in ("node", "row", "file", "file_index", "line", "entry")
]


def test_corpus_entries_parse_alone():
    assert len(CORPUS) > 250
    node = parse_bytes("".join(e + "\n" for e in CORPUS).encode())
    assert node.unparsed == 0 and node.rows == len(CORPUS)


@FUZZ
@given(pasted_logs(), st.booleans())
def test_pasted_and_glued_entries_parse_as_if_one_a_line(log, final_eol):
    pieces, joins = log
    # after the last entry: its line end, or none at the end of the file
    joins[-1] = "\r\n" if final_eol else ""
    raw = "".join(p + j for p, j in zip(pieces, joins, strict=True)).encode()
    alone = parse_bytes("".join(p + "\n" for p in pieces).encode())
    together = parse_bytes(raw)
    assert alone.unparsed == 0
    # rows out = entries in, whatever the lines they were on
    assert together.rows == together.entries == len(pieces)
    assert_every_line_accounted(together, [raw])
    assert together.frame.select(COMPARED).equals(alone.frame.select(COMPARED))
    # each entry sits on the line it was written to, numbered within it
    line, n, want = 1, 0, []
    for j in joins:
        want.append((line, n))
        line, n = (line + 1, 0) if j in ("\n", "\r\n") else (line, n + 1)
    assert list(together.frame.select("line", "entry").iter_rows()) == want


@FUZZ
@given(
    st.lists(st.sampled_from(CORPUS), min_size=1, max_size=30),
    st.data(),
)
def test_line_ends_and_nul_bytes_change_nothing(picks, data):
    lines = [renumber(text, i + 1) for i, text in enumerate(picks)]
    plain = "".join(line + "\n" for line in lines).encode()
    eols = data.draw(
        st.lists(st.sampled_from(["\n", "\r\n"]), min_size=len(lines), max_size=len(lines))
    )
    if data.draw(st.booleans()):
        eols[-1] = ""  # no line end at the end of the file
    mixed = bytearray("".join(a + b for a, b in zip(lines, eols, strict=True)).encode())
    # NUL runs anywhere in the lines: a crash leaves them in preallocated space. (After
    # the last line end they would be a line of their own: see the test below.)
    end = len(mixed) - 1 if mixed.endswith(b"\n") else len(mixed)
    for _ in range(data.draw(st.integers(0, 4))):
        at = data.draw(st.integers(0, end))
        mixed[at:at] = b"\x00" * data.draw(st.integers(1, 40))
    want = parse_bytes(plain)
    got = parse_bytes(bytes(mixed))
    assert_every_line_accounted(got, [bytes(mixed)])
    assert got.frame.select(COMPARED).equals(want.frame.select(COMPARED))


def test_nul_run_after_the_last_line_end_is_an_empty_line():
    good = renumber(CORPUS[0], 1) + "\r\n"
    node = parse_bytes(good.encode() + b"\x00" * 4096)
    assert node.lines == 2 and node.entries == 1
    assert node.frame.row(1, named=True)["event"] == "unparsed"
    assert node.frame.row(1, named=True)["message"] == ""
    # NULs and then the next driver load's first line: one entry, NULs gone
    node = parse_bytes(good.encode() + b"\x00" * 4096 + ANCHOR.encode())
    assert (node.lines, node.entries, node.unparsed) == (2, 2, 0)
    assert node.epochs == 1 and node.frame["seq"].to_list() == [1, 1]


# -- mutated bytes --------------------------------------------------------------------------

NASTY = [
    b"\x00",
    b"\x00" * 64,
    b"\r",
    b"\n",
    b"\r\n",
    b"\n\r",
    b"\xff",
    b"\xc3",
    b"\xe2\x82",
    b"\xed\xa0\x80",  # a UTF-16 surrogate, not UTF-8
    b"\xef\xbb\xbf",  # a BOM in the middle
    b" ",
    b"[",
    b"] [",
    b"] bsr_",
    b": ",
    b"<",
    b"<9>",
    b"0",
    b"99999999999999999999999",
    b"00000007 10/26/2020 16:25:06.3224961 [",
    b"\xd9\xa1\xd9\xa2",  # Arabic-Indic digits
    b"\t",
    b"\x1b[31m",
]


@st.composite
def mutated_logs(draw):
    picks = draw(st.lists(st.sampled_from(CORPUS), min_size=1, max_size=20))
    raw = bytearray(
        "".join(
            renumber(t, i + 1) + draw(st.sampled_from(["\n", "\r\n", " "]))
            for i, t in enumerate(picks)
        ).encode()
    )
    for _ in range(draw(st.integers(1, 12))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        at = draw(st.integers(0, len(raw)))
        if op == "flip" and at < len(raw):
            raw[at] ^= draw(st.integers(1, 255))
        elif op == "insert":
            raw[at:at] = draw(st.sampled_from(NASTY) | st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del raw[at : at + draw(st.integers(1, 60))]
        elif op == "truncate":
            del raw[at:]
    return bytes(raw)


@FUZZ
@given(mutated_logs())
def test_mutated_bytes_never_crash_and_lose_no_line(raw):
    files = [ANCHOR.encode() + raw]
    node = parse_bytes(*files)
    assert_every_line_accounted(node, files)


@FUZZ
@given(mutated_logs(), mutated_logs())
def test_mutated_files_of_one_node(a, b):
    """Several files (rotated logs), some possibly empty or without an entry."""
    files = [ANCHOR.encode(), a, b]
    node = parse_bytes(*files)
    assert_every_line_accounted(node, files)
    assert len(node.files) == 3


@FUZZ
@given(st.binary(max_size=4000))
def test_control_bytes_counts_what_binary_detection_means(raw):
    # The head test that tells binary data from a log: every byte below 32 except tab,
    # LF, VT, FF and CR.
    from correlate.read.sources import control_bytes

    assert control_bytes(raw) == sum(b < 9 or 13 < b < 32 for b in raw)


@FUZZ
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_are_rows_or_a_clean_input_error(raw):
    try:
        node = parse_bytes(raw)
    except InputError as exc:
        # only when not one line is an entry, and it says so in one line
        assert "\n" not in str(exc)
        assert "empty file" in str(exc) or "not a BSR log" in str(exc) or "no BSR" in str(exc)
        return
    assert node.entries >= 1
    assert_every_line_accounted(node, [raw])


# -- counters and dates ---------------------------------------------------------------------


def expected_epochs(seqs: list[int]) -> tuple[list[int], list[int]]:
    """README: a counter that starts over is a driver load; a gap is lost lines. 'Starts
    over' means it falls back to 100 or less, or by more than 100 (anything else is a line
    written out of order)."""
    epochs, lost = [], []
    epoch, prev = 1, None
    for seq in seqs:
        if prev is not None and seq < prev and (seq <= 100 or prev - seq > 100):
            epoch += 1
            prev = None
        epochs.append(epoch)
        lost.append(max(seq - prev - 1, 0) if prev is not None else 0)
        prev = seq
    return epochs, lost


@FUZZ
@given(
    st.lists(
        st.one_of(st.integers(0, 400), st.integers(0, 10**8 - 1), st.integers(10**8, 10**18)),
        min_size=1,
        max_size=60,
    )
)
def test_counters_out_of_order_and_restarts(seqs):
    lines = [f"{s:08d}" + renumber(CORPUS[i % len(CORPUS)], 0)[8:] for i, s in enumerate(seqs)]
    node = parse_bytes("".join(line + "\r\n" for line in lines).encode())
    f = node.frame
    assert f["seq"].to_list() == seqs
    epochs, lost = expected_epochs(seqs)
    assert f["epoch"].to_list() == epochs
    assert f["lost_before"].to_list() == lost
    assert node.epochs == epochs[-1]
    assert node.rows == node.entries == len(seqs)


def real_time(month, day, year, hour, minute, second) -> datetime | None:
    try:
        t = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    # what datetime[ns] can hold
    return t if datetime(1678, 1, 1) <= t < datetime(2262, 1, 1) else None


@FUZZ
@given(
    st.integers(0, 99),
    st.integers(0, 99),
    st.one_of(st.integers(0, 9999), st.sampled_from([1970, 2020, 2099, 2262, 1677, 1678])),
    st.integers(0, 99),
    st.integers(0, 99),
    st.integers(0, 99),
    st.integers(0, 9_999_999),
)
def test_dates_that_do_not_exist_are_entries_without_a_time(mo, dd, yyyy, hh, mi, ss, frac):
    date = f"{mo:02d}/{dd:02d}/{yyyy:04d} {hh:02d}:{mi:02d}:{ss:02d}.{frac:07d}"
    good = renumber(CORPUS[0], 1)
    line = renumber(CORPUS[1], 2, date)
    node = parse_bytes(f"{good}\r\n{line}\r\n".encode())
    row = node.frame.row(1, named=True)
    assert row["event"] == "" and row["seq"] == 2  # still an entry: only its time is unknown
    want = real_time(mo, dd, yyyy, hh, mi, ss)
    if want is None:
        assert row["local_time"] is None
        assert node.bad_time == 1
    else:
        got = row["local_time"]
        assert got is not None and got.replace(microsecond=0) == want
        assert (got - want).microseconds == frac // 10
        assert node.bad_time == 0


@pytest.mark.parametrize(
    ("date", "exists"),
    [
        ("02/30/2020 10:00:00.0000000", False),
        ("13/45/2020 10:00:00.0000000", False),
        ("10/26/2020 25:61:61.0000000", False),
        ("02/29/2020 23:59:59.9999999", True),
        ("02/29/2021 10:00:00.0000000", False),
        ("01/01/2099 10:00:00.0000000", True),
        ("01/01/1970 00:00:00.0000000", True),
        ("01/01/9999 10:00:00.0000000", False),  # would wrap around in datetime[ns]
        ("01/01/0000 10:00:00.0000000", False),
    ],
)
def test_named_dates(date, exists):
    node = parse_bytes(
        (renumber(CORPUS[0], 1) + "\n" + renumber(CORPUS[1], 2, date) + "\n").encode()
    )
    assert (node.frame["local_time"][1] is not None) is exists
    assert node.bad_time == (0 if exists else 1)
    assert node.unparsed == 0


def test_numbers_too_large_for_their_columns():
    """Counters, indexes, volumes, node ids and 'missing log counter : N' beyond 64 or 32
    bits are kept as text, not a crash."""
    big = "9" * 23
    lines = [
        entry(1, "10:00:00.0000000", "fine"),
        f"{big} 10/26/2020 10:00:01.0000000 [f] [ETC:{big}] bsr_info<6> {THREAD}x",
        entry(2, "10:00:02.0000000", f"missing log counter : {big}"),
        entry(3, "10:00:03.0000000", "missing log counter : 9223372036854775807"),
        entry(4, "10:00:04.0000000", "missing log counter : 9223372036854775807"),
        entry(
            5, "10:00:05.0000000", "x", obj=f"bsr r0/{big} minor {big}, ds(UpToDate), dvflag(0x0): "
        ),
        entry(
            6,
            "10:00:06.0000000",
            "x",
            obj=f"bsr r0 pnode-id:{big}, cs(Connected), prole(Secondary), cflag(0x0), scf(0x0): ",
        ),
        entry(7, "10:00:07.0000000", "x", obj=f"bsr r0/0 bsr{big} alpha: "),
        entry(8, "10:00:08.0000000", "x", obj="bsr r0/0 bsr2: "),
        entry(9_223_372_036_854_775_807, "10:00:09.0000000", "counter at the i64 limit"),
    ]
    node = parse_bytes("".join(line + "\n" for line in lines).encode())
    f = node.frame
    assert node.rows == node.entries == len(lines)
    assert f["seq"][1] is None and f["index"][1] is None
    assert f["object"][5] == "device" and f["volume"][5] is None
    assert f["object"][6] == "connection" and f["peer_id"][6] is None
    assert node.missing_reported == 2 * (2**63 - 1)  # no i64 wrap-around
    assert node.lost > 2**63  # the counter jumped from 8 to 2**63-1 in one epoch


def test_ten_megabyte_line_of_glued_entries():
    one = renumber(CORPUS[5], 0)
    glued = "".join(renumber(CORPUS[5], i + 1) + " " for i in range(10 * 2**20 // len(one)))
    raw = (glued.rstrip(" ") + "\r\n" + "z" * (10 * 2**20) + "\r\n").encode()
    node = parse_bytes(raw)
    n = glued.count(" [") // one.count(" [")
    assert node.lines == 2
    assert node.entries == n and node.unparsed == 1
    assert node.frame.filter(pl.col("line") == 1)["seq"].to_list() == list(range(1, n + 1))
    assert node.frame["message"][-1] == "z" * (10 * 2**20)


# -- the command line ---------------------------------------------------------------------


def test_cli_empty_file(bsrcorr, tmp_path):
    (tmp_path / "node0.log").write_bytes(b"")
    run = bsrcorr(tmp_path / "node0.log", *NO_DIAGRAMS)
    assert_clean_error(run, 2, "empty file")
    assert not run.out.exists()


def test_cli_file_of_line_ends_only(bsrcorr, tmp_path):
    (tmp_path / "node0.log").write_bytes(b"\r\n\n\r\n")
    assert_clean_error(bsrcorr(tmp_path / "node0.log", *NO_DIAGRAMS), 2, "no BSR log entries")


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 40,
        b"\x7fELF\x02\x01\x01" + bytes(5000),
        b"\x89PNG\r\n\x1a\n" + os.urandom(4000),
    ],
    ids=["all-bytes", "elf", "png"],
)
def test_cli_binary_file(bsrcorr, tmp_path, data):
    (tmp_path / "node0.log").write_bytes(data)
    assert_clean_error(
        bsrcorr(tmp_path / "node0.log", *NO_DIAGRAMS), 2, "binary data, not a BSR log"
    )


@pytest.mark.parametrize(
    ("name", "text", "shown"),
    [
        (
            "syslog",
            "Oct 26 16:25:06 node0 kernel: [ 12.345] e1000: eth0 NIC Link is Up\n" * 20,
            "e1000: eth0",
        ),
        (
            "access.log",
            '10.0.0.1 - - [26/Oct/2020:16:25:06 +0900] "GET / HTTP/1.1" 200 612 "-" "curl"\n' * 20,
            "GET / HTTP",
        ),
        (
            "journal.json",
            '{"__REALTIME_TIMESTAMP": "1603697106000000", "MESSAGE": "bsr: r0: up"}\n' * 5,
            "__REALTIME_TIMESTAMP",
        ),
    ],
)
def test_cli_another_log_format(bsrcorr, tmp_path, name, text, shown):
    (tmp_path / name).write_text(text)
    run = bsrcorr(tmp_path / name, *NO_DIAGRAMS)
    assert_clean_error(run, 2, "no BSR log entries", shown)


def test_cli_truncated_gzip_of_one_node(bsrcorr, tmp_path):
    lines = small_log(400)
    data = gzip.compress(log_bytes(lines))
    cut = data[: len(data) * 2 // 3]
    (tmp_path / "node0.log.gz").write_bytes(cut)
    # What the cut stream holds, by zlib on its own: exactly these lines must be rows.
    held = zlib.decompressobj(wbits=31).decompress(cut).decode()
    *whole, partial = held.split("\r\n")
    assert 1 < len(whole) < 400 and partial  # cut inside a line
    run = bsrcorr(tmp_path / "node0.log.gz", *NO_DIAGRAMS)
    assert run.exit_code == 1, run.stderr
    t = run.timeline()
    cut_warning = (
        f"bsrcorr: warning: {tmp_path / 'node0.log.gz'}: gzip stream is truncated; using the "
        f"{len(held)} bytes it held"
    )
    # the cut line is a row of its own; an entry when its header survived the cut
    unparsed = t["event"].to_list()[-1] == "unparsed"
    assert run.warnings == [cut_warning] + (
        ["bsrcorr: warning: node0: 1 line(s) are not BSR entries (0.4%); kept as event=unparsed"]
        if unparsed
        else []
    )
    assert not run.errors and "Traceback" not in run.stderr
    # every whole line as it was written, in order; then the cut line, cut
    assert whole == lines[: len(whole)]
    assert t.height == len(whole) + 1
    assert t["seq"].to_list()[: len(whole)] == list(range(1, len(whole) + 1))
    assert t["message"].to_list()[: len(whole)] == [f"message {i}" for i in range(len(whole))]
    assert t["line"].to_list() == list(range(1, len(whole) + 2))
    last = t.row(-1, named=True)
    assert lines[len(whole)].startswith(partial) and partial.endswith(last["message"])


def test_cli_gzip_cut_in_its_header(bsrcorr, tmp_path):
    (tmp_path / "node0.log.gz").write_bytes(gzip.compress(log_bytes(small_log()))[:6])
    assert_clean_error(bsrcorr(tmp_path / "node0.log.gz", *NO_DIAGRAMS), 2, "gzip")


def test_cli_truncated_zip(bsrcorr, tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("node0/bsr.log", log_bytes(small_log(200)))
    (tmp_path / "logs.zip").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    assert_clean_error(
        bsrcorr(tmp_path / "logs.zip", *NO_DIAGRAMS), 2, "corrupt or truncated archive"
    )


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_cli_archive_bomb_stops_at_the_cap(bsrcorr, tmp_path, kind):
    """Members that expand far beyond --max-extract-mb (each one alone below it)."""
    member = b"0" * (3 * 2**20)  # compresses about a thousandfold
    path = tmp_path / f"bomb.{kind}"
    if kind == "zip":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for i in range(8):
                zf.writestr(f"node{i}/bsr.log", member)
    else:
        with tarfile.open(path, "w:gz") as tf:
            for i in range(8):
                info = tarfile.TarInfo(f"node{i}/bsr.log")
                info.size = len(member)
                tf.addfile(info, io.BytesIO(member))
    assert path.stat().st_size < 2**20 // 8
    run = bsrcorr(path, "--max-extract-mb", "16", *NO_DIAGRAMS)
    assert_clean_error(run, 2, "extraction cap")
    assert not run.out.exists()


def test_cli_gzip_bomb_stops_at_the_cap(bsrcorr, tmp_path):
    path = tmp_path / "node0.log.gz"
    with gzip.open(path, "wb") as fh:
        for _ in range(40):
            fh.write(b"\n" * 2**20)
    run = bsrcorr(path, "--max-extract-mb", "8", *NO_DIAGRAMS)
    assert_clean_error(run, 2, "extraction cap")


def hostile_archive(path: Path, kind: str, outside: Path) -> list[str]:
    """node0's log under a safe name, plus members whose names point outside."""
    good = log_bytes(small_log())
    evil = log_bytes(small_log(3, start=90))
    names = [
        f"../{outside.name}/bsr.log",
        f"{outside}/bsr.log_2020-10-26T000000.000",
        "node0/../../bsr.log_2020-10-26T000001.000",
        "C:\\Windows\\bsr.log",
    ]
    if kind == "zip":
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("node0/bsr.log", good)
            for name in names:
                zf.writestr(zipfile.ZipInfo(name), evil)
    else:
        with tarfile.open(path, "w:gz") as tf:
            for name, data in [("node0/bsr.log", good), *((n, evil) for n in names)]:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
            link = tarfile.TarInfo("node0/bsr.log_2020-10-26T000002.000")
            link.type = tarfile.SYMTYPE
            link.linkname = str(outside / "secret")
            tf.addfile(link)
    return names


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_cli_archive_members_escaping(bsrcorr, tmp_path, kind):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("not a log")
    work = tmp_path / "work"
    work.mkdir()
    archive = work / f"node0.{kind}"
    names = hostile_archive(archive, kind, outside)
    before = {p: files_under(p) for p in (tmp_path, outside)}
    run = bsrcorr(archive, *NO_DIAGRAMS, out=work / "out")
    assert run.exit_code == 1, run.stderr
    assert "Traceback" not in run.stderr
    for name in names:
        assert f"refused member {name!r}" in run.stderr
    # only node0's own five lines; nothing from the refused members or the link target
    t = pl.read_parquet(run.out / "timeline.parquet")
    assert t["seq"].to_list() == [1, 2, 3, 4, 5]
    assert not t["message"].str.contains("not a log").any()
    # nothing was written anywhere but -o
    assert files_under(outside) == before[outside]
    written = files_under(tmp_path) - before[tmp_path]
    assert written and all(p.startswith("work/out") for p in written), written


def test_cli_symlink_loop_in_a_directory(bsrcorr, tmp_path):
    node = tmp_path / "node0"
    write_log(node / "bsr.log", small_log())
    (node / "sub").mkdir()
    (node / "sub" / "up").symlink_to(node)  # a directory loop
    (node / "bsr.log_2020-10-26T000000.000").symlink_to("bsr.log_2020-10-26T000000.000")
    (node / "bsr.log_2020-10-26T000001.000").symlink_to("bsr.log_2020-10-26T000002.000")
    (node / "bsr.log_2020-10-26T000002.000").symlink_to("bsr.log_2020-10-26T000001.000")
    run = bsrcorr(node, *NO_DIAGRAMS)
    assert run.exit_code == 1, run.stderr
    assert "Traceback" not in run.stderr
    assert run.stderr.count("skipped") == 3
    assert pl.read_parquet(run.out / "timeline.parquet").height == 5


def test_cli_symlink_loop_given_as_the_source(bsrcorr, tmp_path):
    (tmp_path / "a.log").symlink_to(tmp_path / "b.log")
    (tmp_path / "b.log").symlink_to(tmp_path / "a.log")
    assert_clean_error(bsrcorr(tmp_path / "a.log", *NO_DIAGRAMS), 2, "a.log")


def chmod_blocks_reading(path: Path) -> bool:
    try:
        with open(path, "rb"):
            return False
    except PermissionError:
        return True


def test_cli_unreadable_file(bsrcorr, tmp_path, monkeypatch):
    log = write_log(tmp_path / "node0.log", small_log())
    log.chmod(0)
    try:
        if not chmod_blocks_reading(log):
            # root (or CAP_DAC_OVERRIDE) reads through chmod 000: make the access check
            # answer as it would for anyone else
            real_access = os.access
            monkeypatch.setattr(
                "correlate.read.sources.os.access",
                lambda p, mode: False if Path(p) == log else real_access(p, mode),
            )
        assert_clean_error(bsrcorr(log, *NO_DIAGRAMS), 2, "permission denied")
    finally:
        log.chmod(0o644)


def test_cli_unreadable_rotated_file_in_a_directory(bsrcorr, tmp_path):
    node = tmp_path / "node0"
    write_log(node / "bsr.log", small_log(5, start=10))
    rotated = write_log(node / "bsr.log_2020-10-26T000000.000", small_log(5))
    rotated.chmod(0)
    try:
        if not chmod_blocks_reading(rotated):
            pytest.skip("running as root (or with CAP_DAC_OVERRIDE): chmod 000 does not stop reads")
        run = bsrcorr(node, *NO_DIAGRAMS)
        assert run.exit_code == 1
        assert "bsr.log_2020-10-26T000000.000: skipped: Permission denied" in run.stderr
        assert pl.read_parquet(run.out / "timeline.parquet").height == 5
    finally:
        rotated.chmod(0o644)


def test_cli_missing_path(bsrcorr, tmp_path):
    good = write_log(tmp_path / "node0.log", small_log())
    run = bsrcorr(good, tmp_path / "node1.log", *NO_DIAGRAMS)
    assert_clean_error(run, 2, "node1.log: no such file or directory")
    assert not run.out.exists()


def test_cli_broken_symlink(bsrcorr, tmp_path):
    (tmp_path / "node0.log").symlink_to(tmp_path / "gone.log")
    assert_clean_error(bsrcorr(tmp_path / "node0.log", *NO_DIAGRAMS), 2, "broken symbolic link")


def test_cli_same_log_twice(bsrcorr, tmp_path):
    log = write_log(tmp_path / "node0.log", small_log())
    assert_clean_error(bsrcorr(log, log, *NO_DIAGRAMS), 2, "the same log was given for two nodes")
    copy = tmp_path / "node1" / "bsr.log"
    copy.parent.mkdir()
    copy.write_bytes(log.read_bytes())
    assert_clean_error(
        bsrcorr(log, copy.parent, *NO_DIAGRAMS), 2, "the same log was given for two nodes"
    )
    gz = tmp_path / "node2.log.gz"
    gz.write_bytes(gzip.compress(log.read_bytes()))
    assert_clean_error(bsrcorr(log, gz, *NO_DIAGRAMS), 2, "the same log was given for two nodes")


def test_cli_two_unrelated_clusters(bsrcorr, tmp_path):
    a = write_log(tmp_path / "alpha.log", small_log(20, resource="r0", peer=1))
    b = write_log(tmp_path / "beta.log", small_log(20, start=300, resource="data7", peer=3))
    run = bsrcorr(a, b, *NO_DIAGRAMS)
    assert run.exit_code == 1, run.stderr  # a finished bundle, with a warning that matters
    assert "Traceback" not in run.stderr and not run.errors
    [warning] = [line for line in run.stderr.splitlines() if "unaligned" in line]
    assert warning.startswith("bsrcorr: warning: beta: ")
    alignment = json.loads((run.out / "alignment.json").read_text())
    assert alignment["offsets"]["beta"][0]["basis"] == "unaligned"
    t = pl.read_parquet(run.out / "timeline.parquet")
    beta = t.filter(pl.col("node") == "beta")
    assert beta.height == 20 and beta["offset_s"].is_null().all()
    assert (beta["time"] == beta["local_time"]).all()


# -- a full disk --------------------------------------------------------------------------

OUTPUTS = ["timeline.parquet", "timeline.csv", "alignment.json", "summary.json", "report.html"]


def disk_fills_at(monkeypatch, out: Path, victim: str) -> None:
    """Writes into ``out`` fail with ENOSPC once ``victim`` is being written: polars'
    writers (Rust I/O) and Python's ``open`` both, after a partial write as a real full
    disk leaves."""
    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    state = {"full": False}

    def hits(path) -> bool:
        p = Path(path)
        if p.name in (victim, f".{victim}.tmp") or (
            victim == "diagrams" and p.parent.name == victim
        ):
            state["full"] = True
        return state["full"] and out in p.parents

    for method in ("write_parquet", "write_csv"):
        real = getattr(pl.DataFrame, method)

        def fake(self, file, *args, _real=real, **kwargs):
            # a path, or a file the caller opened (the CSV is written in slices)
            by_path = isinstance(file, (str, Path))
            if hits(file if by_path else file.name):
                if by_path:
                    Path(file).write_bytes(b"PAR1 half a file")
                else:
                    file.write(b"half a row")
                raise full
            return _real(self, file, *args, **kwargs)

        monkeypatch.setattr(pl.DataFrame, method, fake)

    real_open = open

    class Full(io.TextIOWrapper):
        pass

    def fake_open(file, mode="r", *args, **kwargs):
        fh = real_open(file, mode, *args, **kwargs)
        if isinstance(file, (str, Path)) and any(c in mode for c in "wax") and hits(file):
            fh.write("{" if "b" not in mode else b"<svg")
            fh.close()
            raise full
        return fh

    monkeypatch.setattr("builtins.open", fake_open)
    real_write_bytes, real_write_text = Path.write_bytes, Path.write_text

    def fake_write_bytes(self, data):
        if hits(self):
            real_write_bytes(self, data[: len(data) // 2])
            raise full
        return real_write_bytes(self, data)

    def fake_write_text(self, data, *args, **kwargs):
        if hits(self):
            real_write_text(self, data[: len(data) // 2], *args, **kwargs)
            raise full
        return real_write_text(self, data, *args, **kwargs)

    monkeypatch.setattr(Path, "write_bytes", fake_write_bytes)
    monkeypatch.setattr(Path, "write_text", fake_write_text)


def event_pair() -> list[Path]:
    return [DATA / "events" / "win_a.log", DATA / "events" / "win_b.log"]


@pytest.mark.parametrize("victim", [*OUTPUTS, "diagrams"])
def test_cli_disk_full(bsrcorr, tmp_path, monkeypatch, victim):
    out = tmp_path / "out"
    # an earlier complete bundle in the same directory must not pass for this run's
    first = bsrcorr(*event_pair(), "--csv", out=out)
    assert first.exit_code in (0, 1) and (out / "report.html").exists()
    # mark the earlier bundle's files: this run may legitimately write the same bytes
    earlier = {name: b"earlier run: " + name.encode() for name in OUTPUTS}
    for name, mark in earlier.items():
        (out / name).write_bytes(mark)
    disk_fills_at(monkeypatch, out, victim)
    run = bsrcorr(*event_pair(), "--csv", "--since", "2024-03-02T10:00:11", out=out)
    monkeypatch.undo()
    assert_clean_error(run, 3, "No space left on device")
    assert "written to" not in run.stdout
    left = files_under(out)
    # no half-written file under a final name, no temporary left behind
    assert not [name for name in left if Path(name).name.startswith(".")], left
    assert "report.html" not in left  # the bundle is not presented as complete
    for name in OUTPUTS:
        if name in left:
            data = (out / name).read_bytes()
            assert data != earlier[name], f"{name} is the earlier run's"
            if name.endswith(".json"):
                json.loads(data)
            elif name.endswith(".parquet"):
                pl.read_parquet(out / name)


# -- a real process -----------------------------------------------------------------------


def run_process(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "correlate", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_process_runs_on_hostile_input_without_traceback(tmp_path):
    """A real process, as a user types it: garbage mixed into node0's log, node1 a file
    of random bytes and then a good one."""
    lines = [entry(i, f"10:00:{i:02d}.0000000", f"m{i}") for i in range(1, 30)]
    raw = bytearray(log_bytes(lines))
    raw[100:100] = b"\x00\x00\xff\xfe\r\r\n\x1b[31m"
    raw[900:900] = "\u202e\ufeff ascii art ┌─┐".encode()
    (tmp_path / "node0.log").write_bytes(bytes(raw))
    (tmp_path / "node1.log").write_bytes(os.urandom(20000))
    bad = run_process("node0.log", "node1.log", "-o", "out", cwd=tmp_path)
    assert bad.returncode == 2, bad.stderr
    assert "Traceback" not in bad.stderr
    # node0's warnings may come first; the one error names node1's file
    assert [ln for ln in bad.stderr.splitlines() if ln.startswith("bsrcorr: error:")] == [
        "bsrcorr: error: node1: node1.log: binary data, not a BSR log"
    ]
    assert all(line.startswith("bsrcorr: ") for line in bad.stderr.splitlines())
    write_log(tmp_path / "node1.log", small_log())
    ok = run_process("node0.log", "node1.log", "-o", "out", cwd=tmp_path)
    assert ok.returncode == 1, ok.stderr
    assert "Traceback" not in ok.stderr
    assert "not valid UTF-8" in ok.stderr
    assert all(line.startswith("bsrcorr: ") for line in ok.stderr.splitlines())
    t = pl.read_parquet(tmp_path / "out" / "timeline.parquet")
    # the inserted LF cuts one line in two: one more row, nothing lost
    assert t.filter(pl.col("node") == "node0").height == 29 + 1


@pytest.mark.parametrize(
    "start",
    [b"\x1f\x8b\x08 gzip", b"x^ zlib", b"x\x9c zlib", b"x\x01 zlib", b"\x28\xb5\x2f\xfd zstd"],
    ids=["gzip", "zlib-caret", "zlib-9c", "zlib-01", "zstd"],
)
def test_a_log_beginning_like_a_compressed_stream_is_read_as_text(start):
    """polars decompresses what starts like gzip, zlib or zstd on its own: such a first
    line (debris, or plain text "x^...") must be an unparsed row, the entries after it
    entries, not a crash."""
    raw = start + b"\n" + ANCHOR.encode()
    node = parse_bytes(raw)
    assert_every_line_accounted(node, [raw])
    assert node.frame["event"].to_list() == ["unparsed", ""]
    assert node.frame["message"][1] == "anchor: a plain entry so the node has one"


def test_digits_of_other_scripts_are_not_a_counter():
    """A BSR counter is ASCII digits: Arabic-Indic digits before a header are not part
    of its counter (they were, and the line came out one unparsed row cut short of its
    trailing space); no character of the line is lost."""
    raw = (ANCHOR + "\u0661\u066200000001 10/26/2020 16:25:03.3139464 [f] \n").encode()
    node = parse_bytes(raw)
    assert_every_line_accounted(node, [raw])
    assert node.frame["event"].to_list() == ["", "unparsed", "unparsed"]
    assert node.frame["message"][1] == "\u0661\u0662"
