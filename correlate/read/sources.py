"""Stage 0, sources: turn the SRC arguments into nodes and their log files.

A SRC is a log file, a directory holding a node's ``bsr.log`` and its rotated
``bsr.log_YYYY-MM-DDTHHMMSS.mmm`` files, or a ``.zip``, ``.tar.gz``/``.tgz``/``.tar`` or
``.gz`` of those. ``NAME=SRC`` names the node; otherwise the file stem or the directory
name does. A directory or archive whose logs sit in several subdirectories (a support
bundle with ``node0/`` and ``node1/``) yields one node per subdirectory.

Archives are read into memory and never extracted to disk, so no member name can write
anywhere; members whose names would escape the archive (``../x``, ``/etc/x``) are refused
all the same, because an archive built that way is not to be trusted. Decompression is
capped (``max_extract`` bytes per run) so that a zip bomb ends in a clear error.

This stage does not parse lines and does not order files: the parse stage orders a
node's files by their content (first counter and time), since rotated names alone can
lie after a copy.
"""

from __future__ import annotations

import hashlib
import os
import re
import tarfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from correlate.errors import InputError, Notices
from correlate.i18n import Msg
from correlate.read import bundles, status

# BSR's own log and its rotated files; a Linux node's kernel logs as syslog daemons rotate
# them (kern.log, syslog, messages, with .1 / .2.gz ...), for DRBD clusters.
LOG_NAME = re.compile(r"^(?:bsr\.log(?:_.*)?|(?:kern\.log|syslog|messages)(?:\.\d+)?(?:\.gz)?)$")
# A name given with NAME=SRC: short, printable, no path separators.
NODE_NAME = re.compile(r"^[A-Za-z0-9_.@:+-]{1,64}$")
DEFAULT_MAX_EXTRACT = 4 * 1024**3
CHUNK = 1 << 20
IDENTITY_SPAN = 1 << 20
# How deep a directory SRC is listed, and how many files at most, to find a bundle's
# layout (a sosreport holds thousands of files; a home directory given by mistake, more).
BUNDLE_DEPTH = 8
BUNDLE_FILES = 200_000
SMALL_FILE = 4096


@dataclass
class LogFile:
    """One log file of a node: on disk (``path``) or decompressed in memory (``data``)."""

    display: str
    path: Path | None = None
    data: bytes | None = None
    size: int = 0
    truncated: bool = False  # a compressed stream ended early; the data is what was read
    # When the file was last written (seconds since the epoch), where the data came from
    # an archive member or a decompressed file: the year of year-less syslog stamps.
    mtime: float | None = None

    def head(self, n: int = 65536) -> bytes:
        if self.data is not None:
            return self.data[:n]
        assert self.path is not None
        with open(self.path, "rb") as fh:
            return fh.read(n)

    def identity(self) -> str:
        """Size plus a hash of the first and last MiB: enough to tell two copies of one
        log (its counters and times make every log unique) without reading gigabytes."""
        h = hashlib.blake2b(digest_size=16)
        h.update(str(self.size).encode())
        if self.data is not None:
            h.update(self.data[:IDENTITY_SPAN])
            if self.size > IDENTITY_SPAN:
                h.update(self.data[-IDENTITY_SPAN:])
        else:
            assert self.path is not None
            with open(self.path, "rb") as fh:
                h.update(fh.read(IDENTITY_SPAN))
                if self.size > IDENTITY_SPAN:
                    fh.seek(self.size - IDENTITY_SPAN)
                    h.update(fh.read(IDENTITY_SPAN))
        return h.hexdigest()


@dataclass
class BundleFile:
    """One file of a support bundle and what the run did with it."""

    display: str
    role: str  # driver, kernel, admin, config, status, system, other (read.bundles)
    read: bool  # read into the run (timeline, admin commands, config)
    why: str | None = None  # for a file of a log role left unread: the reason's words


