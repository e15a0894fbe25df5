"""Render, data: the analysis as the JSON documents of the output contract.

``alignment.json``: reference, nodes (identity and counts), offsets (segments), per-node
summary, steps, the causal check, conflicts and the evidence list.
``summary.json``: twopc, resyncs, uuid_decisions, netlink, handshakes, bitmaps,
landmarks, findings, connection losses, episodes (with their conformance), the end
state, the diagnosis, the diagrams drawn and the window.

This module is the one place the contract's JSON is spelt: the records of the model
have no ``to_json`` of their own, and the pipeline writes what these functions return.

Every time is on the reference clock unless its key says ``local``; both are ISO 8601
with the 100 ns the log had. Node names are the names in ``alignment.json``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from correlate.cluster import align
from correlate.events.catalog_bsr import uuid_meaning
from correlate.events.codes import rv_name
from correlate.events.netlink import poll_ref
from correlate.model import Clock, Ref
from correlate.render.select import AUTO_ALL, MAX_DRAWN
from correlate.times import fmt_ns
from correlate.vocab import ResyncOutcome

if TYPE_CHECKING:
    from correlate.analysis import Analysis, Drawn
    from correlate.model import NodeIdentity
    from correlate.render.select import Selection
    from correlate.story.conformance import Deviation
    from correlate.story.diagnosis import Diagnosis
    from correlate.story.end_state import NodeState
    from correlate.story.episodes import Episode
    from correlate.story.scope import Window

EVIDENCE_LISTED = 2000  # per alignment.json; the count says how many there were in all


def _r(x: float | None, digits: int = 6) -> float | None:
    return None if x is None else round(float(x), digits)


class Times:
    """Formats a line's local and aligned time."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock  # every row's aligned time, computed once by the align stage

    def aligned(self, ref: Ref | None) -> str | None:
        return fmt_ns(self.clock.at(ref)) if ref else None

    def local(self, ref: Ref | None) -> str | None:
        return fmt_ns(ref.local_ns) if ref else None

    def line(self, ref: Ref | None) -> dict[str, Any] | None:
        if ref is None:
            return None
        return {**ref_json(ref), "local_time": self.local(ref), "time": self.aligned(ref)}


def netlink_polls(analysis: Analysis, t: Times) -> list[dict[str, Any]]:
    """Terminated status polls, one record per node and command: how many, when, slowest."""
    out = []
    for ev in analysis.events:
        for (command,), group in ev.polls.group_by("command", maintain_order=True):
            # The first slowest in the node's order, as the poll table is in that order.
            slowest = group.row(int(group["duration_ms"].fill_null(0.0).arg_max() or 0), named=True)
            out.append(
                {
                    "node": ev.name,
                    "command": command,
                    "count": group.height,
                    "first": t.aligned(poll_ref(ev.name, group.row(0, named=True))),
                    "last": t.aligned(poll_ref(ev.name, group.row(-1, named=True))),
                    "max_duration_ms": _r(slowest["duration_ms"], 4),
                    "slowest": t.line(poll_ref(ev.name, slowest)),
                }
            )
    return out


# -- alignment.json -----------------------------------------------------------------------


