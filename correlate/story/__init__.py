"""Stage 4, story: the aligned capture cut into episodes (``episodes``, looked up by
``episode_index``), what each holds (``content``), the findings (``findings``), and the
``--since``/``--until`` window applied to all of it (``scope``)."""
