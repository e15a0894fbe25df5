"""Stage 3e, resource-agent commands: the drbdadm commands Pacemaker ran, from the lines
its DRBD resource agent logs, as admin commands.

LINBIT's OCF agent (``drbd-utils``' ``scripts/drbd.ocf``, ``do_cmd``) logs every command
it runs through ``ocf_log``, tagged with the agent and its Pacemaker resource::

    Mar  5 14:02:11 node1 drbd(p_drbd_r0)[12345]: INFO: r0: Called drbdadm -c
        /etc/drbd.conf primary r0
    Mar  5 14:02:11 node1 drbd(p_drbd_r0)[12345]: INFO: r0: Exit code 0

(one line each, wrapped here)

(``ERROR:`` instead of ``INFO:`` when the command failed). A ``Called`` line is an
``admin_command`` row (``program`` stays the agent's tag; the record's ``program`` is the
tool it ran, ``drbdadm``; ``caller`` the agent, which Pacemaker ran), the next ``Exit code
N`` line of the same agent tag its ``admin_done`` row and the command's ``rv``. The agent
runs one command at a time and waits for it (``do_cmd``), so the exit line that follows
is that command's. Both lines are written once the command has returned, and nothing
marks when it started: the driver lines it caused lie before them, from a moment no line
gives, so ``caused`` stays empty (a time window would be a guess).

Input: a node's events frame (``row``, ``file``, ``line``, ``seq``, ``local_time``,
``time_res_ns``, ``program``, ``message``, ``event``, ``fields``). Output: the same frame
with those rows' ``event``/``fields`` set (a new frame), and the records.
"""

from __future__ import annotations

import json

import polars as pl

from correlate.cluster.admin import AdminCommand
from correlate.model import Ref

AGENT_TAG = r"^[A-Za-z][\w.-]*\([^()]+\)$"  # drbd(p_drbd_r0): an OCF agent and its resource
CALLED = r"^(?:[A-Z]+: )?(?P<res>[^\s:]+): Called (?P<cmd>\S+(?: .*)?)$"
EXITED = r"^(?:[A-Z]+: )?(?P<res>[^\s:]+): Exit code (?P<rv>-?[0-9]+)$"


def find(node: str, frame: pl.DataFrame) -> tuple[pl.DataFrame, list[AdminCommand]]:
    """The node's agent commands as records, and its frame with their rows marked."""
    if "program" not in frame.columns or frame.height == 0:
        return frame, []
    program = pl.col("program").cast(pl.String)
    agent = program.str.contains(AGENT_TAG).fill_null(False)
    if not frame.select(agent.any()).item():
        return frame, []
    msg = pl.col("message")
    rows = (
        frame.filter(agent & (msg.str.contains(CALLED) | msg.str.contains(EXITED)))
        .select(
            "row",
            "file",
            "line",
            "seq",
            pl.col("local_time").cast(pl.Datetime("ns")).cast(pl.Int64).alias("local_ns"),
            "time_res_ns",
            "message",
            program.alias("tag"),
            msg.str.extract_groups(CALLED).struct.field("cmd").alias("cmd"),
            msg.str.extract_groups(EXITED).struct.field("rv").cast(pl.Int64).alias("rv"),
        )
        .sort("row")
    )
    commands: list[AdminCommand] = []
    open_by_tag: dict[str, AdminCommand] = {}
    marks: dict[int, tuple[str, str]] = {}
    for r in rows.iter_rows(named=True):
        local_ns = r["local_ns"]
        ref = Ref(node, r["row"], str(r["file"]), r["line"], r["seq"], local_ns, r["message"],
                  r["time_res_ns"] or 0)  # fmt: skip
        if r["cmd"] is not None:
            words = r["cmd"].split()
            tool = words[0].rsplit("/", 1)[-1]
            c = AdminCommand(
                node=node, program=tool, command=r["cmd"], subcommand=_verb(words),
                pid=None, caller=[(r["tag"], 0), ("Pacemaker", 0)], local_ns=local_ns,
                ref=ref, time_ns=None,
            )  # fmt: skip
            commands.append(c)
            open_by_tag[r["tag"]] = c
            marks[r["row"]] = (
                "admin_command",
                json.dumps({"command": r["cmd"], "agent": r["tag"]}),
            )
        elif r["rv"] is not None and r["tag"] in open_by_tag:
            c = open_by_tag.pop(r["tag"])
            c.done, c.rv = ref, r["rv"]
            marks[r["row"]] = ("admin_done", json.dumps({"rv": r["rv"], "agent": r["tag"]}))
    if not marks:
        return frame, commands
    table = pl.DataFrame(
        {
            "row": list(marks),
            "_event": [e for e, _ in marks.values()],
            "_fields": [f for _, f in marks.values()],
        },
        schema={"row": frame.schema["row"], "_event": pl.String, "_fields": pl.String},
    )
    marked = frame.join(table, on="row", how="left", maintain_order="left")
    event_dtype, fields_dtype = frame.schema["event"], frame.schema["fields"]
    marked = marked.with_columns(
        event=pl.coalesce(pl.col("_event"), pl.col("event").cast(pl.String)).cast(event_dtype),
        fields=pl.coalesce(pl.col("_fields"), pl.col("fields").cast(pl.String)).cast(fields_dtype),
    ).drop("_event", "_fields")
    return marked, commands


def _verb(words: list[str]) -> str:
    """``drbdadm -c /etc/drbd.conf primary r0`` -> ``primary``: the first word after the
    options (an option's value follows it: ``-c FILE``)."""
    rest = words[1:]
    i = 0
    while i < len(rest) and rest[i].startswith("-"):
        i += 1 if "=" in rest[i] or rest[i].startswith("--") else 2
    return rest[i] if i < len(rest) else ""
