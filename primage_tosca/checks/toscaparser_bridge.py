"""PT800, PT801, PT900: tosca-parser's own findings, mapped back to positions.

tosca-parser is what IM itself runs on a template, so its verdict matters, but
run as it comes it is slow, noisy and unsafe for untrusted input: it reads
imports from the disk relative to the working directory, fetches URLs, logs
and prints, keeps its findings in global state, mutates the dicts it is given
and reports problems as bare messages with no file, line or column.

This bridge runs it on data we have already read and checked:

* the template is handed over pre-parsed (``yaml_dict_tpl``), every import
  rewritten to the absolute path of the file our loader resolved, and every
  import tosca-parser then asks for is served from our parsed documents by a
  stand-in for its YAML loader: it never opens a file or a URL;
* it gets copies, since it writes into what it is given: the template and
  every non-type section by ``marshal`` (several times faster than
  ``copy.deepcopy``) from bytes made once per document content; type
  sections copied down to the depth tosca-parser writes at, sharing the rest
  (see TYPE_SECTIONS); and only the sections it reads (see LazySections);
* its logging and output are silenced, and one lock serialises the calls
  because its exception collector and type table are global;
* each exception it collected becomes a diagnostic placed, by the shape of its
  message, at the node template, property or input it names;
* where it is stricter than the IM deployments accept, the finding is a
  PT801 warning with the reason (see docs/relaxations.md);
* anything else escaping it (AttributeError, KeyError ...) is a PT900 internal
  error on the file, never a crash.

:func:`dedupe` drops tosca-parser's copy of a problem one of our own rules
already reports at the same place.
"""

from __future__ import annotations

import contextlib
import io
import logging
import marshal
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from .. import catalog
from ..diagnostics import Diagnostic
from ..model.requirements import relationship_of, requirement_definitions
from ..model.template import ServiceTemplate
from ..source.document import Document
from .base import check, report

# ---------------------------------------------------------------------------
# Fast copies
# ---------------------------------------------------------------------------


def plain_copy(value: Any, memo: dict | None = None) -> Any:
    """A copy of YAML data: new dicts, lists and sets, shared leaves. The
    fallback when marshal refuses a value (a YAML timestamp is a datetime)."""
    memo = {} if memo is None else memo
    if isinstance(value, (dict, list, set, tuple)):
        found = memo.get(id(value))
        if found is not None:
            return found
    if isinstance(value, dict):
        mapping: dict = {}
        memo[id(value)] = mapping
        for key, item in value.items():
            mapping[key] = plain_copy(item, memo)
        return mapping
    if isinstance(value, list):
        items: list = []
        memo[id(value)] = items
        items.extend(plain_copy(item, memo) for item in value)
        return items
    if isinstance(value, set):
        return memo.setdefault(id(value), set(value))  # set members are hashable leaves
    if isinstance(value, tuple):
        return memo.setdefault(id(value), tuple(plain_copy(item, memo) for item in value))
    return value


class Frozen:
    """Data kept ready to copy: marshalled bytes when marshal takes it (fast to
    load), else the data itself, copied by :func:`plain_copy` on each thaw."""

    __slots__ = ("blob", "data")

    def __init__(self, data: Any):
        try:
            self.blob: bytes | None = marshal.dumps(data)
            self.data = None
        except ValueError:  # datetime, date, or anything marshal does not know
            self.blob = None
            self.data = data

    def thaw(self) -> Any:
        if self.blob is not None:
            return marshal.loads(self.blob)
        return plain_copy(self.data)


