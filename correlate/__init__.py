"""bsrcorr: correlate the driver logs of a BSR cluster's nodes into one timeline."""

import os

__version__ = "0.1.0"

# polars allocates with jemalloc, which by default keeps freed pages for ten seconds
# before giving them back: on a long capture that is gigabytes of resident memory the
# run no longer uses, counted against the machine. Hand them back after 100 ms (the
# user's own setting wins). Not at once (0 ms): that returns every freed page and faults
# it in again on the next column, which on the 1 GB bench cost a quarter of the wall time
# (steady capture 10.8 s against 8.1 s, peak RSS 2,231 against 2,250 MiB; bench/README).
# It must be set before polars is first imported; see pola-rs/polars#23128.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:100,muzzy_decay_ms:0")
