"""Render, text: what a user reads on the terminal (the summary) or pipes to ``less``
and ``grep`` (the merged timeline). Plain lines, no colour, stable wording.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections import Counter
from typing import TYPE_CHECKING, TextIO

import polars as pl

from correlate.events.catalog_bsr import uuid_meaning
from correlate.i18n import N_, UNNAMED_PEER, _, text
from correlate.render.select import finding_points, notable
from correlate.stopwatch import STAGES, Split
from correlate.story.episodes import KIND_WORDS
from correlate.times import fmt_ns, stamp

if TYPE_CHECKING:
    from correlate.analysis import Analysis, Bundle
    from correlate.cluster.align import NodeAlignment


_1971_NS = 365 * 86_400 * 1_000_000_000


def _before_1971(ns: int | None) -> bool:
    return ns is not None and 0 <= ns < _1971_NS


def fmt_time(ns: int | None) -> str:
    return fmt_ns(ns, sep=" ") or "-"


def _width(s: str) -> int:
    """Terminal columns: Hangul and other wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def wrap(s: str, columns: int) -> list[str]:
    """``s`` cut at spaces into lines of at most ``columns`` terminal columns (a word
    wider than that stands alone on its line). textwrap, and click's help with it,
    counts characters: a Korean line would come out up to twice as wide."""
    lines: list[str] = []
    line, used = "", 0
    for gap, word in re.findall(r"( *)(\S+)", s.replace("\n", " ")):
        w = _width(word)
        if line and used + len(gap) + w > columns:
            lines.append(line)
            line, used = "", 0
        if line:
            line, used = line + gap + word, used + len(gap) + w
        else:
            line, used = word, w
    if line:
        lines.append(line)
    return lines


def ljust(s: str, columns: int) -> str:
    """``s`` padded on the right to ``columns`` terminal columns (str.ljust counts
    characters, and a Hangul word would leave the next column short)."""
    return s + " " * (columns - _width(s))


def rjust(s: str, columns: int) -> str:
    return " " * (columns - _width(s)) + s


def label(word: str, width: int = 10) -> str:
    """A summary line's label, translated, padded to ``width`` terminal columns."""
    return ljust(_(word), width - 1) + " "


def _bundle_lines(analysis: Analysis, name: str) -> list[str]:
    """A bundle node: what its bundle held and read, and its CLI commands with the CLI
    clock's tie to the driver's."""
    b = analysis.bundles.get(name)
    if not b:
        return []
    files = b["files"]
    read: dict[str, int] = {}
    for f in files:
        if f["read"]:
            read[f["role"]] = read.get(f["role"], 0) + 1
    out = [
        "  "
        + label("bundle")
        + _("{kind} of host {host}: {files} file(s), read {read}; {left} not read").format(
            kind=b["kind"],
            host=b["host"],
            files=len(files),
            read=", ".join(f"{r} {n}" for r, n in sorted(read.items())) or "-",
            left=sum(1 for f in files if not f["read"]),
        )
    ]
    commands = [c for c in analysis.admin_commands if c.node == name]
    clock = next((c for c in analysis.admin_clocks if c.node == name), None)
    if commands and clock is not None:
        by: dict[str, int] = {}
        for c in commands:
            by[c.program] = by.get(c.program, 0) + 1
        tie = (
            _("CLI clock {shift:+g} h from the driver's, tied by {tied} of {n} commands").format(
                shift=clock.shift_ns / 3.6e12, tied=clock.tied, n=clock.candidates
            )
            if clock.shift_ns is not None
            else _("CLI clock not tied to the driver's (the same zone assumed)")
        )
        out.append(
            "  "
            + label("commands")
            + f"{len(commands)} ({', '.join(f'{p} {n}' for p, n in sorted(by.items()))}); "
            + tie
        )
    return out


