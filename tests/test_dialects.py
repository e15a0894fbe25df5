"""Wrapping forms of kernel logs (issue 23): grep's file prefix, ``talosctl dmesg``,
WDRBD, foreign month/weekday names, peers named by IP:port."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl

from correlate.errors import Notices
from correlate.read.kernlog import read_kernel_file, sniff
from correlate.read.sources import LogFile


def _rows(text: str) -> pl.DataFrame:
    data = text.encode()
    frames = read_kernel_file(LogFile("sim.log", data=data, size=len(data)), Notices(), "n", 2023)
    return pl.concat([f.frame for f in frames]).sort("line")


def test_grep_prefix_is_cut_and_named() -> None:
    text = (
        "kern.log:Apr 26 00:00:34 px2 kernel: [172678.053420] drbd vm-1: "
        "role( Primary -> Secondary )\n"
        "kern.log.1:Apr 26 00:00:40 px2 kernel: [172683.184105] drbd vm-2: "
        "role( Primary -> Secondary )\n"
    )
    assert sniff(text.encode())
    rows = _rows(text)
    assert rows["format"].to_list() == ["grep+syslog", "grep+syslog"]
    assert rows["resource"].to_list() == ["vm-1", "vm-2"]
    assert rows["host"].to_list() == ["px2", "px2"]


def test_talos_line_reads_its_iso_stamp_and_level() -> None:
    text = (
        "talos-a: kern: warning: [2023-12-18T10:52:04.594771883Z]: "
        "drbd r0 talos-b: meta connection shut down by peer.\n"
    )
    assert sniff(text.encode())
    row = _rows(text).row(0, named=True)
    assert row["format"].startswith("talos+")
    assert (row["resource"], row["peer_host"], row["level"]) == ("r0", "talos-b", "warn")
    assert row["message"] == "meta connection shut down by peer."


def test_russian_months_and_german_weekdays() -> None:
    ru = "апр 21 13:59:39 colo-srv-3 kernel: drbd linstor_db colo-srv-1: PingAck did not arrive.\n"
    de = (
        "[Mo Jun  3 05:16:06 2024] drbd pvc-1: Preparing cluster-wide state change 35 (2->-1 3/1)\n"
    )
    for text, month in ((ru, 4), (de, 6)):
        assert sniff(text.encode())
        row = _rows(text).row(0, named=True)
        assert row["resource"] in ("linstor_db", "pvc-1")
        assert row["local_time"].month == month


def test_ip_port_peer_is_a_peer_device() -> None:
    text = "[872526.919707] drbd 6/1 drbd1 192.180.50.13:7781: repl( WFBitMapS -> SyncSource )\n"
    row = _rows(text).row(0, named=True)
    assert (row["object"], row["resource"], row["peer_host"]) == (
        "peer_device",
        "6",
        "192.180.50.13:7781",
    )


def test_wdrbd_entry_reads_as_a_windows_prefix() -> None:
    text = (
        "00000050 08/25/2016 16:06:47.147 [get_max_agreeable_size] WDRBD_INFO<6>drbd r0/0 "
        "minor 1, ds(Attaching), dvflag(0x0): my node_id: 0\n"
    )
    assert sniff(text.encode())
    row = _rows(text).row(0, named=True)
    assert row["format"].startswith("wdrbd+")
    assert (row["resource"], row["minor"], row["message"]) == ("r0", 1, "my node_id: 0")


def test_a_wdrbd_entry_on_two_lines_is_one_record() -> None:
    """WDRBD's registry record holds a newline (mantechnology/wdrbd#10): the bare second
    line is the rest of its record, with the record's time, level and function."""
    text = (
        "00000001 08/25/2016 16:00:47.340 [initRegistry] WDRBD_INFO<6>[0xFFFFFA8018B46B50] "
        "registry_path[\\Registry\\Machine\\System\\CurrentControlSet\\Services\\drbd]\n"
        "bypass_level=0, read_filter=0, use_volume_lock=1, netlink_tcp_port=5678, "
        "daemon_tcp_port=5679, ver=va.9\n"
        "\n"
        "00000050 08/25/2016 16:06:47.147 [get_max_agreeable_size] WDRBD_INFO<6>drbd r0/0 "
        "minor 1, ds(Attaching), dvflag(0x0): my node_id: 0\n"
    )
    rows = _rows(text)
    assert rows["format"].to_list() == ["wdrbd+bracket", "wdrbd+bracket", "empty", "wdrbd+bracket"]
    cont = rows.row(1, named=True)
    assert cont["local_time"] == datetime(2016, 8, 25, 16, 0, 47, 340000)
    assert (cont["prefix"], cont["level"], cont["is_drbd"]) == ("initRegistry", "info", False)
    assert cont["message"].startswith("bypass_level=0")
    assert cont["stamp"] == "08/25/2016 16:00:47.340"


