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
"""

from __future__ import annotations

from .model import Cluster, Pair, Ref

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


def collect(cluster: Cluster) -> list[Pair]:
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
