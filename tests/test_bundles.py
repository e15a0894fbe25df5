"""Support bundles as SRC: layouts, node names by host, CLI commands on the timeline with
their clock tied to the driver's, config as identity, secrets masked in every output."""

from __future__ import annotations

import json
import os
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from correlate.cli import main
from correlate.errors import Notices
from correlate.pipeline import Options, analyse
from correlate.read import bundles
from tests.bundles import (
    Cli,
    archive,
    bsr_linux,
    bsr_windows,
    cli_log,
    crm_report,
    linstor_sos,
    sosreport,
)


def run_cli(args: list[str]):
    return CliRunner().invoke(main, args)


SAMPLES = Path(__file__).parent.parent / "samples"
REAL = Path(__file__).parent / "data" / "real"
SECRET = "topsecret-9f3a"
RES = (
    "resource r0 {\n"
    f'  net {{ shared-secret "{SECRET}"; cram-hmac-alg sha1; }}\n'
    "  on h0 { node-id 0; address ipv4 10.0.0.1:7789; volume 0 { device e minor 2; } }\n"
    "  on h1.example.local { node-id 1; address 10.0.0.2:7789; }\n"
    "}\n"
)
# node0's netlink commands of its `up` (samples/node0/bsr.log, 16:25:03.21 .. .31)
UP = ["new-resource", "new-minor", "new-peer", "new-path", "attach", "connect"]


def _secret(sub: str) -> str:
    return f" --shared-secret={SECRET}" if sub == "new-peer" else ""


def _cli(stamp: str) -> dict[str, str]:
    """bsradm up r0 at ``stamp`` (the host's local time) and its bsrsetup children, as
    bsrtool_common.c writes them; one child carries a secret on its command line."""
    shell = [("bash", 4711), ("sshd", 4702)]
    adm = [
        Cli(stamp, "bsradm", "up", 900, shell, "execution command, bsradm up r0"),
        Cli(stamp, "bsradm", "up", 900, shell, "done, rv(0)"),
    ]
    setup = [
        Cli(stamp, "bsrsetup", sub, 901 + i, [("bsradm", 900), *shell],
            f"execution command, bsrsetup {sub} r0" + _secret(sub))
        for i, sub in enumerate(UP)
    ]  # fmt: skip
    return {"bsradm.log": cli_log(adm), "bsrsetup.log": cli_log(setup)}


@pytest.fixture(scope="module")
def linux_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """h0: a BSR Linux bundle (.tar.gz) whose CLI logs are in UTC (the driver's bsr.log
    is UTC+9); H1: a Windows bundle (.zip, upper-case COMPUTERNAME)."""
    root = tmp_path_factory.mktemp("bundles")
    h0 = bsr_linux(
        root, "h0",
        {"bsr.log": (SAMPLES / "node0" / "bsr.log").read_bytes(), **_cli("2020/10/26 07:25:03")},
        conf={"r0.res": RES, "global_common.conf": "common { }\n"},
        status={"status.txt": "r0 role:Secondary\n"},
        top={"dump": RES},
        system={"messages": MESSAGES, "dmeg": DMEG},
    )  # fmt: skip
    h1 = bsr_windows(
        root, "H1", {"bsr.log": (SAMPLES / "node1" / "bsr.log").read_bytes()},
        conf={"r0.res": RES}, system={"SystemLog.csv": "Computer,Date,Time\n"},
    )  # fmt: skip
    return archive(h0, root / "h0-20201026.163000.tar.gz"), archive(h1, root / "H1.zip", "zip")


@pytest.fixture(scope="module")
def linux_run(linux_pair: tuple[Path, Path]):
    return analyse([str(p) for p in linux_pair], Options(), Notices())


