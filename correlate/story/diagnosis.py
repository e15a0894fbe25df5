"""Stage 4g, diagnosis: the incident's story, most important first, one entry per incident.

Reads what the earlier story stages made (the findings, each node's end state, the
episodes and their conformance) and the matched records behind them, and returns
:class:`Diagnosis` entries: a kind (one of :data:`KINDS`), the resource, the nodes, the
time, a sentence, the lines that prove it, and the earlier entries it follows from
(``because``: a ``no_uptodate_data`` because of a split brain of the same resource; a
2PC timeout because a node was stuck in another 2PC). Where a finding already groups an
incident (a state change refused again and again, a resync cut short), the entry is made
from that finding and its lines; the rest come from the records the findings do not
group (a 2PC that blocked others, a connection that never came up, the end state).

Every entry holds within one resource: nothing of one resource is ever the cause or the
evidence of another's. Never stated on time proximity: a cause is tied by a 2PC id, a
resource, a connection. Loops run over records and findings (a few hundred), no frame.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from correlate.events.builders import REPL_STATES, peer_key
from correlate.events.catalog_bsr import SPLIT_BRAIN_RESULTS
from correlate.events.codes import rv_msg, rv_name
from correlate.i18n import N_, UNNAMED_PEER, Msg
from correlate.model import Clock, Cluster, Ref
from correlate.story.conformance import Deviation
from correlate.story.end_state import DATA_DISK, NodeState
from correlate.story.episodes import Episode
from correlate.story.findings import SEVERITY_RANK, Finding
from correlate.vocab import Outcome, ResyncOutcome


@dataclass(frozen=True)
class DiagnosisKind:
    """One kind of diagnosis entry, defined once: its name (summary.json's ``kind``), its
    severity, what it means (the report's legend), when bsrcorr states it and the fields
    of its own it adds (README's table, generated here by :func:`readme_table`)."""

    name: str
    severity: str
    means: str
    when: str  # Markdown, English: README's table
    fields: tuple[str, ...] = ()


KINDS: dict[str, DiagnosisKind] = {
    k.name: k
    for k in (
        DiagnosisKind("no_uptodate_data", "error",
            N_("no node holds UpToDate data of a volume"),
            "every node of the resource has a last word on a volume's disk (its own "
            "`disk( )`, or a peer's `pdsk( )` about it) and none of them is `UpToDate`; "
            "one node without a word and nothing is stated",
            ("volume", "minor", "disks")),
        DiagnosisKind("split_brain", "error",
            N_("the nodes' data diverged (split brain)"),
            "a split-brain line or `uuid_compare(±100)` between two nodes of a resource "
            "(one entry per pair): whether the after-sb policy resolved it and whose "
            "changes were thrown away",
            ("resolved", "discarded")),
        DiagnosisKind("unrelated_data", "error",
            N_("two nodes' data share no generation: they will not connect"),
            "`uuid_compare(-1000)` or `Unrelated data, aborting!`",
            ()),
        DiagnosisKind("twopc_blocked", "error",
            N_("a 2PC a node was stuck in made it reject the others"),
            "a node rejected other 2PCs `because of state change N`: one entry per N, with "
            "every rejected id",
            ("blocking_tid", "rejected_tids")),
        DiagnosisKind("twopc_timeout", "error",
            N_("cluster-wide state changes timed out waiting for the peers' replies"),
            "a 2PC timed out (`rv = -23`, SS_TIMEOUT, or the timeout line); one entry per "
            "initiator and resource, the first id in `tid`, all of them in `tids`",
            ("tid", "tids", "rv", "rv_name")),
        DiagnosisKind("state_change_failed", "warning",
            N_("the driver refused a state change"),
            "the `state_change_failed` finding (one entry per node and resource), its "
            "reason as the driver wrote it",
            ("reason", "rv", "count")),
        DiagnosisKind("detached", "warning",
            N_("a disk went away (Detaching, Diskless or Failed)"),
            "a node's `disk( )` left a state with data for `Detaching`, `Diskless` or "
            "`Failed`, or a peer's `pdsk( )` says so: one entry per node and volume, with "
            "the cause logged (a command, an I/O error, a peer's 2PC) or null; info, not "
            "a warning, when the node's own command (detach, down) took it away",
            ("volume", "disk", "cause")),
        DiagnosisKind("io_suspended", "warning",
            N_("a resource's I/O was suspended and no line resumes it"),
            "a node's last `susp-io( )` (or `susp-nod( )`, `susp-fen( )`, `susp-quorum( )`) "
            "change of a "
            "resource leaves it suspended (`no-disk`, `quorum`, `user`, ...): applications "
            "writing to it wait; one entry per node and resource, with the reason as logged",
            ("reason",)),
        DiagnosisKind("never_connected", "warning",
            N_("a connection never reached Connected in the capture"),
            "a node logged a connection's states and none of them is `Connected` (nor a "
            "replication state, nor a committed connect 2PC)",
            ("peer", "states")),
        DiagnosisKind("resync_unfinished", "warning",
            N_("a resync did not finish"),
            "the `resync_unfinished` or `resync_broken` finding: still running when the log "
            "ends, or cut short",
            ("outcome", "source", "target", "volume", "count")),
        DiagnosisKind("sequence_deviation", "warning",
            N_("an episode's steps differ from the protocol's normal sequence"),
            "an episode's conformance check names a missing or out-of-order step (not the "
            "resync's end, nor Connected: `resync_unfinished` and `never_connected` say those)",
            ("episode", "steps")),
    )
}  # fmt: skip

# Within a severity, causes before what they cause (then time).
KIND_RANK = {k: i for i, k in enumerate(KINDS)}


def readme_table() -> str:
    """README's table of diagnosis kinds, made from :data:`KINDS` (a test holds README to
    it: ``python -m correlate.story.diagnosis`` prints it)."""
    rows = ["| kind | severity | when | fields |", "|---|---|---|---|"]
    for k in KINDS.values():
        fields = ", ".join(f"`{f}`" for f in k.fields) or "-"
        rows.append(f"| `{k.name}` | {k.severity} | {k.when} | {fields} |")
    return "\n".join(rows) + "\n"


@dataclass(eq=False)
class Diagnosis:
    kind: str
    resource: str | None
    nodes: list[str]
    time_ns: int | None
    msg: Msg
    evidence: list[Ref] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    because: list[int] = field(default_factory=list)  # indexes of earlier entries
    episode: int | None = None  # the episode whose diagram shows it
    causes: list[Diagnosis] = field(default_factory=list)
    # Where one entry is milder than its kind (a disk taken away by its own command).
    level: str | None = None

    @property
    def severity(self) -> str:
        return self.level or KINDS[self.kind].severity

    @property
    def text(self) -> str:
        return str(self.msg)


EVIDENCE_LISTED = 20


def diagnose(
    cluster: Cluster,
    clock: Clock,
    episodes: list[Episode],
    findings: list[Finding],
    states: list[NodeState],
    deviations: dict[int, list[Deviation]],
) -> list[Diagnosis]:
    """The diagnosis: every entry, causes before what they cause, ``because`` filled."""
    at = clock.at
    out: list[Diagnosis] = []
    out += _split_brains(cluster, at)
    out += _unrelated(cluster, at)
    blocked = _blocked(cluster, at)
    out += blocked
    out += _timeouts(cluster, at, blocked)
    out += _failed(cluster, findings)
    out += _detached(cluster, at)
    out += _suspended(cluster, at)
    out += _never_connected(cluster, at)
    out += _resyncs(cluster, findings)
    out += _deviations(episodes, deviations, at)
    for d in out:
        if d.kind == "never_connected":
            # a split brain or unrelated data of the pair, or the pair's connect 2PCs
            # timing out, is why it never came up
            d.causes = [
                x for x in out
                if x.resource == d.resource and set(d.nodes) <= set(x.nodes)
                and x.kind in ("split_brain", "unrelated_data", "twopc_timeout", "twopc_blocked")
            ]  # fmt: skip
    out += _no_uptodate(states, at, out)
    for d in out:
        d.evidence = _unique(d.evidence)[:EVIDENCE_LISTED]
    _place(out, episodes, at)
    return ordered(out)


def _unique(refs: list[Ref]) -> list[Ref]:
    seen: list[Ref] = []
    for r in refs:
        if r is not None and r not in seen:
            seen.append(r)
    return seen


def _first(at, refs) -> int | None:
    times = [t for t in map(at, refs) if t is not None]
    return min(times) if times else None


def _res(resource: str | None) -> str:
    return f"{resource}: " if resource else ""


def ordered(entries: list[Diagnosis]) -> list[Diagnosis]:
    """Most severe first, then causes before effects, then in time order; each entry
    after the entries it follows from, whose indexes ``because`` holds."""
    key = {
        id(d): (SEVERITY_RANK[d.severity], KIND_RANK[d.kind], d.time_ns is None,
                d.time_ns or 0, d.resource or "", d.nodes, d.text)
        for d in entries
    }  # fmt: skip
    pending = sorted(entries, key=lambda d: key[id(d)])
    placed: list[Diagnosis] = []
    done: set[int] = set()

    def put(d: Diagnosis, stack: set[int]) -> None:
        if id(d) in done or id(d) in stack:
            return
        stack.add(id(d))
        for c in sorted(d.causes, key=lambda c: key.get(id(c), ())):
            if id(c) in key:
                put(c, stack)
        done.add(id(d))
        placed.append(d)

    for d in pending:
        put(d, set())
    index = {id(d): i for i, d in enumerate(placed)}
    for d in placed:
        d.because = sorted({index[id(c)] for c in d.causes if id(c) in index})
    return placed


def _place(entries: list[Diagnosis], episodes: list[Episode], at) -> None:
    """The episode each entry is seen in: the one holding its first line (else the one of
    its resource whose span holds its time)."""
    holder: dict[Ref, int] = {}
    for e in episodes:
        for r in e.refs:
            holder.setdefault(r, e.number)
    for d in entries:
        if d.episode is not None:
            continue
        d.episode = next((holder[r] for r in d.evidence if r in holder), None)
        if d.episode is None and d.time_ns is not None:
            d.episode = next(
                (e.number for e in episodes
                 if e.start_ns <= d.time_ns <= e.end_ns and e.covers(d.resource)
                 and e.kind != "driver start"),
                None,
            )  # fmt: skip


# -- kinds ------------------------------------------------------------------------------


def _split_brains(cluster: Cluster, at) -> list[Diagnosis]:
    groups: dict[tuple, list] = defaultdict(list)
    for ev in cluster.nodes:
        for sb in ev.split_brains:
            peer = cluster.name_of(sb.resource, sb.peer, sb.peer_host)
            groups[(sb.resource, frozenset(x for x in (ev.name, peer) if x))].append(
                ("report", sb, peer)
            )
        for d in ev.decisions:
            if d.result in SPLIT_BRAIN_RESULTS:
                peer = cluster.name_of(d.resource, d.peer, d.peer_host)
                groups[(d.resource, frozenset(x for x in (ev.name, peer) if x))].append(
                    ("uuid", d, peer)
                )
    out = []
    for (resource, pair), items in groups.items():
        reports = [sb for what, sb, _ in items if what == "report"]
        refs = [sb.ref for sb in reports]
        for what, d, _ in items:
            if what == "uuid":
                refs += [r for r in (d.start, d.rule_ref, d.compare) if r]
        resolved = None
        if any(sb.resolved for sb in reports):
            resolved = True
        elif any(sb.resolved is False for sb in reports):
            resolved = False
        discarded = next(
            (
                gone
                for sb in reports
                if sb.resolved
                and (gone := sb.discarded(cluster.name_of(sb.resource, sb.peer, sb.peer_host)))
            ),
            None,
        )
        nodes = sorted(pair)
        who = " - ".join(nodes)
        if resolved and discarded:
            msg = Msg("{res}split brain between {who}: resolved by the after-sb policy, "
                      "{discarded}'s changes were thrown away", res=_res(resource), who=who,
                      discarded=discarded)  # fmt: skip
        elif resolved is False:
            msg = Msg("{res}split brain between {who}: not resolved, the connection was "
                      "dropped; no node's changes were chosen",
                      res=_res(resource), who=who)  # fmt: skip
        else:
            msg = Msg("{res}split brain between {who}", res=_res(resource), who=who)
        out.append(Diagnosis("split_brain", resource, nodes, _first(at, refs), msg, refs,
                             {"resolved": resolved, "discarded": discarded}))  # fmt: skip
    return out


def _unrelated(cluster: Cluster, at) -> list[Diagnosis]:
    groups: dict[tuple, list[Ref]] = defaultdict(list)
    for ev in cluster.nodes:
        for d in ev.decisions:
            if d.result == -1000 or d.result_name == "unrelated-data":
                peer = cluster.name_of(d.resource, d.peer, d.peer_host)
                key = (d.resource, frozenset(x for x in (ev.name, peer) if x))
                groups[key] += [r for r in (d.start, d.rule_ref, d.compare) if r]
        if ev.events.height and "kind" in ev.events.columns:
            lines = ev.events.filter(ev.events["kind"] == "uuid_unrelated")
            for r in lines.iter_rows(named=True):
                ref = _event_ref(ev.name, r)
                res = r.get("resource")
                res = str(res) if res is not None else None
                # the decision of the same handshake, when there is one
                key = next((k for k in groups if k[0] == res and ev.name in k[1]), None)
                groups[key or (res, frozenset([ev.name]))].append(ref)
    out = []
    for (resource, pair), refs in groups.items():
        nodes = sorted(pair)
        out.append(Diagnosis("unrelated_data", resource, nodes, _first(at, refs),
                             Msg("{res}{who}: unrelated data (no shared data generation): "
                                 "the nodes will not connect", res=_res(resource),
                                 who=" - ".join(nodes)), refs))  # fmt: skip
    return out


def _event_ref(node: str, r: dict) -> Ref:
    local = r.get("local_ns")
    return Ref(node, int(r["row"]), str(r.get("file") or ""), int(r.get("line") or 0),
               r.get("seq"), int(local) if local is not None else None,
               str(r.get("message") or ""))  # fmt: skip


def _blocked(cluster: Cluster, at) -> list[Diagnosis]:
    groups: dict[tuple, list] = defaultdict(list)
    for ev in cluster.nodes:
        for sides in ev.twopc.values():
            for s in sides:
                if s.rejected is not None and s.rejected_for is not None:
                    groups[(s.resource, s.rejected_for)].append(s)
    out = []
    for (resource, blocking), sides in groups.items():
        rejected = sorted({s.tid for s in sides})
        rec = cluster.record(blocking, resource)
        nodes = sorted({s.node for s in sides})
        refs = [s.rejected for s in sides]
        if rec is not None:
            refs = [*rec.refs()[:4], *refs]
            if rec.initiator and rec.initiator not in nodes:
                nodes.append(rec.initiator)
        how = Msg(" ({outcome})", outcome=Msg(rec.outcome)) if rec is not None else ""
        out.append(Diagnosis("twopc_blocked", resource, nodes, _first(at, refs),
                             Msg("{res}2PC {blocking}{how} blocked others: {who} rejected "
                                 "{count} 2PC(s) ({tids}) because of it", res=_res(resource),
                                 blocking=blocking, how=how,
                                 who=", ".join(sorted({s.node for s in sides})),
                                 count=len(rejected), tids=", ".join(map(str, rejected))),
                             refs,
                             {"blocking_tid": blocking, "rejected_tids": rejected}))  # fmt: skip
    return out


def _timeouts(cluster: Cluster, at, blocked: list[Diagnosis]) -> list[Diagnosis]:
    groups: dict[tuple, list] = defaultdict(list)
    for rec in cluster.twopc:
        if rec.outcome == Outcome.TIMED_OUT:
            groups[(rec.resource, rec.initiator)].append(rec)
    out = []
    for (resource, initiator), recs in groups.items():
        recs.sort(key=lambda r: at(r.refs()[0]) if r.refs() and at(r.refs()[0]) else 0)
        first = recs[0]
        product = (
            cluster.by_name[initiator].identity.product if initiator in cluster.by_name else None
        )
        rv = next((r.abort_rv for r in recs if r.abort_rv is not None), None)
        refs = [x for r in recs for x in r.refs()]
        nodes = sorted({initiator or "", *(p for r in recs for p in r.participants)} - {""})
        why = (
            Msg(": {rv}", rv=rv_msg(rv, product))
            if rv is not None
            else Msg(": no peer replied in time (the timeout line)")
        )
        tids = [r.tid for r in recs]
        d = Diagnosis("twopc_timeout", resource, nodes, _first(at, refs),
                      Msg("{res}{count} 2PC(s) from {who} timed out{why} (first {tid})",
                          res=_res(resource), count=len(recs),
                          who=initiator or Msg(UNNAMED_PEER), why=why, tid=first.tid),
                      refs, {"tid": first.tid, "tids": tids, "rv": rv,
                             "rv_name": (rv_name(rv, product) or (None,))[0]})  # fmt: skip
        # Stuck behind another 2PC: a participant rejected one of these because of it.
        d.causes = [
            b for b in blocked
            if b.resource == resource and set(tids) & set(b.fields["rejected_tids"])
        ]  # fmt: skip
        out.append(d)
    return out


def _failed(cluster: Cluster, findings: list[Finding]) -> list[Diagnosis]:
    by_ref = {fc.ref: fc for ev in cluster.nodes for fc in ev.failed_changes}
    out = []
    for f in findings:
        if f.kind != "state_change_failed":
            continue
        fcs = _unique_fc([by_ref[r] for r in f.lines if r in by_ref])
        reasons = [fc.reason for fc in fcs if fc.reason]
        reason = max(set(reasons), key=reasons.count) if reasons else None
        rv = next((fc.rv for fc in fcs if fc.rv is not None), None)
        msg = f.occurrences[0][1] if f.occurrences else f.msg
        if f.count > 1:
            msg = Msg("{first} ({count} times)", first=msg, count=f.count)
        out.append(Diagnosis("state_change_failed", f.resource, [f.node] if f.node else [],
                             f.time_ns, msg, list(f.lines),
                             {"reason": reason, "rv": rv, "count": f.count}))  # fmt: skip
    return out


def _unique_fc(fcs: list) -> list:
    seen: list = []
    for fc in fcs:
        if all(fc is not x for x in seen):
            seen.append(fc)
    return seen


GONE = {"Detaching", "Diskless", "Failed"}


def _detached(cluster: Cluster, at) -> list[Diagnosis]:
    groups: dict[tuple, list] = {}
    for ev in cluster.nodes:
        commands = sorted(
            (c for c in ev.netlink if c.command in ("DETACH", "DOWN", "DEL_MINOR", "ADJUST")),
            key=lambda c: c.received.row,
        )
        rows = [c.received.row for c in commands]
        for ch in ev.state_changes:
            if ch.failed or ch.new not in GONE or ch.old not in DATA_DISK | GONE:
                continue
            vol = ch.volume if ch.volume is not None else ("minor", ch.minor)
            if ch.old in GONE:
                # Detaching -> Diskless: the end of a detach already begun, or nothing
                holder = (
                    ev.name
                    if ch.what == "disk"
                    else cluster.name_of(ch.resource, ch.peer, ch.peer_host)
                )
                if (ch.resource, holder, vol) in groups and ch.what in ("disk", "pdsk"):
                    groups[(ch.resource, holder, vol)].append((ev.name, ch, None))
                continue
            if ch.what == "disk":
                holder = ev.name
                k = bisect_right(rows, ch.ref.row) - 1
                cmd = commands[k] if k >= 0 else None
                if cmd is not None and cmd.done is not None and cmd.done.row < ch.ref.row:
                    cmd = None
            elif ch.what == "pdsk":
                holder = cluster.name_of(ch.resource, ch.peer, ch.peer_host)
                cmd = None
            else:
                continue
            if holder is None:
                continue
            groups.setdefault((ch.resource, holder, vol), []).append((ev.name, ch, cmd))
    out = []
    for (resource, holder, vol), items in groups.items():
        own = [x for x in items if x[0] == holder]
        first = (own or items)[0]
        _, ch, cmd = first
        cause: Any = None
        if cmd is not None:
            cause = Msg("the {command} command", command=cmd.command)
        elif ch.new == "Failed":
            cause = Msg("an I/O error (the disk failed)")
        elif ch.tid is not None:
            rec = cluster.record(ch.tid, resource)
            if rec is not None and rec.initiator:
                cause = Msg("2PC {tid} from {node}", tid=ch.tid, node=rec.initiator)
        last = max((x[1] for x in items), key=lambda c: at(c.ref) or 0)
        nodes = sorted({holder, *(x[0] for x in items)})
        refs = [x[1].ref for x in items] + ([cmd.received] if cmd is not None else [])
        volume = vol if isinstance(vol, int) else None
        where = (
            Msg("volume {volume}", volume=volume)
            if volume is not None
            else Msg("minor {minor}", minor=vol[1])
        )
        msg = (
            Msg("{res}{holder}'s disk ({where}) went {old} -> {new}, caused by {cause}",
                res=_res(resource), holder=holder, where=where, old=ch.old, new=last.new,
                cause=cause)
            if cause is not None
            else Msg("{res}{holder}'s disk ({where}) went {old} -> {new}; no cause logged",
                     res=_res(resource), holder=holder, where=where, old=ch.old, new=last.new)
        )  # fmt: skip
        # A disk that an administration command on its own node took away (detach,
        # down) is what the operator asked for: said, as information, not a warning.
        out.append(Diagnosis("detached", resource, nodes, _first(at, refs), msg, refs,
                             {"volume": volume, "disk": last.new,
                              "cause": str(cause) if cause is not None else None},
                             level="info" if cmd is not None else None))  # fmt: skip
    return out


UP = {"Connected"} | REPL_STATES


# The resource's I/O suspension states (a resync pause, resync-susp, is not one).
SUSPEND = ("susp-io", "susp-nod", "susp-fen", "susp-quorum")


def _suspended(cluster: Cluster, at) -> list[Diagnosis]:
    """A resource whose last suspension change on a node leaves its I/O suspended: the
    applications on it wait (for a disk, quorum, a fencing answer) past the log's end."""
    out = []
    for ev in cluster.nodes:
        last: dict[str | None, Any] = {}
        for ch in ev.state_changes:
            if not ch.failed and ch.what in SUSPEND:
                last[ch.resource] = ch
        for resource, ch in last.items():
            if ch.new == "no":
                continue
            msg = Msg(
                "{res}{node}: I/O suspended ({reason}); no later line resumes it",
                res=_res(resource),
                node=ev.name,
                reason=ch.new,
            )
            out.append(
                Diagnosis(
                    "io_suspended",
                    resource,
                    [ev.name],
                    at(ch.ref),
                    msg,
                    [ch.ref],
                    {"reason": ch.new},
                )
            )
    return out


def _never_connected(cluster: Cluster, at) -> list[Diagnosis]:
    seen: dict[tuple, dict] = {}
    for ev in cluster.nodes:
        up_tids = {
            tid
            for s in ev.connects
            for tid in s.tids
            if (rec := cluster.record(tid, s.resource)) is not None
            and rec.changes.get("conn") == "Connected"
            and rec.outcome == Outcome.COMMITTED
        }
        up_keys = {(s.resource, peer_key(s.peer, s.peer_host)) for s in ev.connects
                   if s.bitmaps or s.resyncs or set(s.tids) & up_tids}  # fmt: skip
        for ch in ev.state_changes:
            if ch.failed or ch.what not in ("conn", "repl", "pdsk", "peer"):
                continue
            key = (ch.resource, peer_key(ch.peer, ch.peer_host))
            if key[1] is None:
                continue
            entry = seen.setdefault((ev.name, *key), {"up": key in up_keys, "refs": [],
                                                      "states": [], "ch": ch})  # fmt: skip
            if ch.what == "conn":
                entry["refs"].append(ch.ref)
                if ch.new not in entry["states"]:
                    entry["states"].append(ch.new)
                if ch.new in UP or ch.old in UP:
                    entry["up"] = True
            elif ch.what == "repl" or ch.old not in ("DUnknown", "Unknown"):
                entry["up"] = True  # a replication state, a peer's disk or role: it was up
    groups: dict[tuple, dict] = {}
    pairs = {}
    for (node, resource, pk), entry in seen.items():
        ch = entry["ch"]
        peer = cluster.name_of(ch.resource, ch.peer, ch.peer_host) or str(UNNAMED_PEER)
        pairs[(node, resource, pk)] = (resource, frozenset((node, peer)))
    # either side's log showing the connection up is enough
    up_pairs = {pairs[k] for k, entry in seen.items() if entry["up"]}
    for (node, resource, pk), entry in seen.items():
        if entry["up"] or not entry["refs"] or pairs[(node, resource, pk)] in up_pairs:
            continue
        ch = entry["ch"]
        peer = cluster.name_of(ch.resource, ch.peer, ch.peer_host) or str(UNNAMED_PEER)
        if not _tried(cluster, cluster.by_name[node], resource, peer, entry["refs"][0]):
            continue
        g = groups.setdefault((resource, frozenset((node, peer))),
                              {"refs": [], "states": [], "nodes": []})  # fmt: skip
        g["refs"] += entry["refs"]
        g["nodes"].append((node, peer))
        g["states"] += [s for s in entry["states"] if s not in g["states"]]
    out = []
    for (resource, pair), g in groups.items():
        node, peer = g["nodes"][0]
        nodes = sorted(pair)
        out.append(Diagnosis("never_connected", resource, nodes, _first(at, g["refs"]),
                             Msg("{res}{node} - {peer}: the connection never reached Connected "
                                 "(states logged: {states})", res=_res(resource), node=node,
                                 peer=peer, states=", ".join(g["states"])),
                             g["refs"], {"peer": peer, "states": g["states"]}))  # fmt: skip
    return out


# A connection still being made this long after its first state, the node's log going on,
# has failed to come up (DRBD retries every connect-int, 10 s by default).
TRYING_NS = 30 * 10**9


def _tried(cluster: Cluster, ev, resource, peer: str, first: Ref) -> bool:
    """Was the connection given its chance in the capture: a handshake was logged (and
    still no Connected), or the node's log runs on TRYING_NS past its first state?"""
    for h in ev.handshakes:
        if h.resource == resource and cluster.name_of(h.resource, h.peer_id, h.peer_host) == peer:
            return True
    if first.local_ns is None or not ev.events.height or "local_ns" not in ev.events.columns:
        return False
    last = ev.events["local_ns"].max()
    return last is not None and int(last) - first.local_ns >= TRYING_NS


def _resyncs(cluster: Cluster, findings: list[Finding]) -> list[Diagnosis]:
    by_ref = {r: rec for rec in cluster.resyncs for r in rec.refs()}
    out = []
    for f in findings:
        if f.kind not in ("resync_unfinished", "resync_broken"):
            continue
        recs = [by_ref[r] for r in f.lines if r in by_ref]
        rec = recs[0] if recs else None
        msg = f.occurrences[0][1] if f.occurrences else f.msg
        if f.count > 1:
            msg = Msg("{first} ({count} times)", first=msg, count=f.count)
        nodes = sorted(
            {n for r in recs for n in (r.source, r.target) if n} or {f.node or ""} - {""}
        )
        outcome = ResyncOutcome.RUNNING if f.kind == "resync_unfinished" else ResyncOutcome.BROKEN
        out.append(Diagnosis("resync_unfinished", f.resource, nodes, f.time_ns, msg,
                             list(f.lines),
                             {"outcome": str(outcome), "source": rec.source if rec else None,
                              "target": rec.target if rec else None,
                              "volume": rec.volume if rec else None,
                              "count": f.count}))  # fmt: skip
    return out


def _deviations(episodes: list[Episode], deviations: dict[int, list[Deviation]], at):
    by_number = {e.number: e for e in episodes}
    out = []
    for number, devs in sorted(deviations.items()):
        devs = [d for d in devs if d.step not in ("resync_end", "connected")]
        e = by_number.get(number)
        if not devs or e is None:
            continue
        refs = [r for d in devs for r in d.refs]
        d = Diagnosis("sequence_deviation", e.resource, sorted({d.node for d in devs}),
                      _first(at, refs) or e.start_ns,
                      Msg("{title}: {steps}", title=e.heading,
                          steps="; ".join(d.text for d in devs)),
                      refs, {"episode": number,
                             "steps": [{"node": d.node, "step": d.step, "problem": d.problem,
                                        "text": d.text} for d in devs]},
                      episode=number)  # fmt: skip
        out.append(d)
    return out


_UNSETTLED = frozenset({"Attaching", "Negotiating", "DUnknown", "Unknown"})


def _no_uptodate(states: list[NodeState], at, found: list[Diagnosis]) -> list[Diagnosis]:
    by_res: dict[str | None, list[NodeState]] = defaultdict(list)
    for s in states:
        by_res[s.resource].append(s)
    out = []
    for resource, group in by_res.items():
        holders = {s.node for s in group} | {p.peer for s in group for p in s.peers if p.peer}
        volumes = {(v.volume, v.minor) for s in group for v in s.volumes} | {
            (v.volume, v.minor) for s in group for p in s.peers for v in p.volumes
        }
        for volume, minor in sorted(volumes, key=lambda x: (x[0] is None, x[0] or 0, x[1] or 0)):
            # holders is a set: sorted, else the evidence's order changes from run to run
            # holders is a set: sorted, else the evidence's order changes from run to run
            words: dict[str, list] = {h: [] for h in sorted(holders)}
            for s in group:
                for v in s.volumes:
                    if _same(v, volume, minor) and v.disk is not None:
                        words[s.node].append(v.disk)
                for p in s.peers:
                    for v in p.volumes:
                        if p.peer and _same(v, volume, minor) and v.peer_disk is not None:
                            words[p.peer].append(v.peer_disk)
            # A disk on its way somewhere (Attaching, Negotiating) or unknown (DUnknown)
            # says nothing of the data it holds.
            words = {h: [x for x in w if x.value not in _UNSETTLED] for h, w in words.items()}
            if len(words) < 2 or any(not w for w in words.values()):
                # A node no line speaks of (a resource has two nodes at least, and a
                # lone node's peers are not in the capture): it may hold the data.
                continue
            if any(x.value == "UpToDate" for w in words.values() for x in w):
                continue
            disks = {h: sorted({x.value for x in w}) for h, w in sorted(words.items())}
            refs = [x.ref for w in words.values() for x in w]
            where = (
                Msg("volume {volume}", volume=volume)
                if volume is not None
                else Msg("minor {minor}", minor=minor)
            )
            d = Diagnosis("no_uptodate_data", resource, sorted(holders), _first(at, refs),
                          Msg("{res}no node holds UpToDate data of {where}: {disks}",
                              res=_res(resource), where=where,
                              disks="; ".join(f"{h} {'/'.join(v)}" for h, v in disks.items())),
                          refs, {"volume": volume, "minor": minor if volume is None else None,
                                 "disks": disks})  # fmt: skip
            d.causes = [
                x for x in found
                if x.resource == resource and x.kind in
                ("split_brain", "unrelated_data", "detached", "never_connected",
                 "resync_unfinished", "twopc_timeout", "twopc_blocked")
            ]  # fmt: skip
            out.append(d)
    return out


def _same(v, volume: int | None, minor: int | None) -> bool:
    if v.volume is not None or volume is not None:
        return v.volume == volume
    return v.minor == minor


if __name__ == "__main__":  # python -m correlate.story.diagnosis: README's table
    print(readme_table(), end="")
