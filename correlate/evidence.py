"""Stage 3a, evidence: the causal facts across nodes that bound their clock offsets.

Each :class:`Pair` says "``send`` happened before ``recv``" (``strict``) or "these two
lines were logged at nearly the same moment" (``weak``). From
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

from dataclasses import dataclass

from .events import Ref
from .protocol import Cluster

# Both nodes log a handshake (or a UUID handshake) after the peer's packet arrived;
# the packets cross as the connection opens. One second covers a congested LAN and a
# busy receiver with room to spare, yet finds a time-zone difference or a lost hour.
WEAK_WIDTH_S = 1.0


@dataclass
class Pair:
    kind: str
    send: Ref
    recv: Ref
    strict: bool = True
    tid: int | None = None

    @property
    def delta_s(self) -> float | None:
        """``t_recv - t_send`` on the two nodes' own clocks."""
        if self.send.local_ns is None or self.recv.local_ns is None:
            return None
        return (self.recv.local_ns - self.send.local_ns) / 1e9


def _later(*refs: Ref | None) -> Ref | None:
    present = [r for r in refs if r is not None and r.local_ns is not None]
    return max(present, key=lambda r: (r.local_ns, r.row)) if present else None


def _earlier(*refs: Ref | None) -> Ref | None:
    present = [r for r in refs if r is not None and r.local_ns is not None]
    return min(present, key=lambda r: (r.local_ns, r.row)) if present else None


def collect(cluster: Cluster) -> list[Pair]:
    pairs: list[Pair] = []
    for rec in cluster.twopc:
        init = rec.initiator_side
        if init is None:
            continue
        for part in rec.participant_sides():
            # The initiator logs 34 then 35 and only then sends; the participant logs 24
            # on arrival, then 28, and replies after both.
            sent = _later(init.prepare, init.detail)
            got = _earlier(part.prepare, part.detail)
            if sent and got:
                pairs.append(Pair("twopc_prepare", sent, got, tid=rec.tid))
            replied = _later(part.prepare, part.detail)
            if replied and init.reply and init.reply.local_ns is not None:
                pairs.append(Pair("twopc_reply", replied, init.reply, tid=rec.tid))
            if init.commit and part.commit:
                pairs.append(Pair("twopc_commit", init.commit, part.commit, tid=rec.tid))
            if init.abort and part.abort:
                pairs.append(Pair("twopc_abort", init.abort, part.abort, tid=rec.tid))
    for bp in cluster.bitmaps:
        src, tgt = bp.source, bp.target
        if src.send_start and tgt.received:
            pairs.append(Pair("bitmap_send", src.send_start, tgt.received.ref))
        if tgt.received and src.received:
            pairs.append(Pair("bitmap_reply", tgt.received.ref, src.received.ref))
        if src.done_sent and tgt.done_received:
            pairs.append(Pair("bitmap_done", src.done_sent, tgt.done_received))
    for cp in cluster.connects:
        pairs.append(Pair("handshake", cp.a.ref, cp.b.ref, strict=False))
    for dp in cluster.decision_pairs:
        pairs.append(Pair("uuid", dp.a.start, dp.b.start, strict=False))
    return [p for p in pairs if p.delta_s is not None and p.send.node != p.recv.node]
