"""Reading an edited document again by reading only the block that changed.

An editor sends the whole text after each keystroke, and most of a large
template did not change. When the change lies inside one block mapping
(the lines under a ``key:`` line that are indented deeper than it), that
block is parsed alone and put in the place of the old one: its data, the
positions of its keys and values (moved to its lines), and the positions
after it moved by the lines the edit added or removed. The result is the
one a full parse gives; whenever that cannot be sure (problems, anchors,
tabs, text that is not plain UTF-8, a change on a key line) the answer is
None and the caller parses the whole text.
"""

from __future__ import annotations

import re
from typing import Any

from ..source.reader import Limits, ParsedYaml, parse_bytes

# A line that opens a block: an indented plain key with nothing after the colon but a comment.
_HEADER = re.compile(r"( *)([A-Za-z0-9_][A-Za-z0-9_.\-]*):[ ]*(?:#.*)?")
_UNSAFE = ("&", "\t", "<<", "\ufeff")  # anchors, merges, tabs, byte order marks: parse it all
_BREAKS = ("\r", "\x85", "\u2028", "\u2029")  # line breaks of YAML besides \n: lines would not be counted alike
MIN_LINES = 200  # a short document is parsed whole: the gain would not pay for the bookkeeping


def reparse(old_raw: bytes, old: ParsedYaml, new_raw: bytes, limits: Limits,
            places: dict[tuple, tuple] | None = None) -> ParsedYaml | None:
    """The parse of ``new_raw`` made from ``old`` (the parse of ``old_raw``), or None.
    ``places`` is the old parse's key position -> path table, when the caller keeps it."""
    if not old.ok or old.problems or len(new_raw) > limits.max_bytes or b"\x00" in new_raw[:8192]:
        return None
    try:
        old_text, new_text = old_raw.decode("utf-8"), new_raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(mark in new_text or mark in old_text for mark in _BREAKS):
        return None
    block = _changed_block(old_text, new_text)
    if block is None:
        return None
    header, old_end, new_end = block
    new_lines = new_text.split("\n")
    text = "\n".join(new_lines[header:new_end])
    old_block = "\n".join(old_text.split("\n")[header:old_end])
    if any(mark in text or mark in old_block for mark in _UNSAFE):
        return None
    path = (places if places is not None else key_places(old)).get((header + 1, _indent(new_lines[header]) + 1))
    if path is None or not isinstance(_at(old.data, path), (dict, list)):
        return None
    part = parse_bytes(text.encode("utf-8"), Limits(limits.max_bytes, limits.max_depth - len(path) + 1,
                                                     limits.max_nodes))
    if not part.ok or part.problems or not isinstance(part.data, dict) or list(part.data) != [path[-1]]:
        return None
    found = _splice(old, part, path, header, old_end, new_end - old_end)
    # Without aliases a document counts one node per value; with them the old count is unknown here.
    grown = len(found.values) > len(old.values)
    if grown and (len(found.values) >= limits.max_nodes // 2 or b"*" in old_raw):
        return None
    return found


def key_places(parsed: ParsedYaml) -> dict[tuple, tuple]:
    """Key position -> the key's path, for finding the path of a block's key line."""
    return {position: path for path, position in parsed.keys.items()}


def _changed_block(old: str, new: str) -> tuple[int, int, int] | None:
    """The block holding the whole change: its key line, and its end line in the
    old and in the new text (the first line after it); None when there is none."""
    if old == new:
        return None
    shortest = min(len(old), len(new))
    start = _same_run(old, new, shortest, lambda text, a, b: text[a:b])
    same_tail = _same_run(old, new, shortest - start, lambda text, a, b: text[len(text) - b:len(text) - a])
    old_lines, new_lines = old.split("\n"), new.split("\n")
    if len(new_lines) < MIN_LINES:
        return None
    first = old.count("\n", 0, start)  # the line the change starts on
    for header in range(first - 1, -1, -1):
        line = old_lines[header]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = _indent(line)
        if not _HEADER.fullmatch(line):
            if indent == 0:
                return None
            continue
        old_end, new_end = _block_end(old_lines, header, indent), _block_end(new_lines, header, indent)
        old_tail = sum(len(text) + 1 for text in old_lines[old_end:])
        new_tail = sum(len(text) + 1 for text in new_lines[new_end:])
        if old_tail == new_tail and old_tail - 1 <= same_tail and old_end > first:
            return header, old_end, new_end
        if indent == 0:
            return None
    return None


def _same_run(old: str, new: str, most: int, cut) -> int:
    """How many characters the two texts share from one end (``cut`` takes the
    characters a to b from that end), up to ``most``: compared by slices that
    halve, as a character loop would take milliseconds on a large template."""
    done, step = 0, 4096
    while step:
        while done + step <= most and cut(old, done, done + step) == cut(new, done, done + step):
            done += step
        step //= 2
    return done


def _block_end(lines: list[str], header: int, indent: int) -> int:
    for number in range(header + 1, len(lines)):
        line = lines[number]
        stripped = line.lstrip(" ")
        if stripped and not stripped.startswith("#") and len(line) - len(stripped) <= indent:
            return number
    return len(lines)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _at(data: Any, path: tuple) -> Any:
    for part in path:
        data = data[part]
    return data


def _replaced(data: Any, path: tuple, value: Any) -> Any:
    """``data`` with the value at ``path`` replaced; the collections on the way are copies."""
    if not path:
        return value
    copy = dict(data) if isinstance(data, dict) else list(data)
    copy[path[0]] = _replaced(data[path[0]], path[1:], value)
    return copy


def _splice(old: ParsedYaml, part: ParsedYaml, path: tuple, header: int, old_end: int, shift: int) -> ParsedYaml:
    prefix = path[:-1]
    data = _replaced(old.data, path, part.data[path[-1]])
    return ParsedYaml(data, _positions(old.values, part.values, path, prefix, header, old_end, shift),
                      _positions(old.keys, part.keys, path, prefix, header, old_end, shift), [])


def _positions(old: dict, part: dict, path: tuple, prefix: tuple, header: int, old_end: int, shift: int) -> dict:
    """The old table with the block's entries in the place of the old block's, in document order."""
    size = len(path)
    # The block's own root (path ()) is the enclosing mapping, whose place the old table has.
    moved = {prefix + inner: (line + header, column) for inner, (line, column) in part.items() if inner}
    found: dict = {}
    placed = False
    for where, position in old.items():
        if len(where) >= size and where[size - 1] == path[-1] and where[:size] == path:
            if not placed:
                found.update(moved)
                placed = True
            continue
        if shift and position[0] > old_end:
            position = (position[0] + shift, position[1])
        found[where] = position
    if not placed:
        found.update(moved)
    return found
