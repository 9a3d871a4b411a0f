"""The render phase: the topology template's entities with their types'
definitions merged in, every written value checked against its type, and
every function call checked as written. Nothing is evaluated or resolved
yet: the topology phase does that on what this phase produces.

    rendered = render(template, types, collector)
    rendered.nodes["server"].properties      # defaults, then the template's values
"""

from __future__ import annotations

from typing import Any

from ..catalog import Reporter
from ..diagnostics import Severity, close_matches
from ..imports.template import ServiceTemplate
from ..records import field, record
from ..typesystem import Types
from ..typesystem.check import check_document
from ..typesystem.keynames import check_keys
from .functions import Call, CallChecker, calls_in, listed_calls
from .nodes import NODE_TEMPLATES, Capability, NodeRenderer, NodeTemplate, Operation, RequirementAssignment
from .sections import (MISSING, Group, InputParameter, PolicyTemplate, RelationshipTemplate, SectionRenderer,
                       policy_items)

TOPOLOGY = ("topology_template",)


@record
class Rendered:
    """The render phase's product for one template."""

    template: ServiceTemplate
    types: Types
    inputs: dict[str, InputParameter] = field(default_factory=dict)
    nodes: dict[str, NodeTemplate] = field(default_factory=dict)
    relationships: dict[str, RelationshipTemplate] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    policies: list[PolicyTemplate] = field(default_factory=list)
    outputs: dict[str, dict] = field(default_factory=dict)
    input_reads: list[tuple[Any, tuple]] = field(default_factory=list)  # (input name, where it is named)
    calls: list[Call] = field(default_factory=list)


def render(template: ServiceTemplate, types: Types, collector: Any, reuse: Any = None) -> Rendered:
    """Render a readable template whose types are built. ``reuse`` (the
    language server's, see :mod:`primage_tosca.lsp.reuse`) may hand back a
    node template rendered from the same text before: it has
    ``node(name, make)``, which returns ``make()`` or that earlier product
    with its findings reported again, and ``calls(value, path, is_call)``,
    which lists what :func:`calls_in` would."""
    report = Reporter(collector)
    document_of = template.document_of
    check_document(template.document, types.version, report)
    topology = template.data.get("topology_template")
    rendered = Rendered(template, types)
    if topology is None:
        return rendered
    if not check_keys("topology_template", topology, types.version, document_of(TOPOLOGY), TOPOLOGY, report):
        report("PT306", "topology_template must be a map of its sections", template.document, TOPOLOGY)
        return rendered
    nodes = NodeRenderer(types, report, document_of, repository_names(template))
    sections = SectionRenderer(types, report, document_of, nodes)
    rendered.inputs = sections.inputs(_section(topology, "inputs"), template.options.inputs)
    rendered.nodes = render_nodes(nodes, _section(topology, "node_templates"), report, document_of, reuse)
    rendered.relationships = sections.relationship_templates(_section(topology, "relationship_templates"))
    rendered.groups = sections.groups(_section(topology, "groups"), rendered.nodes)
    rendered.policies = sections.policies(topology.get("policies"), rendered.nodes, rendered.groups)
    rendered.outputs = sections.outputs(_section(topology, "outputs"))
    sections.substitution(topology.get("substitution_mappings"), rendered.nodes, rendered.inputs)
    for document in template.imported_documents():  # templates that implement a node type this one uses
        nested = document.data.get("topology_template") if isinstance(document.data, dict) else None
        if isinstance(nested, dict) and isinstance(nested.get("substitution_mappings"), dict):
            sections.substitution(nested["substitution_mappings"], None, _section(nested, "inputs"), document)
    sections.workflows(_section(topology, "workflows"), rendered.nodes, rendered.groups)
    listed = listed_calls(template.document, topology, types.is_call) if reuse is None else None
    check_calls(rendered, topology, report, calls_in if reuse is None else reuse.calls, listed)
    return rendered


def repository_names(template: ServiceTemplate) -> list[str]:
    """The repositories the template and the files it reads define."""
    found: list[str] = []
    for document in template.all_documents():
        section = document.data.get("repositories") if isinstance(document.data, dict) else None
        if isinstance(section, dict):
            found.extend(str(name) for name in section)
    if isinstance(template.data.get("repositories"), dict):
        found.extend(str(name) for name in template.data["repositories"])
    return found


def _section(topology: dict, name: str) -> dict:
    value = topology.get(name)
    return value if isinstance(value, dict) else {}


