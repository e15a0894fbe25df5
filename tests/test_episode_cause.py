"""Episodes hold what started them (issue 25): an episode's start is the earliest line, on
any node, of the 2PCs and the command that caused it, and its diagram draws every message
of those 2PCs. Checked on real captures whose state change was aligned just after the
2PC's prepare."""

from __future__ import annotations

from pathlib import Path

import pytest

from correlate.errors import Notices
from correlate.pipeline import Options, analyse
from correlate.story.content import MessageBeat, beats_of

REAL = Path(__file__).parent / "data" / "real"


def _run(tmp_path: Path, capture: str, *names: str):
    specs = [f"{n}={REAL / capture / f'{n}.log'}" for n in names]
    return analyse(specs, Options(out=tmp_path, diagrams="none"), Notices())


@pytest.mark.parametrize(
    ("capture", "names", "kind", "tid"),
    [
        # LINSTOR: kube-node-6's prepare is 0.3 ms before its conn( Connected -> Disconnecting )
        ("linstor213-kube-node", ("kube-node-6", "kube-node-2"), "disconnect", 838443789),
        ("suse-jb154sapqe", ("jb154sapqe01", "jb154sapqe02"), "connect", 639728590),
    ],
)
def test_episode_begins_with_its_2pc_and_draws_its_messages(tmp_path, capture, names, kind, tid):
    a = _run(tmp_path, capture, *names)
    (epi,) = [e for e in a.episodes if e.kind == kind]
    assert tid in epi.detail["twopc"]
    rec = a.cluster.record(tid, epi.resource)
    times = [a.clock.at(r) for r in rec.refs()]
    assert epi.start_ns <= min(times) and max(times) <= epi.end_ns
    # the prepare is the first line of a disconnect (no command was logged)
    if kind == "disconnect":
        assert epi.start_ns == min(times)
    drawn = {b.pair.kind for b in beats_of(a, epi) if isinstance(b, MessageBeat)}
    assert {"twopc_prepare", "twopc_reply", "twopc_commit"} <= drawn


def _disconnect_only(sim, truth=None) -> None:
    # The logs begin inside the connection (no handshake, no connect): only the 2PC
    # whose commit the conn( Connected -> Disconnecting ) applied ties it to its episode.
    sim.disconnect("n0", "n1", 5.0, command=None)


def _check_disconnect(a) -> None:
    (epi,) = [e for e in a.episodes if e.kind == "disconnect"]
    (tid,) = epi.detail["twopc"]
    rec = a.cluster.record(tid, epi.resource)
    prepare = a.clock.at(rec.initiator_side.prepare)
    assert epi.start_ns == min(a.clock.at(r) for r in rec.refs()) == prepare
    drawn = {b.pair.kind for b in beats_of(a, epi) if isinstance(b, MessageBeat)}
    assert {"twopc_prepare", "twopc_commit"} <= drawn


def test_simulated_bsr_disconnect_begins_with_its_2pc(tmp_path):
    from .simulate import Sim, SimNode
    from .test_drbd_sim import START

    sim = Sim([SimNode("n0", 0), SimNode("n1", 1, offset_s=0.3)], START)
    _disconnect_only(sim)
    paths = sim.write(tmp_path / "logs")
    a = analyse(
        [f"{k}={v}" for k, v in paths.items()],
        Options(out=tmp_path / "o", diagrams="none"),
        Notices(),
    )
    _check_disconnect(a)


def test_simulated_drbd_disconnect_begins_with_its_2pc(tmp_path):
    from .test_drbd_sim import simulate, two_nodes

    run = simulate(tmp_path, two_nodes(), _disconnect_only, "syslog")
    _check_disconnect(run.analysis)


@pytest.mark.parametrize(
    "capture", ["pastebin-2016-02-26-drbd9-5node", "linstor-server-268-hf-kubevirt-3node"]
)
def test_every_present_node_of_an_episodes_2pcs_has_a_lifeline(tmp_path, capture):
    """Both captures hold a connect of one node whose 2PC another node logged too
    (drbd9-01, hf-kubevirt-01) that the connection does not name: every node with its own
    side of an episode's 2PCs is one of its nodes, so the 2PC's messages are drawn."""
    logs = sorted((REAL / capture).glob("*.log"))
    a = analyse([str(p) for p in logs], Options(out=tmp_path, diagrams="none"), Notices())
    added = 0
    for epi in a.episodes:
        for tid in epi.detail.get("twopc") or []:
            rec = a.cluster.record(tid, epi.resource)
            present = list(dict.fromkeys(x.node for x in rec.sides))  # their own sides
            assert set(present) <= set(epi.nodes), (epi.number, tid)
            added += sum(1 for n in present if n not in str(epi.title))
            kinds = {b.pair.kind for b in beats_of(a, epi) if isinstance(b, MessageBeat)}
            if len(present) > 1:
                assert {"twopc_prepare", "twopc_reply"} <= kinds, (epi.number, tid)
    assert added >= 1  # a node the episode's title does not name got its lifeline
