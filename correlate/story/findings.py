"""Stage 4c, findings: what a support engineer should look at first.

Reads the matched protocol records (:mod:`correlate.cluster.protocol`), the alignment and the
parse counts, and returns :class:`Finding` objects, most severe first. Each finding has a
``kind`` (one of :data:`KINDS`), a ``severity`` (``error``, ``warning``, ``info``), the
node it concerns (or none for the cluster), a time on the reference clock, a one-line
message and the log lines behind it (:class:`~correlate.events.extract.Ref`).

Only the protocol records are looped over in Python; the lost-line scan is a polars
filter over the merged timeline (``lost_before`` and ``missing log counter`` rows).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from correlate.cluster.align import Alignment
from correlate.cluster.evidence import LateStamp
from correlate.events.catalog_bsr import SPLIT_BRAIN_RESULTS
from correlate.events.codes import rv_msg
from correlate.i18n import N_, UNKNOWN_NODE, UNNAMED_PEER, Join, Msg
from correlate.model import Cluster, Ref
from correlate.read.bsr import NodeRead
from correlate.times import fmt_clock
from correlate.vocab import Outcome, ResyncOutcome

SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class FindingKind:
    """One kind of finding, defined once: its name (the ``kind`` of summary.json), its
    severity, what it means (the report's legend), when bsrcorr states it (README's
    table, generated from here by :func:`readme_table`) and what a summary of repeated
    ones counts (``17 bursts``)."""

    name: str
    severity: str  # error, warning, info
    means: str
    when: str  # Markdown, English: README's table
    noun: str = N_("times")
    severity_note: str = ""  # README: when the severity differs from the default


KINDS: dict[str, FindingKind] = {
    k.name: k
    for k in (
        FindingKind("split_brain", "error",
            N_("the nodes' data diverged: both were Primary or wrote without each other"),
            "a split-brain line (saying whether the after-sb policy resolved it and whose "
            "changes were discarded, or that none was chosen and the connection dropped), or "
            "`uuid_compare(±100)`",
            N_("split-brain reports")),
        FindingKind("uuid_not_mirrored", "error",
            N_("two nodes decided differently about the same UUID handshake"),
            "the two nodes' results of one UUID handshake disagree (2 with 0, ...)",
            N_("UUID handshakes not mirrored")),
        FindingKind("inconsistent_evidence", "error",
            N_("causal pairs that no clock offset can satisfy"),
            "a causal pair no offset satisfies, or a receive still before its send",
            N_("contradicting pairs")),
        FindingKind("twopc_timed_out", "error",
            N_("a cluster-wide state change timed out waiting for replies"),
            "a 2PC whose initiator timed out waiting for replies (`rv = -23`, SS_TIMEOUT, or "
            "BSR's `twopc timeout occurred`), or a participant's own timeout",
            N_("2PCs timed out")),
        FindingKind("twopc_rejected", "error",
            N_("a node rejected a cluster-wide state change"),
            "a node rejected a 2PC (concurrent state change)",
            N_("2PCs rejected")),
        FindingKind("twopc_not_committed_remotely", "error",
            N_("the initiator committed, a participant never logged it"),
            "the initiator committed, a participant never logged the commit",
            N_("2PCs not committed remotely")),
        FindingKind("resync_broken", "error",
            N_("a resync was cut short (disconnect, detach or failure)"),
            "a resync ended by a disconnect or failure, not `Resync done`",
            N_("resyncs broken")),
        FindingKind("twopc_aborted", "warning",
            N_("a cluster-wide state change was aborted"),
            "a 2PC aborted (with its `rv` decoded)",
            N_("2PCs aborted")),
        FindingKind("twopc_incomplete", "warning",
            N_("a cluster-wide state change with neither commit nor abort"),
            "a 2PC with neither commit nor abort on any node",
            N_("2PCs without commit or abort")),
        FindingKind("netlink_unterminated", "warning",
            N_("a bsradm/bsrsetup command was received and never terminated"),
            "a command received and never terminated",
            N_("commands never terminated"),
            "warning (info when the log ends within 1 s)"),
        FindingKind("no_sync_with_bits", "warning",
            N_("a handshake decided no resync while a bitmap still marks blocks out of "
               "sync"),
            "a UUID handshake decided no resync (`uuid_compare` 0, `no-sync`) while its "
            "`self` or `peer` line reports `bits:N` above 0: N x 4 KiB marked out of sync "
            "that this handshake does not resync",
            N_("handshakes")),
        FindingKind("resync_unfinished", "warning",
            N_("a resync was still running when the log ends"),
            "a resync still running when the log ends",
            N_("resyncs unfinished")),
        FindingKind("connection_flapping", "warning",
            N_("many connects in a short window"),
            "3 or more connects to one peer within 5 minutes",
            N_("bursts")),
        FindingKind("lost_lines", "warning",
            N_("log lines are missing (counter gaps or 'missing log counter')"),
            "counter gaps and `missing log counter : N`"),
        FindingKind("config_mismatch", "warning",
            N_("the logs and the bundle's config disagree about who a node is"),
            "a node id or peer the driver logged for a resource differs from the resource "
            "config of the node's support bundle (`.res`, `dump`)"),
        FindingKind("status_differs", "info",
            N_("the bundle's status snapshot and the log's end state disagree"),
            "a role, disk, connection, replication or peer-disk state in the support bundle's "
            "status snapshot (`status.txt`, `drbdsetup_status_-vs_all`, `drbd-status`) differs "
            "from the last one the node's log gives: the log missed a change"),
        FindingKind("driver_reload", "warning",
            N_("the driver was loaded again inside the capture (reboot or reload)"),
            "a second driver load inside the capture",
            N_("driver loads")),
        FindingKind("clock_step", "warning",
            N_("a node's clock jumped inside the capture"),
            "a node's clock jumped (size and the lines around it)",
            N_("clock steps")),
        FindingKind("large_offset", "warning",
            N_("a node's clock is far from the reference clock"),
            "the offset's bounds themselves put a node's clock 5 s or more from the reference "
            "(no time zone explains it; a one-sided bound only on its own side)"),
        FindingKind("state_change_failed", "warning",
            N_("the driver refused a state change: what was tried and why (nothing of it "
               "was applied)"),
            "the driver refused a state change (`State change failed: <reason>`, `rv` "
            "decoded) and the `Failed: ...` lines of what was tried; nothing of it is applied",
            N_("state changes refused")),
        FindingKind("late_stamp", "warning",
            N_("a line's stamp is later than its own node's durations or line order allow: "
               "it was written out late, and is not used to align the clocks"),
            "a line stamped later than its own node allows (a 2PC's `(N ms)`, or its next "
            "line): named, and its pairs not used as evidence",
            N_("late stamps")),
        FindingKind("unaligned", "warning",
            N_("a node could not be put on the reference clock"),
            "no evidence links a node to the reference"),
        FindingKind("timezone", "info",
            N_("a node's clock is hours off: a time-zone difference"),
            "the clocks differ by whole quarter hours"),
    )
}  # fmt: skip


def readme_table() -> str:
    """README's table of finding kinds, made from :data:`KINDS` (a test holds README to
    it: ``python -m correlate.story.findings`` prints it)."""
    rows = ["| kind | severity | when |", "|---|---|---|"]
    for k in KINDS.values():
        rows.append(f"| `{k.name}` | {k.severity_note or k.severity} | {k.when} |")
    return "\n".join(rows) + "\n"


# Connects on one node within this window, at least FLAP_COUNT of them, are flapping.
FLAP_WINDOW_NS = 300 * 10**9
FLAP_COUNT = 3
# An offset this large (without a time-zone explanation) deserves a word.
LARGE_OFFSET_S = 5.0
# A command still open this long before the end of its node's log is stuck, not just late.
OPEN_COMMAND_GRACE_NS = 10**9
LINES_LISTED = 20  # per finding; the message gives the full count


@dataclass(eq=False)
class Finding:
    severity: str
    kind: str
    node: str | None
    time_ns: int | None
    msg: Msg  # shown in the reader's language; summary.json keeps the English
    lines: list[Ref] = field(default_factory=list)
    resource: str | None = None  # None: the node's or the cluster's
    # A summary of repeated findings: each one's time and message, in time order
    # (empty for a single finding); ``time_ns`` is the first, ``last_ns`` the last.
    occurrences: list[tuple[int | None, Msg]] = field(default_factory=list)
    last_ns: int | None = None

    @classmethod
    def of(
        cls,
        kind: str,
        node: str | None,
        time_ns: int | None,
        msg: Msg,
        lines: list[Ref] | None = None,
        resource: str | None = None,
        severity: str | None = None,
    ) -> Finding:
        """A finding of a registered kind, at the kind's severity unless told."""
        return cls(severity or KINDS[kind].severity, kind, node, time_ns, msg, lines or [],
                   resource)  # fmt: skip

    @property
    def message(self) -> str:
        """The message in English (as summary.json writes it)."""
        return str(self.msg)

    @property
    def count(self) -> int:
        return max(1, len(self.occurrences))


