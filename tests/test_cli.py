"""The command line keeps README's word: options checked before any log is read, one-line
diagnostics, the documented exit codes (70 for a bug), a closed pipe that is no error, and
a --since/--until window that narrows every output, not the timeline alone."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from correlate import errors

from .helpers import (
    DATA,
    NO_DIAGRAMS,
    ROOT,
    SAMPLES,
    assert_clean_error,
    entry,
    small_log,
    write_log,
)
from .test_diagrams import svg_texts

SAMPLE = (SAMPLES / "node0", SAMPLES / "node1")
# samples/README.md: the status loop polls GET_INITIAL_STATE 89 times on node 0 and 38
# times on node 1, each a received and a terminated line.
SAMPLE_POLLS = 89 + 38
# Around the reconnect (16:48:53.07 .. 16:48:53.12 on node 0's clock): its 2PC, UUID
# handshake, bitmaps and resync, nothing of the first connect, the disconnect or down.
RECONNECT = ("--since", "2020-10-26T16:48:52", "--until", "2020-10-26T16:48:54")
RECONNECT_2PC = 2894162377


def _refuse(*args, **kwargs):
    raise AssertionError("the logs were read before the options were checked")


@pytest.fixture
def nothing_read(monkeypatch):
    """The run must stop before the pipeline starts: the options alone are wrong."""
    monkeypatch.setattr("correlate.cli.analyse", _refuse)


@pytest.fixture
def nothing_parsed(monkeypatch):
    """The run may resolve its sources (that gives the node names) but parse no log."""
    monkeypatch.setattr("correlate.pipeline.parse_node", _refuse)


@pytest.fixture(scope="module")
def whole(tmp_path_factory) -> Path:
    """The samples' bundle without a window, to compare windowed runs with."""
    from click.testing import CliRunner

    from correlate.cli import main

    out = tmp_path_factory.mktemp("whole") / "out"
    result = CliRunner().invoke(main, [*map(str, SAMPLE), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


# -- options checked before reading -----------------------------------------------------


@pytest.mark.parametrize(
    "value", ["16:40", "2020-10-26T16:40.5", "2020-10-26T16:48:52Z", "2020-10-26T16:48:52.7x"]
)
def test_window_time_must_be_iso_8601(bsrcorr, nothing_read, value):
    run = bsrcorr(*SAMPLE, "--since", value)
    assert_clean_error(run, 2, "--since", "ISO 8601")


def test_window_times_to_the_minute_or_the_day():
    """ISO 8601's reduced forms, as a person types them: to the minute, to the day."""
    from correlate.times import parse_iso

    assert parse_iso("2020-10-26T16:48") == parse_iso("2020-10-26T16:48:00.0")
    assert parse_iso("2020-10-26 16:48") == parse_iso("2020-10-26T16:48:00")
    assert parse_iso("2020-10-26") == parse_iso("2020-10-26T00:00:00")
    assert parse_iso("2020-10-26T16:48:52.7") - parse_iso("2020-10-26T16:48:52") == 700_000_000


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e12", "-4e9"])
def test_offset_must_be_finite_and_fit_a_timestamp(bsrcorr, nothing_read, value):
    run = bsrcorr(*SAMPLE, "--offset", f"node1={value}")
    assert_clean_error(run, 2, "--offset", f"node1={value}")
    assert not run.out.exists()


def test_offset_that_moves_a_log_past_what_a_timestamp_holds(bsrcorr, tmp_path):
    """Within a century, yet a log dated near 2262 would wrap around: refused, exit 2."""
    late = [entry(i + 1, f"10:00:0{i}.0000000", f"m{i}", date="12/31/2261") for i in range(3)]
    a = write_log(tmp_path / "a.log", late)
    b = write_log(tmp_path / "b.log", late[:2])
    run = bsrcorr(a, b, "--offset", "b=-3e9", *NO_DIAGRAMS)
    assert_clean_error(run, 2, "--offset b=-3e+09", "outside what a timestamp can hold")
    assert not run.out.exists()


@pytest.mark.parametrize(
    "args",
    [("--offset", "node0=1.0"), ("--reference", "node1", "--offset", "node1=-0.3")],
    ids=["default-reference", "named-reference"],
)
def test_offset_on_the_reference_node_is_refused(bsrcorr, nothing_parsed, args):
    run = bsrcorr(*SAMPLE, *args)
    assert_clean_error(run, 2, "is the reference node")
    assert not run.out.exists()


def test_offset_given_twice_for_one_node(bsrcorr, nothing_read):
    run = bsrcorr(*SAMPLE, "--offset", "node1=-0.3", "--offset", "node1=-0.4")
    assert_clean_error(run, 2, "node1: given twice")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--reference", "nodeX"), "--reference nodeX: no such node (nodes: node0, node1)"),
        (("--offset", "nodeX=1"), "--offset nodeX=1: no such node (nodes: node0, node1)"),
    ],
)
def test_unknown_node_names_stop_the_run_before_parsing(bsrcorr, nothing_parsed, args, says):
    run = bsrcorr(*SAMPLE, *args)
    assert_clean_error(run, 2, says)
    assert not run.out.exists()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--events",), "--events only applies to --timeline"),
        (("--timeline", "--format", "json"), "--format json and --timeline"),
        (
            ("--since", "2020-10-26T16:49:00", "--until", "2020-10-26T16:48:00"),
            "--since 2020-10-26T16:49:00 is after --until 2020-10-26T16:48:00",
        ),
        (("--since", "9999-01-01T00:00:00"), "outside what a timestamp can hold"),
    ],
    ids=["events-alone", "json-and-timeline", "since-after-until", "since-too-late"],
)
def test_options_that_cannot_go_together(bsrcorr, nothing_read, args, says):
    assert_clean_error(bsrcorr(*SAMPLE, *args), 2, says)


