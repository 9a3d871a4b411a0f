"""PT310-PT314: every type a template or type definition names is defined.

Only what the template itself writes is checked: its node templates and the
type definitions in its own document (and the fragments composed onto it).
Type libraries it imports are read for the names they define, but a problem
inside one is the library's, not the template author's, so it is not walked.
"""

from __future__ import annotations

import difflib
import os
from functools import lru_cache
from typing import Any, Iterator

from ..diagnostics import Diagnostic
from ..imports.template import ServiceTemplate
from ..model.types import KINDS, PREFIXES, PRIMITIVE_DATA_TYPES, TypeDef, TypeRegistry
from ..source.document import load_document
from .base import check, report

# The rule of each kind a name can be looked up in.
RULE_OF_KIND = {
    "node_types": "PT310",
    "capability_types": "PT311",
    "relationship_types": "PT312",
    "data_types": "PT313",
    "artifact_types": "PT314",
}

WORD_OF_KIND = {
    "node_types": "node type",
    "capability_types": "capability type",
    "relationship_types": "relationship type",
    "data_types": "data type",
    "artifact_types": "artifact type",
}

# tosca-parser also accepts "number" as a property type, though TOSCA 1.0 lists no such type.
EXTRA_DATA_TYPES = frozenset({"number"})

# Sections of a type definition that hold property-like definitions.
DEFINITION_SECTIONS = ("properties", "attributes")

# tosca-parser loads a profile's own types for these versions (its extensions).
PROFILE_DEFINITIONS = {
    "tosca_simple_profile_for_nfv_1_0_0": ("nfv", "TOSCA_nfv_definition_1_0_0.yaml"),
    "tosca_simple_profile_for_mec_1_0_0": ("mec", "TOSCA_mec_definition_1_0_0.yaml"),
}


@lru_cache(maxsize=None)
def profile_types(version: str) -> TypeRegistry | None:
    """The types of the TOSCA profile ``version`` names, read once from
    tosca-parser's extension files; None for the plain simple profile."""
    where = PROFILE_DEFINITIONS.get(version)
    if where is None:
        return None
    import toscaparser.extensions

    path = os.path.join(os.path.dirname(toscaparser.extensions.__file__), *where)
    registry = TypeRegistry()
    if os.path.isfile(path):
        registry.add_document(load_document(path, display="toscaparser:" + where[1]))
    return registry


def registries(template: ServiceTemplate) -> list[TypeRegistry]:
    """The template's types, then its profile's when it declares one."""
    found = [template.types]
    version = template.data.get("tosca_definitions_version") if isinstance(template.data, dict) else None
    profile = profile_types(version) if isinstance(version, str) else None
    if profile is not None:
        found.append(profile)
    return found


def find_type(template: ServiceTemplate, kind: str, name: Any) -> TypeDef | None:
    """A type of the template, or of the TOSCA profile it is written in."""
    for registry in registries(template):
        found = registry.find(kind, name)
        if found is not None:
            return found
    return None


def is_known(template: ServiceTemplate, kind: str, name: str) -> bool:
    if kind == "data_types" and (name in PRIMITIVE_DATA_TYPES or name in EXTRA_DATA_TYPES):
        return True
    return find_type(template, kind, name) is not None


def closest_name(template: ServiceTemplate, kind: str, name: str) -> str | None:
    """The known name of ``kind`` nearest to ``name``, in the spelling the
    user seems to use (short ``Compute`` or full ``tosca.nodes.Compute``)."""
    candidates: list[str] = []
    prefix = PREFIXES[kind]
    for typedef in (t for registry in registries(template) for t in registry.all(kind)):
        candidates.append(typedef.name)
        if typedef.name.startswith(prefix):
            candidates.append(typedef.name[len(prefix):])
    if kind == "data_types":
        candidates.extend(sorted(PRIMITIVE_DATA_TYPES | EXTRA_DATA_TYPES))
    found = difflib.get_close_matches(name, candidates, n=1, cutoff=0.75)
    return found[0] if found else None


def unknown_type(template: ServiceTemplate, kind: str, name: Any, path: tuple) -> Iterator[Diagnostic]:
    """A diagnostic at ``path`` when ``name`` is a string naming no type of ``kind``.
    Non-string values are the structure checkers' business, not ours."""
    if not isinstance(name, str) or not name or is_known(template, kind, name):
        return
    suggestion = closest_name(template, kind, name)
    hint = f"did you mean {suggestion!r}?" if suggestion else (
        "define it, or import the type library that defines it")
    yield report(template, RULE_OF_KIND[kind], f"unknown {WORD_OF_KIND[kind]} {name!r}", path, hint=hint)


