"""bsrcorr: correlate the driver logs of a BSR cluster's nodes into one timeline."""

import os

__version__ = "0.1.0"

# polars allocates with jemalloc, which by default keeps freed pages for ten seconds
# before giving them back: on a long capture that is gigabytes of resident memory the
# run no longer uses, counted against the machine. Hand them back at once (the user's own
# setting wins). It must be set before polars is first imported; see pola-rs/polars#23128.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")
