"""Render, sequence diagrams: one SVG per episode and ``overview.svg``, with Graphviz.

Layout: a lifeline per node (a column of points joined by a heavy vertical edge), time
running down in rows (one protocol event a row, labelled with its aligned time; the nodes'
local times are in the row label's tooltip), messages as arrows from the sender's row to
the receiver's row, local decisions and states as notes beside the lifeline (the first
node's on its left, the others' on their right, so arrows between lifelines cross none).

Escaping: every label is a Graphviz HTML label built with :func:`html.escape`. Graphviz
expands ``\\N``-style sequences even there and in tooltips, so a backslash from a log
(Windows paths) travels as a private-use stand-in character and becomes ``&#92;`` in the SVG.

The overview: a row per episode for a small capture; above :data:`OVERVIEW_ROWS`
episodes, time bands (an hour or wider) with counts by kind, and only the drawn episodes
as rows (a cluster per resource in both). Which episodes are drawn is
:mod:`correlate.render.select`'s rule (``--diagrams auto``: all up to 200, then the
notable ones and one of each shape, at most 200).

Language: every word bsrcorr writes in a diagram is in the reader's language
(:mod:`correlate.i18n`); log text and protocol names (``2PC prepare``, ``conn``,
``SyncSource``, ``uuid_compare``) stay as the log writes them. Graphviz sizes each box from
the metrics of the font it finds (through Pango), and the SVG names the same font for the
browser: Korean diagrams name a Hangul font first (:data:`FONT_KO`), else the Hangul
labels would be measured in a font without Hangul and overflow their boxes.

The DOT graphs are built here, in this process (they read the shared Analysis), as text
(:mod:`correlate.render.dot`), each from its episode's :class:`Model` alone (the bundle
keeps every model, so ``bsrcorr draw`` draws any episode later); ``dot`` lays them out in
one long-lived child process per CPU, each reading graph after graph on its stdin.

Output is deterministic: ids follow the episode's own order, files are written in that
order whichever ``dot`` ends first, nothing depends on a clock or a hash seed.
"""

from __future__ import annotations

import bisect
import collections
import contextlib
import gzip
import html
import itertools
import json
import os
import re
import shutil
import subprocess
import textwrap
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import graphviz

from correlate.analysis import Drawn
from correlate.errors import InputError
from correlate.events.catalog_bsr import uuid_meaning
from correlate.i18n import N_, Msg, _, language, text, use
from correlate.model import Ref
from correlate.render.dot import Dot
from correlate.render.select import Selection, select, shape_of
from correlate.render.text import OUTCOME_WORDS
from correlate.story.content import (
    AdminBeat,
    Beat,
    CommandBeat,
    DecisionBeat,
    LandmarkBeat,
    LossBeat,
    MessageBeat,
    ResyncSideBeat,
    StateBeat,
    StepBeat,
    TwopcFailedBeat,
    TwopcTimeoutBeat,
)
from correlate.story.episodes import KIND_WORDS
from correlate.times import fmt_clock, fmt_ns
from correlate.vocab import ResyncOutcome

if TYPE_CHECKING:
    from correlate.analysis import Analysis
    from correlate.story.episodes import Episode

MAX_ROWS = 60
BACKSLASH = "\ue000"
FONT = "Helvetica"
# Korean: a Hangul font first (NanumGothic is Debian's fonts-nanum, which ./setup.sh
# installs; dot measures with the first one present), then those of Windows and macOS
# for a reader's browser without it.
FONT_KO = "NanumGothic,Noto Sans CJK KR,Malgun Gothic,Apple SD Gothic Neo,sans-serif"


def font() -> str:
    """The font list of the diagrams in the active language (English: as ever)."""
    return FONT_KO if language() == "ko" else FONT


# dot measures text with Pango's hinted metrics (each advance rounded to a whole pixel
# at 96 dpi), a browser without rounding. Hangul syllables share one advance, so the
# rounding adds up along a Korean line: NanumGothic at 9 pt comes out 2.5% short (a
# 40-syllable band label 7 pt). Korean boxes get this much more width a character of
# their longest line (a rounding is at most half a pixel, 0.375 pt; seen: up to 0.2).
SLACK_PT = 0.25
# Notes and episode boxes, any language: a browser's font sets a Latin line up to 5%
# wider than dot measured (seen on the captures' notes: 3 pt past a 361 pt box), and the
# text starts at the box's left, so all of it shows at the right.
BOX_SLACK_PT = 0.6
MARGIN_X_IN, MARGIN_Y_IN = 0.06, 0.03  # the nodes' margin (graph default)


def slack(label: str, note: bool = False) -> dict[str, str]:
    """Korean, and any note or episode box: the margin attribute that keeps ``label`` (a
    Graphviz HTML label) inside its box in a browser, whose font may set it wider than
    dot measured; otherwise none (the graph default)."""
    if language() != "ko" and not note:
        return {}
    lines = re.split(r"<BR/>|</TR>", label)
    longest = max(len(html.unescape(re.sub(r"<[^>]*>", "", x))) for x in lines)
    extra = max(SLACK_PT if language() == "ko" else 0, BOX_SLACK_PT if note else 0)
    extra = extra * longest / 2 / 72
    return {"margin": f"{MARGIN_X_IN + extra:.3f},{MARGIN_Y_IN}"}


COLORS = {
    "source": "#1b7a3a",
    "target": "#1f4e9c",
    "primary": "#8a4b00",
    "finding": "#c0392b",
    "muted": "#666666",
    "note": "#fffbe6",
    "message": "#333333",
    "weak": "#999999",
}
KIND_FILL = {
    "driver start": "#eeeeee",
    "up": "#e8f4ea",
    "connect": "#e6eefb",
    "role change": "#fdf0dd",
    "disconnect": "#f6e6f6",
    "network failure": "#fbe4e1",
    "down": "#eeeeee",
}


# A space where a label changes font (bold to plain): Graphviz writes each run as its
# own SVG <text>, and a browser drops a plain space at the start or end of one.
NBSP = "&#160;"


def h(text: object) -> str:
    """Text from a log, safe inside a Graphviz HTML label (and, later, SVG)."""
    s = "" if text is None else str(text)
    s = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "?", s)
    return html.escape(s, quote=True).replace("\\", BACKSLASH)


def attr(text: object) -> str:
    """Text from a log, safe as a plain Graphviz attribute (tooltips)."""
    s = "" if text is None else str(text)
    s = re.sub(r"[\x00-\x1f\x7f]", " ", s)
    return graphviz.nohtml(s.replace("\\", BACKSLASH).replace('"', "'"))


def finish_svg(svg: bytes) -> bytes:
    return svg.replace(BACKSLASH.encode(), b"&#92;")


