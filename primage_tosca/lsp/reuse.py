"""Checking an edited document again without redoing what the edit did not change.

After an edit the loader reads the new text (in part, see :mod:`.reparse`)
and the phases run again, but most of their work would come out the same:
the types, when no file that defines types changed; each node template's
render, when its text did not change; its resolved requirements and its
evaluated properties, when neither it nor any node template it names (in a
requirement or a function, directly or through another one) changed. A
:class:`Reuse` remembers each of these products of the last run with the
findings made while building it, and the next run takes them instead of
building them again, reporting those findings again, moved by the lines the
edit added or removed.

The result is the one a fresh run gives. Whenever that cannot be sure, the
product is built again: a file other than the edited one changed, a section
outside the node templates changed, a node template was added, removed,
renamed or reordered, a template copies another (``copy``), or a finding
sits on a line the edit touched.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Callable, Iterator

from ..catalog import Reporter
from ..diagnostics import Collector, Diagnostic, Location
from ..records import field, record
from ..render.functions import Call, calls_in
from ..typesystem import build_types
from ..typesystem.model import KINDS
from .reparse import same_run

TOPOLOGY = "topology_template"
NODES = "node_templates"


class RecordingCollector(Collector):
    """A collector that also lists every finding added while ``log`` is a list,
    duplicates included: what one product's building reported."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[Diagnostic] | None = None

    def add(self, diagnostic: Diagnostic) -> None:
        if self.log is not None:
            self.log.append(diagnostic)
        super().add(diagnostic)

    def recording(self, make: Callable[[], Any], extra: list | None = None) -> tuple[Any, list, list]:
        """``make()``, the findings it added and the entries it added to ``extra``."""
        self.log, start = [], len(extra) if extra is not None else 0
        try:
            value = make()
            return value, self.log, extra[start:] if extra is not None else []
        finally:
            self.log = None


@record
class NodeMemory:
    """What the last run built for one node template: by product (``render``,
    ``requirements``, ``vertex``, ``edges``), the product, the findings made
    while building it, and the entries it added to the list its phase keeps
    (unresolved requirements, the compiler's notes)."""

    raw: dict  # the node template as written
    names: frozenset  # every string written in it: the node templates it may name
    built: dict[str, tuple[Any, list, list]] = field(default_factory=dict)


PRODUCTS = ("render", "requirements", "vertex", "edges")  # the last three are kept together or not at all
PLACED_ENTRIES = ("vertex",)  # products whose entries are findings (notes), moved with the lines


@record
class Memory:
    """The last complete run on one document."""

    options: Any  # the loading options it ran with (identity)
    raw: bytes  # the document's text
    document: Any  # the document as read
    libraries: tuple  # what every other file read was
    types: Any
    typed: list  # the findings of building the types
    nodes: dict[str, NodeMemory]


# Line breaks of YAML besides \n (and \r\n): lines counted by \n would not be the reader's lines.
_OTHER_BREAKS = re.compile(b"\r(?!\n)|\xc2\x85|\xe2\x80[\xa8\xa9]")


class Lines:
    """Where a line of the old text is in the new one: the lines before the
    first change stay, the lines after the last one move by the lines added.
    ``counted`` is False when the texts break lines otherwise than by \n:
    then nothing can be moved."""

    def __init__(self, old: bytes, new: bytes):
        self.counted = not (_OTHER_BREAKS.search(old) or _OTHER_BREAKS.search(new))
        shortest = min(len(old), len(new))
        start = same_run(old, new, shortest, lambda text, a, b: text[a:b])
        tail = same_run(old, new, shortest - start, lambda text, a, b: text[len(text) - b:len(text) - a])
        self.first = old.count(b"\n", 0, start)  # lines before it are the same
        self.last = old.count(b"\n", 0, len(old) - tail)  # lines after it are the same, moved
        self.shift = new.count(b"\n", 0, len(new) - tail) - self.last
        self.same = old == new

    def moved(self, found: list[Diagnostic], file: str) -> list[Diagnostic] | None:
        """The findings with their places in the new text; None when one is on a changed line."""
        if self.same or not found:
            return found
        if not self.counted:
            return None
        result = []
        for finding in found:
            location = finding.location
            if location.file != file or location.line - 1 < self.first:
                result.append(finding)
            elif location.line - 1 > self.last:
                result.append(finding if not self.shift else
                              finding.with_location(Location(file, location.line + self.shift, location.column)))
            else:
                return None
        return result


