"""Read stage, config: a bundle's resource files (``*.res``, ``bsr.conf``/``drbd.conf``,
``bsradm dump``/``drbdadm dump`` output) -> who each host is, per resource.

The grammar is DRBD's (BSR keeps it): ``resource NAME { on HOST { node-id N; address
[ipv4|ipv6] IP:PORT; volume V { device ...; } } net { ... } connection { ... } }``, with
``#`` comments, quoted strings, and ``include`` lines (not followed: each file is read on
its own, and ``dump`` output has them resolved). Every value that names a secret is
masked (:mod:`correlate.read.secrets`) before anything else sees the text.

:func:`parse` returns, per host: ``{"host", "node_id", "address", "resources":
{resource: {"node_id", "address"}}}``; ``node_id``/``address`` at the top when every
resource agrees, else null.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from correlate.read.secrets import mask_text

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{};]|[^\s{};"]+')


@dataclass
class Block:
    words: list[str]
    body: list[Block] | None = None  # None: a statement ending in ';'
    children: list[Block] = field(default_factory=list)


def _tokens(text: str) -> list[str]:
    lines = [re.sub(r"#.*$", "", line) for line in text.splitlines()]
    return _TOKEN.findall("\n".join(lines))


def _parse_blocks(tokens: list[str], i: int = 0) -> tuple[list[Block], int]:
    out: list[Block] = []
    words: list[str] = []
    while i < len(tokens):
        t = tokens[i]
        if t == ";":
            if words:
                out.append(Block(words))
            words = []
            i += 1
        elif t == "{":
            children, i = _parse_blocks(tokens, i + 1)
            out.append(Block(words, children, children))
            words = []
        elif t == "}":
            if words:
                out.append(Block(words))
            return out, i + 1
        else:
            words.append(t.strip('"'))
            i += 1
    if words:
        out.append(Block(words))
    return out, i


def _value(block: Block, key: str) -> list[str] | None:
    for b in block.children:
        if b.body is None and b.words and b.words[0] == key:
            return b.words[1:]
    return None


def _address(words: list[str] | None) -> str | None:
    if not words:
        return None
    if words[0] in ("ipv4", "ipv6", "ssocks", "sdp", "sci"):
        words = words[1:]
    return words[0] if words else None


def parse(texts: list[str]) -> dict[str, dict]:
    """Hosts of every resource in ``texts`` (several files of one or several nodes)."""
    hosts: dict[str, dict] = {}
    for text in texts:
        blocks, _ = _parse_blocks(_tokens(mask_text(text)))
        for res in blocks:
            if res.body is None or len(res.words) < 2 or res.words[0] != "resource":
                continue
            name = res.words[1]
            for on in res.children:
                if on.body is None or not on.words or on.words[0] != "on":
                    continue
                for host in on.words[1:]:
                    node_id = _value(on, "node-id")
                    entry = hosts.setdefault(host, {"host": host, "resources": {}})
                    entry["resources"][name] = {
                        "node_id": int(node_id[0]) if node_id and node_id[0].isdigit() else None,
                        "address": _address(_value(on, "address")),
                    }
    for entry in hosts.values():
        for key in ("node_id", "address"):
            values = {r[key] for r in entry["resources"].values()}
            entry[key] = values.pop() if len(values) == 1 else None
    return {h: hosts[h] for h in sorted(hosts)}


def host_matches(config_host: str, names: list[str]) -> bool:
    """A config's ``on`` name is one of a node's spellings: the same name in any case, or
    the short name of an FQDN (``px2`` and ``px2.example.local``)."""
    a = config_host.lower()
    for n in names:
        b = n.lower()
        if a == b or a.split(".")[0] == b.split(".")[0]:
            return True
    return False
