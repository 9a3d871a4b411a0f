"""What a pod's ports say about it, and its environment as IM writes it.

A container application's pod is reachable on the network of its runtime's
published ports (a NodePort service) or, without those, of its exposed ports
(a ClusterIP service). IM resolves ``get_attribute: [<container>, endpoints,
<index>]`` at compile time from that network: inside the cluster a pod is
``<pod name>:<container port>``; from outside, the first published port is
the DNS name its PortSpec gives as ``endpoint`` (any other address is the
node's, known only at run time). Environment values are written the way IM
writes them: ``concat`` joined, ``get_input`` resolved (by the topology),
those endpoints filled in; a value known only at run time leaves its
variable out, with a warning, and the other variables are kept.
"""

from __future__ import annotations

import re
from typing import Any

from ..functions import function_name, is_symbolic
from ..records import record
from .radl_context import Emission, as_int
from .radl_network import outport

CONTAINER = "tosca.nodes.Container.Application"
# Kubernetes names allow none of these; IM writes '-' for each.
NOT_IN_K8S_NAMES = re.compile(r"[!\"#$%&'()*+,/:;<=>?@\[\\\]^`{|}~_ ]")


def pod_name(node: str) -> str:
    """The system name of a container application: its node name as
    Kubernetes allows names."""
    return NOT_IN_K8S_NAMES.sub("-", node)


@record
class PodPorts:
    public: bool  # published (NodePort) or only exposed (ClusterIP)
    specs: list[dict]  # the PortSpecs of that network
    dns_name: Any = None  # the first published port's `endpoint`


def pod_ports(em: Emission, name: str) -> PodPorts | None:
    """The ports a container application's endpoints are on; None without any."""
    hosts = em.topology.hosting_chain(name)
    host = em.topology.node(hosts[0])["capabilities"].get("host") if hosts else None
    values = host["properties"] if host else {}
    for prop, public in (("publish_ports", True), ("expose_ports", False)):
        ports = values.get(prop)
        if isinstance(ports, list) and ports and not is_symbolic(ports):
            specs = [port for port in ports if isinstance(port, dict)]
            dns_name = specs[0].get("endpoint") if public and specs else None
            return PodPorts(public, specs, dns_name)
    return None


def pod_endpoints(em: Emission, name: str) -> list[str | None]:
    """IM's ``endpoints`` attribute of a pod at compile time, one per port;
    None for an address known only at run time."""
    ports = pod_ports(em, name)
    if ports is None:
        return []
    found: list[str | None] = []
    for spec in ports.specs:
        text = outport(spec, mirror=not ports.public)
        if text is None:
            continue
        if ports.public:
            first = not found and isinstance(ports.dns_name, str) and ports.dns_name
            found.append(ports.dns_name if first else None)  # else the node's public address and node port
        else:
            local = text.rsplit("-", 1)[-1].split("/")[0] if ":" not in text.split("/")[0] else None
            found.append(f"{pod_name(name)}:{local}" if local else None)
    return found


def environment_variables(em: Emission, name: str, environment: dict, path: tuple) -> str:
    """``K1=v1,K2=v2`` as IM writes a pod's environment (a value holding a
    comma double-quoted)."""
    written = []
    for key, value in environment.items():
        resolved = _value(em, name, value, path + (key,))
        if resolved is not None:
            written.append(f"{key}={_quoted(resolved)}")
    return ",".join(written)


def _quoted(text: str) -> str:
    return f'"{text}"' if "," in text else text  # the list is comma separated: IM quotes a value holding one


def _value(em: Emission, name: str, value: Any, path: tuple) -> str | None:
    function = function_name(value)
    if function is None:
        if is_symbolic(value):
            em.unmapped(f"environment variable {path[-1]!r} of {name!r} holds a function inside a value; left out",
                        path)
            return None
        return "" if value is None else str(value)
    if function == "concat" and isinstance(value[function], list):
        parts = [_value(em, name, part, path) for part in value[function]]
        return None if any(part is None for part in parts) else "".join(parts)
    if function == "get_attribute":
        return _endpoint(em, name, value[function], path)
    em.unmapped(f"environment variable {path[-1]!r} of {name!r} is only known at run time ({function}); "
                "a pod's environment is fixed when it starts, so it is left out", path)
    return None


def _endpoint(em: Emission, name: str, args: Any, path: tuple) -> str | None:
    """``get_attribute: [<container>, endpoints, <index>]``, the one run-time
    attribute IM resolves for a pod's environment."""
    variable = path[-1]
    target = name if isinstance(args, list) and args and args[0] == "SELF" else (args[0] if args else None)
    if not (isinstance(args, list) and len(args) >= 2 and args[1] == "endpoints"
            and isinstance(target, str) and em.is_a(target, CONTAINER)):
        em.unmapped(f"environment variable {variable!r} of {name!r} reads get_attribute {args!r}, known only at run "
                    "time; IM fills in only the `endpoints` of a container application; left out", path)
        return None
    index = as_int(args[2]) if len(args) > 2 else None
    if index is None:
        em.unmapped(f"environment variable {variable!r} of {name!r}: the endpoints of {target!r} are a list; "
                    "give an index (get_attribute: [node, endpoints, 0]); left out", path)
        return None
    endpoints = pod_endpoints(em, target)
    if index >= len(endpoints):
        em.unmapped(f"environment variable {variable!r} of {name!r}: {target!r} has {len(endpoints)} endpoint(s), "
                    f"no endpoint {index}; left out", path)
        return None
    if endpoints[index] is None:
        em.unmapped(f"environment variable {variable!r} of {name!r}: endpoint {index} of {target!r} is the node's "
                    "address, known only at run time (give its published port an `endpoint` DNS name); left out",
                    path)
        return None
    return endpoints[index]