def alignment_json(analysis: Analysis) -> dict[str, Any]:
    al = analysis.alignment
    t = Times(analysis.clock)
    nodes = {}
    for parsed, ev in zip(analysis.nodes, analysis.events, strict=True):
        ident = ev.identity
        nodes[parsed.name] = {
            **identity_json(ident),
            "files": [f.display for f in parsed.files],
            "lines": parsed.lines,
            "entries": parsed.entries,
            "unparsed": parsed.unparsed,
            "lost": parsed.lost,
            "epochs": parsed.epochs,
            "untimed": parsed.bad_time,
            "formats": parsed.formats,
            "first_local_time": fmt_ns(parsed.first_time),
            "last_local_time": fmt_ns(parsed.last_time),
        }
    summary = {name: node_offset_summary(na) for name, na in al.nodes.items()}
    listed = sorted(al.pairs, key=lambda p: (not p.strict, p.send.node, p.send.row))
    return {
        "reference": al.reference,
        "nodes": nodes,
        "offsets": offsets_json(al),
        "summary": summary,
        "steps": [
            {
                "number": k,
                "node": s.node,
                "size_s": _r(s.size_s),
                "after_line": t.line(s.before),
                "before_line": t.line(s.after),
                # rows either side of the step may be on (the timeline's step column)
                "unsure_rows": list(s.unsure) if s.unsure else None,
                "likely_between": [
                    {k: (fmt_ns(v) if k == "local_ns" else v) for k, v in ln.items()}
                    for ln in s.likely
                ]
                if s.likely
                else None,
            }
            for k, s in enumerate(al.steps, 1)
        ],
        "causal": {
            "pairs_checked": sum(1 for p in al.pairs if p.strict),
            "violations_before": al.violations_before,
            "violations_after": al.violations_after,
            # of the pairs between aligned nodes: the receive after its send beyond both
            # stamps' resolution, or only within it (a tie: order unproven)
            "proven": al.proven,
            "within_resolution": al.within_resolution,
            "adjustments": [
                {
                    "node": a.node,
                    "segment": a.segment,
                    "shift_s": _r(a.shift_s, 7),
                    "pairs": [pair_json(p, t) for p in a.pairs[:10]],
                }
                for a in al.adjustments
            ],
            "violating": [pair_json(p, t) for p in al.violating[:100]],
        },
        "conflicts": [
            {
                "node": c.node,
                "reason": str(c.reason),
                "pair": pair_json(c.pair, t),
                "against": [pair_json(p, t) for p in c.against],
            }
            for c in al.conflicts
        ],
        "evidence_total": len(al.pairs),
        "evidence_listed": min(len(al.pairs), EVIDENCE_LISTED),
        "evidence": [pair_json(p, t) for p in listed[:EVIDENCE_LISTED]],
    }


def node_offset_summary(na: align.NodeAlignment) -> dict[str, Any]:
    main = na.main
    return {
        "aligned": na.aligned,
        "reference": na.reference,
        "manual": na.manual,
        "offset_s": _r(main.offset_s, 7) if main else None,
        "lower_s": _r(main.lower_s, 7) if main else None,
        "upper_s": _r(main.upper_s, 7) if main else None,
        "drift_ppm": _r(main.drift_ppm, 3) if main else None,
        "evidence": sum(s.evidence for s in na.segments),
        "weak_evidence": sum(s.weak_evidence for s in na.segments),
        "basis": main.basis if main else "unaligned",
        "via": main.via if main else [],
        "segments": len(na.segments),
        "steps": len(na.steps),
        "timezone": na.timezone,
        "timezone_note": timezone_note(na),
        "residual_s": _r(na.residual_s, 7),
        "note": na.note,
    }


def timezone_note(na: align.NodeAlignment) -> str | None:
    if na.timezone is None:
        return None
    if na.timezone == "+09:00":
        return "+09:00: a Linux BSR driver logs UTC+9 whatever the machine's zone"
    if na.timezone == "-09:00":
        return "-09:00: the reference is likely a Linux BSR driver, which logs UTC+9"
    return f"{na.timezone}: likely a time-zone difference between the two machines"


def pair_json(p, t: Times) -> dict[str, Any]:
    return {
        "kind": p.kind,
        "tid": p.tid,
        "strict": p.strict,
        "delta_s": _r(p.delta_s, 7),
        "send": t.line(p.send),
        "recv": t.line(p.recv),
    }


# -- summary.json -------------------------------------------------------------------------


UNNAMED_WHY = (
    "no Handshake to peer N on a connection named by a host, no committed conn( ) change of "
    "a 2PC aimed at it, and no present node's own lines give this id"
)


