"""The kernel-log format layer against the real DRBD logs and hand-made journal files.

Facts asserted are the ones a user checks: which host, program and format a line has,
its object prefix decoded, its time, and that the clock's stated uncertainty holds the
truth (the rsyslog stamps on the SUSE pair, a simulated boot time).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from correlate.errors import Notices
from correlate.read.kernclock import RECEIVE_DELAY_NS
from correlate.read.kernlog import COLUMNS, HostFrame, read_kernel_file, sniff
from correlate.read.sources import LogFile

DATA = Path(__file__).parent / "data"
REAL = DATA / "real"
HAND = DATA / "kernlog"
S = 1_000_000_000


def read(path: Path, year: int | None = 2023) -> tuple[list[HostFrame], Notices]:
    notices = Notices()
    log = LogFile(display=path.name, path=path, size=path.stat().st_size)
    return read_kernel_file(log, notices, "node", year=year), notices


def frame_of(path: Path, year: int | None = 2023) -> pl.DataFrame:
    frames, _ = read(path, year)
    return pl.concat([h.frame for h in frames]).sort("line")


def ns(dt: datetime) -> int:
    """A naive datetime as ns since 1970 (the frame's wall_ns)."""
    return pl.Series([dt], dtype=pl.Datetime("ns")).cast(pl.Int64).item()


def row(frame: pl.DataFrame, line: int) -> dict:
    return frame.filter(pl.col("line") == line).row(0, named=True)


def physical_lines(path: Path) -> int:
    data = path.read_bytes()
    return data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)


# The captures this module reads line by line (the rest of the corpus, with its own
# facts, is tests/test_corpus.py's: every line a row there too).
FORMAT_CAPTURES = ("single", "suse-jb154sapqe", "linstor213-kube-node")
KERNEL_LOGS = sorted(
    p
    for p in REAL.rglob("*.log")
    if not p.name.startswith("bsr-") and p.parent.name in FORMAT_CAPTURES
)

# Each real file's line formats (as the spec names them) and its unparsed lines.
FORMATS = {
    "jb154sapqe01.log": ({"rfc3339", "empty"}, []),
    "jb154sapqe02.log": ({"rfc3339"}, []),
    "kube-node-6.log": ({"syslog"}, []),
    "kube-node-2.log": ({"syslog"}, []),
    "drbddev-hail-drbd84.log": ({"syslog"}, []),
    "drbddev-kernel65-6.5node-drbd8411.log": ({"dmesg"}, []),
    # The mail's signature after the log: "--", " Best Regards,", " Serguei".
    "drbddev-kernel65-peer-drbd8411.log": ({"dmesg", "unparsed"}, [32, 33, 34]),
    # The forum post's ellipsis line "....." closes the excerpt.
    "forum-s0-drbd909-nostamp.log": ({"none", "unparsed"}, [35]),
    "drbd27-nodeC-drbd916.log": ({"syslog"}, []),
    "drbd40-flex-106-history-peer.log": ({"syslog"}, []),
    "drbd86-offine-stand-stor-0.log": ({"syslog"}, []),
    "drbd106-dmg28-multires.log": ({"dmesg"}, []),
    "drbdutils11-ip-172-31-12-83-multires.log": ({"syslog"}, []),
    "incus3487-journal-bracket.log": ({"bracket"}, []),
    "linstor190-k8s-node2.log": ({"syslog"}, []),
    "linstor216-m13c33-dmesg-T.log": ({"dmesg-T"}, []),
    "linstor218-kvaps-synctarget.log": ({"dmesg"}, []),
    "linstor218-kvaps-failed-statechange.log": ({"dmesg"}, []),
    "linstor389-dmesg-T.log": ({"dmesg-T"}, []),
    "piraeus459-eu-central-1771-stuck-twopc.log": ({"syslog"}, []),
    "piraeus532-node01-mixed-stamps.log": ({"syslog"}, []),
    "windrbd1-ubuntusrv-linux-peer-of-windows.log": ({"syslog"}, []),
    "windrbd12-turn2-data1.log": ({"windrbd"}, []),
    "windrbd12-turn6-data1.log": ({"windrbd"}, []),
}


def test_every_real_kernel_log_is_listed() -> None:
    assert {p.name for p in KERNEL_LOGS} == set(FORMATS)


