"""Sources and bad input, as a user meets them on the command line: one clear line on
stderr, a documented exit code, no traceback, and every line that was read in the output."""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile
from pathlib import Path

import polars as pl
import pytest

from .helpers import entry, write_log


def small_log(n: int = 5, start: int = 1) -> list[str]:
    return [entry(start + i, f"10:00:{i:02d}.{i:07d}", f"message {i}") for i in range(n)]


def log_bytes(lines: list[str]) -> bytes:
    return "".join(line + "\r\n" for line in lines).encode()


def timeline(run) -> pl.DataFrame:
    return pl.read_parquet(run.out / "timeline.parquet")


def assert_one_clean_error(run, code: int, text: str) -> None:
    assert run.exit_code == code, (run.stdout, run.stderr)
    errors = [line for line in run.stderr.splitlines() if line.startswith("bsrcorr: error:")]
    assert len(errors) == 1, run.stderr
    assert text in errors[0]
    assert "Traceback" not in run.stderr


def test_missing_path(bsrcorr, tmp_path):
    run = bsrcorr(tmp_path / "nope.log")
    assert_one_clean_error(run, 2, "no such file or directory")
    assert not run.out.exists()


def test_directory_without_bsr_logs(bsrcorr, tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "notes.txt").write_text("hello")
    assert_one_clean_error(bsrcorr(tmp_path / "d"), 2, "no bsr.log")


def test_empty_file(bsrcorr, tmp_path):
    (tmp_path / "e.log").write_bytes(b"")
    assert_one_clean_error(bsrcorr(tmp_path / "e.log"), 2, "empty file")


def test_binary_file(bsrcorr, tmp_path):
    (tmp_path / "b.log").write_bytes(bytes(range(256)) * 64)
    assert_one_clean_error(bsrcorr(tmp_path / "b.log"), 2, "binary data")


def test_other_log_format(bsrcorr, tmp_path):
    lines = [f"Oct 26 16:2{i}:00 host kernel: eth0 link up" for i in range(5)]
    (tmp_path / "syslog").write_text("\n".join(lines) + "\n")
    run = bsrcorr(tmp_path / "syslog")
    assert_one_clean_error(run, 2, "no BSR log entries")
    assert "kernel: eth0" in run.stderr


def test_same_file_for_two_nodes(bsrcorr, tmp_path):
    p = write_log(tmp_path / "a.log", small_log())
    q = tmp_path / "copy.log"
    q.write_bytes(p.read_bytes())
    assert_one_clean_error(bsrcorr(p, q), 2, "the same log was given for two nodes")


def test_ten_megabyte_line_is_kept_and_warned(bsrcorr, tmp_path):
    lines = [*small_log(3), "x" * (10 * 1024 * 1024), *small_log(2, start=4)]
    run = bsrcorr(write_log(tmp_path / "big.log", lines))
    assert run.exit_code == 1
    assert "MiB long" in run.stderr and "Traceback" not in run.stderr
    t = timeline(run)
    assert t.height == 6  # rows out = lines in
    assert t.filter(pl.col("event") == "unparsed")["message"].str.len_bytes()[0] == 10 * 2**20


def test_archive_member_escaping_is_refused(bsrcorr, tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("node0/bsr.log", log_bytes(small_log()))
        zf.writestr("../bsr.log_2020-10-26T000000.000", log_bytes(small_log(3, start=90)))
    (tmp_path / "node0.zip").write_bytes(buf.getvalue())
    run = bsrcorr(tmp_path / "node0.zip")
    assert run.exit_code == 1
    assert "refused member '../bsr.log_2020-10-26T000000.000'" in run.stderr
    assert timeline(run).height == 5
    assert not (tmp_path.parent / "bsr.log_2020-10-26T000000.000").exists()


def test_archive_with_only_escaping_members_is_an_error(bsrcorr, tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("/etc/bsr.log", log_bytes(small_log()))
    (tmp_path / "x.zip").write_bytes(buf.getvalue())
    assert_one_clean_error(bsrcorr(tmp_path / "x.zip"), 2, "no bsr.log")


def test_single_source_is_a_single_node_timeline(bsrcorr, tmp_path):
    run = bsrcorr(write_log(tmp_path / "node0.log", small_log()))
    assert run.exit_code == 0
    assert "alignment needs two nodes" in run.stderr
    t = timeline(run)
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
    run = bsrcorr(tgz, f"g={gz}")
    # three unrelated nodes: read whole, but nothing ties their clocks together
    assert run.exit_code == 1, run.stderr
    assert run.stderr.count("unaligned") == 2
    counts = dict(timeline(run).group_by("node").len().iter_rows())
    assert counts == {"alpha": 4, "beta": 4, "g": 3}


def test_truncated_gzip_keeps_what_it_held(bsrcorr, tmp_path):
    data = gzip.compress(log_bytes(small_log(40)))
    (tmp_path / "n.log.gz").write_bytes(data[: len(data) // 2])
    run = bsrcorr(tmp_path / "n.log.gz")
    assert run.exit_code in (1, 2)
    assert "Traceback" not in run.stderr
    assert "truncated" in run.stderr or "gzip" in run.stderr


def test_zip_bomb_is_capped(bsrcorr, tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bsr.log", b"0" * (3 * 1024**2))
    (tmp_path / "bomb.zip").write_bytes(buf.getvalue())
    run = bsrcorr(tmp_path / "bomb.zip", "--max-extract-mb", "1")
    assert_one_clean_error(run, 2, "extraction cap")


@pytest.mark.parametrize("order", [("node0", "node1"), ("node1", "node0")])
def test_default_names_from_directories(bsrcorr, tmp_path, order):
    for name, start in (("node0", 1), ("node1", 100)):
        write_log(tmp_path / name / "bsr.log", small_log(3, start))
    run = bsrcorr(*(tmp_path / n / "bsr.log" for n in order))
    assert run.exit_code == 1, run.stderr  # no shared evidence: the second is unaligned
    assert "unaligned" in run.stderr
    assert set(timeline(run)["node"].unique()) == {"node0", "node1"}


def test_unwritable_output_is_exit_3(bsrcorr, tmp_path):
    log = write_log(tmp_path / "n.log", small_log())
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    run = bsrcorr(log, out=blocker / "out")
    assert_one_clean_error(run, 3, "cannot create the output directory")


def test_symlink_loop_in_directory(bsrcorr, tmp_path: Path):
    d = tmp_path / "node0"
    write_log(d / "bsr.log", small_log())
    (d / "loop").symlink_to(d)
    (d / "bsr.log_2020-10-26T000000.000").symlink_to(d / "bsr.log_2020-10-26T000000.000")
    run = bsrcorr(d)
    assert run.exit_code == 1
    assert "skipped" in run.stderr and "Traceback" not in run.stderr
    assert timeline(run).height == 5
