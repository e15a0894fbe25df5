"""Stage 4, story, episode index: the records whose lines fall inside an episode's [lo, hi]
on the aligned clock.

Used by the renderers (sequence diagrams, stories), which ask the same question for every
episode. Each list is sorted once by the aligned times of its lines
(:class:`~correlate.model.TimeIndex`) and then cut with a binary search, so a capture
with thousands of episodes costs n log n, not n times the events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from correlate.model import Clock, Ref, TimeIndex

T = TypeVar("T")


class EpisodeIndex:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.at = clock.at
        # id(list) -> (the list, its index)
        self._index: dict[int, tuple[Sequence, TimeIndex]] = {}
        self._by_tid: dict[int, tuple[Sequence, dict]] = {}

    def within(
        self,
        items: Sequence[T],
        refs: Callable[[T], Iterable[Ref | None]],
        lo: int,
        hi: int,
    ) -> list[T]:
        """The items with at least one of ``refs(item)`` in [lo, hi], in list order.

        ``refs`` must be the same function for a given list on every call (the index is
        built on the first).
        """
        entry = self._index.get(id(items))
        if entry is None or entry[0] is not items:
            entry = (items, TimeIndex(self.clock, items, refs))
            self._index[id(items)] = entry
        return entry[1].within(lo, hi)

    def of_twopc(self, items: Sequence[T], tid: int, resource: str | None) -> list[T]:
        """The items (pairs) of one 2PC (``item.tid``, ``item.resource``), whatever their
        times: an episode draws every message of the 2PCs that caused it."""
        entry = self._by_tid.get(id(items))
        if entry is None or entry[0] is not items:
            found: dict[tuple, list[T]] = {}
            for x in items:
                if getattr(x, "tid", None) is not None:
                    found.setdefault((x.tid, x.resource), []).append(x)  # type: ignore[attr-defined]
            entry = (items, found)
            self._by_tid[id(items)] = entry
        return entry[1].get((tid, resource), [])
