"""Benchmark: parse speed per MB, DRBD kernel logs beside BSR's own log.

    .venv/bin/python bench/dialects.py               # 100 MB of each, 5 rounds
    .venv/bin/python bench/dialects.py --size-mb 20 --rounds 3

Writes, once, into ``bench/data/dialects/``: about SIZE MB of BSR's format (the samples'
lines, times advanced) and about SIZE MB of a DRBD node's syslog with dmesg stamps (the
real captures' DRBD lines, with systemd and other kernel lines between, times advanced).
Then reads each through its parse stage (``parse.parse_node`` for BSR,
``kernparse.parse_kernel_source`` for the kernel log: line formats, hosts, boot anchors,
DRBD prefixes), alternating the two ``--rounds`` times, and prints MB/s of each and their
ratio (median of the rounds). Target (issue 15): DRBD within 1.5x of BSR per MB.

The wrapping forms of issue 23 are made from that syslog, line by line: ``grep``'s file
prefix (``kern.log:Jan  1 ...``), ``talosctl dmesg`` lines, Russian month names, and an
unknown collector header before each message (``prefix+none``); so are the other line
formats it added: ``dmesg -H`` (a minute stamp, then deltas), ``dmesg
--time-format=iso`` and ``journalctl -o short-full``; each is read and timed the same
way, its ratio to BSR printed. ``--only`` times a few of them (with BSR's log always).
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import click

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from correlate.errors import Notices  # noqa: E402
from correlate.read.bsr import parse_node  # noqa: E402
from correlate.read.kernel import parse_kernel_source  # noqa: E402
from correlate.read.sources import LogFile, NodeSource  # noqa: E402

REAL = ROOT / "tests" / "data" / "real"


def _bsr(path: Path, size: int) -> None:
    lines = (ROOT / "samples" / "node0" / "bsr.log").read_text(encoding="utf-8").splitlines()
    start = datetime(2024, 1, 1)
    written, seq, t = 0, 0, start
    with open(path, "w", encoding="utf-8", newline="") as fh:
        while written < size:
            for ln in lines:
                seq += 1
                t += timedelta(microseconds=1370)
                text = f"{seq:08d} {t:%m/%d/%Y %H:%M:%S}.{t.microsecond * 10:07d} {ln[37:]}\r\n"
                fh.write(text)
                written += len(text)


def _syslog(path: Path, size: int) -> None:
    drbd = []
    sources = (
        "linstor213-kube-node/kube-node-6.log",
        "single/piraeus459-eu-central-1771-stuck-twopc.log",
        "single/linstor190-k8s-node2.log",
    )
    for f in sources:
        for ln in (REAL / f).read_text(encoding="utf-8").splitlines():
            if "] drbd " in ln:
                drbd.append(ln.split("] ", 1)[1])
    context = [
        "systemd[1]: Started Session 4711 of user root.",
        "kernel: [{mono}] EXT4-fs (dm-3): mounted filesystem with ordered data mode.",
        "Satellite[2391]: 14:02:11.123 [MainWorkerPool-1] INFO  LINSTOR/Satellite - resource ok",
    ]
    t, mono = datetime(2024, 1, 1), 1000.0
    written, k = 0, 0
    with open(path, "w", encoding="utf-8") as fh:
        while written < size:
            for msg in drbd:
                k += 1
                t += timedelta(microseconds=2900)
                mono += 0.0029
                stamp = f"{t:%b} {t.day:2d} {t:%H:%M:%S}"
                if k % 4 == 0:
                    extra = context[k % 3].format(mono=f"{mono:12.6f}")
                    text = f"{stamp} node6 {extra}\n"
                else:
                    text = f"{stamp} node6 kernel: [{mono:12.6f}] {msg}\n"
                fh.write(text)
                written += len(text)


_RU = dict(zip(["Jan", "Feb"], ["янв", "фев"], strict=True))


def _wrapped(src: Path, path: Path, form: str) -> None:
    """``src``'s lines in a wrapping form or another line format (issue 23)."""
    last: datetime | None = None
    with open(src, encoding="utf-8") as fin, open(path, "w", encoding="utf-8") as fout:
        for k, ln in enumerate(fin):
            if form in ("reltime", "dmesg-iso", "short-full"):
                # The syslog second plus a made-up sub-second phase (the lines are 2.9
                # ms apart), as dmesg and journalctl would write the same line.
                t = datetime.strptime("2024 " + ln[:15], "%Y %b %d %H:%M:%S")
                t += timedelta(microseconds=(k * 2900) % 1_000_000)
                host_rest = ln[16:].split(" ", 1)[1]
                msg = (
                    host_rest.split("] ", 1)[1] if host_rest.startswith("kernel: [") else host_rest
                )
                if form == "short-full":
                    fout.write(f"{t:%a %Y-%m-%d %H:%M:%S} CET {ln[16:]}")
                elif form == "dmesg-iso":
                    fout.write(f"{t:%Y-%m-%dT%H:%M:%S},{t.microsecond:06d}+01:00 {msg}")
                elif last is None or (t.day, t.hour, t.minute) != (
                    last.day,
                    last.hour,
                    last.minute,
                ):
                    fout.write(f"[{t:%b}{t.day:2d} {t:%H:%M}] {msg}")
                else:
                    fout.write(f"[  {(t - last).total_seconds():+8.6f}] {msg}")
                last = t
                continue
            if form == "grep":
                fout.write("kern.log:" + ln)
            elif form == "ru":
                fout.write(_RU.get(ln[:3], ln[:3]) + ln[3:])
            elif form == "talos":
                t = datetime.strptime("2024 " + ln[:15], "%Y %b %d %H:%M:%S")
                host_rest = ln[16:].split(" ", 1)[1]
                msg = (
                    host_rest.split("] ", 1)[1] if host_rest.startswith("kernel: [") else host_rest
                )
                fout.write(f"node6: kern: info: [{t:%Y-%m-%dT%H:%M:%S}.000000000Z]: {msg}")
            elif form == "prefix":
                host_rest = ln[16:].split(" ", 1)[1]
                msg = (
                    host_rest.split("] ", 1)[1] if host_rest.startswith("kernel: [") else host_rest
                )
                fout.write(f"node6 | collector=k8s | {msg}")