@pytest.mark.parametrize("path", KERNEL_LOGS, ids=lambda p: p.name)
def test_every_line_is_one_row_with_the_expected_format(path: Path) -> None:
    frames, _ = read(path)
    frame = pl.concat([h.frame for h in frames])
    assert frame.height == physical_lines(path)
    assert sorted(frame["line"].to_list()) == list(range(1, frame.height + 1))
    assert (frame["entry"] == 0).all()
    assert frame.schema == pl.Schema(COLUMNS)
    formats, unparsed = FORMATS[path.name]
    assert set(frame["format"].unique().to_list()) == formats
    assert sorted(frame.filter(pl.col("format") == "unparsed")["line"].to_list()) == unparsed
    # Every DRBD line had its object prefix decoded and cut from the message.
    drbd = frame.filter(pl.col("is_drbd"))
    assert drbd.height > 0
    assert drbd["object"].null_count() == 0
    assert not drbd["message"].str.contains(r"^drbd [^\s:]+(?: [^\s:]+){0,2}: ").any()
    assert sum(h.facts.lines for h in frames) == frame.height


@pytest.mark.parametrize("path", KERNEL_LOGS, ids=lambda p: p.name)
def test_real_kernel_logs_sniff_as_kernel_logs(path: Path) -> None:
    assert sniff(path.read_bytes()[:65536])


def test_sniff_refuses_bsr_binary_and_empty() -> None:
    assert not sniff((REAL / "single" / "bsr-wiki-20201013-node0-disconnect.log").read_bytes())
    assert not sniff((Path(__file__).parent.parent / "samples/node0/bsr.log").read_bytes()[:65536])
    assert not sniff(b"")
    assert not sniff(b"\n\n  \n")
    assert not sniff(bytes(range(256)) * 4)
    assert not sniff(b"GET /index.html HTTP/1.1\nHost: x\n")


def test_suse_01_first_line() -> None:
    r = row(frame_of(REAL / "suse-jb154sapqe/jb154sapqe01.log"), 1)
    assert (r["host"], r["program"], r["format"]) == ("jb154sapqe01", "kernel", "rfc3339")
    assert r["mono_ns"] == 18310_608989_000
    assert r["caller"] == "T25362"
    assert r["zone"] == "+01:00"
    assert r["wall_ns"] == ns(datetime(2023, 2, 6, 16, 43, 30, 921702))
    assert r["wall_res_ns"] == 1000
    assert (r["object"], r["resource"]) == ("resource", "drbd01")
    assert r["message"] == "Starting worker thread (from drbdsetup [25362])"


def test_suse_prefixes_and_the_systemd_line() -> None:
    f1 = frame_of(REAL / "suse-jb154sapqe/jb154sapqe01.log")
    r = row(f1, 30)
    assert (r["object"], r["resource"], r["volume"], r["minor"], r["peer_host"]) == (
        "peer_device",
        "drbd01",
        0,
        1,
        "jb154sapqe02",
    )
    assert row(f1, 9)["object"] == "device" and row(f1, 9)["minor"] == 1  # "drbd1: detected"
    assert row(f1, 11)["format"] == "empty" and row(f1, 11)["host"] == "jb154sapqe01"
    f2 = frame_of(REAL / "suse-jb154sapqe/jb154sapqe02.log")
    r = row(f2, 3)
    assert (r["program"], r["is_drbd"], r["object"]) == ("systemd", False, None)
    assert r["message"].startswith("Started Disk encryption utility")
    # A µs wall stamp alone is the daemon's receipt: the line was written up to the
    # receive delay before it.
    assert r["mono_ns"] is None and r["time_res_ns"] == RECEIVE_DELAY_NS


def test_suse_anchor_keeps_local_time_within_the_stated_resolution_of_rsyslog() -> None:
    for name in ("jb154sapqe01.log", "jb154sapqe02.log"):
        f = frame_of(REAL / "suse-jb154sapqe" / name).filter(pl.col("mono_ns").is_not_null())
        local = f["local_time"].cast(pl.Int64)
        res = f["time_res_ns"]
        wall = f["wall_ns"]
        # rsyslog stamped on receipt: the kernel's moment is at most D before it.
        assert (
            (local - res <= wall + f["wall_res_ns"]) & (local + res >= wall - RECEIVE_DELAY_NS)
        ).all()
        # Microsecond stamps and many lines: well under the assumed delay, above 1 µs.
        assert res.n_unique() == 1 and 1000 <= res[0] <= RECEIVE_DELAY_NS
        # Relative times inside the boot are the kernel's, to the microsecond.
        assert (local.diff().drop_nulls() == f["mono_ns"].diff().drop_nulls()).all()


