"""What is sent to IM, and how IM's answers map back to the user's file.

* :func:`mark_radl` puts the deployment's mark in a RADL text without moving
  any of the user's lines, so IM's line numbers stay the user's.
* :func:`without_contextualization` empties a RADL's contextualize blocks,
  again keeping every line where it was.
* :func:`radl_error_in_file` names the user's file and line in IM's message
  about a RADL syntax error.
* :func:`self_contained_tosca` is the template as IM's own converter needs
  it: one document (IM refuses relative imports), every import inlined, the
  recipes a node's interfaces name given as files IM can read.
"""

from __future__ import annotations

import copy
import math
import os
import re
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urljoin, urlsplit

import yaml

from ..recipe_specs import is_loopback_host
from .plan import blocks

MARK_KEY = "primage_tosca_deployment"
TYPE_SECTIONS = ("artifact_types", "data_types", "capability_types", "interface_types", "relationship_types",
                 "node_types", "group_types", "policy_types", "repositories")
_DESCRIPTION = re.compile(r"(?m)^[ \t]*description\s+\S+\s*\(")
_LINE = re.compile(r"\bLine (\d+)\b")


class PayloadError(Exception):
    """The blueprint cannot be sent to IM in the form asked for."""


# -- RADL ------------------------------------------------------------------------------------

def mark_radl(radl: str, ident: str) -> str:
    """The RADL with our deployment's mark, so a record whose submit was cut
    short can be found on IM again. IM accepts one description block only,
    before any other: the mark joins an existing one on its first line, else
    a description block starts the first line. No line of the RADL moves."""
    feature = f"{MARK_KEY} = '{ident}'"
    found = _DESCRIPTION.search(radl)
    if found is None:
        return f"description {MARK_KEY} ( {feature} ) " + radl
    empty = radl[found.end():].lstrip().startswith(")")
    return radl[:found.end()] + f" {feature}" + ("" if empty else " and") + radl[found.end():]


def without_contextualization(radl: str) -> str:
    """The RADL with an empty ``contextualize ()`` (IM then runs no Ansible);
    a removed block leaves its newlines, so later lines keep their numbers."""
    spans = [(start, end) for kind, _, start, end in blocks(radl) if kind == "contextualize"]
    if not spans:
        return radl + ("" if radl.endswith("\n") or not radl else "\n") + "contextualize ()\n"
    out, last = [], 0
    for number, (start, end) in enumerate(spans):
        out.append(radl[last:start] + ("contextualize ()" if number == 0 else "") + "\n" * radl.count("\n", start, end))
        last = end
    return "".join(out) + radl[last:]


def radl_error_in_file(message: str, path: str | os.PathLike, text: str) -> str:
    """IM's message about a RADL it could not parse, prefixed with the user's
    ``file:line:`` (a line past the file's end: the file is cut short)."""
    found = _LINE.search(message)
    if not found:
        return f"{path}: {message}"
    line = int(found.group(1))
    if line > len(text.splitlines()):
        return f"{path}: at the end of the file (unclosed block?): {message}"
    return f"{path}:{line}: {message}"


# -- TOSCA for IM's converter ----------------------------------------------------------------

def is_loopback(url: str | None) -> bool:
    """True for the local IM (no URL) and any IM on this machine's loopback."""
    return not url or is_loopback_host(urlsplit(url).hostname)


def self_contained_tosca(template: Any, values: dict, ident: str, *, local_files: bool,
                         contextualize: bool = True) -> str:
    """One TOSCA document for IM: ``template`` (a loaded ServiceTemplate) with
    every imported type definition inlined, input values as defaults, the
    deployment mark in metadata. Recipes named by relative path become
    ``file://`` URLs when IM runs on this machine (``local_files``); for
    another IM they cannot be sent. Without ``contextualize`` the interfaces
    are left out: IM then writes no recipe and runs no Ansible."""
    data = copy.deepcopy(template.data)
    if not isinstance(data, dict):
        raise PayloadError("the blueprint is not a YAML mapping")
    unreadable: list[str] = []
    root = template.sources.root
    _rewrite_implementations(_own_interfaces(data), root, local_files, unreadable)
    versions = {str(data.get("tosca_definitions_version", ""))}
    for source_set in [template.sources, *template.parent_sources]:
        for edge in source_set.edges:
            if edge.namespace_prefix:
                raise PayloadError(f"{edge.importer.file} imports {edge.reference} with namespace_prefix "
                                   f"{edge.namespace_prefix!r}: IM's converter cannot take it inlined; "
                                   "deploy --as radl")
        for document in source_set.documents:
            if document is source_set.root or not isinstance(document.data, dict):
                continue
            part = copy.deepcopy(document.data)
            _rewrite_implementations(_type_interfaces(part), document, local_files, unreadable)
            _inline(data, part, document.file)
            versions.add(str(part.get("tosca_definitions_version", "")))
    if unreadable:
        raise PayloadError("IM's TOSCA converter reads each recipe itself and cannot read files of this machine: "
                           + ", ".join(sorted(set(unreadable)))
                           + "; deploy --as radl (the default: the recipes go inside the RADL), or name them by "
                           "https URL")
    data.pop("imports", None)
    data["tosca_definitions_version"] = _version(versions - {""}) or data.get("tosca_definitions_version")
    if not contextualize:
        for interfaces in _all_interface_holders(data):
            interfaces.pop("interfaces", None)
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    metadata[MARK_KEY] = ident
    data["metadata"] = metadata
    declared = (data.get("topology_template") or {}).get("inputs") or {}
    for name, value in values.items():
        if isinstance(declared.get(name), dict):
            declared[name]["default"] = value
    # one line per value: a secret is never folded across lines, so it can be masked
    return yaml.safe_dump(data, sort_keys=False, width=math.inf, allow_unicode=True)


