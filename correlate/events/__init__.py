"""Stage 2, events: each node's entries classified by the message catalogs
(``catalog_bsr``, ``catalog_drbd``, ``classify``), netlink commands paired (``netlink``),
its protocol lines walked into records (``builders``), all driven by ``extract``;
``codes`` decodes the protocol's numbers."""
