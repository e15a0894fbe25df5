"""The words bsrcorr's records and outputs share, each spelled once.

``StrEnum`` members are strings: they compare equal to their spelling and JSON writes
them as it (``"timed out"``), so summary.json and alignment.json are unchanged; the code
names them instead of repeating the string. Every stage may import this module.
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """How a two-phase commit ended (``TwopcRecord.outcome``)."""

    COMMITTED = "committed"
    ABORTED = "aborted"
    TIMED_OUT = "timed out"
    INCOMPLETE = "incomplete"  # no node's line proves any outcome


class ResyncOutcome(StrEnum):
    """How a resync or online-verify session ended."""

    DONE = "done"
    RUNNING = "running"  # still running when the log ends
    BROKEN = "broken"  # cut short by a disconnect, detach or failure


class TwopcRole(StrEnum):
    """A node's side of a 2PC."""

    INITIATOR = "initiator"
    PARTICIPANT = "participant"


class SyncRole(StrEnum):
    """A node's end of a resync (DRBD's replication states)."""

    SOURCE = "SyncSource"
    TARGET = "SyncTarget"
    VERIFY_SOURCE = "VerifyS"
    VERIFY_TARGET = "VerifyT"
    UNKNOWN = "unknown"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class DiagramMode(StrEnum):
    """``--diagrams``."""

    AUTO = "auto"
    ALL = "all"
    OVERVIEW = "overview"
    NONE = "none"


class Basis(StrEnum):
    """What a clock segment's offset stands on (alignment.json ``basis``)."""

    REFERENCE = "reference"
    EVIDENCE = "2pc/bitmap"
    HANDSHAKE = "handshake"
    MANUAL = "manual"
    CARRIED = "carried"
    UNALIGNED = "unaligned"
