"""The real samples (samples/README.md has the story and its ground truth): what a
support engineer would check first, end to end through the CLI."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from .helpers import SAMPLES
from .test_diagrams import svg_texts

TRUE_OFFSET_S = -0.325860  # node1's clock minus node0's, as the samples were written
SEED_INTERVAL = (-0.3267288, -0.3249936)  # what the seed's own lines allow


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    from click.testing import CliRunner

    from correlate.cli import main

    out = tmp_path_factory.mktemp("samples") / "out"
    result = CliRunner().invoke(
        main, [str(SAMPLES / "node0"), str(SAMPLES / "node1"), "--csv", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out


def load(bundle: Path, name: str) -> dict:
    return json.loads((bundle / name).read_text(encoding="utf-8"))


def test_every_line_is_a_row(bundle):
    al = load(bundle, "alignment.json")
    for node in ("node0", "node1"):
        n = al["nodes"][node]
        assert n["unparsed"] == 0 and n["lost"] == 0 and n["epochs"] == 1
        assert n["entries"] == n["lines"]
    assert al["nodes"]["node0"]["lines"] == 510
    csv_rows = sum(1 for _ in (bundle / "timeline.csv").open()) - 1
    assert csv_rows == al["nodes"]["node0"]["lines"] + al["nodes"]["node1"]["lines"]


def test_identity(bundle):
    al = load(bundle, "alignment.json")
    assert al["nodes"]["node0"]["node_id"] == 0 and al["nodes"]["node1"]["node_id"] == 1
    assert al["nodes"]["node0"]["platform"] == "windows"
    assert al["nodes"]["node0"]["version"].startswith("1.6")


def test_node1_offset_from_the_evidence(bundle):
    al = load(bundle, "alignment.json")
    s = al["summary"]["node1"]
    assert s["aligned"] and not s["manual"] and s["basis"] == "2pc/bitmap"
    assert s["lower_s"] <= TRUE_OFFSET_S <= s["upper_s"]
    assert s["upper_s"] - s["lower_s"] < 0.005  # a few milliseconds
    assert SEED_INTERVAL[0] - 1e-6 <= s["offset_s"] <= SEED_INTERVAL[1] + 1e-6
    assert abs(s["offset_s"] - TRUE_OFFSET_S) < 0.001
    assert s["evidence"] >= 8 and s["timezone"] is None
    assert al["causal"]["violations_after"] == 0 and al["conflicts"] == []


def test_resync_roles(bundle):
    summary = load(bundle, "summary.json")
    resyncs = [r for r in summary["resyncs"] if r["kind"] == "resync"]
    assert len(resyncs) == 1
    (r,) = resyncs
    assert (r["source"], r["target"], r["kb"], r["outcome"]) == ("node0", "node1", 0, "done")
    roles = {s["node"]: s["role"] for s in r["sides"]}
    assert roles == {"node0": "SyncSource", "node1": "SyncTarget"}


def test_uuid_decisions_mirror(bundle):
    decisions = load(bundle, "summary.json")["uuid_decisions"]
    reconnect = {(d["node"], d["result"], d["rule"]) for d in decisions if d["result"] != 0}
    assert reconnect == {("node0", 2, 70), ("node1", -2, 50)}
    matched = [d for d in decisions if d["result"] in (2, -2)]
    assert all(d["mirrored"] for d in matched)
    assert {d["matched_with"] for d in matched} == {"node0", "node1"}


def test_every_twopc_on_both_nodes(bundle):
    twopc = load(bundle, "summary.json")["twopc"]
    tids = {t["tid"] for t in twopc}
    assert {177619259, 3319182627, 1805107054} <= tids
    for t in twopc:
        assert t["initiator"] == "node0", t["tid"]
        assert t["participants"] == ["node1"], t["tid"]
        assert t["outcome"] == "committed" and t["problems"] == [], t["tid"]
        assert {ln["node"] for ln in t["lines"]} == {"node0", "node1"}


def test_up_is_six_terminated_commands(bundle):
    summary = load(bundle, "summary.json")
    (up,) = [lm for lm in summary["landmarks"] if lm["kind"] == "up" and lm["node"] == "node0"]
    cmds = [c for c in summary["netlink"] if c["node"] == "node0" and up["time"] <= c["received"]]
    first_six = [c["command"] for c in cmds[:6]]
    assert first_six == ["NEW_RESOURCE", "NEW_MINOR", "NEW_PEER", "NEW_PATH", "ATTACH", "CONNECT"]
    assert not any(c["open"] for c in cmds[:6])


def test_clean_story_has_no_error_findings(bundle):
    findings = load(bundle, "summary.json")["findings"]
    assert [f for f in findings if f["severity"] == "error"] == []


def test_episodes(bundle):
    episodes = load(bundle, "summary.json")["episodes"]
    kinds = [e["kind"] for e in episodes]
    for kind in ("driver start", "up", "connect", "disconnect", "role change", "down"):
        assert kind in kinds, kind
    connects = [e for e in episodes if e["kind"] == "connect"]
    assert len(connects) == 2
    assert connects[1]["detail"]["resync"]["source"] == "node0"


def test_reconnect_diagram_tells_the_story_in_order(bundle):
    episodes = load(bundle, "summary.json")["episodes"]
    reconnect = [e for e in episodes if e["kind"] == "connect"][1]
    path = bundle / reconnect["diagram"]
    ET.fromstring(path.read_text(encoding="utf-8"))  # valid XML
    texts = svg_texts(path)

    def first(pred) -> int:
        return next(i for i, t in enumerate(texts) if pred(t))

    handshake = first(lambda t: t.startswith("feature handshake"))
    prepare = first(lambda t: t.startswith("2PC prepare"))
    commit = first(lambda t: t.startswith("2PC commit"))
    rule70 = first(lambda t: t.startswith("uuid_compare(2) by rule 70"))
    rule50 = first(lambda t: t.startswith("uuid_compare(-2) by rule 50"))
    to_target = first(lambda t: t.startswith("bitmap (source → target)"))
    to_source = first(lambda t: t.startswith("bitmap (target → source)"))
    source = first(lambda t: t.endswith("→ SyncSource"))
    target = first(lambda t: t.endswith("→ SyncTarget"))
    done = max(i for i, t in enumerate(texts) if t.startswith("resync done"))
    assert handshake < prepare < commit < min(rule70, rule50)
    # Each node sends its bitmap only after its own decision; in the seed node0 decides
    # and sends before node1 has decided, so the two decisions need not both precede
    # the first bitmap.
    assert rule70 < to_target and rule50 < to_source
    assert min(to_target, to_source) < min(source, target) and max(source, target) < done


def test_status_polls_are_counted_not_listed(bundle):
    summary = load(bundle, "summary.json")
    polls = {(p["node"], p["command"]): p["count"] for p in summary["netlink_polls"]}
    assert polls == {("node0", "GET_INITIAL_STATE"): 89, ("node1", "GET_INITIAL_STATE"): 38}
    assert not [c for c in summary["netlink"] if c["command"].startswith("GET_")]
    # every command an operator typed is still there, one record each
    assert len([c for c in summary["netlink"] if c["node"] == "node0"]) == 10
