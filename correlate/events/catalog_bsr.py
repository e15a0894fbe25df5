"""The message catalog: which BSR line is which protocol event, and what it means.

No I/O and no frames here: only knowledge. Each :class:`Kind` is keyed by
``(category, index)`` first, the identity a message template keeps across BSR versions,
and by text second: ``pattern`` must match the message for the key to count, and when a
line's key is unknown (a version that renumbered its messages), the pattern alone can
still recognise it within the same category. Patterns are written for this project from
the message families in ``docs/bsr-log-format.md`` and tolerate the wording differences
seen between BSR versions (``terminated``/``done``, an optional ``Peer node name``, an
optional ``<caller> =>`` in front of ``Resync done``, ...).

``fields`` holds named groups: they become the event's structured fields (numbers stay
strings here; the events stage types them).
"""

from __future__ import annotations

from dataclasses import dataclass

from correlate.i18n import N_, Msg

HEX16 = r"[0-9A-Fa-f]{16}"
UUIDS = rf"(?P<current>{HEX16}):(?P<bitmap>{HEX16}):(?P<history1>{HEX16}):(?P<history2>{HEX16})"


@dataclass(frozen=True)
class Kind:
    name: str
    family: str
    category: str
    indices: tuple[int, ...]
    pattern: str  # anchored at the message start unless it starts with ".*"
    explain: str
    fields: str | None = None  # defaults to ``pattern``

    @property
    def regex(self) -> str:
        return self.fields or self.pattern


def anchored(pattern: str) -> str:
    """A kind's pattern as the classifier runs it: anchored unless it starts with ``.*``."""
    return pattern if pattern.startswith(".*") else "^(?:" + pattern + ")"


def _k(name, family, category, indices, pattern, explain, fields=None) -> Kind:
    return Kind(name, family, category, tuple(indices), pattern, explain, fields)


# DRBD 9 and BSR also write quorum( yes -> no ) and the other suspends.
STATE_FIELDS = (
    "role", "conn", "peer", "disk", "pdsk", "repl", "susp-io", "resync-susp", "quorum",
    "susp-fen", "susp-nod", "susp-quorum",
)  # fmt: skip

