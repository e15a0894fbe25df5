"""The parse stage: every BSR entry becomes a row with the right fields; nothing is lost."""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from correlate.errors import InputError, Notices
from correlate.read import bsr as parse_module
from correlate.read.bsr import FileFacts, parse_node
from correlate.read.sources import LogFile, NodeSource, resolve
from correlate.times import fmt_ns

from .helpers import DATA, SAMPLES, THREAD, entry, write_log

# The oracle: a plain regular expression over the seed text, written independently of the
# parser's column slicing. Entries are pasted several to a line in the seed.
ORACLE = re.compile(
    r"(\d{8}) (\d\d)/(\d\d)/(\d{4}) (\d\d:\d\d:\d\d\.\d{7}) \[([^\]]*)\] \[([^\]:]*):(\d+)\] "
    r"bsr_(\w{4})<(\d)> (.*?)(?= \d{8} \d\d/\d\d/\d{4} |$)"
)


def parse(path: Path, name: str = "n") -> tuple:
    notices = Notices()
    [src] = resolve([f"{name}={path}"], notices)
    return parse_node(src, notices), notices


def seed_oracle() -> list[dict]:
    rows = []
    for line_no, line in enumerate((DATA / "seed_entries.txt").read_text().splitlines(), 1):
        for m in ORACLE.finditer(line):
            seq, mm, dd, yyyy, clock, func, cat, idx, level, num, rest = m.groups()
            rows.append(
                dict(
                    line=line_no,
                    seq=int(seq),
                    time=f"{yyyy}-{mm}-{dd}T{clock}",
                    func=func,
                    cat=cat,
                    idx=int(idx),
                    level=level,
                    num=int(num),
                    rest=rest,
                )
            )
    return rows


def test_every_seed_entry_parses_with_its_fields():
    node, _ = parse(DATA / "seed_entries.txt")
    expected = seed_oracle()
    assert len(expected) == 219
    frame = node.frame
    assert node.unparsed == 0
    assert frame.height == len(expected)
    got = frame.with_columns(t=pl.col("local_time").cast(pl.Int64)).to_dicts()
    for want, row in zip(expected, got, strict=True):
        assert row["line"] == want["line"]
        assert row["seq"] == want["seq"]
        assert fmt_ns(row["t"]) == want["time"], want
        assert row["function"] == want["func"]
        assert row["category"] == want["cat"]
        assert row["index"] == want["idx"]
        assert row["level"] == want["level"]
        assert row["level_num"] == want["num"]
        # the message is what follows the object prefix, whole
        assert want["rest"].endswith(row["message"]), want
        assert len(want["rest"]) - len(row["message"]) < 140


@pytest.mark.parametrize(
    ("seq", "obj", "resource", "volume", "minor", "peer_id", "message_start"),
    [
        (1, "none", None, None, None, None, "registry_path["),
        (25, "peer_device", "r0", 0, 2, 1, "default peer device option."),
        (32, "device", "r0", 0, 2, None, "change_disk_state, disk( Diskless -> Attaching )"),
        (63, "connection", "r0", None, None, 1, "Handshake to peer 1 successful"),
        (68, "resource", "r0", None, None, None, "Preparing cluster-wide state change 177619259"),
    ],
)
def test_seed_object_prefixes(seq, obj, resource, volume, minor, peer_id, message_start):
    node, _ = parse(DATA / "seed_entries.txt")
    row = node.frame.filter(
        (pl.col("seq") == seq)
        & (pl.col("epoch") == node.frame.filter(pl.col("seq") == seq)["epoch"][0])
    ).row(0, named=True)
    assert row["object"] == obj
    assert row["resource"] == resource
    assert row["volume"] == volume
    assert row["minor"] == minor
    assert row["peer_id"] == peer_id
    assert row["platform"] == "windows"
    assert row["message"].startswith(message_start)


def test_seed_category_with_slash_and_space_and_state_before_change():
    node, _ = parse(DATA / "seed_entries.txt")
    cats = set(node.frame["category"].unique())
    assert {"RESYNC/OV", "SEND BUFFER", "TWOPC", "PROTOCOL"} <= cats
    row = node.frame.filter(pl.col("seq") == 65).row(0, named=True)
    assert (row["category"], row["index"], row["level"]) == ("SEND BUFFER", 27, "warn")
    assert row["object_state"] == "cs(Connecting), prole(Unknown), cflag(0x0), scf(0x0)"