@dataclass
class NodeSource:
    """A node and the files that hold its log; from a support bundle, also its CLI logs,
    its config and status files, and what every file of the bundle was."""

    name: str
    spec: str
    files: list[LogFile] = field(default_factory=list)
    named: bool = False  # True when the user gave NAME=SRC
    kind: str | None = None  # the bundle's kind (read.bundles.KINDS), None for bare logs
    host: str | None = None  # the host the bundle names
    admin: list[LogFile] = field(default_factory=list)
    config: list[LogFile] = field(default_factory=list)
    status: list[LogFile] = field(default_factory=list)
    context: list[LogFile] = field(default_factory=list)  # the host's own logs (System/)
    gaps: list[dict[str, str]] = field(default_factory=list)  # holes its files show
    manifest: list[LogFile] = field(default_factory=list)  # sos_reports/manifest.json
    host_info: list[LogFile] = field(default_factory=list)  # timedatectl, systeminfo.txt
    inventory: list[BundleFile] = field(default_factory=list)


@dataclass
class _Budget:
    """Bytes still allowed to come out of archives in this run."""

    left: int

    def take(self, n: int, what: str) -> None:
        self.left -= n
        if self.left < 0:
            raise InputError(
                Msg(
                    "{what}: archive expands beyond the {value} MiB extraction cap (a zip "
                    "bomb?); extract it yourself if it is genuine",
                    what=what,
                    value=DEFAULT_MAX_EXTRACT // 1024**2,
                )
            )


# Control bytes other than tab, line feed, vertical tab, form feed and carriage return:
# many of them in a file's head mean binary data, not a log.
_CONTROL_BYTES = bytes([*range(9), *range(14, 32)])


def control_bytes(head: bytes) -> int:
    """How many control bytes ``head`` holds, counted in C by ``bytes.translate`` (a
    Python loop over a 64 KiB head took 6 ms a file, 0.2 s on the bench's 32 files)."""
    return len(head) - len(head.translate(None, _CONTROL_BYTES))


def split_spec(spec: str) -> tuple[str | None, str]:
    """``NAME=SRC`` -> (NAME, SRC); a bare path that exists wins over a NAME= reading."""
    if "=" in spec and not os.path.lexists(spec):
        name, _, src = spec.partition("=")
        if NODE_NAME.match(name):
            return name, src
    return None, spec


def resolve(
    specs: Iterable[str], notices: Notices, max_extract: int = DEFAULT_MAX_EXTRACT
) -> list[NodeSource]:
    """Resolve every SRC to nodes. Raises :class:`InputError` for what stops the run."""
    budget = _Budget(max_extract)
    nodes: list[NodeSource] = []
    for spec in specs:
        name, src = split_spec(spec)
        found = _resolve_one(src, notices, budget)
        if name is not None:
            if len(found) > 1:
                subdirs = ", ".join(n.name for n in found)
                raise InputError(
                    Msg(
                        "{src}: holds the logs of {count} nodes ({subdirs}); NAME=SRC names one "
                        "node: give each node's directory as its own SRC",
                        src=src,
                        count=len(found),
                        subdirs=subdirs,
                    )
                )
            found[0].name = name
            found[0].named = True
        for node in found:
            node.spec = spec
        nodes.extend(found)
    _dedupe_names(nodes, notices)
    _reject_shared_files(nodes)
    for node in nodes:
        for hole in rotation_holes([f.display for f in node.files]):
            notices.warn(
                Msg(
                    "{missing} is not among the files: a hole in the rotated set {family} "
                    "(logrotate numbers its files one after another), whose lines are missing",
                    missing=hole["file"],
                    family=hole["family"],
                ),
                node.name,
            )
            node.gaps.append(hole)
    return nodes


# logrotate's numbered names: a log's own name (no digits: BSR's rotated
# bsr.log_2020-10-26T122945.123 ends in milliseconds, not a rotation number), then .N.
_NUMBERED = re.compile(r"^(?P<base>[A-Za-z_.-]*[A-Za-z])\.(?P<n>[0-9]+)(?:\.gz)?$")