# fmt: off
KINDS: tuple[Kind, ...] = (
    # -- landmarks ------------------------------------------------------------------
    _k("driver_loaded", "landmark", "DRIVER", [77],
       r"BSR driver loaded and initialized successfully\.",
       N_("The BSR kernel driver started: the node booted or the driver was reloaded, and "
       "the log counter starts over."),
       r"BSR driver loaded and initialized successfully\. Version: ?(?P<version>\S*) "
       r"\(api:(?P<api>\d+)/proto:(?P<proto>[\d-]+)\)"),
    _k("attached", "landmark", "UUID", [14], rf"attached to current UUID: (?P<current>{HEX16})",
       N_("The backing disk was attached; the current UUID names the data generation it holds.")),
    _k("detaching", "landmark", "UUID", [19], rf"detaching to current UUID: (?P<current>{HEX16})",
       N_("The backing disk is being detached; the current UUID is the generation it leaves "
          "with.")),
    _k("volume_lock", "landmark", "VOLUME", [65], r"try lock volume\((?P<volume_name>[^)]*)\)",
       N_("Windows: BSR asks for exclusive access to the volume (attach or down) so no file "
       "system writes slip past replication.")),
    _k("volume_locked", "landmark", "VOLUME", [23], r"volume\((?P<volume_name>[^)]*)\) locked",
       N_("Windows: the volume is locked; the time since the lock request is how long "
       "applications held it.")),
    _k("volume_flush", "landmark", "VOLUME", [62], r"try flush volume\((?P<volume_name>[^)]*)\)",
       N_("Windows: cached file system data is being flushed to the volume.")),
    _k("volume_flushed", "landmark", "VOLUME", [63], r"volume\((?P<volume_name>[^)]*)\) flushed",
       N_("Windows: the volume's cached data reached the disk.")),
    _k("volume_dismount", "landmark", "VOLUME", [64],
       r"try dismount volume\((?P<volume_name>[^)]*)\)",
       N_("Windows: the file system is being dismounted so the volume can change role.")),
    _k("volume_dismounted", "landmark", "VOLUME", [19],
       r"volume\((?P<volume_name>[^)]*)\) dismounted",
       N_("Windows: the file system on the volume is dismounted.")),
    _k("volume_unlock", "landmark", "VOLUME", [61], r"unlock volume\((?P<volume_name>[^)]*)\)",
       N_("Windows: BSR releases the exclusive lock on the volume.")),
    _k("volume_unlocked", "landmark", "VOLUME", [26], r"volume\((?P<volume_name>[^)]*)\) unlocked",
       N_("Windows: the volume is unlocked and usable by applications again.")),
    _k("split_brain", "split_brain", "CONNECTION", [2, 8, 19, 21],
       r".*split-brain",
       N_("Both nodes changed the data independently (split brain): someone must decide which "
       "node's data survives.")),
    _k("split_brain", "split_brain", "TWOPC", [29], r".*split-brain",
       N_("Both nodes changed the data independently (split brain): someone must decide which "
       "node's data survives.")),
    # -- state changes --------------------------------------------------------------
    _k("state_change", "state", "STATE", [18, 19, 20, 21, 61],
       r"(?P<caller>[\w.]+), (?P<failed>Failed: (?:caller )?)?",
       N_("A resource, connection, disk or peer state changed; the caller is the kernel "
       "function that made the change.")),
    _k("repl_state_received", "state", "STATE", [8],
       r"Receive new repl state \"(?P<repl>\w+)\"",
       N_("The peer told this node the replication state it now expects (a state packet).")),
    # -- netlink commands -----------------------------------------------------------
    _k("netlink_received", "netlink", "NETLINK", [18],
       r"(?P<command>\w+):(?P<number>\d+) command has been received",
       N_("An administration command (bsradm/bsrsetup) reached the driver and starts running.")),
    _k("netlink_done", "netlink", "NETLINK", [20],
       r"(?P<command>\w+):(?P<number>\d+) command execution (?:terminated|done)"
       r"\.? ?(?:\(pending command:(?P<pending>-?\d+)\))?",
       N_("An administration command finished in the driver; a command without this line "
       "never finished.")),
    _k("netlink_failed", "netlink", "NETLINK", [19],
       r"command failed while operating\. cmd\((?P<number>\d+)\), error\((?P<error>-?\d+)\)",
       N_("An administration command failed inside the driver.")),
    # -- two-phase commit -----------------------------------------------------------
    _k("twopc_prepare", "twopc", "TWOPC", [34, 41],
       r"Preparing cluster-wide state change (?P<tid>\d+)",
       N_("This node starts a cluster-wide state change (two-phase commit) and is about to "
       "send the prepare to its peers."),
       r"Preparing cluster-wide state change (?P<tid>\d+) \((?:(?P<initiator>\d+)->"
       r"(?P<target>-?\d+) (?P<mask>\d+)/(?P<val>\d+)|local_max_size = (?P<max_size_kb>\d+)"
       r"[^)]*)\)"),
    _k("twopc_detail", "twopc", "TWOPC", [35],
       r"\[TWOPC:(?P<tid>\d+)\] target_node_id\((?P<target>-?\d+)\) (?P<changes>.*?) "
       r"flags \((?P<flags>\d+)\)",
       N_("What the initiator's cluster-wide state change asks for ('-' means unchanged).")),
    _k("twopc_reply", "twopc", "TWOPC", [36],
       r"\[TWOPC:(?P<tid>\d+)\] target_node_id\((?P<target>-?\d+)\) get_cluster_wide_reply "
       r"\((?P<rv>-?\d+)\)",
       N_("The peers' replies to the prepare arrived at the initiator (rv 3 means all agreed).")),
    _k("twopc_nodes", "twopc", "TWOPC", [37],
       r"State change (?P<tid>\d+): primary_nodes=(?P<primary_nodes>[0-9A-Fa-f]+), "
       r"weak_nodes=(?P<weak_nodes>[0-9A-Fa-f]+)",
       N_("Which nodes are Primary and which are weak (not fully connected) after the change.")),
    _k("twopc_split", "twopc", "TWOPC", [38], r"Cluster is now split",
       N_("The committed change separates this node from a peer: the cluster is split.")),
    _k("twopc_commit", "twopc", "TWOPC", [39, 43],
       r"Committing cluster-wide state change (?P<tid>\d+) \((?P<ms>\d+)ms\)"
       r"(?: \((?P<initiator>\d+)->(?P<target>-?\d+)\))?",
       N_("The initiator commits the cluster-wide change and is about to tell its peers.")),
    _k("twopc_abort", "twopc", "TWOPC", [40, 44, 45],
       r"Aborting cluster-wide state change (?P<tid>\d+) \((?P<ms>\d+)ms\)"
       r"(?: rv = (?P<rv>-?\d+))?(?: size unchanged)?(?: \((?P<initiator>\d+)->"
       r"(?P<target>-?\d+)\))?",
       N_("The initiator gives up the cluster-wide change (a peer refused or did not answer); "
       "rv says why.")),
    _k("twopc_retry", "twopc", "TWOPC", [42],
       r"Retrying cluster-wide state change after (?P<ms>\d+)ms",
       N_("A cluster-wide change collided with another and is retried.")),
    _k("twopc_remote_prepare", "twopc", "TWOPC", [24, 25],
       r"Preparing remote state change (?P<tid>\d+)",
       N_("A peer's prepare arrived: this node checks whether it can take part in the change."),
       r"Preparing remote state change (?P<tid>\d+)(?: \((?:primary_nodes=(?P<primary_nodes>"
       r"[0-9A-Fa-f]+), weak_nodes=(?P<weak_nodes>[0-9A-Fa-f]+)|local_max_size = "
       r"(?P<max_size_kb>\d+)[^)]*)\))?"),
    _k("twopc_remote_detail", "twopc", "TWOPC", [28],
       r"\[TWOPC:(?P<tid>\d+)\] target_node_id\((?P<target>-?\d+)\) (?P<changes>.*?) "
       r"flags \((?P<flags>\d+)\)",
       N_("What the peer's cluster-wide change asks of this node ('-' means unchanged).")),
    _k("twopc_remote_commit", "twopc", "TWOPC", [27],
       r"Committing remote state change (?P<tid>\d+)",
       N_("The initiator's commit arrived: this node applies the agreed change.")),
    _k("twopc_remote_abort", "twopc", "TWOPC", [26],
       r"Aborting remote state change (?P<tid>\d+)",
       N_("The initiator's abort arrived: this node drops the prepared change.")),
    _k("twopc_timeout", "twopc", "TWOPC", [1, 33, 49],
       r"(?:Failed two-phase commit due to timeout|Two-phase commit: not woken up in time"
       r"|twopc timeout occurred)",
       N_("A two-phase commit waited too long for a peer: the change fails or is retried; "
       "look at the peer's network and load at this time.")),
    _k("twopc_reject", "twopc", "TWOPC", [7, 21],
       r"Rejecting concurrent remote state change (?P<tid>\d+) because of state change "
       r"(?P<other>\d+)",
       N_("Two cluster-wide changes ran at once; this one was refused in favour of the other.")),
    _k("twopc_reject", "twopc", "PROTOCOL", [43], r"Rejecting concurrent remote state change",
       N_("Two cluster-wide changes ran at once; this one was refused in favour of the other.")),
    _k("twopc_yield", "twopc", "TWOPC", [17, 18],
       r"Aborting local state change (?P<other>\d+)(?: to yield to| failed\. Rejecting) "
       r"remote state change (?P<tid>\d+)",
       N_("Two cluster-wide changes collided: the local one gives way to the peer's (or fails).")),
    # -- handshake and connection ---------------------------------------------------
    _k("handshake", "connection", "PROTOCOL", [55],
       r"Handshake to peer (?P<peer>\d+) successful: Agreed network protocol version "
       r"(?P<protocol>\d+)(?:, Peer node name (?P<peer_name>\S+))?",
       N_("The connection to the peer is up and both agreed on a protocol version: the first "
       "step of every connect.")),
    _k("features", "connection", "PROTOCOL", [56],
       r"Feature flags enabled on protocol level: (?P<flags>0x[0-9A-Fa-f]+)(?P<names>[^.]*)",
       N_("The optional protocol features both nodes support.")),
    _k("connection_closed", "connection", "CONNECTION", [9], r"Connection closed",
       N_("The connection's sockets are closed: replication to this peer stops here.")),
    _k("connection_lost", "connection", "SOCKET", [14, 15, 16, 17],
       r"(?:Data stream socket|Receiving error)",
       N_("A socket to the peer failed or was shut down: the connection is going down."),
       r"(?P<reason>.*)"),
    _k("connection_lost", "connection", "CONNECTION", [14, 15],
       r"(?:Meta connection shut down by peer|Ping response did not arrive)",
       N_("The peer stopped answering pings or closed the control socket: the connection is "
       "going down."),
       r"(?P<reason>.*)"),
    _k("connect_failed", "connection", "CONNECTION", [3, 4, 5, 7, 18],
       r"(?:Connection failed|Failed to connect|Failed to bsr handshake|Failed to initiate)",
       N_("An attempt to connect to the peer failed; BSR keeps trying."),
       r"(?P<reason>.*)"),
    # -- UUID comparison ------------------------------------------------------------
    _k("uuid_handshake", "uuid", "RESYNC/OV", [73], r"bsr_sync_handshake:",
       N_("The peer's UUIDs arrived: this node compares data generations to decide who "
       "resyncs from whom.")),
    _k("uuid_self", "uuid", "RESYNC/OV", [65], rf"self {UUIDS}",
       N_("This node's UUIDs: current, bitmap, and two history generations."),
       rf"self {UUIDS} bits:(?P<bits>\d+) flags:(?P<flags>[0-9A-Fa-f]+)"),
    _k("uuid_peer", "uuid", "RESYNC/OV", [66], rf"peer {UUIDS}",
       N_("The peer's UUIDs as this node received them."),
       rf"peer {UUIDS} bits:(?P<bits>\d+) flags:(?P<flags>[0-9A-Fa-f]+)"),
    _k("uuid_rule", "uuid", "RESYNC/OV", [*range(189, 208), 247, 248],
       r".*rule\(\d+\), res\(-?\d+\)",
       N_("The UUID comparison rule that decided the handshake."),
       r"(?P<text>.*?)\.? (?:peer node id\((?P<other_peer>\d+)\), )?rule\((?P<rule>\d+)\), "
       r"res\((?P<result>-?\d+)\)"),
    _k("uuid_compare", "uuid", "RESYNC/OV", [75],
       r"uuid_compare\((?P<result>-?\d+)\) by rule (?P<rule>\d+)",
       N_("The outcome of the UUID comparison: whether to resync, in which direction, or "
       "that the data diverged.")),
    _k("uuid_compare", "uuid", "STATE", [3],
       r"uuid_compare\((?P<result>-?\d+)\) by rule (?P<rule>\d+)",
       N_("The outcome of the UUID comparison: whether to resync, in which direction, or "
       "that the data diverged.")),
    _k("uuid_unrelated", "uuid", "RESYNC/OV", [85, 86],
       r"(?:Undefined UUID comparison result|The current protocol version does not support)",
       N_("The two nodes' data share no generation (unrelated data) or cannot be compared: "
       "they will not connect.")),
    _k("uuids_updated", "uuid", "UUID", [1],
       rf"(?P<caller>[\w.]+), (?P<text>[^:]*?) ?{UUIDS}",
       N_("This node's UUIDs changed (after a resync finished, or a new data generation).")),
    _k("uuid_received", "uuid", "UUID", [9, 15, 16, 27],
       rf".*(?P<current>{HEX16})",
       N_("A new current UUID came from the peer.")),
    _k("uuid_generated", "uuid", "UUID", [3],
       rf"(?P<caller>[\w.]+), (?P<current>{HEX16}) UUID has been generated",
       N_("This node started a new data generation (it wrote, or became Primary, without "
       "its peer).")),
    # -- bitmap exchange --------------------------------------------------------------
    _k("bitmap_send_start", "bitmap", "RESYNC/OV", [33], r"send_bitmap \((?P<repl>\w+)\)",
       N_("The bitmap of out-of-sync blocks is about to be sent to the peer.")),
    _k("bitmap_stats", "bitmap", "BITMAP", [50],
       r"(?P<direction>send|receive) bitmap stats",
       N_("How large the bitmap transfer was, plain and run-length encoded."),
       r"(?P<direction>send|receive) bitmap stats \[Bytes\(packets\)\]: plain "
       r"(?P<plain_bytes>\d+)\((?P<plain_packets>\d+)\), RLE (?P<rle_bytes>\d+)"
       r"\((?P<rle_packets>\d+)\), total (?P<total>\d+); compression: (?P<compression>[\d.]+)%"),
    _k("bitmap_done_sent", "bitmap", "BITMAP", [52],
       r"Send that bitmap exchange has been completed",
       N_("The sync source tells the target the bitmap exchange is complete.")),
    _k("bitmap_done_received", "bitmap", "BITMAP", [44], r"bitmap exchange complete",
       N_("The sync target heard that the bitmap exchange is complete; the resync can start.")),
    # -- resync and online verify -------------------------------------------------------
    _k("resync_start", "resync", "RESYNC/OV", [144],
       r"Began resync as (?P<role>\w+) \(will sync (?P<kb>\d+) KB \[(?P<bits>\d+) bits set\]\)",
       N_("A resync starts: the sync source sends the blocks the bitmap marks out of sync.")),
    _k("verify_start", "resync", "RESYNC/OV", [27, 32, 60, 150],
       r"Starting Online Verify as (?P<role>\w+)",
       N_("An online verify starts: the nodes compare checksums of their blocks."),
       r"Starting Online Verify as (?P<role>\w+), bitmap[ _]index\((?P<bitmap_index>-?\d+)\) "
       r"start[ _]sector\((?P<start_sector>\d+)\) \(will verify (?P<kb>\d+) KB "
       r"\[(?P<bits>\d+) bits set\]\)"),
    _k("resync_requests_done", "resync", "RESYNC/OV", [107, 109],
       r"(?:Finished the resync|All resync requests have been sent)",
       N_("The sync target has asked for every block it needs.")),
    _k("resync_done", "resync", "RESYNC/OV", [116, 117],
       r"(?:(?P<caller>[\w.]+) => )?(?P<what>Resync|Online verify) done",
       N_("The resync (or verify) finished: total time, time paused and the rate."),
       r"(?:(?P<caller>[\w.]+) => )?(?P<what>Resync|Online verify) done(?P<note>[^(]*?) "
       r"\(total (?P<total_s>\d+) sec; paused (?P<paused_s>\d+) sec; (?P<rate_kps>\d+) K/sec\)"),
    _k("resync_suspended", "resync", "RESYNC/OV", [149], r"Resync suspended",
       N_("The resync paused (by user, peer or a dependency); paused time adds to its length.")),
    _k("resync_resumed", "resync", "RESYNC/OV", [148], r"The resync will resume",
       N_("A paused resync continues from where it stopped.")),
    _k("verify_mismatch", "resync", "RESYNC/OV", [118],
       r"Online verify found (?P<blocks>\d+) (?P<block_kb>\d+)k block out of sync",
       N_("Online verify found blocks that differ between the nodes: they need a resync.")),
)
# fmt: on

