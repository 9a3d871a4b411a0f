"""PT600: Ansible Galaxy artifact specs are well formed.

IM turns an artifact of type ``tosca.artifacts.AnsibleGalaxy.role`` (or
``.collection``) into an ``ansible.roles.<file>`` application and installs it
with ``ansible-galaxy`` on the new machines; a malformed ``file`` only shows
up there, deep in the contextualization log. The spec is read by
:mod:`..recipe_specs`, the parser the recipe commands resolve with, in
IM's grammar (``im_grammar=True``): what IM would read differently from
``ansible-galaxy`` (a third ``,name``, ``,version`` with ``|name``, a
collection range with a ``,``) is refused too. So is plain ``http://`` to
any host but a loopback one: IM's machines would fetch the recipe
unauthenticated over the network (the recipe commands have ``--allow-http``
for a server that cannot do better; a template cannot).
"""

from __future__ import annotations

from typing import Any, Iterator

from ..diagnostics import Diagnostic
from ..recipe_specs import COLLECTION, ROLE, SpecError, parse_spec, remote_http_host
from ..topology.model import Topology
from ..typesystem import Types
from ..typesystem.definitions import artifact_entries
from .base import check, report

ROLE_TYPE = "tosca.artifacts.AnsibleGalaxy.role"
COLLECTION_TYPE = "tosca.artifacts.AnsibleGalaxy.collection"


def galaxy_kind(types: Types, artifact_type: Any) -> str | None:
    """'role', 'collection' or None for other artifact types."""
    found = types.find("artifact_types", artifact_type)
    for base, kind in ((ROLE_TYPE, ROLE), (COLLECTION_TYPE, COLLECTION)):
        if artifact_type == base or (found is not None and found.is_a(base)):
            return kind
    return None


def check_artifact(topology: Topology, name: str, artifact: dict, inherited: Any,
                   path: tuple) -> Iterator[Diagnostic]:
    """``inherited``: the same-named artifact of the node's type, which a
    template's artifact refines (its type and file apply when left out)."""
    base = inherited if isinstance(inherited, dict) else {}
    kind = galaxy_kind(topology.types, artifact.get("type", base.get("type")))
    if kind is None:
        return
    if "file" not in artifact:
        if "file" not in base:
            yield report(topology, "PT600", f"Galaxy {kind} artifact {name!r} has no file", path, key=True,
                         hint=f"give it as file: namespace.{kind}")
        return
    value = artifact["file"]
    if isinstance(value, dict):
        return  # a function such as get_input: its value is not known here
    try:
        spec = parse_spec(value, kind, im_grammar=True)
    except SpecError as problem:
        yield report(topology, "PT600", f"artifact {name!r}: {problem.message}", path + ("file",), hint=problem.hint)
        return
    host = remote_http_host(spec)
    if host is not None:
        scheme = "git+https://" if spec.src and spec.src.startswith("git+") else "https://"
        yield report(topology, "PT600", f"artifact {name!r}: {value!r} is fetched over plain http from {host}; "
                     "IM's machines would download the recipe unauthenticated", path + ("file",),
                     hint=f"use {scheme} (plain http:// is accepted only for a loopback host)")


def node_artifacts(topology: Topology, artifacts: Any, inherited: dict, path: tuple) -> Iterator[Diagnostic]:
    for name, artifact, where in artifact_entries(artifacts, path):
        if isinstance(artifact, dict):
            yield from check_artifact(topology, name, artifact, inherited.get(name), where)


@check("PT600")
def galaxy_specs(topology: Topology) -> Iterator[Diagnostic]:
    definitions = topology.types.definitions
    for name, node in topology.raw.items():
        inherited = definitions.artifacts(node.type_def) if node.type_def is not None else {}
        yield from node_artifacts(topology, node.template.get("artifacts"), inherited, node.path + ("artifacts",))
    root = topology.template.document
    for found in topology.types.system.own("node_types").values():
        if found.document is root:
            inherited = definitions.artifacts(found.parent) if found.parent is not None else {}
            yield from node_artifacts(topology, found.raw.get("artifacts"), inherited, found.path + ("artifacts",))
