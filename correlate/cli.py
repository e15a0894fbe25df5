"""The ``bsrcorr`` command: options, progress on stderr, exit codes. No analysis here.

Exit codes: 0 ok; 1 ran, with warnings that matter; 2 usage error or unreadable input;
3 the bundle could not be written; 70 an internal error (a bug: the traceback is in
``OUT/bsrcorr-crash.txt``). Diagnostics go to stderr, one line each; the summary goes to
stdout.

Options are checked before any log is read: what needs only the options here, what needs
the node names in :func:`correlate.pipeline.check_nodes`, as soon as the sources resolve.
"""

from __future__ import annotations

import io
import math
import os
import platform
import sys
import traceback
from pathlib import Path
from typing import Any, NoReturn

import click

from correlate.analysis import Analysis, Bundle
from correlate.errors import (
    EXIT_INPUT,
    EXIT_OK,
    EXIT_OUTPUT,
    EXIT_SOFTWARE,
    EXIT_WARNINGS,
    BsrcorrError,
    Notices,
)
from correlate.i18n import N_, Msg, _
from correlate.pipeline import TIME_MAX_NS, TIME_MIN_NS, Options, analyse, listed_events, write
from correlate.render import pdf, text
from correlate.render.bundle import CRASH_FILE, json_text
from correlate.stopwatch import Stopwatch
from correlate.story import end_state
from correlate.times import fmt_ns, parse_iso

from . import __version__, i18n

PROGRESS_BYTES = 64 * 1024**2
# The largest --offset: a century either way. A larger clock difference is a mistyped
# number, and a century times 1e9 ns stays far inside a timestamp's 292 years.
MAX_OFFSET_S = 100 * 365.25 * 86_400


def _usage_error(message: str) -> NoReturn:
    # One line, as README promises for every diagnostic, instead of click's three-line
    # "Usage: ... Try ... Error: ..." block; click's own exit code for usage errors.
    hint = _("see bsrcorr --help")
    click.echo(f"bsrcorr: {_('error')}: {' '.join(message.split())} ({hint})", err=True)
    sys.exit(EXIT_INPUT)


COMMAND_HELP = N_(
    "Correlate the BSR or DRBD logs of a cluster's nodes into one timeline.\n\n"
    "Each SRC is one node: a log file (BSR's own bsr.log, or a DRBD/WinDRBD kernel log in "
    "syslog, journal or dmesg form), a directory of a node's bsr.log and rotated bsr.log_* "
    "files (or kern.log, syslog, messages), or a .zip/.tar.gz/.gz of those. NAME=SRC names "
    "the node; otherwise the file stem or directory name does. A kernel log holding several "
    "hosts' lines gives one node per host."
)


