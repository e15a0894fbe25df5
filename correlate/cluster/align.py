"""Stage 3, align: each node's clock offset against the reference, with bounds.

Input: the causal pairs of :mod:`correlate.cluster.evidence`, the nodes' epochs and local times.
Output: :class:`Alignment`, per node a list of :class:`Segment` (row ranges of the node's
own order), each with a linear offset ``offset(t) = offset_s + drift_ppm * 1e-6 * (t -
start)`` (node clock minus reference clock, so ``aligned = local - offset``), the bounds
the evidence leaves for it, and what it stands on.

How (for nodes X and Y with pairs between them, ``d = o_X - o_Y`` at X's local time):

1. every strict pair is a half-plane on the line ``d(t) = a + b (t - t0)``: a message
   from Y received by X gives ``d <= t_recv - t_send`` at the receive time, one from X
   gives ``d >= t_send - t_recv`` at the send time;
2. the pairs are swept in X's order keeping the convex set of lines (a, b) that meet all
   of them, drift limited to :data:`MAX_DRIFT_PPM`; a driver load starts a new segment;
   a pair that empties the set starts a new segment when the next pairs agree with it
   (a clock step), and is reported as inconsistent evidence when they do not;
3. a segment whose pairs one constant offset can meet gets that offset, the middle of
   ``[max lower, min upper]`` (the 2PC round trip, as NTP does); otherwise a line fit by
   a small linear program (SciPy ``linprog``) that keeps the largest margin to every
   bound: its slope is the drift;
4. weak pairs (handshakes) are used only in a stretch with no strict pair, as ``d`` within
   :data:`~correlate.cluster.evidence.WEAK_WIDTH_S` of their difference;
5. nodes reach the reference directly or through other nodes (offsets add up along the
   path with the most evidence; bounds add up too);
6. every strict pair is then checked on the aligned clock; a receive before its send moves
   that segment's offset within its bounds, as little as that takes, and what cannot be
   met is inconsistent evidence.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import polars as pl

from correlate.cluster.evidence import WEAK_WIDTH_S
from correlate.i18n import Msg
from correlate.model import NO_TIME, Clock, Pair, Ref

MAX_DRIFT_PPM = 500.0  # quartz clocks stay well inside 100 ppm; this is a wide net
LOOK_AHEAD = 3  # pairs that must agree with a new offset before it counts as a step
OUTLIER_MAX = 2  # a stretch of at most this many pairs that the pairs around contradict
ONE_WAY_S = 0.0005  # assumed one-way latency when only one direction bounds the offset
RESOLUTION_S = 1e-7  # BSR's 100 ns: the least a receive must follow its send
TZ_STEP_S = 900  # time zones are whole quarter hours
TZ_TOLERANCE_S = 120
# Time zones lie within UTC-12 .. UTC+14: a larger offset is something else (a node
# logging uptime only, a clock set to another day).
TZ_MAX_S = 26 * 3600


@dataclass
class Bound:
    """One pair seen from X: ``d`` at X's local time ``t`` is <= (upper) or >= (lower)."""

    t: float  # X local time, seconds since the epoch of ns
    value: float
    upper: bool
    pair: Pair
    row: int  # X's row that carries the bound
    epoch: int
    strict: bool = True
    width: float = WEAK_WIDTH_S  # a weak bound: d within this of value


@dataclass
class Fit:
    """The offset line of one segment, before composition with the path to the reference."""

    first_row: int
    last_row: int
    epoch: int
    t0: float
    a: float
    b_ppm: float
    bounds: list[Bound]
    poly: list[tuple[float, float]]
    basis: str
    one_sided: str | None = None

    def at(self, t: float) -> float:
        return self.a + self.b_ppm * 1e-6 * (t - self.t0)

    def range_at(self, t: float) -> tuple[float | None, float | None]:
        if not self.poly or self.one_sided == "all":
            return None, None
        values = [a + b * 1e-6 * (t - self.t0) for a, b in self.poly]
        lo, hi = min(values), max(values)
        if self.one_sided == "upper":  # only upper bounds: nothing below
            lo = None
        elif self.one_sided == "lower":
            hi = None
        return lo, hi


@dataclass
class Segment:
    node: str
    first_row: int
    last_row: int
    start_ns: int | None
    end_ns: int | None
    epoch: int
    offset_s: float | None
    drift_ppm: float | None
    lower_s: float | None
    upper_s: float | None
    evidence: int = 0
    weak_evidence: int = 0
    basis: str = "unaligned"  # reference, 2pc/bitmap, handshake, manual, carried, unaligned
    via: list[str] = field(default_factory=list)
    adjusted_s: float = 0.0
    # "upper" / "lower": the evidence bounds the offset from that side only (replies
    # never logged, say): the offset is "at most upper_s" (or at least lower_s), and
    # offset_s is only a point near that bound, not an estimate.
    one_sided: str | None = None

    def offsets(self, local_ns: np.ndarray) -> np.ndarray:
        """The offset (s) at each local time: ``offset_s + drift_ppm·1e-6·(t - start)``.
        The one formula for the offset of a line: every aligned time in bsrcorr, of a
        whole node or of one line, comes through here. NaN when the segment has none."""
        if self.offset_s is None:
            return np.full(len(local_ns), np.nan)
        if not self.drift_ppm or self.start_ns is None:
            return np.full(len(local_ns), self.offset_s)
        return self.offset_s + self.drift_ppm * 1e-6 * (local_ns - self.start_ns) / 1e9

    def offset_at(self, ns: int | None) -> float | None:
        if self.offset_s is None:
            return None
        if ns is None:
            return self.offset_s
        return float(self.offsets(np.array([ns], dtype=np.int64))[0])


