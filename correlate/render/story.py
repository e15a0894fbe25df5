"""Render, words: an episode told in a few plain-English sentences for the report.

Each sentence starts with its aligned time and says who did what and why it matters:
commands, 2PC outcomes, UUID decisions with their rule, bitmaps, resync roles and results,
role and connection changes. Built from the same matched records the diagrams draw,
restricted to the episode's window and nodes; returned as plain text (the report escapes
it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from correlate.events.catalog_bsr import uuid_meaning
from correlate.i18n import N_, UNKNOWN_NODE, UNNAMED_PEER, _, text
from correlate.render.text import OUTCOME_WORDS
from correlate.story.content import (
    BitmapBeat,
    CommandBeat,
    DecisionBeat,
    HandshakeBeat,
    LandmarkBeat,
    ResyncBeat,
    StateBeat,
    TwopcBeat,
)
from correlate.story.episodes import Episode
from correlate.times import fmt_ns
from correlate.vocab import ResyncOutcome

if TYPE_CHECKING:
    from correlate.analysis import Analysis

MAX_SENTENCES = 14


def _hms(ns: int) -> str:
    return (fmt_ns(ns) or "")[11:22]  # HH:MM:SS.ff is enough to read; the table has all


def _reason(decision) -> str:
    found = decision.reason
    return _(found) if found else decision.rule_text or _("no rule text")


def _compared(d) -> str:
    """``uuid_compare()=no-sync``, or the number as the line wrote it."""
    if d.logged_result is not None:
        return f"uuid_compare()={d.logged_result} ({d.result_name})"
    return f"uuid_compare()={d.result_name}" if d.result_name else f"uuid_compare({d.result})"


def _state(say, cl, t: int, node: str, r) -> None:
    """A state change's sentence, for the changes a story tells."""
    if r.failed:
        say(
            t,
            "{node}: {what} change {old} -> {new} FAILED.",
            node=node, what=r.what, old=r.old, new=r.new,
        )  # fmt: skip
    elif r.what == "role":
        say(t, "{node} became {new} (was {old}).", node=node, new=r.new, old=r.old)
    elif r.what == "conn" and r.new in ("StandAlone", "Connecting", "NetworkFailure"):
        say(t, "{node}: connection {old} -> {new}.", node=node, old=r.old, new=r.new)
    elif r.what == "repl" and r.new == "Established" and r.old != "Established":
        peer = cl.name_of(r.resource, r.peer, r.peer_host) or _(UNNAMED_PEER)
        say(t, "{node}: replication Established with {peer}.", node=node, peer=peer)


