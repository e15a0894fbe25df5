"""Render, text: what a user reads on the terminal (the summary) or pipes to ``less``
and ``grep`` (the merged timeline). Plain lines, no colour, stable wording.
"""

from __future__ import annotations

import sys
from collections import Counter
from typing import TYPE_CHECKING, TextIO

import polars as pl

from ..catalog import uuid_meaning
from ..i18n import text
from ..times import fmt_ns

if TYPE_CHECKING:
    from ..align import NodeAlignment
    from ..analysis import Analysis


def fmt_time(ns: int | None) -> str:
    return fmt_ns(ns, sep=" ") or "-"


def clock_line(na: NodeAlignment) -> str:
    """Offset, bounds, drift and evidence of a node, in one line."""
    if na.reference:
        return "reference clock (offset 0 by definition)"
    main = na.main
    if main is None or main.offset_s is None:
        return "UNALIGNED: keeps its own clock (no evidence shared with the reference)"
    lo = "-inf" if main.lower_s is None else f"{main.lower_s:+.6f}"
    hi = "+inf" if main.upper_s is None else f"{main.upper_s:+.6f}"
    evidence = sum(s.evidence for s in na.segments)
    weak = sum(s.weak_evidence for s in na.segments)
    text = (
        f"offset {main.offset_s:+.6f} s  [{lo}, {hi}]  drift {main.drift_ppm or 0:+.1f} ppm  "
        f"evidence {evidence} pairs" + (f" + {weak} weak" if weak else "") + f" ({main.basis}"
    )
    if main.via:
        text += f" via {', '.join(main.via)}"
    text += ")"
    if na.manual:
        text += "  MANUAL (--offset)"
    if len(na.segments) > 1:
        text += f"  {len(na.segments)} segments"
    return text


FINDINGS_SHOWN = 25


def _rows(analysis: Analysis) -> str:
    """The timeline's rows, and under --since/--until the window they are cut to (the
    per-node counts below describe the whole files)."""
    w = analysis.window
    if w is None:
        return f"{analysis.timeline.height} rows"
    since = fmt_ns(w.since_ns, sep=" ") or "the start"
    until = fmt_ns(w.until_ns, sep=" ") or "the end"
    return f"{w.rows} rows in the window {since} .. {until} (of {w.rows_read} read)"


