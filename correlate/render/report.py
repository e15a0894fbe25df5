"""Render, page: ``report.html``, the postmortem page, one self-contained file.

Everything is inline (styles, script, data, SVG diagrams): the page opens offline from a
ticket attachment. Without JavaScript it still shows the header, the clock alignment and
its evidence, the findings, the overview, the episodes with their story (and their
diagrams, on a capture small enough to carry them plain), and the protocol events of the
timeline; with JavaScript the whole timeline becomes a paged, filterable table with an
aligned/raw time toggle and a button that downloads the filtered rows as CSV.

Size: the page opens in seconds at any size. Above :data:`INLINE_SVG_BYTES` of episode
diagrams each SVG is embedded gzip-compressed (base64) in a closed episode and expanded
in the browser (``DecompressionStream``) when the episode is opened; the timeline data
are column arrays of small numbers (codes into lists of names, times as differences from
the row before, messages once each where they repeat) and carry at most
:data:`REPORT_ROWS` rows and :data:`MESSAGE_BYTES` of text.

Security: every string that comes from a log is escaped with :func:`html.escape` where
it is written into HTML, and the timeline data travel as JSON inside a
``<script type="application/json">`` block with ``<``, ``>`` and ``&`` escaped, so no log
text can end the block. The script builds rows with ``textContent`` only, never
``innerHTML``. The SVGs are Graphviz's output of labels already escaped by
:mod:`correlate.render.sequence`; compressed ones are parsed as XML (``DOMParser``) and
imported as nodes. The CSV is made in the page and downloaded from a ``blob:`` URL: the
Content-Security-Policy still allows no request to leave the file.

Language: every word of the page is in the reader's language (:mod:`correlate.i18n`;
``<html lang>`` says which, so that the browser picks fonts for it; the styles name
fonts with Hangul after the system's own), the script's words too: their translations
travel in the data block (``words``, keyed by the English of :data:`SCRIPT_TEXT`). Log
text, protocol names and the names of the JSON files' fields stay as they are.
Translated templates are escaped like log text, then filled with values escaped in turn
(:func:`tr`), so a translation cannot add markup either.
"""

from __future__ import annotations

import base64
import gzip
import html
import json
import re
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from correlate.events.classify import EXPLAIN
from correlate.i18n import N_, UNKNOWN_NODE, UNNAMED_PEER, _, language, text
from correlate.render import report_bundle, story
from correlate.render.select import AUTO_ALL, MAX_DRAWN
from correlate.render.text import (
    OUTCOME_WORDS,
    RECORD_WORDS,
    SEVERITY_WORDS,
    basis_word,
    clock_line,
)
from correlate.story.diagnosis import KINDS as DIAGNOSIS_KINDS
from correlate.story.findings import KINDS as FINDING_KINDS
from correlate.times import fmt_ns
from correlate.vocab import Outcome, ResyncOutcome

if TYPE_CHECKING:
    from correlate.analysis import Analysis, Bundle, Drawn
    from correlate.model import Ref

# Rows embedded for the interactive timeline. Above this, the page keeps every protocol
# event, warning and unparsed row and says how many routine rows it left out (they are in
# timeline.csv/parquet); a million-row capture thus still opens in a browser.
REPORT_ROWS = 200_000
# Message text embedded at most: past it, as past REPORT_ROWS, the page keeps the protocol
# events, warnings and errors only (a page of routine lines of 150 bytes each would be
# 30 MB at REPORT_ROWS; this keeps the page under 15 MB at any size).
MESSAGE_BYTES = 6_000_000
STATIC_ROWS = 2_000  # protocol events in the no-JavaScript table
FINDINGS_SHOWN = 30  # findings in the open table; the rest folded below it
EVIDENCE_ROWS = 300
# Rows of each protocol table (2PCs, UUID decisions, resyncs, episodes) of a resource; past
# it the table keeps the rows that need attention first, then the first routine ones,
# and says where every one is (a capture of 8,000 episodes had 6.7 MB of these tables).
PROTOCOL_ROWS = 200
DAY_100NS = 86_400 * 10**7


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


class Html(str):
    """A value that is HTML already (markup made here, any log text in it escaped)."""


def tx(message: str) -> str:
    """Translated text (``_("...")``) for an element's content (not an attribute)."""
    return html.escape(message, quote=False)


def tr(message: str, /, **values: Any) -> str:
    """A translated template (``_("...")``) as an element's content: escaped, then
    filled with ``values``, escaped too unless :class:`Html`."""
    return tx(message).format(
        **{k: v if isinstance(v, Html) else esc(v) for k, v in values.items()}
    )


def _word(table: dict[str, str], key: str | None) -> str:
    """A code word (an outcome, a severity) in the reader's language; unknown ones as
    they are."""
    if key is None:
        return ""
    return _(table[key]) if key in table else key


def _explain(table: dict[str, str], key: str | None) -> str:
    """An explanation in the reader's language; "" when there is none (``_("")`` would
    be the catalog's header)."""
    found = table.get(key or "", "")
    return _(found) if found else ""


def _n(value: int) -> str:
    return f"{value:,}"


RECORD_KINDS = dict(zip(("resync", "verify"), RECORD_WORDS, strict=True))


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


def render(analysis: Analysis, diagrams: Path, written: Bundle) -> str:
    """The whole page as a string, for the bundle ``written`` (its diagrams, its files)."""
    table = _timeline_table(analysis)
    index = _row_index(table["frame"])
    parts = [
        _head(analysis),
        _header(analysis, written),
        _what_happened(analysis, index, written.drawn),
        _window_note(analysis),
        _findings(analysis, index),
        report_bundle.section(analysis),
        _protocol(analysis, index, written.drawn),
        _alignment(analysis, index),
        _episodes(analysis, diagrams, written.drawn),
        _timeline(analysis, table, index, written),
        _script(table),
        "</body></html>\n",
    ]
    return "\n".join(parts)


# -- data --------------------------------------------------------------------------------


# The timeline columns the page and its links read.
_PAGE_COLUMNS = (
    "node",
    "row",
    "file",
    "file_index",
    "line",
    "entry",
    "seq",
    "time",
    "local_time",
    "offset_s",
    "step",
    "level",
    "level_num",
    "category",
    "index",
    "event",
    "message",
)