def find(
    nodes: list[NodeRead],
    cluster: Cluster,
    alignment: Alignment,
    timeline: pl.DataFrame,
    late: Sequence[LateStamp] = (),
    extra: Sequence[Finding] = (),
) -> list[Finding]:
    """Every finding; ``extra``: those an earlier stage found (the config check)."""
    at = alignment.clock.at
    out: list[Finding] = list(extra)
    out += _late(late, at)
    out += _failed_changes(cluster, at)
    out += _twopc(cluster, at)
    out += _uuid(cluster, at)
    out += _no_sync_with_bits(cluster, at)
    out += _split_brain(cluster, at)
    out += _netlink(cluster, nodes, at)
    out += _resyncs(cluster, at)
    out += _flapping(cluster, at)
    out += _lost_lines(nodes, timeline)
    out += _reloads(cluster, at)
    out += _clocks(alignment, at, {n.name for n in nodes if n.uptime_only})
    out = summarise(out)
    # Most severe first, then in time order; node and message make the order total.
    out.sort(
        key=lambda f: (
            SEVERITY_RANK[f.severity],
            f.time_ns if f.time_ns is not None else 2**63,
            f.node or "",
            f.resource or "",
            f.kind,
            f.message,
        )
    )
    return out


def summarise(found: list[Finding]) -> list[Finding]:
    """Repeated findings of one kind on the same nodes and resource become one, with a
    count, the first and last time, every occurrence's message and every line: a
    capture of a flapping link is one finding, not hundreds."""
    groups: dict[tuple, list[Finding]] = {}
    for f in found:
        groups.setdefault((f.severity, f.kind, f.node, f.resource), []).append(f)
    out = []
    for (severity, kind, node, resource), members in groups.items():
        if len(members) == 1:
            out.append(members[0])
            continue
        members.sort(key=lambda f: (f.time_ns is None, f.time_ns or 0, f.message))
        times = [f.time_ns for f in members if f.time_ns is not None]
        first, last = (min(times), max(times)) if times else (None, None)
        where = ", ".join(x for x in (resource, node) if x)
        noun = Msg(KINDS[kind].noun)
        params = dict(
            kind=kind, where=f" ({where})" if where else "", count=len(members), noun=noun,
            first=members[0].msg,
        )  # fmt: skip
        if first is not None and last is not None:
            message = Msg(
                "{kind}{where}: {count} {noun} between {start} and {end}; first: {first}",
                start=fmt_clock(first),
                end=fmt_clock(last),
                **params,
            )
        else:
            message = Msg("{kind}{where}: {count} {noun}; first: {first}", **params)
        lines = [r for f in members for r in f.lines]
        summary = Finding(severity, kind, node, first, message, lines, resource)
        summary.occurrences = [(f.time_ns, f.msg) for f in members]
        summary.last_ns = last
        out.append(summary)
    return out


