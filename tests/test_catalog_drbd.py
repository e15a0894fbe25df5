"""The DRBD catalog against every protocol line of the real logs.

Each file's protocol lines are listed with the kind and fields a support engineer would
read off them; routine lines must not pass for protocol lines; the columnar (polars,
Rust regex) classification must agree with the reference one line at a time.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from correlate.errors import Notices
from correlate.events.catalog_bsr import BY_NAME as BSR_KINDS
from correlate.events.catalog_bsr import anchored
from correlate.events.catalog_drbd import (
    DRBD_KINDS,
    UUID_RULE_NUMBERS,
    UUID_STRATEGY_NUMBERS,
    match_message,
    normalize_fields,
)
from correlate.read.kernlog import read_kernel_file
from correlate.read.sources import LogFile

REAL = Path(__file__).parent / "data" / "real"


def drbd_lines(rel: str) -> dict[int, str]:
    path = REAL / rel
    frames = read_kernel_file(
        LogFile(path.name, path=path, size=path.stat().st_size), Notices(), "n", year=2023
    )
    frame = pl.concat([h.frame for h in frames]).filter(pl.col("is_drbd"))
    return dict(zip(frame["line"].to_list(), frame["message"].to_list(), strict=True))


def kind_of(message: str) -> tuple[str | None, dict]:
    found = match_message(message)
    if found is None:
        return None, {}
    kind, fields = found
    return kind.name, {k: v for k, v in fields.items() if v is not None}


# file -> {line: (kind, fields that must be there)}
EXPECTED: dict[str, dict[int, tuple[str, dict]]] = {
    "suse-jb154sapqe/jb154sapqe01.log": {
        4: ("state_change", {}),
        15: ("attached", {"current": "0000000000000004"}),
        19: ("handshake", {"peer": "1", "protocol": "120"}),
        20: ("features", {"flags": "0xf"}),
        22: (
            "twopc_prepare",
            {"tid": "639728590", "initiator": "0", "target": "1", "mask": "499", "val": "146"},
        ),
        23: ("uuid_handshake", {}),
        24: ("uuid_self", {"current": "0000000000000004", "bits": "0", "flags": "24"}),
        25: ("uuid_peer", {"current": "0000000000000004", "bits": "0", "flags": "24"}),
        26: ("uuid_compare", {"result": "no-sync", "rule": "just-created-both"}),
        27: ("twopc_nodes", {"tid": "639728590", "primary_nodes": "0", "weak_nodes": "0"}),
        28: ("twopc_commit", {"tid": "639728590", "ms": "28"}),
        29: ("state_change", {}),
    },
    "suse-jb154sapqe/jb154sapqe02.log": {
        19: ("handshake", {"peer": "0", "protocol": "120"}),
        22: ("twopc_remote_prepare", {"tid": "639728590"}),
        26: ("uuid_compare", {"result": "no-sync", "rule": "just-created-both"}),
        27: ("twopc_remote_commit", {"tid": "639728590", "primary_nodes": "0"}),
    },
    "linstor213-kube-node/kube-node-6.log": {
        2: (
            "twopc_prepare",
            {"tid": "838443789", "initiator": "1", "target": "0", "mask": "8176", "val": "3088"},
        ),
        3: ("twopc_nodes", {"tid": "838443789", "weak_nodes": "FFFFFFFFFFFFFFF6"}),
        4: ("twopc_commit", {"tid": "838443789", "ms": "0"}),
        9: ("twopc_remote_commit", {"tid": "772351151", "primary_nodes": "1"}),
        13: ("bitmap_stats", {"direction": "receive", "rle_bytes": "36", "total": "36"}),
        14: ("bitmap_stats", {"direction": "send", "rle_bytes": "36"}),
        16: ("resync_done", {"what": "Resync", "total_s": "1", "paused_s": "0", "rate_kps": "12"}),
        17: ("uuids_updated", {"text": "updated UUIDs", "current": "C7E46E77C301DB62"}),
        20: ("state_change", {}),
    },
    "linstor213-kube-node/kube-node-2.log": {
        1: ("twopc_remote_prepare", {"tid": "838443789"}),
        2: ("twopc_remote_commit", {"tid": "838443789", "primary_nodes": "1"}),
        8: ("connection_closed", {}),
    },
    "single/drbddev-hail-drbd84.log": {
        11: ("attached", {"current": "D314471E6BD376E8"}),
        17: ("uuid_generated", {"current": "7BAD3285364ECE5B"}),
        18: ("handshake", {"protocol": "101"}),
        26: ("uuid_compare", {"result": "100", "rule": "90"}),
        29: ("split_brain", {}),
        36: ("resync_start", {"role": "SyncSource", "kb": "0", "bits": "0"}),
        38: ("resync_done", {"total_s": "1", "rate_kps": "0"}),
        62: ("uuid_compare", {"result": "1", "rule": "70"}),
        97: ("uuid_compare", {"result": "-1", "rule": "50"}),
        99: ("bitmap_stats", {"direction": "receive", "rle_bytes": "37"}),
        106: ("resync_start", {"role": "SyncTarget", "kb": "1600", "bits": "400"}),
        46: ("connection_closed", {}),
    },
    "single/drbddev-kernel65-6.5node-drbd8411.log": {
        1: ("driver_loaded", {"version": "8.4.11", "api": "1", "proto": "86-101"}),
        15: ("attached", {"current": "32DDB2019708F68A"}),
        28: ("uuid_compare", {"result": "0", "rule": "40"}),
        49: ("uuid_compare", {"result": "1", "rule": "70"}),
        56: ("resync_start", {"role": "SyncSource", "kb": "4"}),
    },
    "single/drbddev-kernel65-peer-drbd8411.log": {
        9: ("uuid_compare", {"result": "-1", "rule": "50"}),
        20: ("connection_lost", {"reason": "sock was shut down by peer"}),
        23: ("connection_lost", {"reason": "error receiving RSDataReply, e: -5 l: 4096!"}),
        26: ("connection_closed", {}),
    },
    "single/forum-s0-drbd909-nostamp.log": {
        2: ("connection_lost", {}),
        8: ("twopc_prepare", {"tid": "4154999068", "initiator": "1", "target": "-1"}),
        15: ("handshake", {"peer": "0", "protocol": "112"}),
        18: (
            "twopc_remote_prepare",
            {"tid": "3794016712", "primary_nodes": "0", "weak_nodes": "0"},
        ),
        19: ("twopc_remote_commit", {"tid": "3794016712"}),
        24: ("uuid_compare", {"result": "0", "rule": "38"}),
        28: ("state_change_failed", {"reason": "Refusing to be Outdated while Connected"}),
        29: ("state_change", {"failed": "Failed: "}),
    },
    "single/drbd27-nodeC-drbd916.log": {
        1: ("driver_loaded", {"version": "9.1.6", "api": "2", "proto": "110-121"}),
        13: ("handshake", {"peer": "10", "protocol": "121"}),
    },
    "single/drbd40-flex-106-history-peer.log": {
        2: ("uuid_compare", {"result": "target-set-bitmap", "rule": "history-peer"}),
        5: ("twopc_commit", {"tid": "484053172", "ms": "22"}),
        9: ("uuid_strategy", {"result": "target-set-bitmap"}),
    },
    "single/drbd86-offine-stand-stor-0.log": {
        1: ("twopc_remote_commit", {"tid": "3569889254"}),
        3: (
            "twopc_prepare",
            {"tid": "411107339", "initiator": "0", "target": "-1", "mask": "7680", "val": "1024"},
        ),
        7: ("state_change", {}),
    },
    "single/drbd106-dmg28-multires.log": {
        6: ("connection_lost", {"reason": "meta connection shut down by peer."}),
        13: (
            "twopc_prepare",
            {"tid": "1014439734", "initiator": "1", "target": "all", "changes": "empty"},
        ),
        14: ("twopc_commit", {"tid": "1014439734", "ms": "1"}),
    },
    "single/drbdutils11-ip-172-31-12-83-multires.log": {
        2: ("handshake", {"peer": "2"}),
        8: ("twopc_prepare", {"tid": "4105737997", "initiator": "0", "target": "3"}),
    },
    "single/incus3487-journal-bracket.log": {
        1: (
            "twopc_prepare",
            {"tid": "2008908579", "initiator": "3", "target": "all", "changes": "role( Primary )"},
        ),
        2: ("twopc_nodes", {"primary_nodes": "C"}),
        5: ("uuid_generated", {"current": "9D84E1B2F4ADEA61", "sending": "sending "}),
        13: ("twopc_split", {}),
        14: ("twopc_commit", {"tid": "2799660704"}),
    },
    "single/linstor190-k8s-node2.log": {
        1: ("handshake", {"peer": "1", "protocol": "117"}),
        5: ("uuid_handshake", {}),
        7: ("uuid_peer", {"bits": "1266378", "flags": "22"}),
    },
    "single/linstor216-m13c33-dmesg-T.log": {
        10: ("twopc_remote_prepare", {"tid": "3775243845"}),
        11: ("twopc_remote_commit", {"tid": "3775243845", "primary_nodes": "1"}),
    },
    "single/linstor218-kvaps-synctarget.log": {
        4: ("bitmap_stats", {"direction": "receive", "rle_bytes": "1804", "compression": "99.5"}),
        11: ("resync_start", {"role": "SyncTarget", "kb": "10129080", "bits": "2532270"}),
        12: ("twopc_prepare", {"tid": "498235068", "mask": "499"}),
    },
    "single/linstor218-kvaps-failed-statechange.log": {
        7: ("uuid_compare", {"result": "target-clear-bitmap", "rule": "52"}),
        10: ("state_change_failed", {}),
        12: ("state_change", {"failed": "Failed: "}),
    },
    "single/linstor389-dmesg-T.log": {
        1: ("connection_lost", {}),
        2: ("connection_closed", {}),
        5: ("state_change", {}),
    },
    "single/piraeus459-eu-central-1771-stuck-twopc.log": {
        1: ("twopc_remote_prepare", {"tid": "3878372240"}),
        2: ("twopc_reject", {"tid": "3169814138", "other": "3878372240"}),
        6: ("twopc_reject", {"tid": "4284797115", "other": "3878372240"}),
        8: ("twopc_remote_abort", {"tid": "3964007541"}),
        10: ("twopc_remote_commit", {"tid": "750722015", "primary_nodes": "0"}),
    },
    "single/piraeus532-node01-mixed-stamps.log": {
        3: ("twopc_prepare", {"tid": "647605301", "initiator": "0", "target": "-1"}),
        9: ("uuid_generated", {"current": "D276C37A46992F13", "weak_nodes": "FFFFFFFFFFFFFFFE"}),
        10: ("twopc_prepare", {"tid": "1388316702", "target": "2"}),
        19: ("twopc_remote_prepare", {"tid": "12911700"}),
        23: ("resync_start", {"role": "SyncSource", "kb": "1052408", "bits": "263102"}),
    },
    "single/windrbd1-ubuntusrv-linux-peer-of-windows.log": {
        1: ("twopc_commit", {"tid": "2067581267"}),
        4: ("connection_lost", {"reason": "PingAck did not arrive in time."}),
        9: ("twopc_remote_abort", {"tid": "0", "note": " commit not possible"}),
        11: ("connection_closed", {}),
    },
    "single/windrbd12-turn2-data1.log": {
        2: ("twopc_prepare", {"tid": "3070039973", "initiator": "2", "target": "-1"}),
        3: ("twopc_commit", {"tid": "3070039973", "ms": "0"}),
        4: ("state_change", {}),
        9: ("uuid_generated", {"current": "296FAE1235841D15"}),
    },
    "single/windrbd12-turn6-data1.log": {
        3: ("twopc_prepare", {"tid": "1285432379", "initiator": "1"}),
        10: ("uuid_generated", {"current": "A9041691CB921F09"}),
    },
}

PROTOCOL_KINDS = {
    k.name
    for k in DRBD_KINDS
    if k.family in ("twopc", "uuid", "bitmap", "resync", "split_brain")
    or k.name
    in (
        "handshake",
        "state_change",
        "attached",
        "connection_closed",
        "connection_lost",
        "driver_loaded",
    )
}

# Routine lines of the real logs: none may pass for a protocol line.
ROUTINE = [
    "Starting worker thread (from drbdsetup [25362])",
    "Starting sender thread (peer-node-id 2)",
    "Starting ack_recv thread (from drbd_r_drbd01 [25388])",
    "meta-data IO uses: blk-bio",
    "Method to ensure write ordering: flush",
    "drbd_bm_resize called with capacity == 2097016",
    "resync bitmap: bits=262127 words=4096 pages=8",
    "size = 1024 MB (1048508 KB)",
    "recounting of set bits took additional 0ms",
    "peer's exposed UUID: 0000000000000000",
    "Peer authenticated using 20 bytes HMAC",
    "Would lose quorum, but using tiebreaker logic to keep",
    "Forced to consider local data as UpToDate!",
    "ack_receiver terminated",
    "Terminating ack_recv thread",
    "Restarting receiver thread",
    "receiver (re)started",
    "bitmap WRITE of 560 pages took 8 ms",
    "Becoming sync target due to disk states.",
    "Resync source provides bitmap (node_id=3)",
    "Setting and writing one bitmap slot, after drbd_sync_handshake",
    "rs_discard_granularity changed to 262144",
    "GIT-hash: f85adeb71f16a0aead1e875665e2fb68852d94eb build by root@nodeC, 2022-02-17 21:05:39",
    "registered as block device major 147",
    "ASSERTION FAILED: connection->current_epoch->list not empty",
    "0 KB (0 bits) marked out-of-sync by on disk bit-map.",
    "initial packet S crossed",
    "Enabling local AL-updates",
    "detected capacity change from 0 to 2097016",
    "drbd cmd(DRBD_ADM_PRIMARY:14)",
    "Preparing cluster-wide size change 77 (local_max_size = 1024 KB, user_cap = 0 KB)",
]


@pytest.mark.parametrize("rel", sorted(EXPECTED), ids=lambda r: r.split("/")[-1])
def test_protocol_lines_classify_with_their_fields(rel: str) -> None:
    lines = drbd_lines(rel)
    for line, (kind, fields) in EXPECTED[rel].items():
        got_kind, got_fields = kind_of(lines[line])
        assert got_kind == kind, (line, lines[line])
        for name, value in fields.items():
            assert got_fields.get(name) == value, (line, name, got_fields)


@pytest.mark.parametrize("message", ROUTINE)
def test_routine_lines_are_not_protocol_lines(message: str) -> None:
    assert kind_of(message)[0] not in PROTOCOL_KINDS


def test_every_state_change_line_of_the_real_logs_is_a_state_change() -> None:
    seen = 0
    for rel in EXPECTED:
        for message in drbd_lines(rel).values():
            if re.match(r"^(?:Failed: )?[a-z][a-z_-]*\( [^()]* -> [^()]* \)", message):
                assert kind_of(message)[0] == "state_change", message
                seen += 1
    assert seen > 60


def test_polars_classification_agrees_with_the_reference() -> None:
    """The classifier runs the patterns in polars (Rust regex): same first match."""
    messages = sorted({m for rel in EXPECTED for m in drbd_lines(rel).values()} | set(ROUTINE))
    frame = pl.DataFrame({"message": messages})
    hit = pl.lit(None, pl.Int32)
    for n in reversed(range(len(DRBD_KINDS))):
        hit = (
            pl.when(pl.col("message").str.contains(anchored(DRBD_KINDS[n].pattern)))
            .then(pl.lit(n, pl.Int32))
            .otherwise(hit)
        )
    got = frame.select(hit).to_series().to_list()
    for message, n in zip(messages, got, strict=True):
        ref = match_message(message)
        assert (ref[0].name if ref else None) == (DRBD_KINDS[n].name if n is not None else None)
    # The fields regexes compile in polars too and give the same groups.
    for kind in DRBD_KINDS:
        sample = [m for m in messages if (r := match_message(m)) and r[0] is kind]
        if not sample:
            continue
        groups = (
            pl.Series(sample).str.extract_groups(anchored(kind.regex)).struct.unnest().to_dicts()
        )
        for message, found in zip(sample, groups, strict=True):
            ref = match_message(message)[1]
            assert {k: v for k, v in found.items() if not k.isdigit()} == ref


def test_kinds_reuse_the_bsr_field_names() -> None:
    """A DRBD kind with a BSR kind's name carries every named group the BSR kind has
    (the record builders read them), except BSR's caller and its ``(A->B)`` suffix."""
    names = re.compile(r"\(\?P<(\w+)>")
    not_in_drbd = {"caller"}
    suffix_only = {"twopc_commit": {"initiator", "target"}, "twopc_abort": {"initiator", "target"}}
    for kind in DRBD_KINDS:
        assert kind.category == "DRBD" and kind.indices == ()
        assert kind.explain and kind.explain.endswith(".")
        bsr = BSR_KINDS.get(kind.name)
        if bsr is None:
            continue
        need = set(names.findall(bsr.regex)) - not_in_drbd - suffix_only.get(kind.name, set())
        if kind.pattern.startswith("Aborting local state change (?P<tid>"):
            need = {"tid"}  # an abort decided locally: no duration or rv is logged
        have = set(names.findall(kind.regex))
        assert need <= have, (kind.name, need - have)