def test_unknown_prefix_never_hides_a_drbd_line() -> None:
    text = (
        "node-7 | collector=k8s | drbd r0 peer-b: conn( Connected -> NetworkFailure )\n"
        "node-7 | collector=k8s | drbd r0 peer-b: conn( NetworkFailure -> Connecting )\n"
    )
    rows = _rows(text)
    assert rows["format"].to_list() == ["prefix+none", "prefix+none"]
    assert rows["is_drbd"].to_list() == [True, True]
    assert rows["peer_host"].to_list() == ["peer-b", "peer-b"]
    assert rows["message"][0] == "conn( Connected -> NetworkFailure )"
    assert rows["prefix"][0] == "node-7 | collector=k8s |"
    assert sniff(text.encode())


def test_wrapped_lines_cut_at_their_header_read_as_the_whole_pattern_reads_them() -> None:
    """The wrapping forms are cut at their header and the rest sliced (no capture of
    the rest of every line): each line reads as the full pattern's capture says."""
    import re

    from correlate.read.kernlog import _DRBD_INSIDE, _GREP

    # grep's name before an ISO stamp: the optional line number must not eat the year.
    grep = "node.log:2024-03-05T14:02:11.123456+01:00 px2 kernel: drbd r0 px3: conn( A -> B )"
    row = _rows(grep + "\n").row(0, named=True)
    assert row["format"] == "grep+rfc3339"
    assert row["prefix"] == "node.log"
    assert re.match(_GREP, grep)["grest"].startswith("2024-03-05T14:02:11")
    assert (row["resource"], row["peer_host"]) == ("r0", "px3")
    # An unknown prefix: after a delimiter, at the very start, and with non-ASCII text
    # before the message (where find's bytes and slice's characters differ).
    lines = [
        "| drbd r0 peer-b: conn( Connected -> NetworkFailure )",
        "drbd9 drbd r0 peer-b: conn( NetworkFailure -> Connecting )",
        "Knoten-ü7 » drbd r0 peer-b: conn( Connecting -> Connected )",
    ]
    rows = _rows("".join(ln + "\n" for ln in lines))
    for ln, got in zip(lines, rows.iter_rows(named=True), strict=True):
        expected = re.search(_DRBD_INSIDE, ln)["dmsg"]
        assert got["message"] == expected.split(": ", 1)[1], ln
        assert got["peer_host"] == "peer-b"
    # A foreign weekday with an English month is still a foreign dmesg -T line.
    de = "[Di Mar  5 05:16:06 2024] drbd pvc-1: Preparing cluster-wide state change 35\n"
    row = _rows(de).row(0, named=True)
    assert row["format"] == "foreign-dmesg-T+dmesg-T"
    assert row["local_time"] == datetime(2024, 3, 5, 5, 16, 6)


def test_a_known_format_behind_an_unknown_prefix_keeps_its_stamp() -> None:
    """A mail's quote marker, a test driver's machine name, a terminal window's frame:
    the format behind the prefix is read, its time from its own stamp."""
    quoted = (
        "> [Thu Feb 15 09:45:34 2024] drbd testres1 Node2: meta connection shut down by peer.\n"
        "> [Thu Feb 15 09:45:35 2024] drbd testres1 Node2: conn( Connecting -> Disconnecting )"
        " [del-peer]\n"
        "> [Thu Feb 15 09:45:35 2024] systemd[1]: Started Session 4711 of user root.\n"
    )
    assert sniff(quoted.encode())
    rows = _rows(quoted)
    assert rows["format"].to_list() == ["prefix+dmesg-T"] * 3
    assert rows["prefix"].to_list() == [">"] * 3
    assert rows["local_time"].to_list() == [
        datetime(2024, 2, 15, 9, 45, 34),
        datetime(2024, 2, 15, 9, 45, 35),
        datetime(2024, 2, 15, 9, 45, 35),
    ]
    assert rows["stamp"][0] == "Thu Feb 15 09:45:34 2024"
    assert (rows["peer_host"][1], rows["cause"][1]) == ("Node2", "del-peer")
    machine = "drbd2 # [   12.576189] drbd r0: Starting worker thread (from drbdsetup-84 [885])\n"
    row = _rows(machine).row(0, named=True)
    assert (row["format"], row["prefix"], row["mono_ns"]) == (
        "prefix+dmesg",
        "drbd2 #",
        12576189000,
    )
    boxed = "│[   68.269440] drbd pvc-2 worker1: Terminating receiver thread        │\n"
    row = _rows(boxed).row(0, named=True)
    assert (row["prefix"], row["peer_host"]) == ("│", "worker1")
    assert row["message"] == "Terminating receiver thread"
    # A line that is its own format is not cut at a blank inside it.
    plain = "Apr 26 00:00:34 px2 kernel: [172678.053420] drbd vm-1: role( Primary -> Secondary )\n"
    assert _rows(plain)["format"].to_list() == ["syslog"]


