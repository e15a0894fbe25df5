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
from ..catalog import uuid_meaning
from ..content import Beat
from ..episodes import Episode
from ..i18n import N_, UNNAMED_PEER, _, text
from ..times import fmt_ns
from .text import OUTCOME_WORDS

if TYPE_CHECKING:
    from ..analysis import Analysis

MAX_SENTENCES = 14


def _hms(ns: int) -> str:
    return (fmt_ns(ns) or "")[11:22]  # HH:MM:SS.ff is enough to read; the table has all


def _reason(decision) -> str:
    found = decision.reason
    return _(found) if found else decision.rule_text or _("no rule text")


def tell(analysis: Analysis, episode: Episode) -> list[str]:
    """Sentences, in time order, of what happened in ``episode``, in the reader's language
    (log text and protocol names stay as the log wrote them)."""
    cl = analysis.cluster
    said: list[tuple[int, int, str]] = []

    def say(t: int, sentence: str, **values: object) -> None:
        said.append((t, len(said), f"{_hms(t)} {_(sentence).format(**values)}"))

    beats = content.collect(analysis, episode)
    # Commands: one sentence a node (an `up` is six of them).
    commands: dict[str, list[Beat]] = {}
    for b in beats:
        if b.what == "command":
            commands.setdefault(b.node, []).append(b)
    for node, cmds in commands.items():
        open_ = [b.record.command for b in cmds if b.record.done is None]
        names = ", ".join(b.record.command for b in cmds[:8]) + (" ..." if len(cmds) > 8 else "")
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
        r, node, t = b.record, b.node, b.ns
        if b.what == "landmark" and r.kind == "driver_loaded":
            say(
                t,
                "{node}: {product} driver {version} loaded.",
                node=node,
                product=cl.node(node).identity.product,
                version=r.detail.get("version") or "",
            )
        elif b.what == "handshake":
            peer = cl.name_of(r.resource, r.peer_id, r.peer_host) or _(UNNAMED_PEER)
            say(
                t,
                "{node} completed the handshake with {peer} (protocol {protocol}).",
                node=node, peer=peer, protocol=r.protocol,
            )  # fmt: skip
        elif b.what == "decision" and r.result is not None:
            peer = cl.name_of(r.resource, r.peer, r.peer_host) or _(UNNAMED_PEER)
            result = (
                f"uuid_compare()={r.result_name}" if r.result_name else f"uuid_compare({r.result})"
            )
            say(
                t,
                "{node} compared UUIDs with {peer}: rule {rule} ({reason}) gave {result}: "
                "{meaning}.",
                node=node, peer=peer, rule=r.rule_name or r.rule,
                reason=_reason(r), result=result,
                meaning=text(uuid_meaning(r.result)),
            )  # fmt: skip
        elif b.what == "bitmap":
            peer = cl.name_of(r.resource, r.peer, r.peer_host) or _(UNNAMED_PEER)
            say(
                t,
                "{node} sent its bitmap to {peer}: {total} bytes (RLE {rle}, plain {plain}).",
                node=node, peer=peer, total=r.sent.total, rle=r.sent.rle_bytes,
                plain=r.sent.plain_bytes,
            )  # fmt: skip
        elif b.what == "state":
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
        elif b.what == "twopc":
            what = ", ".join(f"{k} {v}" for k, v in r.changes.items()) or _("a state change")
            outcome = _(OUTCOME_WORDS.get(r.outcome, r.outcome))
            if r.duration_ms is not None:
                say(
                    t,
                    "2PC {tid} from {initiator} ({what}): {outcome} in {ms} ms.",
                    tid=r.tid, initiator=r.initiator, what=what, outcome=outcome,
                    ms=f"{r.duration_ms:.1f}",
                )  # fmt: skip
            else:
                say(
                    t,
                    "2PC {tid} from {initiator} ({what}): {outcome}.",
                    tid=r.tid, initiator=r.initiator, what=what, outcome=outcome,
                )  # fmt: skip
        elif b.what == "resync":
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
    if r.outcome == "done":
        tail = _("finished in {seconds} s").format(seconds=done.total_s) if done else _("finished")
    elif r.outcome == "running":
        tail = _("was still running when the log ends")
    else:
        tail = _("was broken before it finished")
    return (
        N_("{source} (SyncSource) resynced {kb} to {target} (SyncTarget): {tail}."),
        {"source": r.source, "target": r.target, "kb": kb, "tail": tail},
    )