@pytest.mark.parametrize(
    "args",
    [
        ("--bogus",),
        (),
        ("--since", "yesterday"),
        ("--offset", "node1"),
        ("--diagrams", "some"),
        ("--max-extract-mb", "0"),
    ],
    ids=["unknown-option", "no-src", "bad-time", "offset-without-value", "bad-choice", "bad-int"],
)
def test_usage_errors_are_one_line(bsrcorr, nothing_read, args):
    srcs = () if args == () else SAMPLE
    run = bsrcorr(*srcs, *args)
    assert run.exit_code == 2
    # README: one line, `bsrcorr: error: ...`, not click's Usage/Try/Error block
    assert len(run.stderr.splitlines()) == 1, run.stderr
    assert run.stderr.startswith("bsrcorr: error: ")
    assert "Usage:" not in run.stderr and "Try " not in run.stderr


# -- internal errors ----------------------------------------------------------------------


def _bug_in(target: str):
    """A stand-in for ``target`` that fails as a bug in its module would: its code is
    compiled under that module's file name, so the traceback puts the failure there."""
    module = importlib.import_module(target.rsplit(".", 1)[0])
    source = "def bug(*args, **kwargs):\n    raise RuntimeError('boom\\nsecond line')\n"
    namespace: dict = {}
    exec(compile(source, module.__file__, "exec"), namespace)
    return namespace["bug"]


def _garbled_log(tmp_path: Path) -> Path:
    """A node whose log has a line that is not an entry: a warning before the crash."""
    return write_log(tmp_path / "node0.log", [*small_log(3), "not an entry"])


@pytest.mark.parametrize(
    ("target", "stage"),
    [
        ("correlate.events.extract.extract", "events/extract"),
        ("correlate.render.report.render", "render/report"),
        ("correlate.render.text.summary", "render/text"),
    ],
)
def test_internal_error_is_exit_70_with_the_traceback_kept(
    bsrcorr, tmp_path, monkeypatch, target, stage
):
    monkeypatch.setattr(target, _bug_in(target))
    run = bsrcorr(_garbled_log(tmp_path), *NO_DIAGRAMS, crash_ok=True)
    assert run.exit_code == 70
    crash = run.out / "bsrcorr-crash.txt"
    *notes, last = run.stderr.splitlines()
    assert last == (
        f"bsrcorr: error: internal error in stage {stage}: RuntimeError: boom "
        f"(traceback in {crash}; please report it)"
    )
    # what was found before the crash is still said, one line each
    assert (
        "bsrcorr: warning: node0: 1 line(s) are not BSR entries (25.0%); kept as "
        "event=unparsed" in notes
    )
    assert all(line.startswith(("bsrcorr: warning: ", "bsrcorr: note: ")) for line in notes)
    assert "Traceback" not in run.stderr and run.stdout == ""
    text = crash.read_text()
    assert "Traceback (most recent call last)" in text and "RuntimeError: boom" in text
    assert f"crashed in stage {stage}" in text


