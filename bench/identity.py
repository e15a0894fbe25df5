"""Proof that the parse stage gives what an earlier version gave: ``correlate/read/bsr.py``
of a git revision (default ``main``) against the working tree's, frame for frame.

    .venv/bin/python bench/identity.py                     # samples, seed, test data, hostile
    .venv/bin/python bench/identity.py --examples 2000     # a longer hunt on hostile input
    .venv/bin/python bench/identity.py --bench bench/data/500mb   # and the benchmark capture

For every input both versions run ``parse_node`` (and ``read_file`` on each file) and
must agree on everything: the entries frame (``DataFrame.equals`` and the schema, so
every column's dtype), every count of ``NodeParse``, every ``FileFacts``, and the
notices (text, order, count), or raise the same error. Hostile inputs are drawn with
the strategies of ``tests/test_hostile.py`` (pasted and glued entries, mutated bytes,
several files, arbitrary bytes, counters, dates) plus fixed ones (BOM, unit separator,
CR/LF/NUL mixes, 10 MB lines, wide counters). With ``--pipeline``, the whole command
also runs on the samples (and the ``--bench`` capture) once with each parser, and the
bundles must match (``timeline.parquet``, ``alignment.json``, ``summary.json``, stdout).
Exits 1 at the first difference.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

import click

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from parse import load_parser  # noqa: E402  (bench/parse.py)

from correlate.errors import BsrcorrError, Notices  # noqa: E402
from correlate.read import bsr as after  # noqa: E402
from correlate.read.sources import LogFile, NodeSource, resolve  # noqa: E402


class Differs(AssertionError):
    pass


def outcome(parse, source: NodeSource) -> tuple[object, list]:
    """``parse(source, notices)``'s result (or its error, as a tuple) and its notices."""
    notices = Notices()
    try:
        result = parse(source, notices)
    except BsrcorrError as exc:
        return ("error", type(exc).__name__, str(exc)), notices.items
    return result, notices.items


def both_ran(a: tuple[object, list], b: tuple[object, list], what: str) -> bool:
    """Two outcomes' notices and errors must agree; True when both have a result to
    compare."""
    (a_result, a_said), (b_result, b_said) = a, b
    if a_said != b_said:
        raise Differs(f"{what}: notices differ:\n  {a_said}\n  {b_said}")
    if isinstance(a_result, tuple) or isinstance(b_result, tuple):
        if a_result != b_result:
            raise Differs(f"{what}: outcome differs: {a_result!r} / {b_result!r}")
        return False
    return True


def same_parse(a, b, what: str) -> None:
    """Two ``NodeParse``: the frame (schema and values) and every count and fact."""
    if a.frame.schema != b.frame.schema:
        raise Differs(f"{what}: schema differs:\n  {a.frame.schema}\n  {b.frame.schema}")
    if not a.frame.equals(b.frame):
        raise Differs(f"{what}: frames differ:\n{first_difference(a.frame, b.frame)}")
    # As plain values: the two modules' dataclasses are different classes.
    a_facts, b_facts = plain(a), plain(b)
    for name, value in a_facts.items():
        if value != b_facts[name]:
            raise Differs(f"{what}: NodeParse.{name}: {value!r} / {b_facts[name]!r}")


def same_node(before, source: NodeSource, what: str) -> int:
    """Both versions on one node; raises Differs. Returns the rows compared."""
    a, b = outcome(before.parse_node, source), outcome(after.parse_node, source)
    if not both_ran(a, b, what):
        return 0
    same_parse(a[0], b[0], what)
    for log in source.files:
        a_said, b_said = Notices(), Notices()
        fa, facts_a = before.read_file(log, a_said, source.name)
        fb, facts_b = after.read_file(log, b_said, source.name)
        if plain(facts_a) != plain(facts_b) or a_said.items != b_said.items:
            raise Differs(f"{what}: read_file({log.display}): {facts_a} / {facts_b}")
        if fa.schema != fb.schema or not fa.equals(fb):
            raise Differs(f"{what}: read_file({log.display}) frames differ")
    return a[0].frame.height


def plain(facts) -> dict:
    return {
        f.name: getattr(facts, f.name)
        if f.name != "files"
        else [dataclasses.asdict(x) for x in facts.files]
        for f in dataclasses.fields(facts)
        if f.name != "frame"
    }


def first_difference(a, b) -> str:
    import polars as pl

    if a.height != b.height:
        return f"  {a.height} rows / {b.height} rows"
    for name in a.columns:
        diff = a.select(pl.col(name).ne_missing(b.get_column(name)).arg_true()).to_series()
        if diff.len():
            i = diff[0]
            return f"  column {name} row {i}: {a[name][i]!r} / {b[name][i]!r}"
    return "  (no column differs: row order?)"


def from_bytes(*files: bytes, name: str = "n") -> NodeSource:
    logs = [LogFile(display=f"f{i}.log", data=raw, size=len(raw)) for i, raw in enumerate(files)]
    return NodeSource(name=name, spec=name, files=logs)