BY_NAME: dict[str, Kind] = {}
for _kind in KINDS:
    BY_NAME.setdefault(_kind.name, _kind)


# What uuid_compare(R) means, from the point of view of the node that logged it.
UUID_RESULTS: dict[int, str] = {
    0: N_("no resync: the data are the same"),
    1: N_("resync as SyncSource (bitmap), after a crashed Primary"),
    -1: N_("resync as SyncTarget (bitmap), after a crashed Primary"),
    2: N_("bitmap-based resync as SyncSource"),
    -2: N_("bitmap-based resync as SyncTarget"),
    3: N_("full sync as SyncSource"),
    -3: N_("full sync as SyncTarget"),
    4: N_("resync as SyncSource, with the bitmap copied from another peer"),
    -4: N_("resync as SyncTarget, bitmap cleared (another peer has the same data)"),
    100: N_("split brain: both changed the data; automatic recovery may apply"),
    -100: N_("split brain: both changed the data; disconnect"),
    200: N_("target-only setting: this node may only be SyncSource"),
    -200: N_("target-only setting: this node must be SyncTarget"),
    -1000: N_("unrelated data: the nodes share no data generation"),
}

# Why the rule fired, in words, for the rules the seed explains and their neighbours.
UUID_RULE_REASONS: dict[int, str] = {
    10: N_("both nodes' UUIDs are still in the initial state"),
    20: N_("my UUID is in the initial state, so I take a full sync"),
    30: N_("the peer's UUID is in the initial state, so it takes a full sync from me"),
    38: N_("the peer flagged that it is reconnecting"),
    40: N_("the current UUIDs are the same"),
    50: N_("my current UUID equals the peer's bitmap UUID, so I am SyncTarget"),
    52: N_("my current UUID equals another peer's, so I take my bitmap from it"),
    60: N_("my current UUID is in the peer's history, so I am SyncTarget"),
    70: N_("the peer's current UUID equals my bitmap UUID, so I am SyncSource"),
    72: N_("the peer's current UUID equals another peer's bitmap UUID"),
    80: N_("the peer's current UUID is in my history, so I am SyncSource"),
    90: N_("the bitmap UUIDs are the same: both nodes changed the data"),
    100: N_("the same UUID is in both histories: both nodes changed the data"),
}