def test_a_syslog_year_never_puts_a_line_after_the_file_time(tmp_path) -> None:
    """A ``Dec 14`` line in a file last written on Dec 7 is of the year before."""
    import os
    from datetime import datetime

    path = tmp_path / "kern.log"
    path.write_text("Dec 14 10:00:00 h1 kernel: drbd r0: Starting worker thread\n")
    os.utime(path, (datetime(2026, 12, 7, 12, 0).timestamp(),) * 2)
    log = LogFile(str(path), path=path, size=path.stat().st_size)
    frame = read_kernel_file(log, Notices(), "n")[0].frame
    assert frame["local_time"][0] == datetime(2025, 12, 14, 10, 0)
    # The same line in a file written after it keeps the file's year.
    os.utime(path, (datetime(2026, 12, 15).timestamp(),) * 2)
    frame = read_kernel_file(log, Notices(), "n")[0].frame
    assert frame["local_time"][0] == datetime(2026, 12, 14, 10, 0)


def test_year_option_sets_the_syslog_year(tmp_path) -> None:
    from click.testing import CliRunner

    from correlate.cli import main

    path = tmp_path / "kern.log"
    path.write_text(
        "Mar  3 15:04:20 h1 kernel: drbd r0 h2: conn( Connected -> NetworkFailure )\n"
        "Mar  3 15:04:21 h1 kernel: drbd r0 h2: conn( NetworkFailure -> Connecting )\n"
    )
    out = tmp_path / "out"
    res = CliRunner().invoke(main, [str(path), "-o", str(out), "--year", "2019", "--timeline"])
    assert "2019-03-03" in res.output, res.output


def _exit_and_err(tmp_path, text: str) -> tuple[int, str]:
    from click.testing import CliRunner

    from correlate.cli import main

    path = tmp_path / "k.log"
    path.write_text(text)
    res = CliRunner().invoke(main, [str(path), "-o", str(tmp_path / "out")])
    return res.exit_code, res.output + (res.stderr if res.stderr_bytes is not None else "")


def test_blank_and_cut_last_lines_are_counted_not_warned(tmp_path) -> None:
    code, err = _exit_and_err(
        tmp_path,
        "Mar  3 15:04:20 h1 kernel: drbd r0 h2: conn( Connected -> NetworkFailure )\n\n"
        "Mar  3 15:04:21 h1 kernel: drbd r0 h2: conn( NetworkFailure -> Connecting )\n"
        "Mar  3 15:0",
    )
    assert code == 0, err
    assert "1 blank line(s)" in err and "has no line end" in err


def test_a_bare_dmesg_alone_is_no_alignment_warning(tmp_path) -> None:
    code, err = _exit_and_err(
        tmp_path,
        "[  100.000000] drbd r0 h2: conn( Connected -> NetworkFailure )\n"
        "[  101.000000] drbd r0 h2: conn( NetworkFailure -> Connecting )\n",
    )
    assert code == 0, err
    assert "warning" not in err