def _timeline_table(analysis: Analysis) -> dict[str, Any]:
    frame = analysis.timeline
    total = frame.height
    # Only the columns the page shows, and of a long capture only the rows it keeps.
    kept = frame.select(_PAGE_COLUMNS).with_row_index("_pos")
    wanted = total
    # Message text is most of the embedded data: past REPORT_ROWS rows or MESSAGE_BYTES of
    # text, the page keeps only what a reader needs.
    # (Over the whole timeline: no filled copy of the column; a sum skips the nulls.)
    text_bytes = frame["message"].str.len_bytes().sum() or 0
    if total > REPORT_ROWS or text_bytes > MESSAGE_BYTES:
        # What a reader needs: protocol events (terminated status polls aside: they are
        # counted in summary.json, not records), warnings, errors, unparsed lines. Which
        # rows is found on four narrow columns, and only those rows of the page's columns
        # are gathered (on a capture of many polls the event rows are a tenth of the
        # timeline: filtering every page column to them was its peak memory).
        # Tests that fill no copy of a column: a null event or level is no event and no
        # warning, and a filter drops the rows whose test is null.
        event = pl.col("event") != ""
        warned = pl.col("level_num") <= 4
        keys = frame.select("event", "level_num", "node", "row").with_row_index("_pos")
        keys = keys.filter(event | warned)
        # A poll's lines are event rows: they are looked for among those alone.
        polls = _poll_positions(analysis, keys.filter(event))
        keys = keys.filter((event & ~pl.col("_pos").is_in(polls.implode())) | warned)
        positions = keys.get_column("_pos")
        del keys
        wanted = positions.len()
        sizes = frame.get_column("message").gather(positions).fill_null("").str.len_bytes()
        within = sizes.cum_sum() <= MESSAGE_BYTES
        kept = kept.gather(positions.head(min(REPORT_ROWS, int(within.sum()))))
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

    def t100(col: str) -> pl.Series:
        return (kept[col].cast(pl.Int64) - base_ns) // 100

    raw_order = kept.select(
        pl.arg_sort_by(
            [pl.col("local_time"), pl.col("node"), pl.col("file_index"), "line", "entry"],
            nulls_last=True,
        )
    ).to_series()
    time, local = t100("time"), t100("local_time")
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
        "explain": {k: _explain(EXPLAIN, k) for k in kinds if k},
        "node": node_codes.to_list(),
        # Times in 100 ns from baseDay, as differences from the row before (the rows are
        # in time order: small numbers); the page adds them up.
        "time": _deltas(time),
        "local": _deltas(local),
        "level": level_codes.to_list(),
        "cat": cat_codes.to_list(),
        "idx": kept["index"].to_list(),
        "kind": kind_codes.to_list(),
        "file": file_codes.to_list(),
        "line": kept["line"].to_list(),
        "seq": kept["seq"].to_list(),
        "rawOrder": _deltas(raw_order.cast(pl.Int64)),
    }
    data.update(_offsets(kept, node_codes, len(nodes)))
    # Rows a clock step may lie on either side of: the page marks their time.
    unsure = kept.select(pl.arg_where(pl.col("step").is_not_null())).to_series()
    if unsure.len():
        data["unsure"] = unsure.to_list()
        data["unsureStep"] = kept["step"].gather(unsure).to_list()
    data.update(_messages(kept["message"].fill_null("")))
    return {"frame": kept, "data": data}


def _poll_positions(analysis: Analysis, f: pl.DataFrame) -> pl.Series:
    """Where in ``f`` (``_pos``) the lines of terminated status polls are: the rows
    :func:`correlate.events.netlink.pair` kept apart from the records. Node by node, a
    membership test of the node's own row numbers (a join on node and row built a hash
    table of every event row: 95 MiB on the activity bench, the report's peak)."""
    found = []
    for ev in analysis.events:
        if not ev.polls.height:
            continue
        rows = ev.polls.select(pl.concat_list("received_row", "done_row").explode())
        rows = rows.to_series().drop_nulls()
        mine = f.filter(pl.col("node") == ev.name)
        found.append(mine.filter(pl.col("row").is_in(rows.implode())).get_column("_pos"))
    if not found:
        return pl.Series("_pos", [], dtype=pl.UInt32)
    return pl.concat(found)


def _deltas(values: pl.Series) -> list[int | None]:
    """Each value minus the last non-null one before it (the first: itself); nulls stay."""
    prev = values.forward_fill().shift(1).fill_null(0)
    return (values - prev).to_list()


def _offsets(kept: pl.DataFrame, node_codes: pl.Series, n_nodes: int) -> dict[str, Any]:
    """offset_s is local time minus aligned time: the page works it out from the two times
    it shows, and needs only which nodes have none (unaligned). A node with and without an
    offset in the page's rows gets the column itself."""
    has = kept["offset_s"].is_not_null()
    per_node = (
        pl.DataFrame({"node": node_codes, "has": has})
        .group_by("node")
        .agg(pl.col("has").all().alias("all"), pl.col("has").any().alias("any"))
    )
    mixed = per_node.filter(pl.col("all") != pl.col("any")).height > 0
    if mixed:
        return {"offset": kept["offset_s"].round(7).to_list()}
    aligned = dict(zip(per_node["node"].to_list(), per_node["all"].to_list(), strict=True))
    return {"unaligned": [not aligned.get(i, True) for i in range(n_nodes)]}


def _messages(messages: pl.Series) -> dict[str, Any]:
    """The messages, or (where repeats make it smaller) each distinct message once and a
    code a row."""
    distinct = messages.unique(maintain_order=True)
    plain = int(messages.str.len_bytes().sum() or 0) + 3 * len(messages)
    coded = int(distinct.str.len_bytes().sum() or 0) + 3 * len(distinct) + 6 * len(messages)
    if coded >= plain * 0.8:
        return {"msg": messages.to_list()}
    mapping = {m: i for i, m in enumerate(distinct.to_list())}
    return {
        "msgs": distinct.to_list(),
        "msgCode": messages.replace_strict(mapping, return_dtype=pl.UInt32).to_list(),
    }


def _row_index(kept: pl.DataFrame) -> dict[tuple[str, int], int]:
    """(node, row) -> place in the embedded rows, for links from findings and evidence."""
    pairs = kept.select("node", "row", "_i")
    return {(n, r): i for n, r, i in pairs.iter_rows()}


