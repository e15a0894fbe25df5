"""Status polls (``BSR_ADM_GET_*``): paired over whole columns, counted rather than listed,
and a poll that never terminated still becomes a finding."""

from __future__ import annotations

import json

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from correlate.errors import Notices
from correlate.pipeline import Options, analyse

from .helpers import entry, write_log

THREADS = {"A": "[0xFFFFE0012A6BD880] ", "B": "[0xFFFFE0012B2FC880] ", "C": "[0xFFFFE0012C000000] "}


def netlink(seq: int, thread: str, command: str, received: bool) -> str:
    second, frac = divmod(seq, 10)
    time = f"16:38:{second:02d}.{frac:07d}"
    if received:
        text, idx = f"BSR_ADM_{command}:38 command has been received. Execute the command.", 18
    else:
        text, idx = f"BSR_ADM_{command}:38 command execution terminated. (pending command:0)", 20
    return entry(
        seq, time, text, func="NetlinkWorkThread", cat="NETLINK", idx=idx, obj=THREADS[thread]
    )


def run(tmp_path, steps: list[tuple[str, str, bool]]):
    lines = [netlink(i + 1, *step) for i, step in enumerate(steps)]
    log = write_log(tmp_path / "node0.log", lines)
    return analyse([str(log)], Options(out=tmp_path / "out", diagrams="none"), Notices())


def pairs_found(analysis) -> dict[int, int | None]:
    """received line -> terminated line (None: never terminated), as bsrcorr paired them."""
    ev = analysis.events[0]
    found = dict(zip(ev.polls["received_line"], ev.polls["done_line"], strict=True))
    for c in ev.netlink:
        found[c.received.line] = c.done.line if c.done else None
    return found


def pairs_expected(steps: list[tuple[str, str, bool]]) -> dict[int, int | None]:
    """The rule, stated plainly: a termination closes the oldest open receipt of its command
    on its own thread, else the oldest open one on the thread that first had one open."""
    queues: dict[tuple[str, str], list[int]] = {}
    out: dict[int, int | None] = {}
    for line, (thread, command, received) in enumerate(steps, start=1):
        if received:
            queues.setdefault((thread, command), []).append(line)
            out[line] = None
            continue
        queue = queues.get((thread, command)) or next(
            (q for (_, c), q in queues.items() if c == command and q), None
        )
        if queue:
            out[queue.pop(0)] = line
    return out


def test_polls_paired_per_thread_and_counted(tmp_path):
    steps = [
        ("A", "GET_INITIAL_STATE", True),
        ("B", "GET_INITIAL_STATE", True),
        ("B", "GET_INITIAL_STATE", False),
        ("A", "GET_INITIAL_STATE", False),
        ("A", "NEW_RESOURCE", True),
        ("A", "NEW_RESOURCE", False),
        ("C", "GET_RESOURCES", True),
        ("A", "GET_INITIAL_STATE", True),
        ("A", "GET_INITIAL_STATE", False),
    ]
    a = run(tmp_path, steps)
    ev = a.events[0]
    assert pairs_found(a) == {1: 4, 2: 3, 5: 6, 7: None, 8: 9}
    assert ev.polls["command"].to_list() == ["GET_INITIAL_STATE"] * 3
    # Listed commands: what an operator typed, and the status query that hung.
    assert [(c.command, c.done is not None) for c in ev.netlink] == [
        ("NEW_RESOURCE", True),
        ("GET_RESOURCES", False),
    ]
    (hung,) = [f for f in a.findings if f.kind == "netlink_unterminated"]
    assert "BSR_ADM_GET_RESOURCES:38" in hung.message and hung.lines[0].line == 7
    # Every poll line still carries its event and fields in the timeline.
    t = a.timeline.filter(pl.col("line") == 3).row(0, named=True)
    assert t["event"] == "netlink_done"
    assert json.loads(t["fields"]) == {
        "command": "BSR_ADM_GET_INITIAL_STATE",
        "number": 38,
        "pending": 0,
    }


def test_termination_on_another_thread_is_still_paired(tmp_path):
    steps = [
        ("A", "GET_DEVICES", True),
        ("B", "GET_DEVICES", False),
        ("A", "GET_INITIAL_STATE", True),
        ("A", "GET_INITIAL_STATE", False),
    ]
    a = run(tmp_path, steps)
    assert pairs_found(a) == {1: 2, 3: 4}
    assert a.events[0].polls["command"].to_list() == ["GET_DEVICES", "GET_INITIAL_STATE"]
    assert a.events[0].netlink == []


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["A", "B", "C"]),
            st.sampled_from(["GET_INITIAL_STATE", "GET_DEVICES"]),
            st.booleans(),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_columnar_pairing_follows_the_rule(tmp_path, steps):
    assert pairs_found(run(tmp_path, steps)) == pairs_expected(steps)
