"""Render, the report's bundle section: what each node's support bundle held, and the
admin commands on the aligned clock beside the CLI log's own stamp. Reads the analysis
only; every value from a log or a config is escaped (secrets were masked when read).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from correlate.i18n import _
from correlate.times import fmt_ns

if TYPE_CHECKING:
    from correlate.analysis import Analysis

MAX_COMMANDS = 500  # the page lists this many; summary.json holds every one


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _row(cells: list[Any], tag: str = "td") -> str:
    return "<tr>" + "".join(f"<{tag}>{_e(c)}</{tag}>" for c in cells) + "</tr>"


def section(analysis: Analysis) -> str:
    """The section, or "" when no SRC was a support bundle."""
    if not analysis.bundles:
        return ""
    heading = _("Support bundles and admin commands")
    out = [f"<h2 id=bundles>{_e(heading)}</h2>"]
    out.append("<table>")
    out.append(_row([_("node"), _("bundle"), _("host"), _("read"), _("not read")], "th"))
    for name, b in analysis.bundles.items():
        read = [f"{f['role']}: {f['file'].rsplit('/', 1)[-1]}" for f in b["files"] if f["read"]]
        left = [
            f"{f['file'].rsplit('/', 1)[-1]}" + (f" ({f['why']})" if f["why"] else "")
            for f in b["files"]
            if not f["read"] and f["role"] != "other"
        ]
        others = sum(1 for f in b["files"] if not f["read"] and f["role"] == "other")
        if others:
            left.append(_("{count} other file(s)").format(count=others))
        out.append(
            "<tr>"
            + "".join(f"<td>{_e(c)}</td>" for c in (name, b["kind"], b["host"]))
            + f"<td>{'<br>'.join(map(_e, read))}</td><td>{'<br>'.join(map(_e, left))}</td></tr>"
        )
    out.append("</table>")
    commands = analysis.admin_commands
    if commands:
        heads = [_("time"), _("local time"), _("node"), _("program"), _("command"),
                 _("caller"), _("rv"), _("caused")]  # fmt: skip
        out.append("<table class=commands>" + _row(heads, "th"))
        for c in commands[:MAX_COMMANDS]:
            caused = [f"2PC {t}" for t in c.caused_tids] + [
                f"{r.file.rsplit('/', 1)[-1]}:{r.line}" for r in c.caused_rows[:5]
            ]
            out.append(
                _row(
                    [
                        fmt_ns(c.time_ns),
                        fmt_ns(c.local_ns),
                        c.node,
                        c.program,
                        c.command,
                        " < ".join(f"{n}({p})" for n, p in c.caller),
                        c.rv,
                        ", ".join(caused),
                    ]
                )
            )
        out.append("</table>")
        if len(commands) > MAX_COMMANDS:
            out.append(
                "<p>"
                + _e(_("{count} more in summary.json").format(count=len(commands) - MAX_COMMANDS))
                + "</p>"
            )
    return "\n".join(out)
