"""The public captures of ``tests/data/real/`` and their hand-read facts (``facts.json``,
schema 2: ``tests/data/real/README.md``), checked against what bsrcorr states.

:func:`check` runs bsrcorr on one capture and returns every fact with whether it held,
so that a test can fail on the first that does not and a script
(``python -m tests.corpus``) can count them before and after a change.
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from correlate.analysis import Analysis
from correlate.errors import BsrcorrError, Notices
from correlate.pipeline import Options, analyse

REAL = Path(__file__).parent / "data" / "real"


@dataclass
class Fact:
    what: str  # e.g. "twopc 2702145072 outcome"
    want: Any
    got: Any

    @property
    def held(self) -> bool:
        return self.want == self.got

    def __str__(self) -> str:
        return f"{self.what}: want {self.want!r}, got {self.got!r}"


def captures() -> list[Path]:
    """Every capture folder whose facts are schema 2."""
    out = []
    for facts in sorted(REAL.glob("*/facts.json")):
        if json.loads(facts.read_text(encoding="utf-8")).get("schema") == 2:
            out.append(facts.parent)
    return out


def load(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "facts.json").read_text(encoding="utf-8"))


def specs(folder: Path) -> tuple[list[str], str]:
    """bsrcorr's arguments for the capture, the reference first (``NAME=file`` for each
    node), and the reference's name. A file that several nodes list is one central
    syslog: it is given once, unnamed, and bsrcorr names its nodes after the hosts its
    lines name (the facts' node names are those hosts)."""
    f = load(folder)
    names = list(f["nodes"])
    ref = f.get("reference") or names[0]
    names = [ref, *[n for n in names if n != ref]]
    sharing: dict[str, int] = {}
    for name in names:
        files = f["nodes"][name]["files"]
        if len(files) != 1:
            raise ValueError(f"{folder.name}: {name} has {len(files)} files")
        sharing[files[0]] = sharing.get(files[0], 0) + 1
    out: list[str] = []
    for name in names:
        file = f["nodes"][name]["files"][0]
        spec = str(folder / file) if sharing[file] > 1 else f"{name}={folder / file}"
        if spec not in out:
            out.append(spec)
    return out, ref


def run(folder: Path, out: Path) -> tuple[Analysis | None, str | None]:
    """bsrcorr on the capture (:func:`specs`), the reference by ``--reference``."""
    args, ref = specs(folder)
    options = Options(out=out, diagrams="none", reference=ref)
    try:
        return analyse(args, options, Notices()), None
    except BsrcorrError as exc:
        return None, exc.text()


def check(folder: Path, out: Path | None = None) -> list[Fact]:
    """Every fact of the capture, each with what bsrcorr said (a capture bsrcorr refuses
    holds none of its facts: each is listed, not held)."""
    f = load(folder)
    out = out or Path(tempfile.mkdtemp(prefix="corpus-"))
    a, error = run(folder, out)
    facts: list[Fact] = [Fact("runs", None, error)]
    if a is None:
        return facts + [Fact(x.what, x.want, "not run") for x in _facts(folder, f, None)]
    return facts + _facts(folder, f, a)


def _facts(folder: Path, f: dict, a: Analysis | None) -> list[Fact]:
    facts: list[Fact] = []
    by_name = {ev.name: ev for ev in a.events} if a else {}
    for name, node in f["nodes"].items():
        ident = by_name[name].identity if a else None
        if node.get("node_id") is not None:
            facts.append(Fact(f"{name} node_id", node["node_id"], ident and ident.node_id))
        if node.get("host") is not None:
            facts.append(Fact(f"{name} host", node["host"], ident and ident.host))
    for want in f.get("twopc", []):
        rec = a.cluster.record(want["tid"], want.get("resource")) if a else None
        what = f"twopc {want['tid']}"
        if rec is None:
            facts.append(Fact(what, "a record", None))
            continue
        if want.get("initiator") is not None:
            facts.append(Fact(f"{what} initiator", want["initiator"], rec.initiator))
        facts.append(Fact(f"{what} outcome", want["outcome"], rec.outcome))
        if want.get("proved_by"):
            facts.append(
                Fact(f"{what} proved_by", sorted(want["proved_by"]), sorted(rec.proved_by))
            )
    got_hs = {
        (ev.name, h.peer_host or a.cluster.name_of(h.resource, h.peer_id), h.peer_id)
        for ev in (a.events if a else [])
        for h in ev.handshakes
    }
    for h in f.get("handshakes", []):
        key = (h["node"], h["peer"], h["peer_id"])
        facts.append(Fact(f"handshake {key}", True, key in got_hs))
    got_dec = [
        (ev.name, d.peer_host or a.cluster.name_of(d.resource, d.peer, d.peer_host), d)
        for ev in (a.events if a else [])
        for d in ev.decisions
    ]
    for u in f.get("uuid_decisions", []):
        found = any(
            node == u["node"]
            and (u.get("peer") in (None, "peer") or peer == u["peer"])
            and (
                d.resource == u["resource"]
                # A line naming only its device (8.3/8.4 "block drbd0:"): the facts'
                # resource key stands for the device.
                or (d.resource is None and u.get("device") == f"drbd{d.minor}")
                if u.get("resource")
                else True
            )
            and u["result"] in (d.logged[0], d.result_name)
            and u["rule"] in (d.logged[1], d.rule_name)
            for node, peer, d in got_dec
        )
        facts.append(Fact(f"uuid_compare {u['node']}->{u.get('peer')}", True, found))
    got_rs = (
        {(r.resource, r.source, r.target, r.outcome) for r in a.cluster.resyncs} if a else set()
    )
    for r in f.get("resyncs", []):
        key = (r.get("resource"), r.get("source"), r.get("target"), r.get("outcome"))
        facts.append(Fact(f"resync {key}", True, key in got_rs))
    for name, want in (f.get("offsets") or {}).items():
        facts.extend(_offset(a, name, want))
    facts.extend(_order(a, f.get("order", [])))
    kinds = {x.kind for x in a.findings} if a else set()
    for kind in f.get("not_stated", []):
        facts.append(Fact(f"not stated: {kind}", False, kind in kinds if a else None))
    facts.extend(_end_state(a, f.get("end_state", [])))
    facts.extend(_diagnosis(a, f.get("diagnosis", []), f.get("not_diagnosed", [])))
    files = {fl for n in f["nodes"].values() for fl in n["files"]}  # a shared file once
    lines = sum(len((folder / fl).read_bytes().splitlines()) for fl in files)
    facts.append(Fact("every line a row", lines, a.timeline.height if a else None))
    if f.get("timed_rows") is not None:
        timed = a.timeline.select(pl.col("local_time").is_not_null().sum()).item() if a else None
        facts.append(Fact("rows with their own time", f["timed_rows"], timed))
    return facts


def _vol(v: dict) -> Any:
    """A volume's key: its number, else DRBD 8.4's minor (``minor`` or ``device``)."""
    if v.get("volume") is not None:
        return v["volume"]
    if v.get("minor") is not None:
        return ("minor", v["minor"])
    device = v.get("device")
    return ("minor", int(device.removeprefix("drbd"))) if device else None


def flat_state(entry: dict, peer_name=lambda p: p) -> dict[tuple, str]:
    """An end_state entry as its stated values, null ones left out (a volume or a peer
    the facts list with nulls says nothing more than one they leave out)."""
    out: dict[tuple, str] = {}
    if entry.get("role") is not None:
        out[("role",)] = entry["role"]
    for v in entry.get("volumes", []):
        if v.get("disk") is not None:
            out[("disk", _vol(v))] = v["disk"]
    for p in entry.get("peers", []):
        name = peer_name(p["peer"])
        for key in ("connection", "peer_role"):
            if p.get(key) is not None:
                out[(key, name)] = p[key]
        for v in p.get("volumes", []):
            for key in ("replication", "peer_disk"):
                if v.get(key) is not None:
                    out[(key, name, _vol(v))] = v[key]
    return out


def _end_state(a: Analysis | None, want: list[dict]) -> list[Fact]:
    """Each (node, resource)'s last logged states: exactly the facts' non-null values
    (a peer named by its host in the facts is the node of that host)."""
    if not want:
        return []
    if a is None:
        return [Fact(f"end_state {w['node']} {w['resource']}", w, "not run") for w in want]
    from correlate.render.json import end_state_json

    got = {(e["node"], e["resource"]): e for e in end_state_json(a.end_state, a.clock)}
    hosts = a.cluster.names.by_host

    def name(p):
        return hosts.get(p, p)

    out = []
    for w in want:
        mine = got.get((w["node"], w["resource"]), {})
        out.append(
            Fact(f"end_state {w['node']} {w['resource']}", flat_state(w, name), flat_state(mine))
        )
    return out


def _diagnosis(a: Analysis | None, want: list, forbidden: list[str]) -> list[Fact]:
    """Each expected entry (kind, and the resource and nodes when given) is stated; no
    entry of a forbidden kind is."""
    out = []
    entries = a.diagnosis if a else []
    hosts = a.cluster.names.by_host if a else {}
    for w in want:
        w = {"kind": w} if isinstance(w, str) else w
        nodes = {hosts.get(n, n) for n in w.get("nodes", [])}
        found = any(
            d.kind == w["kind"]
            and ("resource" not in w or d.resource == w["resource"])
            and nodes <= set(d.nodes)
            for d in entries
        )
        what = f"diagnosis {w['kind']} {w.get('resource') or ''} {sorted(nodes)}".rstrip()
        out.append(Fact(what, True, found if a else None))
    kinds = {d.kind for d in entries}
    for kind in forbidden:
        out.append(Fact(f"not diagnosed: {kind}", False, kind in kinds if a else None))
    return out


def _offset(a: Analysis | None, name: str, want: dict) -> list[Fact]:
    """The facts' window must lie inside bsrcorr's bounds (bsrcorr never claims more
    than the lines prove), and the offset bsrcorr states must lie inside the window."""
    na = a.alignment.nodes.get(name) if a else None
    seg = na.main if na is not None else None
    # With kernel stamps anchored to the wall clock, the facts may give the window those
    # prove too (under bsrcorr's stated receive-delay bound): bsrcorr may be that tight.
    tight = want.get("kernel") or want
    lo, hi = tight.get("min"), tight.get("max")
    if seg is None or seg.offset_s is None:
        return [Fact(f"{name} offset aligned", True, False)] if (lo, hi) != (None, None) else []
    eps = 1e-6
    out = []
    got_lo = seg.lower_s
    got_hi = seg.upper_s
    # a bound bsrcorr states must not be tighter than the one the lines give
    out.append(Fact(f"{name} lower bound not tighter than {lo}", True,
                    got_lo is None or (lo is not None and got_lo <= lo + eps)))  # fmt: skip
    out.append(Fact(f"{name} upper bound not tighter than {hi}", True,
                    got_hi is None or (hi is not None and got_hi >= hi - eps)))  # fmt: skip
    if seg.one_sided is None:
        inside = (lo is None or seg.offset_s >= lo - eps) and (
            hi is None or seg.offset_s <= hi + eps
        )
        out.append(Fact(f"{name} offset {seg.offset_s:+.6f} inside [{lo}, {hi}]", True, inside))
    return out


def _order(a: Analysis | None, order: list[dict]) -> list[Fact]:
    if not order:
        return []
    if a is None:
        return [Fact(f"order {o['send']} before {o['receive']}", True, None) for o in order]
    t = a.timeline.select(
        pl.col("node").cast(pl.String), pl.col("file").cast(pl.String), "line"
    ).with_row_index("_i")
    where: dict[tuple[str, int], int] = {}
    for i, node, _, line in t.iter_rows():
        where.setdefault((node, line), i)
    out = []
    for o in order:
        s, r = o["send"], o["receive"]
        si, ri = where.get((s["node"], s["line"])), where.get((r["node"], r["line"]))
        ok = si is not None and ri is not None and si < ri
        out.append(Fact(f"order {s['node']}:{s['line']} before {r['node']}:{r['line']}", True, ok))
    return out


def main() -> int:
    """``python -m tests.corpus``: per capture, the facts held, then the total."""
    total = held = 0
    for folder in captures():
        facts = check(folder)
        ok = [x for x in facts if x.held]
        total, held = total + len(facts), held + len(ok)
        print(f"{folder.name}: {len(ok)}/{len(facts)}")
        for x in facts:
            if not x.held:
                print(f"    {x}")
    print(f"total: {held}/{total} facts held in {len(captures())} captures")
    # not run: the capture's format is not read yet, so none of its facts could hold
    return 0


if __name__ == "__main__":
    sys.exit(main())