def timings(splits: list[Split]) -> list[str]:
    """``--timings``: each stage's seconds and the peak RSS so far, one line each."""
    names = [_(STAGES[s.stage]) for s in splits]
    head = _("stage")
    width = max(_width(n) for n in [head, *names])

    seconds, peak, total = _("seconds"), _("peak RSS"), _("total")
    lines = [f"{ljust(head, width)}  {rjust(seconds, 8)}  {rjust(peak, 10)}"]
    for name, s in zip(names, splits, strict=True):
        rss = "" if s.peak_rss_bytes is None else f"{s.peak_rss_bytes / 2**20:,.0f} MiB"
        lines.append(f"{ljust(name, width)}  {s.seconds:8.2f}  {rss:>10}")
    lines.append(f"{ljust(total, width)}  {sum(s.seconds for s in splits):8.2f}")
    return lines


# How a clock's offset was found (align.py's basis), for a reader.
BASIS_WORDS = {
    "reference": N_("reference"),
    "2pc/bitmap": N_("2pc/bitmap"),
    "handshake": N_("handshake"),
    "manual": N_("manual"),
    "carried": N_("carried over"),
    "unaligned": N_("unaligned"),
}


def basis_word(basis: str) -> str:
    """How an offset was found, in the reader's language (unknown ones as they are)."""
    return _(BASIS_WORDS[basis]) if basis in BASIS_WORDS else basis


def _files(files: list) -> list[str]:
    """A node's files, each with its lines and bytes; a directory of many rotated logs
    as one line (the first and last file, and the totals)."""
    if len(files) <= FILES_LISTED:
        return [
            _("{file} ({lines} lines, {bytes} bytes)").format(
                file=f.display, lines=f.lines, bytes=f.bytes
            )
            for f in files
        ]
    first, last = files[0].display, files[-1].display
    where = first.rpartition("/")[0]
    if where and all(f.display.rpartition("/")[0] == where for f in files):
        first, last = first[len(where) + 1 :], last[len(where) + 1 :]
        return [
            _("{count} files in {dir}/: {first} .. {last} ({lines} lines, {bytes} bytes)").format(
                count=len(files),
                dir=where,
                first=first,
                last=last,
                lines=sum(f.lines for f in files),
                bytes=sum(f.bytes for f in files),
            )
        ]
    return [
        _("{count} files, {first} .. {last} ({lines} lines, {bytes} bytes)").format(
            count=len(files),
            first=first,
            last=last,
            lines=sum(f.lines for f in files),
            bytes=sum(f.bytes for f in files),
        )
    ]


def clock_line(na: NodeAlignment) -> str:
    """Offset, bounds, drift and evidence of a node, in one line."""
    if na.reference:
        return _("reference clock (offset 0 by definition)")
    main = na.main
    if main is None or main.offset_s is None:
        return _("UNALIGNED: keeps its own clock (no evidence shared with the reference)")
    lo = "-inf" if main.lower_s is None else f"{main.lower_s:+.6f}"
    hi = "+inf" if main.upper_s is None else f"{main.upper_s:+.6f}"
    evidence = sum(s.evidence for s in na.segments)
    weak = sum(s.weak_evidence for s in na.segments)
    if main.one_sided == "upper":
        # Only one side is bounded: the bound is what the lines prove, not a point.
        out = _(
            "offset at most {hi} s (nothing bounds it from below)  evidence {count} pairs"
        ).format(hi=hi, count=evidence)
    elif main.one_sided == "lower":
        out = _(
            "offset at least {lo} s (nothing bounds it from above)  evidence {count} pairs"
        ).format(lo=lo, count=evidence)
    else:
        out = _(
            "offset {offset} s  [{lo}, {hi}]  drift {drift} ppm  evidence {count} pairs"
        ).format(
            offset=f"{main.offset_s:+.6f}",
            lo=lo,
            hi=hi,
            drift=f"{main.drift_ppm or 0:+.1f}",
            count=evidence,
        )
    if weak:
        out += _(" + {count} weak").format(count=weak)
    basis = basis_word(main.basis) + (
        " " + _("via {nodes}").format(nodes=", ".join(main.via)) if main.via else ""
    )
    out += f" ({basis})"
    if na.manual:
        out += "  " + _("MANUAL (--offset)")
    if len(na.segments) > 1:
        out += "  " + _("{count} segments").format(count=len(na.segments))
    return out


