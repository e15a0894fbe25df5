"""Stages 0 and 1, read: the SRC arguments into nodes and files (``sources``), then each
node's lines into the entries frame (``bsr`` for BSR's own log, ``kernel``/``kernlog``/
``kernclock`` for DRBD and WinDRBD kernel logs, ``prefixes`` shared by both)."""