class LazySections(dict):
    """An imported document as served: each top-level section is copied the
    first time tosca-parser reads it. tosca-parser loads every import twice
    per template, the first time only for its relationship types, and never
    reads some sections (artifact types, metadata) at all, so most of the
    copying is saved. Reading through any dict method thaws the section;
    only keys, ``in`` and ``len`` look without thawing."""

    def _thawed(self, key: Any) -> Any:
        value = dict.__getitem__(self, key)
        if isinstance(value, (Frozen, TypeSection)):
            value = value.thaw()
            dict.__setitem__(self, key, value)
        return value

    def _thaw_all(self) -> None:
        for key in list(dict.keys(self)):
            self._thawed(key)

    def __getitem__(self, key: Any) -> Any:
        return self._thawed(key)

    def get(self, key: Any, default: Any = None) -> Any:
        return self._thawed(key) if dict.__contains__(self, key) else default

    def items(self):  # type: ignore[override]
        self._thaw_all()
        return dict.items(self)

    def values(self):  # type: ignore[override]
        self._thaw_all()
        return dict.values(self)

    def copy(self) -> dict:
        self._thaw_all()
        return dict(dict.items(self))

    def pop(self, key: Any, *default: Any) -> Any:
        if dict.__contains__(self, key):
            self._thawed(key)
        return dict.pop(self, key, *default)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if dict.__contains__(self, key):
            return self._thawed(key)
        return dict.setdefault(self, key, default)

    def __reduce_ex__(self, protocol: Any) -> Any:  # copy.deepcopy and pickle see plain data
        return (dict, (self.copy(),))


# Sections of type definitions. tosca-parser 2.15 writes into them at one
# depth only: EntityType.get_definition merges a parent's properties,
# attributes, requirements... into the child's own keyword mapping
# (``value.update(inherited)`` on ``node_types[T]['properties']``). Every
# other place copies before it changes anything (get_value, interfaces,
# relationship templates). So these sections are copied down to the keyword
# values of each type and share what lies below (property definitions,
# constraints): about a third of the cost of a full marshal copy.
# tests/test_toscaparser_bridge.py checks over the corpus that no parsed
# document changes, should a later tosca-parser write deeper.
TYPE_SECTIONS = frozenset({
    "node_types", "capability_types", "relationship_types", "data_types", "artifact_types",
    "interface_types", "policy_types", "group_types",
})


class TypeSection:
    """A type section kept ready to serve: thawed by copying each type and
    each of its keyword values, sharing what lies deeper."""

    __slots__ = ("data",)

    def __init__(self, data: dict):
        self.data = data

    def thaw(self) -> dict:
        return {name: _copy_type(definition) for name, definition in self.data.items()}


def _copy_type(definition: Any) -> Any:
    if not isinstance(definition, dict):
        return plain_copy(definition)
    return {key: (dict(value) if isinstance(value, dict) else list(value) if isinstance(value, list) else value)
            for key, value in definition.items()}


class FrozenDocument:
    """An imported document kept ready to serve, section by section, each
    thawed lazily (see :class:`LazySections`): type sections as
    :class:`TypeSection`, anything else (imports, a nested topology) as a
    full :class:`Frozen` copy."""

    __slots__ = ("sections",)

    def __init__(self, data: dict):
        self.sections = {key: _freeze_section(key, value) for key, value in data.items()}

    def thaw(self) -> dict:
        return LazySections(self.sections)


def _freeze_section(key: Any, value: Any) -> Any:
    if key in TYPE_SECTIONS and isinstance(value, dict):
        return TypeSection(value)
    if isinstance(value, (dict, list)):
        return Frozen(value)
    return value


class FrozenCache:
    """Frozen copies of imported documents, keyed by content hash and the way
    their imports were rewritten. Bounded: a long-lived process keeps the most
    recently used ones."""

    def __init__(self, size: int = 256):
        self.size = size
        self._items: OrderedDict[tuple, FrozenDocument] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, make: Callable[[], dict]) -> FrozenDocument:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        frozen = FrozenDocument(make())
        with self._lock:
            self._items[key] = frozen
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return frozen

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


FROZEN = FrozenCache()


# ---------------------------------------------------------------------------
# Imports rewritten to the files our loader resolved
# ---------------------------------------------------------------------------

IMPORT_KEYS = frozenset({"file", "repository", "namespace_prefix", "namespace_uri"})
TargetLookup = Callable[[tuple], "Document | None"]


