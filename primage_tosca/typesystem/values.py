"""Values against their types: every property, attribute, input, default and
field of a complex value is checked where it is written (TOSCA 1.3, 3.3
and 3.6.3): its YAML shape, its primitive's syntax, the fields of a complex
data type (unknown ones, required ones missing), the entries of lists and
maps, and every constraint along the way.

A function call (``{get_input: ...}``) is not a value yet: it is skipped here
and its result checked once the topology has evaluated it.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Callable

from ..diagnostics import close_matches
from ..source.reader import ComplexKey
from .constraints import violation
from .definitions import Definitions
from .model import Schema, Type
from .primitives import SCALAR_UNITS, BadValue, coerce, strictness, type_word

Report = Callable[..., None]
PORT_DEF = "tosca.datatypes.network.PortDef"
PORT_SPEC = "tosca.datatypes.network.PortSpec"
PORT_FIELDS = ("source", "target", "source_range", "target_range")
PORT_SPEC_EXTENSIONS = frozenset({"remote_cidr"})  # IM reads it from a port specification: a named leniency
MAX_DEPTH = 64
JSON, XML = "tosca.datatypes.json", "tosca.datatypes.xml"
MAX_DOCUMENT = 1_000_000  # characters of a json or xml value parsed to check it
SCALARS = frozenset({str, int, float, bool, type(None)})
CLEAN_MAX = 256  # scalar values remembered as clean, per schema


class ValueChecker:
    """Checks values for one template; ``is_call`` tells a function call from
    a value in the template's TOSCA version."""

    def __init__(self, definitions: Definitions, report: Report, is_call: Callable[[Any], bool]):
        self.definitions = definitions
        self.report = report
        self.is_call = is_call
        self._clean = ("clean", is_call)  # where a schema's memo keeps the scalars this checker found clean

    def check(self, value: Any, schema: Schema | None, document: Any, path: tuple, label: str,
              note: str = "", severity: Any = None) -> bool:
        """Report every problem of ``value``; True when it has none. ``note``
        is added to each message (the input a value came from, say);
        ``severity`` overrides the rules' own (a warning for a value a function gave)."""
        if severity is None:
            if schema is not None and type(value) in SCALARS:
                return self._check_scalar(value, schema, document, path, label, note)
            return self._check(value, schema, document, path, label, note, None, 0)
        report = self.report
        self.report = lambda *args, **kwargs: report(*args, **{**kwargs, "severity": severity})
        try:
            return self._check(value, schema, document, path, label, note, None, 0)
        finally:
            self.report = report

    def _check_scalar(self, value: Any, schema: Schema, document: Any, path: tuple, label: str, note: str) -> bool:
        """A scalar's check depends on the value and the schema alone, so one found clean
        is not checked again (a template of thousands of nodes repeats its values)."""
        key = (type(value), value) if type(value) is not float else (float, repr(value))  # -0.0 is not 0.0
        clean = schema.memo.get(self._clean)
        if clean is not None and key in clean:
            return True
        report, found = self.report, []
        self.report = lambda *args, **kwargs: (found.append(args[0]), report(*args, **kwargs))
        try:
            ok = self._check(value, schema, document, path, label, note, None, 0)
        finally:
            self.report = report
        if ok and not found:
            if clean is None:
                clean = schema.memo[self._clean] = set()
            if len(clean) < CLEAN_MAX:
                clean.add(key)
        return ok

    def _check(self, value: Any, schema: Schema | None, document: Any, path: tuple, label: str, note: str,
               family: str | None, depth: int) -> bool:
        if schema is None or schema.type is None or depth > MAX_DEPTH or self.is_call(value):
            return True
        dtype = schema.type
        if family is None and dtype.is_a(PORT_SPEC):
            family = "PT502"
        primitive = schema.memo.get("primitive") if "primitive" in schema.memo else dtype.root_primitive
        if primitive is None:
            return self._complex(value, dtype, document, path, label, note, family, depth)
        try:
            if isinstance(value, bool) and dtype.is_a(PORT_DEF):
                raise BadValue(f"{value!r} is a boolean, not a port number")
            comparable = coerce(primitive, value)
        except BadValue as exc:
            self.report(self._rule(dtype, primitive, family), f"{label}: {exc}{note}", document, path)
            return False
        ok = True
        if primitive == "string" and dtype.primitive is None:
            ok = self._document_text(value, dtype, document, path, label, note)
        lenient = strictness(primitive, value)
        if lenient is not None:
            self.report("PT508", f"{label}: {lenient}{note}", document, path)
        if primitive in ("list", "map") and (schema.entry is not None or schema.key is not None):
            ok = self._entries(value, schema, document, path, label, note, family, depth) and ok
        for constraint in schema.constraints:
            problem = violation(constraint, comparable, value)
            if problem is not None:
                rule = "PT501" if dtype.is_a(PORT_DEF) else family or "PT504"
                self.report(rule, f"{label}: {problem}{note}", document, path)
                ok = False
        return ok

    def _document_text(self, value: str, dtype: Type, document: Any, path: tuple, label: str, note: str) -> bool:
        """A value of TOSCA's json or xml type must be a document of that kind (TOSCA 1.2, 5.3.1 and 5.3.2)."""
        kind = "json" if dtype.is_a(JSON) else "xml" if dtype.is_a(XML) else None
        if kind is None or len(value) > MAX_DOCUMENT:
            return True
        problem = json_problem(value) if kind == "json" else xml_problem(value)
        if problem is None:
            return True
        self.report("PT503", f"{label}: not a valid {kind.upper()} document: {problem}{note}", document, path)
        return False

    @staticmethod
    def _rule(dtype: Type, primitive: str, family: str | None) -> str:
        if dtype.is_a(PORT_DEF):
            return "PT501"
        if primitive in SCALAR_UNITS:
            return "PT500"
        return family or "PT503"

    def _entries(self, value: Any, schema: Schema, document: Any, path: tuple, label: str, note: str,
                 family: str | None, depth: int) -> bool:
        ok = True
        if isinstance(value, list):
            for index, entry in enumerate(value):
                ok = self._check(entry, schema.entry, document, path + (index,), f"{label}[{index}]", note, family,
                                 depth + 1) and ok
        elif isinstance(value, dict):
            for key, entry in value.items():
                if schema.key is not None:
                    ok = self._key(key, schema.key, document, path + (key,), f"{label} key {key!r}", note,
                                   family, depth + 1) and ok
                ok = self._check(entry, schema.entry, document, path + (key,), f"{label}.{key}", note, family,
                                 depth + 1) and ok
        return ok

    def _key(self, key: Any, schema: Schema, document: Any, path: tuple, label: str, note: str,
             family: str | None, depth: int) -> bool:
        """A map key checked against key_schema; its findings sit on the key, not on the value."""
        written = key.value if type(key) is ComplexKey else key
        report = self.report
        self.report = lambda *args, **kwargs: report(*args, **{**kwargs, "key": True})
        try:
            return self._check(written, schema, document, path, label, note, family, depth)
        finally:
            self.report = report

    def _complex(self, value: Any, dtype: Type, document: Any, path: tuple, label: str, note: str,
                 family: str | None, depth: int) -> bool:
        if not isinstance(value, dict):
            self.report(family or "PT503", f"{label}: expected a map of {dtype.name} fields, not "
                        f"{type_word(value)}{note}", document, path)
            return False
        fields = self.definitions.properties(dtype)
        ok = self.fields(value, fields, document, path, label, note, family, depth, f"data type {dtype.name}")
        if family == "PT502":
            ok = self._port_spec(value, document, path, label, note) and ok
        return ok

    def check_constraints(self, value: Any, schema: Schema, constraints: tuple, document: Any, path: tuple,
                          label: str, note: str = "", severity: Any = None) -> None:
        """Only ``constraints`` (of ``schema``'s type) on a value whose type was checked elsewhere."""
        primitive = schema.memo.get("primitive") if "primitive" in schema.memo else (
            schema.type.root_primitive if schema.type is not None else None)
        if primitive is None or self.is_call(value):
            return
        try:
            comparable = coerce(primitive, value)
        except BadValue:
            return  # reported where the value is declared
        for constraint in constraints:
            problem = violation(constraint, comparable, value)
            if problem is not None:
                self.report("PT504", f"{label}: {problem}{note}", document, path, severity=severity)

    def schema_at(self, schema: Schema | None, parts: tuple) -> Schema | None:
        """The schema of a part of a value: a list's or map's entries, a complex value's fields."""
        for part in parts:
            if schema is None or schema.type is None:
                return None
            primitive = schema.memo.get("primitive") if "primitive" in schema.memo else schema.type.root_primitive
            if primitive in ("list", "map"):
                schema = schema.entry
            elif primitive is None:
                field = self.definitions.properties(schema.type).get(part)
                schema = field.schema if field is not None else None
            else:
                return None
        return schema

    def fields(self, value: dict, fields: dict, document: Any, path: tuple, label: str, note: str = "",
               family: str | None = None, depth: int = 0, owner: str = "") -> bool:
        """The fields of a complex value (or the properties of a template)
        against their definitions: unknown ones, required ones missing, each value."""
        ok = True
        for name, entry in value.items():
            definition = fields.get(name)
            if definition is None and family == "PT502" and name in PORT_SPEC_EXTENSIONS:
                continue  # IM's own field of a port specification, checked by _port_spec
            if definition is None:
                self.report(family or "PT506", f"{label}: {owner or 'the type'} has no field {name!r}{note}",
                            document, path + (name,), key=True, hint=_close(name, fields))
                ok = False
                continue
            ok = self._check(entry, definition.schema, document, path + (name,), f"{label}.{name}", note, family,
                             depth + 1) and ok
        for name, definition in fields.items():
            if definition.required and name not in value and not definition.has_default:
                self.report(family or "PT505", f"{label}: required field {name!r} of {owner or 'the type'} is "
                            f"missing{note}", document, path, key=True, hint=f"add `{name}:`")
                ok = False
        return ok

    def _port_spec(self, value: dict, document: Any, path: tuple, label: str, note: str) -> bool:
        """What a PortSpec's definition cannot say (TOSCA 1.3, 5.3.4.2): at
        least one port or range, and an address block that parses."""
        ok = True
        if not any(key in value for key in PORT_FIELDS) and value.get("protocol") != "icmp":
            self.report("PT502", f"{label}: a port specification needs source, target, source_range or "
                        f"target_range{note}", document, path, key=True)
            ok = False
        cidr = value.get("remote_cidr")
        if cidr is not None and not self.is_call(cidr):
            try:
                ipaddress.ip_network(cidr, strict=False) if isinstance(cidr, str) else None
                if not isinstance(cidr, str):
                    raise ValueError
            except ValueError:
                self.report("PT502", f"{label}.remote_cidr: {cidr!r} is not an address block such as "
                            f"'10.0.0.0/8'{note}", document, path + ("remote_cidr",))
                ok = False
        return ok


def _close(name: Any, known: dict) -> str:
    close = close_matches(str(name), [str(k) for k in known])
    if close:
        return f"did you mean {close[0]!r}?"
    return ("fields: " + ", ".join(sorted(map(str, known)))) if known else "this type has no fields"


def json_problem(text: str) -> str | None:
    import json  # only templates with json values pay for loading it

    try:
        json.loads(text)
    except (ValueError, RecursionError) as exc:
        return str(exc)
    return None


def xml_problem(text: str) -> str | None:
    """Well-formedness, with expat (which refuses entity expansion bombs). A
    fragment of several elements is taken as it is written (wrapped in one root)."""
    from xml.etree import ElementTree

    body = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    try:
        ElementTree.fromstring(f"<fragment>{body}</fragment>")
    except ElementTree.ParseError as exc:
        return str(exc)
    return None
