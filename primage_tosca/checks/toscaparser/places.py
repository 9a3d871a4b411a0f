"""Where a tosca-parser message points: a table of place rules, one per
message shape, and a generic search by the names the message quotes."""

from __future__ import annotations

import re
from typing import Any, Callable, Iterator

from ...imports.template import ServiceTemplate
from ...records import record
from ...source.document import Document
from ...typesystem.model import KINDS

_QUOTED = re.compile(r'"([^"]*)"')


@record(frozen=True)
class Place:
    """Where a finding points: a path in the template, or in an imported file."""

    path: tuple = ()
    key: bool = False
    document: Document | None = None  # None: the template itself


class Locator:
    """Finds the place a tosca-parser message is about, by its shape first and
    by the names it quotes after that."""

    def __init__(self, template: ServiceTemplate, imported: dict[str, Document], types: Any = None):
        self.template = template
        self.types = types
        self.data = template.data if isinstance(template.data, dict) else {}
        self.imported = imported  # absolute path -> document

    # -- what the template holds ----------------------------------------
    def has(self, path: tuple) -> bool:
        node: Any = self.data
        for part in path:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            else:
                return False
        return True

    def entity(self, name: str) -> tuple | None:
        """The path of the node template, relationship template, group,
        policy, input or output called ``name``."""
        topology = self.data.get("topology_template")
        if not isinstance(topology, dict):
            return None
        for section in ("node_templates", "relationship_templates", "groups", "inputs", "outputs"):
            entries = topology.get(section)
            if isinstance(entries, dict) and name in entries:
                return ("topology_template", section, name)
        policies = topology.get("policies")
        if isinstance(policies, list):
            for index, policy in enumerate(policies):
                if isinstance(policy, dict) and name in policy:
                    return ("topology_template", "policies", index, name)
        return None

    def document_named(self, text: str) -> Document | None:
        for real_path, document in self.imported.items():
            if real_path in text:
                return document
        return None

    def type_definition(self, name: str) -> Place | None:
        found = next((t for kind in KINDS if self.types is not None
                      for t in [self.types.find(kind, name)] if t is not None), None)
        if found is None or found.document is None:
            return None
        if found.document is self.template.sources.root or found.document is self.template.document:
            return Place(found.path, True)
        return Place(found.path, True, found.document)

    # -- searching ------------------------------------------------------
    def walk(self, start: tuple = ()) -> Iterator[tuple[tuple, Any]]:
        """Every path and value under ``start``, in document order."""
        if not self.has(start):
            return
        node: Any = self.data
        for part in start:
            node = node[part]
        yield from walk(node, start)

    def find_key(self, key: str, start: tuple = (), value: str | None = None) -> tuple | None:
        for path, node in self.walk(start):
            if path and path[-1] == key and (value is None or _same(node, value)):
                return path
        return None

    def find_value(self, value: str, start: tuple = ()) -> tuple | None:
        for path, node in self.walk(start):
            if path and not isinstance(node, (dict, list)) and _same(node, value):
                return path
        return None

    def find_printed(self, text: str, start: tuple = ()) -> tuple | None:
        """A list or mapping that Python prints as ``text`` (tosca-parser
        quotes whole values that way: "['a', 'b']" is not a map)."""
        for path, node in self.walk(start):
            if path and isinstance(node, (dict, list)) and str(node) == text:
                return path
        return None

    def find_function(self, name: str, start: tuple = (), argument: str | None = None) -> tuple | None:
        """Where ``{name: ...}`` is used, preferring one whose arguments name ``argument``."""
        fallback = None
        for path, node in self.walk(start):
            if isinstance(node, dict) and len(node) == 1 and name in node:
                if argument is None or _mentions(node[name], argument):
                    return path
                fallback = fallback or path
        return fallback

    def scopes(self) -> list[tuple]:
        """Where to search when nothing narrows it: the topology first."""
        return [p for p in (("topology_template",), ()) if self.has(p)]


