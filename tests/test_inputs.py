"""Sources as a user gives them on the command line: directories, archives, names, a
single node, an output directory that cannot be made. Bad and hostile input (missing,
empty, binary, truncated, bombs, escaping members, symlink loops) is in test_hostile.py;
both use the helpers in helpers.py."""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile

import polars as pl
import pytest

from .helpers import NO_DIAGRAMS, assert_clean_error, log_bytes, small_log, write_log


def test_directory_without_bsr_logs(bsrcorr, tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "notes.txt").write_text("hello")
    run = bsrcorr(tmp_path / "d", *NO_DIAGRAMS)
    assert_clean_error(run, 2, "no bsr.log")
    assert not run.out.exists()


def test_ten_megabyte_line_is_kept_and_warned(bsrcorr, tmp_path):
    lines = [*small_log(3), "x" * (10 * 1024 * 1024), *small_log(2, start=4)]
    run = bsrcorr(write_log(tmp_path / "big.log", lines), *NO_DIAGRAMS)
    assert run.exit_code == 1
    assert "MiB long" in run.stderr and "Traceback" not in run.stderr
    t = run.timeline()
    assert t.height == 6  # rows out = lines in
    assert t.filter(pl.col("event") == "unparsed")["message"].str.len_bytes()[0] == 10 * 2**20


def test_archive_with_only_escaping_members_is_an_error(bsrcorr, tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("/etc/bsr.log", log_bytes(small_log()))
    (tmp_path / "x.zip").write_bytes(buf.getvalue())
    run = bsrcorr(tmp_path / "x.zip", *NO_DIAGRAMS)
    assert_clean_error(run, 2, "no bsr.log")
    assert "refused member '/etc/bsr.log'" in run.stderr


def test_single_source_is_a_single_node_timeline(bsrcorr, tmp_path):
    run = bsrcorr(write_log(tmp_path / "node0.log", small_log()), *NO_DIAGRAMS)
    assert run.exit_code == 0
    assert "alignment needs two nodes" in run.stderr
    t = run.timeline()
    assert t["node"].unique().to_list() == ["node0"]
    assert t["time"].to_list() == t["local_time"].to_list()


def test_tar_gz_and_gz_and_names(bsrcorr, tmp_path):
    tgz = tmp_path / "bundle.tar.gz"
    with tarfile.open(tgz, "w:gz") as tf:
        for node, start in (("alpha", 1), ("beta", 500)):
            data = log_bytes(small_log(4, start))
            info = tarfile.TarInfo(f"logs/{node}/bsr.log")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    gz = tmp_path / "gamma.log.gz"
    gz.write_bytes(gzip.compress(log_bytes(small_log(3, 900))))
    run = bsrcorr(tgz, f"g={gz}", *NO_DIAGRAMS)
    # three unrelated nodes: read whole, but nothing ties their clocks together
    assert run.exit_code == 1, run.stderr
    assert len([w for w in run.warnings if "unaligned" in w]) == 2
    counts = dict(run.timeline().group_by("node").len().iter_rows())
    assert counts == {"alpha": 4, "beta": 4, "g": 3}


@pytest.mark.parametrize("order", [("node0", "node1"), ("node1", "node0")])
def test_default_names_from_directories(bsrcorr, tmp_path, order):
    for name, start in (("node0", 1), ("node1", 100)):
        write_log(tmp_path / name / "bsr.log", small_log(3, start))
    run = bsrcorr(*(tmp_path / n / "bsr.log" for n in order), *NO_DIAGRAMS)
    assert run.exit_code == 1, run.stderr  # no shared evidence: the second is unaligned
    [warning] = run.warnings
    assert warning.startswith(f"bsrcorr: warning: {order[1]}: ") and "unaligned" in warning
    assert set(run.timeline()["node"].unique()) == {"node0", "node1"}


def test_unwritable_output_is_exit_3(bsrcorr, tmp_path):
    log = write_log(tmp_path / "n.log", small_log())
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    run = bsrcorr(log, *NO_DIAGRAMS, out=blocker / "out")
    assert_clean_error(run, 3, "cannot create the output directory")
