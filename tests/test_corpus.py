"""Every hand-read fact of every public capture in ``tests/data/real/`` (facts.json,
schema 2) holds in what bsrcorr states (:mod:`tests.corpus`).

A capture whose facts bsrcorr does not yet reach is a strict xfail naming why: when it
starts to hold, the mark must go.
"""

from __future__ import annotations

import pytest

from .corpus import captures, check

# capture -> why some of its facts do not hold yet
KNOWN: dict[str, str] = {
    "drbd-dev-2019-11-walter-barrierack-84": (
        "issue 23: DRBD 8.4's uuid_compare lines and its per-minor resyncs of one resource"
    ),
    "drbd115-ipport-peer-syncsource": "issue 23: resyncs of a peer named by IP:port",
    "drbdreactor1-colo-srv-3-ru-locale": "issue 23: a journal with Russian month names",
    "forum-2011-04-toshko3-node1-drbd83-splitbrain": "issue 23: DRBD 8.3's uuid_compare line",
    "linstor131-px2-kernlog-grep": "issue 23: lines prefixed by grep (kern.log:...)",
    "piraeus-operator-671-k8s-m0-declined-by-peer": "issue 23: dmesg -T with German weekdays",
    "piraeus579-talos-ozt-z3h-dmesg": "issue 23: talosctl dmesg lines",
    "wdrbd10-attach-ioerror": "issue 23: WDRBD, BSR's predecessor",
    "windrbd10-syslog-forwarded-attach": "issue 23: WinDRBD lines in a Linux syslog",
    # Silent, not false: no 2PC id, UUID set or bitmap exchange that both nodes logged
    # ties the two nodes' clocks, so bsrcorr leaves the node on its own clock; the facts
    # bound it by connection-state reasoning bsrcorr does not do.
    "linstor-server-190-k8s-node2-node3": "no shared exchange: k8s-node3 stays unaligned",
    "linstor-server-268-hf-kubevirt-3node": "no shared exchange: hf-kubevirt-03 stays unaligned",
}


@pytest.mark.parametrize(
    "folder",
    [
        pytest.param(f, marks=pytest.mark.xfail(strict=True, reason=KNOWN[f.name]))
        if f.name in KNOWN
        else f
        for f in captures()
    ],
    ids=lambda f: f.name,
)
def test_every_fact_holds(folder, tmp_path):
    failed = [str(x) for x in check(folder, tmp_path / "out") if not x.held]
    assert failed == [], "\n".join(failed)


def test_the_corpus_has_captures_of_several_nodes():
    """At least the multi-node captures found so far (README: the corpus)."""
    import json

    several = [
        f
        for f in captures()
        if len(json.loads((f / "facts.json").read_text(encoding="utf-8"))["nodes"]) > 1
    ]
    assert len(several) >= 8