FINDINGS_SHOWN = 25
FILES_LISTED = 4  # more files of a node: one line
# More episodes than this: each resource's are counted by kind, and only those that
# need a look (a finding, a split brain, an unfinished command) are listed, at most
# EPISODES_LISTED of a resource; the rest are in summary.json and the report.
EPISODES_ALL = 60
EPISODES_LISTED = 10


def _rows(analysis: Analysis) -> str:
    """The timeline's rows, and under --since/--until the window they are cut to (the
    per-node counts below describe the whole files)."""
    w = analysis.window
    if w is None:
        return _("{rows} rows").format(rows=analysis.timeline.height)
    since = fmt_ns(w.since_ns, sep=" ") or _("the start")
    until = fmt_ns(w.until_ns, sep=" ") or _("the end")
    return _("{rows} rows in the window {since} .. {until} (of {read} read)").format(
        rows=w.rows, since=since, until=until, read=w.rows_read
    )


def _who(analysis: Analysis, ident) -> str:
    cl = analysis.cluster
    who = [
        _("node id {id}").format(id=ident.node_id)
        if ident.node_id is not None
        else _("node id unknown")
    ]
    if ident.host:
        who.append(_("host {host}").format(host=ident.host))
    who.append(ident.platform or _("platform unknown"))
    who.append(
        f"{ident.product} {ident.version}"
        if ident.version
        else _("{product} version not logged").format(product=ident.product)
    )
    if ident.resources:
        word = _("resource {names}") if len(ident.resources) == 1 else _("resources {names}")
        who.append(word.format(names=", ".join(ident.resources)))
    if ident.peer_ids:
        named = ", ".join(_peer_label(cl, ident.resources, p) for p in ident.peer_ids)
        who.append(_("peers {peers}").format(peers=named))
    return ", ".join(who)


def _peer_label(cl, resources: list[str], peer: int) -> str:
    """A peer node id with the name the logs give it. Node ids are per resource: a
    name is said for the resources whose lines tie it to the id, and only when they
    agree (``px2 (node id 1)``, ``px2 (node id 1 in pgsql)``, else ``node id 1``)."""
    fallback = f"node id {peer}"
    by_res = {r: cl.name_of(r, peer) for r in resources or [None]}
    named = {r: n for r, n in by_res.items() if n and n != fallback}
    if len(set(named.values())) != 1:
        return _("node id {id}").format(id=peer)
    name = next(iter(named.values()))
    if len(named) == len(by_res):
        return _("{name} (node id {id})").format(name=name, id=peer)
    where = ", ".join(r for r in named if r is not None)
    return _("{name} (node id {id} in {resources})").format(name=name, id=peer, resources=where)


