"""Render, sequence diagrams: one SVG per episode and ``overview.svg``, with Graphviz.

Layout: a lifeline per node (a column of points joined by a heavy vertical edge), time
running down in rows (one protocol event a row, labelled with its aligned time; the nodes'
local times are in the row label's tooltip), messages as arrows from the sender's row to
the receiver's row, local decisions and states as notes beside the lifeline (the first
node's on its left, the others' on their right, so arrows between lifelines cross none).

Escaping: every label is a Graphviz HTML label built with :func:`html.escape`. Graphviz
expands ``\\N``-style sequences even there and in tooltips, so a backslash from a log
(Windows paths) travels as a private-use stand-in character and becomes ``&#92;`` in the SVG.

Output is deterministic: ids follow the episode's own order, nothing depends on a clock
or a hash seed.
"""

from __future__ import annotations

import bisect
import html
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import graphviz

from .. import content
from ..catalog import UUID_RULE_REASONS, uuid_meaning
from ..content import Beat
from ..i18n import _, text
from ..model import Ref
from ..times import fmt_clock

if TYPE_CHECKING:
    from ..analysis import Analysis
    from ..episodes import Episode

MAX_ROWS = 60
BACKSLASH = "\ue000"
FONT = "Helvetica"
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


# -- what goes in an episode -----------------------------------------------------------------


STATE_STYLES = {"SyncSource": "source", "PausedSyncS": "source"} | {
    "SyncTarget": "target",
    "PausedSyncT": "target",
}