def test_layouts_are_classified_by_their_paths():
    def kinds(paths: list[str]) -> list[tuple[str, str]]:
        return [(h.kind, h.host) for h in bundles.classify(paths, lambda _: None)]

    assert kinds(["h0/bsr/log/bsr.log", "h0/System/dmeg"]) == [("bsr-linux", "h0")]
    assert kinds(["X/HOST1/BSR/log/bsr.log_2020-10-26T163000.123"]) == [("bsr-windows", "HOST1")]
    sos = "sosreport-a-2024-03-05-xyzabc"  # no hostname file: the directory's name
    assert kinds([f"{sos}/sos_commands/kernel/dmesg", f"{sos}/var/log/messages"]) == [
        ("sosreport", "a")
    ]
    assert kinds(["sos/_Controller/x.log", "sos/n1/dmesg", "sos/n2/journalctl-kernel-log"]) == [
        ("linstor-sos", "n1"),
        ("linstor-sos", "n2"),
    ]
    assert kinds(["r/n1/crm_mon.txt", "r/n1/journal.log"]) == [("crm_report", "n1")]
    assert kinds(["node0/bsr.log", "node1/bsr.log"]) == []  # plain folders: no bundle


def test_a_sosreports_kernel_lines_are_read_from_one_family():
    paths = [
        "s/sos_commands/x",
        "s/var/log/messages",
        "s/var/log/messages-20240301",
        "s/sos_commands/kernel/dmesg",
    ]
    (h,) = bundles.classify(paths, lambda _: None)
    assert h.files("kernel") == ["s/var/log/messages", "s/var/log/messages-20240301"]
    assert h.left == {"s/sos_commands/kernel/dmesg": "the same kernel lines as messages"}


def test_bundle_nodes_are_named_by_their_hosts(linux_run):
    assert [n.name for n in linux_run.nodes] == ["h0", "H1"]
    assert linux_run.bundles["h0"]["kind"] == "bsr-linux"
    assert linux_run.bundles["H1"]["kind"] == "bsr-windows"
    roles = {
        f["file"].rsplit("/", 1)[-1]: (f["role"], f["read"])
        for f in linux_run.bundles["h0"]["files"]
    }
    assert roles["bsr.log"] == ("driver", True)
    assert roles["bsradm.log"] == ("admin", True)
    assert roles["r0.res"] == ("config", True)
    assert roles["messages"] == ("system", True)  # the host's log, on the driver's clock
    assert roles["status.txt"] == ("status", True)


def test_cli_clock_is_tied_by_the_netlink_receipts(linux_run):
    (clock,) = linux_run.admin_clocks
    assert clock.node == "h0"
    assert clock.shift_ns == 9 * 3600 * 10**9  # driver UTC+9, CLI log UTC
    assert (clock.tied, clock.candidates) == (6, 6)


def test_commands_are_on_the_timeline_before_what_they_caused(linux_run):
    cmds = linux_run.admin_commands
    assert [(c.program, c.subcommand) for c in cmds] == [("bsradm", "up")] + [
        ("bsrsetup", s) for s in UP
    ]
    up = cmds[0]
    assert up.rv == 0 and up.caller == [("bash", 4711), ("sshd", 4702)]
    assert all(c.parent == 0 for c in cmds[1:])
    assert all(c.rv is None for c in cmds[1:])  # bsrsetup logs no result line
    for c in cmds[1:]:
        assert c.netlink is not None and c.netlink.command == c.subcommand.upper().replace("-", "_")
        # the aligned time (h0 is the reference) is the CLI stamp + 9 h, at or before the receipt
        assert c.time_ns == c.local_ns + 9 * 3600 * 10**9
        assert c.time_ns <= c.netlink.received.local_ns < c.time_ns + 10**9
    tl = linux_run.timeline
    rows = tl.filter(pl.col("event").cast(pl.String) == "admin_command")
    assert rows.height == 7
    assert set(rows["program"].cast(pl.String)) == {"bsradm", "bsrsetup"}
    # in the merged order, each command comes before its netlink receipt
    order = tl.with_row_index("pos")
    first_cmd = order.filter(pl.col("event").cast(pl.String) == "admin_command")["pos"].min()
    first_receipt = order.filter(
        pl.col("message").str.contains("NEW_RESOURCE:7 command has been received")
    )["pos"].min()
    assert first_cmd < first_receipt


