"""The flat module names bsrcorr had before its package was laid out by stage, mapped to
today's modules, so that a revision's module loaded by a bench identity script
(``identity.py``, ``kernel_identity.py``, ``parse.py --before``) finds, under the name
it imports, today's module of the same kind."""

from __future__ import annotations

import importlib
import sys

FLAT = {
    "sources": "read.sources",
    "parse": "read.bsr",
    "kernlog": "read.kernlog",
    "kernparse": "read.kernel",
    "kernclock": "read.kernclock",
    "prefixes": "read.prefixes",
    "catalog": "events.catalog_bsr",
    "catalog_drbd": "events.catalog_drbd",
    "classify": "events.classify",
    "netlink": "events.netlink",
    "builders": "events.builders",
    "codes": "events.codes",
    "identity": "cluster.identity",
    "protocol": "cluster.protocol",
    "evidence": "cluster.evidence",
    "align": "cluster.align",
    "timeline": "cluster.timeline",
    "episodes": "story.episodes",
    "window": "story.episode_index",
    "content": "story.content",
    "findings": "story.findings",
    "scope": "story.scope",
    "summary": "render.json",
    "bundle": "render.bundle",
}
# correlate.events is a package today; an old revision's ``from .events import`` is not
# something a stage-1 module does, so it is left out.


def alias_flat_names() -> None:
    """Register ``correlate.<old>`` for each flat name that is not a module today."""
    for old, new in FLAT.items():
        name = f"correlate.{old}"
        if name not in sys.modules:
            sys.modules[name] = importlib.import_module(f"correlate.{new}")
