"""Are two revisions' bundles the same? Runs bsrcorr of this checkout and of a git revision
on the same inputs and compares what they wrote, file by file: timeline.parquet (every row
and column), alignment.json and summary.json (as JSON), every SVG and the report (bytes).

    .venv/bin/python bench/same_bundle.py --before main          # the samples and every capture
    .venv/bin/python bench/same_bundle.py --before HEAD~3 --only samples
    .venv/bin/python bench/same_bundle.py --before main -- --diagrams all
    .venv/bin/python bench/same_bundle.py --before main --ignore summary.json -- --diagrams all

For a refactor that must change nothing (issue 24): exit 0 when every bundle is the same,
1 with the first difference of each that is not. The revision is checked out into a
temporary git worktree and run with its own ``correlate`` on PYTHONPATH.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import click
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# How a capture is given to bsrcorr, as the corpus test gives it (a central syslog once).
from tests.corpus import specs as corpus_specs  # noqa: E402

REAL = ROOT / "tests" / "data" / "real"


def inputs() -> dict[str, list[str]]:
    """Name -> bsrcorr arguments: the samples, each capture with facts (its nodes named as
    its facts name them), each older single-node capture."""
    out = {"samples": [str(ROOT / "samples" / "node0"), str(ROOT / "samples" / "node1")]}
    for facts in sorted(REAL.glob("*/facts.json")):
        f = json.loads(facts.read_text(encoding="utf-8"))
        if f.get("schema") != 2:
            continue
        out[facts.parent.name] = corpus_specs(facts.parent)[0]
    for path in sorted((REAL / "single").glob("*.log")):
        out[path.stem] = [str(path)]
    return out


def run(tree: Path, args: list[str], out: Path, keep: Path, extra: list[str]) -> int:
    """bsrcorr of ``tree`` into ``out`` (the same path for both revisions, since the
    terminal summary names it), then moved to ``keep`` with its stdout and stderr."""
    # One hash seed for both: some output of main still follows set order (issue 27's
    # session saw suse-jb154sapqe's diagnosis lines differ from run to run without it).
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0"}
    # ``python -m`` puts its working directory first on sys.path, before PYTHONPATH: run
    # in ``tree`` so that it is ``tree``'s correlate that runs (checked, not assumed).
    which = subprocess.run(
        [sys.executable, "-c", "import correlate; print(correlate.__file__)"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not Path(which).resolve().is_relative_to(Path(tree).resolve()):
        raise SystemExit(f"same_bundle: {tree} runs {which}, not its own correlate")
    shutil.rmtree(out, ignore_errors=True)
    done = subprocess.run(
        [sys.executable, "-m", "correlate", *args, "-o", str(out), *extra],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
    )
    keep.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        shutil.move(str(out), str(keep))
    else:
        keep.mkdir()
    (keep / "_stdout.txt").write_text(done.stdout)
    (keep / "_stderr.txt").write_text(done.stderr)
    return done.returncode


def first_difference(a: Path, b: Path, ignore: tuple[str, ...] = ()) -> str | None:
    """The first way bundle ``b`` differs from bundle ``a``, or None; files matching a
    pattern of ``ignore`` (``summary.json``, ``diagrams/*.svg``) are not compared."""

    def names(root: Path) -> list[Path]:
        found = (p.relative_to(root) for p in root.rglob("*") if p.is_file())
        return sorted(p for p in found if not any(p.match(g) for g in ignore))

    names_a, names_b = names(a), names(b)
    if names_a != names_b:
        return f"files differ: {sorted(set(names_a) ^ set(names_b))}"
    for rel in names_a:
        pa, pb = a / rel, b / rel
        if rel.suffix == ".parquet":
            fa, fb = pl.read_parquet(pa), pl.read_parquet(pb)
            if fa.columns != fb.columns:
                return f"{rel}: columns {sorted(set(fa.columns) ^ set(fb.columns))}"
            if not fa.equals(fb, null_equal=True):
                return f"{rel}: rows differ"
        elif rel.suffix == ".json":
            ja, jb = json.loads(pa.read_text()), json.loads(pb.read_text())
            if ja != jb:
                keys = [k for k in ja if ja.get(k) != jb.get(k)] if isinstance(ja, dict) else []
                return f"{rel}: {keys or 'content'} differ"
        elif pa.read_bytes() != pb.read_bytes():
            return f"{rel}: bytes differ"
    return None


@click.command()
@click.option("--before", required=True, help="the git revision to compare with")
@click.option("--only", multiple=True, help="only these inputs (names as listed)")
@click.option(
    "--ignore",
    multiple=True,
    metavar="GLOB",
    help="bundle files not to compare (a change known to alter them: summary.json)",
)
@click.argument("extra", nargs=-1)
def main(
    before: str, only: tuple[str, ...], ignore: tuple[str, ...], extra: tuple[str, ...]
) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="same-bundle-"))
    old = tmp / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(old), before],
                   check=True)  # fmt: skip
    failed = 0
    try:
        for name, args in inputs().items():
            if only and name not in only:
                continue
            codes = []
            for label, tree in (("before", old), ("now", ROOT)):
                codes.append(run(tree, args, tmp / "out", tmp / label / name, list(extra)))
            diff = first_difference(tmp / "before" / name, tmp / "now" / name, ignore)
            if codes[0] != codes[1]:
                diff = f"exit codes {codes[0]} -> {codes[1]}" + (f"; {diff}" if diff else "")
            click.echo(
                f"{'same' if diff is None else 'DIFFERS'}  {name}" + (f": {diff}" if diff else "")
            )
            failed += diff is not None
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)])
        shutil.rmtree(tmp, ignore_errors=True)
    click.echo(f"{failed} bundle(s) differ")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
