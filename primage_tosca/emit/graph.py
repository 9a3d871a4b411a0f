"""The topology as a picture: JSON for scripts, Graphviz DOT, Mermaid; SVG
and PNG through Graphviz's ``dot`` program when it is installed.

Compute nodes are boxes, the rest rounded; HostedOn edges are solid, other
relationships dashed and labelled with the requirement name.
"""

from __future__ import annotations

import json
import shutil
import subprocess  # nosec - runs only the local `dot` binary, with no shell
from typing import Any

from ..formats import GRAPH_FORMATS as FORMATS
from ..formats import GRAPH_IMAGE_FORMATS as IMAGE_FORMATS
from ..topology import COMPUTE, Topology


class GraphvizMissing(RuntimeError):
    """SVG or PNG was asked for but Graphviz's ``dot`` is not installed."""


def graph_data(topology: Topology) -> dict:
    """The graph as plain data, in template order."""
    nodes = []
    for name in topology.nodes:
        node = topology.node(name)
        nodes.append({"name": name, "type": node["type"], "types": node["types"],
                      "compute": topology.compute_of(name), "level": topology.levels.get(name),
                      "properties": node["properties"],
                      "capabilities": node["capabilities"], "artifacts": node["artifacts"],
                      "interfaces": node["interfaces"]})
    edges = []
    for name in topology.nodes:
        for target, edge in topology.edges_from(name):
            edges.append({"source": name, "target": target, "requirement": edge["requirement"],
                          "relationship": edge["relationship"], "kind": edge["kind"],
                          "capability": edge["capability"], "properties": edge["properties"]})
    return {"file": topology.file, "nodes": nodes, "edges": edges, "deploy_order": topology.deploy_order(),
            "cycles": topology.cycles}


def to_json(topology: Topology) -> str:
    return json.dumps(graph_data(topology), indent=2, ensure_ascii=False, default=str) + "\n"


def _short(type_name: Any) -> str:
    return str(type_name).rsplit(".", 1)[-1] if type_name else "?"


def _dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(topology: Topology) -> str:
    lines = ["digraph topology {", "  rankdir=BT;", '  node [fontname="Helvetica", fontsize=11];',
             '  edge [fontname="Helvetica", fontsize=9];']
    for name in topology.nodes:
        shape = "box3d" if topology.is_a(name, COMPUTE) else "box"
        style = "" if topology.is_a(name, COMPUTE) else ', style="rounded"'
        label = f"{name}\n{topology.node(name)['type']}"
        lines.append(f"  {_dot_string(name)} [label={_dot_string(label)}, shape={shape}{style}];")
    for name in topology.nodes:
        for target, edge in topology.edges_from(name):
            style = "solid" if edge["kind"] == "HostedOn" else "dashed"
            label = f"{edge['requirement']} ({_short(edge['relationship'])})"
            lines.append(f"  {_dot_string(name)} -> {_dot_string(target)} [label={_dot_string(label)}, style={style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    return text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def to_mermaid(topology: Topology) -> str:
    ids = {name: f"n{i}" for i, name in enumerate(topology.nodes)}
    lines = ["flowchart BT"]
    for name in topology.nodes:
        label = _mermaid_text(f"{name}<br/>{topology.node(name)['type']}")
        label = label.replace("#lt;br/#gt;", "<br/>")
        shape = ('["', '"]') if topology.is_a(name, COMPUTE) else ('("', '")')
        lines.append(f"  {ids[name]}{shape[0]}{label}{shape[1]}")
    for name in topology.nodes:
        for target, edge in topology.edges_from(name):
            arrow = "-->" if edge["kind"] == "HostedOn" else "-.->"
            label = _mermaid_text(f"{edge['requirement']} ({_short(edge['relationship'])})")
            lines.append(f'  {ids[name]} {arrow}|"{label}"| {ids[target]}')
    return "\n".join(lines) + "\n"


def render_graph(topology: Topology, fmt: str) -> str | bytes:
    """The graph in ``fmt``: text for json, dot and mermaid, bytes for svg
    and png. Raises GraphvizMissing when svg or png needs an absent ``dot``,
    ValueError for an unknown format or a failing ``dot``."""
    if fmt == "json":
        return to_json(topology)
    if fmt == "dot":
        return to_dot(topology)
    if fmt == "mermaid":
        return to_mermaid(topology)
    if fmt in IMAGE_FORMATS:
        return run_dot(to_dot(topology), fmt)
    raise ValueError(f"unknown graph format {fmt!r}; choose one of {', '.join(FORMATS)}")


def run_dot(source: str, fmt: str) -> bytes:
    program = shutil.which("dot")
    if program is None:
        raise GraphvizMissing(f"--format {fmt} needs Graphviz's `dot` program, which is not installed; "
                              "install Graphviz (e.g. `apt-get install graphviz`) or use --format dot")
    done = subprocess.run([program, f"-T{fmt}"], input=source.encode("utf-8"),  # nosec - fixed argv, no shell
                          capture_output=True, timeout=120, check=False)
    if done.returncode != 0:
        raise ValueError(f"dot failed: {done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout
