"""The DRBD message catalog: which DRBD 8.4 / 9.x / WinDRBD kernel line is which event.

No I/O and no frames: only knowledge, like :mod:`correlate.events.catalog_bsr` (whose :class:`Kind`
these are). DRBD lines carry no ``[CATEGORY:index]`` key, so every kind here has
``category="DRBD"`` and ``indices=()`` and is recognised by text alone: the classifier
runs each kind's ``pattern`` anchored at the start of ``message`` (the text after the
object prefix, see :mod:`correlate.read.kernlog`) unless it starts with ``.*``, in catalog
order, first match wins. Kind names and the named groups of ``fields`` are the BSR
kinds' own (``tid``, ``initiator``, ``target``, ``mask``, ``val``, ``rule``, ``result``,
...), so the same record builders read them; a few groups are new (``changes`` of 9.2's
2PC wording, ``primary_nodes`` of a remote commit, ``aborted`` of a resync) and a few
kinds are new (``twopc_ignored``, ``uuid_strategy``, ``state_change_failed``,
``helper``). Patterns were written for this project from the message templates of the
public DRBD source (``drbd_state.c``, ``drbd_receiver.c``, ``drbd_sender.c``,
``drbd_main.c``, ``drbd_nl.c`` of drbd-8.4.x, 9.0.x, 9.1.x, 9.2.x, 9.3.x) and checked
against the real logs in ``tests/data/real/``; they use only syntax that Python's ``re``
and polars' (Rust) regex engine share (no look-around).

Wording that changed between versions, all matched:

* 2PC prepare: 9.0 ``Preparing cluster-wide state change T (A->B mask/val)``; 9.1.x and
  later ``Preparing cluster-wide state change T: A->B|all <changes>`` (``1->all empty``,
  ``3->all role( Primary )``); remote side 9.0.9 ``Preparing remote state change T
  (primary_nodes=P, weak_nodes=W)``, 9.0.x ``Preparing remote state change T`` (often
  with a trailing space), 9.1+ ``Preparing remote state change T: A->B <changes>``.
* Handshake: 8.4 ``Handshake successful: Agreed network protocol version V`` (no peer
  id), 9.x ``Handshake to peer N successful: ...``.
* ``uuid_compare()``: 8.4 and 9.0 up to 9.0.2x print numbers (``=-1 by rule 50``); 9.0.2x
  and 9.1.0-9.1.5 print a strategy name with a rule number (``=target-clear-bitmap by rule
  52``); 9.0.32 and 9.1.6 on print names for both (``=no-sync by rule=just-created-both``).
  ``result`` and ``rule`` are kept as written; :func:`normalize_fields` adds the numbers.

Named ``uuid_compare()`` results (DRBD's ``sync_strategy``), with the 9.0 number each
replaced, as the logging node sees it:

==================================  ======  ====================================================
result                              9.0 #   meaning
==================================  ======  ====================================================
``no-sync``                         0       no resync: the data are the same
``source-if-both-failed``           1       SyncSource after both crashed / lost quorum (bitmap)
``target-if-both-failed``           -1      SyncTarget after both crashed / lost quorum (bitmap)
``source-use-bitmap``               2       bitmap-based resync as SyncSource
``target-use-bitmap``               -2      bitmap-based resync as SyncTarget
``source-set-bitmap``               3       full sync as SyncSource
``target-set-bitmap``               -3      full sync as SyncTarget
``source-copy-other-bitmap``        4       SyncSource, bitmap copied from another peer's slot
``target-clear-bitmap``             -4      SyncTarget; its bitmap toward a third node is cleared
``split-brain-auto-recover``        100     split brain; the after-sb policies may resolve it
``split-brain-disconnect``          -100    split brain; the connection is dropped
``unrelated-data``                  -1000   the nodes share no data generation: no connect
``requires-proto-91`` / ``-96``     -1091   the comparison needs a newer protocol (91, 96,
``requires-proto-124``              -1096   124): the peers disconnect
``retry-connect``                   --      UUIDs changed during the handshake: reconnect
``sync-target-primary-reconnect``   --      this Primary would be SyncTarget: reconnect
``sync-target-primary-disconnect``  --      this Primary would be SyncTarget: disconnect
==================================  ======  ====================================================

DRBD 8.4's numbers mean something else: 0 none; 1 / -1 bitmap-based resync as source /
target (also after a crashed primary); 2 / -2 full sync; 100 / -100 split brain;
-1000 unrelated; below -1000 a protocol requirement. :func:`normalize_fields` with
``drbd84=True`` maps them onto the 9.0 numbers the BSR catalog uses (1 -> 2, 2 -> 3) for
comparisons, and keeps the number as written (``logged_result``) and its strategy name
(``result_name``): a person reads 8.4's own number, never 9.0's in its place.

Named rules (DRBD's ``sync_rule``) and the 9.0 rule number each replaced:

=====================================  =====  ================================================
rule                                   9.0 #  why it fired
=====================================  =====  ================================================
``initial-handshake-changed``          9      UUIDs changed while the handshake ran
``just-created-both``                  10     both nodes' UUIDs are still the initial ones
``just-created-self``                  20     only this node is freshly created: full sync to it
``just-created-peer``                  30     only the peer is freshly created: full sync from here
``sync-source-missed-finish``          34     this node was SyncSource and missed the resync's end
``sync-target-peer-missed-finish``     35     this node was SyncTarget; the peer missed the end
``sync-source-peer-missed-finish``     36     was SyncSource; the peer failed to write the sync UUID
``sync-target-missed-finish``          37     was SyncTarget; it failed to write the sync UUID
``reconnected``                        38     both flagged a mere reconnect: nothing to sync
``lost-quorum``                        39     a Primary lost quorum: the other side is source
``both-off``                           40     same current UUID: common power failure or clean
``sync-target-missed-start``           51     the SyncTarget missed the resync's start
``bitmap-peer``                        50     my current UUID is the peer's bitmap UUID: target
``bitmap-peer-other``                  52     my current UUID is the peer's bitmap UUID of a third
``history-peer``                       60     my current UUID is in the peer's history: full target
``bitmap-self``                        70     the peer's current UUID is my bitmap UUID: source
``sync-source-missed-start``           71     the SyncSource missed the resync's start
``bitmap-self-other``                  72     the peer's current UUID is my bitmap of a third node
``history-self``                       80     the peer's current UUID is in my history: full source
``bitmap-both``                        90     same bitmap UUID on both: both wrote, split brain
``history-both``                       100    a common history UUID: both wrote, split brain
``crashed-primary``                    --     protocol A/B: the crashed Primary's data wins
``reconcile-bitmap``, ``-dagtag``      --     equal UUIDs, out-of-sync bits reconciled afterwards
=====================================  =====  ================================================
"""

