"""``python -m correlate`` runs the ``bsrcorr`` command."""

from correlate.cli import main

main()