def rewrite_entry(item: Any, path: tuple, target_of: TargetLookup) -> Any:
    """One ``imports`` entry with its file replaced by the absolute path of the
    document it led to. The entry keeps its shape (and namespace_prefix), so
    tosca-parser judges the same import the author wrote; ``repository`` goes,
    since the file it named is already resolved."""
    if isinstance(item, str):
        target = target_of(path)
        return target.real_path if target is not None else item
    if not isinstance(item, dict):
        return item
    if "file" in item and set(item) <= IMPORT_KEYS:  # TOSCA 1.2+ unnamed definition
        return _rewrite_definition(item, target_of(path))
    if len(item) != 1:
        return item
    name, definition = next(iter(item.items()))
    target = target_of(path + (name,))
    if isinstance(definition, str):
        return {name: target.real_path} if target is not None else item
    if isinstance(definition, dict):
        return {name: _rewrite_definition(definition, target)}
    return item


def _rewrite_definition(definition: dict, target: Document | None) -> dict:
    if target is None:
        return definition
    rewritten = {key: value for key, value in definition.items() if key != "repository"}
    rewritten["file"] = target.real_path
    return rewritten


def rewrite_imports(imports: Any, owners: list[Document], targets: dict) -> Any:
    """``imports`` (of one document, or merged from a fragment and its parents)
    with every entry rewritten. An entry is traced back to the document that
    wrote it, since the import edges are recorded per writer and index."""
    if not isinstance(imports, list):
        return imports
    rewritten = []
    for index, item in enumerate(imports):
        owner, position = _writer_of(item, index, owners)
        if owner is None:
            rewritten.append(item)
            continue
        rewritten.append(rewrite_entry(item, ("imports", position),
                                       lambda path, owner=owner: targets.get((id(owner), path))))
    return rewritten


def _writer_of(item: Any, index: int, owners: list[Document]) -> tuple[Document | None, int]:
    for exact in (True, False):  # the same object first; an equal entry after merging
        for owner in owners:
            written = owner.data.get("imports") if isinstance(owner.data, dict) else None
            if not isinstance(written, list):
                continue
            if exact and index < len(written) and written[index] is item:
                return owner, index
            if not exact:
                for position, candidate in enumerate(written):
                    if candidate == item:
                        return owner, position
    return None, -1


@dataclass
class Prepared:
    """What tosca-parser gets: the template's data with imports rewritten,
    and the imported documents it may ask for, by absolute path."""

    template: Frozen
    files: dict[str, FrozenDocument]


def prepare(template: ServiceTemplate, cache: FrozenCache = FROZEN) -> Prepared:
    source_sets = [template.sources, *template.parent_sources]
    targets: dict[tuple, Document] = {}
    for sources in source_sets:
        for edge in sources.edges:
            if edge.target is not None:
                targets[(id(edge.importer), tuple(edge.path))] = edge.target
    files: dict[str, FrozenDocument] = {}
    for sources in source_sets:
        for document in sources.imported_documents():
            if document.real_path and document.real_path not in files and isinstance(document.data, dict):
                files[document.real_path] = _freeze_document(document, targets, cache)
    data = template.data
    owners = [sources.root for sources in source_sets]
    rewritten = dict(data)
    if "imports" in data:
        rewritten["imports"] = rewrite_imports(data["imports"], owners, targets)
    return Prepared(Frozen(rewritten), files)


def _freeze_document(document: Document, targets: dict, cache: FrozenCache) -> FrozenDocument:
    data = document.data
    imports = rewrite_imports(data.get("imports"), [document], targets)

    def make() -> dict:
        if "imports" not in data:
            return data
        rewritten = dict(data)
        rewritten["imports"] = imports
        return rewritten

    if not document.sha256:  # not read from bytes: nothing safe to key a cache entry by
        return FrozenDocument(make())
    return cache.get((document.sha256, repr(imports)), make)


# ---------------------------------------------------------------------------
# Running tosca-parser: served, silenced, serialised
# ---------------------------------------------------------------------------

# tosca-parser keeps its findings in a class attribute and its type table in
# another: two calls at once would mix them up.
_LOCK = threading.Lock()


class NotServed(Exception):
    """tosca-parser asked for a file the bridge did not prepare: a bug of ours."""

    def __init__(self, path: str):
        super().__init__(f"tosca-parser asked for {path!r}, which is not an import our loader resolved")