def _late(late: Sequence[LateStamp], at) -> list[Finding]:
    out = []
    for x in late:
        where = dict(
            node=x.ref.node,
            file=x.ref.file,
            line=x.ref.line,
            stamp=fmt_clock(x.ref.local_ns),
            by=x.because.line,
        )
        if x.kind == "duration":
            msg = Msg(
                "{node}: {file} line {line} is stamped {stamp}, but line {by} ({ms} ms "
                "after it, by its own count) puts it at {latest} at the latest: written "
                "out late, not used as evidence",
                ms=x.ms,
                latest=fmt_clock(x.latest_ns),
                **where,
            )
        else:
            msg = Msg(
                "{node}: {file} line {line} is stamped {stamp}, after its next line {by} "
                "({next}): written out late, not used as evidence",
                next=fmt_clock(x.because.local_ns),
                **where,
            )
        # Placed at its node's other line: its own stamp is the one in doubt.
        out.append(Finding.of("late_stamp", x.ref.node, at(x.because), msg, [x.ref, x.because]))
    return out


def _failed_changes(cluster: Cluster, at) -> list[Finding]:
    """Each refused state change: what was tried and why it was refused, as the driver
    said. Nothing of it was applied."""
    out = []
    for n in cluster.nodes:
        for fc in n.failed_changes:
            tried = ", ".join(f"{c.what}( {c.old} -> {c.new} )" for c in fc.tried)
            why = fc.reason or Msg("no reason logged")
            rv = Msg(" ({rv})", rv=rv_msg(fc.rv, n.identity.product)) if fc.rv is not None else ""
            msg = (
                Msg(
                    "{res}{node}: state change failed: {why}{rv}; it tried {tried}",
                    res=_res(fc.resource),
                    node=n.name,
                    why=why,
                    rv=rv,
                    tried=tried,
                )
                if tried
                else Msg(
                    "{res}{node}: state change failed: {why}{rv}",
                    res=_res(fc.resource),
                    node=n.name,
                    why=why,
                    rv=rv,
                )
            )
            out.append(
                Finding.of(
                    "state_change_failed",
                    n.name,
                    at(fc.ref),
                    msg,
                    fc.refs(),
                    fc.resource,
                )
            )
    return out