def test_linux_lines_parse():
    node, _ = parse(DATA / "linux" / "alpha.log", "alpha")
    rows = {r["seq"]: r for r in node.frame.to_dicts()}
    assert node.unparsed == 0
    assert {r["platform"] for r in rows.values()} == {"linux"}
    assert (rows[1]["object"], rows[1]["message"][:10]) == ("none", "BSR driver")
    assert (rows[3]["object"], rows[3]["resource"]) == ("resource", "r0")
    assert rows[3]["message"].startswith("Starting worker thread")
    assert (rows[5]["object"], rows[5]["resource"], rows[5]["volume"], rows[5]["minor"]) == (
        "device",
        "r0",
        0,
        2,
    )
    assert (rows[6]["object"], rows[6]["peer_host"]) == ("connection", "beta")
    assert rows[6]["message"].startswith("Handshake to peer 1 successful")
    assert (rows[7]["object"], rows[7]["peer_host"], rows[7]["minor"]) == ("peer_device", "beta", 2)
    # "bsr registry: ..." names no resource this node has: it is a message, not a prefix
    assert rows[8]["object"] == "none"
    assert rows[8]["message"] == "registry: a message without an object: it has a colon"
    assert rows[8]["level"] == "warn"


def test_rotated_files_in_shuffled_names_come_out_in_counter_order(tmp_path):
    def block(first: int, minute: int) -> list[str]:
        return [
            entry(first + i, f"10:{minute:02d}:{i:02d}.0000000", f"line {first + i}")
            for i in range(50)
        ]

    d = tmp_path / "node0"
    # Names that sort against their content: the oldest lines in the newest-looking name.
    write_log(d / "bsr.log_2020-10-26T120000.000", block(1, 1))
    write_log(d / "bsr.log_2020-10-26T100000.000", block(51, 2))
    write_log(d / "bsr.log", block(101, 3))
    node, _ = parse(d)
    assert node.frame["seq"].to_list() == list(range(1, 151))
    assert [f.display.rsplit("/", 1)[1] for f in node.files] == [
        "bsr.log_2020-10-26T120000.000",
        "bsr.log_2020-10-26T100000.000",
        "bsr.log",
    ]
    assert (node.epochs, node.lost) == (1, 0)


def test_reboot_starts_second_epoch(tmp_path):
    first = [entry(i, f"10:00:{i:02d}.0000000", "before") for i in range(1, 41)]
    second = [entry(i, f"11:00:{i:02d}.0000000", "after") for i in range(1, 21)]
    node, _ = parse(write_log(tmp_path / "n.log", first + second))
    assert node.epochs == 2
    assert node.frame.group_by("epoch").len().sort("epoch")["len"].to_list() == [40, 20]
    assert node.lost == 0


def test_counter_gaps_and_missing_log_counter_are_lost_lines(tmp_path):
    lines = [entry(i, f"10:00:{i:02d}.0000000", "x") for i in range(1, 11)]
    lines += [entry(16, "10:00:16.0000000", "after a gap of five")]
    lines += [
        "00000017 10/26/2020 10:00:17.0000000 [bsr_x] [STATE:3] bsr_warnmissing log counter : 7"
    ]
    node, _ = parse(write_log(tmp_path / "n.log", lines))
    assert (node.gap_lines, node.missing_reported, node.lost) == (5, 7, 12)
    assert node.frame.filter(pl.col("seq") == 16)["lost_before"][0] == 5
    missing = node.frame.filter(pl.col("seq") == 17).row(0, named=True)
    assert (missing["level"], missing["level_num"], missing["message"]) == (
        "warn",
        None,
        "missing log counter : 7",
    )


