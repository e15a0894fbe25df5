"""Object prefixes, shared by stage 1's two readers (``parse`` for BSR's own log,
``kernlog`` for DRBD and WinDRBD kernel logs): the patterns of the text a message begins
with to name the object it is about. No frame of its own; both readers apply these
patterns once per distinct prefix.

BSR kept DRBD's prefix shapes and renamed the word (``bsr r0/0 bsr2 peer: `` is DRBD's
``drbd r0/0 drbd2 peer: ``), so one set of patterns serves both, built for the word.
Windows style carries the object's states in the prefix (BSR on Windows, WinDRBD);
Linux style names the objects only. Digits are ASCII: a volume, minor or node id is
never written in other scripts, and a prefix holding such digits is message text.

Groups, the same in both readers:

=================  ===========================================================
``w_peer_device``  resource, volume, minor, peer id, states
``w_device``       resource, volume, minor, states
``w_connection``   resource, peer id, states
``w_resource``     resource, states
``l_peer_device``  resource, volume, minor, peer host
``l_device``       resource, volume, minor
``l_connection``   resource, peer host
``l_resource``     resource
=================  ===========================================================
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

_HEX = r"0x[0-9A-Fa-f]+"
I32_MAX = 2**31 - 1


@dataclass(frozen=True)
class PrefixPatterns:
    """The prefix patterns for one driver word (``bsr`` or ``drbd``), unanchored at the
    end: ``match`` finds a prefix at a message's start, ``fullmatch`` tests a cut one."""

    w_peer_device: re.Pattern[str]
    w_device: re.Pattern[str]
    w_connection: re.Pattern[str]
    w_resource: re.Pattern[str]
    l_peer_device: re.Pattern[str]
    l_device: re.Pattern[str]
    l_connection: re.Pattern[str]
    l_resource: re.Pattern[str]


@cache
def prefix_patterns(word: str) -> PrefixPatterns:
    """The patterns of ``word``'s prefixes; ``word`` is a literal (``bsr``, ``drbd``)."""
    w = re.escape(word)
    return PrefixPatterns(
        w_peer_device=re.compile(
            rf"^{w} (\S+?)/([0-9]+) minor ([0-9]+) pnode-id:(-?[0-9]+), "
            rf"(pdsk\(\w*\), prpl\(\w*\), pdvflag\({_HEX}\)) ?: "
        ),
        w_device=re.compile(
            rf"^{w} (\S+?)/([0-9]+) minor ([0-9]+), (ds\(\w*\), dvflag\({_HEX}\)) ?: "
        ),
        w_connection=re.compile(
            rf"^{w} (\S+?) pnode-id:(-?[0-9]+), "
            rf"(cs\(\w*\), prole\(\w*\), cflag\({_HEX}\)(?:, scf\({_HEX}\))?) ?: "
        ),
        # WDRBD, BSR's predecessor, writes no scf( ) and a blank before the colon.
        w_resource=re.compile(rf"^{w} (\S+?), (r\(\w*\), f\({_HEX}\)(?:, scf\({_HEX}\))?) ?: "),
        l_peer_device=re.compile(rf"^{w} (\S+)/([0-9]+) {w}([0-9]+) (\S+): "),
        l_device=re.compile(rf"^{w} (\S+)/([0-9]+) {w}([0-9]+): "),
        l_connection=re.compile(rf"^{w} (\S+) (\S+): "),
        l_resource=re.compile(rf"^{w} (\S+): "),
    )


def i32(digits: str) -> int | None:
    """A volume, minor or node id from a prefix; one too large for the column is unknown."""
    value = int(digits)
    return value if -I32_MAX <= value <= I32_MAX else None


def match_object(
    p: PrefixPatterns, cand: str, *, whole: bool
) -> tuple[str, str, int, dict[str, object]] | None:
    """The first of the six shapes every reader tries, in the same order (the Windows
    shapes hold states no Linux one does): ``(object, style, end, fields)`` with
    ``style`` ``windows`` or ``linux``, ``end`` where the prefix ends, ``fields`` the
    object columns the prefix names. ``whole``: ``cand`` must be the prefix exactly
    (else it may go on with the message). ``None``: none of the six; a reader then
    tries its own (a connection or resource named by Linux style alone, 8.4's forms)."""
    find: Callable[[re.Pattern[str]], re.Match[str] | None] = (
        (lambda r: r.fullmatch(cand)) if whole else (lambda r: r.match(cand))
    )
    if m := find(p.w_peer_device):
        return "peer_device", "windows", m.end(), {
            "resource": m[1], "volume": i32(m[2]), "minor": i32(m[3]),
            "peer_id": i32(m[4]), "object_state": m[5],
        }  # fmt: skip
    if m := find(p.w_device):
        return "device", "windows", m.end(), {
            "resource": m[1], "volume": i32(m[2]), "minor": i32(m[3]), "object_state": m[4],
        }  # fmt: skip
    if m := find(p.w_connection):
        return "connection", "windows", m.end(), {
            "resource": m[1], "peer_id": i32(m[2]), "object_state": m[3],
        }  # fmt: skip
    if m := find(p.w_resource):
        return "resource", "windows", m.end(), {"resource": m[1], "object_state": m[2]}
    if m := find(p.l_peer_device):
        return "peer_device", "linux", m.end(), {
            "resource": m[1], "volume": i32(m[2]), "minor": i32(m[3]), "peer_host": m[4],
        }  # fmt: skip
    if m := find(p.l_device):
        return "device", "linux", m.end(), {
            "resource": m[1], "volume": i32(m[2]), "minor": i32(m[3]),
        }  # fmt: skip
    return None
