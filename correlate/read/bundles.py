"""Stage 0b, bundles: what a support bundle's files are, from its layout alone.

An engineer attaches each node's support bundle, not a log pair. The collectors lay their
files out in ways this module knows (read from their sources, not guessed):

* **BSR Linux** (``bsrsupport``): ``<host>/bsr/log/`` (``bsr.log*``, the CLI logs
  ``bsradm.log*``, ``bsrsetup.log*``, ``bsrmeta.log*``, ``bsrapp.log*``), ``<host>/bsr/conf/``
  (``*.res``, ``global_common.conf``), ``<host>/bsr/bsr.conf``, ``<host>/bsr/dump``,
  ``<host>/bsr/bsr_state``, ``<host>/bsr/GI_state``, ``<host>/bsr/status/`` (``dump.txt``,
  ``status.txt``, ``gi.txt``, ``show.txt``), ``<host>/System/`` (``dmeg``, ``messages*``,
  ``syslog``, ``*.log``, and the host's state).
* **BSR Windows** (``bsrsupport.cmd``): ``<HOST>/BSR/log/`` (the same logs), ``<HOST>/BSR/etc/``
  (config), ``<HOST>/Status/`` (``dump.txt``, ``status.txt``, ...), ``<HOST>/System/``
  (``SystemLog.csv``, ``ApplicationLog.csv`` from ``DumpEventLog.vbs``).
* **sosreport**: ``sos_commands/``, ``var/log/`` (``messages*``, ``kern.log*``, ``syslog*``),
  ``etc/drbd.conf``, ``etc/drbd.d/``, ``sos_commands/drbd/`` (``drbdadm_dump``,
  ``drbdsetup_status_-vs_all``), ``sos_commands/kernel/dmesg``,
  ``sos_commands/logs/journalctl_--no-pager``; the host in the root's ``hostname`` file.
* **LINSTOR sos-report**: one directory per node (``dmesg``, ``journalctl*``, ``log-syslog``,
  ``log-messages``, ``log-kern.log``, ``drbd-status``, ``*.res``, older reports' ``res/``);
  ``_Controller/`` is the controller's, no node.
* **crm_report**: one directory per node (``journal.log``, ``messages``, ``drbd_info.txt``,
  ``drbd.d/``, ``crm_mon.txt``, ``cib.xml``).

:func:`classify` takes the bundle's file paths (relative, ``/``-separated) and returns one
:class:`HostFiles` per host: each file's role (``driver`` BSR's own log, ``kernel`` a DRBD
node's kernel log, ``admin`` a CLI log, ``config``, ``status``, ``system`` a BSR node's
host log, ``manifest`` a collector's record of what it ran, ``host_info`` what states the
host's time zone, ``other``). A node's kernel lines are in
several of a sosreport's files at once (``messages``, ``journalctl``, ``dmesg``): the run
reads one family, the richest in wall-clock stamps, and says which it left and why.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

KINDS = ("bsr-linux", "bsr-windows", "sosreport", "linstor-sos", "crm_report")

_BSR_LOG = re.compile(r"^bsr\.log(?:_.*)?$")
_CLI_LOG = re.compile(r"^(bsradm|bsrsetup|bsrmeta)\.log(?:_.*)?$")
_SYSLOG = re.compile(r"^(?:messages|kern\.log|syslog)(?:[.-]\d+)?(?:\.gz)?$")
# Kernel-log families, most wall-clock first: a node's DRBD lines are in each of them, so
# one family is read (see the module's docstring).
_KERNEL_FAMILIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("kern.log", re.compile(r"^(?:log-)?kern\.log(?:[.-]\d+)?(?:\.gz)?$")),
    ("messages", re.compile(r"^(?:log-)?messages(?:[.-]\d+)?(?:\.gz)?$")),
    ("syslog", re.compile(r"^(?:log-)?syslog(?:[.-]\d+)?(?:\.gz)?$")),
    ("journal", re.compile(r"^(?:journalctl.*|journal\.log)$")),
    ("dmesg", re.compile(r"^(?:dmesg|dmeg)(?:_.*)?$")),
)
_CONFIG = re.compile(r"^(?:.*\.res|.*\.conf|dump|dump\.txt|drbdadm_dump.*)$")
_STATUS = re.compile(
    r"^(?:status\.txt|gi\.txt|show\.txt|bsr_state|GI_state|drbd-status.*|drbd_info\.txt"
    r"|drbdsetup_status.*|drbdsetup_show.*|proc_drbd|drbd)$"
)


@dataclass
class HostFiles:
    """One host of a bundle and what each of its files is."""

    host: str
    kind: str
    root: str  # the host's directory in the bundle ("" for a sosreport at the top)
    roles: dict[str, str] = field(default_factory=dict)  # path -> role
    # Files of a role the run does not read, and why (path -> reason words).
    left: dict[str, str] = field(default_factory=dict)

    def files(self, role: str) -> list[str]:
        return sorted(p for p, r in self.roles.items() if r == role)


ReadSmall = Callable[[str], bytes | None]


def classify(paths: list[str], read_small: ReadSmall) -> list[HostFiles]:
    """The hosts of a bundle and their files' roles; ``[]`` when the paths are no bundle
    of a known collector. ``read_small(path)`` gives a small file's bytes (a sosreport's
    ``hostname``), or None."""
    norm = sorted(set(paths))
    for find in (_bsr, _sosreport, _linstor, _crm):
        hosts = find(norm, read_small)
        if hosts:
            for h in hosts:
                _pick_kernelfamily(h)
            return hosts
    return []


def _parts(path: str) -> tuple[str, ...]:
    return PurePosixPath(path).parts


def _bsr(paths: list[str], _read: ReadSmall) -> list[HostFiles]:
    """BSR's bundles: a host directory holding ``bsr/log/bsr.log*`` (Linux) or
    ``BSR/log/bsr.log*`` (Windows); the host is that directory's name."""
    roots: dict[str, HostFiles] = {}
    for p in paths:
        parts = _parts(p)
        # <host>/bsr/log/bsr.log*: the host directory is four parts from the end.
        i = len(parts) - 4
        if (
            i >= 0
            and parts[i + 1] in ("bsr", "BSR")
            and parts[i + 2] == "log"
            and _BSR_LOG.match(parts[-1])
        ):
            root = "/".join(parts[: i + 1])
            kind = "bsr-linux" if parts[i + 1] == "bsr" else "bsr-windows"
            roots.setdefault(root, HostFiles(host=parts[i], kind=kind, root=root))
    for p in paths:
        for root, h in roots.items():
            if not p.startswith(root + "/"):
                continue
            rel = _parts(p[len(root) + 1 :])
            h.roles[p] = _bsr_role(rel)
    return list(roots.values())