def _line_link(ref: Ref | None, index: dict[tuple[str, int], int], analysis: Analysis) -> str:
    if ref is None:
        return ""
    label = f"{ref.node} {Path(ref.file).name}:{ref.line}"
    at = analysis.clock.at(ref)
    # the log's message last: the page's script and a reader find it after the last "; "
    tip = _("{file}:{line}; local {local}; aligned {aligned}; {message}").format(
        file=ref.file,
        line=ref.line,
        local=fmt_ns(ref.local_ns) or "-",
        aligned=fmt_ns(at) or "-",
        message=ref.message,
    )
    i = index.get((ref.node, ref.row))
    if i is None:
        return f'<span title="{esc(tip)}">{esc(label)}</span>'
    return f'<a class="ln" href="#row-{i}" title="{esc(tip)}">{esc(label)}</a>'


# -- sections ----------------------------------------------------------------------------


def _head(analysis: Analysis) -> str:
    title = _("{product} postmortem: {nodes}").format(
        product=", ".join(analysis.products) or "BSR", nodes=", ".join(analysis.node_names)
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{language()}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # No network: scripts, styles and images only from this file.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
        f"<title>{esc(title)}</title><style>{_asset('report.css')}</style></head><body>"
    )


def _header(analysis: Analysis, written: Bundle) -> str:
    al = analysis.alignment
    rows = []
    # (Translated words are looked up outside f-strings: pybabel does not look inside.)
    lines_of, reference = _("({count} lines)"), " " + tx(_("(reference)"))
    for i, (p, ev) in enumerate(zip(analysis.nodes, analysis.events, strict=True)):
        ident = ev.identity
        files = "<br>".join(
            f"{esc(f.display)} <span class=sub>{tr(lines_of, count=_n(f.lines))}</span>"
            for f in p.files
        )
        rows.append(
            "<tr>"
            f'<td><span class="badge n{min(i, 4)}">{esc(p.name)}</span>'
            + (reference if p.name == al.reference else "")
            + "</td>"
            # "-": no line proves the node's id (summary.json identities says what is known)
            f"<td class=num>{esc(ident.node_id if ident.node_id is not None else '-')}</td>"
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
        span = _("; aligned span {start} .. {end}").format(
            start=fmt_ns(times.min(), sep=" "), end=fmt_ns(times.max(), sep=" ")
        )
    heads = [
        N_("node"),
        N_("id"),
        N_("host"),
        N_("platform"),
        N_("driver"),
        N_("resources"),
        N_("files"),
        N_("local time range"),
        N_("lines"),
        N_("entries"),
        N_("unparsed"),
        N_("lost"),
        N_("driver loads"),
    ]
    intro = tr(
        _(
            "All times on {reference}'s clock unless marked local{span}. Written by bsrcorr; "
            "the machine-readable files beside this page are {files}, alignment.json and "
            "summary.json."
        ),
        reference=Html(f"<b>{esc(al.reference)}</b>"),
        span=span,
        files=_timeline_files(written),
    )
    # The product the logs came from (a mixed capture lists each).
    title = tr(
        _("{product} postmortem: {nodes}"),
        product=", ".join(analysis.products) or "BSR",
        nodes=", ".join(analysis.node_names),
    )
    nodes = tx(_("Nodes"))
    return (
        f'<h1>{title}</h1><p class="sub">{intro}</p>'
        f"<h2 id=nodes>{nodes}</h2><table>{_head_row(heads)}" + "".join(rows) + "</table>"
    )


def _resources(ident) -> str:
    """``r0 (vol 0: minor 2)``, one resource a line, with its own node id where known."""
    lines = []
    for res in ident.resources:
        vols = [v for v in ident.volumes if v["resource"] == res]
        vol = _("vol {volume}: minor {minor}")
        detail = ", ".join(vol.format(volume=v["volume"], minor=v["minor"]) for v in vols)
        own = ident.node_ids.get(res)
        node_id = _("node id {id}").format(id=own) if own is not None else ""
        extra = "; ".join(x for x in (detail, node_id) if x)
        lines.append(esc(res) + (f" <span class=sub>({esc(extra)})</span>" if extra else ""))
    return "<br>".join(lines) or "-"


def _window_note(analysis: Analysis) -> str:
    """What --since/--until left: the page shows only that part of the capture."""
    w = analysis.window
    if w is None:
        return ""
    since = fmt_ns(w.since_ns, sep=" ") or _("the start")
    until = fmt_ns(w.until_ns, sep=" ") or _("the end")
    said = _(
        "Window: {since} .. {until} (--since/--until): {rows} of the {read} rows read, and "
        "only the findings, episodes, diagrams and protocol records inside it. The node "
        "table above counts the whole files; the clock alignment below was fitted on the "
        "whole capture."
    )
    return (
        f'<p class="note" id="window">'
        f"{tr(said, since=since, until=until, rows=_n(w.rows), read=_n(w.rows_read))}</p>"
    )


def _findings(analysis: Analysis, index: dict) -> str:
    found = analysis.findings
    if not found:
        findings = tx(_("Findings"))
        none = _(
            "Nothing found: no aborted or stuck 2PC, no unterminated command, no split brain, "
            "no lost lines, no clock trouble."
        )
        return f"<h2 id=findings>{findings}</h2><p>{esc(none)}</p>"
    rows = []
    cluster = _("cluster")
    for f in found:
        links = " ".join(_line_link(r, index, analysis) for r in f.lines[:8])
        if len(f.lines) > 8:
            more = _("+{count} more").format(count=len(f.lines) - 8)
            links += f" <span class=sub>{esc(more)}</span>"
        what = esc(text(f.msg))
        if f.occurrences:
            # A summary of repeated findings: each one folded under it.
            items = "".join(
                f"<li><span class=t>{esc(fmt_ns(ns, sep=' ') or '-')}</span> {esc(text(m))}</li>"
                for ns, m in f.occurrences
            )
            every = tr(_("all {count}"), count=f.count)
            what += f"<details><summary>{every}</summary><ol>{items}</ol></details>"
        rows.append(
            f'<tr><td><span class="sev sev-{esc(f.severity)}">'
            f"{esc(_word(SEVERITY_WORDS, f.severity))}</span></td>"
            # the kind is summary.json's name for it (as the terminal shows it); what it
            # means is its tooltip
            f'<td title="{esc(_(FINDING_KINDS[f.kind].means))}"><code>{esc(f.kind)}</code></td>'
            f"<td>{esc(f.node or cluster)}</td><td>{esc(f.resource or '-')}</td>"
            f"<td class=t>{esc(fmt_ns(f.time_ns, sep=' ') or '-')}</td>"
            f"<td>{what}</td><td>{links}</td></tr>"
        )
    heads = [N_("severity"), N_("kind"), N_("node"), N_("resource"), N_("time"), N_("what")]
    head = _head_row([*heads, N_("lines")])
    shown, folded = rows[:FINDINGS_SHOWN], rows[FINDINGS_SHOWN:]
    more = ""
    if folded:
        # The most severe come first; the rest stay one click away.
        summary = tr(_("{count} more findings, less severe or later"), count=len(folded))
        more = (
            f"<details><summary>{summary}</summary><table>{head}{''.join(folded)}</table></details>"
        )
    total = sum(f.count for f in found)
    if total != len(found):
        heading = tr(_("Findings ({count}, {total} in all)"), count=len(found), total=total)
    else:
        heading = tr(_("Findings ({count})"), count=len(found))
    return f"<h2 id=findings>{heading}</h2><table>{head}{''.join(shown)}</table>{more}"


def _what_happened(analysis: Analysis, index: dict, drawn: Drawn) -> str:
    """The postmortem's opening: the diagnosis as sentences (causes first), each linked to
    its lines and to the episode whose diagram shows it, then where every node ended."""
    heading = tx(_("What happened"))
    out = [f"<h2 id=what-happened>{heading}</h2>"]
    if not analysis.diagnosis:
        none = _("No diagnosis: nothing in the logs points to an incident.")
        out.append(f"<p>{esc(none)}</p>")
    else:
        slugs = {e.number: e for e in analysis.episodes}
        because, seen_in, lines_word = _("because of {items}"), _("seen in"), _("lines")
        items = []
        for i, d in enumerate(analysis.diagnosis):
            links = " ".join(_line_link(r, index, analysis) for r in d.evidence[:8])
            if len(d.evidence) > 8:
                more = _("+{count} more").format(count=len(d.evidence) - 8)
                links += f" <span class=sub>{esc(more)}</span>"
            why = ""
            if d.because:
                refs = ", ".join(f'<a href="#dx-{j}">#{j + 1}</a>' for j in d.because)
                why = f" <span class=sub>({tr(because, items=Html(refs))})</span>"
            episode = ""
            e = slugs.get(d.episode) if d.episode is not None else None
            if e is not None:
                pic = tx(_("diagram")) if e.slug in drawn.rendered else tx(_("episode"))
                episode = (
                    f' <span class=sub>{esc(seen_in)} <a href="#{esc(e.slug)}">'
                    f"#{e.number} {esc(text(e.heading))}</a> ({pic})</span>"
                )
            items.append(
                f'<li id="dx-{i}"><span class="sev sev-{esc(d.severity)}">'
                f"{esc(_word(SEVERITY_WORDS, d.severity))}</span> "
                f'<code title="{esc(_(DIAGNOSIS_KINDS[d.kind].means))}">{esc(d.kind)}</code> '
                f"{esc(text(d.msg))}{why}{episode}"
                + (f"<br><span class=sub>{esc(lines_word)}:</span> {links}" if links else "")
                + "</li>"
            )
        out.append(f'<ol class="diagnosis">{"".join(items)}</ol>')
    out.append(_end_state(analysis))
    return "\n".join(out)


def _end_state(analysis: Analysis) -> str:
    """The end-state table: per node, resource and peer, the last state logged ("-": the
    node never logged it)."""
    heading = tx(_("Where each node ended"))
    if not analysis.end_state:
        none = _("No state change logged.")
        return f"<h3 id=end-state>{heading}</h3><p>{esc(none)}</p>"

    def v(said) -> str:
        return esc(said.value) if said is not None else "-"

    def vols(items, attr: str) -> str:
        cells = [
            f"{esc(x.volume if x.volume is not None else f'minor {x.minor}')}: "
            f"{v(getattr(x, attr))}"
            for x in items
            if getattr(x, attr) is not None
        ]
        return "<br>".join(cells) or "-"

    rows = []
    for s in analysis.end_state:
        own = [esc(s.node), esc(s.resource or "-"), v(s.role), vols(s.volumes, "disk")]
        when = esc(fmt_ns(analysis.clock.at(s.as_of), sep=" ") or "-")
        peers = s.peers or [None]
        for i, p in enumerate(peers):
            head = own if i == 0 else ["", "", "", ""]
            if p is None:
                rows.append([*head, "-", "-", "-", "-", "-", when])
                continue
            rows.append([*head, esc(p.peer or "-"), v(p.connection), v(p.peer_role),
                         vols(p.volumes, "replication"), vols(p.volumes, "peer_disk"),
                         when if i == 0 else ""])  # fmt: skip
    heads = [N_("node"), N_("resource"), N_("own role"), N_("own disk"), N_("peer"),
             N_("connection"),
             N_("peer role"), N_("replication"), N_("peer disk"), N_("as of")]  # fmt: skip
    note = tx(_("As each node last logged it; a refused change changes nothing."))
    return f'<h3 id=end-state>{heading}</h3><p class="sub">{note}</p>' + _table(heads, rows)


def _head_row(headers: list[str]) -> str:
    """A table's header row: each header (marked with ``N_``) in the reader's language."""
    return "<tr>" + "".join(f"<th>{tx(_(x))}</th>" for x in headers) + "</tr>"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    """A table of cells already escaped (or built from escaped parts); ``headers`` are
    marked with ``N_`` and shown translated."""
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table>{_head_row(headers)}{body}</table>"


def _capped(items: list, notable, what: str, where: str) -> tuple[list, str]:
    """At most PROTOCOL_ROWS of ``items`` (in their order): the ``notable`` ones first,
    then the first others; and a line saying what was left out and where it is
    (``what`` and ``where`` in the reader's language)."""
    if len(items) <= PROTOCOL_ROWS:
        return items, ""
    marks = [bool(notable(x)) for x in items]
    first = [i for i, m in enumerate(marks) if m][:PROTOCOL_ROWS]
    room = PROTOCOL_ROWS - len(first)
    rest = [i for i, m in enumerate(marks) if not m][:room]
    keep = sorted(first + rest)
    which = (
        _("{what} first, then the first others").format(what=what) if first else _("the first ones")
    )
    said = _("{shown} of {total} shown ({which}); all {total} are in {where}.")
    note = (
        f'<p class="sub">'
        f"{tr(said, shown=_n(len(keep)), total=_n(len(items)), which=which, where=where)}</p>"
    )
    return [items[i] for i in keep], note


def _protocol(analysis: Analysis, index: dict, drawn_by: Drawn) -> str:
    """Per resource (when there are several): its 2PCs, UUID decisions, resyncs and the
    list of its episodes."""
    cl = analysis.cluster
    resources = cl.resources
    grouped = len(resources) > 1
    heading = _("Protocol by resource") if grouped else _("Protocol")
    out = [f"<h2 id=protocol>{esc(heading)}</h2>"]
    drawn = drawn_by.rendered
    for res in resources if grouped else [None]:

        def mine(resource: str | None, res=res) -> bool:
            return not grouped or resource == res

        if grouped:
            named = tr(_("resource {names}"), names=res)
            out.append(f'<h3 id="resource-{esc(res)}">{named}</h3>')
        twopc = [r for r in cl.twopc if mine(r.resource)]
        if twopc:
            out.append(f"<h4>2PC ({len(twopc)})</h4>")
            twopc, cut = _capped(
                twopc,
                lambda r: r.outcome != Outcome.COMMITTED or r.problems,
                _("those not committed"),
                "summary.json (twopc)",
            )
            out.append(cut)
            out.append(
                _table(
                    [
                        N_("tid"),
                        N_("initiator"),
                        N_("participants"),
                        N_("changes"),
                        N_("outcome"),
                        N_("time"),
                        N_("line"),
                    ],
                    [
                        [
                            str(r.tid),
                            esc(r.initiator or _(UNKNOWN_NODE)),
                            esc(", ".join(r.participants) or "-"),
                            esc(", ".join(f"{k} {v}" for k, v in r.changes.items()) or "-"),
                            esc(_word(OUTCOME_WORDS, r.outcome)),
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
            total = len(decisions)
            decisions, cut = _capped(
                decisions,
                lambda d: (p := cl.twin.get(d)) is not None and not p.mirrored,
                _("those that do not mirror"),
                "summary.json (uuid_decisions)",
            )
            for d in decisions:
                pair = cl.twin.get(d)
                both = (
                    "-"
                    if pair is None
                    else _("mirrored")
                    if pair.mirrored
                    else _("DOES NOT MIRROR")
                )
                meaning = (
                    text(d.meaning) if d.result is None or isinstance(d.result, int) else d.result
                )
                rows.append(
                    [
                        esc(d.node),
                        esc(cl.name_of(d.resource, d.peer, d.peer_host) or _(UNNAMED_PEER)),
                        esc(d.volume),
                        esc(d.short),
                        esc(meaning),
                        esc(both),
                        _line_link(d.end, index, analysis),
                    ]
                )
            heading = tr(_("UUID decisions ({count})"), count=total)
            out.append(f"<h4>{heading}</h4>{cut}")
            heads = [N_("node"), N_("peer"), N_("volume"), N_("result"), N_("meaning")]
            out.append(_table([*heads, N_("both sides"), N_("line")], rows))
        resyncs = [r for r in cl.resyncs if mine(r.resource)]
        if resyncs:
            heading = tr(_("Resyncs ({count})"), count=len(resyncs))
            out.append(f"<h4>{heading}</h4>")
            resyncs, cut = _capped(
                resyncs,
                lambda r: r.outcome != ResyncOutcome.DONE,
                _("those not done"),
                "summary.json (resyncs)",
            )
            out.append(cut)
            out.append(
                _table(
                    [
                        N_("kind"),
                        N_("source"),
                        N_("target"),
                        N_("volume"),
                        "KB",
                        N_("outcome"),
                        N_("line"),
                    ],
                    [
                        [
                            esc(_word(RECORD_KINDS, r.kind)),
                            esc(r.source or _(UNNAMED_PEER)),
                            esc(r.target or _(UNNAMED_PEER)),
                            esc(r.volume),
                            esc(r.kb if r.kb is not None else "-"),
                            esc(_word(OUTCOME_WORDS, r.outcome)),
                            _line_link(r.sides[0].start, index, analysis),
                        ]
                        for r in resyncs
                    ],
                )
            )
        episodes = [e for e in analysis.episodes if mine(e.resource)]
        if grouped and episodes:
            total = len(episodes)
            episodes, cut = _capped(
                episodes,
                lambda e: e.slug in drawn,
                _("those with a diagram"),
                _("the Episodes section below"),
            )
            items = "".join(
                f'<li><a href="#{esc(e.slug)}">#{e.number} {esc(text(e.heading))}</a></li>'
                for e in episodes
            )
            heading = tr(_("Episodes ({count})"), count=total)
            out.append(f"<h4>{heading}</h4>{cut}<ul>{items}</ul>")
        if not (twopc or decisions or resyncs or (grouped and episodes)):
            none = tx(_("No 2PC, UUID decision or resync logged."))
            out.append(f"<p class=sub>{none}</p>")
    return "\n".join(out)


def _alignment(analysis: Analysis, index: dict) -> str:
    al = analysis.alignment
    about = _(
        "offset = node clock minus the reference clock; aligned time = local time minus "
        "offset. Bounds come from causal pairs (a line logged after its peer sent the packet "
        "cannot precede the send)."
    )
    heads = [N_("node"), N_("segment"), N_("local from .. to"), N_("offset s"), N_("bounds s")]
    heads += [N_("drift ppm"), N_("evidence"), N_("basis"), N_("adjusted s")]
    heading = tx(_("Clock alignment"))
    out = [
        f"<h2 id=alignment>{heading}</h2>",
        f'<p class="sub">{esc(about)}</p>',
        "<table>" + _head_row(heads),
    ]
    weak = _("{count} + {weak} weak")
    manual_word, unaligned_word = tx(_("MANUAL (--offset)")), tx(_("UNALIGNED: own clock"))
    manual = f'<span class="manual">{manual_word}</span>'
    unaligned = f'<span class="unaligned">{unaligned_word}</span>'

    for name, na in al.nodes.items():
        for k, seg in enumerate(na.segments):
            if na.reference:
                basis = tx(_("reference"))
            elif na.manual:
                basis = manual
            elif seg.offset_s is None:
                basis = unaligned
            else:
                via = " " + _("via {nodes}").format(nodes=", ".join(seg.via)) if seg.via else ""
                basis = esc(basis_word(seg.basis) + via)
            lo = "-inf" if seg.lower_s is None else f"{seg.lower_s:+.7f}"
            hi = "+inf" if seg.upper_s is None else f"{seg.upper_s:+.7f}"
            off = "-" if seg.offset_s is None else f"{seg.offset_s:+.7f}"
            if seg.one_sided == "upper":  # a bound, not a point: say which
                off = f"&le; {hi}"
            elif seg.one_sided == "lower":
                off = f"&ge; {lo}"
            out.append(
                f"<tr><td>{esc(name)}</td><td class=num>{k + 1}</td>"
                f"<td class=t>{esc(fmt_ns(seg.start_ns, sep=' '))}<br>"
                f"{esc(fmt_ns(seg.end_ns, sep=' '))}</td>"
                f"<td class=num>{off}</td><td class=num>[{lo}, {hi}]</td>"
                f"<td class=num>{(seg.drift_ppm or 0):+.2f}</td>"
                f"<td class=num>{tr(weak, count=seg.evidence, weak=seg.weak_evidence)}</td>"
                f"<td>{basis}</td><td class=num>{seg.adjusted_s:+.7f}</td></tr>"
            )
    out.append("</table><ul>")
    for name, na in al.nodes.items():
        out.append(f"<li><b>{esc(name)}</b>: {esc(clock_line(na))}</li>")
        if na.timezone:
            said = _(
                "{node}: clocks {zone} apart, likely a time-zone difference (a Linux BSR "
                "driver logs UTC+9); residual {residual} s"
            )
            zone = tr(said, node=name, zone=na.timezone, residual=f"{(na.residual_s or 0):+.6f}")
            out.append(f"<li>{zone}</li>")
        for st in na.steps:
            said = _("{node}: clock step of {size} s between {before} and {after}")
            step = tr(
                said,
                node=name,
                size=f"{st.size_s:+.6f}",
                before=Html(_line_link(st.before, index, analysis)),
                after=Html(_line_link(st.after, index, analysis)),
            )
            out.append(f"<li>{step}</li>")
    unnamed = analysis.cluster.unnamed_ids
    if unnamed:
        said = _(
            "{ids}: named by the lines, but no Handshake to peer N on a connection named by a "
            "host, no committed conn( ) change aimed at it and no given log ties them to a host, "
            'so they stay "node id N"'
        )
        ids = ", ".join(
            _("node id {id} ({resource})").format(id=i, resource=r or "-") for r, i in unnamed
        )
        out.append(f"<li>{tr(said, ids=ids)}</li>")
    strict = sum(1 for p in al.pairs if p.strict)
    said = _(
        "causal check: {strict} strict pairs, {after} receive-before-send after alignment "
        "({before} before adjusting); {conflicts} conflicting pair(s)"
    )
    checked = tr(
        said,
        strict=strict,
        after=al.violations_after,
        before=al.violations_before,
        conflicts=len(al.conflicts),
    )
    if al.within_resolution:
        said = _(
            "{count} pair(s) only the stamps' resolution separates: their order is unproven, "
            "and the timeline puts each receive after its send"
        )
        checked += " " + tr(said, count=al.within_resolution)
    out.append(f"<li>{checked}</li></ul>")
    pairs = sorted(al.pairs, key=lambda p: (not p.strict, p.send.node, p.send.row))
    if len(pairs) > EVIDENCE_ROWS:
        said = _("Evidence ({count} pairs, first {shown} shown; all in alignment.json)")
        evidence = tr(said, count=len(pairs), shown=EVIDENCE_ROWS)
    else:
        evidence = tr(_("Evidence ({count} pairs)"), count=len(pairs))
    heads = [N_("pair kind"), N_("tid"), N_("strict"), N_("send line"), N_("receive line")]
    heads.append(N_("recv - send (own clocks) s"))
    out.append(f"<h3>{evidence}</h3><table>{_head_row(heads)}")
    yes, weak_word = tx(_("yes")), tx(_("weak"))
    for p in pairs[:EVIDENCE_ROWS]:
        delta = "-" if p.delta_s is None else f"{p.delta_s:+.7f}"
        out.append(
            f"<tr><td><code>{esc(p.kind)}</code></td>"
            f"<td class=num>{esc(p.tid if p.tid is not None else '')}"
            f"</td><td>{yes if p.strict else weak_word}</td>"
            f"<td>{_line_link(p.send, index, analysis)}</td>"
            f"<td>{_line_link(p.recv, index, analysis)}</td><td class=num>{delta}</td></tr>"
        )
    out.append("</table>")
    return "\n".join(out)


_HREF = re.compile(r'(xlink:href|href)="(episode-\d+-[A-Za-z0-9_.-]+)\.svg"')
# What a browser does not need of Graphviz's SVG: the comments naming each node and edge,
# and the <title> elements holding internal node ids (they would show as tooltips).
_SVG_NOISE = re.compile(r"<!--.*?-->\n?|<title>[^<]*</title>\n?", re.S)
# Episode SVGs up to this many bytes in all go in the page as they are (readable without
# JavaScript); above it each is embedded gzip-compressed and base64-coded, and expanded
# in the browser (DecompressionStream) when its episode is opened.
INLINE_SVG_BYTES = 2_000_000


def _svg_inline(path: Path) -> str | None:
    try:
        svg = path.read_text(encoding="utf-8")
    except OSError:
        return None
    start = svg.find("<svg")
    if start < 0:
        return None
    # The overview links to the episode files; in the page, to the episode sections.
    return _SVG_NOISE.sub("", _HREF.sub(r'\1="#\2"', svg[start:]))


def _packed(svg: str) -> str:
    """gzip (fixed mtime: the same bytes every run) and base64, for a data-svgz
    attribute (base64 needs no escaping there)."""
    return base64.b64encode(gzip.compress(svg.encode("utf-8"), 6, mtime=0)).decode("ascii")


def _diagrams_note(analysis: Analysis, drawn: int, packed: bool, drew: Drawn) -> str:
    total = len(analysis.episodes)
    sel = drew.selection
    parts = []
    if total and drawn < total and not drew.dot_missing:
        if sel is not None and sel.mode == "auto":
            why = _(
                "--diagrams auto draws every episode of a capture with at most {count}; "
                "above that, those with a finding, a split brain or an unfinished command, "
                "and one episode of each shape (the same sequence of messages and states on "
                "the same nodes) for the others of it, at most {cap} in all. Each episode "
                "left out names the drawn one like it; bsrcorr draw OUT NUMBER draws it "
                "from this bundle."
            ).format(count=AUTO_ALL, cap=MAX_DRAWN)
        elif sel is not None:
            why = f"--diagrams {sel.mode}."
        else:
            why = _("see --diagrams.")
        said = _(
            "{drawn} of {total} episodes have a sequence diagram: {why} To draw every one, "
            "run bsrcorr again with {option}."
        )
        parts.append(
            tr(
                said,
                drawn=_n(drawn),
                total=_n(total),
                why=why,
                option=Html("<code>--diagrams all</code>"),
            )
        )
    if packed:
        said = _(
            "Diagrams are stored compressed and drawn when an episode is opened; that needs "
            "JavaScript (without it, open diagrams/*.svg beside this page)."
        )
        parts.append(esc(said))
    return "".join(f'<p class="note">{p}</p>' for p in parts)


def _episodes(analysis: Analysis, diagrams: Path, drew: Drawn) -> str:
    heading = tx(_("Episodes"))
    out = [f"<h2 id=episodes>{heading}</h2>"]
    if drew.dot_missing:
        said = _(
            "The sequence diagrams are missing: Graphviz's {dot} was not installed when this "
            "report was written. Their sources are in {sources}. Install Graphviz (Debian "
            "and Ubuntu: {apt}; Fedora: {dnf}; Windows and macOS: the installers at "
            "graphviz.org) and run bsrcorr again."
        )
        missing = tr(
            said,
            dot=Html("<code>dot</code>"),
            sources=Html("<code>diagrams/*.dot</code>"),
            apt=Html("<code>apt-get install graphviz</code>"),
            dnf=Html("<code>dnf install graphviz</code>"),
        )
        out.append(f'<p class="note" id="no-dot">{missing}</p>')
    overview = _svg_inline(diagrams / "overview.svg")
    if overview:
        out.append(f'<div class="diagram">{overview}</div>')
    if not analysis.episodes:
        none = _("No episodes: no driver start, up, connect, role change or down found.")
        out.append(f"<p>{esc(none)}</p>")
    svgs = {e.slug: _svg_inline(diagrams / f"{e.slug}.svg") for e in analysis.episodes}
    packed = sum(len(s) for s in svgs.values() if s) > INLINE_SVG_BYTES
    out.append(_diagrams_note(analysis, sum(1 for s in svgs.values() if s), packed, drew))
    sel = drew.selection
    # Why auto left an episode out; under --diagrams overview|none the page says as before.
    left_out = sel.left_out if sel is not None and sel.mode == "auto" else {}
    on_script = _("(diagram: {name} in diagrams/ beside this page; drawn here with JavaScript on)")
    without_dot = tx(_("(diagram not rendered: Graphviz's dot is missing)"))
    left_why = _("(diagram not rendered: {why}; --diagrams all draws every episode)")
    drawn_as = _(
        "(diagram not rendered: {link}, of the same shape, stands for it; {command} draws this one)"
    )
    by_slug = {e.slug: e for e in analysis.episodes}
    stands_for = sel.stands_for if sel is not None else {}
    see_option = tx(_("(diagram not rendered: see --diagrams)"))
    marked = tx(_("sequence diagram"))
    when = _("{start} .. {end}; nodes {nodes}")
    for e in analysis.episodes:
        start, end = fmt_ns(e.start_ns, sep=" "), fmt_ns(e.end_ns, sep=" ")
        sentences = "".join(f"<li>{esc(s)}</li>" for s in story.tell(analysis, e))
        svg = svgs[e.slug]
        if svg and packed:
            pic = (
                f'<div class="diagram" data-svgz="{_packed(svg)}"></div>'
                f'<noscript><p class="sub">{tr(on_script, name=f"{e.slug}.svg")}</p></noscript>'
            )
        elif svg:
            pic = f'<div class="diagram">{svg}</div>'
        elif drew.dot_missing:
            pic = f'<p class="sub">{without_dot}</p>'
        elif e.slug in left_out and svgs.get(stands_for.get(e.slug, "")):
            like = by_slug[stands_for[e.slug]]
            link = Html(f'<a href="#{esc(like.slug)}">#{like.number}</a>')
            command = Html(f"<code>bsrcorr draw OUT {e.number}</code>")
            said = tr(drawn_as, link=link, command=command)
            pic = f'<p class="sub">{said}</p>'
        elif e.slug in left_out:
            pic = f'<p class="sub">{tr(left_why, why=text(left_out[e.slug]))}</p>'
        else:
            pic = f'<p class="sub">{see_option}</p>'
        mark = f' <span class="has-diagram">{marked}</span>' if svg and packed else ""
        head = (
            f"<h3>#{e.number} {esc(text(e.heading))}</h3>"
            f'<p class="sub">{tr(when, start=start, end=end, nodes=", ".join(e.nodes))}'
            f"{mark}</p>"
        )
        if packed:
            # Closed until asked for: its diagram is expanded when it is opened.
            out.append(
                f'<section class="episode lazy" id="{esc(e.slug)}"><details><summary>{head}'
                f"</summary><ol>{sentences}</ol>{pic}</details></section>"
            )
        else:
            out.append(
                f'<section class="episode" id="{esc(e.slug)}">{head}'
                f"<ol>{sentences}</ol>{pic}</section>"
            )
    return "\n".join(out)


def _timeline(analysis: Analysis, table: dict, index: dict, written: Bundle) -> str:
    data = table["data"]
    kept: pl.DataFrame = table["frame"]
    files = _timeline_files(written)
    note = ""
    embedded, total, wanted = _n(data["embedded"]), _n(data["total"]), _n(data["wanted"])
    if data["embedded"] < data["wanted"]:
        said = _(
            "This page embeds {embedded} of {total} rows: the first {embedded} of the "
            "{wanted} protocol events (status polls aside), warnings, errors and unparsed "
            "lines. Every row is in {files}."
        )
        note = (
            f'<p class="note">'
            f"{tr(said, embedded=embedded, total=total, wanted=wanted, files=files)}</p>"
        )
    elif data["embedded"] < data["total"]:
        said = _(
            "This page embeds {embedded} of {total} rows: every protocol event (status polls "
            "aside: summary.json counts them), warning, error and unparsed line. The {left} "
            "routine rows left out are in {files}."
        )
        left_out = _n(data["total"] - data["embedded"])
        note = (
            f'<p class="note">'
            f"{tr(said, embedded=embedded, total=total, left=left_out, files=files)}</p>"
        )
    left = data["total"] - data["embedded"]
    if left:
        csv_note = _(
            "The CSV button downloads every row of this report that passes the filters (on "
            "all pages of the table); the {left} rows not embedded here are only in {files}."
        ).format(left=_n(left), files=files)
    else:
        csv_note = _(
            "The CSV button downloads every row of this report that passes the filters (on "
            "all pages of the table)."
        )
    # Times as integer ns: a row's datetime in Python holds microseconds only (and
    # pl.Series([datetime]) is microseconds, which fmt_ns read as ns: 1970-01-19).
    static = (
        kept.filter(pl.col("event").fill_null("") != "")
        .head(STATIC_ROWS)
        .with_columns(pl.col("time", "local_time").cast(pl.Int64))
    )
    rows = []
    for r in static.iter_rows(named=True):
        rows.append(
            f'<tr id="row-{r["_i"]}" class="lvl-{esc(r["level"])}"><td class=t>'
            f"{esc(fmt_ns(r['time'], sep=' ') or '-')}</td><td>{esc(r['node'])}</td>"
            f"<td class=t>{esc(fmt_ns(r['local_time'], sep=' ') or '-')}</td>"
            f"<td>{esc(r['level'])}</td><td>{esc(r['category'])}:{esc(r['index'])}</td>"
            f'<td class=ev title="{esc(_explain(EXPLAIN, r["event"]))}">{esc(r["event"])}</td>'
            f"<td class=msg>{esc(r['message'])}</td></tr>"
        )
    if static.height == STATIC_ROWS:
        said = _(
            "Without JavaScript: the protocol events only (first {count}). Every row is in {files}."
        )
    else:
        said = _("Without JavaScript: the protocol events only. Every row is in {files}.")
    static_note = tr(said, count=_n(STATIC_ROWS), files=files)
    cols = [N_("time (aligned)"), N_("node"), N_("local time"), N_("level"), N_("CAT:idx")]
    cols += [N_("event"), N_("message")]
    t = {k: tx(_(k)) for k in cols}
    every = tx(_("all"))
    warnings, any_event = tx(_("warnings and errors")), tx(_("any protocol event"))
    holds, raw_times = esc(_("rows whose text holds this")), tx(_("raw local times (uncorrected)"))
    timeline, download = tx(_("Timeline")), tx(_("download the filtered rows as CSV"))

    def field(name: str, control: str) -> str:
        return f"<label>{tx(_(name))} {control}</label>"

    return (
        f"<h2 id=timeline>{timeline}</h2>"
        + note
        + f"<noscript><p>{static_note}</p><table>{_head_row(cols)}"
        + "".join(rows)
        + "</table></noscript>"
        '<div id="tl" hidden><div id="controls">'
        '<span id="nodefilter"></span>'
        + field(
            N_("level"),
            f'<select id="level"><option value="">{every}</option>'
            f'<option value="!warn">{warnings}</option></select>',
        )
        + field(
            N_("category"),
            f'<select id="cat"><option value="">{every}</option></select>',
        )
        + field(
            N_("event"),
            f'<select id="kind"><option value="">{every}</option>'
            f'<option value="!any">{any_event}</option></select>',
        )
        + field(
            N_("text"),
            f'<input id="q" type="search" title="{holds}">',
        )
        + f'<label><input id="raw" type="checkbox"> {raw_times}'
        "</label>"
        '<span id="pager"><button id="prev" type="button">&lt;</button>'
        '<span id="pageinfo"></span><button id="next" type="button">&gt;</button></span>'
        f'<button id="csv" type="button" title="{esc(csv_note)}">'
        f"{download}</button>"
        f'</div><p id="mode" class="sub"></p><p class="sub">{esc(csv_note)}</p>'
        f'<table id="rows"><thead><tr><th class="tcol" id="th-main">{t["time (aligned)"]}</th>'
        f'<th>{t["node"]}</th><th class="tcol" id="th-second">{t["local time"]}</th>'
        f"<th>{t['level']}</th><th>{t['CAT:idx']}</th><th>{t['event']}</th>"
        f"<th>{t['message']}</th></tr></thead><tbody></tbody></table>"
        "</div>"
    )


def _timeline_files(written: Bundle) -> str:
    """Where every row is: timeline.csv is written on request only."""
    if "timeline.csv" in written.files:
        return _("timeline.csv and timeline.parquet")
    return _("timeline.csv (written with --csv) and timeline.parquet")


def _script(table: dict) -> str:
    # The script's words, translated, keyed by their English (report.js: T("...") falls
    # back to the English), travel with the data.
    words = {m: t for m in SCRIPT_TEXT if (t := _(m)) != m}
    return (
        '<script type="application/json" id="bsrcorr-data">'
        + _json_for_script({**table["data"], "words": words})
        + "</script>\n<script>"
        + _asset("report.js")
        + "</script>"
    )


# Every word report.js writes (its T("...") calls; a test holds the two together).
SCRIPT_TEXT = (
    N_("local time (raw, uncorrected)"),
    N_("time (aligned)"),
    N_("aligned time"),
    N_("local time"),
    N_("RAW: each node's own clock, as logged, merged without correction."),
    N_("Aligned: every node on the reference clock (local time minus offset_s)."),
    N_("page {page} of {pages} ({shown} of {total} rows)"),
    N_("offset_s {offset}"),
    N_("none (unaligned)"),
    N_("(diagram could not be read)"),
    N_(
        "~ between clock step {step}'s last evidence before it and first after it: its "
        "offset lies between the two segments' (alignment.json steps)"
    ),
)
