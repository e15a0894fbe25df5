"""Stage times and peak memory for ``--timings`` and ``bench/``: not a stage, a recorder
the pipeline tells when each stage ends. A support engineer whose 2 GB capture takes
minutes sees which stage it is; the bench reports the same numbers.

Each split is (stage, seconds since the previous split, the process's peak RSS so far):
the peak is a high-water mark, so the stage where it jumps is the one that set it.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

from correlate.i18n import N_

try:  # not on Windows: there the peak is not reported
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

# Stage names, as the pipeline reports them (translated when shown: ``render.text.timings``).
STAGES = {
    "sources": N_("find the logs"),
    "parse": N_("read and parse"),
    "events": N_("protocol events"),
    "correlate": N_("correlate the nodes"),
    "align": N_("align the clocks"),
    "timeline": N_("merge the timeline"),
    "episodes": N_("episodes"),
    "findings": N_("findings"),
    "diagnosis": N_("end state and diagnosis"),
    "window": N_("the window"),
    "parquet": N_("write timeline.parquet"),
    "csv": N_("write timeline.csv"),
    "models": N_("episode models (episodes.json.gz)"),
    "diagrams": N_("diagrams"),
    "summary": N_("write summary.json"),
    "report": N_("write report.html"),
}


def peak_rss_bytes() -> int | None:
    """The process's peak resident set so far (Linux reports KiB, macOS bytes)."""
    if resource is None:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


@dataclass(frozen=True)
class Split:
    stage: str  # a key of STAGES
    seconds: float
    peak_rss_bytes: int | None


@dataclass
class Stopwatch:
    splits: list[Split] = field(default_factory=list)
    _last: float = field(default_factory=time.perf_counter)

    def split(self, stage: str) -> None:
        """``stage`` has just ended: it took the time since the previous split."""
        now = time.perf_counter()
        self.splits.append(Split(stage, now - self._last, peak_rss_bytes()))
        self._last = now