def named_entries(section: Any, path: tuple) -> Iterator[tuple[str, Any, tuple]]:
    """(name, value, path of value) for a map or a list of one-key maps."""
    if isinstance(section, dict):
        for name, value in section.items():
            yield name, value, path + (name,)
    elif isinstance(section, list):
        for index, entry in enumerate(section):
            if isinstance(entry, dict) and len(entry) == 1:
                name, value = next(iter(entry.items()))
                yield name, value, path + (index, name)


# --- property, attribute and input definitions --------------------------------

def schema_types(template: ServiceTemplate, schema: Any, path: tuple) -> Iterator[Diagnostic]:
    """entry_schema / key_schema: a type name or ``{type: name, ...}``."""
    if isinstance(schema, str):
        yield from unknown_type(template, "data_types", schema, path)
    elif isinstance(schema, dict):
        yield from unknown_type(template, "data_types", schema.get("type"), path + ("type",))
        yield from schema_types(template, schema.get("entry_schema"), path + ("entry_schema",))


def definition_types(template: ServiceTemplate, definitions: Any, path: tuple) -> Iterator[Diagnostic]:
    """Each property-like definition's ``type``, ``entry_schema`` and ``key_schema``."""
    if not isinstance(definitions, dict):
        return
    for name, definition in definitions.items():
        if not isinstance(definition, dict):
            continue
        where = path + (name,)
        yield from unknown_type(template, "data_types", definition.get("type"), where + ("type",))
        for key in ("entry_schema", "key_schema"):
            yield from schema_types(template, definition.get(key), where + (key,))


# --- type definitions -----------------------------------------------------------

def capability_definition(template: ServiceTemplate, definition: Any, path: tuple) -> Iterator[Diagnostic]:
    if isinstance(definition, str):  # the short form names just the type
        yield from unknown_type(template, "capability_types", definition, path)
        return
    if not isinstance(definition, dict):
        return
    yield from unknown_type(template, "capability_types", definition.get("type"), path + ("type",))
    yield from node_type_list(template, definition.get("valid_source_types"), path + ("valid_source_types",))
    for section in DEFINITION_SECTIONS:
        yield from definition_types(template, definition.get(section), path + (section,))


def node_type_list(template: ServiceTemplate, names: Any, path: tuple) -> Iterator[Diagnostic]:
    if isinstance(names, list):
        for index, name in enumerate(names):
            yield from unknown_type(template, "node_types", name, path + (index,))


def relationship_reference(template: ServiceTemplate, value: Any, path: tuple) -> Iterator[Diagnostic]:
    """``relationship: Type`` or ``relationship: {type: Type, ...}``."""
    if isinstance(value, str):
        yield from unknown_type(template, "relationship_types", value, path)
    elif isinstance(value, dict):
        yield from unknown_type(template, "relationship_types", value.get("type"), path + ("type",))


def requirement_definition(template: ServiceTemplate, definition: Any, path: tuple) -> Iterator[Diagnostic]:
    if isinstance(definition, str):  # the short form names the capability type
        yield from unknown_type(template, "capability_types", definition, path)
        return
    if not isinstance(definition, dict):
        return
    yield from unknown_type(template, "capability_types", definition.get("capability"), path + ("capability",))
    yield from unknown_type(template, "node_types", definition.get("node"), path + ("node",))
    yield from relationship_reference(template, definition.get("relationship"), path + ("relationship",))


def artifact_types(template: ServiceTemplate, artifacts: Any, path: tuple) -> Iterator[Diagnostic]:
    for name, artifact, where in named_entries(artifacts, path):
        if isinstance(artifact, dict):
            yield from unknown_type(template, "artifact_types", artifact.get("type"), where + ("type",))


def type_definition(template: ServiceTemplate, kind: str, definition: dict, path: tuple) -> Iterator[Diagnostic]:
    if kind in RULE_OF_KIND:
        yield from unknown_type(template, kind, definition.get("derived_from"), path + ("derived_from",))
    for section in DEFINITION_SECTIONS:
        yield from definition_types(template, definition.get(section), path + (section,))
    if kind == "node_types":
        for _name, capability, where in named_entries(definition.get("capabilities"), path + ("capabilities",)):
            yield from capability_definition(template, capability, where)
        for _name, requirement, where in named_entries(definition.get("requirements"), path + ("requirements",)):
            yield from requirement_definition(template, requirement, where)
        yield from artifact_types(template, definition.get("artifacts"), path + ("artifacts",))
    elif kind == "capability_types":
        yield from node_type_list(template, definition.get("valid_source_types"), path + ("valid_source_types",))
    elif kind == "relationship_types":
        targets = definition.get("valid_target_types")
        if isinstance(targets, list):
            for index, name in enumerate(targets):
                yield from unknown_type(template, "capability_types", name, path + ("valid_target_types", index))