def _product(cluster: Cluster, node: str | None) -> str | None:
    """BSR, DRBD or WinDRBD: whose codes a node's lines use (None: not a given log)."""
    found = cluster.by_name.get(node) if node else None
    return found.identity.product if found is not None else None


def _first(at, refs: list[Ref]) -> int | None:
    times = [t for t in (at(r) for r in refs) if t is not None]
    return min(times) if times else None


def _res(resource: str | None) -> str:
    return f"{resource}: " if resource else ""


def _twopc(cluster: Cluster, at) -> list[Finding]:
    out = []
    present = {n.name for n in cluster.nodes}
    for r in cluster.twopc:
        refs = r.refs()
        when = _first(at, refs)
        who = r.initiator or Msg(UNKNOWN_NODE)
        what = ", ".join(f"{k} {v}" for k, v in r.changes.items()) or Msg("a state change")
        node = r.initiator if r.initiator in present else (refs[0].node if refs else None)
        res = _res(r.resource)
        # Problems other findings do not already say (rejections and silent commits do).
        extra = [p for p in r.problems if "rejected" not in p and "commit" not in p]
        why = Msg(": {problems}", problems=Join("; ", extra)) if extra else ""
        base = dict(res=res, tid=r.tid, who=who, what=what)

        def add(kind, message, node=node, when=when, lines=refs, res=r.resource):
            out.append(Finding.of(kind, node, when, message, lines, res))

        product = _product(cluster, r.initiator)
        if r.outcome == Outcome.TIMED_OUT:
            rv = Msg(" ({rv})", rv=rv_msg(r.abort_rv, product)) if r.abort_rv is not None else ""
            add(
                "twopc_timed_out",
                Msg(
                    "{res}2PC {tid} from {who} ({what}) timed out{rv}{why}", rv=rv, why=why, **base
                ),
            )
        elif r.outcome == Outcome.ABORTED:
            rv = Msg(" ({rv})", rv=rv_msg(r.abort_rv, product)) if r.abort_rv is not None else ""
            add(
                "twopc_aborted",
                Msg(
                    "{res}2PC {tid} from {who} ({what}) was aborted{rv}{why}",
                    rv=rv,
                    why=why,
                    **base,
                ),
            )
        elif r.outcome == Outcome.INCOMPLETE:
            add(
                "twopc_incomplete",
                Msg("{res}2PC {tid} from {who} ({what}): neither commit nor abort logged", **base),
            )
        for s in r.sides:
            if s.rejected is not None:
                add(
                    "twopc_rejected",
                    Msg("{res}{node} rejected 2PC {tid} from {who}", node=s.node, **base),
                    node=s.node,
                    when=at(s.rejected),
                    lines=[s.rejected],
                )
        if r.outcome == Outcome.COMMITTED:
            silent = [
                s.node
                for s in r.sides
                if s.role == "participant" and s.commit is None and s.rejected is None
            ]
            # A target node whose log is here but which never logged the tid at all.
            if (
                r.target in present
                and r.target != r.initiator
                and r.initiator in present
                and not any(s.node == r.target for s in r.sides)
            ):
                silent.append(r.target)
            for name in sorted(set(silent)):
                add(
                    "twopc_not_committed_remotely",
                    Msg(
                        "{res}2PC {tid} committed by {who} but {node} never logged the commit",
                        node=name,
                        **base,
                    ),
                    node=name,
                )
    return out


