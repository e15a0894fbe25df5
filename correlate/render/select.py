"""Render, diagram selection: which episodes get a sequence diagram, and why the others
do not.

``--diagrams auto`` (the default) draws every episode of a capture with at most
:data:`AUTO_ALL` of them. Above that it draws the episodes a reader opens first:

* every episode holding a finding's line (in its time window, on one of its nodes, of a
  resource it covers), or a split brain; of a finding about repetition itself
  (connection flapping), only its first and last line count;
* every resync (an episode whose ``detail`` has ``resync``), every role change, and every
  episode with a command that never finished;
* of the rest (the routine ones), the first and the last of each kind in each resource;

and says of each one left out why (``routine connect r0, 1 of 412 alike``). The
rule reads only the episodes and the findings, so it is tested on hand-built ones.

Reasons are :class:`~correlate.i18n.Msg` (shown in the reader's language); how much a
drawn episode matters (``Selection.rank``) is kept beside them as a number, so nothing
decides by reading the words.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from correlate.i18n import N_, Join, Msg
from correlate.story.episodes import KIND_WORDS

if TYPE_CHECKING:
    from correlate.model import Clock
    from correlate.story.episodes import Episode
    from correlate.story.findings import Finding

MODES = ("auto", "all", "overview", "none")
AUTO_ALL = 200  # at most this many episodes: auto draws them all
# Findings about a repetition itself (many connects in a short window): the episodes of
# its first and last line stand for the rest, else a flapping capture draws every one.
PATTERN_FINDINGS = {"connection_flapping"}
# How much a drawn episode matters when not all can be listed (the overview's bands):
# lowest first.
RANK_NOTABLE = 0  # a finding, a split brain or an unfinished command
RANK_CHANGE = 1  # a resync or a role change (and every episode under --diagrams all)
RANK_ROUTINE = 2  # the first or last routine episode of its kind
N_FIRST = N_("the first routine {group} of {count}")
N_LAST = N_("the last routine {group} of {count}")


@dataclass
class Selection:
    """Which episodes to draw (``drawn``, slugs), why each is (``why``) and how much it
    matters (``rank``, lowest first), and why each other one is not (``left_out``: slug
    -> reason), in episode order."""

    mode: str
    total: int
    drawn: list[str] = field(default_factory=list)
    why: dict[str, Msg | Join] = field(default_factory=dict)  # drawn slug -> reason kept
    rank: dict[str, int] = field(default_factory=dict)  # drawn slug -> RANK_*
    left_out: dict[str, Msg] = field(default_factory=dict)
    # auto: routine kind ("connect r0") -> how many of it were left out
    left_out_kinds: dict[str, int] = field(default_factory=dict)


def group_of(ep: Episode) -> str:
    """The routine kind an episode is alike with others in: kind and resource(s), in
    English (a key of summary.json's ``left_out_routine``)."""
    res = ep.resource or ", ".join(ep.resources)
    return f"{ep.kind} {res}" if res else ep.kind


def group_msg(ep: Episode) -> Msg:
    """:func:`group_of` for a reader: the kind in the reader's language."""
    res = ep.resource or ", ".join(ep.resources)
    kind = Msg(KIND_WORDS.get(ep.kind, ep.kind))
    return Msg("{kind} {resources}", kind=kind, resources=res) if res else kind


Point = tuple[int, str, "str | None", str]  # aligned time, node, resource, finding kind


def finding_points(findings: list[Finding], clock: Clock) -> list[Point]:
    """Each finding line as (aligned time, node, the finding's resource, its kind),
    time-sorted; a finding without lines stands at its own time and node."""
    points: list[Point] = []
    for f in findings:
        mine = [
            (t, ref.node, f.resource, f.kind) for ref in f.lines if (t := clock.at(ref)) is not None
        ]
        if f.kind in PATTERN_FINDINGS and len(mine) > 2:
            mine.sort(key=lambda p: (p[0], p[1]))
            mine = [mine[0], mine[-1]]
        if not mine and f.time_ns is not None and f.node is not None:
            mine = [(f.time_ns, f.node, f.resource, f.kind)]
        points.extend(mine)
    points.sort(key=lambda p: (p[0], p[1], p[2] or "", p[3]))
    return points


def notable(ep: Episode, points: list[Point], times: list[int]) -> tuple[Join | None, int]:
    """Why an episode is drawn whatever the count (None when it is routine): every
    reason that holds, most telling first; and its rank (``RANK_*``)."""
    lo = bisect.bisect_left(times, ep.start_ns)
    hi = bisect.bisect_right(times, ep.end_ns)
    kinds = sorted({k for _, node, res, k in points[lo:hi] if node in ep.nodes and ep.covers(res)})
    reasons: list[Msg] = []
    rank = RANK_CHANGE
    if "split_brain" in kinds:
        reasons.append(Msg("a split brain"))
        kinds.remove("split_brain")
        rank = RANK_NOTABLE
    if kinds:
        # finding kinds are names of summary.json, not words: they stay as they are
        reasons.append(Msg("a finding ({kinds})", kinds=", ".join(kinds)))
        rank = RANK_NOTABLE
    if ep.detail.get("resync"):
        reasons.append(Msg("a resync"))
    if ep.kind == "role change":
        reasons.append(Msg("a role change"))
    # up: all_terminated; down and a role command without a role change: terminated
    d = ep.detail
    if d.get("all_terminated") is False or d.get("terminated") is False:
        reasons.append(Msg("an unfinished command"))
        rank = RANK_NOTABLE
    return (Join("; ", reasons), rank) if reasons else (None, RANK_ROUTINE)


def select(episodes: list[Episode], findings: list[Finding], clock: Clock, mode: str) -> Selection:
    """The episodes ``mode`` draws: ``all``, ``overview``/``none`` (none), or ``auto``."""
    if mode not in MODES:
        raise ValueError(f"diagram mode {mode!r}: one of {', '.join(MODES)}")
    sel = Selection(mode, len(episodes))
    if mode in ("overview", "none"):
        sel.left_out = {e.slug: Msg("--diagrams {mode}", mode=mode) for e in episodes}
        return sel
    if mode == "all" or len(episodes) <= AUTO_ALL:
        sel.drawn = [e.slug for e in episodes]
        sel.why = {e.slug: Msg("every episode") for e in episodes}
        sel.rank = dict.fromkeys(sel.drawn, RANK_CHANGE)
        return sel
    points = finding_points(findings, clock)
    times = [p[0] for p in points]
    routine: dict[str, list[Episode]] = defaultdict(list)
    kept: dict[str, tuple[Msg | Join, int]] = {}
    for e in episodes:
        why, rank = notable(e, points, times)
        if why is not None:
            kept[e.slug] = (why, rank)
        else:
            routine[group_of(e)].append(e)
    for group, members in routine.items():
        ends = {
            members[0].slug: N_FIRST,
            members[-1].slug: N_LAST,
        }
        alike = len(members)
        named = group_msg(members[0])
        for e in members:
            if e.slug in ends:
                kept[e.slug] = (Msg(ends[e.slug], group=named, count=alike), RANK_ROUTINE)
            else:
                sel.left_out[e.slug] = Msg(
                    "routine {group}, 1 of {count} alike", group=named, count=alike
                )
                sel.left_out_kinds[group] = sel.left_out_kinds.get(group, 0) + 1
    sel.drawn = [e.slug for e in episodes if e.slug in kept]
    sel.why = {s: kept[s][0] for s in sel.drawn}
    sel.rank = {s: kept[s][1] for s in sel.drawn}
    return sel
