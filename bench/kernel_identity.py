"""Proof that the kernel-log parse gives what an earlier version gave: ``correlate/read/kernlog.py``
and ``correlate/read/kernel.py`` of a git revision (default ``main``) against the working
tree's, node for node.

    .venv/bin/python bench/kernel_identity.py                  # every input below
    .venv/bin/python bench/kernel_identity.py --rev HEAD~1     # against another revision

For every input both versions run ``kernparse.parse_kernel_source`` and must agree on
everything: each node's frame (``DataFrame.equals`` and the schema, so every column's
dtype), every count of ``NodeParse`` and its ``FileFacts``, and the notices (text,
order, count), or raise the same error. Inputs: the real captures and hand-made kernel
logs of ``tests/data``, the 20 MB dialect bench file (when built), the simulator's DRBD
logs in every style it writes (one node each, a central syslog, a reboot), and hostile
variants of a syslog file (mixed formats in one file, CRLF, NULs, bytes that are not
UTF-8, lines without stamps, several hosts, odd hosts and tags, WinDRBD headers inside
syslog, odd dmesg stamps, a BOM, a unit separator, no final line end, rotated files).
Exits 1 at the first difference.
"""

from __future__ import annotations

import importlib.util
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from types import ModuleType

import click

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from identity import Differs, both_ran, from_bytes, outcome, same_parse  # noqa: E402

from correlate.read import kernel as after  # noqa: E402
from correlate.read.sources import LogFile, NodeSource  # noqa: E402

# The modules of stage 1 the kernel-log reader stands on, in import order: each that
# exists at the revision is taken from it, so that the revision runs on its own parser.
# Each is named by its path since the package was laid out by stage, and by its flat
# path before (correlate/kernparse.py is correlate/read/kernel.py today).
STAGE = {
    "prefixes": ("read/prefixes", "prefixes"),
    "parse": ("read/bsr", "parse"),
    "kernclock": ("read/kernclock", "kernclock"),
    "kernlog": ("read/kernlog", "kernlog"),
    "kernparse": ("read/kernel", "kernparse"),
}