def test_kube_nodes_syslog_with_dmesg_stamp() -> None:
    f6 = frame_of(REAL / "linstor213-kube-node/kube-node-6.log", year=2021)
    r = row(f6, 2)
    assert (r["host"], r["format"], r["program"]) == ("kube-node-6", "syslog", "kernel")
    assert r["mono_ns"] == 8228995_548808_000 and r["wall_res_ns"] == S
    assert r["resource"] == "pvc-1ed58414-0a3d-415d-8b20-80d4fae9cf71"
    assert r["local_time"].year == 2021
    # 1 s stamps over four windows narrow the anchor below a second, never below 1 µs.
    assert 1000 <= r["time_res_ns"] < S + RECEIVE_DELAY_NS
    r = row(f6, 16)
    assert (r["object"], r["peer_host"], r["minor"]) == ("peer_device", "kube-node-1", 1004)
    f2 = frame_of(REAL / "linstor213-kube-node/kube-node-2.log", year=2021)
    # Eight lines in one second: the anchor is as wide as that second plus the delay.
    assert row(f2, 1)["time_res_ns"] <= S + RECEIVE_DELAY_NS
    assert row(f2, 1)["peer_host"] == "kube-node-6"


def test_piraeus532_lines_without_dmesg_stamp_keep_the_syslog_second() -> None:
    f = frame_of(REAL / "single/piraeus532-node01-mixed-stamps.log", year=2022)
    for line in range(3, 10):
        r = row(f, line)
        assert r["mono_ns"] is None
        assert r["local_time"] == datetime(2022, 10, 5, 14, 16, 29)
        assert r["time_res_ns"] == S
    assert row(f, 1)["mono_ns"] == 10009_169317_000
    assert row(f, 1)["host"] == "node01.test.com"


def test_hail_drbd84_prefixes() -> None:
    f = frame_of(REAL / "single/drbddev-hail-drbd84.log", year=2020)
    r = row(f, 2)  # block drbd37: disk( Diskless -> Attaching )
    assert (r["object"], r["resource"], r["minor"]) == ("device", None, 37)
    r = row(f, 1)  # drbd resource37: Starting worker thread
    assert (r["object"], r["resource"]) == ("resource", "resource37")
    assert row(f, 1)["local_time"] == datetime(2020, 7, 25, 3, 35, 36)
    r = row(f, 123)  # general protection fault: not DRBD
    assert r["is_drbd"] is False and r["program"] == "kernel" and r["object"] is None


def test_kernel65_bare_dmesg_is_uptime_only_with_a_notice() -> None:
    frames, notices = read(REAL / "single/drbddev-kernel65-6.5node-drbd8411.log")
    f = frames[0].frame
    assert frames[0].host is None
    r = row(f, 1)
    assert (r["format"], r["program"], r["mono_ns"]) == ("dmesg", "kernel", 2_473497_000)
    assert r["local_time"] == datetime(1970, 1, 1, 0, 0, 2, 473497)
    assert r["object"] == "none" and r["message"].startswith("initialized. Version: 8.4.11")
    r = row(f, 5)  # 8.4.11 in-kernel: "drbd drbd0/0 drbd0: "
    assert (r["object"], r["resource"], r["volume"], r["minor"]) == ("device", "drbd0", 0, 0)
    assert any("uptime" in str(n) for n in notices.items)


def test_nostamp_forum_lines() -> None:
    f = frame_of(REAL / "single/forum-s0-drbd909-nostamp.log")
    r = row(f, 2)
    assert (r["format"], r["program"], r["local_time"], r["host"]) == ("none", "kernel", None, None)
    assert (r["object"], r["resource"], r["peer_host"]) == ("connection", "r1", "s1")
    r = row(f, 29)
    assert r["message"] == "Failed: disk( UpToDate -> Outdated )" and r["minor"] == 1


def test_tagless_syslog_with_two_spaces_and_92_causes() -> None:
    f = frame_of(REAL / "single/drbd86-offine-stand-stor-0.log", year=2024)
    r = row(f, 2)
    assert (r["host"], r["program"], r["mono_ns"]) == (
        "offine-stand-stor-0",
        "kernel",
        460_702481_000,
    )
    assert r["cause"] == "remote" and r["message"] == "pdsk( UpToDate -> Detaching )"
    assert row(f, 7)["cause"] == "detach"
    f = frame_of(REAL / "single/drbd106-dmg28-multires.log")
    assert row(f, 5)["cause"] == "connecting"
    assert row(f, 8)["resource"] == "pgsql" and row(f, 8)["volume"] == 1
    assert row(f, 1)["peer_host"] == "dmg28dbn1.mgmt.dmg28.dmg.net"