@dataclass
class Item:
    """One row: a note on a lifeline, or one end of a message."""

    ns: int
    node: str
    ref: Ref | None
    text: str
    style: str = "note"  # note, source, target, primary, finding, send, recv, muted
    tooltip: str = ""
    msg: int | None = None  # message id for send/recv ends
    count: int = 1


@dataclass
class Message:
    label: str
    weak: bool = False
    finding: bool = False
    both_ways: bool = False


@dataclass
class Diagram:
    episode: Episode
    nodes: list[str]
    items: list[Item] = field(default_factory=list)
    messages: dict[int, Message] = field(default_factory=dict)
    dropped: int = 0


@dataclass
class Row:
    """One row as drawn: an :class:`Item` with its line reduced to the node's local time
    (``local``, as the row's tooltip says it; None for a row of no line)."""

    ns: int
    node: str
    local: str | None
    text: str
    style: str
    tooltip: str
    msg: int | None
    count: int


@dataclass
class Model:
    """Everything drawing one episode needs, and nothing else: made from the analysis
    (:func:`models`), kept in the bundle (``OUT/episodes.json.gz``) and drawn by
    :func:`draw` alone, so ``bsrcorr draw`` gives the bytes of the run. Its words are in
    the language of the run (``models_json`` keeps which)."""

    number: int
    slug: str
    title: str  # "#5 connect r0 ...", the heading in the reader's language
    on_clock: str  # "16:24:42.70 – 16:24:44.01 on node0's clock"
    nodes: list[str]
    heads: list[str]  # each lifeline head's Graphviz HTML label
    rows: list[Row]
    messages: list[Message]  # by message id
    dropped: int


# -- what goes in an episode -----------------------------------------------------------------


# Landmarks named in a note (their kinds are names of the timeline, not words).
LANDMARK_WORDS = {"attached": N_("attached"), "detaching": N_("detaching")}
STATE_STYLES = {"SyncSource": "source", "PausedSyncS": "source"} | {
    "SyncTarget": "target",
    "PausedSyncT": "target",
}


# The state changes a diagram shows (the others are in the story and the timeline).
DRAWN_STATES = ("role", "conn", "peer", "disk", "pdsk", "repl")


def diagram_of(analysis: Analysis, episode: Episode) -> Diagram:
    """The episode's content (:func:`correlate.story.content.beats_of`) as diagram rows."""
    al, cl = analysis.alignment, analysis.cluster
    at = analysis.clock.at
    nodes = list(episode.nodes)
    d = Diagram(episode, nodes)

    def note(b: Beat, text: str, style: str = "note", tip: str = "", ref: Ref | None = None):
        ref = ref or b.ref
        t = at(ref) if ref is not b.ref else b.ns
        d.items.append(Item(t or b.ns, ref.node, ref, text, style, tip or ref.message))

    mid = 0
    for b in analysis.beats(episode):
        match b:
            case MessageBeat(pair=r):
                label, both = _message_label(r, analysis)
                d.messages[mid] = Message(label, not r.strict, r in al.flagged, both)
                d.items.append(Item(b.ns, r.send.node, r.send, "", "send", r.send.message, mid))
                d.items.append(
                    Item(at(r.recv) or b.ns, r.recv.node, r.recv, "", "recv", r.recv.message, mid)
                )
                mid += 1
            case AdminBeat(admin=a):
                # who ran it: the nearest parents BSR logged (a shell, Pacemaker)
                caller = " < ".join(n for n, _ in a.caller[:2])
                said = a.command if a.command.startswith(a.program) else f"{a.program}: {a.command}"
                text = said + (f" ({caller})" if caller else "")
                note(b, text, "muted")
            case CommandBeat(command=r):
                if r.done is None:
                    said = _("bsradm: {command} ({number}) never finished")
                    note(b, said.format(command=r.command, number=r.number), "finding")
                else:
                    note(b, f"bsradm: {r.command} ({r.number})", "muted")
            case StateBeat(change=r) if r.what in DRAWN_STATES:
                style = STATE_STYLES.get(r.new, "note")
                if style == "note" and r.what == "role":
                    style = "primary"
                elif style == "note" and r.failed:
                    style = "finding"
                # role, conn, disk, ... and the states: DRBD's own names, as logged
                change = f"{r.what}: {r.old} → {r.new}"
                note(b, _("FAILED {change}").format(change=change) if r.failed else change, style)
            case DecisionBeat(decision=r) if r.compare is not None:
                note(b, *_decision_note(cl, r), _uuid_tip(r))
            case ResyncSideBeat(side=r, end=end):
                style = "source" if r.role in ("SyncSource", "VerifyS") else "target"
                kind = _(r.kind) if r.kind in ("resync", "verify") else r.kind
                if not end:
                    size = f"{r.kb} KB" if r.kb is not None else _("size not logged")
                    said = _("{kind} starts as {role}: {size}")
                    note(b, said.format(kind=kind, role=r.role, size=size), style)
                elif r.outcome == ResyncOutcome.DONE:
                    took = f"{r.total_s} s" if r.total_s is not None else _("done")
                    rate = f", {r.rate_kps} K/s" if r.rate_kps is not None else ""
                    said = _("{kind} done: {took}{rate}")
                    note(b, said.format(kind=kind, took=took, rate=rate), style)
                else:
                    # the reason is the log's (the state change that ended it)
                    said = _("{kind} broken: {reason}")
                    note(b, said.format(kind=kind, reason=r.end_reason), "finding")
            case LandmarkBeat(landmark=r, end=False):
                if r.kind == "driver_loaded":
                    product = cl.node(b.node).identity.product
                    version = r.detail.get("version") or _("version not logged")
                    said = _("driver loaded, {product} {version}")
                    note(b, said.format(product=product, version=version), "muted")
                elif r.kind in LANDMARK_WORDS:
                    uuid = r.detail.get("current_uuid")
                    note(b, f"{_(LANDMARK_WORDS[r.kind])} UUID {uuid}", "muted")
                elif r.kind == "volume_lock":
                    note(b, _("volume lock requested"), "muted")
                elif r.kind == "split_brain":
                    note(b, _("SPLIT BRAIN"), "finding")
            case LandmarkBeat(landmark=r, end=True) if r.kind == "volume_lock":
                note(b, _("volume unlocked"), "muted")
            case LossBeat():
                note(b, b.ref.message[:60], "muted")
            case TwopcFailedBeat(twopc=r):
                why = f" rv {r.abort_rv}" if r.abort_rv is not None else ""
                outcome = _(OUTCOME_WORDS[r.outcome]) if r.outcome in OUTCOME_WORDS else r.outcome
                note(b, f"2PC {r.tid} {outcome}{why}", "finding")
            case TwopcTimeoutBeat(twopc=r):
                note(b, _("2PC {tid}: timeout").format(tid=r.tid), "finding")
            case StepBeat(step=r):
                said = _("clock step {size} s before this line")
                note(b, said.format(size=f"{r.size_s:+.3f}"), "finding")
    # The merged order (a receive after its send where their times tie), then the
    # node's own order.
    order_at = analysis.clock.order_at
    d.items.sort(
        key=lambda it: (
            (order_at(it.ref) if it.ref is not None else None) or it.ns,
            nodes.index(it.node),
            it.ref.row if it.ref else 0,
            it.style != "send",
        )
    )
    _collapse(d)
    return d