@dataclass
class Step:
    """A clock step between two segments: it happened after ``before`` (the last line
    whose evidence needs the old offset) and before ``after`` (the first line whose
    evidence needs the new one); ``likely`` are the two lines around a jump of the node's
    own time inside that interval, when exactly one jump can hold the step."""

    node: str
    size_s: float
    before: Ref
    after: Ref
    likely: tuple[dict, dict] | None = None
    # The node's rows strictly between ``before`` and ``after`` when no single jump of its
    # own time places the step: each may be on either side of it, so its offset is only
    # known to lie between the two segments' (first row, last row; None: none such).
    unsure: tuple[int, int] | None = None


@dataclass
class Conflict:
    """Evidence no offset can meet: the pair and the pairs it contradicts."""

    node: str
    pair: Pair
    against: list[Pair]
    reason: Msg


@dataclass
class NodeAlignment:
    node: str
    segments: list[Segment] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    aligned: bool = False
    manual: bool = False
    reference: bool = False
    timezone: str | None = None
    tz_offset_s: float | None = None
    residual_s: float | None = None
    note: str | None = None

    @property
    def main(self) -> Segment | None:
        with_offset = [s for s in self.segments if s.offset_s is not None]
        if not with_offset:
            return None
        return max(with_offset, key=lambda s: (s.evidence, s.weak_evidence, -s.first_row))


@dataclass
class Adjustment:
    node: str
    segment: int
    shift_s: float
    pairs: list[Pair]


@dataclass(frozen=True)
class Causal:
    """The causal check on the aligned clock: of the strict pairs between aligned nodes,
    those whose receive follows its send by more than the two stamps' resolution
    (proven), those only resolution separates (a tie: the order is unproven, and the
    merged timeline puts the receive after its send), and those whose receive precedes
    its send by more than resolution allows (violations)."""

    checked: int
    proven: int
    within_resolution: int
    violations: int


@dataclass
class Alignment:
    reference: str
    nodes: dict[str, NodeAlignment]
    pairs: list[Pair]
    conflicts: list[Conflict] = field(default_factory=list)
    adjustments: list[Adjustment] = field(default_factory=list)
    violations_before: int = 0
    violations_after: int = 0
    violating: list[Pair] = field(default_factory=list)
    proven: int = 0
    within_resolution: int = 0
    clock: Clock = field(default_factory=lambda: Clock({}))

    @property
    def steps(self) -> list[Step]:
        """Every node's clock steps in one list: a step's number (as the timeline's
        ``step`` column and alignment.json's ``steps`` give it) is its place here, from 1."""
        return [st for na in self.nodes.values() for st in na.steps]

    def unsure_rows(self, node: str) -> list[tuple[int, int, int]]:
        """(first row, last row, step number) of the node's rows that lie between a
        step's last evidence before it and its first evidence after it."""
        return [
            (*st.unsure, k)
            for k, st in enumerate(self.steps, 1)
            if st.node == node and st.unsure is not None
        ]

    @property
    def causal(self) -> Causal:
        return Causal(
            self.proven + self.within_resolution + self.violations_after,
            self.proven,
            self.within_resolution,
            self.violations_after,
        )

    @cached_property
    def flagged(self) -> set[Pair]:
        """The pairs a finding names: still violated, or in conflict with the rest."""
        return {*self.violating, *(c.pair for c in self.conflicts)}

    def segment_for(self, node: str, row: int) -> Segment | None:
        na = self.nodes.get(node)
        if na is None:
            return None
        for seg in na.segments:
            if seg.first_row <= row <= seg.last_row:
                return seg
        return None

    def aligned_ns(self, ref: Ref | None) -> int | None:
        """A line's time on the reference clock while the offsets are still being
        settled (the causal check); after alignment, read :attr:`clock` instead."""
        if ref is None or ref.local_ns is None:
            return None
        seg = self.segment_for(ref.node, ref.row)
        if seg is None:
            return ref.local_ns
        rows = np.array([ref.row], dtype=np.int64)
        return int(aligned_rows([seg], rows, np.array([ref.local_ns], dtype=np.int64))[1][0])


def aligned_rows(
    segments: list[Segment], rows: np.ndarray, local_ns: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's offset (s, NaN without one) and aligned time (ns: local time minus
    the offset; the local time itself where there is no offset). ``segments`` cover the
    node's rows in order; ``rows`` need not be sorted."""
    if len(segments) == 1:  # most nodes: one segment, no row to look up
        offsets = np.asarray(segments[0].offsets(local_ns), dtype=np.float64)
    else:
        firsts = np.array([seg.first_row for seg in segments], dtype=np.int64)
        which = np.clip(np.searchsorted(firsts, rows, side="right") - 1, 0, len(segments) - 1)
        offsets = np.full(len(rows), np.nan)
        for k, seg in enumerate(segments):
            mask = which == k
            if mask.any() and seg.offset_s is not None:
                offsets[mask] = seg.offsets(local_ns[mask])
    shift = offsets * 1e9
    np.rint(shift, out=shift)  # to the nearest ns (half to even, as np.round)
    shift[np.isnan(shift)] = 0
    return offsets, local_ns - shift.astype(np.int64)