def test_incus_bracket_journal_export() -> None:
    f = frame_of(REAL / "single/incus3487-journal-bracket.log")
    r = row(f, 4)
    assert (r["format"], r["zone"], r["program"]) == ("bracket", "CEST", "kernel")
    assert r["local_time"] == datetime(2026, 6, 13, 16, 12, 19) and r["time_res_ns"] == S
    assert r["cause"] == "incusd:4026 auto-promote"
    assert r["message"] == "role( Secondary -> Primary )"
    r = row(f, 8)
    assert (r["program"], r["is_drbd"]) == ("systemd-networkd", False)
    r = row(f, 13)
    assert r["peer_host"] == "4c4c4544-0044-5410-8033-b1c04f503034"
    assert row(f, 6)["is_drbd"] is False  # EXT4-fs (drbd1001): a file system line


def test_dmesg_T_is_a_one_second_wall_stamp() -> None:
    f = frame_of(REAL / "single/linstor216-m13c33-dmesg-T.log")
    r = row(f, 10)
    assert (r["format"], r["program"], r["mono_ns"]) == ("dmesg-T", "kernel", None)
    assert r["local_time"] == datetime(2021, 3, 24, 16, 48, 4) and r["time_res_ns"] == S
    assert (r["resource"], r["peer_host"]) == ("one-vm-11169-disk-2", "m15c15")


def test_windrbd_lines_and_continuations() -> None:
    frames, notices = read(REAL / "single/windrbd12-turn2-data1.log")
    f = frames[0].frame
    r = row(f, 2)
    assert (r["format"], r["function"], r["seq"], r["level_num"]) == (
        "windrbd",
        "change_cluster_wide_state",
        267,
        6,
    )
    assert r["caller"] == "c501ba00(netlink)" and r["zone"] == "UTC"
    assert (r["object"], r["resource"], r["object_state"]) == (
        "resource",
        "data1",
        "r(Secondary), f(0x0), scf(0x83c)",
    )
    assert r["local_time"] == datetime(1970, 1, 1, 0, 42, 1, 84000) and r["time_res_ns"] == 10**6
    r = row(f, 5)
    assert (r["object"], r["volume"], r["minor"]) == ("device", 0, 1)
    r = row(f, 6)  # " [last 2 messages were in IRQ context or recursive]"
    assert (r["format"], r["is_drbd"], r["local_time"]) == ("windrbd", False, None)
    assert r["message"] == "[last 2 messages were in IRQ context or recursive]"
    assert row(f, 1)["level_num"] == 1 and row(f, 1)["level"] == "crit"
    assert any("UTC time of day" in str(n) for n in notices.items)


def test_windrbd_dated_form_uses_date_and_performance_counter() -> None:
    f = frame_of(HAND / "windrbd-dated.log")
    r = row(f, 2)
    assert r["mono_ns"] == round(312428017216 / 3579545 * S)
    assert (r["object"], r["peer_id"], r["level"]) == ("connection", 2, "erro")
    r = row(f, 3)
    assert (r["object"], r["peer_id"], r["minor"]) == ("peer_device", 2, 1)
    # Anchored on the dated UTC stamps (ms): the line falls inside its own millisecond
    # widened by the stated uncertainty.
    wall = r["wall_ns"]
    local = r["local_time"]
    assert wall == ns(datetime(2023, 7, 8, 16, 53, 38, 895000))
    assert abs(ns(local) - wall) <= r["time_res_ns"] + 10**6


def test_year_rollover_and_year_notice() -> None:
    frames, notices = read(HAND / "new-year.log", year=2022)
    f = frames[0].frame
    assert row(f, 1)["local_time"] == datetime(2022, 12, 31, 23, 59, 58)
    assert row(f, 2)["local_time"] == datetime(2023, 1, 1, 0, 0, 1)
    assert any("year 2022" in str(n) and "1 new year" in str(n) for n in notices.items)