def summary_json(analysis: Analysis, drawn: Drawn | None = None) -> dict[str, Any]:
    """summary.json; ``drawn`` (what the diagrams stage drew) names the diagrams: without
    it no episode names an SVG and ``diagrams`` is absent."""
    al, cl = analysis.alignment, analysis.cluster
    t = Times(analysis.clock)
    decisions = []
    for ev in analysis.events:
        for d in ev.decisions:
            twin = cl.pair_of(d)
            pair = cl.twin.get(d)
            decisions.append(
                {
                    "node": d.node,
                    "peer": cl.name_of(d.resource, d.peer, d.peer_host),
                    "peer_id": d.peer,
                    "resource": d.resource,
                    "volume": d.volume,
                    # as the line wrote them (DRBD 8.4's own numbers), with the names
                    "result": d.logged[0],
                    "result_name": d.result_name,
                    "rule": d.logged[1],
                    "rule_name": d.rule_name,
                    "dialect": d.dialect,
                    "meaning": str(uuid_meaning(d.result)),
                    "rule_reason": d.reason,
                    "rule_text": d.rule_text,
                    "time": t.aligned(d.compare or d.start),
                    "local_time": t.local(d.compare or d.start),
                    "self": d.self_uuids,
                    "peer_uuids": d.peer_uuids,
                    "matched_with": twin.node if twin else None,
                    "mirrored": pair.mirrored if pair else None,
                    "lines": [t.line(r) for r in (d.start, d.rule_ref, d.compare) if r],
                }
            )
    doc: dict[str, Any] = {
        "reference": al.reference,
        "nodes": [p.name for p in analysis.nodes],
        # Who is who beyond each node's own identity (alignment.json): the ids the lines
        # name that no line ties to a host (shown as "node id N"), and lines that tie
        # one id to two hosts.
        "identities": {
            "unnamed": [
                {"resource": r, "node_id": i, "why": UNNAMED_WHY} for r, i in cl.unnamed_ids
            ],
            "conflicts": list(cl.identity_conflicts),
        },
        "twopc": [twopc_json(r, t) for r in cl.twopc],
        "split_brains": [
            {
                "node": n.name,
                "resource": sb.resource,
                "volume": sb.volume,
                "peer": cl.name_of(sb.resource, sb.peer, sb.peer_host),
                "resolved": sb.resolved,
                "discarded": sb.discarded(cl.name_of(sb.resource, sb.peer, sb.peer_host)),
                "sync_from": sb.sync_from,
                "primaries": sb.primaries,
                "time": t.aligned(sb.ref),
                "lines": [t.line(sb.ref)],
            }
            for n in cl.nodes
            for sb in n.split_brains
        ],
        "failed_state_changes": [
            {
                "node": n.name,
                "resource": fc.resource,
                "volume": fc.volume,
                "reason": fc.reason,
                "rv": fc.rv,
                "rv_name": (rv_name(fc.rv, n.identity.product) or (None,))[0],
                "tried": [
                    {
                        "object": c.object,
                        "peer": cl.name_of(c.resource, c.peer, c.peer_host),
                        "what": c.what,
                        "old": c.old,
                        "new": c.new,
                    }
                    for c in fc.tried
                ],
                "time": t.aligned(fc.ref),
                "lines": [t.line(r) for r in fc.refs()],
            }
            for n in cl.nodes
            for fc in n.failed_changes
        ],
        "resyncs": [resync_json(r, t) for r in cl.resyncs],
        "uuid_decisions": decisions,
        "netlink": [
            {
                "node": c.node,
                "command": c.command,
                "number": c.number,
                "received": t.aligned(c.received),
                "done": t.aligned(c.done),
                "duration_ms": _r(c.duration_ms, 4),
                "pending": c.pending,
                "open": c.done is None,
                "lines": [t.line(c.received), t.line(c.done)],
            }
            for ev in analysis.events
            # Terminated status polls are not records (netlink.pair keeps them apart).
            for c in ev.netlink
        ],
        "netlink_polls": netlink_polls(analysis, t),
        "handshakes": [
            {
                "node": ev.name,
                "resource": h.resource,
                "peer": cl.name_of(h.resource, h.peer_id, h.peer_host),
                "peer_id": h.peer_id,
                "protocol": h.protocol,
                "peer_name": h.peer_name,
                "peer_host": h.peer_host,
                "features": h.features,
                "time": t.aligned(h.ref),
                "line": t.line(h.ref),
            }
            for ev in analysis.events
            for h in ev.handshakes
        ],
        "bitmaps": [
            {
                "node": b.node,
                "resource": b.resource,
                "volume": b.volume,
                "peer": cl.name_of(b.resource, b.peer, b.peer_host),
                "role": b.role,
                "sent": _stat(b.sent),
                "received": _stat(b.received),
                "start": t.aligned(b.send_start),
                "done_sent": t.aligned(b.done_sent),
                "done_received": t.aligned(b.done_received),
            }
            for ev in analysis.events
            for b in ev.bitmaps
        ],
        "landmarks": [
            {
                "node": ev.name,
                "kind": lm.kind,
                "resource": lm.resource,
                "resources": lm.resources,
                "time": t.aligned(lm.ref),
                "end": t.aligned(lm.end),
                "detail": lm.detail,
                "line": t.line(lm.ref),
            }
            for ev in analysis.events
            for lm in ev.landmarks
        ],
        "findings": [finding_json(f, t) for f in analysis.findings],
        "connection_losses": [
            {
                "node": ev.name,
                "resource": x.resource,
                "peer": cl.name_of(x.resource, x.peer, x.peer_host),
                "time": t.aligned(x.ref),
                "reason": x.reason,
                "message": x.ref.message,
                "line": t.line(x.ref),
            }
            for ev in analysis.events
            for x in ev.connection_losses
        ],
    }
    svgs = {p.name for p in drawn.files if p.suffix == ".svg"} if drawn else set()
    sel = drawn.selection if drawn is not None else None
    doc["episodes"] = episodes_json(analysis.episodes, svgs, analysis.conformance, sel)
    doc["end_state"] = end_state_json(analysis.end_state, analysis.clock)
    doc["diagnosis"] = diagnosis_json(analysis.diagnosis, analysis.episodes, svgs)
    if drawn is not None and drawn.selection is not None:
        doc["diagrams"] = selection_json(drawn.selection, set(drawn.rendered), drawn.dot_missing)
    doc["window"] = window_json(analysis.window)
    doc["admin_commands"] = admin_commands_json(analysis)
    doc["admin_clocks"] = [
        {
            "node": c.node,
            "shift_s": c.shift_ns / 1e9 if c.shift_ns is not None else None,
            "tied": c.tied,
            "candidates": c.candidates,
        }
        for c in analysis.admin_clocks
    ]
    doc["context_clocks"] = [
        {
            "node": c.node,
            "files": c.files,
            "shift_s": c.shift_ns / 1e9 if c.shift_ns is not None else None,
            "pairs": c.pairs,
            "how": c.how,
        }
        for c in analysis.context_clocks
    ]
    doc["config"] = analysis.config
    doc["bundles"] = analysis.bundles
    doc["status_snapshots"] = analysis.snapshots
    return doc


