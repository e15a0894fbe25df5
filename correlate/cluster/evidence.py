"""Stage 3a, evidence: the causal facts across nodes that bound their clock offsets.

Each :class:`~correlate.model.Pair` says "``send`` happened before ``recv``" (strict) or
"these two lines were logged at nearly the same moment" (weak). A pair is evidence only
when both lines are provably the same exchange: the same 2PC id in the same resource, or
lines inside one connection whose two sides the protocol stage proved the same (a shared
2PC id or a UUID handshake whose sets mirror). Nothing is paired by time. From
``docs/bsr-log-format.md`` §4 and the BSR source:

=====================  ==========================================  =========================
kind                   before                                      after
=====================  ==========================================  =========================
``twopc_prepare``      initiator TWOPC:34/35 (logged before send)  participant TWOPC:24
``twopc_reply``        participant TWOPC:24/28 (before its reply)  initiator TWOPC:36
``twopc_commit``       initiator TWOPC:39 (or abort :40)           participant TWOPC:27 (:26)
``bitmap_send``        source RESYNC/OV:33 ``send_bitmap``         target ``receive bitmap``
``bitmap_reply``       target ``receive bitmap stats``             source ``receive bitmap``
``bitmap_done``        source BITMAP:52                            target BITMAP:44
``handshake`` (weak)   PROTOCOL:55 on one node                     PROTOCOL:55 on the other
``uuid`` (weak)        RESYNC/OV:73 on one node                    RESYNC/OV:73 on the other
=====================  ==========================================  =========================

For the pair's two nodes (R receives, S sends) a strict pair bounds R's offset relative
to S: ``o_R - o_S < t_recv - t_send``. A weak pair puts ``o_R - o_S`` within
:data:`WEAK_WIDTH_S` of ``t_R - t_S``.

A line is evidence only if its own node does not contradict its stamp
(:class:`LateStamp`): a 2PC's commit or abort line says how long the change took
(``(30272ms)``), which places its prepare on the initiator's own clock; a prepare stamped
later than that allows, beyond both stamps' resolution, was written out late (printk
holds a line without its end until the next message). Likewise a line stamped later than
the next line of its own node, beyond both lines' resolution, when the lines before and
after it agree with each other: the node's own order (its counter,
its ring buffer, its syslog daemon's FIFO) is the truth about its sequence. Such lines are
said (a ``late_stamp`` finding) and their pairs left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from correlate.model import Cluster, Pair, Ref

# DRBD's (N ms) counts jiffies from the start of the change: a few ms either way.
DURATION_SLACK_NS = 10_000_000


@dataclass(frozen=True)
class LateStamp:
    """A line whose stamp its own node contradicts, and the line that shows it."""

    ref: Ref
    because: Ref
    kind: str  # "duration": a 2PC's (N ms); "order": the node's own line order
    latest_ns: int  # the latest local time its node allows for it (its stamp is later)
    ms: int | None = None
    tid: int | None = None


@dataclass(frozen=True)
class Evidence:
    """The causal pairs, and the lines left out of them because their stamps lie."""

    pairs: list[Pair]
    late: list[LateStamp]


@dataclass(frozen=True)
class NodeTimes:
    """A node's local times by row (nulls filled from the row before), their
    resolutions and where each row is: what the order rule reads of a line's
    neighbours."""

    name: str
    local_ns: np.ndarray
    res_ns: np.ndarray
    lines: pl.DataFrame  # file, line, seq by row

    @classmethod
    def of(cls, name: str, frame: pl.DataFrame) -> NodeTimes:
        cols = frame.select(
            pl.col("local_time").cast(pl.Int64).forward_fill().backward_fill().fill_null(0),
            pl.col("time_res_ns").fill_null(0),
        )
        return cls(
            name,
            cols["local_time"].to_numpy(),
            cols["time_res_ns"].to_numpy(),
            # the frame's own columns (no copy): only a late line's neighbour is read
            frame.select("file", "line", "seq"),
        )

    def ref(self, row: int) -> Ref:
        file, line, seq = self.lines.row(row)
        file = str(file)
        return Ref(self.name, row, file, line, seq, int(self.local_ns[row]), "",
                   int(self.res_ns[row]))  # fmt: skip


# Both nodes log a handshake (or a UUID handshake) after the peer's packet arrived;
# the packets cross as the connection opens. One second covers a congested LAN and a
# busy receiver with room to spare, yet finds a time-zone difference or a lost hour.
WEAK_WIDTH_S = 1.0


def _later(*refs: Ref | None) -> Ref | None:
    present = [r for r in refs if r is not None and r.local_ns is not None]
    return max(present, key=lambda r: (r.local_ns, r.row)) if present else None


def _earlier(*refs: Ref | None) -> Ref | None:
    present = [r for r in refs if r is not None and r.local_ns is not None]
    return min(present, key=lambda r: (r.local_ns, r.row)) if present else None


def _size(ex) -> str:
    """What the exchange's sender logged of its bitmap, for the diagrams."""
    stat = ex.sent
    if stat is None:
        return ""
    return f"RLE {stat.rle_bytes} B/{stat.rle_packets} pkt, plain {stat.plain_bytes} B"