def collect(analysis: Analysis, episode: Episode) -> Diagram:
    """The episode's content (:func:`correlate.content.collect`) as diagram rows."""
    al, cl = analysis.alignment, analysis.cluster
    at = analysis.clock.at
    nodes = list(episode.nodes)
    d = Diagram(episode, nodes)

    def note(b: Beat, text: str, style: str = "note", tip: str = "", ref: Ref | None = None):
        ref = ref or b.ref
        t = at(ref) if ref is not b.ref else b.ns
        d.items.append(Item(t or b.ns, ref.node, ref, text, style, tip or ref.message))

    mid = 0
    for b in content.collect(analysis, episode):
        r = b.record
        if b.what == "message":
            label, both = _message_label(r, analysis)
            d.messages[mid] = Message(label, not r.strict, r in al.flagged, both)
            d.items.append(Item(b.ns, r.send.node, r.send, "", "send", r.send.message, mid))
            d.items.append(
                Item(at(r.recv) or b.ns, r.recv.node, r.recv, "", "recv", r.recv.message, mid)
            )
            mid += 1
        elif b.what == "command":
            if r.done is None:
                note(b, f"bsradm: {r.command} ({r.number}) never finished", "finding")
            else:
                note(b, f"bsradm: {r.command} ({r.number})", "muted")
        elif b.what == "state" and r.what in ("role", "conn", "peer", "disk", "pdsk", "repl"):
            style = STATE_STYLES.get(r.new, "note")
            if style == "note" and r.what == "role":
                style = "primary"
            elif style == "note" and r.failed:
                style = "finding"
            prefix = "FAILED " if r.failed else ""
            note(b, f"{prefix}{r.what}: {r.old} → {r.new}", style)
        elif b.what == "decision" and r.compare is not None:
            note(b, *_decision_note(cl, r), _uuid_tip(r))
        elif b.what in ("resync_start", "resync_end"):
            style = "source" if r.role in ("SyncSource", "VerifyS") else "target"
            if b.what == "resync_start":
                size = f"{r.kb} KB" if r.kb is not None else "size not logged"
                note(b, f"{r.kind} starts as {r.role}: {size}", style)
            elif r.outcome == "done":
                took = f"{r.total_s} s" if r.total_s is not None else "done"
                rate = f", {r.rate_kps} K/s" if r.rate_kps is not None else ""
                note(b, f"{r.kind} done: {took}{rate}", style)
            else:
                note(b, f"{r.kind} broken: {r.end_reason}", "finding")
        elif b.what == "landmark":
            if r.kind == "driver_loaded":
                note(b, f"driver loaded, BSR {r.detail.get('version') or '?'}", "muted")
            elif r.kind in ("attached", "detaching"):
                note(b, f"{r.kind} UUID {r.detail.get('current_uuid')}", "muted")
            elif r.kind == "volume_lock":
                note(b, "volume lock requested", "muted")
            elif r.kind == "split_brain":
                note(b, "SPLIT BRAIN", "finding")
        elif b.what == "landmark_end" and r.kind == "volume_lock":
            note(b, "volume unlocked", "muted")
        elif b.what == "loss":
            note(b, b.ref.message[:60], "muted")
        elif b.what == "twopc_failed":
            why = f" rv {r.abort_rv}" if r.abort_rv is not None else ""
            note(b, f"2PC {r.tid} {r.outcome}{why}", "finding")
        elif b.what == "twopc_timeout":
            note(b, f"2PC {r.tid}: timeout", "finding")
        elif b.what == "step":
            note(b, f"clock step {r.size_s:+.3f} s before this line", "finding")
    d.items.sort(
        key=lambda it: (
            it.ns,
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
    reason = UUID_RULE_REASONS.get(dcs.rule) if isinstance(dcs.rule, int) else None
    reason = _(reason) if reason else text(uuid_meaning(dcs.result))
    role = ""
    if isinstance(dcs.result, int) and 0 < dcs.result < 100:
        role = "source"
    elif isinstance(dcs.result, int) and -100 < dcs.result < 0:
        role = "target"
    style = "finding" if not mirrored else (role or "note")
    note = f"{dcs.label}: {reason}"
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
    if p.kind in ("bitmap_send", "bitmap_reply"):
        size = f": {p.label}" if p.label else ""
        return (
            "bitmap (source → target)" if p.kind == "bitmap_send" else "bitmap (target → source)"
        ) + size, False
    if p.kind == "bitmap_done":
        return "bitmap exchange complete", False
    if p.kind == "handshake":
        return "feature handshake (both ways)", True
    if p.kind == "uuid":
        return "UUID sets (both ways)", True
    return p.kind, False


def _uuid_tip(d) -> str:
    s, p = d.self_uuids, d.peer_uuids
    return (
        f"self {s.get('current')}:{s.get('bitmap')} bits {s.get('bits')}; "
        f"peer {p.get('current')}:{p.get('bitmap')} bits {p.get('bits')}; {d.rule_text or ''}"
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


def _graph(name: str) -> graphviz.Digraph:
    g = graphviz.Digraph(name=name, format="svg")
    g.attr(
        rankdir="TB",
        nodesep="0.18",
        ranksep="0.16",
        splines="line",
        newrank="true",
        fontname=FONT,
        bgcolor="white",
        pad="0.3",
    )
    g.attr("node", fontname=FONT, fontsize="10", margin="0.06,0.03")
    g.attr("edge", fontname=FONT, fontsize="9")
    return g


TEXT_COLORS = {k: COLORS[k] for k in ("source", "target", "primary", "finding", "muted")}
LANE_GAP_IN = "3.6"  # room between two lifelines for a message's label


def _note_label(it: Item) -> str:
    color = TEXT_COLORS.get(it.style, "#222222")
    text = h(it.text) + (f" <B>×{it.count}</B>" if it.count > 1 else "")
    bold = it.style in ("source", "target", "primary", "finding")
    if bold:
        text = f"<B>{text}</B>"
    return f'<<FONT COLOR="{color}">{text}</FONT>>'


def draw(analysis: Analysis, d: Diagram, roles: Roles | None = None) -> graphviz.Digraph:
    ep = d.episode
    roles = roles or Roles(analysis)
    g = _graph(ep.slug)
    # A table, not <BR/>: Graphviz sets a bold line over a <BR/> too tightly.
    title = (
        '<<TABLE BORDER="0" CELLPADDING="1" CELLSPACING="2">'
        f'<TR><TD ALIGN="LEFT"><B>{h(f"#{ep.number} {ep.title}")}</B></TD></TR>'
        f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="9" COLOR="#555555">{h(_span(ep))} on '
        f"{h(analysis.alignment.reference)}'s clock</FONT></TD></TR></TABLE>>"
    )
    g.attr(label=title, labelloc="t", labeljust="l", fontsize="12")
    idents = {ev.name: ev.identity for ev in analysis.events}
    nodes = d.nodes
    # Lifeline heads.
    with g.subgraph(name="heads") as s:
        s.attr(rank="same")
        s.node("t_head", label="<<B>time</B>>", shape="plaintext")
        prev = "t_head"
        for i, n in enumerate(nodes):
            s.node(
                f"h{i}",
                label=_head_label(n, idents.get(n), analysis, ep, roles),
                shape="box",
                style="rounded,filled",
                fillcolor="#f2f2f2",
                color="#888888",
            )
            s.edge(prev, f"h{i}", style="invis")
            prev = f"h{i}"
    rows = d.items
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
            gap_text[(where["send"], gap)] = d.messages[mid]
    for r, it in enumerate(rows):
        with g.subgraph(name=f"row{r}") as s:
            s.attr(rank="same")
            tip = "; ".join(
                f"{x.node} local {fmt_clock(x.ref.local_ns)}"
                for x in rows
                if x.ref and x.ns == it.ns
            )
            s.node(
                f"t{r}",
                label=f'<<FONT POINT-SIZE="9">{h(fmt_clock(it.ns))}</FONT>>',
                shape="plaintext",
                tooltip=attr(f"aligned {fmt_clock(it.ns)}; {tip}"),
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
                    s.node(
                        f"n{r}",
                        label=_note_label(it),
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
        msg = d.messages[mid]
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
    if d.dropped:
        g.node(
            "more",
            label=f"<<I>{d.dropped} more events not drawn (see the timeline)</I>>",
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
            meta.append(f"id {node_id}")
        if ident.host:
            meta.append(f"host {ident.host}")
        if ident.platform:
            meta.append(ident.platform)
        if meta:
            parts.append(f'<FONT POINT-SIZE="9">{h(", ".join(meta))}</FONT>')
        shown = ep.resources or ([ep.resource] if ep.resource else ident.resources)
        if shown:
            word = "resource" if len(shown) == 1 else "resources"
            parts.append(f'<FONT POINT-SIZE="8">{word} {h(", ".join(shown))}</FONT>')
    na = analysis.alignment.nodes.get(name)
    if na is not None and not na.reference and na.main and na.main.offset_s is not None:
        parts.append(f'<FONT POINT-SIZE="8" COLOR="#666666">clock {na.main.offset_s:+.4f} s</FONT>')
    return "<" + "<BR/>".join(parts) + ">"


# -- overview ----------------------------------------------------------------------------------


def _overview_rows(g, nodes: list[str], episodes: list[Episode], first: int, linked: bool) -> None:
    for r, ep in enumerate(episodes, first):
        with g.subgraph(name=f"row{r}") as s:
            s.attr(rank="same")
            order = []
            for i, n in enumerate(nodes):
                if n in ep.nodes:
                    s.node(
                        f"p{r}_{i}",
                        label="",
                        shape="circle",
                        width="0.14",
                        style="filled",
                        fillcolor=KIND_FILL.get(ep.kind, "#dddddd"),
                        color="#555555",
                    )
                else:
                    s.node(f"p{r}_{i}", label="", shape="point", width="0.03", color="#bbbbbb")
                order.append(f"p{r}_{i}")
            label = f"<<B>#{ep.number}</B> {h(fmt_clock(ep.start_ns))}  {h(ep.title)}>"
            extra = {"URL": f"{ep.slug}.svg", "target": "_top"} if linked else {}
            s.node(
                f"e{r}",
                label=label,
                shape="box",
                style="filled",
                fillcolor=KIND_FILL.get(ep.kind, "#ffffff"),
                color="#999999",
                tooltip=attr(f"{ep.title}: {_span(ep)}"),
                **extra,
            )
            order.append(f"e{r}")
            for a, b in itertools.pairwise(order):
                s.edge(a, b, style="invis")


def overview(analysis: Analysis, episodes: list[Episode], linked: bool) -> graphviz.Digraph:
    g = _graph("overview")
    g.attr(
        label=f"<<B>{h(len(episodes))} episodes</B> on {h(analysis.alignment.reference)}'s "
        "clock (click one for its sequence diagram)>",
        labelloc="t",
        fontsize="12",
    )
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
        s.node("e_head", label="<<B>episode</B>>", shape="plaintext")
        s.edge(prev or "h0", "e_head", style="invis")
    resources = sorted({e.resource for e in episodes if e.resource is not None})
    bands: list[tuple[str | None, list[Episode]]] = [(None, episodes)]
    if len(resources) > 1:
        # One band a resource, in time order inside; then the nodes' own episodes and
        # those of several resources at once.
        bands = [(res, [e for e in episodes if e.resource == res]) for res in resources]
        bands.append(("nodes and several resources", [e for e in episodes if e.resource is None]))
    rows: list[Episode] = []
    for k, (band, members) in enumerate(b for b in bands if b[1]):
        if band is None:
            _overview_rows(g, nodes, members, len(rows), linked)
        else:
            with g.subgraph(name=f"cluster_band{k}") as c:
                c.attr(label=f"<<B>{h(band)}</B>>", labeljust="l", style="rounded", color="#bbbbbb")
                _overview_rows(c, nodes, members, len(rows), linked)
        rows.extend(members)
    episodes = rows
    for i, _n in enumerate(nodes):
        chain = [f"h{i}"] + [f"p{r}_{i}" for r in range(len(episodes))]
        for a, b in itertools.pairwise(chain):
            g.edge(a, b, arrowhead="none", color="#aaaaaa", weight="100")
    echain = ["e_head"] + [f"e{r}" for r in range(len(episodes))]
    for a, b in itertools.pairwise(echain):
        g.edge(a, b, style="invis", weight="100")
    return g


# -- writing -----------------------------------------------------------------------------------


class DotMissing(Exception):
    """Graphviz's ``dot`` is not installed: the sources were written instead."""


def render(analysis: Analysis, episodes: list[Episode], out: Path, mode: str) -> list[Path]:
    """Write ``overview.svg`` and (``mode == "all"``) one SVG per episode into ``out``.

    Raises :class:`DotMissing` after writing the ``.dot`` sources when ``dot`` is absent.
    """
    # An earlier run's diagrams are already gone: bundle.prepare clears them.
    if mode == "none":
        return []
    out.mkdir(parents=True, exist_ok=True)
    graphs: list[tuple[str, graphviz.Digraph]] = []
    if mode == "all":
        roles = Roles(analysis)
        for ep in episodes:
            graphs.append((ep.slug, draw(analysis, collect(analysis, ep), roles)))
    graphs.append(("overview", overview(analysis, episodes, linked=mode == "all")))
    written = []
    missing = False
    for name, g in graphs:
        if missing:
            (out / f"{name}.dot").write_text(g.source, encoding="utf-8")
            continue
        try:
            svg = g.pipe(format="svg")
        except graphviz.ExecutableNotFound:
            missing = True
            (out / f"{name}.dot").write_text(g.source, encoding="utf-8")
            continue
        path = out / f"{name}.svg"
        tmp = out / f".{name}.svg.tmp"
        try:
            tmp.write_bytes(finish_svg(svg))
            tmp.replace(path)
        except OSError:
            # a full disk must not leave a half-written diagram behind
            tmp.unlink(missing_ok=True)
            raise
        written.append(path)
    if missing:
        raise DotMissing(str(out))
    return written