from __future__ import annotations

import re
from typing import Any

from correlate.events.catalog_bsr import HEX16, UUIDS, Kind, anchored
from correlate.i18n import N_


def _d(name: str, family: str, pattern: str, explain: str, fields: str | None = None) -> Kind:
    return Kind(name, family, "DRBD", (), pattern, explain, fields)


_HEXN = r"[0-9A-Fa-f]+"
# (the blanks inside the parentheses as DRBD prints them; 9.1.6 writes ``susp-io( no ->
# no-disk)`` without the closing one, which classify.CHANGE accepts too)
_STATE_WORD = r"[a-z][a-z_-]*\( ?[^()]* -> [^()]* ?\)"

# fmt: off
DRBD_KINDS: tuple[Kind, ...] = (
    # -- two-phase commit --------------------------------------------------------------
    _d("twopc_prepare", "twopc", r"Preparing cluster-wide state change (?P<tid>\d+)[ :]",
       N_("This node starts a cluster-wide state change (two-phase commit) and is about to "
       "send the prepare to its peers; 'A->B' names the initiator and the target node "
       "(all = every peer)."),
       r"Preparing cluster-wide state change (?P<tid>\d+)(?:(?: \(|: )(?P<initiator>\d+)->"
       r"(?P<target>-?\d+|all) (?:(?P<mask>\d+)/(?P<val>\d+)\)|(?P<changes>.*))"
       r"| \(local_max_size = (?P<max_size_kb>\d+)[^)]*\))?"),
    _d("twopc_remote_prepare", "twopc", r"Preparing remote state change (?P<tid>\d+)",
       N_("A peer's prepare of a cluster-wide state change arrived: this node checks whether "
       "it can take part and answers."),
       r"Preparing remote state change (?P<tid>\d+)(?: \((?:primary_nodes=(?P<primary_nodes>"
       rf"{_HEXN}), weak_nodes=(?P<weak_nodes>{_HEXN})|local_max_size = (?P<max_size_kb>\d+)"
       r"[^)]*)\)|: (?P<initiator>\d+)->(?P<target>-?\d+|all) (?P<changes>.*))? ?"),
    _d("twopc_nodes", "twopc",
       rf"State change (?P<tid>\d+): primary_nodes=(?P<primary_nodes>{_HEXN}), "
       rf"weak_nodes=(?P<weak_nodes>{_HEXN})",
       N_("All replies to the prepare arrived at the initiator: which nodes are Primary and "
       "which are weak (not fully connected) after the change.")),
    _d("twopc_split", "twopc", r"Cluster is now split",
       N_("The committed change separates this node from a peer: the cluster is split.")),
    _d("twopc_commit", "twopc", r"Committing cluster-wide state change (?P<tid>\d+) "
       r"\((?P<ms>\d+)ms\)",
       N_("The initiator commits the cluster-wide change and is about to tell its peers; the "
       "milliseconds are how long the prepare round took.")),
    _d("twopc_abort", "twopc", r"Aborting cluster-wide state change (?P<tid>\d+) "
       r"\((?P<ms>\d+)ms\)(?: rv = (?P<rv>-?\d+))?(?: size unchanged)?",
       N_("The initiator gives up the cluster-wide change (a peer refused or did not answer "
       "in time); rv says why (-23: timeout, -10: concurrent change, ...).")),
    _d("twopc_abort", "twopc", r"Aborting local state change (?P<tid>\d+) commit not possible",
       N_("This node's own cluster-wide change can neither commit nor abort normally because "
       "the connection it depended on went away; it is dropped.")),
    _d("twopc_retry", "twopc", r"Retrying cluster-wide state change after (?P<ms>\d+)ms",
       N_("A cluster-wide change collided with another and is retried after a pause.")),
    _d("twopc_remote_commit", "twopc", r"Committing remote state change (?P<tid>\d+)",
       N_("The initiator's commit arrived: this node applies the agreed change."),
       r"Committing remote state change (?P<tid>\d+)(?: \(primary_nodes="
       rf"(?P<primary_nodes>{_HEXN})\))?"),
    _d("twopc_remote_abort", "twopc", r"Aborting remote state change (?P<tid>\d+)",
       N_("The peer's cluster-wide change is dropped here: its abort arrived, or ('commit not "
       "possible') the connection to its initiator was lost before the outcome came."),
       r"Aborting remote state change (?P<tid>\d+)(?P<note> commit not possible)?"),
    _d("twopc_timeout", "twopc",
       r"(?:Two-phase commit (?P<tid>\d+) timeout|Two-phase commit: not woken up in time)",
       N_("A two-phase commit waited too long for a peer (twopc-timeout): the change is "
       "aborted; look at that peer's network and load at this time.")),
    _d("twopc_ignored", "twopc",
       r"Ignoring (?P<redundant>redundant )?(?P<packet>\S+) packet (?P<tid>\d+)\.?"
       r"(?: current processing state change (?P<other>\d+))?",
       N_("A 2PC packet arrived for a transaction this node already finished (redundant) or "
       "while it is busy with another one: it is ignored.")),
    _d("twopc_reject", "twopc",
       r"Rejecting concurrent remote state change(?: (?P<tid>\d+) because of state change "
       r"(?P<other>\d+))?",
       N_("Two cluster-wide changes ran at once; the peer's one was refused because this "
       "node is still in the other (a stuck transaction repeats this every retry).")),
    _d("twopc_yield", "twopc",
       r"Aborting local state change (?P<other>\d+)(?: to yield to| failed\. Rejecting) "
       r"remote state change (?P<tid>\d+)",
       N_("Two cluster-wide changes collided: the local one gives way to the peer's (or "
       "could not, and the peer's is rejected).")),
    # -- connection -----------------------------------------------------------------
    _d("handshake", "connection",
       r"Handshake (?:to peer (?P<peer>\d+) )?successful: Agreed network protocol version "
       r"(?P<protocol>\d+)(?:, Peer node name (?P<peer_name>\S+))?",
       N_("The connection to the peer is up and both agreed on a protocol version (8.4 names "
       "no peer id): the first step of every connect.")),
    _d("features", "connection",
       r"Feature flags enabled on protocol level: (?P<flags>0x[0-9A-Fa-f]+)(?P<names>[^.]*)",
       N_("The optional protocol features both nodes support.")),
    _d("connection_closed", "connection", r"Connection closed",
       N_("The connection's sockets are closed: replication to this peer stops here.")),
    _d("connection_lost", "connection",
       r"(?:meta connection shut down by peer|PingAck did not arrive in time|peer failed to "
       r"send PingAck|sock was shut down by peer|sock_recvmsg returned|error receiving \S+, "
       r"e: |short read |Digest integrity check FAILED)",
       N_("The peer stopped answering, closed its socket or sent something unreadable: the "
       "connection goes down (NetworkFailure, BrokenPipe, Timeout or ProtocolError)."),
       r"(?P<reason>.*)"),
    _d("connect_failed", "connection",
       r"(?:Failed to initiate connection|Authentication of peer failed|incompatible (?:DRBD"
       r"|\S+ settings)|Peer presented a node_id|Peer expects me to have a node_id|timeout "
       r"while waiting for feature packet|Configured local address not found|No destination "
       r"address|expected (?:ConnectionFeatures|AuthChallenge|AuthResponse) )",
       N_("An attempt to connect to the peer failed (address, authentication, incompatible "
       "settings or protocol); DRBD keeps trying unless the configuration is wrong."),
       r"(?P<reason>.*)"),
    _d("split_brain", "split_brain", r"Split-Brain detected",
       N_("Both nodes changed the data independently (split brain); the rest of the line says "
       "whether an after-sb policy resolved it or the connection is dropped."),
       r"Split-Brain detected(?P<detail>.*)"),
    # -- UUID comparison ------------------------------------------------------------
    _d("uuid_handshake", "uuid", r"drbd_sync_handshake:",
       N_("The peer's UUIDs arrived: this node compares data generations to decide who "
       "resyncs from whom.")),
    _d("uuid_self", "uuid", rf"self {UUIDS}",
       N_("This node's UUIDs: current, bitmap, and two history generations."),
       rf"self {UUIDS} bits:(?P<bits>\d+) flags:(?P<flags>[0-9A-Fa-f]+)"),
    _d("uuid_peer", "uuid", rf"peer {UUIDS}",
       N_("The peer's UUIDs as this node received them."),
       rf"peer {UUIDS} bits:(?P<bits>\d+) flags:(?P<flags>[0-9A-Fa-f]+)"),
    _d("uuid_compare", "uuid",
       r"uuid_compare\(\)=(?P<result>-?\d+|[a-z][a-z0-9-]*) by rule(?: |=)"
       r"(?P<rule>\d+|[a-z][a-z0-9-]*)",
       N_("The outcome of the UUID comparison: no resync, a resync in which direction, or "
       "split brain / unrelated data (see the result table).")),
    _d("uuid_strategy", "uuid", r"strategy = (?P<result>[a-z][a-z0-9-]*)",
       N_("The resync strategy after the disk states were weighed (it can differ from the "
       "UUID comparison, e.g. a diskless Primary's peers sync among themselves)."),
       r"strategy = (?P<result>[a-z][a-z0-9-]*)(?P<reason>.*)"),
    _d("uuid_unrelated", "uuid", r"Unrelated data, aborting!",
       N_("The two nodes' data share no generation (unrelated data): they will not connect.")),
    _d("attached", "landmark", rf"attached to (?:current UUID: |UUIDs )(?P<current>{HEX16})",
       N_("The backing disk was attached; the current UUID names the data generation it holds.")),
    _d("uuid_generated", "uuid",
       rf"(?P<sending>sending )?new current UUID:? (?P<current>{HEX16})",
       N_("This node started a new data generation (it became Primary or wrote without a "
       "peer); 'sending' means it tells its peers."),
       rf"(?P<sending>sending )?new current UUID:? (?P<current>{HEX16})(?: weak: "
       rf"(?P<weak_nodes>{HEX16})|:{HEX16}:{HEX16}:{HEX16})?"),
    _d("uuid_received", "uuid", rf"received new current UUID: (?P<current>{HEX16})",
       N_("A new current UUID came from the peer (a Primary started a new data generation)."),
       rf"received new current UUID: (?P<current>{HEX16})(?: weak_nodes=(?P<weak_nodes>"
       rf"{HEX16}))?"),
    _d("uuids_updated", "uuid",
       r"(?P<text>updated UUIDs|updated sync UUID|updated sync uuid|receiver updated UUIDs "
       r"to|updated bitmap UUID|cleared bitmap UUID|cleared bm UUID and bitmap|forced resync "
       rf"UUID|setting UUIDs to) {UUIDS}",
       N_("This node's UUIDs changed (a resync started or finished, a bitmap slot was "
       "cleared): the four are current, bitmap and two history generations.")),
    # -- bitmap exchange and resync -----------------------------------------------------
    _d("bitmap_bits_kept", "bitmap", r"No resync, but (?P<bits>\d+) bits in bitmap!",
       N_("The handshake decided no resync, yet this node's bitmap toward the peer marks "
       "blocks out of sync (4 KiB a bit): they stay marked and are not copied now."),
       r"No resync, but (?P<bits>\d+) bits in bitmap!"),
    _d("bitmap_cleared", "bitmap",
       r"clearing bitmap UUID and bitmap content \((?P<bits>\d+) bits\)",
       N_("The handshake decided no resync and this node dropped its bitmap toward the peer "
       "(its bitmap UUID and the marked blocks, 4 KiB a bit): they will not be resynced."),
       r"clearing bitmap UUID and bitmap content \((?P<bits>\d+) bits\)"),
    _d("bitmap_stats", "bitmap", r"(?P<direction>send|receive) bitmap stats",
       N_("How large the bitmap transfer was, plain and run-length encoded; the sync source "
       "sends first, the target answers after it received."),
       r"(?P<direction>send|receive) bitmap stats \[Bytes\(packets\)\]: plain "
       r"(?P<plain_bytes>\d+)\((?P<plain_packets>\d+)\), RLE (?P<rle_bytes>\d+)"
       r"\((?P<rle_packets>\d+)\), total (?P<total>\d+); compression: (?P<compression>[\d.]+)%"),
    _d("resync_start", "resync",
       r"Began resync as (?P<role>\w+) \(will sync (?P<kb>\d+) KB \[(?P<bits>\d+) bits set\]\)",
       N_("A resync starts: the sync source sends the blocks the bitmap marks out of sync.")),
    _d("resync_done", "resync", r"(?P<what>Resync|Online verify) (?:done|aborted)",
       N_("The resync (or verify) finished, or was aborted: total time, time paused and the "
       "rate."),
       r"(?P<what>Resync|Online verify) (?:done|(?P<aborted>aborted))(?P<note>[^(]*?) "
       r"\(total (?P<total_s>\d+) sec; paused (?P<paused_s>\d+) sec; (?P<rate_kps>\d+) K/sec\)"),
    _d("verify_mismatch", "resync",
       r"Online verify found (?P<blocks>\d+) (?P<block_kb>\d+)k blocks? out of sync",
       N_("Online verify found blocks that differ between the nodes: they need a resync.")),
    # -- landmarks and state ----------------------------------------------------------
    _d("driver_loaded", "landmark", r"initialized\. Version: ",
       N_("The DRBD kernel module was loaded: the node booted or the module was reloaded."),
       r"initialized\. Version: (?P<version>\S+) \(api:(?P<api>\d+)/proto:(?P<proto>[\d-]+)\)"),
    # Any refusal DRBD reports with its reason: a requested change, or the role change
    # of an auto-promote on open (9.x: "Auto-promote failed: <reason> (<rv>)").
    _d("state_change_failed", "state",
       r"(?:State change|Auto-promote) failed: (?P<reason>.*?)(?: \((?P<rv>-?\d+)\))?$",
       N_("A requested state change was refused; the 'Failed:' lines after it show the change "
       "that was attempted.")),
    _d("state_change", "state", rf"(?P<failed>Failed: )?{_STATE_WORD}",
       N_("A resource, connection, disk or peer state changed (or, after 'Failed:', would "
       "have); 9.2 names the cause in brackets, kept in the cause column.")),
    _d("helper", "landmark",
       r"helper command: (?P<program>\S+) (?P<command>[\w-]+)(?P<args>.*?)"
       r"(?: exit code (?P<exit_code>-?\d+)(?: \(0x[0-9A-Fa-f]+\))?)?$",
       N_("DRBD ran a user-space handler (before-resync-target, fence-peer, split-brain, ...); "
       "the line with 'exit code' is its end, a non-zero code a failed handler.")),
)
# fmt: on