FORMS = {
    "grep": "grep-prefixed syslog (`grep+syslog`)",
    "ru": "Russian month names (`foreign-syslog+syslog`)",
    "talos": "`talosctl dmesg` (`talos+rfc3339`)",
    "prefix": "unknown collector header (`prefix+none`)",
    "reltime": "`dmesg -H` / `--reltime` (`dmesg-reltime`)",
    "dmesg-iso": "`dmesg --time-format=iso` (`dmesg-iso`)",
    "short-full": "`journalctl -o short-full` (`journal-short-full`)",
}


def _source(name: str, path: Path) -> NodeSource:
    log = LogFile(str(path), path=path, size=path.stat().st_size)
    return NodeSource(name=name, spec=str(path), files=[log])


@click.command()
@click.option("--size-mb", default=100, show_default=True)
@click.option("--rounds", default=5, show_default=True)
@click.option("--only", multiple=True, help="forms to time (drbd, grep, reltime, ...)")
def main(size_mb: int, rounds: int, only: tuple[str, ...]) -> None:
    data = HERE / "data" / "dialects"
    data.mkdir(parents=True, exist_ok=True)
    bsr, kern = data / f"bsr-{size_mb}.log", data / f"syslog-{size_mb}.log"
    if not bsr.exists():
        _bsr(bsr, size_mb * 2**20)
    if not kern.exists():
        _syslog(kern, size_mb * 2**20)
    paths = {"bsr": bsr, "drbd": kern}
    for form in FORMS:
        paths[form] = data / f"{form}-{size_mb}.log"
        if not paths[form].exists():
            _wrapped(kern, paths[form], form)
    if only:
        paths = {k: p for k, p in paths.items() if k == "bsr" or k in only}
    speeds: dict[str, list[float]] = {k: [] for k in paths}
    for _ in range(rounds):
        for kind, path in paths.items():
            mb = path.stat().st_size / 2**20
            t0 = time.perf_counter()
            if kind == "bsr":
                parse_node(_source("n", path), Notices())
            else:
                parse_kernel_source(_source("n", path), Notices())
            speeds[kind].append(mb / (time.perf_counter() - t0))
    med = {k: statistics.median(v) for k, v in speeds.items()}
    b = med["bsr"]
    names = {"bsr": "BSR's own log", "drbd": "DRBD syslog + dmesg stamps", **FORMS}
    print(f"| input | MB | MB/s (median of {rounds}) | time per MB vs BSR |")
    print("|---|---|---|---|")
    for k, path in paths.items():
        mb = path.stat().st_size / 2**20
        print(f"| {names[k]} | {mb:.0f} | {med[k]:.0f} | {b / med[k]:.2f}x |")
    print("\ntarget: 1.5x or less")


if __name__ == "__main__":
    main()