def _finish_clock(result: Alignment, clocks: list[NodeClock]) -> dict[str, np.ndarray]:
    """Every row's aligned time, once, for every later stage, and the causal order where
    the times alone cannot tell it; returns every row's offset."""
    times: dict[str, np.ndarray] = {}
    row_offsets: dict[str, np.ndarray] = {}
    for c in clocks:
        segs = result.nodes[c.name].segments
        offsets, aligned = aligned_rows(segs, np.arange(c.rows, dtype=np.int64), c.local_ns)
        aligned[~c.timed] = NO_TIME
        offsets[~c.timed & np.isnan(offsets)] = np.nan
        row_offsets[c.name] = offsets
        times[c.name] = aligned
    result.clock = Clock(times, causal_order(times, result.pairs, result.flagged))
    return row_offsets


ORDER_ROUNDS = 32  # a causal chain bumps at most this many times across nodes


def causal_order(
    times: dict[str, np.ndarray], pairs: list[Pair], flagged: set[Pair]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The merged order's keys where they differ from the aligned times.

    A node's key is the running maximum of its aligned time (its own order is its
    counter's, whatever its clock did). A strict pair whose receive's key is not after
    its send's (their aligned times tie within the stamps' resolution) lifts the receive
    to one nanosecond after the send, and with it the node's later rows up to there: a
    topological order of the causal pairs, then each node's own order. Pairs the causal
    check rejects (a violation, a conflict) are not used: a contradiction is reported,
    not ordered away. Returns, per node, the rows whose key differs and their keys."""
    use = [
        (p.send.node, p.send.row, p.recv.node, p.recv.row)
        for p in pairs
        if p.strict and p not in flagged and p.send.node in times and p.recv.node in times
    ]
    if not use:
        return {}
    keys: dict[str, np.ndarray] = {}
    for node, t in times.items():
        k = np.where(t == NO_TIME, np.iinfo(np.int64).min, t)
        keys[node] = np.maximum.accumulate(k) if len(k) else k
    for _ in range(ORDER_ROUNDS):
        lifts: dict[str, list[tuple[int, int]]] = {}
        for sn, sr, rn, rr in use:
            ks, kr = keys[sn][sr], keys[rn][rr]
            if kr <= ks:
                lifts.setdefault(rn, []).append((rr, int(ks) + 1))
        if not lifts:
            break
        for node, found in lifts.items():
            floor = np.full(len(keys[node]), np.iinfo(np.int64).min, dtype=np.int64)
            for row, key in found:
                floor[row] = max(floor[row], key)
            keys[node] = np.maximum.accumulate(np.maximum(keys[node], floor))
    out = {}
    for node, k in keys.items():
        t = times[node]
        differ = np.flatnonzero((k != t) & (t != NO_TIME))
        if len(differ):
            out[node] = (differ, k[differ])
    return out


# -- geometry of the feasible lines ---------------------------------------------------------

# Offsets the search starts from: ±3,000 years (a node with uptime stamps only sits
# some 1.7e9 s from a wall clock).
_BIG = 1e11


def _initial_poly() -> list[tuple[float, float]]:
    return [
        (-_BIG, -MAX_DRIFT_PPM),
        (_BIG, -MAX_DRIFT_PPM),
        (_BIG, MAX_DRIFT_PPM),
        (-_BIG, MAX_DRIFT_PPM),
    ]


def _clip(poly, alpha: float, beta: float, gamma: float, eps: float = 1e-9):
    """Keep the part of a convex polygon where alpha*a + beta*b <= gamma."""
    out = []
    n = len(poly)
    for i in range(n):
        p, q = poly[i], poly[(i + 1) % n]
        fp = alpha * p[0] + beta * p[1] - gamma
        fq = alpha * q[0] + beta * q[1] - gamma
        if fp <= eps:
            out.append(p)
        if (fp < -eps and fq > eps) or (fp > eps and fq < -eps):
            s = fp / (fp - fq)
            out.append((p[0] + s * (q[0] - p[0]), p[1] + s * (q[1] - p[1])))
    return out


def _apply(poly, bound: Bound, t0: float):
    c = (bound.t - t0) * 1e-6
    if bound.strict:
        if bound.upper:
            return _clip(poly, 1.0, c, bound.value)
        return _clip(poly, -1.0, -c, -bound.value)
    poly = _clip(poly, 1.0, c, bound.value + bound.width)
    return _clip(poly, -1.0, -c, -(bound.value - bound.width))


# -- one node against one other ---------------------------------------------------------------


def bounds_between(pairs: list[Pair], x: str, y: str, epochs: np.ndarray) -> list[Bound]:
    """The pairs between X and Y as bounds on ``d = o_X - o_Y`` at X's local times."""
    out = []
    for p in pairs:
        if {p.send.node, p.recv.node} != {x, y}:
            continue
        # Stamps coarser than the round trip (a syslog second, a boot anchor) widen
        # each bound by what they leave open: never a claim the lines cannot hold.
        slack = p.slack_s
        if p.strict:
            if p.recv.node == x:  # Y -> X: d <= t_recv - t_send
                ref, value, upper = p.recv, p.delta_s + slack, True
            else:  # X -> Y: d >= t_send - t_recv
                ref, value, upper = p.send, -p.delta_s - slack, False
        else:
            ref = p.recv if p.recv.node == x else p.send
            value = p.delta_s if p.recv.node == x else -p.delta_s
            upper = True
        assert value is not None and ref.local_ns is not None
        out.append(
            Bound(
                ref.local_ns / 1e9,
                value,
                upper,
                p,
                ref.row,
                _epoch(epochs, ref.row),
                p.strict,
                WEAK_WIDTH_S + slack,
            )
        )
    # X's own order is its counter, not its clock: a clock stepped back must not reorder.
    out.sort(key=lambda b: (b.epoch, b.row))
    return out