class ImportServer:
    """Stands in for tosca-parser's YAML loader: serves a fresh copy of each
    prepared file and refuses anything else. It never reads the disk."""

    def __init__(self, files: dict[str, FrozenDocument]):
        self.files = files

    def __call__(self, path: str, a_file: bool = True) -> Any:
        frozen = self.files.get(path)
        if frozen is None:
            raise NotServed(path)
        return frozen.thaw()


@dataclass
class Outcome:
    """What one tosca-parser run left: the exceptions it collected, and the
    exception that escaped it, if one did."""

    findings: list[BaseException]
    crash: BaseException | None = None


TOSCAPARSER_LOGGERS = ("tosca", "tosca.model", "toscaparser")


def _toscaparser_loggers() -> list[logging.Logger]:
    """tosca-parser's loggers: "tosca", "tosca.model" and its modules' own.
    A disabled logger drops its records, its children's are not affected, so
    each is disabled by name."""
    names = set(TOSCAPARSER_LOGGERS)
    names.update(name for name in list(logging.root.manager.loggerDict)
                 if name.startswith(("tosca.", "toscaparser.")))
    return [logging.getLogger(name) for name in sorted(names)]


@contextlib.contextmanager
def silenced() -> Iterator[None]:
    """tosca-parser logs warnings (which reach stderr when no handler is set
    up) and prints in places: neither may reach our output."""
    loggers = _toscaparser_loggers()
    saved = [(logger, logger.disabled) for logger in loggers]
    for logger in loggers:
        logger.disabled = True
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            yield
    finally:
        for logger, disabled in saved:
            logger.disabled = disabled


def _refuse_path(path: str, a_file: bool = True) -> Any:
    raise NotServed(path)


@contextlib.contextmanager
def serving(server: ImportServer) -> Iterator[None]:
    """tosca-parser's YAML loader replaced by ``server`` for the duration."""
    import toscaparser.imports
    import toscaparser.tosca_template

    saved = toscaparser.imports.YAML_LOADER, toscaparser.tosca_template.YAML_LOADER
    toscaparser.imports.YAML_LOADER = server
    toscaparser.tosca_template.YAML_LOADER = _refuse_path  # we never pass a path
    try:
        yield
    finally:
        toscaparser.imports.YAML_LOADER, toscaparser.tosca_template.YAML_LOADER = saved


@contextlib.contextmanager
def restored_type_table() -> Iterator[None]:
    """An NFV or MEC template makes tosca-parser add its profile's types to the
    normative table for good; undo it so no template's verdict depends on the
    ones checked before it."""
    from toscaparser.elements.entity_type import EntityType

    table = EntityType.TOSCA_DEF
    saved = dict(table)
    try:
        yield
    finally:
        if len(table) != len(saved) or any(table.get(k) is not v for k, v in saved.items()):
            table.clear()
            table.update(saved)


def run_toscaparser(prepared: Prepared, inputs: dict | None) -> Outcome:
    """Parse the prepared template with tosca-parser and collect what it says."""
    from toscaparser.common.exception import ExceptionCollector, TOSCAException
    from toscaparser.tosca_template import ToscaTemplate

    server = ImportServer(prepared.files)
    with _LOCK, silenced(), serving(server), restored_type_table():
        try:
            ToscaTemplate(yaml_dict_tpl=prepared.template.thaw(),
                          parsed_params=plain_copy(inputs) if inputs else None)
            return Outcome(list(ExceptionCollector.exceptions))
        except TOSCAException as exc:  # the final summary, or a finding raised mid-way
            found = list(ExceptionCollector.exceptions)
            if ExceptionCollector.collecting:  # raised in the middle: a finding of its own
                found.append(exc)
            return Outcome(found or [exc])
        except Exception as exc:  # noqa: BLE001 - whatever escapes (RecursionError too) is reported

            return Outcome(list(ExceptionCollector.exceptions), exc)
        finally:
            ExceptionCollector.stop()
            ExceptionCollector.clear()