def _inline(data: dict, part: dict, where: str) -> None:
    for section in TYPE_SECTIONS:
        definitions = part.get(section)
        if not isinstance(definitions, dict):
            continue
        target = data.setdefault(section, {})
        for name, definition in definitions.items():
            if name in target and target[name] != definition:
                raise PayloadError(f"{name} is defined differently in {where} and elsewhere: IM's converter needs "
                                   "one document; deploy --as radl")
            target.setdefault(name, definition)


def _version(versions: set[str]) -> str | None:
    """The one TOSCA version of the inlined document: the newest 1.x Simple Profile."""
    if len(versions) <= 1:
        return next(iter(versions), None)
    if all(v.startswith("tosca_simple_yaml_1_") for v in versions):
        return max(versions, key=lambda v: int(v.rsplit("_", 1)[1]) if v.rsplit("_", 1)[1].isdigit() else 0)
    raise PayloadError(f"the blueprint and its imports mix TOSCA versions ({', '.join(sorted(versions))}): IM's "
                       "converter needs one document; deploy --as radl")


def _type_interfaces(data: dict) -> Iterator[dict]:
    for section in ("node_types", "relationship_types"):
        for definition in (data.get(section) or {}).values():
            if isinstance(definition, dict) and isinstance(definition.get("interfaces"), dict):
                yield definition["interfaces"]


def _own_interfaces(data: dict) -> Iterator[dict]:
    yield from _type_interfaces(data)
    topology = data.get("topology_template") if isinstance(data.get("topology_template"), dict) else {}
    for section in ("node_templates", "relationship_templates"):
        for definition in (topology.get(section) or {}).values():
            if isinstance(definition, dict) and isinstance(definition.get("interfaces"), dict):
                yield definition["interfaces"]
            requirements = definition.get("requirements") if isinstance(definition, dict) else None
            for requirement in requirements if isinstance(requirements, list) else []:
                for target in requirement.values() if isinstance(requirement, dict) else []:
                    relationship = target.get("relationship") if isinstance(target, dict) else None
                    if isinstance(relationship, dict) and isinstance(relationship.get("interfaces"), dict):
                        yield relationship["interfaces"]


def _all_interface_holders(data: dict) -> Iterator[dict]:
    for section in ("node_types", "relationship_types"):
        yield from (d for d in (data.get(section) or {}).values() if isinstance(d, dict))
    topology = data.get("topology_template") if isinstance(data.get("topology_template"), dict) else {}
    for section in ("node_templates", "relationship_templates"):
        yield from (d for d in (topology.get(section) or {}).values() if isinstance(d, dict))


def _operations(interface: dict) -> Iterator[tuple[dict, str]]:
    """(holder, key) of each operation's definition, in the 1.0-1.2 and the 1.3 layouts."""
    for key, value in interface.items():
        if key in ("type", "inputs", "description", "derived_from", "notifications"):
            continue
        if key == "operations" and isinstance(value, dict):
            yield from ((value, k) for k in value)
        else:
            yield interface, key


def _rewrite_implementations(holders: Iterator[dict], document: Any, local_files: bool, unreadable: list) -> None:
    for interfaces in holders:
        for interface in interfaces.values():
            if not isinstance(interface, dict):
                continue
            for holder, key in _operations(interface):
                operation = holder[key]
                if isinstance(operation, str):
                    holder[key] = _located(operation, document, local_files, unreadable)
                elif isinstance(operation, dict) and isinstance(operation.get("implementation"), str):
                    operation["implementation"] = _located(operation["implementation"], document, local_files,
                                                           unreadable)
                elif isinstance(operation, dict) and isinstance(operation.get("implementation"), dict):
                    implementation = operation["implementation"]
                    if isinstance(implementation.get("primary"), str):
                        implementation["primary"] = _located(implementation["primary"], document, local_files,
                                                             unreadable)


def _located(reference: str, document: Any, local_files: bool, unreadable: list) -> str:
    """A recipe reference IM can follow: URLs as they are; a path relative to a
    URL-imported library joined to its URL; a local file as ``file://`` (or
    noted as unreadable); a name IM may know (in its own artifacts) unchanged."""
    if urlsplit(reference).scheme:
        return reference
    if document.url:
        return urljoin(document.url, reference)
    base = Path(document.real_path or document.file).parent
    path = Path(reference) if os.path.isabs(reference) else (base / reference)
    if not path.is_file():
        return reference
    if not local_files:
        unreadable.append(str(path.resolve()))
        return reference
    return path.resolve().as_uri()


__all__ = ["MARK_KEY", "PayloadError", "is_loopback", "mark_radl", "radl_error_in_file", "self_contained_tosca",
           "without_contextualization"]