def test_year_from_the_file_time_when_not_given(tmp_path: Path) -> None:
    path = tmp_path / "old.log"
    path.write_bytes((HAND / "new-year.log").read_bytes())
    import os

    os.utime(path, (datetime(2019, 6, 1).timestamp(),) * 2)
    frames, notices = read(path, year=None)
    assert row(frames[0].frame, 2)["local_time"] == datetime(2019, 1, 1, 0, 0, 1)
    assert any("modification time" in str(n) for n in notices.items)


def test_reboot_gives_two_boots_and_two_anchors() -> None:
    f = frame_of(HAND / "reboot.log", year=2023)
    assert f["boot"].to_list() == [1, 1, 1, 2, 2, 2]
    local = f["local_time"].cast(pl.Int64)
    anchors = (local - f["mono_ns"]).to_list()
    assert anchors[0] == anchors[1] == anchors[2]
    assert anchors[3] == anchors[4] == anchors[5]
    # Boot 2's lines bound its boot time: before 15:10:31 + 1 s - 4.512 s (the tightest
    # 1 s stamp) and after 15:10:42 - 15.020170 s - D (the latest, received within D).
    upper = ns(datetime(2023, 3, 3, 15, 10, 27, 488000))
    lower = ns(datetime(2023, 3, 3, 15, 10, 26, 979830)) - RECEIVE_DELAY_NS
    half = f["time_res_ns"][3]  # either way of the middle of [lower, upper]
    assert half == (upper - lower + 1) // 2
    assert lower <= anchors[3] - half and anchors[3] + half <= upper + 1
    assert anchors[3] - anchors[0] > 300 * S


def test_one_second_stamps_only_give_one_second_resolution() -> None:
    f = frame_of(HAND / "journal-short.log")
    stamped = f.filter(pl.col("wall_ns").is_not_null())
    assert (stamped["time_res_ns"] == S).all()
    assert (stamped["local_time"].cast(pl.Int64) == stamped["wall_ns"]).all()


def test_journal_short_markers_and_boots() -> None:
    f = frame_of(HAND / "journal-short.log")
    assert row(f, 1)["format"] == "none" and row(f, 1)["program"] is None
    assert row(f, 7)["message"] == "-- Reboot --"
    assert f["boot"].to_list() == [1, 1, 1, 1, 1, 1, 2, 2]
    assert row(f, 6)["program"] == "systemd"
    r = row(f, 4)
    assert (r["format"], r["host"], r["resource"]) == ("syslog", "alpha", "r0")


@pytest.mark.parametrize(
    ("name", "fmt", "res"),
    [
        ("journal-short-precise.log", "journal-short-precise", RECEIVE_DELAY_NS),
        ("journal-short-iso.log", "journal-short-iso", S),
        ("journal-short-iso-precise.log", "journal-short-iso-precise", RECEIVE_DELAY_NS),
    ],
)
def test_journal_short_variants(name: str, fmt: str, res: int) -> None:
    f = frame_of(HAND / name)
    assert set(f["format"]) == {fmt}
    assert set(f["host"]) == {"alpha"} and set(f["program"]) == {"kernel"}
    assert (f["time_res_ns"] == res).all()
    r = row(f, 2)
    assert r["message"].startswith("Handshake to peer 1") and r["peer_host"] == "beta"
    assert r["local_time"].replace(microsecond=0) == datetime(2023, 3, 3, 15, 4, 21)
    if "iso" in name:
        assert r["zone"] == "+0100"


def test_journal_short_monotonic_hosts_and_programs() -> None:
    frames, notices = read(HAND / "journal-short-monotonic.log")
    f = frames[0].frame
    assert frames[0].host == "alpha"
    assert set(f["format"]) == {"journal-short-monotonic"}
    assert row(f, 3)["program"] == "systemd" and row(f, 3)["is_drbd"] is False
    assert row(f, 4)["mono_ns"] == 4134_315811_000 and row(f, 4)["peer_host"] == "beta"
    assert any("uptime" in str(n) for n in notices.items)


def test_journal_json() -> None:
    f = frame_of(HAND / "journal-json.log")
    assert set(f["format"]) == {"journal-json"}
    assert f["boot"].to_list() == [1, 1, 1, 1, 2]
    r = row(f, 1)
    assert (r["host"], r["program"], r["level_num"], r["zone"]) == ("alpha", "kernel", 6, "UTC")
    assert r["mono_ns"] == 3860_118190_000 and r["peer_host"] == "beta"
    assert row(f, 4)["program"] == "systemd" and row(f, 4)["mono_ns"] is None
    # Boot 1 began at 14:00:00 UTC: the anchor's interval holds it.
    boot = ns(datetime(2023, 3, 3, 14, 0, 0))
    anchor = ns(r["local_time"]) - r["mono_ns"]
    assert abs(anchor - boot) <= r["time_res_ns"]