def admin_commands_json(analysis: Analysis) -> list[dict[str, Any]]:
    """The CLI commands of the nodes' bundles: ``time`` aligned, ``local_time`` as the
    CLI log wrote it; ``caused`` the 2PCs (``{"tid"}``) and state-change lines the driver
    logged while it ran the command."""
    out = []
    index = {id(c): i for i, c in enumerate(analysis.admin_commands)}
    by_node: dict[str, list] = {}
    for c in analysis.admin_commands:
        by_node.setdefault(c.node, []).append(c)
    for c in analysis.admin_commands:
        parent = by_node[c.node][c.parent] if c.parent is not None else None
        receipt = c.netlink.received if c.netlink is not None else None
        out.append(
            {
                "node": c.node,
                "time": fmt_ns(c.time_ns),
                "local_time": fmt_ns(c.local_ns),
                "program": c.program,
                "command": c.command,
                "subcommand": c.subcommand,
                "pid": c.pid,
                "caller": [{"name": n, "pid": p} for n, p in c.caller],
                "rv": c.rv,
                "parent": index[id(parent)] if parent is not None else None,
                "netlink": ref_json(receipt) if receipt is not None else None,
                "caused": [{"tid": tid} for tid in c.caused_tids]
                + [ref_json(r) for r in c.caused_rows],
                "lines": [ref_json(r) for r in (c.ref, c.done) if r is not None],
            }
        )
    return out


