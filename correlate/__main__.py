"""``python -m correlate`` runs the ``bsrcorr`` command."""

from .cli import main

main()
