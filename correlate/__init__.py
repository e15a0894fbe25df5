"""bsrcorr: correlate the driver logs of a BSR cluster's nodes into one timeline."""

import os

__version__ = "0.1.0"

# polars allocates with jemalloc, which by default keeps freed pages for ten seconds
# before giving them back: on a long capture that is gigabytes of resident memory the
# run no longer uses, counted against the machine. Hand them back after 100 ms (the
# user's own setting wins). Not at once (0 ms): that returns every freed page and faults
# it in again on the next column, which on the 1 GB bench cost a quarter of the wall time
# (steady capture 10.8 s against 8.1 s, peak RSS 2,231 against 2,250 MiB; bench/README).
# jemalloc's background thread does that purging off the working threads: on the 1 GB
# steady capture, three paired runs 11.6/12.3/13.6 s without it, 11.2/11.6/13.5 s with
# (system time 4.9/5.5/7.1 against 4.4/4.9/6.2 s; peak RSS the same to 1%). Most of the
# system time left is first-touch page faults (1.9 M on that run); transparent huge
# pages cut them to 0.4 M but took longer to clear (6.8 s system time).
# It must be set before polars is first imported; see pola-rs/polars#23128.
os.environ.setdefault(
    "_RJEM_MALLOC_CONF", "dirty_decay_ms:100,muzzy_decay_ms:0,background_thread:true"
)
