"""Ansible plays as YAML text, the text PyYAML would write, written faster.

A compile writes a play per configure, and ``yaml.dump`` spends most of its
time building events and crossing into libyaml for every scalar. For the plain
data of plays (maps, lists, strings, numbers, booleans, null) :func:`play_text`
writes the block layout itself and decides each string's quoting by the
emitter's rules, remembering the decision per text. Anything else (another
type, a key that needs the ``?`` form, very deep or self-containing data, an
odd width) goes to ``yaml.dump`` whole, so the result never differs.

The rules followed are those of libyaml's emitter (PyYAML's C dumper), with
``allow_unicode``, indent 2 and ``default_flow_style=False``: a string is
plain when nothing in it reads as YAML syntax and the resolver reads it back
as a string; else single-quoted unless it holds characters that must be
escaped or a space next to a line break; else double-quoted with escapes.
Long lines fold at a space once past the width.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

_LIBYAML = hasattr(yaml, "CSafeDumper")  # PyYAML's own emitter (without libyaml) folds and escapes otherwise
_STR, _MAP, _SEQ = (f"tag:yaml.org,2002:{kind}" for kind in ("str", "map", "seq"))
_RESOLVED: dict = {}  # (scalar text, implicit flags) -> tag, for every PlainDumper
_RESOLVED_MAX = 100_000


class PlainDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Safe YAML without anchors: a task two operations share is written twice.

    Faster than PyYAML's own for the plain data of plays: strings, maps and
    lists become nodes directly, and the emitter's two tag resolutions per
    scalar are remembered. The nodes are those SafeRepresenter builds, so the
    text is the same."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def represent_data(self, data: Any) -> yaml.Node:
        kind = type(data)
        if kind is str:
            return yaml.ScalarNode(_STR, data, style=self.default_style)
        if self.default_flow_style is None or self.sort_keys:  # PyYAML then chooses per collection
            return super().represent_data(data)
        if kind is dict:
            pairs = [(self.represent_data(key), self.represent_data(value)) for key, value in data.items()]
            return yaml.MappingNode(_MAP, pairs, flow_style=self.default_flow_style)
        if kind is list:
            return yaml.SequenceNode(_SEQ, [self.represent_data(item) for item in data],
                                     flow_style=self.default_flow_style)
        return super().represent_data(data)

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        if kind is not yaml.ScalarNode:
            return super().resolve(kind, value, implicit)
        key = (value, implicit)
        tag = _RESOLVED.get(key)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(_RESOLVED) < _RESOLVED_MAX:
                _RESOLVED[key] = tag
        return tag


def dump_plays(plays: Any, width: int = 256) -> str:
    """PyYAML's text of ``plays``: the call :func:`play_text` answers for."""
    return yaml.dump(plays, Dumper=PlainDumper, default_flow_style=False, explicit_start=True, width=width,
                     sort_keys=False, allow_unicode=True)


def play_text(plays: Any, width: int = 256) -> str:
    """The text ``dump_plays(plays, width)`` returns, byte for byte."""
    if not _LIBYAML or type(width) is not int or not 4 < width < 1 << 31 or PlainDumper.yaml_path_resolvers:
        return dump_plays(plays, width)  # the rules below are libyaml's, for the widths it takes as given
    out = ["---"]
    try:
        if type(plays) is list and plays:
            _sequence(plays, 0, "\n-", out, width, 0)
        elif type(plays) is dict and plays:
            _mapping(plays, 0, "\n", out, width, 0)
        else:
            raise _Fallback
    except _Fallback:
        return dump_plays(plays, width)
    out.append("\n")
    return "".join(out)


class _Fallback(Exception):
    """The data holds something this writer leaves to PyYAML."""


_MAX_DEPTH = 100  # deeper (or self-containing) data goes to PyYAML, which fails on the latter as it always did


def _mapping(data: dict, indent: int, lead: str, out: list, width: int, depth: int) -> None:
    """A block map whose keys start at column ``indent``; ``lead`` goes before the first key."""
    if depth > _MAX_DEPTH:
        raise _Fallback
    pad = "\n" + " " * indent
    for key, value in data.items():
        key_text = _KEYS.get(key) if type(key) is str else None
        if key_text is None:
            key_text = _key_entry(key)
        out.append(lead)
        out.append(key_text)
        lead = pad
        if type(value) is str:  # most values: inline, as the call costs as much as the writing
            entry = _VALUES.get(value) or _value_entry(value)
            column = indent + len(key_text)
            out.append(entry[0] if entry[0] is not None and column + entry[1] <= width else
                       _folded(value, column, indent + 2, width))
        else:  # a list under a key is not indented further, its dashes under the key
            _nested(value, indent + 2, "\n" + " " * (indent + 2), indent, pad + "-", out, width, depth)