def _decision_note(cl, dcs) -> tuple[str, str]:
    """A UUID decision's note and its style: source/target colour, red when the two
    nodes' results do not mirror."""
    twin = cl.pair_of(dcs)
    pair = cl.twin.get(dcs)
    mirrored = pair.mirrored if pair is not None else True
    reason = dcs.reason
    reason = _(reason) if reason else text(uuid_meaning(dcs.result))
    role = ""
    if isinstance(dcs.result, int) and 0 < dcs.result < 100:
        role = "source"
    elif isinstance(dcs.result, int) and -100 < dcs.result < 0:
        role = "target"
    style = "finding" if not mirrored else (role or "note")
    # uuid_compare(2) by rule 70: the result and rule numbers as the log gives them
    label = dcs.short.replace(" rule", " " + _("by rule"), 1)
    note = f"{label}: {reason}"
    if not mirrored and twin is not None:
        note += " " + _("(DOES NOT MIRROR {node}'s {result})").format(
            node=twin.node, result=twin.result
        )
    return note, style


def _message_label(p, analysis: Analysis) -> tuple[str, bool]:
    cl = analysis.cluster
    rec = cl.record(p.tid, p.resource)
    what = ""
    if rec is not None and rec.changes:
        what = " " + " ".join(f"{k}({v})" for k, v in sorted(rec.changes.items()))
    if p.kind == "twopc_prepare":
        return f"2PC prepare {p.tid}{what}", False
    if p.kind == "twopc_reply":
        init = rec.initiator_side if rec else None
        rv = f" rv {init.reply_rv}" if init and init.reply_rv is not None else ""
        return f"2PC reply {p.tid}{rv}", False
    if p.kind == "twopc_commit":
        return f"2PC commit {p.tid}", False
    if p.kind == "twopc_abort":
        return f"2PC abort {p.tid}", False
    # 2PC prepare, reply, commit, abort: the packets' names (P_TWOPC_*), as logged
    if p.kind in ("bitmap_send", "bitmap_reply"):
        size = f": {p.label}" if p.label else ""
        return (
            _("bitmap (source → target)")
            if p.kind == "bitmap_send"
            else _("bitmap (target → source)")
        ) + size, False
    if p.kind == "bitmap_done":
        return _("bitmap exchange complete"), False
    if p.kind == "handshake":
        return _("feature handshake (both ways)"), True
    if p.kind == "uuid":
        return _("UUID sets (both ways)"), True
    return p.kind, False


def _uuid_tip(d) -> str:
    s, p = d.self_uuids, d.peer_uuids
    return _(
        "self {current}:{bitmap} bits {bits}; peer {peer_current}:{peer_bitmap} bits "
        "{peer_bits}; {rule}"
    ).format(
        current=s.get("current"),
        bitmap=s.get("bitmap"),
        bits=s.get("bits"),
        peer_current=p.get("current"),
        peer_bitmap=p.get("bitmap"),
        peer_bits=p.get("bits"),
        rule=d.rule_text or "",
    )


def _collapse(d: Diagram) -> None:
    """Runs of the same note on one node become one counted note; then the row cap."""
    out: list[Item] = []
    for it in d.items:
        prev = out[-1] if out else None
        if (
            prev is not None
            and it.msg is None
            and prev.msg is None
            and prev.node == it.node
            and prev.text == it.text
            and prev.style == it.style
        ):
            prev.count += 1
            continue
        out.append(it)
    if len(out) > MAX_ROWS:
        # Keep message ends together: cut at the row cap, then drop orphan message ends.
        kept = out[:MAX_ROWS]
        ids = {it.msg for it in kept if it.msg is not None}
        orphans = {i for i in ids if sum(1 for it in kept if it.msg == i) < 2}
        kept = [it for it in kept if it.msg not in orphans]
        d.dropped = len(out) - len(kept)
        out = kept
    d.items = out


# -- drawing -----------------------------------------------------------------------------------


def _graph(name: str) -> Dot:
    g = Dot(name)
    g.attr(
        rankdir="TB",
        nodesep="0.18",
        ranksep="0.16",
        splines="line",
        newrank="true",
        fontname=font(),
        bgcolor="white",
        pad="0.3",
    )
    g.attr("node", fontname=font(), fontsize="10", margin=f"{MARGIN_X_IN},{MARGIN_Y_IN}")
    g.attr("edge", fontname=font(), fontsize="9")
    return g


TEXT_COLORS = {k: COLORS[k] for k in ("source", "target", "primary", "finding", "muted")}
LANE_GAP_IN = "3.6"  # room between two lifelines for a message's label


# A note's text is wrapped at this many characters (at spaces): a long log line in one
# row would widen the whole diagram, and a browser's font may set it wider than the box.
NOTE_WRAP = 48


def _wrapped(text: str) -> str:
    lines = textwrap.wrap(text, NOTE_WRAP, break_long_words=False, break_on_hyphens=False)
    return "<BR/>".join(h(x) for x in lines) if len(lines) > 1 else h(text)


def _note_label(it: Row) -> str:
    color = TEXT_COLORS.get(it.style, "#222222")
    text = _wrapped(it.text) + (f"{NBSP}<B>×{it.count}</B>" if it.count > 1 else "")
    bold = it.style in ("source", "target", "primary", "finding")
    if bold:
        text = f"<B>{text}</B>"
    return f'<<FONT COLOR="{color}">{text}</FONT>>'


def model_of(analysis: Analysis, ep: Episode, roles: Roles, idents: dict | None = None) -> Model:
    """The episode's :class:`Model`: its rows (:func:`diagram_of`), heading and heads."""
    d = diagram_of(analysis, ep)
    if idents is None:
        idents = {ev.name: ev.identity for ev in analysis.events}
    on_clock = _("{span} on {reference}'s clock").format(
        span=_span(ep), reference=analysis.alignment.reference
    )
    return Model(
        ep.number,
        ep.slug,
        f"#{ep.number} {text(ep.heading)}",
        on_clock,
        d.nodes,
        [_head_label(n, idents.get(n), analysis, ep, roles) for n in d.nodes],
        [
            Row(
                it.ns,
                it.node,
                fmt_clock(it.ref.local_ns) if it.ref is not None else None,
                it.text,
                it.style,
                it.tooltip,
                it.msg,
                it.count,
            )
            for it in d.items
        ],
        [d.messages[i] for i in range(len(d.messages))],
        d.dropped,
    )


