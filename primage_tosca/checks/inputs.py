"""PT400-PT403: inputs declared, supplied and used.

Supplied values (``--inputs`` / ``-i``) are only known when the user gave
some; without them nothing is said about missing or extra values, since a
template is normally validated before anyone picks its inputs.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Iterator

from ..diagnostics import Diagnostic
from ..imports.template import ServiceTemplate
from .base import check, report

INPUTS_PATH = ("topology_template", "inputs")


@dataclass(frozen=True)
class InputRead:
    """One ``get_input`` in the topology: the input's name and where it is written."""

    name: Any
    path: tuple  # of the name itself, for placing a report


def get_input_name(value: Any, path: tuple) -> InputRead | None:
    """The input a ``{get_input: name}`` or ``{get_input: [name, index...]}``
    reads, or None when ``value`` is not a get_input."""
    if not (isinstance(value, dict) and len(value) == 1 and "get_input" in value):
        return None
    argument = value["get_input"]
    if isinstance(argument, list) and argument:
        return InputRead(argument[0], path + ("get_input", 0))
    return InputRead(argument, path + ("get_input",))


def maps_in(value: Any, path: tuple) -> Iterator[tuple[dict, tuple]]:
    """Every map nested in ``value`` (itself included), with its path, in
    document order. Only a map can be a function call; scalars, most of a
    template, are not even visited."""
    stack = [(value, path)]
    while stack:  # iterative: a deep template must not exhaust the recursion limit
        current, where = stack.pop()
        if isinstance(current, dict):
            yield current, where
            items: Any = current.items()
        elif isinstance(current, list):
            items = enumerate(current)
        else:
            continue
        stack.extend([(v, where + (k,)) for k, v in items if isinstance(v, (dict, list))][::-1])


def input_reads(template: ServiceTemplate) -> list[InputRead]:
    """Every get_input anywhere in the topology but the input definitions."""
    found = []
    for section, content in template.topology.items():
        if section == "inputs":
            continue
        for value, path in maps_in(content, ("topology_template", section)):
            read = get_input_name(value, path)
            if read is not None:
                found.append(read)
    return found


def substitution_inputs(template: ServiceTemplate) -> set[str]:
    """Inputs a substitution mapping exposes as properties count as used."""
    mapping = template.topology.get("substitution_mappings")
    properties = mapping.get("properties") if isinstance(mapping, dict) else None
    names: set[str] = set()
    if isinstance(properties, dict):
        for value in properties.values():
            if isinstance(value, str):
                names.add(value)
            elif isinstance(value, list) and value and isinstance(value[0], str):
                names.add(value[0])
    return names


def close_hint(name: str, known: list[str]) -> str:
    found = difflib.get_close_matches(name, known, n=1, cutoff=0.7)
    if found:
        return f"did you mean {found[0]!r}?"
    return "declared inputs: " + ", ".join(known) if known else "the template declares no inputs"


@check("PT400", "PT402")
def input_use(template: ServiceTemplate) -> Iterator[Diagnostic]:
    """Reads of undeclared inputs and declared inputs never read: one walk of
    the topology serves both."""
    reads = input_reads(template)
    yield from undeclared_inputs(template, reads)
    yield from unused_inputs(template, reads)


def undeclared_inputs(template: ServiceTemplate, reads: list[InputRead]) -> Iterator[Diagnostic]:
    declared = [str(name) for name in template.inputs]
    for read in reads:
        if isinstance(read.name, str) and read.name not in template.inputs:
            yield report(template, "PT400", f"get_input names input {read.name!r}, which is not declared",
                         read.path, hint=close_hint(read.name, declared))


def is_required(definition: Any) -> bool:
    """TOSCA's ``required`` defaults to true."""
    return not (isinstance(definition, dict) and definition.get("required") is False)


def has_default(definition: Any) -> bool:
    # tosca-parser and IM both treat `default:` with no value as no default.
    return isinstance(definition, dict) and definition.get("default") is not None


@check("PT401", "PT403")
def supplied_inputs(template: ServiceTemplate) -> Iterator[Diagnostic]:
    supplied = template.options.inputs
    if supplied is None:
        return
    for name, definition in template.inputs.items():
        if name not in supplied and is_required(definition) and not has_default(definition):
            yield report(template, "PT401", f"required input {name!r} has no default and was not supplied",
                         INPUTS_PATH + (name,), key=True,
                         hint=f"supply it with -i {name}=VALUE or in an --inputs file")
    declared = [str(name) for name in template.inputs]
    for name in supplied:
        if name not in template.inputs:
            yield report(template, "PT403", f"supplied input {name!r} is not declared by the template",
                         INPUTS_PATH, key=True, hint=close_hint(str(name), declared))


def unused_inputs(template: ServiceTemplate, reads: list[InputRead]) -> Iterator[Diagnostic]:
    used = {read.name for read in reads if isinstance(read.name, str)}
    used |= substitution_inputs(template)
    for name in template.inputs:
        if name not in used:
            yield report(template, "PT402", f"input {name!r} is declared but never read with get_input",
                         INPUTS_PATH + (name,), key=True,
                         hint="remove it, or use it with { get_input: " + str(name) + " }")
