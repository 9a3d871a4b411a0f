"""Run-time attributes as the Jinja expressions IM's contextualization
defines: ``{{ IM_NODE_PRIVATE_IP }}`` on the VM itself, a
``hostvars[groups['<system>'][0]]`` lookup for another node's VM, and for
INDIGO's scalable Compute the list of every VM's address."""

from __future__ import annotations

from typing import Any

from ..functions import function_name, is_symbolic, text
from .radl_context import PORT, Emission, as_int
from .radl_steps import Step

INDIGO_COMPUTE = "tosca.nodes.indigo.Compute"


def ansible_value(em: Emission, value: Any, step: Step) -> Any:
    """A value for a playbook variable: compile-time values as they are,
    run-time attributes as the Jinja expressions IM's contextualization fills."""
    name = function_name(value)
    if name == "get_attribute":
        expression = attribute_expression(em, value[name], step)
        if expression is not None:
            return expression
        em.unmapped(f"get_attribute {value[name]!r} has no Ansible variable in IM; passed as written",
                    step.path or em.topology.raw[step.owner].path)
        return value
    if name in ("concat", "join") and isinstance(value[name], list):
        parts = [ansible_value(em, part, step) for part in value[name]]
        if name == "concat" and not any(is_symbolic(p) for p in parts):
            return "".join(text(p) for p in parts)
        if name == "join" and parts and isinstance(parts[0], list) and not is_symbolic(parts):
            return (parts[1] if len(parts) > 1 else "").join(text(p) for p in parts[0])
        return {name: parts}
    if isinstance(value, dict) and name is None:
        return {k: ansible_value(em, v, step) for k, v in value.items()}
    if isinstance(value, list):
        return [ansible_value(em, v, step) for v in value]
    return value


def attribute_expression(em: Emission, args: Any, step: Step) -> str | None:
    if not isinstance(args, list) or len(args) < 2:
        return None
    entity = args[0]
    topology = em.topology
    node = {"SELF": step.self_node, "SOURCE": step.source, "TARGET": step.target}.get(entity, entity)
    if entity == "HOST":
        node = topology.compute_of(step.self_node) if step.self_node else None
    if node not in topology.raw:
        return None
    rest = list(args[1:])
    capability = None
    if len(rest) >= 2 and isinstance(rest[0], str):
        if rest[0] in topology.raw[node].capabilities:
            capability, rest = rest[0], rest[1:]
        elif (node, rest[0]) in em.requirement_targets:
            capability, node, rest = rest[0], em.requirement_targets[(node, rest[0])], rest[1:]
    attribute, params = rest[0], rest[1:]
    index = as_int(params[0]) if params else None
    if index is not None:
        params = params[1:]
    host = topology.compute_of(node)
    if host is None:
        return None
    local = entity in ("SELF", "HOST")
    return _expression(em, node, host, local, attribute, capability, index, params, entity)


def _hostvar(host: str, variable: str, index: int = 0) -> str:
    return f"hostvars[groups['{host}'][{index}]]['{variable}']"


def _expression(em: Emission, node: str, host: str, local: bool, attribute: Any, capability: str | None,
                index: int | None, params: list, entity: str) -> str | None:
    node_type = em.topology.raw[node].type
    if attribute == "tosca_id":
        return "{{ IM_NODE_VMID }}" if local else "{{ " + _hostvar(host, "IM_NODE_VMID") + " }}"
    if attribute == "tls_certificates" and capability == "endpoint":
        base = "IM_NODE_TLS_CERTIFICATES" if local else _hostvar(host, "IM_NODE_TLS_CERTIFICATES")
        keys = "".join("['" + str(p).replace("'", "\\'") + "']" for p in params)
        return "{{ " + base + keys + " }}"
    if attribute in ("private_address", "public_address"):
        variable = "IM_NODE_PRIVATE_IP" if attribute == "private_address" else "IM_NODE_PUBLIC_IP"
        if node_type == INDIGO_COMPUTE:  # a scalable group: the list of every VM's address
            if index is not None:
                return "{{ " + _hostvar(host, variable, index) + " }}"
            return ("{{ groups['%s']|map('extract', hostvars,'%s')|list if '%s' in groups else []}}"
                    % (host, variable, host))
        return "{{ " + variable + " }}" if local else "{{ " + _hostvar(host, variable) + " }}"
    if attribute == "ip_address":
        if em.is_a(node, PORT):
            order = em.topology.node(node)["properties"].get("order")
            return "{{ " + _hostvar(host, f"IM_NODE_NET_{order}_IP") + " }}"
        if entity == "HOST":
            return "{{ IM_NODE_PUBLIC_IP }}"
        return ("{{ %s if 'IM_NODE_PUBLIC_IP' in hostvars[groups['%s'][0]] else %s}}"
                % (_hostvar(host, "IM_NODE_PUBLIC_IP"), host, _hostvar(host, "IM_NODE_PRIVATE_IP")))
    return None