def models(analysis: Analysis, episodes: list[Episode]) -> dict[str, Model]:
    """Every episode's :class:`Model`, by slug (the bundle keeps them all, drawn or not)."""
    roles = Roles(analysis)
    idents = {ev.name: ev.identity for ev in analysis.events}
    return {ep.slug: model_of(analysis, ep, roles, idents) for ep in episodes}


def draw(m: Model) -> Dot:
    """The episode's graph, from its model alone."""
    g = _graph(m.slug)
    # A table, not <BR/>: Graphviz sets a bold line over a <BR/> too tightly.
    title = (
        '<<TABLE BORDER="0" CELLPADDING="1" CELLSPACING="2">'
        f'<TR><TD ALIGN="LEFT"><B>{h(m.title)}</B></TD></TR>'
        f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="9" COLOR="#555555">{h(m.on_clock)}'
        "</FONT></TD></TR></TABLE>>"
    )
    g.attr(label=title, labelloc="t", labeljust="l", fontsize="12")
    nodes = m.nodes
    # Lifeline heads.
    with g.subgraph(name="heads") as s:
        s.attr(rank="same")
        s.node("t_head", label="<<B>" + h(_("time")) + "</B>>", shape="plaintext")
        prev = "t_head"
        for i, head in enumerate(m.heads):
            s.node(
                f"h{i}",
                label=head,
                **slack(head),
                shape="box",
                style="rounded,filled",
                fillcolor="#f2f2f2",
                color="#888888",
            )
            s.edge(prev, f"h{i}", style="invis")
            prev = f"h{i}"
    rows = m.rows
    # Where each message starts and ends, and the gap that carries its text: the one
    # beside the sender, towards the receiver. Arrows always run down (a receive follows
    # its send), so text raised above the sender's row never meets its own arrow.
    ends: dict[int, dict[str, int]] = {}
    for r, it in enumerate(rows):
        if it.msg is not None:
            ends.setdefault(it.msg, {})[it.style] = r
    gap_text: dict[tuple[int, int], Message] = {}
    for mid, where in ends.items():
        if "send" in where and "recv" in where:
            s_col = nodes.index(rows[where["send"]].node)
            r_col = nodes.index(rows[where["recv"]].node)
            gap = s_col + 1 if r_col > s_col else s_col
            gap_text[(where["send"], gap)] = m.messages[mid]
    local = _("{node} local {time}")
    for r, it in enumerate(rows):
        with g.subgraph(name=f"row{r}") as s:
            s.attr(rank="same")
            tip = "; ".join(
                local.format(node=x.node, time=x.local)
                for x in rows
                if x.local is not None and x.ns == it.ns
            )
            s.node(
                f"t{r}",
                label=f'<<FONT POINT-SIZE="9">{h(fmt_clock(it.ns))}</FONT>>',
                shape="plaintext",
                tooltip=attr(_("aligned {time}").format(time=fmt_clock(it.ns)) + f"; {tip}"),
            )
            order = [f"t{r}"]
            for i, n in enumerate(nodes):
                if i:
                    msg = gap_text.get((r, i))
                    if msg is None:
                        s.node(
                            f"g{r}_{i}",
                            label="",
                            shape="box",
                            style="invis",
                            width=LANE_GAP_IN,
                            height="0.05",
                        )
                    else:
                        s.node(
                            f"g{r}_{i}",
                            label=_raised(msg),
                            shape="plaintext",
                            width=LANE_GAP_IN,
                            height="0.05",
                            tooltip=attr(msg.label),
                        )
                    order.append(f"g{r}_{i}")
                s.node(f"p{r}_{i}", label="", shape="point", width="0.06", color="#777777")
                if it.node == n and it.msg is None:
                    note = _note_label(it)
                    s.node(
                        f"n{r}",
                        label=note,
                        **slack(note, note=True),
                        shape="note",
                        style="filled",
                        fillcolor="#ffecec" if it.style == "finding" else COLORS["note"],
                        color=COLORS["finding"] if it.style == "finding" else "#bbbbbb",
                        tooltip=attr(it.tooltip),
                    )
                    order += [f"n{r}", f"p{r}_{i}"] if i == 0 else [f"p{r}_{i}", f"n{r}"]
                else:
                    order.append(f"p{r}_{i}")
            for a, b in itertools.pairwise(order):
                s.edge(a, b, style="invis")
    # Lifelines and the time column.
    for i, _n in enumerate(nodes):
        chain = [f"h{i}"] + [f"p{r}_{i}" for r in range(len(rows))]
        for a, b in itertools.pairwise(chain):
            g.edge(a, b, arrowhead="none", color="#aaaaaa", weight="100")
    tchain = ["t_head"] + [f"t{r}" for r in range(len(rows))]
    for a, b in itertools.pairwise(tchain):
        g.edge(a, b, style="invis", weight="100")
    # Messages (their text is in the gap column of the sender's row).
    for mid, where in sorted(ends.items()):
        if "send" not in where or "recv" not in where:
            continue
        msg = m.messages[mid]
        s_row, r_row = where["send"], where["recv"]
        s_col = nodes.index(rows[s_row].node)
        r_col = nodes.index(rows[r_row].node)
        color = COLORS["finding"] if msg.finding else COLORS["weak" if msg.weak else "message"]
        g.edge(
            f"p{s_row}_{s_col}",
            f"p{r_row}_{r_col}",
            constraint="false",
            color=color,
            style="dashed" if msg.weak else "solid",
            dir="both" if msg.both_ways else "forward",
            arrowsize="0.6",
            tooltip=attr(msg.label),
        )
    if m.dropped:
        g.node(
            "more",
            label="<<I>"
            + h(_("{count} more events not drawn (see the timeline)").format(count=m.dropped))
            + "</I>>",
            shape="plaintext",
        )
        if rows:
            g.edge(f"t{len(rows) - 1}", "more", style="invis")
    return g


def _raised(msg: Message) -> str:
    """A message's text, lifted above its row's centre line (an empty row below it)."""
    color = COLORS["finding"] if msg.finding else COLORS["weak" if msg.weak else "message"]
    lines = _wrap(msg.label, 46)
    cells = "".join(
        f'<TR><TD><FONT POINT-SIZE="9" COLOR="{color}">{h(x)}</FONT></TD></TR>' for x in lines
    )
    blank = "<TR><TD> </TD></TR>" * len(lines)
    return f'<<TABLE BORDER="0" CELLPADDING="0" CELLSPACING="0">{cells}{blank}</TABLE>>'


def _wrap(text: str, width: int) -> list[str]:
    words, lines, cur = text.split(" "), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}" if cur else w
    return [*lines, cur] if cur else lines or [""]