def test_config_ties_hosts_and_checks_node_ids(linux_run):
    assert linux_run.config["h0"]["node_id"] == 0
    assert linux_run.config["h0"]["address"] == "10.0.0.1:7789"
    # the .res names h1.example.local; the Windows bundle's host is H1: one node
    assert linux_run.config["H1"]["host"] == "h1.example.local"
    assert linux_run.config["H1"]["node_id"] == 1
    assert not [f for f in linux_run.findings if f.kind == "config_mismatch"]


def test_a_config_that_disagrees_with_the_logs_is_a_finding(tmp_path: Path):
    wrong = RES.replace("on h0 { node-id 0;", "on h0 { node-id 3;")
    h0 = bsr_linux(
        tmp_path,
        "h0",
        {"bsr.log": (SAMPLES / "node0" / "bsr.log").read_bytes()},
        conf={"r0.res": wrong},
    )
    h1 = bsr_windows(tmp_path, "H1", {"bsr.log": (SAMPLES / "node1" / "bsr.log").read_bytes()})
    run = analyse([str(h0.parent / "h0"), str(h1)], Options(), Notices())
    found = [f for f in run.findings if f.kind == "config_mismatch"]
    assert [f.node for f in found] == ["h0"]
    assert "node id 0 in r0" in found[0].message and "node-id 3" in found[0].message


def test_no_secret_reaches_any_output(linux_pair: tuple[Path, Path], tmp_path: Path):
    out = tmp_path / "out"
    result = run_cli([*map(str, linux_pair), "-o", str(out), "--csv"])
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output
    written = [p for p in out.rglob("*") if p.is_file()]
    assert len(written) > 5
    for p in written:
        assert SECRET.encode() not in p.read_bytes(), p
    tl = pl.read_parquet(out / "timeline.parquet")
    assert tl.filter(pl.col("message").str.contains(SECRET)).height == 0
    assert (
        tl.filter(pl.col("message").str.contains("--shared-secret=********", literal=True)).height
        == 1
    )
    summary = json.loads((out / "summary.json").read_text())
    assert [c["command"] for c in summary["admin_commands"] if "new-peer" in c["command"]] == [
        "bsrsetup new-peer r0 --shared-secret=********"
    ]
    first = summary["admin_commands"][0]
    assert first["local_time"] == "2020-10-26T07:25:03.0000000"
    assert first["time"] == "2020-10-26T16:25:03.0000000"
    assert first["caller"] == [{"name": "bash", "pid": 4711}, {"name": "sshd", "pid": 4702}]
    assert summary["admin_clocks"] == [
        {"node": "h0", "shift_s": 32400.0, "tied": 6, "candidates": 6}
    ]
    # the up's episode diagram starts with the commands that caused it, escaped
    svgs = [p for p in (out / "diagrams").glob("*.svg") if "bsradm up r0" in p.read_text()]
    assert len(svgs) == 1
    text = svgs[0].read_text()
    assert "bsradm up r0 (bash &lt; sshd)" in text
    assert text.index("bsradm up r0") < text.index("bsrsetup new&#45;resource r0")
    assert "bsrsetup new&#45;peer r0 &#45;&#45;shared&#45;secret=********" in text


def _kernel_log(name: str) -> bytes:
    return (REAL / "linstor221-node1-node2-detach" / name).read_bytes()


def test_a_sosreport_per_node_is_named_by_its_hostname_file(tmp_path: Path):
    a = sosreport(
        tmp_path,
        "node1",
        {
            "var/log/messages": _kernel_log("node1.log"),
            "sos_commands/kernel/dmesg": b"[ 1.0] drbd x\n",
        },
    )
    b = sosreport(
        tmp_path, "node2", {"var/log/messages": _kernel_log("node2.log"), "etc/drbd.d/r.res": RES}
    )
    run = analyse([str(archive(a, tmp_path / "a.tar.xz", "tar.xz")), str(b)], Options(), Notices())
    assert [n.name for n in run.nodes] == ["node1", "node2"]
    files = {f["file"].rsplit("/", 1)[-1]: f for f in run.bundles["node1"]["files"]}
    assert files["dmesg"]["read"] is False and "messages" in files["dmesg"]["why"]
    assert run.cluster.twopc  # the same protocol facts as from the bare logs