def own_type_definitions(template: ServiceTemplate) -> Iterator[Diagnostic]:
    for kind in KINDS:
        section = template.data.get(kind)
        if not isinstance(section, dict):
            continue
        for name, definition in section.items():
            if isinstance(definition, dict):
                yield from type_definition(template, kind, definition, (kind, name))


# --- the topology ---------------------------------------------------------------

def capability_names(registry: TypeRegistry, node_type: Any) -> set[str]:
    if not isinstance(node_type, str):
        return set()
    return set(registry.lookup_in_chain("node_types", node_type, "capabilities"))


def target_capability_names(template: ServiceTemplate, node_type: Any, requirement: str,
                            target: Any) -> set[str] | None:
    """Capability names the requirement's target offers, or None when the
    target cannot be told (no node named, or a node we do not know)."""
    registry = template.types
    if isinstance(target, str):
        target_template = template.node_templates.get(target)
        if isinstance(target_template, dict):
            return capability_names(registry, target_template.get("type")) or None
        if registry.find("node_types", target) is not None:
            return capability_names(registry, target) or None
        return None
    definition = registry.lookup_in_chain("node_types", node_type, "requirements").get(requirement) \
        if isinstance(node_type, str) else None
    if isinstance(definition, dict) and isinstance(definition.get("node"), str):
        return capability_names(registry, definition["node"]) or None
    return None


def relationship_assignment(template: ServiceTemplate, relationship: Any, path: tuple) -> Iterator[Diagnostic]:
    """A requirement's ``relationship``: a string names a relationship
    template when one has that name, else a relationship type."""
    templates = template.section("topology_template", "relationship_templates")
    if not isinstance(relationship, str) or not templates:
        yield from relationship_reference(template, relationship, path)
        return
    if relationship in templates or is_known(template, "relationship_types", relationship):
        return
    names = [str(n) for n in templates]
    close = difflib.get_close_matches(relationship, names, n=1, cutoff=0.75)
    hint = f"did you mean {close[0]!r}?" if close else "relationship templates: " + ", ".join(names)
    yield report(template, "PT312", f"{relationship!r} is neither a relationship template nor a "
                 "relationship type", path, hint=hint)


def capability_assignment(template: ServiceTemplate, node_type: Any, requirement: str, value: dict,
                          path: tuple) -> Iterator[Diagnostic]:
    """A requirement's ``capability``: a capability type, or the name of a
    capability of the target; flagged only when it is neither."""
    capability = value.get("capability")
    if not isinstance(capability, str) or is_known(template, "capability_types", capability):
        return
    offered = target_capability_names(template, node_type, requirement, value.get("node"))
    if offered is None or capability in offered:
        return
    close = difflib.get_close_matches(capability, sorted(offered), n=1, cutoff=0.75)
    hint = f"did you mean {close[0]!r}?" if close else "capabilities of the target: " + ", ".join(sorted(offered))
    yield report(template, "PT311", f"capability {capability!r} is neither a capability type nor a "
                 "capability of the target node", path, hint=hint)


def requirement_assignment(template: ServiceTemplate, node_type: Any, name: str, value: Any,
                           path: tuple) -> Iterator[Diagnostic]:
    if isinstance(value, dict):
        yield from relationship_assignment(template, value.get("relationship"), path + ("relationship",))
        yield from capability_assignment(template, node_type, name, value, path + ("capability",))


def node_template_types(template: ServiceTemplate, name: str, node: dict) -> Iterator[Diagnostic]:
    path = ("topology_template", "node_templates", name)
    node_type = node.get("type")
    yield from unknown_type(template, "node_types", node_type, path + ("type",))
    for requirement, value, where in named_entries(node.get("requirements"), path + ("requirements",)):
        yield from requirement_assignment(template, node_type, requirement, value, where)
    yield from artifact_types(template, node.get("artifacts"), path + ("artifacts",))


def topology_types(template: ServiceTemplate) -> Iterator[Diagnostic]:
    for name, node in template.node_templates.items():
        if isinstance(node, dict):
            yield from node_template_types(template, name, node)
    relationships = template.section("topology_template", "relationship_templates")
    for name, relationship in relationships.items():
        if isinstance(relationship, dict):
            yield from unknown_type(template, "relationship_types", relationship.get("type"),
                                    ("topology_template", "relationship_templates", name, "type"))
    yield from definition_types(template, template.inputs, ("topology_template", "inputs"))


@check("PT310", "PT311", "PT312", "PT313", "PT314", needs_types=True)
def unknown_types(template: ServiceTemplate) -> Iterator[Diagnostic]:
    if not isinstance(template.data, dict):
        return
    yield from own_type_definitions(template)
    yield from topology_types(template)