# ---------------------------------------------------------------------------
# Messages: cleaned, and traced back to a place
# ---------------------------------------------------------------------------

_BOILERPLATE = " Refer to the definition to verify valid values."
_QUOTED = re.compile(r'"([^"]*)"')


def exception_text(exc: BaseException) -> str:
    """tosca-parser's message without the quoting a KeyError adds, the quotes
    around a whole message, or the sentence every unknown field repeats."""
    if isinstance(exc, KeyError) and len(exc.args) == 1 and isinstance(exc.args[0], str):
        text = exc.args[0]
    else:
        text = str(exc)
    text = text.strip().replace(_BOILERPLATE, "")
    if len(text) > 1 and text[0] == text[-1] == '"' and text.count('"') > 2:
        text = text[1:-1]  # InvalidGroupTargetException quotes its whole message
    return text


def clean_message(exc: BaseException, names: dict[str, str]) -> str:
    """``Class: message``, with the absolute paths we handed tosca-parser
    replaced by the names the user knows the files by."""
    text = exception_text(exc)
    for real_path, shown in names.items():
        text = text.replace(real_path, shown)
    return f"{exc.__class__.__name__}: {text}"


@dataclass(frozen=True)
class Place:
    """Where a finding points: a path in the template, or in an imported file."""

    path: tuple = ()
    key: bool = False
    document: Document | None = None  # None: the template itself


class Locator:
    """Finds the place a tosca-parser message is about, by its shape first and
    by the names it quotes after that."""

    def __init__(self, template: ServiceTemplate, imported: dict[str, Document]):
        self.template = template
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
        found = self.template.types.find_any(name)
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
        stack = [(start, node)]
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
        found = _find_value_in(document.data, name)
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


def _find_value_in(data: Any, value: str, path: tuple = ()) -> tuple | None:
    if isinstance(data, dict):
        items: Iterable = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return path if path and _same(data, value) else None
    for key, item in items:
        found = _find_value_in(item, value, path + (key,))
        if found is not None:
            return found
    return None


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


# ---------------------------------------------------------------------------
# Relaxations: where tosca-parser 2.15 is stricter than the IM deployments
# ---------------------------------------------------------------------------

HOSTED_ON = "tosca.relationships.HostedOn"
_OCCURRENCES = re.compile(r'^Relationship "host" in template "(?P<node>[^"]*)" has a wrong number of occurrences')


def relaxation(template: ServiceTemplate, text: str) -> str | None:
    """Why IM accepts what tosca-parser rejects in ``text``, or None when the
    finding stands. Each case is listed in docs/relaxations.md."""
    match = _OCCURRENCES.match(text)
    if match:
        return hosted_elsewhere(template, match["node"])
    return None


def hosted_elsewhere(template: ServiceTemplate, name: str) -> str | None:
    """A node with no ``host`` requirement at all that is hosted through
    another requirement: IM finds a node's Compute by following any
    relationship derived from HostedOn, not only ``host``."""
    node = template.node_templates.get(name)
    if not isinstance(node, dict):
        return None
    assignments = _requirements(node)
    if any(requirement == "host" for requirement, _ in assignments):
        return None  # host given more often than allowed: a real error
    definitions = requirement_definitions(template, node)
    for requirement, assignment in assignments:
        relationship = relationship_of(template, assignment, definitions.get(requirement))
        if relationship and template.types.is_derived_from("relationship_types", relationship, HOSTED_ON):
            return (f'IM\'s converter finds the host of "{name}" along its "{requirement}" requirement '
                    f"({relationship}): it follows any HostedOn relationship, not only 'host'")
    return None


def _requirements(node: dict) -> list[tuple[str, Any]]:
    found = []
    for item in node.get("requirements") or []:
        if isinstance(item, dict) and len(item) == 1:
            name, assignment = next(iter(item.items()))
            found.append((str(name), assignment))
    return found



# ---------------------------------------------------------------------------
# The check
# ---------------------------------------------------------------------------

RELAXED_HINT = ("IM deployments whose tosca-parser predates this check deploy it as written; an IM that "
                "installs tosca-parser 2.15 (IM 2.0.0 from PyPI does) rejects it, so check which one you target")