def late_stamps(
    cluster: Cluster, times: dict[str, NodeTimes], pairs: list[Pair]
) -> list[LateStamp]:
    """The lines of would-be ``pairs`` whose own node contradicts their stamp."""
    out: list[LateStamp] = []
    seen: set[Ref] = set()
    for rec in cluster.twopc:
        init = rec.initiator_side
        if init is None or init.logged_ms is None:
            continue
        end = init.commit or init.abort
        if end is None or end.local_ns is None:
            continue
        # The prepare was logged (N ms) before the end: at the latest the end's latest
        # moment minus N ms; a stamp whose earliest moment is after that is late.
        latest = end.local_ns + end.res_ns - init.logged_ms * 1_000_000 + DURATION_SLACK_NS
        for ref in (init.prepare, init.detail):
            if ref is None or ref.local_ns is None or ref in seen:
                continue
            if ref.local_ns - ref.res_ns > latest:
                out.append(LateStamp(ref, end, "duration", latest, init.logged_ms, rec.tid))
                seen.add(ref)
    for ref in (r for p in pairs for r in (p.send, p.recv)):
        if ref in seen or ref.local_ns is None or ref.node not in times:
            continue
        late = _out_of_order(ref, times[ref.node])
        if late is not None:
            out.append(late)
            seen.add(ref)
    return out


def _out_of_order(ref: Ref, nt: NodeTimes) -> LateStamp | None:
    """A line stamped after its next line by more than both stamps' resolutions, while
    the lines before and after it are in order: its own stamp is the odd one."""
    i, n = ref.row, len(nt.local_ns)
    if not 0 < i < n - 1:
        return None
    prev_t, t, next_t = (int(x) for x in nt.local_ns[i - 1 : i + 2])
    prev_r, r, next_r = (int(x) for x in nt.res_ns[i - 1 : i + 2])
    neighbours_agree = prev_t - prev_r <= next_t + next_r
    if not neighbours_agree:
        return None
    if t - r > next_t + next_r:
        return LateStamp(ref, nt.ref(i + 1), "order", next_t + next_r)
    return None


def gather(cluster: Cluster, times: dict[str, NodeTimes] | None = None) -> Evidence:
    """Every causal pair across nodes whose two lines' stamps their own nodes allow."""
    every = _pairs(cluster)
    late = late_stamps(cluster, times or {}, every)
    bad = {x.ref for x in late}
    return Evidence([p for p in every if p.send not in bad and p.recv not in bad], late)


def _pairs(cluster: Cluster) -> list[Pair]:
    pairs: list[Pair] = []
    for rec in cluster.twopc:
        init = rec.initiator_side
        if init is None:
            continue
        res = rec.resource
        for part in rec.participant_sides():
            # The initiator logs 34 then 35 and only then sends; the participant logs 24
            # on arrival, then 28, and replies after both.
            sent = _later(init.prepare, init.detail)
            got = _earlier(part.prepare, part.detail)
            if sent and got:
                pairs.append(Pair("twopc_prepare", sent, got, tid=rec.tid, resource=res))
            # The replies are in when the initiator logs TWOPC:36 (BSR) or, before it
            # commits, "State change T: primary_nodes=..." (BSR TWOPC:37, DRBD 9).
            replied = _later(part.prepare, part.detail)
            heard = _earlier(init.reply, init.settled)
            if replied and heard:
                pairs.append(Pair("twopc_reply", replied, heard, tid=rec.tid, resource=res))
            if init.commit and part.commit:
                pairs.append(
                    Pair("twopc_commit", init.commit, part.commit, tid=rec.tid, resource=res)
                )
            if init.abort and part.abort:
                pairs.append(Pair("twopc_abort", init.abort, part.abort, tid=rec.tid, resource=res))
            # A commit or abort that arrived after the participant was done with T (its
            # own timeout): DRBD logs it as ignored, on receipt all the same.
            for packet, ref in part.ignored:
                sent = init.commit if packet == "P_TWOPC_COMMIT" else init.abort
                if sent is not None:
                    kind = "twopc_commit" if packet == "P_TWOPC_COMMIT" else "twopc_abort"
                    pairs.append(Pair(kind, sent, ref, tid=rec.tid, resource=res))
    for bp in cluster.bitmaps:
        src, tgt, res = bp.source, bp.target, bp.source.resource
        if src.send_start and tgt.received:
            pairs.append(
                Pair(
                    "bitmap_send", src.send_start, tgt.received.ref, resource=res, label=_size(src)
                )
            )
        if tgt.received and src.received:
            pairs.append(
                Pair(
                    "bitmap_reply",
                    tgt.received.ref,
                    src.received.ref,
                    resource=res,
                    label=_size(tgt),
                )
            )
        if src.done_sent and tgt.done_received:
            pairs.append(Pair("bitmap_done", src.done_sent, tgt.done_received, resource=res))
    for c in cluster.connects:
        if c.b is not None and c.a.handshake is not None and c.b.handshake is not None:
            pairs.append(
                Pair("handshake", c.a.handshake.ref, c.b.handshake.ref, False, resource=c.resource)
            )
    for dp in cluster.decision_pairs:
        pairs.append(Pair("uuid", dp.a.start, dp.b.start, False, resource=dp.resource))
    return [p for p in pairs if p.delta_s is not None and p.send.node != p.recv.node]