def _uuid(cluster: Cluster, at) -> list[Finding]:
    out = []
    for p in cluster.decision_pairs:
        if p.mirrored:
            continue
        refs = [r for d in (p.a, p.b) for r in (d.start, d.rule_ref, d.compare) if r]
        out.append(
            Finding.of(
                "uuid_not_mirrored",
                None,
                _first(at, refs),
                Msg(
                    "{res}UUID decisions do not mirror: {a} {a_result}, {b} {b_result}",
                    res=_res(p.resource),
                    a=p.a.node,
                    a_result=p.a.short,
                    b=p.b.node,
                    b_result=p.b.short,
                ),
                refs,
                p.resource,
            )
        )
    return out


def _no_sync_with_bits(cluster: Cluster, at) -> list[Finding]:
    """A UUID handshake that decided no resync although a side's bitmap, as the handshake
    itself reports it (``self``/``peer ... bits:N``), marks blocks out of sync: DRBD's
    verdict (the same data) and the bitmap disagree, and this handshake resyncs none of
    them. The
    numbers are the logged ones; which side is right the lines do not say. DRBD's own
    handshake code says the same of its local bitmap (``No resync, but N bits in
    bitmap!``, drbd_sync_handshake); the handshake lines carry both sides' counts."""
    out = []
    for ev in cluster.nodes:
        for d in ev.decisions:
            if d.result != 0:
                continue
            mine = d.self_uuids.get("bits") or 0
            theirs = d.peer_uuids.get("bits") or 0
            if mine <= 0 and theirs <= 0:
                continue
            refs = [r for r in (d.start, d.rule_ref, d.compare) if r]
            peer = cluster.name_of(d.resource, d.peer, d.peer_host) or UNNAMED_PEER
            msg = Msg(
                "{res}{node}: {result} with {peer}, yet the bitmaps mark {mine} bit(s) here "
                "and {theirs} on the peer ({kib} KiB) out of sync: this handshake resyncs "
                "none of them",
                res=_res(d.resource),
                node=ev.name,
                result=d.label,
                peer=peer,
                mine=f"{mine:,}",
                theirs=f"{theirs:,}",
                kib=f"{4 * max(mine, theirs):,}",
            )
            out.append(
                Finding.of("no_sync_with_bits", ev.name, _first(at, refs), msg, refs, d.resource)
            )
    return out