INTERNAL_HINT = ("tosca-parser crashed instead of reporting a problem; the template may well be wrong "
                 "nearby (a list written as a mapping, a mapping as a string), but this is a bug to report")


@check("PT800", "PT801", "PT900", needs_types=True)
def toscaparser(template: ServiceTemplate) -> Iterator[Diagnostic]:
    """tosca-parser's verdict on the template, each finding placed."""
    if not isinstance(template.data, dict):
        return
    prepared = prepare(template)
    outcome = run_toscaparser(prepared, template.options.inputs)
    imported = imported_documents(template)
    names = {real_path: document.file for real_path, document in imported.items()}
    locator = Locator(template, imported)
    texts = [exception_text(exc) for exc in outcome.findings]
    places = borrow_scalar_unit_places(texts, [find_place(locator, text) for text in texts])
    for exc, text, place in zip(outcome.findings, texts, places):
        yield finding(template, exc, text, place, names)
    if outcome.crash is not None:
        yield crash(template, outcome.crash)


def imported_documents(template: ServiceTemplate) -> dict[str, Document]:
    found: dict[str, Document] = {}
    for sources in (template.sources, *template.parent_sources):
        for document in sources.imported_documents():
            if document.real_path:
                found.setdefault(document.real_path, document)
    return found


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


def finding(template: ServiceTemplate, exc: BaseException, text: str, place: Place,
            names: dict[str, str]) -> Diagnostic:
    """One collected exception as a diagnostic at ``place``."""
    message = clean_message(exc, names)
    reason = relaxation(template, text)
    rule = "PT800"
    hint = None
    if reason:
        rule, message = "PT801", f"{message} ({reason})"
        hint = RELAXED_HINT
    if place.document is None:
        return report(template, rule, message, place.path, key=place.key, hint=hint)
    return catalog.make(rule, message, place.document.locate(place.path, place.key), place.path, hint)


def crash(template: ServiceTemplate, exc: BaseException) -> Diagnostic:
    where = _raised_at(exc)
    message = f"tosca-parser failed: {exc.__class__.__name__}: {exc}" + (f" (at {where})" if where else "")
    hint = INTERNAL_HINT if not isinstance(exc, NotServed) else "this is a bug in primage_tosca; please report it"
    return report(template, "PT900", message, (), hint=hint)


def _raised_at(exc: BaseException) -> str | None:
    """The innermost tosca-parser frame of the traceback, for the bug report."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "toscaparser" in f.filename]
    if not frames:
        return None
    last = frames[-1]
    return f"toscaparser/{last.filename.rsplit('toscaparser/', 1)[-1]}:{last.lineno} in {last.name}"


# ---------------------------------------------------------------------------
# Dedupe: our own rules first
# ---------------------------------------------------------------------------

# Our rules that report what tosca-parser also finds: when one of them speaks
# about a place, tosca-parser's finding at (or inside) that place is a copy.
OWN_RULES = frozenset({
    "PT101", "PT300", "PT301",
    "PT310", "PT311", "PT312", "PT313", "PT314", "PT320",
    "PT400", "PT401",
    "PT500", "PT501", "PT502",
})
TOSCAPARSER_RULES = frozenset({"PT800", "PT801"})


def dedupe(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """``diagnostics`` without the tosca-parser findings one of our own rules
    already reports: same file, and the same path or a path inside ours. An
    own diagnostic at the top of a file only covers findings placed there too."""
    diagnostics = list(diagnostics)
    own: dict[str, list[tuple]] = {}
    for diagnostic in diagnostics:
        if diagnostic.rule in OWN_RULES:
            own.setdefault(diagnostic.file, []).append(tuple(diagnostic.path))
    if not own:
        return diagnostics
    return [d for d in diagnostics
            if d.rule not in TOSCAPARSER_RULES or not _covered(tuple(d.path), own.get(d.file, ()))]


def _covered(path: tuple, owned: Iterable[tuple]) -> bool:
    for mine in owned:
        if path == mine or (mine and path[:len(mine)] == mine):
            return True
    return False
