"""Render, words: an episode told in a few plain-English sentences for the report.

Each sentence starts with its aligned time and says who did what and why it matters:
commands, 2PC outcomes, UUID decisions with their rule, bitmaps, resync roles and results,
role and connection changes. Built from the same matched records the diagrams draw,
restricted to the episode's window and nodes; returned as plain text (the report escapes
it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..catalog import UUID_RULE_REASONS, uuid_meaning
from ..episodes import Episode
from ..model import Ref
from ..times import fmt_ns

if TYPE_CHECKING:
    from ..model import Analysis

MAX_SENTENCES = 14


def _hms(ns: int) -> str:
    return (fmt_ns(ns) or "")[11:22]  # HH:MM:SS.ff is enough to read; the table has all


def _twopc_refs(r) -> list:
    return [x for s in r.sides for x in (s.prepare, s.commit, s.abort)]


def _reason(rule: int | str | None, text: str | None) -> str:
    found = UUID_RULE_REASONS.get(rule) if isinstance(rule, int) else None
    return found or text or "no rule text"


def tell(analysis: Analysis, episode: Episode) -> list[str]:
    """Sentences, in time order, of what happened in ``episode``."""
    cl = analysis.cluster
    win = analysis.windows
    at = win.at
    nodes = set(episode.nodes)
    lo, hi = episode.start_ns, episode.end_ns

    def within(items, refs, resource=lambda x: x.resource):
        # Only this episode's resource (and the node's own lines): a busy cluster runs
        # several resources at once, and their stories must not mix.
        return [x for x in win.within(items, refs, lo, hi) if episode.covers(resource(x))]

    said: list[tuple[int, int, str]] = []

    def inside(ref: Ref | None) -> int | None:
        t = at(ref)
        if t is None or ref is None or ref.node not in nodes or not lo <= t <= hi:
            return None
        return t

    def say(t: int | None, text: str) -> None:
        if t is not None:
            said.append((t, len(said), f"{_hms(t)} {text}"))

    for ev in cl.nodes:
        if ev.name not in nodes:
            continue
        for lm in within(ev.landmarks, lambda lm: [lm.ref]):
            if lm.kind == "driver_loaded":
                version = lm.detail.get("version")
                say(inside(lm.ref), f"{ev.name}: BSR driver {version or ''} loaded.")
        cmds = [
            c
            for c in within(ev.netlink, lambda c: [c.received], lambda c: None)
            if inside(c.received) is not None
            and (not c.resources or any(episode.covers(x) for x in c.resources))
        ]
        if cmds:
            open_ = [c.command for c in cmds if c.done is None]
            names = ", ".join(c.command for c in cmds[:8]) + (" ..." if len(cmds) > 8 else "")
            state = (
                "all terminated"
                if not open_
                else f"{', '.join(open_)} never terminated, so the command hung"
            )
            say(
                inside(cmds[0].received),
                f"{ev.name} ran {len(cmds)} bsradm/bsrsetup command(s) ({names}): {state}.",
            )
        for h in within(ev.handshakes, lambda h: [h.ref]):
            say(
                inside(h.ref),
                f"{ev.name} completed the handshake with "
                f"{cl.name_of(h.resource, h.peer_id, h.peer_host) or h.peer_id}"
                f" (protocol {h.protocol}).",
            )
        for d in within(ev.decisions, lambda d: [d.compare or d.start]):
            if d.result is None:
                continue
            reason = _reason(d.rule, d.rule_text)
            say(
                inside(d.compare or d.start),
                f"{ev.name} compared UUIDs with "
                f"{cl.name_of(d.resource, d.peer, d.peer_host) or d.peer}: rule "
                f"{d.rule} ({reason}) gave uuid_compare({d.result}): {uuid_meaning(d.result)}.",
            )
        for b in within(ev.bitmaps, lambda b: [b.sent.ref if b.sent else None]):
            if b.sent is not None:
                say(
                    inside(b.sent.ref),
                    f"{ev.name} sent its bitmap to "
                    f"{cl.name_of(b.resource, b.peer, b.peer_host) or b.peer}: "
                    f"{b.sent.total} bytes (RLE {b.sent.rle_bytes}, plain {b.sent.plain_bytes}).",
                )
        for ch in within(ev.state_changes, lambda ch: [ch.ref]):
            if ch.failed:
                say(inside(ch.ref), f"{ev.name}: {ch.what} change {ch.old} -> {ch.new} FAILED.")
            elif ch.what == "role":
                say(inside(ch.ref), f"{ev.name} became {ch.new} (was {ch.old}).")
            elif ch.what == "conn" and ch.new in ("StandAlone", "Connecting", "NetworkFailure"):
                say(inside(ch.ref), f"{ev.name}: connection {ch.old} -> {ch.new}.")
            elif ch.what == "repl" and ch.new == "Established" and ch.old != "Established":
                peer = cl.name_of(ch.resource, ch.peer, ch.peer_host) or ch.peer
                say(inside(ch.ref), f"{ev.name}: replication Established with {peer}.")
    for r in within(cl.twopc, _twopc_refs):
        refs = [x for x in _twopc_refs(r) if x is not None]
        times = [t for t in (inside(x) for x in refs) if t is not None]
        if not times:
            continue
        what = ", ".join(f"{k} {v}" for k, v in r.changes.items()) or "a state change"
        took = f" in {r.duration_ms:.1f} ms" if r.duration_ms is not None else ""
        say(min(times), f"2PC {r.tid} from {r.initiator} ({what}): {r.outcome}{took}.")
    for r in within(cl.resyncs, lambda r: [s.start for s in r.sides]):
        starts = [t for t in (inside(s.start) for s in r.sides) if t is not None]
        if not starts:
            continue
        kb = f"{r.kb} KB" if r.kb is not None else "an unlogged amount"
        done = next((s for s in r.sides if s.total_s is not None), None)
        if r.outcome == "done":
            tail = f"finished in {done.total_s} s" if done else "finished"
        elif r.outcome == "running":
            tail = "was still running when the log ends"
        else:
            tail = "was broken before it finished"
        say(
            min(starts),
            f"{r.source} (SyncSource) resynced {kb} to {r.target} (SyncTarget): {tail}."
            if r.kind == "resync"
            else f"online verify {r.source} -> {r.target}: {r.outcome}.",
        )
    said.sort()
    text = [s for _, _, s in said]
    if len(text) > MAX_SENTENCES:
        more = len(text) - MAX_SENTENCES
        text = [*text[:MAX_SENTENCES], f"... and {more} more (see the diagram and the timeline)."]
    return text