def test_glued_entries_cut_line_and_every_line_kept(tmp_path):
    long_msg = "y" * 470
    cut = entry(2, "10:00:02.0000000", long_msg)[:511]  # the driver cut it, no line end
    lines = [
        entry(1, "10:00:01.0000000", "first"),
        cut + entry(3, "10:00:03.0000000", "glued after a cut line"),
        "this is not a BSR line",
        "",
        entry(4, "10:00:04.0000000", "last"),
    ]
    node, _ = parse(write_log(tmp_path / "n.log", lines))
    f = node.frame
    assert f.height == 6  # 5 physical lines, one holding two entries
    assert node.lines == 5
    assert f.filter(pl.col("line") == 2)["seq"].to_list() == [2, 3]
    assert f.filter(pl.col("line") == 2)["entry"].to_list() == [0, 1]
    assert f.filter(pl.col("seq") == 2)["cut"][0] is True
    assert f.filter(pl.col("seq") == 3)["message"][0] == "glued after a cut line"
    unparsed = f.filter(pl.col("event") == "unparsed")
    assert unparsed["message"].to_list() == ["this is not a BSR line", ""]
    assert node.unparsed == 2


def test_crlf_lf_invalid_utf8_and_nul(tmp_path):
    raw = (
        entry(1, "10:00:01.0000000", "crlf").encode()
        + b"\r\n"
        + entry(2, "10:00:02.0000000", "lf").encode()
        + b"\n"
        + entry(3, "10:00:03.0000000", "bad \xff\xfe bytes").encode("latin-1")
        + b"\r\n"
        + b"\x00\x00\x00"
        + entry(4, "10:00:04.0000000", "after NULs").encode()
        + b"\r\n"
    )
    path = tmp_path / "n.log"
    path.write_bytes(raw)
    node, notices = parse(path)
    f = node.frame
    assert f["seq"].to_list() == [1, 2, 3, 4]
    assert f["message"].to_list()[:2] == ["crlf", "lf"]
    assert "\ufffd" in f["message"][2]
    assert f["message"][3] == "after NULs"
    assert any("not valid UTF-8" in n.message for n in notices.items)


def test_windows_none_object_keeps_thread():
    line = entry(7, "10:00:00.0000000", "BSR MVF Driver loaded.", obj=THREAD)
    assert line.endswith("[0xFFFFE0012A6BD880] BSR MVF Driver loaded.")


# -- the fast path against the slow path ----------------------------------------------------
#
# ``correlate/read/bsr.py`` reads a line in the fixed layout by decoding its key (function,
# category, level, object prefix) once per distinct key, and any other line row by row.
# Both must give the same rows: here the same input is parsed twice, once as it is and
# once with the fast path's layout made unmatchable, so that every line takes the slow
# path (which is the parser as it was before the fast path existed).