BY_NAME: dict[str, Kind] = {}
for _kind in DRBD_KINDS:
    BY_NAME.setdefault(_kind.name, _kind)

# Named results (DRBD's sync_strategy) -> the 9.0 number each replaced (None: none did).
UUID_STRATEGY_NUMBERS: dict[str, int | None] = {
    "no-sync": 0,
    "source-if-both-failed": 1,
    "target-if-both-failed": -1,
    "source-use-bitmap": 2,
    "target-use-bitmap": -2,
    "source-set-bitmap": 3,
    "target-set-bitmap": -3,
    "source-copy-other-bitmap": 4,
    "target-clear-bitmap": -4,
    "split-brain-auto-recover": 100,
    "split-brain-disconnect": -100,
    "unrelated-data": -1000,
    "requires-proto-91": -1091,
    "requires-proto-96": -1096,
    "requires-proto-124": -1124,
    "retry-connect": None,
    "sync-target-primary-reconnect": None,
    "sync-target-primary-disconnect": None,
}

# Named rules (DRBD's sync_rule) -> the 9.0 rule number each replaced.
UUID_RULE_NUMBERS: dict[str, int | None] = {
    "initial-handshake-changed": 9,
    "just-created-both": 10,
    "just-created-self": 20,
    "just-created-peer": 30,
    "sync-source-missed-finish": 34,
    "sync-target-peer-missed-finish": 35,
    "sync-source-peer-missed-finish": 36,
    "sync-target-missed-finish": 37,
    "reconnected": 38,
    "lost-quorum": 39,
    "both-off": 40,
    "bitmap-peer": 50,
    "sync-target-missed-start": 51,
    "bitmap-peer-other": 52,
    "history-peer": 60,
    "bitmap-self": 70,
    "sync-source-missed-start": 71,
    "bitmap-self-other": 72,
    "history-self": 80,
    "bitmap-both": 90,
    "history-both": 100,
    "crashed-primary": None,
    "reconcile-bitmap": None,
    "reconcile-dagtag": None,
}