def fixed_sources() -> list[tuple[str, NodeSource]]:
    """The samples, the seed, the test data, and hand-made hostile files."""
    notices = Notices()
    data = ROOT / "tests" / "data"
    paths = [ROOT / "samples" / "node0", ROOT / "samples" / "node1", data / "seed_entries.txt"]
    paths += sorted((data / "events").glob("*.log")) + sorted((data / "linux").glob("*.log"))
    out = []
    for path in paths:
        for node in resolve([f"n={path}"], notices):
            out.append((str(path.relative_to(ROOT)), node))
    from tests.helpers import THREAD, entry
    from tests.test_hostile import ANCHOR, CORPUS, renumber

    good = "".join(renumber(e, i + 1) + "\r\n" for i, e in enumerate(CORPUS)).encode()
    big = "9" * 23
    hand = {
        "corpus": good,
        "bom": b"\xef\xbb\xbf" + good,
        "unit separator": good + b"x\x1fy\r\n" + good,
        "invalid utf-8": good[:500] + b"\xff\xfe" + good[500:],
        "nul and cr": good.replace(b"\r\n", b"\r\r\n", 5).replace(b"[", b"\x00[", 3)
        + b"\r\x00\n\x00\x00",
        "lf only": good.replace(b"\r\n", b"\n"),
        "no final eol": good.rstrip(b"\r\n"),
        "wide counters": "".join(
            renumber(e, 10**8 + i) + (" \n" if i % 3 else "\r\n") for i, e in enumerate(CORPUS)
        ).encode(),
        "mixed widths": "".join(
            renumber(e, (10**8 if i % 2 else 1) + i) + "\n" for i, e in enumerate(CORPUS)
        ).encode(),
        "glued": "".join(renumber(e, i + 1) + ("" if i % 4 else "\n") for i, e in enumerate(CORPUS))
        .encode()
        .replace(b"\n\n", b"\n"),
        "pasted": " ".join(renumber(e, i + 1) for i, e in enumerate(CORPUS)).encode(),
        "big numbers": "".join(
            line + "\n"
            for line in [
                entry(1, "10:00:00.0000000", "fine"),
                f"{big} 10/26/2020 10:00:01.0000000 [f] [ETC:{big}] bsr_info<6> {THREAD}x",
                entry(2, "10:00:02.0000000", f"missing log counter : {big}"),
                entry(5, "10:00:05.0000000", "x", obj=f"bsr r0/{big} minor 2, ds(A), dvflag(0x): "),
                entry(9_223_372_036_854_775_807, "10:00:09.0000000", "i64 limit"),
            ]
        ).encode(),
        "dates": "".join(
            renumber(CORPUS[i % 7], i + 1, d) + "\n"
            for i, d in enumerate(
                [
                    "02/30/2020 10:00:00.0000000",
                    "13/45/2020 10:00:00.0000000",
                    "10/26/2020 25:61:61.0000000",
                    "02/29/2020 23:59:59.9999999",
                    "02/29/2021 10:00:00.0000000",
                    "12/31/2020 23:59:60.5000000",
                    "10/26/2020 10:00:61.0000000",
                    "10/26/2020 10:00:99.9999999",
                    "01/01/9999 10:00:00.0000000",
                    "01/01/0000 10:00:00.0000000",
                    "12/31/2261 23:59:60.9999999",
                    "01/01/1678 00:00:00.0000000",
                    "09/21/1677 00:12:43.1452241",
                    "10/26/2020 16:24:42e7079617",
                    "10/26/2020 16:24:1e300.0000",
                ]
            )
        ).encode(),
        "10 MB lines": (
            "".join(renumber(CORPUS[5], i + 1) + " " for i in range(50_000)).rstrip(" ")
            + "\r\nz"
            + "z" * (10 * 2**20)
            + "\r\n"
        ).encode(),
        "nul run at the end": renumber(CORPUS[0], 1).encode() + b"\r\n" + b"\x00" * 4096,
        "empty": b"",
        "line ends only": b"\r\n\n\r\n",
        "not a log": b"Oct 26 16:24:42 host kernel: hello\n",
        "binary": bytes(range(256)) * 4,
    }
    for name, raw in hand.items():
        out.append((name, from_bytes(raw)))
    out.append(("files of one node", from_bytes(ANCHOR.encode(), good, b"", b"garbage\n")))
    return out


