"""Which interface operations run for a node, and in whose name: the
node's own Standard and Configure operations, and the pre/post-configure
and notification operations its relationships bring (from the node at the
other end, and from the relationship itself)."""

from __future__ import annotations

from ..records import record
from ..render import Operation
from .radl_context import Emission

STEPS = ("create", "pre_configure_source", "pre_configure_target", "configure_rel", "configure",
         "post_configure_source", "post_configure_target", "start", "add_target", "add_source",
         "target_changed", "remove_target")
TYPE_STEPS = frozenset({"create", "configure", "start"})  # what a type's own interface contributes
UNDEPLOY_STEPS = frozenset({"stop", "delete"})
LIFECYCLE = ("Standard", "Configure")
SOURCE_STEPS = ("pre_configure_source", "post_configure_source", "add_source")
TARGET_STEPS = ("pre_configure_target", "post_configure_target", "add_target", "target_changed", "remove_target")
NODE_SOURCE_STEPS = ("pre_configure_source", "post_configure_source")  # what the other node runs for a source
NODE_TARGET_STEPS = ("pre_configure_target", "post_configure_target")


@record
class Step:
    """One operation to run, with who SELF, SOURCE and TARGET are for it."""

    name: str
    owner: str  # the node the operation belongs to, or the relationship's source
    operation: Operation
    evaluated: dict  # {'implementation': ..., 'inputs': ...} as the topology evaluated them
    self_node: str | None
    source: str | None = None
    target: str | None = None
    path: tuple = ()


# -- which operations run for a node --------------------------------------------------------------

def node_steps(em: Emission, node: str) -> dict[str, Step]:
    steps: dict[str, Step] = {}
    _own_steps(em, node, steps)
    topology = em.topology
    edges = [(s, node, e) for s, e in topology.edges_to(node)] + [(node, t, e) for t, e in topology.edges_from(node)]
    if len(edges) > 1:
        raw = topology.raw
        edges.sort(key=lambda item: (raw[item[0]].index, item[2]["index"]))
    for source, target, edge in edges:
        if source == node:
            _relationship_steps(em, steps, target, edge, source, target, NODE_SOURCE_STEPS, SOURCE_STEPS)
        if target == node:
            _relationship_steps(em, steps, source, edge, source, target, NODE_TARGET_STEPS, TARGET_STEPS)
    return steps


def _own_steps(em: Emission, node: str, steps: dict[str, Step]) -> None:
    raw = em.topology.raw[node]
    evaluated = em.topology.node(node)["interfaces"]
    for iface, operations in raw.interfaces.items():
        for name, operation in operations.items():
            if iface not in LIFECYCLE or name not in STEPS:
                _unmapped_operation(em, node, iface, name, operation)
                continue
            if operation.written or name in TYPE_STEPS:
                steps[name] = Step(name, node, operation, evaluated[iface][name], node, path=operation.path)


def _unmapped_operation(em: Emission, node: str, iface: str, name: str, operation: Operation) -> None:
    if not operation.written or operation.implementation is None:
        return
    if iface in LIFECYCLE and name in UNDEPLOY_STEPS:
        why = f"{iface}.{name} runs when undeploying, which RADL cannot express"
    elif iface in LIFECYCLE:
        why = f"{iface}.{name} is not a lifecycle step IM runs"
    else:
        why = f"interface {iface!r} is not one IM runs (only Standard and Configure)"
    em.unmapped(f"operation of {node!r}: {why}; left out", operation.path)


def _relationship_steps(em: Emission, steps: dict[str, Step], other: str, edge: dict, source: str, target: str,
                        node_side: tuple, edge_side: tuple) -> None:
    """The other node's pre/post-configure operations for this side, then the
    relationship's own (its template's over its type's)."""
    raw = em.topology.raw[other]
    for iface, name, operation in _lifecycle_operations(raw.interfaces, node_side):
        evaluated = em.topology.node(other)["interfaces"][iface][name]
        steps[name] = Step(name, other, operation, evaluated, other, source, target, operation.path)
    requirement = em.requirement_at(source, edge["index"])
    for iface, name, operation in _lifecycle_operations(requirement.interfaces, edge_side):
        evaluated = edge["interfaces"][iface][name]
        where = operation.path or edge["path"]
        steps[name] = Step(name, source, operation, evaluated, None, source, target, where)


def _lifecycle_operations(interfaces: dict, names: tuple) -> list[tuple[str, str, Operation]]:
    """(interface, name, operation) of the ``names`` the lifecycle interfaces
    define, in the order IM runs them: Standard's, then Configure's. A list,
    not a generator: asked twice for every edge, it is most often empty."""
    found = []
    for iface in LIFECYCLE:
        operations = interfaces.get(iface)
        if operations:
            for name in names:
                operation = operations.get(name)
                if operation is not None:
                    found.append((iface, name, operation))
    return found