def _choose_language(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value:
        i18n.use(value)
    return value


class _Command(click.Command):
    """click's command with usage errors printed as bsrcorr's one-line diagnostics, from
    parsing the arguments (make_context) and from the checks in the callback (invoke);
    its help in the reader's language (the texts are catalog messages, translated when
    the help is shown: the language is known only then)."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        # The locale's language until --lang (eager) says otherwise: usage errors and
        # --help come before the command runs.
        i18n.use(i18n.default_language())
        try:
            return super().make_context(*args, **kwargs)
        except click.ClickException as exc:
            _usage_error(exc.format_message())

    # click lays help out by characters; these write it by terminal columns (text.wrap),
    # so that Korean lines fit the terminal as English ones do.
    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if self.help:
            formatter.write_paragraph()
            with formatter.indentation():
                indent = " " * formatter.current_indent
                for i, paragraph in enumerate(_(self.help).split("\n\n")):
                    if i:
                        formatter.write_paragraph()
                    for line in text.wrap(paragraph, formatter.width - len(indent)):
                        formatter.write(f"{indent}{line}\n")

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        pieces = self.collect_usage_pieces(ctx)
        formatter.write_usage(ctx.command_path, " ".join(pieces), _("Usage: "))

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for param in self.get_params(ctx):
            if not isinstance(param, click.Option):
                continue
            record = param.get_help_record(ctx)
            if record is not None:
                names, said = record
                english = getattr(param, "help", None) or ""
                # the option's own words translated; click's "[default: x]" as it is
                rows.append((names, said.replace(english, _(english), 1) if english else said))
        if not rows:
            return
        with formatter.section(_("Options")):
            # click's definition-list layout: names up to 30 columns, then the help.
            indent = formatter.current_indent
            first = min(max(len(names) for names, _said in rows), 30) + 2
            at = " " * (indent + first)
            for names, said in rows:
                lines = text.wrap(said, max(formatter.width - first - 2, 10)) or [""]
                if len(names) <= first - 2:
                    head = f"{' ' * indent}{names.ljust(first)}"
                else:
                    head = f"{' ' * indent}{names}\n{at}"
                formatter.write(f"{head}{lines[0]}\n")
                for line in lines[1:]:
                    formatter.write(f"{at}{line}\n")

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:
            _usage_error(exc.format_message())


class _Main(_Command):
    """The ``bsrcorr`` command: ``bsrcorr SRC...``, or ``bsrcorr draw OUT EPISODE...``
    when the first argument is ``draw`` (a node's log of that name: ``./draw``). One
    command, not a click group, so that ``bsrcorr node0.log node1.log`` stays exactly
    what it was."""

    def main(self, args: Any = None, prog_name: str | None = None, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        if argv[:1] == ["draw"]:
            # the name click would give this command (bsrcorr, python -m correlate)
            name = f"{prog_name or click.utils._detect_program_name()} draw"
            return draw_main.main(argv[1:], prog_name=name, **extra)
        return super().main(args, prog_name, **extra)


class _Progress:
    """A progress bar on stderr, only when stderr is a terminal and the input is large."""

    def __init__(self, total: int) -> None:
        self.bar = None
        if total >= PROGRESS_BYTES and sys.stderr.isatty():
            self.bar = click.progressbar(
                length=total, label="reading logs", file=sys.stderr, show_eta=True
            )
            self.bar.__enter__()

    def __call__(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _input_size(specs: tuple[str, ...]) -> int:
    total = 0
    for spec in specs:
        path = Path(spec.partition("=")[2] if "=" in spec and not Path(spec).exists() else spec)
        try:
            if path.is_file():
                total += path.stat().st_size
            elif path.is_dir():
                total += sum(p.stat().st_size for p in path.glob("**/bsr.log*") if p.is_file())
        except OSError:
            pass
    return total


@click.command(cls=_Main, help=COMMAND_HELP)
@click.argument("srcs", nargs=-1, required=True, metavar="SRC...")
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("bsrcorr-out"),
    show_default=True,
    help=N_("Output directory for the bundle."),
)
@click.option(
    "--max-extract-mb",
    type=click.IntRange(1),
    default=4096,
    show_default=True,
    help=N_("Cap on bytes decompressed from archives (zip-bomb guard)."),
)
@click.option(
    "--reference",
    metavar="NAME",
    help=N_("Node whose clock the timeline uses (default: the first SRC)."),
)
@click.option(
    "--offset",
    "offsets",
    multiple=True,
    metavar="NAME=SECONDS",
    help=N_(
        "Use this offset (node clock minus reference clock, a finite number of seconds "
        "within a century) instead of the evidence; shown as manual. Not for the reference "
        "node. Repeatable, once per node."
    ),
)
@click.option(
    "--timeline",
    "show_timeline",
    is_flag=True,
    help=N_(
        "Print the merged timeline to stdout (for less and grep) instead of the summary. "
        "The bundle is written all the same."
    ),
)
@click.option(
    "--events",
    "events_only",
    is_flag=True,
    help=N_(
        "With --timeline: protocol events only (terminated status polls are counted in "
        "summary.json, not listed)."
    ),
)
@click.option(
    "--diagrams",
    type=click.Choice(["auto", "all", "overview", "none"]),
    default="auto",
    show_default=True,
    help=N_(
        "Sequence diagrams to render. auto: every episode when there are at most 200; "
        "beyond that the overview, the episodes with a finding, a split brain or an "
        "unfinished command, and one episode of each shape standing for the others like it, "
        "at most 200 (each one left out names the drawn one like it). all: every episode and "
        "the overview; overview: the overview only; none: no diagram (faster when only the "
        "timeline is wanted). bsrcorr draw OUT NUMBER... draws any episode later."
    ),
)
@click.option(
    "--format",
    "out_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help=N_("What stdout gets: the text summary, or summary.json (not with --timeline)."),
)
@click.option(
    "--csv",
    "write_csv",
    is_flag=True,
    help=N_(
        "Also write OUT/timeline.csv (timeline.parquet is always written; on a large "
        "capture the CSV costs more than the parsing)."
    ),
)
@click.option(
    "--pdf",
    "write_pdf",
    is_flag=True,
    help=N_(
        "Also write OUT/report.pdf: the report printed (A4) by headless Chromium, which "
        "must be installed (Debian: apt-get install chromium)."
    ),
)
@click.option(
    "--only",
    type=click.Choice(["drbd"]),
    help=N_(
        "Keep only the replication lines in the timeline: drbd leaves out other "
        "programs' lines of kernel logs (systemd, Pacemaker, LINSTOR, other kernel "
        "subsystems), which are context otherwise."
    ),
)
@click.option(
    "--year",
    type=click.IntRange(1970, 2200),
    metavar="YYYY",
    help=N_(
        "The year of the first syslog stamp (Mar  3 15:04:20 carries none); default: "
        "from the file's modification time, never after it."
    ),
)
@click.option(
    "--since", metavar="TIME", help=N_("Keep what lies from this aligned time on (ISO 8601).")
)
@click.option(
    "--until", metavar="TIME", help=N_("Keep what lies up to this aligned time (ISO 8601).")
)
@click.option(
    "--at",
    metavar="TIME",
    help=N_(
        "Print where every node stood at this aligned time (ISO 8601): the end-state "
        "table, as each node had last logged it by then, instead of the summary."
    ),
)
@click.option(
    "--lang",
    type=click.Choice(i18n.LANGUAGES),
    # Eager: --lang ko --help shows the help in Korean.
    is_eager=True,
    callback=_choose_language,
    help=N_(
        "Language of what bsrcorr writes for people (terminal summary, warnings, report, "
        "diagrams): en or ko. Default: Korean when LC_ALL, LC_MESSAGES or LANG starts with ko, "
        "else English. Log text is never translated, and the JSON files stay English."
    ),
)
@click.option(
    "--timings",
    is_flag=True,
    help=N_(
        "After the run, print each stage's time and the peak memory so far on stderr "
        "(which stage a large capture spends its time in)."
    ),
)
@click.option(
    "--debug",
    is_flag=True,
    help=N_(
        "On an internal error (exit 70), show the traceback on stderr instead of "
        "writing it to OUT/bsrcorr-crash.txt."
    ),
)
@click.option(
    "--version",
    is_flag=True,
    is_eager=True,
    expose_value=False,
    callback=lambda ctx, _param, value: _print_versions(ctx) if value else None,
    help=N_("Show the version and exit."),
)
@click.help_option("-h", "--help", help=N_("Show this message and exit."))
def main(
    srcs: tuple[str, ...],
    out: Path,
    max_extract_mb: int,
    reference: str | None,
    offsets: tuple[str, ...],
    show_timeline: bool,
    events_only: bool,
    diagrams: str,
    out_format: str,
    write_csv: bool,
    write_pdf: bool,
    only: str | None,
    since: str | None,
    until: str | None,
    year: int | None,
    at: str | None,
    lang: str | None,
    timings: bool,
    debug: bool,
) -> None:
    """The command (its help: COMMAND_HELP)."""
    i18n.use(lang or i18n.default_language())
    if events_only and not show_timeline:
        raise click.UsageError(_("--events only applies to --timeline (add --timeline)"))
    if show_timeline and out_format == "json":
        raise click.UsageError(
            _(
                "--format json and --timeline both choose what stdout gets: use one "
                "(summary.json is in the bundle either way)"
            )
        )
    if at is not None and (show_timeline or out_format == "json"):
        raise click.UsageError(
            _("--at prints the end-state table on stdout: not with --timeline or --format json")
        )
    since_ns = _parse_time(since, "--since")
    until_ns = _parse_time(until, "--until")
    at_ns = _parse_time(at, "--at")
    if since_ns is not None and until_ns is not None and since_ns > until_ns:
        raise click.UsageError(
            _("--since {since} is after --until {until}: the window is empty").format(
                since=since, until=until
            )
        )
    options = Options(
        out=out,
        max_extract=max_extract_mb * 1024**2,
        reference=reference,
        offsets=_parse_offsets(offsets),
        since_ns=since_ns,
        until_ns=until_ns,
        diagrams=diagrams,
        only=only,
        csv=write_csv,
        year=year,
        pdf=write_pdf,
    )
    if write_pdf and pdf.chromium() is None:
        # Said before the run, which may take minutes on a large capture.
        err = pdf.missing()
        click.echo(f"bsrcorr: {_('error')}: {err.text()}", err=True)
        sys.exit(err.exit_code)
    notices = Notices()
    watch = Stopwatch() if timings else None
    code = _run(srcs, options, notices, show_timeline, events_only, out_format, debug, watch, at_ns)
    if watch is not None and watch.splits:
        click.echo("\n".join(text.timings(watch.splits)), err=True)
    sys.exit(code)


DRAW_HELP = N_(
    "Draw episodes' sequence diagrams from an existing bundle, without reading the logs "
    "again: bsrcorr draw OUT 57 writes OUT/diagrams/episode-57-....svg, byte for byte what "
    "--diagrams all writes for it, in the bundle's language.\n\n"
    "OUT is a bundle bsrcorr wrote (it keeps every episode's diagram in "
    "OUT/episodes.json.gz); each EPISODE is a number (57 or #57), a file name "
    "(episode-57-connect-r0) or all."
)


@click.command(cls=_Command, help=DRAW_HELP, name="draw")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path), metavar="OUT")
@click.argument("episodes", nargs=-1, required=True, metavar="EPISODE...")
@click.option(
    "--debug",
    is_flag=True,
    help=N_("On an internal error (exit 70), show the traceback on stderr."),
)
@click.help_option("-h", "--help", help=N_("Show this message and exit."))
def draw_main(out: Path, episodes: tuple[str, ...], debug: bool) -> None:
    """``bsrcorr draw`` (its help: DRAW_HELP): prints each file written, one a line."""
    from correlate.render import sequence

    try:
        drawn = sequence.draw_saved(out, list(episodes))
    except BsrcorrError as exc:
        click.echo(f"bsrcorr: {_('error')}: {exc.text()}", err=True)
        sys.exit(exc.exit_code)
    except OSError as exc:
        said = Msg(
            "{value}: could not write the diagrams: {reason}",
            value=out / "diagrams",
            reason=exc.strerror or exc,
        )
        click.echo(f"bsrcorr: {_('error')}: {said.text()}", err=True)
        sys.exit(EXIT_OUTPUT)
    except Exception as exc:  # a bug: say where, keep the traceback, exit 70
        sys.exit(_crash(exc, out, debug))
    for path in drawn.files:
        click.echo(str(path))
    if drawn.dot_missing:
        said = Msg(
            "Graphviz's dot is not installed: wrote the diagram sources to {value}/*.dot; "
            "install it (Debian: apt-get install graphviz) and run again",
            value=out / "diagrams",
        )
        click.echo(f"bsrcorr: {_('warning')}: {said.text()}", err=True)
        sys.exit(EXIT_WARNINGS)
    sys.exit(EXIT_OK)


def _run(
    srcs: tuple[str, ...],
    options: Options,
    notices: Notices,
    show_timeline: bool,
    events_only: bool,
    out_format: str,
    debug: bool,
    watch: Stopwatch | None = None,
    at_ns: int | None = None,
) -> int:
    """The run and what stdout gets; returns the exit code."""
    progress = _Progress(_input_size(srcs))
    try:
        analysis = analyse(srcs, options, notices, progress, watch)
        progress.close()
        written = write(analysis, options, watch)
    except BsrcorrError as exc:
        progress.close()
        _print_notices(notices)
        click.echo(f"bsrcorr: {_('error')}: {exc.text()}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        progress.close()
        click.echo("bsrcorr: " + _("interrupted"), err=True)
        return 130
    except Exception as exc:  # a bug: say where, keep the traceback, exit 70
        progress.close()
        _print_notices(notices)
        return _crash(exc, options.out, debug)
    code = EXIT_WARNINGS if notices.matter else EXIT_OK
    try:
        if at_ns is not None:
            _print_notices(analysis.notices)
            click.echo(
                text.state_at(
                    analysis, end_state.build(analysis.cluster, analysis.clock, at_ns), at_ns
                ),
                nl=False,
            )
        else:
            _stdout(analysis, written, show_timeline, events_only, out_format)
        sys.stdout.flush()
    except BrokenPipeError:
        # `| head` closed the pipe: the reader has what it wanted, and the run's outcome
        # is what it was. Later writes (and the flush at exit) go nowhere.
        _stdout_to_devnull()
    except KeyboardInterrupt:
        click.echo("bsrcorr: " + _("interrupted"), err=True)
        return 130
    except Exception as exc:
        _print_notices(notices)
        return _crash(exc, options.out, debug)
    return code


def _stdout(
    analysis: Analysis,
    written: Bundle,
    show_timeline: bool,
    events_only: bool,
    out_format: str,
) -> None:
    """The diagnostics on stderr, then what stdout gets."""
    if show_timeline:
        frame = listed_events(analysis) if events_only else analysis.timeline
        polls = sum(ev.polls.height for ev in analysis.events)
        if events_only and polls:
            analysis.notices.note(
                Msg(
                    "{polls} terminated status poll(s) counted, not listed (summary.json "
                    "netlink_polls)",
                    polls=polls,
                )
            )
        _print_notices(analysis.notices)
        # Written as it is formatted, 50,000 lines at a time: it may be gigabytes.
        text.write_timeline(frame, False, sys.stdout)
    elif out_format == "json":
        _print_notices(analysis.notices)
        # click.echo: a terminal that cannot encode a log's text gets replacements, not
        # an error.
        click.echo(json_text(written.summary), nl=False)
    else:
        summary = text.summary(analysis, written)  # made before anything is printed
        _print_notices(analysis.notices)
        click.echo(summary, nl=False)
        click.echo(_("written to {out}/").format(out=written.out))


def _stdout_to_devnull() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, io.UnsupportedOperation):
        pass  # not a real file (a test's capture): nothing will flush into a closed pipe


# -- internal errors ------------------------------------------------------------------------

# Modules that call the stages; the frame after the last of them names the stage.
_DRIVERS = {"cli", "pipeline"}


def _stage(exc: BaseException) -> str:
    """The pipeline stage the exception came from, as README's stage table names modules:
    ``parse``, ``render/report``, ... (``pipeline.analyse`` when it is the pipeline's own)."""
    package = Path(__file__).resolve().parent
    frames = []
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename).resolve()
        if package in path.parents:
            frames.append((path.relative_to(package).with_suffix("").as_posix(), frame.name))
    driver = max((i for i, (mod, _) in enumerate(frames) if mod in _DRIVERS), default=None)
    if driver is None:
        return frames[-1][0] if frames else "startup"
    if driver + 1 < len(frames):
        return frames[driver + 1][0]
    mod, func = frames[driver]
    return f"{mod}.{func}"


def _crash(exc: BaseException, out: Path, debug: bool) -> int:
    stage = _stage(exc)
    what = (str(exc).strip().splitlines() or [""])[0][:200]
    head = (
        f"bsrcorr: {_('error')}: "
        + _("internal error in stage {stage}").format(stage=stage)
        + f": {type(exc).__name__}"
        + (f": {what}" if what else "")
    )
    details = "".join(traceback.format_exception(exc))
    if debug:
        click.echo(head, err=True)
        click.echo(details, err=True, nl=False)
        return EXIT_SOFTWARE
    path = out / CRASH_FILE
    try:
        out.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"bsrcorr {__version__} crashed in stage {stage}\n"
            + "".join(f"{line}\n" for line in versions()[1:])
            + f"command: {' '.join(sys.argv)}\n\n{details}",
            encoding="utf-8",
        )
        where = f"traceback in {path}; please report it"
    except OSError as exc2:
        where = f"could not write {path} ({exc2.strerror or exc2}): run with --debug to see it"
    click.echo(f"{head} ({where})", err=True)
    return EXIT_SOFTWARE


def versions() -> list[str]:
    """What a support ticket needs to know of this installation: bsrcorr's version, then
    Python's, polars' and the graphviz package's, and the ``dot`` that renders the diagrams
    (its own ``-V`` line, or that none is on PATH)."""
    import shutil
    import subprocess

    import graphviz
    import polars

    dot = shutil.which("dot")
    if dot is None:
        dot_line = "dot: not found on PATH (diagrams need Graphviz: apt-get install graphviz)"
    else:
        try:
            said = subprocess.run(
                [dot, "-V"], capture_output=True, text=True, timeout=10, check=False
            )
            # dot writes "dot - graphviz version 2.43.0 (0)" to stderr
            words = (said.stderr or said.stdout).split()
            found = words[words.index("version") + 1] if "version" in words else None
        except (OSError, subprocess.TimeoutExpired):
            found = None
        dot_line = f"dot {found or '(version not reported)'} ({dot})"
    return [
        f"bsrcorr {__version__}",
        f"python {platform.python_version()} on {platform.platform()}",
        f"polars {polars.__version__}",
        f"graphviz (Python package) {graphviz.__version__}",
        dot_line,
    ]


def _print_versions(ctx: click.Context) -> None:
    click.echo("\n".join(versions()))
    ctx.exit(EXIT_OK)


# -- option values ------------------------------------------------------------------------


def _parse_offsets(items: tuple[str, ...]) -> dict[str, float]:
    result: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            if not sep or not name:
                raise ValueError
            seconds = float(value)
        except ValueError:
            raise click.BadParameter(
                _("{item}: expected NAME=SECONDS").format(item=repr(item)), param_hint="--offset"
            ) from None
        if not math.isfinite(seconds):
            raise click.BadParameter(
                _("{item}: the offset must be a finite number of seconds").format(item=repr(item)),
                param_hint="--offset",
            )
        if abs(seconds) > MAX_OFFSET_S:
            raise click.BadParameter(
                _(
                    "{item}: more than a century ({seconds} s) either way; a timestamp cannot "
                    "hold the result"
                ).format(item=repr(item), seconds=f"{MAX_OFFSET_S:.0f}"),
                param_hint="--offset",
            )
        if name in result:
            raise click.BadParameter(
                _("{name}: given twice").format(name=name), param_hint="--offset"
            )
        result[name] = seconds
    return result


def _parse_time(value: str | None, option: str) -> int | None:
    if value is None:
        return None
    try:
        ns = parse_iso(value)
    except ValueError:
        raise click.BadParameter(
            _(
                "{value}: expected an ISO 8601 time like 2020-10-26T16:48:52.7, "
                "2020-10-26T16:48 or 2020-10-26"
            ).format(value=repr(value)),
            param_hint=option,
        ) from None
    if not TIME_MIN_NS <= ns <= TIME_MAX_NS:
        raise click.BadParameter(
            _("{value}: outside what a timestamp can hold ({low} .. {high})").format(
                value=repr(value), low=fmt_ns(TIME_MIN_NS), high=fmt_ns(TIME_MAX_NS)
            ),
            param_hint=option,
        )
    return ns


def _print_notices(notices: Notices) -> None:
    """Print the notices so far, once: a failure after printing some prints only the
    rest (the exit code was already taken from them)."""
    for notice in notices.items:
        click.echo(notice.text(), err=True)
    notices.items.clear()