def summary(analysis: Analysis) -> str:
    al, cl = analysis.alignment, analysis.cluster
    lines: list[str] = []
    lines.append(
        f"bsrcorr: {len(analysis.nodes)} node(s), {_rows(analysis)}; times on {al.reference}'s "
        "clock"
    )
    for node, ev in zip(analysis.nodes, analysis.events, strict=True):
        ident, na = ev.identity, al.nodes[node.name]
        lines.append("")
        lines.append(f"{node.name}" + ("  (reference)" if na.reference else ""))
        for facts in node.files:
            lines.append(f"  file      {facts.display} ({facts.lines} lines, {facts.bytes} bytes)")
        who = [f"node id {ident.node_id}" if ident.node_id is not None else "node id unknown"]
        if ident.host:
            who.append(f"host {ident.host}")
        who.append(ident.platform or "platform unknown")
        who.append(
            f"{ident.product} {ident.version}"
            if ident.version
            else f"{ident.product} version not logged"
        )
        if ident.resources:
            label = "resource " if len(ident.resources) == 1 else "resources "
            who.append(label + ", ".join(ident.resources))
        if ident.peer_ids:
            res = ident.resources[0] if len(ident.resources) == 1 else None
            peers = [cl.name_of(res, p) or str(p) for p in ident.peer_ids]
            who.append(
                "peers "
                + ", ".join(f"{p} ({i})" for p, i in zip(peers, ident.peer_ids, strict=True))
            )
        lines.append("  node      " + ", ".join(who))
        lines.append(
            f"  entries   {node.entries}   unparsed {node.unparsed}   lost {node.lost}"
            f"   epochs {node.epochs}"
        )
        if node.lost:
            lines.append(
                f"  lost      {node.gap_lines} by counter gaps, {node.missing_reported} "
                "reported as 'missing log counter'"
            )
        lines.append(f"  local     {fmt_time(node.first_time)} .. {fmt_time(node.last_time)}")
        lines.append(f"  clock     {clock_line(na)}")
        if na.timezone:
            tz_note = (
                "  (a Linux BSR driver logs UTC+9)" if na.timezone in ("+09:00", "-09:00") else ""
            )
            lines.append(
                f"  zone      {na.timezone} apart, residual {na.residual_s:+.6f} s{tz_note}"
            )
        for step in na.steps:
            where = f"after line {step.before.line}, before line {step.after.line}"
            if step.likely:
                a, b = step.likely
                where = f"between lines {a['line']} and {b['line']}"
            lines.append(f"  step      clock stepped {step.size_s:+.6f} s {where}")
    lines.extend(_findings(analysis))
    lines.extend(_protocol(analysis))
    lines.extend(_episodes(analysis))
    if len(analysis.nodes) > 1:
        lines.append("")
        lines.append(
            f"causal    {sum(1 for p in al.pairs if p.strict)} cross-node pairs checked: "
            f"{al.violations_after} receive-before-send"
            + (f" ({al.violations_before} before adjusting)" if al.violations_before else "")
            + (f", {len(al.conflicts)} conflicting" if al.conflicts else "")
        )
    if analysis.written:
        lines.append("")
        lines.append(f"bundle: {', '.join(analysis.written)}")
    return "\n".join(lines) + "\n"


def _findings(analysis: Analysis) -> list[str]:
    found = analysis.findings
    if not found:
        return ["", "findings  none"]
    counts = Counter(f.severity for f in found)
    head = ", ".join(f"{counts[s]} {s}" for s in ("error", "warning", "info") if counts[s])
    out = ["", f"findings  {head}"]
    for f in found[:FINDINGS_SHOWN]:
        when = fmt_time(f.time_ns)[11:] if f.time_ns is not None else " " * 16
        out.append(f"  {f.severity:<7}  {when}  {f.kind:<28} {text(f.msg)}")
    if len(found) > FINDINGS_SHOWN:
        out.append(f"  ... {len(found) - FINDINGS_SHOWN} more in summary.json and report.html")
    return out


def _grouped(analysis: Analysis) -> bool:
    return len(analysis.cluster.resources) > 1


def _episodes(analysis: Analysis) -> list[str]:
    """In time order; with several resources, one group a resource, then the episodes
    of the nodes (driver loads) and of several resources at once (``up all``)."""
    if not analysis.episodes:
        return []
    out = ["", "episodes"]
    groups: list[tuple[str | None, list]] = [(None, analysis.episodes)]
    if _grouped(analysis):
        groups = [
            (res, [e for e in analysis.episodes if e.resource == res])
            for res in analysis.cluster.resources
        ]
        groups.append(
            ("nodes and several resources", [e for e in analysis.episodes if e.resource is None])
        )
    for name, episodes in groups:
        if not episodes:
            continue
        indent = "  "
        if name is not None:
            out.append(f"  {name}")
            indent = "    "
        for e in episodes:
            start, end = fmt_time(e.start_ns)[11:], fmt_time(e.end_ns)[11:]
            out.append(f"{indent}{e.number:>3}  {start} .. {end}  {e.title}")
    return out