def _split_brain(cluster: Cluster, at) -> list[Finding]:
    out = []
    for ev in cluster.nodes:
        for sb in ev.split_brains:
            peer = cluster.name_of(sb.resource, sb.peer, sb.peer_host) or Msg(UNNAMED_PEER)
            base = dict(res=_res(sb.resource), node=ev.name, peer=peer)
            if sb.resolved:
                gone = sb.discarded(cluster.name_of(sb.resource, sb.peer, sb.peer_host))
                msg = Msg(
                    "{res}{node}: split brain with {peer}, resolved by the after-sb policy: "
                    "{discarded}'s changes were discarded (sync from {sync_from})",
                    discarded=gone or Msg(UNNAMED_PEER),
                    sync_from=sb.sync_from,
                    **base,
                )
            elif sb.resolved is False:
                msg = Msg(
                    "{res}{node}: split brain with {peer}, not resolved: no node's changes "
                    "were chosen, the connection was dropped",
                    **base,
                )
            else:
                msg = Msg("{res}{node}: split brain: {line}", line=sb.ref.message[:160], **base)
            out.append(Finding.of("split_brain", ev.name, at(sb.ref), msg, [sb.ref], sb.resource))
        for d in ev.decisions:
            if d.result in SPLIT_BRAIN_RESULTS:
                refs = [r for r in (d.start, d.rule_ref, d.compare) if r]
                out.append(
                    Finding.of(
                        "split_brain",
                        ev.name,
                        _first(at, refs),
                        Msg(
                            "{res}{node}: {result}: split brain detected in the UUID handshake",
                            res=_res(d.resource),
                            node=ev.name,
                            result=d.label,
                        ),
                        refs,
                        d.resource,
                    )
                )
    return out


def _netlink(cluster: Cluster, nodes: list[NodeRead], at) -> list[Finding]:
    out = []
    ends = {n.name: n.last_time for n in nodes}
    for ev in cluster.nodes:
        for c in ev.netlink:
            if c.done is not None:
                continue
            end = ends.get(ev.name)
            start = c.received.local_ns
            if end is not None and start is not None and end - start < OPEN_COMMAND_GRACE_NS:
                severity, tail = "info", Msg(" (the log ends right after it)")
            else:
                severity = "warning"
                tail = (
                    Msg(" ({seconds} s before the log ends)", seconds=f"{(end - start) / 1e9:.1f}")
                    if end is not None and start is not None
                    else ""
                )
            res = c.resources[0] if len(c.resources) == 1 else None
            out.append(
                Finding.of(
                    "netlink_unterminated",
                    ev.name,
                    at(c.received),
                    Msg(
                        "{res}{node}: {command} received, never terminated{tail}",
                        res=_res(", ".join(c.resources)),
                        node=ev.name,
                        command=f"BSR_ADM_{c.command}:{c.number}",
                        tail=tail,
                    ),
                    [c.received],
                    res,
                    severity=severity,
                )
            )
    return out


def _resyncs(cluster: Cluster, at) -> list[Finding]:
    out = []
    for r in cluster.resyncs:
        refs = r.refs()
        what = dict(
            res=_res(r.resource),
            kind=r.kind,
            source=r.source or Msg(UNNAMED_PEER),
            target=r.target or Msg(UNNAMED_PEER),
            size=f" ({r.kb} KB)" if r.kb is not None else "",
        )
        if r.outcome == ResyncOutcome.RUNNING:
            out.append(
                Finding.of(
                    "resync_unfinished",
                    r.source or r.target,
                    _first(at, refs),
                    Msg(
                        "{res}{kind} {source} -> {target}{size} started and was still running "
                        "when the log ends",
                        **what,
                    ),
                    refs,
                    r.resource,
                )
            )
        elif r.outcome == ResyncOutcome.BROKEN:
            reason = next((s.end_reason for s in r.sides if s.end_reason), None)
            out.append(
                Finding.of(
                    "resync_broken",
                    r.source or r.target,
                    _first(at, refs),
                    Msg(
                        "{res}{kind} {source} -> {target}{size} was broken: {reason}",
                        reason=reason,
                        **what,
                    )
                    if reason
                    else Msg("{res}{kind} {source} -> {target}{size} was broken", **what),
                    refs,
                    r.resource,
                )
            )
    return out


