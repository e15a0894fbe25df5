"""DRBD records as the field writes them, on real captures and hand-made lines: DRBD 8.4
per minor, refused state changes, decoded codes, split-brain outcomes."""

from __future__ import annotations

import json
from pathlib import Path

from correlate.events import codes

REAL = Path(__file__).parent / "data" / "real"


def summary_of(bsrcorr, *args) -> dict:
    run = bsrcorr(*args, "--diagrams", "none")
    assert run.exit_code in (0, 1), run.stderr
    return json.loads((run.out / "summary.json").read_text(encoding="utf-8"))


def test_drbd84_three_minors_resync_as_three_sessions(bsrcorr):
    """Walter's drbd-dev mail: minors 131-133 of one resource resync at once; each ends
    with its own Resync done (not two left running, no '? -> ?' record)."""
    path = REAL / "drbd-dev-2019-11-walter-barrierack-84" / "primary.dmesg"
    s = summary_of(bsrcorr, f"primary={path}")
    got = sorted(
        (r["resource"], r["source"], r["target"], r["outcome"], r["kb"]) for r in s["resyncs"]
    )
    assert got == [("fastexport", "primary", "peer", "done", kb) for kb in (31456, 33104, 65132)]
    assert not [f for f in s["findings"] if f["kind"] == "resync_unfinished"]
    # 8.4's own numbers, with the decision's name, not 9.0's 2 in their place
    decisions = {
        (d["result"], d["result_name"], d["rule"], d["dialect"]) for d in s["uuid_decisions"]
    }
    assert decisions == {(1, "source-use-bitmap", 70, "8.4")}


def test_a_refused_change_is_a_finding_and_changes_nothing(bsrcorr):
    path = REAL / "linstor221-turn9-state-change-failed" / "dmesg.log"
    s = summary_of(bsrcorr, path)
    [fc] = s["failed_state_changes"]
    assert fc["reason"] == "State change was refused by peer node"
    tried = [(t["what"], t["old"], t["new"]) for t in fc["tried"]]
    assert tried == [
        ("quorum", "yes", "no"),
        ("pdsk", "Diskless", "DUnknown"),
        ("repl", "Established", "Off"),
    ]
    [f] = [f for f in s["findings"] if f["kind"] == "state_change_failed"]
    assert "refused by peer node" in f["message"] and "repl( Established -> Off )" in f["message"]


def test_unrelated_data_is_explained_as_unrelated(bsrcorr):
    path = REAL / "trinity668-unrelated-data-84" / "dmesg.log"
    s = summary_of(bsrcorr, path)
    [d] = s["uuid_decisions"]
    assert (d["result"], d["rule"], d["result_name"]) == (-1000, 100, "unrelated-data")
    assert "unrelated" in d["rule_reason"] and "both histories" not in d["rule_reason"]


def test_split_brain_outcomes(bsrcorr):
    hail = summary_of(bsrcorr, REAL / "single" / "drbddev-hail-drbd84.log")
    [sb] = hail["split_brains"]
    assert (sb["resolved"], sb["sync_from"], sb["discarded"], sb["primaries"]) == (
        True, "this node", "peer", 1,
    )  # fmt: skip
    hp7 = summary_of(bsrcorr, REAL / "ganeti846-hp7-splitbrain-unresolved-84" / "hp7.log")
    [sb] = hp7["split_brains"]
    assert (sb["resolved"], sb["discarded"]) == (False, None)
    [f] = [f for f in hp7["findings"] if f["kind"] == "split_brain"]
    assert "not resolved: no node's changes were chosen" in f["message"]


def test_rv_and_mask_val_decoded():
    assert codes.rv_name(-23) == ("SS_TIMEOUT", codes.RV[-23][1])
    assert codes.rv_name(-30, "BSR")[0] == "SS_BARRIER_ACK_PENDING_TIMEOUT"
    assert codes.rv_name(-30, "DRBD") is None  # DRBD's -30 is not BSR's
    assert codes.requested(499, 146) == {"role": "Secondary", "conn": "Connected"}
    assert codes.requested(8176, 3088) == {"conn": "Disconnecting", "disk": "Outdated"}
    assert codes.requested(7680, 1024) == {"disk": "Detaching"}
    assert codes.requested(3, 1) == {"role": "Primary"}


def test_a_drbd90_prepare_names_the_change_it_asked_for(bsrcorr):
    d = REAL / "linstor213-kube-node"
    s = summary_of(bsrcorr, d / "kube-node-6.log", d / "kube-node-2.log")
    [rec] = [r for r in s["twopc"] if r["tid"] == 838443789]
    assert rec["changes"] == {"conn": "Disconnecting", "disk": "Outdated"}
    assert (rec["mask"], rec["val"]) == (8176, 3088)


def test_a_timed_out_twopc_says_what_rv_23_is(bsrcorr):
    d = REAL / "drbd-dev-2020-12-labriola-mixed-9.0"
    s = summary_of(bsrcorr, f"gimli={d / 'gimli.log'}", f"legolas={d / 'legolas.log'}")
    rec = next(r for r in s["twopc"] if r["tid"] == 3732554560)
    assert (rec["outcome"], rec["abort_rv"], rec["abort_rv_name"]) == (
        "timed out",
        -23,
        "SS_TIMEOUT",
    )
    found = [f for f in s["findings"] if f["kind"] == "twopc_timed_out"]
    assert found and "SS_TIMEOUT" in found[0]["message"]
