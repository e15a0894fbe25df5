"""Stage 1, parse (kernel-log dialect), the clock: each kernel-log line's time on its
node's own clock and the width of the interval it stands for. ``kernlog`` reads the
stamps; these layers turn them into ``local_time``, in order over a host's frame:

* :func:`settle_years` gives syslog stamps (``Mar  3 15:04:20``) their year;
* :func:`windrbd_days` counts WinDRBD's dateless days;
* :func:`number_boots` numbers each host's boots (``boot``);
* :func:`place_lines` anchors the kernel's monotonic stamps to the wall clock per boot
  and piece and sets ``local_time`` and ``time_res_ns``.

Columns read (``kernlog``'s work columns): ``_hostkey`` (the line's host, "" for
none), ``format``, ``message``, ``wall_ns``, ``wall_res_ns``, ``mono_ns``,
``_mono_res``, ``_boot_id``, ``_month``, ``_mdclock``, ``_frac_ns``, ``_wdate``,
``_wtod``; written: ``wall_ns`` (given its year or day), ``boot`` u32, ``local_time``
datetime[ns], ``time_res_ns`` i64. Each function returns a new frame.

Clock. The kernel stamps a line with its monotonic clock M (seconds since boot); a
syslog daemon stamps it with the wall clock W when it *receives* the line, so
``W = B + M + d`` with B the wall time of boot and d >= 0 the receive delay. A stamp of
resolution r means the receipt fell in ``[W, W + r)``. Every line carrying both bounds B:
``B < W + r - M`` always, and ``B >= W - M - D`` if the delay is at most D
(:data:`RECEIVE_DELAY_NS`, assumed 100 ms). A line provably later than that (its
``W - M`` above the tightest upper bound plus D: the boot backlog a syslog daemon reads
when it starts, a stalled daemon) gives no lower bound. The lines of one host and boot
are cut into pieces (a jump of ``W - M`` by more than a second plus D plus r: an NTP step
or a suspend, since the kernel clock stops while suspended; and at most
:data:`PIECE_NS` of kernel time each, so that the kernel clock's drift against the
NTP-disciplined wall clock stays small inside a piece), and each piece's lines intersect
their bounds into ``[L, U]``: ``local_time = (L + U) / 2 + M`` and ``time_res_ns = U - L``
(never below the kernel stamps' resolution). Many lines at different sub-second phases
narrow a 1 s stamp's interval; nothing makes it narrower than the lines allow. Within a
piece, the relative times of lines are the kernel's (1 µs).

A line with a wall stamp only: ``local_time = wall``, ``time_res_ns = wall_res_ns`` (the
receipt fell in ``[local_time, local_time + res)``). A line with a monotonic stamp only,
on a host and boot no line anchors: ``local_time = 1970-01-01 + M`` with a notice (the
alignment stage places such a node by protocol evidence). A line with no stamp:
``local_time`` null. ``dmesg -T`` stamps are computed by dmesg from the boot time and can
drift: they are 1 s wall stamps. Syslog stamps without a year take it from ``year`` (the
first such line's year), else from the file's modification time (the last such line's
year), else the current year, and roll over from December to January; a notice says
which. WinDRBD's ``U00:42:01.084`` is the UTC time of day (``KeQuerySystemTime``), its
``#267`` a counter of printk calls since the driver loaded (``seq``), its optional
``(ticks/frequency)`` the performance counter since boot (``mono_ns``); without a date,
days are counted from 1970-01-01 where the time of day falls back, with a notice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from correlate.errors import Notices
from correlate.i18n import Msg
from correlate.read.sources import LogFile
from correlate.times import NS as S

# The largest receive delay (kernel printk -> syslog daemon's stamp) assumed for lines
# that are not provably later: the lower bound of the boot time rests on it.
RECEIVE_DELAY_NS = 100_000_000
# W - M jumping by more than this (plus D plus the stamp's resolution) between two lines
# of one boot is a clock step (NTP step, suspend), not delay jitter.
STEP_NS = 1_000_000_000
# One boot's anchor is estimated per piece of at most this much kernel time: a kernel
# clock running 20 ppm off the wall clock moves 12 ms in 10 minutes.
PIECE_NS = 600 * 1_000_000_000
# A monotonic stamp falling back by more than this is a new boot (lines of one boot can
# come slightly out of order from several CPUs or through syslog).
BOOT_FALLBACK_NS = 1_000_000_000
# journalctl's marker between boots, a line of its own.
_REBOOT_MARKER = r"^-- (?:Reboot|Boot [0-9a-f]+) --$"


# -- wall clock without a year ----------------------------------------------------------


def settle_years(
    frame: pl.DataFrame, log: LogFile, year: int | None, notices: Notices, node: str
) -> pl.DataFrame:
    """Give syslog stamps (``Mar  3 15:04:20``) their year: a month falling back by half
    a year or more between two such lines is a new year."""
    rows = pl.col("_month").is_not_null()
    prev = pl.col("_month").forward_fill().shift(1)
    roll = (rows & (pl.col("_month") <= prev - 6)).fill_null(False).cast(pl.Int32)
    stats = frame.select(
        n=rows.sum(),
        rolls=roll.sum(),
        last=pl.col("_month").drop_nulls().last(),
        last_md=pl.col("_mdclock").cast(pl.String).drop_nulls().last(),
    ).row(0, named=True)
    if not stats["n"]:
        return frame
    rolls = int(stats["rolls"])
    if year is not None:
        base, why = year, Msg("year {year} as given, for the first stamp", year=year)
    else:
        mtime = (
            datetime.fromtimestamp(log.mtime) if getattr(log, "mtime", None) is not None else None
        )
        if mtime is None and log.path is not None:
            try:
                mtime = datetime.fromtimestamp(log.path.stat().st_mtime)
            except OSError:
                mtime = None
        last_month = int(stats["last"])
        if mtime is not None:
            # The last stamp is no later than the file's last write: if it would be in
            # the write's year (a "Dec 14" line in a file written on Dec 7), it is of the
            # year before. A day's slack covers a clock or zone difference.
            last_year = mtime.year if last_month <= mtime.month else mtime.year - 1
            if last_year == mtime.year and stats["last_md"]:
                try:
                    last = datetime.strptime(f"{last_year} {stats['last_md']}", _YEAR_STAMP)
                except ValueError:
                    last = None
                if last is not None and last > mtime + timedelta(days=1):
                    last_year -= 1
            why = Msg(
                "year {year} for the last stamp, from the file's modification time",
                year=last_year,
            )
        else:
            last_year = datetime.now().year
            why = Msg(
                "year {year} for the last stamp: the current year (no file time known)",
                year=last_year,
            )
        base = last_year - rolls
    rolled = Msg(" ({count} new year(s) inside the file)", count=rolls) if rolls else ""
    notices.note(
        Msg(
            "{display}: syslog stamps carry no year; assumed {why}{rolled}",
            display=log.display,
            why=why,
            rolled=rolled,
        ),
        node,
    )
    # Over the whole frame (no join): rows without a month keep their wall stamp.
    md = pl.col("_mdclock")
    if rolls:
        stamp = pl.concat_str(
            [(roll.cum_sum() + base).cast(pl.String), md.cast(pl.String)], separator=" "
        ).str.strptime(pl.Datetime("ns"), _YEAR_STAMP, strict=False)
    else:
        # One year (the usual file): each distinct stamp is parsed once.
        seen = frame.select(md.drop_nulls().unique()).to_series()
        parsed = (f"{base} " + seen.cast(pl.String)).str.strptime(
            pl.Datetime("ns"), _YEAR_STAMP, strict=False
        )
        stamp = md.to_physical().replace_strict(
            seen.to_physical(), parsed.cast(pl.Int64), default=None, return_dtype=pl.Int64
        )
    return frame.with_columns(
        wall_ns=pl.coalesce(pl.col("wall_ns"), stamp.cast(pl.Int64) + pl.col("_frac_ns"))
    )


_YEAR_STAMP = "%Y %b %d %H:%M:%S"


# A relayed WinDRBD line: its inner stamp (UTC, ms) was written when it was sent, the
# syslog stamp (the relay's zone, s, cut to the second) when it arrived. A line arrives
# after it was written: the arrival may lie up to 1 s before the inner stamp (the cut),
# and after it by the relay's delay, which WinDRBD itself can stretch (lines logged in
# interrupt context are held and sent later: "[last 2 messages were in IRQ context or
# recursive]", 7.4 s late in LINBIT/windrbd#7). Any delay short of half a quarter hour
# leaves the zone unambiguous; one past RELAY_PROMPT_NS is said in the note.
QUARTER_NS = 15 * 60 * S
RELAY_WINDOW_NS = (-1 * S, QUARTER_NS // 2)
RELAY_PROMPT_NS = 3 * S
DAY_NS = 86400 * S


def relayed_windrbd(frame: pl.DataFrame, notices: Notices, node: str, display: str) -> pl.DataFrame:
    """WinDRBD lines relayed to a syslog host carry two stamps: the syslog daemon's
    (arrival, the relay's zone, 1 s) and WinDRBD's own inside the message (``_itod``: the
    UTC time of day when it was written, 1 ms). The two zones differ by whole quarter hours
    (the rule of every zone), and a line arrives after it was written: the relay's zone is
    the quarter hour nearest the smallest arrival minus inner time of day (the promptest
    line's; a median would take a burst of held lines for the zone); a line whose arrival
    lies within :data:`RELAY_WINDOW_NS` of its inner stamp under that zone takes the inner
    stamp as its time, on the relay's clock (the file's other lines keep theirs), at 1 ms.
    A file whose lines do not agree on one zone keeps the arrival stamps, and a note says
    so."""
    if "_itod" not in frame.columns:
        return frame
    inner = pl.col("_itod").is_not_null() & pl.col("wall_ns").is_not_null()
    if not frame.select(inner.any()).item():
        return frame
    # Arrival's time of day minus the inner one, wrapped into half a day either way.
    delta = ((pl.col("wall_ns") % DAY_NS) - pl.col("_itod") + DAY_NS // 2) % DAY_NS - DAY_NS // 2
    deltas = frame.filter(inner).select(delta.alias("d"))["d"]
    zone = round(float(deltas.min()) / QUARTER_NS) * QUARTER_NS
    residual = delta - zone
    fits = inner & residual.is_between(*RELAY_WINDOW_NS)
    shape = frame.select(
        n=inner.sum(),
        ok=fits.sum(),
        late=(fits & (residual > RELAY_PROMPT_NS)).sum(),
        most=pl.when(fits).then(residual).max(),
    ).row(0, named=True)
    if shape["ok"] < shape["n"] / 2:
        notices.note(
            Msg(
                "{display}: relayed WinDRBD lines' own stamps do not agree on one zone "
                "with the syslog stamps; the syslog stamps are kept",
                display=display,
            ),
            node,
        )
        return frame
    hours = zone / 3600 / S
    notices.note(
        Msg(
            "{display}: {count} relayed WinDRBD line(s) timed by their own UTC stamp (1 ms) "
            "on the relay's clock (UTC{zone} h), the syslog stamp kept in stamp",
            display=display,
            count=shape["ok"],
            zone=f"{hours:+g}",
        ),
        node,
    )
    if shape["late"]:
        notices.note(
            Msg(
                "{display}: {count} of them arrived late, up to {seconds} s after they were "
                "written (the relay or WinDRBD held them): their own stamp is their time",
                display=display,
                count=shape["late"],
                seconds=f"{shape['most'] / S:.1f}",
            ),
            node,
        )
    return frame.with_columns(
        wall_ns=pl.when(fits).then(pl.col("wall_ns") - residual).otherwise(pl.col("wall_ns")),
        wall_res_ns=pl.when(fits).then(pl.lit(1_000_000, pl.Int64)).otherwise("wall_res_ns"),
        _stamp0=pl.when(fits & pl.col("_istamp").is_not_null())
        .then(pl.concat_str([pl.coalesce("_stamp0", "stamp"), pl.lit(" "), pl.col("_istamp")]))
        .otherwise(pl.col("_stamp0")),
    )


def windrbd_days(frame: pl.DataFrame, notices: Notices, node: str, display: str) -> pl.DataFrame:
    """WinDRBD stamps without a date: count days where the time of day falls back by
    more than 12 hours, from 1970-01-01 (UTC)."""
    undated = pl.col("_wtod").is_not_null() & pl.col("_wdate").is_null()
    n = frame.select(undated.sum()).item()
    if not n:
        return frame.with_columns(wall_ns=pl.coalesce(pl.col("wall_ns"), pl.col("_wdate")))
    tod = pl.when(undated).then(pl.col("_wtod")).forward_fill()
    day = (tod < tod.shift(1) - 12 * 3600 * S).fill_null(False).cum_sum()
    notices.note(
        Msg(
            "{display}: WinDRBD stamps give the UTC time of day only; dates are "
            "unknown, so days are counted from 1970-01-01 (the alignment stage "
            "places the node by evidence)",
            display=display,
        ),
        node,
    )
    return frame.with_columns(
        wall_ns=pl.coalesce(
            pl.col("wall_ns"),
            pl.col("_wdate"),
            pl.when(undated).then(pl.col("_wtod") + day.cast(pl.Int64) * 86400 * S),
        )
    )


# -- dmesg --reltime: a minute stamp, then deltas ------------------------------------------

# dmesg -H prints a record's minute (``%b%e %H:%M``) when it differs from the previous
# record's, else the delta since that record: a run is a minute line and the delta
# lines after it, all inside that minute. dmesg computes the minute from the boot time's
# and the record's whole seconds, dropping both fractions: up to 2 s more.
RELTIME_MINUTE_NS = 62 * S
# Each printed delta is rounded to the microsecond.
RELTIME_DELTA_RES_NS = 1_000


def reltime_runs(frame: pl.DataFrame, notices: Notices, node: str, display: str) -> pl.DataFrame:
    """``dmesg -H`` / ``--reltime`` lines (``format`` ``dmesg-reltime``): each line's time
    is its run's minute plus the deltas summed since it (``wall_ns``, after
    :func:`settle_years` gave the minute its year). Every line of a run lies in the
    minute, so the minute line lies in ``[M, M + 62 s - S)``, S the run's largest sum:
    ``wall_res_ns`` is that width plus 1 µs per delta summed. Lines before the file's
    first minute stamp are relative only: with a minute stamp elsewhere in the file they
    have no time (how long before it they came is not written); in a file without any,
    their summed deltas are a monotonic stamp from the first line (``mono_ns``: the
    clock counts them from 1970-01-01, as a bare dmesg), with a notice either way."""
    rel = pl.col("format") == "dmesg-reltime"
    shape = frame.select(rel=rel.sum(), minutes=(rel & pl.col("_month").is_not_null()).sum()).row(
        0, named=True
    )
    if not shape["rel"]:
        return frame
    minute = rel & pl.col("_month").is_not_null()
    step = rel & ~minute & pl.col("_delta_ns").is_not_null()
    run = minute.cast(pl.UInt32).cum_sum().over("_hostkey")
    frame = frame.with_columns(
        _run=run,
        _d=pl.when(step).then(pl.col("_delta_ns")).otherwise(0),
        _n=step.cast(pl.Int64),
    )
    keys = ["_hostkey", "_run"]
    summed = pl.col("_d").cum_sum().over(keys)
    frame = frame.with_columns(_sum=summed, _count=pl.col("_n").cum_sum().over(keys))
    widest = pl.when(rel).then(pl.col("_sum")).max().over(keys)
    anchor = pl.when(minute).then(pl.col("wall_ns")).max().over(keys)
    width = (RELTIME_MINUTE_NS - widest).clip(lower_bound=RELTIME_DELTA_RES_NS)
    placed = rel & (pl.col("_run") > 0)
    before = rel & (pl.col("_run") == 0)
    alone = shape["minutes"] == 0
    frame = frame.with_columns(
        wall_ns=pl.when(placed).then(anchor + pl.col("_sum")).otherwise(pl.col("wall_ns")),
        wall_res_ns=pl.when(placed)
        .then(width + pl.col("_count") * RELTIME_DELTA_RES_NS)
        .otherwise(pl.col("wall_res_ns")),
        mono_ns=pl.when(before & pl.lit(alone)).then(pl.col("_sum")).otherwise(pl.col("mono_ns")),
        _mono_res=pl.when(before & pl.lit(alone))
        .then((pl.col("_count") * RELTIME_DELTA_RES_NS).clip(lower_bound=RELTIME_DELTA_RES_NS))
        .otherwise(pl.col("_mono_res")),
    )
    n_before = frame.select(before.sum()).item()
    if n_before:
        why = (
            Msg(
                "local_time counts from 1970-01-01 + the deltas summed from the first "
                "line; the alignment stage must place this node by protocol evidence"
            )
            if alone
            else Msg(
                "they have no local_time (how long before that stamp they came is not written)"
            )
        )
        notices.note(
            Msg(
                "{display}: {n} dmesg --reltime line(s) before the first minute stamp "
                "carry only deltas from the line before: {why}",
                display=display,
                n=n_before,
                why=why,
            ),
            node,
        )
    return frame.drop("_run", "_d", "_n", "_sum", "_count")


# -- boots and the clock ------------------------------------------------------------------


def number_boots(frame: pl.DataFrame) -> pl.DataFrame:
    """Boot number per host: a journal boot id that changes, a journal ``-- Reboot --``
    marker, or a monotonic stamp falling back, starts a new boot."""
    key = pl.col("_hostkey")
    # What is absent costs nothing: one host needs no window, a file without journal
    # boot ids or stamp-less lines no test for them (the usual syslog file).
    shape = frame.select(
        hosts=key.n_unique(),
        ids=pl.col("_boot_id").is_not_null().any(),
        none=(pl.col("format") == "none").any(),
    ).row(0, named=True)

    def over(e: pl.Expr) -> pl.Expr:
        return e if shape["hosts"] == 1 else e.over(key)

    prev_mono = over(pl.col("mono_ns").forward_fill().shift(1))
    fell = pl.col("mono_ns").is_not_null() & (pl.col("mono_ns") < prev_mono - BOOT_FALLBACK_NS)
    prev_id = over(pl.col("_boot_id").forward_fill().shift(1))
    new_id = (
        pl.col("_boot_id").is_not_null() & prev_id.is_not_null() & (pl.col("_boot_id") != prev_id)
        if shape["ids"]
        else pl.repeat(False, pl.len())
    )
    marker = (
        (pl.col("format") == "none") & pl.col("message").str.contains(_REBOOT_MARKER)
        if shape["none"]
        else pl.repeat(False, pl.len())
    )
    if not frame.select((fell | new_id | marker).fill_null(False).any()).item():
        return frame.with_columns(boot=pl.lit(1, pl.UInt32))  # one boot: the usual file
    frame = frame.with_columns(
        _fell=fell.fill_null(False),
        _ev=(new_id | marker).fill_null(False).cast(pl.UInt32).cum_sum().over(key),
    )
    # A fallback after a boot-id change or marker (since the previous monotonic stamp)
    # is that same new boot, not another one.
    ev_before = (
        (pl.when(pl.col("mono_ns").is_not_null()).then(pl.col("_ev")).forward_fill().shift(1))
        .over(key)
        .fill_null(0)
    )
    fall = pl.col("_fell") & (pl.col("_ev") == ev_before)
    return frame.with_columns(
        boot=(pl.col("_ev") + fall.cast(pl.UInt32).cum_sum().over(key) + 1).cast(pl.UInt32)
    ).drop("_fell", "_ev")


def place_lines(frame: pl.DataFrame, notices: Notices, node: str, display: str) -> pl.DataFrame:
    """local_time and time_res_ns (see the module docstring), over whole columns: window
    aggregates per host, boot and piece instead of joins."""
    grp = ["_hostkey", "boot"]
    single = frame.select(pl.col("_hostkey").n_unique() * pl.col("boot").n_unique()).item() == 1

    def over(e: pl.Expr, *more: str) -> pl.Expr:
        # One host and one boot (the usual file): no grouping needed for the first keys.
        keys = list(more) if single else [*grp, *more]
        return e.over(keys) if keys else e

    both = pl.col("wall_ns").is_not_null() & pl.col("mono_ns").is_not_null()
    has_mono = pl.col("mono_ns").is_not_null()
    # The receive delay a line's wall stamp may carry: none for stamps taken where the
    # line was written (WinDRBD's and WDRBD's own logs, written by the driver; dmesg -T
    # and talosctl dmesg compute theirs from the boot time and the kernel's own stamp).
    at_printk = pl.col("format").is_in(["windrbd", "dmesg-T", "dmesg-iso", "dmesg-reltime"])
    if "_dialect" in frame.columns:
        at_printk = at_printk | pl.col("_dialect").is_in(["talos", "wdrbd"]).fill_null(False)
    delay = (
        pl.when(at_printk).then(pl.lit(0, pl.Int64)).otherwise(pl.lit(RECEIVE_DELAY_NS, pl.Int64))
    )
    e = pl.when(both).then(pl.col("wall_ns") - pl.col("mono_ns"))
    frame = frame.with_columns(_e=e, _d=delay)
    prev_e = over(pl.col("_e").forward_fill().shift(1))
    # A new piece only where W - M jumps up and stays up (a wall clock stepped forward, a
    # resume from suspend, when the kernel clock stood still). Lines received late (the
    # boot backlog a syslog daemon reads when it starts, a stalled daemon) raise W - M
    # for a while and fall back: they are late lines of one piece, placed by their
    # kernel stamps, not pieces of their own; a wall clock set back lowers W - M, and
    # the piece's anchor then follows the later, lower lines (the kernel clock runs on).
    threshold = STEP_NS + pl.col("_d") + pl.col("wall_res_ns")
    after = pl.min_horizontal(*(over(pl.col("_e").shift(-k)) for k in range(1, 4)))
    rises = both & (pl.col("_e") - prev_e > threshold)
    jump = rises & (pl.min_horizontal(pl.col("_e"), after) - prev_e > threshold)
    seg: tuple[str, ...] = ()
    if frame.select(rises.fill_null(False).any()).item():
        frame = frame.with_columns(_seg=over(jump.fill_null(False).cast(pl.Int64).cum_sum()))
        seg = ("_seg",)
    else:
        # No rise at all (the usual file): one piece of W - M, nothing to look ahead for.
        frame = frame.with_columns(_seg=pl.lit(0, pl.Int64))
    first = over(pl.when(both).then(pl.col("mono_ns")).min(), *seg)
    piece = pl.when(both).then(pl.col("_seg") * 1_000_000 + (pl.col("mono_ns") - first) // PIECE_NS)
    frame = frame.with_columns(_piece=piece)
    # Rows with a monotonic stamp but no wall stamp take the piece of the nearest anchored
    # row before them in the file (after them, at the start of a boot); a syslog file
    # with dmesg stamps has none.
    if frame.select((has_mono & pl.col("wall_ns").is_null()).any()).item():
        frame = frame.with_columns(
            _piece=pl.when(has_mono).then(over(pl.col("_piece").forward_fill().backward_fill()))
        )
    upper = over((pl.col("_e") + pl.col("wall_res_ns")).min(), "_piece")
    frame = frame.with_columns(_U=upper)
    # A line whose W - M lies above the tightest upper bound plus D came provably later
    # than D: it gives no lower bound.
    timely = both & (pl.col("_e") <= pl.col("_U") + pl.col("_d"))
    lower = over(pl.when(timely).then(pl.col("_e") - pl.col("_d")).max(), "_piece")
    # Many lines can pin the anchor closer than one stamp's resolution, never closer
    # than the kernel stamps themselves.
    floor = over(pl.when(both).then(pl.col("_mono_res")).max(), "_piece").fill_null(1)
    frame = frame.with_columns(_L=lower, _floor=floor)
    anchored = has_mono & pl.col("_U").is_not_null() & pl.col("_L").is_not_null()
    uptime_only = has_mono & ~anchored & pl.col("wall_ns").is_null()
    local = (
        pl.when(anchored)
        .then((pl.col("_L") + pl.col("_U")) // 2 + pl.col("mono_ns"))
        .when(pl.col("wall_ns").is_not_null())
        .then(pl.col("wall_ns"))
        .when(uptime_only)
        .then(pl.col("mono_ns"))
    )
    # time_res_ns: how far local_time may be from the moment the line was written,
    # either way (bounds widen by the two lines' values of a pair). An anchored line
    # sits in the middle of its interval; a wall stamp alone is the daemon's receipt:
    # the line was written up to the receive delay before it, or up to the stamp's
    # resolution after the stamp's own value.
    res = (
        pl.when(anchored)
        .then(pl.max_horizontal((pl.col("_U") - pl.col("_L") + 1) // 2, pl.col("_floor")))
        .when(pl.col("wall_ns").is_not_null())
        .then(pl.max_horizontal(pl.col("wall_res_ns"), pl.col("_d")))
        .when(uptime_only)
        .then(pl.col("_mono_res"))
    )
    frame = frame.with_columns(
        local_time=local.cast(pl.Datetime("ns")), time_res_ns=res, _uptime=uptime_only
    )
    lonely = (
        # dmesg --reltime's relative lines have their own notice (reltime_runs).
        frame.filter(pl.col("_uptime") & (pl.col("format") != "dmesg-reltime"))
        .group_by("_hostkey", maintain_order=True)
        .agg(pl.len())
        .rows()
    )
    for host, n in lonely:
        who = "" if host == "" else f" (host {host})"
        # A note: alone (one bare dmesg) there is nothing to align; beside other nodes
        # the alignment stage warns if the evidence cannot place it.
        notices.note(
            Msg(
                "{display}{who}: {n} line(s) carry only the kernel's uptime stamp and "
                "no line of that boot a wall-clock one: local_time counts from "
                "1970-01-01 + uptime; the alignment stage must place this node by "
                "protocol evidence",
                display=display,
                who=who,
                n=n,
            ),
            node,
        )
    return frame.drop("_e", "_d", "_seg", "_piece", "_U", "_L", "_floor", "_uptime")
