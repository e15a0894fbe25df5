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


def _fixed_mmap_threshold() -> None:
    """Python's own large buffers (a file's bytes, a decoded text) come from glibc's
    malloc, which after the first large free raises its mmap threshold to 32 MiB: every
    later file of a rotated set is then allocated on the heap and not handed back when
    freed. A fixed threshold of 128 KiB (glibc's default, without the raising) maps each
    such buffer on its own and unmaps it on free. On the 1 GB bench: peak RSS 2,043
    against 2,154 MiB, the time the same within the runs' noise (bench/README)."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt): nothing to tune
        return
    m_mmap_threshold = -3
    mallopt(m_mmap_threshold, 128 * 1024)


_fixed_mmap_threshold()
