"""Render, DOT text: the graphs of :mod:`correlate.render.sequence` written as text directly.

The same text the ``graphviz`` package's ``Digraph`` writes, statement for statement and
byte for byte (its quoting rules, its attribute order: the label first, then the others
sorted by name; its tabs), without its per-call wrappers: building an episode's graph was
three quarters inside them (issue 27: 2.06 -> 1.14 s for a capture's graphs). The
``graphviz`` package stays for running ``dot`` and for :func:`graphviz.nohtml` (a value
that looks like ``<...>`` but is plain text, such as a tooltip quoting a log line).
``tests/test_dot.py`` holds this module to the package's output.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from graphviz.quoting import NoHtml

# graphviz.quoting's rules: an HTML string is left as it is; an ID (a name or a number)
# that is no keyword stays bare; anything else is quoted, its unescaped quotes escaped.
_ID = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*|-?(\.[0-9]+|[0-9]+(\.[0-9]*)?))$")
_HTML = re.compile(r"<.*>$", re.DOTALL)
_KEYWORDS = {"node", "edge", "graph", "digraph", "subgraph", "strict"}
_QUOTE = re.compile(r'(?P<escaped_backslashes>(?:\\{2})*)\\?(?P<literal_quote>")')


def quote(value: str) -> str:
    """A DOT identifier or attribute value, quoted when it needs to be (as
    ``graphviz.quoting.quote``)."""
    if value[:1] == "<" and _HTML.match(value) and not isinstance(value, NoHtml):
        return value
    if _ID.match(value) and value.lower() not in _KEYWORDS:
        return value
    if '"' in value:
        value = _QUOTE.sub(r"\g<escaped_backslashes>\\\g<literal_quote>", value)
    return f'"{value}"'


def _edge_end(name: str) -> str:
    """An edge's end, ``node[:port[:compass]]`` (as ``graphviz.quoting.quote_edge``)."""
    if ":" not in name:
        return quote(name)
    node, _, rest = name.partition(":")
    port, _, compass = rest.partition(":")
    return ":".join([quote(node), quote(port), *([compass] if compass else [])])


def _a_list(label: str | None, attrs: dict[str, str | None]) -> str:
    parts = [f"label={quote(label)}"] if label is not None else []
    parts += [f"{quote(k)}={quote(v)}" for k, v in sorted(attrs.items()) if v is not None]
    return " ".join(parts)


class Dot:
    """A directed graph (or a subgraph of one) as DOT text, built statement by statement
    with the calls of ``graphviz.Digraph`` this project uses: :meth:`attr`,
    :meth:`node`, :meth:`edge`, :meth:`subgraph`; :attr:`source` is the text."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name
        self.body: list[str] = []

    def attr(self, kw: str | None = None, **attrs: str | None) -> None:
        """Graph attributes (``kw`` None: ``key=value`` statements), or the defaults of
        every ``graph``, ``node`` or ``edge`` after it."""
        if not attrs:
            return
        if kw is None:
            self.body.append(f"\t{_a_list(None, attrs)}\n")
        else:
            content = _a_list(None, attrs)
            self.body.append(f"\t{kw} [{content}]\n" if content else f"\t{kw}\n")

    def node(self, name: str, label: str | None = None, **attrs: str | None) -> None:
        content = _a_list(label, attrs)
        self.body.append(f"\t{quote(name)} [{content}]\n" if content else f"\t{quote(name)}\n")

    def edge(self, tail: str, head: str, label: str | None = None, **attrs: str | None) -> None:
        content = _a_list(label, attrs)
        ends = f"{_edge_end(tail)} -> {_edge_end(head)}"
        self.body.append(f"\t{ends} [{content}]\n" if content else f"\t{ends}\n")

    def _lines(self, subgraph: bool) -> Iterator[str]:
        name = quote(self.name) + " " if self.name else ""
        if subgraph:
            yield f"subgraph {name}{{\n" if self.name else "{\n"
        else:
            yield f"digraph {name}{{\n"
        yield from self.body
        yield "}\n"

    @contextmanager
    def subgraph(self, name: str | None = None) -> Iterator[Dot]:
        """A subgraph, added (indented one tab) when the ``with`` block ends."""
        sub = Dot(name)
        yield sub
        self.body += [f"\t{line}" for line in sub._lines(subgraph=True)]

    @property
    def source(self) -> str:
        return "".join(self._lines(subgraph=False))
