"""Every DRBD/BSR protocol line of the real captures becomes its event (issue 23).

A *protocol line* is one of the message families the correlator's stories are made of:
2PC (cluster-wide / remote state changes), handshakes, UUID comparison and strategy,
bitmap exchange, resync start/end and online verify, split brain, and object state
changes (``conn( A -> B )``, ``role(``, ``disk(``, ``pdsk(``, ``repl(``, ``peer(``,
``susp(``). Such a line left without an event (``routine``: no event, or ``unparsed``)
is listed by the test, so a reader or catalog gap shows up by name.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from .corpus import run

REAL = Path(__file__).parent / "data" / "real"
CAPTURES = sorted(d.name for d in REAL.iterdir() if (d / "facts.json").exists())

FAMILIES = {
    "2pc": r"cluster-wide state change|(?:Preparing|Committing|Aborting) remote state change",
    "handshake": r"Handshake successful|Handshake to peer|Agreed network protocol version",
    "uuid": r"uuid_compare\(\)=|strategy = ",
    "bitmap": r"(?:receive|send) bitmap stats",
    "resync": r"Resync done|Began resync|Online verify done",
    "split-brain": r"Split-Brain detected",
    "state": r"\b(?:conn|role|disk|pdsk|repl|peer|susp|peer-disk|replication)\( ?\S+ -> \S+ ?\)",
}
PROTOCOL = "|".join(f"(?:{p})" for p in FAMILIES.values())
# The number of protocol lines in tests/data/real/ (README, "DRBD kernel logs").
COUNTED = 261


def _protocol(a) -> pl.DataFrame:
    return a.timeline.filter(pl.col("message").cast(pl.String).str.contains(PROTOCOL))


def _left(a) -> list[str]:
    event = pl.col("event").cast(pl.String).fill_null("")
    left = _protocol(a).filter(event.is_in(["", "unparsed"]))
    return [f"{f}:{ln}: {m}" for f, ln, m in left.select("file", "line", "message").iter_rows()]


@pytest.mark.parametrize("capture", CAPTURES)
def test_every_protocol_line_is_an_event(capture: str, tmp_path: Path) -> None:
    a, _err = run(REAL / capture, tmp_path / "out")
    if a is None:
        pytest.skip("the capture does not run (its facts say why)")
    left = _left(a)
    assert left == [], "\n".join(left)


def test_families_match_their_samples() -> None:
    """The families find the lines they are named for (else the test above is empty)."""
    samples = [
        "Preparing cluster-wide state change 352557914 (2->-1 3/1)",
        "Handshake to peer 1 successful: Agreed network protocol version 117",
        "uuid_compare()=no-sync by rule=both-off",
        "receive bitmap stats [Bytes(packets)]: plain 0(0), RLE 40(1), total 40",
        "Resync done (total 1 sec; paused 0 sec; 4 K/sec)",
        "Split-Brain detected but unresolved, dropping connection!",
        "conn( Connected -> NetworkFailure ) peer( Secondary -> Unknown )",
    ]
    assert all(re.search(PROTOCOL, s) for s in samples)
    assert not re.search(PROTOCOL, "Starting worker thread (from drbdsetup [25362])")


def test_protocol_line_count_is_the_readmes(tmp_path: Path) -> None:
    total = 0
    for capture in CAPTURES:
        a, _err = run(REAL / capture, tmp_path / capture)
        total += _protocol(a).height if a is not None else 0
    assert total == COUNTED
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    assert f"{COUNTED} protocol lines, none left" in readme
