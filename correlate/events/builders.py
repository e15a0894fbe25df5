"""Stage 2c, builders: one node's protocol lines, walked once in its own order, become records.

The walk sees only the lines the classification matched (a few thousand in a day of
log), in counter order, and feeds each to the handler its kind names in :data:`HANDLERS`
(an explicit table: a kind without a handler is an event in the timeline and nothing
more). Every record is keyed by its identity: the resource, the volume, and the peer (a
node id on Windows, a host name on Linux, mapped to the id its handshake names).
Nothing one resource logs can open, end or break another resource's record.

Records (:mod:`correlate.model`): state changes (one per ``what( A -> B )``), 2PC sides,
handshakes, UUID decisions, bitmap exchanges, resync and verify sessions, landmarks,
connection losses, and connections (:class:`~correlate.model.ConnectSide`: what one
connection to one peer in one resource carried). Netlink commands arrive already paired
(:mod:`correlate.events.netlink`); here they get the resources they touched and the ``up`` and
``down`` sequences they form.

Times are the node's own clock (integer ns); matching nodes to one another is
:mod:`correlate.cluster.protocol`'s job.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from typing import Any

from correlate.events.classify import CHANGE
from correlate.events.netlink import is_poll
from correlate.model import (
    BitmapExchange,
    BitmapStat,
    ConnectionLoss,
    ConnectSide,
    FailedChange,
    Handshake,
    Landmark,
    NetlinkCommand,
    NodeIdentity,
    Ref,
    ResyncSide,
    SplitBrain,
    StateChange,
    TwopcSide,
    UuidDecision,
)
from correlate.vocab import ResyncOutcome

UP_COMMANDS = ("NEW_RESOURCE", "NEW_MINOR", "NEW_PEER", "NEW_PATH", "ATTACH", "CONNECT")
SYNC_STATES = {"SyncSource", "SyncTarget", "PausedSyncS", "PausedSyncT"}
VERIFY_STATES = {"VerifyS", "VerifyT"}
# Replication states. DRBD 8.4 writes them inside conn( ) (a single connection state),
# DRBD 9 and BSR in repl( ): a conn( ) change into or out of one is a replication change.
REPL_STATES = SYNC_STATES | VERIFY_STATES | {
    "WFBitMapS", "WFBitMapT", "WFSyncUUID", "StartingSyncS", "StartingSyncT",
}  # fmt: skip
# A connection leaving Connected for one of these is going down.
LOSS_CONN_STATES = {
    "NetworkFailure",
    "BrokenPipe",
    "Timeout",
    "ProtocolError",
    "TearDown",
    "Disconnecting",
    "Unconnected",
    "StandAlone",
    "Connecting",
}
# "Split-Brain detected, 1 primaries, automatically solved. Sync from this node" (DRBD 8.4
# and 9), "... but unresolved, dropping connection!" / "..., dropping connection!".
_SB_SOLVED = re.compile(
    r"(?:(?P<primaries>\d+) primaries, )?automatically solved\. Sync from (?P<sync_from>this "
    r"node|peer node)",
    re.I,
)
_SB_UNRESOLVED = re.compile(r"unresolved|dropping connection", re.I)
_TWOPC_CHANGE = re.compile(r"(\w[\w-]*)\(([^)]*)\)")
# How many rows after a 2PC's commit its state changes may come (a BSR commit is followed
# by its TWOPC:28 detail line and the changes of each volume and connection).
COMMIT_REACH = 12
# Lines whose resource tells which resource a running command worked on.
ATTRIBUTING = {"state_change", "twopc_prepare", "attached", "detaching"}

Key = tuple[Any, ...]


# What DRBD 8.4's single, unnamed peer of a resource is called (summary.json, texts).
PEER_84 = "peer"


def peer_key(peer: int | None, host: str | None) -> int | str | None:
    """The peer as a dict key: its node id when known, else its host name."""
    return peer if peer is not None else host


class Walk:
    """One node's records, built by feeding its protocol lines in counter order."""

    def __init__(
        self,
        node: str,
        identity: NodeIdentity,
        host_ids: dict[tuple[str | None, str], int],
    ) -> None:
        self.node = node
        self.identity = identity
        self.host_ids = host_ids
        self.state_changes: list[StateChange] = []
        self.failed_changes: list[FailedChange] = []
        self.split_brains: list[SplitBrain] = []
        self._last_failed: dict[str | None, FailedChange] = {}
        self.twopc: dict[int, list[TwopcSide]] = {}
        self.handshakes: list[Handshake] = []
        self.decisions: list[UuidDecision] = []
        self.bitmaps: list[BitmapExchange] = []
        self.resyncs: list[ResyncSide] = []
        self.landmarks: list[Landmark] = []
        self.losses: list[ConnectionLoss] = []
        self.connects: list[ConnectSide] = []
        # Rows and resources of the lines that say which resource a command touched.
        self.touched: list[tuple[int, str]] = []
        self._sides: dict[tuple[int, str], TwopcSide] = {}
        self._last_twopc: dict[str | None, TwopcSide] = {}
        self._last_initiated: dict[str | None, TwopcSide] = {}
        self._blocks: dict[Key, UuidDecision] = {}
        self._last_decision: dict[Key, UuidDecision] = {}
        self._exchanges: dict[Key, BitmapExchange] = {}
        self._sessions: dict[Key, ResyncSide] = {}
        self._last_handshake: dict[Key, Handshake] = {}
        self._open: dict[Key, ConnectSide] = {}
        self._ended_unknown: dict[Key, ResyncSide] = {}
        # The resource's last 2PC committed here, and the row it committed at.
        self._committed: dict[str | None, tuple[int, int]] = {}
        self._lock: Landmark | None = None

    # -- identity of a line ------------------------------------------------------------
    def peer(self, r: dict) -> tuple[int | None, str | None]:
        host = r["peer_host"]
        if r["peer_id"] is not None:
            return r["peer_id"], host
        if host is None and self.identity.dialect == "8.4" and r["resource"] is not None:
            # DRBD 8.4 has one connection a resource and names its peer nowhere: every
            # line of the resource about a peer is about that one, called "peer".
            return None, PEER_84
        if host is not None:
            # Node ids are per resource (LINSTOR gives a host other ids elsewhere): a
            # handshake in another resource says nothing of this one.
            return self.host_ids.get((r["resource"], host)), host
        return None, None

    @staticmethod
    def vol(r: dict) -> int | tuple[str, int] | None:
        """The line's volume, or, for DRBD 8.4's device lines (``block drbd131:``, no
        volume number), its minor: one resource's minors are separate devices, whose
        UUIDs, bitmaps and resyncs run side by side."""
        if r["volume"] is not None or r.get("minor") is None:
            return r["volume"]
        return ("minor", r["minor"])

    def key(self, r: dict, peer: int | None, host: str | None) -> Key:
        return (r["resource"], self.vol(r), peer_key(peer, host))

    def feed(self, r: dict) -> None:
        handler = HANDLERS.get(r["kind"])
        if handler is not None:
            handler(self, r, r["fields"], _ref(self.node, r))
        if r["kind"] in ATTRIBUTING and r["resource"] is not None:
            self.touched.append((r["row"], r["resource"]))

    # -- connections ---------------------------------------------------------------------
    def connect(
        self, resource: str | None, peer: int | None, host: str | None, ref: Ref
    ) -> ConnectSide:
        """The open connection to this peer in this resource; a line that shows one
        open when none is known (the log began inside it) opens it there."""
        key = (resource, peer_key(peer, host))
        side = self._open.get(key)
        if side is None:
            side = ConnectSide(self.node, resource, peer, host, ref)
            self._open[key] = side
            self.connects.append(side)
        return side

    def close(self, resource: str | None, peer: int | None, host: str | None, ref: Ref) -> None:
        side = self._open.pop((resource, peer_key(peer, host)), None)
        if side is not None:
            side.end, side.last_row = ref, ref.row

    def _connection_down(self, r: dict, ref: Ref, why: str) -> None:
        peer, host = self.peer(r)
        pk = peer_key(peer, host)
        for key in [k for k in self._sessions if k[0] == r["resource"] and k[2] == pk]:
            self._end_session(key, ref, ResyncOutcome.BROKEN, why)
        self.close(r["resource"], peer, host, ref)

    # -- state -----------------------------------------------------------------------
    def on_state_change(self, r: dict, f: dict, ref: Ref) -> None:
        peer, host = self.peer(r)
        committed = self._committed.get(r["resource"])
        # A commit's changes follow it at once (BSR and DRBD log them right after the
        # commit line): those lines carry that 2PC's id.
        tid = committed[0] if committed and ref.row - committed[1] <= COMMIT_REACH else None
        for what, old, new in CHANGE.findall(r["message"]):
            change = StateChange(
                ref,
                r["object"],
                r["resource"],
                r["volume"],
                peer,
                host,
                f.get("caller") or "",
                bool(f.get("failed")),
                what,
                old,
                new,
                tid,
                r.get("minor"),
            )
            self.state_changes.append(change)
            if change.failed:
                self._tried(r, change, ref)
                continue
            if what == "repl" or (what == "conn" and REPL_STATES & {old, new}):
                self._repl_change(r, change, ref)
            if what == "conn" and old == "Connected" and new in LOSS_CONN_STATES:
                self.losses.append(
                    ConnectionLoss(ref, r["resource"], peer, host, f"conn( {old} -> {new} )")
                )
                self._connection_down(r, ref, f"conn( {old} -> {new} )")

    def on_state_change_failed(self, r: dict, f: dict, ref: Ref) -> None:
        fc = FailedChange(ref, r["resource"], r["volume"], f.get("reason"), f.get("rv"))
        self.failed_changes.append(fc)
        self._last_failed[r["resource"]] = fc

    def _tried(self, r: dict, change: StateChange, ref: Ref) -> None:
        """A ``Failed:`` line belongs to the refusal just before it (DRBD prints the
        attempted changes right after "State change failed"); without one, it is a
        refusal of its own (BSR writes only the ``Failed:`` lines)."""
        fc = self._last_failed.get(r["resource"])
        last = fc.tried[-1].ref.row if fc is not None and fc.tried else None
        near = fc is not None and ref.row - (last if last is not None else fc.ref.row) <= 3
        if fc is None or not near:
            fc = FailedChange(ref, r["resource"], r["volume"])
            self.failed_changes.append(fc)
            self._last_failed[r["resource"]] = fc
        fc.tried.append(change)

    def _repl_change(self, r: dict, change: StateChange, ref: Ref) -> None:
        key = self.key(r, change.peer, change.peer_host)
        if change.new in ("WFBitMapS", "WFBitMapT"):
            ex = BitmapExchange(
                self.node,
                r["resource"],
                r["volume"],
                change.peer,
                change.peer_host,
                role="source" if change.new.endswith("S") else "target",
                start=ref,
            )
            self._exchanges[key] = ex
            self.bitmaps.append(ex)
            self.connect(r["resource"], change.peer, change.peer_host, ref).bitmaps.append(ex)
        session = self._sessions.get(key)
        ended = self._ended_unknown.pop(key, None)
        if ended is not None and session is None and change.old in SYNC_STATES | VERIFY_STATES:
            # "Resync done" came first and its start is before the log: the state change
            # that follows it says which end this node was.
            ended.role = _role(change.old)
            return
        if change.new in SYNC_STATES | VERIFY_STATES and session is None:
            kind = "verify" if change.new in VERIFY_STATES else "resync"
            self._start_session(r, ref, kind, _role(change.new), None, None)
        elif session is not None and change.old in SYNC_STATES | VERIFY_STATES:
            if change.new in SYNC_STATES | VERIFY_STATES:
                return  # pause or resume
            outcome = ResyncOutcome.DONE if change.new == "Established" else ResyncOutcome.BROKEN
            self._end_session(key, ref, outcome, f"repl( {change.old} -> {change.new} )")

    # -- two-phase commit -----------------------------------------------------------------
    def _side(self, tid: int, role: str, r: dict) -> TwopcSide:
        side = self._sides.get((tid, role))
        if side is None:
            side = TwopcSide(self.node, tid, role, r["resource"])
            self._sides[(tid, role)] = side
            self.twopc.setdefault(tid, []).append(side)
        elif side.resource is None:
            side.resource = r["resource"]
        self._last_twopc[side.resource] = side
        if role == "initiator":
            self._last_initiated[side.resource] = side
        return side

    def _to_connects(self, side: TwopcSide) -> None:
        """An initiator's transaction travels on every open connection of its resource
        towards its target (all of them for ``-1``)."""
        for (resource, _), conn in self._open.items():
            if resource != side.resource or side.tid in conn.tids:
                continue
            if side.target_id in (None, -1) or conn.peer in (None, side.target_id):
                conn.tids.append(side.tid)

    def on_twopc_prepare(self, r: dict, f: dict, ref: Ref) -> None:
        side = self._side(f["tid"], "initiator", r)
        side.prepare = ref
        side.initiator_id, side.target_id = f.get("initiator"), f.get("target")
        side.mask, side.val = f.get("mask"), f.get("val")
        if f.get("max_size_kb") is not None:
            side.changes["size_kb"] = str(f["max_size_kb"])
        side.changes.update(_twopc_changes(f.get("changes")))
        self._to_connects(side)

    def on_twopc_detail(self, r: dict, f: dict, ref: Ref) -> None:
        side = self._side(f["tid"], "initiator", r)
        side.detail = ref
        side.target_id = f.get("target", side.target_id)
        side.changes.update(_twopc_changes(f.get("changes")))
        self._to_connects(side)

    def on_twopc_reply(self, r: dict, f: dict, ref: Ref) -> None:
        side = self._side(f["tid"], "initiator", r)
        side.reply, side.reply_rv = ref, f.get("rv")

    def on_twopc_nodes(self, r: dict, f: dict, ref: Ref) -> None:
        side = self._side(f["tid"], "initiator", r)
        side.primary_nodes, side.weak_nodes = f.get("primary_nodes"), f.get("weak_nodes")
        side.settled = ref

    def on_twopc_split(self, r: dict, f: dict, ref: Ref) -> None:
        side = self._last_initiated.get(r["resource"])
        if side is not None and not side.finished:
            side.split = True

    def on_twopc_commit(self, r: dict, f: dict, ref: Ref) -> None:
        side = self._side(f["tid"], "initiator", r)
        side.commit, side.logged_ms = ref, f.get("ms")
        self._committed[side.resource] = (side.tid, ref.row)

    def on_twopc_abort(self, r: dict, f: dict, ref: Ref) -> None:
        side = self._side(f["tid"], "initiator", r)
        side.abort, side.logged_ms, side.abort_rv = ref, f.get("ms"), f.get("rv")

    def on_twopc_retry(self, r: dict, f: dict, ref: Ref) -> None:
        side = self._last_initiated.get(r["resource"])
        if side is not None:
            side.retries += 1

    def on_twopc_remote_prepare(self, r: dict, f: dict, ref: Ref) -> None:
        side = self._side(f["tid"], "participant", r)
        side.prepare = ref
        side.peer, side.peer_host = self.peer(r)
        side.primary_nodes, side.weak_nodes = f.get("primary_nodes"), f.get("weak_nodes")
        if f.get("max_size_kb") is not None:
            side.changes["size_kb"] = str(f["max_size_kb"])
        # DRBD 9.1+ names the initiator and target on the remote side too.
        side.initiator_id = f.get("initiator", side.initiator_id)
        side.target_id = f.get("target", side.target_id)
        side.changes.update(_twopc_changes(f.get("changes")))
        if side.peer is not None or side.peer_host is not None:
            conn = self.connect(r["resource"], side.peer, side.peer_host, ref)
            if side.tid not in conn.tids:
                conn.tids.append(side.tid)

    def on_twopc_remote_detail(self, r: dict, f: dict, ref: Ref) -> None:
        # Logged after every 2PC packet (prepare, then commit or abort): the one that
        # matters for timing follows the prepare, before this node replies.
        side = self._side(f["tid"], "participant", r)
        if side.detail is None and not side.finished:
            side.detail = ref
        side.target_id = f.get("target")
        side.changes.update(_twopc_changes(f.get("changes")))

    def on_twopc_remote_commit(self, r: dict, f: dict, ref: Ref) -> None:
        side = self._participant(r, f)
        side.commit = ref
        self._committed[side.resource] = (side.tid, ref.row)

    def on_twopc_remote_abort(self, r: dict, f: dict, ref: Ref) -> None:
        self._participant(r, f).abort = ref

    def _participant(self, r: dict, f: dict) -> TwopcSide:
        side = self._side(f["tid"], "participant", r)
        if side.peer is None and side.peer_host is None:
            side.peer, side.peer_host = self.peer(r)
        return side

    def on_twopc_timeout(self, r: dict, f: dict, ref: Ref) -> None:
        # BSR's line names no transaction: the newest one of the resource still open.
        tid = f.get("tid")
        side = self._sides.get((tid, "initiator")) if tid is not None else None
        side = side or (self._sides.get((tid, "participant")) if tid is not None else None)
        if side is None:
            side = self._last_twopc.get(r["resource"])
            if side is not None and side.finished and side.abort is None:
                side = None
        if side is not None:
            side.timeouts.append(ref)
        else:
            self.landmarks.append(
                Landmark("twopc_timeout", ref, {"tid": tid}, resource=r["resource"])
            )

    def on_twopc_reject(self, r: dict, f: dict, ref: Ref) -> None:
        if f.get("tid") is None:
            return
        side = self._side(f["tid"], "participant", r)
        side.rejected = ref
        if f.get("other") is not None:
            side.rejected_for = f["other"]
        if side.peer is None and side.peer_host is None:
            side.peer, side.peer_host = self.peer(r)

    def on_twopc_ignored(self, r: dict, f: dict, ref: Ref) -> None:
        # A commit or abort for a transaction this node already left (DRBD logs the
        # packet's name): it arrived all the same.
        packet = f.get("packet") or ""
        if f.get("tid") is None or packet not in ("P_TWOPC_COMMIT", "P_TWOPC_ABORT"):
            return
        side = self._participant(r, f)
        side.ignored.append((packet, ref))

    def on_twopc_yield(self, r: dict, f: dict, ref: Ref) -> None:
        if f.get("other") is not None:
            self._side(f["other"], "initiator", r).yielded = ref

    # -- handshake and connection -------------------------------------------------------
    def on_handshake(self, r: dict, f: dict, ref: Ref) -> None:
        peer, host = f.get("peer"), r["peer_host"]
        if peer is None:
            peer = self.peer(r)[0]
        hs = Handshake(ref, r["resource"], peer, f.get("protocol"), f.get("peer_name"), host)
        self.handshakes.append(hs)
        if peer is None and host is None:
            # DRBD 8.4 names no peer: the connection is the one its state lines are of
            # ("peer"), so that its states and resyncs join the handshake's connection.
            host = self.peer(r)[1]
        self._last_handshake[(r["resource"], peer_key(peer, host))] = hs
        # A handshake begins a new connection: whatever was open to that peer is over.
        self.close(r["resource"], peer, host, ref)
        if (r["resource"], peer_key(peer, host)) != (r["resource"], peer_key(None, host)):
            self.close(r["resource"], None, host, ref)
        side = self.connect(r["resource"], peer, host, ref)
        side.handshake = hs

    def on_features(self, r: dict, f: dict, ref: Ref) -> None:
        peer, host = self.peer(r)
        hs = self._last_handshake.get((r["resource"], peer_key(peer, host)))
        if hs is not None and hs.features is None:
            hs.features = (f.get("flags") or "") + (f.get("names") or "").rstrip(".")
            hs.features_ref = ref

    def on_connection_closed(self, r: dict, f: dict, ref: Ref) -> None:
        peer, host = self.peer(r)
        self.losses.append(ConnectionLoss(ref, r["resource"], peer, host, "Connection closed"))
        self._connection_down(r, ref, "Connection closed")

    def on_connection_lost(self, r: dict, f: dict, ref: Ref) -> None:
        peer, host = self.peer(r)
        reason = f.get("reason") or r["message"]
        self.losses.append(ConnectionLoss(ref, r["resource"], peer, host, reason))

    # -- UUIDs --------------------------------------------------------------------------
    def on_uuid_handshake(self, r: dict, f: dict, ref: Ref) -> None:
        peer, host = self.peer(r)
        d = UuidDecision(
            self.node, r["resource"], r["volume"], peer, host, ref, minor=r.get("minor")
        )
        self._blocks[self.key(r, peer, host)] = d
        self.decisions.append(d)
        self.connect(r["resource"], peer, host, ref).decisions.append(d)

    def _block(self, r: dict) -> UuidDecision | None:
        peer, host = self.peer(r)
        found = self._blocks.get(self.key(r, peer, host))
        if found is not None:
            return found
        # Rule lines are logged by the device, naming no peer: the open block of that
        # volume (the newest, should two peers handshake at once).
        for (res, vol, _), d in reversed(self._blocks.items()):
            if res == r["resource"] and vol == self.vol(r):
                return d
        return None

    def on_uuid_self(self, r: dict, f: dict, ref: Ref) -> None:
        if d := self._block(r):
            d.self_uuids = _uuids(f)

    def on_uuid_peer(self, r: dict, f: dict, ref: Ref) -> None:
        if d := self._block(r):
            d.peer_uuids = _uuids(f)

    def on_uuid_rule(self, r: dict, f: dict, ref: Ref) -> None:
        d = self._block(r)
        if d is not None and d.compare is None:
            d.rule_ref, d.rule_text = ref, f.get("text")
            d.rule, d.result = f.get("rule"), f.get("result")

    def on_uuid_compare(self, r: dict, f: dict, ref: Ref) -> None:
        d = self._block(r)
        if d is None:
            peer, host = self.peer(r)
            d = UuidDecision(
                self.node, r["resource"], r["volume"], peer, host, ref, minor=r.get("minor")
            )
            self.decisions.append(d)
            self.connect(r["resource"], peer, host, ref).decisions.append(d)
        d.compare, d.rule, d.result = ref, f.get("rule"), f.get("result")
        d.result_name, d.rule_name = f.get("result_name"), f.get("rule_name")
        d.logged_result, d.logged_rule = f.get("logged_result"), f.get("logged_rule")
        d.dialect = f.get("dialect")
        key = self.key(r, d.peer, d.peer_host)
        self._blocks.pop(key, None)
        self._last_decision[key] = d

    # -- bitmap -----------------------------------------------------------------------
    def _exchange(self, r: dict) -> BitmapExchange:
        peer, host = self.peer(r)
        key = self.key(r, peer, host)
        ex = self._exchanges.get(key)
        if ex is None:
            ex = BitmapExchange(
                self.node, r["resource"], r["volume"], peer, host, minor=r.get("minor")
            )
            self._exchanges[key] = ex
            self.bitmaps.append(ex)
            self.connect(r["resource"], peer, host, _ref(self.node, r)).bitmaps.append(ex)
        return ex

    def on_bitmap_send_start(self, r: dict, f: dict, ref: Ref) -> None:
        # Logged by the device, no peer named: the exchange of this volume in WFBitMapS.
        found = [
            ex
            for (res, vol, _), ex in self._exchanges.items()
            if res == r["resource"] and vol == self.vol(r) and ex.send_start is None
        ]
        if found:
            found[-1].send_start = ref

    def on_bitmap_stats(self, r: dict, f: dict, ref: Ref) -> None:
        stat = BitmapStat(
            ref,
            f["direction"],
            f["plain_bytes"],
            f["plain_packets"],
            f["rle_bytes"],
            f["rle_packets"],
            f["total"],
            f["compression"],
        )
        ex = self._exchange(r)
        if f["direction"] == "send":
            ex.sent = stat
        else:
            ex.received = stat

    def on_bitmap_done_sent(self, r: dict, f: dict, ref: Ref) -> None:
        self._exchange(r).done_sent = ref

    def on_bitmap_done_received(self, r: dict, f: dict, ref: Ref) -> None:
        self._exchange(r).done_received = ref

    # -- resync -------------------------------------------------------------------------
    def _start_session(self, r, ref, kind, role, kb, bits) -> ResyncSide:
        peer, host = self.peer(r)
        key = self.key(r, peer, host)
        s = ResyncSide(self.node, r["resource"], r["volume"], peer, host, kind, role, ref, kb, bits)
        s.minor = r.get("minor")
        s.decision = self._last_decision.get(key)
        self._sessions[key] = s
        self.resyncs.append(s)
        self.connect(r["resource"], peer, host, ref).resyncs.append(s)
        return s

    def _end_session(self, key: Key, ref: Ref, outcome: str, why: str) -> ResyncSide | None:
        s = self._sessions.pop(key, None)
        if s is not None and s.end is None:
            s.end, s.outcome, s.end_reason = ref, outcome, why
        return s

    def on_resync_start(self, r: dict, f: dict, ref: Ref) -> None:
        s = self._sessions.get(self.key(r, *self.peer(r)))
        if s is not None and s.kind == "resync" and s.kb is None:
            s.role, s.kb, s.bits = f["role"], f["kb"], f["bits"]
            return
        self._start_session(r, ref, "resync", f["role"], f["kb"], f["bits"])

    def on_verify_start(self, r: dict, f: dict, ref: Ref) -> None:
        s = self._sessions.get(self.key(r, *self.peer(r)))
        if s is not None and s.kind == "verify" and s.kb is None:
            s.kb, s.bits = f.get("kb"), f.get("bits")
            return
        self._start_session(r, ref, "verify", f["role"], f.get("kb"), f.get("bits"))

    def on_resync_done(self, r: dict, f: dict, ref: Ref) -> None:
        peer, host = self.peer(r)
        key = self.key(r, peer, host)
        s = self._end_session(key, ref, ResyncOutcome.DONE, (f.get("what") or "Resync") + " done")
        if s is None:
            # The start was before this log began: still a session, from here only.
            kind = "verify" if f.get("what") == "Online verify" else "resync"
            s = ResyncSide(self.node, r["resource"], r["volume"], peer, host, kind, "unknown", ref)
            s.minor = r.get("minor")
            s.end, s.outcome, s.end_reason = ref, ResyncOutcome.DONE, "done"
            self.resyncs.append(s)
            self.connect(r["resource"], peer, host, ref).resyncs.append(s)
            self._ended_unknown[key] = s
        s.total_s, s.paused_s, s.rate_kps = f.get("total_s"), f.get("paused_s"), f.get("rate_kps")

    # -- landmarks --------------------------------------------------------------------
    def on_driver_loaded(self, r: dict, f: dict, ref: Ref) -> None:
        # A driver load ends everything the previous load had open.
        for key in list(self._sessions):
            self._end_session(key, ref, ResyncOutcome.BROKEN, "driver loaded again")
        for key in list(self._open):
            side = self._open.pop(key)
            side.last_row = ref.row - 1
        self.landmarks.append(Landmark("driver_loaded", ref, {"version": f.get("version")}))

    def on_attached(self, r: dict, f: dict, ref: Ref) -> None:
        self.landmarks.append(
            Landmark("attached", ref, {"current_uuid": f.get("current")}, resource=r["resource"])
        )

    def on_detaching(self, r: dict, f: dict, ref: Ref) -> None:
        self.landmarks.append(
            Landmark("detaching", ref, {"current_uuid": f.get("current")}, resource=r["resource"])
        )

    def on_split_brain(self, r: dict, f: dict, ref: Ref) -> None:
        self.landmarks.append(
            Landmark("split_brain", ref, {"message": r["message"]}, resource=r["resource"])
        )
        text = r["message"]
        said = _SB_SOLVED.search(text)
        resolved: bool | None = None
        if said is not None:
            resolved = True
        elif _SB_UNRESOLVED.search(text):
            resolved = False
        peer, host = self.peer(r)
        primaries = said.group("primaries") if said else None
        self.split_brains.append(
            SplitBrain(
                self.node,
                ref,
                r["resource"],
                r["volume"],
                r.get("minor"),
                peer,
                host,
                resolved,
                sync_from=said.group("sync_from") if said else None,
                primaries=int(primaries) if primaries else None,
            )
        )

    def on_volume_lock(self, r: dict, f: dict, ref: Ref) -> None:
        self._lock = Landmark("volume_lock", ref, {"volume": f.get("volume_name")})
        self.landmarks.append(self._lock)

    def on_volume_unlocked(self, r: dict, f: dict, ref: Ref) -> None:
        if self._lock is not None and self._lock.end is None:
            self._lock.end = ref
            self._lock = None

    # -- after the walk -------------------------------------------------------------------
    def finish(self, commands: list[NetlinkCommand]) -> None:
        """Commands get the resources their lines named; ``up`` and ``down`` runs become
        landmarks."""
        rows = [row for row, _ in self.touched]
        for i, c in enumerate(commands):
            # An unterminated command owns the lines up to the next command only.
            end = c.done.row if c.done is not None else None
            if end is None:
                end = commands[i + 1].received.row if i + 1 < len(commands) else 1 << 62
            lo, hi = bisect_right(rows, c.received.row), bisect_left(rows, end + 1)
            c.resources = sorted({res for _, res in self.touched[lo:hi]})
        self.landmarks.extend(admin_sequences(commands))
        self.landmarks.sort(key=lambda lm: lm.ref.row)