def test_each_nodes_line_formats_are_said(tmp_path) -> None:
    """The forms a node was read in stand in alignment.json and the terminal summary (a
    grep-prefixed kernel log is said to be one), BSR's own log says nothing extra."""
    import json
    from pathlib import Path

    from correlate.pipeline import Options, analyse, write
    from correlate.render.text import summary

    root = Path(__file__).resolve().parent.parent
    capture = root / "tests/data/real/linstor131-px2-kernlog-grep/px2.log"
    a = analyse([str(capture)], Options(out=tmp_path / "g", diagrams="none"), Notices())
    write(a, Options(out=tmp_path / "g", diagrams="none"))
    doc = json.loads((tmp_path / "g" / "alignment.json").read_text(encoding="utf-8"))
    assert doc["nodes"]["px2"]["formats"] == {"grep+syslog": 10}
    assert "  formats   grep+syslog 10" in summary(a).splitlines()
    samples = analyse(
        [str(root / "samples/node0"), str(root / "samples/node1")],
        Options(out=tmp_path / "s", diagrams="none"),
        Notices(),
    )
    assert [n.formats for n in samples.nodes] == [{"bsr": 510}, {"bsr": 256}]
    assert not any(line.startswith("  formats") for line in summary(samples).splitlines())


DATA = Path(__file__).parent / "data" / "kernlog"
S = 1_000_000_000


def _file_rows(name: str, year: int | None = 2024) -> tuple[pl.DataFrame, Notices]:
    path = DATA / name
    notices = Notices()
    log = LogFile(path.name, path=path, size=path.stat().st_size)
    frames = read_kernel_file(log, notices, "n", year)
    return pl.concat([f.frame for f in frames]).sort("line"), notices


def test_dmesg_reltime_sums_deltas_onto_the_minute() -> None:
    """``dmesg -H``: each line is its run's minute plus the deltas since; the width says
    what the minute leaves open (62 s less how far the run reaches, 1 µs per delta)."""
    rows, _ = _file_rows("dmesg-reltime.log")
    assert sniff((DATA / "dmesg-reltime.log").read_bytes())
    assert set(rows["format"]) == {"dmesg-reltime"}
    assert rows["is_drbd"].to_list() == [True] * 6 + [False]
    t = rows["local_time"].to_list()
    assert t[0] == datetime(2024, 3, 3, 15, 4)
    assert t[3] == datetime(2024, 3, 3, 15, 4, 0, 890610)
    assert t[4] == datetime(2024, 3, 3, 15, 4, 13, 141343)
    # "Mar13": dmesg's %b%e writes a two-digit day with no blank.
    assert t[5] == datetime(2024, 3, 13, 15, 5)
    assert t[6] == datetime(2024, 3, 13, 15, 5, 0, 1)
    reach = 885_900 + 590 + 4_120 + 12_250_733  # µs the first run spans
    first = 62 * S - reach * 1000
    assert rows["time_res_ns"].to_list() == [
        first,
        first + 1000,
        first + 2000,
        first + 3000,
        first + 4000,
        62 * S - 1000,
        62 * S,
    ]
    assert rows["peer_host"][0] == "beta" and rows["message"][4] == (
        "conn( Connected -> NetworkFailure )"
    )


def test_dmesg_reltime_lines_before_any_minute_are_relative_only() -> None:
    head = (
        "[  +0.100000] drbd r0: Starting worker thread\n[  +1.500000] drbd r0 b: conn( A -> B )\n"
    )
    notices = Notices()
    data = head.encode()
    frame = read_kernel_file(LogFile("x.log", data=data, size=len(data)), notices, "n", 2024)[0]
    rows = frame.frame
    # No minute at all: the deltas summed from 1970, as a bare dmesg's uptime.
    assert rows["local_time"].to_list() == [
        datetime(1970, 1, 1, 0, 0, 0, 100000),
        datetime(1970, 1, 1, 0, 0, 1, 600000),
    ]
    assert any("before the first minute stamp" in str(n) for n in notices.items)
    # With a minute stamp after them, how long before it they came is unknown: no time.
    data = (head + "[Mar 3 15:04] drbd r0 b: conn( B -> C )\n").encode()
    notices = Notices()
    rows = read_kernel_file(LogFile("x.log", data=data, size=len(data)), notices, "n", 2024)[0]
    assert rows.frame["local_time"].to_list() == [None, None, datetime(2024, 3, 3, 15, 4)]
    assert any("have no local_time" in str(n) for n in notices.items)