def test_central_syslog_with_two_hosts() -> None:
    frames, _ = read(HAND / "central-two-hosts.log")
    assert [h.host for h in frames] == ["alpha", "beta"]
    alpha, beta = frames
    assert alpha.frame["line"].to_list() == [1, 3, 5, 7]
    assert beta.frame["line"].to_list() == [2, 4, 6, 8, 9]
    assert alpha.facts.lines == 4 and beta.facts.lines == 5
    # Each host has its own boot and anchor: beta booted ~2657 s after alpha.
    a = alpha.frame.filter(pl.col("mono_ns").is_not_null())
    b = beta.frame.filter(pl.col("mono_ns").is_not_null())
    anchor_a = (a["local_time"].cast(pl.Int64) - a["mono_ns"])[0]
    anchor_b = (b["local_time"].cast(pl.Int64) - b["mono_ns"])[0]
    assert abs((anchor_b - anchor_a) - 2656_567163_000) < a["time_res_ns"][0] + b["time_res_ns"][0]
    assert row(beta.frame, 9)["program"] == "rsyslogd"


def test_lines_without_host_in_a_two_host_file_go_to_none(tmp_path: Path) -> None:
    path = tmp_path / "mixed.log"
    path.write_text(
        (HAND / "central-two-hosts.log").read_text() + "drbd r0: orphan line without a stamp\n"
    )
    frames, _ = read(path)
    assert [h.host for h in frames] == ["alpha", "beta", None]
    assert frames[2].frame["line"].to_list() == [10]


def test_in_memory_file_and_empty_file() -> None:
    data = (HAND / "reboot.log").read_bytes()
    notices = Notices()
    frames = read_kernel_file(LogFile("mem.log", data=data, size=len(data)), notices, "n")
    assert frames[0].frame.height == 6
    assert any("current year" in str(n) for n in notices.items)
    frames = read_kernel_file(LogFile("empty.log", data=b"", size=0), Notices(), "n")
    assert frames[0].frame.height == 0 and frames[0].frame.schema == pl.Schema(COLUMNS)


def test_bad_bytes_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "bad.log"
    path.write_bytes(
        b"Mar  3 15:04:20 alpha kernel: [ 3860.118190] drbd r0 beta: conn( A -> B )\r\n"
        b"Mar  3 15:04:21 alpha kernel: [ 3861.004090] drbd r0 be\xfft\xa9: Connection closed\r\n"
    )
    frames, notices = read(path)
    f = frames[0].frame
    assert f.height == 2 and not f["message"].str.ends_with("\r").any()
    assert frames[0].facts.replaced_lines == 1
    assert any("UTF-8" in str(n) for n in notices.items)


# -- the clock, simulated: a known boot time is recovered within the stated bound ---------


