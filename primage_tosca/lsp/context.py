"""What the cursor is on, read from the text by indentation.

The text being typed is often not valid YAML (``num_`` alone on a line under
``properties:``), so the keys that enclose the cursor are found by walking up
the lines, as a reader of block YAML would: each line with less indentation
than the last one found opens the mapping the cursor is in. A ``- `` list
marker counts as indentation, so ``- host: server0`` sits under
``requirements:``.
"""

from __future__ import annotations

import re

from ..records import record

_KEY = re.compile(r"""(?P<key>[^\s#:'"{}\[\],&*!|>%@`-][^#:{}\[\],]*?|'[^']*'|"[^"]*")\s*:(?=\s|$)""")
_WORD = re.compile(r"[\w.\-:$]+")
_TOSCA_2 = re.compile(r"^tosca_definitions_version\s*:\s*['\"]?tosca_2_", re.MULTILINE)


@record
class Cursor:
    """The cursor's place: the keys that enclose its line (outermost first),
    the key written on its line, whether it is in that key's value, and the
    word under it."""

    path: tuple[str, ...]
    key: str | None
    in_value: bool
    word: str
    prefix: str  # the part of the word before the cursor
    line: str
    column: int  # in characters
    list_item: bool  # the line starts a list item (``- ``)
    tosca2: bool = False  # the file declares TOSCA 2.0 (functions are written `$name`)
    number: int = 0  # the line's number, from 0

    @property
    def full_path(self) -> tuple[str, ...]:
        """The enclosing keys and the key on the line."""
        return self.path + ((self.key,) if self.key is not None else ())

    def before(self) -> str:
        return self.line[:self.column]


def _content(line: str) -> tuple[int, bool]:
    """The column where a line's content starts, past spaces and list markers."""
    column, item = 0, False
    while True:
        while column < len(line) and line[column] == " ":
            column += 1
        if line.startswith("- ", column) or line[column:] == "-":
            column += 2 if line.startswith("- ", column) else 1
            item = True
            continue
        return column, item


def _key_at(line: str, column: int) -> re.Match | None:
    return _KEY.match(line, column)


def _unquote(key: str) -> str:
    return key[1:-1] if len(key) > 1 and key[0] == key[-1] and key[0] in "'\"" else key


def cursor_at(text: str, line_number: int, column: int) -> Cursor:
    """The cursor at ``line_number`` (from 0) and ``column`` (in characters, from 0)."""
    lines = text.split("\n")
    line = lines[line_number] if 0 <= line_number < len(lines) else ""
    column = max(0, min(column, len(line)))
    start, item = _content(line)
    blank = not line[start:].strip() or line[start:].lstrip().startswith("#")
    found = None if blank else _key_at(line, start)
    key = _unquote(found.group("key").strip()) if found else None
    in_value = bool(found) and column > found.end() - 1
    indent = min(start, column) if blank else start
    return Cursor(_enclosing(lines, line_number, indent), key, in_value, *_word(line, column), line, column,
                  item and not blank, bool(_TOSCA_2.search(text, 0, 4096)), line_number)


def _enclosing(lines: list[str], line_number: int, indent: int) -> tuple[str, ...]:
    path: list[str] = []
    for number in range(min(line_number, len(lines)) - 1, -1, -1):
        if indent == 0:
            break
        line = lines[number]
        start, _ = _content(line)
        stripped = line[start:]
        if not stripped.strip() or stripped.startswith("#") or start >= indent:
            continue
        found = _key_at(line, start)
        if found is None:
            continue
        path.append(_unquote(found.group("key").strip()))
        indent = start
    return tuple(reversed(path))


def _word(line: str, column: int) -> tuple[str, str]:
    for match in _WORD.finditer(line):
        if match.start() <= column <= match.end():
            word = match.group().rstrip(":")
            return word, line[match.start():column]
    return "", ""