def summary(analysis: Analysis, written: Bundle | None = None) -> str:
    """The terminal summary; ``written``: the bundle, whose files it lists last."""
    al = analysis.alignment
    lines: list[str] = []
    lines.append(
        _("bsrcorr: {nodes} node(s), {rows}; times on {reference}'s clock").format(
            nodes=len(analysis.nodes), rows=_rows(analysis), reference=al.reference
        )
    )
    lines.extend(what_happened(analysis))
    for node, ev in zip(analysis.nodes, analysis.events, strict=True):
        ident, na = ev.identity, al.nodes[node.name]
        lines.append("")
        lines.append(f"{node.name}" + ("  " + _("(reference)") if na.reference else ""))
        lines.extend("  " + label("file") + f for f in _files(node.files))
        lines.extend(_bundle_lines(analysis, node.name))
        lines.append("  " + label("node") + _who(analysis, ident))
        lines.append(
            "  "
            + label("entries")
            + _("{entries}   unparsed {unparsed}   lost {lost}   epochs {epochs}").format(
                entries=node.entries, unparsed=node.unparsed, lost=node.lost, epochs=node.epochs
            )
        )
        if set(node.formats) - {"bsr"}:
            # Kernel logs: the line forms the reader recognised, so a user can tell a
            # grep-prefixed or relayed log was read as such.
            lines.append(
                "  " + label("formats") + ", ".join(f"{f} {n}" for f, n in node.formats.items())
            )
        if node.lost:
            lines.append(
                "  "
                + label("lost")
                + _("{gaps} by counter gaps, {reported} reported as 'missing log counter'").format(
                    gaps=node.gap_lines, reported=node.missing_reported
                )
            )
        local = f"{fmt_time(node.first_time)} .. {fmt_time(node.last_time)}"
        if _before_1971(node.first_time) and _before_1971(node.last_time):
            # A log with kernel uptime or dmesg deltas and no wall-clock stamp: its times
            # count from 1970-01-01 (the read stage's note says so per file); the range
            # must not read as a date. (NodeRead.uptime_only says it for uptime alone,
            # not for dmesg -H deltas without a minute stamp: the range says it for both.)
            local += "  " + _("(no wall-clock stamp: counted from 1970-01-01)")
        lines.append("  " + label("local") + local)
        lines.append("  " + label("clock") + clock_line(na))
        if na.timezone:
            note = (
                "  " + _("(a Linux BSR driver logs UTC+9)")
                if na.timezone in ("+09:00", "-09:00")
                else ""
            )
            lines.append(
                "  "
                + label("zone")
                + _("{zone} apart, residual {residual} s").format(
                    zone=na.timezone, residual=f"{na.residual_s:+.6f}"
                )
                + note
            )
        for step in na.steps:
            where = _("after line {before}, before line {after}").format(
                before=step.before.line, after=step.after.line
            )
            if step.likely:
                a, b = step.likely
                where = _("between lines {a} and {b}").format(a=a["line"], b=b["line"])
            lines.append(
                "  "
                + label("step")
                + _("clock stepped {size} s {where}").format(
                    size=f"{step.size_s:+.6f}", where=where
                )
            )
    unnamed = analysis.cluster.unnamed_ids
    if unnamed:
        lines.append("")
        ids = ", ".join(
            _("node id {id} ({resource})").format(id=i, resource=r or "-") for r, i in unnamed
        )
        lines.append(
            label("ids")
            + _(
                "{ids}: no line ties them to a host or a given log (summary.json identities)"
            ).format(ids=ids)
        )
    lines.extend(_findings(analysis))
    if analysis.end_state:
        lines.append("")
        lines.append(label("end state") + _("as each node last logged it (summary.json end_state)"))
        lines.extend("  " + row for row in end_state_table(analysis.end_state))
    lines.extend(_protocol(analysis))
    lines.extend(_episodes(analysis))
    if len(analysis.nodes) > 1:
        lines.append("")
        causal = _("{pairs} cross-node pairs checked: {after} receive-before-send").format(
            pairs=sum(1 for p in al.pairs if p.strict), after=al.violations_after
        )
        if al.violations_before:
            causal += " " + _("({count} before adjusting)").format(count=al.violations_before)
        if al.within_resolution:
            causal += ", " + _(
                "{count} only the stamps' resolution separates (order unproven; the "
                "timeline puts each receive after its send)"
            ).format(count=al.within_resolution)
        if al.conflicts:
            causal += ", " + _("{count} conflicting").format(count=len(al.conflicts))
        lines.append(label("causal") + causal)
    if written is not None:
        lines.append("")
        lines.append(_("bundle: {files}").format(files=", ".join(written.files)))
    return "\n".join(lines) + "\n"


SEVERITY_WORDS = {"error": N_("error"), "warning": N_("warning"), "info": N_("info")}
# The summary's opening: the diagnosis and where the nodes ended, in this many lines.
WHAT_HAPPENED_LINES = 8
DIAGNOSIS_SHOWN = 4


def what_happened(analysis: Analysis) -> list[str]:
    """The summary's opening (at most WHAT_HAPPENED_LINES lines): the diagnosis, most
    important first, then one line per node and resource of where it ended."""
    out = ["", _("what happened:")]
    entries = analysis.diagnosis
    if not entries:
        out.append("  " + _("no diagnosis: nothing in the logs points to an incident"))
    for i, d in enumerate(entries[:DIAGNOSIS_SHOWN]):
        because = (
            " " + _("(because of {items})").format(items=", ".join(f"#{j + 1}" for j in d.because))
            if d.because
            else ""
        )
        severity = ljust(_(SEVERITY_WORDS[d.severity]), 7)
        out.append(f"  #{i + 1} {severity} {text(d.msg)}{because}")
    if len(entries) > DIAGNOSIS_SHOWN:
        out[-1] += "  " + _("(+{count} more in summary.json diagnosis)").format(
            count=len(entries) - DIAGNOSIS_SHOWN
        )
    room = WHAT_HAPPENED_LINES - (len(out) - 1)
    ends = [_end_line(s) for s in analysis.end_state]
    if ends and room > 0:
        shown = ends[:room] if len(ends) <= room else ends[: room - 1]
        out.extend("  " + _("ends: {state}").format(state=e) for e in shown)
        if len(ends) > len(shown):
            out.append("  " + _("ends: ... {count} more (end state below)").format(
                count=len(ends) - len(shown)))  # fmt: skip
    return out


