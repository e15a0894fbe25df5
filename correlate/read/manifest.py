"""Read stage, collector manifests: what a collector says it could not collect.

sos writes ``sos_reports/manifest.json``: per plugin (``components.report.plugins``) its
``timeout_hit``, and each command it ran with its ``exec``, ``filepath``, ``return_code``
(124: killed at its timeout) and ``truncated``. A plugin that hit its timeout, or a
command that timed out or was cut, leaves a hole in the bundle the logs cannot show:
:func:`gaps` lists them, for ``summary.json`` ``bundles[node].gaps`` and a notice.
"""

from __future__ import annotations

import json
from typing import Any

TIMED_OUT = 124  # timeout(1)'s exit status, which sos records for a killed command


def gaps(text: str) -> list[dict[str, Any]]:
    try:
        doc = json.loads(text)
    except ValueError:
        return [{"what": "unreadable manifest"}]
    plugins = (((doc or {}).get("components") or {}).get("report") or {}).get("plugins") or {}
    out: list[dict[str, Any]] = []
    for name in sorted(plugins):
        plugin = plugins[name] or {}
        if plugin.get("timeout_hit"):
            out.append({"what": "plugin timed out", "plugin": name})
        for cmd in plugin.get("commands") or []:
            rc, cut = cmd.get("return_code"), cmd.get("truncated")
            if rc == TIMED_OUT or cut:
                out.append(
                    {
                        "what": "command timed out" if rc == TIMED_OUT else "output truncated",
                        "plugin": name,
                        "command": cmd.get("exec"),
                        "file": cmd.get("filepath"),
                    }
                )
    return out