def rotation_holes(displays: list[str]) -> list[dict[str, str]]:
    """Files missing from a numbered rotated set (``messages``, ``messages.1``,
    ``messages.3.gz``: logrotate numbers rotations 1, 2, 3 ... one after another, so a
    missing number is a missing file). Sets rotated by date (``messages-20240301``) prove
    no hole: their dates need not follow a period."""
    sets: dict[str, set[int]] = {}
    for display in displays:
        name = display.replace("\\", "/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        if m := _NUMBERED.match(name):
            sets.setdefault(m["base"], set()).add(int(m["n"]))
    out = []
    for base, numbers in sorted(sets.items()):
        for n in range(1, max(numbers)):
            if n not in numbers:
                out.append({"what": "rotation hole", "family": base, "file": f"{base}.{n}"})
    return out


def _resolve_one(src: str, notices: Notices, budget: _Budget) -> list[NodeSource]:
    path = Path(src)
    try:
        st = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise InputError(Msg("{src}: broken symbolic link", src=src)) from None
        raise InputError(Msg("{src}: no such file or directory", src=src)) from None
    except OSError as exc:  # ELOOP, EACCES on a parent, ...
        raise InputError(
            Msg("{src}: cannot open: {reason}", src=src, reason=exc.strerror or exc)
        ) from None
    if path.is_dir():
        return _from_directory(src, path, notices, budget)
    if not path.is_file():
        raise InputError(Msg("{src}: not a regular file or directory", src=src))
    if not os.access(path, os.R_OK):
        raise InputError(Msg("{src}: permission denied", src=src))
    kind = _sniff(path)
    stem = _stem(path.name)
    if kind in ("zip", "tar"):
        found = _from_archive(src, path, kind, notices, budget)
        if isinstance(found, list):
            return found
        return _nodes_from_groups(found, default_name=stem, where=src)
    if kind == "gzip":
        data, truncated = _gunzip(path.read_bytes(), src, budget)
        inner = path.name[: -len(".gz")] if path.name.endswith(".gz") else path.name
        if truncated:
            notices.warn(
                Msg(
                    "{src}: gzip stream is truncated; using the {count} bytes it held",
                    src=src,
                    count=len(data),
                )
            )
        log = LogFile(
            display=src, data=data, size=len(data), truncated=truncated, mtime=st.st_mtime
        )
        return [NodeSource(name=_node_name_for_file(Path(inner), stem), spec=src, files=[log])]
    log = LogFile(display=src, path=path, size=st.st_size)
    return [NodeSource(name=_node_name_for_file(path, stem), spec=src, files=[log])]


def _stem(name: str) -> str:
    """``node0.log.gz`` -> ``node0``: strip archive and log extensions, outermost first."""
    stripped = True
    while stripped:
        stripped = False
        for ext in (
            ".tar.gz",
            ".tgz",
            ".tar.xz",
            ".tar.bz2",
            ".tar",
            ".zip",
            ".gz",
            ".log",
            ".txt",
            # what collectors name a kernel log saved by hand (``host.dmesg``)
            ".dmesg",
            ".syslog",
            ".journal",
        ):
            if name.lower().endswith(ext) and len(name) > len(ext):
                name = name[: -len(ext)]
                stripped = True
    return name


def _node_name_for_file(path: Path, stem: str) -> str:
    """``node0.log`` names node0; BSR's own ``bsr.log`` names nothing, so its directory does."""
    if LOG_NAME.match(path.name) or stem == "bsr":
        parent = path.resolve().parent.name if path.parent != Path() else Path.cwd().name
        return parent or stem
    return stem


def _sniff(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(512)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith(b"\x1f\x8b"):
        name = path.name.lower()
        return "tar" if name.endswith((".tar.gz", ".tgz")) else "gzip"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    # xz and bzip2 streams: a support bundle's tar (.tar.xz, .tar.bz2), or nothing read.
    if head.startswith((b"\xfd7zXZ\x00", b"BZh")) and tarfile.is_tarfile(path):
        return "tar"
    return "plain"


def _from_directory(src: str, path: Path, notices: Notices, budget: _Budget) -> list[NodeSource]:
    listed = _list_directory(path)
    hosts = bundles.classify(list(listed), lambda rel: _small_file(listed.get(rel)))
    if not hosts:
        # The SRC may be a host's directory itself (``h0/`` of a BSR bundle): its layout
        # then starts one level up, with the directory's own name.
        own = path.resolve().name
        inner = {f"{own}/{rel}": p for rel, p in listed.items()}
        hosts = bundles.classify(list(inner), lambda rel: _small_file(inner.get(rel)))
        if hosts:
            listed = inner
            src = os.path.dirname(src.rstrip("/")) or "."
    if hosts:
        return _bundle_nodes(
            src,
            hosts,
            notices,
            lambda rel: _disk_log(src, listed[rel], rel, notices, budget),
            lambda rel: os.path.join(src, rel),
        )
    groups: dict[str, list[LogFile]] = {}
    # Not following symbolic links to directories: a link loop cannot trap the walk.
    for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
        depth = len(Path(dirpath).relative_to(path).parts)
        if depth >= 3:
            dirnames[:] = []
        dirnames.sort()
        for fname in sorted(filenames):
            if not LOG_NAME.match(fname):
                continue
            fpath = Path(dirpath) / fname
            shown = os.path.join(src, os.path.relpath(fpath, path))
            try:
                st = fpath.stat()
                if not fpath.is_file():
                    continue
                with open(fpath, "rb"):
                    pass
            except OSError as exc:
                notices.warn(
                    Msg("{shown}: skipped: {reason}", shown=shown, reason=exc.strerror or exc)
                )
                continue
            rel_dir = os.path.relpath(dirpath, path)
            if _sniff(fpath) == "gzip":
                data, truncated = _gunzip(fpath.read_bytes(), shown, budget)
                if truncated:
                    notices.warn(
                        Msg("{shown}: gzip stream is truncated; using what it held", shown=shown)
                    )
                log = LogFile(display=shown, data=data, size=len(data), truncated=truncated)
            else:
                log = LogFile(display=shown, path=fpath, size=st.st_size)
            groups.setdefault(rel_dir, []).append(log)
    if not groups:
        raise InputError(
            Msg(
                "{src}: no bsr.log or rotated bsr.log_* files in this directory (nor "
                "kern.log, syslog, messages)",
                src=src,
            )
        )
    default = path.resolve().name or src
    return _nodes_from_groups(groups, default_name=default, where=src)


def _nodes_from_groups(
    groups: dict[str, list[LogFile]], default_name: str, where: str
) -> list[NodeSource]:
    """One node per directory that holds logs. Logs at the top and in subdirectories
    at once is ambiguous (whose are the top ones?), so it stops the run."""
    if len(groups) == 1:
        files = next(iter(groups.values()))
        return [NodeSource(name=default_name, spec=where, files=files)]
    if "." in groups or "" in groups:
        subdirs = ", ".join(sorted(k for k in groups if k not in (".", "")))
        raise InputError(
            Msg(
                "{where}: holds bsr.log files at its top and in subdirectories "
                "({subdirs}); give each node's directory as its own SRC",
                where=where,
                subdirs=subdirs,
            )
        )
    nodes = []
    for rel_dir in sorted(groups):
        name = PurePosixPath(rel_dir.replace(os.sep, "/")).name or rel_dir
        nodes.append(NodeSource(name=name, spec=where, files=groups[rel_dir]))
    return nodes


def _unsafe_member(name: str) -> bool:
    norm = name.replace("\\", "/")
    p = PurePosixPath(norm)
    return (
        norm.startswith("/")
        or bool(re.match(r"^[A-Za-z]:", norm))
        or any(part == ".." for part in p.parts)
    )


def _norm(name: str) -> str:
    """An archive member's or a listed file's path as the layout rules see it."""
    norm = name.replace("\\", "/")
    while norm.startswith("./"):
        norm = norm[2:]
    return norm


def _from_archive(
    src: str, path: Path, kind: str, notices: Notices, budget: _Budget
) -> list[NodeSource] | dict[str, list[LogFile]]:
    """A support bundle's nodes, or (logs in plain folders) the logs by directory."""
    members: list[tuple[str, bytes, bool]] = []
    names: list[str] = []
    mtimes: dict[str, float] = {}  # member -> its time in the archive
    try:
        if kind == "zip":
            members, names = _read_zip(src, path, notices, budget, mtimes)
        else:
            members, names = _read_tar(src, path, notices, budget, mtimes)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise InputError(
            Msg("{src}: corrupt or truncated archive: {exc}", src=src, exc=exc)
        ) from None
    data = {_norm(name): (name, blob, truncated) for name, blob, truncated in members}
    hosts = bundles.classify(
        sorted({_norm(n) for n in names}),
        lambda rel: data[rel][1][:SMALL_FILE] if rel in data else None,
    )
    if hosts:

        def member(rel: str) -> LogFile | None:
            if rel not in data:
                return None
            name, blob, truncated = data[rel]
            log = _memory_log(f"{src}:{name}", blob, truncated, notices, budget)
            log.mtime = mtimes.get(name)
            return log

        return _bundle_nodes(src, hosts, notices, member, lambda rel: f"{src}:{rel}")
    groups: dict[str, list[LogFile]] = {}
    for name, blob, truncated in members:
        if not _wanted(name):
            continue
        rel_dir = str(PurePosixPath(name.replace("\\", "/")).parent)
        groups.setdefault(rel_dir, []).append(
            LogFile(
                display=f"{src}:{name}",
                data=blob,
                size=len(blob),
                truncated=truncated,
                mtime=mtimes.get(name),
            )
        )
    if not groups:
        raise InputError(
            Msg(
                "{src}: archive holds no bsr.log or bsr.log_* file (nor kern.log, "
                "syslog, messages)",
                src=src,
            )
        )
    return groups


def _wanted(name: str) -> bool:
    return bool(LOG_NAME.match(PurePosixPath(name.replace("\\", "/")).name))


def _read_member(name: str) -> bool:
    """Read on the one pass: a log by its name, or a file a bundle's layout may use."""
    return _wanted(name) or bundles.maybe_needed(name)


def _refused(src: str, name: str, notices: Notices) -> bool:
    if _unsafe_member(name):
        notices.warn(
            Msg(
                "{src}: refused member {filename}: its name escapes the archive",
                src=src,
                filename=f"{name!r}",
            )
        )
        return True
    return False


def _read_zip(
    src: str, path: Path, notices: Notices, budget: _Budget, mtimes: dict[str, float]
) -> tuple[list[tuple[str, bytes, bool]], list[str]]:
    out = []
    names = []
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            if _unsafe_member(info.filename):
                if _read_member(info.filename):
                    _refused(src, info.filename, notices)
                continue
            names.append(info.filename)
            if not _read_member(info.filename):
                continue
            chunks = []
            with zf.open(info) as fh:
                while block := fh.read(CHUNK):
                    budget.take(len(block), src)
                    chunks.append(block)
            out.append((info.filename, b"".join(chunks), False))
            mtimes[info.filename] = time.mktime((*info.date_time, 0, 0, -1))
    return out, names


def _read_tar(
    src: str, path: Path, notices: Notices, budget: _Budget, mtimes: dict[str, float]
) -> tuple[list[tuple[str, bytes, bool]], list[str]]:
    out = []
    names = []
    with tarfile.open(path, mode="r:*") as tf:
        for member in tf:
            wanted = _read_member(member.name)
            if _unsafe_member(member.name):
                if wanted:
                    _refused(src, member.name, notices)
                continue
            if not member.isfile():
                if wanted and not member.isdir():
                    notices.warn(
                        Msg(
                            "{src}: skipped member {name}: not a regular file",
                            src=src,
                            name=f"{member.name!r}",
                        )
                    )
                continue
            names.append(member.name)
            if not wanted:
                continue
            fh = tf.extractfile(member)
            if fh is None:
                continue
            chunks = []
            while block := fh.read(CHUNK):
                budget.take(len(block), src)
                chunks.append(block)
            out.append((member.name, b"".join(chunks), False))
            mtimes[member.name] = float(member.mtime)
    return out, names


def _memory_log(
    display: str, blob: bytes, truncated: bool, notices: Notices, budget: _Budget
) -> LogFile:
    """A bundle's member as a log, gunzipped when it is a rotated ``.gz``."""
    if blob.startswith(b"\x1f\x8b"):
        blob, truncated = _gunzip(blob, display, budget)
        if truncated:
            notices.warn(
                Msg("{shown}: gzip stream is truncated; using what it held", shown=display)
            )
    return LogFile(display=display, data=blob, size=len(blob), truncated=truncated)


def _list_directory(path: Path) -> dict[str, Path]:
    """Every regular file under ``path`` (relative posix path -> path), to a depth and a
    count where a bundle ends and a wrong directory begins."""
    out: dict[str, Path] = {}
    for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
        rel = Path(dirpath).relative_to(path)
        if len(rel.parts) >= BUNDLE_DEPTH:
            dirnames[:] = []
        dirnames.sort()
        for fname in sorted(filenames):
            fpath = Path(dirpath) / fname
            out[_norm(str(rel / fname))] = fpath
            if len(out) >= BUNDLE_FILES:
                return out
    return out


def _small_file(fpath: Path | None) -> bytes | None:
    if fpath is None:
        return None
    try:
        with open(fpath, "rb") as fh:
            return fh.read(SMALL_FILE)
    except OSError:
        return None


def _disk_log(src: str, fpath: Path, rel: str, notices: Notices, budget: _Budget) -> LogFile | None:
    shown = os.path.join(src, rel)
    try:
        st = fpath.stat()
        if not fpath.is_file():
            return None
        with open(fpath, "rb") as fh:
            head = fh.read(2)
    except OSError as exc:
        notices.warn(Msg("{shown}: skipped: {reason}", shown=shown, reason=exc.strerror or exc))
        return None
    if head == b"\x1f\x8b":
        log = _memory_log(shown, fpath.read_bytes(), False, notices, budget)
        log.mtime = st.st_mtime
        return log
    return LogFile(display=shown, path=fpath, size=st.st_size)


# Why a file of a role the run does not read is left (summary.json bundles[].files[].why).
_LEFT = {"system": "unreadable", "other": None}
# What a role's files become in a node.
_ROLE_LISTS = {
    "manifest": "manifest",
    "system": "context",
    "driver": "files",
    "kernel": "files",
    "admin": "admin",
    "config": "config",
    "status": "status",
    "host_info": "host_info",
}


def _bundle_nodes(
    src: str,
    hosts: list[bundles.HostFiles],
    notices: Notices,
    get_log: Callable[[str], LogFile | None],
    shown: Callable[[str], str],
) -> list[NodeSource]:
    """One node per host of a bundle, named by its host, with every file accounted for."""
    nodes = []
    for h in hosts:
        node = NodeSource(name=_host_name(h.host), spec=src, kind=h.kind, host=h.host)
        for rel, role in sorted(h.roles.items()):
            # A file the layout left (the same kernel lines as another family) is not read.
            target = _ROLE_LISTS.get(role) if rel not in h.left else None
            log = get_log(rel) if target else None
            if log is None:
                why = h.left.get(rel) or _LEFT.get(role)
                node.inventory.append(BundleFile(shown(rel), role, False, why))
                continue
            getattr(node, target).append(log)
            if role == "status" and not status.SNAPSHOT.match(PurePosixPath(rel).name):
                # Status output of another form (gi.txt, /proc/drbd): listed, not compared.
                node.inventory.append(
                    BundleFile(log.display, role, False, "not a status output bsrcorr reads")
                )
            else:
                node.inventory.append(BundleFile(log.display, role, True))
        if not node.files:
            notices.warn(
                Msg(
                    "{src}: host {host} of this {kind} bundle has no driver or kernel log; "
                    "its {count} file(s) are not read",
                    src=src,
                    host=h.host,
                    kind=h.kind,
                    count=len(h.roles),
                )
            )
            continue
        nodes.append(node)
    if not nodes:
        raise InputError(
            Msg(
                "{src}: a {kind} bundle, but with no driver or kernel log of any host",
                src=src,
                kind=hosts[0].kind,
            )
        )
    return nodes


def _host_name(host: str) -> str:
    """A host as a node name: what NAME=SRC allows, other characters replaced."""
    name = re.sub(r"[^A-Za-z0-9_.@:+-]", "_", host)[:64]
    return name or "host"


def _gunzip(raw: bytes, what: str, budget: _Budget) -> tuple[bytes, bool]:
    """Decompress a gzip stream (several members, as ``cat a.gz b.gz`` makes, are fine).

    Output is pulled in bounded pieces so the extraction cap stops a bomb before it
    fills memory. A stream that ends early keeps what it held and says so (truncated).
    """
    out: list[bytes] = []
    data = raw
    while data:
        d = zlib.decompressobj(wbits=31)
        try:
            buf = data
            while buf and not d.eof:
                block = d.decompress(buf, CHUNK)
                budget.take(len(block), what)
                out.append(block)
                buf = d.unconsumed_tail
            if not d.eof:
                block = d.flush()
                budget.take(len(block), what)
                out.append(block)
        except zlib.error as exc:
            if not out:
                raise InputError(
                    Msg("{what}: not a readable gzip stream: {exc}", what=what, exc=exc)
                ) from None
            return b"".join(out), True
        if not d.eof:
            return b"".join(out), True
        # Trailing NUL padding after the last member is common and harmless.
        data = d.unused_data.lstrip(b"\0")
    return b"".join(out), False


def _dedupe_names(nodes: list[NodeSource], notices: Notices) -> None:
    seen: dict[str, int] = {}
    for node in nodes:
        base = node.name
        if base in seen:
            seen[base] += 1
            new = f"{base}-{seen[base]}"
            notices.note(
                Msg(
                    "two sources are named {base}; calling {spec} {new} (name nodes with NAME=SRC)",
                    base=f"{base!r}",
                    spec=f"{node.spec!r}",
                    new=f"{new!r}",
                )
            )
            node.name = new
        else:
            seen[base] = 1


def _reject_shared_files(nodes: list[NodeSource]) -> None:
    """The same log under two nodes would align a node with itself: stop early."""
    owner: dict[str, tuple[str, str]] = {}
    for node in nodes:
        for log in node.files:
            key = log.identity()
            if key in owner and owner[key][0] != node.name:
                other_node, other_file = owner[key]
                raise InputError(
                    Msg(
                        "the same log was given for two nodes: {other_file} ({other_node}) and "
                        "{display} ({name})",
                        other_file=other_file,
                        other_node=other_node,
                        display=log.display,
                        name=node.name,
                    )
                )
            owner.setdefault(key, (node.name, log.display))


# What polars takes for a compressed stream and decompresses on its own: gzip, zlib
# (0x78 then 01, 5E '^', 9C, DA) and zstd. A log that begins so (a text line "x^...",
# or debris) must not reach its readers as it is.
_COMPRESSED_MAGIC = (b"\x1f\x8b", b"\x28\xb5\x2f\xfd", b"x\x01", b"x^", b"x\x9c", b"x\xda")


def polars_source(log: LogFile) -> tuple[Path | bytes, int]:
    """What to hand polars' readers for ``log``, and how many leading lines of what
    they read are not the file's: a file that begins like a compressed stream is given
    with an empty line before it (sliced off after reading), so it is read as the text
    it is."""
    if log.head(4).startswith(_COMPRESSED_MAGIC):
        return b"\n" + read_bytes(log), 1
    return (log.path if log.data is None else log.data), 0  # type: ignore[return-value]


def starts_compressed(data: bytes) -> bool:
    return data.startswith(_COMPRESSED_MAGIC)


def read_bytes(log: LogFile) -> bytes:
    if log.data is not None:
        return log.data
    assert log.path is not None
    return log.path.read_bytes()
