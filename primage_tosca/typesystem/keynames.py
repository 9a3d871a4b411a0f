"""Checking a mapping against its construct's keynames (see :mod:`.grammar`)."""

from __future__ import annotations

from typing import Any, Callable

from ..diagnostics import Severity, close_matches
from .grammar import DEPRECATED_2, LIST, MAP, MAP_OR_LIST, RENAMED_2, LEGACY_TOP_LEVEL, LENIENT_SHAPES, STRICT_CONSTRUCTS, grammar_for, is_call_1, shape_ok
from .primitives import type_word
from ..versions import V1, V2_0, Version

Report = Callable[..., None]
_ALL_VERSIONS = (*V1, V2_0)


def check_keys(construct: str, mapping: Any, version: Version, document: Any, path: tuple, report: Report,
               skip: frozenset | set = frozenset(), inherited: frozenset | set = frozenset()) -> bool:
    """Report unknown keynames, keynames of another version, missing required
    ones and values of the wrong shape. ``skip`` names keys read elsewhere
    (an interface's operations); ``inherited`` required keys a refinement may
    leave out. False when ``mapping`` is not a map."""
    if not isinstance(mapping, dict):
        return False
    tables = _BY_VERSION.get(id(version))
    if tables is None or tables[0] is not version:
        tables = _BY_VERSION[id(version)] = (version, {})
    table, current, required, fine = tables[1].get(construct) or _facts(tables[1], construct, version)
    for key, value in mapping.items():
        if type(value) in fine.get(key, ()):  # a keyname of this version, with a value of its shape
            continue
        entry = table.get(key)
        if entry is None:
            if not isinstance(key, str):
                report("PT306", f"a keyname is a string, not {key!r}", document, path + (key,), key=True)
                continue
            if key in skip:
                continue
            _unknown(construct, key, table, version, document, path + (key,), report)
        elif key not in current and version >= V2_0 and (construct, key) in DEPRECATED_2:
            report("PT304", f"{key!r} in {_a(construct, version)} is deprecated in TOSCA 2.0", document,
                   path + (key,), key=True, severity=Severity.WARNING, hint=DEPRECATED_2[(construct, key)])
        elif key not in current:
            _other_version(construct, key, entry, version, document, path + (key,), report)
        elif (value is not None or _null_wrong(entry.shape, version)) and not shape_ok(entry.shape, value) \
                and not is_call_1(value):
            report("PT306", f"{key!r} must be a {entry.shape.replace('|', ' or a ')}, not "
                   f"{type_word(value)}", document, path + (key,),
                   severity=Severity.WARNING if key in LENIENT_SHAPES and version < V2_0 else None)
    for key in required:
        if key not in mapping and key not in inherited:
            report("PT305", f"{construct.replace('_', ' ')} needs {key!r}", document, path, key=True)
    return True


# id of a version (one of the few of versions.py) -> (the version, construct -> its facts in it; see _facts)
_BY_VERSION: dict[int, tuple[Version, dict[str, tuple]]] = {}
_PLAIN_TYPES = (str, int, float, bool, dict, list, type(None))  # what a YAML value is made of


def _facts(found: dict[str, tuple], construct: str, version: Version) -> tuple:
    """A construct's keyname table, its keynames in a version, the required ones in table order, and
    keyname -> the exact types of the values of the right shape; worked out once, as every
    template and type of a file is checked against the same few tables."""
    table = grammar_for(version)[construct]
    current = frozenset(k for k, e in table.items() if e.in_version(version))
    fine = {k: frozenset(t for t in _PLAIN_TYPES if (t is type(None) and not _null_wrong(table[k].shape, version))
                         or (t is not type(None) and shape_ok(table[k].shape, t())))
            for k in current}
    found[construct] = (table, current, tuple(k for k in table if k in current and table[k].required), fine)
    return found[construct]


def _null_wrong(shape: str, version: Version) -> bool:
    """TOSCA 2.0 reads an empty (null) map or list keyname as a value of the wrong shape."""
    return version >= V2_0 and shape in (MAP, LIST, MAP_OR_LIST)


def _unknown(construct: str, key: Any, table: dict, version: Version, document: Any, where: tuple,
             report: Report) -> None:
    if construct == "service_template" and key in LEGACY_TOP_LEVEL and version < V2_0:
        report("PT303", f"{key!r} is a keyname of drafts of TOSCA 1.0; write it under `metadata`", document, where,
               key=True, severity=Severity.WARNING)
        return
    for other in _ALL_VERSIONS:
        entry = grammar_for(other).get(construct, {}).get(key)
        if entry is not None and entry.in_version(other):
            _other_version(construct, key, entry, version, document, where, report,
                           _unknown_severity(construct) if version < V2_0 else None)
            return
    close = close_matches(str(key), [k for k, e in table.items() if e.in_version(version)])
    hint = f"did you mean {close[0]!r}?" if close else (
        "keynames here: " + ", ".join(k for k, e in table.items() if e.in_version(version)))
    strict = construct in STRICT_CONSTRUCTS or version >= V2_0
    report("PT303", f"unknown keyname {key!r} in {_a(construct, version)}"
           + ("" if strict else " (IM ignores it)"), document, where, key=True, hint=hint,
           severity=None if strict else Severity.WARNING)


def _unknown_severity(construct: str) -> Severity | None:
    """A 1.x file's keyname of TOSCA 2.0 weighs what an unknown keyname weighs there."""
    return None if construct in STRICT_CONSTRUCTS else Severity.WARNING


def _other_version(construct: str, key: str, entry: Any, version: Version, document: Any, where: tuple,
                   report: Report, severity: Severity | None = None) -> None:
    first = entry.since
    belongs = f"TOSCA {first}" if entry.until is None else f"TOSCA {first} to {entry.until}"
    crossing = (version >= V2_0) != (first >= V2_0)
    hint = RENAMED_2.get((construct, key)) if version >= V2_0 else None
    report("PT304", f"{key!r} in {_a(construct, version)} belongs to {belongs}; this file is TOSCA {version}"
           + (f": in TOSCA 2.0 it is {hint!r}" if hint else ""),
           document, where, key=True, severity=severity or (None if crossing else Severity.WARNING),
           hint=f"write {hint!r}" if hint else "declare the version that has it in tosca_definitions_version, "
           "or drop it")



# What 2.0 calls the constructs whose 1.x names mean something else there.
_NAMES_2 = {"service_template": "TOSCA file", "topology_template": "service template"}


def _a(construct: str, version: Version | None = None) -> str:
    """'a node template', 'an attribute definition'."""
    words = (_NAMES_2.get(construct) if version is not None and version >= V2_0 else None) or construct
    words = words.replace("_", " ")
    return ("an " if words[0] in "aeiou" else "a ") + words
