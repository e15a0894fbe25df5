"""The DOT text :mod:`correlate.render.dot` writes is the text ``graphviz.Digraph`` writes for
the same calls: quoting (HTML labels, plain text that looks like HTML, quotes, keywords,
numbers), attribute order, subgraphs; and every graph of the samples and of a simulated
capture, episodes and overview, byte for byte.
"""

from __future__ import annotations

import graphviz
import pytest
from graphviz.quoting import quote as graphviz_quote
from hypothesis import given
from hypothesis import strategies as st

from correlate.errors import Notices
from correlate.pipeline import Options, analyse
from correlate.render import dot, select, sequence

from .helpers import SAMPLES

TRICKY = [
    "",
    "a",
    "_x9",
    "9",
    "-4.2",
    ".42",
    "4.",
    "-",
    "node",
    "Graph",
    "strict",
    "two words",
    "0.06,0.03",
    "#777777",
    "<<B>x</B>>",
    "<a>\n",
    "<",
    'say "hi"',
    '\\"',
    '\\\\"',
    "a\\nb",
    "é",
    "episode-05-connect-r0",
    graphviz.nohtml("<looks like html>"),
    graphviz.nohtml("plain"),
]


@pytest.mark.parametrize("value", TRICKY)
def test_quote_is_graphviz_quote(value):
    assert dot.quote(value) == graphviz_quote(value)


# graphviz warns of a value ending in an odd backslash (our labels carry none: a log's
# backslash travels as a stand-in character); both quote it alike all the same.
@pytest.mark.filterwarnings("ignore::graphviz.DotSyntaxWarning")
@given(st.text(alphabet=st.sampled_from('ab1_.-<> "\\\n:é'), max_size=12))
def test_quote_is_graphviz_quote_for_any_text(value):
    assert dot.quote(value) == graphviz_quote(value)
    assert dot.quote(graphviz.nohtml(value)) == graphviz_quote(graphviz.nohtml(value))


def build(g) -> str:
    """The same calls on a Dot or a graphviz.Digraph."""
    g.attr(rankdir="TB", nodesep="0.18", label="<<B>t</B>>")
    g.attr("node", fontname="Helvetica", fontsize="10")
    g.attr("edge")
    with g.subgraph(name="heads") as s:
        s.attr(rank="same")
        s.node("t_head", label="<<B>time</B>>", shape="plaintext")
        s.node("h0", label="", tooltip=graphviz.nohtml('<x> said "y"'), width="3.6", skip=None)
        s.edge("t_head", "h0", style="invis")
    with g.subgraph(name="cluster_band0") as c:
        c.attr(label="<<B>r0</B>>", labeljust="l")
        with c.subgraph(name="row0") as r:
            r.node("p0_0")
    g.node("node")
    g.edge("a:port", "b:p:sw", label="two words", color="#aaaaaa")
    g.edge("x", "y")
    return g.source


def test_calls_give_the_text_of_graphviz():
    assert build(dot.Dot("episode-05-connect-r0")) == build(
        graphviz.Digraph(name="episode-05-connect-r0", format="svg")
    )
    assert build(dot.Dot()) == build(graphviz.Digraph())


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    out = tmp_path_factory.mktemp("dot")
    nodes = [str(SAMPLES / "node0"), str(SAMPLES / "node1")]
    return analyse(nodes, Options(out=out, diagrams="all"), Notices())


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_graph_of_the_samples_is_the_text_of_graphviz(samples, monkeypatch, lang):
    from correlate import i18n

    i18n.use(lang)
    try:
        made = sequence.models(samples, samples.episodes)
        sel = select.select(samples.episodes, samples.findings, samples.clock, "all")
        ours = dict(sequence.graphs(samples, samples.episodes, sel, made))
        monkeypatch.setattr(sequence, "Dot", lambda name: graphviz.Digraph(name=name, format="svg"))
        theirs = dict(sequence.graphs(samples, samples.episodes, sel, made))
    finally:
        i18n.use("en")
    assert len(ours) == len(samples.episodes) + 1  # and the overview
    assert {k: g.source for k, g in ours.items()} == {k: g.source for k, g in theirs.items()}
