"""Errors and warnings shared by every stage, and the exit codes they map to.

Exit codes (documented in README):

* 0: ran, nothing that matters went wrong;
* 1: ran to a finished bundle, but with warnings that matter (lines that are not BSR
  entries, bytes replaced, archive members refused, a node left unaligned, ...);
* 2: usage error or unreadable input (missing path, empty or binary file, no BSR
  entries, the same log given twice, an archive that is corrupt or too large);
* 3: the bundle could not be written (disk full, permission denied);
* 70 (``EX_SOFTWARE`` of BSD's sysexits.h): an internal error, a bug in bsrcorr: one line
  names the stage and the exception, the traceback goes to ``OUT/bsrcorr-crash.txt``.

A stage raises :class:`BsrcorrError` for a condition that stops the run and records a
:class:`Notice` for one that does not; the CLI prints both as one line on stderr.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from correlate.i18n import Msg, _, text

EXIT_OK = 0
EXIT_WARNINGS = 1
EXIT_INPUT = 2
EXIT_OUTPUT = 3
# An exception no stage anticipated. Distinct from 1, which promises a finished bundle,
# and from 2 and 3, which blame the input or the output directory.
EXIT_SOFTWARE = 70


class BsrcorrError(Exception):
    """A condition that stops the run; ``exit_code`` tells the CLI how to exit."""

    exit_code = EXIT_INPUT

    def __init__(self, message: str | Msg, exit_code: int | None = None) -> None:
        super().__init__(str(message))  # English, as a traceback or a test reads it
        self.msg = message
        if exit_code is not None:
            self.exit_code = exit_code

    def text(self) -> str:
        """The message in the reader's language."""
        return text(self.msg)


class InputError(BsrcorrError):
    exit_code = EXIT_INPUT


class UsageError(BsrcorrError):
    """Options that contradict each other or the nodes given (exit 2, as click's own)."""

    exit_code = EXIT_INPUT


class OutputError(BsrcorrError):
    exit_code = EXIT_OUTPUT


@dataclass
class Notice:
    """One line for stderr. ``matters`` makes the run exit 1 instead of 0."""

    message: str | Msg
    matters: bool = True
    node: str | None = None

    def __str__(self) -> str:
        prefix = "warning" if self.matters else "note"
        where = f"{self.node}: " if self.node else ""
        return f"bsrcorr: {prefix}: {where}{self.message}"

    def text(self) -> str:
        """The line in the reader's language (``bsrcorr: warning: ...``)."""
        prefix = _("warning") if self.matters else _("note")
        where = f"{self.node}: " if self.node else ""
        return f"bsrcorr: {prefix}: {where}{text(self.message)}"


@dataclass
class Notices:
    """Collects notices from every stage, in the order they were raised."""

    items: list[Notice] = field(default_factory=list)

    def warn(self, message: str | Msg, node: str | None = None) -> None:
        self.items.append(Notice(message, True, node))

    def note(self, message: str | Msg, node: str | None = None) -> None:
        self.items.append(Notice(message, False, node))

    @property
    def matter(self) -> bool:
        return any(n.matters for n in self.items)