def _sequence(items: list, indent: int, lead: str, out: list, width: int, depth: int) -> None:
    """A block list whose dashes are at column ``indent``; ``lead`` writes the first dash."""
    if depth > _MAX_DEPTH:
        raise _Fallback
    pad = "\n" + " " * indent + "-"
    for item in items:
        out.append(lead)
        lead = pad
        if type(item) is str:
            entry = _VALUES.get(item) or _value_entry(item)
            out.append(entry[0] if entry[0] is not None and indent + 1 + entry[1] <= width else
                       _folded(item, indent + 1, indent + 2, width))
        else:  # a map or list in a list starts on the dash's line
            _nested(item, indent + 2, " ", indent + 2, " -", out, width, depth)


def _nested(value: Any, map_indent: int, map_lead: str, list_indent: int, list_lead: str, out: list, width: int,
            depth: int) -> None:
    """A value other than a string: a map or list laid out as its parent
    says, ``{}`` or ``[]`` when empty, or a number, boolean or null."""
    kind = type(value)
    if kind is dict:
        if value:
            _mapping(value, map_indent, map_lead, out, width, depth + 1)
        else:
            out.append(" {}")
    elif kind is list:
        if value:
            _sequence(value, list_indent, list_lead, out, width, depth + 1)
        else:
            out.append(" []")
    else:
        out.append(_other_value(value))


# -- scalars ----------------------------------------------------------------------------------------

_BREAKS = "\n\r\x85\u2028\u2029"
# libyaml's printable characters with allow_unicode: no tab, no C1 controls, nothing beyond the BMP.
# Each class has an ASCII twin: a class with wide ranges takes milliseconds to compile (re maps
# every code point), so the full one is compiled only when a text goes beyond ASCII.
_NOT_PRINTABLE = (re.compile(r"[^\n\x20-\x7e]"), r"[^\n\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # not UTF-8: PyYAML raises, and so it should
_HAS_BREAK = re.compile(f"[{_BREAKS}]")
_SPACE_AT_BREAK = re.compile(f" [{_BREAKS}]|[{_BREAKS}] ")
# what starts YAML syntax at the head of a plain scalar in block context
_SYNTAX_START = re.compile(r"---|\.\.\.|[#,\[\]{}&*!|>'\"%@`]|[?:-](?: |\Z)")
_ESCAPED = (re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]"),
            r"[^\x20\x21\x23-\x5b\x5d-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]")
_WIDE: dict[str, re.Pattern] = {}  # the full classes, compiled on first use


def _class_for(text: str, pattern: tuple) -> re.Pattern:
    """The ASCII twin of a character class for ASCII text, else the full class."""
    if text.isascii():
        return pattern[0]
    compiled = _WIDE.get(pattern[1])
    if compiled is None:
        compiled = _WIDE[pattern[1]] = re.compile(pattern[1])
    return compiled

_ESCAPES = {"\0": "\\0", "\a": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\v": "\\v", "\f": "\\f",
            "\r": "\\r", "\x1b": "\\e", '"': '\\"', "\\": "\\\\", "\x85": "\\N",
            "\u2028": "\\L", "\u2029": "\\P"}

PLAIN, SINGLE, DOUBLE = "plain", "single", "double"


def scalar_style(text: str) -> str:
    """How libyaml writes ``text`` as a block-context string: PLAIN, SINGLE or DOUBLE (quoted)."""
    special = _class_for(text, _NOT_PRINTABLE).search(text) is not None
    if not special and _plain_allowed(text) and _implicit_tag(text) == _STR:
        return PLAIN
    if special or _SPACE_AT_BREAK.search(text):
        return DOUBLE
    return SINGLE


def _plain_allowed(text: str) -> bool:
    """No line break, no space at either end, nothing that reads as an indicator or comment."""
    return (text != "" and text[0] != " " and text[-1] != " " and _HAS_BREAK.search(text) is None
            and _SYNTAX_START.match(text) is None and ": " not in text and " #" not in text
            and text[-1] != ":")


def _implicit_tag(text: str) -> str:
    """The tag PyYAML's resolver gives ``text`` written plain (as the dumper's
    resolve(ScalarNode, text, (True, False)) does, from the same table)."""
    table = PlainDumper.yaml_implicit_resolvers
    for tag, pattern in table.get(text[:1], []) + table.get(None, []):
        if pattern.match(text):
            return tag
    return _STR


def _quoted(text: str, style: str) -> str:
    """``text`` on one line in its style (no folding)."""
    if style == PLAIN:
        return text
    if style == SINGLE:
        return "'" + text.replace("'", "''") + "'"
    return '"' + _class_for(text, _ESCAPED).sub(_escape, text) + '"'


def _escape(match: re.Match) -> str:
    char = match.group()
    known = _ESCAPES.get(char)
    if known:
        return known
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02X}"
    return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"


_VALUES: dict = {}  # text -> (" " + its one-line form, or None when it spans lines; how far it reaches)
_KEYS: dict = {}  # text -> its one-line form + ":"
_MEMO_MAX = 50_000


