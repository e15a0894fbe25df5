"""Findings: each kind is produced by a small log made for it, and absent from a clean one.

Most logs come from the simulator (true clocks known), some edited line by line after
rendering to break one thing: a lost line, a missing commit, a cut resync.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from correlate.errors import Notices
from correlate.pipeline import Analysis, Options, analyse
from correlate.story.findings import KINDS

from .helpers import DATA, entry
from .simulate import Sim, SimNode

START = datetime(2020, 10, 26, 16, 0, 0)
Edit = Callable[[str, list[str]], list[str]]


def clean(sim: Sim) -> None:
    sim.routine("n0", 1, 600, 30)
    sim.routine("n1", 1, 600, 30)
    sim.connect("n0", "n1", 5.0, resync_kb=2048)
    sim.twopc("n0", 100.0, ["n1"])
    sim.twopc("n1", 200.0, ["n0"])


def run(
    tmp_path: Path,
    script: Callable[[Sim], None] = clean,
    nodes: list[SimNode] | None = None,
    edit: Edit | None = None,
) -> Analysis:
    sim = Sim(nodes or [SimNode("n0", 0), SimNode("n1", 1, offset_s=-0.32586)], START)
    script(sim)
    tmp_path.mkdir(parents=True, exist_ok=True)
    specs = []
    for name in sim.nodes:
        lines = sim.render(name)
        if edit:
            lines = edit(name, lines)
        path = tmp_path / f"{name}.log"
        path.write_text("".join(ln + "\r\n" for ln in lines), encoding="utf-8")
        specs.append(f"{name}={path}")
    return analyse(specs, Options(out=tmp_path / "out", diagrams="none"), Notices())


def kinds(analysis: Analysis) -> set[str]:
    return {f.kind for f in analysis.findings}


def of(analysis: Analysis, kind: str):
    return [f for f in analysis.findings if f.kind == kind]


def drop(node: str, pattern: str, *, count: int = 0) -> Edit:
    """Remove the lines of ``node`` matching ``pattern`` (the first ``count``, or all)."""

    def edit(name: str, lines: list[str]) -> list[str]:
        if name != node:
            return lines
        out, dropped = [], 0
        for ln in lines:
            if re.search(pattern, ln) and (count == 0 or dropped < count):
                dropped += 1
                continue
            out.append(ln)
        assert dropped, f"nothing matched {pattern!r}"
        return out

    return edit


def test_clean_capture_has_no_findings(tmp_path):
    analysis = run(tmp_path)
    assert analysis.findings == []


def test_unterminated_command_timed_out_and_aborted_twopc(tmp_path):
    a = analyse(
        [str(DATA / "events" / "linux_alpha.log"), str(DATA / "events" / "linux_beta.log")],
        Options(out=tmp_path / "out", diagrams="none"),
        Notices(),
    )
    (cmd,) = of(a, "netlink_unterminated")
    assert cmd.node == "linux_alpha" and "BSR_ADM_PRIMARY:14" in cmd.message
    assert cmd.severity == "warning" and cmd.lines[0].line > 0
    (timeout,) = of(a, "twopc_timed_out")
    assert "2002" in timeout.message and timeout.severity == "error"
    (abort,) = of(a, "twopc_aborted")
    assert "3003" in abort.message and "rv -10" in abort.message
    # Most severe first.
    assert a.findings[0].severity == "error"


def test_uuid_decisions_that_do_not_mirror(tmp_path):
    a = analyse(
        [str(DATA / "events" / "win_a.log"), str(DATA / "events" / "win_b.log")],
        Options(out=tmp_path / "out", diagrams="none"),
        Notices(),
    )
    (f,) = of(a, "uuid_not_mirrored")
    assert "uuid_compare(2) rule 70" in f.message and "uuid_compare(0) rule 40" in f.message
    assert {r.node for r in f.lines} == {"win_a", "win_b"}


def test_twopc_never_committed_on_the_remote_side(tmp_path):
    a = run(tmp_path, edit=drop("n1", r"\[TWOPC:27\]", count=1))
    (f,) = of(a, "twopc_not_committed_remotely")
    assert f.node == "n1"


def test_twopc_with_neither_commit_nor_abort(tmp_path):
    tids: list[int] = []

    def script(sim: Sim) -> None:
        clean(sim)
        tids.append(sim.twopc("n0", 300.0, ["n1"]))

    def edit(name: str, lines: list[str]) -> list[str]:
        return [
            ln for ln in lines if not (str(tids[0]) in ln and re.search(r"\[TWOPC:(39|27)\]", ln))
        ]

    a = run(tmp_path, script, edit=edit)
    (f,) = of(a, "twopc_incomplete")
    assert str(tids[0]) in f.message


def test_rejected_twopc_and_split_brain(tmp_path):
    def edit(name: str, lines: list[str]) -> list[str]:
        if name != "n1":
            return lines
        seq, t = int(lines[-1][:8]), lines[-1][20:36]
        return [
            *lines,
            entry(seq + 1, t, "Rejecting concurrent remote state change 77 because of "
                  "state change 88", func="process_twopc", cat="TWOPC", idx=21),
            entry(seq + 2, t, "split-brain detected but unresolved, dropping connection",
                  func="bsr_sync_handshake", cat="CONNECTION", idx=8),
        ]  # fmt: skip

    a = run(tmp_path, edit=edit)
    assert [f.node for f in of(a, "twopc_rejected")] == ["n1"]
    assert [f.node for f in of(a, "split_brain")] == ["n1"]


def test_resync_unfinished_and_broken(tmp_path):
    # Cut at the resync's end on both nodes: still running when the logs end.
    def cut(name: str, lines: list[str]) -> list[str]:
        return [ln for ln in lines if "Resync done" not in ln and "bsr_resync_finished" not in ln]

    a = run(tmp_path, edit=cut)
    (f,) = of(a, "resync_unfinished")
    assert "n0 -> n1" in f.message and "2048 KB" in f.message

    # The resync ends in a lost connection instead.
    def broken(name: str, lines: list[str]) -> list[str]:
        out = []
        for ln in lines:
            if "bsr_resync_finished, repl(" in ln:
                ln = re.sub(r"repl\( (\w+) -> Established \)", r"repl( \1 -> Off )", ln)
            if "Resync done" not in ln:
                out.append(ln)
        return out

    a = run(tmp_path / "b", edit=broken)
    assert len(of(a, "resync_broken")) == 1


def test_connection_flapping(tmp_path):
    def script(sim: Sim) -> None:
        for t in (5.0, 65.0, 125.0, 185.0):
            sim.connect("n0", "n1", t)

    a = run(tmp_path, script)
    flaps = of(a, "connection_flapping")
    assert {f.node for f in flaps} == {"n0", "n1"}
    assert all("4 connects" in f.message for f in flaps)


def test_lost_lines(tmp_path):
    a = run(tmp_path, edit=drop("n0", r"\[VOLUME:98\]", count=3))
    (f,) = of(a, "lost_lines")
    assert f.node == "n0" and "3 log line(s) lost" in f.message and f.lines


def test_driver_reload(tmp_path):
    nodes = [SimNode("n0", 0), SimNode("n1", 1, offset_s=0.2, reboots=[300.0])]
    a = run(tmp_path, nodes=nodes)
    (f,) = of(a, "driver_reload")
    assert f.node == "n1"


def test_clock_step(tmp_path):
    def script(sim: Sim) -> None:
        busy = [float(t) for t in range(30, 1800, 60)]
        sim.connect("n0", "n1", 5.0)
        for k, t in enumerate(busy):
            sim.twopc("n0" if k % 2 else "n1", t, ["n1" if k % 2 else "n0"])

    nodes = [SimNode("n0", 0), SimNode("n1", 1, offset_s=0.3, steps=[(900.0, 2.5)])]
    a = run(tmp_path, script, nodes=nodes)
    (f,) = of(a, "clock_step")
    size = re.search(r"stepped by ([-+.\d]+) s", f.message)
    assert f.node == "n1" and size and abs(float(size.group(1)) - 2.5) < 0.01


def test_timezone_and_large_offset(tmp_path):
    a = run(tmp_path, nodes=[SimNode("n0", 0), SimNode("n1", 1, offset_s=9 * 3600 + 0.3)])
    (tz,) = of(a, "timezone")
    assert "+09:00" in tz.message and tz.severity == "info"
    b = run(tmp_path / "b", nodes=[SimNode("n0", 0), SimNode("n1", 1, offset_s=42.0)])
    (big,) = of(b, "large_offset")
    assert "+42.0" in big.message


def test_unaligned_node(tmp_path):
    def script(sim: Sim) -> None:
        sim.routine("n0", 1, 300, 30)
        sim.routine("n1", 1, 300, 30)

    a = run(tmp_path, script)
    assert [f.node for f in of(a, "unaligned")] == ["n1"]


def test_inconsistent_evidence(tmp_path):
    # One participant's prepare line, mid-capture, moved 5 s earlier: it would precede
    # its own send, while the pairs before and after it agree with each other.
    def edit(name: str, lines: list[str]) -> list[str]:
        if name != "n1":
            return lines
        out, seen = [], 0
        for ln in lines:
            if "[TWOPC:24]" in ln:
                seen += 1
                if seen == 6:
                    ln = ln[:20] + _earlier(ln[20:36], 5) + ln[36:]
            out.append(ln)
        return out

    def script(sim: Sim) -> None:
        sim.connect("n0", "n1", 5.0)
        for k, t in enumerate(range(60, 1800, 60)):
            sim.twopc("n0" if k % 2 else "n1", float(t), ["n1" if k % 2 else "n0"])

    a = run(tmp_path, script, edit=edit)
    (f,) = of(a, "inconsistent_evidence")
    assert f.node == "n1" and f.severity == "error" and "twopc_prepare" in f.message
    assert not of(a, "clock_step")


def _earlier(hms: str, seconds: int) -> str:
    h, m, s = hms.split(":")
    total = int(h) * 3600 + int(m) * 60 + float(s) - seconds
    hh, rem = divmod(total, 3600)
    mm, ss = divmod(rem, 60)
    return f"{int(hh):02d}:{int(mm):02d}:{ss:010.7f}"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_is_documented(kind):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert f"`{kind}`" in readme, f"finding kind {kind} is not in README"


def test_repeated_findings_become_one_with_a_count(tmp_path):
    """Ten bursts of reconnects: one connection_flapping finding a node, with the count,
    the first and last time, every burst's message and every line."""

    def script(sim: Sim) -> None:
        for burst in range(10):
            for k in range(3):
                sim.connect("n0", "n1", 5.0 + burst * 900 + k * 60)

    a = run(tmp_path, script)
    flaps = of(a, "connection_flapping")
    assert sorted(f.node for f in flaps) == ["n0", "n1"]
    for f in flaps:
        assert f.count == 10 and len(f.occurrences) == 10
        assert "10 bursts between" in f.message
        assert len(f.lines) == 30  # every connect of every burst
        assert f.time_ns < f.last_ns
        assert [t for t, _ in f.occurrences] == sorted(t for t, _ in f.occurrences)


def test_readme_table_of_kinds_is_the_registry():
    """README's table of finding kinds is made from findings.KINDS (python -m
    correlate.story.findings prints it): one definition, one table."""
    from correlate.story.findings import readme_table

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert readme_table() in readme