def _flapping(cluster: Cluster, at) -> list[Finding]:
    out = []
    for ev in cluster.nodes:
        by_peer: dict[tuple, list[Ref]] = defaultdict(list)
        for h in ev.handshakes:
            by_peer[
                (h.resource or "", h.peer_id if h.peer_id is not None else -2, h.peer_host or "")
            ].append(h.ref)
        for (resource, peer, host), refs in sorted(by_peer.items()):
            times = sorted((t, r.row, r) for r in refs if (t := at(r)) is not None)
            name = cluster.name_of(
                resource or None, None if peer == -2 else peer, host or None
            ) or Msg(UNNAMED_PEER)
            i = 0
            while i < len(times):
                j = i
                while j + 1 < len(times) and times[j + 1][0] - times[i][0] <= FLAP_WINDOW_NS:
                    j += 1
                if j - i + 1 >= FLAP_COUNT:
                    span = (times[j][0] - times[i][0]) / 1e9
                    out.append(
                        Finding.of(
                            "connection_flapping",
                            ev.name,
                            times[i][0],
                            Msg(
                                "{res}{node}: {count} connects to {peer} within {seconds} s",
                                res=_res(resource),
                                node=ev.name,
                                count=j - i + 1,
                                peer=name,
                                seconds=f"{span:.0f}",
                            ),
                            [t[2] for t in times[i : j + 1]],
                            resource or None,
                        )
                    )
                    i = j + 1
                else:
                    i += 1
    return out


def _lost_lines(nodes: list[NodeRead], timeline: pl.DataFrame) -> list[Finding]:
    out = []
    marks = timeline.filter(
        (pl.col("lost_before") > 0)
        | pl.col("message").str.starts_with("missing log counter").fill_null(False)
    ).select("node", "file", "line", "seq", "row", "local_time", "time", "message")
    for n in nodes:
        if not n.lost:
            continue
        rows = marks.filter(pl.col("node") == n.name).head(LINES_LISTED)
        refs = [
            Ref(
                n.name,
                r["row"],
                r["file"],
                r["line"],
                r["seq"],
                _ns(r["local_time"]),
                r["message"] or "",
            )
            for r in rows.iter_rows(named=True)
        ]
        first = rows["time"].cast(pl.Int64).min() if rows.height else None
        parts = []
        if n.gap_lines:
            parts.append(Msg("{count} in counter gaps", count=n.gap_lines))
        if n.missing_reported:
            parts.append(Msg("{count} reported by 'missing log counter'", count=n.missing_reported))
        out.append(
            Finding.of(
                "lost_lines",
                n.name,
                first,
                Msg(
                    "{node}: {count} log line(s) lost ({how})",
                    node=n.name,
                    count=n.lost,
                    how=Join(", ", parts),
                ),
                refs,
            )
        )
    return out


def _ns(value) -> int | None:
    if value is None:
        return None
    return int(pl.Series([value]).cast(pl.Int64)[0])


def _reloads(cluster: Cluster, at) -> list[Finding]:
    out = []
    for ev in cluster.nodes:
        loads = [lm for lm in ev.landmarks if lm.kind == "driver_loaded"]
        # The first load is the capture's start; later ones are reboots or reloads.
        for lm in loads[1:]:
            version = lm.detail.get("version")
            out.append(
                Finding.of(
                    "driver_reload",
                    ev.name,
                    at(lm.ref),
                    Msg(
                        "{node}: driver loaded again (version {version}): a reboot or reload "
                        "inside the capture",
                        node=ev.name,
                        version=version,
                    )
                    if version
                    else Msg(
                        "{node}: driver loaded again: a reboot or reload inside the capture",
                        node=ev.name,
                    ),
                    [lm.ref],
                )
            )
    return out