def _bsr_role(rel: tuple[str, ...]) -> str:
    name = rel[-1]
    top = rel[0]
    if top in ("bsr", "BSR") and len(rel) == 3 and rel[1] == "log":
        if _BSR_LOG.match(name):
            return "driver"
        if _CLI_LOG.match(name):
            return "admin"
        return "other"
    if top in ("bsr", "BSR") and len(rel) >= 2 and rel[1] in ("conf", "etc"):
        return "config" if _CONFIG.match(name) else "other"
    if top in ("bsr", "BSR") and len(rel) == 2:
        if name in ("dump", "bsr.conf"):
            return "config"
        if _STATUS.match(name):
            return "status"
        return "other"
    if top in ("Status",) or (top in ("bsr",) and len(rel) == 3 and rel[1] == "status"):
        if name == "dump.txt":
            return "config"
        return "status" if _STATUS.match(name) else "other"
    log_like = any(f.match(name) for _, f in _KERNEL_FAMILIES) or name.endswith((".log", ".csv"))
    if top == "System" and rel == ("System", "systeminfo.txt"):
        return "host_info"  # Windows' systeminfo: the host's time zone
    if top == "System" and len(rel) == 2 and log_like:
        return "system"
    return "other"


def _host_of_sos(root: str, paths: set[str], read: ReadSmall) -> str:
    for name in ("hostname", "sos_commands/host/hostname", "sos_commands/general/hostname"):
        path = f"{root}/{name}" if root else name
        if path in paths:
            data = read(path)
            if data:
                text = data.decode("utf-8", "replace").strip().splitlines()
                if text and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,252}", text[0].strip()):
                    return text[0].strip()
    etc = f"{root}/etc/hostname" if root else "etc/hostname"
    if etc in paths and (data := read(etc)):
        first = data.decode("utf-8", "replace").strip().split()
        if first:
            return first[0]
    # sosreport-<host>-<case>-<date>-<random>: the host, when nothing inside names it.
    base = PurePosixPath(root).name if root else ""
    m = re.match(r"^sosreport-(.+?)(?:-\d{4}-\d{2}-\d{2}|-\d{8}|-[0-9a-f]{6,}|$)", base)
    return m.group(1) if m else (base or "sosreport")


