"""Render, page: ``report.html``, the postmortem page, one self-contained file.

Everything is inline (styles, script, data, SVG diagrams): the page opens offline from a
ticket attachment. Without JavaScript it still shows the header, the clock alignment and
its evidence, the findings, the episodes with their diagrams and story, and the protocol
events of the timeline; with JavaScript the whole timeline becomes a paged, filterable
table with an aligned/raw time toggle.

Security: every string that comes from a log is escaped with :func:`html.escape` where
it is written into HTML, and the timeline data travel as JSON inside a
``<script type="application/json">`` block with ``<``, ``>`` and ``&`` escaped, so no log
text can end the block. The script builds rows with ``textContent`` only, never
``innerHTML``. The SVGs are Graphviz's output of labels already escaped by
:mod:`correlate.render.sequence`.
"""

from __future__ import annotations

import html
import json
import re
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from ..catalog import STATUS_POLL_PREFIX
from ..classify import EXPLAIN
from ..findings import KINDS as FINDING_KINDS
from ..i18n import text
from ..times import fmt_ns
from . import story
from .text import clock_line

if TYPE_CHECKING:
    from ..analysis import Analysis
    from ..model import Ref

# Rows embedded for the interactive timeline. Above this, the page keeps every protocol
# event, warning and unparsed row and says how many routine rows it left out (they are in
# timeline.csv/parquet); a million-row capture thus still opens in a browser.
REPORT_ROWS = 200_000
STATIC_ROWS = 2_000  # protocol events in the no-JavaScript table
FINDINGS_SHOWN = 30  # findings in the open table; the rest folded below it
EVIDENCE_ROWS = 300
DAY_100NS = 86_400 * 10**7


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _json_for_script(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # Inside <script>, only "</script" or "<!--" could end the block; escaping these
    # three characters (valid JSON escapes) rules both out. U+2028/9 for old parsers.
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def render(analysis: Analysis, diagrams: Path) -> str:
    """The whole page as a string."""
    table = _timeline_table(analysis.timeline)
    index = _row_index(table["frame"])
    parts = [
        _head(analysis),
        _header(analysis),
        _window_note(analysis),
        _findings(analysis, index),
        _protocol(analysis, index),
        _alignment(analysis, index),
        _episodes(analysis, diagrams),
        _timeline(analysis, table, index),
        _script(table),
        "</body></html>\n",
    ]
    return "\n".join(parts)


# -- data --------------------------------------------------------------------------------


def _timeline_table(frame: pl.DataFrame) -> dict[str, Any]:
    total = frame.height
    f = frame.with_row_index("_pos")
    kept = f
    wanted = total
    if total > REPORT_ROWS:
        # What a reader needs: protocol events (status polls aside: they are counted in
        # summary.json), warnings, errors, unparsed lines.
        event = pl.col("event").fill_null("")
        poll = event.is_in(["netlink_received", "netlink_done"]) & pl.col("message").str.contains(
            STATUS_POLL_PREFIX, literal=True
        )
        kept = f.filter(((event != "") & ~poll) | (pl.col("level_num").fill_null(6) <= 4))
        wanted = kept.height
        kept = kept.head(REPORT_ROWS)
    kept = kept.with_row_index("_i")
    ns = [x for c in ("time", "local_time") if (x := kept[c].cast(pl.Int64).min()) is not None]
    base_day = (min(ns) // (DAY_100NS * 100)) if ns else 0
    base_ns = base_day * DAY_100NS * 100

    def codes(col: str) -> tuple[list[str], pl.Series]:
        values = kept[col].fill_null("")
        names = sorted(values.unique().to_list())
        mapping = {n: i for i, n in enumerate(names)}
        return names, values.replace_strict(mapping, return_dtype=pl.UInt32)

    nodes, node_codes = codes("node")
    levels, level_codes = codes("level")
    cats, cat_codes = codes("category")
    kinds, kind_codes = codes("event")
    files, file_codes = codes("file")

    def t100(col: str) -> list[int | None]:
        return ((kept[col].cast(pl.Int64) - base_ns) // 100).to_list()

    raw_order = kept.select(
        pl.arg_sort_by(
            [pl.col("local_time"), pl.col("node"), pl.col("file_index"), "line", "entry"],
            nulls_last=True,
        )
    ).to_series()
    data = {
        "total": total,
        "embedded": kept.height,
        "wanted": wanted,
        "baseDay": int(base_day),
        "nodes": nodes,
        "levels": levels,
        "categories": cats,
        "kinds": kinds,
        "files": files,
        "explain": {k: EXPLAIN.get(k, "") for k in kinds if k},
        "node": node_codes.to_list(),
        "time": t100("time"),
        "local": t100("local_time"),
        "offset": kept["offset_s"].round(7).to_list(),
        "level": level_codes.to_list(),
        "cat": cat_codes.to_list(),
        "idx": kept["index"].to_list(),
        "kind": kind_codes.to_list(),
        "file": file_codes.to_list(),
        "line": kept["line"].to_list(),
        "seq": kept["seq"].to_list(),
        "msg": kept["message"].fill_null("").to_list(),
        "rawOrder": raw_order.to_list(),
    }
    return {"frame": kept, "data": data}


def _row_index(kept: pl.DataFrame) -> dict[tuple[str, int], int]:
    """(node, row) -> place in the embedded rows, for links from findings and evidence."""
    pairs = kept.select("node", "row", "_i")
    return {(n, r): i for n, r, i in pairs.iter_rows()}


def _line_link(ref: Ref | None, index: dict[tuple[str, int], int], analysis: Analysis) -> str:
    if ref is None:
        return ""
    label = f"{ref.node} {Path(ref.file).name}:{ref.line}"
    at = analysis.clock.at(ref)
    tip = (
        f"{ref.file}:{ref.line}; local {fmt_ns(ref.local_ns) or '-'}; aligned "
        f"{fmt_ns(at) or '-'}; {ref.message}"
    )
    i = index.get((ref.node, ref.row))
    if i is None:
        return f'<span title="{esc(tip)}">{esc(label)}</span>'
    return f'<a class="ln" href="#row-{i}" title="{esc(tip)}">{esc(label)}</a>'


# -- sections ----------------------------------------------------------------------------


def _head(analysis: Analysis) -> str:
    title = "bsrcorr report: " + ", ".join(analysis.node_names)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # No network: scripts, styles and images only from this file.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
        f"<title>{esc(title)}</title><style>{_asset('report.css')}</style></head><body>"
    )


def _header(analysis: Analysis) -> str:
    al = analysis.alignment
    rows = []
    for i, (p, ev) in enumerate(zip(analysis.nodes, analysis.events, strict=True)):
        ident = ev.identity
        files = "<br>".join(
            f"{esc(f.display)} <span class=sub>({f.lines} lines)</span>" for f in p.files
        )
        rows.append(
            "<tr>"
            f'<td><span class="badge n{min(i, 4)}">{esc(p.name)}</span>'
            + (" (reference)" if p.name == al.reference else "")
            + "</td>"
            f"<td class=num>{esc(ident.node_id if ident.node_id is not None else '?')}</td>"
            f"<td>{esc(ident.host or '-')}</td><td>{esc(ident.platform or '-')}</td>"
            f"<td>{esc(ident.product)} {esc(ident.version or '')}</td><td>{_resources(ident)}</td>"
            f"<td>{files}</td>"
            f"<td class=t>{esc(fmt_ns(p.first_time, sep=' '))}<br>"
            f"{esc(fmt_ns(p.last_time, sep=' '))}</td>"
            f"<td class=num>{p.lines}</td><td class=num>{p.entries}</td>"
            f"<td class=num>{p.unparsed}</td><td class=num>{p.lost}</td>"
            f"<td class=num>{p.epochs}</td></tr>"
        )
    times = analysis.timeline["time"].cast(pl.Int64)
    span = ""
    if times.min() is not None:
        span = (
            f"; aligned span {esc(fmt_ns(times.min(), sep=' '))} .. "
            f"{esc(fmt_ns(times.max(), sep=' '))}"
        )
    return (
        f"<h1>BSR postmortem: {esc(', '.join(analysis.node_names))}</h1>"
        f'<p class="sub">All times on <b>{esc(al.reference)}</b>\'s clock unless marked '
        f"local{span}. Written by bsrcorr; the machine-readable files beside this page are "
        "timeline.parquet/csv, alignment.json and summary.json.</p>"
        "<h2 id=nodes>Nodes</h2><table><tr><th>node</th><th>id</th><th>host</th>"
        "<th>platform</th><th>driver</th><th>resources</th><th>files</th><th>local time range</th>"
        "<th>lines</th>"
        "<th>entries</th><th>unparsed</th><th>lost</th><th>driver loads</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _resources(ident) -> str:
    """``r0 (vol 0: minor 2)``, one resource a line, with its own node id where known."""
    lines = []
    for res in ident.resources:
        vols = [v for v in ident.volumes if v["resource"] == res]
        detail = ", ".join(f"vol {v['volume']}: minor {v['minor']}" for v in vols)
        own = ident.node_ids.get(res)
        extra = "; ".join(x for x in (detail, f"node id {own}" if own is not None else "") if x)
        lines.append(esc(res) + (f" <span class=sub>({esc(extra)})</span>" if extra else ""))
    return "<br>".join(lines) or "-"


def _window_note(analysis: Analysis) -> str:
    """What --since/--until left: the page shows only that part of the capture."""
    w = analysis.window
    if w is None:
        return ""
    since = fmt_ns(w.since_ns, sep=" ") or "the start"
    until = fmt_ns(w.until_ns, sep=" ") or "the end"
    return (
        f'<p class="note" id="window">Window: {esc(since)} .. {esc(until)} (--since/--until): '
        f"{w.rows:,} of the {w.rows_read:,} rows read, and only the findings, episodes, "
        "diagrams and protocol records inside it. The node table above counts the whole "
        "files; the clock alignment below was fitted on the whole capture.</p>"
    )


def _findings(analysis: Analysis, index: dict) -> str:
    found = analysis.findings
    if not found:
        return (
            "<h2 id=findings>Findings</h2><p>None: no aborted or stuck 2PC, no unterminated "
            "command, no split brain, no lost lines, no clock trouble found.</p>"
        )
    rows = []
    for f in found:
        links = " ".join(_line_link(r, index, analysis) for r in f.lines[:8])
        if len(f.lines) > 8:
            links += f" <span class=sub>+{len(f.lines) - 8} more</span>"
        what = esc(text(f.msg))
        if f.occurrences:
            # A summary of repeated findings: each one folded under it.
            items = "".join(
                f"<li><span class=t>{esc(fmt_ns(ns, sep=' ') or '-')}</span> {esc(text(m))}</li>"
                for ns, m in f.occurrences
            )
            what += f"<details><summary>all {f.count}</summary><ol>{items}</ol></details>"
        rows.append(
            f'<tr><td><span class="sev sev-{esc(f.severity)}">{esc(f.severity)}</span></td>'
            f'<td title="{esc(FINDING_KINDS.get(f.kind, ""))}">{esc(f.kind)}</td>'
            f"<td>{esc(f.node or 'cluster')}</td><td>{esc(f.resource or '-')}</td>"
            f"<td class=t>{esc(fmt_ns(f.time_ns, sep=' ') or '-')}</td>"
            f"<td>{what}</td><td>{links}</td></tr>"
        )
    head = (
        "<tr><th>severity</th><th>kind</th><th>node</th><th>resource</th><th>time</th>"
        "<th>what</th><th>lines</th></tr>"
    )
    shown, folded = rows[:FINDINGS_SHOWN], rows[FINDINGS_SHOWN:]
    more = ""
    if folded:
        # The most severe come first; the rest stay one click away.
        more = (
            f"<details><summary>{len(folded)} more findings, less severe or later"
            f"</summary><table>{head}{''.join(folded)}</table></details>"
        )
    total = sum(f.count for f in found)
    counted = f"{len(found)}" + (f", {total} in all" if total != len(found) else "")
    return f"<h2 id=findings>Findings ({counted})</h2><table>{head}{''.join(shown)}</table>{more}"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    """A table of cells already escaped (or built from escaped parts)."""
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _protocol(analysis: Analysis, index: dict) -> str:
    """Per resource (when there are several): its 2PCs, UUID decisions, resyncs and the
    list of its episodes."""
    cl = analysis.cluster
    resources = cl.resources
    grouped = len(resources) > 1
    out = ["<h2 id=protocol>Protocol" + (" by resource" if grouped else "") + "</h2>"]
    for res in resources if grouped else [None]:

        def mine(resource: str | None, res=res) -> bool:
            return not grouped or resource == res

        if grouped:
            out.append(f'<h3 id="resource-{esc(res)}">resource {esc(res)}</h3>')
        twopc = [r for r in cl.twopc if mine(r.resource)]
        if twopc:
            out.append(f"<h4>2PC ({len(twopc)})</h4>")
            out.append(
                _table(
                    ["tid", "initiator", "participants", "changes", "outcome", "time", "line"],
                    [
                        [
                            str(r.tid),
                            esc(r.initiator or "?"),
                            esc(", ".join(r.participants) or "-"),
                            esc(", ".join(f"{k} {v}" for k, v in r.changes.items()) or "-"),
                            esc(r.outcome),
                            esc(fmt_ns(analysis.clock.first(r.refs()), sep=" ") or "-"),
                            _line_link(next(iter(r.refs()), None), index, analysis),
                        ]
                        for r in twopc
                    ],
                )
            )
        decisions = [d for ev in analysis.events for d in ev.decisions if mine(d.resource)]
        if decisions:
            rows = []
            for d in decisions:
                pair = cl.twin.get(d)
                both = "-" if pair is None else "mirrored" if pair.mirrored else "DOES NOT MIRROR"
                meaning = (
                    text(d.meaning) if d.result is None or isinstance(d.result, int) else d.result
                )
                rows.append(
                    [
                        esc(d.node),
                        esc(cl.name_of(d.resource, d.peer, d.peer_host) or "?"),
                        esc(d.volume),
                        esc(d.short),
                        esc(meaning),
                        esc(both),
                        _line_link(d.end, index, analysis),
                    ]
                )
            out.append(f"<h4>UUID decisions ({len(decisions)})</h4>")
            out.append(
                _table(["node", "peer", "volume", "result", "meaning", "both sides", "line"], rows)
            )
        resyncs = [r for r in cl.resyncs if mine(r.resource)]
        if resyncs:
            out.append(f"<h4>Resyncs ({len(resyncs)})</h4>")
            out.append(
                _table(
                    ["kind", "source", "target", "volume", "KB", "outcome", "line"],
                    [
                        [
                            esc(r.kind),
                            esc(r.source or "?"),
                            esc(r.target or "?"),
                            esc(r.volume),
                            esc(r.kb if r.kb is not None else "-"),
                            esc(r.outcome),
                            _line_link(r.sides[0].start, index, analysis),
                        ]
                        for r in resyncs
                    ],
                )
            )
        episodes = [e for e in analysis.episodes if mine(e.resource)]
        if grouped and episodes:
            items = "".join(
                f'<li><a href="#{esc(e.slug)}">#{e.number} {esc(e.title)}</a></li>'
                for e in episodes
            )
            out.append(f"<h4>Episodes ({len(episodes)})</h4><ul>{items}</ul>")
        if not (twopc or decisions or resyncs or (grouped and episodes)):
            out.append("<p class=sub>No 2PC, UUID decision or resync logged.</p>")
    return "\n".join(out)


def _alignment(analysis: Analysis, index: dict) -> str:
    al = analysis.alignment
    out = [
        "<h2 id=alignment>Clock alignment</h2>",
        '<p class="sub">offset = node clock minus the reference clock; aligned time = local '
        "time minus offset. Bounds come from causal pairs (a line logged after its peer sent "
        "the packet cannot precede the send).</p>",
        "<table><tr><th>node</th><th>segment</th><th>local from .. to</th><th>offset s</th>"
        "<th>bounds s</th><th>drift ppm</th><th>evidence</th><th>basis</th>"
        "<th>adjusted s</th></tr>",
    ]
    for name, na in al.nodes.items():
        for k, seg in enumerate(na.segments):
            if na.reference:
                basis = "reference"
            elif na.manual:
                basis = '<span class="manual">MANUAL (--offset)</span>'
            elif seg.offset_s is None:
                basis = '<span class="unaligned">UNALIGNED: own clock</span>'
            else:
                basis = esc(seg.basis + (f" via {', '.join(seg.via)}" if seg.via else ""))
            lo = "-inf" if seg.lower_s is None else f"{seg.lower_s:+.7f}"
            hi = "+inf" if seg.upper_s is None else f"{seg.upper_s:+.7f}"
            off = "-" if seg.offset_s is None else f"{seg.offset_s:+.7f}"
            out.append(
                f"<tr><td>{esc(name)}</td><td class=num>{k + 1}</td>"
                f"<td class=t>{esc(fmt_ns(seg.start_ns, sep=' '))}<br>"
                f"{esc(fmt_ns(seg.end_ns, sep=' '))}</td>"
                f"<td class=num>{off}</td><td class=num>[{lo}, {hi}]</td>"
                f"<td class=num>{(seg.drift_ppm or 0):+.2f}</td>"
                f"<td class=num>{seg.evidence} + {seg.weak_evidence} weak</td>"
                f"<td>{basis}</td><td class=num>{seg.adjusted_s:+.7f}</td></tr>"
            )
    out.append("</table><ul>")
    for name, na in al.nodes.items():
        out.append(f"<li><b>{esc(name)}</b>: {esc(clock_line(na))}</li>")
        if na.timezone:
            out.append(
                f"<li>{esc(name)}: clocks {esc(na.timezone)} apart, likely a time-zone "
                f"difference (a Linux BSR driver logs UTC+9); residual "
                f"{(na.residual_s or 0):+.6f} s</li>"
            )
        for st in na.steps:
            out.append(
                f"<li>{esc(name)}: clock step of {st.size_s:+.6f} s between "
                f"{_line_link(st.before, index, analysis)} and "
                f"{_line_link(st.after, index, analysis)}</li>"
            )
    strict = sum(1 for p in al.pairs if p.strict)
    out.append(
        f"<li>causal check: {strict} strict pairs, {al.violations_after} receive-before-send "
        f"after alignment ({al.violations_before} before adjusting); "
        f"{len(al.conflicts)} conflicting pair(s)</li></ul>"
    )
    pairs = sorted(al.pairs, key=lambda p: (not p.strict, p.send.node, p.send.row))
    out.append(
        f"<h3>Evidence ({len(pairs)} pairs"
        + (
            f", first {EVIDENCE_ROWS} shown; all in alignment.json"
            if len(pairs) > EVIDENCE_ROWS
            else ""
        )
        + ")</h3><table><tr><th>pair kind</th><th>tid</th><th>strict</th><th>send line</th>"
        "<th>receive line</th><th>recv - send (own clocks) s</th></tr>"
    )
    for p in pairs[:EVIDENCE_ROWS]:
        delta = "-" if p.delta_s is None else f"{p.delta_s:+.7f}"
        out.append(
            f"<tr><td>{esc(p.kind)}</td><td class=num>{esc(p.tid if p.tid is not None else '')}"
            f"</td><td>{'yes' if p.strict else 'weak'}</td>"
            f"<td>{_line_link(p.send, index, analysis)}</td>"
            f"<td>{_line_link(p.recv, index, analysis)}</td><td class=num>{delta}</td></tr>"
        )
    out.append("</table>")
    return "\n".join(out)


_HREF = re.compile(r'(xlink:href|href)="(episode-\d+-[A-Za-z0-9_.-]+)\.svg"')


def _svg_inline(path: Path) -> str | None:
    try:
        svg = path.read_text(encoding="utf-8")
    except OSError:
        return None
    start = svg.find("<svg")
    if start < 0:
        return None
    # The overview links to the episode files; in the page, to the episode sections.
    return _HREF.sub(r'\1="#\2"', svg[start:])


def _episodes(analysis: Analysis, diagrams: Path) -> str:
    out = ["<h2 id=episodes>Episodes</h2>"]
    if analysis.dot_missing:
        out.append(
            '<p class="note" id="no-dot">The sequence diagrams are missing: Graphviz\'s '
            "<code>dot</code> was not installed when this report was written. Their sources "
            "are in <code>diagrams/*.dot</code>. Install Graphviz (Debian and Ubuntu: "
            "<code>apt-get install graphviz</code>; Fedora: <code>dnf install graphviz</code>; "
            "Windows and macOS: the installers at graphviz.org) and run bsrcorr again.</p>"
        )
    overview = _svg_inline(diagrams / "overview.svg")
    if overview:
        out.append(f'<div class="diagram">{overview}</div>')
    if not analysis.episodes:
        out.append("<p>No episodes: no driver start, up, connect, role change or down found.</p>")
    for e in analysis.episodes:
        start, end = fmt_ns(e.start_ns, sep=" "), fmt_ns(e.end_ns, sep=" ")
        sentences = "".join(f"<li>{esc(s)}</li>" for s in story.tell(analysis, e))
        svg = _svg_inline(diagrams / f"{e.slug}.svg")
        pic = (
            f'<div class="diagram">{svg}</div>'
            if svg
            else '<p class="sub">(diagram not rendered: '
            + ("Graphviz's dot is missing)</p>" if analysis.dot_missing else "see --diagrams)</p>")
        )
        out.append(
            f'<section class="episode" id="{esc(e.slug)}"><h3>#{e.number} {esc(e.title)}</h3>'
            f'<p class="sub">{esc(start)} .. {esc(end)}; nodes {esc(", ".join(e.nodes))}</p>'
            f"<ol>{sentences}</ol>{pic}</section>"
        )
    return "\n".join(out)


def _timeline(analysis: Analysis, table: dict, index: dict) -> str:
    data = table["data"]
    kept: pl.DataFrame = table["frame"]
    note = ""
    if data["embedded"] < data["wanted"]:
        note = (
            f'<p class="note">This page embeds {data["embedded"]:,} of {data["total"]:,} rows: '
            f"the first {data['embedded']:,} of the {data['wanted']:,} protocol events "
            "(status polls aside), warnings, errors and unparsed lines. Every row is in "
            "timeline.csv and timeline.parquet.</p>"
        )
    elif data["embedded"] < data["total"]:
        note = (
            f'<p class="note">This page embeds {data["embedded"]:,} of {data["total"]:,} rows: '
            "every protocol event (status polls aside: summary.json counts them), warning, "
            f"error and unparsed line. The {data['total'] - data['embedded']:,} routine rows "
            "left out are in timeline.csv and timeline.parquet.</p>"
        )
    static = kept.filter(pl.col("event").fill_null("") != "").head(STATIC_ROWS)
    rows = []
    for r in static.iter_rows(named=True):
        rows.append(
            f'<tr id="row-{r["_i"]}" class="lvl-{esc(r["level"])}"><td class=t>'
            f"{esc(fmt_ns(_ns(r['time']), sep=' ') or '-')}</td><td>{esc(r['node'])}</td>"
            f"<td class=t>{esc(fmt_ns(_ns(r['local_time']), sep=' ') or '-')}</td>"
            f"<td>{esc(r['level'])}</td><td>{esc(r['category'])}:{esc(r['index'])}</td>"
            f'<td class=ev title="{esc(EXPLAIN.get(r["event"], ""))}">{esc(r["event"])}</td>'
            f"<td class=msg>{esc(r['message'])}</td></tr>"
        )
    return (
        "<h2 id=timeline>Timeline</h2>"
        + note
        + "<noscript><p>Without JavaScript: the protocol events only"
        + (f" (first {STATIC_ROWS:,})" if static.height == STATIC_ROWS else "")
        + ". Open timeline.csv for every row.</p><table><tr><th>time (aligned)</th>"
        "<th>node</th><th>local time</th><th>level</th><th>CAT:idx</th><th>event</th>"
        "<th>message</th></tr>" + "".join(rows) + "</table></noscript>"
        '<div id="tl" hidden><div id="controls">'
        '<span id="nodefilter"></span>'
        '<label>level <select id="level"><option value="">all</option>'
        '<option value="!warn">warnings and errors</option></select></label>'
        '<label>category <select id="cat"><option value="">all</option></select></label>'
        '<label>event <select id="kind"><option value="">all</option>'
        '<option value="!any">any protocol event</option></select></label>'
        '<label>text <input id="q" type="search" title="rows whose text holds this">'
        "</label>"
        '<label><input id="raw" type="checkbox"> raw local times (uncorrected)</label>'
        '<span id="pager"><button id="prev" type="button">&lt;</button>'
        '<span id="pageinfo"></span><button id="next" type="button">&gt;</button></span>'
        '</div><p id="mode" class="sub"></p>'
        '<table id="rows"><thead><tr><th class="tcol" id="th-main">time (aligned)</th>'
        '<th>node</th><th class="tcol" id="th-second">local time</th><th>level</th>'
        "<th>CAT:idx</th><th>event</th><th>message</th></tr></thead><tbody></tbody></table>"
        "</div>"
    )


def _ns(value: Any) -> int | None:
    if value is None:
        return None
    return int(pl.Series([value]).cast(pl.Int64)[0])


def _script(table: dict) -> str:
    return (
        '<script type="application/json" id="bsrcorr-data">'
        + _json_for_script(table["data"])
        + "</script>\n<script>"
        + _asset("report.js")
        + "</script>"
    )