def test_debug_shows_the_traceback_instead(bsrcorr, tmp_path, monkeypatch):
    monkeypatch.setattr(
        "correlate.events.extract.extract", _bug_in("correlate.events.extract.extract")
    )
    run = bsrcorr(_garbled_log(tmp_path), "--debug", *NO_DIAGRAMS, crash_ok=True)
    assert run.exit_code == 70
    assert "internal error in stage events/extract: RuntimeError: boom" in run.stderr
    assert "Traceback (most recent call last)" in run.stderr
    assert not (run.out / "bsrcorr-crash.txt").exists()


def test_an_earlier_crash_file_goes_with_the_earlier_bundle(bsrcorr, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "bsrcorr-crash.txt").write_text("an earlier run's crash")
    run = bsrcorr(_garbled_log(tmp_path), *NO_DIAGRAMS, out=out)
    assert run.exit_code == 1
    assert not (out / "bsrcorr-crash.txt").exists()


def test_readme_exit_codes_are_the_codes_used():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Exit codes", 1)[1].split("\n\n", 2)[1]
    codes = [int(m) for m in re.findall(r"^\| (\d+) \|", table, flags=re.M)]
    assert codes == [
        errors.EXIT_OK,
        errors.EXIT_WARNINGS,
        errors.EXIT_INPUT,
        errors.EXIT_OUTPUT,
        errors.EXIT_SOFTWARE,
    ]
    assert errors.EXIT_SOFTWARE == 70


