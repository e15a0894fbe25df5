"""bsrcorr: correlate the driver logs of a BSR cluster's nodes into one timeline."""

__version__ = "0.1.0"