def _proves_large(seg) -> bool:
    """The bounds themselves put the offset beyond LARGE_OFFSET_S (a one-sided bound
    only on its own side; a manual offset is the user's word)."""
    if seg.basis == "manual":
        return abs(seg.offset_s or 0) >= LARGE_OFFSET_S
    lo, hi = seg.lower_s, seg.upper_s
    return (lo is not None and lo >= LARGE_OFFSET_S) or (hi is not None and hi <= -LARGE_OFFSET_S)


def _clocks(alignment: Alignment, at, uptime_only: set[str]) -> list[Finding]:
    out = []
    for name, na in alignment.nodes.items():
        if na.reference:
            continue
        if not na.aligned and not na.manual:
            out.append(
                Finding.of(
                    "unaligned",
                    name,
                    None,
                    Msg(
                        "{node}: no protocol evidence links it to {reference}; its times are "
                        "its own clock, not aligned",
                        node=name,
                        reference=alignment.reference,
                    ),
                )
            )
        main = na.main
        if na.timezone:
            out.append(
                Finding.of(
                    "timezone",
                    name,
                    None,
                    Msg(
                        "{node}: clock {zone} from {reference}'s (likely a time-zone "
                        "difference); residual offset {residual} s",
                        node=name,
                        zone=na.timezone,
                        reference=alignment.reference,
                        residual=f"{na.residual_s or 0:+.6f}",
                    ),
                )
            )
        elif main is not None and _proves_large(main):
            out.append(
                Finding.of(
                    "large_offset",
                    name,
                    None,
                    Msg(
                        "{node}: clock {offset} s from {reference}'s (its lines carry uptime "
                        "stamps only, no wall clock: the offset places its boot on the "
                        "reference clock)",
                        node=name,
                        offset=f"{main.offset_s:+.3f}",
                        reference=alignment.reference,
                    )
                    if name in uptime_only
                    else Msg(
                        "{node}: clock {offset} s from {reference}'s",
                        node=name,
                        offset=f"{main.offset_s:+.3f}",
                        reference=alignment.reference,
                    ),
                )
            )
        for st in na.steps:
            out.append(
                Finding.of(
                    "clock_step",
                    name,
                    at(st.after),
                    Msg(
                        "{node}: clock stepped by {size} s between line {before} and line "
                        "{after} of {file}",
                        node=name,
                        size=f"{st.size_s:+.6f}",
                        before=st.before.line,
                        after=st.after.line,
                        file=st.after.file,
                    ),
                    [st.before, st.after],
                )
            )
    for c in alignment.conflicts:
        refs = [c.pair.send, c.pair.recv]
        for p in c.against[:LINES_LISTED]:
            refs += [p.send, p.recv]
        out.append(
            Finding.of(
                "inconsistent_evidence",
                c.node,
                _first(at, refs[:2]),
                Msg(
                    "{node}: {pair}{tid} contradicts {count} other pair(s): {reason}",
                    node=c.node,
                    pair=c.pair.kind,
                    tid=f" (tid {c.pair.tid})" if c.pair.tid is not None else "",
                    count=len(c.against),
                    reason=c.reason,
                ),
                refs,
            )
        )
    # Violations the conflicts above do not already explain.
    explained = {c.pair for c in alignment.conflicts}
    left = [p for p in alignment.violating if p not in explained]
    if left:
        refs = [r for p in left[:LINES_LISTED] for r in (p.send, p.recv)]
        out.append(
            Finding.of(
                "inconsistent_evidence",
                None,
                _first(at, refs),
                Msg("{count} receive(s) still precede their send after alignment", count=len(left)),
                refs,
            )
        )
    return out


if __name__ == "__main__":  # python -m correlate.story.findings: README's table of finding kinds
    print(readme_table(), end="")