class Reuse:
    """The memory of one open document between runs, and the hooks the
    phases call (see :func:`primage_tosca.pipeline.run`)."""

    def __init__(self) -> None:
        self.memory: Memory | None = None
        self._calls: dict[tuple, tuple[Any, list[Call]]] = {}  # (name, id of its text) -> (the text, its calls)
        self._run: _Run | None = None
        self.counts: dict[str, int] = {}  # how many products the last run took from memory, by phase

    def forget(self) -> None:
        self.memory = None
        self._calls.clear()

    # -- around a run -----------------------------------------------------------------------------
    def begin(self, raw: bytes | None, options: Any) -> None:
        """A run on ``raw`` (the document's text, None when it is read from disk) starts."""
        self._run = _Run(raw, options, self.memory if raw is not None and self.memory is not None
                         and self.memory.options is options else None)
        self.counts = self._run.counts

    def end(self, compilation: Any) -> None:
        """The run is over: remember it when it went through every phase."""
        run, self._run = self._run, None
        complete = compilation is not None and compilation.stopped_at is None and compilation.topology is not None
        if run is None or not complete or run.raw is None or run.types is None:
            self.forget()
            return
        self.memory = Memory(run.options, run.raw, run.template.document, run.libraries, run.types, run.typed,
                             run.nodes)
        current = {(name, id(memory.raw)) for name, memory in run.nodes.items()}
        for key in [k for k in self._calls if k[:2] not in current]:
            del self._calls[key]

    # -- the hooks ------------------------------------------------------------------------------
    def collector(self) -> RecordingCollector:
        self._run.collector = RecordingCollector()
        return self._run.collector

    def types(self, template: Any, collector: RecordingCollector) -> Any:
        run = self._run
        run.template = template
        run.libraries = libraries_of(template)
        plan = run.plan()
        if plan is None:
            run.types, run.typed, _ = collector.recording(lambda: build_types(template, collector))
            return run.types
        run.types, run.typed = plan
        run.types.values.report.collector = collector  # its findings go to this run now
        collector.extend(run.typed)
        run.counts["types"] = 1
        return run.types

    def node(self, name: str, make: Callable[[], Any]) -> Any:
        return self._product("render", name, make)

    def requirements(self, name: str, make: Callable[[], Any], unresolved: list) -> Any:
        return self._product("requirements", name, make, unresolved)

    def vertex(self, name: str, make: Callable[[], Any], notes: list) -> Any:
        return self._product("vertex", name, make, notes)

    def edges(self, name: str, make: Callable[[], Any]) -> Any:
        return self._product("edges", name, make)

    def _product(self, product: str, name: str, make: Callable[[], Any], entries: list | None = None) -> Any:
        """The product kept from the last run, its findings reported again and
        its entries added again; else ``make()``, recorded."""
        run = self._run
        kept = run.kept.get(name)
        kept = kept.get(product) if kept is not None else None
        if kept is not None:
            run.collector.extend(kept[1])
            if entries is not None:
                entries.extend(kept[2])
            if product == "render":  # the node template points to the document as read now
                kept = (_moved_to(kept[0], run.template.document_of(kept[0].path)), kept[1], kept[2])
            run.counts[product] += 1
        else:
            kept = run.collector.recording(make, entries)
        memory = run.nodes.get(name) or run.memory_of(name)
        memory.built[product] = kept
        return kept[0]

    def calls(self, value: Any, path: tuple, is_call: Callable[[Any], bool]) -> Iterator[Call]:
        """What ``calls_in(value, path, is_call)`` gives, each node template's calls
        found once for its text."""
        nodes = value.get(NODES) if isinstance(value, dict) else None
        if path != (TOPOLOGY,) or not isinstance(nodes, dict) or is_call(value) or is_call(nodes):
            yield from calls_in(value, path, is_call)
            return
        for key, section in value.items():
            if key != NODES:
                if isinstance(section, (dict, list)):
                    yield from calls_in(section, path + (key,), is_call)
                continue
            for name, raw in section.items():
                if isinstance(raw, (dict, list)):
                    yield from self._node_calls(name, raw, is_call)

    def _node_calls(self, name: Any, raw: Any, is_call: Callable[[Any], bool]) -> list[Call]:
        key = (name, id(raw), is_call)
        found = self._calls.get(key)
        if found is None or found[0] is not raw:
            found = self._calls[key] = (raw, list(calls_in(raw, (TOPOLOGY, NODES, name), is_call)))
        return found[1]