FUZZ = settings(
    max_examples=int(os.environ.get("BSRCORR_FUZZ", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# NUL bytes are removed before a line is matched: this can never match.
NEVER = "\x00never\x00"

COUNTERS = ["00000007", "12345678", "123456789", "1234567", "+1234567", "٠٠٠٠٠٠٠١", "0000000a"]
DATES = [
    "10/26/2020 16:25:06.3224961",
    "02/30/2020 10:00:00.0000000",
    "10/26/2020 25:61:00.0000000",
    "12/31/2020 23:59:60.5000000",
    "10/26/2020 10:00:61.0000000",
    "01/01/9999 00:00:00.0000000",
    "10/26/2020 16:25:06.322496",
    "10/26/2020 16:25:0x.3224961",
    "10/26/2020 16:24:42e7079617",
    "10/26/2020 16:24:-1.0000000",
    "10/26/2020 16:24:1e300.0000",
]
FUNCTIONS = [
    "f",
    "bsr_do_features",
    "",
    "a] [b",
    "x] bsr_info<6> y",
    "a: b",
    "ü",
    "[0x1]",
    "f ",
    "00000009 10/26/2020 16:25:06.3224961 [g",
]
CATEGORIES = ["ETC:1", "RESYNC/OV:73", "SEND BUFFER:27", "ETC", "ETC:x", f"ETC:{'9' * 12}", ":"]
LEVELS_ = [
    "bsr_info<6> ",
    "bsr_warn",
    "bsr_erro<3> ",
    "bsr_xxxx<6> ",
    "bsr_info<x> ",
    "bsr_info<6>",
    "bsr_info",
    "info ",
]
PREFIXES = [
    THREAD,
    "[0xFFFFE001] ",
    "[0x" + "F" * 19 + "] ",
    "[0xFFFFE0012A6BD880",
    "bsr r0, r(Secondary), f(0x0), scf(0x82a): ",
    "bsr r0 pnode-id:1, cs(Connecting), prole(Unknown), cflag(0x0), scf(0x0): ",
    "bsr r0/0 minor 2, ds(UpToDate), dvflag(0x0): ",
    "bsr r0/0 minor 2 pnode-id:1, pdsk(DUnknown), prpl(Off), pdvflag(0x0): ",
    "bsr ",
    "bsr r0: ",
    "bsr r0 alpha: ",
    "bsr r0/0 bsr2: ",
    "bsr r0/0 bsr2 alpha: ",
    "bsr r1 beta: ",
    "bsr ü: ",
    "bsr " + "x" * 320 + ": ",
    # the prefix's ": " exactly 300 and 301 characters after its start
    "bsr " + "r" * 262 + ", r(Secondary), f(0x0), scf(0x82a): ",
    "bsr " + "r" * 263 + ", r(Secondary), f(0x0), scf(0x82a): ",
    "bsr 00000009 10/26/2020 16:25:06.3224961 [r0: ",
    "",
]
MESSAGES = [
    "plain",
    "with: a colon",
    "with [brackets] and a [0x1]",
    " [",
    "missing log counter : 7",
    "bad \ufffd byte",
    "trailing spaces  ",
    "00000009 10/26/2020 16:25:06.3224961 [g] [ETC:2] bsr_info<6> bsr r0: inner",
    "x00000009 10/26/2020 16:25:06.3224961 [",
    "1234567 [not an entry",
    "",
]


def tricky_line(
    counter: str, date: str, func: str, cat: str, level: str, obj: str, msg: str
) -> str:
    return f"{counter} {date} [{func}] [{cat}] {level}{obj}{msg}"


@st.composite
def tricky_lines(draw) -> str:
    parts = [COUNTERS, DATES, FUNCTIONS, CATEGORIES, LEVELS_, PREFIXES, MESSAGES]
    line = tricky_line(*(draw(st.sampled_from(values)) for values in parts))
    if draw(st.integers(0, 9)) == 0:
        line = line[: draw(st.integers(0, len(line)))]
    return line


def parse_raw(raw: bytes) -> tuple:
    notices = Notices()
    try:
        node = parse_node(
            NodeSource(name="n", spec="n", files=[LogFile("f.log", data=raw, size=len(raw))]),
            notices,
        )
    except InputError as exc:
        return str(exc), notices.items
    return node, notices.items


def assert_same_parse(a: tuple, b: tuple) -> None:
    (one, said_one), (two, said_two) = a, b
    assert said_one == said_two
    if isinstance(one, str) or isinstance(two, str):
        assert one == two
        return
    assert one.frame.schema == two.frame.schema
    assert_frame_equal(one.frame, two.frame)
    for name in ("files", "lines", "rows", "entries", "unparsed", "lost", "epochs", "bad_time"):
        assert getattr(one, name) == getattr(two, name), name


@FUZZ
@given(
    st.lists(tricky_lines(), min_size=1, max_size=12),
    st.lists(st.sampled_from(["\n", "\r\n", " ", "", "\r\r\n"]), min_size=12, max_size=12),
    st.sampled_from(["", "00000001 10/26/2020 09:00:00.0000000 [f] [ETC:1] bsr_info<6> bsr r1: x"]),
)
def test_fast_path_reads_every_line_as_the_slow_path_does(lines, joins, anchor):
    raw = (anchor + "\n" + "".join(a + b for a, b in zip(lines, joins, strict=False))).encode()
    fast = parse_raw(raw)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parse_module, "_LAYOUT_8", NEVER)
        patch.setattr(parse_module, "_LAYOUT_WIDE", NEVER)
        slow = parse_raw(raw)
    assert_same_parse(fast, slow)


def crafted_lines() -> list[str]:
    """Every value of each part of a line beside every value of two others (the rest
    plain): the pairs and triples where the fast path's shortcuts could go wrong."""
    plain = [COUNTERS[0], DATES[0], FUNCTIONS[0], CATEGORIES[0], LEVELS_[0], PREFIXES[0], ""]
    parts = [COUNTERS, DATES, FUNCTIONS, CATEGORIES, LEVELS_, PREFIXES, MESSAGES]
    triples = [(0, 1, 6), (2, 3, 4), (4, 5, 6), (2, 5, 6), (0, 5, 6), (0, 2, 4)]
    lines = []
    for a, b, c in triples:
        for x, y, z in itertools.product(parts[a], parts[b], parts[c]):
            values = list(plain)
            values[a], values[b], values[c] = x, y, z
            lines.append(tricky_line(*values))
    return lines


@pytest.mark.parametrize("joins", [["\n"], ["\r\n", " ", "\n", "", "\r\r\n", "\n"]])
def test_fast_path_on_crafted_lines(monkeypatch, joins):
    lines = crafted_lines()
    anchor = "00000001 10/26/2020 09:00:00.0000000 [f] [ETC:1] bsr_info<6> bsr r1: x\n"
    raw = (anchor + "".join(ln + joins[i % len(joins)] for i, ln in enumerate(lines))).encode()
    fast = parse_raw(raw)
    monkeypatch.setattr(parse_module, "_LAYOUT_8", NEVER)
    monkeypatch.setattr(parse_module, "_LAYOUT_WIDE", NEVER)
    assert_same_parse(fast, parse_raw(raw))


@pytest.mark.parametrize("joins", [["\n"], ["\r\n", " ", "\n", ""]])
def test_streaming_read_gives_what_reading_first_gives(monkeypatch, joins):
    """A clean file is read and its row columns computed in one streaming pass; any
    other file is read first, then computed: the same rows either way."""
    lines = crafted_lines()
    lines = [ln for ln in lines if not ln.startswith("123456789")]  # wide: never streamed
    raw = "".join(ln + joins[i % len(joins)] for i, ln in enumerate(lines)).encode()
    streamed = parse_raw(raw)
    monkeypatch.setattr(parse_module, "_scan", lambda log, facts: None)
    assert_same_parse(streamed, parse_raw(raw))


def test_fast_path_on_the_seed_and_samples(monkeypatch):
    paths = [DATA / "seed_entries.txt", *sorted((DATA / "linux").glob("*.log"))]
    paths += [SAMPLES / "node0" / "bsr.log", SAMPLES / "node1" / "bsr.log"]
    raws = [p.read_bytes() for p in paths]
    # wide counters too: the fast path takes them, the slow path splits them as before
    raws.append(re.sub(rb"(?m)^0", b"10", raws[0]))
    fast = [parse_raw(raw) for raw in raws]
    monkeypatch.setattr(parse_module, "_LAYOUT_8", NEVER)
    monkeypatch.setattr(parse_module, "_LAYOUT_WIDE", NEVER)
    for raw, got in zip(raws, fast, strict=True):
        assert_same_parse(got, parse_raw(raw))


@FUZZ
@given(
    st.sampled_from([b"0", b"\xef\xbb\xbf", b"\n", b"\r", b"\x00"]),
    st.binary(max_size=400),
    st.sampled_from([b"", b"\n", b"\r\n", b"a\x1fb\n", b"\xff\n", b"\r", b"\x1f", b"\n\x1f"]),
)
def test_lines_read_as_csv_are_the_lines(head, raw, tail):
    """polars' CSV reader, as the parser calls it, cuts a file as ``read_lines`` does
    (or refuses it, and then the file is read as lines). Both readers take a file that
    starts like a gzip, zlib or zstd stream for one: ``head`` keeps that out of here."""
    raw = head + raw + tail
    facts = FileFacts(display="f")
    got = parse_module._read_lines(LogFile("f", data=raw, size=len(raw)), facts)
    text = raw.decode("utf-8", errors="replace")
    want = pl.read_lines(text.encode(), name="text")
    assert got["text"].to_list() == want["text"].to_list()