def test_dmesg_iso_keeps_the_written_time_and_zone_as_rfc3339_does() -> None:
    """``dmesg --time-format=iso``: a kernel line (no host), microseconds, the zone in
    ``zone`` and the wall time as written, as an rsyslog ``+01:00`` line keeps it (a
    talosctl ``Z`` stamp is UTC as written): a node's clock is the one it wrote, the
    alignment stage finds the zones between nodes."""
    rows, _ = _file_rows("dmesg-iso.log")
    assert sniff((DATA / "dmesg-iso.log").read_bytes())
    assert set(rows["format"]) == {"dmesg-iso"}
    first = rows.row(0, named=True)
    assert (first["host"], first["program"], first["zone"]) == (None, "kernel", "+01:00")
    assert first["local_time"] == datetime(2024, 3, 3, 15, 4, 5, 123456)
    assert first["time_res_ns"] == 1000
    assert (first["object"], first["resource"], first["peer_host"]) == ("connection", "r0", "beta")
    assert rows["is_drbd"].to_list() == [True, True, True, False]
    rsyslog = _rows("2024-03-03T15:04:05.123456+01:00 h1 kernel: drbd r0 beta: conn( A -> B )\n")
    assert rsyslog["local_time"][0] == first["local_time"]
    assert rsyslog["zone"][0] == first["zone"]


def test_journal_short_full_and_with_unit() -> None:
    """``-o short-full``: weekday, date, clock and zone; ``-o with-unit``: the unit's
    name in the tag's place (the kernel's lines keep ``kernel:``), its program."""
    full, _ = _file_rows("journal-short-full.log")
    assert set(full["format"]) == {"journal-short-full"}
    first = full.row(0, named=True)
    assert (first["host"], first["program"], first["zone"]) == ("alpha", "kernel", "CET")
    assert first["local_time"] == datetime(2024, 3, 5, 14, 2, 11)
    assert first["time_res_ns"] == S
    assert (first["resource"], first["peer_host"]) == ("r0", "beta")
    assert full["program"][2] == "drbd-reactor" and not full["is_drbd"][2]
    unit, _ = _file_rows("journal-with-unit.log")
    assert set(unit["format"]) == {"journal-with-unit"}
    assert unit["program"].to_list() == [
        "kernel",
        "drbd-reactor.service",
        "user@0.service/app.slice",
        "kernel",
    ]
    assert unit["is_drbd"].to_list() == [True, False, False, True]
    for name in ("journal-short-full.log", "journal-with-unit.log"):
        assert sniff((DATA / name).read_bytes())