def hostile(before, examples: int) -> int:
    """Drawn inputs (hypothesis, with the strategies of tests/test_hostile.py)."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tests.test_hostile import CORPUS, mutated_logs, pasted_logs, renumber

    checked = [0]
    fuzz = settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )

    def check(*files: bytes) -> None:
        checked[0] += 1
        same_node(before, from_bytes(*files), f"drawn input {files!r:.300}")

    @fuzz
    @given(pasted_logs(), st.booleans())
    def pasted(log, final_eol):
        pieces, joins = log
        joins[-1] = "\r\n" if final_eol else ""
        check("".join(p + j for p, j in zip(pieces, joins, strict=True)).encode())

    @fuzz
    @given(mutated_logs(), mutated_logs())
    def mutated(a, b):
        check(a)
        check(a, b, b"")

    @fuzz
    @given(st.binary(max_size=3000))
    def arbitrary(raw):
        check(raw)

    @fuzz
    @given(
        st.lists(
            st.one_of(st.integers(0, 400), st.integers(0, 10**8 - 1), st.integers(10**8, 10**19)),
            min_size=1,
            max_size=40,
        ),
        st.lists(st.sampled_from(["\n", "\r\n", " ", "", "\r\r\n", "\x00\n"]), min_size=40),
    )
    def counters(seqs, joins):
        lines = [f"{s:08d}" + renumber(CORPUS[i % len(CORPUS)], 0)[8:] for i, s in enumerate(seqs)]
        check("".join(line + j for line, j in zip(lines, joins, strict=False)).encode())

    @fuzz
    @given(st.lists(st.tuples(*[st.integers(0, 99)] * 6, st.integers(0, 9999)), max_size=20))
    def dates(parts):
        lines = [renumber(CORPUS[0], 1)]
        for i, (mo, dd, hh, mi, ss, yy, frac) in enumerate(parts):
            date = f"{mo:02d}/{dd:02d}/{1900 + yy * 4:04d} {hh:02d}:{mi:02d}:{ss:02d}.{frac:07d}"
            lines.append(renumber(CORPUS[(i + 1) % len(CORPUS)], i + 2, date))
        check("".join(line + "\n" for line in lines).encode())

    for test in (pasted, mutated, arbitrary, counters, dates):
        test()
    return checked[0]


def same_bundle(before, nodes: list[Path], what: str) -> None:
    """The whole command with each parser in turn: the same bundle."""
    import filecmp
    import tempfile

    import polars as pl
    from click.testing import CliRunner

    from correlate import pipeline
    from correlate.cli import main as cli

    with tempfile.TemporaryDirectory(prefix="bsrcorr-identity-") as tmp:
        outs = {}
        for name, parse_node in (("before", before.parse_node), ("after", after.parse_node)):
            out = Path(tmp) / name
            real = pipeline.parse_node
            pipeline.parse_node = parse_node
            try:
                run = CliRunner().invoke(cli, [*map(str, nodes), "-o", str(out)])
            finally:
                pipeline.parse_node = real
            outs[name] = (out, run.exit_code, run.stdout.replace(str(out), "OUT"))
        (a, a_code, a_out), (b, b_code, b_out) = outs["before"], outs["after"]
        if (a_code, a_out) != (b_code, b_out):
            raise Differs(f"{what}: exit code or stdout differ: {a_code} / {b_code}")
        if not pl.read_parquet(a / "timeline.parquet").equals(
            pl.read_parquet(b / "timeline.parquet")
        ):
            raise Differs(f"{what}: timeline.parquet differs")
        for name in ("alignment.json", "summary.json"):
            if not filecmp.cmp(a / name, b / name, shallow=False):
                raise Differs(f"{what}: {name} differs")


@click.command()
@click.option("--rev", default="main", show_default=True, help="git revision to compare with")
@click.option("--examples", default=300, show_default=True, help="drawn inputs per strategy")
@click.option(
    "--bench",
    "bench_dir",
    type=click.Path(path_type=Path, exists=True),
    default=None,
    help="also compare on a benchmark capture (its node0 and node1)",
)
@click.option("--pipeline", is_flag=True, help="also compare whole bundles (samples, --bench)")
def main(rev: str, examples: int, bench_dir: Path | None, pipeline: bool) -> None:
    before = load_parser(rev)
    try:
        t0 = time.perf_counter()
        fixed = fixed_sources()
        rows = sum(same_node(before, source, what) for what, source in fixed)
        click.echo(f"fixed inputs: {len(fixed)} nodes, {rows:,} rows identical")
        n = hostile(before, examples)
        click.echo(f"drawn hostile inputs: {n} nodes identical")
        if bench_dir is not None:
            for node in resolve([str(bench_dir / "node0"), str(bench_dir / "node1")], Notices()):
                rows = same_node(before, node, f"bench {node.name}")
                click.echo(f"bench {node.name}: {len(node.files)} files, {rows:,} rows identical")
        if pipeline:
            pairs = [("samples", [ROOT / "samples" / "node0", ROOT / "samples" / "node1"])]
            if bench_dir is not None:
                pairs.append(("bench", [bench_dir / "node0", bench_dir / "node1"]))
            for what, nodes in pairs:
                same_bundle(before, nodes, f"bundle of the {what}")
                click.echo(f"bundle of the {what}: identical")
        click.echo(f"identical to {rev} ({time.perf_counter() - t0:.0f} s)")
    except Differs as exc:
        click.echo(f"DIFFERENT from {rev}: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