# DRBD 8.4's rules where they differ from 9.0's reasons above (drbd_uuid_compare of 8.4).
UUID_84_RULE_REASONS: dict[int, str] = {
    34: N_("I was SyncSource and missed the end of the last resync; corrected myself"),
    35: N_("I was SyncTarget and the peer missed the end of the last resync; corrected it"),
    36: N_("I was SyncSource; the peer failed to write the sync UUID"),
    37: N_("I was SyncTarget and failed to write the sync UUID"),
    40: N_("the current UUIDs are the same; a crashed Primary decides"),
    41: N_("the current UUIDs are the same and a Primary is present"),
    51: N_("my current UUID is the peer's first history UUID: its last sync UUID was lost"),
    71: N_("the peer's current UUID is my first history UUID: my last sync UUID was lost"),
}
UNRELATED_REASON = N_(
    "no UUID of one node is in the other's history: the data are unrelated (another disk, "
    "or created anew on both)"
)


def rule_reason(rule: int | None, result: int | None, dialect: str | None = None) -> str | None:
    """Why ``uuid_compare`` chose ``result`` by ``rule``, for the version that wrote it:
    rule 100 is a split brain when a UUID is in both histories and unrelated data
    (-1000) when none is."""
    if result == -1000:
        return UNRELATED_REASON
    if dialect == "8.4" and rule in UUID_84_RULE_REASONS:
        return UUID_84_RULE_REASONS[rule]
    return UUID_RULE_REASONS.get(rule) if rule is not None else None


SPLIT_BRAIN_RESULTS = {100, -100}
# Read-only status queries (GET_INITIAL_STATE, ...) that monitoring issues every few
# seconds: counted, not listed one by one, in summary.json and the report.
STATUS_POLL_PREFIX = "GET_"


def uuid_meaning(result: int | None) -> Msg:
    """What ``uuid_compare(R)`` means for the node that logged it (a message: English in
    JSON, the reader's language where shown)."""
    if result is None:
        return Msg("unknown")
    if result < -1000:
        return Msg("the comparison needs protocol {protocol} or newer", protocol=-result - 1000)
    if result in UUID_RESULTS:
        return Msg(UUID_RESULTS[result])
    return Msg("result {result} (not documented)", result=result)


def results_mirror(a: int | None, b: int | None) -> bool:
    """Do two nodes' results of one handshake agree (2 with -2, 0 with 0, ...)?"""
    if a is None or b is None:
        return True
    if a in SPLIT_BRAIN_RESULTS and b in SPLIT_BRAIN_RESULTS:
        return True
    if a == b == -1000:
        return True
    return a == -b
