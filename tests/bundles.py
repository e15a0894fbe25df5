"""Support bundles built in tests, in the layouts the collectors write (read from their
sources: bsrsupport, bsrsupport.cmd, sos, LINSTOR's sos-report, crm_report), from given
logs. Each builder writes an unpacked bundle under ``root`` and returns its top directory;
:func:`archive` packs one as the collectors do (``<host>-YYYYmmdd.HHMMSS.tar.gz`` with the
host directory at its top; Windows: a zip).
"""

from __future__ import annotations

import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

Files = dict[str, str | bytes]


def _write(base: Path, files: Files) -> None:
    for rel, content in files.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)


def bsr_linux(root: Path, host: str, logs: Files, **extra: Files) -> Path:
    """``<host>/bsr/log/`` (bsr.log*, bsradm.log* ...), ``bsr/conf/``, ``bsr/status/``,
    ``System/``: ``extra`` keys ``conf``, ``status``, ``system``, ``top`` (under bsr/)."""
    top = root / host
    _write(top / "bsr" / "log", logs)
    _write(top / "bsr" / "conf", extra.get("conf", {}))
    _write(top / "bsr" / "status", extra.get("status", {}))
    _write(top / "bsr", extra.get("top", {}))
    _write(top / "System", extra.get("system", {}))
    return top


def bsr_windows(root: Path, host: str, logs: Files, **extra: Files) -> Path:
    """``<HOST>/BSR/log/``, ``BSR/etc/``, ``Status/``, ``System/`` (SystemLog.csv ...)."""
    top = root / host
    _write(top / "BSR" / "log", logs)
    _write(top / "BSR" / "etc", extra.get("conf", {}))
    _write(top / "Status", extra.get("status", {}))
    _write(top / "System", extra.get("system", {}))
    return top


def sosreport(root: Path, host: str, files: Files) -> Path:
    """``sosreport-<host>-<date>/`` with ``hostname`` and ``sos_commands/``; ``files`` by
    their place (``var/log/messages``, ``etc/drbd.d/r0.res`` ...)."""
    top = root / f"sosreport-{host}-2024-03-05-abcdef"
    _write(top, {"hostname": host + "\n", "sos_commands/host/hostname": host + "\n", **files})
    return top


def linstor_sos(root: Path, nodes: dict[str, Files]) -> Path:
    """``sos_<date>/<node>/...`` per node and ``_Controller/``."""
    top = root / "sos_2024-03-05_14-02"
    _write(top / "_Controller", {"linstor.toml": '[db]\npassword = "dbpass"\n'})
    for node, files in nodes.items():
        _write(top / node, files)
    return top


def crm_report(root: Path, nodes: dict[str, Files]) -> Path:
    top = root / "crm_report-2024-03-05"
    _write(top, {"description.txt": "report\n"})
    for node, files in nodes.items():
        _write(top / node, {"crm_mon.txt": "Cluster Summary:\n", **files})
    return top


def archive(top: Path, out: Path, kind: str = "tar.gz") -> Path:
    """Pack the bundle directory ``top`` (its name at the archive's top)."""
    if kind == "zip":
        with zipfile.ZipFile(out, "w") as zf:
            for p in sorted(top.rglob("*")):
                if p.is_file():
                    zf.write(p, str(p.relative_to(top.parent)))
        return out
    mode = {"tar.gz": "w:gz", "tar.xz": "w:xz", "tar.bz2": "w:bz2"}[kind]
    with tarfile.open(out, mode) as tf:
        tf.add(top, arcname=top.name)
    return out


@dataclass
class Cli:
    """CLI-log lines as ``bsrtool_common.c`` writes them."""

    stamp: str  # YYYY/MM/DD HH:MM:SS, the host's local time
    program: str
    sub: str
    pid: int
    ppids: list[tuple[str, int]]
    text: str
    level: str = "info"

    def line(self) -> str:
        chain = ",".join(f"{n}({p})" for n, p in self.ppids)
        parents = f"[ppids:{chain}]" if chain else ""
        return (
            f"{self.stamp} bsr_{self.level} {parents}[pid:{self.pid}][func:main]"
            f"[line:100][cmd:{self.sub}] {self.text}"
        )


def cli_log(lines: list[Cli]) -> str:
    return "".join(c.line() + "\n" for c in lines)