HANDLERS: dict[str, Callable[[Walk, dict, dict, Ref], None]] = {
    "state_change": Walk.on_state_change,
    "twopc_prepare": Walk.on_twopc_prepare,
    "twopc_detail": Walk.on_twopc_detail,
    "twopc_reply": Walk.on_twopc_reply,
    "twopc_nodes": Walk.on_twopc_nodes,
    "twopc_split": Walk.on_twopc_split,
    "twopc_commit": Walk.on_twopc_commit,
    "twopc_abort": Walk.on_twopc_abort,
    "twopc_retry": Walk.on_twopc_retry,
    "twopc_remote_prepare": Walk.on_twopc_remote_prepare,
    "twopc_remote_detail": Walk.on_twopc_remote_detail,
    "twopc_remote_commit": Walk.on_twopc_remote_commit,
    "twopc_remote_abort": Walk.on_twopc_remote_abort,
    "twopc_timeout": Walk.on_twopc_timeout,
    "twopc_reject": Walk.on_twopc_reject,
    "twopc_yield": Walk.on_twopc_yield,
    "twopc_ignored": Walk.on_twopc_ignored,
    "state_change_failed": Walk.on_state_change_failed,
    "handshake": Walk.on_handshake,
    "features": Walk.on_features,
    "connection_closed": Walk.on_connection_closed,
    "connection_lost": Walk.on_connection_lost,
    "uuid_handshake": Walk.on_uuid_handshake,
    "uuid_self": Walk.on_uuid_self,
    "uuid_peer": Walk.on_uuid_peer,
    "uuid_rule": Walk.on_uuid_rule,
    "uuid_compare": Walk.on_uuid_compare,
    "bitmap_send_start": Walk.on_bitmap_send_start,
    "bitmap_stats": Walk.on_bitmap_stats,
    "bitmap_done_sent": Walk.on_bitmap_done_sent,
    "bitmap_done_received": Walk.on_bitmap_done_received,
    "resync_start": Walk.on_resync_start,
    "verify_start": Walk.on_verify_start,
    "resync_done": Walk.on_resync_done,
    "driver_loaded": Walk.on_driver_loaded,
    "attached": Walk.on_attached,
    "detaching": Walk.on_detaching,
    "split_brain": Walk.on_split_brain,
    "volume_lock": Walk.on_volume_lock,
    "volume_unlocked": Walk.on_volume_unlocked,
}