def finding_json(f, t: Times) -> dict[str, Any]:
    return {
        "severity": f.severity,
        "kind": f.kind,
        "node": f.node,
        "resource": f.resource,
        "time": fmt_ns(f.time_ns),
        "message": f.message,
        "count": f.count,
        "last_time": fmt_ns(f.last_ns),
        "occurrences": [{"time": fmt_ns(ns), "message": str(m)} for ns, m in f.occurrences],
        "lines": [t.line(r) for r in f.lines],
    }


def _stat(s) -> dict[str, Any] | None:
    if s is None:
        return None
    return {
        "plain_bytes": s.plain_bytes,
        "plain_packets": s.plain_packets,
        "rle_bytes": s.rle_bytes,
        "rle_packets": s.rle_packets,
        "total": s.total,
        "compression": s.compression,
    }


def twopc_json(r, t: Times) -> dict[str, Any]:
    init = r.initiator_side
    first = None
    if init is not None:
        first = init.prepare or init.detail
    else:
        parts = r.participant_sides()
        first = parts[0].prepare if parts else None
    lines = []
    for s in r.sides:
        for ref in (s.prepare, s.detail, s.reply, s.commit, s.abort, s.rejected, *s.timeouts):
            if ref is not None:
                lines.append(t.line(ref))
    return {
        "tid": r.tid,
        "resource": r.resource,
        "initiator": r.initiator,
        "initiator_id": r.initiator_id,
        "target": r.target,
        "participants": r.participants,
        "absent": r.absent,
        "relays": r.relays,
        "proved_by": r.proved_by,
        "outcome": r.outcome,
        "duration_ms": _r(r.duration_ms, 4),
        "changes": r.changes,
        "mask": r.mask,
        "val": r.val,
        "abort_rv": r.abort_rv,
        "abort_rv_name": r.abort_rv_name,
        "time": t.aligned(first),
        "problems": [str(p) for p in r.problems],
        "lines": lines,
    }


def resync_json(r, t: Times) -> dict[str, Any]:
    starts = [s.start for s in r.sides if s.start]
    ends = [s.end for s in r.sides if s.end]
    start_ns = t.clock.first(starts)
    end_ns = t.clock.last(ends)
    done = next((s for s in r.sides if s.total_s is not None), None)
    return {
        "kind": r.kind,
        "resource": r.resource,
        "volume": r.volume,
        "source": r.source,
        "target": r.target,
        "kb": r.kb,
        "start": fmt_ns(start_ns),
        "end": fmt_ns(end_ns) if r.outcome != ResyncOutcome.RUNNING else None,
        "duration_s": _r((end_ns - start_ns) / 1e9, 6)
        if start_ns is not None and end_ns is not None
        else None,
        "logged_total_s": done.total_s if done else None,
        "paused_s": done.paused_s if done else None,
        "rate_kps": done.rate_kps if done else None,
        "outcome": r.outcome,
        "sides": [
            {
                "node": s.node,
                "role": s.role,
                "peer": s.peer,
                "start": t.aligned(s.start),
                "end": t.aligned(s.end),
                "outcome": s.outcome,
                "end_reason": s.end_reason,
                "bits": s.bits,
                "kb": s.kb,
            }
            for s in r.sides
        ],
    }


def ref_json(ref: Ref) -> dict[str, Any]:
    """Where a line is: node, file, line number and the node's sequence counter."""
    return {"node": ref.node, "file": ref.file, "line": ref.line, "seq": ref.seq}