def _epoch(epochs: np.ndarray, row: int) -> int:
    return int(epochs[row]) if 0 <= row < len(epochs) else 1


def fit_pair(
    bounds: list[Bound], conflicts: list[Conflict], node: str
) -> tuple[list[Fit], list[tuple[Fit, Fit]]]:
    """Segments of ``d`` for one pair of nodes; returns the fits and the steps between
    consecutive fits of one epoch."""
    fits: list[Fit] = []
    steps: list[tuple[Fit, Fit]] = []
    for epoch in sorted({b.epoch for b in bounds}):
        chunk = [b for b in bounds if b.epoch == epoch]
        strict = [b for b in chunk if b.strict]
        use = strict if strict else chunk
        basis = "2pc/bitmap" if strict else "handshake"
        groups = _drop_outliers(_sweep(use, conflicts, node), conflicts, node)
        epoch_fits = [_estimate(g, epoch, basis) for g in groups]
        steps.extend(itertools.pairwise(epoch_fits))
        fits.extend(epoch_fits)
    return fits, steps


def _sweep(bounds: list[Bound], conflicts: list[Conflict], node: str) -> list[list[Bound]]:
    groups: list[list[Bound]] = []
    current: list[Bound] = []
    t0 = bounds[0].t if bounds else 0.0
    poly = _initial_poly()
    i = 0
    while i < len(bounds):
        b = bounds[i]
        clipped = _apply(poly, b, t0)
        if clipped:
            current.append(b)
            poly = clipped
            i += 1
            continue
        ahead = bounds[i + 1 : i + 1 + LOOK_AHEAD]
        later = poly
        for nb in ahead:
            later = _apply(later, nb, t0) if later else later
        if not ahead or later:
            # The pairs after this one still agree with what came before: this one
            # contradicts the rest, it is not a step.
            conflicts.append(Conflict(node, b.pair, _against(current, b), _conflict_reason(b)))
            i += 1
            continue
        groups.append(current)
        current, t0, poly = [b], b.t, _apply(_initial_poly(), b, b.t)
        i += 1
    if current:
        groups.append(current)
    return groups


def _feasible(bounds: list[Bound]) -> bool:
    if not bounds:
        return True
    poly, t0 = _initial_poly(), bounds[0].t
    for b in bounds:
        poly = _apply(poly, b, t0)
        if not poly:
            return False
    return True


def _drop_outliers(
    groups: list[list[Bound]], conflicts: list[Conflict], node: str
) -> list[list[Bound]]:
    """A group of one or two pairs that the many pairs around it contradict is a bad
    stamp (a line flushed late), not two clock steps: its pairs are conflicts, and the
    groups around it join again when together they fit one line. The largest consistent
    set wins; one bad stamp never drags an offset, not even at the start."""
    changed = True
    while changed and len(groups) > 1:
        changed = False
        for i, g in enumerate(groups):
            if sum(b.strict for b in g) > OUTLIER_MAX:
                continue
            prev = groups[i - 1] if i > 0 else []
            nxt = groups[i + 1] if i + 1 < len(groups) else []
            around = prev + nxt
            if sum(b.strict for b in around) < LOOK_AHEAD:
                continue
            if prev and nxt and not _feasible(prev + nxt):
                continue  # two real steps with a short stretch between: keep it
            for b in g:
                conflicts.append(Conflict(node, b.pair, _against(around, b), _conflict_reason(b)))
            merged = [*prev, *nxt]
            groups[max(i - 1, 0) : i + 2] = [merged] if merged else []
            changed = True
            break
    return groups


def _against(current: list[Bound], b: Bound) -> list[Pair]:
    """The bounds on the other side that this one crosses (the tightest few)."""
    other = [c for c in current if c.strict and c.upper != b.upper]
    if b.upper:
        crossing = sorted((c for c in other if c.value > b.value), key=lambda c: -c.value)
    else:
        crossing = sorted((c for c in other if c.value < b.value), key=lambda c: c.value)
    return [c.pair for c in crossing[:3]]