def _sosreport(paths: list[str], read: ReadSmall) -> list[HostFiles]:
    roots = sorted(
        {
            "/".join(_parts(p)[: _parts(p).index("sos_commands")])
            for p in paths
            if "sos_commands" in _parts(p)
        }
    )
    if not roots:
        return []
    every = set(paths)
    hosts = []
    for root in roots:
        h = HostFiles(host=_host_of_sos(root, every, read), kind="sosreport", root=root)
        for p in paths:
            if root and not p.startswith(root + "/"):
                continue
            rel = _parts(p[len(root) + 1 :] if root else p)
            if any(rel[: len(r)] == r for r in _other_roots(root, roots)):
                continue
            h.roles[p] = _sos_role(rel)
        hosts.append(h)
    return hosts


def _other_roots(root: str, roots: list[str]) -> list[tuple[str, ...]]:
    """Nested sosreports (a collector's archive of several): a host's files stop at the
    next host's root."""
    prefix = f"{root}/" if root else ""
    return [_parts(r[len(prefix) :]) for r in roots if r != root and r.startswith(prefix)]


def _sos_role(rel: tuple[str, ...]) -> str:
    name = rel[-1]
    if rel in (("sos_commands", "systemd", "timedatectl"), ("sos_commands", "date", "date")):
        return "host_info"  # the host's time zone
    if rel[:2] == ("var", "log") and len(rel) == 3 and _SYSLOG.match(name):
        return "kernel"
    if rel[:2] == ("sos_commands", "logs") and name.startswith("journalctl_--no-pager"):
        return "kernel"
    if rel[:2] == ("sos_commands", "kernel") and name in ("dmesg", "dmesg_-T"):
        return "kernel" if name == "dmesg" else "other"
    if rel[:2] == ("etc", "drbd.d") or rel == ("etc", "drbd.conf"):
        return "config" if _CONFIG.match(name) else "other"
    if rel[:2] == ("sos_commands", "drbd"):
        if name.startswith("drbdadm_dump"):
            return "config"
        if name.startswith(("drbdsetup_status", "drbdsetup_show")):
            return "status"
    if rel == ("proc", "drbd"):
        return "status"
    if rel == ("sos_reports", "manifest.json"):
        return "manifest"
    return "other"


def _node_dirs(paths: list[str], marker: Callable[[str], bool]) -> dict[str, list[str]]:
    """Directories (any depth) holding a file ``marker`` accepts -> their files."""
    dirs: dict[str, list[str]] = {}
    for p in paths:
        parts = _parts(p)
        if len(parts) >= 2 and marker(parts[-1]):
            dirs.setdefault("/".join(parts[:-1]), [])
    for p in paths:
        for d in dirs:
            if p.startswith(d + "/"):
                dirs[d].append(p)
    return dirs


