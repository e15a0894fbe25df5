"""End state, conformance and diagnosis (issue 25): what a support engineer reads first.

Conformance is checked on simulated episodes (BSR's own log, and DRBD 9's kernel log)
whose every step is there, then with each step removed or moved out of its place: the
missing or misplaced step must be named on its episode, and nothing else. End state and
diagnosis are checked on simulated clusters and on the real captures' lines.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from correlate.story import diagnosis as dx
from correlate.story.conformance import Deviation
from correlate.story.end_state import value

from .helpers import ROOT
from .simulate import Sim, SimNode
from .test_drbd_sim import simulate, two_nodes
from .test_findings import drop, run


def connect_resync_disconnect(sim: Sim) -> None:
    sim.up("n0", 1.0)
    sim.up("n1", 1.0)
    sim.connect("n0", "n1", 5.0, resync_kb=2048)
    sim.disconnect("n0", "n1", 200.0)


def steps(analysis) -> list[tuple[str, str, str, str]]:
    """Every deviation as (episode kind, node, step, problem)."""
    kinds = {e.number: e.kind for e in analysis.episodes}
    return sorted(
        (kinds[n], d.node, d.step, d.problem)
        for n, devs in analysis.conformance.items()
        for d in devs
    )


def later(sim: Sim, node: str, moved: str, after: str) -> None:
    """Move ``node``'s first line containing ``moved`` just after its line containing
    ``after`` (a step out of its place in the protocol's order)."""
    lines = sim.lines[node]
    a = next(ln for ln in lines if moved in ln.msg)
    b = next(ln for ln in lines if after in ln.msg)
    a.true_ns = b.true_ns + 1000


def test_a_whole_connect_and_disconnect_conform(tmp_path):
    a = run(tmp_path, connect_resync_disconnect)
    assert {e.kind for e in a.episodes} >= {"connect", "disconnect"}
    assert a.conformance == {}
    assert not [d for d in a.diagnosis if d.kind == "sequence_deviation"]


@pytest.mark.parametrize(
    ("node", "pattern", "want"),
    [
        ("n1", r"repl\( Off -> WFBitMapT \)", ("connect", "n1", "bitmap", "missing")),
        ("n1", "Handshake to peer", ("connect", "n1", "handshake", "missing")),
        ("n0", r"conn\( Disconnecting -> StandAlone \)",
         ("disconnect", "n0", "standalone", "missing")),
        ("n1", r"repl\( SyncTarget -> Established \)|Resync done",
         ("connect", "n1", "resync_end", "missing")),
        ("n0", "cluster-wide state change", ("disconnect", "n0", "twopc", "missing")),
    ],
)  # fmt: skip
def test_a_removed_step_is_named_on_its_episode(tmp_path, node, pattern, want):
    a = run(tmp_path, connect_resync_disconnect, edit=drop(node, pattern))
    assert want in steps(a)
    # only the step removed (a connect without its 2PC lines still reached Connected)
    assert {s[2] for s in steps(a)} == {want[2]}


def test_a_reordered_step_is_named(tmp_path):
    def script(sim: Sim) -> None:
        connect_resync_disconnect(sim)
        later(sim, "n1", "repl( Off -> WFBitMapT )", "repl( WFBitMapT -> SyncTarget )")

    a = run(tmp_path, script)
    assert steps(a) == [("connect", "n1", "bitmap", "order")]
    (dev,) = a.conformance[next(iter(a.conformance))]
    assert dev.text == "n1: the bitmap exchange came after the resync began"
    # fed to the diagnosis, linked to its episode
    (entry,) = [d for d in a.diagnosis if d.kind == "sequence_deviation"]
    assert entry.episode == dev.episode and entry.fields["steps"][0]["step"] == "bitmap"


def test_drbd9_connect_conforms_and_a_removed_bitmap_exchange_is_named(tmp_path):
    whole = simulate(tmp_path / "whole", two_nodes(), lambda s, t: s.connect("n0", "n1", 5.0,
                     resync_kb=4096), "rfc3339")  # fmt: skip
    assert [e.kind for e in whole.analysis.episodes if e.kind == "connect"] == ["connect"]
    assert whole.analysis.conformance == {}

    def cut(sim, truth):
        sim.connect("n0", "n1", 5.0, resync_kb=4096)
        sim.lines["n1"] = [ln for ln in sim.lines["n1"] if "WFBitMapT )" not in ln.msg]

    broken = simulate(tmp_path / "cut", two_nodes(), cut, "rfc3339")
    assert ("connect", "n1", "bitmap", "missing") in steps(broken.analysis)


def test_end_state_is_each_nodes_last_word_and_a_refused_change_changes_nothing(tmp_path):
    def script(sim: Sim) -> None:
        sim.connect("n0", "n1", 5.0)
        sim.log(
            "n0",
            50.0,
            "print_state_change",
            "STATE",
            18,
            "bsr_set_role, role( Secondary -> Primary )",
            kind="resource",
        )
        sim.log("n1", 60.0, "print_state_change", "STATE", 18,
                "Failed: role( Secondary -> Primary )", kind="resource")  # fmt: skip

    a = run(tmp_path, script)
    by = {(s.node, s.resource): s for s in a.end_state}
    assert value(by[("n0", "r0")].role) == "Primary"
    # refused: never applied; the role stays what n1's prefixes (r(Secondary)) said before
    role = by[("n1", "r0")].role
    assert value(role) == "Secondary" and "Failed" not in role.ref.message
    (peer,) = by[("n1", "r0")].peers
    assert peer.peer == "n0" and value(peer.volumes[0].replication) == "Established"
    assert value(peer.volumes[0].peer_disk) == "UpToDate"


def test_end_state_keeps_resources_apart(tmp_path):
    nodes = [SimNode("n0", 0, resources=["r0", "r1"]), SimNode("n1", 1, resources=["r0", "r1"])]

    def script(sim: Sim) -> None:
        sim.connect("n0", "n1", 5.0, res="r0")
        sim.connect("n0", "n1", 9.0, res="r1", resync_kb=1024)

    a = run(tmp_path, script, nodes=nodes)
    assert sorted((s.node, s.resource) for s in a.end_state) == [
        ("n0", "r0"), ("n0", "r1"), ("n1", "r0"), ("n1", "r1")]  # fmt: skip
    by = {(s.node, s.resource): s for s in a.end_state}
    assert value(by[("n1", "r1")].peers[0].volumes[0].peer_disk) == "UpToDate"
    assert not [d for d in a.diagnosis if d.kind == "no_uptodate_data"]


def test_at_prints_the_table_as_of_that_time(tmp_path, bsrcorr):
    capture = ROOT / "tests" / "data" / "real" / "suse-jb154sapqe"
    srcs = [str(p) for p in sorted(capture.glob("*.log"))]
    early = bsrcorr(
        *srcs, "--diagrams", "none", "--at", "2023-02-06T16:44:25.3", out=tmp_path / "a"
    )
    assert early.exit_code in (0, 1), early.stderr
    assert "Connecting" in early.stdout and "Established" not in early.stdout
    late = bsrcorr(*srcs, "--diagrams", "none", "--at", "2023-02-06T17:00", out=tmp_path / "b")
    assert "Established" in late.stdout and "0:Inconsistent" in late.stdout
    bad = bsrcorr(*srcs, "--at", "yesterday", out=tmp_path / "c")
    assert bad.exit_code == 2 and "--at" in bad.stderr


def test_summary_json_has_end_state_diagnosis_and_conformance(tmp_path, bsrcorr):
    capture = ROOT / "tests" / "data" / "real" / "suse-jb154sapqe"
    srcs = [str(p) for p in sorted(capture.glob("*.log"))]
    r = bsrcorr(*srcs, "--diagrams", "none")
    doc = json.loads((r.out / "summary.json").read_text(encoding="utf-8"))
    (first,) = [d for d in doc["diagnosis"] if d["kind"] == "no_uptodate_data"]
    assert first["resource"] == "drbd01" and first["volume"] == 0
    assert first["nodes"] == ["jb154sapqe01", "jb154sapqe02"]
    assert all({"node", "file", "line"} <= set(e) for e in first["evidence"])
    states = {(s["node"], s["resource"]): s for s in doc["end_state"]}
    assert states[("jb154sapqe01", "drbd01")]["volumes"] == [{"volume": 0, "disk": "Inconsistent"}]
    assert all("conformance" in e for e in doc["episodes"])
    # the terminal summary opens with it, in at most 8 lines
    opening = r.stdout.split("\n\n")[1].splitlines()
    assert opening[0] == "what happened:" and len(opening) <= 9
    assert "no node holds UpToDate data of volume 0" in opening[1]
    html = (r.out / "report.html").read_text(encoding="utf-8")
    assert html.index("id=what-happened") < html.index("id=findings")
    assert "id=end-state" in html


def test_because_points_to_earlier_entries():
    a = dx.Diagnosis("detached", "r0", ["n0"], 5, dx.Msg("a"))
    b = dx.Diagnosis("no_uptodate_data", "r0", ["n0"], 9, dx.Msg("b"), causes=[a])
    c = dx.Diagnosis("split_brain", "r1", ["n0"], 1, dx.Msg("c"))
    out = dx.ordered([b, c, a])
    assert [d.kind for d in out] == ["detached", "no_uptodate_data", "split_brain"]
    assert out[1].because == [0] and out[0].because == [] and out[2].because == []
    assert all(j < i for i, d in enumerate(out) for j in d.because)


def test_readme_table_of_diagnosis_kinds_is_the_registry():
    """README's table of diagnosis kinds is made from diagnosis.KINDS (python -m
    correlate.story.diagnosis prints it)."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert dx.readme_table() in readme
    for name in ("no_uptodate_data", "split_brain", "twopc_blocked", "twopc_timeout",
                 "state_change_failed", "never_connected", "unrelated_data",
                 "resync_unfinished", "detached"):  # fmt: skip
        assert name in dx.KINDS


def test_deviation_text_is_english_in_json():
    d = Deviation(1, "n0", "bitmap", "missing", dx.Msg("{node}: x", node="n0"))
    assert d.text == "n0: x"


def promote_while_connected(sim: Sim) -> None:
    """n0 promoted by a 2PC while connected to n1, which logs the peer's new role."""
    sim.up("n0", 1.0)
    sim.up("n1", 1.0)
    sim.connect("n0", "n1", 5.0)
    # The simulator's connect commits conn(Connected) by its 2PC; the driver's own state
    # line, which conformance reads for "connected", is written here.
    for node, peer in (("n0", "n1"), ("n1", "n0")):
        sim.log(node, 8.0, "print_state_change", "STATE", 18,
                "change_cstate, conn( Connecting -> Connected )", kind="connection",
                peer=peer)  # fmt: skip
    sim.twopc("n0", 50.0, ["n1"])
    sim.log("n0", 50.2, "print_state_change", "STATE", 18,
            "change_role, role( Secondary -> Primary )", kind="resource")  # fmt: skip
    sim.log("n1", 50.3, "print_state_change", "STATE", 18,
            "change_role, peer( Secondary -> Primary )", kind="connection", peer="n0")  # fmt: skip
    # Both logs run on past the change: a peer's silence is judged only where its log
    # covers the time the peer would have written its view.
    sim.disconnect("n0", "n1", 200.0)


def role_steps(a) -> set[tuple[str, str, str, str]]:
    return {s for s in steps(a) if s[0] == "role change"}


def test_a_role_change_conforms_with_its_2pc_and_the_peers_view(tmp_path):
    a = run(tmp_path, promote_while_connected)
    assert "role change" in {e.kind for e in a.episodes}
    assert role_steps(a) == set()


@pytest.mark.parametrize(
    ("node", "pattern", "want"),
    [
        ("n1", r"peer\( Secondary -> Primary \)", ("role change", "n1", "peer_view", "missing")),
        ("n0", "cluster-wide state change|TWOPC:", ("role change", "n0", "twopc", "missing")),
    ],
)  # fmt: skip
def test_a_role_change_without_its_2pc_or_the_peers_view_is_named(tmp_path, node, pattern, want):
    a = run(tmp_path, promote_while_connected, edit=drop(node, pattern))
    assert want in role_steps(a)


def test_prefix_states_keep_their_lines_time():
    """WDRBD's excerpt has no state-change line: its end state comes from the prefixes'
    r(...)/ds(...), each tied to its line with that line's own time (in ns)."""
    from correlate.errors import Notices
    from correlate.pipeline import Options, analyse

    log = ROOT / "tests" / "data" / "real" / "wdrbd10-attach-ioerror" / "wdrbd.log"
    a = analyse([str(log)], Options(diagrams="none"), Notices())
    (ev,) = a.events
    assert {(p.what, p.new) for p in ev.prefix_states} == {
        ("role", "Secondary"),
        ("disk", "Attaching"),
    }
    ns = a.timeline["local_time"].cast(pl.Datetime("ns")).cast(pl.Int64).to_list()
    times = dict(zip(a.timeline["row"].to_list(), ns, strict=True))
    for p in ev.prefix_states:
        assert p.ref.local_ns == times[p.ref.row]


def test_a_disk_its_own_command_took_away_is_information(tmp_path) -> None:
    """The samples: node0's `bsradm down` takes its disk Diskless, which the operator
    asked for; a detach without a command would stay a warning."""
    from correlate.errors import Notices
    from correlate.pipeline import Options, analyse

    a = analyse(
        [str(ROOT / "samples/node0"), str(ROOT / "samples/node1")],
        Options(out=tmp_path, diagrams="none"),
        Notices(),
    )
    (d,) = [d for d in a.diagnosis if d.kind == "detached"]
    assert (d.severity, d.fields["cause"]) == ("info", "the DOWN command")
    bare = dx.Diagnosis("detached", "r0", ["n0"], 5, dx.Msg("a"))
    assert bare.severity == "warning"


def test_io_left_suspended_is_diagnosed_and_a_resumed_one_is_not(tmp_path) -> None:
    """LINBIT/drbd#27: nodeC's I/O is suspended (``susp-io( no -> no-disk)``, printed
    without its closing blank) and no line resumes it; a resumed suspension says nothing."""
    from correlate.errors import Notices
    from correlate.pipeline import Options, analyse

    log = ROOT / "tests/data/real/drbd27-pingack-two-peers/nodeC.log"
    a = analyse([f"nodeC={log}"], Options(out=tmp_path / "a", diagrams="none"), Notices())
    (d,) = [d for d in a.diagnosis if d.kind == "io_suspended"]
    assert (d.resource, d.nodes, d.fields["reason"]) == ("u12215", ["nodeC"], "no-disk")
    assert [r.line for r in d.evidence] == [17]
    resumed = tmp_path / "n.log"
    resumed.write_text(
        "Feb 18 14:18:26 nodeC kernel: drbd u1: susp-io( no -> quorum )\n"
        "Feb 18 14:18:29 nodeC kernel: drbd u1: susp-io( quorum -> no )\n",
        encoding="utf-8",
    )
    b = analyse([f"nodeC={resumed}"], Options(out=tmp_path / "b", diagrams="none"), Notices())
    assert not [d for d in b.diagnosis if d.kind == "io_suspended"]
