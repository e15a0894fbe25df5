"""Read stage, host zone: what a bundle's files state of the host's time zone.

sos runs ``timedatectl`` (``Time zone: Europe/Berlin (CET, +0100)``) and ``date``
(``Tue Mar  5 14:02:11 CET 2024``: a name only); Windows' ``systeminfo`` writes ``Time
Zone: (UTC+09:00) Seoul`` (Korean: ``표준 시간대: (UTC+09:00) 서울``, in the console's code
page). :func:`stated` returns ``{"offset", "name", "from"}`` of the first file that
states a zone (``offset`` ``+01:00``, or null when only a name is written), or None.

The clock rules never need it (every side log is tied to its driver's by protocol
evidence: cluster.admin, cluster.context); it is reported in ``summary.json`` ``bundles``
so a reader can hold the ties against what the host says.
"""

from __future__ import annotations

import re

from correlate.read.eventlog import decode
from correlate.read.sources import LogFile, read_bytes

_TIMEDATECTL = re.compile(r"Time zone:\s*(\S+)\s*\((\w+),\s*([+-])(\d{2})(\d{2})\)")
_SYSTEMINFO = re.compile(
    r"^[^:\n]*(?:Time Zone|시간대)[^:\n]*:\s*\(UTC(?:([+-])(\d{2}):(\d{2}))?\)\s*(.*)$", re.M
)
_DATE = re.compile(r"^\w{3} \w{3} +\d+ \d{2}:\d{2}:\d{2} (\w+) \d{4}$", re.M)


def stated(files: list[LogFile]) -> dict | None:
    for f in sorted(files, key=lambda f: "date" in f.display.rsplit("/", 1)[-1]):
        text = decode(read_bytes(f))
        if m := _TIMEDATECTL.search(text):
            return {"offset": f"{m[3]}{m[4]}:{m[5]}", "name": f"{m[1]} ({m[2]})", "from": f.display}
        if m := _SYSTEMINFO.search(text):
            offset = f"{m[1]}{m[2]}:{m[3]}" if m[1] else "+00:00"
            return {"offset": offset, "name": m[4].strip() or None, "from": f.display}
        if m := _DATE.search(text.strip()):
            return {"offset": None, "name": m[1], "from": f.display}
    return None
