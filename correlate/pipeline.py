"""The pipeline, wired once for the CLI and for tests: sources -> parse -> events ->
align -> timeline/episodes -> render -> bundle. Each stage lives in its own module; this
one only passes frames along and keeps the notices together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from correlate.analysis import Analysis, Bundle
from correlate.cluster import admin as admin_tie
from correlate.cluster import align, evidence, protocol, ra_commands, timeline
from correlate.cluster import context as context_tie
from correlate.errors import InputError, Notices, OutputError, UsageError
from correlate.events import extract as events
from correlate.i18n import Msg, _
from correlate.model import NodeEvents
from correlate.read import admin as admin_read
from correlate.read import bundles, eventlog, kernlog, secrets, sources
from correlate.read import config as config_read
from correlate.read import kernel as kernparse
from correlate.read import manifest as manifest_read
from correlate.read import status as status_read
from correlate.read import zone as zone_read
from correlate.read.bsr import NodeParse, NodeRead, parse_node
from correlate.render import bundle, pdf, report, sequence
from correlate.render import json as summary
from correlate.stopwatch import Stopwatch
from correlate.story import (
    config_check,
    conformance,
    diagnosis,
    end_state,
    episodes,
    findings,
    scope,
    snapshot,
)

ProgressFn = Callable[[int], None]


@dataclass
class Options:
    out: Path = Path("bsrcorr-out")
    max_extract: int = sources.DEFAULT_MAX_EXTRACT
    reference: str | None = None
    offsets: dict[str, float] = field(default_factory=dict)
    since_ns: int | None = None
    until_ns: int | None = None
    # auto (every episode up to 200, then the notable ones: render.select), all,
    # overview, none
    diagrams: str = "auto"
    only: str | None = None  # "drbd": the timeline keeps the replication lines only
    csv: bool = False  # also write timeline.csv
    year: int | None = None  # --year: the first syslog stamp's year
    pdf: bool = False  # also print report.html to report.pdf (headless Chromium)


def analyse(
    specs: Sequence[str],
    options: Options,
    notices: Notices,
    progress: ProgressFn | None = None,
    watch: Stopwatch | None = None,
) -> Analysis:
    watch = watch or Stopwatch()
    node_sources = sources.resolve(specs, notices, options.max_extract)
    # The node names are known now: a mistyped name stops the run before any parsing,
    # which on a large capture takes minutes. A kernel log given without NAME= may hold
    # several hosts, whose node names are known only once it is read.
    names = [src.name for src in node_sources]
    # Each file's kind is sniffed once, from its head: kernel log or BSR's own.
    kernel = [[bool(kernlog.sniff(f.head())) for f in src.files] for src in node_sources]
    by_host = any(not src.named and any(k) for src, k in zip(node_sources, kernel, strict=True))
    reference = check_nodes(names, options) if not by_host else None
    watch.split("sources")
    parsed, side = _read_all(node_sources, kernel, notices, options.year, progress)
    parsed = _dedupe_hosts(parsed, notices)
    names = [p.name for p in parsed]
    if reference is None:
        reference = check_nodes(names, options)
    check_offsets_fit(parsed, options.offsets)
    watch.split("parse")
    frames: list[pl.DataFrame] = []
    node_events: list[NodeEvents] = []
    reads: list[NodeRead] = []
    agent_commands: list[admin_tie.AdminCommand] = []
    for p in parsed:
        frame, ev = events.extract(p)
        # Pacemaker's DRBD agent logs the drbdadm commands it ran (cluster.ra_commands).
        frame, found_commands = ra_commands.find(p.name, frame)
        agent_commands.extend(found_commands)
        frames.append(frame)
        node_events.append(ev)
        reads.append(p.read())
    # The entries live on in ``frames``: holding the parses too would keep a second copy
    # of every message through the rest of the run (and the loop's last one with them).
    del parsed, p, frame
    watch.split("events")
    cluster = protocol.correlate(node_events)
    found_evidence = evidence.gather(
        cluster,
        {p.name: evidence.NodeTimes.of(p.name, f) for p, f in zip(reads, frames, strict=True)},
    )
    watch.split("correlate")
    clocks = [align.NodeClock.of(p.name, f) for p, f in zip(reads, frames, strict=True)]
    alignment, row_offsets = align.align(clocks, found_evidence.pairs, reference, options.offsets)
    del clocks  # a copy of every row's time and place, not needed past alignment
    _alignment_notices(alignment, notices, len(reads), cluster)
    watch.split("align")
    aligned = [
        timeline.place(
            f,
            row_offsets[p.name],
            alignment.clock.times[p.name],
            alignment.unsure_rows(p.name),
        )
        for p, f in zip(reads, frames, strict=True)
    ]
    commands, admin_clocks, context_clocks = _admin_rows(
        side, frames, row_offsets, node_events, cluster, aligned, notices
    )
    del frames, row_offsets  # both live on in the timeline's rows and offset_s column
    full = timeline.merge(
        aligned, [reference, *[n for n in names if n != reference]], alignment.clock.order
    )
    if options.only == "drbd":
        full = _only_drbd(full, notices)
    merged = timeline.narrow(full, options.since_ns, options.until_ns)
    watch.split("timeline")
    # Episodes and findings see the whole capture (a 2PC's outcome may lie past the
    # window's end); scope.narrow then cuts them with everything else.
    story = episodes.build(cluster, alignment.clock)
    watch.split("episodes")
    # As of the window's end: what --until asks is where the nodes stood then.
    states = end_state.build(cluster, alignment.clock, options.until_ns)
    snapshots, snapshot_findings = snapshot.compare(
        {name: b.status for name, b in side.items() if b.status}, states
    )
    config, config_findings = config_check.check(
        config_read.parse([t for b in side.values() for t in b.config_texts]),
        node_events,
        {name: b.facts for name, b in side.items()},
    )
    found = findings.find(
        reads,
        cluster,
        alignment,
        full,
        found_evidence.late,
        extra=config_findings + snapshot_findings,
    )
    watch.split("findings")
    deviations = conformance.check(cluster, alignment.clock, story)
    story_told = diagnosis.diagnose(cluster, alignment.clock, story, found, states, deviations)
    watch.split("diagnosis")
    rows_read = full.height
    del full
    analysis = Analysis(
        nodes=reads,
        timeline=merged,
        notices=notices,
        events=cluster.nodes,
        cluster=cluster,
        alignment=alignment,
        episodes=story,
        findings=found,
        end_state=states,
        conformance=deviations,
        diagnosis=story_told,
        admin_commands=commands
        + [replace(c, time_ns=alignment.clock.at(c.ref)) for c in agent_commands],
        admin_clocks=admin_clocks,
        context_clocks=context_clocks,
        config=config,
        bundles={name: b.facts for name, b in side.items()},
        snapshots=snapshots,
    )
    if options.since_ns is not None or options.until_ns is not None:
        analysis = scope.narrow(analysis, options.since_ns, options.until_ns, rows_read)
        watch.split("window")
    return analysis


def check_nodes(names: list[str], options: Options) -> str:
    """The reference node's name, once --reference and --offset name known nodes and no
    offset is given for the reference (its offset is 0 by definition)."""
    known = _("(nodes: {names})").format(names=", ".join(names))
    reference = options.reference or names[0]
    if reference not in names:
        raise UsageError(
            Msg("--reference {reference}: no such node {known}", reference=reference, known=known)
        )
    for name, value in options.offsets.items():
        if name not in names:
            raise UsageError(
                Msg(
                    "--offset {name}={value}: no such node {known}",
                    name=name,
                    value=f"{value:g}",
                    known=known,
                )
            )
        if name == reference:
            raise UsageError(
                Msg(
                    "--offset {name}={value}: {name} is the reference node, whose offset is "
                    "0 by definition (choose another with --reference)",
                    name=name,
                    value=f"{value:g}",
                )
            )
    return reference


# What a timeline time (datetime[ns], an i64 of nanoseconds) can hold.
TIME_MIN_NS = -(2**63) + 1
TIME_MAX_NS = 2**63 - 1


def check_offsets_fit(parsed: list[NodeParse], offsets: dict[str, float]) -> None:
    """A manual offset must leave every aligned time of its node a timestamp. The CLI
    bounds offsets before reading; this catches a log dated near the edge of what a
    timestamp holds, whose times would otherwise wrap around."""
    for p in parsed:
        if p.name not in offsets:
            continue
        shift = round(offsets[p.name] * 1e9)
        for local in (p.first_time, p.last_time):
            if local is not None and not TIME_MIN_NS <= local - shift <= TIME_MAX_NS:
                raise UsageError(
                    Msg(
                        "--offset {name}={offsets}: moves {name}'s lines outside what a "
                        "timestamp can hold (years 1677 to 2262)",
                        name=p.name,
                        offsets=f"{offsets[p.name]:g}",
                    )
                )


def _only_drbd(frame: pl.DataFrame, notices: Notices) -> pl.DataFrame:
    """``--only drbd``: the replication lines (BSR's, and DRBD's kernel lines with their
    object prefix); other programs' lines and lines with no structure are counted, not
    kept."""
    keep = (pl.col("program").cast(pl.String) == "bsr") | pl.col("object").is_not_null()
    kept = frame.filter(keep)
    dropped = frame.height - kept.height
    if dropped:
        notices.note(
            Msg(
                "--only drbd: {dropped} line(s) of other programs left out of the timeline",
                dropped=dropped,
            )
        )
    return kept


@dataclass
class BundleSide:
    """What a node's bundle holds beside its driver log: CLI rows, config text, and
    what every file was."""

    admin: pl.DataFrame
    config_texts: list[str]
    facts: dict
    status: list[dict] = field(default_factory=list)  # read.status.parse of its snapshot
    # The host's own logs (System/): (files, rows, Windows event log?) per kind of log.
    context: list[tuple[list[str], pl.DataFrame, bool]] = field(default_factory=list)


def read_side(
    name: str, src: sources.NodeSource, notices: Notices, year: int | None = None
) -> BundleSide:
    admin = admin_read.read_admin(name, src.admin).with_columns(node=pl.lit(name, pl.String))
    texts = [sources.read_bytes(f).decode("utf-8", "replace") for f in src.config]
    snapshot = [
        r
        for f in src.status
        if status_read.SNAPSHOT.match(f.display.replace("\\", "/").rsplit("/", 1)[-1])
        for r in status_read.parse(sources.read_bytes(f).decode("utf-8", "replace"))
    ]
    counts = admin.group_by("event").len() if admin.height else None
    facts = {
        "kind": src.kind,
        "host": src.host,
        "admin_lines": admin.height,
        "admin_unparsed": int(
            counts.filter(pl.col("event") == "unparsed")["len"].sum() if counts is not None else 0
        ),
        "files": [
            {"file": f.display, "role": f.role, "read": f.read, "why": f.why} for f in src.inventory
        ],
    }
    facts["zone"] = zone_read.stated(src.host_info)
    collector = [
        g
        for f in src.manifest
        for g in manifest_read.gaps(sources.read_bytes(f).decode("utf-8", "replace"))
    ]
    # Holes its files show (sources said them) and what the collector says it missed.
    facts["gaps"] = [*src.gaps, *collector]
    for g in collector:
        notices.warn(
            Msg(
                "the collector says: {what} ({where}); what it would have collected is missing",
                what=g["what"],
                where=", ".join(str(g[k]) for k in ("plugin", "command") if g.get(k)),
            ),
            name,
        )
    context, unread = _read_context(name, src, notices, year)
    for f in facts["files"]:
        if f["file"] in unread:
            f["read"], f["why"] = False, unread[f["file"]]
    return BundleSide(admin, texts, facts, snapshot, context)


def _read_context(
    name: str, src: sources.NodeSource, notices: Notices, year: int | None
) -> tuple[list[tuple[list[str], pl.DataFrame, bool]], dict[str, str]]:
    """A BSR node's host logs: event-log CSVs and kernel-log style files, each kind one
    frame; files of neither kind are left, with the reason."""
    events, kernel, unread = [], [], {}
    for log in src.context:
        head = log.head(4096)
        if eventlog.is_event_log(head):
            events.append(log)
        elif kernlog.sniff(head):
            kernel.append(log)
        else:
            unread[log.display] = "not a log format bsrcorr reads"
    out = []
    if events:
        frame = eventlog.read_event_logs(name, events)
        if frame.height:
            out.append(([f.display for f in events], frame, True))
    # One clock per family: rotated messages files share the host's, dmesg has its boot's.
    families: dict[str, list[sources.LogFile]] = {}
    for log in kernel:
        base = log.display.replace("\\", "/").rsplit("/", 1)[-1]
        families.setdefault(bundles.family(base) or base, []).append(log)
    for logs in families.values():
        part = sources.NodeSource(name=name, spec=src.spec, files=logs)
        frame = kernparse.read_context(name, part, notices, year)
        if frame.height:
            frame = frame.with_columns(node=pl.lit(name, pl.String), fields=pl.lit("", pl.String))
            out.append(([f.display for f in logs], secrets.mask_column(frame), False))
    return out, unread


def _admin_rows(
    side: dict[str, BundleSide],
    frames: list[pl.DataFrame],
    row_offsets: dict,
    node_events: list[NodeEvents],
    cluster,
    aligned: list[pl.DataFrame],
    notices: Notices,
) -> tuple[
    list[admin_tie.AdminCommand], list[admin_tie.AdminClock], list[context_tie.ContextClock]
]:
    """Each bundle node's CLI rows tied to its driver log (cluster.admin) and placed on
    the timeline after its driver rows; ``aligned`` gains their frames."""
    commands: list[admin_tie.AdminCommand] = []
    clocks: list[admin_tie.AdminClock] = []
    context_clocks: list[context_tie.ContextClock] = []
    by_name = {ev.name: (ev, f) for ev, f in zip(node_events, frames, strict=True)}
    for name, b in side.items():
        if name not in by_name:
            continue
        ev, frame = by_name[name]
        local = frame.get_column("local_time").cast(pl.Int64).fill_null(0).to_numpy()
        base = frame.height + b.admin.height
        for files, ctx, windows in b.context:
            tied = context_tie.tie(name, files, frame, ctx, windows)
            if tied.shift_ns is None:
                notices.warn(
                    Msg(
                        "{files}: no line of it is also in the driver's log, so its clock "
                        "is not tied to the driver's: its times assume the driver's zone",
                        files=", ".join(f.rsplit("/", 1)[-1] for f in files),
                    ),
                    name,
                )
            placed = admin_tie.place(ctx, tied.shift_ns, local, row_offsets[name], base)
            aligned.append(placed.select(timeline.COLUMNS))
            base += ctx.height
            context_clocks.append(tied)
        if b.admin.height == 0:
            continue
        found, clock = admin_tie.tie(name, b.admin, ev, cluster.twopc)
        if clock.shift_ns is None:
            notices.warn(
                Msg(
                    "the CLI logs' clock is not tied to the driver log (no bsrsetup command "
                    "matched its netlink line): their times assume the driver's zone",
                ),
                name,
            )
        placed = admin_tie.place(b.admin, clock.shift_ns, local, row_offsets[name], frame.height)
        aligned.append(placed.select(timeline.COLUMNS))
        times = dict(
            zip(
                placed.get_column("row").to_list(),
                placed.get_column("time").cast(pl.Int64).to_list(),
                strict=True,
            )
        )
        base = frame.height
        commands.extend(replace(c, time_ns=times.get(c.ref.row + base)) for c in found)
        clocks.append(clock)
    return commands, clocks, context_clocks


def _read_all(
    node_sources: list[sources.NodeSource],
    kernel: list[list[bool]],
    notices: Notices,
    year: int | None,
    progress: ProgressFn | None,
) -> tuple[list[NodeParse], dict[str, BundleSide]]:
    """Every source read, parsed and masked, and the bundles' side files. A function of
    its own so that no loop variable outlives it: the last source's unmasked parse, left
    in a local of ``analyse``, kept a node's every column alive to the end of the run
    (on the 1 GB bench, 400 MiB the merge could not hand back)."""
    parsed: list[NodeParse] = []
    side: dict[str, BundleSide] = {}
    for src, is_kernel in zip(node_sources, kernel, strict=True):
        found = read_source(src, is_kernel, notices, year)
        # Secrets never pass the read stage (read.secrets): every later byte is masked.
        parsed.extend(replace(p, frame=secrets.mask_column(p.frame)) for p in found)
        if src.kind is not None and len(found) == 1:
            side[found[0].name] = read_side(found[0].name, src, notices, year)
        del found  # before the next source is read: not two nodes' unmasked parses at once
        if progress:
            progress(sum(f.size for f in src.files))
    return parsed, side


def read_source(
    src: sources.NodeSource, kernel: list[bool], notices: Notices, year: int | None = None
) -> list[NodeParse]:
    """A source's files in their dialect: BSR's own log (one node), or kernel logs of
    DRBD or WinDRBD (one node per host they hold). ``kernel``: which of its files the
    sniff found to be kernel logs."""
    # An empty file has no kind: it goes with the others (a bundle's empty rotated log).
    empty = [f.size == 0 for f in src.files]
    if any(kernel) and all(k or e for k, e in zip(kernel, empty, strict=True)):
        return kernparse.parse_kernel_source(src, notices, year)
    if any(kernel):
        mixed = ", ".join(f.display for f, k in zip(src.files, kernel, strict=True) if k)
        raise InputError(
            Msg(
                "{spec}: mixes BSR's own logs with kernel logs ({mixed}); give each "
                "kind as its own SRC",
                spec=src.spec,
                mixed=mixed,
            )
        )
    return [parse_node(src, notices)]


def _dedupe_hosts(parsed: list[NodeParse], notices: Notices) -> list[NodeParse]:
    """Nodes named after hosts (a central syslog) may meet a node of the same name: the
    second is renamed, in a new record."""
    seen: dict[str, int] = {}
    out: list[NodeParse] = []
    for p in parsed:
        if p.name not in seen:
            seen[p.name] = 1
            out.append(p)
            continue
        seen[p.name] += 1
        new = f"{p.name}-{seen[p.name]}"
        notices.note(
            Msg(
                "two nodes are named {name}; calling the second {new}",
                name=f"{p.name!r}",
                new=f"{new!r}",
            )
        )
        frame = p.frame.with_columns(node=pl.lit(new, pl.String).cast(pl.Categorical))
        out.append(replace(p, name=new, frame=frame))
    return out


def _linked(cluster) -> dict[str, Msg]:
    """Nodes the protocol ties to another node, and by what (clock-free)."""
    out: dict[str, Msg] = {}
    for rec in cluster.twopc:
        nodes = {s.node for s in rec.sides}
        if len(nodes) > 1:
            for n in nodes:
                out.setdefault(n, Msg("2PC ids ({tid} ...)", tid=rec.tid))
    for pair in cluster.decision_pairs:
        for d in (pair.a, pair.b):
            out.setdefault(d.node, Msg("a UUID handshake"))
    return out


def _alignment_notices(alignment: align.Alignment, notices: Notices, n_nodes: int, cluster) -> None:
    if n_nodes == 1:
        notices.note("one node only: a single-node timeline; clock alignment needs two nodes")
        return
    linked = _linked(cluster)
    for name, na in alignment.nodes.items():
        if na.aligned:
            continue
        if name in linked:
            # The logs are of one cluster (shared ids), but its lines carry no times.
            notices.warn(
                Msg(
                    "it shares {what} with the other nodes, but its lines that do carry no "
                    "time stamps: it keeps its own clock, unaligned",
                    what=linked[name],
                ),
                name,
            )
        else:
            notices.warn(
                Msg(
                    "no protocol evidence links it to the other nodes (no shared 2PC id, "
                    "bitmap or handshake): it keeps its own clock, unaligned; are these "
                    "logs of one cluster?"
                ),
                name,
            )
    if alignment.conflicts:
        notices.warn(
            Msg(
                "{count} causal pair(s) contradict the rest of the evidence (see "
                "alignment.json conflicts)",
                count=len(alignment.conflicts),
            )
        )
    if alignment.violations_after:
        notices.warn(
            Msg(
                "{violations_after} receive(s) still precede their send after alignment "
                "(inconsistent evidence)",
                violations_after=alignment.violations_after,
            )
        )


def write(analysis: Analysis, options: Options, watch: Stopwatch | None = None) -> Bundle:
    """Every output, each a function of the analysis returning what it wrote."""
    watch = watch or Stopwatch()
    out = bundle.prepare(options.out)
    bundle.write_parquet(out, analysis.timeline)
    watch.split("parquet")
    files = ["timeline.parquet"]
    if options.csv:
        bundle.write_csv(out, analysis.timeline)
        files.append("timeline.csv")
        watch.split("csv")
    bundle.write_json(out, "alignment.json", summary.alignment_json(analysis))
    files.append("alignment.json")
    # Every episode's diagram model, drawn or not: bsrcorr draw reads them later.
    made = sequence.models(analysis, analysis.episodes)
    bundle.write_json_gz(out, sequence.MODELS_FILE, sequence.models_json(made))
    files.append(sequence.MODELS_FILE)
    watch.split("models")
    # Diagrams before summary.json, which names only the diagrams that were drawn.
    try:
        drawn = sequence.render(
            analysis, analysis.episodes, out / "diagrams", options.diagrams, made=made
        )
    except OSError as exc:
        raise OutputError(
            Msg(
                "{value}: could not write the diagrams: {reason}",
                value=out / "diagrams",
                reason=exc.strerror or exc,
            )
        ) from None
    if drawn.dot_missing:
        # Not a reason to stop: everything else, the report included, is still written.
        analysis.notices.warn(
            Msg(
                "Graphviz's dot is not installed: wrote the diagram sources to "
                "{value}/*.dot; install it (Debian: apt-get install graphviz) and run "
                "again, or use --diagrams none",
                value=out / "diagrams",
            )
        )
    watch.split("diagrams")
    doc = summary.summary_json(analysis, drawn)
    bundle.write_json(out, "summary.json", doc)
    files.append("summary.json")
    watch.split("summary")
    svgs = sum(1 for p in drawn.files if p.suffix == ".svg")
    if drawn.dot_missing:
        files.append("diagrams/*.dot")
    if svgs:
        files.append(f"diagrams/ ({svgs} SVG)")
    files.append("report.html")
    if options.pdf:
        files.append("report.pdf")
    written = Bundle(out, tuple(files), drawn, doc)
    bundle.write_text(out, "report.html", report.render(analysis, out / "diagrams", written))
    watch.split("report")
    if options.pdf:
        pdf.write(out)
        watch.split("pdf")
    return written


def listed_events(analysis: Analysis) -> pl.DataFrame:
    """The timeline's protocol events for ``--timeline --events``, by the rule every other
    output follows: terminated status polls (``GET_*`` from monitoring) are counted in
    summary.json, not listed; one that never terminated is listed."""
    event = pl.col("event").cast(pl.String).fill_null("")
    events = analysis.timeline.filter((event != "") & (event != "unparsed"))
    polls = [
        pl.DataFrame(
            {
                "_node": ev.name,
                "row": pl.concat([ev.polls["received_row"], ev.polls["done_row"]]).drop_nulls(),
            },
            schema={"_node": pl.String, "row": pl.UInt32},
        )
        for ev in analysis.events
        if ev.polls.height
    ]
    if not polls:
        return events
    return (
        events.with_columns(pl.col("node").cast(pl.String).alias("_node"))
        .join(pl.concat(polls), on=["_node", "row"], how="anti", maintain_order="left")
        .drop("_node")
    )