@settings(max_examples=60, deadline=None)
@given(
    boot_s=st.integers(1_600_000_000, 1_700_000_000),
    boot_frac=st.integers(0, S - 1),
    uptime_s=st.integers(5, 5_000_000),
    steps=st.lists(st.integers(1, 20_000_000_000), min_size=1, max_size=40),
    delays=st.lists(st.integers(0, RECEIVE_DELAY_NS), min_size=40, max_size=40),
    res=st.sampled_from([S, 1_000_000, 1000]),
)
def test_simulated_boot_time_is_recovered_within_the_bound(
    boot_s: int,
    boot_frac: int,
    uptime_s: int,
    steps: list[int],
    delays: list[int],
    res: int,
) -> None:
    boot = boot_s * S + boot_frac
    mono = uptime_s * S
    lines = []
    truth = []
    for i, step in enumerate(steps):
        mono += step - step % 1000  # printk stamps are whole microseconds
        received = boot + mono + delays[i]
        wall = received - received % res
        stamp = datetime.utcfromtimestamp(wall // S)
        frac = {
            S: "",
            1_000_000: f".{wall % S // 1_000_000:03d}",
            1000: f".{wall % S // 1000:06d}",
        }[res]
        lines.append(
            f"{stamp:%Y-%m-%dT%H:%M:%S}{frac}+00:00 alpha kernel: "
            f"[{mono // S:5d}.{mono % S // 1000:06d}] drbd r0: line {i}"
        )
        truth.append(boot + mono)
    data = ("\n".join(lines) + "\n").encode()
    frames = read_kernel_file(LogFile("sim.log", data=data, size=len(data)), Notices(), "n")
    f = frames[0].frame
    local = f["local_time"].cast(pl.Int64).to_list()
    width = f["time_res_ns"].to_list()
    for got, w, true in zip(local, width, truth, strict=True):
        # The estimate is the middle of an interval that holds the truth, w either way.
        assert abs(got - true) <= w
        assert w <= (res + RECEIVE_DELAY_NS + 1) // 2 + 1


def test_every_drbd_object_prefix_decodes(tmp_path: Path) -> None:
    """One line per prefix shape (the shared patterns of correlate.read.prefixes, read with
    the word ``drbd``): each names its object, and digits that are not ASCII make the
    text a message, not a prefix."""
    lines = [
        "drbd r0: Starting worker thread",
        "drbd r0 peer-b: conn( Unconnected -> Connecting )",
        "drbd r0/0 drbd1: disk( Diskless -> Attaching )",
        "drbd r0/0 drbd1 peer-b: pdsk( DUnknown -> UpToDate )",
        "d-con r1: Starting receiver thread (from drbd_w_r1 [123])",
        "block drbd37: disk( Diskless -> Attaching )",
        "drbd /unregistered/r2/0 drbd3: disk( UpToDate -> Detaching )",
        "drbd r0, r(Secondary), f(0x0), scf(0x82a): Preparing cluster-wide state change 1",
        "drbd r0 pnode-id:1, cs(Connected), prole(Secondary), cflag(0x0), scf(0x0): ok",
        "drbd r0/0 minor 2, ds(UpToDate), dvflag(0x0): size = 1 GB",
        "drbd r0/0 minor 2 pnode-id:1, pdsk(UpToDate), prpl(Secondary), pdvflag(0x0): ok",
        "drbd r0/\u0663 drbd1: disk( Diskless -> Attaching )",
    ]
    path = tmp_path / "dmesg.log"
    path.write_text("".join(f"[ {100 + i}.000000] {t}\n" for i, t in enumerate(lines)))
    f = frame_of(path)
    cols = ["object", "resource", "volume", "minor", "peer_id", "peer_host", "object_state"]
    got = [tuple(row(f, i + 1)[c] for c in cols) for i in range(len(lines))]
    assert got == [
        ("resource", "r0", None, None, None, None, None),
        ("connection", "r0", None, None, None, "peer-b", None),
        ("device", "r0", 0, 1, None, None, None),
        ("peer_device", "r0", 0, 1, None, "peer-b", None),
        ("resource", "r1", None, None, None, None, None),
        ("device", None, None, 37, None, None, None),
        ("device", "r2", 0, 3, None, None, "unregistered"),
        ("resource", "r0", None, None, None, None, "r(Secondary), f(0x0), scf(0x82a)"),
        (
            "connection",
            "r0",
            None,
            None,
            1,
            None,
            "cs(Connected), prole(Secondary), cflag(0x0), scf(0x0)",
        ),
        ("device", "r0", 0, 2, None, None, "ds(UpToDate), dvflag(0x0)"),
        ("peer_device", "r0", 0, 2, 1, None, "pdsk(UpToDate), prpl(Secondary), pdvflag(0x0)"),
        ("none", None, None, None, None, None, None),
    ]


def test_stamps_take_ascii_digits_only(tmp_path: Path) -> None:
    """A stamp written with other digits (Arabic-Indic three here) is no stamp: the DRBD
    message is still read, the text before it kept as its prefix, with no time."""
    path = tmp_path / "digits.log"
    path.write_bytes(
        b"Mar  3 15:04:20 hostA kernel: drbd r0: Starting worker thread\n"
        + "Mar  \u0663 15:04:21 hostA kernel: drbd r0: Starting receiver\n".encode()
        + "[  92\u0663.311900] drbd r0: conn( A -> B )\n".encode()
    )
    f = frame_of(path)
    assert f["format"].to_list() == ["syslog", "prefix+none", "prefix+none"]
    assert f["local_time"].null_count() == 2
    assert f["prefix"][2] == "[  92\u0663.311900]"
    assert row(f, 1)["local_time"] == datetime(2023, 3, 3, 15, 4, 20)