def load_before(rev: str) -> ModuleType:
    """``correlate.read.kernel`` as it was at git ``rev``, with that revision's
    ``kernlog`` and the modules under it (:data:`STAGE`), imported as sibling modules
    of the package (the others, unchanged in kind, are today's)."""
    tmp = Path(tempfile.mkdtemp(prefix="bsrcorr-kernel-"))
    from old_paths import alias_flat_names

    alias_flat_names()  # the revision's relative imports of modules that moved since
    modules = {}
    for name, paths in STAGE.items():
        for where in paths:
            shown = subprocess.run(
                ["git", "-C", str(ROOT), "show", f"{rev}:correlate/{where}.py"],
                capture_output=True,
                text=True,
            )
            if shown.returncode == 0:
                break
        else:
            continue  # not yet a module of its own at that revision
        text = shown.stdout
        for earlier in modules:
            new = "correlate." + STAGE[earlier][0].replace("/", ".")
            text = text.replace(f"from .{earlier} import", f"from ._{earlier}_before import")
            text = text.replace(f"from {new} import", f"from correlate._{earlier}_before import")
        path = tmp / f"{name}_before.py"
        path.write_text(text)
        spec = importlib.util.spec_from_file_location(f"correlate._{name}_before", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        modules[name] = module
    shutil.rmtree(tmp, ignore_errors=True)
    return modules["kernparse"]


def same(before: ModuleType, source: NodeSource, what: str) -> int:
    """Both versions on one source; raises Differs. Returns the frames compared."""
    a = outcome(before.parse_kernel_source, source)
    b = outcome(after.parse_kernel_source, source)
    if not both_ran(a, b, what):
        return 0
    if len(a[0]) != len(b[0]):
        raise Differs(f"{what}: {len(a[0])} nodes / {len(b[0])} nodes")
    for x, y in zip(a[0], b[0], strict=True):
        same_parse(x, y, f"{what} ({x.name})")
    return len(a[0])


def from_paths(*paths: Path, name: str = "n") -> NodeSource:
    logs = [LogFile(p.name, path=p, size=p.stat().st_size) for p in paths]
    return NodeSource(name=name, spec=str(paths[0]), files=logs)


def file_sources() -> list[tuple[str, NodeSource]]:
    """The real captures, the hand-made kernel logs, the dialect bench's 20 MB syslog."""
    data = ROOT / "tests" / "data"
    paths = sorted((data / "real").glob("**/*.log")) + sorted((data / "kernlog").glob("*.log"))
    bench = HERE / "data" / "dialects" / "syslog-20.log"
    if bench.exists():
        paths.append(bench)
    return [(str(p.relative_to(ROOT)), from_paths(p)) for p in paths]


def simulated(tmp: Path) -> list[tuple[str, NodeSource]]:
    """The simulator's two-node story in every style, a central syslog, a reboot."""
    from tests.simulate import Sim
    from tests.simulate_drbd import STYLES, DrbdRender
    from tests.test_drbd_sim import KERNELS, START, reboot_story, story, two_nodes

    out = []
    for version in ("9.0", "9.2"):
        sim = Sim(two_nodes(), START)
        story(sim, {})
        drbd = DrbdRender(sim, version=version, kernels=KERNELS)
        for style in STYLES:
            paths, _ = drbd.write(tmp / version / style, style)
            for node, path in paths.items():
                out.append((f"sim {version} {style} {node}", from_paths(path)))
        for style in ("syslog", "rfc3339", "syslog-notag"):
            path = tmp / version / f"central-{style}.log"
            drbd.write_central(path, style)
            out.append((f"sim {version} central {style}", from_paths(path)))
    sim = Sim(two_nodes(), START)
    reboot_story(sim, {})
    drbd = DrbdRender(sim, version="9.2", kernels=KERNELS)
    for style in ("syslog", "journal-short", "dmesg", "journal-json"):
        paths, _ = drbd.write(tmp / "reboot" / style, style)
        for node, path in paths.items():
            out.append((f"sim reboot {style} {node}", from_paths(path)))
    return out


def hostile(syslog: bytes, others: dict[str, bytes]) -> list[tuple[str, NodeSource]]:
    """Variants of one syslog file (``syslog``) and mixes with files of other styles."""
    lines = syslog.split(b"\n")[:-1]
    rng = random.Random(15)

    def edit(every: int, change) -> bytes:
        return b"".join(
            (change(ln) if i % every == 3 else ln) + b"\n" for i, ln in enumerate(lines)
        )

    def swap(old: bytes, new: bytes):
        return lambda ln: ln.replace(old, new, 1)

    mixed = []
    for i, ln in enumerate(lines):
        mixed.append(ln)
        other = list(others.values())[i % len(others)].split(b"\n")
        mixed.append(other[i % max(len(other) - 1, 1)])
    shuffled = lines[:]
    rng.shuffle(shuffled)
    odd_lines = [
        b"Mar  2 10:00:01 alpha kernel: [   12.345678] drbd r0/0 drbd1 beta: pdsk( A -> B )",
        b"Mar  2 10:00:01 alpha kernel: [12.345678][T123] drbd r0: role( Secondary -> Primary )",
        b"Mar  2 10:00:01 alpha kernel: <6>[   12.345678] drbd r0: susp( no -> yes )",
        b"Mar  2 10:00:01 alpha kernel: [   12.345678] <6>drbd r0: susp( no -> yes )",
        b"Mar  2 10:00:01 alpha kernel: [   12.3456789012] drbd r0: long fraction",
        b"Mar  2 10:00:01 alpha kernel: [99999999999999999999.000001] drbd r0: huge seconds",
        b"Mar  2 10:00:01 alpha kernel: [   -1.000001] drbd r0: negative",
        b"Mar  2 10:00:01 alpha kernel: [ 1.5]drbd r0: no space",
        b"Mar  2 10:00:01 alpha kernel: drbd r0: no stamp",
        b"Mar  2 10:00:01 alpha kernel[0]: [   12.345678] drbd r0: kernel with a pid",
        b"Mar  2 10:00:01 alpha kernel:  [   12.345678] drbd r0: two spaces",
        b"Mar  2 10:00:01 alpha  drbd r0: conn( A -> B ) no tag",
        b"Mar  2 10:00:01 alpha drbd0: no tag, a device name",
        b"Mar  2 10:00:01 alpha\tkernel: [   12.345678] drbd r0: tab after host",
        b"Mar  2 10:00:01 alp]ha kernel: [   12.345678] drbd r0: bracket in host",
        b"Mar  2 10:00:01 alpha] kernel: [   12.345678] drbd r0: host ends with ]",
        b"Mar  2 10:00:01 alpha: kernel: [   12.345678] drbd r0: host ends with :",
        "Mar  2 10:00:01 älpha kernel: [   12.345678] drbd r0: non-ASCII host".encode(),
        "Mar  2 10:00:01 alpha kernel: [   12.345678] drbd r0 bétä: non-ASCII peer".encode(),
        "Mar  2 10:00:01 alpha kernel: [   12.345678] drbd r0: non-ASCII message ü".encode(),
        "Mar  2 10:00:01 alpha systemd[1]: Stärted ü: x".encode(),
        b"Mar  2 10:00:01 alpha systemd[1]: U10:00:01.084|1a2b(drbd_w_r0) #5 f drbd r0: x",
        b"Mar  2 10:00:01 alpha prog: <6> 02.03.2024 U10:00:01.084 (1/2)|1a(c) #5 f drbd r0: x",
        b"Mar  2 10:00:01 alpha prog: 12.03.2024 nothing",
        b"Mar  2 10:00:01 alpha Satellite[2391]: 14:02:11.123 [Main] INFO ok",
        b"Mar  2 10:00:01 alpha prog[x]: bad pid",
        b"Mar  2 10:00:01 alpha drbd[12]: a program called drbd",
        b"Mar  2 10:00:01 alpha kernel: [   12.345678] drbd r0, r(Secondary), f(a: b): win",
        b"Mar  2 10:00:01 alpha kernel: [   12.345678] drbd r0/0 minor 1, ds(UpToDate): win",
        b"Mar  2 10:00:01 alpha kernel: [   12.345678] drbd r0 beta: conn( A -> B ) [why]",
        b"Mar  2 10:00:01 alpha kernel: [   12.345678] block drbd37: 8.4 device",
        b"Mar  2 10:00:01 alpha kernel: [   12.345678] drbd r0 x) [abc: d -> e]",
        b"Mar  2 10:00:01 alpha kernel: [   12.345678] drbd r0) [x: d -> e]",
        b"Mar  2 10:00:01 alpha kernel: [   12.345678] drbd r0: -> x) [y]",
        b"Mar  2 10:00:01 alpha kernel: [   12.345678][ T5] drbd r0: padded caller",
        b"Mar  2 10:00:01 alpha kernel: [   12.345678][X5] drbd r0: not a caller",
        b"Mar  2 10:00:01 alpha kernel: [   12.345678][C2] drbd r0: cpu caller",
        b"Mar  2 10:00:01 alpha kernel: <6>drbd r0: priority, no stamp",
        b"Mar  2 10:00:01 alpha kernel: <6>[   12.345678] drbd r0: priority and stamp",
        b"Mar  2 10:00:01 alpha kernel:  drbd r0: two spaces, no stamp",
        b"Mar  2 10:00:01 alpha kernel: d-con r0: no stamp, 8.4",
        b"Mar  2 10:00:01 alpha kernel: U10:00:01.084|1a2b(drbd_w_r0) #5 f drbd r0: x",
        b"Mar  2 10:00:01 alpha prog: drbd r0: a user program's DRBD-like line",
        b"Mar  2 10:00:01 alpha prog: -- x --",
        b"Mar  2 10:00:01 alpha kernel: [   12.345678] drbd r0: -> a -> b) [y]",
        b"Mar  2 10:00:01 alpha kernel: [   12.345678] drbd a -> b: conn( A -> B ) [why]",
        b"Mar  2 10:00:01 alpha kernel: [   12.345678] drbd r0 [b]: conn( A -> B ) [why]",
        b"Mar  2 10:00:01 alpha kernel: [   12.345678] drbd r0: conn( A -> B ) [a] [b]",
        b"Mar  2 10:00:01 alpha kernel: [   12.345678] drbd r0: conn( A -> B ) []",
        b"Mar  2 10:00:01 alpha kernel: [   12.345678] drbd r0: [x]",
        "Mar  2 10:00:01 alpha kernel: [   12.345678] drbd r0: ü( A -> B ) [wé]".encode(),
        b"Mar  2 10:00:01 alpha systemd[1]: [   12.345678] drbd r0: a stamp in a user line",
        b"Mar  2 10:00:01 alpha kernel: [   12.345678] d-con r0: 8.4 connection",
        b"Mar  2 10:00:01 alpha kernel: [   12.345678] drbd: module",
        b"Mar  2 10:00:01 alpha kernel: [   12.345678] drbd /unregistered/r0: gone",
        b"Mar  2 10:00:01 alpha kernel: [   12.345678] EXT4-fs (dm-3): mounted",
        b"Mar  2 10:00:01 alpha kernel: [   12.345678] ",
        b"Mar  2 10:00:01 alpha kernel: [   12.345678]",
        b"Mar  2 10:00:01 alpha kernel: ",
        b"Mar  2 10:00:01 alpha kernel:",
        b"Mar  2 10:00:01 alpha",
        b"Mar  2 10:00:01 alpha ",
        b"Mar  2 10:00:01.123456 alpha kernel: [   12.345678] drbd r0: precise",
        b"Mar 02 10:00:01 alpha kernel: [   12.345678] drbd r0: zero-padded day",
        b"Mar 12 10:00:01 alpha kernel: [   12.345678] drbd r0: two-digit day",
        b"Feb 30 10:00:01 alpha kernel: [   12.345678] drbd r0: no such day",
        b"Mar  2 25:61:61 alpha kernel: [   12.345678] drbd r0: no such time",
        b"Mar  2 10:00:60 alpha kernel: [   12.345678] drbd r0: leap second",
        b"Foo  2 10:00:01 alpha kernel: [   12.345678] drbd r0: no such month",
        b"[   12.345678] drbd r0: dmesg line",
        b"drbd r0: stamp-less",
        b"-- Reboot --",
        b"",
        b"   ",
        b"garbage",
    ]
    odd = b"".join(ln + b"\n" for ln in odd_lines)
    head = b"".join(ln + b"\n" for ln in lines[:400])
    out = {
        "syslog": syslog,
        "crlf": syslog.replace(b"\n", b"\r\n"),
        "crlf some": edit(50, lambda ln: ln + b"\r"),
        "nul": edit(97, lambda ln: ln[:20] + b"\x00" + ln[20:]),
        "not utf-8": edit(113, lambda ln: ln + b"\xff\xfe"),
        "bom": b"\xef\xbb\xbf" + syslog,
        "unit separator": edit(200, lambda ln: ln + b"\x1fx"),
        "no final eol": syslog.rstrip(b"\n"),
        "empty lines": edit(7, lambda ln: b""),
        "mixed formats": b"".join(ln + b"\n" for ln in mixed),
        "mixed after syslog": head + b"".join(ln + b"\n" for ln in mixed),
        "shuffled": b"".join(ln + b"\n" for ln in shuffled),
        "hosts": edit(3, swap(b" alpha ", b" gamma ")),
        "no stamps": edit(5, lambda ln: ln[16:]),
        "tab hosts": edit(11, swap(b" alpha ", b" alpha\t")),
        "caller ids": edit(4, swap(b"] drbd", b"][T77] drbd")),
        "no dmesg stamps": edit(2, lambda ln: re.sub(rb"kernel: \[ *[0-9.]+\] ", b"kernel: ", ln)),
        "pri inside": edit(6, swap(b"kernel: [", b"kernel: <3>[")),
        "odd lines": odd,
        "odd lines first": odd + head,
        "odd lines last": head + odd,
        "odd lines between": b"".join(
            ln + b"\n" + odd_lines[i % len(odd_lines)] + b"\n" for i, ln in enumerate(lines[:2000])
        ),
        "new year": head.replace(b"Mar ", b"Dec ") + head.replace(b"Mar ", b"Jan "),
    }
    for name, raw in others.items():
        out[f"{name} + syslog"] = raw + head
        out[f"syslog + {name}"] = head + raw
    cut = len(lines) // 2
    first = b"".join(ln + b"\n" for ln in lines[:cut])
    second = b"".join(ln + b"\n" for ln in lines[cut:])
    rotated = [
        ("rotated", from_bytes(second, first)),
        ("rotated, one of another format", from_bytes(first, others["rfc3339"])),
    ]
    return [(f"hostile {k}", from_bytes(v)) for k, v in out.items()] + [
        (f"hostile {k}", v) for k, v in rotated
    ]


@click.command()
@click.option("--rev", default="main", show_default=True, help="git revision to compare with")
def main(rev: str) -> None:
    before = load_before(rev)
    t0 = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="bsrcorr-kid-"))
    try:
        sources = file_sources() + simulated(tmp)
        sim_syslog = tmp / "9.2" / "syslog" / "n0.log"
        others = {
            style: (tmp / "9.2" / style / "n1.log").read_bytes()
            for style in ("rfc3339", "journal-json", "dmesg", "windrbd", "none", "syslog-notag")
        }
        sources += hostile(sim_syslog.read_bytes(), others)
        frames = 0
        for what, source in sources:
            try:
                frames += same(before, source, what)
            except Differs as exc:
                click.echo(f"DIFFERS {exc}")
                sys.exit(1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    click.echo(
        f"identical: {len(sources)} inputs, {frames} node frames "
        f"(against {rev}, {datetime.now():%H:%M}, {time.perf_counter() - t0:.0f} s)"
    )


if __name__ == "__main__":
    main()