# DRBD 8.4's uuid_compare numbers -> 9.0's (8.4 has no "if both failed" results: its 1 and
# 2 are bitmap and full resync, which 9.0 numbers 2 and 3).
UUID_RESULTS_84_TO_90: dict[int, int] = {1: 2, -1: -2, 2: 3, -2: -3}


# DRBD 8.4's uuid_compare() results, by the strategy name 9.x gives the same decision.
UUID_84_RESULT_NAMES: dict[int, str] = {
    0: "no-sync",
    1: "source-use-bitmap",
    -1: "target-use-bitmap",
    2: "source-set-bitmap",
    -2: "target-set-bitmap",
    100: "split-brain-auto-recover",
    -100: "split-brain-disconnect",
    -1000: "unrelated-data",
}
# DRBD 9.0's numbers (as BSR writes them) by the same names.
UUID_90_RESULT_NAMES: dict[int, str] = {
    n: name for name, n in UUID_STRATEGY_NUMBERS.items() if n is not None
}


def normalize_fields(kind: str, fields: dict[str, Any], *, drbd84: bool = False) -> dict[str, Any]:
    """The typed fields of a DRBD line, made comparable with BSR's.

    ``target`` ``all`` becomes -1 (the number 9.0 and BSR print); a named ``uuid_compare``
    result or rule becomes its 9.0 number, the name kept in ``result_name`` /
    ``rule_name``; with ``drbd84`` (protocol 86-101) 8.4's numeric results are mapped onto
    9.0's. A name with no numeric equivalent leaves ``result`` / ``rule`` None.
    """
    out = dict(fields)
    if out.get("target") == "all":
        out["target"] = -1
    if kind in ("uuid_compare", "uuid_strategy"):
        result = out.get("result")
        if isinstance(result, str) and not result.lstrip("-").isdigit():
            out["result_name"] = result
            out["result"] = UUID_STRATEGY_NUMBERS.get(result)
        elif result is not None:
            number = int(result)
            if drbd84:
                # Kept as 8.4 wrote it beside the 9.0 number that means the same.
                out["logged_result"] = number
                out["result"] = UUID_RESULTS_84_TO_90.get(number, number)
                out["result_name"] = UUID_84_RESULT_NAMES.get(number)
                out["dialect"] = "8.4"
            else:
                out["result"] = number
                out["result_name"] = UUID_90_RESULT_NAMES.get(number)
        rule = out.get("rule")
        if isinstance(rule, str) and not rule.isdigit():
            out["rule_name"] = rule
            out["rule"] = UUID_RULE_NUMBERS.get(rule)
        elif rule is not None:
            out["rule"] = int(rule)
            if drbd84:
                out["logged_rule"] = int(rule)
    return out


_COMPILED: list[tuple[Kind, re.Pattern[str], re.Pattern[str]]] = [
    (k, re.compile(anchored(k.pattern)), re.compile(anchored(k.regex))) for k in DRBD_KINDS
]


def match_message(message: str) -> tuple[Kind, dict[str, str | None]] | None:
    """The first kind whose pattern matches ``message`` and its named fields (strings, as
    the events stage receives them), or None: the reference the columnar classifier
    must agree with, for one line at a time (tests, a support engineer's REPL)."""
    for kind, pattern, fields in _COMPILED:
        if pattern.search(message):
            found = fields.search(message)
            return kind, (found.groupdict() if found else {})
    return None