def identity_json(ident: NodeIdentity) -> dict[str, Any]:
    """A node's identity in alignment.json's ``nodes``."""
    return {
        "node_id": ident.node_id,
        "node_id_from": ident.node_id_from,
        "node_ids": dict(sorted(ident.node_ids.items())),
        "host": ident.host,
        "host_aliases": ident.aliases,
        "dialect": ident.dialect,
        "platform": ident.platform,
        "product": ident.product,
        "version": ident.version,
        "peer_ids": ident.peer_ids,
        "peer_hosts": {str(k): v for k, v in sorted(ident.hosts.items())},
        "resources": ident.resources,
        "volumes": ident.volumes,
    }


def offsets_json(alignment: align.Alignment) -> dict[str, Any]:
    """alignment.json's ``offsets``: each node's clock segments (7 digits: 100 ns)."""
    out: dict[str, Any] = {}
    for name, na in alignment.nodes.items():
        out[name] = [
            {
                "start": fmt_ns(s.start_ns),
                "end": fmt_ns(s.end_ns),
                "first_row": s.first_row,
                "last_row": s.last_row,
                "epoch": s.epoch,
                "offset_s": _r(s.offset_s, 7),
                "lower_s": _r(s.lower_s, 7),
                "upper_s": _r(s.upper_s, 7),
                "drift_ppm": _r(s.drift_ppm, 3),
                "evidence": s.evidence,
                "weak_evidence": s.weak_evidence,
                "basis": s.basis,
                "via": s.via,
                "adjusted_s": _r(s.adjusted_s, 7),
                "one_sided": s.one_sided,
            }
            for s in na.segments
        ]
    return out


def _said(said) -> str | None:
    return said.value if said is not None else None


def end_state_json(states: list[NodeState], clock: Clock) -> list[dict[str, Any]]:
    """summary.json's ``end_state``: per (node, resource), the last state it logged;
    ``minor`` only for DRBD 8.4's volumes (no volume number in its lines)."""

    def vol(v, **values) -> dict[str, Any]:
        out: dict[str, Any] = {"volume": v.volume}
        if v.volume is None:
            out["minor"] = v.minor
        return {**out, **values}

    return [
        {
            "node": s.node,
            "resource": s.resource,
            "role": _said(s.role),
            "volumes": [vol(v, disk=_said(v.disk)) for v in s.volumes],
            "peers": [
                {
                    "peer": p.peer,
                    "connection": _said(p.connection),
                    "peer_role": _said(p.peer_role),
                    "volumes": [
                        vol(v, replication=_said(v.replication), peer_disk=_said(v.peer_disk))
                        for v in p.volumes
                    ],
                }
                for p in s.peers
            ],
            "as_of": fmt_ns(clock.at(s.as_of)),
        }
        for s in states
    ]


def diagnosis_json(
    entries: list[Diagnosis], episodes: list[Episode], svgs: set[str] | None = None
) -> list[dict[str, Any]]:
    """summary.json's ``diagnosis``: the story, causes before what they cause."""
    slugs = {e.number: e.slug for e in episodes}
    out = []
    for d in entries:
        slug = slugs.get(d.episode) if d.episode is not None else None
        drawn = slug is not None and (svgs is None or f"{slug}.svg" in svgs)
        out.append(
            {
                "kind": d.kind,
                "severity": d.severity,
                "resource": d.resource,
                "nodes": d.nodes,
                "time": fmt_ns(d.time_ns),
                "text": d.text,
                "evidence": [{"node": r.node, "file": r.file, "line": r.line} for r in d.evidence],
                "because": d.because,
                "episode": d.episode,
                "diagram": f"diagrams/{slug}.svg" if drawn else None,
                **d.fields,
            }
        )
    return out


