"""Render, text: the terminal summary a user reads after a run (stdout).

Plain lines, no colour, stable wording: scripts grep it and people paste it into tickets.
"""

from __future__ import annotations

from ..pipeline import Analysis
from ..times import fmt_ns


def fmt_time(ns: int | None) -> str:
    return fmt_ns(ns, sep=" ") or "-"


def summary(analysis: Analysis) -> str:
    lines: list[str] = []
    total = sum(n.rows for n in analysis.nodes)
    lines.append(f"bsrcorr: {len(analysis.nodes)} node(s), {total} rows")
    for node in analysis.nodes:
        lines.append("")
        lines.append(f"{node.name}")
        for facts in node.files:
            lines.append(f"  file      {facts.display} ({facts.lines} lines, {facts.bytes} bytes)")
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
    if analysis.written:
        lines.append("")
        lines.append(f"bundle: {', '.join(analysis.written)}")
    return "\n".join(lines) + "\n"