def walk(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """Every path (under ``path``) and value in ``node``, in document order."""
    stack = [(path, node)]
    while stack:
        path, node = stack.pop()
        yield path, node
        if isinstance(node, dict):
            children = [(path + (k,), v) for k, v in node.items()]
        elif isinstance(node, list):
            children = [(path + (i,), v) for i, v in enumerate(node)]
        else:
            continue
        stack.extend(reversed(children))  # document order


def _same(value: Any, text: str) -> bool:
    return not isinstance(value, (dict, list)) and str(value) == text


def _mentions(arguments: Any, name: str) -> bool:
    if str(arguments) == name:  # tosca-parser quotes a whole argument list as Python prints it
        return True
    if isinstance(arguments, list):
        return any(_same(a, name) for a in arguments)
    return _same(arguments, name)


# Each rule: a message shape and how to find its place. The first rule whose
# pattern matches and that finds a place wins; the generic search comes last.
PlaceRule = Callable[[Locator, "re.Match[str]"], "Place | None"]
PLACE_RULES: list[tuple[re.Pattern, PlaceRule]] = []


def place_rule(pattern: str) -> Callable[[PlaceRule], PlaceRule]:
    def register(function: PlaceRule) -> PlaceRule:
        PLACE_RULES.append((re.compile(pattern), function))
        return function
    return register


def _inside(loc: Locator, scope: tuple, name: str) -> Place:
    """``name`` as a key (else a value) within ``scope``; the scope itself
    when neither is written there."""
    if loc.has(scope + (name,)):
        return Place(scope + (name,), True)
    found = loc.find_key(name, scope)
    if found is not None:
        return Place(found, True)
    found = loc.find_value(name, scope)
    return Place(found) if found is not None else Place(scope, True)


@place_rule(r'^Relationship "(?P<req>[^"]*)" in template "(?P<node>[^"]*)" has a wrong number of occurrences')
def _occurrences(loc: Locator, match: re.Match) -> Place | None:
    node = loc.entity(match["node"])
    if node is None:
        return None
    requirements = node + ("requirements",)
    return Place(requirements if loc.has(requirements) else node, True)


@place_rule(r'^"(?P<section>[a-z_]+)" of template "(?P<node>[^"]*)" contains unknown field "(?P<field>[^"]*)"')
def _unknown_in_section(loc: Locator, match: re.Match) -> Place | None:
    node = loc.entity(match["node"])
    if node is None:
        return None
    section = node + (match["section"],)
    if loc.has(section + (match["field"],)):
        return Place(section + (match["field"],), True)
    # tosca-parser says "properties" of a capability's properties too: look
    # through the whole node template for the field.
    return _inside(loc, node, match["field"])


@place_rule(r'^"(?P<section>[a-z_]+)" (?:of|used in) template "(?P<node>[^"]*)" is missing required field')
def _missing_in_section(loc: Locator, match: re.Match) -> Place | None:
    node = loc.entity(match["node"])
    if node is None:
        return None
    section = node + (match["section"],)
    if loc.has(section):
        return Place(section, True)
    requirements = node + ("requirements",)
    if match["section"] == "relationship" and loc.has(requirements):
        found = loc.find_key("relationship", requirements)
        return Place(found or requirements, True)
    return Place(node, True)


@place_rule(r'^(?:Node template|Template|Policy|Groups|Input|Output|Triggers) "(?P<node>[^"]*)" '
            r'(?:contains unknown field "(?P<field>[^"]*)"|is missing required field)')
def _named_entity(loc: Locator, match: re.Match) -> Place | None:
    node = loc.entity(match["node"])
    if node is None:
        return None
    return _inside(loc, node, match["field"]) if match["field"] else Place(node, True)


# ('Data value of type "T" contains unknown field' is about a value in the
# template, not about T: the generic search finds the field there.)
@place_rule(r'^(?:Relationshiptype|Nodetype|Policy|Group Type) ?"?(?P<type>[^" ]+)"? '
            r'contains unknown field "(?P<field>[^"]*)"')
def _type_field(loc: Locator, match: re.Match) -> Place | None:
    place = loc.type_definition(match["type"])
    if place is None:
        return None
    field_path = place.path + (match["field"],)
    holder = place.document or loc.template.document
    return Place(field_path if holder.has(field_path) else place.path, True, place.document)


@place_rule(r'^The template version "(?P<version>.*?)(?: in (?P<where>.+))?" is invalid')
def _version(loc: Locator, match: re.Match) -> Place | None:
    if match["where"]:
        document = loc.document_named(match["where"])
        return Place(("tosca_definitions_version",), False, document) if document else None
    return Place(("tosca_definitions_version",))


@place_rule(r'^Template (?P<where>.+) contains unknown field "(?P<field>[^"]*)"')
def _imported_field(loc: Locator, match: re.Match) -> Place | None:
    document = loc.document_named(match["where"])
    return Place((match["field"],), True, document) if document else None


@place_rule(r'^Template contains unknown field "(?P<field>[^"]*)"')
def _top_field(loc: Locator, match: re.Match) -> Place | None:
    for path in ((match["field"],), ("topology_template", match["field"])):
        if loc.has(path):
            return Place(path, True)
    return None


@place_rule(r'^Template is missing required field "(?P<field>[^"]*)"')
def _top_missing(loc: Locator, match: re.Match) -> Place | None:
    return Place(())


@place_rule(r'^(?:Node type|Type) "(?P<type>.*)" is not a valid type')
def _invalid_type(loc: Locator, match: re.Match) -> Place | None:
    name = match["type"]
    inner = _QUOTED.findall(name)  # 'Type ""X" defined in targets for policy "P""'
    if inner:
        name = inner[0]
    for scope in loc.scopes():
        found = loc.find_key("type", scope, value=name) or loc.find_value(name, scope)
        if found is not None:
            return Place(found)
    for document in loc.imported.values():  # a parent type named in a library
        found = next((path for path, node in walk(document.data) if path and _same(node, name)), None)
        if found is not None:
            return Place(found, False, document)
    return None


@place_rule(r'^Unknown input "(?P<name>[^"]*)"')
def _unknown_input(loc: Locator, match: re.Match) -> Place | None:
    found = loc.find_function("get_input", (), match["name"])
    return _call(found, "get_input")


@place_rule(r'^SubstitutionMappings')
def _substitution(loc: Locator, match: re.Match) -> Place | None:
    scope = ("topology_template", "substitution_mappings")
    if not loc.has(scope):
        return None
    tokens = _QUOTED.findall(match.string)
    for token in reversed(tokens):
        if loc.has(scope + (token,)) or loc.find_key(token, scope) or loc.find_value(token, scope):
            return _inside(loc, scope, token)
    return Place(scope, True)


@place_rule(r'(?:Import|[Ff]ile name|import name|Import of template|import definition) "(?P<name>[^"]*)"')
def _import(loc: Locator, match: re.Match) -> Place | None:
    imports = loc.data.get("imports")
    if not isinstance(imports, list):
        return Place(("imports",), True) if "imports" in loc.data else None
    for index, item in enumerate(imports):
        if match["name"] in repr(item):
            return Place(("imports", index))
    return Place(("imports",), True)


@place_rule(r'function "(?P<function>[a-z_]+)"|"(?P<keyword>get_[a-z_]+): \[')
def _function(loc: Locator, match: re.Match) -> Place | None:
    name = match["function"] or match["keyword"]
    tokens = _QUOTED.findall(match.string)
    scope = _scope_of(loc, tokens, match.string)
    argument = next((t for t in tokens if t != name and not t.startswith(name)), None)
    found = loc.find_function(name, scope, argument) if loc.has(scope) else None
    return _call(found, name)


@place_rule(r'^(?:Property|Attribute) "(?P<name>[^"]*)" was not found in .*?node template "(?P<node>[^"]*)"'
            r'(?: referenced from node template "(?P<user>[^"]*)")?')
def _missing_reference(loc: Locator, match: re.Match) -> Place | None:
    """A get_property or get_attribute naming something the target lacks:
    point at the function call, where the fix is."""
    function = "get_property" if match.string.startswith("Property") else "get_attribute"
    user = loc.entity(match["user"]) if match["user"] else None
    for scope in ([user] if user else []) + loc.scopes():
        found = loc.find_function(function, scope, match["name"])
        if found is not None and _mentions_anywhere(loc, found, match["name"]):
            return _call(found, function)
    return None


@place_rule(r'^Node template "(?P<name>[^"]*)" was not found')
def _missing_node(loc: Locator, match: re.Match) -> Place | None:
    for scope in loc.scopes():
        for function in ("get_attribute", "get_property"):
            found = loc.find_function(function, scope, match["name"])
            if found is not None and _mentions_anywhere(loc, found, match["name"]):
                return _call(found, function)
        found = loc.find_value(match["name"], scope)
        if found is not None:
            return Place(found)
    return None


@place_rule(r'^(?P<what>\w+) of the Node Filter definition')
def _node_filter(loc: Locator, match: re.Match) -> Place | None:
    for scope in loc.scopes():
        found = loc.find_key("node_filter", scope)
        if found is not None:
            return _inside(loc, found, match["what"])
    return None


@place_rule(r'^The unit "(?P<unit>[^"]*)" is not valid')
def _unit(loc: Locator, match: re.Match) -> Place | None:
    """A scalar-unit value with an unknown unit: the value ending in it."""
    unit = match["unit"].strip()
    for path, node in loc.walk(()):
        if isinstance(node, str) and unit and node.split()[-1:] == [unit] and node.strip() != unit:
            return Place(path)
    return None


def _call(found: tuple | None, function: str) -> Place | None:
    """A function call's place: its name, where our own rules point too."""
    return Place(found + (function,), True) if found is not None else None


def _mentions_anywhere(loc: Locator, path: tuple, name: str) -> bool:
    return any(_same(node, name) for _, node in loc.walk(path))


def _scope_of(loc: Locator, tokens: list[str], text: str) -> tuple:
    for token in tokens:
        entity = loc.entity(token)
        if entity is not None:
            return entity
    if '"outputs"' in text and loc.has(("topology_template", "outputs")):
        return ("topology_template", "outputs")
    return ()


def generic_place(loc: Locator, text: str) -> Place:
    """No known shape: within the entity the message names, then anywhere in
    the template, a quoted key (holding a quoted value if there is one), else
    a quoted value; the named entity, or the top of the file, when nothing
    matches."""
    tokens = _QUOTED.findall(text)
    scope = _scope_of(loc, tokens, text)
    others = [t for t in tokens if not scope or loc.entity(t) != scope]
    for where in ([scope] if scope else []) + loc.scopes():
        found = _search(loc, where, others)
        if found is not None:
            return found
    return Place(scope, True) if scope else Place(())


def _search(loc: Locator, where: tuple, tokens: list[str]) -> Place | None:
    for key in tokens:
        for value in tokens:
            if value != key:
                found = loc.find_key(key, where, value=value)
                if found is not None:
                    return Place(found)
    for key in tokens:
        found = loc.find_key(key, where)
        if found is not None:
            return Place(found, True)
    for value in tokens:
        found = loc.find_value(value, where) or loc.find_printed(value, where)
        if found is not None:
            return Place(found)
    return None


def find_place(loc: Locator, text: str) -> Place:
    """Where the cleaned message ``text`` (without its class name) points."""
    for pattern, rule in PLACE_RULES:
        match = pattern.search(text)
        if match is None:
            continue
        place = rule(loc, match)
        if place is not None:
            return place
    return generic_place(loc, text)


def borrow_scalar_unit_places(texts: list[str], places: list[Place]) -> list[Place]:
    """tosca-parser reports one bad scalar-unit value as a chain ('The unit
    "0" is not valid', '"10" is not a valid scalar-unit', '"None" is not a
    valid scalar-unit') of which only some quote the value. A link we could
    not place takes the place of the nearest placed link."""
    unit_links = [i for i, text in enumerate(texts) if "scalar-unit" in text or text.startswith("The unit ")]
    placed = [i for i in unit_links if places[i] != Place(())]
    result = list(places)
    for i in unit_links:
        if result[i] == Place(()) and placed:
            result[i] = places[min(placed, key=lambda j: (abs(j - i), j))]
    return result