def _protocol(analysis: Analysis) -> list[str]:
    """Per resource when there are several: its 2PCs, UUID decisions and resyncs."""
    cl = analysis.cluster
    out = ["", "protocol"]
    grouped = _grouped(analysis)
    for res in cl.resources if grouped else ["*"]:
        body = _protocol_of(analysis, res)
        if grouped and body:
            out.append(f"  {res}")
            body = ["  " + line for line in body]
        out.extend(body)
    for ev in analysis.events:
        if ev.netlink or ev.polls.height:
            open_ = sum(1 for c in ev.netlink if c.done is None)
            polls = f" and {ev.polls.height} status poll(s)" if ev.polls.height else ""
            out.append(
                f"  netlink   {ev.name}: {len(ev.netlink)} command(s){polls}, "
                f"{open_} never finished"
            )
    if len(out) == 2:
        out.append("  no protocol events found")
    return out


def _protocol_of(analysis: Analysis, res: str | None) -> list[str]:
    """The protocol lines of one resource (``"*"``: of every resource)."""
    cl = analysis.cluster

    def mine(resource: str | None) -> bool:
        return res == "*" or resource == res

    out: list[str] = []
    twopc = [r for r in cl.twopc if mine(r.resource)]
    if twopc:
        outcomes = Counter(r.outcome for r in twopc)
        parts = ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items()))
        out.append(f"  2PC       {len(twopc)} transaction(s): {parts}")
    for pair in cl.decision_pairs:
        if not mine(pair.resource):
            continue
        a, b = pair.a, pair.b
        state = "mirrored" if pair.mirrored else "DO NOT MIRROR"
        out.append(f"  UUID      {a.node} {a.short} <-> {b.node} {b.short}: {state}")
    for ev in analysis.events:
        for d in ev.decisions:
            if d not in cl.twin and d.result is not None and mine(d.resource):
                out.append(
                    f"  UUID      {d.node} {d.short}: "
                    f"{uuid_meaning(d.result)} (peer's side not in these logs)"
                )
    for r in cl.resyncs:
        if not mine(r.resource):
            continue
        kb = f"{r.kb} KB" if r.kb is not None else "size not logged"
        if r.kind == "resync":
            roles = "SyncSource -> SyncTarget" if r.source or r.target else "roles not logged"
        else:
            roles = "verify"
        vol = f" volume {r.volume}" if r.volume not in (None, 0) else ""
        out.append(
            f"  {r.kind:<9} {r.source or '?'} -> {r.target or '?'}{vol} ({roles}): {kb}, "
            f"{r.outcome}"
        )
    return out


def write_timeline(frame: pl.DataFrame, events_only: bool, stream: TextIO | None = None) -> None:
    """One line per entry: aligned time, node, local time, level, CAT:idx, message."""
    stream = stream or sys.stdout
    if events_only:
        frame = frame.filter(pl.col("event").ne("") & pl.col("event").ne("unparsed"))
    width = max((len(n) for n in frame["node"].unique().to_list()), default=4)
    # The timeline keeps these as categories; string functions want strings.
    frame = frame.with_columns(pl.col("node", "level", "category", "event").cast(pl.String))
    text = frame.select(
        pl.concat_str(
            [
                _stamp("time"),
                pl.col("node").str.pad_end(width),
                _stamp("local_time"),
                pl.col("level").fill_null("-").str.pad_end(4),
                (pl.col("category") + ":" + pl.col("index").cast(pl.String))
                .fill_null("-")
                .str.pad_end(14),
                pl.when(pl.col("event").is_in(["", "unparsed"]))
                .then(pl.lit(""))
                .otherwise("<" + pl.col("event") + "> "),
            ],
            separator="  ",
        )
        + pl.col("message").fill_null("").str.replace_all(r"[\x00-\x08\x0b-\x1f\x7f]", "?")
    ).to_series()
    for chunk in text.to_frame().iter_slices(50_000):
        stream.write("\n".join(chunk.to_series().to_list()))
        stream.write("\n")


def _stamp(col: str) -> pl.Expr:
    c = pl.col(col)
    return (
        c.dt.strftime("%Y-%m-%d %H:%M:%S")
        + "."
        + (c.dt.nanosecond() // 100).cast(pl.String).str.zfill(7)
    ).fill_null("-" * 27)