def _v(said) -> str:
    return said.value if said is not None else "-"


def _vols(items, attr: str) -> str:
    vals = [f"{_vol_name(v)}:{_v(getattr(v, attr))}" for v in items if getattr(v, attr)]
    return " ".join(vals) or "-"


def _vol_name(v) -> str:
    return str(v.volume) if v.volume is not None else f"minor{v.minor}"


def _end_line(s) -> str:
    """``n0 r0 Primary disk 0:UpToDate; n1 Connected Established/UpToDate``."""
    head = f"{s.node} {s.resource or '-'} {_v(s.role)}"
    if s.volumes:
        head += " " + _vols(s.volumes, "disk")
    peers = []
    for p in s.peers:
        vols = " ".join(
            f"{_v(v.replication)}/{_v(v.peer_disk)}" for v in p.volumes
            if v.replication or v.peer_disk
        )  # fmt: skip
        peers.append(" ".join(x for x in (p.peer or "-", _v(p.connection), vols) if x))
    return head + ("; " + "; ".join(peers) if peers else "")


def state_at(analysis: Analysis, states: list, at_ns: int) -> str:
    """``--at``: the end-state table as of an aligned time."""
    head = _(
        "where each node stood at {time} ({reference}'s clock), as it had last logged it"
    ).format(time=fmt_time(at_ns), reference=analysis.alignment.reference)
    if not states:
        return head + "\n" + "  " + _("no state change logged by then") + "\n"
    return head + "\n" + "\n".join("  " + r for r in end_state_table(states)) + "\n"