def test_normalize_fields() -> None:
    f = normalize_fields("twopc_prepare", {"tid": 1, "initiator": 1, "target": "all"})
    assert f["target"] == -1
    f = normalize_fields("uuid_compare", {"result": "no-sync", "rule": "just-created-both"})
    assert (f["result"], f["rule"], f["result_name"], f["rule_name"]) == (
        0,
        10,
        "no-sync",
        "just-created-both",
    )
    f = normalize_fields("uuid_compare", {"result": "target-set-bitmap", "rule": "history-peer"})
    assert (f["result"], f["rule"]) == (-3, 60)
    f = normalize_fields("uuid_compare", {"result": "target-clear-bitmap", "rule": 52})
    assert (f["result"], f["rule"]) == (-4, 52)
    # 8.4's 1 by rule 70 is a bitmap-based resync as source: 9.0's 2.
    assert normalize_fields("uuid_compare", {"result": 1, "rule": 70}, drbd84=True)["result"] == 2
    assert (
        normalize_fields("uuid_compare", {"result": 100, "rule": 90}, drbd84=True)["result"] == 100
    )
    assert normalize_fields("uuid_compare", {"result": -1, "rule": 50})["result"] == -1
    assert (
        normalize_fields("uuid_compare", {"result": "retry-connect", "rule": "x"})["result"] is None
    )


def test_result_and_rule_tables_cover_the_docstring() -> None:
    import correlate.events.catalog_drbd as mod

    doc = mod.__doc__ or ""
    for name in UUID_STRATEGY_NUMBERS:
        assert name.rsplit("-", 1)[0] in doc
    for name in UUID_RULE_NUMBERS:
        assert name.split("-")[0] in doc


def test_a_no_resync_handshake_beside_marked_bits_is_its_event() -> None:
    """drbd_sync_handshake's two lines for a no-sync decision with a non-empty bitmap
    (its templates in the DRBD 8.4, 9.0 and 9.1+ sources): each its event, its bits kept."""
    kind, fields = kind_of("No resync, but 228 bits in bitmap!")
    assert (kind, fields.get("bits")) == ("bitmap_bits_kept", "228")
    kind, fields = kind_of("clearing bitmap UUID and bitmap content (1309208 bits)")
    assert (kind, fields.get("bits")) == ("bitmap_cleared", "1309208")