def render_nodes(renderer: NodeRenderer, section: dict, report: Reporter, document_of,
                 reuse: Any = None) -> dict[str, NodeTemplate]:
    found: dict[str, NodeTemplate] = {}
    for index, (name, raw) in enumerate(section.items()):
        if not isinstance(name, str):
            report("PT306", f"a node template's name is a string, not {name!r}", document_of(NODE_TEMPLATES),
                   NODE_TEMPLATES + (name,), key=True)
            continue
        path = NODE_TEMPLATES + (name,)
        if not isinstance(raw, dict):
            report("PT306", f"node template {name!r} must be a map with `type`", document_of(path), path)
            continue
        full = copied(name, raw, section, report, document_of)
        if "copy" in raw:
            found[name] = _render_copy(renderer, name, index, full, raw)
        elif reuse is not None:
            found[name] = reuse.node(name, lambda: renderer.render(name, index, full, raw))
        else:
            found[name] = renderer.render(name, index, full, raw)
    return found


def _render_copy(renderer: NodeRenderer, name: str, index: int, full: dict, written: dict) -> NodeTemplate:
    """A copy, rendered without reporting again what it took from its source:
    a mistake in the source is reported once, where it is written."""
    collector = renderer.report.collector
    mark = collector.mark()
    node = renderer.render(name, index, full, written)
    base = NODE_TEMPLATES + (name,)
    collector.drop_since(mark, lambda d: tuple(d.path[:len(base)]) == base
                         and _inherited(full, written, tuple(d.path[len(base):])))
    return node


def _inherited(full: Any, written: Any, path: tuple) -> bool:
    """True when ``path`` leads into a value the copy took from its source
    (present in the copied template, absent from what the copy writes)."""
    for step in path:
        if not isinstance(full, dict) or step not in full:
            return False
        if not isinstance(written, dict) or step not in written:
            return True
        full, written = full[step], written[step]
    return False


def copied(name: str, raw: dict, section: dict, report: Reporter, document_of, chain: tuple = ()) -> dict:
    """A node template's definition once ``copy`` (TOSCA 1.2) is applied: the
    source template's keynames and values, the copy's own merged on top
    (maps merged key by key, anything else replaced). TOSCA forbids copying a
    copy; other processors follow the chain, so it is followed here too, with
    a warning, and a loop is an error."""
    source_name = raw.get("copy")
    if source_name is None:
        return raw
    path = NODE_TEMPLATES + (name, "copy")
    own = {k: v for k, v in raw.items() if k != "copy"}
    source = section.get(source_name) if isinstance(source_name, str) else None
    if not isinstance(source, dict):
        close = close_matches(str(source_name), [str(n) for n in section])
        report("PT332", f"node template {name!r} copies {source_name!r}, which is not a node template",
               document_of(path), path, hint=f"did you mean {close[0]!r}?" if close else None)
        return own
    if source_name == name or source_name in chain:
        loop = " -> ".join([*chain, name, source_name]) if chain else f"{name} -> {name}"
        report("PT332", f"node template {name!r} copies in a loop: {loop}", document_of(path), path)
        return own
    if "copy" in source and not chain:
        report("PT332", f"node template {name!r} copies {source_name!r}, which is a copy too; TOSCA wants the source "
               "of a copy to be a whole template", document_of(path), path, severity=Severity.WARNING,
               hint=f"copy the template {source_name!r} copies ({source.get('copy')!r}) instead")
    base = copied(source_name, source, section, report, document_of, (*chain, name))
    return merged_copy(base, own)


def merged_copy(base: dict, own: dict) -> dict:
    merged = dict(base)
    for key, value in own.items():
        old = merged.get(key)
        merged[key] = merged_copy(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
    return merged


def check_calls(rendered: Rendered, topology: dict, report: Reporter, walk=calls_in,
                calls: list[Call] | None = None) -> None:
    """Every call in the topology template, as written (``calls``, or what
    ``walk`` finds when it is None); then the inputs they read."""
    template = rendered.template
    checker = CallChecker(rendered.inputs, report, template.document_of,
                          lambda name: rendered.types.find("node_types", name) is not None, rendered.types.version)
    for call in walk(topology, TOPOLOGY, rendered.types.is_call) if calls is None else calls:
        rendered.calls.append(call)
        checker.check(call)
    rendered.input_reads = checker.reads
    declared = list(rendered.inputs)
    for name, path in checker.reads:
        if isinstance(name, str) and name not in rendered.inputs and path[1] != "inputs":
            close = close_matches(name, declared)
            report("PT400", f"get_input names input {name!r}, which is not declared", template.document_of(path),
                   path, hint=f"did you mean {close[0]!r}?" if close else
                   ("declared inputs: " + ", ".join(declared) if declared else "the template declares no inputs"))


__all__ = ["MISSING", "Capability", "Group", "InputParameter", "NodeTemplate", "Operation", "PolicyTemplate",
           "RelationshipTemplate", "Rendered", "RequirementAssignment", "policy_items", "render"]
