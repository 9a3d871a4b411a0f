"""Reading YAML with a position for every key and value.

PyYAML's loaders throw positions away and silently keep the last of two equal
keys. This module walks the YAML *event* stream itself (libyaml's parser when
present), builds plain dicts and lists exactly as ``yaml.safe_load`` would, and
keeps, beside the data, a table from template path to line and column.

It also enforces the limits that make validating untrusted files safe: a byte
cap checked before reading, a nesting limit, and an alias-expansion budget
against "billion laughs" documents. Every problem becomes a :class:`Problem`
with a position; nothing here raises for bad input.
"""

from __future__ import annotations

import codecs
import re
from typing import Any

import yaml
from yaml.nodes import ScalarNode

from ..records import field, record

try:  # libyaml's event parser is about five times faster than PyYAML's own
    from yaml import CSafeLoader as _EventLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _EventLoader

Path = tuple
Position = tuple  # (line, column), both from 1


@record(frozen=True)
class Limits:
    """Bounds on what one file may cost to read."""

    max_bytes: int = 10 * 1024 * 1024
    max_depth: int = 200
    max_nodes: int = 2_000_000  # after alias expansion


DEFAULT_LIMITS = Limits()


@record(frozen=True)
class Problem:
    """A problem found while reading, before the file's name is attached."""

    rule: str
    message: str
    line: int = 1
    column: int = 1
    path: Path = ()
    hint: str | None = None


@record
class ParsedYaml:
    """The result of reading one file's bytes. Independent of the file's name,
    so equal contents can share one parse (see :mod:`primage_tosca.source.cache`)."""

    data: Any = None
    values: dict[Path, Position] = field(default_factory=dict)
    keys: dict[Path, Position] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # True when the data is a tree of the text's collections, each at the one path the tables give it,
    # and ``keys`` holds every key of it in the order the text writes them: no alias of a collection, no
    # merge key, no collection as a key, no duplicate key. A reader that looks for keys of one name (the
    # calls of many YAML dialects) may then scan ``keys`` instead of walking every value of ``data``.
    tree: bool = field(default=False, repr=False, compare=False)
    yaml_1_2: bool = field(default=False, repr=False, compare=False)  # read by YAML 1.2's core schema

    @property
    def ok(self) -> bool:
        return self.data is not None


class _Abort(Exception):
    """Stops the walk after a problem that makes the rest meaningless."""


_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
_VALUE_TAG = "tag:yaml.org,2002:value"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_COLLECTION_TAGS = {_MAP_TAG, _SEQ_TAG} | {f"tag:yaml.org,2002:{name}" for name in ("set", "omap", "pairs")}
_KEY_PART = "<key>"  # the path part under which a complex key's own contents sit
_NO_KEY = object()  # no key is pending: None cannot say that, `null:` is a key


class ComplexKey:
    """A mapping or sequence used as a mapping key (TOSCA 1.3 lets a map's
    key be any value of its key_schema, or a function call). Python keys must
    be hashable, so the value is wrapped; ``value`` is the collection itself."""

    __slots__ = ("value", "_text")

    def __init__(self, value: Any):
        self.value = value
        self._text = _canonical(value)

    def __hash__(self) -> int:
        return hash(self._text)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ComplexKey) and other._text == self._text

    def __repr__(self) -> str:
        return self._text

    __str__ = __repr__