def _conflict_reason(b: Bound) -> Msg:
    p = b.pair
    return Msg(
        "{pair}{tid}: {recv} logged the receive {delta} s after {send} logged the send, on "
        "their own clocks, which no offset that fits the other pairs allows",
        pair=p.kind,
        tid=f" {p.tid}" if p.tid else "",
        recv=p.recv.node,
        delta=f"{p.delta_s:+.6f}",
        send=p.send.node,
    )


def _estimate(group: list[Bound], epoch: int, basis: str) -> Fit:
    t0 = group[0].t
    poly = _initial_poly()
    for b in group:
        poly = _apply(poly, b, t0) or poly
    first_row = min(b.row for b in group)
    last_row = max(b.row for b in group)
    uppers = [b.value + (0 if b.strict else b.width) for b in group if b.upper or not b.strict]
    lowers = [b.value - (0 if b.strict else b.width) for b in group if not b.upper or not b.strict]
    b_values = [v[1] for v in poly]
    constant_ok = min(b_values) <= 0 <= max(b_values)
    if not lowers or not uppers:
        # One direction only: the offset is bounded on one side. Its point is what the
        # messages of that direction say with a LAN's one-way latency: the stamps'
        # difference (the bound less the stamps' resolution), never past the bound. With
        # 1 s stamps that is the middle of what they allow, not the bound's far edge.
        side = "upper" if uppers else "lower"
        strict = [b for b in group if b.strict]
        if uppers:
            a = min(b.value - b.pair.slack_s for b in strict if b.upper) - ONE_WAY_S
        else:
            a = max(b.value + b.pair.slack_s for b in strict if not b.upper) + ONE_WAY_S
        edge = [(min(uppers) if uppers else max(lowers), 0.0)]
        return Fit(first_row, last_row, epoch, t0, a, 0.0, group, edge, basis, one_sided=side)
    if constant_ok:
        lo, hi = max(lowers), min(uppers)
        a = (lo + hi) / 2
        flat = [(lo, 0.0), (hi, 0.0)]
        return Fit(first_row, last_row, epoch, t0, a, 0.0, group, flat, basis)
    a, b_ppm = _max_margin(group, t0)
    return Fit(first_row, last_row, epoch, t0, a, b_ppm, group, poly, basis)


def _max_margin(group: list[Bound], t0: float) -> tuple[float, float]:
    """The line (a, b) with the largest distance to every bound (variables a, b, m)."""
    rows, rhs = [], []
    for b in group:
        c = (b.t - t0) * 1e-6
        if not b.strict:
            rows.append([1.0, c, 1.0])
            rhs.append(b.value + b.width)
            rows.append([-1.0, -c, 1.0])
            rhs.append(-(b.value - b.width))
        elif b.upper:
            rows.append([1.0, c, 1.0])
            rhs.append(b.value)
        else:
            rows.append([-1.0, -c, 1.0])
            rhs.append(-b.value)
    # Imported here: SciPy's optimize takes a quarter of a second to load, and most runs
    # (one pair of nodes with a few bounds) never get this far.
    from scipy.optimize import linprog

    res = linprog(
        c=[0.0, 0.0, -1.0],
        A_ub=np.array(rows),
        b_ub=np.array(rhs),
        bounds=[(None, None), (-MAX_DRIFT_PPM, MAX_DRIFT_PPM), (None, 1.0)],
        method="highs",
    )
    if not res.success:  # cannot happen for a non-empty polygon; be safe
        vals = [b.value for b in group]
        return float(np.median(vals)), 0.0
    return float(res.x[0]), float(res.x[1])


# -- all nodes ----------------------------------------------------------------------------


@dataclass
class NodeClock:
    """What align needs of a node besides the evidence: its rows' times and epochs."""

    name: str
    local_ns: np.ndarray  # by row; nulls filled from the nearest earlier row
    epochs: np.ndarray  # by row
    lines: pl.DataFrame  # row, file, line, seq, local_ns: for naming step locations
    timed: np.ndarray  # by row: the row has a time of its own

    @classmethod
    def of(cls, name: str, frame: pl.DataFrame) -> NodeClock:
        times = frame.select(
            pl.col("local_time").cast(pl.Int64).forward_fill().backward_fill().fill_null(0)
        ).to_series()
        return cls(
            name,
            times.to_numpy(),
            frame["epoch"].to_numpy(),
            frame.select(
                "row", "file", "line", "seq", local_ns=pl.col("local_time").cast(pl.Int64)
            ),
            frame["local_time"].is_not_null().to_numpy(),
        )

    @property
    def rows(self) -> int:
        return len(self.local_ns)

    def row_at(self, t_s: float) -> int:
        return int(np.searchsorted(self.local_ns, int(t_s * 1e9), side="left"))

    def epoch_ranges(self) -> list[tuple[int, int, int]]:
        """(epoch, first row, last row) for each epoch in row order."""
        if self.rows == 0:
            return []
        change = np.flatnonzero(np.diff(self.epochs)) + 1
        starts = [0, *change.tolist()]
        ends = [*(s - 1 for s in change.tolist()), self.rows - 1]
        return [(int(self.epochs[s]), s, e) for s, e in zip(starts, ends, strict=True)]


