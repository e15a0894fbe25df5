"""The events stage on hand-made logs: typed events, pairs, sessions and decisions."""

from __future__ import annotations

import json
import re

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from correlate.errors import Notices
from correlate.events.catalog_bsr import KINDS
from correlate.events.classify import EXPLAIN, INT_FIELDS
from correlate.events.classify import fields_json_expr as _fields_json_expr
from correlate.pipeline import Options, analyse

from .helpers import DATA

EV = DATA / "events"


@pytest.fixture(scope="module")
def linux(tmp_path_factory):
    out = tmp_path_factory.mktemp("linux")
    specs = [f"alpha={EV / 'linux_alpha.log'}", f"beta={EV / 'linux_beta.log'}"]
    return analyse(specs, Options(out=out), Notices())


@pytest.fixture(scope="module")
def windows(tmp_path_factory):
    out = tmp_path_factory.mktemp("win")
    return analyse([f"a={EV / 'win_a.log'}", f"b={EV / 'win_b.log'}"], Options(out=out), Notices())


def records(analysis, name):
    return next(e for e in analysis.events if e.name == name)


def test_linux_identity_and_hosts(linux):
    alpha, beta = records(linux, "alpha").identity, records(linux, "beta").identity
    assert (alpha.node_id, beta.node_id) == (0, 1)
    assert (alpha.platform, alpha.version) == ("linux", "1.7.4")
    assert alpha.hosts == {1: "beta"} and beta.hosts == {0: "alpha"}
    assert (alpha.host, beta.host) == ("alpha", "beta")
    assert alpha.resources == ["r0"]
    assert alpha.volumes == [{"resource": "r0", "volume": 0, "minor": 2}]


def test_linux_handshake_with_peer_node_name(linux):
    [hs] = records(linux, "alpha").handshakes
    assert (hs.peer_id, hs.protocol, hs.peer_name, hs.peer_host) == (1, 121, "beta", "beta")
    assert hs.features == "0x7 TRIM THIN_RESYNC WRITE_SAME"


def test_twopc_committed_timed_out_and_aborted(linux):
    by_tid = {r.tid: r for r in linux.cluster.twopc}
    ok = by_tid[1001]
    assert (ok.initiator, ok.target, ok.participants, ok.outcome) == (
        "alpha",
        "beta",
        ["beta"],
        "committed",
    )
    assert ok.duration_ms == 1.0
    assert ok.changes == {"conn": "Connected"}
    assert (ok.mask, ok.val) == (499, 146)
    slow = by_tid[2002]
    assert (slow.initiator, slow.target, slow.outcome) == ("alpha", "all", "timed out")
    assert slow.abort_rv == -19
    assert "beta never logged the abort" in slow.problems
    refused = by_tid[3003]
    assert (refused.initiator, refused.outcome, refused.abort_rv) == ("beta", "aborted", -10)
    assert refused.participants == ["alpha"]
    [side] = refused.participant_sides()
    assert side.abort is not None and side.abort.line == 31


def test_uuid_decisions_match_and_mirror(linux):
    [pair] = linux.cluster.decision_pairs
    got = {d.node: (d.result, d.rule) for d in (pair.a, pair.b)}
    assert got == {"alpha": (2, 70), "beta": (-2, 50)}
    assert pair.mirrored
    alpha = records(linux, "alpha").decisions[0]
    assert alpha.meaning == "bitmap-based resync as SyncSource"
    assert alpha.self_uuids["current"] == "1111111111111111"
    assert alpha.peer_uuids["current"] == "2222222222222222"
    assert alpha.self_uuids["bits"] == 1024


def test_resync_merged_with_linux_done_line(linux):
    [r] = linux.cluster.resyncs
    assert (r.kind, r.source, r.target, r.kb, r.outcome) == (
        "resync",
        "alpha",
        "beta",
        4096,
        "done",
    )
    src = r.side("alpha")
    assert (src.total_s, src.paused_s, src.rate_kps) == (3, 0, 1365)
    assert src.end_reason == "Resync done"


def test_bitmap_exchange_both_directions(linux):
    [bp] = linux.cluster.bitmaps
    assert (bp.source.node, bp.target.node) == ("alpha", "beta")
    assert bp.source.sent.rle_bytes == 41 and bp.target.received.total == 41
    assert bp.target.sent.total == 41 and bp.source.received.total == 41
    assert bp.source.send_start.line == 16
    assert bp.source.done_sent.line == 19 and bp.target.done_received.line == 16


def test_command_that_never_terminates(linux):
    [cmd] = records(linux, "alpha").netlink
    assert (cmd.command, cmd.number, cmd.done) == ("PRIMARY", 14, None)


def test_state_changes_one_event_per_change(linux):
    changes = records(linux, "alpha").state_changes
    first = changes[0]
    assert (first.what, first.old, first.new, first.caller) == (
        "conn",
        "Connecting",
        "Connected",
        "connect_work",
    )
    assert [c.what for c in changes if c.ref.line == 9] == ["conn", "peer"]
    assert not any(c.failed for c in changes)


def test_timeline_carries_event_and_fields(linux):
    t = linux.timeline
    prep = t.filter((pl.col("node") == "alpha") & (pl.col("event") == "twopc_prepare")).row(
        0, named=True
    )
    assert json.loads(prep["fields"]) == {
        "tid": 1001,
        "initiator": 0,
        "target": 1,
        "mask": 499,
        "val": 146,
    }
    change = t.filter((pl.col("node") == "alpha") & (pl.col("line") == 9)).row(0, named=True)
    assert change["event"] == "state_change"
    assert json.loads(change["fields"])["changes"][1] == {
        "what": "peer",
        "old": "Unknown",
        "new": "Secondary",
    }


def test_windows_mismatched_results_are_flagged(windows):
    [pair] = windows.cluster.decision_pairs
    assert {d.node: d.result for d in (pair.a, pair.b)} == {"a": 2, "b": 0}
    assert not pair.mirrored


def test_windows_newer_variants(windows):
    a = records(windows, "a")
    assert [(c.command, c.done is not None) for c in a.netlink] == [
        ("CONNECT", True),
        ("DETACH", False),
    ]
    [hs] = a.handshakes
    assert hs.peer_name == "win-b"
    [r] = windows.cluster.resyncs
    assert (r.source, r.target, r.kb, r.outcome) == ("a", "b", 32, "done")
    assert r.side("a").total_s == 1


def test_every_kind_is_explained():
    for kind in KINDS:
        assert len(EXPLAIN[kind.name]) > 30, kind.name


@given(
    st.dictionaries(
        st.sampled_from(["tid", "rv", "command", "changes", "history1", "ms"]),
        st.one_of(
            st.none(),
            st.just(""),
            st.from_regex(r"-?[0-9]{1,25}", fullmatch=True),
            st.text(max_size=12),
            st.just("\u0661\u0662"),
        ),
        min_size=1,
    )
)
def test_fields_json_is_what_json_dumps_writes(found):
    """The columnar encoder writes what ``json.dumps`` writes of the typed fields."""
    names = sorted(found)
    frame = pl.DataFrame([found], schema={n: pl.String for n in names}).select(names)
    # Integers are ASCII digits; other scripts' digits (which ``\\d`` matches) stay text.
    typed = {
        n: int(v) if n in INT_FIELDS and re.fullmatch(r"-?[0-9]+", v) else v
        for n, v in found.items()
        if v
    }
    expected = json.dumps(typed, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    assert frame.select(_fields_json_expr(names)).item() == expected
