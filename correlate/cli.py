"""The ``bsrcorr`` command: options, progress on stderr, exit codes. No analysis here.

Exit codes: 0 ok; 1 ran, with warnings that matter; 2 usage error or unreadable input;
3 the bundle could not be written. Diagnostics go to stderr, one line each; the summary
goes to stdout.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .errors import EXIT_OK, EXIT_WARNINGS, BsrcorrError, Notices
from .pipeline import Options, analyse, write
from .render import text
from .times import parse_iso

PROGRESS_BYTES = 64 * 1024**2


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


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("srcs", nargs=-1, required=True, metavar="SRC...")
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("bsrcorr-out"),
    show_default=True,
    help="Output directory for the bundle.",
)
@click.option(
    "--max-extract-mb",
    type=click.IntRange(1),
    default=4096,
    show_default=True,
    help="Cap on bytes decompressed from archives (zip-bomb guard).",
)
@click.option(
    "--reference",
    metavar="NAME",
    help="Node whose clock the timeline uses (default: the first SRC).",
)
@click.option(
    "--offset",
    "offsets",
    multiple=True,
    metavar="NAME=SECONDS",
    help="Use this offset (node clock minus reference clock) instead of the evidence; "
    "shown as manual. Repeatable.",
)
@click.option(
    "--timeline",
    "show_timeline",
    is_flag=True,
    help="Print the merged timeline to stdout (for less and grep) instead of the summary.",
)
@click.option(
    "--events", "events_only", is_flag=True, help="With --timeline: protocol events only."
)
@click.option(
    "--diagrams",
    type=click.Choice(["all", "overview", "none"]),
    default="all",
    show_default=True,
    help="Sequence diagrams to render: one per episode and the overview, the overview "
    "only, or none (faster when only the timeline is wanted).",
)
@click.option(
    "--format",
    "out_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="What stdout gets: the text summary, or summary.json.",
)
@click.option("--since", metavar="TIME", help="Keep rows from this aligned time (ISO 8601).")
@click.option("--until", metavar="TIME", help="Keep rows up to this aligned time (ISO 8601).")
@click.version_option(__version__, prog_name="bsrcorr")
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
    since: str | None,
    until: str | None,
) -> None:
    """Correlate the BSR driver logs of a cluster's nodes into one timeline.

    Each SRC is one node: a log file, a directory of a node's bsr.log and rotated
    bsr.log_* files, or a .zip/.tar.gz/.gz of those. NAME=SRC names the node; otherwise
    the file stem or directory name does.
    """
    notices = Notices()
    options = Options(
        out=out,
        max_extract=max_extract_mb * 1024**2,
        reference=reference,
        offsets=_parse_offsets(offsets),
        since_ns=_parse_time(since, "--since"),
        until_ns=_parse_time(until, "--until"),
        diagrams=diagrams,
    )
    progress = _Progress(_input_size(srcs))
    try:
        analysis = analyse(srcs, options, notices, progress)
        progress.close()
        write(analysis, options)
    except BsrcorrError as exc:
        progress.close()
        _print_notices(notices)
        click.echo(f"bsrcorr: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        progress.close()
        click.echo("bsrcorr: interrupted", err=True)
        sys.exit(130)
    _print_notices(notices)
    if show_timeline:
        try:
            text.write_timeline(analysis.timeline, events_only)
        except BrokenPipeError:  # `| head` closed the pipe: not an error
            sys.stderr.close()
    elif out_format == "json":
        click.echo((out / "summary.json").read_text(encoding="utf-8"), nl=False)
    else:
        click.echo(text.summary(analysis), nl=False)
        click.echo(f"written to {out}/")
    sys.exit(EXIT_WARNINGS if notices.matter else EXIT_OK)


def _parse_offsets(items: tuple[str, ...]) -> dict[str, float]:
    result = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            if not sep or not name:
                raise ValueError
            result[name] = float(value)
        except ValueError:
            raise click.BadParameter(
                f"{item!r}: expected NAME=SECONDS", param_hint="--offset"
            ) from None
    return result


def _parse_time(value: str | None, option: str) -> int | None:
    if value is None:
        return None
    try:
        return parse_iso(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r}: expected an ISO 8601 time like 2020-10-26T16:48:52.7",
            param_hint=option,
        ) from None


def _print_notices(notices: Notices) -> None:
    for notice in notices.items:
        click.echo(str(notice), err=True)