def test_a_linstor_sos_report_gives_one_node_per_directory(tmp_path: Path):
    top = linstor_sos(
        tmp_path,
        {
            "node1": {"log-syslog": _kernel_log("node1.log"), "drbd-status": "x\n"},
            "node2": {"log-syslog": _kernel_log("node2.log"), "my_ssd_res.res": RES},
        },
    )
    run = analyse([str(archive(top, tmp_path / "sos.tar.bz2", "tar.bz2"))], Options(), Notices())
    assert [n.name for n in run.nodes] == ["node1", "node2"]  # _Controller is no node
    bare = analyse(
        [str(REAL / "linstor221-node1-node2-detach" / f"node{i}.log") for i in (1, 2)],
        Options(),
        Notices(),
    )
    assert [t.tid for t in run.cluster.twopc] == [t.tid for t in bare.cluster.twopc]
    assert run.findings and [f.kind for f in run.findings] == [f.kind for f in bare.findings]


def test_a_crm_report_gives_one_node_per_directory(tmp_path: Path):
    top = crm_report(
        tmp_path,
        {
            "node1": {"journal.log": _kernel_log("node1.log")},
            "node2": {"journal.log": _kernel_log("node2.log"), "drbd_info.txt": "x\n"},
        },
    )
    run = analyse([str(top)], Options(), Notices())
    assert [n.name for n in run.nodes] == ["node1", "node2"]
    assert run.bundles["node2"]["kind"] == "crm_report"