def episodes_json(
    episodes: list[Episode],
    svgs: set[str] | None = None,
    conformance: dict[int, list[Deviation]] | None = None,
    sel: Selection | None = None,
) -> list[dict]:
    """summary.json's ``episodes``: ``diagram`` is the SVG's path when it was drawn
    (``svgs`` holds the file names drawn; None: every episode's), else null (not under
    ``--diagrams overview|none``, nor without Graphviz); ``conformance``: the steps of
    the episode's normal sequence missing or out of order (empty: it conforms). With the
    selection ``sel``: ``shape`` (the number of its shape in ``diagrams.shapes``) and
    ``drawn_as``, the SVG of the drawn episode that stands for it (its own when it was
    drawn; null when none was)."""
    conformance = conformance or {}

    def drawn_as(e: Episode) -> str | None:
        slug = sel.stands_for.get(e.slug) if sel is not None else None
        if slug is None or (svgs is not None and f"{slug}.svg" not in svgs):
            return None
        return f"diagrams/{slug}.svg"

    return [
        {
            "number": e.number,
            "kind": e.kind,
            "title": e.title,
            "resource": e.resource,
            "resources": e.resources or ([e.resource] if e.resource else []),
            "nodes": e.nodes,
            "start": fmt_ns(e.start_ns),
            "end": fmt_ns(e.end_ns),
            "duration_s": round((e.end_ns - e.start_ns) / 1e9, 6),
            "diagram": f"diagrams/{e.slug}.svg"
            if svgs is None or f"{e.slug}.svg" in svgs
            else None,
            "shape": sel.shape.get(e.slug) if sel is not None else None,
            "drawn_as": drawn_as(e),
            "detail": e.detail,
            "conformance": [
                {"node": d.node, "step": d.step, "problem": d.problem, "text": d.text}
                for d in conformance.get(e.number, [])
            ],
        }
        for e in episodes
    ]


def selection_json(
    sel: Selection, rendered: set[str] | None = None, dot_missing: bool = False
) -> dict[str, Any]:
    """summary.json's ``diagrams`` object: what was asked, drawn and left out.
    ``rendered``: the slugs that got an SVG (default: every selected one)."""
    count = len(sel.drawn) if rendered is None else len(rendered)
    doc: dict[str, Any] = {
        "mode": sel.mode,
        "episodes": sel.total,
        "rendered": count,
        "left_out": sel.total - count,
        "render_all": None if count == sel.total else "run bsrcorr again with --diagrams all",
    }
    if dot_missing:
        doc["note"] = "Graphviz's dot is not installed: diagrams/*.dot are the sources"
    elif sel.left_out:
        doc["note"] = (
            f"{len(sel.left_out)} episodes not drawn (--diagrams auto): one episode of each "
            "shape stands for the others of it; episodes[].diagram is null for each, "
            "episodes[].drawn_as names the drawn one, and the report says why; "
            "bsrcorr draw OUT NUMBER draws any of them from this bundle"
            if sel.mode == "auto"
            else f"episode diagrams not drawn (--diagrams {sel.mode}); bsrcorr draw OUT "
            "NUMBER draws any of them from this bundle"
        )
    if sel.left_out_kinds:
        doc["left_out_routine"] = dict(sorted(sel.left_out_kinds.items()))
    doc["max_drawn"] = MAX_DRAWN if sel.mode == "auto" and sel.total > AUTO_ALL else None
    doc["over_cap"] = sel.over_cap
    drawn = set(sel.drawn) if rendered is None else rendered
    doc["shapes"] = [
        {
            "shape": s.number,
            "group": str(s.group),
            "count": len(s.members),
            "drawn": s.members[s.slugs.index(s.drawn)] if s.drawn in drawn else None,
            "diagram": f"diagrams/{s.drawn}.svg" if s.drawn in drawn else None,
            "episodes": s.members,
        }
        for s in sel.shapes
    ]
    return doc


def window_json(window: Window | None) -> dict[str, Any] | None:
    """summary.json's ``window``: the --since/--until cut, or null."""
    if window is None:
        return None
    return {
        "since": fmt_ns(window.since_ns),
        "until": fmt_ns(window.until_ns),
        "rows": window.rows,
        "rows_read": window.rows_read,
    }