def _role(state: str) -> str:
    return state.replace("PausedSyncS", "SyncSource").replace("PausedSyncT", "SyncTarget")


def _ref(node: str, r: dict) -> Ref:
    return Ref(
        node, r["row"], r["file"], r["line"], r["seq"], r["local_ns"], r["message"],
        r["time_res_ns"] or 0,
    )  # fmt: skip


def _uuids(f: dict) -> dict[str, Any]:
    return {k: f.get(k) for k in ("current", "bitmap", "history1", "history2", "bits", "flags")}


def _twopc_changes(text: str | None) -> dict[str, str]:
    return {k: v for k, v in _TWOPC_CHANGE.findall(text or "") if v and v != "-"}


def admin_sequences(commands: list[NetlinkCommand]) -> list[Landmark]:
    """``bsradm up`` is new-resource, new-minor, new-peer, new-path, attach, connect in a
    row (for several resources, ``up all`` runs them stage by stage across resources: one
    run); ``down`` is one DOWN command a resource, consecutive DOWNs one run. Each run is
    one landmark listing the resources its commands touched."""
    typed = [c for c in commands if not is_poll(c.command)]
    out: list[Landmark] = []
    i = 0
    while i < len(typed):
        cmd = typed[i]
        if cmd.command == "NEW_RESOURCE":
            # The run ends with the CONNECT that brings the count of connects up to the
            # count of resources it created.
            j, created, connected = i, 0, 0
            while j < len(typed) and typed[j].command in UP_COMMANDS:
                name = typed[j].command
                if name == "NEW_RESOURCE" and created and connected >= created:
                    break
                created += name == "NEW_RESOURCE"
                connected += name == "CONNECT"
                j += 1
                if name == "CONNECT" and connected >= created:
                    break
            run = typed[i:j]
            names = [c.command for c in run]
            out.append(
                Landmark(
                    "up",
                    cmd.received,
                    {
                        "commands": names,
                        "complete": all(n in names for n in UP_COMMANDS),
                        "all_terminated": all(c.done is not None for c in run),
                    },
                    end=run[-1].done or run[-1].received,
                    resources=sorted({res for c in run for res in c.resources}),
                )
            )
            i = j
            continue
        if cmd.command == "DOWN":
            j = i + 1
            # ``down all`` sends one DOWN a resource, back to back (on the node's own clock).
            while (
                j < len(typed)
                and typed[j].command == "DOWN"
                and _within(typed[j - 1].done or typed[j - 1].received, typed[j].received)
            ):
                j += 1
            run = typed[i:j]
            out.append(
                Landmark(
                    "down",
                    cmd.received,
                    {"terminated": all(c.done is not None for c in run), "commands": len(run)},
                    end=run[-1].done,
                    resources=sorted({res for c in run for res in c.resources}),
                )
            )
            i = j
            continue
        i += 1
    return out


BACK_TO_BACK_NS = 10 * 10**9


def _within(a: Ref, b: Ref) -> bool:
    return (
        a.local_ns is not None
        and b.local_ns is not None
        and 0 <= b.local_ns - a.local_ns <= BACK_TO_BACK_NS
    )