def _span(ep: Episode) -> str:
    return f"{fmt_clock(ep.start_ns)} – {fmt_clock(ep.end_ns)}"


class Roles:
    """Each node's role changes per resource, sorted once by aligned time, for the
    lifeline heads of every diagram (roles are per resource)."""

    def __init__(self, analysis: Analysis) -> None:
        at = analysis.clock.at
        found: dict[tuple[str, str | None], list[tuple[int, int, object]]] = {}
        for ev in analysis.events:
            for c in ev.state_changes:
                if c.what == "role" and not c.failed:
                    t = at(c.ref)
                    found.setdefault((ev.name, c.resource), []).append(
                        (t if t is not None else 0, c.ref.row, c)
                    )
        self.changes = {k: sorted(v, key=lambda x: (x[0], x[1])) for k, v in found.items()}
        self.times = {k: [x[0] for x in v] for k, v in self.changes.items()}

    def during(self, name: str, ep: Episode) -> str | None:
        """The node's role over the episode: ``Primary``, or ``Secondary → Primary``."""
        if ep.resource is None:
            return None  # a node's or several resources' episode: no one role
        key = (name, ep.resource)
        changes = self.changes.get(key)
        if not changes:
            return None
        times = self.times[key]
        before = bisect.bisect_left(times, ep.start_ns)
        upto = bisect.bisect_right(times, ep.end_ns)
        start = changes[before - 1][2].new if before else changes[0][2].old
        if start in (None, "Unknown"):
            start = None
        if upto > before and changes[upto - 1][2].new != start:
            return f"{start or '?'} → {changes[upto - 1][2].new}"
        return start


def _head_label(name: str, ident, analysis: Analysis, ep: Episode, roles: Roles) -> str:
    parts = [f"<B>{h(name)}</B>"]
    role = roles.during(name, ep)
    if role:
        color = "#8a4b00" if "Primary" in role else "#333333"
        parts.append(f'<FONT POINT-SIZE="9" COLOR="{color}">{h(role)}</FONT>')
    if ident is not None:
        meta = []
        node_id = ident.id_in(ep.resource)
        if node_id is not None:
            meta.append(_("id {id}").format(id=node_id))
        if ident.host:
            meta.append(_("host {host}").format(host=ident.host))
        if ident.platform:
            meta.append(ident.platform)
        if meta:
            parts.append(f'<FONT POINT-SIZE="9">{h(", ".join(meta))}</FONT>')
        shown = ep.resources or ([ep.resource] if ep.resource else ident.resources)
        if shown:
            word = _("resource {names}") if len(shown) == 1 else _("resources {names}")
            parts.append(f'<FONT POINT-SIZE="8">{h(word.format(names=", ".join(shown)))}</FONT>')
    na = analysis.alignment.nodes.get(name)
    if na is not None and not na.reference and na.main and na.main.offset_s is not None:
        clock = _("clock {offset} s").format(offset=f"{na.main.offset_s:+.4f}")
        parts.append(f'<FONT POINT-SIZE="8" COLOR="#666666">{h(clock)}</FONT>')
    return "<" + "<BR/>".join(parts) + ">"


# -- overview ----------------------------------------------------------------------------------

# At most this many episodes: one row each (the small-capture look). Above it, the
# overview groups them into time bands with counts and lists only the drawn episodes.
OVERVIEW_ROWS = 300
# Above OVERVIEW_ROWS, at most this many episode rows (drawn ones, shared out among the
# bands); the bands' counts cover the rest.
OVERVIEW_MAX_LISTED = 400
# Band widths tried in turn until the capture needs at most OVERVIEW_BANDS bands.
BAND_WIDTHS_S = (3600, 3 * 3600, 6 * 3600, 12 * 3600, 86_400, 7 * 86_400, 30 * 86_400)
OVERVIEW_BANDS = 120


def _lifeline_points(s, nodes: list[str], r: int, on: list[str], fill: str) -> list[str]:
    order = []
    for i, n in enumerate(nodes):
        if n in on:
            s.node(
                f"p{r}_{i}",
                label="",
                shape="circle",
                width="0.14",
                style="filled",
                fillcolor=fill,
                color="#555555",
            )
        else:
            s.node(f"p{r}_{i}", label="", shape="point", width="0.03", color="#bbbbbb")
        order.append(f"p{r}_{i}")
    return order


def _overview_rows(
    g, nodes: list[str], episodes: list[Episode], first: int, links: set[str]
) -> None:
    for r, ep in enumerate(episodes, first):
        with g.subgraph(name=f"row{r}") as s:
            s.attr(rank="same")
            order = _lifeline_points(s, nodes, r, ep.nodes, KIND_FILL.get(ep.kind, "#dddddd"))
            title = text(ep.heading)
            label = f"<<B>#{ep.number}</B>{NBSP}{h(fmt_clock(ep.start_ns))}  {h(title)}>"
            extra = {"URL": f"{ep.slug}.svg", "target": "_top"} if ep.slug in links else {}
            s.node(
                f"e{r}",
                label=label,
                **slack(label, note=True),
                shape="box",
                style="filled",
                fillcolor=KIND_FILL.get(ep.kind, "#ffffff"),
                color="#999999",
                tooltip=attr(f"{title}: {_span(ep)}"),
                **extra,
            )
            order.append(f"e{r}")
            for a, b in itertools.pairwise(order):
                s.edge(a, b, style="invis")


@dataclass
class Band:
    """A stretch of time in one resource band: what happened, counted, and the episodes
    listed as rows under it."""

    start_ns: int
    width_ns: int
    members: list[Episode]
    listed: list[Episode]  # drawn episodes shown as rows (all of them, unless capped)
    drawn: int = 0  # drawn episodes in the band