class _Run:
    """One run: what it may take from memory, and what it builds."""

    def __init__(self, raw: bytes | None, options: Any, memory: Memory | None):
        self.raw, self.options, self.memory = raw, options, memory
        self.collector: RecordingCollector | None = None
        self.template: Any = None
        self.libraries: tuple = ()
        self.types: Any = None
        self.typed: list = []
        self.nodes: dict[str, NodeMemory] = {}
        self.kept: dict[str, dict[str, tuple]] = {}  # name -> product -> what the hooks give, moved
        self.counts = {"types": 0, "render": 0, "requirements": 0, "vertex": 0, "edges": 0}

    def memory_of(self, name: str) -> NodeMemory:
        found = self.nodes.get(name)
        if found is None:  # a node template the plan did not see (not a map): remembered, never reused
            found = self.nodes[name] = NodeMemory({}, frozenset())
        return found

    def plan(self) -> tuple[Any, list] | None:
        """The types and their findings to reuse, with what each node template
        may reuse in ``kept``; None when the types
        are built again (and so everything else)."""
        self._remember_nodes()
        memory, template = self.memory, self.template
        if memory is None or self.libraries != memory.libraries or hasattr(template.document, "owner") \
                or template.parent_sources or not _reusable_types(memory.types):
            return None
        lines = Lines(memory.raw, self.raw)
        if not lines.counted and not lines.same:
            return None
        old_data, new_data = memory.document.data, template.data
        if not _same_outside_nodes(old_data, new_data) \
                or not _sections_untouched(memory.document, lines, memory.raw.count(b"\n") + 1):
            return None
        file = template.document.file
        typed = lines.moved(memory.typed, file) if file == memory.document.file else None
        if typed is None:
            return None
        _point_types_to(memory.types, memory.document, template.document)
        old_nodes, new_nodes = old_data[TOPOLOGY][NODES], new_data[TOPOLOGY][NODES]
        changed = {name for name, raw in new_nodes.items() if not same(raw, old_nodes[name])}
        affected = _naming(self.nodes, changed)
        for name in self.nodes:
            before = memory.nodes.get(name)  # the same object as this run's when the text is the same object
            if before is None or name in changed:
                continue
            # a node template that names a changed one is rendered the same, but resolved and evaluated again
            kept = _kept(before, ("render",) if name in affected else PRODUCTS, lines, file)
            if kept is None and name not in affected:
                kept = _kept(before, ("render",), lines, file)
            if kept is not None:
                self.kept[name] = kept
        return memory.types, typed

    def _remember_nodes(self) -> None:
        """A memory for each node template written as a map (the names in it
        taken from the last run's when its text is the same object)."""
        data = self.template.data
        section = data.get(TOPOLOGY) if isinstance(data, dict) else None
        nodes = section.get(NODES) if isinstance(section, dict) else None
        if not isinstance(nodes, dict):
            return
        before = self.memory.nodes if self.memory is not None else {}
        for name, raw in nodes.items():
            if isinstance(name, str) and isinstance(raw, dict):
                old = before.get(name)
                # the same text: the same memory, which this run's products replace as they are made
                self.nodes[name] = old if old is not None and old.raw is raw else NodeMemory(raw, frozenset(_strings(raw)))


def _kept(memory: NodeMemory, products: tuple[str, ...], lines: Lines, file: str) -> dict | None:
    """The products of a node template's memory with their findings moved
    to the new text; None when one is missing or has a finding on an edited line."""
    kept = {}
    for product in products:
        found = memory.built.get(product)
        if found is None:
            return None
        if found[1] or found[2] and product in PLACED_ENTRIES:
            findings = lines.moved(found[1], file)
            entries = lines.moved(found[2], file) if product in PLACED_ENTRIES else found[2]
            if findings is None or entries is None:
                return None
            found = (found[0], findings, entries)
        kept[product] = found
    return kept