def test_journal_cat_lines_keep_their_order_without_a_time(tmp_path) -> None:
    """``-o cat`` writes the message alone: rows in file order, no time, counted as
    ``untimed`` in alignment.json and said in a note (exit 0: nothing is lost)."""
    import json

    from click.testing import CliRunner

    from correlate.cli import main

    rows, _ = _file_rows("journal-cat.log")
    assert set(rows["format"]) == {"none"} and rows["local_time"].null_count() == 4
    assert rows["is_drbd"].all() and rows["peer_host"].to_list() == ["beta"] * 4
    out = tmp_path / "out"
    res = CliRunner().invoke(main, [str(DATA / "journal-cat.log"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "4 of 4 entries carry no time stamp" in res.output
    doc = json.loads((out / "alignment.json").read_text(encoding="utf-8"))
    assert doc["nodes"]["journal-cat"]["untimed"] == 4


def test_sosreport_journal_separators_are_rows_and_boots() -> None:
    """sosreport's ``sos_commands/logs/journalctl_--no-pager``: journalctl's ``short``
    (year-less stamps) with its separators; each separator is a row, and a ``-- Boot
    ID --`` or ``-- Reboot --`` one starts a new boot."""
    rows, _ = _file_rows("sosreport-alpha/sos_commands/logs/journalctl_--no-pager")
    assert rows.height == 11
    assert (
        rows["format"].to_list()
        == ["none"] + ["syslog"] * 4 + ["none"] + ["syslog"] * 2 + ["none"] + ["syslog"] * 2
    )
    assert rows["message"][5] == "-- Boot 9f3c1d2e4b5a46978869a7b6c5d4e3f2 --"
    assert rows["boot"].to_list() == [1] * 5 + [2] * 3 + [3] * 3
    assert rows["local_time"][1] == datetime(2024, 3, 5, 14, 2, 11)
    assert rows.filter(pl.col("is_drbd")).height == 7


def test_stamp_column_is_the_stamp_as_written() -> None:
    """``stamp``: the text a user finds the line by in the log, whatever the format
    (a rewritten wrapping form keeps what it wrote: WDRBD's date order, a Russian
    month), the syslog one where a dmesg stamp follows it."""
    real = Path(__file__).parent / "data" / "real"
    cases = {
        DATA / "dmesg-reltime.log": ["Mar 3 15:04", "+0.885900"],
        DATA / "dmesg-iso.log": ["2024-03-03T15:04:05,123456+01:00"],
        DATA / "journal-short-full.log": ["Tue 2024-03-05 14:02:11 CET"],
        DATA / "journal-json.log": ["1677855860118213"],
        DATA / "journal-short-monotonic.log": ["4133.662936"],
        DATA / "windrbd-dated.log": ["08.07.2023 U16:53:06.880"],
        DATA / "reboot.log": ["Mar  3 15:04:20"],
        real / "wdrbd10-attach-ioerror/wdrbd.log": ["08/25/2016 16:06:47.147"],
        real / "drbdreactor1-colo-srv-3-ru-locale/colo-srv-3.log": ["апр 21 13:59:30"],
        real / "piraeus579-talos-ozt-z3h-dmesg/talos-ozt-z3h.dmesg": [
            "2023-12-18T10:52:04.592382883Z"
        ],
        real / "linstor131-px2-kernlog-grep/px2.log": ["Apr 26 00:00:34"],
        real / "suse-jb154sapqe/jb154sapqe01.log": ["2023-02-06T16:43:30.921702+01:00"],
    }
    for path, first in cases.items():
        log = LogFile(path.name, path=path, size=path.stat().st_size)
        frames = read_kernel_file(log, Notices(), "n", 2024)
        rows = pl.concat([f.frame for f in frames]).sort("line")
        assert rows["stamp"].head(len(first)).to_list() == first, path.name
        # Every stamp is the line's own text.
        text = path.read_text(encoding="utf-8").splitlines()
        got = rows.filter(pl.col("stamp").is_not_null())
        assert all(s in text[n - 1] for n, s in got.select("line", "stamp").iter_rows()), path
    rows = _rows("[Mo Jun  3 05:16:06 2024] drbd pvc-1: Preparing\n")
    assert rows["stamp"].to_list() == ["Mo Jun  3 05:16:06 2024"]
    assert _rows("drbd r0: no stamp\n")["stamp"].to_list() == [None]


def test_each_new_format_is_named_in_alignment_and_the_summary(tmp_path) -> None:
    """The formats issue 23 added stand in alignment.json nodes[].formats and the
    terminal summary's formats line, as the wrapping forms do."""
    import json

    from correlate.pipeline import Options, analyse, write
    from correlate.render.text import summary

    cases = {
        "dmesg-reltime.log": {"dmesg-reltime": 7},
        "dmesg-iso.log": {"dmesg-iso": 4},
        "journal-short-full.log": {"journal-short-full": 4},
        "journal-with-unit.log": {"journal-with-unit": 4},
        "sosreport-alpha/sos_commands/logs/journalctl_--no-pager": {"syslog": 8, "none": 3},
    }
    for k, (name, formats) in enumerate(cases.items()):
        out = tmp_path / str(k)
        opts = Options(out=out, diagrams="none", year=2024)
        a = analyse([str(DATA / name)], opts, Notices())
        write(a, opts)
        doc = json.loads((out / "alignment.json").read_text(encoding="utf-8"))
        (node,) = doc["nodes"].values()
        assert node["formats"] == formats, name
        line = "  formats   " + ", ".join(f"{f} {n}" for f, n in formats.items())
        assert line in summary(a).splitlines(), name


def test_relayed_windrbd_lines_are_timed_by_their_own_stamp():
    """WinDRBD lines relayed to a Linux syslog (the real capture): the syslog stamp says
    20:15:27 (arrival, the relay's zone, 1 s), WinDRBD's own U18:15:27.753 (UTC, 1 ms): the
    relay's zone is UTC+2 (the quarter hour that fits), and each line takes its own stamp
    on that clock; the syslog stamp stays in ``stamp`` beside it. The continuation line,
    which has no inner stamp, keeps the syslog's."""
    from correlate.errors import Notices
    from correlate.pipeline import Options, analyse

    log = Path(__file__).parent / "data/real/windrbd10-syslog-forwarded-attach/192.168.56.103.log"
    notices = Notices()
    run = analyse([str(log)], Options(year=2019), notices)
    tl = run.timeline.sort("line")
    times = [str(t)[11:] for t in tl["local_time"]]
    assert times[:5] == ["20:15:27.753000", "20:15:27.769000", "20:15:27.769000",
                         "20:15:27.769000", "20:15:27.769000"]  # fmt: skip
    assert times[5] == "20:15:27"
    assert tl["stamp"][0] == "Oct 15 20:15:27 U18:15:27.753"
    assert any("UTC+2 h" in n.text() for n in notices.items)


def test_relayed_windrbd_lines_held_by_the_relay_keep_their_own_stamp(tmp_path):
    """A relayed line arrives after it was written, but not always at once: WinDRBD holds
    lines logged in interrupt context and sends them later ("[last 2 messages were in IRQ
    context or recursive]"). LINBIT/windrbd#7's central syslog: two lines written at
    U14:21:25.603 arrive at 16:21:33, one written at U14:21:33.494 arrives at 16:21:33.
    The zone is the promptest line's (UTC+2), not the median's (a majority of held lines
    refused the whole file before); the held lines take their own stamps, and a note says
    they came 7.4 s late. A hand-made file whose every line arrives 39.75 s after it was
    written keeps its zone."""
    from correlate.pipeline import Options, analyse

    log = _ROOT / "tests/data/real/windrbd7-central-syslog-two-hosts/central.log"
    notices = Notices()
    run = analyse([str(log)], Options(out=tmp_path / "a", diagrams="none", year=2020), notices)
    win = run.timeline.filter(pl.col("node") == "192.168.56.103").sort("line")
    assert [str(t)[11:] for t in win["local_time"]] == [
        "16:21:25.603000", "16:21:25.603000", "16:21:33", "16:21:33.494000",
    ]  # fmt: skip
    said = [n.text() for n in notices.items]
    assert any("UTC+2 h" in t for t in said)
    assert any("2 of them arrived late, up to 7.4 s" in t for t in said)
    assert not any("do not agree on one zone" in t for t in said)
    held = tmp_path / "held.log"
    line = (
        "Oct 14 {arrival} 10.0.0.7  U{inner}|03441960(drbd_s_w0) #{n} print_state_change "
        "<6>drbd w0 pnode-id:1, cs(Connecting), prole(Unknown), cflag(0x240e), scf(0xa1a): "
        "conn( Connecting -> Connected ) peer( Unknown -> Secondary )\n"
    )
    held.write_text(
        "".join(
            line.format(arrival=f"17:31:{s + 40:02d}", inner=f"15:31:{s:02d}.250", n=n)
            for n, s in enumerate((1, 5, 9))
        ),
        encoding="utf-8",
    )
    notices = Notices()
    run = analyse([str(held)], Options(out=tmp_path / "b", diagrams="none", year=2020), notices)
    times = [str(t)[11:] for t in run.timeline.sort("line")["local_time"]]
    assert times == ["17:31:01.250000", "17:31:05.250000", "17:31:09.250000"]
    assert any("3 of them arrived late, up to 39.8 s" in n.text() for n in notices.items)


def _summary_lines(specs: list[str], out: Path, word: str) -> list[str]:
    """The terminal summary's lines of one field (``node``, ``local``) for a run."""
    from correlate.pipeline import Options, analyse
    from correlate.render.text import summary

    a = analyse(specs, Options(out=out, diagrams="none"), Notices())
    return [ln for ln in summary(a).splitlines() if ln.startswith(f"  {word} ")]


_ROOT = Path(__file__).resolve().parent.parent
_DRBD106 = f"node1={_ROOT / 'tests/data/real/drbd106-fqdn-peer-two-resources/node1.dmesg'}"
_SAMPLES = [str(_ROOT / "samples/node0"), str(_ROOT / "samples/node1")]


def test_a_peer_id_is_named_only_for_the_resources_that_tie_it(tmp_path) -> None:
    """Node ids are per resource: LINBIT/drbd#106's node names its peer's id 2 on the
    pgsql connection only (``peer-node-id 2``), so the name is said for pgsql, not for
    nfs; the samples' peers are named in their one resource."""
    node = _summary_lines([_DRBD106], tmp_path / "d", "node")[0]
    assert node.endswith("peers dmg28dbn1.mgmt.dmg28.dmg.net (node id 2 in pgsql)")
    nodes = _summary_lines(_SAMPLES, tmp_path / "s", "node")
    assert nodes[0].endswith("peers node1 (node id 1)")
    assert nodes[1].endswith("peers node0 (node id 0)")


def test_a_log_without_wall_clock_says_so_beside_its_local_range(tmp_path) -> None:
    """Bare dmesg counts from 1970-01-01: the summary's local range says it is no date."""
    local = _summary_lines([_DRBD106], tmp_path / "d", "local")[0]
    assert local.endswith("(no wall-clock stamp: counted from 1970-01-01)")
    assert not any("wall-clock" in ln for ln in _summary_lines(_SAMPLES, tmp_path / "s", "local"))


def test_no_resync_decided_while_a_bitmap_marks_blocks_is_a_finding(tmp_path) -> None:
    """LINBIT/drbd#107: uuid_compare decides no-sync by rule both-off while the peer's
    line reports bits:1309208; suse-jb154sapqe's no-sync handshakes report no bits."""
    from correlate.pipeline import Options, analyse

    capture = _ROOT / "tests/data/real/drbd107-reltime-attach-handshake/node.dmesg"
    a = analyse([str(capture)], Options(out=tmp_path / "a", diagrams="none"), Notices())
    (f,) = [f for f in a.findings if f.kind == "no_sync_with_bits"]
    assert (f.severity, f.resource) == ("warning", "cs-1a8e83dc-a300-4191-b1ed-efd0adb70683")
    assert "0 bit(s) here and 1,309,208 on the peer (5,236,832 KiB)" in f.message
    assert "cstdsc1-1" in f.message
    assert [r.line for r in f.lines] == [5, 8]
    folder = _ROOT / "tests/data/real/suse-jb154sapqe"
    specs = sorted(str(p) for p in folder.iterdir() if p.suffix == ".log")
    b = analyse(specs, Options(out=tmp_path / "b", diagrams="none"), Notices())
    assert any(d.result == 0 for ev in b.events for d in ev.decisions)
    assert not [f for f in b.findings if f.kind == "no_sync_with_bits"]


def test_a_hand_saved_kernel_log_names_its_node_without_the_extension() -> None:
    """``node.dmesg``, ``host.syslog``, ``host.journal.txt`` name node, host, host."""
    from correlate.read.sources import _stem

    assert [_stem(n) for n in ("node.dmesg", "px2.syslog", "px2.journal.txt", "a.b.log.gz")] == [
        "node",
        "px2",
        "px2",
        "a.b",
    ]


def test_the_timeline_listing_shows_a_local_stamp_with_its_own_digits(tmp_path) -> None:
    """``--timeline``: a dmesg -T second has no fraction, WDRBD's millisecond three, BSR's
    100 ns seven; the aligned time beside each keeps seven."""
    import io

    from correlate.pipeline import Options, analyse
    from correlate.render.text import write_timeline

    real = _ROOT / "tests/data/real"
    cases = {
        "linstor389-quoted-dmesg-T/node1.log": "2024-02-15 09:36:43  ",
        "wdrbd10-attach-ioerror/wdrbd.log": "2016-08-25 16:06:47.147  ",
    }
    for k, (rel, local) in enumerate(cases.items()):
        a = analyse([str(real / rel)], Options(out=tmp_path / str(k), diagrams="none"), Notices())
        out = io.StringIO()
        write_timeline(a.timeline, False, out)
        first = out.getvalue().splitlines()[0]
        assert first[:27].endswith(".0000000") or first[20:27].isdigit()
        assert local in first, first
    a = analyse(_SAMPLES, Options(out=tmp_path / "s", diagrams="none"), Notices())
    out = io.StringIO()
    write_timeline(a.timeline.head(1), False, out)
    assert "  2020-10-26 16:24:42.7079617  " in out.getvalue()


def test_a_wdrbd_module_line_is_a_drbd_line_of_the_windows_driver(tmp_path) -> None:
    """WDRBD names its module's own messages by source file (mantechnology/wdrbd#10):
    ``..\\drbd\\drbd_main.c: initialized. Version: 9.0.3-1`` is the driver load, the
    version the node's, the line a Windows one."""
    from correlate.pipeline import Options, analyse

    log = tmp_path / "wd.log"
    log.write_text(
        "00000002 08/25/2016 16:00:47.340 [drbd_init] WDRBD_INFO<6>..\\drbd\\drbd_main.c: "
        "initialized. Version: 9.0.3-1 (api:2/proto:86-111)\n"
        "00000048 08/25/2016 16:06:47.147 [drbd_adm_attach] WDRBD_INFO<6>drbd r0/0 minor 1, "
        "ds(Attaching), dvflag(0x0): Maximum number of peer devices = 1\n",
        encoding="utf-8",
    )
    a = analyse([str(log)], Options(out=tmp_path / "o", diagrams="none"), Notices())
    row = a.timeline.row(0, named=True)
    assert (row["event"], row["object"], row["platform"]) == ("driver_loaded", "none", "windows")
    (ev,) = a.events
    assert (ev.identity.version, ev.identity.platform) == ("9.0.3-1", "windows")