def tell(analysis: Analysis, episode: Episode) -> list[str]:
    """Sentences, in time order, of what happened in ``episode``, in the reader's language
    (log text and protocol names stay as the log wrote them)."""
    cl = analysis.cluster
    said: list[tuple[int, int, str]] = []

    def say(t: int, sentence: str, **values: object) -> None:
        said.append((t, len(said), f"{_hms(t)} {_(sentence).format(**values)}"))

    beats = analysis.beats(episode)
    # Commands: one sentence a node (an `up` is six of them).
    commands: dict[str, list[CommandBeat]] = {}
    for b in beats:
        if isinstance(b, CommandBeat):
            commands.setdefault(b.node, []).append(b)
    for node, cmds in commands.items():
        open_ = [b.command.command for b in cmds if b.command.done is None]
        names = ", ".join(b.command.command for b in cmds[:8]) + (" ..." if len(cmds) > 8 else "")
        if not open_:
            say(
                cmds[0].ns,
                "{node} ran {count} bsradm/bsrsetup command(s) ({names}): all terminated.",
                node=node, count=len(cmds), names=names,
            )  # fmt: skip
        else:
            say(
                cmds[0].ns,
                "{node} ran {count} bsradm/bsrsetup command(s) ({names}): {open} never "
                "terminated, so the command hung.",
                node=node, count=len(cmds), names=names, open=", ".join(open_),
            )  # fmt: skip
    for b in beats:
        node, t = b.node, b.ns
        match b:
            case LandmarkBeat(landmark=r, end=False) if r.kind == "driver_loaded":
                say(
                    t,
                    "{node}: {product} driver {version} loaded.",
                    node=node,
                    product=cl.node(node).identity.product,
                    version=r.detail.get("version") or "",
                )
            case HandshakeBeat(handshake=r):
                peer = cl.name_of(r.resource, r.peer_id, r.peer_host) or _(UNNAMED_PEER)
                say(
                    t,
                    "{node} completed the handshake with {peer} (protocol {protocol}).",
                    node=node, peer=peer, protocol=r.protocol,
                )  # fmt: skip
            case DecisionBeat(decision=r) if r.result is not None:
                peer = cl.name_of(r.resource, r.peer, r.peer_host) or _(UNNAMED_PEER)
                say(
                    t,
                    "{node} compared UUIDs with {peer}: rule {rule} ({reason}) gave {result}: "
                    "{meaning}.",
                    node=node, peer=peer, rule=r.rule_name or r.rule,
                    reason=_reason(r), result=_compared(r),
                    meaning=text(uuid_meaning(r.result)),
                )  # fmt: skip
            case BitmapBeat(exchange=r):
                peer = cl.name_of(r.resource, r.peer, r.peer_host) or _(UNNAMED_PEER)
                say(
                    t,
                    "{node} sent its bitmap to {peer}: {total} bytes (RLE {rle}, plain {plain}).",
                    node=node, peer=peer, total=r.sent.total, rle=r.sent.rle_bytes,
                    plain=r.sent.plain_bytes,
                )  # fmt: skip
            case StateBeat(change=r):
                _state(say, cl, t, node, r)
            case TwopcBeat(twopc=r):
                what = ", ".join(f"{k} {v}" for k, v in r.changes.items()) or _("a state change")
                outcome = _(OUTCOME_WORDS.get(r.outcome, r.outcome))
                initiator = r.initiator or _(UNKNOWN_NODE)
                if r.duration_ms is not None:
                    say(
                        t,
                        "2PC {tid} from {initiator} ({what}): {outcome} in {ms} ms.",
                        tid=r.tid, initiator=initiator, what=what, outcome=outcome,
                        ms=f"{r.duration_ms:.1f}",
                    )  # fmt: skip
                else:
                    say(
                        t,
                        "2PC {tid} from {initiator} ({what}): {outcome}.",
                        tid=r.tid, initiator=initiator, what=what, outcome=outcome,
                    )  # fmt: skip
            case ResyncBeat(resync=r):
                sentence, values = _resync(r)
                say(t, sentence, **values)
    said.sort()
    out = [s for _t, _n, s in said]
    if len(out) > MAX_SENTENCES:
        more = len(out) - MAX_SENTENCES
        out = [
            *out[:MAX_SENTENCES],
            _("... and {count} more (see the diagram and the timeline).").format(count=more),
        ]
    return out


def _resync(r) -> tuple:
    """A resync's sentence and its values."""
    if r.kind != "resync":
        return (
            N_("online verify {source} -> {target}: {outcome}."),
            {
                "source": r.source or _(UNNAMED_PEER),
                "target": r.target or _(UNNAMED_PEER),
                "outcome": _(OUTCOME_WORDS[r.outcome]),
            },
        )
    kb = f"{r.kb} KB" if r.kb is not None else _("an unlogged amount")
    done = next((s for s in r.sides if s.total_s is not None), None)
    if r.outcome == ResyncOutcome.DONE:
        tail = _("finished in {seconds} s").format(seconds=done.total_s) if done else _("finished")
    elif r.outcome == ResyncOutcome.RUNNING:
        tail = _("was still running when the log ends")
    else:
        tail = _("was broken before it finished")
    return (
        N_("{source} (SyncSource) resynced {kb} to {target} (SyncTarget): {tail}."),
        {"source": r.source, "target": r.target, "kb": kb, "tail": tail},
    )
