"""Requirements as written: which relationship type a requirement uses."""

from __future__ import annotations

from typing import Any

from .template import ServiceTemplate


def relationship_of(template: ServiceTemplate, assignment: Any, definition: Any) -> str | None:
    """The relationship type a requirement uses: its assignment's (a type
    name, ``{type: ...}``, or a relationship template's type), else its
    definition's in the node type. None when neither says."""
    for source in (assignment, definition):
        relationship = source.get("relationship") if isinstance(source, dict) else None
        if isinstance(relationship, dict):
            relationship = relationship.get("type")
        if isinstance(relationship, str):
            named = template.section("topology_template", "relationship_templates").get(relationship)
            if isinstance(named, dict) and isinstance(named.get("type"), str):
                return named["type"]
            return relationship
    return None


def requirement_definitions(template: ServiceTemplate, node: Any) -> dict:
    """The requirement definitions of a node template's type, merged along its ancestry."""
    if not isinstance(node, dict) or not isinstance(node.get("type"), str):
        return {}
    return template.types.lookup_in_chain("node_types", node["type"], "requirements")
