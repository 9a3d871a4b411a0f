"""Outputs of a deployment, evaluated once it runs.

The compiler evaluates every output it can and keeps the rest symbolic
(``get_attribute`` of an address, a ``concat`` around one). Here the same
evaluator (:class:`primage_tosca.functions.Evaluator`) finishes them, with a
scope that answers attributes from the deployed VMs as IM reports them: one
evaluator, so an output means the same at compile time and at run time.
"""

from __future__ import annotations

from typing import Any, Iterable

from ..diagnostics import Location
from ..functions import MISSING, Context, Evaluator, descend, is_symbolic

# The attributes IM's VM information gives, by how each is read from a VM.
_ADDRESS_PICKS = {
    "public_address": lambda addresses: next((a["ip"] for a in addresses if a.get("public")), None),
    "private_address": lambda addresses: next((a["ip"] for a in addresses if not a.get("public")), None),
    "ip_address": lambda addresses: next((a["ip"] for a in addresses), None),
}


class DeployedScope:
    """The deployed infrastructure as the evaluator sees it. Everything the
    compiler could check was checked then: here only attributes have values,
    those IM reports for each VM (one value per VM of a node)."""

    def __init__(self, vms: list[dict], infra: str | None):
        self.vms = vms
        self.infra = infra

    def attribute_value(self, node: str, path: list) -> Any:
        name, rest = path[0], path[1:]
        mine = [vm for vm in self.vms if vm.get("node") == node]
        values = [self._vm_attribute(vm, node, name) for vm in mine]
        if any(v is MISSING for v in values) or not values:
            return MISSING
        if rest and isinstance(rest[0], int) and not isinstance(rest[0], bool):
            index = rest[0]
            return values[index] if 0 <= index < len(values) else MISSING
        value = values[0] if len(values) == 1 else values
        return descend(value, rest, f"attribute {name!r} of {node!r}") if rest else value

    def _vm_attribute(self, vm: dict, node: str, name: str) -> Any:
        pick = _ADDRESS_PICKS.get(name)
        if pick is not None:
            found = pick(vm.get("addresses", []))
            return MISSING if found is None else found
        if name == "tosca_id":
            return f"{self.infra}/{vm['id']}"
        return MISSING

    # What the compiler settled: nothing is left to decide at run time.
    def input_value(self, name: str) -> Any:
        return MISSING

    def has_node(self, name: str) -> bool:
        return True

    def property_value(self, node: str, name: str) -> Any:
        return MISSING

    def capability_value(self, node: str, capability: str, name: str) -> Any:
        return MISSING

    def has_capability(self, node: str, capability: str) -> bool:
        return False

    def has_requirement(self, node: str, requirement: str) -> bool:
        return False

    def requirement_target(self, node: str, requirement: str) -> str | None:
        return None

    def hosts(self, node: str) -> Iterable[str]:
        return ()

    def declares_property(self, node: str, name: str) -> bool:
        return False

    def declares_attribute(self, node: str, name: str) -> bool:
        return True

    def attribute_primitive(self, node: str, name: str) -> str | None:
        return None

    def hosted_later(self, node: str) -> bool:
        return True

    def artifact(self, node: str, name: str) -> dict | None:
        return None

    def locate(self, path: tuple) -> Location:
        return Location("<deployment>")


def resolve_outputs(definitions: dict, vms: list[dict], infra: str | None) -> dict:
    """The compiler's outputs (name -> {value, ...}) with what the deployed VMs
    tell filled in; an output still unknown (a VM without an address yet) is None."""
    evaluator = Evaluator(DeployedScope(vms, infra), lambda finding: None)
    resolved = {}
    for name, entry in definitions.items():
        value = evaluator.evaluate((entry or {}).get("value"), Context(path=("outputs", name)))
        resolved[name] = None if is_symbolic(value) else value
    return resolved