def align(
    clocks: list[NodeClock],
    pairs: list[Pair],
    reference: str,
    manual: dict[str, float] | None = None,
) -> tuple[Alignment, dict[str, np.ndarray]]:
    """The cluster's clocks aligned to ``reference``, and each node's per-row offset (s,
    NaN where a row has none) for the timeline. The per-row offsets are a value of their
    own, not a field of the alignment: the timeline takes them into its ``offset_s``
    column, and nothing needs them after that."""
    manual = manual or {}
    by_name = {c.name: c for c in clocks}
    result = Alignment(reference=reference, nodes={}, pairs=pairs)
    conflicts: list[Conflict] = []
    # Pairwise fits, computed as the path search needs them.
    cache: dict[tuple[str, str], tuple[list[Fit], list[tuple[Fit, Fit]]]] = {}

    def fits(x: str, y: str):
        if (x, y) not in cache:
            bounds = bounds_between(pairs, x, y, by_name[x].epochs)
            cache[(x, y)] = fit_pair(bounds, conflicts, x) if bounds else ([], [])
        return cache[(x, y)]

    strict_count: dict[frozenset, int] = {}
    weak_count: dict[frozenset, int] = {}
    for p in pairs:
        key = frozenset((p.send.node, p.recv.node))
        (strict_count if p.strict else weak_count)[key] = (
            strict_count if p.strict else weak_count
        ).get(key, 0) + 1

    ref_clock = by_name[reference]
    result.nodes[reference] = NodeAlignment(
        reference, [_whole(ref_clock, 0.0, "reference")], aligned=True, reference=True
    )
    done = {reference}
    # Widest evidence first: a node joins through the aligned node it shares most with.
    while True:
        best = None
        for c in clocks:
            if c.name in done:
                continue
            for y in done:
                key = frozenset((c.name, y))
                score = (strict_count.get(key, 0), weak_count.get(key, 0))
                if score > (0, 0) and (best is None or score > best[0]):
                    best = (score, c.name, y)
        if best is None:
            break
        _, x, y = best
        xfits, _ = fits(x, y)
        if not xfits:
            break
        result.nodes[x] = _compose(by_name[x], xfits, result.nodes[y], by_name[y], y, reference)
        done.add(x)
    for c in clocks:
        if c.name not in result.nodes:
            result.nodes[c.name] = NodeAlignment(
                c.name,
                [_whole(c, None, "unaligned")],
                aligned=False,
                note="no evidence shared with the reference, directly or through another node",
            )
    for name, seconds in manual.items():
        if name in result.nodes and name != reference:
            na = result.nodes[name]
            evidence_seg = na.main
            seg = _whole(by_name[name], seconds, "manual")
            if evidence_seg is not None:
                seg.lower_s, seg.upper_s = evidence_seg.lower_s, evidence_seg.upper_s
                seg.evidence = sum(s.evidence for s in na.segments)
            result.nodes[name] = NodeAlignment(name, [seg], aligned=True, manual=True)
    result.conflicts = conflicts
    _causal_check(result)
    for na in result.nodes.values():
        _timezone(na, by_name)
    row_offsets = _finish_clock(result, clocks)
    return result, row_offsets


def _whole(clock: NodeClock, offset: float | None, basis: str) -> Segment:
    return Segment(
        clock.name,
        0,
        max(clock.rows - 1, 0),
        int(clock.local_ns[0]) if clock.rows else None,
        int(clock.local_ns[-1]) if clock.rows else None,
        int(clock.epochs[0]) if clock.rows else 1,
        offset,
        0.0 if offset is not None else None,
        offset,
        offset,
        basis=basis,
    )


def _compose(
    clock: NodeClock,
    xfits: list[Fit],
    via: NodeAlignment,
    yclock: NodeClock,
    y: str,
    reference: str,
) -> NodeAlignment:
    """X's segments on the reference clock: d(X vs Y) plus Y's own offset, per epoch."""
    na = NodeAlignment(clock.name, aligned=True)
    # Row ranges: each fit covers from its first bound's row (or the epoch start) up to
    # the row before the next fit; a step splits where X's own times jump, if they do.
    ranges: list[tuple[Fit, int, int]] = []
    fits_by_epoch: dict[int, list[Fit]] = {}
    for f in xfits:
        fits_by_epoch.setdefault(f.epoch, []).append(f)
    for epoch, first, last in clock.epoch_ranges():
        efits = fits_by_epoch.get(epoch, [])
        if not efits:
            ranges.append((None, first, last))  # type: ignore[arg-type]
            continue
        starts = [first]
        for prev, nxt in itertools.pairwise(efits):
            place = _step_place(clock, prev, nxt)
            starts.append(place.split)
            na.steps.append(place.step)
        ends = [s - 1 for s in starts[1:]] + [last]
        for f, s, e in zip(efits, starts, ends, strict=True):
            ranges.append((f, s, e))
    for f, first, last in ranges:
        start_ns, end_ns = int(clock.local_ns[first]), int(clock.local_ns[last])
        epoch = int(clock.epochs[first])
        if f is None:
            na.segments.append(
                Segment(
                    clock.name,
                    first,
                    last,
                    start_ns,
                    end_ns,
                    epoch,
                    None,
                    None,
                    None,
                    None,
                    basis="carried",
                )
            )
            continue
        t_start, t_end = start_ns / 1e9, end_ns / 1e9
        d_start, d_end = f.at(t_start), f.at(t_end)
        lo, hi = f.range_at(t_start)
        y_start = _offset_on(via, yclock, t_start - d_start)
        y_end = _offset_on(via, yclock, t_end - d_end)
        if y_start is None or y_end is None:
            continue
        (ys, ylo, yhi), (ye, _, _) = y_start, y_end
        off_start, off_end = d_start + ys, d_end + ye
        span = t_end - t_start
        drift = (off_end - off_start) / span * 1e6 if span > 0 and (f.b_ppm or ye != ys) else 0.0
        seg = Segment(
            clock.name,
            first,
            last,
            start_ns,
            end_ns,
            epoch,
            off_start,
            drift,
            None if lo is None or ylo is None else lo + ylo,
            None if hi is None or yhi is None else hi + yhi,
            evidence=sum(1 for b in f.bounds if b.strict),
            weak_evidence=sum(1 for b in f.bounds if not b.strict),
            basis=f.basis,
            via=[] if y == reference else [y, *via.segments[0].via],
            one_sided=f.one_sided or via.segments[0].one_sided,
        )
        na.segments.append(seg)
    _carry(na)
    return na


