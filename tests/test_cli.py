"""The command line keeps README's word: options checked before any log is read, one-line
diagnostics, the documented exit codes."""

from __future__ import annotations

import pytest

from .helpers import (
    NO_DIAGRAMS,
    SAMPLES,
    assert_clean_error,
    entry,
    write_log,
)

SAMPLE = (SAMPLES / "node0", SAMPLES / "node1")


def _refuse(*args, **kwargs):
    raise AssertionError("the logs were read before the options were checked")


@pytest.fixture
def nothing_read(monkeypatch):
    """The run must stop before the pipeline starts: the options alone are wrong."""
    monkeypatch.setattr("correlate.cli.analyse", _refuse)


@pytest.fixture
def nothing_parsed(monkeypatch):
    """The run may resolve its sources (that gives the node names) but parse no log."""
    monkeypatch.setattr("correlate.pipeline.parse_node", _refuse)


# -- options checked before reading -----------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e12", "-4e9"])
def test_offset_must_be_finite_and_fit_a_timestamp(bsrcorr, nothing_read, value):
    run = bsrcorr(*SAMPLE, "--offset", f"node1={value}")
    assert_clean_error(run, 2, "--offset", f"node1={value}")
    assert not run.out.exists()


def test_offset_that_moves_a_log_past_what_a_timestamp_holds(bsrcorr, tmp_path):
    """Within a century, yet a log dated near 2262 would wrap around: refused, exit 2."""
    late = [entry(i + 1, f"10:00:0{i}.0000000", f"m{i}", date="12/31/2261") for i in range(3)]
    a = write_log(tmp_path / "a.log", late)
    b = write_log(tmp_path / "b.log", late[:2])
    run = bsrcorr(a, b, "--offset", "b=-3e9", *NO_DIAGRAMS)
    assert_clean_error(run, 2, "--offset b=-3e+09", "outside what a timestamp can hold")
    assert not run.out.exists()


@pytest.mark.parametrize(
    "args",
    [("--offset", "node0=1.0"), ("--reference", "node1", "--offset", "node1=-0.3")],
    ids=["default-reference", "named-reference"],
)
def test_offset_on_the_reference_node_is_refused(bsrcorr, nothing_parsed, args):
    run = bsrcorr(*SAMPLE, *args)
    assert_clean_error(run, 2, "is the reference node")
    assert not run.out.exists()


def test_offset_given_twice_for_one_node(bsrcorr, nothing_read):
    run = bsrcorr(*SAMPLE, "--offset", "node1=-0.3", "--offset", "node1=-0.4")
    assert_clean_error(run, 2, "node1: given twice")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--reference", "nodeX"), "--reference nodeX: no such node (nodes: node0, node1)"),
        (("--offset", "nodeX=1"), "--offset nodeX=1: no such node (nodes: node0, node1)"),
    ],
)
def test_unknown_node_names_stop_the_run_before_parsing(bsrcorr, nothing_parsed, args, says):
    run = bsrcorr(*SAMPLE, *args)
    assert_clean_error(run, 2, says)
    assert not run.out.exists()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--events",), "--events only applies to --timeline"),
        (("--timeline", "--format", "json"), "--format json and --timeline"),
        (
            ("--since", "2020-10-26T16:49:00", "--until", "2020-10-26T16:48:00"),
            "--since 2020-10-26T16:49:00 is after --until 2020-10-26T16:48:00",
        ),
        (("--since", "9999-01-01T00:00:00"), "outside what a timestamp can hold"),
    ],
    ids=["events-alone", "json-and-timeline", "since-after-until", "since-too-late"],
)
def test_options_that_cannot_go_together(bsrcorr, nothing_read, args, says):
    assert_clean_error(bsrcorr(*SAMPLE, *args), 2, says)


@pytest.mark.parametrize(
    "args",
    [
        ("--bogus",),
        (),
        ("--since", "yesterday"),
        ("--offset", "node1"),
        ("--diagrams", "some"),
        ("--max-extract-mb", "0"),
    ],
    ids=["unknown-option", "no-src", "bad-time", "offset-without-value", "bad-choice", "bad-int"],
)
def test_usage_errors_are_one_line(bsrcorr, nothing_read, args):
    srcs = () if args == () else SAMPLE
    run = bsrcorr(*srcs, *args)
    assert run.exit_code == 2
    # README: one line, `bsrcorr: error: ...`, not click's Usage/Try/Error block
    assert len(run.stderr.splitlines()) == 1, run.stderr
    assert run.stderr.startswith("bsrcorr: error: ")
    assert "Usage:" not in run.stderr and "Try " not in run.stderr