def _canonical(value: Any) -> str:
    """A stable text of a YAML value, for hashing and showing a complex key."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_canonical(k)}: {_canonical(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_canonical(v) for v in value) + "]"
    return repr(value) if isinstance(value, str) else str(value)


# Plain scalars repeat within a file and across the files of a run (keys, type
# names, numbers): each short text is resolved and constructed once per process.
# Only texts read without a problem are kept, and every scalar constructor
# returns an immutable value, so sharing one is safe.
_PLAIN: dict[str, Any] = {}
_PLAIN_1_2: dict[str, Any] = {}  # the same for files read as YAML 1.2
_PLAIN_MAX = 100_000  # a long-lived process (the language server) reads many texts: it starts again
_PLAIN_TEXT_MAX = 200


class _Frame:
    __slots__ = ("obj", "path", "anchor", "size", "key", "key_path", "merges", "is_map", "start", "is_key")

    def __init__(self, obj, path, anchor, is_map, start, is_key=False):
        self.obj = obj
        self.start = start
        self.path = path
        self.anchor = anchor
        self.size = 1
        self.key = _NO_KEY
        self.key_path = None  # path + (key,), made once: the keys' and values' tables share it
        self.merges = None  # the values of a map's merge keys ('<<'), once it has one
        self.is_map = is_map
        self.is_key = is_key  # the collection is a mapping key, not a value


# -- YAML 1.2 -----------------------------------------------------------------
# A TOSCA 2.0 file is YAML 1.2, whose core schema reads fewer plain scalars as non-strings than
# YAML 1.1 (PyYAML's): yes, no, on, off, 1:20, 2020-01-01 and 010 are text or decimal there, and
# 1e3 and 0o17 numbers. A file that declares tosca_2_0 is read with the core schema's resolvers.
_DECLARES_2_0 = re.compile(r"^tosca_definitions_version[ \t]*:[ \t]*[\"']?tosca_2_0[\"']?[ \t]*(#.*)?$", re.M)
_INT_TAG = "tag:yaml.org,2002:int"


def _core_schema() -> dict:
    table: dict = {}
    for tag, pattern, first in [
        ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
        # a sign before 0o and 0x too, as YAML 1.1 readers take it
        ("int", r"^[-+]?(?:[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
        ("float", r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                  r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+.0123456789"),
        ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
        ("merge", r"^<<$", "<"),
    ]:
        for char in first:
            table.setdefault(char, []).append((f"tag:yaml.org,2002:{tag}", re.compile(pattern)))
    return table


class _EventLoader12(_EventLoader):
    yaml_implicit_resolvers = _core_schema()


def _int_1_2(text: str) -> int:
    """A YAML 1.2 integer: decimal (010 is ten), 0o octal or 0x hexadecimal."""
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("+-")
    base = {"0o": 8, "0x": 16}.get(body[:2].lower(), 10)
    return sign * int(body[2:] if base != 10 else body, base)


class _Builder:
    def __init__(self, limits: Limits, yaml_1_2: bool = False):
        self.limits = limits
        self.result = ParsedYaml()
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.anchor_places: dict[str, Position] = {}
        self.total = 0
        self.root: Any = None
        self.have_root = False
        self._constructor = yaml.constructor.SafeConstructor()
        self.plain = _PLAIN_1_2 if yaml_1_2 else _PLAIN  # plain scalar text -> its value, shared by every file read
        self.yaml_1_2 = yaml_1_2
        self.tree = True  # see ParsedYaml.tree

    # -- problems -------------------------------------------------------
    def problem(self, rule, message, pos, path=(), hint=None):
        self.result.problems.append(Problem(rule, message, pos[0], pos[1], tuple(path), hint))

    # -- scalars --------------------------------------------------------
    def scalar_value(self, loader, event, pos):
        tag = event.tag
        if tag is None:
            if not event.implicit[0]:  # quoted without a tag: always a string
                return event.value
            # Plain scalars repeat a lot (keys, type names, numbers): resolve and
            # construct each text once. Every scalar constructor returns an immutable value.
            known = self.plain.get(event.value, _NO_KEY)
            if known is not _NO_KEY:
                return known
            problems = len(self.result.problems)
            value = self.construct(loader, event, pos, loader.resolve(ScalarNode, event.value, event.implicit))
            if len(self.result.problems) == problems and len(event.value) <= _PLAIN_TEXT_MAX:
                if len(self.plain) >= _PLAIN_MAX:
                    self.plain.clear()
                self.plain[event.value] = value
            return value
        if tag == "!":
            tag = loader.resolve(ScalarNode, event.value, event.implicit)
        return self.construct(loader, event, pos, tag)

    def construct(self, loader, event, pos, tag):
        if tag == _STR_TAG or tag == _VALUE_TAG:  # a plain '=' is YAML 1.1's "value" type: text in TOSCA
            return event.value
        if tag == _INT_TAG and self.yaml_1_2:
            try:
                return _int_1_2(event.value)
            except ValueError:
                pass  # an explicit !!int on odd text: PyYAML's constructor says why below
        construct = self._constructor.yaml_constructors.get(tag)
        if construct is None or tag in _COLLECTION_TAGS:
            # PyYAML's collection constructors are generators: never data for a scalar
            what = "unknown YAML tag" if construct is None else "a collection's YAML tag on a scalar:"
            self.problem("PT108", f"{what} {tag!r}; the value is read as a string", pos,
                         self.current_path(), "TOSCA uses plain YAML: drop the tag")
            return event.value
        node = ScalarNode(tag, event.value, style=event.style)
        try:
            return construct(self._constructor, node)
        except Exception as exc:  # noqa: BLE001 - PyYAML's constructors raise anything on odd text ('!!int' alone)
            reason = str(exc) if isinstance(exc, (yaml.YAMLError, ValueError)) else "not a valid value"
            self.problem("PT100", f"cannot read {event.value!r} as {tag.rsplit(':', 1)[-1]}: {reason}", pos,
                         self.current_path())
            return event.value

    def current_path(self) -> Path:
        if not self.stack:
            return ()
        top = self.stack[-1]
        if top.is_map:
            return top.path + ((top.key,) if top.key is not _NO_KEY else ())
        return top.path + (len(top.obj),)

    # -- attaching values -------------------------------------------------
    def attach(self, value, size, pos):
        """Put a finished value into its parent (or make it the root), and
        note its position under its path."""
        if not self.stack:
            self.root, self.have_root = value, True
            return
        top = self.stack[-1]
        top.size += size
        if not top.is_map:
            self.result.values[top.path + (len(top.obj),)] = pos
            top.obj.append(value)
            return
        key = top.key
        top.key = _NO_KEY
        if key is _MERGE_TAG:
            if top.merges is None:
                top.merges = []
            top.merges.append((value, pos))
            return
        top.obj[key] = value
        self.result.values[top.key_path] = pos

    def take_key(self, key, pos):
        top = self.stack[-1]
        path = top.path + (key,)
        try:
            duplicate = key in top.obj
        except TypeError:  # unhashable key (e.g. a timestamp list); cannot happen for scalars
            duplicate = False
        if duplicate:
            self.tree = False  # the first value is gone from the data
            first = self.result.keys.get(path, pos)
            self.problem(
                "PT102",
                f"duplicate key {key!r} (first at line {first[0]}); YAML loaders keep only the last",
                pos, path, "remove or rename one of the two keys",
            )
        top.key = key
        top.key_path = path
        self.result.keys[path] = pos

    # -- the walk ---------------------------------------------------------
    def count(self, size, pos):
        self.total += size
        if self.total > self.limits.max_nodes:
            self.problem(
                "PT106",
                f"the document expands to more than {self.limits.max_nodes:,} values through aliases",
                pos, (), "a YAML alias bomb ('billion laughs') or an oversized document; remove the aliases",
            )
            raise _Abort

    def on_scalar(self, loader, event, pos):
        top = self.stack[-1] if self.stack else None
        if top is not None and top.is_map and top.key is _NO_KEY:
            if event.tag is None and event.value == "<<" and event.implicit[0]:
                top.key = _MERGE_TAG
                return
            key = self.scalar_value(loader, event, pos)
            if event.anchor:  # an anchored key may be aliased later, as a key or a value
                self.define_anchor(event.anchor, key, 1, pos)
            self.take_key(key, pos)
            return
        value = self.scalar_value(loader, event, pos)
        self.total += 1  # count(1, pos), inline: this runs for every value of the file
        if self.total > self.limits.max_nodes:
            self.count(0, pos)
        if event.anchor:
            self.define_anchor(event.anchor, value, 1, pos)
        self.attach(value, 1, pos)

    def define_anchor(self, anchor, value, size, pos):
        """PyYAML refuses a file that defines an anchor twice; we keep the
        later one, as YAML 1.2 does, and say so."""
        if anchor in self.anchor_places:
            first = self.anchor_places[anchor]
            self.problem("PT100", f"anchor &{anchor} is defined twice (first at line {first[0]}); "
                         "PyYAML refuses such a file", pos, self.current_path(), "rename one of the two anchors")
        self.anchor_places[anchor] = pos
        self.anchors[anchor] = (value, size)

    def on_start(self, event, pos, is_map):
        stack = self.stack
        if len(stack) >= self.limits.max_depth:
            self.problem("PT107", f"nesting deeper than {self.limits.max_depth} levels", pos,
                         self.current_path(), "flatten the document; TOSCA templates need few levels")
            raise _Abort
        as_key = False
        if not stack:
            path = ()
        else:
            top = stack[-1]
            if not top.is_map:
                path = top.path + (len(top.obj),)
            elif top.key is _NO_KEY:  # a collection used as a mapping key
                as_key = True
                self.tree = False
                path = top.path + (_KEY_PART,)
            else:
                path = top.key_path if top.key is not _MERGE_TAG else top.path + (top.key,)
        if event.tag is not None:
            self.check_collection_tag(event.tag, is_map, pos, path)
        self.total += 1  # count(1, pos), inline: once per collection
        if self.total > self.limits.max_nodes:
            self.count(0, pos)
        stack.append(_Frame({} if is_map else [], path, event.anchor, is_map, pos, as_key))

    def check_collection_tag(self, tag, is_map, pos, path):
        """PyYAML refuses unknown tags on collections and builds sets or pairs
        for !!set, !!omap and !!pairs; we read them all as plain collections,
        so say so rather than return different data silently."""
        plain = _MAP_TAG if is_map else _SEQ_TAG
        if tag is None or tag == "!" or tag == plain:
            return
        kind = "mapping" if is_map else "sequence"
        self.problem("PT108", f"YAML tag {tag!r} on a {kind} is not supported; it is read as a plain {kind}",
                     pos, path, "TOSCA uses plain YAML: drop the tag")

    def on_end(self, pos):
        frame = self.stack.pop()
        if frame.is_map:
            if frame.merges:
                self.tree = False  # the merged values are at paths of this map too, their keys listed late
                self.apply_merges(frame)
            # a key without value cannot come from a valid stream
            if frame.key is not _NO_KEY:
                frame.obj[frame.key] = None
        if frame.anchor:
            self.define_anchor(frame.anchor, frame.obj, frame.size, frame.start)
        if frame.is_key:
            self.take_key(ComplexKey(frame.obj), frame.start)
            return
        self.attach(frame.obj, frame.size, frame.start)

    def apply_merges(self, frame):
        """YAML 1.1 merge keys: explicit keys win, earlier merges win over later.
        Merged keys come first, as PyYAML orders them."""
        merged = {}
        for value, pos in frame.merges:
            sources = value if isinstance(value, list) else [value]
            for source in sources:
                if not isinstance(source, dict):
                    self.problem("PT108", "a merge key ('<<') must name a mapping or a list of mappings",
                                 pos, frame.path)
                    continue
                for key, item in source.items():
                    if key not in merged:
                        merged[key] = item
                        self.result.values.setdefault(frame.path + (key,), pos)
                        self.result.keys.setdefault(frame.path + (key,), pos)
        if merged:
            explicit = dict(frame.obj)
            frame.obj.clear()  # the same dict object: an anchor may already hold it
            frame.obj.update(merged)
            frame.obj.update(explicit)

    def on_alias(self, event, pos):
        found = self.anchors.get(event.anchor)
        if found is None:
            if any(frame.anchor == event.anchor for frame in self.stack):
                message = f"alias *{event.anchor} refers to a collection that contains it (a recursive structure)"
            else:
                message = f"alias *{event.anchor} names no anchor defined before it"
            self.problem("PT100", message, pos, self.current_path())
            raise _Abort
        value, size = found
        if self.stack and self.stack[-1].is_map and self.stack[-1].key is _NO_KEY:
            self.take_key(ComplexKey(value) if isinstance(value, (dict, list)) else value, pos)
            return
        if isinstance(value, (dict, list)):
            self.tree = False  # a second path to it, its keys not listed there
        self.count(size, pos)
        self.attach(value, size, pos)


def _pos(mark) -> Position:
    return (mark.line + 1, mark.column + 1)


def _walk(loader, builder: _Builder, lines: int) -> None:
    """Feed the event stream to the builder. A plain or quoted scalar without
    tag or anchor whose text was read before (most keys, names and numbers of
    a template) is placed here, inline, as :meth:`_Builder.on_scalar` would:
    this loop runs once per event and dominates reading a large file."""
    documents = 0
    next_event = loader.get_event
    # one int object per line number, shared by every position on that line: a large
    # file's positions would otherwise hold one each (ints up to 256 are shared anyway)
    line_numbers = list(range(1, lines + 2))
    stack, plain, max_nodes = builder.stack, builder.plain, builder.limits.max_nodes
    values, keys = builder.result.values, builder.result.keys
    scalar_event = yaml.ScalarEvent
    while True:
        event = next_event()
        mark = event.start_mark
        pos = (line_numbers[mark.line], mark.column + 1)  # _pos, inline: once per event
        kind = type(event)
        if kind is scalar_event:
            # (the value that would pass the size limit is left to on_scalar, which stops there)
            if stack and event.tag is None and event.anchor is None and builder.total < max_nodes:
                value = plain.get(event.value, _NO_KEY) if event.implicit[0] else event.value
                if value is not _NO_KEY:  # placed as take_key and attach would place it
                    top = stack[-1]
                    obj = top.obj
                    if not top.is_map:  # a list's item
                        values[top.path + (len(obj),)] = pos
                        obj.append(value)
                        top.size += 1
                        builder.total += 1
                        continue
                    key = top.key
                    if key is _NO_KEY:  # a new key, unless a duplicate, which take_key reports
                        if value not in obj:
                            top.key, top.key_path = value, top.path + (value,)
                            keys[top.key_path] = pos
                            continue
                    elif key is not _MERGE_TAG:  # a key's value (after a merge key, attach's case)
                        obj[key] = value
                        values[top.key_path] = pos
                        top.key = _NO_KEY
                        top.size += 1
                        builder.total += 1
                        continue
            builder.on_scalar(loader, event, pos)
        elif kind is yaml.MappingStartEvent:
            builder.on_start(event, pos, True)
        elif kind is yaml.SequenceStartEvent:
            builder.on_start(event, pos, False)
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            builder.on_end(pos)
        elif kind is yaml.AliasEvent:
            builder.on_alias(event, pos)
        elif kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                builder.problem("PT108", "the file holds more than one YAML document; only the first is read",
                                pos, (), "a TOSCA template is one document: remove the extra '---'")
                raise _Abort
        elif kind is yaml.StreamEndEvent:
            return


def _blank(text: str) -> bool:
    """True when every line is empty or a comment. Line breaks are white space,
    so a first character that is not '#' settles it without splitting the text."""
    start = text.lstrip()[:1]
    if start != "#":
        return not start
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines())


def _line_breaks(text: str) -> int:
    """At least as many line breaks as the YAML parser counts (it also breaks
    lines at a lone CR, NEL and the Unicode line and paragraph separators)."""
    return sum(text.count(mark) for mark in ("\n", "\r", "\x85", "\u2028", "\u2029"))


def _decode(raw: bytes, result: ParsedYaml) -> str | None:
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            result.problems.append(Problem("PT105", "the file starts with a UTF-16 mark but is not UTF-16 text"))
            return None
    if b"\x00" in raw[:8192]:
        result.problems.append(Problem("PT105", "the file holds NUL bytes: it looks binary, not YAML text",
                                       hint="validate TOSCA YAML files only"))
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _byte_line_col(raw, exc.start)
        result.problems.append(Problem(
            "PT105", f"byte 0x{raw[exc.start]:02x} is not valid UTF-8", line, column,
            hint="save the file as UTF-8"))
        return None


def _line_col(raw: bytes | str, offset: int) -> Position:
    newline = b"\n" if isinstance(raw, bytes) else "\n"
    line = raw.count(newline, 0, offset) + 1
    start = raw.rfind(newline, 0, offset) + 1
    return line, offset - start + 1


def _byte_line_col(raw: bytes, offset: int) -> Position:
    """Line and column (in characters, as YAML marks count) of a byte offset
    into UTF-8 text; the bytes before ``offset`` on its line are valid UTF-8."""
    line = raw.count(b"\n", 0, offset) + 1
    start = raw.rfind(b"\n", 0, offset) + 1
    return line, len(raw[start:offset].decode("utf-8", "replace")) + 1


def _reader_error(exc: yaml.reader.ReaderError, text: str) -> Problem:
    # libyaml gives the byte offset in the UTF-8 encoding; PyYAML's own reader a character index
    if _EventLoader is yaml.SafeLoader:
        line, column = _line_col(text, exc.position)
    else:
        line, column = _byte_line_col(text.encode("utf-8", "surrogatepass"), exc.position)
    character = exc.character if isinstance(exc.character, int) else ord(exc.character[:1] or "\0")
    return Problem("PT105", f"character U+{character:04X} is not allowed in YAML", line, column,
                   hint="remove it, or write it as an escape in a double-quoted string")


def _yaml_error(exc: yaml.YAMLError, text: str) -> Problem:
    if isinstance(exc, yaml.reader.ReaderError):
        return _reader_error(exc, text)
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, column = _pos(mark) if mark is not None else (1, 1)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"{context}: {problem}" if context else str(problem)
    if "maximum nesting depth" in message:
        return Problem("PT107", "nesting deeper than YAML's parser allows (1000 levels)", line, column)
    hint = None
    if "\t" in text and "cannot start any token" in message:
        hint = "YAML does not allow tabs for indentation: use spaces"
    return Problem("PT100", message, line, column, hint=hint)


def declares_2_0(text: str) -> bool:
    """Whether a text declares TOSCA 2.0, whose files are YAML 1.2."""
    # a quick look for the version's name first: the line scan costs milliseconds on a large file
    return "tosca_2_0" in text and _DECLARES_2_0.search(text) is not None


def parse_bytes(raw: bytes, limits: Limits = DEFAULT_LIMITS, yaml_1_2: bool | None = None) -> ParsedYaml:
    """Parse one file's bytes into data plus positions. Never raises for bad input.
    ``yaml_1_2`` says which YAML reads them; None: YAML 1.2 when the text
    declares TOSCA 2.0 (a part of a file, read alone, takes the file's)."""
    result = ParsedYaml()
    if len(raw) > limits.max_bytes:
        result.problems.append(Problem(
            "PT104", f"the file is {len(raw):,} bytes, over the {limits.max_bytes:,}-byte limit",
            hint="raise the limit with --max-file-size if the file is genuine"))
        return result
    text = _decode(raw, result)
    if text is None:
        return result
    if _blank(text):
        result.problems.append(Problem("PT103", "the file is empty", hint="a TOSCA template needs at least "
                                       "tosca_definitions_version"))
        return result
    if yaml_1_2 is None:
        yaml_1_2 = declares_2_0(text)
    builder = _Builder(limits, yaml_1_2)
    builder.result = result
    result.yaml_1_2 = yaml_1_2
    loader = (_EventLoader12 if yaml_1_2 else _EventLoader)(text)
    try:
        _walk(loader, builder, _line_breaks(text) + 1)
    except _Abort:
        return result
    except yaml.YAMLError as exc:
        result.problems.append(_yaml_error(exc, text))
        return result
    finally:
        loader.dispose()
    if builder.have_root:
        result.data = builder.root
        result.values.setdefault((), (1, 1))
        result.tree = builder.tree
    if result.data is None:
        result.problems.append(Problem("PT103", "the document is empty (null)"))
    return result