def end_state_table(states: list) -> list[str]:
    """The end-state table: one row per node, resource and peer ("-": never logged)."""
    head = [_("node"), _("resource"), _("own role"), _("own disk"), _("peer"), _("connection"),
            _("peer role"), _("replication"), _("peer disk")]  # fmt: skip
    rows = [head]
    for s in states:
        own = [s.node, s.resource or "-", _v(s.role), _vols(s.volumes, "disk")]
        if not s.peers:
            rows.append([*own, "-", "-", "-", "-", "-"])
        for i, p in enumerate(s.peers):
            rows.append([*(own if i == 0 else ["", "", "", ""]), p.peer or "-",
                         _v(p.connection), _v(p.peer_role), _vols(p.volumes, "replication"),
                         _vols(p.volumes, "peer_disk")])  # fmt: skip
    widths = [max(_width(r[i]) for r in rows) for i in range(len(head))]
    return ["  ".join(ljust(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]


def _findings(analysis: Analysis) -> list[str]:
    found = analysis.findings
    if not found:
        return ["", label("findings") + _("none")]
    counts = Counter(f.severity for f in found)
    head = ", ".join(
        f"{counts[s]} {_(SEVERITY_WORDS[s])}" for s in ("error", "warning", "info") if counts[s]
    )
    out = ["", label("findings") + head]
    for f in found[:FINDINGS_SHOWN]:
        when = fmt_time(f.time_ns)[11:] if f.time_ns is not None else " " * 16
        severity = ljust(_(SEVERITY_WORDS[f.severity]), 6)
        out.append(f"  {severity}   {when}  {f.kind:<28} {text(f.msg)}")
    if len(found) > FINDINGS_SHOWN:
        out.append(
            "  "
            + _("... {count} more in summary.json and report.html").format(
                count=len(found) - FINDINGS_SHOWN
            )
        )
    return out


def _grouped(analysis: Analysis) -> bool:
    return len(analysis.cluster.resources) > 1


def _episodes(analysis: Analysis) -> list[str]:
    """In time order; with several resources, one group a resource, then the episodes
    of the nodes (driver loads) and of several resources at once (``up all``)."""
    if not analysis.episodes:
        return []
    out = ["", _("episodes")]
    groups: list[tuple[str | None, list]] = [(None, analysis.episodes)]
    if _grouped(analysis):
        groups = [
            (res, [e for e in analysis.episodes if e.resource == res])
            for res in analysis.cluster.resources
        ]
        groups.append(
            (_("nodes and several resources"), [e for e in analysis.episodes if e.resource is None])
        )
    many = len(analysis.episodes) > EPISODES_ALL
    if many:
        out[-1] += "  " + _(
            "{count}: counted by kind; listed are those with a finding, a split brain or an "
            "unfinished command (every one is in summary.json and report.html)"
        ).format(count=len(analysis.episodes))
        points = finding_points(analysis.findings, analysis.clock)
        times = [p[0] for p in points]
    for name, episodes in groups:
        if not episodes:
            continue
        indent = "  "
        if name is not None:
            out.append(f"  {name}")
            indent = "    "
        listed = episodes
        if many:
            out.extend(indent + line for line in _kinds(episodes))
            listed = [e for e in episodes if notable(e, points, times) is not None]
            if len(listed) > EPISODES_LISTED:
                more = len(listed) - EPISODES_LISTED
                listed = listed[:EPISODES_LISTED]
            else:
                more = 0
            if listed:
                out.append(indent + _("need a look:"))
        for e in listed:
            start, end = fmt_time(e.start_ns)[11:], fmt_time(e.end_ns)[11:]
            out.append(f"{indent}{e.number:>4}  {start} .. {end}  {text(e.heading)}")
        if many and more:
            out.append(indent + "  " + _("... {count} more that need a look").format(count=more))
    return out


def _kinds(episodes: list) -> list[str]:
    """One line per kind: how many, the first and last start (date and time)."""
    kinds: dict[str, list] = {}
    for e in episodes:
        kinds.setdefault(e.kind, []).append(e)
    out = []
    width = max(_width(_(KIND_WORDS.get(k, k))) for k in kinds)
    for kind, group in kinds.items():
        word = _(KIND_WORDS.get(kind, kind))
        out.append(
            ljust(word, width)
            + f"  {len(group):>5}  "
            + _("#{first} {start} .. #{last} {end}").format(
                first=group[0].number,
                start=fmt_time(group[0].start_ns)[:19],
                last=group[-1].number,
                end=fmt_time(group[-1].start_ns)[:19],
            )
        )
    return out


def _protocol(analysis: Analysis) -> list[str]:
    """Per resource when there are several: its 2PCs, UUID decisions and resyncs."""
    cl = analysis.cluster
    out = ["", _("protocol")]
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
            if ev.polls.height:
                said = _(
                    "{node}: {commands} command(s) and {polls} status poll(s), {open} never "
                    "finished"
                )
            else:
                said = _("{node}: {commands} command(s), {open} never finished")
            out.append(
                "  "
                + label("netlink")
                + said.format(
                    node=ev.name, commands=len(ev.netlink), polls=ev.polls.height, open=open_
                )
            )
    if len(out) == 2:
        out.append("  " + _("no protocol events found"))
    return out


# Labels of the protocol lines that name a record kind (label(r.kind)).
RECORD_WORDS = (N_("resync"), N_("verify"))

OUTCOME_WORDS = {
    "committed": N_("committed"),
    "aborted": N_("aborted"),
    "timed out": N_("timed out"),
    "incomplete": N_("incomplete"),
    "done": N_("done"),
    "running": N_("running"),
    "broken": N_("broken"),
}


def _protocol_of(analysis: Analysis, res: str | None) -> list[str]:
    """The protocol lines of one resource (``"*"``: of every resource)."""
    cl = analysis.cluster

    def mine(resource: str | None) -> bool:
        return res == "*" or resource == res

    out: list[str] = []
    twopc = [r for r in cl.twopc if mine(r.resource)]
    if twopc:
        outcomes = Counter(r.outcome for r in twopc)
        parts = ", ".join(f"{n} {_(OUTCOME_WORDS[o])}" for o, n in sorted(outcomes.items()))
        out.append(
            "  "
            + label("2PC")
            + _("{count} transaction(s): {outcomes}").format(count=len(twopc), outcomes=parts)
        )
    # Decisions alike (the same results and rules, mirrored or not) are one line with
    # their count: days of reconnects make hundreds of each.
    uuid: Counter[str] = Counter()
    for pair in cl.decision_pairs:
        if not mine(pair.resource):
            continue
        a, b = pair.a, pair.b
        state = _("mirrored") if pair.mirrored else _("DO NOT MIRROR")
        uuid[f"{a.node} {a.short} <-> {b.node} {b.short}: {state}"] += 1
    for ev in analysis.events:
        for d in ev.decisions:
            if d not in cl.twin and d.result is not None and mine(d.resource):
                uuid[
                    _("{node} {result}: {meaning} (peer's side not in these logs)").format(
                        node=d.node, result=d.short, meaning=text(uuid_meaning(d.result))
                    )
                ] += 1
    out.extend("  " + label("UUID") + _counted(n, line) for line, n in uuid.items())
    # Resyncs of one direction and volume are one line when there are many: their
    # count, KB in all and outcomes.
    sessions: dict[tuple, list] = {}
    for r in cl.resyncs:
        if mine(r.resource):
            sessions.setdefault((r.kind, r.source, r.target, r.volume), []).append(r)
    for (kind, source, target, volume), group in sessions.items():
        if kind == "resync":
            roles = "SyncSource -> SyncTarget" if source or target else _("roles not logged")
        else:
            roles = "verify"
        vol = " " + _("volume {volume}").format(volume=volume) if volume not in (None, 0) else ""
        head = f"{source or _(UNNAMED_PEER)} -> {target or _(UNNAMED_PEER)}{vol} ({roles}): "
        if len(group) <= 3:
            for r in group:
                kb = f"{r.kb} KB" if r.kb is not None else _("size not logged")
                outcome = _(OUTCOME_WORDS.get(r.outcome, r.outcome))
                out.append("  " + label(kind) + head + f"{kb}, {outcome}")
            continue
        sized = [r.kb for r in group if r.kb is not None]
        outcomes = Counter(r.outcome for r in group)
        said = ", ".join(
            f"{n} {_(OUTCOME_WORDS.get(o, o))}" for o, n in sorted(outcomes.items(), key=str)
        )
        out.append(
            "  "
            + label(kind)
            + head
            + _("{count} sessions, {kb} KB in all ({unsized} without a size): {outcomes}").format(
                count=len(group), kb=sum(sized), unsized=len(group) - len(sized), outcomes=said
            )
        )
    return out


def _counted(n: int, line: str) -> str:
    return line if n == 1 else _("{count} x {line}").format(count=n, line=line)


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
                # "~": a row a clock step may lie on either side of (the step column)
                _stamp("time")
                + pl.when(pl.col("step").is_not_null()).then(pl.lit("~ ")).otherwise(pl.lit("  "))
                + pl.col("node").str.pad_end(width),
                _local_stamp(),
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
    return stamp(col, " ").fill_null("-" * 27)


def _local_stamp() -> pl.Expr:
    """The node's own time with the digits its stamp has (``time_res_ns``): a syslog or
    CLI second shows no fraction, a millisecond stamp three digits; the column keeps its
    width. The aligned time beside it keeps seven: it is computed, not written."""
    # 1 s -> 0 digits, 1 ms -> 3, 100 ns -> 7 (no resolution known: 7).
    res = pl.col("time_res_ns").cast(pl.Float64)
    # (log10 of a power of ten may come out a hair below it: the nudge keeps 9 at 9)
    digits = (9 - (res.log10() + 1e-9).floor()).clip(0, 7).fill_null(7).cast(pl.Int64)
    cut = pl.when(digits == 0).then(pl.lit(19)).otherwise(20 + digits)
    return stamp("local_time", " ").str.slice(0, cut).str.pad_end(27).fill_null("-" * 27)