def test_a_bundle_without_any_driver_log_is_a_clear_error(tmp_path: Path):
    top = bsr_linux(tmp_path, "h0", {"bsradm.log": cli_log([])}, conf={"r0.res": RES})
    (top / "bsr" / "log" / "bsr.log").write_text("")
    result = run_cli([str(tmp_path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.output.count("\n") <= 3 and "Traceback" not in result.output


def test_year_less_stamps_take_the_year_of_the_bundles_member(tmp_path: Path):
    """A sosreport archived in March 2019: its `Mar  3` syslog lines are of 2019 (the
    member's time in the archive), not of the year the run happens in."""
    import tarfile
    from datetime import datetime
    from io import BytesIO

    out = tmp_path / "sosreport-node1-2019-03-10-abcdef.tar.gz"
    when = datetime(2019, 3, 10, 12, 0).timestamp()
    with tarfile.open(out, "w:gz") as tf:
        for name, data in (
            ("sosreport-node1/hostname", b"node1\n"),
            ("sosreport-node1/sos_commands/host/hostname", b"node1\n"),
            ("sosreport-node1/var/log/messages", _kernel_log("node1.log")),
        ):
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), when
            tf.addfile(info, BytesIO(data))
    run = analyse([str(out)], Options(), Notices())
    (node,) = run.nodes
    assert node.name == "node1"
    assert datetime.fromtimestamp(node.first_time / 1e9).year == 2019


STATUS = (
    "r0 node-id:0 role:Primary suspended:no\n"
    "  volume:0 minor:2 disk:UpToDate\n"
    "  h1 node-id:1 connection:Connected role:Secondary\n"
    "    volume:0 replication:Established peer-disk:UpToDate\n"
)


def test_a_status_snapshot_is_held_against_the_logs_end_state(linux_run, tmp_path: Path):
    # the fixture's snapshot (role:Secondary) agrees with where h0's log ends
    assert linux_run.snapshots["h0"][0]["differences"] == []
    assert not [f for f in linux_run.findings if f.kind == "status_differs"]
    h0 = bsr_linux(tmp_path, "h0", {"bsr.log": (SAMPLES / "node0" / "bsr.log").read_bytes()},
                   status={"status.txt": STATUS})  # fmt: skip
    h1 = bsr_windows(tmp_path, "H1", {"bsr.log": (SAMPLES / "node1" / "bsr.log").read_bytes()})
    run = analyse([str(h0), str(h1)], Options(), Notices())
    diffs = {(d["what"], d["snapshot"], d["log"]) for d in run.snapshots["h0"][0]["differences"]}
    assert diffs == {
        ("role", "Primary", "Secondary"),
        ("disk", "UpToDate", "Diskless"),
        ("connection", "Connected", "StandAlone"),
        ("replication", "Established", "Off"),
        ("peer disk", "UpToDate", "DUnknown"),
        ("peer role", "Secondary", "Unknown"),
    }
    found = [f for f in run.findings if f.kind == "status_differs"]
    assert [(f.node, f.count) for f in found] == [("h0", 6)]  # one finding, 6 occurrences


# Copies of node0's driver lines as BSR's Linux driver printk's them, in a host in UTC
# (bsr.log is UTC+9), with a line of another program between them.
MESSAGES = (
    "Oct 26 07:25:06 h0 kernel: bsr r0: State change 177619259: primary_nodes=0, weak_nodes=0\n"
    "Oct 26 07:30:00 h0 systemd[1]: Started Session 5 of user root.\n"
    "Oct 26 07:37:52 h0 kernel: bsr r0: State change 3319182627: primary_nodes=0, weak_nodes=0\n"
    "Oct 26 07:38:25 h0 kernel: bsr r0: change_role, role( Secondary -> Primary )\n"
)
# The same in dmesg: seconds since a boot at 16:20:00 on bsr.log's clock.
DMEG = (
    "[  306.338481] bsr r0: State change 177619259: primary_nodes=0, weak_nodes=0\n"
    "[ 1072.281248] bsr r0: State change 3319182627: primary_nodes=0, weak_nodes=0\n"
)
# node1's line in its System event log, as DumpEventLog.vbs writes it on a Korean
# Windows (cp949, 오후 = PM).
EVENTS = (
    "Computer,Date,Time,RecordNumber,Log,User,EventCodeID,SourceName,EventIdentifier,"
    "Category,EventType,Message,InsertionStrings,ByteDataInASCII,ByteDataInHex\r\n"
    "localhost,2020-10-26,오후 4:25:06,1234,System,,1,bsr,1,,정보,"
    '"r0 h0: change_connection_state, conn( Connecting -> Connected ) '
    'peer( Unknown -> Secondary )",,,\r\n'
    "localhost,2020-10-26,오후 4:30:00,1235,System,,7036,Service Control Manager,7036,,정보,"
    "서비스가 실행 중 상태가 되었습니다.,,,\r\n"
).encode("cp949")


def test_a_nodes_host_logs_are_on_the_timeline_on_its_driver_clock(tmp_path: Path):
    h0 = bsr_linux(tmp_path, "h0", {"bsr.log": (SAMPLES / "node0" / "bsr.log").read_bytes()},
                   system={"messages": MESSAGES, "dmeg": DMEG})  # fmt: skip
    h1 = bsr_windows(tmp_path, "H1", {"bsr.log": (SAMPLES / "node1" / "bsr.log").read_bytes()},
                     system={"SystemLog.csv": EVENTS})  # fmt: skip
    # collected the day after: the year of messages' year-less stamps
    os.utime(h0 / "System" / "messages", (1603800000, 1603800000))
    run = analyse([str(h0), str(h1)], Options(), Notices())
    clocks = {(c.node, c.files[0].rsplit("/", 1)[-1]): c for c in run.context_clocks}
    ev = clocks[("H1", "SystemLog.csv")]
    assert (ev.how, ev.pairs, ev.shift_ns) == ("same lines", 1, 0)
    kern = [c for c in run.context_clocks if c.node == "h0"]
    by_file = {c.files[0].rsplit("/", 1)[-1]: c for c in kern}
    assert set(by_file) == {"dmeg", "messages"}  # one clock each
    msgs = by_file["messages"]
    assert (msgs.how, msgs.pairs, msgs.shift_ns) == ("same lines", 3, 9 * 3600 * 10**9)
    boot = by_file["dmeg"]  # seconds since boot: the boot's time on bsr.log's clock
    assert (boot.how, boot.pairs) == ("same lines", 2)
    assert abs(boot.shift_ns - 1603729200 * 10**9) < 10**6  # 2020-10-26 16:20:00
    tl = run.timeline
    systemd = tl.filter(pl.col("message") == "Started Session 5 of user root.")
    assert systemd.height == 1
    assert str(systemd["local_time"][0]) == "2020-10-26 07:30:00"
    assert str(systemd["time"][0]) == "2020-10-26 16:30:00"  # on h0's (the reference) clock
    copy = tl.filter(
        pl.col("program").cast(pl.String) == "bsr",
        pl.col("format").cast(pl.String) == "eventlog-csv",
    )
    assert copy.height == 1 and copy["host"][0] == "localhost"
    assert copy["stamp"][0] == "2020-10-26 오후 4:25:06"
    # H1's driver line of it, and its copy, land within the copy's 1 s stamp
    line = tl.filter(
        pl.col("node").cast(pl.String) == "H1",
        pl.col("program").cast(pl.String) == "bsr",
        pl.col("format").cast(pl.String) == "bsr",
        pl.col("message").str.ends_with("peer( Unknown -> Secondary )"),
    )
    gap = (line["time"][0] - copy["time"][0]).total_seconds()
    assert 0 <= gap < 1
    files = {f["file"].rsplit("/", 1)[-1]: f["read"] for f in run.bundles["H1"]["files"]}
    assert files["SystemLog.csv"] is True


def test_a_collectors_timeouts_are_said(tmp_path: Path):
    """sos's manifest: the drbd plugin hit its timeout, and drbdsetup status was killed at
    it (rc 124): both are gaps of the bundle, in summary.json and as warnings."""
    manifest = {
        "components": {
            "report": {
                "plugins": {
                    "drbd": {
                        "timeout_hit": True,
                        "commands": [
                            {"exec": "drbdsetup status -vs all", "return_code": 124,
                             "filepath": "sos_commands/drbd/drbdsetup_status_-vs_all"},
                            {"exec": "drbdadm dump", "return_code": 0, "truncated": False},
                        ],
                    },
                    "logs": {"timeout_hit": False, "commands": []},
                }
            }
        }
    }  # fmt: skip
    files = {
        "var/log/messages": _kernel_log("node1.log"),
        "sos_reports/manifest.json": json.dumps(manifest),
    }
    top = sosreport(tmp_path, "node1", files)
    notices = Notices()
    run = analyse([str(top)], Options(), notices)
    assert run.bundles["node1"]["gaps"] == [
        {"what": "plugin timed out", "plugin": "drbd"},
        {"what": "command timed out", "plugin": "drbd", "command": "drbdsetup status -vs all",
         "file": "sos_commands/drbd/drbdsetup_status_-vs_all"},
    ]  # fmt: skip
    warned = [n.text() for n in notices.items if n.matters]
    assert any("command timed out (drbd, drbdsetup status -vs all)" in w for w in warned)
    assert notices.matter  # a warning: exit 1, not a clean run


def test_a_window_keeps_the_commands_inside_it(linux_pair: tuple[Path, Path]):
    srcs = [str(p) for p in linux_pair]
    at = {c.subcommand: c.time_ns for c in analyse(srcs, Options(), Notices()).admin_commands}
    since = at["attach"]  # every command of the up has the same 1 s stamp
    run = analyse(srcs, Options(since_ns=since), Notices())
    assert [c.subcommand for c in run.admin_commands] == ["up", *UP]
    later = analyse(srcs, Options(since_ns=since + 10**9), Notices())
    assert later.admin_commands == []


def test_status_output_as_drbdadm_prints_it():
    """`drbdadm status` as LINBIT/drbd issue #106 quotes it for mysql and nfs (a volume
    numbered or not), and pgsql's peer as that output shows a link that is down: the
    omitted defaults (Connected, Established) are filled in, a stated one kept."""
    from correlate.read.status import parse

    text = (
        "mysql role:Primary\n"
        "  disk:UpToDate open:yes\n"
        "  node2.example.net role:Secondary\n"
        "    peer-disk:UpToDate\n"
        "\n"
        "nfs role:Primary\n"
        "  volume:2 disk:UpToDate open:yes\n"
        "  node2.example.net role:Secondary\n"
        "    volume:2 peer-disk:UpToDate\n"
        "\n"
        "pgsql role:Secondary\n"
        "  volume:1 disk:UpToDate open:no\n"
        "  node2.example.net connection:Connecting\n"
    )
    got = {r["resource"]: r for r in parse(text)}
    assert list(got) == ["mysql", "nfs", "pgsql"]
    assert got["mysql"]["volumes"] == [{"volume": None, "disk": "UpToDate"}]
    (peer,) = got["nfs"]["peers"]
    assert (peer["peer"], peer["connection"], peer["peer_role"]) == (
        "node2.example.net", "Connected", "Secondary")  # fmt: skip
    assert peer["volumes"] == [{"volume": 2, "replication": "Established", "peer_disk": "UpToDate"}]
    assert got["pgsql"]["peers"][0]["connection"] == "Connecting"
    assert got["pgsql"]["peers"][0]["volumes"] == []


def test_a_hosts_spellings_are_one_node(tmp_path: Path):
    """Bundles named ALPHA (a Windows-style upper-case COMPUTERNAME) and
    beta.example.local (an FQDN), whose BSR Linux logs name their peers alpha and beta
    (the .res `on` names): each peer name is tied to its node by the lines' own
    evidence (handshake ids), so the 2PCs are between the two nodes, not four."""
    events = Path(__file__).parent / "data" / "events"
    bsr_linux(tmp_path, "ALPHA", {"bsr.log": (events / "linux_alpha.log").read_bytes()})
    bsr_linux(tmp_path, "beta.example.local", {"bsr.log": (events / "linux_beta.log").read_bytes()})
    run = analyse([str(tmp_path)], Options(), Notices())
    assert [n.name for n in run.nodes] == ["ALPHA", "beta.example.local"]
    assert run.cluster.names.by_host == {"alpha": "ALPHA", "beta": "beta.example.local"}
    assert {(t.initiator, *t.participants) for t in run.cluster.twopc} == {
        ("ALPHA", "beta.example.local"),
        ("beta.example.local", "ALPHA"),
    }
    assert run.alignment.nodes["beta.example.local"].main.evidence > 0


def test_a_hole_in_a_numbered_rotated_set_is_said(tmp_path: Path):
    """messages and messages.2 but no messages.1: logrotate numbers rotations one after
    another, so a file is missing, and its lines with it."""
    log = _kernel_log("node1.log")
    lines = log.splitlines(keepends=True)
    top = sosreport(tmp_path, "node1", {"var/log/messages": b"".join(lines[6:]),
                                        "var/log/messages.2": b"".join(lines[:4])})  # fmt: skip
    notices = Notices()
    run = analyse([str(top)], Options(), notices)
    assert run.bundles["node1"]["gaps"] == [
        {"what": "rotation hole", "family": "messages", "file": "messages.1"}
    ]
    assert any("messages.1 is not among the files" in n.text() for n in notices.items if n.matters)
    # dated rotations prove no hole (their dates need not follow a period)
    from correlate.read.sources import rotation_holes

    assert rotation_holes(["messages", "messages-20240301", "messages-20240315.gz"]) == []
    # BSR's own rotated names end in milliseconds, no rotation number
    assert rotation_holes(["d/bsr.log", "d/bsr.log_2020-10-26T122945.123",
                           "d/bsr.log_2020-10-26T132945.456"]) == []  # fmt: skip
    assert rotation_holes(["kern.log", "kern.log.2.gz"]) == [
        {"what": "rotation hole", "family": "kern.log", "file": "kern.log.1"}
    ]


def test_an_empty_log_in_a_bundle_stops_nothing(tmp_path: Path):
    """A sosreport with an empty rotated file beside the kernel log: it is counted (a
    warning names it), the node is read."""
    top = sosreport(tmp_path, "node1", {"var/log/messages": _kernel_log("node1.log"),
                                        "var/log/messages.1": b""})  # fmt: skip
    notices = Notices()
    run = analyse([str(top)], Options(), notices)
    assert [n.name for n in run.nodes] == ["node1"]
    assert any("messages.1: empty file" in n.text() for n in notices.items)


# As LINBIT's OCF agent (drbd-utils scripts/drbd.ocf, do_cmd) logs a command it ran, in a
# crm_report's journal: both lines once the command returned.
AGENT = (
    "Mar  3 15:04:04 node1 drbd(p_drbd_r0)[4711]: INFO: my_ssd_res: Called drbdadm -c "
    "/etc/drbd.conf secondary my_ssd_res\n"
    "Mar  3 15:04:04 node1 drbd(p_drbd_r0)[4711]: INFO: my_ssd_res: Exit code 0\n"
    "Mar  3 15:04:04 node1 drbd(p_drbd_r0)[4711]: INFO: my_ssd_res: Command output: \n"
)


def test_the_commands_pacemakers_drbd_agent_ran_are_admin_commands(tmp_path: Path):
    log = _kernel_log("node1.log")
    top = crm_report(tmp_path, {"node1": {"journal.log": AGENT.encode() + log}})
    run = analyse([str(top)], Options(), Notices())
    (c,) = run.admin_commands
    assert (c.node, c.program, c.subcommand, c.rv) == ("node1", "drbdadm", "secondary", 0)
    assert c.command == "drbdadm -c /etc/drbd.conf secondary my_ssd_res"
    assert c.caller[0][0] == "drbd(p_drbd_r0)" and c.caller[1][0] == "Pacemaker"
    assert c.caused_tids == [] and c.caused_rows == []  # logged after it returned: no window
    assert c.local_ns == c.time_ns  # one node: its own clock is the reference
    tl = run.timeline
    events = tl.filter(pl.col("program").cast(pl.String) == "drbd(p_drbd_r0)")["event"]
    assert events.cast(pl.String).to_list() == ["admin_command", "admin_done", ""]
    # the local time is the stamp's, in ns
    assert str(
        tl.filter(pl.col("event").cast(pl.String) == "admin_command")["local_time"][0]
    ).endswith("15:04:04")
    assert c.local_ns % 10**9 == 0 and c.local_ns > 10**18


def test_the_zone_a_bundle_states_is_reported(tmp_path: Path):
    """sos's timedatectl and Windows' systeminfo (Korean, cp949) say the host's zone; it is
    reported beside the bundle's files (the clocks are tied by evidence, not by it)."""
    sos = sosreport(tmp_path, "node1", {
        "var/log/messages": _kernel_log("node1.log"),
        "sos_commands/systemd/timedatectl": "      Local time: Tue 2024-03-05 14:02:11 CET\n"
        "       Time zone: Europe/Berlin (CET, +0100)\n",
    })  # fmt: skip
    info = "표준 시간대:               (UTC+09:00) 서울\r\n".encode("cp949")
    win = bsr_windows(tmp_path, "H1", {"bsr.log": (SAMPLES / "node1" / "bsr.log").read_bytes()},
                      system={"systeminfo.txt": info})  # fmt: skip
    h0 = bsr_linux(tmp_path, "h0", {"bsr.log": (SAMPLES / "node0" / "bsr.log").read_bytes()})
    run = analyse([str(sos)], Options(), Notices())
    assert run.bundles["node1"]["zone"]["offset"] == "+01:00"
    assert run.bundles["node1"]["zone"]["name"] == "Europe/Berlin (CET)"
    pair = analyse([str(h0), str(win)], Options(), Notices())
    assert pair.bundles["H1"]["zone"] == {
        "offset": "+09:00", "name": "서울", "from": str(win / "System" / "systeminfo.txt")
    }  # fmt: skip
    assert pair.bundles["h0"]["zone"] is None  # bsrsupport collects nothing that says it
