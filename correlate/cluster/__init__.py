"""Stage 3, cluster: who is who (``identity``), the nodes' records matched by protocol
identity (``protocol``), the causal evidence (``evidence``), each node's clock offset
(``align``) and the merged timeline (``timeline``)."""