def _offset_on(na: NodeAlignment, clock: NodeClock, t_s: float):
    """Y's offset at Y-local time ``t_s`` with its bounds (absolute), or None."""
    row = min(max(clock.row_at(t_s), 0), max(clock.rows - 1, 0))
    seg = next((s for s in na.segments if s.first_row <= row <= s.last_row), None)
    if seg is None or seg.offset_s is None:
        return None
    off = seg.offset_at(int(t_s * 1e9))
    assert off is not None
    if seg.basis == "reference":
        return off, off, off
    # A drifting segment's bounds keep their width along the line.
    lo = None if seg.lower_s is None else off + (seg.lower_s - seg.offset_s)
    hi = None if seg.upper_s is None else off + (seg.upper_s - seg.offset_s)
    return off, lo, hi


def _carry(na: NodeAlignment) -> None:
    """A stretch with no evidence of its own (a driver load nothing crossed) takes the
    offset of the nearest aligned stretch, marked ``carried`` and without bounds."""
    aligned = [s for s in na.segments if s.offset_s is not None]
    for seg in na.segments:
        if seg.offset_s is not None or not aligned:
            continue
        nearest = min(aligned, key=lambda s: abs(s.first_row - seg.first_row))
        seg.offset_s = nearest.offset_at(seg.start_ns)
        seg.drift_ppm = 0.0
        seg.basis = "carried"
        seg.via = list(nearest.via)


@dataclass
class _Place:
    split: int
    step: Step


def _needs(group: list[Bound], other: Fit) -> list[Bound]:
    """The strict bounds of ``group`` that ``other``'s offset line would break."""
    out = []
    for b in group:
        if not b.strict:
            continue
        d = other.at(b.t)
        if (b.upper and d > b.value) or (not b.upper and d < b.value):
            out.append(b)
    return out


def _step_place(clock: NodeClock, prev: Fit, nxt: Fit) -> _Place:
    """Where a step between two fits falls among X's rows: after the last row whose
    evidence needs the old offset and no later than the first whose evidence needs the
    new one (so every evidence line keeps an offset its pairs allow); inside that
    interval, at the one jump of X's own time as large as the step if there is exactly
    one, else at the first line that needs the new offset."""
    old = _needs(prev.bounds, nxt) or prev.bounds
    new = _needs(nxt.bounds, prev) or nxt.bounds
    lo = max(b.row for b in old)
    hi = min(b.row for b in new)
    if hi <= lo:  # cannot happen with bounds in row order; keep the fits' own order
        lo, hi = prev.last_row, max(nxt.first_row, prev.last_row + 1)
    t_step = clock.local_ns[hi] / 1e9
    size = nxt.at(t_step) - prev.at(t_step)
    jump = _jump_index(clock, lo, hi, size)
    split = jump if jump is not None else hi
    before = next((b for b in old if b.row == lo), old[-1]).pair
    after = next((b for b in new if b.row == hi), new[0]).pair
    likely = None
    unsure = None
    if jump is not None:
        likely = (clock.lines.row(jump - 1, named=True), clock.lines.row(jump, named=True))
    elif hi - lo > 1:
        unsure = (lo + 1, hi - 1)
    step = Step(
        clock.name,
        size,
        _side_ref(before, clock.name),
        _side_ref(after, clock.name),
        likely,
        unsure,
    )
    return _Place(split, step)


def _jump_index(clock: NodeClock, lo: int, hi: int, size: float) -> int | None:
    """The row after X's own clock jumped by the step, when only one place in (lo, hi]
    can hold it: a step forward of s seconds sits in a gap of at least s between two
    lines, a step back in a gap below zero. With several such gaps the place is not
    known, and not guessed."""
    diffs = np.diff(clock.local_ns[lo : hi + 1]) / 1e9
    candidates = np.flatnonzero(diffs < 0) if size < 0 else np.flatnonzero(diffs >= size)
    if len(candidates) != 1:
        return None
    return lo + int(candidates[0]) + 1