def _value_entry(text: str) -> tuple:
    """How a string value is written after a dash or key: its one-line text
    with the separating space, and the length that may fold at the width
    (0 when it has no space to fold at)."""
    if _SURROGATE.search(text):
        raise _Fallback
    style = scalar_style(text)
    if style == SINGLE and _HAS_BREAK.search(text):
        entry: tuple = (None, 0)  # its lines are indented by where it stands
    else:
        piece = " " + _quoted(text, style)
        entry = (piece, len(piece) if " " in text else 0)
    if len(_VALUES) < _MEMO_MAX:
        _VALUES[text] = entry
    return entry


def _key_entry(key: Any) -> str:
    """A key as written before its value; keys that need the ``? `` form
    (line breaks, over 128 bytes) and keys of other types go to PyYAML."""
    if type(key) is not str:
        text = _other_value(key)[1:]
        if len(text) > 128:
            raise _Fallback
        return text + ":"
    if _SURROGATE.search(key) or _HAS_BREAK.search(key) or (len(key) > 32 and len(key.encode()) > 128):
        raise _Fallback
    text = _quoted(key, scalar_style(key)) + ":"
    if len(_KEYS) < _MEMO_MAX:
        _KEYS[key] = text
    return text


def _other_value(value: Any) -> str:
    """A number, boolean or null as SafeRepresenter writes it, with its space."""
    kind = type(value)
    if value is None:
        return " null"
    if kind is bool:
        return " true" if value else " false"
    if kind is int:
        try:
            text = str(value)
        except ValueError:  # more digits than Python converts
            raise _Fallback from None
        return " " + text
    if kind is float:
        text = _float_text(value)
        if _implicit_tag(text) != "tag:yaml.org,2002:float":  # would need an explicit tag
            raise _Fallback
        return " " + text
    raise _Fallback


def _float_text(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if value in (float("inf"), float("-inf")):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value).lower()
    if "." not in text and "e" in text:
        text = text.replace("e", ".0e", 1)
    return text


def _folded(text: str, column: int, indent: int, width: int) -> str:
    """A string value that may fold at the width or spans lines, written as
    libyaml does from ``column`` (just after the dash or colon); continuation
    lines start at ``indent``."""
    style = scalar_style(text)
    line = _Line(column, indent, width)
    if style == PLAIN:
        line.plain(text)
    elif style == SINGLE:
        line.single(text)
    else:
        line.double(text)
    return "".join(line.out)


class _Line:
    """The emitter's position while it writes one scalar: the column, and
    whether the line so far is only indentation (``indention``) or ends in
    whitespace — the two flags libyaml's write_indent consults."""

    def __init__(self, column: int, indent: int, width: int) -> None:
        self.out = [" "]  # the space after the dash or colon
        self.column = column + 1
        self.indent = indent
        self.width = width
        self.whitespace = False
        self.indention = False

    def put(self, text: str) -> None:
        self.out.append(text)
        self.column += len(text)

    def newline(self) -> None:
        self.out.append("\n")
        self.column = 0

    def write_indent(self) -> None:
        if not self.indention or self.column > self.indent or (self.column == self.indent and not self.whitespace):
            self.newline()
        if self.column < self.indent:
            self.put(" " * (self.indent - self.column))
        self.whitespace = True
        self.indention = True

    def folds_at(self, text: str, i: int, spaces: bool) -> bool:
        """Whether the space at ``text[i]`` becomes a line break."""
        return not spaces and self.column > self.width and text[i + 1:i + 2] != " "

    def plain(self, text: str) -> None:
        spaces = False
        for i, char in enumerate(text):
            if char == " ":
                if self.folds_at(text, i, spaces):
                    self.write_indent()
                else:
                    self.put(" ")
                spaces = True
            else:  # a plain scalar holds no line break
                self.put(char)
                self.indention = False
                spaces = False

    def single(self, text: str) -> None:
        self.put("'")
        spaces = breaks = False
        last = len(text) - 1
        for i, char in enumerate(text):
            if char == " ":
                if 0 < i < last and self.folds_at(text, i, spaces):
                    self.write_indent()
                else:
                    self.put(" ")
                spaces = True
            elif char in _BREAKS:
                if not breaks and char == "\n":
                    self.newline()
                self.out.append(char)  # the break itself
                self.column = 0
                self.indention = True
                breaks = True
            else:
                if breaks:
                    self.write_indent()
                self.put("''" if char == "'" else char)
                self.indention = False
                spaces = breaks = False
        if breaks:
            self.write_indent()
        self.put("'")

    def double(self, text: str) -> None:
        self.put('"')
        spaces = False
        last = len(text) - 1
        escapes = _class_for(text, _ESCAPED)
        for i, char in enumerate(text):
            escaped = escapes.match(char)
            if escaped:
                self.put(_escape(escaped))
                spaces = False
            elif char == " ":
                if 0 < i < last and not spaces and self.column > self.width:
                    self.write_indent()
                    if text[i + 1] == " ":
                        self.put("\\")
                else:
                    self.put(" ")
                spaces = True
            else:
                self.put(char)
                spaces = False
        self.put('"')


__all__ = ["DOUBLE", "PLAIN", "SINGLE", "PlainDumper", "dump_plays", "play_text", "scalar_style"]