def band_width_ns(episodes: list[Episode], groups: int) -> int:
    """The narrowest band width (an hour at least) that needs at most OVERVIEW_BANDS bands
    over ``groups`` resource bands."""
    starts = [e.start_ns for e in episodes]
    for width_s in BAND_WIDTHS_S:
        w = width_s * 10**9
        if len({(t // w) for t in starts}) * max(groups, 1) <= OVERVIEW_BANDS:
            return w
    return BAND_WIDTHS_S[-1] * 10**9


def bands_of(episodes: list[Episode], drawn: set[str], width_ns: int) -> list[Band]:
    """``episodes`` (time-ordered) cut into bands of ``width_ns``; empty bands skipped."""
    out: list[Band] = []
    for key, members in itertools.groupby(episodes, key=lambda e: e.start_ns // width_ns):
        group = list(members)
        mine = [e for e in group if e.slug in drawn]
        out.append(Band(key * width_ns, width_ns, group, mine, len(mine)))
    return out


def cap_listed(bands: list[Band], most: int, ranks: dict[str, int]) -> None:
    """At most ``most`` rows in all, shared out so that every band with a drawn episode
    lists some (the largest share that fits, bands in time order getting the rest); in a
    band, the episodes that matter most (``ranks``, lowest first) are kept."""
    if sum(len(b.listed) for b in bands) <= most:
        return
    share = most // max(1, sum(1 for b in bands if b.listed))
    while share and sum(min(len(b.listed), share + 1) for b in bands) <= most:
        share += 1
    left = most - sum(min(len(b.listed), share) for b in bands)
    for b in bands:
        extra = 1 if left > 0 and len(b.listed) > share else 0
        left -= extra
        order = sorted(range(len(b.listed)), key=lambda i: (ranks.get(b.listed[i].slug, 1), i))
        keep = sorted(order[: max(1, share + extra)])
        b.listed = [b.listed[i] for i in keep]


def _band_label(band: Band) -> str:
    kinds: dict[str, int] = {}
    for e in band.members:
        kinds[e.kind] = kinds.get(e.kind, 0) + 1
    counted = _("{count} {kind}")
    counts = ", ".join(
        counted.format(count=n, kind=_(KIND_WORDS.get(k, k)))
        for k, n in sorted(kinds.items(), key=lambda x: (-x[1], x[0]))
    )
    end = band.start_ns + band.width_ns
    when = f"{fmt_ns(band.start_ns, sep=' ')[:16]} – {fmt_clock(end)[:5]}"
    shown = len(band.listed)
    if shown < band.drawn:
        tail = _("; {drawn} drawn, {shown} listed below (findings first)").format(
            drawn=band.drawn, shown=shown
        )
    else:
        tail = (
            _("; {shown} drawn, listed below").format(shown=shown) if shown else _("; none drawn")
        )
    said = _("{count} episodes: {counts}{tail}").format(
        count=len(band.members), counts=counts, tail=tail
    )
    return f'<<B>{h(when)}</B>{NBSP}{NBSP}<FONT POINT-SIZE="9">{h(said)}</FONT>>'


def _band_rows(g, nodes: list[str], bands: list[Band], first: int, links: set[str]) -> list[str]:
    """One heading row a band (its counts), then its listed episodes; returns the
    episode-column node names in order."""
    r = first
    for band in bands:
        involved = sorted({n for e in band.members for n in e.nodes}, key=nodes.index)
        with g.subgraph(name=f"row{r}") as s:
            s.attr(rank="same")
            order = _lifeline_points(s, nodes, r, involved, "#f2f2f2")
            counted = _band_label(band)
            s.node(
                f"e{r}",
                label=counted,
                **slack(counted, note=True),
                shape="box",
                style="rounded,filled",
                fillcolor="#f7f7f7",
                color="#cccccc",
                tooltip=attr(
                    _("{count} episodes from {start}").format(
                        count=len(band.members), start=fmt_ns(band.start_ns, sep=" ")
                    )
                ),
            )
            order.append(f"e{r}")
            for a, b in itertools.pairwise(order):
                s.edge(a, b, style="invis")
        r += 1
        if band.listed:
            _overview_rows(g, nodes, band.listed, r, links)
            r += len(band.listed)
    return [f"e{k}" for k in range(first, r)]


def overview(
    analysis: Analysis,
    episodes: list[Episode],
    linked: bool | Iterable[str],
    ranks: dict[str, int] | None = None,
) -> Dot:
    """The capture at a glance: a row per episode (linked to its diagram when ``linked``
    is True or holds its slug); above :data:`OVERVIEW_ROWS` episodes, time bands with
    counts and only the linked (drawn) episodes as rows, at most
    :data:`OVERVIEW_MAX_LISTED` (``ranks``, the selection's slug -> rank, says which
    matter most)."""
    links = (
        {e.slug for e in episodes} if linked is True else set() if linked is False else set(linked)  # type: ignore[arg-type]
    )
    grouped = len(episodes) > OVERVIEW_ROWS
    g = _graph("overview")
    if grouped:
        shown = sum(1 for e in episodes if e.slug in links)
        listed_text = (
            _("{count} have a sequence diagram (click one)").format(count=shown)
            if shown
            else _("no episode diagram drawn")
        )
        if shown < len(episodes):
            listed_text += _("; --diagrams all draws every one")
        rest = _("on {reference}'s clock, counted by time; {listed}").format(
            reference=analysis.alignment.reference, listed=listed_text
        )
    else:
        rest = _("on {reference}'s clock (click one for its sequence diagram)").format(
            reference=analysis.alignment.reference
        )
    count = _("{count} episodes").format(count=len(episodes))
    title = f"<<B>{h(count)}</B>{NBSP}{h(rest)}>"
    g.attr(label=title, labelloc="t", fontsize="12")
    nodes = [n.name for n in analysis.nodes]
    with g.subgraph(name="heads") as s:
        s.attr(rank="same")
        prev = None
        for i, n in enumerate(nodes):
            s.node(
                f"h{i}",
                label=f"<<B>{h(n)}</B>>",
                shape="box",
                style="rounded,filled",
                fillcolor="#f2f2f2",
            )
            if prev:
                s.edge(prev, f"h{i}", style="invis")
            prev = f"h{i}"
        s.node("e_head", label="<<B>" + h(_("episode")) + "</B>>", shape="plaintext")
        s.edge(prev or "h0", "e_head", style="invis")
    resources = sorted({e.resource for e in episodes if e.resource is not None})
    parts: list[tuple[str | None, list[Episode]]] = [(None, episodes)]
    if len(resources) > 1:
        # One band a resource, in time order inside; then the nodes' own episodes and
        # those of several resources at once.
        parts = [(res, [e for e in episodes if e.resource == res]) for res in resources]
        parts.append(
            (_("nodes and several resources"), [e for e in episodes if e.resource is None])
        )
    parts = [p for p in parts if p[1]]
    width = band_width_ns(episodes, len(parts)) if grouped else 0
    bands = (
        {k: bands_of(members, links, width) for k, (_, members) in enumerate(parts)}
        if grouped
        else {}
    )
    cap_listed([b for bs in bands.values() for b in bs], OVERVIEW_MAX_LISTED, ranks or {})
    column: list[str] = []
    rows = 0
    for k, (part, members) in enumerate(parts):

        def fill(c, k=k, members=members, rows=rows) -> list[str]:
            if not grouped:
                _overview_rows(c, nodes, members, rows, links)
                return [f"e{r}" for r in range(rows, rows + len(members))]
            return _band_rows(c, nodes, bands[k], rows, links)

        if part is None:
            names = fill(g)
        else:
            with g.subgraph(name=f"cluster_band{k}") as c:
                c.attr(label=f"<<B>{h(part)}</B>>", labeljust="l", style="rounded", color="#bbbbbb")
                names = fill(c)
        column.extend(names)
        rows += len(names)
    for i, _n in enumerate(nodes):
        chain = [f"h{i}"] + [f"p{r}_{i}" for r in range(rows)]
        for a, b in itertools.pairwise(chain):
            g.edge(a, b, arrowhead="none", color="#aaaaaa", weight="100")
    for a, b in itertools.pairwise(["e_head", *column]):
        g.edge(a, b, style="invis", weight="100")
    return g


# -- writing -----------------------------------------------------------------------------------


def _dot(source: str) -> bytes:
    """One graph through ``dot -Tsvg`` (run in a worker thread: the work is the child
    process's, so threads give real parallelism without pickling the sources)."""
    return graphviz.pipe("dot", "svg", source.encode("utf-8"))


_SVG_END = b"</svg>\n"
_PAGED_GRAPH = re.compile(rb'<g id="page\d+,\d+_graph0"')


def _alone(svg: bytes) -> bytes:
    """An SVG of a ``dot`` that laid out several graphs, as the one a ``dot`` of its own
    writes: with several graphs dot names each one's group ``page0,1_graph0``, alone
    ``graph0``, and a diagram must not depend on what was laid out beside it."""
    return _PAGED_GRAPH.sub(b'<g id="graph0"', svg, count=1)


class _DotProcess:
    """One ``dot -Tsvg`` reading graph after graph on its stdin and writing their SVGs one
    after the other on its stdout, each ending ``</svg>`` (log text in labels is escaped,
    so that never occurs inside one): starting dot (and its font configuration) costs
    three times what laying out an episode does, so a run starts a few, not one a graph.
    A thread reads its SVGs as they come and hands each to ``done`` with its name; a graph
    whose SVG has not come back is kept (``pending``), so that should dot refuse one, each
    one left is laid out alone and the error names it."""

    def __init__(self, done: Callable[[str, bytes], None]) -> None:
        self.done = done
        self.pending: collections.deque[tuple[str, str]] = collections.deque()
        self.lock = threading.Lock()
        self.failed: BaseException | None = None
        self.dead = False
        self.proc = subprocess.Popen(
            ["dot", "-Tsvg"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self.errors = b""
        self.readers = [
            threading.Thread(target=self._read, daemon=True),
            threading.Thread(target=self._read_errors, daemon=True),
        ]
        for t in self.readers:
            t.start()

    def load(self) -> int:
        return len(self.pending)

    def send(self, name: str, source: str) -> None:
        with self.lock:
            self.pending.append((name, source))
        if self.dead:
            return
        try:
            self.proc.stdin.write(source.encode("utf-8") + b"\n")  # type: ignore[union-attr]
        except BrokenPipeError:
            self.dead = True  # dot is gone: what it did not lay out is laid out alone

    def _read(self) -> None:
        buf = bytearray()
        out = self.proc.stdout
        try:
            while chunk := out.read1(1 << 16):  # type: ignore[union-attr]
                start = max(0, len(buf) - len(_SVG_END))
                buf += chunk
                while (i := buf.find(_SVG_END, start)) >= 0:
                    svg = bytes(buf[: i + len(_SVG_END)])
                    del buf[: i + len(_SVG_END)]
                    start = 0
                    with self.lock:
                        name, _source = self.pending.popleft()
                    if self.failed is None:
                        try:
                            self.done(name, _alone(svg))
                        except BaseException as exc:  # handed to the main thread by close()
                            self.failed = exc
                    # after a failure (a full disk) the rest is read and dropped: a dot
                    # whose output is not read stops reading its input, and this process
                    # would wait on it for ever
        except BaseException as exc:
            self.failed = self.failed or exc

    def _read_errors(self) -> None:
        self.errors = self.proc.stderr.read()  # type: ignore[union-attr]

    def close(self) -> None:
        """Wait for dot to finish what it was sent; lay out alone what it did not."""
        with contextlib.suppress(BrokenPipeError):
            self.proc.stdin.close()  # type: ignore[union-attr]
        self.proc.wait()
        for t in self.readers:
            t.join()
        if self.failed is not None:
            raise self.failed
        while self.pending:
            name, source = self.pending.popleft()
            self.done(name, _dot(source))

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
        for t in self.readers:
            t.join()


class DotPool:
    """A few ``dot`` processes (:class:`_DotProcess`), each graph sent to the one with the
    least waiting, so they lay out while this process builds the next graphs; ``done``
    gets each SVG with its name (from their reading threads, as they finish)."""

    def __init__(self, processes: int, done: Callable[[str, bytes], None]) -> None:
        self.procs = [_DotProcess(done) for _ in range(max(1, processes))]

    def send(self, name: str, source: str) -> None:
        min(self.procs, key=_DotProcess.load).send(name, source)

    def __enter__(self) -> DotPool:
        return self

    def __exit__(self, kind, exc, tb) -> None:
        if exc is not None:
            for p in self.procs:
                p.kill()
            return
        for p in self.procs:
            p.close()


def dot_all(sources: list[str], processes: int = 1) -> list[bytes]:
    """Each graph's SVG, in order, laid out by ``processes`` dot processes: the bytes of
    one dot a graph (:func:`_dot`)."""
    got: dict[str, bytes] = {}
    with DotPool(processes, got.__setitem__) as pool:
        for i, source in enumerate(sources):
            pool.send(str(i), source)
    return [got[str(i)] for i in range(len(sources))]


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError:
        # a full disk must not leave a half-written diagram behind
        tmp.unlink(missing_ok=True)
        raise


def graphs(
    analysis: Analysis,
    episodes: list[Episode],
    sel: Selection,
    made: dict[str, Model] | None = None,
) -> Iterator[tuple[str, Dot]]:
    """The overview first (the largest graph: started first, it ends with the rest),
    then each drawn episode's graph, built one at a time as they are asked for (from
    ``made``, the models by slug, or made here)."""
    if sel.mode == "none":
        return
    yield "overview", overview(analysis, episodes, linked=sel.drawn, ranks=sel.rank)
    drawn = set(sel.drawn)
    roles = Roles(analysis) if drawn and made is None else None
    for ep in episodes:
        if ep.slug in drawn:
            m = made[ep.slug] if made is not None else model_of(analysis, ep, roles)  # type: ignore[arg-type]
            yield ep.slug, draw(m)


def render(
    analysis: Analysis,
    episodes: list[Episode],
    out: Path,
    mode: str,
    workers: int | None = None,
    made: dict[str, Model] | None = None,
) -> Drawn:
    """Write ``overview.svg`` and the episode SVGs ``mode`` selects into ``out``
    (:func:`correlate.render.select.select`: ``auto``, ``all``, ``overview``, ``none``),
    running ``dot`` in ``workers`` processes at once (default: one per CPU). Returns what
    it drew: the selection, the episode diagrams drawn, the files; without ``dot`` on
    PATH, the ``.dot`` sources it wrote instead (``dot_missing``). ``made``: the episodes'
    models by slug (:func:`models`), when the caller has them."""
    # An earlier run's diagrams are already gone: bundle.prepare clears them.
    shapes = {ep.slug: shape_of(ep, analysis.beats(ep)) for ep in episodes}
    sel = select(episodes, analysis.findings, analysis.clock, mode, shapes)
    if mode == "none":
        return Drawn(sel)
    out.mkdir(parents=True, exist_ok=True)
    if shutil.which("dot") is None:
        sources = []
        for name, g in graphs(analysis, episodes, sel, made):
            _write_atomic(out / f"{name}.dot", g.source.encode("utf-8"))
            sources.append(out / f"{name}.dot")
        return Drawn(sel, files=tuple(sources), dot_missing=True)
    workers = workers or os.cpu_count() or 1
    names: list[str] = []
    lock = threading.Lock()
    finished: set[str] = set()

    def done(name: str, svg: bytes) -> None:
        _write_atomic(out / f"{name}.svg", finish_svg(svg))
        with lock:
            finished.add(name)

    # Graphs are built here (they read the shared Analysis) while the dot processes lay
    # out the earlier ones; a graph waits in a pipe, so memory stays flat at any count.
    # The overview (the largest graph) goes first.
    with DotPool(workers, done) as pool:
        for name, g in graphs(analysis, episodes, sel, made):
            names.append(name)
            pool.send(name, g.source)
    written = [out / f"{n}.svg" for n in names if n in finished]
    rendered = {n for n in names if n in finished and n != "overview"}
    return Drawn(sel, frozenset(rendered), tuple(written))


# -- the bundle's models, and drawing from them ------------------------------------------------

MODELS_FILE = "episodes.json.gz"
MODELS_FORMAT = "bsrcorr-episode-diagrams"
MODELS_VERSION = 1


def models_json(made: dict[str, Model]) -> dict:
    """``OUT/episodes.json.gz``: the language and every episode's model, rows and
    messages as arrays (a capture's thousands of episodes: compact)."""
    return {
        "format": MODELS_FORMAT,
        "version": MODELS_VERSION,
        "lang": language(),
        "episodes": [
            {
                "number": m.number,
                "slug": m.slug,
                "title": m.title,
                "on_clock": m.on_clock,
                "nodes": m.nodes,
                "heads": m.heads,
                "dropped": m.dropped,
                # label, weak, finding, both ways
                "messages": [[x.label, x.weak, x.finding, x.both_ways] for x in m.messages],
                # ns, node, local time, text, style, tooltip, message id, count
                "rows": [
                    [r.ns, r.node, r.local, r.text, r.style, r.tooltip, r.msg, r.count]
                    for r in m.rows
                ],
            }
            for m in made.values()
        ],
    }


def model_from(doc: dict) -> Model:
    """One episode of :func:`models_json` back as its :class:`Model`."""
    return Model(
        doc["number"],
        doc["slug"],
        doc["title"],
        doc["on_clock"],
        list(doc["nodes"]),
        list(doc["heads"]),
        [Row(*r) for r in doc["rows"]],
        [Message(*x) for x in doc["messages"]],
        doc["dropped"],
    )


def load_models(out: Path) -> tuple[str, list[dict]]:
    """The language and the episodes of the bundle ``out`` (its ``episodes.json.gz``)."""
    path = out / MODELS_FILE
    try:
        doc = json.loads(gzip.decompress(path.read_bytes()))
    except FileNotFoundError:
        raise InputError(
            Msg(
                "{path}: no such file: not a bundle of this bsrcorr (run bsrcorr on the logs "
                "with -o {out} first)",
                path=path,
                out=out,
            )
        ) from None
    except (OSError, EOFError, ValueError) as exc:
        raise InputError(
            Msg(
                "{path}: not readable: {reason}",
                path=path,
                reason=getattr(exc, "strerror", None) or exc,
            )
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != MODELS_FORMAT:
        raise InputError(Msg("{path}: not a bsrcorr episode file", path=path))
    if doc.get("version") != MODELS_VERSION:
        raise InputError(
            Msg(
                "{path}: episode file version {version}, this bsrcorr reads {ours}",
                path=path,
                version=doc.get("version"),
                ours=MODELS_VERSION,
            )
        )
    return doc["lang"], doc["episodes"]


def _wanted(episodes: list[dict], asked: list[str]) -> list[dict]:
    """The episodes ``asked`` names (a number, ``#12``, a slug, or ``all``), in episode
    order, each once."""
    by_number = {str(e["number"]): e for e in episodes}
    by_slug = {e["slug"]: e for e in episodes}
    chosen: dict[str, dict] = {}
    for word in asked:
        if word == "all":
            chosen.update((e["slug"], e) for e in episodes)
            continue
        e = by_number.get(word.removeprefix("#").lstrip("0") or "0") or by_slug.get(
            word.removesuffix(".svg")
        )
        if e is None:
            raise InputError(
                Msg(
                    "episode {episode}: no such episode in this bundle (it has {count}: "
                    "#1 .. #{count})",
                    episode=word,
                    count=len(episodes),
                )
            )
        chosen[e["slug"]] = e
    order = {e["slug"]: i for i, e in enumerate(episodes)}
    return sorted(chosen.values(), key=lambda e: order[e["slug"]])


def draw_saved(out: Path, asked: list[str], workers: int | None = None) -> Drawn:
    """``bsrcorr draw OUT EPISODE...``: the asked episodes' SVGs into ``OUT/diagrams/``,
    from the bundle's models alone (no log is read), in the bundle's language: the bytes
    ``--diagrams all`` writes for them. Without ``dot``, their ``.dot`` sources."""
    lang, episodes = load_models(out)
    chosen = _wanted(episodes, asked)
    use(lang)
    diagrams = out / "diagrams"
    diagrams.mkdir(parents=True, exist_ok=True)
    named = [(e["slug"], draw(model_from(e)).source) for e in chosen]
    if shutil.which("dot") is None:
        written = []
        for name, source in named:
            _write_atomic(diagrams / f"{name}.dot", source.encode("utf-8"))
            written.append(diagrams / f"{name}.dot")
        return Drawn(files=tuple(written), dot_missing=True)
    procs = min(workers or os.cpu_count() or 1, max(1, len(named)))
    svgs = dot_all([src for _name, src in named], procs)
    paths: list[Path] = []
    for (name, _source), svg in zip(named, svgs, strict=True):
        _write_atomic(diagrams / f"{name}.svg", finish_svg(svg))
        paths.append(diagrams / f"{name}.svg")
    return Drawn(rendered=frozenset(n for n, _ in named), files=tuple(paths))
