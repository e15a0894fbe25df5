"""Render, words: an episode told in a few plain-English sentences for the report.

Each sentence starts with its aligned time and says who did what and why it matters:
commands, 2PC outcomes, UUID decisions with their rule, bitmaps, resync roles and results,
role and connection changes. Built from the same matched records the diagrams draw,
restricted to the episode's window and nodes; returned as plain text (the report escapes
it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import content
from ..catalog import UUID_RULE_REASONS, uuid_meaning
from ..content import Beat
from ..episodes import Episode
from ..times import fmt_ns

if TYPE_CHECKING:
    from ..analysis import Analysis

MAX_SENTENCES = 14


def _hms(ns: int) -> str:
    return (fmt_ns(ns) or "")[11:22]  # HH:MM:SS.ff is enough to read; the table has all


def _reason(rule: int | str | None, text: str | None) -> str:
    found = UUID_RULE_REASONS.get(rule) if isinstance(rule, int) else None
    return found or text or "no rule text"


def tell(analysis: Analysis, episode: Episode) -> list[str]:
    """Sentences, in time order, of what happened in ``episode``."""
    cl = analysis.cluster
    said: list[tuple[int, int, str]] = []

    def say(t: int, text: str) -> None:
        said.append((t, len(said), f"{_hms(t)} {text}"))

    beats = content.collect(analysis, episode)
    # Commands: one sentence a node (an `up` is six of them).
    commands: dict[str, list[Beat]] = {}
    for b in beats:
        if b.what == "command":
            commands.setdefault(b.node, []).append(b)
    for node, cmds in commands.items():
        open_ = [b.record.command for b in cmds if b.record.done is None]
        names = ", ".join(b.record.command for b in cmds[:8]) + (" ..." if len(cmds) > 8 else "")
        state = (
            "all terminated"
            if not open_
            else f"{', '.join(open_)} never terminated, so the command hung"
        )
        say(cmds[0].ns, f"{node} ran {len(cmds)} bsradm/bsrsetup command(s) ({names}): {state}.")
    for b in beats:
        r, node, t = b.record, b.node, b.ns
        if b.what == "landmark" and r.kind == "driver_loaded":
            product = cl.node(node).identity.product
            say(t, f"{node}: {product} driver {r.detail.get('version') or ''} loaded.")
        elif b.what == "handshake":
            peer = cl.name_of(r.resource, r.peer_id, r.peer_host) or r.peer_id
            say(t, f"{node} completed the handshake with {peer} (protocol {r.protocol}).")
        elif b.what == "decision" and r.result is not None:
            peer = cl.name_of(r.resource, r.peer, r.peer_host) or r.peer
            say(
                t,
                f"{node} compared UUIDs with {peer}: rule {r.rule_name or r.rule} "
                f"({_reason(r.rule, r.rule_text)}) gave "
                + (
                    f"uuid_compare()={r.result_name}"
                    if r.result_name
                    else f"uuid_compare({r.result})"
                )
                + f": {uuid_meaning(r.result)}.",
            )
        elif b.what == "bitmap":
            peer = cl.name_of(r.resource, r.peer, r.peer_host) or r.peer
            say(
                t,
                f"{node} sent its bitmap to {peer}: {r.sent.total} bytes "
                f"(RLE {r.sent.rle_bytes}, plain {r.sent.plain_bytes}).",
            )
        elif b.what == "state":
            if r.failed:
                say(t, f"{node}: {r.what} change {r.old} -> {r.new} FAILED.")
            elif r.what == "role":
                say(t, f"{node} became {r.new} (was {r.old}).")
            elif r.what == "conn" and r.new in ("StandAlone", "Connecting", "NetworkFailure"):
                say(t, f"{node}: connection {r.old} -> {r.new}.")
            elif r.what == "repl" and r.new == "Established" and r.old != "Established":
                peer = cl.name_of(r.resource, r.peer, r.peer_host) or r.peer
                say(t, f"{node}: replication Established with {peer}.")
        elif b.what == "twopc":
            what = ", ".join(f"{k} {v}" for k, v in r.changes.items()) or "a state change"
            took = f" in {r.duration_ms:.1f} ms" if r.duration_ms is not None else ""
            say(t, f"2PC {r.tid} from {r.initiator} ({what}): {r.outcome}{took}.")
        elif b.what == "resync":
            say(t, _resync(r))
    said.sort()
    text = [s for _, _, s in said]
    if len(text) > MAX_SENTENCES:
        more = len(text) - MAX_SENTENCES
        text = [*text[:MAX_SENTENCES], f"... and {more} more (see the diagram and the timeline)."]
    return text


def _resync(r) -> str:
    kb = f"{r.kb} KB" if r.kb is not None else "an unlogged amount"
    done = next((s for s in r.sides if s.total_s is not None), None)
    if r.outcome == "done":
        tail = f"finished in {done.total_s} s" if done else "finished"
    elif r.outcome == "running":
        tail = "was still running when the log ends"
    else:
        tail = "was broken before it finished"
    if r.kind != "resync":
        return f"online verify {r.source} -> {r.target}: {r.outcome}."
    return f"{r.source} (SyncSource) resynced {kb} to {r.target} (SyncTarget): {tail}."
