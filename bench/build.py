"""Build a benchmark two-node capture: about SIZE MB of BSR log per node, as 16 rotated
files in each node's directory (``bsr.log_YYYY-MM-DDTHHMMSS.mmm`` ... ``bsr.log``).

Two captures:

- ``steady``: three days of one resource, a 2PC role change every ~10 minutes and every
  tenth time a reconnect with a resync (a few hundred episodes);
- ``activity``: twenty hours of three resources, one of them dropped and re-made every
  minute (each resource every three minutes) with a handshake, UUID comparison and every
  fourth time a bitmap exchange and a resync, a role change in between (over 2,000
  episodes).

The protocol skeleton (connects with handshakes, 2PCs, UUID comparisons, bitmap exchanges,
resyncs, disconnects) comes from the test simulator ``tests/simulate.py``, so its truth is
known: node1's clock is OFFSET_S behind node0's and drifts DRIFT_PPM. The bulk is routine
lines (status polls as netlink pairs, worker notices, size checks, IRP high-water marks,
spread over the resources) generated columnar with polars at random times, then merged with
the skeleton, numbered and formatted in one pass, so building 2 x 500 MB takes under a
minute.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.simulate import NS, Sim, SimNode  # noqa: E402

START = datetime(2020, 10, 26, 8, 0, 0)
SPAN_S = {"steady": 3 * 24 * 3600, "activity": 20 * 3600}
CAPTURES = tuple(SPAN_S)
RESOURCES = {"steady": ["r0"], "activity": ["r0", "r1", "r2"]}
OFFSET_S = -0.3258
DRIFT_PPM = 2.0
ROTATED = 16
# An episode of protocol activity every EPISODE_S seconds: mostly role changes, some
# reconnects with a resync.
EPISODE_S = 600

ROUTINE = [
    # (function, category, index, object kind, message): what fills a real log between
    # protocol events. The first is a netlink command; each gets its termination line.
    (
        "NetlinkWorkThread",
        "NETLINK",
        18,
        "none",
        "BSR_ADM_GET_INITIAL_STATE:38 command has been received. Execute the command.",
    ),
    (
        "state_change_lock",
        "STATE",
        40,
        "none",
        "Worker should not initiate state changes with CS_SERIALIZE current:FFFFF800A6319BD0 "
        "resource->worker.task:FFFFE0012C513C60",
    ),
    (
        "get_max_agreeable_size",
        "VOLUME",
        98,
        "device",
        "Skip the replication volume size comparison because it is a local node id({nid})",
    ),
    (
        "mvolWorkThread",
        "THREAD",
        22,
        "none",
        "hooker[\\Device\\HarddiskVolume2]: irp processing peek({pid})",
    ),
]
NETLINK_DONE = (
    "NetlinkWorkThread",
    "NETLINK",
    20,
    "BSR_ADM_GET_INITIAL_STATE:38 command execution terminated. (pending command:0)",
)


def nodes_of(capture: str) -> list[SimNode]:
    res = RESOURCES[capture]
    return [
        SimNode("node0", 0, resources=res),
        SimNode("node1", 1, offset_s=OFFSET_S, drift_ppm=DRIFT_PPM, resources=res),
    ]


def skeleton(seed: int = 7, capture: str = "steady") -> Sim:
    if capture == "activity":
        return activity_skeleton(seed)
    sim = Sim(nodes_of(capture), START, seed=seed)
    t = 30.0
    sim.connect("node0", "node1", t, resync_kb=4096)
    i = 0
    while t < SPAN_S[capture] - 2 * EPISODE_S:
        t += EPISODE_S * sim.rng.uniform(0.5, 1.5)
        i += 1
        if i % 10 == 0:
            # a disconnect and a reconnect with a resync, node0 SyncSource
            sim.twopc(
                "node0",
                t,
                ["node1"],
                change="conn(Disconnecting) repl(-) disk(-) pdsk(-) role(-) peer(-)",
                target=1,
            )
            sim.connect("node0", "node1", t + 20, resync_kb=sim.rng.randrange(0, 2**20))
        else:
            who = "node0" if i % 2 else "node1"
            other = "node1" if who == "node0" else "node0"
            sim.twopc(who, t, [other])
    return sim


def activity_skeleton(seed: int) -> Sim:
    """Reconnects every minute, the three resources in turn: each connect (a handshake,
    a connect 2PC, the UUID comparison, every fourth time a bitmap exchange and a resync)
    is followed by a role-change 2PC and, a minute and a half later, a disconnect."""
    sim = Sim(nodes_of("activity"), START, seed=seed)
    resources = RESOURCES["activity"]
    t, k = 30.0, 0
    while t < SPAN_S["activity"] - 300:
        res = resources[k % len(resources)]
        kb = sim.rng.randrange(1024, 2**16) if k % 4 == 0 else None
        end = sim.connect("node0", "node1", t, resync_kb=kb, res=res)
        who, other = ("node0", "node1") if k % 2 else ("node1", "node0")
        sim.twopc(who, max(end, t + 1) + 20, [other], res=res)
        sim.disconnect("node0", "node1", max(end, t + 1) + 90, res=res)
        t += 60 * sim.rng.uniform(0.9, 1.1)
        k += 1
    return sim


def routine_lines(
    sim: Sim, node: str, rows: int, seed: int, capture: str = "steady"
) -> pl.DataFrame:
    """``rows`` routine lines at random true times over the span, as the skeleton's columns,
    each template once per resource."""
    objs = []
    for res in RESOURCES[capture]:
        before, sim.res = sim.res, res  # obj() names the simulator's current resource
        objs.extend(sim.obj(node, r[3]) for r in ROUTINE)
        sim.res = before
    k = len(RESOURCES[capture])
    templates = pl.DataFrame(
        {
            "func": [r[0] for r in ROUTINE] * k,
            "cat": [r[1] for r in ROUTINE] * k,
            "idx": [r[2] for r in ROUTINE] * k,
            "obj": objs,
            "msg": [r[4] for r in ROUTINE] * k,
        }
    ).with_row_index("template")
    per = len(ROUTINE)
    nid = str(sim.nodes[node].node_id)

    def draws(seed_k: int) -> pl.Expr:
        return pl.int_range(0, rows, dtype=pl.Int64).sample(
            rows, with_replacement=True, seed=seed + seed_k, shuffle=True
        )

    frame = pl.select(
        u=draws(0),
        # one line in twenty is a status poll (a netlink command); the rest are spread
        # evenly over the other templates
        template=(
            pl.when(draws(1) % 20 == 0).then(0).otherwise(1 + draws(3) % (per - 1))
            + per * (draws(4) % k)
        ).cast(pl.UInt32),
        pid=draws(2) % 9000 + 1000,
    )
    frame = frame.with_columns(
        true_ns=pl.lit(sim.origin_ns) + pl.col("u") * (SPAN_S[capture] * NS // rows)
    ).join(templates, on="template")
    # every netlink command terminates 0.1 to 1 ms later, as in the samples
    done = frame.filter(pl.col("template") % per == 0).with_columns(
        true_ns=pl.col("true_ns") + 100_000 + pl.col("pid") * 100,
        func=pl.lit(NETLINK_DONE[0]),
        cat=pl.lit(NETLINK_DONE[1]),
        idx=pl.lit(NETLINK_DONE[2], pl.Int64),
        msg=pl.lit(NETLINK_DONE[3]),
    )
    frame = pl.concat([frame, done])
    return frame.select(
        "true_ns",
        "func",
        "cat",
        "idx",
        "obj",
        msg=pl.col("msg")
        .str.replace_all("{pid}", pl.col("pid").cast(pl.String), literal=True)
        .str.replace_all("{nid}", pl.lit(nid), literal=True),
        level=pl.lit("bsr_info<6>"),
    )


def node_lines(
    sim: Sim, node: str, target_bytes: int, seed: int, capture: str = "steady"
) -> pl.DataFrame:
    proto = pl.DataFrame(
        [(ln.true_ns, ln.func, ln.cat, ln.idx, ln.obj, ln.msg, ln.level) for ln in sim.lines[node]],
        schema=["true_ns", "func", "cat", "idx", "obj", "msg", "level"],
        orient="row",
    )
    # ~190 bytes a line, and a few more rows for the netlink terminations
    rows = max(target_bytes // 200, 1)
    frame = pl.concat(
        [proto, routine_lines(sim, node, rows, seed, capture)], how="vertical_relaxed"
    ).sort("true_ns", maintain_order=True)
    n = sim.nodes[node]
    local = (
        pl.col("true_ns")
        + pl.lit(round(n.offset_s * NS))
        + ((pl.col("true_ns") - sim.origin_ns) * n.drift_ppm * 1e-6).round().cast(pl.Int64)
    )
    stamp = pl.from_epoch(local, time_unit="ns")
    return frame.select(
        local_ns=local,
        text=pl.format(
            "{} {}.{} [{}] [{}:{}] {} {}{}",
            pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(8),
            stamp.dt.strftime("%m/%d/%Y %H:%M:%S"),
            (local % NS // 100).cast(pl.String).str.zfill(7),
            "func",
            "cat",
            "idx",
            "level",
            "obj",
            "msg",
        ),
    )


def write_node(frame: pl.DataFrame, directory: Path) -> int:
    """Write ``frame`` as ROTATED files: the oldest ROTATED-1 under their rotation time."""
    directory.mkdir(parents=True, exist_ok=True)
    per = -(-frame.height // ROTATED)
    total = 0
    for k in range(ROTATED):
        part = frame.slice(k * per, per)
        if k == ROTATED - 1:
            name = "bsr.log"
        else:
            last = datetime.utcfromtimestamp(part["local_ns"][-1] / NS)
            name = f"bsr.log_{last:%Y-%m-%dT%H%M%S}.{last.microsecond // 1000:03d}"
        path = directory / name
        part.select("text").write_csv(
            path, include_header=False, quote_style="never", line_terminator="\r\n"
        )
        total += path.stat().st_size
    return total


def build(out: Path, size_mb: int, seed: int = 7, capture: str = "steady") -> dict[str, int]:
    """Write node0/ and node1/ under ``out``; returns bytes written per node."""
    sim = skeleton(seed, capture)
    sizes = {}
    for i, node in enumerate(("node0", "node1")):
        frame = node_lines(sim, node, size_mb * 2**20, seed + 10 * i, capture)
        sizes[node] = write_node(frame, out / node)
    (out / "tids.txt").write_text("".join(f"{tid} {who}\n" for tid, who in sim.tids))
    return sizes
