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
from ..imports.template import ServiceTemplate
from .base import check, report
from .types import named_entries

ROLE_TYPE = "tosca.artifacts.AnsibleGalaxy.role"
COLLECTION_TYPE = "tosca.artifacts.AnsibleGalaxy.collection"


def galaxy_kind(template: ServiceTemplate, artifact_type: Any) -> str | None:
    """'role', 'collection' or None for other artifact types."""
    if not isinstance(artifact_type, str):
        return None
    registry = template.types
    for base, kind in ((ROLE_TYPE, ROLE), (COLLECTION_TYPE, COLLECTION)):
        if artifact_type == base or registry.is_derived_from("artifact_types", artifact_type, base):
            return kind
    return None


def check_artifact(template: ServiceTemplate, name: str, artifact: dict, inherited: Any,
                   path: tuple) -> Iterator[Diagnostic]:
    """``inherited``: the same-named artifact of the node's type, which a
    template's artifact refines (its type and file apply when left out)."""
    base = inherited if isinstance(inherited, dict) else {}
    kind = galaxy_kind(template, artifact.get("type", base.get("type")))
    if kind is None:
        return
    if "file" not in artifact:
        if "file" not in base:
            yield report(template, "PT600", f"Galaxy {kind} artifact {name!r} has no file", path, key=True,
                         hint=f"give it as file: namespace.{kind}")
        return
    value = artifact["file"]
    if isinstance(value, dict):
        return  # a function such as get_input: its value is not known here
    try:
        spec = parse_spec(value, kind, im_grammar=True)
    except SpecError as problem:
        yield report(template, "PT600", f"artifact {name!r}: {problem.message}", path + ("file",), hint=problem.hint)
        return
    host = remote_http_host(spec)
    if host is not None:
        scheme = "git+https://" if spec.src and spec.src.startswith("git+") else "https://"
        yield report(template, "PT600", f"artifact {name!r}: {value!r} is fetched over plain http from {host}; "
                     "IM's machines would download the recipe unauthenticated", path + ("file",),
                     hint=f"use {scheme} (plain http:// is accepted only for a loopback host)")


def node_artifacts(template: ServiceTemplate, artifacts: Any, inherited: dict,
                   path: tuple) -> Iterator[Diagnostic]:
    for name, artifact, where in named_entries(artifacts, path):
        if isinstance(artifact, dict):
            yield from check_artifact(template, name, artifact, inherited.get(name), where)


def type_artifacts(template: ServiceTemplate, node_type: Any) -> dict:
    """The artifacts a node type defines, merged along its ancestry."""
    if not isinstance(node_type, str):
        return {}
    return template.types.lookup_in_chain("node_types", node_type, "artifacts")


@check("PT600")
def galaxy_specs(template: ServiceTemplate) -> Iterator[Diagnostic]:
    for name, node in template.node_templates.items():
        if isinstance(node, dict):
            yield from node_artifacts(template, node.get("artifacts"), type_artifacts(template, node.get("type")),
                                      ("topology_template", "node_templates", name, "artifacts"))
    own_types = template.data.get("node_types") if isinstance(template.data, dict) else None
    if isinstance(own_types, dict):
        for name, definition in own_types.items():
            if isinstance(definition, dict):
                inherited = type_artifacts(template, definition.get("derived_from"))
                yield from node_artifacts(template, definition.get("artifacts"), inherited,
                                          ("node_types", name, "artifacts"))
