"""Episode windows: the protocol events whose lines fall inside [lo, hi] on the aligned clock.

Used by the renderers (sequence diagrams, stories), which ask the same question for every
episode. A long capture has hundreds of episodes and tens of thousands of events, so
scanning every list per episode is quadratic:
each list is sorted once by the aligned times of its lines and then cut with a binary
search. Aligned times are computed once per line.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from .align import Alignment
from .events import Ref

T = TypeVar("T")


class Windows:
    def __init__(self, alignment: Alignment) -> None:
        self.alignment = alignment
        self._times: dict[tuple[str, int], int | None] = {}
        # id(list) -> (the list, sorted times, item index of each time)
        self._index: dict[int, tuple[Sequence, list[int], list[int]]] = {}

    def at(self, ref: Ref | None) -> int | None:
        """``Alignment.aligned_ns``, computed once per line."""
        if ref is None:
            return None
        key = (ref.node, ref.row)
        if key not in self._times:
            self._times[key] = self.alignment.aligned_ns(ref)
        return self._times[key]

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
            timed = sorted(
                (t, i)
                for i, item in enumerate(items)
                for t in (self.at(r) for r in refs(item))
                if t is not None
            )
            entry = (items, [t for t, _ in timed], [i for _, i in timed])
            self._index[id(items)] = entry
        _, times, order = entry
        picked = sorted(set(order[bisect_left(times, lo) : bisect_right(times, hi)]))
        return [items[i] for i in picked]