# -- a closed stdout pipe -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ((*map(str, SAMPLE),), 0),
        ((*map(str, SAMPLE), "--format", "json"), 0),
        (("garbled.log", "--timeline"), 1),
    ],
    ids=["summary", "json", "timeline-with-warnings"],
)
def test_closed_stdout_pipe_exits_with_the_runs_code(tmp_path, args, code):
    """`bsrcorr ... | head -1`: the reader goes away before bsrcorr writes. The pipe is
    closed before the process has even started, so the write always finds it closed."""
    _garbled_log(tmp_path).rename(tmp_path / "garbled.log")
    read, write = os.pipe()
    proc = subprocess.Popen(
        [sys.executable, "-m", "correlate", *args, "-o", "out", *NO_DIAGRAMS],
        cwd=tmp_path,
        stdout=write,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    os.close(write)
    os.close(read)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == code, stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    assert all(line.startswith("bsrcorr: ") for line in stderr.splitlines()), stderr
    assert (tmp_path / "out" / "report.html").exists()


# -- the window narrows every output ------------------------------------------------------


def test_window_narrows_every_output(bsrcorr, whole):
    run = bsrcorr(*SAMPLE, *RECONNECT, "--csv")
    assert run.exit_code == 0, run.stderr
    rows = run.timeline().height
    assert 0 < rows < 766
    csv_rows = len((run.out / "timeline.csv").read_text().splitlines()) - 1
    assert csv_rows == rows
    doc = run.json()
    assert doc["window"] == {
        "since": "2020-10-26T16:48:52.0000000",
        "until": "2020-10-26T16:48:54.0000000",
        "rows": rows,
        "rows_read": 766,
    }
    # summary.json: the reconnect's records only
    assert [t["tid"] for t in doc["twopc"]] == [RECONNECT_2PC]
    assert [(d["node"], d["result"], d["rule"]) for d in doc["uuid_decisions"]] == [
        ("node0", 2, 70),
        ("node1", -2, 50),
    ]
    assert [r["source"] for r in doc["resyncs"]] == ["node0"]
    assert [n["command"] for n in doc["netlink"]] == ["CONNECT"]
    assert doc["landmarks"] == [] and doc["connection_losses"] == []
    assert doc["netlink_polls"] == []
    assert len(doc["handshakes"]) == 2 and len(doc["bitmaps"]) == 2
    # every time summary.json lists lies inside the window
    listed = re.findall(r'"time": "([^"]+)"', (run.out / "summary.json").read_text())
    assert listed and all("2020-10-26T16:48:52" <= t <= "2020-10-26T16:48:54" for t in listed)
    # episodes, diagrams: the reconnect's; its diagram as the whole run draws it
    [episode] = doc["episodes"]
    assert (
        episode["kind"] == "connect" and episode["diagram"] == "diagrams/episode-08-connect-r0.svg"
    )
    drawn = sorted(p.name for p in (run.out / "diagrams").iterdir())
    assert drawn == ["episode-08-connect-r0.svg", "overview.svg"]
    same = "diagrams/episode-08-connect-r0.svg"
    assert (run.out / same).read_bytes() == (whole / same).read_bytes()
    overview = svg_texts(run.out / "diagrams" / "overview.svg")
    assert "1 episodes" in overview
    assert [t for t in overview if re.fullmatch(r"#\d+", t)] == ["#8"]
    # the terminal summary
    assert run.stdout.startswith(
        f"bsrcorr: 2 node(s), {rows} rows in the window 2020-10-26 16:48:52.0000000 .. "
        "2020-10-26 16:48:54.0000000 (of 766 read)"
    )
    assert "  2PC       1 transaction(s): 1 committed" in run.stdout
    episodes = run.stdout.split("\nepisodes\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len(episodes) == 1 and episodes[0].strip().startswith("8 ")
    assert "status poll" not in run.stdout
    # the report
    html = (run.out / "report.html").read_text()
    assert re.findall(r'<section class="episode" id="([^"]+)"', html) == ["episode-08-connect-r0"]
    assert f"{rows:,} of the 766 rows read" in html
    data = json.loads(re.search(r'id="bsrcorr-data">(.*?)</script>', html, re.S).group(1))
    assert data["total"] == rows


def test_window_narrows_status_poll_counts(bsrcorr, whole):
    run = bsrcorr(
        *SAMPLE, "--since", "2020-10-26T16:48:40", "--until", "2020-10-26T16:48:54", *NO_DIAGRAMS
    )
    polls = {(p["node"], p["command"]): p["count"] for p in run.json()["netlink_polls"]}
    t = run.timeline().filter(
        (pl.col("event") == "netlink_received")
        & pl.col("message").str.contains("GET_INITIAL_STATE", literal=True)
    )
    in_window = dict(t.group_by(pl.col("node").cast(pl.String)).len().iter_rows())
    assert polls == {(n, "GET_INITIAL_STATE"): k for n, k in in_window.items()}
    assert sum(polls.values()) < SAMPLE_POLLS
    for (node, _), count in polls.items():
        assert re.search(rf"netlink   {node}: \d+ command\(s\) and {count} status poll", run.stdout)


@pytest.mark.parametrize(
    ("since", "until", "kinds", "tids", "episodes"),
    [
        ("19:01:50", "19:02:10", ["twopc_aborted"], [3003], []),
        ("19:00:59", "19:01:31", ["twopc_timed_out", "netlink_unterminated"], [2002], [4]),
    ],
)
def test_window_narrows_findings(bsrcorr, since, until, kinds, tids, episodes):
    logs = [DATA / "events" / "linux_alpha.log", DATA / "events" / "linux_beta.log"]
    window = ("--since", f"2024-03-02T{since}", "--until", f"2024-03-02T{until}")
    run = bsrcorr(*logs, *window, *NO_DIAGRAMS)
    doc = run.json()
    assert [f["kind"] for f in doc["findings"]] == kinds
    assert [t["tid"] for t in doc["twopc"]] == tids
    assert [e["number"] for e in doc["episodes"]] == episodes
    shown = run.stdout.split("\nfindings  ", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    assert [line.split()[2] for line in shown] == kinds
    html = (run.out / "report.html").read_text()
    assert f"<h2 id=findings>Findings ({len(kinds)})</h2>" in html


def test_window_keeps_no_record_outside_it(tmp_path):
    """Whatever records the events and protocol stages grow, none outside the window is
    left for a renderer to list (state changes aside: history, listed nowhere)."""
    from correlate.errors import Notices
    from correlate.pipeline import Options, analyse
    from correlate.story.scope import CLUSTER_RULES, NODE_RULES, TABLE, WINDOW, KeptRows
    from correlate.times import parse_iso

    since, until = parse_iso(RECONNECT[1]), parse_iso(RECONNECT[3])
    options = Options(out=tmp_path / "out", since_ns=since, until_ns=until, diagrams="none")
    a = analyse([str(s) for s in SAMPLE], options, Notices())
    kept = KeptRows(a.timeline)
    assert a.cluster.nodes is a.events
    holders = [(ev, ev.name, NODE_RULES) for ev in a.events] + [(a.cluster, None, CLUSTER_RULES)]
    checked = 0
    for holder, node, rules in holders:
        for name, value in vars(holder).items():
            if rules.get(name) not in (WINDOW, TABLE):
                continue
            items = value.values() if isinstance(value, dict) else value
            if isinstance(value, (list, dict)):
                for item in items:
                    assert kept.touches(item), (name, item)
                    checked += 1
            elif isinstance(value, pl.DataFrame) and node is not None:
                assert kept.table(value, node).height == value.height, name
    assert checked > 10


# -- --timeline ---------------------------------------------------------------------------


def test_timeline_events_counts_terminated_status_polls_instead_of_listing_them(bsrcorr):
    run = bsrcorr(*SAMPLE, "--timeline", "--events", *NO_DIAGRAMS)
    assert run.exit_code == 0, run.stderr
    lines = run.stdout.splitlines()
    events = run.timeline().filter(~pl.col("event").is_in(["", "unparsed"])).height
    assert len(lines) == events - 2 * SAMPLE_POLLS
    assert not any("GET_INITIAL_STATE" in line for line in lines)
    assert run.stderr.splitlines() == [
        f"bsrcorr: note: {SAMPLE_POLLS} terminated status poll(s) counted, not listed "
        "(summary.json netlink_polls)"
    ]


def test_timeline_events_lists_a_status_poll_that_never_terminated(bsrcorr, tmp_path):
    poll = "BSR_ADM_GET_INITIAL_STATE:38 command "
    lines = [
        entry(
            1,
            "10:00:00.0000000",
            poll + "has been received. Execute the command.",
            cat="NETLINK",
            idx=18,
            func="NetlinkWorkThread",
        ),
        entry(
            2,
            "10:00:00.0002000",
            poll + "execution terminated. (pending command:0)",
            cat="NETLINK",
            idx=20,
            func="NetlinkWorkThread",
        ),
        entry(
            3,
            "10:00:07.0000000",
            poll + "has been received. Execute the command.",
            cat="NETLINK",
            idx=18,
            func="NetlinkWorkThread",
        ),
    ]
    run = bsrcorr(write_log(tmp_path / "node0.log", lines), "--timeline", "--events", *NO_DIAGRAMS)
    [listed] = run.stdout.splitlines()
    assert "<netlink_received>" in listed and listed.startswith("2020-10-26 10:00:07")


def test_timeline_writes_the_same_bundle(bsrcorr, whole):
    """README: --timeline changes what stdout gets, not the bundle."""
    run = bsrcorr(*SAMPLE, "--timeline")
    assert run.exit_code == 0
    assert len(run.stdout.splitlines()) == 766
    names = ["summary.json", "alignment.json", "report.html"]
    names += sorted(f"diagrams/{p.name}" for p in (whole / "diagrams").iterdir())
    assert sorted(p.name for p in (run.out / "diagrams").iterdir()) == [n[9:] for n in names[3:]]
    for name in names:
        assert (run.out / name).read_bytes() == (whole / name).read_bytes(), name


def test_csv_only_on_request(bsrcorr, tmp_path):
    """timeline.parquet always; timeline.csv with --csv, the same rows."""
    plain = bsrcorr(*SAMPLE, *NO_DIAGRAMS, out=tmp_path / "plain")
    assert plain.exit_code == 0
    assert (plain.out / "timeline.parquet").exists() and not (plain.out / "timeline.csv").exists()
    assert "timeline.csv" not in plain.stdout
    both = bsrcorr(*SAMPLE, *NO_DIAGRAMS, "--csv", out=tmp_path / "both")
    rows = len((both.out / "timeline.csv").read_text().splitlines()) - 1
    assert rows == both.timeline().height == 766
    assert "timeline.csv" in both.stdout


def test_timings_name_every_stage_on_stderr(bsrcorr, tmp_path):
    """--timings: one line per stage that ran, in order, with seconds and peak memory,
    on stderr; stdout and the bundle are what they are without it."""
    run = bsrcorr(*SAMPLE, "--timings", "--csv", out=tmp_path / "t")
    plain = bsrcorr(*SAMPLE, "--csv", out=tmp_path / "p")
    assert run.exit_code == plain.exit_code == 0
    assert run.stdout.replace(str(tmp_path / "t"), "") == plain.stdout.replace(
        str(tmp_path / "p"), ""
    )
    lines = run.stderr.splitlines()
    assert lines[0].split() == ["stage", "seconds", "peak", "RSS"]
    stages = [re.split(r"\s{2,}", ln.strip())[0] for ln in lines[1:]]
    assert stages == [
        "find the logs",
        "read and parse",
        "protocol events",
        "correlate the nodes",
        "align the clocks",
        "merge the timeline",
        "episodes",
        "findings",
        "end state and diagnosis",
        "write timeline.parquet",
        "write timeline.csv",
        "episode models (episodes.json.gz)",
        "diagrams",
        "write summary.json",
        "write report.html",
        "total",
    ]
    seconds = [float(re.split(r"\s{2,}", ln.strip())[1]) for ln in lines[1:]]
    assert seconds[-1] == pytest.approx(sum(seconds[:-1]), abs=0.01 * len(seconds))
    peaks = [int(re.search(r"([\d,]+) MiB", ln)[1].replace(",", "")) for ln in lines[1:-1]]
    assert peaks == sorted(peaks) and peaks[0] > 10  # a high-water mark, in MiB


def test_every_record_field_has_a_window_rule():
    """--since/--until cuts each field of a node's records and of the cluster by its own
    rule (scope.NODE_RULES, CLUSTER_RULES): a record kind added later must say how."""
    import dataclasses

    from correlate.model import Cluster, NodeEvents
    from correlate.story import scope

    node_fields = {f.name for f in dataclasses.fields(NodeEvents) if f.init}
    cluster_fields = {f.name for f in dataclasses.fields(Cluster) if f.init}
    assert node_fields == set(scope.NODE_RULES)
    assert cluster_fields == set(scope.CLUSTER_RULES)


def test_the_window_leaves_no_stale_index(tmp_path):
    """The narrowed cluster's indexes are made from its narrowed records: by_name names
    the same node records as nodes (it once kept the whole capture's 7 landmarks beside
    the window's 3), and a 2PC outside the window is no longer found by its id."""
    from correlate.errors import Notices
    from correlate.pipeline import Options, analyse
    from correlate.times import parse_iso

    since, until = (parse_iso(x) for x in RECONNECT[1::2])
    a = analyse(
        [str(p) for p in SAMPLE],
        Options(out=tmp_path / "o", diagrams="none", since_ns=since, until_ns=until),
        Notices(),
    )
    cl = a.cluster
    assert all(cl.by_name[n.name] is n for n in cl.nodes)
    assert cl.nodes is a.events or [n.name for n in cl.nodes] == [n.name for n in a.events]
    assert all(cl.node(n.name) is n for n in a.events)
    kept = {r.tid for r in cl.twopc}
    assert set(cl.twopc_by_tid) == kept and len(kept) < 4  # the samples hold 4 2PCs