def _linstor(paths: list[str], _read: ReadSmall) -> list[HostFiles]:
    """LINSTOR's ``sos-report``: per node a directory with ``dmesg``/``journalctl*``/
    ``drbd-status``, beside ``_Controller/`` (the controller: no node)."""
    if not any("_Controller" in _parts(p) for p in paths) and not any(
        _parts(p)[-1].startswith("drbd-status") for p in paths
    ):
        return []
    dirs = _node_dirs(
        paths,
        lambda n: n.startswith(("drbd-status", "journalctl", "log-")) or n == "dmesg",
    )
    hosts = []
    for d, files in sorted(dirs.items()):
        if "_Controller" in _parts(d):
            continue
        h = HostFiles(host=_parts(d)[-1], kind="linstor-sos", root=d)
        for p in files:
            rel = _parts(p[len(d) + 1 :])
            name = rel[-1]
            if len(rel) == 1 and any(f.match(name) for _, f in _KERNEL_FAMILIES):
                h.roles[p] = "kernel"
            elif name.endswith(".res") and (len(rel) == 1 or rel[0] == "res"):
                h.roles[p] = "config"
            elif len(rel) == 1 and _STATUS.match(name):
                h.roles[p] = "status"
            else:
                h.roles[p] = "other"
        hosts.append(h)
    return hosts


def _crm(paths: list[str], _read: ReadSmall) -> list[HostFiles]:
    """Pacemaker's ``crm_report``: per node a directory with ``journal.log`` or
    ``crm_mon.txt`` (and ``drbd_info.txt``, ``drbd.d/``)."""
    dirs = _node_dirs(paths, lambda n: n in ("crm_mon.txt", "cib.xml", "journal.log"))
    dirs = {
        d: f
        for d, f in dirs.items()
        if any(p.endswith(("/crm_mon.txt", "/cib.xml")) for p in f)
        or any(p.endswith("/drbd_info.txt") for p in f)
    }
    hosts = []
    for d, files in sorted(dirs.items()):
        h = HostFiles(host=_parts(d)[-1], kind="crm_report", root=d)
        for p in files:
            rel = _parts(p[len(d) + 1 :])
            name = rel[-1]
            if len(rel) == 1 and (name in ("journal.log", "messages") or _SYSLOG.match(name)):
                h.roles[p] = "kernel"
            elif rel[0] == "drbd.d" and _CONFIG.match(name):
                h.roles[p] = "config"
            elif name == "drbd_info.txt":
                h.roles[p] = "status"
            else:
                h.roles[p] = "other"
        hosts.append(h)
    return hosts


def family(name: str) -> str | None:
    for family, pattern in _KERNEL_FAMILIES:
        if pattern.match(name):
            return family
    return None


def _pick_kernelfamily(h: HostFiles) -> None:
    """Of a DRBD node's kernel-log families, read the first present in
    :data:`_KERNEL_FAMILIES`' order; the others hold the same kernel lines."""
    kernel = h.files("kernel")
    present = {f for p in kernel if (f := family(PurePosixPath(p).name))}
    if len(present) <= 1:
        return
    chosen = next(f for f, _ in _KERNEL_FAMILIES if f in present)
    for p in kernel:
        fam = family(PurePosixPath(p).name)
        if fam != chosen:
            h.roles[p] = "system"
            h.left[p] = f"the same kernel lines as {chosen}"


_SMALL = re.compile(
    r"^(?:hostname|hostname_-f|date|timedatectl.*|localtime|timezone|manifest\.json"
    r"|systeminfo\.txt)$"
)


def maybe_needed(name: str) -> bool:
    """Whether an archive member may be one of a bundle's files the run reads (its
    layout is known only once every name is listed): read it on the one pass."""
    base = PurePosixPath(name.replace("\\", "/")).name
    return bool(
        _BSR_LOG.match(base)
        or _CLI_LOG.match(base)
        or _SYSLOG.match(base)
        or any(f.match(base) for _, f in _KERNEL_FAMILIES)
        or _CONFIG.match(base)
        or _STATUS.match(base)
        or _SMALL.match(base)
    )
