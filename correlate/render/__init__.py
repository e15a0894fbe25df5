"""Renderers: terminal text, Graphviz sequence diagrams, the HTML report."""
