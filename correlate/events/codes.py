"""The protocol's numbers, decoded: state-change return values (``rv = -23``) and a
two-phase commit's ``(A->B mask/val)``, as DRBD 9 and BSR define them (``enum
drbd_state_rv`` / ``enum bsr_state_rv`` and ``union drbd_state`` in their headers; the
numbers are the protocol's, the words here are bsrcorr's own).

Used by the protocol stage (a 2PC's requested change) and by every renderer that shows
an ``rv``; both the number and the name go into ``summary.json``.
"""

from __future__ import annotations

from correlate.i18n import N_, Msg

# rv -> (DRBD's name, what it means). Shared by DRBD 9 and BSR up to -25.
RV: dict[int, tuple[str, str]] = {
    -1: ("SS_TWO_PRIMARIES", N_("the configuration allows only one Primary")),
    -2: ("SS_NO_UP_TO_DATE_DISK", N_("no node with UpToDate data is reachable")),
    -4: ("SS_NO_LOCAL_DISK", N_("no local disk to resync with")),
    -5: ("SS_NO_REMOTE_DISK", N_("the peer has no disk to resync with")),
    -6: ("SS_CONNECTED_OUTDATES", N_("a connected node refuses to be Outdated")),
    -7: ("SS_PRIMARY_NOP", N_("refused to become Primary while the peer is not Outdated")),
    -8: ("SS_RESYNC_RUNNING", N_("a resync or online verify is already running")),
    -9: ("SS_ALREADY_STANDALONE", N_("the connection is already StandAlone")),
    -10: ("SS_CW_FAILED_BY_PEER", N_("a peer refused the cluster-wide state change")),
    -11: ("SS_IS_DISKLESS", N_("the device is diskless and the operation needs a disk")),
    -12: ("SS_DEVICE_IN_USE", N_("the device is held open")),
    -13: ("SS_NO_NET_CONFIG", N_("no network configuration")),
    -14: ("SS_NO_VERIFY_ALG", N_("online verify needs a verify algorithm")),
    -15: ("SS_NEED_CONNECTION", N_("the operation needs a connection")),
    -16: ("SS_LOWER_THAN_OUTDATED", N_("the disk is worse than Outdated")),
    -17: ("SS_NOT_SUPPORTED", N_("the peer does not support it")),
    -18: ("SS_IN_TRANSIENT_STATE", N_("a state change is in progress: retry after it")),
    -19: ("SS_CONCURRENT_ST_CHG", N_("another cluster-wide state change ran at the same time")),
    -20: ("SS_O_VOL_PEER_PRI", N_("another volume is Primary on the peer")),
    -21: ("SS_INTERRUPTED", N_("the state change was interrupted")),
    -22: ("SS_PRIMARY_READER", N_("a peer may not become Primary while opened read-only")),
    -23: ("SS_TIMEOUT", N_("timed out waiting for the peers' replies (twopc-timeout)")),
    -24: ("SS_WEAKLY_CONNECTED", N_("Primary nodes must be connected to each other")),
    -25: ("SS_NO_QUORUM", N_("no quorum")),
}
# BSR's own codes past DRBD's common ones (bsr-headers' enum bsr_state_rv).
RV_BSR: dict[int, tuple[str, str]] = {
    -27: ("SS_TARGET_DISK_TOO_SMALL", N_("the sync target's disk is too small")),
    -28: ("SS_CONNECTED_DISKLESS", N_("refused while connected to a diskless node")),
    -29: ("SS_LOWER_THAN_OUTDATED_PEER", N_("the peer's disk is worse than Outdated")),
    -30: ("SS_BARRIER_ACK_PENDING_TIMEOUT", N_("timed out waiting for barrier acks")),
    -31: ("SS_RESYNC_REPLY_DATA_PENDING_TIMEOUT", N_("timed out waiting for resync replies")),
}


def rv_name(rv: int | None, product: str | None = None) -> tuple[str, str] | None:
    """(name, meaning) of a state-change return value, or None when bsrcorr does not
    know it (it is then shown as the number alone)."""
    if rv is None:
        return None
    if product == "BSR" and rv in RV_BSR:
        return RV_BSR[rv]
    return RV.get(rv)


def rv_msg(rv: int, product: str | None = None) -> Msg:
    """``rv -23 (SS_TIMEOUT: timed out waiting for the peers' replies)``, in the
    reader's language; the number alone when bsrcorr does not know it."""
    known = rv_name(rv, product)
    if known is None:
        return Msg("rv {rv}", rv=rv)
    name, meaning = known
    return Msg("rv {rv} ({name}: {meaning})", rv=rv, name=name, meaning=Msg(meaning))


# union drbd_state: (field, first bit, width, state names by value).
ROLES = ("Unknown", "Primary", "Secondary")
CONNS = (
    "StandAlone", "Disconnecting", "Unconnected", "Timeout", "BrokenPipe",
    "NetworkFailure", "ProtocolError", "TearDown", "Connecting", "Connected",
)  # fmt: skip
DISKS = (
    "Diskless", "Attaching", "Detaching", "Failed", "Negotiating", "Inconsistent",
    "Outdated", "DUnknown", "Consistent", "UpToDate",
)  # fmt: skip
UNION_FIELDS: tuple[tuple[str, int, int, tuple[str, ...] | None], ...] = (
    ("role", 0, 2, ROLES),
    ("peer", 2, 2, ROLES),
    ("conn", 4, 5, CONNS),
    ("disk", 9, 4, DISKS),
    ("pdsk", 13, 4, DISKS),
    ("susp", 17, 1, None),
    ("aftr_isp", 18, 1, None),
    ("peer_isp", 19, 1, None),
    ("user_isp", 20, 1, None),
)


def requested(mask: int | None, val: int | None) -> dict[str, str]:
    """The change a 2PC's ``mask/val`` asks for, field by field as DRBD names them
    (``(0->1 499/146)``: ``role( Secondary ) conn( Connected )``); a value with no name
    is kept as its number."""
    if mask is None or val is None:
        return {}
    out: dict[str, str] = {}
    for name, shift, width, names in UNION_FIELDS:
        bits = (1 << width) - 1
        if (mask >> shift) & bits != bits:
            continue
        value = (val >> shift) & bits
        if names is None:
            out[name] = "yes" if value else "no"
        else:
            out[name] = names[value] if value < len(names) else str(value)
    return out