def _side_ref(pair: Pair, node: str) -> Ref:
    return pair.recv if pair.recv.node == node else pair.send


# -- causal check ---------------------------------------------------------------------------


def _pair_times(result: Alignment, pairs: list[Pair]) -> tuple[np.ndarray, np.ndarray]:
    """Aligned send and receive times of ``pairs`` under the current segments: one
    vectorised pass a node through :func:`aligned_rows`."""
    times = {}
    for end in ("send", "recv"):
        out = np.zeros(len(pairs), dtype=np.int64)
        by_node: dict[str, list[int]] = {}
        for i, p in enumerate(pairs):
            by_node.setdefault(getattr(p, end).node, []).append(i)
        for node, idx in by_node.items():
            refs = [getattr(pairs[i], end) for i in idx]
            rows = np.array([r.row for r in refs], dtype=np.int64)
            local = np.array([r.local_ns for r in refs], dtype=np.int64)
            out[idx] = aligned_rows(result.nodes[node].segments, rows, local)[1]
        times[end] = out
    return times["send"], times["recv"]


def _checked(result: Alignment) -> list[Pair]:
    """The strict pairs the causal check can judge: both lines timed, both nodes aligned."""
    return [
        p
        for p in result.pairs
        if p.strict
        and p.send.local_ns is not None
        and p.recv.local_ns is not None
        and result.nodes[p.send.node].aligned
        and result.nodes[p.recv.node].aligned
    ]


def _gaps(result: Alignment, checked: list[Pair]) -> tuple[np.ndarray, np.ndarray]:
    """Per pair, receive minus send on the aligned clock (ns), and the two stamps'
    resolution (ns)."""
    send, recv = _pair_times(result, checked)
    slack = np.array([round(p.slack_s * 1e9) for p in checked], dtype=np.int64)
    return recv - send, slack


def _violations(result: Alignment) -> list[Pair]:
    """Strict pairs between aligned nodes whose receive shows before its send."""
    checked = _checked(result)
    if not checked:
        return []
    gap, slack = _gaps(result, checked)
    # A receive before its send by more than its two stamps' resolution allows.
    return [p for p, bad in zip(checked, gap + slack < 0, strict=True) if bad]


def _causal_check(result: Alignment) -> None:
    """Move offsets within their bounds until no receive precedes its send."""
    bad = _violations(result)
    result.violations_before = len(bad)
    for _ in range(4):
        if not bad:
            break
        needs: dict[tuple[str, int], list[Pair]] = {}
        for p in bad:
            node = p.recv.node if p.recv.node != result.reference else p.send.node
            seg = result.segment_for(node, (p.recv if node == p.recv.node else p.send).row)
            if seg is None or seg.basis in ("reference", "manual"):
                continue
            idx = result.nodes[node].segments.index(seg)
            needs.setdefault((node, idx), []).append(p)
        moved = False
        for (node, idx), ps in needs.items():
            seg = result.nodes[node].segments[idx]
            shift = _needed_shift(result, node, ps)
            new = seg.offset_s + shift
            lo = -np.inf if seg.lower_s is None else seg.lower_s
            hi = np.inf if seg.upper_s is None else seg.upper_s
            if lo - 1e-9 <= new <= hi + 1e-9:
                seg.offset_s = new
                seg.adjusted_s += shift
                result.adjustments.append(Adjustment(node, idx, shift, ps))
                moved = True
        bad = _violations(result)
        if not moved:
            break
    result.violating = bad
    result.violations_after = len(bad)
    checked = _checked(result)
    if checked:
        gap, slack = _gaps(result, checked)
        result.proven = int((gap > slack).sum())
        result.within_resolution = int(((gap <= slack) & (gap + slack >= 0)).sum())


def _needed_shift(result: Alignment, node: str, pairs: list[Pair]) -> float:
    """The least change of ``node``'s offset that puts every receive after its send."""
    shift = 0.0
    for p in pairs:
        s, r = result.aligned_ns(p.send), result.aligned_ns(p.recv)
        gap = (s - r) / 1e9 - p.slack_s + RESOLUTION_S
        # Raising the receiver's offset moves its lines earlier; the sender's, later.
        want = -gap if p.recv.node == node else gap
        if abs(want) > abs(shift):
            shift = want
    return shift


# -- time zones -------------------------------------------------------------------------------


def _timezone(na: NodeAlignment, clocks: dict[str, NodeClock]) -> None:
    seg = na.main
    if seg is None or seg.offset_s is None or na.reference or seg.one_sided:
        return
    quarters = round(seg.offset_s / TZ_STEP_S)
    residual = seg.offset_s - quarters * TZ_STEP_S
    if quarters == 0 or abs(residual) > TZ_TOLERANCE_S or abs(seg.offset_s) > TZ_MAX_S:
        return
    minutes = quarters * 15
    sign = "+" if minutes > 0 else "-"
    na.timezone = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    na.tz_offset_s = float(quarters * TZ_STEP_S)
    na.residual_s = residual