def _point_types_to(types: Any, old: Any, new: Any) -> None:
    """The kept types the edited document defines point to it as read now: a
    check that asks whether a type is the template's own compares documents."""
    for kind in KINDS:
        for found in types.system.own(kind).values():
            if found.document is old:
                found.document = new


def _moved_to(node: Any, document: Any) -> Any:
    """A copy of a kept node template that points to the document as read now."""
    try:
        found = object.__new__(type(node))
        found.__dict__.update(node.__dict__)
    except AttributeError:  # a class without a __dict__
        found = copy.copy(node)
    found.document = document
    return found


def libraries_of(template: Any) -> tuple:
    """What every file the template reads besides itself is: name, content, dialect, prefix."""
    root = template.sources.root
    return tuple((d.file, d.sha256, d.ok, d.url, str(template.dialects.get(id(d))), template.prefixes.get(id(d)))
                 for d in template.all_documents() if d is not root)


def _reusable_types(types: Any) -> bool:
    """The types report through one reporter that can be pointed at another run's collector."""
    report = getattr(getattr(types, "values", None), "report", None)
    return isinstance(report, Reporter) and getattr(types.definitions, "_report", None) is report


def _same_outside_nodes(old: Any, new: Any) -> bool:
    """The two documents differ at most in their node templates, which are maps
    (no ``copy``) with the same names in the same order."""
    if not isinstance(old, dict) or not isinstance(new, dict) or not _same_keys(old, new):
        return False
    if not all(same(value, new[key]) for key, value in old.items() if key != TOPOLOGY):
        return False
    old_topology, new_topology = old.get(TOPOLOGY), new.get(TOPOLOGY)
    if not isinstance(old_topology, dict) or not isinstance(new_topology, dict) \
            or not _same_keys(old_topology, new_topology):
        return False
    if not all(same(value, new_topology[key]) for key, value in old_topology.items() if key != NODES):
        return False
    old_nodes, new_nodes = old_topology.get(NODES), new_topology.get(NODES)
    return isinstance(old_nodes, dict) and isinstance(new_nodes, dict) and _same_keys(old_nodes, new_nodes) \
        and all(isinstance(raw, dict) and "copy" not in raw for raw in new_nodes.values())


def _sections_untouched(document: Any, lines: Lines, count: int) -> bool:
    """No line the edit changed is in a section other than the topology
    template, and no type definition (whose places the kept types point to)
    moved. ``count`` is the number of lines of the old text."""
    if lines.same:
        return True
    keys = document.parsed.keys
    starts = sorted((keys[(key,)][0] - 1, key) for key in document.data if (key,) in keys)
    for index, (start, key) in enumerate(starts):
        end = starts[index + 1][0] - 1 if index + 1 < len(starts) else count - 1  # lines from 0, both ends in
        if key == TOPOLOGY:
            continue
        if start <= lines.last and end >= lines.first:
            return False
        if key in KINDS and lines.shift and start > lines.last:
            return False
    return True


def _same_keys(old: dict, new: dict) -> bool:
    return len(old) == len(new) and all(type(a) is type(b) and a == b for a, b in zip(old, new))


def same(old: Any, new: Any) -> bool:
    """Equal, and of the same types all the way down (``1``, ``1.0`` and ``true`` differ)."""
    if old is new:
        return True
    if type(old) is not type(new):
        return False
    if isinstance(old, dict):
        return _same_keys(old, new) and all(same(value, new[key]) for key, value in old.items())
    if isinstance(old, list):
        return len(old) == len(new) and all(same(a, b) for a, b in zip(old, new))
    return old == new


def _strings(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, str):
            yield current
        elif isinstance(current, dict):
            stack.extend(current)
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def _naming(nodes: dict[str, NodeMemory], changed: set[str]) -> set[str]:
    """The changed node templates and every one that names one of them, directly or through others."""
    affected = set(changed)
    while True:
        more = {name for name, memory in nodes.items() if name not in affected and not memory.names.isdisjoint(affected)}
        if not more:
            return affected
        affected |= more
